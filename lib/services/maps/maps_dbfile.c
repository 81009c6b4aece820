/*
 * maps_dbfile - the table drivers of hash:, btree:, lmdb: and cdb:
 *	(struct maps_driver) on the file formats of maps_db.c, maps_lmdb.c
 *	and maps_cdb.c.
 *
 *	A table type:NAME reads NAME.db (.lmdb, .cdb) as Postfix does, with
 *	Postfix's warning when it is older than the source file NAME.
 *	Postern's convenience: when the database file does not exist, the
 *	source file NAME is read instead, with a warning that says to run
 *	postmap (Postfix would fail the table).
 */
#include "maps/maps_dbfile.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const struct maps_dbops *
maps_dbops_of(const char *type)
{
    static const struct maps_dbops *const all[] = {
        &maps_db_hash_ops, &maps_db_btree_ops, &maps_lmdb_ops, &maps_cdb_ops};

    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        if (strcmp(all[i]->type, type) == 0)
            return all[i];
    return NULL;
}

char *
maps_dbfile_watch(const char *type, const char *name)
{
    const struct maps_dbops *ops = maps_dbops_of(type);
    struct buf b;

    buf_init(&b, 0);
    (void) buf_puts(&b, name);
    if (ops) {
        (void) buf_puts(&b, ops->suffix);
        if (access(buf_str(&b), F_OK) < 0)
            buf_truncate(&b, strlen(name));
    }
    return buf_steal(&b);
}

int
maps_dbfile_appeared(const char *type, const char *name, const char *watched)
{
    const struct maps_dbops *ops = maps_dbops_of(type);
    char path[4200];

    if (ops == NULL || watched == NULL || strcmp(watched, name) != 0)
        return 0;
    snprintf(path, sizeof(path), "%s%s", name, ops->suffix);
    return access(path, F_OK) == 0;
}

int
maps_db_get(const struct maps_dbops *ops, void *h, const char *key,
            int *learned, struct buf *out, char *err, size_t errlen)
{
    size_t kl = strlen(key);
    const char *v = NULL;
    size_t vl = 0;
    int rc = 0, first = ops->nul;

    /* as dict_db: both forms until a key is found, then the file's own
     * (*learned: 0 not yet, 1 with the NUL, 2 without) */
    if (*learned)
        first = *learned == 1;
    rc = ops->get(h, key, kl + (size_t) first, &v, &vl, err, errlen);
    if (rc == 1 && !*learned)
        *learned = first ? 1 : 2;
    if (rc == 0 && !*learned) {
        rc = ops->get(h, key, kl + (size_t) !first, &v, &vl, err, errlen);
        if (rc == 1)
            *learned = first ? 2 : 1;
    }
    if (rc != 1)
        return rc;
    if (vl && v[vl - 1] == 0)
        vl--;
    buf_truncate(out, 0);
    (void) buf_append(out, v, vl);
    return 1;
}

struct dbt {
    const struct maps_dbops *ops;
    void *h;          /* the database file */
    struct htab *src; /* or its source, when the file is missing */
    int learned;      /* maps_db_get's */
};

struct src_ctx {
    struct htab *h;
    unsigned flags;
};

static void
src_entry(void *ctx, char *key, const char *value, int line)
{
    struct src_ctx *c = ctx;

    (void) line;
    if (!(c->flags & MAPS_F_NOFOLD))
        maps_fold(key);
    if (!htab_has(c->h, key))
        htab_set(c->h, key, mem_strdup(value));
}

static void *
dbt_open(const struct maps_dbops *ops, const char *name, unsigned flags,
         char *err, size_t errlen)
{
    char path[4200];
    struct stat db, src;
    struct dbt *t;

    snprintf(path, sizeof(path), "%s%s", name, ops->suffix);
    t = mem_calloc(1, sizeof(*t));
    t->ops = ops;
    if (stat(path, &db) == 0) {
        if ((t->h = ops->open(path, MAPS_DB_READ, err, errlen)) == NULL) {
            mem_free(t);
            return NULL;
        }
        /* as dict_db: not while the source was just saved (100 s) */
        if (stat(name, &src) == 0 && src.st_mtime > db.st_mtime &&
            src.st_mtime < time(NULL) - 100)
            log_warn("database %s is older than source file %s", path, name);
        return t;
    }
    if (errno != ENOENT || stat(name, &src) < 0) {
        snprintf(err, errlen, "open database %s: %s", path, strerror(errno));
        mem_free(t);
        return NULL;
    }
    /* Postern's convenience: the source, as texthash: would read it */
    log_warn("database %s is missing: reading source file %s instead; "
             "run \"postmap %s:%s\"",
             path, name, ops->type, name);
    {
        struct src_ctx c = {htab_new(64), flags};

        if (maps_parse_source(name, (flags & MAPS_F_ALIAS) != 0, src_entry,
                              NULL, &c) < 0) {
            snprintf(err, errlen, "open %s: %s", name, strerror(errno));
            htab_free(c.h, mem_free);
            mem_free(t);
            return NULL;
        }
        t->src = c.h;
    }
    return t;
}

static enum maps_result
dbt_find(void *vt, const char *key, struct buf *out, char *err, size_t errlen)
{
    struct dbt *t = vt;
    int rc;

    if (t->src) {
        const char *v = htab_find(t->src, key);

        if (v == NULL)
            return MAPS_NOTFOUND;
        (void) buf_puts(out, v);
        return MAPS_FOUND;
    }
    rc = maps_db_get(t->ops, t->h, key, &t->learned, out, err, errlen);
    return rc == 1 ? MAPS_FOUND : rc == 0 ? MAPS_NOTFOUND : MAPS_ERROR;
}

static void
dbt_close(void *vt)
{
    struct dbt *t = vt;
    char err[256];

    if (t->h)
        (void) t->ops->close(t->h, 0, err, sizeof(err));
    if (t->src)
        htab_free(t->src, mem_free);
    mem_free(t);
}

/* dbt_check - for "postern check": the database file or its source */
static int
dbt_check(const struct maps_dbops *ops, const char *name, char *why, size_t len)
{
    char path[4200];

    snprintf(path, sizeof(path), "%s%s", name, ops->suffix);
    if (name[0] != '/' || access(path, R_OK) == 0)
        return 0;
    if (access(name, R_OK) == 0) {
        log_warn("database %s is missing: Postern reads source file %s "
                 "instead; run \"postmap %s:%s\"",
                 path, name, ops->type, name);
        return 0;
    }
    snprintf(why, len, "open database %s: %s; source %s: %s", path,
             strerror(ENOENT), name, strerror(errno));
    return -1;
}

#define DBT_DRIVER(T, OPS)                                             \
    static void *T##_open(const char *name, unsigned flags, char *err, \
                          size_t errlen)                               \
    {                                                                  \
        return dbt_open(&OPS, name, flags, err, errlen);               \
    }                                                                  \
    static int T##_check(const char *name, char *why, size_t len)      \
    {                                                                  \
        return dbt_check(&OPS, name, why, len);                        \
    }                                                                  \
    const struct maps_driver maps_##T##_driver = {                     \
        #T, MAPS_DRV_FILE, T##_open, dbt_find, dbt_close, T##_check,   \
    };

DBT_DRIVER(hash, maps_db_hash_ops)
DBT_DRIVER(btree, maps_db_btree_ops)
DBT_DRIVER(lmdb, maps_lmdb_ops)
DBT_DRIVER(cdb, maps_cdb_ops)
