/*
 * server_typed_test - unit tests of the typed accessors (server.h).
 *
 * DESCRIPTION
 *	Values are read with the schema's type, unit and range: a bare time
 *	has the parameter's default unit, a -o value wins for its service, a
 *	service-family parameter falls back to its default parameter. A
 *	malformed value ends the process with Postfix's words after the file
 *	and line it came from (main.cf, or master.cf and the service's line);
 *	a name the schema does not know, or read as another type, aborts.
 *	The fatal cases run in a child whose stderr (maillog copy) is read.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <setjmp.h>
#include <signal.h>
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
#include "pcf/pcf.h"
#include "server/server.h"

static char dir[] = "/tmp/server_typed_test.XXXXXX";

static void
write_file(const char *name, const char *text)
{
    char path[256];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

/* load - a configuration with main (main.cf) and master (master.cf) */
static struct pcf *
load(const char *main_cf, const char *master_cf)
{
    write_file("main.cf", main_cf);
    write_file("master.cf", master_cf);
    return pcf_load(dir);
}

typedef void reader_fn(struct pcf *p);

/* child - run fn in a child; its exit status (or 128 + signal) and what
 * it logged on stderr */
static int
child(struct pcf *p, reader_fn *fn, char *out, size_t len)
{
    int fds[2], status;
    ssize_t n, got = 0;
    pid_t pid;

    assert_int_equal(pipe(fds), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        (void) dup2(fds[1], 2);
        maillog_open("postfix/test", NULL, "mx.example.test");
        maillog_set_stderr(1);
        signal(SIGABRT, SIG_DFL);
        fn(p);
        _exit(0);
    }
    close(fds[1]);
    while ((n = read(fds[0], out + got, len - 1 - (size_t) got)) > 0)
        got += n;
    out[got] = 0;
    close(fds[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void
test_values(void **state)
{
    struct pcf *p = load("maximal_queue_lifetime = 2\n"
                         "smtpd_timeout = 5m\n"
                         "message_size_limit = 99999999999\n"
                         "smtpd_use_tls = YES\n"
                         "default_destination_concurrency_limit = 7\n",
                         "smtp inet n - n - - smtpd\n"
                         "  -o smtpd_timeout=10\n"
                         "relay unix - - n - - smtp\n"
                         "  -o relay_destination_concurrency_limit=3\n"
                         "other unix - - n - - smtp\n");

    (void) state;
    /* a bare number has the parameter's unit: d */
    assert_int_equal(server_conf_time(p, NULL, "maximal_queue_lifetime"),
                     2 * 86400);
    assert_int_equal(server_conf_time(p, NULL, "smtpd_timeout"), 300);
    assert_int_equal(server_conf_time(p, "smtp/inet", "smtpd_timeout"), 10);
    assert_int_equal(server_conf_size(p, NULL, "message_size_limit"),
                     99999999999L);
    assert_int_equal(server_conf_bool(p, NULL, "smtpd_use_tls"), 1);
    /* defaults come from the schema's table as postconf knows them */
    assert_int_equal(server_conf_int(p, NULL, "smtpd_recipient_limit"), 1000);
    /* families: the service's own, else the default parameter */
    assert_int_equal(
        server_conf_int(p, "relay/unix", "relay_destination_concurrency_limit"),
        3);
    assert_int_equal(
        server_conf_int(p, NULL, "other_destination_concurrency_limit"), 7);
    assert_int_equal(
        server_conf_int(p, NULL, "nosuch_destination_concurrency_limit"), 7);
    pcf_free(p);
}

static void
read_size(struct pcf *p)
{
    (void) server_conf_size(p, NULL, "message_size_limit");
}

static void
read_timeout(struct pcf *p)
{
    (void) server_conf_time(p, "smtp/inet", "smtpd_timeout");
}

static void
read_bool(struct pcf *p)
{
    (void) server_conf_bool(p, NULL, "smtpd_use_tls");
}

static void
read_family(struct pcf *p)
{
    (void) server_conf_int(p, NULL, "relay_destination_concurrency_limit");
}

static void
test_malformed(void **state)
{
    struct pcf *p = load("# comment\n"
                         "message_size_limit = 10MB\n"
                         "smtpd_use_tls = true\n"
                         "default_destination_concurrency_limit = 2x\n",
                         "# master\n"
                         "smtp inet n - n - - smtpd\n"
                         "  -o smtpd_timeout=5D\n");
    char out[2048], want[1024];

    (void) state;
    assert_int_equal(child(p, read_size, out, sizeof(out)), 1);
    snprintf(want, sizeof(want),
             "postfix/test: fatal: %s/main.cf, line 2: bad numerical "
             "configuration: message_size_limit = 10MB\n",
             dir);
    assert_string_equal(out, want);
    assert_int_equal(child(p, read_timeout, out, sizeof(out)), 1);
    snprintf(want, sizeof(want),
             "postfix/test: fatal: %s/master.cf, line 2: parameter "
             "smtpd_timeout: bad time value or unit: 5D\n",
             dir);
    assert_string_equal(out, want);
    assert_int_equal(child(p, read_bool, out, sizeof(out)), 1);
    snprintf(want, sizeof(want),
             "postfix/test: fatal: %s/main.cf, line 3: bad boolean "
             "configuration: smtpd_use_tls = true\n",
             dir);
    assert_string_equal(out, want);
    /* a family parameter no service sets: its default parameter's line */
    assert_int_equal(child(p, read_family, out, sizeof(out)), 1);
    snprintf(want, sizeof(want),
             "postfix/test: fatal: %s/main.cf, line 4: bad numerical "
             "configuration: relay_destination_concurrency_limit = 2x\n",
             dir);
    assert_string_equal(out, want);
    pcf_free(p);
}

static void
read_unknown(struct pcf *p)
{
    (void) server_conf_int(p, NULL, "no_such_parameter_anywhere");
}

static void
read_wrong_type(struct pcf *p)
{
    (void) server_conf_int(p, NULL, "smtpd_timeout");
}

static void
test_programming_errors(void **state)
{
    struct pcf *p = load("", "");
    char out[2048];

    (void) state;
    assert_int_equal(child(p, read_unknown, out, sizeof(out)), 128 + SIGABRT);
    assert_non_null(strstr(out, "panic: parameter no_such_parameter_anywhere "
                                "is not in the schema"));
    assert_int_equal(child(p, read_wrong_type, out, sizeof(out)),
                     128 + SIGABRT);
    assert_non_null(strstr(out, "panic: parameter smtpd_timeout is time in "
                                "the schema, read as int"));
    pcf_free(p);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_programming_errors),
    };
    int rc;

    if (mkdtemp(dir) == NULL)
        return 1;
    rc = cmocka_run_group_tests_name("server_typed", tests, NULL, NULL);
    {
        char path[300];

        snprintf(path, sizeof(path), "%s/main.cf", dir);
        (void) unlink(path);
        snprintf(path, sizeof(path), "%s/master.cf", dir);
        (void) unlink(path);
        (void) rmdir(dir);
    }
    return rc;
}
