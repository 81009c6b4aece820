/*
 * maps_proxy - the client of the proxymap service (proxy: tables inside
 *	a chroot jail).
 *
 * DESCRIPTION
 *	One connection to private/proxymap per process (relative to the
 *	queue directory, which is the working directory of every daemon and
 *	the root of a chrooted one), kept between requests as Postfix's
 *	dict_proxy keeps its stream. A request that fails on a kept
 *	connection (proxymap restarted: max_idle, reload) is sent once more
 *	on a fresh one.
 *
 *	The socket is blocking and every wait is a plain read or write
 *	bounded by SO_RCVTIMEO/SO_SNDTIMEO: a lookup never yields to
 *	another coroutine (smtpd workers run sessions as coroutines), so
 *	two sessions never interleave requests on the one connection. The
 *	process waits for proxymap's answer, as a Postfix smtpd does.
 */
#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ipc/ipc.h"
#include "maps/maps_int.h"

#define PROXY_TIMEOUT 100 /* seconds for one request and its reply */

static int proxy_fd = -1;

static void
proxy_close(void)
{
    if (proxy_fd >= 0)
        (void) close(proxy_fd);
    proxy_fd = -1;
}

static int
proxy_connect(void)
{
    struct timeval tv = {PROXY_TIMEOUT, 0};
    int fd = ipc_connect_unix(MAPS_PROXY_SOCKET);

    if (fd < 0)
        return -1;
    if (ipc_nonblock(fd, 0) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
        int e = errno;

        (void) close(fd);
        errno = e;
        return -1;
    }
    proxy_fd = fd;
    return 0;
}

/* get_all - read exactly n bytes; 0, or -1 (EPIPE at end of file) */
static int
get_all(int fd, char *p, size_t n)
{
    while (n > 0) {
        ssize_t r = read(fd, p, n);

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            errno = ETIMEDOUT;
        if (r == 0)
            errno = EPIPE;
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t) r;
    }
    return 0;
}

/* exchange - send the finished frame f, read the reply frame; 0 or -1 */
static int
exchange(const char *f, size_t len, struct buf *reply)
{
    char hdr[4];
    uint32_t n;

    /* timeout 0: the blocking socket's SO_SNDTIMEO is the only wait */
    if (ipc_write_all(proxy_fd, f, len, 0) < 0 || get_all(proxy_fd, hdr, 4) < 0)
        return -1;
    n = ipc_be32(hdr);
    if (n < 1 || n > MAPS_PROXY_FRAME_MAX) {
        errno = EPROTO;
        return -1;
    }
    buf_truncate(reply, 0);
    if (buf_append(reply, hdr, 4) < 0 || buf_reserve(reply, n) < 0)
        return -1;
    if (get_all(proxy_fd, reply->data + 4, n) < 0)
        return -1;
    reply->len = (size_t) n + 4;
    reply->data[reply->len] = 0;
    return 0;
}

int
maps_proxy_call(int type, const char *table, unsigned flags, const char *key,
                struct buf *value)
{
    struct ipc_out o;
    struct buf reply;
    struct ipc_in in;
    const char *f;
    size_t len;
    int status = -1, rc = -1;

    ipc_out_init(&o);
    ipc_out_begin(&o, type);
    ipc_put_str(&o, table);
    ipc_put_u32(&o, flags);
    if (key)
        ipc_put_str(&o, key);
    f = ipc_out_finish(&o, &len);
    buf_init(&reply, 0);
    buf_truncate(value, 0);
    for (int attempt = 0; attempt < 2 && rc < 0; attempt++) {
        int kept = proxy_fd >= 0;

        if (!kept && proxy_connect() < 0)
            break;
        rc = exchange(f, len, &reply);
        if (rc < 0) {
            int e = errno;

            proxy_close();
            errno = e;
            if (!kept || errno == ETIMEDOUT)
                break; /* a fresh connection failed: do not insist */
        }
    }
    if (rc < 0) {
        (void) buf_printf(value, "cannot reach the proxymap service (%s): %s",
                          MAPS_PROXY_SOCKET, strerror(errno));
    } else if (ipc_in_init(&in, reply.data, reply.len) < 0 ||
               in.type != MAPS_PROXY_REPLY) {
        proxy_close();
        (void) buf_puts(value, "malformed reply from the proxymap service");
    } else {
        uint32_t st = ipc_get_u32(&in);
        const char *v = ipc_get_str(&in);

        if (!ipc_in_ok(&in) || st > MAPS_PROXY_DENY) {
            proxy_close();
            (void) buf_puts(value, "malformed reply from the proxymap service");
        } else {
            status = (int) st;
            (void) buf_puts(value, v);
        }
    }
    buf_fini(&reply);
    ipc_out_fini(&o);
    return status;
}
