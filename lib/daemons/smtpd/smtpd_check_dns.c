/*
 * smtpd_check_dns - what the restriction engine needs from outside:
 *	its settings, DNS lookups and this machine's addresses.
 *
 * DESCRIPTION
 *	smtpd_check_load() reads the restriction classes, the reply codes
 *	and tempfail actions. smtpd_dns_lookup() asks lib/services/dns (ldns) in
 *a thread (co_offload), so a slow DNS server stalls only the session that
 *asked; the resolvers are those of /etc/resolv.conf read before the chroot
 *(dns_pre_jail), or $POSTERN_DNS_RESOLVERS (tests), as for the SMTP client.
 */
#define _DEFAULT_SOURCE 1 /* getifaddrs, strcasecmp */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "dns/dns.h"
#include "maillog/maillog.h"
#include "maps/maps.h"
#include "server/server.h"
#include "smtpd/smtpd_int.h"

struct dns_job {
    struct smtpd_conf *cf;
    const char *name;
    int type;
    struct strv *out;
    int st;
};

static void
dns_job(void *arg)
{
    struct dns_job *j = arg;
    struct dns_route_opts o;
    int prefs[DNS_LOOKUP_MAX];
    struct strv raw;

    memset(&o, 0, sizeof(o));
    o.servers = (const char *const *) j->cf->resolvers.v;
    o.nservers = j->cf->resolvers.n;
    o.timeout = 5;
    strv_init(&raw);
    j->st = dns_lookup(&o, j->name, (enum dns_rtype) j->type, &raw,
                       j->type == DNS_MX ? prefs : NULL);
    for (size_t i = 0; i < raw.n; i++) {
        if (j->type == DNS_MX) {
            char buf[300];

            /* "PREF HOST", the root (null MX) as "" */
            snprintf(buf, sizeof(buf), "%d %s", prefs[i],
                     strcmp(raw.v[i], ".") == 0 ? "" : raw.v[i]);
            strv_add(j->out, buf);
        } else {
            strv_add(j->out, raw.v[i]);
        }
    }
    strv_fini(&raw);
}

int
smtpd_dns_lookup(struct smtpd_conf *cf, const char *name, int type,
                 struct strv *out)
{
    struct dns_job j = {cf, name, type, out, DNS_TEMP};

    (void) co_offload(dns_job, &j);
    return j.st;
}

static int if_addr(const char *addr);

/* listed_addr - addr is one of the addresses a list names (numeric, or
 * host names resolved) */
static int
listed_addr(const struct strv *list, const char *addr)
{
    int yes = 0;

    for (size_t i = 0; i < list->n && !yes; i++) {
        struct addrinfo hints, *res = NULL, *ai;

        if (strcasecmp(list->v[i], "loopback-only") == 0) {
            yes = strcmp(addr, "127.0.0.1") == 0 || strcmp(addr, "::1") == 0;
            continue;
        }
        memset(&hints, 0, sizeof(hints));
        hints.ai_socktype = SOCK_STREAM;
        if (getaddrinfo(list->v[i], NULL, &hints, &res) != 0)
            continue;
        for (ai = res; ai && !yes; ai = ai->ai_next) {
            char a[INET6_ADDRSTRLEN];

            if (getnameinfo(ai->ai_addr, ai->ai_addrlen, a, sizeof(a), NULL, 0,
                            NI_NUMERICHOST) == 0)
                yes = strcasecmp(a, addr) == 0;
        }
        freeaddrinfo(res);
    }
    return yes;
}

/* smtpd_own_addr - Postfix's own_inet_addr() and proxy_inet_addr(): the
 * addresses of inet_interfaces (every interface's for "all") and
 * proxy_interfaces */
int
smtpd_own_addr(struct smtpd_conf *cf, const char *addr)
{
    if (cf->own_all == 0 && listed_addr(&cf->own_addrs, addr))
        return 1;
    if (listed_addr(&cf->proxy_addrs, addr))
        return 1;
    return cf->own_all && if_addr(addr);
}

/* if_addr - addr is an address of one of this machine's interfaces */
static int
if_addr(const char *addr)
{
    struct ifaddrs *ifa, *i;
    int yes = 0;

    if (getifaddrs(&ifa) < 0)
        return 0;
    for (i = ifa; i && !yes; i = i->ifa_next) {
        char a[INET6_ADDRSTRLEN];
        const void *p;

        if (i->ifa_addr == NULL)
            continue;
        if (i->ifa_addr->sa_family == AF_INET)
            p = &((struct sockaddr_in *) (void *) i->ifa_addr)->sin_addr;
        else if (i->ifa_addr->sa_family == AF_INET6)
            p = &((struct sockaddr_in6 *) (void *) i->ifa_addr)->sin6_addr;
        else
            continue;
        if (inet_ntop(i->ifa_addr->sa_family, p, a, sizeof(a)) &&
            strcasecmp(a, addr) == 0)
            yes = 1;
    }
    freeifaddrs(ifa);
    return yes;
}

/* table - the tables of a parameter, read now (before a chroot), or NULL
 * when it is empty */
static struct maps *
table(struct server *srv, const char *param)
{
    char *v = server_param(srv, param);
    struct maps *m = *v ? maps_new(param, v, 0) : NULL;

    if (m && maps_preload(m) < 0)
        log_warn("%s", maps_error(m));
    mem_free(v);
    return m;
}

/* tf_action - a *_tempfail_action: 1 defer_if_permit, 0 defer */
static int
tf_action(struct server *srv, const char *param)
{
    char *v = server_param(srv, param);
    int dip = strcasecmp(v, "defer_if_permit") == 0;

    if (!dip && strcasecmp(v, "defer") != 0)
        log_fatal("bad configuration: %s = %s", param, v);
    mem_free(v);
    return dip;
}

/* in_list - word is an element of the list parameter */
static int
in_list(struct server *srv, const char *param, const char *word)
{
    char *v = server_param(srv, param);
    struct strv sv;
    int yes = 0;

    strv_init(&sv);
    server_split(v, &sv);
    for (size_t i = 0; i < sv.n && !yes; i++)
        yes = strcasecmp(sv.v[i], word) == 0;
    strv_fini(&sv);
    mem_free(v);
    return yes;
}

static void
load_classes(struct smtpd_conf *cf)
{
    struct server *srv = cf->srv;
    char *v = server_param(srv, "smtpd_restriction_classes");
    struct strv names;

    cf->classes = htab_new(8);
    strv_init(&names);
    server_split(v, &names);
    for (size_t i = 0; i < names.n; i++) {
        char *def = server_param(srv, names.v[i]);
        struct strv *list;

        if (*def == 0)
            log_fatal("restriction class `%s' needs a definition", names.v[i]);
        list = mem_calloc(1, sizeof(*list));
        strv_init(list);
        server_split(def, list);
        htab_set(cf->classes, names.v[i], list);
        mem_free(def);
    }
    strv_fini(&names);
    mem_free(v);
}

void
smtpd_check_load(struct smtpd_conf *cf)
{
    struct server *srv = cf->srv;
    struct smtpd_codes *k = &cf->code;
    char *v, *env;

    load_classes(cf);
    k->unk_client = (int) server_param_int(srv, "unknown_client_reject_code");
    k->bad_name = (int) server_param_int(srv, "invalid_hostname_reject_code");
    k->unk_name = (int) server_param_int(srv, "unknown_hostname_reject_code");
    k->unk_addr = (int) server_param_int(srv, "unknown_address_reject_code");
    k->relay = (int) server_param_int(srv, "relay_domains_reject_code");
    k->access = (int) server_param_int(srv, "access_map_reject_code");
    k->access_defer = (int) server_param_int(srv, "access_map_defer_code");
    k->reject = (int) server_param_int(srv, "reject_code");
    k->defer = (int) server_param_int(srv, "defer_code");
    k->non_fqdn = (int) server_param_int(srv, "non_fqdn_reject_code");
    k->local_rcpt =
        (int) server_param_int(srv, "unknown_local_recipient_reject_code");
    k->mul_rcpt =
        (int) server_param_int(srv, "multi_recipient_bounce_reject_code");
    k->plaintext = (int) server_param_int(srv, "plaintext_reject_code");
    k->maps_rbl = (int) server_param_int(srv, "maps_rbl_reject_code");
    k->relay_rcpt =
        (int) server_param_int(srv, "unknown_relay_recipient_reject_code");
    k->virt_mailbox =
        (int) server_param_int(srv, "unknown_virtual_mailbox_reject_code");
    k->virt_alias =
        (int) server_param_int(srv, "unknown_virtual_alias_reject_code");
    cf->relay_rcpt_maps = table(srv, "relay_recipient_maps");
    cf->virt_mailbox_maps = table(srv, "virtual_mailbox_maps");
    cf->policy_default =
        server_param(srv, "smtpd_policy_service_default_action");
    cf->policy_context =
        server_param(srv, "smtpd_policy_service_policy_context");
    cf->policy_timeout =
        (int) server_param_time(srv, "smtpd_policy_service_timeout");
    cf->policy_tries =
        (int) server_param_int(srv, "smtpd_policy_service_try_limit");
    cf->policy_delay =
        (int) server_param_time(srv, "smtpd_policy_service_retry_delay");
    /* unix:private/... is relative to the queue directory, which is "/"
     * inside the chroot jail */
    cf->queue_dir = srv->chroot_ && geteuid() == 0
                        ? mem_strdup("")
                        : server_param(srv, "queue_directory");
    cf->compat_level = server_param(srv, "compatibility_level");
    v = server_param(srv, "rbl_reply_maps");
    cf->rbl_reply_maps = *v ? maps_new("rbl_reply_maps", v, 0) : NULL;
    if (cf->rbl_reply_maps && maps_preload(cf->rbl_reply_maps) < 0)
        log_warn("%s", maps_error(cf->rbl_reply_maps));
    mem_free(v);
    /* a template (raw in the schema): $rbl_code and friends are
     * expanded per reply */
    cf->default_rbl_reply = server_param(srv, "default_rbl_reply");
    k->unk_addr_tf = tf_action(srv, "unknown_address_tempfail_action");
    k->unk_name_tf = tf_action(srv, "unknown_helo_hostname_tempfail_action");
    k->soft_bounce = server_param_bool(srv, "soft_bounce");
    k->show_table = server_param_bool(srv, "show_user_unknown_table_name");
    k->parent_style =
        in_list(srv, "parent_domain_matches_subdomains", "smtpd_access_maps");
    k->sasl = server_param_bool(srv, "smtpd_sasl_auth_enable");
    k->rej_unl_rcpt = server_param_bool(srv, "smtpd_reject_unlisted_recipient");
    k->rej_unl_from = server_param_bool(srv, "smtpd_reject_unlisted_sender");
    cf->null_key = server_param(srv, "smtpd_null_access_lookup_key");
    v = server_param(srv, "permit_mx_backup_networks");
    cf->perm_mx_networks =
        *v ? maps_match_new("permit_mx_backup_networks", v, MAPS_MATCH_ADDR,
                            in_list(srv, "parent_domain_matches_subdomains",
                                    "permit_mx_backup_networks"))
           : NULL;
    mem_free(v);
    {
        /* addresses these tables know are not "unknown" recipients */
        static const char *const names[] = {
            "recipient_canonical_maps", "canonical_maps", "virtual_alias_maps"};
        struct buf spec;

        buf_init(&spec, 0);
        for (size_t i = 0; i < 3; i++) {
            v = server_param(srv, names[i]);
            if (*v)
                (void) buf_printf(&spec, "%s%s", spec.len ? ", " : "", v);
            mem_free(v);
        }
        cf->rcpt_alias_maps =
            spec.len ? maps_new("smtpd recipient tables", buf_str(&spec), 0)
                     : NULL;
        if (cf->rcpt_alias_maps && maps_preload(cf->rcpt_alias_maps) < 0)
            log_warn("%s", maps_error(cf->rcpt_alias_maps));
        buf_fini(&spec);
    }
    v = server_param(srv, "inet_interfaces");
    strv_init(&cf->own_addrs);
    server_split(v, &cf->own_addrs);
    cf->own_all =
        cf->own_addrs.n == 1 && strcasecmp(cf->own_addrs.v[0], "all") == 0;
    mem_free(v);
    v = server_param(srv, "inet_protocols");
    cf->families = (strstr(v, "ipv4") || strcasecmp(v, "all") == 0 ? 1 : 0) |
                   (strstr(v, "ipv6") || strcasecmp(v, "all") == 0 ? 2 : 0);
    if (cf->families == 0)
        cf->families = 3;
    mem_free(v);
    v = server_param(srv, "proxy_interfaces");
    strv_init(&cf->proxy_addrs);
    server_split(v, &cf->proxy_addrs);
    mem_free(v);
    strv_init(&cf->resolvers);
    env = getenv("POSTERN_DNS_RESOLVERS");
    if (env && *env)
        server_split(env, &cf->resolvers);
    cf->dns = smtpd_dns_lookup;
}
