/*
 * haproxy - the PROXY protocol header (versions 1 and 2) that a load
 *	balancer such as haproxy sends before the client's first byte.
 *
 * DESCRIPTION
 *	haproxy_parse() reads one header from the start of buf: the text
 *	form "PROXY TCP4|TCP6 client server cport sport\r\n" (at most 107
 *	bytes) or the binary form (12-byte signature, version 2, PROXY or
 *	LOCAL, TCP over IPv4 or IPv6; TLVs are skipped). Addresses are
 *	checked and printed in numeric form (IPv4-mapped IPv6 as IPv4, as
 *	Postfix does); ports must be decimal without leading zeros.
 *	Version 2's LOCAL command (the proxy's health checks) is not
 *	proxied: the socket's own endpoints apply. "PROXY UNKNOWN" is
 *	refused, as Postfix does: it would sidestep address-based access
 *	control. haproxy_parse's families argument says which of TCP4 and
 *	TCP6 inet_protocols allows.
 *
 *	The error texts of version 1 are Postfix 3.7's, for its log line
 *	"warning: haproxy read: TEXT: HEADER" (haproxy_escape: the header
 *	with CR and LF as \r and \n).
 */
#ifndef HAPROXY_HAPROXY_H
#define HAPROXY_HAPROXY_H

#include <stddef.h>

#define HAPROXY_V1_MAX    107 /* the longest version 1 header, CRLF included */
#define HAPROXY_V2_HEADER 16  /* signature, command, family, length */

struct haproxy_endpoints {
    int local; /* not proxied (UNKNOWN, LOCAL): ignore the rest */
    char client_addr[64], client_port[8];
    char server_addr[64], server_port[8];
};

/* haproxy_need - how many bytes of buf (len so far) the header needs in
 * all: more than len when it is incomplete, len when it is complete
 * (never less: what was read belongs to it); 0 when a version 1 line is
 * too long */
size_t haproxy_need(const void *buf, size_t len);
/* haproxy_parse - the complete header at buf (len bytes, as
 * haproxy_need said): 0 with ep filled, or -1 with *err */
#define HAPROXY_IPV4 1u
#define HAPROXY_IPV6 2u
int haproxy_parse(const void *buf, size_t len, unsigned families,
                  struct haproxy_endpoints *ep, const char **err);

/* haproxy_escape - buf (len bytes) for a log line: printable ASCII as
 * is, \r \n \t and \ooo for the rest, into out */
void haproxy_escape(const void *buf, size_t len, char *out, size_t outlen);

#endif
