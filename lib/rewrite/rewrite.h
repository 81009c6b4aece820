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

#include "util/util.h"

struct pcf;

enum rewrite_class {
    REWRITE_LOCAL = 1, /* mydestination, our IP literals */
    REWRITE_ALIAS,     /* virtual_alias_domains */
    REWRITE_VIRTUAL,   /* virtual_mailbox_domains */
    REWRITE_RELAY,     /* relay_domains */
    REWRITE_DEFAULT,   /* anything else */
};

struct rewrite_result {
    enum rewrite_class cls;
    char transport[64]; /* "local", "smtp", "error", ... */
    char nexthop[512];  /* "host.example", "[10.0.0.1]:25", error text */
};

struct rewrite;
/* rewrite_new - settings from p (svc may be NULL) */
struct rewrite *rewrite_new(struct pcf *p, const char *svc);
void rewrite_free(struct rewrite *rw);
/* rewrite_canon - canonical form of addr; caller frees; "" stays "" */
char *rewrite_canon(struct rewrite *rw, const char *addr);
/* rewrite_domain_class - class of a domain (no @) */
enum rewrite_class rewrite_domain_class(struct rewrite *rw, const char *domain);
/* rewrite_resolve - class and transport of a canonical address; 0, or -1
 * on a table error (caller defers) */
int rewrite_resolve(struct rewrite *rw, const char *addr,
                    struct rewrite_result *res) WARN_UNUSED;
/* rewrite_myhostname, rewrite_myorigin - borrowed */
const char *rewrite_myhostname(const struct rewrite *rw);
const char *rewrite_myorigin(const struct rewrite *rw);
/* rewrite_domain - pointer to the domain part of addr (after the last
 * '@'), or NULL */
const char *rewrite_domain(const char *addr);

#endif
