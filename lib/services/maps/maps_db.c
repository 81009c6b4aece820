/*
 * maps_db - hash: and btree: tables in Berkeley DB files (NAME.db), as
 *	Postfix's dict_db writes them with libdb5.3: DB_HASH or DB_BTREE,
 *	keys and values with a trailing NUL (maps_dbfile.c adds it), no
 *	environment. Readers and writers lock the file with flock(2), shared
 *	or exclusive, around each access, as dict_db does with
 *	DICT_FLAG_LOCK.
 */
#define _DEFAULT_SOURCE 1 /* u_int in db.h */
#include <sys/file.h>

#include <db.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "maps/maps_dbfile.h"

struct dbh {
    DB *db;
    DBC *cur;
    int fd;
    int write;
};

static void
db_why(char *err, size_t errlen, const char *what, int rc)
{
    snprintf(err, errlen, "%s: %s", what, db_strerror(rc));
}

static void *
db_open(const char *path, int mode, DBTYPE type, char *err, size_t errlen)
{
    struct dbh *h = mem_calloc(1, sizeof(*h));
    u_int32_t flags = mode == MAPS_DB_READ     ? DB_RDONLY
                      : mode == MAPS_DB_CREATE ? DB_CREATE | DB_EXCL
                                               : DB_CREATE;
    int rc;

    h->write = mode != MAPS_DB_READ;
    if ((rc = db_create(&h->db, NULL, 0)) != 0) {
        db_why(err, errlen, "db_create", rc);
        mem_free(h);
        return NULL;
    }
    (void) h->db->set_cachesize(
        h->db, 0, mode == MAPS_DB_CREATE ? 16u << 20 : 128u << 10, 0);
    if ((rc = h->db->open(h->db, NULL, path, NULL, type, flags, 0644)) != 0) {
        snprintf(err, errlen, "open database %s: %s", path,
                 rc > 0 ? strerror(rc) : db_strerror(rc));
        (void) h->db->close(h->db, 0);
        mem_free(h);
        return NULL;
    }
    if ((rc = h->db->fd(h->db, &h->fd)) != 0) {
        db_why(err, errlen, "get database file descriptor", rc);
        (void) h->db->close(h->db, 0);
        mem_free(h);
        return NULL;
    }
    return h;
}

static void *
hash_open(const char *path, int mode, char *err, size_t errlen)
{
    return db_open(path, mode, DB_HASH, err, errlen);
}

static void *
btree_open(const char *path, int mode, char *err, size_t errlen)
{
    return db_open(path, mode, DB_BTREE, err, errlen);
}

static int
lock(struct dbh *h, int op, char *err, size_t errlen)
{
    while (flock(h->fd, op) < 0)
        if (errno != EINTR) {
            snprintf(err, errlen, "lock database: %s", strerror(errno));
            return -1;
        }
    return 0;
}

static int
db_get(void *vh, const char *k, size_t kl, const char **v, size_t *vl,
       char *err, size_t errlen)
{
    struct dbh *h = vh;
    DBT key, val;
    int rc;

    memset(&key, 0, sizeof(key));
    memset(&val, 0, sizeof(val));
    key.data = (void *) (uintptr_t) k;
    key.size = (u_int32_t) kl;
    if (!h->write && lock(h, LOCK_SH, err, errlen) < 0)
        return -1;
    rc = h->db->get(h->db, NULL, &key, &val, 0);
    if (!h->write)
        (void) flock(h->fd, LOCK_UN);
    if (rc == DB_NOTFOUND)
        return 0;
    if (rc != 0) {
        db_why(err, errlen, "read database", rc);
        return -1;
    }
    *v = val.data;
    *vl = val.size;
    return 1;
}

static int
db_put(void *vh, const char *k, size_t kl, const char *v, size_t vl,
       int replace, char *err, size_t errlen)
{
    struct dbh *h = vh;
    DBT key, val;
    int rc;

    memset(&key, 0, sizeof(key));
    memset(&val, 0, sizeof(val));
    key.data = (void *) (uintptr_t) k;
    key.size = (u_int32_t) kl;
    val.data = (void *) (uintptr_t) v;
    val.size = (u_int32_t) vl;
    rc = h->db->put(h->db, NULL, &key, &val, replace ? 0 : DB_NOOVERWRITE);
    if (rc == DB_KEYEXIST)
        return 1;
    if (rc != 0) {
        db_why(err, errlen, "write database", rc);
        return -1;
    }
    return 0;
}

static int
db_del(void *vh, const char *k, size_t kl, char *err, size_t errlen)
{
    struct dbh *h = vh;
    DBT key;
    int rc;

    memset(&key, 0, sizeof(key));
    key.data = (void *) (uintptr_t) k;
    key.size = (u_int32_t) kl;
    rc = h->db->del(h->db, NULL, &key, 0);
    if (rc == DB_NOTFOUND)
        return 1;
    if (rc != 0) {
        db_why(err, errlen, "delete from database", rc);
        return -1;
    }
    return 0;
}

static int
db_next(void *vh, int first, const char **k, size_t *kl, const char **v,
        size_t *vl, char *err, size_t errlen)
{
    struct dbh *h = vh;
    DBT key, val;
    int rc;

    if (first && h->cur == NULL &&
        (rc = h->db->cursor(h->db, NULL, &h->cur, 0)) != 0) {
        db_why(err, errlen, "database cursor", rc);
        return -1;
    }
    if (h->cur == NULL)
        return 0;
    memset(&key, 0, sizeof(key));
    memset(&val, 0, sizeof(val));
    rc = h->cur->get(h->cur, &key, &val, first ? DB_FIRST : DB_NEXT);
    if (rc == DB_NOTFOUND)
        return 0;
    if (rc != 0) {
        db_why(err, errlen, "read database", rc);
        return -1;
    }
    *k = key.data;
    *kl = key.size;
    *v = val.data;
    *vl = val.size;
    return 1;
}

static int
db_close(void *vh, int commit, char *err, size_t errlen)
{
    struct dbh *h = vh;
    int rc = 0, r;

    if (h->cur)
        (void) h->cur->close(h->cur);
    if (h->write && commit && (r = h->db->sync(h->db, 0)) != 0) {
        db_why(err, errlen, "write database", r);
        rc = -1;
    }
    if (h->write && commit && rc == 0 && fsync(h->fd) < 0) {
        snprintf(err, errlen, "fsync database: %s", strerror(errno));
        rc = -1;
    }
    if ((r = h->db->close(h->db, 0)) != 0 && rc == 0) {
        db_why(err, errlen, "close database", r);
        rc = -1;
    }
    mem_free(h);
    return rc;
}

const struct maps_dbops maps_db_hash_ops = {
    "hash", ".db",  1,      1,       1,        hash_open,
    db_get, db_put, db_del, db_next, db_close,
};

const struct maps_dbops maps_db_btree_ops = {
    "btree", ".db",  1,      1,       1,        btree_open,
    db_get,  db_put, db_del, db_next, db_close,
};
