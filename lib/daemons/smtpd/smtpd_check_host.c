/*
 * smtpd_check_host - the client and helo restrictions that need no
 *	table (host name syntax, DNS existence), the DNS helpers the
 *	sender and recipient checks share, and check_*_{mx,ns,a}_access.
 */
#define _DEFAULT_SOURCE 1 /* strcasecmp */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "dns/dns.h"
#include "maillog/maillog.h"
#include "maps/maps.h"
#include "rewrite/rewrite.h"
#include "schema/schema.h"
#include "server/server.h"
#include "smtpd/smtpd_check_int.h"
#include "smtpd/smtpd_int.h"

int
smtpd_chk_valid_hostaddr(const char *a)
{
    unsigned char buf[16];

    return inet_pton(AF_INET, a, buf) == 1 ||
           (strncasecmp(a, "IPv6:", 5) == 0 &&
            inet_pton(AF_INET6, a + 5, buf) == 1) ||
           inet_pton(AF_INET6, a, buf) == 1;
}

/* ---- host names ---- */

static int
valid_label_char(int ch)
{
    return isalnum(ch) || ch == '-' || ch == '_';
}

/* valid_hostname - Postfix's valid_hostname(): labels of letters,
 * digits, '-' and '_' (no leading or trailing '-'), at most 63
 * characters each and 255 in all, not all numeric */
static int
valid_hostname(const char *name)
{
    size_t len = strlen(name), label = 0;
    int non_num = 0;

    if (len == 0 || len > 255)
        return 0;
    for (const char *p = name; *p; p++) {
        int ch = (unsigned char) *p;

        if (ch == '.') {
            if (label == 0 || p[-1] == '-' || p[1] == 0)
                return 0;
            label = 0;
        } else if (valid_label_char(ch)) {
            if (label == 0 && ch == '-')
                return 0;
            if (++label > 63)
                return 0;
            if (!isdigit(ch))
                non_num = 1;
        } else {
            return 0;
        }
    }
    return non_num && name[len - 1] != '-';
}

/* truncated - the name without one final dot (not "..") */
static const char *
truncated(const char *name, char *buf, size_t len)
{
    size_t n = strlen(name);

    if (n > 1 && name[n - 1] == '.' && name[n - 2] != '.') {
        snprintf(buf, len, "%.*s", (int) (n - 1), name);
        return buf;
    }
    return name;
}

static int
invalid_hostaddr(struct ctx *c, const char *addr, const char *name,
                 const char *cls)
{
    char a[300];
    size_t n = strlen(addr);

    if (addr[0] == '[' && n > 2 && addr[n - 1] == ']')
        snprintf(a, sizeof(a), "%.*s", (int) (n - 2), addr + 1);
    else
        snprintf(a, sizeof(a), "%s", addr);
    if (!smtpd_chk_valid_hostaddr(a))
        return smtpd_chk_reject(c, 0, c->s->cf->code.bad_name, "5.5.2",
                                "<%s>: %s rejected: invalid ip address", name,
                                cls);
    return DUNNO;
}

static int
invalid_hostname(struct ctx *c, const char *host, const char *name,
                 const char *cls)
{
    char b[300];
    const char *t = truncated(host, b, sizeof(b));

    if (!valid_hostname(t) && !smtpd_chk_valid_hostaddr(t))
        return smtpd_chk_reject(c, 0, c->s->cf->code.bad_name, "5.5.2",
                                "<%s>: %s rejected: Invalid name", name, cls);
    return DUNNO;
}

static int
non_fqdn_hostname(struct ctx *c, const char *host, const char *name,
                  const char *cls)
{
    char b[300];
    const char *t = truncated(host, b, sizeof(b));

    if (!valid_hostname(t) || !strchr(t, '.'))
        return smtpd_chk_reject(
            c, 0, c->s->cf->code.non_fqdn, "5.5.2",
            "<%s>: %s rejected: need fully-qualified hostname", name, cls);
    return DUNNO;
}

int
smtpd_chk_non_fqdn_address(struct ctx *c, const char *addr, const char *name,
                           const char *cls)
{
    const char *dom = strrchr(addr, '@');
    char b[300];
    const char *t;
    size_t n;

    dom = dom ? dom + 1 : "";
    n = strlen(dom);
    if (dom[0] == '[' && n > 0 && dom[n - 1] == ']')
        return DUNNO;
    t = truncated(dom, b, sizeof(b));
    if (!*t || !valid_hostname(t) || !strchr(t, '.'))
        return smtpd_chk_reject(
            c, 0, c->s->cf->code.non_fqdn, "4.5.2",
            "<%s>: %s rejected: need fully-qualified address", name, cls);
    return DUNNO;
}

/* ---- DNS ---- */

/* mx_host - the host of an MX answer ("PREF HOST"; "" for a null MX) */
const char *
smtpd_chk_mx_host(const char *rr)
{
    const char *sp = strchr(rr, ' ');

    return sp ? sp + 1 : rr;
}

/* dns - one lookup; a malformed name (a final dot included) is not
 * asked for but not found, as Postfix's dns_lookup() does */
int
smtpd_chk_dns(struct ctx *c, const char *name, int type, struct strv *out)
{
    if (!valid_hostname(name))
        return DNS_NXDOMAIN;
    return c->s->cf->dns(c->s->cf, name, type, out);
}

/* dns_any - the first of types that has records, as Postfix's
 * dns_lookup_l(): NXDOMAIN ends the search, a failure makes it RETRY
 * when nothing was found; nullmx: a null MX is DNS_NULLMX */
int
smtpd_chk_dns_any(struct ctx *c, const char *name, const int *types, int ntypes,
                  int nullmx)
{
    int soft = 0;

    for (int i = 0; i < ntypes; i++) {
        struct strv out;
        int st;

        strv_init(&out);
        st = smtpd_chk_dns(c, name, types[i], &out);
        if (st == DNS_OK && types[i] == DNS_MX && out.n == 1 &&
            *smtpd_chk_mx_host(out.v[0]) == 0) {
            strv_fini(&out);
            return nullmx ? DNS_NULLMX : DNS_FOUND;
        }
        strv_fini(&out);
        if (st == DNS_OK)
            return DNS_FOUND;
        if (st == DNS_NXDOMAIN)
            return DNS_NOTFOUND;
        if (st == DNS_TEMP)
            soft = 1;
    }
    return soft ? DNS_RETRY : DNS_NOTFOUND;
}

/* unknown_hostname - reject_unknown_helo_hostname */
static int
unknown_hostname(struct ctx *c, const char *host, const char *name,
                 const char *cls)
{
    static const int types[] = {DNS_A, DNS_AAAA, DNS_MX};
    char text[600];
    int st = smtpd_chk_dns_any(c, host, types, 3, 0);

    if (st == DNS_FOUND)
        return DUNNO;
    if (st == DNS_NOTFOUND)
        return smtpd_chk_reject(c, 0, c->s->cf->code.unk_name, "4.7.1",
                                "<%s>: %s rejected: Host not found", name, cls);
    snprintf(text, sizeof(text), "<%s>: %s rejected: Host not found", name,
             cls);
    return smtpd_chk_tempfail(c, c->s->cf->code.unk_name_tf, "4.7.1", text);
}

/* host_addrs - the addresses of host in the families of inet_protocols,
 * as getaddrinfo() would give them: DNS_OK, or why there are none */
int
smtpd_chk_host_addrs(struct ctx *c, const char *host, struct strv *out)
{
    int st4 = DNS_NXDOMAIN, st6 = DNS_NXDOMAIN;

    if (c->s->cf->families & 1)
        st4 = smtpd_chk_dns(c, host, DNS_A, out);
    if (c->s->cf->families & 2)
        st6 = smtpd_chk_dns(c, host, DNS_AAAA, out);
    if (out->n > 0)
        return DNS_OK;
    if (st4 == DNS_TEMP || st6 == DNS_TEMP)
        return DNS_TEMP;
    if (st4 == DNS_NODATA || st6 == DNS_NODATA)
        return DNS_NODATA;
    return DNS_NXDOMAIN;
}

/* server_access - check_*_{mx,ns,a}_access: the servers of the domain of
 * what (an address or host name), their names and addresses */
int
smtpd_chk_server_access(struct ctx *c, const char *table, const char *what,
                        int type, const char *name, const char *cls,
                        const char *def_acl)
{
    const char *dom = strrchr(what, '@');
    struct strv servers;
    int st = DNS_NODATA, found = 0, rc = DUNNO;
    static const char *const tname[] = {"A", "AAAA", "MX", "NS", "PTR"};

    dom = dom ? dom + 1 : what;
    if (*dom == '[') {
        char a[300];
        size_t n = strlen(dom);

        if (type != DNS_MX || dom[n - 1] != ']')
            return DUNNO;
        snprintf(a, sizeof(a), "%.*s", (int) (n - 2), dom + 1);
        if (strncasecmp(a, "IPv6:", 5) == 0)
            memmove(a, a + 5, strlen(a + 5) + 1);
        if (!smtpd_chk_valid_hostaddr(a))
            return DUNNO;
        return smtpd_chk_addr_access(c, table, a, 0, &found, name, cls,
                                     def_acl);
    }
    strv_init(&servers);
    if (type == DNS_A) {
        strv_add(&servers, dom); /* its own addresses, no name check */
        st = DNS_OK;
    } else {
        st = smtpd_chk_dns(c, dom, type, &servers);
        if ((st == DNS_NODATA || st == DNS_NXDOMAIN) && type == DNS_MX) {
            strv_add(&servers, dom); /* its own MX */
            st = DNS_OK;
        }
        /* no NS records (or no such name): the parent domain's */
        while (type == DNS_NS && (st == DNS_NODATA || st == DNS_NXDOMAIN)) {
            if ((dom = strchr(dom, '.')) == NULL || dom[1] == 0) {
                dom = NULL;
                break;
            }
            st = smtpd_chk_dns(c, ++dom, type, &servers);
        }
    }
    if (st != DNS_OK) {
        /* Postfix's words: the last domain asked, or what was checked */
        log_warn("Unable to look up %s host for %s: %s", tname[type],
                 dom ? dom : what,
                 st == DNS_TEMP     ? "Host not found, try again"
                 : st == DNS_NODATA ? "Host found but no data record "
                                      "of requested type"
                                    : "Host not found");
        strv_fini(&servers);
        return DUNNO;
    }
    for (size_t i = 0; i < servers.n && rc == DUNNO && !found; i++) {
        struct strv addrs;

        if (type == DNS_MX) /* "PREF HOST" */
            memmove(servers.v[i], smtpd_chk_mx_host(servers.v[i]),
                    strlen(smtpd_chk_mx_host(servers.v[i])) + 1);
        if (servers.v[i][0] == 0)
            continue; /* null MX */
        if (type != DNS_A) {
            rc = smtpd_chk_domain_access(c, table, servers.v[i], 0, &found,
                                         name, cls, def_acl);
            if (rc != DUNNO || found)
                break;
        }
        strv_init(&addrs);
        if ((st = smtpd_chk_host_addrs(c, servers.v[i], &addrs)) != DNS_OK)
            log_warn("Unable to look up %s host %s for %s %s: %s", tname[type],
                     servers.v[i], cls, name,
                     st == DNS_TEMP     ? "Temporary failure in name "
                                          "resolution"
                     : st == DNS_NODATA ? "No address associated "
                                          "with hostname"
                                        : "Name or service not known");
        for (size_t k = 0; k < addrs.n && rc == DUNNO && !found; k++)
            rc = smtpd_chk_addr_access(c, table, addrs.v[k], 0, &found, name,
                                       cls, def_acl);
        strv_fini(&addrs);
    }
    strv_fini(&servers);
    return rc;
}

/* forbid_allowlist - an MX, NS or A lookup must not permit */
int
smtpd_chk_forbid_allowlist(struct ctx *c, const char *rname, int st,
                           const char *what)
{
    if (st == OK) {
        log_warn("restriction %s returns OK for %s", rname, what);
        log_warn("this is not allowed for security reasons");
        log_warn("use DUNNO instead of OK if you want to make an "
                 "exception");
        return smtpd_chk_config_error(c);
    }
    return st;
}

/* one_host - client and helo restrictions without a table */
int
smtpd_chk_one_host(struct ctx *c, const struct smtpd_restr *r)
{
    struct smtpd_session *s = c->s;
    const char *h = s->helo;

    switch (r->id) {
    case R_UNK_CLIENT:
        if (s->name_status != SMTPD_PEER_OK)
            return smtpd_chk_reject(
                c, 0,
                s->name_status >= SMTPD_PEER_PERM ? s->cf->code.unk_client
                                                  : 450,
                "4.7.25",
                "Client host rejected: cannot find your hostname, "
                "[%s]",
                s->addr);
        return DUNNO;
    case R_UNK_REV_CLIENT:
        if (s->reverse_status != SMTPD_PEER_OK)
            return smtpd_chk_reject(
                c, 0,
                s->reverse_status == SMTPD_PEER_PERM ? s->cf->code.unk_client
                                                     : 450,
                "4.7.1", /* sic: 4.7.25 only for the other */
                "Client host rejected: cannot find your reverse "
                "hostname, [%s]",
                s->addr);
        return DUNNO;
    case R_MYNETWORKS:
        return s->in_mynetworks ? OK : DUNNO;
    case R_INET_INTERFACES:
        return smtpd_own_addr(s->cf, s->addr) ? OK : DUNNO;
    case R_INVALID_HELO:
        if (h == NULL)
            return DUNNO;
        return *h != '[' ? invalid_hostname(c, h, h, N_HELO)
                         : invalid_hostaddr(c, h, h, N_HELO);
    case R_UNK_HELO:
        if (h == NULL)
            return DUNNO;
        return *h != '[' ? unknown_hostname(c, h, h, N_HELO)
                         : invalid_hostaddr(c, h, h, N_HELO);
    case R_NON_FQDN_HELO:
        if (h == NULL)
            return DUNNO;
        return *h != '[' ? non_fqdn_hostname(c, h, h, N_HELO)
                         : invalid_hostaddr(c, h, h, N_HELO);
    case R_NAKED_IP: {
        int st;

        log_warn("restriction permit_naked_ip_address is deprecated. "
                 "Use permit_mynetworks or permit_sasl_authenticated "
                 "instead");
        if (h == NULL || h[strspn(h, "0123456789.:")] != 0)
            return DUNNO;
        st = invalid_hostaddr(c, h, h, N_HELO);
        return st == DUNNO ? OK : st;
    }
    default:
        return -1;
    }
}
