/*
 * smtpd_check_rbl - DNS block and allow lists for the restrictions
 *	(reject_rbl_client, reject_rhsbl_*, permit_dnswl_client,
 *	permit_rhswl_client), as Postfix 3.7 queries them and words
 *	their replies.
 *
 * DESCRIPTION
 *	smtpd_rbl_query() asks for the A records of the query name under
 *	the list's domain; "domain=filter" keeps only answers the filter
 *	matches (d.d.d.d, each octet a number, [a..b] or [a;b;c]); a
 *	listed name's TXT record is its reason. A lookup that fails is
 *	"not listed" for a block list, as in Postfix. smtpd_rbl_reply()
 *	expands rbl_reply_maps' template for the list, or
 *	default_rbl_reply, with lib/config/mac and smtpd_expansion_filter.
 */
#define _DEFAULT_SOURCE 1 /* strcasecmp */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns/dns.h"
#include "mac/mac.h"
#include "maillog/maillog.h"
#include "maps/maps.h"
#include "pcf/pcf.h"
#include "server/server.h"
#include "smtpd/smtpd_int.h"

/* octet_match - one octet pattern: "N", "[a..b]" or "[a;b;c]" */
static int
octet_match(const char *pat, size_t n, int v)
{
    char buf[64];
    char *p, *save = NULL;

    if (n == 0 || n >= sizeof(buf))
        return 0;
    memcpy(buf, pat, n);
    buf[n] = 0;
    if (buf[0] != '[')
        return (int) strtol(buf, NULL, 10) == v && buf[strspn(buf, "0123456789")] == 0;
    if (buf[n - 1] != ']')
        return 0;
    buf[n - 1] = 0;
    for (p = strtok_r(buf + 1, ";", &save); p; p = strtok_r(NULL, ";", &save)) {
        char *dots = strstr(p, "..");

        if (dots ? v >= (int) strtol(p, NULL, 10) && v <= (int) strtol(dots + 2, NULL, 10) : (int) strtol(p, NULL, 10) == v)
            return 1;
    }
    return 0;
}

/* filter_match - an IPv4 answer against Postfix's ip_match pattern */
static int
filter_match(const char *filter, const char *addr)
{
    unsigned char a[4];
    const char *p = filter;

    if (inet_pton(AF_INET, addr, a) != 1)
        return 0;
    for (int i = 0; i < 4; i++) {
        size_t n;

        if (*p == '[') { /* a group may hold "..": up to its ']' */
            const char *close = strchr(p, ']');

            if (close == NULL)
                return 0;
            n = (size_t) (close - p) + 1;
        } else {
            n = strspn(p, "0123456789");
        }
        if (!octet_match(p, n, a[i]))
            return 0;
        p += n;
        if (i < 3 && *p++ != '.')
            return 0;
    }
    return *p == 0;
}

int
smtpd_rbl_query(struct smtpd_conf *cf, const char *list, const char *qname,
                char *txt, size_t len)
{
    char dom[300], name[600];
    const char *filter = strchr(list, '=');
    struct strv a;
    int st, listed = 0;

    snprintf(dom, sizeof(dom), "%.*s",
             (int) (filter ? (size_t) (filter - list) : strlen(list)), list);
    snprintf(name, sizeof(name), "%s.%s", qname, dom);
    strv_init(&a);
    st = cf->dns(cf, name, DNS_A, &a);
    for (size_t i = 0; i < a.n && !listed; i++)
        listed = filter == NULL || filter_match(filter + 1, a.v[i]);
    strv_fini(&a);
    if (txt && len)
        txt[0] = 0;
    if (listed && txt) {
        struct strv t;

        strv_init(&t);
        if (cf->dns(cf, name, DNS_TXT, &t) == DNS_OK && t.n > 0)
            snprintf(txt, len, "%s", t.v[0]);
        strv_fini(&t);
    }
    if (listed)
        return 1;
    return st == DNS_TEMP ? -1 : 0;
}

/* smtpd_rbl_reverse - the query name of an address: its octets (IPv4)
 * or nibbles (IPv6) in reverse order; -1 for a bad address */
int
smtpd_rbl_reverse(const char *addr, char *out, size_t len)
{
    unsigned char a[16];

    if (inet_pton(AF_INET, addr, a) == 1) {
        snprintf(out, len, "%u.%u.%u.%u", a[3], a[2], a[1], a[0]);
        return 0;
    }
    if (inet_pton(AF_INET6, addr, a) == 1 && len >= 64) {
        static const char hex[] = "0123456789abcdef";
        size_t k = 0;

        for (int i = 15; i >= 0; i--) {
            out[k++] = hex[a[i] & 15];
            out[k++] = '.';
            out[k++] = hex[a[i] >> 4];
            out[k++] = i ? '.' : 0;
        }
        return 0;
    }
    return -1;
}

struct rbl_ctx {
    const struct smtpd_rbl_vars *v;
    char code[8];
};

static const char *
rbl_lookup(const char *name, int mode, void *ctx)
{
    struct rbl_ctx *r = ctx;
    const struct smtpd_rbl_vars *v = r->v;

    (void) mode;
    if (strcmp(name, "rbl_code") == 0)
        return r->code;
    if (strcmp(name, "rbl_domain") == 0)
        return v->domain;
    if (strcmp(name, "rbl_reason") == 0 || strcmp(name, "rbl_txt") == 0)
        return v->txt && *v->txt ? v->txt : NULL;
    if (strcmp(name, "rbl_class") == 0)
        return v->cls;
    if (strcmp(name, "rbl_what") == 0)
        return v->what;
    if (strcmp(name, "client_address") == 0)
        return v->s->addr;
    if (strcmp(name, "client_name") == 0)
        return v->s->name;
    if (strcmp(name, "reverse_client_name") == 0)
        return v->s->reverse_name;
    if (strcmp(name, "helo_name") == 0)
        return v->s->helo;
    if (strcmp(name, "sender") == 0)
        return v->sender;
    if (strcmp(name, "recipient") == 0)
        return v->recipient;
    maillog_warning("unknown macro name \"%s\" in expansion request", name);
    return NULL;
}

/* unescape - Postfix's unescape() of smtpd_expansion_filter */
static void
unescape(const char *in, struct buf *out)
{
    for (; *in; in++) {
        int ch = (unsigned char) *in;

        if (ch == '\\' && in[1]) {
            in++;
            switch (*in) {
            case 't':
                ch = '\t';
                break;
            case 'n':
                ch = '\n';
                break;
            case 'r':
                ch = '\r';
                break;
            default:
                if (*in >= '0' && *in <= '7') {
                    ch = 0;
                    for (int k = 0; k < 3 && *in >= '0' && *in <= '7'; k++)
                        ch = ch * 8 + (*in++ - '0');
                    in--;
                } else {
                    ch = (unsigned char) *in;
                }
            }
        }
        (void) buf_putc(out, (char) ch);
    }
}

void
smtpd_rbl_reply(struct smtpd_conf *cf, const char *list,
                const struct smtpd_rbl_vars *v, struct buf *out)
{
    struct server *srv = cf->srv;
    struct rbl_ctx r;
    struct buf filter;
    const char *tmpl = NULL, *value;
    char *fv = server_param(srv, "smtpd_expansion_filter");

    memset(&r, 0, sizeof(r));
    r.v = v;
    snprintf(r.code, sizeof(r.code), "%d", cf->code.maps_rbl);
    if (cf->rbl_reply_maps &&
        maps_find(cf->rbl_reply_maps, list, &value) == MAPS_FOUND)
        tmpl = value;
    buf_init(&filter, 0);
    unescape(fv, &filter);
    mem_free(fv);
    for (int pass = 0; pass < 2; pass++) {
        char *copy = mem_strdup(tmpl ? tmpl : cf->default_rbl_reply);

        buf_truncate(out, 0);
        if (!(mac_expand(out, copy, MAC_EXP_FLAG_NONE, buf_str(&filter),
                         rbl_lookup, &r) &
              MAC_PARSE_ERROR)) {
            mem_free(copy);
            break;
        }
        maillog_warning("%s: bad rbl reply template for domain %s: %s",
                        tmpl ? "rbl_reply_maps" : "default_rbl_reply", list,
                        copy);
        mem_free(copy);
        if (tmpl == NULL) {
            buf_truncate(out, 0);
            (void) buf_printf(out, "%d Service unavailable", cf->code.maps_rbl);
            break;
        }
        tmpl = NULL; /* then the default, as Postfix */
    }
    buf_fini(&filter);
}
