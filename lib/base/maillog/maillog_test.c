/*
 * maillog_test - unit tests of held lines (maillog_hold/maillog_flush).
 *
 * DESCRIPTION
 *	Held lines reach the file only at maillog_flush(), all of them, in
 *	order and in Postfix's line format; a warning writes at once (with
 *	what was held before it); maillog_open() in a child drops the
 *	parent's held lines; exit() flushes. The log API's outputs: stderr
 *	until maillog_open(), the maillog file (and not stderr) after it,
 *	stderr again after maillog_close().
 */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
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

/* stderr_of - what fn wrote on stderr */
static void
stderr_of(void (*fn)(void), char *out, size_t len)
{
    int fds[2], saved = dup(2);
    ssize_t n, got = 0;

    assert_int_equal(pipe(fds), 0);
    (void) fcntl(fds[0], F_SETFL, O_NONBLOCK);
    assert_int_equal(dup2(fds[1], 2), 2);
    fn();
    assert_int_equal(dup2(saved, 2), 2);
    close(saved);
    close(fds[1]);
    while ((n = read(fds[0], out + got, len - 1 - (size_t) got)) > 0)
        got += n;
    out[got] = 0;
    close(fds[0]);
}

static void
say_a(void)
{
    log_warn("a \001%s", "\303\274");
    log_msg("sendmail", LOG_LEVEL_FATAL, "no exit");
    log_info("i");
    errno = ENOENT;
    log_warn("%s", strerror(errno));
    log_info("%05000d", 7); /* longer than the core's line buffer */
}

static void
say_b(void)
{
    log_warn("b");
    log_info("b2");
}

static void
test_outputs(void **state)
{
    const char *want = "maillog_test: warning: a ???\n"
                       "sendmail: fatal: no exit\n"
                       "maillog_test: i\n"
                       "maillog_test: warning: No such file or directory\n"
                       "maillog_test: 0000";
    char err[8192];

    (void) state;
    snprintf(path, sizeof(path), "/tmp/maillog_test.%ld", (long) getpid());
    unlink(path);
    log_set_progname("maillog_test");
    stderr_of(say_a, err, sizeof(err));
    assert_int_equal(strlen(err), strlen(want) - 4 + 5000 + 1);
    assert_memory_equal(err, want, strlen(want));
    assert_string_equal(err + strlen(err) - 3, "07\n");
    maillog_open("postfix/test", path, "mx.example.test");
    stderr_of(say_b, err, sizeof(err));
    assert_string_equal(err, "");
    assert_true(has("]: warning: b"));
    assert_true(has("]: b2"));
    maillog_close();
    stderr_of(say_b, err, sizeof(err));
    assert_string_equal(err, "maillog_test: warning: b\nmaillog_test: b2\n");
    assert_int_equal(lines(), 2);
    unlink(path);
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
    log_info("one");
    assert_int_equal(lines(), 1); /* not held: written at once */
    maillog_hold(1);
    log_info("two");
    log_info("three");
    assert_int_equal(lines(), 1);
    maillog_flush();
    assert_int_equal(lines(), 3);
    assert_true(has(" mx postfix/test["));
    assert_true(has("]: three"));
    /* a warning goes out at once, after what was held */
    log_info("four");
    log_warn("five");
    assert_int_equal(lines(), 5);
    assert_true(has("]: warning: five"));
    /* a child that reopens the log does not repeat the parent's lines;
     * exit() writes what it held itself */
    log_info("six (parent)");
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        maillog_open("postfix/child", path, "mx.example.test");
        maillog_hold(1);
        log_info("seven (child)");
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
        cmocka_unit_test(test_outputs),
        cmocka_unit_test(test_hold),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
