/*
 * smtp_tls - the TLS policy of the smtp agent: smtp_tls_security_level,
 * the certificate names a server must match (smtp_tls_*_cert_match),
 * SNI (smtp_tls_servername), the STARTTLS step of a session and the
 * client context set up before the privilege drop.
 *
 * DESCRIPTION
 *	The handshake itself and OpenSSL stay in smtp_io.c; this file
 *	decides what a handshake must prove and what happens when it
 *	does not (defer, or for "may" go on in plain text).
 */
#define _DEFAULT_SOURCE 1
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "deliver/deliver.h"
#include "maillog/maillog.h"
#include "server/server.h"
#include "server/server_tls.h"
#include "smtp/smtp_int.h"

/* smtp_tls_level - smtp_tls_security_level as Postfix's tls_level_lookup reads
 * it (case does not matter, empty is none); an unknown word is fatal, as
 * in Postfix's smtp(8) */
enum tls_level
smtp_tls_level(const char *v)
{
    static const struct {
        const char *name;
        enum tls_level level;
    } levels[] = {
        {"", TLS_NONE},
        {"none", TLS_NONE},
        {"may", TLS_MAY},
        {"encrypt", TLS_ENCRYPT},
        {"verify", TLS_VERIFY},
        {"secure", TLS_SECURE},
        {"dane", TLS_REFUSED},
        {"dane-only", TLS_REFUSED},
        {"fingerprint", TLS_REFUSED},
    };

    for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
        if (strcasecmp(levels[i].name, v) == 0)
            return levels[i].level;
    log_fatal("Invalid TLS level \"%s\"", v);
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
    return smtp_is_ip(n) ? NULL : n;
}

/* smtp_start_tls - STARTTLS, handshake, the certificate checks of the level,
 * EHLO again; 0, or -1 with a reason, dsn and status (-2: "may" failed,
 * try again in plain text) */
int
smtp_start_tls(struct agent *ag, struct session *s, const char *nh_host,
               struct smtp_reply *r, struct buf *why, char *dsn, int *status)
{
    struct buf terr, names;
    struct smtp_conn_peer peer;
    enum smtp_conn_err e;
    int rc, need = ag->tls >= TLS_VERIFY;

    smtp_conn_timeout(s->c, ag->starttls_timeout);
    smtp_conn_printf(s->c, "STARTTLS");
    if ((e = smtp_conn_reply(s->c, r)) != SMTP_CONN_OK) {
        smtp_io_reason(why, e, s->name, "receiving the STARTTLS reply");
        snprintf(dsn, 16, "4.4.2");
        return -1;
    }
    if (r->code != 220) {
        if (ag->tls >= TLS_ENCRYPT) {
            smtp_said(why, s, r, "STARTTLS");
            smtp_said_keep(ag, s, r);
            snprintf(dsn, 16, "4.7.5");
            return -1;
        }
        return 0; /* may: go on in plain text */
    }
    buf_init(&terr, 0);
    buf_init(&names, 0);
    if (need)
        cert_names(ag, s->host, nh_host, &names);
    rc = smtp_conn_starttls(s->c, ag->tls_ctx, server_name(ag, s, nh_host),
                            buf_str(&names), &peer, &terr);
    if (rc < 0) {
        buf_truncate(why, 0);
        (void) buf_printf(why, "Cannot start TLS: %s with %s", buf_str(&terr),
                          s->name);
        snprintf(dsn, 16, "4.7.5");
        *status = ag->tls == TLS_MAY ? -2 : DELIVER_DEFER;
        goto out;
    }
    /* Postfix logs why a required check failed even at loglevel 0 */
    if (need && !peer.trusted)
        log_info("certificate verification failed for %s: %s", s->relay,
                 peer.why);
    else if (need && !peer.matched)
        log_info("server certificate verification failed for %s: %s", s->relay,
                 peer.why);
    if (ag->tls_loglevel >= 1)
        log_info("%s TLS connection established to %s: %s",
                 need
                     ? (peer.trusted && peer.matched ? "Verified" : "Untrusted")
                 : peer.trusted ? "Trusted"
                                : "Untrusted",
                 s->relay, smtp_conn_tls_info(s->c));
    if (need && !(peer.trusted && peer.matched)) {
        buf_truncate(why, 0);
        (void) buf_puts(why, "Server certificate not verified");
        snprintf(dsn, 16, "4.7.5");
        *status = DELIVER_DEFER;
        rc = -1;
        goto out;
    }
    s->tls_verified = need; /* a failed check returned above */
    rc = smtp_hello(ag, s, 1, r, why, dsn, status);
out:
    buf_fini(&terr);
    buf_fini(&names);
    return rc;
}

/* tls_context - the client context with the CA data, and the
 * protocols and ciphers of the level */
static void
tls_context(struct agent *ag, struct server *srv)
{
    if (ag->tls >= TLS_MAY) {
        char *cafile = server_param(
            srv, SMTP_PARAM(ag, "lmtp_tls_CAfile", "smtp_tls_CAfile"));
        char *capath = server_param(
            srv, SMTP_PARAM(ag, "lmtp_tls_CApath", "smtp_tls_CApath"));

        ag->tls_ctx = smtp_conn_tls_ctx_new(
            cafile, capath, server_param_bool(srv, "tls_append_default_CA"));
        /* Postfix's words; "encrypt" and up then defer, "may" goes on in
         * plain text */
        if (ag->tls_ctx == NULL) {
            struct buf what;

            buf_init(&what, 0);
            if (*cafile)
                (void) buf_printf(&what, "CAfile=\"%s\"", cafile);
            if (*capath)
                (void) buf_printf(&what, "%sCApath=\"%s\"", *cafile ? ", " : "",
                                  capath);
            log_info("cannot load Certification Authority data, %s: "
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
                                 ag->lmtp ? "lmtp" : "smtp", SERVER_TLS_CLIENT,
                                 ag->tls >= TLS_VERIFY    ? SERVER_TLS_MATCH
                                 : ag->tls >= TLS_ENCRYPT ? SERVER_TLS_MANDATORY
                                                          : SERVER_TLS_MAY,
                                 why, sizeof(why)) < 0) {
                log_warn("%s: disabling TLS support", why);
                smtp_conn_tls_ctx_free(ag->tls_ctx);
                ag->tls_ctx = NULL;
            }
        }
        mem_free(cafile);
        mem_free(capath);
    }
}

/* smtp_tls_setup - smtp_tls_security_level (or its predecessors),
 * smtp_tls_loglevel, the certificate name lists and the client
 * context, before the privilege drop (the CA files may be root's) */
void
smtp_tls_setup(struct agent *ag, struct server *srv)
{
    char *v;

    ag->servername = server_param(
        srv, SMTP_PARAM(ag, "lmtp_tls_servername", "smtp_tls_servername"));
    v = server_param(srv, SMTP_PARAM(ag, "lmtp_tls_verify_cert_match",
                                     "smtp_tls_verify_cert_match"));
    server_split(v, &ag->verify_match);
    mem_free(v);
    v = server_param(srv, SMTP_PARAM(ag, "lmtp_tls_secure_cert_match",
                                     "smtp_tls_secure_cert_match"));
    server_split(v, &ag->secure_match);
    mem_free(v);
    v = server_param(srv, SMTP_PARAM(ag, "lmtp_tls_security_level",
                                     "smtp_tls_security_level"));
    ag->tls = smtp_tls_level(v);
    /* the level's predecessors, as Postfix reads them when it is empty
     * (before, they were ignored: smtp_enforce_tls = yes sent in clear) */
    if (*v == 0 && server_param_bool(srv, SMTP_PARAM(ag, "lmtp_enforce_tls",
                                                     "smtp_enforce_tls")))
        ag->tls =
            server_param_bool(srv, SMTP_PARAM(ag, "lmtp_tls_enforce_peername",
                                              "smtp_tls_enforce_peername"))
                ? TLS_VERIFY
                : TLS_ENCRYPT;
    else if (*v == 0 && server_param_bool(srv, SMTP_PARAM(ag, "lmtp_use_tls",
                                                          "smtp_use_tls")))
        ag->tls = TLS_MAY;
    if (ag->tls == TLS_REFUSED) {
        /* before, dane became may and fingerprint encrypt: mail went out
         * with less security than asked; "postern check" refuses these */
        snprintf(ag->tls_refused, sizeof(ag->tls_refused),
                 "TLS security level \"%s\" (smtp_tls_security_level) is not "
                 "implemented by Postern: not sent rather than sent with less "
                 "security",
                 v);
        log_warn("%s", ag->tls_refused);
    }
    mem_free(v);
    /* a string in Postfix 3.7 (tls_log_mask: a level or names); the
     * level is what we use */
    v = server_param(srv,
                     SMTP_PARAM(ag, "lmtp_tls_loglevel", "smtp_tls_loglevel"));
    ag->tls_loglevel = (int) strtol(v, NULL, 10);
    mem_free(v);
    tls_context(ag, srv);
}
