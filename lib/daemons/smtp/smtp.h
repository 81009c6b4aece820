/*
 * smtp - the SMTP client delivery agent (master.cf command "smtp").
 *
 * DESCRIPTION
 *	qmgr hands the agent delivery requests (lib/services/deliver) naming a
 *	message, a nexthop and recipients. The agent finds the servers
 *	for the nexthop ("[host]:port" as is, "host:port" or a domain
 *	through its MX records with lib/services/dns), talks ESMTP to the first
 *	one that answers (EHLO/HELO, STARTTLS per
 *	smtp_tls_security_level with Postfix's certificate checks,
 *	PIPELINING, SIZE, 8BITMIME with the downgrade to quoted-printable
 *	for servers without it, DSN),
 *	and answers each recipient with sent, deferred (4xx, connection
 *	trouble) or bounced (5xx), logging Postfix's "to=<...>,
 *	relay=host[ip]:port, delay=..., delays=a/b/c/d, dsn=...,
 *	status=..." line. An open connection is kept for the next request
 *	to the same nexthop (smtp_connection_reuse_count_limit,
 *	smtp_connection_reuse_time_limit, smtp_connection_cache_time_limit).
 */
#ifndef SMTP_SMTP_H
#define SMTP_SMTP_H

#include <stddef.h>

#include "util/util.h"

struct server;

/* smtp_service - master.cf entry point; returns the exit status */
int smtp_service(struct server *srv);
/* smtp_lmtp_service - the same agent as master.cf command "lmtp" (LMTP
 * mode, as Postfix's smtp binary run under that name); the exit status */
int smtp_lmtp_service(struct server *srv);

/* A parsed nexthop. */
struct smtp_nexthop {
    char host[256]; /* without brackets */
    unsigned port;  /* 0: the default (25) */
    int mx;         /* 1: look up MX records for host */
};

/*
 * smtp_nexthop_parse - "[host]", "[host]:port", "host", "host:port",
 * "[ipv6]:port" (port a number or a service name); a leading
 * "transport:" is not accepted here (qmgr splits it off). def_port
 * is used when there is no port. 0, or -1 for a malformed value.
 */
int smtp_nexthop_parse(const char *s, unsigned def_port,
                       struct smtp_nexthop *nh) WARN_UNUSED;

/* smtp_xtext - RFC 3461 xtext encoding of s appended to out */
void smtp_xtext(struct buf *out, const char *s);

#endif
