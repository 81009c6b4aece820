/*
 * server_tls - Postfix's TLS protocol and cipher policy, shared by the
 * SMTP server (smtpd) and the SMTP client (smtp).
 *
 * DESCRIPTION
 *	PREFIX_tls_protocols / PREFIX_tls_mandatory_protocols (Postfix
 *	3.6+ syntax: ">=TLSv1.2", "<=TLSv1.3", "!SSLv2, !SSLv3", plain
 *	names, and any mix), PREFIX_tls_ciphers /
 *	PREFIX_tls_mandatory_ciphers (a grade: high, medium, low, export,
 *	null, each mapped through tls_GRADE_cipherlist),
 *	PREFIX_tls_exclude_ciphers (every level) and
 *	PREFIX_tls_mandatory_exclude_ciphers (mandatory levels only), and
 *	for a server tls_preempt_cipherlist. PREFIX is "smtpd" or "smtp".
 *	The mandatory parameters apply when the security level requires
 *	TLS (server: encrypt; client: encrypt and up), the others at
 *	"may", as in Postfix. The grade and exclusions make OpenSSL's
 *	TLS 1.2-and-older cipher list; TLS 1.3 cipher suites stay
 *	OpenSSL's (Postfix 3.7 does not configure them either).
 *
 *	Parameters are read with -o overrides of the master.cf service
 *	ns ("name/type"; NULL for main.cf only).
 */
#ifndef SERVER_SERVER_TLS_H
#define SERVER_SERVER_TLS_H

#include <stddef.h>

struct pcf;
struct ssl_ctx_st;

/* roles */
#define SERVER_TLS_CLIENT 0
#define SERVER_TLS_SERVER 1

/* what the security level requires */
#define SERVER_TLS_MAY       0 /* opportunistic: the non-mandatory lists */
#define SERVER_TLS_MANDATORY 1 /* encrypt */
#define SERVER_TLS_MATCH     2 /* client verify/secure: also no aNULL */

/* protocol bits for server_tls_protocols */
#define SERVER_TLS_SSLv2   (1u << 0)
#define SERVER_TLS_SSLv3   (1u << 1)
#define SERVER_TLS_TLSv1   (1u << 2)
#define SERVER_TLS_TLSv1_1 (1u << 3)
#define SERVER_TLS_TLSv1_2 (1u << 4)
#define SERVER_TLS_TLSv1_3 (1u << 5)

/* server_tls_protocols - parse a Postfix protocol list. *exclude gets
 * the SERVER_TLS_* protocols to turn off ("!name", or every known one
 * not named when plain names are given); *floor and *ceiling the
 * OpenSSL version numbers of ">=" and "<=" (0: none). Names are
 * case-insensitive; separators are comma, white space and colon. 0, or
 * -1 for an unknown name. */
int server_tls_protocols(const char *list, unsigned *exclude, int *floor,
                         int *ceiling);

/* server_tls_apply - apply the policy for the role and level to ctx.
 * 0, or -1 with err naming the parameter and the bad value (ctx may
 * then be half configured: do not use it). */
int server_tls_apply(struct pcf *conf, const char *ns, struct ssl_ctx_st *ctx,
                     const char *prefix, int role, int level, char *err,
                     size_t len);

/* server_tls_check - for "postern check" and before start/reload: the
 * policy that the master.cf service ns running command ("smtpd",
 * "smtp") would apply at its TLS security level, tried on a scratch
 * context. 0 (also when the service uses no TLS), or -1 with err */
int server_tls_check(struct pcf *conf, const char *ns, const char *command,
                     char *err, size_t len);

#endif
