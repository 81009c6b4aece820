/*
 * maps_sql_int - what the SQL table drivers (pgsql:, mysql:, sqlite:)
 *	share: Postfix's cfg_parser (a .cf file of "name = value" lines)
 *	and db_common (query and result templates, the domain list, the
 *	legacy select_field/table/where_field form, the host list).
 *	Private to lib/services/maps (maps_sqlcf.c, maps_sqlq.c).
 */
#ifndef MAPS_MAPS_SQL_INT_H
#define MAPS_MAPS_SQL_INT_H

#include <stddef.h>
#include <time.h>

#include "maps/maps_int.h"

/* a .cf file read whole: settings in file order */
struct maps_sqlcf;
/* maps_sqlcf_load - read path ("name = value", '#' comments, lines that
 * start with white space continue the previous one); NULL with the
 * reason in err */
struct maps_sqlcf *maps_sqlcf_load(const char *path, char *err, size_t len);
void maps_sqlcf_free(struct maps_sqlcf *cf);
/* maps_sqlcf_get - the value of name (the last one given), or def;
 * borrowed, lives with cf */
const char *maps_sqlcf_get(const struct maps_sqlcf *cf, const char *name,
                           const char *def);
/* maps_sqlcf_int - an integer setting >= min: 0, or -1 with the reason */
int maps_sqlcf_int(const struct maps_sqlcf *cf, const char *name, int def,
                   int min, int *out, char *err, size_t len);
/* maps_sqlcf_bool - "yes"/"no" (Postfix's cfg_get_bool): 0, or -1 */
int maps_sqlcf_bool(const struct maps_sqlcf *cf, const char *name, int def,
                    int *out, char *err, size_t len);
/* maps_sqlcf_known - the first setting not in the NULL-terminated list
 * names: 0 when all are known, or -1 with "FILE, line N: unknown
 * setting NAME" in why */
int maps_sqlcf_known(const struct maps_sqlcf *cf, const char *const *names,
                     char *why, size_t len);
/* maps_sqlcf_path - the file's name */
const char *maps_sqlcf_path(const struct maps_sqlcf *cf);

/* the settings every SQL type reads (db_common); NULL-terminated */
extern const char *const maps_sql_common_names[];

/* query and result templates of one table (Postfix's db_common ctx) */
struct maps_sqlq {
    const char *type; /* "pgsql" */
    char *name;       /* the .cf file */
    char *query;
    char *result_format;
    unsigned flags; /* SQLQ_* */
    int nparts;     /* highest %[1-9] */
    int expansion_limit;
    struct maps_match *domain; /* keys restricted to these domains */
};

/* maps_sqlq_init - templates of cf (query, or the legacy form: with
 * select_function when legacy_fn, as pgsql), result_format, domain and
 * expansion_limit; 0, or -1 with the reason (a bad template, a missing
 * legacy setting) */
int maps_sqlq_init(struct maps_sqlq *q, const char *type,
                   const struct maps_sqlcf *cf, int legacy_fn, char *err,
                   size_t len);
void maps_sqlq_fini(struct maps_sqlq *q);
/* maps_sqlq_domain - db_common_check_domain: 1 the key may be queried,
 * 0 not (no domain, or one the list does not have), -1 the list's
 * table failed */
int maps_sqlq_domain(struct maps_sqlq *q, const char *key);

/* maps_sql_quote_fn - append s to out, escaped for the server */
typedef int maps_sql_quote_fn(void *ctx, const char *s, struct buf *out);
/* maps_sqlq_expand - db_common_expand: format with %s %u %d %[1-9] %S
 * %U %D %% filled from value (the key for a query, NULL key; a column
 * for a result, with key). Results after the first are joined with
 * ','. 1 appended, 0 skipped (NULL or empty value, a key or value
 * without the parts the template needs), -1 quoting failed */
int maps_sqlq_expand(struct maps_sqlq *q, const char *format, const char *value,
                     const char *key, struct buf *out, maps_sql_quote_fn *quote,
                     void *qctx);

/* one server of a "hosts" setting, with Postfix's fail-over state */
enum { SQLH_UNTRIED, SQLH_ACTIVE, SQLH_FAIL };
struct maps_sqlhost {
    char *spec;   /* as written: "inet:db1:5432" */
    char *name;   /* host name or socket path ("" for the default) */
    char *port;   /* or NULL */
    int unix_dom; /* a socket path */
    int stat;     /* SQLH_* */
    time_t ts;    /* SQLH_FAIL: not tried again before this */
    void *conn;   /* the driver's connection */
};
/* maps_sqlhosts_parse - the hosts setting (separated by white space or
 * commas; def when empty) into *hosts: "unix:/path", "inet:host:port",
 * "host", "host:port", "/path"; unix_prefix_only: only "unix:" makes a
 * socket (mysql), else a name starting with '/' does (pgsql) */
size_t maps_sqlhosts_parse(const char *spec, const char *def,
                           int unix_prefix_only, struct maps_sqlhost **hosts);
void maps_sqlhosts_free(struct maps_sqlhost *h, size_t n);
/* maps_sqlhosts_pick - Postfix's fail-over: a connected host (sockets
 * first), else an untried or retry-due failed one chosen at random
 * (sockets first); NULL when none is left */
struct maps_sqlhost *maps_sqlhosts_pick(struct maps_sqlhost *h, size_t n,
                                        int want_active);
/* maps_sqlhost_down - mark h failed for retry seconds (its connection
 * must be closed by the caller first) */
void maps_sqlhost_down(struct maps_sqlhost *h, int retry);

/* the drivers (maps_pgsql.c, maps_mysql.c, maps_sqlite.c), listed in
 * maps_drivers.c */
extern const struct maps_driver maps_pgsql_driver;
extern const struct maps_driver maps_mysql_driver;
extern const struct maps_driver maps_sqlite_driver;

#endif
