/*
 * dnsc_check - the configuration-aware DNS checks behind "postern dns".
 *
 * DESCRIPTION
 *	From the configuration: the receiving domains (mydestination,
 *	virtual_alias_domains, virtual_mailbox_domains, relay_domains,
 *	after $name expansion, with /file/name lists and the source files
 *	of hash:, texthash: and similar tables read; plus --domain), the
 *	myorigin domain, the HELO name (smtp_helo_name, by default
 *	$myhostname), this server's receiving addresses (--public-ip, else
 *	the public addresses in inet_interfaces, proxy_interfaces and
 *	smtp_bind_address) and its outbound addresses (--public-ip, else a
 *	public smtp_bind_address/smtp_bind_address6, else a single public
 *	inet_interfaces address of each family).
 *
 *	The checks are written as sequential lookups; dnsc_check_config()
 *	runs them in discovery passes (every miss is fetched concurrently
 *	afterwards) until nothing is missing, then once more to report.
 *	Findings point at the main.cf line of the parameter that brought
 *	the domain in (or at the table file line), and carry the DNS
 *	records seen as evidence.
 *
 *	Names "localhost" and "localhost.*", names without a dot, and
 *	patterns (".domain", "!exclusion") are not checked.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "dnsc/dnsc_int.h"
#include "pcf/pcf.h"
#include "report/report.h"

#define MAX_ROUNDS 24

static const struct report_rule dnsc_rules[] = {
    {"PD001", REPORT_ERROR, "dns-query-failed",
     "A DNS query failed (timeout, SERVFAIL, REFUSED, network error)"},
    {"PD002", REPORT_INFO, "implicit-mx",
     "Domain has no MX record; mail goes to its A/AAAA address"},
    {"PD003", REPORT_ERROR, "domain-unreachable",
     "Receiving domain does not exist or has neither MX nor address"},
    {"PD004", REPORT_ERROR, "null-mx-accepted",
     "Null MX (RFC 7505) on a domain this server accepts mail for"},
    {"PD005", REPORT_ERROR, "mx-ip-literal",
     "MX target is an IP address instead of a host name"},
    {"PD006", REPORT_ERROR, "mx-cname", "MX target is a CNAME"},
    {"PD007", REPORT_ERROR, "mx-no-address", "MX target has no A/AAAA record"},
    {"PD008", REPORT_ERROR, "mx-address-not-public",
     "MX target resolves to a private or special-purpose address"},
    {"PD009", REPORT_WARNING, "mx-not-this-server",
     "No MX host of the domain resolves to this server's address"},
    {"PD010", REPORT_WARNING, "mx-duplicate",
     "The same MX host is listed more than once"},
    {"PD011", REPORT_ERROR, "helo-no-address",
     "HELO name does not resolve to an address"},
    {"PD012", REPORT_ERROR, "helo-address-mismatch",
     "HELO name does not resolve to the outbound address"},
    {"PD013", REPORT_ERROR, "ptr-missing",
     "Outbound address has no PTR record"},
    {"PD014", REPORT_ERROR, "fcrdns-mismatch",
     "PTR name does not resolve back to the outbound address (FCrDNS)"},
    {"PD015", REPORT_WARNING, "ptr-helo-mismatch",
     "PTR name of the outbound address differs from the HELO name"},
    {"PD020", REPORT_WARNING, "spf-missing", "Domain has no SPF record"},
    {"PD021", REPORT_ERROR, "spf-multiple",
     "Domain has more than one SPF record (permerror)"},
    {"PD022", REPORT_ERROR, "spf-syntax", "SPF record is not valid"},
    {"PD023", REPORT_ERROR, "spf-too-many-lookups",
     "SPF record needs more than 10 DNS lookups"},
    {"PD024", REPORT_ERROR, "spf-too-many-void-lookups",
     "SPF record causes more than 2 void lookups"},
    {"PD025", REPORT_ERROR, "spf-not-authorised",
     "SPF record does not authorise this server's outbound address"},
    {"PD026", REPORT_ERROR, "spf-include-missing",
     "SPF include or redirect target has no SPF record"},
    {"PD030", REPORT_WARNING, "dmarc-missing", "Domain has no DMARC record"},
    {"PD031", REPORT_ERROR, "dmarc-invalid", "DMARC record is not valid"},
    {"PD032", REPORT_INFO, "dmarc-policy-none",
     "DMARC policy is p=none (monitoring only)"},
    {"PD035", REPORT_ERROR, "mta-sts-invalid",
     "MTA-STS TXT record (_mta-sts) is not valid"},
    {"PD036", REPORT_ERROR, "tls-rpt-invalid",
     "TLS-RPT TXT record (_smtp._tls) is not valid"},
    {"PD040", REPORT_ERROR, "tlsa-mismatch",
     "No TLSA record of an MX host matches the server's certificate"},
    {"PD041", REPORT_WARNING, "tlsa-unusable",
     "TLSA record that SMTP clients do not use (RFC 7672)"},
    {"PD042", REPORT_WARNING, "tlsa-insecure",
     "TLSA records are not DNSSEC-validated, so DANE clients ignore them"},
    {"PD043", REPORT_ERROR, "tls-cert-unreadable",
     "TLSA records cannot be compared: no readable certificate"},
    {"PD050", REPORT_ERROR, "dnssec-bogus",
     "DNSSEC validation fails (bogus signature, key or chain)"},
    {"PD051", REPORT_INFO, "dnssec-insecure",
     "Zone is not signed (insecure delegation below the trust anchor)"},
    {"PD060", REPORT_WARNING, "domain-list-unreadable",
     "A domain list or table cannot be read or enumerated"},
    {"PD061", REPORT_INFO, "server-address-unknown",
     "This server's public address is unknown (use --public-ip)"},
};
static const size_t dnsc_nrules = sizeof(dnsc_rules) / sizeof(dnsc_rules[0]);

const struct report_rule *
dnsc_rule_table(size_t *n)
{
    *n = dnsc_nrules;
    return dnsc_rules;
}

/* Subject roles. */
#define ROLE_RECV   0x01u /* receives mail: MX, MTA-STS, TLS-RPT, DANE */
#define ROLE_AUTH   0x02u /* sends through us: SPF must authorise us */
#define ROLE_ORIGIN 0x04u /* myorigin */

struct subj {
    char *name; /* lower case, no final dot */
    char *file;
    int line;
    char *from; /* "mydestination", "--domain", ... */
    unsigned roles;
};

struct zone_issue {
    enum dsec_state st;
    char *file;
    int line;
    struct strv why;
};

struct run {
    struct pcf *p;
    const struct dnsc_opts *o;
    unsigned checks;
    const char *maincf;
    struct dres *d;
    struct dsec *sec;
    struct dane_certs *certs;
    char *cert_err; /* certificate configured but unreadable */
    int cert_line;  /* main.cf line of the certificate setting */
    struct subj *subj;
    size_t nsubj;
    struct dnsc_ip *recv; /* this server's public receiving addresses */
    size_t nrecv;
    struct dnsc_ip *out; /* outbound addresses */
    size_t nout;
    char *helo;
    char *helo_file;
    int helo_line;
    const char *helo_param;
    struct report setup; /* findings about the configuration itself */
    /* Per pass: */
    struct report *r;
    unsigned cur_group; /* the check running now (for PD001) */
    struct strv *used;  /* "name/type" keys of the current subject */
    struct htab *zones; /* zone -> struct zone_issue */
    struct htab *dane_done;
    int cert_reported;
};

/*
 * Helpers.
 */
static const struct dq *
q(struct run *run, const char *name, int type)
{
    if (run->used) {
        struct buf k;

        buf_init(&k, 0);
        buf_printf(&k, "%s/%d", name, type);
        for (size_t i = 0; i < run->used->n; i++) {
            if (strcmp(run->used->v[i], buf_str(&k)) == 0) {
                buf_fini(&k);
                return dres_get(run->d, name, type);
            }
        }
        strv_adopt(run->used, buf_steal(&k));
    }
    return dres_get(run->d, name, type);
}

static void add(struct run *run, const char *rule, int sev, const char *file,
                int line, const struct buf *ev, const char *fmt, ...)
    UTIL_PRINTF(7, 8);

/* rule_group - the check group a rule belongs to (PD001: always on) */
static unsigned
rule_group(const char *rule)
{
    int n = (int) strtol(rule + 2, NULL, 10);

    if (n >= 2 && n <= 10)
        return DNSC_CHECK_MX;
    if (n >= 11 && n <= 15)
        return DNSC_CHECK_SEND;
    if (n >= 20 && n <= 26)
        return DNSC_CHECK_SPF;
    if (n >= 30 && n <= 32)
        return DNSC_CHECK_DMARC;
    if (n >= 35 && n <= 36)
        return DNSC_CHECK_STS;
    if (n >= 40 && n <= 43)
        return DNSC_CHECK_DANE;
    if (n >= 50 && n <= 51)
        return DNSC_CHECK_DNSSEC;
    return DNSC_CHECK_ALL;
}

static void
add(struct run *run, const char *rule, int sev, const char *file, int line,
    const struct buf *ev, const char *fmt, ...)
{
    struct report_finding *f;
    struct buf msg;
    va_list ap;

    /* Checks that are off (--checks) still run their lookups when
     * another check needs them (DANE needs the MX hosts), but stay
     * silent. */
    if (!((strcmp(rule, "PD001") == 0 ? run->cur_group : rule_group(rule)) &
          run->checks))
        return;

    buf_init(&msg, 0);
    va_start(ap, fmt);
    buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    f = report_add(run->r, rule, sev, file, line, 0, "%s", buf_str(&msg));
    buf_fini(&msg);
    if (ev && ev->len) {
        struct buf e;

        /* No trailing newline in evidence. */
        buf_init(&e, 0);
        buf_puts(&e, buf_str(ev));
        while (e.len && e.data[e.len - 1] == '\n')
            buf_truncate(&e, e.len - 1);
        report_set_evidence(f, buf_str(&e));
        buf_fini(&e);
    }
}

/* evid - the records of q's type (and CNAMEs), or "name TYPE: why" */
static void
evid(struct buf *b, const struct dq *dq)
{
    ldns_rr_list *ans;
    struct strv lines;
    size_t n = 0;

    /* Sorted: resolvers may rotate the order of an RRset. */
    strv_init(&lines);
    if (dq->st == DQ_OK && dq->pkt) {
        ans = ldns_pkt_answer(dq->pkt);
        for (size_t i = 0; i < ldns_rr_list_rr_count(ans); i++) {
            ldns_rr *rr = ldns_rr_list_rr(ans, i);
            int t = ldns_rr_get_type(rr);

            if (t == dq->type || t == LDNS_RR_TYPE_CNAME) {
                struct buf l;

                buf_init(&l, 0);
                rr_format(&l, rr);
                strv_adopt(&lines, buf_steal(&l));
            }
        }
    }
    strv_sort(&lines);
    for (size_t i = 0; i < lines.n; i++)
        buf_printf(b, "%s\n", lines.v[i]);
    n = lines.n;
    strv_fini(&lines);
    if (n == 0) {
        char *t = ldns_rr_type2str((ldns_rr_type) dq->type);

        buf_printf(b, "%s %s: ", dq->name ? dq->name : "?", t ? t : "?");
        free(t);
        dq_describe(b, dq);
        buf_putc(b, '\n');
    }
}

static void
query_failed(struct run *run, const struct subj *s, const struct dq *dq)
{
    char *t = ldns_rr_type2str((ldns_rr_type) dq->type);
    struct buf ev;

    buf_init(&ev, 0);
    evid(&ev, dq);
    add(run, "PD001", -1, s->file, s->line, &ev, "%s query for %s failed: %s",
        t ? t : "?", dq->name, dq->error ? dq->error : "failed");
    free(t);
    buf_fini(&ev);
}

static int
has_ip(const struct dnsc_ip *v, size_t n, const struct dnsc_ip *ip)
{
    for (size_t i = 0; i < n; i++)
        if (ip_equal(&v[i], ip))
            return 1;
    return 0;
}

static void
ip_list(struct buf *b, const struct dnsc_ip *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char t[INET6_ADDRSTRLEN];

        ip_format(&v[i], t, sizeof(t));
        buf_printf(b, "%s%s", i ? ", " : "", t);
    }
}

/* addrs_of - A and AAAA of name (through CNAMEs) appended to *v;
 * returns 1 when a lookup is pending, -1 on failure (dq in *fail) */
static int
addrs_of(struct run *run, const char *name, struct dnsc_ip **v, size_t *n,
         struct buf *ev, const struct dq **fail)
{
    static const int types[] = {LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA};
    int rc = 0;

    for (int t = 0; t < 2; t++) {
        const struct dq *dq = q(run, name, types[t]);
        ldns_rr_list *l;

        if (dq->st == DQ_PENDING) {
            rc = 1;
            continue;
        }
        if (dq->st == DQ_FAIL) {
            *fail = dq;
            if (rc == 0)
                rc = -1;
            continue;
        }
        l = dq_rrs(dq, types[t]);
        for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
            struct dnsc_ip ip;

            if (ip_from_rr(ldns_rr_list_rr(l, i), &ip) == 0) {
                *v = mem_realloc(*v, (*n + 1) * sizeof(**v));
                (*v)[(*n)++] = ip;
            }
        }
        if (ev && (ldns_rr_list_rr_count(l) || t == 1 || *n == 0))
            evid(ev, dq);
        ldns_rr_list_free(l);
    }
    return rc;
}

static int
looks_like_ipv4(const char *s)
{
    struct dnsc_ip ip;

    return ip_parse(s, &ip) == 0;
}

/*
 * DANE: TLSA of an MX host against our certificates.
 */
static void
check_dane(struct run *run, const struct subj *s, const char *host)
{
    struct buf name, ev, why, unusable;
    const struct dq *dq;
    ldns_rr_list *tl;
    size_t usable = 0;
    int secure;

    if (htab_has(run->dane_done, host))
        return;
    htab_set(run->dane_done, host, NULL);
    buf_init(&name, 0);
    buf_init(&ev, 0);
    buf_init(&why, 0);
    buf_init(&unusable, 0);
    buf_printf(&name, "_25._tcp.%s", host);
    dq = q(run, buf_str(&name), LDNS_RR_TYPE_TLSA);
    if (dq->st == DQ_PENDING)
        goto out;
    if (dq->st == DQ_FAIL) {
        query_failed(run, s, dq);
        goto out;
    }
    tl = dq_rrs(dq, LDNS_RR_TYPE_TLSA);
    if (ldns_rr_list_rr_count(tl) == 0) {
        ldns_rr_list_free(tl);
        goto out;
    }
    evid(&ev, dq);

    /* DANE needs DNSSEC: our own validation, else the AD bit. */
    if (run->sec) {
        const char *zone;

        secure = dsec_check_answer(run->sec, dq, &zone, &why) == DSEC_SECURE;
        if (!secure && why.len == 0)
            buf_puts(&why, "not validated");
    } else {
        secure = ldns_pkt_ad(dq->pkt);
        if (!secure)
            buf_puts(&why, "the resolver did not set the AD bit; use "
                           "--trust-anchor to validate locally");
    }
    if (!secure)
        add(run, "PD042", -1, s->file, s->line, &ev,
            "TLSA records of MX host %s are not DNSSEC-secure (%s); DANE "
            "clients ignore them",
            host, buf_str(&why));

    for (size_t i = 0; i < ldns_rr_list_rr_count(tl); i++) {
        ldns_rr *rr = ldns_rr_list_rr(tl, i);
        int usage = ldns_rdf2native_int8(ldns_rr_rdf(rr, 0));
        int sel = ldns_rdf2native_int8(ldns_rr_rdf(rr, 1));
        int mt = ldns_rdf2native_int8(ldns_rr_rdf(rr, 2));

        if ((usage == 2 || usage == 3) && sel <= 1 && mt <= 2) {
            usable++;
        } else {
            rr_format(&unusable, rr);
            buf_puts(&unusable, usage < 2 ? " (PKIX usages 0 and 1 are not "
                                            "used by SMTP)\n"
                                          : " (unknown usage, selector or "
                                            "matching type)\n");
        }
    }
    if (unusable.len && usable == 0)
        add(run, "PD041", -1, s->file, s->line, &unusable,
            "None of the TLSA records of MX host %s is usable for SMTP (RFC "
            "7672): DANE clients cannot authenticate it",
            host);
    else if (unusable.len)
        add(run, "PD041", -1, s->file, s->line, &unusable,
            "%zu TLSA record%s of MX host %s %s ignored by SMTP clients (RFC "
            "7672)",
            ldns_rr_list_rr_count(tl) - usable,
            ldns_rr_list_rr_count(tl) - usable == 1 ? "" : "s", host,
            ldns_rr_list_rr_count(tl) - usable == 1 ? "is" : "are");
    if (usable == 0) {
        ldns_rr_list_free(tl);
        goto out;
    }
    if (run->certs == NULL) {
        if (!run->cert_reported) {
            run->cert_reported = 1;
            if (run->cert_err)
                add(run, "PD043", -1, run->maincf, run->cert_line, &ev,
                    "TLSA records of %s cannot be compared: %s", host,
                    run->cert_err);
            else
                add(run, "PD043", REPORT_INFO, run->maincf, 0, &ev,
                    "TLSA records of %s not compared: no "
                    "smtpd_tls_cert_file or smtpd_tls_chain_files",
                    host);
        }
        ldns_rr_list_free(tl);
        goto out;
    }
    for (size_t c = 0; c < dane_certs_count(run->certs); c++) {
        int hit = 0;

        for (size_t i = 0; i < ldns_rr_list_rr_count(tl) && !hit; i++) {
            ldns_rr *rr = ldns_rr_list_rr(tl, i);
            const ldns_rdf *data = ldns_rr_rdf(rr, 3);

            if (data &&
                dane_match(run->certs, c,
                           ldns_rdf2native_int8(ldns_rr_rdf(rr, 0)),
                           ldns_rdf2native_int8(ldns_rr_rdf(rr, 1)),
                           ldns_rdf2native_int8(ldns_rr_rdf(rr, 2)),
                           ldns_rdf_data(data), ldns_rdf_size(data)) == 1)
                hit = 1;
        }
        if (!hit) {
            struct buf e2;

            buf_init(&e2, 0);
            buf_puts(&e2, buf_str(&ev));
            buf_puts(&e2, "certificate's TLSA data (expected one of):\n");
            dane_expect(run->certs, c, &e2);
            add(run, "PD040", -1, s->file, s->line, &e2,
                "No TLSA record of MX host %s matches the certificate in %s",
                host, dane_certs_file(run->certs, c));
            buf_fini(&e2);
        }
    }
    ldns_rr_list_free(tl);
out:
    buf_fini(&name);
    buf_fini(&ev);
    buf_fini(&why);
    buf_fini(&unusable);
}

/*
 * Receiving side: MX.
 */

/* check_host - addresses of one MX host (or of the domain itself for an
 * implicit MX); appends them to *all */
static void
check_host(struct run *run, const struct subj *s, const char *host,
           int implicit, const struct buf *mxev, struct buf *allev,
           struct dnsc_ip **all, size_t *nall)
{
    struct dnsc_ip *v = NULL;
    size_t n = 0;
    const struct dq *fail = NULL;
    struct buf ev, bad;
    int rc, ours = 0;

    buf_init(&ev, 0);
    buf_init(&bad, 0);
    if (!implicit) {
        const struct dq *a = q(run, host, LDNS_RR_TYPE_A);

        if (a->st == DQ_OK) {
            ldns_rr_list *cn = dq_rrs(a, LDNS_RR_TYPE_CNAME);

            for (size_t i = 0; i < ldns_rr_list_rr_count(cn); i++) {
                ldns_rr *rr = ldns_rr_list_rr(cn, i);
                char *owner = rdf_name(ldns_rr_owner(rr));

                if (strcmp(owner, host) == 0) {
                    struct buf e;
                    char *tgt = rdf_name(ldns_rr_rdf(rr, 0));

                    buf_init(&e, 0);
                    buf_puts(&e, buf_str(mxev));
                    rr_format(&e, rr);
                    add(run, "PD006", -1, s->file, s->line, &e,
                        "MX target %s of %s is a CNAME (to %s); MX must "
                        "name a host with A/AAAA records",
                        host, s->name, tgt);
                    buf_fini(&e);
                    mem_free(tgt);
                }
                mem_free(owner);
            }
            ldns_rr_list_free(cn);
        }
    }
    rc = addrs_of(run, host, &v, &n, &ev, &fail);
    if (rc == 1)
        goto out;
    if (rc < 0 && n == 0) {
        query_failed(run, s, fail);
        goto out;
    }
    if (n == 0 && !implicit) {
        add(run, "PD007", -1, s->file, s->line, &ev,
            "MX target %s of %s has no A/AAAA record", host, s->name);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (!ip_is_public(&v[i])) {
            if (bad.len)
                buf_puts(&bad, ", ");
            ip_list(&bad, &v[i], 1);
        }
        if (has_ip(run->recv, run->nrecv, &v[i]))
            ours = 1;
    }
    if (bad.len)
        add(run, "PD008", -1, s->file, s->line, &ev,
            "%s %s of %s resolves to non-public address%s %s",
            implicit ? "Implicit MX" : "MX target", host, s->name,
            strchr(buf_str(&bad), ',') ? "es" : "", buf_str(&bad));
    if (!implicit)
        buf_puts(allev, buf_str(&ev));
    *all = mem_realloc(*all, (*nall + n + 1) * sizeof(**all));
    memcpy(*all + *nall, v, n * sizeof(*v));
    *nall += n;
    if ((run->checks & DNSC_CHECK_DANE) && (run->nrecv == 0 || ours))
        check_dane(run, s, host);
out:
    mem_free(v);
    buf_fini(&ev);
    buf_fini(&bad);
}

static int
cmp_mx(const void *a, const void *b)
{
    const ldns_rr *x = *(ldns_rr *const *) a, *y = *(ldns_rr *const *) b;
    int px = ldns_rdf2native_int16(ldns_rr_mx_preference(x));
    int py = ldns_rdf2native_int16(ldns_rr_mx_preference(y));

    if (px != py)
        return px - py;
    return ldns_dname_compare(ldns_rr_mx_exchange(x), ldns_rr_mx_exchange(y));
}

static void
check_mx(struct run *run, const struct subj *s)
{
    const struct dq *dq = q(run, s->name, LDNS_RR_TYPE_MX);
    struct dnsc_ip *all = NULL;
    size_t nall = 0, nmx, nnull = 0;
    ldns_rr_list *mx;
    ldns_rr **sorted = NULL;
    struct strv hosts;
    struct buf ev, mxev;
    int dup = 0;

    buf_init(&ev, 0);
    buf_init(&mxev, 0);
    strv_init(&hosts);
    if (dq->st == DQ_PENDING)
        goto out;
    if (dq->st == DQ_FAIL) {
        query_failed(run, s, dq);
        goto out;
    }
    if (dq->st == DQ_NXDOMAIN) {
        evid(&ev, dq);
        add(run, "PD003", -1, s->file, s->line, &ev,
            "%s (%s) does not exist in DNS (NXDOMAIN); mail for it cannot "
            "be delivered",
            s->name, s->from);
        goto out;
    }
    mx = dq_rrs(dq, LDNS_RR_TYPE_MX);
    nmx = ldns_rr_list_rr_count(mx);
    evid(&ev, dq);
    buf_puts(&mxev, buf_str(&ev));
    if (nmx == 0) {
        const struct dq *fail = NULL;
        struct buf aev;
        int rc;

        ldns_rr_list_free(mx);
        buf_init(&aev, 0);
        rc = addrs_of(run, s->name, &all, &nall, &aev, &fail);
        if (rc == 1) {
            buf_fini(&aev);
            goto out;
        }
        buf_puts(&ev, buf_str(&aev));
        buf_fini(&aev);
        if (rc < 0 && nall == 0) {
            query_failed(run, s, fail);
            goto out;
        }
        if (nall == 0) {
            add(run, "PD003", -1, s->file, s->line, &ev,
                "%s (%s) has neither MX nor A/AAAA records; mail for it "
                "cannot be delivered",
                s->name, s->from);
            goto out;
        }
        add(run, "PD002", -1, s->file, s->line, &ev,
            "%s (%s) has no MX record; mail goes to its address (implicit "
            "MX)",
            s->name, s->from);
        mem_free(all);
        all = NULL;
        nall = 0;
        check_host(run, s, s->name, 1, &ev, &ev, &all, &nall);
        goto ours;
    }

    sorted = mem_calloc(nmx, sizeof(*sorted));
    for (size_t i = 0; i < nmx; i++) {
        char *host;

        sorted[i] = ldns_rr_list_rr(mx, i);
        host = rdf_name(ldns_rr_mx_exchange(sorted[i]));
        if (strcmp(host, ".") == 0 || host[0] == 0)
            nnull++;
        mem_free(host);
    }
    qsort(sorted, nmx, sizeof(*sorted), cmp_mx);
    if (nnull) {
        add(run, "PD004", -1, s->file, s->line, &mxev,
            nnull == nmx ? "%s (%s) has a null MX (RFC 7505: it accepts no "
                           "mail), but this server accepts mail for it"
                         : "%s (%s) mixes a null MX with other MX records "
                           "(RFC 7505 forbids this)",
            s->name, s->from);
        if (nnull == nmx) {
            ldns_rr_list_free(mx);
            goto out;
        }
    }
    for (size_t i = 0; i < nmx; i++) {
        char *host = rdf_name(ldns_rr_mx_exchange(sorted[i]));
        int seen = 0;

        if (strcmp(host, ".") == 0 || host[0] == 0) {
            mem_free(host);
            continue;
        }
        for (size_t k = 0; k < hosts.n; k++)
            if (strcmp(hosts.v[k], host) == 0)
                seen = 1;
        if (seen) {
            dup = 1;
            mem_free(host);
            continue;
        }
        strv_adopt(&hosts, host);
    }
    if (dup)
        add(run, "PD010", -1, s->file, s->line, &mxev,
            "%s (%s) lists the same MX host more than once", s->name, s->from);
    for (size_t k = 0; k < hosts.n; k++) {
        if (looks_like_ipv4(hosts.v[k])) {
            add(run, "PD005", -1, s->file, s->line, &mxev,
                "MX target %s of %s is an IP address; MX records must name "
                "a host",
                hosts.v[k], s->name);
            continue;
        }
        check_host(run, s, hosts.v[k], 0, &mxev, &ev, &all, &nall);
    }
    ldns_rr_list_free(mx);
ours:
    if (run->nrecv && nall) {
        int ok = 0;

        for (size_t i = 0; i < nall; i++)
            if (has_ip(run->recv, run->nrecv, &all[i]))
                ok = 1;
        if (!ok) {
            buf_puts(&ev, "this server: ");
            ip_list(&ev, run->recv, run->nrecv);
            add(run, "PD009", -1, s->file, s->line, &ev,
                "No MX host of %s (%s) resolves to this server's address",
                s->name, s->from);
        }
    }
out:
    mem_free(sorted);
    mem_free(all);
    strv_fini(&hosts);
    buf_fini(&ev);
    buf_fini(&mxev);
}

/*
 * Policy records.
 */

/* txt_records - the TXT strings at name that pred accepts; -1 failed,
 * 1 pending, 0 done */
static int
txt_records(struct run *run, const struct subj *s, const char *name,
            int (*pred)(const char *), struct strv *out, struct buf *ev)
{
    const struct dq *dq = q(run, name, LDNS_RR_TYPE_TXT);
    ldns_rr_list *l;

    if (dq->st == DQ_PENDING)
        return 1;
    if (dq->st == DQ_FAIL) {
        query_failed(run, s, dq);
        return -1;
    }
    l = dq_rrs(dq, LDNS_RR_TYPE_TXT);
    for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
        char *t = rr_txt(ldns_rr_list_rr(l, i));

        if (pred(t))
            strv_adopt(out, t);
        else
            mem_free(t);
    }
    ldns_rr_list_free(l);
    if (ev)
        evid(ev, dq);
    return 0;
}

static void
check_spf(struct run *run, const struct subj *s)
{
    struct strv recs;
    struct buf ev, err;
    struct dnsc_spf spf;
    struct spf_result res;
    int rc;

    strv_init(&recs);
    buf_init(&ev, 0);
    buf_init(&err, 0);
    rc = txt_records(run, s, s->name, dnsc_spf_is_record, &recs, &ev);
    if (rc != 0)
        goto out;
    if (recs.n == 0) {
        add(run, "PD020", -1, s->file, s->line, &ev,
            "%s (%s) has no SPF record%s", s->name, s->from,
            (s->roles & (ROLE_AUTH | ROLE_ORIGIN))
                ? ""
                : "; a domain that sends no mail should publish "
                  "\"v=spf1 -all\"");
        goto out;
    }
    if (recs.n > 1) {
        add(run, "PD021", -1, s->file, s->line, &ev,
            "%s (%s) has %zu SPF records; receivers treat this as "
            "permerror",
            s->name, s->from, recs.n);
        goto out;
    }
    if (dnsc_spf_parse(recs.v[0], &spf, &err) < 0) {
        dnsc_spf_fini(&spf);
        add(run, "PD022", -1, s->file, s->line, &ev,
            "SPF record of %s is not valid: %s", s->name, buf_str(&err));
        goto out;
    }
    dnsc_spf_fini(&spf);

    spf_check(run->d, s->name, NULL, run->helo, &res);
    if (res.pending) {
        spf_result_fini(&res);
        goto out;
    }
    if (res.lookups > 10) {
        struct buf e;

        buf_init(&e, 0);
        for (size_t i = 0; i < res.lookup_terms.n; i++)
            buf_printf(&e, "%s\n", res.lookup_terms.v[i]);
        add(run, "PD023", -1, s->file, s->line, &e,
            "SPF record of %s needs %d DNS lookups (the limit is 10)", s->name,
            res.lookups);
        buf_fini(&e);
    }
    if (res.voids > 2) {
        struct buf e;

        buf_init(&e, 0);
        for (size_t i = 0; i < res.void_terms.n; i++)
            buf_printf(&e, "%s\n", res.void_terms.v[i]);
        add(run, "PD024", -1, s->file, s->line, &e,
            "SPF record of %s causes %d void lookups (the limit is 2)", s->name,
            res.voids);
        buf_fini(&e);
    }
    if (res.missing_include) {
        struct buf e;

        buf_init(&e, 0);
        for (size_t i = 0; i < res.problems.n; i++)
            buf_printf(&e, "%s\n", res.problems.v[i]);
        add(run, "PD026", -1, s->file, s->line, &e,
            "SPF record of %s includes a domain without SPF record "
            "(permerror)",
            s->name);
        buf_fini(&e);
    }
    spf_result_fini(&res);

    if (!(s->roles & (ROLE_AUTH | ROLE_ORIGIN)))
        goto out;
    for (size_t i = 0; i < run->nout; i++) {
        char ip[INET6_ADDRSTRLEN];

        spf_check(run->d, s->name, &run->out[i], run->helo, &res);
        ip_format(&run->out[i], ip, sizeof(ip));
        if (res.pending || res.result == NULL) {
            /* Nothing yet. */
        } else if (strcmp(res.result, "permerror") == 0) {
            if (res.lookups <= 10 && res.voids <= 2 && !res.missing_include) {
                struct buf e;

                buf_init(&e, 0);
                for (size_t k = 0; k < res.problems.n; k++)
                    buf_printf(&e, "%s\n", res.problems.v[k]);
                add(run, "PD022", -1, s->file, s->line, &e,
                    "SPF evaluation of %s for %s ends in permerror", s->name,
                    ip);
                buf_fini(&e);
            }
        } else if (strcmp(res.result, "pass") != 0 &&
                   strcmp(res.result, "temperror") != 0) {
            struct buf e;

            buf_init(&e, 0);
            buf_puts(&e, buf_str(&ev));
            buf_printf(&e, "result for %s: %s", ip, res.result);
            if (res.matched)
                buf_printf(&e, " (matched %s)", res.matched);
            else
                buf_puts(&e, " (no term matched)");
            add(run, "PD025", -1, s->file, s->line, &e,
                "SPF record of %s does not authorise this server's outbound "
                "address %s (%s)",
                s->name, ip, res.result);
            buf_fini(&e);
        }
        spf_result_fini(&res);
    }
out:
    strv_fini(&recs);
    buf_fini(&ev);
    buf_fini(&err);
}

static int
label_count(const char *s)
{
    int n = 1;

    for (; *s; s++)
        if (*s == '.')
            n++;
    return n;
}

static void
check_dmarc(struct run *run, const struct subj *s)
{
    struct strv recs;
    struct buf name, ev, err;
    const char *dom = s->name;
    struct dnsc_dmarc dm;
    int rc;

    strv_init(&recs);
    buf_init(&name, 0);
    buf_init(&ev, 0);
    buf_init(&err, 0);

    /* The domain's own record, else the closest parent's (down to two
     * labels: an approximation of the organizational domain). */
    for (;;) {
        buf_truncate(&name, 0);
        buf_printf(&name, "_dmarc.%s", dom);
        rc = txt_records(run, s, buf_str(&name), dnsc_dmarc_is_record, &recs,
                         &ev);
        if (rc != 0)
            goto out;
        if (recs.n || label_count(dom) <= 2 || strchr(dom, '.') == NULL)
            break;
        dom = strchr(dom, '.') + 1;
    }
    if (recs.n == 0) {
        add(run, "PD030", -1, s->file, s->line, &ev,
            "%s (%s) has no DMARC record (_dmarc.%s)", s->name, s->from,
            s->name);
        goto out;
    }
    if (recs.n > 1) {
        add(run, "PD031", -1, s->file, s->line, &ev,
            "%s has %zu DMARC records; receivers ignore them all",
            buf_str(&name), recs.n);
        goto out;
    }
    if (dnsc_dmarc_parse(recs.v[0], &dm, &err) < 0) {
        add(run, "PD031", -1, s->file, s->line, &ev,
            "DMARC record %s is not valid: %s", buf_str(&name), buf_str(&err));
        goto out;
    }
    if (strcmp(dom == s->name || !dm.sp[0] ? dm.p : dm.sp, "none") == 0)
        add(run, "PD032", -1, s->file, s->line, &ev,
            "DMARC policy for %s is \"none\" (monitoring only)", s->name);
out:
    strv_fini(&recs);
    buf_fini(&name);
    buf_fini(&ev);
    buf_fini(&err);
}

static void
check_kv(struct run *run, const struct subj *s, const char *prefix,
         int (*is_rec)(const char *), int (*parse)(const char *, struct buf *),
         const char *rule, const char *what)
{
    struct strv recs;
    struct buf name, ev, err;

    strv_init(&recs);
    buf_init(&name, 0);
    buf_init(&ev, 0);
    buf_init(&err, 0);
    buf_printf(&name, "%s.%s", prefix, s->name);
    if (txt_records(run, s, buf_str(&name), is_rec, &recs, &ev) != 0 ||
        recs.n == 0)
        goto out;
    if (recs.n > 1)
        add(run, rule, -1, s->file, s->line, &ev,
            "%s has %zu %s records; there must be one", buf_str(&name), recs.n,
            what);
    else if (parse(recs.v[0], &err) < 0)
        add(run, rule, -1, s->file, s->line, &ev,
            "%s record %s is not valid: %s", what, buf_str(&name),
            buf_str(&err));
out:
    strv_fini(&recs);
    buf_fini(&name);
    buf_fini(&ev);
    buf_fini(&err);
}

/*
 * Sending side.
 */
static void
check_send(struct run *run, const struct subj *hs)
{
    struct dnsc_ip *ha = NULL, *outs;
    size_t nha = 0, nouts;
    const struct dq *fail = NULL;
    struct buf ev;
    int rc;

    buf_init(&ev, 0);
    rc = addrs_of(run, run->helo, &ha, &nha, &ev, &fail);
    if (rc == 1)
        goto out;
    if (rc < 0 && nha == 0) {
        query_failed(run, hs, fail);
        goto out;
    }
    if (nha == 0) {
        add(run, "PD011", -1, hs->file, hs->line, &ev,
            "HELO name %s (%s) does not resolve to an address", run->helo,
            run->helo_param);
        goto out;
    }
    outs = run->nout ? run->out : ha;
    nouts = run->nout ? run->nout : nha;
    for (size_t i = 0; i < nouts; i++) {
        const struct dnsc_ip *o = &outs[i];
        char ip[INET6_ADDRSTRLEN];
        struct buf rev, pev;
        const struct dq *pq;
        ldns_rr_list *ptr;
        int confirmed = 0, helo_match = 0;

        ip_format(o, ip, sizeof(ip));
        if (run->nout && !has_ip(ha, nha, o))
            add(run, "PD012", -1, hs->file, hs->line, &ev,
                "HELO name %s (%s) does not resolve to the outbound address "
                "%s",
                run->helo, run->helo_param, ip);
        if (!ip_is_public(o))
            continue;
        buf_init(&rev, 0);
        buf_init(&pev, 0);
        ip_reverse_name(o, &rev);
        pq = q(run, buf_str(&rev), LDNS_RR_TYPE_PTR);
        if (pq->st == DQ_PENDING)
            goto next;
        if (pq->st == DQ_FAIL) {
            query_failed(run, hs, pq);
            goto next;
        }
        evid(&pev, pq);
        ptr = dq_rrs(pq, LDNS_RR_TYPE_PTR);
        if (ldns_rr_list_rr_count(ptr) == 0) {
            add(run, "PD013", -1, hs->file, hs->line, &pev,
                "Outbound address %s has no PTR record", ip);
            ldns_rr_list_free(ptr);
            goto next;
        }
        for (size_t k = 0; k < ldns_rr_list_rr_count(ptr) && k < 10; k++) {
            char *nm = rdf_name(ldns_rr_rdf(ldns_rr_list_rr(ptr, k), 0));
            struct dnsc_ip *pa = NULL;
            size_t npa = 0;
            const struct dq *pf = NULL;

            if (strcmp(nm, run->helo) == 0)
                helo_match = 1;
            if (addrs_of(run, nm, &pa, &npa, &pev, &pf) == 0 &&
                has_ip(pa, npa, o))
                confirmed = 1;
            mem_free(pa);
            mem_free(nm);
        }
        ldns_rr_list_free(ptr);
        if (!confirmed)
            add(run, "PD014", -1, hs->file, hs->line, &pev,
                "The PTR name of %s does not resolve back to %s "
                "(forward-confirmed reverse DNS fails)",
                ip, ip);
        else if (!helo_match)
            add(run, "PD015", -1, hs->file, hs->line, &pev,
                "The PTR name of %s is not the HELO name %s (%s)", ip,
                run->helo, run->helo_param);
    next:
        buf_fini(&rev);
        buf_fini(&pev);
    }
out:
    mem_free(ha);
    buf_fini(&ev);
}

/*
 * DNSSEC: per zone, for the answers a subject used.
 */
static void
note_zones(struct run *run, const struct subj *s, const struct strv *used)
{
    for (size_t i = 0; i < used->n; i++) {
        const char *key = used->v[i];
        const char *slash = strrchr(key, '/');
        char *name = mem_strndup(key, (size_t) (slash - key));
        const struct dq *dq = dres_get(run->d, name, (int) strtol(slash + 1, NULL, 10));
        const char *zone = NULL;
        struct buf why;
        enum dsec_state st;
        struct zone_issue *zi;

        buf_init(&why, 0);
        st = dsec_check_answer(run->sec, dq, &zone, &why);
        mem_free(name);
        if (zone == NULL || st == DSEC_INDETERMINATE) {
            buf_fini(&why);
            continue;
        }
        zi = htab_find(run->zones, zone);
        if (zi == NULL) {
            zi = mem_calloc(1, sizeof(*zi));
            zi->st = st;
            zi->file = mem_strdup(s->file);
            zi->line = s->line;
            strv_init(&zi->why);
            htab_set(run->zones, zone, zi);
        }
        if (st == DSEC_BOGUS && zi->st != DSEC_BOGUS) {
            zi->st = DSEC_BOGUS;
            strv_fini(&zi->why);
            strv_init(&zi->why);
        }
        if (st == zi->st && why.len) {
            int dup = 0;

            for (size_t k = 0; k < zi->why.n; k++)
                if (strcmp(zi->why.v[k], buf_str(&why)) == 0)
                    dup = 1;
            if (!dup)
                strv_add(&zi->why, buf_str(&why));
        }
        buf_fini(&why);
    }
}

static void
zone_issue_free(void *v)
{
    struct zone_issue *zi = v;

    if (zi == NULL)
        return;
    mem_free(zi->file);
    strv_fini(&zi->why);
    mem_free(zi);
}

static void
report_zones(struct run *run)
{
    for (size_t i = 0; i < htab_count(run->zones); i++) {
        const char *zone = htab_key(run->zones, i);
        struct zone_issue *zi = htab_value(run->zones, i);
        char *z = mem_strdup(zone);
        struct buf ev;
        size_t n = strlen(z);

        if (n > 1 && z[n - 1] == '.')
            z[n - 1] = 0;
        buf_init(&ev, 0);
        for (size_t k = 0; k < zi->why.n; k++)
            buf_printf(&ev, "%s\n", zi->why.v[k]);
        if (zi->st == DSEC_BOGUS)
            add(run, "PD050", -1, zi->file, zi->line, &ev,
                "DNSSEC validation fails for zone %s (bogus)", z);
        else if (zi->st == DSEC_INSECURE)
            add(run, "PD051", -1, zi->file, zi->line, &ev,
                "Zone %s is not signed (insecure delegation below the trust "
                "anchor)",
                z);
        else if (zi->st == DSEC_ERROR)
            add(run, "PD001", -1, zi->file, zi->line, &ev,
                "DNSSEC chain of zone %s could not be checked", z);
        buf_fini(&ev);
        mem_free(z);
    }
}

/*
 * One pass over every check.
 */

/* wanted - run a check group: asked for, or DNSSEC needs its lookups */
static int
wanted(const struct run *run, unsigned group)
{
    return (run->checks & group) ||
           (run->sec && (run->checks & DNSC_CHECK_DNSSEC));
}

static void
run_pass(struct run *run)
{
    struct subj hs;

    run->zones = htab_new(16);
    run->dane_done = htab_new(16);
    run->cert_reported = 0;
    if (run->sec)
        dsec_reset(run->sec);
    for (size_t i = 0; i < run->nsubj; i++) {
        const struct subj *s = &run->subj[i];
        struct strv used;

        strv_init(&used);
        run->used = &used;
        if ((s->roles & ROLE_RECV) &&
            wanted(run, DNSC_CHECK_MX | DNSC_CHECK_DANE)) {
            run->cur_group = DNSC_CHECK_MX | DNSC_CHECK_DANE;
            check_mx(run, s);
        }
        if (wanted(run, DNSC_CHECK_SPF)) {
            run->cur_group = DNSC_CHECK_SPF;
            check_spf(run, s);
        }
        if (wanted(run, DNSC_CHECK_DMARC)) {
            run->cur_group = DNSC_CHECK_DMARC;
            check_dmarc(run, s);
        }
        if ((s->roles & ROLE_RECV) && wanted(run, DNSC_CHECK_STS)) {
            run->cur_group = DNSC_CHECK_STS;
            check_kv(run, s, "_mta-sts", dnsc_sts_is_record, dnsc_sts_parse,
                     "PD035", "MTA-STS");
            check_kv(run, s, "_smtp._tls", dnsc_tlsrpt_is_record,
                     dnsc_tlsrpt_parse, "PD036", "TLS-RPT");
        }
        run->used = NULL;
        run->cur_group = DNSC_CHECK_DNSSEC;
        if (run->sec && (run->checks & DNSC_CHECK_DNSSEC))
            note_zones(run, s, &used);
        strv_fini(&used);
    }
    if (run->helo && wanted(run, DNSC_CHECK_SEND)) {
        struct strv used;

        memset(&hs, 0, sizeof(hs));
        hs.name = run->helo;
        hs.file = run->helo_file;
        hs.line = run->helo_line;
        hs.from = mem_strdup(run->helo_param);
        strv_init(&used);
        run->used = &used;
        run->cur_group = DNSC_CHECK_SEND;
        check_send(run, &hs);
        run->used = NULL;
        run->cur_group = DNSC_CHECK_DNSSEC;
        if (run->sec && (run->checks & DNSC_CHECK_DNSSEC))
            note_zones(run, &hs, &used);
        strv_fini(&used);
        mem_free(hs.from);
    }
    report_zones(run);
    htab_free(run->zones, zone_issue_free);
    htab_free(run->dane_done, NULL);
    run->zones = run->dane_done = NULL;
}

/*
 * Configuration.
 */
static int
source_line(struct pcf *p, const char *param)
{
    const char *src = pcf_source(p, param);
    const char *colon = strrchr(src, ':');

    return colon ? (int) strtol(colon + 1, NULL, 10) : 0;
}

static void
add_subject(struct run *run, const char *name, const char *file, int line,
            const char *from, unsigned roles)
{
    char *n = mem_strdup(name);
    size_t len;

    for (char *cp = n; *cp; cp++)
        if (*cp >= 'A' && *cp <= 'Z')
            *cp += 32;
    len = strlen(n);
    while (len && n[len - 1] == '.')
        n[--len] = 0;
    if (len == 0 || strchr(n, '.') == NULL || strcmp(n, "localhost") == 0 ||
        str_has_prefix(n, "localhost.") || n[0] == '.' || n[0] == '!' ||
        strchr(n, '@') || strchr(n, '/') || strchr(n, ':')) {
        mem_free(n);
        return;
    }
    for (size_t i = 0; i < run->nsubj; i++) {
        if (strcmp(run->subj[i].name, n) == 0) {
            run->subj[i].roles |= roles;
            mem_free(n);
            return;
        }
    }
    run->subj = mem_realloc(run->subj, (run->nsubj + 1) * sizeof(*run->subj));
    run->subj[run->nsubj].name = n;
    run->subj[run->nsubj].file = mem_strdup(file);
    run->subj[run->nsubj].line = line;
    run->subj[run->nsubj].from = mem_strdup(from);
    run->subj[run->nsubj].roles = roles;
    run->nsubj++;
}

/* tokens - Postfix list syntax: separators ", \t\r\n", {} groups */
static void
tokens(const char *s, struct strv *out)
{
    const char *cp = s;

    while (*cp) {
        const char *start;
        int depth = 0;

        while (*cp && strchr(", \t\r\n", *cp))
            cp++;
        if (*cp == 0)
            break;
        start = cp;
        while (*cp && (depth > 0 || !strchr(", \t\r\n", *cp))) {
            if (*cp == '{')
                depth++;
            else if (*cp == '}' && depth > 0)
                depth--;
            cp++;
        }
        strv_adopt(out, mem_strndup(start, (size_t) (cp - start)));
    }
}

/* read_list_file - names in a /file/name list (one or more per line) */
static void
read_list_file(struct run *run, const char *path, const char *from,
               unsigned roles, const char *pfile, int pline)
{
    char *text;
    size_t len;
    int line = 0;
    char *cp, *nl;

    if (util_read_file(path, 16u << 20, &text, &len) < 0) {
        report_add(&run->setup, "PD060", -1, pfile, pline, 0,
                   "cannot read %s (in %s): %s", path, from, strerror(errno));
        return;
    }
    for (cp = text; cp && *cp; cp = nl) {
        struct strv tk;

        line++;
        nl = strchr(cp, '\n');
        if (nl)
            *nl++ = 0;
        if (strchr(cp, '#'))
            *strchr(cp, '#') = 0;
        strv_init(&tk);
        tokens(cp, &tk);
        for (size_t i = 0; i < tk.n; i++)
            add_subject(run, tk.v[i], path, line, from, roles);
        strv_fini(&tk);
    }
    mem_free(text);
}

/* read_table - keys of a type:name table whose source we can read */
static void
read_table(struct run *run, const char *spec, const char *from, unsigned roles,
           const char *pfile, int pline)
{
    static const char *const indexed[] = {"hash", "btree", "lmdb",     "cdb",
                                          "dbm",  "sdbm",  "texthash", NULL};
    const char *colon = strchr(spec, ':');
    char *type, *path;
    const char *name;
    int known = 0;

    while (str_has_prefix(spec, "proxy:"))
        spec += 6;
    colon = strchr(spec, ':');
    type = mem_strndup(spec, (size_t) (colon - spec));
    name = colon + 1;
    if (strcmp(type, "inline") == 0) {
        struct strv tk;
        char *inner = mem_strdup(name);
        size_t n = strlen(inner);

        if (n >= 2 && inner[0] == '{' && inner[n - 1] == '}') {
            inner[n - 1] = 0;
            strv_init(&tk);
            tokens(inner + 1, &tk);
            for (size_t i = 0; i < tk.n; i++) {
                char *eq = strchr(tk.v[i], '=');

                if (eq)
                    *eq = 0;
                add_subject(run, str_trim(tk.v[i]), pfile, pline, from, roles);
            }
            strv_fini(&tk);
        }
        mem_free(inner);
        mem_free(type);
        return;
    }
    for (const char *const *ip = indexed; *ip; ip++)
        if (strcmp(*ip, type) == 0)
            known = 1;
    if (!known) {
        report_add(&run->setup, "PD060", REPORT_INFO, pfile, pline, 0,
                   "%s lookup table %s cannot be listed; check its domains "
                   "with --domain",
                   from, spec);
        mem_free(type);
        return;
    }
    path = mem_strdup(name);
    {
        char *text;
        size_t len;
        int line = 0;
        char *cp, *nl;

        if (util_read_file(path, 64u << 20, &text, &len) < 0) {
            report_add(&run->setup, "PD060", -1, pfile, pline, 0,
                       "cannot read the source file %s of %s (in %s): %s", path,
                       spec, from, strerror(errno));
        } else {
            for (cp = text; cp && *cp; cp = nl) {
                size_t k;

                line++;
                nl = strchr(cp, '\n');
                if (nl)
                    *nl++ = 0;
                if (*cp == '#' || *cp == ' ' || *cp == '\t' || *cp == 0)
                    continue;
                k = strcspn(cp, " \t\r");
                cp[k] = 0;
                add_subject(run, cp, path, line, from, roles);
            }
            mem_free(text);
        }
    }
    mem_free(path);
    mem_free(type);
}

static void
collect_list(struct run *run, const char *param, unsigned roles)
{
    char *val = pcf_value(run->p, param);
    int line = source_line(run->p, param);
    struct strv tk;

    if (val == NULL)
        return;
    strv_init(&tk);
    tokens(val, &tk);
    for (size_t i = 0; i < tk.n; i++) {
        const char *t = tk.v[i];

        if (t[0] == '/')
            read_list_file(run, t, param, roles, run->maincf, line);
        else if (strchr(t, ':') && t[0] != '!')
            read_table(run, t, param, roles, run->maincf, line);
        else
            add_subject(run, t, run->maincf, line, param, roles);
    }
    strv_fini(&tk);
    mem_free(val);
}

static void
add_ip(struct dnsc_ip **v, size_t *n, const struct dnsc_ip *ip)
{
    if (has_ip(*v, *n, ip))
        return;
    *v = mem_realloc(*v, (*n + 1) * sizeof(**v));
    (*v)[(*n)++] = *ip;
}

/*
 * collect_addresses - this server's public addresses. Receiving: the
 * public addresses of inet_interfaces and proxy_interfaces (the
 * addresses a NAT or proxy forwards to us) and of smtp_bind_address(6).
 * Outbound: smtp_bind_address(6), else, as the Postfix SMTP client does,
 * the one public inet_interfaces address of each family. --public-ip
 * replaces both.
 */
static void
collect_addresses(struct run *run)
{
    static const char *const lists[] = {"inet_interfaces", "proxy_interfaces"};
    static const char *const binds[] = {"smtp_bind_address",
                                        "smtp_bind_address6"};
    struct dnsc_ip ip, one4, one6;
    int n4 = 0, n6 = 0;
    char *val;

    for (size_t i = 0; i < run->o->npublic_ips; i++) {
        if (ip_parse(run->o->public_ips[i], &ip) == 0) {
            add_ip(&run->recv, &run->nrecv, &ip);
            add_ip(&run->out, &run->nout, &ip);
        }
    }
    if (run->o->npublic_ips)
        return;
    for (int l = 0; l < 2; l++) {
        struct strv tk;

        strv_init(&tk);
        if ((val = pcf_value(run->p, lists[l])) != NULL)
            tokens(val, &tk);
        mem_free(val);
        for (size_t i = 0; i < tk.n; i++) {
            if (ip_parse(tk.v[i], &ip) != 0 || !ip_is_public(&ip))
                continue;
            add_ip(&run->recv, &run->nrecv, &ip);
            if (l == 1)
                continue;
            if (ip.v6) {
                n6++;
                one6 = ip;
            } else {
                n4++;
                one4 = ip;
            }
        }
        strv_fini(&tk);
    }
    for (int b = 0; b < 2; b++) {
        val = pcf_value(run->p, binds[b]);
        if (val && ip_parse(val, &ip) == 0 && ip_is_public(&ip)) {
            add_ip(&run->out, &run->nout, &ip);
            add_ip(&run->recv, &run->nrecv, &ip);
        } else if (b == 0 && n4 == 1) {
            add_ip(&run->out, &run->nout, &one4);
        } else if (b == 1 && n6 == 1) {
            add_ip(&run->out, &run->nout, &one6);
        }
        mem_free(val);
    }
}

static void
collect(struct run *run)
{
    static const char *const lists[] = {
        "mydestination", "virtual_alias_domains", "virtual_mailbox_domains",
        "relay_domains"};
    char *origin, *helo;
    const char *helo_param = "smtp_helo_name";

    for (size_t i = 0; i < 4; i++)
        collect_list(run, lists[i], ROLE_RECV | (i < 3 ? ROLE_AUTH : 0u));
    for (size_t i = 0; i < run->o->ndomains; i++)
        add_subject(run, run->o->domains[i], "(command line)", 0, "--domain",
                    ROLE_RECV | ROLE_AUTH);
    origin = pcf_value(run->p, "myorigin");
    if (origin && origin[0] == '/') {
        /* Debian's /etc/mailname style, read as the daemons read it. */
        struct buf why;
        char *text;

        buf_init(&why, 0);
        if ((text = conf_param_file(origin, &why)) != NULL && *text) {
            add_subject(run, text, run->maincf, source_line(run->p, "myorigin"),
                        "myorigin", ROLE_ORIGIN);
        } else {
            report_add(&run->setup, "PD060", -1, run->maincf,
                       source_line(run->p, "myorigin"), 0,
                       "cannot read %s (myorigin): %s", origin,
                       text ? "the file is empty" : buf_str(&why));
        }
        mem_free(text);
        buf_fini(&why);
    } else if (origin) {
        add_subject(run, origin, run->maincf, source_line(run->p, "myorigin"),
                    "myorigin", ROLE_ORIGIN);
    }
    mem_free(origin);

    helo = pcf_value(run->p, "smtp_helo_name");
    if (strcmp(pcf_source(run->p, "smtp_helo_name"), "default") == 0)
        helo_param = "myhostname";
    if (helo && helo[0]) {
        size_t n = strlen(helo);

        while (n && helo[n - 1] == '.')
            helo[--n] = 0;
        for (char *cp = helo; *cp; cp++)
            if (*cp >= 'A' && *cp <= 'Z')
                *cp += 32;
        run->helo = helo;
        run->helo_param = helo_param;
        run->helo_file = mem_strdup(run->maincf);
        run->helo_line = source_line(run->p, helo_param);
    } else {
        mem_free(helo);
    }
    collect_addresses(run);
    if ((run->checks & (DNSC_CHECK_MX | DNSC_CHECK_SEND | DNSC_CHECK_SPF)) &&
        (run->nrecv == 0 || run->nout == 0)) {
        /* A receiving address is always known when an outbound one is. */
        if (run->nrecv == 0)
            report_add(&run->setup, "PD061", -1, run->maincf,
                       source_line(run->p, "inet_interfaces"), 0,
                       "This server's public addresses are unknown "
                       "(inet_interfaces, proxy_interfaces and "
                       "smtp_bind_address name none): MX hosts are not "
                       "matched against them, the HELO name's addresses are "
                       "taken as outbound addresses and SPF authorisation "
                       "is not checked; use --public-ip");
        else
            report_add(&run->setup, "PD061", -1, run->maincf,
                       source_line(run->p, "inet_interfaces"), 0,
                       "This server's public outbound address is unknown "
                       "(no public smtp_bind_address, and inet_interfaces "
                       "names no single public address): the HELO name's "
                       "addresses are taken as outbound addresses and SPF "
                       "authorisation is not checked; use --public-ip");
    }
}

static void
load_certs(struct run *run)
{
    struct strv files, tk;
    char *v;
    struct buf err;

    strv_init(&files);
    strv_init(&tk);
    buf_init(&err, 0);
    v = pcf_value(run->p, "smtpd_tls_chain_files");
    if (v && v[0]) {
        run->cert_line = source_line(run->p, "smtpd_tls_chain_files");
        tokens(v, &tk);
        for (size_t i = 0; i < tk.n; i++)
            strv_add(&files, tk.v[i]);
    } else {
        static const char *const params[] = {"smtpd_tls_cert_file",
                                             "smtpd_tls_eccert_file"};

        for (int i = 0; i < 2; i++) {
            char *f = pcf_value(run->p, params[i]);

            if (f && f[0]) {
                strv_add(&files, f);
                if (run->cert_line == 0)
                    run->cert_line = source_line(run->p, params[i]);
            }
            mem_free(f);
        }
    }
    mem_free(v);
    if (files.n) {
        run->certs =
            dane_certs_load((const char *const *) files.v, files.n, &err);
        if (run->certs == NULL)
            run->cert_err = buf_steal(&err);
    }
    strv_fini(&files);
    strv_fini(&tk);
    buf_fini(&err);
}

void
dnsc_opts_init(struct dnsc_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->timeout = 3.0;
    o->retries = 1;
    o->checks = DNSC_CHECK_ALL;
}

static void
run_fini(struct run *run)
{
    for (size_t i = 0; i < run->nsubj; i++) {
        mem_free(run->subj[i].name);
        mem_free(run->subj[i].file);
        mem_free(run->subj[i].from);
    }
    mem_free(run->subj);
    mem_free(run->recv);
    mem_free(run->out);
    mem_free(run->helo);
    mem_free(run->helo_file);
    mem_free(run->cert_err);
    dane_certs_free(run->certs);
    dsec_free(run->sec);
    dres_free(run->d);
    report_fini(&run->setup);
}

int
dnsc_check_config(struct pcf *p, const struct dnsc_opts *o, struct report *r)
{
    struct run run;
    struct buf err;
    int rc = -1;

    if (report_rule_find(r, "PD001") == NULL)
        report_add_rules(r, dnsc_rules, dnsc_nrules);
    memset(&run, 0, sizeof(run));
    run.p = p;
    run.o = o;
    run.checks = o->checks ? o->checks : DNSC_CHECK_ALL;
    run.maincf = o->main_cf ? o->main_cf : pcf_main_path(p);
    report_init(&run.setup, "setup");
    report_add_rules(&run.setup, dnsc_rules, dnsc_nrules);
    buf_init(&err, 0);

    run.d =
        dres_new(o->resolvers, o->nresolvers, o->timeout > 0 ? o->timeout : 3.0,
                 o->retries >= 0 ? o->retries : 0, o->trust_anchor != NULL,
                 o->threads, &err);
    if (run.d == NULL) {
        log_error("%s", buf_str(&err));
        goto out;
    }
    if (o->trust_anchor &&
        (run.sec = dsec_new(run.d, o->trust_anchor, &err)) == NULL) {
        log_error("trust anchor: %s", buf_str(&err));
        goto out;
    }
    collect(&run);
    if (run.checks & DNSC_CHECK_DANE)
        load_certs(&run);

    /* Discovery passes: fetch whatever the checks asked for, level by
     * level, until they ask for nothing new; then the reporting pass. */
    for (int round = 0; round < MAX_ROUNDS; round++) {
        struct report scratch;

        report_init(&scratch, "scratch");
        report_add_rules(&scratch, dnsc_rules, dnsc_nrules);
        run.r = &scratch;
        dres_set_discovery(run.d, 1);
        run_pass(&run);
        dres_set_discovery(run.d, 0);
        report_fini(&scratch);
        if (dres_fetch(run.d) == 0)
            break;
    }
    run.r = r;
    run_pass(&run);

    for (size_t i = 0; i < run.setup.n; i++) {
        struct report_finding *f = &run.setup.f[i], *nf;

        nf = report_add(r, f->rule_id, (int) f->sev, f->file, f->line, f->col,
                        "%s", f->message);
        if (f->evidence)
            report_set_evidence(nf, f->evidence);
    }
    rc = 0;
out:
    buf_fini(&err);
    run_fini(&run);
    return rc;
}
