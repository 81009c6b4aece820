/*
 * cleanup_hdr_test - table-driven tests of cleanup_hdr.c: the action
 * words of a check result, and whole messages through the checks (which
 * table sees which header, what goes out, the verdict).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cleanup/cleanup.h"
#include "pcf/pcf.h"

static void
test_actions(void **state)
{
    static const struct {
        const char *value;
        int act;
        const char *text;
    } cases[] = {
        {"REJECT", CLEANUP_HDR_A_REJECT, ""},
        {"reject go away", CLEANUP_HDR_A_REJECT, "go away"},
        {"WARN\t  tab text", CLEANUP_HDR_A_WARN, "tab text"},
        {"INFO", CLEANUP_HDR_A_INFO, ""},
        {"FILTER smtp:[127.0.0.1]:10025", CLEANUP_HDR_A_FILTER,
         "smtp:[127.0.0.1]:10025"},
        {"DISCARD", CLEANUP_HDR_A_DISCARD, ""},
        {"HOLD x", CLEANUP_HDR_A_HOLD, "x"},
        {"PREPEND X-A: b", CLEANUP_HDR_A_PREPEND, "X-A: b"},
        {"REPLACE X-A: b", CLEANUP_HDR_A_REPLACE, "X-A: b"},
        {"REDIRECT a@b", CLEANUP_HDR_A_REDIRECT, "a@b"},
        {"BCC a@b", CLEANUP_HDR_A_BCC, "a@b"},
        {"STRIP", CLEANUP_HDR_A_STRIP, ""},
        {"IGNORE", CLEANUP_HDR_A_IGNORE, ""},
        {"DUNNO", CLEANUP_HDR_A_DUNNO, ""},
        {"OK", CLEANUP_HDR_A_DUNNO, ""},
        {"REJECTED", CLEANUP_HDR_A_UNKNOWN, ""},
        {"REJEC", CLEANUP_HDR_A_UNKNOWN, ""},
        {"", CLEANUP_HDR_A_UNKNOWN, ""},
        {"550 no", CLEANUP_HDR_A_UNKNOWN, "no"},
    };

    (void) state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *text;
        size_t n;
        int a = cleanup_hdr_act(NULL, cases[i].value, &text, &n);

        if (a != cases[i].act || strcmp(text, cases[i].text) != 0)
            fail_msg("\"%s\": action %d text \"%s\", want %d \"%s\"",
                     cases[i].value, a, text, cases[i].act, cases[i].text);
    }
}

/* a message through checks set in main.cf (inline regexp tables) */
static const struct {
    const char *name;
    const char *conf; /* main.cf lines */
    const char *in;
    const char *out; /* NULL: rejected with reason */
    const char *reason;
    unsigned flags;
} runs[] = {
    {"folded header is one unit",
     "header_checks = regexp:{{/^Subject: a[[:space:]]+b/ REPLACE Subject: "
     "ab}}",
     "Subject: a\n\tb\nTo: x\n\nbody\n", "Subject: ab\nTo: x\n\nbody\n", NULL,
     0},
    {"reject text with its own code",
     "header_checks = regexp:{{/^To:/ REJECT 5.7.9 no}}", "To: x\n\nbody\n",
     NULL, "5.7.9 no", CLEANUP_HDR_REJECT},
    {"4.x.x defers", "header_checks = regexp:{{/^To:/ REJECT 4.1.1 later}}",
     "To: x\n\nbody\n", NULL, "4.1.1 later", CLEANUP_HDR_DEFER},
    {"mime headers go to mime_header_checks",
     "header_checks = regexp:{{/^Content-Type/ REJECT primary}}\n"
     "mime_header_checks = regexp:{{/^Content-Type/ IGNORE}}",
     "Content-Type: text/plain\nTo: x\n\nb\n", "To: x\n\nb\n", NULL, 0},
    {"part headers, nested headers",
     "header_checks =\n"
     "mime_header_checks = regexp:{{/^X-Part/ PREPEND X-Seen: part}}\n"
     "nested_header_checks = regexp:{{/^X-Inner/ IGNORE}}",
     "Content-Type: multipart/mixed; boundary=\"q\"\n\n--q\nX-Part: 1\n\n"
     "t\n--q\nContent-Type: message/rfc822\n\nX-Inner: 2\nX-Keep: 3\n\n"
     "in\n--q--\n",
     "Content-Type: multipart/mixed; boundary=\"q\"\n\n--q\nX-Seen: part\n"
     "X-Part: 1\n\nt\n--q\nContent-Type: message/rfc822\n\nX-Keep: 3\n\n"
     "in\n--q--\n",
     NULL, 0},
    {"body_checks_size_limit per part",
     "body_checks = regexp:{{/^late/ IGNORE}}\nbody_checks_size_limit = 10",
     "To: x\n\n0123456789\nlate\n", "To: x\n\n0123456789\nlate\n", NULL, 0},
    {"body line within the limit",
     "body_checks = regexp:{{/^late/ IGNORE}}\nbody_checks_size_limit = 100",
     "To: x\n\n0123456789\nlate\nend", "To: x\n\n0123456789\nend", NULL, 0},
    {"discard stops the checks",
     "header_checks = regexp:{{/^To/ DISCARD}, {/^X/ REJECT}}",
     "To: x\nX: y\n\nb\n", "To: x\nX: y\n\nb\n", NULL, CLEANUP_HDR_DISCARD},
    {"hold", "header_checks = regexp:{{/^To/ HOLD}}", "To: x\n\nb\n",
     "To: x\n\nb\n", NULL, CLEANUP_HDR_HOLD},
};

static void
test_runs(void **state)
{
    (void) state;
    for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
        char dir[] = "/tmp/cleanup_hdr_test.XXXXXX", path[300];
        FILE *f;
        struct pcf *pcf;
        struct cleanup_hdr *h;
        struct cleanup_hdr_res res;
        struct queue_env env;
        struct buf out;
        int rej;

        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/main.cf", dir);
        f = fopen(path, "w");
        assert_non_null(f);
        fprintf(f, "compatibility_level = 3.6\n%s\n", runs[i].conf);
        fclose(f);
        pcf = pcf_load(dir);
        h = cleanup_hdr_new(pcf, NULL);
        queue_env_init(&env);
        memcpy(env.id, "TESTID", 7);
        cleanup_hdr_res_init(&res);
        buf_init(&out, 0);
        rej = cleanup_hdr_run(h, &env, runs[i].in, strlen(runs[i].in), &out,
                              &res);
        if (runs[i].out && (rej || strcmp(buf_str(&out), runs[i].out) != 0))
            fail_msg("%s: got \"%s\", want \"%s\"", runs[i].name, buf_str(&out),
                     runs[i].out);
        if (runs[i].reason &&
            (!rej || strcmp(res.reason ? res.reason : "", runs[i].reason)))
            fail_msg("%s: reason \"%s\", want \"%s\"", runs[i].name,
                     res.reason ? res.reason : "", runs[i].reason);
        if ((res.flags & ~CLEANUP_HDR_STOP) != runs[i].flags)
            fail_msg("%s: flags %u, want %u", runs[i].name, res.flags,
                     runs[i].flags);
        buf_fini(&out);
        cleanup_hdr_res_fini(&res);
        queue_env_fini(&env);
        cleanup_hdr_free(h);
        pcf_free(pcf);
        (void) unlink(path);
        (void) rmdir(dir);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_actions),
        cmocka_unit_test(test_runs),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
