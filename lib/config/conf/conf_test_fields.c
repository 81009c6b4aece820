/*
 * conf_test_fields - names, values, master.cf fields and text primitives.
 *
 * DESCRIPTION
 *	Name/value splitting with positions and errors, master.cf fields with
 *	{...} grouping and positions across continuation lines, and
 *	conf_split_nameval, conf_tok_next, conf_balpar and conf_extpar.
 */
#include "conf/conf_test.h"

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

void
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
void
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

void
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
void
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
void
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

void
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

void
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

void
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
