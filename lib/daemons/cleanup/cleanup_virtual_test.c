/*
 * cleanup_virtual_test - virtual alias expansion (cleanup_valias_*),
 * table-driven: a virtual_alias_maps table and settings, an address,
 * and the recipients Postfix 3.7's cleanup makes of it (recursion,
 * @domain catch-alls, user@domain, bare user for local domains only,
 * one-to-many, expansion into itself, extensions with
 * recipient_delimiter and their propagation, the limits).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* After the headers it needs (stdarg, stddef, stdint, setjmp). */
#include <cmocka.h>

#include "cleanup/cleanup.h"
#include "pcf/pcf.h"
#include "rewrite/rewrite.h"

static const char table[] =
    "# the table every case uses\n"
    "alice@virt.test      alice@mbox.test\n"
    "sales@virt.test      bob@mbox.test, carol@mbox.test\n"
    "team@virt.test       sales@virt.test, dave@mbox.test\n"
    "self@virt.test       self@virt.test, copy@mbox.test\n"
    "loop1@virt.test      loop2@virt.test\n"
    "loop2@virt.test      loop1@virt.test\n"
    "@catch.test          catchall@mbox.test\n"
    "@rename.test         @mbox.test\n"
    "localonly            lu@mbox.test\n"
    "tolocal@virt.test    root\n"
    "ext+tag@virt.test    tagged@mbox.test\n"
    "ext@virt.test        plain@mbox.test\n"
    "owner-list@virt.test owner@mbox.test\n"
    "quoted@virt.test     \"a b\"@mbox.test\n"
    "angle@virt.test      <x@mbox.test>,<y@mbox.test>\n";

/* a pattern table: only whole addresses are matched against it */
static const char rxtable[] = "/^(.*)@rx\\.test$/ ${1}@mbox.test\n"
                              "/^@rx2\\.test$/ caught@mbox.test\n"
                              "/^user2$/ caught@mbox.test\n";

struct tcase {
    const char *name;
    const char *extra; /* main.cf lines */
    const char *addr;
    int status;
    const char *want; /* results joined by " " */
};

static const struct tcase cases[] = {
    {"no match", "", "nobody@virt.test", CLEANUP_STAT_OK, "nobody@virt.test"},
    {"user@domain", "", "alice@virt.test", CLEANUP_STAT_OK, "alice@mbox.test"},
    {"case folded key", "", "ALICE@Virt.Test", CLEANUP_STAT_OK,
     "alice@mbox.test"},
    {"one to many", "", "sales@virt.test", CLEANUP_STAT_OK,
     "bob@mbox.test carol@mbox.test"},
    {"recursive", "", "team@virt.test", CLEANUP_STAT_OK,
     "bob@mbox.test dave@mbox.test carol@mbox.test"},
    {"expands into itself once", "", "self@virt.test", CLEANUP_STAT_OK,
     "self@virt.test copy@mbox.test"},
    {"catch-all", "", "anyone@catch.test", CLEANUP_STAT_OK,
     "catchall@mbox.test"},
    {"@otherdomain keeps the user", "", "joe@rename.test", CLEANUP_STAT_OK,
     "joe@mbox.test"},
    {"bare user in a local domain", "", "localonly@local.test", CLEANUP_STAT_OK,
     "lu@mbox.test"},
    {"bare user at myorigin", "", "localonly@origin.test", CLEANUP_STAT_OK,
     "lu@mbox.test"},
    {"bare user not in a remote domain", "", "localonly@virt.test",
     CLEANUP_STAT_OK, "localonly@virt.test"},
    {"unqualified result gets myorigin", "", "tolocal@virt.test",
     CLEANUP_STAT_OK, "root@origin.test"},
    {"full key with extension first", "recipient_delimiter = +",
     "ext+tag@virt.test", CLEANUP_STAT_OK, "tagged@mbox.test"},
    {"extension propagated", "recipient_delimiter = +", "ext+other@virt.test",
     CLEANUP_STAT_OK, "plain+other@mbox.test"},
    {"extension not propagated",
     "recipient_delimiter = +\npropagate_unmatched_extensions = canonical",
     "ext+other@virt.test", CLEANUP_STAT_OK, "plain@mbox.test"},
    {"no delimiter, no split", "", "ext+other@virt.test", CLEANUP_STAT_OK,
     "ext+other@virt.test"},
    /* mail_addr_find() hands back no extension for an @domain match */
    {"catch-all: no extension propagated", "recipient_delimiter = +",
     "joe+x@catch.test", CLEANUP_STAT_OK, "catchall@mbox.test"},
    {"@otherdomain keeps the extension", "recipient_delimiter = +",
     "joe+x@rename.test", CLEANUP_STAT_OK, "joe+x@mbox.test"},
    {"owner- is not split", "recipient_delimiter = -", "owner-list@virt.test",
     CLEANUP_STAT_OK, "owner@mbox.test"},
    {"quoted result", "", "quoted@virt.test", CLEANUP_STAT_OK,
     "\"a b\"@mbox.test"},
    {"angle brackets", "", "angle@virt.test", CLEANUP_STAT_OK,
     "x@mbox.test y@mbox.test"},
    {"loop ends at the recursion limit", "", "loop1@virt.test",
     CLEANUP_STAT_DEFER, "loop1@virt.test"},
    {"recursion limit", "virtual_alias_recursion_limit = 1", "team@virt.test",
     CLEANUP_STAT_DEFER, "team@virt.test"},
    {"expansion limit", "virtual_alias_expansion_limit = 2", "team@virt.test",
     CLEANUP_STAT_DEFER, "team@virt.test"},
    {"address length limit", "virtual_alias_address_length_limit = 10",
     "alice@virt.test", CLEANUP_STAT_DEFER, "alice@virt.test"},
    {"regexp: whole address", "virtual_alias_maps = regexp:$rx", "joe@rx.test",
     CLEANUP_STAT_OK, "joe@mbox.test"},
    {"regexp: no @domain partial key", "virtual_alias_maps = regexp:$rx",
     "joe@rx2.test", CLEANUP_STAT_OK, "joe@rx2.test"},
    {"regexp: no bare user partial key", "virtual_alias_maps = regexp:$rx",
     "user2@local.test", CLEANUP_STAT_OK, "user2@local.test"},
    {"table failure", "virtual_alias_maps = texthash:/nonexistent/file",
     "alice@virt.test", CLEANUP_STAT_WRITE, "alice@virt.test"},
};

static char dir[128];

static void
run_case(const struct tcase *t)
{
    char path[256];
    FILE *f;
    struct pcf *pcf;
    struct rewrite *rw;
    struct cleanup_valias *va;
    struct strv out;
    struct buf got;
    int st;

    snprintf(path, sizeof(path), "%s/virtual", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(table, f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/rx", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(rxtable, f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/main.cf", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "rx = %s/rx\n", dir);
    fprintf(f,
            "compatibility_level = 3.6\n"
            "myhostname = mx.example.test\n"
            "mydomain = example.test\n"
            "myorigin = origin.test\n"
            "mydestination = local.test, localhost\n"
            "inet_interfaces = loopback-only\n"
            "virtual_alias_domains = virt.test catch.test rename.test\n"
            "virtual_alias_maps = texthash:%s/virtual\n"
            "%s\n",
            dir, t->extra);
    fclose(f);
    pcf = pcf_load(dir);
    rw = rewrite_new(pcf, NULL);
    va = cleanup_valias_new(pcf, NULL, rw);
    strv_init(&out);
    st = cleanup_valias_expand(va, "TESTID", t->addr, &out);
    buf_init(&got, 0);
    for (size_t i = 0; i < out.n; i++)
        (void) buf_printf(&got, "%s%s", i ? " " : "", out.v[i]);
    if (st != t->status || strcmp(buf_str(&got), t->want) != 0)
        fail_msg("%s: %s -> status %d \"%s\", want %d \"%s\"", t->name, t->addr,
                 st, buf_str(&got), t->status, t->want);
    buf_fini(&got);
    strv_fini(&out);
    cleanup_valias_free(va);
    rewrite_free(rw);
    pcf_free(pcf);
}

static void
test_expand(void **state)
{
    (void) state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        run_case(&cases[i]);
}

static int
setup(void **state)
{
    (void) state;
    snprintf(dir, sizeof(dir), "/tmp/cleanup_virtual_test.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int
teardown(void **state)
{
    char path[256];

    (void) state;
    snprintf(path, sizeof(path), "%s/virtual", dir);
    (void) unlink(path);
    snprintf(path, sizeof(path), "%s/main.cf", dir);
    (void) unlink(path);
    snprintf(path, sizeof(path), "%s/rx", dir);
    (void) unlink(path);
    return rmdir(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expand),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
