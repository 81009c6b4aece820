/*
 * lint_values - value rules of "postern lint" (PL0xx).
 *
 * DESCRIPTION
 *	Lookup tables, restriction lists, network lists, next-hop
 *	destinations and inet_interfaces: the checks of one parameter's
 *	value that lint_check_main (lint_params.c) calls.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lint/lint_int.h"
#include "mac/mac.h"

static const char *const map_types[] = {
    "btree",  "cdb",     "cidr",     "dbm",      "environ",   "fail",
    "hash",   "inline",  "internal", "ldap",     "lmdb",      "memcache",
    "mysql",  "nis",     "nisplus",  "pcre",     "pgsql",     "pipemap",
    "proxy",  "randmap", "regexp",   "sdbm",     "socketmap", "sqlite",
    "static", "tcp",     "texthash", "unionmap", "unix",      NULL,
};

static const char *const restrictions[] = {
    "check_address_map",
    "check_ccert_access",
    "check_client_a_access",
    "check_client_access",
    "check_client_mx_access",
    "check_client_ns_access",
    "check_etrn_access",
    "check_helo_a_access",
    "check_helo_access",
    "check_helo_mx_access",
    "check_helo_ns_access",
    "check_policy_service",
    "check_recipient_a_access",
    "check_recipient_access",
    "check_recipient_maps",
    "check_recipient_mx_access",
    "check_recipient_ns_access",
    "check_relay_domains",
    "check_reverse_client_hostname_a_access",
    "check_reverse_client_hostname_access",
    "check_reverse_client_hostname_mx_access",
    "check_reverse_client_hostname_ns_access",
    "check_sasl_access",
    "check_sender_a_access",
    "check_sender_access",
    "check_sender_mx_access",
    "check_sender_ns_access",
    "defer",
    "defer_if_permit",
    "defer_if_reject",
    "defer_unauth_destination",
    "permit",
    "permit_auth_destination",
    "permit_dnswl_client",
    "permit_inet_interfaces",
    "permit_mx_backup",
    "permit_mynetworks",
    "permit_naked_ip_address",
    "permit_rhswl_client",
    "permit_sasl_authenticated",
    "permit_tls_all_clientcerts",
    "permit_tls_clientcerts",
    "reject",
    "reject_authenticated_sender_login_mismatch",
    "reject_invalid_helo_hostname",
    "reject_invalid_hostname",
    "reject_known_sender_login_mismatch",
    "reject_maps_rbl",
    "reject_multi_recipient_bounce",
    "reject_non_fqdn_helo_hostname",
    "reject_non_fqdn_hostname",
    "reject_non_fqdn_recipient",
    "reject_non_fqdn_sender",
    "reject_plaintext_session",
    "reject_rbl",
    "reject_rbl_client",
    "reject_rhsbl_client",
    "reject_rhsbl_helo",
    "reject_rhsbl_recipient",
    "reject_rhsbl_reverse_client",
    "reject_rhsbl_sender",
    "reject_sender_login_mismatch",
    "reject_unauth_destination",
    "reject_unauth_pipelining",
    "reject_unauthenticated_sender_login_mismatch",
    "reject_unknown_client",
    "reject_unknown_client_hostname",
    "reject_unknown_forward_client_hostname",
    "reject_unknown_helo_hostname",
    "reject_unknown_hostname",
    "reject_unknown_recipient_domain",
    "reject_unknown_reverse_client_hostname",
    "reject_unknown_sender_domain",
    "reject_unlisted_recipient",
    "reject_unlisted_sender",
    "reject_unverified_recipient",
    "reject_unverified_sender",
    "sleep",
    "warn_if_reject",
    NULL,
};

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
                                          "dbm",  "sdbm",  NULL};
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
    if (!lint_in_list(map_types, type)) {
        const char *hint = lint_closest(type, map_types);
        struct buf m;

        buf_init(&m, 0);
        buf_printf(&m, "%s: unknown lookup table type \"%s\" in \"%s\"%s%s%s",
                   param, type, table, hint ? " (did you mean " : "",
                   hint ? hint : "", hint ? "?)" : "");
        lint_at_value(lc, "PL002", param, off, "%s", buf_str(&m), NULL, NULL);
        buf_fini(&m);
    } else if (*name == '/' &&
               (lint_in_list(indexed, type) || lint_in_list(sourced, type)) &&
               strstr(param, "cache") == NULL &&
               strcmp(param, "address_verify_map") != 0) {
        /* (Caches are databases that Postfix creates itself.) */
        char *src = rooted(lc, name);
        struct stat ss, is;

        if (stat(src, &ss) < 0) {
            lint_at_value(lc, "PL003", param, off,
                          "%s: table source %s does not exist", param, src,
                          NULL);
        } else if (lint_in_list(indexed, type)) {
            struct buf idx;

            buf_init(&idx, 0);
            buf_printf(&idx, "%s%s", src,
                       strcmp(type, "lmdb") == 0  ? ".lmdb"
                       : strcmp(type, "cdb") == 0 ? ".cdb"
                       : (strcmp(type, "dbm") == 0 || strcmp(type, "sdbm") == 0)
                           ? ".pag"
                           : ".db");
            if (stat(buf_str(&idx), &is) < 0)
                lint_at_value(lc, "PL004", param, off,
                              "%s: %s has no index %s: run postmap", param, src,
                              buf_str(&idx));
            else if (is.st_mtime < ss.st_mtime)
                lint_at_value(lc, "PL004", param, off,
                              "%s: index %s is older than %s: run postmap",
                              param, buf_str(&idx), src);
            buf_fini(&idx);
        }
        mem_free(src);
    }
    mem_free(copy);
}

/*
 * lint_check_maps - the tables written in this parameter's own main.cf value
 * ($name references are checked where those names are set).
 */
void
lint_check_maps(struct lint_ctx *lc, const char *param)
{
    struct strv t;
    const struct conf_entry *e = lint_main_entry(lc, param);
    const char *raw = e ? e->value.text : "";

    lint_tokens(raw, &t);
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
    return needs_table(r) || strcmp(r, "check_policy_service") == 0 ||
           strcmp(r, "reject_rbl_client") == 0 ||
           str_has_prefix(r, "reject_rhsbl_") ||
           strcmp(r, "permit_dnswl_client") == 0 ||
           strcmp(r, "permit_rhswl_client") == 0 || strcmp(r, "sleep") == 0 ||
           strcmp(r, "warn_if_reject") == 0 ||
           strcmp(r, "check_sasl_access") == 0 ||
           strcmp(r, "check_ccert_access") == 0;
}

/* lint_check_restrictions - names, arguments and classes of a restriction list
 */
void
lint_check_restrictions(struct lint_ctx *lc, const char *param,
                        const char *value, struct htab *classes)
{
    struct strv t;
    const char *raw = lint_main_entry(lc, param)
                          ? lint_main_entry(lc, param)->value.text
                          : "";

    lint_tokens(value, &t);
    for (size_t i = 0; i < t.n; i++) {
        const char *tok = t.v[i];
        const char *pos = strstr(raw, tok);
        size_t off = pos ? (size_t) (pos - raw) : 0;

        if (strchr(tok, ':') || *tok == '{' || *tok == '/')
            continue; /* a table used as an access map */
        if (lint_in_list(restrictions, tok)) {
            if (needs_arg(tok)) {
                const char *next = i + 1 < t.n ? t.v[i + 1] : NULL;

                if (next == NULL ||
                    (lint_in_list(restrictions, next) && !needs_table(tok)) ||
                    (needs_table(tok) && !strchr(next, ':') &&
                     strcmp(tok, "check_policy_service") != 0)) {
                    lint_at_value(
                        lc, "PL006", param, off, "%s: %s needs %s after it",
                        param, tok,
                        needs_table(tok) ? "a lookup table (type:name)"
                        : strcmp(tok, "sleep") == 0 ? "a number of seconds"
                        : strcmp(tok, "warn_if_reject") == 0 ? "a restriction"
                        : strcmp(tok, "check_policy_service") == 0
                            ? "a policy server address"
                            : "a DNS domain");
                } else {
                    i++;
                }
            }
            continue;
        }
        if (htab_has(classes, tok)) {
            if (!pcf_is_known(lc->p, tok) || pcf_raw_value(lc->p, tok) == NULL)
                lint_at_value(lc, "PL007", param, off,
                              "%s: restriction class %s is listed in "
                              "smtpd_restriction_classes but not defined",
                              param, tok, NULL);
            continue;
        }
        if (*tok == '$')
            continue;
        {
            const char *hint = lint_closest(tok, restrictions);
            struct buf m;

            buf_init(&m, 0);
            buf_printf(&m, "%s: unknown restriction \"%s\"%s%s%s", param, tok,
                       hint ? " (did you mean " : "", hint ? hint : "",
                       hint ? "?)" : "");
            lint_at_value(lc, "PL005", param, off, "%s", buf_str(&m), NULL,
                          NULL);
            buf_fini(&m);
        }
    }
    strv_fini(&t);
}

/* lint_parse_net - an address or CIDR; 0 ok, -1 bad; *v4 set for IPv4 */
int
lint_parse_net(const char *tok, unsigned char addr[16], int *len, int *v4)
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
    uint32_t x = ((uint32_t) a[0] << 24) | ((uint32_t) a[1] << 16) |
                 ((uint32_t) a[2] << 8) | a[3];
    uint32_t m = nlen ? 0xffffffffu << (32 - nlen) : 0;

    return len >= nlen && (x & m) == (net & m);
}

/* lint_check_networks - mynetworks-style list: syntax and breadth */
void
lint_check_networks(struct lint_ctx *lc, const char *param, const char *value,
                    int *covers_all)
{
    struct strv t;
    const char *raw = lint_main_entry(lc, param)
                          ? lint_main_entry(lc, param)->value.text
                          : "";

    *covers_all = 0;
    lint_tokens(value, &t);
    for (size_t i = 0; i < t.n; i++) {
        const char *tok = t.v[i];
        const char *pos = strstr(raw, tok);
        size_t off = pos ? (size_t) (pos - raw) : 0;
        unsigned char a[16];
        int len, v4;

        if (strchr(tok, ':') && !strchr(tok, '[') && !strchr(tok, '.') &&
            strncmp(tok, "::", 2) != 0) {
            check_table(lc, param, tok, off);
            continue;
        }
        if (*tok == '/' || *tok == '!' || *tok == '$' ||
            isalpha((unsigned char) *tok)) {
            if (*tok == '/' || strchr(tok, ':'))
                check_table(lc, param, tok, off);
            continue;
        }
        if (lint_parse_net(tok, a, &len, &v4) < 0) {
            lint_at_value(
                lc, "PL008", param, off,
                "%s: \"%s\" is not an address or network (use a.b.c.d/len or "
                "[ipv6]/len)",
                param, tok, NULL);
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
                {0xac100000u, 12,
                 "172.16.0.0/12 (RFC 1918, container networks)"},
                {0xc0a80000u, 16, "192.168.0.0/16 (RFC 1918)"},
                {0x64400000u, 10, "100.64.0.0/10 (carrier-grade NAT)"},
            };

            for (size_t k = 0; k < sizeof(priv) / sizeof(priv[0]); k++) {
                if (v4_in(a, len, priv[k].net, priv[k].len) &&
                    len <= priv[k].len + 8) {
                    lint_at_value(
                        lc, "PL302", param, off,
                        "%s: %s trusts the private range %s: every host "
                        "there may relay through this server",
                        param, tok, priv[k].what);
                    break;
                }
            }
        }
    }
    strv_fini(&t);
}

/* check_relayhost - [host]:port, host:port, host */
void
lint_check_nexthop(struct lint_ctx *lc, const char *param, const char *value)
{
    struct strv t;

    lint_tokens(value, &t);
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
            if (!bad && isdigit((unsigned char) *port) &&
                strtol(port, NULL, 10) > 65535)
                bad = 1;
        }
        if (bad)
            lint_at_value(lc, "PL009", param, 0,
                          "%s: \"%s\" is not a valid destination ([host]:port, "
                          "host:port or host; IPv6 as [addr]:port)",
                          param, tok, NULL);
    }
    strv_fini(&t);
}

void
lint_check_interfaces(struct lint_ctx *lc, const char *value)
{
    struct strv t;

    lint_tokens(value, &t);
    for (size_t i = 0; i < t.n; i++) {
        const char *tok = t.v[i];
        unsigned char a[16];
        int len, v4;

        if (strcmp(tok, "all") == 0 || strcmp(tok, "loopback-only") == 0)
            continue;
        if (isdigit((unsigned char) *tok) || *tok == '[') {
            if (strchr(tok, '/') || lint_parse_net(tok, a, &len, &v4) < 0)
                lint_at_value(
                    lc, "PL010", "inet_interfaces", 0,
                    "inet_interfaces: \"%s\" is not an address (use "
                    "a.b.c.d, [ipv6], a host name, all or loopback-only)",
                    tok, NULL, NULL);
        }
    }
    strv_fini(&t);
}
