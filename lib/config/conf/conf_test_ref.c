/*
 * conf_test_ref - Postfix readllines() as a reference; the model invariants.
 *
 * DESCRIPTION
 *	ref_readllines() is a line-by-line transcription of Postfix 3.7
 *	readllines(); check_model() compares the model of an input with it and
 *	checks the round trip and per-entry invariants.
 */
#include "conf/conf_test.h"

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
const char *
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
void
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
