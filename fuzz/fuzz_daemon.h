/*
 * fuzz_daemon - what the daemon fuzzers share (fuzz_cleanup, fuzz_qmgr):
 * the real daemon runs in a thread of the fuzzer, in a scratch queue
 * directory, and each input is what one client writes on its socket.
 *
 * DESCRIPTION
 *	daemon_home() makes the scratch directory (under /dev/shm when it
 *	exists: the daemons fdatasync, which costs nothing on tmpfs) and
 *	makes it the fuzzer's working directory for good: the daemons
 *	open their peers' sockets by relative names (private/NAME) at any
 *	moment, not only while an input runs. Paths on the command line
 *	(corpus directories, reproducers, -artifact_prefix, -dict) are
 *	made absolute first, and reproducers go where the fuzzer started
 *	unless -artifact_prefix says otherwise. The directory goes at exit;
 *	one left by a crash goes when the next run of the fuzzer starts.
 *
 *	daemon_exchange() connects to a socket, writes the input in the
 *	pieces of fuzz_pieces.h while it reads what the daemon answers,
 *	then shuts its sending side and reads to the daemon's end of file:
 *	the daemon has then handled every byte and let the client go. A
 *	daemon that does not close within 20 s is a hang and aborts.
 */
#ifndef POSTERN_FUZZ_DAEMON_H
#define POSTERN_FUZZ_DAEMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <sys/socket.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fuzz_pieces.h"
#include "ipc/ipc.h"
#include "util/util.h"

static char daemon_dir[PATH_MAX];

static void
daemon_die(const char *what)
{
    perror(what);
    abort();
}

static void
daemon_write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");

    if (fp == NULL || fputs(text, fp) < 0 || fclose(fp) != 0)
        daemon_die(path);
}

static int
daemon_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st;
    (void) flag;
    (void) ftw;
    (void) remove(path);
    return 0;
}

/* daemon_rmdir - at exit: the scratch directory goes */
static void
daemon_rmdir(void)
{
    if (daemon_dir[0] && chdir("/") == 0)
        (void) nftw(daemon_dir, daemon_rm, 16, FTW_DEPTH | FTW_PHYS);
}

/* daemon_sweep - scratch directories of fuzzers that crashed (a crash
 * ends the process without atexit): those whose process is gone */
static void
daemon_sweep(const char *base, const char *name)
{
    char prefix[64], path[PATH_MAX];
    DIR *d = opendir(base);
    struct dirent *de;

    if (d == NULL)
        return;
    snprintf(prefix, sizeof(prefix), "postern-fuzz-%s.", name);
    while ((de = readdir(d)) != NULL) {
        long pid;

        if (strncmp(de->d_name, prefix, strlen(prefix)) != 0 ||
            sscanf(de->d_name + strlen(prefix), "%ld.", &pid) != 1 ||
            pid <= 0 || kill((pid_t) pid, 0) == 0 || errno != ESRCH)
            continue;
        snprintf(path, sizeof(path), "%s/%s", base, de->d_name);
        (void) nftw(path, daemon_rm, 16, FTW_DEPTH | FTW_PHYS);
    }
    closedir(d);
}

/* daemon_abs - arg made absolute against home (a copy; never freed, as
 * argv) */
static char *
daemon_abs(const char *home, const char *prefix, const char *path)
{
    size_t n = strlen(home) + strlen(prefix) + strlen(path) + 2;
    char *s = malloc(n);

    if (s == NULL)
        daemon_die("malloc");
    snprintf(s, n, "%s%s/%s", prefix, home, path);
    return s;
}

/* daemon_home - the scratch directory, made the working directory; argv
 * rewritten as above. name is the fuzzer's ("cleanup") */
static void
daemon_home(int *argc, char ***argv, const char *name)
{
    static const char *const flags[] = {
        "-artifact_prefix=", "-exact_artifact_path=", "-dict=", "-seed_inputs=",
        NULL};
    char home[PATH_MAX];
    const char *base;
    char **nv;
    int n = 0, prefixed = 0;

    if (getcwd(home, sizeof(home)) == NULL)
        daemon_die("getcwd");
    nv = calloc((size_t) *argc + 2, sizeof(*nv));
    if (nv == NULL)
        daemon_die("calloc");
    for (int i = 0; i < *argc; i++) {
        char *a = (*argv)[i];
        const char *const *f;

        for (f = flags; *f; f++)
            if (strncmp(a, *f, strlen(*f)) == 0)
                break;
        if (*f) {
            const char *v = a + strlen(*f);

            prefixed |= f == flags;
            if (*v && *v != '/')
                a = daemon_abs(home, *f, v);
        } else if (i > 0 && a[0] != '-' && a[0] != '/') {
            a = daemon_abs(home, "", a);
        }
        nv[n++] = a;
    }
    if (!prefixed)
        nv[n++] = daemon_abs(home, "-artifact_prefix=", "");
    nv[n] = NULL;
    *argc = n;
    *argv = nv;

    base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    daemon_sweep(base, name);
    snprintf(daemon_dir, sizeof(daemon_dir), "%s/postern-fuzz-%s.%ld.XXXXXX",
             base, name, (long) getpid());
    if (mkdtemp(daemon_dir) == NULL || chdir(daemon_dir) < 0 ||
        mkdir("private", 0700) < 0 || mkdir("public", 0700) < 0 ||
        mkdir("store", 0700) < 0)
        daemon_die(daemon_dir);
    (void) atexit(daemon_rmdir);
}

/* daemon_drain - what the daemon sent so far into out; 0 at its end of
 * file (ECONNRESET too: it closed with input it never read), else 1 */
static int
daemon_drain(int fd, struct buf *out)
{
    char b[8192];
    ssize_t n;

    while ((n = read(fd, b, sizeof(b))) > 0)
        (void) buf_append(out, b, (size_t) n);
    if (n == 0 || (n < 0 && errno == ECONNRESET))
        return 0;
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        daemon_die("read");
    return 1;
}

/* daemon_exchange - one client session on the UNIX socket path: data in
 * pieces, the daemon's answer in out (see above) */
static void
daemon_exchange(const char *path, const uint8_t *data, size_t size,
                struct buf *out)
{
    uint64_t h = pieces_seed(data, size);
    size_t pos = 0;
    int fd = ipc_connect_unix(path), open = 1;
    long long last = util_monotonic_ms();

    buf_truncate(out, 0);
    if (fd < 0 || ipc_nonblock(fd, 1) < 0)
        daemon_die(path);
    if (size == 0)
        (void) shutdown(fd, SHUT_WR);
    while (open) {
        struct pollfd p = {.fd = fd, .events = POLLIN};

        if (pos < size)
            p.events |= POLLOUT;
        if (poll(&p, 1, 1000) < 0 && errno != EINTR)
            daemon_die("poll");
        if (p.revents & POLLOUT) {
            ssize_t w =
                send(fd, data + pos, pieces_next(&h, size - pos), MSG_NOSIGNAL);

            if (w > 0) {
                pos += (size_t) w;
                last = util_monotonic_ms();
            } else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
                       errno != EINTR) {
                pos = size; /* the daemon stopped reading: it may close */
            }
            if (pos == size)
                (void) shutdown(fd, SHUT_WR);
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            size_t had = out->len;

            open = daemon_drain(fd, out);
            if (out->len > had)
                last = util_monotonic_ms();
        }
        if (open && util_monotonic_ms() - last > 20000) {
            fprintf(stderr,
                    "fuzz: the daemon on %s neither reads nor "
                    "closes (20 s)\n",
                    path);
            abort();
        }
    }
    (void) close(fd);
}

/* daemon_frames - the frames in a byte stream: calls fn for each
 * complete frame (header included) whose length is 1..limit, stops at
 * the first other one; returns the offset where it stopped */
static size_t
daemon_frames(const void *data, size_t size, size_t limit,
              void (*fn)(void *ctx, const unsigned char *f, size_t len),
              void *ctx)
{
    const unsigned char *p = data;
    size_t off = 0;

    while (size - off >= 4) {
        uint32_t n = ipc_be32(p + off);

        if (n < 1 || n > limit || size - off - 4 < n)
            break;
        fn(ctx, p + off, (size_t) n + 4);
        off += (size_t) n + 4;
    }
    return off;
}

#endif
