/*
 * repl_test - unit tests for the REPL's completion and pending changes.
 *
 * DESCRIPTION
 *	Table-driven: what Tab offers for a line (testdata/repl/conf as
 *	the configuration), and how set/unset/undo add up to the net
 *	changes that "write" and "diff" use. The commands' output is
 *	tested end to end by tests/repl.sh (testdata/repl/batch).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repl/repl.h"
#include "repl/repl_int.h"

/* clang-format off: cmocka.h needs the headers above first */
#include <cmocka.h>
/* clang-format on */

#ifndef REPL_TESTDATA
#define REPL_TESTDATA "testdata/repl"
#endif

static struct repl *session;

static int
setup(void **state)
{
    (void) state;
    session = repl_new(REPL_TESTDATA "/conf", 0);
    return session ? 0 : -1;
}

static int
teardown(void **state)
{
    (void) state;
    repl_free(session);
    session = NULL;
    return 0;
}

static const struct complete_case {
    const char *line;
    const char *want; /* candidates joined by " " */
    size_t start;
} complete_cases[] = {
    {"sh", "show", 0},
    {"se", "services set", 0},
    {"he", "help", 0},
    {"  un", "undo unset", 2},
    {"show smtpd_tls_secu", "smtpd_tls_security_level", 5},
    {"explain myhostn", "myhostname", 8},
    /* No prefix match: names that contain the word. */
    {"show _tls_security_lev",
     "lmtp_tls_security_level postscreen_tls_security_level "
     "smtp_tls_security_level "
     "smtpd_tls_security_level tlsproxy_tls_security_level",
     5},
    {"show -", "-x", 5},
    {"show -x smtpd_sasl_auth_en", "smtpd_sasl_auth_enable", 8},
    /* Service parameters from master.cf entries. */
    {"show relay_destination_rate", "relay_destination_rate_delay", 5},
    {"set smtpd_tls_security_l", "smtpd_tls_security_level=", 4},
    {"set smtpd_tls_security_level=",
     "smtpd_tls_security_level=encrypt smtpd_tls_security_level=may "
     "smtpd_tls_security_level=none",
     4},
    {"set smtpd_tls_security_level=m", "smtpd_tls_security_level=may", 4},
    {"set smtpd_use_tls=", "smtpd_use_tls=no smtpd_use_tls=yes", 4},
    {"set inet_protocols=ipv4,ip",
     "inet_protocols=ipv4,ipv4 "
     "inet_protocols=ipv4,ipv6",
     4},
    {"set message_size_limit=1", "", 4},
    {"set submission/in", "submission/inet/", 4},
    {"set submission/inet/smtpd_tls_sec",
     "submission/inet/smtpd_tls_security_level=", 4},
    {"set submission/inet/smtpd_tls_security_level=e",
     "submission/inet/smtpd_tls_security_level=encrypt", 4},
    {"set -", "--force", 4},
    {"unset message_si", "message_size_limit", 6},
    {"unset submission/inet/smtpd_",
     "submission/inet/smtpd_relay_restrictions "
     "submission/inet/smtpd_sasl_auth_enable "
     "submission/inet/smtpd_tls_security_level",
     6},
    /* unset offers only what main.cf sets, known to Postfix or not. */
    {"unset smtpd_tls_a", "", 6},
    {"unset smtp_tls", "smtp_tls_security_levle", 6},
    {"unset myhostname ", "", 17},
    {"expand ${myhostn", "${myhostname", 7},
    {"expand $mydom", "$mydomain", 7},
    {"services sub", "submission/inet", 9},
    {"help exp", "expand explain", 5},
    {"help show ", "", 10},
    {"quit ", "-f", 5},
    {"bogus x", "", 6},
};

static void
test_complete(void **state)
{
    (void) state;
    for (size_t i = 0; i < sizeof(complete_cases) / sizeof(complete_cases[0]);
         i++) {
        const struct complete_case *c = &complete_cases[i];
        struct strv out;
        struct buf got;
        size_t start = 999;

        strv_init(&out);
        buf_init(&got, 0);
        repl_complete(session, c->line, strlen(c->line), &out, &start);
        for (size_t k = 0; k < out.n; k++)
            buf_printf(&got, "%s%s", k ? " " : "", out.v[k]);
        if (strcmp(buf_str(&got), c->want) != 0 || start != c->start)
            fail_msg("complete \"%s\": got \"%s\" at %zu, want \"%s\" at %zu",
                     c->line, buf_str(&got), start, c->want, c->start);
        strv_fini(&out);
        buf_fini(&got);
    }
}

static void
test_complete_all_commands(void **state)
{
    struct strv out;
    size_t start, n = 0;

    (void) state;
    strv_init(&out);
    repl_complete(session, "", 0, &out, &start);
    for (const char *const *c = repl_commands; *c; c++)
        n++;
    assert_int_equal(out.n, n);
    assert_int_equal(start, 0);
    strv_fini(&out);
}

static void
test_pending(void **state)
{
    const char *v;

    (void) state;
    assert_int_equal(repl_pending(session), 0);
    assert_int_equal(repl_change_add(session, "myorigin", "example.net"), 0);
    assert_int_equal(repl_change_add(session, "mailbox_size_limit", NULL), 0);
    assert_int_equal(repl_change_add(session, "myorigin", "example.org"), 0);
    assert_int_equal(repl_change_add(session,
                                     "submission/inet/smtpd_tls_security_level",
                                     "may"),
                     0);
    /* Net: one change per key. */
    assert_int_equal(repl_pending(session), 3);
    assert_int_equal(repl_pending_value(session, "myorigin", &v), 1);
    assert_string_equal(v, "example.org");
    assert_int_equal(repl_pending_value(session, "mailbox_size_limit", &v), 1);
    assert_null(v);
    assert_int_equal(repl_pending_value(session, "mydomain", &v), 0);
    /* The view has the changes; main.cf itself does not. */
    assert_string_equal(pcf_raw_value(repl_view(session), "myorigin"),
                        "example.org");
    assert_string_equal(pcf_source(repl_view(session), "mailbox_size_limit"),
                        "default");
    assert_int_equal(repl_change_undo(session), 0);
    assert_int_equal(repl_change_undo(session), 0);
    assert_int_equal(repl_pending(session), 2);
    assert_string_equal(pcf_raw_value(repl_view(session), "myorigin"),
                        "example.net");
    assert_int_equal(repl_change_undo(session), 0);
    assert_int_equal(repl_change_undo(session), 0);
    assert_int_equal(repl_change_undo(session), -1);
    assert_string_equal(pcf_raw_value(repl_view(session), "myorigin"),
                        "$mydomain");
}

static const struct expand_case {
    const char *text;
    const char *want;
    int rc;
} expand_cases[] = {
    {"$myorigin", "example.com", 0},
    {"${mydomain}", "example.com", 0},
    {"${inet_protocols?{v=$inet_protocols}}", "v=ipv4", 0},
    {"${no_such_thing:unset}", "unset", 0},
    {"${{$compatibility_level} <level {3.6} ? {old} : {new}}", "new", 0},
    {"$config_directory", REPL_TESTDATA "/conf", 0},
    {"${myhostname", "", -1},
};

static void
test_expand(void **state)
{
    struct buf b;

    (void) state;
    buf_init(&b, 0);
    for (size_t i = 0; i < sizeof(expand_cases) / sizeof(expand_cases[0]);
         i++) {
        const struct expand_case *c = &expand_cases[i];
        int rc = repl_expand(session, repl_view(session), -1, c->text, &b);

        if (rc != c->rc || (rc == 0 && strcmp(buf_str(&b), c->want) != 0))
            fail_msg("expand \"%s\": got %d \"%s\", want %d \"%s\"", c->text,
                     rc, buf_str(&b), c->rc, c->want);
    }
    buf_fini(&b);
}

static void
test_service_override(void **state)
{
    struct pcf *p;
    long found = 0;

    (void) state;
    p = repl_view(session);
    for (size_t i = 0; i < pcf_service_count(p); i++) {
        const char *v = repl_service_override(p, i, "smtpd_tls_security_level");

        if (v) {
            assert_string_equal(pcf_service_field(p, i, 0), "submission");
            assert_string_equal(v, "encrypt");
            found++;
        }
    }
    assert_int_equal(found, 1);
}

static void
test_suggest(void **state)
{
    (void) state;
    assert_string_equal(repl_suggest(&session->names, "myhostnme"),
                        "myhostname");
    assert_string_equal(
        repl_suggest(&session->names, "smtpd_tls_securty_level"),
        "smtpd_tls_security_level");
    assert_null(repl_suggest(&session->names, "completely_different"));
}

static void
test_help_pages(void **state)
{
    static const char *const topics[] = {"postern", "conf", "diff",    "lint",
                                         "dns",     "repl", "explain", NULL};

    (void) state;
    for (const char *const *t = topics; *t; t++) {
        const char *const *lines = repl_help_topic(*t);

        if (lines == NULL)
            fail_msg("no help page for \"%s\"", *t);
        assert_non_null(lines[0]);
        /* No line wider than a terminal. */
        for (; *lines; lines++)
            if (strlen(*lines) > 78)
                fail_msg("%s: line too long: %s", *t, *lines);
    }
    assert_non_null(repl_help_topic("postern-repl"));
    assert_null(repl_help_topic("nonesuch"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_complete),
        cmocka_unit_test(test_complete_all_commands),
        cmocka_unit_test(test_pending),
        cmocka_unit_test(test_expand),
        cmocka_unit_test(test_service_override),
        cmocka_unit_test(test_suggest),
        cmocka_unit_test(test_help_pages),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
