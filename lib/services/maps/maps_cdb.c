/*
 * maps_cdb - cdb: tables (NAME.cdb), as Postfix's dict_cdb writes them
 *	with tinycdb: keys and values without a NUL, written once (a cdb
 *	cannot be updated: postmap -i and -d refuse it, as Postfix does),
 *	read through the file mapped by cdb_init().
 */
#include <cdb.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "maps/maps_dbfile.h"

struct cdbh {
    struct cdb cdb;
    struct cdb_make mk;
    int fd;
    int write;
};

static void *
c_open(const char *path, int mode, char *err, size_t errlen)
{
    struct cdbh *h = mem_calloc(1, sizeof(*h));

    h->write = mode != MAPS_DB_READ;
    if (mode == MAPS_DB_UPDATE) {
        snprintf(err, errlen,
                 "dict_cdb_open: inappropriate open flags for cdb database - "
                 "specify O_RDONLY or O_WRONLY|O_CREAT|O_TRUNC");
        mem_free(h);
        return NULL;
    }
    h->fd = h->write ? open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644)
                     : open(path, O_RDONLY | O_CLOEXEC);
    if (h->fd < 0) {
        snprintf(err, errlen, "open database %s: %s", path, strerror(errno));
        mem_free(h);
        return NULL;
    }
    if ((h->write ? cdb_make_start(&h->mk, h->fd) : cdb_init(&h->cdb, h->fd)) <
        0) {
        snprintf(err, errlen, "open database %s: %s", path,
                 errno ? strerror(errno) : "not a cdb file");
        (void) close(h->fd);
        mem_free(h);
        return NULL;
    }
    return h;
}

static int
c_get(void *vh, const char *k, size_t kl, const char **v, size_t *vl, char *err,
      size_t errlen)
{
    struct cdbh *h = vh;
    int rc = cdb_find(&h->cdb, k, (unsigned) kl);

    if (rc < 0) {
        snprintf(err, errlen, "read database: %s", strerror(errno));
        return -1;
    }
    if (rc == 0)
        return 0;
    *v = cdb_getdata(&h->cdb);
    *vl = cdb_datalen(&h->cdb);
    if (*v == NULL) {
        snprintf(err, errlen, "read database: bad cdb file");
        return -1;
    }
    return 1;
}

static int
c_put(void *vh, const char *k, size_t kl, const char *v, size_t vl, int replace,
      char *err, size_t errlen)
{
    struct cdbh *h = vh;
    int rc = cdb_make_put(&h->mk, k, (unsigned) kl, v, (unsigned) vl,
                          replace ? CDB_PUT_REPLACE : CDB_PUT_INSERT);

    if (rc < 0) {
        snprintf(err, errlen, "write database: %s", strerror(errno));
        return -1;
    }
    return rc > 0 ? 1 : 0;
}

static int
c_del(void *vh, const char *k, size_t kl, char *err, size_t errlen)
{
    (void) vh;
    (void) k;
    (void) kl;
    snprintf(err, errlen, "delete is not supported");
    return -1;
}

static int
c_next(void *vh, int first, const char **k, size_t *kl, const char **v,
       size_t *vl, char *err, size_t errlen)
{
    (void) vh;
    (void) first;
    (void) k;
    (void) kl;
    (void) v;
    (void) vl;
    snprintf(err, errlen, "sequence operation is not supported");
    return -1;
}

static int
c_close(void *vh, int commit, char *err, size_t errlen)
{
    struct cdbh *h = vh;
    int rc = 0;

    if (h->write && commit &&
        (cdb_make_finish(&h->mk) < 0 || fsync(h->fd) < 0)) {
        snprintf(err, errlen, "write database: %s", strerror(errno));
        rc = -1;
    } else if (h->write && !commit) {
        (void) cdb_make_finish(&h->mk);
    }
    if (!h->write)
        cdb_free(&h->cdb);
    (void) close(h->fd);
    mem_free(h);
    return rc;
}

const struct maps_dbops maps_cdb_ops = {
    "cdb", ".cdb", 0, 0, 0, c_open, c_get, c_put, c_del, c_next, c_close,
};
