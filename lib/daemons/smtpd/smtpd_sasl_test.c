/*
 * smtpd_sasl_test - SMTP AUTH's pure parts, table-driven: Postfix's
 *	security option words, the mechanism filter, and the lines of
 *	Dovecot's auth protocol (handshake and replies) as
 *	xsasl_dovecot_server reads them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* cmocka.h needs the headers above */
#include <cmocka.h>

#include "smtpd/smtpd_int.h"

/* one handshake: its lines, then the offer under two option sets */
static const struct {
    const char *name;
    const char *lines; /* LF separated */
    int want_st;       /* of the last line fed */
    const char *opts, *want_offer;
} handshakes[] = {
    {"dovecot 2.3",
     "VERSION\t1\t2\nMECH\tPLAIN\tplaintext\nMECH\tLOGIN\t"
     "plaintext\nMECH\tCRAM-MD5\tdictionary\tactive\nSPID\t7\n"
     "CUID\t1\nCOOKIE\tx\nDONE",
     1, "noanonymous", "PLAIN LOGIN CRAM-MD5"},
    {"noplaintext drops PLAIN and LOGIN",
     "VERSION\t1\t2\nMECH\tPLAIN\tplaintext\nMECH\tLOGIN\tplaintext\nMECH\t"
     "CRAM-MD5\tdictionary\tactive\nDONE",
     1, "noplaintext, noanonymous", "CRAM-MD5"},
    {"anonymous and private",
     "VERSION\t1\t1\nMECH\tANONYMOUS\tanonymous\n"
     "MECH\tGSSAPI\tprivate\nMECH\tPLAIN\nDONE",
     1, "noanonymous", "PLAIN"},
    {"mutual_auth required",
     "VERSION\t1\t1\nMECH\tPLAIN\tplaintext\nMECH\t"
     "SCRAM-SHA-1\tmutual-auth\nDONE",
     1, "mutual_auth", "SCRAM-SHA-1"},
    {"major version 2", "VERSION\t2\t0", -1, "", ""},
    {"bad version", "VERSION\tx", -1, "", ""},
    {"auth-master socket", "VERSION\t1\t1\nSPID\t3", -1, "", ""},
};

static void
test_handshake(void **state)
{
    (void) state;
    for (size_t i = 0; i < sizeof(handshakes) / sizeof(handshakes[0]); i++) {
        struct smtpd_sasl_mechs m;
        char *text = strdup(handshakes[i].lines), *line, *next;
        int st = 0;
        unsigned opts;
        char bad[64];
        struct buf offer;

        memset(&m, 0, sizeof(m));
        for (line = text; line && st == 0; line = next) {
            next = strchr(line, '\n');
            if (next)
                *next++ = 0;
            st = smtpd_dovecot_handshake_line(&m, line);
        }
        if (st != handshakes[i].want_st)
            fail_msg("%s: status %d, want %d", handshakes[i].name, st,
                     handshakes[i].want_st);
        assert_int_equal(
            smtpd_sasl_sec_opts(handshakes[i].opts, &opts, bad, sizeof(bad)),
            0);
        buf_init(&offer, 0);
        smtpd_sasl_mech_filter(&m, opts, &offer);
        if (strcmp(buf_str(&offer), handshakes[i].want_offer) != 0)
            fail_msg("%s: offer \"%s\", want \"%s\"", handshakes[i].name,
                     buf_str(&offer), handshakes[i].want_offer);
        buf_fini(&offer);
        smtpd_sasl_mechs_fini(&m);
        free(text);
    }
}

static const struct {
    const char *name;
    unsigned id;
    const char *line;
    int want;
    const char *want_reply, *want_user; /* NULL: none */
} replies[] = {
    {"challenge", 1, "CONT\t1\tVXNlcm5hbWU6", SMTPD_SASL_MORE, "VXNlcm5hbWU6",
     NULL},
    {"ok", 1, "OK\t1\tuser=alice@example.test", SMTPD_SASL_DONE, "",
     "alice@example.test"},
    {"ok without user", 1, "OK\t1", SMTPD_SASL_FAIL,
     "Authentication backend error", NULL},
    {"fail with user, no reason", 2, "FAIL\t2\tuser=bob@example.test",
     SMTPD_SASL_FAIL, "", "bob@example.test"},
    {"fail with reason", 2, "FAIL\t2\treason=Password expired\ttemp",
     SMTPD_SASL_FAIL, "Password expired", NULL},
    {"control characters", 3,
     "FAIL\t3\treason=a\x01"
     "b\tuser=c\x7f"
     "d",
     SMTPD_SASL_FAIL, "a?b", "c?d"},
    {"another request", 4, "OK\t5\tuser=x", 0, "", NULL},
    {"not a reply", 4, "SPID\t4", 0, "", NULL},
    {"no id", 4, "OK", 0, "", NULL},
    {"cont without data", 6, "CONT\t6", SMTPD_SASL_FAIL,
     "Authentication backend error", NULL},
};

static void
test_reply(void **state)
{
    (void) state;
    for (size_t i = 0; i < sizeof(replies) / sizeof(replies[0]); i++) {
        char *line = strdup(replies[i].line), *user = NULL;
        struct buf reply;
        int st;

        buf_init(&reply, 0);
        st = smtpd_dovecot_reply_line(replies[i].id, line, &reply, &user);
        if (st != replies[i].want)
            fail_msg("%s: %d, want %d", replies[i].name, st, replies[i].want);
        if (strcmp(buf_str(&reply), replies[i].want_reply) != 0)
            fail_msg("%s: reply \"%s\", want \"%s\"", replies[i].name,
                     buf_str(&reply), replies[i].want_reply);
        if ((user == NULL) != (replies[i].want_user == NULL) ||
            (user && strcmp(user, replies[i].want_user) != 0))
            fail_msg("%s: user %s, want %s", replies[i].name,
                     user ? user : "(none)",
                     replies[i].want_user ? replies[i].want_user : "(none)");
        mem_free(user);
        buf_fini(&reply);
        free(line);
    }
}

static void
test_sec_opts(void **state)
{
    unsigned m;
    char bad[64];

    (void) state;
    assert_int_equal(smtpd_sasl_sec_opts("", &m, bad, sizeof(bad)), 0);
    assert_int_equal(m, 0);
    assert_int_equal(
        smtpd_sasl_sec_opts("noanonymous, noplaintext", &m, bad, sizeof(bad)),
        0);
    assert_int_equal(m, SMTPD_SASL_NOANONYMOUS | SMTPD_SASL_NOPLAINTEXT);
    assert_int_equal(
        smtpd_sasl_sec_opts("noanonymous nosuch", &m, bad, sizeof(bad)), -1);
    assert_string_equal(bad, "nosuch");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handshake),
        cmocka_unit_test(test_reply),
        cmocka_unit_test(test_sec_opts),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
