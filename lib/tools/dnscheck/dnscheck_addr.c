/*
 * dnscheck_addr - IP address parsing and classification.
 *
 * DESCRIPTION
 *	dnscheck_ip_is_public() follows the IANA special-purpose registries (RFC
 *	6890 and successors): private (RFC 1918, fc00::/7), shared
 *	(100.64/10), loopback, link-local, multicast, benchmarking,
 *	reserved and unspecified space is not public. The documentation
 *	prefixes (192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32)
 *	count as public so that examples and tests read like real
 *	configurations; they never appear in real DNS data.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "dnscheck/dnscheck_int.h"

int
dnscheck_ip_parse(const char *s, struct dnscheck_ip *ip)
{
    char tmp[INET6_ADDRSTRLEN + 2];
    size_t n = strlen(s);

    memset(ip, 0, sizeof(*ip));
    if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
        s++;
        n -= 2;
    }
    if (n == 0 || n >= sizeof(tmp))
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = 0;
    if (inet_pton(AF_INET, tmp, ip->a) == 1)
        return 0;
    if (inet_pton(AF_INET6, tmp, ip->a) == 1) {
        ip->v6 = 1;
        return 0;
    }
    return -1;
}

void
dnscheck_ip_format(const struct dnscheck_ip *ip, char *out, size_t len)
{
    if (inet_ntop(ip->v6 ? AF_INET6 : AF_INET, ip->a, out, (socklen_t) len) ==
        NULL)
        snprintf(out, len, "?");
}

int
dnscheck_ip_equal(const struct dnscheck_ip *a, const struct dnscheck_ip *b)
{
    return a->v6 == b->v6 && memcmp(a->a, b->a, a->v6 ? 16 : 4) == 0;
}

int
dnscheck_ip_in_net(const struct dnscheck_ip *ip, const unsigned char *net,
                   int v6, int prefix)
{
    int full = prefix / 8, rest = prefix % 8;

    if (ip->v6 != v6 || prefix < 0 || prefix > (v6 ? 128 : 32))
        return 0;
    if (memcmp(ip->a, net, (size_t) full) != 0)
        return 0;
    if (rest) {
        unsigned char mask = (unsigned char) (0xff << (8 - rest));

        if ((ip->a[full] & mask) != (net[full] & mask))
            return 0;
    }
    return 1;
}

static const struct {
    unsigned char net[4];
    int prefix;
} v4_special[] = {
    {{0, 0, 0, 0}, 8},    {{10, 0, 0, 0}, 8},     {{100, 64, 0, 0}, 10},
    {{127, 0, 0, 0}, 8},  {{169, 254, 0, 0}, 16}, {{172, 16, 0, 0}, 12},
    {{192, 0, 0, 0}, 24}, {{192, 168, 0, 0}, 16}, {{198, 18, 0, 0}, 15},
    {{224, 0, 0, 0}, 4},  {{240, 0, 0, 0}, 4},
};

static const struct {
    unsigned char net[16];
    int prefix;
} v6_special[] = {
    {{0}, 96},                                        /* ::/96 incl. ::, ::1 */
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, 96}, /* v4-mapped */
    {{0x01, 0x00}, 64},                               /* discard-only */
    {{0xfc}, 7},                                      /* unique local */
    {{0xfe, 0x80}, 10},                               /* link-local */
    {{0xfe, 0xc0}, 10},                               /* site-local */
    {{0xff}, 8},                                      /* multicast */
};

int
dnscheck_ip_is_public(const struct dnscheck_ip *ip)
{
    if (!ip->v6) {
        for (size_t i = 0; i < sizeof(v4_special) / sizeof(v4_special[0]); i++)
            if (dnscheck_ip_in_net(ip, v4_special[i].net, 0,
                                   v4_special[i].prefix))
                return 0;
        return 1;
    }
    for (size_t i = 0; i < sizeof(v6_special) / sizeof(v6_special[0]); i++)
        if (dnscheck_ip_in_net(ip, v6_special[i].net, 1, v6_special[i].prefix))
            return 0;
    return 1;
}

int
dnscheck_ip_from_rr(const ldns_rr *rr, struct dnscheck_ip *ip)
{
    const ldns_rdf *rdf = ldns_rr_rdf(rr, 0);

    memset(ip, 0, sizeof(*ip));
    if (rdf == NULL)
        return -1;
    if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_A && ldns_rdf_size(rdf) == 4) {
        memcpy(ip->a, ldns_rdf_data(rdf), 4);
        return 0;
    }
    if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_AAAA && ldns_rdf_size(rdf) == 16) {
        memcpy(ip->a, ldns_rdf_data(rdf), 16);
        ip->v6 = 1;
        return 0;
    }
    return -1;
}

void
dnscheck_ip_reverse_name(const struct dnscheck_ip *ip, struct buf *b)
{
    static const char hex[] = "0123456789abcdef";

    if (!ip->v6) {
        buf_printf(b, "%u.%u.%u.%u.in-addr.arpa", ip->a[3], ip->a[2], ip->a[1],
                   ip->a[0]);
        return;
    }
    for (int i = 15; i >= 0; i--)
        buf_printf(b, "%c.%c.", hex[ip->a[i] & 15], hex[ip->a[i] >> 4]);
    buf_puts(b, "ip6.arpa");
}
