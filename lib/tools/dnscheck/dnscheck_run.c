/*
 * dnscheck_run - the configuration-aware DNS checks behind "postern dns":
 *	the rule table, the passes, the helpers every check uses.
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
 *	The checks are written as sequential lookups; dnscheck_config()
 *	runs them in discovery passes (every miss is fetched concurrently
 *	afterwards) until nothing is missing, then once more to report.
 *	Findings point at the main.cf line of the parameter that brought
 *	the domain in (or at the table file line), and carry the DNS
 *	records seen as evidence.
 *
 *	Names "localhost" and "localhost.*", names without a dot, and
 *	patterns (".domain", "!exclusion") are not checked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnscheck/dnscheck_int.h"
#include "pcf/pcf.h"
#include "report/report.h"

#define MAX_ROUNDS 24

static const struct report_rule dnscheck_rules[] = {
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
static const size_t dnscheck_nrules =
    sizeof(dnscheck_rules) / sizeof(dnscheck_rules[0]);

const struct report_rule *
dnscheck_rule_table(size_t *n)
{
    *n = dnscheck_nrules;
    return dnscheck_rules;
}

struct zone_issue {
    enum dnscheck_sec_state st;
    char *file;
    int line;
    struct strv why;
};

/*
 * Helpers.
 */
const struct dns_q *
dnscheck_q(struct dnscheck_run *run, const char *name, int type)
{
    if (run->used) {
        struct buf k;

        buf_init(&k, 0);
        buf_printf(&k, "%s/%d", name, type);
        for (size_t i = 0; i < run->used->n; i++) {
            if (strcmp(run->used->v[i], buf_str(&k)) == 0) {
                buf_fini(&k);
                return dnscheck_res_get(run->d, name, type);
            }
        }
        strv_adopt(run->used, buf_steal(&k));
    }
    return dnscheck_res_get(run->d, name, type);
}

/* rule_group - the check group a rule belongs to (PD001: always on) */
static unsigned
rule_group(const char *rule)
{
    int n = (int) strtol(rule + 2, NULL, 10);

    if (n >= 2 && n <= 10)
        return DNSCHECK_MX;
    if (n >= 11 && n <= 15)
        return DNSCHECK_SEND;
    if (n >= 20 && n <= 26)
        return DNSCHECK_SPF;
    if (n >= 30 && n <= 32)
        return DNSCHECK_DMARC;
    if (n >= 35 && n <= 36)
        return DNSCHECK_STS;
    if (n >= 40 && n <= 43)
        return DNSCHECK_DANE;
    if (n >= 50 && n <= 51)
        return DNSCHECK_DNSSEC;
    return DNSCHECK_ALL;
}

void
dnscheck_add(struct dnscheck_run *run, const char *rule, int sev,
             const char *file, int line, const struct buf *ev, const char *fmt,
             ...)
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
void
dnscheck_evid(struct buf *b, const struct dns_q *dq)
{
    ldns_rr_list *ans;
    struct strv lines;
    size_t n = 0;

    /* Sorted: resolvers may rotate the order of an RRset. */
    strv_init(&lines);
    if (dq->st == DNS_Q_OK && dq->pkt) {
        ans = ldns_pkt_answer(dq->pkt);
        for (size_t i = 0; i < ldns_rr_list_rr_count(ans); i++) {
            ldns_rr *rr = ldns_rr_list_rr(ans, i);
            int t = ldns_rr_get_type(rr);

            if (t == dq->type || t == LDNS_RR_TYPE_CNAME) {
                struct buf l;

                buf_init(&l, 0);
                dnscheck_rr_format(&l, rr);
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
        dnscheck_q_describe(b, dq);
        buf_putc(b, '\n');
    }
}

void
dnscheck_query_failed(struct dnscheck_run *run, const struct dnscheck_subj *s,
                      const struct dns_q *dq)
{
    char *t = ldns_rr_type2str((ldns_rr_type) dq->type);
    struct buf ev;

    buf_init(&ev, 0);
    dnscheck_evid(&ev, dq);
    dnscheck_add(run, "PD001", -1, s->file, s->line, &ev,
                 "%s query for %s failed: %s", t ? t : "?", dq->name,
                 dq->error ? dq->error : "failed");
    free(t);
    buf_fini(&ev);
}

int
dnscheck_has_ip(const struct dnscheck_ip *v, size_t n,
                const struct dnscheck_ip *ip)
{
    for (size_t i = 0; i < n; i++)
        if (dnscheck_ip_equal(&v[i], ip))
            return 1;
    return 0;
}

void
dnscheck_ip_list(struct buf *b, const struct dnscheck_ip *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char t[INET6_ADDRSTRLEN];

        dnscheck_ip_format(&v[i], t, sizeof(t));
        buf_printf(b, "%s%s", i ? ", " : "", t);
    }
}

/* addrs_of - A and AAAA of name (through CNAMEs) appended to *v;
 * returns 1 when a lookup is pending, -1 on failure (dq in *fail) */
int
dnscheck_addrs_of(struct dnscheck_run *run, const char *name,
                  struct dnscheck_ip **v, size_t *n, struct buf *ev,
                  const struct dns_q **fail)
{
    static const int types[] = {LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA};
    int rc = 0;

    for (int t = 0; t < 2; t++) {
        const struct dns_q *dq = dnscheck_q(run, name, types[t]);
        ldns_rr_list *l;

        if (dq->st == DNS_Q_PENDING) {
            rc = 1;
            continue;
        }
        if (dq->st == DNS_Q_FAIL) {
            *fail = dq;
            if (rc == 0)
                rc = -1;
            continue;
        }
        l = dns_q_rrs(dq, types[t]);
        for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
            struct dnscheck_ip ip;

            if (dnscheck_ip_from_rr(ldns_rr_list_rr(l, i), &ip) == 0) {
                *v = mem_realloc(*v, (*n + 1) * sizeof(**v));
                (*v)[(*n)++] = ip;
            }
        }
        if (ev && (ldns_rr_list_rr_count(l) || t == 1 || *n == 0))
            dnscheck_evid(ev, dq);
        ldns_rr_list_free(l);
    }
    return rc;
}

/*
 * DNSSEC: per zone, for the answers a subject used.
 */
static void
note_zones(struct dnscheck_run *run, const struct dnscheck_subj *s,
           const struct strv *used)
{
    for (size_t i = 0; i < used->n; i++) {
        const char *key = used->v[i];
        const char *slash = strrchr(key, '/');
        char *name = mem_strndup(key, (size_t) (slash - key));
        const struct dns_q *dq =
            dnscheck_res_get(run->d, name, (int) strtol(slash + 1, NULL, 10));
        const char *zone = NULL;
        struct buf why;
        enum dnscheck_sec_state st;
        struct zone_issue *zi;

        buf_init(&why, 0);
        st = dnscheck_sec_check_answer(run->sec, dq, &zone, &why);
        mem_free(name);
        if (zone == NULL || st == DNSCHECK_SEC_INDETERMINATE) {
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
        if (st == DNSCHECK_SEC_BOGUS && zi->st != DNSCHECK_SEC_BOGUS) {
            zi->st = DNSCHECK_SEC_BOGUS;
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
report_zones(struct dnscheck_run *run)
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
        if (zi->st == DNSCHECK_SEC_BOGUS)
            dnscheck_add(run, "PD050", -1, zi->file, zi->line, &ev,
                         "DNSSEC validation fails for zone %s (bogus)", z);
        else if (zi->st == DNSCHECK_SEC_INSECURE)
            dnscheck_add(
                run, "PD051", -1, zi->file, zi->line, &ev,
                "Zone %s is not signed (insecure delegation below the trust "
                "anchor)",
                z);
        else if (zi->st == DNSCHECK_SEC_ERROR)
            dnscheck_add(run, "PD001", -1, zi->file, zi->line, &ev,
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
wanted(const struct dnscheck_run *run, unsigned group)
{
    return (run->checks & group) ||
           (run->sec && (run->checks & DNSCHECK_DNSSEC));
}

static void
run_pass(struct dnscheck_run *run)
{
    struct dnscheck_subj hs;

    run->zones = htab_new(16);
    run->dane_done = htab_new(16);
    run->cert_reported = 0;
    if (run->sec)
        dnscheck_sec_reset(run->sec);
    for (size_t i = 0; i < run->nsubj; i++) {
        const struct dnscheck_subj *s = &run->subj[i];
        struct strv used;

        strv_init(&used);
        run->used = &used;
        if ((s->roles & ROLE_RECV) &&
            wanted(run, DNSCHECK_MX | DNSCHECK_DANE)) {
            run->cur_group = DNSCHECK_MX | DNSCHECK_DANE;
            dnscheck_check_mx(run, s);
        }
        if (wanted(run, DNSCHECK_SPF)) {
            run->cur_group = DNSCHECK_SPF;
            dnscheck_check_spf(run, s);
        }
        if (wanted(run, DNSCHECK_DMARC)) {
            run->cur_group = DNSCHECK_DMARC;
            dnscheck_check_dmarc(run, s);
        }
        if ((s->roles & ROLE_RECV) && wanted(run, DNSCHECK_STS)) {
            run->cur_group = DNSCHECK_STS;
            dnscheck_check_kv(run, s, "_mta-sts", dnscheck_sts_is_record,
                              dnscheck_sts_parse, "PD035", "MTA-STS");
            dnscheck_check_kv(run, s, "_smtp._tls", dnscheck_tlsrpt_is_record,
                              dnscheck_tlsrpt_parse, "PD036", "TLS-RPT");
        }
        run->used = NULL;
        run->cur_group = DNSCHECK_DNSSEC;
        if (run->sec && (run->checks & DNSCHECK_DNSSEC))
            note_zones(run, s, &used);
        strv_fini(&used);
    }
    if (run->helo && wanted(run, DNSCHECK_SEND)) {
        struct strv used;

        memset(&hs, 0, sizeof(hs));
        hs.name = run->helo;
        hs.file = run->helo_file;
        hs.line = run->helo_line;
        hs.from = mem_strdup(run->helo_param);
        strv_init(&used);
        run->used = &used;
        run->cur_group = DNSCHECK_SEND;
        dnscheck_check_send(run, &hs);
        run->used = NULL;
        run->cur_group = DNSCHECK_DNSSEC;
        if (run->sec && (run->checks & DNSCHECK_DNSSEC))
            note_zones(run, &hs, &used);
        strv_fini(&used);
        mem_free(hs.from);
    }
    report_zones(run);
    htab_free(run->zones, zone_issue_free);
    htab_free(run->dane_done, NULL);
    run->zones = run->dane_done = NULL;
}

void
dnscheck_opts_init(struct dnscheck_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->timeout = 3.0;
    o->retries = 1;
    o->checks = DNSCHECK_ALL;
}

static void
run_fini(struct dnscheck_run *run)
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
    dnscheck_dane_certs_free(run->certs);
    dnscheck_sec_free(run->sec);
    dnscheck_res_free(run->d);
    report_fini(&run->setup);
}

int
dnscheck_config(struct pcf *p, const struct dnscheck_opts *o, struct report *r)
{
    struct dnscheck_run run;
    struct buf err;
    int rc = -1;

    if (report_rule_find(r, "PD001") == NULL)
        report_add_rules(r, dnscheck_rules, dnscheck_nrules);
    memset(&run, 0, sizeof(run));
    run.p = p;
    run.o = o;
    run.checks = o->checks ? o->checks : DNSCHECK_ALL;
    run.maincf = o->main_cf ? o->main_cf : pcf_main_path(p);
    report_init(&run.setup, "setup");
    report_add_rules(&run.setup, dnscheck_rules, dnscheck_nrules);
    buf_init(&err, 0);

    run.d = dnscheck_res_new(o->resolvers, o->nresolvers,
                             o->timeout > 0 ? o->timeout : 3.0,
                             o->retries >= 0 ? o->retries : 0,
                             o->trust_anchor != NULL, o->threads, &err);
    if (run.d == NULL) {
        log_error("%s", buf_str(&err));
        goto out;
    }
    if (o->trust_anchor &&
        (run.sec = dnscheck_sec_new(run.d, o->trust_anchor, &err)) == NULL) {
        log_error("trust anchor: %s", buf_str(&err));
        goto out;
    }
    dnscheck_collect(&run);
    if (run.checks & DNSCHECK_DANE)
        dnscheck_load_certs(&run);

    /* Discovery passes: fetch whatever the checks asked for, level by
     * level, until they ask for nothing new; then the reporting pass. */
    for (int round = 0; round < MAX_ROUNDS; round++) {
        struct report scratch;

        report_init(&scratch, "scratch");
        report_add_rules(&scratch, dnscheck_rules, dnscheck_nrules);
        run.r = &scratch;
        dnscheck_res_set_discovery(run.d, 1);
        run_pass(&run);
        dnscheck_res_set_discovery(run.d, 0);
        report_fini(&scratch);
        if (dnscheck_res_fetch(run.d) == 0)
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
