/*
 * queue_state - state logs and snapshots.
 *
 * DESCRIPTION
 *	The state log of a segment records what became of each recipient;
 *	a snapshot joins the segments' envelopes with their state logs.
 */
#include <errno.h>
#include <inttypes.h>
#include <isa-l/crc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ipc/ipc.h"
#include "queue/queue.h"
#include "queue/queue_int.h"

/* ---- state logs ---- */

struct queue_state_log {
    struct queue_fs *fs;
    int h;
    uint64_t end;
    struct ipc_out o;
};

struct queue_state_log *
queue_state_open(struct queue_fs *fs, uint64_t seq)
{
    struct queue_state_log *sl;
    char name[64];
    int h;
    int64_t size;

    queue_sts_name(seq, name, sizeof(name));
    h = fs->ops->open(fs, name, 1);
    if (h < 0)
        return NULL;
    size = fs->ops->size(fs, h);
    if (size < 0) {
        fs->ops->close(fs, h);
        return NULL;
    }
    sl = mem_calloc(1, sizeof(*sl));
    sl->fs = fs;
    sl->h = h;
    sl->end = (uint64_t) size;
    ipc_out_init(&sl->o);
    return sl;
}

void
queue_state_close(struct queue_state_log *sl)
{
    if (sl == NULL)
        return;
    sl->fs->ops->close(sl->fs, sl->h);
    ipc_out_fini(&sl->o);
    mem_free(sl);
}

int
queue_state_append(struct queue_state_log *sl, const struct queue_state_rec *r)
{
    unsigned char hdr[QUEUE_REC_HDR];
    struct iovec v[2];
    char *f;
    size_t flen;
    uint32_t crc;
    ssize_t wr;

    ipc_out_begin(&sl->o, r->type);
    ipc_put_u64(&sl->o, r->off);
    ipc_put_u32(&sl->o, r->idx);
    ipc_put_u64(&sl->o, r->when);
    ipc_put_u32(&sl->o, r->attempts);
    ipc_put_str(&sl->o, r->reason);
    f = ipc_out_finish(&sl->o, &flen);
    crc = queue_crc32c(0, f, flen);
    for (int i = 0; i < 4; i++) {
        hdr[i] = (unsigned char) (QUEUE_STS_MAGIC >> (24 - 8 * i));
        hdr[4 + i] = (unsigned char) (crc >> (24 - 8 * i));
    }
    v[0].iov_base = hdr;
    v[0].iov_len = sizeof(hdr);
    v[1].iov_base = f;
    v[1].iov_len = flen;
    wr = sl->fs->ops->append(sl->fs, sl->h, v, 2);
    if (wr != (ssize_t) (sizeof(hdr) + flen)) {
        if (wr > 0)
            (void) sl->fs->ops->truncate(sl->fs, sl->h, sl->end);
        return -1;
    }
    sl->end += sizeof(hdr) + flen;
    return 0;
}

int
queue_state_sync(struct queue_state_log *sl)
{
    return sl->fs->ops->sync(sl->fs, sl->h);
}

int
queue_state_load(struct queue_fs *fs, uint64_t seq, queue_state_fn *fn,
                 void *ctx)
{
    struct queue_reader r = {.fs = fs, .h = -1};
    char name[64];
    uint64_t off = 0;
    int err;

    queue_sts_name(seq, name, sizeof(name));
    r.h = fs->ops->open(fs, name, 0);
    if (r.h < 0)
        return errno == ENOENT ? 0 : -1;
    for (;;) {
        size_t avail, need;
        const unsigned char *p = queue_reader_get(&r, off, 256, &avail, &err);
        long long len;
        struct ipc_in in;
        struct queue_state_rec rec;

        if (err)
            break;
        len = queue_rec_check(p, avail, QUEUE_STS_MAGIC, 65536, &need);
        if (len == 0 && avail >= QUEUE_REC_HDR + 4) {
            p = queue_reader_get(&r, off, need, &avail, &err);
            if (err)
                break;
            len = queue_rec_check(p, avail, QUEUE_STS_MAGIC, 65536, &need);
        }
        if (len <= 0)
            break;
        if (ipc_in_init(&in, p + QUEUE_REC_HDR, (size_t) len - QUEUE_REC_HDR) <
            0)
            break;
        rec.type = in.type;
        rec.off = ipc_get_u64(&in);
        rec.idx = ipc_get_u32(&in);
        rec.when = ipc_get_u64(&in);
        rec.attempts = ipc_get_u32(&in);
        rec.reason = ipc_get_str(&in);
        if (!ipc_in_ok(&in))
            break;
        fn(ctx, &rec);
        off += (uint64_t) len;
    }
    mem_free(r.buf);
    fs->ops->close(fs, r.h);
    return err ? -1 : 0;
}

/* ---- snapshot ---- */

struct st_item {
    uint64_t off;
    size_t order;
    int type;
    uint32_t idx;
    uint64_t when;
    uint32_t attempts;
    char *reason;
};

struct snap {
    struct st_item *items;
    size_t n;
    size_t pos; /* merge cursor */
    queue_snap_fn *fn;
    void *ctx;
    size_t live;
    unsigned char *done;
    size_t done_cap;
};

static void
collect_state(void *ctx, const struct queue_state_rec *r)
{
    struct snap *s = ctx;
    struct st_item *it;

    s->items = mem_realloc(s->items, (s->n + 1) * sizeof(*s->items));
    it = &s->items[s->n];
    it->off = r->off;
    it->order = s->n;
    it->type = r->type;
    it->idx = r->idx;
    it->when = r->when;
    it->attempts = r->attempts;
    it->reason = r->type == QUEUE_ST_DEFER ? mem_strdup(r->reason) : NULL;
    s->n++;
}

static int
cmp_item(const void *a, const void *b)
{
    const struct st_item *x = a, *y = b;

    if (x->off != y->off)
        return x->off < y->off ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static int
snap_one(void *ctx, const struct queue_loc *loc, const struct queue_env *env)
{
    struct snap *s = ctx;
    struct queue_snap_msg m;
    int gone = 0;
    size_t left;

    memset(&m, 0, sizeof(m));
    m.loc = *loc;
    m.env = env;
    m.state = (env->flags & QUEUE_F_HOLD) ? QUEUE_MS_HOLD : QUEUE_MS_INCOMING;
    if (s->done_cap < env->nrcpt + 1) {
        s->done_cap = env->nrcpt + 1;
        s->done = mem_realloc(s->done, s->done_cap);
    }
    memset(s->done, 0, env->nrcpt + 1);
    while (s->pos < s->n && s->items[s->pos].off < loc->off)
        s->pos++;
    for (; s->pos < s->n && s->items[s->pos].off == loc->off; s->pos++) {
        const struct st_item *it = &s->items[s->pos];

        switch (it->type) {
        case QUEUE_ST_DONE:
        case QUEUE_ST_DELETED:
            gone = 1;
            break;
        case QUEUE_ST_RCPT:
            if (it->idx < env->nrcpt)
                s->done[it->idx] = 1;
            break;
        case QUEUE_ST_DEFER:
            if (m.state != QUEUE_MS_HOLD)
                m.state = QUEUE_MS_DEFERRED;
            m.next_try = it->when;
            m.attempts = it->attempts;
            m.reason = it->reason;
            break;
        case QUEUE_ST_HOLD:
            m.state = QUEUE_MS_HOLD;
            break;
        case QUEUE_ST_RELEASE:
            m.state = m.attempts ? QUEUE_MS_DEFERRED : QUEUE_MS_INCOMING;
            break;
        default:
            break;
        }
    }
    left = 0;
    for (size_t i = 0; i < env->nrcpt; i++)
        left += !s->done[i];
    if (gone || left == 0)
        return 0;
    m.rcpt_done = s->done;
    s->live++;
    return s->fn(s->ctx, &m);
}

int
queue_snapshot(struct queue_fs *fs, queue_snap_fn *fn,
               queue_seg_end_fn *seg_end, void *ctx)
{
    uint64_t *seqs;
    size_t nseq;
    int rc = 0;
    struct snap s;

    if (queue_seg_list(fs, &seqs, &nseq) < 0)
        return -1;
    memset(&s, 0, sizeof(s));
    s.fn = fn;
    s.ctx = ctx;
    for (size_t i = 0; i < nseq && rc == 0; i++) {
        uint64_t off = 0;
        int src;

        s.n = s.pos = s.live = 0;
        if (queue_state_load(fs, seqs[i], collect_state, &s) < 0) {
            rc = -1;
            break;
        }
        if (s.n)
            qsort(s.items, s.n, sizeof(*s.items), cmp_item);
        src = queue_seg_scan(fs, seqs[i], &off, 0, snap_one, &s, NULL);
        if (src < 0 && errno == ENOENT)
            src = 0; /* removed under us */
        if (src < 0)
            rc = -1;
        else if (src > 0)
            rc = 1;
        for (size_t k = 0; k < s.n; k++)
            mem_free(s.items[k].reason);
        if (rc == 0 && seg_end)
            seg_end(ctx, seqs[i], off, s.live);
    }
    mem_free(s.items);
    mem_free(s.done);
    mem_free(seqs);
    return rc < 0 ? -1 : 0;
}
