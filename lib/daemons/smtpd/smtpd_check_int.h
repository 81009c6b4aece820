/*
 * smtpd_check_int - what the files of the restriction engine share
 *	(smtpd_check*.c): one evaluation's context, the results, and the
 *	helpers one file defines and another calls.
 */
#ifndef SMTPD_SMTPD_CHECK_INT_H
#define SMTPD_SMTPD_CHECK_INT_H

#include <stddef.h>

#include "rewrite/rewrite.h"
#include "smtpd/smtpd_int.h"
#include "util/util.h"

/* results, as Postfix's SMTPD_CHECK_* */
#define DUNNO  0
#define OK     1
#define REJECT 2

#define N_CLIENT  "Client host"
#define N_REV     "Unverified Client host"
#define N_HELO    "Helo command"
#define N_SENDER  "Sender address"
#define N_RCPT    "Recipient address"
#define N_DATA    "Data command"
#define N_EOD     "End-of-data command"
#define N_ETRN    "Etrn command"
#define CFG_ERROR "Server configuration error"

/* one evaluation (one SMTP command's lists) */
struct ctx {
    struct smtpd_session *s;
    const char *where; /* "RCPT", "MAIL", ... (log lines) */
    const char *rcpt;  /* canonical recipient, or NULL */
    const char *shown; /* the recipient as sent, internal form */
    char *sender;      /* the sender as sent, internal form, or NULL */
    char *reply;
    size_t len;
    int recursion;
    int warn_if_reject; /* recursion level that asked, 0 off */
    int rcptmap_checked;
    int resolved; /* res: 1 set, -1 table error */
    struct rewrite_result res;
};

/* ---- the engine (smtpd_check.c) ---- */

/* smtpd_chk_generic - Postfix's generic_checks(): one list */
int smtpd_chk_generic(struct ctx *c, struct strv *list, const char *name,
                      const char *cls, const char *def_acl);
/* smtpd_chk_log_whatsup - a "reject_warning" or "warn" log line */
void smtpd_chk_log_whatsup(struct ctx *c, const char *what, const char *text);
/* smtpd_chk_reject - Postfix's smtpd_check_reject(): the reply into
 * c->reply; REJECT, or DUNNO under warn_if_reject; cfg: a configuration
 * error, never a warning */
int smtpd_chk_reject(struct ctx *c, int cfg, int code, const char *dsn,
                     const char *fmt, ...) UTIL_PRINTF(5, 6);
/* smtpd_chk_defer_if - raise a defer_if_permit or defer_if_reject */
void smtpd_chk_defer_if(struct smtpd_defer *d, int code, const char *dsn,
                        const char *fmt, ...) UTIL_PRINTF(4, 5);
/* smtpd_chk_tempfail - a lookup failed temporarily: defer_if_permit
 * (dip), or a 450 at once */
int smtpd_chk_tempfail(struct ctx *c, int dip, const char *dsn,
                       const char *text);
/* smtpd_chk_config_error - 451 4.3.5 Server configuration error */
int smtpd_chk_config_error(struct ctx *c);
/* smtpd_chk_dict_retry - 451 4.3.0 Temporary lookup failure */
int smtpd_chk_dict_retry(struct ctx *c, const char *name);
/* smtpd_chk_dsn_split - an enhanced code at the start of *text (skipped),
 * else def */
const char *smtpd_chk_dsn_split(const char *def, const char **text, char *buf,
                                size_t len);
/* smtpd_chk_dsn_fix - Postfix's smtpd_dsn_fix() */
const char *smtpd_chk_dsn_fix(const char *dsn, const char *cls, char *buf,
                              size_t len);
/* smtpd_chk_alldig - s is a non-empty string of digits */
int smtpd_chk_alldig(const char *s);
/* smtpd_chk_sleep_fn - co_offload target: sleep *(unsigned *) arg s */
void smtpd_chk_sleep_fn(void *arg);

/* ---- access tables (smtpd_check_access.c) ---- */

/* smtpd_chk_filter - the FILTER action of an access table (smtpd_filter.c,
 * issue 19): logged, recorded for the transaction; always DUNNO */
int smtpd_chk_filter(struct ctx *c, const char *table, const char *value,
                     const char *text, const char *name, const char *cls);
/* smtpd_chk_table_result - Postfix's check_table_result() */
int smtpd_chk_table_result(struct ctx *c, const char *table, const char *value,
                           const char *name, const char *cls,
                           const char *def_acl);
/* smtpd_chk_domain_access - the name and its parent domains */
int smtpd_chk_domain_access(struct ctx *c, const char *table,
                            const char *domain, int partial, int *found,
                            const char *name, const char *cls,
                            const char *def_acl);
/* smtpd_chk_addr_access - the address and its parent networks */
int smtpd_chk_addr_access(struct ctx *c, const char *table, const char *address,
                          int partial, int *found, const char *name,
                          const char *cls, const char *def_acl);
/* smtpd_chk_sender_shown - the sender as the restrictions see it */
const char *smtpd_chk_sender_shown(struct ctx *c);
/* smtpd_chk_lookup_name - one access table lookup of key (no parent
 * domains or networks); the reply says "<name>: cls rejected: ..." */
int smtpd_chk_lookup_name(struct ctx *c, const char *table, const char *key,
                          const char *name, const char *cls,
                          const char *def_acl);
/* smtpd_chk_one_table - the check_*_access family; t the table */
int smtpd_chk_one_table(struct ctx *c, const struct smtpd_restr *r,
                        const char *t, const char *def_acl);

/* ---- host names and DNS (smtpd_check_host.c) ---- */

enum { DNS_FOUND, DNS_NOTFOUND, DNS_RETRY, DNS_NULLMX };

int smtpd_chk_valid_hostaddr(const char *a);
/* smtpd_chk_non_fqdn_address - reject_non_fqdn_{sender,recipient} */
int smtpd_chk_non_fqdn_address(struct ctx *c, const char *addr,
                               const char *name, const char *cls);
/* smtpd_chk_mx_host - the host of an MX answer ("PREF HOST") */
const char *smtpd_chk_mx_host(const char *rr);
/* smtpd_chk_dns - one lookup (a dns_status) */
int smtpd_chk_dns(struct ctx *c, const char *name, int type, struct strv *out);
/* smtpd_chk_dns_any - the first of types that has records: DNS_* */
int smtpd_chk_dns_any(struct ctx *c, const char *name, const int *types,
                      int ntypes, int nullmx);
/* smtpd_chk_host_addrs - the addresses of host (inet_protocols) */
int smtpd_chk_host_addrs(struct ctx *c, const char *host, struct strv *out);
/* smtpd_chk_server_access - check_*_{mx,ns,a}_access */
int smtpd_chk_server_access(struct ctx *c, const char *table, const char *what,
                            int type, const char *name, const char *cls,
                            const char *def_acl);
/* smtpd_chk_forbid_allowlist - an MX, NS or A lookup must not permit */
int smtpd_chk_forbid_allowlist(struct ctx *c, const char *rname, int st,
                               const char *what);
/* smtpd_chk_one_host - client and helo restrictions without a table; -1
 * when r is none of them */
int smtpd_chk_one_host(struct ctx *c, const struct smtpd_restr *r);

/* ---- senders and recipients (smtpd_check_addr.c) ---- */

/* smtpd_chk_resolve_addr - an address through trivial-rewrite's
 * resolver; NULL after a table error (reply set) */
const struct rewrite_result *smtpd_chk_resolve_addr(struct ctx *c,
                                                    const char *addr,
                                                    struct rewrite_result *res);
/* smtpd_chk_rcpt_maps - Postfix's check_rcpt_maps() */
int smtpd_chk_rcpt_maps(struct ctx *c, const char *addr, const char *cls);
/* smtpd_chk_one_addr - sender and recipient restrictions without a
 * table; -1 when r is none of them */
int smtpd_chk_one_addr(struct ctx *c, const struct smtpd_restr *r,
                       const char *name, const char *cls);

/* ---- the SMTP AUTH login (smtpd_check_sasl.c) ---- */

/* smtpd_chk_one_sasl - permit_sasl_authenticated and the
 * *_sender_login_mismatch family; -1 when r is none of them */
int smtpd_chk_one_sasl(struct ctx *c, const struct smtpd_restr *r);
/* smtpd_chk_sasl_access - check_sasl_access with table */
int smtpd_chk_sasl_access(struct ctx *c, const char *table,
                          const char *def_acl);

/* ---- DNS lists and policy servers ---- */

/* smtpd_chk_one_rbl - reject_rbl_client and friends; -1 when r is none
 * of them (smtpd_check_rbl.c) */
int smtpd_chk_one_rbl(struct ctx *c, const struct smtpd_restr *r,
                      struct strv *list, size_t *i);
/* smtpd_chk_policy - check_policy_service (smtpd_check_policy.c) */
int smtpd_chk_policy(struct ctx *c, const char *arg, const char *name,
                     const char *cls, const char *def_acl);

#endif
