/*
 * dns_lookup - one record type of one name, for the SMTP server's
 *	restrictions (reject_unknown_*_domain, check_*_{mx,ns,a}_access,
 *	permit_mx_backup).
 *
 * DESCRIPTION
 *	See dns_lookup() in dns.h. The status tells apart what Postfix's
 *	dns_lookup() tells apart, because the restrictions act on it: a
 *	name that does not exist (NXDOMAIN) ends a search of several
 *	types, a name without records of the type (NODATA) does not, and
 *	a server failure is a temporary error (450, defer_if_permit).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "dns/dns.h"

/* rr_text - the data of one answer record as text, or NULL */
static char *
rr_text(const ldns_rr *rr, int type)
{
    const ldns_rdf *rd;
    char a[INET6_ADDRSTRLEN];

    switch (type) {
    case LDNS_RR_TYPE_A:
    case LDNS_RR_TYPE_AAAA:
        rd = ldns_rr_rdf(rr, 0);
        if (rd == NULL ||
            ldns_rdf_size(rd) != (type == LDNS_RR_TYPE_A ? 4u : 16u) ||
            inet_ntop(type == LDNS_RR_TYPE_A ? AF_INET : AF_INET6,
                      ldns_rdf_data(rd), a, sizeof(a)) == NULL)
            return NULL;
        return mem_strdup(a);
    case LDNS_RR_TYPE_MX:
        rd = ldns_rr_rdf(rr, 1);
        return rd ? dns_rdf_name(rd) : NULL;
    case LDNS_RR_TYPE_TXT:
        /* the first character-string only, as Postfix's DNS client
         * gives a block list's reason */
        rd = ldns_rr_rdf(rr, 0);
        if (rd == NULL || ldns_rdf_size(rd) == 0)
            return NULL;
        {
            const uint8_t *p = ldns_rdf_data(rd);
            size_t n = p[0] < ldns_rdf_size(rd) ? p[0] : ldns_rdf_size(rd) - 1;
            char *s = mem_alloc(n + 1);

            for (size_t k = 0; k < n; k++)
                s[k] = p[k + 1] ? (char) p[k + 1] : '?';
            s[n] = 0;
            return s;
        }
    default: /* NS, PTR, CNAME: one name */
        rd = ldns_rr_rdf(rr, 0);
        return rd ? dns_rdf_name(rd) : NULL;
    }
}

static int
ldns_type(enum dns_rtype t)
{
    switch (t) {
    case DNS_A:
        return LDNS_RR_TYPE_A;
    case DNS_AAAA:
        return LDNS_RR_TYPE_AAAA;
    case DNS_MX:
        return LDNS_RR_TYPE_MX;
    case DNS_NS:
        return LDNS_RR_TYPE_NS;
    case DNS_TXT:
        return LDNS_RR_TYPE_TXT;
    default:
        return LDNS_RR_TYPE_PTR;
    }
}

/* mx_pref - sort key of an MX record */
static int
mx_pref(const ldns_rr *rr)
{
    const ldns_rdf *p = ldns_rr_rdf(rr, 0);

    return p ? ldns_rdf2native_int16(p) : 65536;
}

enum dns_status
dns_lookup(const struct dns_route_opts *o, const char *name,
           enum dns_rtype type, struct strv *out, int *prefs)
{
    struct buf err;
    struct dns_res *d;
    struct dns_q *q;
    enum dns_status st;
    int t = ldns_type(type);

    buf_init(&err, 0);
    d = dns_res_new(o->servers, o->nservers, o->timeout > 0 ? o->timeout : 5, 1,
                    0, &err);
    buf_fini(&err);
    if (d == NULL)
        return DNS_TEMP;
    q = dns_query(d, name, t);
    /* a CNAME the server did not follow is followed here, as Postfix's
     * dns_lookup() does (at most 10 times) */
    for (int hops = 0; hops < 10 && q->st == DNS_Q_OK && dns_q_is_empty(q, t);
         hops++) {
        ldns_rr_list *cn = dns_q_rrs(q, LDNS_RR_TYPE_CNAME);
        char *target = NULL;

        if (ldns_rr_list_rr_count(cn) > 0 &&
            ldns_rr_rdf(ldns_rr_list_rr(cn, 0), 0))
            target = dns_rdf_name(ldns_rr_rdf(ldns_rr_list_rr(cn, 0), 0));
        ldns_rr_list_free(cn);
        if (target == NULL)
            break;
        dns_q_free(q);
        q = dns_query(d, target, t);
        mem_free(target);
    }
    if (q->st == DNS_Q_FAIL) {
        st = DNS_TEMP;
    } else if (q->st == DNS_Q_NXDOMAIN) {
        st = DNS_NXDOMAIN;
    } else if (q->st != DNS_Q_OK) {
        st = DNS_TEMP;
    } else {
        ldns_rr_list *l = dns_q_rrs(q, t);
        size_t n = ldns_rr_list_rr_count(l);

        /* MX by preference, as the restrictions walk them */
        for (size_t i = 1; type == DNS_MX && i < n; i++)
            for (size_t j = i; j > 0 && mx_pref(ldns_rr_list_rr(l, j)) <
                                            mx_pref(ldns_rr_list_rr(l, j - 1));
                 j--) {
                ldns_rr *x = ldns_rr_list_rr(l, j);

                ldns_rr_list_set_rr(l, ldns_rr_list_rr(l, j - 1), j);
                ldns_rr_list_set_rr(l, x, j - 1);
            }
        for (size_t i = 0; i < n; i++) {
            char *v = rr_text(ldns_rr_list_rr(l, i), t);

            if (v == NULL)
                continue;
            if (prefs && out->n < DNS_LOOKUP_MAX)
                prefs[out->n] = mx_pref(ldns_rr_list_rr(l, i));
            if (out->n < DNS_LOOKUP_MAX)
                strv_adopt(out, v);
            else
                mem_free(v);
        }
        ldns_rr_list_free(l);
        st = out->n > 0 ? DNS_OK : DNS_NODATA;
    }
    dns_q_free(q);
    dns_res_free(d);
    return st;
}
