/*
 * server_tls_test - Postfix's protocol list syntax (server_tls_protocols)
 * and the policy on a real OpenSSL context (server_tls_apply).
 */
#include <openssl/ssl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pcf/pcf.h"
#include "server/server_tls.h"

#define ALL_OLD                                               \
    (SERVER_TLS_SSLv2 | SERVER_TLS_SSLv3 | SERVER_TLS_TLSv1 | \
     SERVER_TLS_TLSv1_1)

static void
parse(const char *list, int want_rc, unsigned want_ex, int want_floor,
      int want_ceiling)
{
    unsigned ex = 12345;
    int fl = -1, ce = -1;

    int rc = server_tls_protocols(list, &ex, &fl, &ce);
    if (rc != want_rc)
        fail_msg("\"%s\": rc %d, want %d", list, rc, want_rc);
    if (rc < 0)
        return;
    if (ex != want_ex || fl != want_floor || ce != want_ceiling)
        fail_msg("\"%s\": exclude %#x floor %#x ceiling %#x, want %#x %#x %#x",
                 list, ex, fl, ce, want_ex, want_floor, want_ceiling);
}

static void
test_protocols(void **state)
{
    (void) state;
    /* Postfix 3.7's defaults and documented forms */
    parse(">=TLSv1", 0, 0, TLS1_VERSION, 0);
    parse(">=TLSv1.2", 0, 0, TLS1_2_VERSION, 0);
    parse("<=TLSv1.3", 0, 0, 0, TLS1_3_VERSION);
    parse(">=TLSv1.2, <=TLSv1.3", 0, 0, TLS1_2_VERSION, TLS1_3_VERSION);
    parse("!SSLv2, !SSLv3", 0, SERVER_TLS_SSLv2 | SERVER_TLS_SSLv3, 0, 0);
    parse("!SSLv2:!SSLv3 !TLSv1\t!TLSv1.1", 0, ALL_OLD, 0, 0);
    parse(">=TLSv1, !TLSv1.3", 0, SERVER_TLS_TLSv1_3, TLS1_VERSION, 0);
    parse("", 0, 0, 0, 0);
    /* plain names: every known protocol not named is excluded */
    parse("TLSv1.2, TLSv1.3", 0, ALL_OLD, 0, 0);
    parse("TLSv1.3", 0, ALL_OLD | SERVER_TLS_TLSv1_2, 0, 0);
    parse("TLSv1.2 TLSv1.3 !TLSv1.3", 0, ALL_OLD | SERVER_TLS_TLSv1_3, 0, 0);
    /* case-insensitive (Postfix's name_code), "None", hexadecimal */
    parse(">=tlsv1.2 !sslV3", 0, SERVER_TLS_SSLv3, TLS1_2_VERSION, 0);
    parse(">=None, <=none", 0, 0, 0, 0);
    parse(">=0x0303", 0, 0, TLS1_2_VERSION, 0);
    parse("<=304", 0, 0, 0, TLS1_3_VERSION);
    /* errors */
    parse(">=TLSv1.4", -1, 0, 0, 0);
    parse("TLSv1.2, SSLv4", -1, 0, 0, 0);
    parse("!TLSv9", -1, 0, 0, 0);
    parse(">=SSLv2", -1, 0, 0, 0);
    parse("=>TLSv1.2", -1, 0, 0, 0);
    parse(">=0x10000", -1, 0, 0, 0);
    parse(">=-1", -1, 0, 0, 0);
    parse("TLSv1.2x", -1, 0, 0, 0);
}

/* conf - a scratch configuration directory with these main.cf lines */
static struct pcf *
conf(char *dir, const char *lines)
{
    char path[300];
    FILE *f;

    memcpy(dir, "/tmp/server_tls_test.XXXXXX",
           sizeof("/tmp/server_tls_test.XXXXXX"));
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/main.cf", dir);
    assert_non_null(f = fopen(path, "w"));
    fputs(lines, f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/master.cf", dir);
    assert_non_null(f = fopen(path, "w"));
    fclose(f);
    return pcf_load(dir);
}

static void
cleanup(char *dir)
{
    char path[300];

    snprintf(path, sizeof(path), "%s/main.cf", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/master.cf", dir);
    unlink(path);
    rmdir(dir);
}

static void
test_apply(void **state)
{
    char dir[64], err[600];
    struct pcf *p;
    SSL_CTX *ctx;

    (void) state;
    p = conf(dir, "smtpd_tls_protocols = >=TLSv1.3\n"
                  "smtpd_tls_mandatory_protocols = >=TLSv1.2, <=TLSv1.2\n"
                  "smtpd_tls_ciphers = HIGH\n"
                  "tls_high_cipherlist = ECDHE-ECDSA-AES128-GCM-SHA256:"
                  "ECDHE-ECDSA-AES256-GCM-SHA384\n"
                  "smtpd_tls_exclude_ciphers = ECDHE-ECDSA-AES256-GCM-SHA384\n"
                  "tls_preempt_cipherlist = yes\n");
    /* may: the opportunistic list, grade and exclusions, preempt */
    assert_non_null(ctx = SSL_CTX_new(TLS_server_method()));
    assert_int_equal(server_tls_apply(p, NULL, ctx, "smtpd", SERVER_TLS_SERVER,
                                      SERVER_TLS_MAY, err, sizeof(err)),
                     0);
    assert_int_equal(SSL_CTX_get_min_proto_version(ctx), TLS1_3_VERSION);
    assert_int_equal(SSL_CTX_get_max_proto_version(ctx), 0);
    assert_true(SSL_CTX_get_options(ctx) & SSL_OP_CIPHER_SERVER_PREFERENCE);
    assert_true(SSL_CTX_get_options(ctx) & SSL_OP_NO_RENEGOTIATION);
    {
        STACK_OF(SSL_CIPHER) *sk = SSL_CTX_get_ciphers(ctx);
        int tls12 = 0;

        for (int i = 0; i < sk_SSL_CIPHER_num(sk); i++) {
            const char *n = SSL_CIPHER_get_name(sk_SSL_CIPHER_value(sk, i));

            assert_string_not_equal(n, "ECDHE-ECDSA-AES256-GCM-SHA384");
            if (strcmp(n, "ECDHE-ECDSA-AES128-GCM-SHA256") == 0)
                tls12++;
        }
        assert_int_equal(tls12, 1);
    }
    SSL_CTX_free(ctx);
    /* mandatory: the other list; a client gets no preempt option */
    assert_non_null(ctx = SSL_CTX_new(TLS_client_method()));
    assert_int_equal(server_tls_apply(p, NULL, ctx, "smtpd", SERVER_TLS_CLIENT,
                                      SERVER_TLS_MANDATORY, err, sizeof(err)),
                     0);
    assert_int_equal(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION);
    assert_int_equal(SSL_CTX_get_max_proto_version(ctx), TLS1_2_VERSION);
    assert_false(SSL_CTX_get_options(ctx) & SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_free(ctx);
    pcf_free(p);
    cleanup(dir);
}

/* bad values: the message names the parameter and the value */
static void
bad(const char *lines, int level, const char *want)
{
    char dir[64], err[600] = "";
    struct pcf *p = conf(dir, lines);
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

    assert_non_null(ctx);
    assert_int_equal(server_tls_apply(p, NULL, ctx, "smtpd", SERVER_TLS_SERVER,
                                      level, err, sizeof(err)),
                     -1);
    if (strcmp(err, want) != 0)
        fail_msg("got \"%s\", want \"%s\"", err, want);
    SSL_CTX_free(ctx);
    pcf_free(p);
    cleanup(dir);
}

static void
test_errors(void **state)
{
    (void) state;
    bad("smtpd_tls_protocols = >=TLSv1.4\n", SERVER_TLS_MAY,
        "smtpd_tls_protocols: Invalid TLS protocol list \">=TLSv1.4\"");
    bad("smtpd_tls_mandatory_protocols = TLSv1.3 !TLSv1.3\n",
        SERVER_TLS_MANDATORY,
        "smtpd_tls_mandatory_protocols: no TLS protocol is left in "
        "\"TLSv1.3 !TLSv1.3\"");
    bad("smtpd_tls_ciphers = hihg\n", SERVER_TLS_MAY,
        "smtpd_tls_ciphers: invalid cipher grade: \"hihg\"");
    bad("smtpd_tls_mandatory_exclude_ciphers = RC4 +MD5\n",
        SERVER_TLS_MANDATORY,
        "smtpd_tls_mandatory_exclude_ciphers: invalid unary '!+-@' in cipher "
        "exclusion: \"+MD5\"");
    bad("tls_medium_cipherlist =\n", SERVER_TLS_MAY,
        "tls_medium_cipherlist: empty cipher list (smtpd_tls_ciphers = "
        "medium)");
    bad("tls_high_cipherlist = AES128-SHA\nsmtpd_tls_mandatory_ciphers = "
        "high\nsmtpd_tls_exclude_ciphers = AES128-SHA\n",
        SERVER_TLS_MANDATORY,
        "smtpd_tls_mandatory_ciphers = high: no cipher left in "
        "\"AES128-SHA:!AES128-SHA\" (tls_high_cipherlist with the "
        "exclusions)");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_protocols),
        cmocka_unit_test(test_apply),
        cmocka_unit_test(test_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
