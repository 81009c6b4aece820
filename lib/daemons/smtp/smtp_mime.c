/*
 * smtp_mime - 8-bit to 7-bit conversion for servers without 8BITMIME.
 *
 * DESCRIPTION
 *	See smtp_int.h. The state machine follows Postfix's mime_state
 *	with MIME_OPT_DOWNGRADE: headers are read per block (primary,
 *	multipart part, message/rfc822 nested); a part whose
 *	Content-Transfer-Encoding is 8bit or binary loses that header,
 *	and at the end of its header block gets
 *	"Content-Transfer-Encoding: quoted-printable" (leaf parts, whose
 *	body is then encoded) or "Content-Transfer-Encoding: 7bit"
 *	(multipart and message parts, whose own parts are converted in
 *	turn). Parts declared 7bit, quoted-printable or base64 pass
 *	unchanged, as do headers (Postfix does not encode headers either).
 *	Boundaries are recognised per nesting level up to MIME_DEPTH.
 *
 * BUGS
 *	As in Postfix, 8-bit text in a part declared 7bit (or without any
 *	MIME headers) is sent as is; a server that needs 7-bit then sees
 *	8-bit bytes.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "smtp/smtp_int.h"

#define MIME_DEPTH     20   /* Postfix mime_nesting_limit */
#define MIME_BOUND_MAX 2048 /* Postfix mime_boundary_length_limit */
#define QP_BREAK       72   /* soft line break past this many columns */

enum mstate { M_PRIMARY, M_MULTIPART, M_NESTED, M_BODY };
enum ctype { CT_TEXT, CT_MESSAGE, CT_MULTIPART, CT_OTHER };
enum stype { SUB_PLAIN, SUB_OTHER, SUB_RFC822, SUB_PARTIAL, SUB_EXTERNAL };

struct bound {
    char *text;
    size_t len;
    enum ctype def_ctype;
    enum stype def_stype;
};

struct mime {
    enum mstate state;
    enum ctype ctype;
    enum stype stype;
    int eight; /* the current part's encoding domain is 8bit */
    struct bound stack[MIME_DEPTH];
    int depth;
    struct buf hdr; /* the header being collected (lines joined) */
    struct buf *out;
};

static void
set_state(struct mime *m, enum mstate st, enum ctype ct, enum stype sub)
{
    m->state = st;
    m->ctype = ct;
    m->stype = sub;
    m->eight = 0;
}

static void
emit(struct mime *m, const char *p, size_t n)
{
    (void) buf_append(m->out, p, n);
    (void) buf_putc(m->out, '\n');
}

/* header_len - length of "name:" when line starts a header, else 0 */
static size_t
header_len(const char *p, size_t n)
{
    size_t i = 0;

    while (i < n && p[i] > 32 && p[i] < 127 && p[i] != ':')
        i++;
    if (i == 0)
        return 0;
    /* obsolete "name space colon" syntax */
    while (i < n && (p[i] == ' ' || p[i] == '\t'))
        i++;
    return i < n && p[i] == ':' ? i + 1 : 0;
}

/* struct tok - one RFC 2045 token or tspecial of a header value */
struct tok {
    int type; /* 'a' token or quoted string, else the tspecial */
    const char *p;
    size_t n;
};

/* next_tok - the next token of *cp (comments and space skipped); 0 at
 * the end */
static int
next_tok(const char **cp, struct tok *t)
{
    const char *p = *cp;

    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
            p++;
        if (*p != '(')
            break;
        for (int level = 0; *p; p++) {
            if (*p == '\\' && p[1])
                p++;
            else if (*p == '(')
                level++;
            else if (*p == ')' && --level == 0) {
                p++;
                break;
            }
        }
    }
    if (*p == 0) {
        *cp = p;
        return 0;
    }
    if (*p == '"') {
        t->type = 'a';
        t->p = ++p;
        while (*p && *p != '"') {
            if (*p == '\\' && p[1])
                p++;
            p++;
        }
        t->n = (size_t) (p - t->p);
        if (*p == '"')
            p++;
    } else if (strchr("()<>@,;:\\/[]?=", *p)) {
        t->type = *p;
        t->p = p++;
        t->n = 1;
    } else {
        t->type = 'a';
        t->p = p;
        while (*p && !strchr("()<>@,;:\\\"/[]?= \t\r\n", *p))
            p++;
        t->n = (size_t) (p - t->p);
    }
    *cp = p;
    return 1;
}

static int
tok_is(const struct tok *t, const char *word)
{
    return t->type == 'a' && t->n == strlen(word) &&
           strncasecmp(t->p, word, t->n) == 0;
}

static void
push_bound(struct mime *m, const struct tok *t, enum ctype dct, enum stype dst)
{
    struct bound *b;
    size_t n = t->n > MIME_BOUND_MAX ? MIME_BOUND_MAX : t->n;

    if (m->depth >= MIME_DEPTH)
        return; /* Postfix stops recognising deeper nesting too */
    b = &m->stack[m->depth++];
    b->text = mem_strndup(t->p, n);
    b->len = strlen(b->text); /* a quoted NUL cannot occur: text is C */
    b->def_ctype = dct;
    b->def_stype = dst;
}

static void
pop_bound(struct mime *m)
{
    mem_free(m->stack[--m->depth].text);
}

/* content_type - the type of the current part, and its boundaries */
static void
content_type(struct mime *m, const char *v)
{
    struct tok t, sl, sub;
    enum ctype dct = CT_TEXT;
    enum stype dst = SUB_PLAIN;
    int have_sub;

    if (!next_tok(&v, &t))
        return;
    have_sub = next_tok(&v, &sl) && sl.type == '/' && next_tok(&v, &sub);
    if (tok_is(&t, "text")) {
        m->ctype = CT_TEXT;
        m->stype = have_sub && tok_is(&sub, "plain") ? SUB_PLAIN : SUB_OTHER;
        return;
    }
    if (tok_is(&t, "message")) {
        m->ctype = CT_MESSAGE;
        m->stype = SUB_OTHER;
        if (have_sub && tok_is(&sub, "rfc822"))
            m->stype = SUB_RFC822;
        else if (have_sub && tok_is(&sub, "partial"))
            m->stype = SUB_PARTIAL;
        else if (have_sub && tok_is(&sub, "external-body"))
            m->stype = SUB_EXTERNAL;
        return;
    }
    if (!tok_is(&t, "multipart")) {
        m->ctype = CT_OTHER;
        return;
    }
    m->ctype = CT_MULTIPART;
    if (have_sub && tok_is(&sub, "digest")) {
        dct = CT_MESSAGE;
        dst = SUB_RFC822;
    }
    /* every "boundary=" parameter, as Postfix does */
    for (;;) {
        struct tok name, eq, val;

        if (!next_tok(&v, &name))
            return;
        if (!tok_is(&name, "boundary"))
            continue;
        if (!next_tok(&v, &eq))
            return;
        if (eq.type != '=')
            continue;
        if (!next_tok(&v, &val))
            return;
        if (val.type == 'a')
            push_bound(m, &val, dct, dst);
    }
}

/* content_encoding - the encoding domain of the current part */
static void
content_encoding(struct mime *m, const char *v)
{
    struct tok t;

    if (!next_tok(&v, &t) || t.type != 'a')
        return;
    if (tok_is(&t, "8bit") || tok_is(&t, "binary"))
        m->eight = 1;
    else if (tok_is(&t, "7bit") || tok_is(&t, "quoted-printable") ||
             tok_is(&t, "base64"))
        m->eight = 0;
}

/* flush_header - act on the collected header, then write it unless it
 * is an 8-bit Content-Transfer-Encoding that is being replaced */
static void
flush_header(struct mime *m)
{
    const char *h = buf_str(&m->hdr);
    size_t hl = header_len(h, m->hdr.len), nl = strcspn(h, " \t:");
    int cte = 0;

    if (nl == 12 && strncasecmp(h, "Content-Type", nl) == 0) {
        content_type(m, h + hl);
    } else if (nl == 25 &&
               strncasecmp(h, "Content-Transfer-Encoding", nl) == 0) {
        content_encoding(m, h + hl);
        cte = 1;
    }
    if (!cte || !m->eight)
        emit(m, m->hdr.data, m->hdr.len);
    buf_truncate(&m->hdr, 0);
}

/* qp_line - one body line as quoted-printable (Postfix's encoder:
 * soft breaks past 72 columns, trailing space or tab encoded) */
static void
qp_line(struct mime *m, const char *p, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    char ob[80];
    size_t len = 0;

    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char) p[i];

        if (len > QP_BREAK) {
            ob[len++] = '=';
            emit(m, ob, len);
            len = 0;
        }
        if ((ch < 32 && ch != '\t') || ch == '=' || ch > 126) {
            ob[len++] = '=';
            ob[len++] = hex[ch >> 4];
            ob[len++] = hex[ch & 15];
        } else {
            ob[len++] = (char) ch;
        }
    }
    if (len > 0 && (ob[len - 1] == ' ' || ob[len - 1] == '\t')) {
        unsigned char ch = (unsigned char) ob[--len];

        ob[len++] = '=';
        ob[len++] = hex[ch >> 4];
        ob[len++] = hex[ch & 15];
    }
    emit(m, ob, len);
}

/* end_headers - the header block ended (blank line, or a line that is
 * no header): add the new encoding label where one was removed */
static void
end_headers(struct mime *m)
{
    if (m->hdr.len)
        flush_header(m);
    if (m->eight) {
        const char *label = m->ctype == CT_MESSAGE || m->ctype == CT_MULTIPART
                                ? "7bit"
                                : "quoted-printable";
        char line[64];
        int n = snprintf(line, sizeof(line), "Content-Transfer-Encoding: %s",
                         label);

        emit(m, line, (size_t) n);
    }
}

static void
body_line(struct mime *m, const char *p, size_t n)
{
    if (m->depth && n > 2 && p[0] == '-' && p[1] == '-') {
        for (int i = m->depth - 1; i >= 0; i--) {
            struct bound *b = &m->stack[i];

            if (n < 2 + b->len || memcmp(p + 2, b->text, b->len) != 0)
                continue;
            while (m->depth - 1 > i)
                pop_bound(m);
            if (n >= 4 + b->len && memcmp(p + 2 + b->len, "--", 2) == 0) {
                pop_bound(m);
                set_state(m, M_BODY, CT_OTHER, SUB_OTHER);
            } else {
                set_state(m, M_MULTIPART, b->def_ctype, b->def_stype);
            }
            break;
        }
    }
    if (m->eight)
        qp_line(m, p, n);
    else
        emit(m, p, n);
}

static void
line(struct mime *m, const char *p, size_t n)
{
    if (m->state != M_BODY) {
        if (m->hdr.len && n && (*p == ' ' || *p == '\t')) {
            (void) buf_putc(&m->hdr, '\n');
            (void) buf_append(&m->hdr, p, n);
            return;
        }
        if (m->hdr.len)
            flush_header(m);
        if (header_len(p, n)) {
            (void) buf_append(&m->hdr, p, n);
            return;
        }
        end_headers(m);
        if (n == 0) {
            if (m->ctype == CT_MESSAGE && m->stype == SUB_RFC822)
                set_state(m, M_NESTED, CT_TEXT, SUB_PLAIN);
            else if (m->ctype == CT_MULTIPART)
                set_state(m, M_BODY, CT_OTHER, SUB_OTHER);
            else
                m->state = M_BODY;
        } else {
            /* no blank line after the primary headers: add one */
            if (m->state == M_PRIMARY)
                emit(m, "", 0);
            m->state = M_BODY;
        }
    }
    body_line(m, p, n);
}

void
smtp_mime_downgrade(const char *in, size_t len, struct buf *out)
{
    struct mime m;
    const char *p = in, *end = in + len;

    memset(&m, 0, sizeof(m));
    set_state(&m, M_PRIMARY, CT_TEXT, SUB_PLAIN);
    buf_init(&m.hdr, 0);
    m.out = out;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t) (end - p));
        size_t n = nl ? (size_t) (nl - p) : (size_t) (end - p);

        if (n && p[n - 1] == '\r')
            n--;
        line(&m, p, n);
        p = nl ? nl + 1 : end;
    }
    if (m.state != M_BODY)
        end_headers(&m);
    while (m.depth)
        pop_bound(&m);
    buf_fini(&m.hdr);
}

int
smtp_mime_8bit(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char) p[i] & 0x80)
            return 1;
    return 0;
}
