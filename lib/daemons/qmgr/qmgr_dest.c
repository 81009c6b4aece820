/*
 * qmgr_dest - transports, destinations and scheduling.
 *
 * DESCRIPTION
 *	A transport is a master.cf service that delivers (smtp, local,
 *	bounce ...): its agent connections are bounded by the service's
 *	maxproc, and its *_destination_* parameters shape the queues of
 *	its destinations. A destination (transport + nexthop) is Postfix's
 *	QMGR_QUEUE: a FIFO of jobs, a concurrency window (slow start,
 *	feedback from the agents' results, dead after too many failed
 *	cohorts), an optional rate delay, and a place in the transport's
 *	round-robin ring or starve list. qmgr_schedule turns a message's
 *	pending recipients into jobs on those queues; qmgr_dispatch hands
 *	them to agent connections (qmgr_agent.c), one destination at a
 *	time. Why it is shaped so is in qmgr.c's header.
 */
#define _DEFAULT_SOURCE 1 /* strcasecmp */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "maillog/maillog.h"
#include "pcf/pcf.h"
#include "qmgr/qmgr_int.h"
#include "rewrite/rewrite.h"
#include "server/server.h"
#include "util/util.h"

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
        log_warn("%s%s: ignoring malformed or unreasonable feedback: "
                 "%s",
                 tname, suffix, v);
    mem_free(v);
}

struct transport *
qmgr_transport(const char *name)
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
              "default_destination_concurrency_positive_feedback", &t->wc.pos);
    tparam_fb(name, "_destination_concurrency_negative_feedback",
              "default_destination_concurrency_negative_feedback", &t->wc.neg);
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
    t->dests = htab_new(64);
    t->next = Q.transports;
    Q.transports = t;
    return t;
}

/* ---- destinations ---- */

/* dest_find - t's queue for nexthop name, made when missing */
static struct dest *
dest_find(struct transport *t, const char *name)
{
    struct dest *d = htab_find(t->dests, name);

    if (d != NULL)
        return d;
    d = mem_calloc(1, sizeof(*d));
    d->t = t;
    d->name = mem_strdup(name);
    qmgr_win_init(&d->win, &t->wc);
    (void) htab_set(t->dests, name, d);
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

/* qmgr_dest_wake - d may be able to send: give it a turn (a starving one
 * keeps its place in the starve list: it waits for a connection) */
void
qmgr_dest_wake(struct dest *d)
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

/* qmgr_dest_timer_add - every timer of a list has the same delay, so
 * appending keeps the list in expiry order */
void
qmgr_dest_timer_add(struct dest *d, enum dtimer kind, uint64_t until_us)
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
        log_info("%s: queue %s: limit %d window %d success %g failure "
                 "%g fail_cohorts %g",
                 fn, d->name, d->t->wc.limit, d->win.window, d->win.success,
                 d->win.failure, d->win.fail_cohorts);
}

/* qmgr_dest_revive - the dead-destination time is over, or a delivery
 * got through after all */
void
qmgr_dest_revive(struct dest *d)
{
    if (d->win.window == 0)
        (void) qmgr_win_success(&d->win, &d->t->wc, d->busy);
    if (d->timer == T_DEAD)
        timer_del(d);
    mem_free(d->dead_text);
    d->dead_text = NULL;
    feedback_log("qmgr_queue_unthrottle", d);
    qmgr_dest_wake(d);
}

/* qmgr_dest_gc - free the queues of t with nothing to do */
void
qmgr_dest_gc(struct transport *t)
{
    /* a freed queue's place is taken by the last one: look again */
    for (size_t i = 0; i < htab_count(t->dests);) {
        struct dest *d = htab_value(t->dests, i);

        if (d->head || d->busy || d->timer != T_NONE || d->where != D_IDLE) {
            i++;
            continue;
        }
        (void) htab_delete(t->dests, d->name);
        mem_free(d->name);
        mem_free(d->dead_text);
        mem_free(d);
    }
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
            qmgr_job_fail_dsn(j, d->dead_dsn, text);
        else
            qmgr_job_fail(j, why);
    }
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
        if (b->outstanding < depth &&
            (a == NULL || b->outstanding < a->outstanding))
            a = b;
    if ((a == NULL || a->outstanding > 0) && d->busy < dest_window(d) &&
        fresh_ok) {
        struct aconn *f = qmgr_conn_idle(t, now);

        if (f) {
            qmgr_conn_bind(f, d);
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
    qmgr_conn_send(a, dest_pop(d), now);
    return TURN_SENT;
}

/*
 * qmgr_dispatch - send t's waiting jobs: one job per destination in turn
 * (round-robin over the ring), so that a destination with thousands
 * queued does not hold back one with a single message. A destination
 * leaves the ring when it has nothing to send or its window is full
 * (a reply brings it back), or goes to the starve list when it needs a
 * connection and all are taken (a connection that frees up goes to
 * the first of them). O(1) per job.
 */
void
qmgr_dispatch(struct transport *t)
{
    time_t now = time(NULL);

    while (!Q.stopping) {
        struct dest *d = t->ring;

        if (d == NULL) {
            /* the ring is done: free connections to the starving */
            if (t->starve_head == NULL || !qmgr_conn_possible(t, now))
                break;
            d = t->starve_head;
            dest_unlist(d);
            switch (dest_turn(t, d, now, 1)) {
            case TURN_SENT:
                if (d->where == D_IDLE)
                    qmgr_dest_wake(d);
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

/* qmgr_dest_feedback - a delivery agent's answer for d: Postfix's
 * throttle (the destination failed) or unthrottle (it answered) */
void
qmgr_dest_feedback(struct dest *d, const struct job *j)
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
            qmgr_dest_timer_add(d, T_DEAD,
                                queue_now_us() +
                                    (uint64_t) Q.min_backoff * 1000000u);
            qmgr_dest_wake(d);
        }
        feedback_log("qmgr_queue_throttle", d);
        return;
    }
    d->proven = 1;
    if (d->win.window == 0) {
        qmgr_dest_revive(d);
        return;
    }
    (void) qmgr_win_success(&d->win, &t->wc, d->busy);
    feedback_log("qmgr_queue_unthrottle", d);
}

/* qmgr_dest_timers - rate delays and dead destinations whose time is up;
 * the milliseconds until the next one (at most 1000) */
int
qmgr_dest_timers(void)
{
    uint64_t now = queue_now_us(), next = now + 1000000u;

    while (Q.dead_head && Q.dead_head->until_us <= now)
        qmgr_dest_revive(Q.dead_head);
    if (Q.dead_head && Q.dead_head->until_us < next)
        next = Q.dead_head->until_us;
    for (struct transport *t = Q.transports; t; t = t->next) {
        while (t->rate_head && t->rate_head->until_us <= now) {
            struct dest *d = t->rate_head;

            timer_del(d);
            qmgr_dest_wake(d);
        }
        if (t->rate_head && t->rate_head->until_us < next)
            next = t->rate_head->until_us;
    }
    return (int) ((next - now + 999) / 1000);
}

/* qmgr_enqueue - j waits in its destination's queue */
void
qmgr_enqueue(struct transport *t, struct job *j)
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
    qmgr_dest_wake(d);
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
    struct job *j = qmgr_job_new(m, "");

    deliver_req_add(&j->req, (uint32_t) i, m->env.rcpt[i].addr,
                    m->env.rcpt[i].orig, m->env.rcpt[i].orcpt,
                    m->env.rcpt[i].notify);
    j->req.sent_us = queue_now_us();
    deliver_result(&j->req.rcpt[0], DELIVER_SENT, "2.0.0",
                   "undeliverable postmaster notification discarded");
    deliver_log(&j->req, &j->req.rcpt[0], "none");
    qmgr_job_apply(m, &j->req.rcpt[0], JOB_DELIVERY);
    deliver_req_fini(&j->req);
    mem_free(j);
    m->inflight--;
}

/* resolve_failed - recipient i deferred, "4.3.0 address resolver
 * failure" logged by qmgr with relay=none, as Postfix's qmgr does when
 * trivial-rewrite cannot look up a table (a database that is down) */
static void
resolve_failed(struct qmsg *m, size_t i)
{
    struct job *j = qmgr_job_new(m, "");

    deliver_req_add(&j->req, (uint32_t) i, m->env.rcpt[i].addr,
                    m->env.rcpt[i].orig, m->env.rcpt[i].orcpt,
                    m->env.rcpt[i].notify);
    j->req.sent_us = queue_now_us();
    deliver_result(&j->req.rcpt[0], DELIVER_DEFER, "4.3.0",
                   "address resolver failure");
    deliver_log(&j->req, &j->req.rcpt[0], "none");
    qmgr_job_apply(m, &j->req.rcpt[0], JOB_DELIVERY);
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

/* qmgr_schedule - turn a ready message's pending recipients into jobs */
void
qmgr_schedule(struct qmsg *m)
{
    size_t n = m->env.nrcpt;
    struct rewrite_result *res;

    qmgr_msg_unlink(m);
    /* resolve every pending recipient once, then group them */
    res = mem_calloc(n + 1, sizeof(*res));
    for (size_t i = 0; i < n; i++) {
        if (m->rst[i] != R_PENDING)
            continue;
        if (qmgr_filter_route(m, i, &res[i])) /* issue 19 */
            continue;
        if (rewrite_resolve_from(Q.rw, m->env.sender ? m->env.sender : "",
                                 m->env.rcpt[i].addr, &res[i]) < 0)
            resolve_failed(m, i); /* a table failed: try again later */
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
        t = qmgr_transport(res[i].transport);
        j = qmgr_job_new(m, res[i].nexthop);
        /* more recipients with the same transport and nexthop */
        for (size_t k = i; k < n && (int) j->req.nrcpt < t->rcpt_limit; k++) {
            if (m->rst[k] != R_PENDING ||
                strcmp(res[k].transport, res[i].transport) != 0 ||
                strcmp(res[k].nexthop, res[i].nexthop) != 0)
                continue;
            add_resolved(j, m, k, &res[k]);
            m->rst[k] = R_INFLIGHT;
        }
        qmgr_enqueue(t, j);
    }
    mem_free(res);
    if (m->inflight == 0)
        qmgr_msg_finish(m);
}
