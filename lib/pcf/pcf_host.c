/*
 * pcf_host - defaults that Postfix computes from the host: myhostname,
 *	mydomain, mynetworks, process_id, process_name.
 *
 * DESCRIPTION
 *	As in postconf: myhostname is gethostname(), with ".$mydomain"
 *	(or ".localdomain") appended when it has no dot; mydomain is what
 *	follows the first dot of myhostname when that leaves at least one
 *	more dot, else "localdomain"; mynetworks lists the networks of the
 *	active interfaces named by inet_interfaces, per mynetworks_style
 *	(host, subnet or class) and inet_protocols. Values are computed
 *	once per run.
 *
 * DIAGNOSTICS
 *	"could not find any active network interfaces" is fatal, as in
 *	postconf (a network namespace without "lo" up shows it).
 */
#define _DEFAULT_SOURCE /* getifaddrs, NI_MAXHOST */
#include "pcf/pcf_int.h"

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

/* eval_param - value of a parameter as the running config has it */
static char *
eval_param(struct pcf *p, const char *name)
{
    struct buf ref;
    char *v;
    int mode = (p->mode & PCF_SHOW_DEFS) ? PCF_SHOW_DEFS : 0;

    buf_init(&ref, 0);
    buf_printf(&ref, "${%s}", name);
    v = pcf_expand(p, mode, buf_str(&ref), NULL);
    buf_fini(&ref);
    return v;
}

/* main_eval - main.cf value of name with $name expanded, or NULL */
static char *
main_eval(struct pcf *p, const char *name)
{
    const char *raw = pcf_dict_get(p->main, name);

    if (raw == NULL)
        return NULL;
    return pcf_expand(p, PCF_SHOW_NONDEF, raw, NULL);
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
        dom = main_eval(p, "mydomain");
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
    if ((name = main_eval(p, "myhostname")) == NULL)
        name = mem_strdup(my_hostname(p));
    if ((dot = strchr(name, '.')) == NULL || strchr(dot + 1, '.') == NULL)
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

/* wanted - is this interface address selected by inet_interfaces? */
static int
wanted(const struct ifaddrs *ifa, const char *ifaces, int v4, int v6)
{
    char host[NI_MAXHOST];
    int fam = ifa->ifa_addr->sa_family;
    size_t salen = fam == AF_INET ? sizeof(struct sockaddr_in)
                                  : sizeof(struct sockaddr_in6);
    char *copy, *cp, *tok;
    int ok = 0;

    if ((fam == AF_INET && !v4) || (fam == AF_INET6 && !v6))
        return 0;
    if (strcmp(ifaces, "all") == 0)
        return 1;
    if (getnameinfo(ifa->ifa_addr, (socklen_t) salen, host, sizeof(host),
                    NULL, 0, NI_NUMERICHOST) != 0)
        return 0;
    copy = cp = mem_strdup(ifaces);
    while (!ok && (tok = conf_tok_next(&cp, CONF_SEP_COMMA_SP)) != NULL) {
        if (strcmp(tok, "loopback-only") == 0)
            ok = (ifa->ifa_flags & IFF_LOOPBACK) != 0;
        else if (strcmp(tok, host) == 0)
            ok = 1;
        else if (*tok == '[' && strncmp(tok + 1, host, strlen(host)) == 0
                 && tok[strlen(host) + 1] == ']')
            ok = 1;
    }
    mem_free(copy);
    return ok;
}

static const char *
my_networks(struct pcf *p)
{
    struct ifaddrs *ifap, *ifa;
    char *style, *ifaces, *protos;
    struct buf out;
    int v4, v6;

    if (p->cache[PCF_DYN_MYNETWORKS])
        return p->cache[PCF_DYN_MYNETWORKS];
    style = eval_param(p, "mynetworks_style");
    ifaces = eval_param(p, "inet_interfaces");
    protos = eval_param(p, "inet_protocols");
    v4 = strstr(protos, "all") || strstr(protos, "ipv4");
    v6 = strstr(protos, "all") || strstr(protos, "ipv6");
    buf_init(&out, 0);
    if (getifaddrs(&ifap) < 0)
        log_fatal("getifaddrs: %s", strerror(errno));
    for (ifa = ifap; ifa; ifa = ifa->ifa_next) {
        char addr[INET6_ADDRSTRLEN];
        int fam;

        if (ifa->ifa_addr == NULL || (ifa->ifa_flags & IFF_UP) == 0)
            continue;
        fam = ifa->ifa_addr->sa_family;
        if (fam != AF_INET && fam != AF_INET6)
            continue;
        if (!wanted(ifa, ifaces, v4, v6))
            continue;
        if (fam == AF_INET) {
            struct in_addr a = ((struct sockaddr_in *) ifa->ifa_addr)->sin_addr;
            struct in_addr m = {0};
            int len = 32;

            if (ifa->ifa_netmask)
                m = ((struct sockaddr_in *) ifa->ifa_netmask)->sin_addr;
            if (strcmp(style, "subnet") == 0) {
                len = prefix_len((unsigned char *) &m.s_addr, 4);
                a.s_addr &= m.s_addr;
            } else if (strcmp(style, "class") == 0) {
                unsigned char first = ((unsigned char *) &a.s_addr)[0];
                uint32_t h = ntohl(a.s_addr);

                len = first < 128 ? 8 : first < 192 ? 16 : first < 224 ? 24 : 32;
                h &= len ? 0xffffffffu << (32 - len) : 0;
                a.s_addr = htonl(h);
            }
            inet_ntop(AF_INET, &a, addr, sizeof(addr));
            buf_printf(&out, "%s/%d ", addr, len);
        } else {
            struct in6_addr a = ((struct sockaddr_in6 *) ifa->ifa_addr)->sin6_addr;
            int len = 128;

            if (strcmp(style, "host") != 0 && ifa->ifa_netmask) {
                struct in6_addr m =
                    ((struct sockaddr_in6 *) ifa->ifa_netmask)->sin6_addr;

                len = prefix_len(m.s6_addr, 16);
                for (int i = 0; i < 16; i++)
                    a.s6_addr[i] &= m.s6_addr[i];
            }
            inet_ntop(AF_INET6, &a, addr, sizeof(addr));
            buf_printf(&out, "[%s]/%d ", addr, len);
        }
    }
    freeifaddrs(ifap);
    mem_free(style);
    mem_free(ifaces);
    mem_free(protos);
    /* Like Postfix's mynetworks(), every entry ends in a space. */
    if (out.len == 0) {
        /* Tools that read a config copied from another host get an empty
         * list; postconf itself stops here. */
        if (p->library)
            return p->cache[PCF_DYN_MYNETWORKS] = mem_strdup("");
        log_fatal("could not find any active network interfaces");
    }
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
