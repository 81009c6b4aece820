/*
 * fuzz_cleanup - libFuzzer target for the cleanup request protocol.
 *
 * DESCRIPTION
 *	The input is what a client (smtpd, pickup, bounce) writes on
 *	private/cleanup: OPEN, ENV, DATA, END, ABORT frames (or anything
 *	else). The real cleanup daemon (cleanup_service) runs in a thread
 *	over a scratch queue (fuzz_daemon.h), with a stand-in qmgr on
 *	public/qmgr that takes its commit notices. Each input is one client
 *	connection, written in pieces of 1 to 64 bytes (fuzz_pieces.h), so
 *	frames are split across reads as a socket splits them; the framing
 *	(ipc_conn_fill/ipc_conn_frame), the request parser, the header scan
 *	and rewrite at END, the queue append and the group commit all see
 *	the fuzzed bytes.
 *
 *	Checks beyond the sanitizers:
 *	- every frame cleanup sends back is one of its two replies, whole
 *	  and well-formed: 'I' with two queue IDs, or 'S' with a status
 *	  0..3, the text cleanup_reply_text gives for it, and a queue ID;
 *	- durability: the records that appear in the store during the
 *	  input are exactly as many as the 'S' replies with status 0, each
 *	  under an ID cleanup handed to this client, no two alike, each
 *	  with at least one recipient, with content no longer than the
 *	  input plus the headers cleanup adds, and no more recipients than
 *	  one ENV frame of the input names; the store has no torn tail;
 *	- every commit notice to qmgr is an 'N' frame (u64 segment, u64
 *	  end, nothing more) whose end does not lie beyond the segment.
 *	Leaks are libFuzzer's (-detect_leaks, on by default): the daemon
 *	frees a client when its connection ends, which is before this
 *	function returns.
 *
 *	Segments are small (POSTERN_SEGMENT_BYTES) so that they roll over
 *	and sealed-segment notices happen; the fuzzer removes segments that
 *	cleanup has let go of, as qmgr would, so the store stays small.
 *
 * BUGS
 *	OPEN_RESERVED ('P') only ever carries an ID cleanup did not hand
 *	out (the input is written before the replies are read), so only
 *	its refusal path runs.
 */
#define _GNU_SOURCE 1 /* fuzz_daemon.h: nftw, mkdtemp */
#include <pthread.h>
#include <pwd.h>

#include "cleanup/cleanup.h"
#include "fuzz_daemon.h"
#include "maillog/maillog.h"
#include "pcf/pcf.h"
#include "queue/queue.h"
#include "server/server.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct server srv;
/* its names: struct server's are writable */
static char srv_service[] = "cleanup", srv_type[] = "unix",
            srv_name_space[] = "cleanup/unix", srv_command[] = "cleanup";
static struct queue_fs *fs;         /* the fuzzer's own view of the store */
static uint64_t scan_seq, scan_off; /* store read up to here */
static struct buf replies;
static char sock[PATH_MAX];

static const char main_cf[] = "compatibility_level = 3.6\n"
                              "myhostname = mx.example.com\n"
                              "mydomain = example.com\n"
                              "myorigin = example.com\n"
                              "mydestination = example.com, localhost\n"
                              "maillog_file = /dev/null\n"
                              "message_size_limit = 20000\n";

/* ---- the stand-in qmgr: commit notices ---- */

static void
check_notice(const struct buf *f)
{
    struct ipc_in in;
    uint64_t seq, end;
    char name[64], path[128];
    struct stat st;

    if (ipc_in_init(&in, f->data, f->len) < 0 || in.type != 'N')
        abort();
    seq = ipc_get_u64(&in);
    end = ipc_get_u64(&in);
    if (!ipc_in_ok(&in) || ipc_in_more(&in) || seq == 0)
        abort(); /* not a notice */
    queue_seg_name(seq, name, sizeof(name));
    snprintf(path, sizeof(path), "store/%s", name);
    /* the fuzzer may have removed a sealed segment meanwhile */
    if (stat(path, &st) == 0 && end > (uint64_t) st.st_size) {
        fprintf(stderr,
                "fuzz_cleanup: notice for %s ends at %llu, beyond "
                "its %lld bytes\n",
                name, (unsigned long long) end, (long long) st.st_size);
        abort();
    }
}

static void *
qmgr_thread(void *arg)
{
    int lfd = *(int *) arg;
    struct buf f;

    buf_init(&f, 0);
    for (;;) {
        int fd = accept(lfd, NULL, NULL);

        if (fd < 0)
            continue;
        while (ipc_recv(fd, &f, 1 << 16, -1) == 1)
            check_notice(&f);
        (void) close(fd);
    }
    return NULL;
}

static void *
cleanup_thread(void *arg)
{
    (void) arg;
    (void) cleanup_service(&srv);
    abort(); /* it returns only when told to stop */
}

/* mail_owner - an existing unprivileged user; server_drop_privileges
 * looks it up when the fuzzer runs as root (and changes nothing, the
 * entry being neither chrooted nor unprivileged) */
static const char *
mail_owner(void)
{
    struct passwd *pw = getpwnam("nobody");

    if (pw == NULL)
        pw = getpwuid(geteuid());
    return pw ? pw->pw_name : "nobody";
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static int qfd;
    char text[sizeof(main_cf) + 128], path[PATH_MAX];
    pthread_t t;
    struct ipc_out o;
    struct buf f;
    int fd;

    daemon_home(argc, argv, "cleanup");
    snprintf(text, sizeof(text), "%smail_owner = %s\n", main_cf, mail_owner());
    daemon_write_file("main.cf", text);
    daemon_write_file("master.cf", "cleanup unix n - n - 0 cleanup\n"
                                   "qmgr unix n - n 300 1 qmgr\n");
    (void) setenv("POSTERN_SEGMENT_BYTES", "262144", 1);
    /* a fatal error of the daemon exits the fuzzer: say why */
    maillog_open("postfix/cleanup", "/dev/null", "mx.example.com");
    maillog_set_stderr(getenv("FUZZ_CLEANUP_LOG") ? 1 : 0);
    if ((srv.conf = pcf_load(daemon_dir)) == NULL)
        daemon_die("pcf_load");
    srv.service = srv_service;
    srv.type = srv_type;
    srv.name_space = srv_name_space;
    srv.command = srv_command;
    srv.status_fd = -1;
    snprintf(sock, sizeof(sock), "%s/private/cleanup", daemon_dir);
    if ((srv.listen_fd[0] = ipc_listen_unix(sock, 0600, 64)) < 0)
        daemon_die(sock);
    srv.nlisten = 1;
    snprintf(path, sizeof(path), "%s/public/qmgr", daemon_dir);
    if ((qfd = ipc_listen_unix(path, 0600, 16)) < 0)
        daemon_die(path);
    if (pthread_create(&t, NULL, qmgr_thread, &qfd) != 0 ||
        pthread_create(&t, NULL, cleanup_thread, NULL) != 0)
        daemon_die("pthread_create");

    /* one round trip: cleanup has its store and its loop */
    ipc_out_init(&o);
    buf_init(&f, 0);
    ipc_out_begin(&o, CLEANUP_OPEN);
    ipc_put_u32(&o, 0);
    if ((fd = ipc_connect_unix(sock)) < 0 ||
        ipc_call(fd, &o, &f, 1 << 16, 20000) < 0)
        daemon_die("cleanup does not answer");
    ipc_out_begin(&o, CLEANUP_ABORT);
    if (ipc_send(fd, &o, 20000) < 0)
        daemon_die("cleanup");
    (void) close(fd);
    ipc_out_fini(&o);
    buf_fini(&f);
    if ((fs = queue_fs_disk("store")) == NULL)
        daemon_die("store");
    buf_init(&replies, 0);
    return 0;
}

/* ---- what cleanup answered ---- */

struct answer {
    struct strv ids; /* every ID handed to this client */
    uint32_t nrcpt;  /* most recipients one ENV frame of the input names */
    size_t ok;       /* 'S' replies with status 0 */
    size_t records;  /* new records in the store */
    size_t limit;    /* longest content a record may have */
};

static void
check_reply(void *ctx, const unsigned char *p, size_t len)
{
    struct answer *a = ctx;
    struct ipc_in in;
    const char *id, *next;

    if (ipc_in_init(&in, p, len) < 0)
        abort();
    if (in.type == 'I') {
        id = ipc_get_str(&in);
        next = ipc_get_str(&in);
        if (!queue_id_ok(id) || strcmp(id, next) == 0)
            abort();
        strv_add(&a->ids, id);
    } else if (in.type == 'S') {
        uint32_t st = ipc_get_u32(&in);
        const char *text = ipc_get_str(&in);

        next = ipc_get_str(&in);
        if (st > CLEANUP_STAT_BAD_RCPT || strcmp(text, cleanup_reply_text(st)))
            abort();
        a->ok += st == CLEANUP_STAT_OK;
    } else {
        abort(); /* not a reply of the protocol */
    }
    if (!ipc_in_ok(&in) || ipc_in_more(&in) || !queue_id_ok(next))
        abort();
    strv_add(&a->ids, next);
}

static int
check_record(void *ctx, const struct queue_loc *loc,
             const struct queue_env *env)
{
    struct answer *a = ctx;
    size_t i;

    (void) loc;
    for (i = 0; i < a->ids.n; i++)
        if (a->ids.v[i] && strcmp(a->ids.v[i], env->id) == 0)
            break;
    if (i == a->ids.n) {
        fprintf(stderr,
                "fuzz_cleanup: record %s: an ID this client never "
                "got, or a second record under one ID\n",
                env->id);
        abort();
    }
    mem_free(a->ids.v[i]); /* one record per ID */
    a->ids.v[i] = NULL;
    if (env->nrcpt == 0 || env->nrcpt > a->nrcpt ||
        env->content_len > a->limit) {
        fprintf(stderr,
                "fuzz_cleanup: record %s: %zu recipients, %llu bytes "
                "of content\n",
                env->id, env->nrcpt, (unsigned long long) env->content_len);
        abort();
    }
    a->records++;
    return 0;
}

/* env_rcpts - the recipient count an ENV frame of the input names */
static void
env_rcpts(void *ctx, const unsigned char *p, size_t len)
{
    struct answer *a = ctx;
    struct ipc_in in;
    uint32_t n;

    if (ipc_in_init(&in, p, len) < 0 || in.type != CLEANUP_ENV)
        return;
    (void) ipc_get_u32(&in);
    (void) ipc_get_u32(&in);
    (void) ipc_get_u64(&in);
    for (int i = 0; i < 8; i++)
        (void) ipc_get_str(&in);
    n = ipc_get_u32(&in);
    if (ipc_in_ok(&in) && n > a->nrcpt)
        a->nrcpt = n;
}

/* scan_store - the records added since the last input; segments that
 * cleanup has let go of (never the last) are removed, after they were
 * read to their end: cleanup appends only to the last segment, and to
 * the one before until the commit after a roll-over */
static void
scan_store(struct answer *a)
{
    uint64_t *seqs;
    size_t n;

    if (queue_seg_list(fs, &seqs, &n) < 0)
        daemon_die("store");
    for (size_t i = 0; i < n; i++) {
        int torn = 0;

        if (seqs[i] > scan_seq) {
            scan_seq = seqs[i];
            scan_off = 0;
        }
        if (seqs[i] == scan_seq &&
            (queue_seg_scan(fs, seqs[i], &scan_off, 0, check_record, a, &torn) <
                 0 ||
             torn)) {
            fprintf(stderr, "fuzz_cleanup: segment %llu: %s at %llu\n",
                    (unsigned long long) seqs[i], torn ? "torn" : "unreadable",
                    (unsigned long long) scan_off);
            abort();
        }
        if (i + 1 < n && queue_seg_writer_gone(fs, seqs[i]) == 1 &&
            queue_seg_remove(fs, seqs[i]) < 0)
            daemon_die("remove segment");
    }
    mem_free(seqs);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct answer a;
    size_t end;

    daemon_exchange(sock, data, size, &replies);
    memset(&a, 0, sizeof(a));
    strv_init(&a.ids);
    a.limit = size + 4096; /* Date, Message-Id, From, To */
    (void) daemon_frames(data, size, 1 << 20, env_rcpts, &a);
    end = daemon_frames(replies.data, replies.len, 1 << 16, check_reply, &a);
    if (end != replies.len) {
        fprintf(stderr,
                "fuzz_cleanup: %zu bytes of reply that are not a "
                "whole frame\n",
                replies.len - end);
        abort();
    }
    scan_store(&a);
    if (a.records != a.ok) {
        fprintf(stderr,
                "fuzz_cleanup: %zu messages acknowledged, %zu "
                "records in the store\n",
                a.ok, a.records);
        abort();
    }
    strv_fini(&a.ids);
    return 0;
}
