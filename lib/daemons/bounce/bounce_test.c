/*
 * bounce_test - unit tests of notice composition, against notices that
 * a real Postfix 3.7.11 wrote (testdata/mta_notify/postfix-*.eml, see
 * its README): for each, the same delivery request (sender, ENVID,
 * recipients with ORCPT, status, the server's name and reply, the
 * original message) is composed here and must give Postfix's notice
 * byte for byte, but for what is of the moment (the notice's Date, the
 * time in the MIME boundary) and for what Postfix's cleanup and local
 * added on the way to the Maildir (Return-Path, X-Original-To,
 * Delivered-To, Message-Id). Also the line folding of the recipient
 * paragraphs and diagnostics (Postfix's line_wrap() for bounce text).
 *
 * The composition functions are static: this file includes bounce.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* After the headers it needs (stdarg, stddef, stdint, setjmp). */
#include <cmocka.h>

#include "bounce.c"

#ifndef POSTERN_TESTDATA
#error POSTERN_TESTDATA must name the testdata directory
#endif

struct trcpt {
    const char *addr, *orcpt, *dsn, *text, *reply;
};

/* one Postfix notice and the request it was written for */
struct tcase {
    const char *file;
    enum kind kind;
    int postmaster, hdrs;
    const char *sender; /* "" for a notice that bounced */
    const char *envid;
    long delay_warning, lifetime; /* seconds */
    uint64_t arrival;             /* seconds */
    struct trcpt rcpt[2];
};

#define SAID(r) \
    "host 127.0.0.1[127.0.0.1] said: " r " (in reply to RCPT TO command)"
#define BOUNCED                                                         \
    {                                                                   \
        "bob@example.com", "", "5.1.1", SAID("550 5.1.1 no such user"), \
            "550 5.1.1 no such user"                                    \
    }
#define BUSY                                                            \
    {                                                                   \
        "bob@example.com", "", "4.2.0", SAID("450 4.2.0 mailbox busy"), \
            "450 4.2.0 mailbox busy"                                    \
    }
#define USER "mtabench@local.test"
#define DAY  86400L

static const struct tcase cases[] = {
    {"postfix-bounce.eml",
     K_FAIL,
     0,
     0,
     USER,
     NULL,
     0,
     5 * DAY,
     1795838931,
     {BOUNCED}},
    {"postfix-bounce-postmaster.eml",
     K_FAIL,
     1,
     1,
     USER,
     NULL,
     0,
     5 * DAY,
     1795838931,
     {BOUNCED}},
    {"postfix-bounce-envid.eml",
     K_FAIL,
     0,
     1,
     USER,
     "env-42",
     0,
     5 * DAY,
     1795839558,
     {{"bob@example.com", "rfc822;Bob@Example.COM", "5.1.1",
       SAID("550 5.1.1 no such user"), "550 5.1.1 no such user"},
      {"carl@example.com", "", "5.1.1", SAID("550 5.1.1 no such user"),
       "550 5.1.1 no such user"}}},
    {"postfix-2bounce.eml",
     K_FAIL,
     1,
     0,
     "",
     NULL,
     0,
     5 * DAY,
     1795839028,
     {BOUNCED}},
    {"postfix-expired.eml", K_FAIL, 0, 0, USER, NULL, 0, 3, 1795839588, {BUSY}},
    {"postfix-delay.eml",
     K_DELAY,
     0,
     1,
     USER,
     NULL,
     2,
     5 * DAY,
     1795839264,
     {BUSY}},
    {"postfix-delay-postmaster.eml",
     K_DELAY,
     1,
     1,
     USER,
     NULL,
     2,
     5 * DAY,
     1795839264,
     {BUSY}},
    {"postfix-success-relayed.eml",
     K_SUCCESS,
     0,
     1,
     USER,
     "succ1",
     0,
     5 * DAY,
     1795876334,
     {{"bob@nodsn.test", "", "2.0.0",
       "delivery via 127.0.0.1[127.0.0.1]:29931: 250 2.0.0 Ok",
       "250 2.0.0 Ok"}}},
};

static char *
slurp(const char *name)
{
    char path[512];
    FILE *f;
    char *s;
    long n;

    snprintf(path, sizeof(path), "%s/mta_notify/%s", POSTERN_TESTDATA, name);
    f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    s = malloc((size_t) n + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t) n, f), (size_t) n);
    s[n] = 0;
    fclose(f);
    return s;
}

/* field - a copy of the text after "prefix" up to the first of "stop" */
static char *
field(const char *s, const char *prefix, const char *stop)
{
    const char *p = strstr(s, prefix);

    assert_non_null(p);
    p += strlen(prefix);
    return mem_strndup(p, strcspn(p, stop));
}

/* normalise - the notice without what is of the moment: the MIME
 * boundary's time, the Date: values and the Received: id line's date;
 * and without the header lines added after bounce (everything before
 * "Received: by", Message-Id in the notice's own header) */
static char *
normalise(const char *s)
{
    const char *start = strstr(s, "Received: by ");
    char *boundary = field(s, "boundary=\"", "\"");
    struct buf out;
    int in_header = 1;

    assert_non_null(start);
    buf_init(&out, 0);
    for (const char *l = start; *l;) {
        size_t len = strcspn(l, "\n");
        struct buf line;
        char *b;

        buf_init(&line, 0);
        (void) buf_append(&line, l, len);
        l += len + (l[len] == '\n');
        if (in_header && line.len == 0)
            in_header = 0;
        if (in_header &&
            strncmp(line.data ? line.data : "", "Message-Id: ", 12) == 0) {
            buf_fini(&line);
            continue;
        }
        if (line.len && strncmp(line.data, "Date: ", 6) == 0)
            buf_truncate(&line, 6);
        else if (line.len && strncmp(line.data, "\tid ", 4) == 0 &&
                 (b = strchr(line.data, ';')) != NULL)
            buf_truncate(&line, (size_t) (b - line.data) + 1);
        if (line.len && (b = strstr(line.data, boundary)) != NULL) {
            struct buf fixed;

            buf_init(&fixed, 0);
            (void) buf_append(&fixed, line.data, (size_t) (b - line.data));
            (void) buf_printf(&fixed, "BOUNDARY%s", b + strlen(boundary));
            buf_fini(&line);
            line = fixed;
        }
        if (line.len)
            (void) buf_append(&out, line.data, line.len);
        (void) buf_putc(&out, '\n');
        buf_fini(&line);
    }
    mem_free(boundary);
    return mem_strdup(buf_str(&out));
}

/* first_difference - a readable pointer to where two texts part */
static void
show_difference(const char *file, const char *want, const char *got)
{
    size_t i = 0, line = 1;

    while (want[i] && want[i] == got[i]) {
        if (want[i] == '\n')
            line++;
        i++;
    }
    fail_msg("%s: differs at line %zu:\nwant: %.120s\ngot:  %.120s", file, line,
             want + i, got + i);
}

static char hostname[] = "mta.bench.test", mail_name[] = "Postfix",
            empty[] = "", loopback[] = "127.0.0.1";

/* copy - a copy of s, or NULL */
static char *
copy(const char *s)
{
    return s ? mem_strdup(s) : NULL;
}

static void
check_case(const struct tcase *c)
{
    char *sample = slurp(c->file);
    char *want = normalise(sample);
    char *new_id = field(sample, "\tid ", ";");
    char *qid = field(sample, "X-Postfix-Queue-ID: ", "\n");
    char *to = field(sample, "\nTo: ", "\n");
    char *last = strrchr(sample, '\n');
    struct bounce b;
    struct deliver_req req;
    struct deliver_rcpt rc[2];
    struct buf content, out;
    char *got;
    const char *rp, *end;

    /* the original message: the notice's last part after its
     * Return-Path line, up to the closing boundary (headers only:
     * any body after them) */
    assert_non_null(last);
    rp = strstr(sample, "\n\nReturn-Path: <");
    while (rp && strstr(rp + 1, "\n\nReturn-Path: <"))
        rp = strstr(rp + 1, "\n\nReturn-Path: <");
    assert_non_null(rp);
    rp = strchr(rp + 2, '\n') + 1;
    end = strstr(rp, "\n--");
    assert_non_null(end);
    buf_init(&content, 0);
    (void) buf_append(&content, rp, (size_t) (end - rp));
    if (c->hdrs)
        (void) buf_printf(&content, "\nthe body, never attached\n");

    memset(&b, 0, sizeof(b));
    b.myhostname = hostname;
    b.mail_name = mail_name;
    b.delay_warning = c->delay_warning;
    b.lifetime = c->lifetime;
    b.content = content;

    memset(&req, 0, sizeof(req));
    memset(rc, 0, sizeof(rc));
    snprintf(req.id, sizeof(req.id), "%s", qid);
    req.arrival_us = c->arrival * 1000000u;
    /* a request owns its strings: copies of the case's */
    req.sender = copy(c->sender);
    req.envid = copy(c->envid);
    req.rcpt = rc;
    for (size_t i = 0; i < 2 && c->rcpt[i].addr; i++) {
        rc[i].addr = copy(c->rcpt[i].addr);
        rc[i].orig = empty;
        rc[i].orcpt = copy(c->rcpt[i].orcpt);
        snprintf(rc[i].dsn, sizeof(rc[i].dsn), "%s", c->rcpt[i].dsn);
        rc[i].text = copy(c->rcpt[i].text);
        rc[i].mta = loopback;
        rc[i].reply = copy(c->rcpt[i].reply);
        req.nrcpt++;
    }

    buf_init(&out, 0);
    compose(&b, &req, c->kind, to, c->postmaster, c->hdrs, new_id, &out);
    got = normalise(buf_str(&out));
    if (strcmp(want, got) != 0)
        show_difference(c->file, want, got);

    free(got);
    for (size_t i = 0; i < req.nrcpt; i++) {
        mem_free(rc[i].addr);
        mem_free(rc[i].orcpt);
        mem_free(rc[i].text);
        mem_free(rc[i].reply);
    }
    mem_free(req.sender);
    mem_free(req.envid);
    buf_fini(&out);
    buf_fini(&content);
    mem_free(to);
    mem_free(qid);
    mem_free(new_id);
    free(want);
    free(sample);
}

static void
test_postfix_notices(void **state)
{
    (void) state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        check_case(&cases[i]);
}

/* put_wrapped: Postfix's line_wrap(text, 79, 4) for bounce text, and
 * control characters from a remote server's reply made spaces */
static void
test_wrap(void **state)
{
    static const char *const wraps[][2] = {
        {"short", "short\n"},
        {"<bob@example.com>: host 127.0.0.1[127.0.0.1] said: 550 5.1.1 no such "
         "user (in reply to RCPT TO command)",
         "<bob@example.com>: host 127.0.0.1[127.0.0.1] said: 550 5.1.1 no such "
         "user (in\n    reply to RCPT TO command)\n"},
        /* a word longer than the line stays whole */
        {"x "
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "a"
         "aaaaaaaaaaaaaaa y",
         "x\n    "
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "a"
         "aaaaaaaaaaaaaaa\n    y\n"},
        /* CR, LF and TAB from a server: spaces, never a header */
        {"550 no\r\nX-Injected: yes", "550 no  X-Injected: yes\n"},
        {"trailing   ", "trailing\n"},
    };

    (void) state;
    for (size_t i = 0; i < sizeof(wraps) / sizeof(wraps[0]); i++) {
        struct buf out;
        char *in = mem_strdup(wraps[i][0]);

        buf_init(&out, 0);
        put_wrapped(&out, in);
        if (strcmp(buf_str(&out), wraps[i][1]) != 0)
            fail_msg("wrap %zu: got\n%s\nwant\n%s", i, buf_str(&out),
                     wraps[i][1]);
        buf_fini(&out);
        mem_free(in);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_postfix_notices),
        cmocka_unit_test(test_wrap),
    };

    /* the samples' dates are UTC */
    setenv("TZ", "UTC", 1);
    tzset();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
