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
#include "smtpd/smtpd_check_int.h"
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
        return (int) strtol(buf, NULL, 10) == v &&
               buf[strspn(buf, "0123456789")] == 0;
    if (buf[n - 1] != ']')
        return 0;
    buf[n - 1] = 0;
    for (p = strtok_r(buf + 1, ";", &save); p; p = strtok_r(NULL, ";", &save)) {
        char *dots = strstr(p, "..");

        if (dots ? v >= (int) strtol(p, NULL, 10) &&
                       v <= (int) strtol(dots + 2, NULL, 10)
                 : (int) strtol(p, NULL, 10) == v)
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
    log_warn("unknown macro name \"%s\" in expansion request", name);
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
        log_warn("%s: bad rbl reply template for domain %s: %s",
                 tmpl ? "rbl_reply_maps" : "default_rbl_reply", list, copy);
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

/* ---- DNS block and allow lists ---- */

/* rbl_reject - the reply of a list that has what */
static int
rbl_reject(struct ctx *c, const char *list, const char *what, const char *cls,
           const char *txt)
{
    struct smtpd_rbl_vars v;
    struct buf out;
    char dom[300], b1[16], b2[16];
    const char *text, *dsn;
    int code, st;

    snprintf(dom, sizeof(dom), "%.*s", (int) strcspn(list, "="), list);
    memset(&v, 0, sizeof(v));
    v.s = c->s;
    v.domain = dom;
    v.txt = txt;
    v.cls = cls;
    v.what = what;
    v.sender = c->sender;
    v.recipient = c->shown;
    buf_init(&out, 0);
    smtpd_rbl_reply(c->s->cf, list, &v, &out);
    text = buf_str(&out);
    code = (int) strtol(text, NULL, 10);
    text = strlen(text) > 4 ? text + 4 : "";
    dsn = smtpd_chk_dsn_split(code / 100 == 4 ? "4.7.1" : "5.7.1", &text, b1,
                              sizeof(b1));
    st = smtpd_chk_reject(c, 0, code,
                          smtpd_chk_dsn_fix(dsn, cls, b2, sizeof(b2)), "%s",
                          *text ? text : "Service unavailable");
    buf_fini(&out);
    return st;
}

/* rbl_addr - reject_rbl_client: the client address in the list */
static int
rbl_addr(struct ctx *c, const char *list, const char *addr, const char *cls)
{
    char q[80], txt[512];

    if (smtpd_rbl_reverse(addr, q, sizeof(q)) < 0)
        return DUNNO;
    if (smtpd_rbl_query(c->s->cf, list, q, txt, sizeof(txt)) != 1)
        return DUNNO;
    return rbl_reject(c, list, addr, cls, txt);
}

/* rbl_domain - reject_rhsbl_*: the domain of what in the list */
static int
rbl_domain(struct ctx *c, const char *list, const char *what, const char *cls)
{
    const char *dom = strrchr(what, '@');
    char txt[512];

    dom = dom ? dom + 1 : what;
    if (*dom == 0 || *dom == '[')
        return DUNNO;
    if (smtpd_rbl_query(c->s->cf, list, dom, txt, sizeof(txt)) != 1)
        return DUNNO;
    return rbl_reject(c, list, what, cls, txt);
}

/* dnswl - permit_dnswl_client, permit_rhswl_client: listed is OK; a
 * failed lookup may not let a later reject through */
static int
dnswl(struct ctx *c, const char *list, const char *qname)
{
    int st = smtpd_rbl_query(c->s->cf, list, qname, NULL, 0);

    if (st < 0)
        smtpd_chk_defer_if(&c->s->dif_reject, 450, "4.7.1",
                           "<%s>: %s rejected: %s", c->s->namaddr, N_CLIENT,
                           "Service unavailable");
    return st == 1 ? OK : DUNNO;
}

int
smtpd_chk_one_rbl(struct ctx *c, const struct smtpd_restr *r, struct strv *list,
                  size_t *i)
{
    struct smtpd_session *s = c->s;
    const char *arg;
    char q[80];

    if (r->id < R_RBL_CLIENT || r->id > R_RHSWL_CLIENT)
        return -1;
    if (*i + 1 >= list->n) {
        log_warn("restriction %s requires domain name argument", list->v[*i]);
        return DUNNO;
    }
    arg = list->v[++*i];
    switch (r->id) {
    case R_RBL_CLIENT:
        return rbl_addr(c, arg, s->addr, N_CLIENT);
    case R_RHSBL_CLIENT:
        return strcasecmp(s->name, "unknown") != 0
                   ? rbl_domain(c, arg, s->name, N_CLIENT)
                   : DUNNO;
    case R_RHSBL_REV_CLIENT:
        return strcasecmp(s->reverse_name, "unknown") != 0
                   ? rbl_domain(c, arg, s->reverse_name, N_REV)
                   : DUNNO;
    case R_RHSBL_HELO:
        return s->helo ? rbl_domain(c, arg, s->helo, N_HELO) : DUNNO;
    case R_RHSBL_SENDER:
        return c->sender && *c->sender ? rbl_domain(c, arg, c->sender, N_SENDER)
                                       : DUNNO;
    case R_RHSBL_RCPT:
        return c->shown ? rbl_domain(c, arg, c->shown, N_RCPT) : DUNNO;
    case R_DNSWL_CLIENT:
        return smtpd_rbl_reverse(s->addr, q, sizeof(q)) == 0 ? dnswl(c, arg, q)
                                                             : DUNNO;
    case R_RHSWL_CLIENT:
        return strcasecmp(s->name, "unknown") != 0 ? dnswl(c, arg, s->name)
                                                   : DUNNO;
    default:
        return -1;
    }
}
