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
struct maps;
struct maps_match;
struct rewrite;
struct cleanup_client;

/* sessions a worker behind the front serves at once (coroutines, see
 * ARCHITECTURE.md "smtpd workers serve several sessions") */
#define SMTPD_SESSIONS_PER_PROCESS 16

/* ---- stream I/O with optional TLS (smtpd_io.c) ---- */
struct sio;
/* sio_new - armed_s: the seconds of SO_RCVTIMEO/SO_SNDTIMEO the socket
 * already holds (the front's listener passed them on), 0 unknown;
 * nonblock: the socket is non-blocking (from the front) */
struct sio *sio_new(int fd, int timeout_s, int armed_s, int nonblock);
void sio_free(struct sio *s);
/* sio_read_line - next line or piece of one (at most limit bytes) into
 * line (replaced); *lf set when it ended in LF. A CR right before the
 * limit is kept for the next call. 1 ok, 0 EOF, -1 error or timeout
 * (sio_timed_out tells) */
int sio_read_line(struct sio *s, struct buf *line, size_t limit, int *lf);
/* sio_read_view - the same, pointing into the read buffer when it can */
int sio_read_view(struct sio *s, struct buf *spill, size_t limit, int *lf,
                  const char **ptr, size_t *len);
/* sio_read_raw - at most max bytes of input as they come (a BDAT
 * chunk); *ptr into the read buffer, valid until the next read; 1, 0
 * EOF, -1 error or timeout */
int sio_read_raw(struct sio *s, size_t max, const char **ptr, size_t *len);
/* sio_pending - unread input is buffered (a pipelined command) */
int sio_pending(struct sio *s);
/* sio_sleep - flush the replies, then wait ms milliseconds (less when
 * the client hangs up), without holding up the process's other sessions */
void sio_sleep(struct sio *s, int ms);
/* sio_peek - the buffered input not yet read (plaintext; TLS: what was
 * decrypted), its length */
size_t sio_peek(const struct sio *s, const char **data);
/* sio_preload - input the smtpd front already read, to be processed
 * before anything else (at most 16 KB; call before the first read) */
void sio_preload(struct sio *s, const char *data, size_t len);
/* sio_discard_input - drop buffered input (after STARTTLS) */
void sio_discard_input(struct sio *s);
void sio_printf(struct sio *s, const char *fmt, ...) UTIL_PRINTF(2, 3);
/* sio_flush - write buffered replies; 0 or -1 */
int sio_flush(struct sio *s);
int sio_timed_out(const struct sio *s);
/* sio_set_output - write replies to another fd (sendmail -bs) */
void sio_set_output(struct sio *s, int fd);
/* sio_interruptible - while on, a stop request (SIGTERM/SIGHUP) ends a
 * wait for input with -1 and sio_stopped() true; off during DATA, so a
 * message in progress is finished */
void sio_interruptible(struct sio *s, int on);
int sio_stopped(const struct sio *s);
/* sio_tls_ctx - server context from cert/key files with the service's
 * TLS protocol and cipher policy (server_tls.h; mandatory: the level is
 * encrypt). NULL and in err the whole warning to log on failure */
void *sio_tls_ctx(const struct server *srv, int mandatory, const char *cert,
                  const char *key, char *err, size_t len);
/* sio_starttls - handshake as server; 0, SIO_TLS_LOST (the client
 * went away during it) or SIO_TLS_ERROR (message in err) */
#define SIO_TLS_ERROR (-1)
#define SIO_TLS_LOST  (-2)
int sio_starttls(struct sio *s, void *ctx, char *err, size_t len);
/* sio_tls_info - "TLSv1.3 with cipher X (256/256 bits)" or NULL */
const char *sio_tls_info(struct sio *s);
const char *sio_tls_version(struct sio *s);
/* sio_tls_summary - Postfix's log summary: the above and, for TLS 1.3,
 * " key-exchange X25519 server-signature ECDSA (prime256v1)
 * server-digest SHA256"; in out, or NULL without TLS */
const char *sio_tls_summary(struct sio *s, char *out, size_t len);

/* ---- the session ---- */
struct smtpd_cmdstat {
    const char *name;
    unsigned ok, total;
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
    struct strv r_client, r_helo, r_sender, r_relay, r_rcpt, r_data;
    char *myhostname;
    char *banner;
    char *mail_name;
    char *recipient_delimiter;
    long size_limit;
    long rcpt_limit;
    long rcpt_overlim; /* smtpd_recipient_overshoot_limit */
    long timeout;
    long line_limit;
    long conn_limit;
    long hard_error_limit;
    long soft_error_limit;
    long error_sleep_ms; /* smtpd_error_sleep_time */
    long junk_cmd_limit; /* smtpd_junk_command_limit */
    int delay_reject;
    int peername_lookup;
    int bare_nl; /* 0 no, 1 normalize, 2 reject */
    int bare_nl_code;
    int tls_level; /* 0 none, 1 may, 2 encrypt */
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
};

struct smtpd_session {
    struct smtpd_conf *cf;
    struct sio *io;
    struct cleanup_client *cc;
    char addr[64];
    char name[256];
    char namaddr[340]; /* name[addr] */
    char *helo;
    int esmtp;
    int tls;
    int in_mynetworks;      /* 1, 0, -1: mynetworks could not be read */
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
    int ill_pipelining; /* "improper command pipelining" logged */
    long junk_cmds;     /* HELO/EHLO/RSET/NOOP/VRFY/ETRN so far */
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
/* smtpd_check_data - smtpd_data_restrictions */
int smtpd_check_data(struct smtpd_session *s, char *reply, size_t len);
/* smtpd_check_client - client and helo lists (smtpd_delay_reject=no) */
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
/* stages */
#define SMTPD_ST_CLIENT 0
#define SMTPD_ST_HELO   1
#define SMTPD_ST_SENDER 2
#define SMTPD_ST_RELAY  3
#define SMTPD_ST_RCPT   4
#define SMTPD_ST_DATA   5

#endif
