/*
 * cleanup_mime - the content rules of Postfix's cleanup_message.c and
 *	mime_state.c that are not table driven (issue 19).
 *
 * DESCRIPTION
 *	Before the header and body checks: message_reject_characters
 *	(REJECT "disallowed character", logged as Postfix's cleanup_act
 *	with the context "content"), message_strip_characters (removed
 *	everywhere), header_size_limit (the excess of a longer header,
 *	folded lines included, is discarded, as Postfix does silently).
 *
 *	After them, when no check rejected the message: the MIME errors
 *	Postfix reports on request, each a "550 5.6.0" reply and the log
 *	line "ID: reject: mime-error TEXT: LINE from CLIENT; from=<>
 *	to=<>": strict_7bit_headers (8-bit bytes in any header),
 *	strict_8bitmime_body (8-bit bytes in a body part whose encoding is
 *	7bit, the default), strict_8bitmime (both), strict_mime_encoding_
 *	domain (a message or multipart part with an encoding other than 7bit,
 *	8bit or binary), and "MIME nesting exceeds safety limit" past
 *	mime_nesting_limit multipart levels (reported when any of those or
 *	a header check table is set, as Postfix). Boundaries are compared
 *	up to mime_boundary_length_limit bytes;
 *	disable_mime_input_processing makes everything after the primary
 *	headers one body.
 *
 *	As in Postfix, none of this applies to notifications, local
 *	forwarding or no_header_body_checks.
 */
#define _DEFAULT_SOURCE 1 /* strncasecmp */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cleanup/cleanup_int.h"
#include "maillog/maillog.h"
#include "server/server.h"

#define MAX_STACK     128 /* deeper (under mime_nesting_limit): not followed */
#define ERR_NESTING   1
#define ERR_8BIT_HDR  2
#define ERR_8BIT_BODY 4
#define ERR_DOMAIN    8

/* Postfix's mime_err_detail, most serious first */
static const struct {
    int code;
    const char *text;
} mime_err[] = {
    {ERR_NESTING, "MIME nesting exceeds safety limit"},
    {ERR_8BIT_HDR, "improper use of 8-bit data in message header"},
    {ERR_8BIT_BODY, "improper use of 8-bit data in message body"},
    {ERR_DOMAIN, "invalid message/* or multipart/* encoding domain"},
};

struct cleanup_mime {
    char reject[256], strip[256]; /* byte sets: 1 = in the set */
    int any_reject, any_strip;
    long header_limit, nest_limit, bound_limit;
    int report; /* ERR_* bits to report */
    int disabled;
};

/* charset - the bytes of v, with Postfix's unescape() (\n, \t, \ooo) */
static void
charset(const char *v, char set[256], int *any)
{
    static const char esc[] = "a\ab\bf\fn\nr\rt\tv\v";

    for (const unsigned char *s = (const unsigned char *) v; *s; s++) {
        unsigned c = *s;

        if (c == '\\' && s[1]) {
            const char *e;

            s++;
            if (*s >= '0' && *s <= '7') {
                c = 0;
                for (int k = 0; k < 3 && *s >= '0' && *s <= '7'; k++, s++)
                    c = c * 8 + (unsigned) (*s - '0');
                s--;
            } else if ((e = strchr(esc, *s)) != NULL && ((e - esc) & 1) == 0) {
                c = (unsigned char) e[1];
            } else {
                c = *s;
            }
        }
        set[c & 0xff] = 1;
        *any = 1;
    }
}

struct cleanup_mime *
cleanup_mime_new(struct pcf *p, const char *svc, int have_hdr_checks)
{
    struct cleanup_mime *m = mem_calloc(1, sizeof(*m));
    char *v;
    int s8 = server_conf_bool(p, svc, "strict_8bitmime");
    int s7h = server_conf_bool(p, svc, "strict_7bit_headers");
    int s8b = server_conf_bool(p, svc, "strict_8bitmime_body");
    int senc = server_conf_bool(p, svc, "strict_mime_encoding_domain");

    v = server_conf_str(p, svc, "message_reject_characters");
    charset(v ? v : "", m->reject, &m->any_reject);
    mem_free(v);
    v = server_conf_str(p, svc, "message_strip_characters");
    charset(v ? v : "", m->strip, &m->any_strip);
    mem_free(v);
    m->header_limit = server_conf_int(p, svc, "header_size_limit");
    m->nest_limit = server_conf_int(p, svc, "mime_nesting_limit");
    m->bound_limit = server_conf_int(p, svc, "mime_boundary_length_limit");
    m->disabled = server_conf_bool(p, svc, "disable_mime_input_processing");
    if (!m->disabled) {
        if (s8 || s7h)
            m->report |= ERR_8BIT_HDR;
        if (s8 || s8b)
            m->report |= ERR_8BIT_BODY;
        if (senc)
            m->report |= ERR_DOMAIN;
        if (s8 || s7h || s8b || senc || have_hdr_checks)
            m->report |= ERR_NESTING;
    }
    return m;
}

void
cleanup_mime_free(struct cleanup_mime *m)
{
    mem_free(m);
}

/* line_len - the length of the line at p (its '\n' excluded) */
static size_t
line_len(const char *p, size_t left)
{
    const char *nl = memchr(p, '\n', left);

    return nl ? (size_t) (nl - p) : left;
}

/* shown - a copy of p for the log: control characters as '?', as
 * Postfix's logging shows them */
static char *
shown(const char *p, size_t n)
{
    char *s = mem_strndup(p, n);

    for (char *q = s; *q; q++)
        if ((unsigned char) *q < ' ' || *q == 127)
            *q = '?';
    return s;
}

/* set_reply - the message is refused: "550 " and reason */
static void
set_reply(char **reply, const char *reason)
{
    struct buf r;

    buf_init(&r, 0);
    (void) buf_printf(&r, "550 %s", reason);
    mem_free(*reply);
    *reply = buf_steal(&r);
}

/* truncate_headers - drop what a header has beyond header_size_limit
 * (continuation lines; the first line is kept whole) in the primary
 * header block, in place: bytes move only after a cut (cleanup runs
 * this for every message) */
static void
truncate_headers(const struct cleanup_mime *m, struct buf *c)
{
    size_t pos = 0, o = 0, hdr = 0;

    if (m->header_limit <= 0)
        return;
    while (pos < c->len) {
        size_t n = line_len(c->data + pos, c->len - pos);
        size_t next = pos + n + (pos + n < c->len);

        if (n == 0) /* end of the header block: the rest stays */
            break;
        if (c->data[pos] == ' ' || c->data[pos] == '\t') {
            if (hdr + n + 1 > (size_t) m->header_limit) {
                pos = next; /* cut */
                continue;
            }
            hdr += n + 1;
        } else {
            hdr = n;
        }
        if (o != pos)
            memmove(c->data + o, c->data + pos, next - pos);
        o += next - pos;
        pos = next;
    }
    if (o != pos) {
        memmove(c->data + o, c->data + pos, c->len - pos);
        buf_truncate(c, o + (c->len - pos));
    }
}

int
cleanup_mime_chars(const struct cleanup_mime *m, const struct queue_env *env,
                   struct buf *c, char **reply)
{
    if (m->any_reject) {
        for (size_t i = 0; i < c->len; i++) {
            if (!m->reject[(unsigned char) c->data[i]])
                continue;
            /* the record (line) that has it, as Postfix logs it */
            {
                size_t b = i, e;
                char *line;

                while (b > 0 && c->data[b - 1] != '\n')
                    b--;
                e = b + line_len(c->data + b, c->len - b);
                line = shown(c->data + b, e - b);
                cleanup_act_log(env, "reject", "content", line,
                                "5.7.1 disallowed character");
                mem_free(line);
            }
            set_reply(reply, "5.7.1 disallowed character");
            return 1;
        }
    }
    if (m->any_strip) {
        size_t o = 0;

        for (size_t i = 0; i < c->len; i++)
            if (!m->strip[(unsigned char) c->data[i]])
                c->data[o++] = c->data[i];
        buf_truncate(c, o);
    }
    truncate_headers(m, c);
    return 0;
}

/*
 * The MIME walk: Postfix's mime_state machine, reduced to what it
 * reports.
 */
enum { ENC_7BIT, ENC_8BIT, ENC_BINARY, ENC_QP, ENC_BASE64 };
enum { CT_TEXT, CT_MESSAGE, CT_MULTIPART, CT_OTHER };
enum { ST_OTHER, ST_RFC822, ST_PARTIAL, ST_EXTERN };

struct part {
    int ctype, stype, enc, domain;
};

struct mwalk {
    const struct cleanup_mime *m;
    int errs;
    /* the boundary stack: copies cut at mime_boundary_length_limit */
    char *bound[MAX_STACK];
    size_t blen[MAX_STACK];
    int def_ctype[MAX_STACK];
    int depth;
    const struct queue_env *env;
};

static void
report(struct mwalk *w, int code, const char *text, size_t len)
{
    const struct queue_env *e = w->env;
    const char *to = "unknown";
    const char *name = "";
    char origin[600];

    if (!(w->m->report & code) || (w->errs & code))
        return;
    w->errs |= code;
    for (size_t i = 0; i < sizeof(mime_err) / sizeof(mime_err[0]); i++)
        if (mime_err[i].code == code)
            name = mime_err[i].text;
    if (e->nrcpt)
        to = e->rcpt[0].orig && *e->rcpt[0].orig ? e->rcpt[0].orig
                                                 : e->rcpt[0].addr;
    if (e->flags & QUEUE_F_LOCAL)
        snprintf(origin, sizeof(origin), "local");
    else
        snprintf(origin, sizeof(origin), "%s[%s]",
                 e->client_name && *e->client_name ? e->client_name : "unknown",
                 e->client_addr ? e->client_addr : "");
    {
        char *t = shown(text, len < 100 ? len : 100);

        log_info("%s: reject: mime-error %s: %s from %s; from=<%s> to=<%s>",
                 e->id, name, t, origin, e->sender ? e->sender : "", to);
        mem_free(t);
    }
}

/* token - the first token of a header value into t (lowercase), and the
 * rest after it; 0 when there is none */
static const char *
token(const char *s, char *t, size_t tn)
{
    size_t k = 0;

    while (*s == ' ' || *s == '\t' || *s == '\n')
        s++;
    while (*s && !strchr(" \t\n;/=\"()<>@,:\\[]?", *s)) {
        if (k + 1 < tn)
            t[k++] = (char) tolower((unsigned char) *s);
        s++;
    }
    t[k] = 0;
    return s;
}

/* boundary_param - the value of the boundary parameter in the
 * parameters s (";name=value..."), or NULL */
static const char *
boundary_param(const char *s)
{
    while ((s = strchr(s, ';')) != NULL) {
        char name[64];

        s = token(s + 1, name, sizeof(name));
        while (*s == ' ' || *s == '\t' || *s == '\n')
            s++;
        if (*s == '=' && strcmp(name, "boundary") == 0) {
            s++;
            while (*s == ' ' || *s == '\t')
                s++;
            return s;
        }
    }
    return NULL;
}

/* content_type - Content-Type value v: the part's type, and a multipart
 * boundary pushed */
static void
content_type(struct mwalk *w, struct part *pt, const char *v, const char *hdr,
             size_t hlen)
{
    char t[64], st[64];
    const char *s = token(v, t, sizeof(t));

    st[0] = 0;
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s == '/')
        s = token(s + 1, st, sizeof(st));
    if (strcmp(t, "text") == 0) {
        pt->ctype = CT_TEXT;
    } else if (strcmp(t, "message") == 0) {
        pt->ctype = CT_MESSAGE;
        pt->stype = strcmp(st, "rfc822") == 0          ? ST_RFC822
                    : strcmp(st, "partial") == 0       ? ST_PARTIAL
                    : strcmp(st, "external-body") == 0 ? ST_EXTERN
                                                       : ST_OTHER;
    } else if (strcmp(t, "multipart") == 0) {
        const char *b = boundary_param(s);

        pt->ctype = CT_MULTIPART;
        if (b == NULL)
            return;
        /* Postfix 3.7 accepts limit + 2 levels and reports the next
         * (measured: limit 1 takes 3 levels, limit 3 takes 5) */
        if (w->depth > w->m->nest_limit + 1) {
            report(w, ERR_NESTING, hdr, hlen);
            return;
        }
        if (w->depth >= MAX_STACK)
            return;
        {
            int q = *b == '"';
            size_t n = 0;

            b += q;
            while (b[n] && (q ? b[n] != '"' : !strchr(" \t\n;", b[n])))
                n++;
            if (w->m->bound_limit > 0 && n > (size_t) w->m->bound_limit)
                n = (size_t) w->m->bound_limit;
            w->bound[w->depth] = mem_strndup(b, n);
            w->blen[w->depth] = n;
            w->def_ctype[w->depth] =
                strcmp(st, "digest") == 0 ? CT_MESSAGE : CT_TEXT;
            w->depth++;
        }
    } else {
        pt->ctype = CT_OTHER;
    }
}

static void
content_encoding(struct part *pt, const char *v)
{
    static const struct {
        const char *name;
        int enc, domain;
    } map[] = {
        {"7bit", ENC_7BIT, ENC_7BIT},
        {"8bit", ENC_8BIT, ENC_8BIT},
        {"binary", ENC_BINARY, ENC_BINARY},
        {"base64", ENC_BASE64, ENC_7BIT},
        {"quoted-printable", ENC_QP, ENC_7BIT},
    };
    char t[64];

    (void) token(v, t, sizeof(t));
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(t, map[i].name) == 0) {
            pt->enc = map[i].enc;
            pt->domain = map[i].domain;
        }
}

/* header_block - the headers at pos: the part's type; pos past the
 * blank line (or the first non-header line) */
static void
header_block(struct mwalk *w, const char *p, size_t len, size_t *pos,
             struct part *pt)
{
    while (*pos < len) {
        size_t s = *pos, e = s;

        /* one logical header: its first line and continuation lines */
        e += line_len(p + e, len - e);
        if (e == s) {
            *pos = e + (e < len);
            return; /* the blank line */
        }
        {
            size_t k = 0;

            while (s + k < e && p[s + k] > ' ' && p[s + k] < 127 &&
                   p[s + k] != ':')
                k++;
            if (k == 0 || s + k >= e || p[s + k] != ':')
                return; /* not a header: the body starts here */
        }
        while (e < len && e + 1 < len && (p[e + 1] == ' ' || p[e + 1] == '\t'))
            e += 1 + line_len(p + e + 1, len - e - 1);
        {
            char *h = mem_strndup(p + s, e - s);

            if (!w->m->disabled) {
                if (strncasecmp(h, "content-type:", 13) == 0)
                    content_type(w, pt, h + 13, h, e - s);
                else if (strncasecmp(h, "content-transfer-encoding:", 26) == 0)
                    content_encoding(pt, h + 26);
            }
            for (size_t i = 0; i < e - s; i++)
                if ((unsigned char) h[i] & 0x80) {
                    report(w, ERR_8BIT_HDR, h, e - s);
                    break;
                }
            mem_free(h);
        }
        *pos = e + (e < len);
    }
}

/* domain_check - after a header block: a message or multipart part
 * must have an identity encoding */
static void
domain_check(struct mwalk *w, const struct part *pt)
{
    static const char *const names[] = {"7bit", "8bit", "binary",
                                        "quoted-printable", "base64"};

    if ((pt->ctype == CT_MESSAGE &&
                 (pt->stype == ST_PARTIAL || pt->stype == ST_EXTERN)
             ? pt->domain != ENC_7BIT
             : (pt->ctype == CT_MESSAGE || pt->ctype == CT_MULTIPART) &&
                   pt->enc != pt->domain))
        report(w, ERR_DOMAIN, names[pt->enc], strlen(names[pt->enc]));
}

int
cleanup_mime_check(const struct cleanup_mime *m, const struct queue_env *env,
                   const struct buf *c, char **reply)
{
    struct mwalk w;
    struct part pt = {CT_TEXT, ST_OTHER, ENC_7BIT, ENC_7BIT};
    const char *p = c->data ? c->data : "";
    size_t len = c->len, pos = 0;
    int in_headers = 1;

    if (m->report == 0)
        return 0;
    memset(&w, 0, sizeof(w));
    w.m = m;
    w.env = env;
    while (pos < len || in_headers) {
        if (in_headers) {
            header_block(&w, p, len, &pos, &pt);
            domain_check(&w, &pt);
            in_headers = 0;
            if (pt.ctype == CT_MESSAGE && pt.stype == ST_RFC822) {
                pt = (struct part){CT_TEXT, ST_OTHER, ENC_7BIT, ENC_7BIT};
                in_headers = 1; /* nested message headers */
            } else if (pt.ctype == CT_MULTIPART) {
                pt = (struct part){CT_OTHER, ST_OTHER, ENC_7BIT, ENC_7BIT};
            }
            if (pos >= len)
                break;
            continue;
        }
        {
            size_t n = line_len(p + pos, len - pos);
            const char *l = p + pos;

            if (pt.enc == ENC_7BIT)
                for (size_t i = 0; i < n; i++)
                    if ((unsigned char) l[i] & 0x80) {
                        report(&w, ERR_8BIT_BODY, l, n);
                        break;
                    }
            pos += n + (pos + n < len);
            if (w.depth && n > 2 && l[0] == '-' && l[1] == '-') {
                for (int d = w.depth - 1; d >= 0; d--) {
                    size_t bl = w.blen[d];

                    if (n < 2 + bl || memcmp(l + 2, w.bound[d], bl) != 0)
                        continue;
                    while (w.depth > d + 1)
                        mem_free(w.bound[--w.depth]);
                    if (n >= 4 + bl && l[2 + bl] == '-' && l[3 + bl] == '-') {
                        mem_free(w.bound[--w.depth]);
                        pt = (struct part){CT_OTHER, ST_OTHER, ENC_7BIT,
                                           ENC_7BIT};
                    } else {
                        pt = (struct part){w.def_ctype[d], ST_RFC822, ENC_7BIT,
                                           ENC_7BIT};
                        if (pt.ctype != CT_MESSAGE)
                            pt.stype = ST_OTHER;
                        in_headers = 1;
                    }
                    break;
                }
            }
        }
    }
    while (w.depth > 0)
        mem_free(w.bound[--w.depth]);
    if (w.errs == 0)
        return 0;
    for (size_t i = 0; i < sizeof(mime_err) / sizeof(mime_err[0]); i++)
        if (w.errs & mime_err[i].code) {
            char r[200];

            snprintf(r, sizeof(r), "5.6.0 %s", mime_err[i].text);
            set_reply(reply, r);
            break;
        }
    return 1;
}
