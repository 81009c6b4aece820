/*
 * fuzz_qmgr - libFuzzer target for what the queue manager parses: the
 * requests on public/qmgr and the delivery agents' replies (and, the
 * other way, the delivery requests the agents parse).
 *
 * DESCRIPTION
 *	The first input byte picks the target (modulo 3):
 *
 *	0: the rest is what one client writes on public/qmgr: cleanup's
 *	commit notices ('N'), postqueue's flush ('F'), postsuper's delete,
 *	hold and release ('K', 'H', 'U'), master's wakeup ("W"), or
 *	anything else. The real qmgr (qmgr_service) runs in a thread over
 *	a scratch queue (fuzz_daemon.h) that holds a few messages, with a
 *	stand-in delivery agent on private/agent and private/bounce that
 *	defers every recipient, so that a flush or a notice sets the whole
 *	scheduler going. Every 4096th input the fuzzer appends one more
 *	message to segment 1 without telling qmgr: a notice ('N' 1 0)
 *	finds it. The input arrives in pieces (fuzz_pieces.h).
 *	Checks: every byte qmgr answers is an 'S' frame with one u32;
 *	there is one per F, K, H or U frame of the input (none after a
 *	leading "W"; at most that many when qmgr drops the client for a
 *	frame over its 64 KB limit); every request qmgr sends the agent
 *	decodes (deliver_req_decode) with at least one recipient.
 *
 *	1: the rest is the body of a frame (type byte first) that an agent
 *	sends back, decoded by deliver_reply_decode against a fixed
 *	request (fuzz_proto.h). Checks: statuses stay sent, deferred or
 *	bounced, DSN codes NUL-terminated; encoding the request's results
 *	and decoding them into a fresh request gives the same results.
 *
 *	2: the rest is the body of a delivery request, decoded by
 *	deliver_req_decode (what local, smtp, error and bounce parse).
 *	Checks: a request that decodes encodes and decodes to the same
 *	request, and the two encodings are the same bytes.
 *
 *	Leaks are libFuzzer's (-detect_leaks): qmgr frees a client when
 *	its connection ends, before this function returns.
 */
#define _GNU_SOURCE 1 /* fuzz_daemon.h: nftw, mkdtemp */
#include <pthread.h>
#include <pwd.h>

#include "deliver/deliver.h"
#include "fuzz_daemon.h"
#include "fuzz_proto.h"
#include "maillog/maillog.h"
#include "pcf/pcf.h"
#include "qmgr/qmgr.h"
#include "queue/queue.h"
#include "server/server.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct server srv;
/* its names: struct server's are writable */
static char srv_service[] = "qmgr", srv_type[] = "unix",
            srv_name_space[] = "qmgr/unix", srv_command[] = "qmgr";
static struct queue_fs *fs;
static struct queue_writer *writer; /* the fuzzer plays cleanup */
static struct buf replies;
static char sock[PATH_MAX];

static const char main_cf[] = "compatibility_level = 3.6\n"
                              "myhostname = mx.example.com\n"
                              "mydomain = example.com\n"
                              "myorigin = example.com\n"
                              "mydestination = example.com, localhost\n"
                              "local_transport = agent\n"
                              "default_transport = agent\n"
                              "relay_transport = agent\n"
                              "minimal_backoff_time = 3600s\n"
                              "maximal_backoff_time = 7200s\n"
                              "maillog_file = /dev/null\n";

/* ---- the stand-in agent ---- */

static void *
agent_conn(void *arg)
{
    int fd = (int) (intptr_t) arg;
    struct buf f;
    struct ipc_out o;

    buf_init(&f, 0);
    ipc_out_init(&o);
    while (ipc_recv(fd, &f, 1 << 24, -1) == 1) {
        struct ipc_in in;
        struct deliver_req r;

        if (ipc_in_init(&in, f.data, f.len) < 0 ||
            deliver_req_decode(&in, &r) < 0 || r.nrcpt == 0) {
            fprintf(stderr, "fuzz_qmgr: qmgr sent a delivery request that "
                            "does not decode\n");
            abort();
        }
        for (size_t i = 0; i < r.nrcpt; i++)
            deliver_result(&r.rcpt[i], DELIVER_DEFER, "4.4.1",
                           "fuzz agent defers");
        deliver_reply_encode(&o, &r);
        deliver_req_fini(&r);
        if (ipc_send(fd, &o, -1) < 0)
            break;
    }
    buf_fini(&f);
    ipc_out_fini(&o);
    (void) close(fd);
    return NULL;
}

static void *
agent_thread(void *arg)
{
    int lfd = (int) (intptr_t) arg;

    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        pthread_t t;

        if (fd < 0)
            continue;
        if (pthread_create(&t, NULL, agent_conn, (void *) (intptr_t) fd) != 0)
            daemon_die("pthread_create");
        (void) pthread_detach(t);
    }
    return NULL;
}

static void *
qmgr_thread(void *arg)
{
    (void) arg;
    (void) qmgr_service(&srv);
    abort(); /* it returns only when told to stop */
}

/* add_message - one more message in the store, committed, no notice */
static void
add_message(void)
{
    /* writable: iovec's base is */
    static char content[] = "Received: from localhost\n"
                            "From: alice@example.net\n"
                            "Subject: fuzz\n\nbody\n";
    struct queue_env env;
    struct queue_loc loc;
    struct iovec iov = {content, sizeof(content) - 1};

    queue_env_init(&env);
    queue_id_make(env.id);
    env.arrival_us = queue_now_us();
    queue_env_set(&env.sender, "alice@example.net");
    queue_env_set(&env.client_name, "localhost");
    queue_env_set(&env.client_addr, "127.0.0.1");
    queue_env_set(&env.proto, "ESMTP");
    queue_env_add_rcpt(&env, "bob@example.com", "", "",
                       QUEUE_NOTIFY_SUCCESS | QUEUE_NOTIFY_FAILURE);
    queue_env_add_rcpt(&env, "carol@relay.example.net", "", "", 0);
    env.content_len = iov.iov_len;
    if (queue_writer_append(writer, &env, &iov, 1, &loc) < 0 ||
        queue_writer_commit(writer) < 0)
        daemon_die("append to the store");
    queue_env_fini(&env);
}

static const char *
mail_owner(void)
{
    struct passwd *pw = getpwnam("nobody");

    if (pw == NULL)
        pw = getpwuid(geteuid());
    return pw ? pw->pw_name : "nobody";
}

static int
listen_at(const char *name)
{
    char path[PATH_MAX];
    int fd;

    snprintf(path, sizeof(path), "%s/%s", daemon_dir, name);
    if ((fd = ipc_listen_unix(path, 0600, 64)) < 0)
        daemon_die(path);
    return fd;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char text[sizeof(main_cf) + 128];
    pthread_t t;
    struct ipc_out o;
    struct buf f;
    int fd;

    daemon_home(argc, argv, "qmgr");
    snprintf(text, sizeof(text), "%smail_owner = %s\n", main_cf, mail_owner());
    daemon_write_file("main.cf", text);
    daemon_write_file("master.cf", "qmgr unix n - n 300 1 qmgr\n"
                                   "agent unix - - n - 2 smtp\n"
                                   "bounce unix - - n - 0 bounce\n");
    maillog_open("postfix/qmgr", "/dev/null", "mx.example.com");
    maillog_set_stderr(getenv("FUZZ_QMGR_LOG") ? 1 : 0);
    if ((srv.conf = pcf_load(daemon_dir)) == NULL)
        daemon_die("pcf_load");
    srv.service = srv_service;
    srv.type = srv_type;
    srv.name_space = srv_name_space;
    srv.command = srv_command;
    srv.status_fd = -1;
    srv.listen_fd[0] = listen_at("public/qmgr");
    srv.nlisten = 1;
    snprintf(sock, sizeof(sock), "%s/public/qmgr", daemon_dir);

    /* two messages that qmgr recovers at start */
    if ((fs = queue_fs_disk("store")) == NULL)
        daemon_die("store");
    writer = queue_writer_new(fs, 1 << 20, 0);
    add_message();
    add_message();

    if (pthread_create(&t, NULL, agent_thread,
                       (void *) (intptr_t) listen_at("private/agent")) != 0 ||
        pthread_create(&t, NULL, agent_thread,
                       (void *) (intptr_t) listen_at("private/bounce")) != 0 ||
        pthread_create(&t, NULL, qmgr_thread, NULL) != 0)
        daemon_die("pthread_create");

    /* one round trip: qmgr has recovered the queue and runs its loop */
    ipc_out_init(&o);
    buf_init(&f, 0);
    ipc_out_begin(&o, QMGR_FLUSH);
    if ((fd = ipc_connect_unix(sock)) < 0 ||
        ipc_call(fd, &o, &f, 1 << 16, 20000) < 0)
        daemon_die("qmgr does not answer");
    (void) close(fd);
    ipc_out_fini(&o);
    buf_fini(&f);
    buf_init(&replies, 0);
    return 0;
}

/* ---- 0: the control stream ---- */

struct expect {
    size_t replies; /* requests that get an answer */
};

static void
count_request(void *ctx, const unsigned char *f, size_t len)
{
    struct expect *e = ctx;

    (void) len;
    switch (f[4]) {
    case QMGR_FLUSH:
    case QMGR_DELETE:
    case QMGR_HOLD:
    case QMGR_RELEASE:
        e->replies++;
    }
}

static void
check_reply(void *ctx, const unsigned char *f, size_t len)
{
    struct ipc_in in;
    size_t *n = ctx;

    if (ipc_in_init(&in, f, len) < 0 || in.type != 'S')
        abort();
    (void) ipc_get_u32(&in);
    if (!ipc_in_ok(&in) || ipc_in_more(&in))
        abort();
    ++*n;
}

static void
control(const uint8_t *data, size_t size)
{
    static unsigned long inputs;
    struct expect e = {0};
    size_t got = 0, end;
    int exact;

    if (++inputs % 4096 == 0)
        add_message();
    daemon_exchange(sock, data, size, &replies);
    end = daemon_frames(replies.data, replies.len, 64, check_reply, &got);
    if (end != replies.len)
        abort(); /* bytes that are not a whole reply */
    if (size > 0 && data[0] == 'W') {
        exact = 1; /* master's wakeup: no request, no reply */
    } else {
        end = daemon_frames(data, size, 1 << 16, count_request, &e);
        /* stopped at a frame over the limit (qmgr drops the client and
         * what it had not written yet), or at a partial one (all) */
        exact = size - end < 4 || ipc_be32(data + end) - 1u < 1u << 16;
    }
    if (exact ? got != e.replies : got > e.replies) {
        fprintf(stderr, "fuzz_qmgr: %zu replies to %zu requests\n", got,
                e.replies);
        abort();
    }
}

/* ---- 1: an agent's reply ---- */

/* frame - the input as the body of a frame (the framing is fuzzed
 * through the sockets) */
static void
frame(struct buf *f, const uint8_t *body, size_t size)
{
    unsigned char h[4] = {(unsigned char) (size >> 24),
                          (unsigned char) (size >> 16),
                          (unsigned char) (size >> 8), (unsigned char) size};

    buf_truncate(f, 0);
    (void) buf_append(f, (const char *) h, 4);
    (void) buf_append(f, (const char *) body, size);
}

static int
same_text(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

static void
check_results(const struct deliver_req *a, const struct deliver_req *b)
{
    if (a->nrcpt != b->nrcpt || a->hop_fail != b->hop_fail)
        abort();
    for (size_t i = 0; i < a->nrcpt; i++) {
        const struct deliver_rcpt *x = &a->rcpt[i], *y = &b->rcpt[i];

        if (x->idx != y->idx || x->status != y->status ||
            x->notify != y->notify || strcmp(x->dsn, y->dsn) != 0 ||
            !same_text(x->text, y->text)) {
            fprintf(stderr,
                    "fuzz_qmgr: recipient %zu differs after a "
                    "round trip\n",
                    i);
            abort();
        }
    }
}

static void
reply(const uint8_t *data, size_t size)
{
    struct buf f;
    struct deliver_req r, r2;
    struct ipc_in in;
    struct ipc_out o;
    size_t len;
    const char *enc;

    if (size == 0 || size > 1 << 20)
        return; /* not a frame ipc_conn_frame passes on */
    buf_init(&f, 0);
    frame(&f, data, size);
    fuzz_request(&r);
    if (ipc_in_init(&in, f.data, f.len) < 0)
        abort();
    (void) deliver_reply_decode(&in, &r);
    for (size_t i = 0; i < r.nrcpt; i++)
        if (r.rcpt[i].status < DELIVER_SENT ||
            r.rcpt[i].status > DELIVER_BOUNCE ||
            memchr(r.rcpt[i].dsn, 0, sizeof(r.rcpt[i].dsn)) == NULL)
            abort();
    /* the results, once more through the encoder and the decoder */
    ipc_out_init(&o);
    deliver_reply_encode(&o, &r);
    enc = ipc_out_finish(&o, &len);
    fuzz_request(&r2);
    if (ipc_in_init(&in, enc, len) < 0 || deliver_reply_decode(&in, &r2) < 0)
        abort();
    check_results(&r, &r2);
    ipc_out_fini(&o);
    deliver_req_fini(&r);
    deliver_req_fini(&r2);
    buf_fini(&f);
}

/* ---- 2: a delivery request ---- */

static void
request(const uint8_t *data, size_t size)
{
    struct buf f;
    struct deliver_req r, r2;
    struct ipc_in in;
    struct ipc_out o, o2;
    size_t len, len2;
    const char *enc, *enc2;

    if (size == 0 || size > 1 << 20)
        return; /* not a frame ipc_conn_frame passes on */
    buf_init(&f, 0);
    frame(&f, data, size);
    if (ipc_in_init(&in, f.data, f.len) < 0)
        abort();
    if (deliver_req_decode(&in, &r) == 0) {
        ipc_out_init(&o);
        ipc_out_init(&o2);
        deliver_req_encode(&o, &r);
        enc = ipc_out_finish(&o, &len);
        if (ipc_in_init(&in, enc, len) < 0 || deliver_req_decode(&in, &r2) < 0)
            abort();
        if (strcmp(r.id, r2.id) || r.seq != r2.seq ||
            r.content_off != r2.content_off ||
            r.content_len != r2.content_len || r.arrival_us != r2.arrival_us ||
            r.active_us != r2.active_us || r.sent_us != r2.sent_us ||
            r.flags != r2.flags || r.ret != r2.ret ||
            strcmp(r.sender, r2.sender) || strcmp(r.nexthop, r2.nexthop) ||
            strcmp(r.envid, r2.envid))
            abort();
        check_results(&r, &r2);
        for (size_t i = 0; i < r.nrcpt; i++)
            if (strcmp(r.rcpt[i].addr, r2.rcpt[i].addr) ||
                strcmp(r.rcpt[i].orig, r2.rcpt[i].orig) ||
                strcmp(r.rcpt[i].orcpt, r2.rcpt[i].orcpt))
                abort();
        deliver_req_encode(&o2, &r2);
        enc2 = ipc_out_finish(&o2, &len2);
        if (len != len2 || memcmp(enc, enc2, len) != 0)
            abort(); /* the encoding of one request is not one */
        deliver_req_fini(&r2);
        ipc_out_fini(&o);
        ipc_out_fini(&o2);
    }
    deliver_req_fini(&r);
    buf_fini(&f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    switch (data[0] % 3) {
    case 0:
        control(data + 1, size - 1);
        break;
    case 1:
        reply(data + 1, size - 1);
        break;
    default:
        request(data + 1, size - 1);
        break;
    }
    return 0;
}
