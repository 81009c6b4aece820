/*
 * dnscheck_mx - the receiving side: MX records, null MX, the MX hosts'
 *	addresses (PD002 to PD010); DANE for each MX host of this server.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnscheck/dnscheck_int.h"
#include "report/report.h"

static int
looks_like_ipv4(const char *s)
{
    struct dnscheck_ip ip;

    return dnscheck_ip_parse(s, &ip) == 0;
}

/*
 * Receiving side: MX.
 */

/* check_host - addresses of one MX host (or of the domain itself for an
 * implicit MX); appends them to *all */
static void
check_host(struct dnscheck_run *run, const struct dnscheck_subj *s,
           const char *host, int implicit, const struct buf *mxev,
           struct buf *allev, struct dnscheck_ip **all, size_t *nall)
{
    struct dnscheck_ip *v = NULL;
    size_t n = 0;
    const struct dns_q *fail = NULL;
    struct buf ev, bad;
    int rc, ours = 0;

    buf_init(&ev, 0);
    buf_init(&bad, 0);
    if (!implicit) {
        const struct dns_q *a = dnscheck_q(run, host, LDNS_RR_TYPE_A);

        if (a->st == DNS_Q_OK) {
            ldns_rr_list *cn = dns_q_rrs(a, LDNS_RR_TYPE_CNAME);

            for (size_t i = 0; i < ldns_rr_list_rr_count(cn); i++) {
                ldns_rr *rr = ldns_rr_list_rr(cn, i);
                char *owner = dns_rdf_name(ldns_rr_owner(rr));

                if (strcmp(owner, host) == 0) {
                    struct buf e;
                    char *tgt = dns_rdf_name(ldns_rr_rdf(rr, 0));

                    buf_init(&e, 0);
                    buf_puts(&e, buf_str(mxev));
                    dnscheck_rr_format(&e, rr);
                    dnscheck_add(
                        run, "PD006", -1, s->file, s->line, &e,
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
    rc = dnscheck_addrs_of(run, host, &v, &n, &ev, &fail);
    if (rc == 1)
        goto out;
    if (rc < 0 && n == 0) {
        dnscheck_query_failed(run, s, fail);
        goto out;
    }
    if (n == 0 && !implicit) {
        dnscheck_add(run, "PD007", -1, s->file, s->line, &ev,
                     "MX target %s of %s has no A/AAAA record", host, s->name);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (!dnscheck_ip_is_public(&v[i])) {
            if (bad.len)
                buf_puts(&bad, ", ");
            dnscheck_ip_list(&bad, &v[i], 1);
        }
        if (dnscheck_has_ip(run->recv, run->nrecv, &v[i]))
            ours = 1;
    }
    if (bad.len)
        dnscheck_add(run, "PD008", -1, s->file, s->line, &ev,
                     "%s %s of %s resolves to non-public address%s %s",
                     implicit ? "Implicit MX" : "MX target", host, s->name,
                     strchr(buf_str(&bad), ',') ? "es" : "", buf_str(&bad));
    if (!implicit)
        buf_puts(allev, buf_str(&ev));
    *all = mem_realloc(*all, (*nall + n + 1) * sizeof(**all));
    memcpy(*all + *nall, v, n * sizeof(*v));
    *nall += n;
    if ((run->checks & DNSCHECK_DANE) && (run->nrecv == 0 || ours))
        dnscheck_check_dane(run, s, host);
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

/* implicit_mx - a domain without MX records: its own addresses (PD002,
 * PD003), collected into *all; -1 when there is nothing more to check */
static int
implicit_mx(struct dnscheck_run *run, const struct dnscheck_subj *s,
            struct buf *ev, struct dnscheck_ip **all, size_t *nall)
{
    const struct dns_q *fail = NULL;
    struct buf aev;
    int rc;

    buf_init(&aev, 0);
    rc = dnscheck_addrs_of(run, s->name, all, nall, &aev, &fail);
    if (rc == 1) {
        buf_fini(&aev);
        return -1;
    }
    buf_puts(ev, buf_str(&aev));
    buf_fini(&aev);
    if (rc < 0 && *nall == 0) {
        dnscheck_query_failed(run, s, fail);
        return -1;
    }
    if (*nall == 0) {
        dnscheck_add(run, "PD003", -1, s->file, s->line, ev,
                     "%s (%s) has neither MX nor A/AAAA records; mail for it "
                     "cannot be delivered",
                     s->name, s->from);
        return -1;
    }
    dnscheck_add(run, "PD002", -1, s->file, s->line, ev,
                 "%s (%s) has no MX record; mail goes to its address "
                 "(implicit MX)",
                 s->name, s->from);
    mem_free(*all);
    *all = NULL;
    *nall = 0;
    check_host(run, s, s->name, 1, ev, ev, all, nall);
    return 0;
}

/* is_root - an MX target "." (null MX) */
static int
is_root(const char *host)
{
    return strcmp(host, ".") == 0 || host[0] == 0;
}

/* mx_hosts - the distinct MX hosts of mx by preference into hosts; a
 * null MX (PD004) and a host listed twice (PD010) are reported. -1 when
 * the domain has only a null MX */
static int
mx_hosts(struct dnscheck_run *run, const struct dnscheck_subj *s,
         ldns_rr_list *mx, const struct buf *mxev, struct strv *hosts)
{
    size_t nmx = ldns_rr_list_rr_count(mx), nnull = 0;
    ldns_rr **sorted = mem_calloc(nmx, sizeof(*sorted));
    int dup = 0, rc = 0;

    for (size_t i = 0; i < nmx; i++) {
        char *host;

        sorted[i] = ldns_rr_list_rr(mx, i);
        host = dns_rdf_name(ldns_rr_mx_exchange(sorted[i]));
        if (is_root(host))
            nnull++;
        mem_free(host);
    }
    qsort(sorted, nmx, sizeof(*sorted), cmp_mx);
    if (nnull) {
        dnscheck_add(run, "PD004", -1, s->file, s->line, mxev,
                     nnull == nmx
                         ? "%s (%s) has a null MX (RFC 7505: it accepts no "
                           "mail), but this server accepts mail for it"
                         : "%s (%s) mixes a null MX with other MX records "
                           "(RFC 7505 forbids this)",
                     s->name, s->from);
        if (nnull == nmx) {
            rc = -1;
            goto out;
        }
    }
    for (size_t i = 0; i < nmx; i++) {
        char *host = dns_rdf_name(ldns_rr_mx_exchange(sorted[i]));
        int seen = 0;

        if (is_root(host)) {
            mem_free(host);
            continue;
        }
        for (size_t k = 0; k < hosts->n; k++)
            if (strcmp(hosts->v[k], host) == 0)
                seen = 1;
        if (seen) {
            dup = 1;
            mem_free(host);
            continue;
        }
        strv_adopt(hosts, host);
    }
    if (dup)
        dnscheck_add(run, "PD010", -1, s->file, s->line, mxev,
                     "%s (%s) lists the same MX host more than once", s->name,
                     s->from);
out:
    mem_free(sorted);
    return rc;
}

/* mx_ours - PD009 when none of the addresses all is this server's */
static void
mx_ours(struct dnscheck_run *run, const struct dnscheck_subj *s,
        const struct dnscheck_ip *all, size_t nall, struct buf *ev)
{
    if (run->nrecv == 0 || nall == 0)
        return;
    for (size_t i = 0; i < nall; i++)
        if (dnscheck_has_ip(run->recv, run->nrecv, &all[i]))
            return;
    buf_puts(ev, "this server: ");
    dnscheck_ip_list(ev, run->recv, run->nrecv);
    dnscheck_add(run, "PD009", -1, s->file, s->line, ev,
                 "No MX host of %s (%s) resolves to this server's address",
                 s->name, s->from);
}

void
dnscheck_check_mx(struct dnscheck_run *run, const struct dnscheck_subj *s)
{
    const struct dns_q *dq = dnscheck_q(run, s->name, LDNS_RR_TYPE_MX);
    struct dnscheck_ip *all = NULL;
    size_t nall = 0;
    ldns_rr_list *mx = NULL;
    struct strv hosts;
    struct buf ev, mxev;

    buf_init(&ev, 0);
    buf_init(&mxev, 0);
    strv_init(&hosts);
    if (dq->st == DNS_Q_PENDING)
        goto out;
    if (dq->st == DNS_Q_FAIL) {
        dnscheck_query_failed(run, s, dq);
        goto out;
    }
    if (dq->st == DNS_Q_NXDOMAIN) {
        dnscheck_evid(&ev, dq);
        dnscheck_add(run, "PD003", -1, s->file, s->line, &ev,
                     "%s (%s) does not exist in DNS (NXDOMAIN); mail for it "
                     "cannot be delivered",
                     s->name, s->from);
        goto out;
    }
    mx = dns_q_rrs(dq, LDNS_RR_TYPE_MX);
    dnscheck_evid(&ev, dq);
    buf_puts(&mxev, buf_str(&ev));
    if (ldns_rr_list_rr_count(mx) == 0) {
        if (implicit_mx(run, s, &ev, &all, &nall) < 0)
            goto out;
    } else {
        if (mx_hosts(run, s, mx, &mxev, &hosts) < 0)
            goto out;
        for (size_t k = 0; k < hosts.n; k++) {
            if (looks_like_ipv4(hosts.v[k])) {
                dnscheck_add(run, "PD005", -1, s->file, s->line, &mxev,
                             "MX target %s of %s is an IP address; MX records "
                             "must name a host",
                             hosts.v[k], s->name);
                continue;
            }
            check_host(run, s, hosts.v[k], 0, &mxev, &ev, &all, &nall);
        }
    }
    mx_ours(run, s, all, nall, &ev);
out:
    if (mx)
        ldns_rr_list_free(mx);
    mem_free(all);
    strv_fini(&hosts);
    buf_fini(&ev);
    buf_fini(&mxev);
}
