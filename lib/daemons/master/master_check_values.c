/*
 * master_check_values - value checks of "postern check" and "start".
 *
 * DESCRIPTION
 *	Settings whose value cannot work are found before mail is accepted
 *	for them, and reported through lib/services/server/server_check.h, one
 *note per setting, as ERROR unless said otherwise:
 *
 *	Transports. Every transport that a *_transport parameter,
 *	content_filter or a transport table entry names ("transport:
 *	nexthop"; an empty transport keeps the default) must be a unix
 *	service of master.cf whose command Postern runs as a delivery
 *	agent. Otherwise qmgr cannot hand the mail to anyone, and mail
 *	accepted with 250 stays deferred ("mail transport unavailable").
 *	A class transport is judged only when its class can be reached
 *	(local_transport with a mydestination, virtual_transport with
 *	virtual_mailbox_domains, relay_transport with relay_domains), as
 *	Postfix's stock master.cf has "virtual" and "relay" entries that
 *	an unused class never sends to.
 *
 *	Tables. Every "type:name" of a maps parameter, a restriction list
 *	(check_*_access tables and bare implicit lookups) or a match list
 *	(mydestination, mynetworks, ...) must be a type lib/services/maps opens,
 *	and its file must be readable: at run time an unknown type finds
 *	nothing (one maillog warning) and a missing file defers the mail.
 *	Only settings made in main.cf or with -o are judged: the defaults
 *	(alias_maps = hash:/etc/aliases) are the system's business.
 *
 *	TLS levels. dane, dane-only and fingerprint in smtp_ and
 *	lmtp_tls_security_level are not implemented: the smtp client
 *	defers such mail rather than sending it with less security. For
 *	smtpd_tls_security_level Postfix's own rules: verify, secure and
 *	fingerprint mean encrypt (a warning), anything else but none, may
 *	and encrypt is fatal.
 */
#define _DEFAULT_SOURCE 1 /* strcasecmp */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "maps/maps.h"
#include "master/master_int.h"
#include "pcf/pcf.h"
#include "schema/schema.h"
#include "server/server_check.h"

/* one setting being judged: main.cf (ns NULL) or a -o of service ns */
struct setting {
    struct pcf *conf;
    const struct server_checker *chk;
    const char *ns;
    const char *param;
};

typedef void setting_fn(struct setting *s, const char *value);

/* is_set - name is assigned in main.cf (not its default) */
static int
is_set(struct pcf *conf, const char *name)
{
    const char *src = pcf_source(conf, name);

    return src != NULL && strcmp(src, "default") != 0;
}

/* scope_value - name's value (expanded) as seen in s's scope; caller
 * frees; NULL when unknown */
static char *
scope_value(const struct setting *s, const char *name)
{
    return s->ns ? pcf_service_value(s->conf, s->ns, name)
                 : pcf_value(s->conf, name);
}

/* each_setting - fn for name in main.cf (when set, or always unless
 * only_set) and for each master.cf entry that sets name with -o */
static void
each_setting(struct pcf *conf, const struct server_checker *chk,
             const char *name, int only_set, setting_fn *fn)
{
    struct setting s = {conf, chk, NULL, name};
    char ns[600], *value;

    if (!only_set || is_set(conf, name)) {
        if ((value = pcf_value(conf, name)) != NULL)
            fn(&s, value);
        mem_free(value);
    }
    for (size_t i = 0; i < pcf_service_count(conf); i++) {
        if (pcf_service_param(conf, i, name) == NULL)
            continue;
        snprintf(ns, sizeof(ns), "%s/%s", pcf_service_field(conf, i, 0),
                 pcf_service_field(conf, i, 1));
        s.ns = ns;
        if ((value = pcf_service_value(conf, ns, name)) != NULL)
            fn(&s, value);
        mem_free(value);
    }
}

/* ---- transports ---- */

/* transport_problem - 0 when master.cf has a unix service called name
 * that runs a delivery agent, else -1 with the reason in why */
static int
transport_problem(struct pcf *conf, const char *name, char *why, size_t len)
{
    const char *other = NULL;

    for (size_t i = 0; i < pcf_service_count(conf); i++) {
        const char *cmd = pcf_service_field(conf, i, 7);

        if (strcmp(pcf_service_field(conf, i, 0), name) != 0)
            continue;
        if (strcmp(pcf_service_field(conf, i, 1), "unix") != 0) {
            other = pcf_service_field(conf, i, 1);
            continue;
        }
        if (master_delivers(cmd))
            return 0;
        snprintf(why, len, "runs \"%s\" (master.cf line %d), which %s", cmd,
                 pcf_service_line(conf, i),
                 master_lookup(cmd) ? "is not a delivery agent"
                                    : "Postern does not implement");
        return -1;
    }
    snprintf(why, len, "is not a master.cf service of type unix%s%s",
             other ? ", only of type " : "", other ? other : "");
    return -1;
}

/* check_transport - value is "transport:nexthop" (or a bare transport);
 * where says which table entry it came from, or NULL */
static void
check_transport(struct setting *s, const char *value, const char *where)
{
    char name[128], why[400];
    size_t n = strcspn(value, ":");

    /* empty: the default transport stays; $1: a regexp substitution */
    if (n == 0 || n >= sizeof(name) || memchr(value, '$', n) != NULL)
        return;
    memcpy(name, value, n);
    name[n] = 0;
    if (transport_problem(s->conf, name, why, sizeof(why)) == 0)
        return;
    server_note(s->chk, SERVER_NOTE_ERROR, s->ns, s->param,
                "%s%s\"%s\": transport \"%s\" %s; mail routed to it would "
                "stay deferred (mail transport unavailable)",
                where ? where : "", where ? ": " : "", value, name, why);
}

static void
transport_value(struct setting *s, const char *value)
{
    check_transport(s, value, NULL);
}

/* the class transports, and the list whose emptiness makes the class
 * unreachable (NULL: always reachable); only_set: a derived default
 * ($local_transport ...) already judged through its source */
static const struct {
    const char *name;
    const char *needs;
    int only_set;
} transport_params[] = {
    {"default_transport", NULL, 0},
    {"local_transport", "mydestination", 0},
    {"virtual_transport", "virtual_mailbox_domains", 0},
    {"relay_transport", "relay_domains", 0},
    {"fallback_transport", NULL, 0},
    {"mailbox_transport", NULL, 0},
    {"best_mx_transport", NULL, 0},
    {"content_filter", NULL, 0},
    {"address_verify_default_transport", NULL, 1},
    {"address_verify_local_transport", "mydestination", 1},
    {"address_verify_virtual_transport", "virtual_mailbox_domains", 1},
    {"address_verify_relay_transport", "relay_domains", 1},
};

/* tables whose values are "transport:nexthop" */
static const struct {
    const char *name;
    int only_set;
} transport_tables[] = {
    {"transport_maps", 0},
    {"fallback_transport_maps", 0},
    {"mailbox_transport_maps", 0},
    {"sender_dependent_default_transport_maps", 0},
    {"address_verify_transport_maps", 1},
    {"address_verify_sender_dependent_default_transport_maps", 1},
};

static const char *needs_list; /* the list checked by class_value */

static void
class_value(struct setting *s, const char *value)
{
    char *list = scope_value(s, needs_list);
    int reachable = list != NULL && *list != 0;

    mem_free(list);
    if (reachable)
        check_transport(s, value, NULL);
}

struct entry_ctx {
    struct setting *s;
    const char *table;
};

static void
table_entry(void *ctx, const char *key, const char *value, int line)
{
    struct entry_ctx *ec = ctx;
    char where[600];

    if (line > 0)
        snprintf(where, sizeof(where), "entry \"%s\" (%s line %d)", key,
                 strrchr(ec->table, ':') + 1, line);
    else
        snprintf(where, sizeof(where), "entry \"%s\" (%s)", key, ec->table);
    check_transport(ec->s, value, where);
}

static void
table_value(struct setting *s, const char *value)
{
    struct strv items;

    strv_init(&items);
    maps_split(value, &items);
    for (size_t i = 0; i < items.n; i++) {
        struct entry_ctx ec = {s, items.v[i]};

        /* tables that cannot be listed are master_check_tables' */
        if (maps_is_table(items.v[i]))
            (void) maps_walk(items.v[i], 0, table_entry, &ec);
    }
    strv_fini(&items);
}

void
master_check_transports(struct pcf *conf, const struct server_checker *chk)
{
    /* no master.cf (a main.cf checked alone): nothing to judge against */
    if (pcf_service_count(conf) == 0)
        return;
    for (size_t i = 0;
         i < sizeof(transport_params) / sizeof(transport_params[0]); i++) {
        needs_list = transport_params[i].needs;
        each_setting(conf, chk, transport_params[i].name,
                     transport_params[i].only_set,
                     needs_list ? class_value : transport_value);
    }
    for (size_t i = 0;
         i < sizeof(transport_tables) / sizeof(transport_tables[0]); i++)
        each_setting(conf, chk, transport_tables[i].name,
                     transport_tables[i].only_set, table_value);
}

/* ---- tables ---- */

enum tables_in { IN_NONE, IN_MAPS, IN_RESTRICTIONS, IN_MATCH };

/* match lists that may hold type:table entries */
static const char *const match_lists[] = {
    "mydestination",
    "relay_domains",
    "virtual_alias_domains",
    "virtual_mailbox_domains",
    "mynetworks",
    "permit_mx_backup_networks",
    "debug_peer_list",
    "smtpd_client_event_limit_exceptions",
    "fast_flush_domains",
    NULL,
};

/* written caches and proxymap's lists: not opened as lookup tables */
static int
not_looked_up(const char *name)
{
    static const char *const suffixes[] = {
        "_cache_database",
        "_cache_name",
        "_cache_map",
        "address_verify_map",
        "proxy_read_maps",
        "proxy_write_maps",
        NULL,
    };
    size_t n = strlen(name);

    for (int i = 0; suffixes[i]; i++) {
        size_t k = strlen(suffixes[i]);

        if (n >= k && strcmp(name + n - k, suffixes[i]) == 0)
            return 1;
    }
    return 0;
}

/* is_restriction_class - name is listed in smtpd_restriction_classes */
static int
is_restriction_class(const struct setting *s, const char *name)
{
    char *classes = scope_value(s, "smtpd_restriction_classes");
    struct strv sv;
    int hit = 0;

    strv_init(&sv);
    maps_split(classes, &sv);
    for (size_t i = 0; i < sv.n && !hit; i++)
        hit = strcmp(sv.v[i], name) == 0;
    strv_fini(&sv);
    mem_free(classes);
    return hit;
}

static enum tables_in
tables_in(const struct setting *s)
{
    const struct schema_param *p = schema_param_find(s->param);

    for (int i = 0; match_lists[i]; i++)
        if (strcmp(match_lists[i], s->param) == 0)
            return IN_MATCH;
    if (p == NULL)
        return is_restriction_class(s, s->param) ? IN_RESTRICTIONS : IN_NONE;
    if (p->type == SCHEMA_RESTRICTIONS)
        return IN_RESTRICTIONS;
    if (p->type == SCHEMA_MAPS && !not_looked_up(s->param))
        return IN_MAPS;
    return IN_NONE;
}

/* is_ipv6_net - "2001:db8::/32" in a match list is a network */
static int
is_ipv6_net(const char *item)
{
    char addr[64];
    unsigned char buf[16];

    snprintf(addr, sizeof(addr), "%.*s", (int) strcspn(item, "/"), item);
    return inet_pton(AF_INET6, addr, buf) == 1;
}

static void
check_table(struct setting *s, const char *item)
{
    char why[700];

    if (maps_check_table(item, why, sizeof(why)) < 0)
        server_note(s->chk, SERVER_NOTE_ERROR, s->ns, s->param, "%s", why);
}

static void
tables_value(struct setting *s, const char *value)
{
    enum tables_in in = tables_in(s);
    struct strv items;

    strv_init(&items);
    maps_split(value, &items);
    for (size_t i = 0; i < items.n; i++) {
        const char *item = items.v[i];

        if (in == IN_MAPS)
            check_table(s, item);
        else if (in == IN_RESTRICTIONS &&
                 strcasecmp(item, "check_policy_service") == 0)
            i++; /* its argument is a socket, not a table */
        else if (maps_is_table(item) &&
                 (in == IN_RESTRICTIONS || !is_ipv6_net(item)))
            check_table(s, item);
    }
    strv_fini(&items);
}

void
master_check_tables(struct pcf *conf, const struct server_checker *chk)
{
    struct setting s = {conf, chk, NULL, NULL};
    struct strv names;
    char ns[600];

    for (size_t i = 0; i < schema_param_count(); i++) {
        s.param = schema_param_at(i)->name;
        if (is_set(conf, s.param) && tables_in(&s) != IN_NONE)
            each_setting(conf, chk, s.param, 1, tables_value);
    }
    /* restriction classes: main.cf names that no schema knows */
    strv_init(&names);
    {
        char *classes = pcf_value(conf, "smtpd_restriction_classes");

        maps_split(classes, &names);
        mem_free(classes);
    }
    for (size_t i = 0; i < names.n; i++)
        if (schema_param_find(names.v[i]) == NULL)
            each_setting(conf, chk, names.v[i], 1, tables_value);
    strv_fini(&names);
    /* -o settings of parameters main.cf leaves alone */
    for (size_t i = 0; i < pcf_service_count(conf); i++) {
        snprintf(ns, sizeof(ns), "%s/%s", pcf_service_field(conf, i, 0),
                 pcf_service_field(conf, i, 1));
        strv_init(&names);
        pcf_service_params(conf, i, &names);
        for (size_t k = 0; k < names.n; k++) {
            struct setting o = {conf, chk, ns, names.v[k]};
            char *value;

            if (is_set(conf, o.param) || tables_in(&o) == IN_NONE)
                continue; /* main.cf's loop did this -o too */
            if ((value = pcf_service_value(conf, ns, o.param)) != NULL)
                tables_value(&o, value);
            mem_free(value);
        }
        strv_fini(&names);
    }
}

/* ---- TLS levels ---- */

static int
is_one_of(const char *v, const char *const *words)
{
    for (int i = 0; words[i]; i++)
        if (strcasecmp(v, words[i]) == 0)
            return 1;
    return 0;
}

static void
client_level(struct setting *s, const char *v)
{
    static const char *const ok[] = {"",       "none",   "may", "encrypt",
                                     "verify", "secure", NULL};
    static const char *const refused[] = {"dane", "dane-only", "fingerprint",
                                          NULL};

    if (is_one_of(v, ok))
        return;
    if (is_one_of(v, refused))
        server_note(s->chk, SERVER_NOTE_ERROR, s->ns, s->param,
                    "TLS security level \"%s\" is not implemented by "
                    "Postern (no %s); the smtp client defers the mail "
                    "rather than send it with less security: use encrypt, "
                    "verify or secure",
                    v,
                    strcasecmp(v, "fingerprint") == 0
                        ? "certificate fingerprint matching"
                        : "DANE TLSA verification");
    else /* Postfix's smtp(8) words, fatal there and here */
        server_note(s->chk, SERVER_NOTE_ERROR, s->ns, s->param,
                    "Invalid TLS level \"%s\"", v);
}

static void
server_level(struct setting *s, const char *v)
{
    static const char *const ok[] = {"", "none", "may", "encrypt", NULL};
    static const char *const encrypt[] = {"verify", "secure", "fingerprint",
                                          NULL};

    if (is_one_of(v, ok))
        return;
    /* Postfix's smtpd(8) rules and words */
    if (is_one_of(v, encrypt))
        server_note(s->chk, SERVER_NOTE_WARNING, s->ns, s->param,
                    "unsupported TLS level \"%s\", using \"encrypt\"", v);
    else
        server_note(s->chk, SERVER_NOTE_ERROR, s->ns, s->param,
                    "Invalid TLS level \"%s\"", v);
}

void
master_check_tls_levels(struct pcf *conf, const struct server_checker *chk)
{
    each_setting(conf, chk, "smtp_tls_security_level", 1, client_level);
    each_setting(conf, chk, "lmtp_tls_security_level", 1, client_level);
    each_setting(conf, chk, "smtpd_tls_security_level", 1, server_level);
}
