/*
 * mac - Postfix main.cf macro expansion.
 *
 * DESCRIPTION
 *	mac_expand() behaves as Postfix 3.7's mac_expand(3) on top of its
 *	mac_parse(3): the same results, the same MAC_PARSE_* bits, the
 *	same warnings in the same order. The Postfix test data in
 *	testdata/mac/ checks this byte for byte.
 *
 *	Postfix's design in short. A scanner splits text into literal runs
 *	("$$" is a literal "$") and references ($name, ${text}, $(text)).
 *	Each piece goes to one handler. A literal is appended. A reference
 *	is a name (looked up), optionally followed by "?" or ":" and a
 *	value. Or it is a relational expression {a} OP {b}, which stands
 *	for "true" or "". Conditional values are scanned again by the same
 *	handler in the same context, so one nesting counter limits them.
 *	Relational operands are expanded by a fresh mac_expand() call.
 *
 *	Unlike Postfix, the scanner does not copy each piece into a
 *	scratch buffer. It works on (pointer, length) spans of the
 *	pattern. Only names (for the lookup) and, with
 *	MAC_EXP_FLAG_RECURSE, lookup results are copied. So a large
 *	pattern costs no memory per nesting level.
 * DIAGNOSTICS
 *	Warnings through log_warn(), with Postfix's texts. Out of memory is
 *	fatal (mem_alloc). A result that passes its buffer's limit logs
 *	"macro expansion result exceeds N bytes" and sets MAC_PARSE_ERROR.
 *	Postfix has no such limit.
 * BUGS
 *	The Postfix quirks are kept on purpose. After an error, every later
 *	handler call still counts one nesting level. So a pattern with an
 *	error and then more than 100 references or literal runs also warns
 *	"unreasonable macro call nesting".
 *
 *	Deviations, each where Postfix itself fails. Postfix starts a new
 *	nesting count for each relational operand. So a macro whose value
 *	uses itself inside {..} recurses until the stack overflows. We
 *	also count the total depth across operands. At MAC_MAX_DEPTH we
 *	give the same warning, and then the whole expansion stops. Postfix
 *	exits (fatal "bad conversion") when an all-digit operand overflows
 *	a long. We compare such operands exactly, as decimal numbers.
 *
 *	MAC_EXP_FLAG_PRINTABLE keeps only printable ASCII, as Postfix does
 *	while util_utf8_enable is off (smtputf8_enable = no).
 *
 *	As in Postfix, values that double at each level ($a = $b$b, or
 *	{$b} == {$b}) take exponential time or space. Give the result
 *	buffer a limit: output past it stops the expansion.
 */
#include "mac/mac.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* C17 has no [[fallthrough]]; gcc and clang know the attribute. */
#if defined(__GNUC__)
#define MAC_FALLTHROUGH __attribute__((fallthrough))
#else
#define MAC_FALLTHROUGH
#endif

/* Postfix warns when the nesting level, before increment, passes this. */
#define MAC_MAX_LEVEL 100
/* Ours: total handler depth across relational operands. */
#define MAC_MAX_DEPTH 1000
/* Relational expressions evaluate to one of these "lookup results". */
#define MAC_BVAL_TRUE  "true"
#define MAC_BVAL_FALSE ""
/* Characters that may form an operator, for better diagnostics. */
#define MAC_OP_CHARS "<>!=?+-*/~&|%"
/* Postfix's list of operators, doubled quotes and all. */
#define MAC_OP_ANY \
    "\"==\" or \"!=\"\" or \"<\"\" or \"<=\"\" or \">=\"\" or \">\""
/* Room for relational operator suffixes registered at run time. */
#define MAC_RELOP_MAX 16
/* Names up to this length are looked up from a stack buffer. */
#define MAC_NAME_INLINE 64
/* Compatibility level encoding (Postfix compat_level.c). */
#define COMPAT_PATCH_WIDTH 10
#define COMPAT_MINOR_WIDTH 10
#define COMPAT_MINOR_SHIFT COMPAT_PATCH_WIDTH
#define COMPAT_MAJOR_SHIFT (COMPAT_MINOR_SHIFT + COMPAT_MINOR_WIDTH)
#define COMPAT_MINOR_BITS  0x3ffL
#define COMPAT_PATCH_BITS  0x3ffL
#define COMPAT_MAJOR_MAX   (LONG_MAX >> COMPAT_MAJOR_SHIFT)

/* One expansion: Postfix's MAC_EXP_CONTEXT. */
struct mac_ctx {
    struct buf *result; /* NULL only with MAC_EXP_FLAG_SCAN */
    size_t limit;       /* for relational operand buffers */
    int flags;
    const char *filter;
    mac_lookup_fn *lookup;
    void *lookup_ctx;
    int status; /* MAC_PARSE_* bits found so far */
    int level;  /* Postfix's nesting count, per expansion */
    struct mac_shared *shared;
};

/* Ours: state shared by an expansion and its relational operands. */
struct mac_shared {
    int depth;    /* handler depth across nested expansions */
    bool runaway; /* the depth limit was hit: stop everywhere */
};

struct relop {
    const char *suffix;
    unsigned toks; /* bit per MAC_EXP_OP_TOK_* */
    mac_relop_fn *fn;
};

static enum mac_op_res compat_relop_eval(const char *, int, const char *);

static struct relop relops[MAC_RELOP_MAX] = {
    {"level", 0x7eU, compat_relop_eval},
};
static size_t relop_count = 1;

static int parse(struct mac_ctx *mc, const char *s, size_t n);

/* is_ws - Postfix CHARS_SPACE */
static inline bool
is_ws(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* is_alnum - ASCII only, whatever the locale */
static inline bool
is_alnum(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z');
}

/* ws_len - length of the whitespace run at s[i..n) */
static size_t
ws_len(const char *s, size_t n, size_t i)
{
    size_t j = i;

    while (j < n && is_ws((unsigned char) s[j]))
        j++;
    return j - i;
}

/* prec - a span length as a printf precision */
static inline int
prec(size_t n)
{
    return n > INT_MAX ? INT_MAX : (int) n;
}

/* prec20 - Postfix's "%.20s" of the text at s[i..n) */
static inline int
prec20(size_t n, size_t i)
{
    return n - i < 20 ? (int) (n - i) : 20;
}

static int parse_error(struct mac_ctx *mc, const char *fmt, ...)
    UTIL_PRINTF(2, 3);

/* parse_error - warn, set MAC_PARSE_ERROR, return the status */
static int
parse_error(struct mac_ctx *mc, const char *fmt, ...)
{
    struct buf msg;
    va_list ap;

    /* util has no va_list logger: format first, then log the text. */
    buf_init(&msg, 0);
    va_start(ap, fmt);
    if (buf_vprintf(&msg, fmt, ap) < 0)
        buf_truncate(&msg, 0);
    va_end(ap);
    log_warn("%s", buf_str(&msg));
    buf_fini(&msg);
    return mc->status |= MAC_PARSE_ERROR;
}

/* too_long - report a result past its buffer's limit */
static int
too_long(struct mac_ctx *mc)
{
    return parse_error(mc, "macro expansion result exceeds %zu bytes",
                       mc->result->limit);
}

/* append_literal - append a literal run, turning "$$" into "$" */
static int
append_literal(struct buf *out, const char *s, size_t n)
{
    size_t i = 0, start = 0;

    /* Inside a literal run every '$' is the first of a "$$" pair. */
    while (i < n) {
        if (s[i] == '$') {
            if (buf_append(out, s + start, i + 1 - start) < 0)
                return -1;
            i += 2;
            start = i;
        } else {
            i++;
        }
    }
    if (start < n && buf_append(out, s + start, n - start) < 0)
        return -1;
    return 0;
}

/* nesting_error - Postfix's nesting warning for text s[0..n) */
static void
nesting_error(struct mac_ctx *mc, const char *s, size_t n, bool literal)
{
    struct buf text;

    /* The warning shows the handler's text, so "$$" as "$". */
    buf_init(&text, 0);
    if (literal)
        (void) append_literal(&text, s, n);
    else
        (void) buf_append(&text, s, n);
    parse_error(mc, "unreasonable macro call nesting: \"%s\"", buf_str(&text));
    buf_fini(&text);
}

/* on_literal - the handler for literal text (raw span with "$$") */
static int
on_literal(struct mac_ctx *mc, const char *s, size_t n)
{
    /*
     * As in Postfix, the level is checked before the error status and
     * is not given back on an early return.
     */
    if (mc->level++ > MAC_MAX_LEVEL)
        nesting_error(mc, s, n, true);
    if (mc->status & MAC_PARSE_ERROR)
        return mc->status;
    if ((mc->flags & MAC_EXP_FLAG_SCAN) == 0 &&
        append_literal(mc->result, s, n) < 0)
        return too_long(mc);
    mc->level--;
    return mc->status;
}

/* extract_curly - balance {} at s[*ip] == '{', skip whitespace after */
static int
extract_curly(struct mac_ctx *mc, const char *s, size_t n, size_t *ip,
              const char **payload, size_t *len)
{
    size_t i = *ip, j;
    int level = 1;

    for (j = i + 1;; j++) {
        if (j >= n) {
            parse_error(mc, "unbalanced {} in attribute expression: \"%.*s\"",
                        prec(n - i), s + i);
            return -1;
        }
        if (s[j] == '{') {
            level++;
        } else if (s[j] == '}') {
            if (--level <= 0)
                break;
        }
    }
    *payload = s + i + 1;
    *len = j - i - 1;
    j++;
    *ip = j + ws_len(s, n, j);
    return 0;
}

/* op_token - the MAC_EXP_OP_TOK_* spelled by s[0..n) */
static int
op_token(const char *s, size_t n)
{
    static const struct {
        const char *text;
        int tok;
    } ops[] = {
        {"==", MAC_EXP_OP_TOK_EQ}, {"!=", MAC_EXP_OP_TOK_NE},
        {"<", MAC_EXP_OP_TOK_LT},  {"<=", MAC_EXP_OP_TOK_LE},
        {">=", MAC_EXP_OP_TOK_GE}, {">", MAC_EXP_OP_TOK_GT},
    };

    for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++)
        if (strlen(ops[k].text) == n && memcmp(ops[k].text, s, n) == 0)
            return ops[k].tok;
    return MAC_EXP_OP_TOK_NONE;
}

/* op_result - apply operator tok to a comparison result */
static enum mac_op_res
op_result(int tok, long delta)
{
    bool res;

    switch (tok) {
    case MAC_EXP_OP_TOK_EQ:
        res = delta == 0;
        break;
    case MAC_EXP_OP_TOK_NE:
        res = delta != 0;
        break;
    case MAC_EXP_OP_TOK_LT:
        res = delta < 0;
        break;
    case MAC_EXP_OP_TOK_LE:
        res = delta <= 0;
        break;
    case MAC_EXP_OP_TOK_GE:
        res = delta >= 0;
        break;
    case MAC_EXP_OP_TOK_GT:
        res = delta > 0;
        break;
    default:
        log_panic("mac: unknown operator: %d", tok);
    }
    return res ? MAC_OP_RES_TRUE : MAC_OP_RES_FALSE;
}

/* all_digits - Postfix alldig(): non-empty and only 0-9 */
static bool
all_digits(const char *s)
{
    if (*s == 0)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* digits_cmp - compare two digit strings as numbers, any length */
static long
digits_cmp(const char *a, const char *b)
{
    size_t la, lb;
    int c;

    while (*a == '0' && a[1])
        a++;
    while (*b == '0' && b[1])
        b++;
    la = strlen(a);
    lb = strlen(b);
    if (la != lb)
        return la < lb ? -1 : 1;
    c = strcmp(a, b);
    return (c > 0) - (c < 0);
}

/* default_eval - numeric when both are all digits, else strcmp */
static enum mac_op_res
default_eval(const char *left, int tok, const char *right)
{
    long delta;

    if (all_digits(left) && all_digits(right))
        delta = digits_cmp(left, right);
    else
        delta = strcmp(left, right);
    return op_result(tok, delta);
}

/* compat_relop_eval - the built-in "level" operators */
static enum mac_op_res
compat_relop_eval(const char *left, int tok, const char *right)
{
    long lv, rv;

    /* As Postfix: the right side is not looked at when the left fails. */
    if ((lv = mac_compat_level_parse(left)) < 0) {
        log_warn("malformed compatibility level syntax: \"%s\"", left);
        return MAC_OP_RES_ERROR;
    }
    if ((rv = mac_compat_level_parse(right)) < 0) {
        log_warn("malformed compatibility level syntax: \"%s\"", right);
        return MAC_OP_RES_ERROR;
    }
    return op_result(tok, (lv > rv) - (lv < rv));
}

/* relop_find - the function registered for operator tok + suffix */
static mac_relop_fn *
relop_find(int tok, const char *suffix, size_t len)
{
    for (size_t k = 0; k < relop_count; k++) {
        if (strlen(relops[k].suffix) == len &&
            memcmp(relops[k].suffix, suffix, len) == 0 &&
            (relops[k].toks & (1U << tok)))
            return relops[k].fn;
    }
    return NULL;
}

/* expand_sub - expand a relational operand in a fresh context */
static int
expand_sub(const struct mac_ctx *parent, struct buf *out, const char *s,
           size_t n)
{
    struct mac_ctx mc = *parent;

    /* A new Postfix context: own status and level; shared depth. */
    mc.result = out;
    mc.status = 0;
    mc.level = 0;
    return parse(&mc, s, n);
}

/* parse_relational - {left} OP[suffix] {right} at e[*ip] == '{' */
static int
parse_relational(struct mac_ctx *mc, const char *e, size_t n, size_t *ip,
                 const char **lookup)
{
    const char *lp, *rp;
    size_t ln, rn, op_pos, op_len, type_pos, i = *ip, t;
    enum mac_op_res res = MAC_OP_RES_FALSE;
    mac_relop_fn *eval;
    struct buf lbuf, rbuf;
    int tok;

    if (extract_curly(mc, e, n, &i, &lp, &ln) < 0)
        return mc->status;

    /* Operator, then an optional alphanumeric suffix such as "level". */
    op_pos = i;
    while (i < n && strchr(MAC_OP_CHARS, e[i]) != NULL)
        i++;
    op_len = i - op_pos;
    if ((tok = op_token(e + op_pos, op_len)) == MAC_EXP_OP_TOK_NONE)
        return parse_error(mc, "%s expected at: \"...%.*s}>>>%.*s\"",
                           MAC_OP_ANY, prec(ln), lp, prec20(n, op_pos),
                           e + op_pos);
    if (i < n && is_alnum((unsigned char) e[i])) {
        type_pos = i;
        while (i < n && is_alnum((unsigned char) e[i]))
            i++;
        if ((eval = relop_find(tok, e + type_pos, i - type_pos)) == NULL)
            return parse_error(mc, "bad operator suffix at: \"...%.*s>>>%.*s\"",
                               prec(op_len), e + op_pos, prec(i - type_pos),
                               e + type_pos);
    } else {
        eval = default_eval;
    }

    /* Right operand; the diagnostic shows the operator without suffix. */
    t = ws_len(e, n, i);
    if (i + t >= n || e[i + t] != '{')
        return parse_error(mc,
                           "\"{expression}\" expected at: "
                           "\"...{%.*s} %.*s>>>%.*s\"",
                           prec(ln), lp, prec(op_len), e + op_pos, prec20(n, i),
                           e + i);
    i += t;
    if (extract_curly(mc, e, n, &i, &rp, &rn) < 0)
        return mc->status;

    /*
     * Expand both operands, then compare, even when an operand had an
     * error (Postfix order: the operator may add its own warning).
     */
    buf_init(&lbuf, mc->limit);
    buf_init(&rbuf, mc->limit);
    mc->status |= expand_sub(mc, &lbuf, lp, ln);
    mc->status |= expand_sub(mc, &rbuf, rp, rn);
    if ((mc->flags & MAC_EXP_FLAG_SCAN) == 0 &&
        (res = eval(buf_str(&lbuf), tok, buf_str(&rbuf))) == MAC_OP_RES_ERROR)
        mc->status |= MAC_PARSE_ERROR;
    buf_fini(&lbuf);
    buf_fini(&rbuf);
    if (mc->status & MAC_PARSE_ERROR)
        return mc->status;

    /* A fake lookup result; SCAN mode has none (so: undefined). */
    if (mc->flags & MAC_EXP_FLAG_SCAN)
        *lookup = NULL;
    else
        *lookup = res == MAC_OP_RES_TRUE ? MAC_BVAL_TRUE : MAC_BVAL_FALSE;
    *ip = i;
    return 0;
}

/* append_value - append a lookup result through filter or printable */
static int
append_value(struct mac_ctx *mc, const char *value)
{
    struct buf *out = mc->result;
    size_t start = out->len;
    unsigned char allow[256];

    if (buf_puts(out, value) < 0)
        return too_long(mc);
    if (mc->flags & MAC_EXP_FLAG_PRINTABLE) {
        for (size_t k = start; k < out->len; k++) {
            unsigned char c = (unsigned char) out->data[k];

            if (c < 0x20 || c > 0x7e)
                out->data[k] = '_';
        }
    } else if (mc->filter) {
        memset(allow, 0, sizeof(allow));
        for (const char *f = mc->filter; *f; f++)
            allow[(unsigned char) *f] = 1;
        for (size_t k = start; k < out->len; k++)
            if (!allow[(unsigned char) out->data[k]])
                out->data[k] = '_';
    }
    return mc->status;
}

/* scan_name - the name in e[0..n); *ip to after "?" or ":", *chp to it */
static int
scan_name(struct mac_ctx *mc, const char *e, size_t n, size_t *ip,
          size_t *start, size_t *end, int *chp)
{
    size_t i = *ip, t;

    /* Whitespace may surround the name, but not split it. */
    i += ws_len(e, n, i);
    *start = i;
    for (;; i++) {
        t = ws_len(e, n, i);
        if (i + t >= n) {
            *end = i;
            *chp = 0;
            *ip = n;
            return 0;
        }
        if (e[i + t] == '?' || e[i + t] == ':') {
            *end = i;
            *chp = e[i + t];
            *ip = i + t + 1;
            return 0;
        }
        if (!is_alnum((unsigned char) e[i]) && e[i] != '_')
            return parse_error(mc,
                               "attribute name syntax error at: "
                               "\"...%.*s>>>%.*s\"",
                               prec(i), e, prec20(n, i), e + i);
    }
}

/* lookup_name - call the lookup function with a NUL-terminated name */
static const char *
lookup_name(struct mac_ctx *mc, const char *name, size_t len, int mode,
            char *small, char **big)
{
    char *s;

    if (len < MAC_NAME_INLINE) {
        memcpy(small, name, len);
        small[len] = 0;
        s = small;
    } else {
        s = *big = mem_strndup(name, len);
    }
    return mc->lookup(s, mode, mc->lookup_ctx);
}

/* branch - one ?/: result operand at e[*ip]: {text} or the rest */
static int
branch(struct mac_ctx *mc, const char *e, size_t n, size_t *ip,
       const char **text, size_t *len, bool use)
{
    size_t i = *ip, t = ws_len(e, n, i);

    if (i + t < n && e[i + t] == '{') {
        i += t;
        if (extract_curly(mc, e, n, &i, text, len) < 0)
            return -1;
    } else {
        /* Not braced: the value is the rest, leading whitespace and all. */
        *text = e + i;
        *len = n - i;
        i = n;
    }
    if (use || (mc->flags & MAC_EXP_FLAG_SCAN))
        mc->status |= parse(mc, *text, *len);
    *ip = i;
    return 0;
}

/* expr_body - the handler for a reference's text e[0..n) */
static int
expr_body(struct mac_ctx *mc, const char *e, size_t n)
{
    char small[MAC_NAME_INLINE], *big = NULL, *copy;
    const char *lookup = NULL, *text = "";
    size_t i = 0, start = 0, end = 0, len = 0;
    int ch = 0, mode;
    bool defined;

    /*
     * Postfix's per-expansion limit, then ours across relational
     * operands. Once ours is hit, every context stops without more
     * warnings: the other operand of each relational expression on
     * the way back would otherwise run into the limit again, which
     * with {$x} OP {$x} takes exponential time.
     */
    if (mc->level++ > MAC_MAX_LEVEL) {
        nesting_error(mc, e, n, false);
    } else if (mc->shared->runaway) {
        mc->status |= MAC_PARSE_ERROR;
    } else if (mc->shared->depth > MAC_MAX_DEPTH) {
        nesting_error(mc, e, n, false);
        mc->shared->runaway = true;
    }
    if (mc->status & MAC_PARSE_ERROR)
        return mc->status;

    /* A relational expression, or a name. */
    i = ws_len(e, n, 0);
    if (i < n && e[i] == '{') {
        if (parse_relational(mc, e, n, &i, &lookup) != 0)
            return mc->status;
        ch = 0;
        if (i < n) {
            ch = e[i];
            if (ch != '?' && ch != ':')
                return parse_error(mc,
                                   "\"?\" or \":\" expected at: "
                                   "\"...}>>>%.*s\"",
                                   prec20(n, i), e + i);
            i++;
        }
    } else {
        if (scan_name(mc, e, n, &i, &start, &end, &ch) != 0)
            return mc->status;
        mode = ch ? MAC_EXP_MODE_TEST : MAC_EXP_MODE_USE;
        lookup = lookup_name(mc, e + start, end - start, mode, small, &big);
    }

    /*
     * After the "?" value, fall through to a ":" value: SCAN mode scans
     * both, and garbage after either value is an error.
     */
    switch (ch) {
    case '?':
        defined = lookup != NULL && *lookup != 0;
        if (branch(mc, e, n, &i, &text, &len, defined) < 0)
            goto out;
        if (i >= n)
            break;
        if (e[i] != ':') {
            parse_error(mc, "\":\" expected at: \"...%.*s}>>>%.*s\"", prec(len),
                        text, prec20(n, i), e + i);
            goto out;
        }
        i++;
        MAC_FALLTHROUGH;
    case ':':
        defined = lookup != NULL && *lookup != 0;
        if (branch(mc, e, n, &i, &text, &len, !defined) < 0)
            goto out;
        if (i < n) {
            parse_error(mc, "unexpected input at: \"...%.*s}>>>%.*s\"",
                        prec(len), text, prec20(n, i), e + i);
            goto out;
        }
        break;
    default:
        if (lookup == NULL) {
            mc->status |= MAC_PARSE_UNDEF;
        } else if (*lookup == 0 || (mc->flags & MAC_EXP_FLAG_SCAN)) {
            /* nothing */
        } else if (mc->flags & MAC_EXP_FLAG_RECURSE) {
            /* A copy: the lookup may reuse its storage when recursing. */
            copy = mem_strdup(lookup);
            mc->status |= parse(mc, copy, strlen(copy));
            mem_free(copy);
        } else if (append_value(mc, lookup) & MAC_PARSE_ERROR) {
            goto out;
        }
        break;
    }
    mc->level--;
out:
    mem_free(big);
    return mc->status;
}

/* on_expr - the handler for a reference, with our total depth count */
static int
on_expr(struct mac_ctx *mc, const char *e, size_t n)
{
    int status;

    mc->shared->depth++;
    status = expr_body(mc, e, n);
    mc->shared->depth--;
    return status;
}

/* parse - Postfix mac_parse(): split s[0..n) into literals and references */
static int
parse(struct mac_ctx *mc, const char *s, size_t n)
{
    size_t i = 0, lit = 0, j, start, len;
    char opener, closer;
    int status = 0, level;

    while (i < n) {
        if (s[i] != '$') {
            i++;
            continue;
        }
        if (i + 1 < n && s[i + 1] == '$') {
            i += 2;
            continue;
        }

        /* A bare '$': first hand over the literal text before it. */
        if (i > lit)
            status |= on_literal(mc, s + lit, i - lit);
        i++;
        if (i < n && (s[i] == '{' || s[i] == '(')) {
            opener = s[i];
            closer = opener == '{' ? '}' : ')';
            level = 1;
            for (j = ++i; level > 0; j++) {
                if (j >= n) {
                    log_warn("truncated macro reference: \"%.*s\"", prec(n), s);
                    return status | MAC_PARSE_ERROR;
                }
                if (s[j] == opener)
                    level++;
                else if (s[j] == closer)
                    level--;
            }
            start = i;
            len = j - i - 1;
            /* As mac_parse(): after an error, stop at the next ${} or $(). */
            if (status & MAC_PARSE_ERROR)
                return status;
        } else {
            for (j = i;
                 j < n && (is_alnum((unsigned char) s[j]) || s[j] == '_'); j++)
                ;
            start = i;
            len = j - i;
        }
        i = j;
        if (len == 0) {
            log_warn("empty macro name: \"%.*s\"", prec(n), s);
            return status | MAC_PARSE_ERROR;
        }
        status |= on_expr(mc, s + start, len);
        lit = i;
    }
    if (i > lit && (status & MAC_PARSE_ERROR) == 0)
        status |= on_literal(mc, s + lit, i - lit);
    return status;
}

int
mac_expand(struct buf *result, const char *pattern, int flags,
           const char *filter, mac_lookup_fn *lookup, void *ctx)
{
    struct mac_shared shared = {0, false};
    struct mac_ctx mc;

    if (result == NULL && (flags & MAC_EXP_FLAG_SCAN) == 0)
        log_panic("mac_expand: no result buffer");
    mc.result = result;
    mc.limit = result ? result->limit : 0;
    mc.flags = flags;
    mc.filter = filter;
    mc.lookup = lookup;
    mc.lookup_ctx = ctx;
    mc.status = 0;
    mc.level = 0;
    mc.shared = &shared;
    if ((flags & (MAC_EXP_FLAG_APPEND | MAC_EXP_FLAG_SCAN)) == 0)
        buf_truncate(result, 0);
    return parse(&mc, pattern, strlen(pattern));
}

void
mac_relop_register(const int *tok_list, const char *suffix, mac_relop_fn *fn)
{
    unsigned toks = 0;

    if (*suffix == 0)
        log_panic("mac_relop_register: empty operator suffix");
    for (const char *p = suffix; *p; p++)
        if (!is_alnum((unsigned char) *p))
            log_panic("mac_relop_register: bad operator suffix: %s", suffix);
    for (const int *tp = tok_list; *tp; tp++) {
        if (*tp < MAC_EXP_OP_TOK_EQ || *tp > MAC_EXP_OP_TOK_GT)
            log_panic("mac_relop_register: unknown token code: %d", *tp);
        if (relop_find(*tp, suffix, strlen(suffix)) != NULL ||
            (toks & (1U << *tp)))
            log_panic("mac_relop_register: duplicate operator: %d%s", *tp,
                      suffix);
        toks |= 1U << *tp;
    }
    if (relop_count >= MAC_RELOP_MAX)
        log_panic("mac_relop_register: too many operator suffixes");
    relops[relop_count].suffix = mem_strdup(suffix);
    relops[relop_count].toks = toks;
    relops[relop_count].fn = fn;
    relop_count++;
}

/* Outcome of reading one number of a compatibility level. */
enum level_part {
    LEVEL_BAD,  /* no number, out of range, or followed by junk */
    LEVEL_END,  /* number, then end of text */
    LEVEL_MORE, /* number, then '.' (not allowed after the patch level) */
};

/* level_part - read one number of a level at *sp, up to max */
static enum level_part
level_part(const char **sp, long max, long *val)
{
    const char *start = *sp;
    char *end;

    /* strtol as Postfix uses it: leading space and sign are accepted. */
    errno = 0;
    *val = strtol(start, &end, 10);
    if (end == start || errno == ERANGE || *val < 0 || *val > max)
        return LEVEL_BAD;
    if (*end == 0)
        return LEVEL_END;
    if (*end != '.')
        return LEVEL_BAD;
    *sp = end + 1;
    return LEVEL_MORE;
}

long
mac_compat_level_parse(const char *str)
{
    const char *p = str;
    long major, minor, patch;
    enum level_part part;

    if ((part = level_part(&p, COMPAT_MAJOR_MAX, &major)) == LEVEL_BAD)
        return -1;
    major <<= COMPAT_MAJOR_SHIFT;
    if (part == LEVEL_END)
        return major;
    if ((part = level_part(&p, COMPAT_MINOR_BITS, &minor)) == LEVEL_BAD)
        return -1;
    minor <<= COMPAT_MINOR_SHIFT;
    if (part == LEVEL_END)
        return major | minor;
    if (level_part(&p, COMPAT_PATCH_BITS, &patch) != LEVEL_END)
        return -1;
    return major | minor | patch;
}

int
mac_compat_level_format(struct buf *out, long level)
{
    long major, minor, patch;
    int rc;

    buf_truncate(out, 0);
    if (level < 0)
        return -1;
    major = level >> COMPAT_MAJOR_SHIFT;
    minor = (level >> COMPAT_MINOR_SHIFT) & COMPAT_MINOR_BITS;
    patch = level & COMPAT_PATCH_BITS;

    /* Levels 0..2 have no minor number; a zero patch is left out. */
    if (major <= 2)
        rc = buf_printf(out, "%ld", major);
    else if (patch == 0)
        rc = buf_printf(out, "%ld.%ld", major, minor);
    else
        rc = buf_printf(out, "%ld.%ld.%ld", major, minor, patch);
    if (rc < 0)
        buf_truncate(out, 0);
    return rc;
}
