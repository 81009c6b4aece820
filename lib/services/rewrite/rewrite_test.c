/*
 * rewrite_test - unit tests of trivial-rewrite's address forms and
 * resolver: Postfix's own quote_822_local test data
 * (testdata/peer/global/quote_822_local.{in,ref}, from Postfix 3.7.11)
 * and the internal/external forms of the plain addresses in its tok822
 * parser test (tok822_parse.ref),
 * and the resolver's answers for the routing forms that Postfix's
 * resolve_addr() handles (percent hack, bang paths, quoted local parts,
 * local domains stripped, bad domains), with the results Postfix 3.7.11
 * gave for the same addresses (its smtpd replies and delivery log lines,
 * recorded in testdata/security/addr_route.txt and addr_relay.txt).
 */
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

#include "pcf/pcf.h"
#include "rewrite/rewrite.h"

#ifndef POSTERN_TESTDATA
#error POSTERN_TESTDATA must name the testdata directory
#endif

static char dir[128];
static struct pcf *pcf;

static struct rewrite *
make(const char *extra)
{
    char path[256];
    FILE *f;

    snprintf(path, sizeof(path), "%s/main.cf", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f,
            "compatibility_level = 3.6\n"
            "myhostname = mx.example.test\n"
            "mydomain = example.test\n"
            "myorigin = local.test\n"
            "mydestination = local.test, localhost\n"
            "inet_interfaces = loopback-only\n"
            "relay_domains = relay.test\n"
            "%s\n",
            extra);
    fclose(f);
    if (pcf)
        pcf_free(pcf);
    pcf = pcf_load(dir);
    return rewrite_new(pcf, NULL);
}

/* strip - a ref value between single quotes */
static char *
quoted_value(char *s, char **end)
{
    char *a = strchr(s, '\''), *b;

    assert_non_null(a);
    b = strchr(a + 1, '\'');
    assert_non_null(b);
    *b = 0;
    *end = b + 1;
    return a + 1;
}

/* Postfix's quote_822_local tests: "quote X" / "unquote X" lines of
 * the .in file against "'X' quoted 'Y'" / "'X' unquoted 'Y'" of .ref;
 * quote_with_flags (bare_localpart) is not a form Postern uses */
static void
test_quote_822_local(void **state)
{
    FILE *in = fopen(POSTERN_TESTDATA "/peer/global/quote_822_local.in", "r");
    FILE *ref = fopen(POSTERN_TESTDATA "/peer/global/quote_822_local.ref", "r");
    char l1[512], l2[512];
    int n = 0;

    (void) state;
    assert_non_null(in);
    assert_non_null(ref);
    while (fgets(l1, sizeof(l1), in) && fgets(l2, sizeof(l2), ref)) {
        char *arg, *rest, *from, *to, *got, empty[1] = "";
        int quote;

        l1[strcspn(l1, "\n")] = 0;
        if (strncmp(l1, "quote_with_flags ", 17) == 0)
            continue;
        quote = strncmp(l1, "quote ", 6) == 0;
        assert_true(quote || strncmp(l1, "unquote ", 8) == 0);
        arg = l1 + (quote ? 6 : 8);
        if (strcmp(arg, "<>") == 0)
            arg = empty;
        from = quoted_value(l2, &rest);
        to = quoted_value(rest, &rest);
        assert_string_equal(from, arg);
        got = quote ? rewrite_quote(arg) : rewrite_unquote(arg);
        assert_string_equal(got, to);
        free(got);
        n++;
    }
    assert_int_equal(n, 5);
    fclose(in);
    fclose(ref);
}

/* plain - one address without comments, groups, routes, brackets or
 * white space outside quotes, with balanced quotes: the forms smtpd and
 * cleanup store (tok822 parses more than Postern needs) */
static int
plain(const char *a)
{
    int q = 0;

    for (const char *p = a; *p; p++) {
        if (*p == '\\' && p[1]) {
            p++;
            continue;
        }
        if (*p == '"')
            q = !q;
        else if (!q && strchr(" \t<>(),;:[]", *p))
            return 0;
    }
    return !q && strchr(a, '@') != NULL;
}

/* Postfix's tok822_parse test: for each plain input, "Internalized:" is
 * rewrite_unquote(input) and "Externalized, no newlines inserted:" is
 * rewrite_quote(internalized) */
static void
test_tok822_forms(void **state)
{
    FILE *ref = fopen(POSTERN_TESTDATA "/peer/global/tok822_parse.ref", "r");
    char line[4096], input[4096] = "", internal[4096] = "";
    int want = 0, n = 0;

    (void) state;
    assert_non_null(ref);
    while (fgets(line, sizeof(line), ref)) {
        size_t len = strlen(line);

        if (len && line[len - 1] == '\n')
            line[--len] = 0;
        if (strncmp(line, ">>>", 3) == 0 && len > 6 &&
            strcmp(line + len - 3, "<<<") == 0) {
            snprintf(input, sizeof(input), "%.*s", (int) (len - 6), line + 3);
            want = plain(input) ? 1 : 0;
        } else if (want == 1 && strcmp(line, "Internalized:") == 0) {
            want = 2;
        } else if (want == 2) {
            char *got = rewrite_unquote(input);

            snprintf(internal, sizeof(internal), "%s", line);
            if (strcmp(got, internal) != 0)
                fail_msg("unquote %s: got %s, Postfix %s", input, got,
                         internal);
            free(got);
            want = 3;
        } else if (want == 3 &&
                   strcmp(line, "Externalized, no newlines inserted:") == 0) {
            want = 4;
        } else if (want == 4) {
            char *got = rewrite_quote(internal);

            if (strcmp(got, line) != 0)
                fail_msg("quote %s: got %s, Postfix %s", internal, got, line);
            free(got);
            want = 0;
            n++;
        }
    }
    fclose(ref);
    assert_int_equal(n, 5);
}

struct rcase {
    const char *addr;
    const char *rcpt; /* resolved recipient (internal form) */
    unsigned flags;
    enum rewrite_class cls;
};

static void
check(struct rewrite *rw, const struct rcase *c)
{
    struct rewrite_result res;

    assert_int_equal(rewrite_resolve(rw, c->addr, &res), 0);
    if (strcmp(res.rcpt, c->rcpt) != 0 || res.flags != c->flags ||
        res.cls != c->cls)
        fail_msg("%s: got <%s> flags %u class %d, want <%s> flags %u "
                 "class %d",
                 c->addr, res.rcpt, res.flags, (int) res.cls, c->rcpt, c->flags,
                 (int) c->cls);
}

#define R REWRITE_FLAG_ROUTED
#define E REWRITE_FLAG_ERROR

static void
test_resolve_defaults(void **state)
{
    static const struct rcase cases[] = {
        {"alice@local.test", "alice@local.test", 0, REWRITE_LOCAL},
        {"alice@LOCAL.TEST", "alice@LOCAL.TEST", 0, REWRITE_LOCAL},
        /* $myhostname is not in this mydestination */
        {"alice", "alice@mx.example.test", 0, REWRITE_DEFAULT},
        {"user@remote.test", "user@remote.test", 0, REWRITE_DEFAULT},
        {"user@relay.test", "user@relay.test", 0, REWRITE_RELAY},
        /* percent hack, bang path, quoted and unquoted user@domain */
        {"user%remote.test@local.test", "user@remote.test", 0, REWRITE_DEFAULT},
        {"remote.test!user@local.test", "user@remote.test", 0, REWRITE_DEFAULT},
        {"\"user@remote.test\"@local.test", "user@remote.test", 0,
         REWRITE_DEFAULT},
        {"user@remote.test@local.test", "user@remote.test", 0, REWRITE_DEFAULT},
        {"user%remote.test%local.test@local.test", "user@remote.test", 0,
         REWRITE_DEFAULT},
        {"user%remote.test@localhost", "user@remote.test", 0, REWRITE_DEFAULT},
        {"user%remote.test@[127.0.0.1]", "user@remote.test", 0,
         REWRITE_DEFAULT},
        {"user%remote.test", "user@remote.test", 0, REWRITE_DEFAULT},
        {"a!b!alice@local.test", "b!alice@a", R, REWRITE_DEFAULT},
        /* routing left in the local part of a remote address */
        {"user%other.test@remote.test", "user%other.test@remote.test", R,
         REWRITE_DEFAULT},
        {"user@local.test@remote.test", "user@local.test@remote.test", R,
         REWRITE_DEFAULT},
        /* our own domain, any number of times */
        {"alice%local.test@local.test", "alice@local.test", 0, REWRITE_LOCAL},
        {"local.test!alice@local.test", "alice@local.test", 0, REWRITE_LOCAL},
        {"\"alice@local.test\"@local.test", "alice@local.test", 0,
         REWRITE_LOCAL},
        {"\"alice\"@local.test", "alice@local.test", 0, REWRITE_LOCAL},
        {"alice@local.test.", "alice@local.test", 0, REWRITE_LOCAL},
        /* malformed */
        {"alice@", "alice@", E, REWRITE_DEFAULT},
        {"alice@local..test", "alice@local..test", E, REWRITE_DEFAULT},
        {"alice@-bad.test", "alice@-bad.test", E, REWRITE_DEFAULT},
        {"alice@1.2.3.4", "alice@1.2.3.4", E, REWRITE_DEFAULT},
        {"alice@[1.2.3.4.5]", "alice@[1.2.3.4.5]", E, REWRITE_DEFAULT},
        {"user@remote.test%local.test", "user@remote.test%local.test", E,
         REWRITE_DEFAULT},
        {"@", "MAILER-DAEMON@", E, REWRITE_DEFAULT},
        /* an empty local part is the local MAILER-DAEMON */
        {"\"\"@local.test", "MAILER-DAEMON@local.test", 0, REWRITE_LOCAL},
    };
    struct rewrite *rw = make("");

    (void) state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        check(rw, &cases[i]);
    rewrite_free(rw);
}

static void
test_resolve_switched_off(void **state)
{
    static const struct rcase cases[] = {
        /* no percent hack, no bang paths: the local part stays, and the
         * routing operator in it still marks the address as routed */
        {"user%remote.test@local.test", "user%remote.test@local.test", R,
         REWRITE_LOCAL},
        {"remote.test!user@local.test", "remote.test!user@local.test", R,
         REWRITE_LOCAL},
        /* no dequoting: "user@remote.test" is a local user's name */
        {"\"user@remote.test\"@local.test", "user@remote.test@local.test", R,
         REWRITE_LOCAL},
    };
    struct rewrite *rw = make("allow_percent_hack = no\n"
                              "swap_bangpath = no\n"
                              "resolve_dequoted_address = no\n");

    (void) state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        check(rw, &cases[i]);
    rewrite_free(rw);
}

static void
test_resolve_null_numeric(void **state)
{
    static const struct rcase cases[] = {
        {"alice@", "alice@mx.example.test", 0, REWRITE_LOCAL},
        {"alice@127.0.0.1", "alice@[127.0.0.1]", 0, REWRITE_LOCAL},
        {"alice@192.0.2.1", "alice@[192.0.2.1]", 0, REWRITE_DEFAULT},
    };
    struct rewrite *rw = make("resolve_null_domain = yes\n"
                              "resolve_numeric_domain = yes\n"
                              "mydestination = local.test, $myhostname\n");

    (void) state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        check(rw, &cases[i]);
    rewrite_free(rw);
}

static void
test_canon(void **state)
{
    struct rewrite *rw = make("");
    static const char *const cases[][2] = {
        {"user%remote.test", "user@remote.test"},
        {"remote.test!user", "user@remote.test"},
        {"a!b!user", "b!user@a"},
        {"user%remote.test@local.test", "user%remote.test@local.test"},
        {"\"a%b\"", "\"a%b\"@local.test"},
        {"alice", "alice@local.test"},
    };

    (void) state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *got = rewrite_canon(rw, cases[i][0]);

        if (strcmp(got, cases[i][1]) != 0)
            fail_msg("canon %s: got %s, want %s", cases[i][0], got,
                     cases[i][1]);
        free(got);
    }
    rewrite_free(rw);
}

static void
test_valid(void **state)
{
    (void) state;
    assert_true(rewrite_valid_hostname("remote_x.test"));
    assert_true(rewrite_valid_hostname("a-b.example"));
    assert_false(rewrite_valid_hostname("-a.example"));
    assert_false(rewrite_valid_hostname("a-.example"));
    assert_false(rewrite_valid_hostname("a..b"));
    assert_false(rewrite_valid_hostname("1.2.3.4"));
    assert_false(rewrite_valid_hostname(""));
    assert_false(rewrite_valid_hostname("a b.test"));
    assert_true(rewrite_valid_literal("[127.0.0.1]"));
    assert_true(rewrite_valid_literal("[IPv6:::1]"));
    assert_false(rewrite_valid_literal("[1.2.3.4.5]"));
    assert_false(rewrite_valid_literal("[127.0.0.1]x"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quote_822_local),
        cmocka_unit_test(test_tok822_forms),
        cmocka_unit_test(test_resolve_defaults),
        cmocka_unit_test(test_resolve_switched_off),
        cmocka_unit_test(test_resolve_null_numeric),
        cmocka_unit_test(test_canon),
        cmocka_unit_test(test_valid),
    };
    int rc;

    snprintf(dir, sizeof(dir), "/tmp/rewrite_test.XXXXXX");
    if (mkdtemp(dir) == NULL)
        return 1;
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    {
        char path[256];

        snprintf(path, sizeof(path), "%s/main.cf", dir);
        unlink(path);
        rmdir(dir);
    }
    if (pcf)
        pcf_free(pcf);
    return rc;
}
