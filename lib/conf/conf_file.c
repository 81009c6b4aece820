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
 *	Memory is linear in the file size; no line length limit applies
 *	beyond CONF_MAX_FILE for the whole file.
 */
#include "conf/conf.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static struct conf_file *parse_adopt(const char *path, enum conf_kind kind,
                                     char *data, size_t len);

/* struct pline - one physical line */
struct pline {
    size_t off;   /* start of the line */
    size_t len;   /* text bytes, without '\n' */
    size_t total; /* bytes including '\n' when present */
    int kind;     /* PL_BLANK, PL_COMMENT, PL_START, PL_CONT */
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

static struct conf_entry *
add_entry(struct conf_file *cf, size_t *cap)
{
    struct conf_entry *e;

    if (cf->n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        cf->ents = mem_realloc(cf->ents, *cap * sizeof(*cf->ents));
    }
    e = &cf->ents[cf->n++];
    memset(e, 0, sizeof(*e));
    return e;
}

/* add_plain - one BLANK or COMMENT entry for physical line i */
static void
add_plain(struct conf_file *cf, size_t *cap, const struct pline *pl, int i)
{
    struct conf_entry *e = add_entry(cf, cap);

    e->kind = pl[i].kind == PL_BLANK ? CONF_ENT_BLANK : CONF_ENT_COMMENT;
    e->off = pl[i].off;
    e->len = pl[i].total;
    e->first_line = e->last_line = e->value_line = i + 1;
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

/* add_logical - entry for physical lines [first, last] */
static void
add_logical(struct conf_file *cf, size_t *cap, const struct pline *pl,
            int first, int last, int orphan)
{
    struct conf_entry *e = add_entry(cf, cap);
    struct buf text;
    size_t nsegs = 0;
    int i, cut = 0;

    e->kind = orphan ? CONF_ENT_ORPHAN : CONF_ENT_LOGICAL;
    e->off = pl[first].off;
    e->len = pl[last].off + pl[last].total - pl[first].off;
    e->first_line = first + 1;
    e->last_line = last + 1;
    for (i = first; i <= last; i++)
        if (pl[i].kind == PL_START || pl[i].kind == PL_CONT)
            nsegs++;
    e->segs = mem_calloc(nsegs, sizeof(*e->segs));
    buf_init(&text, 0);
    for (i = first; i <= last; i++) {
        struct conf_seg *s;
        const char *p;
        size_t n;

        if (pl[i].kind != PL_START && pl[i].kind != PL_CONT)
            continue;
        s = &e->segs[e->nsegs++];
        s->off = pl[i].off;
        s->len = pl[i].len;
        s->loff = text.len;
        s->line = i + 1;
        e->value_line = i + 1;
        if (cut)
            continue;
        /* Postfix handles C strings: text ends at the first NUL. */
        p = cf->data + pl[i].off;
        n = strnlen(p, pl[i].len);
        if (n < pl[i].len)
            cut = 1;
        (void) buf_append(&text, p, n);
    }
    e->text = buf_steal(&text);
    if (!orphan) {
        if (cf->kind == CONF_MAIN)
            parse_main(e);
        else
            parse_master(e);
    }
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

/* parse_adopt - the model of data (len bytes + NUL), which it takes over */
static struct conf_file *
parse_adopt(const char *path, enum conf_kind kind, char *data, size_t len)
{
    struct conf_file *cf = mem_calloc(1, sizeof(*cf));
    struct pline *pl = NULL;
    size_t npl = 0, plcap = 0, off = 0, cap = 0;
    int i, cur = -1, orphan = 0, pending = -1;

    cf->path = mem_strdup(path);
    cf->kind = kind;
    cf->data = data;
    cf->len = len;

    /* Physical lines. */
    while (off < len) {
        const char *nl = memchr(cf->data + off, '\n', len - off);
        size_t l = nl ? (size_t) (nl - (cf->data + off)) : len - off;

        if (npl == plcap) {
            plcap = plcap ? plcap * 2 : 256;
            pl = mem_realloc(pl, plcap * sizeof(*pl));
        }
        pl[npl].off = off;
        pl[npl].len = l;
        pl[npl].total = l + (nl ? 1 : 0);
        pl[npl].kind = classify(cf->data + off, l);
        off += pl[npl].total;
        npl++;
    }

    /*
     * Group. "cur" is the first line of the open logical entry, "pending"
     * the first of the skipped lines seen since its last text line.
     */
    for (i = 0; i < (int) npl; i++) {
        int k = pl[i].kind;

        if (k == PL_BLANK || k == PL_COMMENT) {
            if (cur < 0)
                add_plain(cf, &cap, pl, i);
            else if (pending < 0)
                pending = i;
            continue;
        }
        if (k == PL_CONT && cur >= 0) {
            pending = -1;
            continue;
        }
        /* A new logical line (or an orphan continuation) starts here. */
        if (cur >= 0) {
            int last = (pending >= 0 ? pending : i) - 1;

            add_logical(cf, &cap, pl, cur, last, orphan);
            if (pending >= 0)
                for (int j = pending; j < i; j++)
                    add_plain(cf, &cap, pl, j);
        }
        cur = i;
        pending = -1;
        orphan = (k == PL_CONT);
    }
    if (cur >= 0) {
        int last = (pending >= 0 ? pending : (int) npl) - 1;

        add_logical(cf, &cap, pl, cur, last, orphan);
        if (pending >= 0)
            for (int j = pending; j < (int) npl; j++)
                add_plain(cf, &cap, pl, j);
    }
    mem_free(pl);
    return cf;
}

struct conf_file *
conf_file_read(const char *path, enum conf_kind kind)
{
    char *data;
    size_t len;
    struct conf_file *cf;

    if (util_read_file(path, CONF_MAX_FILE, &data, &len) < 0)
        return NULL;
    cf = parse_adopt(path, kind, data, len);
    return cf;
}

static void
field_fini(struct conf_field *f)
{
    mem_free(f->text);
}

void
conf_file_free(struct conf_file *cf)
{
    if (cf == NULL)
        return;
    for (size_t i = 0; i < cf->n; i++) {
        struct conf_entry *e = &cf->ents[i];

        mem_free(e->replaced);
        mem_free(e->text);
        mem_free(e->segs);
        field_fini(&e->name);
        field_fini(&e->value);
        for (size_t j = 0; j < e->nfields; j++)
            field_fini(&e->fields[j]);
        mem_free(e->fields);
    }
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
