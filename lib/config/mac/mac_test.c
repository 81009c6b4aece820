/*
 * mac_test - unit tests for mac_expand() beyond Postfix's own test data.
 *
 * DESCRIPTION
 *	Table-driven cases (pattern, flags, want status, result, warnings)
 *	with warnings captured from stderr, plus SCAN-mode name reporting,
 *	runaway recursion, result limits, compatibility levels and 1 MB
 *	patterns. testdata/mac/ (run by tests/mac.cmake) holds the Postfix
 *	golden tests.
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

#include "mac/mac.h"

#define PROG "mac_test"
#define W    PROG ": warning: "

static const char *const defs[][2] = {
    {"a", "A"},
    {"empty", ""},
    {"r", "$a-$a"},
    {"self", "$self"},
    {"rel", "${{$rel} == {}}"},
    {"dbl", "${{$dbl} == {$dbl}}"},
    {"dirty", "a b/c\td\x80"},
    {"long", "0123456789"},
    {"lvl", "3.6"},
    {"chain1", "$chain2"},
    {"chain2", "<$a>"},
};

static const char *
table_lookup(const char *name, int mode, void *ctx)
{
    (void) mode;
    (void) ctx;
    for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]); i++)
        if (strcmp(defs[i][0], name) == 0)
            return defs[i][1];
    return NULL;
}

/* Warnings are captured by pointing fd 2 at a temporary file. */
struct capture {
    FILE *tmp;
    int saved;
};

static void
capture_begin(struct capture *c)
{
    fflush(stderr);
    c->tmp = tmpfile();
    assert_non_null(c->tmp);
    c->saved = dup(2);
    assert_true(c->saved >= 0);
    assert_true(dup2(fileno(c->tmp), 2) >= 0);
}

/* capture_end - restore stderr, return what was written (caller frees) */
static char *
capture_end(struct capture *c)
{
    struct buf out;
    char chunk[4096];
    size_t n;

    fflush(stderr);
    assert_true(dup2(c->saved, 2) >= 0);
    close(c->saved);
    buf_init(&out, 0);
    rewind(c->tmp);
    while ((n = fread(chunk, 1, sizeof(chunk), c->tmp)) > 0)
        assert_int_equal(buf_append(&out, chunk, n), 0);
    fclose(c->tmp);
    return buf_steal(&out);
}

struct expand_case {
    const char *name;
    const char *pattern;
    int flags;
    const char *filter;
    int want_stat;
    const char *want_result;
    const char *want_err;
};

static const struct expand_case expand_cases[] = {
    {"plain", "x$a${a}$(a)y", 0, NULL, 0, "xAAAy", ""},
    {"dollar dollar", "$$a $$$a", 0, NULL, 0, "$a $A", ""},
    {"undefined", "[$nope]", 0, NULL, MAC_PARSE_UNDEF, "[]", ""},
    {"empty value", "[$empty]", 0, NULL, 0, "[]", ""},
    {"test mode", "${a?yes}${nope?yes}${nope:no}${empty:no}", 0, NULL, 0,
     "yesnono", ""},
    {"spaces around name", "${ a }${ a ? {y} : {n} }", 0, NULL, 0, "Ay", ""},
    {"empty name", "x$-y", 0, NULL, MAC_PARSE_ERROR, "x",
     W "empty macro name: \"x$-y\"\n"},
    {"trailing dollar", "x$", 0, NULL, MAC_PARSE_ERROR, "x",
     W "empty macro name: \"x$\"\n"},
    {"truncated", "x${a", 0, NULL, MAC_PARSE_ERROR, "x",
     W "truncated macro reference: \"x${a\"\n"},
    {"nested truncated", "${a?${b}", 0, NULL, MAC_PARSE_ERROR, "",
     W "truncated macro reference: \"${a?${b}\"\n"},
    {"unbalanced braces", "$(a?{x)", 0, NULL, MAC_PARSE_ERROR, "",
     W "unbalanced {} in attribute expression: \"{x\"\n"},
    {"bad suffix", "${{a} ==nope {b}}", 0, NULL, MAC_PARSE_ERROR, "",
     W "bad operator suffix at: \"...==>>>nope\"\n"},
    {"missing right operand", "${{a} ==level x}", 0, NULL, MAC_PARSE_ERROR, "",
     W "\"{expression}\" expected at: \"...{a} ==>>> x\"\n"},
    {"numeric compare", "${{10} > {9}}${{10} > {9x}}", 0, NULL, 0, "true", ""},
    {"huge numbers", "${{99999999999999999999999} > {0099999999999999999999}}",
     0, NULL, 0, "true", ""},
    {"level compare", "${{3.10} >level {3.9}}${{$lvl} <=level {3.6.0}}", 0,
     NULL, 0, "truetrue", ""},
    {"level error", "${{3.x} ==level {3.y}}", 0, NULL, MAC_PARSE_ERROR, "",
     W "malformed compatibility level syntax: \"3.x\"\n"},
    {"filter", "[$dirty]", 0, "abcd", 0, "[a_b_c_d_]", ""},
    {"printable", "[$dirty]", MAC_EXP_FLAG_PRINTABLE, NULL, 0, "[a b/c_d_]",
     ""},
    {"no recursion", "$r", 0, NULL, 0, "$a-$a", ""},
    {"recursion", "$r|$chain1", MAC_EXP_FLAG_RECURSE, NULL, 0, "A-A|<A>", ""},
    {"self recursion", "x$self", MAC_EXP_FLAG_RECURSE, NULL, MAC_PARSE_ERROR,
     "x", W "unreasonable macro call nesting: \"self\"\n"},
    {"relational self recursion", "$rel", MAC_EXP_FLAG_RECURSE, NULL,
     MAC_PARSE_ERROR, "", W "unreasonable macro call nesting: \"rel\"\n"},
    {"relational double recursion", "$dbl$dbl", MAC_EXP_FLAG_RECURSE, NULL,
     MAC_PARSE_ERROR, "", W "unreasonable macro call nesting: \"dbl\"\n"},
    {"garbage after value", "${a?{x}y}", 0, NULL, MAC_PARSE_ERROR, "x",
     W "\":\" expected at: \"...x}>>>y\"\n"},
};

static void
test_expand_table(void **state)
{
    struct capture cap;
    struct buf result;
    char *err;
    int stat;

    (void) state;
    for (size_t i = 0; i < sizeof(expand_cases) / sizeof(expand_cases[0]);
         i++) {
        const struct expand_case *tc = &expand_cases[i];

        print_message("case: %s\n", tc->name);
        buf_init(&result, 0);
        buf_puts(&result, "stale");
        capture_begin(&cap);
        stat = mac_expand(&result, tc->pattern, tc->flags, tc->filter,
                          table_lookup, NULL);
        err = capture_end(&cap);
        assert_string_equal(buf_str(&result), tc->want_result);
        assert_string_equal(err, tc->want_err);
        assert_int_equal(stat, tc->want_stat);
        mem_free(err);
        buf_fini(&result);
    }
}

/* SCAN mode: every name is reported, including both ?: values. */
struct scan_log {
    struct buf names;
};

static const char *
scan_lookup(const char *name, int mode, void *ctx)
{
    struct scan_log *log = ctx;

    buf_printf(&log->names, "%s%s/%c", log->names.len ? " " : "", name,
               mode == MAC_EXP_MODE_TEST ? 'T' : 'U');
    return strcmp(name, "a") == 0 ? "A" : NULL;
}

static void
test_scan(void **state)
{
    struct scan_log log;
    struct buf result;
    int stat;

    (void) state;
    buf_init(&log.names, 0);
    buf_init(&result, 0);
    buf_puts(&result, "keep");
    stat = mac_expand(&result,
                      "x${a?$b}${c:{$d}}${{$e} == {$f} ? {$g} : {$h}}$a"
                      "${a?{$i}:{$j}}",
                      MAC_EXP_FLAG_SCAN | MAC_EXP_FLAG_RECURSE, NULL,
                      scan_lookup, &log);
    assert_string_equal(buf_str(&log.names),
                        "a/T b/U c/T d/U e/U f/U g/U h/U a/U a/T i/U j/U");
    assert_string_equal(buf_str(&result), "keep");
    assert_int_equal(stat, MAC_PARSE_UNDEF);

    /* Without ?: a relational expression is "undefined" in SCAN mode. */
    buf_truncate(&log.names, 0);
    stat = mac_expand(NULL, "${{$a} == {x}}", MAC_EXP_FLAG_SCAN, NULL,
                      scan_lookup, &log);
    assert_string_equal(buf_str(&log.names), "a/U");
    assert_int_equal(stat, MAC_PARSE_UNDEF);
    buf_fini(&log.names);
    buf_fini(&result);
}

static void
test_append_and_limit(void **state)
{
    struct capture cap;
    struct buf result;
    char *err;
    int stat;

    (void) state;
    buf_init(&result, 0);
    buf_puts(&result, "pre:");
    stat = mac_expand(&result, "$a", MAC_EXP_FLAG_APPEND, NULL, table_lookup,
                      NULL);
    assert_int_equal(stat, 0);
    assert_string_equal(buf_str(&result), "pre:A");
    buf_fini(&result);

    buf_init(&result, 8);
    capture_begin(&cap);
    stat = mac_expand(&result, "x$long$a", 0, NULL, table_lookup, NULL);
    err = capture_end(&cap);
    assert_int_equal(stat, MAC_PARSE_ERROR);
    assert_string_equal(err, W "macro expansion result exceeds 8 bytes\n");
    assert_string_equal(buf_str(&result), "x");
    mem_free(err);
    buf_fini(&result);
}

/* After an error, every later handler call still counts a level. */
static void
test_error_level_leak(void **state)
{
    struct capture cap;
    struct buf pattern, result;
    char *err;
    int stat;

    (void) state;
    buf_init(&pattern, 0);
    buf_init(&result, 0);
    buf_puts(&pattern, "${a b}");
    for (int i = 0; i < 101; i++)
        buf_puts(&pattern, "$a");
    capture_begin(&cap);
    stat = mac_expand(&result, buf_str(&pattern), 0, NULL, table_lookup, NULL);
    err = capture_end(&cap);
    assert_int_equal(stat, MAC_PARSE_ERROR);
    assert_string_equal(err,
                        W "attribute name syntax error at: \"...a>>> b\"\n" W
                          "unreasonable macro call nesting: \"a\"\n");
    mem_free(err);
    buf_fini(&pattern);
    buf_fini(&result);
}

static void
test_compat_level(void **state)
{
    static const struct {
        const char *text;
        long want;
        const char *canon;
    } cases[] = {
        {"3.2.1", 0x300801, "3.2.1"},
        {"3", 0x300000, "3.0"},
        {"2", 0x200000, "2"},
        {"0", 0, "0"},
        {"3.1023", 0x3ffc00, "3.1023"},
        {"3.10", 0x302800, "3.10"},
        {"3.1024", -1, NULL},
        {"3.", -1, NULL},
        {".1", -1, NULL},
        {"", -1, NULL},
        {"-3", -1, NULL},
        {"3.2.1.0", -1, NULL},
        {"99999999999999999999", -1, NULL},
    };
    struct buf text;

    (void) state;
    buf_init(&text, 0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        print_message("level: \"%s\"\n", cases[i].text);
        assert_int_equal(mac_compat_level_parse(cases[i].text), cases[i].want);
        if (cases[i].canon) {
            assert_int_equal(mac_compat_level_format(&text, cases[i].want), 0);
            assert_string_equal(buf_str(&text), cases[i].canon);
        }
    }
    assert_int_equal(mac_compat_level_format(&text, -1), -1);
    assert_string_equal(buf_str(&text), "");
    buf_fini(&text);
}

#define MB (1024 * 1024)

/* A 1 MB pattern of literals and references expands in one pass. */
static void
test_big_flat(void **state)
{
    static const char unit[] = "text $a ${a?{y}:{n}} $$ ${nope:z} ";
    struct buf pattern, result;
    size_t units = 0;
    int stat;

    (void) state;
    buf_init(&pattern, 0);
    while (pattern.len < MB) {
        buf_puts(&pattern, unit);
        units++;
    }
    buf_init(&result, 0);
    stat = mac_expand(&result, buf_str(&pattern), 0, NULL, table_lookup, NULL);
    assert_int_equal(stat, 0);
    assert_int_equal(result.len, units * strlen("text A y $ z "));
    assert_memory_equal(result.data, "text A y $ z text A y $ z ", 26);
    buf_fini(&pattern);
    buf_fini(&result);
}

/* 1 MB of nesting: the nesting limit stops it, and nothing crashes. */
static void
test_big_nested(void **state)
{
    struct capture cap;
    struct buf pattern, result;
    size_t depth = MB / 5;
    char *err;
    int stat;

    (void) state;
    buf_init(&pattern, 0);
    for (size_t i = 0; i < depth; i++)
        buf_puts(&pattern, "${a?");
    for (size_t i = 0; i < depth; i++)
        buf_putc(&pattern, '}');
    buf_init(&result, 0);
    capture_begin(&cap);
    stat = mac_expand(&result, buf_str(&pattern), 0, NULL, table_lookup, NULL);
    err = capture_end(&cap);
    assert_int_equal(stat, MAC_PARSE_ERROR);
    assert_true(str_has_prefix(err, W "unreasonable macro call nesting: "));
    assert_string_equal(buf_str(&result), "");
    mem_free(err);

    /* Unbalanced: found by the scanner before anything is expanded. */
    buf_truncate(&pattern, depth * 4 + 1);
    capture_begin(&cap);
    stat = mac_expand(&result, buf_str(&pattern), 0, NULL, table_lookup, NULL);
    err = capture_end(&cap);
    assert_int_equal(stat, MAC_PARSE_ERROR);
    assert_true(str_has_prefix(err, W "truncated macro reference: "));
    mem_free(err);
    buf_fini(&pattern);
    buf_fini(&result);
}

/*
 * Relational operands start a new nesting count in Postfix; our total
 * depth limit still stops deep nesting of them.
 */
static void
test_deep_relational(void **state)
{
    struct capture cap;
    struct buf pattern, result;
    size_t depth = 5000;
    char *err;
    int stat;

    (void) state;
    buf_init(&pattern, 0);
    for (size_t i = 0; i < depth; i++)
        buf_puts(&pattern, "${{");
    buf_puts(&pattern, "x");
    for (size_t i = 0; i < depth; i++)
        buf_puts(&pattern, "} == {}}");
    buf_init(&result, 0);
    capture_begin(&cap);
    stat = mac_expand(&result, buf_str(&pattern), 0, NULL, table_lookup, NULL);
    err = capture_end(&cap);
    assert_int_equal(stat, MAC_PARSE_ERROR);
    assert_true(str_has_prefix(err, W "unreasonable macro call nesting: "));
    assert_string_equal(strchr(err, '\n'), "\n"); /* one warning only */
    mem_free(err);

    /* Shallow enough: evaluates as Postfix does. */
    buf_truncate(&pattern, 0);
    for (size_t i = 0; i < 50; i++)
        buf_puts(&pattern, "${{");
    buf_puts(&pattern, "x");
    for (size_t i = 0; i < 50; i++)
        buf_puts(&pattern, "} == {}}");
    stat = mac_expand(&result, buf_str(&pattern), 0, NULL, table_lookup, NULL);
    assert_int_equal(stat, 0);
    assert_string_equal(buf_str(&result), "true");
    buf_fini(&pattern);
    buf_fini(&result);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expand_table),
        cmocka_unit_test(test_scan),
        cmocka_unit_test(test_append_and_limit),
        cmocka_unit_test(test_error_level_leak),
        cmocka_unit_test(test_compat_level),
        cmocka_unit_test(test_big_flat),
        cmocka_unit_test(test_big_nested),
        cmocka_unit_test(test_deep_relational),
    };

    log_set_progname(PROG);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
