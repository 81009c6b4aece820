/*
 * smtp_sasl - the SMTP AUTH client (RFC 4954) of the smtp agent.
 *
 * DESCRIPTION
 *	See smtp_int.h. Credentials come from smtp_sasl_password_maps
 *	("user:password" values) looked up as Postfix does: the sender
 *	(with smtp_sender_dependent_authentication: the address, then
 *	"@domain"), the server's host name, then the nexthop as given
 *	("[host]:port", "host"). PLAIN and LOGIN are done here (they are
 *	all a smarthost needs, and need no Cyrus SASL); both are
 *	"plaintext" mechanisms for smtp_sasl_security_options,
 *	smtp_sasl_tls_security_options and
 *	smtp_sasl_tls_verified_security_options. Secrets go to the server
 *	only: nothing here logs them, and copies are wiped after use.
 *
 * BUGS
 *	No other mechanism (CRAM-MD5, SCRAM, GSSAPI), no
 *	smtp_sasl_auth_cache_name, no smtp_send_dummy_mail_auth.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "maillog/maillog.h"
#include "maps/maps.h"
#include "server/server.h"
#include "smtp/smtp_int.h"

struct smtp_sasl {
    struct maps *passwd;
    int sender_dep;  /* smtp_sender_dependent_authentication */
    int soft_bounce; /* smtp_sasl_auth_soft_bounce */
    /* "noplaintext" without TLS, with TLS, with verified TLS */
    int noplain, noplain_tls, noplain_tlsv;
    struct strv filter; /* smtp_sasl_mechanism_filter */
};

static int
has_word(const char *list, const char *word)
{
    struct strv v;
    int found = 0;

    strv_init(&v);
    server_split(list, &v);
    for (size_t i = 0; i < v.n; i++)
        if (strcasecmp(v.v[i], word) == 0)
            found = 1;
    strv_fini(&v);
    return found;
}

struct smtp_sasl *
smtp_sasl_new(const char *maps, const char *opts, const char *tls_opts,
              const char *tlsv_opts, const char *filter, int sender_dep,
              int soft_bounce)
{
    struct smtp_sasl *a = mem_calloc(1, sizeof(*a));

    a->passwd = maps_new("smtp_sasl_password_maps", maps, 0);
    a->sender_dep = sender_dep;
    a->soft_bounce = soft_bounce;
    a->noplain = has_word(opts, "noplaintext");
    a->noplain_tls = has_word(tls_opts, "noplaintext");
    a->noplain_tlsv = has_word(tlsv_opts, "noplaintext");
    strv_init(&a->filter);
    server_split(filter, &a->filter);
    /* the file is usually readable by root only: read it now */
    if (maps_preload(a->passwd) < 0)
        log_warn("%s", maps_error(a->passwd));
    return a;
}

void
smtp_sasl_free(struct smtp_sasl *a)
{
    if (a == NULL)
        return;
    maps_free(a->passwd);
    strv_fini(&a->filter);
    mem_free(a);
}

/* find - one key; 1 found (value copied to out), 0 not, -1 error */
static int
find(struct smtp_sasl *a, const char *key, struct buf *out, struct buf *err)
{
    const char *v;
    enum maps_result r;

    if (key == NULL || *key == 0)
        return 0;
    r = maps_find(a->passwd, key, &v);
    if (r == MAPS_ERROR) {
        buf_truncate(err, 0);
        (void) buf_puts(err, maps_error(a->passwd));
        return -1;
    }
    if (r == MAPS_NOTFOUND)
        return 0;
    buf_truncate(out, 0);
    (void) buf_puts(out, v);
    return 1;
}

int
smtp_sasl_lookup(struct smtp_sasl *a, const char *sender, const char *host,
                 const char *nexthop, struct buf *cred, struct buf *err)
{
    int r = 0;

    if (a->sender_dep && sender && *sender) {
        const char *at = strrchr(sender, '@');

        r = find(a, sender, cred, err);
        if (r == 0 && at) {
            char key[300];

            snprintf(key, sizeof(key), "%s", at);
            r = find(a, key, cred, err);
        }
    }
    if (r == 0)
        r = find(a, host, cred, err);
    if (r == 0)
        r = find(a, nexthop, cred, err);
    return r;
}

/* mech_ok - mech passes smtp_sasl_mechanism_filter (names, "!name";
 * empty: all) */
static int
mech_ok(const struct smtp_sasl *a, const char *mech)
{
    if (a->filter.n == 0)
        return 1;
    for (size_t i = 0; i < a->filter.n; i++) {
        const char *f = a->filter.v[i];
        int neg = *f == '!';

        if (strcasecmp(f + neg, mech) == 0)
            return !neg;
    }
    return 0;
}

/* b64 - base64 of p[0..n) into out (EVP_EncodeBlock: no line breaks) */
static void
b64(struct buf *out, const unsigned char *p, size_t n)
{
    size_t need = 4 * ((n + 2) / 3) + 1;

    buf_truncate(out, 0);
    if (buf_reserve(out, need) < 0)
        return;
    out->len =
        (size_t) EVP_EncodeBlock((unsigned char *) out->data, p, (int) n);
    out->data[out->len] = 0;
}

int
smtp_sasl_b64_decode(const char *in, struct buf *out)
{
    size_t n = strlen(in);
    int len;

    buf_truncate(out, 0);
    if (n % 4 != 0 || buf_reserve(out, n / 4 * 3 + 1) < 0)
        return -1;
    len = EVP_DecodeBlock((unsigned char *) out->data,
                          (const unsigned char *) in, (int) n);
    if (len < 0)
        return -1;
    /* EVP_DecodeBlock counts the "=" padding as zero bytes */
    while (n > 0 && in[n - 1] == '=' && len > 0)
        n--, len--;
    out->len = (size_t) len;
    out->data[out->len] = 0;
    return 0;
}

void
smtp_sasl_plain(const char *user, const char *pass, struct buf *out)
{
    size_t ul = strlen(user), pl = strlen(pass);
    unsigned char *t = mem_alloc(ul + pl + 2);

    t[0] = 0; /* no authorization identity */
    memcpy(t + 1, user, ul);
    t[1 + ul] = 0;
    memcpy(t + 2 + ul, pass, pl);
    b64(out, t, ul + pl + 2);
    OPENSSL_cleanse(t, ul + pl + 2);
    mem_free(t);
}

/* choose - the mechanism to use from the server's list: PLAIN before
 * LOGIN, after the filter; NULL when none */
static const char *
choose(const struct smtp_sasl *a, const char *mechs)
{
    struct strv v;
    int plain = 0, login = 0;

    strv_init(&v);
    server_split(mechs, &v);
    for (size_t i = 0; i < v.n; i++) {
        if (strcasecmp(v.v[i], "PLAIN") == 0 && mech_ok(a, "PLAIN"))
            plain = 1;
        else if (strcasecmp(v.v[i], "LOGIN") == 0 && mech_ok(a, "LOGIN"))
            login = 1;
    }
    strv_fini(&v);
    return plain ? "PLAIN" : login ? "LOGIN" : NULL;
}

/* filtered_empty - no mechanism of the server passes the filter */
static int
filtered_empty(const struct smtp_sasl *a, const char *mechs)
{
    struct strv v;
    int any = 0;

    strv_init(&v);
    server_split(mechs, &v);
    for (size_t i = 0; i < v.n; i++)
        if (mech_ok(a, v.v[i]))
            any = 1;
    strv_fini(&v);
    return !any;
}

/* failed - Postfix's text for a refused step */
static int
failed(struct smtp_sasl *a, const char *name, const struct smtp_reply *r,
       struct buf *why, char *dsn, int *status)
{
    buf_truncate(why, 0);
    (void) buf_printf(why, "SASL authentication failed; server %s said: %s",
                      name, buf_str(&r->text));
    snprintf(dsn, 16, "%s", r->dsn);
    /* smtp_sasl_auth_soft_bounce: a 5xx refusal defers too */
    if (r->code / 100 != 5 || a->soft_bounce) {
        dsn[0] = '4';
        *status = 4;
    } else {
        *status = 5;
    }
    return -1;
}

/*
 * converse - AUTH with mech as user/pass, then the challenges (334) until
 * the server says how it went; its last reply in *r. tmp is scratch (the
 * caller cleanses it).
 */
static enum smtp_conn_err
converse(struct smtp_conn *c, const char *mech, const char *user,
         const char *pass, struct buf *tmp, struct smtp_reply *r)
{
    enum smtp_conn_err e;
    int step = 0;

    if (strcmp(mech, "PLAIN") == 0) {
        smtp_sasl_plain(user, pass, tmp);
        smtp_conn_printf(c, "AUTH PLAIN %s", buf_str(tmp));
    } else {
        smtp_conn_printf(c, "AUTH LOGIN");
    }
    for (;;) {
        if ((e = smtp_conn_reply(c, r)) != SMTP_CONN_OK)
            return e;
        if (r->code / 100 != 3)
            return SMTP_CONN_OK;
        if (strcmp(mech, "LOGIN") == 0 && step < 2) {
            const char *v = step++ == 0 ? user : pass;

            b64(tmp, (const unsigned char *) v, strlen(v));
            smtp_conn_printf(c, "%s", buf_str(tmp));
        } else {
            /* nothing more to say: cancel (RFC 4954), and report the
             * server's final answer */
            smtp_conn_printf(c, "*");
        }
    }
}

int
smtp_sasl_authenticate(struct smtp_sasl *a, struct smtp_conn *c,
                       const char *mechs, int tls, const char *sender,
                       const char *host, const char *nexthop, const char *name,
                       const char *relay, int timeout, struct buf *why,
                       char *dsn, int *status)
{
    struct buf cred, tmp, err;
    struct smtp_reply r;
    const char *mech;
    char *pass;
    enum smtp_conn_err e = SMTP_CONN_OK;
    int rc = 0, found, noplain;

    *status = 4;
    buf_init(&cred, 0);
    buf_init(&tmp, 0);
    buf_init(&err, 0);
    smtp_reply_init(&r);
    /* Postfix's smtp_sasl_helo_auth(): the filter may leave nothing */
    if (*mechs == 0)
        log_warn("%s offered null AUTH mechanism list", relay);
    else if (filtered_empty(a, mechs))
        log_warn("%s offered no supported AUTH mechanisms: '%s'", relay, mechs);
    found = smtp_sasl_lookup(a, sender, host, nexthop, &cred, &err);
    if (found < 0) {
        /* Postfix: a warning, and the mail waits (SMTP_ERR_DATA) */
        log_warn("smtp_sasl_password_maps lookup error: %s", buf_str(&err));
        buf_truncate(why, 0);
        (void) buf_printf(why, "local data error while talking to %s", name);
        snprintf(dsn, 16, "4.3.0");
        rc = -1;
        goto out;
    }
    if (found == 0) /* no credentials: talk like strangers, as Postfix */
        goto out;
    if (*mechs == 0 || filtered_empty(a, mechs)) {
        buf_truncate(why, 0);
        (void) buf_printf(why,
                          "SASL authentication failed: server %s offered no "
                          "compatible authentication mechanisms for this "
                          "type of connection security",
                          name);
        snprintf(dsn, 16, "4.7.0");
        rc = -1;
        goto out;
    }
    /* smtp_sasl_security_options, _tls_ or _tls_verified_ */
    noplain = tls == 2 ? a->noplain_tlsv : tls ? a->noplain_tls : a->noplain;
    mech = choose(a, mechs);
    if (mech && noplain)
        mech = NULL; /* PLAIN and LOGIN are both plaintext */
    if (mech == NULL) {
        /* Cyrus SASL's words, which Postfix passes on */
        log_warn("SASL authentication failure: No worthy mechs found");
        buf_truncate(why, 0);
        (void) buf_printf(why,
                          "SASL authentication failed; cannot authenticate "
                          "to server %s: no mechanism available",
                          name);
        snprintf(dsn, 16, "4.7.0");
        rc = -1;
        goto out;
    }
    (void) buf_putc(&cred, 0); /* data is not NULL from here on */
    cred.len--;
    pass = strchr(cred.data, ':');
    if (pass)
        *pass++ = 0;
    else
        pass = cred.data + cred.len; /* "" */
    smtp_conn_timeout(c, timeout);
    if ((e = converse(c, mech, cred.data, pass, &tmp, &r)) != SMTP_CONN_OK)
        goto broken;
    if (r.code / 100 != 2) {
        rc = failed(a, name, &r, why, dsn, status);
        goto out;
    }
    rc = 1;
    goto out;
broken:
    buf_truncate(why, 0);
    if (e == SMTP_CONN_TIMEOUT)
        (void) buf_printf(why,
                          "conversation with %s timed out while "
                          "performing SASL authentication",
                          name);
    else
        (void) buf_printf(why,
                          "lost connection with %s while performing "
                          "SASL authentication",
                          name);
    snprintf(dsn, 16, "4.4.2");
    rc = -1;
out:
    if (cred.data)
        OPENSSL_cleanse(cred.data, cred.len);
    if (tmp.data)
        OPENSSL_cleanse(tmp.data, tmp.len);
    buf_fini(&cred);
    buf_fini(&tmp);
    buf_fini(&err);
    smtp_reply_fini(&r);
    return rc;
}
