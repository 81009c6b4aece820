/*
 * qmgr_agent - the queue manager's delivery agent connections.
 *
 * DESCRIPTION
 *	Per transport up to maxconn long-lived connections to its agents
 *	(the service's maxproc). A connection is bound to one destination
 *	while it has requests in flight there, so that a destination's
 *	concurrency is the number of connections bound to it. Requests are
 *	pipelined in order and answered in order; each answer feeds the
 *	destination's window (qmgr_dest.c) and the message (qmgr_msg.c).
 *	A connection that breaks defers what it had in flight; one idle
 *	for five seconds is closed.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "maillog/maillog.h"
#include "qmgr/qmgr_int.h"
#include "util/util.h"

void
qmgr_conn_bind(struct aconn *a, struct dest *d)
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
        qmgr_job_fail(j, why);
    }
    mem_free(a);
    if (d)
        qmgr_dest_wake(d);
}

/* qmgr_conn_idle - a connection of t bound to no destination, or a new one */
struct aconn *
qmgr_conn_idle(struct transport *t, time_t now)
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
            log_warn("connect to transport %s: %s", t->path, strerror(errno));
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

int
qmgr_conn_possible(const struct transport *t, time_t now)
{
    return t->nidle > 0 || (t->nconn < t->maxconn &&
                            now >= t->open_fail_until && now >= t->down_until);
}

void
qmgr_conn_send(struct aconn *a, struct job *j, time_t now)
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
            log_warn("%s: bad reply from %s", j->req.id, t->path);
            qmgr_job_fail(j, "unknown mail transport error");
            close_conn(t, k, "unknown mail transport error");
            return;
        }
        d = j->d;
        now_us = queue_now_us();
        if (d) {
            /* the time the agent spent on this request: since the
             * previous answer on this connection, or since sending */
            double sample = (double) (now_us - a->since_us);

            d->svc_us = d->svc_us > 0 ? 0.8 * d->svc_us + 0.2 * sample : sample;
            qmgr_dest_feedback(d, j);
        }
        a->since_us = now_us;
        if (a->outstanding == 0)
            conn_unbind(a);
        if (d && t->rate_delay > 0 && d->timer != T_DEAD)
            qmgr_dest_timer_add(d, T_RATE,
                                now_us + (uint64_t) t->rate_delay * 1000000u);
        qmgr_job_done(j, qmgr_job_classify(j));
        if (d)
            qmgr_dest_wake(d);
    }
    if (r < 0)
        close_conn(t, k, "unknown mail transport error");
}

void
qmgr_agent_event(struct transport *t, int fd, short ev)
{
    for (int k = 0; k < t->nconn; k++) {
        if (t->conn[k]->c.fd != fd)
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

void
qmgr_agent_close_idle(time_t now)
{
    for (struct transport *t = Q.transports; t; t = t->next)
        for (int k = 0; k < t->nconn; k++)
            if (t->conn[k]->outstanding == 0 && now - t->conn[k]->last > 5)
                close_conn(t, k--, "");
}

void
qmgr_agent_flush(void)
{
    for (struct transport *t = Q.transports; t; t = t->next)
        for (int k = 0; k < t->nconn; k++)
            if (ipc_conn_pending(&t->conn[k]->c) &&
                ipc_conn_flush(&t->conn[k]->c) < 0)
                close_conn(t, k--, "unknown mail transport error");
}
