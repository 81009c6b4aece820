/*
 * dns_res - the query layer: servers, one query, reply checks (ldns).
 *
 * DESCRIPTION
 *	Each server given becomes one ldns_resolver (so each may have its
 *	own port); without servers, /etc/resolv.conf is read by ldns (in a
 *	chrooted daemon, the copy dns_pre_jail read before the jail). A
 *	query tries the servers in order, each with the configured number
 *	of tries and timeout, and moves on after a network error or an
 *	rcode other than NOERROR and NXDOMAIN.
 *
 *	A server that has timed out and never answered is not asked again
 *	by the same dns_res: with a dead resolver a run costs one timeout
 *	rather than one per query. That state is shared by the threads
 *	that ask through their own dns_handles.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "dns/dns.h"

struct dns_res {
    ldns_resolver **res;
    char **label; /* "127.0.0.1:5353", for diagnostics */
    size_t nres;
    int *dead; /* timed out, never answered */
    int *answered;
    pthread_mutex_t lock;
    int dnssec;
};

struct dns_handles {
    ldns_resolver **rs;
    size_t n;
};

/* parse_server - "IP", "IP:PORT", "[IP]:PORT"; 0 or -1 */
static int
parse_server(const char *s, char *host, size_t hlen, unsigned *port)
{
    const char *colon;
    size_t n;
    char *end;
    long v;

    *port = 53;
    if (s[0] == '[') {
        const char *rb = strchr(s, ']');

        if (rb == NULL || (size_t) (rb - s - 1) >= hlen)
            return -1;
        n = (size_t) (rb - s - 1);
        memcpy(host, s + 1, n);
        host[n] = 0;
        if (rb[1] == 0)
            return 0;
        if (rb[1] != ':')
            return -1;
        colon = rb + 1;
    } else {
        colon = strrchr(s, ':');
        /* More than one colon: a bare IPv6 address without port. */
        if (colon && strchr(s, ':') != colon)
            colon = NULL;
        n = colon ? (size_t) (colon - s) : strlen(s);
        if (n >= hlen)
            return -1;
        memcpy(host, s, n);
        host[n] = 0;
        if (colon == NULL)
            return 0;
    }
    v = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || *end || v < 1 || v > 65535)
        return -1;
    *port = (unsigned) v;
    return 0;
}

static void
setup(ldns_resolver *r, double timeout, int retries, int dnssec)
{
    struct timeval tv;

    tv.tv_sec = (time_t) timeout;
    tv.tv_usec = (suseconds_t) ((timeout - (double) tv.tv_sec) * 1e6);
    ldns_resolver_set_timeout(r, tv);
    ldns_resolver_set_retry(r, (uint8_t) (retries + 1));
    ldns_resolver_set_retrans(r, 0);
    ldns_resolver_set_random(r, false);
    ldns_resolver_set_recursive(r, true);
    ldns_resolver_set_fallback(r, true);
    ldns_resolver_set_usevc(r, false);
    ldns_resolver_set_edns_udp_size(r, 1232);
    if (dnssec) {
        ldns_resolver_set_dnssec(r, true);
        ldns_resolver_set_dnssec_cd(r, true);
    }
}

static void
add_resolver(struct dns_res *d, ldns_resolver *r, const char *label)
{
    d->res = mem_realloc(d->res, (d->nres + 1) * sizeof(*d->res));
    d->label = mem_realloc(d->label, (d->nres + 1) * sizeof(*d->label));
    d->res[d->nres] = r;
    d->label[d->nres++] = mem_strdup(label);
}

/* /etc/resolv.conf as dns_pre_jail read it, or NULL */
static char *resolv_conf_copy;

int
dns_pre_jail(void)
{
    char *text;
    size_t len;

    if (util_read_file(LDNS_RESOLV_CONF, 1 << 20, &text, &len) < 0)
        return -1;
    mem_free(resolv_conf_copy);
    resolv_conf_copy = text;
    return 0;
}

struct dns_res *
dns_res_new(const char *const *servers, size_t nservers, double timeout,
            int retries, int dnssec, struct buf *err)
{
    struct dns_res *d = mem_calloc(1, sizeof(*d));

    pthread_mutex_init(&d->lock, NULL);
    d->dnssec = dnssec;
    for (size_t i = 0; i < nservers; i++) {
        char host[INET6_ADDRSTRLEN + 1];
        unsigned port;
        ldns_rdf *ns;
        ldns_resolver *r;

        if (parse_server(servers[i], host, sizeof(host), &port) < 0 ||
            ((ns = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_A, host)) == NULL &&
             (ns = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_AAAA, host)) == NULL)) {
            buf_printf(err,
                       "bad resolver address \"%s\" (want IP, IP:PORT "
                       "or [IPv6]:PORT)",
                       servers[i]);
            dns_res_free(d);
            return NULL;
        }
        r = ldns_resolver_new();
        (void) ldns_resolver_push_nameserver(r, ns);
        ldns_rdf_deep_free(ns);
        ldns_resolver_set_port(r, (uint16_t) port);
        setup(r, timeout, retries, dnssec);
        add_resolver(d, r, servers[i]);
    }
    if (nservers == 0) {
        ldns_resolver *r = NULL;
        ldns_status st;

        if (resolv_conf_copy) {
            /* chrooted: the copy read before the jail */
            FILE *fp =
                fmemopen(resolv_conf_copy, strlen(resolv_conf_copy), "r");

            st = fp ? ldns_resolver_new_frm_fp(&r, fp) : LDNS_STATUS_MEM_ERR;
            if (fp)
                (void) fclose(fp);
        } else {
            st = ldns_resolver_new_frm_file(&r, NULL);
        }

        if (st != LDNS_STATUS_OK || ldns_resolver_nameserver_count(r) == 0) {
            buf_printf(err, "cannot use %s: %s", LDNS_RESOLV_CONF,
                       st != LDNS_STATUS_OK ? ldns_get_errorstr_by_id(st)
                                            : "no nameserver");
            if (r)
                ldns_resolver_deep_free(r);
            dns_res_free(d);
            return NULL;
        }
        setup(r, timeout, retries, dnssec);
        add_resolver(d, r, LDNS_RESOLV_CONF);
    }
    d->dead = mem_calloc(d->nres, sizeof(int));
    d->answered = mem_calloc(d->nres, sizeof(int));
    return d;
}

void
dns_res_free(struct dns_res *d)
{
    if (d == NULL)
        return;
    for (size_t i = 0; i < d->nres; i++) {
        ldns_resolver_deep_free(d->res[i]);
        mem_free(d->label[i]);
    }
    mem_free(d->res);
    mem_free(d->label);
    mem_free(d->dead);
    mem_free(d->answered);
    pthread_mutex_destroy(&d->lock);
    mem_free(d);
}

/* canon - "Example.COM" -> "example.com." */
static char *
canon(const char *name)
{
    size_t n = strlen(name);
    char *s = mem_alloc(n + 2);

    for (size_t i = 0; i < n; i++)
        s[i] = (name[i] >= 'A' && name[i] <= 'Z') ? name[i] + 32 : name[i];
    if (n == 0 || s[n - 1] != '.')
        s[n++] = '.';
    s[n] = 0;
    return s;
}

struct dns_q *
dns_q_new(const char *name, int type)
{
    struct dns_q *q = mem_calloc(1, sizeof(*q));

    q->name = canon(name);
    q->type = type;
    q->st = DNS_Q_PENDING;
    return q;
}

void
dns_q_free(struct dns_q *q)
{
    if (q == NULL)
        return;
    if (q->pkt)
        ldns_pkt_free(q->pkt);
    mem_free(q->name);
    mem_free(q->error);
    mem_free(q);
}

/* complete - the RR has at least the fields its type needs */
static int
complete(const ldns_rr *rr)
{
    const ldns_rr_descriptor *d = ldns_rr_descript(ldns_rr_get_type(rr));

    if (d && ldns_rr_rd_count(rr) < ldns_rr_descriptor_minimum(d))
        return 0;
    for (size_t i = 0; i < ldns_rr_rd_count(rr); i++)
        if (ldns_rr_rdf(rr, i) == NULL)
            return 0;
    return ldns_rr_owner(rr) != NULL;
}

/*
 * sanitise - drop RRs with missing fields (short RDATA from a broken or
 * hostile server parses into fewer fields), so that no check has to
 * test every field for NULL.
 */
static void
sanitise(ldns_pkt *pkt)
{
    static void (*const set[])(ldns_pkt *, ldns_rr_list *) = {
        ldns_pkt_set_answer, ldns_pkt_set_authority, ldns_pkt_set_additional};
    ldns_rr_list *(*const get[])(const ldns_pkt *) = {
        ldns_pkt_answer, ldns_pkt_authority, ldns_pkt_additional};

    for (int s = 0; s < 3; s++) {
        ldns_rr_list *old = get[s](pkt), *keep;
        size_t n = ldns_rr_list_rr_count(old), bad = 0;

        for (size_t i = 0; i < n; i++)
            if (!complete(ldns_rr_list_rr(old, i)))
                bad++;
        if (bad == 0)
            continue;
        keep = ldns_rr_list_new();
        for (size_t i = 0; i < n; i++) {
            ldns_rr *rr = ldns_rr_list_rr(old, i);

            if (complete(rr))
                ldns_rr_list_push_rr(keep, rr);
            else
                ldns_rr_free(rr);
        }
        ldns_rr_list_free(old);
        set[s](pkt, keep);
    }
}

/*
 * ask - one query to one resolver. ldns does not check that a reply
 * belongs to the query, so the ID and the question are compared here
 * (LDNS_STATUS_ERR when they differ).
 */
static ldns_status
ask(ldns_resolver *r, const ldns_rdf *dn, int type, uint16_t flags,
    ldns_pkt **out)
{
    ldns_pkt *qp = NULL, *ans = NULL;
    ldns_status st;
    ldns_rr_list *qs;

    *out = NULL;
    st = ldns_resolver_prepare_query_pkt(&qp, r, dn, (ldns_rr_type) type,
                                         LDNS_RR_CLASS_IN, flags);
    if (st != LDNS_STATUS_OK)
        return st;
    st = ldns_resolver_send_pkt(&ans, r, qp);
    if (st == LDNS_STATUS_OK && ans) {
        qs = ldns_pkt_question(ans);
        if (ldns_pkt_id(ans) != ldns_pkt_id(qp) || !ldns_pkt_qr(ans) ||
            ldns_rr_list_rr_count(qs) != 1 ||
            (int) ldns_rr_get_type(ldns_rr_list_rr(qs, 0)) != type ||
            ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(qs, 0)), dn) !=
                0) {
            ldns_pkt_free(ans);
            ans = NULL;
            st = LDNS_STATUS_ERR;
        }
    } else if (ans) {
        ldns_pkt_free(ans);
        ans = NULL;
    }
    ldns_pkt_free(qp);
    *out = ans;
    return st;
}

void
dns_res_ask(struct dns_res *d, struct dns_handles *h, struct dns_q *q)
{
    ldns_rdf *dn = ldns_dname_new_frm_str(q->name);
    uint16_t flags = LDNS_RD | (d->dnssec ? LDNS_CD : LDNS_AD);
    ldns_resolver **rs = h ? h->rs : d->res;
    int tried = 0;

    q->st = DNS_Q_FAIL;
    if (dn == NULL) {
        q->error = mem_strdup("invalid name");
        return;
    }
    for (size_t i = 0; i < d->nres; i++) {
        ldns_pkt *pkt = NULL;
        ldns_status st;
        int dead, rcode;

        pthread_mutex_lock(&d->lock);
        dead = d->dead[i];
        pthread_mutex_unlock(&d->lock);
        if (dead)
            continue;
        tried = 1;
        st = ask(rs[i], dn, q->type, flags, &pkt);
        if (st == LDNS_STATUS_NETWORK_ERR ||
            (st == LDNS_STATUS_OK && pkt == NULL)) {
            pthread_mutex_lock(&d->lock);
            if (!d->answered[i])
                d->dead[i] = 1;
            pthread_mutex_unlock(&d->lock);
            mem_free(q->error);
            q->error = mem_strdup("timeout (no answer)");
            continue;
        }
        pthread_mutex_lock(&d->lock);
        d->answered[i] = 1;
        pthread_mutex_unlock(&d->lock);
        if (st != LDNS_STATUS_OK) {
            mem_free(q->error);
            q->error = mem_strdup(st == LDNS_STATUS_ERR
                                      ? "the reply does not match the query "
                                        "(ID or question)"
                                      : ldns_get_errorstr_by_id(st));
            continue;
        }
        sanitise(pkt);
        rcode = ldns_pkt_get_rcode(pkt);
        if (rcode == LDNS_RCODE_NOERROR || rcode == LDNS_RCODE_NXDOMAIN) {
            q->st = rcode == LDNS_RCODE_NOERROR ? DNS_Q_OK : DNS_Q_NXDOMAIN;
            if (q->pkt)
                ldns_pkt_free(q->pkt);
            q->pkt = pkt;
            mem_free(q->error);
            q->error = NULL;
            break;
        }
        {
            ldns_lookup_table *lt = ldns_lookup_by_id(ldns_rcodes, rcode);
            struct buf b;

            buf_init(&b, 0);
            if (lt)
                buf_puts(&b, lt->name);
            else
                buf_printf(&b, "rcode %d", rcode);
            mem_free(q->error);
            q->error = buf_steal(&b);
        }
        ldns_pkt_free(pkt);
    }
    if (!tried && q->error == NULL)
        q->error = mem_strdup("timeout (no answer; resolver not answering)");
    ldns_rdf_deep_free(dn);
}

struct dns_handles *
dns_res_handles(const struct dns_res *d)
{
    struct dns_handles *h = mem_calloc(1, sizeof(*h));

    h->n = d->nres;
    h->rs = mem_calloc(d->nres ? d->nres : 1, sizeof(*h->rs));
    for (size_t i = 0; i < d->nres; i++)
        h->rs[i] = ldns_resolver_clone(d->res[i]);
    return h;
}

void
dns_handles_free(struct dns_handles *h)
{
    if (h == NULL)
        return;
    for (size_t i = 0; i < h->n; i++)
        ldns_resolver_deep_free(h->rs[i]);
    mem_free(h->rs);
    mem_free(h);
}

struct dns_q *
dns_query(struct dns_res *d, const char *name, int type)
{
    struct dns_q *q = dns_q_new(name, type);

    dns_res_ask(d, NULL, q);
    return q;
}

struct ldns_struct_rr_list *
dns_q_rrs(const struct dns_q *q, int type)
{
    ldns_rr_list *out = ldns_rr_list_new();
    ldns_rr_list *ans;

    if (q->pkt == NULL || q->st != DNS_Q_OK)
        return out;
    ans = ldns_pkt_answer(q->pkt);
    for (size_t i = 0; i < ldns_rr_list_rr_count(ans); i++) {
        ldns_rr *rr = ldns_rr_list_rr(ans, i);

        if ((int) ldns_rr_get_type(rr) == type)
            ldns_rr_list_push_rr(out, rr);
    }
    return out;
}

int
dns_q_is_empty(const struct dns_q *q, int type)
{
    ldns_rr_list *l;
    int empty;

    if (q->st == DNS_Q_NXDOMAIN)
        return 1;
    if (q->st != DNS_Q_OK)
        return 0;
    l = dns_q_rrs(q, type);
    empty = ldns_rr_list_rr_count(l) == 0;
    ldns_rr_list_free(l);
    return empty;
}

char *
dns_rdf_name(const struct ldns_struct_rdf *rdf)
{
    char *s = ldns_rdf2str(rdf), *out;
    size_t n;

    if (s == NULL)
        return mem_strdup("");
    n = strlen(s);
    if (n > 1 && s[n - 1] == '.')
        s[--n] = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] >= 'A' && s[i] <= 'Z')
            s[i] += 32;
    out = mem_strdup(s);
    free(s);
    return out;
}
