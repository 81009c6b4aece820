/*
 * milter_edit - the milters' modification actions on the message held
 * in memory: header add/insert/change/delete, body replacement.
 * Envelope edits (sender, recipients) are done in milter.c.
 *
 * Header values from a milter get "name: value" (we never negotiate
 * SMFIP_HDR_LEADSPC, so Postfix adds the space too); CRLF in a folded
 * value becomes LF, as everything in the queue.
 */
#define _DEFAULT_SOURCE 1 /* strncasecmp */
#include <string.h>
#include <strings.h>

#include "milter/milter.h"
#include "milter/milter_int.h"

/* split - the headers of m (one string each, folding kept, no final
 * LF) into h; returns the offset of the body (after the empty line),
 * or content.len when there is none */
static size_t
split(const struct milter_msg *m, struct strv *h)
{
    const char *p = buf_str(&m->content), *end = p + m->content.len;
    const char *start = p;

    while (p < end && *p != '\n') {
        const char *q = p;

        /* one header: this line and its continuation lines */
        for (;;) {
            const char *nl = memchr(q, '\n', (size_t) (end - q));

            q = nl ? nl + 1 : end;
            if (q >= end || (*q != ' ' && *q != '\t'))
                break;
        }
        strv_adopt(h,
                   mem_strndup(p, (size_t) (q - p) - (q[-1] == '\n' ? 1 : 0)));
        p = q;
    }
    if (p < end && *p == '\n')
        p++;
    return (size_t) (p - start);
}

/* join - m's content from h and the body that was at body_off */
static void
join(struct milter_msg *m, const struct strv *h, size_t body_off)
{
    struct buf out;

    buf_init(&out, 0);
    for (size_t i = 0; i < h->n; i++) {
        (void) buf_puts(&out, h->v[i]);
        (void) buf_putc(&out, '\n');
    }
    (void) buf_putc(&out, '\n');
    if (body_off < m->content.len)
        (void) buf_append(&out, buf_str(&m->content) + body_off,
                          m->content.len - body_off);
    buf_fini(&m->content);
    m->content = out;
    m->modified = 1;
}

/* header_text - "name: value", CRLF made LF */
static char *
header_text(const char *name, const char *value)
{
    struct buf b;

    buf_init(&b, 0);
    (void) buf_printf(&b, "%s: ", name);
    for (const char *v = value; *v; v++) {
        if (v[0] == '\r' && v[1] == '\n')
            continue;
        if (v[0] == '\n' && v[1] == 0)
            break; /* no empty line after the header */
        (void) buf_putc(&b, *v);
        /* a line break starts a continuation line, never a new header
         * or the body */
        if (v[0] == '\n' && v[1] != ' ' && v[1] != '\t')
            (void) buf_putc(&b, '\t');
    }
    return buf_steal(&b);
}

/* name_is - header h is named name */
static int
name_is(const char *h, const char *name)
{
    size_t n = strlen(name);

    return strncasecmp(h, name, n) == 0 &&
           (h[n] == ':' || h[n] == ' ' || h[n] == '\t');
}

int
milter_edit_header(struct milter_msg *m, int cmd, uint32_t index,
                   const char *name, const char *value)
{
    struct strv h;
    size_t body_off, at, i, seen = 0;
    char *t;

    strv_init(&h);
    body_off = split(m, &h);
    switch (cmd) {
    case SMFIR_ADDHEADER:
        strv_adopt(&h, header_text(name, value));
        strv_add(&m->added, h.v[h.n - 1]);
        break;
    case SMFIR_INSHEADER:
        /* index 0 is the top of the headers (Postfix) */
        t = header_text(name, value);
        strv_adopt(&h, t);
        at = index < h.n - 1 ? index : h.n - 1;
        memmove(&h.v[at + 1], &h.v[at], (h.n - 1 - at) * sizeof(h.v[0]));
        h.v[at] = t;
        strv_add(&m->added, t);
        break;
    case SMFIR_CHGHEADER:
        /* the index-th header of that name (1-based; 0 as 1) */
        for (i = 0; i < h.n; i++) {
            if (!name_is(h.v[i], name) || ++seen < (index ? index : 1))
                continue;
            mem_free(h.v[i]);
            if (value[0]) {
                h.v[i] = header_text(name, value);
                strv_add(&m->added, h.v[i]);
            } else {
                memmove(&h.v[i], &h.v[i + 1], (h.n - i) * sizeof(h.v[0]));
                h.n--;
            }
            break;
        }
        /* no such header: a change adds it, as Postfix does */
        if (i == h.n && value[0]) {
            strv_adopt(&h, header_text(name, value));
            strv_add(&m->added, h.v[h.n - 1]);
        }
        break;
    default:
        strv_fini(&h);
        return -1;
    }
    join(m, &h, body_off);
    strv_fini(&h);
    return 0;
}

int
milter_edit_body(struct milter_msg *m, struct buf *body, int first,
                 const char *p, size_t n)
{
    (void) m;
    if (first)
        buf_truncate(body, 0);
    return buf_append(body, p, n);
}

void
milter_edit_finish_body(struct milter_msg *m, struct buf *body)
{
    struct strv h;
    size_t body_off;
    struct buf out;
    const char *b = buf_str(body);

    strv_init(&h);
    body_off = split(m, &h);
    buf_init(&out, 0);
    for (size_t i = 0; i < h.n; i++) {
        (void) buf_puts(&out, h.v[i]);
        (void) buf_putc(&out, '\n');
    }
    (void) buf_putc(&out, '\n');
    (void) body_off;
    for (size_t i = 0; i < body->len; i++)
        if (!(b[i] == '\r' && i + 1 < body->len && b[i + 1] == '\n'))
            (void) buf_putc(&out, b[i]);
    if (out.len && buf_str(&out)[out.len - 1] != '\n')
        (void) buf_putc(&out, '\n');
    buf_fini(&m->content);
    m->content = out;
    m->modified = 1;
    strv_fini(&h);
}
