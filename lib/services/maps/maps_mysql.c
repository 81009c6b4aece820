/*
 * maps_mysql - mysql: tables (libmariadb), Postfix's dict_mysql: a .cf
 *	file with hosts ("unix:/socket", "inet:host:port", "host"), user,
 *	password, dbname, query (or the legacy table/select_field/
 *	where_field/additional_conditions), result_format, domain,
 *	expansion_limit, option_file, option_group, the tls_* settings,
 *	require_result_set, retry_interval and idle_interval. Keys are
 *	escaped with mysql_real_escape_string on the connection that runs
 *	the query; NULL columns are skipped. A server that cannot be
 *	reached is left alone for retry_interval seconds; when no host
 *	answers the lookup is a temporary failure (MAPS_ERROR).
 */
#define _DEFAULT_SOURCE 1
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maps/maps_sql_int.h"

struct mysqlt {
    struct maps_sqlcf *cf;
    struct maps_sqlq q;
    const char *user, *password, *dbname, *option_file, *option_group;
    const char *tls_cert, *tls_key, *tls_ca, *tls_capath, *tls_ciphers;
    int tls_verify, require_rs, retry, idle;
    struct maps_sqlhost *hosts;
    size_t nhosts;
    time_t last;
};

static const char *const mysql_names[] = {
    "option_file",        "option_group",   "tls_cert_file", "tls_key_file",
    "tls_CAfile",         "tls_CApath",     "tls_ciphers",   "tls_verify_cert",
    "require_result_set", "retry_interval", "idle_interval", NULL,
};

static void my_close(void *h);

static int
setup(struct mysqlt *p, char *err, size_t len)
{
    const struct maps_sqlcf *cf = p->cf;

    p->user = maps_sqlcf_get(cf, "user", "");
    p->password = maps_sqlcf_get(cf, "password", "");
    p->dbname = maps_sqlcf_get(cf, "dbname", "");
    p->option_file = maps_sqlcf_get(cf, "option_file", NULL);
    p->option_group = maps_sqlcf_get(cf, "option_group", "client");
    p->tls_cert = maps_sqlcf_get(cf, "tls_cert_file", NULL);
    p->tls_key = maps_sqlcf_get(cf, "tls_key_file", NULL);
    p->tls_ca = maps_sqlcf_get(cf, "tls_CAfile", NULL);
    p->tls_capath = maps_sqlcf_get(cf, "tls_CApath", NULL);
    p->tls_ciphers = maps_sqlcf_get(cf, "tls_ciphers", NULL);
    if (maps_sqlcf_bool(cf, "tls_verify_cert", -1, &p->tls_verify, err, len) <
            0 ||
        maps_sqlcf_bool(cf, "require_result_set", 1, &p->require_rs, err, len) <
            0 ||
        maps_sqlcf_int(cf, "retry_interval", 60, 1, &p->retry, err, len) < 0 ||
        maps_sqlcf_int(cf, "idle_interval", 60, 1, &p->idle, err, len) < 0)
        return -1;
    if (maps_sqlq_init(&p->q, "mysql", cf, 0, err, len) < 0)
        return -1;
    p->nhosts = maps_sqlhosts_parse(maps_sqlcf_get(cf, "hosts", ""),
                                    "localhost", 1, &p->hosts);
    return 0;
}

static void *
my_open(const char *name, unsigned flags, char *err, size_t errlen)
{
    struct mysqlt *p = mem_calloc(1, sizeof(*p));

    (void) flags;
    if ((p->cf = maps_sqlcf_load(name, err, errlen)) == NULL ||
        setup(p, err, errlen) < 0) {
        my_close(p);
        return NULL;
    }
    return p;
}

static void
down(struct mysqlt *p, struct maps_sqlhost *h)
{
    if (h->conn)
        mysql_close(h->conn);
    maps_sqlhost_down(h, p->retry);
}

/* connect_host - h connected, or a warning and h down; 0 or -1 */
static int
connect_host(struct mysqlt *p, struct maps_sqlhost *h)
{
    MYSQL *db = mysql_init(NULL);

    if (db == NULL) {
        log_warn("connect to mysql server %s: mysql_init failed", h->spec);
        maps_sqlhost_down(h, p->retry);
        return -1;
    }
    h->conn = db;
    if (p->option_file)
        mysql_options(db, MYSQL_READ_DEFAULT_FILE, p->option_file);
    if (p->option_group && *p->option_group)
        mysql_options(db, MYSQL_READ_DEFAULT_GROUP, p->option_group);
    if (p->tls_cert || p->tls_key || p->tls_ca || p->tls_capath ||
        p->tls_ciphers)
        mysql_ssl_set(db, p->tls_key, p->tls_cert, p->tls_ca, p->tls_capath,
                      p->tls_ciphers);
    if (p->tls_verify != -1) {
        my_bool v = (my_bool) p->tls_verify;

        mysql_options(db, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &v);
    }
    if (mysql_real_connect(
            db, h->unix_dom ? NULL : h->name, p->user, p->password, p->dbname,
            h->port ? (unsigned) strtoul(h->port, NULL, 10) : 0,
            h->unix_dom ? h->name : NULL, CLIENT_MULTI_RESULTS) == NULL) {
        log_warn("connect to mysql server %s: %s", h->spec, mysql_error(db));
        down(p, h);
        return -1;
    }
    h->stat = SQLH_ACTIVE;
    return 0;
}

static struct maps_sqlhost *
active(struct mysqlt *p)
{
    struct maps_sqlhost *h;

    if (p->last && time(NULL) - p->last > p->idle)
        for (size_t i = 0; i < p->nhosts; i++)
            if (p->hosts[i].stat == SQLH_ACTIVE) {
                mysql_close(p->hosts[i].conn);
                p->hosts[i].conn = NULL;
                p->hosts[i].stat = SQLH_UNTRIED;
            }
    if ((h = maps_sqlhosts_pick(p->hosts, p->nhosts, 1)) != NULL)
        return h;
    while ((h = maps_sqlhosts_pick(p->hosts, p->nhosts, 0)) != NULL)
        if (connect_host(p, h) == 0)
            return h;
    return NULL;
}

static int
quote(void *ctx, const char *s, struct buf *out)
{
    size_t n = strlen(s);

    if (buf_reserve(out, 2 * n + 1) < 0)
        return -1;
    out->len += mysql_real_escape_string(ctx, out->data + out->len, s,
                                         (unsigned long) n);
    out->data[out->len] = 0;
    return 0;
}

/* run - the query's result set (possibly none: *res NULL) from the
 * first host that answers; -1 when none does */
static int
run(struct mysqlt *p, const char *key, MYSQL_RES **res)
{
    struct maps_sqlhost *h;
    struct buf query;
    int rc = -1;

    buf_init(&query, 0);
    while (rc < 0 && (h = active(p)) != NULL) {
        buf_truncate(&query, 0);
        (void) maps_sqlq_expand(&p->q, p->q.query, key, NULL, &query, quote,
                                h->conn);
        *res = NULL;
        if (mysql_query(h->conn, buf_str(&query)) == 0) {
            *res = mysql_store_result(h->conn);
            while (mysql_next_result(h->conn) == 0) /* procedures */
                mysql_free_result(mysql_store_result(h->conn));
            if (*res || !p->require_rs) {
                p->last = time(NULL);
                rc = 0;
                continue;
            }
        }
        log_warn("mysql query failed: %s", mysql_error(h->conn));
        down(p, h);
    }
    buf_fini(&query);
    return rc;
}

static enum maps_result
my_find(void *hp, const char *key, struct buf *out, char *err, size_t errlen)
{
    struct mysqlt *p = hp;
    struct buf probe;
    MYSQL_RES *res = NULL;
    MYSQL_ROW row;
    int n = 0, d, over = 0;

    if ((d = maps_sqlq_domain(&p->q, key)) <= 0) {
        if (d < 0)
            snprintf(err, errlen, "domain list lookup error");
        return d < 0 ? MAPS_ERROR : MAPS_NOTFOUND;
    }
    buf_init(&probe, 0);
    d = maps_sqlq_expand(&p->q, p->q.query, key, NULL, &probe, NULL, NULL);
    buf_fini(&probe);
    if (d == 0)
        return MAPS_NOTFOUND;
    if (run(p, key, &res) < 0) {
        snprintf(err, errlen, "no mysql server of %s answers",
                 maps_sqlcf_path(p->cf));
        return MAPS_ERROR;
    }
    if (res == NULL)
        return MAPS_NOTFOUND;
    while (!over && (row = mysql_fetch_row(res)) != NULL)
        for (unsigned j = 0; j < mysql_num_fields(res) && !over; j++)
            if (maps_sqlq_expand(&p->q, p->q.result_format, row[j], key, out,
                                 NULL, NULL) > 0 &&
                p->q.expansion_limit > 0 && ++n > p->q.expansion_limit) {
                log_warn("dict_mysql_lookup: %s: Expansion limit exceeded for "
                         "key: '%s'",
                         maps_sqlcf_path(p->cf), key);
                over = 1;
            }
    mysql_free_result(res);
    if (over) {
        snprintf(err, errlen, "expansion limit exceeded for key '%s'", key);
        return MAPS_ERROR;
    }
    return out->len > 0 ? MAPS_FOUND : MAPS_NOTFOUND;
}

static void
my_close(void *hp)
{
    struct mysqlt *p = hp;

    if (p == NULL)
        return;
    for (size_t i = 0; i < p->nhosts; i++)
        if (p->hosts[i].conn)
            mysql_close(p->hosts[i].conn);
    maps_sqlhosts_free(p->hosts, p->nhosts);
    maps_sqlq_fini(&p->q);
    maps_sqlcf_free(p->cf);
    mem_free(p);
}

static int
my_check(const char *name, char *why, size_t len)
{
    struct mysqlt *p = mem_calloc(1, sizeof(*p));
    int rc = -1;

    if ((p->cf = maps_sqlcf_load(name, why, len)) != NULL &&
        maps_sqlcf_known(p->cf, mysql_names, why, len) == 0 &&
        setup(p, why, len) == 0)
        rc = 0;
    my_close(p);
    return rc;
}

const struct maps_driver maps_mysql_driver = {
    .type = "mysql",
    .flags = MAPS_DRV_FILE,
    .open = my_open,
    .find = my_find,
    .close = my_close,
    .check = my_check,
};
