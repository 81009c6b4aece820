/*
 * fuzz_smtpd - libFuzzer target for the SMTP server's command loop.
 *
 * DESCRIPTION
 *	The input is what a client sends: one whole session (greeting to
 *	QUIT or EOF) runs through smtpd_session_run with a fixed main.cf
 *	(mydestination example.com, relay_domains relay.example.net, no
 *	local_recipient_maps, error limits high so the loop keeps going).
 *	A thread stands in for the cleanup service on private/cleanup, so
 *	RCPT gets a queue ID and DATA content travels the whole way: the
 *	dot-unstuffing reader, the BODY/SIZE/DSN parameters, the size limit
 *	and the end-of-data verdict all see fuzzed input.
 *
 *	FUZZ_SMTPD_LOG=1 in the environment shows the log lines and the
 *	replies on stderr (to read what a reproducer does).
 *
 *	Each input runs twice. First as one stream (a memfd: every read
 *	gets up to a whole buffer). Then as an smtpd worker runs it: the
 *	session is a coroutine (co.c) on a non-blocking socket, and the
 *	input arrives in small pieces, 1 to 64 bytes (fuzz_pieces.h), so
 *	commands, CR LF pairs and DATA lines are split
 *	across reads as TCP may split them, and every read that finds
 *	nothing waits in the event loop.
 *
 *	Checks beyond the sanitizers: every byte smtpd writes back is part
 *	of a well-formed reply line ("ddd " or "ddd-", a 2xx-5xx code, CR
 *	LF at the end), the first reply is the 220 greeting, the stand-in
 *	cleanup only ever sees protocol frames it understands, and both runs
 *	answer with the same bytes (queue IDs aside): how the client's bytes
 *	are cut must not change what smtpd says. A session that does not end
 *	within 20 s of its input's EOF is a hang and aborts.
 */
#define _GNU_SOURCE 1 /* memfd_create */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup/cleanup.h"
#include "fuzz_pieces.h"
#include "ipc/ipc.h"
#include "maillog/maillog.h"
#include "pcf/pcf.h"
#include "queue/queue.h"
#include "server/server.h"
#include "smtpd/smtpd_int.h"
#include "util/util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct server srv;
/* its names: struct server's are writable */
static char srv_service[] = "smtp", srv_type[] = "inet",
            srv_name_space[] = "smtp/inet", srv_command[] = "smtpd";
static int out_fd = -1;
static int home_fd = -1, queue_fd = -1; /* the fuzzer's cwd, the queue */
static struct buf plain, co, a,
    b; /* replies: one stream, in pieces, without IDs */

static const char main_cf[] = "compatibility_level = 3.6\n"
                              "myhostname = mx.example.com\n"
                              "mydomain = example.com\n"
                              "myorigin = example.com\n"
                              "mydestination = example.com, localhost\n"
                              "relay_domains = relay.example.net\n"
                              "mynetworks = 127.0.0.0/8\n"
                              "local_recipient_maps =\n"
                              "smtpd_hard_error_limit = 1000\n"
                              "smtpd_soft_error_limit = 1000\n"
                              "smtpd_error_sleep_time = 0\n"
                              "smtpd_timeout = 5s\n"
                              "message_size_limit = 20000\n"
                              "smtpd_recipient_limit = 50\n"
                              "maillog_file = /dev/null\n"
                              "smtpd_peername_lookup = no\n";

static void
die(const char *what)
{
    perror(what);
    abort();
}

static void
write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");

    if (fp == NULL || fputs(text, fp) < 0 || fclose(fp) != 0)
        die(path);
}

/* one client connection of the stand-in cleanup service */
static void
cleanup_conn(int fd)
{
    struct buf frame;
    struct ipc_out o;
    struct ipc_in in;
    char id[QUEUE_ID_SIZE], next[QUEUE_ID_SIZE];

    buf_init(&frame, 0);
    ipc_out_init(&o);
    while (ipc_recv(fd, &frame, 1 << 20, -1) == 1) {
        if (ipc_in_init(&in, frame.data, frame.len) < 0)
            abort(); /* smtpd sent a broken frame */
        switch (in.type) {
        case CLEANUP_OPEN:
        case CLEANUP_END:
            queue_id_make(id);
            queue_id_make(next);
            if (in.type == CLEANUP_OPEN) {
                ipc_out_begin(&o, 'I');
                ipc_put_str(&o, id);
            } else {
                ipc_out_begin(&o, 'S');
                ipc_put_u32(&o, CLEANUP_STAT_OK);
                ipc_put_str(&o, cleanup_reply_text(CLEANUP_STAT_OK));
            }
            ipc_put_str(&o, next);
            if (ipc_send(fd, &o, -1) < 0)
                goto done;
            break;
        case CLEANUP_OPEN_RESERVED:
        case CLEANUP_ENV:
        case CLEANUP_DATA:
        case CLEANUP_ABORT:
            break;
        default:
            abort(); /* not a frame of the protocol */
        }
    }
done:
    buf_fini(&frame);
    ipc_out_fini(&o);
    (void) close(fd);
}

static void *
cleanup_thread(void *arg)
{
    int lfd = *(int *) arg;

    for (;;) {
        int fd = accept(lfd, NULL, NULL);

        if (fd >= 0)
            cleanup_conn(fd);
    }
    return NULL;
}

static char dir[] = "/tmp/postern-fuzz-smtpd.XXXXXX";

/* cleanup_dir - at exit: the scratch directory goes */
static void
cleanup_dir(void)
{
    if (chdir(dir) == 0) {
        (void) unlink("private/cleanup");
        (void) rmdir("private");
        (void) unlink("main.cf");
        (void) unlink("master.cf");
        (void) chdir("/");
        (void) rmdir(dir);
    }
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static int lfd;
    char path[300];
    pthread_t t;

    (void) argc;
    (void) argv;
    if ((home_fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        die(".");
    if (mkdtemp(dir) == NULL || chdir(dir) < 0 || mkdir("private", 0700) < 0 ||
        (queue_fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        die(dir);
    (void) atexit(cleanup_dir);
    write_file("main.cf", main_cf);
    write_file("master.cf", "smtp inet n - n - - smtpd\n");
    snprintf(path, sizeof(path), "%s/private/cleanup", dir);
    if ((lfd = ipc_listen_unix(path, 0600, 16)) < 0)
        die(path);
    (void) ipc_nonblock(lfd, 0);
    if (pthread_create(&t, NULL, cleanup_thread, &lfd) != 0)
        die("pthread_create");
    if ((srv.conf = pcf_load(dir)) == NULL)
        die("pcf_load");
    srv.service = srv_service;
    srv.type = srv_type;
    srv.name_space = srv_name_space;
    srv.command = srv_command;
    srv.status_fd = -1;
    maillog_open("postfix/smtpd", "/dev/null", "mx.example.com");
    if (getenv("FUZZ_SMTPD_LOG"))
        maillog_set_stderr(1);
    if ((out_fd = memfd_create("smtpd-out", 0)) < 0)
        die("memfd_create");
    buf_init(&plain, 0);
    buf_init(&co, 0);
    buf_init(&a, 0);
    buf_init(&b, 0);
    /* corpus paths are relative to where the fuzzer started */
    if (fchdir(home_fd) < 0)
        die("fchdir");
    return 0;
}

/* check_replies - every line "ddd" + ' ' or '-' + text + CR LF */
static void
check_replies(const char *p, size_t len)
{
    const char *end = p + len, *nl;

    if (len < 4 || memcmp(p, "220 ", 4) != 0)
        abort(); /* not even the greeting */
    for (const char *l = p; l < end; l = nl + 1) {
        nl = memchr(l, '\n', (size_t) (end - l));
        if (nl == NULL || nl - l < 5 || nl[-1] != '\r')
            abort(); /* a reply without CR LF, or too short */
        if (l[0] < '2' || l[0] > '5' || l[1] < '0' || l[1] > '9' ||
            l[2] < '0' || l[2] > '9' || (l[3] != ' ' && l[3] != '-'))
            abort();
        if (memchr(l, '\r', (size_t) (nl - 1 - l)) != NULL)
            abort(); /* a CR inside a reply: client text echoed raw */
    }
}

/* no_ids - the replies with every queue ID (a run of 10 or more
 * upper-case hex digits) as "ID": the two runs get different IDs */
static void
no_ids(struct buf *out, const char *p, size_t len)
{
    buf_truncate(out, 0);
    for (size_t i = 0; i < len;) {
        size_t j = i;

        while (j < len &&
               ((p[j] >= '0' && p[j] <= '9') || (p[j] >= 'A' && p[j] <= 'F')))
            j++;
        if (j - i >= 10) {
            (void) buf_append(out, "ID", 2);
            i = j;
        } else if (j > i) {
            (void) buf_append(out, p + i, j - i);
            i = j;
        } else {
            (void) buf_append(out, p + i, 1);
            i++;
        }
    }
}

/* drain - what smtpd wrote so far on the client's end of the socket */
static void
drain(int fd, struct buf *out)
{
    char chunk[8192];
    ssize_t n;

    while ((n = read(fd, chunk, sizeof(chunk))) > 0)
        (void) buf_append(out, chunk, (size_t) n);
    /* ECONNRESET: smtpd's end was closed with input it never read
     * (after QUIT); what it wrote was read before */
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNRESET)
        die("read");
}

struct co_run {
    int fd;
    int done;
};

static void
co_session(void *arg)
{
    struct co_run *r = arg;

    smtpd_session_run(&srv, r->fd, r->fd);
    r->done = 1;
}

/* run_co - the session as a coroutine, the input in pieces */
static void
run_co(const uint8_t *data, size_t size, struct buf *out)
{
    int sv[2];
    struct co_run r;
    uint64_t h = pieces_seed(data, size);
    size_t pos = 0;
    int shut = 0;
    long long eof_at = 0;

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) <
        0)
        die("socketpair");
    r.fd = sv[1];
    r.done = 0;
    buf_truncate(out, 0);
    if (co_spawn(co_session, &r) < 0)
        die("co_spawn");
    while (!r.done) {
        if (pos < size) {
            ssize_t w = write(sv[0], data + pos, pieces_next(&h, size - pos));

            if (w > 0)
                pos += (size_t) w;
            else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
                die("write");
        } else if (!shut) {
            (void) shutdown(sv[0], SHUT_WR);
            shut = 1;
            eof_at = util_monotonic_ms();
        }
        drain(sv[0], out);
        if (co_run_once(pos < size ? 0 : 50) < 0 && errno != EINTR)
            die("co_run_once");
        if (shut && util_monotonic_ms() - eof_at > 20000) {
            fprintf(stderr, "fuzz_smtpd: the session hangs after EOF\n");
            abort();
        }
    }
    drain(sv[0], out); /* before the close, which may reset sv[0] */
    (void) close(sv[1]);
    drain(sv[0], out);
    (void) close(sv[0]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int in = memfd_create("smtpd-in", 0);
    off_t len;

    if (in < 0)
        die("memfd_create");
    if (size && write(in, data, size) != (ssize_t) size)
        die("write");
    if (lseek(in, 0, SEEK_SET) < 0 || ftruncate(out_fd, 0) < 0 ||
        lseek(out_fd, 0, SEEK_SET) < 0)
        die("lseek");
    /* smtpd runs in its queue directory (private/cleanup) */
    if (fchdir(queue_fd) < 0)
        die("fchdir");
    smtpd_session_run(&srv, in, out_fd);
    (void) close(in);
    len = lseek(out_fd, 0, SEEK_CUR);
    buf_truncate(&plain, 0);
    if (len > 0) {
        if (buf_reserve(&plain, (size_t) len) < 0 ||
            pread(out_fd, plain.data, (size_t) len, 0) != len)
            abort();
        plain.len = (size_t) len;
        plain.data[len] = 0;
    }
    if (getenv("FUZZ_SMTPD_LOG"))
        (void) fwrite(plain.data, 1, plain.len, stderr);
    check_replies(plain.data, plain.len);

    run_co(data, size, &co);
    if (fchdir(home_fd) < 0)
        die("fchdir");
    check_replies(co.data, co.len);
    no_ids(&a, plain.data, plain.len);
    no_ids(&b, co.data, co.len);
    if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0) {
        fprintf(stderr,
                "fuzz_smtpd: the replies differ when the input "
                "comes in pieces\n--- one stream:\n%.*s--- in pieces:\n%.*s",
                (int) a.len, a.data, (int) b.len, b.data);
        abort();
    }
    return 0;
}
