/*
 * maps_pgsql - pgsql: tables (libpq), Postfix's dict_pgsql: a .cf file
 *	with hosts, user, password, dbname, encoding, query (or the legacy
 *	select_function, or table/select_field/where_field/
 *	additional_conditions), result_format, domain, expansion_limit,
 *	retry_interval and idle_interval. Keys are escaped with
 *	PQescapeStringConn on the connection that runs the query. A server
 *	that cannot be reached is left alone for retry_interval seconds
 *	and the next host is tried; when none answers the lookup is a
 *	temporary failure (MAPS_ERROR), never "not found". Connections
 *	stay open between lookups (closed after idle_interval seconds
 *	without one), so a proxymap process shares them among its clients.
 */
#define _DEFAULT_SOURCE 1
#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

#include "maps/maps_sql_int.h"

struct pgsql {
    struct maps_sqlcf *cf;
    struct maps_sqlq q;
    const char *user, *password, *dbname, *encoding;
    int retry, idle;
    struct maps_sqlhost *hosts;
    size_t nhosts;
    time_t last; /* the last query */
};

static const char *const pgsql_names[] = {
    "encoding",      "select_function", "retry_interval",
    "idle_interval", "statement_mode",  NULL,
};

static void pgsql_close(void *h);

/* setup - the settings of cf into p; 0 or -1 with the reason */
static int
setup(struct pgsql *p, char *err, size_t len)
{
    const char *mode;

    p->user = maps_sqlcf_get(p->cf, "user", "");
    p->password = maps_sqlcf_get(p->cf, "password", "");
    p->dbname = maps_sqlcf_get(p->cf, "dbname", "");
    p->encoding = maps_sqlcf_get(p->cf, "encoding", "UTF8");
    mode = maps_sqlcf_get(p->cf, "statement_mode", "legacy");
    if (strcmp(mode, "legacy") != 0) {
        snprintf(err, len, "%s: statement_mode %s is not supported",
                 maps_sqlcf_path(p->cf), mode);
        return -1;
    }
    if (maps_sqlcf_int(p->cf, "retry_interval", 60, 1, &p->retry, err, len) <
            0 ||
        maps_sqlcf_int(p->cf, "idle_interval", 60, 1, &p->idle, err, len) < 0)
        return -1;
    if (maps_sqlq_init(&p->q, "pgsql", p->cf, 1, err, len) < 0)
        return -1;
    if (*p->dbname == 0) {
        snprintf(err, len, "%s: dbname parameter not defined",
                 maps_sqlcf_path(p->cf));
        return -1;
    }
    p->nhosts = maps_sqlhosts_parse(maps_sqlcf_get(p->cf, "hosts", ""),
                                    "localhost", 0, &p->hosts);
    if (p->nhosts == 1) { /* Postfix: "Don't blacklist the load balancer" */
        p->hosts = mem_realloc(p->hosts, 2 * sizeof(*p->hosts));
        p->hosts[1] = p->hosts[0];
        p->hosts[1].spec = mem_strdup(p->hosts[0].spec);
        p->hosts[1].name = mem_strdup(p->hosts[0].name);
        p->hosts[1].port =
            p->hosts[0].port ? mem_strdup(p->hosts[0].port) : NULL;
        p->nhosts = 2;
    }
    return 0;
}

static void *
pgsql_open(const char *name, unsigned flags, char *err, size_t errlen)
{
    struct pgsql *p = mem_calloc(1, sizeof(*p));

    (void) flags;
    if ((p->cf = maps_sqlcf_load(name, err, errlen)) == NULL ||
        setup(p, err, errlen) < 0) {
        pgsql_close(p);
        return NULL;
    }
    return p;
}

static void
down(struct pgsql *p, struct maps_sqlhost *h)
{
    if (h->conn)
        PQfinish(h->conn);
    maps_sqlhost_down(h, p->retry);
}

/* active - a connected host: one already open, else the next one that
 * accepts a connection (Postfix's dict_pgsql_get_active) */
static struct maps_sqlhost *
active(struct pgsql *p)
{
    struct maps_sqlhost *h;

    if (p->last && time(NULL) - p->last > p->idle)
        for (size_t i = 0; i < p->nhosts; i++)
            if (p->hosts[i].stat == SQLH_ACTIVE) {
                PQfinish(p->hosts[i].conn);
                p->hosts[i].conn = NULL;
                p->hosts[i].stat = SQLH_UNTRIED;
            }
    if ((h = maps_sqlhosts_pick(p->hosts, p->nhosts, 1)) != NULL)
        return h;
    while ((h = maps_sqlhosts_pick(p->hosts, p->nhosts, 0)) != NULL) {
        PGconn *c = PQsetdbLogin(h->name[0] ? h->name : NULL, h->port, NULL,
                                 NULL, p->dbname, p->user, p->password);

        h->conn = c;
        if (c == NULL || PQstatus(c) != CONNECTION_OK) {
            char msg[300];

            snprintf(msg, sizeof(msg), "%s",
                     c ? PQerrorMessage(c) : "PQsetdbLogin failed");
            msg[strcspn(msg, "\n")] = 0;
            log_warn("connect to pgsql server %s: %s", h->spec, msg);
            down(p, h);
            continue;
        }
        if (PQsetClientEncoding(c, p->encoding) != 0) {
            log_warn("dict_pgsql: cannot set the encoding to %s, skipping %s",
                     p->encoding, h->spec);
            down(p, h);
            continue;
        }
        h->stat = SQLH_ACTIVE;
        return h;
    }
    return NULL;
}

static int
quote(void *ctx, const char *s, struct buf *out)
{
    PGconn *c = ctx;
    size_t n = strlen(s);
    int e = 0;

    if (buf_reserve(out, 2 * n + 1) < 0)
        return -1;
    out->len += PQescapeStringConn(c, out->data + out->len, s, n, &e);
    out->data[out->len] = 0;
    return e ? -1 : 0;
}

/* run - the query for key on the first host that answers; NULL when
 * none does */
static PGresult *
run(struct pgsql *p, const char *key)
{
    struct maps_sqlhost *h;
    struct buf query;
    PGresult *res = NULL;

    buf_init(&query, 0);
    while ((h = active(p)) != NULL) {
        buf_truncate(&query, 0);
        if (maps_sqlq_expand(&p->q, p->q.query, key, NULL, &query, quote,
                             h->conn) < 0) {
            log_warn("dict pgsql: (host %s) cannot escape input string: %s",
                     h->spec, PQerrorMessage(h->conn));
            down(p, h);
            continue;
        }
        res = PQexec(h->conn, buf_str(&query));
        if (res && (PQresultStatus(res) == PGRES_TUPLES_OK ||
                    PQresultStatus(res) == PGRES_COMMAND_OK)) {
            p->last = time(NULL);
            break;
        }
        if (res == NULL || PQresultStatus(res) == PGRES_FATAL_ERROR) {
            char msg[300];

            snprintf(msg, sizeof(msg), "%s",
                     res ? PQresultErrorMessage(res) : PQerrorMessage(h->conn));
            msg[strcspn(msg, "\n")] = 0;
            log_warn("pgsql query failed: fatal error from host %s: %s",
                     h->spec, msg);
        } else if (PQresultStatus(res) == PGRES_BAD_RESPONSE)
            log_warn("pgsql query failed: protocol error, host %s", h->spec);
        else
            log_warn("pgsql query failed: unknown code 0x%lx from host %s",
                     (unsigned long) PQresultStatus(res), h->spec);
        if (res)
            PQclear(res);
        res = NULL;
        down(p, h);
    }
    buf_fini(&query);
    return res;
}

static enum maps_result
pgsql_find(void *hp, const char *key, struct buf *out, char *err, size_t errlen)
{
    struct pgsql *p = hp;
    struct buf probe;
    PGresult *res;
    int n = 0, d, over = 0;

    if ((d = maps_sqlq_domain(&p->q, key)) <= 0) {
        if (d < 0)
            snprintf(err, errlen, "domain list lookup error");
        return d < 0 ? MAPS_ERROR : MAPS_NOTFOUND;
    }
    buf_init(&probe, 0); /* the key has what the query needs */
    d = maps_sqlq_expand(&p->q, p->q.query, key, NULL, &probe, NULL, NULL);
    buf_fini(&probe);
    if (d == 0)
        return MAPS_NOTFOUND;
    if ((res = run(p, key)) == NULL) {
        snprintf(err, errlen, "no pgsql server of %s answers",
                 maps_sqlcf_path(p->cf));
        return MAPS_ERROR;
    }
    for (int i = 0; i < PQntuples(res) && !over; i++)
        for (int j = 0; j < PQnfields(res) && !over; j++) {
            const char *v =
                PQgetisnull(res, i, j) ? NULL : PQgetvalue(res, i, j);

            if (maps_sqlq_expand(&p->q, p->q.result_format, v, key, out, NULL,
                                 NULL) > 0 &&
                p->q.expansion_limit > 0 && ++n > p->q.expansion_limit) {
                log_warn("dict_pgsql_lookup: %s: Expansion limit exceeded for "
                         "key: '%s'",
                         maps_sqlcf_path(p->cf), key);
                over = 1;
            }
        }
    PQclear(res);
    if (over) {
        snprintf(err, errlen, "expansion limit exceeded for key '%s'", key);
        return MAPS_ERROR;
    }
    return out->len > 0 ? MAPS_FOUND : MAPS_NOTFOUND;
}

static void
pgsql_close(void *hp)
{
    struct pgsql *p = hp;

    if (p == NULL)
        return;
    for (size_t i = 0; i < p->nhosts; i++)
        if (p->hosts[i].conn)
            PQfinish(p->hosts[i].conn);
    maps_sqlhosts_free(p->hosts, p->nhosts);
    maps_sqlq_fini(&p->q);
    maps_sqlcf_free(p->cf);
    mem_free(p);
}

static int
pgsql_check(const char *name, char *why, size_t len)
{
    struct pgsql *p = mem_calloc(1, sizeof(*p));
    int rc = -1;

    if ((p->cf = maps_sqlcf_load(name, why, len)) != NULL &&
        maps_sqlcf_known(p->cf, pgsql_names, why, len) == 0 &&
        setup(p, why, len) == 0)
        rc = 0;
    pgsql_close(p);
    return rc;
}

const struct maps_driver maps_pgsql_driver = {
    .type = "pgsql",
    .flags = MAPS_DRV_FILE,
    .open = pgsql_open,
    .find = pgsql_find,
    .close = pgsql_close,
    .check = pgsql_check,
};
