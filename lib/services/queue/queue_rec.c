/*
 * queue_rec - queue records: IDs, envelopes, the writer, scans, state
 * logs and snapshots.
 *
 * DESCRIPTION
 *	Record = u32 magic, u32 CRC-32C of the frame, then one lib/base/ipc
 *	frame (its own u32 length first). A message frame (type 'M') holds
 *	the envelope fields and, last, the content as a bytes field, so the
 *	content can be read in place by delivery agents without decoding.
 *	A segment starts with a 16-byte header ("PSEG", version, sequence).
 *
 *	The writer never leaves garbage before a good record: a failed
 *	append is truncated away, and if even that fails the writer moves
 *	to a new segment. So "stop at the first bad record" loses nothing
 *	that was committed.
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
#define REC_LIMIT     ((size_t) 1 << 31)

/*
 * ---- CRC-32C (Castagnoli) ----
 * ISA-L's crc32_iscsi picks the CPU's CRC32 instruction (or a folding
 * variant) at run time: about ten times the table-driven speed, which
 * matters because every record is summed on write and again on read.
 * ISA-L keeps the register uninverted; this API takes and returns
 * finished CRCs so that they chain like zlib's crc32().
 */
uint32_t
queue_crc32c(uint32_t crc, const void *p, size_t n)
{
    unsigned char *c = (unsigned char *) (uintptr_t) p;

    crc = ~crc;
    while (n > 0) {
        int chunk = n > (size_t) 1 << 30 ? 1 << 30 : (int) n;

        crc = crc32_iscsi(c, chunk, crc);
        c += chunk;
        n -= (size_t) chunk;
    }
    return ~crc;
}

/* ---- IDs ---- */

#define ID_EPOCH 1704067200ULL /* 2024-01-01T00:00:00Z */

uint64_t
queue_now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

void
queue_id_make(char id[QUEUE_ID_SIZE])
{
    static uint64_t last;
    uint64_t now = queue_now_us();
    uint64_t v = now > ID_EPOCH * 1000000u ? now - ID_EPOCH * 1000000u : now;

    if (v <= last)
        v = last + 1;
    last = v;
    snprintf(id, QUEUE_ID_SIZE, "%" PRIX64, v);
}

int
queue_id_ok(const char *s)
{
    size_t n = 0;

    for (; s[n]; n++)
        if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'A' && s[n] <= 'Z') ||
              (s[n] >= 'a' && s[n] <= 'z')))
            return 0;
    return n >= 1 && n <= 20;
}

/* ---- envelopes ---- */

void
queue_env_init(struct queue_env *env)
{
    memset(env, 0, sizeof(*env));
}

void
queue_env_fini(struct queue_env *env)
{
    mem_free(env->sender);
    mem_free(env->client_name);
    mem_free(env->client_addr);
    mem_free(env->helo);
    mem_free(env->proto);
    mem_free(env->envid);
    mem_free(env->origin);
    for (size_t i = 0; i < env->nrcpt; i++) {
        mem_free(env->rcpt[i].addr);
        mem_free(env->rcpt[i].orig);
        mem_free(env->rcpt[i].orcpt);
    }
    mem_free(env->rcpt);
    memset(env, 0, sizeof(*env));
}

void
queue_env_set(char **field, const char *value)
{
    mem_free(*field);
    *field = mem_strdup(value ? value : "");
}

void
queue_env_add_rcpt(struct queue_env *env, const char *addr, const char *orig,
                   const char *orcpt, uint32_t notify)
{
    struct queue_rcpt *r;

    env->rcpt = mem_realloc(env->rcpt, (env->nrcpt + 1) * sizeof(*env->rcpt));
    r = &env->rcpt[env->nrcpt++];
    r->addr = mem_strdup(addr ? addr : "");
    r->orig = mem_strdup(orig ? orig : "");
    r->orcpt = mem_strdup(orcpt ? orcpt : "");
    r->notify = notify;
}

/* env_encode - the frame up to and including the content field header */
static void
env_encode(struct ipc_out *o, const struct queue_env *env, uint64_t clen)
{
    unsigned char b[5];

    ipc_out_begin(o, 'M');
    ipc_put_str(o, env->id);
    ipc_put_u64(o, env->arrival_us);
    ipc_put_u32(o, env->flags);
    ipc_put_u32(o, env->ret);
    ipc_put_str(o, env->sender);
    ipc_put_str(o, env->client_name);
    ipc_put_str(o, env->client_addr);
    ipc_put_str(o, env->helo);
    ipc_put_str(o, env->proto);
    ipc_put_str(o, env->envid);
    ipc_put_str(o, env->origin);
    ipc_put_u32(o, (uint32_t) env->nrcpt);
    for (size_t i = 0; i < env->nrcpt; i++) {
        ipc_put_str(o, env->rcpt[i].addr);
        ipc_put_str(o, env->rcpt[i].orig);
        ipc_put_str(o, env->rcpt[i].orcpt);
        ipc_put_u32(o, env->rcpt[i].notify);
    }
    b[0] = 'B';
    b[1] = (unsigned char) (clen >> 24);
    b[2] = (unsigned char) (clen >> 16);
    b[3] = (unsigned char) (clen >> 8);
    b[4] = (unsigned char) clen;
    (void) buf_append(&o->b, (const char *) b, 5);
}

/* env_decode - parse a message frame; content position relative to the
 * frame start in *coff, *clen. 0 or -1 */
static int
env_decode(const void *frame, size_t len, struct queue_env *env, uint64_t *coff,
           uint64_t *clen)
{
    struct ipc_in in;
    const char *content;
    size_t n;
    uint32_t nrcpt;

    queue_env_fini(env);
    if (ipc_in_init(&in, frame, len) < 0 || in.type != 'M')
        return -1;
    snprintf(env->id, sizeof(env->id), "%s", ipc_get_str(&in));
    env->arrival_us = ipc_get_u64(&in);
    env->flags = ipc_get_u32(&in);
    env->ret = ipc_get_u32(&in);
    env->sender = mem_strdup(ipc_get_str(&in));
    env->client_name = mem_strdup(ipc_get_str(&in));
    env->client_addr = mem_strdup(ipc_get_str(&in));
    env->helo = mem_strdup(ipc_get_str(&in));
    env->proto = mem_strdup(ipc_get_str(&in));
    env->envid = mem_strdup(ipc_get_str(&in));
    env->origin = mem_strdup(ipc_get_str(&in));
    nrcpt = ipc_get_u32(&in);
    if (!ipc_in_ok(&in) || nrcpt > len / 8)
        return -1;
    for (uint32_t i = 0; i < nrcpt && ipc_in_ok(&in); i++) {
        const char *a = ipc_get_str(&in);
        const char *o = ipc_get_str(&in);
        const char *r = ipc_get_str(&in);
        uint32_t nt = ipc_get_u32(&in);

        queue_env_add_rcpt(env, a, o, r, nt);
    }
    content = ipc_get_bytes(&in, &n);
    if (!ipc_in_ok(&in) || content == NULL || ipc_in_more(&in))
        return -1;
    env->content_len = n;
    *coff = (uint64_t) (content - (const char *) frame);
    *clen = n;
    return 0;
}

/* ---- names ---- */

void
queue_seg_name(uint64_t seq, char *out, size_t size)
{
    snprintf(out, size, "%08" PRIX64 ".seg", seq);
}

void
queue_sts_name(uint64_t seq, char *out, size_t size)
{
    snprintf(out, size, "%08" PRIX64 ".sts", seq);
}

/* parse_name - segment number of "XXXXXXXX.seg"/".sts"; 0 or -1 */
static int
parse_name(const char *name, const char *suffix, uint64_t *seq)
{
    char *end;
    size_t n = strlen(name);
    unsigned long long v;

    if (n < 5 || strcmp(name + n - 4, suffix) != 0 || name[0] == '-')
        return -1;
    errno = 0;
    v = strtoull(name, &end, 16);
    if (errno || end != name + n - 4 || end == name)
        return -1;
    *seq = v;
    return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;

    return x < y ? -1 : x > y;
}

int
queue_seg_list(struct queue_fs *fs, uint64_t **seqs, size_t *n)
{
    struct strv names;
    uint64_t seq;

    *seqs = NULL;
    *n = 0;
    strv_init(&names);
    if (fs->ops->list(fs, &names) < 0) {
        strv_fini(&names);
        return -1;
    }
    for (size_t i = 0; i < names.n; i++)
        if (parse_name(names.v[i], ".seg", &seq) == 0) {
            *seqs = mem_realloc(*seqs, (*n + 1) * sizeof(**seqs));
            (*seqs)[(*n)++] = seq;
        }
    strv_fini(&names);
    if (*n)
        qsort(*seqs, *n, sizeof(**seqs), cmp_u64);
    return 0;
}

int
queue_seg_remove(struct queue_fs *fs, uint64_t seq)
{
    char name[64];
    int rc;

    queue_seg_rdforget(fs, seq);
    queue_seg_name(seq, name, sizeof(name));
    rc = fs->ops->unlink(fs, name);
    if (rc < 0 && errno != ENOENT)
        return -1;
    queue_sts_name(seq, name, sizeof(name));
    if (fs->ops->unlink(fs, name) < 0 && errno != ENOENT)
        return -1;
    return 0;
}

int
queue_seg_writer_gone(struct queue_fs *fs, uint64_t seq)
{
    char name[64];
    int rc;

    queue_seg_name(seq, name, sizeof(name));
    rc = fs->ops->locked(fs, name);
    return rc < 0 ? -1 : !rc;
}

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
    if (clen >= REC_LIMIT) {
        errno = EFBIG;
        return -1;
    }
    /* Frame: envelope, then the content bytes field, length patched to
     * cover the content that follows in separate iovecs. */
    env_encode(&w->o, env, clen);
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

/* struct reader - buffered sequential reads of one file */
struct reader {
    struct queue_fs *fs;
    int h;
    unsigned char *buf;
    size_t cap;
    uint64_t base; /* file offset of buf[0] */
    size_t len;
    uint64_t limit; /* 0, or where the caller stops: no read-ahead past it */
};

/* reader_get - make [off, off+n) available; pointer, or NULL at EOF
 * (short) with *avail set, or on error (errno set, *avail = 0 and
 * *err = 1) */
static const unsigned char *
reader_get(struct reader *r, uint64_t off, size_t n, size_t *avail, int *err)
{
    *err = 0;
    if (off < r->base || off + n > r->base + r->len) {
        size_t want = n > 262144 ? n : 262144;
        ssize_t got;

        /* qmgr reads a few KB per commit notice: not 256 KB each time */
        if (r->limit > off && r->limit - off < want)
            want = r->limit - off > n ? (size_t) (r->limit - off) : n;

        if (r->cap < want) {
            r->buf = mem_realloc(r->buf, want);
            r->cap = want;
        }
        r->base = off;
        r->len = 0;
        while (r->len < want) {
            got = r->fs->ops->pread(r->fs, r->h, r->buf + r->len, want - r->len,
                                    off + r->len);
            if (got < 0) {
                *err = 1;
                *avail = 0;
                return NULL;
            }
            if (got == 0)
                break;
            r->len += (size_t) got;
        }
    }
    *avail = (size_t) (r->base + r->len - off);
    return r->buf + (off - r->base);
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
    struct reader r = {.fs = fs, .h = -1, .limit = limit};
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
        p = reader_get(&r, 0, QUEUE_SEG_HDR, &avail, &err);
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
        p = reader_get(&r, *off, QUEUE_REC_HDR + 4, &avail, &err);
        if (err) {
            rc = -1;
            break;
        }
        len = queue_rec_check(p, avail, QUEUE_REC_MAGIC, REC_LIMIT, &need);
        if (len == 0 && avail >= QUEUE_REC_HDR + 4) {
            p = reader_get(&r, *off, need, &avail, &err);
            if (err) {
                rc = -1;
                break;
            }
            len = queue_rec_check(p, avail, QUEUE_REC_MAGIC, REC_LIMIT, &need);
        }
        if (len <= 0) {
            if (torn)
                *torn = avail > 0 && !zeros(p, avail);
            break;
        }
        if (env_decode(p + QUEUE_REC_HDR, (size_t) len - QUEUE_REC_HDR, &env,
                       &coff, &clen) < 0) {
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

    if (loc->len < QUEUE_REC_HDR + IPC_HDR || loc->len > REC_LIMIT) {
        errno = EINVAL;
        return -1;
    }
    h = queue_seg_rdopen(fs, loc->seq);
    if (h < 0)
        return -1;
    p = mem_alloc((size_t) loc->len);
    if (fs->ops->pread(fs, h, p, (size_t) loc->len, loc->off) ==
            (ssize_t) loc->len &&
        queue_rec_check(p, (size_t) loc->len, QUEUE_REC_MAGIC, REC_LIMIT,
                        &need) == (long long) loc->len &&
        env_decode(p + QUEUE_REC_HDR, (size_t) loc->len - QUEUE_REC_HDR, env,
                   &coff, &clen) == 0) {
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
    struct reader r = {.fs = fs, .h = -1};
    char name[64];
    uint64_t off = 0;
    int err;

    queue_sts_name(seq, name, sizeof(name));
    r.h = fs->ops->open(fs, name, 0);
    if (r.h < 0)
        return errno == ENOENT ? 0 : -1;
    for (;;) {
        size_t avail, need;
        const unsigned char *p = reader_get(&r, off, 256, &avail, &err);
        long long len;
        struct ipc_in in;
        struct queue_state_rec rec;

        if (err)
            break;
        len = queue_rec_check(p, avail, QUEUE_STS_MAGIC, 65536, &need);
        if (len == 0 && avail >= QUEUE_REC_HDR + 4) {
            p = reader_get(&r, off, need, &avail, &err);
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
    m.state = QUEUE_MS_INCOMING;
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
