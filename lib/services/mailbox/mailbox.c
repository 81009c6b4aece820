/*
 * mailbox - durable Maildir and mbox deliveries (local and virtual).
 *
 * DESCRIPTION
 *	See mailbox.h. Moved out of the local agent when the virtual agent
 *	needed the same writes with the same guarantees: one copy of the
 *	fsync, rename and lock logic rather than two that drift.
 */
#define _GNU_SOURCE 1 /* sync_file_range */
#include "mailbox/mailbox.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "ipc/ipc.h"
#include "maillog/maillog.h"

void
mailbox_set_res(struct mailbox_result *r, int status, const char *dsn,
                const char *fmt, ...)
{
    va_list ap;

    r->status = status;
    snprintf(r->dsn, sizeof(r->dsn), "%s", dsn);
    va_start(ap, fmt);
    vsnprintf(r->text, sizeof(r->text), fmt, ap);
    va_end(ap);
}

void
mailbox_init(struct mailbox *mb, const char *myhostname)
{
    memset(mb, 0, sizeof(*mb));
    mb->root = geteuid() == 0;
    mb->lock_attempts = 1;
    mb->lock_delay = 1;
    mb->myhostname = mem_strdup(myhostname ? myhostname : "localhost");
    mb->dirs = htab_new(64);
}

void
mailbox_fini(struct mailbox *mb)
{
    mem_free(mb->myhostname);
    htab_free(mb->dirs, mem_free);
    mb->myhostname = NULL;
    mb->dirs = NULL;
}

int
mailbox_lock_methods(struct mailbox *mb, const char *value, const char **bad)
{
    static const char *const sep = ", \t\r\n";
    const char *p = value;

    mb->lock_fcntl = mb->lock_dotlock = mb->lock_flock = 0;
    while (*(p += strspn(p, sep))) {
        size_t n = strcspn(p, sep);

        if (n == 5 && strncmp(p, "fcntl", 5) == 0)
            mb->lock_fcntl = 1;
        else if (n == 7 && strncmp(p, "dotlock", 7) == 0)
            mb->lock_dotlock = 1;
        else if (n == 5 && strncmp(p, "flock", 5) == 0)
            mb->lock_flock = 1;
        else {
            if (bad)
                *bad = p;
            return -1;
        }
        p += n;
    }
    return 0;
}

/* privileges: effective ids only, groups reduced to gid (set_eugid) */
void
mailbox_become(const struct mailbox *mb, long uid, long gid)
{
    if (!mb->root)
        return;
    if (util_set_eugid((uid_t) uid, (gid_t) gid) < 0)
        log_fatal("set_eugid(%ld, %ld): %s", uid, gid, strerror(errno));
}

void
mailbox_unbecome(const struct mailbox *mb)
{
    if (!mb->root)
        return;
    if (util_set_eugid(0, 0) < 0)
        log_fatal("set_eugid(0, 0): %s", strerror(errno));
}

/*
 * mailbox_put_neutered - an envelope address into a header or the mbox
 * From_ line, control characters as '?'. cleanup refuses such envelopes
 * at every entry point; this is the second line, so that no queue file
 * written before that check, and no future entry point, can inject a
 * header or forge a From_ line.
 */
void
mailbox_put_neutered(struct buf *b, const char *s)
{
    for (; *s; s++)
        (void) buf_putc(b, (unsigned char) *s < 0x20 || *s == 0x7f ? '?' : *s);
}

void
mailbox_prefix(const struct mailbox *mb, struct buf *b,
               const struct deliver_req *req, const char *orig, const char *to)
{
    buf_truncate(b, 0);
    (void) buf_puts(b, "Return-Path: <");
    mailbox_put_neutered(b, req->sender);
    (void) buf_puts(b, ">\n");
    if (mb->original_rcpt && orig && *orig) {
        (void) buf_puts(b, "X-Original-To: ");
        mailbox_put_neutered(b, orig);
        (void) buf_puts(b, "\n");
    }
    (void) buf_puts(b, "Delivered-To: ");
    mailbox_put_neutered(b, to);
    (void) buf_puts(b, "\n");
}

int
mailbox_loop_check(const struct buf *content, const char *to)
{
    const char *p = content->data;
    size_t tl = strlen(to);

    while (p && *p && *p != '\n') {
        if (strncasecmp(p, "Delivered-To:", 13) == 0) {
            const char *v = p + 13;

            while (*v == ' ' || *v == '\t')
                v++;
            if (strncasecmp(v, to, tl) == 0 && (v[tl] == '\n' || v[tl] == ' '))
                return 1;
        }
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return 0;
}

/* write_two - two buffers with one writev when possible (writev's iovec
 * takes writable pointers) */
static int
write_two(int fd, char *a, size_t an, char *b, size_t bn)
{
    struct iovec v[2] = {{a, an}, {b, bn}};
    ssize_t w;

    do
        w = writev(fd, v, 2);
    while (w < 0 && errno == EINTR);
    if (w < 0)
        return -1;
    if ((size_t) w >= an)
        return ipc_write_all(fd, b + ((size_t) w - an), bn - ((size_t) w - an),
                             -1);
    if (ipc_write_all(fd, a + w, an - (size_t) w, -1) < 0)
        return -1;
    return ipc_write_all(fd, b, bn, -1);
}

static int
mkdirs(const char *path, mode_t mode)
{
    char tmp[1100];

    snprintf(tmp, sizeof(tmp), "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(tmp, mode) < 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(tmp, mode) < 0 && errno != EEXIST)
        return -1;
    return 0;
}

/* maildir_dirs - tmp/, new/ and cur/ of the maildir base, checked (and
 * made) once a minute per maildir; -1 with *res set */
static int
maildir_dirs(struct mailbox *mb, const char *base, struct mailbox_result *res)
{
    time_t *seen = htab_find(mb->dirs, base), now = time(NULL);
    char sub[1100];

    if (seen != NULL && now - *seen <= 60)
        return 0;
    for (int i = 0; i < 3; i++) {
        static const char *const subs[] = {"tmp", "new", "cur"};

        snprintf(sub, sizeof(sub), "%s/%s", base, subs[i]);
        if (mkdirs(sub, 0700) < 0) {
            mailbox_set_res(res, DELIVER_DEFER, "4.2.0",
                            "cannot create maildir file %s: %s", sub,
                            strerror(errno));
            return -1;
        }
    }
    if (seen == NULL) {
        seen = mem_alloc(sizeof(*seen));
        htab_set(mb->dirs, base, seen);
    }
    *seen = now;
    return 0;
}

/* pending_keep - the file of b's next entry (names and fd already set)
 * joins the batch, with what its delivery line will need */
static void
pending_keep(struct mailbox_batch *b, struct deliver_req *req,
             struct deliver_rcpt *rc, const char *to, const char *orig,
             long uid, long gid)
{
    struct mailbox_pending *p = &b->p[b->n];

    p->req = req;
    p->rc = rc;
    p->uid = uid;
    p->gid = gid;
    snprintf(p->to, sizeof(p->to), "%s", to);
    snprintf(p->orig_to, sizeof(p->orig_to), "%s", orig ? orig : "");
    b->n++;
}

/* open_new_file - create a predictable name: no symlink, no FIFO
 * planted in its place; the descriptor or -1 with errno */
static int
open_new_file(const char *path)
{
    int fd = open(path,
                  O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW |
                      O_NONBLOCK | O_NOCTTY,
                  0600);
    struct stat st;

    if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
        (void) close(fd);
        fd = -1;
        errno = EINVAL;
    }
    return fd;
}

void
mailbox_maildir_start(struct mailbox *mb, struct mailbox_batch *b,
                      struct deliver_req *req, struct deliver_rcpt *rc,
                      const struct buf *content, const char *dir,
                      const char *to, const char *orig, long uid, long gid,
                      struct mailbox_result *res)
{
    char base[1050], name[300];
    struct mailbox_pending *p;
    struct buf hdr;
    int fd;
    size_t dl = strlen(dir);

    snprintf(base, sizeof(base), "%.*s",
             (int) (dl && dir[dl - 1] == '/' ? dl - 1 : dl), dir);
    mailbox_become(mb, uid, gid);
    if (maildir_dirs(mb, base, res) < 0) {
        mailbox_unbecome(mb);
        return;
    }
    b->p = mem_realloc(b->p, (b->n + 1) * sizeof(*b->p));
    p = &b->p[b->n];
    memset(p, 0, sizeof(*p));
    /* The name is a function of the message and recipient, so a
     * delivery repeated after a crash finds its first copy and stops:
     * exactly once, as far as new/ is concerned. */
    snprintf(p->dir, sizeof(p->dir), "%.1040s/new", base);
    snprintf(name, sizeof(name), "%lu.%s_R%u.%s",
             (unsigned long) (req->arrival_us / 1000000u), req->id, rc->idx,
             mb->myhostname);
    snprintf(p->tmp, sizeof(p->tmp), "%.1000s/tmp/%s", base, name);
    snprintf(p->new, sizeof(p->new), "%.1000s/new/%s", base, name);
    if ((req->flags & DELIVER_F_RETRY) && access(p->new, F_OK) == 0) {
        mailbox_unbecome(mb);
        mailbox_set_res(res, DELIVER_SENT, "2.0.0", "delivered to maildir");
        log_info("%s: %s already in %s (repeated delivery)", req->id, name,
                 p->dir);
        p->fd = -3; /* nothing to sync */
        pending_keep(b, req, rc, to, orig, uid, gid);
        return;
    }
    buf_init(&hdr, 0);
    mailbox_prefix(mb, &hdr, req, orig, to);
    if (mb->size_limit > 0 &&
        (long long) (hdr.len + content->len) > mb->size_limit) {
        mailbox_set_res(res, DELIVER_BOUNCE, "5.2.2",
                        "cannot write maildir file %s: %s", p->tmp,
                        strerror(EFBIG));
        buf_fini(&hdr);
        mailbox_unbecome(mb);
        return;
    }
    if ((fd = open_new_file(p->tmp)) < 0) {
        time_t *seen = htab_find(mb->dirs, base);

        /* someone removed the maildir: check it again next time */
        if (errno == ENOENT && seen)
            *seen = 0;
        mailbox_set_res(res, DELIVER_DEFER, "4.2.0",
                        "cannot create maildir file %s: %s", p->tmp,
                        strerror(errno));
        buf_fini(&hdr);
        mailbox_unbecome(mb);
        return;
    }
    if (write_two(fd, hdr.data, hdr.len, content->data, content->len) < 0) {
        mailbox_set_res(res, DELIVER_DEFER, "4.2.0",
                        "cannot write maildir file %s: %s", p->tmp,
                        strerror(errno));
        (void) close(fd);
        (void) unlink(p->tmp);
        buf_fini(&hdr);
        mailbox_unbecome(mb);
        return;
    }
    buf_fini(&hdr);
    mailbox_unbecome(mb);
    p->fd = fd;
    pending_keep(b, req, rc, to, orig, uid, gid);
    /* the final status comes from the batch sync */
    mailbox_set_res(res, DELIVER_SENT, "2.0.0", "delivered to maildir");
}

/* batch_sync - fsync every maildir file, rename into new/, sync dirs */
static void
batch_sync(struct mailbox *mb, struct mailbox_batch *b)
{
    /* Start writeback of every file first: their blocks then land in one
     * journal transaction, and the fsyncs below mostly find it committed
     * (group commit of deliveries). */
    for (size_t i = 0; i < b->n; i++)
        if (b->p[i].fd >= 0)
            (void) sync_file_range(b->p[i].fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    for (size_t i = 0; i < b->n; i++) {
        struct mailbox_pending *p = &b->p[i];
        int ok;

        if (p->fd == -3)
            continue;
        mailbox_become(mb, p->uid, p->gid);
        ok = fsync(p->fd) == 0;
        (void) close(p->fd);
        if (ok && rename(p->tmp, p->new) < 0)
            ok = 0;
        if (!ok) {
            (void) unlink(p->tmp);
            p->fd = -2; /* failed */
        } else {
            p->fd = -1;
        }
        mailbox_unbecome(mb);
    }
    /* the new directory entries: one sync per directory */
    for (size_t i = 0; i < b->n; i++) {
        int seen = 0, fd;

        if (b->p[i].fd == -2 || b->p[i].fd == -3)
            continue;
        for (size_t k = 0; k < i && !seen; k++)
            seen = b->p[k].fd != -2 && strcmp(b->p[k].dir, b->p[i].dir) == 0;
        if (seen)
            continue;
        mailbox_become(mb, b->p[i].uid, b->p[i].gid);
        fd = open(b->p[i].dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || fsync(fd) < 0) {
            for (size_t k = i; k < b->n; k++)
                if (strcmp(b->p[k].dir, b->p[i].dir) == 0)
                    b->p[k].fd = -2;
        }
        if (fd >= 0)
            (void) close(fd);
        mailbox_unbecome(mb);
    }
}

void
mailbox_batch_finish(struct mailbox *mb, struct mailbox_batch *b,
                     const char *relay)
{
    if (b->n)
        batch_sync(mb, b);
    for (size_t m = 0; m < b->n; m++) {
        struct mailbox_pending *p = &b->p[m];

        if (p->fd == -2) {
            deliver_result(p->rc, DELIVER_DEFER, "4.2.0",
                           "cannot deliver to maildir: sync failed");
            continue;
        }
        /* log the maildir delivery with its own to/orig_to */
        deliver_log_dest(p->req, p->to,
                         strcmp(p->orig_to, p->to) != 0 ? p->orig_to : NULL,
                         DELIVER_SENT, "2.0.0", "delivered to maildir", relay);
    }
    mem_free(b->p);
    b->p = NULL;
    b->n = 0;
}

/* dotlock - path.lock, stale after 500 s; 0 ok, 1 not possible here
 * (no permission: fcntl alone then), -1 busy */
static int
dotlock(const char *path, char *lock, size_t len)
{
    snprintf(lock, len, "%s.lock", path);
    for (int i = 0; i < 50; i++) {
        int fd = open(
            lock, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        struct stat st;

        if (fd >= 0) {
            (void) close(fd);
            return 0;
        }
        if (errno != EEXIST)
            return 1;
        if (lstat(lock, &st) == 0 && time(NULL) - st.st_mtime > 500)
            (void) unlink(lock);
        {
            struct timespec ts = {0, 100000000};

            nanosleep(&ts, NULL);
        }
    }
    return -1;
}

/* lock_retry - an fcntl (use_fcntl) or flock lock without blocking:
 * deliver_lock_attempts tries deliver_lock_delay apart, as Postfix's
 * deliver_flock. A user holding a lock on her own mailbox delays the
 * agent (and the rest of its batch) by that much, never for ever. 0, or
 * -1 with errno (EAGAIN when the lock stayed taken). */
static int
lock_retry(const struct mailbox *mb, int fd, int use_fcntl)
{
    for (long i = 1;; i++) {
        struct timespec ts = {mb->lock_delay, 0};
        int rc;

        if (use_fcntl) {
            struct flock fl;

            memset(&fl, 0, sizeof(fl));
            fl.l_type = F_WRLCK;
            fl.l_whence = SEEK_SET;
            rc = fcntl(fd, F_SETLK, &fl);
        } else {
            rc = flock(fd, LOCK_EX | LOCK_NB);
        }
        if (rc == 0)
            return 0;
        if (errno != EAGAIN && errno != EACCES && errno != EWOULDBLOCK &&
            errno != EINTR)
            return -1;
        if (i >= mb->lock_attempts) {
            errno = EAGAIN;
            return -1;
        }
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
            ;
    }
}

/* mbox_open - open the mailbox or /file without blocking or following
 * a symlink, and check its type (file: a /file destination, which may
 * be a character device but not an executable file); the descriptor,
 * or -1 with *res set */
static int
mbox_open(const char *path, const char *prefix, int file, struct stat *st,
          struct mailbox_result *res)
{
    int fd;

    /* O_NONBLOCK: a FIFO in place of the mailbox fails at once instead
     * of hanging the agent until someone reads it */
    fd = open(path,
              O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
                  O_NONBLOCK | O_NOCTTY,
              0600);
    if (fd < 0) {
        mailbox_set_res(res, DELIVER_DEFER, "4.2.0", "%scannot open file: %s",
                        prefix, strerror(errno));
        return -1;
    }
    if (fstat(fd, st) < 0 ||
        !(S_ISREG(st->st_mode) || (file && S_ISCHR(st->st_mode)))) {
        mailbox_set_res(res, DELIVER_DEFER, "4.2.0",
                        "%sfile is not a regular file", prefix);
        (void) close(fd);
        return -1;
    }
    if (file && S_ISREG(st->st_mode) &&
        (st->st_mode & (S_IXUSR | S_IXGRP | S_IXOTH))) {
        mailbox_set_res(res, DELIVER_BOUNCE, "5.7.1",
                        "cannot append message to file %s: file is executable",
                        path);
        (void) close(fd);
        return -1;
    }
    return fd;
}

/* mbox_compose - the From_ line, our headers, the content with ">From "
 * quoting and a blank line, into b */
static void
mbox_compose(const struct mailbox *mb, struct deliver_req *req,
             const struct buf *content, const char *to, const char *orig,
             struct buf *b)
{
    time_t now = time(NULL);
    char date[64];
    const char *p, *end, *data = content->data;
    size_t len = content->len;

    {
        struct tm tm;

        localtime_r(&now, &tm);
        strftime(date, sizeof(date), "%a %b %e %H:%M:%S %Y", &tm);
    }
    (void) buf_puts(b, "From ");
    mailbox_put_neutered(b, *req->sender ? req->sender : "MAILER-DAEMON");
    (void) buf_printf(b, "  %s\n", date);
    {
        struct buf h;

        buf_init(&h, 0);
        mailbox_prefix(mb, &h, req, orig, to);
        (void) buf_append(b, h.data, h.len);
        buf_fini(&h);
    }
    for (p = data; p && p < data + len; p = end) {
        const char *nl = memchr(p, '\n', (size_t) (data + len - p));

        end = nl ? nl + 1 : data + len;
        if (end - p >= 5 && strncmp(p, "From ", 5) == 0)
            (void) buf_putc(b, '>');
        (void) buf_append(b, p, (size_t) (end - p));
    }
    if (b->len && b->data[b->len - 1] != '\n')
        (void) buf_putc(b, '\n');
    (void) buf_putc(b, '\n');
}

/* mbox_append - compose and write under the locks already held; the
 * file is truncated back on failure */
static void
mbox_append(struct mailbox *mb, struct deliver_req *req,
            const struct buf *content, int fd, const struct stat *st, int dev,
            const char *to, const char *orig, const char *prefix,
            const char *sent_text, struct mailbox_result *res)
{
    struct buf b;

    buf_init(&b, 0);
    mbox_compose(mb, req, content, to, orig, &b);
    if (!dev && mb->size_limit > 0 &&
        (long long) st->st_size + (long long) b.len > mb->size_limit) {
        mailbox_set_res(res, DELIVER_BOUNCE, "5.2.2",
                        "%serror writing message: %s", prefix, strerror(EFBIG));
    } else if (ipc_write_all(fd, b.data, b.len, -1) < 0 ||
               (!dev && fsync(fd) < 0)) {
        int e = errno;

        if (!dev)
            (void) ftruncate(fd, st->st_size);
        mailbox_set_res(res, DELIVER_DEFER, "4.2.0",
                        "%serror writing message: %s", prefix, strerror(e));
    } else {
        mailbox_set_res(res, DELIVER_SENT, "2.0.0", "%s", sent_text);
    }
    buf_fini(&b);
}

void
mailbox_mbox(struct mailbox *mb, struct deliver_req *req,
             const struct buf *content, const char *path, const char *to,
             const char *orig, long uid, long gid, const char *prefix,
             const char *sent_text, int file, struct mailbox_result *res)
{
    char lock[1200];
    int fd, dl = 1, dev = 0;
    struct stat st;

    mailbox_become(mb, uid, gid);
    if ((fd = mbox_open(path, prefix, file, &st, res)) < 0) {
        mailbox_unbecome(mb);
        return;
    }
    /* a device: no locks, nothing to sync or truncate */
    dev = S_ISCHR(st.st_mode);
    if (!dev && mb->lock_dotlock &&
        (dl = dotlock(path, lock, sizeof(lock))) < 0) {
        mailbox_set_res(res, DELIVER_DEFER, "4.2.0",
                        "%sunable to lock for exclusive access: file busy",
                        prefix);
        (void) close(fd);
        mailbox_unbecome(mb);
        return;
    }
    if (!dev && ((mb->lock_fcntl && lock_retry(mb, fd, 1) < 0) ||
                 (mb->lock_flock && lock_retry(mb, fd, 0) < 0))) {
        mailbox_set_res(res, DELIVER_DEFER, "4.2.0",
                        "%sunable to lock for exclusive access: %s", prefix,
                        strerror(errno));
        goto out;
    }
    /* under the lock: still ours, one link, a regular file */
    if (!dev &&
        (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink > 1)) {
        mailbox_set_res(res, DELIVER_DEFER, "4.2.0",
                        "%sfile is not a regular file", prefix);
        goto out;
    }
    mbox_append(mb, req, content, fd, &st, dev, to, orig, prefix, sent_text,
                res);
out:
    if (mb->lock_dotlock && dl == 0)
        (void) unlink(lock);
    (void) close(fd);
    mailbox_unbecome(mb);
}
