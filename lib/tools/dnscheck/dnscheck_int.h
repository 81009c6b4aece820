/*
 * dnscheck_int - private declarations of lib/tools/dnscheck (nothing
 *	outside includes it).
 */
#ifndef DNSCHECK_DNSCHECK_INT_H
#define DNSCHECK_DNSCHECK_INT_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>

#include <ldns/ldns.h>

#include "dns/dns.h"
#include "dnscheck/dnscheck.h"
#include "report/report.h"
#include "util/util.h"

/*
 * dnscheck_res - the query cache and the concurrent fetcher.
 *
 * Lookups go through dnscheck_res_get(). In discovery mode a miss is
 * recorded and answered with a PENDING result; dnscheck_res_fetch()
 * then resolves every recorded miss at once on a small thread pool.
 * The checks run in discovery mode until nothing is missing, then once
 * more for real, so a check written as plain sequential lookups still
 * runs its queries concurrently, one dependency level at a time.
 */
struct dnscheck_res;

/* dnscheck_res_new - as dns_res_new, with up to threads concurrent
 * queries (0: 256); NULL with a message in err */
struct dnscheck_res *dnscheck_res_new(const char *const *servers,
                                      size_t nservers, double timeout,
                                      int retries, int dnssec, int threads,
                                      struct buf *err);
void dnscheck_res_free(struct dnscheck_res *d);
/* dnscheck_res_get - the cached result for (name, type); see above.
 * Borrowed, valid until dnscheck_res_free. Never NULL. */
const struct dns_q *dnscheck_res_get(struct dnscheck_res *d, const char *name,
                                     int type);
void dnscheck_res_set_discovery(struct dnscheck_res *d, int on);
/* dnscheck_res_fetch - resolve every recorded miss concurrently; the
 * count */
size_t dnscheck_res_fetch(struct dnscheck_res *d);

/* dnscheck_q_describe - "NXDOMAIN", "no MX records", "timeout", ... */
void dnscheck_q_describe(struct buf *b, const struct dns_q *q);
/* dnscheck_rr_format - "owner TYPE rdata" (no TTL or class) */
void dnscheck_rr_format(struct buf *b, const ldns_rr *rr);
/* dnscheck_rr_txt - the character-strings of a TXT RR joined; caller
 * frees */
char *dnscheck_rr_txt(const ldns_rr *rr);

/*
 * dnscheck_addr - IP addresses.
 */
struct dnscheck_ip {
    int v6;
    unsigned char a[16];
};

/* dnscheck_ip_parse - IPv4 or IPv6 text (IPv6 may be in []); 0 or -1 */
int dnscheck_ip_parse(const char *s, struct dnscheck_ip *ip);
void dnscheck_ip_format(const struct dnscheck_ip *ip, char *out, size_t len);
int dnscheck_ip_equal(const struct dnscheck_ip *a, const struct dnscheck_ip *b);
/* dnscheck_ip_is_public - 0 for private, loopback, link-local, multicast and
 * other special-purpose space; documentation prefixes count as public */
int dnscheck_ip_is_public(const struct dnscheck_ip *ip);
/* dnscheck_ip_in_net - 1 when ip is in net/prefix of the same family */
int dnscheck_ip_in_net(const struct dnscheck_ip *ip, const unsigned char *net,
                       int v6, int prefix);
/* dnscheck_ip_from_rr - A or AAAA RR to address; 0 or -1 */
int dnscheck_ip_from_rr(const ldns_rr *rr, struct dnscheck_ip *ip);
/* dnscheck_ip_reverse_name - "4.3.2.1.in-addr.arpa" or the ip6.arpa name */
void dnscheck_ip_reverse_name(const struct dnscheck_ip *ip, struct buf *b);

/*
 * dnscheck_spf - SPF evaluation on top of the parser in dnscheck_spfrec.c.
 */
struct dnscheck_spf_result {
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

/* dnscheck_spf_check - evaluate domain's SPF for ip (may be NULL: count only)
 */
void dnscheck_spf_check(struct dnscheck_res *d, const char *domain,
                        const struct dnscheck_ip *ip, const char *helo,
                        struct dnscheck_spf_result *res);
void dnscheck_spf_result_fini(struct dnscheck_spf_result *res);

/*
 * dnscheck_dane - TLSA against local certificates (OpenSSL).
 */
struct dnscheck_dane_certs;

/* dnscheck_dane_certs_load - the certificate chains of files (each file: EE
 * certificate first, then its chain); NULL with a message in err */
struct dnscheck_dane_certs *dnscheck_dane_certs_load(const char *const *files,
                                                     size_t n, struct buf *err);
void dnscheck_dane_certs_free(struct dnscheck_dane_certs *c);
size_t dnscheck_dane_certs_count(const struct dnscheck_dane_certs *c);
const char *dnscheck_dane_certs_file(const struct dnscheck_dane_certs *c,
                                     size_t i);
/* dnscheck_dane_match - 1 when TLSA (usage 2 or 3) matches chain i, 0 if not,
 * -1 for an unsupported selector or matching type */
int dnscheck_dane_match(const struct dnscheck_dane_certs *c, size_t i,
                        int usage, int selector, int mtype,
                        const unsigned char *data, size_t len);
/* dnscheck_dane_expect - append "usage selector mtype hex" lines for chain i */
void dnscheck_dane_expect(const struct dnscheck_dane_certs *c, size_t i,
                          struct buf *b);

/*
 * dnscheck_sec - DNSSEC validation from trust anchors.
 */
struct dnscheck_sec;

enum dnscheck_sec_state {
    DNSCHECK_SEC_INDETERMINATE, /* no trust anchor above the zone */
    DNSCHECK_SEC_SECURE,
    DNSCHECK_SEC_INSECURE, /* provably unsigned */
    DNSCHECK_SEC_BOGUS,
    DNSCHECK_SEC_ERROR, /* a query failed */
};

/* dnscheck_sec_new - anchors from file (DS and DNSKEY records); NULL + err */
struct dnscheck_sec *dnscheck_sec_new(struct dnscheck_res *d, const char *file,
                                      struct buf *err);
void dnscheck_sec_free(struct dnscheck_sec *s);
/* dnscheck_sec_reset - forget zone states (start of a pass) */
void dnscheck_sec_reset(struct dnscheck_sec *s);
/*
 * dnscheck_sec_check_answer - validate the answer RRsets of q. Sets *zone to
 * the zone (borrowed, valid until dnscheck_sec_reset) and returns its state;
 * BOGUS when the zone is secure but an RRset fails, with the reason in
 * why. Returns INDETERMINATE for negative or pending answers.
 */
enum dnscheck_sec_state dnscheck_sec_check_answer(struct dnscheck_sec *s,
                                                  const struct dns_q *q,
                                                  const char **zone,
                                                  struct buf *why);
/* dnscheck_sec_zone_state - state of zone (absolute or not); reason in why */
enum dnscheck_sec_state dnscheck_sec_zone_state(struct dnscheck_sec *s,
                                                const char *zone,
                                                struct buf *why);

/*
 * dnscheck_run - one run of the checks (dnscheck_run.c) and the checks
 * it runs, one file each (mx, tlsa, txt, send; collect reads the
 * configuration).
 */
/* Subject roles. */
#define ROLE_RECV   0x01u /* receives mail: MX, MTA-STS, TLS-RPT, DANE */
#define ROLE_AUTH   0x02u /* sends through us: SPF must authorise us */
#define ROLE_ORIGIN 0x04u /* myorigin */

struct dnscheck_subj {
    char *name; /* lower case, no final dot */
    char *file;
    int line;
    char *from; /* "mydestination", "--domain", ... */
    unsigned roles;
};

struct dnscheck_run {
    struct pcf *p;
    const struct dnscheck_opts *o;
    unsigned checks;
    const char *maincf;
    struct dnscheck_res *d;
    struct dnscheck_sec *sec;
    struct dnscheck_dane_certs *certs;
    char *cert_err; /* certificate configured but unreadable */
    int cert_line;  /* main.cf line of the certificate setting */
    struct dnscheck_subj *subj;
    size_t nsubj;
    struct dnscheck_ip *recv; /* this server's public receiving addresses */
    size_t nrecv;
    struct dnscheck_ip *out; /* outbound addresses */
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

/* dnscheck_q - a lookup through the cache, noted for the subject's
 * DNSSEC check */
const struct dns_q *dnscheck_q(struct dnscheck_run *run, const char *name,
                               int type);
/* dnscheck_add - a finding for rule (sev -1: the rule's), unless the
 * rule's check group is off; ev: evidence lines or NULL */
void dnscheck_add(struct dnscheck_run *run, const char *rule, int sev,
                  const char *file, int line, const struct buf *ev,
                  const char *fmt, ...) UTIL_PRINTF(7, 8);
/* dnscheck_evid - the records of q's type (and CNAMEs), or "name TYPE:
 * why" */
void dnscheck_evid(struct buf *b, const struct dns_q *dq);
/* dnscheck_query_failed - PD001 for a failed query */
void dnscheck_query_failed(struct dnscheck_run *run,
                           const struct dnscheck_subj *s,
                           const struct dns_q *dq);
int dnscheck_has_ip(const struct dnscheck_ip *v, size_t n,
                    const struct dnscheck_ip *ip);
/* dnscheck_ip_list - "ip, ip, ..." appended to b */
void dnscheck_ip_list(struct buf *b, const struct dnscheck_ip *v, size_t n);
/* dnscheck_addrs_of - A and AAAA of name (through CNAMEs) appended to
 * *v; returns 1 when a lookup is pending, -1 on failure (dq in *fail) */
int dnscheck_addrs_of(struct dnscheck_run *run, const char *name,
                      struct dnscheck_ip **v, size_t *n, struct buf *ev,
                      const struct dns_q **fail);

void dnscheck_check_mx(struct dnscheck_run *run, const struct dnscheck_subj *s);
/* dnscheck_check_dane - TLSA of MX host host (once per run) */
void dnscheck_check_dane(struct dnscheck_run *run,
                         const struct dnscheck_subj *s, const char *host);
void dnscheck_check_spf(struct dnscheck_run *run,
                        const struct dnscheck_subj *s);
void dnscheck_check_dmarc(struct dnscheck_run *run,
                          const struct dnscheck_subj *s);
/* dnscheck_check_kv - one MTA-STS or TLS-RPT record at prefix.domain */
void dnscheck_check_kv(struct dnscheck_run *run, const struct dnscheck_subj *s,
                       const char *prefix, int (*is_rec)(const char *),
                       int (*parse)(const char *, struct buf *),
                       const char *rule, const char *what);
/* dnscheck_check_send - HELO name, PTR, FCrDNS; hs: the HELO subject */
void dnscheck_check_send(struct dnscheck_run *run,
                         const struct dnscheck_subj *hs);
/* dnscheck_collect - subjects, HELO name and addresses from the
 * configuration */
void dnscheck_collect(struct dnscheck_run *run);
/* dnscheck_load_certs - the certificates TLSA records are compared with */
void dnscheck_load_certs(struct dnscheck_run *run);

/*
 * Text helpers of the record parsers (dnscheck_spfrec.c,
 * dnscheck_txtrec.c): ASCII only, no locale.
 */
static inline int
is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline int
is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static inline int
is_alnum(int c)
{
    return is_alpha(c) || is_digit(c);
}

static inline int
lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

static inline int
is_wsp(int c)
{
    return c == ' ' || c == '\t';
}

/* ci_prefix - case-insensitive "s starts with p"; returns length or 0 */
static inline size_t
ci_prefix(const char *s, const char *p)
{
    size_t n = 0;

    for (; p[n]; n++)
        if (lower((unsigned char) s[n]) != lower((unsigned char) p[n]))
            return 0;
    return n;
}

static inline int
ci_equal(const char *a, size_t alen, const char *b)
{
    return strlen(b) == alen && ci_prefix(a, b) == alen;
}

static inline void set_err(struct buf *err, const char *fmt, ...)
    UTIL_PRINTF(2, 3);

static inline void
set_err(struct buf *err, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return;
    buf_truncate(err, 0);
    va_start(ap, fmt);
    (void) buf_vprintf(err, fmt, ap);
    va_end(ap);
}

/* parse_uint - decimal number of at most max; 0 or -1 */
static inline int
parse_uint(const char *s, size_t n, long max, long *out)
{
    long v = 0;

    if (n == 0 || n > 10)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit((unsigned char) s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

#endif
