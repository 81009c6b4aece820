/*
 * master_stderr - a daemon's stderr goes into the maillog.
 *
 * DESCRIPTION
 *	A daemon logs through lib/base/maillog, but not everything it says goes
 *	there: the C library's and the allocator's complaints, a fatal
 *	before its maillog is open, a maillog_file it cannot open. master
 *	starts with its stderr on /dev/null, so those were lost. Instead
 *	every child's stderr is one end of a datagram socket pair whose
 *	other end master reads: the kernel attaches the sender's pid to
 *	each datagram (SO_PASSCRED), so master logs each line as the
 *	daemon's own, "postfix/smtpd[4711]: fatal: ...", even after the
 *	daemon has exited (master reads before it reaps). One write is one
 *	datagram, so lines of concurrent daemons never mix. The children's
 *	end is non-blocking: a daemon never waits for master to read.
 *	Lines from processes master did not fork (commands that local runs
 *	for a .forward, with the user's rights) are dropped, as /dev/null
 *	did: they are not to write into the maillog.
 */
#define _GNU_SOURCE 1 /* struct ucred */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "maillog/maillog.h"
#include "master/master_int.h"

static int ends[2] = {-1, -1}; /* master reads [0], the children's fd 2 [1] */

int
master_stderr_open(void)
{
    int on = 1;

    if (ends[0] >= 0)
        return 0;
    if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, ends) < 0)
        return -1;
    (void) setsockopt(ends[0], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on));
    (void) fcntl(ends[0], F_SETFL, O_NONBLOCK);
    (void) fcntl(ends[1], F_SETFL, O_NONBLOCK);
    return 0;
}

int
master_stderr_fd(void)
{
    return ends[0];
}

void
master_stderr_child(void)
{
    if (ends[1] < 0)
        return;
    (void) dup2(ends[1], 2); /* dup2 clears close-on-exec on fd 2 */
    (void) close(ends[0]);
    (void) close(ends[1]);
    ends[0] = ends[1] = -1;
}

/* relay - each line of one datagram */
static void
relay(char *text, long pid, master_stderr_ident_fn *ident_of)
{
    char *line, *next;

    for (line = text; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = 0;
        if (*line && ident_of(pid) != NULL) {
            const char *id = ident_of(pid);
            size_t len = strlen(id);

            /* "postfix/smtpd: warning: ..." (maillog's own stderr lines)
             * is not to name the daemon twice */
            if (strncmp(line, id, len) == 0 && line[len] == ':' &&
                line[len + 1] == ' ')
                line += len + 2;
            maillog_relay(id, pid, line);
        }
    }
}

void
master_stderr_drain(master_stderr_ident_fn *ident_of)
{
    char data[4097];
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(struct ucred))];
    } control;

    if (ends[0] < 0)
        return;
    for (;;) {
        struct iovec iov = {data, sizeof(data) - 1};
        struct msghdr msg;
        struct cmsghdr *cm;
        long pid = 0;
        ssize_t n;

        memset(&msg, 0, sizeof(msg));
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.buf;
        msg.msg_controllen = sizeof(control.buf);
        n = recvmsg(ends[0], &msg, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        data[n] = 0;
        for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
            if (cm->cmsg_level == SOL_SOCKET &&
                cm->cmsg_type == SCM_CREDENTIALS) {
                struct ucred uc;

                memcpy(&uc, CMSG_DATA(cm), sizeof(uc));
                pid = (long) uc.pid;
            }
        relay(data, pid, ident_of);
    }
}
