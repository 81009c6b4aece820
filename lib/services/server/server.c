/*
 * server - the daemon skeleton shared by every Postern service.
 *
 * DESCRIPTION
 *	See server.h. The status protocol to master is Postfix's: a pipe
 *	shared by every process of a service, each write one fixed-size
 *	record (pid, available), atomic because it is under PIPE_BUF.
 *
 * DIAGNOSTICS
 *	Setup failures are fatal (logged, exit 1): master throttles and
 *	restarts the service.
 */
#define _GNU_SOURCE 1 /* setgroups, chroot, accept4 */
#include "server/server.h"

#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <malloc.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf/conf.h"
#include "maillog/maillog.h"
#include "maps/maps.h"
#include "pcf/pcf.h"
#include "schema/schema.h"
#include "server/server_anvil.h"
#include "server/server_check.h"

static volatile sig_atomic_t stopping, terminating;
static int watch_tables; /* server_single_loop runs: see check_tables */
static int sig_pipe[2] = {-1, -1};

char *
server_conf_str(struct pcf *p, const char *svc, const char *name)
{
    char *v = svc ? pcf_service_value(p, svc, name) : pcf_value(p, name);

    return server_file_param(name, v ? v : mem_strdup(""));
}

/*
 * Typed parameters. The schema says a parameter's type, default unit and
 * range; schema_value_parse reads it as Postfix 3.7 does. A malformed
 * value is fatal with Postfix's words after the file and line the value
 * came from, never replaced by the default: a daemon that runs with a
 * limit other than the one written would lie about its configuration.
 */

/* typed_param - the schema entry for name (a service family's default
 * parameter for "relay_destination_concurrency_limit"); a name the
 * schema does not know, or read as another type, is a bug in the
 * caller: abort */
static const struct schema_param *
typed_param(const char *name, enum schema_type want)
{
    const struct schema_param *sp = schema_param_find(name);
    const struct schema_family *f;

    if (sp == NULL && (f = schema_family_match(name, NULL)) != NULL)
        sp = schema_param_find(f->defparam);
    if (sp == NULL)
        log_panic("parameter %s is not in the schema (schemas/): "
                  "a typed accessor cannot read it",
                  name);
    if (sp->type != want)
        log_panic("parameter %s is %s in the schema, read as %s", name,
                  schema_type_name(sp->type), schema_type_name(want));
    return sp;
}

/* typed_value - the value of name for svc; a family parameter that no
 * master.cf service defines has its default parameter's value */
static char *
typed_value(struct pcf *p, const char *svc, const char *name,
            const struct schema_param *sp)
{
    char *v = svc ? pcf_service_value(p, svc, name) : pcf_value(p, name);

    if (v == NULL && strcmp(sp->name, name) != 0)
        v = svc ? pcf_service_value(p, svc, sp->name) : pcf_value(p, sp->name);
    return v ? v : mem_strdup("");
}

void
server_conf_where(struct pcf *p, const char *svc, const char *name,
                  struct buf *out)
{
    const char *src;

    if (svc) {
        const char *slash = strchr(svc, '/');
        size_t len = slash ? (size_t) (slash - svc) : strlen(svc);

        for (size_t i = 0; i < pcf_service_count(p); i++) {
            const char *s0 = pcf_service_field(p, i, 0);

            if (slash && strncmp(s0, svc, len) == 0 && s0[len] == 0 &&
                strcmp(pcf_service_field(p, i, 1), slash + 1) == 0 &&
                pcf_service_param(p, i, name) != NULL) {
                buf_printf(out, "%s, line %d", pcf_master_path(p),
                           pcf_service_line(p, i));
                return;
            }
        }
    }
    src = pcf_source(p, name);
    if (strncmp(src, "main.cf:", 8) == 0)
        buf_printf(out, "%s, line %s", pcf_main_path(p), src + 8);
}

/* set by server_conf_lenient: see server_check.h */
static int lenient;

void
server_conf_lenient(int on)
{
    lenient = on;
}

/* typed_read - name as type want, fatal when malformed */
static long
typed_read(struct pcf *p, const char *svc, const char *name,
           enum schema_type want)
{
    const struct schema_param *sp = typed_param(name, want);
    char *v = typed_value(p, svc, name, sp);
    struct buf why, where;
    long n;
    int rc;

    buf_init(&why, 0);
    rc = schema_value_parse(sp, name, v, &n, &why);
    if (rc < 0 && lenient) {
        /* check has reported it; go on with the default (or 0) */
        buf_truncate(&why, 0);
        if (schema_value_parse(sp, sp->name, sp->defval, &n, &why) < 0)
            n = 0;
    } else if (rc < 0) {
        buf_init(&where, 0);
        server_conf_where(p, svc, name, &where);
        if (where.len == 0 && strcmp(sp->name, name) != 0)
            server_conf_where(p, svc, sp->name, &where); /* family default */
        log_fatal("%s%s%s", buf_str(&where), where.len ? ": " : "",
                  buf_str(&why));
    }
    buf_fini(&why);
    mem_free(v);
    return n;
}

int
server_conf_bool(struct pcf *p, const char *svc, const char *name)
{
    return (int) typed_read(p, svc, name, SCHEMA_BOOL);
}

long
server_conf_int(struct pcf *p, const char *svc, const char *name)
{
    return typed_read(p, svc, name, SCHEMA_INT);
}

long
server_conf_size(struct pcf *p, const char *svc, const char *name)
{
    return typed_read(p, svc, name, SCHEMA_LONG);
}

long
server_conf_time(struct pcf *p, const char *svc, const char *name)
{
    return typed_read(p, svc, name, SCHEMA_TIME);
}

void
server_split(const char *value, struct strv *sv)
{
    conf_list_split(value, sv, CONF_LIST_UNBRACE);
}

char *
server_param(const struct server *srv, const char *name)
{
    return server_conf_str(srv->conf, srv->name_space, name);
}

int
server_param_bool(const struct server *srv, const char *name)
{
    return server_conf_bool(srv->conf, srv->name_space, name);
}

long
server_param_int(const struct server *srv, const char *name)
{
    return server_conf_int(srv->conf, srv->name_space, name);
}

long
server_param_size(const struct server *srv, const char *name)
{
    return server_conf_size(srv->conf, srv->name_space, name);
}

long
server_param_time(const struct server *srv, const char *name)
{
    return server_conf_time(srv->conf, srv->name_space, name);
}

static void
on_signal(int sig)
{
    int saved = errno;
    char c = (char) sig;

    stopping = 1;
    if (sig != SIGHUP)
        terminating = 1;
    if (sig_pipe[1] >= 0 && write(sig_pipe[1], &c, 1) < 0) {
        /* the pipe is full: a wakeup is already pending */
    }
    errno = saved;
}

static void check_tables(void);

int
server_stopping(void)
{
    if (watch_tables)
        check_tables(); /* delivery agents ask between requests */
    return stopping;
}

int
server_terminating(void)
{
    return terminating;
}

int
server_signal_fd(void)
{
    return sig_pipe[0];
}

void
server_user(struct pcf *p, long *uid, long *gid)
{
    *uid = (long) getuid();
    *gid = (long) getgid();
    if (geteuid() == 0) {
        char *owner = server_conf_str(p, NULL, "mail_owner");
        struct passwd *pw = getpwnam(owner);

        if (pw) {
            *uid = (long) pw->pw_uid;
            *gid = (long) pw->pw_gid;
        }
        mem_free(owner);
    }
}

void
server_init(struct server *srv)
{
    char *syslog_name = server_param(srv, "syslog_name");
    char *file = server_param(srv, "maillog_file");
    char *host = server_param(srv, "myhostname");
    char ident[256];
    struct sigaction sa;

    snprintf(ident, sizeof(ident), "%s/%s", syslog_name, srv->command);
    maillog_open(ident, file, host);
    /* "ps -o comm" shows the service */
    (void) prctl(PR_SET_NAME, srv->command, 0, 0, 0);
    mem_free(syslog_name);
    mem_free(file);
    mem_free(host);
    /*
     * Message buffers of a few hundred KB come and go with every message:
     * glibc would mmap and unmap each (and the kernel zero its pages
     * every time). Keep them in the heap and let a daemon keep what it
     * freed, up to a bound.
     */
    (void) mallopt(M_MMAP_THRESHOLD, 8 << 20);
    (void) mallopt(M_TRIM_THRESHOLD, 16 << 20);

    if (sig_pipe[0] < 0 && pipe(sig_pipe) == 0) {
        for (int i = 0; i < 2; i++) {
            (void) fcntl(sig_pipe[i], F_SETFD, FD_CLOEXEC);
            (void) fcntl(sig_pipe[i], F_SETFL, O_NONBLOCK);
        }
    }
    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = SIG_DFL;
    sigaction(SIGCHLD, &sa, NULL);
}

/* drop_privileges - chroot and become mail_owner as the entry says,
 * when running as root (see server.h); fatal on failure */
static void
drop_privileges(struct server *srv)
{
    if (geteuid() == 0 && srv->chroot_)
        server_pre_jail(srv); /* server_jail.c */
    /* Privileges: only when started as root. */
    if (geteuid() == 0) {
        char *owner = server_param(srv, "mail_owner");
        char *qdir = server_param(srv, "queue_directory");
        struct passwd *pw = getpwnam(owner);

        if (pw == NULL)
            log_fatal("unknown mail_owner user \"%s\"", owner);
        /* master_check refuses this in main.cf; a -o override lands here */
        if (pw->pw_uid == 0 || pw->pw_gid == 0)
            log_fatal("parameter mail_owner: user %s has privileged %s ID",
                      owner, pw->pw_uid == 0 ? "user" : "group");
        if (srv->chroot_) {
            if (chroot(qdir) < 0 || chdir("/") < 0)
                log_fatal("chroot(%s): %s", qdir, strerror(errno));
        }
        if (srv->unpriv) {
            /* setgid, then the group list is pw_gid alone, then setuid */
            if (util_set_ugid(pw->pw_uid, pw->pw_gid) < 0)
                log_fatal("cannot drop privileges to %s: %s", owner,
                          strerror(errno));
        } else {
            /* a root daemon (local, pipe) keeps root but none of the
             * groups of the shell that started master (root, adm...):
             * its children must not inherit them */
            gid_t g = getegid();

            if (setgroups(1, &g) < 0)
                log_fatal("cannot drop supplementary groups: %s",
                          strerror(errno));
        }
        mem_free(owner);
        mem_free(qdir);
    }
}

int
server_main(struct server *srv, const struct server_service *svc, void *ctx)
{
    server_init(srv);
    if (svc->pre_drop)
        svc->pre_drop(srv, ctx);
    drop_privileges(srv);
    if (svc->post_drop)
        svc->post_drop(srv, ctx);
    if (svc->loop)
        return svc->loop(srv, ctx);
    if (svc->conn == NULL)
        log_panic("service %s: neither a loop nor a connection handler",
                  srv->command);
    server_single_loop(srv, svc->conn, ctx);
    return 0;
}

/*
 * server_status - tell master whether this process can take a client.
 * With the shared slots, "available" is only a store into this process's
 * slot, which master reads when it decides whether to fork; "busy" wakes
 * master (a status record) only when no live sibling is idle, i.e. when
 * master may have to fork for the next client. Postfix's master hears
 * twice per client from every process; this keeps master asleep under
 * load as long as some process is idle. The store and the siblings' loads
 * are sequentially consistent, so of two processes that become busy at
 * once at least one sees the other busy and writes.
 */
void
server_status(const struct server *srv, int available)
{
    int32_t rec[2];

    if (srv->status_fd < 0)
        return;
    if (srv->shm && srv->slot < srv->nslots) {
        __atomic_store_n(&srv->shm[srv->slot].busy, !available,
                         __ATOMIC_SEQ_CST);
        if (available)
            return;
        for (unsigned i = 0; i < srv->nslots; i++)
            if (i != srv->slot &&
                __atomic_load_n(&srv->shm[i].live, __ATOMIC_SEQ_CST) &&
                !__atomic_load_n(&srv->shm[i].busy, __ATOMIC_SEQ_CST))
                return;
    }
    rec[0] = (int32_t) getpid();
    rec[1] = available;
    if (write(srv->status_fd, rec, sizeof(rec)) < 0 && errno != EAGAIN) {
        /* master is gone; we will notice on the next accept */
    }
}

/* check_tables - a table file changed (maps_changed): take no more
 * clients, so that master starts a fresh process that reads it, as
 * Postfix's daemons do ("table X has changed -- restarting"); looked at
 * after a session, at most once a second */
static void
check_tables(void)
{
    static time_t last;
    time_t now = time(NULL);
    const char *t;

    if (stopping || now == last)
        return;
    last = now;
    if ((t = maps_changed()) != NULL) {
        log_info("table %s has changed -- restarting", t);
        stopping = 1;
    }
}

int
server_accept(int lfd)
{
    int fd;

    do
        fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    while (fd < 0 && errno == EINTR && !stopping);
    return fd;
}

/*
 * A session the front counted (smtpd_client_connection_count_limit) holds
 * its count in the workers' column of the service's table until it ends.
 * The reference is recorded in this process's slot first, so that master
 * releases it should the process die; session_hold returns the cell.
 */
static int
session_hold(struct server *srv, unsigned ref)
{
    struct server_slot *sl;

    if (ref == 0 || srv->shm == NULL || srv->slot >= srv->nslots)
        return -1;
    sl = &srv->shm[srv->slot];
    for (int i = 0; i < SERVER_SLOT_SESSIONS; i++)
        if (__atomic_load_n(&sl->anvil_ref[i], __ATOMIC_SEQ_CST) == 0) {
            __atomic_store_n(&sl->anvil_ref[i], ref, __ATOMIC_SEQ_CST);
            return i;
        }
    return -1;
}

/* session_release - the session ended: its client has one connection less
 * (released before the cell is cleared: a crash in between releases it
 * twice, which the table absorbs, rather than never) */
static void
session_release(struct server *srv, int cell, unsigned ref)
{
    if (ref && srv->anvil)
        server_anvil_release(srv->anvil, ref, SERVER_ANVIL_WORKERS);
    if (cell >= 0)
        __atomic_store_n(&srv->shm[srv->slot].anvil_ref[cell], 0u,
                         __ATOMIC_SEQ_CST);
}

/* handoff_loop - a worker behind the smtpd front: take sessions from the
 * channel instead of accepting them (see server.h) */
static void
handoff_loop(struct server *srv, server_conn_fn *fn, void *ctx, long max_use,
             long max_idle)
{
    int chan = srv->listen_fd[0];
    struct server_handoff *h = mem_alloc(sizeof(*h));
    struct timeval tv = {max_idle > 0 ? max_idle : 0, 0};
    long uses = 0;

    /* the socket is shared by all workers; they all set the same value */
    (void) fcntl(chan, F_SETFL, fcntl(chan, F_GETFL) & ~O_NONBLOCK);
    (void) setsockopt(chan, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    server_status(srv, 1);
    while (!stopping && (max_use <= 0 || uses < max_use)) {
        int fd = server_handoff_recv(chan, h);

        if (fd < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != 0)
                log_fatal("receive from the front: %s", strerror(errno));
            break; /* idle too long, or master is gone */
        }
        int cell = session_hold(srv, h->anvil_ref);

        server_status(srv, 0);
        srv->handoff = h;
        fn(srv, fd, ctx);
        srv->handoff = NULL;
        (void) close(fd);
        session_release(srv, cell, h->anvil_ref);
        uses++;
        check_tables();
        server_status(srv, 1);
    }
    mem_free(h);
}

/*
 * Sessions as coroutines. The worker takes sessions from the channel while
 * it serves fewer than srv->sessions; each runs fn in a coroutine whose
 * waits (lib/daemons/smtpd's I/O, ipc) go back to this loop. Under load one
 * epoll_wait returns several ready sessions, so the process switches
 * between them in user space instead of sleeping and being woken for
 * every client command. The channel is watched with EPOLLEXCLUSIVE: one
 * worker is woken per session, as recvmsg() did.
 */
struct co_worker {
    struct server *srv;
    server_conn_fn *fn;
    void *ctx;
    int chan;
    int active, cap;
    int watching;
    int again; /* a session ended: look at the channel once more */
    long uses, max_use;
};

struct co_session {
    struct co_worker *w;
    int fd;
    int cell; /* session_hold */
    struct server_handoff h;
};

/* co_room - may this worker take another session? Its own limit, and
 * maxproc for all workers of the service together (Postfix's meaning
 * of maxproc for smtpd: sessions at once), counted in the shared page */
static int
co_room(struct co_worker *w)
{
    struct server *srv = w->srv;
    long total = 0;

    if (stopping || w->active >= w->cap ||
        (w->max_use > 0 && w->uses >= w->max_use))
        return 0;
    if (srv->shm == NULL || srv->maxproc <= 0)
        return 1;
    for (unsigned i = 0; i < srv->nslots; i++)
        if (__atomic_load_n(&srv->shm[i].live, __ATOMIC_SEQ_CST))
            total += __atomic_load_n(&srv->shm[i].sessions, __ATOMIC_SEQ_CST);
    return total < srv->maxproc;
}

static void
co_count_session(struct co_worker *w, int delta)
{
    struct server *srv = w->srv;

    w->active += delta;
    if (srv->shm && srv->slot < srv->nslots)
        (void) __atomic_add_fetch(&srv->shm[srv->slot].sessions, delta,
                                  __ATOMIC_SEQ_CST);
}

static void co_take(void *arg);

static void
co_session_main(void *arg)
{
    struct co_session *cs = arg;
    struct co_worker *w = cs->w;

    w->fn(w->srv, cs->fd, w->ctx);
    co_forget(cs->fd);
    (void) close(cs->fd);
    session_release(w->srv, cs->cell, cs->h.anvil_ref);
    mem_free(cs);
    co_count_session(w, -1);
    check_tables();
    if (w->active == w->cap - 1 && !stopping &&
        (w->max_use <= 0 || w->uses < w->max_use))
        server_status(w->srv, 1); /* room again */
    w->again = 1; /* sessions may wait that no worker could take */
}

static void
co_watch_chan(struct co_worker *w, int on)
{
    if (on == w->watching)
        return;
    if (on)
        w->watching =
            co_watch(w->chan, EPOLLIN | EPOLLEXCLUSIVE, co_take, w) == 0;
    else {
        (void) co_unwatch(w->chan);
        w->watching = 0;
    }
}

/* co_take - sessions waiting on the channel, up to the limits */
static void
co_take(void *arg)
{
    struct co_worker *w = arg;

    while (co_room(w)) {
        struct co_session *cs = mem_alloc(sizeof(*cs));

        cs->w = w;
        cs->fd = server_handoff_try(w->chan, &cs->h);
        if (cs->fd < 0) {
            mem_free(cs);
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != 0)
                log_fatal("receive from the front: %s", strerror(errno));
            if (errno == 0)
                stopping = 1; /* the front and master are gone */
            break;
        }
        cs->cell = session_hold(w->srv, cs->h.anvil_ref);
        w->uses++;
        co_count_session(w, 1);
        /* full, or at max_use with sessions still running: either way
         * this process takes no more, and master must not count it as
         * available (before, a worker that reached max_use looked idle
         * while its sessions ran, and master forked nothing for the
         * sessions waiting behind it) */
        if (w->active == w->cap || (w->max_use > 0 && w->uses >= w->max_use))
            server_status(w->srv, 0);
        w->srv->handoff = &cs->h;
        if (co_spawn(co_session_main, cs) < 0) {
            log_warn("cannot start a session: %s", strerror(errno));
            co_forget(cs->fd);
            (void) close(cs->fd);
            session_release(w->srv, cs->cell, cs->h.anvil_ref);
            mem_free(cs);
            co_count_session(w, -1);
        }
        w->srv->handoff = NULL;
    }
}

static void
co_signal(void *arg)
{
    char buf[64];

    (void) arg;
    while (read(sig_pipe[0], buf, sizeof(buf)) > 0)
        ;
}

static void
handoff_co_loop(struct server *srv, server_conn_fn *fn, void *ctx, long max_use,
                long max_idle)
{
    struct co_worker w;
    long long idle_since = 0;
    int interrupted = 0;

    memset(&w, 0, sizeof(w));
    w.srv = srv;
    w.fn = fn;
    w.ctx = ctx;
    w.chan = srv->listen_fd[0];
    w.max_use = max_use;
    w.cap = srv->maxproc > 0 && srv->maxproc < srv->sessions ? srv->maxproc
                                                             : srv->sessions;
    if (w.cap > SERVER_SLOT_SESSIONS)
        w.cap = SERVER_SLOT_SESSIONS; /* one cell per session in the slot */
    if (co_init() < 0)
        log_fatal("epoll_create1: %s", strerror(errno));
    if (sig_pipe[0] >= 0)
        (void) co_watch(sig_pipe[0], EPOLLIN, co_signal, NULL);
    server_status(srv, 1);
    maillog_hold(1);
    for (;;) {
        int n;

        if (w.active == 0)
            check_tables(); /* idle: a changed table ends this worker */
        if (w.again) {
            w.again = 0;
            co_take(&w);
        }
        co_watch_chan(&w, co_room(&w));
        if ((stopping || (max_use > 0 && w.uses >= max_use)) && w.active == 0)
            break;
        if (w.active == 0 && idle_since == 0)
            idle_since = (long long) time(NULL);
        else if (w.active > 0)
            idle_since = 0;
        maillog_flush(); /* the lines of this round's sessions, at once */
        n = co_run_once(w.active == 0 && max_idle > 0 ? 1000 : -1);
        if (n < 0 && errno != EINTR)
            log_fatal("epoll_wait: %s", strerror(errno));
        if (terminating && !interrupted) {
            interrupted = 1;
            co_interrupt_all(); /* sessions waiting for a command end */
        }
        if (w.active == 0 && max_idle > 0 && idle_since &&
            (long long) time(NULL) - idle_since >= max_idle)
            break;
    }
}

void
server_single_loop(struct server *srv, server_conn_fn *fn, void *ctx)
{
    long max_use = server_param_int(srv, "max_use");
    long max_idle = server_param_time(srv, "max_idle");
    struct pollfd pfd[SERVER_MAX_LISTEN + 1];
    long uses = 0;

    watch_tables = 1;
    if (srv->handoff_role == SERVER_HANDOFF_WORKER && srv->sessions > 1) {
        handoff_co_loop(srv, fn, ctx, max_use, max_idle);
        return;
    }
    if (srv->handoff_role == SERVER_HANDOFF_WORKER) {
        handoff_loop(srv, fn, ctx, max_use, max_idle);
        return;
    }

    for (int i = 0; i < srv->nlisten; i++)
        (void) fcntl(srv->listen_fd[i], F_SETFL,
                     fcntl(srv->listen_fd[i], F_GETFL) | O_NONBLOCK);
    server_status(srv, 1);
    if (srv->nlisten == 1 && sig_pipe[0] >= 0) {
        /* One socket: sleep in accept(), which wakes one waiting process
         * per connection, where poll() would wake every idle sibling. A
         * signal interrupts it (no SA_RESTART); the timeout is max_idle. */
        int lfd = srv->listen_fd[0];
        struct timeval tv = {max_idle > 0 ? max_idle : 0, 0};

        (void) fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) & ~O_NONBLOCK);
        (void) setsockopt(lfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        while (!stopping && (max_use <= 0 || uses < max_use)) {
            int fd = server_accept(lfd);

            if (fd < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK)
                    break; /* idle too long */
                if (errno == EINTR || errno == ECONNABORTED)
                    continue;
                log_fatal("accept: %s", strerror(errno));
            }
            server_status(srv, 0);
            fn(srv, fd, ctx);
            (void) close(fd);
            uses++;
            check_tables();
            server_status(srv, 1);
        }
        return;
    }
    while (!stopping && (max_use <= 0 || uses < max_use)) {
        int n = 0, rc;

        for (int i = 0; i < srv->nlisten; i++) {
            pfd[n].fd = srv->listen_fd[i];
            pfd[n++].events = POLLIN;
        }
        pfd[n].fd = sig_pipe[0];
        pfd[n++].events = POLLIN;
        rc = poll(pfd, (nfds_t) n, max_idle > 0 ? (int) max_idle * 1000 : -1);
        if (rc == 0)
            break; /* idle too long */
        if (rc < 0) {
            if (errno == EINTR)
                continue;
            log_fatal("poll: %s", strerror(errno));
        }
        for (int i = 0; i < srv->nlisten && !stopping; i++) {
            int fd;

            if (!(pfd[i].revents & POLLIN))
                continue;
            fd = server_accept(srv->listen_fd[i]);
            if (fd < 0)
                continue; /* a sibling took it */
            server_status(srv, 0);
            (void) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
            fn(srv, fd, ctx);
            (void) close(fd);
            uses++;
            check_tables();
            server_status(srv, 1);
            break;
        }
    }
}

double
server_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}
