/*
 * maps_socketmap - socketmap:inet:host:port:name and
 *	socketmap:unix:/path:name, Postfix's dict_sockmap (Sendmail's
 *	socketmap protocol): the request is the netstring "name key", the
 *	reply a netstring "OK value", "NOTFOUND ", or "TEMP reason",
 *	"TIMEOUT reason", "PERM reason" (each a failure of the lookup: the
 *	caller defers). The connection is kept for the next lookup and
 *	made again once when the server closed it. A server that cannot be
 *	reached, or does not answer within 100 seconds (Postfix's
 *	DICT_SOCKMAP_DEF_TIMEOUT), is a temporary failure, never "not
 *	found".
 *
 *	maps_net_connect and maps_net_io are shared with maps_tcp.c.
 */
#define _DEFAULT_SOURCE 1
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "maps/maps_int.h"

#define SOCKMAP_TIMEOUT   100 /* seconds */
#define SOCKMAP_MAX_REPLY 100000

/* wait_fd - poll fd for events until deadline; 0, or -1 (timed out) */
static int
wait_fd(int fd, short events, time_t deadline)
{
    for (;;) {
        struct pollfd p = {fd, events, 0};
        time_t left = deadline - time(NULL);
        int n;

        if (left <= 0)
            return -1;
        n = poll(&p, 1, (int) (left > 3600 ? 3600000 : left * 1000));
        if (n > 0)
            return 0;
        if (n < 0 && errno != EINTR)
            return -1;
    }
}

/* connect_one - a non-blocking connect to addr within timeout */
static int
connect_one(int family, const struct sockaddr *sa, socklen_t len, int timeout)
{
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int err = 0;
    socklen_t el = sizeof(err);

    if (fd < 0)
        return -1;
    if (connect(fd, sa, len) == 0)
        return fd;
    if (errno != EINPROGRESS ||
        wait_fd(fd, POLLOUT, time(NULL) + timeout) < 0 ||
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err != 0) {
        if (err)
            errno = err;
        else if (errno == EINPROGRESS)
            errno = ETIMEDOUT;
        (void) close(fd);
        return -1;
    }
    return fd;
}

int
maps_net_connect(const char *endpoint, int timeout, char *err, size_t errlen)
{
    int fd = -1;

    if (strncmp(endpoint, "unix:", 5) == 0) {
        struct sockaddr_un sun;

        memset(&sun, 0, sizeof(sun));
        sun.sun_family = AF_UNIX;
        if (strlen(endpoint + 5) >= sizeof(sun.sun_path)) {
            snprintf(err, errlen, "socket name too long: %s", endpoint + 5);
            return -1;
        }
        memcpy(sun.sun_path, endpoint + 5, strlen(endpoint + 5) + 1);
        fd = connect_one(AF_UNIX, (struct sockaddr *) &sun, sizeof(sun),
                         timeout);
    } else {
        const char *hp =
            strncmp(endpoint, "inet:", 5) == 0 ? endpoint + 5 : endpoint;
        const char *colon = strrchr(hp, ':');
        char host[256];
        struct addrinfo hints, *res = NULL, *ai;
        int gai;

        if (colon == NULL || colon == hp ||
            (size_t) (colon - hp) >= sizeof(host)) {
            snprintf(err, errlen, "bad endpoint \"%s\": need host:port",
                     endpoint);
            return -1;
        }
        memcpy(host, hp, (size_t) (colon - hp));
        host[colon - hp] = 0;
        if (host[0] == '[' && host[strlen(host) - 1] == ']') {
            memmove(host, host + 1, strlen(host));
            host[strlen(host) - 1] = 0;
        }
        memset(&hints, 0, sizeof(hints));
        hints.ai_socktype = SOCK_STREAM;
        if ((gai = getaddrinfo(host, colon + 1, &hints, &res)) != 0) {
            snprintf(err, errlen, "%s: %s", endpoint, gai_strerror(gai));
            return -1;
        }
        for (ai = res; ai && fd < 0; ai = ai->ai_next)
            fd = connect_one(ai->ai_family, ai->ai_addr, ai->ai_addrlen,
                             timeout);
        freeaddrinfo(res);
    }
    if (fd < 0)
        snprintf(err, errlen, "connect to %s: %s", endpoint, strerror(errno));
    return fd;
}

int
maps_net_io(int fd, const void *req, size_t len, struct buf *in,
            int (*done)(const struct buf *in), int timeout, char *err,
            size_t errlen)
{
    const char *p = req;
    time_t deadline = time(NULL) + timeout;

    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (wait_fd(fd, POLLOUT, deadline) < 0) {
                snprintf(err, errlen, "timeout sending the request");
                return -1;
            }
            continue;
        }
        if (n <= 0) {
            snprintf(err, errlen, "send: %s", strerror(errno));
            return -1;
        }
        p += n;
        len -= (size_t) n;
    }
    buf_truncate(in, 0);
    for (;;) {
        char chunk[4096];
        ssize_t n;
        int d = done(in);

        if (d != 0)
            return d < 0 ? (snprintf(err, errlen, "malformed reply"), -1) : 0;
        if (wait_fd(fd, POLLIN, deadline) < 0) {
            snprintf(err, errlen, "timeout waiting for the reply");
            return -1;
        }
        n = recv(fd, chunk, sizeof(chunk), 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (n <= 0) {
            snprintf(err, errlen, "%s",
                     n == 0 ? "connection closed by the server"
                            : strerror(errno));
            return -2; /* the caller may connect again */
        }
        if (in->len + (size_t) n > SOCKMAP_MAX_REPLY) {
            snprintf(err, errlen, "reply too long");
            return -1;
        }
        (void) buf_append(in, chunk, (size_t) n);
    }
}

struct sockmap {
    char *endpoint; /* inet:host:port or unix:/path */
    char *name;     /* the socketmap's map name */
    int fd;
};

static void *
sm_open(const char *name, unsigned flags, char *err, size_t errlen)
{
    const char *last = strrchr(name, ':');
    struct sockmap *s;

    (void) flags;
    if ((strncmp(name, "inet:", 5) != 0 && strncmp(name, "unix:", 5) != 0) ||
        last == NULL || last <= name + 5 || last[1] == 0) {
        snprintf(err, errlen,
                 "need socketmap:inet:host:port:name or "
                 "socketmap:unix:pathname:name");
        return NULL;
    }
    s = mem_calloc(1, sizeof(*s));
    s->endpoint = mem_strndup(name, (size_t) (last - name));
    s->name = mem_strdup(last + 1);
    s->fd = -1;
    return s;
}

/* netstring_done - 1 when in holds one whole netstring, 0 not yet, -1
 * malformed */
static int
netstring_done(const struct buf *in)
{
    size_t i = 0, n = 0;

    for (; i < in->len && in->data[i] >= '0' && in->data[i] <= '9'; i++) {
        n = n * 10 + (size_t) (in->data[i] - '0');
        if (n > SOCKMAP_MAX_REPLY)
            return -1;
    }
    if (i == in->len)
        return 0;
    if (i == 0 || in->data[i] != ':')
        return -1;
    if (in->len < i + 1 + n + 1)
        return 0;
    return in->data[i + 1 + n] == ',' ? 1 : -1;
}

static enum maps_result
sm_find(void *h, const char *key, struct buf *out, char *err, size_t errlen)
{
    struct sockmap *s = h;
    struct buf req, in;
    enum maps_result r = MAPS_ERROR;
    int rc = -2;

    buf_init(&req, 0);
    buf_init(&in, 0);
    (void) buf_printf(&req, "%zu:%s %s,", strlen(s->name) + 1 + strlen(key),
                      s->name, key);
    for (int attempt = 0; attempt < 2 && rc == -2; attempt++) {
        if (s->fd < 0 && (s->fd = maps_net_connect(s->endpoint, SOCKMAP_TIMEOUT,
                                                   err, errlen)) < 0)
            break;
        rc = maps_net_io(s->fd, req.data, req.len, &in, netstring_done,
                         SOCKMAP_TIMEOUT, err, errlen);
        if (rc < 0) {
            (void) close(s->fd);
            s->fd = -1;
        }
    }
    if (rc == 0) {
        const char *v = strchr(buf_str(&in), ':') + 1;
        size_t n = strtoul(buf_str(&in), NULL, 10);
        char *reply = mem_strndup(v, n);

        if (strncmp(reply, "OK ", 3) == 0 || strcmp(reply, "OK") == 0) {
            (void) buf_puts(out, reply[2] ? reply + 3 : "");
            r = MAPS_FOUND;
        } else if (strncmp(reply, "NOTFOUND", 8) == 0) {
            r = MAPS_NOTFOUND;
        } else if (strncmp(reply, "TEMP", 4) == 0 ||
                   strncmp(reply, "TIMEOUT", 7) == 0 ||
                   strncmp(reply, "PERM", 4) == 0) {
            snprintf(err, errlen, "socketmap server %s reports: %s",
                     s->endpoint, reply);
        } else {
            snprintf(err, errlen, "socketmap server %s: malformed reply: %s",
                     s->endpoint, reply);
        }
        mem_free(reply);
    }
    buf_fini(&req);
    buf_fini(&in);
    return r;
}

static void
sm_close(void *h)
{
    struct sockmap *s = h;

    if (s->fd >= 0)
        (void) close(s->fd);
    mem_free(s->endpoint);
    mem_free(s->name);
    mem_free(s);
}

static int
sm_check(const char *name, char *why, size_t len)
{
    void *h = sm_open(name, 0, why, len);

    if (h == NULL)
        return -1;
    sm_close(h);
    return 0;
}

/* keys as given: Postfix folds them only with DICT_FLAG_FOLD_MUL, which
 * neither postmap -q nor the daemons' tables set */
const struct maps_driver maps_drv_socketmap = {
    "socketmap", MAPS_DRV_RAWKEY, sm_open, sm_find, sm_close, sm_check,
};
