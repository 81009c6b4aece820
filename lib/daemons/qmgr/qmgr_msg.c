/*
 * qmgr_msg - the queue manager's messages.
 *
 * DESCRIPTION
 *	The in-memory queue: messages by queue ID and on the ready,
 *	deferred and hold lists; the segments they live in and the state
 *	log records written for them; intake of what cleanup committed;
 *	recovery of every live message at start. Then the answers: each
 *	recipient result of a delivery request, and, once every request
 *	of a message is answered, what becomes of it (back to ready,
 *	returned when too old, bounced, a delay or success notice,
 *	deferred with Postfix's backoff, or removed). Segments with no
 *	live message left are removed here too.
 *
 *	What the code relies on for durability is in qmgr.c's header.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "maillog/maillog.h"
#include "qmgr/qmgr_int.h"
#include "util/util.h"

/* ---- small helpers ---- */

static struct qmsg *
find_msg(const char *id)
{
    return htab_find(Q.msgs, id);
}

static struct list *
list_of(enum mlist l)
{
    return l == L_READY      ? &Q.ready
           : l == L_DEFERRED ? &Q.deferred
           : l == L_HOLD     ? &Q.hold
                             : NULL;
}

void
qmgr_msg_unlink(struct qmsg *m)
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

void
qmgr_msg_move(struct qmsg *m, enum mlist to)
{
    struct list *l;

    qmgr_msg_unlink(m);
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

struct qseg *
qmgr_seg_find(uint64_t seq, int create)
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

void
qmgr_seg_state(struct qseg *s, int type, uint64_t off, uint32_t idx,
               uint64_t when, uint32_t attempts, const char *reason)
{
    struct queue_state_rec r;

    if (s->sl == NULL && (s->sl = queue_state_open(Q.fs, s->seq)) == NULL) {
        log_warn("open state log of segment %" PRIX64 ": %s", s->seq,
                 strerror(errno));
        return;
    }
    r.type = type;
    r.off = off;
    r.idx = idx;
    r.when = when;
    r.attempts = attempts;
    r.reason = reason;
    if (queue_state_append(s->sl, &r) < 0)
        log_warn("write state log of segment %" PRIX64 ": %s", s->seq,
                 strerror(errno));
    s->dirty = 1;
}

void
qmgr_msg_log_active(struct qmsg *m)
{
    log_info("%s: from=<%s>, size=%" PRIu64 ", nrcpt=%zu (queue active)",
             m->env.id, m->env.sender, m->env.content_len, m->env.nrcpt);
    m->active_us = queue_now_us();
}

/* add_msg - a message from the store into memory */
static struct qmsg *
add_msg(const struct queue_loc *loc, const struct queue_env *env,
        struct qseg *seg)
{
    struct qmsg *m = mem_calloc(1, sizeof(*m));

    queue_env_init(&m->env);
    memcpy(m->env.id, env->id, sizeof(m->env.id));
    m->env.arrival_us = env->arrival_us;
    m->env.flags = env->flags;
    m->env.ret = env->ret;
    queue_env_set(&m->env.sender, env->sender);
    queue_env_set(&m->env.envid, env->envid);
    queue_env_set(&m->env.client_name, env->client_name);
    queue_env_set(&m->env.client_addr, env->client_addr);
    queue_env_set(&m->env.helo, env->helo);
    queue_env_set(&m->env.proto, env->proto);
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
    (void) htab_set(Q.msgs, m->env.id, m);
    seg->live++;
    Q.nmsgs++;
    return m;
}

void
qmgr_msg_free(struct qmsg *m)
{
    qmgr_msg_unlink(m);
    (void) htab_delete(Q.msgs, m->env.id);
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
    if (env->flags & QUEUE_F_HOLD) { /* quarantined by cleanup's client */
        m->hold = 1;
        qmgr_seg_state(m->seg, QUEUE_ST_HOLD, m->loc.off, 0, 0, 0, NULL);
        qmgr_msg_move(m, L_HOLD);
        return 0;
    }
    qmgr_msg_log_active(m);
    qmgr_msg_move(m, L_READY);
    return 0;
}

/* qmgr_intake - read new records of a segment up to limit (0 = end) */
void
qmgr_intake(struct qseg *s, uint64_t limit)
{
    if (limit && s->end >= limit)
        return;
    if (queue_seg_scan(Q.fs, s->seq, &s->end, limit, intake_one, s, NULL) < 0 &&
        errno != ENOENT)
        log_warn("read segment %" PRIX64 ": %s", s->seq, strerror(errno));
}

/* intake_new_segments - segments nobody told us about */
void
qmgr_intake_all(void)
{
    uint64_t *seqs;
    size_t n;

    if (queue_seg_list(Q.fs, &seqs, &n) < 0)
        return;
    for (size_t i = 0; i < n; i++)
        qmgr_intake(qmgr_seg_find(seqs[i], 1), 0);
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
    struct qseg *seg = qmgr_seg_find(sm->loc.seq, 1);

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
        qmgr_msg_move(m, L_HOLD);
    } else if (sm->state == QUEUE_MS_DEFERRED) {
        qmgr_msg_move(m, L_DEFERRED);
    } else {
        qmgr_msg_log_active(m);
        qmgr_msg_move(m, L_READY);
    }
    return 0;
}

static void
recover_end(void *ctx, uint64_t seq, uint64_t end, size_t live)
{
    struct qseg *s = qmgr_seg_find(seq, 1);

    (void) ctx;
    (void) live;
    s->end = end;
}

void
qmgr_recover(void)
{
    if (queue_snapshot(Q.fs, recover_one, recover_end, NULL) < 0)
        log_fatal("queue recovery failed: %s", strerror(errno));
    if (Q.nmsgs)
        log_info("recovered %zu messages (%zu ready, %zu deferred, %zu "
                 "on hold)",
                 Q.nmsgs, Q.ready.n, Q.deferred.n, Q.hold.n);
}

/* qmgr_job_apply - one recipient result of a job */
void
qmgr_job_apply(struct qmsg *m, struct deliver_rcpt *rc,
               enum qmgr_job_kind bounce_job)
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
            qmgr_seg_state(m->seg, QUEUE_ST_RCPT, m->loc.off, i, 0, 0, NULL);
        } else {
            m->rst[i] = R_DEFERRED;
        }
        return;
    }
    switch (rc->status) {
    case DELIVER_SENT:
        m->rst[i] = R_DONE;
        qmgr_seg_state(m->seg, QUEUE_ST_RCPT, m->loc.off, i, 0, 0, NULL);
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

void
qmgr_job_done(struct job *j, enum qmgr_job_kind bounce_job)
{
    struct qmsg *m = j->m;

    for (size_t k = 0; k < j->req.nrcpt; k++)
        qmgr_job_apply(m, &j->req.rcpt[k], bounce_job);
    if (bounce_job)
        m->bouncing = 0;
    deliver_req_fini(&j->req);
    mem_free(j);
    m->inflight--;
    if (m->inflight == 0)
        qmgr_msg_finish(m);
}

/* qmgr_job_classify - JOB_BOUNCE, JOB_SUCCESS or JOB_DELIVERY */
enum qmgr_job_kind
qmgr_job_classify(const struct job *j)
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

/* qmgr_job_fail - defer a job that no agent saw, with a reason (dsn 4.3.0
 * unless given) */
void
qmgr_job_fail_dsn(struct job *j, const char *dsn, const char *why)
{
    enum qmgr_job_kind bounce_job = qmgr_job_classify(j);

    if (j->req.sent_us == 0)
        j->req.sent_us = queue_now_us();
    for (size_t k = 0; k < j->req.nrcpt; k++) {
        deliver_result(&j->req.rcpt[k], DELIVER_DEFER, dsn, why);
        if (!bounce_job)
            deliver_log(&j->req, &j->req.rcpt[k], "none");
    }
    qmgr_job_done(j, bounce_job);
}

void
qmgr_job_fail(struct job *j, const char *why)
{
    qmgr_job_fail_dsn(j, "4.3.0", why);
}

/* qmgr_job_new - a delivery request for some recipients of m */
struct job *
qmgr_job_new(struct qmsg *m, const char *nexthop)
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
    j->req.client_name = mem_strdup(m->env.client_name);
    j->req.client_addr = mem_strdup(m->env.client_addr);
    j->req.client_helo = mem_strdup(m->env.helo);
    j->req.client_proto = mem_strdup(m->env.proto);
    m->inflight++;
    return j;
}

/* notice_add - recipient i of m into the notice request j, with its
 * last status: dsn (dflt when none) and text */
static void
notice_add(struct job *j, const struct qmsg *m, size_t i, int status,
           const char *dflt)
{
    deliver_req_add(&j->req, (uint32_t) i, m->env.rcpt[i].addr,
                    m->env.rcpt[i].orig, m->env.rcpt[i].orcpt,
                    m->env.rcpt[i].notify);
    deliver_result(&j->req.rcpt[j->req.nrcpt - 1], status,
                   m->rdsn[i][0] ? m->rdsn[i] : dflt,
                   m->rtext[i] ? m->rtext[i] : "");
    deliver_result_remote(&j->req.rcpt[j->req.nrcpt - 1], m->rmta[i],
                          m->rreply[i]);
}

/* notice_send - the notice request j to the bounce service, now */
static void
notice_send(struct job *j)
{
    j->bounce_kind = 1;
    qmgr_enqueue(qmgr_transport(Q.bounce_transport), j);
    qmgr_dispatch(qmgr_transport(Q.bounce_transport));
}

/* bounce - the failed recipients that want a notice to the bounce
 * service */
static void
bounce(struct qmsg *m, const char *kind)
{
    struct job *j = qmgr_job_new(m, kind);

    for (size_t i = 0; i < m->env.nrcpt; i++) {
        if (m->rst[i] != R_BOUNCED)
            continue;
        notice_add(j, m, i, DELIVER_BOUNCE, "5.0.0");
        m->rst[i] = R_INFLIGHT;
    }
    m->bouncing = 1;
    notice_send(j);
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
            j = qmgr_job_new(m, "success");
        notice_add(j, m, i, DELIVER_SENT, "2.0.0");
    }
    if (j == NULL)
        return 0;
    notice_send(j);
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

/* expired - m is older than its queue lifetime (bounce_queue_lifetime
 * for a notice): its deferred recipients are returned to the sender */
static int
expired(struct qmsg *m, uint64_t now)
{
    long life = *m->env.sender ? Q.lifetime : Q.bounce_lifetime;

    if (now <= m->env.arrival_us ||
        (long) ((now - m->env.arrival_us) / 1000000) < life)
        return 0;
    /* too old: return what is left */
    log_info("%s: from=<%s>, status=expired, returned to sender", m->env.id,
             m->env.sender);
    for (size_t i = 0; i < m->env.nrcpt; i++)
        if (m->rst[i] == R_DEFERRED) {
            m->rst[i] = R_BOUNCED;
            /* Postfix keeps the last status (4.x.x, failed) */
            if (m->rdsn[i][0] == 0)
                snprintf(m->rdsn[i], sizeof(m->rdsn[i]), "4.4.7");
        }
    return 1;
}

/* notify_failed - the bounced recipients that want a notice go to the
 * bounce service (1: m comes back here when it is queued); the others
 * are finished, and counted out of *bounced */
static int
notify_failed(struct qmsg *m, int *bounced)
{
    int notify = 0;

    /* NOTIFY=NEVER recipients are just finished */
    for (size_t i = 0; i < m->env.nrcpt; i++) {
        if (m->rst[i] != R_BOUNCED)
            continue;
        if (m->env.rcpt[i].notify & QUEUE_NOTIFY_NEVER ||
            (m->env.rcpt[i].notify &&
             !(m->env.rcpt[i].notify & QUEUE_NOTIFY_FAILURE))) {
            m->rst[i] = R_DONE;
            qmgr_seg_state(m->seg, QUEUE_ST_RCPT, m->loc.off, (uint32_t) i, 0,
                           0, NULL);
            (*bounced)--; /* finished: no retry for it */
        } else {
            notify = 1;
        }
    }
    if (!notify)
        return 0;
    bounce(m, *m->env.sender ? "failure" : "2bounce");
    return 1;
}

/* delay_notice - once delay_warning_time has passed, a "still trying"
 * notice for the deferred recipients that did not say NOTIFY=NEVER or
 * leave out DELAY (1: queued, m comes back here when it is) */
static int
delay_notice(struct qmsg *m, uint64_t now)
{
    struct job *j = NULL;

    if (Q.delay_warning <= 0 || m->delay_warned || Q.stopping ||
        (long) ((now - m->env.arrival_us) / 1000000) < Q.delay_warning)
        return 0;
    m->delay_warned = 1;
    for (size_t i = 0; i < m->env.nrcpt; i++) {
        uint32_t nt = m->env.rcpt[i].notify;

        if (m->rst[i] != R_DEFERRED || (nt && !(nt & QUEUE_NOTIFY_DELAY)))
            continue;
        if (j == NULL)
            j = qmgr_job_new(m, "delay");
        notice_add(j, m, i, DELIVER_DEFER, "4.0.0");
        m->rst[i] = R_INFLIGHT;
    }
    if (j == NULL)
        return 0;
    notice_send(j);
    return 1;
}

/* defer - m waits for its next try (backoff); one state record says so */
static void
defer(struct qmsg *m, uint64_t now, const char *reason)
{
    m->attempts++;
    m->next_try = now + (uint64_t) backoff(m, now) * 1000000u;
    for (size_t i = 0; i < m->env.nrcpt; i++)
        if (m->rst[i] == R_BOUNCED || m->rst[i] == R_INFLIGHT)
            m->rst[i] = R_DEFERRED;
    qmgr_seg_state(m->seg, QUEUE_ST_DEFER, m->loc.off, 0, m->next_try,
                   m->attempts, reason ? reason : "");
    for (size_t i = 0; i < m->env.nrcpt; i++)
        if (m->rst[i] == R_DEFERRED)
            m->rst[i] = R_PENDING;
    qmgr_msg_move(m, m->hold ? L_HOLD : L_DEFERRED);
}

/* qmgr_msg_finish - every request of m answered: bounce, defer or remove */
void
qmgr_msg_finish(struct qmsg *m)
{
    int deferred = 0, bounced = 0, pending = 0;
    const char *reason = NULL;
    uint64_t now = queue_now_us();

    if (m->deleted) {
        qmgr_seg_state(m->seg, QUEUE_ST_DELETED, m->loc.off, 0, 0, 0, NULL);
        log_info("%s: removed", m->env.id);
        qmgr_msg_free(m);
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
        qmgr_msg_move(m, L_READY);
        return;
    }
    if (deferred && !Q.stopping && expired(m, now)) {
        bounced += deferred;
        deferred = 0;
    }
    if (bounced && !m->bouncing && !Q.stopping && notify_failed(m, &bounced))
        return;
    if (deferred && !bounced && delay_notice(m, now))
        return; /* back here when the notice is queued */
    if (deferred || bounced) {
        defer(m, now, reason);
        return;
    }
    if (Q.stopping && pending) {
        qmgr_msg_unlink(m);
        return;
    }
    if (success_notice(m))
        return; /* back here when the notice is queued */
    qmgr_seg_state(m->seg, QUEUE_ST_DONE, m->loc.off, 0, 0, 0, NULL);
    log_info("%s: removed", m->env.id);
    qmgr_msg_free(m);
}

/* ---- housekeeping ---- */

void
qmgr_msg_due(void)
{
    uint64_t now = queue_now_us();

    for (struct qmsg *m = Q.deferred.head, *next; m; m = next) {
        next = m->next;
        if (m->next_try <= now) {
            qmgr_msg_log_active(m);
            qmgr_msg_move(m, L_READY);
        }
    }
}

void
qmgr_seg_sync(void)
{
    for (struct qseg *s = Q.segs; s; s = s->next)
        if (s->dirty && s->sl) {
            if (queue_state_sync(s->sl) < 0)
                log_warn("sync state log %" PRIX64 ": %s", s->seq,
                         strerror(errno));
            s->dirty = 0;
        }
}

/* qmgr_seg_gc - remove segments with nothing left and no writer */
void
qmgr_seg_gc(void)
{
    for (struct qseg **pp = &Q.segs; *pp;) {
        struct qseg *s = *pp;

        if (s->live == 0 && queue_seg_writer_gone(Q.fs, s->seq) == 1) {
            qmgr_intake(s, 0); /* the last records, if any */
            if (s->live == 0) {
                if (s->sl) {
                    queue_state_close(s->sl);
                    s->sl = NULL;
                }
                if (queue_seg_remove(Q.fs, s->seq) < 0)
                    log_warn("remove segment %" PRIX64 ": %s", s->seq,
                             strerror(errno));
                *pp = s->next;
                mem_free(s);
                continue;
            }
        }
        pp = &s->next;
    }
}
