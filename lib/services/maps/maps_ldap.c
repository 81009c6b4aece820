/*
 * maps_ldap - ldap: tables, Postfix's ldap_table(5) on OpenLDAP's libldap.
 *
 * DESCRIPTION
 *	ldap:/path/file.cf reads Postfix's settings from the file
 *	(maps_ldap_cf.c): server_host (hosts or ldap://, ldaps://, ldapi://
 *	URLs, tried in turn by libldap), server_port, version, search_base,
 *	scope, query_filter, result_format, domain, result_attribute,
 *	special_result_attribute (DNs and LDAP URLs searched in turn),
 *	leaf_result_attribute, terminal_result_attribute, recursion_limit,
 *	expansion_limit, size_limit, timeout, bind (yes, no, sasl), bind_dn,
 *	bind_pw, sasl_mechs, sasl_realm, sasl_authz_id, sasl_minssf,
 *	start_tls, tls_* settings, dereference, chase_referrals, debuglevel.
 *	The key goes into the filter with RFC 4515 escaping and into the
 *	search base with RFC 4514 escaping, as Postfix does. Several values
 *	are joined with commas. The connection is kept for the next lookup
 *	and opened again when the server went away.
 *
 * DIAGNOSTICS
 *	A server that cannot be reached or fails a search, a search base that
 *	does not exist (a fixed one), a limit exceeded: MAPS_ERROR, a
 *	temporary failure, never "not found".
 *
 * BUGS
 *	Only the file form: ldap:NAME with NAME_server_host and the like in
 *	main.cf is refused. Each table has its own connection (Postfix shares
 *	one among tables with the same server settings).
 */
#define _DEFAULT_SOURCE 1 /* strcasecmp */
#include <ctype.h>
#include <lber.h>
#include <ldap.h>
#include <sasl/sasl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "maps/maps_int.h"
#include "maps/maps_ldap_cf.h"

#define BIND_NONE   0
#define BIND_SIMPLE 1
#define BIND_SASL   2

struct ldtab {
    struct maps_ldcf *cf;
    struct maps_ldx *x;
    char *title;       /* "ldap:/path" */
    char *server_host; /* space-separated URLs */
    const char *search_base, *query, *result_format;
    int dynamic_base, scope, version, bind, timeout, dereference;
    int chase_referrals, debuglevel, recursion_limit, expansion_limit;
    int size_limit, start_tls, ldap_ssl, tls_require_cert, sasl_minssf;
    char *bind_pw; /* a copy: libldap wants it writable */
    const char *bind_dn, *sasl_mechs, *sasl_realm, *sasl_authz;
    const char *tls_ca_cert_file, *tls_ca_cert_dir, *tls_cert, *tls_key;
    const char *tls_random_file, *tls_cipher_suite;
    struct strv attrs; /* terminal, leaf, ordinary, special */
    int num_terminal, num_leaf, num_attributes;
    LDAP *ld;
    /* per lookup */
    int error, recursion, expansion;
    char why[300];
};

/* the settings of ldap_table(5) (postern check names the others) */
static const char *const known[] = {
    "server_host",
    "server_port",
    "version",
    "search_base",
    "scope",
    "query_filter",
    "result_format",
    "result_filter",
    "domain",
    "result_attribute",
    "special_result_attribute",
    "leaf_result_attribute",
    "terminal_result_attribute",
    "recursion_limit",
    "expansion_limit",
    "size_limit",
    "timeout",
    "bind",
    "bind_dn",
    "bind_pw",
    "sasl_mechs",
    "sasl_realm",
    "sasl_authz_id",
    "sasl_minssf",
    "start_tls",
    "tls_ca_cert_file",
    "tls_ca_cert_dir",
    "tls_cert",
    "tls_key",
    "tls_require_cert",
    "tls_random_file",
    "tls_cipher_suite",
    "dereference",
    "chase_referrals",
    "debuglevel",
    "cache",
    "cache_expiry",
    "cache_size",
    NULL,
};

/* set_error - the lookup fails (temporarily) for the first reason */
static void UTIL_PRINTF(2, 3) set_error(struct ldtab *t, const char *fmt, ...)
{
    va_list ap;

    t->error = 1;
    if (t->why[0])
        return;
    va_start(ap, fmt);
    vsnprintf(t->why, sizeof(t->why), fmt, ap);
    va_end(ap);
}

/* server_list - server_host as libldap's URL list, as Postfix builds it */
static int
server_list(struct ldtab *t, int port, char *err, size_t errlen)
{
    char *hosts = mem_strdup(maps_ldcf_str(t->cf, "server_host", "localhost"));
    struct buf urls;
    char *save = NULL;

    buf_init(&urls, 0);
    for (char *h = strtok_r(hosts, ", \t\r\n", &save); h;
         h = strtok_r(NULL, ", \t\r\n", &save)) {
        if (ldap_is_ldap_url(h)) {
            LDAPURLDesc *u;
            int rc = ldap_url_parse(h, &u);

            if (rc != 0) {
                log_error("%s: error parsing URL %s: %d: %s; skipping",
                          t->title, h, rc, ldap_err2string(rc));
                continue;
            }
            if (strcasecmp(u->lud_scheme, "ldap") != 0 &&
                t->version != LDAP_VERSION3) {
                log_warn("%s: URL scheme %s requires protocol version 3",
                         t->title, u->lud_scheme);
                t->version = LDAP_VERSION3;
            }
            if (strcasecmp(u->lud_scheme, "ldaps") == 0)
                t->ldap_ssl = 1;
            ldap_free_urldesc(u);
            (void) buf_printf(&urls, "%s%s", urls.len ? " " : "", h);
        } else if (strrchr(h, ':'))
            (void) buf_printf(&urls, "%sldap://%s", urls.len ? " " : "", h);
        else
            (void) buf_printf(&urls, "%sldap://%s:%d", urls.len ? " " : "", h,
                              port);
    }
    mem_free(hosts);
    t->server_host = buf_steal(&urls);
    if (!*t->server_host) {
        snprintf(err, errlen, "%s: no usable server_host", t->title);
        return -1;
    }
    return 0;
}

/* split_attrs - append the attributes of setting name; their number */
static int
split_attrs(struct ldtab *t, const char *name, const char *def)
{
    char *v = mem_strdup(maps_ldcf_str(t->cf, name, def)), *save = NULL;
    int n = 0;

    for (char *a = strtok_r(v, ", \t\r\n", &save); a;
         a = strtok_r(NULL, ", \t\r\n", &save), n++)
        strv_add(&t->attrs, a);
    mem_free(v);
    return n;
}

/* configure_templates - the search and result settings */
static int
configure_templates(struct ldtab *t, char *err, size_t errlen)
{
    const char *scope = maps_ldcf_str(t->cf, "scope", "sub");
    int r;

    if (strcasecmp(scope, "one") == 0)
        t->scope = LDAP_SCOPE_ONELEVEL;
    else if (strcasecmp(scope, "base") == 0)
        t->scope = LDAP_SCOPE_BASE;
    else {
        if (strcasecmp(scope, "sub") != 0)
            log_warn("%s: Unrecognized value %s specified for scope; using "
                     "sub",
                     t->title, scope);
        t->scope = LDAP_SCOPE_SUBTREE;
    }
    t->search_base = maps_ldcf_str(t->cf, "search_base", "");
    t->query =
        maps_ldcf_str(t->cf, "query_filter", "(mailacceptinggeneralid=%s)");
    t->result_format = maps_ldcf_str(
        t->cf, "result_format", maps_ldcf_str(t->cf, "result_filter", "%s"));
    if (!*t->result_format)
        t->result_format = "%s";
    t->x = maps_ldx_new(t->title, maps_ldcf_str(t->cf, "domain", ""));
    if ((t->dynamic_base =
             maps_ldx_parse(t->x, t->search_base, 1, err, errlen)) < 0 ||
        (r = maps_ldx_parse(t->x, t->query, 1, err, errlen)) < 0 ||
        maps_ldx_parse(t->x, t->result_format, 0, err, errlen) < 0)
        return -1;
    if (r == 0)
        log_warn("%s: Fixed query_filter %s is probably useless", t->title,
                 t->query);

    /* the order matters: terminal, leaf-only, ordinary, special */
    strv_init(&t->attrs);
    t->num_terminal = split_attrs(t, "terminal_result_attribute", "");
    t->num_leaf = split_attrs(t, "leaf_result_attribute", "");
    t->num_attributes = t->num_terminal + t->num_leaf +
                        split_attrs(t, "result_attribute", "maildrop");
    (void) split_attrs(t, "special_result_attribute", "");
    return 0;
}

/* configure_conn - the connection settings */
static int
configure_conn(struct ldtab *t, char *err, size_t errlen)
{
    const char *bind = maps_ldcf_str(t->cf, "bind", "yes");
    int port, tls_req, n;

    if (maps_ldcf_int(t->cf, "server_port", LDAP_PORT, 0, 0, &port, err,
                      errlen) < 0 ||
        maps_ldcf_int(t->cf, "version", 2, 2, 0, &t->version, err, errlen) <
            0 ||
        maps_ldcf_int(t->cf, "timeout", 10, 0, 0, &t->timeout, err, errlen) <
            0 ||
        maps_ldcf_int(t->cf, "recursion_limit", 1000, 1, 0, &t->recursion_limit,
                      err, errlen) < 0 ||
        maps_ldcf_int(t->cf, "expansion_limit", 0, 0, 0, &t->expansion_limit,
                      err, errlen) < 0 ||
        maps_ldcf_int(t->cf, "size_limit", t->expansion_limit, 0, 0,
                      &t->size_limit, err, errlen) < 0 ||
        maps_ldcf_int(t->cf, "dereference", 0, 0, 0, &t->dereference, err,
                      errlen) < 0 ||
        maps_ldcf_bool(t->cf, "chase_referrals", 0, &t->chase_referrals, err,
                       errlen) < 0 ||
        maps_ldcf_int(t->cf, "debuglevel", 0, 0, 0, &t->debuglevel, err,
                      errlen) < 0 ||
        maps_ldcf_bool(t->cf, "start_tls", 0, &t->start_tls, err, errlen) < 0 ||
        maps_ldcf_bool(t->cf, "tls_require_cert", 0, &tls_req, err, errlen) <
            0 ||
        maps_ldcf_bool(t->cf, "cache", 0, &n, err, errlen) < 0)
        return -1;
    if (t->version != 2 && t->version != 3) {
        log_warn("%s Unknown version %d, using 2.", t->title, t->version);
        t->version = LDAP_VERSION2;
    }
    if (t->dereference > 3) {
        log_warn("%s Unrecognized value %d specified for dereference; "
                 "using 0",
                 t->title, t->dereference);
        t->dereference = 0;
    }
    if (strcasecmp(bind, "no") == 0 || strcasecmp(bind, "none") == 0)
        t->bind = BIND_NONE;
    else if (strcasecmp(bind, "yes") == 0 || strcasecmp(bind, "simple") == 0)
        t->bind = BIND_SIMPLE;
    else if (strcasecmp(bind, "sasl") == 0)
        t->bind = BIND_SASL;
    else {
        snprintf(err, errlen, "%s: unsupported parameter value: bind = %s",
                 maps_ldcf_path(t->cf), bind);
        return -1;
    }
    if (maps_ldcf_int(t->cf, "sasl_minssf", 0, 0, 4096, &t->sasl_minssf, err,
                      errlen) < 0)
        return -1;
    t->bind_dn = maps_ldcf_str(t->cf, "bind_dn", "");
    t->bind_pw = mem_strdup(maps_ldcf_str(t->cf, "bind_pw", ""));
    t->sasl_mechs = maps_ldcf_str(t->cf, "sasl_mechs", "");
    t->sasl_realm = maps_ldcf_str(t->cf, "sasl_realm", "");
    t->sasl_authz = maps_ldcf_str(t->cf, "sasl_authz_id", "");
    t->tls_require_cert =
        tls_req ? LDAP_OPT_X_TLS_DEMAND : LDAP_OPT_X_TLS_NEVER;
    t->tls_ca_cert_file = maps_ldcf_str(t->cf, "tls_ca_cert_file", "");
    t->tls_ca_cert_dir = maps_ldcf_str(t->cf, "tls_ca_cert_dir", "");
    t->tls_cert = maps_ldcf_str(t->cf, "tls_cert", "");
    t->tls_key = maps_ldcf_str(t->cf, "tls_key", "");
    t->tls_random_file = maps_ldcf_str(t->cf, "tls_random_file", "");
    t->tls_cipher_suite = maps_ldcf_str(t->cf, "tls_cipher_suite", "");
    if (t->start_tls && t->version < LDAP_VERSION3) {
        log_warn("%s start_tls requires protocol version 3", t->title);
        t->version = LDAP_VERSION3;
    }
    if (n)
        log_warn("%s ignoring cache", t->title);
    return server_list(t, port, err, errlen);
}

static void ldap_tab_close(void *h);

static void *
ldap_tab_open(const char *name, unsigned flags, char *err, size_t errlen)
{
    struct ldtab *t;
    char title[300];

    (void) flags;
    if (name[0] != '/' && name[0] != '.') {
        snprintf(err, errlen,
                 "ldap:%s: parameters in main.cf (%s_server_host ...) are "
                 "not supported; use a .cf file",
                 name, name);
        return NULL;
    }
    t = mem_calloc(1, sizeof(*t));
    snprintf(title, sizeof(title), "ldap:%s", name);
    t->title = mem_strdup(title);
    if ((t->cf = maps_ldcf_load(name, err, errlen)) == NULL ||
        configure_templates(t, err, errlen) < 0 ||
        configure_conn(t, err, errlen) < 0) {
        ldap_tab_close(t);
        return NULL;
    }
    return t;
}

static void
ldap_tab_close(void *h)
{
    struct ldtab *t = h;

    if (t == NULL)
        return;
    if (t->ld)
        (void) ldap_unbind_ext(t->ld, NULL, NULL);
    if (t->attrs.v)
        strv_fini(&t->attrs);
    maps_ldx_free(t->x);
    maps_ldcf_free(t->cf);
    mem_free(t->server_host);
    mem_free(t->bind_pw);
    mem_free(t->title);
    mem_free(t);
}

/* result - wait for the answer to msgid, within the timeout */
static int
result(LDAP *ld, int msgid, int timeout, LDAPMessage **res)
{
    struct timeval tv = {timeout, 0};
    int err;

    if (ldap_result(ld, msgid, 1, &tv, res) == -1) {
        if (ldap_get_option(ld, LDAP_OPT_RESULT_CODE, &err) != LDAP_OPT_SUCCESS)
            err = LDAP_OTHER;
        return err;
    }
    if (ldap_get_option(ld, LDAP_OPT_RESULT_CODE, &err) != LDAP_OPT_SUCCESS)
        err = LDAP_OTHER;
    if (err == LDAP_TIMEOUT)
        (void) ldap_abandon_ext(ld, msgid, NULL, NULL);
    return err;
}

/* search_st - one search with the timeout */
static int
search_st(LDAP *ld, const char *base, int scope, const char *filter,
          char **attrs, int timeout, LDAPMessage **res)
{
    struct timeval tv = {timeout, 0};
    int msgid, rc, err;

    *res = NULL;
    if ((rc = ldap_search_ext(ld, base, scope, filter, attrs, 0, NULL, NULL,
                              &tv, -1, &msgid)) != LDAP_SUCCESS)
        return rc;
    if ((rc = result(ld, msgid, timeout, res)) != LDAP_SUCCESS)
        return rc;
    rc = ldap_parse_result(ld, *res, &err, NULL, NULL, NULL, NULL, 0);
    return err != LDAP_SUCCESS ? err : rc;
}

/* interact - SASL prompts answered from the settings */
static int
interact(LDAP *ld, unsigned flags, void *defaults, void *in)
{
    struct ldtab *t = defaults;

    (void) ld;
    (void) flags;
    for (sasl_interact_t *i = in; i->id != SASL_CB_LIST_END; i++) {
        const char *v = NULL;

        switch (i->id) {
        case SASL_CB_GETREALM:
            v = t->sasl_realm;
            break;
        case SASL_CB_AUTHNAME:
            v = t->bind_dn;
            break;
        case SASL_CB_USER:
            v = t->sasl_authz;
            break;
        case SASL_CB_PASS:
            v = t->bind_pw;
            break;
        }
        i->result = v;
        i->len = v ? (unsigned) strlen(v) : 0;
    }
    return LDAP_SUCCESS;
}

/* bind_st - the bind the settings ask for */
static int
bind_st(struct ldtab *t)
{
    struct berval cred;
    LDAPMessage *res;
    int rc, err = LDAP_SUCCESS, msgid;

    if (t->bind == BIND_SASL) {
        char ssf[40];

        snprintf(ssf, sizeof(ssf), "minssf=%d", t->sasl_minssf);
        if ((rc = ldap_set_option(t->ld, LDAP_OPT_X_SASL_SECPROPS, ssf)) !=
            LDAP_OPT_SUCCESS)
            return rc;
        return ldap_sasl_interactive_bind_s(t->ld, NULL, t->sasl_mechs, NULL,
                                            NULL, LDAP_SASL_QUIET, interact, t);
    }
    cred.bv_val = t->bind_pw;
    cred.bv_len = strlen(t->bind_pw);
    if ((rc = ldap_sasl_bind(t->ld, t->bind_dn, LDAP_SASL_SIMPLE, &cred, NULL,
                             NULL, &msgid)) != LDAP_SUCCESS)
        return rc;
    if ((rc = result(t->ld, msgid, t->timeout, &res)) != LDAP_SUCCESS)
        return rc;
    rc = ldap_parse_result(t->ld, res, &err, NULL, NULL, NULL, NULL, 1);
    return rc == LDAP_SUCCESS ? err : rc;
}

/* set_tls - the tls_* settings, for ldaps:// and start_tls */
static int
set_tls(struct ldtab *t)
{
    static const struct {
        const char *name;
        int opt;
    } opts[] = {
        {"tls_random_file", LDAP_OPT_X_TLS_RANDOM_FILE},
        {"tls_ca_cert_file", LDAP_OPT_X_TLS_CACERTFILE},
        {"tls_ca_cert_dir", LDAP_OPT_X_TLS_CACERTDIR},
        {"tls_cert", LDAP_OPT_X_TLS_CERTFILE},
        {"tls_key", LDAP_OPT_X_TLS_KEYFILE},
        {"tls_cipher_suite", LDAP_OPT_X_TLS_CIPHER_SUITE},
    };
    int rc, am_server = 0;

    if (!t->start_tls && !t->ldap_ssl)
        return LDAP_SUCCESS;
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
        const char *v = maps_ldcf_str(t->cf, opts[i].name, "");

        if (*v &&
            (rc = ldap_set_option(t->ld, opts[i].opt, v)) != LDAP_OPT_SUCCESS) {
            snprintf(t->why, sizeof(t->why), "Unable to set %s to %s: %d: %s",
                     opts[i].name, v, rc, ldap_err2string(rc));
            return rc;
        }
    }
    if ((rc = ldap_set_option(t->ld, LDAP_OPT_X_TLS_REQUIRE_CERT,
                              &t->tls_require_cert)) != LDAP_OPT_SUCCESS ||
        (rc = ldap_set_option(t->ld, LDAP_OPT_X_TLS_NEWCTX, &am_server)) !=
            LDAP_OPT_SUCCESS) {
        snprintf(t->why, sizeof(t->why), "Unable to set TLS options: %d: %s",
                 rc, ldap_err2string(rc));
        return rc;
    }
    return LDAP_SUCCESS;
}

/* connect_ld - a connection set up as the settings say; 0 or -1 (t->why) */
static int
connect_ld(struct ldtab *t)
{
    struct timeval tv = {t->timeout, 0};
    int rc;

    if ((rc = ldap_initialize(&t->ld, t->server_host)) != LDAP_SUCCESS) {
        t->ld = NULL;
        set_error(t, "Unable to init LDAP server %s: %d: %s", t->server_host,
                  rc, ldap_err2string(rc));
        return -1;
    }
    if (ldap_set_option(t->ld, LDAP_OPT_NETWORK_TIMEOUT, &tv) !=
            LDAP_OPT_SUCCESS ||
        ldap_set_option(t->ld, LDAP_OPT_TIMEOUT, &tv) != LDAP_OPT_SUCCESS ||
        ldap_set_option(t->ld, LDAP_OPT_PROTOCOL_VERSION, &t->version) !=
            LDAP_OPT_SUCCESS ||
        ldap_set_option(t->ld, LDAP_OPT_DEREF, &t->dereference) !=
            LDAP_OPT_SUCCESS ||
        ldap_set_option(t->ld, LDAP_OPT_REFERRALS,
                        t->chase_referrals ? LDAP_OPT_ON : LDAP_OPT_OFF) !=
            LDAP_OPT_SUCCESS) {
        rc = LDAP_OTHER;
        set_error(t, "Unable to set connection options for %s", t->server_host);
        goto fail;
    }
    if (t->debuglevel > 0)
        (void) ldap_set_option(NULL, LDAP_OPT_DEBUG_LEVEL, &t->debuglevel);
    if ((rc = set_tls(t)) != LDAP_SUCCESS) {
        t->error = 1;
        goto fail;
    }
    if (t->start_tls &&
        (rc = ldap_start_tls_s(t->ld, NULL, NULL)) != LDAP_SUCCESS) {
        set_error(t, "Unable to set STARTTLS with %s: %d: %s", t->server_host,
                  rc, ldap_err2string(rc));
        goto fail;
    }
    if (t->bind != BIND_NONE && (rc = bind_st(t)) != LDAP_SUCCESS) {
        set_error(t, "Unable to bind to server %s with dn %s: %d (%s)",
                  t->server_host,
                  t->bind_dn[0] ? t->bind_dn : "empty or implicit", rc,
                  ldap_err2string(rc));
        goto fail;
    }
    return 0;
fail:
    (void) ldap_unbind_ext(t->ld, NULL, NULL);
    t->ld = NULL;
    return -1;
}

/* subtype - 1 when a2 is a1 or one of its options (a1;x), -1 when a1 is
 * an option of a2, 0 distinct (RFC 4512 names ignore case) */
static int
subtype(const char *a1, const char *a2)
{
    while (*a1 && tolower((unsigned char) *a1) == tolower((unsigned char) *a2))
        a1++, a2++;
    if (*a1 == 0 && (*a2 == 0 || *a2 == ';'))
        return 1;
    if (*a2 == 0 && *a1 == ';')
        return -1;
    return 0;
}

/* url_attrs - the attributes to ask an LDAP URL for: ours, or those of
 * ours the URL names (the more specific of the two); 0 when none */
static int
url_attrs(struct ldtab *t, LDAPURLDesc *url, struct strv *out)
{
    if (url->lud_attrs == NULL || *url->lud_attrs == NULL) {
        for (size_t i = 0; i < t->attrs.n; i++)
            strv_add(out, t->attrs.v[i]);
        return (int) out->n;
    }
    for (char **a1 = url->lud_attrs; *a1; a1++)
        for (size_t i = 0; i < t->attrs.n; i++) {
            int rel = subtype(*a1, t->attrs.v[i]);

            if (rel > 0)
                strv_add(out, t->attrs.v[i]);
            else if (rel < 0)
                strv_add(out, *a1);
        }
    return (int) out->n;
}

static void get_values(struct ldtab *t, LDAPMessage *res, struct buf *out,
                       const char *key);

/* special - search the DNs and URLs in the values of a special
 * attribute, recursively */
static void
special(struct ldtab *t, struct berval **vals, int n, struct buf *out,
        const char *key)
{
    for (int i = 0; i < n && !t->error; i++) {
        LDAPMessage *res = NULL;
        const char *v = vals[i]->bv_val;
        int rc;

        if (ldap_is_ldap_url(v)) {
            LDAPURLDesc *url;
            struct strv attrs;

            if ((rc = ldap_url_parse(v, &url)) != 0) {
                log_warn("%s: malformed URL %s: %s(%d)", t->title, v,
                         ldap_err2string(rc), rc);
                set_error(t, "malformed URL %s: %s", v, ldap_err2string(rc));
                break;
            }
            strv_init(&attrs);
            if (url_attrs(t, url, &attrs) == 0) {
                ldap_free_urldesc(url);
                strv_fini(&attrs);
                continue;
            }
            rc = search_st(t->ld, url->lud_dn, url->lud_scope, url->lud_filter,
                           attrs.v, t->timeout, &res);
            ldap_free_urldesc(url);
            strv_fini(&attrs);
        } else
            rc = search_st(t->ld, v, LDAP_SCOPE_BASE, "objectclass=*",
                           t->attrs.v, t->timeout, &res);
        switch (rc) {
        case LDAP_SUCCESS:
            get_values(t, res, out, key);
            break;
        case LDAP_NO_SUCH_OBJECT:
            /* as if the DN were there without result attributes */
            log_warn("%s: DN %s not found, skipping", t->title, v);
            break;
        default:
            set_error(t, "search error for %s: %d: %s", v, rc,
                      ldap_err2string(rc));
            break;
        }
        if (res)
            ldap_msgfree(res);
    }
}

/* has_values - 1 when the entry has a value of one of attrs[from..to) */
static int
has_values(struct ldtab *t, LDAPMessage *entry, size_t from, size_t to)
{
    for (size_t i = from; i < to && i < t->attrs.n; i++) {
        struct berval **vals = ldap_get_values_len(t->ld, entry, t->attrs.v[i]);
        int n;

        if (vals == NULL)
            continue;
        n = ldap_count_values_len(vals);
        ldap_value_free_len(vals);
        if (n > 0)
            return 1;
    }
    return 0;
}

/* one_attr - the values of one attribute of an entry into out */
static void
one_attr(struct ldtab *t, const char *attr, struct berval **vals, int n,
         int is_terminal, int is_leaf, struct buf *out, const char *key)
{
    size_t i;

    for (i = 0; i < t->attrs.n; i++)
        if (subtype(t->attrs.v[i], attr) > 0)
            break;
    if ((int) i < t->num_attributes || is_terminal) {
        if ((is_terminal && (int) i >= t->num_terminal) ||
            (!is_leaf && (int) i < t->num_terminal + t->num_leaf))
            return; /* non-terminal or leaf-only values */
        for (int k = 0; k < n; k++)
            if (maps_ldx_expand(t->x, t->result_format, vals[k]->bv_val, key,
                                out, NULL) &&
                t->expansion_limit > 0 && ++t->expansion > t->expansion_limit) {
                log_warn("%s: Expansion limit exceeded for key: '%s'", t->title,
                         key);
                set_error(t, "Expansion limit exceeded for key: '%s'", key);
                break;
            }
    } else if (i < t->attrs.n && t->recursion < t->recursion_limit)
        special(t, vals, n, out, key);
    else if (i < t->attrs.n) {
        log_warn("%s: Recursion limit exceeded for special attribute %s=%s",
                 t->title, attr, vals[0]->bv_val);
        set_error(t, "Recursion limit exceeded for special attribute %s", attr);
    }
}

/* get_values - the result attributes of the entries of res into out,
 * searching the DNs and URLs of special attributes (Postfix's
 * dict_ldap_get_values) */
static void
get_values(struct ldtab *t, LDAPMessage *res, struct buf *out, const char *key)
{
    long entries = 0;

    if (++t->recursion == 1)
        t->expansion = 0;
    for (LDAPMessage *e = ldap_first_entry(t->ld, res); e;
         e = ldap_next_entry(t->ld, e)) {
        BerElement *ber = NULL;
        int is_terminal = 0, is_leaf = 1;

        if (!t->error && t->size_limit && ++entries > t->size_limit) {
            log_warn("%s: Query size limit (%d) exceeded", t->title,
                     t->size_limit);
            set_error(t, "Query size limit (%d) exceeded", t->size_limit);
        }
        if (t->num_terminal > 0)
            is_terminal = has_values(t, e, 0, (size_t) t->num_terminal);
        if (!is_terminal && t->num_leaf > 0)
            is_leaf = !has_values(t, e, (size_t) t->num_attributes, t->attrs.n);
        for (char *attr = ldap_first_attribute(t->ld, e, &ber); attr;
             ldap_memfree(attr), attr = ldap_next_attribute(t->ld, e, ber)) {
            struct berval **vals = ldap_get_values_len(t->ld, e, attr);
            int n;

            if (vals == NULL)
                continue;
            n = ldap_count_values_len(vals);
            if (!t->error && n > 0)
                one_attr(t, attr, vals, n, is_terminal, is_leaf, out, key);
            ldap_value_free_len(vals);
        }
        if (ber)
            ber_free(ber, 0);
    }
    --t->recursion;
}

static int
valid_utf8(const unsigned char *s)
{
    while (*s) {
        int n = *s < 0x80             ? 0
                : (*s & 0xe0) == 0xc0 ? 1
                : (*s & 0xf0) == 0xe0 ? 2
                : (*s & 0xf8) == 0xf0 ? 3
                                      : -1;

        if (n < 0 || (n == 1 && *s < 0xc2))
            return 0;
        s++;
        while (n-- > 0)
            if ((*s++ & 0xc0) != 0x80)
                return 0;
    }
    return 1;
}

static enum maps_result
ldap_tab_find(void *h, const char *key, struct buf *out, char *err,
              size_t errlen)
{
    struct ldtab *t = h;
    struct buf base, filter;
    LDAPMessage *res = NULL;
    enum maps_result r = MAPS_NOTFOUND;
    int rc, d, limit;

    t->error = 0;
    t->why[0] = 0;
    if (!valid_utf8((const unsigned char *) key))
        return MAPS_NOTFOUND;
    if ((d = maps_ldx_domain(t->x, key)) <= 0) {
        if (d < 0)
            snprintf(err, errlen, "%s: domain list lookup failed", t->title);
        return d < 0 ? MAPS_ERROR : MAPS_NOTFOUND;
    }
    buf_init(&base, 0);
    buf_init(&filter, 0);
    if (!maps_ldx_expand(t->x, t->search_base, key, NULL, &base,
                         maps_ldx_quote_dn) ||
        !maps_ldx_expand(t->x, t->query, key, NULL, &filter,
                         maps_ldx_quote_filter))
        goto out;
    if (t->ld == NULL && connect_ld(t) < 0)
        goto out;
    limit = t->size_limit ? t->size_limit : LDAP_NO_LIMIT;
    (void) ldap_set_option(t->ld, LDAP_OPT_SIZELIMIT, &limit);
    rc = search_st(t->ld, buf_str(&base), t->scope, buf_str(&filter),
                   t->attrs.v, t->timeout, &res);
    if (rc == LDAP_SERVER_DOWN) {
        /* the server went away since the last lookup: once more afresh */
        if (res)
            ldap_msgfree(res);
        res = NULL;
        (void) ldap_unbind_ext(t->ld, NULL, NULL);
        t->ld = NULL;
        if (connect_ld(t) < 0)
            goto out;
        (void) ldap_set_option(t->ld, LDAP_OPT_SIZELIMIT, &limit);
        rc = search_st(t->ld, buf_str(&base), t->scope, buf_str(&filter),
                       t->attrs.v, t->timeout, &res);
    }
    switch (rc) {
    case LDAP_SUCCESS:
        get_values(t, res, out, key);
        break;
    case LDAP_NO_SUCH_OBJECT:
        /* a base made of the key may well not exist: not found */
        if (t->dynamic_base)
            break;
        set_error(t, "Search base '%s' not found: %d: %s", buf_str(&base), rc,
                  ldap_err2string(rc));
        break;
    default:
        set_error(t, "Search error %d: %s", rc, ldap_err2string(rc));
        (void) ldap_unbind_ext(t->ld, NULL, NULL);
        t->ld = NULL;
        break;
    }
out:
    if (res)
        ldap_msgfree(res);
    buf_fini(&base);
    buf_fini(&filter);
    if (t->error) {
        snprintf(err, errlen, "%s", t->why[0] ? t->why : "lookup error");
        buf_truncate(out, 0);
        return MAPS_ERROR;
    }
    if (out->len > 0)
        r = MAPS_FOUND;
    return r;
}

/* ldap_tab_check - the file can be read and its settings make sense */
static int
ldap_tab_check(const char *name, char *why, size_t len)
{
    struct maps_ldcf *cf;
    const char *bad;
    void *t;
    int line;

    if (name[0] != '/' && name[0] != '.') {
        snprintf(why, len,
                 "ldap:%s: parameters in main.cf are not supported; use a "
                 ".cf file",
                 name);
        return -1;
    }
    if ((cf = maps_ldcf_load(name, why, len)) == NULL)
        return -1;
    bad = maps_ldcf_unknown(cf, known, &line);
    if (bad) {
        snprintf(why, len, "%s, line %d: unknown ldap_table(5) setting \"%s\"",
                 name, line, bad);
        maps_ldcf_free(cf);
        return -1;
    }
    maps_ldcf_free(cf);
    /* opening parses every setting but connects nowhere */
    if ((t = ldap_tab_open(name, 0, why, len)) == NULL)
        return -1;
    ldap_tab_close(t);
    return 0;
}

const struct maps_driver maps_driver_ldap = {
    .type = "ldap",
    .flags = MAPS_DRV_FILE,
    .open = ldap_tab_open,
    .find = ldap_tab_find,
    .close = ldap_tab_close,
    .check = ldap_tab_check,
};
