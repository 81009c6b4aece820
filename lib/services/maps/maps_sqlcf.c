/*
 * maps_sqlcf - the .cf file of an SQL table (Postfix's cfg_parser over
 *	dict_load_file) and its "hosts" list with Postfix's fail-over
 *	(dict_pgsql.c, dict_mysql.c: connected hosts first, unix sockets
 *	before network hosts, a random pick among equals, a failed host
 *	left alone for retry_interval seconds).
 */
#define _DEFAULT_SOURCE 1 /* strcasecmp */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "maps/maps_sql_int.h"

struct cf_item {
    char *name;
    char *value;
    int line;
};

struct maps_sqlcf {
    char *path;
    struct cf_item *v;
    size_t n;
};

const char *const maps_sql_common_names[] = {
    "hosts",
    "user",
    "password",
    "dbname",
    "query",
    "table",
    "select_field",
    "where_field",
    "additional_conditions",
    "result_format",
    "expansion_limit",
    "domain",
    NULL,
};

static char *
trim(char *s)
{
    char *e;

    while (isspace((unsigned char) *s))
        s++;
    e = s + strlen(s);
    while (e > s && isspace((unsigned char) e[-1]))
        *--e = 0;
    return s;
}

/* add - one logical line "name = value" (or a bad line: name NULL) */
static void
add(struct maps_sqlcf *cf, struct buf *logical, int line)
{
    char *s = trim(buf_data(logical));
    char *eq;
    struct cf_item *it;

    if (*s == 0)
        return;
    cf->v = mem_realloc(cf->v, (cf->n + 1) * sizeof(*cf->v));
    it = &cf->v[cf->n++];
    it->line = line;
    eq = strchr(s, '=');
    if (eq == NULL || eq == s) {
        it->name = NULL;
        it->value = mem_strdup(s);
        return;
    }
    *eq = 0;
    it->name = mem_strdup(trim(s));
    it->value = mem_strdup(trim(eq + 1));
}

struct maps_sqlcf *
maps_sqlcf_load(const char *path, char *err, size_t len)
{
    FILE *fp = fopen(path, "r");
    struct maps_sqlcf *cf;
    struct buf logical;
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0, start = 0;

    if (fp == NULL) {
        snprintf(err, len, "open %s: %s", path, strerror(errno));
        return NULL;
    }
    cf = mem_calloc(1, sizeof(*cf));
    cf->path = mem_strdup(path);
    buf_init(&logical, 0);
    while (getline(&line, &cap, fp) >= 0) {
        char *p = line;

        lineno++;
        line[strcspn(line, "\r\n")] = 0;
        while (isspace((unsigned char) *p))
            p++;
        if (*p == '#')
            continue;
        if (*p == 0) {
            add(cf, &logical, start);
            buf_truncate(&logical, 0);
            continue;
        }
        if (p == line) { /* a new setting */
            add(cf, &logical, start);
            buf_truncate(&logical, 0);
            start = lineno;
        } else if (logical.len == 0) {
            start = lineno;
        }
        (void) buf_putc(&logical, ' ');
        (void) buf_puts(&logical, p);
    }
    add(cf, &logical, start);
    buf_fini(&logical);
    free(line);
    if (ferror(fp)) {
        snprintf(err, len, "read %s: %s", path, strerror(errno));
        fclose(fp);
        maps_sqlcf_free(cf);
        return NULL;
    }
    fclose(fp);
    for (size_t i = 0; i < cf->n; i++)
        if (cf->v[i].name == NULL) {
            snprintf(err, len, "%s, line %d: expected format: name = value",
                     path, cf->v[i].line);
            maps_sqlcf_free(cf);
            return NULL;
        }
    return cf;
}

void
maps_sqlcf_free(struct maps_sqlcf *cf)
{
    if (cf == NULL)
        return;
    for (size_t i = 0; i < cf->n; i++) {
        mem_free(cf->v[i].name);
        mem_free(cf->v[i].value);
    }
    mem_free(cf->v);
    mem_free(cf->path);
    mem_free(cf);
}

const char *
maps_sqlcf_path(const struct maps_sqlcf *cf)
{
    return cf->path;
}

static const struct cf_item *
find(const struct maps_sqlcf *cf, const char *name)
{
    for (size_t i = cf->n; i-- > 0;)
        if (strcmp(cf->v[i].name, name) == 0)
            return &cf->v[i];
    return NULL;
}

const char *
maps_sqlcf_get(const struct maps_sqlcf *cf, const char *name, const char *def)
{
    const struct cf_item *it = find(cf, name);

    return it ? it->value : def;
}

int
maps_sqlcf_int(const struct maps_sqlcf *cf, const char *name, int def, int min,
               int *out, char *err, size_t len)
{
    const struct cf_item *it = find(cf, name);
    char *end;
    long v;

    *out = def;
    if (it == NULL)
        return 0;
    errno = 0;
    v = strtol(it->value, &end, 10);
    if (errno || end == it->value || *end || v > INT_MAX) {
        snprintf(err, len, "%s, line %d: bad numerical configuration: %s = %s",
                 cf->path, it->line, name, it->value);
        return -1;
    }
    if (v < min) {
        snprintf(err, len, "%s, line %d: invalid %s parameter value %ld < %d",
                 cf->path, it->line, name, v, min);
        return -1;
    }
    *out = (int) v;
    return 0;
}

int
maps_sqlcf_bool(const struct maps_sqlcf *cf, const char *name, int def,
                int *out, char *err, size_t len)
{
    const struct cf_item *it = find(cf, name);

    *out = def;
    if (it == NULL)
        return 0;
    if (strcasecmp(it->value, "yes") == 0)
        *out = 1;
    else if (strcasecmp(it->value, "no") == 0)
        *out = 0;
    else {
        snprintf(err, len, "%s, line %d: bad boolean configuration: %s = %s",
                 cf->path, it->line, name, it->value);
        return -1;
    }
    return 0;
}

int
maps_sqlcf_known(const struct maps_sqlcf *cf, const char *const *names,
                 char *why, size_t len)
{
    for (size_t i = 0; i < cf->n; i++) {
        int ok = 0;

        for (const char *const *p = maps_sql_common_names; *p && !ok; p++)
            ok = strcmp(*p, cf->v[i].name) == 0;
        for (const char *const *p = names; *p && !ok; p++)
            ok = strcmp(*p, cf->v[i].name) == 0;
        if (!ok) {
            snprintf(why, len, "%s, line %d: unknown setting %s", cf->path,
                     cf->v[i].line, cf->v[i].name);
            return -1;
        }
    }
    return 0;
}

/* ---- hosts ---- */

size_t
maps_sqlhosts_parse(const char *spec, const char *def, int unix_prefix_only,
                    struct maps_sqlhost **hosts)
{
    const char *seps = " ,\t\r\n";
    char *copy, *save = NULL, *w;
    size_t n = 0;

    if (spec[strspn(spec, seps)] == 0 && def)
        spec = def;
    copy = mem_strdup(spec);
    *hosts = NULL;
    for (w = strtok_r(copy, seps, &save); w; w = strtok_r(NULL, seps, &save)) {
        struct maps_sqlhost *h;
        const char *d;
        char *colon;

        *hosts = mem_realloc(*hosts, (n + 1) * sizeof(**hosts));
        h = &(*hosts)[n++];
        memset(h, 0, sizeof(*h));
        h->spec = mem_strdup(w);
        d = w;
        if (strncmp(d, "unix:", 5) == 0) {
            h->unix_dom = 1;
            d += 5;
        } else if (strncmp(d, "inet:", 5) == 0)
            d += 5;
        h->name = mem_strdup(d);
        if ((!unix_prefix_only || !h->unix_dom) &&
            (colon = strrchr(h->name, ':')) != NULL) {
            *colon = 0;
            h->port = mem_strdup(colon + 1);
        }
        if (!unix_prefix_only && (h->name[0] == 0 || h->name[0] == '/'))
            h->unix_dom = 1;
        h->stat = SQLH_UNTRIED;
    }
    mem_free(copy);
    return n;
}

void
maps_sqlhosts_free(struct maps_sqlhost *h, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        mem_free(h[i].spec);
        mem_free(h[i].name);
        mem_free(h[i].port);
    }
    mem_free(h);
}

static int
eligible(const struct maps_sqlhost *h, int want_active, int unix_dom,
         time_t now)
{
    if (h->unix_dom != unix_dom)
        return 0;
    if (want_active)
        return h->stat == SQLH_ACTIVE;
    if (h->stat == SQLH_UNTRIED)
        return 1;
    return h->stat == SQLH_FAIL && !(h->ts > 0 && h->ts >= now);
}

struct maps_sqlhost *
maps_sqlhosts_pick(struct maps_sqlhost *h, size_t n, int want_active)
{
    time_t now = time(NULL);

    for (int u = 1; u >= 0; u--) {
        size_t count = 0, idx;

        for (size_t i = 0; i < n; i++)
            count += (size_t) eligible(&h[i], want_active, u, now);
        if (count == 0)
            continue;
        idx = count > 1 ? (size_t) random() % count : 0;
        for (size_t i = 0; i < n; i++)
            if (eligible(&h[i], want_active, u, now) && idx-- == 0)
                return &h[i];
    }
    return NULL;
}

void
maps_sqlhost_down(struct maps_sqlhost *h, int retry)
{
    h->conn = NULL;
    h->stat = SQLH_FAIL;
    h->ts = time(NULL) + retry;
}
