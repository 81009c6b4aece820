/*
 * smtpd_conf - the SMTP server's configuration: smtpd_conf_load and
 * its parameter and list helpers, the banner, "postern check"'s relay
 * restriction test, and the preloading of every table before a chroot.
 *
 * Split out of smtpd.c: the configuration is read once per
 * process, apart from the per-session code.
 */
#define _DEFAULT_SOURCE 1 /* strcasecmp */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "maillog/maillog.h"
#include "maps/maps.h"
#include "pcf/pcf.h"
#include "rewrite/rewrite.h"
#include "server/server.h"
#include "smtpd/smtpd.h"
#include "smtpd/smtpd_int.h"

static void
list_param_raw(struct server *srv, const char *name, struct strv *sv)
{
    char *v = server_param(srv, name);

    strv_init(sv);
    server_split(v, sv);
    mem_free(v);
}

static void
list_param(struct smtpd_conf *cf, const char *name, struct strv *sv)
{
    list_param_raw(cf->srv, name, sv);
}

/* has_relay_check - Postfix's has_required(): through restriction
 * classes, not counting what follows warn_if_reject */
static int
has_relay_check(struct pcf *p, const char *svc, struct strv *sv, int depth)
{
    static const char *const ok[] = {"reject_unauth_destination",
                                     "defer_unauth_destination",
                                     "reject",
                                     "defer",
                                     "defer_if_permit",
                                     "check_relay_domains",
                                     NULL};
    char *classes = server_conf_str(p, svc, "smtpd_restriction_classes");
    struct strv cl;
    int found = 0;

    strv_init(&cl);
    server_split(classes, &cl);
    mem_free(classes);
    for (size_t i = 0; i < sv->n && !found; i++) {
        if (strcasecmp(sv->v[i], "warn_if_reject") == 0 && i + 1 < sv->n) {
            i++;
            continue;
        }
        for (int k = 0; ok[k] && !found; k++)
            found = strcasecmp(sv->v[i], ok[k]) == 0;
        for (size_t k = 0; k < cl.n && !found && depth < 10; k++)
            if (strcmp(cl.v[k], sv->v[i]) == 0) {
                char *def = server_conf_str(p, svc, cl.v[k]);
                struct strv d;

                strv_init(&d);
                server_split(def, &d);
                found = has_relay_check(p, svc, &d, depth + 1);
                strv_fini(&d);
                mem_free(def);
            }
    }
    strv_fini(&cl);
    return found;
}

int
smtpd_check_config(struct pcf *p, const char *svc, char *err,
                   unsigned long errlen)
{
    char *relay = server_conf_str(p, svc, "smtpd_relay_restrictions");
    char *rcpt = server_conf_str(p, svc, "smtpd_recipient_restrictions");
    struct strv a, b;
    int ok;

    strv_init(&a);
    strv_init(&b);
    server_split(relay, &a);
    server_split(rcpt, &b);
    ok = has_relay_check(p, svc, &a, 0) || has_relay_check(p, svc, &b, 0);
    strv_fini(&a);
    strv_fini(&b);
    mem_free(relay);
    mem_free(rcpt);
    if (!ok) {
        snprintf(err, errlen,
                 "in parameter smtpd_relay_restrictions or "
                 "smtpd_recipient_restrictions, specify at least one working "
                 "instance of: reject_unauth_destination, "
                 "defer_unauth_destination, reject, defer, defer_if_permit or "
                 "check_relay_domains");
        return -1;
    }
    return 0;
}

/* preload_list - the tables of one restriction list: after
 * check_*_access or bare (an implicit one); not a policy server or a
 * block list's domain */
static void
preload_list(struct smtpd_conf *cf, const struct strv *sv)
{
    for (size_t i = 0; i < sv->n; i++) {
        const struct smtpd_restr *r = smtpd_restr_find(sv->v[i]);

        if (r && (r->id == R_POLICY || (r->flags & SMTPD_RF_ARG))) {
            i++;
            continue;
        }
        if (strchr(sv->v[i], ':') &&
            htab_find(cf->access_cache, sv->v[i]) == NULL) {
            struct maps *m = maps_new("smtpd access table", sv->v[i], 0);

            if (maps_preload(m) < 0)
                log_warn("%s", maps_error(m));
            htab_set(cf->access_cache, sv->v[i], m);
        }
    }
}

/* preload - open every table now: after a chroot the files are gone */
static void
preload(struct smtpd_conf *cf)
{
    const struct strv *lists[] = {&cf->r_client, &cf->r_helo, &cf->r_sender,
                                  &cf->r_relay,  &cf->r_rcpt, &cf->r_data,
                                  &cf->r_eod};

    if (cf->local_rcpt_maps && maps_preload(cf->local_rcpt_maps) < 0)
        log_warn("%s", maps_error(cf->local_rcpt_maps));
    (void) maps_match_preload(cf->mynetworks);
    (void) maps_match_preload(cf->forbidden);
    (void) maps_match_preload(cf->flush_domains);
    for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++)
        preload_list(cf, lists[l]);
    for (size_t k = 0; k < htab_count(cf->classes); k++)
        preload_list(cf, htab_value(cf->classes, k));
}

char *
smtpd_mail_name(struct server *srv)
{
    if (strcmp(pcf_source(srv->conf, "mail_name"), "default") == 0)
        return mem_strdup("Postern");
    return server_param(srv, "mail_name");
}

char *
smtpd_banner_text(struct server *srv)
{
    char *v = server_param(srv, "smtpd_banner");
    char *global = server_conf_str(srv->conf, NULL, "smtpd_banner");
    int own = strcmp(v, global) != 0; /* -o smtpd_banner=... */

    mem_free(global);
    if (!own && strcmp(pcf_source(srv->conf, "smtpd_banner"), "default") == 0) {
        char *host = server_param(srv, "myhostname");
        char *name = smtpd_mail_name(srv);
        size_t n = strlen(host) + strlen(name) + 16;

        mem_free(v);
        v = mem_alloc(n);
        snprintf(v, n, "%s ESMTP %s", host, name);
        mem_free(host);
        mem_free(name);
    }
    return v;
}

/* smtpd_tls_level - smtpd_tls_security_level as Postfix's smtpd reads it:
 * 0 none, 1 may, 2 encrypt; verify, secure and fingerprint are encrypt
 * with Postfix's warning (before, they silently meant no TLS at all);
 * anything else (dane too) is fatal, as in Postfix */
static int
smtpd_tls_level(const char *v)
{
    if (*v == 0 || strcasecmp(v, "none") == 0)
        return 0;
    if (strcasecmp(v, "may") == 0)
        return 1;
    if (strcasecmp(v, "verify") == 0 || strcasecmp(v, "secure") == 0 ||
        strcasecmp(v, "fingerprint") == 0)
        log_warn("smtpd_tls_security_level: unsupported TLS level "
                 "\"%s\", using \"encrypt\"",
                 v);
    else if (strcasecmp(v, "encrypt") != 0)
        log_fatal("Invalid TLS level \"%s\"", v);
    return 2;
}

/* parent_matches - name is in parent_domain_matches_subdomains */
static int
parent_matches(struct server *srv, const char *name)
{
    struct strv sv;
    int hit = 0;

    list_param_raw(srv, "parent_domain_matches_subdomains", &sv);
    for (size_t i = 0; i < sv.n; i++)
        hit |= strcmp(sv.v[i], name) == 0;
    strv_fini(&sv);
    return hit;
}

struct smtpd_conf *
smtpd_conf_load(struct server *srv)
{
    struct smtpd_conf *cf = mem_calloc(1, sizeof(*cf));
    char *v;
    char err[600];

    cf->srv = srv;
    cf->rw = rewrite_new(srv->conf, srv->name_space);
    v = server_param(srv, "mynetworks");
    cf->mynetworks = maps_match_new("mynetworks", v, MAPS_MATCH_ADDR, 0);
    mem_free(v);
    v = server_param(srv, "smtpd_forbid_bare_newline_exclusions");
    cf->bare_nl_excl = maps_match_new("smtpd_forbid_bare_newline_exclusions", v,
                                      MAPS_MATCH_ADDR, 0);
    mem_free(v);
    v = server_param(srv, "smtpd_client_event_limit_exceptions");
    cf->event_excl = maps_match_new("smtpd_client_event_limit_exceptions", v,
                                    MAPS_MATCH_ADDR, 0);
    mem_free(v);
    v = server_param(srv, "smtpd_forbidden_commands");
    cf->forbidden =
        maps_match_new("smtpd_forbidden_commands", v, MAPS_MATCH_DOMAIN, 0);
    mem_free(v);
    v = server_param(srv, "fast_flush_domains");
    cf->flush_domains =
        maps_match_new("fast_flush_domains", v, MAPS_MATCH_DOMAIN,
                       parent_matches(srv, "fast_flush_domains"));
    mem_free(v);
    v = server_param(srv, "local_recipient_maps");
    cf->local_rcpt_maps = *v ? maps_new("local_recipient_maps", v, 0) : NULL;
    mem_free(v);
    list_param(cf, "smtpd_client_restrictions", &cf->r_client);
    list_param(cf, "smtpd_helo_restrictions", &cf->r_helo);
    list_param(cf, "smtpd_sender_restrictions", &cf->r_sender);
    list_param(cf, "smtpd_relay_restrictions", &cf->r_relay);
    list_param(cf, "smtpd_recipient_restrictions", &cf->r_rcpt);
    list_param(cf, "smtpd_data_restrictions", &cf->r_data);
    list_param(cf, "smtpd_end_of_data_restrictions", &cf->r_eod);
    smtpd_check_load(cf);
    smtpd_milter_load(cf);
    if (smtpd_check_config(srv->conf, srv->name_space, err, sizeof(err)) < 0)
        log_fatal("%s", err);
    cf->myhostname = server_param(srv, "myhostname");
    cf->mail_name = smtpd_mail_name(srv);
    cf->banner = smtpd_banner_text(srv);
    cf->recipient_delimiter = server_param(srv, "recipient_delimiter");
    cf->size_limit = server_param_size(srv, "message_size_limit");
    cf->rcpt_limit = server_param_int(srv, "smtpd_recipient_limit");
    cf->rcpt_overlim = server_param_int(srv, "smtpd_recipient_overshoot_limit");
    cf->timeout = server_param_time(srv, "smtpd_timeout");
    cf->cleanup_service = server_param(srv, "cleanup_service_name");
    cf->line_limit = server_param_int(srv, "line_length_limit");
    if (cf->line_limit < 512)
        cf->line_limit = 512;
    cf->conn_limit =
        server_param_int(srv, "smtpd_client_connection_count_limit");
    cf->hard_error_limit = server_param_int(srv, "smtpd_hard_error_limit");
    cf->soft_error_limit = server_param_int(srv, "smtpd_soft_error_limit");
    cf->error_sleep_ms =
        server_param_time(srv, "smtpd_error_sleep_time") * 1000;
    cf->junk_cmd_limit = server_param_int(srv, "smtpd_junk_command_limit");
    cf->delay_reject = server_param_bool(srv, "smtpd_delay_reject");
    cf->peername_lookup = server_param_bool(srv, "smtpd_peername_lookup");
    smtpd_haproxy_conf(cf, srv);
    cf->disable_vrfy = server_param_bool(srv, "disable_vrfy_command");
    /* a string in Postfix 3.7 (tls_log_mask: a level or names); the
     * level is what we use */
    v = server_param(srv, "smtpd_tls_loglevel");
    cf->tls_loglevel = (int) strtol(v, NULL, 10);
    mem_free(v);
    cf->strict_utf8 = server_param_bool(srv, "strict_smtputf8");
    cf->utf8_enable = server_param_bool(srv, "smtputf8_enable");
    cf->helo_required = server_param_bool(srv, "smtpd_helo_required");
    cf->allow_untrusted_routing =
        server_param_bool(srv, "allow_untrusted_routing");
    cf->double_bounce = server_param(srv, "double_bounce_sender");
    v = server_param(srv, "smtpd_forbid_bare_newline");
    cf->bare_nl = strcasecmp(v, "reject") == 0 || strcasecmp(v, "yes") == 0 ? 2
                  : strcasecmp(v, "normalize") == 0                         ? 1
                                                                            : 0;
    mem_free(v);
    cf->bare_nl_code =
        (int) server_param_int(srv, "smtpd_forbid_bare_newline_reject_code");
    cf->wrapper = server_param_bool(srv, "smtpd_tls_wrappermode");
    v = server_param(srv, "smtpd_tls_security_level");
    cf->tls_level = smtpd_tls_level(v);
    mem_free(v);
    if (cf->tls_level == 0 && server_param_bool(srv, "smtpd_use_tls"))
        cf->tls_level = 1;
    if (server_param_bool(srv, "smtpd_enforce_tls"))
        cf->tls_level = 2;
    if (cf->tls_level) {
        char *cert = server_param(srv, "smtpd_tls_cert_file");
        char *key = server_param(srv, "smtpd_tls_key_file");

        if (*cert == 0) {
            log_warn("smtpd_tls_security_level is set but "
                     "smtpd_tls_cert_file is empty: TLS is off");
            cf->tls_level = cf->tls_level == 2 ? 2 : 0;
        } else {
            cf->tls_ctx = smtpd_io_tls_ctx(srv, cf->tls_level == 2, cert, key,
                                           err, sizeof(err));
            if (cf->tls_ctx == NULL) {
                log_warn("%s", err);
                if (cf->tls_level == 1)
                    cf->tls_level = 0;
            }
        }
        mem_free(cert);
        mem_free(key);
    }
    cf->access_cache = htab_new(16);
    smtpd_sasl_conf_load(cf);
    preload(cf);
    return cf;
}
