/*
 * local - local delivery agent.
 *
 * DESCRIPTION
 *	See local.h. One request per recipient (local_destination_
 *	recipient_limit = 1 as in Postfix); a batch is whatever qmgr has
 *	pipelined. Each final destination is logged on its own line with
 *	orig_to when an alias was expanded; qmgr gets the worst status of
 *	a recipient's destinations.
 *
 *	Rights, as Postfix's local: .forward is read as its user and must
 *	be a regular file owned by the user (or root) and not world
 *	writable, else it is ignored with a warning. An alias runs with
 *	the rights of its table's owner, default_privs for a root-owned
 *	table. An :include: file is opened with the rights in force, and
 *	in a root context (root-owned aliases) its deliveries take the
 *	rights of its owner when that is not root. Commands and files never
 *	run as root: rights still root's become default_privs. Every
 *	identity change sets the supplementary groups to the one gid.
 *	allow_mail_to_commands and allow_mail_to_files restrict |command
 *	and /file destinations by where they came from (alias, forward,
 *	include). A |command without shell metacharacters is executed
 *	directly, others by /bin/sh -c, with a clean environment.
 *
 * BUGS
 *	No mailbox_command, mailbox_transport, luser_relay or
 *	owner-alias handling yet; a command's output is not captured for
 *	the bounce text.
 */
#define _GNU_SOURCE 1 /* seteuid, strcasecmp, sync_file_range */
#include "local/local.h"
#include "local/local_int.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cleanup/cleanup.h"
#include "deliver/deliver.h"
#include "maillog/maillog.h"
#include "maps/maps.h"
#include "pcf/pcf.h"
#include "rewrite/rewrite.h"
#include "server/server.h"

#define MAX_DEPTH 20

/* a getpwnam() answer, kept a few seconds (one lookup per batch) */
struct pwent {
    time_t when;
    int found;
    long uid, gid;
    char *name, *dir, *shell;
    time_t no_forward; /* .forward known absent at this time */
};

#define PW_TTL 10

static struct pwent *
pw_lookup(struct local *lc, const char *user)
{
    struct pwent *e = htab_find(lc->users, user);
    time_t now = time(NULL);
    struct passwd *pw;

    if (e && now - e->when < PW_TTL)
        return e->found ? e : NULL;
    if (e == NULL) {
        e = mem_calloc(1, sizeof(*e));
        htab_set(lc->users, user, e);
    }
    mem_free(e->name);
    mem_free(e->dir);
    mem_free(e->shell);
    e->name = e->dir = e->shell = NULL;
    e->when = now;
    e->no_forward = 0;
    pw = getpwnam(user);
    e->found = pw != NULL;
    if (pw) {
        e->uid = (long) pw->pw_uid;
        e->gid = (long) pw->pw_gid;
        e->name = mem_strdup(pw->pw_name);
        e->dir = mem_strdup(pw->pw_dir);
        e->shell = mem_strdup(pw->pw_shell ? pw->pw_shell : "");
    }
    return e->found ? e : NULL;
}

/* maildir files waiting for the batch sync */
struct pending {
    int fd;
    char tmp[1400];
    char new[1400];
    char dir[1100];
    struct deliver_req *req;
    struct deliver_rcpt *rc;
    char to[600];
    char orig_to[600];
    long uid, gid;
};

struct batch {
    struct pending *p;
    size_t n;
};


void
local_set_res(struct dest_result *r, int status, const char *dsn, const char *fmt,
        ...)
{
    va_list ap;

    r->status = status;
    snprintf(r->dsn, sizeof(r->dsn), "%s", dsn);
    va_start(ap, fmt);
    vsnprintf(r->text, sizeof(r->text), fmt, ap);
    va_end(ap);
}

/* worse - merge: bounce beats defer beats sent? No: defer wins over
 * bounce so the recipient is retried; a bounce only when nothing can
 * be retried. */
static void
merge(struct dest_result *acc, const struct dest_result *r, int *first)
{
    if (*first || (r->status == DELIVER_DEFER) ||
        (r->status == DELIVER_BOUNCE && acc->status == DELIVER_SENT)) {
        *acc = *r;
        *first = 0;
    }
}

/* privileges: effective ids only, groups reduced to gid (set_eugid) */
static void
become(struct local *lc, long uid, long gid)
{
    if (!lc->root)
        return;
    if (util_set_eugid((uid_t) uid, (gid_t) gid) < 0)
        maillog_fatal("set_eugid(%ld, %ld): %m", uid, gid);
}

static void
unbecome(struct local *lc)
{
    if (!lc->root)
        return;
    if (util_set_eugid(0, 0) < 0)
        maillog_fatal("set_eugid(0, 0): %m");
}

/* who_set - rights of a passwd entry */
static void
who_set(struct who *w, long uid, long gid, const char *home,
        const char *shell)
{
    w->uid = uid;
    w->gid = gid;
    snprintf(w->home, sizeof(w->home), "%s", home ? home : "");
    snprintf(w->shell, sizeof(w->shell), "%s", shell ? shell : "");
}

/* deliver_ids - the ids a command or file delivery runs with: never
 * root's (Postfix: "use a default uid/gid when none are given") */
void
local_deliver_ids(const struct local *lc, const struct who *w, long *uid,
            long *gid)
{
    *uid = w->uid;
    *gid = w->gid;
    if (lc->root && *uid == 0)
        *uid = lc->default_uid;
    if (lc->root && *gid == 0)
        *gid = lc->default_gid;
}

/*
 * put_neutered - an envelope address into a header or the mbox From_
 * line, control characters as '?'. cleanup refuses such envelopes at
 * every entry point; this is the second line, so that no queue file
 * written before that check, and no future entry point, can inject a
 * header or forge a From_ line.
 */
static void
put_neutered(struct buf *b, const char *s)
{
    for (; *s; s++)
        (void) buf_putc(b, (unsigned char) *s < 0x20 || *s == 0x7f ? '?' : *s);
}

/* prefix - Return-Path:, X-Original-To:, Delivered-To: */
void
local_prefix(struct local *lc, struct buf *b, const struct deliver_req *req,
       const char *orig, const char *to)
{
    buf_truncate(b, 0);
    (void) buf_puts(b, "Return-Path: <");
    put_neutered(b, req->sender);
    (void) buf_puts(b, ">\n");
    if (lc->original_rcpt && orig && *orig) {
        (void) buf_puts(b, "X-Original-To: ");
        put_neutered(b, orig);
        (void) buf_puts(b, "\n");
    }
    (void) buf_puts(b, "Delivered-To: ");
    put_neutered(b, to);
    (void) buf_puts(b, "\n");
}

/* loop_check - a Delivered-To: header naming to already */
static int
loop_check(struct local *lc, const char *to)
{
    const char *p = lc->msg.content.data;
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

/* maildir_start - write the file into tmp/; synced later by the batch */
static void
maildir_start(struct local *lc, struct batch *b, struct deliver_req *req,
              struct deliver_rcpt *rc, const char *dir, const char *to,
              const char *orig, long uid, long gid, struct dest_result *res)
{
    char base[1050], sub[1100], name[300];
    struct pending *p;
    struct buf hdr;
    int fd;
    size_t dl = strlen(dir);

    snprintf(base, sizeof(base), "%.*s",
             (int) (dl && dir[dl - 1] == '/' ? dl - 1 : dl), dir);
    become(lc, uid, gid);
    /* tmp/, new/ and cur/ are checked once a minute per maildir */
    {
        time_t *seen = htab_find(lc->dirs, base), now = time(NULL);

        if (seen == NULL || now - *seen > 60) {
            for (int i = 0; i < 3; i++) {
                static const char *const subs[] = {"tmp", "new", "cur"};

                snprintf(sub, sizeof(sub), "%s/%s", base, subs[i]);
                if (mkdirs(sub, 0700) < 0) {
                    local_set_res(res, DELIVER_DEFER, "4.2.0",
                            "cannot create maildir file %s: %s", sub,
                            strerror(errno));
                    unbecome(lc);
                    return;
                }
            }
            if (seen == NULL) {
                seen = mem_alloc(sizeof(*seen));
                htab_set(lc->dirs, base, seen);
            }
            *seen = now;
        }
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
        unbecome(lc);
        local_set_res(res, DELIVER_SENT, "2.0.0", "delivered to maildir");
        maillog_info("%s: %s already in %s (repeated delivery)", req->id, name,
                     p->dir);
        p->fd = -3; /* nothing to sync */
        p->req = req;
        p->rc = rc;
        p->uid = uid;
        p->gid = gid;
        snprintf(p->to, sizeof(p->to), "%s", to);
        snprintf(p->orig_to, sizeof(p->orig_to), "%s", orig ? orig : "");
        b->n++;
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
                "cannot create maildir file %s: %s", p->tmp, strerror(errno));
        unbecome(lc);
        return;
    }
    buf_init(&hdr, 0);
    local_prefix(lc, &hdr, req, orig, to);
    if (write_two(fd, hdr.data, hdr.len, lc->msg.content.data, lc->msg.content.len) <
        0) {
        local_set_res(res, DELIVER_DEFER, "4.2.0", "cannot write maildir file %s: %s",
                p->tmp, strerror(errno));
        (void) close(fd);
        (void) unlink(p->tmp);
        buf_fini(&hdr);
        unbecome(lc);
        return;
    }
    buf_fini(&hdr);
    unbecome(lc);
    p->fd = fd;
    p->req = req;
    p->rc = rc;
    p->uid = uid;
    p->gid = gid;
    snprintf(p->to, sizeof(p->to), "%s", to);
    snprintf(p->orig_to, sizeof(p->orig_to), "%s", orig ? orig : "");
    b->n++;
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

/* mbox - append with locks; durable before return. file: a /file
 * destination, which may also be a character device (/dev/null) but
 * not an executable file (Postfix's deliver_file) */
static void
mbox(struct local *lc, struct deliver_req *req, const char *path,
     const char *to, const char *orig, long uid, long gid,
     struct dest_result *res, const char *what, int file)
{
    char lock[1200];
    int fd, dl = 1, dev = 0;
    struct stat st;
    struct buf b;
    time_t now = time(NULL);
    char date[64];
    const char *p, *end;

    become(lc, uid, gid);
    /* O_NONBLOCK: a FIFO in place of the mailbox fails at once instead
     * of hanging local until someone reads it */
    fd = open(path,
              O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
                  O_NONBLOCK | O_NOCTTY,
              0600);
    if (fd < 0) {
        local_set_res(res, DELIVER_DEFER, "4.2.0",
                "cannot update mailbox %s for user %s. cannot open file: %s",
                path, to, strerror(errno));
        unbecome(lc);
        return;
    }
    if (fstat(fd, &st) < 0 ||
        !(S_ISREG(st.st_mode) || (file && S_ISCHR(st.st_mode)))) {
        local_set_res(res, DELIVER_DEFER, "4.2.0",
                "cannot update mailbox %s for user %s. file is not a regular "
                "file",
                path, to);
        (void) close(fd);
        unbecome(lc);
        return;
    }
    if (file && S_ISREG(st.st_mode) &&
        (st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH))) {
        local_set_res(res, DELIVER_BOUNCE, "5.7.1",
                "cannot append message to file %s: file is executable", path);
        (void) close(fd);
        unbecome(lc);
        return;
    }
    /* a device: no locks, nothing to sync or truncate */
    dev = S_ISCHR(st.st_mode);
    if (!dev && lc->lock_dotlock &&
        (dl = dotlock(path, lock, sizeof(lock))) < 0) {
        local_set_res(res, DELIVER_DEFER, "4.2.0",
                "cannot update mailbox %s for user %s. unable to lock for "
                "exclusive access: file busy",
                path, to);
        (void) close(fd);
        unbecome(lc);
        return;
    }
    if (!dev && ((lc->lock_fcntl && lock_retry(lc, fd, 1) < 0) ||
                 (lc->lock_flock && lock_retry(lc, fd, 0) < 0))) {
        local_set_res(res, DELIVER_DEFER, "4.2.0",
                "cannot update mailbox %s for user %s. unable to lock for "
                "exclusive access: %s",
                path, to, strerror(errno));
        goto out;
    }
    if (!dev && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
                 st.st_nlink > 1)) {
        local_set_res(res, DELIVER_DEFER, "4.2.0",
                "cannot update mailbox %s for user %s. file is not a regular "
                "file",
                path, to);
        goto out;
    }
    /* From_ line, our headers, content with ">From " quoting, blank line */
    buf_init(&b, 0);
    {
        struct tm tm;

        localtime_r(&now, &tm);
        strftime(date, sizeof(date), "%a %b %e %H:%M:%S %Y", &tm);
    }
    (void) buf_puts(&b, "From ");
    put_neutered(&b, *req->sender ? req->sender : "MAILER-DAEMON");
    (void) buf_printf(&b, "  %s\n", date);
    {
        struct buf h;

        buf_init(&h, 0);
        local_prefix(lc, &h, req, orig, to);
        (void) buf_append(&b, h.data, h.len);
        buf_fini(&h);
    }
    for (p = lc->msg.content.data; p && p < lc->msg.content.data + lc->msg.content.len;
         p = end) {
        const char *nl =
            memchr(p, '\n', (size_t) (lc->msg.content.data + lc->msg.content.len - p));

        end = nl ? nl + 1 : lc->msg.content.data + lc->msg.content.len;
        if (end - p >= 5 && strncmp(p, "From ", 5) == 0)
            (void) buf_putc(&b, '>');
        (void) buf_append(&b, p, (size_t) (end - p));
    }
    if (b.len && b.data[b.len - 1] != '\n')
        (void) buf_putc(&b, '\n');
    (void) buf_putc(&b, '\n');
    if (write_all(fd, b.data, b.len) < 0 || (!dev && fsync(fd) < 0)) {
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
    unbecome(lc);
}

/* forward - resubmit to addresses that are not delivered here */
static void
forward(struct local *lc, struct deliver_req *req, struct strv *addrs,
        const char *to, struct dest_result *res)
{
    char id[QUEUE_ID_SIZE];
    struct queue_env env;
    struct buf h;
    int st;

    if (lc->cc == NULL)
        lc->cc = cleanup_client_new("cleanup", 300);
    if (cleanup_client_open(lc->cc, 0, id) < 0) {
        local_set_res(res, DELIVER_DEFER, "4.3.0", "cannot connect to cleanup: %s",
                strerror(errno));
        return;
    }
    queue_env_init(&env);
    queue_env_set(&env.sender, req->sender);
    queue_env_set(&env.proto, "local");
    for (size_t i = 0; i < addrs->n; i++)
        queue_env_add_rcpt(&env, addrs->v[i], "", "", 0);
    buf_init(&h, 0);
    (void) buf_printf(&h, "Delivered-To: %s\n", to);
    st = cleanup_client_env(lc->cc, &env, NULL) < 0 ||
                 cleanup_client_data(lc->cc, h.data, h.len) < 0 ||
                 cleanup_client_data(lc->cc, lc->msg.content.data,
                                     lc->msg.content.len) < 0
             ? -1
             : cleanup_client_end(lc->cc);
    buf_fini(&h);
    queue_env_fini(&env);
    if (st == CLEANUP_STAT_OK) {
        local_set_res(res, DELIVER_SENT, "2.0.0", "forwarded as %s", id);
    } else {
        /* cleanup's permanent refusals (a bad address, too big) bounce
         * now; retrying would meet the same answer until the message
         * expires */
        const char *text =
            cleanup_reply_text(st < 0 ? CLEANUP_STAT_WRITE : (unsigned) st);
        int perm = text[0] == '5';
        char dsn[16];

        snprintf(dsn, sizeof(dsn), "%s", perm ? "5.3.0" : "4.3.0");
        if (perm && strlen(text) > 10 && text[3] == ' ' && text[5] == '.')
            snprintf(dsn, sizeof(dsn), "%.*s", (int) strcspn(text + 4, " "),
                     text + 4);
        local_set_res(res, perm ? DELIVER_BOUNCE : DELIVER_DEFER, dsn,
                "cannot forward: %s", text);
    }
}

/* log_dest - the delivery line of one final destination */
static void
log_dest(struct deliver_req *req, struct deliver_rcpt *rc, const char *to,
         const char *orig, const struct dest_result *r)
{
    struct deliver_rcpt tmp = *rc;

    tmp.addr = (char *) to;
    tmp.orig = (char *) (orig && strcasecmp(orig, to) != 0 ? orig : "");
    tmp.status = r->status;
    snprintf(tmp.dsn, sizeof(tmp.dsn), "%s", r->dsn);
    tmp.text = (char *) r->text;
    deliver_log(req, &tmp, "local");
}

static void deliver_addr(struct local *lc, struct batch *b,
                         struct deliver_req *req, struct deliver_rcpt *rc,
                         const char *addr, const char *orig, int depth,
                         struct dest_result *acc, int *first);

/* read_checked - the text of path, which was just stat'ed as *want:
 * opened without blocking (a FIFO put there since cannot hang us),
 * without following a symlink unless follow, and only when the file
 * opened is still that regular file, not world writable, same owner.
 * 0 with *out (NUL terminated), -1 with errno, -2 file changed. */
static int
read_checked(const char *path, int follow, const struct stat *want,
             char **out)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC |
                            (follow ? 0 : O_NOFOLLOW));
    struct stat st;
    struct buf b;
    char chunk[8192];
    ssize_t n;
    int e;

    if (fd < 0)
        return -1;
    if (fstat(fd, &st) < 0) {
        e = errno;
        (void) close(fd);
        errno = e;
        return -1;
    }
    if (!S_ISREG(st.st_mode) || st.st_dev != want->st_dev ||
        st.st_ino != want->st_ino || st.st_uid != want->st_uid ||
        (st.st_mode & S_IWOTH)) {
        (void) close(fd);
        return -2;
    }
    buf_init(&b, 1 << 20);
    for (;;) {
        n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (buf_append(&b, chunk, (size_t) n) < 0) {
            n = -1;
            errno = EFBIG;
            break;
        }
    }
    e = errno;
    (void) close(fd);
    if (n < 0) {
        buf_fini(&b);
        errno = e;
        return -1;
    }
    *out = buf_steal(&b);
    return 0;
}

/* list_text - lines of a .forward or include file as one comma list;
 * blank lines and "#" comment lines are dropped; 1 when anything is
 * left */
static int
list_text(char *text)
{
    int any = 0;
    char *line = text;

    while (*line) {
        char *nl = strchr(line, '\n'), *c = line;

        while (*c == ' ' || *c == '\t')
            c++;
        if (*c == '#')
            memset(line, ' ', (size_t) ((nl ? nl : line + strlen(line)) - line));
        for (c = line; *c && c != nl; c++)
            any |= *c != ' ' && *c != '\t' && *c != ',' && *c != '\r';
        if (nl == NULL)
            break;
        *nl = ',';
        line = nl + 1;
    }
    return any;
}

static void expand(struct local *lc, struct batch *b, struct deliver_req *req,
                   struct deliver_rcpt *rc, const char *value,
                   const char *self, const char *orig, const struct who *w,
                   unsigned exp, int depth, struct dest_result *acc,
                   int *first);

/* include - ":include:path", as Postfix's deliver_include: 1 when the
 * file was expanded (results merged), 0 with *r the failure */
static int
include(struct local *lc, struct batch *b, struct deliver_req *req,
        struct deliver_rcpt *rc, const char *path, const char *self,
        const char *orig, const struct who *w, int depth,
        struct dest_result *acc, int *first, struct dest_result *r)
{
    struct stat st;
    struct who owner;
    const struct who *dw = w;
    char *text;
    long uid, gid;
    int st_rc, e;

    while (*path == ' ' || *path == '\t') /* ":include: /path" */
        path++;
    if (depth >= MAX_DEPTH) {
        maillog_warning(":include: nesting limit exceeded for %s", path);
        local_set_res(r, DELIVER_BOUNCE, "5.4.6", ":include: nesting limit exceeded");
        return 0;
    }
    if (*path != '/') {
        maillog_warning(":include:%s uses a relative path", path);
        local_set_res(r, DELIVER_BOUNCE, "5.3.5", "mail system configuration error");
        return 0;
    }
    /* type and owner with the rights in force (root's for a root-owned
     * alias, as Postfix: metadata only) */
    become(lc, w->uid, w->gid);
    st_rc = stat(path, &st);
    e = errno;
    unbecome(lc);
    if (st_rc < 0) {
        errno = e;
        maillog_warning("unable to lookup :include: file %s: %m", path);
        local_set_res(r, DELIVER_BOUNCE, "5.3.5", "mail system configuration error");
        return 0;
    }
    if (!S_ISREG(st.st_mode)) {
        maillog_warning(":include: file %s is not a regular file", path);
        local_set_res(r, DELIVER_BOUNCE, "5.3.5", "mail system configuration error");
        return 0;
    }
    if (st.st_mode & S_IWOTH) {
        maillog_warning(":include: file %s is world writable", path);
        local_set_res(r, DELIVER_BOUNCE, "5.3.5", "mail system configuration error");
        return 0;
    }
    /* In a root context the file's owner (when not root) takes over:
     * its owner must not get default_privs' rights. Elsewhere the rights
     * stay: nobody acts as a victim by including the victim's file. */
    if (lc->root && w->uid == 0 && st.st_uid != 0) {
        struct passwd *pw = getpwuid(st.st_uid);

        if (pw == NULL) {
            maillog_warning("cannot find username for uid %ld",
                            (long) st.st_uid);
            maillog_warning("%s: cannot find :include: file owner username",
                            path);
            local_set_res(r, DELIVER_DEFER, "4.3.5",
                    "mail system configuration error");
            return 0;
        }
        who_set(&owner, (long) pw->pw_uid, (long) pw->pw_gid, pw->pw_dir,
                pw->pw_shell);
        dw = &owner;
    }
    /* The text with the delivery rights; root's are default_privs here
     * (Postfix reads it as root): a root-only file stays unread. */
    local_deliver_ids(lc, dw, &uid, &gid);
    become(lc, uid, gid);
    st_rc = read_checked(path, 1, &st, &text);
    e = errno;
    unbecome(lc);
    if (st_rc < 0) {
        if (st_rc == -2)
            maillog_warning("cannot open include file %s: file changed "
                            "while it was opened",
                            path);
        else {
            errno = e;
            maillog_warning("cannot open include file %s: %m", path);
        }
        local_set_res(r, DELIVER_BOUNCE, "5.3.5", "mail system configuration error");
        return 0;
    }
    (void) list_text(text);
    expand(lc, b, req, rc, text, self, orig, dw, EXP_INCLUDE, depth + 1, acc,
           first);
    mem_free(text);
    return 1;
}

/* expand - an alias, .forward or include value: comma separated
 * destinations, delivered with the rights w; exp says where the value
 * came from (allow_mail_to_commands, allow_mail_to_files) */
static void
expand(struct local *lc, struct batch *b, struct deliver_req *req,
       struct deliver_rcpt *rc, const char *value, const char *self,
       const char *orig, const struct who *w, unsigned exp, int depth,
       struct dest_result *acc, int *first)
{
    char *copy = mem_strdup(value), *save = NULL;
    struct strv remote;

    strv_init(&remote);
    for (char *d = strtok_r(copy, ",", &save); d;
         d = strtok_r(NULL, ",", &save)) {
        struct dest_result r;
        char *t = str_trim(d);
        size_t n = strlen(t);

        memset(&r, 0, sizeof(r));
        if (n >= 2 && t[0] == '"' && t[n - 1] == '"') {
            t[n - 1] = 0;
            t++;
            n -= 2;
        }
        if (n == 0)
            continue;
        if (t[0] == '|') {
            if ((lc->cmd_mask & exp) == 0)
                local_set_res(&r, DELIVER_BOUNCE, "5.7.1",
                        "mail to command is restricted");
            else
                local_command(lc, req, t + 1, self, orig, w, &r);
            log_dest(req, rc, self, orig, &r);
        } else if (t[0] == '/') {
            long uid, gid;

            local_deliver_ids(lc, w, &uid, &gid);
            if ((lc->file_mask & exp) == 0)
                local_set_res(&r, DELIVER_BOUNCE, "5.7.1",
                        "mail to file is restricted");
            else if (t[n - 1] == '/')
                maildir_start(lc, b, req, rc, t, self, orig, uid, gid, &r);
            else {
                char what[1100];

                snprintf(what, sizeof(what), "delivered to file: %s", t);
                mbox(lc, req, t, self, orig, uid, gid, &r, what, 1);
            }
            if (!(t[n - 1] == '/' && r.status == DELIVER_SENT))
                log_dest(req, rc, self, orig, &r);
        } else if (strncasecmp(t, ":include:", 9) == 0) {
            if (include(lc, b, req, rc, t + 9, self, orig, w, depth, acc,
                        first, &r))
                continue;
            log_dest(req, rc, self, orig, &r);
        } else {
            /* an address: local (no domain or a local domain) or not */
            const char *dom = strrchr(t, '@');

            if (dom == NULL ||
                rewrite_domain_class(lc->rw, dom + 1) == REWRITE_LOCAL) {
                char full[600];

                if (dom == NULL)
                    snprintf(full, sizeof(full), "%s@%s", t,
                             rewrite_myorigin(lc->rw));
                else
                    snprintf(full, sizeof(full), "%s", t);
                /* "user: user" ends the alias loop: the user's mailbox */
                if (strcasecmp(full, self) == 0)
                    deliver_addr(lc, b, req, rc, full, orig, MAX_DEPTH, acc,
                                 first);
                else
                    deliver_addr(lc, b, req, rc, full, orig, depth + 1, acc,
                                 first);
                continue;
            }
            strv_add(&remote, t);
            continue;
        }
        merge(acc, &r, first);
    }
    if (remote.n) {
        struct dest_result r;

        forward(lc, req, &remote, self, &r);
        for (size_t i = 0; i < remote.n; i++)
            log_dest(req, rc, remote.v[i], self, &r);
        merge(acc, &r, first);
    }
    strv_fini(&remote);
    mem_free(copy);
}

/* alias_find - key in the alias tables, in order; *at: the table */
static enum maps_result
alias_find(struct local *lc, const char *key, const char **value,
           const struct alias_table **at)
{
    for (size_t i = 0; i < lc->nat; i++) {
        enum maps_result mr = maps_find(lc->at[i].m, key, value);

        *at = &lc->at[i];
        if (mr != MAPS_NOTFOUND)
            return mr;
    }
    return MAPS_NOTFOUND;
}

/* dot_forward - $HOME/.forward as Postfix's dotforward.c: looked at and
 * read as the user; ignored with a warning when it is not a regular
 * file, has another owner than the user or root, or is world writable;
 * 1 when it was expanded, 0: deliver to the mailbox */
static int
dot_forward(struct local *lc, struct batch *b, struct deliver_req *req,
            struct deliver_rcpt *rc, struct pwent *pw, const char *addr,
            const char *orig, int depth, struct dest_result *acc, int *first)
{
    char fw[1100], *text = NULL;
    struct stat st;
    struct who w;
    int got = 0;

    snprintf(fw, sizeof(fw), "%s/.forward", pw->dir);
    become(lc, pw->uid, pw->gid);
    if (lstat(fw, &st) < 0) {
        if (errno == ENOENT)
            pw->no_forward = time(NULL);
    } else if (!S_ISREG(st.st_mode)) {
        maillog_warning("file %s is not a regular file", fw);
    } else if (st.st_uid != 0 && (long) st.st_uid != pw->uid) {
        maillog_warning("file %s has bad owner uid %ld", fw, (long) st.st_uid);
    } else if (st.st_mode & S_IWOTH) {
        maillog_warning("file %s is world writable", fw);
    } else {
        int st_rc = read_checked(fw, 0, &st, &text);

        if (st_rc == -2)
            maillog_warning("cannot open file %s: file changed while it "
                            "was opened",
                            fw);
        else if (st_rc < 0)
            maillog_warning("cannot open file %s: %m", fw);
        else
            got = 1;
    }
    unbecome(lc);
    if (!got)
        return 0;
    /* an empty .forward is no .forward */
    if (!list_text(text)) {
        mem_free(text);
        return 0;
    }
    who_set(&w, pw->uid, pw->gid, pw->dir, pw->shell);
    expand(lc, b, req, rc, text, addr, orig, &w, EXP_FORWARD, depth, acc,
           first);
    mem_free(text);
    return 1;
}

/* deliver_addr - one local address: alias, .forward, mailbox */
static void
deliver_addr(struct local *lc, struct batch *b, struct deliver_req *req,
             struct deliver_rcpt *rc, const char *addr, const char *orig,
             int depth, struct dest_result *acc, int *first)
{
    char user[512], ext[512] = "";
    const char *at = strrchr(addr, '@');
    size_t n = at ? (size_t) (at - addr) : strlen(addr);
    const char *v;
    struct pwent *pw;
    struct dest_result r;
    enum maps_result mr;

    memset(&r, 0, sizeof(r));
    if (depth > MAX_DEPTH + 1) {
        local_set_res(&r, DELIVER_BOUNCE, "5.4.6", "mail forwarding loop for %s",
                addr);
        goto done;
    }
    if (n >= sizeof(user))
        n = sizeof(user) - 1;
    memcpy(user, addr, n);
    user[n] = 0;
    for (char *c = user; *c; c++)
        *c = (char) tolower((unsigned char) *c);
    if (loop_check(lc, addr)) {
        local_set_res(&r, DELIVER_BOUNCE, "5.4.6", "mail forwarding loop for %s",
                addr);
        goto done;
    }
    /* aliases: the full local part, then without the extension */
    if (depth <= MAX_DEPTH) {
        const struct alias_table *tab = NULL;

        mr = alias_find(lc, user, &v, &tab);
        if (mr == MAPS_NOTFOUND && lc->delim && *lc->delim) {
            char *cut = strpbrk(user, lc->delim);

            if (cut && cut != user) {
                snprintf(ext, sizeof(ext), "%s", cut + 1);
                *cut = 0;
                mr = alias_find(lc, user, &v, &tab);
            }
        }
        if (mr == MAPS_ERROR) {
            local_set_res(&r, DELIVER_DEFER, "4.3.0",
                    "alias database unavailable: %s", maps_error(tab->m));
            goto done;
        }
        if (mr == MAPS_FOUND) {
            char *value;

            if (tab->owner_unknown) {
                maillog_warning("cannot find username for uid %ld",
                                tab->owner);
                local_set_res(&r, DELIVER_DEFER, "4.3.5",
                        "mail system configuration error");
                goto done;
            }
            value = mem_strdup(v);
            expand(lc, b, req, rc, value, addr, orig, &tab->who, EXP_ALIAS,
                   depth, acc, first);
            mem_free(value);
            return;
        }
    } else if (lc->delim && *lc->delim) {
        char *cut = strpbrk(user, lc->delim);

        if (cut && cut != user)
            *cut = 0;
    }
    pw = pw_lookup(lc, user);
    if (pw == NULL && lc->delim && *lc->delim && !ext[0]) {
        char *cut = strpbrk(user, lc->delim);

        if (cut && cut != user) {
            *cut = 0;
            pw = pw_lookup(lc, user);
        }
    }
    if (pw == NULL) {
        local_set_res(&r, DELIVER_BOUNCE, "5.1.1", "unknown user: \"%s\"", user);
        goto done;
    }
    /* $HOME/.forward */
    if (depth <= MAX_DEPTH && time(NULL) - pw->no_forward >= PW_TTL &&
        dot_forward(lc, b, req, rc, pw, addr, orig, depth, acc, first))
        return;
    if (*lc->home_mailbox) {
        char path[1100];

        snprintf(path, sizeof(path), "%s/%s", pw->dir, lc->home_mailbox);
        if (lc->home_mailbox[strlen(lc->home_mailbox) - 1] == '/') {
            maildir_start(lc, b, req, rc, path, addr, orig, pw->uid, pw->gid,
                          &r);
            if (r.status == DELIVER_SENT) {
                merge(acc, &r, first);
                return; /* logged after the batch sync */
            }
        } else {
            mbox(lc, req, path, addr, orig, pw->uid, pw->gid, &r,
                 "delivered to mailbox", 0);
        }
    } else {
        char path[1100];

        snprintf(path, sizeof(path), "%s/%s", lc->spool, user);
        mbox(lc, req, path, addr, orig, pw->uid, pw->gid, &r,
             "delivered to mailbox", 0);
    }
done:
    log_dest(req, rc, addr, orig, &r);
    merge(acc, &r, first);
}

/* batch_sync - fsync every maildir file, rename into new/, sync dirs */
static void
batch_sync(struct local *lc, struct batch *b, struct dest_result *results,
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
        become(lc, p->uid, p->gid);
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
        unbecome(lc);
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
        become(lc, b->p[i].uid, b->p[i].gid);
        fd = open(b->p[i].dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || fsync(fd) < 0) {
            for (size_t k = i; k < b->n; k++)
                if (strcmp(b->p[k].dir, b->p[i].dir) == 0)
                    b->p[k].fd = -2;
        }
        if (fd >= 0)
            (void) close(fd);
        unbecome(lc);
    }
}

static void
batch(void *ctx, struct deliver_req **reqs, size_t n)
{
    struct local *lc = ctx;
    struct batch b = {NULL, 0};
    struct dest_result *acc = mem_calloc(n * 64 + 1, sizeof(*acc));
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        struct deliver_req *req = reqs[i];

        if (deliver_content_load(&lc->msg, req) < 0) {
            for (size_t j = 0; j < req->nrcpt; j++) {
                deliver_result(&req->rcpt[j], DELIVER_DEFER, "4.3.0",
                               "cannot read queue file");
                deliver_log(req, &req->rcpt[j], "local");
            }
            continue;
        }
        for (size_t j = 0; j < req->nrcpt && j < 64; j++) {
            struct deliver_rcpt *rc = &req->rcpt[j];
            int first = 1;
            char *orig = mem_strdup(rc->orig[0] ? rc->orig : rc->addr);
            size_t before = b.n;

            memset(&acc[k], 0, sizeof(acc[k]));
            deliver_addr(lc, &b, req, rc, rc->addr, orig, 0, &acc[k], &first);
            /* maildir files of this recipient: final word after sync */
            for (size_t m = before; m < b.n; m++)
                b.p[m].rc = rc;
            deliver_result(rc, acc[k].status, acc[k].dsn, acc[k].text);
            mem_free(orig);
            k++;
        }
    }
    if (b.n) {
        batch_sync(lc, &b, acc, k, reqs);
        for (size_t m = 0; m < b.n; m++) {
            struct pending *p = &b.p[m];
            struct deliver_rcpt *rc = p->rc;
            char *save_addr = rc->addr, *save_orig = rc->orig;
            struct deliver_rcpt tmp = *rc;

            if (p->fd == -2) {
                deliver_result(rc, DELIVER_DEFER, "4.2.0",
                               "cannot deliver to maildir: sync failed");
                continue;
            }
            /* log the maildir delivery with its own to/orig_to */
            tmp.addr = p->to;
            tmp.orig =
                strcmp(p->orig_to, p->to) != 0 ? p->orig_to : (char *) "";
            tmp.status = DELIVER_SENT;
            snprintf(tmp.dsn, sizeof(tmp.dsn), "2.0.0");
            tmp.text = (char *) "delivered to maildir";
            deliver_log(p->req, &tmp, "local");
            (void) save_addr;
            (void) save_orig;
        }
    }
    mem_free(b.p);
    mem_free(acc);
}

static void
lock_methods(struct local *lc, const char *v)
{
    struct strv sv;

    strv_init(&sv);
    server_split(v, &sv);
    for (size_t i = 0; i < sv.n; i++) {
        if (strcmp(sv.v[i], "fcntl") == 0)
            lc->lock_fcntl = 1;
        else if (strcmp(sv.v[i], "dotlock") == 0)
            lc->lock_dotlock = 1;
        else if (strcmp(sv.v[i], "flock") == 0)
            lc->lock_flock = 1;
    }
    strv_fini(&sv);
}

/* exp_mask - allow_mail_to_commands / _files: alias, forward, include */
static unsigned
exp_mask(struct server *srv, const char *param)
{
    char *v = server_param(srv, param);
    struct strv sv;
    unsigned mask = 0;

    strv_init(&sv);
    server_split(v, &sv);
    for (size_t i = 0; i < sv.n; i++) {
        if (strcasecmp(sv.v[i], "alias") == 0)
            mask |= EXP_ALIAS;
        else if (strcasecmp(sv.v[i], "forward") == 0)
            mask |= EXP_FORWARD;
        else if (strcasecmp(sv.v[i], "include") == 0)
            mask |= EXP_INCLUDE;
        else
            maillog_fatal("unknown %s value \"%s\" in \"%s\"", param,
                          sv.v[i], v);
    }
    strv_fini(&sv);
    mem_free(v);
    return mask;
}

/* alias_tables - one maps per table of alias_maps, with the rights its
 * deliveries run with: those of the file's owner, or root's (that is,
 * default_privs) for a root-owned file or a table without a file, as
 * Postfix's alias.c does with the dictionary owner */
static void
alias_tables(struct local *lc, const char *spec)
{
    struct strv items;

    strv_init(&items);
    maps_split(spec, &items);
    for (size_t i = 0; i < items.n; i++) {
        const char *name, *item = items.v[i];
        struct alias_table *t;
        struct stat st;

        lc->at = mem_realloc(lc->at, (lc->nat + 1) * sizeof(*lc->at));
        t = &lc->at[lc->nat++];
        memset(t, 0, sizeof(*t));
        t->m = maps_new("alias_maps", item, MAPS_F_ALIAS);
        who_set(&t->who, (long) getuid(), (long) getgid(), NULL, NULL);
        name = item;
        if (strncmp(name, "proxy:", 6) == 0)
            name += 6;
        name = strchr(name, ':');
        if (lc->root) {
            who_set(&t->who, 0, 0, NULL, NULL);
            if (name && name[1] == '/' && stat(name + 1, &st) == 0 &&
                st.st_uid != 0) {
                struct passwd *pw = getpwuid(st.st_uid);

                t->owner = (long) st.st_uid;
                if (pw)
                    who_set(&t->who, (long) pw->pw_uid, (long) pw->pw_gid,
                            pw->pw_dir, pw->pw_shell);
                else
                    t->owner_unknown = 1;
            }
        }
    }
    strv_fini(&items);
}

/* local_setup - after the privilege drop (local keeps root when its
 * master.cf entry says unpriv n) */
static void
local_setup(struct server *srv, void *ctx)
{
    struct local *lc = ctx;
    char *v;

    lc->srv = srv;
    deliver_content_init(&lc->msg);
    lc->root = geteuid() == 0;
    lc->dirs = htab_new(64);
    lc->users = htab_new(64);
    v = server_param(srv, "alias_maps");
    alias_tables(lc, v);
    mem_free(v);
    lc->rw = rewrite_new(srv->conf, srv->name_space);
    lc->home_mailbox = server_param(srv, "home_mailbox");
    lc->spool = server_param(srv, "mail_spool_directory");
    lc->delim = server_param(srv, "recipient_delimiter");
    lc->myhostname = server_param(srv, "myhostname");
    lc->original_rcpt = server_param_bool(srv, "enable_original_recipient");
    v = server_param(srv, "mailbox_delivery_lock");
    lock_methods(lc, v);
    mem_free(v);
    lc->lock_attempts = server_param_int(srv, "deliver_lock_attempts");
    if (lc->lock_attempts < 1)
        lc->lock_attempts = 1;
    lc->lock_delay = server_param_time(srv, "deliver_lock_delay");
    if (lc->lock_delay < 0)
        lc->lock_delay = 1;
    lc->default_uid = (long) getuid();
    lc->default_gid = (long) getgid();
    if (lc->root) {
        /* never root: master_check refuses such a main.cf, and a -o
         * override or a changed passwd is refused here */
        char *privs = server_param(srv, "default_privs");
        struct passwd *pw = getpwnam(privs);

        if (pw == NULL)
            maillog_fatal("parameter default_privs: unknown user name "
                          "value: %s",
                          privs);
        if (pw->pw_uid == 0 || pw->pw_gid == 0)
            maillog_fatal("parameter default_privs: user %s has privileged "
                          "%s ID",
                          privs, pw->pw_uid == 0 ? "user" : "group");
        lc->default_uid = (long) pw->pw_uid;
        lc->default_gid = (long) pw->pw_gid;
        mem_free(privs);
    }
    lc->cmd_mask = exp_mask(srv, "allow_mail_to_commands");
    lc->file_mask = exp_mask(srv, "allow_mail_to_files");
    lc->cmd_filter = server_param(srv, "command_expansion_filter");
    lc->cmd_time_limit = server_param_time(srv, "command_time_limit");
    if (lc->cmd_time_limit <= 0)
        lc->cmd_time_limit = 1000;
    strv_init(&lc->export_env);
    {
        struct strv sv;

        strv_init(&sv);
        v = server_param(srv, "export_environment");
        server_split(v, &sv);
        for (size_t i = 0; i < sv.n; i++) {
            const char *val = strchr(sv.v[i], '=') ? NULL : getenv(sv.v[i]);

            if (strchr(sv.v[i], '='))
                strv_add(&lc->export_env, sv.v[i]);
            else if (val) {
                struct buf e;

                buf_init(&e, 0);
                buf_printf(&e, "%s=%s", sv.v[i], val);
                strv_add(&lc->export_env, buf_str(&e));
                buf_fini(&e);
            }
        }
        strv_fini(&sv);
        mem_free(v);
    }
}

static int
local_loop(struct server *srv, void *ctx)
{
    deliver_agent_loop(srv, batch, ctx);
    return 0;
}

int
local_service(struct server *srv)
{
    static const struct server_service svc = {NULL, local_setup, NULL,
                                              local_loop};
    struct local lc;

    memset(&lc, 0, sizeof(lc));
    return server_main(srv, &svc, &lc);
}

/* ---- error and discard ---- */

struct simple {
    int discard;
    int defer;
};

static void
simple_batch(void *ctx, struct deliver_req **reqs, size_t n)
{
    struct simple *sm = ctx;

    for (size_t i = 0; i < n; i++) {
        struct deliver_req *req = reqs[i];

        for (size_t j = 0; j < req->nrcpt; j++) {
            struct deliver_rcpt *rc = &req->rcpt[j];
            const char *text = *req->nexthop ? req->nexthop : NULL;
            char dsn[16] = "";

            /* "5.1.1 text" sets the status code */
            if (text && isdigit((unsigned char) text[0]) && text[1] == '.') {
                size_t k = strcspn(text, " ");

                if (k < sizeof(dsn)) {
                    memcpy(dsn, text, k);
                    dsn[k] = 0;
                    text += k;
                    while (*text == ' ')
                        text++;
                }
            }
            if (sm->discard)
                deliver_result(rc, DELIVER_SENT, "2.0.0",
                               text && *text ? text : "discarded");
            else if (sm->defer || dsn[0] == '4')
                deliver_result(rc, DELIVER_DEFER, dsn[0] ? dsn : "4.0.0",
                               text && *text ? text : "deferred");
            else
                deliver_result(rc, DELIVER_BOUNCE, dsn[0] ? dsn : "5.0.0",
                               text && *text ? text : "bounced");
            deliver_log(req, rc, "none");
        }
    }
}

static void
error_setup(struct server *srv, void *ctx)
{
    struct simple *sm = ctx;

    /* "retry unix ... error" defers instead of bouncing */
    sm->defer = strcmp(srv->service, "retry") == 0;
}

static int
simple_loop(struct server *srv, void *ctx)
{
    deliver_agent_loop(srv, simple_batch, ctx);
    return 0;
}

int
local_error_service(struct server *srv)
{
    static const struct server_service svc = {NULL, error_setup, NULL,
                                              simple_loop};
    struct simple sm = {0, 0};

    return server_main(srv, &svc, &sm);
}

int
local_discard_service(struct server *srv)
{
    static const struct server_service svc = {NULL, NULL, NULL, simple_loop};
    struct simple sm = {1, 0};

    return server_main(srv, &svc, &sm);
}
