/*
 * maps_cidr - cidr: tables with Postfix's dict_cidr syntax and semantics.
 *
 * DESCRIPTION
 *	The logical lines of the file (maps_llines: Postfix's readllines)
 *	are rules. A rule is
 *	"[!]pattern result" where the pattern is an address (IPv4, or IPv6
 *	when it has a ':'), network/length or [address]/length; "if
 *	[!]pattern" ... "endif" blocks nest. A bad rule is skipped with
 *	Postfix's warning ("cidr map NAME, line N: WHY: skipping this
 *	rule"); an if without endif is reported at the end. The first rule
 *	that matches the key (an address of the same family) gives the
 *	result.
 */
#define _DEFAULT_SOURCE 1 /* strncasecmp */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "maillog/maillog.h"
#include "maps/maps_int.h"

enum { C_MATCH, C_IF, C_ENDIF };

struct cidr_rule {
    int op;    /* C_* */
    int match; /* 0: negated (!pattern) */
    int family;
    int bytes; /* 4 or 16 */
    unsigned char net[16], mask[16];
    char *result; /* C_MATCH */
    size_t end;   /* C_IF: index of its endif, or the rule count */
    int line;
};

struct maps_cidr {
    struct cidr_rule *r;
    size_t n, cap;
};

/* mask_bits - the first bits of mask set */
static void
mask_bits(unsigned char *mask, int bytes, int bits)
{
    memset(mask, 0, (size_t) bytes);
    for (int i = 0; i < bytes && bits > 0; i++, bits -= 8)
        mask[i] = bits >= 8 ? 0xff : (unsigned char) (0xff << (8 - bits));
}

static int
all_digits(const char *s)
{
    if (*s == 0)
        return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char) *s))
            return 0;
    return 1;
}

/* parse_pattern - Postfix's cidr_match_parse: pattern (destroyed) into
 * r; 0, or -1 with Postfix's reason in why */
static int
parse_pattern(struct cidr_rule *r, char *pattern, char *why, size_t len)
{
    char *mask_search = pattern, *mask;

    if (*pattern == '[') {
        char *close;

        pattern++;
        if ((close = strchr(pattern, ']')) == NULL) {
            snprintf(why, len, "missing ']' character after \"[%s\"", pattern);
            return -1;
        }
        *close = 0;
        mask_search = close + 1;
        if (*mask_search != '/') {
            if (*mask_search != 0) {
                snprintf(why, len, "garbage after \"[%s]\"", pattern);
                return -1;
            }
            mask_search = pattern;
        }
    }
    r->family = strchr(pattern, ':') ? AF_INET6 : AF_INET;
    r->bytes = r->family == AF_INET6 ? 16 : 4;
    if ((mask = strchr(mask_search, '/')) != NULL) {
        int bits;

        *mask++ = 0;
        if (!all_digits(mask)) {
            snprintf(why, len, "bad mask value in \"%s/%s\"", pattern, mask);
            return -1;
        }
        bits = strlen(mask) > 3 ? 999 : (int) strtol(mask, NULL, 10);
        if (bits > r->bytes * 8) {
            snprintf(why, len, "bad mask length in \"%s/%s\"", pattern, mask);
            return -1;
        }
        if (inet_pton(r->family, pattern, r->net) != 1) {
            snprintf(why, len, "bad network value in \"%s/%s\"", pattern, mask);
            return -1;
        }
        mask_bits(r->mask, r->bytes, bits);
        for (int i = 0; i < r->bytes; i++)
            if (r->net[i] & ~r->mask[i]) {
                char buf[INET6_ADDRSTRLEN];

                for (int j = 0; j < r->bytes; j++)
                    r->net[j] &= r->mask[j];
                if (inet_ntop(r->family, r->net, buf, sizeof(buf)) == NULL)
                    buf[0] = 0;
                snprintf(why, len,
                         "non-null host address bits in \"%s/%s\", "
                         "perhaps you should use \"%s/%d\" instead",
                         pattern, mask, buf, bits);
                return -1;
            }
    } else {
        if (inet_pton(r->family, pattern, r->net) != 1) {
            snprintf(why, len, "bad address pattern: \"%s\"", pattern);
            return -1;
        }
        mask_bits(r->mask, r->bytes, r->bytes * 8);
    }
    return 0;
}

/* skip_bangs - "!" and white space: each "!" flips *match */
static char *
skip_bangs(char *p, int *match)
{
    for (;; p++) {
        if (*p == '!')
            *match = !*match;
        else if (!isspace((unsigned char) *p))
            return p;
    }
}

/* trim_end - drop trailing white space of s in place */
static void
trim_end(char *s)
{
    size_t n = strlen(s);

    while (n > 0 && isspace((unsigned char) s[n - 1]))
        s[--n] = 0;
}

/* parse_rule - one logical line (destroyed) into r; depth: open ifs */
static int
parse_rule(struct cidr_rule *r, char *p, int depth, char *why, size_t len)
{
    char *pattern, *value;

    memset(r, 0, sizeof(*r));
    r->match = 1;
    if (strncasecmp(p, "if", 2) == 0 && !isalnum((unsigned char) p[2])) {
        p = skip_bangs(p + 2, &r->match);
        if (*p == 0) {
            snprintf(why, len, "no address pattern");
            return -1;
        }
        trim_end(p);
        if (parse_pattern(r, p, why, len) < 0)
            return -1;
        r->op = C_IF;
        return 0;
    }
    if (strncasecmp(p, "endif", 5) == 0 && !isalnum((unsigned char) p[5])) {
        p += 5;
        while (isspace((unsigned char) *p))
            p++;
        if (*p) {
            snprintf(why, len, "garbage after ENDIF");
            return -1;
        }
        if (depth == 0) {
            snprintf(why, len, "ENDIF without IF");
            return -1;
        }
        r->op = C_ENDIF;
        return 0;
    }
    pattern = p = skip_bangs(p, &r->match);
    while (*p && !isspace((unsigned char) *p))
        p++;
    if (*p)
        *p++ = 0;
    while (isspace((unsigned char) *p))
        p++;
    value = p;
    trim_end(value);
    if (*pattern == 0) {
        snprintf(why, len, "no address pattern");
        return -1;
    }
    if (*value == 0) {
        snprintf(why, len, "no lookup result");
        return -1;
    }
    if (parse_pattern(r, pattern, why, len) < 0)
        return -1;
    r->op = C_MATCH;
    r->result = mem_strdup(value);
    return 0;
}

struct parse {
    struct maps_cidr *t;
    const char *map;
    size_t stack[64];
    int depth;
};

/* add_line - one logical line that starts at line */
static void
add_line(struct parse *ps, char *l, int line)
{
    struct maps_cidr *t = ps->t;
    struct cidr_rule r;
    char why[600];

    if (parse_rule(&r, l, ps->depth, why, sizeof(why)) < 0) {
        log_warn("cidr map %s, line %d: %s: skipping this rule", ps->map, line,
                 why);
        return;
    }
    r.line = line;
    if (r.op == C_IF &&
        ps->depth >= (int) (sizeof(ps->stack) / sizeof(ps->stack[0]))) {
        log_warn("cidr map %s, line %d: if nested too deeply: skipping "
                 "this rule",
                 ps->map, line);
        return;
    }
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->r = mem_realloc(t->r, t->cap * sizeof(*t->r));
    }
    if (r.op == C_IF)
        ps->stack[ps->depth++] = t->n;
    else if (r.op == C_ENDIF)
        t->r[ps->stack[--ps->depth]].end = t->n;
    t->r[t->n++] = r;
}

static void
cidr_line(void *ctx, char *line, int lineno)
{
    add_line(ctx, line, lineno);
}

struct maps_cidr *
maps_cidr_parse(const char *text, const char *map)
{
    struct maps_cidr *t = mem_calloc(1, sizeof(*t));
    char *copy = mem_strdup(text);
    struct parse ps;

    memset(&ps, 0, sizeof(ps));
    ps.t = t;
    ps.map = map;
    maps_llines(copy, cidr_line, &ps);
    while (ps.depth > 0) {
        size_t i = ps.stack[--ps.depth];

        log_warn("cidr map %s, line %d: IF has no matching ENDIF", map,
                 t->r[i].line);
        t->r[i].end = t->n;
    }
    mem_free(copy);
    return t;
}

void
maps_cidr_free(struct maps_cidr *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->n; i++)
        mem_free(t->r[i].result);
    mem_free(t->r);
    mem_free(t);
}

/* matches - 1 when the address bytes a are inside r (of r's family) */
static int
matches(const struct cidr_rule *r, const unsigned char *a)
{
    for (int i = 0; i < r->bytes; i++)
        if ((a[i] & r->mask[i]) != r->net[i])
            return !r->match;
    return r->match;
}

const char *
maps_cidr_find(const struct maps_cidr *t, const char *key)
{
    unsigned char a[16];
    int family = strchr(key, ':') ? AF_INET6 : AF_INET;

    if (t == NULL || inet_pton(family, key, a) != 1)
        return NULL;
    for (size_t i = 0; i < t->n; i++) {
        const struct cidr_rule *r = &t->r[i];

        switch (r->op) {
        case C_MATCH:
            if (r->family == family && matches(r, a))
                return r->result;
            break;
        case C_IF:
            if (r->family == family && matches(r, a))
                break;
            if (r->end >= t->n)
                return NULL; /* an if without endif: runs to the end */
            i = r->end;
            break;
        default:
            break;
        }
    }
    return NULL;
}
