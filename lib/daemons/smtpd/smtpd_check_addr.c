/*
 * smtpd_check_addr - the sender and recipient restrictions that need
 *	no access table: address resolution, unknown domains, relay
 *	control (permit/reject_unauth_destination, permit_mx_backup) and
 *	the recipient tables (reject_unlisted_*).
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

#include "cleanup/cleanup.h"
#include "dns/dns.h"
#include "maillog/maillog.h"
#include "maps/maps.h"
#include "rewrite/rewrite.h"
#include "schema/schema.h"
#include "server/server.h"
#include "smtpd/smtpd_check_int.h"
#include "smtpd/smtpd_int.h"

/* ---- addresses ---- */

/* resolve - an address through trivial-rewrite's resolver; NULL after a
 * table error (reply set) */
const struct rewrite_result *
smtpd_chk_resolve_addr(struct ctx *c, const char *addr,
                       struct rewrite_result *res)
{
    if (smtpd_resolve(c->s, addr, res) < 0) {
        smtpd_chk_dict_retry(c, addr);
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
        c->resolved = smtpd_chk_resolve_addr(c, c->shown, &c->res) ? 1 : -1;
    else if (c->resolved < 0)
        smtpd_chk_dict_retry(c, c->shown);
    return c->resolved > 0 ? &c->res : NULL;
}

/* unknown_address - reject_unknown_sender_domain and _recipient_domain:
 * domains we deliver to ourselves and address literals pass */
static int
unknown_address(struct ctx *c, const char *addr, const char *name,
                const char *cls)
{
    static const int types[] = {DNS_MX, DNS_A, DNS_AAAA};
    struct rewrite_result res;
    const struct rewrite_result *r = smtpd_chk_resolve_addr(c, addr, &res);
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
    st = smtpd_chk_dns_any(c, dom, types, 3, 1);
    if (st == DNS_FOUND)
        return DUNNO;
    if (st == DNS_NULLMX)
        return smtpd_chk_reject(
            c, 0, snd ? 550 : 556, snd ? "4.7.27" : "4.1.10",
            "<%s>: %s rejected: Domain %s does not accept mail "
            "(nullMX)",
            name, cls, dom);
    if (st == DNS_NOTFOUND)
        return smtpd_chk_reject(
            c, 0, c->s->cf->code.unk_addr, snd ? "4.1.8" : "4.1.2",
            "<%s>: %s rejected: Domain not found", name, cls);
    snprintf(text, sizeof(text), "<%s>: %s rejected: Domain not found", name,
             cls);
    return smtpd_chk_tempfail(c, c->s->cf->code.unk_addr_tf,
                              snd ? "4.1.8" : "4.1.2", text);
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
    return smtpd_chk_reject(c, 0, code, dsn, "<%s>: Relay access denied",
                            c->shown);
}

/* addr_find - Postfix's mail_addr_find() on a recipient table
 * (rewrite_addr_find: the address, without its extension, the bare user
 * for $myorigin and local domains, @domain) with rcpt in internal form;
 * 1 found, 0 not, -1 table error */
static int
addr_find(struct ctx *c, struct maps *m, const char *rcpt)
{
    const char *v;
    char *ext = rewrite_quote(rcpt);
    enum maps_result r = rewrite_addr_find(
        c->s->cf->rw, m, ext, c->s->cf->recipient_delimiter, &v, NULL);

    mem_free(ext);
    if (r == MAPS_ERROR) {
        log_warn("recipient table lookup error: %s", maps_error(m));
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
        return smtpd_chk_dict_retry(c, addr);
    return smtpd_chk_reject(c, 0, code,
                            strcmp(cls, N_SENDER) == 0 ? "5.1.0" : "5.1.1",
                            "<%s>: %s rejected: User unknown%s%s%s", addr, cls,
                            c->s->cf->code.show_table ? " in " : "",
                            c->s->cf->code.show_table ? table : "",
                            c->s->cf->code.show_table ? " table" : "");
}

/* rcpt_maps - Postfix's check_rcpt_maps() (reject_unlisted_*): known
 * to a canonical or virtual alias table is known; what resolves to the
 * error transport is unknown; then the table of the address class */
int
smtpd_chk_rcpt_maps(struct ctx *c, const char *addr, const char *cls)
{
    struct smtpd_conf *cf = c->s->cf;
    int snd = strcmp(cls, N_SENDER) == 0, found;
    struct rewrite_result res;
    const struct rewrite_result *r;

    /* issue 19: receive_override_options=no_unknown_recipient_checks */
    if (!snd && (smtpd_filter_flags(cf) & CLEANUP_FLAG_NO_UNKNOWN_RCPT))
        return DUNNO;
    if ((r = smtpd_chk_resolve_addr(c, addr, &res)) == NULL)
        return REJECT;
    if (cf->rcpt_alias_maps &&
        (found = addr_find(c, cf->rcpt_alias_maps, r->rcpt)) != 0)
        return found < 0 ? smtpd_chk_dict_retry(c, addr) : DUNNO;
    if (strcmp(r->transport, "error") == 0) {
        const char *text = r->nexthop, *dsn;
        char b1[16], b2[16];

        dsn =
            smtpd_chk_dsn_split(snd ? "5.1.0" : "5.1.1", &text, b1, sizeof(b1));
        return smtpd_chk_reject(
            c, 0, r->cls == REWRITE_ALIAS ? cf->code.virt_alias : 550,
            smtpd_chk_dsn_fix(dsn, cls, b2, sizeof(b2)),
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
        return smtpd_chk_dict_retry(c, addr);
    case 0:
        return smtpd_chk_reject(
            c, 0, c->s->cf->code.local_rcpt, snd ? "5.1.0" : "5.1.1",
            "<%s>: %s rejected: User unknown%s", addr, cls,
            c->s->cf->code.show_table ? " in local recipient table" : "");
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
    if (smtpd_chk_host_addrs(c, host, &a) == DNS_TEMP) {
        smtpd_chk_defer_if(
            &c->s->dif_reject, 450, "4.4.4",
            "<%s>: %s rejected: Unable to look up mail exchanger host "
            "%s: %s",
            c->shown, N_RCPT, host, "Temporary failure in name resolution");
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
        if (smtpd_chk_dns(c, smtpd_chk_mx_host(mx->v[i]), DNS_A, &a) ==
                DNS_TEMP ||
            smtpd_chk_dns(c, smtpd_chk_mx_host(mx->v[i]), DNS_AAAA, &a) ==
                DNS_TEMP ||
            a.n == 0) {
            smtpd_chk_defer_if(
                &c->s->dif_reject, 450, "4.4.4",
                "<%s>: %s rejected: Unable to look up host %s as mail "
                "exchanger: %s",
                c->shown, N_RCPT, smtpd_chk_mx_host(mx->v[i]),
                "Host not found");
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
        if (*smtpd_chk_mx_host(mx->v[i]) &&
            rewrite_domain_class(c->s->cf->rw, smtpd_chk_mx_host(mx->v[i])) ==
                REWRITE_LOCAL)
            return 1;
    for (size_t i = from; i < to; i++)
        if (*smtpd_chk_mx_host(mx->v[i]) &&
            has_my_addr(c, smtpd_chk_mx_host(mx->v[i])) == 1)
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
    st = smtpd_chk_dns(c, dom, DNS_MX, &mx);
    if (st == DNS_NXDOMAIN || st == DNS_NODATA) {
        strv_fini(&mx);
        return has_my_addr(c, dom) == 1 ? OK : DUNNO;
    }
    /* the primary MX hosts (best preference) first: when one of them is
     * this machine, it is no backup (Postfix 2.3 and later) */
    for (nprim = 0; nprim < mx.n && (int) strtol(mx.v[nprim], NULL, 10) ==
                                        (int) strtol(mx.v[0], NULL, 10);)
        nprim++;
    if (st != DNS_OK) {
        smtpd_chk_defer_if(
            &c->s->dif_reject, 450, "4.4.4",
            "<%s>: %s rejected: Unable to look up mail exchanger "
            "information: %s",
            c->shown, N_RCPT, "Host not found, try again");
        strv_fini(&mx);
        return DUNNO;
    }
    if (st == DNS_OK &&
        (i_am_mx(c, &mx, 0, nprim) || !i_am_mx(c, &mx, nprim, mx.n))) {
        strv_fini(&mx);
        return DUNNO;
    }
    mine = st == DNS_OK;
    if (mine && c->s->cf->perm_mx_networks)
        mine = mx_primary(c, &mx);
    strv_fini(&mx);
    return mine ? OK : DUNNO;
}

/* one_addr - sender and recipient restrictions without a table */
int
smtpd_chk_one_addr(struct ctx *c, const struct smtpd_restr *r, const char *name,
                   const char *cls)
{
    struct smtpd_session *s = c->s;
    const char *snd = smtpd_chk_sender_shown(c);
    const char *rc = c->shown;

    switch (r->id) {
    case R_UNK_SENDER:
        return snd && *snd ? unknown_address(c, snd, snd, N_SENDER) : DUNNO;
    case R_NON_FQDN_SENDER:
        return snd && *snd ? smtpd_chk_non_fqdn_address(c, snd, snd, N_SENDER)
                           : DUNNO;
    case R_UNLISTED_SENDER:
        return snd && *snd ? smtpd_chk_rcpt_maps(c, snd, N_SENDER) : DUNNO;
    case R_TLS_CLIENTCERTS:
        return DUNNO; /* no client certificate is ever verified */
    case R_UNK_RCPT:
        return rc ? unknown_address(c, rc, rc, N_RCPT) : DUNNO;
    case R_NON_FQDN_RCPT:
        return rc ? smtpd_chk_non_fqdn_address(c, rc, rc, N_RCPT) : DUNNO;
    case R_UNLISTED_RCPT:
        if (rc == NULL || *rc == 0 || c->rcptmap_checked)
            return DUNNO;
        c->rcptmap_checked = 1;
        return smtpd_chk_rcpt_maps(c, rc, N_RCPT);
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
            return smtpd_chk_reject(c, 0, s->cf->code.mul_rcpt, "5.5.3",
                                    "<%s>: %s rejected: Multi-recipient bounce",
                                    name, cls);
        return DUNNO;
    default:
        return -1;
    }
}
