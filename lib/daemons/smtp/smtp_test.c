/*
 * smtp_test - unit tests of lib/daemons/smtp's parsers (nexthop, xtext), the
 * MIME downgrade, the SASL pieces (PLAIN response, base64, the
 * password lookup order) and the reply parser (through a pipe).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "smtp/smtp.h"
#include "smtp/smtp_int.h"

static int fails;

/* 8BITMIME downgrade cases: input, want (LF line ends) */
static const struct {
    const char *name, *in, *want;
} mime_cases[] = {
    {"leaf 8bit to quoted-printable, label moved to the end of the block",
     "Content-Type: text/plain; charset=utf-8\n"
     "Content-Transfer-Encoding: 8bit\n"
     "Subject: x\n"
     "\n"
     "h\xc3\xa9llo = world \n"
     "tab\tend\t\n",
     "Content-Type: text/plain; charset=utf-8\n"
     "Subject: x\n"
     "Content-Transfer-Encoding: quoted-printable\n"
     "\n"
     "h=C3=A9llo =3D world=20\n"
     "tab\tend=09\n"},
    {"7bit part unchanged", "Content-Transfer-Encoding: 7bit\n\nplain =\n",
     "Content-Transfer-Encoding: 7bit\n\nplain =\n"},
    {"no MIME headers: as is, like Postfix", "Subject: s\n\n\xe9t\xe9\n",
     "Subject: s\n\n\xe9t\xe9\n"},
    {"soft line breaks past 72 columns",
     "Content-Transfer-Encoding: 8bit\n\n"
     "0123456789012345678901234567890123456789012345678901234567890123456789"
     "0123456789\n",
     "Content-Transfer-Encoding: quoted-printable\n\n"
     "0123456789012345678901234567890123456789012345678901234567890123456789"
     "012=\n3456789\n"},
    {"multipart: 8bit label becomes 7bit, 8bit parts QP, base64 as is",
     "MIME-Version: 1.0\n"
     "Content-Type: multipart/mixed;\n"
     "\tboundary=\"b1\" (comment)\n"
     "Content-Transfer-Encoding: 8bit\n"
     "\n"
     "preamble\n"
     "--b1\n"
     "Content-Type: text/plain; charset=iso-8859-1\n"
     "Content-Transfer-Encoding: 8BIT\n"
     "\n"
     "caf\xe9\n"
     "--b1\n"
     "Content-Type: application/octet-stream\n"
     "Content-Transfer-Encoding: base64\n"
     "\n"
     "AAEC\n"
     "--b1--\n"
     "epilogue\n",
     "MIME-Version: 1.0\n"
     "Content-Type: multipart/mixed;\n"
     "\tboundary=\"b1\" (comment)\n"
     "Content-Transfer-Encoding: 7bit\n"
     "\n"
     "preamble\n"
     "--b1\n"
     "Content-Type: text/plain; charset=iso-8859-1\n"
     "Content-Transfer-Encoding: quoted-printable\n"
     "\n"
     "caf=E9\n"
     "--b1\n"
     "Content-Type: application/octet-stream\n"
     "Content-Transfer-Encoding: base64\n"
     "\n"
     "AAEC\n"
     "--b1--\n"
     "epilogue\n"},
    {"message/rfc822 walked: nested 8bit body converted",
     "Content-Type: message/rfc822\n"
     "Content-Transfer-Encoding: binary\n"
     "\n"
     "Subject: inner\n"
     "Content-Transfer-Encoding: 8bit\n"
     "\n"
     "\xff\n",
     "Content-Type: message/rfc822\n"
     "Content-Transfer-Encoding: 7bit\n"
     "\n"
     "Subject: inner\n"
     "Content-Transfer-Encoding: quoted-printable\n"
     "\n"
     "=FF\n"},
    {"CRLF input, headers only", "Content-Transfer-Encoding: 8bit\r\nX: y\r\n",
     "X: y\nContent-Transfer-Encoding: quoted-printable\n"},
};

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

static void
sasl(void)
{
    struct buf b, err;
    struct smtp_sasl *a;

    buf_init(&b, 0);
    buf_init(&err, 0);
    smtp_sasl_plain("user", "pw", &b);
    if (strcmp(buf_str(&b), "AHVzZXIAcHc=") != 0) {
        printf("FAIL PLAIN response: %s\n", buf_str(&b));
        fails++;
    }
    if (smtp_sasl_b64_decode("AHVzZXIAcHc=", &b) < 0 || b.len != 8 ||
        memcmp(b.data, "\0user\0pw", 8) != 0) {
        printf("FAIL base64 decode\n");
        fails++;
    }
    if (smtp_sasl_b64_decode("VXNlcm5hbWU6", &b) < 0 ||
        strcmp(buf_str(&b), "Username:") != 0 ||
        smtp_sasl_b64_decode("abc", &b) == 0) {
        printf("FAIL base64 decode (2)\n");
        fails++;
    }
    /* sender (address, then @domain) when sender dependent, then the
     * server's name, then the nexthop */
    a = smtp_sasl_new("inline:{ boss@example.org=b:1, @example.net=d:2, "
                      "mx.example.com=h:3, relay.example.com=n:4 }",
                      "noplaintext", "", "", "", 1, 1);
    static const struct {
        const char *sender, *host, *nexthop, *want;
    } lk[] = {
        {"boss@example.org", "mx.example.com", "relay.example.com", "b:1"},
        {"x@example.net", "mx.example.com", "relay.example.com", "d:2"},
        {"x@example.com", "mx.example.com", "relay.example.com", "h:3"},
        {"", "other.example.com", "relay.example.com", "n:4"},
        {"x@example.com", "other.example.com", "[other.example.com]", ""},
    };
    for (size_t i = 0; i < sizeof(lk) / sizeof(lk[0]); i++) {
        int r = smtp_sasl_lookup(a, lk[i].sender, lk[i].host, lk[i].nexthop, &b,
                                 &err);

        if (r != (*lk[i].want != 0) ||
            (r == 1 && strcmp(buf_str(&b), lk[i].want) != 0)) {
            printf("FAIL sasl lookup %zu: r=%d %s\n", i, r, buf_str(&b));
            fails++;
        }
    }
    smtp_sasl_free(a);
    buf_fini(&b);
    buf_fini(&err);
}

/* replies - server bytes through a pipe to smtp_conn_reply: codes, DSN,
 * multi-line joins, control characters made '?', malformed lines */
static void
replies(void)
{
    static const char in[] = "250-mx.example.com\r\n"
                             "250-PIPELINING\r\n"
                             "250 SIZE 1000\r\n"
                             "550 5.1.1 <u@example.com>: no\x01such\ruser\r\n"
                             "451 try later\n"
                             "250-a\r\n"
                             "251 b\r\n"
                             "ok\r\n";
    static const struct {
        int rc, code;
        const char *dsn, *text;
    } want[] = {
        {SMTP_CONN_OK, 250, "2.0.0",
         "250-mx.example.com 250-PIPELINING 250 SIZE 1000"},
        {SMTP_CONN_OK, 550, "5.1.1", "550 5.1.1 <u@example.com>: no?such?user"},
        {SMTP_CONN_OK, 451, "4.0.0", "451 try later"},
        {SMTP_CONN_PROTOCOL, 0, "", ""}, /* the code changes mid-reply */
        {SMTP_CONN_PROTOCOL, 0, "", ""}, /* "ok" is not a reply */
        {SMTP_CONN_LOST, 0, "", ""},
    };
    int p[2];
    struct smtp_conn *c;
    struct smtp_reply r;

    if (pipe(p) < 0 || write(p[1], in, sizeof(in) - 1) != sizeof(in) - 1) {
        printf("FAIL replies: pipe\n");
        fails++;
        return;
    }
    (void) close(p[1]);
    c = smtp_conn_adopt(p[0]);
    smtp_reply_init(&r);
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        enum smtp_conn_err e = smtp_conn_reply(c, &r);

        if ((int) e != want[i].rc ||
            (e == SMTP_CONN_OK &&
             (r.code != want[i].code || strcmp(r.dsn, want[i].dsn) != 0 ||
              strcmp(buf_str(&r.text), want[i].text) != 0))) {
            printf("FAIL reply %zu: rc=%d code=%d dsn=%s text=%s\n", i, e,
                   r.code, r.dsn, buf_str(&r.text));
            fails++;
        }
    }
    smtp_reply_fini(&r);
    smtp_conn_free(c);
}

int
main(void)
{
    struct buf b;

    replies();
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
    for (size_t i = 0; i < sizeof(mime_cases) / sizeof(mime_cases[0]); i++) {
        buf_init(&b, 0);
        smtp_mime_downgrade(mime_cases[i].in, strlen(mime_cases[i].in), &b);
        if (strcmp(buf_str(&b), mime_cases[i].want) != 0) {
            printf("FAIL mime \"%s\":\n%s---\nwant:\n%s---\n",
                   mime_cases[i].name, buf_str(&b), mime_cases[i].want);
            fails++;
        }
        buf_fini(&b);
    }
    if (!smtp_mime_8bit("a\x80", 2) || smtp_mime_8bit("abc", 3)) {
        printf("FAIL smtp_mime_8bit\n");
        fails++;
    }
    sasl();
    printf("%s\n", fails ? "FAILED" : "ok");
    return fails != 0;
}
