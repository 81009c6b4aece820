/*
 * deliver - the qmgr <-> delivery agent protocol.
 *
 * DESCRIPTION
 *	See deliver.h. Request frame 'R': id, segment, content offset and
 *	length, times, flags, ret, sender, nexthop, envid, the client's
 *	name, address, HELO and protocol, then per
 *	recipient idx, addr, orig, orcpt, notify, and the earlier result
 *	(status, dsn, text, remote MTA, reply; for the bounce service).
 *	Reply frame 'S': id, then per recipient idx, status, dsn, text,
 *	remote MTA, reply ("" for none), notify (an agent clears
 *	NOTIFY=SUCCESS when the next hop took the DSN duty over).
 */
#include "deliver/deliver.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ipc/ipc.h"
#include "maillog/maillog.h"
#include "maps/maps.h"
#include "server/server.h"

#define MAX_BATCH 64

void
deliver_req_init(struct deliver_req *r)
{
    memset(r, 0, sizeof(*r));
}

void
deliver_req_fini(struct deliver_req *r)
{
    mem_free(r->sender);
    mem_free(r->nexthop);
    mem_free(r->envid);
    mem_free(r->client_name);
    mem_free(r->client_addr);
    mem_free(r->client_helo);
    mem_free(r->client_proto);
    for (size_t i = 0; i < r->nrcpt; i++) {
        mem_free(r->rcpt[i].addr);
        mem_free(r->rcpt[i].orig);
        mem_free(r->rcpt[i].orcpt);
        mem_free(r->rcpt[i].text);
        mem_free(r->rcpt[i].mta);
        mem_free(r->rcpt[i].reply);
    }
    mem_free(r->rcpt);
    memset(r, 0, sizeof(*r));
}

void
deliver_req_add(struct deliver_req *r, uint32_t idx, const char *addr,
                const char *orig, const char *orcpt, uint32_t notify)
{
    struct deliver_rcpt *rc;

    r->rcpt = mem_realloc(r->rcpt, (r->nrcpt + 1) * sizeof(*r->rcpt));
    rc = &r->rcpt[r->nrcpt++];
    memset(rc, 0, sizeof(*rc));
    rc->idx = idx;
    rc->addr = mem_strdup(addr ? addr : "");
    rc->orig = mem_strdup(orig ? orig : "");
    rc->orcpt = mem_strdup(orcpt ? orcpt : "");
    rc->notify = notify;
    rc->status = DELIVER_DEFER;
    snprintf(rc->dsn, sizeof(rc->dsn), "4.3.0");
}

void
deliver_req_encode(struct ipc_out *o, const struct deliver_req *r)
{
    ipc_out_begin(o, DELIVER_REQ);
    ipc_put_str(o, r->id);
    ipc_put_u64(o, r->seq);
    ipc_put_u64(o, r->content_off);
    ipc_put_u64(o, r->content_len);
    ipc_put_u64(o, r->arrival_us);
    ipc_put_u64(o, r->active_us);
    ipc_put_u64(o, r->sent_us);
    ipc_put_u32(o, r->flags);
    ipc_put_u32(o, r->ret);
    ipc_put_str(o, r->sender);
    ipc_put_str(o, r->nexthop);
    ipc_put_str(o, r->envid);
    ipc_put_str(o, r->client_name ? r->client_name : "");
    ipc_put_str(o, r->client_addr ? r->client_addr : "");
    ipc_put_str(o, r->client_helo ? r->client_helo : "");
    ipc_put_str(o, r->client_proto ? r->client_proto : "");
    ipc_put_u32(o, (uint32_t) r->nrcpt);
    for (size_t i = 0; i < r->nrcpt; i++) {
        ipc_put_u32(o, r->rcpt[i].idx);
        ipc_put_str(o, r->rcpt[i].addr);
        ipc_put_str(o, r->rcpt[i].orig);
        ipc_put_str(o, r->rcpt[i].orcpt);
        ipc_put_u32(o, r->rcpt[i].notify);
        /* earlier results: what the bounce service reports */
        ipc_put_u32(o, (uint32_t) r->rcpt[i].status);
        ipc_put_str(o, r->rcpt[i].dsn);
        ipc_put_str(o, r->rcpt[i].text);
        ipc_put_str(o, r->rcpt[i].mta ? r->rcpt[i].mta : "");
        ipc_put_str(o, r->rcpt[i].reply ? r->rcpt[i].reply : "");
    }
}

int
deliver_req_decode(struct ipc_in *in, struct deliver_req *r)
{
    uint32_t n;

    deliver_req_init(r);
    if (in->type != DELIVER_REQ)
        return -1;
    snprintf(r->id, sizeof(r->id), "%s", ipc_get_str(in));
    r->seq = ipc_get_u64(in);
    r->content_off = ipc_get_u64(in);
    r->content_len = ipc_get_u64(in);
    r->arrival_us = ipc_get_u64(in);
    r->active_us = ipc_get_u64(in);
    r->sent_us = ipc_get_u64(in);
    r->flags = ipc_get_u32(in);
    r->ret = ipc_get_u32(in);
    r->sender = mem_strdup(ipc_get_str(in));
    r->nexthop = mem_strdup(ipc_get_str(in));
    r->envid = mem_strdup(ipc_get_str(in));
    r->client_name = mem_strdup(ipc_get_str(in));
    r->client_addr = mem_strdup(ipc_get_str(in));
    r->client_helo = mem_strdup(ipc_get_str(in));
    r->client_proto = mem_strdup(ipc_get_str(in));
    n = ipc_get_u32(in);
    if (n > 100000)
        return -1;
    for (uint32_t i = 0; i < n && ipc_in_ok(in); i++) {
        uint32_t idx = ipc_get_u32(in);
        const char *a = ipc_get_str(in);
        const char *o = ipc_get_str(in);
        const char *oc = ipc_get_str(in);
        uint32_t nt = ipc_get_u32(in);
        uint32_t st = ipc_get_u32(in);
        const char *dsn = ipc_get_str(in);
        const char *text = ipc_get_str(in);
        const char *mta = ipc_get_str(in);
        const char *reply = ipc_get_str(in);

        deliver_req_add(r, idx, a, o, oc, nt);
        if (st <= DELIVER_BOUNCE) {
            deliver_result(&r->rcpt[r->nrcpt - 1], (int) st, dsn, text);
            deliver_result_remote(&r->rcpt[r->nrcpt - 1], mta, reply);
        }
    }
    return ipc_in_ok(in) && queue_id_ok(r->id) ? 0 : -1;
}

/* the agent's delivery status filter (deliver_status_filter_open) */
static struct maps *status_filter;
static const char *status_filter_name;

void
deliver_status_filter_open(struct server *srv, const char *param)
{
    char *v = server_param(srv, param);

    if (v && *v) {
        status_filter = maps_new(param, v, MAPS_F_NOFOLD);
        status_filter_name = param;
        (void) maps_preload(status_filter);
    }
    mem_free(v);
}

/* status_filtered - Postfix's dsn_filter_lookup: "dsn text" in the
 * filter; a valid result of the same kind (success for success, 4xx or
 * 5xx for a failure) replaces status, dsn and text */
static int
status_filtered(struct deliver_rcpt *rc, int *status, const char *dsn,
                const char *text)
{
    struct buf key;
    const char *v;
    enum maps_result r;
    int ok = 0;

    if (status_filter == NULL || dsn == NULL)
        return 0;
    buf_init(&key, 0);
    (void) buf_printf(&key, "%s %s", dsn, text ? text : "");
    r = maps_find(status_filter, buf_str(&key), &v);
    buf_fini(&key);
    if (r != MAPS_FOUND)
        return 0;
    {
        size_t n = strspn(v, "0123456789.");
        int valid = n >= 5 && (v[0] == '2' || v[0] == '4' || v[0] == '5') &&
                    v[1] == '.' && (v[n] == ' ' || v[n] == 0);

        if (!valid || (*status == DELIVER_SENT) != (v[0] == '2')) {
            log_warn("%s: bad status code: %s", status_filter_name, v);
            return 0;
        }
        snprintf(rc->dsn, sizeof(rc->dsn), "%.*s", (int) n, v);
        *status = v[0] == '2'   ? DELIVER_SENT
                  : v[0] == '4' ? DELIVER_DEFER
                                : DELIVER_BOUNCE;
        v += n;
        while (*v == ' ')
            v++;
        mem_free(rc->text);
        rc->text = mem_strdup(v);
        ok = 1;
    }
    return ok;
}

void
deliver_result(struct deliver_rcpt *rc, int status, const char *dsn,
               const char *text)
{
    if (!status_filtered(rc, &status, dsn, text)) {
        snprintf(rc->dsn, sizeof(rc->dsn), "%s", dsn);
        mem_free(rc->text);
        rc->text = mem_strdup(text ? text : "");
    }
    rc->status = status;
    mem_free(rc->mta);
    mem_free(rc->reply);
    rc->mta = rc->reply = NULL;
}

void
deliver_result_remote(struct deliver_rcpt *rc, const char *mta,
                      const char *reply)
{
    mem_free(rc->mta);
    mem_free(rc->reply);
    rc->mta = rc->reply = NULL;
    if (mta == NULL || *mta == 0)
        return;
    rc->mta = mem_strdup(mta);
    rc->reply = mem_strdup(reply ? reply : "");
}

void
deliver_reply_encode(struct ipc_out *o, const struct deliver_req *r)
{
    ipc_out_begin(o, DELIVER_REPLY);
    ipc_put_str(o, r->id);
    ipc_put_u32(o, (uint32_t) r->nrcpt);
    for (size_t i = 0; i < r->nrcpt; i++) {
        ipc_put_u32(o, r->rcpt[i].idx);
        ipc_put_u32(o, (uint32_t) r->rcpt[i].status);
        ipc_put_str(o, r->rcpt[i].dsn);
        ipc_put_str(o, r->rcpt[i].text);
        ipc_put_str(o, r->rcpt[i].mta ? r->rcpt[i].mta : "");
        ipc_put_str(o, r->rcpt[i].reply ? r->rcpt[i].reply : "");
        ipc_put_u32(o, r->rcpt[i].notify);
    }
    ipc_put_u32(o, r->hop_fail ? 1 : 0);
}

int
deliver_reply_decode(struct ipc_in *in, struct deliver_req *r)
{
    uint32_t n;

    if (in->type != DELIVER_REPLY || strcmp(ipc_get_str(in), r->id) != 0)
        return -1;
    n = ipc_get_u32(in);
    for (uint32_t i = 0; i < n && ipc_in_ok(in); i++) {
        uint32_t idx = ipc_get_u32(in);
        uint32_t st = ipc_get_u32(in);
        const char *dsn = ipc_get_str(in);
        const char *text = ipc_get_str(in);
        const char *mta = ipc_get_str(in);
        const char *reply = ipc_get_str(in);
        uint32_t notify = ipc_get_u32(in);

        for (size_t k = 0; k < r->nrcpt; k++)
            if (r->rcpt[k].idx == idx && st <= DELIVER_BOUNCE) {
                deliver_result(&r->rcpt[k], (int) st, dsn, text);
                deliver_result_remote(&r->rcpt[k], mta, reply);
                r->rcpt[k].notify = notify;
            }
    }
    r->hop_fail = ipc_get_u32(in) != 0;
    return ipc_in_ok(in) ? 0 : -1;
}

void
deliver_log(const struct deliver_req *r, const struct deliver_rcpt *rc,
            const char *relay)
{
    deliver_log_dest(r, rc->addr, rc->orig, rc->status, rc->dsn, rc->text,
                     relay);
}

void
deliver_log_dest(const struct deliver_req *r, const char *to, const char *orig,
                 int status, const char *dsn, const char *text,
                 const char *relay)
{
    struct maillog_delivery d;
    uint64_t now = queue_now_us();

    memset(&d, 0, sizeof(d));
    d.id = r->id;
    d.to = to;
    d.orig_to = orig && orig[0] ? orig : NULL;
    d.relay = relay;
    d.delay = (double) (now - r->arrival_us) / 1e6;
    d.delays[0] = r->active_us > r->arrival_us
                      ? (double) (r->active_us - r->arrival_us) / 1e6
                      : 0;
    d.delays[1] = r->sent_us > r->active_us
                      ? (double) (r->sent_us - r->active_us) / 1e6
                      : 0;
    d.delays[2] = 0;
    d.delays[3] = now > r->sent_us ? (double) (now - r->sent_us) / 1e6 : 0;
    d.dsn = dsn;
    d.status = status == DELIVER_SENT     ? "sent"
               : status == DELIVER_BOUNCE ? "bounced"
                                          : "deferred";
    d.text = text ? text : "";
    maillog_delivery(&d);
}

/* connection - requests until EOF; batches what is already waiting */
struct loop_ctx {
    deliver_batch_fn *fn;
    void *ctx;
};

static void
connection(struct server *srv, int fd, void *vctx)
{
    struct loop_ctx *lc = vctx;
    struct ipc_conn c;
    struct ipc_out o;
    struct deliver_req *reqs[MAX_BATCH];

    (void) srv;
    ipc_conn_init(&c, dup(fd), 1 << 20);
    ipc_out_init(&o);
    for (;;) {
        size_t n = 0;
        struct ipc_in in;
        int r;
        struct pollfd p = {.fd = c.fd, .events = POLLIN};

        /* wait for at least one request */
        while ((r = ipc_conn_frame(&c, &in)) == 0) {
            if (poll(&p, 1, 10000) <= 0) {
                if (server_stopping() || errno != EINTR)
                    goto out; /* idle: qmgr reconnects when needed */
                continue;
            }
            r = ipc_conn_fill(&c);
            if (r == 0 || r == -1)
                goto out;
        }
        if (r < 0)
            goto out;
        do {
            reqs[n] = mem_alloc(sizeof(*reqs[n]));
            if (deliver_req_decode(&in, reqs[n]) < 0) {
                log_warn("bad delivery request from qmgr");
                deliver_req_fini(reqs[n]);
                mem_free(reqs[n]);
                goto out_batch;
            }
            n++;
            if (n < MAX_BATCH && ipc_conn_frame(&c, &in) != 1) {
                /* more bytes already on the socket? */
                if (ipc_conn_fill(&c) > 0 && ipc_conn_frame(&c, &in) == 1)
                    continue;
                break;
            }
        } while (n < MAX_BATCH);
        lc->fn(lc->ctx, reqs, n);
        for (size_t i = 0; i < n; i++) {
            deliver_reply_encode(&o, reqs[i]);
            ipc_conn_queue(&c, &o);
        }
    out_batch:
        for (size_t i = 0; i < n; i++) {
            deliver_req_fini(reqs[i]);
            mem_free(reqs[i]);
        }
        /* The socket stays non-blocking: wait only when qmgr lags. */
        while ((r = ipc_conn_flush(&c)) == 1) {
            struct pollfd w = {.fd = c.fd, .events = POLLOUT};

            if (poll(&w, 1, 10000) == 0)
                r = -1;
            if (r < 0 || (w.revents & (POLLERR | POLLHUP)))
                break;
        }
        if (r < 0)
            goto out;
        if (server_stopping())
            goto out;
    }
out:
    ipc_conn_fini(&c);
    ipc_out_fini(&o);
}

void
deliver_agent_loop(struct server *srv, deliver_batch_fn *fn, void *ctx)
{
    struct loop_ctx lc = {fn, ctx};

    server_single_loop(srv, connection, &lc);
}

void
deliver_content_init(struct deliver_content *dc)
{
    dc->seg_fd = -1;
    dc->seg_seq = 0;
    buf_init(&dc->content, 0);
}

void
deliver_content_fini(struct deliver_content *dc)
{
    if (dc->seg_fd >= 0)
        (void) close(dc->seg_fd);
    dc->seg_fd = -1;
    buf_fini(&dc->content);
}

int
deliver_content_load(struct deliver_content *dc, const struct deliver_req *req)
{
    char path[128];
    size_t got = 0;

    if (dc->seg_fd < 0 || dc->seg_seq != req->seq) {
        if (dc->seg_fd >= 0)
            (void) close(dc->seg_fd);
        memcpy(path, "store/", 6);
        queue_seg_name(req->seq, path + 6, sizeof(path) - 6);
        dc->seg_fd = open(path, O_RDONLY | O_CLOEXEC);
        if (dc->seg_fd < 0)
            return -1;
        dc->seg_seq = req->seq;
    }
    buf_truncate(&dc->content, 0);
    if (dc->content.cap < req->content_len + 1) {
        dc->content.data = mem_realloc(dc->content.data, req->content_len + 1);
        dc->content.cap = req->content_len + 1;
    }
    while (got < req->content_len) {
        ssize_t r =
            pread(dc->seg_fd, dc->content.data + got, req->content_len - got,
                  (off_t) (req->content_off + got));

        if (r <= 0) {
            if (r < 0 && errno == EINTR)
                continue;
            return -1;
        }
        got += (size_t) r;
    }
    dc->content.len = got;
    dc->content.data[got] = 0;
    return 0;
}
