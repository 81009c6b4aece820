/*
 * smtpd_sasl - SMTP AUTH (RFC 4954) in the SMTP server, as Postfix 3.7's
 *	smtpd_sasl_proto.c and smtpd_sasl_glue.c behave.
 *
 * DESCRIPTION
 *	With smtpd_sasl_auth_enable = yes, EHLO offers "AUTH" with the
 *	mechanisms the backend (smtpd_sasl_type; Dovecot's auth service in
 *	smtpd_sasl_dovecot.c) offers and the security options allow
 *	(smtpd_sasl_security_options, after STARTTLS
 *	smtpd_sasl_tls_security_options), unless the client is in
 *	smtpd_sasl_exceptions_networks or smtpd_tls_auth_only holds back
 *	AUTH until TLS; broken_sasl_auth_clients adds "AUTH=". The AUTH
 *	command runs the exchange (334 challenges, "*" aborts, responses
 *	up to smtpd_sasl_response_limit bytes) and answers with Postfix's
 *	replies; a login is what permit_sasl_authenticated, the
 *	*_sender_login_mismatch restrictions, check_sasl_access, the
 *	client= log line and the Received: header see.
 *
 *	The backend connection is per session, opened at the first EHLO
 *	or AUTH that needs it and closed with the session.
 *
 * DIAGNOSTICS
 *	Postfix's warnings: "%s: SASL %s authentication failed: %s,
 *	sasl_username=%s" (fail2ban's postfix-sasl filter reads it), "%s:
 *	SASL %s authentication aborted".
 *
 * BUGS
 *	A backend that cannot be reached leaves the session without AUTH
 *	(a warning), where Postfix's smtpd exits with "fatal: no SASL
 *	authentication mechanisms": a Postern process serves several
 *	sessions. smtpd_sasl_exceptions_networks matches addresses, not
 *	host names.
 */
#define _DEFAULT_SOURCE 1 /* strcasecmp */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "maps/maps.h"
#include "server/server.h"
#include "smtpd/smtpd_int.h"

#define SASL_DOVECOT 1
#define SASL_CYRUS   2

struct smtpd_sasl_conf {
    int enable;                     /* smtpd_sasl_auth_enable */
    int type;                       /* SASL_DOVECOT, SASL_CYRUS */
    char *realm;                    /* smtpd_sasl_local_domain (Cyrus) */
    char *path;                     /* smtpd_sasl_path */
    char *service;                  /* smtpd_sasl_service */
    unsigned opts;                  /* smtpd_sasl_security_options */
    unsigned tls_opts;              /* smtpd_sasl_tls_security_options */
    struct maps_match *exceptions;  /* or NULL */
    struct maps_match *mech_filter; /* smtpd_sasl_mechanism_filter, or NULL */
    int auth_header;                /* smtpd_sasl_authenticated_header */
    int broken_clients;             /* broken_sasl_auth_clients */
    int tls_auth_only;              /* smtpd_tls_auth_only */
    long resp_limit;                /* smtpd_sasl_response_limit */
    struct maps *login_maps;        /* smtpd_sender_login_maps, or NULL */
};

struct smtpd_sasl {
    struct smtpd_dovecot *dc;
    struct smtpd_cyrus *cy;
    struct smtpd_sasl_mechs mechs;
    int tried;        /* connected once (a failure is not retried) */
    struct buf offer; /* the filtered mechanism list */
};

static unsigned request_id; /* per process, as Postfix's counter */

char *
smtpd_printable(char *s)
{
    for (unsigned char *p = (unsigned char *) s; p && *p; p++)
        if (*p < ' ' || *p >= 127)
            *p = '?';
    return s;
}

/* ---- configuration ---- */

int
smtpd_sasl_sec_opts(const char *opts, unsigned *mask, char *bad, size_t len)
{
    static const struct {
        const char *name;
        unsigned bit;
    } names[] = {
        {"noplaintext", SMTPD_SASL_NOPLAINTEXT},
        {"noactive", SMTPD_SASL_NOACTIVE},
        {"nodictionary", SMTPD_SASL_NODICTIONARY},
        {"noanonymous", SMTPD_SASL_NOANONYMOUS},
        {"forward_secrecy", SMTPD_SASL_FWD_SECRECY},
        {"mutual_auth", SMTPD_SASL_MUTUAL_AUTH},
    };
    struct strv sv;
    int rc = 0;

    *mask = 0;
    strv_init(&sv);
    server_split(opts, &sv);
    for (size_t i = 0; i < sv.n && rc == 0; i++) {
        size_t k;

        for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
            if (strcasecmp(sv.v[i], names[k].name) == 0)
                break;
        if (k < sizeof(names) / sizeof(names[0])) {
            *mask |= names[k].bit;
        } else {
            snprintf(bad, len, "%s", sv.v[i]);
            rc = -1;
        }
    }
    strv_fini(&sv);
    return rc;
}

void
smtpd_sasl_mech_filter(const struct smtpd_sasl_mechs *m, unsigned opts,
                       struct buf *out)
{
    unsigned pos = opts & SMTPD_SASL_POS_MASK, neg = opts & SMTPD_SASL_NEG_MASK;

    buf_truncate(out, 0);
    for (int i = 0; i < m->n; i++)
        if ((m->props[i] & pos) == pos && (m->props[i] & neg) == 0)
            (void) buf_printf(out, "%s%s", out->len ? " " : "", m->name[i]);
}

/* sec_opts - a security option parameter, fatal as Postfix's
 * name_mask_opt() for an unknown word */
static unsigned
sec_opts(struct server *srv, const char *param)
{
    char *v = server_param(srv, param), bad[100];
    unsigned mask;

    if (smtpd_sasl_sec_opts(v, &mask, bad, sizeof(bad)) < 0)
        log_fatal("unknown xsasl_dovecot_server_create value \"%s\" in "
                  "\"%s\"",
                  bad, v);
    mem_free(v);
    return mask;
}

void
smtpd_sasl_conf_load(struct smtpd_conf *cf)
{
    struct server *srv = cf->srv;
    struct smtpd_sasl_conf *sc = mem_calloc(1, sizeof(*sc));
    char *v;

    cf->sasl = sc;
    sc->tls_auth_only = server_param_bool(srv, "smtpd_tls_auth_only");
    v = server_param(srv, "smtpd_sender_login_maps");
    sc->login_maps = *v ? maps_new("smtpd_sender_login_maps", v, 0) : NULL;
    mem_free(v);
    if (sc->login_maps && maps_preload(sc->login_maps) < 0)
        log_warn("%s", maps_error(sc->login_maps));
    sc->enable = server_param_bool(srv, "smtpd_sasl_auth_enable");
    if (!sc->enable)
        return;
    v = server_param(srv, "smtpd_sasl_type");
    if (strcasecmp(v, "dovecot") == 0)
        sc->type = SASL_DOVECOT;
    else if (strcasecmp(v, "cyrus") == 0)
        sc->type = SASL_CYRUS;
    else
        log_fatal("unsupported SASL server implementation: %s", v);
    mem_free(v);
    sc->path = server_param(srv, "smtpd_sasl_path");
    sc->realm = server_param(srv, "smtpd_sasl_local_domain");
    if (sc->type == SASL_CYRUS) {
        /* before privileges go and the chroot hides the plugins */
        v = server_param(srv, "cyrus_sasl_config_path");
        if (smtpd_cyrus_init(sc->path, v) < 0)
            log_fatal("SASL per-process initialization failed");
        mem_free(v);
    }
    sc->service = server_param(srv, "smtpd_sasl_service");
    sc->opts = sec_opts(srv, "smtpd_sasl_security_options");
    sc->tls_opts = sec_opts(srv, "smtpd_sasl_tls_security_options");
    v = server_param(srv, "smtpd_sasl_exceptions_networks");
    sc->exceptions = *v ? maps_match_new("smtpd_sasl_exceptions_networks", v,
                                         MAPS_MATCH_ADDR, 0)
                        : NULL;
    mem_free(v);
    if (sc->exceptions)
        (void) maps_match_preload(sc->exceptions);
    v = server_param(srv, "smtpd_sasl_mechanism_filter");
    sc->mech_filter = *v ? maps_match_new("smtpd_sasl_mechanism_filter", v,
                                          MAPS_MATCH_DOMAIN, 0)
                         : NULL;
    mem_free(v);
    if (sc->mech_filter)
        (void) maps_match_preload(sc->mech_filter);
    sc->auth_header = server_param_bool(srv, "smtpd_sasl_authenticated_header");
    sc->broken_clients = server_param_bool(srv, "broken_sasl_auth_clients");
    sc->resp_limit = server_param_int(srv, "smtpd_sasl_response_limit");
}

void
smtpd_sasl_disable(struct smtpd_conf *cf)
{
    if (cf->sasl)
        cf->sasl->enable = 0;
}

int
smtpd_sasl_enabled(const struct smtpd_conf *cf)
{
    return cf->sasl && cf->sasl->enable;
}

struct maps *
smtpd_sasl_login_maps(const struct smtpd_conf *cf)
{
    return cf->sasl ? cf->sasl->login_maps : NULL;
}

int
smtpd_sasl_auth_header(const struct smtpd_conf *cf)
{
    return cf->sasl && cf->sasl->auth_header;
}

/* ---- the backend ---- */

/* mech_filter - smtpd_sasl_mechanism_filter on the announced list, as
 * Postfix's string_list_match() per name (a table error drops the name) */
static void
mech_filter(struct smtpd_sasl_conf *sc, struct buf *offer)
{
    struct strv sv;

    if (sc->mech_filter == NULL || offer->len == 0)
        return;
    strv_init(&sv);
    server_split(buf_str(offer), &sv);
    buf_truncate(offer, 0);
    for (size_t i = 0; i < sv.n; i++)
        if (maps_match_domain(sc->mech_filter, sv.v[i]) == 1)
            (void) buf_printf(offer, "%s%s", offer->len ? " " : "", sv.v[i]);
    strv_fini(&sv);
}

/* backend - the session's backend connection and filtered mechanism
 * list, made at the first need; NULL when SASL is off or unreachable */
static struct smtpd_sasl *
backend(struct smtpd_session *s)
{
    struct smtpd_sasl_conf *sc = s->cf->sasl;
    struct smtpd_sasl *b;

    if (!smtpd_sasl_enabled(s->cf))
        return NULL;
    if (s->sasl == NULL) {
        s->sasl = mem_calloc(1, sizeof(*s->sasl));
        buf_init(&s->sasl->offer, 0);
    }
    b = s->sasl;
    if (sc->type == SASL_CYRUS) {
        if (b->cy == NULL && !b->tried) {
            struct smtpd_cyrus_args a;

            b->tried = 1;
            memset(&a, 0, sizeof(a));
            a.service = sc->service;
            a.realm = sc->realm;
            a.lip = s->server_addr;
            a.lport = s->server_port;
            a.rip = s->addr;
            a.rport = s->port;
            a.opts = s->tls ? sc->tls_opts : sc->opts;
            b->cy = smtpd_cyrus_new(&a, &b->offer);
        }
        return b->cy ? b : NULL;
    }
    if (b->dc == NULL && !b->tried) {
        b->tried = 1;
        b->dc = smtpd_dovecot_connect(sc->path, s->cf->queue_dir, &b->mechs);
        b->offer.len = 0;
    }
    if (b->dc == NULL)
        return NULL;
    if (b->offer.len == 0)
        smtpd_sasl_mech_filter(&b->mechs, s->tls ? sc->tls_opts : sc->opts,
                               &b->offer);
    if (b->offer.len == 0) {
        log_warn("%s: no applicable SASL mechanisms", s->namaddr);
        return NULL;
    }
    return b;
}

void
smtpd_sasl_tls_started(struct smtpd_session *s)
{
    if (s->sasl) {
        /* a new Cyrus connection with the TLS security options */
        buf_truncate(&s->sasl->offer, 0);
        smtpd_cyrus_free(s->sasl->cy);
        s->sasl->cy = NULL;
        s->sasl->tried = s->sasl->dc != NULL;
    }
    mem_free(s->sasl_method);
    mem_free(s->sasl_username);
    s->sasl_method = s->sasl_username = NULL;
}

void
smtpd_sasl_session_end(struct smtpd_session *s)
{
    if (s->sasl) {
        smtpd_dovecot_free(s->sasl->dc);
        smtpd_cyrus_free(s->sasl->cy);
        smtpd_sasl_mechs_fini(&s->sasl->mechs);
        buf_fini(&s->sasl->offer);
        mem_free(s->sasl);
        s->sasl = NULL;
    }
    mem_free(s->sasl_method);
    mem_free(s->sasl_username);
    mem_free(s->sasl_sender);
    s->sasl_method = s->sasl_username = s->sasl_sender = NULL;
}

/* exception - smtpd_sasl_exceptions_networks has the client */
static int
exception(struct smtpd_session *s)
{
    struct maps_match *ml = s->cf->sasl->exceptions;

    return ml && maps_match_addr(ml, s->addr) == 1;
}

/* active - Postfix's smtpd_sasl_is_active(): SASL on, and with
 * smtpd_tls_auth_only not before TLS (Postfix 3.7 answers AUTH in clear
 * with "not enabled" then, not with RFC 4954's 504 or 538) */
static struct smtpd_sasl *
active(struct smtpd_session *s)
{
    if (!smtpd_sasl_enabled(s->cf) || (s->cf->sasl->tls_auth_only && !s->tls))
        return NULL;
    return backend(s);
}

void
smtpd_sasl_ehlo(struct smtpd_session *s)
{
    struct smtpd_sasl *b;
    struct buf shown;

    if (!smtpd_sasl_enabled(s->cf) || exception(s))
        return;
    if ((b = active(s)) == NULL)
        return;
    /* the filter changes what is announced, not what may be used (as
     * Postfix's) */
    buf_init(&shown, 0);
    (void) buf_puts(&shown, buf_str(&b->offer));
    mech_filter(s->cf->sasl, &shown);
    smtpd_io_printf(s->io, "250-AUTH %s", buf_str(&shown));
    if (s->cf->sasl->broken_clients)
        smtpd_io_printf(s->io, "250-AUTH=%s", buf_str(&shown));
    buf_fini(&shown);
}

/* ---- the AUTH command ---- */

static int
valid_base64(const char *p)
{
    for (; *p; p++)
        if (!isalnum((unsigned char) *p) && *p != '+' && *p != '/' && *p != '=')
            return 0;
    return 1;
}

/* offered - mech is in the filtered list (case-insensitive) */
static int
offered(struct smtpd_sasl *b, const char *mech)
{
    struct strv sv;
    int yes = 0;

    strv_init(&sv);
    server_split(buf_str(&b->offer), &sv);
    for (size_t i = 0; i < sv.n && !yes; i++)
        yes = strcasecmp(sv.v[i], mech) == 0;
    strv_fini(&sv);
    return yes;
}

/* first - Postfix's xsasl_dovecot_server_first(): the request, once
 * more on a new connection when the old one is gone */
static int
first(struct smtpd_session *s, struct smtpd_sasl *b, const char *mech,
      const char *resp, struct buf *reply, char **user)
{
    struct smtpd_dovecot_req rq;
    int st;

    if (b->cy)
        return smtpd_cyrus_step(b->cy, mech, resp, reply, user);
    if (!offered(b, mech)) {
        (void) buf_puts(reply, "Invalid authentication mechanism");
        return SMTPD_SASL_FAIL;
    }
    if (resp && !valid_base64(resp)) {
        (void) buf_puts(reply, "Invalid base64 data in initial response");
        return SMTPD_SASL_FAIL;
    }
    memset(&rq, 0, sizeof(rq));
    rq.mech = mech;
    rq.service = s->cf->sasl->service;
    rq.lip = s->server_addr;
    rq.rip = strcmp(s->addr, "unknown") ? s->addr : "";
    rq.tls = s->tls;
    rq.resp = resp;
    st = smtpd_dovecot_auth(b->dc, ++request_id, &rq, reply, user);
    if (st == SMTPD_SASL_TEMP) {
        struct smtpd_sasl_mechs m;

        memset(&m, 0, sizeof(m));
        smtpd_dovecot_free(b->dc);
        b->dc = smtpd_dovecot_connect(s->cf->sasl->path, s->cf->queue_dir, &m);
        smtpd_sasl_mechs_fini(&m);
        if (b->dc == NULL) {
            b->dc = NULL;
            buf_truncate(reply, 0);
            (void) buf_puts(reply, "Can't connect to authentication server");
            return SMTPD_SASL_TEMP;
        }
        buf_truncate(reply, 0);
        st = smtpd_dovecot_auth(b->dc, ++request_id, &rq, reply, user);
    }
    return st;
}

/* response - the client's answer to a 334 into line: 0, 1 too long
 * (the rest read and dropped), -1 the connection is gone (logged) */
static int
response(struct smtpd_session *s, struct buf *line)
{
    size_t limit = (size_t) s->cf->sasl->resp_limit + 1; /* CRLF */
    int lf = 0, rc;

    (void) smtpd_io_flush(s->io);
    rc = smtpd_io_read_line(s->io, line, limit, &lf);
    if (rc > 0 && !lf) {
        struct buf rest;

        buf_init(&rest, 0);
        do
            rc = smtpd_io_read_line(s->io, &rest, limit, &lf);
        while (rc > 0 && !lf);
        buf_fini(&rest);
        if (rc > 0)
            return 1;
    }
    if (rc <= 0) {
        if (smtpd_io_timed_out(s->io)) {
            smtpd_io_printf(s->io, "421 4.4.2 %s Error: timeout exceeded",
                            s->cf->myhostname);
            (void) smtpd_io_flush(s->io);
            log_info("timeout after AUTH from %s", s->namaddr);
        } else {
            log_info("lost connection after AUTH from %s", s->namaddr);
        }
        return -1;
    }
    while (line->len && (line->data[line->len - 1] == '\n' ||
                         line->data[line->len - 1] == '\r'))
        line->data[--line->len] = 0;
    return 0;
}

/* authenticate - Postfix's smtpd_sasl_authenticate(); 0 logged in, 1
 * refused (replied), -1 the connection is gone */
static int
authenticate(struct smtpd_session *s, struct smtpd_sasl *b, const char *mech,
             const char *init)
{
    struct buf reply, line;
    char *user = NULL;
    int st, rc = 1;

    buf_init(&reply, 0);
    buf_init(&line, 0);
    for (st = first(s, b, mech, init, &reply, &user); st == SMTPD_SASL_MORE;) {
        smtpd_io_printf(s->io, "334 %s", buf_str(&reply));
        if ((rc = response(s, &line)) != 0) {
            if (rc > 0)
                smtpd_io_printf(s->io, "500 5.5.6 SASL response limit "
                                       "exceeded");
            goto out;
        }
        rc = 1;
        if (strcmp(buf_str(&line), "*") == 0) {
            log_warn("%s: SASL %s authentication aborted", s->namaddr, mech);
            smtpd_io_printf(s->io, "501 5.7.0 Authentication aborted");
            goto out;
        }
        buf_truncate(&reply, 0);
        if (b->cy) {
            st = smtpd_cyrus_step(b->cy, NULL, buf_str(&line), &reply, &user);
        } else if (!valid_base64(buf_str(&line))) {
            (void) buf_puts(&reply, "Invalid base64 data in continued "
                                    "response");
            st = SMTPD_SASL_FAIL;
        } else {
            st = smtpd_dovecot_cont(b->dc, buf_str(&line), &reply, &user);
        }
    }
    if (st != SMTPD_SASL_DONE) {
        if (reply.len == 0) /* Dovecot gives no reason for a bad password */
            (void) buf_puts(&reply, "(reason unavailable)");
        log_warn("%s: SASL %.100s authentication failed: %s, "
                 "sasl_username=%.100s",
                 s->namaddr, mech, buf_str(&reply),
                 user ? user : "(unavailable)");
        if (st == SMTPD_SASL_TEMP)
            smtpd_io_printf(s->io,
                            "454 4.7.0 Temporary authentication failure: %s",
                            buf_str(&reply));
        else
            smtpd_io_printf(s->io, "535 5.7.8 Error: authentication failed: %s",
                            buf_str(&reply));
        goto out;
    }
    smtpd_io_printf(s->io, "235 2.7.0 Authentication successful");
    s->sasl_username = user;
    user = NULL;
    s->sasl_method = smtpd_printable(mem_strdup(mech));
    rc = 0;
out:
    mem_free(user);
    buf_fini(&reply);
    buf_fini(&line);
    return rc;
}

int
smtpd_cmd_auth(struct smtpd_session *s, const char *arg)
{
    struct smtpd_sasl *b = NULL;
    struct strv av;
    int rc = 0, ok = 0;

    strv_init(&av);
    server_split(arg, &av);
    if (s->cf->helo_required && s->helo == NULL)
        smtpd_io_printf(s->io, "503 5.5.1 Error: send HELO/EHLO first");
    else if ((b = active(s)) == NULL)
        smtpd_io_printf(s->io, "503 5.5.1 Error: authentication not enabled");
    else if (s->have_mail)
        smtpd_io_printf(s->io, "503 5.5.1 Error: MAIL transaction in progress");
    else if (s->sasl_username)
        smtpd_io_printf(s->io, "503 5.5.1 Error: already authenticated");
    else if (av.n < 1 || av.n > 2)
        smtpd_io_printf(s->io, "501 5.5.4 Syntax: AUTH mechanism");
    else if ((rc = authenticate(s, b, av.v[0], av.n == 2 ? av.v[1] : NULL)) ==
             0)
        ok = 1;
    smtpd_stat_count(s, "auth", ok);
    strv_fini(&av);
    return rc < 0 ? -1 : 0;
}

const char *
smtpd_sasl_mail_opt(struct smtpd_session *s, const char *value)
{
    if (active(s) == NULL)
        return "503 5.5.4 Error: authentication disabled";
    if (s->sasl_sender)
        return "503 5.5.4 Error: multiple AUTH= options";
    if (strcmp(value, "<>") != 0)
        s->sasl_sender = smtpd_printable(mem_strdup(value));
    return NULL;
}
