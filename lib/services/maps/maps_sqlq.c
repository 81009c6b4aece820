/*
 * maps_sqlq - query and result templates of SQL tables, as Postfix's
 *	db_common.c: %s the key (or the column, in result_format), %u its
 *	local part, %d its domain, %[1-9] the domain's labels from the
 *	right, %S %U %D the same of the lookup key inside result_format,
 *	%% a '%'. A key that lacks what the query needs (no domain for %d,
 *	an empty local part for %u, too few labels for %3) is not queried;
 *	a result column that lacks it is skipped. The "domain" setting
 *	limits the keys that are queried to addresses in those domains.
 */
#define _DEFAULT_SOURCE 1 /* strtok_r */
#include <stdio.h>
#include <string.h>

#include "maps/maps_sql_int.h"

#define SQLQ_KEY_DOMAIN   (1u << 0)
#define SQLQ_KEY_USER     (1u << 1)
#define SQLQ_VALUE_DOMAIN (1u << 2)
#define SQLQ_VALUE_USER   (1u << 3)

/* parse - db_common_parse: the flags format needs; -1 on a bad '%' */
static int
parse(struct maps_sqlq *q, const char *format, int query)
{
    for (const char *cp = format; *cp; cp++) {
        if (*cp != '%')
            continue;
        switch (*++cp) {
        case '%':
        case 's':
        case 'S':
            break;
        case 'u':
            q->flags |= query ? SQLQ_KEY_USER : SQLQ_VALUE_USER;
            break;
        case 'd':
            q->flags |= query ? SQLQ_KEY_DOMAIN : SQLQ_VALUE_DOMAIN;
            break;
        case 'U':
            q->flags |= SQLQ_KEY_USER;
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
            if (q->nparts < *cp - '0')
                q->nparts = *cp - '0';
            UTIL_FALLTHROUGH;
        case 'D':
            q->flags |= SQLQ_KEY_DOMAIN;
            break;
        default:
            return -1;
        }
    }
    return 0;
}

static int
legacy_query(const struct maps_sqlcf *cf, int legacy_fn, struct buf *query,
             char *err, size_t len)
{
    const char *fn =
        legacy_fn ? maps_sqlcf_get(cf, "select_function", NULL) : NULL;
    const char *table, *select, *where;

    if (fn) {
        (void) buf_printf(query, "SELECT %s('%%s')", fn);
        return 0;
    }
    table = maps_sqlcf_get(cf, "table", NULL);
    select = maps_sqlcf_get(cf, "select_field", NULL);
    where = maps_sqlcf_get(cf, "where_field", NULL);
    if (!table || !*table || !select || !*select || !where || !*where) {
        snprintf(err, len, "%s: '%s' parameter not defined",
                 maps_sqlcf_path(cf),
                 !table || !*table     ? "table"
                 : !select || !*select ? "select_field"
                                       : "where_field");
        return -1;
    }
    (void) buf_printf(query, "SELECT %s FROM %s WHERE %s='%%s' %s", select,
                      table, where,
                      maps_sqlcf_get(cf, "additional_conditions", ""));
    return 0;
}

int
maps_sqlq_init(struct maps_sqlq *q, const char *type,
               const struct maps_sqlcf *cf, int legacy_fn, char *err,
               size_t len)
{
    const char *v, *domain;
    struct buf query;

    memset(q, 0, sizeof(*q));
    q->type = type;
    q->name = mem_strdup(maps_sqlcf_path(cf));
    buf_init(&query, 0);
    if ((v = maps_sqlcf_get(cf, "query", NULL)) != NULL)
        (void) buf_puts(&query, v);
    else if (legacy_query(cf, legacy_fn, &query, err, len) < 0) {
        buf_fini(&query);
        return -1;
    }
    q->query = buf_steal(&query);
    v = maps_sqlcf_get(cf, "result_format", "%s");
    q->result_format = mem_strdup(*v ? v : "%s");
    if (parse(q, q->query, 1) < 0) {
        snprintf(err, len, "%s: Invalid query template: %s", q->name, q->query);
        return -1;
    }
    if (parse(q, q->result_format, 0) < 0) {
        snprintf(err, len, "%s: Invalid result template: %s", q->name,
                 q->result_format);
        return -1;
    }
    if (maps_sqlcf_int(cf, "expansion_limit", 0, 0, &q->expansion_limit, err,
                       len) < 0)
        return -1;
    domain = maps_sqlcf_get(cf, "domain", "");
    if (*domain) {
        char title[300];

        snprintf(title, sizeof(title), "%s:%s domain", type, q->name);
        q->domain = maps_match_new(title, domain, MAPS_MATCH_DOMAIN, 0);
    }
    return 0;
}

void
maps_sqlq_fini(struct maps_sqlq *q)
{
    mem_free(q->name);
    mem_free(q->query);
    mem_free(q->result_format);
    if (q->domain)
        maps_match_free(q->domain);
    memset(q, 0, sizeof(*q));
}

int
maps_sqlq_domain(struct maps_sqlq *q, const char *key)
{
    const char *d;

    if (q->domain == NULL)
        return 1;
    if ((d = strrchr(key, '@')) == NULL || d == key)
        return 0;
    return maps_match_domain(q->domain, d + 1);
}

static int
put(const char *s, struct buf *out, maps_sql_quote_fn *quote, void *qctx)
{
    if (quote)
        return quote(qctx, s, out);
    return buf_puts(out, s) < 0 ? -1 : 0;
}

/* labels - the labels of domain in copy (views into it), as Postfix's
 * argv_split: empty labels ("a..b", a leading or trailing dot) left out;
 * the count, max + 1 when there are more */
static int
labels(char *copy, const char **lab, int max)
{
    int n = 0;
    char *save = NULL;

    for (char *w = strtok_r(copy, ".", &save); w;
         w = strtok_r(NULL, ".", &save)) {
        if (n == max)
            return max + 1;
        lab[n++] = w;
    }
    return n;
}

/* ok_parts - the key or value has what the templates need; *vdomain,
 * *kdomain set (after the '@') */
static int
ok_parts(const struct maps_sqlq *q, const char *value, const char *key,
         const char **vdomain, const char **kdomain)
{
    unsigned vdf = key ? SQLQ_VALUE_DOMAIN : SQLQ_KEY_DOMAIN;
    unsigned vuf = key ? SQLQ_VALUE_USER : SQLQ_KEY_USER;

    *vdomain = *kdomain = NULL;
    if ((q->flags & (vdf | vuf)) && (*vdomain = strrchr(value, '@')) != NULL)
        ++*vdomain;
    if (((!*vdomain || !**vdomain) && (q->flags & vdf)) ||
        (*vdomain == value + 1 && (q->flags & vuf)))
        return 0;
    if (key == NULL)
        return 1;
    if ((q->flags & (SQLQ_KEY_DOMAIN | SQLQ_KEY_USER)) &&
        (*kdomain = strrchr(key, '@')) != NULL)
        ++*kdomain;
    if (((!*kdomain || !**kdomain) && (q->flags & SQLQ_KEY_DOMAIN)) ||
        (*kdomain == key + 1 && (q->flags & SQLQ_KEY_USER)))
        return 0;
    return 1;
}

int
maps_sqlq_expand(struct maps_sqlq *q, const char *format, const char *value,
                 const char *key, struct buf *out, maps_sql_quote_fn *quote,
                 void *qctx)
{
    const char *vdomain, *kdomain, *lab[65];
    char *vuser = NULL, *kuser = NULL, *dcopy = NULL;
    int nlab = 0, rc = 1;

    if (value == NULL || *value == 0)
        return 0;
    if (!ok_parts(q, value, key, &vdomain, &kdomain))
        return 0;
    if (q->nparts > 0) {
        dcopy = mem_strdup(key ? kdomain : vdomain);
        nlab = labels(dcopy, lab, 64);
        if (nlab < q->nparts || nlab > 64) {
            mem_free(dcopy);
            return 0;
        }
    }
    if (vdomain)
        vuser = mem_strndup(value, (size_t) (vdomain - value - 1));
    if (kdomain)
        kuser = mem_strndup(key, (size_t) (kdomain - key - 1));
    if (out->len > 0)
        (void) buf_putc(out, ',');
    for (const char *cp = format; *cp && rc > 0; cp++) {
        const char *s = NULL;

        if (*cp != '%') {
            (void) buf_putc(out, *cp);
            continue;
        }
        switch (*++cp) {
        case '%':
            (void) buf_putc(out, '%');
            continue;
        case 's':
            s = value;
            break;
        case 'u':
            s = vuser ? vuser : value;
            break;
        case 'd':
            s = vdomain;
            break;
        case 'S':
            s = key ? key : value;
            break;
        case 'U':
            s = key ? (kuser ? kuser : key) : (vuser ? vuser : value);
            break;
        case 'D':
            s = key ? kdomain : vdomain;
            break;
        default: /* %1 .. %9 (parse() accepted nothing else) */
            s = lab[nlab - (*cp - '0')];
            break;
        }
        if (s == NULL || put(s, out, quote, qctx) < 0)
            rc = -1;
    }
    mem_free(vuser);
    mem_free(kuser);
    mem_free(dcopy);
    return rc;
}
