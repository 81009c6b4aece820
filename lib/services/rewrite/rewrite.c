/*
 * rewrite - trivial-rewrite: address canonicalization and resolution.
 *
 * DESCRIPTION
 *	See rewrite.h. Domain classes are checked in Postfix's order:
 *	local (mydestination, $inet_interfaces/$proxy_interfaces literals),
 *	virtual alias, virtual mailbox, relay, default.
 *
 *	rewrite_resolve() follows trivial-rewrite's resolve loop on the
 *	internal (unquoted) form of the address: strip a trailing dot,
 *	strip an @domain that is local and look again, turn user%domain
 *	and domain!user into user@domain, open a quoted local part that
 *	holds a routing operator; the result is flagged ROUTED when the
 *	first @, ! or % is not the one before the final domain, and ERROR
 *	when that domain is not a valid hostname or address literal. smtpd
 *	refuses ROUTED recipients for relaying and ERROR ones as bad
 *	syntax; qmgr delivers to the resolved recipient.
 *
 * BUGS
 *	No canonical_maps or masquerade_domains yet.
 */
#define _DEFAULT_SOURCE 1 /* strcasecmp */
#include "rewrite/rewrite.h"

#include <arpa/inet.h>
#include <ctype.h>
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
    int percent_hack;   /* allow_percent_hack */
    int swap_bangpath;  /* swap_bangpath */
    int dequoted;       /* resolve_dequoted_address */
    int null_domain;    /* resolve_null_domain */
    int numeric_domain; /* resolve_numeric_domain */
    char *empty_addr;   /* empty_address_recipient */
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
    /* sender-dependent routing: tables and their null-sender keys */
    struct maps *snd_relay, *snd_xport;
    char *snd_relay_null, *snd_xport_null, *delim;
    struct strv literals; /* "[127.0.0.1]" etc. */
    int ownreq_special;   /* owner_request_special */
    char *double_bounce;  /* double_bounce_sender */
    int table_error;      /* a domain list failed since rewrite_resolve
                           * began (an unreadable /file/name) */
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
    rw->percent_hack = server_conf_bool(p, svc, "allow_percent_hack");
    rw->swap_bangpath = server_conf_bool(p, svc, "swap_bangpath");
    rw->dequoted = server_conf_bool(p, svc, "resolve_dequoted_address");
    rw->null_domain = server_conf_bool(p, svc, "resolve_null_domain");
    rw->numeric_domain = server_conf_bool(p, svc, "resolve_numeric_domain");
    rw->empty_addr = server_conf_str(p, svc, "empty_address_recipient");
    rw->ownreq_special = server_conf_bool(p, svc, "owner_request_special");
    rw->double_bounce = server_conf_str(p, svc, "double_bounce_sender");
    if (*rw->empty_addr == 0) {
        mem_free(rw->empty_addr);
        mem_free(rw->double_bounce);
        rw->empty_addr = mem_strdup("MAILER-DAEMON");
    }
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
    v = server_conf_str(p, svc, "sender_dependent_relayhost_maps");
    rw->snd_relay = maps_new("sender_dependent_relayhost_maps", v, 0);
    mem_free(v);
    v = server_conf_str(p, svc, "sender_dependent_default_transport_maps");
    rw->snd_xport = maps_new("sender_dependent_default_transport_maps", v, 0);
    mem_free(v);
    rw->snd_relay_null =
        server_conf_str(p, svc, "empty_address_relayhost_maps_lookup_key");
    rw->snd_xport_null = server_conf_str(
        p, svc, "empty_address_default_transport_maps_lookup_key");
    rw->delim = server_conf_str(p, svc, "recipient_delimiter");
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
    mem_free(rw->empty_addr);
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
    maps_free(rw->snd_relay);
    maps_free(rw->snd_xport);
    mem_free(rw->snd_relay_null);
    mem_free(rw->snd_xport_null);
    mem_free(rw->delim);
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

/* S - a buffer's writable text (never NULL) */
#define S(b) buf_data(b)

/* find_unquoted - the first (last) c outside quoted strings, or NULL */
static char *
find_unquoted(char *s, int c, int last)
{
    char *hit = NULL;
    int q = 0;

    for (char *p = s; *p; p++) {
        if (*p == '\\' && p[1]) {
            p++;
            continue;
        }
        if (*p == '"')
            q = !q;
        else if (!q && *p == c) {
            hit = p;
            if (!last)
                break;
        }
    }
    return hit;
}

/* swap_or_percent - Postfix's rewrite_tree for an address without '@':
 * domain!user -> user@domain (first '!'), else user%domain ->
 * user@domain (last '%'); 1 when it changed b. quoted: look only
 * outside quoted strings (external form) */
static int
swap_or_percent(struct rewrite *rw, struct buf *b, int quoted)
{
    char *s = S(b), *op;

    if (rw->swap_bangpath &&
        (op = quoted ? find_unquoted(s, '!', 0) : strchr(s, '!')) != NULL) {
        struct buf n;

        buf_init(&n, 0);
        (void) buf_printf(&n, "%s@%.*s", op + 1, (int) (op - s), s);
        buf_truncate(b, 0);
        (void) buf_append(b, n.data, n.len);
        buf_fini(&n);
        return 1;
    }
    if (rw->percent_hack &&
        (op = quoted ? find_unquoted(s, '%', 1) : strrchr(s, '%')) != NULL) {
        *op = '@';
        return 1;
    }
    return 0;
}

char *
rewrite_canon(struct rewrite *rw, const char *addr)
{
    return rewrite_canon_ctx(rw, addr, rw->myorigin, rw->mydomain);
}

char *
rewrite_canon_ctx(struct rewrite *rw, const char *addr, const char *origin,
                  const char *domain)
{
    struct buf b;
    const char *a = addr;
    char *at;
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
    at = find_unquoted(S(&b), '@', 1);
    if (at == NULL && swap_or_percent(rw, &b, 1))
        at = find_unquoted(S(&b), '@', 1);
    if (at == NULL) {
        if (rw->append_at && strcasecmp(buf_str(&b), "MAILER-DAEMON") != 0)
            (void) buf_printf(&b, "@%s", origin);
    } else if (at[1] == 0) {
        buf_truncate(&b, b.len - 1);
        (void) buf_printf(&b, "@%s", origin);
    } else if (rw->append_dot && strchr(at + 1, '.') == NULL && at[1] != '[' &&
               *domain && strcasecmp(at + 1, "localhost") != 0) {
        (void) buf_printf(&b, ".%s", domain);
    }
    return buf_steal(&b);
}

char *
rewrite_unquote(const char *addr)
{
    struct buf b;

    buf_init(&b, strlen(addr) + 1);
    for (const char *p = addr; *p; p++) {
        if (*p == '\\' && p[1])
            (void) buf_putc(&b, *++p);
        else if (*p != '"')
            (void) buf_putc(&b, *p);
    }
    if (b.data == NULL)
        (void) buf_puts(&b, "");
    return buf_steal(&b);
}

/* needs_quote - the local part is not an RFC 822 dot-atom (Postfix's
 * quote_822_local; 8-bit bytes pass, as with its 8bitclean flag) */
static int
needs_quote(const char *lp, size_t n)
{
    if (n == 0 || lp[0] == '.' || lp[n - 1] == '.')
        return 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char) lp[i];

        if (c <= ' ' || c == 127 || strchr("()<>@,;:\\\"[]", c) ||
            (c == '.' && lp[i + 1] == '.'))
            return 1;
    }
    return 0;
}

char *
rewrite_quote(const char *addr)
{
    const char *at = strrchr(addr, '@');
    size_t n = at ? (size_t) (at - addr) : strlen(addr);
    struct buf b;

    if (!needs_quote(addr, n))
        return mem_strdup(addr);
    buf_init(&b, strlen(addr) + 8);
    (void) buf_putc(&b, '"');
    for (size_t i = 0; i < n; i++) {
        if (addr[i] == '"' || addr[i] == '\\')
            (void) buf_putc(&b, '\\');
        (void) buf_putc(&b, addr[i]);
    }
    (void) buf_putc(&b, '"');
    if (at)
        (void) buf_puts(&b, at);
    return buf_steal(&b);
}

int
rewrite_valid_hostname(const char *name)
{
    size_t label = 0, len = strlen(name);
    int non_numeric = 0;

    if (len == 0 || len > 255)
        return 0;
    for (const char *p = name;; p++) {
        unsigned char c = (unsigned char) *p;

        if (c == '.' || c == 0) {
            if (label == 0 || label > 63 || p[-1] == '-')
                return 0;
            if (c == 0)
                break;
            label = 0;
        } else if (isalnum(c) && c < 128) {
            if (!isdigit(c))
                non_numeric = 1;
            label++;
        } else if (c == '-' || c == '_') {
            if (label == 0 && c == '-')
                return 0;
            non_numeric = 1;
            label++;
        } else {
            return 0;
        }
    }
    return non_numeric;
}

int
rewrite_valid_literal(const char *lit)
{
    size_t n = strlen(lit);
    char a[64];
    unsigned char bin[16];

    if (n < 3 || lit[0] != '[' || lit[n - 1] != ']' || n - 2 >= sizeof(a))
        return 0;
    memcpy(a, lit + 1, n - 2);
    a[n - 2] = 0;
    if (strncasecmp(a, "IPv6:", 5) == 0)
        return inet_pton(AF_INET6, a + 5, bin) == 1;
    return inet_pton(AF_INET, a, bin) == 1;
}

/* canon_internal - rewrite_tree in the "local" context on an internal
 * address (the resolver's re-canonicalization step) */
static void
canon_internal(struct rewrite *rw, struct buf *b)
{
    char *s = S(b), *at;
    size_t n;

    if (*s == '@' && strchr(s, ':')) {
        char *rest = mem_strdup(strchr(s, ':') + 1);

        buf_truncate(b, 0);
        (void) buf_puts(b, rest);
        mem_free(rest);
    }
    if (strchr(buf_str(b), '@') == NULL && !swap_or_percent(rw, b, 0) &&
        rw->append_at && *rw->myorigin)
        (void) buf_printf(b, "@%s", rw->myorigin);
    s = S(b);
    at = strrchr(s, '@');
    if (rw->append_dot && *rw->mydomain && at && at[1] && at[1] != '[' &&
        strchr(at + 1, '.') == NULL)
        (void) buf_printf(b, ".%s", rw->mydomain);
    s = S(b);
    n = b->len;
    if (n >= 2 && s[n - 1] == '.' && s[n - 2] != '.' && s[n - 2] != '@')
        buf_truncate(b, n - 1);
}

/* buf_set - replace b's text */
static void
buf_set(struct buf *b, const char *s)
{
    char *copy = mem_strdup(s);

    buf_truncate(b, 0);
    (void) buf_puts(b, copy);
    mem_free(copy);
}

/* in_list - domain in a domain list; a lookup error is remembered, and
 * fails the rest of the resolve without more lookups (and warnings) */
static int
in_list(struct rewrite *rw, struct maps_match *ml, const char *domain)
{
    int r = rw->table_error ? -1 : maps_match_domain(ml, domain);

    if (r < 0)
        rw->table_error = 1;
    return r == 1;
}

/* classify - rewrite_domain_class() inside a resolve */
static enum rewrite_class
classify(struct rewrite *rw, const char *domain)
{
    if (in_list(rw, rw->mydest, domain))
        return REWRITE_LOCAL;
    for (size_t i = 0; i < rw->literals.n; i++)
        if (strcasecmp(rw->literals.v[i], domain) == 0)
            return REWRITE_LOCAL;
    if (in_list(rw, rw->valias, domain))
        return REWRITE_ALIAS;
    if (in_list(rw, rw->vmailbox, domain))
        return REWRITE_VIRTUAL;
    if (in_list(rw, rw->relay, domain))
        return REWRITE_RELAY;
    return REWRITE_DEFAULT;
}

enum rewrite_class
rewrite_domain_class(struct rewrite *rw, const char *domain)
{
    rw->table_error = 0;
    return classify(rw, domain);
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

/* resolve_loop - trivial-rewrite's resolve_addr() loop on b (internal
 * form); on return b holds the recipient, *remote tells whether its
 * domain is not ours */
static void
resolve_loop(struct rewrite *rw, struct buf *b, int *remote)
{
    char *saved = NULL; /* the last local "@domain" stripped */
    size_t max = b->len + 100;

    *remote = 0;
    for (size_t loop = 0; loop <= max; loop++) {
        char *s = S(b), *at, *op;
        size_t n = b->len;

        /* trailing dot of the domain, but not dot-dot or @-dot */
        if (n >= 2 && s[n - 1] == '.' && strchr(s, '@') && s[n - 2] != '.' &&
            s[n - 2] != '@')
            buf_truncate(b, --n);
        /* trailing @ (resolve_null_domain) */
        if (rw->null_domain && n > 0 && s[n - 1] == '@')
            buf_truncate(b, --n);
        /* strip (and save) @domain when it is local */
        if ((at = strrchr(s, '@')) != NULL) {
            if (at[1] && classify(rw, at + 1) != REWRITE_LOCAL) {
                *remote = 1;
                break;
            }
            mem_free(saved);
            saved = mem_strdup(at);
            buf_truncate(b, (size_t) (at - s));
            s = S(b);
            n = b->len;
        }
        /* routing operators in what is left: rewrite and look again */
        if (!needs_quote(s, n)) {
            if ((rw->swap_bangpath && strchr(s, '!')) ||
                (rw->percent_hack && strchr(s, '%'))) {
                canon_internal(rw, b);
                continue;
            }
        } else if (rw->dequoted && n > 0 &&
                   ((op = strrchr(s, '@')) != NULL ||
                    (rw->percent_hack && (op = strrchr(s, '%')) != NULL) ||
                    (rw->swap_bangpath && (op = strrchr(s, '!')) != NULL))) {
            /* a quoted local part "user@domain": opened, as Postfix does
             * to stop user@domain@ourdomain relaying */
            if (*op == '%')
                *op = '@';
            canon_internal(rw, b);
            continue;
        }
        /* empty local part: the local MAILER-DAEMON */
        if (n == 0) {
            buf_set(b, rw->empty_addr);
            continue;
        }
        if (saved == NULL) {
            (void) buf_printf(b, "@%s", rw->myhostname);
            continue;
        }
        break;
    }
    if (!*remote && saved)
        (void) buf_puts(b, saved);
    else if (!*remote)
        (void) buf_printf(b, "@%s", rw->myhostname);
    mem_free(saved);
}

static int resolve(struct rewrite *rw, const char *sender, const char *addr,
                   struct rewrite_result *res);

/*
 * rewrite_resolve - resolve(), or -1 when a domain list could not be
 * consulted (Postfix's RESOLVE_FLAG_FAIL: smtpd answers 451, qmgr
 * defers), rather than a class guessed without it.
 */
int
rewrite_resolve(struct rewrite *rw, const char *addr,
                struct rewrite_result *res)
{
    int rc;

    rw->table_error = 0;
    rc = resolve(rw, NULL, addr, res);
    return rw->table_error ? -1 : rc;
}

int
rewrite_resolve_from(struct rewrite *rw, const char *sender, const char *addr,
                     struct rewrite_result *res)
{
    int rc;

    rw->table_error = 0;
    rc = resolve(rw, sender, addr, res);
    return rw->table_error ? -1 : rc;
}

/* by_sender - sender (NULL: not known) in a sender_dependent_* table,
 * the null sender as null_key: the value (borrowed), or NULL (also for
 * DUNNO, which ends the search: the global setting applies); -1 in *err
 * when the table failed */
static const char *
by_sender(struct rewrite *rw, struct maps *m, const char *sender,
          const char *null_key, int *err)
{
    const char *v = NULL;
    enum maps_result r;

    if (sender == NULL || maps_empty(m))
        return NULL;
    if (*sender == 0)
        r = *null_key ? maps_find(m, null_key, &v) : MAPS_NOTFOUND;
    else
        r = rewrite_addr_find(rw, m, sender, rw->delim, &v, NULL);
    if (r == MAPS_ERROR)
        *err = 1;
    if (r != MAPS_FOUND || strcasecmp(v, "DUNNO") == 0)
        return NULL;
    return v;
}

static int
resolve(struct rewrite *rw, const char *sender, const char *addr,
        struct rewrite_result *res)
{
    const char *domain, *v, *first, *hop, *xport;
    int err = 0;
    enum maps_result r;
    struct buf b;
    char *internal = rewrite_unquote(addr);
    int remote;

    memset(res, 0, sizeof(*res));
    buf_init(&b, strlen(internal) + 64);
    (void) buf_puts(&b, internal);
    mem_free(internal);
    resolve_loop(rw, &b, &remote);
    if (b.len >= sizeof(res->rcpt)) {
        res->flags |= REWRITE_FLAG_ERROR;
    } else {
        memcpy(res->rcpt, S(&b), b.len + 1);
    }
    buf_fini(&b);
    domain = strrchr(res->rcpt, '@');
    domain = domain ? domain + 1 : "";
    if (*domain == '[' ? !rewrite_valid_literal(domain)
                       : !rewrite_valid_hostname(domain)) {
        struct in_addr a4;

        if (rw->numeric_domain && inet_pton(AF_INET, domain, &a4) == 1 &&
            strlen(res->rcpt) + 2 < sizeof(res->rcpt)) {
            /* user@1.2.3.4 -> user@[1.2.3.4] */
            char lit[64];
            size_t at = (size_t) (domain - res->rcpt);

            snprintf(lit, sizeof(lit), "[%s]", domain);
            snprintf(res->rcpt + at, sizeof(res->rcpt) - at, "%s", lit);
            domain = res->rcpt + at;
            remote = classify(rw, domain) != REWRITE_LOCAL;
        } else {
            res->flags |= REWRITE_FLAG_ERROR;
        }
    }
    if (res->flags & REWRITE_FLAG_ERROR) {
        /* Postfix short-cuts invalid forms to the default class */
        res->cls = REWRITE_DEFAULT;
        snprintf(res->transport, sizeof(res->transport), "error");
        snprintf(res->nexthop, sizeof(res->nexthop),
                 "5.1.3 bad address syntax");
        return 0;
    }
    /* routing operators left before the final domain */
    first = res->rcpt + strcspn(res->rcpt, "@!%");
    if (*first == 0 || strcmp(first + 1, domain) != 0)
        res->flags |= REWRITE_FLAG_ROUTED;
    res->cls = remote ? classify(rw, domain) : REWRITE_LOCAL;
    if (res->cls == REWRITE_LOCAL && remote)
        res->cls = REWRITE_DEFAULT; /* cannot happen: remote is not local */
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
    default:
        /* off-host: the nexthop from the transport's own, else the
         * sender's relayhost, the relayhost, the domain; the default
         * class's transport by sender first (Postfix's resolve.c) */
        hop = by_sender(rw, rw->snd_relay, sender, rw->snd_relay_null, &err);
        if (hop == NULL)
            hop = *rw->relayhost ? rw->relayhost : domain;
        xport = rw->relay_transport;
        if (res->cls != REWRITE_RELAY &&
            (xport = by_sender(rw, rw->snd_xport, sender, rw->snd_xport_null,
                               &err)) == NULL)
            xport = rw->default_transport;
        if (err)
            return -1;
        set_transport(res, xport, hop);
        break;
    }
    if (!maps_empty(rw->transport_maps) && res->cls != REWRITE_ALIAS) {
        /* full address, then domain, then .parent domains */
        r = maps_find(rw->transport_maps, res->rcpt, &v);
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

/* rewrite_split_ext - Postfix's split_addr() */
char *
rewrite_split_ext(const struct rewrite *rw, char *localpart, const char *delim)
{
    size_t len;

    if (delim == NULL || *delim == 0)
        return NULL;
    /* reserved addresses are not split, whatever the delimiter */
    if (strcasecmp(localpart, "postmaster") == 0 ||
        strcasecmp(localpart, "mailer-daemon") == 0 ||
        strcasecmp(localpart, rw->double_bounce) == 0)
        return NULL;
    /* backwards compatibility: owner-foo and foo-request stay whole */
    if (strchr(delim, '-') && rw->ownreq_special) {
        len = strlen(localpart);
        if (strncasecmp(localpart, "owner-", 6) == 0)
            return NULL;
        if (len > 8 && strcasecmp(localpart + len - 8, "-request") == 0)
            return NULL;
    }
    /* not when the result would have an empty local part */
    len = strcspn(localpart, delim);
    if (len == 0 || localpart[len] == 0)
        return NULL;
    localpart[len] = 0;
    return localpart + len + 1;
}

/*
 * rewrite_addr_find - Postfix 3.7's mail_addr_find() with its default
 * strategy: user+ext@domain, user@domain, then (when domain is $myorigin
 * or local) user+ext and user, then @domain. Keys other than the whole
 * address skip the pattern tables (maps_find_partial).
 */
enum maps_result
rewrite_addr_find(struct rewrite *rw, struct maps *m, const char *addr,
                  const char *delim, const char **value, char **ext)
{
    char *full = mem_strdup(addr), *bare = NULL, *saved = NULL;
    char *at = strrchr(full, '@');
    enum maps_result r;

    if (ext)
        *ext = NULL;
    /* the bare key: the address without its extension */
    if (delim && *delim) {
        char *lp = mem_strndup(full, at ? (size_t) (at - full) : strlen(full));
        char *e = rewrite_split_ext(rw, lp, delim);

        if (e) {
            struct buf b;

            /* the extension keeps its delimiter, as Postfix's */
            saved = mem_alloc(strlen(e) + 2);
            saved[0] = full[strlen(lp)];
            memcpy(saved + 1, e, strlen(e) + 1);
            buf_init(&b, 0);
            (void) buf_puts(&b, lp);
            if (at)
                (void) buf_puts(&b, at);
            bare = mem_strdup(buf_str(&b));
            buf_fini(&b);
        }
        mem_free(lp);
    }
    r = maps_find(m, full, value);
    if (r == MAPS_NOTFOUND && bare) {
        r = maps_find_partial(m, bare, value);
        if (r == MAPS_FOUND && ext) {
            *ext = saved;
            saved = NULL;
        }
    }
    if (r == MAPS_NOTFOUND && at) {
        rw->table_error = 0;
        if (strcasecmp(at + 1, rw->myorigin) == 0 ||
            classify(rw, at + 1) == REWRITE_LOCAL) {
            *at = 0;
            r = maps_find_partial(m, full, value);
            if (r == MAPS_NOTFOUND && bare) {
                *strrchr(bare, '@') = 0;
                r = maps_find_partial(m, bare, value);
                if (r == MAPS_FOUND && ext) {
                    *ext = saved;
                    saved = NULL;
                }
            }
            *at = '@';
        } else if (rw->table_error) {
            r = MAPS_ERROR;
        }
    }
    if (r == MAPS_NOTFOUND && at)
        r = maps_find_partial(m, at, value);
    mem_free(full);
    mem_free(bare);
    mem_free(saved);
    return r;
}
