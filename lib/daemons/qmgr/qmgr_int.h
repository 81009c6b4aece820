/*
 * qmgr_int - what the files of lib/daemons/qmgr share, and nothing outside
 * lib/daemons/qmgr includes.
 *
 * DESCRIPTION
 *	The queue manager is one event loop over one state (struct
 *	qmgr_state, reached as Q), split by job:
 *
 *	qmgr_msg.c	messages: the in-memory queue, segments and their
 *			state logs, intake of new mail, recovery at start,
 *			the answers to delivery requests and what becomes
 *			of a message when all are in (defer, bounce, notify,
 *			remove).
 *	qmgr_dest.c	destinations and scheduling: transports and their
 *			parameters, per-destination queues, concurrency
 *			windows, dead destinations and rate delays, the
 *			round-robin dispatch, recipients grouped into jobs.
 *	qmgr_agent.c	delivery agent connections: opening, binding to a
 *			destination, sending requests, reading replies.
 *	qmgr_ctl.c	public/qmgr: cleanup's notices, flush, delete,
 *			hold, release, master's wakeup.
 *	qmgr.c		start, recovery, the event loop, service setup.
 *
 *	Names with the qmgr_ prefix cross files; static helpers keep
 *	their short names.
 */
#ifndef QMGR_QMGR_INT_H
#define QMGR_QMGR_INT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "deliver/deliver.h"
#include "ipc/ipc.h"
#include "qmgr/qmgr_sched.h"
#include "queue/queue.h"

struct server;
struct rewrite;

#define PIPE_DEPTH       32
#define PIPE_TARGET_US   1000000.0 /* queue ~1 s of work per connection */
#define MAX_CONN         64
#define MAX_CTL          256
#define MAX_RCPT_PER_JOB 1000

enum rstate {
    R_PENDING = 0,
    R_INFLIGHT,
    R_DONE,
    R_DEFERRED,
    R_BOUNCED,
};

enum mlist {
    L_NONE = 0,
    L_READY,
    L_DEFERRED,
    L_HOLD,
};

struct qseg;

struct qmsg {
    struct qmsg *prev, *next;
    enum mlist list;
    struct queue_env env;
    struct queue_loc loc;
    struct qseg *seg;
    unsigned char *rst;
    char **rtext; /* per recipient: last text (deferred/bounced) */
    char (*rdsn)[16];
    char **rmta, **rreply; /* per recipient: the server that gave rtext */
    int inflight;
    uint64_t next_try;
    uint32_t attempts;
    uint64_t active_us;
    int hold;
    int deleted;
    int bouncing;
    int recovered;    /* found at start: maybe delivered before a crash */
    int delay_warned; /* delay_warning_time notice sent */
    unsigned char *notify_ok; /* delivered, NOTIFY=SUCCESS not yet sent */
};

struct qseg {
    struct qseg *next;
    uint64_t seq;
    uint64_t end; /* scanned up to */
    size_t live;
    struct queue_state_log *sl;
    int dirty;
};

struct dest;

struct job {
    struct job *next;
    struct qmsg *m;
    struct dest *d;  /* its destination queue */
    int bounce_kind; /* a request to the bounce service */
    struct deliver_req req;
};

struct aconn {
    struct ipc_conn c;
    struct job *head, *tail; /* in flight, in order */
    int outstanding;
    time_t last;
    struct dest *d;              /* bound destination, while outstanding */
    struct aconn *dprev, *dnext; /* d's connections */
    uint64_t since_us;           /* the agent started on head about then */
};

/* where a destination waits for its turn */
enum dwhere {
    D_IDLE = 0, /* nothing to send, or blocked until a reply comes */
    D_RING,     /* in its transport's round-robin ring */
    D_STARVE,   /* could send, but every agent connection is taken */
};

enum dtimer {
    T_NONE = 0,
    T_RATE, /* *_destination_rate_delay after a delivery */
    T_DEAD, /* dead-destination cache: minimal_backoff_time */
};

/*
 * struct dest - a per-destination queue (transport + nexthop), Postfix's
 * QMGR_QUEUE: the jobs waiting for it, its concurrency window and the
 * agent connections bound to it (busy = its concurrency now).
 */
struct dest {
    struct dest *prev, *next;   /* ring or starve list (where) */
    struct dest *tprev, *tnext; /* timer list (timer) */
    enum dwhere where;
    enum dtimer timer;
    uint64_t until_us;
    struct transport *t;
    char *name;              /* nexthop */
    struct job *head, *tail; /* waiting */
    size_t nwait;
    struct aconn *conns; /* bound */
    int busy;
    struct qmgr_win win;
    int proven;      /* the last feedback was positive: may pipeline */
    double svc_us;   /* moving average of the time per delivery */
    char *dead_text; /* while dead: the failure that killed it */
    char dead_dsn[16];
};

struct transport {
    struct transport *next;
    char name[64];
    char path[160];
    int maxconn; /* agent processes: the service's maxproc */
    int rcpt_limit;
    struct aconn *conn[MAX_CONN];
    int nconn;
    int nidle;          /* connections bound to no destination */
    struct htab *dests; /* nexthop -> struct dest */
    struct dest *ring;  /* round-robin cursor */
    struct dest *starve_head, *starve_tail;
    struct dest *rate_head, *rate_tail; /* T_RATE, in expiry order */
    struct qmgr_win_conf wc;
    long rate_delay; /* seconds */
    time_t down_until;
    time_t open_fail_until;
};

struct ctl {
    struct ipc_conn c;
    int trigger_checked;
    int trusted; /* root or mail_owner (SO_PEERCRED at accept) */
};

struct list {
    struct qmsg *head, *tail;
    size_t n;
};

/*
 * struct qmgr_state - the one queue manager of a process: its messages,
 * segments, transports and control connections, and the parameters read
 * at start. One instance, qmgr_q (qmgr.c); every file of lib/daemons/qmgr
 * reaches it as Q, so the code that moved out of qmgr.c reads as it did.
 */
struct qmgr_state {
    struct server *srv;
    struct queue_fs *fs;
    struct rewrite *rw;
    struct htab *msgs; /* queue ID -> struct qmsg */
    struct list ready, deferred, hold;
    struct qseg *segs;
    struct transport *transports;
    struct ctl *ctl[MAX_CTL];
    int nctl;
    struct ipc_out o;
    long min_backoff, max_backoff, lifetime, bounce_lifetime, run_delay;
    long delay_warning; /* delay_warning_time, 0 = off */
    int stopping;
    size_t nmsgs;
    char *bounce_transport;
    char *double_bounce; /* double_bounce_sender: its mail is discarded */
    struct dest *dead_head, *dead_tail; /* T_DEAD, in expiry order */
    int feedback_debug;       /* destination_concurrency_feedback_debug */
    char *def_filter_nexthop; /* default_filter_nexthop (issue 19) */
};

extern struct qmgr_state qmgr_q;
#define Q qmgr_q

/* job kinds, from the nexthop of requests to the bounce service */
enum qmgr_job_kind {
    JOB_DELIVERY = 0,
    JOB_BOUNCE,  /* "failure"/"2bounce": the recipients are finished */
    JOB_SUCCESS, /* "success"/"delay": best effort, recipients unchanged */
};

/* ---- qmgr_msg.c: messages, segments, intake, recovery, results ---- */

/* qmgr_msg_unlink, qmgr_msg_move - out of its list; to the tail of another */
void qmgr_msg_unlink(struct qmsg *m);
void qmgr_msg_move(struct qmsg *m, enum mlist to);

/* qmgr_msg_log_active - "(queue active)", and the time it went active */
void qmgr_msg_log_active(struct qmsg *m);

/* qmgr_msg_free - forget m (its state log records are the caller's) */
void qmgr_msg_free(struct qmsg *m);

/* qmgr_msg_finish - every request of m answered: bounce, defer or remove */
void qmgr_msg_finish(struct qmsg *m);

/* qmgr_msg_due - deferred messages whose next_try has come: ready */
void qmgr_msg_due(void);

/* qmgr_seg_find - the segment seq, made when missing and create is set */
struct qseg *qmgr_seg_find(uint64_t seq, int create);

/* qmgr_seg_state - append a record to s's state log (warns on failure) */
void qmgr_seg_state(struct qseg *s, int type, uint64_t off, uint32_t idx,
                    uint64_t when, uint32_t attempts, const char *reason);

/* qmgr_seg_sync - sync the state logs written since the last call */
void qmgr_seg_sync(void);

/* qmgr_seg_gc - remove segments with nothing left and no writer */
void qmgr_seg_gc(void);

/* qmgr_intake - read s's new records up to limit (0 = end) */
void qmgr_intake(struct qseg *s, uint64_t limit);

/* qmgr_intake_all - every segment, also those nobody told us about */
void qmgr_intake_all(void);

/* qmgr_recover - every live message of the store, with its state; fatal
 * when the store cannot be read */
void qmgr_recover(void);

/* qmgr_job_new - a delivery request for some recipients of m (counted in
 * m->inflight until qmgr_job_done) */
struct job *qmgr_job_new(struct qmsg *m, const char *nexthop);

/* qmgr_job_kind - what j asks for: JOB_BOUNCE, JOB_SUCCESS or JOB_DELIVERY */
enum qmgr_job_kind qmgr_job_classify(const struct job *j);

/* qmgr_job_apply - one recipient result of a job of the given kind */
void qmgr_job_apply(struct qmsg *m, struct deliver_rcpt *rc,
                    enum qmgr_job_kind bounce_job);

/* qmgr_job_done - j answered: apply its results, free it, and finish its
 * message when it was the last one in flight */
void qmgr_job_done(struct job *j, enum qmgr_job_kind bounce_job);

/* qmgr_job_fail, qmgr_job_fail_dsn - defer a job that no agent saw, with
 * a reason (dsn 4.3.0 unless given) */
void qmgr_job_fail(struct job *j, const char *why);
void qmgr_job_fail_dsn(struct job *j, const char *dsn, const char *why);

/* ---- qmgr_filter.c: the content filter route (issue 19) ---- */
struct rewrite_result;
/* qmgr_filter_route - recipient i of m goes to m's content filter: res
 * filled, 1; no filter recorded: 0 */
int qmgr_filter_route(const struct qmsg *m, size_t i,
                      struct rewrite_result *res);

/* ---- qmgr_dest.c: transports, destinations, scheduling ---- */

/* qmgr_transport - the transport name, made from its parameters when new */
struct transport *qmgr_transport(const char *name);

/* qmgr_schedule - turn a ready message's pending recipients into jobs */
void qmgr_schedule(struct qmsg *m);

/* qmgr_enqueue - j waits in its destination's queue */
void qmgr_enqueue(struct transport *t, struct job *j);

/* qmgr_dispatch - send t's waiting jobs, destinations in turn */
void qmgr_dispatch(struct transport *t);

/* qmgr_dest_wake - d may be able to send: give it a turn */
void qmgr_dest_wake(struct dest *d);

/* qmgr_dest_revive - d's dead time is over, or a delivery got through */
void qmgr_dest_revive(struct dest *d);

/* qmgr_dest_feedback - an agent's answer for d: throttle or unthrottle */
void qmgr_dest_feedback(struct dest *d, const struct job *j);

/* qmgr_dest_timer_add - d waits on a timer of that kind until until_us */
void qmgr_dest_timer_add(struct dest *d, enum dtimer kind, uint64_t until_us);

/* qmgr_dest_timers - run the timers whose time is up; the milliseconds
 * until the next one (at most 1000) */
int qmgr_dest_timers(void);

/* qmgr_dest_gc - free the queues of t with nothing to do */
void qmgr_dest_gc(struct transport *t);

/* ---- qmgr_agent.c: delivery agent connections ---- */

/* qmgr_conn_idle - a connection of t bound to no destination, or a new
 * one; NULL when none may be had now */
struct aconn *qmgr_conn_idle(struct transport *t, time_t now);

/* qmgr_conn_possible - could qmgr_conn_idle give one now? */
int qmgr_conn_possible(const struct transport *t, time_t now);

/* qmgr_conn_bind - a is d's until its requests are answered */
void qmgr_conn_bind(struct aconn *a, struct dest *d);

/* qmgr_conn_send - pipeline j on a */
void qmgr_conn_send(struct aconn *a, struct job *j, time_t now);

/* qmgr_agent_event - poll said ev for t's connection fd */
void qmgr_agent_event(struct transport *t, int fd, short ev);

/* qmgr_agent_close_idle - close connections idle for over 5 seconds */
void qmgr_agent_close_idle(time_t now);

/* qmgr_agent_flush - write what waits for every agent; close on error */
void qmgr_agent_flush(void);

/* ---- qmgr_ctl.c: public/qmgr ---- */

/* qmgr_ctl_accept - take the control connections waiting on lfd */
void qmgr_ctl_accept(int lfd);

/* qmgr_ctl_serve - read, answer and reap the control connections */
void qmgr_ctl_serve(void);

#endif
