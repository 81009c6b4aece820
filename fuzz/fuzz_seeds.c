/*
 * fuzz_seeds - write the seed inputs of fuzz_cleanup, fuzz_qmgr and
 * fuzz_pickup with the real encoders.
 *
 * SYNOPSIS
 *	fuzz_seeds DIR
 *
 * DESCRIPTION
 *	Writes the .bin files of DIR/cleanup, DIR/qmgr and DIR/pickup (the
 *	committed seeds are under testdata/fuzz; run it from a fuzz build
 *	after a protocol change and commit what changed).
 *
 *	cleanup: the bytes the real client side (cleanup_client_*, what
 *	smtpd, pickup and bounce call) writes for a few sessions, recorded
 *	by a stand-in cleanup on private/cleanup in a scratch directory
 *	that answers OPEN and END as cleanup does. qmgr: control streams
 *	as cleanup and the queue tools frame them, and an agent's reply
 *	and a delivery request from deliver_reply_encode and
 *	deliver_req_encode (fuzz_qmgr's first byte selects them). pickup:
 *	maildrop files from pickup_file_encode.
 */
#define _GNU_SOURCE 1
#include <sys/socket.h>
#include <sys/stat.h>

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup/cleanup.h"
#include "deliver/deliver.h"
#include "fuzz_proto.h"
#include "ipc/ipc.h"
#include "pickup/pickup_int.h"
#include "qmgr/qmgr.h"
#include "queue/queue.h"

static char out_dir[PATH_MAX];
static struct buf rec;   /* what the client wrote */
static int done_pipe[2]; /* the stand-in says: connection over */

static void
die(const char *what)
{
    perror(what);
    exit(1);
}

static void
save(const char *sub, const char *name, const void *p, size_t n)
{
    char path[PATH_MAX];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/%s", out_dir, sub);
    (void) mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/%s/%s", out_dir, sub, name);
    if ((fp = fopen(path, "wb")) == NULL || fwrite(p, 1, n, fp) != n ||
        fclose(fp) != 0)
        die(path);
    printf("%s (%zu bytes)\n", path, n);
}

/* ---- cleanup: a recording stand-in ---- */

static void *
standin(void *arg)
{
    int lfd = *(int *) arg;
    struct buf f;
    struct ipc_out o;
    char id[QUEUE_ID_SIZE], next[QUEUE_ID_SIZE];

    buf_init(&f, 0);
    ipc_out_init(&o);
    for (;;) {
        int fd = accept(lfd, NULL, NULL);

        if (fd < 0)
            continue;
        while (ipc_recv(fd, &f, 1 << 20, -1) == 1) {
            (void) buf_append(&rec, f.data, f.len);
            if (f.data[4] != CLEANUP_OPEN && f.data[4] != CLEANUP_END)
                continue;
            queue_id_make(id);
            queue_id_make(next);
            if (f.data[4] == CLEANUP_OPEN) {
                ipc_out_begin(&o, 'I');
                ipc_put_str(&o, id);
            } else {
                ipc_out_begin(&o, 'S');
                ipc_put_u32(&o, CLEANUP_STAT_OK);
                ipc_put_str(&o, cleanup_reply_text(CLEANUP_STAT_OK));
            }
            ipc_put_str(&o, next);
            if (ipc_send(fd, &o, -1) < 0)
                break;
        }
        (void) close(fd);
        if (write(done_pipe[1], "", 1) != 1)
            die("write");
    }
    return NULL;
}

static void
envelope(struct queue_env *env, const char *sender, const char *proto)
{
    queue_env_init(env);
    queue_env_set(&env->sender, sender);
    queue_env_set(&env->proto, proto);
    if (strcmp(proto, "local") == 0) {
        queue_env_set(&env->client_name, "localhost");
        queue_env_set(&env->client_addr, "127.0.0.1");
        queue_env_set(&env->origin, "uid=1000");
        env->flags = QUEUE_F_LOCAL;
    } else {
        queue_env_set(&env->client_name, "mail.example.net");
        queue_env_set(&env->client_addr, "192.0.2.1");
        queue_env_set(&env->helo, "mail.example.net");
        env->flags = QUEUE_F_8BITMIME;
        env->arrival_us = 1700000000000000ULL;
    }
}

/* session - one client connection: msgs messages (the second and later
 * go with the reserved ID, OPEN_RESERVED); abort_last: ABORT instead of
 * END for the last */
static void
session(const char *name, unsigned flags, const struct queue_env *env,
        const char *fullname, const char *content, int msgs, int abort_last)
{
    struct cleanup_client *cc = cleanup_client_new("cleanup", 10);
    char id[QUEUE_ID_SIZE], c;

    buf_truncate(&rec, 0);
    for (int i = 0; i < msgs; i++) {
        if (cleanup_client_open(cc, flags, id) < 0 ||
            cleanup_client_env(cc, env, fullname) < 0 ||
            cleanup_client_data(cc, content, strlen(content)) < 0)
            die("cleanup client");
        if (abort_last && i == msgs - 1)
            cleanup_client_abort(cc);
        else if (cleanup_client_end(cc) != CLEANUP_STAT_OK)
            die("cleanup client end");
    }
    cleanup_client_free(cc);
    if (read(done_pipe[0], &c, 1) != 1)
        die("read");
    save("cleanup", name, rec.data, rec.len);
}

static void
cleanup_seeds(void)
{
    static int lfd;
    char tmp[] = "/tmp/postern-fuzz-seeds.XXXXXX";
    pthread_t t;
    struct queue_env env;

    if (mkdtemp(tmp) == NULL || chdir(tmp) < 0 || mkdir("private", 0700) < 0 ||
        pipe(done_pipe) < 0 ||
        (lfd = ipc_listen_unix("private/cleanup", 0600, 4)) < 0 ||
        pthread_create(&t, NULL, standin, &lfd) != 0)
        die(tmp);
    buf_init(&rec, 0);

    /* smtpd: two messages, DSN parameters, a bare recipient */
    envelope(&env, "alice@example.net", "ESMTP");
    queue_env_set(&env.envid, "ENV-1");
    env.ret = QUEUE_RET_HDRS;
    queue_env_add_rcpt(&env, "bob@example.com", "Bob@Example.COM",
                       "rfc822;Bob@Example.COM",
                       QUEUE_NOTIFY_SUCCESS | QUEUE_NOTIFY_FAILURE);
    queue_env_add_rcpt(&env, "carol", "", "", 0);
    session("smtpd.bin", 0, &env, NULL,
            "Received: from mail.example.net (mail.example.net "
            "[192.0.2.1])\n\tby mx.example.com (Postern) with ESMTP\n"
            "From: Alice <alice@example.net>\nTo: bob@example.com\n"
            "Subject: seed\nMessage-Id: <seed.1@example.net>\n"
            "Date: Mon, 1 Jan 2024 00:00:00 +0000\n\nbody\n.. dot\n",
            2, 0);
    queue_env_fini(&env);

    /* pickup: a local submission without Date, From, To or Message-Id,
     * with Bcc (dropped) and folded headers; then a null sender */
    envelope(&env, "alice", "local");
    queue_env_add_rcpt(&env, "bob@example.com", "", "", 0);
    queue_env_add_rcpt(&env, "dave@relay.example.net", "", "",
                       QUEUE_NOTIFY_NEVER);
    session("local.bin", QUEUE_F_LOCAL, &env, "Alice Example",
            "Subject: local\n\tfolded\nBcc: secret@example.com,\n"
            " more@example.com\nResent-Date: now\nX: y\n\nbody\n",
            1, 0);
    queue_env_set(&env.sender, "");
    session("bounce.bin", QUEUE_F_LOCAL, &env, NULL,
            "Subject: Undelivered Mail Returned to Sender\n"
            "Content-Type: multipart/report\n\nno body line end",
            1, 0);
    queue_env_fini(&env);

    /* a message given up half way */
    envelope(&env, "alice@example.net", "SMTP");
    queue_env_add_rcpt(&env, "bob@example.com", "", "", 0);
    session("abort.bin", 0, &env, NULL, "Subject: x\n\n", 1, 1);
    queue_env_fini(&env);
    (void) unlink("private/cleanup");
    (void) rmdir("private");
    (void) chdir("/");
    (void) rmdir(tmp);
}

/* ---- qmgr ---- */

static void
put_frame(struct buf *b, struct ipc_out *o)
{
    size_t len;
    const char *f = ipc_out_finish(o, &len);

    (void) buf_append(b, f, len);
}

static void
qmgr_seeds(void)
{
    struct buf b;
    struct ipc_out o;
    struct deliver_req r;
    size_t len;
    const char *f;

    buf_init(&b, 0);
    ipc_out_init(&o);

    /* cleanup's notices (segment 1 to its end, then to an offset), and
     * a flush */
    (void) buf_putc(&b, 0);
    ipc_out_begin(&o, QMGR_NOTIFY);
    ipc_put_u64(&o, 1);
    ipc_put_u64(&o, 0);
    put_frame(&b, &o);
    ipc_out_begin(&o, QMGR_NOTIFY);
    ipc_put_u64(&o, 1);
    ipc_put_u64(&o, 4096);
    put_frame(&b, &o);
    ipc_out_begin(&o, QMGR_FLUSH);
    put_frame(&b, &o);
    save("qmgr", "notify.bin", b.data, b.len);

    /* postsuper -h/-H/-d, postqueue -f */
    buf_truncate(&b, 0);
    (void) buf_putc(&b, 0);
    ipc_out_begin(&o, QMGR_HOLD);
    ipc_put_str(&o, "ALL");
    put_frame(&b, &o);
    ipc_out_begin(&o, QMGR_RELEASE);
    ipc_put_str(&o, "ALL");
    put_frame(&b, &o);
    ipc_out_begin(&o, QMGR_DELETE);
    ipc_put_str(&o, "0123456789AB");
    put_frame(&b, &o);
    ipc_out_begin(&o, QMGR_FLUSH);
    put_frame(&b, &o);
    save("qmgr", "tools.bin", b.data, b.len);

    /* master's wakeup */
    save("qmgr", "wakeup.bin", "\0W", 2);

    /* an agent's reply to the fixed request, and that request */
    fuzz_request(&r);
    deliver_result(&r.rcpt[0], DELIVER_SENT, "2.0.0", "delivered to mailbox");
    deliver_result(&r.rcpt[1], DELIVER_BOUNCE, "5.1.1", "unknown user");
    deliver_result(&r.rcpt[3], DELIVER_DEFER, "4.4.1", "connection refused");
    r.rcpt[0].notify &= ~QUEUE_NOTIFY_SUCCESS;
    deliver_reply_encode(&o, &r);
    f = ipc_out_finish(&o, &len);
    buf_truncate(&b, 0);
    (void) buf_putc(&b, 1);
    (void) buf_append(&b, f + 4, len - 4);
    save("qmgr", "reply.bin", b.data, b.len);
    deliver_req_encode(&o, &r);
    f = ipc_out_finish(&o, &len);
    buf_truncate(&b, 0);
    (void) buf_putc(&b, 2);
    (void) buf_append(&b, f + 4, len - 4);
    save("qmgr", "request.bin", b.data, b.len);
    deliver_req_fini(&r);
    ipc_out_fini(&o);
    buf_fini(&b);
}

/* ---- pickup ---- */

static void
pickup_seed(const char *name, const struct queue_env *env, const char *full,
            const char *content)
{
    struct buf b;

    buf_init(&b, 0);
    pickup_file_encode(&b, env, full);
    (void) buf_puts(&b, content);
    save("pickup", name, b.data, b.len);
    buf_fini(&b);
}

static void
pickup_seeds(void)
{
    struct queue_env env;

    queue_env_init(&env);
    queue_env_set(&env.sender, "alice@example.com");
    queue_env_add_rcpt(&env, "bob@example.com", "", "", 0);
    pickup_seed("plain.bin", &env, "Alice Example",
                "From: Alice <alice@example.com>\nSubject: hi\n\nhello\n");
    queue_env_set(&env.sender, "");
    queue_env_set(&env.envid, "ENV-2");
    env.ret = QUEUE_RET_FULL;
    queue_env_add_rcpt(&env, "carol@example.com", "", "",
                       QUEUE_NOTIFY_SUCCESS | QUEUE_NOTIFY_DELAY);
    queue_env_add_rcpt(&env, "dave", "", "", QUEUE_NOTIFY_NEVER);
    pickup_seed("dsn.bin", &env, "", "");
    queue_env_fini(&env);
}

int
main(int argc, char **argv)
{
    if (argc != 2 || realpath(argv[1], out_dir) == NULL) {
        fprintf(stderr, "usage: fuzz_seeds DIR (an existing directory)\n");
        return 2;
    }
    qmgr_seeds();
    pickup_seeds();
    cleanup_seeds(); /* last: it changes the working directory */
    return 0;
}
