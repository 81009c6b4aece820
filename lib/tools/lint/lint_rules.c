/*
 * lint_rules - the rules of "postern lint".
 *
 * DESCRIPTION
 *	Each rule has a stable ID (PL0xx values, PL1xx names, PL2xx
 *	master.cf, PL3xx security), a default severity, and a page in
 *	docs/rules/ID.md. Checks read the files through lib/config/conf (for
 *exact positions) and the effective configuration through the postconf engine
 *(lib/config/pcf), so "known", "used" and "effective value" mean exactly what
 *they mean to Postfix.
 *
 *	This file holds the rule table, the helpers the rule files share
 *	and lint_check; the rules are in lint_values.c (PL0xx),
 *	lint_params.c (PL1xx), lint_master.c (PL2xx) and lint_security.c
 *	(PL3xx).
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

const struct report_rule lint_rules[] = {
    {"PL001", REPORT_ERROR, "invalid-value",
     "value is not valid for the parameter's type or range"},
    {"PL002", REPORT_ERROR, "unknown-table-type",
     "lookup table of a type Postfix does not know"},
    {"PL003", REPORT_WARNING, "table-source-missing",
     "file of a lookup table does not exist"},
    {"PL004", REPORT_WARNING, "table-index-stale",
     "indexed table file is missing or older than its source"},
    {"PL005", REPORT_ERROR, "unknown-restriction",
     "restriction name Postfix does not know"},
    {"PL006", REPORT_ERROR, "restriction-argument-missing",
     "restriction needs an argument that is missing"},
    {"PL007", REPORT_ERROR, "undefined-restriction-class",
     "restriction class listed but not defined"},
    {"PL008", REPORT_ERROR, "bad-network",
     "malformed address or network in a network list"},
    {"PL009", REPORT_ERROR, "bad-next-hop", "malformed next-hop destination"},
    {"PL010", REPORT_ERROR, "bad-interface",
     "malformed entry in inet_interfaces"},
    {"PL101", REPORT_WARNING, "unknown-parameter",
     "parameter name Postfix does not know (probably misspelled)"},
    {"PL102", REPORT_WARNING, "deprecated-parameter",
     "parameter is deprecated or renamed"},
    {"PL103", REPORT_WARNING, "newer-than-target",
     "parameter does not exist in the target Postfix version"},
    {"PL104", REPORT_WARNING, "undefined-macro",
     "$name refers to a parameter that is not defined"},
    {"PL105", REPORT_WARNING, "unused-parameter",
     "user-defined parameter that nothing uses"},
    {"PL106", REPORT_WARNING, "duplicate-assignment",
     "parameter assigned more than once"},
    {"PL107", REPORT_WARNING, "comment-after-value",
     "'#' after a value is part of the value, not a comment"},
    {"PL108", REPORT_ERROR, "template-leftover",
     "unexpanded template placeholder"},
    {"PL109", REPORT_WARNING, "read-only-parameter",
     "assignment to a read-only parameter is ignored"},
    {"PL110", REPORT_ERROR, "syntax-error", "line is not name = value"},
    {"PL111", REPORT_WARNING, "orphan-continuation",
     "indented text that continues nothing is ignored"},
    {"PL201", REPORT_ERROR, "master-syntax", "malformed master.cf entry"},
    {"PL202", REPORT_WARNING, "unknown-command",
     "master.cf command is not a Postfix program"},
    {"PL203", REPORT_ERROR, "duplicate-service",
     "the same service/type is defined twice"},
    {"PL204", REPORT_WARNING, "option-for-other-daemon",
     "-o parameter that this service's program does not read"},
    {"PL205", REPORT_WARNING, "option-undefined-macro",
     "-o value refers to an undefined $name"},
    {"PL206", REPORT_INFO, "chroot-service",
     "service runs chrooted: files it needs must exist in the jail"},
    {"PL207", REPORT_WARNING, "public-unix-service",
     "local socket open to every user on the host"},
    {"PL208", REPORT_WARNING, "unknown-option",
     "-o parameter Postfix does not know and nothing uses"},
    {"PL301", REPORT_ERROR, "open-relay", "restrictions let anyone relay"},
    {"PL302", REPORT_WARNING, "broad-mynetworks",
     "mynetworks trusts private or container networks"},
    {"PL303", REPORT_WARNING, "subnet-mynetworks",
     "mynetworks_style = subnet trusts whole interface networks"},
    {"PL304", REPORT_ERROR, "no-relay-protection",
     "no restriction stops unauthenticated relaying"},
    {"PL305", REPORT_WARNING, "smtp-smuggling",
     "bare newlines are accepted (SMTP smuggling)"},
    {"PL306", REPORT_WARNING, "weak-tls-protocols",
     "obsolete TLS/SSL protocol versions are allowed"},
    {"PL307", REPORT_WARNING, "weak-tls-ciphers",
     "export, low or NULL ciphers are allowed"},
    {"PL308", REPORT_WARNING, "auth-without-tls",
     "SMTP AUTH offered on port 25 without TLS"},
    {"PL309", REPORT_WARNING, "submission-plaintext-auth",
     "submission service allows AUTH before TLS"},
};
const size_t lint_nrules = sizeof(lint_rules) / sizeof(lint_rules[0]);

int
lint_in_list(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (strcmp(*list, s) == 0)
            return 1;
    return 0;
}

long
lint_version_parse(const char *v)
{
    long major = 0, minor = 0, patch = 0;
    char *end;

    if (v == NULL || !isdigit((unsigned char) *v))
        return -1;
    major = strtol(v, &end, 10);
    if (*end == '.') {
        minor = strtol(end + 1, &end, 10);
        if (*end == '.')
            patch = strtol(end + 1, &end, 10);
    }
    if (*end != 0)
        return -1;
    return major * 10000 + minor * 100 + patch;
}

/* lint_closest - the nearest name in list (edit distance 1, or 2 for long) */
const char *
lint_closest(const char *name, const char *const *list)
{
    size_t limit = strlen(name) >= 12 ? 2 : 1, best_d = limit + 1;
    const char *best = NULL;

    for (; *list; list++) {
        size_t d = str_distance(name, *list, limit);

        if (d < best_d) {
            best_d = d;
            best = *list;
        }
    }
    return best;
}

const char *
lint_closest_param(const char *name)
{
    size_t limit = strlen(name) >= 12 ? 2 : 1, best_d = limit + 1;
    const char *best = NULL;

    for (size_t i = 0; i < schema_param_count(); i++) {
        const char *n = schema_param_at(i)->name;
        size_t d = str_distance(name, n, limit);

        if (d < best_d) {
            best_d = d;
            best = n;
        }
    }
    return best;
}

/* lint_main_entry - the last main.cf assignment of name, or NULL */
const struct conf_entry *
lint_main_entry(struct lint_ctx *lc, const char *name)
{
    intptr_t i = (intptr_t) htab_find(lc->last, name);

    return i ? &lc->main_cf->ents[i - 1] : NULL;
}

/* lint_at_value - report a finding at the value of main.cf's name (or file) */
struct report_finding *
lint_at_value(struct lint_ctx *lc, const char *id, const char *name,
              size_t offset_in_value, const char *fmt, const char *a,
              const char *b, const char *c)
{
    const struct conf_entry *e = name ? lint_main_entry(lc, name) : NULL;
    int line = 0, col = 0;

    if (e) {
        const char *v = e->value.text;
        size_t vloff =
            (size_t) (strstr(e->text, v) ? strstr(e->text, v) - e->text : 0);

        if (offset_in_value > strlen(v))
            offset_in_value = 0;
        conf_entry_pos(e, vloff + offset_in_value, &line, &col);
    }
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#pragma GCC diagnostic ignored "-Wformat-security"
    return report_add(lc->r, id, -1, lc->main_file, line, col, fmt, a, b, c);
#pragma GCC diagnostic pop
}

struct report_finding *
lint_at_service(struct lint_ctx *lc, const char *id, size_t svc,
                const char *fmt, const char *a, const char *b, const char *c)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#pragma GCC diagnostic ignored "-Wformat-security"
    return report_add(lc->r, id, -1, lc->master_file,
                      pcf_service_line(lc->p, svc), 1, fmt, a, b, c);
#pragma GCC diagnostic pop
}

/* lint_tokens - split a list value as Postfix does ({} groups one token) */
void
lint_tokens(const char *value, struct strv *out)
{
    char *copy = mem_strdup(value), *cp = copy, *tok;

    strv_init(out);
    while ((tok = conf_tok_next(&cp, CONF_SEP_COMMA_SP)) != NULL)
        strv_add(out, tok);
    mem_free(copy);
}

struct undef_ctx {
    struct lint_ctx *lc;
    struct strv *names;
};

static const char *
undef_cb(const char *name, int mode, void *ctx)
{
    struct undef_ctx *uc = ctx;

    (void) mode;
    if (!pcf_is_known(uc->lc->p, name))
        strv_add(uc->names, name);
    return NULL;
}

void
lint_undefined_refs(struct lint_ctx *lc, const char *value, struct strv *out)
{
    struct undef_ctx uc = {lc, out};

    strv_init(out);
    log_set_quiet(1);
    (void) mac_expand(NULL, value, MAC_EXP_FLAG_SCAN, NULL, undef_cb, &uc);
    log_set_quiet(0);
}

void
lint_check(struct lint_ctx *lc)
{
    struct htab *classes = htab_new(16);
    char *rc = pcf_value(lc->p, "smtpd_restriction_classes");
    struct strv t;

    lint_tokens(rc ? rc : "", &t);
    for (size_t i = 0; i < t.n; i++)
        htab_set(classes, t.v[i], NULL);
    strv_fini(&t);
    mem_free(rc);
    lint_check_main(lc, classes);
    lint_check_master(lc);
    lint_check_security(lc);
    htab_free(classes, NULL);
}
