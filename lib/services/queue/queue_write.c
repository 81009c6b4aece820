/*
 * queue_write - the segment writer.
 *
 * DESCRIPTION
 *	Appends message records to the current segment, commits them
 *	(one fsync for every record appended since the last), and moves to
 *	a new segment when one is full or a write fails (see queue_rec.c).
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

#define SEG_DEF_BYTES (64ULL << 20)
#define SEG_DEF_MSGS  32768u

/* ---- writer ---- */

struct queue_writer {
    struct queue_fs *fs;
    uint64_t seg_bytes;
    uint32_t seg_msgs;
    int h; /* current segment, -1 none */
    uint64_t seq;
    uint64_t end; /* bytes in the current segment */
    uint32_t nmsgs;
    unsigned pending;   /* appended, not yet committed */
    int dir_dirty;      /* a new segment name is not yet durable */
    int old_h;          /* previous segment with uncommitted records */
    uint64_t old_end;   /* its length */
    uint64_t old_seq;   /* its number */
    uint64_t sealed[8]; /* segments whose last records a commit made
                         * durable, not yet taken by queue_writer_sealed */
    unsigned nsealed;
    unsigned long syncs;
    struct ipc_out o;
};

struct queue_writer *
queue_writer_new(struct queue_fs *fs, uint64_t seg_bytes, uint32_t seg_msgs)
{
    struct queue_writer *w = mem_calloc(1, sizeof(*w));

    w->fs = fs;
    w->seg_bytes = seg_bytes ? seg_bytes : SEG_DEF_BYTES;
    w->seg_msgs = seg_msgs ? seg_msgs : SEG_DEF_MSGS;
    w->h = w->old_h = -1;
    ipc_out_init(&w->o);
    return w;
}

void
queue_writer_free(struct queue_writer *w)
{
    if (w == NULL)
        return;
    if (w->h >= 0 && w->pending == 0)
        (void) w->fs->ops->truncate(w->fs, w->h, w->end);
    if (w->h >= 0)
        w->fs->ops->close(w->fs, w->h);
    if (w->old_h >= 0)
        w->fs->ops->close(w->fs, w->old_h);
    ipc_out_fini(&w->o);
    mem_free(w);
}

/* new_segment - create the next segment and write its header */
static int
new_segment(struct queue_writer *w)
{
    uint64_t *seqs, next = 1;
    size_t n;
    char name[64];
    unsigned char hdr[QUEUE_SEG_HDR] = {'P', 'S', 'E', 'G', 0, 0, 0, 1};
    struct iovec iov;

    if (queue_seg_list(w->fs, &seqs, &n) < 0)
        return -1;
    if (n)
        next = seqs[n - 1] + 1;
    mem_free(seqs);
    if (next <= w->seq)
        next = w->seq + 1;
    for (int tries = 0; tries < 100; tries++, next++) {
        queue_seg_name(next, name, sizeof(name));
        w->h = w->fs->ops->create(w->fs, name);
        if (w->h >= 0 || errno != EEXIST)
            break;
    }
    if (w->h < 0)
        return -1;
    for (int i = 0; i < 8; i++)
        hdr[8 + i] = (unsigned char) (next >> (56 - 8 * i));
    iov.iov_base = hdr;
    iov.iov_len = sizeof(hdr);
    if (w->fs->ops->prealloc(w->fs, w->h, w->seg_bytes) < 0 ||
        w->fs->ops->write_at(w->fs, w->h, &iov, 1, 0) !=
            (ssize_t) sizeof(hdr)) {
        int e = errno;

        w->fs->ops->close(w->fs, w->h);
        (void) w->fs->ops->unlink(w->fs, name);
        w->h = -1;
        errno = e;
        return -1;
    }
    w->seq = next;
    w->end = QUEUE_SEG_HDR;
    w->nmsgs = 0;
    w->dir_dirty = 1;
    return 0;
}

/* retire - leave the current segment (sealed once its handle closes) */
static void
retire(struct queue_writer *w)
{
    if (w->h < 0)
        return;
    if (w->pending) {
        /* Its records still need the next commit. */
        if (w->old_h >= 0)
            w->fs->ops->close(w->fs, w->old_h);
        w->old_h = w->h;
        w->old_end = w->end;
        w->old_seq = w->seq;
    } else {
        /* give back the preallocated tail: a sealed segment may live on
         * for days with one deferred message in it */
        (void) w->fs->ops->truncate(w->fs, w->h, w->end);
        w->fs->ops->close(w->fs, w->h);
    }
    w->h = -1;
}

int
queue_writer_append(struct queue_writer *w, const struct queue_env *env,
                    const struct iovec *iov, int iovcnt, struct queue_loc *loc)
{
    struct iovec v[64];
    unsigned char hdr[QUEUE_REC_HDR];
    uint64_t clen = 0, rlen;
    uint32_t crc, flen;
    size_t elen;
    ssize_t wr;

    if (iovcnt > 60) {
        errno = EINVAL;
        return -1;
    }
    for (int i = 0; i < iovcnt; i++)
        clen += iov[i].iov_len;
    if (clen >= QUEUE_REC_LIMIT) {
        errno = EFBIG;
        return -1;
    }
    /* Frame: envelope, then the content bytes field, length patched to
     * cover the content that follows in separate iovecs. */
    queue_env_encode(&w->o, env, clen);
    elen = w->o.b.len;
    flen = (uint32_t) (elen - 4 + clen);
    w->o.b.data[0] = (char) (flen >> 24);
    w->o.b.data[1] = (char) (flen >> 16);
    w->o.b.data[2] = (char) (flen >> 8);
    w->o.b.data[3] = (char) flen;
    crc = queue_crc32c(0, w->o.b.data, elen);
    for (int i = 0; i < iovcnt; i++)
        crc = queue_crc32c(crc, iov[i].iov_base, iov[i].iov_len);
    for (int i = 0; i < 4; i++) {
        hdr[i] = (unsigned char) (QUEUE_REC_MAGIC >> (24 - 8 * i));
        hdr[4 + i] = (unsigned char) (crc >> (24 - 8 * i));
    }
    v[0].iov_base = hdr;
    v[0].iov_len = sizeof(hdr);
    v[1].iov_base = w->o.b.data;
    v[1].iov_len = elen;
    for (int i = 0; i < iovcnt; i++)
        v[2 + i] = iov[i];
    rlen = sizeof(hdr) + elen + clen;

    /* Roll to a new segment when this record would not fit. */
    if (w->h >= 0 && w->nmsgs > 0 &&
        (w->end + rlen > w->seg_bytes || w->nmsgs >= w->seg_msgs)) {
        if (w->old_h >= 0 && queue_writer_commit(w) < 0)
            return -1;
        retire(w);
    }
    if (w->h < 0 && new_segment(w) < 0)
        return -1;

    wr = w->fs->ops->write_at(w->fs, w->h, v, iovcnt + 2, w->end);
    if (wr != (ssize_t) rlen) {
        int e = wr < 0 ? errno : ENOSPC;

        /* The next record overwrites this partial one at the same
         * offset, so no garbage is ever left before a good record. */
        errno = e;
        return -1;
    }
    loc->seq = w->seq;
    loc->off = w->end;
    loc->len = rlen;
    loc->content_off = w->end + sizeof(hdr) + elen;
    loc->content_len = clen;
    w->end += rlen;
    w->nmsgs++;
    w->pending++;
    return 0;
}

int
queue_writer_commit(struct queue_writer *w)
{
    int rc = 0;

    if (w->old_h >= 0) {
        if (w->fs->ops->sync(w->fs, w->old_h) < 0) {
            rc = -1;
        } else {
            (void) w->fs->ops->truncate(w->fs, w->old_h, w->old_end);
            if (w->nsealed < sizeof(w->sealed) / sizeof(w->sealed[0]))
                w->sealed[w->nsealed++] = w->old_seq;
        }
        w->fs->ops->close(w->fs, w->old_h);
        w->old_h = -1;
        w->syncs++;
    }
    if (w->pending && w->h >= 0) {
        if (w->fs->ops->sync(w->fs, w->h) < 0)
            rc = -1;
        w->syncs++;
    }
    if (w->dir_dirty) {
        if (w->fs->ops->sync_dir(w->fs) < 0)
            rc = -1;
        else
            w->dir_dirty = 0;
    }
    if (rc < 0) {
        /* A failed fsync may have dropped the dirty pages: the segment
         * can no longer be trusted for new records. */
        retire(w);
    }
    w->pending = 0;
    return rc;
}

unsigned
queue_writer_sealed(struct queue_writer *w, uint64_t *seqs, unsigned max)
{
    unsigned n = w->nsealed < max ? w->nsealed : max;

    memcpy(seqs, w->sealed, n * sizeof(*seqs));
    w->nsealed = 0;
    return n;
}

unsigned
queue_writer_pending(const struct queue_writer *w)
{
    return w->pending;
}

uint64_t
queue_writer_seq(const struct queue_writer *w)
{
    return w->seq;
}

uint64_t
queue_writer_end(const struct queue_writer *w)
{
    return w->end;
}

unsigned long
queue_writer_syncs(const struct queue_writer *w)
{
    return w->syncs;
}
