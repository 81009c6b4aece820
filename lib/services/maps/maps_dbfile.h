/*
 * maps_dbfile - private interface of lib/services/maps for the table types
 *	kept in a file of their own format next to the source file NAME:
 *	hash and btree (NAME.db, Berkeley DB), lmdb (NAME.lmdb), cdb
 *	(NAME.cdb). maps_db.c, maps_lmdb.c and maps_cdb.c each give a
 *	struct maps_dbops; maps_dbfile.c turns them into table drivers
 *	(struct maps_driver) and does postmap's jobs on them.
 */
#ifndef MAPS_MAPS_DBFILE_H
#define MAPS_MAPS_DBFILE_H

#include <stddef.h>

#include "maps/maps_int.h"

#define MAPS_DB_READ   0 /* existing file, read only */
#define MAPS_DB_UPDATE 1 /* existing file (or a new one), read/write */
#define MAPS_DB_CREATE 2 /* a new, empty file (path: a temporary name) */

struct maps_dbops {
    const char *type;   /* "hash" */
    const char *suffix; /* ".db" */
    int nul;            /* postmap writes keys and values with a NUL */
    int update;         /* can be updated in place (postmap -i, -d) */
    int seq;            /* can be listed (postmap -s) */
    /* open - path (with its suffix) in mode MAPS_DB_*; NULL with the
     * reason in err */
    void *(*open)(const char *path, int mode, char *err, size_t errlen);
    /* get - 1 with the value (borrowed until the next call), 0 not
     * found, -1 error (reason in err) */
    int (*get)(void *h, const char *k, size_t kl, const char **v, size_t *vl,
               char *err, size_t errlen);
    /* put - 0 stored, 1 the key was there (replace 0: left as it was),
     * -1 error */
    int (*put)(void *h, const char *k, size_t kl, const char *v, size_t vl,
               int replace, char *err, size_t errlen);
    /* del - 0 deleted, 1 not there, -1 error */
    int (*del)(void *h, const char *k, size_t kl, char *err, size_t errlen);
    /* next - the first (first 1) or next entry: 1, 0 at the end, -1 */
    int (*next)(void *h, int first, const char **k, size_t *kl, const char **v,
                size_t *vl, char *err, size_t errlen);
    /* close - commit (when writing, commit 1) and close: 0 or -1 */
    int (*close)(void *h, int commit, char *err, size_t errlen);
};

extern const struct maps_dbops maps_db_hash_ops, maps_db_btree_ops,
    maps_lmdb_ops, maps_cdb_ops;

/* maps_dbops_of - the format of a file type, or NULL */
const struct maps_dbops *maps_dbops_of(const char *type);

/* the table drivers (maps_dbfile.c) */
extern const struct maps_driver maps_hash_driver, maps_btree_driver,
    maps_lmdb_driver, maps_cdb_driver;

/* maps_dbfile_watch - the file whose changes restart a daemon that reads
 * table type:name: NAME.db (.lmdb, .cdb) when it exists, else name
 * (allocated) */
char *maps_dbfile_watch(const char *type, const char *name);

/* maps_dbfile_appeared - 1 when the database of type:name exists now
 * while the source (watched) was read in its place */
int maps_dbfile_appeared(const char *type, const char *name,
                         const char *watched);

/* maps_parse_text - maps_parse_source on text (NUL terminated; freed)
 * (maps_index.c) */
void maps_parse_text(char *text, int alias, maps_entry_fn *fn, maps_bad_fn *bad,
                     void *ctx);

/* maps_db_get - key in an open file, as Postfix looks it up: with a
 * trailing NUL and without until one is found, then as found (*learned,
 * 0 at first, kept by the caller); the value without its NUL in out: 1,
 * 0 not found, -1 error */
int maps_db_get(const struct maps_dbops *ops, void *h, const char *key,
                int *learned, struct buf *out, char *err, size_t errlen);
#endif
