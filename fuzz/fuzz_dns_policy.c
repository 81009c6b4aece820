/*
 * fuzz_dns_policy - libFuzzer target for the TXT record parsers of dnscheck.
 *
 * DESCRIPTION
 *	The first input byte picks the parser: SPF (then every domain-spec
 *	of a parsed record is macro-expanded for an IPv4 and an IPv6
 *	client), SPF macro expansion of the raw text (plain and explanation
 *	mode), DMARC, MTA-STS or TLS-RPT; the rest is the record, as it
 *	would come out of a TXT RR (NUL bytes included). Expansion buffers
 *	have a limit, as dnscheck's own have.
 *
 *	Checks beyond the sanitizers: a parsed SPF record has a text for
 *	every term and sane CIDR lengths; the *_is_record predicates agree
 *	with the parsers on the version tag; expansion never exceeds its
 *	limit.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnscheck/dnscheck.h"

#define FUZZ_EXPAND_LIMIT 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned char ip4[4] = {192, 0, 2, 3};
static const unsigned char ip6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0,    0,
                                      0,    0,    0,    0,    0, 0, 0xcb, 1};

static void
expand(const char *spec, int exp_mode)
{
    struct dnscheck_spf_ctx ctx = {"strong-bad@email.example.com",
                                   "email.example.com",
                                   "mx.example.org",
                                   ip4,
                                   0,
                                   NULL};
    struct buf out;

    for (int v6 = 0; v6 < 2; v6++) {
        ctx.ip = v6 ? ip6 : ip4;
        ctx.ipv6 = v6;
        buf_init(&out, FUZZ_EXPAND_LIMIT);
        (void) dnscheck_spf_expand(spec, &ctx, exp_mode, &out, NULL);
        if (out.len > FUZZ_EXPAND_LIMIT || strlen(buf_str(&out)) > out.len)
            abort();
        buf_fini(&out);
    }
}

static void
fuzz_spf(const char *text)
{
    struct dnscheck_spf spf;
    struct buf err;
    int rc;

    buf_init(&err, 0);
    rc = dnscheck_spf_parse(text, &spf, &err);
    if (rc == 0) {
        if (!dnscheck_spf_is_record(text))
            abort();
        for (size_t i = 0; i < spf.n; i++) {
            const struct dnscheck_spf_term *t = &spf.t[i];

            if (t->text == NULL || t->cidr4 > 32 || t->cidr6 > 128 ||
                !strchr("+-~?", t->qual))
                abort();
            if (t->domain)
                expand(t->domain, 0);
        }
        if (spf.redirect)
            expand(spf.redirect, 0);
        if (spf.exp)
            expand(spf.exp, 1);
    } else if (err.len == 0) {
        abort();
    }
    dnscheck_spf_fini(&spf);
    buf_fini(&err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dnscheck_dmarc d;
    struct buf err;
    char *text;

    if (size < 1)
        return 0;
    /* TXT data may hold NUL bytes; dnscheck hands the parsers 0x01 instead. */
    text = mem_alloc(size);
    memcpy(text, data + 1, size - 1);
    for (size_t i = 0; i + 1 < size; i++)
        if (text[i] == 0)
            text[i] = 0x01;
    text[size - 1] = 0;
    buf_init(&err, 0);
    switch (data[0] % 5) {
    case 0:
        fuzz_spf(text);
        break;
    case 1:
        expand(text, data[0] & 0x80);
        break;
    case 2:
        if (dnscheck_dmarc_parse(text, &d, &err) == 0 &&
            (!dnscheck_dmarc_is_record(text) || d.pct < 0 || d.pct > 100 ||
             d.p[0] == 0))
            abort();
        break;
    case 3:
        if (dnscheck_sts_parse(text, &err) == 0 &&
            !dnscheck_sts_is_record(text))
            abort();
        break;
    default:
        if (dnscheck_tlsrpt_parse(text, &err) == 0 &&
            !dnscheck_tlsrpt_is_record(text))
            abort();
        break;
    }
    buf_fini(&err);
    mem_free(text);
    return 0;
}
