/*
 * smtpd_check_sasl - the restrictions about the SMTP AUTH login:
 *	permit_sasl_authenticated, the *_sender_login_mismatch family with
 *	smtpd_sender_login_maps, and check_sasl_access, as Postfix 3.7's
 *	smtpd_check.c words them.
 *
 * DESCRIPTION
 *	A sender's owners are the value of its smtpd_sender_login_maps
 *	entry (names separated by commas or spaces), looked up as
 *	Postfix's mail_addr_find() does: the resolved address, the same
 *	without its extension, the local part alone for a local domain,
 *	then @domain. A login owns the sender when it is one of them
 *	(case-insensitive).
 */
#define _DEFAULT_SOURCE 1 /* strcasecmp */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "maps/maps.h"
#include "rewrite/rewrite.h"
#include "smtpd/smtpd_check_int.h"
#include "smtpd/smtpd_int.h"

#define ALLOW_UNKNOWN_SENDER  1
#define FORBID_UNKNOWN_SENDER 0

/* owner_find - the owners of addr (resolved, lower case); 1 found (in
 * *owners, caller frees), 0 not, -1 table error */
static int
owner_find(struct ctx *c, struct maps *m, const struct rewrite_result *r,
           char **owners)
{
    const char *rcpt = r->rcpt, *at = strrchr(rcpt, '@');
    const char *delim = c->s->cf->recipient_delimiter, *v = NULL;
    enum maps_result st = maps_find(m, rcpt, &v);
    char key[1024];
    size_t lp = at ? (size_t) (at - rcpt) : strlen(rcpt);

    if (st == MAPS_NOTFOUND && delim && *delim) {
        size_t cut = strcspn(rcpt, delim);

        if (cut > 0 && cut < lp) {
            snprintf(key, sizeof(key), "%.*s%s", (int) cut, rcpt, at ? at : "");
            st = maps_find(m, key, &v);
        }
    }
    if (st == MAPS_NOTFOUND && at && r->cls == REWRITE_LOCAL) {
        snprintf(key, sizeof(key), "%.*s", (int) lp, rcpt);
        st = maps_find(m, key, &v);
    }
    if (st == MAPS_NOTFOUND && at)
        st = maps_find(m, at, &v);
    if (st == MAPS_ERROR) {
        log_warn("smtpd_sender_login_maps lookup error: %s", maps_error(m));
        return -1;
    }
    if (st != MAPS_FOUND)
        return 0;
    *owners = mem_strdup(v);
    return 1;
}

/* owners_of - the owner lookup of the sender; REJECT after a table
 * error (reply set), else DUNNO with *found */
static int
owners_of(struct ctx *c, const char *sender, char **owners, int *found)
{
    struct rewrite_result res;
    const struct rewrite_result *r;
    int st;

    *found = 0;
    *owners = NULL;
    if ((r = smtpd_chk_resolve_addr(c, sender, &res)) == NULL)
        return REJECT;
    st = owner_find(c, smtpd_sasl_login_maps(c->s->cf), r, owners);
    if (st < 0)
        return smtpd_chk_dict_retry(c, sender);
    *found = st;
    return DUNNO;
}

/* auth_mismatch - Postfix's reject_auth_sender_login_mismatch(): the
 * logged-in client must own the sender */
static int
auth_mismatch(struct ctx *c, const char *sender, int allow_unknown)
{
    struct smtpd_session *s = c->s;
    char *owners, *p, *name;
    int found, st, owned = 0;

    if (smtpd_sasl_login_maps(s->cf) == NULL || s->sasl_username == NULL)
        return DUNNO;
    if ((st = owners_of(c, sender, &owners, &found)) != DUNNO)
        return st;
    if (!found && allow_unknown)
        return DUNNO;
    for (p = owners; found && !owned && (name = strtok_r(p, ", \t\r\n", &p));)
        owned = strcasecmp(name, s->sasl_username) == 0;
    mem_free(owners);
    if (owned)
        return DUNNO;
    return smtpd_chk_reject(c, 0, 553, "5.7.1",
                            "<%s>: Sender address rejected: not owned by "
                            "user %s",
                            sender, s->sasl_username);
}

/* unauth_mismatch - Postfix's reject_unauth_sender_login_mismatch(): a
 * sender with an owner needs a login */
static int
unauth_mismatch(struct ctx *c, const char *sender)
{
    char *owners;
    int found, st;

    if (smtpd_sasl_login_maps(c->s->cf) == NULL || c->s->sasl_username)
        return DUNNO;
    if ((st = owners_of(c, sender, &owners, &found)) != DUNNO)
        return st;
    mem_free(owners);
    if (!found)
        return DUNNO;
    return smtpd_chk_reject(c, 0, 553, "5.7.1",
                            "<%s>: Sender address rejected: not logged in",
                            sender);
}

int
smtpd_chk_one_sasl(struct ctx *c, const struct smtpd_restr *r)
{
    struct smtpd_session *s = c->s;
    const char *snd = smtpd_chk_sender_shown(c);
    int st;

    switch (r->id) {
    case R_SASL_AUTH:
        /* Postfix's permit_sasl_auth(): not for an anonymous login */
        if (smtpd_sasl_enabled(s->cf) && s->sasl_method &&
            strcasecmp(s->sasl_method, "anonymous") != 0)
            return OK;
        return DUNNO;
    case R_AUTH_LOGIN_MISMATCH:
    case R_LOGIN_MISMATCH:
    case R_KNOWN_LOGIN_MISMATCH:
    case R_UNAUTH_LOGIN_MISMATCH:
        break;
    default:
        return -1;
    }
    if (!smtpd_sasl_enabled(s->cf)) {
        log_warn("restriction `%s' ignored: no SASL support", r->name);
        return DUNNO;
    }
    if (snd == NULL || *snd == 0)
        return DUNNO;
    switch (r->id) {
    case R_AUTH_LOGIN_MISMATCH:
        return auth_mismatch(c, snd, FORBID_UNKNOWN_SENDER);
    case R_LOGIN_MISMATCH:
        st = auth_mismatch(c, snd, FORBID_UNKNOWN_SENDER);
        return st == DUNNO ? unauth_mismatch(c, snd) : st;
    case R_KNOWN_LOGIN_MISMATCH:
        return s->sasl_username ? auth_mismatch(c, snd, ALLOW_UNKNOWN_SENDER)
                                : unauth_mismatch(c, snd);
    default:
        return unauth_mismatch(c, snd);
    }
}

int
smtpd_chk_sasl_access(struct ctx *c, const char *table, const char *def_acl)
{
    struct smtpd_session *s = c->s;

    if (!smtpd_sasl_enabled(s->cf)) {
        log_warn("restriction `%s' ignored: no SASL support",
                 "check_sasl_access");
        return DUNNO;
    }
    if (s->sasl_username == NULL || *s->sasl_username == 0)
        return DUNNO;
    return smtpd_chk_lookup_name(c, table, s->sasl_username, s->namaddr,
                                 "SASL login name", def_acl);
}
