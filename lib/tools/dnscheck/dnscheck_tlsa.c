/*
 * dnscheck_tlsa - DANE: the TLSA records of an MX host against this
 *	server's certificates (PD040 to PD043).
 */
#include <stdio.h>

#include "dnscheck/dnscheck_int.h"
#include "report/report.h"

/* tlsa_secure - PD042 unless the TLSA answer dq is DNSSEC-secure: our
 * own validation with --trust-anchor, else the resolver's AD bit */
static void
tlsa_secure(struct dnscheck_run *run, const struct dnscheck_subj *s,
            const struct dns_q *dq, const char *host, const struct buf *ev)
{
    struct buf why;
    int secure;

    buf_init(&why, 0);
    if (run->sec) {
        const char *zone;

        secure = dnscheck_sec_check_answer(run->sec, dq, &zone, &why) ==
                 DNSCHECK_SEC_SECURE;
        if (!secure && why.len == 0)
            buf_puts(&why, "not validated");
    } else {
        secure = ldns_pkt_ad(dq->pkt);
        if (!secure)
            buf_puts(&why, "the resolver did not set the AD bit; use "
                           "--trust-anchor to validate locally");
    }
    if (!secure)
        dnscheck_add(run, "PD042", -1, s->file, s->line, ev,
                     "TLSA records of MX host %s are not DNSSEC-secure (%s); "
                     "DANE clients ignore them",
                     host, buf_str(&why));
    buf_fini(&why);
}

/* tlsa_usable - the number of TLSA records of tl an SMTP client uses
 * (RFC 7672: DANE-TA or DANE-EE, known selector and matching type);
 * PD041 for the others */
static size_t
tlsa_usable(struct dnscheck_run *run, const struct dnscheck_subj *s,
            ldns_rr_list *tl, const char *host)
{
    struct buf unusable;
    size_t usable = 0, n = ldns_rr_list_rr_count(tl);

    buf_init(&unusable, 0);
    for (size_t i = 0; i < n; i++) {
        ldns_rr *rr = ldns_rr_list_rr(tl, i);
        int usage = ldns_rdf2native_int8(ldns_rr_rdf(rr, 0));
        int sel = ldns_rdf2native_int8(ldns_rr_rdf(rr, 1));
        int mt = ldns_rdf2native_int8(ldns_rr_rdf(rr, 2));

        if ((usage == 2 || usage == 3) && sel <= 1 && mt <= 2) {
            usable++;
        } else {
            dnscheck_rr_format(&unusable, rr);
            buf_puts(&unusable, usage < 2 ? " (PKIX usages 0 and 1 are not "
                                            "used by SMTP)\n"
                                          : " (unknown usage, selector or "
                                            "matching type)\n");
        }
    }
    if (unusable.len && usable == 0)
        dnscheck_add(run, "PD041", -1, s->file, s->line, &unusable,
                     "None of the TLSA records of MX host %s is usable for "
                     "SMTP (RFC 7672): DANE clients cannot authenticate it",
                     host);
    else if (unusable.len)
        dnscheck_add(run, "PD041", -1, s->file, s->line, &unusable,
                     "%zu TLSA record%s of MX host %s %s ignored by SMTP "
                     "clients (RFC 7672)",
                     n - usable, n - usable == 1 ? "" : "s", host,
                     n - usable == 1 ? "is" : "are");
    buf_fini(&unusable);
    return usable;
}

/* tlsa_no_certs - PD043 (once per pass): nothing to compare with */
static void
tlsa_no_certs(struct dnscheck_run *run, const char *host, const struct buf *ev)
{
    if (run->cert_reported)
        return;
    run->cert_reported = 1;
    if (run->cert_err)
        dnscheck_add(run, "PD043", -1, run->maincf, run->cert_line, ev,
                     "TLSA records of %s cannot be compared: %s", host,
                     run->cert_err);
    else
        dnscheck_add(run, "PD043", REPORT_INFO, run->maincf, 0, ev,
                     "TLSA records of %s not compared: no "
                     "smtpd_tls_cert_file or smtpd_tls_chain_files",
                     host);
}

/* tlsa_compare - PD040 for each certificate no TLSA record of tl
 * matches */
static void
tlsa_compare(struct dnscheck_run *run, const struct dnscheck_subj *s,
             ldns_rr_list *tl, const char *host, const struct buf *ev)
{
    for (size_t c = 0; c < dnscheck_dane_certs_count(run->certs); c++) {
        int hit = 0;

        for (size_t i = 0; i < ldns_rr_list_rr_count(tl) && !hit; i++) {
            ldns_rr *rr = ldns_rr_list_rr(tl, i);
            const ldns_rdf *data = ldns_rr_rdf(rr, 3);

            if (data &&
                dnscheck_dane_match(
                    run->certs, c, ldns_rdf2native_int8(ldns_rr_rdf(rr, 0)),
                    ldns_rdf2native_int8(ldns_rr_rdf(rr, 1)),
                    ldns_rdf2native_int8(ldns_rr_rdf(rr, 2)),
                    ldns_rdf_data(data), ldns_rdf_size(data)) == 1)
                hit = 1;
        }
        if (!hit) {
            struct buf e2;

            buf_init(&e2, 0);
            buf_puts(&e2, buf_str(ev));
            buf_puts(&e2, "certificate's TLSA data (expected one of):\n");
            dnscheck_dane_expect(run->certs, c, &e2);
            dnscheck_add(run, "PD040", -1, s->file, s->line, &e2,
                         "No TLSA record of MX host %s matches the "
                         "certificate in %s",
                         host, dnscheck_dane_certs_file(run->certs, c));
            buf_fini(&e2);
        }
    }
}

void
dnscheck_check_dane(struct dnscheck_run *run, const struct dnscheck_subj *s,
                    const char *host)
{
    struct buf name, ev;
    const struct dns_q *dq;
    ldns_rr_list *tl = NULL;

    if (htab_has(run->dane_done, host))
        return;
    htab_set(run->dane_done, host, NULL);
    buf_init(&name, 0);
    buf_init(&ev, 0);
    buf_printf(&name, "_25._tcp.%s", host);
    dq = dnscheck_q(run, buf_str(&name), LDNS_RR_TYPE_TLSA);
    if (dq->st == DNS_Q_PENDING)
        goto out;
    if (dq->st == DNS_Q_FAIL) {
        dnscheck_query_failed(run, s, dq);
        goto out;
    }
    tl = dns_q_rrs(dq, LDNS_RR_TYPE_TLSA);
    if (ldns_rr_list_rr_count(tl) == 0)
        goto out;
    dnscheck_evid(&ev, dq);
    tlsa_secure(run, s, dq, host, &ev);
    if (tlsa_usable(run, s, tl, host) == 0)
        goto out;
    if (run->certs == NULL)
        tlsa_no_certs(run, host, &ev);
    else
        tlsa_compare(run, s, tl, host, &ev);
out:
    if (tl)
        ldns_rr_list_free(tl);
    buf_fini(&name);
    buf_fini(&ev);
}
