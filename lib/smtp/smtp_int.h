/*
 * smtp_int - private declarations of lib/smtp (nothing outside includes it).
 */
#ifndef SMTP_SMTP_INT_H
#define SMTP_SMTP_INT_H

#include <stddef.h>

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

enum sio_err {
    SIO_OK = 0,
    SIO_TIMEOUT,  /* no reply in time */
    SIO_LOST,     /* EOF or reset */
    SIO_PROTOCOL, /* malformed reply */
};

struct smtp_reply {
    int code;          /* 250; 0 when none */
    char dsn[16];      /* enhanced status code, or derived from code */
    struct buf text;   /* every line, joined with a space */
    struct strv lines; /* text after "250-" / "250 " per line */
};

struct sconn;

/* sconn_connect - TCP connection to addr:port within timeout seconds,
 * from bind_addr when not empty and of addr's family (when that bind
 * fails: a warning, and no bind unless enforce). NULL with Postfix's
 * wording in err ("Connection refused", "Connection timed out"), and
 * *bind_failed set when it was the enforced bind. */
struct sconn *sconn_connect(const char *addr, unsigned port,
                            const char *bind_addr, int enforce, int timeout,
                            struct buf *err, int *bind_failed);
/* sconn_adopt - a connection on an open descriptor (the fuzzer feeds
 * replies from a memory file); sconn_free closes it */
struct sconn *sconn_adopt(int fd);
/* sconn_free - close (NULL is fine) */
void sconn_free(struct sconn *c);
/* sconn_timeout - set the timeout (seconds) of the next stage */
void sconn_timeout(struct sconn *c, int secs);
/* sconn_printf - queue a command line (CRLF added) */
void sconn_printf(struct sconn *c, const char *fmt, ...) UTIL_PRINTF(2, 3);
/* sconn_write - queue raw bytes */
void sconn_write(struct sconn *c, const char *p, size_t n);
/* sconn_flush - write what is queued; SIO_OK or an error */
enum sio_err sconn_flush(struct sconn *c) WARN_UNUSED;
/* sconn_reply - flush, then read one (multi-line) reply into r */
enum sio_err sconn_reply(struct sconn *c, struct smtp_reply *r) WARN_UNUSED;
/* What the TLS handshake found out about the server. */
struct sconn_peer {
    int trusted;   /* the chain verified against the CA settings */
    int matched;   /* the certificate matched one of the names */
    char why[300]; /* why not, in Postfix's words: "untrusted issuer
                    * /CN=x", "num=62:hostname mismatch" */
};
/* sconn_starttls - TLS handshake on c (after "220" to STARTTLS), with
 * the server name sni (NULL: none). It succeeds whatever the
 * certificate; peer says whether the chain verified and (when names,
 * space separated, is not NULL or "") whether it matched a name. 0, or
 * -1 with a reason in err. */
struct ssl_ctx_st;
int sconn_starttls(struct sconn *c, struct ssl_ctx_st *ctx, const char *sni,
                   const char *names, struct sconn_peer *peer, struct buf *err);
/* sconn_tls_info - Postfix's summary ("TLSv1.3 with cipher X (256/256
 * bits) key-exchange X25519 server-signature ...") or NULL */
const char *sconn_tls_info(const struct sconn *c);
/* sconn_tls_ctx_new - client context; CA file/path may be ""; the
 * system's CAs too when append_default; NULL on error */
struct ssl_ctx_st *sconn_tls_ctx_new(const char *cafile, const char *capath,
                                     int append_default);
void sconn_tls_ctx_free(struct ssl_ctx_st *ctx);
/* sconn_fd - the socket */
int sconn_fd(const struct sconn *c);

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
int smtp_sasl_lookup(struct smtp_sasl *a, const char *sender,
                     const char *host, const char *nexthop, struct buf *cred,
                     struct buf *err);
/*
 * smtp_sasl_authenticate - AUTH on c with one of mechs (the server's
 * EHLO AUTH list); tls: 0 plain text, 1 TLS, 2 TLS with a verified
 * certificate (which security options apply). name is "host[addr]",
 * relay "host[addr]:port". 1 authenticated, 0 nothing to do (no
 * credentials: the mail goes without AUTH, as in Postfix), -1 failed
 * with Postfix's reason in why, dsn and *status (4: defer, 5: bounce).
 */
int smtp_sasl_authenticate(struct smtp_sasl *a, struct sconn *c,
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

#endif
