/*
 * maps_ldap_cf - .cf files and %-templates of ldap: and memcache: tables.
 *
 * DESCRIPTION
 *	A .cf file holds "name = value" lines as main.cf does: '#'
 *	comments are skipped, a line that starts with white space continues
 *	the one before (a blank line ends it), a later setting replaces an
 *	earlier one. No $name expansion (Postfix's cfg_parser has none for
 *	files).
 *
 *	Templates follow Postfix's db_common: %s the key, %u its local
 *	part (the whole key without '@'), %d its domain, %1..%9 the labels
 *	of the domain from the right, %S %U %D the same of the lookup key
 *	in a result template, %% a '%'. A key without the parts that a
 *	template needs is not searched (the expansion is empty), and the
 *	"domain" list limits the keys searched to those domains.
 */
#include "maps/maps_ldap_cf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "maps/maps.h"
#include "util/util.h"

#define CF_MAX (1024 * 1024)

struct cf_ent {
    char *name;
    char *value;
    int line;
};

struct maps_ldcf {
    char *path;
    struct cf_ent *e;
    size_t n, cap;
};

static void
cf_set(struct maps_ldcf *cf, const char *name, const char *value, int line)
{
    for (size_t i = 0; i < cf->n; i++)
        if (strcmp(cf->e[i].name, name) == 0) {
            mem_free(cf->e[i].value);
            cf->e[i].value = mem_strdup(value);
            cf->e[i].line = line;
            return;
        }
    if (cf->n == cf->cap) {
        cf->cap = cf->cap ? 2 * cf->cap : 16;
        cf->e = mem_realloc(cf->e, cf->cap * sizeof(*cf->e));
    }
    cf->e[cf->n].name = mem_strdup(name);
    cf->e[cf->n].value = mem_strdup(value);
    cf->e[cf->n].line = line;
    cf->n++;
}

/* cf_entry - one logical line; 0, or -1 with the reason */
static int
cf_entry(struct maps_ldcf *cf, char *text, int line, char *err, size_t errlen)
{
    char *eq = strchr(text, '=');
    char *name, *value;

    if (eq == NULL) {
        snprintf(err, errlen, "%s, line %d: missing '=' after attribute name",
                 cf->path, line);
        return -1;
    }
    *eq = 0;
    name = str_trim(text);
    value = str_trim(eq + 1);
    if (*name == 0) {
        snprintf(err, errlen, "%s, line %d: missing attribute name", cf->path,
                 line);
        return -1;
    }
    cf_set(cf, name, value, line);
    return 0;
}

struct maps_ldcf *
maps_ldcf_load(const char *path, char *err, size_t errlen)
{
    struct maps_ldcf *cf;
    struct buf logical;
    char *text = NULL, *p, *nl;
    size_t len;
    int line = 0, start = 0, rc = 0;

    if (util_read_file(path, CF_MAX, &text, &len) < 0) {
        snprintf(err, errlen, "open %s: %s", path, strerror(errno));
        return NULL;
    }
    cf = mem_calloc(1, sizeof(*cf));
    cf->path = mem_strdup(path);
    buf_init(&logical, 0);
    for (p = text; p && *p && rc == 0; p = nl) {
        char *t;

        line++;
        if ((nl = strchr(p, '\n')) != NULL)
            *nl++ = 0;
        t = p + strspn(p, " \t\r");
        if (*t == '#')
            continue;
        if (*t == 0) {
            /* a blank line ends a logical line, as in Postfix */
            if (logical.len)
                rc = cf_entry(cf, buf_data(&logical), start, err, errlen);
            buf_truncate(&logical, 0);
            continue;
        }
        if (t != p && logical.len) {
            /* continuation of the logical line before */
            (void) buf_putc(&logical, ' ');
            (void) buf_puts(&logical, t);
            continue;
        }
        if (logical.len)
            rc = cf_entry(cf, buf_data(&logical), start, err, errlen);
        buf_truncate(&logical, 0);
        (void) buf_puts(&logical, t);
        start = line;
    }
    if (rc == 0 && logical.len)
        rc = cf_entry(cf, buf_data(&logical), start, err, errlen);
    buf_fini(&logical);
    mem_free(text);
    if (rc < 0) {
        maps_ldcf_free(cf);
        return NULL;
    }
    return cf;
}

void
maps_ldcf_free(struct maps_ldcf *cf)
{
    if (cf == NULL)
        return;
    for (size_t i = 0; i < cf->n; i++) {
        mem_free(cf->e[i].name);
        mem_free(cf->e[i].value);
    }
    mem_free(cf->e);
    mem_free(cf->path);
    mem_free(cf);
}

const char *
maps_ldcf_path(const struct maps_ldcf *cf)
{
    return cf->path;
}

static const struct cf_ent *
cf_get(const struct maps_ldcf *cf, const char *name)
{
    for (size_t i = 0; i < cf->n; i++)
        if (strcmp(cf->e[i].name, name) == 0)
            return &cf->e[i];
    return NULL;
}

const char *
maps_ldcf_str(struct maps_ldcf *cf, const char *name, const char *def)
{
    const struct cf_ent *e = cf_get(cf, name);

    return e ? e->value : def;
}

int
maps_ldcf_int(struct maps_ldcf *cf, const char *name, int def, int min, int max,
              int *out, char *err, size_t errlen)
{
    const struct cf_ent *e = cf_get(cf, name);
    int v = def;

    if (e) {
        char *end;
        long l;

        errno = 0;
        l = strtol(e->value, &end, 10);
        if (end == e->value || *end || errno || l < -2147483647L ||
            l > 2147483647L) {
            snprintf(err, errlen,
                     "%s, line %d: bad numerical configuration: %s = %s",
                     cf->path, e->line, name, e->value);
            return -1;
        }
        v = (int) l;
    }
    if (min && v < min) {
        snprintf(err, errlen, "%s: invalid %s parameter value %d < %d",
                 cf->path, name, v, min);
        return -1;
    }
    if (max && v > max) {
        snprintf(err, errlen, "%s: invalid %s parameter value %d > %d",
                 cf->path, name, v, max);
        return -1;
    }
    *out = v;
    return 0;
}

int
maps_ldcf_bool(struct maps_ldcf *cf, const char *name, int def, int *out,
               char *err, size_t errlen)
{
    const struct cf_ent *e = cf_get(cf, name);

    if (e == NULL)
        *out = def;
    else if (strcasecmp(e->value, "yes") == 0)
        *out = 1;
    else if (strcasecmp(e->value, "no") == 0)
        *out = 0;
    else {
        snprintf(err, errlen, "%s, line %d: bad boolean configuration: %s = %s",
                 cf->path, e->line, name, e->value);
        return -1;
    }
    return 0;
}

const char *
maps_ldcf_unknown(const struct maps_ldcf *cf, const char *const *known,
                  int *line)
{
    for (size_t i = 0; i < cf->n; i++) {
        size_t k;

        for (k = 0; known[k]; k++)
            if (strcmp(known[k], cf->e[i].name) == 0)
                break;
        if (known[k] == NULL) {
            *line = cf->e[i].line;
            return cf->e[i].name;
        }
    }
    return NULL;
}

int
maps_ldcf_line(const struct maps_ldcf *cf, const char *name)
{
    const struct cf_ent *e = cf_get(cf, name);

    return e ? e->line : 0;
}

/*
 * Templates.
 */
#define KEY_DOMAIN 1u /* a query uses the key's domain */
#define KEY_USER   2u /* a query uses the key's local part */
#define VAL_DOMAIN 4u /* a result uses the value's domain */
#define VAL_USER   8u /* a result uses the value's local part */

struct maps_ldx {
    char *title;
    unsigned flags;
    int nparts; /* highest %1..%9 */
    struct maps_match *domain;
};

struct maps_ldx *
maps_ldx_new(const char *title, const char *domain)
{
    struct maps_ldx *x = mem_calloc(1, sizeof(*x));

    x->title = mem_strdup(title);
    if (domain && *domain)
        x->domain = maps_match_new(title, domain, MAPS_MATCH_DOMAIN, 0);
    return x;
}

void
maps_ldx_free(struct maps_ldx *x)
{
    if (x == NULL)
        return;
    if (x->domain)
        maps_match_free(x->domain);
    mem_free(x->title);
    mem_free(x);
}

int
maps_ldx_parse(struct maps_ldx *x, const char *format, int query, char *err,
               size_t errlen)
{
    int dynamic = 0;

    for (const char *cp = format; *cp; cp++) {
        if (*cp != '%')
            continue;
        switch (*++cp) {
        case '%':
            break;
        case 'u':
            x->flags |= query ? KEY_USER : VAL_USER;
            dynamic = 1;
            break;
        case 'd':
            x->flags |= query ? KEY_DOMAIN : VAL_DOMAIN;
            dynamic = 1;
            break;
        case 's':
        case 'S':
            dynamic = 1;
            break;
        case 'U':
            x->flags |= KEY_USER;
            dynamic = 1;
            break;
        case '1':
        case '2':
        case '3':
        case '4':
        case '5':
        case '6':
        case '7':
        case '8':
        case '9':
            if (x->nparts < *cp - '0')
                x->nparts = *cp - '0';
            UTIL_FALLTHROUGH;
        case 'D':
            x->flags |= KEY_DOMAIN;
            dynamic = 1;
            break;
        default:
            snprintf(err, errlen, "%s: Invalid %s template: %s", x->title,
                     query ? "query" : "result", format);
            return -1;
        }
        if (*cp == 0)
            break;
    }
    return dynamic;
}

int
maps_ldx_domain(struct maps_ldx *x, const char *key)
{
    const char *at;

    if (x->domain == NULL)
        return 1;
    if ((at = strrchr(key, '@')) == NULL || at == key)
        return 0;
    return maps_match_domain(x->domain, at + 1);
}

static void
put(const char *s, size_t n, struct buf *out, maps_ldx_quote_fn *quote)
{
    char *t = mem_strndup(s, n);

    if (quote)
        quote(t, out);
    else
        (void) buf_puts(out, t);
    mem_free(t);
}

/* lacks - 1 when a (a key or a value) lacks what flags ask of it */
static int
lacks(const char *s, const char *dom, unsigned want_dom, unsigned want_user)
{
    return ((!dom || !*dom) && want_dom) || (dom == s + 1 && want_user);
}

int
maps_ldx_expand(struct maps_ldx *x, const char *format, const char *value,
                const char *key, struct buf *out, maps_ldx_quote_fn *quote)
{
    const char *vdom = NULL, *kdom = NULL, *labels[10];
    size_t lablen[10];
    int nl = 0;

    if (value == NULL)
        return 0;
    if (*value == 0) {
        if (key)
            log_warn("table \"%s\": empty lookup result for: \"%s\" -- "
                     "ignored",
                     x->title, key);
        else
            log_warn("table \"%s\": empty query string -- ignored", x->title);
        return 0;
    }
    if ((vdom = strrchr(value, '@')) != NULL)
        vdom++;
    if (key) {
        if ((kdom = strrchr(key, '@')) != NULL)
            kdom++;
        if (lacks(value, vdom, x->flags & VAL_DOMAIN, x->flags & VAL_USER))
            return 0;
        if (lacks(key, kdom, x->flags & KEY_DOMAIN, x->flags & KEY_USER))
            return 0;
    } else if (lacks(value, vdom, x->flags & KEY_DOMAIN, x->flags & KEY_USER))
        return 0;

    /* the labels of the domain, right to left, for %1..%9 (empty
     * labels skipped, as Postfix's argv_split does) */
    if (x->nparts > 0) {
        const char *d = key ? kdom : vdom, *end;

        if (d == NULL)
            return 0;
        end = d + strlen(d);
        while (nl < 10 && end > d) {
            const char *b = end;

            while (b > d && b[-1] != '.')
                b--;
            if (b < end) {
                labels[nl] = b;
                lablen[nl++] = (size_t) (end - b);
            }
            end = b > d ? b - 1 : d;
        }
        if (nl < x->nparts)
            return 0;
    }
    if (out->len > 0)
        (void) buf_putc(out, ',');
    for (const char *cp = format; *cp; cp++) {
        const char *s, *at;

        if (*cp != '%') {
            (void) buf_putc(out, *cp);
            continue;
        }
        switch (*++cp) {
        case '%':
            (void) buf_putc(out, '%');
            break;
        case 's':
            put(value, strlen(value), out, quote);
            break;
        case 'S':
            s = key ? key : value;
            put(s, strlen(s), out, quote);
            break;
        case 'u':
        case 'U':
            s = (*cp == 'U' && key) ? key : value;
            at = (s == key) ? kdom : vdom;
            put(s, at ? (size_t) (at - 1 - s) : strlen(s), out, quote);
            break;
        case 'd':
            if (vdom)
                put(vdom, strlen(vdom), out, quote);
            break;
        case 'D':
            s = key ? kdom : vdom;
            if (s)
                put(s, strlen(s), out, quote);
            break;
        case 0:
            cp--;
            break;
        default:
            if (*cp >= '1' && *cp <= '9' && *cp - '0' <= nl) {
                put(labels[*cp - '1'], lablen[*cp - '1'], out, quote);
            }
            break;
        }
    }
    return 1;
}

void
maps_ldx_quote_filter(const char *s, struct buf *out)
{
    for (; *s; s++)
        if (strchr("*()\\", *s))
            (void) buf_printf(out, "\\%02X", (unsigned char) *s);
        else
            (void) buf_putc(out, *s);
}

void
maps_ldx_quote_dn(const char *s, struct buf *out)
{
    for (; *s; s++)
        if (strchr(" \t\"#+,;<>\\", *s))
            (void) buf_printf(out, "\\%02X", (unsigned char) *s);
        else
            (void) buf_putc(out, *s);
}
