/*
 * dnsc - "postern dns": configuration-aware DNS consistency checks.
 *
 * DESCRIPTION
 *	dnsc reads a Postfix configuration (through lib/config/pcf), works out
 *	which domains the server receives mail for, which name it says
 *	HELO with and which address it sends from, and checks that DNS
 *	agrees: MX, PTR/FCrDNS, null MX, SPF, DMARC, MTA-STS, TLS-RPT,
 *	DANE (TLSA against the local certificate) and DNSSEC (validated
 *	from a trust anchor file). Findings go into a struct report with
 *	rule IDs PD001...; see docs/rules/PD*.md.
 *
 *	The module also exports its own record parsers (SPF, SPF macros,
 *	DMARC, MTA-STS and TLS-RPT TXT records), which never touch the
 *	network.
 *
 *	dnsc is the only module that includes ldns.
 */
#ifndef DNSC_DNSC_H
#define DNSC_DNSC_H

#include <stddef.h>

#include "util/util.h"

struct pcf;
struct report;
struct report_rule;

/* Check groups for dnsc_opts.checks (0 means all). */
#define DNSC_CHECK_MX     0x01u /* receiving side: MX, null MX, addresses */
#define DNSC_CHECK_SEND   0x02u /* HELO name, PTR, FCrDNS */
#define DNSC_CHECK_SPF    0x04u
#define DNSC_CHECK_DMARC  0x08u
#define DNSC_CHECK_STS    0x10u /* MTA-STS and TLS-RPT TXT records */
#define DNSC_CHECK_DANE   0x20u
#define DNSC_CHECK_DNSSEC 0x40u
#define DNSC_CHECK_ALL    0x7fu

struct dnsc_opts {
    const char *const *resolvers; /* "IP", "IP:PORT", "[IPv6]:PORT"; none:
                                   * /etc/resolv.conf */
    size_t nresolvers;
    double timeout;             /* seconds per try and server (> 0) */
    int retries;                /* extra tries after the first (>= 0) */
    const char *const *domains; /* extra domains to check (--domain) */
    size_t ndomains;
    const char *const *public_ips; /* this server's public addresses */
    size_t npublic_ips;
    const char *trust_anchor; /* file of DS/DNSKEY records, or NULL */
    unsigned checks;          /* DNSC_CHECK_* bits; 0 = all */
    const char *main_cf;      /* file name shown in findings; NULL:
                               * pcf_main_path() */
    int threads;              /* concurrent queries; 0 = default (256) */
};

/* dnsc_opts_init - defaults: resolv.conf, 3 s timeout, 1 retry, all checks */
void dnsc_opts_init(struct dnsc_opts *o);

/* dnsc_rule_table - the PDxxx rule table (static storage); *n its size */
const struct report_rule *dnsc_rule_table(size_t *n);

/*
 * dnsc_check_config - run the DNS checks for configuration p with
 * options o, adding findings to r (the PD rules are registered in r if
 * they are not yet). Returns 0, or -1 after logging when the checks
 * cannot run at all (bad --resolver, unreadable trust anchor file,
 * no usable resolver configuration).
 */
int dnsc_check_config(struct pcf *p, const struct dnsc_opts *o,
                      struct report *r) WARN_UNUSED;

/*
 * dns_main - "postern dns [options]" with argv[0] "dns". Returns 0
 * clean, 1 findings at or above --fail-on, 2 usage or I/O error.
 */
int dns_main(int argc, char **argv);

/*
 * SPF (RFC 7208) record parser.
 */
enum dnsc_spf_mech {
    DNSC_SPF_ALL,
    DNSC_SPF_INCLUDE,
    DNSC_SPF_A,
    DNSC_SPF_MX,
    DNSC_SPF_PTR,
    DNSC_SPF_IP4,
    DNSC_SPF_IP6,
    DNSC_SPF_EXISTS,
};

struct dnsc_spf_term {
    char qual; /* '+', '-', '~' or '?' */
    enum dnsc_spf_mech mech;
    char *domain;           /* domain-spec (macros unexpanded) or NULL */
    unsigned char addr[16]; /* ip4 (first 4 bytes) / ip6 network */
    int cidr4;              /* -1 when absent */
    int cidr6;              /* -1 when absent */
    char *text;             /* the term as written */
};

struct dnsc_spf {
    struct dnsc_spf_term *t;
    size_t n;
    char *redirect; /* redirect= domain-spec, or NULL */
    char *exp;      /* exp= domain-spec, or NULL */
};

/* dnsc_spf_is_record - 1 when txt is an SPF record ("v=spf1" followed
 * by a space or the end, case-insensitive) */
int dnsc_spf_is_record(const char *txt);
/*
 * dnsc_spf_parse - parse an SPF record into spf (which the caller
 * finishes with dnsc_spf_fini, also after an error). Returns 0, or -1
 * with a message such as "term 3 \"ip4:1.2.3\": bad IPv4 network" in
 * err (err may be NULL).
 */
int dnsc_spf_parse(const char *txt, struct dnsc_spf *spf,
                   struct buf *err) WARN_UNUSED;
void dnsc_spf_fini(struct dnsc_spf *spf);

/* SPF macro context: what check_host() knows about the message. */
struct dnsc_spf_ctx {
    const char *sender;      /* full sender address, "postmaster@domain" */
    const char *domain;      /* current <domain> */
    const char *helo;        /* HELO name */
    const unsigned char *ip; /* 4 or 16 bytes */
    int ipv6;                /* 1 when ip has 16 bytes */
    const char *receiver;    /* %{r}; "unknown" when NULL */
};

/*
 * dnsc_spf_expand - expand the macros of an SPF macro-string (RFC 7208
 * section 7) into out (appended; out's limit applies). exp_mode allows
 * the c, r and t macros of explanation strings. Returns 0, or -1 with a
 * message in err (may be NULL) for a syntax error or a result past
 * out's limit.
 */
int dnsc_spf_expand(const char *spec, const struct dnsc_spf_ctx *ctx,
                    int exp_mode, struct buf *out, struct buf *err) WARN_UNUSED;

/*
 * DMARC (RFC 7489) record parser.
 */
struct dnsc_dmarc {
    char p[16];  /* "none", "quarantine", "reject" */
    char sp[16]; /* "" when absent */
    int pct;     /* 100 when absent */
    char adkim;  /* 'r' or 's' */
    char aspf;
    int nrua; /* number of rua URIs */
    int nruf;
};

/* dnsc_dmarc_is_record - 1 when txt starts with the tag "v=DMARC1" */
int dnsc_dmarc_is_record(const char *txt);
/* dnsc_dmarc_parse - 0, or -1 with the first problem in err (may be NULL) */
int dnsc_dmarc_parse(const char *txt, struct dnsc_dmarc *d,
                     struct buf *err) WARN_UNUSED;

/*
 * MTA-STS (RFC 8461 section 3.1) and TLS-RPT (RFC 8460 section 3) TXT
 * records. *_is_record: 1 when txt starts with the version field (the
 * records other TXT data at that name is told apart by). *_parse: 0, or
 * -1 with the first problem in err (may be NULL).
 */
int dnsc_sts_is_record(const char *txt);
int dnsc_sts_parse(const char *txt, struct buf *err) WARN_UNUSED;
int dnsc_tlsrpt_is_record(const char *txt);
int dnsc_tlsrpt_parse(const char *txt, struct buf *err) WARN_UNUSED;

/*
 * Mail routing for the SMTP client (dnsc_route.c).
 */
#define DNSC_ROUTE_IPV4 0x1u
#define DNSC_ROUTE_IPV6 0x2u

struct dnsc_route_opts {
    const char *const *servers; /* as dnsc_opts.resolvers; none: resolv.conf */
    size_t nservers;
    double timeout;    /* seconds per try (<= 0: 5) */
    unsigned families; /* DNSC_ROUTE_IPV4 | DNSC_ROUTE_IPV6 (0: IPv4) */
};

struct dnsc_target {
    char *host;    /* MX host or the domain (lower case, no final dot) */
    int pref;      /* MX preference, -1 without MX */
    char addr[46]; /* IP address text */
    int v6;
};

struct dnsc_targets {
    struct dnsc_target *t;
    size_t n;
    /* with DNSC_ROUTE_NOTFOUND: the domain has MX hosts, but none has an
     * address (smtp_defer_if_no_mx_address_found defers that case) */
    int mx_no_addr;
};

enum dnsc_route_status {
    DNSC_ROUTE_OK,       /* out has at least one address */
    DNSC_ROUTE_NOTFOUND, /* no such host (the mail bounces) */
    DNSC_ROUTE_NULLMX,   /* RFC 7505 null MX (the mail bounces) */
    DNSC_ROUTE_TEMP,     /* try again later */
};

/*
 * dnsc_route - the addresses to try for domain, best first: with use_mx
 * its MX hosts by preference (equal preferences in random order), each
 * with its addresses; without MX records (or use_mx 0) the domain's own
 * addresses. out is filled (the caller dnsc_targets_fini()s it, also on
 * failure); err gets Postfix's wording of a failure.
 */
enum dnsc_route_status dnsc_route(const struct dnsc_route_opts *o,
                                  const char *domain, int use_mx,
                                  struct dnsc_targets *out, struct buf *err);
void dnsc_targets_fini(struct dnsc_targets *t);

/*
 * One lookup for the SMTP server's restrictions (dnsc_lookup.c).
 */
enum dnsc_rtype { DNSC_A, DNSC_AAAA, DNSC_MX, DNSC_NS, DNSC_PTR, DNSC_TXT };

enum dnsc_status {
    DNSC_OK,       /* out has at least one record */
    DNSC_NODATA,   /* the name exists, without records of the type */
    DNSC_NXDOMAIN, /* the name does not exist */
    DNSC_TEMP,     /* timeout, SERVFAIL, no resolver: try again later */
};

/* records kept per lookup at most */
#define DNSC_LOOKUP_MAX 64

/*
 * dnsc_lookup - the records of type for name through the resolvers of o
 * (its families are ignored): addresses as text for A and AAAA, host
 * names (lower case, no final dot; "" for the root, a null MX) for MX,
 * NS and PTR, the first character-string of each TXT record (what
 * Postfix shows of a block list reason), MX by preference with prefs[i] set when prefs is not NULL
 * (DNSC_LOOKUP_MAX entries). Appends to out.
 */
enum dnsc_status dnsc_lookup(const struct dnsc_route_opts *o, const char *name,
                             enum dnsc_rtype type, struct strv *out,
                             int *prefs);

/*
 * dnsc_pre_jail - read /etc/resolv.conf now, before the daemon chroots
 * (lib/services/server calls it): from then on the resolvers of dnsc_route
 * without servers come from this copy, as a Postfix daemon's res_init()
 * before its jail. 0, or -1 when the file cannot be read (lookups then
 * fail as they would have outside the jail).
 */
int dnsc_pre_jail(void);

#endif
