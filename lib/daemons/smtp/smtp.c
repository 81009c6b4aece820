/*
 * smtp - the SMTP client delivery agent: its settings and service loop.
 *
 * DESCRIPTION
 *	See smtp.h. This file reads the settings (before the privilege
 *	drop) and runs the service; the work is done by smtp_deliver.c
 *	(one request and its results), smtp_dest.c (the servers of a
 *	nexthop), smtp_session.c (connect, greeting, EHLO, AUTH),
 *	smtp_tls.c (TLS policy), smtp_trans.c (the transaction),
 *	smtp_io.c (the wire), smtp_mime.c and smtp_sasl.c.
 *
 *	One request at a time: load the content from its segment, reuse
 *	the cached session when it goes to the same nexthop (after an
 *	RSET), else look up and try the servers in order
 *	(smtp_mx_address_limit addresses, smtp_mx_session_limit sessions
 *	that got as far as the greeting); then one transaction, pipelined
 *	when the server offers PIPELINING.
 *
 *	Reply texts and maillog lines use Postfix's wording ("host
 *	h[a] said: ... (in reply to RCPT TO command)", "connect to
 *	h[a]:p: Connection refused", "conversation with h[a] timed out
 *	while sending message body") so log readers see what they know.
 *
 * BUGS
 *	No "relayed" DSN when the server lacks DSN; SASL only PLAIN and
 *	LOGIN (smtp_sasl.c); no DANE; no TLS session cache.
 */
#define _DEFAULT_SOURCE 1
#include "smtp/smtp.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "deliver/deliver.h"
#include "dns/dns.h"
#include "maillog/maillog.h"
#include "queue/queue.h"
#include "server/server.h"
#include "server/server_tls.h"
#include "smtp/smtp_int.h"

int
smtp_nexthop_parse(const char *s, unsigned def_port, struct smtp_nexthop *nh)
{
    const char *end, *port = NULL;
    size_t n;

    memset(nh, 0, sizeof(*nh));
    nh->port = def_port;
    if (*s == '[') {
        end = strchr(s, ']');
        if (end == NULL)
            return -1;
        n = (size_t) (end - s - 1);
        if (n == 0 || n >= sizeof(nh->host))
            return -1;
        memcpy(nh->host, s + 1, n);
        nh->host[n] = 0;
        if (end[1] == ':')
            port = end + 2;
        else if (end[1] != 0)
            return -1;
    } else {
        end = strrchr(s, ':');
        /* a bare IPv6 address has several colons: no port then */
        if (end && strchr(s, ':') != end)
            end = NULL;
        n = end ? (size_t) (end - s) : strlen(s);
        if (n == 0 || n >= sizeof(nh->host))
            return -1;
        memcpy(nh->host, s, n);
        nh->host[n] = 0;
        nh->mx = strchr(nh->host, ':') == NULL;
        if (end)
            port = end + 1;
    }
    if (port) {
        char *e;
        long v = strtol(port, &e, 10);

        if (*port == 0)
            return -1;
        if (*e == 0) {
            if (v <= 0 || v > 65535)
                return -1;
            nh->port = (unsigned) v;
        } else {
            struct servent *se = getservbyname(port, "tcp");

            if (se == NULL)
                return -1;
            nh->port = ntohs((uint16_t) se->s_port);
        }
    }
    for (const char *p = nh->host; *p; p++)
        if (isspace((unsigned char) *p) || *p == '@' || *p == '[' || *p == ']')
            return -1;
    return 0;
}

void
smtp_xtext(struct buf *out, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char) *s;

        if (c < 33 || c > 126 || c == '+' || c == '=')
            (void) buf_printf(out, "+%02X", c);
        else
            (void) buf_putc(out, c);
    }
}

static void
batch(void *ctx, struct deliver_req **reqs, size_t n)
{
    struct agent *ag = ctx;

    for (size_t i = 0; i < n; i++)
        smtp_deliver_one(ag, reqs[i]);
}

static int
tparam(struct server *srv, const char *name, long def)
{
    long v = server_param_time(srv, name);

    return v > 0 && v < 86400 ? (int) v : (int) def;
}

/* read_timeouts - the per-stage timeouts */
static void
read_timeouts(struct agent *ag, struct server *srv)
{
    ag->connect_timeout = tparam(
        srv, SMTP_PARAM(ag, "lmtp_connect_timeout", "smtp_connect_timeout"),
        30);
    ag->helo_timeout = tparam(
        srv, SMTP_PARAM(ag, "lmtp_lhlo_timeout", "smtp_helo_timeout"), 300);
    ag->mail_timeout = tparam(
        srv, SMTP_PARAM(ag, "lmtp_mail_timeout", "smtp_mail_timeout"), 300);
    ag->rcpt_timeout = tparam(
        srv, SMTP_PARAM(ag, "lmtp_rcpt_timeout", "smtp_rcpt_timeout"), 300);
    ag->data_init_timeout = tparam(
        srv, SMTP_PARAM(ag, "lmtp_data_init_timeout", "smtp_data_init_timeout"),
        120);
    ag->data_xfer_timeout = tparam(
        srv, SMTP_PARAM(ag, "lmtp_data_xfer_timeout", "smtp_data_xfer_timeout"),
        180);
    ag->data_done_timeout = tparam(
        srv, SMTP_PARAM(ag, "lmtp_data_done_timeout", "smtp_data_done_timeout"),
        600);
    ag->quit_timeout = tparam(
        srv, SMTP_PARAM(ag, "lmtp_quit_timeout", "smtp_quit_timeout"), 300);
    ag->starttls_timeout = tparam(
        srv, SMTP_PARAM(ag, "lmtp_starttls_timeout", "smtp_starttls_timeout"),
        300);
    ag->rset_timeout = tparam(
        srv, SMTP_PARAM(ag, "lmtp_rset_timeout", "smtp_rset_timeout"), 20);
}

/* read_lookup - how servers are found: inet_protocols,
 * smtp_host_lookup, smtp_dns_support_level */
static void
read_lookup(struct agent *ag, struct server *srv)
{
    char *v;

    v = server_param(srv, "inet_protocols");
    if (strstr(v, "all"))
        ag->families = DNS_ROUTE_IPV4 | DNS_ROUTE_IPV6;
    else
        ag->families = (strstr(v, "ipv4") ? DNS_ROUTE_IPV4 : 0) |
                       (strstr(v, "ipv6") ? DNS_ROUTE_IPV6 : 0);
    if (ag->families == 0)
        ag->families = DNS_ROUTE_IPV4;
    mem_free(v);
    v = server_param(srv,
                     SMTP_PARAM(ag, "lmtp_host_lookup", "smtp_host_lookup"));
    ag->host_dns = strstr(v, "dns") != NULL || *v == 0;
    ag->host_native = strstr(v, "native") != NULL;
    mem_free(v);
    v = server_param(srv, SMTP_PARAM(ag, "lmtp_dns_support_level",
                                     "smtp_dns_support_level"));
    ag->dns_enabled = strcmp(v, "disabled") != 0 &&
                      !server_param_bool(srv, "disable_dns_lookups");
    mem_free(v);
    if (!ag->dns_enabled) {
        ag->host_dns = 0;
        ag->host_native = 1;
    }
}

/* read_sasl - the SMTP AUTH settings (smtp_sasl.c) */
static void
read_sasl(struct agent *ag, struct server *srv)
{
    ag->sender_dep = server_param_bool(
        srv, SMTP_PARAM(ag, "lmtp_sender_dependent_authentication",
                        "smtp_sender_dependent_authentication"));
    if (server_param_bool(srv, SMTP_PARAM(ag, "lmtp_sasl_auth_enable",
                                          "smtp_sasl_auth_enable"))) {
        char *maps = server_param(srv, SMTP_PARAM(ag, "lmtp_sasl_password_maps",
                                                  "smtp_sasl_password_maps"));
        char *opts =
            server_param(srv, SMTP_PARAM(ag, "lmtp_sasl_security_options",
                                         "smtp_sasl_security_options"));
        char *topts =
            server_param(srv, SMTP_PARAM(ag, "lmtp_sasl_tls_security_options",
                                         "smtp_sasl_tls_security_options"));
        char *filter =
            server_param(srv, SMTP_PARAM(ag, "lmtp_sasl_mechanism_filter",
                                         "smtp_sasl_mechanism_filter"));
        char *tvopts = server_param(
            srv, SMTP_PARAM(ag, "lmtp_sasl_tls_verified_security_options",
                            "smtp_sasl_tls_verified_security_options"));

        /* as Postfix: AUTH without a table is a configuration error
         * (sending without the login could bounce the mail) */
        if (*maps == 0)
            log_fatal("specify a password table via the "
                      "`smtp_sasl_password_maps' configuration "
                      "parameter");
        /* before the privilege drop: the file is root's */
        ag->sasl = smtp_sasl_new(
            maps, opts, topts, tvopts, filter, ag->sender_dep,
            server_param_bool(srv, SMTP_PARAM(ag, "lmtp_sasl_auth_soft_bounce",
                                              "smtp_sasl_auth_soft_bounce")));
        mem_free(maps);
        mem_free(opts);
        mem_free(topts);
        mem_free(filter);
        mem_free(tvopts);
    }
}

/* lmtp_port - lmtp_tcp_port: a number or a service name (Postfix
 * resolves it with getservbyname; "lmtp" is 24) */
static unsigned
lmtp_port(struct server *srv)
{
    char *v = server_param(srv, "lmtp_tcp_port"), *e;
    long n = strtol(v, &e, 10);
    unsigned port = 24;

    if (*v && *e == 0 && n > 0 && n < 65536) {
        port = (unsigned) n;
    } else {
        struct servent *se = getservbyname(v, "tcp");

        if (se)
            port = ntohs((uint16_t) se->s_port);
        else
            log_fatal("unknown service: %s/tcp", v);
    }
    mem_free(v);
    return port;
}

/* smtp_pre_drop - before the drop: TLS keys, SASL passwords and tables */
static void read_hbc(struct agent *ag, struct server *srv);

static void
smtp_pre_drop(struct server *srv, void *ctx)
{
    struct agent *ag = ctx;
    char *v;
    const char *env;

    ag->srv = srv;
    deliver_status_filter_open(srv,
                               SMTP_PARAM(ag, "lmtp_delivery_status_filter",
                                          "smtp_delivery_status_filter"));
    ag->generic = smtp_generic_new(ag, srv); /* issue 19 */
    buf_init(&ag->generic_out, 0);
    deliver_content_init(&ag->msg);
    buf_init(&ag->wire, 0);
    buf_init(&ag->conv, 0);
    strv_init(&ag->resolvers);
    strv_init(&ag->verify_match);
    strv_init(&ag->secure_match);
    ag->myhostname = server_param(srv, "myhostname");
    ag->helo_name =
        server_param(srv, SMTP_PARAM(ag, "lmtp_lhlo_name", "smtp_helo_name"));
    if (*ag->helo_name == 0) {
        mem_free(ag->helo_name);
        mem_free(ag->myhostname);
        ag->helo_name = mem_strdup(ag->myhostname);
    }
    ag->bind_addr = server_param(
        srv, SMTP_PARAM(ag, "lmtp_bind_address", "smtp_bind_address"));
    ag->bind_addr6 = server_param(
        srv, SMTP_PARAM(ag, "lmtp_bind_address6", "smtp_bind_address6"));
    ag->bind_enforce =
        server_param_bool(srv, SMTP_PARAM(ag, "lmtp_bind_address_enforce",
                                          "smtp_bind_address_enforce"));
    smtp_tls_setup(ag, srv);
    read_timeouts(ag, srv);
    ag->mx_address_limit = (int) server_param_int(
        srv, SMTP_PARAM(ag, "lmtp_mx_address_limit", "smtp_mx_address_limit"));
    if (ag->mx_address_limit <= 0)
        ag->mx_address_limit = 1000;
    ag->mx_session_limit = (int) server_param_int(
        srv, SMTP_PARAM(ag, "lmtp_mx_session_limit", "smtp_mx_session_limit"));
    if (ag->mx_session_limit <= 0)
        ag->mx_session_limit = 1000;
    ag->reuse_count_limit = server_param_int(
        srv, SMTP_PARAM(ag, "lmtp_connection_reuse_count_limit",
                        "smtp_connection_reuse_count_limit"));
    ag->reuse_time_limit = server_param_time(
        srv, SMTP_PARAM(ag, "lmtp_connection_reuse_time_limit",
                        "smtp_connection_reuse_time_limit"));
    ag->cache_time_limit = server_param_time(
        srv, SMTP_PARAM(ag, "lmtp_connection_cache_time_limit",
                        "smtp_connection_cache_time_limit"));
    ag->cache_on =
        server_param_bool(srv, SMTP_PARAM(ag, "lmtp_connection_cache_on_demand",
                                          "smtp_connection_cache_on_demand"));
    ag->no_mime_oconv =
        server_param_bool(srv, "disable_mime_output_conversion");
    read_lookup(ag, srv);
    ag->def_port = 25;
    if (ag->lmtp)
        ag->def_port = lmtp_port(srv);
    /* the resolvers: resolv.conf, or (tests) $POSTERN_DNS_RESOLVERS */
    env = getenv("POSTERN_DNS_RESOLVERS");
    if (env && *env)
        server_split(env, &ag->resolvers);
    ag->skip_5xx =
        server_param_bool(srv, SMTP_PARAM(ag, "lmtp_skip_5xx_greeting",
                                          "smtp_skip_5xx_greeting"));
    /* LMTP: always LHLO (Postfix has no lmtp_*_send_ehlo) */
    ag->always_ehlo =
        ag->lmtp || server_param_bool(srv, "smtp_always_send_ehlo");
    ag->never_ehlo =
        !ag->lmtp && server_param_bool(srv, "smtp_never_send_ehlo");
    ag->defer_no_mx_addr = server_param_bool(
        srv, SMTP_PARAM(ag, "lmtp_defer_if_no_mx_address_found",
                        "smtp_defer_if_no_mx_address_found"));
    v = server_param(srv, SMTP_PARAM(ag, "lmtp_address_preference",
                                     "smtp_address_preference"));
    ag->addr_pref = strcmp(v, "ipv6") == 0 ? 6 : strcmp(v, "ipv4") == 0 ? 4 : 0;
    mem_free(v);
    strv_init(&ag->fallback);
    buf_init(&ag->nonfinal, 0);
    buf_init(&ag->said_reply, 0);
    /* relayhost is the smtp client's: LMTP nexthops come from the
     * transport only */
    ag->relayhost = ag->lmtp ? mem_strdup("") : server_param(srv, "relayhost");
    v = server_param(
        srv, SMTP_PARAM(ag, "lmtp_fallback_relay", "smtp_fallback_relay"));
    server_split(v, &ag->fallback);
    mem_free(v);
    read_sasl(ag, srv);
    read_hbc(ag, srv); /* issue 19 */
}

/* read_hbc - issue 19: smtp_header_checks and friends (Postfix's
 * header_body_checks in the smtp client) */
static void
read_hbc(struct agent *ag, struct server *srv)
{
    const char *names[4] = {
        SMTP_PARAM(ag, "lmtp_header_checks", "smtp_header_checks"),
        SMTP_PARAM(ag, "lmtp_mime_header_checks", "smtp_mime_header_checks"),
        SMTP_PARAM(ag, "lmtp_nested_header_checks",
                   "smtp_nested_header_checks"),
        SMTP_PARAM(ag, "lmtp_body_checks", "smtp_body_checks")};
    char *v[4];

    for (int i = 0; i < 4; i++)
        v[i] = server_param(srv, names[i]);
    if (*v[0] || *v[1] || *v[2] || *v[3])
        ag->hbc = cleanup_hdr_new_smtp(names, (const char *const *) v);
    for (int i = 0; i < 4; i++)
        mem_free(v[i]);
}

static int
smtp_loop(struct server *srv, void *ctx)
{
    struct agent *ag = ctx;

    srandom((unsigned) (time(NULL) ^ getpid()));
    deliver_agent_loop(srv, batch, ag);
    if (ag->cached)
        smtp_session_quit(ag, ag->cached);
    if (ag->tls_ctx)
        smtp_conn_tls_ctx_free(ag->tls_ctx);
    deliver_content_fini(&ag->msg);
    cleanup_hdr_free(ag->hbc);
    buf_fini(&ag->wire);
    buf_fini(&ag->conv);
    strv_fini(&ag->resolvers);
    strv_fini(&ag->verify_match);
    strv_fini(&ag->secure_match);
    strv_fini(&ag->fallback);
    buf_fini(&ag->nonfinal);
    buf_fini(&ag->said_reply);
    mem_free(ag->relayhost);
    smtp_sasl_free(ag->sasl);
    smtp_generic_free(ag->generic);
    buf_fini(&ag->generic_out);
    mem_free(ag->helo_name);
    mem_free(ag->myhostname);
    mem_free(ag->bind_addr);
    mem_free(ag->bind_addr6);
    mem_free(ag->servername);
    return 0;
}

int
smtp_service(struct server *srv)
{
    static const struct server_service svc = {smtp_pre_drop, NULL, NULL,
                                              smtp_loop};
    struct agent ag;

    memset(&ag, 0, sizeof(ag));
    return server_main(srv, &svc, &ag);
}

int
smtp_lmtp_service(struct server *srv)
{
    static const struct server_service svc = {smtp_pre_drop, NULL, NULL,
                                              smtp_loop};
    struct agent ag;

    memset(&ag, 0, sizeof(ag));
    ag.lmtp = 1;
    return server_main(srv, &svc, &ag);
}
