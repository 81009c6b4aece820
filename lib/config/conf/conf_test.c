/*
 * conf_test - unit tests for the lossless main.cf/master.cf model.
 *
 * DESCRIPTION
 *	Byte-exact round trip (conf_file_parse + conf_file_serialize) of
 *	every configuration file under testdata/corpus/, as main.cf and as
 *	master.cf, plus CRLF, no-final-newline and NUL-byte variants.
 *
 *	Entry grouping is checked two ways: a table of hand-written cases
 *	(continuation lines, comment and blank lines inside and after a
 *	value, orphans, CRLF, NUL bytes), and a property test that compares
 *	the model of thousands of generated inputs with ref_readllines(), a
 *	line-by-line transcription of Postfix 3.7 readllines().
 *
 *	Then name/value splitting with positions and errors, master.cf
 *	fields with {...} grouping and positions across continuation lines,
 *	and the text primitives conf_split_nameval, conf_tok_next,
 *	conf_balpar and conf_extpar. Where behaviour was unclear the
 *	expectation was taken from Postfix 3.7.11 postconf on a crafted file
 *	(noted at the case).
 *
 *	Last, safe edits: what is planted at main.cf.tmp, main.cf.bak.tmp
 *	or FILE.tmp (symlink, hard link, FIFO, directory) is removed, never
 *	written through.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"

/* clang-format off: cmocka.h needs the headers above first */
#include <cmocka.h>
/* clang-format on */

#include "util/util.h"

#ifndef CONF_TESTDATA
#define CONF_TESTDATA "testdata"
#endif

/* S - a string literal with its length, so that tables may hold NULs */
#define S(lit)   lit, sizeof(lit) - 1
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Reference: Postfix readllines(), transcribed over a memory buffer.
 */

/* struct ref_line - one result of ref_readllines() */
struct ref_line {
    char *text;     /* the logical line, cut at the first NUL */
    int first_line; /* Postfix's *first_line */
    int orphan;     /* warned "must not start with whitespace" and skipped */
};

struct ref_stream {
    const char *data;
    size_t len;
    size_t pos;
};

static int
ref_getc(struct ref_stream *s)
{
    return s->pos < s->len ? (unsigned char) s->data[s->pos++] : EOF;
}

static int
ref_peek(const struct ref_stream *s)
{
    return s->pos < s->len ? (unsigned char) s->data[s->pos] : EOF;
}

/* ref_isspace - Postfix ISSPACE(): ISASCII(c) && isspace(c) */
static int
ref_isspace(int c)
{
    return c >= 0 && c < 128 && isspace(c);
}

/*
 * ref_readllines - one logical line as Postfix 3.7 readllines() returns
 * it; orphans are reported in *orphan instead of being skipped, so the
 * caller sees every one. Returns 0 at end of input.
 */
static int
ref_readllines(struct ref_stream *s, struct buf *b, int *lineno,
               int *first_line, int *orphan)
{
    size_t start, cp;
    int ch, next;

    buf_truncate(b, 0);
    *orphan = 0;
    for (;;) {
        start = b->len;
        while ((ch = ref_getc(s)) != EOF && ch != '\n') {
            char c = (char) ch;

            (void) buf_append(b, &c, 1);
        }
        if (ch == '\n' || b->len > start)
            *lineno += 1;
        for (cp = start;
             cp < b->len && ref_isspace((unsigned char) b->data[cp]); cp++)
            ;
        if (cp == b->len || b->data[cp] == '#')
            buf_truncate(b, start);
        if (start == 0)
            *first_line = *lineno;
        if (ch == EOF)
            break;
        if (b->len > 0) {
            next = ref_peek(s);
            if (next != '#' && !ref_isspace(next))
                break;
        }
    }
    if (b->len > 0 && ref_isspace((unsigned char) b->data[0]))
        *orphan = 1;
    return b->len > 0;
}

/* ref_parse - all logical lines and orphans of data; *n gets the count */
static struct ref_line *
ref_parse(const char *data, size_t len, size_t *n)
{
    struct ref_stream s = {data, len, 0};
    struct ref_line *v = NULL;
    struct buf b;
    int lineno = 0, first_line = 0, orphan;
    size_t cap = 0;

    buf_init(&b, 0);
    *n = 0;
    while (ref_readllines(&s, &b, &lineno, &first_line, &orphan)) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            v = mem_realloc(v, cap * sizeof(*v));
        }
        v[*n].text = mem_strdup(buf_str(&b));
        v[*n].first_line = first_line;
        v[*n].orphan = orphan;
        (*n)++;
    }
    buf_fini(&b);
    return v;
}

static void
ref_free(struct ref_line *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        mem_free(v[i].text);
    mem_free(v);
}

/*
 * Invariants that hold for every input.
 */

/* escape - printable rendering of n bytes for failure messages */
static const char *
escape(struct buf *out, const char *s, size_t n)
{
    buf_truncate(out, 0);
    for (size_t i = 0; i < n && out->len < 400; i++) {
        unsigned char c = (unsigned char) s[i];

        if (c == '\n')
            (void) buf_puts(out, "\\n");
        else if (c == '\r')
            (void) buf_puts(out, "\\r");
        else if (c == '\t')
            (void) buf_puts(out, "\\t");
        else if (c == '\\')
            (void) buf_puts(out, "\\\\");
        else if (c < 32 || c > 126)
            (void) buf_printf(out, "\\%03o", c);
        else
            (void) buf_putc(out, c);
    }
    return buf_str(out);
}

/* count_lines - physical lines as readllines counts them */
static int
count_lines(const char *data, size_t len)
{
    int n = 0;

    for (size_t i = 0; i < len; i++)
        if (data[i] == '\n')
            n++;
    if (len > 0 && data[len - 1] != '\n')
        n++;
    return n;
}

/* byte_at - the file byte at (line, col) of entry e, or -1 */
static int
byte_at(const struct conf_file *cf, const struct conf_entry *e, int line,
        int col)
{
    for (size_t i = 0; i < e->nsegs; i++)
        if (e->segs[i].line == line) {
            if (col < 1 || (size_t) col > e->segs[i].len)
                return -1;
            return (unsigned char) cf->data[e->segs[i].off + (size_t) col - 1];
        }
    return -1;
}

/* check_field_pos - the field's first byte sits at its line and column */
static void
check_field_pos(const struct conf_file *cf, const struct conf_entry *e,
                const struct conf_field *f, const char *what, const char *ctx)
{
    if (f->text[0] == 0)
        return;
    if (byte_at(cf, e, f->line, f->col) != (unsigned char) f->text[0])
        fail_msg("%s: %s \"%s\" at %d:%d does not point at its text", ctx, what,
                 f->text, f->line, f->col);
}

/* check_logical - text, segments and split of one LOGICAL/ORPHAN entry */
static void
check_logical(const struct conf_file *cf, const struct conf_entry *e,
              const char *ctx)
{
    struct buf joined;
    int prev_line = e->first_line - 1;

    if (e->nsegs == 0 || e->segs[0].line != e->first_line)
        fail_msg("%s: entry at line %d: first segment is not its first line",
                 ctx, e->first_line);
    /* Trailing comment and blank lines belong to the next entries. */
    if (e->value_line != e->last_line ||
        e->segs[e->nsegs - 1].line != e->last_line)
        fail_msg("%s: entry %d-%d ends with a non-text line (value_line %d)",
                 ctx, e->first_line, e->last_line, e->value_line);
    buf_init(&joined, 0);
    for (size_t i = 0; i < e->nsegs; i++) {
        const struct conf_seg *sg = &e->segs[i];

        if (sg->line <= prev_line || sg->off < e->off ||
            sg->off + sg->len > e->off + e->len ||
            memchr(cf->data + sg->off, '\n', sg->len) != NULL)
            fail_msg("%s: entry at line %d: bad segment %zu", ctx,
                     e->first_line, i);
        if (strlen(buf_str(&joined)) == joined.len && sg->loff != joined.len)
            fail_msg("%s: entry at line %d: segment %zu loff %zu, want %zu",
                     ctx, e->first_line, i, sg->loff, joined.len);
        prev_line = sg->line;
        (void) buf_append(&joined, cf->data + sg->off, sg->len);
    }
    /* The text is the joined lines, cut at the first NUL. */
    if (strcmp(e->text, buf_str(&joined)) != 0)
        fail_msg("%s: entry at line %d: text \"%s\" is not its lines", ctx,
                 e->first_line, e->text);
    buf_fini(&joined);
    if (e->kind == CONF_ENT_ORPHAN)
        return;

    if (cf->kind == CONF_MAIN) {
        char *copy = mem_strdup(e->text);
        char *name = NULL, *value = NULL;
        const char *err = conf_split_nameval(copy, &name, &value);

        if ((err == NULL) != (e->error == NULL) ||
            (err && strcmp(err, e->error) != 0))
            fail_msg("%s: line %d: error \"%s\", split_nameval says \"%s\"",
                     ctx, e->first_line, e->error ? e->error : "(none)",
                     err ? err : "(none)");
        if (err == NULL) {
            if (strcmp(name, e->name.text) != 0 ||
                strcmp(value, e->value.text) != 0)
                fail_msg("%s: line %d: name/value differ from split_nameval",
                         ctx, e->first_line);
            check_field_pos(cf, e, &e->name, "name", ctx);
            check_field_pos(cf, e, &e->value, "value", ctx);
        }
        mem_free(copy);
    } else {
        char *copy = mem_strdup(e->text);
        char *cp = copy, *tok;
        size_t n = 0;

        while ((tok = conf_tok_next(&cp, CONF_BLANKS)) != NULL) {
            if (n >= e->nfields || strcmp(tok, e->fields[n].text) != 0)
                fail_msg("%s: line %d: field %zu differs from mystrtokq", ctx,
                         e->first_line, n);
            check_field_pos(cf, e, &e->fields[n], "field", ctx);
            n++;
        }
        if (n != e->nfields)
            fail_msg("%s: line %d: %zu fields, mystrtokq finds %zu", ctx,
                     e->first_line, e->nfields, n);
        mem_free(copy);
    }
}

/*
 * check_model - round trip, coverage and per-entry invariants of the
 * model of data, and agreement with ref_readllines(). ctx names the
 * input in failure messages.
 */
static void
check_model(const char *data, size_t len, enum conf_kind kind, const char *ctx)
{
    struct conf_file *cf = conf_file_parse("test.cf", kind, data, len);
    struct buf out, esc;
    size_t off = 0, nref, r = 0;
    int line = 1;
    struct ref_line *ref;

    buf_init(&out, 0);
    buf_init(&esc, 0);
    if (conf_file_serialize(cf, &out) != 0)
        fail_msg("%s: serialize failed", ctx);
    if (out.len != len || (len && memcmp(out.data, data, len) != 0))
        fail_msg("%s: round trip differs: \"%s\"", ctx,
                 escape(&esc, out.data ? out.data : "", out.len));

    /* Entries cover the file, in order, line after line. */
    for (size_t i = 0; i < cf->n; i++) {
        const struct conf_entry *e = &cf->ents[i];

        if (e->off != off || e->len == 0)
            fail_msg("%s: entry %zu at offset %zu, want %zu", ctx, i, e->off,
                     off);
        if (e->first_line != line || e->last_line < e->first_line)
            fail_msg("%s: entry %zu spans lines %d-%d, want start %d", ctx, i,
                     e->first_line, e->last_line, line);
        off += e->len;
        line = e->last_line + 1;
        switch (e->kind) {
        case CONF_ENT_BLANK:
        case CONF_ENT_COMMENT: {
            const char *p = data + e->off, *end = p + e->len;

            if (e->last_line != e->first_line)
                fail_msg("%s: blank/comment entry %zu spans lines", ctx, i);
            if (end > p && end[-1] == '\n')
                end--;
            while (p < end && ref_isspace((unsigned char) *p))
                p++;
            if ((e->kind == CONF_ENT_BLANK) != (p == end) ||
                (e->kind == CONF_ENT_COMMENT && *p != '#'))
                fail_msg("%s: line %d is not a %s line", ctx, e->first_line,
                         e->kind == CONF_ENT_BLANK ? "blank" : "comment");
            break;
        }
        case CONF_ENT_LOGICAL:
        case CONF_ENT_ORPHAN:
            check_logical(cf, e, ctx);
            break;
        }
    }
    if (off != len || line - 1 != count_lines(data, len))
        fail_msg("%s: entries end at offset %zu line %d, file has %zu bytes "
                 "%d lines",
                 ctx, off, line - 1, len, count_lines(data, len));

    /* Same logical lines, orphans and first lines as readllines(). */
    ref = ref_parse(data, len, &nref);
    for (size_t i = 0; i < cf->n; i++) {
        const struct conf_entry *e = &cf->ents[i];

        if (e->kind != CONF_ENT_LOGICAL && e->kind != CONF_ENT_ORPHAN)
            continue;
        if (r >= nref)
            fail_msg("%s: entry at line %d: readllines has no more lines", ctx,
                     e->first_line);
        if (strcmp(ref[r].text, e->text) != 0 ||
            ref[r].first_line != e->first_line ||
            ref[r].orphan != (e->kind == CONF_ENT_ORPHAN))
            fail_msg("%s: entry %s at line %d \"%s\", readllines: %s at %d "
                     "\"%s\"",
                     ctx, e->kind == CONF_ENT_ORPHAN ? "orphan" : "logical",
                     e->first_line, e->text,
                     ref[r].orphan ? "orphan" : "logical", ref[r].first_line,
                     ref[r].text);
        r++;
    }
    if (r != nref)
        fail_msg("%s: readllines returns %zu lines, the model has %zu", ctx,
                 nref, r);
    ref_free(ref, nref);
    buf_fini(&esc);
    buf_fini(&out);
    conf_file_free(cf);
}

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

static void
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
static void
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
static void
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

static void
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
static void
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

static void
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

/*
 * main.cf name and value with positions.
 */
struct nv_case {
    const char *in;
    size_t len;
    const char *error; /* NULL when it splits */
    const char *name;
    int nline, ncol;
    const char *value;
    int vline, vcol;
};

static const struct nv_case nv_cases[] = {
    {S("a = 1"), NULL, "a", 1, 1, "1", 1, 5},
    {S("a=1"), NULL, "a", 1, 1, "1", 1, 3},
    {S("a\t=\tb"), NULL, "a", 1, 1, "b", 1, 5},
    {S("long_name = some value  \t"), NULL, "long_name", 1, 1, "some value", 1,
     13},
    /* An empty value sits where the text ends. */
    {S("a ="), NULL, "a", 1, 1, "", 1, 4},
    {S("a =   "), NULL, "a", 1, 1, "", 1, 7},
    {S("a==b"), NULL, "a", 1, 1, "=b", 1, 3},
    {S("a = b = c"), NULL, "a", 1, 1, "b = c", 1, 5},
    {S("a = $b ${c?{x}}"), NULL, "a", 1, 1, "$b ${c?{x}}", 1, 5},
    {S("{a} = b"), NULL, "{a}", 1, 1, "b", 1, 7},
    {S("a = x\n  y"), NULL, "a", 1, 1, "x  y", 1, 5},
    {S("a =\n  1"), NULL, "a", 1, 1, "1", 2, 3},
    {S("a =\n# c\n\n\t1\n  2"), NULL, "a", 1, 1, "1  2", 4, 2},
    /* The '=' may come on a continuation line: postconf -n says a = 1. */
    {S("a\n  = 1\n"), NULL, "a", 1, 1, "1", 2, 5},
    {S("a\n\n  =\n\t\t1\n"), NULL, "a", 1, 1, "1", 4, 3},
    {S("a = 1\r\n"), NULL, "a", 1, 1, "1", 1, 5},
    {S("a = 1\r\n  2\r\n"), NULL, "a", 1, 1, "1\r  2", 1, 5},
    {S("a = x\0 y"), NULL, "a", 1, 1, "x", 1, 5},
    {S("a = \xc3\xa9t\xff"), NULL, "a", 1, 1, "\xc3\xa9t\xff", 1, 5},
    /* split_nameval() errors, with postconf's texts. */
    {S("= 1"), "missing attribute name", NULL, 0, 0, NULL, 0, 0},
    {S("=\n"), "missing attribute name", NULL, 0, 0, NULL, 0, 0},
    {S("\0x"), "missing attribute name", NULL, 0, 0, NULL, 0, 0},
    {S("a"), "missing '=' after attribute name", NULL, 0, 0, NULL, 0, 0},
    {S("a b = 1"), "missing '=' after attribute name", NULL, 0, 0, NULL, 0, 0},
    {S("a\n  b = 1"), "missing '=' after attribute name", NULL, 0, 0, NULL, 0,
     0},
    {S("a\0= 1"), "missing '=' after attribute name", NULL, 0, 0, NULL, 0, 0},
};

static void
test_name_value(void **state)
{
    struct buf esc;

    (void) state;
    buf_init(&esc, 0);
    for (size_t i = 0; i < NELEM(nv_cases); i++) {
        const struct nv_case *tc = &nv_cases[i];
        struct conf_file *cf = conf_file_parse("t", CONF_MAIN, tc->in, tc->len);
        const struct conf_entry *e = NULL;
        const char *ctx = escape(&esc, tc->in, tc->len);

        for (size_t j = 0; j < cf->n && e == NULL; j++)
            if (cf->ents[j].kind == CONF_ENT_LOGICAL)
                e = &cf->ents[j];
        if (e == NULL)
            fail_msg("\"%s\": no logical entry", ctx);
        if (tc->error) {
            if (e->error == NULL || strcmp(e->error, tc->error) != 0)
                fail_msg("\"%s\": error \"%s\", want \"%s\"", ctx,
                         e->error ? e->error : "(none)", tc->error);
            assert_null(e->name.text);
            assert_null(e->value.text);
        } else {
            if (e->error)
                fail_msg("\"%s\": unexpected error \"%s\"", ctx, e->error);
            if (strcmp(e->name.text, tc->name) != 0 ||
                e->name.line != tc->nline || e->name.col != tc->ncol)
                fail_msg("\"%s\": name \"%s\" at %d:%d, want \"%s\" at %d:%d",
                         ctx, e->name.text, e->name.line, e->name.col, tc->name,
                         tc->nline, tc->ncol);
            if (strcmp(e->value.text, tc->value) != 0 ||
                e->value.line != tc->vline || e->value.col != tc->vcol)
                fail_msg("\"%s\": value \"%s\" at %d:%d, want \"%s\" at %d:%d",
                         ctx, e->value.text, e->value.line, e->value.col,
                         tc->value, tc->vline, tc->vcol);
        }
        /* master.cf entries have fields, never a name or an error. */
        conf_file_free(cf);
        cf = conf_file_parse("t", CONF_MASTER, tc->in, tc->len);
        for (size_t j = 0; j < cf->n; j++) {
            assert_null(cf->ents[j].error);
            assert_null(cf->ents[j].name.text);
        }
        conf_file_free(cf);
    }
    buf_fini(&esc);
}

/* test_split_nameval - the primitive alone, in place */
static void
test_split_nameval(void **state)
{
    static const struct {
        const char *in, *error, *name, *value;
    } cases[] = {
        {"a = b", NULL, "a", "b"},
        {"  a=b  ", NULL, "a", "b"},
        {"\ta \t= \t", NULL, "a", ""},
        {"a = b c \r\n", NULL, "a", "b c"},
        {"a==", NULL, "a", "="},
        {"a=b=c", NULL, "a", "b=c"},
        {"a =\v\fb\v\f", NULL, "a", "b"},
        {"", "missing attribute name", NULL, NULL},
        {" \t ", "missing attribute name", NULL, NULL},
        {"=", "missing attribute name", NULL, NULL},
        {"  = b", "missing attribute name", NULL, NULL},
        {"a", "missing '=' after attribute name", NULL, NULL},
        {"a b", "missing '=' after attribute name", NULL, NULL},
        {"a b=c", "missing '=' after attribute name", NULL, NULL},
        {"a  ", "missing '=' after attribute name", NULL, NULL},
    };

    (void) state;
    for (size_t i = 0; i < NELEM(cases); i++) {
        char *buf = mem_strdup(cases[i].in);
        char *name = NULL, *value = NULL;
        const char *err = conf_split_nameval(buf, &name, &value);

        if (cases[i].error) {
            if (err == NULL || strcmp(err, cases[i].error) != 0)
                fail_msg("\"%s\": error \"%s\", want \"%s\"", cases[i].in,
                         err ? err : "(none)", cases[i].error);
            /* On error nothing is stored and the text is untouched. */
            assert_null(name);
            assert_null(value);
            assert_string_equal(buf, cases[i].in);
        } else {
            if (err != NULL)
                fail_msg("\"%s\": unexpected error \"%s\"", cases[i].in, err);
            assert_string_equal(name, cases[i].name);
            assert_string_equal(value, cases[i].value);
            /* In place: both point into the buffer. */
            assert_true(name >= buf && name < buf + strlen(cases[i].in));
            assert_true(value >= buf && value <= buf + strlen(cases[i].in));
        }
        mem_free(buf);
    }
}

/*
 * master.cf fields with positions.
 */
struct field_case {
    const char *name;
    const char *in;
    size_t len;
    const char *fields; /* joined with '|' */
    const char *pos;    /* "line:col" of each field, space separated */
};

static const struct field_case field_cases[] = {
    {"plain entry", S("smtp inet n - n - - smtpd\n"),
     "smtp|inet|n|-|n|-|-|smtpd", "1:1 1:6 1:11 1:13 1:15 1:17 1:19 1:21"},
    {"continuation", S("smtp inet n - n - - smtpd\n  -o a=b\n"),
     "smtp|inet|n|-|n|-|-|smtpd|-o|a=b",
     "1:1 1:6 1:11 1:13 1:15 1:17 1:19 1:21 2:3 2:6"},
    {"continuation after comment and blank",
     S("x unix - - n - - cmd\n# c\n\n\t-o\n  y=z\n"),
     "x|unix|-|-|n|-|-|cmd|-o|y=z",
     "1:1 1:3 1:8 1:10 1:12 1:14 1:16 1:18 4:2 5:3"},
    {"brace group", S("x unix - - n - - cmd -o { a = b }\n"),
     "x|unix|-|-|n|-|-|cmd|-o|{ a = b }",
     "1:1 1:3 1:8 1:10 1:12 1:14 1:16 1:18 1:22 1:25"},
    {"brace group across lines", S("x unix - - n - - cmd\n  -o {a =\n  b}\n"),
     "x|unix|-|-|n|-|-|cmd|-o|{a =  b}",
     "1:1 1:3 1:8 1:10 1:12 1:14 1:16 1:18 2:3 2:6"},
    {"brace group around a comment line",
     S("x unix - - n - - cmd {a\n# c\n  b} c\n"),
     "x|unix|-|-|n|-|-|cmd|{a  b}|c",
     "1:1 1:3 1:8 1:10 1:12 1:14 1:16 1:18 1:22 3:6"},
    {"nested braces", S("x unix - - n - - cmd {a {b} c} d"),
     "x|unix|-|-|n|-|-|cmd|{a {b} c}|d",
     "1:1 1:3 1:8 1:10 1:12 1:14 1:16 1:18 1:22 1:32"},
    /* Unbalanced: the group runs to the end; postconf warns "missing '}'
     * in "{a b"" and prints a b. */
    {"unbalanced brace", S("x unix - - n - - cmd {a b\n  c\n"),
     "x|unix|-|-|n|-|-|cmd|{a b  c",
     "1:1 1:3 1:8 1:10 1:12 1:14 1:16 1:18 1:22"},
    /* Text after '}' stays in the field: postconf warns "syntax error
     * after '}' in "{x = y}b"". */
    {"text after closing brace", S("x unix - - n - - cmd {a}b c"),
     "x|unix|-|-|n|-|-|cmd|{a}b|c",
     "1:1 1:3 1:8 1:10 1:12 1:14 1:16 1:18 1:22 1:27"},
    {"closing brace at level 0", S("x unix - - n - - cmd a}b }"),
     "x|unix|-|-|n|-|-|cmd|a}b|}",
     "1:1 1:3 1:8 1:10 1:12 1:14 1:16 1:18 1:22 1:26"},
    {"empty braces", S("x unix - - n - - cmd {} {  }"),
     "x|unix|-|-|n|-|-|cmd|{}|{  }",
     "1:1 1:3 1:8 1:10 1:12 1:14 1:16 1:18 1:22 1:25"},
    {"CRLF separates", S("x unix - - n - - cmd\r\n  -o\ty=z\r\n"),
     "x|unix|-|-|n|-|-|cmd|-o|y=z",
     "1:1 1:3 1:8 1:10 1:12 1:14 1:16 1:18 2:3 2:6"},
    {"tabs and runs of blanks", S("x\t\tunix  \t-"), "x|unix|-",
     "1:1 1:4 1:11"},
    {"NUL ends the fields", S("x unix - -\0 n\n  - - cmd\n"), "x|unix|-|-",
     "1:1 1:3 1:8 1:10"},
    {"few fields", S("x\n"), "x", "1:1"},
};

static void
test_master_fields(void **state)
{
    struct buf got, pos;

    (void) state;
    buf_init(&got, 0);
    buf_init(&pos, 0);
    for (size_t i = 0; i < NELEM(field_cases); i++) {
        const struct field_case *tc = &field_cases[i];
        struct conf_file *cf =
            conf_file_parse("t", CONF_MASTER, tc->in, tc->len);
        const struct conf_entry *e = &cf->ents[0];

        assert_int_equal(e->kind, CONF_ENT_LOGICAL);
        buf_truncate(&got, 0);
        buf_truncate(&pos, 0);
        for (size_t f = 0; f < e->nfields; f++) {
            (void) buf_printf(&got, "%s%s", f ? "|" : "", e->fields[f].text);
            (void) buf_printf(&pos, "%s%d:%d", f ? " " : "", e->fields[f].line,
                              e->fields[f].col);
        }
        if (strcmp(buf_str(&got), tc->fields) != 0)
            fail_msg("%s: fields\nwant: %s\ngot:  %s", tc->name, tc->fields,
                     buf_str(&got));
        if (strcmp(buf_str(&pos), tc->pos) != 0)
            fail_msg("%s: positions\nwant: %s\ngot:  %s", tc->name, tc->pos,
                     buf_str(&pos));
        conf_file_free(cf);
        check_model(tc->in, tc->len, CONF_MASTER, tc->name);
    }
    buf_fini(&got);
    buf_fini(&pos);
}

/* test_entry_pos - conf_entry_pos over many segments (binary search) */
static void
test_entry_pos(void **state)
{
    struct buf in;
    struct conf_file *cf;
    const struct conf_entry *e;

    (void) state;
    buf_init(&in, 0);
    (void) buf_puts(&in, "a =");
    /* 1000 continuation lines "  vNNN", with a comment after each tenth. */
    for (int i = 0; i < 1000; i++) {
        (void) buf_printf(&in, "\n  v%03d", i);
        if (i % 10 == 9)
            (void) buf_puts(&in, "\n# c");
    }
    cf = conf_file_parse("t", CONF_MAIN, in.data, in.len);
    /* The comment after the last value is an entry of its own. */
    assert_int_equal(cf->n, 2);
    assert_int_equal(cf->ents[1].kind, CONF_ENT_COMMENT);
    assert_int_equal(cf->ents[1].first_line, 1101);
    e = &cf->ents[0];
    assert_int_equal(e->nsegs, 1001);
    for (size_t s = 0; s < e->nsegs; s++) {
        int line, col;

        for (size_t k = 0; k < e->segs[s].len; k++) {
            conf_entry_pos(e, e->segs[s].loff + k, &line, &col);
            if (line != e->segs[s].line || col != (int) k + 1)
                fail_msg("loff %zu: %d:%d, want %d:%zu", e->segs[s].loff + k,
                         line, col, e->segs[s].line, k + 1);
        }
    }
    /* Line of the last value: 1 + 1000 values + 99 comments before it. */
    assert_int_equal(e->segs[1000].line, 1100);
    assert_int_equal(e->last_line, 1100);
    conf_file_free(cf);
    buf_fini(&in);
}

/*
 * Text primitives.
 */
static void
test_tok_next(void **state)
{
    static const struct {
        const char *in, *sep, *want;
    } cases[] = {
        {"a b  c", " ", "a|b|c"},
        {"", " ", ""},
        {"   ", " ", ""},
        {"  a  ", " ", "a"},
        {"{a b} c", " ", "{a b}|c"},
        {"{a {b c} d} e", " ", "{a {b c} d}|e"},
        {"{a b", " ", "{a b"},
        {"{a {b} c", " ", "{a {b} c"},
        {"a}b c", " ", "a}b|c"},
        {"{a}b c", " ", "{a}b|c"},
        {"{{}}}x y", " ", "{{}}}x|y"},
        {"}{ a", " ", "}{ a"},
        {"x{a b}y z", " ", "x{a b}y|z"},
        {"a,{b,c},d", ", ", "a|{b,c}|d"},
        {"a, b,,\tc", CONF_SEP_COMMA_SP, "a|b|c"},
        {"a\r\nb", CONF_BLANKS, "a|b"},
        {"a/b/c", "/", "a|b|c"},
    };
    struct buf got;

    (void) state;
    buf_init(&got, 0);
    for (size_t i = 0; i < NELEM(cases); i++) {
        char *copy = mem_strdup(cases[i].in);
        char *cp = copy, *tok;
        int n = 0;

        buf_truncate(&got, 0);
        while ((tok = conf_tok_next(&cp, cases[i].sep)) != NULL)
            (void) buf_printf(&got, "%s%s", n++ ? "|" : "", tok);
        if (strcmp(buf_str(&got), cases[i].want) != 0)
            fail_msg("\"%s\" sep \"%s\": want %s, got %s", cases[i].in,
                     cases[i].sep, cases[i].want, buf_str(&got));
        /* At the end *src rests on the terminating NUL, and stays there. */
        assert_int_equal(*cp, 0);
        assert_null(conf_tok_next(&cp, cases[i].sep));
        mem_free(copy);
    }
    buf_fini(&got);
}

static void
test_tok_next_src(void **state)
{
    char text[] = "ab  {c d}e";
    char *cp = text, *tok;

    (void) state;
    /* The separator after a token is overwritten and skipped; the rest of
     * the text, separators included, is left to the next call. */
    tok = conf_tok_next(&cp, " ");
    assert_ptr_equal(tok, text);
    assert_string_equal(tok, "ab");
    assert_ptr_equal(cp, text + 3);
    tok = conf_tok_next(&cp, " ");
    assert_ptr_equal(tok, text + 4);
    assert_string_equal(tok, "{c d}e");
    assert_ptr_equal(cp, text + strlen("ab  {c d}e"));
}

static void
test_balpar(void **state)
{
    static const struct {
        const char *in;
        size_t want;
    } cases[] = {
        {"{}", 2},    {"{a}", 3}, {"{a}b", 3}, {"{a{b}c}", 7}, {"{a}{b}", 3},
        {"{{}}}", 4}, {"{ }", 3}, {"{a", 0},   {"{{}", 0},     {"a{b}", 0},
        {"", 0},      {"}", 0},   {" {a}", 0}, {"{a\nb}", 5},
    };

    (void) state;
    for (size_t i = 0; i < NELEM(cases); i++)
        if (conf_balpar(cases[i].in) != cases[i].want)
            fail_msg("balpar(\"%s\") = %zu, want %zu", cases[i].in,
                     conf_balpar(cases[i].in), cases[i].want);
}

static void
test_extpar(void **state)
{
    static const struct {
        const char *in;
        int strip;
        const char *want, *error;
    } cases[] = {
        {"{a}", 0, "a", NULL},
        {"{}", 0, "", NULL},
        {"{ a }", 0, " a ", NULL},
        {"{ a }", 1, "a", NULL},
        {"{ \t\r\n}", 1, "", NULL},
        {"{a {b} c}", 1, "a {b} c", NULL},
        {"{ {a} }", 1, "{a}", NULL},
        {"{a}b", 0, "a", "syntax error after '}' in \"{a}b\""},
        {"{x = y}b", 1, "x = y", "syntax error after '}' in \"{x = y}b\""},
        {"{a}{b}", 0, "a", "syntax error after '}' in \"{a}{b}\""},
        {"{a} ", 0, "a", "syntax error after '}' in \"{a} \""},
        {"{a", 0, "a", "missing '}' in \"{a\""},
        {"{ a ", 1, "a", "missing '}' in \"{ a \""},
        {"{{}", 0, "{}", "missing '}' in \"{{}\""},
        {"{", 1, "", "missing '}' in \"{\""},
    };

    (void) state;
    for (size_t i = 0; i < NELEM(cases); i++) {
        char *copy = mem_strdup(cases[i].in);
        char *bp = copy;
        char *err = conf_extpar(&bp, cases[i].strip);

        if (strcmp(bp, cases[i].want) != 0)
            fail_msg("extpar(\"%s\", %d) = \"%s\", want \"%s\"", cases[i].in,
                     cases[i].strip, bp, cases[i].want);
        if ((err == NULL) != (cases[i].error == NULL) ||
            (err && strcmp(err, cases[i].error) != 0))
            fail_msg("extpar(\"%s\", %d): error \"%s\", want \"%s\"",
                     cases[i].in, cases[i].strip, err ? err : "(none)",
                     cases[i].error ? cases[i].error : "(none)");
        /* The result points into the caller's buffer. */
        assert_true(bp > copy && bp <= copy + strlen(cases[i].in));
        mem_free(err);
        mem_free(copy);
    }
}

/*
 * Safe edits: whatever is planted at main.cf.tmp (and main.cf.bak.tmp,
 * FILE.tmp for conf_write_file) is removed, never written through; the
 * victim it points to keeps its bytes. tests/security/edit_*.sh do the
 * same as root with a real unprivileged user.
 */
static char edir[64];

static char *
epath(const char *name)
{
    static char buf[4][256];
    static int i;

    i = (i + 1) % 4;
    snprintf(buf[i], sizeof(buf[i]), "%s/%s", edir, name);
    return buf[i];
}

static void
put(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");

    assert_non_null(fp);
    fputs(text, fp);
    assert_int_equal(fclose(fp), 0);
}

static void
assert_file(const char *path, const char *text)
{
    char *data = NULL;
    size_t len = 0;

    assert_int_equal(util_read_file(path, 1 << 20, &data, &len), 0);
    assert_string_equal(data, text);
    mem_free(data);
}

enum plant { P_SYMLINK, P_HARDLINK, P_FIFO, P_EMPTYDIR };

static void
plant(enum plant k, const char *name)
{
    switch (k) {
    case P_SYMLINK:
        assert_int_equal(symlink(epath("victim"), epath(name)), 0);
        break;
    case P_HARDLINK:
        assert_int_equal(link(epath("victim"), epath(name)), 0);
        break;
    case P_FIFO:
        assert_int_equal(mkfifo(epath(name), 0600), 0);
        break;
    case P_EMPTYDIR:
        assert_int_equal(mkdir(epath(name), 0700), 0);
        break;
    }
}

static void
test_edit_planted(void **state)
{
    struct conf_edit ed;
    struct stat st;
    char *err = NULL;

    (void) state;
    memcpy(edir, "/tmp/conf_test.XXXXXX", sizeof("/tmp/conf_test.XXXXXX"));
    assert_non_null(mkdtemp(edir));
    log_set_quiet(1);
    for (int k = P_SYMLINK; k <= P_EMPTYDIR; k++) {
        put(epath("victim"), "secret\n");
        put(epath("main.cf"), "a = 1\n");
        plant((enum plant) k, "main.cf.tmp");
        plant((enum plant) k, "main.cf.bak.tmp");
        assert_int_equal(conf_edit_begin(&ed, epath("main.cf"), &err), 0);
        assert_int_equal(ed.len, 6);
        assert_int_equal(conf_edit_commit(&ed, "a = 2\n", 6, ".bak", &err), 0);
        assert_file(epath("main.cf"), "a = 2\n");
        assert_file(epath("main.cf.bak"), "a = 1\n");
        assert_file(epath("victim"), "secret\n");
        assert_int_equal(lstat(epath("victim"), &st), 0);
        assert_int_equal(st.st_nlink, 1);
        assert_int_equal(lstat(epath("main.cf.tmp"), &st), -1);
        assert_int_equal(lstat(epath("main.cf.bak.tmp"), &st), -1);
        /* conf_write_file: the same for FILE.tmp */
        plant((enum plant) k, "idx.tmp");
        assert_int_equal(conf_write_file(epath("idx"), "x", 1, 0640, &err), 0);
        assert_file(epath("idx"), "x");
        assert_int_equal(stat(epath("idx"), &st), 0);
        assert_int_equal(st.st_mode & 07777, 0640);
        assert_file(epath("victim"), "secret\n");
        assert_int_equal(unlink(epath("idx")), 0);
        assert_int_equal(unlink(epath("main.cf.bak")), 0);
    }
    /* a directory with something in it: refused, naming it */
    assert_int_equal(mkdir(epath("main.cf.tmp"), 0700), 0);
    put(epath("main.cf.tmp/x"), "");
    assert_int_equal(conf_edit_begin(&ed, epath("main.cf"), &err), -1);
    assert_non_null(strstr(err, "main.cf.tmp"));
    mem_free(err);
    err = NULL;
    assert_file(epath("main.cf"), "a = 2\n");
    assert_int_equal(unlink(epath("main.cf.tmp/x")), 0);
    assert_int_equal(rmdir(epath("main.cf.tmp")), 0);
    /* a stale file of our own (an editor killed mid-write) is reused */
    put(epath("main.cf.tmp"), "half");
    assert_int_equal(chmod(epath("main.cf.tmp"), 0600), 0);
    assert_int_equal(conf_edit_begin(&ed, epath("main.cf"), &err), 0);
    assert_int_equal(conf_edit_commit(&ed, "a = 3\n", 6, NULL, &err), 0);
    assert_file(epath("main.cf"), "a = 3\n");
    log_set_quiet(0);
    assert_int_equal(unlink(epath("main.cf")), 0);
    assert_int_equal(unlink(epath("victim")), 0);
    assert_int_equal(rmdir(edir), 0);
}

/* conf_config_dir: -c, else a non-empty $MAIL_CONFIG, else the default;
 * conf_config_dir_arg takes every "-c DIR" out of argv, the last wins */
static void
test_config_dir(void **state)
{
    char a0[] = "queue", a1[] = "-c", a2[] = "/a", a3[] = "list", a4[] = "-c",
         a5[] = "/b", a6[] = "-c";
    char *argv[] = {a0, a1, a2, a3, a4, a5, a6, NULL};
    int argc = 7;

    (void) state;
    assert_int_equal(unsetenv("MAIL_CONFIG"), 0);
    assert_string_equal(conf_config_dir(NULL), CONF_DEF_CONFIG_DIR);
    assert_string_equal(conf_config_dir(""), CONF_DEF_CONFIG_DIR);
    assert_int_equal(setenv("MAIL_CONFIG", "", 1), 0);
    assert_string_equal(conf_config_dir(NULL), CONF_DEF_CONFIG_DIR);
    assert_int_equal(setenv("MAIL_CONFIG", "/env", 1), 0);
    assert_string_equal(conf_config_dir(NULL), "/env");
    assert_string_equal(conf_config_dir(""), "/env");
    assert_string_equal(conf_config_dir("/given"), "/given");
    assert_int_equal(unsetenv("MAIL_CONFIG"), 0);

    /* from 1: argv[0] is never an option; a trailing "-c" is left */
    assert_string_equal(conf_config_dir_arg(&argc, argv, 1), "/b");
    assert_int_equal(argc, 3);
    assert_string_equal(argv[0], "queue");
    assert_string_equal(argv[1], "list");
    assert_string_equal(argv[2], "-c");
    assert_null(argv[3]);
    assert_null(conf_config_dir_arg(&argc, argv, 1));
    assert_int_equal(argc, 3);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus_round_trip),
        cmocka_unit_test(test_read_matches_parse),
        cmocka_unit_test(test_serialize_replaced_and_limit),
        cmocka_unit_test(test_grouping),
        cmocka_unit_test(test_entry_bytes),
        cmocka_unit_test(test_generated),
        cmocka_unit_test(test_name_value),
        cmocka_unit_test(test_split_nameval),
        cmocka_unit_test(test_master_fields),
        cmocka_unit_test(test_entry_pos),
        cmocka_unit_test(test_tok_next),
        cmocka_unit_test(test_tok_next_src),
        cmocka_unit_test(test_balpar),
        cmocka_unit_test(test_extpar),
        cmocka_unit_test(test_edit_planted),
        cmocka_unit_test(test_config_dir),
    };

    log_set_progname("conf_test");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
