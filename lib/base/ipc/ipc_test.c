/*
 * ipc_test - unit tests of the IPC framing: round trips and hostile input.
 *
 * DESCRIPTION
 *	Every getter must fail cleanly (bad flag, zero/empty results) on a
 *	wrong tag, a short frame, a length that points past the end, or a
 *	string without its NUL; ipc_conn must split a byte stream fed in
 *	arbitrary pieces into the same frames, and refuse oversized ones.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* After the headers it needs (stdarg, stddef, stdint, setjmp). */
#include <cmocka.h>

#include "ipc/ipc.h"

static void
test_roundtrip(void **state)
{
    struct ipc_out o;
    struct ipc_in in;
    const char *f;
    size_t len, n;
    const void *b;

    (void) state;
    ipc_out_init(&o);
    ipc_out_begin(&o, 'X');
    ipc_put_u32(&o, 0xdeadbeef);
    ipc_put_u64(&o, 1ULL << 40);
    ipc_put_str(&o, "hello");
    ipc_put_str(&o, NULL);
    ipc_put_bytes(&o, "a\0b", 3);
    f = ipc_out_finish(&o, &len);
    assert_int_equal(ipc_in_init(&in, f, len), 0);
    assert_int_equal(in.type, 'X');
    assert_int_equal(ipc_get_u32(&in), 0xdeadbeef);
    assert_true(ipc_get_u64(&in) == 1ULL << 40);
    assert_string_equal(ipc_get_str(&in), "hello");
    assert_string_equal(ipc_get_str(&in), "");
    b = ipc_get_bytes(&in, &n);
    assert_int_equal(n, 3);
    assert_memory_equal(b, "a\0b", 3);
    assert_false(ipc_in_more(&in));
    assert_true(ipc_in_ok(&in));
    ipc_out_fini(&o);
}

static void
test_hostile(void **state)
{
    struct ipc_out o;
    struct ipc_in in;
    const char *f;
    size_t len, n;
    char copy[64];

    (void) state;
    ipc_out_init(&o);
    ipc_out_begin(&o, 'Y');
    ipc_put_str(&o, "abc");
    f = ipc_out_finish(&o, &len);
    /* wrong tag */
    assert_int_equal(ipc_in_init(&in, f, len), 0);
    assert_int_equal(ipc_get_u32(&in), 0);
    assert_false(ipc_in_ok(&in));
    assert_string_equal(ipc_get_str(&in), "");
    /* header that disagrees with the size */
    assert_int_equal(ipc_in_init(&in, f, len - 1), -1);
    assert_int_equal(ipc_in_init(&in, f, 3), -1);
    /* string length pointing past the end */
    memcpy(copy, f, len);
    copy[IPC_HDR + 4] = 100;
    assert_int_equal(ipc_in_init(&in, copy, len), 0);
    assert_string_equal(ipc_get_str(&in), "");
    assert_false(ipc_in_ok(&in));
    /* string without its NUL, or with one inside */
    memcpy(copy, f, len);
    copy[len - 1] = 'x';
    assert_int_equal(ipc_in_init(&in, copy, len), 0);
    assert_string_equal(ipc_get_str(&in), "");
    assert_false(ipc_in_ok(&in));
    memcpy(copy, f, len);
    copy[len - 3] = 0;
    assert_int_equal(ipc_in_init(&in, copy, len), 0);
    assert_string_equal(ipc_get_str(&in), "");
    assert_false(ipc_in_ok(&in));
    /* bytes field longer than the frame */
    ipc_out_begin(&o, 'Z');
    ipc_put_bytes(&o, "xy", 2);
    f = ipc_out_finish(&o, &len);
    memcpy(copy, f, len);
    copy[IPC_HDR + 4] = 9;
    assert_int_equal(ipc_in_init(&in, copy, len), 0);
    assert_null(ipc_get_bytes(&in, &n));
    assert_int_equal(n, 0);
    ipc_out_fini(&o);
}

static void
test_conn_stream(void **state)
{
    int sv[2];
    struct ipc_conn c;
    struct ipc_out o;
    struct ipc_in in;
    const char *f;
    size_t len;
    char stream[4096];
    size_t slen = 0;
    int got = 0;

    (void) state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ipc_out_init(&o);
    for (int i = 0; i < 20; i++) {
        ipc_out_begin(&o, 'N');
        ipc_put_u32(&o, (uint32_t) i);
        f = ipc_out_finish(&o, &len);
        memcpy(stream + slen, f, len);
        slen += len;
    }
    ipc_conn_init(&c, sv[0], 1024);
    /* feed the stream in odd-sized pieces */
    for (size_t off = 0; off < slen; off += 7) {
        size_t n = slen - off < 7 ? slen - off : 7;
        int r;

        assert_int_equal(write(sv[1], stream + off, n), (ssize_t) n);
        assert_true(ipc_conn_fill(&c) > 0);
        while ((r = ipc_conn_frame(&c, &in)) == 1) {
            assert_int_equal(ipc_get_u32(&in), (uint32_t) got);
            got++;
        }
        assert_int_equal(r, 0);
    }
    assert_int_equal(got, 20);
    /* an oversized frame is refused, not read */
    {
        unsigned char big[5] = {0, 0, 0x10, 0, 'B'};

        assert_int_equal(write(sv[1], big, 5), 5);
        assert_true(ipc_conn_fill(&c) > 0);
        assert_int_equal(ipc_conn_frame(&c, &in), -1);
    }
    close(sv[1]);
    ipc_conn_fini(&c);
    ipc_out_fini(&o);
}

/* ipc_recv_reply: one frame in one read, or in pieces; bytes past the
 * frame, an oversized length, the socket timeout and EOF */
static void
test_recv_reply(void **state)
{
    int sv[2];
    struct ipc_out o;
    struct ipc_in in;
    struct buf frame;
    const char *f;
    size_t len;
    char two[256];
    pid_t pid;
    int st;

    (void) state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(ipc_rcvtimeo(sv[0], 300), 0);
    buf_init(&frame, 0);
    ipc_out_init(&o);
    ipc_out_begin(&o, 'S');
    ipc_put_u32(&o, 250);
    ipc_put_str(&o, "2.0.0 Ok: queued as ABC");
    f = ipc_out_finish(&o, &len);
    assert_true(len < sizeof(two) / 2);
    /* whole */
    assert_int_equal(write(sv[1], f, len), (ssize_t) len);
    assert_int_equal(ipc_recv_reply(sv[0], &frame, 1024, 300), 1);
    assert_int_equal(frame.len, len);
    assert_int_equal(ipc_in_init(&in, frame.data, frame.len), 0);
    assert_int_equal(in.type, 'S');
    assert_int_equal(ipc_get_u32(&in), 250);
    assert_string_equal(ipc_get_str(&in), "2.0.0 Ok: queued as ABC");
    /* in pieces, the rest after the reader is waiting */
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (write(sv[1], f, 3) != 3)
            _exit(1);
        {
            struct timespec ts = {0, 50000000};

            nanosleep(&ts, NULL);
        }
        _exit(write(sv[1], f + 3, len - 3) == (ssize_t) (len - 3) ? 0 : 1);
    }
    assert_int_equal(ipc_recv_reply(sv[0], &frame, 1024, 300), 1);
    assert_int_equal(frame.len, len);
    assert_memory_equal(frame.data, f, len);
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_int_equal(st, 0);
    /* nothing comes: the socket's timeout, reported as ETIMEDOUT */
    errno = 0;
    assert_int_equal(ipc_recv_reply(sv[0], &frame, 1024, 300), -1);
    assert_int_equal(errno, ETIMEDOUT);
    /* two frames at once on a request/reply channel: a protocol error */
    memcpy(two, f, len);
    memcpy(two + len, f, len);
    assert_int_equal(write(sv[1], two, 2 * len), (ssize_t) (2 * len));
    errno = 0;
    assert_int_equal(ipc_recv_reply(sv[0], &frame, 1024, 300), -1);
    assert_int_equal(errno, EPROTO);
    /* end of file before a frame */
    close(sv[1]);
    assert_int_equal(ipc_recv_reply(sv[0], &frame, 1024, 300), 0);
    close(sv[0]);
    /* longer than the limit (the caller then drops the connection) */
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(write(sv[1], f, len), (ssize_t) len);
    errno = 0;
    assert_int_equal(ipc_recv_reply(sv[0], &frame, 8, 300), -1);
    assert_int_equal(errno, EMSGSIZE);
    close(sv[0]);
    close(sv[1]);
    buf_fini(&frame);
    ipc_out_fini(&o);
}

/* the peer of a socketpair is this process: trusted; a pipe is no
 * socket: not trusted, uid -1 */
static void
test_peer_trusted(void **state)
{
    int sv[2], pfd[2];
    long uid = -2;

    (void) state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_int_equal(ipc_peer_trusted(sv[0], &uid), 1);
    assert_int_equal(uid, (long) geteuid());
    assert_int_equal(pipe(pfd), 0);
    assert_int_equal(ipc_peer_trusted(pfd[0], &uid), 0);
    assert_int_equal(uid, -1);
    close(sv[0]);
    close(sv[1]);
    close(pfd[0]);
    close(pfd[1]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),    cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_conn_stream),  cmocka_unit_test(test_recv_reply),
        cmocka_unit_test(test_peer_trusted),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
