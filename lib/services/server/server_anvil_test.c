/*
 * server_anvil_test - unit tests of the shared per-client connection
 * table (smtpd_client_connection_count_limit and _rate_limit).
 *
 * DESCRIPTION
 *	Counts add up over the columns (two fronts and the workers) and
 *	follow a session from a front to the workers; a release never goes
 *	below zero; the rate restarts after anvil_rate_time_unit as in
 *	Postfix's anvil; a front that dies takes only its own column with
 *	it; a sweep forgets idle clients once their window ended and keeps
 *	counted ones; the table is shared with a forked process; peaks are
 *	reported once.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

/* After the headers it needs (stdarg, stddef, stdint, setjmp). */
#include <cmocka.h>

#include "server/server.h"
#include "server/server_anvil.h"

static void
test_counts(void **state)
{
    struct server_anvil *a = server_anvil_create();
    int f1, f2, count, rate;
    unsigned r1, r2, r3;

    (void) state;
    assert_non_null(a);
    f1 = server_anvil_seat(a, 100);
    f2 = server_anvil_seat(a, 200);
    assert_int_not_equal(f1, f2);
    assert_int_equal(server_anvil_seat(a, 100), f1); /* same pid, same seat */
    r1 = server_anvil_connect(a, f1, "192.0.2.1", 1000, 60, &count, &rate);
    assert_int_equal(count, 1);
    r2 = server_anvil_connect(a, f2, "192.0.2.1", 1000, 60, &count, &rate);
    assert_int_equal(r1, r2);
    assert_int_equal(count, 2); /* both fronts count into one total */
    assert_int_equal(rate, 2);
    r3 = server_anvil_connect(a, f1, "192.0.2.2", 1000, 60, &count, &rate);
    assert_int_not_equal(r3, r1);
    assert_int_equal(count, 1);
    /* a session goes to a worker, ends there */
    server_anvil_move(a, r1, f1, SERVER_ANVIL_WORKERS);
    assert_int_equal(server_anvil_count(a, "192.0.2.1"), 2);
    server_anvil_release(a, r1, SERVER_ANVIL_WORKERS);
    assert_int_equal(server_anvil_count(a, "192.0.2.1"), 1);
    /* never below zero */
    server_anvil_release(a, r1, SERVER_ANVIL_WORKERS);
    server_anvil_release(a, r1, f1);
    assert_int_equal(server_anvil_count(a, "192.0.2.1"), 1);
    /* front 2 dies: its connection goes, front 1's stay */
    server_anvil_unseat(a, 200);
    assert_int_equal(server_anvil_count(a, "192.0.2.1"), 0);
    assert_int_equal(server_anvil_count(a, "192.0.2.2"), 1);
    assert_int_equal(server_anvil_seat(a, 300), f2); /* seat free again */
    server_anvil_destroy(a);
}

static void
test_rate_and_sweep(void **state)
{
    struct server_anvil *a = server_anvil_create();
    int f, count, rate;
    unsigned r, r2;

    (void) state;
    assert_non_null(a);
    f = server_anvil_seat(a, 100);
    for (int i = 1; i <= 5; i++) {
        r = server_anvil_connect(a, f, "2001:db8::1", 1000 + i, 60, &count,
                                 &rate);
        assert_int_equal(rate, i);
        server_anvil_release(a, r, f);
    }
    /* still inside the unit (started at 1001): the count goes on */
    r = server_anvil_connect(a, f, "2001:db8::1", 1061, 60, &count, &rate);
    assert_int_equal(rate, 6);
    server_anvil_release(a, r, f);
    /* unit passed: restart */
    r = server_anvil_connect(a, f, "2001:db8::1", 1062, 60, &count, &rate);
    assert_int_equal(rate, 1);
    assert_int_equal(count, 1);
    /* a counted client is never swept; an idle one after its window */
    server_anvil_sweep(a, 5000, 60);
    assert_int_equal(server_anvil_count(a, "2001:db8::1"), 1);
    server_anvil_release(a, r, f);
    server_anvil_sweep(a, 1100, 60);
    r2 = server_anvil_connect(a, f, "2001:db8::1", 1100, 60, &count, &rate);
    assert_int_equal(r2, r); /* kept: rate 2 within the window */
    assert_int_equal(rate, 2);
    server_anvil_release(a, r2, f);
    server_anvil_sweep(a, 1200, 60);
    r2 = server_anvil_connect(a, f, "2001:db8::1", 1200, 60, &count, &rate);
    assert_int_equal(rate, 1); /* forgotten, then new */
    server_anvil_destroy(a);
}

static void
test_shared_and_stats(void **state)
{
    struct server_anvil *a = server_anvil_create();
    struct server_anvil_stats st;
    int f, count, rate, status;
    pid_t pid;

    (void) state;
    assert_non_null(a);
    f = server_anvil_seat(a, 100);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        for (int i = 0; i < 3; i++)
            (void) server_anvil_connect(a, SERVER_ANVIL_WORKERS, "192.0.2.9",
                                        1000, 60, &count, &rate);
        _exit(0);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(server_anvil_count(a, "192.0.2.9"), 3);
    (void) server_anvil_connect(a, f, "192.0.2.9", 1001, 60, &count, &rate);
    assert_int_equal(count, 4);
    server_anvil_stats(a, &st);
    assert_int_equal(st.count.value, 4);
    assert_int_equal(st.rate.value, 4);
    assert_string_equal(st.count.addr, "192.0.2.9");
    assert_int_equal(st.cache, 1);
    server_anvil_stats(a, &st); /* reported once */
    assert_int_equal(st.count.value, 0);
    server_anvil_destroy(a);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_rate_and_sweep),
        cmocka_unit_test(test_shared_and_stats),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
