/*
 * maillog_test - unit tests of held lines (maillog_hold/maillog_flush).
 *
 * DESCRIPTION
 *	Held lines reach the file only at maillog_flush(), all of them, in
 *	order and in Postfix's line format; a warning writes at once (with
 *	what was held before it); maillog_open() in a child drops the
 *	parent's held lines; exit() flushes.
 */
#include <sys/wait.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* After the headers it needs (stdarg, stddef, stdint, setjmp). */
#include <cmocka.h>

#include "maillog/maillog.h"

static char path[128];

static size_t
lines(void)
{
    FILE *fp = fopen(path, "r");
    char buf[1024];
    size_t n = 0;

    if (fp == NULL)
        return 0;
    while (fgets(buf, sizeof(buf), fp))
        n++;
    fclose(fp);
    return n;
}

static int
has(const char *text)
{
    FILE *fp = fopen(path, "r");
    char buf[1024];
    int found = 0;

    if (fp == NULL)
        return 0;
    while (!found && fgets(buf, sizeof(buf), fp))
        found = strstr(buf, text) != NULL;
    fclose(fp);
    return found;
}

static void
test_hold(void **state)
{
    pid_t pid;
    int st;

    (void) state;
    snprintf(path, sizeof(path), "/tmp/maillog_test.%ld", (long) getpid());
    unlink(path);
    maillog_open("postfix/test", path, "mx.example.test");
    maillog_info("one");
    assert_int_equal(lines(), 1); /* not held: written at once */
    maillog_hold(1);
    maillog_info("two");
    maillog_info("three");
    assert_int_equal(lines(), 1);
    maillog_flush();
    assert_int_equal(lines(), 3);
    assert_true(has(" mx postfix/test["));
    assert_true(has("]: three"));
    /* a warning goes out at once, after what was held */
    maillog_info("four");
    maillog_warning("five");
    assert_int_equal(lines(), 5);
    assert_true(has("]: warning: five"));
    /* a child that reopens the log does not repeat the parent's lines;
     * exit() writes what it held itself */
    maillog_info("six (parent)");
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        maillog_open("postfix/child", path, "mx.example.test");
        maillog_hold(1);
        maillog_info("seven (child)");
        exit(0);
    }
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_int_equal(lines(), 6);
    assert_true(has("seven (child)"));
    assert_false(has("six (parent)"));
    maillog_hold(0); /* flushes */
    assert_int_equal(lines(), 7);
    assert_true(has("six (parent)"));
    unlink(path);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hold),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
