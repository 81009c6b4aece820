/*
 * dnscheck_policy_test - unit tests for the record parsers of
 *lib/tools/dnscheck.
 *
 * DESCRIPTION
 *	Table-driven cases for SPF records (terms, CIDR lengths, modifiers,
 *	domain-spec syntax), the SPF macro examples of RFC 7208 section 7.4,
 *	DMARC, MTA-STS and TLS-RPT TXT records. No network: the DNS side is
 *	tested by tests/dns.sh against unbound.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* After the headers it needs (stdarg, stddef, stdint, setjmp). */
#include <cmocka.h>

#include "dnscheck/dnscheck.h"

struct parse_case {
    const char *in;
    int ok;
    const char *err; /* substring of the message, or NULL */
};

static const struct parse_case spf_cases[] = {
    {"v=spf1 -all", 1, NULL},
    {"V=SPF1 ip4:192.0.2.0/24 ~ALL", 1, NULL},
    {"v=spf1", 1, NULL},
    {"v=spf1   a  mx  ", 1, NULL},
    {"v=spf1 a/24 mx//64 a:mail.example.com/24//64 ?all", 1, NULL},
    {"v=spf1 ip6:2001:db8::/32 ip6:2001:db8::1 -all", 1, NULL},
    {"v=spf1 include:_spf.example.net redirect=example.com", 1, NULL},
    {"v=spf1 exists:%{ir}.%{v}._spf.%{d2} -all", 1, NULL},
    {"v=spf1 exp=explain.%{d} -all", 1, NULL},
    {"v=spf1 ptr ptr:example.com -all", 1, NULL},
    {"v=spf1 foo=bar -all", 1, NULL},
    {"v=spf1 include:%{d}.example.com -all", 1, NULL},
    {"v=spf10 -all", 0, "not an SPF record"},
    {"spf1 -all", 0, "not an SPF record"},
    {"v=spf1 ip4:192.0.2.300", 0, "bad IPv4 network"},
    {"v=spf1 ip4:192.0.2.0/33", 0, "bad IPv4 network"},
    {"v=spf1 ip6:2001:db8::/129", 0, "bad IPv6 network"},
    {"v=spf1 ip4:2001:db8::1", 0, "bad IPv4 network"},
    {"v=spf1 a/33", 0, "bad CIDR length"},
    {"v=spf1 a//129", 0, "bad CIDR length"},
    {"v=spf1 ptr/24", 0, "bad CIDR length"},
    {"v=spf1 include", 0, "missing \":domain\""},
    {"v=spf1 include:", 0, "missing \":domain\""},
    {"v=spf1 include:localhost", 0, "top label"},
    {"v=spf1 include:example.123", 0, "top label"},
    {"v=spf1 all:foo", 0, "takes no argument"},
    {"v=spf1 -alll", 0, "unknown mechanism"},
    {"v=spf1 ipv4:192.0.2.1", 0, "unknown mechanism"},
    {"v=spf1 redirect=a.example redirect=b.example", 0, "given twice"},
    {"v=spf1 exp=a.example exp=b.example", 0, "given twice"},
    {"v=spf1 1bad=x", 0, "bad modifier name"},
    {"v=spf1 exists:%{x}.example.com", 0, "unknown macro letter"},
    {"v=spf1 exists:%{c}.example.com", 0, "unknown macro letter"},
    {"v=spf1 exists:%{d0}.example.com", 0, "must not be 0"},
    {"v=spf1 exists:%{d", 0, "unterminated"},
    {"v=spf1 exists:%x.example.com", 0, "must be followed"},
    {"v=spf1 a:exa\001mple.com", 0, "invalid character"},
};

static void
test_spf_parse(void **state)
{
    (void) state;
    for (size_t i = 0; i < sizeof(spf_cases) / sizeof(spf_cases[0]); i++) {
        const struct parse_case *c = &spf_cases[i];
        struct dnscheck_spf spf;
        struct buf err;
        int rc;

        buf_init(&err, 0);
        rc = dnscheck_spf_parse(c->in, &spf, &err);
        if ((rc == 0) != c->ok ||
            (c->err && strstr(buf_str(&err), c->err) == NULL))
            fail_msg("spf case %zu \"%s\": rc %d, err \"%s\"", i, c->in, rc,
                     buf_str(&err));
        dnscheck_spf_fini(&spf);
        buf_fini(&err);
    }
}

static void
test_spf_terms(void **state)
{
    struct dnscheck_spf spf;
    struct buf err;

    (void) state;
    buf_init(&err, 0);
    assert_int_equal(dnscheck_spf_parse("v=spf1 ~a:mail.example.com/24//64 "
                                        "ip4:192.0.2.0/24 -ip6:2001:db8::/32 "
                                        "redirect=example.net",
                                        &spf, &err),
                     0);
    assert_int_equal(spf.n, 3);
    assert_int_equal(spf.t[0].qual, '~');
    assert_int_equal(spf.t[0].mech, DNSCHECK_SPF_A);
    assert_string_equal(spf.t[0].domain, "mail.example.com");
    assert_int_equal(spf.t[0].cidr4, 24);
    assert_int_equal(spf.t[0].cidr6, 64);
    assert_string_equal(spf.t[0].text, "~a:mail.example.com/24//64");
    assert_int_equal(spf.t[1].qual, '+');
    assert_int_equal(spf.t[1].mech, DNSCHECK_SPF_IP4);
    assert_int_equal(spf.t[1].addr[0], 192);
    assert_int_equal(spf.t[1].cidr4, 24);
    assert_int_equal(spf.t[2].qual, '-');
    assert_int_equal(spf.t[2].cidr6, 32);
    assert_string_equal(spf.redirect, "example.net");
    assert_null(spf.exp);
    dnscheck_spf_fini(&spf);
    buf_fini(&err);
}

/* RFC 7208 section 7.4. */
static const struct {
    const char *spec;
    const char *want;
} macro_v4[] = {
    {"%{s}", "strong-bad@email.example.com"},
    {"%{o}", "email.example.com"},
    {"%{d}", "email.example.com"},
    {"%{d4}", "email.example.com"},
    {"%{d3}", "email.example.com"},
    {"%{d2}", "example.com"},
    {"%{d1}", "com"},
    {"%{dr}", "com.example.email"},
    {"%{d2r}", "example.email"},
    {"%{l}", "strong-bad"},
    {"%{l-}", "strong.bad"},
    {"%{lr}", "strong-bad"},
    {"%{lr-}", "bad.strong"},
    {"%{l1r-}", "strong"},
    {"%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"},
    {"%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"},
    {"%{lr-}.lp.%{ir}.%{v}._spf.%{d2}",
     "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"},
    {"%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}",
     "3.2.0.192.in-addr.strong.lp._spf.example.com"},
    {"%{d2}.trusted-domains.example.net",
     "example.com.trusted-domains.example.net"},
    {"%%%_%-", "% %20"},
    {"%{S}", "strong-bad%40email.example.com"},
    {"%{h}", "mx.example.org"},
};

static void
test_spf_macros(void **state)
{
    static const unsigned char ip4[4] = {192, 0, 2, 3};
    static const unsigned char ip6[16] = {
        0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xcb, 0x01};
    struct dnscheck_spf_ctx ctx = {"strong-bad@email.example.com",
                                   "email.example.com",
                                   "mx.example.org",
                                   ip4,
                                   0,
                                   NULL};
    struct buf out, err;

    (void) state;
    buf_init(&out, 0);
    buf_init(&err, 0);
    for (size_t i = 0; i < sizeof(macro_v4) / sizeof(macro_v4[0]); i++) {
        buf_truncate(&out, 0);
        if (dnscheck_spf_expand(macro_v4[i].spec, &ctx, 0, &out, &err) != 0 ||
            strcmp(buf_str(&out), macro_v4[i].want) != 0)
            fail_msg("macro \"%s\": got \"%s\" (%s), want \"%s\"",
                     macro_v4[i].spec, buf_str(&out), buf_str(&err),
                     macro_v4[i].want);
    }
    ctx.ip = ip6;
    ctx.ipv6 = 1;
    buf_truncate(&out, 0);
    assert_int_equal(
        dnscheck_spf_expand("%{ir}.%{v}._spf.%{d2}", &ctx, 0, &out, &err), 0);
    assert_string_equal(buf_str(&out),
                        "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b."
                        "d.0.1.0.0.2.ip6._spf.example.com");
    /* c, r, t only in explanations. */
    buf_truncate(&out, 0);
    assert_int_equal(dnscheck_spf_expand("%{c}", &ctx, 1, &out, &err), 0);
    assert_string_equal(buf_str(&out), "2001:db8::cb01");
    assert_int_equal(dnscheck_spf_expand("%{c}", &ctx, 0, &out, &err), -1);
    /* The output limit holds. */
    buf_fini(&out);
    buf_init(&out, 16);
    assert_int_equal(dnscheck_spf_expand("%{s}%{s}", &ctx, 0, &out, &err), -1);
    assert_non_null(strstr(buf_str(&err), "too long"));
    buf_fini(&out);
    buf_fini(&err);
}

static const struct parse_case dmarc_cases[] = {
    {"v=DMARC1; p=reject", 1, NULL},
    {"v=DMARC1;p=none;", 1, NULL},
    {"v = DMARC1 ; p = quarantine ; pct = 50 ; sp = reject", 1, NULL},
    {"v=DMARC1; p=reject; rua=mailto:a@example.com,mailto:b@example.com!10m", 1,
     NULL},
    {"v=DMARC1; p=reject; ruf=mailto:f@example.com; fo=0:1:d:s; rf=afrf", 1,
     NULL},
    {"v=DMARC1; p=reject; adkim=s; aspf=r; ri=86400; np=reject", 1, NULL},
    {"v=DMARC1", 0, "no \"p=\""},
    {"p=reject; v=DMARC1", 0, "first tag"},
    {"v=DMARC2; p=reject", 0, "first tag"},
    {"v=DMARC1; p=block", 0, "p=block"},
    {"v=DMARC1; p=reject; sp=maybe", 0, "sp=maybe"},
    {"v=DMARC1; p=reject; pct=101", 0, "pct=101"},
    {"v=DMARC1; p=reject; pct=x", 0, "pct=x"},
    {"v=DMARC1; p=reject; adkim=x", 0, "adkim=x"},
    {"v=DMARC1; p=reject; fo=2", 0, "fo=2"},
    {"v=DMARC1; p=reject; fo=0:", 0, "fo=0:"},
    {"v=DMARC1; p=reject; rua=dmarc@example.com", 0, "rua"},
    {"v=DMARC1; p=reject; rua=mailto:nobody", 0, "rua"},
    {"v=DMARC1; p=reject; rua=mailto:a@example.com!", 0, "size limit"},
    {"v=DMARC1; p=reject; p=none", 0, "twice"},
    {"v=DMARC1; p", 0, "missing \"=\""},
    {"v=DMARC1;; p=reject", 0, "empty field"},
    {"", 0, NULL},
};

static const struct parse_case sts_cases[] = {
    {"v=STSv1; id=20240101T000000;", 1, NULL},
    {"v=STSv1;id=abc", 1, NULL},
    {"v=STSv1; id=1; ext_1=value", 1, NULL},
    {"v=STSv1;", 0, "no \"id=\""},
    {"v=STSv1; id=bad-id!", 0, "id=bad-id!"},
    {"v=STSv1; id=012345678901234567890123456789012", 0, "1 to 32"},
    {"v=STSv1; id=1; id=2", 0, "twice"},
    {"v=STSv1 id=1", 0, "first field"},
    {"v=STSv2; id=1", 0, "first field"},
    {"id=1; v=STSv1", 0, "first field"},
    {"v=STSv1; id=1; -bad=x", 0, "extension"},
};

static const struct parse_case tlsrpt_cases[] = {
    {"v=TLSRPTv1; rua=mailto:tls@example.com", 1, NULL},
    {"v=TLSRPTv1;rua=https://report.example.com/tlsrpt", 1, NULL},
    {"v=TLSRPTv1; rua=mailto:a@example.com, mailto:b@example.com;", 1, NULL},
    {"v=TLSRPTv1;", 0, "no \"rua=\""},
    {"v=TLSRPTv1; rua=ftp://example.com/x", 0, "not a mailto"},
    {"v=TLSRPTv1; rua=http://example.com/x", 0, "not a mailto"},
    {"v=TLSRPTv1; rua=mailto:nobody", 0, "not a mailto"},
    {"v=TLSRPTv1; rua=https:example.com", 0, "not a mailto"},
    {"v=TLSRPTv2; rua=mailto:a@example.com", 0, "first field"},
    {"v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com", 0,
     "twice"},
};

static void
run_kv(const struct parse_case *cases, size_t n,
       int (*parse)(const char *, struct buf *), const char *what)
{
    for (size_t i = 0; i < n; i++) {
        struct buf err;
        int rc;

        buf_init(&err, 0);
        rc = parse(cases[i].in, &err);
        if ((rc == 0) != cases[i].ok ||
            (cases[i].err && strstr(buf_str(&err), cases[i].err) == NULL))
            fail_msg("%s case %zu \"%s\": rc %d, err \"%s\"", what, i,
                     cases[i].in, rc, buf_str(&err));
        buf_fini(&err);
    }
}

static int
dmarc_parse(const char *txt, struct buf *err)
{
    struct dnscheck_dmarc d;

    return dnscheck_dmarc_parse(txt, &d, err);
}

static void
test_dmarc(void **state)
{
    struct dnscheck_dmarc d;

    (void) state;
    run_kv(dmarc_cases, sizeof(dmarc_cases) / sizeof(dmarc_cases[0]),
           dmarc_parse, "dmarc");
    assert_int_equal(dnscheck_dmarc_parse("v=DMARC1; p=Quarantine; sp=none; "
                                          "pct=20; rua=mailto:a@example.com",
                                          &d, NULL),
                     0);
    assert_string_equal(d.p, "quarantine");
    assert_string_equal(d.sp, "none");
    assert_int_equal(d.pct, 20);
    assert_int_equal(d.nrua, 1);
    assert_int_equal(d.adkim, 'r');
    assert_true(dnscheck_dmarc_is_record("v=DMARC1; p=none"));
    assert_true(dnscheck_dmarc_is_record("v = DMARC1"));
    assert_false(dnscheck_dmarc_is_record("v=DMARC10; p=none"));
    assert_false(dnscheck_dmarc_is_record("v=spf1 -all"));
}

static void
test_sts_tlsrpt(void **state)
{
    (void) state;
    run_kv(sts_cases, sizeof(sts_cases) / sizeof(sts_cases[0]),
           dnscheck_sts_parse, "mta-sts");
    run_kv(tlsrpt_cases, sizeof(tlsrpt_cases) / sizeof(tlsrpt_cases[0]),
           dnscheck_tlsrpt_parse, "tls-rpt");
    assert_true(dnscheck_sts_is_record("v=STSv1; id=1"));
    assert_true(dnscheck_sts_is_record("v=STSv1 id=1"));
    assert_false(dnscheck_sts_is_record("v=STSv10; id=1"));
    assert_true(dnscheck_tlsrpt_is_record("v=TLSRPTv1;"));
    assert_false(dnscheck_tlsrpt_is_record("v=spf1"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spf_parse),  cmocka_unit_test(test_spf_terms),
        cmocka_unit_test(test_spf_macros), cmocka_unit_test(test_dmarc),
        cmocka_unit_test(test_sts_tlsrpt),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
