/*
 * dnsc_int - private declarations of lib/services/dnsc (nothing outside includes it).
 */
#ifndef DNSC_DNSC_INT_H
#define DNSC_DNSC_INT_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>

#include <ldns/ldns.h>

#include "dnsc/dnsc.h"
#include "util/util.h"

/*
 * dnsc_res - the query cache and the concurrent resolver.
 *
 * Lookups go through dres_get(). In discovery mode a miss is recorded
 * and answered with a PENDING result; dres_fetch() then resolves every
 * recorded miss at once on a small thread pool. The checks run in
 * discovery mode until nothing is missing, then once more for real, so
 * a check written as plain sequential lookups still runs its queries
 * concurrently, one dependency level at a time.
 */
enum dq_status {
    DQ_PENDING, /* not resolved yet (discovery mode only) */
    DQ_OK,      /* NOERROR (the answer may be empty: NODATA) */
    DQ_NXDOMAIN,
    DQ_FAIL, /* timeout, network error, SERVFAIL, REFUSED, ... */
};

struct dq {
    char *name; /* lower case, absolute ("example.com.") */
    int type;   /* ldns_rr_type */
    enum dq_status st;
    ldns_pkt *pkt; /* the reply for OK and NXDOMAIN */
    char *error;   /* FAIL: "timeout", "SERVFAIL", ... */
};

struct dres;

/* dres_new - resolvers from servers ("IP[:PORT]"; none: resolv.conf);
 * NULL with a message in err */
struct dres *dres_new(const char *const *servers, size_t nservers,
                      double timeout, int retries, int dnssec, int threads,
                      struct buf *err);
void dres_free(struct dres *d);
/* dres_get - the cached result for (name, type); see above. Borrowed,
 * valid until dres_free. Never NULL. */
const struct dq *dres_get(struct dres *d, const char *name, int type);
void dres_set_discovery(struct dres *d, int on);
/* dres_fetch - resolve every recorded miss concurrently; the count */
size_t dres_fetch(struct dres *d);

/* dq_rrs - new shallow list of the answer RRs of type (any owner),
 * excluding RRSIGs unless type is RRSIG; caller ldns_rr_list_free()s */
ldns_rr_list *dq_rrs(const struct dq *q, int type);
/* dq_is_empty - 1 for NXDOMAIN or a NOERROR reply without type RRs */
int dq_is_empty(const struct dq *q, int type);
/* dq_describe - "NXDOMAIN", "no MX records", "timeout", ... */
void dq_describe(struct buf *b, const struct dq *q);
/* rr_format - "owner TYPE rdata" (no TTL or class) */
void rr_format(struct buf *b, const ldns_rr *rr);
/* rr_txt - the character-strings of a TXT RR joined; caller frees */
char *rr_txt(const ldns_rr *rr);
/* rdf_name - a dname rdf as lower case text without the final dot */
char *rdf_name(const ldns_rdf *rdf);

/*
 * dnsc_addr - IP addresses.
 */
struct dnsc_ip {
    int v6;
    unsigned char a[16];
};

/* ip_parse - IPv4 or IPv6 text (IPv6 may be in []); 0 or -1 */
int ip_parse(const char *s, struct dnsc_ip *ip);
void ip_format(const struct dnsc_ip *ip, char *out, size_t len);
int ip_equal(const struct dnsc_ip *a, const struct dnsc_ip *b);
/* ip_is_public - 0 for private, loopback, link-local, multicast and
 * other special-purpose space; documentation prefixes count as public */
int ip_is_public(const struct dnsc_ip *ip);
/* ip_in_net - 1 when ip is in net/prefix of the same family */
int ip_in_net(const struct dnsc_ip *ip, const unsigned char *net, int v6,
              int prefix);
/* ip_from_rr - A or AAAA RR to address; 0 or -1 */
int ip_from_rr(const ldns_rr *rr, struct dnsc_ip *ip);
/* ip_reverse_name - "4.3.2.1.in-addr.arpa" or the ip6.arpa name */
void ip_reverse_name(const struct dnsc_ip *ip, struct buf *b);

/*
 * dnsc_spf - SPF evaluation on top of the parser in dnsc_policy.c.
 */
struct spf_result {
    const char *result;       /* "pass", "fail", "softfail", "neutral",
                               * "none", "permerror", "temperror" */
    char *matched;            /* the term that matched, or NULL */
    int lookups;              /* DNS-querying terms in the whole tree */
    int voids;                /* void lookups in the whole tree */
    struct strv problems;     /* permerror/temperror reasons */
    struct strv lookup_terms; /* "domain: term" for each counted term */
    struct strv void_terms;   /* "domain: term" for each void lookup */
    int missing_include;      /* an include/redirect target has no SPF */
    int pending;              /* discovery: a lookup is still pending */
};

/* spf_check - evaluate domain's SPF for ip (may be NULL: count only) */
void spf_check(struct dres *d, const char *domain, const struct dnsc_ip *ip,
               const char *helo, struct spf_result *res);
void spf_result_fini(struct spf_result *res);

/*
 * dnsc_dane - TLSA against local certificates (OpenSSL).
 */
struct dane_certs;

/* dane_certs_load - the certificate chains of files (each file: EE
 * certificate first, then its chain); NULL with a message in err */
struct dane_certs *dane_certs_load(const char *const *files, size_t n,
                                   struct buf *err);
void dane_certs_free(struct dane_certs *c);
size_t dane_certs_count(const struct dane_certs *c);
const char *dane_certs_file(const struct dane_certs *c, size_t i);
/* dane_match - 1 when TLSA (usage 2 or 3) matches chain i, 0 if not,
 * -1 for an unsupported selector or matching type */
int dane_match(const struct dane_certs *c, size_t i, int usage, int selector,
               int mtype, const unsigned char *data, size_t len);
/* dane_expect - append "usage selector mtype hex" lines for chain i */
void dane_expect(const struct dane_certs *c, size_t i, struct buf *b);

/*
 * dnsc_sec - DNSSEC validation from trust anchors.
 */
struct dsec;

enum dsec_state {
    DSEC_INDETERMINATE, /* no trust anchor above the zone */
    DSEC_SECURE,
    DSEC_INSECURE, /* provably unsigned */
    DSEC_BOGUS,
    DSEC_ERROR, /* a query failed */
};

/* dsec_new - anchors from file (DS and DNSKEY records); NULL + err */
struct dsec *dsec_new(struct dres *d, const char *file, struct buf *err);
void dsec_free(struct dsec *s);
/* dsec_reset - forget zone states (start of a pass) */
void dsec_reset(struct dsec *s);
/*
 * dsec_check_answer - validate the answer RRsets of q. Sets *zone to
 * the zone (borrowed, valid until dsec_reset) and returns its state;
 * BOGUS when the zone is secure but an RRset fails, with the reason in
 * why. Returns INDETERMINATE for negative or pending answers.
 */
enum dsec_state dsec_check_answer(struct dsec *s, const struct dq *q,
                                  const char **zone, struct buf *why);
/* dsec_zone_state - state of zone (absolute or not); reason in why */
enum dsec_state dsec_zone_state(struct dsec *s, const char *zone,
                                struct buf *why);

#endif
