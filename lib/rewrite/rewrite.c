/*
 * rewrite - trivial-rewrite: address canonicalization and resolution.
 *
 * DESCRIPTION
 *	See rewrite.h. Domain classes are checked in Postfix's order:
 *	local (mydestination, $inet_interfaces/$proxy_interfaces literals),
 *	virtual alias, virtual mailbox, relay, default.
 *
 * BUGS
 *	No canonical_maps, masquerade_domains or swap_bangpath yet.
 */
#define _DEFAULT_SOURCE 1 /* strcasecmp */
#include "rewrite/rewrite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "maps/maps.h"
#include "pcf/pcf.h"
#include "server/server.h"

struct rewrite {
    char *myhostname;
    char *myorigin;
    char *mydomain;
    int append_dot;
    int append_at;
    struct maps_match *mydest;
    struct maps_match *relay;
    struct maps_match *valias;
    struct maps_match *vmailbox;
    struct maps *transport_maps;
    char *local_transport;
    char *virtual_transport;
    char *relay_transport;
    char *default_transport;
    char *relayhost;
    struct strv literals; /* "[127.0.0.1]" etc. */
};

static int
in_parent_list(struct pcf *p, const char *svc, const char *name)
{
    char *v = server_conf_str(p, svc, "parent_domain_matches_subdomains");
    struct strv sv;
    int hit = 0;

    strv_init(&sv);
    server_split(v, &sv);
    for (size_t i = 0; i < sv.n; i++)
        hit |= strcmp(sv.v[i], name) == 0;
    strv_fini(&sv);
    mem_free(v);
    return hit;
}

static struct maps_match *
domains(struct pcf *p, const char *svc, const char *name)
{
    char *v = server_conf_str(p, svc, name);
    struct maps_match *ml = maps_match_new(name, v, MAPS_MATCH_DOMAIN,
                                           in_parent_list(p, svc, name));

    mem_free(v);
    return ml;
}

struct rewrite *
rewrite_new(struct pcf *p, const char *svc)
{
    struct rewrite *rw = mem_calloc(1, sizeof(*rw));
    char *v;
    struct strv sv;

    rw->myhostname = server_conf_str(p, svc, "myhostname");
    rw->myorigin = server_conf_str(p, svc, "myorigin");
    rw->mydomain = server_conf_str(p, svc, "mydomain");
    rw->append_dot = server_conf_bool(p, svc, "append_dot_mydomain");
    rw->append_at = server_conf_bool(p, svc, "append_at_myorigin");
    rw->mydest = maps_match_new("mydestination",
                                (v = server_conf_str(p, svc, "mydestination")),
                                MAPS_MATCH_DOMAIN, 0);
    mem_free(v);
    rw->relay = domains(p, svc, "relay_domains");
    rw->valias = domains(p, svc, "virtual_alias_domains");
    rw->vmailbox = domains(p, svc, "virtual_mailbox_domains");
    v = server_conf_str(p, svc, "transport_maps");
    rw->transport_maps = maps_new("transport_maps", v, 0);
    mem_free(v);
    rw->local_transport = server_conf_str(p, svc, "local_transport");
    rw->virtual_transport = server_conf_str(p, svc, "virtual_transport");
    rw->relay_transport = server_conf_str(p, svc, "relay_transport");
    rw->default_transport = server_conf_str(p, svc, "default_transport");
    rw->relayhost = server_conf_str(p, svc, "relayhost");
    strv_init(&rw->literals);
    strv_init(&sv);
    v = server_conf_str(p, svc, "inet_interfaces");
    if (strcasecmp(v, "all") == 0 || strcasecmp(v, "loopback-only") == 0) {
        strv_add(&rw->literals, "[127.0.0.1]");
        strv_add(&rw->literals, "[ipv6:::1]");
    } else {
        server_split(v, &sv);
        for (size_t i = 0; i < sv.n; i++) {
            char lit[300];

            snprintf(lit, sizeof(lit), "[%s]", sv.v[i]);
            strv_add(&rw->literals, lit);
        }
    }
    mem_free(v);
    strv_fini(&sv);
    /* tables are read now, before a chroot can hide them */
    (void) maps_match_preload(rw->mydest);
    (void) maps_match_preload(rw->relay);
    (void) maps_match_preload(rw->valias);
    (void) maps_match_preload(rw->vmailbox);
    (void) maps_preload(rw->transport_maps);
    return rw;
}

void
rewrite_free(struct rewrite *rw)
{
    if (rw == NULL)
        return;
    mem_free(rw->myhostname);
    mem_free(rw->myorigin);
    mem_free(rw->mydomain);
    maps_match_free(rw->mydest);
    maps_match_free(rw->relay);
    maps_match_free(rw->valias);
    maps_match_free(rw->vmailbox);
    maps_free(rw->transport_maps);
    mem_free(rw->local_transport);
    mem_free(rw->virtual_transport);
    mem_free(rw->relay_transport);
    mem_free(rw->default_transport);
    mem_free(rw->relayhost);
    strv_fini(&rw->literals);
    mem_free(rw);
}

const char *
rewrite_myhostname(const struct rewrite *rw)
{
    return rw->myhostname;
}

const char *
rewrite_myorigin(const struct rewrite *rw)
{
    return rw->myorigin;
}

const char *
rewrite_domain(const char *addr)
{
    const char *at = strrchr(addr, '@');

    return at ? at + 1 : NULL;
}

char *
rewrite_canon(struct rewrite *rw, const char *addr)
{
    struct buf b;
    const char *a = addr, *at;
    size_t n;

    if (*a == 0)
        return mem_strdup("");
    /* @route,@route:user@domain -> user@domain */
    if (*a == '@' && strchr(a, ':'))
        a = strchr(a, ':') + 1;
    buf_init(&b, 0);
    (void) buf_puts(&b, a);
    n = b.len;
    while (n > 0 && b.data[n - 1] == '.')
        n--;
    buf_truncate(&b, n);
    at = strrchr(buf_str(&b), '@');
    if (at == NULL) {
        if (rw->append_at && strcasecmp(buf_str(&b), "MAILER-DAEMON") != 0)
            (void) buf_printf(&b, "@%s", rw->myorigin);
    } else if (at[1] == 0) {
        buf_truncate(&b, b.len - 1);
        (void) buf_printf(&b, "@%s", rw->myorigin);
    } else if (rw->append_dot && strchr(at + 1, '.') == NULL && at[1] != '[' &&
               *rw->mydomain && strcasecmp(at + 1, "localhost") != 0) {
        (void) buf_printf(&b, ".%s", rw->mydomain);
    }
    return buf_steal(&b);
}

enum rewrite_class
rewrite_domain_class(struct rewrite *rw, const char *domain)
{
    if (maps_match_domain(rw->mydest, domain) == 1)
        return REWRITE_LOCAL;
    for (size_t i = 0; i < rw->literals.n; i++)
        if (strcasecmp(rw->literals.v[i], domain) == 0)
            return REWRITE_LOCAL;
    if (maps_match_domain(rw->valias, domain) == 1)
        return REWRITE_ALIAS;
    if (maps_match_domain(rw->vmailbox, domain) == 1)
        return REWRITE_VIRTUAL;
    if (maps_match_domain(rw->relay, domain) == 1)
        return REWRITE_RELAY;
    return REWRITE_DEFAULT;
}

/* set_transport - "transport:nexthop" into res; empty nexthop gets def */
static void
set_transport(struct rewrite_result *res, const char *value, const char *def)
{
    const char *colon = strchr(value, ':');
    size_t n = colon ? (size_t) (colon - value) : strlen(value);

    if (n >= sizeof(res->transport))
        n = sizeof(res->transport) - 1;
    if (n > 0) {
        memcpy(res->transport, value, n);
        res->transport[n] = 0;
    }
    if (colon && colon[1])
        snprintf(res->nexthop, sizeof(res->nexthop), "%s", colon + 1);
    else if (def)
        snprintf(res->nexthop, sizeof(res->nexthop), "%s", def);
}

int
rewrite_resolve(struct rewrite *rw, const char *addr,
                struct rewrite_result *res)
{
    const char *domain = rewrite_domain(addr);
    const char *v;
    enum maps_result r;

    memset(res, 0, sizeof(*res));
    if (domain == NULL || *domain == 0)
        domain = rw->myhostname;
    res->cls = rewrite_domain_class(rw, domain);
    switch (res->cls) {
    case REWRITE_LOCAL:
        set_transport(res, rw->local_transport, rw->myhostname);
        break;
    case REWRITE_ALIAS:
        snprintf(res->transport, sizeof(res->transport), "error");
        snprintf(res->nexthop, sizeof(res->nexthop),
                 "5.1.1 User unknown in virtual alias table");
        break;
    case REWRITE_VIRTUAL:
        set_transport(res, rw->virtual_transport, domain);
        break;
    case REWRITE_RELAY:
        set_transport(res, rw->relay_transport,
                      *rw->relayhost ? rw->relayhost : domain);
        break;
    default:
        set_transport(res, rw->default_transport,
                      *rw->relayhost ? rw->relayhost : domain);
        break;
    }
    if (!maps_empty(rw->transport_maps)) {
        /* full address, then domain, then .parent domains */
        r = maps_find(rw->transport_maps, addr, &v);
        if (r == MAPS_NOTFOUND)
            r = maps_find(rw->transport_maps, domain, &v);
        for (const char *d = strchr(domain, '.'); r == MAPS_NOTFOUND && d;
             d = strchr(d + 1, '.'))
            r = maps_find(rw->transport_maps, d, &v);
        if (r == MAPS_ERROR)
            return -1;
        if (r == MAPS_FOUND)
            set_transport(res, v, NULL);
    }
    return 0;
}
