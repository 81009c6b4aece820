/*
 * pipe_test - unit tests of lib/daemons/pipe: attribute parsing, macro
 * expansion (per recipient, flags h q u), eol escapes and the exit
 * status verdicts (Postfix 3.7's texts).
 */
#include <sys/wait.h>

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "pipe/pipe_int.h"

static int fails;

#define CHECK(cond, ...)                                         \
    do {                                                         \
        if (!(cond)) {                                           \
            fails++;                                             \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                        \
            fputc('\n', stderr);                                 \
        }                                                        \
    } while (0)

/* joined - the vector as one string, arguments separated by '|' */
static const char *
joined(const struct strv *sv)
{
    static char out[2048];
    size_t n = 0;

    out[0] = 0;
    for (size_t i = 0; i < sv->n; i++)
        n += (size_t) snprintf(out + n, sizeof(out) - n, "%s%s", i ? "|" : "",
                               sv->v[i]);
    return out;
}

static void
test_expand(void)
{
    static const struct {
        const char *name, *flags;
        const char *args[6];
        const char *want;
    } cases[] = {
        {"dovecot-lda",
         "",
         {"argv=/usr/lib/dovecot/dovecot-lda", "-f", "${sender}", "-d",
          "${user}@${nexthop}", NULL},
         "/usr/lib/dovecot/dovecot-lda|-f|a@x.test|-d|Bob@Example.TEST|"
         "carol@Example.TEST"},
        {"per recipient, other forms",
         "",
         {"argv=cmd", "$recipient", "$(mailbox)", "${extension}", "x${domain}y",
          NULL},
         "cmd|Bob+Ext@Example.TEST|carol@Example.TEST|Bob+Ext|carol|Ext||"
         "xExample.TESTy|xExample.TESTy"},
        {"h and u fold",
         "hu",
         {"argv=cmd", "${recipient}", "${nexthop}", "${user}", NULL},
         "cmd|bob+ext@example.test|carol@example.test|example.test|bob|"
         "carol"},
        {"conditional and size, queue id",
         "",
         {"argv=cmd", "${extension?+$extension}", "$size", "${queue_id}", "$$x",
          NULL},
         "cmd|+Ext||1234|Q1|$x"},
        {"original recipient",
         "",
         {"argv=cmd", "${original_recipient}", NULL},
         "cmd|orig@example.test|carol@Example.TEST"},
        {"q flag quotes the local part",
         "q",
         {"argv=cmd", "${sender}", "${recipient}", NULL},
         "cmd|\"a b\"@x.test|Bob+Ext@Example.TEST|carol@Example.TEST"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct pipe_attr a;
        struct pipe_vars v;
        struct deliver_req req;
        struct strv out;
        char err[200], flags[32];
        const char *args[8];
        int n = 0;

        snprintf(flags, sizeof(flags), "flags=%s", cases[i].flags);
        if (*cases[i].flags)
            args[n++] = flags;
        args[n++] = "user=nobody";
        for (int k = 0; cases[i].args[k]; k++)
            args[n++] = cases[i].args[k];
        args[n] = NULL;
        CHECK(pipe_attr_parse(&a, args, -1, -1, "postfix", err, sizeof(err)) ==
                  0,
              "%s: parse: %s", cases[i].name, err);
        memset(&v, 0, sizeof(v));
        v.sender =
            strcmp(cases[i].flags, "q") == 0 ? "\"a b\"@x.test" : "a@x.test";
        v.nexthop = "Example.TEST";
        if (strchr(cases[i].flags, 'h'))
            v.nexthop = "example.test"; /* folded by the caller */
        v.queue_id = "Q1";
        v.delim = "+";
        snprintf(v.size, sizeof(v.size), "1234");
        deliver_req_init(&req);
        if (strcmp(cases[i].name, "dovecot-lda") == 0) {
            deliver_req_add(&req, 0, "Bob@Example.TEST", "", "", 0);
        } else {
            deliver_req_add(&req, 0, "Bob+Ext@Example.TEST",
                            "orig@example.test", "", 0);
        }
        deliver_req_add(&req, 1, "carol@Example.TEST", "", "", 0);
        strv_init(&out);
        CHECK(pipe_expand_argv(&a, &v, &req, &out, err, sizeof(err)) == 0,
              "%s: expand: %s", cases[i].name, err);
        CHECK(strcmp(joined(&out), cases[i].want) == 0, "%s: got %s want %s",
              cases[i].name, joined(&out), cases[i].want);
        strv_fini(&out);
        deliver_req_fini(&req);
        pipe_attr_fini(&a);
    }
}

/* an unknown macro is a configuration error naming it (the fuzzer
 * found its name read after mac_expand freed it) */
static void
test_unknown_macro(void)
{
    struct pipe_attr a;
    struct pipe_vars v;
    struct deliver_req req;
    struct strv out;
    char err[200] = "";
    const char *const args[] = {"user=nobody", "argv=cmd", "x${bogus_name}y",
                                NULL};

    CHECK(pipe_attr_parse(&a, args, -1, -1, "postfix", err, sizeof(err)) == 0,
          "parse: %s", err);
    memset(&v, 0, sizeof(v));
    deliver_req_init(&req);
    deliver_req_add(&req, 0, "u@example.test", "", "", 0);
    strv_init(&out);
    CHECK(pipe_expand_argv(&a, &v, &req, &out, err, sizeof(err)) < 0 &&
              strcmp(err, "unknown macro name: \"bogus_name\"") == 0,
          "unknown macro: \"%s\"", err);
    strv_fini(&out);
    deliver_req_fini(&req);
    pipe_attr_fini(&a);
}

static void
test_attrs(void)
{
    static const struct {
        const char *args[4];
        const char *err;
    } cases[] = {
        {{"argv=/bin/true", NULL}, "missing user= command-line attribute"},
        {{"user=nobody", NULL}, "missing argv= command-line attribute"},
        {{"user=root", "argv=/bin/true", NULL},
         "user= command-line attribute specifies root privileges"},
        {{"flags=Z", "user=nobody", "argv=x", NULL},
         "unknown flag: Z (ignored)"},
        {{"bogus=1", "user=nobody", "argv=x", NULL},
         "unknown attribute name: bogus=1"},
        {{"user=nobody", "size=10x", "argv=x", NULL},
         "get_service_attr: bad size= value: 10x"},
        {{"user=no-such-user-here", "argv=x", NULL},
         "get_service_attr: unknown username: no-such-user-here"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct pipe_attr a;
        char err[200] = "";

        CHECK(pipe_attr_parse(&a, cases[i].args, -1, -1, "postfix", err,
                              sizeof(err)) < 0 &&
                  strcmp(err, cases[i].err) == 0,
              "attr case %zu: got \"%s\" want \"%s\"", i, err, cases[i].err);
        pipe_attr_fini(&a);
    }
    {
        struct pipe_attr a;
        char err[200] = "";
        const char *const args[] = {"eol=\\r\\n", "user=nobody",
                                    "null_sender=", "argv=x", NULL};

        CHECK(pipe_attr_parse(&a, args, -1, -1, "postfix", err, sizeof(err)) ==
                      0 &&
                  strcmp(a.eol, "\r\n") == 0 && *a.null_sender == 0,
              "eol/null_sender: %s", err);
        pipe_attr_fini(&a);
    }
}

static void
test_exit(void)
{
    static const struct {
        int ws;
        const char *output;
        int status;
        const char *dsn, *why;
    } cases[] = {
        {0, "", DELIVER_SENT, "2.0.0", ""},
        {EX_NOUSER << 8, "no such user ", DELIVER_BOUNCE, "5.1.1",
         "user unknown. Command output: no such user "},
        {EX_TEMPFAIL << 8, "", DELIVER_DEFER, "4.3.0", "temporary failure"},
        {EX_USAGE << 8, "bad", DELIVER_BOUNCE, "5.3.0",
         "command line usage error. Command output: bad"},
        {1 << 8, "", DELIVER_BOUNCE, "5.3.0",
         "Command died with status 1: \"/bin/cmd\""},
        {9, "", DELIVER_DEFER, "4.3.0",
         "Command died with signal 9: \"/bin/cmd\""},
        {EX_NOUSER << 8, "4.2.2 mailbox full", DELIVER_DEFER, "4.2.2",
         "mailbox full"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int status = -1;
        char dsn[16] = "";
        struct buf why;

        buf_init(&why, 0);
        pipe_exit_reason(cases[i].ws, "/bin/cmd", cases[i].output, &status, dsn,
                         &why);
        CHECK(status == cases[i].status && strcmp(dsn, cases[i].dsn) == 0 &&
                  strcmp(buf_str(&why), cases[i].why) == 0,
              "exit case %zu: %d %s \"%s\"", i, status, dsn, buf_str(&why));
        buf_fini(&why);
    }
}

int
main(void)
{
    test_expand();
    test_unknown_macro();
    test_attrs();
    test_exit();
    if (fails)
        fprintf(stderr, "%d failures\n", fails);
    else
        printf("pipe_test: ok\n");
    return fails ? 1 : 0;
}
