/*
 * local_mailbox - mailbox and file deliveries of the local delivery
 * agent: Maildir (written into tmp/ during the batch, fsynced and
 * renamed into new/ together at its end by local_batch_sync) and mbox
 * or /file appends under mailbox_delivery_lock (dotlock, fcntl, flock
 * with deliver_lock_attempts and deliver_lock_delay).
 */
#define _GNU_SOURCE 1 /* sync_file_range */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "deliver/deliver.h"
#include "local/local_int.h"
#include "maillog/maillog.h"

static int
write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t) w;
    }
    return 0;
}

/* write_two - two buffers with one writev when possible */
static int
write_two(int fd, const char *a, size_t an, const char *b, size_t bn)
{
    struct iovec v[2] = {{(void *) a, an}, {(void *) b, bn}};
    ssize_t w;

    do
        w = writev(fd, v, 2);
    while (w < 0 && errno == EINTR);
    if (w < 0)
        return -1;
    if ((size_t) w >= an)
        return write_all(fd, b + ((size_t) w - an), bn - ((size_t) w - an));
    if (write_all(fd, a + w, an - (size_t) w) < 0)
        return -1;
    return write_all(fd, b, bn);
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
maildir_dirs(struct local *lc, const char *base, struct dest_result *res)
{
    time_t *seen = htab_find(lc->dirs, base), now = time(NULL);
    char sub[1100];

    if (seen != NULL && now - *seen <= 60)
        return 0;
    for (int i = 0; i < 3; i++) {
        static const char *const subs[] = {"tmp", "new", "cur"};

        snprintf(sub, sizeof(sub), "%s/%s", base, subs[i]);
        if (mkdirs(sub, 0700) < 0) {
            local_set_res(res, DELIVER_DEFER, "4.2.0",
                          "cannot create maildir file %s: %s", sub,
                          strerror(errno));
            return -1;
        }
    }
    if (seen == NULL) {
        seen = mem_alloc(sizeof(*seen));
        htab_set(lc->dirs, base, seen);
    }
    *seen = now;
    return 0;
}

/* pending_keep - the file of b's next entry (names and fd already set)
 * joins the batch, with what its delivery line will need */
static void
pending_keep(struct batch *b, struct deliver_req *req, struct deliver_rcpt *rc,
             const char *to, const char *orig, long uid, long gid)
{
    struct pending *p = &b->p[b->n];

    p->req = req;
    p->rc = rc;
    p->uid = uid;
    p->gid = gid;
    snprintf(p->to, sizeof(p->to), "%s", to);
    snprintf(p->orig_to, sizeof(p->orig_to), "%s", orig ? orig : "");
    b->n++;
}

/* local_maildir_start - write the file into tmp/; synced later by the batch */
void
local_maildir_start(struct local *lc, struct batch *b, struct deliver_req *req,
                    struct deliver_rcpt *rc, const char *dir, const char *to,
                    const char *orig, long uid, long gid,
                    struct dest_result *res)
{
    char base[1050], name[300];
    struct pending *p;
    struct buf hdr;
    int fd;
    size_t dl = strlen(dir);

    snprintf(base, sizeof(base), "%.*s",
             (int) (dl && dir[dl - 1] == '/' ? dl - 1 : dl), dir);
    local_become(lc, uid, gid);
    if (maildir_dirs(lc, base, res) < 0) {
        local_unbecome(lc);
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
             lc->myhostname);
    snprintf(p->tmp, sizeof(p->tmp), "%.1000s/tmp/%s", base, name);
    snprintf(p->new, sizeof(p->new), "%.1000s/new/%s", base, name);
    if ((req->flags & DELIVER_F_RETRY) && access(p->new, F_OK) == 0) {
        local_unbecome(lc);
        local_set_res(res, DELIVER_SENT, "2.0.0", "delivered to maildir");
        maillog_info("%s: %s already in %s (repeated delivery)", req->id, name,
                     p->dir);
        p->fd = -3; /* nothing to sync */
        pending_keep(b, req, rc, to, orig, uid, gid);
        return;
    }
    /* the name is predictable: no symlink, no FIFO planted in tmp/ */
    fd = open(p->tmp,
              O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW |
                  O_NONBLOCK | O_NOCTTY,
              0600);
    if (fd >= 0) {
        struct stat st;

        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
            (void) close(fd);
            fd = -1;
            errno = EINVAL;
        }
    }
    if (fd < 0) {
        time_t *seen = htab_find(lc->dirs, base);

        /* someone removed the maildir: check it again next time */
        if (errno == ENOENT && seen)
            *seen = 0;
        local_set_res(res, DELIVER_DEFER, "4.2.0",
                      "cannot create maildir file %s: %s", p->tmp,
                      strerror(errno));
        local_unbecome(lc);
        return;
    }
    buf_init(&hdr, 0);
    local_prefix(lc, &hdr, req, orig, to);
    if (lc->mbox_limit > 0 &&
        (unsigned long long) hdr.len + lc->msg.content.len >
            (unsigned long long) lc->mbox_limit) {
        /* mailbox_size_limit bounds each file, as Postfix's file limit */
        local_set_res(res, DELIVER_BOUNCE, "5.2.2",
                      "cannot write maildir file %s: %s", p->tmp,
                      strerror(EFBIG));
        (void) close(fd);
        (void) unlink(p->tmp);
        buf_fini(&hdr);
        local_unbecome(lc);
        return;
    }
    if (write_two(fd, hdr.data, hdr.len, lc->msg.content.data,
                  lc->msg.content.len) < 0) {
        local_set_res(res, DELIVER_DEFER, "4.2.0",
                      "cannot write maildir file %s: %s", p->tmp,
                      strerror(errno));
        (void) close(fd);
        (void) unlink(p->tmp);
        buf_fini(&hdr);
        local_unbecome(lc);
        return;
    }
    buf_fini(&hdr);
    local_unbecome(lc);
    p->fd = fd;
    pending_keep(b, req, rc, to, orig, uid, gid);
    /* the final status comes from the batch sync */
    local_set_res(res, DELIVER_SENT, "2.0.0", "delivered to maildir");
}

/* dotlock - path.lock, stale after 500 s; 0 ok, 1 not possible here
 * (no permission: fcntl alone then), -1 busy */
static int
dotlock(const char *path, char *lock, size_t len)
{
    snprintf(lock, len, "%s.lock", path);
    for (int i = 0; i < 50; i++) {
        int fd = open(lock, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        struct stat st;

        if (fd >= 0) {
            (void) close(fd);
            return 0;
        }
        if (errno == EACCES || errno == EROFS)
            return 1;
        if (errno != EEXIST)
            return 1;
        if (stat(lock, &st) == 0 && time(NULL) - st.st_mtime > 500)
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
 * deliver_flock. A user holding a lock on her own mailbox delays local
 * (and the rest of its batch) by that much, never for ever. 0, or -1
 * with errno (EAGAIN when the lock stayed taken). */
static int
lock_retry(const struct local *lc, int fd, int use_fcntl)
{
    for (long i = 1;; i++) {
        struct timespec ts = {lc->lock_delay, 0};
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
        if (i >= lc->lock_attempts) {
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
mbox_open(const char *path, const char *to, int file, struct stat *st,
          struct dest_result *res)
{
    int fd;

    /* O_NONBLOCK: a FIFO in place of the mailbox fails at once instead
     * of hanging local until someone reads it */
    fd = open(path,
              O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
                  O_NONBLOCK | O_NOCTTY,
              0600);
    if (fd < 0) {
        local_set_res(
            res, DELIVER_DEFER, "4.2.0",
            "cannot update mailbox %s for user %s. cannot open file: %s", path,
            to, strerror(errno));
        return -1;
    }
    if (fstat(fd, st) < 0 ||
        !(S_ISREG(st->st_mode) || (file && S_ISCHR(st->st_mode)))) {
        local_set_res(
            res, DELIVER_DEFER, "4.2.0",
            "cannot update mailbox %s for user %s. file is not a regular "
            "file",
            path, to);
        (void) close(fd);
        return -1;
    }
    if (file && S_ISREG(st->st_mode) &&
        (st->st_mode & (S_IXUSR | S_IXGRP | S_IXOTH))) {
        local_set_res(res, DELIVER_BOUNCE, "5.7.1",
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
mbox_compose(struct local *lc, struct deliver_req *req, const char *to,
             const char *orig, struct buf *b)
{
    time_t now = time(NULL);
    char date[64];
    const char *p, *end;

    {
        struct tm tm;

        localtime_r(&now, &tm);
        strftime(date, sizeof(date), "%a %b %e %H:%M:%S %Y", &tm);
    }
    (void) buf_puts(b, "From ");
    local_put_neutered(b, *req->sender ? req->sender : "MAILER-DAEMON");
    (void) buf_printf(b, "  %s\n", date);
    {
        struct buf h;

        buf_init(&h, 0);
        local_prefix(lc, &h, req, orig, to);
        (void) buf_append(b, h.data, h.len);
        buf_fini(&h);
    }
    for (p = lc->msg.content.data;
         p && p < lc->msg.content.data + lc->msg.content.len; p = end) {
        const char *nl = memchr(
            p, '\n', (size_t) (lc->msg.content.data + lc->msg.content.len - p));

        end = nl ? nl + 1 : lc->msg.content.data + lc->msg.content.len;
        if (end - p >= 5 && strncmp(p, "From ", 5) == 0)
            (void) buf_putc(b, '>');
        (void) buf_append(b, p, (size_t) (end - p));
    }
    if (b->len && b->data[b->len - 1] != '\n')
        (void) buf_putc(b, '\n');
    (void) buf_putc(b, '\n');
}

/* local_mbox - append with locks; durable before return. file: a /file
 * destination, which may also be a character device (/dev/null) but
 * not an executable file (Postfix's deliver_file) */
void
local_mbox(struct local *lc, struct deliver_req *req, const char *path,
           const char *to, const char *orig, long uid, long gid,
           struct dest_result *res, const char *what, int file)
{
    char lock[1200];
    int fd, dl = 1, dev = 0;
    struct stat st;
    struct buf b;

    local_become(lc, uid, gid);
    if ((fd = mbox_open(path, to, file, &st, res)) < 0) {
        local_unbecome(lc);
        return;
    }
    /* a device: no locks, nothing to sync or truncate */
    dev = S_ISCHR(st.st_mode);
    if (!dev && lc->lock_dotlock &&
        (dl = dotlock(path, lock, sizeof(lock))) < 0) {
        local_set_res(
            res, DELIVER_DEFER, "4.2.0",
            "cannot update mailbox %s for user %s. unable to lock for "
            "exclusive access: file busy",
            path, to);
        (void) close(fd);
        local_unbecome(lc);
        return;
    }
    if (!dev && ((lc->lock_fcntl && lock_retry(lc, fd, 1) < 0) ||
                 (lc->lock_flock && lock_retry(lc, fd, 0) < 0))) {
        local_set_res(
            res, DELIVER_DEFER, "4.2.0",
            "cannot update mailbox %s for user %s. unable to lock for "
            "exclusive access: %s",
            path, to, strerror(errno));
        goto out;
    }
    if (!dev &&
        (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink > 1)) {
        local_set_res(
            res, DELIVER_DEFER, "4.2.0",
            "cannot update mailbox %s for user %s. file is not a regular "
            "file",
            path, to);
        goto out;
    }
    buf_init(&b, 0);
    mbox_compose(lc, req, to, orig, &b);
    /* mailbox_size_limit: Postfix's file size limit (RLIMIT_FSIZE) makes
     * the write fail with EFBIG, which bounces (5.2.2) */
    if (!dev && lc->mbox_limit > 0 &&
        (unsigned long long) st.st_size + b.len >
            (unsigned long long) lc->mbox_limit) {
        local_set_res(res, DELIVER_BOUNCE, "5.2.2",
                      "cannot update mailbox %s for user %s. error writing "
                      "message: %s",
                      path, to, strerror(EFBIG));
    } else if (write_all(fd, b.data, b.len) < 0 || (!dev && fsync(fd) < 0)) {
        int e = errno;

        if (!dev)
            (void) ftruncate(fd, st.st_size);
        local_set_res(res, DELIVER_DEFER, "4.2.0",
                      "cannot update mailbox %s for user %s. error writing "
                      "message: %s",
                      path, to, strerror(e));
    } else {
        local_set_res(res, DELIVER_SENT, "2.0.0", "%s", what);
    }
    buf_fini(&b);
out:
    if (lc->lock_dotlock && dl == 0)
        (void) unlink(lock);
    (void) close(fd);
    local_unbecome(lc);
}

/* local_batch_sync - fsync every maildir file, rename into new/, sync dirs */
void
local_batch_sync(struct local *lc, struct batch *b, struct dest_result *results,
                 size_t nres, struct deliver_req **reqs)
{
    (void) nres;
    (void) reqs;
    (void) results;
    /* Start writeback of every file first: their blocks then land in one
     * journal transaction, and the fsyncs below mostly find it committed
     * (group commit of deliveries). */
    for (size_t i = 0; i < b->n; i++)
        if (b->p[i].fd >= 0)
            (void) sync_file_range(b->p[i].fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    for (size_t i = 0; i < b->n; i++) {
        struct pending *p = &b->p[i];
        int ok;

        if (p->fd == -3)
            continue;
        local_become(lc, p->uid, p->gid);
        ok = fsync(p->fd) == 0;
        (void) close(p->fd);
        if (ok && rename(p->tmp, p->new) < 0)
            ok = 0;
        if (!ok) {
            deliver_result(p->rc, DELIVER_DEFER, "4.2.0", strerror(errno));
            (void) unlink(p->tmp);
            p->fd = -2; /* failed */
        } else {
            p->fd = -1;
        }
        local_unbecome(lc);
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
        local_become(lc, b->p[i].uid, b->p[i].gid);
        fd = open(b->p[i].dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || fsync(fd) < 0) {
            for (size_t k = i; k < b->n; k++)
                if (strcmp(b->p[k].dir, b->p[i].dir) == 0)
                    b->p[k].fd = -2;
        }
        if (fd >= 0)
            (void) close(fd);
        local_unbecome(lc);
    }
}
