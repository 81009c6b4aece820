/*
 * maps_test - unit tests of lookup tables and match lists.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* After the headers it needs (stdarg, stddef, stdint, setjmp). */
#include <cmocka.h>

#include "maps/maps.h"

static char dir[128];

static const char *
write_file(const char *name, const char *text)
{
    static char path[4][256];
    static int k;
    FILE *f;

    k = (k + 1) % 4;
    snprintf(path[k], sizeof(path[k]), "%s/%s", dir, name);
    f = fopen(path[k], "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path[k];
}

static void
test_texthash(void **state)
{
    char spec[512];
    struct maps *m;
    const char *v;

    (void) state;
    snprintf(spec, sizeof(spec), "texthash:%s, inline:{ x=1, {y = two words} }",
             write_file("access", "# comment\nSpam@Example.com REJECT go away\n"
                                  "example.net OK\n"
                                  "long\n  continued value\n"));
    m = maps_new("test", spec, 0);
    assert_int_equal(maps_find(m, "spam@example.COM", &v), MAPS_FOUND);
    assert_string_equal(v, "REJECT go away");
    assert_int_equal(maps_find(m, "example.net", &v), MAPS_FOUND);
    assert_string_equal(v, "OK");
    assert_int_equal(maps_find(m, "long", &v), MAPS_FOUND);
    assert_string_equal(v, "continued value");
    assert_int_equal(maps_find(m, "x", &v), MAPS_FOUND);
    assert_string_equal(v, "1");
    assert_int_equal(maps_find(m, "y", &v), MAPS_FOUND);
    assert_string_equal(v, "two words");
    assert_int_equal(maps_find(m, "nobody", &v), MAPS_NOTFOUND);
    maps_free(m);

    m = maps_new("test", "hash:/nonexistent/file", 0);
    assert_int_equal(maps_find(m, "a", &v), MAPS_ERROR);
    assert_non_null(strstr(maps_error(m), "/nonexistent/file"));
    maps_free(m);
}

static void
test_aliases(void **state)
{
    char spec[512];
    struct maps *m;
    const char *v;

    (void) state;
    snprintf(spec, sizeof(spec), "hash:%s",
             write_file("aliases", "postmaster: root\n"
                                   "Team: alice,\n  bob, /var/mail/team\n"
                                   "\"quoted\": carol\n"));
    m = maps_new("alias_maps", spec, MAPS_F_ALIAS);
    assert_int_equal(maps_find(m, "team", &v), MAPS_FOUND);
    assert_string_equal(v, "alice, bob, /var/mail/team");
    assert_int_equal(maps_find(m, "postmaster", &v), MAPS_FOUND);
    assert_string_equal(v, "root");
    assert_int_equal(maps_find(m, "quoted", &v), MAPS_FOUND);
    maps_free(m);
}

/* pcre: is PCRE2 (issue 19), not POSIX: \d, lazy quantifiers, flags */
static void
test_pcre(void **state)
{
    static const struct {
        const char *spec, *key, *want; /* want NULL: not found */
    } cases[] = {
        {"pcre:{{/^(\\d+)x/ n$1}}", "12x", "n12"},
        {"regexp:{{/^(\\d+)x/ n$1}}", "12x", NULL},
        {"pcre:{{/^(a+?)(a*)$/ $1-$2}}", "aaa", "a-aa"},
        {"pcre:{{/^A/ case}}", "abc", "case"},
        {"pcre:{{/^A/i case}}", "abc", NULL},
        {"pcre:{{/a.b/ dot}}", "a\nb", NULL},
        {"pcre:{{/a.b/s dot}}", "a\nb", "dot"},
        {"regexp:{{/a.b/ dot}}", "a\nb", "dot"},
        {"pcre:{{if /^x/}, {/y$/ both}, {endif}}", "xay", "both"},
        {"pcre:{{if /^x/}, {/y$/ both}, {endif}}", "ay", NULL},
    };

    (void) state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct maps *m = maps_new("t", cases[i].spec, MAPS_F_NOFOLD);
        const char *v = NULL;
        enum maps_result r = maps_find(m, cases[i].key, &v);

        if (cases[i].want ? r != MAPS_FOUND || strcmp(v, cases[i].want) != 0
                          : r != MAPS_NOTFOUND)
            fail_msg("%s \"%s\": %d \"%s\", want \"%s\"", cases[i].spec,
                     cases[i].key, (int) r, r == MAPS_FOUND ? v : "",
                     cases[i].want ? cases[i].want : "(not found)");
        maps_free(m);
    }
}

static void
test_regexp_cidr(void **state)
{
    char spec[512];
    struct maps *m;
    const char *v;

    (void) state;
    snprintf(spec, sizeof(spec), "regexp:%s",
             write_file("re", "/^(.*)@spam\\.test$/ REJECT $1 is spam\n"
                              "!/\\.test$/ OK\n"));
    m = maps_new("re", spec, 0);
    assert_int_equal(maps_find(m, "joe@spam.test", &v), MAPS_FOUND);
    assert_string_equal(v, "REJECT joe is spam");
    assert_int_equal(maps_find(m, "joe@example.org", &v), MAPS_FOUND);
    assert_string_equal(v, "OK");
    assert_int_equal(maps_find(m, "joe@other.test", &v), MAPS_NOTFOUND);
    maps_free(m);
    snprintf(spec, sizeof(spec), "cidr:%s",
             write_file("cidr", "192.0.2.0/24 REJECT\n[2001:db8::]/32 OK\n"));
    m = maps_new("cidr", spec, 0);
    assert_int_equal(maps_find(m, "192.0.2.77", &v), MAPS_FOUND);
    assert_int_equal(maps_find(m, "2001:db8::5", &v), MAPS_FOUND);
    assert_string_equal(v, "OK");
    assert_int_equal(maps_find(m, "198.51.100.1", &v), MAPS_NOTFOUND);
    maps_free(m);
    /* in-line rules, as smtpd_forbidden_commands' default has them */
    m = maps_new("in-line", "regexp:{{/^[^A-Z]/ Bogus}, {/^x-/ X}}", 0);
    assert_int_equal(maps_find(m, "123", &v), MAPS_FOUND);
    assert_string_equal(v, "Bogus");
    assert_int_equal(maps_find(m, "X-Foo", &v), MAPS_FOUND);
    assert_string_equal(v, "X");
    assert_int_equal(maps_find(m, "get", &v), MAPS_NOTFOUND);
    maps_free(m);
    m = maps_new("in-line", "regexp:{/^[^A-Z]/ Bogus}", 0);
    assert_int_equal(maps_find(m, "123", &v), MAPS_ERROR);
    maps_free(m);
}

static void
test_match_lists(void **state)
{
    struct maps_match *ml;
    char spec[512];

    (void) state;
    ml = maps_match_new("mynetworks", "127.0.0.0/8 [::1]/128, 192.0.2.10",
                        MAPS_MATCH_ADDR, 0);
    assert_int_equal(maps_match_addr(ml, "127.0.0.2"), 1);
    assert_int_equal(maps_match_addr(ml, "::1"), 1);
    assert_int_equal(maps_match_addr(ml, "::ffff:127.0.0.1"), 1);
    assert_int_equal(maps_match_addr(ml, "192.0.2.10"), 1);
    assert_int_equal(maps_match_addr(ml, "192.0.2.11"), 0);
    maps_match_free(ml);
    ml = maps_match_new("mynetworks", "!127.0.0.2 127.0.0.0/8", MAPS_MATCH_ADDR,
                        0);
    assert_int_equal(maps_match_addr(ml, "127.0.0.2"), 0);
    assert_int_equal(maps_match_addr(ml, "127.0.0.3"), 1);
    maps_match_free(ml);
    /* a malformed mask is no network at all: atoi() once read
     * "10.0.0.0/x" as a /0 that matched every client (an open relay) */
    assert_int_equal(maps_addr_in_net("198.51.100.7", "10.0.0.0/x"), -1);
    assert_int_equal(maps_addr_in_net("198.51.100.7", "10.0.0.0/"), -1);
    assert_int_equal(maps_addr_in_net("198.51.100.7", "10.0.0.0/-0"), -1);
    assert_int_equal(maps_addr_in_net("198.51.100.7", "10.0.0.0/33"), -1);
    assert_int_equal(maps_addr_in_net("10.1.2.3", "10.0.0.0/8"), 1);
    assert_int_equal(maps_addr_in_net("198.51.100.7", "0.0.0.0/0"), 1);
    ml = maps_match_new("mynetworks", "10.0.0.0/x", MAPS_MATCH_ADDR, 0);
    assert_int_equal(maps_match_addr(ml, "198.51.100.7"), 0);
    maps_match_free(ml);

    snprintf(spec, sizeof(spec), "example.com, .sub.test, %s, inline:{x.org=1}",
             write_file("domains", "from-file.net other.net\n"));
    ml = maps_match_new("relay_domains", spec, MAPS_MATCH_DOMAIN, 1);
    assert_int_equal(maps_match_domain(ml, "EXAMPLE.com"), 1);
    assert_int_equal(maps_match_domain(ml, "a.example.com"), 1);
    assert_int_equal(maps_match_domain(ml, "badexample.com"), 0);
    assert_int_equal(maps_match_domain(ml, "a.sub.test"), 1);
    assert_int_equal(maps_match_domain(ml, "sub.test"), 0);
    assert_int_equal(maps_match_domain(ml, "other.net"), 1);
    assert_int_equal(maps_match_domain(ml, "x.org"), 1);
    assert_int_equal(maps_match_domain(ml, "y.x.org"), 1);
    maps_match_free(ml);
    ml = maps_match_new("mydestination", "example.com", MAPS_MATCH_DOMAIN, 0);
    assert_int_equal(maps_match_domain(ml, "a.example.com"), 0);
    maps_match_free(ml);
}

/* /file/name as Postfix's match_list_parse() reads it */
static void
test_match_file(void **state)
{
    struct maps_match *ml;
    char spec[512];

    (void) state;
    /* comments (also indented), blank lines, a continued logical line,
     * commas, and "!" before /file/name negating each of its items */
    snprintf(spec, sizeof(spec), "!%s, 192.0.2.0/24",
             write_file("nets", "# trusted\n192.0.2.7\n   # indented\n\n"
                                "192.0.2.8,\n  192.0.2.9\n"));
    ml = maps_match_new("mynetworks", spec, MAPS_MATCH_ADDR, 0);
    assert_int_equal(maps_match_addr(ml, "192.0.2.7"), 0);
    assert_int_equal(maps_match_addr(ml, "192.0.2.9"), 0);
    assert_int_equal(maps_match_addr(ml, "192.0.2.10"), 1);
    maps_match_free(ml);
    /* a file named in a file */
    {
        char inner[256], outer[300];

        snprintf(inner, sizeof(inner), "%s", write_file("inner", "in.test\n"));
        snprintf(outer, sizeof(outer), "out.test\n%s\n", inner);
        ml = maps_match_new("relay_domains", write_file("outer", outer),
                            MAPS_MATCH_DOMAIN, 0);
        assert_int_equal(maps_match_domain(ml, "in.test"), 1);
        assert_int_equal(maps_match_domain(ml, "out.test"), 1);
        maps_match_free(ml);
    }
    /* an unreadable file is a lookup error where it is reached, never
     * silently no entries */
    ml = maps_match_new("mydestination",
                        "a.test /nonexistent/mailname-domains b.test",
                        MAPS_MATCH_DOMAIN, 0);
    assert_int_equal(maps_match_domain(ml, "a.test"), 1);
    assert_int_equal(maps_match_domain(ml, "b.test"), -1);
    maps_match_free(ml);
    ml = maps_match_new("mynetworks", "/nonexistent/nets", MAPS_MATCH_ADDR, 0);
    assert_int_equal(maps_match_addr(ml, "127.0.0.1"), -1);
    maps_match_free(ml);
}

static void
test_index(void **state)
{
    char spec[512], *src;
    struct maps *m;
    const char *v;
    struct timespec ts = {0, 20000000};

    (void) state;
    src = mem_strdup(write_file("idx", "# aliases\nAlice: alice@x,\n  bob\n"
                                       "carol: c\ncarol: dup\n"));
    assert_int_equal(maps_build(src, 1), 0);
    /* the source is gone: the index answers */
    snprintf(spec, sizeof(spec), "hash:%s", src);
    {
        char moved[600];

        snprintf(moved, sizeof(moved), "%s.moved", src);
        assert_int_equal(rename(src, moved), 0);
        m = maps_new("alias_maps", spec, MAPS_F_ALIAS);
        assert_int_equal(maps_find(m, "alice", &v), MAPS_FOUND);
        assert_string_equal(v, "alice@x, bob");
        assert_int_equal(maps_find(m, "carol", &v), MAPS_FOUND);
        assert_string_equal(v, "c"); /* the first of duplicates */
        assert_int_equal(maps_find(m, "nobody", &v), MAPS_NOTFOUND);
        maps_free(m);
        /* a newer source: the database still answers, with Postfix's
         * warning (postmap was not run) */
        nanosleep(&ts, NULL);
        assert_int_equal(rename(moved, src), 0);
        write_file("idx", "alice: changed\n");
        m = maps_new("alias_maps", spec, MAPS_F_ALIAS);
        assert_int_equal(maps_find(m, "alice", &v), MAPS_FOUND);
        assert_string_equal(v, "alice@x, bob");
        maps_free(m);
        /* rebuilt: the new entries */
        assert_int_equal(maps_build(src, 1), 0);
        m = maps_new("alias_maps", spec, MAPS_F_ALIAS);
        assert_int_equal(maps_find(m, "alice", &v), MAPS_FOUND);
        assert_string_equal(v, "changed");
        assert_int_equal(maps_find(m, "@", &v), MAPS_FOUND); /* postalias's */
        maps_free(m);
    }
    mem_free(src);
}

/* test_file_types - each file type: built by maps_build, read through
 * maps_find (its driver), case-folded, the first of duplicates; a missing
 * database falls back to the source */
static void
test_file_types(void **state)
{
    static const char *const types[] = {"hash", "btree", "lmdb", "cdb"};
    char spec[600], arg[600];
    struct maps *m;
    const char *v;

    (void) state;
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        char name[32];
        const char *src;

        snprintf(name, sizeof(name), "ft_%s", types[i]);
        src = write_file(name, "Key1 v1\nkey1 dup\nk2 value two\n");
        snprintf(spec, sizeof(spec), "%s:%s", types[i], src);
        /* the source alone: read, with a warning */
        m = maps_new("t", spec, 0);
        assert_int_equal(maps_find(m, "K2", &v), MAPS_FOUND);
        assert_string_equal(v, "value two");
        maps_free(m);
        snprintf(arg, sizeof(arg), "%s", spec);
        assert_int_equal(maps_build(arg, 0), 0);
        /* the database alone: the source is gone */
        assert_int_equal(unlink(src), 0);
        m = maps_new("t", spec, 0);
        assert_int_equal(maps_find(m, "KEY1", &v), MAPS_FOUND);
        assert_string_equal(v, "v1");
        assert_int_equal(maps_find(m, "k2", &v), MAPS_FOUND);
        assert_string_equal(v, "value two");
        assert_int_equal(maps_find(m, "k3", &v), MAPS_NOTFOUND);
        maps_free(m);
    }
}

/* walk_cat - "key=value@line;" for each entry */
static void
walk_cat(void *ctx, const char *key, const char *value, int line)
{
    char *out = ctx;
    size_t n = strlen(out);

    snprintf(out + n, 512 - n, "%s=%s@%d;", key, value, line);
}

static void
test_check_walk(void **state)
{
    char spec[512], why[512], out[512] = "";
    const char *rx;

    (void) state;
    /* the types: lib/services/maps' own list, proxy: judged by its inner type
     */
    assert_int_equal(maps_type_supported("hash"), 1);
    assert_int_equal(maps_type_supported("pcre"), 1);
    assert_int_equal(maps_type_supported("nis"), 1);
    assert_int_equal(maps_type_supported("mysql"), 1); /* issue 20 */
    assert_int_equal(maps_type_supported("nosuchtype"), 0);
    assert_int_equal(
        maps_check_table("proxy:nosuchtype:/x.cf", why, sizeof(why)), -1);
    assert_non_null(strstr(why, "unsupported dictionary type: nosuchtype"));
    /* an SQL table: its .cf file must be there */
    assert_int_equal(maps_check_table("proxy:mysql:/x.cf", why, sizeof(why)),
                     -1);
    assert_non_null(strstr(why, "open /x.cf"));
    assert_int_equal(maps_check_table("ldap:/x.cf", why, sizeof(why)), -1);
    assert_int_equal(maps_check_table("unix:nosuch", why, sizeof(why)), -1);
    assert_int_equal(
        maps_check_table("proxy:unix:passwd.byname", why, sizeof(why)), 0);
    assert_int_equal(maps_check_table("inline:{a=b}", why, sizeof(why)), 0);
    assert_int_equal(maps_check_table("nocolon", why, sizeof(why)), -1);
    /* a missing file names its path and the reason */
    snprintf(spec, sizeof(spec), "hash:%s/missing", dir);
    assert_int_equal(maps_check_table(spec, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "/missing: No such file or directory"));
    rx = write_file("rx", "# c\n\n/^a(b)$/ smtp:[x]\n!/y/i error:no\n");
    snprintf(spec, sizeof(spec), "pcre:%s", rx);
    assert_int_equal(maps_check_table(spec, why, sizeof(why)), 0);
    assert_int_equal(maps_walk(spec, 0, walk_cat, out), 0);
    assert_string_equal(out, "^a(b)$=smtp:[x]@3;y=error:no@4;");
    out[0] = 0;
    snprintf(
        spec, sizeof(spec), "texthash:%s",
        write_file("t", "\n# c\nexample.com  local:\n.example.com :[h]\n"));
    assert_int_equal(maps_walk(spec, 0, walk_cat, out), 0);
    assert_string_equal(out, "example.com=local:@3;.example.com=:[h]@4;");
    out[0] = 0;
    assert_int_equal(maps_walk("inline:{a=b:c, d=e}", 0, walk_cat, out), 0);
    assert_string_equal(out, "a=b:c@0;d=e@0;");
    assert_int_equal(maps_walk("unix:passwd.byname", 0, walk_cat, out), -1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_texthash),    cmocka_unit_test(test_aliases),
        cmocka_unit_test(test_regexp_cidr), cmocka_unit_test(test_pcre),
        cmocka_unit_test(test_match_lists), cmocka_unit_test(test_match_file),
        cmocka_unit_test(test_index),       cmocka_unit_test(test_file_types),
        cmocka_unit_test(test_check_walk),
    };
    int rc;

    snprintf(dir, sizeof(dir), "/tmp/maps_test.%ld", (long) getpid());
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return 1;
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    if (util_rm_tree_at(AT_FDCWD, dir) < 0)
        return 1;
    return rc;
}
