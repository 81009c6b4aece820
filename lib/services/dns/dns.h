/*
 * dns - the daemons' DNS resolver (ldns).
 *
 * DESCRIPTION
 *	What the mail system itself asks DNS: the SMTP client's MX and
 *	address lookups (dns_route), the SMTP server's lookups for its
 *	restrictions (dns_lookup), and the copy of /etc/resolv.conf a
 *	daemon keeps before its chroot (dns_pre_jail).
 *
 *	Below those, the query layer they are built on: a set of servers
 *	(dns_res) and one query at a time (dns_q), with the reply checked
 *	against the query and stripped of malformed records. The checker
 *	behind "postern dns" (lib/tools/dnscheck) puts its cache and
 *	thread pool on top of this layer; the daemons never see more than
 *	the functions of the first part.
 *
 *	This module and lib/tools/dnscheck are the only ones that include
 *	ldns; the ldns types below are only declared.
 */
#ifndef DNS_DNS_H
#define DNS_DNS_H

#include <stddef.h>

#include "util/util.h"

/*
 * Mail routing for the SMTP client (dns_route.c).
 */
#define DNS_ROUTE_IPV4 0x1u
#define DNS_ROUTE_IPV6 0x2u

struct dns_route_opts {
    const char *const *servers; /* "IP", "IP:PORT", "[IPv6]:PORT"; none:
                                 * resolv.conf */
    size_t nservers;
    double timeout;    /* seconds per try (<= 0: 5) */
    unsigned families; /* DNS_ROUTE_IPV4 | DNS_ROUTE_IPV6 (0: IPv4) */
};

struct dns_target {
    char *host;    /* MX host or the domain (lower case, no final dot) */
    int pref;      /* MX preference, -1 without MX */
    char addr[46]; /* IP address text */
    int v6;
};

struct dns_targets {
    struct dns_target *t;
    size_t n;
    /* with DNS_ROUTE_NOTFOUND: the domain has MX hosts, but none has an
     * address (smtp_defer_if_no_mx_address_found defers that case) */
    int mx_no_addr;
};

enum dns_route_status {
    DNS_ROUTE_OK,       /* out has at least one address */
    DNS_ROUTE_NOTFOUND, /* no such host (the mail bounces) */
    DNS_ROUTE_NULLMX,   /* RFC 7505 null MX (the mail bounces) */
    DNS_ROUTE_TEMP,     /* try again later */
};

/*
 * dns_route - the addresses to try for domain, best first: with use_mx
 * its MX hosts by preference (equal preferences in random order), each
 * with its addresses; without MX records (or use_mx 0) the domain's own
 * addresses. out is filled (the caller dns_targets_fini()s it, also on
 * failure); err gets Postfix's wording of a failure.
 */
enum dns_route_status dns_route(const struct dns_route_opts *o,
                                const char *domain, int use_mx,
                                struct dns_targets *out, struct buf *err);
void dns_targets_fini(struct dns_targets *t);

/*
 * One lookup for the SMTP server's restrictions (dns_lookup.c).
 */
enum dns_rtype { DNS_A, DNS_AAAA, DNS_MX, DNS_NS, DNS_PTR, DNS_TXT };

enum dns_status {
    DNS_OK,       /* out has at least one record */
    DNS_NODATA,   /* the name exists, without records of the type */
    DNS_NXDOMAIN, /* the name does not exist */
    DNS_TEMP,     /* timeout, SERVFAIL, no resolver: try again later */
};

/* records kept per lookup at most */
#define DNS_LOOKUP_MAX 64

/*
 * dns_lookup - the records of type for name through the resolvers of o
 * (its families are ignored): addresses as text for A and AAAA, host
 * names (lower case, no final dot; "" for the root, a null MX) for MX,
 * NS and PTR, the first character-string of each TXT record (what
 * Postfix shows of a block list reason), MX by preference with prefs[i]
 * set when prefs is not NULL (DNS_LOOKUP_MAX entries). Appends to out.
 */
enum dns_status dns_lookup(const struct dns_route_opts *o, const char *name,
                           enum dns_rtype type, struct strv *out, int *prefs);

/*
 * dns_pre_jail - read /etc/resolv.conf now, before the daemon chroots
 * (lib/services/server calls it): from then on the resolvers without
 * servers come from this copy, as a Postfix daemon's res_init() before
 * its jail. 0, or -1 when the file cannot be read (lookups then fail as
 * they would have outside the jail).
 */
int dns_pre_jail(void);

/*
 * The query layer (dns_res.c), for dns_route, dns_lookup and the
 * checker's cache. Types are ldns_rr_type values.
 */
struct ldns_struct_pkt;
struct ldns_struct_rr_list;
struct ldns_struct_rdf;

enum dns_q_status {
    DNS_Q_PENDING, /* not resolved (yet) */
    DNS_Q_OK,      /* NOERROR (the answer may be empty: NODATA) */
    DNS_Q_NXDOMAIN,
    DNS_Q_FAIL, /* timeout, network error, SERVFAIL, REFUSED, ... */
};

struct dns_q {
    char *name; /* lower case, absolute ("example.com.") */
    int type;   /* ldns_rr_type */
    enum dns_q_status st;
    struct ldns_struct_pkt *pkt; /* the reply for OK and NXDOMAIN */
    char *error;                 /* FAIL: "timeout", "SERVFAIL", ... */
};

struct dns_res;
struct dns_handles;

/*
 * dns_res_new - the servers to ask ("IP[:PORT]"; none: resolv.conf, or
 * the copy of dns_pre_jail), each tried retries + 1 times with timeout
 * seconds; dnssec asks for DNSSEC records with checking disabled (CD).
 * NULL with a message in err.
 */
struct dns_res *dns_res_new(const char *const *servers, size_t nservers,
                            double timeout, int retries, int dnssec,
                            struct buf *err);
void dns_res_free(struct dns_res *d);
/*
 * dns_res_handles - private copies of the resolver's ldns handles for
 * one thread (an ldns_resolver is not shared between threads); what the
 * servers did (a dead server is not asked again) stays shared.
 */
struct dns_handles *dns_res_handles(const struct dns_res *d);
void dns_handles_free(struct dns_handles *h);
/*
 * dns_res_ask - resolve q (from dns_q_new): ask the servers in order
 * until one gives NOERROR or NXDOMAIN. h: this thread's handles, or
 * NULL for the resolver's own (single-threaded use).
 */
void dns_res_ask(struct dns_res *d, struct dns_handles *h, struct dns_q *q);
/* dns_query - dns_q_new and dns_res_ask in one; caller dns_q_free()s */
struct dns_q *dns_query(struct dns_res *d, const char *name, int type);

/* dns_q_new - a PENDING query for name (canonicalised) and type */
struct dns_q *dns_q_new(const char *name, int type);
void dns_q_free(struct dns_q *q);
/* dns_q_rrs - new shallow list of the answer RRs of type (any owner),
 * excluding RRSIGs unless type is RRSIG; caller ldns_rr_list_free()s */
struct ldns_struct_rr_list *dns_q_rrs(const struct dns_q *q, int type);
/* dns_q_is_empty - 1 for NXDOMAIN or a NOERROR reply without type RRs */
int dns_q_is_empty(const struct dns_q *q, int type);
/* dns_rdf_name - a dname rdf as lower case text without the final dot */
char *dns_rdf_name(const struct ldns_struct_rdf *rdf);

#endif
