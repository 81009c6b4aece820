/*
 * smtpd_check - the smtpd_*_restrictions lists, as Postfix 3.7's
 *	smtpd_check.c evaluates them.
 *
 * DESCRIPTION
 *	Each list is evaluated left to right until a restriction decides:
 *	OK ends that list (the next list still runs), a reject ends the
 *	check. With smtpd_delay_reject = yes (default) the client, helo
 *	and sender lists run at RCPT time. Reply texts, enhanced codes,
 *	the *_reject_code parameters, warn_if_reject ("reject_warning"
 *	log lines), defer_if_permit/defer_if_reject, restriction classes
 *	and access table results follow Postfix. The names and what
 *	Postern refuses are in smtpd_restr.c; DNS lookups go through
 *	cf->dns (smtpd_check_dns.c).
 *
 * BUGS
 *	Access table actions that need the cleanup service (HOLD,
 *	DISCARD, FILTER, REDIRECT, PREPEND, BCC) answer 451 4.3.5 with a
 *	warning instead of being ignored. Restrictions marked not
 *	implemented are skipped with a warning; "postern check" refuses
 *	them.
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

#include "dnsc/dnsc.h"
#include "maillog/maillog.h"
#include "maps/maps.h"
#include "rewrite/rewrite.h"
#include "schema/schema.h"
#include "server/server.h"
#include "smtpd/smtpd_int.h"

/* results, as Postfix's SMTPD_CHECK_* */
#define DUNNO  0
#define OK     1
#define REJECT 2

#define N_CLIENT  "Client host"
#define N_REV     "Unverified Client host"
#define N_HELO    "Helo command"
#define N_SENDER  "Sender address"
#define N_RCPT    "Recipient address"
#define N_DATA    "Data command"
#define N_EOD     "End-of-data command"
#define N_ETRN    "Etrn command"
#define CFG_ERROR "Server configuration error"

struct ctx {
    struct smtpd_session *s;
    const char *where;  /* "RCPT", "MAIL", ... (log lines) */
    const char *rcpt;   /* canonical recipient, or NULL */
    const char *shown;  /* the recipient as sent, internal form */
    char *sender;       /* the sender as sent, internal form, or NULL */
    char *reply;
    size_t len;
    int recursion;
    int warn_if_reject; /* recursion level that asked, 0 off */
    int rcptmap_checked;
    int resolved; /* res: 1 set, -1 table error */
    struct rewrite_result res;
};

static int generic(struct ctx *c, struct strv *list, const char *name,
                   const char *cls, const char *def_acl);
static void sleep_fn(void *arg);

/* ---- replies ---- */

static void
log_whatsup(struct ctx *c, const char *what, const char *text)
{
    struct smtpd_session *s = c->s;

    maillog_reject(s->id[0] ? s->id : NULL, what, c->where, s->namaddr, text,
                   c->sender, c->shown, smtpd_proto(s), s->helo);
}

static int
dsn_valid(const char *t)
{
    if ((t[0] != '2' && t[0] != '4' && t[0] != '5') || t[1] != '.')
        return 0;
    t += 2;
    for (int part = 0; part < 2; part++) {
        size_t k = strspn(t, "0123456789");

        if (k < 1 || k > 3)
            return 0;
        t += k;
        if (part == 0 && *t++ != '.')
            return 0;
    }
    return *t == 0 || *t == ' ';
}

/* reject - Postfix's smtpd_check_reject(): format, validate, soft_bounce,
 * defer_if_reject, warn_if_reject; cfg: a configuration error, never a
 * warning */
static int UTIL_PRINTF(5, 6) reject(struct ctx *c, int cfg, int code,
                                    const char *dsn, const char *fmt, ...)
{
    va_list ap;
    int warn = c->warn_if_reject && !cfg;
    size_t n;

    snprintf(c->reply, c->len, "%d %s ", code, dsn);
    n = strlen(c->reply);
    va_start(ap, fmt);
    vsnprintf(c->reply + n, c->len - n, fmt, ap);
    va_end(ap);
    if (code < 400 || code > 599) {
        maillog_warning("SMTP reply code configuration error: %s", c->reply);
        snprintf(c->reply, c->len, "450 4.7.1 Service unavailable");
    }
    if (!dsn_valid(c->reply + 4)) {
        maillog_warning("DSN detail code configuration error: %s", c->reply);
        snprintf(c->reply, c->len, "450 4.7.1 Service unavailable");
    }
    if (c->len > 511)
        c->reply[510] = 0;
    for (char *p = c->reply; *p; p++)
        if (!isprint((unsigned char) *p))
            *p = ' ';
    if (!warn && c->s->dif_reject.active && c->reply[0] == '5') {
        struct smtpd_defer *d = &c->s->dif_reject;

        c->warn_if_reject = d->active = 0;
        return reject(c, 0, d->code, d->dsn, "%s", d->reason);
    }
    if (c->s->cf->code.soft_bounce && c->reply[0] == '5')
        c->reply[0] = '4';
    c->reply[4] = c->reply[0];
    if (warn) {
        log_whatsup(c, "reject_warning", c->reply);
        c->reply[0] = 0;
        return DUNNO;
    }
    return REJECT;
}

/* defer_if - raise a defer_if_permit or defer_if_reject */
static void UTIL_PRINTF(4, 5) defer_if(struct smtpd_defer *d, int code,
                                       const char *dsn, const char *fmt, ...)
{
    va_list ap;

    if (d->active)
        return; /* the first reason stays, as in Postfix */
    d->active = 1;
    d->code = code;
    snprintf(d->dsn, sizeof(d->dsn), "%s", dsn);
    va_start(ap, fmt);
    vsnprintf(d->reason, sizeof(d->reason), fmt, ap);
    va_end(ap);
}

/* tempfail - a lookup failed temporarily: defer_if_permit, or with
 * action "defer" (or under warn_if_reject) a 450 at once */
static int
tempfail(struct ctx *c, int dip, const char *dsn, const char *text)
{
    if (dip && c->warn_if_reject == 0) {
        defer_if(&c->s->dif_permit, 450, dsn, "%s", text);
        return DUNNO;
    }
    return reject(c, 0, 450, dsn, "%s", text);
}

static int
config_error(struct ctx *c)
{
    return reject(c, 1, 451, "4.3.5", CFG_ERROR);
}

static int
dict_retry(struct ctx *c, const char *name)
{
    return reject(c, 1, 451, "4.3.0", "<%s>: Temporary lookup failure", name);
}

/* dsn_split - an enhanced code at the start of text, else def */
static const char *
dsn_split(const char *def, const char **text, char *buf, size_t len)
{
    size_t n = strcspn(*text, " ");

    if (dsn_valid(*text) && n < len) {
        memcpy(buf, *text, n);
        buf[n] = 0;
        *text += n;
        while (**text == ' ')
            (*text)++;
        return buf;
    }
    return def;
}

/* dsn_fix - Postfix's smtpd_dsn_fix(): an address status (X.1.Y) fits
 * the class of address it is about */
static const char *
dsn_fix(const char *dsn, const char *cls, char *buf, size_t len)
{
    /* X.1.1, X.1.4 and X.1.6 are about a destination mailbox: for a
     * sender Postfix says X.1.7 (checked against it) */
    static const char *const snd[] = {"4.1.0", "4.1.7", "4.1.8",
                                      "4.1.7", "4.1.7", "4.1.0",
                                      "4.1.7", "4.1.7", "4.1.8"};
    static const char *const rcp[] = {"4.1.0", "4.1.1", "4.1.2",
                                      "4.1.3", "4.1.4", "4.1.5",
                                      "4.1.6", "4.1.3", "4.1.2"};
    int k;

    if (strncmp(dsn + 1, ".1.", 3) != 0)
        return dsn;
    k = dsn[4] >= '1' && dsn[4] <= '8' && dsn[5] == 0 ? dsn[4] - '0' : 0;
    if (strcmp(cls, N_SENDER) == 0)
        snprintf(buf, len, "%c%s", dsn[0], snd[k] + 1);
    else if (strcmp(cls, N_RCPT) == 0)
        snprintf(buf, len, "%c%s", dsn[0], rcp[k] + 1);
    else
        snprintf(buf, len, "%c.0.0", dsn[0]);
    return buf;
}

/* ---- access tables ---- */

static struct maps *
access_table(struct smtpd_session *s, const char *spec)
{
    struct maps *m = htab_find(s->cf->access_cache, spec);

    if (m == NULL) {
        m = maps_new("smtpd access table", spec, 0);
        htab_set(s->cf->access_cache, spec, m);
    }
    return m;
}

/* pattern_table - regexp, pcre and cidr tables see only full keys */
static int
pattern_table(const char *spec)
{
    if (strncasecmp(spec, "proxy:", 6) == 0)
        spec += 6;
    return strncasecmp(spec, "regexp:", 7) == 0 ||
           strncasecmp(spec, "pcre:", 5) == 0 ||
           strncasecmp(spec, "cidr:", 5) == 0;
}

static int
alldig(const char *s)
{
    return *s && s[strspn(s, "0123456789")] == 0;
}

/* table_result - Postfix's check_table_result() */
static int
table_result(struct ctx *c, const char *table, const char *value,
             const char *name, const char *cls, const char *def_acl)
{
    size_t n = strcspn(value, " \t");
    const char *text = value + n, *dsn;
    char word[32], b1[16], b2[16];

    while (*text == ' ' || *text == '\t')
        text++;
    snprintf(word, sizeof(word), "%.*s", (int) (n < 31 ? n : 31), value);
    if (strcasecmp(word, "DUNNO") == 0)
        return DUNNO;
    if (strcasecmp(word, "REJECT") == 0 || strcasecmp(word, "DEFER") == 0) {
        int rej = word[0] == 'r' || word[0] == 'R';

        dsn = dsn_split(rej ? "5.7.1" : "4.7.1", &text, b1, sizeof(b1));
        return reject(
            c, 0, rej ? c->s->cf->code.access : c->s->cf->code.access_defer,
            dsn_fix(dsn, cls, b2, sizeof(b2)), "<%s>: %s rejected: %s", name,
            cls, *text ? text : "Access denied");
    }
    if (strcasecmp(word, "WARN") == 0) {
        log_whatsup(c, "warn", text);
        return DUNNO;
    }
    if (strcasecmp(word, "DEFER_IF_PERMIT") == 0 ||
        strcasecmp(word, "DEFER_IF_REJECT") == 0) {
        int permit = toupper((unsigned char) word[9]) == 'P';
        char reason[600];

        dsn = dsn_fix(dsn_split("4.7.1", &text, b1, sizeof(b1)), cls, b2,
                      sizeof(b2));
        snprintf(reason, sizeof(reason), "<%s>: %s rejected: %s", name, cls,
                 *text ? text : "Service unavailable");
        if (!permit) {
            defer_if(&c->s->dif_reject, 450, dsn, "%s", reason);
            return DUNNO;
        }
        return tempfail(c, 1, dsn, reason);
    }
    if (strcasecmp(word, "HOLD") == 0 || strcasecmp(word, "DISCARD") == 0 ||
        strcasecmp(word, "FILTER") == 0 || strcasecmp(word, "REDIRECT") == 0 ||
        strcasecmp(word, "PREPEND") == 0 || strcasecmp(word, "BCC") == 0 ||
        strcasecmp(word, "INFO") == 0) {
        maillog_warning("access table %s: action %s is not implemented by "
                        "Postern",
                        table, word);
        return config_error(c);
    }
    if (alldig(value))
        return OK;
    if (n == 3 && *text && (value[0] == '4' || value[0] == '5') &&
        isdigit((unsigned char) value[1]) &&
        isdigit((unsigned char) value[2])) {
        char def[8];

        snprintf(def, sizeof(def), "%c.7.1", value[0]);
        dsn = dsn_split(def, &text, b1, sizeof(b1));
        return reject(c, 0, (int) strtol(value, NULL, 10),
                      dsn_fix(dsn, cls, b2, sizeof(b2)),
                      "<%s>: %s rejected: %s", name, cls,
                      *text ? text : "Access denied");
    }
    if (strcasecmp(word, "OK") == 0 || strcasecmp(word, "RELAY") == 0)
        return OK;
    if (strchr(value, ':')) {
        maillog_warning("access table %s has entry with lookup table: %s",
                        table, value);
        maillog_warning("do not specify lookup tables inside SMTPD access "
                        "maps");
        maillog_warning("define a restriction class and specify its name "
                        "instead.");
        return config_error(c);
    }
    if (c->recursion > 100) {
        maillog_warning("access table %s entry %s causes unreasonable "
                        "recursion",
                        table, value);
        return config_error(c);
    }
    {
        struct strv sv;
        int st;

        strv_init(&sv);
        server_split(value, &sv);
        if (sv.n == 0) {
            maillog_warning("access table %s entry %s has empty value", table,
                            value);
            st = OK;
        } else {
            st = generic(c, &sv, name, cls, def_acl);
        }
        strv_fini(&sv);
        return st;
    }
}

/* lookup - one key; *found set; DUNNO/OK/REJECT */
static int
lookup(struct ctx *c, const char *table, const char *key, int partial,
       int *found, const char *name, const char *cls, const char *def_acl)
{
    struct maps *m;
    const char *v;
    enum maps_result r;
    char low[1024];
    size_t i;

    *found = 0;
    if (partial && pattern_table(table))
        return DUNNO;
    for (i = 0; key[i] && i < sizeof(low) - 1; i++)
        low[i] = (char) tolower((unsigned char) key[i]);
    low[i] = 0;
    m = access_table(c->s, table);
    r = maps_find(m, low, &v);
    if (r == MAPS_ERROR) {
        maillog_warning("%s: table lookup problem: %s", table, maps_error(m));
        *found = 1;
        return dict_retry(c, name);
    }
    if (r != MAPS_FOUND)
        return DUNNO;
    *found = 1;
    {
        char *val = mem_strdup(v); /* v is borrowed: recursion looks up */
        int st = table_result(c, table, val, name, cls, def_acl);

        mem_free(val);
        return st;
    }
}

static int
valid_hostaddr(const char *a)
{
    unsigned char buf[16];

    return inet_pton(AF_INET, a, buf) == 1 ||
           (strncasecmp(a, "IPv6:", 5) == 0 &&
            inet_pton(AF_INET6, a + 5, buf) == 1) ||
           inet_pton(AF_INET6, a, buf) == 1;
}

/* domain_access - the name and its parent domains */
static int
domain_access(struct ctx *c, const char *table, const char *domain, int partial,
              int *found, const char *name, const char *cls,
              const char *def_acl)
{
    const char *d = domain;
    int st;

    /* as Postfix's check_domain_access: stop at the end of the name
     * ("example." leaves "" under parent_domain_matches_subdomains) */
    while (*d) {
        st = lookup(c, table, d, partial, found, name, cls, def_acl);
        if (st != DUNNO || *found)
            return st;
        if (valid_hostaddr(domain))
            break;
        if ((d = strchr(d + 1, '.')) == NULL)
            break;
        if (c->s->cf->code.parent_style)
            d++;
        partial = 1;
    }
    return DUNNO;
}

/* addr_access - the address and its parent networks */
static int
addr_access(struct ctx *c, const char *table, const char *address, int partial,
            int *found, const char *name, const char *cls, const char *def_acl)
{
    char key[64];
    int delim = strchr(address, ':') ? ':' : '.';
    int st;

    snprintf(key, sizeof(key), "%s", address);
    for (;;) {
        char *cut;

        st = lookup(c, table, key, partial, found, name, cls, def_acl);
        if (st != DUNNO || *found)
            return st;
        partial = 1;
        if ((cut = strrchr(key, delim)) == NULL)
            break;
        *cut = 0;
    }
    return DUNNO;
}

static int
namadr_access(struct ctx *c, const char *table, const char *host,
              const char *addr, const char *name, const char *cls,
              const char *def_acl)
{
    int found, st;

    st = domain_access(c, table, host, 0, &found, name, cls, def_acl);
    if (st != DUNNO || found)
        return st;
    return addr_access(c, table, addr, 0, &found, name, cls, def_acl);
}

/* ---- addresses ---- */

/* resolve - an address through trivial-rewrite's resolver; NULL after a
 * table error (reply set) */
static const struct rewrite_result *
resolve_addr(struct ctx *c, const char *addr, struct rewrite_result *res)
{
    if (smtpd_resolve(c->s, addr, res) < 0) {
        dict_retry(c, addr);
        return NULL;
    }
    for (char *p = res->rcpt; *p; p++)
        *p = (char) tolower((unsigned char) *p);
    return res;
}

/* resolve_rcpt - the recipient, once per check */
static const struct rewrite_result *
resolve_rcpt(struct ctx *c)
{
    if (c->resolved == 0)
        c->resolved = resolve_addr(c, c->shown, &c->res) ? 1 : -1;
    else if (c->resolved < 0)
        dict_retry(c, c->shown);
    return c->resolved > 0 ? &c->res : NULL;
}

/* mail_access - Postfix's check_mail_access() */
static int
mail_access(struct ctx *c, const char *table, const char *addr,
            const char *name, const char *cls, const char *def_acl)
{
    struct rewrite_result res;
    const struct rewrite_result *r = resolve_addr(c, addr, &res);
    const char *dom, *delim = c->s->cf->recipient_delimiter;
    char bare[1024], key[1024];
    int found, st, suspicious;

    if (r == NULL)
        return REJECT;
    if ((dom = strrchr(r->rcpt, '@')) == NULL) {
        maillog_warning("check_mail_access: no @domain in address: %s",
                        r->rcpt);
        return DUNNO;
    }
    dom++;
    suspicious = !c->s->cf->allow_untrusted_routing &&
                 (r->flags & REWRITE_FLAG_ROUTED) && strcmp(cls, N_RCPT) == 0;
    bare[0] = 0;
    if (delim && *delim) {
        size_t lp = (size_t) (dom - 1 - r->rcpt);
        size_t cut = strcspn(r->rcpt, delim);

        if (cut > 0 && cut < lp)
            snprintf(bare, sizeof(bare), "%.*s%s", (int) cut, r->rcpt, dom - 1);
    }
#define MAIL_RETURN(x) return ((x) == OK && suspicious ? DUNNO : (x))
    st = lookup(c, table, r->rcpt, 0, &found, name, cls, def_acl);
    if (st != DUNNO || found)
        MAIL_RETURN(st);
    if (*bare) {
        st = lookup(c, table, bare, 1, &found, name, cls, def_acl);
        if (st != DUNNO || found)
            MAIL_RETURN(st);
    }
    st = domain_access(c, table, dom, 1, &found, name, cls, def_acl);
    if (st != DUNNO || found)
        MAIL_RETURN(st);
    snprintf(key, sizeof(key), "%.*s", (int) (dom - r->rcpt), r->rcpt);
    st = lookup(c, table, key, 1, &found, name, cls, def_acl);
    if (st != DUNNO || found)
        MAIL_RETURN(st);
    if (*bare) {
        snprintf(key, sizeof(key), "%.*s",
                 (int) (strrchr(bare, '@') + 1 - bare), bare);
        st = lookup(c, table, key, 1, &found, name, cls, def_acl);
        if (st != DUNNO || found)
            MAIL_RETURN(st);
    }
    return DUNNO;
#undef MAIL_RETURN
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
    if (!valid_hostaddr(a))
        return reject(c, 0, c->s->cf->code.bad_name, "5.5.2",
                      "<%s>: %s rejected: invalid ip address", name, cls);
    return DUNNO;
}

static int
invalid_hostname(struct ctx *c, const char *host, const char *name,
                 const char *cls)
{
    char b[300];
    const char *t = truncated(host, b, sizeof(b));

    if (!valid_hostname(t) && !valid_hostaddr(t))
        return reject(c, 0, c->s->cf->code.bad_name, "5.5.2",
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
        return reject(c, 0, c->s->cf->code.non_fqdn, "5.5.2",
                      "<%s>: %s rejected: need fully-qualified hostname", name,
                      cls);
    return DUNNO;
}

static int
non_fqdn_address(struct ctx *c, const char *addr, const char *name,
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
        return reject(c, 0, c->s->cf->code.non_fqdn, "4.5.2",
                      "<%s>: %s rejected: need fully-qualified address", name,
                      cls);
    return DUNNO;
}

/* ---- DNS ---- */

/* mx_host - the host of an MX answer ("PREF HOST"; "" for a null MX) */
static const char *
mx_host(const char *rr)
{
    const char *sp = strchr(rr, ' ');

    return sp ? sp + 1 : rr;
}

enum { DNS_FOUND, DNS_NOTFOUND, DNS_RETRY, DNS_NULLMX };

/* dns - one lookup; a malformed name (a final dot included) is not
 * asked for but not found, as Postfix's dns_lookup() does */
static int
dns(struct ctx *c, const char *name, int type, struct strv *out)
{
    if (!valid_hostname(name))
        return DNSC_NXDOMAIN;
    return c->s->cf->dns(c->s->cf, name, type, out);
}

/* dns_any - the first of types that has records, as Postfix's
 * dns_lookup_l(): NXDOMAIN ends the search, a failure makes it RETRY
 * when nothing was found; nullmx: a null MX is DNS_NULLMX */
static int
dns_any(struct ctx *c, const char *name, const int *types, int ntypes,
        int nullmx)
{
    int soft = 0;

    for (int i = 0; i < ntypes; i++) {
        struct strv out;
        int st;

        strv_init(&out);
        st = dns(c, name, types[i], &out);
        if (st == DNSC_OK && types[i] == DNSC_MX && out.n == 1 &&
            *mx_host(out.v[0]) == 0) {
            strv_fini(&out);
            return nullmx ? DNS_NULLMX : DNS_FOUND;
        }
        strv_fini(&out);
        if (st == DNSC_OK)
            return DNS_FOUND;
        if (st == DNSC_NXDOMAIN)
            return DNS_NOTFOUND;
        if (st == DNSC_TEMP)
            soft = 1;
    }
    return soft ? DNS_RETRY : DNS_NOTFOUND;
}

/* unknown_hostname - reject_unknown_helo_hostname */
static int
unknown_hostname(struct ctx *c, const char *host, const char *name,
                 const char *cls)
{
    static const int types[] = {DNSC_A, DNSC_AAAA, DNSC_MX};
    char text[600];
    int st = dns_any(c, host, types, 3, 0);

    if (st == DNS_FOUND)
        return DUNNO;
    if (st == DNS_NOTFOUND)
        return reject(c, 0, c->s->cf->code.unk_name, "4.7.1",
                      "<%s>: %s rejected: Host not found", name, cls);
    snprintf(text, sizeof(text), "<%s>: %s rejected: Host not found", name,
             cls);
    return tempfail(c, c->s->cf->code.unk_name_tf, "4.7.1", text);
}

/* unknown_address - reject_unknown_sender_domain and _recipient_domain:
 * domains we deliver to ourselves and address literals pass */
static int
unknown_address(struct ctx *c, const char *addr, const char *name,
                const char *cls)
{
    static const int types[] = {DNSC_MX, DNSC_A, DNSC_AAAA};
    struct rewrite_result res;
    const struct rewrite_result *r = resolve_addr(c, addr, &res);
    int snd = strcmp(cls, N_SENDER) == 0;
    const char *dom;
    char text[600];
    size_t n;
    int st;

    if (r == NULL)
        return REJECT;
    if ((dom = strrchr(r->rcpt, '@')) == NULL)
        return DUNNO;
    dom++;
    n = strlen(dom);
    if (r->cls == REWRITE_LOCAL || r->cls == REWRITE_ALIAS ||
        r->cls == REWRITE_VIRTUAL || (dom[0] == '[' && dom[n - 1] == ']'))
        return DUNNO;
    st = dns_any(c, dom, types, 3, 1);
    if (st == DNS_FOUND)
        return DUNNO;
    if (st == DNS_NULLMX)
        return reject(c, 0, snd ? 550 : 556, snd ? "4.7.27" : "4.1.10",
                      "<%s>: %s rejected: Domain %s does not accept mail "
                      "(nullMX)",
                      name, cls, dom);
    if (st == DNS_NOTFOUND)
        return reject(c, 0, c->s->cf->code.unk_addr, snd ? "4.1.8" : "4.1.2",
                      "<%s>: %s rejected: Domain not found", name, cls);
    snprintf(text, sizeof(text), "<%s>: %s rejected: Domain not found", name,
             cls);
    return tempfail(c, c->s->cf->code.unk_addr_tf, snd ? "4.1.8" : "4.1.2",
                    text);
}

/* host_addrs - the addresses of host in the families of inet_protocols,
 * as getaddrinfo() would give them: DNSC_OK, or why there are none */
static int
host_addrs(struct ctx *c, const char *host, struct strv *out)
{
    int st4 = DNSC_NXDOMAIN, st6 = DNSC_NXDOMAIN;

    if (c->s->cf->families & 1)
        st4 = dns(c, host, DNSC_A, out);
    if (c->s->cf->families & 2)
        st6 = dns(c, host, DNSC_AAAA, out);
    if (out->n > 0)
        return DNSC_OK;
    if (st4 == DNSC_TEMP || st6 == DNSC_TEMP)
        return DNSC_TEMP;
    if (st4 == DNSC_NODATA || st6 == DNSC_NODATA)
        return DNSC_NODATA;
    return DNSC_NXDOMAIN;
}

/* server_access - check_*_{mx,ns,a}_access: the servers of the domain of
 * what (an address or host name), their names and addresses */
static int
server_access(struct ctx *c, const char *table, const char *what, int type,
              const char *name, const char *cls, const char *def_acl)
{
    const char *dom = strrchr(what, '@');
    struct strv servers;
    int st = DNSC_NODATA, found = 0, rc = DUNNO;
    static const char *const tname[] = {"A", "AAAA", "MX", "NS", "PTR"};

    dom = dom ? dom + 1 : what;
    if (*dom == '[') {
        char a[300];
        size_t n = strlen(dom);

        if (type != DNSC_MX || dom[n - 1] != ']')
            return DUNNO;
        snprintf(a, sizeof(a), "%.*s", (int) (n - 2), dom + 1);
        if (strncasecmp(a, "IPv6:", 5) == 0)
            memmove(a, a + 5, strlen(a + 5) + 1);
        if (!valid_hostaddr(a))
            return DUNNO;
        return addr_access(c, table, a, 0, &found, name, cls, def_acl);
    }
    strv_init(&servers);
    if (type == DNSC_A) {
        strv_add(&servers, dom); /* its own addresses, no name check */
        st = DNSC_OK;
    } else {
        st = dns(c, dom, type, &servers);
        if ((st == DNSC_NODATA || st == DNSC_NXDOMAIN) && type == DNSC_MX) {
            strv_add(&servers, dom); /* its own MX */
            st = DNSC_OK;
        }
        /* no NS records (or no such name): the parent domain's */
        while (type == DNSC_NS && (st == DNSC_NODATA || st == DNSC_NXDOMAIN)) {
            if ((dom = strchr(dom, '.')) == NULL || dom[1] == 0) {
                dom = NULL;
                break;
            }
            st = dns(c, ++dom, type, &servers);
        }
    }
    if (st != DNSC_OK) {
        /* Postfix's words: the last domain asked, or what was checked */
        maillog_warning("Unable to look up %s host for %s: %s", tname[type],
                        dom ? dom : what,
                        st == DNSC_TEMP     ? "Host not found, try again"
                        : st == DNSC_NODATA ? "Host found but no data record "
                                              "of requested type"
                                            : "Host not found");
        strv_fini(&servers);
        return DUNNO;
    }
    for (size_t i = 0; i < servers.n && rc == DUNNO && !found; i++) {
        struct strv addrs;

        if (type == DNSC_MX) /* "PREF HOST" */
            memmove(servers.v[i], mx_host(servers.v[i]),
                    strlen(mx_host(servers.v[i])) + 1);
        if (servers.v[i][0] == 0)
            continue; /* null MX */
        if (type != DNSC_A) {
            rc = domain_access(c, table, servers.v[i], 0, &found, name, cls,
                               def_acl);
            if (rc != DUNNO || found)
                break;
        }
        strv_init(&addrs);
        if ((st = host_addrs(c, servers.v[i], &addrs)) != DNSC_OK)
            maillog_warning("Unable to look up %s host %s for %s %s: %s",
                            tname[type], servers.v[i], cls, name,
                            st == DNSC_TEMP     ? "Temporary failure in name "
                                                  "resolution"
                            : st == DNSC_NODATA ? "No address associated "
                                                  "with hostname"
                                                : "Name or service not known");
        for (size_t k = 0; k < addrs.n && rc == DUNNO && !found; k++)
            rc = addr_access(c, table, addrs.v[k], 0, &found, name, cls,
                             def_acl);
        strv_fini(&addrs);
    }
    strv_fini(&servers);
    return rc;
}

/* forbid_allowlist - an MX, NS or A lookup must not permit */
static int
forbid_allowlist(struct ctx *c, const char *rname, int st, const char *what)
{
    if (st == OK) {
        maillog_warning("restriction %s returns OK for %s", rname, what);
        maillog_warning("this is not allowed for security reasons");
        maillog_warning("use DUNNO instead of OK if you want to make an "
                        "exception");
        return config_error(c);
    }
    return st;
}

/* ---- recipients ---- */

/* auth_destination - Postfix's permit_auth_destination: OK or DUNNO,
 * REJECT after a table error */
static int
auth_destination(struct ctx *c)
{
    const struct rewrite_result *r = resolve_rcpt(c);

    if (r == NULL)
        return REJECT;
    if (strchr(r->rcpt, '@') == NULL)
        return OK;
    if (!c->s->cf->allow_untrusted_routing && (r->flags & REWRITE_FLAG_ROUTED))
        return DUNNO;
    return r->cls != REWRITE_DEFAULT ? OK : DUNNO;
}

static int
unauth_destination(struct ctx *c, int code, const char *dsn)
{
    int st = auth_destination(c);

    if (st == REJECT)
        return REJECT;
    if (st == OK)
        return DUNNO;
    return reject(c, 0, code, dsn, "<%s>: Relay access denied", c->shown);
}

/* addr_find - Postfix's mail_addr_find() on a recipient table: the
 * address, the address without its extension, then @domain; 1 found, 0
 * not, -1 table error */
static int
addr_find(struct ctx *c, struct maps *m, const char *rcpt)
{
    const char *v, *at = strrchr(rcpt, '@');
    const char *delim = c->s->cf->recipient_delimiter;
    enum maps_result r = maps_find(m, rcpt, &v);
    char bare[1024];

    if (r == MAPS_NOTFOUND && at && delim && *delim) {
        size_t cut = strcspn(rcpt, delim);

        if (cut > 0 && cut < (size_t) (at - rcpt)) {
            snprintf(bare, sizeof(bare), "%.*s%s", (int) cut, rcpt, at);
            r = maps_find(m, bare, &v);
        }
    }
    if (r == MAPS_NOTFOUND && at)
        r = maps_find(m, at, &v);
    if (r == MAPS_ERROR) {
        maillog_warning("recipient table lookup error: %s", maps_error(m));
        return -1;
    }
    return r == MAPS_FOUND;
}

/* unknown_in - "User unknown in X table" for a table that lacks it */
static int
unknown_in(struct ctx *c, struct maps *m, int code, const char *table,
           const char *rcpt, const char *addr, const char *cls)
{
    int found;

    if (m == NULL || (found = addr_find(c, m, rcpt)) == 1)
        return DUNNO;
    if (found < 0)
        return dict_retry(c, addr);
    return reject(c, 0, code, strcmp(cls, N_SENDER) == 0 ? "5.1.0" : "5.1.1",
                  "<%s>: %s rejected: User unknown%s%s%s", addr, cls,
                  c->s->cf->code.show_table ? " in " : "",
                  c->s->cf->code.show_table ? table : "",
                  c->s->cf->code.show_table ? " table" : "");
}

/* rcpt_maps - Postfix's check_rcpt_maps() (reject_unlisted_*): known
 * to a canonical or virtual alias table is known; what resolves to the
 * error transport is unknown; then the table of the address class */
static int
rcpt_maps(struct ctx *c, const char *addr, const char *cls)
{
    struct smtpd_conf *cf = c->s->cf;
    int snd = strcmp(cls, N_SENDER) == 0, found;
    struct rewrite_result res;
    const struct rewrite_result *r = resolve_addr(c, addr, &res);

    if (r == NULL)
        return REJECT;
    if (cf->rcpt_alias_maps &&
        (found = addr_find(c, cf->rcpt_alias_maps, r->rcpt)) != 0)
        return found < 0 ? dict_retry(c, addr) : DUNNO;
    if (strcmp(r->transport, "error") == 0) {
        const char *text = r->nexthop, *dsn;
        char b1[16], b2[16];

        dsn = dsn_split(snd ? "5.1.0" : "5.1.1", &text, b1, sizeof(b1));
        return reject(c, 0, r->cls == REWRITE_ALIAS ? cf->code.virt_alias : 550,
                      dsn_fix(dsn, cls, b2, sizeof(b2)),
                      "<%s>: %s rejected: %s", addr, cls, text);
    }
    if (r->cls == REWRITE_VIRTUAL)
        return unknown_in(c, cf->virt_mailbox_maps, cf->code.virt_mailbox,
                          "virtual mailbox", r->rcpt, addr, cls);
    if (r->cls == REWRITE_RELAY)
        return unknown_in(c, cf->relay_rcpt_maps, cf->code.relay_rcpt,
                          "relay recipient", r->rcpt, addr, cls);
    switch (smtpd_local_user_ok(c->s, addr)) {
    case -1:
        return dict_retry(c, addr);
    case 0:
        return reject(c, 0, c->s->cf->code.local_rcpt, snd ? "5.1.0" : "5.1.1",
                      "<%s>: %s rejected: User unknown%s", addr, cls,
                      c->s->cf->code.show_table ? " in local recipient table"
                                                : "");
    default:
        return DUNNO;
    }
}

/* has_my_addr - host has an address of this machine; -1 lookup failed
 * (defer_if_reject raised) */
static int
has_my_addr(struct ctx *c, const char *host)
{
    struct strv a;
    int yes = 0;

    strv_init(&a);
    if (host_addrs(c, host, &a) == DNSC_TEMP) {
        defer_if(&c->s->dif_reject, 450, "4.4.4",
                 "<%s>: %s rejected: Unable to look up mail exchanger host "
                 "%s: %s",
                 c->shown, N_RCPT, host,
                 "Temporary failure in name resolution");
        strv_fini(&a);
        return -1;
    }
    for (size_t i = 0; i < a.n && !yes; i++)
        yes = smtpd_own_addr(c->s->cf, a.v[i]);
    strv_fini(&a);
    return yes;
}

/* mx_primary - every address of the best MX hosts is in
 * permit_mx_backup_networks */
static int
mx_primary(struct ctx *c, struct strv *mx)
{
    int best = (int) strtol(mx->v[0], NULL, 10); /* sorted by preference */

    for (size_t i = 0; i < mx->n && (int) strtol(mx->v[i], NULL, 10) == best;
         i++) {
        struct strv a;
        int ok = 1;

        strv_init(&a);
        if (dns(c, mx_host(mx->v[i]), DNSC_A, &a) == DNSC_TEMP ||
            dns(c, mx_host(mx->v[i]), DNSC_AAAA, &a) == DNSC_TEMP || a.n == 0) {
            defer_if(&c->s->dif_reject, 450, "4.4.4",
                     "<%s>: %s rejected: Unable to look up host %s as mail "
                     "exchanger: %s",
                     c->shown, N_RCPT, mx_host(mx->v[i]), "Host not found");
            ok = 0;
        }
        for (size_t k = 0; k < a.n && ok; k++)
            ok = maps_match_addr(c->s->cf->perm_mx_networks, a.v[k]) == 1;
        strv_fini(&a);
        if (!ok)
            return 0;
    }
    return 1;
}

/* i_am_mx - one of the MX hosts from .. to is this machine: by name
 * (a local domain), then by address */
static int
i_am_mx(struct ctx *c, struct strv *mx, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        if (*mx_host(mx->v[i]) &&
            rewrite_domain_class(c->s->cf->rw, mx_host(mx->v[i])) ==
                REWRITE_LOCAL)
            return 1;
    for (size_t i = from; i < to; i++)
        if (*mx_host(mx->v[i]) && has_my_addr(c, mx_host(mx->v[i])) == 1)
            return 1;
    return 0;
}

/* mx_backup - Postfix's permit_mx_backup() */
static int
mx_backup(struct ctx *c)
{
    const struct rewrite_result *r = resolve_rcpt(c);
    struct strv mx;
    const char *dom;
    int st, mine = 0;
    size_t nprim;

    if (r == NULL)
        return REJECT;
    if ((dom = strrchr(r->rcpt, '@')) == NULL || r->cls == REWRITE_LOCAL)
        return OK;
    dom++;
    if (!c->s->cf->allow_untrusted_routing && (r->flags & REWRITE_FLAG_ROUTED))
        return DUNNO;
    if (r->cls == REWRITE_ALIAS || r->cls == REWRITE_VIRTUAL)
        return OK;
    if (dom[0] == '[' && dom[strlen(dom) - 1] == ']')
        return DUNNO;
    strv_init(&mx);
    st = dns(c, dom, DNSC_MX, &mx);
    if (st == DNSC_NXDOMAIN || st == DNSC_NODATA) {
        strv_fini(&mx);
        return has_my_addr(c, dom) == 1 ? OK : DUNNO;
    }
    /* the primary MX hosts (best preference) first: when one of them is
     * this machine, it is no backup (Postfix 2.3 and later) */
    for (nprim = 0; nprim < mx.n && (int) strtol(mx.v[nprim], NULL, 10) ==
                                        (int) strtol(mx.v[0], NULL, 10);)
        nprim++;
    if (st != DNSC_OK) {
        defer_if(&c->s->dif_reject, 450, "4.4.4",
                 "<%s>: %s rejected: Unable to look up mail exchanger "
                 "information: %s",
                 c->shown, N_RCPT, "Host not found, try again");
        strv_fini(&mx);
        return DUNNO;
    }
    if (st == DNSC_OK &&
        (i_am_mx(c, &mx, 0, nprim) || !i_am_mx(c, &mx, nprim, mx.n))) {
        strv_fini(&mx);
        return DUNNO;
    }
    mine = st == DNSC_OK;
    if (mine && c->s->cf->perm_mx_networks)
        mine = mx_primary(c, &mx);
    strv_fini(&mx);
    return mine ? OK : DUNNO;
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
    dsn = dsn_split(code / 100 == 4 ? "4.7.1" : "5.7.1", &text, b1, sizeof(b1));
    st = reject(c, 0, code, dsn_fix(dsn, cls, b2, sizeof(b2)), "%s",
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
        defer_if(&c->s->dif_reject, 450, "4.7.1", "<%s>: %s rejected: %s",
                 c->s->namaddr, N_CLIENT, "Service unavailable");
    return st == 1 ? OK : DUNNO;
}

static int
one_rbl(struct ctx *c, const struct smtpd_restr *r, struct strv *list,
        size_t *i)
{
    struct smtpd_session *s = c->s;
    const char *arg;
    char q[80];

    if (r->id < R_RBL_CLIENT || r->id > R_RHSWL_CLIENT)
        return -1;
    if (*i + 1 >= list->n) {
        maillog_warning("restriction %s requires domain name argument",
                        list->v[*i]);
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

/* ---- policy services ---- */

/* policy_request - the attributes Postfix 3.7 sends */
static void
policy_request(struct ctx *c, struct buf *b)
{
    struct smtpd_session *s = c->s;
    const char *state = strcmp(c->where, "EHLO") == 0 ? "EHLO" : c->where;
    const char *tls = smtpd_io_tls_version(s->io);

    /* the names and their order are Postfix 3.7's */
    (void) buf_printf(
        b,
        "request=smtpd_access_policy\nprotocol_state=%s\n"
        "protocol_name=%s\nclient_address=%s\n"
        "client_name=%s\nclient_port=%s\n"
        "reverse_client_name=%s\nserver_address=%s\n"
        "server_port=%s\nhelo_name=%s\nsender=%s\n"
        "recipient=%s\nrecipient_count=%u\nqueue_id=%s\n"
        "instance=%lx.%lx.%u\nsize=%ld\n",
        state, smtpd_proto(s), s->addr, s->name, s->port, s->reverse_name,
        s->server_addr, s->server_port, s->helo ? s->helo : "",
        c->sender ? c->sender : "", c->shown ? c->shown : "",
        /* Postfix counts only at DATA and end of data */
        strcmp(c->where, "DATA") == 0 || strcmp(c->where, "END-OF-MESSAGE") == 0
            ? s->rcpt_count
            : 0u,
        s->id, (unsigned long) getpid(), (unsigned long) (uintptr_t) s,
        s->rcpt_count == 0 ? 0u : 1u, s->size_param);
    (void) buf_printf(b,
                      "etrn_domain=\nstress=\nsasl_method=\n"
                      "sasl_username=\nsasl_sender=\nccert_subject=\n"
                      "ccert_issuer=\nccert_fingerprint=\n"
                      "ccert_pubkey_fingerprint=\nencryption_protocol=%s\n"
                      "encryption_cipher=\nencryption_keysize=0\n"
                      "policy_context=%s\n\n",
                      s->tls && tls ? tls : "", s->cf->policy_context);
}

/* policy - check_policy_service: the action as an access table result;
 * arg is "server" or, from "{ server, name=value ... }", the server and
 * its own timeout, default_action, try_limit and policy_context */
static int
policy(struct ctx *c, const char *arg, const char *name, const char *cls,
       const char *def_acl)
{
    struct smtpd_conf *cf = c->s->cf;
    struct buf req, action;
    char err[300];
    int st, rc = -1;
    struct strv opt;
    const char *server, *def = cf->policy_default;
    int timeout = cf->policy_timeout, tries = cf->policy_tries;

    strv_init(&opt);
    server_split(arg, &opt);
    server = opt.n ? opt.v[0] : arg;
    for (size_t k = 1; k < opt.n; k++) {
        const char *eq = strchr(opt.v[k], '=');
        long sec;

        if (eq == NULL)
            continue;
        if (strncmp(opt.v[k], "timeout=", 8) == 0 &&
            schema_parse_time(eq + 1, 's', &sec) == 0)
            timeout = (int) sec;
        else if (strncmp(opt.v[k], "default_action=", 15) == 0)
            def = eq + 1;
        else if (strncmp(opt.v[k], "try_limit=", 10) == 0)
            tries = (int) strtol(eq + 1, NULL, 10);
    }
    buf_init(&req, 0);
    buf_init(&action, 0);
    policy_request(c, &req);
    for (int try = 0; rc < 0 && try < (tries > 0 ? tries : 1); try++) {
        if (try > 0 && cf->policy_delay > 0) {
            unsigned secs = (unsigned) cf->policy_delay;

            (void) co_offload(sleep_fn, &secs);
        }
        buf_truncate(&action, 0);
        rc = smtpd_policy_query(server, cf->queue_dir, timeout, buf_str(&req),
                                &action, err, sizeof(err));
        if (rc < 0) /* Postfix names the server without its transport */
            maillog_warning(
                "problem talking to server %s: %s",
                strchr(server, ':') ? strchr(server, ':') + 1 : server, err);
    }
    st = table_result(c, server, rc == 0 ? buf_str(&action) : def, name, cls,
                      def_acl);
    strv_fini(&opt);
    buf_fini(&req);
    buf_fini(&action);
    return st;
}

/* ---- the list ---- */

/* map_arg - the table after a check_*_access; NULL after a config error */
static const char *
map_arg(struct ctx *c, struct strv *list, size_t *i, const char *rname)
{
    const char *arg = *i + 1 < list->n ? list->v[*i + 1] : NULL;

    if (arg == NULL || strchr(arg, ':') == NULL) {
        maillog_warning("restriction %s: bad argument \"%s\": need "
                        "maptype:mapname",
                        rname, arg ? arg : "");
        config_error(c);
        return NULL;
    }
    (*i)++;
    return arg;
}

static const char *
sender_shown(struct ctx *c)
{
    return c->sender;
}

static int
one_client(struct ctx *c, const struct smtpd_restr *r, const char *t,
           const char *def_acl)
{
    struct smtpd_session *s = c->s;
    int rev = r->id >= R_REV_CLIENT_MX && r->id <= R_REV_CLIENT_A;
    const char *host = rev ? s->reverse_name : s->name;
    const char *cls = rev ? N_REV : N_CLIENT;
    int st;

    switch (r->id) {
    case R_CLIENT_ACCESS:
        return namadr_access(c, t, s->name, s->addr, s->namaddr, N_CLIENT,
                             def_acl);
    case R_REV_CLIENT_ACCESS:
        return namadr_access(c, t, s->reverse_name, s->addr, s->namaddr, N_REV,
                             def_acl);
    default:
        if (strcasecmp(host, "unknown") == 0)
            return DUNNO;
        st = server_access(
            c, t, host,
            r->id == R_CLIENT_MX || r->id == R_REV_CLIENT_MX   ? DNSC_MX
            : r->id == R_CLIENT_NS || r->id == R_REV_CLIENT_NS ? DNSC_NS
                                                               : DNSC_A,
            s->namaddr, cls, def_acl);
        return forbid_allowlist(c, r->name, st, host);
    }
}

static int
server_kind(enum smtpd_rid id)
{
    switch (id) {
    case R_HELO_MX:
    case R_SENDER_MX:
    case R_RCPT_MX:
        return DNSC_MX;
    case R_HELO_NS:
    case R_SENDER_NS:
    case R_RCPT_NS:
        return DNSC_NS;
    default:
        return DNSC_A;
    }
}

/* one_table - the check_*_access family; t the table */
static int
one_table(struct ctx *c, const struct smtpd_restr *r, const char *t,
          const char *def_acl)
{
    struct smtpd_session *s = c->s;
    const char *snd = sender_shown(c);
    int found;

    switch (r->id) {
    case R_HELO_ACCESS:
        return s->helo ? domain_access(c, t, s->helo, 0, &found, s->helo,
                                       N_HELO, def_acl)
                       : DUNNO;
    case R_HELO_MX:
    case R_HELO_NS:
    case R_HELO_A:
        if (s->helo == NULL)
            return DUNNO;
        return forbid_allowlist(c, r->name,
                                server_access(c, t, s->helo, server_kind(r->id),
                                              s->helo, N_HELO, def_acl),
                                s->helo);
    case R_SENDER_ACCESS:
        if (snd == NULL)
            return DUNNO;
        if (*snd == 0)
            return lookup(c, t, s->cf->null_key, 0, &found, snd, N_SENDER,
                          def_acl);
        return mail_access(c, t, snd, snd, N_SENDER, def_acl);
    case R_SENDER_MX:
    case R_SENDER_NS:
    case R_SENDER_A:
        if (snd == NULL || *snd == 0)
            return DUNNO;
        return forbid_allowlist(c, r->name,
                                server_access(c, t, snd, server_kind(r->id),
                                              snd, N_SENDER, def_acl),
                                snd);
    case R_RCPT_ACCESS:
        return c->shown ? mail_access(c, t, c->shown, c->shown, N_RCPT, def_acl)
                        : DUNNO;
    case R_RCPT_MX:
    case R_RCPT_NS:
    case R_RCPT_A:
        if (c->shown == NULL || *c->shown == 0)
            return DUNNO;
        return forbid_allowlist(c, r->name,
                                server_access(c, t, c->shown,
                                              server_kind(r->id), c->shown,
                                              N_RCPT, def_acl),
                                c->shown);
    case R_ETRN_ACCESS:
        return DUNNO; /* ETRN is answered 458 before any restriction */
    default:
        return one_client(c, r, t, def_acl);
    }
}

static int
not_implemented(struct ctx *c, const struct smtpd_restr *r, struct strv *list,
                size_t *i)
{
    if (!c->s->cf->warned_unknown) {
        maillog_warning("restriction %s is not implemented by Postern (%s); "
                        "skipped",
                        r->name, r->why);
        c->s->cf->warned_unknown = 1;
    }
    if ((r->flags & (SMTPD_RF_ARG | SMTPD_RF_TABLE)) && *i + 1 < list->n)
        (*i)++;
    return DUNNO;
}

/* sleep_fn - co_offload target: the worker's other sessions go on */
static void
sleep_fn(void *arg)
{
    unsigned secs = *(unsigned *) arg;

    while ((secs = sleep(secs)) > 0)
        ;
}

/* one_generic - restrictions that work on any list */
static int
one_generic(struct ctx *c, const struct smtpd_restr *r, struct strv *list,
            size_t *i, const char *name, const char *cls)
{
    const struct smtpd_codes *k = &c->s->cf->code;
    char text[600];
    int st = DUNNO;

    switch (r->id) {
    case R_PERMIT:
    case R_REJECT:
    case R_DEFER:
        if (r->id == R_PERMIT)
            st = OK;
        else if (r->id == R_REJECT)
            st = reject(c, 0, k->reject, "5.7.1",
                        "<%s>: %s rejected: Access denied", name, cls);
        else
            st = reject(c, 0, k->defer, "4.3.2",
                        "<%s>: %s rejected: Try again later", name, cls);
        if (*i + 1 < list->n && c->warn_if_reject == 0)
            maillog_warning("restriction `%s' after `%s' is ignored",
                            list->v[*i + 1], r->name);
        return st;
    case R_DEFER_IF_PERMIT:
        snprintf(text, sizeof(text),
                 "<%s>: %s rejected: defer_if_permit requested", name, cls);
        return tempfail(c, 1, "4.7.0", text);
    case R_DEFER_IF_REJECT:
        defer_if(&c->s->dif_reject, 450, "4.7.0",
                 "<%s>: %s rejected: defer_if_reject requested", name, cls);
        return DUNNO;
    case R_SLEEP:
        if (*i + 1 >= list->n || !alldig(list->v[*i + 1])) {
            maillog_warning("restriction %s must be followed by number",
                            r->name);
            return config_error(c);
        }
        {
            unsigned secs = (unsigned) strtol(list->v[++*i], NULL, 10);

            (void) co_offload(sleep_fn, &secs);
        }
        return DUNNO;
    case R_UNAUTH_PIPELINING:
        if (c->s->ill_pipelining)
            return reject(c, 0, 503, "5.5.0",
                          "<%s>: %s rejected: Improper use of SMTP command "
                          "pipelining",
                          name, cls);
        return DUNNO;
    case R_PLAINTEXT:
        if (!c->s->tls)
            return reject(c, 0, k->plaintext, "4.7.1",
                          "Session encryption is required");
        return DUNNO;
    default:
        return -1;
    }
}

/* one_host - client and helo restrictions without a table */
static int
one_host(struct ctx *c, const struct smtpd_restr *r)
{
    struct smtpd_session *s = c->s;
    const char *h = s->helo;

    switch (r->id) {
    case R_UNK_CLIENT:
        if (s->name_status != SMTPD_PEER_OK)
            return reject(c, 0,
                          s->name_status >= SMTPD_PEER_PERM
                              ? s->cf->code.unk_client
                              : 450,
                          "4.7.25",
                          "Client host rejected: cannot find your hostname, "
                          "[%s]",
                          s->addr);
        return DUNNO;
    case R_UNK_REV_CLIENT:
        if (s->reverse_status != SMTPD_PEER_OK)
            return reject(c, 0,
                          s->reverse_status == SMTPD_PEER_PERM
                              ? s->cf->code.unk_client
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

        maillog_warning("restriction permit_naked_ip_address is deprecated. "
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

/* one_addr - sender and recipient restrictions without a table */
static int
one_addr(struct ctx *c, const struct smtpd_restr *r, const char *name,
         const char *cls)
{
    struct smtpd_session *s = c->s;
    const char *snd = sender_shown(c);
    const char *rc = c->shown;

    switch (r->id) {
    case R_UNK_SENDER:
        return snd && *snd ? unknown_address(c, snd, snd, N_SENDER) : DUNNO;
    case R_NON_FQDN_SENDER:
        return snd && *snd ? non_fqdn_address(c, snd, snd, N_SENDER) : DUNNO;
    case R_UNLISTED_SENDER:
        return snd && *snd ? rcpt_maps(c, snd, N_SENDER) : DUNNO;
    case R_AUTH_LOGIN_MISMATCH:
    case R_LOGIN_MISMATCH:
    case R_SASL_AUTH:
        if (!s->cf->code.sasl && r->id != R_SASL_AUTH)
            maillog_warning("restriction `%s' ignored: no SASL support",
                            r->name);
        /* no client is ever authenticated: nothing to permit, and a
         * login that owns no sender cannot mismatch one; check refuses
         * these when smtpd_sasl_auth_enable = yes */
        return DUNNO;
    case R_TLS_CLIENTCERTS:
        return DUNNO; /* no client certificate is ever verified */
    case R_UNK_RCPT:
        return rc ? unknown_address(c, rc, rc, N_RCPT) : DUNNO;
    case R_NON_FQDN_RCPT:
        return rc ? non_fqdn_address(c, rc, rc, N_RCPT) : DUNNO;
    case R_UNLISTED_RCPT:
        if (rc == NULL || *rc == 0 || c->rcptmap_checked)
            return DUNNO;
        c->rcptmap_checked = 1;
        return rcpt_maps(c, rc, N_RCPT);
    case R_MX_BACKUP:
        return rc ? mx_backup(c) : DUNNO;
    case R_AUTH_DEST:
        return rc ? auth_destination(c) : DUNNO;
    case R_UNAUTH_DEST:
        return rc ? unauth_destination(c, s->cf->code.relay, "5.7.1") : DUNNO;
    case R_DEFER_UNAUTH_DEST:
        return rc ? unauth_destination(c, s->cf->code.relay - 100, "4.7.1")
                  : DUNNO;
    case R_MULTI_BOUNCE:
        if (snd && *snd == 0 &&
            s->rcpt_count > (unsigned) (strcmp(c->where, "DATA") ? 0 : 1))
            return reject(c, 0, s->cf->code.mul_rcpt, "5.5.3",
                          "<%s>: %s rejected: Multi-recipient bounce", name,
                          cls);
        return DUNNO;
    default:
        return -1;
    }
}

/* one - the restriction at list->v[*i] */
static int
one(struct ctx *c, struct strv *list, size_t *i, const char *name,
    const char *cls, const char *def_acl)
{
    const char *rname = list->v[*i];
    const struct smtpd_restr *r;
    struct strv *cl;
    int st;

    if (strchr(rname, ':')) {
        /* an implicit access lookup: the list's own check_*_access */
        if (def_acl == NULL) {
            maillog_warning("specify one of (check_client_access, "
                            "check_reverse_client_hostname_access, "
                            "check_helo_access, check_sender_access, "
                            "check_recipient_access, check_etrn_access) "
                            "before %s restriction \"%s\"",
                            cls, rname);
            return config_error(c);
        }
        r = smtpd_restr_find(def_acl);
        return one_table(c, r, rname, def_acl);
    }
    if ((r = smtpd_restr_find(rname)) == NULL) {
        if ((cl = htab_find(c->s->cf->classes, rname)) != NULL)
            return generic(c, cl, name, cls, def_acl);
        maillog_warning("unknown smtpd restriction: \"%s\"", rname);
        return config_error(c);
    }
    if (r->flags & SMTPD_RF_NOIMPL)
        return not_implemented(c, r, list, i);
    if (r->flags & SMTPD_RF_TABLE) {
        const char *t = map_arg(c, list, i, r->name);

        return t ? one_table(c, r, t, def_acl) : REJECT;
    }
    if ((st = one_generic(c, r, list, i, name, cls)) >= 0)
        return st;
    if ((st = one_rbl(c, r, list, i)) >= 0)
        return st;
    if (r->id == R_POLICY) {
        if (*i + 1 >= list->n || strchr(list->v[*i + 1], ':') == NULL) {
            maillog_warning("restriction %s must be followed by "
                            "transport:server",
                            r->name);
            return config_error(c);
        }
        return policy(c, list->v[++*i], name, cls, def_acl);
    }
    /* a mynetworks that could not be consulted (an unreadable
     * /file/name) defers instead of not matching, as in Postfix */
    if (r->id == R_MYNETWORKS && c->s->in_mynetworks < 0)
        return dict_retry(c, name);
    if ((st = one_host(c, r)) >= 0)
        return st;
    if ((st = one_addr(c, r, name, cls)) >= 0)
        return st;
    maillog_panic("smtpd restriction %s has no implementation", r->name);
}

/* generic - Postfix's generic_checks() */
static int
generic(struct ctx *c, struct strv *list, const char *name, const char *cls,
        const char *def_acl)
{
    int saved = c->recursion++;
    int st = DUNNO;

    for (size_t i = 0; i < list->n; i++) {
        if (strcasecmp(list->v[i], "warn_if_reject") == 0) {
            if (c->warn_if_reject == 0)
                c->warn_if_reject = c->recursion;
            continue;
        }
        st = one(c, list, &i, name, cls, def_acl);
        if (c->warn_if_reject >= c->recursion)
            c->warn_if_reject = 0;
        if (st != DUNNO)
            break;
        if (c->s->dif_permit.active && c->s->dif_reject.active)
            break;
    }
    c->recursion = saved;
    return st;
}

/* ---- the stages ---- */

static void
ctx_init(struct ctx *c, struct smtpd_session *s, const char *where,
         const char *rcpt, const char *shown, char *reply, size_t len)
{
    memset(c, 0, sizeof(*c));
    c->s = s;
    c->where = where;
    c->rcpt = rcpt;
    c->shown = shown ? shown : rcpt;
    c->reply = reply;
    c->len = len;
    if (s->env.sender)
        c->sender = rewrite_unquote(s->env.sender);
    else if (s->sender)
        c->sender = mem_strdup(s->sender);
}

static void
ctx_fini(struct ctx *c)
{
    mem_free(c->sender);
}

/* reset - Postfix's SMTPD_CHECK_RESET() */
static void
reset(struct ctx *c)
{
    c->recursion = 0;
    c->warn_if_reject = 0;
    c->s->dif_reject.active = 0;
}

/* force_defer - a pending defer_if_permit turns a pass into a deferral */
static int
force_defer(struct ctx *c, int st)
{
    struct smtpd_defer *d = &c->s->dif_permit;

    if (st != REJECT && d->active)
        st = reject(c, 0, d->code, d->dsn, "%s", d->reason);
    return st;
}

static int
check_client(struct ctx *c)
{
    struct smtpd_session *s = c->s;
    int st = DUNNO;

    s->dif_permit.active = 0;
    reset(c);
    if (s->cf->r_client.n)
        st = generic(c, &s->cf->r_client, s->namaddr, N_CLIENT,
                     "check_client_access");
    s->dip_client = s->dif_permit.active;
    return st;
}

static int
check_helo(struct ctx *c)
{
    struct smtpd_session *s = c->s;
    int st = DUNNO;

    if (s->helo == NULL)
        return DUNNO;
    s->dif_permit.active = s->dip_client;
    reset(c);
    if (s->cf->r_helo.n)
        st = generic(c, &s->cf->r_helo, s->helo, N_HELO, "check_helo_access");
    s->dip_helo = s->dif_permit.active;
    return st;
}

static int
check_mail(struct ctx *c)
{
    struct smtpd_session *s = c->s;
    int st = DUNNO;

    if (c->sender == NULL)
        return DUNNO;
    s->dif_permit.active = s->dip_client | s->dip_helo;
    reset(c);
    if (s->cf->r_sender.n)
        st = generic(c, &s->cf->r_sender, c->sender, N_SENDER,
                     "check_sender_access");
    s->dip_sender = s->dif_permit.active;
    if (s->cf->code.rej_unl_from && st != REJECT && *c->sender)
        st = rcpt_maps(c, c->sender, N_SENDER);
    return st;
}

int
smtpd_check_stage(struct smtpd_session *s, int stage, const char *arg,
                  char *reply, size_t len)
{
    static const char *const where[] = {"CONNECT", "HELO", "MAIL"};
    struct ctx c;
    int rc;

    if (stage == SMTPD_ST_DATA)
        return smtpd_check_data(s, reply, len);
    ctx_init(&c, s, stage == SMTPD_ST_HELO && arg ? arg : where[stage], NULL,
             NULL, reply, len);
    /* Postfix applies defer_if_permit at once only at RCPT, ETRN and
     * DATA; an earlier stage only raises the flag */
    rc = stage == SMTPD_ST_CLIENT ? check_client(&c)
         : stage == SMTPD_ST_HELO ? check_helo(&c)
                                  : check_mail(&c);
    ctx_fini(&c);
    return rc == REJECT ? -1 : 0;
}

static int
check_rcpt(struct smtpd_session *s, const char *where, const char *rcpt,
           const char *shown, char *reply, size_t len)
{
    struct smtpd_conf *cf = s->cf;
    struct ctx c;
    int st = DUNNO;

    /* RFC 5321 4.5.1: postmaster without a domain is always accepted */
    if (shown && strcasecmp(shown, "postmaster") == 0)
        return 0;
    ctx_init(&c, s, where, rcpt, shown, reply, len);
    if (cf->delay_reject &&
        (check_client(&c) == REJECT || check_helo(&c) == REJECT ||
         check_mail(&c) == REJECT)) {
        ctx_fini(&c);
        return -1;
    }
    s->dif_permit.active = s->dip_sender;
    reset(&c);
    if (cf->r_relay.n)
        st = generic(&c, &cf->r_relay, c.shown, N_RCPT,
                     "check_recipient_access");
    if (st != REJECT && cf->r_rcpt.n)
        st =
            generic(&c, &cf->r_rcpt, c.shown, N_RCPT, "check_recipient_access");
    st = force_defer(&c, st);
    if (cf->code.rej_unl_rcpt && st != REJECT && !c.rcptmap_checked)
        st = rcpt_maps(&c, c.shown, N_RCPT);
    ctx_fini(&c);
    return st == REJECT ? -1 : 0;
}

int
smtpd_check_rcpt(struct smtpd_session *s, const char *rcpt, const char *shown,
                 char *reply, size_t len)
{
    return check_rcpt(s, "RCPT", rcpt, shown, reply, len);
}

int
smtpd_check_vrfy(struct smtpd_session *s, const char *rcpt, const char *shown,
                 char *reply, size_t len)
{
    return check_rcpt(s, "VRFY", rcpt, shown, reply, len);
}

/* data_stage - smtpd_data_restrictions and smtpd_end_of_data_restrictions:
 * no recipient is named when there are several */
static int
data_stage(struct smtpd_session *s, struct strv *list, const char *where,
           const char *name, const char *cls, char *reply, size_t len)
{
    struct ctx c;
    int st = DUNNO;
    const char *one_rcpt = s->env.nrcpt == 1 ? s->env.rcpt[0].addr : NULL;

    ctx_init(&c, s, where, one_rcpt, NULL, reply, len);
    s->dif_permit.active = 0;
    reset(&c);
    if (list->n)
        st = generic(&c, list, name, cls, NULL);
    st = force_defer(&c, st);
    ctx_fini(&c);
    return st == REJECT ? -1 : 0;
}

int
smtpd_check_data(struct smtpd_session *s, char *reply, size_t len)
{
    return data_stage(s, &s->cf->r_data, "DATA", "DATA", N_DATA, reply, len);
}

int
smtpd_check_eod(struct smtpd_session *s, char *reply, size_t len)
{
    return data_stage(s, &s->cf->r_eod, "END-OF-MESSAGE", "END-OF-DATA", N_EOD,
                      reply, len);
}

int
smtpd_resolve(struct smtpd_session *s, const char *addr,
              struct rewrite_result *res)
{
    char *q, *canon;
    size_t n = strlen(addr);
    int rc;

    /* canonical form first ("local" context), as Postfix's
     * smtpd_resolve_addr(); a form ending in '@' is left alone */
    q = rewrite_quote(addr);
    canon = n > 0 && addr[n - 1] == '@' ? mem_strdup(q)
                                        : rewrite_canon(s->cf->rw, q);
    rc = rewrite_resolve(s->cf->rw, canon, res);
    mem_free(canon);
    mem_free(q);
    return rc;
}

int
smtpd_local_user_ok(struct smtpd_session *s, const char *addr)
{
    struct rewrite_result res;
    const char *rcpt, *d;
    const char *v;
    char user[512];
    size_t n;
    enum maps_result r;
    const char *delim = s->cf->recipient_delimiter;

    if (s->cf->local_rcpt_maps == NULL)
        return 1;
    /* the resolved recipient: alice%local.test@local.test is alice */
    if (smtpd_resolve(s, addr, &res) < 0)
        return -1;
    if (res.cls != REWRITE_LOCAL || (res.flags & REWRITE_FLAG_ERROR))
        return 1;
    rcpt = res.rcpt;
    d = rewrite_domain(rcpt);
    n = d ? (size_t) (d - 1 - rcpt) : strlen(rcpt);
    /* absorbed by qmgr or made by bounce: always known, as in Postfix */
    if ((n == strlen(s->cf->double_bounce) &&
         strncasecmp(rcpt, s->cf->double_bounce, n) == 0) ||
        (n == 10 && strncasecmp(rcpt, "postmaster", n) == 0) ||
        (n == 13 && strncasecmp(rcpt, "MAILER-DAEMON", n) == 0))
        return 1;
    if (n >= sizeof(user))
        return 0;
    memcpy(user, rcpt, n);
    user[n] = 0;
    /* full address, bare user, and without the extension */
    r = maps_find(s->cf->local_rcpt_maps, rcpt, &v);
    if (r == MAPS_NOTFOUND)
        r = maps_find(s->cf->local_rcpt_maps, user, &v);
    if (r == MAPS_NOTFOUND && delim && *delim) {
        char *cut = strpbrk(user, delim);

        if (cut && cut != user) {
            *cut = 0;
            r = maps_find(s->cf->local_rcpt_maps, user, &v);
        }
    }
    if (r == MAPS_ERROR) {
        maillog_warning("local_recipient_maps lookup error: %s",
                        maps_error(s->cf->local_rcpt_maps));
        return -1;
    }
    return r == MAPS_FOUND;
}
