/*
 * lint_security - security rules of "postern lint" (PL3xx).
 *
 * DESCRIPTION
 *	Open relay shapes in main.cf and each smtpd service, broad
 *	mynetworks, AUTH without TLS, SMTP smuggling, weak TLS.
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

static int
is_yes(const char *v)
{
    return v && strcasecmp(v, "yes") == 0;
}

/* restriction_list - the effective tokens of a restriction parameter */
static void
restriction_list(struct lint_ctx *lc, const char *scope, const char *name,
                 struct strv *out)
{
    char *v =
        scope ? pcf_service_value(lc->p, scope, name) : pcf_value(lc->p, name);

    lint_tokens(v ? v : "", out);
    mem_free(v);
}

static int
protects(const char *tok)
{
    static const char *const stop[] = {"reject_unauth_destination",
                                       "defer_unauth_destination",
                                       "reject",
                                       "defer",
                                       "defer_if_permit",
                                       "check_relay_domains",
                                       NULL};

    return lint_in_list(stop, tok);
}

/* check_relay - open relay shapes, for main.cf and each smtpd service */
static void
check_relay(struct lint_ctx *lc, const char *scope, int covers_all)
{
    static const char *const lists[] = {"smtpd_relay_restrictions",
                                        "smtpd_recipient_restrictions"};
    int protected = 0;

    for (int l = 0; l < 2; l++) {
        struct strv t;

        restriction_list(lc, scope, lists[l], &t);
        for (size_t i = 0; i < t.n; i++) {
            const char *tok = t.v[i];

            if (protects(tok)) {
                protected = 1;
                break;
            }
            if (strcmp(tok, "permit") == 0 ||
                (covers_all && strcmp(tok, "permit_mynetworks") == 0)) {
                if (scope) {
                    struct buf m;

                    buf_init(&m, 0);
                    buf_printf(
                        &m,
                        "%s: %s lets every client relay "
                        "(\"%s\" comes before any rule that stops relaying%s)",
                        scope, lists[l], tok,
                        covers_all ? ", and mynetworks covers every address"
                                   : "");
                    report_add(lc->r, "PL301", -1, lc->master_file, 0, 0, "%s",
                               buf_str(&m));
                    buf_fini(&m);
                } else {
                    lint_at_value(
                        lc, "PL301",
                        lint_main_entry(lc, lists[l]) ? lists[l] : "mynetworks",
                        0,
                        "%s lets every client relay (\"%s\" comes before any "
                        "rule that stops relaying)",
                        lists[l], tok, NULL);
                }
                protected = 1;
                break;
            }
            (void) i;
        }
        strv_fini(&t);
        if (protected)
            break;
    }
    if (!protected) {
        if (scope)
            report_add(
                lc->r, "PL304", -1, lc->master_file, 0, 0,
                "%s: neither smtpd_relay_restrictions nor "
                "smtpd_recipient_restrictions stops unauthenticated relaying "
                "(add reject_unauth_destination)",
                scope);
        else
            lint_at_value(
                lc, "PL304",
                lint_main_entry(lc, "smtpd_relay_restrictions")
                    ? "smtpd_relay_restrictions"
                    : "smtpd_recipient_restrictions",
                0,
                "neither smtpd_relay_restrictions nor "
                "smtpd_recipient_restrictions stops unauthenticated relaying "
                "(add reject_unauth_destination); Postfix refuses to start",
                NULL, NULL, NULL);
    }
}

/* allows_weak - does a *_tls_protocols value allow SSL or TLS < 1.2? */
static const char *
allows_weak(const char *v)
{
    static const char *const weak[] = {"SSLv2", "SSLv3", "TLSv1", "TLSv1.1",
                                       NULL};
    struct strv t;
    const char *found = NULL;
    int excluded[4] = {0, 0, 0, 0};
    int has_min = 0;

    lint_tokens(v, &t);
    for (size_t i = 0; i < t.n; i++) {
        const char *tok = t.v[i];

        if (str_has_prefix(tok, ">=")) {
            has_min = 1;
            for (int w = 0; weak[w]; w++)
                if (strcmp(tok + 2, weak[w]) == 0 && !found)
                    found = weak[w];
            if (strcmp(tok + 2, "TLSv1") == 0)
                found = "TLSv1";
        } else if (*tok == '!') {
            for (int w = 0; weak[w]; w++)
                if (strcmp(tok + 1, weak[w]) == 0)
                    excluded[w] = 1;
        } else {
            for (int w = 0; weak[w]; w++)
                if (strcmp(tok, weak[w]) == 0 && !found)
                    found = weak[w];
        }
    }
    strv_fini(&t);
    if (!has_min && !found) {
        for (int w = 0; weak[w]; w++)
            if (!excluded[w])
                return weak[w];
    }
    return found;
}

/* check_smtpd_service - relay and AUTH rules of one smtpd service */
static void
check_smtpd_service(struct lint_ctx *lc, size_t i, int covers_all)
{
    struct buf ns;
    char *auth, *tls_only, *wrapper, *level;
    const char *svc = pcf_service_field(lc->p, i, 0);

    if (strcmp(lint_program(lc, i), "smtpd") != 0)
        return;
    buf_init(&ns, 0);
    buf_printf(&ns, "%s/%s", svc, pcf_service_field(lc->p, i, 1));
    if (pcf_service_param(lc->p, i, "smtpd_relay_restrictions") ||
        pcf_service_param(lc->p, i, "smtpd_recipient_restrictions") ||
        pcf_service_param(lc->p, i, "mynetworks"))
        check_relay(lc, buf_str(&ns), covers_all);
    auth = pcf_service_value(lc->p, buf_str(&ns), "smtpd_sasl_auth_enable");
    tls_only = pcf_service_value(lc->p, buf_str(&ns), "smtpd_tls_auth_only");
    wrapper = pcf_service_value(lc->p, buf_str(&ns), "smtpd_tls_wrappermode");
    level = pcf_service_value(lc->p, buf_str(&ns), "smtpd_tls_security_level");
    if (is_yes(auth) && !is_yes(tls_only) && !is_yes(wrapper) &&
        !(level && strcmp(level, "encrypt") == 0)) {
        int port25 =
            strcmp(pcf_service_field(lc->p, i, 1), "inet") == 0 &&
            (strcmp(svc, "smtp") == 0 || str_has_suffix(svc, ":smtp") ||
             strcmp(svc, "25") == 0 || str_has_suffix(svc, ":25"));
        int submission = strstr(svc, "submission") || strcmp(svc, "587") == 0 ||
                         str_has_suffix(svc, ":587") ||
                         strcmp(svc, "smtps") == 0;

        if (port25)
            lint_at_service(
                lc, "PL308", i,
                "%s offers SMTP AUTH without requiring TLS first "
                "(smtpd_tls_auth_only = no): passwords can cross the "
                "network in clear text",
                buf_str(&ns), NULL, NULL);
        else if (submission)
            lint_at_service(lc, "PL309", i,
                            "%s: AUTH is allowed before STARTTLS; set -o "
                            "smtpd_tls_auth_only=yes or -o "
                            "smtpd_tls_security_level=encrypt",
                            buf_str(&ns), NULL, NULL);
    }
    mem_free(auth);
    mem_free(tls_only);
    mem_free(wrapper);
    mem_free(level);
    buf_fini(&ns);
}

/* check_tls - weak TLS protocols and ciphers */
static void
check_tls(struct lint_ctx *lc)
{
    char *v;

    static const char *const protos[] = {
        "smtpd_tls_protocols", "smtpd_tls_mandatory_protocols",
        "smtp_tls_protocols", "smtp_tls_mandatory_protocols", NULL};
    static const char *const ciphers[] = {
        "smtpd_tls_ciphers", "smtpd_tls_mandatory_ciphers", "smtp_tls_ciphers",
        "smtp_tls_mandatory_ciphers", NULL};

    for (int k = 0; protos[k]; k++) {
        const char *weak;

        if ((v = pcf_value(lc->p, protos[k])) == NULL)
            continue;
        if ((weak = allows_weak(v)) != NULL) {
            int set = lint_main_entry(lc, protos[k]) != NULL;
            struct report_finding *f = lint_at_value(
                lc, "PL306", set ? protos[k] : NULL, 0,
                "%s = %s allows %s; use >=TLSv1.2", protos[k], v,
                set ? weak : "TLSv1 and TLSv1.1 (Postfix's default)");

            if (!set)
                f->sev = REPORT_INFO;
        }
        mem_free(v);
    }
    for (int k = 0; ciphers[k]; k++) {
        if ((v = pcf_value(lc->p, ciphers[k])) == NULL)
            continue;
        if (strcmp(v, "export") == 0 || strcmp(v, "low") == 0 ||
            strcmp(v, "null") == 0)
            lint_at_value(
                lc, "PL307",
                lint_main_entry(lc, ciphers[k]) ? ciphers[k] : NULL, 0,
                "%s = %s allows ciphers that give no real protection; "
                "use medium or high",
                ciphers[k], v, NULL);
        mem_free(v);
    }
}

/* lint_check_security - relay, mynetworks, AUTH and TLS rules */
void
lint_check_security(struct lint_ctx *lc)
{
    int covers_all = 0;
    char *v;

    /* mynetworks that covers everything, and subnet style */
    if ((v = pcf_value(lc->p, "mynetworks")) != NULL) {
        struct strv t;
        unsigned char a[16];
        int len, v4;

        lint_tokens(v, &t);
        for (size_t i = 0; i < t.n; i++)
            if (lint_parse_net(t.v[i], a, &len, &v4) == 0 && len == 0)
                covers_all = 1;
        strv_fini(&t);
        mem_free(v);
    }
    if (!lint_main_entry(lc, "mynetworks")) {
        char *style = pcf_value(lc->p, "mynetworks_style");
        char *ifaces = pcf_value(lc->p, "inet_interfaces");

        if (style && strcmp(style, "subnet") == 0 && ifaces &&
            strstr(ifaces, "loopback-only") == NULL)
            lint_at_value(
                lc, "PL303",
                lint_main_entry(lc, "mynetworks_style") ? "mynetworks_style"
                                                        : NULL,
                0,
                "mynetworks is not set and mynetworks_style is subnet: "
                "every host on the networks of this server's interfaces "
                "(inet_interfaces = %s) may relay; set mynetworks "
                "explicitly",
                ifaces, NULL, NULL);
        mem_free(style);
        mem_free(ifaces);
    }
    check_relay(lc, NULL, covers_all);
    for (size_t i = 0; i < pcf_service_count(lc->p); i++)
        check_smtpd_service(lc, i, covers_all);
    if ((v = pcf_value(lc->p, "smtpd_forbid_bare_newline")) != NULL) {
        if (strcasecmp(v, "no") == 0)
            lint_at_value(
                lc, "PL305",
                lint_main_entry(lc, "smtpd_forbid_bare_newline")
                    ? "smtpd_forbid_bare_newline"
                    : NULL,
                0,
                "smtpd_forbid_bare_newline = no accepts bare <LF> line "
                "endings: SMTP smuggling (CVE-2023-51764); set it to "
                "normalize",
                NULL, NULL, NULL);
        mem_free(v);
    }
    check_tls(lc);
}
