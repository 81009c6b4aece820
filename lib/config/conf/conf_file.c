/*
 * conf_file - split main.cf/master.cf text into lossless entries.
 *
 * DESCRIPTION
 *	One pass over the physical lines, mirroring Postfix readllines():
 *	a line that starts with non-blank, non-'#' text opens a logical
 *	line; a line that starts with whitespace and has text continues it;
 *	comment and whitespace-only lines are skipped. Skipped lines that
 *	are followed by a continuation line are absorbed into the logical
 *	entry; the others become BLANK or COMMENT entries. Entries cover
 *	the file contiguously, so serialization is exact.
 *
 *	conf_file_scan() hands entries one at a time to a callback, so a
 *	reader that keeps only what it needs (postconf keeps name=value)
 *	uses the file plus one entry; conf_file_parse() collects them all.
 *	No line length limit applies beyond CONF_MAX_FILE for the whole
 *	file.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"

/* struct pline - one physical line */
struct pline {
    size_t off;   /* start of the line */
    size_t len;   /* text bytes, without '\n' */
    size_t total; /* bytes including '\n' when present */
    int kind;     /* PL_BLANK, PL_COMMENT, PL_START, PL_CONT */
    int no;       /* 1-based line number */
};

#define PL_BLANK   0
#define PL_COMMENT 1
#define PL_START   2
#define PL_CONT    3

static int
classify(const char *s, size_t len)
{
    size_t i = 0;

    while (i < len && isspace((unsigned char) s[i]))
        i++;
    if (i == len)
        return PL_BLANK;
    if (s[i] == '#')
        return PL_COMMENT;
    return i == 0 ? PL_START : PL_CONT;
}

size_t
conf_entry_text_len(const struct conf_entry *e)
{
    size_t n = 0;

    for (size_t i = 0; i < e->nsegs; i++)
        n += e->segs[i].len;
    return n;
}

void
conf_entry_pos(const struct conf_entry *e, size_t loff, int *line, int *col)
{
    size_t lo = 0, hi = e->nsegs, i;

    /* Binary search: the last segment that starts at or before loff. */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;

        if (e->segs[mid].loff <= loff)
            lo = mid;
        else
            hi = mid;
    }
    i = lo;
    if (e->nsegs == 0) {
        *line = e->first_line;
        *col = 1;
        return;
    }
    *line = e->segs[i].line;
    *col = (int) (loff - e->segs[i].loff) + 1;
}

/* field_at - a field copied from the logical text, with its position */
static void
set_field(const struct conf_entry *e, struct conf_field *f, const char *start,
          const char *text)
{
    f->text = mem_strdup(text);
    conf_entry_pos(e, (size_t) (start - e->text), &f->line, &f->col);
}

/* parse_main - split a main.cf logical line into name and value */
static void
parse_main(struct conf_entry *e)
{
    char *copy = mem_strdup(e->text);
    char *name, *value;

    if ((e->error = conf_split_nameval(copy, &name, &value)) == NULL) {
        set_field(e, &e->name, e->text + (name - copy), name);
        set_field(e, &e->value, e->text + (value - copy), value);
    }
    mem_free(copy);
}

/* parse_master - split a master.cf logical line into fields */
static void
parse_master(struct conf_entry *e)
{
    char *copy = mem_strdup(e->text);
    char *cp = copy, *tok;
    size_t cap = 0;

    while ((tok = conf_tok_next(&cp, CONF_BLANKS)) != NULL) {
        if (e->nfields == cap) {
            cap = cap ? cap * 2 : 16;
            e->fields = mem_realloc(e->fields, cap * sizeof(*e->fields));
        }
        set_field(e, &e->fields[e->nfields++], e->text + (tok - copy), tok);
    }
    mem_free(copy);
}

/* struct scan - state of one streaming pass */
struct scan {
    enum conf_kind kind;
    const char *data;
    conf_entry_fn *fn;
    void *ctx;
    int stop;
    int have_cur, orphan;
    struct pline first, last; /* of the open logical entry */
    struct conf_seg *segs;    /* its text lines */
    size_t nsegs, segcap;
    struct pline *pend; /* skipped lines after its last text line */
    size_t npend, pendcap;
};

static void
entry_fini(struct conf_entry *e)
{
    mem_free(e->replaced);
    mem_free(e->text);
    mem_free(e->segs);
    mem_free(e->name.text);
    mem_free(e->value.text);
    for (size_t j = 0; j < e->nfields; j++)
        mem_free(e->fields[j].text);
    mem_free(e->fields);
}

/* deliver - hand an entry to the callback; free it unless it was kept */
static void
deliver(struct scan *sc, struct conf_entry *e)
{
    int rc = sc->stop ? 0 : sc->fn(e, sc->ctx);

    if (rc < 0)
        sc->stop = 1;
    if (rc <= 0)
        entry_fini(e);
}

static void
emit_plain(struct scan *sc, const struct pline *l)
{
    struct conf_entry e;

    memset(&e, 0, sizeof(e));
    e.kind = l->kind == PL_BLANK ? CONF_ENT_BLANK : CONF_ENT_COMMENT;
    e.off = l->off;
    e.len = l->total;
    e.first_line = e.last_line = e.value_line = l->no;
    deliver(sc, &e);
}

static void
emit_logical(struct scan *sc)
{
    struct conf_entry e;
    struct buf text;
    int cut = 0;

    memset(&e, 0, sizeof(e));
    e.kind = sc->orphan ? CONF_ENT_ORPHAN : CONF_ENT_LOGICAL;
    e.off = sc->first.off;
    e.len = sc->last.off + sc->last.total - sc->first.off;
    e.first_line = sc->first.no;
    e.last_line = e.value_line = sc->last.no;
    e.nsegs = sc->nsegs;
    e.segs = mem_calloc(sc->nsegs, sizeof(*e.segs));
    buf_init(&text, 0);
    for (size_t i = 0; i < sc->nsegs; i++) {
        struct conf_seg *s = &e.segs[i];
        const char *p = sc->data + sc->segs[i].off;
        size_t n;

        *s = sc->segs[i];
        s->loff = text.len;
        if (cut)
            continue;
        /* Postfix handles C strings: text ends at the first NUL. */
        n = strnlen(p, s->len);
        if (n < s->len)
            cut = 1;
        (void) buf_append(&text, p, n);
    }
    e.text = buf_steal(&text);
    if (!sc->orphan) {
        if (sc->kind == CONF_MAIN)
            parse_main(&e);
        else
            parse_master(&e);
    }
    deliver(sc, &e);
}

static void
add_seg(struct scan *sc, const struct pline *l)
{
    if (sc->nsegs == sc->segcap) {
        sc->segcap = sc->segcap ? sc->segcap * 2 : 8;
        sc->segs = mem_realloc(sc->segs, sc->segcap * sizeof(*sc->segs));
    }
    sc->segs[sc->nsegs].off = l->off;
    sc->segs[sc->nsegs].len = l->len;
    sc->segs[sc->nsegs].loff = 0;
    sc->segs[sc->nsegs].line = l->no;
    sc->nsegs++;
    sc->last = *l;
}

/* close_cur - emit the open logical entry and the skipped lines after it */
static void
close_cur(struct scan *sc)
{
    if (!sc->have_cur)
        return;
    emit_logical(sc);
    for (size_t i = 0; i < sc->npend; i++)
        emit_plain(sc, &sc->pend[i]);
    sc->have_cur = 0;
    sc->nsegs = 0;
    sc->npend = 0;
}

int
conf_file_scan_data(enum conf_kind kind, const char *data, size_t len,
                    conf_entry_fn *fn, void *ctx)
{
    struct scan sc;
    size_t off = 0;
    int no = 0;

    memset(&sc, 0, sizeof(sc));
    sc.kind = kind;
    sc.data = data;
    sc.fn = fn;
    sc.ctx = ctx;
    while (off < len && !sc.stop) {
        const char *nl = memchr(data + off, '\n', len - off);
        struct pline l;

        l.off = off;
        l.len = nl ? (size_t) (nl - (data + off)) : len - off;
        l.total = l.len + (nl ? 1 : 0);
        l.kind = classify(data + off, l.len);
        l.no = ++no;
        off += l.total;
        if (l.kind == PL_BLANK || l.kind == PL_COMMENT) {
            if (!sc.have_cur) {
                emit_plain(&sc, &l);
            } else {
                if (sc.npend == sc.pendcap) {
                    sc.pendcap = sc.pendcap ? sc.pendcap * 2 : 8;
                    sc.pend =
                        mem_realloc(sc.pend, sc.pendcap * sizeof(*sc.pend));
                }
                sc.pend[sc.npend++] = l;
            }
        } else if (l.kind == PL_CONT && sc.have_cur) {
            /* A continuation absorbs the skipped lines before it. */
            sc.npend = 0;
            add_seg(&sc, &l);
        } else {
            close_cur(&sc);
            sc.have_cur = 1;
            sc.orphan = (l.kind == PL_CONT);
            sc.first = l;
            add_seg(&sc, &l);
        }
    }
    if (!sc.stop)
        close_cur(&sc);
    mem_free(sc.segs);
    mem_free(sc.pend);
    return sc.stop ? -1 : 0;
}

int
conf_file_scan(const char *path, enum conf_kind kind, conf_entry_fn *fn,
               void *ctx)
{
    char *data;
    size_t len;
    int rc;

    if (util_read_file(path, CONF_MAX_FILE, &data, &len) < 0)
        return -1;
    rc = conf_file_scan_data(kind, data, len, fn, ctx);
    mem_free(data);
    return rc < 0 ? -2 : 0;
}

/* collect - the conf_file_parse() callback: keep every entry */
static int
collect(const struct conf_entry *e, void *ctx)
{
    struct conf_file *cf = ctx;

    if (cf->n == cf->cap) {
        cf->cap = cf->cap ? cf->cap * 2 : 64;
        cf->ents = mem_realloc(cf->ents, cf->cap * sizeof(*cf->ents));
    }
    cf->ents[cf->n++] = *e;
    return 1;
}

/* parse_adopt - the model of data (len bytes + NUL), which it takes over */
static struct conf_file *
parse_adopt(const char *path, enum conf_kind kind, char *data, size_t len)
{
    struct conf_file *cf = mem_calloc(1, sizeof(*cf));

    cf->path = mem_strdup(path);
    cf->kind = kind;
    cf->data = data;
    cf->len = len;
    (void) conf_file_scan_data(kind, data, len, collect, cf);
    return cf;
}

struct conf_file *
conf_file_parse(const char *path, enum conf_kind kind, const char *data,
                size_t len)
{
    char *copy = mem_alloc(len + 1);

    if (len)
        memcpy(copy, data, len);
    copy[len] = 0;
    return parse_adopt(path, kind, copy, len);
}

struct conf_file *
conf_file_read(const char *path, enum conf_kind kind)
{
    char *data;
    size_t len;

    if (util_read_file(path, CONF_MAX_FILE, &data, &len) < 0)
        return NULL;
    return parse_adopt(path, kind, data, len);
}

void
conf_file_free(struct conf_file *cf)
{
    if (cf == NULL)
        return;
    for (size_t i = 0; i < cf->n; i++)
        entry_fini(&cf->ents[i]);
    mem_free(cf->ents);
    mem_free(cf->data);
    mem_free(cf->path);
    mem_free(cf);
}

int
conf_file_serialize(const struct conf_file *cf, struct buf *out)
{
    for (size_t i = 0; i < cf->n; i++) {
        const struct conf_entry *e = &cf->ents[i];
        int rc = e->replaced ? buf_puts(out, e->replaced)
                             : buf_append(out, cf->data + e->off, e->len);

        if (rc < 0)
            return -1;
    }
    return 0;
}
