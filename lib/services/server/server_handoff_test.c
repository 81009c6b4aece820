/*
 * server_handoff_test - unit tests of the smtpd front's hand-off channel.
 *
 * DESCRIPTION
 *	A session crosses a SOCK_SEQPACKET socketpair with its socket, flags,
 *	key and first bytes intact (16 KB included); messages that are not
 *	sessions (no descriptor, bad magic, wrong length) are dropped and the
 *	next good one is returned; done records come back with their key; a
 *	full channel says EAGAIN instead of blocking the front.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* After the headers it needs (stdarg, stddef, stdint, setjmp). */
#include <cmocka.h>

#include "server/server.h"

static struct server_handoff out, in;

static void
pair(int sv[2])
{
    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
}

/* same_file - a and b are the same open socket */
static int
same_file(int a, int b)
{
    struct stat sa, sb;

    return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_ino == sb.st_ino &&
           sa.st_dev == sb.st_dev;
}

static void
test_roundtrip(void **state)
{
    int sv[2], client[2], fd;

    (void) state;
    pair(sv);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, client), 0);
    memset(&out, 0, sizeof(out));
    out.flags = SERVER_HANDOFF_GREETED;
    snprintf(out.key, sizeof(out.key), "192.0.2.10");
    out.len = sizeof(out.data);
    for (size_t i = 0; i < out.len; i++)
        out.data[i] = (char) (i * 7);
    assert_int_equal(server_handoff_send(sv[0], client[0], &out), 0);
    fd = server_handoff_recv(sv[1], &in);
    assert_true(fd >= 0);
    assert_true(same_file(fd, client[0]));
    assert_int_equal(in.flags, SERVER_HANDOFF_GREETED);
    assert_string_equal(in.key, "192.0.2.10");
    assert_int_equal(in.len, out.len);
    assert_memory_equal(in.data, out.data, out.len);
    /* done record back to the front */
    server_handoff_done(sv[1], &in);
    {
        char key[SERVER_ADDR_MAX];

        assert_int_equal(server_handoff_done_read(sv[0], key, sizeof(key)), 1);
        assert_string_equal(key, "192.0.2.10");
        assert_int_equal(server_handoff_done_read(sv[0], key, sizeof(key)), 0);
    }
    /* no key, no done record */
    in.key[0] = 0;
    server_handoff_done(sv[1], &in);
    {
        char key[SERVER_ADDR_MAX];

        assert_int_equal(server_handoff_done_read(sv[0], key, sizeof(key)), 0);
    }
    close(fd);
    close(client[0]);
    close(client[1]);
    close(sv[0]);
    close(sv[1]);
}

static void
test_garbage_dropped(void **state)
{
    int sv[2], client[2], fd;
    char junk[100];

    (void) state;
    pair(sv);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, client), 0);
    memset(junk, 'x', sizeof(junk));
    /* no descriptor, bad magic, and a too short message */
    assert_int_equal(send(sv[0], junk, sizeof(junk), 0),
                     (ssize_t) sizeof(junk));
    assert_int_equal(send(sv[0], junk, 3, 0), 3);
    memset(&out, 0, sizeof(out));
    out.flags = SERVER_HANDOFF_TIMEOUT | SERVER_HANDOFF_GREETED;
    out.timeout = 7;
    assert_int_equal(server_handoff_send(sv[0], client[0], &out), 0);
    fd = server_handoff_recv(sv[1], &in);
    assert_true(fd >= 0);
    assert_int_equal(in.flags, SERVER_HANDOFF_TIMEOUT | SERVER_HANDOFF_GREETED);
    assert_int_equal(in.timeout, 7);
    assert_int_equal(in.len, 0);
    assert_string_equal(in.key, "");
    close(fd);
    /* a too long payload is refused by the sender */
    out.len = sizeof(out.data) + 1;
    assert_int_equal(server_handoff_send(sv[0], client[0], &out), -1);
    assert_int_equal(errno, EINVAL);
    /* end of file: the front is gone */
    close(sv[0]);
    assert_int_equal(server_handoff_recv(sv[1], &in), -1);
    assert_int_equal(errno, 0);
    close(client[0]);
    close(client[1]);
    close(sv[1]);
}

static void
test_full_channel(void **state)
{
    int sv[2], client[2], n = 0, rc;

    (void) state;
    pair(sv);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, client), 0);
    memset(&out, 0, sizeof(out));
    out.len = 1000;
    while ((rc = server_handoff_send(sv[0], client[0], &out)) == 0 &&
           n < 100000)
        n++;
    assert_int_equal(rc, -1);
    assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
    assert_true(n > 0);
    close(sv[0]);
    close(sv[1]); /* the queued descriptors go with it */
    close(client[0]);
    close(client[1]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_garbage_dropped),
        cmocka_unit_test(test_full_channel),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
