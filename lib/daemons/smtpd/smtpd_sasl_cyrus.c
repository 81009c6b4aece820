/*
 * smtpd_sasl_cyrus - SMTP AUTH through Cyrus SASL (smtpd_sasl_type =
 *	cyrus), as Postfix's xsasl_cyrus_server uses libsasl2: the only
 *	file that includes <sasl/sasl.h>.
 *
 * DESCRIPTION
 *	smtpd_cyrus_init() runs once per process, before privileges go:
 *	cyrus_sasl_config_path (when set) is where libsasl2 looks for
 *	the application's configuration, smtpd_sasl_path its name
 *	("smtpd": smtpd.conf, with pwcheck_method saslauthd or auxprop
 *	sasldb, mech_list ... as Debian's Postfix reads
 *	/etc/postfix/sasl/smtpd.conf). smtpd_cyrus_new() makes one
 *	server connection per session (service, realm =
 *	smtpd_sasl_local_domain, the addresses, the security options as
 *	SASL_SEC_PROPS, no security layer) and lists its mechanisms;
 *	smtpd_cyrus_step() runs sasl_server_start/step in a thread
 *	(co_offload: saslauthd may take its time), base64 in and out.
 *
 * DIAGNOSTICS
 *	libsasl2's own messages are logged as Postfix logs them
 *	("warning: SASL authentication failure: ...", "SASL
 *	authentication problem: ...").
 */
#define _DEFAULT_SOURCE 1
#include <sasl/sasl.h>
#include <sasl/saslutil.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtpd/smtpd_int.h"

struct smtpd_cyrus {
    sasl_conn_t *conn;
};

/* cb_log - libsasl2's messages, Postfix's words */
static int
cb_log(void *ctx, int level, const char *msg)
{
    (void) ctx;
    switch (level) {
    case SASL_LOG_ERR:
    case SASL_LOG_FAIL:
        log_warn("SASL authentication problem: %s", msg);
        break;
    case SASL_LOG_WARN:
        log_warn("SASL authentication failure: %s", msg);
        break;
    case SASL_LOG_NOTE:
        log_info("SASL authentication info: %s", msg);
        break;
    default:
        break;
    }
    return SASL_OK;
}

static sasl_callback_t callbacks[] = {
    {SASL_CB_LOG, (int (*)(void))(void (*)(void)) cb_log, NULL},
    {SASL_CB_LIST_END, NULL, NULL},
};

int
smtpd_cyrus_init(const char *app, const char *confpath)
{
    static int done;
    int st;

    if (done)
        return done > 0 ? 0 : -1;
    if (confpath && *confpath) {
        /* sasl_set_path() takes a writable string and copies it */
        char *copy = mem_strdup(confpath);
        int set = sasl_set_path(SASL_PATH_TYPE_CONFIG, copy);

        mem_free(copy);
        if (set != SASL_OK) {
            log_warn("failed to set Cyrus SASL configuration path: \"%s\"",
                     confpath);
            done = -1;
            return -1;
        }
    }
    if ((st = sasl_server_init(callbacks, app)) != SASL_OK) {
        log_warn("SASL per-process initialization failed: %s",
                 sasl_errstring(st, NULL, NULL));
        done = -1;
        return -1;
    }
    done = 1;
    return 0;
}

/* hostport - "addr;port" as libsasl2 wants it, or NULL */
static const char *
hostport(const char *addr, const char *port, char *buf, size_t len)
{
    if (addr == NULL || *addr == 0 || strcmp(addr, "unknown") == 0)
        return NULL;
    snprintf(buf, len, "%s;%s", addr, port && *port ? port : "0");
    return buf;
}

struct smtpd_cyrus *
smtpd_cyrus_new(const struct smtpd_cyrus_args *a, struct buf *mechs)
{
    struct smtpd_cyrus *c;
    sasl_security_properties_t sec;
    char lbuf[128], rbuf[128];
    const char *list;
    unsigned len;
    int count, st;

    c = mem_calloc(1, sizeof(*c));
    st = sasl_server_new(
        a->service, NULL, a->realm && *a->realm ? a->realm : NULL,
        hostport(a->lip, a->lport, lbuf, sizeof(lbuf)),
        hostport(a->rip, a->rport, rbuf, sizeof(rbuf)), NULL, 0, &c->conn);
    if (st != SASL_OK) {
        log_warn("SASL per-connection server initialization: %s",
                 sasl_errstring(st, NULL, NULL));
        mem_free(c);
        return NULL;
    }
    /* Postfix: the options as flags, no security layer */
    memset(&sec, 0, sizeof(sec));
    sec.max_ssf = 1;
    sec.maxbufsize = 0;
    if (a->opts & SMTPD_SASL_NOPLAINTEXT)
        sec.security_flags |= SASL_SEC_NOPLAINTEXT;
    if (a->opts & SMTPD_SASL_NOACTIVE)
        sec.security_flags |= SASL_SEC_NOACTIVE;
    if (a->opts & SMTPD_SASL_NODICTIONARY)
        sec.security_flags |= SASL_SEC_NODICTIONARY;
    if (a->opts & SMTPD_SASL_NOANONYMOUS)
        sec.security_flags |= SASL_SEC_NOANONYMOUS;
    if (a->opts & SMTPD_SASL_FWD_SECRECY)
        sec.security_flags |= SASL_SEC_FORWARD_SECRECY;
    if (a->opts & SMTPD_SASL_MUTUAL_AUTH)
        sec.security_flags |= SASL_SEC_MUTUAL_AUTH;
    if ((st = sasl_setprop(c->conn, SASL_SEC_PROPS, &sec)) != SASL_OK) {
        log_warn("SASL per-connection security setup; %s",
                 sasl_errstring(st, NULL, NULL));
        smtpd_cyrus_free(c);
        return NULL;
    }
    if (sasl_listmech(c->conn, NULL, "", " ", "", &list, &len, &count) !=
            SASL_OK ||
        count == 0) {
        log_warn("%s: no applicable SASL mechanisms",
                 a->rip ? a->rip : "unknown");
        smtpd_cyrus_free(c);
        return NULL;
    }
    buf_truncate(mechs, 0);
    (void) buf_append(mechs, list, len);
    return c;
}

void
smtpd_cyrus_free(struct smtpd_cyrus *c)
{
    if (c == NULL)
        return;
    sasl_dispose(&c->conn);
    mem_free(c);
}

struct step {
    struct smtpd_cyrus *c;
    const char *mech; /* NULL: a continuation */
    const char *in;
    unsigned inlen;
    const char *out;
    unsigned outlen;
    int st;
};

static void
step_fn(void *arg)
{
    struct step *j = arg;

    if (j->mech)
        j->st = sasl_server_start(j->c->conn, j->mech, j->in, j->inlen, &j->out,
                                  &j->outlen);
    else
        j->st =
            sasl_server_step(j->c->conn, j->in, j->inlen, &j->out, &j->outlen);
}

int
smtpd_cyrus_step(struct smtpd_cyrus *c, const char *mech, const char *resp,
                 struct buf *reply, char **user)
{
    struct step j;
    char *dec = NULL;
    unsigned declen = 0;
    const void *name = NULL;
    int rc;

    memset(&j, 0, sizeof(j));
    buf_truncate(reply, 0);
    if (resp && *resp && strcmp(resp, "=") != 0) {
        size_t n = strlen(resp);

        dec = mem_alloc(n + 1);
        if (sasl_decode64(resp, (unsigned) n, dec, (unsigned) n + 1, &declen) !=
            SASL_OK) {
            mem_free(dec);
            (void) buf_puts(reply, mech ? "Invalid base64 data in initial "
                                          "response"
                                        : "Invalid base64 data in continued "
                                          "response");
            return SMTPD_SASL_FAIL;
        }
    }
    j.c = c;
    j.mech = mech;
    j.in = resp ? (dec ? dec : "") : NULL;
    j.inlen = declen;
    (void) co_offload(step_fn, &j);
    mem_free(dec);
    if (j.st == SASL_CONTINUE || j.st == SASL_OK) {
        if (j.st == SASL_CONTINUE || j.outlen > 0) {
            unsigned cap = (j.outlen + 2) / 3 * 4 + 1, enclen;
            char *enc = mem_alloc(cap);

            if (sasl_encode64(j.out ? j.out : "", j.outlen, enc, cap,
                              &enclen) != SASL_OK)
                enclen = 0;
            (void) buf_append(reply, enc, enclen);
            mem_free(enc);
        }
        if (j.st == SASL_CONTINUE)
            return SMTPD_SASL_MORE;
    }
    mem_free(*user);
    *user = NULL;
    if (sasl_getprop(c->conn, SASL_USERNAME, &name) == SASL_OK && name)
        *user = smtpd_printable(mem_strdup(name));
    if (j.st == SASL_OK) {
        if (*user == NULL) {
            (void) buf_puts(reply, "cannot look up the authenticated SASL "
                                   "username");
            return SMTPD_SASL_FAIL;
        }
        return SMTPD_SASL_DONE;
    }
    buf_truncate(reply, 0);
    (void) buf_puts(reply, sasl_errstring(j.st, NULL, NULL));
    rc = j.st == SASL_TRYAGAIN || j.st == SASL_UNAVAIL ? SMTPD_SASL_TEMP
                                                       : SMTPD_SASL_FAIL;
    return rc;
}
