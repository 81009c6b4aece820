/*
 * conf_test_group - round trip and entry grouping.
 *
 * DESCRIPTION
 *	Byte-exact round trip of every file under testdata/corpus/ (and
 *	CRLF, no-final-newline and NUL-byte variants), hand-written grouping
 *	cases, entry bytes, and thousands of generated inputs compared with
 *	ref_readllines().
 */
#include "conf/conf_test.h"

/*
 * Round trip of the corpus.
 */

/* corpus_file_wanted - main.cf, master.cf and their templates */
static int
corpus_file_wanted(const char *name)
{
    return strcmp(name, "main.cf") == 0 || strcmp(name, "master.cf") == 0 ||
           str_has_suffix(name, ".j2") || str_has_suffix(name, ".tpl");
}

/* variant - data transformed: 0 as is, 1 CRLF, 2 no final newline,
 * 3 a NUL byte in the middle of every fifth line */
static char *
variant(const char *data, size_t len, int how, size_t *out_len)
{
    struct buf b;
    int line = 0;

    buf_init(&b, 0);
    for (size_t i = 0; i < len; i++) {
        if (how == 1 && data[i] == '\n')
            (void) buf_putc(&b, '\r');
        if (how == 2 && i == len - 1 && data[i] == '\n')
            break;
        if (how == 3 && i > 0 && data[i - 1] == '\n' && ++line % 5 == 0) {
            (void) buf_append(&b, data + i, 1);
            (void) buf_append(&b, "\0", 1);
            continue;
        }
        (void) buf_append(&b, data + i, 1);
    }
    *out_len = b.len;
    return buf_steal(&b);
}

void
test_corpus_round_trip(void **state)
{
    static const char *const how[] = {"", " (CRLF)", " (no final newline)",
                                      " (NUL bytes)"};
    const char *root = CONF_TESTDATA "/corpus";
    DIR *top = opendir(root);
    struct dirent *de;
    struct buf path, ctx;
    int files = 0;

    (void) state;
    if (top == NULL)
        fail_msg("opendir %s: %s", root, strerror(errno));
    buf_init(&path, 0);
    buf_init(&ctx, 0);
    while ((de = readdir(top)) != NULL) {
        DIR *sub;
        struct dirent *fe;

        if (de->d_name[0] == '.')
            continue;
        buf_truncate(&path, 0);
        (void) buf_printf(&path, "%s/%s", root, de->d_name);
        if ((sub = opendir(buf_str(&path))) == NULL)
            continue;
        while ((fe = readdir(sub)) != NULL) {
            char *data;
            size_t len;

            if (!corpus_file_wanted(fe->d_name))
                continue;
            buf_truncate(&path, 0);
            (void) buf_printf(&path, "%s/%s/%s", root, de->d_name, fe->d_name);
            if (util_read_file(buf_str(&path), CONF_MAX_FILE, &data, &len) < 0)
                fail_msg("read %s: %s", buf_str(&path), strerror(errno));
            files++;
            for (int k = 0; k < 2; k++) {
                enum conf_kind kind = k ? CONF_MASTER : CONF_MAIN;

                for (int v = 0; v < (int) NELEM(how); v++) {
                    size_t vlen;
                    char *vdata = variant(data, len, v, &vlen);

                    buf_truncate(&ctx, 0);
                    (void) buf_printf(&ctx, "%s/%s as %s%s", de->d_name,
                                      fe->d_name, k ? "master.cf" : "main.cf",
                                      how[v]);
                    check_model(vdata, vlen, kind, buf_str(&ctx));
                    mem_free(vdata);
                }
            }
            mem_free(data);
        }
        closedir(sub);
    }
    closedir(top);
    buf_fini(&path);
    buf_fini(&ctx);
    /* 18 main.cf, 17 master.cf, 2 .j2, 2 .tpl when this was written. */
    if (files < 30)
        fail_msg("only %d corpus files under %s", files, root);
}

/* test_read_matches_parse - conf_file_read gives the parse of the bytes */
void
test_read_matches_parse(void **state)
{
    const char *p = CONF_TESTDATA "/corpus/debian-dist/master.cf";
    struct conf_file *cf;
    struct buf out;
    char *data;
    size_t len;

    (void) state;
    if (util_read_file(p, CONF_MAX_FILE, &data, &len) < 0)
        fail_msg("read %s: %s", p, strerror(errno));
    cf = conf_file_read(p, CONF_MASTER);
    assert_non_null(cf);
    assert_string_equal(cf->path, p);
    assert_int_equal(cf->kind, CONF_MASTER);
    buf_init(&out, 0);
    assert_int_equal(conf_file_serialize(cf, &out), 0);
    assert_int_equal(out.len, len);
    assert_memory_equal(out.data, data, len);
    buf_fini(&out);
    conf_file_free(cf);
    mem_free(data);

    errno = 0;
    assert_null(conf_file_read(CONF_TESTDATA "/no/such/main.cf", CONF_MAIN));
    assert_int_equal(errno, ENOENT);
    conf_file_free(NULL);
}

/* test_serialize_replaced_and_limit - replaced entries; the buffer limit */
void
test_serialize_replaced_and_limit(void **state)
{
    static const char in[] = "# c\na = 1\n  2\nb = 3";
    struct conf_file *cf = conf_file_parse("t", CONF_MAIN, S(in));
    struct buf out;

    (void) state;
    assert_int_equal(cf->n, 3);
    cf->ents[1].replaced = mem_strdup("a = 9\n");
    buf_init(&out, 0);
    assert_int_equal(conf_file_serialize(cf, &out), 0);
    assert_string_equal(buf_str(&out), "# c\na = 9\nb = 3");
    buf_fini(&out);

    /* Past the limit: -1, and nothing of the failing entry is written. */
    buf_init(&out, 8);
    assert_int_equal(conf_file_serialize(cf, &out), -1);
    assert_true(out.len <= 8);
    buf_fini(&out);

    /* Serialization appends to what the buffer holds. */
    buf_init(&out, 0);
    (void) buf_puts(&out, ">");
    assert_int_equal(conf_file_serialize(cf, &out), 0);
    assert_string_equal(buf_str(&out), "># c\na = 9\nb = 3");
    buf_fini(&out);
    conf_file_free(cf);
}

/*
 * Entry grouping. describe() renders the model compactly:
 *   B3        blank line 3           C3        comment line 3
 *   L1-2[t]   logical lines 1-2      O1-2[t]   orphan lines 1-2
 * with the logical text t escaped (\r, \t, \f, \v).
 */
static const char *
describe(const struct conf_file *cf, struct buf *out)
{
    struct buf esc;

    buf_init(&esc, 0);
    buf_truncate(out, 0);
    for (size_t i = 0; i < cf->n; i++) {
        const struct conf_entry *e = &cf->ents[i];

        if (i > 0)
            (void) buf_putc(out, ' ');
        switch (e->kind) {
        case CONF_ENT_BLANK:
            (void) buf_printf(out, "B%d", e->first_line);
            break;
        case CONF_ENT_COMMENT:
            (void) buf_printf(out, "C%d", e->first_line);
            break;
        case CONF_ENT_LOGICAL:
        case CONF_ENT_ORPHAN:
            (void) buf_printf(out, "%c%d-%d[%s]",
                              e->kind == CONF_ENT_LOGICAL ? 'L' : 'O',
                              e->first_line, e->last_line,
                              escape(&esc, e->text, strlen(e->text)));
            break;
        }
    }
    buf_fini(&esc);
    return buf_str(out);
}

struct group_case {
    const char *name;
    const char *in;
    size_t len;
    const char *want;
};

static const struct group_case group_cases[] = {
    {"empty file", S(""), ""},
    {"one line", S("a = 1\n"), "L1-1[a = 1]"},
    {"missing final newline", S("a = 1"), "L1-1[a = 1]"},
    {"only a newline", S("\n"), "B1"},
    {"only a hash", S("#\n"), "C1"},
    {"comment without newline", S("a = 1\n#"), "L1-1[a = 1] C2"},
    {"continuation with space", S("a = 1\n  b\n"), "L1-2[a = 1  b]"},
    {"continuation with tab", S("a = 1\n\tb\n"), "L1-2[a = 1\\tb]"},
    /* Postfix ISSPACE is isspace(): form feed and vertical tab continue;
     * postconf -n prints a=1?b for both. */
    {"continuation with form feed", S("a = 1\n\fb\n"), "L1-2[a = 1\\014b]"},
    {"continuation with vtab", S("a = 1\n\vb\n"), "L1-2[a = 1\\013b]"},
    {"comment at column 0 inside", S("a = 1\n# c\n  b\n"), "L1-3[a = 1  b]"},
    {"indented comment inside", S("a = 1\n  # c\n  b\n"), "L1-3[a = 1  b]"},
    {"empty line inside", S("a = 1\n\n  b\n"), "L1-3[a = 1  b]"},
    {"whitespace line inside", S("a = 1\n \t\n  b\n"), "L1-3[a = 1  b]"},
    {"several skipped lines inside", S("a =\n#x\n\n  # y\n\n  1\n#z\n  2\n"),
     "L1-8[a =  1  2]"},
    {"trailing comment and blank are not the entry's",
     S("a = 1\n# c\n\nb = 2\n"), "L1-1[a = 1] C2 B3 L4-4[b = 2]"},
    {"trailing comment after continuation", S("a = 1\n  b\n# c\n"),
     "L1-2[a = 1  b] C3"},
    {"trailing whitespace without newline", S("a = 1\n  "), "L1-1[a = 1] B2"},
    {"skipped lines between two entries",
     S("a = 1\n  2\n\n# c\n  # d\n\t\nb = 2\n"),
     "L1-2[a = 1  2] B3 C4 C5 B6 L7-7[b = 2]"},
    {"leading comment and blank", S("# c\n\na = 1\n"), "C1 B2 L3-3[a = 1]"},
    {"indented comment before any text", S("  # c\na = 1\n"), "C1 L2-2[a = 1]"},
    {"orphan first line", S("  x\na = 1\n"), "O1-1[  x] L2-2[a = 1]"},
    {"orphan with continuation and comment", S("  x\n# c\n\ty\na = 1"),
     "O1-3[  x\\ty] L4-4[a = 1]"},
    {"orphan after comment", S("# c\n  x\n"), "C1 O2-2[  x]"},
    {"orphan after blank at start", S("\n  x\n"), "B1 O2-2[  x]"},
    {"orphan then trailing blank", S("  x\n\n"), "O1-1[  x] B2"},
    {"CRLF", S("a = 1\r\n  b\r\n\r\nc = 2\r\n"),
     "L1-2[a = 1\\r  b\\r] B3 L4-4[c = 2\\r]"},
    {"CR-only line is blank", S("a = 1\n\r\n  b\n"), "L1-3[a = 1  b]"},
    {"lone CR at end", S("a = 1\r"), "L1-1[a = 1\\r]"},
    /* Postfix handles C strings: the logical text ends at a NUL; postconf
     * reports x=y for "x = y\0z\n  w". */
    {"NUL cuts the line", S("a = b\0c\ne = 1\n"), "L1-1[a = b] L2-2[e = 1]"},
    {"NUL cuts the continuation", S("a = b\0c\n  d\ne = 1\n"),
     "L1-2[a = b] L3-3[e = 1]"},
    {"NUL in a continuation line", S("a = b\n  c\0d\n  e\n"), "L1-3[a = b  c]"},
    /* A NUL at column 0 is text: postconf says 'missing attribute name:
     * ""' at line 1. */
    {"NUL at column 0", S("\0x\n"), "L1-1[]"},
    {"NUL after indentation continues", S("a = 1\n  \0x\n"), "L1-2[a = 1  ]"},
    {"NUL in a comment", S("# \0\na = 1\n"), "C1 L2-2[a = 1]"},
    {"logical lines back to back", S("a\nb\nc"), "L1-1[a] L2-2[b] L3-3[c]"},
};

void
test_grouping(void **state)
{
    struct buf got;

    (void) state;
    buf_init(&got, 0);
    for (size_t i = 0; i < NELEM(group_cases); i++) {
        const struct group_case *tc = &group_cases[i];

        for (int k = 0; k < 2; k++) {
            struct conf_file *cf = conf_file_parse(
                "t", k ? CONF_MASTER : CONF_MAIN, tc->in, tc->len);

            if (strcmp(describe(cf, &got), tc->want) != 0)
                fail_msg("%s (%s):\nwant: %s\ngot:  %s", tc->name,
                         k ? "master" : "main", tc->want, buf_str(&got));
            conf_file_free(cf);
            check_model(tc->in, tc->len, k ? CONF_MASTER : CONF_MAIN, tc->name);
        }
    }
    buf_fini(&got);
}

/* test_entry_bytes - offsets, lengths and lines of a mixed file */
void
test_entry_bytes(void **state)
{
    static const char in[] = "# c\na = 1\n\n  2\n\nb = 3\n  ";
    static const struct {
        enum conf_entry_kind kind;
        size_t off, len;
        int first, last, value;
    } want[] = {
        {CONF_ENT_COMMENT, 0, 4, 1, 1, 1}, {CONF_ENT_LOGICAL, 4, 11, 2, 4, 4},
        {CONF_ENT_BLANK, 15, 1, 5, 5, 5},  {CONF_ENT_LOGICAL, 16, 6, 6, 6, 6},
        {CONF_ENT_BLANK, 22, 2, 7, 7, 7},
    };
    struct conf_file *cf = conf_file_parse("t", CONF_MAIN, S(in));

    (void) state;
    assert_int_equal(cf->n, NELEM(want));
    for (size_t i = 0; i < NELEM(want); i++) {
        const struct conf_entry *e = &cf->ents[i];

        assert_int_equal(e->kind, want[i].kind);
        assert_int_equal(e->off, want[i].off);
        assert_int_equal(e->len, want[i].len);
        assert_int_equal(e->first_line, want[i].first);
        assert_int_equal(e->last_line, want[i].last);
        assert_int_equal(e->value_line, want[i].value);
        assert_null(e->replaced);
    }
    /* The continued entry's segments: lines 2 and 4, not the blank 3. */
    assert_int_equal(cf->ents[1].nsegs, 2);
    assert_int_equal(cf->ents[1].segs[0].line, 2);
    assert_int_equal(cf->ents[1].segs[0].off, 4);
    assert_int_equal(cf->ents[1].segs[0].len, 5);
    assert_int_equal(cf->ents[1].segs[0].loff, 0);
    assert_int_equal(cf->ents[1].segs[1].line, 4);
    assert_int_equal(cf->ents[1].segs[1].off, 11);
    assert_int_equal(cf->ents[1].segs[1].len, 3);
    assert_int_equal(cf->ents[1].segs[1].loff, 5);
    assert_string_equal(cf->ents[1].text, "a = 1  2");
    conf_file_free(cf);
}

/*
 * Generated inputs against ref_readllines(). A fixed-seed generator over
 * an alphabet dense in the characters that matter.
 */
static uint32_t
lcg(uint32_t *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 8;
}

void
test_generated(void **state)
{
    static const char alphabet[] = "ab=  \t\n\n\n\n##\r\0{}\f,x$";
    char in[96];
    uint32_t seed = 20240601;
    struct buf ctx, esc;

    (void) state;
    buf_init(&ctx, 0);
    buf_init(&esc, 0);
    for (int i = 0; i < 20000; i++) {
        size_t len = lcg(&seed) % sizeof(in);

        for (size_t j = 0; j < len; j++)
            in[j] = alphabet[lcg(&seed) % (sizeof(alphabet) - 1)];
        buf_truncate(&ctx, 0);
        (void) buf_printf(&ctx, "generated #%d \"%s\"", i,
                          escape(&esc, in, len));
        check_model(in, len, i % 2 ? CONF_MASTER : CONF_MAIN, buf_str(&ctx));
    }
    buf_fini(&ctx);
    buf_fini(&esc);
}
