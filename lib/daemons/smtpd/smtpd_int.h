/*
 * smtpd_int - private declarations of the SMTP server.
 */
#ifndef SMTPD_SMTPD_INT_H
#define SMTPD_SMTPD_INT_H

#include <stddef.h>
#include <stdint.h>

#include "queue/queue.h"
#include "smtpd/smtpd.h"
#include "util/util.h"

struct server;
struct strv;
struct maps;
struct maps_match;
struct rewrite;
struct cleanup_client;
struct smtpd_sasl_conf;
struct smtpd_sasl;
struct buf;
struct milter_sess;

/* sessions a worker behind the front serves at once (coroutines, see
 * ARCHITECTURE.md "smtpd workers serve several sessions") */
#define SMTPD_SESSIONS_PER_PROCESS 16

/* ---- stream I/O with optional TLS (smtpd_io.c) ---- */
struct smtpd_io;
/* smtpd_io_new - armed_s: the seconds of SO_RCVTIMEO/SO_SNDTIMEO the socket
 * already holds (the front's listener passed them on), 0 unknown;
 * nonblock: the socket is non-blocking (from the front) */
struct smtpd_io *smtpd_io_new(int fd, int timeout_s, int armed_s, int nonblock);
void smtpd_io_free(struct smtpd_io *s);
/* smtpd_io_set_timeout - the read and write timeout from now on */
void smtpd_io_set_timeout(struct smtpd_io *s, int timeout_s);
/* smtpd_io_read_line - next line or piece of one (at most limit bytes) into
 * line (replaced); *lf set when it ended in LF. A CR right before the
 * limit is kept for the next call. 1 ok, 0 EOF, -1 error or timeout
 * (smtpd_io_timed_out tells) */
int smtpd_io_read_line(struct smtpd_io *s, struct buf *line, size_t limit,
                       int *lf);
/* smtpd_io_read_view - the same, pointing into the read buffer when it can */
int smtpd_io_read_view(struct smtpd_io *s, struct buf *spill, size_t limit,
                       int *lf, const char **ptr, size_t *len);
/* smtpd_io_read_raw - at most max bytes of input as they come (a BDAT
 * chunk); *ptr into the read buffer, valid until the next read; 1, 0
 * EOF, -1 error or timeout */
int smtpd_io_read_raw(struct smtpd_io *s, size_t max, const char **ptr,
                      size_t *len);
/* smtpd_io_pending - unread input is buffered (a pipelined command) */
int smtpd_io_pending(struct smtpd_io *s);
/* smtpd_io_sleep - flush the replies, then wait ms milliseconds (less when
 * the client hangs up), without holding up the process's other sessions */
void smtpd_io_sleep(struct smtpd_io *s, int ms);
/* smtpd_io_peek - input waiting after the current line: the number of
 * buffered bytes (*data points at them); *more set when the socket or
 * the TLS layer holds unread input (reject_unauth_pipelining) */
size_t smtpd_io_peek(struct smtpd_io *s, const char **data, int *more);
/* smtpd_io_preload - input the smtpd front already read, to be processed
 * before anything else (at most 16 KB; call before the first read) */
void smtpd_io_preload(struct smtpd_io *s, const char *data, size_t len);
/* smtpd_io_discard_input - drop buffered input (after STARTTLS) */
void smtpd_io_discard_input(struct smtpd_io *s);
void smtpd_io_printf(struct smtpd_io *s, const char *fmt, ...)
    UTIL_PRINTF(2, 3);
/* smtpd_io_flush - write buffered replies; 0 or -1 */
int smtpd_io_flush(struct smtpd_io *s);
int smtpd_io_timed_out(const struct smtpd_io *s);
/* smtpd_io_set_output - write replies to another fd (sendmail -bs) */
void smtpd_io_set_output(struct smtpd_io *s, int fd);
/* smtpd_io_interruptible - while on, a stop request (SIGTERM/SIGHUP) ends a
 * wait for input with -1 and smtpd_io_stopped() true; off during DATA, so a
 * message in progress is finished */
void smtpd_io_interruptible(struct smtpd_io *s, int on);
int smtpd_io_stopped(const struct smtpd_io *s);
/* smtpd_io_tls_ctx - server context from cert/key files with the service's
 * TLS protocol and cipher policy (server_tls.h; mandatory: the level is
 * encrypt). NULL and in err the whole warning to log on failure */
void *smtpd_io_tls_ctx(const struct server *srv, int mandatory,
                       const char *cert, const char *key, char *err,
                       size_t len);
/* smtpd_io_starttls - handshake as server; 0, SIO_TLS_LOST (the client
 * went away during it) or SIO_TLS_ERROR (message in err) */
#define SIO_TLS_ERROR (-1)
#define SIO_TLS_LOST  (-2)
int smtpd_io_starttls(struct smtpd_io *s, void *ctx, char *err, size_t len);
/* smtpd_io_tls_info - "TLSv1.3 with cipher X (256/256 bits)" or NULL */
const char *smtpd_io_tls_info(struct smtpd_io *s);
const char *smtpd_io_tls_version(struct smtpd_io *s);
/* smtpd_io_tls_summary - Postfix's log summary: the above and, for TLS 1.3,
 * " key-exchange X25519 server-signature ECDSA (prime256v1)
 * server-digest SHA256"; in out, or NULL without TLS */
const char *smtpd_io_tls_summary(struct smtpd_io *s, char *out, size_t len);

/* ---- the session ---- */
struct smtpd_cmdstat {
    const char *name;
    unsigned ok, total;
};

/* smtpd_dns_fn - one DNS lookup for the restrictions (a dns_status;
 * records appended to out); smtpd_check_dns.c has the real one, the
 * unit test a table */
struct smtpd_conf;
typedef int smtpd_dns_fn(struct smtpd_conf *cf, const char *name, int type,
                         struct strv *out);

/* the reply codes and actions of the restrictions (Postfix parameters) */
struct smtpd_codes {
    int unk_client;   /* unknown_client_reject_code */
    int bad_name;     /* invalid_hostname_reject_code */
    int unk_name;     /* unknown_hostname_reject_code */
    int unk_addr;     /* unknown_address_reject_code */
    int relay;        /* relay_domains_reject_code */
    int access;       /* access_map_reject_code */
    int access_defer; /* access_map_defer_code */
    int reject;       /* reject_code */
    int defer;        /* defer_code */
    int non_fqdn;     /* non_fqdn_reject_code */
    int local_rcpt;   /* unknown_local_recipient_reject_code */
    int mul_rcpt;     /* multi_recipient_bounce_reject_code */
    int plaintext;    /* plaintext_reject_code */
    int maps_rbl;     /* maps_rbl_reject_code */
    int relay_rcpt;   /* unknown_relay_recipient_reject_code */
    int virt_mailbox; /* unknown_virtual_mailbox_reject_code */
    int virt_alias;   /* unknown_virtual_alias_reject_code */
    int unk_addr_tf;  /* unknown_address_tempfail_action: 1 defer_if_permit,
                       * 0 defer */
    int unk_name_tf;  /* unknown_helo_hostname_tempfail_action */
    int soft_bounce;
    int show_table;   /* show_user_unknown_table_name */
    int parent_style; /* smtpd_access_maps in parent_domain_matches_subdomains
                       */
    int sasl;         /* smtpd_sasl_auth_enable */
    int rej_unl_rcpt; /* smtpd_reject_unlisted_recipient */
    int rej_unl_from; /* smtpd_reject_unlisted_sender */
};

struct smtpd_conf {
    struct server *srv;
    struct rewrite *rw;
    struct maps_match *mynetworks;
    struct maps_match *bare_nl_excl;
    struct maps_match *event_excl;
    struct maps *local_rcpt_maps;     /* NULL when the check is off */
    struct maps_match *forbidden;     /* smtpd_forbidden_commands */
    struct maps_match *flush_domains; /* fast_flush_domains (ETRN) */
    struct strv r_client, r_helo, r_sender, r_relay, r_rcpt, r_data, r_eod;
    struct htab *classes; /* smtpd_restriction_classes: name -> strv */
    struct smtpd_codes code;
    char *null_key;                      /* smtpd_null_access_lookup_key */
    struct maps_match *perm_mx_networks; /* NULL when empty */
    struct maps *rbl_reply_maps;         /* or NULL */
    char *default_rbl_reply;             /* not expanded */
    char *policy_default; /* smtpd_policy_service_default_action */
    char *policy_context; /* smtpd_policy_service_policy_context */
    int policy_timeout;   /* smtpd_policy_service_timeout, s */
    int policy_tries;     /* smtpd_policy_service_try_limit */
    int policy_delay;     /* smtpd_policy_service_retry_delay, s */
    char *queue_dir;
    char *compat_level;
    unsigned long policy_seq;       /* for the instance attribute */
    struct maps *relay_rcpt_maps;   /* relay_recipient_maps, or NULL */
    struct maps *virt_mailbox_maps; /* virtual_mailbox_maps, or NULL */
    struct maps *rcpt_alias_maps;   /* canonical and virtual alias tables, or
                                     * NULL */
    struct strv resolvers; /* $POSTERN_DNS_RESOLVERS; none: resolv.conf */
    struct strv own_addrs, proxy_addrs; /* inet_interfaces, proxy_... */
    int own_all;                        /* inet_interfaces = all */
    int families; /* inet_protocols: 1 IPv4, 2 IPv6, 3 both */
    smtpd_dns_fn *dns;
    char *myhostname;
    char *banner;
    char *mail_name;
    char *recipient_delimiter;
    long size_limit;
    long rcpt_limit;
    long rcpt_overlim; /* smtpd_recipient_overshoot_limit */
    long timeout;
    char *cleanup_service; /* cleanup_service_name */
    long line_limit;
    long conn_limit;
    long hard_error_limit;
    long soft_error_limit;
    long error_sleep_ms; /* smtpd_error_sleep_time */
    long junk_cmd_limit; /* smtpd_junk_command_limit */
    int delay_reject;
    int peername_lookup;
    char *proxy_protocol;    /* smtpd_upstream_proxy_protocol: "" or haproxy */
    long proxy_timeout;      /* smtpd_upstream_proxy_timeout */
    unsigned proxy_families; /* HAPROXY_IPV4|6: inet_protocols */
    int bare_nl;             /* 0 no, 1 normalize, 2 reject */
    int bare_nl_code;
    int tls_level; /* 0 none, 1 may, 2 encrypt */
    int wrapper;   /* smtpd_tls_wrappermode: TLS from the first byte */
    long tls_loglevel;
    void *tls_ctx;
    int disable_vrfy;
    int strict_utf8; /* strict_smtputf8 */
    int utf8_enable; /* smtputf8_enable */
    int helo_required;
    int allow_untrusted_routing;
    char *double_bounce;       /* double_bounce_sender */
    struct htab *access_cache; /* "type:name" -> struct maps * */
    int warned_unknown;
    struct smtpd_sasl_conf *sasl; /* SMTP AUTH (smtpd_sasl.c) */
    struct smtpd_milter *milter;  /* smtpd_milters, or NULL */
};

/* a pending defer_if_permit or defer_if_reject (Postfix's SMTPD_DEFER) */
struct smtpd_defer {
    int active;
    int code;
    char dsn[16];
    char reason[600];
};

/* client name lookup results (Postfix's SMTPD_PEER_CODE_*) */
#define SMTPD_PEER_OK     2
#define SMTPD_PEER_TEMP   4
#define SMTPD_PEER_PERM   5
#define SMTPD_PEER_FORGED 6

struct smtpd_session {
    struct smtpd_conf *cf;
    struct smtpd_io *io;
    struct cleanup_client *cc;
    char addr[64];
    char name[256];
    char namaddr[340]; /* name[addr] */
    char *helo;
    int esmtp;
    int tls;
    int in_mynetworks; /* 1, 0, -1: mynetworks could not be read */
    char port[8];      /* client port */
    char server_addr[64], server_port[8];
    char reverse_name[256]; /* PTR name, not forward-confirmed, or unknown */
    int name_status;        /* SMTPD_PEER_* of name */
    int reverse_status;     /* SMTPD_PEER_* of reverse_name */
    int ill_pipelining;     /* a command came before our reply was due */
    int hangup;             /* the upstream proxy's header was bad: 421 */
    int access_denied;      /* client rejected at connect (delay_reject=no) */
    struct smtpd_defer dif_permit, dif_reject;
    int dip_client, dip_helo, dip_sender; /* defer_if_permit per stage */
    /* transaction */
    int have_mail;
    char *sender;
    struct queue_env env;
    char id[QUEUE_ID_SIZE];
    int cleanup_open;
    long size_param;
    uint32_t body_flags;
    unsigned rcpt_count;
    unsigned rcpt_overshoot; /* RCPTs over smtpd_recipient_limit */
    char *last_rcpt;         /* the last RCPT's address (internal form) */
    int bdat;                /* BDAT_NONE, BDAT_OPEN, BDAT_ERROR */
    long bdat_raw;           /* chunk bytes so far */
    long bdat_size;          /* the same with CRLF line ends (replies) */
    int bdat_cr;             /* the last chunk ended in CR */
    int bdat_nl;             /* the last byte passed on was LF */
    int errors;
    const char *last_cmd;
    struct smtpd_cmdstat stats[16];
    int nstats;
    unsigned cmds_ok, cmds_total;
    int quit;
    long junk_cmds; /* HELO/EHLO/RSET/NOOP/VRFY/ETRN so far */
    /* SMTP AUTH: NULL until a login succeeds (sasl_sender: MAIL's
     * AUTH=, NULL without one); the backend in sasl (smtpd_sasl.c) */
    char *sasl_method, *sasl_username, *sasl_sender;
    struct smtpd_sasl *sasl;
    struct buf *milter_data;         /* the message held for the milters */
    struct milter_sess *milter_sess; /* smtpd_milters, this session */
    int milter_flags; /* SMTPD_MILTER_DISCARD/_HOLD from a stage */
};

/* smtpd_banner_text - the text after "220 " (smtpd_banner, or Postern's
 * default); caller frees */
char *smtpd_banner_text(struct server *srv);
/* smtpd_session_run - one whole session reading commands from in and
 * writing replies to out, with srv's configuration (loaded at the first
 * call, kept after): the entry of fuzz/fuzz_smtpd.c */
void smtpd_session_run(struct server *srv, int in, int out);
/* smtpd_front_main - the front process of an smtpd inet service
 * (smtpd_front.c); returns the exit status */
int smtpd_front_main(struct server *srv);

/* smtpd_check_rcpt - every restriction list that applies at RCPT time;
 * rcpt canonical, shown the address as sent (internal form: what the
 * resolver and the replies use); 0 accept, else reply text written to
 * reply (e.g. "554 5.7.1 ...") */
int smtpd_check_rcpt(struct smtpd_session *s, const char *rcpt,
                     const char *shown, char *reply, size_t len);
/* smtpd_check_vrfy - the same for a VRFY argument */
int smtpd_check_vrfy(struct smtpd_session *s, const char *rcpt,
                     const char *shown, char *reply, size_t len);
/* smtpd_check_data - smtpd_data_restrictions */
int smtpd_check_data(struct smtpd_session *s, char *reply, size_t len);
/* smtpd_check_eod - smtpd_end_of_data_restrictions */
int smtpd_check_eod(struct smtpd_session *s, char *reply, size_t len);
/* smtpd_check_load - the restriction settings of cf->srv into cf
 * (classes, reply codes, DNS); fatal as Postfix for a class without a
 * definition or a bad tempfail action */
void smtpd_check_load(struct smtpd_conf *cf);
/* smtpd_dns_lookup - the real smtpd_dns_fn (lib/services/dns through a thread)
 */
int smtpd_dns_lookup(struct smtpd_conf *cf, const char *name, int type,
                     struct strv *out);
/* DNS block lists (smtpd_check_rbl.c) */
struct smtpd_rbl_vars {
    struct smtpd_session *s;
    const char *domain; /* the list, without "=filter" */
    const char *txt;    /* its TXT reason, or "" */
    const char *cls;    /* "Client host", "Sender address", ... */
    const char *what;   /* what was looked up, as shown */
    const char *sender, *recipient;
};
/* smtpd_rbl_query - qname under list ("domain[=filter]"): 1 listed (its
 * TXT in txt), 0 not, -1 the lookup failed */
int smtpd_rbl_query(struct smtpd_conf *cf, const char *list, const char *qname,
                    char *txt, size_t len);
/* smtpd_rbl_reverse - the query name of an address; 0 or -1 */
int smtpd_rbl_reverse(const char *addr, char *out, size_t len);
/* smtpd_rbl_reply - "CODE [X.Y.Z] text" from the list's template */
struct buf;
void smtpd_rbl_reply(struct smtpd_conf *cf, const char *list,
                     const struct smtpd_rbl_vars *v, struct buf *out);
/* smtpd_policy_query - one policy request to server ("inet:host:port",
 * "unix:path"); the action in action; 0, or -1 with the reason in err */
int smtpd_policy_query(const char *server, const char *qdir, int timeout,
                       const char *request, struct buf *action, char *err,
                       size_t errlen);
/* smtpd_own_addr - addr is an address of inet_interfaces (any interface's
 * for "all") or proxy_interfaces */
int smtpd_own_addr(struct smtpd_conf *cf, const char *addr);
/* smtpd_filter_env - content_filter into s->env unless a FILTER action
 * set one (smtpd_filter.c, issue 19) */
void smtpd_filter_env(struct smtpd_session *s);
/* smtpd_filter_flags - receive_override_options as CLEANUP_FLAG_* bits */
unsigned smtpd_filter_flags(const struct smtpd_conf *cf);
/* smtpd_conf_load - the whole configuration of srv (smtpd.c) */
struct smtpd_conf *smtpd_conf_load(struct server *srv);
/* smtpd_proto - "SMTP", "ESMTP", "ESMTPS", ... for log lines */
const char *smtpd_proto(const struct smtpd_session *s);
/* smtpd_check_stage - the client, helo or sender list at its own command
 * (smtpd_delay_reject=no); arg: "EHLO" or "HELO" for the helo list */
int smtpd_check_stage(struct smtpd_session *s, int stage, const char *arg,
                      char *reply, size_t len);
/* smtpd_resolve - an address as the client sent it (internal form),
 * canonicalized and resolved as Postfix's smtpd_resolve_addr(); 0 or -1
 * on a table error */
struct rewrite_result;
int smtpd_resolve(struct smtpd_session *s, const char *addr,
                  struct rewrite_result *res);
/* smtpd_local_user_ok - local_recipient_maps for the resolved address:
 * 1 known (or not local), 0 unknown, -1 table error */
int smtpd_local_user_ok(struct smtpd_session *s, const char *rcpt);
/* ---- the restriction names (smtpd_restr.c) ---- */
enum smtpd_rid {
    R_PERMIT = 1,
    R_REJECT,
    R_DEFER,
    R_WARN_IF_REJECT,
    R_DEFER_IF_PERMIT,
    R_DEFER_IF_REJECT,
    R_SLEEP,
    R_UNAUTH_PIPELINING,
    R_PLAINTEXT,
    R_UNK_CLIENT,
    R_UNK_REV_CLIENT,
    R_INET_INTERFACES,
    R_MYNETWORKS,
    R_CLIENT_ACCESS,
    R_REV_CLIENT_ACCESS,
    R_CLIENT_MX,
    R_CLIENT_NS,
    R_CLIENT_A,
    R_REV_CLIENT_MX,
    R_REV_CLIENT_NS,
    R_REV_CLIENT_A,
    R_HELO_ACCESS,
    R_HELO_MX,
    R_HELO_NS,
    R_HELO_A,
    R_INVALID_HELO,
    R_UNK_HELO,
    R_NON_FQDN_HELO,
    R_NAKED_IP,
    R_SENDER_ACCESS,
    R_SENDER_MX,
    R_SENDER_NS,
    R_SENDER_A,
    R_UNK_SENDER,
    R_NON_FQDN_SENDER,
    R_UNLISTED_SENDER,
    R_AUTH_LOGIN_MISMATCH,
    R_LOGIN_MISMATCH,
    R_KNOWN_LOGIN_MISMATCH,
    R_UNAUTH_LOGIN_MISMATCH,
    R_RCPT_ACCESS,
    R_RCPT_MX,
    R_RCPT_NS,
    R_RCPT_A,
    R_UNK_RCPT,
    R_NON_FQDN_RCPT,
    R_UNLISTED_RCPT,
    R_MX_BACKUP,
    R_AUTH_DEST,
    R_UNAUTH_DEST,
    R_DEFER_UNAUTH_DEST,
    R_MULTI_BOUNCE,
    R_ETRN_ACCESS,
    R_SASL_AUTH,
    R_SASL_ACCESS,
    R_TLS_CLIENTCERTS,
    R_RBL_CLIENT,
    R_RHSBL_CLIENT,
    R_RHSBL_REV_CLIENT,
    R_RHSBL_HELO,
    R_RHSBL_SENDER,
    R_RHSBL_RCPT,
    R_DNSWL_CLIENT,
    R_RHSWL_CLIENT,
    R_POLICY,
    R_NOT_IMPLEMENTED,
};

#define SMTPD_RF_TABLE  0x01u /* the next word is type:table */
#define SMTPD_RF_ARG    0x02u /* the next word is an argument */
#define SMTPD_RF_NUM    0x04u /* the next word is a number */
#define SMTPD_RF_NOIMPL 0x08u /* Postern does not implement it */
#define SMTPD_RF_LAST   0x10u /* what follows it is never reached */

struct smtpd_restr {
    const char *name;
    enum smtpd_rid id;
    unsigned flags;
    const char *why; /* NOIMPL: what Postern lacks; else NULL */
};

/* smtpd_restr_find - a restriction by name (case-insensitive), or NULL */
const struct smtpd_restr *smtpd_restr_find(const char *name);

/* ---- the session's commands (smtpd.c and the files of its jobs) ---- */

/* struct smtpd_session.bdat */
#define SMTPD_BDAT_NONE  0 /* no chunk yet */
#define SMTPD_BDAT_OPEN  1 /* chunks on their way to cleanup */
#define SMTPD_BDAT_ERROR 2 /* a chunk was refused: the rest until LAST too */

/* an address as the client sent it, for Postfix's "Illegal address
 * syntax" warning */
struct smtpd_path_tok {
    const char *p; /* the address as sent, <> included */
    int n;
};

/* smtpd.c: per-command counts, the transaction, the reject line */
void smtpd_stat_count(struct smtpd_session *s, const char *name, int ok);
void smtpd_reset_transaction(struct smtpd_session *s);
void smtpd_log_reject(struct smtpd_session *s, const char *stage,
                      const char *reply, const char *to);
/* smtpd_milter.c: the smtpd_milters hooks around cleanup_client_env,
 * _data and _end (SMTPD_MILTER_REPLIED: the verdict is answered) */
#define SMTPD_MILTER_REPLIED 1000
void smtpd_milter_load(struct smtpd_conf *cf);
int smtpd_milter_env(struct smtpd_session *s);
int smtpd_milter_data(struct smtpd_session *s, const char *p, size_t n);
int smtpd_milter_end(struct smtpd_session *s);
void smtpd_milter_reset(struct smtpd_session *s);
/* the SMTP stages (smtpd_milter.c): connect 0 (greet), 1 (greeted
 * with a 554; greeted: the front said 220), -1 (421 said: hang up);
 * mail and rcpt 0, or -1 when refused (reply written and logged); helo
 * only logs (Postfix answers a milter's HELO verdict at MAIL) but for a
 * 421 (-1). After a 421 the session ends (s->quit). */
#define SMTPD_MILTER_DISCARD 1
#define SMTPD_MILTER_HOLD    2
#define SMTPD_MILTER_INMSG   4 /* MAIL went to the milters */
int smtpd_milter_connect(struct smtpd_session *s, int greeted);
int smtpd_milter_helo(struct smtpd_session *s, int ehlo);
int smtpd_milter_mail(struct smtpd_session *s);
int smtpd_milter_rcpt(struct smtpd_session *s, const char *rcpt,
                      const char *shown);
/* smtpd_milter_data_cmd - the DATA command (not BDAT): 0, or -1 when
 * refused (replied, logged, counted) */
int smtpd_milter_data_cmd(struct smtpd_session *s);
void smtpd_milter_disconnect(struct smtpd_session *s);
/* smtpd_conf.c: mail_name for banners and Received: (caller frees) */
char *smtpd_mail_name(struct server *srv);
/* smtpd_mail.c: MAIL FROM, RCPT TO, the illegal-address warning */
void smtpd_cmd_mail(struct smtpd_session *s, const char *arg);
void smtpd_cmd_rcpt(struct smtpd_session *s, const char *arg);
void smtpd_illegal_addr(struct smtpd_session *s, const char *cmd,
                        const struct smtpd_path_tok *tok);
/* smtpd_data.c: DATA and BDAT; -1 when the connection must end */
int smtpd_cmd_data(struct smtpd_session *s);
int smtpd_cmd_bdat(struct smtpd_session *s, char *arg, const char *raw);
/* smtpd_misc.c: HELO/EHLO, VRFY, ETRN; STARTTLS -1 when the connection
 * must end */
void smtpd_cmd_helo(struct smtpd_session *s, const char *arg, int ehlo);
void smtpd_cmd_vrfy(struct smtpd_session *s, char *arg);
void smtpd_cmd_etrn(struct smtpd_session *s, const char *arg);
int smtpd_cmd_starttls(struct smtpd_session *s);
/* smtpd_tls_wrapper - smtpd_tls_wrappermode: the TLS handshake before
 * the greeting; -1 when the session must end (logged) */
int smtpd_tls_wrapper(struct smtpd_session *s);

/* ---- SMTP AUTH (smtpd_sasl.c, smtpd_sasl_dovecot.c) ---- */

/* smtpd_sasl_conf_load - the smtpd_sasl_* settings into cf->sasl;
 * fatal for a bad security option or an unknown smtpd_sasl_type */
void smtpd_sasl_conf_load(struct smtpd_conf *cf);
/* smtpd_sasl_ehlo - the AUTH (and AUTH=) lines of an EHLO reply, when
 * the rules allow: auth enabled, not an exception network, TLS when
 * smtpd_tls_auth_only, a backend that offers mechanisms */
void smtpd_sasl_ehlo(struct smtpd_session *s);
/* smtpd_cmd_auth - the AUTH command; -1 when the connection is lost */
int smtpd_cmd_auth(struct smtpd_session *s, const char *arg);
/* smtpd_sasl_mail_opt - MAIL's AUTH=value (xtext); NULL or a reply */
const char *smtpd_sasl_mail_opt(struct smtpd_session *s, const char *value);
/* smtpd_sasl_tls_started - STARTTLS done: mechanisms filtered again with
 * smtpd_sasl_tls_security_options, a login forgotten */
void smtpd_sasl_tls_started(struct smtpd_session *s);
/* smtpd_sasl_session_end - the backend connection and the login go */
void smtpd_sasl_session_end(struct smtpd_session *s);
/* smtpd_sasl_disable - no SMTP AUTH whatever main.cf says (sendmail
 * -bs: Postfix's stand-alone mode) */
void smtpd_sasl_disable(struct smtpd_conf *cf);
/* smtpd_sasl_enabled - smtpd_sasl_auth_enable */
int smtpd_sasl_enabled(const struct smtpd_conf *cf);
/* smtpd_sasl_login_maps - smtpd_sender_login_maps, or NULL */
struct maps *smtpd_sasl_login_maps(const struct smtpd_conf *cf);
/* smtpd_sasl_auth_header - smtpd_sasl_authenticated_header */
int smtpd_sasl_auth_header(const struct smtpd_conf *cf);
/* smtpd_printable - Postfix's printable(s, '?') in place; returns s */
char *smtpd_printable(char *s);

/* what a backend returns (Postfix's XSASL_AUTH_*) */
#define SMTPD_SASL_MORE 1 /* a challenge in reply */
#define SMTPD_SASL_DONE 2 /* logged in */
#define SMTPD_SASL_FAIL 3 /* refused: the reason in reply */
#define SMTPD_SASL_TEMP 4 /* the backend failed: the reason in reply */

/* mechanism properties (Postfix's SEC_PROPS_*): the "no" ones exclude a
 * mechanism that has the property, the others require it */
#define SMTPD_SASL_NOPLAINTEXT  0x01u
#define SMTPD_SASL_NOACTIVE     0x02u
#define SMTPD_SASL_NODICTIONARY 0x04u
#define SMTPD_SASL_NOANONYMOUS  0x08u
#define SMTPD_SASL_FWD_SECRECY  0x10u
#define SMTPD_SASL_MUTUAL_AUTH  0x20u
#define SMTPD_SASL_PRIVATE      0x40u
#define SMTPD_SASL_NEG_MASK     0x0fu
#define SMTPD_SASL_POS_MASK     0x30u
#define SMTPD_SASL_MAX_MECHS    32

/* the mechanisms a backend offers, with their properties */
struct smtpd_sasl_mechs {
    char *name[SMTPD_SASL_MAX_MECHS];
    unsigned props[SMTPD_SASL_MAX_MECHS];
    int n;
    int have_mech; /* a MECH line came (Dovecot's handshake) */
};
void smtpd_sasl_mechs_fini(struct smtpd_sasl_mechs *m);
/* smtpd_sasl_sec_opts - Postfix's security option words into a mask; 0,
 * or -1 with the unknown word in bad */
int smtpd_sasl_sec_opts(const char *opts, unsigned *mask, char *bad,
                        size_t len);
/* smtpd_sasl_mech_filter - the names of m that opts allow, space
 * separated, into out (replaced) */
void smtpd_sasl_mech_filter(const struct smtpd_sasl_mechs *m, unsigned opts,
                            struct buf *out);

/* Dovecot's auth protocol (smtpd_sasl_dovecot.c) */
struct smtpd_dovecot;
struct smtpd_dovecot_req {
    const char *mech, *service, *lip, *rip;
    int tls;
    const char *resp; /* initial response (base64), or NULL */
};
/* smtpd_dovecot_connect - connect and shake hands (path: "unix:",
 * "inet:" or relative to qdir); the mechanisms into m; NULL after a
 * logged warning */
struct smtpd_dovecot *smtpd_dovecot_connect(const char *path, const char *qdir,
                                            struct smtpd_sasl_mechs *m);
void smtpd_dovecot_free(struct smtpd_dovecot *d);
/* smtpd_dovecot_auth, _cont - one request or continuation: SMTPD_SASL_*;
 * reply: the challenge or the reason; *user (caller frees): who */
int smtpd_dovecot_auth(struct smtpd_dovecot *d, unsigned id,
                       const struct smtpd_dovecot_req *rq, struct buf *reply,
                       char **user);
int smtpd_dovecot_cont(struct smtpd_dovecot *d, const char *resp,
                       struct buf *reply, char **user);
/* smtpd_dovecot_handshake_line - one handshake line (no newline,
 * changed in place): 0 read on, 1 DONE, -1 failed (logged) */
int smtpd_dovecot_handshake_line(struct smtpd_sasl_mechs *m, char *line);
/* smtpd_dovecot_reply_line - one line after AUTH or CONT: 0 not the
 * reply to request id, else SMTPD_SASL_MORE/DONE/FAIL */
int smtpd_dovecot_reply_line(unsigned id, char *line, struct buf *reply,
                             char **user);

/* Cyrus SASL (smtpd_sasl_cyrus.c) */
struct smtpd_cyrus;
struct smtpd_cyrus_args {
    const char *service, *realm;
    const char *lip, *lport, *rip, *rport;
    unsigned opts; /* SMTPD_SASL_NO* ... */
};
/* smtpd_cyrus_init - once per process: libsasl2 with application name app
 * and its configuration under confpath (NULL: libsasl2's default); 0 or
 * -1 (logged) */
int smtpd_cyrus_init(const char *app, const char *confpath);
/* smtpd_cyrus_new - a server connection; its mechanisms into mechs;
 * NULL after a logged warning */
struct smtpd_cyrus *smtpd_cyrus_new(const struct smtpd_cyrus_args *a,
                                    struct buf *mechs);
void smtpd_cyrus_free(struct smtpd_cyrus *c);
/* smtpd_cyrus_step - sasl_server_start (mech) or _step (mech NULL) with
 * the base64 response resp (NULL: none); SMTPD_SASL_*, the challenge or
 * the reason in reply, *user (caller frees) */
int smtpd_cyrus_step(struct smtpd_cyrus *c, const char *mech, const char *resp,
                     struct buf *reply, char **user);

/* stages */
#define SMTPD_ST_CLIENT 0
#define SMTPD_ST_HELO   1
#define SMTPD_ST_SENDER 2
#define SMTPD_ST_RELAY  3
#define SMTPD_ST_RCPT   4
#define SMTPD_ST_DATA   5
#define SMTPD_ST_EOD    6

/* smtpd_haproxy.c: smtpd_upstream_proxy_protocol = haproxy. Reads the
 * PROXY header (v1 or v2) within smtpd_upstream_proxy_timeout and
 * takes the client it names (smtpd_peer_proxied); 0, or -1 with
 * Postfix's warning "haproxy read: ..." logged */
int smtpd_haproxy(struct smtpd_session *s);
/* smtpd_haproxy_conf - smtpd_upstream_proxy_protocol, _timeout and the
 * families inet_protocols allows, into cf */
void smtpd_haproxy_conf(struct smtpd_conf *cf, struct server *srv);
/* smtpd_peer_proxied - the client address, port, server address and port
 * that the upstream proxy names; names looked up as for a direct one */
void smtpd_peer_proxied(struct smtpd_session *s, const char *addr,
                        const char *port, const char *server_addr,
                        const char *server_port);

#endif
