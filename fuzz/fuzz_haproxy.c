/*
 * fuzz_haproxy - libFuzzer target for the PROXY protocol header parser
 *	(lib/base/haproxy), the first bytes an smtpd behind a proxy reads.
 *
 * DESCRIPTION
 *	The first input byte picks the families inet_protocols allows; the
 *	rest is fed as smtpd_haproxy feeds it: haproxy_need() says how
 *	much to take, haproxy_parse() reads that much.
 *
 *	Checks beyond the sanitizers: haproxy_need() never asks for less
 *	than it has seen unless it gives up (0); a parse that succeeds for
 *	a proxied client gives printable, NUL-terminated addresses of the
 *	allowed family and decimal ports; a failure always has a reason;
 *	haproxy_escape() output is printable ASCII.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "haproxy/haproxy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
printable(const char *s, size_t max)
{
    size_t n = strnlen(s, max);

    if (n == max)
        abort(); /* not terminated */
    for (size_t i = 0; i < n; i++)
        if (s[i] < ' ' || s[i] > '~')
            abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned fam;
    size_t have, need;
    struct haproxy_endpoints ep;
    const char *err;
    char shown[4 * 600 + 8];

    if (size < 1)
        return 0;
    fam = data[0] & 3u;
    data++;
    size--;
    /* grow the header as smtpd reads it: what need asks for, no more */
    for (have = 0;;) {
        need = haproxy_need(data, have);
        if (need == 0 || need <= have || need > size)
            break;
        have = need;
    }
    if (need != 0 && need < have)
        abort();
    if (need == 0 || need > size || need > 600)
        return 0;
    if (haproxy_parse(data, need, fam, &ep, &err) == 0) {
        if (!ep.local) {
            printable(ep.client_addr, sizeof(ep.client_addr));
            printable(ep.server_addr, sizeof(ep.server_addr));
            printable(ep.client_port, sizeof(ep.client_port));
            printable(ep.server_port, sizeof(ep.server_port));
            if (strchr(ep.client_addr, ':') ? !(fam & HAPROXY_IPV6)
                                            : !(fam & HAPROXY_IPV4))
                abort();
            if (strspn(ep.client_port, "0123456789") != strlen(ep.client_port))
                abort();
        }
    } else if (err == NULL || *err == 0) {
        abort();
    }
    haproxy_escape(data, need, shown, sizeof(shown));
    printable(shown, sizeof(shown));
    return 0;
}
