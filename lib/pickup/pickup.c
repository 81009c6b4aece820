/*
 * pickup - the pickup daemon.
 *
 * DESCRIPTION
 *	See pickup.h. One process (maxproc 1): a poll loop on public/pickup
 *	whose every connection is a trigger; each trigger, master wakeup
 *	or stop request leads to a scan of the maildrop directory, oldest
 *	name first.
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

/* one_file - 0 done (submitted or discarded), -1 retry later */
static int
one_file(struct cleanup_client *cc, const char *name, size_t limit)
{
    char path[600];
    char *text;
    size_t len;
    struct stat st;
    struct queue_env env;
    char *fullname = NULL;
    size_t coff;
    char id[QUEUE_ID_SIZE];
    int st_code, rc = -1;
    char origin[64];

    snprintf(path, sizeof(path), "maildrop/%s", name);
    if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
        return 0;
    if (util_read_file(path, limit, &text, &len) < 0) {
        maillog_warning("maildrop/%s: %m", name);
        if (errno == EFBIG)
            (void) unlink(path);
        return errno == EFBIG ? 0 : -1;
    }
    queue_env_init(&env);
    if (pickup_file_decode(text, len, &env, &fullname, &coff) < 0) {
        maillog_warning("maildrop/%s: uid=%ld: malformed file; removed", name,
                        (long) st.st_uid);
        (void) unlink(path);
        rc = 0;
        goto out;
    }
    snprintf(origin, sizeof(origin), "uid=%ld", (long) st.st_uid);
    queue_env_set(&env.origin, origin);
    queue_env_set(&env.proto, "local");
    queue_env_set(&env.client_name, "localhost");
    queue_env_set(&env.client_addr, "127.0.0.1");
    env.flags |= QUEUE_F_LOCAL;
    if (cleanup_client_open(cc, QUEUE_F_LOCAL, id) < 0) {
        maillog_warning("connect to cleanup service: %m");
        goto out;
    }
    maillog_info("%s: uid=%ld from=<%s>", id, (long) st.st_uid, env.sender);
    st_code = cleanup_client_env(cc, &env, fullname) < 0 ||
                      cleanup_client_data(cc, text + coff, len - coff) < 0
                  ? -1
                  : cleanup_client_end(cc);
    if (st_code == CLEANUP_STAT_OK) {
        (void) unlink(path);
        rc = 0;
    } else if (st_code > 0 && st_code != CLEANUP_STAT_WRITE) {
        maillog_warning("%s: %s; maildrop file %s removed", id,
                        cleanup_reply_text((unsigned) st_code), name);
        (void) unlink(path);
        rc = 0;
    }
out:
    queue_env_fini(&env);
    mem_free(fullname);
    mem_free(text);
    return rc;
}

static void
scan(struct cleanup_client *cc, size_t limit)
{
    DIR *d = opendir("maildrop");
    struct dirent *de;
    struct strv names;

    if (d == NULL) {
        maillog_warning("open maildrop: %m");
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
        if (one_file(cc, names.v[i], limit) < 0)
            break; /* cleanup trouble: next wakeup */
    strv_fini(&names);
}

int
pickup_service(struct server *srv)
{
    struct cleanup_client *cc;
    size_t limit;
    char *v;

    server_init(srv);
    server_drop_privileges(srv);
    cc = cleanup_client_new("cleanup", 300);
    v = server_param(srv, "message_size_limit");
    limit = (size_t) strtoull(v, NULL, 10);
    limit = limit ? limit + 1024 * 1024 : (size_t) 1 << 31;
    mem_free(v);
    for (int i = 0; i < srv->nlisten; i++)
        (void) ipc_nonblock(srv->listen_fd[i], 1);
    server_status(srv, 1);
    scan(cc, limit);
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
            maillog_fatal("poll: %m");
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
        scan(cc, limit);
    }
    cleanup_client_free(cc);
    return 0;
}
