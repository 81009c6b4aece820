/*
 * smtpd_check - the restriction-list engine: the smtpd_*_restrictions
 *	lists, as Postfix 3.7's smtpd_check.c evaluates them.
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
 *	This file has the replies (smtpd_chk_reject and friends) and the
 *	walk over one list (smtpd_chk_generic); the restrictions
 *	themselves are in smtpd_check_access.c (access tables),
 *	smtpd_check_host.c (client and helo), smtpd_check_addr.c (sender
 *	and recipient), smtpd_check_rbl.c and smtpd_check_policy.c; the
 *	entry points per SMTP stage in smtpd_check_stage.c.
 *
 * BUGS
 *	Restrictions marked not implemented are skipped with a warning;
 *	"postern check" refuses them.
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

/* ---- replies ---- */

void
smtpd_chk_log_whatsup(struct ctx *c, const char *what, const char *text)
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
int UTIL_PRINTF(5, 6) smtpd_chk_reject(struct ctx *c, int cfg, int code,
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
        log_warn("SMTP reply code configuration error: %s", c->reply);
        snprintf(c->reply, c->len, "450 4.7.1 Service unavailable");
    }
    if (!dsn_valid(c->reply + 4)) {
        log_warn("DSN detail code configuration error: %s", c->reply);
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
        return smtpd_chk_reject(c, 0, d->code, d->dsn, "%s", d->reason);
    }
    if (c->s->cf->code.soft_bounce && c->reply[0] == '5')
        c->reply[0] = '4';
    c->reply[4] = c->reply[0];
    if (warn) {
        smtpd_chk_log_whatsup(c, "reject_warning", c->reply);
        c->reply[0] = 0;
        return DUNNO;
    }
    return REJECT;
}

/* defer_if - raise a defer_if_permit or defer_if_reject */
void UTIL_PRINTF(4, 5) smtpd_chk_defer_if(struct smtpd_defer *d, int code,
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
int
smtpd_chk_tempfail(struct ctx *c, int dip, const char *dsn, const char *text)
{
    if (dip && c->warn_if_reject == 0) {
        smtpd_chk_defer_if(&c->s->dif_permit, 450, dsn, "%s", text);
        return DUNNO;
    }
    return smtpd_chk_reject(c, 0, 450, dsn, "%s", text);
}

int
smtpd_chk_config_error(struct ctx *c)
{
    return smtpd_chk_reject(c, 1, 451, "4.3.5", CFG_ERROR);
}

int
smtpd_chk_dict_retry(struct ctx *c, const char *name)
{
    return smtpd_chk_reject(c, 1, 451, "4.3.0",
                            "<%s>: Temporary lookup failure", name);
}

/* dsn_split - an enhanced code at the start of text, else def */
const char *
smtpd_chk_dsn_split(const char *def, const char **text, char *buf, size_t len)
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
const char *
smtpd_chk_dsn_fix(const char *dsn, const char *cls, char *buf, size_t len)
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

int
smtpd_chk_alldig(const char *s)
{
    return *s && s[strspn(s, "0123456789")] == 0;
}

/* ---- the list ---- */

/* map_arg - the table after a check_*_access; NULL after a config error */
static const char *
map_arg(struct ctx *c, struct strv *list, size_t *i, const char *rname)
{
    const char *arg = *i + 1 < list->n ? list->v[*i + 1] : NULL;

    if (arg == NULL || strchr(arg, ':') == NULL) {
        log_warn("restriction %s: bad argument \"%s\": need "
                 "maptype:mapname",
                 rname, arg ? arg : "");
        smtpd_chk_config_error(c);
        return NULL;
    }
    (*i)++;
    return arg;
}

static int
not_implemented(struct ctx *c, const struct smtpd_restr *r, struct strv *list,
                size_t *i)
{
    if (!c->s->cf->warned_unknown) {
        log_warn("restriction %s is not implemented by Postern (%s); "
                 "skipped",
                 r->name, r->why);
        c->s->cf->warned_unknown = 1;
    }
    if ((r->flags & (SMTPD_RF_ARG | SMTPD_RF_TABLE)) && *i + 1 < list->n)
        (*i)++;
    return DUNNO;
}

/* sleep_fn - co_offload target: the worker's other sessions go on */
void
smtpd_chk_sleep_fn(void *arg)
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
            st =
                smtpd_chk_reject(c, 0, k->reject, "5.7.1",
                                 "<%s>: %s rejected: Access denied", name, cls);
        else
            st = smtpd_chk_reject(c, 0, k->defer, "4.3.2",
                                  "<%s>: %s rejected: Try again later", name,
                                  cls);
        if (*i + 1 < list->n && c->warn_if_reject == 0)
            log_warn("restriction `%s' after `%s' is ignored", list->v[*i + 1],
                     r->name);
        return st;
    case R_DEFER_IF_PERMIT:
        snprintf(text, sizeof(text),
                 "<%s>: %s rejected: defer_if_permit requested", name, cls);
        return smtpd_chk_tempfail(c, 1, "4.7.0", text);
    case R_DEFER_IF_REJECT:
        smtpd_chk_defer_if(&c->s->dif_reject, 450, "4.7.0",
                           "<%s>: %s rejected: defer_if_reject requested", name,
                           cls);
        return DUNNO;
    case R_SLEEP:
        if (*i + 1 >= list->n || !smtpd_chk_alldig(list->v[*i + 1])) {
            log_warn("restriction %s must be followed by number", r->name);
            return smtpd_chk_config_error(c);
        }
        {
            unsigned secs = (unsigned) strtol(list->v[++*i], NULL, 10);

            (void) co_offload(smtpd_chk_sleep_fn, &secs);
        }
        return DUNNO;
    case R_UNAUTH_PIPELINING:
        if (c->s->ill_pipelining)
            return smtpd_chk_reject(
                c, 0, 503, "5.5.0",
                "<%s>: %s rejected: Improper use of SMTP command "
                "pipelining",
                name, cls);
        return DUNNO;
    case R_PLAINTEXT:
        if (!c->s->tls)
            return smtpd_chk_reject(c, 0, k->plaintext, "4.7.1",
                                    "Session encryption is required");
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
            log_warn("specify one of (check_client_access, "
                     "check_reverse_client_hostname_access, "
                     "check_helo_access, check_sender_access, "
                     "check_recipient_access, check_etrn_access) "
                     "before %s restriction \"%s\"",
                     cls, rname);
            return smtpd_chk_config_error(c);
        }
        r = smtpd_restr_find(def_acl);
        return smtpd_chk_one_table(c, r, rname, def_acl);
    }
    if ((r = smtpd_restr_find(rname)) == NULL) {
        if ((cl = htab_find(c->s->cf->classes, rname)) != NULL)
            return smtpd_chk_generic(c, cl, name, cls, def_acl);
        log_warn("unknown smtpd restriction: \"%s\"", rname);
        return smtpd_chk_config_error(c);
    }
    if (r->flags & SMTPD_RF_NOIMPL)
        return not_implemented(c, r, list, i);
    if (r->flags & SMTPD_RF_TABLE) {
        const char *t = map_arg(c, list, i, r->name);

        return t ? smtpd_chk_one_table(c, r, t, def_acl) : REJECT;
    }
    if ((st = one_generic(c, r, list, i, name, cls)) >= 0)
        return st;
    if ((st = smtpd_chk_one_rbl(c, r, list, i)) >= 0)
        return st;
    if (r->id == R_POLICY) {
        if (*i + 1 >= list->n || strchr(list->v[*i + 1], ':') == NULL) {
            log_warn("restriction %s must be followed by "
                     "transport:server",
                     r->name);
            return smtpd_chk_config_error(c);
        }
        return smtpd_chk_policy(c, list->v[++*i], name, cls, def_acl);
    }
    /* a mynetworks that could not be consulted (an unreadable
     * /file/name) defers instead of not matching, as in Postfix */
    if (r->id == R_MYNETWORKS && c->s->in_mynetworks < 0)
        return smtpd_chk_dict_retry(c, name);
    if ((st = smtpd_chk_one_host(c, r)) >= 0)
        return st;
    if ((st = smtpd_chk_one_sasl(c, r)) >= 0)
        return st;
    if ((st = smtpd_chk_one_addr(c, r, name, cls)) >= 0)
        return st;
    log_panic("smtpd restriction %s has no implementation", r->name);
}

/* generic - Postfix's generic_checks() */
int
smtpd_chk_generic(struct ctx *c, struct strv *list, const char *name,
                  const char *cls, const char *def_acl)
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
