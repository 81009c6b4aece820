/*
 * queue_int - private declarations of lib/services/queue.
 */
#ifndef QUEUE_QUEUE_INT_H
#define QUEUE_QUEUE_INT_H

#include "queue/queue.h"

/* storage backend vtable; handles are small non-negative ints */
struct queue_fs_ops {
    /* create - new file, exclusive; opened for appending and locked
     * (the writer's liveness lock) */
    int (*create)(struct queue_fs *fs, const char *name);
    /* open - existing file: writable 0 = read only, 1 = append (created
     * when missing, not locked) */
    int (*open)(struct queue_fs *fs, const char *name, int writable);
    /* append - write at the end; bytes written or -1 */
    ssize_t (*append)(struct queue_fs *fs, int h, const struct iovec *iov,
                      int n);
    /* write_at - write at an offset (segments); bytes written or -1 */
    ssize_t (*write_at)(struct queue_fs *fs, int h, const struct iovec *iov,
                        int n, uint64_t off);
    /* prealloc - reserve size bytes (file reads as zeros); 0 or -1 */
    int (*prealloc)(struct queue_fs *fs, int h, uint64_t size);
    int (*truncate)(struct queue_fs *fs, int h, uint64_t size);
    int (*sync)(struct queue_fs *fs, int h);
    int (*sync_dir)(struct queue_fs *fs);
    ssize_t (*pread)(struct queue_fs *fs, int h, void *p, size_t n,
                     uint64_t off);
    int64_t (*size)(struct queue_fs *fs, int h);
    void (*close)(struct queue_fs *fs, int h);
    int (*list)(struct queue_fs *fs, struct strv *names);
    int (*unlink)(struct queue_fs *fs, const char *name);
    /* locked - 1 when a creator still holds name, 0 not, -1 error */
    int (*locked)(struct queue_fs *fs, const char *name);
    /* unlinked - 1 when the file behind h has no name any more (the read
     * cache then reopens: the writer reuses sequence numbers once the
     * queue is empty); NULL: the backend's reads are not cached */
    int (*unlinked)(struct queue_fs *fs, int h);
    void (*free)(struct queue_fs *fs);
};

struct queue_fs {
    const struct queue_fs_ops *ops;
    char *dir;
    int dirfd;
    void *priv;
    /* one cached read handle (queue_seg_rdopen): qmgr reads the segment
     * being written after every commit notice */
    int rd_ok;
    int rd_h;
    uint64_t rd_seq;
};

/* queue_seg_rdopen - read-only handle of segment seq, kept open for the
 * next call; give it back with queue_seg_rdclose, never ops->close */
int queue_seg_rdopen(struct queue_fs *fs, uint64_t seq);
void queue_seg_rdclose(struct queue_fs *fs, int h);
/* queue_seg_rdforget - close the cached handle (seq, or any when
 * QUEUE_SEQ_ANY) */
#define QUEUE_SEQ_ANY UINT64_MAX
void queue_seg_rdforget(struct queue_fs *fs, uint64_t seq);

/* record framing: magic, CRC-32C of the frame, then an ipc frame */
#define QUEUE_REC_MAGIC 0x50515231u     /* "PQR1" */
#define QUEUE_STS_MAGIC 0x50515331u     /* "PQS1" */
#define QUEUE_SEG_MAGIC 0x5053454755ULL /* file header tag */
#define QUEUE_REC_HDR   8
#define QUEUE_SEG_HDR   16

/* queue_rec_check - validate a record header at p (avail bytes); returns
 * the record length, 0 when more bytes are needed (*need set), -1 when
 * the bytes are not a record */
long long queue_rec_check(const unsigned char *p, size_t avail, uint32_t magic,
                          size_t limit, size_t *need);

/* records longer than this are not records (a torn or foreign file) */
#define QUEUE_REC_LIMIT ((size_t) 1 << 31)

struct ipc_out;
/* queue_env_encode - the message frame of env up to and including the
 * content field header (clen bytes of content follow) */
void queue_env_encode(struct ipc_out *o, const struct queue_env *env,
                      uint64_t clen);
/* queue_env_decode - parse a message frame; content position relative to
 * the frame start in *coff, *clen. 0 or -1 */
int queue_env_decode(const void *frame, size_t len, struct queue_env *env,
                     uint64_t *coff, uint64_t *clen);

/* struct queue_reader - buffered sequential reads of one file */
struct queue_reader {
    struct queue_fs *fs;
    int h;
    unsigned char *buf;
    size_t cap;
    uint64_t base; /* file offset of buf[0] */
    size_t len;
    uint64_t limit; /* 0, or where the caller stops: no read-ahead past it */
};

/* queue_reader_get - make [off, off+n) of r's file available; pointer,
 * or NULL at EOF (short) with *avail set, or on error (errno set,
 * *avail = 0 and *err = 1) */
const unsigned char *queue_reader_get(struct queue_reader *r, uint64_t off,
                                      size_t n, size_t *avail, int *err);

#endif
