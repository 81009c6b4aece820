/*
 * qmgr_sched_test - unit tests of the per-destination concurrency
 * arithmetic (slow start, negative feedback, failed cohorts, revival,
 * feedback syntax, pipeline depth).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* After the headers it needs (stdarg, stddef, stdint, setjmp). */
#include <cmocka.h>

#include "qmgr/qmgr_sched.h"

/* conf - init, limit and cohort limit as given, feedback
 * "1/concurrency" both ways (Postfix 2.5's proposal; 3.7 defaults to 1) */
static struct qmgr_win_conf
conf(int init, int limit, int cohorts)
{
    struct qmgr_win_conf c;

    c.init = init;
    c.limit = limit;
    c.cohort_limit = cohorts;
    assert_int_equal(qmgr_fb_parse("1/concurrency", &c.pos), 0);
    assert_int_equal(qmgr_fb_parse("1/concurrency", &c.neg), 0);
    return c;
}

static void
test_fb_parse(void **unused)
{
    static const struct {
        const char *in;
        int ok, per_win;
        double base;
    } t[] = {
        {"1/concurrency", 0, 1, 1},
        {"1 / concurrency", 0, 1, 1},
        {"0.5/concurrency", 0, 1, .5},
        {"1/win", 0, 1, 1},
        {"1/4", 0, 0, .25},
        {"0.125", 0, 0, .125},
        {"1", 0, 0, 1},
        {"0", 0, 0, 0},
        {"2", -1, 0, 1},
        {"1/0", -1, 0, 1},
        {"x", -1, 0, 1},
        {"1/concurrency x", -1, 0, 1},
        {"", -1, 0, 1},
        {"1/bogus", -1, 0, 1},
    };
    struct qmgr_fb fb;

    (void) unused;
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        int r = qmgr_fb_parse(t[i].in, &fb);

        if (r != t[i].ok || fb.per_win != t[i].per_win || fb.base != t[i].base)
            fail_msg("\"%s\": r=%d per_win=%d base=%g", t[i].in, r, fb.per_win,
                     fb.base);
    }
    assert_true(qmgr_fb_parse("1/concurrency", &fb) == 0);
    assert_true(qmgr_fb_val(&fb, 4) == 0.25);
    assert_true(qmgr_fb_parse("1/8", &fb) == 0);
    assert_true(qmgr_fb_val(&fb, 4) == 0.125);
}

/* slow start: +1 after `window` successes, only while busy keeps up */
static void
test_slow_start(void **unused)
{
    struct qmgr_win_conf c = conf(5, 20, 1);
    struct qmgr_win w;
    int changes = 0;

    (void) unused;
    qmgr_win_init(&w, &c);
    assert_int_equal(w.window, 5);
    for (int i = 0; i < 4; i++)
        assert_int_equal(qmgr_win_success(&w, &c, 5), 0);
    assert_int_equal(qmgr_win_success(&w, &c, 5), 1);
    assert_int_equal(w.window, 6);
    /* 6 more at window 6 -> 7 */
    for (int i = 0; i < 6; i++)
        changes += qmgr_win_success(&w, &c, 6);
    assert_int_equal(changes, 1);
    assert_int_equal(w.window, 7);
    /* enough work: up to the limit, never past it */
    for (int i = 0; i < 1000; i++)
        (void) qmgr_win_success(&w, &c, w.window);
    assert_int_equal(w.window, 20);
    /* idle destination (busy 1): the window stops at busy + init */
    qmgr_win_init(&w, &c);
    for (int i = 0; i < 1000; i++)
        (void) qmgr_win_success(&w, &c, 1);
    assert_int_equal(w.window, 6);
    /* no limit (0): still bounded by busy + init */
    c = conf(5, 0, 1);
    qmgr_win_init(&w, &c);
    for (int i = 0; i < 1000; i++)
        (void) qmgr_win_success(&w, &c, 30);
    assert_int_equal(w.window, 35);
}

/* negative feedback: one step down per pseudo-cohort, dead at the
 * cohort limit, a success revives */
static void
test_failures(void **unused)
{
    struct qmgr_win_conf c = conf(5, 20, 1);
    struct qmgr_win w;
    int n = 0;

    (void) unused;
    qmgr_win_init(&w, &c);
    assert_int_equal(qmgr_win_failure(&w, &c), 0);
    assert_int_equal(w.window, 4); /* the first failure acts at once */
    while (qmgr_win_failure(&w, &c) == 0)
        n++;
    /* 1/5 + 1/4 + 1/4 + 1/4 + 1/3 >= 1: dead at the fifth failure */
    assert_int_equal(n + 2, 5);
    assert_int_equal(w.window, 0);
    assert_int_equal(qmgr_win_failure(&w, &c), 0); /* stays dead */
    assert_int_equal(w.window, 0);
    /* revival: at busy, or init when nothing is in progress */
    assert_int_equal(qmgr_win_success(&w, &c, 0), 1);
    assert_int_equal(w.window, 5);
    assert_true(w.fail_cohorts == 0);
    w.window = 0;
    assert_int_equal(qmgr_win_success(&w, &c, 2), 1);
    assert_int_equal(w.window, 2);

    /* a success in between resets the cohort count */
    qmgr_win_init(&w, &c);
    for (int i = 0; i < 100; i++) {
        assert_int_equal(qmgr_win_failure(&w, &c), 0);
        (void) qmgr_win_success(&w, &c, 1);
    }
    assert_true(w.window >= 1);

    /* cohort limit 0: never dead, the window stays at 1 */
    c = conf(5, 20, 0);
    qmgr_win_init(&w, &c);
    for (int i = 0; i < 100; i++)
        assert_int_equal(qmgr_win_failure(&w, &c), 0);
    assert_int_equal(w.window, 1);

    /* cohort limit 2 at window 1: two failures */
    c = conf(1, 20, 2);
    qmgr_win_init(&w, &c);
    assert_int_equal(qmgr_win_failure(&w, &c), 0);
    assert_int_equal(qmgr_win_failure(&w, &c), 1);
}

/* a constant feedback (not per window) moves faster */
static void
test_constant_feedback(void **unused)
{
    struct qmgr_win_conf c = conf(5, 20, 0);
    struct qmgr_win w;

    (void) unused;
    assert_int_equal(qmgr_fb_parse("1", &c.pos), 0);
    qmgr_win_init(&w, &c);
    assert_int_equal(qmgr_win_success(&w, &c, 5), 1);
    assert_int_equal(w.window, 6);
    assert_int_equal(qmgr_fb_parse("1/2", &c.neg), 0);
    (void) qmgr_win_failure(&w, &c); /* -0.5: one step */
    assert_int_equal(w.window, 5);
}

/* Postfix 3.7's defaults (feedback 1 both ways, cohort limit 1): +1
 * per delivery; the first failure takes two steps (the overshoot
 * guard), and the third failure in a row kills the destination */
static void
test_postfix_defaults(void **unused)
{
    struct qmgr_win_conf c = conf(5, 20, 1);
    struct qmgr_win w;

    (void) unused;
    assert_int_equal(qmgr_fb_parse("1", &c.pos), 0);
    assert_int_equal(qmgr_fb_parse("1", &c.neg), 0);
    qmgr_win_init(&w, &c);
    for (int i = 6; i <= 20; i++) {
        assert_int_equal(qmgr_win_success(&w, &c, w.window), 1);
        assert_int_equal(w.window, i);
    }
    assert_int_equal(qmgr_win_success(&w, &c, w.window), 0);
    qmgr_win_init(&w, &c);
    assert_int_equal(qmgr_win_failure(&w, &c), 0);
    assert_int_equal(w.window, 3);
    assert_int_equal(qmgr_win_failure(&w, &c), 0);
    assert_int_equal(w.window, 2);
    assert_int_equal(qmgr_win_failure(&w, &c), 1); /* .2 + .33 + .5 */
    assert_int_equal(w.window, 0);
}

static void
test_pipe_depth(void **unused)
{
    (void) unused;
    assert_int_equal(qmgr_pipe_depth(0, 1e6, 32), 1);    /* unknown */
    assert_int_equal(qmgr_pipe_depth(300, 1e6, 32), 32); /* fast */
    assert_int_equal(qmgr_pipe_depth(2e5, 1e6, 32), 5);
    assert_int_equal(qmgr_pipe_depth(1e6, 1e6, 32), 1);
    assert_int_equal(qmgr_pipe_depth(3e7, 1e6, 32), 1); /* timeouts */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fb_parse),
        cmocka_unit_test(test_slow_start),
        cmocka_unit_test(test_failures),
        cmocka_unit_test(test_constant_feedback),
        cmocka_unit_test(test_postfix_defaults),
        cmocka_unit_test(test_pipe_depth),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
