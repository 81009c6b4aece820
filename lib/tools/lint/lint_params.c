/*
 * lint_params - main.cf rules of "postern lint" (PL1xx).
 *
 * DESCRIPTION
 *	Each main.cf assignment (duplicates, comments after values,
 *	template leftovers), then each parameter's last assignment
 *	(renamed, unknown, read-only, too new, undefined $names, and the
 *	value rules of lint_values.c).
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lint/lint_int.h"
#include "mac/mac.h"

/* Renamed parameters that postconf still knows for compatibility. */
static const struct {
    const char *old, *new;
    const char *since;
} renamed[] = {
    {"authorized_verp_clients", "smtpd_authorized_verp_clients", "2.1"},
    {"fallback_relay", "smtp_fallback_relay", "2.3"},
    {"lmtp_per_record_deadline", "lmtp_per_request_deadline", "3.7"},
    {"postscreen_blacklist_action", "postscreen_denylist_action", "3.6"},
    {"postscreen_dnsbl_ttl", "postscreen_dnsbl_max_ttl", "3.1"},
    {"postscreen_dnsbl_whitelist_threshold",
     "postscreen_dnsbl_allowlist_threshold", "3.6"},
    {"postscreen_whitelist_interfaces", "postscreen_allowlist_interfaces",
     "3.6"},
    {"smtp_per_record_deadline", "smtp_per_request_deadline", "3.7"},
    {"smtpd_client_connection_limit_exceptions",
     "smtpd_client_event_limit_exceptions", "2.9"},
    {"smtpd_per_record_deadline", "smtpd_per_request_deadline", "3.7"},
    {"tlsproxy_client_level", "tlsproxy_client_security_level", "3.7"},
    {"tlsproxy_client_policy", "tlsproxy_client_policy_maps", "3.7"},
    {"virtual_maps", "virtual_alias_maps", "2.0"},
    {"smtp_tls_cipherlist", "smtp_tls_ciphers", "2.3"},
    {"smtpd_tls_cipherlist", "smtpd_tls_ciphers", "2.3"},
    {"lmtp_tls_cipherlist", "lmtp_tls_ciphers", "2.3"},
    {NULL, NULL, NULL},
};

/* template - text of a config generator left in a value */
static const char *
template_leftover(const char *s)
{
    const char *p;

    if ((p = strstr(s, "{{")) || (p = strstr(s, "{%")))
        return p;
    for (p = s; *p; p++) {
        if (*p == '@' && isupper((unsigned char) p[1])) {
            const char *q = p + 1;

            while (isupper((unsigned char) *q) || isdigit((unsigned char) *q) ||
                   *q == '_')
                q++;
            if (*q == '@')
                return p;
        }
        if ((p == s || !isalnum((unsigned char) p[-1])) &&
            strncmp(p, "PH_", 3) == 0 && isupper((unsigned char) p[3]))
            return p;
        if (p[0] == '$' && p[1] == '{' && isupper((unsigned char) p[2])) {
            const char *q = p + 2;

            while (isupper((unsigned char) *q) || isdigit((unsigned char) *q) ||
                   *q == '_')
                q++;
            if (*q == '}')
                return p;
        }
        if (p[0] == '%' && p[1] == '(')
            return p;
    }
    return NULL;
}

/* check_assignments - rules on each main.cf assignment as written */
static void
check_assignments(struct lint_ctx *lc)
{
    struct htab *first = htab_new(256);

    for (size_t i = 0; lc->main_cf && i < lc->main_cf->n; i++) {
        const struct conf_entry *e = &lc->main_cf->ents[i];
        const char *name, *value, *hash, *tpl;
        intptr_t prev;

        if (e->kind == CONF_ENT_ORPHAN) {
            report_add(lc->r, "PL111", -1, lc->main_file, e->first_line, 1,
                       "indented text with no parameter before it is ignored: "
                       "\"%.40s\"",
                       str_trim(e->text));
            continue;
        }
        if (e->kind != CONF_ENT_LOGICAL)
            continue;
        if (e->error) {
            report_add(lc->r, "PL110", -1, lc->main_file, e->first_line, 1,
                       "%s: \"%.60s\" (Postfix stops with a fatal error)",
                       e->error, e->text);
            continue;
        }
        name = e->name.text;
        value = e->value.text;
        if ((prev = (intptr_t) htab_find(first, name)) != 0) {
            const struct conf_entry *pe = &lc->main_cf->ents[prev - 1];
            int same = strcmp(pe->value.text, value) == 0;

            report_add(lc->r, "PL106", same ? REPORT_STYLE : REPORT_WARNING,
                       lc->main_file, e->name.line, e->name.col,
                       "%s is set again (first at line %d%s); the last "
                       "setting wins",
                       name, pe->name.line,
                       same ? ", same value" : ", different value");
        } else {
            htab_set(first, name, (void *) (intptr_t) (i + 1));
        }
        if ((hash = strchr(value, '#')) != NULL &&
            (hash == value || isspace((unsigned char) hash[-1])))
            report_add(lc->r, "PL107", -1, lc->main_file, e->value.line,
                       e->value.col + (int) (hash - value),
                       "%s: \"%s\" is part of the value: Postfix has no "
                       "comments after values; put it on its own line",
                       name, hash);
        if ((tpl = template_leftover(value)) != NULL ||
            (tpl = template_leftover(name)) != NULL) {
            size_t tl = strcspn(tpl, " \t,;");

            report_add(lc->r, "PL108", -1, lc->main_file, e->value.line,
                       e->value.col +
                           (tpl >= value && tpl < value + strlen(value)
                                ? (int) (tpl - value)
                                : 0),
                       "%s: template placeholder \"%.*s\" was never filled in",
                       name, (int) (tl > 60 ? 60 : tl), tpl);
        }
    }
    htab_free(first, NULL);
}

/* check_unknown - a main.cf name that neither the schema nor postconf knows */
static void
check_unknown(struct lint_ctx *lc, const char *name, const struct conf_entry *e)
{
    static const char *const std_services[] = {
        "smtp",  "relay",   "local", "virtual",  "lmtp", "error",
        "retry", "discard", "uucp",  "maildrop", NULL};
    const struct schema_family *fam;
    const char *hint;
    size_t svc_len = 0;
    char svc[128];

    if (pcf_is_known(lc->p, name))
        return;
    hint = lint_closest_param(name);
    fam = schema_family_match(name, &svc_len);

    if (fam && svc_len < sizeof(svc)) {
        memcpy(svc, name, svc_len);
        svc[svc_len] = 0;
        /* Without master.cf, assume Postfix's standard services. */
        if (lc->master_cf == NULL && lint_in_list(std_services, svc))
            return;
        report_add(lc->r, "PL105", -1, lc->main_file, e->name.line, e->name.col,
                   "%s would set %s for a master.cf service \"%s\", "
                   "but master.cf has no such service running a "
                   "delivery program (local, smtp, lmtp, virtual, "
                   "pipe or error); Postfix ignores it",
                   name, fam->suffix + 1, svc);
        return;
    }
    if (hint)
        report_add(lc->r, "PL101", -1, lc->main_file, e->name.line, e->name.col,
                   "unknown parameter %s (did you mean %s?); Postfix "
                   "ignores it",
                   name, hint);
    else
        report_add(lc->r, "PL105", -1, lc->main_file, e->name.line, e->name.col,
                   "%s is not a Postfix parameter and no setting uses "
                   "$%s or lists it in smtpd_restriction_classes; "
                   "Postfix ignores it",
                   name, name);
}

/* check_param - rules on the last assignment of one parameter */
static void
check_param(struct lint_ctx *lc, const char *name, struct htab *classes)
{
    const struct conf_entry *e = lint_main_entry(lc, name);
    const struct schema_param *sp = schema_param_find(name);
    const char *value = e->value.text;
    struct strv undef;
    char *eff = NULL;
    size_t r;

    for (r = 0; renamed[r].old; r++)
        if (strcmp(renamed[r].old, name) == 0)
            break;
    if (renamed[r].old) {
        report_add(lc->r, "PL102", -1, lc->main_file, e->name.line, e->name.col,
                   "%s was renamed to %s in Postfix %s%s", name, renamed[r].new,
                   renamed[r].since,
                   lc->o->fix ? "" : " (postern lint --fix renames it)");
    } else if (sp && (sp->deprecated || sp->removed)) {
        report_add(lc->r, "PL102", -1, lc->main_file, e->name.line, e->name.col,
                   "%s is %s since Postfix %s%s%s", name,
                   sp->removed ? "removed" : "deprecated",
                   sp->removed ? sp->removed : sp->deprecated,
                   sp->replacement ? "; use " : "",
                   sp->replacement ? sp->replacement : "");
    }
    if (sp == NULL && !renamed[r].old) {
        check_unknown(lc, name, e);
        return;
    }
    if (sp == NULL)
        return;
    if (sp->flags & SCHEMA_F_READONLY) {
        report_add(lc->r, "PL109", -1, lc->main_file, e->name.line, e->name.col,
                   "%s is read-only: Postfix ignores this setting", name);
        return;
    }
    if (sp->since && lc->o->target > 0 &&
        lint_version_parse(sp->since) > lc->o->target)
        report_add(lc->r, "PL103", -1, lc->main_file, e->name.line, e->name.col,
                   "%s appeared in Postfix %s; Postfix %s does not know it",
                   name, sp->since, lc->o->target_text);
    lint_undefined_refs(lc, value, &undef);
    for (size_t u = 0; u < undef.n; u++) {
        if (u > 0 && strcmp(undef.v[u], undef.v[u - 1]) == 0)
            continue;
        lint_at_value(lc, "PL104", name,
                      (size_t) (strstr(value, undef.v[u])
                                    ? strstr(value, undef.v[u]) - value - 1
                                    : 0),
                      "%s: $%s is not defined and expands to nothing", name,
                      undef.v[u], NULL);
    }
    strv_fini(&undef);
    if (sp->flags & SCHEMA_F_RAW)
        return;
    /* A placeholder is the cause; do not report its consequences. */
    if (template_leftover(value) != NULL)
        return;
    eff = pcf_value(lc->p, name);
    if (eff && strchr(eff, '$') == NULL) {
        struct buf why;

        buf_init(&why, 0);
        if (schema_value_check(sp, strchr(value, '$') ? eff : value, &why) < 0)
            lint_at_value(lc, "PL001", name, 0, "%s", buf_str(&why), NULL,
                          NULL);
        buf_fini(&why);
    }
    if (eff) {
        if (sp->type == SCHEMA_MAPS)
            lint_check_maps(lc, name);
        else if (sp->type == SCHEMA_RESTRICTIONS)
            lint_check_restrictions(lc, name, eff, classes);
        if (strcmp(name, "mynetworks") == 0 ||
            strcmp(name, "relay_domains") == 0) {
            int all;

            if (strcmp(name, "mynetworks") == 0)
                lint_check_networks(lc, name, eff, &all);
        }
        if (strcmp(name, "relayhost") == 0 ||
            strcmp(name, "smtp_fallback_relay") == 0 ||
            strcmp(name, "content_filter") == 0)
            lint_check_nexthop(
                lc, name,
                strcmp(name, "content_filter") == 0
                    ? (strchr(eff, ':') ? strchr(eff, ':') + 1 : "")
                    : eff);
        if (strcmp(name, "inet_interfaces") == 0)
            lint_check_interfaces(lc, eff);
    }
    mem_free(eff);
}

/* lint_check_main - rules on each main.cf assignment */
void
lint_check_main(struct lint_ctx *lc, struct htab *classes)
{
    check_assignments(lc);
    /* Per parameter (last assignment). */
    for (size_t k = 0; k < htab_count(lc->last); k++)
        check_param(lc, htab_key(lc->last, k), classes);
}
