/*
 * qmgr_tool - queue tools: mailq, postqueue, postsuper, "postern queue"
 *	(their command lines, but postqueue's, are lib/tools/cli/cli_queue.c).
 *
 * DESCRIPTION
 *	See qmgr_tool.h. mailq output uses Postfix's showq layout: ID with
 *	'*' (active or waiting) or '!' (on hold), size, arrival time,
 *	sender, the deferral reason in parentheses, then the recipients
 *	not yet delivered.
 */
#define _DEFAULT_SOURCE 1 /* strcasecmp */
#include "qmgr/qmgr_tool.h"

#include <sys/file.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "conf/conf.h"
#include "ipc/ipc.h"
#include "maillog/maillog.h"
#include "out/out.h"
#include "pcf/pcf.h"
#include "pickup/pickup.h"
#include "qmgr/qmgr.h"
#include "queue/queue.h"
#include "server/server.h"

struct listing {
    FILE *out;
    int json;
    struct out_val *arr;
    unsigned long count;
    uint64_t bytes;
    const char *want_id; /* show: the one message */
    struct queue_loc loc;
    int found;
};

static int
list_one(void *ctx, const struct queue_snap_msg *m)
{
    struct listing *l = ctx;
    const struct queue_env *env = m->env;
    time_t t = (time_t) (env->arrival_us / 1000000u);
    char date[64];
    struct tm tm;
    char mark = m->state == QUEUE_MS_HOLD       ? '!'
                : m->state == QUEUE_MS_DEFERRED ? ' '
                                                : '*';

    if (l->want_id) {
        if (strcmp(l->want_id, env->id) == 0) {
            l->loc = m->loc;
            l->found = 1;
            return 1;
        }
        return 0;
    }
    l->count++;
    l->bytes += m->loc.content_len;
    localtime_r(&t, &tm);
    if (l->json) {
        struct out_val *o = out_obj_new(), *r = out_arr_new();

        out_obj_str(o, "queue_name",
                    m->state == QUEUE_MS_HOLD       ? "hold"
                    : m->state == QUEUE_MS_DEFERRED ? "deferred"
                                                    : "active");
        out_obj_str(o, "queue_id", env->id);
        out_obj_int(o, "arrival_time", (long long) t);
        out_obj_int(o, "message_size", (long long) m->loc.content_len);
        out_obj_str(o, "sender", env->sender);
        for (size_t i = 0; i < env->nrcpt; i++) {
            struct out_val *rc;

            if (m->rcpt_done[i])
                continue;
            rc = out_obj_new();
            out_obj_str(rc, "address", env->rcpt[i].addr);
            if (m->reason && *m->reason)
                out_obj_str(rc, "delay_reason", m->reason);
            out_arr_add(r, rc);
        }
        out_obj_add(o, "recipients", r);
        out_arr_add(l->arr, o);
        return 0;
    }
    if (l->count == 1)
        fprintf(l->out, "%-11s %8s %-20s %s\n", "-Queue ID-", "--Size--",
                "----Arrival Time----", "-Sender/Recipient-------");
    strftime(date, sizeof(date), "%a %b %e %H:%M:%S", &tm);
    fprintf(l->out, "%-11s%c %8" PRIu64 " %-20.20s %s\n", env->id, mark,
            m->loc.content_len, date,
            *env->sender ? env->sender : "MAILER-DAEMON");
    if (m->reason && *m->reason)
        fprintf(l->out, "%*s(%s)\n", 42, "", m->reason);
    for (size_t i = 0; i < env->nrcpt; i++)
        if (!m->rcpt_done[i])
            fprintf(l->out, "%*s%s\n", 42, "", env->rcpt[i].addr);
    fputc('\n', l->out);
    return 0;
}

static struct queue_fs *
open_store(struct pcf *conf, char **qdir_out)
{
    char *qdir = server_conf_str(conf, NULL, "queue_directory");
    char path[1100];
    struct queue_fs *fs;

    snprintf(path, sizeof(path), "%s/store", qdir);
    fs = queue_fs_disk(path);
    if (fs == NULL)
        log_msg(NULL, LOG_LEVEL_FATAL, "open %s: %s", path, strerror(errno));
    *qdir_out = qdir;
    return fs;
}

/* list_store - the mailq listing of the store at path onto out; 0, or
 * -1 with errno (the store cannot be opened or read) */
static int
list_store(const char *path, int json, FILE *out)
{
    struct queue_fs *fs = queue_fs_disk(path);
    struct listing l;
    int rc = 0;

    if (fs == NULL)
        return -1;
    memset(&l, 0, sizeof(l));
    l.out = out;
    l.json = json;
    if (json)
        l.arr = out_arr_new();
    if (queue_snapshot(fs, list_one, NULL, &l) < 0) {
        int e = errno;

        if (json)
            out_free(l.arr);
        queue_fs_free(fs);
        errno = e;
        return -1;
    }
    if (json) {
        (void) out_print(l.arr, out);
        out_free(l.arr);
    } else if (l.count == 0) {
        fprintf(out, "Mail queue is empty\n");
    } else {
        fprintf(out, "-- %" PRIu64 " Kbytes in %lu Request%s.\n",
                (l.bytes + 1023) / 1024, l.count, l.count == 1 ? "" : "s");
    }
    queue_fs_free(fs);
    return rc;
}

int
qmgr_tool_list(struct pcf *conf, int json)
{
    char *qdir = server_conf_str(conf, NULL, "queue_directory");
    char path[1100];
    int rc = 0;

    snprintf(path, sizeof(path), "%s/store", qdir);
    if (list_store(path, json, stdout) < 0) {
        log_msg(NULL, LOG_LEVEL_FATAL, "read queue %s: %s", path,
                strerror(errno));
        rc = 1;
    }
    mem_free(qdir);
    return rc;
}

int
qmgr_tool_show(struct pcf *conf, const char *id)
{
    char *qdir;
    struct queue_fs *fs = open_store(conf, &qdir);
    struct listing l;
    int rc = 1;

    if (fs == NULL) {
        mem_free(qdir);
        return 1;
    }
    memset(&l, 0, sizeof(l));
    l.want_id = id;
    if (queue_snapshot(fs, list_one, NULL, &l) == 0 && l.found) {
        struct queue_env env;
        char buf[65536];
        uint64_t off = l.loc.content_off, left = l.loc.content_len;

        queue_env_init(&env);
        if (queue_seg_read_env(fs, &l.loc, &env, NULL) == 0) {
            printf("*** ENVELOPE RECORDS %s ***\n", id);
            printf("message_size: %" PRIu64 "\n", l.loc.content_len);
            printf("sender: %s\n", env.sender);
            for (size_t i = 0; i < env.nrcpt; i++)
                printf("recipient: %s\n", env.rcpt[i].addr);
            printf("*** MESSAGE CONTENTS %s ***\n", id);
        }
        queue_env_fini(&env);
        fflush(stdout);
        while (left > 0) {
            ssize_t r = queue_content_read(
                fs, l.loc.seq, buf,
                left > sizeof(buf) ? sizeof(buf) : (size_t) left, off);

            if (r <= 0)
                break;
            fwrite(buf, 1, (size_t) r, stdout);
            off += (uint64_t) r;
            left -= (uint64_t) r;
        }
        printf("*** END OF MESSAGE ***\n");
        rc = 0;
    } else {
        log_msg(NULL, LOG_LEVEL_FATAL, "%s: no such queue ID", id);
    }
    queue_fs_free(fs);
    mem_free(qdir);
    return rc;
}

/* online - send a control request to a running qmgr; count or -1 */
static long
online(const char *qdir, int type, const char *id)
{
    char path[1100];
    int fd;
    struct ipc_out o;
    struct buf frame;
    struct ipc_in in;
    long n = -1;

    snprintf(path, sizeof(path), "%s/public/qmgr", qdir);
    fd = ipc_connect_unix(path);
    if (fd < 0)
        return -1;
    ipc_out_init(&o);
    buf_init(&frame, 0);
    ipc_out_begin(&o, type);
    if (id)
        ipc_put_str(&o, id);
    if (ipc_call(fd, &o, &frame, 1 << 16, 30000) == 0 &&
        ipc_in_init(&in, frame.data, frame.len) == 0 && in.type == 'S')
        n = (long) ipc_get_u32(&in);
    ipc_out_fini(&o);
    buf_fini(&frame);
    (void) close(fd);
    return n;
}

struct offline {
    struct queue_fs *fs;
    const char *id;
    int type;
    long count;
};

static int
offline_one(void *ctx, const struct queue_snap_msg *m)
{
    struct offline *off = ctx;
    struct queue_state_log *sl;
    struct queue_state_rec r;

    if (strcmp(off->id, "ALL") != 0 && strcmp(off->id, m->env->id) != 0)
        return 0;
    if (off->type == QMGR_HOLD && m->state == QUEUE_MS_HOLD)
        return 0;
    if (off->type == QMGR_RELEASE && m->state != QUEUE_MS_HOLD)
        return 0;
    sl = queue_state_open(off->fs, m->loc.seq);
    if (sl == NULL)
        return 0;
    memset(&r, 0, sizeof(r));
    r.type = off->type == QMGR_DELETE ? QUEUE_ST_DELETED
             : off->type == QMGR_HOLD ? QUEUE_ST_HOLD
                                      : QUEUE_ST_RELEASE;
    r.off = m->loc.off;
    if (queue_state_append(sl, &r) == 0 && queue_state_sync(sl) == 0) {
        off->count++;
        log_msg("postsuper", LOG_LEVEL_INFO, "%s: %s", m->env->id,
                off->type == QMGR_DELETE ? "removed"
                : off->type == QMGR_HOLD ? "placed on hold"
                                         : "released from hold");
    }
    queue_state_close(sl);
    return 0;
}

/* change - delete/hold/release through qmgr, or offline */
int
qmgr_tool_change(struct pcf *conf, int type, const char *id)
{
    char *qdir = server_conf_str(conf, NULL, "queue_directory");
    char path[1100];
    long n;
    int lockfd, rc = 0;

    snprintf(path, sizeof(path), "%s/store/qmgr.lock", qdir);
    lockfd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
                  0600);
    if (lockfd >= 0 && flock(lockfd, LOCK_EX | LOCK_NB) < 0) {
        /* qmgr holds it: ask qmgr */
        n = online(qdir, type, id);
        if (n < 0) {
            log_msg("postsuper", LOG_LEVEL_FATAL, "cannot talk to qmgr: %s",
                    strerror(errno));
            rc = 1;
        } else if (type == QMGR_DELETE) {
            log_msg("postsuper", LOG_LEVEL_INFO, "Deleted: %ld message%s", n,
                    n == 1 ? "" : "s");
        } else {
            log_msg("postsuper", LOG_LEVEL_INFO, "%s: %ld message%s",
                    type == QMGR_HOLD ? "Placed on hold" : "Released from hold",
                    n, n == 1 ? "" : "s");
        }
    } else {
        struct offline off;

        memset(&off, 0, sizeof(off));
        snprintf(path, sizeof(path), "%s/store", qdir);
        off.fs = queue_fs_disk(path);
        off.id = id;
        off.type = type;
        if (off.fs == NULL ||
            queue_snapshot(off.fs, offline_one, NULL, &off) < 0) {
            log_msg("postsuper", LOG_LEVEL_FATAL, "%s: %s", path,
                    strerror(errno));
            rc = 1;
        } else if (type == QMGR_DELETE) {
            log_msg("postsuper", LOG_LEVEL_INFO, "Deleted: %ld message%s",
                    off.count, off.count == 1 ? "" : "s");
        } else {
            log_msg("postsuper", LOG_LEVEL_INFO, "%s: %ld message%s",
                    type == QMGR_HOLD ? "Placed on hold" : "Released from hold",
                    off.count, off.count == 1 ? "" : "s");
        }
        queue_fs_free(off.fs);
    }
    if (lockfd >= 0)
        (void) close(lockfd);
    mem_free(qdir);
    return rc;
}

int
qmgr_tool_flush(struct pcf *conf)
{
    char *qdir = server_conf_str(conf, NULL, "queue_directory");
    long n = online(qdir, QMGR_FLUSH, NULL);

    mem_free(qdir);
    if (n < 0) {
        log_msg("postqueue", LOG_LEVEL_FATAL,
                "Cannot flush mail queue - mail "
                "system is down");
        return EX_UNAVAILABLE;
    }
    return 0;
}

/* ---- showq: the queue listing for users who cannot read the store ---- */

static void
showq_conn(struct server *srv, int fd, void *ctx)
{
    char req = 0;
    char *text = NULL;
    size_t len = 0;
    FILE *out;
    struct pollfd p = {fd, POLLIN, 0};

    (void) srv;
    (void) ctx;
    /* one request byte: 'p' (mailq) or 'j' (JSON); anything else, or
     * nothing within 10 s, is the text listing */
    if (poll(&p, 1, 10000) > 0 && read(fd, &req, 1) != 1)
        req = 0;
    out = open_memstream(&text, &len);
    if (out == NULL)
        return;
    if (list_store("store", req == 'j', out) < 0)
        log_warn("read queue store: %s", strerror(errno));
    if (fclose(out) == 0 && ipc_write_all(fd, text, len, 30000) < 0) {
        /* the client went away */
    }
    free(text);
}

int
qmgr_showq_service(struct server *srv)
{
    static const struct server_service svc = {NULL, NULL, showq_conn, NULL};

    return server_main(srv, &svc, NULL);
}

/* showq_ask - the listing from public/showq onto stdout; 0, or -1 when
 * the service cannot be reached */
static int
showq_ask(const char *qdir, int json)
{
    char path[1100], b[65536];
    int fd;
    ssize_t n;

    snprintf(path, sizeof(path), "%s/public/showq", qdir);
    fd = ipc_connect_unix(path);
    if (fd < 0)
        return -1;
    if (ipc_write_all(fd, json ? "j" : "p", 1, 10000) < 0) {
        (void) close(fd);
        return -1;
    }
    (void) ipc_rcvtimeo(fd, 60000);
    fflush(stdout);
    while ((n = read(fd, b, sizeof(b))) > 0)
        if (fwrite(b, 1, (size_t) n, stdout) != (size_t) n)
            break;
    (void) close(fd);
    return 0;
}

int
qmgr_postqueue_main(int argc, char **argv)
{
    const char *config_dir = NULL;
    int op = 0;
    struct pcf *conf;
    char *qdir;
    int rc = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (strcmp(a, "--help") == 0) {
            printf("usage: postqueue [-c config_dir] -p | -j | -f | -s site\n"
                   "  -p  list the queue (mailq)   -j  as JSON\n"
                   "  -f  flush the queue          -s  the same as -f\n");
            return 0;
        }
        if (strcmp(a, "-c") == 0 && i + 1 < argc)
            config_dir = argv[++i];
        else if (strcmp(a, "-p") == 0 || strcmp(a, "-j") == 0 ||
                 strcmp(a, "-f") == 0)
            op = a[1];
        else if (strcmp(a, "-s") == 0 && i + 1 < argc) {
            op = 'f'; /* no fast-flush service: flush everything */
            i++;
        } else if (strcmp(a, "-v") == 0)
            continue;
        else {
            op = 0;
            break;
        }
    }
    if (op == 0) {
        log_msg("postqueue", LOG_LEVEL_FATAL,
                "usage: postqueue -f | postqueue "
                "-j | postqueue -p | postqueue -s site");
        return EX_USAGE;
    }
    conf = pickup_setgid_init("postqueue", config_dir, &qdir);
    {
        /* root and mail_owner are never refused, as in Postfix */
        char *owner = server_conf_str(conf, NULL, "mail_owner");
        struct passwd *opw = getpwnam(owner);
        const char *who = NULL;

        mem_free(owner);
        if (getuid() != 0 && (opw == NULL || getuid() != opw->pw_uid))
            who = pickup_user_acl(conf,
                                  op == 'f' ? "authorized_flush_users"
                                            : "authorized_mailq_users",
                                  getuid());
        if (who) {
            log_msg("postqueue", LOG_LEVEL_FATAL,
                    "User %s(%ld) is not allowed to %s", who, (long) getuid(),
                    op == 'f' ? "flush the mail queue" : "view the mail queue");
            mem_free(qdir);
            return EX_NOPERM;
        }
    }
    if (op == 'f') {
        if (online(qdir, QMGR_FLUSH, NULL) < 0) {
            log_msg("postqueue", LOG_LEVEL_FATAL,
                    "Cannot flush mail queue - "
                    "mail system is down");
            rc = EX_UNAVAILABLE;
        }
    } else if (showq_ask(qdir, op == 'j') < 0) {
        /* the mail system is down: who may read the store reads it */
        if (list_store("store", op == 'j', stdout) < 0) {
            log_msg("postqueue", LOG_LEVEL_FATAL,
                    "Queue report unavailable - "
                    "mail system is down");
            rc = EX_UNAVAILABLE;
        }
    }
    mem_free(qdir);
    return rc;
}

/*
 * qmgr_tool_as_mail_owner - postsuper and "postern queue" run by root work on
 * the queue as mail_owner, as Postfix's postsuper does: the store belongs to
 * mail_owner, and a root process opening names in a directory that a
 * less-privileged user controls is how a planted symlink becomes a
 * write as root. 0, or -1 after a message on stderr.
 */
int
qmgr_tool_as_mail_owner(struct pcf *conf, const char *prog)
{
    long uid, gid;

    if (geteuid() != 0)
        return 0;
    server_user(conf, &uid, &gid);
    if (uid == 0 || gid == 0) {
        log_msg(prog, LOG_LEVEL_FATAL,
                "mail_owner is unknown or has a privileged user "
                "or group ID");
        return -1;
    }
    if (util_set_ugid((uid_t) uid, (gid_t) gid) < 0) {
        log_msg(prog, LOG_LEVEL_FATAL, "cannot become mail_owner: %s",
                strerror(errno));
        return -1;
    }
    return 0;
}

/* qmgr_tool_mailq - as Postfix's mailq: the set-gid postqueue -p */
int
qmgr_tool_mailq(struct pcf *conf, int json)
{
    char path[PATH_MAX];

    pickup_command_path(conf, "postqueue", path, sizeof(path));
    execl(path, "postqueue", json ? "-j" : "-p", (char *) NULL);
    log_msg("mailq", LOG_LEVEL_FATAL, "execute %s: %s", path, strerror(errno));
    return EX_UNAVAILABLE;
}
