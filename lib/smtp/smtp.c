/*
 * smtp - the SMTP client delivery agent.
 *
 * DESCRIPTION
 *	See smtp.h. One request at a time: load the content from its
 *	segment, reuse the cached session when it goes to the same
 *	nexthop (after an RSET), else look up and try the servers in
 *	order (smtp_mx_address_limit addresses, smtp_mx_session_limit
 *	sessions that got as far as the greeting); then one transaction,
 *	pipelined when the server offers PIPELINING.
 *
 *	Reply texts and maillog lines use Postfix's wording ("host
 *	h[a] said: ... (in reply to RCPT TO command)", "connect to
 *	h[a]:p: Connection refused", "conversation with h[a] timed out
 *	while sending message body") so log readers see what they know.
 *
 * BUGS
 *	No "relayed" DSN when the server lacks DSN; SASL only PLAIN and
 *	LOGIN (smtp_sasl.c); no DANE; no TLS session cache.
 */
#define _DEFAULT_SOURCE 1
#include "smtp/smtp.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "deliver/deliver.h"
#include "dnsc/dnsc.h"
#include "maillog/maillog.h"
#include "queue/queue.h"
#include "server/server.h"
#include "server/server_tls.h"
#include "smtp/smtp_int.h"

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
    struct sconn *c;
    char *nexthop;
    char host[256];
    char addr[64];
    unsigned port;
    char name[400];  /* "host[addr]" */
    char relay[420]; /* "host[addr]:port" */
    int esmtp, pipelining, dsn, eightbit, smtputf8, starttls;
    unsigned long size_max;
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
    char *helo_name;
    char *bind_addr, *bind_addr6;
    int bind_enforce; /* smtp_bind_address_enforce */
    enum tls_level tls;
    char tls_refused[300]; /* TLS_REFUSED: the deferral reason */
    int tls_loglevel;
    int connect_timeout, helo_timeout, mail_timeout, rcpt_timeout,
        data_init_timeout, data_xfer_timeout, data_done_timeout,
        quit_timeout, starttls_timeout, rset_timeout;
    int mx_address_limit, mx_session_limit;
    long reuse_count_limit, reuse_time_limit, cache_time_limit;
    int cache_on;
    unsigned families;
    int host_dns, host_native, dns_enabled;
    unsigned def_port;
    struct strv resolvers;
    struct ssl_ctx_st *tls_ctx;
    struct deliver_content msg;
    struct buf wire;
    struct buf conv;   /* the 7-bit version of msg, when needed */
    int no_mime_oconv; /* disable_mime_output_conversion */
    struct session *cached;
    struct strv verify_match, secure_match; /* smtp_tls_*_cert_match */
    char fail_relay[420]; /* host[addr]:port of the last failed session */
    char *servername;     /* smtp_tls_servername */
    struct smtp_sasl *sasl; /* smtp_sasl_auth_enable, else NULL */
    const char *sender;     /* of the request being delivered */
    const char *dest;       /* the nexthop or fallback relay tried */
    int sender_dep;         /* smtp_sender_dependent_authentication */
    int skip_5xx;           /* smtp_skip_5xx_greeting */
    int always_ehlo, never_ehlo;
    int defer_no_mx_addr;   /* smtp_defer_if_no_mx_address_found */
    int addr_pref;          /* smtp_address_preference: 4, 6, 0 any */
    struct strv fallback;   /* smtp_fallback_relay */
    int final;              /* try_host: a 5xx greeting ends the search */
    struct buf nonfinal;    /* the soft failure of the last server tried */
    const char *qid;        /* queue id of the request being delivered */
    char *relayhost;        /* relayhost, for its "configuration problem" */
};

/* ---- small pieces ---- */

int
smtp_nexthop_parse(const char *s, unsigned def_port, struct smtp_nexthop *nh)
{
    const char *end, *port = NULL;
    size_t n;

    memset(nh, 0, sizeof(*nh));
    nh->port = def_port;
    if (*s == '[') {
        end = strchr(s, ']');
        if (end == NULL)
            return -1;
        n = (size_t) (end - s - 1);
        if (n == 0 || n >= sizeof(nh->host))
            return -1;
        memcpy(nh->host, s + 1, n);
        nh->host[n] = 0;
        if (end[1] == ':')
            port = end + 2;
        else if (end[1] != 0)
            return -1;
    } else {
        end = strrchr(s, ':');
        /* a bare IPv6 address has several colons: no port then */
        if (end && strchr(s, ':') != end)
            end = NULL;
        n = end ? (size_t) (end - s) : strlen(s);
        if (n == 0 || n >= sizeof(nh->host))
            return -1;
        memcpy(nh->host, s, n);
        nh->host[n] = 0;
        nh->mx = strchr(nh->host, ':') == NULL;
        if (end)
            port = end + 1;
    }
    if (port) {
        char *e;
        long v = strtol(port, &e, 10);

        if (*port == 0)
            return -1;
        if (*e == 0) {
            if (v <= 0 || v > 65535)
                return -1;
            nh->port = (unsigned) v;
        } else {
            struct servent *se = getservbyname(port, "tcp");

            if (se == NULL)
                return -1;
            nh->port = ntohs((uint16_t) se->s_port);
        }
    }
    for (const char *p = nh->host; *p; p++)
        if (isspace((unsigned char) *p) || *p == '@' || *p == '[' ||
            *p == ']')
            return -1;
    return 0;
}

void
smtp_xtext(struct buf *out, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char) *s;

        if (c < 33 || c > 126 || c == '+' || c == '=')
            (void) buf_printf(out, "+%02X", c);
        else
            (void) buf_putc(out, c);
    }
}

static int
is_ip(const char *s)
{
    unsigned char a[16];

    return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

/*
 * wire - text with CRLF line ends, dot-stuffed, ending in "." The output
 * is at most 3 bytes per input byte plus the final ".\r\n" (a line of one
 * "." becomes "..\r\n"), so room is made once and lines are copied
 * without a bounds check each: a 100 KB message has 1,300 lines.
 */
static void
wire(struct buf *w, const char *p, size_t len)
{
    const char *end = p + len;
    char *o;

    buf_truncate(w, 0);
    if (buf_reserve(w, 3 * len + 4) < 0) {
        (void) buf_append(w, ".\r\n", 3); /* cannot happen: no limit */
        return;
    }
    o = w->data;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t) (end - p));
        size_t n = nl ? (size_t) (nl - p) : (size_t) (end - p);

        if (n && p[n - 1] == '\r')
            n--;
        if (*p == '.')
            *o++ = '.';
        memcpy(o, p, n);
        o += n;
        *o++ = '\r';
        *o++ = '\n';
        p = nl ? nl + 1 : end;
    }
    memcpy(o, ".\r\n", 3);
    o += 3;
    w->len = (size_t) (o - w->data);
    w->data[w->len] = 0;
}

/* body - the message on the wire for session s: converted to 7 bit
 * when it is 8-bit mail and s lacks 8BITMIME (unless
 * disable_mime_output_conversion), else as is */
static void
body(struct agent *ag, const struct session *s, const struct deliver_req *req)
{
    const char *p = ag->msg.content.data;
    size_t n = ag->msg.content.len;

    if (!s->eightbit && !ag->no_mime_oconv &&
        ((req->flags & QUEUE_F_8BITMIME) || smtp_mime_8bit(p, n))) {
        buf_truncate(&ag->conv, 0);
        smtp_mime_downgrade(p, n, &ag->conv);
        p = ag->conv.data;
        n = ag->conv.len;
    }
    wire(&ag->wire, p, n);
}

static void
set_all(struct deliver_req *req, int only_pending, int status, const char *dsn,
        const char *text)
{
    for (size_t i = 0; i < req->nrcpt; i++) {
        if (only_pending && req->rcpt[i].status != DELIVER_DEFER)
            continue;
        if (only_pending && req->rcpt[i].text && *req->rcpt[i].text)
            continue;
        deliver_result(&req->rcpt[i], status, dsn, text);
    }
}

static int
status_of(int code)
{
    return code / 100 == 2   ? DELIVER_SENT
           : code / 100 == 5 ? DELIVER_BOUNCE
                             : DELIVER_DEFER;
}

/* io_reason - Postfix's text for a broken conversation */
static void
io_reason(struct buf *b, enum sio_err e, const char *name, const char *stage)
{
    buf_truncate(b, 0);
    if (e == SIO_TIMEOUT)
        (void) buf_printf(b, "conversation with %s timed out while %s", name,
                          stage);
    else if (e == SIO_PROTOCOL)
        (void) buf_printf(b, "malformed reply from %s while %s", name, stage);
    else
        (void) buf_printf(b, "lost connection with %s while %s", name, stage);
}

/* said - "host h[a] said: REPLY (in reply to X command)" */
static void
said(struct buf *b, const struct session *s, const struct smtp_reply *r,
     const char *cmd)
{
    buf_truncate(b, 0);
    (void) buf_printf(b, "host %s said: %s (in reply to %s command)", s->name,
                      buf_str(&r->text), cmd);
}

static void
session_free(struct session *s)
{
    if (s == NULL)
        return;
    sconn_free(s->c);
    mem_free(s->nexthop);
    mem_free(s);
}

static void
session_quit(struct agent *ag, struct session *s)
{
    struct smtp_reply r;

    if (s == NULL)
        return;
    smtp_reply_init(&r);
    sconn_timeout(s->c, ag->quit_timeout > 5 ? 5 : ag->quit_timeout);
    sconn_printf(s->c, "QUIT");
    if (sconn_reply(s->c, &r) != SIO_OK)
        r.code = 0; /* the connection closes anyway */
    smtp_reply_fini(&r);
    session_free(s);
}

static void
features(struct session *s, const struct smtp_reply *r)
{
    s->pipelining = s->dsn = s->eightbit = s->smtputf8 = s->starttls = 0;
    s->size_max = 0;
    s->auth[0] = 0;
    s->has_auth = 0;
    for (size_t i = 1; i < r->lines.n; i++) {
        const char *l = r->lines.v[i];
        size_t k = strcspn(l, " =");

        /* "AUTH PLAIN LOGIN", and the old "AUTH=PLAIN LOGIN" */
        if (k == 4 && strncasecmp(l, "AUTH", k) == 0) {
            size_t have = strlen(s->auth);

            s->has_auth = 1;
            if (l[k] == 0)
                continue;
            snprintf(s->auth + have, sizeof(s->auth) - have, "%s%s",
                     have ? " " : "", l + k + 1);
            continue;
        }

        if (k == 10 && strncasecmp(l, "PIPELINING", k) == 0)
            s->pipelining = 1;
        else if (k == 3 && strncasecmp(l, "DSN", k) == 0)
            s->dsn = 1;
        else if (k == 8 && strncasecmp(l, "8BITMIME", k) == 0)
            s->eightbit = 1;
        else if (k == 8 && strncasecmp(l, "SMTPUTF8", k) == 0)
            s->smtputf8 = 1;
        else if (k == 8 && strncasecmp(l, "STARTTLS", k) == 0)
            s->starttls = 1;
        else if (k == 4 && strncasecmp(l, "SIZE", k) == 0)
            s->size_max = l[k] ? strtoul(l + k + 1, NULL, 10) : 0;
    }
}

/* hello - EHLO (HELO when EHLO is refused); 0, or -1 with a reason,
 * *dsn and *status set */
static int
hello(struct agent *ag, struct session *s, int ehlo, struct smtp_reply *r,
      struct buf *why, char *dsn, int *status)
{
    enum sio_err e;

    sconn_timeout(s->c, ag->helo_timeout);
    if (!ehlo)
        goto helo;
    sconn_printf(s->c, "EHLO %s", ag->helo_name);
    if ((e = sconn_reply(s->c, r)) != SIO_OK) {
        io_reason(why, e, s->name, "performing the EHLO handshake");
        snprintf(dsn, 16, "4.4.2");
        *status = DELIVER_DEFER;
        return -1;
    }
    if (r->code == 250) {
        s->esmtp = 1;
        features(s, r);
        return 0;
    }
helo:
    sconn_printf(s->c, "HELO %s", ag->helo_name);
    if ((e = sconn_reply(s->c, r)) != SIO_OK) {
        io_reason(why, e, s->name, "performing the HELO handshake");
        snprintf(dsn, 16, "4.4.2");
        *status = DELIVER_DEFER;
        return -1;
    }
    if (r->code != 250) {
        said(why, s, r, "HELO");
        snprintf(dsn, 16, "%s", r->dsn);
        *status = status_of(r->code);
        return -1;
    }
    s->esmtp = 0;
    features(s, r); /* none */
    return 0;
}

/* says_esmtp - the greeting mentions ESMTP (any case) */
static int
says_esmtp(const char *t)
{
    for (; *t; t++)
        if (strncasecmp(t, "ESMTP", 5) == 0)
            return 1;
    return 0;
}

/* cert_names - the names a certificate must match: the entries of
 * smtp_tls_verify_cert_match (verify) or smtp_tls_secure_cert_match
 * (secure), "hostname" being the server's name, "nexthop" the nexthop
 * domain, "dot-nexthop" its subdomains; others literal */
static void
cert_names(const struct agent *ag, const char *host, const char *nh_host,
           struct buf *out)
{
    const struct strv *m =
        ag->tls == TLS_SECURE ? &ag->secure_match : &ag->verify_match;

    buf_truncate(out, 0);
    for (size_t i = 0; i < m->n; i++) {
        const char *v = m->v[i];

        if (out->len)
            (void) buf_putc(out, ' ');
        if (strcasecmp(v, "hostname") == 0)
            (void) buf_puts(out, host);
        else if (strcasecmp(v, "nexthop") == 0)
            (void) buf_puts(out, nh_host);
        else if (strcasecmp(v, "dot-nexthop") == 0)
            (void) buf_printf(out, ".%s", nh_host);
        else
            (void) buf_puts(out, v);
    }
}

/* server_name - the SNI name per smtp_tls_servername: "" none (the
 * default, as Postfix), "hostname" the server's name, "nexthop" the
 * nexthop domain, else the literal value; NULL when none or an IP */
static const char *
server_name(const struct agent *ag, const struct session *s,
            const char *nh_host)
{
    const char *n = ag->servername;

    if (*n == 0)
        return NULL;
    if (strcasecmp(n, "hostname") == 0)
        n = s->host;
    else if (strcasecmp(n, "nexthop") == 0)
        n = nh_host;
    return is_ip(n) ? NULL : n;
}

/* start_tls - STARTTLS, handshake, the certificate checks of the level,
 * EHLO again; 0, or -1 with a reason, dsn and status (-2: "may" failed,
 * try again in plain text) */
static int
start_tls(struct agent *ag, struct session *s, const char *nh_host,
          struct smtp_reply *r, struct buf *why, char *dsn, int *status)
{
    struct buf terr, names;
    struct sconn_peer peer;
    enum sio_err e;
    int rc, need = ag->tls >= TLS_VERIFY;

    sconn_timeout(s->c, ag->starttls_timeout);
    sconn_printf(s->c, "STARTTLS");
    if ((e = sconn_reply(s->c, r)) != SIO_OK) {
        io_reason(why, e, s->name, "receiving the STARTTLS reply");
        snprintf(dsn, 16, "4.4.2");
        return -1;
    }
    if (r->code != 220) {
        if (ag->tls >= TLS_ENCRYPT) {
            said(why, s, r, "STARTTLS");
            snprintf(dsn, 16, "4.7.5");
            return -1;
        }
        return 0; /* may: go on in plain text */
    }
    buf_init(&terr, 0);
    buf_init(&names, 0);
    if (need)
        cert_names(ag, s->host, nh_host, &names);
    rc = sconn_starttls(s->c, ag->tls_ctx, server_name(ag, s, nh_host),
                        buf_str(&names), &peer, &terr);
    if (rc < 0) {
        buf_truncate(why, 0);
        (void) buf_printf(why, "Cannot start TLS: %s with %s",
                          buf_str(&terr), s->name);
        snprintf(dsn, 16, "4.7.5");
        *status = ag->tls == TLS_MAY ? -2 : DELIVER_DEFER;
        goto out;
    }
    /* Postfix logs why a required check failed even at loglevel 0 */
    if (need && !peer.trusted)
        maillog_info("certificate verification failed for %s: %s", s->relay,
                     peer.why);
    else if (need && !peer.matched)
        maillog_info("server certificate verification failed for %s: %s",
                     s->relay, peer.why);
    if (ag->tls_loglevel >= 1)
        maillog_info("%s TLS connection established to %s: %s",
                     need ? (peer.trusted && peer.matched ? "Verified"
                                                          : "Untrusted")
                     : peer.trusted ? "Trusted"
                                    : "Untrusted",
                     s->relay, sconn_tls_info(s->c));
    if (need && !(peer.trusted && peer.matched)) {
        buf_truncate(why, 0);
        (void) buf_puts(why, "Server certificate not verified");
        snprintf(dsn, 16, "4.7.5");
        *status = DELIVER_DEFER;
        rc = -1;
        goto out;
    }
    s->tls_verified = need; /* a failed check returned above */
    rc = hello(ag, s, 1, r, why, dsn, status);
out:
    buf_fini(&terr);
    buf_fini(&names);
    return rc;
}

/* try_host - a session with one address; NULL with a reason */
static struct session *
try_host(struct agent *ag, const char *nexthop, const char *nh_host,
         const char *host, const char *addr, unsigned port, int plaintext,
         struct buf *why, char *dsn, int *status, int *greeted)
{
    struct session *s = mem_calloc(1, sizeof(*s));
    struct smtp_reply r;
    enum sio_err e;
    int v6 = strchr(addr, ':') != NULL, bind_failed = 0;

    /* Postfix logs the soft failure of a server that was not the last
     * one tried ("connect to h[a]:p: Connection refused") */
    if (ag->nonfinal.len) {
        maillog_info("%s", buf_str(&ag->nonfinal));
        buf_truncate(&ag->nonfinal, 0);
    }
    *greeted = 0;
    *status = DELIVER_DEFER;
    smtp_reply_init(&r);
    snprintf(s->host, sizeof(s->host), "%s", host);
    snprintf(s->addr, sizeof(s->addr), "%s", addr);
    s->port = port;
    snprintf(s->name, sizeof(s->name), "%s[%s]", host, addr);
    snprintf(s->relay, sizeof(s->relay), "%s[%s]:%u", host, addr, port);
    s->c = sconn_connect(addr, port, v6 ? ag->bind_addr6 : ag->bind_addr,
                         ag->bind_enforce, ag->connect_timeout, why,
                         &bind_failed);
    if (s->c == NULL && bind_failed) {
        /* smtp_bind_address_enforce: Postfix's "4.4.0 server
         * configuration error" */
        snprintf(dsn, 16, "4.4.0");
        goto fail;
    }
    if (s->c == NULL) {
        char tmp[600];

        snprintf(tmp, sizeof(tmp), "connect to %s:%u: %s", s->name, port,
                 buf_str(why));
        buf_truncate(why, 0);
        (void) buf_puts(why, tmp);
        snprintf(dsn, 16, "4.4.1");
        goto fail;
    }
    sconn_timeout(s->c, ag->helo_timeout);
    if ((e = sconn_reply(s->c, &r)) != SIO_OK) {
        io_reason(why, e, s->name, "receiving the initial server greeting");
        snprintf(dsn, 16, "4.4.2");
        goto fail;
    }
    *greeted = 1;
    if (r.code / 100 != 2) {
        buf_truncate(why, 0);
        (void) buf_printf(why, "host %s refused to talk to me: %s", s->name,
                          buf_str(&r.text));
        memcpy(dsn, r.dsn, 16);
        /* smtp_skip_5xx_greeting = no: a 5xx greeting bounces at once */
        if (r.code / 100 == 5 && !ag->skip_5xx) {
            *status = DELIVER_BOUNCE;
            ag->final = 1;
        } else {
            dsn[0] = '4';
        }
        goto fail;
    }
    /* Postfix: EHLO unless smtp_never_send_ehlo, and with
     * smtp_always_send_ehlo = no only when the greeting says ESMTP */
    if (hello(ag, s,
              !ag->never_ehlo &&
                  (ag->always_ehlo || says_esmtp(buf_str(&r.text))),
              &r, why, dsn, status) < 0)
        goto fail;
    if (ag->tls >= TLS_ENCRYPT && !s->starttls) {
        buf_truncate(why, 0);
        (void) buf_printf(why,
                          "TLS is required, but was not offered by host %s",
                          s->name);
        snprintf(dsn, 16, "4.7.4");
        *status = DELIVER_DEFER;
        goto fail;
    }
    if (ag->tls >= TLS_ENCRYPT && ag->tls_ctx == NULL) {
        buf_truncate(why, 0);
        (void) buf_puts(why, "TLS is required, but our TLS engine is "
                             "unavailable");
        snprintf(dsn, 16, "4.7.5");
        *status = DELIVER_DEFER;
        goto fail;
    }
    if (ag->tls >= TLS_MAY && s->starttls && !plaintext && ag->tls_ctx) {
        if (start_tls(ag, s, nh_host, &r, why, dsn, status) < 0)
            goto fail;
    }
    /* SMTP AUTH after STARTTLS, when the server offers it */
    if (ag->sasl && s->esmtp && s->has_auth) {
        int st, rc;

        rc = smtp_sasl_authenticate(ag->sasl, s->c, s->auth,
                                    s->tls_verified          ? 2
                                    : sconn_tls_info(s->c) ? 1
                                                           : 0,
                                    ag->sender, s->host, ag->dest, s->name,
                                    s->relay,
                                    ag->helo_timeout, why, dsn, &st);
        if (rc < 0) {
            *status = st == 5 ? DELIVER_BOUNCE : DELIVER_DEFER;
            goto fail;
        }
        /* a session authenticated for one sender is not for the next */
        s->no_cache = rc > 0 && ag->sender_dep;
    }
    s->nexthop = mem_strdup(nexthop);
    s->started = s->last = time(NULL);
    smtp_reply_fini(&r);
    return s;
fail:
    /* Postfix: "reason" for a connection that failed, "QUEUEID: reason"
     * for a session that did (smtp_connect.c, smtp_trouble.c) */
    if (*status == DELIVER_DEFER) {
        buf_truncate(&ag->nonfinal, 0);
        if (s->c)
            (void) buf_printf(&ag->nonfinal, "%s: ", ag->qid);
        (void) buf_puts(&ag->nonfinal, buf_str(why));
    }
    /* a server answered: the log line names it (Postfix's relay=) */
    snprintf(ag->fail_relay, sizeof(ag->fail_relay), "%s",
             s->c ? s->relay : "");
    smtp_reply_fini(&r);
    session_free(s);
    return NULL;
}

/* targets - the addresses for nh; a route status and reason */
static enum dnsc_route_status
targets(struct agent *ag, const struct smtp_nexthop *nh,
        struct dnsc_targets *out, struct buf *why)
{
    struct dnsc_route_opts o;
    enum dnsc_route_status st;

    memset(out, 0, sizeof(*out));
    if (is_ip(nh->host)) {
        out->t = mem_calloc(1, sizeof(*out->t));
        out->n = 1;
        out->t[0].host = mem_strdup(nh->host);
        out->t[0].pref = -1;
        snprintf(out->t[0].addr, sizeof(out->t[0].addr), "%.45s", nh->host);
        out->t[0].v6 = strchr(nh->host, ':') != NULL;
        return DNSC_ROUTE_OK;
    }
    if (ag->host_dns) {
        memset(&o, 0, sizeof(o));
        o.servers = (const char *const *) ag->resolvers.v;
        o.nservers = ag->resolvers.n;
        o.timeout = 5;
        o.families = ag->families;
        st = dnsc_route(&o, nh->host, nh->mx && ag->dns_enabled, out, why);
        if (st != DNSC_ROUTE_NOTFOUND || !ag->host_native)
            return st;
        dnsc_targets_fini(out);
    }
    {
        /* native lookup (smtp_host_lookup = native): no MX */
        struct addrinfo hints, *res = NULL;
        int rc;

        memset(&hints, 0, sizeof(hints));
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_family = ag->families == DNSC_ROUTE_IPV4   ? AF_INET
                          : ag->families == DNSC_ROUTE_IPV6 ? AF_INET6
                                                            : AF_UNSPEC;
        rc = getaddrinfo(nh->host, NULL, &hints, &res);
        buf_truncate(why, 0);
        if (rc != 0) {
            (void) buf_printf(why,
                              "Host or domain name not found. Name service "
                              "error for name=%s type=A: Host not found%s",
                              nh->host, rc == EAI_AGAIN ? ", try again" : "");
            return rc == EAI_AGAIN ? DNSC_ROUTE_TEMP : DNSC_ROUTE_NOTFOUND;
        }
        for (struct addrinfo *a = res; a; a = a->ai_next) {
            char text[INET6_ADDRSTRLEN];
            const void *p = a->ai_family == AF_INET
                                ? (const void *) &((struct sockaddr_in *)
                                                       a->ai_addr)->sin_addr
                                : (const void *) &((struct sockaddr_in6 *)
                                                       a->ai_addr)->sin6_addr;

            if (inet_ntop(a->ai_family, p, text, sizeof(text)) == NULL)
                continue;
            out->t = mem_realloc(out->t, (out->n + 1) * sizeof(*out->t));
            memset(&out->t[out->n], 0, sizeof(out->t[0]));
            out->t[out->n].host = mem_strdup(nh->host);
            out->t[out->n].pref = -1;
            snprintf(out->t[out->n].addr, sizeof(out->t[0].addr), "%s", text);
            out->t[out->n].v6 = a->ai_family == AF_INET6;
            out->n++;
        }
        freeaddrinfo(res);
        return out->n ? DNSC_ROUTE_OK : DNSC_ROUTE_NOTFOUND;
    }
}

/* prefer - smtp_address_preference: within each MX preference (or
 * among a host's addresses), the preferred family first */
static void
prefer(const struct agent *ag, struct dnsc_targets *tg)
{
    size_t i = 0;

    if (ag->addr_pref == 0)
        return;
    while (i < tg->n) {
        size_t j = i, k, w;

        while (j < tg->n && tg->t[j].pref == tg->t[i].pref)
            j++;
        /* stable: a small insertion sort on the group [i, j) */
        for (k = i + 1; k < j; k++) {
            struct dnsc_target t = tg->t[k];
            int good = (ag->addr_pref == 6) == (t.v6 != 0);

            if (!good)
                continue;
            for (w = k; w > i; w--) {
                int wgood = (ag->addr_pref == 6) == (tg->t[w - 1].v6 != 0);

                if (wgood)
                    break;
                tg->t[w] = tg->t[w - 1];
            }
            tg->t[w] = t;
        }
        i = j;
    }
}

/* no_mx_addr - the NOTFOUND came from MX hosts without an address
 * (dnsc_route names the MX host, not the domain, in its text) */
static int
no_mx_addr(const struct smtp_nexthop *nh, const char *why)
{
    const char *p = strstr(why, "name=");
    size_t n = strlen(nh->host);

    if (!nh->mx || p == NULL)
        return 0;
    p += 5;
    return !(strncasecmp(p, nh->host, n) == 0 && p[n] == ' ');
}

/*
 * try_dest - a session with one destination (the nexthop or a fallback
 * relay): its servers in order. NULL with the reason in why, dsn and
 * *status; *st tells how the lookup went.
 */
static struct session *
try_dest(struct agent *ag, const char *nexthop, const struct smtp_nexthop *nh,
         struct buf *why, char *dsn, int *status,
         enum dnsc_route_status *st)
{
    struct dnsc_targets tg;
    struct session *s = NULL;
    int sessions = 0;

    *status = DELIVER_DEFER;
    snprintf(dsn, 16, "4.4.1");
    *st = targets(ag, nh, &tg, why);
    if (*st == DNSC_ROUTE_NULLMX) {
        *status = DELIVER_BOUNCE;
        snprintf(dsn, 16, "5.1.10");
        goto out;
    }
    if (*st == DNSC_ROUTE_NOTFOUND) {
        /* smtp_defer_if_no_mx_address_found */
        if (ag->defer_no_mx_addr && no_mx_addr(nh, buf_str(why))) {
            snprintf(dsn, 16, "4.4.4");
            *st = DNSC_ROUTE_TEMP;
        } else {
            *status = DELIVER_BOUNCE;
            snprintf(dsn, 16, "5.4.4");
        }
        goto out;
    }
    if (*st == DNSC_ROUTE_TEMP) {
        snprintf(dsn, 16, "4.4.3");
        goto out;
    }
    prefer(ag, &tg);
    ag->final = 0;
    for (size_t i = 0; i < tg.n && (int) i < ag->mx_address_limit; i++) {
        int greeted = 0;

        s = try_host(ag, nexthop, nh->host, tg.t[i].host, tg.t[i].addr,
                     nh->port, 0, why, dsn, status, &greeted);
        if (s == NULL && *status == -2) /* TLS "may" failed: plain text */
            s = try_host(ag, nexthop, nh->host, tg.t[i].host, tg.t[i].addr,
                         nh->port, 1, why, dsn, status, &greeted);
        if (s || ag->final)
            break;
        if (greeted && ++sessions >= ag->mx_session_limit)
            break;
    }
    if (s == NULL && !ag->final) {
        /* a 5xx HELO reply from the only server bounces; the rest defers */
        if (*status != DELIVER_BOUNCE || tg.n > 1) {
            *status = DELIVER_DEFER;
            if (dsn[0] != '4')
                dsn[0] = '4';
        }
    }
out:
    dnsc_targets_fini(&tg);
    return s;
}

/*
 * open_session - a new session for nexthop; NULL after setting every
 * recipient's result. When the nexthop's servers cannot be found or
 * reached (not when one refused the mail with 5xx, nor for a null MX),
 * the smtp_fallback_relay destinations are tried in order, as Postfix
 * does; the last attempt gives the reason.
 */
static struct session *
open_session(struct agent *ag, struct deliver_req *req, const char *nexthop,
             const struct smtp_nexthop *nh)
{
    struct buf why;
    struct session *s = NULL;
    enum dnsc_route_status st;
    char dsn[16] = "4.4.1";
    int status = DELIVER_DEFER, fallback = 0;

    buf_init(&why, 0);
    ag->dest = nexthop;
    s = try_dest(ag, nexthop, nh, &why, dsn, &status, &st);
    for (size_t i = 0; s == NULL && i < ag->fallback.n; i++) {
        struct smtp_nexthop fnh;

        if (st == DNSC_ROUTE_NULLMX ||
            (st == DNSC_ROUTE_OK && status != DELIVER_DEFER))
            break;
        if (strcmp(ag->fallback.v[i], nexthop) == 0)
            continue; /* the nexthop is the fallback relay */
        if (smtp_nexthop_parse(ag->fallback.v[i], ag->def_port, &fnh) < 0) {
            maillog_warning("malformed smtp_fallback_relay destination "
                            "\"%s\"", ag->fallback.v[i]);
            continue;
        }
        ag->dest = ag->fallback.v[i];
        s = try_dest(ag, nexthop, &fnh, &why, dsn, &status, &st);
        fallback = 1;
    }
    ag->dest = NULL;
    /*
     * Postfix: a fallback relay or relayhost that is not found is a
     * configuration problem, not a reason to bounce the mail: 4.3.5,
     * with the reason kept. (A 5xx greeting or HELO reply from the last
     * server still bounces: Postfix's smtp_site_fail() settles those
     * recipients before this check, as a run against Postfix 3.7 shows.)
     */
    if (s == NULL && status == DELIVER_BOUNCE && st == DNSC_ROUTE_NOTFOUND &&
        (fallback || strcmp(nexthop, ag->relayhost) == 0)) {
        maillog_warning("%s configuration problem",
                        fallback ? "smtp_fallback_relay" : "relayhost");
        status = DELIVER_DEFER;
        snprintf(dsn, sizeof(dsn), "4.3.5");
    }
    if (s == NULL) {
        set_all(req, 0, status, dsn, buf_str(&why));
        /* no server to talk to: a site failure, which qmgr's
         * per-destination feedback counts (a bounce is not) */
        req->hop_fail = status == DELIVER_DEFER;
    }
    buf_fini(&why);
    return s;
}

/* reply_at - read a reply for a stage; SIO_OK or an error with the
 * reason in why */
static enum sio_err
reply_at(struct session *s, int timeout, struct smtp_reply *r,
         const char *stage, struct buf *why)
{
    enum sio_err e;

    sconn_timeout(s->c, timeout);
    e = sconn_reply(s->c, r);
    if (e != SIO_OK)
        io_reason(why, e, s->name, stage);
    return e;
}

/* transaction - MAIL, RCPT..., DATA, content; results into req; 0 when
 * the session may be reused, -1 when not, -2 when a reused session turned
 * out stale before anything was said for this message */
static int
transaction(struct agent *ag, struct session *s, struct deliver_req *req)
{
    struct smtp_reply r;
    struct buf cmd, why;
    enum sio_err e = SIO_OK;
    int accepted = 0, ok = 0;
    size_t i, nread = 0;
    int *rcpt_ok = mem_calloc(req->nrcpt ? req->nrcpt : 1, sizeof(int));
    int pipe = s->pipelining;
    int stale_ok = 1;

    smtp_reply_init(&r);
    buf_init(&cmd, 0);
    buf_init(&why, 0);
    if (s->size_max && req->content_len > s->size_max) {
        buf_printf(&why, "message size %llu exceeds size limit %lu of server "
                         "%s",
                   (unsigned long long) req->content_len, s->size_max,
                   s->name);
        set_all(req, 0, DELIVER_BOUNCE, "5.3.4", buf_str(&why));
        ok = 1;
        goto out;
    }
    /*
     * A reused session proves it is still alive with RSET, pipelined ahead
     * of MAIL FROM (see reusable()): a dead or unwilling one is "stale",
     * nothing was said for this message, and the caller retries it on a
     * new session.
     */
    if (s->rset_pending) {
        s->rset_pending = 0;
        sconn_printf(s->c, "RSET");
    } else {
        stale_ok = 0;
    }
    /* MAIL FROM */
    (void) buf_printf(&cmd, "MAIL FROM:<%s>", req->sender);
    if (s->esmtp) {
        (void) buf_printf(&cmd, " SIZE=%llu",
                              (unsigned long long) req->content_len);
        if ((req->flags & QUEUE_F_8BITMIME) && s->eightbit)
            (void) buf_puts(&cmd, " BODY=8BITMIME");
        if ((req->flags & QUEUE_F_SMTPUTF8) && s->smtputf8)
            (void) buf_puts(&cmd, " SMTPUTF8");
        if (s->dsn && req->ret)
            (void) buf_puts(&cmd, req->ret == QUEUE_RET_FULL ? " RET=FULL"
                                                             : " RET=HDRS");
        if (s->dsn && req->envid && *req->envid) {
            (void) buf_puts(&cmd, " ENVID=");
            smtp_xtext(&cmd, req->envid);
        }
    }
    sconn_printf(s->c, "%s", buf_str(&cmd));
    if (!pipe) {
        if ((e = reply_at(s, ag->mail_timeout, &r, "sending MAIL FROM",
                          &why)) != SIO_OK)
            goto broken;
        if (r.code / 100 != 2) {
            said(&why, s, &r, "MAIL FROM");
            set_all(req, 0, status_of(r.code), r.dsn, buf_str(&why));
            ok = 1;
            goto out;
        }
    }
    for (i = 0; i < req->nrcpt; i++) {
        struct deliver_rcpt *rc = &req->rcpt[i];

        buf_truncate(&cmd, 0);
        (void) buf_printf(&cmd, "RCPT TO:<%s>", rc->addr);
        if (s->dsn && rc->notify) {
            if (rc->notify & QUEUE_NOTIFY_NEVER) {
                (void) buf_puts(&cmd, " NOTIFY=NEVER");
            } else {
                const char *sep = " NOTIFY=";

                if (rc->notify & QUEUE_NOTIFY_SUCCESS)
                    (void) buf_printf(&cmd, "%sSUCCESS", sep), sep = ",";
                if (rc->notify & QUEUE_NOTIFY_FAILURE)
                    (void) buf_printf(&cmd, "%sFAILURE", sep), sep = ",";
                if (rc->notify & QUEUE_NOTIFY_DELAY)
                    (void) buf_printf(&cmd, "%sDELAY", sep);
            }
        }
        if (s->dsn && rc->orcpt && *rc->orcpt && strchr(rc->orcpt, ';')) {
            const char *semi = strchr(rc->orcpt, ';');

            (void) buf_printf(&cmd, " ORCPT=%.*s;", (int) (semi - rc->orcpt),
                              rc->orcpt);
            smtp_xtext(&cmd, semi + 1);
        }
        sconn_printf(s->c, "%s", buf_str(&cmd));
    }
    if (pipe) {
        sconn_printf(s->c, "DATA");
        if (stale_ok && (reply_at(s, ag->rset_timeout, &r, "sending RSET",
                                  &why) != SIO_OK || r.code != 250)) {
            ok = -2;
            goto out;
        }
        if ((e = reply_at(s, ag->mail_timeout, &r, "sending MAIL FROM",
                          &why)) != SIO_OK)
            goto broken;
        if (r.code / 100 != 2) {
            said(&why, s, &r, "MAIL FROM");
            set_all(req, 0, status_of(r.code), r.dsn, buf_str(&why));
        }
    }
    for (i = 0; i < req->nrcpt; i++) {
        struct deliver_rcpt *rc = &req->rcpt[i];

        if ((e = reply_at(s, ag->rcpt_timeout, &r, "sending RCPT TO",
                          &why)) != SIO_OK)
            goto broken;
        nread++;
        if (r.code / 100 == 2) {
            rcpt_ok[i] = 1;
            accepted++;
        } else if (rc->text == NULL || *rc->text == 0) {
            said(&why, s, &r, "RCPT TO");
            deliver_result(rc, status_of(r.code), r.dsn, buf_str(&why));
        }
    }
    if (!pipe && accepted == 0) {
        ok = 1;
        goto out;
    }
    if (!pipe)
        sconn_printf(s->c, "DATA");
    if ((e = reply_at(s, ag->data_init_timeout, &r, "sending DATA",
                      &why)) != SIO_OK)
        goto broken;
    if (r.code != 354) {
        if (accepted) {
            said(&why, s, &r, "DATA");
            for (i = 0; i < req->nrcpt; i++)
                if (rcpt_ok[i])
                    deliver_result(&req->rcpt[i], status_of(r.code), r.dsn,
                                   buf_str(&why));
        }
        ok = 1;
        goto out;
    }
    if (accepted == 0) {
        /* pipelined DATA accepted without recipients: end it empty */
        sconn_printf(s->c, ".");
        if ((e = reply_at(s, ag->data_done_timeout, &r,
                          "sending end of data", &why)) != SIO_OK)
            goto broken;
        ok = 1;
        goto out;
    }
    body(ag, s, req);
    sconn_timeout(s->c, ag->data_xfer_timeout);
    sconn_write(s->c, ag->wire.data, ag->wire.len);
    if ((e = sconn_flush(s->c)) != SIO_OK) {
        io_reason(&why, e, s->name, "sending message body");
        goto broken;
    }
    if ((e = reply_at(s, ag->data_done_timeout, &r,
                      "sending end of data -- message may be sent more than "
                      "once",
                      &why)) != SIO_OK)
        goto broken;
    for (i = 0; i < req->nrcpt; i++) {
        if (!rcpt_ok[i])
            continue;
        if (r.code / 100 == 2) {
            deliver_result(&req->rcpt[i], DELIVER_SENT, r.dsn,
                           buf_str(&r.text));
            /* the server took NOTIFY=SUCCESS over: no notice from us */
            if (s->dsn)
                req->rcpt[i].notify &= ~QUEUE_NOTIFY_SUCCESS;
        } else {
            said(&why, s, &r, "end of DATA");
            deliver_result(&req->rcpt[i], status_of(r.code), r.dsn,
                           buf_str(&why));
        }
    }
    ok = 1;
    goto out;
broken:
    /* recipients without an answer are deferred with the reason */
    for (i = 0; i < req->nrcpt; i++) {
        struct deliver_rcpt *rc = &req->rcpt[i];

        if (rc->status == DELIVER_DEFER && (rc->text == NULL || !*rc->text))
            deliver_result(rc, DELIVER_DEFER, "4.4.2", buf_str(&why));
        else if (rcpt_ok[i])
            deliver_result(rc, DELIVER_DEFER, "4.4.2", buf_str(&why));
    }
    ok = 0;
out:
    (void) nread;
    mem_free(rcpt_ok);
    smtp_reply_fini(&r);
    buf_fini(&cmd);
    buf_fini(&why);
    return ok == -2 ? -2 : ok ? 0 : -1;
}

/*
 * reusable - may the cached session take a request for nexthop? With
 * PIPELINING the liveness check (RSET) rides in front of the next MAIL
 * FROM instead of costing a round trip of its own: Postfix checks a
 * cached connection with RSET too, but waits for the answer first.
 */
static int
reusable(struct agent *ag, struct session *s, const char *nexthop)
{
    time_t now = time(NULL);
    struct smtp_reply r;
    int ok;

    if (strcmp(s->nexthop, nexthop) != 0)
        return 0;
    /* Postfix: a session may be reused this many times (so carries one
     * transaction more) */
    if (ag->reuse_count_limit > 0 && s->uses > ag->reuse_count_limit)
        return 0;
    if (ag->reuse_time_limit > 0 && now - s->started >= ag->reuse_time_limit)
        return 0;
    if (ag->cache_time_limit > 0 && now - s->last > ag->cache_time_limit)
        return 0;
    if (s->pipelining) {
        s->rset_pending = 1;
        return 1;
    }
    smtp_reply_init(&r);
    sconn_timeout(s->c, ag->rset_timeout);
    sconn_printf(s->c, "RSET");
    ok = sconn_reply(s->c, &r) == SIO_OK && r.code == 250;
    smtp_reply_fini(&r);
    return ok;
}

static void
log_rcpt(const struct deliver_req *req, const struct deliver_rcpt *rc,
         const char *relay, uint64_t t_start, uint64_t t_setup)
{
    struct maillog_delivery d;
    uint64_t now = queue_now_us();

    memset(&d, 0, sizeof(d));
    d.id = req->id;
    d.to = rc->addr;
    d.orig_to = rc->orig[0] && strcmp(rc->orig, rc->addr) ? rc->orig : NULL;
    d.relay = relay;
    d.delay = now > req->arrival_us ? (double) (now - req->arrival_us) / 1e6
                                    : 0;
    d.delays[0] = req->active_us > req->arrival_us
                      ? (double) (req->active_us - req->arrival_us) / 1e6
                      : 0;
    d.delays[1] = t_start > req->active_us
                      ? (double) (t_start - req->active_us) / 1e6
                      : 0;
    d.delays[2] = t_setup > t_start ? (double) (t_setup - t_start) / 1e6 : 0;
    d.delays[3] = now > t_setup ? (double) (now - t_setup) / 1e6 : 0;
    d.dsn = rc->dsn;
    d.status = rc->status == DELIVER_SENT     ? "sent"
               : rc->status == DELIVER_BOUNCE ? "bounced"
                                              : "deferred";
    d.text = rc->text ? rc->text : "";
    maillog_delivery(&d);
}

static void
deliver_one(struct agent *ag, struct deliver_req *req)
{
    struct smtp_nexthop nh;
    struct session *s = NULL;
    const char *nexthop = req->nexthop;
    uint64_t t_start = queue_now_us(), t_setup;
    char domain[256];
    char relay_name[sizeof(((struct session *) 0)->relay)] = "";
    int had_session = 0;

    ag->fail_relay[0] = 0;
    ag->sender = req->sender;
    ag->qid = req->id;
    buf_truncate(&ag->nonfinal, 0);
    /* every result starts "no answer yet" */
    for (size_t i = 0; i < req->nrcpt; i++)
        deliver_result(&req->rcpt[i], DELIVER_DEFER, "4.3.0", "");
    if (nexthop == NULL || *nexthop == 0) {
        const char *at = req->nrcpt ? strrchr(req->rcpt[0].addr, '@') : NULL;

        snprintf(domain, sizeof(domain), "%s", at ? at + 1 : "");
        nexthop = domain;
    }
    if (ag->tls == TLS_REFUSED) {
        set_all(req, 0, DELIVER_DEFER, "4.7.5", ag->tls_refused);
        t_setup = queue_now_us();
        goto log;
    }
    if (deliver_content_load(&ag->msg, req) < 0) {
        maillog_warning("%s: read message content: %m", req->id);
        set_all(req, 0, DELIVER_DEFER, "4.3.0", "error reading queue file");
        t_setup = queue_now_us();
        goto log;
    }
    if (smtp_nexthop_parse(nexthop, ag->def_port, &nh) < 0) {
        char t[600];

        snprintf(t, sizeof(t), "malformed next-hop destination \"%s\"",
                 nexthop);
        set_all(req, 0, DELIVER_DEFER, "4.3.5", t);
        t_setup = queue_now_us();
        goto log;
    }
    if (ag->cached) {
        if (reusable(ag, ag->cached, nexthop)) {
            s = ag->cached;
        } else if (strcmp(ag->cached->nexthop, nexthop) == 0) {
            session_free(ag->cached);
        } else {
            session_quit(ag, ag->cached);
        }
        ag->cached = NULL;
    }
    if (s == NULL)
        s = open_session(ag, req, nexthop, &nh);
    t_setup = queue_now_us();
    if (s) {
        int ok = transaction(ag, s, req);

        if (ok == -2) {
            /* the reused session was stale: a new one, as if none was cached */
            session_free(s);
            if ((s = open_session(ag, req, nexthop, &nh)) == NULL)
                goto log;
            ok = transaction(ag, s, req);
        }

        /* The log lines below name the relay after the session is gone. */
        snprintf(relay_name, sizeof(relay_name), "%s", s->relay);
        had_session = 1;
        s->uses++;
        s->last = time(NULL);
        if (ok == 0 && ag->cache_on && !s->no_cache)
            ag->cached = s;
        else if (ok == 0)
            session_quit(ag, s);
        else
            session_free(s);
    }
log:
    for (size_t i = 0; i < req->nrcpt; i++) {
        struct deliver_rcpt *rc = &req->rcpt[i];
        const char *relay = "none";

        if (rc->text == NULL || *rc->text == 0)
            deliver_result(rc, DELIVER_DEFER, "4.3.0",
                           "unknown mail transport error");
        /* a server answered: name it */
        if (had_session && (rc->status == DELIVER_SENT ||
                  strncmp(rc->text, "host ", 5) == 0 ||
                  strncmp(rc->text, "conversation with ", 18) == 0 ||
                  strncmp(rc->text, "lost connection with ", 21) == 0 ||
                  strncmp(rc->text, "message size ", 13) == 0))
            relay = relay_name;
        else if (!had_session && ag->fail_relay[0])
            relay = ag->fail_relay;
        log_rcpt(req, rc, relay, t_start, t_setup);
        /* a success qmgr must report (the server had no DSN): Postfix's
         * "delivery via host[addr]:port: reply", from which bounce
         * makes Action: relayed, Remote-MTA and Diagnostic-Code; the
         * log line above keeps the plain reply */
        if (rc->status == DELIVER_SENT &&
            (rc->notify & QUEUE_NOTIFY_SUCCESS) && strcmp(relay, "none") != 0) {
            struct buf via;
            char dsn[sizeof(rc->dsn)];

            memcpy(dsn, rc->dsn, sizeof(dsn));
            buf_init(&via, 0);
            (void) buf_printf(&via, "delivery via %s: %s", relay, rc->text);
            deliver_result(rc, DELIVER_SENT, dsn, buf_str(&via));
            buf_fini(&via);
        }
    }
}

static void
batch(void *ctx, struct deliver_req **reqs, size_t n)
{
    struct agent *ag = ctx;

    for (size_t i = 0; i < n; i++)
        deliver_one(ag, reqs[i]);
}

/* tls_level - smtp_tls_security_level as Postfix's tls_level_lookup reads
 * it (case does not matter, empty is none); an unknown word is fatal, as
 * in Postfix's smtp(8) */
static enum tls_level
tls_level(const char *v)
{
    static const struct {
        const char *name;
        enum tls_level level;
    } levels[] = {
        {"", TLS_NONE},          {"none", TLS_NONE},
        {"may", TLS_MAY},        {"encrypt", TLS_ENCRYPT},
        {"verify", TLS_VERIFY},  {"secure", TLS_SECURE},
        {"dane", TLS_REFUSED},   {"dane-only", TLS_REFUSED},
        {"fingerprint", TLS_REFUSED},
    };

    for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
        if (strcasecmp(levels[i].name, v) == 0)
            return levels[i].level;
    maillog_fatal("Invalid TLS level \"%s\"", v);
}

static int
tparam(struct server *srv, const char *name, long def)
{
    long v = server_param_time(srv, name);

    return v > 0 && v < 86400 ? (int) v : (int) def;
}

/* smtp_pre_drop - before the drop: TLS keys, SASL passwords and tables */
static void
smtp_pre_drop(struct server *srv, void *ctx)
{
    struct agent *ag = ctx;
    char *v;
    const char *env;

    ag->srv = srv;
    deliver_content_init(&ag->msg);
    buf_init(&ag->wire, 0);
    buf_init(&ag->conv, 0);
    strv_init(&ag->resolvers);
    strv_init(&ag->verify_match);
    strv_init(&ag->secure_match);
    ag->servername = server_param(srv, "smtp_tls_servername");
    v = server_param(srv, "smtp_tls_verify_cert_match");
    server_split(v, &ag->verify_match);
    mem_free(v);
    v = server_param(srv, "smtp_tls_secure_cert_match");
    server_split(v, &ag->secure_match);
    mem_free(v);
    ag->helo_name = server_param(srv, "smtp_helo_name");
    if (*ag->helo_name == 0) {
        mem_free(ag->helo_name);
        ag->helo_name = server_param(srv, "myhostname");
    }
    ag->bind_addr = server_param(srv, "smtp_bind_address");
    ag->bind_addr6 = server_param(srv, "smtp_bind_address6");
    ag->bind_enforce = server_param_bool(srv, "smtp_bind_address_enforce");
    v = server_param(srv, "smtp_tls_security_level");
    ag->tls = tls_level(v);
    /* the level's predecessors, as Postfix reads them when it is empty
     * (before, they were ignored: smtp_enforce_tls = yes sent in clear) */
    if (*v == 0 && server_param_bool(srv, "smtp_enforce_tls"))
        ag->tls = server_param_bool(srv, "smtp_tls_enforce_peername")
                     ? TLS_VERIFY
                     : TLS_ENCRYPT;
    else if (*v == 0 && server_param_bool(srv, "smtp_use_tls"))
        ag->tls = TLS_MAY;
    if (ag->tls == TLS_REFUSED) {
        /* before, dane became may and fingerprint encrypt: mail went out
         * with less security than asked; "postern check" refuses these */
        snprintf(
            ag->tls_refused, sizeof(ag->tls_refused),
            "TLS security level \"%s\" (smtp_tls_security_level) is not "
            "implemented by Postern: not sent rather than sent with less "
            "security",
            v);
        maillog_warning("%s", ag->tls_refused);
    }
    mem_free(v);
    /* a string in Postfix 3.7 (tls_log_mask: a level or names); the
     * level is what we use */
    v = server_param(srv, "smtp_tls_loglevel");
    ag->tls_loglevel = (int) strtol(v, NULL, 10);
    mem_free(v);
    ag->connect_timeout = tparam(srv, "smtp_connect_timeout", 30);
    ag->helo_timeout = tparam(srv, "smtp_helo_timeout", 300);
    ag->mail_timeout = tparam(srv, "smtp_mail_timeout", 300);
    ag->rcpt_timeout = tparam(srv, "smtp_rcpt_timeout", 300);
    ag->data_init_timeout = tparam(srv, "smtp_data_init_timeout", 120);
    ag->data_xfer_timeout = tparam(srv, "smtp_data_xfer_timeout", 180);
    ag->data_done_timeout = tparam(srv, "smtp_data_done_timeout", 600);
    ag->quit_timeout = tparam(srv, "smtp_quit_timeout", 300);
    ag->starttls_timeout = tparam(srv, "smtp_starttls_timeout", 300);
    ag->rset_timeout = tparam(srv, "smtp_rset_timeout", 20);
    ag->mx_address_limit = (int) server_param_int(srv, "smtp_mx_address_limit");
    if (ag->mx_address_limit <= 0)
        ag->mx_address_limit = 1000;
    ag->mx_session_limit = (int) server_param_int(srv, "smtp_mx_session_limit");
    if (ag->mx_session_limit <= 0)
        ag->mx_session_limit = 1000;
    ag->reuse_count_limit =
        server_param_int(srv, "smtp_connection_reuse_count_limit");
    ag->reuse_time_limit =
        server_param_time(srv, "smtp_connection_reuse_time_limit");
    ag->cache_time_limit =
        server_param_time(srv, "smtp_connection_cache_time_limit");
    ag->cache_on = server_param_bool(srv, "smtp_connection_cache_on_demand");
    ag->no_mime_oconv =
        server_param_bool(srv, "disable_mime_output_conversion");
    v = server_param(srv, "inet_protocols");
    if (strstr(v, "all"))
        ag->families = DNSC_ROUTE_IPV4 | DNSC_ROUTE_IPV6;
    else
        ag->families = (strstr(v, "ipv4") ? DNSC_ROUTE_IPV4 : 0) |
                       (strstr(v, "ipv6") ? DNSC_ROUTE_IPV6 : 0);
    if (ag->families == 0)
        ag->families = DNSC_ROUTE_IPV4;
    mem_free(v);
    v = server_param(srv, "smtp_host_lookup");
    ag->host_dns = strstr(v, "dns") != NULL || *v == 0;
    ag->host_native = strstr(v, "native") != NULL;
    mem_free(v);
    v = server_param(srv, "smtp_dns_support_level");
    ag->dns_enabled = strcmp(v, "disabled") != 0 &&
                      !server_param_bool(srv, "disable_dns_lookups");
    mem_free(v);
    if (!ag->dns_enabled) {
        ag->host_dns = 0;
        ag->host_native = 1;
    }
    ag->def_port = 25;
    /* the resolvers: resolv.conf, or (tests) $POSTERN_DNS_RESOLVERS */
    env = getenv("POSTERN_DNS_RESOLVERS");
    if (env && *env)
        server_split(env, &ag->resolvers);
    if (ag->tls >= TLS_MAY) {
        char *cafile = server_param(srv, "smtp_tls_CAfile");
        char *capath = server_param(srv, "smtp_tls_CApath");

        ag->tls_ctx = sconn_tls_ctx_new(
            cafile, capath, server_param_bool(srv, "tls_append_default_CA"));
        /* Postfix's words; "encrypt" and up then defer, "may" goes on in
         * plain text */
        if (ag->tls_ctx == NULL) {
            struct buf what;

            buf_init(&what, 0);
            if (*cafile)
                (void) buf_printf(&what, "CAfile=\"%s\"", cafile);
            if (*capath)
                (void) buf_printf(&what, "%sCApath=\"%s\"",
                                  *cafile ? ", " : "", capath);
            maillog_info("cannot load Certification Authority data, %s: "
                         "disabling TLS support",
                         buf_str(&what));
            buf_fini(&what);
        } else {
            /* smtp_tls_[mandatory_]protocols, _ciphers, exclusions: the
             * mandatory ones from encrypt up, as Postfix. A bad value
             * disables TLS here: "encrypt" and up defer ("TLS is
             * required, but our TLS engine is unavailable"), "may" goes
             * on in plain text ("postern check" refuses the value) */
            char why[600];

            if (server_tls_apply(srv->conf, srv->name_space, ag->tls_ctx,
                                 "smtp", SERVER_TLS_CLIENT,
                                 ag->tls >= TLS_VERIFY    ? SERVER_TLS_MATCH
                                 : ag->tls >= TLS_ENCRYPT ? SERVER_TLS_MANDATORY
                                                          : SERVER_TLS_MAY,
                                 why, sizeof(why)) < 0) {
                maillog_warning("%s: disabling TLS support", why);
                sconn_tls_ctx_free(ag->tls_ctx);
                ag->tls_ctx = NULL;
            }
        }
        mem_free(cafile);
        mem_free(capath);
    }
    ag->skip_5xx = server_param_bool(srv, "smtp_skip_5xx_greeting");
    ag->always_ehlo = server_param_bool(srv, "smtp_always_send_ehlo");
    ag->never_ehlo = server_param_bool(srv, "smtp_never_send_ehlo");
    ag->defer_no_mx_addr =
        server_param_bool(srv, "smtp_defer_if_no_mx_address_found");
    v = server_param(srv, "smtp_address_preference");
    ag->addr_pref = strcmp(v, "ipv6") == 0 ? 6 : strcmp(v, "ipv4") == 0 ? 4 : 0;
    mem_free(v);
    strv_init(&ag->fallback);
    buf_init(&ag->nonfinal, 0);
    ag->relayhost = server_param(srv, "relayhost");
    v = server_param(srv, "smtp_fallback_relay");
    server_split(v, &ag->fallback);
    mem_free(v);
    ag->sender_dep =
        server_param_bool(srv, "smtp_sender_dependent_authentication");
    if (server_param_bool(srv, "smtp_sasl_auth_enable")) {
        char *maps = server_param(srv, "smtp_sasl_password_maps");
        char *opts = server_param(srv, "smtp_sasl_security_options");
        char *topts = server_param(srv, "smtp_sasl_tls_security_options");
        char *filter = server_param(srv, "smtp_sasl_mechanism_filter");
        char *tvopts =
            server_param(srv, "smtp_sasl_tls_verified_security_options");

        /* as Postfix: AUTH without a table is a configuration error
         * (sending without the login could bounce the mail) */
        if (*maps == 0)
            maillog_fatal("specify a password table via the "
                          "`smtp_sasl_password_maps' configuration "
                          "parameter");
        /* before the privilege drop: the file is root's */
        ag->sasl =
            smtp_sasl_new(maps, opts, topts, tvopts, filter, ag->sender_dep,
                          server_param_bool(srv, "smtp_sasl_auth_soft_bounce"));
        mem_free(maps);
        mem_free(opts);
        mem_free(topts);
        mem_free(filter);
        mem_free(tvopts);
    }
}

static int
smtp_loop(struct server *srv, void *ctx)
{
    struct agent *ag = ctx;

    srandom((unsigned) (time(NULL) ^ getpid()));
    deliver_agent_loop(srv, batch, ag);
    if (ag->cached)
        session_quit(ag, ag->cached);
    if (ag->tls_ctx)
        sconn_tls_ctx_free(ag->tls_ctx);
    deliver_content_fini(&ag->msg);
    buf_fini(&ag->wire);
    buf_fini(&ag->conv);
    strv_fini(&ag->resolvers);
    strv_fini(&ag->verify_match);
    strv_fini(&ag->secure_match);
    strv_fini(&ag->fallback);
    buf_fini(&ag->nonfinal);
    mem_free(ag->relayhost);
    smtp_sasl_free(ag->sasl);
    mem_free(ag->helo_name);
    mem_free(ag->bind_addr);
    mem_free(ag->bind_addr6);
    mem_free(ag->servername);
    return 0;
}

int
smtp_service(struct server *srv)
{
    static const struct server_service svc = {smtp_pre_drop, NULL, NULL,
                                              smtp_loop};
    struct agent ag;

    memset(&ag, 0, sizeof(ag));
    return server_main(srv, &svc, &ag);
}
