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
#define _DEFAULT_SOURCE 1 /* strcasecmp */
#include "qmgr/qmgr.h"

#include <sys/file.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "deliver/deliver.h"
#include "ipc/ipc.h"
#include "maillog/maillog.h"
#include "pcf/pcf.h"
#include "qmgr/qmgr_sched.h"
#include "queue/queue.h"
#include "rewrite/rewrite.h"
#include "server/server.h"

#define HASH_SIZE        65536
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
    struct qmsg *hnext;
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
    struct dest *d; /* its destination queue */
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
    struct dest *hnext;        /* transport's hash chain */
    struct dest *prev, *next;  /* ring or starve list (where) */
    struct dest *tprev, *tnext; /* timer list (timer) */
    enum dwhere where;
    enum dtimer timer;
    uint64_t until_us;
    struct transport *t;
    char *name; /* nexthop */
    unsigned hash;
    struct job *head, *tail; /* waiting */
    size_t nwait;
    struct aconn *conns; /* bound */
    int busy;
    struct qmgr_win win;
    int proven;    /* the last feedback was positive: may pipeline */
    double svc_us; /* moving average of the time per delivery */
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
    int nidle; /* connections bound to no destination */
    struct dest **dtab;
    size_t dsize, ndest;
    struct dest *ring;                    /* round-robin cursor */
    struct dest *starve_head, *starve_tail;
    struct dest *rate_head, *rate_tail;   /* T_RATE, in expiry order */
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

static struct {
    struct server *srv;
    struct queue_fs *fs;
    struct rewrite *rw;
    struct qmsg *hash[HASH_SIZE];
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
    int feedback_debug; /* destination_concurrency_feedback_debug */
} Q;

/* ---- small helpers ---- */

static unsigned
hash_id(const char *id)
{
    unsigned h = 5381;

    while (*id)
        h = h * 33 + (unsigned char) *id++;
    return h % HASH_SIZE;
}

static struct qmsg *
find_msg(const char *id)
{
    for (struct qmsg *m = Q.hash[hash_id(id)]; m; m = m->hnext)
        if (strcmp(m->env.id, id) == 0)
            return m;
    return NULL;
}

static struct list *
list_of(enum mlist l)
{
    return l == L_READY      ? &Q.ready
           : l == L_DEFERRED ? &Q.deferred
           : l == L_HOLD     ? &Q.hold
                             : NULL;
}

static void
unlink_msg(struct qmsg *m)
{
    struct list *l = list_of(m->list);

    if (l == NULL)
        return;
    if (m->prev)
        m->prev->next = m->next;
    else
        l->head = m->next;
    if (m->next)
        m->next->prev = m->prev;
    else
        l->tail = m->prev;
    m->prev = m->next = NULL;
    m->list = L_NONE;
    l->n--;
}

static void
move_to(struct qmsg *m, enum mlist to)
{
    struct list *l;

    unlink_msg(m);
    l = list_of(to);
    if (l == NULL)
        return;
    m->prev = l->tail;
    m->next = NULL;
    if (l->tail)
        l->tail->next = m;
    else
        l->head = m;
    l->tail = m;
    m->list = to;
    l->n++;
}

static struct qseg *
find_seg(uint64_t seq, int create)
{
    struct qseg *s;

    for (s = Q.segs; s; s = s->next)
        if (s->seq == seq)
            return s;
    if (!create)
        return NULL;
    s = mem_calloc(1, sizeof(*s));
    s->seq = seq;
    s->next = Q.segs;
    Q.segs = s;
    return s;
}

static void
state(struct qseg *s, int type, uint64_t off, uint32_t idx, uint64_t when,
      uint32_t attempts, const char *reason)
{
    struct queue_state_rec r;

    if (s->sl == NULL && (s->sl = queue_state_open(Q.fs, s->seq)) == NULL) {
        maillog_warning("open state log of segment %" PRIX64 ": %m", s->seq);
        return;
    }
    r.type = type;
    r.off = off;
    r.idx = idx;
    r.when = when;
    r.attempts = attempts;
    r.reason = reason;
    if (queue_state_append(s->sl, &r) < 0)
        maillog_warning("write state log of segment %" PRIX64 ": %m", s->seq);
    s->dirty = 1;
}

static void
log_active(struct qmsg *m)
{
    maillog_info("%s: from=<%s>, size=%" PRIu64 ", nrcpt=%zu (queue active)",
                 m->env.id, m->env.sender, m->env.content_len, m->env.nrcpt);
    m->active_us = queue_now_us();
}

/* add_msg - a message from the store into memory */
static struct qmsg *
add_msg(const struct queue_loc *loc, const struct queue_env *env,
        struct qseg *seg)
{
    struct qmsg *m = mem_calloc(1, sizeof(*m));
    unsigned h;

    queue_env_init(&m->env);
    memcpy(m->env.id, env->id, sizeof(m->env.id));
    m->env.arrival_us = env->arrival_us;
    m->env.flags = env->flags;
    m->env.ret = env->ret;
    queue_env_set(&m->env.sender, env->sender);
    queue_env_set(&m->env.envid, env->envid);
    queue_env_set(&m->env.client_name, env->client_name);
    queue_env_set(&m->env.client_addr, env->client_addr);
    for (size_t i = 0; i < env->nrcpt; i++)
        queue_env_add_rcpt(&m->env, env->rcpt[i].addr, env->rcpt[i].orig,
                           env->rcpt[i].orcpt, env->rcpt[i].notify);
    m->env.content_len = env->content_len;
    m->loc = *loc;
    m->seg = seg;
    m->rst = mem_calloc(env->nrcpt + 1, 1);
    m->notify_ok = mem_calloc(env->nrcpt + 1, 1);
    m->rtext = mem_calloc(env->nrcpt + 1, sizeof(*m->rtext));
    m->rdsn = mem_calloc(env->nrcpt + 1, sizeof(*m->rdsn));
    m->rmta = mem_calloc(env->nrcpt + 1, sizeof(*m->rmta));
    m->rreply = mem_calloc(env->nrcpt + 1, sizeof(*m->rreply));
    h = hash_id(m->env.id);
    m->hnext = Q.hash[h];
    Q.hash[h] = m;
    seg->live++;
    Q.nmsgs++;
    return m;
}

static void
free_msg(struct qmsg *m)
{
    unsigned h = hash_id(m->env.id);
    struct qmsg **pp;

    unlink_msg(m);
    for (pp = &Q.hash[h]; *pp; pp = &(*pp)->hnext)
        if (*pp == m) {
            *pp = m->hnext;
            break;
        }
    m->seg->live--;
    for (size_t i = 0; i < m->env.nrcpt; i++) {
        mem_free(m->rtext[i]);
        mem_free(m->rmta[i]);
        mem_free(m->rreply[i]);
    }
    mem_free(m->rtext);
    mem_free(m->rmta);
    mem_free(m->rreply);
    mem_free(m->rdsn);
    mem_free(m->rst);
    mem_free(m->notify_ok);
    queue_env_fini(&m->env);
    mem_free(m);
    Q.nmsgs--;
}

/* ---- intake ---- */

static int
intake_one(void *ctx, const struct queue_loc *loc, const struct queue_env *env)
{
    struct qseg *seg = ctx;
    struct qmsg *m;

    if (find_msg(env->id))
        return 0;
    m = add_msg(loc, env, seg);
    log_active(m);
    move_to(m, L_READY);
    return 0;
}

/* intake - read new records of a segment up to limit (0 = end) */
static void
intake(struct qseg *s, uint64_t limit)
{
    if (limit && s->end >= limit)
        return;
    if (queue_seg_scan(Q.fs, s->seq, &s->end, limit, intake_one, s, NULL) < 0 &&
        errno != ENOENT)
        maillog_warning("read segment %" PRIX64 ": %m", s->seq);
}

/* intake_new_segments - segments nobody told us about */
static void
intake_all(void)
{
    uint64_t *seqs;
    size_t n;

    if (queue_seg_list(Q.fs, &seqs, &n) < 0)
        return;
    for (size_t i = 0; i < n; i++)
        intake(find_seg(seqs[i], 1), 0);
    mem_free(seqs);
}

/*
 * warned_before - did a delay warning go out before the restart? qmgr
 * decides at each deferral, so it did when the last deferral came
 * delay_warning_time after arrival or later. That time is not stored;
 * it follows from next_try, which backoff() set to the deferral time
 * plus the message's age then, clamped to min..max backoff: with D =
 * next_try - arrival, the age was D - min (D <= 2 min), D / 2 (up to
 * 2 max) or D - max.
 */
static int
warned_before(const struct queue_snap_msg *sm)
{
    double d, age;

    if (Q.delay_warning <= 0 || sm->attempts == 0 ||
        sm->state != QUEUE_MS_DEFERRED || sm->next_try < sm->env->arrival_us)
        return 0;
    d = (double) (sm->next_try - sm->env->arrival_us) / 1e6;
    if (d <= 2.0 * (double) Q.min_backoff)
        age = d - (double) Q.min_backoff;
    else if (d < 2.0 * (double) Q.max_backoff)
        age = d / 2;
    else
        age = d - (double) Q.max_backoff;
    return age >= (double) Q.delay_warning;
}

static int
recover_one(void *ctx, const struct queue_snap_msg *sm)
{
    struct qmsg *m;
    struct qseg *seg = find_seg(sm->loc.seq, 1);

    (void) ctx;
    m = add_msg(&sm->loc, sm->env, seg);
    m->recovered = 1;
    for (size_t i = 0; i < sm->env->nrcpt; i++)
        m->rst[i] = sm->rcpt_done[i] ? R_DONE : R_PENDING;
    m->attempts = sm->attempts;
    m->next_try = sm->next_try;
    m->delay_warned = warned_before(sm);
    if (sm->state == QUEUE_MS_HOLD) {
        m->hold = 1;
        move_to(m, L_HOLD);
    } else if (sm->state == QUEUE_MS_DEFERRED) {
        move_to(m, L_DEFERRED);
    } else {
        log_active(m);
        move_to(m, L_READY);
    }
    return 0;
}

static void
recover_end(void *ctx, uint64_t seq, uint64_t end, size_t live)
{
    struct qseg *s = find_seg(seq, 1);

    (void) ctx;
    (void) live;
    s->end = end;
}

/* ---- transports ---- */

/* tparam - "<transport><suffix>", or the default parameter when that is
 * empty; caller frees */
static char *
tparam(const char *tname, const char *suffix, const char *defname)
{
    char pname[128];
    char *v;

    snprintf(pname, sizeof(pname), "%s%s", tname, suffix);
    v = server_conf_str(Q.srv->conf, NULL, pname);
    if (*v == 0) {
        mem_free(v);
        v = server_conf_str(Q.srv->conf, NULL, defname);
    }
    return v;
}

/* tparam_int - "<transport><suffix>" as an int (schema.h: its family's
 * type and range; the default parameter's value when the transport's
 * own is not set); fatal when malformed, as in Postfix */
static long
tparam_int(const char *tname, const char *suffix, const char *defname)
{
    char pname[128];

    (void) defname; /* the schema's family knows it; kept for the reader */
    snprintf(pname, sizeof(pname), "%s%s", tname, suffix);
    return server_conf_int(Q.srv->conf, NULL, pname);
}

static void
tparam_fb(const char *tname, const char *suffix, const char *defname,
          struct qmgr_fb *fb)
{
    char *v = tparam(tname, suffix, defname);

    if (qmgr_fb_parse(v, fb) < 0)
        maillog_warning("%s%s: ignoring malformed or unreasonable feedback: "
                        "%s",
                        tname, suffix, v);
    mem_free(v);
}

static struct transport *
transport(const char *name)
{
    struct transport *t;
    char pname[128];
    long maxproc = 0;

    for (t = Q.transports; t; t = t->next)
        if (strcmp(t->name, name) == 0)
            return t;
    t = mem_calloc(1, sizeof(*t));
    snprintf(t->name, sizeof(t->name), "%s", name);
    snprintf(t->path, sizeof(t->path), "%s", name);
    /* master.cf maxproc of the transport's service bounds our fan-out
     * over all its destinations; each destination has its own window */
    for (size_t i = 0; i < pcf_service_count(Q.srv->conf); i++) {
        if (strcmp(pcf_service_field(Q.srv->conf, i, 0), name) == 0 &&
            strcmp(pcf_service_field(Q.srv->conf, i, 1), "unix") == 0) {
            const char *mp = pcf_service_field(Q.srv->conf, i, 6);

            maxproc = strcmp(mp, "-") == 0
                          ? server_conf_int(Q.srv->conf, NULL,
                                            "default_process_limit")
                          : strtol(mp, NULL, 10);
        }
    }
    t->maxconn = maxproc > 0 && maxproc < MAX_CONN ? (int) maxproc : MAX_CONN;
    t->wc.limit = (int) tparam_int(name, "_destination_concurrency_limit",
                                   "default_destination_concurrency_limit");
    t->wc.init = (int) tparam_int(name, "_initial_destination_concurrency",
                                  "initial_destination_concurrency");
    if (t->wc.init < 1)
        t->wc.init = 1;
    if (t->wc.limit > 0 && t->wc.init > t->wc.limit)
        t->wc.init = t->wc.limit;
    t->wc.cohort_limit =
        (int) tparam_int(name, "_destination_concurrency_failed_cohort_limit",
                         "default_destination_concurrency_failed_cohort_limit");
    tparam_fb(name, "_destination_concurrency_positive_feedback",
              "default_destination_concurrency_positive_feedback",
              &t->wc.pos);
    tparam_fb(name, "_destination_concurrency_negative_feedback",
              "default_destination_concurrency_negative_feedback",
              &t->wc.neg);
    snprintf(pname, sizeof(pname), "%s%s", name, "_destination_rate_delay");
    t->rate_delay = server_conf_time(Q.srv->conf, NULL, pname);
    /* a rate delay means one delivery at a time: each failure is a
     * whole cohort, as in Postfix */
    if (t->rate_delay > 0)
        t->wc.limit = t->wc.init = 1;
    t->rcpt_limit = (int) tparam_int(name, "_destination_recipient_limit",
                                     "default_destination_recipient_limit");
    if (t->rcpt_limit <= 0 || t->rcpt_limit > MAX_RCPT_PER_JOB)
        t->rcpt_limit = MAX_RCPT_PER_JOB;
    t->dsize = 64;
    t->dtab = mem_calloc(t->dsize, sizeof(*t->dtab));
    t->next = Q.transports;
    Q.transports = t;
    return t;
}

/* ---- destinations ---- */

static unsigned
hash_str(const char *s)
{
    unsigned h = 2166136261u;

    while (*s)
        h = (h ^ (unsigned char) *s++) * 16777619u;
    return h;
}

/* dest_find - t's queue for nexthop name, made when missing */
static struct dest *
dest_find(struct transport *t, const char *name)
{
    unsigned h = hash_str(name);
    struct dest *d;

    for (d = t->dtab[h & (t->dsize - 1)]; d; d = d->hnext)
        if (d->hash == h && strcmp(d->name, name) == 0)
            return d;
    if (t->ndest >= t->dsize) {
        /* grow: keep chains short, O(1) per lookup */
        size_t nsize = t->dsize * 2;
        struct dest **ntab = mem_calloc(nsize, sizeof(*ntab));

        for (size_t i = 0; i < t->dsize; i++)
            while ((d = t->dtab[i]) != NULL) {
                t->dtab[i] = d->hnext;
                d->hnext = ntab[d->hash & (nsize - 1)];
                ntab[d->hash & (nsize - 1)] = d;
            }
        mem_free(t->dtab);
        t->dtab = ntab;
        t->dsize = nsize;
    }
    d = mem_calloc(1, sizeof(*d));
    d->t = t;
    d->name = mem_strdup(name);
    d->hash = h;
    qmgr_win_init(&d->win, &t->wc);
    d->hnext = t->dtab[h & (t->dsize - 1)];
    t->dtab[h & (t->dsize - 1)] = d;
    t->ndest++;
    return d;
}

static void
ring_add(struct transport *t, struct dest *d)
{
    if (t->ring == NULL) {
        d->prev = d->next = d;
        t->ring = d;
    } else {
        /* just behind the cursor: last in this round */
        d->next = t->ring;
        d->prev = t->ring->prev;
        d->prev->next = d;
        t->ring->prev = d;
    }
    d->where = D_RING;
}

static void
starve_add(struct transport *t, struct dest *d)
{
    d->next = NULL;
    d->prev = t->starve_tail;
    if (t->starve_tail)
        t->starve_tail->next = d;
    else
        t->starve_head = d;
    t->starve_tail = d;
    d->where = D_STARVE;
}

/* dest_unlist - out of the ring or the starve list */
static void
dest_unlist(struct dest *d)
{
    struct transport *t = d->t;

    if (d->where == D_RING) {
        if (d->next == d) {
            t->ring = NULL;
        } else {
            d->prev->next = d->next;
            d->next->prev = d->prev;
            if (t->ring == d)
                t->ring = d->next;
        }
    } else if (d->where == D_STARVE) {
        if (d->prev)
            d->prev->next = d->next;
        else
            t->starve_head = d->next;
        if (d->next)
            d->next->prev = d->prev;
        else
            t->starve_tail = d->prev;
    }
    d->prev = d->next = NULL;
    d->where = D_IDLE;
}

/* dest_wake - d may be able to send: give it a turn (a starving one
 * keeps its place in the starve list: it waits for a connection) */
static void
dest_wake(struct dest *d)
{
    if (d->where == D_IDLE && d->head && d->timer != T_RATE)
        ring_add(d->t, d);
}

static void
timer_del(struct dest *d)
{
    struct dest **head, **tail;

    if (d->timer == T_NONE)
        return;
    head = d->timer == T_DEAD ? &Q.dead_head : &d->t->rate_head;
    tail = d->timer == T_DEAD ? &Q.dead_tail : &d->t->rate_tail;
    if (d->tprev)
        d->tprev->tnext = d->tnext;
    else
        *head = d->tnext;
    if (d->tnext)
        d->tnext->tprev = d->tprev;
    else
        *tail = d->tprev;
    d->tprev = d->tnext = NULL;
    d->timer = T_NONE;
}

/* timer_add - every timer of a list has the same delay, so appending
 * keeps the list in expiry order */
static void
timer_add(struct dest *d, enum dtimer kind, uint64_t until_us)
{
    struct dest **head, **tail;

    timer_del(d);
    head = kind == T_DEAD ? &Q.dead_head : &d->t->rate_head;
    tail = kind == T_DEAD ? &Q.dead_tail : &d->t->rate_tail;
    d->timer = kind;
    d->until_us = until_us;
    d->tnext = NULL;
    d->tprev = *tail;
    if (*tail)
        (*tail)->tnext = d;
    else
        *head = d;
    *tail = d;
    if (kind == T_RATE && d->where == D_RING)
        dest_unlist(d);
}

static void
feedback_log(const char *fn, const struct dest *d)
{
    if (Q.feedback_debug)
        maillog_info("%s: queue %s: limit %d window %d success %g failure "
                     "%g fail_cohorts %g",
                     fn, d->name, d->t->wc.limit, d->win.window,
                     d->win.success, d->win.failure, d->win.fail_cohorts);
}

/* dest_revive - the dead-destination time is over, or a delivery
 * got through after all */
static void
dest_revive(struct dest *d)
{
    if (d->win.window == 0)
        (void) qmgr_win_success(&d->win, &d->t->wc, d->busy);
    if (d->timer == T_DEAD)
        timer_del(d);
    mem_free(d->dead_text);
    d->dead_text = NULL;
    feedback_log("qmgr_queue_unthrottle", d);
    dest_wake(d);
}

/* dest_gc - free the queues of t with nothing to do */
static void
dest_gc(struct transport *t)
{
    for (size_t i = 0; i < t->dsize; i++)
        for (struct dest **pp = &t->dtab[i]; *pp;) {
            struct dest *d = *pp;

            if (d->head || d->busy || d->timer != T_NONE ||
                d->where != D_IDLE) {
                pp = &d->hnext;
                continue;
            }
            *pp = d->hnext;
            mem_free(d->name);
            mem_free(d->dead_text);
            mem_free(d);
            t->ndest--;
        }
}

static void
conn_bind(struct aconn *a, struct dest *d)
{
    a->d = d;
    a->dprev = NULL;
    a->dnext = d->conns;
    if (d->conns)
        d->conns->dprev = a;
    d->conns = a;
    d->busy++;
    d->t->nidle--;
}

static void
conn_unbind(struct aconn *a)
{
    struct dest *d = a->d;

    if (d == NULL)
        return;
    if (a->dprev)
        a->dprev->dnext = a->dnext;
    else
        d->conns = a->dnext;
    if (a->dnext)
        a->dnext->dprev = a->dprev;
    a->dprev = a->dnext = NULL;
    a->d = NULL;
    d->busy--;
    d->t->nidle++;
}

static void finish_msg(struct qmsg *m);

/* job kinds, from the nexthop of requests to the bounce service */
#define JOB_DELIVERY 0
#define JOB_BOUNCE   1
#define JOB_SUCCESS  2

/* job_result - apply one recipient result of a job */
static void
apply(struct qmsg *m, struct deliver_rcpt *rc, int bounce_job)
{
    uint32_t i = rc->idx;

    if (i >= m->env.nrcpt)
        return;
    if (bounce_job == JOB_SUCCESS) {
        /* success and delay notices are best effort: sent or not, done;
         * the recipients stay as they were */
        m->notify_ok[i] = 0;
        if (m->rst[i] == R_INFLIGHT)
            m->rst[i] = R_DEFERRED;
        return;
    }
    if (bounce_job) {
        /* notification queued: the failed recipient is finished */
        if (rc->status == DELIVER_SENT) {
            m->rst[i] = R_DONE;
            state(m->seg, QUEUE_ST_RCPT, m->loc.off, i, 0, 0, NULL);
        } else {
            m->rst[i] = R_DEFERRED;
        }
        return;
    }
    switch (rc->status) {
    case DELIVER_SENT:
        m->rst[i] = R_DONE;
        state(m->seg, QUEUE_ST_RCPT, m->loc.off, i, 0, 0, NULL);
        if (rc->notify & QUEUE_NOTIFY_SUCCESS) /* as the agent left it */
            m->notify_ok[i] = 1;
        break;
    case DELIVER_BOUNCE:
        m->rst[i] = R_BOUNCED;
        break;
    default:
        m->rst[i] = R_DEFERRED;
        break;
    }
    mem_free(m->rtext[i]);
    m->rtext[i] = mem_strdup(rc->text ? rc->text : "");
    snprintf(m->rdsn[i], sizeof(m->rdsn[i]), "%s", rc->dsn);
    mem_free(m->rmta[i]);
    mem_free(m->rreply[i]);
    m->rmta[i] = rc->mta ? mem_strdup(rc->mta) : NULL;
    m->rreply[i] = rc->reply ? mem_strdup(rc->reply) : NULL;
}

static void
job_done(struct job *j, int bounce_job)
{
    struct qmsg *m = j->m;

    for (size_t k = 0; k < j->req.nrcpt; k++)
        apply(m, &j->req.rcpt[k], bounce_job);
    if (bounce_job)
        m->bouncing = 0;
    deliver_req_fini(&j->req);
    mem_free(j);
    m->inflight--;
    if (m->inflight == 0)
        finish_msg(m);
}

/* is_bounce_job - JOB_BOUNCE, JOB_SUCCESS or JOB_DELIVERY */
static int
is_bounce_job(const struct job *j)
{
    if (j->req.nexthop == NULL || j->m->env.nrcpt == 0)
        return JOB_DELIVERY;
    if ((strcmp(j->req.nexthop, "success") == 0 ||
         strcmp(j->req.nexthop, "delay") == 0) &&
        j->bounce_kind)
        return JOB_SUCCESS;
    if ((strcmp(j->req.nexthop, "failure") == 0 ||
         strcmp(j->req.nexthop, "2bounce") == 0) &&
        j->bounce_kind)
        return JOB_BOUNCE;
    return JOB_DELIVERY;
}

/* fail_job - defer a job that no agent saw, with a reason (dsn 4.3.0
 * unless given) */
static void
fail_job_dsn(struct job *j, const char *dsn, const char *why)
{
    int bounce_job = is_bounce_job(j);

    if (j->req.sent_us == 0)
        j->req.sent_us = queue_now_us();
    for (size_t k = 0; k < j->req.nrcpt; k++) {
        deliver_result(&j->req.rcpt[k], DELIVER_DEFER, dsn, why);
        if (!bounce_job)
            deliver_log(&j->req, &j->req.rcpt[k], "none");
    }
    job_done(j, bounce_job);
}

static void
fail_job(struct job *j, const char *why)
{
    fail_job_dsn(j, "4.3.0", why);
}

/* dest_pop - the next waiting job of d */
static struct job *
dest_pop(struct dest *d)
{
    struct job *j = d->head;

    d->head = j->next;
    if (d->head == NULL)
        d->tail = NULL;
    j->next = NULL;
    d->nwait--;
    return j;
}

/* dest_fail_all - defer every waiting job of d with a reason; a dead
 * destination's say "delivery temporarily suspended: ..." as Postfix */
static void
dest_fail_all(struct dest *d, const char *why)
{
    char text[1100];

    if (d->dead_text)
        snprintf(text, sizeof(text), "delivery temporarily suspended: %s",
                 d->dead_text);
    while (d->head) {
        struct job *j = dest_pop(d);

        if (d->dead_text)
            fail_job_dsn(j, d->dead_dsn, text);
        else
            fail_job(j, why);
    }
}

static void
close_conn(struct transport *t, int k, const char *why)
{
    struct aconn *a = t->conn[k];
    struct dest *d = a->d;

    /* out of the transport first: failing the jobs may dispatch */
    conn_unbind(a);
    t->conn[k] = t->conn[--t->nconn];
    t->nidle--;
    ipc_conn_fini(&a->c);
    /* requests in flight on a broken connection are retried later */
    while (a->head) {
        struct job *j = a->head;

        a->head = j->next;
        fail_job(j, why);
    }
    mem_free(a);
    if (d)
        dest_wake(d);
}

/* idle_conn - a connection of t bound to no destination, or a new one */
static struct aconn *
idle_conn(struct transport *t, time_t now)
{
    struct aconn *a;
    int fd;

    if (t->nidle > 0)
        for (int k = 0; k < t->nconn; k++)
            if (t->conn[k]->d == NULL)
                return t->conn[k];
    if (t->nconn >= t->maxconn || now < t->open_fail_until ||
        now < t->down_until)
        return NULL;
    if ((fd = ipc_connect_service(t->path)) < 0) {
        t->open_fail_until = now + 1;
        if (t->nconn == 0) {
            maillog_warning("connect to transport %s: %m", t->path);
            t->down_until = now + 10;
        }
        return NULL;
    }
    a = mem_calloc(1, sizeof(*a));
    ipc_conn_init(&a->c, fd, 1 << 20);
    a->last = now;
    t->conn[t->nconn++] = a;
    t->nidle++;
    return a;
}

static int
conn_possible(const struct transport *t, time_t now)
{
    return t->nidle > 0 || (t->nconn < t->maxconn &&
                            now >= t->open_fail_until && now >= t->down_until);
}

/* dest_window - how many connections d may use now */
static int
dest_window(const struct dest *d)
{
    int w = d->t->rate_delay > 0 ? 1 : d->win.window;

    return w > d->t->maxconn ? d->t->maxconn : w;
}

/*
 * dest_depth - how many requests of d may wait on one agent connection:
 * none beyond the one being delivered while d is unproven (a failing
 * destination must not collect requests that Postfix would defer
 * without trying), rate-limited, or while another destination waits
 * for a free connection (fairness); else about a second of work.
 */
static int
dest_depth(const struct dest *d)
{
    if (d->t->rate_delay > 0 || !d->proven || d->t->starve_head)
        return 1;
    return qmgr_pipe_depth(d->svc_us, PIPE_TARGET_US, PIPE_DEPTH);
}

static void
send_job(struct aconn *a, struct job *j, time_t now)
{
    j->req.sent_us = queue_now_us();
    deliver_req_encode(&Q.o, &j->req);
    ipc_conn_queue(&a->c, &Q.o);
    if (a->outstanding == 0)
        a->since_us = j->req.sent_us;
    if (a->tail)
        a->tail->next = j;
    else
        a->head = j;
    a->tail = j;
    a->outstanding++;
    a->last = now;
}

enum turn {
    TURN_SENT,   /* one job sent */
    TURN_DONE,   /* nothing (more) now: out of the ring */
    TURN_STARVE, /* needs a connection that nobody has free */
};

/* dest_turn - send d's next job if its window and the transport let
 * it; a connection bound to no destination only when fresh_ok (free
 * connections go to the starving destinations first, in order) */
static enum turn
dest_turn(struct transport *t, struct dest *d, time_t now, int fresh_ok)
{
    struct aconn *a = NULL;
    int depth;

    if (d->head == NULL || d->timer == T_RATE)
        return TURN_DONE;
    if (d->timer == T_DEAD || (t->nconn == 0 && now < t->down_until)) {
        dest_fail_all(d, "mail transport unavailable");
        return TURN_DONE;
    }
    /* the least loaded of d's connections with room, or another one
     * while d's window allows */
    depth = dest_depth(d);
    for (struct aconn *b = d->conns; b; b = b->dnext)
        if (b->outstanding < depth && (a == NULL || b->outstanding < a->outstanding))
            a = b;
    if ((a == NULL || a->outstanding > 0) && d->busy < dest_window(d) &&
        fresh_ok) {
        struct aconn *f = idle_conn(t, now);

        if (f) {
            conn_bind(f, d);
            a = f;
        }
    }
    if (a == NULL) {
        if (t->nconn == 0 && now < t->down_until) {
            dest_fail_all(d, "mail transport unavailable");
            return TURN_DONE;
        }
        return d->busy < dest_window(d) ? TURN_STARVE : TURN_DONE;
    }
    send_job(a, dest_pop(d), now);
    return TURN_SENT;
}

/*
 * dispatch - send t's waiting jobs: one job per destination in turn
 * (round-robin over the ring), so that a destination with thousands
 * queued does not hold back one with a single message. A destination
 * leaves the ring when it has nothing to send or its window is full
 * (a reply brings it back), or goes to the starve list when it needs a
 * connection and all are taken (a connection that frees up goes to
 * the first of them). O(1) per job.
 */
static void
dispatch(struct transport *t)
{
    time_t now = time(NULL);

    while (!Q.stopping) {
        struct dest *d = t->ring;

        if (d == NULL) {
            /* the ring is done: free connections to the starving */
            if (t->starve_head == NULL || !conn_possible(t, now))
                break;
            d = t->starve_head;
            dest_unlist(d);
            switch (dest_turn(t, d, now, 1)) {
            case TURN_SENT:
                if (d->where == D_IDLE)
                    dest_wake(d);
                break;
            case TURN_STARVE:
                if (d->where == D_IDLE)
                    starve_add(t, d);
                return; /* no connection after all */
            default:
                break;
            }
            continue;
        }
        switch (dest_turn(t, d, now, t->starve_head == NULL)) {
        case TURN_SENT:
            /* failing jobs may have re-entered dispatch: check where */
            if (d->where == D_RING) {
                if (d->head == NULL)
                    dest_unlist(d);
                else
                    t->ring = d->next;
            }
            break;
        case TURN_STARVE:
            dest_unlist(d);
            starve_add(t, d);
            break;
        default:
            dest_unlist(d);
            break;
        }
    }
}

/* dest_feedback - a delivery agent's answer for d: Postfix's
 * throttle (the destination failed) or unthrottle (it answered) */
static void
dest_feedback(struct dest *d, const struct job *j)
{
    struct transport *t = d->t;

    if (j->req.hop_fail && j->req.nrcpt > 0) {
        const struct deliver_rcpt *rc = &j->req.rcpt[0];

        d->proven = 0;
        if (qmgr_win_failure(&d->win, &t->wc)) {
            /* dead: what waits is deferred without a try, and so is
             * what comes, until minimal_backoff_time has passed */
            mem_free(d->dead_text);
            d->dead_text = mem_strdup(rc->text ? rc->text : "");
            snprintf(d->dead_dsn, sizeof(d->dead_dsn), "%s",
                     rc->dsn[0] == '4' ? rc->dsn : "4.0.0");
            timer_add(d, T_DEAD,
                      queue_now_us() + (uint64_t) Q.min_backoff * 1000000u);
            dest_wake(d);
        }
        feedback_log("qmgr_queue_throttle", d);
        return;
    }
    d->proven = 1;
    if (d->win.window == 0) {
        dest_revive(d);
        return;
    }
    (void) qmgr_win_success(&d->win, &t->wc, d->busy);
    feedback_log("qmgr_queue_unthrottle", d);
}

/* run_timers - rate delays and dead destinations whose time is up;
 * the milliseconds until the next one (at most 1000) */
static int
run_timers(void)
{
    uint64_t now = queue_now_us(), next = now + 1000000u;

    while (Q.dead_head && Q.dead_head->until_us <= now)
        dest_revive(Q.dead_head);
    if (Q.dead_head && Q.dead_head->until_us < next)
        next = Q.dead_head->until_us;
    for (struct transport *t = Q.transports; t; t = t->next) {
        while (t->rate_head && t->rate_head->until_us <= now) {
            struct dest *d = t->rate_head;

            timer_del(d);
            dest_wake(d);
        }
        if (t->rate_head && t->rate_head->until_us < next)
            next = t->rate_head->until_us;
    }
    return (int) ((next - now + 999) / 1000);
}

/* new_job - a delivery request for some recipients of m */
static struct job *
new_job(struct qmsg *m, const char *nexthop)
{
    struct job *j = mem_calloc(1, sizeof(*j));

    j->m = m;
    deliver_req_init(&j->req);
    snprintf(j->req.id, sizeof(j->req.id), "%s", m->env.id);
    j->req.seq = m->loc.seq;
    j->req.content_off = m->loc.content_off;
    j->req.content_len = m->loc.content_len;
    j->req.arrival_us = m->env.arrival_us;
    j->req.active_us = m->active_us ? m->active_us : queue_now_us();
    j->req.flags = m->env.flags;
    if (m->recovered || m->attempts > 0)
        j->req.flags |= DELIVER_F_RETRY;
    j->req.ret = m->env.ret;
    j->req.sender = mem_strdup(m->env.sender);
    j->req.nexthop = mem_strdup(nexthop);
    j->req.envid = mem_strdup(m->env.envid);
    m->inflight++;
    return j;
}

/* enqueue - j waits in its destination's queue */
static void
enqueue(struct transport *t, struct job *j)
{
    struct dest *d = dest_find(t, j->req.nexthop ? j->req.nexthop : "");

    j->d = d;
    j->next = NULL;
    if (d->tail)
        d->tail->next = j;
    else
        d->head = j;
    d->tail = j;
    d->nwait++;
    dest_wake(d);
}

/*
 * is_double_bounce - a local recipient whose local part is
 * double_bounce_sender: Postfix's qmgr discards such mail itself (the
 * address exists so that notices about notices have somewhere to go,
 * and a system may run without a local delivery agent)
 */
static int
is_double_bounce(const char *addr, const struct rewrite_result *res)
{
    const char *at = strrchr(addr, '@');
    size_t len = at ? (size_t) (at - addr) : strlen(addr);

    return res->cls == REWRITE_LOCAL && Q.double_bounce &&
           strlen(Q.double_bounce) == len &&
           strncasecmp(addr, Q.double_bounce, len) == 0;
}

/* discard - recipient i is done: "sent (undeliverable postmaster
 * notification discarded)", logged by qmgr with relay=none, as Postfix */
static void
discard(struct qmsg *m, size_t i)
{
    struct job *j = new_job(m, "");

    deliver_req_add(&j->req, (uint32_t) i, m->env.rcpt[i].addr,
                    m->env.rcpt[i].orig, m->env.rcpt[i].orcpt,
                    m->env.rcpt[i].notify);
    j->req.sent_us = queue_now_us();
    deliver_result(&j->req.rcpt[0], DELIVER_SENT, "2.0.0",
                   "undeliverable postmaster notification discarded");
    deliver_log(&j->req, &j->req.rcpt[0], "none");
    apply(m, &j->req.rcpt[0], JOB_DELIVERY);
    deliver_req_fini(&j->req);
    mem_free(j);
    m->inflight--;
}

/* add_resolved - recipient k into j's request under the address the
 * resolver gave (user%remote@ourdomain is delivered to user@remote, as
 * Postfix's qmgr does), the queued form kept as the original */
static void
add_resolved(struct job *j, struct qmsg *m, size_t k,
             const struct rewrite_result *res)
{
    const struct queue_rcpt *q = &m->env.rcpt[k];
    char *ext = res->rcpt[0] ? rewrite_quote(res->rcpt) : NULL;

    if (ext && strcmp(ext, q->addr) != 0) {
        /* the original in Postfix's external form: "a@b"@c */
        char *in = rewrite_unquote(q->addr);
        char *orig = rewrite_quote(in);

        /* "alice"@ours resolved to alice@ours: nothing to show */
        deliver_req_add(&j->req, (uint32_t) k, ext,
                        q->orig[0]               ? q->orig
                        : strcmp(orig, ext) != 0 ? orig
                                                 : "",
                        q->orcpt, q->notify);
        mem_free(orig);
        mem_free(in);
    } else
        deliver_req_add(&j->req, (uint32_t) k, q->addr, q->orig, q->orcpt,
                        q->notify);
    mem_free(ext);
}

/* schedule - turn a ready message's pending recipients into jobs */
static void
schedule(struct qmsg *m)
{
    size_t n = m->env.nrcpt;
    struct rewrite_result *res;

    unlink_msg(m);
    /* resolve every pending recipient once, then group them */
    res = mem_calloc(n + 1, sizeof(*res));
    for (size_t i = 0; i < n; i++) {
        if (m->rst[i] != R_PENDING)
            continue;
        if (rewrite_resolve(Q.rw, m->env.rcpt[i].addr, &res[i]) < 0) {
            m->rst[i] = R_DEFERRED;
            mem_free(m->rtext[i]);
            m->rtext[i] = mem_strdup("address resolver lookup failure");
            mem_free(m->rmta[i]);
            m->rmta[i] = NULL;
        }
    }
    for (size_t i = 0; i < n; i++) {
        struct transport *t;
        struct job *j;

        if (m->rst[i] != R_PENDING)
            continue;
        if (is_double_bounce(m->env.rcpt[i].addr, &res[i])) {
            discard(m, i);
            continue;
        }
        t = transport(res[i].transport);
        j = new_job(m, res[i].nexthop);
        /* more recipients with the same transport and nexthop */
        for (size_t k = i; k < n && (int) j->req.nrcpt < t->rcpt_limit; k++) {
            if (m->rst[k] != R_PENDING ||
                strcmp(res[k].transport, res[i].transport) != 0 ||
                strcmp(res[k].nexthop, res[i].nexthop) != 0)
                continue;
            add_resolved(j, m, k, &res[k]);
            m->rst[k] = R_INFLIGHT;
        }
        enqueue(t, j);
    }
    mem_free(res);
    if (m->inflight == 0)
        finish_msg(m);
}

/* bounce_job - failed (or, for DSN, delivered) recipients to the bounce
 * service */
static void
bounce(struct qmsg *m, const char *kind)
{
    struct job *j = new_job(m, kind);

    for (size_t i = 0; i < m->env.nrcpt; i++) {
        if (m->rst[i] != R_BOUNCED)
            continue;
        deliver_req_add(&j->req, (uint32_t) i, m->env.rcpt[i].addr,
                        m->env.rcpt[i].orig, m->env.rcpt[i].orcpt,
                        m->env.rcpt[i].notify);
        deliver_result(&j->req.rcpt[j->req.nrcpt - 1], DELIVER_BOUNCE,
                       m->rdsn[i][0] ? m->rdsn[i] : "5.0.0",
                       m->rtext[i] ? m->rtext[i] : "");
        deliver_result_remote(&j->req.rcpt[j->req.nrcpt - 1], m->rmta[i],
                              m->rreply[i]);
        m->rst[i] = R_INFLIGHT;
    }
    m->bouncing = 1;
    j->bounce_kind = 1;
    enqueue(transport(Q.bounce_transport), j);
}

/* success_notice - NOTIFY=SUCCESS recipients delivered: tell the sender */
static int
success_notice(struct qmsg *m)
{
    struct job *j;

    if (!*m->env.sender || Q.stopping)
        return 0;
    j = NULL;
    for (size_t i = 0; i < m->env.nrcpt; i++) {
        if (!m->notify_ok[i])
            continue;
        if (j == NULL)
            j = new_job(m, "success");
        deliver_req_add(&j->req, (uint32_t) i, m->env.rcpt[i].addr,
                        m->env.rcpt[i].orig, m->env.rcpt[i].orcpt,
                        m->env.rcpt[i].notify);
        deliver_result(&j->req.rcpt[j->req.nrcpt - 1], DELIVER_SENT,
                       m->rdsn[i][0] ? m->rdsn[i] : "2.0.0",
                       m->rtext[i] ? m->rtext[i] : "");
        deliver_result_remote(&j->req.rcpt[j->req.nrcpt - 1], m->rmta[i],
                              m->rreply[i]);
    }
    if (j == NULL)
        return 0;
    j->bounce_kind = 1;
    enqueue(transport(Q.bounce_transport), j);
    dispatch(transport(Q.bounce_transport));
    return 1;
}

/*
 * backoff - seconds until the next try of a deferred message: its time
 * in the queue, between minimal_backoff_time and maximal_backoff_time
 * (Postfix's qmgr_active.c), so the gaps double (min, min, 2 min, ...)
 * and no attempt counter is needed
 */
static long
backoff(const struct qmsg *m, uint64_t now)
{
    long d = now > m->env.arrival_us
                 ? (long) ((now - m->env.arrival_us) / 1000000u)
                 : 0;

    if (d > Q.max_backoff)
        d = Q.max_backoff;
    return d < Q.min_backoff ? Q.min_backoff : d;
}

/* finish_msg - every request of m answered: bounce, defer or remove */
static void
finish_msg(struct qmsg *m)
{
    int deferred = 0, bounced = 0, pending = 0;
    const char *reason = NULL;
    uint64_t now = queue_now_us();

    if (m->deleted) {
        state(m->seg, QUEUE_ST_DELETED, m->loc.off, 0, 0, 0, NULL);
        maillog_info("%s: removed", m->env.id);
        free_msg(m);
        return;
    }
    for (size_t i = 0; i < m->env.nrcpt; i++) {
        deferred += m->rst[i] == R_DEFERRED;
        bounced += m->rst[i] == R_BOUNCED;
        pending += m->rst[i] == R_PENDING;
        if (m->rst[i] == R_DEFERRED && m->rtext[i])
            reason = m->rtext[i];
    }
    if (pending && !Q.stopping) {
        move_to(m, L_READY);
        return;
    }
    if (deferred && !Q.stopping) {
        long life = *m->env.sender ? Q.lifetime : Q.bounce_lifetime;

        if (now > m->env.arrival_us &&
            (long) ((now - m->env.arrival_us) / 1000000) >= life) {
            /* too old: return what is left */
            maillog_info("%s: from=<%s>, status=expired, returned to sender",
                         m->env.id, m->env.sender);
            for (size_t i = 0; i < m->env.nrcpt; i++)
                if (m->rst[i] == R_DEFERRED) {
                    m->rst[i] = R_BOUNCED;
                    /* Postfix keeps the last status (4.x.x, failed) */
                    if (m->rdsn[i][0] == 0)
                        snprintf(m->rdsn[i], sizeof(m->rdsn[i]), "4.4.7");
                }
            bounced += deferred;
            deferred = 0;
        }
    }
    if (bounced && !m->bouncing && !Q.stopping) {
        int notify = 0;

        /* NOTIFY=NEVER recipients are just finished */
        for (size_t i = 0; i < m->env.nrcpt; i++) {
            if (m->rst[i] != R_BOUNCED)
                continue;
            if (m->env.rcpt[i].notify & QUEUE_NOTIFY_NEVER ||
                (m->env.rcpt[i].notify &&
                 !(m->env.rcpt[i].notify & QUEUE_NOTIFY_FAILURE))) {
                m->rst[i] = R_DONE;
                state(m->seg, QUEUE_ST_RCPT, m->loc.off, (uint32_t) i, 0, 0,
                      NULL);
                bounced--; /* finished: no retry for it */
            } else {
                notify = 1;
            }
        }
        if (notify) {
            bounce(m, *m->env.sender ? "failure" : "2bounce");
            dispatch(transport(Q.bounce_transport));
            return;
        }
    }
    if (deferred && !bounced && Q.delay_warning > 0 && !m->delay_warned &&
        !Q.stopping &&
        (long) ((now - m->env.arrival_us) / 1000000) >= Q.delay_warning) {
        /* a "still trying" notice for recipients that did not say
         * NOTIFY=NEVER or leave out DELAY */
        struct job *j = NULL;

        m->delay_warned = 1;
        for (size_t i = 0; i < m->env.nrcpt; i++) {
            uint32_t nt = m->env.rcpt[i].notify;

            if (m->rst[i] != R_DEFERRED || (nt && !(nt & QUEUE_NOTIFY_DELAY)))
                continue;
            if (j == NULL)
                j = new_job(m, "delay");
            deliver_req_add(&j->req, (uint32_t) i, m->env.rcpt[i].addr,
                            m->env.rcpt[i].orig, m->env.rcpt[i].orcpt,
                            m->env.rcpt[i].notify);
            deliver_result(&j->req.rcpt[j->req.nrcpt - 1], DELIVER_DEFER,
                           m->rdsn[i][0] ? m->rdsn[i] : "4.0.0",
                           m->rtext[i] ? m->rtext[i] : "");
            deliver_result_remote(&j->req.rcpt[j->req.nrcpt - 1], m->rmta[i],
                                  m->rreply[i]);
            m->rst[i] = R_INFLIGHT;
        }
        if (j) {
            j->bounce_kind = 1;
            enqueue(transport(Q.bounce_transport), j);
            dispatch(transport(Q.bounce_transport));
            return; /* back here when the notice is queued */
        }
    }
    if (deferred || bounced) {
        m->attempts++;
        m->next_try = now + (uint64_t) backoff(m, now) * 1000000u;
        for (size_t i = 0; i < m->env.nrcpt; i++)
            if (m->rst[i] == R_BOUNCED || m->rst[i] == R_INFLIGHT)
                m->rst[i] = R_DEFERRED;
        state(m->seg, QUEUE_ST_DEFER, m->loc.off, 0, m->next_try, m->attempts,
              reason ? reason : "");
        for (size_t i = 0; i < m->env.nrcpt; i++)
            if (m->rst[i] == R_DEFERRED)
                m->rst[i] = R_PENDING;
        move_to(m, m->hold ? L_HOLD : L_DEFERRED);
        return;
    }
    if (Q.stopping && pending) {
        unlink_msg(m);
        return;
    }
    if (success_notice(m))
        return; /* back here when the notice is queued */
    state(m->seg, QUEUE_ST_DONE, m->loc.off, 0, 0, 0, NULL);
    maillog_info("%s: removed", m->env.id);
    free_msg(m);
}

/* read_replies - results from an agent connection */
static void
read_replies(struct transport *t, int k)
{
    struct aconn *a = t->conn[k];
    struct ipc_in in;
    struct dest *d;
    uint64_t now_us;
    int r = ipc_conn_fill(&a->c);

    if (r == 0 || r == -1) {
        close_conn(t, k, a->head ? "unknown mail transport error" : "");
        return;
    }
    while ((r = ipc_conn_frame(&a->c, &in)) == 1) {
        struct job *j = a->head;

        if (j == NULL) {
            close_conn(t, k, "unknown mail transport error");
            return;
        }
        a->head = j->next;
        if (a->head == NULL)
            a->tail = NULL;
        a->outstanding--;
        a->last = time(NULL);
        if (deliver_reply_decode(&in, &j->req) < 0) {
            maillog_warning("%s: bad reply from %s", j->req.id, t->path);
            fail_job(j, "unknown mail transport error");
            close_conn(t, k, "unknown mail transport error");
            return;
        }
        d = j->d;
        now_us = queue_now_us();
        if (d) {
            /* the time the agent spent on this request: since the
             * previous answer on this connection, or since sending */
            double sample = (double) (now_us - a->since_us);

            d->svc_us =
                d->svc_us > 0 ? 0.8 * d->svc_us + 0.2 * sample : sample;
            dest_feedback(d, j);
        }
        a->since_us = now_us;
        if (a->outstanding == 0)
            conn_unbind(a);
        if (d && t->rate_delay > 0 && d->timer != T_DEAD)
            timer_add(d, T_RATE,
                      now_us + (uint64_t) t->rate_delay * 1000000u);
        job_done(j, is_bounce_job(j));
        if (d)
            dest_wake(d);
    }
    if (r < 0)
        close_conn(t, k, "unknown mail transport error");
}

/* ---- control ---- */

static uint32_t
for_ids(const char *id, int op)
{
    uint32_t n = 0;

    for (unsigned h = 0; h < HASH_SIZE; h++) {
        struct qmsg *m = Q.hash[h], *next;

        for (; m; m = next) {
            next = m->hnext;
            if (strcmp(id, "ALL") != 0 && strcmp(id, m->env.id) != 0)
                continue;
            n++;
            switch (op) {
            case QMGR_DELETE:
                if (m->inflight) {
                    m->deleted = 1;
                } else {
                    state(m->seg, QUEUE_ST_DELETED, m->loc.off, 0, 0, 0, NULL);
                    maillog_info("%s: removed", m->env.id);
                    free_msg(m);
                }
                break;
            case QMGR_HOLD:
                if (!m->hold) {
                    m->hold = 1;
                    state(m->seg, QUEUE_ST_HOLD, m->loc.off, 0, 0, 0, NULL);
                    maillog_info("%s: placed on hold", m->env.id);
                    if (!m->inflight)
                        move_to(m, L_HOLD);
                }
                break;
            case QMGR_RELEASE:
                if (m->hold) {
                    m->hold = 0;
                    state(m->seg, QUEUE_ST_RELEASE, m->loc.off, 0, 0, 0, NULL);
                    maillog_info("%s: released from hold", m->env.id);
                    if (!m->inflight) {
                        log_active(m);
                        move_to(m, L_READY);
                    }
                }
                break;
            }
        }
    }
    return n;
}

static void timers(void);

static void
control_frame(struct ctl *c, struct ipc_in *in)
{
    uint32_t n = 0;
    long uid;

    switch (in->type) {
    case QMGR_NOTIFY: {
        uint64_t seq = ipc_get_u64(in), end = ipc_get_u64(in);

        /* commit notices come from cleanup (mail_owner): a set-gid
         * postqueue caller may flush, not steer intake */
        if (ipc_in_ok(in) && c->trusted)
            intake(find_seg(seq, 1), end);
        return; /* no reply */
    }
    case QMGR_FLUSH:
        for (struct qmsg *m = Q.deferred.head, *next; m; m = next) {
            next = m->next;
            m->next_try = 0;
            n++;
        }
        /* as Postfix's flush: dead destinations get another chance,
         * and the deferred mail goes now, not at the next tick */
        while (Q.dead_head)
            dest_revive(Q.dead_head);
        timers();
        break;
    case QMGR_DELETE:
    case QMGR_HOLD:
    case QMGR_RELEASE: {
        const char *id = ipc_get_str(in);

        /* asked per request, not for every commit notice */
        uid = ipc_peer_uid(c->c.fd);
        if (uid != 0 && uid != (long) geteuid()) {
            n = 0;
            break;
        }
        n = for_ids(id, in->type);
        break;
    }
    default:
        return;
    }
    ipc_out_begin(&Q.o, 'S');
    ipc_put_u32(&Q.o, n);
    ipc_conn_queue(&c->c, &Q.o);
}

/* ---- housekeeping ---- */

static void
timers(void)
{
    uint64_t now = queue_now_us();

    for (struct qmsg *m = Q.deferred.head, *next; m; m = next) {
        next = m->next;
        if (m->next_try <= now) {
            log_active(m);
            move_to(m, L_READY);
        }
    }
}

static void
sync_states(void)
{
    for (struct qseg *s = Q.segs; s; s = s->next)
        if (s->dirty && s->sl) {
            if (queue_state_sync(s->sl) < 0)
                maillog_warning("sync state log %" PRIX64 ": %m", s->seq);
            s->dirty = 0;
        }
}

/* gc - remove segments with nothing left and no writer */
static void
gc(void)
{
    for (struct qseg **pp = &Q.segs; *pp;) {
        struct qseg *s = *pp;

        if (s->live == 0 && queue_seg_writer_gone(Q.fs, s->seq) == 1) {
            intake(s, 0); /* the last records, if any */
            if (s->live == 0) {
                if (s->sl) {
                    queue_state_close(s->sl);
                    s->sl = NULL;
                }
                if (queue_seg_remove(Q.fs, s->seq) < 0)
                    maillog_warning("remove segment %" PRIX64 ": %m", s->seq);
                *pp = s->next;
                mem_free(s);
                continue;
            }
        }
        pp = &s->next;
    }
}

/* qmgr_pre_drop - before the drop: the tables a chroot jail hides */
static void
qmgr_pre_drop(struct server *srv, void *ctx)
{
    (void) ctx;
    memset(&Q, 0, sizeof(Q));
    Q.srv = srv;
    /* tables before a chroot jail (chroot y) hides their files */
    Q.rw = rewrite_new(srv->conf, srv->name_space);
}

static int
qmgr_loop(struct server *srv, void *ctx)
{
    struct pollfd pfd[SERVER_MAX_LISTEN + MAX_CTL + 512];
    struct transport *ptr[SERVER_MAX_LISTEN + MAX_CTL + 512];
    int pk[SERVER_MAX_LISTEN + MAX_CTL + 512];
    int lockfd;
    time_t last_tick = 0, last_scan = time(NULL), stop_deadline = 0;

    (void) ctx;
    ipc_out_init(&Q.o);
    lockfd = open("store/qmgr.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lockfd < 0 || flock(lockfd, LOCK_EX) < 0)
        maillog_fatal("lock store/qmgr.lock: %m");
    Q.fs = queue_fs_disk("store");
    if (Q.fs == NULL)
        maillog_fatal("open queue store: %m");
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

    /* recovery: every live message, with its state */
    if (queue_snapshot(Q.fs, recover_one, recover_end, NULL) < 0)
        maillog_fatal("queue recovery failed: %m");
    if (Q.nmsgs)
        maillog_info("recovered %zu messages (%zu ready, %zu deferred, %zu "
                     "on hold)",
                     Q.nmsgs, Q.ready.n, Q.deferred.n, Q.hold.n);
    for (int i = 0; i < srv->nlisten; i++)
        (void) ipc_nonblock(srv->listen_fd[i], 1);
    server_status(srv, 1);

    for (;;) {
        int n = 0, timeout;
        time_t now = time(NULL);
        int busy = 0;

        if (server_stopping() && !Q.stopping) {
            Q.stopping = 1;
            stop_deadline = now + 10;
        }
        timeout = run_timers();
        /* schedule what is ready */
        while (Q.ready.head && !Q.stopping)
            schedule(Q.ready.head);
        for (struct transport *t = Q.transports; t; t = t->next) {
            dispatch(t);
            for (int k = 0; k < t->nconn; k++)
                busy += t->conn[k]->outstanding;
        }
        if (Q.stopping && (busy == 0 || now >= stop_deadline))
            break;
        if (now != last_tick) {
            last_tick = now;
            timers();
            sync_states();
            gc();
            for (struct transport *t = Q.transports; t; t = t->next)
                dest_gc(t);
            /* idle agent connections go away */
            for (struct transport *t = Q.transports; t; t = t->next)
                for (int k = 0; k < t->nconn; k++)
                    if (t->conn[k]->outstanding == 0 &&
                        now - t->conn[k]->last > 5)
                        close_conn(t, k--, "");
        }
        if (now - last_scan >= Q.run_delay) {
            last_scan = now;
            intake_all();
        }
        for (int i = 0; i < srv->nlisten; i++) {
            pfd[n].fd = srv->listen_fd[i];
            pfd[n].events = POLLIN;
            pk[n++] = 0;
        }
        pfd[n].fd = server_signal_fd();
        pfd[n].events = POLLIN;
        pk[n++] = 1;
        for (int i = 0; i < Q.nctl; i++) {
            pfd[n].fd = Q.ctl[i]->c.fd;
            pfd[n].events =
                (short) (POLLIN |
                         (ipc_conn_pending(&Q.ctl[i]->c) ? POLLOUT : 0));
            pk[n++] = 2;
        }
        for (struct transport *t = Q.transports; t; t = t->next)
            for (int k = 0;
                 k < t->nconn && n < (int) (sizeof(pfd) / sizeof(pfd[0]));
                 k++) {
                pfd[n].fd = t->conn[k]->c.fd;
                pfd[n].events =
                    (short) (POLLIN |
                             (ipc_conn_pending(&t->conn[k]->c) ? POLLOUT : 0));
                ptr[n] = t;
                pk[n++] = 3;
            }
        maillog_hold(1);
        maillog_flush(); /* this round's lines, in one write */
        if (poll(pfd, (nfds_t) n, timeout) < 0 && errno != EINTR)
            maillog_fatal("poll: %m");
        for (int i = 0; i < n; i++) {
            short ev = pfd[i].revents;

            if (!ev)
                continue;
            if (pk[i] == 0) {
                for (int a = 0; a < 64 && Q.nctl < MAX_CTL; a++) {
                    int fd = server_accept(pfd[i].fd);
                    struct ctl *c;

                    if (fd < 0)
                        break;
                    c = mem_calloc(1, sizeof(*c));
                    c->trusted = ipc_peer_trusted(fd, NULL);
                    ipc_conn_init(&c->c, fd, 1 << 16);
                    Q.ctl[Q.nctl++] = c;
                }
            } else if (pk[i] == 1) {
                char b[16];

                while (read(pfd[i].fd, b, sizeof(b)) > 0)
                    ;
            } else if (pk[i] == 2) {
                /* handled below, by fd */
            } else {
                struct transport *t = ptr[i];

                for (int k = 0; k < t->nconn; k++) {
                    if (t->conn[k]->c.fd != pfd[i].fd)
                        continue;
                    if (ev & POLLOUT && ipc_conn_flush(&t->conn[k]->c) < 0) {
                        close_conn(t, k, "unknown mail transport error");
                        break;
                    }
                    if (ev & (POLLIN | POLLHUP | POLLERR))
                        read_replies(t, k);
                    break;
                }
            }
        }
        /* control connections */
        for (int i = 0; i < Q.nctl; i++) {
            struct ctl *c = Q.ctl[i];
            struct ipc_in in;
            int r = ipc_conn_fill(&c->c), dead = 0;

            if (r == 0 || r == -1)
                dead = ipc_conn_pending(&c->c) == 0 || r == -1;
            if (!c->trigger_checked && c->c.in.len > 0) {
                c->trigger_checked = 1;
                if (c->c.in.data[0] == 'W') {
                    /* master's wakeup: look for anything missed */
                    intake_all();
                    timers();
                    dead = 1;
                }
            }
            while (!dead && (r = ipc_conn_frame(&c->c, &in)) == 1)
                control_frame(c, &in);
            if (r < 0 && !dead && ipc_conn_frame(&c->c, &in) < 0)
                dead = 1;
            if (ipc_conn_pending(&c->c) && ipc_conn_flush(&c->c) < 0)
                dead = 1;
            if (dead) {
                ipc_conn_fini(&c->c);
                mem_free(c);
                Q.ctl[i--] = Q.ctl[--Q.nctl];
            }
        }
        for (struct transport *t = Q.transports; t; t = t->next)
            for (int k = 0; k < t->nconn; k++)
                if (ipc_conn_pending(&t->conn[k]->c) &&
                    ipc_conn_flush(&t->conn[k]->c) < 0)
                    close_conn(t, k--, "unknown mail transport error");
    }
    sync_states();
    return 0;
}

int
qmgr_service(struct server *srv)
{
    static const struct server_service svc = {qmgr_pre_drop, NULL, NULL,
                                              qmgr_loop};

    return server_main(srv, &svc, NULL);
}
