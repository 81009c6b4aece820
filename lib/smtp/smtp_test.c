/*
 * smtp_test - unit tests of lib/smtp's parsers (nexthop, xtext).
 */
#include <stdio.h>
#include <string.h>

#include "smtp/smtp.h"

static int fails;

static void
nh(const char *in, int ok, const char *host, unsigned port, int mx)
{
    struct smtp_nexthop n;
    int r = smtp_nexthop_parse(in, 25, &n);

    if ((r == 0) != ok ||
        (ok && (strcmp(n.host, host) != 0 || n.port != port || n.mx != mx))) {
        printf("FAIL nexthop \"%s\": r=%d host=%s port=%u mx=%d\n", in, r,
               n.host, n.port, n.mx);
        fails++;
    }
}

int
main(void)
{
    struct buf b;

    nh("example.com", 1, "example.com", 25, 1);
    nh("example.com:2525", 1, "example.com", 2525, 1);
    nh("[mail.example.com]", 1, "mail.example.com", 25, 0);
    nh("[127.0.0.1]:2525", 1, "127.0.0.1", 2525, 0);
    nh("[::1]:2525", 1, "::1", 2525, 0);
    nh("[127.0.0.1]:smtp", 1, "127.0.0.1", 25, 0);
    nh("::1", 1, "::1", 25, 0);
    nh("[127.0.0.1", 0, "", 0, 0);
    nh("[]:25", 0, "", 0, 0);
    nh("host:0", 0, "", 0, 0);
    nh("host:70000", 0, "", 0, 0);
    nh("host:", 0, "", 0, 0);
    nh("[a]b", 0, "", 0, 0);
    nh("user@host", 0, "", 0, 0);
    nh("", 0, "", 0, 0);
    buf_init(&b, 0);
    smtp_xtext(&b, "a+b=c d\x7f");
    if (strcmp(buf_str(&b), "a+2Bb+3Dc+20d+7F") != 0) {
        printf("FAIL xtext: %s\n", buf_str(&b));
        fails++;
    }
    buf_fini(&b);
    printf("%s\n", fails ? "FAILED" : "ok");
    return fails != 0;
}
