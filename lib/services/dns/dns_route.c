/*
 * dns_route - where to send mail for a domain (the SMTP client's
 *	MX and address lookups).
 *
 * DESCRIPTION
 *	See dns_route() in dns.h. The order is Postfix's: MX hosts by
 *	preference, hosts of equal preference shuffled, each host's IPv4
 *	then IPv6 addresses; without MX records the domain's own
 *	addresses (RFC 5321 section 5.1); a single "MX 0 ." is a null MX
 *	(RFC 7505) and ends the lookup. Messages follow Postfix's
 *	dns_strerror() wording so that log readers see familiar text.
 */
#define _DEFAULT_SOURCE 1 /* random */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "dns/dns.h"

struct mxh {
    char *name;
    int pref;
    unsigned rnd;
};

static int
mx_cmp(const void *a, const void *b)
{
    const struct mxh *x = a, *y = b;

    if (x->pref != y->pref)
        return x->pref < y->pref ? -1 : 1;
    return x->rnd < y->rnd ? -1 : x->rnd > y->rnd;
}

static void
add_target(struct dns_targets *out, const char *host, int pref,
           const char *addr, int v6)
{
    struct dns_target *t;

    out->t = mem_realloc(out->t, (out->n + 1) * sizeof(*out->t));
    t = &out->t[out->n++];
    memset(t, 0, sizeof(*t));
    t->host = mem_strdup(host);
    t->pref = pref;
    snprintf(t->addr, sizeof(t->addr), "%s", addr);
    t->v6 = v6;
}

/* host_addrs - A/AAAA of host into out; DNS_ROUTE_OK when some were
 * found, else NOTFOUND or TEMP (message in err) */
static enum dns_route_status
host_addrs(struct dns_res *d, const char *host, int pref, unsigned families,
           struct dns_targets *out, struct buf *err)
{
    static const int types[2] = {LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA};
    size_t before = out->n;
    int temp = 0;
    const char *failed_type = "A";

    for (int k = 0; k < 2; k++) {
        struct dns_q *q;
        ldns_rr_list *l;

        if (!(families & (k == 0 ? DNS_ROUTE_IPV4 : DNS_ROUTE_IPV6)))
            continue;
        q = dns_query(d, host, types[k]);
        if (q->st == DNS_Q_FAIL) {
            temp = 1;
            failed_type = k == 0 ? "A" : "AAAA";
            dns_q_free(q);
            continue;
        }
        if (q->st != DNS_Q_OK) {
            dns_q_free(q);
            continue;
        }
        l = dns_q_rrs(q, types[k]);
        for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
            const ldns_rdf *rd = ldns_rr_rdf(ldns_rr_list_rr(l, i), 0);
            char text[INET6_ADDRSTRLEN];

            if (rd == NULL || ldns_rdf_size(rd) != (size_t) (k == 0 ? 4 : 16) ||
                inet_ntop(k == 0 ? AF_INET : AF_INET6, ldns_rdf_data(rd), text,
                          sizeof(text)) == NULL)
                continue;
            add_target(out, host, pref, text, k == 1);
        }
        ldns_rr_list_free(l);
        dns_q_free(q);
    }
    if (out->n > before)
        return DNS_ROUTE_OK;
    buf_truncate(err, 0);
    if (temp) {
        (void) buf_printf(err,
                          "Host or domain name not found. Name service error "
                          "for name=%s type=%s: Host not found, try again",
                          host, failed_type);
        return DNS_ROUTE_TEMP;
    }
    (void) buf_printf(err,
                      "Host or domain name not found. Name service error "
                      "for name=%s type=%s: Host not found",
                      host, families & DNS_ROUTE_IPV4 ? "A" : "AAAA");
    return DNS_ROUTE_NOTFOUND;
}

enum dns_route_status
dns_route(const struct dns_route_opts *o, const char *domain, int use_mx,
          struct dns_targets *out, struct buf *err)
{
    struct buf e2;
    struct dns_res *d;
    enum dns_route_status st = DNS_ROUTE_NOTFOUND;
    unsigned families = o->families ? o->families : DNS_ROUTE_IPV4;

    memset(out, 0, sizeof(*out));
    buf_init(&e2, 0);
    d = dns_res_new(o->servers, o->nservers, o->timeout > 0 ? o->timeout : 5, 1,
                    0, &e2);
    if (d == NULL) {
        buf_truncate(err, 0);
        (void) buf_printf(err, "DNS resolver setup failed: %s", buf_str(&e2));
        buf_fini(&e2);
        return DNS_ROUTE_TEMP;
    }
    if (use_mx) {
        struct dns_q *q = dns_query(d, domain, LDNS_RR_TYPE_MX);

        if (q->st == DNS_Q_FAIL) {
            dns_q_free(q);
            buf_truncate(err, 0);
            (void) buf_printf(err,
                              "Host or domain name not found. Name service "
                              "error for name=%s type=MX: Host not found, "
                              "try again",
                              domain);
            st = DNS_ROUTE_TEMP;
            goto out;
        }
        if (q->st == DNS_Q_OK) {
            ldns_rr_list *l = dns_q_rrs(q, LDNS_RR_TYPE_MX);
            size_t n = ldns_rr_list_rr_count(l);
            struct mxh *mx = mem_calloc(n ? n : 1, sizeof(*mx));
            size_t nmx = 0;
            int temp = 0, any = 0;

            for (size_t i = 0; i < n; i++) {
                ldns_rr *rr = ldns_rr_list_rr(l, i);
                const ldns_rdf *p = ldns_rr_rdf(rr, 0);
                const ldns_rdf *x = ldns_rr_rdf(rr, 1);

                if (p == NULL || x == NULL)
                    continue;
                mx[nmx].pref = ldns_rdf2native_int16(p);
                mx[nmx].name = dns_rdf_name(x);
                mx[nmx].rnd = (unsigned) random();
                nmx++;
            }
            ldns_rr_list_free(l);
            if (nmx == 1 &&
                (strcmp(mx[0].name, ".") == 0 || mx[0].name[0] == 0)) {
                buf_truncate(err, 0);
                (void) buf_printf(
                    err, "Domain %s does not accept mail (nullMX)", domain);
                st = DNS_ROUTE_NULLMX;
            } else if (nmx > 0) {
                qsort(mx, nmx, sizeof(*mx), mx_cmp);
                for (size_t i = 0; i < nmx; i++) {
                    enum dns_route_status s;

                    if (strcmp(mx[i].name, ".") == 0 || mx[i].name[0] == 0)
                        continue;
                    s = host_addrs(d, mx[i].name, mx[i].pref, families, out,
                                   &e2);
                    if (s == DNS_ROUTE_OK)
                        any = 1;
                    else if (s == DNS_ROUTE_TEMP)
                        temp = 1;
                }
                if (any) {
                    st = DNS_ROUTE_OK;
                } else {
                    buf_truncate(err, 0);
                    (void) buf_puts(err, buf_str(&e2));
                    st = temp ? DNS_ROUTE_TEMP : DNS_ROUTE_NOTFOUND;
                    out->mx_no_addr = st == DNS_ROUTE_NOTFOUND;
                }
            }
            for (size_t i = 0; i < nmx; i++)
                mem_free(mx[i].name);
            mem_free(mx);
            if (nmx > 0) {
                dns_q_free(q);
                goto out;
            }
        }
        dns_q_free(q);
        /* NXDOMAIN or no MX records: the domain's own addresses */
    }
    st = host_addrs(d, domain, -1, families, out, err);
out:
    dns_res_free(d);
    buf_fini(&e2);
    return st;
}

void
dns_targets_fini(struct dns_targets *t)
{
    for (size_t i = 0; i < t->n; i++)
        mem_free(t->t[i].host);
    mem_free(t->t);
    memset(t, 0, sizeof(*t));
}
