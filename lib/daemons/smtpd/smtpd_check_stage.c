/*
 * smtpd_check_stage - the entry points of the restriction engine per
 *	SMTP stage (connect, HELO, MAIL, RCPT/VRFY, DATA, end of data), as
 *	Postfix 3.7's smtpd_check_{client,helo,mail,rcpt,data,eod}(), and
 *	the address resolution smtpd uses outside the restrictions.
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
        st = smtpd_chk_reject(c, 0, d->code, d->dsn, "%s", d->reason);
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
        st = smtpd_chk_generic(c, &s->cf->r_client, s->namaddr, N_CLIENT,
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
        st = smtpd_chk_generic(c, &s->cf->r_helo, s->helo, N_HELO,
                               "check_helo_access");
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
        st = smtpd_chk_generic(c, &s->cf->r_sender, c->sender, N_SENDER,
                               "check_sender_access");
    s->dip_sender = s->dif_permit.active;
    if (s->cf->code.rej_unl_from && st != REJECT && *c->sender)
        st = smtpd_chk_rcpt_maps(c, c->sender, N_SENDER);
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
        st = smtpd_chk_generic(&c, &cf->r_relay, c.shown, N_RCPT,
                               "check_recipient_access");
    if (st != REJECT && cf->r_rcpt.n)
        st = smtpd_chk_generic(&c, &cf->r_rcpt, c.shown, N_RCPT,
                               "check_recipient_access");
    st = force_defer(&c, st);
    if (cf->code.rej_unl_rcpt && st != REJECT && !c.rcptmap_checked)
        st = smtpd_chk_rcpt_maps(&c, c.shown, N_RCPT);
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
        st = smtpd_chk_generic(&c, list, name, cls, NULL);
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
        log_warn("local_recipient_maps lookup error: %s",
                 maps_error(s->cf->local_rcpt_maps));
        return -1;
    }
    return r == MAPS_FOUND;
}
