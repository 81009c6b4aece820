/*
 * rewrite - trivial-rewrite: address canonicalization and resolution.
 *
 * DESCRIPTION
 *	rewrite_canon() is trivial-rewrite's "rewrite" request: an
 *	unqualified "user" becomes user@$myorigin, "user@host" becomes
 *	user@host.$mydomain when append_dot_mydomain is on, a trailing
 *	dot and source routes are dropped. rewrite_resolve() is its
 *	"resolve" request: the address class (local, virtual, relay,
 *	default) and the transport:nexthop that delivers it, with
 *	transport_maps first. In Postern this runs inside cleanup, smtpd
 *	and qmgr as a library call instead of a separate process: the
 *	answers are pure functions of main.cf, and an IPC round trip per
 *	address would cost more than the lookup.
 */
#ifndef REWRITE_REWRITE_H
#define REWRITE_REWRITE_H

#include "maps/maps.h"
#include "util/util.h"

struct pcf;

enum rewrite_class {
    REWRITE_LOCAL = 1, /* mydestination, our IP literals */
    REWRITE_ALIAS,     /* virtual_alias_domains */
    REWRITE_VIRTUAL,   /* virtual_mailbox_domains */
    REWRITE_RELAY,     /* relay_domains */
    REWRITE_DEFAULT,   /* anything else */
};

/* rewrite_result.flags (Postfix's RESOLVE_FLAG_*): ROUTED, routing
 * operators (@ ! %) left in the local part, so the destination is
 * uncertain; ERROR, malformed (bad domain, no domain) */
#define REWRITE_FLAG_ROUTED 1u
#define REWRITE_FLAG_ERROR  2u

struct rewrite_result {
    enum rewrite_class cls;
    unsigned flags;     /* REWRITE_FLAG_* */
    char transport[64]; /* "local", "smtp", "error", ... */
    char nexthop[512];  /* "host.example", "[10.0.0.1]:25", error text */
    char rcpt[1024];    /* the resolved recipient, internal (unquoted)
                         * form: routing stripped, percent hack and bang
                         * path applied ("" when it did not fit: ERROR) */
};

struct rewrite;
/* rewrite_new - settings from p (svc may be NULL) */
struct rewrite *rewrite_new(struct pcf *p, const char *svc);
void rewrite_free(struct rewrite *rw);
/* rewrite_canon - canonical form of addr; caller frees; "" stays "" */
char *rewrite_canon(struct rewrite *rw, const char *addr);
/* rewrite_canon_ctx - rewrite_canon with origin and domain in place of
 * $myorigin and $mydomain (Postfix's "remote" rewriting context, for
 * headers: both are remote_header_rewrite_domain) */
char *rewrite_canon_ctx(struct rewrite *rw, const char *addr,
                        const char *origin, const char *domain);
/* rewrite_domain_class - class of a domain (no @) */
enum rewrite_class rewrite_domain_class(struct rewrite *rw, const char *domain);
/* rewrite_resolve - Postfix's trivial-rewrite "resolve": local domains
 * are stripped off repeatedly, user%domain (allow_percent_hack) and
 * domain!user (swap_bangpath) become user@domain, a quoted local part is
 * opened (resolve_dequoted_address); then class, transport and the
 * resolved recipient (res->rcpt), with REWRITE_FLAG_ROUTED when routing
 * operators remain and REWRITE_FLAG_ERROR for a malformed domain. addr
 * may be in external (quoted) form. 0, or -1 on a table error (caller
 * defers) */
int rewrite_resolve(struct rewrite *rw, const char *addr,
                    struct rewrite_result *res) WARN_UNUSED;
/* rewrite_resolve_from - rewrite_resolve for mail from sender (external
 * form, "" for the null sender): off-host routes as
 * sender_dependent_relayhost_maps and
 * sender_dependent_default_transport_maps say */
int rewrite_resolve_from(struct rewrite *rw, const char *sender,
                         const char *addr,
                         struct rewrite_result *res) WARN_UNUSED;
/* rewrite_myhostname, rewrite_myorigin - borrowed */
const char *rewrite_myhostname(const struct rewrite *rw);
const char *rewrite_myorigin(const struct rewrite *rw);
/* rewrite_unquote - internal form of an external address: quotes and
 * backslash escapes removed ("a b"@x -> a b@x); caller frees */
char *rewrite_unquote(const char *addr);
/* rewrite_quote - external form of an internal address: the local part
 * (up to the last '@') quoted when RFC 822 needs it, as Postfix's
 * quote_822_local (a@b@c -> "a@b"@c); caller frees */
char *rewrite_quote(const char *addr);
/* rewrite_valid_hostname - Postfix's valid_hostname (labels of letters,
 * digits, '-' and '_', not all numeric); rewrite_valid_literal - a
 * [ipv4] or [ipv6:...] address literal */
int rewrite_valid_hostname(const char *name);
int rewrite_valid_literal(const char *lit);
/* rewrite_domain - pointer to the domain part of addr (after the last
 * '@'), or NULL */
const char *rewrite_domain(const char *addr);

struct maps;
/* rewrite_split_ext - Postfix's split_addr(): cut localpart (modified)
 * at the first character of delim and return the extension after it,
 * or NULL when not split (no delimiter, an empty part, postmaster,
 * mailer-daemon, double_bounce_sender, owner-* and *-request with '-'
 * and owner_request_special) */
char *rewrite_split_ext(const struct rewrite *rw, char *localpart,
                        const char *delim);
/* rewrite_addr_find - Postfix's mail_addr_find(): addr (external form)
 * in m as user+ext@domain, user@domain, user+ext and user when domain is
 * $myorigin or local, then @domain. *value is borrowed as maps_find's.
 * ext (may be NULL): when the match needed the extension cut off, the
 * extension with its delimiter ("+foo"), which the caller frees; else
 * NULL. A domain list or table failure is MAPS_ERROR. */
enum maps_result rewrite_addr_find(struct rewrite *rw, struct maps *m,
                                   const char *addr, const char *delim,
                                   const char **value, char **ext) WARN_UNUSED;

#endif
