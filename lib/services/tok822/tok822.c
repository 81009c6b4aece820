/*
 * tok822 - RFC 822 address lists: tokens, parse trees and both string forms.
 *
 * DESCRIPTION
 *	See tok822.h. The tokenizer and the right-to-left parser follow
 *	Postfix 3.7 step for step, since the point is the same tree (and
 *	so the same rewritten header) for the same, often broken, input:
 *	a backslash quotes the next character anywhere; a word that
 *	contains a space, a control or an operator character becomes a
 *	quoted string; an unterminated string, literal or comment ends
 *	at the end of the input; white space inside one becomes a space.
 */
#include "tok822/tok822.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* operators: RFC 822 specials plus % ! (routing) and | (aliases) */
static const char opchars[] = "|%!()<>@,;:\\\".[]";

#define IS_SPACE(c) ((c) == ' ' || (c) == '\t' || (c) == '\r' || (c) == '\n')
#define IS_OP(c)    ((c) != 0 && strchr(opchars, (c)) != NULL)

static struct tok822 *
tok_alloc(int type)
{
    struct tok822 *tp = mem_calloc(1, sizeof(*tp));

    tp->type = type;
    buf_init(&tp->s, 0);
    return tp;
}

static void
tok_free(struct tok822 *tp)
{
    buf_fini(&tp->s);
    mem_free(tp);
}

void
tok822_free_tree(struct tok822 *tp)
{
    while (tp) {
        struct tok822 *next = tp->next;

        tok822_free_tree(tp->head);
        tok_free(tp);
        tp = next;
    }
}

/* append - the list t2 after t1, in t1's owner; its last token */
static struct tok822 *
append(struct tok822 *t1, struct tok822 *t2)
{
    struct tok822 *next = t1->next;

    t1->next = t2;
    t2->prev = t1;
    t2->owner = t1->owner;
    while (t2->next) {
        t2 = t2->next;
        t2->owner = t1->owner;
    }
    t2->next = next;
    if (next)
        next->prev = t2;
    return t2;
}

/* prepend - the list t2 before t1, in t1's owner; returns t2 */
static struct tok822 *
prepend(struct tok822 *t1, struct tok822 *t2)
{
    struct tok822 *tp;

    if ((t2->prev = t1->prev) != NULL)
        t2->prev->next = t2;
    for (tp = t2;; tp = tp->next) {
        tp->owner = t1->owner;
        if (tp->next == NULL)
            break;
    }
    t1->prev = tp;
    tp->next = t1;
    return t2;
}

/* cut_before - end the list before tp */
static void
cut_before(struct tok822 *tp)
{
    if (tp->prev) {
        tp->prev->next = NULL;
        tp->prev = NULL;
    }
}

/* unlink_tok - take tp out of its list; the token before it */
static struct tok822 *
unlink_tok(struct tok822 *tp)
{
    struct tok822 *prev = tp->prev;

    if (prev)
        prev->next = tp->next;
    if (tp->next)
        tp->next->prev = prev;
    tp->prev = tp->next = NULL;
    return prev;
}

/* sub_append - the list t2 as the last children of t1 */
static void
sub_append(struct tok822 *t1, struct tok822 *t2)
{
    if (t1->head) {
        t1->tail = append(t1->tail, t2);
    } else {
        t1->head = t2;
        t2->owner = t1;
        while (t2->next) {
            t2 = t2->next;
            t2->owner = t1;
        }
        t1->tail = t2;
    }
}

/* collect - characters while cond holds, a backslash quoting the next;
 * white space stored as ' ' */
#define COLLECT(tp, sp, c, cond)                                  \
    do {                                                          \
        while (((c) = *(const unsigned char *) (sp)) != 0) {      \
            if ((c) == '\\') {                                    \
                if (((c) = *(const unsigned char *) ++(sp)) == 0) \
                    break;                                        \
            } else if (!(cond)) {                                 \
                break;                                            \
            }                                                     \
            (void) buf_putc(&(tp)->s, IS_SPACE(c) ? ' ' : (c));   \
            (sp)++;                                               \
        }                                                         \
    } while (0)

/* comment - the rest of a comment after its '(', nesting, kept as is */
static const char *
comment(struct tok822 *tp, const char *s)
{
    int level = 1, c;

    (void) buf_putc(&tp->s, '(');
    while ((c = *(const unsigned char *) s) != 0) {
        (void) buf_putc(&tp->s, c);
        s++;
        if (c == '(') {
            level++;
        } else if (c == ')') {
            if (--level == 0)
                break;
        } else if (c == '\\') {
            if ((c = *(const unsigned char *) s) == 0)
                break;
            (void) buf_putc(&tp->s, c);
            s++;
        }
    }
    return s;
}

/* quote_atom - an atom that needs quotes is a quoted string */
static void
quote_atom(struct tok822 *tp)
{
    for (const char *p = buf_str(&tp->s); *p; p++) {
        unsigned char c = (unsigned char) *p;

        if (c == ' ' || iscntrl(c) || IS_OP(c)) {
            tp->type = TOK822_QSTRING;
            break;
        }
    }
}

struct tok822 *
tok822_scan(const char *str, struct tok822 **tailp, int limit)
{
    struct tok822 *head = NULL, *tail = NULL, *tp;
    int c, count = 0;

    while ((c = *(const unsigned char *) str++) != 0) {
        if (IS_SPACE(c))
            continue;
        if (c == '(') {
            tp = tok_alloc(TOK822_COMMENT);
            str = comment(tp, str);
        } else if (c == '[') {
            tp = tok_alloc(TOK822_DOMLIT);
            COLLECT(tp, str, c, c != ']');
            if (*str)
                str++;
        } else if (c == '"') {
            tp = tok_alloc(TOK822_QSTRING);
            COLLECT(tp, str, c, c != '"');
            if (*str)
                str++;
        } else if (c != '\\' && IS_OP(c)) {
            tp = tok_alloc(c);
        } else {
            tp = tok_alloc(TOK822_ATOM);
            str -= 1; /* a backslash may come first */
            COLLECT(tp, str, c, !IS_SPACE(c) && !IS_OP(c));
            quote_atom(tp);
        }
        if (head == NULL)
            head = tail = tp;
        else
            tail = append(tail, tp);
        if (limit > 0 && ++count >= limit)
            break;
    }
    if (tailp)
        *tailp = tail;
    return head;
}

/* group - the tokens strictly between left and right under a new
 * TOK822_ADDR, optionally followed by a sync operator; returns left */
static struct tok822 *
group(struct tok822 *left, struct tok822 *right, int sync)
{
    struct tok822 *first, *g;

    if (left != right && (first = left->next) != right) {
        cut_before(right);
        cut_before(first);
        g = tok_alloc(TOK822_ADDR);
        sub_append(g, first);
        append(left, g);
        append(g, right);
        if (sync)
            append(left, tok_alloc(sync));
    }
    return left;
}

#define DO_WORD  1
#define DO_GROUP 2

/* move_comment - the comment tp moved just before *right; the token
 * before where tp was */
static struct tok822 *
move_comment(struct tok822 *tp, struct tok822 **right)
{
    struct tok822 *prev = unlink_tok(tp);

    *right = prepend(*right, tp);
    return prev;
}

struct tok822 *
tok822_parse(const char *str, int limit)
{
    struct tok822 *first, *last, *head, *tail, *right, *tp;
    int state = DO_WORD;

    if ((first = tok822_scan(str, &last, limit)) == NULL)
        return NULL;
    /* sentinels (type 0) at both ends */
    head = tok_alloc(0);
    head->next = first;
    first->prev = head;
    tail = tok_alloc(0);
    last->next = tail;
    tail->prev = last;

    /* right to left; the address sits between tp and right */
    right = tail;
    tp = tail->prev;
    while (tp->type) {
        if (tp->type == TOK822_COMMENT) {
            tp = move_comment(tp, &right);
            continue;
        } else if (tp->type == ';') { /* end of a named group */
            right = group(tp, right, ',');
            state = DO_GROUP | DO_WORD;
        } else if (tp->type == ':' && (state & DO_GROUP)) {
            tp->type = TOK822_STARTGRP;
            (void) group(tp, right, 0);
            while (tp->type && tp->type != ',')
                tp = tp->prev;
            right = tp;
            continue;
        } else if (tp->type == '>') { /* end of a <route> */
            right = group(tp, right, ',');
            while (tp->type && tp->type != '<') {
                if (tp->type == TOK822_COMMENT) {
                    tp = move_comment(tp, &right);
                    continue;
                }
                tp = tp->prev;
            }
            (void) group(tp, right, 0);
            while (tp->type &&
                   (tp->type > 0xff || strchr(">;,:", tp->type) == 0))
                tp = tp->prev;
            right = tp;
            state |= DO_WORD;
            continue;
        } else if (tp->type == TOK822_ATOM || tp->type == TOK822_QSTRING ||
                   tp->type == TOK822_DOMLIT) {
            if ((state & DO_WORD) == 0)
                right = group(tp, right, ',')->next;
            state &= ~DO_WORD;
        } else if (tp->type == ',') {
            right = group(tp, right, 0);
            state |= DO_WORD;
        } else {
            state |= DO_WORD;
        }
        tp = tp->prev;
    }
    (void) group(tp, right, 0);

    tp = head->next != tail ? head->next : NULL;
    cut_before(head->next);
    tok_free(head);
    cut_before(tail);
    tok_free(tail);
    return tp;
}

/* append_space - a space after tp in the string form */
static int
append_space(const struct tok822 *tp)
{
    const struct tok822 *next;

#define NON_OPERATOR(x)                                           \
    ((x)->type == TOK822_ATOM || (x)->type == TOK822_QSTRING ||   \
     (x)->type == TOK822_COMMENT || (x)->type == TOK822_DOMLIT || \
     (x)->type == TOK822_ADDR)

    if (tp == NULL || (next = tp->next) == NULL || tp->owner != NULL)
        return 0;
    if (tp->type == ',' || tp->type == TOK822_STARTGRP || next->type == '<')
        return 1;
    return NON_OPERATOR(tp) && NON_OPERATOR(next);
}

/* copy_quoted - s with a backslash before each byte in set */
static void
copy_quoted(struct buf *out, const char *s, const char *set)
{
    for (; *s; s++) {
        if (strchr(set, *s))
            (void) buf_putc(out, '\\');
        (void) buf_putc(out, *s);
    }
}

/* internal - the internal form (quotes removed) */
static void
internal(struct buf *out, const struct tok822 *tree, unsigned flags)
{
    for (const struct tok822 *tp = tree; tp; tp = tp->next) {
        switch (tp->type) {
        case ',':
            (void) buf_putc(out, ',');
            if (flags & TOK822_STR_LINE) {
                (void) buf_putc(out, '\n');
                continue;
            }
            break;
        case TOK822_ADDR:
            internal(out, tp->head, 0);
            break;
        case TOK822_ATOM:
        case TOK822_COMMENT:
        case TOK822_QSTRING:
            (void) buf_puts(out, buf_str(&tp->s));
            break;
        case TOK822_DOMLIT:
            (void) buf_putc(out, '[');
            (void) buf_puts(out, buf_str(&tp->s));
            (void) buf_putc(out, ']');
            break;
        case TOK822_STARTGRP:
            (void) buf_putc(out, ':');
            break;
        default:
            (void) buf_putc(out, tp->type);
        }
        if (append_space(tp))
            (void) buf_putc(out, ' ');
    }
}

/* quote_addr - an address's tokens, local part quoted, appended */
static void
quote_addr(struct buf *out, const struct tok822 *head)
{
    struct buf tmp;

    buf_init(&tmp, 0);
    internal(&tmp, head, 0);
    tok822_quote_local(out, buf_str(&tmp),
                       TOK822_QUOTE_8BITCLEAN | TOK822_QUOTE_APPEND);
    buf_fini(&tmp);
}

/*
 * The Sendmail guard (CERT CA-2003-07), as Postfix: with TOK822_STR_TRNC,
 * an address expression (text between commas) with more than 250 bytes
 * of text besides its address becomes "<address>", with a warning.
 */
#define MAX_NONADDR 250

struct trnc {
    size_t start;              /* where the expression starts in out */
    const struct tok822 *addr; /* its address node, or the '<' of <> */
    size_t addr_len;           /* the address's length in out */
};

static void
enforce(struct buf *out, const struct trnc *t)
{
    if (t->addr == NULL || out->len - t->addr_len <= t->start + MAX_NONADDR)
        return;
    log_warn("stripping too many comments from address: %.100s...",
             buf_str(out) + t->start);
    buf_truncate(out, t->start);
    (void) buf_putc(out, '<');
    if (t->addr->type == TOK822_ADDR)
        quote_addr(out, t->addr->head);
    (void) buf_putc(out, '>');
}

static void
external(struct buf *out, const struct tok822 *tree, unsigned flags)
{
    struct trnc t = {out->len, NULL, 0};

    for (const struct tok822 *tp = tree; tp; tp = tp->next) {
        switch (tp->type) {
        case ',':
            if (flags & TOK822_STR_TRNC)
                enforce(out, &t);
            (void) buf_putc(out, ',');
            (void) buf_putc(out, (flags & TOK822_STR_LINE) ? '\n' : ' ');
            t.start = out->len;
            t.addr = NULL;
            t.addr_len = 0;
            continue;
        case TOK822_ADDR:
            t.addr = tp;
            t.addr_len = out->len;
            quote_addr(out, tp->head);
            t.addr_len = out->len - t.addr_len;
            break;
        case TOK822_ATOM:
        case TOK822_COMMENT:
            (void) buf_puts(out, buf_str(&tp->s));
            break;
        case TOK822_QSTRING:
            (void) buf_putc(out, '"');
            copy_quoted(out, buf_str(&tp->s), "\"\\\r\n");
            (void) buf_putc(out, '"');
            break;
        case TOK822_DOMLIT:
            (void) buf_putc(out, '[');
            copy_quoted(out, buf_str(&tp->s), "\\\r\n");
            (void) buf_putc(out, ']');
            break;
        case TOK822_STARTGRP:
            (void) buf_putc(out, ':');
            break;
        case '<':
            if (tp->next && tp->next->type == '>') {
                t.addr = tp;
                t.addr_len = 0;
            }
            (void) buf_putc(out, '<');
            break;
        default:
            (void) buf_putc(out, tp->type);
        }
        if (append_space(tp))
            (void) buf_putc(out, ' ');
    }
    if (flags & TOK822_STR_TRNC)
        enforce(out, &t);
}

void
tok822_internalize(struct buf *out, const struct tok822 *tree, unsigned flags)
{
    internal(out, tree, flags);
}

void
tok822_externalize(struct buf *out, const struct tok822 *tree, unsigned flags)
{
    external(out, tree, flags);
}

/* dot_string - the local part [start, end) is an RFC 822 dot-string */
static int
dot_string(const char *start, const char *end, unsigned flags)
{
    const char *p;

    if (start == end || start[0] == 0 || start[0] == '.')
        return 0;
    for (p = start; p < end && *p; p++) {
        unsigned char c = (unsigned char) *p;

        if (c == '.' && p + 1 < end && p[1] == '.')
            return 0;
        if (c > 127 && !(flags & TOK822_QUOTE_8BITCLEAN))
            return 0;
        if (c == ' ' || iscntrl(c))
            return 0;
        if (c == '@' && !(flags & TOK822_QUOTE_EXPOSE_AT))
            return 0;
        if (c != '@' && strchr("()<>,;:\\\"[]", c))
            return 0;
    }
    return p[-1] != '.';
}

void
tok822_quote_local(struct buf *out, const char *mbox, unsigned flags)
{
    const char *start = mbox, *end, *colon;

    if (mbox[0] == '@' && (colon = strchr(mbox, ':')) != NULL)
        start = colon + 1;
    if ((flags & TOK822_QUOTE_BARE_LOCALPART) ||
        (end = strrchr(start, '@')) == NULL)
        end = start + strlen(start);
    if (dot_string(start, end, flags)) {
        (void) buf_puts(out, mbox);
        return;
    }
    (void) buf_append(out, mbox, (size_t) (start - mbox));
    (void) buf_putc(out, '"');
    for (const char *p = start; p < end && *p; p++) {
        unsigned char c = (unsigned char) *p;

        if ((c > 127 && !(flags & TOK822_QUOTE_8BITCLEAN)) || c == '"' ||
            c == '\\' || c == '\r')
            (void) buf_putc(out, '\\');
        (void) buf_putc(out, c);
    }
    (void) buf_putc(out, '"');
    (void) buf_puts(out, end);
}

void
tok822_unquote_local(struct buf *out, const char *mbox)
{
    const char *start = mbox, *colon, *bare_at = NULL;
    size_t at_pos = 0;
    int in_quote = 0;

    if (mbox[0] == '@' && (colon = strchr(mbox, ':')) != NULL) {
        start = colon + 1;
        (void) buf_append(out, mbox, (size_t) (start - mbox));
    }
    for (const char *p = start; *p; p++) {
        if (*p == '"') {
            in_quote = !in_quote;
            continue;
        } else if (*p == '@') {
            if (!in_quote) {
                at_pos = out->len;
                bare_at = p;
            }
        } else if (*p == '\\') {
            if (p[1] == 0)
                continue;
            p++;
        }
        (void) buf_putc(out, *p);
    }
    if (bare_at) {
        buf_truncate(out, at_pos);
        (void) buf_puts(out, bare_at);
    }
}
