/*
 * dnscheck_send - the sending side: HELO name, PTR and forward-confirmed
 *	reverse DNS of the outbound addresses (PD011 to PD015).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnscheck/dnscheck_int.h"
#include "report/report.h"

/*
 * Sending side.
 */
void
dnscheck_check_send(struct dnscheck_run *run, const struct dnscheck_subj *hs)
{
    struct dnscheck_ip *ha = NULL, *outs;
    size_t nha = 0, nouts;
    const struct dns_q *fail = NULL;
    struct buf ev;
    int rc;

    buf_init(&ev, 0);
    rc = dnscheck_addrs_of(run, run->helo, &ha, &nha, &ev, &fail);
    if (rc == 1)
        goto out;
    if (rc < 0 && nha == 0) {
        dnscheck_query_failed(run, hs, fail);
        goto out;
    }
    if (nha == 0) {
        dnscheck_add(run, "PD011", -1, hs->file, hs->line, &ev,
                     "HELO name %s (%s) does not resolve to an address",
                     run->helo, run->helo_param);
        goto out;
    }
    outs = run->nout ? run->out : ha;
    nouts = run->nout ? run->nout : nha;
    for (size_t i = 0; i < nouts; i++) {
        const struct dnscheck_ip *o = &outs[i];
        char ip[INET6_ADDRSTRLEN];
        struct buf rev, pev;
        const struct dns_q *pq;
        ldns_rr_list *ptr;
        int confirmed = 0, helo_match = 0;

        dnscheck_ip_format(o, ip, sizeof(ip));
        if (run->nout && !dnscheck_has_ip(ha, nha, o))
            dnscheck_add(
                run, "PD012", -1, hs->file, hs->line, &ev,
                "HELO name %s (%s) does not resolve to the outbound address "
                "%s",
                run->helo, run->helo_param, ip);
        if (!dnscheck_ip_is_public(o))
            continue;
        buf_init(&rev, 0);
        buf_init(&pev, 0);
        dnscheck_ip_reverse_name(o, &rev);
        pq = dnscheck_q(run, buf_str(&rev), LDNS_RR_TYPE_PTR);
        if (pq->st == DNS_Q_PENDING)
            goto next;
        if (pq->st == DNS_Q_FAIL) {
            dnscheck_query_failed(run, hs, pq);
            goto next;
        }
        dnscheck_evid(&pev, pq);
        ptr = dns_q_rrs(pq, LDNS_RR_TYPE_PTR);
        if (ldns_rr_list_rr_count(ptr) == 0) {
            dnscheck_add(run, "PD013", -1, hs->file, hs->line, &pev,
                         "Outbound address %s has no PTR record", ip);
            ldns_rr_list_free(ptr);
            goto next;
        }
        for (size_t k = 0; k < ldns_rr_list_rr_count(ptr) && k < 10; k++) {
            char *nm = dns_rdf_name(ldns_rr_rdf(ldns_rr_list_rr(ptr, k), 0));
            struct dnscheck_ip *pa = NULL;
            size_t npa = 0;
            const struct dns_q *pf = NULL;

            if (strcmp(nm, run->helo) == 0)
                helo_match = 1;
            if (dnscheck_addrs_of(run, nm, &pa, &npa, &pev, &pf) == 0 &&
                dnscheck_has_ip(pa, npa, o))
                confirmed = 1;
            mem_free(pa);
            mem_free(nm);
        }
        ldns_rr_list_free(ptr);
        if (!confirmed)
            dnscheck_add(run, "PD014", -1, hs->file, hs->line, &pev,
                         "The PTR name of %s does not resolve back to %s "
                         "(forward-confirmed reverse DNS fails)",
                         ip, ip);
        else if (!helo_match)
            dnscheck_add(run, "PD015", -1, hs->file, hs->line, &pev,
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
