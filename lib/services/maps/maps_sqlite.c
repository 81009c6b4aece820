/*
 * maps_sqlite - sqlite: tables (SQLite 3), Postfix's dict_sqlite: a .cf
 *	file with dbpath, query (or the legacy table/select_field/
 *	where_field/additional_conditions), result_format, domain and
 *	expansion_limit. Keys are quoted as sqlite3_mprintf's %q does
 *	(a ' doubled). The database is opened read-only at the first
 *	lookup and kept open; a database that cannot be opened or read is
 *	a temporary failure (MAPS_ERROR), never "not found".
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "maps/maps_sql_int.h"

struct sqlitet {
    struct maps_sqlcf *cf;
    struct maps_sqlq q;
    const char *dbpath;
    sqlite3 *db;
};

static const char *const sqlite_names[] = {"dbpath", NULL};

static void lite_close(void *h);

static int
setup(struct sqlitet *p, char *err, size_t len)
{
    p->dbpath = maps_sqlcf_get(p->cf, "dbpath", "");
    if (*p->dbpath == 0) {
        snprintf(err, len, "%s: dbpath parameter not defined",
                 maps_sqlcf_path(p->cf));
        return -1;
    }
    return maps_sqlq_init(&p->q, "sqlite", p->cf, 0, err, len);
}

static void *
lite_open(const char *name, unsigned flags, char *err, size_t errlen)
{
    struct sqlitet *p = mem_calloc(1, sizeof(*p));

    (void) flags;
    if ((p->cf = maps_sqlcf_load(name, err, errlen)) == NULL ||
        setup(p, err, errlen) < 0) {
        lite_close(p);
        return NULL;
    }
    return p;
}

static int
quote(void *ctx, const char *s, struct buf *out)
{
    (void) ctx;
    for (; *s; s++)
        if ((*s == '\'' && buf_putc(out, '\'') < 0) || buf_putc(out, *s) < 0)
            return -1;
    return 0;
}

/* rows - each column of each row of stmt through result_format into
 * out (the first column of each row, as Postfix); 0, or -1 with the
 * reason */
static int
rows(struct sqlitet *p, sqlite3_stmt *stmt, const char *key, struct buf *out,
     char *err, size_t errlen)
{
    const char *v;
    int st, n = 0;

    while ((st = sqlite3_step(stmt)) != SQLITE_DONE) {
        if (st != SQLITE_ROW) {
            log_warn("%s: read error: %s", maps_sqlcf_path(p->cf),
                     sqlite3_errmsg(p->db));
            snprintf(err, errlen, "read error: %s", sqlite3_errmsg(p->db));
            return -1;
        }
        /* the first column only, as Postfix's dict_sqlite */
        v = (const char *) sqlite3_column_text(stmt, 0);
        if (maps_sqlq_expand(&p->q, p->q.result_format, v, key, out, NULL,
                             NULL) > 0 &&
            p->q.expansion_limit > 0 && ++n > p->q.expansion_limit) {
            log_warn("dict_sqlite_lookup: %s: Expansion limit exceeded "
                     "for key: '%s'",
                     maps_sqlcf_path(p->cf), key);
            snprintf(err, errlen, "expansion limit exceeded for key '%s'", key);
            return -1;
        }
    }
    return 0;
}

static enum maps_result
lite_find(void *hp, const char *key, struct buf *out, char *err, size_t errlen)
{
    struct sqlitet *p = hp;
    struct buf query;
    sqlite3_stmt *stmt = NULL;
    enum maps_result r = MAPS_ERROR;
    int d;

    if ((d = maps_sqlq_domain(&p->q, key)) <= 0) {
        if (d < 0)
            snprintf(err, errlen, "domain list lookup error");
        return d < 0 ? MAPS_ERROR : MAPS_NOTFOUND;
    }
    buf_init(&query, 0);
    if ((d = maps_sqlq_expand(&p->q, p->q.query, key, NULL, &query, quote,
                              NULL)) <= 0) {
        buf_fini(&query);
        return MAPS_NOTFOUND;
    }
    if (p->db == NULL &&
        sqlite3_open_v2(p->dbpath, &p->db, SQLITE_OPEN_READONLY, NULL) !=
            SQLITE_OK) {
        log_warn("sqlite:%s: Can't open database: %s", maps_sqlcf_path(p->cf),
                 p->db ? sqlite3_errmsg(p->db) : "out of memory");
        snprintf(err, errlen, "cannot open database %s", p->dbpath);
        sqlite3_close(p->db);
        p->db = NULL;
        goto out;
    }
    if (sqlite3_prepare_v2(p->db, buf_str(&query), -1, &stmt, NULL) !=
        SQLITE_OK) {
        log_warn("%s: SQL prepare failed: %s", maps_sqlcf_path(p->cf),
                 sqlite3_errmsg(p->db));
        snprintf(err, errlen, "SQL prepare failed: %s", sqlite3_errmsg(p->db));
        /* a database replaced or gone: open it again next time */
        sqlite3_close(p->db);
        p->db = NULL;
        goto out;
    }
    if (rows(p, stmt, key, out, err, errlen) == 0)
        r = out->len > 0 ? MAPS_FOUND : MAPS_NOTFOUND;
out:
    if (stmt)
        sqlite3_finalize(stmt);
    buf_fini(&query);
    return r;
}

static void
lite_close(void *hp)
{
    struct sqlitet *p = hp;

    if (p == NULL)
        return;
    if (p->db)
        sqlite3_close(p->db);
    maps_sqlq_fini(&p->q);
    maps_sqlcf_free(p->cf);
    mem_free(p);
}

static int
lite_check(const char *name, char *why, size_t len)
{
    struct sqlitet *p = mem_calloc(1, sizeof(*p));
    int rc = -1;

    if ((p->cf = maps_sqlcf_load(name, why, len)) != NULL &&
        maps_sqlcf_known(p->cf, sqlite_names, why, len) == 0 &&
        setup(p, why, len) == 0)
        rc = 0;
    lite_close(p);
    return rc;
}

const struct maps_driver maps_sqlite_driver = {
    .type = "sqlite",
    .flags = MAPS_DRV_FILE,
    .open = lite_open,
    .find = lite_find,
    .close = lite_close,
    .check = lite_check,
};
