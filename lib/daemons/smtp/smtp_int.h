/*
 * smtp_int - private declarations of lib/daemons/smtp (nothing outside includes
 * it).
 */
#ifndef SMTP_SMTP_INT_H
#define SMTP_SMTP_INT_H

#include <stddef.h>
#include <time.h>

#include "cleanup/cleanup.h"
#include "deliver/deliver.h"
#include "smtp/smtp.h"
#include "util/util.h"

/*
 * smtp_io - the client side of one SMTP connection: buffered output
 * (flushed before each wait for a reply, which is what PIPELINING
 * needs), reply parsing, per-stage timeouts (SO_RCVTIMEO/SO_SNDTIMEO,
 * so they hold for TLS too) and STARTTLS. The only user of OpenSSL's
 * SSL library (smtp_sasl.c uses its base64 only).
 */
#define SMTP_LINE_MAX  4096  /* one reply line (RFC 5321: 512) */
#define SMTP_REPLY_MAX 65536 /* a whole multi-line reply */

enum smtp_conn_err {
    SMTP_CONN_OK = 0,
    SMTP_CONN_TIMEOUT,  /* no reply in time */
    SMTP_CONN_LOST,     /* EOF or reset */
    SMTP_CONN_PROTOCOL, /* malformed reply */
};

struct smtp_reply {
    int code;          /* 250; 0 when none */
    char dsn[16];      /* enhanced status code, or derived from code */
    struct buf text;   /* every line, joined with a space */
    struct strv lines; /* text after "250-" / "250 " per line */
};

struct smtp_conn;

/* smtp_conn_connect - TCP connection to addr:port within timeout seconds,
 * from bind_addr when not empty and of addr's family (when that bind
 * fails: a warning, and no bind unless enforce). NULL with Postfix's
 * wording in err ("Connection refused", "Connection timed out"), and
 * *bind_failed set when it was the enforced bind. */
struct smtp_conn *smtp_conn_connect(const char *addr, unsigned port,
                                    const char *bind_addr, int enforce,
                                    int timeout, struct buf *err,
                                    int *bind_failed);
/* smtp_conn_connect_unix - a connection to a UNIX-domain socket (LMTP's
 * "unix:path"), the connect bounded by timeout seconds; NULL with the
 * reason in err ("No such file or directory", "Connection refused") */
struct smtp_conn *smtp_conn_connect_unix(const char *path, int timeout,
                                         struct buf *err);
/* smtp_conn_adopt - a connection on an open descriptor (the fuzzer feeds
 * replies from a memory file); smtp_conn_free closes it */
struct smtp_conn *smtp_conn_adopt(int fd);
/* smtp_conn_free - close (NULL is fine) */
void smtp_conn_free(struct smtp_conn *c);
/* smtp_conn_timeout - set the timeout (seconds) of the next stage */
void smtp_conn_timeout(struct smtp_conn *c, int secs);
/* smtp_conn_printf - queue a command line (CRLF added) */
void smtp_conn_printf(struct smtp_conn *c, const char *fmt, ...)
    UTIL_PRINTF(2, 3);
/* smtp_conn_write - queue raw bytes */
void smtp_conn_write(struct smtp_conn *c, const char *p, size_t n);
/* smtp_conn_flush - write what is queued; SMTP_CONN_OK or an error */
enum smtp_conn_err smtp_conn_flush(struct smtp_conn *c) WARN_UNUSED;
/* smtp_conn_reply - flush, then read one (multi-line) reply into r */
enum smtp_conn_err smtp_conn_reply(struct smtp_conn *c,
                                   struct smtp_reply *r) WARN_UNUSED;
/* What the TLS handshake found out about the server. */
struct smtp_conn_peer {
    int trusted;   /* the chain verified against the CA settings */
    int matched;   /* the certificate matched one of the names */
    char why[300]; /* why not, in Postfix's words: "untrusted issuer
                    * /CN=x", "num=62:hostname mismatch" */
};
/* smtp_conn_starttls - TLS handshake on c (after "220" to STARTTLS), with
 * the server name sni (NULL: none). It succeeds whatever the
 * certificate; peer says whether the chain verified and (when names,
 * space separated, is not NULL or "") whether it matched a name. 0, or
 * -1 with a reason in err. */
struct ssl_ctx_st;
int smtp_conn_starttls(struct smtp_conn *c, struct ssl_ctx_st *ctx,
                       const char *sni, const char *names,
                       struct smtp_conn_peer *peer, struct buf *err);
/* smtp_conn_tls_info - Postfix's summary ("TLSv1.3 with cipher X (256/256
 * bits) key-exchange X25519 server-signature ...") or NULL */
const char *smtp_conn_tls_info(const struct smtp_conn *c);
/* smtp_conn_tls_ctx_new - client context; CA file/path may be ""; the
 * system's CAs too when append_default; NULL on error */
struct ssl_ctx_st *smtp_conn_tls_ctx_new(const char *cafile, const char *capath,
                                         int append_default);
void smtp_conn_tls_ctx_free(struct ssl_ctx_st *ctx);
/* smtp_conn_fd - the socket */
int smtp_conn_fd(const struct smtp_conn *c);

/*
 * smtp_mime_downgrade - message text in (LF or CRLF line ends) to out
 * (LF line ends) for a server without 8BITMIME, as Postfix's
 * mime_state does with MIME_OPT_DOWNGRADE: parts whose
 * Content-Transfer-Encoding is 8bit or binary become quoted-printable
 * (leaf parts) or 7bit (multipart and message parts, which are walked);
 * everything else is copied as is.
 */
void smtp_mime_downgrade(const char *in, size_t len, struct buf *out);
/* smtp_mime_8bit - 1 when p has a byte with the high bit set */
int smtp_mime_8bit(const char *p, size_t n);

/*
 * smtp_sasl - the SMTP AUTH client (PLAIN and LOGIN, no Cyrus SASL):
 * smtp_sasl_password_maps, smtp_sasl_security_options (with TLS:
 * smtp_sasl_tls_security_options), smtp_sasl_mechanism_filter,
 * smtp_sender_dependent_authentication, smtp_sasl_auth_soft_bounce.
 */
struct smtp_sasl;
/* smtp_sasl_new - the settings; the password maps are read now (before
 * the privilege drop) */
struct smtp_sasl *smtp_sasl_new(const char *maps, const char *opts,
                                const char *tls_opts, const char *tlsv_opts,
                                const char *filter, int sender_dep,
                                int soft_bounce);
void smtp_sasl_free(struct smtp_sasl *a);
/* smtp_sasl_lookup - "user:password" for the sender (when sender
 * dependent: address, then "@domain"), the server's host name, then the
 * nexthop, into cred; 1 found, 0 none, -1 table error (text in err) */
int smtp_sasl_lookup(struct smtp_sasl *a, const char *sender, const char *host,
                     const char *nexthop, struct buf *cred, struct buf *err);
/*
 * smtp_sasl_authenticate - AUTH on c with one of mechs (the server's
 * EHLO AUTH list); tls: 0 plain text, 1 TLS, 2 TLS with a verified
 * certificate (which security options apply). name is "host[addr]",
 * relay "host[addr]:port". 1 authenticated, 0 nothing to do (no
 * credentials: the mail goes without AUTH, as in Postfix), -1 failed
 * with Postfix's reason in why, dsn and *status (4: defer, 5: bounce).
 */
int smtp_sasl_authenticate(struct smtp_sasl *a, struct smtp_conn *c,
                           const char *mechs, int tls, const char *sender,
                           const char *host, const char *nexthop,
                           const char *name, const char *relay, int timeout,
                           struct buf *why, char *dsn, int *status);
/* smtp_sasl_plain - base64 of "\0user\0pass" (the PLAIN response) */
void smtp_sasl_plain(const char *user, const char *pass, struct buf *out);
/* smtp_sasl_b64_decode - base64 text to bytes; 0 or -1 */
int smtp_sasl_b64_decode(const char *in, struct buf *out);

void smtp_reply_init(struct smtp_reply *r);
void smtp_reply_fini(struct smtp_reply *r);

/*
 * The agent: its settings (read before the privilege drop, smtp.c) and
 * the state of the request being delivered; and one session with a
 * server. Shared by the files of the agent (smtp.c, smtp_deliver.c,
 * smtp_dest.c, smtp_session.c, smtp_tls.c, smtp_trans.c).
 */
struct dns_targets;
struct server;
struct smtp_nexthop;

/* TLS_REFUSED: a level Postern cannot enforce (dane, dane-only,
 * fingerprint): every delivery is deferred, never sent with less security */
enum tls_level {
    TLS_REFUSED = -1,
    TLS_NONE,
    TLS_MAY,
    TLS_ENCRYPT,
    TLS_VERIFY,
    TLS_SECURE
};

struct session {
    struct smtp_conn *c;
    char *nexthop;
    char host[256];
    char addr[64];
    unsigned port;
    char name[400];  /* "host[addr]" */
    char relay[420]; /* "host[addr]:port" */
    int esmtp, pipelining, dsn, eightbit, smtputf8, starttls;
    unsigned long size_max;
    int has_size; /* the EHLO/LHLO reply had SIZE (with or without a
                   * limit): only then MAIL FROM carries SIZE=, as in
                   * Postfix (Dovecot's LMTP refuses it otherwise) */
    int uses;
    time_t started, last;
    int rset_pending; /* reused: RSET goes ahead of the next MAIL FROM */
    char auth[256];   /* the AUTH mechanisms of the EHLO reply */
    int has_auth;     /* the EHLO reply had AUTH (maybe with no names) */
    int tls_verified; /* TLS with a certificate that verified */
    int no_cache;     /* authenticated per sender: not for the next one */
};

struct agent {
    struct server *srv;
    /* LMTP mode (master.cf command "lmtp", as Postfix's smtp binary
     * under that name): lmtp_* parameters, LHLO, a reply per recipient
     * after DATA, "unix:path" and "inet:host:port" nexthops, no MX */
    int lmtp;
    char *myhostname; /* the host name of a "unix:" server (Postfix's) */
    char *helo_name;
    char *bind_addr, *bind_addr6;
    int bind_enforce; /* smtp_bind_address_enforce */
    enum tls_level tls;
    char tls_refused[300]; /* TLS_REFUSED: the deferral reason */
    int tls_loglevel;
    int connect_timeout, helo_timeout, mail_timeout, rcpt_timeout,
        data_init_timeout, data_xfer_timeout, data_done_timeout, quit_timeout,
        starttls_timeout, rset_timeout;
    int mx_address_limit, mx_session_limit;
    long reuse_count_limit, reuse_time_limit, cache_time_limit;
    int cache_on;
    unsigned families;
    int host_dns, host_native, dns_enabled;
    unsigned def_port;
    struct strv resolvers;
    struct ssl_ctx_st *tls_ctx;
    struct deliver_content msg;
    struct cleanup_hdr *hbc; /* issue 19: smtp_header/body_checks, or NULL */
    struct buf wire;
    struct buf conv;   /* the 7-bit version of msg, when needed */
    int no_mime_oconv; /* disable_mime_output_conversion */
    struct session *cached;
    struct smtp_generic *generic; /* issue 19: smtp_generic_maps, or NULL */
    struct buf generic_out;       /* the content with rewritten headers */
    struct strv verify_match, secure_match; /* smtp_tls_*_cert_match */
    char fail_relay[420];   /* host[addr]:port of the last failed session */
    char *servername;       /* smtp_tls_servername */
    struct smtp_sasl *sasl; /* smtp_sasl_auth_enable, else NULL */
    const char *sender;     /* of the request being delivered */
    const char *dest;       /* the nexthop or fallback relay tried */
    int sender_dep;         /* smtp_sender_dependent_authentication */
    int skip_5xx;           /* smtp_skip_5xx_greeting */
    int always_ehlo, never_ehlo;
    int defer_no_mx_addr; /* smtp_defer_if_no_mx_address_found */
    int addr_pref;        /* smtp_address_preference: 4, 6, 0 any */
    struct strv fallback; /* smtp_fallback_relay */
    int final;            /* try_host: a 5xx greeting ends the search */
    struct buf nonfinal;  /* the soft failure of the last server tried */
    const char *qid;      /* queue id of the request being delivered */
    char *relayhost;      /* relayhost, for its "configuration problem" */
    /* the server and reply behind the reason of the last failed session
     * when a server's reply was the reason (smtp_said_keep) */
    char said_mta[256];
    struct buf said_reply;
};

/* SMTP_PARAM - the name of a parameter in the agent's personality, as
 * Postfix's VAR_LMTP_SMTP(): both names are written out, so that the
 * reads are literal at the call site (tests/schema_honoured.py) */
#define SMTP_PARAM(ag, lmtp_name, smtp_name) \
    ((ag)->lmtp ? (lmtp_name) : (smtp_name))

/* smtp_deliver.c: one request, every recipient's result set and logged */
void smtp_deliver_one(struct agent *ag, struct deliver_req *req);
/* smtp_set_all - the same result for every recipient (only_pending:
 * those without an answer yet) */
void smtp_set_all(struct deliver_req *req, int only_pending, int status,
                  const char *dsn, const char *text);

/* smtp_dest.c */
/* smtp_is_ip - s is an IPv4 or IPv6 address */
int smtp_is_ip(const char *s);
/* smtp_open_session - a new session for nexthop; NULL after setting
 * every recipient's result */
struct session *smtp_open_session(struct agent *ag, struct deliver_req *req,
                                  const char *nexthop,
                                  const struct smtp_nexthop *nh);

/* smtp_open_unix - LMTP: a new session with the UNIX-domain socket path
 * (nexthop "unix:path"); NULL after setting every recipient's result */
struct session *smtp_open_unix(struct agent *ag, struct deliver_req *req,
                               const char *nexthop, const char *path);

/* smtp_session.c */
/* smtp_io_reason - Postfix's text for a broken conversation */
void smtp_io_reason(struct buf *b, enum smtp_conn_err e, const char *name,
                    const char *stage);
/* smtp_said - "host h[a] said: REPLY (in reply to X command)" */
void smtp_said(struct buf *b, const struct session *s,
               const struct smtp_reply *r, const char *cmd);
/* smtp_said_keep - the server and reply behind smtp_said's text of a
 * failed session, kept in ag for the recipients' typed result */
void smtp_said_keep(struct agent *ag, const struct session *s,
                    const struct smtp_reply *r);
/* smtp_status_of - DELIVER_* for a reply code */
int smtp_status_of(int code);
void smtp_session_free(struct session *s);
/* smtp_session_quit - QUIT (a short wait for its reply), then free */
void smtp_session_quit(struct agent *ag, struct session *s);
/* smtp_hello - EHLO (HELO when refused or ehlo is 0); 0, or -1 with a
 * reason, *dsn and *status set */
int smtp_hello(struct agent *ag, struct session *s, int ehlo,
               struct smtp_reply *r, struct buf *why, char *dsn, int *status);
/* smtp_try_host - a session with one address (port 0: addr is the path
 * of a UNIX-domain socket, LMTP); NULL with a reason */
struct session *smtp_try_host(struct agent *ag, const char *nexthop,
                              const char *nh_host, const char *host,
                              const char *addr, unsigned port, int plaintext,
                              struct buf *why, char *dsn, int *status,
                              int *greeted);
/* smtp_reusable - may the cached session take a request for nexthop? */
int smtp_reusable(struct agent *ag, struct session *s, const char *nexthop);

/* smtp_tls.c */
/* smtp_tls_level - smtp_tls_security_level's value; fatal when unknown */
enum tls_level smtp_tls_level(const char *v);
/* smtp_tls_setup - the TLS settings and client context (before the
 * privilege drop) */
void smtp_tls_setup(struct agent *ag, struct server *srv);
/* smtp_start_tls - STARTTLS and the level's checks, then EHLO again; 0,
 * or -1 with a reason, dsn and status (-2: "may" failed, try again in
 * plain text) */
int smtp_start_tls(struct agent *ag, struct session *s, const char *nh_host,
                   struct smtp_reply *r, struct buf *why, char *dsn,
                   int *status);

/* smtp_trans.c */
/* smtp_transaction - MAIL, RCPT..., DATA, content; 0 when the session
 * may be reused, -1 when not, -2 when a reused session was stale */
int smtp_transaction(struct agent *ag, struct session *s,
                     struct deliver_req *req);

/* smtp_generic.c (issue 19): smtp_generic_maps / lmtp_generic_maps.
 * smtp_generic_new - NULL when the parameter is empty */
struct smtp_generic;
struct smtp_generic *smtp_generic_new(struct agent *ag, struct server *srv);
void smtp_generic_free(struct smtp_generic *g);
/* smtp_generic_addr - the mapping of addr (internal form; caller frees),
 * or NULL when none (g NULL, "", no match, a table error: logged) */
char *smtp_generic_addr(struct smtp_generic *g, const char *addr);
/* smtp_generic_content - content with the addresses of its primary
 * address headers mapped, into out; 1 when anything changed */
int smtp_generic_content(struct smtp_generic *g, const char *p, size_t n,
                         struct buf *out);

#endif
