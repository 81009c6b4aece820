/*
 * queue_rec - queue records: CRC, IDs, envelopes, file names, buffered
 * reads. The writer is in queue_write.c, scans in queue_scan.c, state
 * logs and snapshots in queue_state.c.
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
    mem_free(env->filter);
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

uint32_t
queue_env_flags(const struct queue_env *env)
{
    uint32_t f = env->flags & ~QUEUE_F_FILTER;

    return env->filter && *env->filter ? f | QUEUE_F_FILTER : f;
}

/* queue_env_encode - the frame up to and including the content field header */
void
queue_env_encode(struct ipc_out *o, const struct queue_env *env, uint64_t clen)
{
    unsigned char b[5];

    ipc_out_begin(o, 'M');
    ipc_put_str(o, env->id);
    ipc_put_u64(o, env->arrival_us);
    ipc_put_u32(o, queue_env_flags(env));
    ipc_put_u32(o, env->ret);
    ipc_put_str(o, env->sender);
    ipc_put_str(o, env->client_name);
    ipc_put_str(o, env->client_addr);
    ipc_put_str(o, env->helo);
    ipc_put_str(o, env->proto);
    ipc_put_str(o, env->envid);
    ipc_put_str(o, env->origin);
    if (queue_env_flags(env) & QUEUE_F_FILTER)
        ipc_put_str(o, env->filter);
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

/* queue_env_decode - parse a message frame; content position relative to the
 * frame start in *coff, *clen. 0 or -1 */
int
queue_env_decode(const void *frame, size_t len, struct queue_env *env,
                 uint64_t *coff, uint64_t *clen)
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
    if (env->flags & QUEUE_F_FILTER)
        env->filter = mem_strdup(ipc_get_str(&in));
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

/* ---- buffered reads ---- */

/* queue_reader_get - make [off, off+n) available; pointer, or NULL at EOF
 * (short) with *avail set, or on error (errno set, *avail = 0 and
 * *err = 1) */
const unsigned char *
queue_reader_get(struct queue_reader *r, uint64_t off, size_t n, size_t *avail,
                 int *err)
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
