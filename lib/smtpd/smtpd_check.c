/*
 * smtpd_check - the smtpd_*_restrictions lists.
 *
 * DESCRIPTION
 *	Each list is evaluated left to right until a restriction decides:
 *	permit ends that list (the next one still runs), reject/defer end
 *	the check with a reply. With smtpd_delay_reject = yes (default) the
 *	client, helo and sender lists run at RCPT time, as in Postfix.
 *	Access tables (check_*_access type:table) return OK, REJECT, DEFER,
 *	DUNNO, 4NN/5NN text or more restriction names.
 *
 * BUGS
 *	reject_unknown_*_domain, reject_rbl_client and friends that need
 *	DNS answer "no decision" and log one warning; DISCARD, HOLD,
 *	FILTER, REDIRECT and PREPEND actions are logged and ignored.
 */
#define _DEFAULT_SOURCE 1 /* strcasecmp */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "maillog/maillog.h"
#include "maps/maps.h"
#include "rewrite/rewrite.h"
#include "server/server.h"
#include "smtpd/smtpd_int.h"

enum verdict {
    V_DUNNO = 0,
    V_OK,
    V_REJECT,
};

static const char *const stage_text[] = {
    "Client host rejected",       "Helo command rejected",
    "Sender address rejected",    "Recipient address rejected",
    "Recipient address rejected", "Data command rejected",
};

struct ctx {
    struct smtpd_session *s;
    int stage;
    const char *rcpt; /* canonical recipient (RCPT stage) */
    char *reply;
    size_t len;
    int depth;
    const char *shown; /* the recipient as the client sent it, internal
                        * form: what replies show and what is resolved */
    int resolved;      /* res is set: 1 ok, -1 lookup error */
    struct rewrite_result res;
};

/* subject - the "<thing>" of a reply for the stage */
static const char *
subject(struct ctx *c, char *out, size_t len)
{
    switch (c->stage) {
    case SMTPD_ST_CLIENT:
        snprintf(out, len, "%s", c->s->namaddr);
        break;
    case SMTPD_ST_HELO:
        snprintf(out, len, "%s", c->s->helo ? c->s->helo : "");
        break;
    case SMTPD_ST_SENDER:
        /* as the client sent it, internal form, as Postfix shows it */
        if (c->s->env.sender) {
            char *in = rewrite_unquote(c->s->env.sender);

            snprintf(out, len, "%s", in);
            mem_free(in);
        } else {
            snprintf(out, len, "%s", c->s->sender ? c->s->sender : "");
        }
        break;
    case SMTPD_ST_DATA:
        snprintf(out, len, "DATA");
        break;
    default:
        snprintf(out, len, "%s", c->shown ? c->shown : c->rcpt ? c->rcpt : "");
        break;
    }
    return out;
}

/* set_reply - "CODE X.Y.Z <subject>: Stage rejected: text" */
static enum verdict
set_reply(struct ctx *c, int code, const char *dsn, const char *text,
          int stage_prefix)
{
    char subj[600];
    char ds[16];

    subject(c, subj, sizeof(subj));
    /* text may start with its own enhanced status code */
    if (text && isdigit((unsigned char) text[0]) && text[1] == '.' &&
        strchr(text, ' ')) {
        size_t n = (size_t) (strchr(text, ' ') - text);

        if (n < sizeof(ds)) {
            memcpy(ds, text, n);
            ds[n] = 0;
            dsn = ds;
            text += n + 1;
        }
    }
    if (ds != dsn && dsn[0] != (char) ('0' + code / 100)) {
        snprintf(ds, sizeof(ds), "%d%s", code / 100, dsn + 1);
        dsn = ds;
    }
    if (stage_prefix)
        snprintf(c->reply, c->len, "%d %s <%s>: %s: %s", code, dsn, subj,
                 stage_text[c->stage], text && *text ? text : "Access denied");
    else
        snprintf(c->reply, c->len, "%d %s <%s>: %s", code, dsn, subj, text);
    return V_REJECT;
}

static enum verdict eval_list(struct ctx *c, struct strv *list);

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

/* action - interpret an access table result */
static enum verdict
action(struct ctx *c, const char *value)
{
    char word[64];
    size_t n = strcspn(value, " \t");
    const char *text = value + n;

    while (*text == ' ' || *text == '\t')
        text++;
    if (n >= sizeof(word))
        n = sizeof(word) - 1;
    memcpy(word, value, n);
    word[n] = 0;
    if (strcasecmp(word, "OK") == 0 || strcasecmp(word, "PERMIT") == 0 ||
        (n > 0 && strspn(word, "0123456789") == n &&
         !(n == 3 && (word[0] == '4' || word[0] == '5'))))
        return V_OK;
    if (strcasecmp(word, "REJECT") == 0)
        return set_reply(c, 554, "5.7.1", text, 1);
    if (strcasecmp(word, "DEFER") == 0 ||
        strcasecmp(word, "DEFER_IF_PERMIT") == 0 ||
        strcasecmp(word, "DEFER_IF_REJECT") == 0)
        return set_reply(c, 450, "4.7.1", text, 1);
    if (n == 3 && (word[0] == '4' || word[0] == '5') &&
        isdigit((unsigned char) word[1]) && isdigit((unsigned char) word[2]))
        return set_reply(c, atoi(word), word[0] == '4' ? "4.7.1" : "5.7.1",
                         text, 1);
    if (strcasecmp(word, "DUNNO") == 0)
        return V_DUNNO;
    if (strcasecmp(word, "DISCARD") == 0 || strcasecmp(word, "HOLD") == 0 ||
        strcasecmp(word, "FILTER") == 0 || strcasecmp(word, "REDIRECT") == 0 ||
        strcasecmp(word, "PREPEND") == 0 || strcasecmp(word, "WARN") == 0 ||
        strcasecmp(word, "INFO") == 0 || strcasecmp(word, "BCC") == 0) {
        maillog_warning("access table action %s is not supported by Postern; "
                        "ignored",
                        word);
        return V_DUNNO;
    }
    /* a restriction list */
    if (c->depth < 10) {
        struct strv sv;
        enum verdict v;

        strv_init(&sv);
        server_split(value, &sv);
        c->depth++;
        v = eval_list(c, &sv);
        c->depth--;
        strv_fini(&sv);
        return v;
    }
    return V_DUNNO;
}

/* lookup_addr - full address, domain (and parents), localpart@ */
static enum verdict
check_addr_access(struct ctx *c, const char *table, const char *addr)
{
    struct maps *m = access_table(c->s, table);
    const char *v, *at = strrchr(addr, '@');
    enum maps_result r;
    char key[1024];

    if (*addr == 0)
        addr = "<>"; /* smtpd_null_access_lookup_key */
    r = maps_find(m, addr, &v);
    if (r == MAPS_NOTFOUND && at) {
        const char *d = at + 1;

        for (; r == MAPS_NOTFOUND && d;) {
            r = maps_find(m, d, &v);
            if (r != MAPS_NOTFOUND)
                break;
            d = strchr(d, '.');
            if (d) {
                snprintf(key, sizeof(key), "%s", d);
                r = maps_find(m, key, &v); /* ".parent" form */
                d++;
            }
        }
        if (r == MAPS_NOTFOUND) {
            snprintf(key, sizeof(key), "%.*s@", (int) (at - addr), addr);
            r = maps_find(m, key, &v);
        }
    }
    if (r == MAPS_ERROR) {
        maillog_warning("%s lookup error for \"%s\": %s", table, addr,
                        maps_error(m));
        snprintf(c->reply, c->len, "451 4.3.0 <%s>: Temporary lookup failure",
                 addr);
        return V_REJECT;
    }
    return r == MAPS_FOUND ? action(c, v) : V_DUNNO;
}

static enum verdict
check_client_access(struct ctx *c, const char *table)
{
    struct maps *m = access_table(c->s, table);
    const char *v;
    enum maps_result r = MAPS_NOTFOUND;
    char key[300];

    /* hostname and its parent domains, then address and its prefixes */
    if (strcmp(c->s->name, "unknown") != 0) {
        const char *d = c->s->name;

        while (r == MAPS_NOTFOUND && d) {
            r = maps_find(m, d, &v);
            d = strchr(d, '.');
            if (d)
                d++;
        }
    }
    snprintf(key, sizeof(key), "%s", c->s->addr);
    while (r == MAPS_NOTFOUND) {
        char *cut;

        r = maps_find(m, key, &v);
        cut = strrchr(key, strchr(key, ':') ? ':' : '.');
        if (cut == NULL)
            break;
        *cut = 0;
        if (key[0] == 0)
            break;
    }
    if (r == MAPS_ERROR) {
        snprintf(c->reply, c->len, "451 4.3.0 <%s>: Temporary lookup failure",
                 c->s->namaddr);
        return V_REJECT;
    }
    return r == MAPS_FOUND ? action(c, v) : V_DUNNO;
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

/* resolve - the recipient through trivial-rewrite's resolver, once per
 * check; NULL after a table error (reply set) */
static const struct rewrite_result *
resolve(struct ctx *c)
{
    const char *a = c->shown ? c->shown : c->rcpt;

    if (c->resolved == 0)
        c->resolved = smtpd_resolve(c->s, a ? a : "", &c->res) < 0 ? -1 : 1;
    if (c->resolved < 0) {
        snprintf(c->reply, c->len, "451 4.3.0 <%s>: Temporary lookup failure",
                 a ? a : "");
        return NULL;
    }
    return &c->res;
}

/* auth_destination - Postfix's permit_auth_destination: the resolved
 * recipient is ours (final delivery) or in relay_domains, and carries no
 * routing operators (allow_untrusted_routing = no): 1 yes, 0 no, -1
 * lookup error (reply set) */
static int
auth_destination(struct ctx *c)
{
    const struct rewrite_result *r = resolve(c);

    if (r == NULL)
        return -1;
    if (!c->s->cf->allow_untrusted_routing && (r->flags & REWRITE_FLAG_ROUTED))
        return 0;
    return r->cls != REWRITE_DEFAULT;
}

static int
fqdn(const char *name)
{
    return name && strchr(name, '.') && name[strlen(name) - 1] != '.';
}

/* permit_mynetworks - as Postfix: a mynetworks that could not be
 * consulted (an unreadable /file/name) defers instead of not matching */
static enum verdict
permit_mynetworks(struct ctx *c)
{
    char what[1100];

    if (c->s->in_mynetworks < 0) {
        snprintf(c->reply, c->len, "451 4.3.0 <%s>: Temporary lookup failure",
                 subject(c, what, sizeof(what)));
        return V_REJECT;
    }
    return c->s->in_mynetworks ? V_OK : V_DUNNO;
}

static enum verdict
one(struct ctx *c, struct strv *list, size_t *i)
{
    const char *r = list->v[*i];
    const char *arg = *i + 1 < list->n ? list->v[*i + 1] : NULL;
    struct smtpd_session *s = c->s;

    if (strcmp(r, "permit") == 0)
        return V_OK;
    if (strcmp(r, "reject") == 0)
        return set_reply(c, 554, "5.7.1", NULL, 1);
    if (strcmp(r, "defer") == 0)
        return set_reply(c, 450, "4.7.1", NULL, 1);
    if (strcmp(r, "permit_mynetworks") == 0)
        return permit_mynetworks(c);
    if (strcmp(r, "reject_unauth_destination") == 0 ||
        strcmp(r, "defer_unauth_destination") == 0) {
        int auth;

        if (c->stage < SMTPD_ST_RELAY || c->rcpt == NULL)
            return V_DUNNO;
        if ((auth = auth_destination(c)) < 0)
            return V_REJECT;
        if (auth)
            return V_DUNNO;
        return r[0] == 'r'
                   ? set_reply(c, 554, "5.7.1", "Relay access denied", 0)
                   : set_reply(c, 454, "4.7.1", "Relay access denied", 0);
    }
    if (strcmp(r, "permit_auth_destination") == 0) {
        int auth;

        if (c->stage < SMTPD_ST_RELAY || c->rcpt == NULL)
            return V_DUNNO;
        if ((auth = auth_destination(c)) < 0)
            return V_REJECT;
        return auth ? V_OK : V_DUNNO;
    }
    if (strcmp(r, "check_client_access") == 0 ||
        strcmp(r, "check_sender_access") == 0 ||
        strcmp(r, "check_recipient_access") == 0 ||
        strcmp(r, "check_helo_access") == 0) {
        if (arg == NULL) {
            maillog_warning("restriction %s needs a table argument", r);
            snprintf(c->reply, c->len, "451 4.3.5 Server configuration error");
            return V_REJECT;
        }
        (*i)++;
        {
            /* the reply names what was looked up, whatever the list */
            int saved = c->stage;
            enum verdict v = V_DUNNO;

            if (r[6] == 'c') {
                c->stage = SMTPD_ST_CLIENT;
                v = check_client_access(c, arg);
            } else if (r[6] == 'h') {
                c->stage = SMTPD_ST_HELO;
                v = s->helo ? check_addr_access(c, arg, s->helo) : V_DUNNO;
            } else if (r[6] == 's') {
                /* the resolved address is looked up, as Postfix's
                 * check_mail_access(): user%evil.test@ours is evil.test */
                struct rewrite_result sr;

                c->stage = SMTPD_ST_SENDER;
                if (s->sender == NULL)
                    v = V_DUNNO;
                else if (*s->sender == 0 ||
                         rewrite_resolve(s->cf->rw, s->sender, &sr) < 0 ||
                         sr.rcpt[0] == 0)
                    v = check_addr_access(c, arg, s->sender);
                else
                    v = check_addr_access(c, arg, sr.rcpt);
            } else if (c->rcpt) {
                const struct rewrite_result *rr = resolve(c);

                c->stage = SMTPD_ST_RCPT;
                if (rr == NULL)
                    v = V_REJECT; /* lookup error, reply set */
                else
                    v = check_addr_access(c, arg,
                                          rr->rcpt[0] ? rr->rcpt : c->rcpt);
            }
            c->stage = saved;
            return v;
        }
    }
    if (strcmp(r, "reject_non_fqdn_recipient") == 0) {
        if (c->rcpt && *c->rcpt && !fqdn(rewrite_domain(c->rcpt)))
            return set_reply(c, 504, "5.5.2", "need fully-qualified address",
                             1);
        return V_DUNNO;
    }
    if (strcmp(r, "reject_non_fqdn_sender") == 0) {
        if (s->sender && *s->sender && !fqdn(rewrite_domain(s->sender))) {
            int st = c->stage;
            enum verdict v;

            c->stage = SMTPD_ST_SENDER;
            v = set_reply(c, 504, "5.5.2", "need fully-qualified address", 1);
            c->stage = st;
            return v;
        }
        return V_DUNNO;
    }
    if (strcmp(r, "reject_non_fqdn_helo_hostname") == 0 ||
        strcmp(r, "reject_invalid_helo_hostname") == 0) {
        if (s->helo && !fqdn(s->helo) && s->helo[0] != '[') {
            int st = c->stage;
            enum verdict v;

            c->stage = SMTPD_ST_HELO;
            v = set_reply(c, 504, "5.5.2", "need fully-qualified hostname", 1);
            c->stage = st;
            return v;
        }
        return V_DUNNO;
    }
    if (strcmp(r, "reject_unlisted_recipient") == 0) {
        if (c->rcpt &&
            smtpd_local_user_ok(s, c->shown ? c->shown : c->rcpt) == 0)
            return set_reply(c, 550, "5.1.1",
                             "User unknown in local recipient table", 1);
        return V_DUNNO;
    }
    if (strcmp(r, "reject_unknown_client_hostname") == 0 ||
        strcmp(r, "reject_unknown_reverse_client_hostname") == 0) {
        if (strcmp(s->name, "unknown") == 0) {
            int st = c->stage;
            enum verdict v;

            c->stage = SMTPD_ST_CLIENT;
            snprintf(c->reply, c->len,
                     "450 4.7.25 Client host rejected: cannot find your "
                     "hostname, [%s]",
                     s->addr);
            v = V_REJECT;
            c->stage = st;
            return v;
        }
        return V_DUNNO;
    }
    if (strcmp(r, "permit_sasl_authenticated") == 0 ||
        strcmp(r, "permit_tls_clientcerts") == 0 ||
        strcmp(r, "permit_tls_all_clientcerts") == 0 ||
        strcmp(r, "reject_unauth_pipelining") == 0 ||
        strcmp(r, "reject_unknown_recipient_domain") == 0 ||
        strcmp(r, "reject_unknown_sender_domain") == 0 ||
        strcmp(r, "reject_unknown_helo_hostname") == 0 ||
        strcmp(r, "reject_unverified_recipient") == 0 ||
        strcmp(r, "reject_unverified_sender") == 0 ||
        strcmp(r, "reject_unlisted_sender") == 0 ||
        strcmp(r, "reject_sender_login_mismatch") == 0 ||
        strcmp(r, "reject_multi_recipient_bounce") == 0 ||
        strcmp(r, "warn_if_reject") == 0)
        return V_DUNNO;
    if (strcmp(r, "reject_rbl_client") == 0 ||
        strcmp(r, "reject_rhsbl_client") == 0 ||
        strcmp(r, "reject_rhsbl_sender") == 0 ||
        strcmp(r, "reject_rhsbl_recipient") == 0 ||
        strcmp(r, "reject_rhsbl_helo") == 0 ||
        strcmp(r, "check_policy_service") == 0) {
        if (!s->cf->warned_unknown) {
            maillog_warning("%s is not implemented by Postern yet; skipped", r);
            s->cf->warned_unknown = 1;
        }
        if (arg)
            (*i)++;
        return V_DUNNO;
    }
    maillog_warning("unknown smtpd restriction: \"%s\"", r);
    snprintf(c->reply, c->len, "451 4.3.5 Server configuration error");
    return V_REJECT;
}

static enum verdict
eval_list(struct ctx *c, struct strv *list)
{
    for (size_t i = 0; i < list->n; i++) {
        enum verdict v = one(c, list, &i);

        if (v != V_DUNNO)
            return v;
    }
    return V_DUNNO;
}

static int
run_shown(struct smtpd_session *s, int stage, struct strv *list,
          const char *rcpt, const char *shown, char *reply, size_t len)
{
    struct ctx c;

    memset(&c, 0, sizeof(c));
    c.s = s;
    c.stage = stage;
    c.rcpt = rcpt;
    c.shown = shown;
    c.reply = reply;
    c.len = len;
    return eval_list(&c, list) == V_REJECT ? -1 : 0;
}

static int
run(struct smtpd_session *s, int stage, struct strv *list, const char *rcpt,
    char *reply, size_t len)
{
    return run_shown(s, stage, list, rcpt, NULL, reply, len);
}

int
smtpd_check_stage(struct smtpd_session *s, int stage, const char *arg,
                  char *reply, size_t len)
{
    struct smtpd_conf *cf = s->cf;
    struct strv *l = stage == SMTPD_ST_CLIENT   ? &cf->r_client
                     : stage == SMTPD_ST_HELO   ? &cf->r_helo
                     : stage == SMTPD_ST_SENDER ? &cf->r_sender
                                                : &cf->r_data;

    return run(s, stage, l, arg, reply, len);
}

int
smtpd_check_rcpt(struct smtpd_session *s, const char *rcpt, const char *shown,
                 char *reply, size_t len)
{
    struct smtpd_conf *cf = s->cf;

    /* RFC 5321 4.5.1: postmaster without a domain is always accepted */
    if (shown && strcasecmp(shown, "postmaster") == 0)
        return 0;
    if (cf->delay_reject && (run_shown(s, SMTPD_ST_CLIENT, &cf->r_client, rcpt,
                                       shown, reply, len) < 0 ||
                             run_shown(s, SMTPD_ST_HELO, &cf->r_helo, rcpt,
                                       shown, reply, len) < 0 ||
                             run_shown(s, SMTPD_ST_SENDER, &cf->r_sender, rcpt,
                                       shown, reply, len) < 0))
        return -1;
    if (run_shown(s, SMTPD_ST_RELAY, &cf->r_relay, rcpt, shown, reply, len) <
            0 ||
        run_shown(s, SMTPD_ST_RCPT, &cf->r_rcpt, rcpt, shown, reply, len) < 0)
        return -1;
    /* unknown local users (smtpd_reject_unlisted_recipient) */
    switch (smtpd_local_user_ok(s, shown ? shown : rcpt)) {
    case -1:
        snprintf(reply, len, "451 4.3.0 <%s>: Temporary lookup failure",
                 shown ? shown : rcpt);
        return -1;
    case 0: {
        struct ctx c;

        memset(&c, 0, sizeof(c));
        c.s = s;
        c.stage = SMTPD_ST_RCPT;
        c.rcpt = rcpt;
        c.shown = shown;
        c.reply = reply;
        c.len = len;
        set_reply(&c, 550, "5.1.1", "User unknown in local recipient table", 1);
        return -1;
    }
    default:
        return 0;
    }
}

int
smtpd_check_data(struct smtpd_session *s, char *reply, size_t len)
{
    return run(s, SMTPD_ST_DATA, &s->cf->r_data, NULL, reply, len);
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
