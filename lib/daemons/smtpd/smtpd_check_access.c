/*
 * smtpd_check_access - the check_*_access restrictions: access table
 *	lookups and their results, as Postfix 3.7's check_table_result()
 *	and check_{domain,addr,mail}_access().
 *
 * BUGS
 *	Access table actions that need the cleanup service (HOLD,
 *	DISCARD, REDIRECT, PREPEND, BCC) answer 451 4.3.5 with a
 *	warning instead of being ignored.
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

/* table_result - Postfix's check_table_result() */
int
smtpd_chk_table_result(struct ctx *c, const char *table, const char *value,
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

        dsn =
            smtpd_chk_dsn_split(rej ? "5.7.1" : "4.7.1", &text, b1, sizeof(b1));
        return smtpd_chk_reject(
            c, 0, rej ? c->s->cf->code.access : c->s->cf->code.access_defer,
            smtpd_chk_dsn_fix(dsn, cls, b2, sizeof(b2)),
            "<%s>: %s rejected: %s", name, cls, *text ? text : "Access denied");
    }
    if (strcasecmp(word, "WARN") == 0) {
        smtpd_chk_log_whatsup(c, "warn", text);
        return DUNNO;
    }
    if (strcasecmp(word, "DEFER_IF_PERMIT") == 0 ||
        strcasecmp(word, "DEFER_IF_REJECT") == 0) {
        int permit = toupper((unsigned char) word[9]) == 'P';
        char reason[600];

        dsn = smtpd_chk_dsn_fix(
            smtpd_chk_dsn_split("4.7.1", &text, b1, sizeof(b1)), cls, b2,
            sizeof(b2));
        snprintf(reason, sizeof(reason), "<%s>: %s rejected: %s", name, cls,
                 *text ? text : "Service unavailable");
        if (!permit) {
            smtpd_chk_defer_if(&c->s->dif_reject, 450, dsn, "%s", reason);
            return DUNNO;
        }
        return smtpd_chk_tempfail(c, 1, dsn, reason);
    }
    if (strcasecmp(word, "FILTER") == 0) /* issue 19 */
        return smtpd_chk_filter(c, table, value, text, name, cls);
    if (strcasecmp(word, "HOLD") == 0 || strcasecmp(word, "DISCARD") == 0 ||
        strcasecmp(word, "REDIRECT") == 0 || strcasecmp(word, "PREPEND") == 0 ||
        strcasecmp(word, "BCC") == 0 || strcasecmp(word, "INFO") == 0) {
        log_warn("access table %s: action %s is not implemented by "
                 "Postern",
                 table, word);
        return smtpd_chk_config_error(c);
    }
    if (smtpd_chk_alldig(value))
        return OK;
    if (n == 3 && *text && (value[0] == '4' || value[0] == '5') &&
        isdigit((unsigned char) value[1]) &&
        isdigit((unsigned char) value[2])) {
        char def[8];

        snprintf(def, sizeof(def), "%c.7.1", value[0]);
        dsn = smtpd_chk_dsn_split(def, &text, b1, sizeof(b1));
        return smtpd_chk_reject(c, 0, (int) strtol(value, NULL, 10),
                                smtpd_chk_dsn_fix(dsn, cls, b2, sizeof(b2)),
                                "<%s>: %s rejected: %s", name, cls,
                                *text ? text : "Access denied");
    }
    if (strcasecmp(word, "OK") == 0 || strcasecmp(word, "RELAY") == 0)
        return OK;
    if (strchr(value, ':')) {
        log_warn("access table %s has entry with lookup table: %s", table,
                 value);
        log_warn("do not specify lookup tables inside SMTPD access "
                 "maps");
        log_warn("define a restriction class and specify its name "
                 "instead.");
        return smtpd_chk_config_error(c);
    }
    if (c->recursion > 100) {
        log_warn("access table %s entry %s causes unreasonable "
                 "recursion",
                 table, value);
        return smtpd_chk_config_error(c);
    }
    {
        struct strv sv;
        int st;

        strv_init(&sv);
        server_split(value, &sv);
        if (sv.n == 0) {
            log_warn("access table %s entry %s has empty value", table, value);
            st = OK;
        } else {
            st = smtpd_chk_generic(c, &sv, name, cls, def_acl);
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
        log_warn("%s: table lookup problem: %s", table, maps_error(m));
        *found = 1;
        return smtpd_chk_dict_retry(c, name);
    }
    if (r != MAPS_FOUND)
        return DUNNO;
    *found = 1;
    {
        char *val = mem_strdup(v); /* v is borrowed: recursion looks up */
        int st = smtpd_chk_table_result(c, table, val, name, cls, def_acl);

        mem_free(val);
        return st;
    }
}

/* domain_access - the name and its parent domains */
int
smtpd_chk_domain_access(struct ctx *c, const char *table, const char *domain,
                        int partial, int *found, const char *name,
                        const char *cls, const char *def_acl)
{
    const char *d = domain;
    int st;

    /* as Postfix's check_domain_access: stop at the end of the name
     * ("example." leaves "" under parent_domain_matches_subdomains) */
    while (*d) {
        st = lookup(c, table, d, partial, found, name, cls, def_acl);
        if (st != DUNNO || *found)
            return st;
        if (smtpd_chk_valid_hostaddr(domain))
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
int
smtpd_chk_addr_access(struct ctx *c, const char *table, const char *address,
                      int partial, int *found, const char *name,
                      const char *cls, const char *def_acl)
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

    st = smtpd_chk_domain_access(c, table, host, 0, &found, name, cls, def_acl);
    if (st != DUNNO || found)
        return st;
    return smtpd_chk_addr_access(c, table, addr, 0, &found, name, cls, def_acl);
}

/* mail_access - Postfix's check_mail_access() */
static int
mail_access(struct ctx *c, const char *table, const char *addr,
            const char *name, const char *cls, const char *def_acl)
{
    struct rewrite_result res;
    const struct rewrite_result *r = smtpd_chk_resolve_addr(c, addr, &res);
    const char *dom, *delim = c->s->cf->recipient_delimiter;
    char bare[1024], key[1024];
    int found, st, suspicious;

    if (r == NULL)
        return REJECT;
    if ((dom = strrchr(r->rcpt, '@')) == NULL) {
        log_warn("check_mail_access: no @domain in address: %s", r->rcpt);
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
    st = smtpd_chk_domain_access(c, table, dom, 1, &found, name, cls, def_acl);
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

const char *
smtpd_chk_sender_shown(struct ctx *c)
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
        st = smtpd_chk_server_access(
            c, t, host,
            r->id == R_CLIENT_MX || r->id == R_REV_CLIENT_MX   ? DNS_MX
            : r->id == R_CLIENT_NS || r->id == R_REV_CLIENT_NS ? DNS_NS
                                                               : DNS_A,
            s->namaddr, cls, def_acl);
        return smtpd_chk_forbid_allowlist(c, r->name, st, host);
    }
}

static int
server_kind(enum smtpd_rid id)
{
    switch (id) {
    case R_HELO_MX:
    case R_SENDER_MX:
    case R_RCPT_MX:
        return DNS_MX;
    case R_HELO_NS:
    case R_SENDER_NS:
    case R_RCPT_NS:
        return DNS_NS;
    default:
        return DNS_A;
    }
}

/* one_table - the check_*_access family; t the table */
int
smtpd_chk_one_table(struct ctx *c, const struct smtpd_restr *r, const char *t,
                    const char *def_acl)
{
    struct smtpd_session *s = c->s;
    const char *snd = smtpd_chk_sender_shown(c);
    int found;

    switch (r->id) {
    case R_HELO_ACCESS:
        return s->helo ? smtpd_chk_domain_access(c, t, s->helo, 0, &found,
                                                 s->helo, N_HELO, def_acl)
                       : DUNNO;
    case R_HELO_MX:
    case R_HELO_NS:
    case R_HELO_A:
        if (s->helo == NULL)
            return DUNNO;
        return smtpd_chk_forbid_allowlist(
            c, r->name,
            smtpd_chk_server_access(c, t, s->helo, server_kind(r->id), s->helo,
                                    N_HELO, def_acl),
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
        return smtpd_chk_forbid_allowlist(
            c, r->name,
            smtpd_chk_server_access(c, t, snd, server_kind(r->id), snd,
                                    N_SENDER, def_acl),
            snd);
    case R_RCPT_ACCESS:
        return c->shown ? mail_access(c, t, c->shown, c->shown, N_RCPT, def_acl)
                        : DUNNO;
    case R_RCPT_MX:
    case R_RCPT_NS:
    case R_RCPT_A:
        if (c->shown == NULL || *c->shown == 0)
            return DUNNO;
        return smtpd_chk_forbid_allowlist(
            c, r->name,
            smtpd_chk_server_access(c, t, c->shown, server_kind(r->id),
                                    c->shown, N_RCPT, def_acl),
            c->shown);
    case R_ETRN_ACCESS:
        return DUNNO; /* ETRN is answered 458 before any restriction */
    case R_SASL_ACCESS:
        return smtpd_chk_sasl_access(c, t, def_acl);
    default:
        return one_client(c, r, t, def_acl);
    }
}

int
smtpd_chk_lookup_name(struct ctx *c, const char *table, const char *key,
                      const char *name, const char *cls, const char *def_acl)
{
    int found;

    return lookup(c, table, key, 0, &found, name, cls, def_acl);
}
