/*
 * maps_postmap - postmap's and postalias's jobs on the file table types
 *	(maps_file.h), on the formats of maps_db.c, maps_lmdb.c, maps_cdb.c.
 *
 *	A rebuild never changes the file in place: it writes NAME.db.PID.tmp
 *	(made with O_EXCL, with its final modes), syncs it and renames it
 *	over NAME.db, so a
 *	reader sees the old table or the new one, never half of one, and
 *	readers do not wait for the build. The rename is done under an
 *	exclusive flock(2) on the old NAME.db, the lock Postfix's postmap
 *	and its readers take, so that it waits for a "postmap -i" or -d
 *	(which update in place, under that lock) in progress.
 *
 *	As postmap(1): the database gets the source's group/other read bits
 *	(-p: not), and run as root, the build runs as the source's owner
 *	and group (-o: not), in a child process.
 */
#define _DEFAULT_SOURCE /* setgroups */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "maps/maps.h"
#include "maps/maps_dbfile.h"
#include "maps/maps_file.h"

static char hostname[256];

void
maps_file_hostname(const char *name)
{
    snprintf(hostname, sizeof(hostname), "%s", name);
}

int
maps_file_type(const char *type)
{
    return maps_dbops_of(type) != NULL;
}

/* older_warn - Postfix's warning for a database older than its source
 * (saved over 100 s ago: not while it is being edited), on every open */
static void
older_warn(const char *dbpath, const char *path)
{
    struct stat db, src;

    if (stat(dbpath, &db) == 0 && stat(path, &src) == 0 &&
        src.st_mtime > db.st_mtime && src.st_mtime < time(NULL) - 100)
        log_msg(NULL, LOG_LEVEL_WARN,
                "database %s is older than source file %s", dbpath, path);
}

/* lock_db - an exclusive lock on the file at path as it is now (the one
 * a rename has not replaced); the descriptor, or -1 when there is none */
static int
lock_db(const char *path)
{
    for (int tries = 0; tries < 100; tries++) {
        struct stat a, b;
        int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

        if (fd < 0)
            return -1;
        while (flock(fd, LOCK_EX) < 0 && errno == EINTR)
            ;
        if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino &&
            a.st_dev == b.st_dev)
            return fd;
        (void) close(fd);
    }
    return -1;
}

struct wr {
    const struct maps_dbops *ops;
    void *h;
    const char *src;    /* for line numbers in warnings */
    char dupname[4200]; /* the table's name in Postfix's warnings */
    unsigned flags;
    int nul;
    int failed;
    char *err;
    size_t errlen;
};

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* file_b64 - -F: the content of file name, base64; -1 with errno */
static int
file_b64(const char *name, struct buf *out)
{
    char *data;
    size_t len;

    if (util_read_file(name, (size_t) 1 << 26, &data, &len) < 0)
        return -1;
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned char) data[i] << 16;
        char q[4];

        if (i + 1 < len)
            v |= (unsigned char) data[i + 1] << 8;
        if (i + 2 < len)
            v |= (unsigned char) data[i + 2];
        q[0] = b64[v >> 18 & 63];
        q[1] = b64[v >> 12 & 63];
        q[2] = i + 1 < len ? b64[v >> 6 & 63] : '=';
        q[3] = i + 2 < len ? b64[v & 63] : '=';
        (void) buf_append(out, q, 4);
    }
    mem_free(data);
    return 0;
}

static void
wr_put(struct wr *w, const char *key, const char *value, int nul)
{
    int rc;

    if (w->failed)
        return;
    rc = w->ops->put(w->h, key, strlen(key) + (size_t) nul, value,
                     strlen(value) + (size_t) nul,
                     (w->flags & MAPS_PM_REPLACE) != 0, w->err, w->errlen);
    if (rc < 0)
        w->failed = 1;
    else if (rc == 1 && !(w->flags & (MAPS_PM_IGNDUP | MAPS_PM_REPLACE)))
        log_msg(NULL, LOG_LEVEL_WARN, "%s: duplicate entry: \"%s\"", w->dupname,
                key);
}

static void
wr_entry(void *ctx, char *key, const char *value, int line)
{
    struct wr *w = ctx;

    if (!(w->flags & MAPS_PM_NOFOLD))
        maps_fold(key);
    if (w->flags & MAPS_PM_B64) {
        struct buf b;

        buf_init(&b, 0);
        if (file_b64(value, &b) < 0)
            log_msg(NULL, LOG_LEVEL_WARN,
                    "%s, line %d: open %s: %s: skipping this entry", w->src,
                    line, value, strerror(errno));
        else
            wr_put(w, key, buf_str(&b), w->nul);
        buf_fini(&b);
        return;
    }
    wr_put(w, key, value, w->nul);
}

static void
wr_bad(void *ctx, int line)
{
    struct wr *w = ctx;

    log_msg(NULL, LOG_LEVEL_WARN, "%s, line %d: %s", w->src, line,
            (w->flags & MAPS_PM_ALIAS) ? "need name:value pair"
                                       : "expected format: key whitespace "
                                         "value");
}

/* wr_init - the writer's state for type:path */
static void
wr_init(struct wr *w, const struct maps_dbops *ops, const char *path,
        unsigned flags, char *err, size_t errlen)
{
    memset(w, 0, sizeof(*w));
    w->ops = ops;
    w->src = path;
    w->flags = flags;
    w->err = err;
    w->errlen = errlen;
    w->nul = (flags & MAPS_PM_NUL) ? 1 : (flags & MAPS_PM_NONUL) ? 0 : ops->nul;
    if (strcmp(ops->type, "lmdb") == 0)
        snprintf(w->dupname, sizeof(w->dupname), "lmdb:%s", path);
    else if (strcmp(ops->type, "cdb") == 0)
        snprintf(w->dupname, sizeof(w->dupname), "%s", path);
    else
        snprintf(w->dupname, sizeof(w->dupname), "%s%s", path, ops->suffix);
}

/* sentinel - postalias's last entries: "@" (NIS's sign of a complete
 * map) and, without NULs, YP_LAST_MODIFIED and YP_MASTER_NAME */
static void
sentinel(struct wr *w)
{
    char now[32];

    if (hostname[0] == 0 && gethostname(hostname, sizeof(hostname) - 1) < 0)
        snprintf(hostname, sizeof(hostname), "localhost");
    snprintf(now, sizeof(now), "%010ld", (long) time(NULL));
    w->flags &= ~(unsigned) MAPS_PM_REPLACE;
    w->flags |= MAPS_PM_IGNDUP;
    wr_put(w, "@", "@", w->nul);
    wr_put(w, "YP_LAST_MODIFIED", now, 0);
    wr_put(w, "YP_MASTER_NAME", hostname, 0);
}

/* rebuild - the database of the source text (freed) made anew: the
 * temporary file, renamed over the old one; 0 or -1 */
static int
rebuild(struct wr *w, const char *dbpath, char *text, mode_t mode)
{
    char tmp[4300], dir[4300], *slash;
    int lockfd = -1, rc = 0, fd;
    /* the final modes from the start (never more than 0644): no chmod
     * of a name in a directory someone else may own */
    mode_t old = umask(~mode & 0777);

    snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", dbpath, (long) getpid());
    /* a name planted there (a link, a FIFO, an empty directory) goes;
     * anything else makes the O_EXCL creation fail */
    if (unlink(tmp) < 0 && errno == EISDIR)
        (void) rmdir(tmp);
    /* lmdb opens what is there: make the file ourselves, O_EXCL */
    if (strcmp(w->ops->type, "lmdb") == 0) {
        if ((fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                       0644)) < 0) {
            snprintf(w->err, w->errlen, "open database %s: %s", tmp,
                     strerror(errno));
            rc = -1;
        } else {
            (void) close(fd);
        }
    }
    if (rc == 0 &&
        (w->h = w->ops->open(tmp, MAPS_DB_CREATE, w->err, w->errlen)) == NULL)
        rc = -1;
    (void) umask(old);
    if (rc == 0) {
        maps_parse_text(text, (w->flags & MAPS_PM_ALIAS) != 0, wr_entry, wr_bad,
                        w);
        text = NULL;
        if (!w->failed && (w->flags & MAPS_PM_ALIAS))
            sentinel(w);
        if (w->ops->close(w->h, !w->failed, w->err, w->errlen) < 0 || w->failed)
            rc = -1;
        else {
            /* wait for an update in place (-i, -d) of the old file */
            lockfd = lock_db(dbpath);
            if (rename(tmp, dbpath) < 0)
                rc = -1;
        }
        if (rc < 0 && !w->failed && w->err[0] == 0) {
            snprintf(w->err, w->errlen, "rename %s to %s: %s", tmp, dbpath,
                     strerror(errno));
            rc = -1;
        }
    }
    mem_free(text);
    if (rc < 0)
        (void) unlink(tmp);
    snprintf(dir, sizeof(dir), "%s", dbpath);
    slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = 0;
    if (rc == 0 && (fd = open(slash ? dir : ".", O_RDONLY | O_CLOEXEC)) >= 0) {
        (void) fsync(fd);
        (void) close(fd);
    }
    if (lockfd >= 0)
        (void) close(lockfd);
    return rc;
}

/* update - postmap -i: text's entries added to the file, in place, under
 * its lock */
static int
update(struct wr *w, const char *dbpath, const char *text)
{
    int lockfd = lock_db(dbpath), rc = 0;
    char *copy = mem_strdup(text);

    if ((w->h = w->ops->open(dbpath, MAPS_DB_UPDATE, w->err, w->errlen)) ==
        NULL) {
        rc = -1;
        mem_free(copy);
    } else {
        w->src = "stdin";
        maps_parse_text(copy, (w->flags & MAPS_PM_ALIAS) != 0, wr_entry, wr_bad,
                        w);
        if (w->ops->close(w->h, !w->failed, w->err, w->errlen) < 0 || w->failed)
            rc = -1;
    }
    if (lockfd >= 0)
        (void) close(lockfd);
    return rc;
}

/* read_source - the source file, opened once (a FIFO does not block), a
 * regular file; its text and status; -1 with err */
static int
read_source(const char *path, struct stat *st, struct buf *text, char *err,
            size_t errlen)
{
    char chunk[65536];
    ssize_t got;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

    if (fd < 0) {
        snprintf(err, errlen, "open %s: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
        snprintf(err, errlen, "%s: %s", path,
                 S_ISREG(st->st_mode) ? strerror(errno) : "not a regular file");
        (void) close(fd);
        return -1;
    }
    while ((got = read(fd, chunk, sizeof(chunk))) != 0) {
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0 || buf_append(text, chunk, (size_t) got) < 0) {
            snprintf(err, errlen, "read %s: %s", path,
                     strerror(got < 0 ? errno : EFBIG));
            (void) close(fd);
            return -1;
        }
    }
    (void) close(fd);
    return 0;
}

int
maps_file_build(const char *type, const char *path, unsigned flags,
                const char *incremental, char *err, size_t errlen)
{
    const struct maps_dbops *ops = maps_dbops_of(type);
    char dbpath[4200];
    struct stat st;
    struct buf text;
    struct wr w;
    mode_t mode;
    pid_t pid;
    int status;

    if (ops == NULL) {
        snprintf(err, errlen, "unsupported dictionary type: %s", type);
        return -1;
    }
    snprintf(dbpath, sizeof(dbpath), "%s%s", path, ops->suffix);
    wr_init(&w, ops, path, flags, err, errlen);
    if (incremental) {
        older_warn(dbpath, path);
        return update(&w, dbpath, incremental);
    }
    buf_init(&text, (size_t) 1 << 30);
    if (read_source(path, &st, &text, err, errlen) < 0) {
        buf_fini(&text);
        return -1;
    }
    mode = (flags & MAPS_PM_NOPERM) ? 0644 : 0600 | (st.st_mode & 044);
    if (getuid() != 0 || (flags & MAPS_PM_ASROOT) ||
        (st.st_uid == geteuid() && st.st_gid == getegid()))
        return rebuild(&w, dbpath, buf_steal(&text), mode);
    fflush(stdout);
    fflush(stderr);
    if ((pid = fork()) < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        buf_fini(&text);
        return -1;
    }
    if (pid == 0) {
        if (setgroups(1, &st.st_gid) < 0 || setgid(st.st_gid) < 0 ||
            setuid(st.st_uid) < 0) {
            log_msg(NULL, LOG_LEVEL_FATAL,
                    "run as the owner of %s (uid %ld, gid %ld): %s", path,
                    (long) st.st_uid, (long) st.st_gid, strerror(errno));
            _exit(1);
        }
        if (rebuild(&w, dbpath, buf_steal(&text), mode) < 0) {
            log_msg(NULL, LOG_LEVEL_FATAL, "%s", err);
            _exit(1);
        }
        _exit(0);
    }
    buf_fini(&text);
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            snprintf(err, errlen, "waitpid: %s", strerror(errno));
            return -1;
        }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    err[0] = 0; /* the child said why */
    return -1;
}

/* open_read - the database of type:path for reading, with Postfix's
 * warning when it is older than its source (saved over 100 s ago) */
static void *
open_read(const struct maps_dbops *ops, const char *path, int mode, char *err,
          size_t errlen)
{
    char dbpath[4200];
    struct stat db;
    void *h;

    snprintf(dbpath, sizeof(dbpath), "%s%s", path, ops->suffix);
    if (mode == MAPS_DB_READ && stat(dbpath, &db) < 0) {
        snprintf(err, errlen, "open database %s: %s", dbpath, strerror(errno));
        return NULL;
    }
    if ((h = ops->open(dbpath, mode, err, errlen)) == NULL)
        return NULL;
    older_warn(dbpath, path);
    return h;
}

int
maps_file_delete(const char *type, const char *path, char **keys, size_t n,
                 unsigned flags, char *err, size_t errlen)
{
    const struct maps_dbops *ops = maps_dbops_of(type);
    char dbpath[4200];
    int lockfd, done = 0, rc = 0;
    void *h;

    if (ops == NULL) {
        snprintf(err, errlen, "unsupported dictionary type: %s", type);
        return -1;
    }
    snprintf(dbpath, sizeof(dbpath), "%s%s", path, ops->suffix);
    if (ops->update && access(dbpath, F_OK) < 0) { /* -d creates nothing */
        snprintf(err, errlen, "open database %s: %s", dbpath, strerror(errno));
        return -1;
    }
    older_warn(dbpath, path);
    lockfd = lock_db(dbpath);
    if ((h = ops->open(dbpath, MAPS_DB_UPDATE, err, errlen)) == NULL) {
        if (lockfd >= 0)
            (void) close(lockfd);
        return -1;
    }
    for (size_t i = 0; i < n && rc >= 0; i++) {
        char *k = mem_strdup(keys[i]);
        size_t kl = strlen(k);

        if (!(flags & MAPS_PM_NOFOLD))
            maps_fold(k);
        rc = ops->del(h, k, kl + 1, err, errlen);
        if (rc == 1)
            rc = ops->del(h, k, kl, err, errlen);
        if (rc == 0)
            done++;
        mem_free(k);
    }
    if (ops->close(h, rc >= 0, err, errlen) < 0)
        rc = -1;
    if (lockfd >= 0)
        (void) close(lockfd);
    return rc < 0 ? -1 : done;
}

int
maps_file_list(const char *type, const char *path, struct buf *out, char *err,
               size_t errlen)
{
    const struct maps_dbops *ops = maps_dbops_of(type);
    const char *k, *v;
    size_t kl, vl;
    void *h;
    int rc;

    if (ops == NULL) {
        snprintf(err, errlen, "unsupported dictionary type: %s", type);
        return -1;
    }
    if (!ops->seq) {
        snprintf(err, errlen,
                 "table %s:%s%s: sequence operation is not "
                 "supported",
                 type, path, ops->suffix);
        return -1;
    }
    if ((h = open_read(ops, path, MAPS_DB_READ, err, errlen)) == NULL)
        return -1;
    for (rc = ops->next(h, 1, &k, &kl, &v, &vl, err, errlen); rc == 1;
         rc = ops->next(h, 0, &k, &kl, &v, &vl, err, errlen)) {
        if (kl && k[kl - 1] == 0)
            kl--;
        if (vl && v[vl - 1] == 0)
            vl--;
        (void) buf_append(out, k, kl);
        (void) buf_putc(out, '\t');
        (void) buf_append(out, v, vl);
        (void) buf_putc(out, '\n');
    }
    (void) ops->close(h, 0, err, errlen);
    return rc < 0 ? -1 : 0;
}

/* maps_build - see maps.h: "postern map build", now a hash: rebuild */
int
maps_build(const char *arg, int alias)
{
    const char *c = strchr(arg, ':'), *type = "hash", *path = arg;
    char t[64], err[600] = "";

    if (c && arg[0] != '/' && (size_t) (c - arg) < sizeof(t)) {
        snprintf(t, sizeof(t), "%.*s", (int) (c - arg), arg);
        type = t;
        path = c + 1;
    }
    if (maps_file_build(type, path, alias ? MAPS_PM_ALIAS : 0, NULL, err,
                        sizeof(err)) < 0) {
        if (err[0])
            log_msg(NULL, LOG_LEVEL_FATAL, "%s", err);
        return 1;
    }
    return 0;
}
