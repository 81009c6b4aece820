/*
 * ipc - typed, length-framed messages between Postern processes.
 *
 * DESCRIPTION
 *	Every message between daemons (smtpd to cleanup, cleanup to qmgr,
 *	qmgr to delivery agents, tools to qmgr) is one frame: a 4-byte
 *	big-endian length, a 1-byte message type and a sequence of typed
 *	fields (u32, u64, string, bytes), each with a 1-byte tag. The
 *	receiver checks every tag and length, so a confused or hostile
 *	peer yields a parse error, never an overrun. The same encoding is
 *	used for queue records on disk (lib/services/queue).
 */
#ifndef IPC_IPC_H
#define IPC_IPC_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* IPC_HDR - bytes before the first field: length (4) and type (1) */
#define IPC_HDR 5

/* struct ipc_out - a frame under construction (owns its buffer) */
struct ipc_out {
    struct buf b;
};

/* ipc_out_init, ipc_out_fini - embedded builder; reusable after begin */
void ipc_out_init(struct ipc_out *o);
void ipc_out_fini(struct ipc_out *o);
/* ipc_out_begin - start a new frame of the given type (0..255) */
void ipc_out_begin(struct ipc_out *o, int type);
void ipc_put_u32(struct ipc_out *o, uint32_t v);
void ipc_put_u64(struct ipc_out *o, uint64_t v);
/* ipc_put_str - a NUL-terminated string; NULL is sent as "" */
void ipc_put_str(struct ipc_out *o, const char *s);
void ipc_put_bytes(struct ipc_out *o, const void *p, size_t n);
/* ipc_out_finish - patch the length; returns the frame (borrowed, valid
 * until the next begin) and its size in *len */
char *ipc_out_finish(struct ipc_out *o, size_t *len);

/*
 * struct ipc_in - a cursor over one received frame. Getters never fail
 * loudly: on a wrong tag or a short frame they set bad and return 0/"".
 * Check ipc_in_ok() after the last field.
 */
struct ipc_in {
    const unsigned char *p;
    const unsigned char *end;
    int type;
    int bad;
};

/* ipc_in_init - frame (with its 5-byte header) of len bytes; -1 when the
 * header disagrees with len */
int ipc_in_init(struct ipc_in *in, const void *frame, size_t len) WARN_UNUSED;
uint32_t ipc_get_u32(struct ipc_in *in);
uint64_t ipc_get_u64(struct ipc_in *in);
/* ipc_get_str - borrowed, NUL-terminated, valid while the frame lives */
const char *ipc_get_str(struct ipc_in *in);
/* ipc_get_bytes - borrowed pointer and size (NULL, 0 on error) */
const void *ipc_get_bytes(struct ipc_in *in, size_t *n);
/* ipc_in_more - 1 while unread fields remain */
int ipc_in_more(const struct ipc_in *in);
/* ipc_in_ok - 1 when every get succeeded */
int ipc_in_ok(const struct ipc_in *in);

/* ipc_be32 - read a big-endian u32 */
uint32_t ipc_be32(const void *p);

/*
 * Blocking I/O on a stream socket, with a timeout in milliseconds
 * (negative: none).
 */
/* ipc_write_all - write n bytes to any descriptor (socket, pipe, file);
 * 0, or -1 with errno (ETIMEDOUT; EPIPE when a socket's peer is gone:
 * never SIGPIPE). A blocking descriptor waits in write(2) (bounded by
 * SO_SNDTIMEO, if set); timeout_ms bounds waits for a non-blocking one,
 * 0 for none at all */
int ipc_write_all(int fd, const void *p, size_t n, int timeout_ms) WARN_UNUSED;
/* ipc_send - ipc_out_finish and write the frame; 0 or -1 */
int ipc_send(int fd, struct ipc_out *o, int timeout_ms) WARN_UNUSED;
/* ipc_recv - read one frame into frame (replacing its text); 1 got one,
 * 0 clean EOF before a frame, -1 error (errno EMSGSIZE when the frame is
 * longer than limit, ETIMEDOUT, EPROTO on a truncated frame) */
int ipc_recv(int fd, struct buf *frame, size_t limit,
             int timeout_ms) WARN_UNUSED;
/* ipc_recv_reply - ipc_recv for a request/reply channel, where the peer
 * never sends unasked: header and body come in one read(2), and the
 * timeout is the socket's SO_RCVTIMEO (ipc_rcvtimeo), so a reply that is
 * not there yet costs one system call, not a poll and two reads. Inside
 * a coroutine the socket is non-blocking and timeout_ms applies. Bytes
 * past the frame are a protocol error (EPROTO). Same results as
 * ipc_recv. */
int ipc_recv_reply(int fd, struct buf *frame, size_t limit,
                   int timeout_ms) WARN_UNUSED;
/* ipc_rcvtimeo - set SO_RCVTIMEO (milliseconds, <= 0: none); 0 or -1 */
int ipc_rcvtimeo(int fd, int timeout_ms);
/* ipc_call - send o and receive the reply into frame; 0 or -1 */
int ipc_call(int fd, struct ipc_out *o, struct buf *frame, size_t limit,
             int timeout_ms) WARN_UNUSED;

/*
 * struct ipc_conn - a non-blocking connection for event loops: input is
 * read in bulk and split into frames, output is queued and flushed.
 */
struct ipc_conn {
    int fd;
    size_t limit;   /* largest acceptable frame */
    struct buf in;  /* received bytes */
    size_t in_off;  /* start of the first unconsumed frame */
    size_t in_next; /* end of the frame last returned */
    struct buf out; /* bytes not yet written */
    size_t out_off;
};

/* ipc_conn_init - adopt fd (made non-blocking) */
void ipc_conn_init(struct ipc_conn *c, int fd, size_t limit);
/* ipc_conn_fini - close fd and free buffers */
void ipc_conn_fini(struct ipc_conn *c);
/* ipc_conn_fill - read what is available: >0 bytes read, 0 EOF, -1 error,
 * -2 nothing available (EAGAIN) */
int ipc_conn_fill(struct ipc_conn *c);
/* ipc_conn_frame - next complete frame: 1 and *in set (valid until the
 * next fill or frame call), 0 none yet, -1 frame larger than limit */
int ipc_conn_frame(struct ipc_conn *c, struct ipc_in *in);
/* ipc_conn_queue - append a finished frame (or raw bytes) to the output */
void ipc_conn_queue(struct ipc_conn *c, struct ipc_out *o);
void ipc_conn_queue_raw(struct ipc_conn *c, const void *p, size_t n);
/* ipc_conn_flush - write queued output: 0 all written, 1 some left
 * (wait for POLLOUT), -1 error */
int ipc_conn_flush(struct ipc_conn *c);
/* ipc_conn_pending - bytes waiting to be written */
size_t ipc_conn_pending(const struct ipc_conn *c);
/* ipc_conn_events - what to poll c for: POLLIN, and POLLOUT while output
 * is queued */
short ipc_conn_events(const struct ipc_conn *c);
/* ipc_frame_fn - one received frame; nonzero stops the reading */
typedef int ipc_frame_fn(void *ctx, struct ipc_in *in);
/* ipc_conn_serve - a server's turn on c after poll reported revents:
 * flush queued output, read what arrived and hand fn each complete
 * frame until it returns nonzero. 0 while c lives, -1 when it is done
 * (end of file, error), -2 on a frame larger than c's limit */
int ipc_conn_serve(struct ipc_conn *c, short revents, ipc_frame_fn *fn,
                   void *ctx);

/*
 * UNIX-domain sockets.
 */
/* ipc_listen_unix - bind and listen at path (an old socket is removed)
 * with the given mode; fd or -1 */
int ipc_listen_unix(const char *path, int mode, int backlog) WARN_UNUSED;
/* ipc_connect_unix - blocking connect; fd or -1 */
int ipc_connect_unix(const char *path) WARN_UNUSED;
/* ipc_connect_service - a master.cf unix service by name: private/NAME,
 * else public/NAME (the entry's private field decides where master put
 * it); fd or -1 */
int ipc_connect_service(const char *name) WARN_UNUSED;
/* ipc_nonblock - set or clear O_NONBLOCK; 0 or -1 */
int ipc_nonblock(int fd, int on);
/* ipc_peer_uid - uid of the peer of a UNIX socket, or -1 */
long ipc_peer_uid(int fd);
/* ipc_peer_trusted - 1 when the peer of a UNIX socket (SO_PEERCRED, the
 * credentials at connect time) is root or runs as this process's
 * effective uid (mail_owner for a daemon started as root; the instance's
 * user when not started as root); 0 otherwise or when it cannot be told.
 * *uid gets the peer's uid (-1 unknown) when uid is not NULL. */
int ipc_peer_trusted(int fd, long *uid);

#endif
