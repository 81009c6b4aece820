/*
 * queue_scan - reading segments: record checks, scans, envelopes and content.
 *
 * DESCRIPTION
 *	A scan stops at the first bad record: the writer never leaves
 *	garbage before a good one (queue_rec.c).
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

/* ---- reading ---- */

long long
queue_rec_check(const unsigned char *p, size_t avail, uint32_t magic,
                size_t limit, size_t *need)
{
    uint32_t flen;

    *need = QUEUE_REC_HDR + 4;
    if (avail < *need)
        return 0;
    if (ipc_be32(p) != magic)
        return -1;
    flen = ipc_be32(p + QUEUE_REC_HDR);
    if (flen < 1 || flen > limit)
        return -1;
    *need = QUEUE_REC_HDR + 4 + (size_t) flen;
    if (avail < *need)
        return 0;
    if (queue_crc32c(0, p + QUEUE_REC_HDR, 4 + (size_t) flen) !=
        ipc_be32(p + 4))
        return -1;
    return (long long) *need;
}

/* zeros - 1 when the first bytes are zero: preallocated, never written */
static int
zeros(const unsigned char *p, size_t n)
{
    if (n > QUEUE_REC_HDR + 4)
        n = QUEUE_REC_HDR + 4;
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

int
queue_seg_scan(struct queue_fs *fs, uint64_t seq, uint64_t *off, uint64_t limit,
               queue_scan_fn *fn, void *ctx, int *torn)
{
    struct queue_reader r = {.fs = fs, .h = -1, .limit = limit};
    struct queue_env env;
    int rc = 0, err;
    size_t avail, need;
    const unsigned char *p;

    if (torn)
        *torn = 0;
    r.h = queue_seg_rdopen(fs, seq);
    if (r.h < 0)
        return -1;
    queue_env_init(&env);
    if (*off < QUEUE_SEG_HDR) {
        p = queue_reader_get(&r, 0, QUEUE_SEG_HDR, &avail, &err);
        if (err) {
            rc = -1;
            goto out;
        }
        if (avail < QUEUE_SEG_HDR || memcmp(p, "PSEG", 4) != 0) {
            if (torn)
                *torn = avail > 0;
            goto out;
        }
        *off = QUEUE_SEG_HDR;
    }
    for (;;) {
        long long len;
        struct queue_loc loc;
        uint64_t coff, clen;

        if (limit && *off >= limit)
            break;
        p = queue_reader_get(&r, *off, QUEUE_REC_HDR + 4, &avail, &err);
        if (err) {
            rc = -1;
            break;
        }
        len =
            queue_rec_check(p, avail, QUEUE_REC_MAGIC, QUEUE_REC_LIMIT, &need);
        if (len == 0 && avail >= QUEUE_REC_HDR + 4) {
            p = queue_reader_get(&r, *off, need, &avail, &err);
            if (err) {
                rc = -1;
                break;
            }
            len = queue_rec_check(p, avail, QUEUE_REC_MAGIC, QUEUE_REC_LIMIT,
                                  &need);
        }
        if (len <= 0) {
            if (torn)
                *torn = avail > 0 && !zeros(p, avail);
            break;
        }
        if (queue_env_decode(p + QUEUE_REC_HDR, (size_t) len - QUEUE_REC_HDR,
                             &env, &coff, &clen) < 0) {
            if (torn)
                *torn = 1;
            break;
        }
        loc.seq = seq;
        loc.off = *off;
        loc.len = (uint64_t) len;
        loc.content_off = *off + QUEUE_REC_HDR + coff;
        loc.content_len = clen;
        *off += (uint64_t) len;
        if (fn && fn(ctx, &loc, &env) != 0) {
            rc = 1;
            break;
        }
    }
out:
    queue_env_fini(&env);
    mem_free(r.buf);
    queue_seg_rdclose(fs, r.h);
    return rc;
}

int
queue_seg_read_env(struct queue_fs *fs, const struct queue_loc *loc,
                   struct queue_env *env, struct queue_loc *out)
{
    unsigned char *p;
    int h, rc = -1;
    size_t need;
    uint64_t coff, clen;

    if (loc->len < QUEUE_REC_HDR + IPC_HDR || loc->len > QUEUE_REC_LIMIT) {
        errno = EINVAL;
        return -1;
    }
    h = queue_seg_rdopen(fs, loc->seq);
    if (h < 0)
        return -1;
    p = mem_alloc((size_t) loc->len);
    if (fs->ops->pread(fs, h, p, (size_t) loc->len, loc->off) ==
            (ssize_t) loc->len &&
        queue_rec_check(p, (size_t) loc->len, QUEUE_REC_MAGIC, QUEUE_REC_LIMIT,
                        &need) == (long long) loc->len &&
        queue_env_decode(p + QUEUE_REC_HDR, (size_t) loc->len - QUEUE_REC_HDR,
                         env, &coff, &clen) == 0) {
        if (out) {
            *out = *loc;
            out->content_off = loc->off + QUEUE_REC_HDR + coff;
            out->content_len = clen;
        }
        rc = 0;
    } else {
        errno = EIO;
    }
    mem_free(p);
    queue_seg_rdclose(fs, h);
    return rc;
}

ssize_t
queue_content_read(struct queue_fs *fs, uint64_t seq, void *p, size_t n,
                   uint64_t off)
{
    int h;
    ssize_t r;

    h = queue_seg_rdopen(fs, seq);
    if (h < 0)
        return -1;
    r = fs->ops->pread(fs, h, p, n, off);
    queue_seg_rdclose(fs, h);
    return r;
}
