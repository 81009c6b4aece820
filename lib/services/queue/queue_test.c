/*
 * queue_test - unit tests of the queue store.
 *
 * DESCRIPTION
 *	Round trips, group commit, torn tails, failed appends, simulated
 *	power cuts (ram backend), state logs and snapshots, segment
 *	rollover, queue IDs, and a real SIGKILL test on disk: a child
 *	commits batches and reports each acknowledged ID through a pipe;
 *	after kill -9 every acknowledged ID must be found intact.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* After the headers it needs (stdarg, stddef, stdint, setjmp). */
#include <cmocka.h>

#include "queue/queue.h"

struct seen {
    size_t n;
    char ids[4096][QUEUE_ID_SIZE];
    uint64_t clen[4096];
    struct queue_loc loc[4096];
    size_t nrcpt[4096];
};

static int
collect(void *ctx, const struct queue_loc *loc, const struct queue_env *env)
{
    struct seen *s = ctx;

    if (s->n < 4096) {
        memcpy(s->ids[s->n], env->id, QUEUE_ID_SIZE);
        s->clen[s->n] = loc->content_len;
        s->loc[s->n] = *loc;
        s->nrcpt[s->n] = env->nrcpt;
        s->n++;
    }
    return 0;
}

static void
make_env(struct queue_env *env, int i)
{
    char a[64];

    queue_env_init(env);
    queue_id_make(env->id);
    env->arrival_us = queue_now_us();
    queue_env_set(&env->sender, "alice@example.org");
    queue_env_set(&env->client_name, "mx.example.org");
    queue_env_set(&env->client_addr, "192.0.2.10");
    queue_env_set(&env->helo, "mx.example.org");
    queue_env_set(&env->proto, "ESMTP");
    snprintf(a, sizeof(a), "bob%d@example.net", i);
    queue_env_add_rcpt(env, a, "", "", QUEUE_NOTIFY_FAILURE);
    queue_env_add_rcpt(env, "carol@example.net", "Carol@Example.net",
                       "rfc822;carol@example.net", 0);
    if (i % 2) /* a content filter on odd messages (issue 19) */
        queue_env_set(&env->filter, "smtp-amavis:[127.0.0.1]:10024");
}

static int
append_one(struct queue_writer *w, int i, char *id, struct queue_loc *loc)
{
    struct queue_env env;
    char body[256], tail[] = "tail\n";
    struct iovec iov[2];
    int rc;

    make_env(&env, i);
    snprintf(body, sizeof(body), "Subject: %d\n\nbody %d\n", i, i);
    iov[0].iov_base = body;
    iov[0].iov_len = strlen(body);
    iov[1].iov_base = tail;
    iov[1].iov_len = 5;
    rc = queue_writer_append(w, &env, iov, 2, loc);
    if (id)
        memcpy(id, env.id, QUEUE_ID_SIZE);
    queue_env_fini(&env);
    return rc;
}

static size_t
scan_all(struct queue_fs *fs, struct seen *s)
{
    uint64_t *seqs;
    size_t n;

    s->n = 0;
    assert_int_equal(queue_seg_list(fs, &seqs, &n), 0);
    for (size_t i = 0; i < n; i++) {
        uint64_t off = 0;

        assert_true(queue_seg_scan(fs, seqs[i], &off, 0, collect, s, NULL) >=
                    0);
    }
    free(seqs);
    return s->n;
}

static void
test_ids(void **state)
{
    char a[QUEUE_ID_SIZE], b[QUEUE_ID_SIZE];

    (void) state;
    queue_id_make(a);
    queue_id_make(b);
    assert_true(queue_id_ok(a));
    assert_true(strcmp(a, b) != 0);
    assert_true(strlen(a) >= 10 && strlen(a) <= 14);
    assert_false(queue_id_ok(""));
    assert_false(queue_id_ok("ABC/DEF"));
    assert_false(queue_id_ok("ABC:DEF"));
}

static void
test_roundtrip(void **state)
{
    struct queue_fs *fs = queue_fs_ram();
    struct queue_writer *w = queue_writer_new(fs, 0, 0);
    static struct seen s;
    struct queue_loc loc;
    char id[QUEUE_ID_SIZE], buf[64];
    struct queue_env env;

    (void) state;
    for (int i = 0; i < 10; i++)
        assert_int_equal(append_one(w, i, i == 3 ? id : NULL, &loc), 0);
    assert_int_equal(queue_writer_pending(w), 10);
    assert_int_equal(queue_writer_commit(w), 0);
    assert_int_equal(queue_writer_syncs(w), 1); /* one flush for ten */
    assert_int_equal(scan_all(fs, &s), 10);
    assert_string_equal(s.ids[3], id);
    assert_int_equal(s.nrcpt[3], 2);
    /* content read in place */
    assert_int_equal(
        queue_content_read(fs, s.loc[3].seq, buf, 8, s.loc[3].content_off), 8);
    assert_memory_equal(buf, "Subject:", 8);
    /* random access decode */
    queue_env_init(&env);
    assert_int_equal(queue_seg_read_env(fs, &s.loc[3], &env, NULL), 0);
    assert_string_equal(env.id, id);
    assert_string_equal(env.rcpt[1].orig, "Carol@Example.net");
    assert_string_equal(env.rcpt[1].orcpt, "rfc822;carol@example.net");
    assert_int_equal(env.rcpt[0].notify, QUEUE_NOTIFY_FAILURE);
    assert_string_equal(env.filter, "smtp-amavis:[127.0.0.1]:10024");
    assert_true(env.flags & QUEUE_F_FILTER);
    /* no filter: the record as before, no filter read back */
    assert_int_equal(queue_seg_read_env(fs, &s.loc[4], &env, NULL), 0);
    assert_true(env.filter == NULL || *env.filter == 0);
    assert_false(env.flags & QUEUE_F_FILTER);
    assert_string_equal(env.rcpt[1].orcpt, "rfc822;carol@example.net");
    queue_env_fini(&env);
    queue_writer_free(w);
    queue_fs_free(fs);
}

static void
test_crash_ram(void **state)
{
    struct queue_fs *fs = queue_fs_ram();
    struct queue_writer *w = queue_writer_new(fs, 0, 0);
    static struct seen s;
    struct queue_loc loc;
    char ids[20][QUEUE_ID_SIZE];

    (void) state;
    for (int i = 0; i < 12; i++)
        assert_int_equal(append_one(w, i, ids[i], &loc), 0);
    assert_int_equal(queue_writer_commit(w), 0);
    for (int i = 12; i < 20; i++)
        assert_int_equal(append_one(w, i, ids[i], &loc), 0);
    /* power cut before the second commit */
    queue_fs_ram_crash(fs);
    queue_writer_free(w);
    assert_int_equal(scan_all(fs, &s), 12);
    for (int i = 0; i < 12; i++)
        assert_string_equal(s.ids[i], ids[i]);
    /* a new writer starts a new segment; the old one is sealed */
    w = queue_writer_new(fs, 0, 0);
    assert_int_equal(append_one(w, 99, NULL, &loc), 0);
    assert_int_equal(queue_writer_commit(w), 0);
    assert_true(loc.seq == 2);
    assert_int_equal(queue_seg_writer_gone(fs, 1), 1);
    assert_int_equal(queue_seg_writer_gone(fs, 2), 0);
    assert_int_equal(scan_all(fs, &s), 13);
    queue_writer_free(w);
    queue_fs_free(fs);
}

static void
test_crash_new_segment_unsynced(void **state)
{
    struct queue_fs *fs = queue_fs_ram();
    struct queue_writer *w = queue_writer_new(fs, 0, 0);
    static struct seen s;
    struct queue_loc loc;

    (void) state;
    assert_int_equal(append_one(w, 1, NULL, &loc), 0);
    queue_fs_ram_crash(fs); /* neither data nor name synced */
    queue_writer_free(w);
    assert_int_equal(scan_all(fs, &s), 0);
    queue_fs_free(fs);
}

static void
test_failed_append(void **state)
{
    struct queue_fs *fs = queue_fs_ram();
    struct queue_writer *w = queue_writer_new(fs, 0, 0);
    static struct seen s;
    struct queue_loc loc;

    (void) state;
    assert_int_equal(append_one(w, 1, NULL, &loc), 0);
    queue_fs_ram_fail(fs, 1);
    assert_int_equal(append_one(w, 2, NULL, &loc), -1);
    assert_int_equal(errno, ENOSPC);
    assert_int_equal(append_one(w, 3, NULL, &loc), 0);
    assert_int_equal(queue_writer_commit(w), 0);
    /* the half record was cut away: both good records are readable */
    assert_int_equal(scan_all(fs, &s), 2);
    queue_writer_free(w);
    queue_fs_free(fs);
}

static void
test_rollover(void **state)
{
    struct queue_fs *fs = queue_fs_ram();
    struct queue_writer *w = queue_writer_new(fs, 0, 4);
    static struct seen s;
    struct queue_loc loc;
    uint64_t *seqs;
    size_t n;

    (void) state;
    for (int i = 0; i < 10; i++)
        assert_int_equal(append_one(w, i, NULL, &loc), 0);
    assert_int_equal(queue_writer_commit(w), 0);
    assert_int_equal(queue_seg_list(fs, &seqs, &n), 0);
    assert_int_equal(n, 3);
    free(seqs);
    assert_int_equal(scan_all(fs, &s), 10);
    assert_int_equal(queue_seg_writer_gone(fs, 1), 1);
    assert_int_equal(queue_seg_writer_gone(fs, 3), 0);
    /* a power cut keeps all three segments: the rollover synced them */
    queue_fs_ram_crash(fs);
    assert_int_equal(scan_all(fs, &s), 10);
    queue_writer_free(w);
    queue_fs_free(fs);
}

/* rollover inside a group: the tail of each segment it left is
 * reported by queue_writer_sealed once a commit made it durable, so a
 * reader told only "segment N is committed to offset X" misses nothing */
static void
test_sealed(void **state)
{
    struct queue_fs *fs = queue_fs_ram();
    struct queue_writer *w = queue_writer_new(fs, 0, 4);
    struct queue_loc loc;
    uint64_t sealed[8];

    (void) state;
    for (int i = 0; i < 3; i++)
        assert_int_equal(append_one(w, i, NULL, &loc), 0);
    assert_int_equal(queue_writer_commit(w), 0);
    assert_int_equal(queue_writer_sealed(w, sealed, 8), 0);
    /* two more: the fourth fills segment 1, the fifth opens segment 2
     * while the fourth is not yet committed */
    assert_int_equal(append_one(w, 3, NULL, &loc), 0);
    assert_int_equal(loc.seq, 1);
    assert_int_equal(append_one(w, 4, NULL, &loc), 0);
    assert_int_equal(loc.seq, 2);
    /* not durable yet */
    assert_int_equal(queue_writer_sealed(w, sealed, 8), 0);
    assert_int_equal(queue_writer_commit(w), 0);
    assert_int_equal(queue_writer_sealed(w, sealed, 8), 1);
    assert_int_equal(sealed[0], 1);
    assert_int_equal(queue_writer_seq(w), 2);
    /* taken: not reported again; a commit without rollover reports none */
    assert_int_equal(queue_writer_sealed(w, sealed, 8), 0);
    assert_int_equal(append_one(w, 5, NULL, &loc), 0);
    assert_int_equal(queue_writer_commit(w), 0);
    assert_int_equal(queue_writer_sealed(w, sealed, 8), 0);
    queue_writer_free(w);
    queue_fs_free(fs);
}

struct snapseen {
    int n;
    int deferred, hold;
    char reason[64];
    int rcpt_left;
};

static int
snap_fn(void *ctx, const struct queue_snap_msg *m)
{
    struct snapseen *ss = ctx;

    ss->n++;
    if (m->state == QUEUE_MS_DEFERRED) {
        ss->deferred++;
        snprintf(ss->reason, sizeof(ss->reason), "%s", m->reason);
    }
    if (m->state == QUEUE_MS_HOLD)
        ss->hold++;
    for (size_t i = 0; i < m->env->nrcpt; i++)
        ss->rcpt_left += !m->rcpt_done[i];
    return 0;
}

static void
test_state_snapshot(void **state)
{
    struct queue_fs *fs = queue_fs_ram();
    struct queue_writer *w = queue_writer_new(fs, 0, 0);
    struct queue_loc loc[5];
    struct queue_state_log *sl;
    struct queue_state_rec r;
    struct snapseen ss;

    (void) state;
    for (int i = 0; i < 5; i++)
        assert_int_equal(append_one(w, i, NULL, &loc[i]), 0);
    assert_int_equal(queue_writer_commit(w), 0);
    sl = queue_state_open(fs, loc[0].seq);
    assert_non_null(sl);
    memset(&r, 0, sizeof(r));
    r.type = QUEUE_ST_DONE; /* 0 delivered */
    r.off = loc[0].off;
    assert_int_equal(queue_state_append(sl, &r), 0);
    r.type = QUEUE_ST_RCPT; /* 1: both recipients done one by one */
    r.off = loc[1].off;
    r.idx = 0;
    assert_int_equal(queue_state_append(sl, &r), 0);
    r.idx = 1;
    assert_int_equal(queue_state_append(sl, &r), 0);
    r.type = QUEUE_ST_RCPT; /* 2: one recipient left, deferred */
    r.off = loc[2].off;
    r.idx = 0;
    assert_int_equal(queue_state_append(sl, &r), 0);
    r.type = QUEUE_ST_DEFER;
    r.when = 42;
    r.attempts = 1;
    r.reason = "connection refused";
    assert_int_equal(queue_state_append(sl, &r), 0);
    r.type = QUEUE_ST_HOLD; /* 3 held */
    r.off = loc[3].off;
    assert_int_equal(queue_state_append(sl, &r), 0);
    r.type = QUEUE_ST_DELETED; /* 4 deleted */
    r.off = loc[4].off;
    assert_int_equal(queue_state_append(sl, &r), 0);
    assert_int_equal(queue_state_sync(sl), 0);
    queue_state_close(sl);

    memset(&ss, 0, sizeof(ss));
    assert_int_equal(queue_snapshot(fs, snap_fn, NULL, &ss), 0);
    assert_int_equal(ss.n, 2);
    assert_int_equal(ss.deferred, 1);
    assert_int_equal(ss.hold, 1);
    assert_string_equal(ss.reason, "connection refused");
    assert_int_equal(ss.rcpt_left, 1 + 2);

    /* remove the segment */
    assert_int_equal(queue_seg_remove(fs, loc[0].seq), 0);
    memset(&ss, 0, sizeof(ss));
    assert_int_equal(queue_snapshot(fs, snap_fn, NULL, &ss), 0);
    assert_int_equal(ss.n, 0);
    queue_writer_free(w);
    queue_fs_free(fs);
}

static char tmpdir[256];

static void
rm_rf(const char *dir)
{
    if (util_rm_tree_at(AT_FDCWD, dir) < 0)
        fprintf(stderr, "cleanup of %s failed\n", dir);
}

/* disk_fs - a disk store in a fresh tmpdir; its path in path */
static struct queue_fs *
disk_fs(char *path, size_t len)
{
    struct queue_fs *fs;

    snprintf(tmpdir, sizeof(tmpdir), "/tmp/queue_test.%ld", (long) getpid());
    mkdir(tmpdir, 0700);
    snprintf(path, len, "%s/store", tmpdir);
    fs = queue_fs_disk(path);
    assert_non_null(fs);
    return fs;
}

static void
test_disk_torn_tail(void **state)
{
    struct queue_fs *fs;
    struct queue_writer *w;
    static struct seen s;
    struct queue_loc loc;
    char path[512];
    int fd, torn = 0;
    uint64_t off = 0;

    (void) state;
    fs = disk_fs(path, sizeof(path));
    w = queue_writer_new(fs, 0, 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(append_one(w, i, NULL, &loc), 0);
    assert_int_equal(queue_writer_commit(w), 0);
    /* a writer killed in the middle of a record */
    snprintf(path, sizeof(path), "%s/store/00000001.seg", tmpdir);
    fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, "PQR1\0\0\0\0\0\0\1\0garbage", 19,
                            (off_t) queue_writer_end(w)),
                     19);
    close(fd);
    assert_int_equal(queue_seg_scan(fs, 1, &off, 0, collect, &s, &torn), 0);
    assert_int_equal(s.n, 3);
    assert_int_equal(torn, 1);
    assert_int_equal(queue_seg_writer_gone(fs, 1), 0);
    {
        /* preallocated while open, cut to its records when closed */
        struct stat st;
        uint64_t end = queue_writer_end(w);

        assert_int_equal(stat(path, &st), 0);
        assert_true((uint64_t) st.st_size > end);
        queue_writer_free(w);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal((uint64_t) st.st_size, end);
    }
    assert_int_equal(queue_seg_writer_gone(fs, 1), 1);
    queue_fs_free(fs);
    rm_rf(tmpdir);
}

/* open_fds - descriptors this process holds */
static int
open_fds(void)
{
    char path[64];
    int n = 0;

    for (int fd = 0; fd < 1024; fd++) {
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        if (access(path, F_OK) == 0)
            n++;
    }
    return n;
}

/* the read-handle cache: repeated scans of the growing segment keep one
 * descriptor, reads across segments get each segment's bytes, and a
 * removed segment's descriptor is closed (its space is freed) */
static void
test_disk_read_cache(void **state)
{
    struct queue_fs *fs;
    struct queue_writer *w;
    static struct seen s;
    struct queue_loc loc[6];
    char path[512], buf[64];
    uint64_t off = 0;
    int base;

    (void) state;
    fs = disk_fs(path, sizeof(path));
    w = queue_writer_new(fs, 0, 0);
    assert_int_equal(append_one(w, 0, NULL, &loc[0]), 0);
    assert_int_equal(queue_writer_commit(w), 0);
    s.n = 0;
    assert_int_equal(queue_seg_scan(fs, 1, &off, 0, collect, &s, NULL), 0);
    assert_int_equal(s.n, 1);
    base = open_fds();
    for (int i = 1; i < 4; i++) {
        /* a commit notice, then a scan from where the last one ended */
        assert_int_equal(append_one(w, i, NULL, &loc[i]), 0);
        assert_int_equal(queue_writer_commit(w), 0);
        assert_int_equal(queue_seg_scan(fs, 1, &off, 0, collect, &s, NULL), 0);
        assert_int_equal(s.n, (size_t) i + 1);
        assert_int_equal(open_fds(), base);
    }
    queue_writer_free(w);
    /* a second segment: reads alternate between the two */
    w = queue_writer_new(fs, 0, 0);
    assert_int_equal(append_one(w, 4, NULL, &loc[4]), 0);
    assert_int_equal(queue_writer_commit(w), 0);
    assert_true(loc[4].seq != loc[0].seq);
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 5; i++) {
            char want[64];

            snprintf(want, sizeof(want), "Subject: %d\n", i);
            assert_int_equal(queue_content_read(fs, loc[i].seq, buf,
                                                strlen(want),
                                                loc[i].content_off),
                             (ssize_t) strlen(want));
            assert_memory_equal(buf, want, strlen(want));
        }
    /* segment 1 is cached now; removing it must close the descriptor */
    assert_int_equal(queue_content_read(fs, 1, buf, 4, loc[0].content_off), 4);
    assert_int_equal(queue_seg_remove(fs, 1), 0);
    assert_int_equal(open_fds(), base - 1); /* writer 1's was closed too */
    {
        char link[64], target[600];

        for (int fd = 0; fd < 1024; fd++) {
            ssize_t n;

            snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
            n = readlink(link, target, sizeof(target) - 1);
            if (n > 0) {
                target[n] = 0;
                assert_null(strstr(target, "(deleted)"));
            }
        }
    }
    queue_writer_free(w);
    /* another process empties the queue and its writer starts again at
     * segment 1: the cached descriptor of the old segment 1 must not
     * hide the new one */
    {
        struct queue_fs *other = queue_fs_disk(path);
        struct queue_loc l2;

        assert_int_equal(
            queue_content_read(fs, loc[4].seq, buf, 4, loc[4].content_off),
            4); /* cached: segment 2 */
        assert_int_equal(queue_seg_remove(other, loc[4].seq), 0);
        /* round 0: segment 2 was cached; round 1: the new segment 1 is */
        for (int round = 0; round < 2; round++) {
            if (round == 1)
                assert_int_equal(queue_seg_remove(other, 1), 0);
            w = queue_writer_new(other, 0, 0);
            for (int i = 0; i <= round; i++)
                assert_int_equal(append_one(w, 7 + i, NULL, &l2), 0);
            assert_int_equal(queue_writer_commit(w), 0);
            assert_true(l2.seq == 1);
            off = 0;
            s.n = 0;
            assert_int_equal(queue_seg_scan(fs, 1, &off, 0, collect, &s, NULL),
                             0);
            assert_int_equal(s.n, (size_t) round + 1);
            queue_writer_free(w);
        }
        queue_fs_free(other);
    }
    queue_fs_free(fs);
    rm_rf(tmpdir);
}

static void
test_disk_sigkill(void **state)
{
    char path[512], line[64];
    int pfd[2];
    pid_t pid;
    FILE *acks;
    struct queue_fs *fs;
    static struct seen s;
    size_t acked = 0, missing = 0;
    static char ackids[200000][QUEUE_ID_SIZE];

    (void) state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/queue_kill.%ld", (long) getpid());
    mkdir(tmpdir, 0700);
    snprintf(path, sizeof(path), "%s/store", tmpdir);
    assert_int_equal(pipe(pfd), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* writer: batches of 1..16 records, ack each after commit */
        struct queue_fs *cfs = queue_fs_disk(path);
        struct queue_writer *w = queue_writer_new(cfs, 1 << 20, 500);
        FILE *out = fdopen(pfd[1], "w");
        char ids[16][QUEUE_ID_SIZE];
        struct queue_loc loc;

        close(pfd[0]);
        for (int b = 0;; b++) {
            int n = 1 + b % 16;

            for (int i = 0; i < n; i++)
                if (append_one(w, i, ids[i], &loc) < 0)
                    _exit(2);
            if (queue_writer_commit(w) < 0)
                _exit(3);
            for (int i = 0; i < n; i++)
                fprintf(out, "%s\n", ids[i]);
            fflush(out);
        }
    }
    close(pfd[1]);
    {
        struct timespec ts = {0, 400000000};

        nanosleep(&ts, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    acks = fdopen(pfd[0], "r");
    while (fgets(line, sizeof(line), acks) && acked < 200000) {
        line[strcspn(line, "\n")] = 0;
        memcpy(ackids[acked++], line, QUEUE_ID_SIZE);
    }
    fclose(acks);
    fs = queue_fs_disk(path);
    assert_non_null(fs);
    {
        /* count every intact record (may exceed 4096 collected) */
        uint64_t *seqs;
        size_t nseq;
        static struct seen one;
        struct htab *found = htab_new(1024);

        assert_int_equal(queue_seg_list(fs, &seqs, &nseq), 0);
        for (size_t i = 0; i < nseq; i++) {
            uint64_t off = 0;

            one.n = 0;
            assert_true(
                queue_seg_scan(fs, seqs[i], &off, 0, collect, &one, NULL) >= 0);
            for (size_t k = 0; k < one.n; k++)
                htab_set(found, one.ids[k], (void *) 1);
        }
        free(seqs);
        for (size_t i = 0; i < acked; i++)
            if (!htab_has(found, ackids[i]))
                missing++;
        fprintf(stderr,
                "sigkill: %zu acknowledged, %zu intact records, "
                "%zu missing\n",
                acked, htab_count(found), missing);
        htab_free(found, NULL);
    }
    (void) s;
    assert_true(acked > 100);
    assert_int_equal(missing, 0);
    queue_fs_free(fs);
    rm_rf(tmpdir);
}

/* CRC-32C: the check value, chaining, and a bitwise reference over
 * unaligned buffers of every length up to a few cache lines */
static uint32_t
crc_ref(uint32_t crc, const unsigned char *p, size_t n)
{
    crc = ~crc;
    while (n--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = crc & 1 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
    }
    return ~crc;
}

static void
test_crc32c(void **state)
{
    unsigned char buf[1100];
    uint32_t seed = 12345;

    (void) state;
    assert_int_equal(queue_crc32c(0, "123456789", 9), 0xE3069283u);
    assert_int_equal(queue_crc32c(queue_crc32c(0, "1234", 4), "56789", 5),
                     0xE3069283u);
    assert_int_equal(queue_crc32c(0, "", 0), 0);
    for (size_t i = 0; i < sizeof(buf); i++) {
        seed = seed * 1103515245u + 12345u;
        buf[i] = (unsigned char) (seed >> 16);
    }
    for (size_t off = 0; off < 8; off++)
        for (size_t n = 0; n + off <= sizeof(buf); n += 1 + n / 16)
            assert_int_equal(queue_crc32c(0, buf + off, n),
                             crc_ref(0, buf + off, n));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32c),
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_crash_ram),
        cmocka_unit_test(test_crash_new_segment_unsynced),
        cmocka_unit_test(test_failed_append),
        cmocka_unit_test(test_rollover),
        cmocka_unit_test(test_sealed),
        cmocka_unit_test(test_state_snapshot),
        cmocka_unit_test(test_disk_torn_tail),
        cmocka_unit_test(test_disk_read_cache),
        cmocka_unit_test(test_disk_sigkill),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
