/*
 * lint_rules - the rules of "postern lint".
 *
 * DESCRIPTION
 *	Each rule has a stable ID (PL0xx values, PL1xx names, PL2xx
 *	master.cf, PL3xx security), a default severity, and a page in
 *	docs/rules/ID.md. Checks read the files through lib/config/conf (for exact
 *	positions) and the effective configuration through the postconf
 *	engine (lib/config/pcf), so "known", "used" and "effective value" mean
 *	exactly what they mean to Postfix.
 */
#include "lint/lint_int.h"

#include <sys/stat.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mac/mac.h"

const struct report_rule lint_rules[] = {
    {"PL001", REPORT_ERROR, "invalid-value", "value is not valid for the parameter's type or range"},
    {"PL002", REPORT_ERROR, "unknown-table-type", "lookup table of a type Postfix does not know"},
    {"PL003", REPORT_WARNING, "table-source-missing", "file of a lookup table does not exist"},
    {"PL004", REPORT_WARNING, "table-index-stale", "indexed table file is missing or older than its source"},
    {"PL005", REPORT_ERROR, "unknown-restriction", "restriction name Postfix does not know"},
    {"PL006", REPORT_ERROR, "restriction-argument-missing", "restriction needs an argument that is missing"},
    {"PL007", REPORT_ERROR, "undefined-restriction-class", "restriction class listed but not defined"},
    {"PL008", REPORT_ERROR, "bad-network", "malformed address or network in a network list"},
    {"PL009", REPORT_ERROR, "bad-next-hop", "malformed next-hop destination"},
    {"PL010", REPORT_ERROR, "bad-interface", "malformed entry in inet_interfaces"},
    {"PL101", REPORT_WARNING, "unknown-parameter", "parameter name Postfix does not know (probably misspelled)"},
    {"PL102", REPORT_WARNING, "deprecated-parameter", "parameter is deprecated or renamed"},
    {"PL103", REPORT_WARNING, "newer-than-target", "parameter does not exist in the target Postfix version"},
    {"PL104", REPORT_WARNING, "undefined-macro", "$name refers to a parameter that is not defined"},
    {"PL105", REPORT_WARNING, "unused-parameter", "user-defined parameter that nothing uses"},
    {"PL106", REPORT_WARNING, "duplicate-assignment", "parameter assigned more than once"},
    {"PL107", REPORT_WARNING, "comment-after-value", "'#' after a value is part of the value, not a comment"},
    {"PL108", REPORT_ERROR, "template-leftover", "unexpanded template placeholder"},
    {"PL109", REPORT_WARNING, "read-only-parameter", "assignment to a read-only parameter is ignored"},
    {"PL110", REPORT_ERROR, "syntax-error", "line is not name = value"},
    {"PL111", REPORT_WARNING, "orphan-continuation", "indented text that continues nothing is ignored"},
    {"PL201", REPORT_ERROR, "master-syntax", "malformed master.cf entry"},
    {"PL202", REPORT_WARNING, "unknown-command", "master.cf command is not a Postfix program"},
    {"PL203", REPORT_ERROR, "duplicate-service", "the same service/type is defined twice"},
    {"PL204", REPORT_WARNING, "option-for-other-daemon", "-o parameter that this service's program does not read"},
    {"PL205", REPORT_WARNING, "option-undefined-macro", "-o value refers to an undefined $name"},
    {"PL206", REPORT_INFO, "chroot-service", "service runs chrooted: files it needs must exist in the jail"},
    {"PL207", REPORT_WARNING, "public-unix-service", "local socket open to every user on the host"},
    {"PL208", REPORT_WARNING, "unknown-option", "-o parameter Postfix does not know and nothing uses"},
    {"PL301", REPORT_ERROR, "open-relay", "restrictions let anyone relay"},
    {"PL302", REPORT_WARNING, "broad-mynetworks", "mynetworks trusts private or container networks"},
    {"PL303", REPORT_WARNING, "subnet-mynetworks", "mynetworks_style = subnet trusts whole interface networks"},
    {"PL304", REPORT_ERROR, "no-relay-protection", "no restriction stops unauthenticated relaying"},
    {"PL305", REPORT_WARNING, "smtp-smuggling", "bare newlines are accepted (SMTP smuggling)"},
    {"PL306", REPORT_WARNING, "weak-tls-protocols", "obsolete TLS/SSL protocol versions are allowed"},
    {"PL307", REPORT_WARNING, "weak-tls-ciphers", "export, low or NULL ciphers are allowed"},
    {"PL308", REPORT_WARNING, "auth-without-tls", "SMTP AUTH offered on port 25 without TLS"},
    {"PL309", REPORT_WARNING, "submission-plaintext-auth", "submission service allows AUTH before TLS"},
};
const size_t lint_nrules = sizeof(lint_rules) / sizeof(lint_rules[0]);

/* Renamed parameters that postconf still knows for compatibility. */
static const struct {
    const char *old, *new;
    const char *since;
} renamed[] = {
    {"authorized_verp_clients", "smtpd_authorized_verp_clients", "2.1"},
    {"fallback_relay", "smtp_fallback_relay", "2.3"},
    {"lmtp_per_record_deadline", "lmtp_per_request_deadline", "3.7"},
    {"postscreen_blacklist_action", "postscreen_denylist_action", "3.6"},
    {"postscreen_dnsbl_ttl", "postscreen_dnsbl_max_ttl", "3.1"},
    {"postscreen_dnsbl_whitelist_threshold", "postscreen_dnsbl_allowlist_threshold", "3.6"},
    {"postscreen_whitelist_interfaces", "postscreen_allowlist_interfaces", "3.6"},
    {"smtp_per_record_deadline", "smtp_per_request_deadline", "3.7"},
    {"smtpd_client_connection_limit_exceptions", "smtpd_client_event_limit_exceptions", "2.9"},
    {"smtpd_per_record_deadline", "smtpd_per_request_deadline", "3.7"},
    {"tlsproxy_client_level", "tlsproxy_client_security_level", "3.7"},
    {"tlsproxy_client_policy", "tlsproxy_client_policy_maps", "3.7"},
    {"virtual_maps", "virtual_alias_maps", "2.0"},
    {"smtp_tls_cipherlist", "smtp_tls_ciphers", "2.3"},
    {"smtpd_tls_cipherlist", "smtpd_tls_ciphers", "2.3"},
    {"lmtp_tls_cipherlist", "lmtp_tls_ciphers", "2.3"},
    {NULL, NULL, NULL},
};

static const char *const map_types[] = {
    "btree", "cdb", "cidr", "dbm", "environ", "fail", "hash", "inline",
    "internal", "ldap", "lmdb", "memcache", "mysql", "nis", "nisplus",
    "pcre", "pgsql", "pipemap", "proxy", "randmap", "regexp", "sdbm",
    "socketmap", "sqlite", "static", "tcp", "texthash", "unionmap", "unix",
    NULL,
};

static const char *const restrictions[] = {
    "check_address_map", "check_ccert_access", "check_client_a_access",
    "check_client_access", "check_client_mx_access", "check_client_ns_access",
    "check_etrn_access", "check_helo_a_access", "check_helo_access",
    "check_helo_mx_access", "check_helo_ns_access", "check_policy_service",
    "check_recipient_a_access", "check_recipient_access",
    "check_recipient_maps", "check_recipient_mx_access",
    "check_recipient_ns_access", "check_relay_domains",
    "check_reverse_client_hostname_a_access",
    "check_reverse_client_hostname_access",
    "check_reverse_client_hostname_mx_access",
    "check_reverse_client_hostname_ns_access", "check_sasl_access",
    "check_sender_a_access", "check_sender_access", "check_sender_mx_access",
    "check_sender_ns_access", "defer", "defer_if_permit", "defer_if_reject",
    "defer_unauth_destination", "permit", "permit_auth_destination",
    "permit_dnswl_client", "permit_inet_interfaces", "permit_mx_backup",
    "permit_mynetworks", "permit_naked_ip_address", "permit_rhswl_client",
    "permit_sasl_authenticated", "permit_tls_all_clientcerts",
    "permit_tls_clientcerts", "reject", "reject_authenticated_sender_login_mismatch",
    "reject_invalid_helo_hostname", "reject_invalid_hostname",
    "reject_known_sender_login_mismatch", "reject_maps_rbl",
    "reject_multi_recipient_bounce", "reject_non_fqdn_helo_hostname",
    "reject_non_fqdn_hostname", "reject_non_fqdn_recipient",
    "reject_non_fqdn_sender", "reject_plaintext_session", "reject_rbl",
    "reject_rbl_client", "reject_rhsbl_client", "reject_rhsbl_helo",
    "reject_rhsbl_recipient", "reject_rhsbl_reverse_client",
    "reject_rhsbl_sender", "reject_sender_login_mismatch",
    "reject_unauth_destination", "reject_unauth_pipelining",
    "reject_unauthenticated_sender_login_mismatch", "reject_unknown_client",
    "reject_unknown_client_hostname", "reject_unknown_forward_client_hostname",
    "reject_unknown_helo_hostname", "reject_unknown_hostname",
    "reject_unknown_recipient_domain", "reject_unknown_reverse_client_hostname",
    "reject_unknown_sender_domain", "reject_unlisted_recipient",
    "reject_unlisted_sender", "reject_unverified_recipient",
    "reject_unverified_sender", "sleep", "warn_if_reject", NULL,
};

static const char *const daemons[] = {
    "anvil", "bounce", "cleanup", "discard", "dnsblog", "error", "flush",
    "lmtp", "local", "oqmgr", "pickup", "pipe", "postlogd", "postscreen",
    "proxymap", "qmgr", "qmqpd", "scache", "showq", "smtp", "smtpd", "spawn",
    "tlsmgr", "tlsproxy", "trivial-rewrite", "verify", "virtual", NULL,
};

/* Services that Postfix's own master.cf makes public on purpose. */
static const char *const public_ok[] = {
    "pickup", "cleanup", "qmgr", "showq", "flush", "postlog", "qmqpd", NULL,
};

static int
in_list(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (strcmp(*list, s) == 0)
            return 1;
    return 0;
}

long
lint_version_parse(const char *v)
{
    long major = 0, minor = 0, patch = 0;
    char *end;

    if (v == NULL || !isdigit((unsigned char) *v))
        return -1;
    major = strtol(v, &end, 10);
    if (*end == '.') {
        minor = strtol(end + 1, &end, 10);
        if (*end == '.')
            patch = strtol(end + 1, &end, 10);
    }
    if (*end != 0)
        return -1;
    return major * 10000 + minor * 100 + patch;
}

/* closest - the nearest name in list (edit distance 1, or 2 for long) */
static const char *
closest(const char *name, const char *const *list)
{
    size_t limit = strlen(name) >= 12 ? 2 : 1, best_d = limit + 1;
    const char *best = NULL;

    for (; *list; list++) {
        size_t d = str_distance(name, *list, limit);

        if (d < best_d) {
            best_d = d;
            best = *list;
        }
    }
    return best;
}

static const char *
closest_param(const char *name)
{
    size_t limit = strlen(name) >= 12 ? 2 : 1, best_d = limit + 1;
    const char *best = NULL;

    for (size_t i = 0; i < schema_param_count(); i++) {
        const char *n = schema_param_at(i)->name;
        size_t d = str_distance(name, n, limit);

        if (d < best_d) {
            best_d = d;
            best = n;
        }
    }
    return best;
}

/* main_entry - the last main.cf assignment of name, or NULL */
static const struct conf_entry *
main_entry(struct lint_ctx *lc, const char *name)
{
    intptr_t i = (intptr_t) htab_find(lc->last, name);

    return i ? &lc->main_cf->ents[i - 1] : NULL;
}

/* at_value - report a finding at the value of main.cf's name (or file) */
static struct report_finding *
at_value(struct lint_ctx *lc, const char *id, const char *name,
         size_t offset_in_value, const char *fmt, const char *a,
         const char *b, const char *c)
{
    const struct conf_entry *e = name ? main_entry(lc, name) : NULL;
    int line = 0, col = 0;

    if (e) {
        const char *v = e->value.text;
        size_t vloff = (size_t) (strstr(e->text, v) ? strstr(e->text, v) - e->text : 0);

        if (offset_in_value > strlen(v))
            offset_in_value = 0;
        conf_entry_pos(e, vloff + offset_in_value, &line, &col);
    }
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#pragma GCC diagnostic ignored "-Wformat-security"
    return report_add(lc->r, id, -1, lc->main_file, line, col, fmt, a, b, c);
#pragma GCC diagnostic pop
}

static struct report_finding *
at_service(struct lint_ctx *lc, const char *id, size_t svc, const char *fmt,
           const char *a, const char *b, const char *c)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#pragma GCC diagnostic ignored "-Wformat-security"
    return report_add(lc->r, id, -1, lc->master_file,
                      pcf_service_line(lc->p, svc), 1, fmt, a, b, c);
#pragma GCC diagnostic pop
}

/* tokens - split a list value as Postfix does ({} groups one token) */
static void
tokens(const char *value, struct strv *out)
{
    char *copy = mem_strdup(value), *cp = copy, *tok;

    strv_init(out);
    while ((tok = conf_tok_next(&cp, CONF_SEP_COMMA_SP)) != NULL)
        strv_add(out, tok);
    mem_free(copy);
}

static char *
rooted(struct lint_ctx *lc, const char *path)
{
    struct buf b;

    buf_init(&b, 0);
    buf_printf(&b, "%s%s", lc->o->root ? lc->o->root : "", path);
    return buf_steal(&b);
}

/* check_table - one "type:name" lookup table */
static void
check_table(struct lint_ctx *lc, const char *param, const char *table,
            size_t off)
{
    char *copy = mem_strdup(table), *type = copy, *name;
    static const char *const indexed[] = {"hash", "btree", "lmdb", "cdb",
                                          "dbm", "sdbm", NULL};
    static const char *const sourced[] = {"texthash", "regexp", "pcre", "cidr",
                                          NULL};

    if ((name = strchr(copy, ':')) == NULL) {
        mem_free(copy);
        return;
    }
    *name++ = 0;
    while (strcmp(type, "proxy") == 0 && (name = strchr(type = name, ':'))) {
        *name++ = 0;
    }
    if (name == NULL || *type == 0 || *type == '{') {
        mem_free(copy);
        return;
    }
    if (!in_list(map_types, type)) {
        const char *hint = closest(type, map_types);
        struct buf m;

        buf_init(&m, 0);
        buf_printf(&m, "%s: unknown lookup table type \"%s\" in \"%s\"%s%s%s",
                   param, type, table, hint ? " (did you mean " : "",
                   hint ? hint : "", hint ? "?)" : "");
        at_value(lc, "PL002", param, off, "%s", buf_str(&m), NULL, NULL);
        buf_fini(&m);
    } else if (*name == '/' && (in_list(indexed, type) || in_list(sourced, type))
               && strstr(param, "cache") == NULL
               && strcmp(param, "address_verify_map") != 0) {
        /* (Caches are databases that Postfix creates itself.) */
        char *src = rooted(lc, name);
        struct stat ss, is;

        if (stat(src, &ss) < 0) {
            at_value(lc, "PL003", param, off,
                     "%s: table source %s does not exist", param, src, NULL);
        } else if (in_list(indexed, type)) {
            struct buf idx;

            buf_init(&idx, 0);
            buf_printf(&idx, "%s%s", src,
                       strcmp(type, "lmdb") == 0 ? ".lmdb"
                       : strcmp(type, "cdb") == 0 ? ".cdb"
                       : (strcmp(type, "dbm") == 0 || strcmp(type, "sdbm") == 0)
                           ? ".pag" : ".db");
            if (stat(buf_str(&idx), &is) < 0)
                at_value(lc, "PL004", param, off,
                         "%s: %s has no index %s: run postmap", param, src,
                         buf_str(&idx));
            else if (is.st_mtime < ss.st_mtime)
                at_value(lc, "PL004", param, off,
                         "%s: index %s is older than %s: run postmap", param,
                         buf_str(&idx), src);
            buf_fini(&idx);
        }
        mem_free(src);
    }
    mem_free(copy);
}

/*
 * check_maps - the tables written in this parameter's own main.cf value
 * ($name references are checked where those names are set).
 */
static void
check_maps(struct lint_ctx *lc, const char *param)
{
    struct strv t;
    const struct conf_entry *e = main_entry(lc, param);
    const char *raw = e ? e->value.text : "";

    tokens(raw, &t);
    for (size_t i = 0; i < t.n; i++) {
        const char *tok = t.v[i];

        if (strchr(tok, '$') || !isalpha((unsigned char) *tok))
            continue;
        check_table(lc, param, tok, (size_t) (strstr(raw, tok) - raw));
    }
    strv_fini(&t);
}

static int
needs_table(const char *r)
{
    return str_has_prefix(r, "check_") && str_has_suffix(r, "_access");
}

static int
needs_arg(const char *r)
{
    return needs_table(r) || strcmp(r, "check_policy_service") == 0
           || strcmp(r, "reject_rbl_client") == 0 || str_has_prefix(r, "reject_rhsbl_")
           || strcmp(r, "permit_dnswl_client") == 0
           || strcmp(r, "permit_rhswl_client") == 0 || strcmp(r, "sleep") == 0
           || strcmp(r, "warn_if_reject") == 0 || strcmp(r, "check_sasl_access") == 0
           || strcmp(r, "check_ccert_access") == 0;
}

/* check_restrictions - names, arguments and classes of a restriction list */
static void
check_restrictions(struct lint_ctx *lc, const char *param, const char *value,
                   struct htab *classes)
{
    struct strv t;
    const char *raw = main_entry(lc, param) ? main_entry(lc, param)->value.text : "";

    tokens(value, &t);
    for (size_t i = 0; i < t.n; i++) {
        const char *tok = t.v[i];
        const char *pos = strstr(raw, tok);
        size_t off = pos ? (size_t) (pos - raw) : 0;

        if (strchr(tok, ':') || *tok == '{' || *tok == '/')
            continue; /* a table used as an access map */
        if (in_list(restrictions, tok)) {
            if (needs_arg(tok)) {
                const char *next = i + 1 < t.n ? t.v[i + 1] : NULL;

                if (next == NULL || (in_list(restrictions, next) && !needs_table(tok))
                    || (needs_table(tok) && !strchr(next, ':')
                        && strcmp(tok, "check_policy_service") != 0)) {
                    at_value(lc, "PL006", param, off,
                             "%s: %s needs %s after it", param, tok,
                             needs_table(tok) ? "a lookup table (type:name)"
                             : strcmp(tok, "sleep") == 0 ? "a number of seconds"
                             : strcmp(tok, "warn_if_reject") == 0 ? "a restriction"
                             : strcmp(tok, "check_policy_service") == 0
                                 ? "a policy server address" : "a DNS domain");
                } else {
                    i++;
                }
            }
            continue;
        }
        if (htab_has(classes, tok)) {
            if (!pcf_is_known(lc->p, tok) || pcf_raw_value(lc->p, tok) == NULL)
                at_value(lc, "PL007", param, off,
                         "%s: restriction class %s is listed in "
                         "smtpd_restriction_classes but not defined", param, tok,
                         NULL);
            continue;
        }
        if (*tok == '$')
            continue;
        {
            const char *hint = closest(tok, restrictions);
            struct buf m;

            buf_init(&m, 0);
            buf_printf(&m, "%s: unknown restriction \"%s\"%s%s%s", param, tok,
                       hint ? " (did you mean " : "", hint ? hint : "",
                       hint ? "?)" : "");
            at_value(lc, "PL005", param, off, "%s", buf_str(&m), NULL, NULL);
            buf_fini(&m);
        }
    }
    strv_fini(&t);
}

/* parse_net - an address or CIDR; 0 ok, -1 bad; *v4 set for IPv4 */
static int
parse_net(const char *tok, unsigned char addr[16], int *len, int *v4)
{
    char host[128];
    const char *slash = strrchr(tok, '/');
    size_t hl = slash ? (size_t) (slash - tok) : strlen(tok);

    if (hl == 0 || hl >= sizeof(host))
        return -1;
    memcpy(host, tok, hl);
    host[hl] = 0;
    if (host[0] == '[') {
        if (host[hl - 1] != ']')
            return -1;
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = 0;
    }
    *v4 = inet_pton(AF_INET, host, addr) == 1;
    if (!*v4 && inet_pton(AF_INET6, host, addr) != 1)
        return -1;
    *len = *v4 ? 32 : 128;
    if (slash) {
        char *end;
        long n = strtol(slash + 1, &end, 10);

        if (*end || slash[1] == 0 || n < 0 || n > *len)
            return -1;
        *len = (int) n;
    }
    return 0;
}

static int
v4_in(const unsigned char a[4], int len, unsigned net, int nlen)
{
    uint32_t x = ((uint32_t) a[0] << 24) | ((uint32_t) a[1] << 16)
                 | ((uint32_t) a[2] << 8) | a[3];
    uint32_t m = nlen ? 0xffffffffu << (32 - nlen) : 0;

    return len >= nlen && (x & m) == (net & m);
}

/* check_networks - mynetworks-style list: syntax and breadth */
static void
check_networks(struct lint_ctx *lc, const char *param, const char *value,
               int *covers_all)
{
    struct strv t;
    const char *raw = main_entry(lc, param) ? main_entry(lc, param)->value.text : "";

    *covers_all = 0;
    tokens(value, &t);
    for (size_t i = 0; i < t.n; i++) {
        const char *tok = t.v[i];
        const char *pos = strstr(raw, tok);
        size_t off = pos ? (size_t) (pos - raw) : 0;
        unsigned char a[16];
        int len, v4;

        if (strchr(tok, ':') && !strchr(tok, '[') && !strchr(tok, '.')
            && strncmp(tok, "::", 2) != 0) {
            check_table(lc, param, tok, off);
            continue;
        }
        if (*tok == '/' || *tok == '!' || *tok == '$' || isalpha((unsigned char) *tok)) {
            if (*tok == '/' || strchr(tok, ':'))
                check_table(lc, param, tok, off);
            continue;
        }
        if (parse_net(tok, a, &len, &v4) < 0) {
            at_value(lc, "PL008", param, off,
                     "%s: \"%s\" is not an address or network (use a.b.c.d/len or "
                     "[ipv6]/len)", param, tok, NULL);
            continue;
        }
        if (len == 0) {
            *covers_all = 1;
            continue;
        }
        if (v4 && strcmp(param, "mynetworks") == 0) {
            static const struct {
                unsigned net;
                int len;
                const char *what;
            } priv[] = {
                {0x0a000000u, 8, "10.0.0.0/8 (RFC 1918)"},
                {0xac100000u, 12, "172.16.0.0/12 (RFC 1918, container networks)"},
                {0xc0a80000u, 16, "192.168.0.0/16 (RFC 1918)"},
                {0x64400000u, 10, "100.64.0.0/10 (carrier-grade NAT)"},
            };

            for (size_t k = 0; k < sizeof(priv) / sizeof(priv[0]); k++) {
                if (v4_in(a, len, priv[k].net, priv[k].len) && len <= priv[k].len + 8) {
                    at_value(lc, "PL302", param, off,
                             "%s: %s trusts the private range %s: every host "
                             "there may relay through this server", param, tok,
                             priv[k].what);
                    break;
                }
            }
        }
    }
    strv_fini(&t);
}

/* check_relayhost - [host]:port, host:port, host */
static void
check_nexthop(struct lint_ctx *lc, const char *param, const char *value)
{
    struct strv t;

    tokens(value, &t);
    for (size_t i = 0; i < t.n; i++) {
        const char *tok = t.v[i], *port = NULL;
        int bad = 0;

        if (*tok == '[') {
            const char *close = strchr(tok, ']');

            bad = close == NULL || close == tok + 1;
            if (!bad && close[1] == ':')
                port = close + 2;
            else if (!bad && close[1] != 0)
                bad = 1;
        } else if (strchr(tok, ':')) {
            port = strrchr(tok, ':') + 1;
            if (strchr(tok, ':') != strrchr(tok, ':'))
                bad = 1; /* IPv6 needs brackets */
        }
        if (!bad && port) {
            if (*port == 0)
                bad = 1;
            for (const char *c = port; *c && !bad; c++)
                if (!isalnum((unsigned char) *c) && *c != '-')
                    bad = 1;
            if (!bad && isdigit((unsigned char) *port) && strtol(port, NULL, 10) > 65535)
                bad = 1;
        }
        if (bad)
            at_value(lc, "PL009", param, 0,
                     "%s: \"%s\" is not a valid destination ([host]:port, "
                     "host:port or host; IPv6 as [addr]:port)", param, tok, NULL);
    }
    strv_fini(&t);
}

static void
check_interfaces(struct lint_ctx *lc, const char *value)
{
    struct strv t;

    tokens(value, &t);
    for (size_t i = 0; i < t.n; i++) {
        const char *tok = t.v[i];
        unsigned char a[16];
        int len, v4;

        if (strcmp(tok, "all") == 0 || strcmp(tok, "loopback-only") == 0)
            continue;
        if (isdigit((unsigned char) *tok) || *tok == '[') {
            if (strchr(tok, '/') || parse_net(tok, a, &len, &v4) < 0)
                at_value(lc, "PL010", "inet_interfaces", 0,
                         "inet_interfaces: \"%s\" is not an address (use "
                         "a.b.c.d, [ipv6], a host name, all or loopback-only)",
                         tok, NULL, NULL);
        }
    }
    strv_fini(&t);
}

/* template - text of a config generator left in a value */
static const char *
template_leftover(const char *s)
{
    const char *p;

    if ((p = strstr(s, "{{")) || (p = strstr(s, "{%")))
        return p;
    for (p = s; *p; p++) {
        if (*p == '@' && isupper((unsigned char) p[1])) {
            const char *q = p + 1;

            while (isupper((unsigned char) *q) || isdigit((unsigned char) *q) || *q == '_')
                q++;
            if (*q == '@')
                return p;
        }
        if ((p == s || !isalnum((unsigned char) p[-1])) && strncmp(p, "PH_", 3) == 0
            && isupper((unsigned char) p[3]))
            return p;
        if (p[0] == '$' && p[1] == '{' && isupper((unsigned char) p[2])) {
            const char *q = p + 2;

            while (isupper((unsigned char) *q) || isdigit((unsigned char) *q) || *q == '_')
                q++;
            if (*q == '}')
                return p;
        }
        if (p[0] == '%' && p[1] == '(')
            return p;
    }
    return NULL;
}

struct undef_ctx {
    struct lint_ctx *lc;
    struct strv *names;
};

static const char *
undef_cb(const char *name, int mode, void *ctx)
{
    struct undef_ctx *uc = ctx;

    (void) mode;
    if (!pcf_is_known(uc->lc->p, name))
        strv_add(uc->names, name);
    return NULL;
}

static void
undefined_refs(struct lint_ctx *lc, const char *value, struct strv *out)
{
    struct undef_ctx uc = {lc, out};

    strv_init(out);
    log_set_quiet(1);
    (void) mac_expand(NULL, value, MAC_EXP_FLAG_SCAN, NULL, undef_cb, &uc);
    log_set_quiet(0);
}

static int
is_yes(const char *v)
{
    return v && strcasecmp(v, "yes") == 0;
}

/* check_main - rules on each main.cf assignment */
static void
check_main(struct lint_ctx *lc, struct htab *classes)
{
    struct htab *first = htab_new(256);

    for (size_t i = 0; lc->main_cf && i < lc->main_cf->n; i++) {
        const struct conf_entry *e = &lc->main_cf->ents[i];
        const char *name, *value, *hash, *tpl;
        intptr_t prev;

        if (e->kind == CONF_ENT_ORPHAN) {
            report_add(lc->r, "PL111", -1, lc->main_file, e->first_line, 1,
                       "indented text with no parameter before it is ignored: "
                       "\"%.40s\"", str_trim(e->text));
            continue;
        }
        if (e->kind != CONF_ENT_LOGICAL)
            continue;
        if (e->error) {
            report_add(lc->r, "PL110", -1, lc->main_file, e->first_line, 1,
                       "%s: \"%.60s\" (Postfix stops with a fatal error)",
                       e->error, e->text);
            continue;
        }
        name = e->name.text;
        value = e->value.text;
        if ((prev = (intptr_t) htab_find(first, name)) != 0) {
            const struct conf_entry *pe = &lc->main_cf->ents[prev - 1];
            int same = strcmp(pe->value.text, value) == 0;

            report_add(lc->r, "PL106", same ? REPORT_STYLE : REPORT_WARNING,
                       lc->main_file, e->name.line, e->name.col,
                       "%s is set again (first at line %d%s); the last "
                       "setting wins", name, pe->name.line,
                       same ? ", same value" : ", different value");
        } else {
            htab_set(first, name, (void *) (intptr_t) (i + 1));
        }
        if ((hash = strchr(value, '#')) != NULL
            && (hash == value || isspace((unsigned char) hash[-1])))
            report_add(lc->r, "PL107", -1, lc->main_file, e->value.line,
                       e->value.col + (int) (hash - value),
                       "%s: \"%s\" is part of the value: Postfix has no "
                       "comments after values; put it on its own line", name, hash);
        if ((tpl = template_leftover(value)) != NULL
            || (tpl = template_leftover(name)) != NULL) {
            size_t tl = strcspn(tpl, " \t,;");

            report_add(lc->r, "PL108", -1, lc->main_file, e->value.line,
                       e->value.col + (tpl >= value && tpl < value + strlen(value)
                                           ? (int) (tpl - value) : 0),
                       "%s: template placeholder \"%.*s\" was never filled in",
                       name, (int) (tl > 60 ? 60 : tl), tpl);
        }
    }
    htab_free(first, NULL);

    /* Per parameter (last assignment). */
    for (size_t k = 0; k < htab_count(lc->last); k++) {
        const char *name = htab_key(lc->last, k);
        const struct conf_entry *e = main_entry(lc, name);
        const struct schema_param *sp = schema_param_find(name);
        const char *value = e->value.text;
        struct strv undef;
        char *eff = NULL;
        size_t r;

        for (r = 0; renamed[r].old; r++)
            if (strcmp(renamed[r].old, name) == 0)
                break;
        if (renamed[r].old) {
            report_add(lc->r, "PL102", -1, lc->main_file, e->name.line, e->name.col,
                       "%s was renamed to %s in Postfix %s%s", name,
                       renamed[r].new, renamed[r].since,
                       lc->o->fix ? "" : " (postern lint --fix renames it)");
        } else if (sp && (sp->deprecated || sp->removed)) {
            report_add(lc->r, "PL102", -1, lc->main_file, e->name.line, e->name.col,
                       "%s is %s since Postfix %s%s%s", name,
                       sp->removed ? "removed" : "deprecated",
                       sp->removed ? sp->removed : sp->deprecated,
                       sp->replacement ? "; use " : "",
                       sp->replacement ? sp->replacement : "");
        }
        if (sp == NULL && !renamed[r].old) {
            if (!pcf_is_known(lc->p, name)) {
                const char *hint = closest_param(name);
                size_t svc_len = 0;
                const struct schema_family *fam = schema_family_match(name, &svc_len);
                static const char *const std_services[] = {
                    "smtp", "relay", "local", "virtual", "lmtp", "error",
                    "retry", "discard", "uucp", "maildrop", NULL};
                char svc[128];

                if (fam && svc_len < sizeof(svc)) {
                    memcpy(svc, name, svc_len);
                    svc[svc_len] = 0;
                    /* Without master.cf, assume Postfix's standard services. */
                    if (lc->master_cf == NULL && in_list(std_services, svc))
                        continue;
                    report_add(lc->r, "PL105", -1, lc->main_file, e->name.line,
                               e->name.col,
                               "%s would set %s for a master.cf service \"%s\", "
                               "but master.cf has no such service running a "
                               "delivery program (local, smtp, lmtp, virtual, "
                               "pipe or error); Postfix ignores it", name,
                               fam->suffix + 1, svc);
                    continue;
                }
                if (hint)
                    report_add(lc->r, "PL101", -1, lc->main_file, e->name.line,
                               e->name.col,
                               "unknown parameter %s (did you mean %s?); Postfix "
                               "ignores it", name, hint);
                else
                    report_add(lc->r, "PL105", -1, lc->main_file, e->name.line,
                               e->name.col,
                               "%s is not a Postfix parameter and no setting uses "
                               "$%s or lists it in smtpd_restriction_classes; "
                               "Postfix ignores it", name, name);
            }
            continue;
        }
        if (sp == NULL)
            continue;
        if (sp->flags & SCHEMA_F_READONLY) {
            report_add(lc->r, "PL109", -1, lc->main_file, e->name.line, e->name.col,
                       "%s is read-only: Postfix ignores this setting", name);
            continue;
        }
        if (sp->since && lc->o->target > 0
            && lint_version_parse(sp->since) > lc->o->target)
            report_add(lc->r, "PL103", -1, lc->main_file, e->name.line, e->name.col,
                       "%s appeared in Postfix %s; Postfix %s does not know it",
                       name, sp->since, lc->o->target_text);
        undefined_refs(lc, value, &undef);
        for (size_t u = 0; u < undef.n; u++) {
            if (u > 0 && strcmp(undef.v[u], undef.v[u - 1]) == 0)
                continue;
            at_value(lc, "PL104", name, (size_t) (strstr(value, undef.v[u])
                                                      ? strstr(value, undef.v[u]) - value - 1
                                                      : 0),
                     "%s: $%s is not defined and expands to nothing", name,
                     undef.v[u], NULL);
        }
        strv_fini(&undef);
        if (sp->flags & SCHEMA_F_RAW)
            continue;
        /* A placeholder is the cause; do not report its consequences. */
        if (template_leftover(value) != NULL)
            continue;
        eff = pcf_value(lc->p, name);
        if (eff && strchr(eff, '$') == NULL) {
            struct buf why;

            buf_init(&why, 0);
            if (schema_value_check(sp, strchr(value, '$') ? eff : value, &why) < 0)
                at_value(lc, "PL001", name, 0, "%s", buf_str(&why), NULL, NULL);
            buf_fini(&why);
        }
        if (eff) {
            if (sp->type == SCHEMA_MAPS)
                check_maps(lc, name);
            else if (sp->type == SCHEMA_RESTRICTIONS)
                check_restrictions(lc, name, eff, classes);
            if (strcmp(name, "mynetworks") == 0 || strcmp(name, "relay_domains") == 0) {
                int all;

                if (strcmp(name, "mynetworks") == 0)
                    check_networks(lc, name, eff, &all);
            }
            if (strcmp(name, "relayhost") == 0 || strcmp(name, "smtp_fallback_relay") == 0
                || strcmp(name, "content_filter") == 0)
                check_nexthop(lc, name, strcmp(name, "content_filter") == 0
                                            ? (strchr(eff, ':') ? strchr(eff, ':') + 1 : "")
                                            : eff);
            if (strcmp(name, "inet_interfaces") == 0)
                check_interfaces(lc, eff);
        }
        mem_free(eff);
    }
}

/* program - the basename of a service's command */
static const char *
program(struct lint_ctx *lc, size_t i)
{
    const char *cmd = pcf_service_field(lc->p, i, 7);
    const char *slash = strrchr(cmd, '/');

    return slash ? slash + 1 : cmd;
}

static const struct {
    const char *prefix;
    const char *program;
} owner_prefix[] = {
    {"smtpd_", "smtpd"}, {"smtp_", "smtp"}, {"lmtp_", "lmtp"},
    {"postscreen_", "postscreen"}, {"tlsproxy_", "tlsproxy"},
};

/* check_master - rules on master.cf entries */
static void
check_master(struct lint_ctx *lc)
{
    size_t n = pcf_service_count(lc->p);
    struct htab *seen = htab_new(64);
    struct buf chrooted;
    size_t first_chroot = 0, nchroot = 0;

    buf_init(&chrooted, 0);
    for (size_t i = 0; i < n; i++) {
        const char *svc = pcf_service_field(lc->p, i, 0);
        const char *type = pcf_service_field(lc->p, i, 1);
        const char *prog = program(lc, i);
        struct buf ns;
        struct strv opts;

        buf_init(&ns, 0);
        buf_printf(&ns, "%s/%s", svc, type);
        if (htab_has(seen, buf_str(&ns))) {
            char line[32];

            snprintf(line, sizeof(line), "%d",
                     (int) (intptr_t) htab_find(seen, buf_str(&ns)));
            at_service(lc, "PL203", i,
                       "%s is defined again (first at line %s); Postfix uses "
                       "both and they fight over the same socket or port",
                       buf_str(&ns), line, NULL);
        } else {
            htab_set(seen, buf_str(&ns), (void *) (intptr_t) pcf_service_line(lc->p, i));
        }
        if (!in_list(daemons, prog))
            at_service(lc, "PL202", i,
                       "%s: command \"%s\" is not a Postfix program (master.cf "
                       "runs programs from $daemon_directory)", buf_str(&ns), prog,
                       NULL);
        if (strcmp(pcf_service_field(lc->p, i, 4), "y") == 0) {
            if (chrooted.len == 0)
                first_chroot = i;
            buf_printf(&chrooted, "%s%s", chrooted.len ? ", " : "", buf_str(&ns));
            nchroot++;
        }
        if (strcmp(type, "unix") == 0 && strcmp(pcf_service_field(lc->p, i, 2), "n") == 0
            && !in_list(public_ok, svc) && !in_list(public_ok, prog))
            at_service(lc, "PL207", i,
                       "%s: private = n makes this socket usable by every local "
                       "user; set private to - or y", buf_str(&ns), NULL, NULL);
        pcf_service_params(lc->p, i, &opts);
        for (size_t k = 0; k < opts.n; k++) {
            const char *name = opts.v[k];
            const char *v = pcf_service_param(lc->p, i, name);
            struct strv undef;

            if (!pcf_service_param_known(lc->p, i, name)) {
                const char *hint = closest_param(name);

                at_service(lc, "PL208", i,
                           hint ? "%s: -o %s is not a Postfix parameter and "
                                  "nothing uses it (did you mean %s?)"
                                : "%s: -o %s is not a Postfix parameter and "
                                  "nothing uses it",
                           buf_str(&ns), name, hint);
            } else {
                for (size_t q = 0; q < sizeof(owner_prefix) / sizeof(owner_prefix[0]); q++) {
                    if (str_has_prefix(name, owner_prefix[q].prefix)
                        && schema_param_find(name)) {
                        if (strcmp(prog, owner_prefix[q].program) != 0
                            && !(strcmp(owner_prefix[q].program, "smtpd") == 0
                                 && strcmp(prog, "postscreen") == 0))
                            at_service(lc, "PL204", i,
                                       "%s: -o %s is read by %s, not by this "
                                       "service's program", buf_str(&ns), name,
                                       owner_prefix[q].program);
                        break;
                    }
                }
            }
            undefined_refs(lc, v, &undef);
            for (size_t u = 0; u < undef.n; u++) {
                if (pcf_service_param(lc->p, i, undef.v[u]))
                    continue;
                at_service(lc, "PL205", i, "%s: -o %s refers to $%s, which is "
                           "not defined", buf_str(&ns), name, undef.v[u]);
            }
            strv_fini(&undef);
        }
        strv_fini(&opts);
        buf_fini(&ns);
    }
    if (nchroot) {
        report_add(lc->r, "PL206", -1, lc->master_file,
                   pcf_service_line(lc->p, first_chroot), 1,
                   "%zu service%s chrooted in $queue_directory (%s): the "
                   "files they read (resolv.conf, certificates, maps) must be "
                   "copied into the jail", nchroot, nchroot == 1 ? " runs" : "s run",
                   chrooted.data);
    }
    buf_fini(&chrooted);
    htab_free(seen, NULL);
}

/* restriction_list - the effective tokens of a restriction parameter */
static void
restriction_list(struct lint_ctx *lc, const char *scope, const char *name,
                 struct strv *out)
{
    char *v = scope ? pcf_service_value(lc->p, scope, name) : pcf_value(lc->p, name);

    tokens(v ? v : "", out);
    mem_free(v);
}

static int
protects(const char *tok)
{
    static const char *const stop[] = {"reject_unauth_destination",
                                       "defer_unauth_destination", "reject",
                                       "defer", "defer_if_permit",
                                       "check_relay_domains", NULL};

    return in_list(stop, tok);
}

/* check_relay - open relay shapes, for main.cf and each smtpd service */
static void
check_relay(struct lint_ctx *lc, const char *scope, int covers_all)
{
    static const char *const lists[] = {"smtpd_relay_restrictions",
                                         "smtpd_recipient_restrictions"};
    int protected = 0;

    for (int l = 0; l < 2; l++) {
        struct strv t;

        restriction_list(lc, scope, lists[l], &t);
        for (size_t i = 0; i < t.n; i++) {
            const char *tok = t.v[i];

            if (protects(tok)) {
                protected = 1;
                break;
            }
            if (strcmp(tok, "permit") == 0
                || (covers_all && strcmp(tok, "permit_mynetworks") == 0)) {
                if (scope) {
                    struct buf m;

                    buf_init(&m, 0);
                    buf_printf(&m, "%s: %s lets every client relay "
                               "(\"%s\" comes before any rule that stops relaying%s)",
                               scope, lists[l], tok,
                               covers_all ? ", and mynetworks covers every address" : "");
                    report_add(lc->r, "PL301", -1, lc->master_file, 0, 0, "%s",
                               buf_str(&m));
                    buf_fini(&m);
                } else {
                    at_value(lc, "PL301", main_entry(lc, lists[l]) ? lists[l] : "mynetworks", 0,
                             "%s lets every client relay (\"%s\" comes before any "
                             "rule that stops relaying)", lists[l], tok, NULL);
                }
                protected = 1;
                break;
            }
            (void) i;
        }
        strv_fini(&t);
        if (protected)
            break;
    }
    if (!protected) {
        if (scope)
            report_add(lc->r, "PL304", -1, lc->master_file, 0, 0,
                       "%s: neither smtpd_relay_restrictions nor "
                       "smtpd_recipient_restrictions stops unauthenticated relaying "
                       "(add reject_unauth_destination)", scope);
        else
            at_value(lc, "PL304", main_entry(lc, "smtpd_relay_restrictions")
                                      ? "smtpd_relay_restrictions"
                                      : "smtpd_recipient_restrictions",
                     0, "neither smtpd_relay_restrictions nor "
                     "smtpd_recipient_restrictions stops unauthenticated relaying "
                     "(add reject_unauth_destination); Postfix refuses to start",
                     NULL, NULL, NULL);
    }
}

/* allows_weak - does a *_tls_protocols value allow SSL or TLS < 1.2? */
static const char *
allows_weak(const char *v)
{
    static const char *const weak[] = {"SSLv2", "SSLv3", "TLSv1", "TLSv1.1", NULL};
    struct strv t;
    const char *found = NULL;
    int excluded[4] = {0, 0, 0, 0};
    int has_min = 0;

    tokens(v, &t);
    for (size_t i = 0; i < t.n; i++) {
        const char *tok = t.v[i];

        if (str_has_prefix(tok, ">=")) {
            has_min = 1;
            for (int w = 0; weak[w]; w++)
                if (strcmp(tok + 2, weak[w]) == 0 && !found)
                    found = weak[w];
            if (strcmp(tok + 2, "TLSv1") == 0)
                found = "TLSv1";
        } else if (*tok == '!') {
            for (int w = 0; weak[w]; w++)
                if (strcmp(tok + 1, weak[w]) == 0)
                    excluded[w] = 1;
        } else {
            for (int w = 0; weak[w]; w++)
                if (strcmp(tok, weak[w]) == 0 && !found)
                    found = weak[w];
        }
    }
    strv_fini(&t);
    if (!has_min && !found) {
        for (int w = 0; weak[w]; w++)
            if (!excluded[w])
                return weak[w];
    }
    return found;
}

static void
check_security(struct lint_ctx *lc)
{
    int covers_all = 0;
    char *v;

    /* mynetworks that covers everything, and subnet style */
    if ((v = pcf_value(lc->p, "mynetworks")) != NULL) {
        struct strv t;
        unsigned char a[16];
        int len, v4;

        tokens(v, &t);
        for (size_t i = 0; i < t.n; i++)
            if (parse_net(t.v[i], a, &len, &v4) == 0 && len == 0)
                covers_all = 1;
        strv_fini(&t);
        mem_free(v);
    }
    if (!main_entry(lc, "mynetworks")) {
        char *style = pcf_value(lc->p, "mynetworks_style");
        char *ifaces = pcf_value(lc->p, "inet_interfaces");

        if (style && strcmp(style, "subnet") == 0 && ifaces
            && strstr(ifaces, "loopback-only") == NULL)
            at_value(lc, "PL303", main_entry(lc, "mynetworks_style")
                                      ? "mynetworks_style" : NULL, 0,
                     "mynetworks is not set and mynetworks_style is subnet: "
                     "every host on the networks of this server's interfaces "
                     "(inet_interfaces = %s) may relay; set mynetworks "
                     "explicitly", ifaces, NULL, NULL);
        mem_free(style);
        mem_free(ifaces);
    }
    check_relay(lc, NULL, covers_all);
    for (size_t i = 0; i < pcf_service_count(lc->p); i++) {
        struct buf ns;
        char *auth, *tls_only, *wrapper, *level;
        const char *svc = pcf_service_field(lc->p, i, 0);

        if (strcmp(program(lc, i), "smtpd") != 0)
            continue;
        buf_init(&ns, 0);
        buf_printf(&ns, "%s/%s", svc, pcf_service_field(lc->p, i, 1));
        if (pcf_service_param(lc->p, i, "smtpd_relay_restrictions")
            || pcf_service_param(lc->p, i, "smtpd_recipient_restrictions")
            || pcf_service_param(lc->p, i, "mynetworks"))
            check_relay(lc, buf_str(&ns), covers_all);
        auth = pcf_service_value(lc->p, buf_str(&ns), "smtpd_sasl_auth_enable");
        tls_only = pcf_service_value(lc->p, buf_str(&ns), "smtpd_tls_auth_only");
        wrapper = pcf_service_value(lc->p, buf_str(&ns), "smtpd_tls_wrappermode");
        level = pcf_service_value(lc->p, buf_str(&ns), "smtpd_tls_security_level");
        if (is_yes(auth) && !is_yes(tls_only) && !is_yes(wrapper)
            && !(level && strcmp(level, "encrypt") == 0)) {
            int port25 = strcmp(pcf_service_field(lc->p, i, 1), "inet") == 0
                         && (strcmp(svc, "smtp") == 0 || str_has_suffix(svc, ":smtp")
                             || strcmp(svc, "25") == 0 || str_has_suffix(svc, ":25"));
            int submission = strstr(svc, "submission") || strcmp(svc, "587") == 0
                             || str_has_suffix(svc, ":587") || strcmp(svc, "smtps") == 0;

            if (port25)
                at_service(lc, "PL308", i,
                           "%s offers SMTP AUTH without requiring TLS first "
                           "(smtpd_tls_auth_only = no): passwords can cross the "
                           "network in clear text", buf_str(&ns), NULL, NULL);
            else if (submission)
                at_service(lc, "PL309", i,
                           "%s: AUTH is allowed before STARTTLS; set -o "
                           "smtpd_tls_auth_only=yes or -o "
                           "smtpd_tls_security_level=encrypt", buf_str(&ns), NULL,
                           NULL);
        }
        mem_free(auth);
        mem_free(tls_only);
        mem_free(wrapper);
        mem_free(level);
        buf_fini(&ns);
    }
    if ((v = pcf_value(lc->p, "smtpd_forbid_bare_newline")) != NULL) {
        if (strcasecmp(v, "no") == 0)
            at_value(lc, "PL305", main_entry(lc, "smtpd_forbid_bare_newline")
                                      ? "smtpd_forbid_bare_newline" : NULL, 0,
                     "smtpd_forbid_bare_newline = no accepts bare <LF> line "
                     "endings: SMTP smuggling (CVE-2023-51764); set it to "
                     "normalize", NULL, NULL, NULL);
        mem_free(v);
    }
    {
        static const char *const protos[] = {"smtpd_tls_protocols",
                                             "smtpd_tls_mandatory_protocols",
                                             "smtp_tls_protocols",
                                             "smtp_tls_mandatory_protocols", NULL};
        static const char *const ciphers[] = {"smtpd_tls_ciphers",
                                              "smtpd_tls_mandatory_ciphers",
                                              "smtp_tls_ciphers",
                                              "smtp_tls_mandatory_ciphers", NULL};

        for (int k = 0; protos[k]; k++) {
            const char *weak;

            if ((v = pcf_value(lc->p, protos[k])) == NULL)
                continue;
            if ((weak = allows_weak(v)) != NULL) {
                int set = main_entry(lc, protos[k]) != NULL;
                struct report_finding *f = at_value(
                    lc, "PL306", set ? protos[k] : NULL, 0,
                    "%s = %s allows %s; use >=TLSv1.2", protos[k], v,
                    set ? weak : "TLSv1 and TLSv1.1 (Postfix's default)");

                if (!set)
                    f->sev = REPORT_INFO;
            }
            mem_free(v);
        }
        for (int k = 0; ciphers[k]; k++) {
            if ((v = pcf_value(lc->p, ciphers[k])) == NULL)
                continue;
            if (strcmp(v, "export") == 0 || strcmp(v, "low") == 0
                || strcmp(v, "null") == 0)
                at_value(lc, "PL307", main_entry(lc, ciphers[k]) ? ciphers[k] : NULL,
                         0, "%s = %s allows ciphers that give no real protection; "
                         "use medium or high", ciphers[k], v, NULL);
            mem_free(v);
        }
    }
}

void
lint_check(struct lint_ctx *lc)
{
    struct htab *classes = htab_new(16);
    char *rc = pcf_value(lc->p, "smtpd_restriction_classes");
    struct strv t;

    tokens(rc ? rc : "", &t);
    for (size_t i = 0; i < t.n; i++)
        htab_set(classes, t.v[i], NULL);
    strv_fini(&t);
    mem_free(rc);
    check_main(lc, classes);
    check_master(lc);
    check_security(lc);
    htab_free(classes, NULL);
}
