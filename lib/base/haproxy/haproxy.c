/*
 * haproxy - see haproxy.h.
 */
#include "haproxy/haproxy.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const unsigned char v2sig[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                        0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

/* need - haproxy_need without its floor */
static size_t
need(const void *buf, size_t len)
{
    const unsigned char *p = buf;
    size_t n = len < sizeof(v2sig) ? len : sizeof(v2sig);

    if (len > 0 && memcmp(p, v2sig, n) == 0) {
        if (len < HAPROXY_V2_HEADER)
            return HAPROXY_V2_HEADER;
        return HAPROXY_V2_HEADER + ((size_t) p[14] << 8 | p[15]);
    }
    if (len > 0 && p[0] == 'P') {
        const unsigned char *nl = memchr(p, '\n', len);

        if (nl)
            return (size_t) (nl - p) + 1;
        return len < HAPROXY_V1_MAX ? len + 1 : 0;
    }
    /* anything else: parse says what is wrong with the first line */
    if (len == 0)
        return 1;
    {
        const unsigned char *nl = memchr(p, '\n', len);

        if (nl)
            return (size_t) (nl - p) + 1;
        return len < HAPROXY_V1_MAX ? len + 1 : 0;
    }
}

size_t
haproxy_need(const void *buf, size_t len)
{
    size_t n = need(buf, len);

    /* what was read is part of the header: a false start of the binary
     * signature ("\r\n" and more) is a malformed line that long */
    return n != 0 && n < len ? len : n;
}

/* addr - a numeric address of family af into out (IPv4-mapped IPv6 as
 * IPv4 when families allow IPv4, as Postfix); -1 when s is not one */
static int
addr(const char *s, int af, unsigned families, char *out, size_t outlen)
{
    unsigned char a[16];
    char v4[16];

    if (af == AF_INET) { /* 01.02.03.04 is 1.2.3.4, as for Postfix */
        size_t o = 0;

        for (const char *q = s; *q; q++) {
            if (*q == '0' && (q == s || q[-1] == '.') &&
                isdigit((unsigned char) q[1]))
                continue;
            if (o + 1 >= sizeof(v4))
                return -1;
            v4[o++] = *q;
        }
        v4[o] = 0;
        s = v4;
    }
    if (inet_pton(af, s, a) != 1)
        return -1;
    if (af == AF_INET6 && (families & HAPROXY_IPV4) &&
        memcmp(a, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0)
        return inet_ntop(AF_INET, a + 12, out, (socklen_t) outlen) ? 0 : -1;
    return inet_ntop(af, a, out, (socklen_t) outlen) ? 0 : -1;
}

/* port - decimal 0..65535, no leading zero (Postfix's valid_hostport) */
static int
port(const char *s, char *out, size_t outlen)
{
    size_t n = strlen(s);
    long v = 0;

    if (n == 0 || n > 5 || (s[0] == '0' && n > 1))
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char) s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v > 65535)
        return -1;
    snprintf(out, outlen, "%s", s);
    return 0;
}

static int
parse_v1(const char *buf, size_t len, unsigned families,
         struct haproxy_endpoints *ep, const char **err)
{
    char line[HAPROXY_V1_MAX + 1], *tok[7], *save = NULL;
    int n = 0, af;

    if (len > HAPROXY_V1_MAX) {
        *err = "unrecognized protocol header";
        return -1;
    }
    memcpy(line, buf, len);
    line[len] = 0;
    for (char *t = strtok_r(line, " \r\n", &save); t && n < 7;
         t = strtok_r(NULL, " \r\n", &save))
        tok[n++] = t;
    if (n < 1 || strcmp(tok[0], "PROXY") != 0) {
        *err = "unrecognized protocol header";
        return -1;
    }
    if (n >= 2 && strcasecmp(tok[1], "TCP4") == 0 && (families & HAPROXY_IPV4))
        af = AF_INET;
    else if (n >= 2 && strcasecmp(tok[1], "TCP6") == 0 &&
             (families & HAPROXY_IPV6))
        af = AF_INET6;
    else {
        *err = "bad or missing protocol type";
        return -1;
    }
    if (n < 3 ||
        addr(tok[2], af, families, ep->client_addr, sizeof(ep->client_addr)))
        *err = "bad or missing client address";
    else if (n < 4 || addr(tok[3], af, families, ep->server_addr,
                           sizeof(ep->server_addr)))
        *err = "bad or missing server address";
    else if (n < 5 || port(tok[4], ep->client_port, sizeof(ep->client_port)))
        *err = "bad or missing client port";
    else if (n < 6 || port(tok[5], ep->server_port, sizeof(ep->server_port)))
        *err = "bad or missing server port";
    else
        return 0;
    return -1;
}

static int
parse_v2(const unsigned char *p, size_t len, unsigned families,
         struct haproxy_endpoints *ep, const char **err)
{
    size_t body = (size_t) p[14] << 8 | p[15];
    const unsigned char *a = p + HAPROXY_V2_HEADER;
    int af;
    size_t alen;

    if ((p[12] & 0xF0) != 0x20) {
        *err = "unsupported protocol version";
        return -1;
    }
    if (len < HAPROXY_V2_HEADER + body) {
        *err = "short protocol header";
        return -1;
    }
    if ((p[12] & 0x0F) == 0x00) { /* LOCAL: the proxy's own connection */
        ep->local = 1;
        return 0;
    }
    if ((p[12] & 0x0F) != 0x01) {
        *err = "unsupported command";
        return -1;
    }
    switch (p[13]) {
    case 0x11: /* TCP over IPv4 */
        if (!(families & HAPROXY_IPV4)) {
            *err = "unsupported network protocol";
            return -1;
        }
        af = AF_INET;
        alen = 4;
        break;
    case 0x21: /* TCP over IPv6 */
        if (!(families & HAPROXY_IPV6)) {
            *err = "unsupported network protocol";
            return -1;
        }
        af = AF_INET6;
        alen = 16;
        break;
    case 0x00: /* UNSPEC: as UNKNOWN */
        ep->local = 1;
        return 0;
    default:
        *err = "unsupported network protocol";
        return -1;
    }
    if (body < 2 * alen + 4) {
        *err = "short address record";
        return -1;
    }
    {
        char s[64];

        if (!inet_ntop(af, a, s, sizeof(s)) ||
            addr(s, af, families, ep->client_addr, sizeof(ep->client_addr)) <
                0 ||
            !inet_ntop(af, a + alen, s, sizeof(s)) ||
            addr(s, af, families, ep->server_addr, sizeof(ep->server_addr)) <
                0) {
            *err = "unexpected address syntax";
            return -1;
        }
    }
    snprintf(ep->client_port, sizeof(ep->client_port), "%u",
             (unsigned) (a[2 * alen] << 8 | a[2 * alen + 1]));
    snprintf(ep->server_port, sizeof(ep->server_port), "%u",
             (unsigned) (a[2 * alen + 2] << 8 | a[2 * alen + 3]));
    return 0;
}

int
haproxy_parse(const void *buf, size_t len, unsigned families,
              struct haproxy_endpoints *ep, const char **err)
{
    const unsigned char *p = buf;

    memset(ep, 0, sizeof(*ep));
    *err = NULL;
    if (len >= HAPROXY_V2_HEADER && memcmp(p, v2sig, sizeof(v2sig)) == 0)
        return parse_v2(p, len, families, ep, err);
    return parse_v1(buf, len, families, ep, err);
}

void
haproxy_escape(const void *buf, size_t len, char *out, size_t outlen)
{
    const unsigned char *p = buf;
    size_t o = 0;

    for (size_t i = 0; i < len && o + 5 < outlen; i++) {
        unsigned c = p[i];

        if (c == '\r' || c == '\n' || c == '\t') {
            out[o++] = '\\';
            out[o++] = c == '\r' ? 'r' : c == '\n' ? 'n' : 't';
        } else if (c < ' ' || c > '~' || c == '\\') {
            o += (size_t) snprintf(out + o, outlen - o, "\\%03o", c);
        } else {
            out[o++] = (char) c;
        }
    }
    out[o < outlen ? o : outlen - 1] = 0;
}
