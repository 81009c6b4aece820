/*
 * qmgr_ctl - the queue manager's control service, public/qmgr.
 *
 * DESCRIPTION
 *	Framed requests (qmgr.h): cleanup's commit notices, which only a
 *	trusted peer (root or mail_owner) may send, and flush, delete,
 *	hold and release from the queue tools, the last three for root or
 *	mail_owner only, asked per request. Master's wakeup is a single
 *	"W" without a frame: it makes qmgr look for anything missed.
 */
#include <string.h>
#include <unistd.h>

#include "maillog/maillog.h"
#include "qmgr/qmgr.h"
#include "qmgr/qmgr_int.h"
#include "server/server.h"
#include "util/util.h"

/* apply - one control operation on m; 1 when it freed m */
static int
apply(struct qmsg *m, int op)
{
    switch (op) {
    case QMGR_DELETE:
        if (m->inflight) {
            m->deleted = 1;
            break;
        }
        qmgr_seg_state(m->seg, QUEUE_ST_DELETED, m->loc.off, 0, 0, 0, NULL);
        log_info("%s: removed", m->env.id);
        qmgr_msg_free(m);
        return 1;
    case QMGR_HOLD:
        if (!m->hold) {
            m->hold = 1;
            qmgr_seg_state(m->seg, QUEUE_ST_HOLD, m->loc.off, 0, 0, 0, NULL);
            log_info("%s: placed on hold", m->env.id);
            if (!m->inflight)
                qmgr_msg_move(m, L_HOLD);
        }
        break;
    case QMGR_RELEASE:
        if (m->hold) {
            m->hold = 0;
            qmgr_seg_state(m->seg, QUEUE_ST_RELEASE, m->loc.off, 0, 0, 0, NULL);
            log_info("%s: released from hold", m->env.id);
            if (!m->inflight) {
                qmgr_msg_log_active(m);
                qmgr_msg_move(m, L_READY);
            }
        }
        break;
    }
    return 0;
}

/* for_ids - op on the message id, or on every message ("ALL"); how many */
static uint32_t
for_ids(const char *id, int op)
{
    struct qmsg *m;
    uint32_t n = 0;

    if (strcmp(id, "ALL") != 0) {
        if ((m = htab_find(Q.msgs, id)) == NULL)
            return 0;
        (void) apply(m, op);
        return 1;
    }
    /* a freed message's place is taken by the last one: look again */
    for (size_t i = 0; i < htab_count(Q.msgs);) {
        n++;
        if (!apply(htab_value(Q.msgs, i), op))
            i++;
    }
    return n;
}

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
            qmgr_intake(qmgr_seg_find(seq, 1), end);
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
            qmgr_dest_revive(Q.dead_head);
        qmgr_msg_due();
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

void
qmgr_ctl_accept(int lfd)
{
    for (int a = 0; a < 64 && Q.nctl < MAX_CTL; a++) {
        int fd = server_accept(lfd);
        struct ctl *c;

        if (fd < 0)
            break;
        c = mem_calloc(1, sizeof(*c));
        c->trusted = ipc_peer_trusted(fd, NULL);
        ipc_conn_init(&c->c, fd, 1 << 16);
        Q.ctl[Q.nctl++] = c;
    }
}

/* serve - one control connection's input; 1 when it is done with */
static int
serve(struct ctl *c)
{
    struct ipc_in in;
    int r = ipc_conn_fill(&c->c), dead = 0;

    if (r == 0 || r == -1)
        dead = ipc_conn_pending(&c->c) == 0 || r == -1;
    if (!c->trigger_checked && c->c.in.len > 0) {
        c->trigger_checked = 1;
        if (c->c.in.data[0] == 'W') {
            /* master's wakeup: look for anything missed */
            qmgr_intake_all();
            qmgr_msg_due();
            dead = 1;
        }
    }
    while (!dead && (r = ipc_conn_frame(&c->c, &in)) == 1)
        control_frame(c, &in);
    if (r < 0 && !dead && ipc_conn_frame(&c->c, &in) < 0)
        dead = 1;
    if (ipc_conn_pending(&c->c) && ipc_conn_flush(&c->c) < 0)
        dead = 1;
    return dead;
}

void
qmgr_ctl_serve(void)
{
    for (int i = 0; i < Q.nctl; i++) {
        struct ctl *c = Q.ctl[i];

        if (serve(c)) {
            ipc_conn_fini(&c->c);
            mem_free(c);
            Q.ctl[i--] = Q.ctl[--Q.nctl];
        }
    }
}
