/*
 * smtp_session - one SMTP session of the smtp agent: connect, greeting,
 * EHLO/HELO, STARTTLS (smtp_tls.c) and AUTH (smtp_sasl.c), QUIT, and
 * the check that a cached session may carry the next request.
 *
 * DESCRIPTION
 *	Failures get Postfix's wording ("connect to h[a]:p: Connection
 *	refused", "host h[a] refused to talk to me: ...", "conversation
 *	with h[a] timed out while ...") so log readers see what they know.
 */
#define _DEFAULT_SOURCE 1
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "deliver/deliver.h"
#include "maillog/maillog.h"
#include "smtp/smtp_int.h"

/* smtp_io_reason - Postfix's text for a broken conversation */
void
smtp_io_reason(struct buf *b, enum smtp_conn_err e, const char *name,
               const char *stage)
{
    buf_truncate(b, 0);
    if (e == SMTP_CONN_TIMEOUT)
        (void) buf_printf(b, "conversation with %s timed out while %s", name,
                          stage);
    else if (e == SMTP_CONN_PROTOCOL)
        (void) buf_printf(b, "malformed reply from %s while %s", name, stage);
    else
        (void) buf_printf(b, "lost connection with %s while %s", name, stage);
}

/* smtp_said - "host h[a] said: REPLY (in reply to X command)" */
void
smtp_said(struct buf *b, const struct session *s, const struct smtp_reply *r,
          const char *cmd)
{
    buf_truncate(b, 0);
    (void) buf_printf(b, "host %s said: %s (in reply to %s command)", s->name,
                      buf_str(&r->text), cmd);
}

/* smtp_said_keep - the server and reply behind a failed session's
 * reason (smtp_said's text), for the typed result smtp_open_session()
 * sets */
void
smtp_said_keep(struct agent *ag, const struct session *s,
               const struct smtp_reply *r)
{
    snprintf(ag->said_mta, sizeof(ag->said_mta), "%s", s->host);
    buf_truncate(&ag->said_reply, 0);
    (void) buf_puts(&ag->said_reply, buf_str(&r->text));
}

int
smtp_status_of(int code)
{
    return code / 100 == 2   ? DELIVER_SENT
           : code / 100 == 5 ? DELIVER_BOUNCE
                             : DELIVER_DEFER;
}

void
smtp_session_free(struct session *s)
{
    if (s == NULL)
        return;
    smtp_conn_free(s->c);
    mem_free(s->nexthop);
    mem_free(s);
}

void
smtp_session_quit(struct agent *ag, struct session *s)
{
    struct smtp_reply r;

    if (s == NULL)
        return;
    smtp_reply_init(&r);
    smtp_conn_timeout(s->c, ag->quit_timeout > 5 ? 5 : ag->quit_timeout);
    smtp_conn_printf(s->c, "QUIT");
    if (smtp_conn_reply(s->c, &r) != SMTP_CONN_OK)
        r.code = 0; /* the connection closes anyway */
    smtp_reply_fini(&r);
    smtp_session_free(s);
}

static void
features(struct session *s, const struct smtp_reply *r)
{
    s->pipelining = s->dsn = s->eightbit = s->smtputf8 = s->starttls = 0;
    s->size_max = 0;
    s->has_size = 0;
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
        else if (k == 4 && strncasecmp(l, "SIZE", k) == 0) {
            s->has_size = 1;
            s->size_max = l[k] ? strtoul(l + k + 1, NULL, 10) : 0;
        }
    }
}

/* smtp_hello - EHLO (HELO when EHLO is refused); 0, or -1 with a reason,
 * *dsn and *status set */
int
smtp_hello(struct agent *ag, struct session *s, int ehlo, struct smtp_reply *r,
           struct buf *why, char *dsn, int *status)
{
    enum smtp_conn_err e;

    smtp_conn_timeout(s->c, ag->helo_timeout);
    if (!ehlo)
        goto helo;
    smtp_conn_printf(s->c, "%s %s", ag->lmtp ? "LHLO" : "EHLO", ag->helo_name);
    if ((e = smtp_conn_reply(s->c, r)) != SMTP_CONN_OK) {
        smtp_io_reason(why, e, s->name,
                       ag->lmtp ? "performing the LHLO handshake"
                                : "performing the EHLO handshake");
        snprintf(dsn, 16, "4.4.2");
        *status = DELIVER_DEFER;
        return -1;
    }
    if (r->code == 250) {
        s->esmtp = 1;
        features(s, r);
        return 0;
    }
    if (ag->lmtp) {
        /* LMTP has no HELO to fall back to */
        smtp_said(why, s, r, "LHLO");
        smtp_said_keep(ag, s, r);
        snprintf(dsn, 16, "%s", r->dsn);
        *status = smtp_status_of(r->code);
        return -1;
    }
helo:
    smtp_conn_printf(s->c, "HELO %s", ag->helo_name);
    if ((e = smtp_conn_reply(s->c, r)) != SMTP_CONN_OK) {
        smtp_io_reason(why, e, s->name, "performing the HELO handshake");
        snprintf(dsn, 16, "4.4.2");
        *status = DELIVER_DEFER;
        return -1;
    }
    if (r->code != 250) {
        smtp_said(why, s, r, "HELO");
        smtp_said_keep(ag, s, r);
        snprintf(dsn, 16, "%s", r->dsn);
        *status = smtp_status_of(r->code);
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

/* tls_and_auth - after EHLO: STARTTLS as the TLS level asks (not when
 * plaintext: the retry after "may" failed), then AUTH when the server
 * offers it; 0, or -1 with a reason, dsn and *status */
static int
tls_and_auth(struct agent *ag, struct session *s, const char *nh_host,
             int plaintext, struct smtp_reply *r, struct buf *why, char *dsn,
             int *status)
{
    if (ag->tls >= TLS_ENCRYPT && !s->starttls) {
        buf_truncate(why, 0);
        (void) buf_printf(
            why, "TLS is required, but was not offered by host %s", s->name);
        snprintf(dsn, 16, "4.7.4");
        *status = DELIVER_DEFER;
        return -1;
    }
    if (ag->tls >= TLS_ENCRYPT && ag->tls_ctx == NULL) {
        buf_truncate(why, 0);
        (void) buf_puts(why, "TLS is required, but our TLS engine is "
                             "unavailable");
        snprintf(dsn, 16, "4.7.5");
        *status = DELIVER_DEFER;
        return -1;
    }
    /* Postfix: opportunistic TLS over a UNIX-domain socket is waste
     * (the channel is private): "may" is "none" there */
    if (ag->tls >= TLS_MAY && s->starttls && !plaintext && ag->tls_ctx &&
        !(s->port == 0 && ag->tls == TLS_MAY)) {
        if (smtp_start_tls(ag, s, nh_host, r, why, dsn, status) < 0)
            return -1;
    }
    /* SMTP AUTH after STARTTLS, when the server offers it */
    if (ag->sasl && s->esmtp && s->has_auth) {
        int st, rc;

        rc = smtp_sasl_authenticate(ag->sasl, s->c, s->auth,
                                    s->tls_verified            ? 2
                                    : smtp_conn_tls_info(s->c) ? 1
                                                               : 0,
                                    ag->sender, s->host, ag->dest, s->name,
                                    s->relay, ag->helo_timeout, why, dsn, &st);
        if (rc < 0) {
            *status = st == 5 ? DELIVER_BOUNCE : DELIVER_DEFER;
            return -1;
        }
        /* a session authenticated for one sender is not for the next */
        s->no_cache = rc > 0 && ag->sender_dep;
    }
    return 0;
}

/* smtp_try_host - a session with one address; NULL with a reason */
struct session *
smtp_try_host(struct agent *ag, const char *nexthop, const char *nh_host,
              const char *host, const char *addr, unsigned port, int plaintext,
              struct buf *why, char *dsn, int *status, int *greeted)
{
    struct session *s = mem_calloc(1, sizeof(*s));
    struct smtp_reply r;
    enum smtp_conn_err e;
    int v6 = strchr(addr, ':') != NULL, bind_failed = 0;

    /* Postfix logs the soft failure of a server that was not the last
     * one tried ("connect to h[a]:p: Connection refused") */
    if (ag->nonfinal.len) {
        log_info("%s", buf_str(&ag->nonfinal));
        buf_truncate(&ag->nonfinal, 0);
    }
    *greeted = 0;
    *status = DELIVER_DEFER;
    ag->said_mta[0] = 0;
    smtp_reply_init(&r);
    snprintf(s->host, sizeof(s->host), "%s", host);
    snprintf(s->addr, sizeof(s->addr), "%s", addr);
    s->port = port;
    snprintf(s->name, sizeof(s->name), "%s[%s]", host, addr);
    /* a UNIX-domain server (port 0) is named without a port, as Postfix
     * does: "myhostname[private/dovecot-lmtp]" */
    if (port)
        snprintf(s->relay, sizeof(s->relay), "%s[%s]:%u", host, addr, port);
    else
        snprintf(s->relay, sizeof(s->relay), "%s", s->name);
    if (port)
        s->c = smtp_conn_connect(
            addr, port, v6 ? ag->bind_addr6 : ag->bind_addr, ag->bind_enforce,
            ag->connect_timeout, why, &bind_failed);
    else
        s->c = smtp_conn_connect_unix(addr, ag->connect_timeout, why);
    if (s->c == NULL && bind_failed) {
        /* smtp_bind_address_enforce: Postfix's "4.4.0 server
         * configuration error" */
        snprintf(dsn, 16, "4.4.0");
        goto fail;
    }
    if (s->c == NULL) {
        char tmp[600];

        if (port)
            snprintf(tmp, sizeof(tmp), "connect to %s:%u: %s", s->name, port,
                     buf_str(why));
        else
            snprintf(tmp, sizeof(tmp), "connect to %s: %s", s->name,
                     buf_str(why));
        buf_truncate(why, 0);
        (void) buf_puts(why, tmp);
        snprintf(dsn, 16, "4.4.1");
        goto fail;
    }
    smtp_conn_timeout(s->c, ag->helo_timeout);
    if ((e = smtp_conn_reply(s->c, &r)) != SMTP_CONN_OK) {
        smtp_io_reason(why, e, s->name,
                       "receiving the initial server greeting");
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
    if (smtp_hello(ag, s,
                   !ag->never_ehlo &&
                       (ag->always_ehlo || says_esmtp(buf_str(&r.text))),
                   &r, why, dsn, status) < 0)
        goto fail;
    if (tls_and_auth(ag, s, nh_host, plaintext, &r, why, dsn, status) < 0)
        goto fail;
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
    smtp_session_free(s);
    return NULL;
}

/*
 * smtp_reusable - may the cached session take a request for nexthop? With
 * PIPELINING the liveness check (RSET) rides in front of the next MAIL
 * FROM instead of costing a round trip of its own: Postfix checks a
 * cached connection with RSET too, but waits for the answer first.
 */
int
smtp_reusable(struct agent *ag, struct session *s, const char *nexthop)
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
    smtp_conn_timeout(s->c, ag->rset_timeout);
    smtp_conn_printf(s->c, "RSET");
    ok = smtp_conn_reply(s->c, &r) == SMTP_CONN_OK && r.code == 250;
    smtp_reply_fini(&r);
    return ok;
}
