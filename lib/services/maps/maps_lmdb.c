/*
 * maps_lmdb - lmdb: tables (NAME.lmdb), as Postfix's dict_lmdb writes
 *	them with liblmdb: one file (MDB_NOSUBDIR), no lock file
 *	(MDB_NOLOCK: Postfix locks the file itself with flock(2), shared
 *	for a lookup, exclusive for an update; so do we), the unnamed
 *	database, keys and values with a trailing NUL (maps_dbfile.c).
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "maps/maps_dbfile.h"

struct lmh {
    MDB_env *env;
    MDB_txn *txn; /* writing: the one transaction; reading: reset */
    MDB_dbi dbi;
    MDB_cursor *cur;
    int fd;
    int write;
    struct buf copy; /* a value read under the lock */
};

static void *
lm_fail(struct lmh *h, char *err, size_t errlen, const char *what,
        const char *path, int rc)
{
    snprintf(err, errlen, "%s %s: %s", what, path, mdb_strerror(rc));
    if (h->txn)
        mdb_txn_abort(h->txn);
    mdb_env_close(h->env);
    mem_free(h);
    return NULL;
}

static void *
lm_open(const char *path, int mode, char *err, size_t errlen)
{
    struct lmh *h = mem_calloc(1, sizeof(*h));
    unsigned flags = MDB_NOSUBDIR | MDB_NOLOCK;
    struct stat st;
    size_t size = (size_t) 16 << 20;
    int rc;

    h->write = mode != MAPS_DB_READ;
    buf_init(&h->copy, 0);
    if (mode == MAPS_DB_READ)
        flags |= MDB_RDONLY;
    if ((rc = mdb_env_create(&h->env)) != 0) {
        snprintf(err, errlen, "mdb_env_create: %s", mdb_strerror(rc));
        mem_free(h);
        return NULL;
    }
    /* room for the file as it is and as much again (Postfix grows the
     * map on MDB_MAP_FULL; a build rarely doubles a table) */
    if (stat(path, &st) == 0 && (size_t) st.st_size * 2 > size)
        size = (size_t) st.st_size * 2;
    if (h->write)
        size += (size_t) 1 << 30;
    (void) mdb_env_set_mapsize(h->env, size);
    if (mode == MAPS_DB_READ && stat(path, &st) < 0) {
        snprintf(err, errlen, "open database %s: %s", path, strerror(errno));
        mdb_env_close(h->env);
        mem_free(h);
        return NULL;
    }
    if ((rc = mdb_env_open(h->env, path, flags, 0644)) != 0)
        return lm_fail(h, err, errlen, "open database", path, rc);
    if ((rc = mdb_env_get_fd(h->env, &h->fd)) != 0)
        return lm_fail(h, err, errlen, "open database", path, rc);
    if ((rc = mdb_txn_begin(h->env, NULL, h->write ? 0 : MDB_RDONLY,
                            &h->txn)) != 0 ||
        (rc = mdb_dbi_open(h->txn, NULL, 0, &h->dbi)) != 0)
        return lm_fail(h, err, errlen, "open database", path, rc);
    if (!h->write)
        mdb_txn_reset(h->txn);
    return h;
}

static int
lm_get(void *vh, const char *k, size_t kl, const char **v, size_t *vl,
       char *err, size_t errlen)
{
    struct lmh *h = vh;
    MDB_val key = {kl, (void *) (uintptr_t) k}, val;
    int rc;

    if (!h->write) {
        while (flock(h->fd, LOCK_SH) < 0)
            if (errno != EINTR) {
                snprintf(err, errlen, "lock database: %s", strerror(errno));
                return -1;
            }
        if ((rc = mdb_txn_renew(h->txn)) != 0) {
            (void) flock(h->fd, LOCK_UN);
            snprintf(err, errlen, "read database: %s", mdb_strerror(rc));
            return -1;
        }
    }
    rc = mdb_get(h->txn, h->dbi, &key, &val);
    if (!h->write) {
        /* copied while locked: an update (postmap -i) may reuse the page */
        if (rc == 0) {
            buf_truncate(&h->copy, 0);
            (void) buf_append(&h->copy, val.mv_data, val.mv_size);
            val.mv_data = buf_data(&h->copy);
        }
        mdb_txn_reset(h->txn);
        (void) flock(h->fd, LOCK_UN);
    }
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc != 0) {
        snprintf(err, errlen, "read database: %s", mdb_strerror(rc));
        return -1;
    }
    *v = val.mv_data;
    *vl = val.mv_size;
    return 1;
}

static int
lm_put(void *vh, const char *k, size_t kl, const char *v, size_t vl,
       int replace, char *err, size_t errlen)
{
    struct lmh *h = vh;
    MDB_val key = {kl, (void *) (uintptr_t) k},
            val = {vl, (void *) (uintptr_t) v};
    int rc = mdb_put(h->txn, h->dbi, &key, &val, replace ? 0 : MDB_NOOVERWRITE);

    if (rc == MDB_KEYEXIST)
        return 1;
    if (rc != 0) {
        snprintf(err, errlen, "write database: %s", mdb_strerror(rc));
        return -1;
    }
    return 0;
}

static int
lm_del(void *vh, const char *k, size_t kl, char *err, size_t errlen)
{
    struct lmh *h = vh;
    MDB_val key = {kl, (void *) (uintptr_t) k};
    int rc = mdb_del(h->txn, h->dbi, &key, NULL);

    if (rc == MDB_NOTFOUND)
        return 1;
    if (rc != 0) {
        snprintf(err, errlen, "delete from database: %s", mdb_strerror(rc));
        return -1;
    }
    return 0;
}

static int
lm_next(void *vh, int first, const char **k, size_t *kl, const char **v,
        size_t *vl, char *err, size_t errlen)
{
    struct lmh *h = vh;
    MDB_val key, val;
    int rc;

    if (first && h->cur == NULL) {
        if (!h->write && (rc = mdb_txn_renew(h->txn)) != 0) {
            snprintf(err, errlen, "read database: %s", mdb_strerror(rc));
            return -1;
        }
        if ((rc = mdb_cursor_open(h->txn, h->dbi, &h->cur)) != 0) {
            snprintf(err, errlen, "database cursor: %s", mdb_strerror(rc));
            return -1;
        }
    }
    if (h->cur == NULL)
        return 0;
    rc = mdb_cursor_get(h->cur, &key, &val, first ? MDB_FIRST : MDB_NEXT);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc != 0) {
        snprintf(err, errlen, "read database: %s", mdb_strerror(rc));
        return -1;
    }
    *k = key.mv_data;
    *kl = key.mv_size;
    *v = val.mv_data;
    *vl = val.mv_size;
    return 1;
}

static int
lm_close(void *vh, int commit, char *err, size_t errlen)
{
    struct lmh *h = vh;
    int rc = 0, r;

    if (h->cur)
        mdb_cursor_close(h->cur);
    if (h->write && commit) {
        if ((r = mdb_txn_commit(h->txn)) != 0) {
            snprintf(err, errlen, "write database: %s", mdb_strerror(r));
            rc = -1;
        } else if ((r = mdb_env_sync(h->env, 1)) != 0) {
            snprintf(err, errlen, "fsync database: %s", mdb_strerror(r));
            rc = -1;
        }
    } else {
        mdb_txn_abort(h->txn);
    }
    mdb_env_close(h->env);
    buf_fini(&h->copy);
    mem_free(h);
    return rc;
}

const struct maps_dbops maps_lmdb_ops = {
    "lmdb", ".lmdb", 1,      1,       1,        lm_open,
    lm_get, lm_put,  lm_del, lm_next, lm_close,
};
