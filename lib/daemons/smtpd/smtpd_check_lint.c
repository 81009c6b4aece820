/*
 * smtpd_check_lint - what "postern check" says about the restriction
 *	lists of main.cf and of each smtpd's -o settings.
 *
 * DESCRIPTION
 *	smtpd_check_lint() walks every list after $name expansion the way
 *	the engine (smtpd_check.c) will, with the same name table
 *	(smtpd_restr.c), and reports through server_note(): an unknown
 *	name or a malformed argument is an ERROR (the engine, like
 *	Postfix, answers "451 4.3.5 Server configuration error" to every
 *	client); a restriction Postern does not implement is an ERROR (it
 *	would be skipped); a bare type:table (an implicit access lookup)
 *	and a restriction class are noted as honoured; odd but harmless
 *	things (words after "permit", a dangling warn_if_reject) are
 *	warnings. For a service only the lists its -o settings change are
 *	walked, so a main.cf problem is reported once, at main.cf.
 */
#define _DEFAULT_SOURCE 1 /* strcasecmp */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pcf/pcf.h"
#include "server/server.h"
#include "server/server_check.h"
#include "smtpd/smtpd_int.h"

/* the lists and the implicit access lookup of a bare table in each */
static const struct {
    const char *param;
    const char *def_acl;
} lists[] = {
    {"smtpd_client_restrictions", "check_client_access"},
    {"smtpd_helo_restrictions", "check_helo_access"},
    {"smtpd_sender_restrictions", "check_sender_access"},
    {"smtpd_relay_restrictions", "check_recipient_access"},
    {"smtpd_recipient_restrictions", "check_recipient_access"},
    {"smtpd_data_restrictions", NULL},
    {"smtpd_end_of_data_restrictions", NULL},
    {"smtpd_etrn_restrictions", "check_etrn_access"},
};

struct lint {
    struct pcf *p;
    const char *ns;
    const struct server_checker *chk;
    struct strv classes; /* smtpd_restriction_classes */
    int sasl;
    int login_maps; /* smtpd_sender_login_maps is set */
    int ask_ccert;
    int stage; /* what the list being walked can see, below; -1 any */
};

/* what a restriction looks at, and what a list can see when
 * smtpd_delay_reject = no (at CONNECT, HELO, MAIL) */
#define SEES_CLIENT 0
#define SEES_HELO   1
#define SEES_SENDER 2
#define SEES_RCPT   3

static int
needs(enum smtpd_rid id)
{
    if ((id >= R_HELO_ACCESS && id <= R_NAKED_IP) || id == R_RHSBL_HELO)
        return SEES_HELO;
    if ((id >= R_SENDER_ACCESS && id <= R_UNAUTH_LOGIN_MISMATCH) ||
        id == R_RHSBL_SENDER)
        return SEES_SENDER;
    if ((id >= R_RCPT_ACCESS && id <= R_MULTI_BOUNCE) || id == R_RHSBL_RCPT)
        return SEES_RCPT;
    return SEES_CLIENT;
}

/* value - a parameter as the scope sees it; NULL when a service's value
 * is main.cf's (reported there) */
static char *
value(struct lint *l, const char *param)
{
    char *v = server_conf_str(l->p, l->ns, param);

    if (l->ns) {
        char *m = server_conf_str(l->p, NULL, param);
        int same = strcmp(v, m) == 0;

        mem_free(m);
        if (same) {
            mem_free(v);
            return NULL;
        }
    }
    return v;
}

static int
is_class(struct lint *l, const char *name)
{
    for (size_t i = 0; i < l->classes.n; i++)
        if (strcmp(l->classes.v[i], name) == 0)
            return 1;
    return 0;
}

/* the parameters the engine reads besides the lists (smtpd_check_dns.c) */
static const char *const engine_params[] = {
    "smtpd_restriction_classes",
    "unknown_client_reject_code",
    "invalid_hostname_reject_code",
    "unknown_hostname_reject_code",
    "unknown_address_reject_code",
    "relay_domains_reject_code",
    "access_map_reject_code",
    "access_map_defer_code",
    "reject_code",
    "defer_code",
    "non_fqdn_reject_code",
    "unknown_local_recipient_reject_code",
    "multi_recipient_bounce_reject_code",
    "plaintext_reject_code",
    "reject_tempfail_action",
    "unknown_address_tempfail_action",
    "unknown_helo_hostname_tempfail_action",
    "show_user_unknown_table_name",
    "smtpd_null_access_lookup_key",
    "permit_mx_backup_networks",
    "smtpd_reject_unlisted_recipient",
    "smtpd_reject_unlisted_sender",
    "relay_recipient_maps",
    "unknown_relay_recipient_reject_code",
    "unknown_virtual_mailbox_reject_code",
    "unknown_virtual_alias_reject_code",
    "maps_rbl_reject_code",
    "default_rbl_reply",
    "rbl_reply_maps",
    "smtpd_expansion_filter",
    "smtpd_delay_reject",
    "allow_untrusted_routing",
};

/* table_source - the text file a table reads, or NULL (Postern reads
 * the source of hash:, btree:, lmdb:, cdb: and dbm: tables too) */
static const char *
table_source(const char *spec, int *pattern)
{
    static const char *const types[] = {
        "texthash:", "hash:",   "btree:", "lmdb:", "cdb:",
        "dbm:",      "regexp:", "pcre:",  NULL};

    if (strncasecmp(spec, "proxy:", 6) == 0)
        spec += 6;
    for (int i = 0; types[i]; i++) {
        size_t n = strlen(types[i]);

        if (strncasecmp(spec, types[i], n) == 0 && spec[n] == '/') {
            *pattern = i >= 6;
            return spec + n;
        }
    }
    return NULL;
}

/* entry_value - the value of a table source line, or NULL */
static const char *
entry_value(const char *line, int pattern)
{
    const char *p = line;

    while (isspace((unsigned char) *p))
        p++;
    if (*p == 0 || *p == '#')
        return NULL;
    if (pattern) {
        char delim = *p;

        if (strncasecmp(p, "if", 2) == 0 || strncasecmp(p, "endif", 5) == 0)
            return NULL;
        if (delim == '!')
            delim = *++p;
        for (p++; *p && *p != delim; p++)
            if (*p == '\\' && p[1])
                p++;
        if (*p)
            p++;
        while (isalpha((unsigned char) *p))
            p++; /* flags */
    } else {
        p += strcspn(p, " \t:");
        if (*p == ':')
            p++;
    }
    while (isspace((unsigned char) *p))
        p++;
    return *p ? p : NULL;
}

static void walk(struct lint *l, const char *param, const char *list,
                 const char *def_acl);

/* is_action - the first word of a table result is an action (not a
 * restriction list) */
static int
is_action(const char *v, size_t n)
{
    static const char *const words[] = {
        "OK",      "RELAY", "REJECT",  "DEFER",           "DUNNO",
        "WARN",    "HOLD",  "DISCARD", "FILTER",          "REDIRECT",
        "PREPEND", "BCC",   "INFO",    "DEFER_IF_PERMIT", "DEFER_IF_REJECT",
        NULL};

    if (n > 0 && strspn(v, "0123456789") >= (n == 3 ? 3 : n))
        return 1; /* all digits, or a 4NN/5NN code */
    for (int k = 0; words[k]; k++)
        if (n == strlen(words[k]) && strncasecmp(v, words[k], n) == 0)
            return 1;
    return 0;
}

/* table_restrictions - a table result that names restrictions: checked
 * as a list; a table inside is an error (Postfix answers 451 4.3.5) */
static void
table_restrictions(struct lint *l, const char *param, const char *spec,
                   int lineno, const char *v)
{
    char *copy = mem_strndup(v, strcspn(v, "\r\n"));

    if (strchr(copy, ':'))
        server_note(l->chk, SERVER_NOTE_ERROR, l->ns, param,
                    "access table %s line %d has a lookup table in its "
                    "result \"%s\": define a restriction class and name it "
                    "instead (the client gets 451 4.3.5)",
                    spec, lineno, copy);
    else
        walk(l, param, copy, "-");
    mem_free(copy);
}

/* scan_table - access table results Postern refuses, found in the
 * table's text file: the engine answers them with 451 4.3.5 */
static void
scan_table(struct lint *l, const char *param, const char *spec)
{
    /* FILTER is honoured (issue 19) */
    static const char *const refused[] = {
        "HOLD", "DISCARD", "REDIRECT", "PREPEND", "BCC", "INFO", NULL};
    int pattern = 0;
    const char *path = table_source(spec, &pattern);
    FILE *f;
    char line[2048];
    int lineno = 0;

    if (path == NULL || (f = fopen(path, "r")) == NULL)
        return; /* missing files are the table check's business */
    while (fgets(line, sizeof(line), f)) {
        const char *v = entry_value(line, pattern);
        size_t n;

        lineno++;
        if (v == NULL || isspace((unsigned char) line[0]))
            continue;
        n = strcspn(v, " \t\r\n");
        for (int k = 0; refused[k]; k++)
            if (n == strlen(refused[k]) && strncasecmp(v, refused[k], n) == 0)
                server_note(l->chk, SERVER_NOTE_ERROR, l->ns, param,
                            "access table %s line %d: action %s is not "
                            "implemented by Postern (the client gets 451 "
                            "4.3.5 Server configuration error)",
                            spec, lineno, refused[k]);
        if (!is_action(v, n))
            table_restrictions(l, param, spec, lineno, v);
    }
    fclose(f);
}

/* one_name - a known restriction at sv->v[*i] */
static void
one_name(struct lint *l, const char *param, const struct smtpd_restr *r,
         struct strv *sv, size_t *i)
{
    const char *arg = *i + 1 < sv->n ? sv->v[*i + 1] : NULL;

    if (l->stage >= 0 && needs(r->id) > l->stage)
        server_note(l->chk, SERVER_NOTE_WARNING, l->ns, param,
                    "restriction %s has nothing to check in this list with "
                    "smtpd_delay_reject = no (no %s yet): it never decides",
                    sv->v[*i],
                    needs(r->id) == SEES_HELO     ? "HELO name"
                    : needs(r->id) == SEES_SENDER ? "sender"
                                                  : "recipient");

    if (r->flags & SMTPD_RF_NOIMPL) {
        server_note(
            l->chk, SERVER_NOTE_ERROR, l->ns, param,
            "restriction %s%s%s is not implemented by Postern (%s): "
            "the mail it would refuse is accepted",
            sv->v[*i],
            (r->flags & (SMTPD_RF_ARG | SMTPD_RF_TABLE)) && arg ? " " : "",
            (r->flags & (SMTPD_RF_ARG | SMTPD_RF_TABLE)) && arg ? arg : "",
            r->why);
        if ((r->flags & (SMTPD_RF_ARG | SMTPD_RF_TABLE)) && arg)
            (*i)++;
        return;
    }
    if ((r->flags & SMTPD_RF_TABLE) && (arg == NULL || !strchr(arg, ':'))) {
        server_note(l->chk, SERVER_NOTE_ERROR, l->ns, param,
                    "restriction %s: bad argument \"%s\": need "
                    "maptype:mapname (every client gets 451 4.3.5 Server "
                    "configuration error)",
                    sv->v[*i], arg ? arg : "");
        if (arg)
            (*i)++;
        return;
    }
    if ((r->flags & SMTPD_RF_NUM) &&
        (arg == NULL || arg[strspn(arg, "0123456789")] != 0 || !*arg)) {
        server_note(l->chk, SERVER_NOTE_ERROR, l->ns, param,
                    "restriction %s must be followed by number (every "
                    "client gets 451 4.3.5 Server configuration error)",
                    sv->v[*i]);
        if (arg)
            (*i)++;
        return;
    }
    if (r->id == R_POLICY) {
        if (arg == NULL || strchr(arg, ':') == NULL)
            server_note(l->chk, SERVER_NOTE_ERROR, l->ns, param,
                        "restriction %s must be followed by transport:server "
                        "(every client gets 451 4.3.5 Server configuration "
                        "error)",
                        sv->v[*i]);
        else
            (*i)++;
        return;
    }
    if ((r->flags & SMTPD_RF_ARG) && arg == NULL)
        server_note(l->chk, SERVER_NOTE_WARNING, l->ns, param,
                    "restriction %s requires domain name argument (it is "
                    "skipped)",
                    sv->v[*i]);
    else if (r->flags & SMTPD_RF_ARG)
        (*i)++;
    if (r->flags & SMTPD_RF_TABLE)
        scan_table(l, param, arg);
    if (r->flags & (SMTPD_RF_TABLE | SMTPD_RF_NUM))
        (*i)++;
    if (r->id >= R_AUTH_LOGIN_MISMATCH && r->id <= R_UNAUTH_LOGIN_MISMATCH &&
        !l->login_maps)
        server_note(l->chk, SERVER_NOTE_WARNING, l->ns, param,
                    "restriction %s without smtpd_sender_login_maps: no "
                    "sender has an owner, so it never rejects",
                    r->name);
    else if (r->id == R_TLS_CLIENTCERTS && l->ask_ccert)
        server_note(l->chk, SERVER_NOTE_ERROR, l->ns, param,
                    "restriction %s: Postern does not verify client "
                    "certificates, so it never permits",
                    r->name);
    else if (r->id == R_ETRN_ACCESS)
        server_note(l->chk, SERVER_NOTE_WARNING, l->ns, param,
                    "restriction %s: Postern answers every ETRN with 458",
                    r->name);
    if ((r->flags & SMTPD_RF_LAST) && *i + 1 < sv->n)
        server_note(l->chk, SERVER_NOTE_WARNING, l->ns, param,
                    "restriction `%s' after `%s' is ignored", sv->v[*i + 1],
                    r->name);
}

/* walk - every word of one list */
static void
walk(struct lint *l, const char *param, const char *list, const char *def_acl)
{
    struct strv sv;

    strv_init(&sv);
    server_split(list, &sv);
    for (size_t i = 0; i < sv.n; i++) {
        const char *w = sv.v[i];
        const struct smtpd_restr *r;

        if (strcasecmp(w, "warn_if_reject") == 0) {
            if (i + 1 == sv.n)
                server_note(l->chk, SERVER_NOTE_WARNING, l->ns, param,
                            "warn_if_reject at the end of the list has no "
                            "effect");
        } else if (strchr(w, ':')) {
            scan_table(l, param, w);
            if (def_acl && strcmp(def_acl, "-") != 0)
                server_note(l->chk, SERVER_NOTE_HONOURED, l->ns, param,
                            "bare table %s: an implicit %s", w, def_acl);
            else if (def_acl == NULL)
                server_note(l->chk, SERVER_NOTE_ERROR, l->ns, param,
                            "bare table %s: a table needs check_*_access "
                            "before it in this list (every client gets 451 "
                            "4.3.5 Server configuration error)",
                            w);
            /* "-": a class; its use decides, as in Postfix */
        } else if ((r = smtpd_restr_find(w)) != NULL) {
            one_name(l, param, r, &sv, &i);
        } else if (is_class(l, w)) {
            server_note(l->chk, SERVER_NOTE_HONOURED, l->ns, param,
                        "restriction class %s", w);
        } else {
            server_note(l->chk, SERVER_NOTE_ERROR, l->ns, param,
                        "unknown smtpd restriction \"%s\" (every client gets "
                        "451 4.3.5 Server configuration error)",
                        w);
        }
    }
    strv_fini(&sv);
}

/* codes - reply codes outside 400..599 become 450 4.7.1 at run time */
static void
codes(struct lint *l)
{
    static const char *const names[] = {"unknown_client_reject_code",
                                        "invalid_hostname_reject_code",
                                        "unknown_hostname_reject_code",
                                        "unknown_address_reject_code",
                                        "relay_domains_reject_code",
                                        "access_map_reject_code",
                                        "access_map_defer_code",
                                        "reject_code",
                                        "defer_code",
                                        "non_fqdn_reject_code",
                                        "unknown_local_recipient_reject_code",
                                        "multi_recipient_bounce_reject_code",
                                        "plaintext_reject_code"};
    static const char *const tf[] = {"unknown_address_tempfail_action",
                                     "unknown_helo_hostname_tempfail_action"};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char *v = value(l, names[i]);
        long n;

        if (v == NULL)
            continue;
        n = strtol(v, NULL, 10);
        if (n < 400 || n > 599)
            server_note(l->chk, SERVER_NOTE_WARNING, l->ns, names[i],
                        "SMTP reply code configuration error: %s (the reply "
                        "becomes 450 4.7.1 Service unavailable)",
                        v);
        mem_free(v);
    }
    for (size_t i = 0; i < 2; i++) {
        char *v = value(l, tf[i]);

        if (v && strcasecmp(v, "defer") != 0 &&
            strcasecmp(v, "defer_if_permit") != 0)
            server_note(l->chk, SERVER_NOTE_ERROR, l->ns, tf[i],
                        "bad configuration: %s = %s", tf[i], v);
        mem_free(v);
    }
}

void
smtpd_check_lint(struct pcf *conf, const char *ns,
                 const struct server_checker *chk)
{
    struct lint l;
    char *v;

    memset(&l, 0, sizeof(l));
    l.stage = -1;
    l.p = conf;
    l.ns = ns;
    l.chk = chk;
    l.sasl = server_conf_bool(conf, ns, "smtpd_sasl_auth_enable");
    v = server_conf_str(conf, ns, "smtpd_sender_login_maps");
    l.login_maps = *v != 0;
    mem_free(v);
    l.ask_ccert = server_conf_bool(conf, ns, "smtpd_tls_ask_ccert");
    strv_init(&l.classes);
    v = server_conf_str(conf, ns, "smtpd_restriction_classes");
    server_split(v, &l.classes);
    mem_free(v);
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
        if ((v = value(&l, lists[i].param)) == NULL)
            continue;
        /* the client, helo and sender lists run at their own commands */
        l.stage = i < 3 && !server_conf_bool(conf, ns, "smtpd_delay_reject")
                      ? (int) i
                      : -1;
        walk(&l, lists[i].param, v, lists[i].def_acl);
        l.stage = -1;
        mem_free(v);
    }
    for (size_t i = 0; i < l.classes.n; i++) {
        const char *name = l.classes.v[i];
        char *def = server_conf_str(conf, ns, name);

        v = NULL;
        if (*def == 0)
            server_note(chk, SERVER_NOTE_ERROR, ns, "smtpd_restriction_classes",
                        "restriction class `%s' needs a definition (smtpd "
                        "does not start)",
                        name);
        else if ((v = value(&l, name)) != NULL)
            walk(&l, name, v, "-");
        mem_free(v);
        mem_free(def);
    }
    codes(&l);
    for (size_t i = 0; i < sizeof(engine_params) / sizeof(engine_params[0]);
         i++) {
        int set = ns ? (v = value(&l, engine_params[i])) != NULL
                     : strcmp(pcf_source(conf, engine_params[i]), "default");

        if (set)
            server_note(chk, SERVER_NOTE_HONOURED, ns, engine_params[i],
                        "read by the smtpd restriction engine");
        if (ns)
            mem_free(v);
    }
    if ((v = value(&l, "smtpd_etrn_restrictions")) != NULL && *v)
        server_note(chk, SERVER_NOTE_WARNING, ns, "smtpd_etrn_restrictions",
                    "Postern answers every ETRN with 458 4.5.0: these "
                    "restrictions are never evaluated");
    mem_free(v);
    strv_fini(&l.classes);
}
