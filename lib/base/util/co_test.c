/*
 * co_test - unit tests of the coroutine loop (co.c).
 *
 * DESCRIPTION
 *	Many coroutines blocked on sockets are resumed by the data that
 *	arrives for each; a wait times out; co_interrupt_all wakes each
 *	waiter once, also one that waits again at once; watches can be
 *	removed and added again any number of times; co_offload runs its
 *	call in another thread while other coroutines go on; outside a
 *	coroutine co_wait is poll.
 */
#define _GNU_SOURCE 1
#include <sys/epoll.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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

#include "util/util.h"

struct echo {
    int fd;
    int rounds;
    int done;
    char buf[16];
};

/* echo_main - read a line, write it back, `rounds` times */
static void
echo_main(void *arg)
{
    struct echo *e = arg;

    for (int i = 0; i < e->rounds; i++) {
        ssize_t n;

        while ((n = read(e->fd, e->buf, sizeof(e->buf))) < 0 && errno == EAGAIN)
            assert_int_equal(co_wait(e->fd, CO_IN, 5000), 0);
        assert_true(n > 0);
        assert_int_equal(write(e->fd, e->buf, (size_t) n), n);
    }
    co_forget(e->fd);
    e->done = 1;
}

static void
test_many_sessions(void **state)
{
    enum { N = 40, ROUNDS = 5 };
    static struct echo e[N];
    int peer[N];

    (void) state;
    for (int i = 0; i < N; i++) {
        int sv[2];

        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        (void) fcntl(sv[0], F_SETFL, O_NONBLOCK);
        e[i].fd = sv[0];
        e[i].rounds = ROUNDS;
        peer[i] = sv[1];
        assert_int_equal(co_spawn(echo_main, &e[i]), 0);
    }
    assert_int_equal(co_count(), N);
    for (int r = 0; r < ROUNDS; r++) {
        /* in reverse order, several at once */
        for (int i = N - 1; i >= 0; i--) {
            char m[16];
            int len = snprintf(m, sizeof(m), "%d.%d", i, r);

            assert_int_equal(write(peer[i], m, (size_t) len), len);
        }
        while (co_count() > 0 && co_run_once(0) > 0)
            ;
        for (int i = 0; i < N; i++) {
            char m[16], got[16];
            int len = snprintf(m, sizeof(m), "%d.%d", i, r);

            assert_int_equal(read(peer[i], got, sizeof(got)), len);
            assert_memory_equal(got, m, (size_t) len);
        }
    }
    for (int i = 0; i < N; i++) {
        assert_true(e[i].done);
        close(e[i].fd);
        close(peer[i]);
    }
    assert_int_equal(co_count(), 0);
}

struct waiter {
    int fd;
    int timeout;
    int rc, err, wakes, again;
    long long took;
};

static void
wait_main(void *arg)
{
    struct waiter *w = arg;
    long long t0 = util_monotonic_ms();

    w->rc = co_wait(w->fd, CO_IN, w->timeout);
    w->err = errno;
    w->wakes++;
    if (w->again) {
        /* wait again at once: the interrupt must not loop */
        (void) co_wait(w->fd, CO_IN, 200);
        w->wakes++;
    }
    w->took = util_monotonic_ms() - t0;
    co_forget(w->fd);
}

static void
test_timeout_interrupt(void **state)
{
    int sv[2], sv2[2];
    struct waiter a = {0}, b = {0};

    (void) state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv),
                     0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv2),
                     0);
    /* a timeout */
    a.fd = sv[0];
    a.timeout = 50;
    assert_int_equal(co_spawn(wait_main, &a), 0);
    while (co_count() > 0)
        assert_true(co_run_once(1000) >= 0);
    assert_int_equal(a.rc, -1);
    assert_int_equal(a.err, ETIMEDOUT);
    assert_true(a.took >= 40 && a.took < 1000);
    /* interrupts: each waiter once */
    memset(&a, 0, sizeof(a));
    a.fd = sv[0];
    a.again = 1;
    b.fd = sv2[0];
    assert_int_equal(co_spawn(wait_main, &a), 0);
    assert_int_equal(co_spawn(wait_main, &b), 0);
    co_interrupt_all();
    assert_int_equal(a.err, EINTR);
    assert_int_equal(b.err, EINTR);
    assert_int_equal(b.wakes, 1);
    assert_int_equal(a.wakes, 1); /* waiting again, not woken twice */
    while (co_count() > 0)
        assert_true(co_run_once(1000) >= 0);
    assert_int_equal(a.wakes, 2);
    close(sv[0]);
    close(sv[1]);
    close(sv2[0]);
    close(sv2[1]);
}

static int fired;

static void
on_watch(void *arg)
{
    char c;

    fired++;
    assert_int_equal(read(*(int *) arg, &c, 1), 1);
}

static void
test_watch_cycles(void **state)
{
    int p[2];

    (void) state;
    assert_int_equal(pipe2(p, O_NONBLOCK), 0);
    fired = 0;
    for (int i = 0; i < 20; i++) {
        assert_int_equal(co_watch(p[0], EPOLLIN, on_watch, &p[0]), 0);
        assert_int_equal(write(p[1], "x", 1), 1);
        assert_int_equal(co_run_once(1000), 1);
        assert_int_equal(co_unwatch(p[0]), 0);
    }
    assert_int_equal(fired, 20);
    close(p[0]);
    close(p[1]);
}

struct off {
    pthread_t caller, ran_in;
    int ticks_seen;
    volatile int *ticks;
};

static void
slow_call(void *arg)
{
    struct off *o = arg;
    struct timespec ts = {0, 20000000};

    o->ran_in = pthread_self();
    nanosleep(&ts, NULL); /* a blocking library call */
    nanosleep(&ts, NULL);
    o->ticks_seen = *o->ticks;
}

static void
offload_main(void *arg)
{
    struct off *o = arg;

    o->caller = pthread_self();
    assert_int_equal(co_offload(slow_call, o), 0);
}

static volatile int ticks;

static void
ticker_main(void *arg)
{
    int fd = *(int *) arg;

    for (int i = 0; i < 3; i++) {
        assert_int_equal(co_wait(fd, CO_IN, 10), -1); /* 10 ms ticks */
        ticks++;
    }
    co_forget(fd);
}

static void
test_offload(void **state)
{
    struct off o = {0};
    int sv[2];

    (void) state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv),
                     0);
    ticks = 0;
    o.ticks = &ticks;
    assert_int_equal(co_spawn(offload_main, &o), 0);
    assert_int_equal(co_spawn(ticker_main, &sv[0]), 0);
    while (co_count() > 0)
        assert_true(co_run_once(1000) >= 0);
    assert_false(pthread_equal(o.caller, o.ran_in));
    assert_true(o.ticks_seen >= 1); /* the loop ran while it blocked */
    close(sv[0]);
    close(sv[1]);
}

static void
nothing(void *arg)
{
    (void) arg;
}

static void
nested_main(void *arg)
{
    int *err = arg;

    *err = co_spawn(nothing, NULL) == 0 ? 0 : errno;
}

/* co_spawn from inside a coroutine would overwrite the loop's context */
static void
test_nested_spawn(void **state)
{
    int err = -1;

    (void) state;
    assert_int_equal(co_spawn(nested_main, &err), 0);
    assert_int_equal(err, EDEADLK);
    assert_int_equal(co_count(), 0);
}

static void
test_plain(void **state)
{
    int sv[2];
    long long t0;

    (void) state;
    assert_false(co_active());
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv),
                     0);
    t0 = util_monotonic_ms();
    assert_int_equal(co_wait(sv[0], CO_IN, 30), -1);
    assert_int_equal(errno, ETIMEDOUT);
    assert_true(util_monotonic_ms() - t0 >= 25);
    assert_int_equal(write(sv[1], "y", 1), 1);
    assert_int_equal(co_wait(sv[0], CO_IN, 1000), 0);
    close(sv[0]);
    close(sv[1]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_many_sessions),
        cmocka_unit_test(test_timeout_interrupt),
        cmocka_unit_test(test_watch_cycles),
        cmocka_unit_test(test_offload),
        cmocka_unit_test(test_nested_spawn),
        cmocka_unit_test(test_plain),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
