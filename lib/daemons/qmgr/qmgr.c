/*
 * qmgr - the queue manager.
 *
 * DESCRIPTION
 *	See qmgr.h. Data structures: a hash of messages by queue ID; a
 *	ready list (messages with recipients to schedule); a deferred list
 *	(waiting for next_try); per transport up to maxconn (the service's
 *	maxproc) agent connections and a hash of destination queues
 *	(nexthop), each a FIFO of jobs (one delivery request each).
 *
 *	Scheduling is Postfix's: a destination may use as many agent
 *	connections as its concurrency window (slow start from
 *	initial_destination_concurrency, feedback from the agents'
 *	results, dead after *_failed_cohort_limit failed cohorts, then
 *	its mail is deferred without a try for minimal_backoff_time);
 *	*_destination_rate_delay makes it one delivery at a time with a
 *	pause after each; destinations with work take turns round-robin.
 *	A connection bound to a destination gets more of its requests
 *	pipelined (about a second of work, at most PIPE_DEPTH) once the
 *	destination has proven itself, and none while another destination
 *	waits for a free connection. Every step is O(1) per job (O(window)
 *	to pick the least loaded connection).
 *
 *	The code is split by job (qmgr_int.h lists the files): this file
 *	holds the start (store lock, parameters, recovery), the event loop
 *	as named steps, and the service setup.
 *
 *	Durability: a recipient is marked done in the state log only
 *	after its agent replied, and the agent replies only after the
 *	delivery is durable. State records themselves are synced once a
 *	second and at exit: a crash may repeat a delivery (at least once),
 *	never lose one.
 *
 * BUGS
 *	Every live envelope is kept in memory (no qmgr_message_active_limit
 *	spill). Segments holding one long-deferred message are kept whole
 *	until it leaves. That a delay warning was sent is not recorded in
 *	the queue; after a restart it is inferred from the last deferral.
 */
#include "qmgr/qmgr.h"

#include <sys/file.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ipc/ipc.h"
#include "maillog/maillog.h"
#include "qmgr/qmgr_int.h"
#include "queue/queue.h"
#include "rewrite/rewrite.h"
#include "server/server.h"
#include "util/util.h"

struct qmgr_state qmgr_q;

/*
 * enum qmgr_fd_kind - what a descriptor of the poll set is, so that its
 * events go to the code that owns it
 */
enum qmgr_fd_kind {
    QMGR_FD_LISTEN, /* public/qmgr: accept control connections */
    QMGR_FD_SIGNAL, /* the server's signal pipe: drain it */
    QMGR_FD_CTL,    /* a control connection: qmgr_ctl_serve reads them */
    QMGR_FD_AGENT,  /* a delivery agent connection of a transport */
};

#define QMGR_MAX_POLL (SERVER_MAX_LISTEN + MAX_CTL + 512)

/* struct qmgr_poll - one round's poll set, built anew each round */
struct qmgr_poll {
    struct pollfd pfd[QMGR_MAX_POLL];
    enum qmgr_fd_kind kind[QMGR_MAX_POLL];
    struct transport *t[QMGR_MAX_POLL]; /* QMGR_FD_AGENT: its transport */
    int n;
};

/* qmgr_pre_drop - before the drop: the tables a chroot jail hides */
static void
qmgr_pre_drop(struct server *srv, void *ctx)
{
    (void) ctx;
    memset(&Q, 0, sizeof(Q));
    Q.srv = srv;
    Q.msgs = htab_new(1024);
    /* tables before a chroot jail (chroot y) hides their files */
    Q.rw = rewrite_new(srv->conf, srv->name_space);
}

/* read_params - what qmgr reads of main.cf once, at start (transports
 * read theirs when first used: qmgr_transport) */
static void
read_params(struct server *srv)
{
    Q.min_backoff = server_param_time(srv, "minimal_backoff_time");
    Q.max_backoff = server_param_time(srv, "maximal_backoff_time");
    Q.lifetime =
        server_conf_time(srv->conf, srv->name_space, "maximal_queue_lifetime");
    Q.bounce_lifetime =
        server_conf_time(srv->conf, srv->name_space, "bounce_queue_lifetime");
    Q.run_delay = server_param_time(srv, "queue_run_delay");
    Q.delay_warning =
        server_conf_time(srv->conf, srv->name_space, "delay_warning_time");
    if (Q.min_backoff < 1)
        Q.min_backoff = 1;
    Q.feedback_debug =
        server_param_bool(srv, "destination_concurrency_feedback_debug");
    Q.bounce_transport = mem_strdup("bounce");
    Q.double_bounce = server_param(srv, "double_bounce_sender");
    Q.def_filter_nexthop = server_param(srv, "default_filter_nexthop");
}

/* start - one qmgr per store (the lock is held until exit), its
 * parameters, then every live message recovered */
static void
start(struct server *srv)
{
    int lockfd;

    ipc_out_init(&Q.o);
    lockfd = open("store/qmgr.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lockfd < 0 || flock(lockfd, LOCK_EX) < 0)
        log_fatal("lock store/qmgr.lock: %s", strerror(errno));
    Q.fs = queue_fs_disk("store");
    if (Q.fs == NULL)
        log_fatal("open queue store: %s", strerror(errno));
    read_params(srv);

    /* recovery: every live message, with its state */
    qmgr_recover();
    for (int i = 0; i < srv->nlisten; i++)
        (void) ipc_nonblock(srv->listen_fd[i], 1);
    server_status(srv, 1);
}

/* send_ready - schedule what is ready and hand out what waits; the
 * number of requests in flight */
static int
send_ready(void)
{
    int busy = 0;

    while (Q.ready.head && !Q.stopping)
        qmgr_schedule(Q.ready.head);
    for (struct transport *t = Q.transports; t; t = t->next) {
        qmgr_dispatch(t);
        for (int k = 0; k < t->nconn; k++)
            busy += t->conn[k]->outstanding;
    }
    return busy;
}

/* tick - once a second: retries that are due, state logs synced,
 * empty segments and destination queues freed, idle agents closed */
static void
tick(time_t now)
{
    qmgr_msg_due();
    qmgr_seg_sync();
    qmgr_seg_gc();
    for (struct transport *t = Q.transports; t; t = t->next)
        qmgr_dest_gc(t);
    /* idle agent connections go away */
    qmgr_agent_close_idle(now);
}

static void
poll_add(struct qmgr_poll *p, int fd, short events, enum qmgr_fd_kind kind,
         struct transport *t)
{
    p->pfd[p->n].fd = fd;
    p->pfd[p->n].events = events;
    p->kind[p->n] = kind;
    p->t[p->n++] = t;
}

/* poll_build - every descriptor this round waits on */
static void
poll_build(struct qmgr_poll *p, const struct server *srv)
{
    p->n = 0;
    for (int i = 0; i < srv->nlisten; i++)
        poll_add(p, srv->listen_fd[i], POLLIN, QMGR_FD_LISTEN, NULL);
    poll_add(p, server_signal_fd(), POLLIN, QMGR_FD_SIGNAL, NULL);
    for (int i = 0; i < Q.nctl; i++)
        poll_add(p, Q.ctl[i]->c.fd, ipc_conn_events(&Q.ctl[i]->c), QMGR_FD_CTL,
                 NULL);
    for (struct transport *t = Q.transports; t; t = t->next)
        for (int k = 0; k < t->nconn && p->n < QMGR_MAX_POLL; k++)
            poll_add(p, t->conn[k]->c.fd, ipc_conn_events(&t->conn[k]->c),
                     QMGR_FD_AGENT, t);
}

/* poll_events - each descriptor's events to the code that owns it */
static void
poll_events(const struct qmgr_poll *p)
{
    for (int i = 0; i < p->n; i++) {
        short ev = p->pfd[i].revents;
        char b[16];

        if (!ev)
            continue;
        switch (p->kind[i]) {
        case QMGR_FD_LISTEN:
            qmgr_ctl_accept(p->pfd[i].fd);
            break;
        case QMGR_FD_SIGNAL:
            while (read(p->pfd[i].fd, b, sizeof(b)) > 0)
                ;
            break;
        case QMGR_FD_CTL:
            break; /* qmgr_ctl_serve reads every one after the poll */
        case QMGR_FD_AGENT:
            qmgr_agent_event(p->t[i], p->pfd[i].fd, ev);
            break;
        }
    }
}

/* qmgr_loop - until stopped: timers, scheduling, housekeeping, then one
 * poll over the control and agent connections; at stop, up to ten
 * seconds for the requests in flight */
static int
qmgr_loop(struct server *srv, void *ctx)
{
    struct qmgr_poll p;
    time_t last_tick = 0, last_scan = time(NULL), stop_deadline = 0;

    (void) ctx;
    start(srv);
    for (;;) {
        int timeout, busy;
        time_t now = time(NULL);

        if (server_stopping() && !Q.stopping) {
            Q.stopping = 1;
            stop_deadline = now + 10;
        }
        timeout = qmgr_dest_timers();
        busy = send_ready();
        if (Q.stopping && (busy == 0 || now >= stop_deadline))
            break;
        if (now != last_tick) {
            last_tick = now;
            tick(now);
        }
        if (now - last_scan >= Q.run_delay) {
            last_scan = now;
            qmgr_intake_all();
        }
        poll_build(&p, srv);
        maillog_hold(1);
        maillog_flush(); /* this round's lines, in one write */
        if (poll(p.pfd, (nfds_t) p.n, timeout) < 0 && errno != EINTR)
            log_fatal("poll: %s", strerror(errno));
        poll_events(&p);
        qmgr_ctl_serve();
        qmgr_agent_flush();
    }
    qmgr_seg_sync();
    return 0;
}

int
qmgr_service(struct server *srv)
{
    static const struct server_service svc = {qmgr_pre_drop, NULL, NULL,
                                              qmgr_loop};

    return server_main(srv, &svc, NULL);
}
