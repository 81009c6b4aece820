/*
 * smtpd - the SMTP server.
 *
 * DESCRIPTION
 *	One process per connection at a time (Postfix's single-server
 *	model); master runs up to maxproc of them. A transaction gets its
 *	queue ID from cleanup at the first accepted RCPT (Postfix's
 *	smtpd_delay_open_until_valid_rcpt), streams the content there
 *	during DATA (dot-unstuffed, LF line ends, our Received: header
 *	first) and answers the end of data with cleanup's verdict, which
 *	comes only after the group commit.
 *
 *	End of data is only <CR><LF>.<CR><LF>. A "." line ended by a bare
 *	LF is content, so "\n.\n", "\n.\r\n" and "\r.\r" never end a
 *	message early (SMTP smuggling). smtpd_forbid_bare_newline = reject
 *	(or yes) refuses bare LF altogether, except for clients in
 *	smtpd_forbid_bare_newline_exclusions.
 *
 * DIAGNOSTICS
 *	Postfix's log lines: connect from, ID: client=, NOQUEUE: reject:,
 *	lost connection after, timeout after, disconnect from ... with
 *	per-command counts.
 */
#define _DEFAULT_SOURCE 1 /* strcasecmp, NI_MAXHOST */
#include "smtpd/smtpd.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cleanup/cleanup.h"
#include "maillog/maillog.h"
#include "maps/maps.h"
#include "pcf/pcf.h"
#include "rewrite/rewrite.h"
#include "server/server.h"
#include "smtpd/smtpd_int.h"

#define DATA_CHUNK 65536

/* struct smtpd_session.bdat */
#define BDAT_NONE  0 /* no chunk yet */
#define BDAT_OPEN  1 /* chunks on their way to cleanup */
#define BDAT_ERROR 2 /* a chunk was refused: the rest until LAST too */

/* ---- configuration ---- */

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
                maillog_warning("%s", maps_error(m));
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
        maillog_warning("%s", maps_error(cf->local_rcpt_maps));
    (void) maps_match_preload(cf->mynetworks);
    (void) maps_match_preload(cf->forbidden);
    (void) maps_match_preload(cf->flush_domains);
    for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++)
        preload_list(cf, lists[l]);
    for (size_t k = 0; k < htab_count(cf->classes); k++)
        preload_list(cf, htab_value(cf->classes, k));
}

static char *
mail_name(struct server *srv)
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
        char *name = mail_name(srv);
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
        maillog_warning("smtpd_tls_security_level: unsupported TLS level "
                        "\"%s\", using \"encrypt\"",
                        v);
    else if (strcasecmp(v, "encrypt") != 0)
        maillog_fatal("Invalid TLS level \"%s\"", v);
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
    if (smtpd_check_config(srv->conf, srv->name_space, err, sizeof(err)) < 0)
        maillog_fatal("%s", err);
    cf->myhostname = server_param(srv, "myhostname");
    cf->mail_name = mail_name(srv);
    cf->banner = smtpd_banner_text(srv);
    cf->recipient_delimiter = server_param(srv, "recipient_delimiter");
    cf->size_limit = server_param_size(srv, "message_size_limit");
    cf->rcpt_limit = server_param_int(srv, "smtpd_recipient_limit");
    cf->rcpt_overlim =
        server_param_int(srv, "smtpd_recipient_overshoot_limit");
    cf->timeout = server_param_time(srv, "smtpd_timeout");
    cf->line_limit = server_param_int(srv, "line_length_limit");
    if (cf->line_limit < 512)
        cf->line_limit = 512;
    cf->conn_limit =
        server_param_int(srv, "smtpd_client_connection_count_limit");
    cf->hard_error_limit = server_param_int(srv, "smtpd_hard_error_limit");
    cf->soft_error_limit = server_param_int(srv, "smtpd_soft_error_limit");
    cf->error_sleep_ms = server_param_time(srv, "smtpd_error_sleep_time") * 1000;
    cf->junk_cmd_limit = server_param_int(srv, "smtpd_junk_command_limit");
    cf->delay_reject = server_param_bool(srv, "smtpd_delay_reject");
    cf->peername_lookup = server_param_bool(srv, "smtpd_peername_lookup");
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
            maillog_warning("smtpd_tls_security_level is set but "
                            "smtpd_tls_cert_file is empty: TLS is off");
            cf->tls_level = cf->tls_level == 2 ? 2 : 0;
        } else {
            cf->tls_ctx = sio_tls_ctx(srv, cf->tls_level == 2, cert, key, err,
                                      sizeof(err));
            if (cf->tls_ctx == NULL) {
                maillog_warning("%s", err);
                if (cf->tls_level == 1)
                    cf->tls_level = 0;
            }
        }
        mem_free(cert);
        mem_free(key);
    }
    cf->access_cache = htab_new(16);
    preload(cf);
    return cf;
}

/* ---- helpers ---- */

static void
stat_count(struct smtpd_session *s, const char *name, int ok)
{
    int i;

    /* every failed command is an error (smtpd_hard_error_limit), as
     * Postfix counts each command action that fails */
    s->errors += ok == 0;
    for (i = 0; i < s->nstats; i++)
        if (strcmp(s->stats[i].name, name) == 0)
            break;
    if (i == s->nstats) {
        if (s->nstats >= 16)
            return;
        s->stats[s->nstats].name = name;
        s->stats[s->nstats].ok = s->stats[s->nstats].total = 0;
        s->nstats++;
    }
    s->stats[i].total++;
    s->stats[i].ok += ok != 0;
    s->cmds_total++;
    s->cmds_ok += ok != 0;
}

static void
reset_transaction(struct smtpd_session *s)
{
    if (s->cleanup_open)
        cleanup_client_abort(s->cc);
    s->cleanup_open = 0;
    s->have_mail = 0;
    mem_free(s->sender);
    s->sender = NULL;
    queue_env_fini(&s->env);
    queue_env_init(&s->env);
    s->id[0] = 0;
    s->size_param = 0;
    s->body_flags = 0;
    s->rcpt_count = 0;
    s->rcpt_overshoot = 0;
    mem_free(s->last_rcpt);
    s->last_rcpt = NULL;
    s->bdat = BDAT_NONE;
    s->bdat_raw = s->bdat_size = 0;
    s->bdat_cr = s->bdat_nl = 0;
}

const char *
smtpd_proto(const struct smtpd_session *s)
{
    int utf8 = (s->env.flags & QUEUE_F_SMTPUTF8) != 0;

    if (!s->esmtp)
        return "SMTP";
    if (s->tls)
        return utf8 ? "UTF8SMTPS" : "ESMTPS";
    return utf8 ? "UTF8SMTP" : "ESMTP";
}

/* log_reject - Postfix's "reject:" line; from= and to= show the
 * addresses as the client sent them (external form), as Postfix logs
 * them, not canonicalized; to: the internal form or NULL */
static void
log_reject(struct smtpd_session *s, const char *stage, const char *reply,
           const char *to)
{
    char *ext = to ? rewrite_quote(to) : NULL;

    maillog_reject(s->id[0] ? s->id : NULL, "reject", stage, s->namaddr, reply,
                   s->sender ? s->env.sender : NULL, ext, smtpd_proto(s), s->helo);
    mem_free(ext);
}

/* xtext_decode - RFC 3461 xtext; NULL on bad syntax */
static char *
xtext_decode(const char *x)
{
    struct buf b;

    buf_init(&b, 0);
    for (const char *p = x; *p; p++) {
        if (*p == '+') {
            unsigned v;

            if (!isxdigit((unsigned char) p[1]) ||
                !isxdigit((unsigned char) p[2]) ||
                sscanf(p + 1, "%2x", &v) != 1) {
                buf_fini(&b);
                return NULL;
            }
            (void) buf_putc(&b, (int) v);
            p += 2;
        } else if (*p < '!' || *p > '~' || *p == '=') {
            buf_fini(&b);
            return NULL;
        } else {
            (void) buf_putc(&b, *p);
        }
    }
    if (b.data == NULL)
        (void) buf_puts(&b, "");
    return buf_steal(&b);
}

/* parse_path - "FROM:<addr> params" after the keyword; the address in
 * *addr (caller frees), params in *rest; PATH_SYNTAX without the keyword
 * or an address ("501 5.5.4 Syntax: ..."), PATH_BAD_ADDR for a malformed
 * address ("501 5.1.7 Bad sender address syntax" / "501 5.1.3 Bad
 * recipient address syntax", as Postfix): an unterminated <, a space
 * outside quotes, or any control character (C0 or DEL, quoted or not:
 * they would reach Return-Path:, Delivered-To: and mbox From_ lines) */
#define PATH_SYNTAX   (-1)
#define PATH_BAD_ADDR (-2)
#define PATH_ILLEGAL  (-3) /* the same reply, and Postfix's warning */
struct path_tok {
    const char *p; /* the address as sent, <> included */
    int n;
};

static int
parse_path(const char *arg, const char *kw, char **addr, const char **rest,
           struct path_tok *tok)
{
    size_t kl = strlen(kw);
    const char *p = arg, *start, *end;
    int quoted = 0;

    *addr = NULL;
    tok->p = "";
    tok->n = 0;
    if (strncasecmp(p, kw, kl) != 0)
        return PATH_SYNTAX;
    p += kl;
    while (*p == ' ')
        p++;
    if (*p == 0)
        return PATH_SYNTAX;
    tok->p = p;
    for (const char *c = p; *c && *c != ' '; c++)
        if ((unsigned char) *c < ' ' || *c == 127)
            return PATH_BAD_ADDR;
    if (*p == '<') {
        start = ++p;
        while (*p && (quoted || *p != '>')) {
            if ((unsigned char) *p < ' ' || *p == 127)
                return PATH_BAD_ADDR;
            if (*p == '"')
                quoted = !quoted;
            else if (*p == '\\' && p[1])
                p++;
            p++;
        }
        if (*p != '>')
            return PATH_BAD_ADDR;
        end = p++;
        tok->n = (int) (p - tok->p);
        /* white space next to the brackets is allowed, not inside */
        while (start < end && *start == ' ')
            start++;
        while (end > start && end[-1] == ' ' && end[-2] != '\\')
            end--;
        quoted = 0;
        for (const char *c = start; c < end; c++) {
            if (*c == '\\' && c + 1 < end)
                c++;
            else if (*c == '"')
                quoted = !quoted;
            else if (*c == ' ' && !quoted)
                return PATH_ILLEGAL;
        }
    } else {
        start = p;
        while (*p && *p != ' ')
            p++;
        end = p;
        tok->n = (int) (p - tok->p);
    }
    if (*p && *p != ' ')
        return PATH_BAD_ADDR;
    while (*p == ' ')
        p++;
    *rest = p;
    /* @a,@b:user@domain -> user@domain */
    if (*start == '@') {
        const char *colon = memchr(start, ':', (size_t) (end - start));

        if (colon)
            start = colon + 1;
    }
    *addr = mem_strndup(start, (size_t) (end - start));
    return 0;
}

/* illegal_addr - Postfix's warning for an address that parses but is
 * not one (a space inside, an empty or malformed domain) */
static void
illegal_addr(struct smtpd_session *s, const char *cmd,
             const struct path_tok *tok)
{
    maillog_warning("Illegal address syntax from %s in %s command: %.*s",
                    s->namaddr, cmd, tok->n, tok->p);
}

/* allprint - printable ASCII only (Postfix's allprint for ENVID) */
static int
allprint(const char *s)
{
    for (; *s; s++)
        if ((unsigned char) *s < ' ' || (unsigned char) *s > '~')
            return 0;
    return 1;
}

/* has_ctrl - a control character (C0 or DEL) */
static int
has_ctrl(const char *s)
{
    for (; *s; s++)
        if ((unsigned char) *s < ' ' || *s == 127)
            return 1;
    return 0;
}

/* addr_error - the address as given resolves to a malformed one (bad
 * domain, empty domain): Postfix's smtpd_check_addr() */
static int
addr_error(struct smtpd_session *s, const char *internal)
{
    struct rewrite_result res;

    if (*internal == 0)
        return 0;
    if (smtpd_resolve(s, internal, &res) < 0)
        return 0; /* the restrictions report the table error */
    return (res.flags & REWRITE_FLAG_ERROR) != 0;
}

static int
has_8bit(const char *s)
{
    for (; *s; s++)
        if ((unsigned char) *s & 0x80)
            return 1;
    return 0;
}

/* stat_name - the disconnect line's name of a command (static) */
static const char *
stat_name(const char *cmd)
{
    static const char *const names[] = {"helo", "ehlo",     "mail", "rcpt",
                                        "data", "rset",     "noop", "vrfy",
                                        "etrn", "starttls", "auth", NULL};

    for (int i = 0; names[i]; i++)
        if (strcasecmp(cmd, names[i]) == 0)
            return names[i];
    return "unknown";
}

/* smtpd_session_run: where replies go when not to the client's fd */
static int session_out = -1;

/* ---- commands ---- */

/* size_param - MAIL's SIZE=value: digits only (501), and a value that
 * overflows is over "the file system imposed limit" (552), as in
 * Postfix; 0 ok, -1 replied */
static int
size_param(struct smtpd_session *s, const char *v)
{
    char *end;

    if (*v == 0 || strspn(v, "0123456789") != strlen(v)) {
        sio_printf(s->io, "501 5.5.4 Bad message size syntax");
        return -1;
    }
    errno = 0;
    s->size_param = strtol(v, &end, 10);
    if (errno == ERANGE) {
        s->size_param = 0;
        sio_printf(s->io, "552 5.3.4 Message size exceeds file system "
                          "imposed limit");
        return -1;
    }
    return 0;
}

static void
cmd_helo(struct smtpd_session *s, const char *arg, int ehlo)
{
    char reply[1200], *helo;

    if (*arg == 0) {
        sio_printf(s->io, "501 Syntax: %s hostname", ehlo ? "EHLO" : "HELO");
        stat_count(s, ehlo ? "ehlo" : "helo", 0);
        return;
    }
    helo = mem_strdup(arg);
    /* it goes into the Received: header: control characters and what
     * would end the "from NAME (" comment become '?', as Postfix's
     * printable() and neuter(NEUTER_CHARACTERS) do */
    for (char *p = helo; *p; p++)
        if ((unsigned char) *p < ' ' || *p == 127 || strchr(" <>()\\\";@", *p))
            *p = '?';
    if (!s->cf->delay_reject) {
        /* checked as the new name; a rejected HELO changes nothing, not
         * even the protocol, as in Postfix */
        char *old = s->helo;
        int rc;

        s->helo = helo;
        rc = smtpd_check_stage(s, SMTPD_ST_HELO, ehlo ? "EHLO" : "HELO",
                               reply, sizeof(reply));
        if (rc < 0)
            log_reject(s, ehlo ? "EHLO" : "HELO", reply, NULL);
        s->helo = old;
        if (rc < 0) {
            mem_free(helo);
            sio_printf(s->io, "%s", reply);
            stat_count(s, ehlo ? "ehlo" : "helo", 0);
            return;
        }
    }
    reset_transaction(s);
    mem_free(s->helo);
    s->helo = helo;
    s->esmtp = ehlo;
    stat_count(s, ehlo ? "ehlo" : "helo", 1);
    if (!ehlo) {
        sio_printf(s->io, "250 %s", s->cf->myhostname);
        return;
    }
    sio_printf(s->io, "250-%s", s->cf->myhostname);
    sio_printf(s->io, "250-PIPELINING");
    if (s->cf->size_limit > 0)
        sio_printf(s->io, "250-SIZE %ld", s->cf->size_limit);
    else
        sio_printf(s->io, "250-SIZE");
    if (!s->cf->disable_vrfy)
        sio_printf(s->io, "250-VRFY");
    sio_printf(s->io, "250-ETRN");
    if (s->cf->tls_ctx && !s->tls)
        sio_printf(s->io, "250-STARTTLS");
    sio_printf(s->io, "250-ENHANCEDSTATUSCODES");
    sio_printf(s->io, "250-8BITMIME");
    sio_printf(s->io, "250-DSN");
    if (s->cf->utf8_enable)
        sio_printf(s->io, "250-SMTPUTF8");
    sio_printf(s->io, "250 CHUNKING");
}

static void
cmd_mail(struct smtpd_session *s, const char *arg)
{
    char *addr = NULL, reply[1200];
    const char *rest;
    int seen_envid = 0;
    struct path_tok tok;

    if (s->have_mail) {
        sio_printf(s->io, "503 5.5.1 Error: nested MAIL command");
        goto bad;
    }
    if (s->cf->helo_required && s->helo == NULL) {
        sio_printf(s->io, "503 5.5.1 Error: send HELO/EHLO first");
        goto bad;
    }
    switch (parse_path(arg, "FROM:", &addr, &rest, &tok)) {
    case PATH_SYNTAX:
        sio_printf(s->io, "501 5.5.4 Syntax: MAIL FROM:<address>");
        goto bad;
    case PATH_ILLEGAL:
        illegal_addr(s, "MAIL", &tok);
        /* FALLTHROUGH */
    case PATH_BAD_ADDR:
        sio_printf(s->io, "501 5.1.7 Bad sender address syntax");
        goto bad;
    default: {
        char *internal = rewrite_unquote(addr);
        int err = addr_error(s, internal);

        mem_free(internal);
        if (err) {
            illegal_addr(s, "MAIL", &tok);
            sio_printf(s->io, "501 5.1.7 Bad sender address syntax");
            goto bad;
        }
        break;
    }
    }
    s->env.flags = 0;
    s->env.ret = 0;
    s->size_param = 0;
    queue_env_set(&s->env.envid, NULL);
    /* parameters, after HELO as well as after EHLO (as Postfix) */
    while (*rest) {
        char param[1024], sent[1024];
        size_t n = strcspn(rest, " ");
        char *eq;

        if (n >= sizeof(param)) {
            sio_printf(s->io, "501 5.5.4 Bad MAIL parameter syntax");
            goto bad;
        }
        memcpy(param, rest, n);
        param[n] = 0;
        memcpy(sent, param, n + 1); /* as sent, for the reply */
        rest += n;
        while (*rest == ' ')
            rest++;
        eq = strchr(param, '=');
        if (eq)
            *eq++ = 0;
        if (strcasecmp(param, "SIZE") == 0 && eq) {
            if (size_param(s, eq) < 0)
                goto bad;
        } else if (strcasecmp(param, "BODY") == 0 && eq &&
                   strcasecmp(eq, "8BITMIME") == 0) {
            s->env.flags |= QUEUE_F_8BITMIME;
        } else if (strcasecmp(param, "BODY") == 0 && eq &&
                   strcasecmp(eq, "7BIT") == 0) {
            s->env.flags &= ~QUEUE_F_8BITMIME;
        } else if (strcasecmp(param, "SMTPUTF8") == 0 && !eq &&
                   s->cf->utf8_enable) {
            s->env.flags |= QUEUE_F_SMTPUTF8;
        } else if (strcasecmp(param, "RET") == 0 && eq) {
            if (s->env.ret == 0 && strcasecmp(eq, "FULL") == 0)
                s->env.ret = QUEUE_RET_FULL;
            else if (s->env.ret == 0 && strcasecmp(eq, "HDRS") == 0)
                s->env.ret = QUEUE_RET_HDRS;
            else {
                sio_printf(s->io, "501 5.5.4 Bad RET parameter syntax");
                goto bad;
            }
        } else if (strcasecmp(param, "ENVID") == 0 && eq) {
            char *x = seen_envid++ ? NULL : xtext_decode(eq);

            if (x == NULL || strlen(x) > 100 || !allprint(x)) {
                mem_free(x);
                sio_printf(s->io, "501 5.5.4 Bad ENVID parameter syntax");
                goto bad;
            }
            queue_env_set(&s->env.envid, x);
            mem_free(x);
        } else if (strcasecmp(param, "AUTH") == 0 && eq) {
            /* no SASL here: ignored, as Postfix does for unauthenticated */
        } else {
            /* the whole "NAME=value" as sent, as Postfix shows it */
            sio_printf(s->io, "555 5.5.4 Unsupported option: %s", sent);
            goto bad;
        }
    }
    if (s->cf->size_limit > 0 && s->size_param > s->cf->size_limit) {
        sio_printf(s->io, "552 5.3.4 Message size exceeds fixed limit");
        maillog_reject(NULL, "reject", "MAIL", s->namaddr,
                       "552 5.3.4 Message size exceeds fixed limit", addr, NULL,
                       smtpd_proto(s), s->helo);
        goto bad;
    }
    /* strict_smtputf8 = no (Postfix's default) takes UTF-8 addresses
     * from clients that do not say SMTPUTF8 */
    if (s->cf->strict_utf8 && has_8bit(addr) &&
        !(s->env.flags & QUEUE_F_SMTPUTF8)) {
        sio_printf(s->io, "553 5.6.7 Must declare SMTPUTF8 to send unicode "
                          "address");
        goto bad;
    }
    s->sender = rewrite_canon(s->cf->rw, addr);
    queue_env_set(&s->env.sender, addr); /* as sent: what replies show */
    if (!s->cf->delay_reject &&
        smtpd_check_stage(s, SMTPD_ST_SENDER, NULL, reply, sizeof(reply)) < 0) {
        log_reject(s, "MAIL", reply, NULL);
        sio_printf(s->io, "%s", reply);
        mem_free(s->sender);
        s->sender = NULL;
        goto bad;
    }
    queue_env_set(&s->env.sender, addr);
    s->have_mail = 1;
    mem_free(addr);
    sio_printf(s->io, "250 2.1.0 Ok");
    stat_count(s, "mail", 1);
    return;
bad:
    mem_free(addr);
    stat_count(s, "mail", 0);
}

static void
cmd_rcpt(struct smtpd_session *s, const char *arg)
{
    char *addr = NULL, *canon = NULL, *orcpt = NULL, *shown = NULL;
    char reply[1200];
    const char *rest;
    struct path_tok tok;
    uint32_t notify = 0;

    if (!s->have_mail) {
        sio_printf(s->io, "503 5.5.1 Error: need MAIL command");
        goto bad;
    }
    if (s->bdat != BDAT_NONE) {
        sio_printf(s->io, "503 5.5.1 Error: RCPT after BDAT");
        goto bad;
    }
    switch (parse_path(arg, "TO:", &addr, &rest, &tok)) {
    case PATH_SYNTAX:
        sio_printf(s->io, "501 5.5.4 Syntax: RCPT TO:<address>");
        goto bad;
    case PATH_ILLEGAL:
        illegal_addr(s, "RCPT", &tok);
        /* FALLTHROUGH */
    case PATH_BAD_ADDR:
        sio_printf(s->io, "501 5.1.3 Bad recipient address syntax");
        goto bad;
    default:
        /* the internal (unquoted) form, as Postfix resolves and shows it */
        shown = rewrite_unquote(addr);
        mem_free(s->last_rcpt); /* DATA's reject line shows it, as Postfix */
        s->last_rcpt = mem_strdup(shown);
        if (*shown == 0 || addr_error(s, shown)) {
            illegal_addr(s, "RCPT", &tok);
            sio_printf(s->io, "501 5.1.3 Bad recipient address syntax");
            goto bad;
        }
        break;
    }
    if (s->cf->rcpt_limit > 0 && s->rcpt_count >= s->cf->rcpt_limit) {
        sio_printf(s->io, "452 4.5.3 Error: too many recipients");
        /* as Postfix: not an error until smtpd_recipient_overshoot_limit
         * (clients send the rest again in the next transaction) */
        if (s->rcpt_overshoot++ < s->cf->rcpt_overlim) {
            mem_free(addr);
            mem_free(shown);
            stat_count(s, "rcpt", 1);
            return;
        }
        goto bad;
    }
    /* parameters, after HELO as well as after EHLO (as Postfix) */
    while (*rest) {
        char param[1024], sent[1024];
        size_t n = strcspn(rest, " ");
        char *eq;

        if (n >= sizeof(param)) {
            sio_printf(s->io, "501 5.5.4 Bad RCPT parameter syntax");
            goto bad;
        }
        memcpy(param, rest, n);
        param[n] = 0;
        memcpy(sent, param, n + 1); /* as sent, for the reply */
        rest += n;
        while (*rest == ' ')
            rest++;
        eq = strchr(param, '=');
        if (eq)
            *eq++ = 0;
        if (strcasecmp(param, "NOTIFY") == 0 && eq) {
            char *save = NULL;

            if (notify != 0)
                notify = 0xff; /* given twice */
            for (char *w = strtok_r(eq, ",", &save); w;
                 w = strtok_r(NULL, ",", &save)) {
                if (strcasecmp(w, "NEVER") == 0)
                    notify |= QUEUE_NOTIFY_NEVER;
                else if (strcasecmp(w, "SUCCESS") == 0)
                    notify |= QUEUE_NOTIFY_SUCCESS;
                else if (strcasecmp(w, "FAILURE") == 0)
                    notify |= QUEUE_NOTIFY_FAILURE;
                else if (strcasecmp(w, "DELAY") == 0)
                    notify |= QUEUE_NOTIFY_DELAY;
                else {
                    maillog_warning("unknown DSN NOTIFY command value \"%s\" "
                                    "in \"%s\"",
                                    w, sent + 7);
                    notify = 0xff;
                }
                if (notify == 0xff)
                    break;
            }
            if (notify == 0xff || ((notify & QUEUE_NOTIFY_NEVER) &&
                                   notify != QUEUE_NOTIFY_NEVER)) {
                sio_printf(s->io, "501 5.5.4 Error: Bad NOTIFY parameter "
                                  "syntax");
                goto bad;
            }
        } else if (strcasecmp(param, "ORCPT") == 0 && eq) {
            char *semi = strchr(eq, ';');
            char *x = semi && orcpt == NULL ? xtext_decode(semi + 1) : NULL;

            if (x == NULL || semi == eq || has_ctrl(x)) {
                /* control characters would reach the DSN's
                 * Original-Recipient: header: refused (Postfix takes
                 * them and has its bounce service sanitize them) */
                mem_free(x);
                sio_printf(s->io, "501 5.5.4 Error: Bad ORCPT parameter "
                                  "syntax");
                goto bad;
            }
            *semi = 0;
            mem_free(orcpt);
            {
                size_t olen = strlen(eq) + strlen(x) + 2;

                orcpt = mem_alloc(olen);
                snprintf(orcpt, olen, "%s;%s", eq, x);
            }
            mem_free(x);
        } else {
            sio_printf(s->io, "555 5.5.4 Unsupported option: %s", sent);
            goto bad;
        }
    }
    if (s->cf->strict_utf8 && has_8bit(addr) &&
        !(s->env.flags & QUEUE_F_SMTPUTF8)) {
        sio_printf(s->io, "553 5.6.7 Must declare SMTPUTF8 to send unicode "
                          "address");
        goto bad;
    }
    canon = rewrite_canon(s->cf->rw, addr);
    if (smtpd_check_rcpt(s, canon, shown, reply, sizeof(reply)) < 0) {
        log_reject(s, "RCPT", reply, shown);
        sio_printf(s->io, "%s", reply);
        goto bad;
    }
    if (!s->cleanup_open) {
        if (cleanup_client_open(s->cc, 0, s->id) < 0) {
            maillog_warning("connect to cleanup service: %m");
            sio_printf(s->io, "451 4.3.0 Error: queue file write error");
            goto bad;
        }
        s->cleanup_open = 1;
        maillog_info("%s: client=%s", s->id, s->namaddr);
    }
    queue_env_add_rcpt(&s->env, addr, "", orcpt, notify);
    s->rcpt_count++;
    sio_printf(s->io, "250 2.1.5 Ok");
    stat_count(s, "rcpt", 1);
    mem_free(addr);
    mem_free(canon);
    mem_free(orcpt);
    mem_free(shown);
    return;
bad:
    mem_free(addr);
    mem_free(canon);
    mem_free(orcpt);
    mem_free(shown);
    stat_count(s, "rcpt", 0);
}

/* received - our Received: header, LF line ends */
static void
received(struct smtpd_session *s, struct buf *b)
{
    char date[80];
    time_t now = time(NULL);
    struct tm tm;
    const char *info = sio_tls_info(s->io);
    int v6 = strchr(s->addr, ':') != NULL;

    localtime_r(&now, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z (%Z)", &tm);
    (void) buf_printf(b, "Received: from %s (%s [%s%s])\n",
                      s->helo ? s->helo : s->name, s->name, v6 ? "IPv6:" : "",
                      s->addr);
    if (info)
        (void) buf_printf(b,
                          "\t(using %s)\n\t(No client certificate "
                          "requested)\n",
                          info);
    (void) buf_printf(b, "\tby %s (%s) with %s id %s", s->cf->myhostname,
                      s->cf->mail_name, smtpd_proto(s), s->id);
    if (s->env.nrcpt == 1)
        (void) buf_printf(b, "\n\tfor <%s>; %s\n", s->env.rcpt[0].addr, date);
    else
        (void) buf_printf(b, ";\n\t%s\n", date);
}

/* env_client - the client's part of the envelope, at DATA or the
 * first BDAT */
static void
env_client(struct smtpd_session *s)
{
    queue_env_set(&s->env.client_name, s->name);
    queue_env_set(&s->env.client_addr, s->addr);
    queue_env_set(&s->env.helo, s->helo);
    queue_env_set(&s->env.proto, smtpd_proto(s));
    s->env.arrival_us = queue_now_us();
}

/* cmd_data - returns -1 when the connection must end */
static int
cmd_data(struct smtpd_session *s)
{
    struct buf line, chunk;
    char reply[1200];
    int lf, mid = 0, too_big = 0, bare_reject = 0, rc, st, prev_crlf = 1;
    long size = 0;
    int exclude_bare;

    if (s->bdat != BDAT_NONE) {
        sio_printf(s->io, "503 5.5.1 Error: DATA after BDAT");
        stat_count(s, "data", 0);
        return 0;
    }
    if (!s->have_mail) {
        sio_printf(s->io, "503 5.5.1 Error: need RCPT command");
        stat_count(s, "data", 0);
        return 0;
    }
    if (s->env.nrcpt == 0) {
        sio_printf(s->io, "554 5.5.1 Error: no valid recipients");
        stat_count(s, "data", 0);
        return 0;
    }
    if (smtpd_check_data(s, reply, sizeof(reply)) < 0) {
        log_reject(s, "DATA", reply, s->last_rcpt);
        sio_printf(s->io, "%s", reply);
        stat_count(s, "data", 0);
        return 0;
    }
    /* envelope and our Received: header go first */
    env_client(s);
    buf_init(&chunk, 0);
    buf_init(&line, 0);
    received(s, &chunk);
    if (cleanup_client_env(s->cc, &s->env, NULL) < 0) {
        sio_printf(s->io, "451 4.3.0 Error: queue file write error");
        s->cleanup_open = 0;
        buf_fini(&chunk);
        buf_fini(&line);
        stat_count(s, "data", 0);
        return 0;
    }
    sio_printf(s->io, "354 End data with <CR><LF>.<CR><LF>");
    s->last_cmd = "DATA";
    exclude_bare = maps_match_addr(s->cf->bare_nl_excl, s->addr) == 1;
    for (;;) {
        const char *p;
        size_t n;

        rc = sio_read_view(s->io, &line, DATA_CHUNK, &lf, &p, &n);
        if (rc <= 0) {
            if (sio_timed_out(s->io))
                maillog_info("timeout after DATA (%ld bytes) from %s", size,
                             s->namaddr);
            else
                maillog_info("lost connection after DATA (%ld bytes) from %s",
                             size, s->namaddr);
            buf_fini(&line);
            buf_fini(&chunk);
            reset_transaction(s);
            stat_count(s, "data", 0);
            return -1;
        }
        if (!mid) {
            int bare = lf && (n < 2 || p[n - 2] != '\r');

            /* the one true end of data: CRLF "." CRLF */
            if (lf && n == 3 && prev_crlf && memcmp(p, ".\r\n", 3) == 0)
                break;
            if (bare && s->cf->bare_nl == 2 && !exclude_bare) {
                bare_reject = 1;
                break; /* answer now and hang up */
            }
            if (p[0] == '.' && !(bare && n == 2)) {
                p++;
                n--;
            }
        }
        if (lf) {
            n--; /* LF */
            prev_crlf = n > 0 && p[n - 1] == '\r';
            if (prev_crlf)
                n--;
        }
        mid = !lf;
        if (too_big || bare_reject)
            continue;
        size += (long) n + lf;
        if (s->cf->size_limit > 0 && size > s->cf->size_limit) {
            too_big = 1;
            continue;
        }
        (void) buf_append(&chunk, p, n);
        if (lf)
            (void) buf_putc(&chunk, '\n');
        if (chunk.len >= DATA_CHUNK) {
            if (cleanup_client_data(s->cc, chunk.data, chunk.len) < 0)
                s->cleanup_open = 0;
            buf_truncate(&chunk, 0);
        }
    }
    buf_fini(&line);
    s->last_cmd = "END-OF-MESSAGE";
    if (bare_reject) {
        snprintf(reply, sizeof(reply), "%d 5.5.2 %s Error: bare <LF> received",
                 s->cf->bare_nl_code, s->cf->myhostname);
        maillog_info("disallowed bare <LF> received from %s after DATA",
                     s->namaddr);
        sio_printf(s->io, "%s", reply);
        buf_fini(&chunk);
        reset_transaction(s);
        stat_count(s, "data", 0);
        return -1; /* Postfix disconnects too */
    }
    if (too_big) {
        sio_printf(s->io, "552 5.3.4 Error: message file too big");
        maillog_warning("%s: queue file size limit exceeded", s->id);
        buf_fini(&chunk);
        reset_transaction(s);
        stat_count(s, "data", 0);
        return 0;
    }
    if (s->cf->r_eod.n && smtpd_check_eod(s, reply, sizeof(reply)) < 0) {
        log_reject(s, "END-OF-MESSAGE", reply, NULL);
        sio_printf(s->io, "%s", reply);
        buf_fini(&chunk);
        reset_transaction(s);
        stat_count(s, "data", 0);
        return 0;
    }
    st = -1;
    if (s->cleanup_open &&
        (chunk.len == 0 ||
         cleanup_client_data(s->cc, chunk.data, chunk.len) == 0))
        st = cleanup_client_end(s->cc);
    buf_fini(&chunk);
    s->cleanup_open = 0;
    if (st == CLEANUP_STAT_OK) {
        sio_printf(s->io, "250 2.0.0 Ok: queued as %s", s->id);
        stat_count(s, "data", 1);
        /* a client that delivers mail is forgiven its errors (Postfix) */
        s->errors = 0;
        s->junk_cmds = 0;
    } else {
        sio_printf(
            s->io, "%s",
            cleanup_reply_text(st < 0 ? CLEANUP_STAT_WRITE : (unsigned) st));
        if (st < 0)
            maillog_warning("%s: lost connection with cleanup", s->id);
        stat_count(s, "data", 0);
    }
    reset_transaction(s);
    return 0;
}

/* cmd_vrfy - as Postfix: the recipient restrictions and the local
 * recipient check decide, "252" otherwise (never a promise) */
static void
cmd_vrfy(struct smtpd_session *s, char *arg)
{
    char reply[1200];
    char *addr, *shown, *canon, *sp;
    size_t n;

    if (s->cf->disable_vrfy) {
        sio_printf(s->io, "502 5.5.1 VRFY command is disabled");
        stat_count(s, "vrfy", 0);
        return;
    }
    if (*arg == 0) {
        sio_printf(s->io, "501 5.5.4 Syntax: VRFY address%s",
                   s->cf->utf8_enable ? " [SMTPUTF8]" : "");
        stat_count(s, "vrfy", 0);
        return;
    }
    /* "VRFY address SMTPUTF8": the option is not part of the address */
    if ((sp = strrchr(arg, ' ')) != NULL && strcasecmp(sp + 1, "SMTPUTF8") == 0)
        for (*sp = 0; sp > arg && sp[-1] == ' ';)
            *--sp = 0;
    n = strlen(arg);
    if (arg[0] == '<' && n > 1 && arg[n - 1] == '>')
        addr = mem_strndup(arg + 1, n - 2);
    else
        addr = mem_strdup(arg);
    shown = rewrite_unquote(addr);
    if (*shown == 0 || strchr(addr, ' ') != NULL) {
        /* Postfix's extract_addr(): an empty address, or more than one */
        struct path_tok tok = {arg, (int) strlen(arg)};

        illegal_addr(s, "VRFY", &tok);
        sio_printf(s->io, "501 5.1.3 Bad recipient address syntax");
        stat_count(s, "vrfy", 0);
    } else {
        canon = rewrite_canon(s->cf->rw, addr);
        if (smtpd_check_vrfy(s, canon, shown, reply, sizeof(reply)) < 0) {
            log_reject(s, "VRFY", reply, shown);
            sio_printf(s->io, "%s", reply);
            stat_count(s, "vrfy", 0);
        } else {
            sio_printf(s->io, "252 2.0.0 %s", arg);
            stat_count(s, "vrfy", 1);
        }
        mem_free(canon);
    }
    mem_free(shown);
    mem_free(addr);
}

/* cmd_etrn - Postfix's checks and replies (RFC 1985 codes, no enhanced
 * status codes); a domain of fast_flush_domains gets "458": Postern
 * has no fast flush service */
static void
cmd_etrn(struct smtpd_session *s, const char *arg)
{
    const char *d = arg;

    /* every outcome is a failed command: Postern answers no ETRN with 250 */
    stat_count(s, "etrn", 0);
    if (s->cf->helo_required && s->helo == NULL) {
        sio_printf(s->io, "503 Error: send HELO/EHLO first");
        return;
    }
    if (s->have_mail) {
        sio_printf(s->io, "503 Error: MAIL transaction in progress");
        return;
    }
    if (*arg == 0 || strchr(arg, ' ') != NULL) {
        sio_printf(s->io, "500 Syntax: ETRN domain");
        return;
    }
    if (!isalnum((unsigned char) *d))
        d++; /* "@domain", "#queue" */
    if (!rewrite_valid_hostname(d)) {
        sio_printf(s->io, "501 Error: invalid parameter syntax");
        return;
    }
    if (maps_match_domain(s->cf->flush_domains, d) != 1) {
        maillog_warning("reject: ETRN %.100s... from %s", d, s->namaddr);
        sio_printf(s->io, "459 <%s>: service unavailable", d);
        return;
    }
    maillog_warning("unable to talk to fast flush service");
    sio_printf(s->io, "458 Unable to queue messages");
}

/* check_pipelining - Postfix's "improper command pipelining" line,
 * once per session: input already waits after a command that must end
 * a group (RFC 2920: EHLO, HELO, DATA, NOOP, VRFY, QUIT...), or after
 * any command of a session without ESMTP */
static void
check_pipelining(struct smtpd_session *s, const char *cmd)
{
    static const char *const known[] = {
        "HELO", "EHLO", "MAIL", "RCPT", "DATA", "BDAT",     "RSET",
        "NOOP", "VRFY", "ETRN", "QUIT", "AUTH", "STARTTLS", NULL};
    static const char *const last[] = {"HELO", "EHLO", "DATA", "NOOP",
                                       "VRFY", "QUIT", NULL};
    const char *data;
    int more;
    size_t n = sio_peek(s->io, &data, &more);
    int k, l;
    struct buf esc;

    for (k = 0; known[k] && strcasecmp(cmd, known[k]) != 0; k++)
        ;
    for (l = 0; last[l] && strcasecmp(cmd, last[l]) != 0; l++)
        ;
    /* input waiting, buffered or still in the socket or the TLS layer
     * (Postfix's peekfd()) */
    if ((n == 0 && !more) || known[k] == NULL ||
        (s->esmtp && last[l] == NULL))
        return;
    s->ill_pipelining = 1;
    buf_init(&esc, 0);
    for (size_t i = 0; i < n && i < 100; i++) {
        unsigned char c = (unsigned char) data[i];

        if (c == '\r')
            (void) buf_puts(&esc, "\\r");
        else if (c == '\n')
            (void) buf_puts(&esc, "\\n");
        else if (c == '\t')
            (void) buf_puts(&esc, "\\t");
        else if (c == '\\')
            (void) buf_puts(&esc, "\\\\");
        else if (c < ' ' || c >= 127)
            (void) buf_printf(&esc, "\\%03o", c);
        else
            (void) buf_putc(&esc, c);
    }
    maillog_info("improper command pipelining after %s from %s: %s", known[k],
                 s->namaddr, esc.data ? esc.data : "");
    buf_fini(&esc);
}

/* tls_required - cmd needs TLS first (smtpd_tls_security_level =
 * encrypt, before STARTTLS): every command Postern knows except HELO,
 * EHLO, STARTTLS, NOOP and QUIT; the refusal is counted */
static int
tls_required(struct smtpd_session *s, const char *cmd)
{
    static const char *const gated[][2] = {
        {"MAIL", "mail"}, {"RCPT", "rcpt"}, {"DATA", "data"},
        {"BDAT", "bdat"}, {"RSET", "rset"}, {"VRFY", "vrfy"},
        {"ETRN", "etrn"}, {"AUTH", "auth"}, {NULL, NULL}};

    if (s->cf->tls_level != 2 || s->tls)
        return 0;
    for (int i = 0; gated[i][0]; i++)
        if (strcasecmp(cmd, gated[i][0]) == 0) {
            s->last_cmd = gated[i][0];
            stat_count(s, gated[i][1], 0);
            return 1;
        }
    return 0;
}

/* is_junk - a command a client may repeat without limit otherwise
 * (smtpd_junk_command_limit) */
static int
is_junk(const char *cmd)
{
    static const char *const junk[] = {"HELO", "EHLO", "RSET", "NOOP",
                                       "VRFY", "ETRN", NULL};

    for (int i = 0; junk[i]; i++)
        if (strcasecmp(cmd, junk[i]) == 0)
            return 1;
    return 0;
}

/* is_header - "Name:" opens the command: a mail header sent as one
 * (Postfix's is_header()) */
static int
is_header(const char *cmd)
{
    size_t n = strcspn(cmd, ":");

    if (n == 0 || cmd[n] != ':')
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char) cmd[i] <= ' ' || (unsigned char) cmd[i] >= 127)
            return 0;
    return 1;
}

/* bdat_skip - read and drop n bytes (a refused chunk); 0 or -1 */
static int
bdat_skip(struct smtpd_session *s, long n)
{
    while (n > 0) {
        const char *p;
        size_t got;

        if (sio_read_raw(s->io, (size_t) n, &p, &got) <= 0)
            return -1;
        n -= (long) got;
    }
    return 0;
}

/* bdat_pass - chunk bytes for cleanup with LF line ends: a CR right
 * before an LF goes, across chunks too; bdat_size counts CRLF line ends,
 * as the replies do */
static void
bdat_pass(struct smtpd_session *s, struct buf *out, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s->bdat_cr) {
            s->bdat_cr = 0;
            if (p[i] != '\n') {
                (void) buf_putc(out, '\r');
                s->bdat_size++;
                s->bdat_nl = 0;
            }
        }
        if (p[i] == '\r') {
            s->bdat_cr = 1;
            continue;
        }
        (void) buf_putc(out, p[i]);
        s->bdat_nl = p[i] == '\n';
        s->bdat_size += s->bdat_nl ? 2 : 1;
    }
}

/* bdat_refuse - why this chunk cannot be taken, or NULL (reply in
 * reply); the first chunk runs smtpd_data_restrictions, as Postfix */
static const char *
bdat_refuse(struct smtpd_session *s, long count, int last, char *reply,
            size_t len)
{
    if (s->env.nrcpt == 0)
        return "554 5.5.1 Error: no valid recipients";
    if (count == 0 && !last) {
        maillog_warning("%s: null BDAT request from %s", s->id, s->namaddr);
        return "551 5.7.1 Null BDAT request";
    }
    if (s->cf->size_limit > 0 && s->bdat_raw + count > s->cf->size_limit) {
        maillog_warning("%s: BDAT request from %s exceeds message size limit",
                        s->id, s->namaddr);
        return "552 5.3.4 Chunk exceeds message size limit";
    }
    if (s->bdat == BDAT_NONE && smtpd_check_data(s, reply, len) < 0) {
        log_reject(s, "BDAT", reply, s->last_rcpt);
        return reply;
    }
    return NULL;
}

static void
bdat_flush(struct smtpd_session *s, struct buf *out)
{
    if (out->len && s->cleanup_open &&
        cleanup_client_data(s->cc, out->data, out->len) < 0)
        s->cleanup_open = 0;
    buf_truncate(out, 0);
}

/* bdat_read - the chunk's bytes to cleanup; 0, or -1 when the client
 * is gone */
static int
bdat_read(struct smtpd_session *s, long count)
{
    struct buf out;
    int rc = 0;

    buf_init(&out, 0);
    if (s->bdat == BDAT_NONE) {
        env_client(s);
        received(s, &out);
        if (cleanup_client_env(s->cc, &s->env, NULL) < 0)
            s->cleanup_open = 0;
        s->bdat = BDAT_OPEN;
    }
    while (count > 0) {
        const char *p;
        size_t got;

        if (sio_read_raw(s->io, (size_t) count, &p, &got) <= 0) {
            rc = -1;
            break;
        }
        count -= (long) got;
        bdat_pass(s, &out, p, got);
        if (out.len >= DATA_CHUNK)
            bdat_flush(s, &out);
    }
    bdat_flush(s, &out);
    buf_fini(&out);
    return rc;
}

/* bdat_end - the LAST chunk is in: the end of the message */
static void
bdat_end(struct smtpd_session *s)
{
    int st = -1;
    char tail[3];
    size_t n = 0;

    if (s->bdat_cr) {
        tail[n++] = '\r';
        s->bdat_size++;
        s->bdat_nl = 0;
    }
    if (s->bdat_size > 0 && !s->bdat_nl) {
        tail[n++] = '\n'; /* the last line is ended, as Postfix does */
        s->bdat_size += 2;
    }
    s->last_cmd = "END-OF-MESSAGE";
    if (s->cleanup_open && (n == 0 || cleanup_client_data(s->cc, tail, n) == 0))
        st = cleanup_client_end(s->cc);
    s->cleanup_open = 0;
    if (st == CLEANUP_STAT_OK) {
        sio_printf(s->io, "250 2.0.0 Ok: %ld bytes queued as %s", s->bdat_size,
                   s->id);
        stat_count(s, "bdat", 1);
        s->errors = 0;
        s->junk_cmds = 0;
    } else {
        sio_printf(
            s->io, "%s",
            cleanup_reply_text(st < 0 ? CLEANUP_STAT_WRITE : (unsigned) st));
        if (st < 0)
            maillog_warning("%s: lost connection with cleanup", s->id);
        stat_count(s, "bdat", 0);
    }
    reset_transaction(s);
}

/* cmd_bdat - RFC 3030 chunks, as Postfix 3.7 answers them: a refused
 * chunk is read and dropped, and so is every chunk after it until
 * LAST; bad syntax ends the session (the chunk's size is unknown).
 * -1 when the connection must end */
static int
cmd_bdat(struct smtpd_session *s, char *arg, const char *raw)
{
    char *w[2] = {NULL, NULL}, *save = NULL, reply[1200];
    const char *why;
    int n = 0, last;
    long count = 0;

    for (char *t = strtok_r(arg, " ", &save); t; t = strtok_r(NULL, " ", &save))
        if (n++ < 2)
            w[n - 1] = t;
    errno = 0;
    if (n < 1 || n > 2 || strspn(w[0], "0123456789") != strlen(w[0]) ||
        (count = strtol(w[0], NULL, 10), errno == ERANGE) ||
        (n == 2 && strcasecmp(w[1], "LAST") != 0)) {
        maillog_warning("%s: malformed BDAT command syntax from %s: %.100s",
                        s->id[0] ? s->id : "NOQUEUE", s->namaddr, raw);
        sio_printf(s->io, "521 5.5.4 Syntax: BDAT count [LAST]");
        stat_count(s, "bdat", 0);
        return -1;
    }
    last = n == 2;
    if (!s->have_mail) {
        stat_count(s, "bdat", 0);
        sio_printf(s->io, "503 5.5.1 Error: need RCPT command");
        return bdat_skip(s, count);
    }
    if (s->bdat == BDAT_ERROR) {
        snprintf(reply, sizeof(reply),
                 "551 5.0.0 Discarded %ld bytes after earlier error", count);
        why = reply;
    } else {
        why = bdat_refuse(s, count, last, reply, sizeof(reply));
    }
    if (why) {
        stat_count(s, "bdat", 0);
        sio_printf(s->io, "%s", why);
        s->bdat = BDAT_ERROR;
        if (bdat_skip(s, count) < 0)
            return -1;
        if (last)
            reset_transaction(s);
        return 0;
    }
    if (bdat_read(s, count) < 0) {
        maillog_info("lost connection after BDAT from %s", s->namaddr);
        return -1;
    }
    s->bdat_raw += count;
    if (last) {
        bdat_end(s);
        return 0;
    }
    sio_printf(s->io, "250 2.0.0 Ok: %ld bytes", count);
    stat_count(s, "bdat", 1);
    return 0;
}

static int
cmd_starttls(struct smtpd_session *s)
{
    char err[300];

    if (s->tls) {
        sio_printf(s->io, "554 5.5.1 Error: TLS already active");
        stat_count(s, "starttls", 0);
        return 0;
    }
    if (s->cf->tls_ctx == NULL) {
        sio_printf(s->io, "502 5.5.1 Error: command not implemented");
        stat_count(s, "starttls", 0);
        return 0;
    }
    sio_printf(s->io, "220 2.0.0 Ready to start TLS");
    /* plaintext sent after STARTTLS must not count (CVE-2011-0411) */
    sio_discard_input(s->io);
    switch (sio_starttls(s->io, s->cf->tls_ctx, err, sizeof(err))) {
    case SIO_TLS_LOST:
        /* the client left during the handshake: Postfix's wording */
        maillog_info("SSL_accept error from %s: lost connection", s->namaddr);
        stat_count(s, "starttls", 0);
        return -1;
    case SIO_TLS_ERROR:
        maillog_warning("TLS library problem: %s from %s", err, s->namaddr);
        stat_count(s, "starttls", 0);
        return -1;
    default:
        break;
    }
    s->tls = 1;
    /* smtpd_tls_loglevel = 0 (the default) logs no summary, as Postfix */
    if (s->cf->tls_loglevel >= 1)
        maillog_info("Anonymous TLS connection established from %s: %s",
                     s->namaddr, sio_tls_summary(s->io, err, sizeof(err)));
    reset_transaction(s);
    mem_free(s->helo);
    s->helo = NULL;
    s->esmtp = 0;
    stat_count(s, "starttls", 1);
    return 0;
}

/* ---- the session ---- */

/* peer_names - the client's forward-confirmed name (blocking DNS; in a
 * thread when sessions share the process) */
struct peer_lookup {
    struct sockaddr_storage ss;
    socklen_t len;
    const char *addr;
    char name[NI_MAXHOST];
    int ok;
    int rev_status, name_status; /* SMTPD_PEER_*, for the restrictions */
};

/* peer_err - a resolver error as Postfix's TEMP_AI_ERROR() sorts it */
static int
peer_err(int aierr)
{
    return aierr == EAI_AGAIN || aierr == EAI_MEMORY || aierr == EAI_SYSTEM
               ? SMTPD_PEER_TEMP
               : SMTPD_PEER_PERM;
}

static void
peer_names(void *arg)
{
    struct peer_lookup *pl = arg;
    struct addrinfo hints, *res = NULL, *ai;

    int rc;

    pl->ok = 0;
    rc = getnameinfo((struct sockaddr *) &pl->ss, pl->len, pl->name,
                     sizeof(pl->name), NULL, 0, NI_NAMEREQD);
    if (rc != 0) {
        pl->rev_status = pl->name_status = peer_err(rc);
        return;
    }
    pl->rev_status = SMTPD_PEER_OK;
    /* forward-confirmed only, as Postfix */
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = pl->ss.ss_family;
    if ((rc = getaddrinfo(pl->name, NULL, &hints, &res)) != 0) {
        pl->name_status = rc == EAI_AGAIN ? SMTPD_PEER_TEMP : SMTPD_PEER_FORGED;
        return;
    }
    for (ai = res; ai && !pl->ok; ai = ai->ai_next) {
        char a[NI_MAXHOST];

        if (getnameinfo(ai->ai_addr, ai->ai_addrlen, a, sizeof(a), NULL, 0,
                        NI_NUMERICHOST) == 0)
            pl->ok = strcmp(a, pl->addr) == 0 ||
                     (strncmp(a, "::ffff:", 7) == 0 &&
                      strcmp(a + 7, pl->addr) == 0);
    }
    freeaddrinfo(res);
    pl->name_status = pl->ok ? SMTPD_PEER_OK : SMTPD_PEER_FORGED;
}

static void
peer(struct smtpd_session *s, int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    snprintf(s->addr, sizeof(s->addr), "unknown");
    snprintf(s->name, sizeof(s->name), "unknown");
    snprintf(s->reverse_name, sizeof(s->reverse_name), "unknown");
    s->name_status = s->reverse_status = SMTPD_PEER_PERM;
    if (fd == 0 && getpeername(fd, (struct sockaddr *) &ss, &len) < 0 &&
        errno == ENOTSOCK) {
        /* sendmail -bs: the local user */
        snprintf(s->addr, sizeof(s->addr), "127.0.0.1");
        snprintf(s->name, sizeof(s->name), "localhost");
        snprintf(s->reverse_name, sizeof(s->reverse_name), "localhost");
        s->name_status = s->reverse_status = SMTPD_PEER_OK;
    } else if (getpeername(fd, (struct sockaddr *) &ss, &len) == 0) {
        struct sockaddr_storage me;
        socklen_t melen = sizeof(me);

        getnameinfo((struct sockaddr *) &ss, len, s->addr, sizeof(s->addr),
                    s->port, sizeof(s->port), NI_NUMERICHOST | NI_NUMERICSERV);
        if (strncmp(s->addr, "::ffff:", 7) == 0 && strchr(s->addr, '.'))
            memmove(s->addr, s->addr + 7, strlen(s->addr + 7) + 1);
        /* the server end, for policy services */
        if (getsockname(fd, (struct sockaddr *) &me, &melen) == 0)
            getnameinfo((struct sockaddr *) &me, melen, s->server_addr,
                        sizeof(s->server_addr), s->server_port,
                        sizeof(s->server_port), NI_NUMERICHOST | NI_NUMERICSERV);
        if (strncmp(s->server_addr, "::ffff:", 7) == 0 &&
            strchr(s->server_addr, '.'))
            memmove(s->server_addr, s->server_addr + 7,
                    strlen(s->server_addr + 7) + 1);
        if (s->cf->peername_lookup) {
            struct peer_lookup *pl = mem_alloc(sizeof(*pl));

            memcpy(&pl->ss, &ss, sizeof(ss));
            pl->len = len;
            pl->addr = s->addr;
            (void) co_offload(peer_names, pl);
            if (pl->ok)
                snprintf(s->name, sizeof(s->name), "%.255s", pl->name);
            if (pl->rev_status == SMTPD_PEER_OK)
                snprintf(s->reverse_name, sizeof(s->reverse_name), "%.255s",
                         pl->name);
            s->name_status = pl->name_status;
            s->reverse_status = pl->rev_status;
            mem_free(pl);
        }
    }
    snprintf(s->namaddr, sizeof(s->namaddr), "%s[%s]", s->name, s->addr);
}

/* too_many - smtpd_client_connection_count_limit over all siblings */
static int
too_many(struct smtpd_session *s)
{
    struct server *srv = s->cf->srv;
    long count = 0;

    if (srv->shm == NULL)
        return 0;
    snprintf(srv->shm[srv->slot].client_addr,
             sizeof(srv->shm[srv->slot].client_addr), "%s", s->addr);
    if (s->cf->conn_limit <= 0 ||
        maps_match_addr(s->cf->event_excl, s->addr) == 1)
        return 0;
    for (unsigned i = 0; i < srv->nslots; i++)
        count += strcmp(srv->shm[i].client_addr, s->addr) == 0;
    if (count > s->cf->conn_limit) {
        maillog_warning("Connection concurrency limit exceeded: %ld from %s "
                        "for service %s",
                        count, s->namaddr, srv->service);
        return 1;
    }
    return 0;
}

/* stats_sort - the order of Postfix's command table, as its
 * "disconnect from" line lists them */
static int
stat_rank(const char *name)
{
    static const char *const order[] = {
        "helo", "ehlo", "xclient", "xforward", "starttls", "auth",
        "mail", "rcpt", "data",    "bdat",     "rset",     "noop",
        "vrfy", "etrn", "quit",    "unknown",  NULL};
    int i;

    for (i = 0; order[i] && strcmp(order[i], name) != 0; i++)
        ;
    return i;
}

static void
stats_sort(struct smtpd_session *s)
{
    for (int i = 1; i < s->nstats; i++)
        for (int j = i; j > 0 && stat_rank(s->stats[j - 1].name) >
                                     stat_rank(s->stats[j].name);
             j--) {
            struct smtpd_cmdstat t = s->stats[j];

            s->stats[j] = s->stats[j - 1];
            s->stats[j - 1] = t;
        }
}

static void
disconnect_log(struct smtpd_session *s)
{
    char line[600];
    size_t n = 0;

    line[0] = 0;
    stats_sort(s);
    for (int i = 0; i < s->nstats && n < sizeof(line); i++) {
        if (s->stats[i].ok == s->stats[i].total)
            n += (size_t) snprintf(line + n, sizeof(line) - n, " %s=%u",
                                   s->stats[i].name, s->stats[i].ok);
        else
            n += (size_t) snprintf(line + n, sizeof(line) - n, " %s=%u/%u",
                                   s->stats[i].name, s->stats[i].ok,
                                   s->stats[i].total);
    }
    if (n < sizeof(line)) {
        if (s->cmds_ok == s->cmds_total && s->cmds_total > 0)
            snprintf(line + n, sizeof(line) - n, " commands=%u", s->cmds_ok);
        else
            snprintf(line + n, sizeof(line) - n, " commands=%u/%u", s->cmds_ok,
                     s->cmds_total);
    }
    maillog_info("disconnect from %s%s", s->namaddr, line);
}

/* cleanup connections: one per session at a time, kept for the next
 * (a process serves one session, or several as coroutines) */
static struct cleanup_client *cc_spare[SMTPD_SESSIONS_PER_PROCESS];
static int ncc_spare;

static struct cleanup_client *
cc_get(const struct smtpd_conf *cf)
{
    if (ncc_spare > 0)
        return cc_spare[--ncc_spare];
    return cleanup_client_new("cleanup", (int) cf->timeout);
}

static void
cc_put(struct cleanup_client *cc)
{
    if (ncc_spare < SMTPD_SESSIONS_PER_PROCESS)
        cc_spare[ncc_spare++] = cc;
    else
        cleanup_client_free(cc);
}

static void
session(struct server *srv, int fd, void *ctx)
{
    struct smtpd_conf *cf = ctx;
    struct smtpd_session *s = mem_calloc(1, sizeof(*s));
    const struct server_handoff *h = srv->handoff; /* from the front */
    struct buf line, spill;
    char reply[1200], raw[101];

    s->cf = cf;
    s->cc = cc_get(cf);
    queue_env_init(&s->env);
    peer(s, fd);
    s->in_mynetworks = maps_match_addr(cf->mynetworks, s->addr);
    s->io = sio_new(fd, (int) cf->timeout, h ? (int) h->timeout : 0,
                    h && (h->flags & SERVER_HANDOFF_NONBLOCK));
    if (session_out >= 0)
        sio_set_output(s->io, session_out); /* smtpd_session_run */
    else if (fd == 0)
        sio_set_output(s->io, 1); /* sendmail -bs */
    if (h && h->len)
        sio_preload(s->io, h->data, h->len); /* read by the front */
    s->last_cmd = "CONNECT";
    buf_init(&line, 0);
    buf_init(&spill, 0);
    maillog_info("connect from %s", s->namaddr);
    /* handed off by a front: it already refused clients over the limits */
    if (h == NULL && too_many(s)) {
        sio_printf(s->io, "421 4.7.0 %s Error: too many connections from %s",
                   cf->myhostname, s->addr);
        (void) sio_flush(s->io);
        goto done;
    }
    if (h && (h->flags & SERVER_HANDOFF_TIMEOUT)) {
        /* greeted by the front, then silent for smtpd_timeout */
        sio_printf(s->io, "421 4.4.2 %s Error: timeout exceeded",
                   cf->myhostname);
        (void) sio_flush(s->io);
        maillog_info("timeout after %s from %s", s->last_cmd, s->namaddr);
        goto done;
    }
    if (h && (h->flags & SERVER_HANDOFF_GREETED))
        goto greeted;
    if (!cf->delay_reject &&
        smtpd_check_stage(s, SMTPD_ST_CLIENT, NULL, reply, sizeof(reply)) < 0) {
        /* the reply instead of the greeting; then every command but
         * QUIT gets 503, as in Postfix */
        log_reject(s, "CONNECT", reply, NULL);
        sio_printf(s->io, "%s", reply);
        s->access_denied = 1;
        s->errors++;
    } else {
        sio_printf(s->io, "220 %s", cf->banner);
    }
greeted:
    while (!s->quit) {
        int lf, rc;
        char *cmd, *arg;
        size_t n;

        if (server_terminating() && !sio_pending(s->io)) {
            sio_printf(s->io, "421 4.3.2 %s Service shutting down",
                       cf->myhostname);
            (void) sio_flush(s->io);
            break;
        }
        sio_interruptible(s->io, 1);
        rc = sio_read_line(s->io, &line, (size_t) cf->line_limit, &lf);
        sio_interruptible(s->io, 0);
        if (rc <= 0) {
            if (sio_stopped(s->io)) {
                sio_printf(s->io, "421 4.3.2 %s Service shutting down",
                           cf->myhostname);
                (void) sio_flush(s->io);
                maillog_info("stop after %s from %s", s->last_cmd, s->namaddr);
            } else if (sio_timed_out(s->io)) {
                sio_printf(s->io, "421 4.4.2 %s Error: timeout exceeded",
                           cf->myhostname);
                (void) sio_flush(s->io);
                maillog_info("timeout after %s from %s", s->last_cmd,
                             s->namaddr);
            } else if (strcmp(s->last_cmd, "END-OF-MESSAGE") != 0) {
                /* a client that hangs up after the end of data is not
                 * worth a line (Postfix skips it too) */
                maillog_info("lost connection after %s from %s", s->last_cmd,
                             s->namaddr);
            }
            break;
        }
        if (!lf) {
            /* too long: the rest of the line is dropped and the first
             * line_length_limit bytes are the command, as in Postfix */
            int eol = 0;

            maillog_warning("%s: request longer than %ld: %.30s...", s->namaddr,
                            cf->line_limit, line.data);
            do
                rc =
                    sio_read_line(s->io, &spill, (size_t) cf->line_limit, &eol);
            while (rc > 0 && !eol);
        }
        n = line.len;
        if (lf && cf->bare_nl == 2 && (n < 2 || line.data[n - 2] != '\r') &&
            maps_match_addr(cf->bare_nl_excl, s->addr) != 1) {
            sio_printf(s->io, "%d 5.5.2 %s Error: bare <LF> received",
                       cf->bare_nl_code, cf->myhostname);
            (void) sio_flush(s->io);
            maillog_info("disallowed bare <LF> received from %s after %s",
                         s->namaddr, s->last_cmd);
            break;
        }
        while (n > 0 && (line.data[n - 1] == '\n' || line.data[n - 1] == '\r'))
            n--;
        line.data[n] = 0;
        /* a NUL ends the command, as in Postfix (MAIL FROM:<a\0b> is
         * then an unterminated address); a TAB separates words as a
         * space does (Postfix's smtpd_token) */
        n = strlen(line.data);
        for (char *t = line.data; *t; t++)
            if (*t == '\t')
                *t = ' ';
        snprintf(raw, sizeof(raw), "%s", line.data);
        cmd = line.data;
        while (*cmd == ' ')
            cmd++;
        arg = cmd + strcspn(cmd, " ");
        if (*arg)
            *arg++ = 0;
        while (*arg == ' ')
            arg++;
        if (*cmd && !s->ill_pipelining)
            check_pipelining(s, cmd);
        /* the tarpit: after smtpd_soft_error_limit errors each reply
         * waits smtpd_error_sleep_time, as Postfix's */
        if (s->errors >= cf->soft_error_limit && cf->error_sleep_ms > 0)
            sio_sleep(s->io, (int) cf->error_sleep_ms);
        if (is_junk(cmd) && s->junk_cmds++ > cf->junk_cmd_limit)
            s->errors++;
        if (*cmd == 0) {
            sio_printf(s->io, "500 5.5.2 Error: bad syntax");
            s->errors++;
        } else if (s->access_denied && strcasecmp(cmd, "QUIT") != 0) {
            /* smtpd_delay_reject = no and the client was refused at
             * connect: every command but QUIT, as Postfix */
            sio_printf(s->io, "503 5.7.0 Error: access denied for %s",
                       s->namaddr);
            s->errors++;
            stat_count(s, stat_name(cmd), 0);
        } else if (tls_required(s, cmd)) {
            /* smtpd_tls_security_level = encrypt: only what may come
             * before STARTTLS, as Postfix */
            sio_printf(s->io, "530 5.7.0 Must issue a STARTTLS command first");
        } else if (strcasecmp(cmd, "EHLO") == 0 ||
                   strcasecmp(cmd, "HELO") == 0) {
            s->last_cmd = cmd[0] == 'E' || cmd[0] == 'e' ? "EHLO" : "HELO";
            cmd_helo(s, arg, s->last_cmd[0] == 'E');
        } else if (strcasecmp(cmd, "MAIL") == 0) {
            s->last_cmd = "MAIL";
            cmd_mail(s, arg);
        } else if (strcasecmp(cmd, "RCPT") == 0) {
            s->last_cmd = "RCPT";
            cmd_rcpt(s, arg);
        } else if (strcasecmp(cmd, "DATA") == 0) {
            s->last_cmd = "DATA";
            if (*arg) {
                sio_printf(s->io, "501 5.5.4 Syntax: DATA");
                stat_count(s, "data", 0);
            } else if (cmd_data(s) < 0)
                break;
        } else if (strcasecmp(cmd, "BDAT") == 0) {
            s->last_cmd = "BDAT";
            if (cmd_bdat(s, arg, raw) < 0)
                break;
        } else if (strcasecmp(cmd, "RSET") == 0) {
            s->last_cmd = "RSET";
            if (*arg) {
                sio_printf(s->io, "501 5.5.4 Syntax: RSET");
                stat_count(s, "rset", 0);
            } else {
                reset_transaction(s);
                sio_printf(s->io, "250 2.0.0 Ok");
                stat_count(s, "rset", 1);
            }
        } else if (strcasecmp(cmd, "NOOP") == 0) {
            s->last_cmd = "NOOP";
            sio_printf(s->io, "250 2.0.0 Ok");
            stat_count(s, "noop", 1);
        } else if (strcasecmp(cmd, "QUIT") == 0) {
            s->last_cmd = "QUIT";
            sio_printf(s->io, "221 2.0.0 Bye");
            stat_count(s, "quit", 1);
            s->quit = 1;
        } else if (strcasecmp(cmd, "VRFY") == 0) {
            s->last_cmd = "VRFY";
            cmd_vrfy(s, arg);
        } else if (strcasecmp(cmd, "ETRN") == 0) {
            s->last_cmd = "ETRN";
            cmd_etrn(s, arg);
        } else if (strcasecmp(cmd, "STARTTLS") == 0) {
            s->last_cmd = "STARTTLS";
            if (*arg) {
                sio_printf(s->io, "501 5.5.4 Syntax: STARTTLS");
                stat_count(s, "starttls", 0);
            } else if (cmd_starttls(s) < 0)
                break;
        } else if (strcasecmp(cmd, "AUTH") == 0) {
            s->last_cmd = "AUTH";
            sio_printf(s->io, "503 5.5.1 Error: authentication not enabled");
            stat_count(s, "auth", 0);
        } else {
            s->last_cmd = "UNKNOWN";
            stat_count(s, "unknown", 0);
            if (is_header(cmd) || maps_match_domain(cf->forbidden, cmd) == 1) {
                /* HTTP requests and mail headers: not an SMTP client */
                maillog_warning("non-SMTP command from %s: %.100s", s->namaddr,
                                raw);
                sio_printf(s->io,
                           "221 2.7.0 Error: I can break rules, too. Goodbye.");
                break;
            }
            sio_printf(s->io, "500 5.5.2 Error: command not recognized");
        }
        if (s->errors >= cf->hard_error_limit) {
            sio_printf(s->io, "421 4.7.0 %s Error: too many errors",
                       cf->myhostname);
            (void) sio_flush(s->io);
            maillog_info("too many errors after %s from %s", s->last_cmd,
                         s->namaddr);
            break;
        }
    }
    (void) sio_flush(s->io);
done:
    reset_transaction(s);
    if (srv->shm)
        srv->shm[srv->slot].client_addr[0] = 0;
    disconnect_log(s);
    cc_put(s->cc);
    buf_fini(&line);
    buf_fini(&spill);
    sio_free(s->io);
    mem_free(s->helo);
    queue_env_fini(&s->env);
    mem_free(s);
}

void
smtpd_session_run(struct server *srv, int in, int out)
{
    static struct smtpd_conf *cf;

    if (cf == NULL)
        cf = smtpd_conf_load(srv);
    session_out = out;
    session(srv, in, cf);
    session_out = -1;
}

/* smtpd_pre_drop - the configuration: TLS keys are read before
 * privileges go, tables before the chroot jail hides them */
static void
smtpd_pre_drop(struct server *srv, void *ctx)
{
    *(struct smtpd_conf **) ctx = smtpd_conf_load(srv);
}

static void
smtpd_post_drop(struct server *srv, void *ctx)
{
    (void) ctx;
    if (srv->handoff_role == SERVER_HANDOFF_WORKER) {
        const char *e = getenv("POSTERN_SMTPD_SESSIONS"); /* tests */
        long n = e ? strtol(e, NULL, 10) : 0;

        srv->sessions = n > 0 && n <= SERVER_SLOT_SESSIONS
                            ? (int) n
                            : SMTPD_SESSIONS_PER_PROCESS;
    }
}

static void
smtpd_conn(struct server *srv, int fd, void *ctx)
{
    session(srv, fd, *(struct smtpd_conf **) ctx);
}

int
smtpd_service(struct server *srv)
{
    static const struct server_service svc = {smtpd_pre_drop, smtpd_post_drop,
                                              smtpd_conn, NULL};
    struct smtpd_conf *cf = NULL;

    if (srv->handoff_role == SERVER_HANDOFF_FRONT)
        return smtpd_front_main(srv);
    return server_main(srv, &svc, &cf);
}

int
smtpd_stdio_main(struct pcf *p)
{
    struct server srv;
    struct smtpd_conf *cf;
    char *qdir;
    struct sigaction sa;

    memset(&srv, 0, sizeof(srv));
    srv.conf = p;
    srv.service = (char *) "sendmail";
    srv.type = (char *) "unix";
    srv.name_space = (char *) "sendmail/bs";
    srv.command = (char *) "smtpd";
    srv.status_fd = -1;
    srv.nlisten = 0;
    server_init(&srv);
    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    qdir = server_param(&srv, "queue_directory");
    if (chdir(qdir) < 0) {
        fprintf(stderr, "sendmail: fatal: chdir %s: %s\n", qdir,
                strerror(errno));
        mem_free(qdir);
        return 75; /* EX_TEMPFAIL */
    }
    mem_free(qdir);
    cf = smtpd_conf_load(&srv);
    session(&srv, 0, cf);
    return 0;
}
