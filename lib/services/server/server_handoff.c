/*
 * server_handoff - pass inbound sessions from the smtpd front to workers.
 *
 * DESCRIPTION
 *	See server.h. The channel is a SOCK_SEQPACKET socketpair, so each
 *	session is one message: a fixed header, the bytes the front read,
 *	and the socket as SCM_RIGHTS; done records go the other way. A
 *	message is taken whole by exactly one of the workers reading the
 *	shared end, which balances like accept() on a shared listener.
 */
#define _GNU_SOURCE 1 /* MSG_CMSG_CLOEXEC */
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "server/server.h"

#define MAGIC_SESSION 0x50484f31u /* "PHO1" */
#define MAGIC_DONE    0x50484431u /* "PHD1" */

struct wire {
    uint32_t magic;
    uint32_t flags;
    uint32_t len;
    uint32_t timeout;
    uint32_t anvil_ref;
    char key[SERVER_ADDR_MAX];
};

int
server_handoff_send(int chan, int fd, const struct server_handoff *h)
{
    struct wire w;
    char data[SERVER_HANDOFF_DATA_MAX]; /* iovec's base is not const */
    struct iovec iov[2];
    struct msghdr msg;
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct cmsghdr *c;
    ssize_t n;

    if (h->len > SERVER_HANDOFF_DATA_MAX) {
        errno = EINVAL;
        return -1;
    }
    memset(&w, 0, sizeof(w));
    w.magic = MAGIC_SESSION;
    w.flags = h->flags;
    w.len = (uint32_t) h->len;
    w.timeout = h->timeout;
    w.anvil_ref = h->anvil_ref;
    memcpy(w.key, h->key, sizeof(w.key));
    w.key[sizeof(w.key) - 1] = 0;
    iov[0].iov_base = &w;
    iov[0].iov_len = sizeof(w);
    memcpy(data, h->data, h->len);
    iov[1].iov_base = data;
    iov[1].iov_len = h->len;
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = iov;
    msg.msg_iovlen = h->len ? 2 : 1;
    memset(&ctl, 0, sizeof(ctl));
    msg.msg_control = ctl.buf;
    msg.msg_controllen = sizeof(ctl.buf);
    c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    do
        n = sendmsg(chan, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n < 0 ? -1 : 0;
}

static int recv_flags(int chan, struct server_handoff *h, int flags);

int
server_handoff_recv(int chan, struct server_handoff *h)
{
    return recv_flags(chan, h, 0);
}

int
server_handoff_try(int chan, struct server_handoff *h)
{
    return recv_flags(chan, h, MSG_DONTWAIT);
}

static int
recv_flags(int chan, struct server_handoff *h, int flags)
{
    for (;;) {
        struct wire w;
        struct iovec iov[2];
        struct msghdr msg;
        union {
            char buf[CMSG_SPACE(sizeof(int) * 4)];
            struct cmsghdr align;
        } ctl;
        struct cmsghdr *c;
        int fd = -1;
        ssize_t n;

        iov[0].iov_base = &w;
        iov[0].iov_len = sizeof(w);
        iov[1].iov_base = h->data;
        iov[1].iov_len = sizeof(h->data);
        memset(&msg, 0, sizeof(msg));
        msg.msg_iov = iov;
        msg.msg_iovlen = 2;
        msg.msg_control = ctl.buf;
        msg.msg_controllen = sizeof(ctl.buf);
        n = recvmsg(chan, &msg, MSG_CMSG_CLOEXEC | flags);
        if (n <= 0) {
            if (n == 0)
                errno = 0;
            return -1;
        }
        for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                continue;
            for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                 i++) {
                int got;

                memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                if (fd < 0)
                    fd = got;
                else
                    (void) close(got);
            }
        }
        if (fd >= 0 && (size_t) n >= sizeof(w) && w.magic == MAGIC_SESSION &&
            w.len == (size_t) n - sizeof(w) && !(msg.msg_flags & MSG_TRUNC)) {
            h->flags = w.flags;
            h->timeout = w.timeout;
            h->anvil_ref = w.anvil_ref;
            memcpy(h->key, w.key, sizeof(h->key));
            h->key[sizeof(h->key) - 1] = 0;
            h->len = w.len;
            return fd;
        }
        /* not ours or damaged: drop it and wait for the next one */
        if (fd >= 0)
            (void) close(fd);
    }
}

void
server_handoff_done(int chan, const struct server_handoff *h)
{
    struct wire w;

    if (h->key[0] == 0)
        return;
    memset(&w, 0, sizeof(w));
    w.magic = MAGIC_DONE;
    memcpy(w.key, h->key, sizeof(w.key));
    if (send(chan, &w, sizeof(w), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
        /* the front is gone or busy: its count is only approximate */
    }
}

int
server_handoff_done_read(int chan, char *key, size_t len)
{
    for (;;) {
        struct wire w;
        ssize_t n = recv(chan, &w, sizeof(w), MSG_DONTWAIT);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (n <= 0)
            return -1;
        if ((size_t) n != sizeof(w) || w.magic != MAGIC_DONE || len == 0)
            continue;
        w.key[sizeof(w.key) - 1] = 0;
        snprintf(key, len, "%s", w.key);
        return 1;
    }
}
