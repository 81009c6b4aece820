/*
 * queue - the durable message store: segments, state logs, queue IDs.
 *
 * DESCRIPTION
 *	Accepted messages are appended as checksummed records to a few
 *	large append-only segment files ("store/<SEQ>.seg") by one writer,
 *	the cleanup daemon. A batch of records from many concurrent
 *	sessions becomes durable with one fdatasync() (group commit); only
 *	then does anyone hear "250 Ok: queued as ID". Nothing is ever
 *	rewritten in place: what happens to a message afterwards
 *	(recipients done, deferred, held, deleted) is appended by qmgr to
 *	the segment's state log ("store/<SEQ>.sts"). A segment whose every
 *	message is done is unlinked with its state log.
 *
 *	Recovery is a scan: records are read in order and the first
 *	record with a bad magic, length or checksum ends a segment (a torn
 *	tail, never acknowledged). The same scan feeds qmgr at start, the
 *	queue listing (mailq) and offline postsuper.
 *
 *	File access goes through a small vtable (struct queue_fs): "disk"
 *	for the daemons and "ram" for tests; the ram backend can simulate a
 *	crash that loses every byte not yet synced. lib/services/queue/README.md
 *has the formats.
 */
#ifndef QUEUE_QUEUE_H
#define QUEUE_QUEUE_H

#include <sys/types.h>
#include <sys/uio.h>

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* QUEUE_ID_SIZE - room for a queue ID and its NUL */
#define QUEUE_ID_SIZE 24

/* queue_now_us - wall clock in microseconds */
uint64_t queue_now_us(void);
/* queue_id_make - a new queue ID: upper-case hex of the microseconds since
 * 2024-01-01, strictly increasing within the process; the one writer
 * (cleanup) assigns them, so they are unique in a queue */
void queue_id_make(char id[QUEUE_ID_SIZE]);
/* queue_id_ok - 1 when s looks like a queue ID (1..20 of [0-9A-Za-z]) */
int queue_id_ok(const char *s);

/* DSN NOTIFY bits (RFC 3461); 0 = not given */
#define QUEUE_NOTIFY_NEVER   1u
#define QUEUE_NOTIFY_SUCCESS 2u
#define QUEUE_NOTIFY_FAILURE 4u
#define QUEUE_NOTIFY_DELAY   8u
/* DSN RET */
#define QUEUE_RET_FULL 1u
#define QUEUE_RET_HDRS 2u
/* message flags */
#define QUEUE_F_8BITMIME 1u  /* BODY=8BITMIME */
#define QUEUE_F_SMTPUTF8 2u  /* SMTPUTF8 */
#define QUEUE_F_LOCAL    4u  /* submitted locally (sendmail/pickup) */
#define QUEUE_F_BOUNCE   8u  /* a notification we generated */
#define QUEUE_F_HOLD     16u /* to the hold queue at once (milter quarantine) */

struct queue_rcpt {
    char *addr;  /* recipient after rewriting */
    char *orig;  /* as the client gave it ("" when the same) */
    char *orcpt; /* DSN ORCPT, "" when none */
    uint32_t notify;
};

/* struct queue_env - a message envelope; strings owned */
struct queue_env {
    char id[QUEUE_ID_SIZE];
    uint64_t arrival_us;
    uint32_t flags;
    uint32_t ret; /* QUEUE_RET_* or 0 */
    char *sender; /* "" for the null sender */
    char *client_name;
    char *client_addr;
    char *helo;
    char *proto;  /* "ESMTP", "SMTP", "ESMTPS", "local" */
    char *envid;  /* DSN ENVID, "" */
    char *origin; /* "uid=1000" for local submissions, "" */
    size_t nrcpt;
    struct queue_rcpt *rcpt;
    uint64_t content_len;
};

void queue_env_init(struct queue_env *env);
void queue_env_fini(struct queue_env *env);
/* queue_env_set - replace *field by a copy of value (NULL = "") */
void queue_env_set(char **field, const char *value);
/* queue_env_add_rcpt - append a recipient (copies) */
void queue_env_add_rcpt(struct queue_env *env, const char *addr,
                        const char *orig, const char *orcpt, uint32_t notify);

/* struct queue_loc - where a record lives */
struct queue_loc {
    uint64_t seq;         /* segment number */
    uint64_t off;         /* record offset in the segment */
    uint64_t len;         /* record length */
    uint64_t content_off; /* message content offset in the segment */
    uint64_t content_len;
};

/*
 * Storage backends.
 */
struct queue_fs;
/* queue_fs_disk - files in dir (created if missing, mode 0700) */
struct queue_fs *queue_fs_disk(const char *dir);
/* queue_fs_ram - in-memory files, for tests */
struct queue_fs *queue_fs_ram(void);
/* queue_fs_ram_crash - cut every ram file to its synced length, close
 * every handle and drop every lock: a power cut */
void queue_fs_ram_crash(struct queue_fs *fs);
/* queue_fs_ram_fail - make the next n appends fail with ENOSPC after
 * writing half their bytes (0 = off) */
void queue_fs_ram_fail(struct queue_fs *fs, int n);
void queue_fs_free(struct queue_fs *fs);
/* queue_fs_dir - the directory of a disk backend ("" for ram) */
const char *queue_fs_dir(const struct queue_fs *fs);

/* segment and state-log names */
void queue_seg_name(uint64_t seq, char *out, size_t size);
void queue_sts_name(uint64_t seq, char *out, size_t size);
/* queue_seg_list - the segment numbers present, ascending; caller frees */
int queue_seg_list(struct queue_fs *fs, uint64_t **seqs, size_t *n) WARN_UNUSED;
/* queue_seg_remove - unlink a segment and its state log; 0 or -1 */
int queue_seg_remove(struct queue_fs *fs, uint64_t seq) WARN_UNUSED;
/* queue_seg_writer_gone - 1 when no writer holds the segment (it will
 * never grow again), 0 when one does, -1 on error */
int queue_seg_writer_gone(struct queue_fs *fs, uint64_t seq);

/*
 * The writer (cleanup): append now, commit once for the whole batch.
 */
struct queue_writer;
/* queue_writer_new - new writer; rolls to a new segment after seg_bytes
 * or seg_msgs records (0: defaults of 64 MB and 32768) */
struct queue_writer *queue_writer_new(struct queue_fs *fs, uint64_t seg_bytes,
                                      uint32_t seg_msgs);
void queue_writer_free(struct queue_writer *w);
/* queue_writer_append - write env (its id filled in by the caller) and
 * content (iov) as one record; not durable until queue_writer_commit.
 * Fills *loc. 0, or -1 (the segment is left as it was) */
int queue_writer_append(struct queue_writer *w, const struct queue_env *env,
                        const struct iovec *iov, int iovcnt,
                        struct queue_loc *loc) WARN_UNUSED;
/* queue_writer_commit - make every appended record durable: one
 * fdatasync (and a directory sync after a new segment). 0 or -1; after
 * -1 the uncommitted records must be treated as lost */
int queue_writer_commit(struct queue_writer *w) WARN_UNUSED;
/* queue_writer_sealed - the segments (at most max, oldest first) whose
 * last records became durable with a commit since the previous call:
 * records appended to a segment just before it rolled over are
 * committed with the next segment's, and whoever follows the committed
 * end (qmgr) must read those segments to their end. Returns how many;
 * beyond 8 per call (many roll-overs in one group) the rest are left to
 * the reader's own scan. */
unsigned queue_writer_sealed(struct queue_writer *w, uint64_t *seqs,
                             unsigned max);
/* queue_writer_pending - records appended since the last commit */
unsigned queue_writer_pending(const struct queue_writer *w);
/* queue_writer_seq, queue_writer_end - current segment and its length */
uint64_t queue_writer_seq(const struct queue_writer *w);
uint64_t queue_writer_end(const struct queue_writer *w);
/* queue_writer_syncs - number of syncs done (for statistics) */
unsigned long queue_writer_syncs(const struct queue_writer *w);

/*
 * Reading records.
 */
/* queue_scan_fn - one complete, checksummed record; return 0 to go on,
 * non-zero to stop. env and loc are valid during the call only. */
typedef int queue_scan_fn(void *ctx, const struct queue_loc *loc,
                          const struct queue_env *env);
/* queue_seg_scan - records of segment seq from *off to limit (0 = end of
 * file); *off is advanced past the last complete record. Returns 0 when
 * the end (or a torn tail) was reached, 1 when fn stopped, -1 on I/O
 * error. *torn (may be NULL) is set when bytes after *off are not a
 * complete record. */
int queue_seg_scan(struct queue_fs *fs, uint64_t seq, uint64_t *off,
                   uint64_t limit, queue_scan_fn *fn, void *ctx,
                   int *torn) WARN_UNUSED;
/* queue_seg_read_env - decode the record at loc->off, len loc->len; 0/-1 */
int queue_seg_read_env(struct queue_fs *fs, const struct queue_loc *loc,
                       struct queue_env *env,
                       struct queue_loc *out) WARN_UNUSED;
/* queue_content_read - n bytes of a segment at off into p; bytes read or
 * -1 */
ssize_t queue_content_read(struct queue_fs *fs, uint64_t seq, void *p, size_t n,
                           uint64_t off);

/*
 * State logs (written by qmgr or, when it is down, by postsuper).
 */
enum queue_state_type {
    QUEUE_ST_DONE = 'D',    /* every recipient finished */
    QUEUE_ST_RCPT = 'R',    /* recipient idx finished */
    QUEUE_ST_DEFER = 'F',   /* deferred until `when` */
    QUEUE_ST_HOLD = 'H',    /* on hold */
    QUEUE_ST_RELEASE = 'U', /* released from hold */
    QUEUE_ST_DELETED = 'X', /* deleted by the administrator */
};

struct queue_state_rec {
    int type;
    uint64_t off;       /* record offset of the message in its segment */
    uint32_t idx;       /* recipient index (RCPT) */
    uint64_t when;      /* next attempt, microseconds (DEFER) */
    uint32_t attempts;  /* DEFER */
    const char *reason; /* DEFER; borrowed */
};

struct queue_state_log;
/* queue_state_open - open (creating) the state log of segment seq */
struct queue_state_log *queue_state_open(struct queue_fs *fs, uint64_t seq);
void queue_state_close(struct queue_state_log *sl);
/* queue_state_append - append one record (not synced); 0 or -1 */
int queue_state_append(struct queue_state_log *sl,
                       const struct queue_state_rec *r) WARN_UNUSED;
/* queue_state_sync - make appended state records durable; 0 or -1 */
int queue_state_sync(struct queue_state_log *sl) WARN_UNUSED;
typedef void queue_state_fn(void *ctx, const struct queue_state_rec *r);
/* queue_state_load - every intact state record of segment seq, in order
 * (a missing log is empty); 0 or -1 */
int queue_state_load(struct queue_fs *fs, uint64_t seq, queue_state_fn *fn,
                     void *ctx) WARN_UNUSED;

/*
 * Snapshot: the live messages of the whole store with their state,
 * what qmgr recovers at start and what mailq lists.
 */
enum queue_msg_state {
    QUEUE_MS_INCOMING = 0, /* never tried */
    QUEUE_MS_DEFERRED,
    QUEUE_MS_HOLD,
};

struct queue_snap_msg {
    struct queue_loc loc;
    const struct queue_env *env;
    enum queue_msg_state state;
    uint64_t next_try; /* DEFERRED */
    uint32_t attempts;
    const char *reason;             /* last deferral reason or NULL */
    const unsigned char *rcpt_done; /* nrcpt flags */
};
typedef int queue_snap_fn(void *ctx, const struct queue_snap_msg *m);
/* queue_snapshot - call fn for each live message (not done, not
 * deleted) of every segment, oldest first; seg_end (may be NULL) is
 * called after each segment with its scanned end offset. 0 or -1. */
typedef void queue_seg_end_fn(void *ctx, uint64_t seq, uint64_t end,
                              size_t live);
int queue_snapshot(struct queue_fs *fs, queue_snap_fn *fn,
                   queue_seg_end_fn *seg_end, void *ctx) WARN_UNUSED;

/* queue_crc32c - CRC-32C of n bytes, continuing from crc (start with 0) */
uint32_t queue_crc32c(uint32_t crc, const void *p, size_t n);

#endif
