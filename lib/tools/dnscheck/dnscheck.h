/*
 * dnscheck - "postern dns": configuration-aware DNS consistency checks.
 *
 * DESCRIPTION
 *	dnscheck reads a Postfix configuration (through lib/config/pcf), works
 *out which domains the server receives mail for, which name it says HELO with
 *and which address it sends from, and checks that DNS agrees: MX, PTR/FCrDNS,
 *null MX, SPF, DMARC, MTA-STS, TLS-RPT, DANE (TLSA against the local
 *certificate) and DNSSEC (validated from a trust anchor file). Findings go into
 *a struct report with rule IDs PD001...; see docs/rules/PD*.md.
 *
 *	The module also exports its own record parsers (SPF, SPF macros,
 *	DMARC, MTA-STS and TLS-RPT TXT records), which never touch the
 *	network.
 *
 *	Queries go through the daemons' resolver, lib/services/dns, with a
 *	cache and a thread pool of dnscheck's own on top; DNSSEC and DANE
 *	work on its ldns packets (ldns stays the only DNS library).
 */
#ifndef DNSCHECK_DNSCHECK_H
#define DNSCHECK_DNSCHECK_H

#include <stddef.h>

#include "util/util.h"

struct pcf;
struct report;
struct report_rule;

/* Check groups for dnscheck_opts.checks (0 means all). */
#define DNSCHECK_MX     0x01u /* receiving side: MX, null MX, addresses */
#define DNSCHECK_SEND   0x02u /* HELO name, PTR, FCrDNS */
#define DNSCHECK_SPF    0x04u
#define DNSCHECK_DMARC  0x08u
#define DNSCHECK_STS    0x10u /* MTA-STS and TLS-RPT TXT records */
#define DNSCHECK_DANE   0x20u
#define DNSCHECK_DNSSEC 0x40u
#define DNSCHECK_ALL    0x7fu

struct dnscheck_opts {
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
    unsigned checks;          /* DNSCHECK_* bits; 0 = all */
    const char *main_cf;      /* file name shown in findings; NULL:
                               * pcf_main_path() */
    int threads;              /* concurrent queries; 0 = default (256) */
};

/* dnscheck_opts_init - defaults: resolv.conf, 3 s timeout, 1 retry, all checks
 */
void dnscheck_opts_init(struct dnscheck_opts *o);

/* dnscheck_rule_table - the PDxxx rule table (static storage); *n its size */
const struct report_rule *dnscheck_rule_table(size_t *n);

/*
 * dnscheck_config - run the DNS checks for configuration p with
 * options o, adding findings to r (the PD rules are registered in r if
 * they are not yet). Returns 0, or -1 after logging when the checks
 * cannot run at all (bad --resolver, unreadable trust anchor file,
 * no usable resolver configuration).
 */
int dnscheck_config(struct pcf *p, const struct dnscheck_opts *o,
                    struct report *r) WARN_UNUSED;

/*
 * dnscheck_main - "postern dns [options]" with argv[0] "dns". Returns 0
 * clean, 1 findings at or above --fail-on, 2 usage or I/O error.
 */
int dnscheck_main(int argc, char **argv);

/*
 * SPF (RFC 7208) record parser.
 */
enum dnscheck_spf_mech {
    DNSCHECK_SPF_ALL,
    DNSCHECK_SPF_INCLUDE,
    DNSCHECK_SPF_A,
    DNSCHECK_SPF_MX,
    DNSCHECK_SPF_PTR,
    DNSCHECK_SPF_IP4,
    DNSCHECK_SPF_IP6,
    DNSCHECK_SPF_EXISTS,
};

struct dnscheck_spf_term {
    char qual; /* '+', '-', '~' or '?' */
    enum dnscheck_spf_mech mech;
    char *domain;           /* domain-spec (macros unexpanded) or NULL */
    unsigned char addr[16]; /* ip4 (first 4 bytes) / ip6 network */
    int cidr4;              /* -1 when absent */
    int cidr6;              /* -1 when absent */
    char *text;             /* the term as written */
};

struct dnscheck_spf {
    struct dnscheck_spf_term *t;
    size_t n;
    char *redirect; /* redirect= domain-spec, or NULL */
    char *exp;      /* exp= domain-spec, or NULL */
};

/* dnscheck_spf_is_record - 1 when txt is an SPF record ("v=spf1" followed
 * by a space or the end, case-insensitive) */
int dnscheck_spf_is_record(const char *txt);
/*
 * dnscheck_spf_parse - parse an SPF record into spf (which the caller
 * finishes with dnscheck_spf_fini, also after an error). Returns 0, or -1
 * with a message such as "term 3 \"ip4:1.2.3\": bad IPv4 network" in
 * err (err may be NULL).
 */
int dnscheck_spf_parse(const char *txt, struct dnscheck_spf *spf,
                       struct buf *err) WARN_UNUSED;
void dnscheck_spf_fini(struct dnscheck_spf *spf);

/* SPF macro context: what check_host() knows about the message. */
struct dnscheck_spf_ctx {
    const char *sender;      /* full sender address, "postmaster@domain" */
    const char *domain;      /* current <domain> */
    const char *helo;        /* HELO name */
    const unsigned char *ip; /* 4 or 16 bytes */
    int ipv6;                /* 1 when ip has 16 bytes */
    const char *receiver;    /* %{r}; "unknown" when NULL */
};

/*
 * dnscheck_spf_expand - expand the macros of an SPF macro-string (RFC 7208
 * section 7) into out (appended; out's limit applies). exp_mode allows
 * the c, r and t macros of explanation strings. Returns 0, or -1 with a
 * message in err (may be NULL) for a syntax error or a result past
 * out's limit.
 */
int dnscheck_spf_expand(const char *spec, const struct dnscheck_spf_ctx *ctx,
                        int exp_mode, struct buf *out,
                        struct buf *err) WARN_UNUSED;

/*
 * DMARC (RFC 7489) record parser.
 */
struct dnscheck_dmarc {
    char p[16];  /* "none", "quarantine", "reject" */
    char sp[16]; /* "" when absent */
    int pct;     /* 100 when absent */
    char adkim;  /* 'r' or 's' */
    char aspf;
    int nrua; /* number of rua URIs */
    int nruf;
};

/* dnscheck_dmarc_is_record - 1 when txt starts with the tag "v=DMARC1" */
int dnscheck_dmarc_is_record(const char *txt);
/* dnscheck_dmarc_parse - 0, or -1 with the first problem in err (may be NULL)
 */
int dnscheck_dmarc_parse(const char *txt, struct dnscheck_dmarc *d,
                         struct buf *err) WARN_UNUSED;

/*
 * MTA-STS (RFC 8461 section 3.1) and TLS-RPT (RFC 8460 section 3) TXT
 * records. *_is_record: 1 when txt starts with the version field (the
 * records other TXT data at that name is told apart by). *_parse: 0, or
 * -1 with the first problem in err (may be NULL).
 */
int dnscheck_sts_is_record(const char *txt);
int dnscheck_sts_parse(const char *txt, struct buf *err) WARN_UNUSED;
int dnscheck_tlsrpt_is_record(const char *txt);
int dnscheck_tlsrpt_parse(const char *txt, struct buf *err) WARN_UNUSED;

#endif
