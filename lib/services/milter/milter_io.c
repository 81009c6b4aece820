/*
 * milter_io - one milter connection: connect with a timeout, packets
 * (u32 length, command byte, data) written and read with poll limits.
 */
#define _DEFAULT_SOURCE 1
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "milter/milter.h"
#include "milter/milter_int.h"

#define PKT_LIMIT (16u << 20)

/* wait_fd - poll fd for ev within timeout seconds; 0 or -1 (err set) */
static int
wait_fd(struct milter_conn *c, short ev, int timeout)
{
    struct pollfd p = {c->fd, ev, 0};
    int r;

    do
        r = poll(&p, 1, timeout > 0 ? timeout * 1000 : -1);
    while (r < 0 && errno == EINTR);
    if (r == 0) {
        snprintf(c->err, sizeof(c->err), "timeout");
        return -1;
    }
    if (r < 0) {
        snprintf(c->err, sizeof(c->err), "%s", strerror(errno));
        return -1;
    }
    return 0;
}

/* try_connect - a non-blocking connect to sa, waited for */
static int
try_connect(struct milter_conn *c, int family, const struct sockaddr *sa,
            socklen_t len, int timeout)
{
    int err = 0;
    socklen_t el = sizeof(err);

    c->fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (c->fd < 0) {
        snprintf(c->err, sizeof(c->err), "%s", strerror(errno));
        return -1;
    }
    if (connect(c->fd, sa, len) < 0) {
        if (errno != EINPROGRESS) {
            err = errno;
        } else if (wait_fd(c, POLLOUT, timeout) < 0) {
            (void) close(c->fd);
            c->fd = -1;
            return -1;
        } else if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0) {
            err = errno;
        }
    }
    if (err) {
        snprintf(c->err, sizeof(c->err), "%s", strerror(err));
        (void) close(c->fd);
        c->fd = -1;
        return -1;
    }
    return 0;
}

int
milter_conn_open(struct milter_conn *c, const char *spec, const char *qdir,
                 int timeout)
{
    c->fd = -1;
    c->err[0] = 0;
    if (strncmp(spec, "unix:", 5) == 0) {
        struct sockaddr_un sun;

        memset(&sun, 0, sizeof(sun));
        sun.sun_family = AF_UNIX;
        if (spec[5] == '/' || qdir == NULL)
            snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", spec + 5);
        else
            snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s", qdir,
                     spec + 5);
        return try_connect(c, AF_UNIX, (struct sockaddr *) &sun, sizeof(sun),
                           timeout);
    }
    if (strncmp(spec, "inet:", 5) == 0) {
        char host[256];
        const char *hp = spec + 5, *colon = strrchr(hp, ':');
        struct addrinfo hints, *res = NULL, *ai;
        int rc;

        if (colon == NULL || (size_t) (colon - hp) >= sizeof(host)) {
            snprintf(c->err, sizeof(c->err), "bad address");
            return -1;
        }
        /* inet:port@host is sendmail's form; Postfix takes host:port */
        snprintf(host, sizeof(host), "%.*s", (int) (colon - hp), hp);
        if (host[0] == '[' && host[strlen(host) - 1] == ']') {
            memmove(host, host + 1, strlen(host));
            host[strlen(host) - 1] = 0;
        }
        memset(&hints, 0, sizeof(hints));
        hints.ai_socktype = SOCK_STREAM;
        if ((rc = getaddrinfo(host, colon + 1, &hints, &res)) != 0) {
            snprintf(c->err, sizeof(c->err), "%s", gai_strerror(rc));
            return -1;
        }
        for (ai = res; ai && c->fd < 0; ai = ai->ai_next)
            (void) try_connect(c, ai->ai_family, ai->ai_addr, ai->ai_addrlen,
                               timeout);
        freeaddrinfo(res);
        return c->fd < 0 ? -1 : 0;
    }
    snprintf(c->err, sizeof(c->err), "unsupported transport");
    return -1;
}

void
milter_conn_close(struct milter_conn *c)
{
    if (c->fd >= 0)
        (void) close(c->fd);
    c->fd = -1;
}

int
milter_conn_send(struct milter_conn *c, int cmd, const void *data, size_t len,
                 int timeout)
{
    unsigned char hdr[5];
    uint32_t n = (uint32_t) len + 1;
    size_t off = 0, total = len + 5;

    hdr[0] = (unsigned char) (n >> 24);
    hdr[1] = (unsigned char) (n >> 16);
    hdr[2] = (unsigned char) (n >> 8);
    hdr[3] = (unsigned char) n;
    hdr[4] = (unsigned char) cmd;
    while (off < total) {
        const char *p = off < 5 ? (const char *) hdr + off
                                : (const char *) data + (off - 5);
        size_t want = off < 5 ? 5 - off : total - off;
        ssize_t w;

        if (wait_fd(c, POLLOUT, timeout) < 0)
            return -1;
        w = send(c->fd, p, want, MSG_NOSIGNAL);
        if (w < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (w <= 0) {
            snprintf(c->err, sizeof(c->err), "%s", strerror(errno));
            return -1;
        }
        off += (size_t) w;
    }
    return 0;
}

/* read_n - exactly n bytes into p */
static int
read_n(struct milter_conn *c, char *p, size_t n, int timeout)
{
    while (n > 0) {
        ssize_t r;

        if (wait_fd(c, POLLIN, timeout) < 0)
            return -1;
        r = read(c->fd, p, n);
        if (r < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (r <= 0) {
            snprintf(c->err, sizeof(c->err), "%s",
                     r == 0 ? "unexpected EOF" : strerror(errno));
            return -1;
        }
        p += r;
        n -= (size_t) r;
    }
    return 0;
}

int
milter_conn_recv(struct milter_conn *c, struct buf *pkt, int timeout)
{
    unsigned char h[4];
    uint32_t n;

    if (read_n(c, (char *) h, 4, timeout) < 0)
        return -1;
    n = (uint32_t) h[0] << 24 | (uint32_t) h[1] << 16 | (uint32_t) h[2] << 8 |
        h[3];
    if (n == 0 || n > PKT_LIMIT) {
        snprintf(c->err, sizeof(c->err), "bad packet length %u", n);
        return -1;
    }
    buf_truncate(pkt, 0);
    if (buf_reserve(pkt, n) < 0)
        return -1;
    if (read_n(c, buf_data(pkt), n, timeout) < 0)
        return -1;
    pkt->len = n;
    buf_data(pkt)[n] = 0;
    return 0;
}
