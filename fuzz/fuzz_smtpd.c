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
 *	Checks beyond the sanitizers: every byte smtpd writes back is part
 *	of a well-formed reply line ("ddd " or "ddd-", a 2xx-5xx code, CR
 *	LF at the end), the first reply is the 220 greeting, and the
 *	stand-in cleanup only ever sees protocol frames it understands.
 */
#define _GNU_SOURCE 1 /* memfd_create */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup/cleanup.h"
#include "ipc/ipc.h"
#include "maillog/maillog.h"
#include "pcf/pcf.h"
#include "queue/queue.h"
#include "server/server.h"
#include "smtpd/smtpd_int.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct server srv;
static int out_fd = -1;
static int home_fd = -1, queue_fd = -1; /* the fuzzer's cwd, the queue */

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
    srv.service = (char *) "smtp";
    srv.type = (char *) "inet";
    srv.name_space = (char *) "smtp/inet";
    srv.command = (char *) "smtpd";
    srv.status_fd = -1;
    maillog_open("postfix/smtpd", "/dev/null", "mx.example.com");
    if (getenv("FUZZ_SMTPD_LOG"))
        maillog_set_stderr(1);
    if ((out_fd = memfd_create("smtpd-out", 0)) < 0)
        die("memfd_create");
    /* corpus paths are relative to where the fuzzer started */
    if (fchdir(home_fd) < 0)
        die("fchdir");
    return 0;
}

/* check_replies - every line "ddd" + ' ' or '-' + text + CR LF */
static void
check_replies(void)
{
    off_t len = lseek(out_fd, 0, SEEK_CUR);
    char *p, *end, *nl;

    if (len <= 0)
        abort(); /* not even the greeting */
    p = malloc((size_t) len);
    if (p == NULL || pread(out_fd, p, (size_t) len, 0) != len)
        abort();
    if (getenv("FUZZ_SMTPD_LOG"))
        (void) fwrite(p, 1, (size_t) len, stderr);
    if (len < 4 || memcmp(p, "220 ", 4) != 0)
        abort();
    for (char *l = p; l < p + len; l = nl + 1) {
        end = p + len;
        nl = memchr(l, '\n', (size_t) (end - l));
        if (nl == NULL || nl - l < 5 || nl[-1] != '\r')
            abort(); /* a reply without CR LF, or too short */
        if (l[0] < '2' || l[0] > '5' || l[1] < '0' || l[1] > '9' ||
            l[2] < '0' || l[2] > '9' || (l[3] != ' ' && l[3] != '-'))
            abort();
        if (memchr(l, '\r', (size_t) (nl - 1 - l)) != NULL)
            abort(); /* a CR inside a reply: client text echoed raw */
    }
    free(p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int in = memfd_create("smtpd-in", 0);

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
    if (fchdir(home_fd) < 0)
        die("fchdir");
    (void) close(in);
    check_replies();
    return 0;
}
