/*
 * ipc - typed, length-framed messages between Postern processes.
 *
 * DESCRIPTION
 *	Encoding: frame = u32 length (of everything after it, big-endian)
 *	+ u8 type + fields. Field tags: 'I' u32, 'L' u64, 'S' string
 *	(u32 size including the NUL, then the bytes), 'B' bytes (u32 size,
 *	bytes). Integers are big-endian.
 *
 * DIAGNOSTICS
 *	Parse errors set ipc_in.bad; I/O errors return -1 with errno.
 */
#define _GNU_SOURCE 1 /* SO_PEERCRED, struct ucred */
#include "ipc/ipc.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* put_be32, put_be64 - append big-endian integers */
static void
put_be32(struct buf *b, uint32_t v)
{
    unsigned char c[4] = {(unsigned char) (v >> 24), (unsigned char) (v >> 16),
                          (unsigned char) (v >> 8), (unsigned char) v};

    (void) buf_append(b, (const char *) c, 4);
}

static void
put_be64(struct buf *b, uint64_t v)
{
    put_be32(b, (uint32_t) (v >> 32));
    put_be32(b, (uint32_t) v);
}

uint32_t
ipc_be32(const void *p)
{
    const unsigned char *c = p;

    return (uint32_t) c[0] << 24 | (uint32_t) c[1] << 16 |
           (uint32_t) c[2] << 8 | c[3];
}

void
ipc_out_init(struct ipc_out *o)
{
    buf_init(&o->b, 0);
}

void
ipc_out_fini(struct ipc_out *o)
{
    buf_fini(&o->b);
}

void
ipc_out_begin(struct ipc_out *o, int type)
{
    buf_truncate(&o->b, 0);
    put_be32(&o->b, 0);
    (void) buf_putc(&o->b, type & 0xff);
}

void
ipc_put_u32(struct ipc_out *o, uint32_t v)
{
    (void) buf_putc(&o->b, 'I');
    put_be32(&o->b, v);
}

void
ipc_put_u64(struct ipc_out *o, uint64_t v)
{
    (void) buf_putc(&o->b, 'L');
    put_be64(&o->b, v);
}

void
ipc_put_str(struct ipc_out *o, const char *s)
{
    size_t n = s ? strlen(s) : 0;

    (void) buf_putc(&o->b, 'S');
    put_be32(&o->b, (uint32_t) (n + 1));
    (void) buf_append(&o->b, s ? s : "", n + 1);
}

void
ipc_put_bytes(struct ipc_out *o, const void *p, size_t n)
{
    (void) buf_putc(&o->b, 'B');
    put_be32(&o->b, (uint32_t) n);
    (void) buf_append(&o->b, p, n);
}

char *
ipc_out_finish(struct ipc_out *o, size_t *len)
{
    uint32_t n = (uint32_t) (o->b.len - 4);
    unsigned char *c = (unsigned char *) o->b.data;

    c[0] = (unsigned char) (n >> 24);
    c[1] = (unsigned char) (n >> 16);
    c[2] = (unsigned char) (n >> 8);
    c[3] = (unsigned char) n;
    *len = o->b.len;
    return o->b.data;
}

int
ipc_in_init(struct ipc_in *in, const void *frame, size_t len)
{
    const unsigned char *c = frame;

    in->bad = 1;
    in->p = in->end = c;
    in->type = -1;
    if (len < IPC_HDR || ipc_be32(c) != len - 4)
        return -1;
    in->type = c[4];
    in->p = c + IPC_HDR;
    in->end = c + len;
    in->bad = 0;
    return 0;
}

/* field - check the tag and that n more bytes follow; NULL on error */
static const unsigned char *
field(struct ipc_in *in, int tag, size_t n)
{
    const unsigned char *p;

    if (in->bad || in->end - in->p < (ptrdiff_t) (1 + n) || in->p[0] != tag) {
        in->bad = 1;
        return NULL;
    }
    p = in->p + 1;
    in->p += 1 + n;
    return p;
}

uint32_t
ipc_get_u32(struct ipc_in *in)
{
    const unsigned char *p = field(in, 'I', 4);

    return p ? ipc_be32(p) : 0;
}

uint64_t
ipc_get_u64(struct ipc_in *in)
{
    const unsigned char *p = field(in, 'L', 8);

    return p ? (uint64_t) ipc_be32(p) << 32 | ipc_be32(p + 4) : 0;
}

const void *
ipc_get_bytes(struct ipc_in *in, size_t *n)
{
    const unsigned char *p = field(in, 'B', 4);
    size_t len;

    *n = 0;
    if (p == NULL)
        return NULL;
    len = ipc_be32(p);
    if ((size_t) (in->end - in->p) < len) {
        in->bad = 1;
        return NULL;
    }
    in->p += len;
    *n = len;
    return p + 4;
}

const char *
ipc_get_str(struct ipc_in *in)
{
    const unsigned char *p = field(in, 'S', 4);
    size_t len;

    if (p == NULL)
        return "";
    len = ipc_be32(p);
    if (len == 0 || (size_t) (in->end - in->p) < len || p[4 + len - 1] != 0 ||
        memchr(p + 4, 0, len - 1) != NULL) {
        in->bad = 1;
        return "";
    }
    in->p += len;
    return (const char *) p + 4;
}

int
ipc_in_more(const struct ipc_in *in)
{
    return !in->bad && in->p < in->end;
}

int
ipc_in_ok(const struct ipc_in *in)
{
    return !in->bad;
}

static int
wait_fd(int fd, short ev, long long deadline)
{
    struct pollfd p = {.fd = fd, .events = ev};
    int rc;

    for (;;) {
        int t = -1;

        if (deadline >= 0) {
            long long left = deadline - util_monotonic_ms();

            if (left <= 0) {
                errno = ETIMEDOUT;
                return -1;
            }
            t = left > 1000000 ? 1000000 : (int) left;
        }
        if (co_active()) {
            /* one of many sessions: the others run meanwhile */
            if (co_wait(fd, ev & POLLOUT ? CO_OUT : CO_IN, t) == 0)
                return 0;
            if (errno == ETIMEDOUT || errno == EINTR)
                continue; /* the deadline check decides */
            return -1;
        }
        rc = poll(&p, 1, t);
        if (rc > 0)
            return 0;
        if (rc < 0 && errno != EINTR)
            return -1;
    }
}

int
ipc_write_all(int fd, const void *p, size_t n, int timeout_ms)
{
    const char *c = p;
    long long deadline = timeout_ms < 0 ? -1 : util_monotonic_ms() + timeout_ms;
    int sock = 1;

    while (n > 0) {
        /* send(2) on a socket: a peer that went away is EPIPE, not a
         * SIGPIPE that ends the process; write(2) on anything else */
        ssize_t w = sock ? send(fd, c, n, MSG_NOSIGNAL) : write(fd, c, n);

        if (w < 0 && sock && errno == ENOTSOCK) {
            sock = 0;
            continue;
        }

        if (w > 0) {
            c += w;
            n -= (size_t) w;
        } else if (w < 0 && errno == EINTR) {
            continue;
        } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (wait_fd(fd, POLLOUT, deadline) < 0)
                return -1;
        } else {
            return -1;
        }
    }
    return 0;
}

int
ipc_send(int fd, struct ipc_out *o, int timeout_ms)
{
    size_t len;
    const char *f = ipc_out_finish(o, &len);

    return ipc_write_all(fd, f, len, timeout_ms);
}

/* read_some - one read(2) of up to n bytes: bytes, 0 at end of file, or
 * -1. EAGAIN means wait (a non-blocking socket, or any socket in a
 * coroutine) until deadline, except with rcvtimeo on a blocking socket,
 * where it is SO_RCVTIMEO expiring (ETIMEDOUT) */
static ssize_t
read_some(int fd, char *p, size_t n, long long deadline, int rcvtimeo)
{
    for (;;) {
        ssize_t r = read(fd, p, n);

        if (r >= 0)
            return r;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return -1;
        if (rcvtimeo && !co_active()) {
            errno = ETIMEDOUT;
            return -1;
        }
        if (wait_fd(fd, POLLIN, deadline) < 0)
            return -1;
    }
}

/* fill_more - read into p[*got, n) once, advancing *got: 1 some bytes,
 * 0 end of file before any (*got == 0), -1 error or end of file inside
 * a frame (EPROTO) */
static int
fill_more(int fd, char *p, size_t n, size_t *got, long long deadline,
          int rcvtimeo)
{
    ssize_t r = read_some(fd, p + *got, n - *got, deadline, rcvtimeo);

    if (r < 0)
        return -1;
    if (r == 0) {
        if (*got == 0)
            return 0;
        errno = EPROTO;
        return -1;
    }
    *got += (size_t) r;
    return 1;
}

/* read_n - read exactly n bytes; 1 ok, 0 EOF at start, -1 error */
static int
read_n(int fd, char *p, size_t n, long long deadline)
{
    size_t got = 0;
    int rc;

    while (got < n)
        if ((rc = fill_more(fd, p, n, &got, deadline, 0)) <= 0)
            return rc;
    return 1;
}

int
ipc_recv(int fd, struct buf *frame, size_t limit, int timeout_ms)
{
    long long deadline = timeout_ms < 0 ? -1 : util_monotonic_ms() + timeout_ms;
    char hdr[4];
    uint32_t n;
    int rc;

    if (timeout_ms >= 0 && wait_fd(fd, POLLIN, deadline) < 0)
        return -1;
    rc = read_n(fd, hdr, 4, deadline);
    if (rc <= 0)
        return rc;
    n = ipc_be32(hdr);
    if (n < 1 || n > limit) {
        errno = EMSGSIZE;
        return -1;
    }
    buf_truncate(frame, 0);
    if (buf_append(frame, hdr, 4) < 0)
        return -1;
    /* Grow once, then read straight into the buffer. */
    if (frame->cap < (size_t) n + 5) {
        frame->data = mem_realloc(frame->data, (size_t) n + 5);
        frame->cap = (size_t) n + 5;
    }
    rc = read_n(fd, frame->data + 4, n, deadline);
    if (rc == 0) {
        errno = EPROTO;
        return -1;
    }
    if (rc < 0)
        return -1;
    frame->len = (size_t) n + 4;
    frame->data[frame->len] = 0;
    return 1;
}

int
ipc_rcvtimeo(int fd, int timeout_ms)
{
    struct timeval tv = {0, 0};

    if (timeout_ms > 0) {
        tv.tv_sec = timeout_ms / 1000;
        tv.tv_usec = (timeout_ms % 1000) * 1000;
    }
    return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

int
ipc_recv_reply(int fd, struct buf *frame, size_t limit, int timeout_ms)
{
    size_t got = 0, want = 4;
    uint32_t n = 0;
    long long deadline = timeout_ms > 0 ? util_monotonic_ms() + timeout_ms : -1;

    if (frame->cap < limit + 5) {
        frame->data = mem_realloc(frame->data, limit + 5);
        frame->cap = limit + 5;
    }
    while (got < want) {
        int rc = fill_more(fd, frame->data, limit + 4, &got, deadline, 1);

        if (rc <= 0)
            return rc;
        if (want == 4 && got >= 4) {
            n = ipc_be32(frame->data);
            if (n < 1 || n > limit) {
                errno = EMSGSIZE;
                return -1;
            }
            want = (size_t) n + 4;
        }
    }
    if (got != want) {
        errno = EPROTO;
        return -1;
    }
    frame->len = got;
    frame->data[frame->len] = 0;
    return 1;
}

int
ipc_call(int fd, struct ipc_out *o, struct buf *frame, size_t limit,
         int timeout_ms)
{
    int rc;

    if (ipc_send(fd, o, timeout_ms) < 0)
        return -1;
    rc = ipc_recv(fd, frame, limit, timeout_ms);
    if (rc == 0) {
        errno = EPIPE;
        return -1;
    }
    return rc < 0 ? -1 : 0;
}

void
ipc_conn_init(struct ipc_conn *c, int fd, size_t limit)
{
    c->fd = fd;
    c->limit = limit;
    buf_init(&c->in, 0);
    buf_init(&c->out, 0);
    c->in_off = c->in_next = c->out_off = 0;
    (void) ipc_nonblock(fd, 1);
}

void
ipc_conn_fini(struct ipc_conn *c)
{
    if (c->fd >= 0)
        (void) close(c->fd);
    c->fd = -1;
    buf_fini(&c->in);
    buf_fini(&c->out);
}

int
ipc_conn_fill(struct ipc_conn *c)
{
    ssize_t r;

    /* Drop consumed frames before reading more. */
    if (c->in_next > c->in_off)
        c->in_off = c->in_next;
    if (c->in_off > 0 && (c->in_off == c->in.len || c->in_off > 65536)) {
        memmove(c->in.data, c->in.data + c->in_off, c->in.len - c->in_off);
        buf_truncate(&c->in, c->in.len - c->in_off);
        c->in_off = c->in_next = 0;
    }
    if (c->in.cap - c->in.len < 65536 + 1) {
        size_t cap = c->in.len + 65536 + 1;

        c->in.data = mem_realloc(c->in.data, cap);
        c->in.cap = cap;
    }
    do
        r = read(c->fd, c->in.data + c->in.len, c->in.cap - c->in.len - 1);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK ? -2 : -1;
    c->in.len += (size_t) r;
    c->in.data[c->in.len] = 0;
    return (int) (r > 0 ? 1 : 0);
}

int
ipc_conn_frame(struct ipc_conn *c, struct ipc_in *in)
{
    size_t avail;
    uint32_t n;

    if (c->in_next > c->in_off)
        c->in_off = c->in_next;
    avail = c->in.len - c->in_off;
    if (avail < 4)
        return 0;
    n = ipc_be32(c->in.data + c->in_off);
    if (n < 1 || n > c->limit)
        return -1;
    if (avail < (size_t) n + 4)
        return 0;
    if (ipc_in_init(in, c->in.data + c->in_off, (size_t) n + 4) < 0)
        return -1;
    c->in_next = c->in_off + n + 4;
    return 1;
}

void
ipc_conn_queue_raw(struct ipc_conn *c, const void *p, size_t n)
{
    if (c->out_off == c->out.len) {
        buf_truncate(&c->out, 0);
        c->out_off = 0;
    }
    (void) buf_append(&c->out, p, n);
}

void
ipc_conn_queue(struct ipc_conn *c, struct ipc_out *o)
{
    size_t len;
    const char *f = ipc_out_finish(o, &len);

    ipc_conn_queue_raw(c, f, len);
}

int
ipc_conn_flush(struct ipc_conn *c)
{
    while (c->out_off < c->out.len) {
        ssize_t w =
            write(c->fd, c->out.data + c->out_off, c->out.len - c->out_off);

        if (w > 0)
            c->out_off += (size_t) w;
        else if (w < 0 && errno == EINTR)
            continue;
        else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 1;
        else
            return -1;
    }
    buf_truncate(&c->out, 0);
    c->out_off = 0;
    return 0;
}

short
ipc_conn_events(const struct ipc_conn *c)
{
    return (short) (POLLIN | (ipc_conn_pending(c) ? POLLOUT : 0));
}

int
ipc_conn_serve(struct ipc_conn *c, short revents, ipc_frame_fn *fn, void *ctx)
{
    struct ipc_in in;
    int r;

    if (revents & POLLOUT && ipc_conn_flush(c) < 0)
        return -1;
    if (!(revents & (POLLIN | POLLHUP | POLLERR)))
        return 0;
    r = ipc_conn_fill(c);
    if (r == 0 || r == -1)
        return -1;
    while ((r = ipc_conn_frame(c, &in)) == 1)
        if (fn(ctx, &in) != 0)
            return 0;
    return r < 0 ? -2 : 0;
}

size_t
ipc_conn_pending(const struct ipc_conn *c)
{
    return c->out.len - c->out_off;
}

int
ipc_nonblock(int fd, int on)
{
    int fl = fcntl(fd, F_GETFL);

    if (fl < 0)
        return -1;
    fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
    return fcntl(fd, F_SETFL, fl);
}

int
ipc_listen_unix(const char *path, int mode, int backlog)
{
    struct sockaddr_un sun;
    int fd;

    if (strlen(path) >= sizeof(sun.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    memcpy(sun.sun_path, path, strlen(path) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    (void) unlink(path);
    if (bind(fd, (struct sockaddr *) &sun, sizeof(sun)) < 0 ||
        chmod(path, (mode_t) mode) < 0 || listen(fd, backlog) < 0) {
        int e = errno;

        (void) close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

int
ipc_connect_unix(const char *path)
{
    struct sockaddr_un sun;
    int fd, rc;

    if (strlen(path) >= sizeof(sun.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    memcpy(sun.sun_path, path, strlen(path) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    do
        rc = connect(fd, (struct sockaddr *) &sun, sizeof(sun));
    while (rc < 0 && errno == EINTR);
    if (rc < 0) {
        int e = errno;

        (void) close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

long
ipc_peer_uid(int fd)
{
    struct ucred cr;
    socklen_t len = sizeof(cr);

    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
        return -1;
    return (long) cr.uid;
}

int
ipc_peer_trusted(int fd, long *uid)
{
    long u = ipc_peer_uid(fd);

    if (uid)
        *uid = u;
    return u == 0 || (u >= 0 && u == (long) geteuid());
}

int
ipc_connect_service(const char *name)
{
    char path[300];
    int fd;

    snprintf(path, sizeof(path), "private/%s", name);
    fd = ipc_connect_unix(path);
    if (fd >= 0 || (errno != ENOENT && errno != ECONNREFUSED))
        return fd;
    snprintf(path, sizeof(path), "public/%s", name);
    return ipc_connect_unix(path);
}
