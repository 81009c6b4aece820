/*
 * pickup - the pickup daemon.
 *
 * DESCRIPTION
 *	See pickup.h. One process (maxproc 1): a poll loop on public/pickup
 *	whose every connection is a trigger; each trigger, master wakeup
 *	or stop request leads to a scan of the maildrop directory, oldest
 *	name first.
 *
 *	maildrop is writable by the setgid_group, so its entries are not
 *	trusted: each is opened with O_NOFOLLOW|O_NONBLOCK, must be a
 *	regular file with one link, and the descriptor must be the file
 *	lstat saw. Anything else (symlink, FIFO, hard link, unreadable or
 *	malformed file) is moved to corrupt/ with a warning and the scan
 *	goes on: no entry can stop the ones after it.
 */
#include "pickup/pickup.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup/cleanup.h"
#include "ipc/ipc.h"
#include "maillog/maillog.h"
#include "pcf/pcf.h"
#include "pickup/pickup_int.h"
#include "server/server.h"

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

/* quarantine - move what pickup cannot use out of the way, so that it
 * never blocks the files after it: to corrupt/ (mail_owner's, 0700), as
 * Postfix's postsuper does with damaged queue files; removed when that
 * fails. The log line names it as Postfix's mail_open_ok does. */
static void
quarantine(const char *name, const char *why)
{
    char from[600], to[600];

    snprintf(from, sizeof(from), "maildrop/%s", name);
    snprintf(to, sizeof(to), "corrupt/%s", name);
    if (rename(from, to) == 0) {
        log_warn("maildrop/%s: %s; moved to corrupt/%s", name, why, name);
    } else if (unlink(from) == 0) {
        log_warn("maildrop/%s: %s; removed", name, why);
    } else {
        log_warn("maildrop/%s: %s; cannot move or remove it: %s", name, why,
                 strerror(errno));
    }
}

/* read_fd - the whole file into *out (NUL terminated); 0, or -1 with
 * errno (EFBIG past limit) */
static int
read_fd(int fd, size_t size, size_t limit, char **out, size_t *len)
{
    struct buf b;
    char chunk[65536];
    ssize_t n;

    if (size > limit) {
        errno = EFBIG;
        return -1;
    }
    buf_init(&b, 0);
    (void) buf_reserve(&b, size + 1);
    while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            buf_fini(&b);
            return -1;
        }
        if (b.len + (size_t) n > limit) {
            buf_fini(&b);
            errno = EFBIG;
            return -1;
        }
        (void) buf_append(&b, chunk, (size_t) n);
    }
    *len = b.len;
    (void) buf_putc(&b, 0);
    *out = buf_steal(&b);
    return *out ? 0 : -1;
}

/* open_file - open maildrop/NAME safely: a regular file with one link,
 * never through a symlink, never blocking on a FIFO, and the file
 * opened is the file examined. fd, or -1 (handled: skipped or moved) */
static int
open_file(const char *name, struct stat *st)
{
    char path[600], why[200];
    struct stat fst;
    int fd;

    snprintf(path, sizeof(path), "maildrop/%s", name);
    if (lstat(path, st) < 0) {
        if (errno != ENOENT)
            log_warn("maildrop/%s: %s", name, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st->st_mode)) {
        snprintf(why, sizeof(why), "uid %ld: not a regular file",
                 (long) st->st_uid);
        quarantine(name, why);
        return -1;
    }
    if (st->st_nlink != 1) {
        snprintf(why, sizeof(why), "uid %ld: file has %ld links",
                 (long) st->st_uid, (long) st->st_nlink);
        quarantine(name, why);
        return -1;
    }
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return -1;
        snprintf(why, sizeof(why), "uid %ld: open: %s", (long) st->st_uid,
                 strerror(errno));
        quarantine(name, why);
        return -1;
    }
    if (fstat(fd, &fst) < 0 || !S_ISREG(fst.st_mode) ||
        fst.st_dev != st->st_dev || fst.st_ino != st->st_ino ||
        fst.st_nlink != 1) {
        (void) close(fd);
        snprintf(why, sizeof(why), "uid %ld: file status changed unexpectedly",
                 (long) st->st_uid);
        quarantine(name, why);
        return -1;
    }
    *st = fst;
    return fd;
}

/* received - Postfix's pickup prepends this to every local submission:
 * who submitted it (the file's owner, not a login name) and when */
static void
received(struct buf *out, const char *host, const char *id,
         const struct stat *st, const char *content, size_t len)
{
    struct tm tm;
    char date[80];
    time_t t = st->st_mtime;

    localtime_r(&t, &tm);
    strftime(date, sizeof(date), "%a, %e %b %Y %H:%M:%S %z (%Z)", &tm);
    (void) buf_printf(out,
                      "Received: by %s (Postern, from userid %ld)\n"
                      "\tid %s; %s\n",
                      host, (long) st->st_uid, id, date);
    /* content that starts with white space would continue our header */
    if (len && (content[0] == ' ' || content[0] == '\t'))
        (void) buf_putc(out, '\n');
}

/* one_file - 0 done (submitted, discarded or moved aside), -1 retry
 * later */
/* issue 19: content_filter and receive_override_options, as pickup
 * sees them (read once, in pickup_loop) */
static char *pickup_filter;
static unsigned pickup_flags;
static struct pickup_milter *pickup_milters; /* non_smtpd_milters */

static int
one_file(struct cleanup_client *cc, const char *name, size_t limit,
         const char *host)
{
    char path[600], why[200];
    char *text = NULL;
    size_t len;
    struct stat st;
    struct queue_env env;
    char *fullname = NULL;
    size_t coff;
    char id[QUEUE_ID_SIZE];
    int st_code, rc = -1, fd;
    char origin[64];
    struct buf hdr;

    snprintf(path, sizeof(path), "maildrop/%s", name);
    if ((fd = open_file(name, &st)) < 0)
        return 0;
    if (read_fd(fd, (size_t) st.st_size, limit, &text, &len) < 0) {
        snprintf(why, sizeof(why), "uid %ld: read: %s", (long) st.st_uid,
                 strerror(errno));
        (void) close(fd);
        quarantine(name, why);
        return 0;
    }
    (void) close(fd);
    queue_env_init(&env);
    buf_init(&hdr, 0);
    if (pickup_file_decode(text, len, &env, &fullname, &coff) < 0) {
        snprintf(why, sizeof(why), "uid=%ld: malformed file", (long) st.st_uid);
        quarantine(name, why);
        rc = 0;
        goto out;
    }
    snprintf(origin, sizeof(origin), "uid=%ld", (long) st.st_uid);
    queue_env_set(&env.origin, origin);
    queue_env_set(&env.proto, "local");
    queue_env_set(&env.client_name, "localhost");
    queue_env_set(&env.client_addr, "127.0.0.1");
    env.flags |= QUEUE_F_LOCAL;
    queue_env_set(&env.filter, pickup_filter); /* issue 19 */
    if (cleanup_client_open(cc, QUEUE_F_LOCAL | pickup_flags, id) < 0) {
        log_warn("connect to cleanup service: %s", strerror(errno));
        goto out;
    }
    log_info("%s: uid=%ld from=<%s>", id, (long) st.st_uid, env.sender);
    received(&hdr, host, id, &st, text + coff, len - coff);
    if (pickup_milters) { /* non_smtpd_milters: on the whole message */
        (void) buf_append(&hdr, text + coff, len - coff);
        coff = len;
        if ((st_code = pickup_milter_run(pickup_milters, id, &env, &hdr)) !=
            PICKUP_MILTER_OK) {
            cleanup_client_abort(cc);
            if (st_code == PICKUP_MILTER_DONE)
                (void) unlink(path);
            rc = 0;
            goto out;
        }
    }
    st_code = cleanup_client_env(cc, &env, fullname) < 0 ||
                      cleanup_client_data(cc, hdr.data, hdr.len) < 0 ||
                      cleanup_client_data(cc, text + coff, len - coff) < 0
                  ? -1
                  : cleanup_client_end(cc);
    if (st_code == CLEANUP_STAT_OK) {
        (void) unlink(path);
        rc = 0;
    } else if (st_code > 0 && st_code != CLEANUP_STAT_WRITE &&
               st_code != CLEANUP_STAT_DEFER) {
        log_warn("%s: %s; maildrop file %s removed", id,
                 cleanup_reply_text((unsigned) st_code), name);
        (void) unlink(path);
        rc = 0;
    }
out:
    buf_fini(&hdr);
    queue_env_fini(&env);
    mem_free(fullname);
    mem_free(text);
    return rc;
}

static void
scan(struct cleanup_client *cc, size_t limit, const char *host)
{
    DIR *d = opendir("maildrop");
    struct dirent *de;
    struct strv names;

    if (d == NULL) {
        log_warn("open maildrop: %s", strerror(errno));
        return;
    }
    strv_init(&names);
    while ((de = readdir(d)) != NULL)
        if (de->d_name[0] != '.')
            strv_add(&names, de->d_name);
    closedir(d);
    if (names.n)
        qsort(names.v, names.n, sizeof(char *), cmp_str);
    for (size_t i = 0; i < names.n && !server_stopping(); i++)
        if (one_file(cc, names.v[i], limit, host) < 0)
            break; /* cleanup trouble: next wakeup */
    strv_fini(&names);
}

static int
pickup_loop(struct server *srv, void *ctx)
{
    struct cleanup_client *cc;
    size_t limit;
    char *host;
    long msl;

    (void) ctx;
    host = server_param(srv, "cleanup_service_name");
    cc = cleanup_client_new(host, 300);
    mem_free(host);
    msl = server_param_size(srv, "message_size_limit");
    limit = msl > 0 ? (size_t) msl + 1024 * 1024 : (size_t) 1 << 31;
    host = server_param(srv, "myhostname");
    pickup_filter = server_param(srv, "content_filter");
    {
        char *v = server_param(srv, "receive_override_options");

        pickup_flags = cleanup_override_flags(v);
        mem_free(v);
    }
    if (!(pickup_flags & CLEANUP_FLAG_NO_MILTERS))
        pickup_milters = pickup_milter_load(srv, host);
    for (int i = 0; i < srv->nlisten; i++)
        (void) ipc_nonblock(srv->listen_fd[i], 1);
    server_status(srv, 1);
    scan(cc, limit, host);
    while (!server_stopping()) {
        struct pollfd pfd[SERVER_MAX_LISTEN + 1];
        int n = 0, triggered = 0;

        for (int i = 0; i < srv->nlisten; i++) {
            pfd[n].fd = srv->listen_fd[i];
            pfd[n++].events = POLLIN;
        }
        pfd[n].fd = server_signal_fd();
        pfd[n++].events = POLLIN;
        if (poll(pfd, (nfds_t) n, 60000) < 0 && errno != EINTR)
            log_fatal("poll: %s", strerror(errno));
        for (int i = 0; i < srv->nlisten; i++) {
            int fd;

            if (!(pfd[i].revents & POLLIN))
                continue;
            while ((fd = server_accept(srv->listen_fd[i])) >= 0) {
                char b[16];

                (void) ipc_nonblock(fd, 1);
                if (read(fd, b, sizeof(b)) < 0) {
                    /* a trigger is a trigger, with or without its byte */
                }
                (void) close(fd);
                triggered = 1;
            }
        }
        (void) triggered;
        scan(cc, limit, host);
    }
    cleanup_client_free(cc);
    mem_free(host);
    mem_free(pickup_filter);
    pickup_milter_free(pickup_milters);
    return 0;
}

int
pickup_service(struct server *srv)
{
    static const struct server_service svc = {NULL, NULL, NULL, pickup_loop};

    return server_main(srv, &svc, NULL);
}
