/*
 * pcf_host - defaults that Postfix computes from the host: myhostname,
 *	mydomain, mynetworks, process_id, process_name.
 *
 * DESCRIPTION
 *	As in postconf: myhostname is gethostname(), with ".$mydomain"
 *	(or ".localdomain") appended when it has no dot; mydomain is what
 *	follows the first dot of myhostname, or "localdomain" when it has
 *	none. main.cf's mydomain and myhostname enter these defaults as
 *	postconf takes them (mail_conf_lookup_eval: expanded against main.cf
 *	alone, so "myhostname = $mydomain" is no loop); mynetworks lists the
 *networks of the addresses that inet_interfaces selects, per mynetworks_style
 *(host, subnet or class) and inet_protocols. Values are computed once per run,
 *and only when a query needs them (a default that is printed, expanded or
 *scanned for unused names).
 *
 *	As postconf's pcf_mynetworks(), inet_interfaces, mynetworks_style
 *	and inet_protocols are taken from main.cf (and -o) expanded against
 *	main.cf alone (mail_conf_lookup_eval), or their defaults with -d:
 *	"inet_interfaces = $mydomain" with no mydomain in main.cf is empty,
 *	an empty list of addresses, not an error.
 *
 * DIAGNOSTICS
 *	Fatal, with postconf's wording (own_inet_addr.c): "could not find any
 *	active network interfaces" (a network namespace without "lo" up
 *	shows it), "config variable inet_interfaces: host not found: NAME",
 *	"parameter inet_interfaces: no local interface found for ADDR".
 *	Loaded as a library (pcf_load()), these give an empty mynetworks.
 */
#define _DEFAULT_SOURCE /* getifaddrs, NI_MAXHOST */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcf/pcf_int.h"

/* conf_cb - mail_conf_lookup(): main.cf and -o overrides only */
static const char *
conf_cb(const char *name, int mode, void *ctx)
{
    struct pcf *p = ctx;

    (void) mode;
    return pcf_dict_get(p->main, name);
}

/*
 * conf_lookup_eval - postconf's mail_conf_lookup_eval(): main.cf's value
 * (and -o's; none with -d) expanded against main.cf alone, so that
 * "$mydomain" is empty when main.cf does not set mydomain; NULL when
 * main.cf does not set name.
 */
static char *
conf_lookup_eval(struct pcf *p, const char *name)
{
    const char *raw = NULL;
    struct buf b;

    if ((p->mode & PCF_SHOW_DEFS) == 0)
        raw = pcf_dict_get(p->main, name);
    if (raw == NULL)
        return NULL;
    buf_init(&b, 0);
    if (mac_expand(&b, raw, MAC_EXP_FLAG_RECURSE, NULL, conf_cb, p) &
        MAC_PARSE_ERROR)
        log_fatal("dictionary mail_dict: macro processing error");
    return buf_steal(&b);
}

static const char *
my_hostname(struct pcf *p)
{
    char host[256];
    char *dom;
    struct buf b;

    if (p->cache[PCF_DYN_MYHOSTNAME])
        return p->cache[PCF_DYN_MYHOSTNAME];
    if (gethostname(host, sizeof(host)) < 0)
        log_fatal("gethostname: %s", strerror(errno));
    host[sizeof(host) - 1] = 0;
    buf_init(&b, 0);
    buf_puts(&b, host);
    if (strchr(host, '.') == NULL) {
        dom = conf_lookup_eval(p, "mydomain");
        buf_printf(&b, ".%s", dom ? dom : "localdomain");
        mem_free(dom);
    }
    return p->cache[PCF_DYN_MYHOSTNAME] = buf_steal(&b);
}

static const char *
my_domain(struct pcf *p)
{
    char *name, *dot;

    if (p->cache[PCF_DYN_MYDOMAIN])
        return p->cache[PCF_DYN_MYDOMAIN];
    if ((name = conf_lookup_eval(p, "myhostname")) == NULL)
        name = mem_strdup(my_hostname(p));
    if ((dot = strchr(name, '.')) == NULL)
        p->cache[PCF_DYN_MYDOMAIN] = mem_strdup("localdomain");
    else
        p->cache[PCF_DYN_MYDOMAIN] = mem_strdup(dot + 1);
    mem_free(name);
    return p->cache[PCF_DYN_MYDOMAIN];
}

static int
prefix_len(const unsigned char *mask, size_t n)
{
    int bits = 0;

    for (size_t i = 0; i < n; i++)
        for (int b = 7; b >= 0; b--)
            if (mask[i] & (1 << b))
                bits++;
    return bits;
}

/*
 * conf_param - as postconf's pcf_mynetworks() gets a value:
 * conf_lookup_eval(), else the default, expanded as postconf expands
 * values (the default of mynetworks_style depends on compatibility_level).
 */
static char *
conf_param(struct pcf *p, const char *name)
{
    char *value = conf_lookup_eval(p, name);
    struct pcf_node *node;

    if (value)
        return value;
    node = htab_find(p->params, name);
    return pcf_expand(p, p->mode & PCF_SHOW_DEFS,
                      node && node->defval ? node->defval : "", NULL);
}

/* One interface address with the netmask of its interface. */
struct pcf_ifaddr {
    struct sockaddr_storage addr;
    struct sockaddr_storage mask;
};

struct pcf_iflist {
    struct pcf_ifaddr *v;
    size_t n;
};

static void
iflist_add(struct pcf_iflist *l, const struct sockaddr *addr,
           const struct sockaddr *mask)
{
    size_t len = addr->sa_family == AF_INET ? sizeof(struct sockaddr_in)
                                            : sizeof(struct sockaddr_in6);
    struct pcf_ifaddr *e;

    l->v = mem_realloc(l->v, (l->n + 1) * sizeof(*l->v));
    e = l->v + l->n++;
    memset(e, 0, sizeof(*e));
    memcpy(&e->addr, addr, len);
    if (mask)
        memcpy(&e->mask, mask, len);
    e->mask.ss_family = addr->sa_family;
}

/* same_addr - SOCK_ADDR_EQ_ADDR: same family and address */
static int
same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return 0;
    if (a->ss_family == AF_INET)
        return memcmp(&((const struct sockaddr_in *) a)->sin_addr,
                      &((const struct sockaddr_in *) b)->sin_addr,
                      sizeof(struct in_addr)) == 0;
    return memcmp(&((const struct sockaddr_in6 *) a)->sin6_addr,
                  &((const struct sockaddr_in6 *) b)->sin6_addr,
                  sizeof(struct in6_addr)) == 0;
}

/* cmp_addr - sock_addr_cmp_addr(), the order of inet_addr_list_uniq() */
static int
cmp_addr(const void *va, const void *vb)
{
    const struct pcf_ifaddr *a = va, *b = vb;
    uint32_t x, y;

    if (a->addr.ss_family != b->addr.ss_family)
        return a->addr.ss_family - b->addr.ss_family;
    if (a->addr.ss_family == AF_INET6)
        return memcmp(&((const struct sockaddr_in6 *) &a->addr)->sin6_addr,
                      &((const struct sockaddr_in6 *) &b->addr)->sin6_addr,
                      sizeof(struct in6_addr));
    /* Postfix subtracts the s_addr words (network order) as they are. */
    x = ((const struct sockaddr_in *) &a->addr)->sin_addr.s_addr;
    y = ((const struct sockaddr_in *) &b->addr)->sin_addr.s_addr;
    return (int) (x - y);
}

static int
is_loopback(const struct sockaddr_storage *a)
{
    if (a->ss_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *) a)->sin_addr.s_addr) >>
                24) == 127;
    return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *) a)->sin6_addr);
}

/* local_addrs - inet_addr_local(): addresses of the interfaces that are up */
static int
local_addrs(struct pcf_iflist *l, int v4, int v6)
{
    struct ifaddrs *ifap, *ifa;
    int fam;

    if (getifaddrs(&ifap) < 0)
        log_fatal("getifaddrs: %s", strerror(errno));
    for (ifa = ifap; ifa; ifa = ifa->ifa_next) {
        if (ifa->ifa_addr == NULL || (ifa->ifa_flags & IFF_UP) == 0)
            continue;
        fam = ifa->ifa_addr->sa_family;
        if ((fam == AF_INET && v4) || (fam == AF_INET6 && v6))
            iflist_add(l, ifa->ifa_addr, ifa->ifa_netmask);
    }
    freeifaddrs(ifap);
    return l->n > 0;
}

/* host_addrs - inet_addr_host(): the addresses of one inet_interfaces name */
static int
host_addrs(struct pcf_iflist *l, const char *host, int v4, int v6)
{
    struct addrinfo hints, *res0, *res;
    size_t len = strlen(host);
    char *name = mem_strdup(host);
    size_t before = l->n;

    if (len > 1 && host[0] == '[' && host[len - 1] == ']') {
        memmove(name, host + 1, len - 2);
        name[len - 2] = 0;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = v4 && v6 ? AF_UNSPEC : v4 ? AF_INET : AF_INET6;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(name, NULL, &hints, &res0) == 0) {
        for (res = res0; res; res = res->ai_next)
            if ((res->ai_family == AF_INET && v4) ||
                (res->ai_family == AF_INET6 && v6))
                iflist_add(l, res->ai_addr, NULL);
        freeaddrinfo(res0);
    }
    mem_free(name);
    return l->n > before;
}

#define NO_IFACES "could not find any active network interfaces"

/*
 * own_addrs - own_inet_addr_init(): the addresses inet_interfaces
 * selects, each with the netmask of its interface. "all" and
 * "loopback-only" select among the interfaces; anything else is a list
 * of names and addresses, each of which must resolve and be the address
 * of an interface that is up. Returns 0, or -1 with postconf's fatal
 * message in err.
 */
static int
own_addrs(struct pcf_iflist *own, const char *ifaces, int v4, int v6,
          struct buf *err)
{
    struct pcf_iflist local = {0}, named = {0};
    char *copy, *cp, *tok, host[NI_MAXHOST];
    size_t i, j;
    int rc = 0;

    if (strcmp(ifaces, "all") == 0 || strcmp(ifaces, "loopback-only") == 0) {
        if (!local_addrs(&local, v4, v6)) {
            buf_puts(err, NO_IFACES);
            rc = -1;
        }
        for (i = 0; i < local.n; i++)
            if (*ifaces == 'a' || is_loopback(&local.v[i].addr))
                iflist_add(own, (struct sockaddr *) &local.v[i].addr,
                           (struct sockaddr *) &local.v[i].mask);
        mem_free(local.v);
        return rc;
    }
    copy = cp = mem_strdup(ifaces);
    while (rc == 0 && (tok = conf_tok_next(&cp, CONF_SEP_COMMA_SP)) != NULL)
        if (!host_addrs(&named, tok, v4, v6)) {
            buf_printf(err,
                       "config variable inet_interfaces: host not "
                       "found: %s",
                       tok);
            rc = -1;
        }
    mem_free(copy);
    if (rc == 0 && !local_addrs(&local, v4, v6)) {
        buf_puts(err, NO_IFACES);
        rc = -1;
    }
    /* inet_addr_list_uniq(): sorted, duplicates dropped */
    if (named.n > 1)
        qsort(named.v, named.n, sizeof(*named.v), cmp_addr);
    for (i = 0; rc == 0 && i < named.n; i++) {
        if (i > 0 && same_addr(&named.v[i - 1].addr, &named.v[i].addr))
            continue;
        for (j = 0;
             j < local.n && !same_addr(&named.v[i].addr, &local.v[j].addr); j++)
            /* find the interface */;
        if (j == local.n) {
            getnameinfo((struct sockaddr *) &named.v[i].addr,
                        named.v[i].addr.ss_family == AF_INET
                            ? sizeof(struct sockaddr_in)
                            : sizeof(struct sockaddr_in6),
                        host, sizeof(host), NULL, 0, NI_NUMERICHOST);
            buf_printf(err,
                       "parameter inet_interfaces: no local interface "
                       "found for %s",
                       host);
            rc = -1;
            break;
        }
        iflist_add(own, (struct sockaddr *) &named.v[i].addr,
                   (struct sockaddr *) &local.v[j].mask);
    }
    mem_free(named.v);
    mem_free(local.v);
    return rc;
}

enum pcf_style { STYLE_CLASS = 1, STYLE_SUBNET = 2, STYLE_HOST = 4 };

/* parse_style - mynetworks(): exactly one of class, subnet, host */
static int
parse_style(const char *value, struct buf *err)
{
    static const char *const names[] = {"class", "subnet", "host"};
    char *copy = mem_strdup(value), *cp = copy, *tok;
    int mask = 0, i;

    while ((tok = conf_tok_next(&cp, CONF_SEP_COMMA_SP)) != NULL) {
        for (i = 0; i < 3 && strcmp(tok, names[i]) != 0; i++)
            continue;
        if (i == 3) {
            buf_printf(err,
                       "unknown mynetworks mask style value \"%s\" in "
                       "\"%s\"",
                       tok, value);
            mem_free(copy);
            return -1;
        }
        mask |= 1 << i;
    }
    mem_free(copy);
    if (mask != STYLE_CLASS && mask != STYLE_SUBNET && mask != STYLE_HOST) {
        buf_printf(err,
                   "bad mynetworks_style value: %s; specify exactly "
                   "one value",
                   value);
        return -1;
    }
    return mask;
}

/* format_net - one mynetworks entry for an address, per mynetworks_style */
static void
format_net(struct buf *out, const struct pcf_ifaddr *e, int style)
{
    char addr[INET6_ADDRSTRLEN];

    if (e->addr.ss_family == AF_INET) {
        struct in_addr a = ((const struct sockaddr_in *) &e->addr)->sin_addr;
        struct in_addr m = ((const struct sockaddr_in *) &e->mask)->sin_addr;
        int len = 32;

        if (style == STYLE_SUBNET) {
            len = prefix_len((unsigned char *) &m.s_addr, 4);
            a.s_addr &= m.s_addr;
        } else if (style == STYLE_CLASS) {
            unsigned char first = ((unsigned char *) &a.s_addr)[0];
            uint32_t h = ntohl(a.s_addr);

            len = first < 128 ? 8 : first < 192 ? 16 : first < 224 ? 24 : 32;
            h &= len ? 0xffffffffu << (32 - len) : 0;
            a.s_addr = htonl(h);
        }
        inet_ntop(AF_INET, &a, addr, sizeof(addr));
        buf_printf(out, "%s/%d ", addr, len);
    } else {
        struct in6_addr a = ((const struct sockaddr_in6 *) &e->addr)->sin6_addr;
        const struct in6_addr *m =
            &((const struct sockaddr_in6 *) &e->mask)->sin6_addr;
        int len = 128;

        if (style != STYLE_HOST) {
            len = prefix_len(m->s6_addr, 16);
            for (int i = 0; i < 16; i++)
                a.s6_addr[i] &= m->s6_addr[i];
        }
        inet_ntop(AF_INET6, &a, addr, sizeof(addr));
        buf_printf(out, "[%s]/%d ", addr, len);
    }
}

/* has_entry - is "net " (with its space) an entry of list? */
static int
has_entry(const char *list, const char *net)
{
    const char *hit;

    for (hit = strstr(list, net); hit; hit = strstr(hit + 1, net))
        if (hit == list || hit[-1] == ' ')
            return 1;
    return 0;
}

/*
 * my_networks - postconf's pcf_mynetworks(): inet_interfaces,
 * mynetworks_style and inet_protocols as main.cf has them (defaults
 * with -d), then Postfix's mynetworks().
 */
static const char *
my_networks(struct pcf *p)
{
    struct pcf_iflist own = {0};
    char *style, *ifaces, *protos;
    struct buf out, err;
    int v4, v6, st = STYLE_HOST;

    if (p->cache[PCF_DYN_MYNETWORKS])
        return p->cache[PCF_DYN_MYNETWORKS];
    ifaces = conf_param(p, "inet_interfaces");
    style = conf_param(p, "mynetworks_style");
    protos = conf_param(p, "inet_protocols");
    v4 = strstr(protos, "all") || strstr(protos, "ipv4");
    v6 = strstr(protos, "all") || strstr(protos, "ipv6");
    buf_init(&err, 0);
    /* With every protocol disabled there is nothing to look up. */
    if (v4 || v6) {
        if ((st = parse_style(style, &err)) < 0 ||
            own_addrs(&own, ifaces, v4, v6, &err) < 0) {
            /* Tools that read a config copied from another host get an
             * empty list; postconf itself stops here. */
            if (!p->library)
                log_fatal("%s", buf_str(&err));
            own.n = 0;
        }
    }
    buf_fini(&err);
    buf_init(&out, 0);
    /* Like Postfix's mynetworks(), every entry ends in a space, and a
     * network is listed once (two addresses of one subnet). */
    for (size_t i = 0; i < own.n; i++) {
        struct buf one;

        buf_init(&one, 0);
        format_net(&one, own.v + i, st);
        if (!has_entry(buf_str(&out), buf_str(&one)))
            buf_puts(&out, buf_str(&one));
        buf_fini(&one);
    }
    mem_free(own.v);
    mem_free(style);
    mem_free(ifaces);
    mem_free(protos);
    return p->cache[PCF_DYN_MYNETWORKS] = buf_steal(&out);
}

const char *
pcf_dynamic_default(struct pcf *p, enum pcf_dyn dyn)
{
    switch (dyn) {
    case PCF_DYN_MYHOSTNAME:
        return my_hostname(p);
    case PCF_DYN_MYDOMAIN:
        return my_domain(p);
    case PCF_DYN_MYNETWORKS:
        return my_networks(p);
    case PCF_DYN_PROCESS_ID:
        if (p->cache[dyn] == NULL) {
            struct buf b;

            buf_init(&b, 0);
            buf_printf(&b, "%ld", p->pid);
            p->cache[dyn] = buf_steal(&b);
        }
        return p->cache[dyn];
    case PCF_DYN_PROCESS_NAME:
        return p->process_name;
    case PCF_DYN_NONE:
        break;
    }
    return "";
}
