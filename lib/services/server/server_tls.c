/*
 * server_tls - Postfix's TLS protocol and cipher policy on an OpenSSL
 * context, for smtpd and smtp.
 *
 * DESCRIPTION
 *	See server_tls.h. The semantics are Postfix 3.7's tls_misc.c
 *	(tls_proto_mask_lims, tls_set_ciphers) and tls_server.c /
 *	tls_client.c: the protocol list becomes SSL_OP_NO_* options plus
 *	SSL_CTX_set_min/max_proto_version, the cipher grade's
 *	tls_GRADE_cipherlist with ":!X" per exclusion becomes
 *	SSL_CTX_set_cipher_list, tls_preempt_cipherlist becomes
 *	SSL_OP_CIPHER_SERVER_PREFERENCE.
 *
 *	One thing is stricter than Postfix: a list that leaves no
 *	protocol at all (">=TLSv1.3, !TLSv1.3") is an error here, where
 *	Postfix starts and then fails every handshake.
 */
#include "server/server_tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/server.h"

#define SEPARATORS ", \t\r\n:"

static const struct {
    const char *name;
    unsigned bit;
    int version;
} protocols[] = {
    {"SSLv2", SERVER_TLS_SSLv2, 0x0002},
    {"SSLv3", SERVER_TLS_SSLv3, SSL3_VERSION},
    {"TLSv1", SERVER_TLS_TLSv1, TLS1_VERSION},
    {"TLSv1.1", SERVER_TLS_TLSv1_1, TLS1_1_VERSION},
    {"TLSv1.2", SERVER_TLS_TLSv1_2, TLS1_2_VERSION},
    {"TLSv1.3", SERVER_TLS_TLSv1_3, TLS1_3_VERSION},
};
#define NPROTOCOLS (sizeof(protocols) / sizeof(protocols[0]))
#define KNOWN      ((1u << NPROTOCOLS) - 1)

/* proto_bit - the bit of a protocol name; 0 when unknown */
static unsigned
proto_bit(const char *name)
{
    for (size_t i = 0; i < NPROTOCOLS; i++)
        if (strcasecmp(name, protocols[i].name) == 0)
            return protocols[i].bit;
    return 0;
}

/* proto_version - ">=" / "<=" operand: "None" (0), a name from SSLv3
 * up, or a hexadecimal version number as Postfix accepts it; 0 or -1 */
static int
proto_version(const char *s, int *version)
{
    char *end;
    unsigned long v;

    if (strcasecmp(s, "None") == 0) {
        *version = 0;
        return 0;
    }
    for (size_t i = 1; i < NPROTOCOLS; i++) {
        if (strcasecmp(s, protocols[i].name) == 0) {
            *version = protocols[i].version;
            return 0;
        }
    }
    v = strtoul(s, &end, 16);
    if (*end != 0 || v > 0xffff || *s == '-' || *s == '+')
        return -1;
    *version = (int) v;
    return 0;
}

int
server_tls_protocols(const char *list, unsigned *exclude, int *floor,
                     int *ceiling)
{
    char *copy = mem_strdup(list), *save = NULL, *tok;
    unsigned include = 0, bit;
    int rc = 0;

    *exclude = 0;
    *floor = *ceiling = 0;
    for (tok = strtok_r(copy, SEPARATORS, &save); tok && rc == 0;
         tok = strtok_r(NULL, SEPARATORS, &save)) {
        if (strncmp(tok, ">=", 2) == 0) {
            rc = proto_version(tok + 2, floor);
        } else if (strncmp(tok, "<=", 2) == 0) {
            rc = proto_version(tok + 2, ceiling);
        } else if (*tok == '!') {
            if ((bit = proto_bit(tok + 1)) == 0)
                rc = -1;
            *exclude |= bit;
        } else {
            if ((bit = proto_bit(tok)) == 0)
                rc = -1;
            include |= bit;
        }
    }
    mem_free(copy);
    /* plain names: everything known that is not named is excluded */
    if (rc == 0 && include)
        *exclude |= KNOWN & ~include;
    return rc;
}

/* param - PREFIX_tls_NAME as the service sees it; caller frees */
static char *
param(struct pcf *conf, const char *ns, const char *prefix, const char *name,
      char *pname, size_t plen)
{
    snprintf(pname, plen, "%s_tls_%s", prefix, name);
    return server_conf_str(conf, ns, pname);
}

/* apply_protocols - the protocol list of the level; 0 or -1 with err */
static int
apply_protocols(struct pcf *conf, const char *ns, SSL_CTX *ctx,
                const char *prefix, int level, char *err, size_t len)
{
    char pname[80];
    char *list = param(conf, ns, prefix,
                       level >= SERVER_TLS_MANDATORY ? "mandatory_protocols"
                                                     : "protocols",
                       pname, sizeof(pname));
    unsigned exclude;
    int floor, ceiling, usable = 0, rc = -1;
    uint64_t off = 0;

    if (server_tls_protocols(list, &exclude, &floor, &ceiling) < 0)
        goto bad;
    /* stricter than Postfix: a list that allows nothing is an error */
    for (size_t i = 2; i < NPROTOCOLS; i++)
        if (!(exclude & protocols[i].bit) &&
            (floor == 0 || protocols[i].version >= floor) &&
            (ceiling == 0 || protocols[i].version <= ceiling))
            usable = 1;
    if (!usable) {
        snprintf(err, len, "%s: no TLS protocol is left in \"%s\"", pname,
                 list);
        goto out;
    }
    if (exclude & SERVER_TLS_SSLv3)
        off |= SSL_OP_NO_SSLv3;
    if (exclude & SERVER_TLS_TLSv1)
        off |= SSL_OP_NO_TLSv1;
    if (exclude & SERVER_TLS_TLSv1_1)
        off |= SSL_OP_NO_TLSv1_1;
    if (exclude & SERVER_TLS_TLSv1_2)
        off |= SSL_OP_NO_TLSv1_2;
    if (exclude & SERVER_TLS_TLSv1_3)
        off |= SSL_OP_NO_TLSv1_3;
    (void) SSL_CTX_set_options(ctx, off);
    /* as Postfix: 0 means the library's lowest / highest */
    if (SSL_CTX_set_min_proto_version(ctx, floor) != 1 ||
        SSL_CTX_set_max_proto_version(ctx, ceiling) != 1)
        goto bad;
    rc = 0;
    goto out;
bad:
    snprintf(err, len, "%s: Invalid TLS protocol list \"%s\"", pname, list);
out:
    ERR_clear_error();
    mem_free(list);
    return rc;
}

/* add_exclusions - ":!X" for each element of PREFIX_tls_NAME; 0 or -1
 * with err (Postfix refuses elements that start with a modifier) */
static int
add_exclusions(struct pcf *conf, const char *ns, const char *prefix,
               const char *name, struct buf *list, char *err, size_t len)
{
    char pname[80];
    char *v = param(conf, ns, prefix, name, pname, sizeof(pname));
    char *save = NULL, *tok;
    int rc = 0;

    for (tok = strtok_r(v, SEPARATORS, &save); tok && rc == 0;
         tok = strtok_r(NULL, SEPARATORS, &save)) {
        if (strchr("!+-@", *tok)) {
            snprintf(err, len,
                     "%s: invalid unary '!+-@' in cipher exclusion: \"%s\"",
                     pname, tok);
            rc = -1;
        } else {
            (void) buf_printf(list, ":!%s", tok);
        }
    }
    mem_free(v);
    return rc;
}

/* apply_ciphers - grade, cipher list, exclusions; 0 or -1 with err */
static int
apply_ciphers(struct pcf *conf, const char *ns, SSL_CTX *ctx,
              const char *prefix, int level, char *err, size_t len)
{
    static const char *const grades[] = {"high", "medium", "low", "export",
                                         "null"};
    char pname[80], lname[40];
    char *grade =
        param(conf, ns, prefix,
              level >= SERVER_TLS_MANDATORY ? "mandatory_ciphers" : "ciphers",
              pname, sizeof(pname));
    const char *g = NULL;
    char *base = NULL;
    struct buf list;
    int rc = -1;

    buf_init(&list, 0);
    for (size_t i = 0; i < sizeof(grades) / sizeof(grades[0]); i++)
        if (strcasecmp(grade, grades[i]) == 0)
            g = grades[i];
    if (g == NULL) {
        snprintf(err, len, "%s: invalid cipher grade: \"%s\"", pname, grade);
        goto out;
    }
    snprintf(lname, sizeof(lname), "tls_%s_cipherlist", g);
    base = server_conf_str(conf, ns, lname);
    if (*base == 0) {
        snprintf(err, len, "%s: empty cipher list (%s = %s)", lname, pname,
                 grade);
        goto out;
    }
    (void) buf_puts(&list, base);
    if (add_exclusions(conf, ns, prefix, "exclude_ciphers", &list, err, len) <
            0 ||
        (level >= SERVER_TLS_MANDATORY &&
         add_exclusions(conf, ns, prefix, "mandatory_exclude_ciphers", &list,
                        err, len) < 0))
        goto out;
    /* as Postfix: a client that must verify the server offers no
     * anonymous cipher */
    if (level >= SERVER_TLS_MATCH)
        (void) buf_puts(&list, ":!aNULL");
    if (SSL_CTX_set_cipher_list(ctx, buf_str(&list)) != 1) {
        snprintf(err, len,
                 "%s = %s: no cipher left in \"%s\" (%s with the "
                 "exclusions)",
                 pname, grade, buf_str(&list), lname);
        goto out;
    }
    rc = 0;
out:
    ERR_clear_error();
    buf_fini(&list);
    mem_free(base);
    mem_free(grade);
    return rc;
}

int
server_tls_apply(struct pcf *conf, const char *ns, struct ssl_ctx_st *ctx,
                 const char *prefix, int role, int level, char *err, size_t len)
{
    if (apply_protocols(conf, ns, ctx, prefix, level, err, len) < 0 ||
        apply_ciphers(conf, ns, ctx, prefix, level, err, len) < 0)
        return -1;
    /* as Postfix (tls_bug_bits): no renegotiation in an SMTP session, a
     * CPU resource attack and no use */
    (void) SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
    if (role == SERVER_TLS_SERVER &&
        server_conf_bool(conf, ns, "tls_preempt_cipherlist"))
        (void) SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
    return 0;
}

/* level_of - the level smtpd or smtp would run at; -1: no TLS */
static int
level_of(struct pcf *conf, const char *ns, const char *command)
{
    char *v;
    int level = -1;

    if (strcmp(command, "smtpd") == 0) {
        v = server_conf_str(conf, ns, "smtpd_tls_security_level");
        if (strcasecmp(v, "may") == 0)
            level = SERVER_TLS_MAY;
        else if (strcasecmp(v, "encrypt") == 0 ||
                 strcasecmp(v, "verify") == 0 || strcasecmp(v, "secure") == 0 ||
                 strcasecmp(v, "fingerprint") == 0)
            level = SERVER_TLS_MANDATORY; /* as smtpd: encrypt */
        mem_free(v);
        if (level < 0 && server_conf_bool(conf, ns, "smtpd_use_tls"))
            level = SERVER_TLS_MAY;
        if (server_conf_bool(conf, ns, "smtpd_enforce_tls"))
            level = SERVER_TLS_MANDATORY;
    } else if (strcmp(command, "smtp") == 0) {
        v = server_conf_str(conf, ns, "smtp_tls_security_level");
        /* dane, dane-only, fingerprint: the smtp client refuses them
         * (master_check_values.c) */
        if (strcasecmp(v, "may") == 0)
            level = SERVER_TLS_MAY;
        else if (strcasecmp(v, "encrypt") == 0)
            level = SERVER_TLS_MANDATORY;
        else if (strcasecmp(v, "verify") == 0 || strcasecmp(v, "secure") == 0)
            level = SERVER_TLS_MATCH;
        else if (*v == 0 && server_conf_bool(conf, ns, "smtp_enforce_tls"))
            level = server_conf_bool(conf, ns, "smtp_tls_enforce_peername")
                        ? SERVER_TLS_MATCH
                        : SERVER_TLS_MANDATORY;
        else if (*v == 0 && server_conf_bool(conf, ns, "smtp_use_tls"))
            level = SERVER_TLS_MAY;
        mem_free(v);
    }
    return level;
}

int
server_tls_check(struct pcf *conf, const char *ns, const char *command,
                 char *err, size_t len)
{
    int level = level_of(conf, ns, command);
    int server = strcmp(command, "smtpd") == 0;
    SSL_CTX *ctx;
    int rc;

    if (level < 0)
        return 0;
    ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    if (ctx == NULL) {
        snprintf(err, len, "cannot create a TLS context");
        return -1;
    }
    rc = server_tls_apply(conf, ns, ctx, command,
                          server ? SERVER_TLS_SERVER : SERVER_TLS_CLIENT, level,
                          err, len);
    SSL_CTX_free(ctx);
    return rc;
}
