/*
 * maps_pcre - regexp: and pcre: tables with Postfix's dict_regexp and
 * dict_pcre syntax and semantics.
 *
 * DESCRIPTION
 *	A logical line is a line and the lines after it that start with
 *	white space; blank lines and '#' comments are skipped. A rule is
 *	"[!]/pattern/flags result" (any delimiter character instead of '/';
 *	a backslash protects the delimiter), "if [!]/pattern/flags" ...
 *	"endif" blocks nest. regexp: rules are POSIX extended expressions
 *	(flags i, m, x toggle REG_ICASE, REG_NEWLINE, REG_EXTENDED; i and
 *	REG_EXTENDED on by default), pcre: rules PCRE2 (flags i m s x A E U
 *	X: caseless (on by default), multiline, dotall, extended, anchored,
 *	dollar-endonly, ungreedy, and X, accepted). The result may use $n,
 *	${n} and $(n) (n up to the number of groups; not in a negated rule)
 *	and $$. A bad rule is skipped with Postfix's warning.
 */
#define _DEFAULT_SOURCE       1 /* strncasecmp */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <pcre2.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "maillog/maillog.h"
#include "maps/maps_int.h"

#define NGROUP 10 /* $0..$9 */

enum { R_MATCH, R_IF, R_ENDIF };

struct pat_rule {
    int op;     /* R_* */
    int negate; /* !/pattern/ */
    int line;
    regex_t re;  /* regexp: */
    regex_t re2; /* regexp: /re/!/re2/: re2 must not match */
    int has2;
    pcre2_code *pc; /* pcre: */
    pcre2_match_data *md;
    char *result; /* R_MATCH */
    size_t skip;  /* R_IF: the index of its endif */
};

struct maps_pat {
    int pcre;
    struct pat_rule *r;
    size_t n;
};

/* ---- parsing ---- */

struct parse {
    const char *map; /* "pcre map /etc/x" for warnings */
    int line;
};

#define WARN(ps, ...)                                           \
    do {                                                        \
        char m_[600];                                           \
        snprintf(m_, sizeof(m_), __VA_ARGS__);                  \
        log_warn("%s, line %d: %s", (ps)->map, (ps)->line, m_); \
    } while (0)

/* get_pat - the pattern at *pp (after an optional "!"): NUL-terminated in
 * place; *flags points at the flags; *pp past them. 0, 1 when a "!"
 * ends the flags (bang_ends: regexp's /re/!/re2/; *pp after it), or -1
 * (warned) */
static int
get_pat(struct parse *ps, char **pp, char **pat, char **flags, int *neg,
        int bang_ends)
{
    char *p = *pp, delim;

    *neg = 0;
    while (*p == '!') {
        *neg = !*neg;
        p++;
        while (isspace((unsigned char) *p))
            p++;
    }
    if (*p == 0) {
        WARN(ps, "no regexp: skipping this rule");
        return -1;
    }
    delim = *p++;
    *pat = p;
    while (*p && *p != delim) {
        if (*p == '\\' && p[1])
            p++;
        p++;
    }
    if (*p != delim) {
        WARN(ps, "no closing regexp delimiter \"%c\": skipping this rule",
             delim);
        return -1;
    }
    *p++ = 0;
    *flags = p;
    while (*p && !isspace((unsigned char) *p) && !(bang_ends && *p == '!'))
        p++;
    if (*p == '!') { /* /re/!/re2/: 1, the caller reads on after it */
        *p++ = 0;
        *pp = p;
        return 1;
    }
    if (*p)
        *p++ = 0;
    while (isspace((unsigned char) *p))
        p++;
    *pp = p;
    return 0;
}

/* compile - the pattern with its flags into r; 0 or -1 (warned) */
static int
compile(struct parse *ps, int pcre, struct pat_rule *r, const char *pat,
        const char *flags, regex_t *re)
{
    if (!pcre) {
        int cf = REG_EXTENDED | REG_ICASE, e;

        for (const char *f = flags; *f; f++) {
            if (*f == 'i')
                cf ^= REG_ICASE;
            else if (*f == 'm')
                cf ^= REG_NEWLINE;
            else if (*f == 'x')
                cf ^= REG_EXTENDED;
            else {
                WARN(ps, "unknown regexp option \"%c\": skipping this rule",
                     *f);
                return -1;
            }
        }
        if ((e = regcomp(re, pat, cf)) != 0) {
            char why[256];

            regerror(e, re, why, sizeof(why));
            WARN(ps, "regexp %s", why);
            return -1;
        }
        return 0;
    } else {
        uint32_t opt = PCRE2_CASELESS;
        int err;
        PCRE2_SIZE off;

        for (const char *f = flags; *f; f++) {
            switch (*f) {
            case 'i':
                opt ^= PCRE2_CASELESS;
                break;
            case 'm':
                opt ^= PCRE2_MULTILINE;
                break;
            case 's':
                opt ^= PCRE2_DOTALL;
                break;
            case 'x':
                opt ^= PCRE2_EXTENDED;
                break;
            case 'A':
                opt ^= PCRE2_ANCHORED;
                break;
            case 'E':
                opt ^= PCRE2_DOLLAR_ENDONLY;
                break;
            case 'U':
                opt ^= PCRE2_UNGREEDY;
                break;
            case 'X': /* PCRE_EXTRA: PCRE2 always is */
                break;
            default:
                WARN(ps, "unknown regexp option \"%c\": skipping this rule",
                     *f);
                return -1;
            }
        }
        r->pc = pcre2_compile((PCRE2_SPTR) pat, PCRE2_ZERO_TERMINATED, opt,
                              &err, &off, NULL);
        if (r->pc == NULL) {
            PCRE2_UCHAR why[256];

            pcre2_get_error_message(err, why, sizeof(why));
            WARN(ps, "error in regex at offset %d: %s", (int) off,
                 (char *) why);
            return -1;
        }
        r->md = pcre2_match_data_create_from_pattern(r->pc, NULL);
        return 0;
    }
}

/* groups - the number of capture groups of r */
static int
groups(int pcre, const struct pat_rule *r)
{
    uint32_t n = 0;

    if (!pcre)
        return (int) r->re.re_nsub;
    (void) pcre2_pattern_info(r->pc, PCRE2_INFO_CAPTURECOUNT, &n);
    return (int) n;
}

/* check_result - Postfix's checks of $n in a result; 0 or -1 (warned) */
static int
check_result(struct parse *ps, const char *res, int ngroups, int neg)
{
    for (const char *p = res; *p; p++) {
        char close;
        const char *d;
        int n = 0;

        if (*p != '$')
            continue;
        if (p[1] == '$') {
            p++;
            continue;
        }
        close = p[1] == '{' ? '}' : p[1] == '(' ? ')' : 0;
        d = close ? p + 2 : p + 1;
        if (!isdigit((unsigned char) *d))
            continue;
        while (isdigit((unsigned char) *d) && n < 100)
            n = n * 10 + (*d++ - '0');
        if (neg) {
            WARN(ps, "$number found in negative match replacement text: "
                     "skipping this rule");
            return -1;
        }
        if (n > ngroups || n >= NGROUP) {
            WARN(ps,
                 "out of range replacement index \"%d\": skipping this "
                 "rule",
                 n);
            return -1;
        }
    }
    return 0;
}

static void
rule_fini(int pcre, struct pat_rule *r)
{
    if (r->op == R_ENDIF)
        return;
    if (pcre) {
        pcre2_match_data_free(r->md);
        pcre2_code_free(r->pc);
    } else {
        regfree(&r->re);
        if (r->has2)
            regfree(&r->re2);
    }
    mem_free(r->result);
}

/* one_rule - a logical line into a rule of t; depth counts open ifs */
static void
one_rule(struct maps_pat *t, struct parse *ps, char *l, size_t *stack,
         int *depth)
{
    struct pat_rule r;
    char *pat, *flags;
    int is_if = 0, rc;

    memset(&r, 0, sizeof(r));
    r.line = ps->line;
    if (strncasecmp(l, "endif", 5) == 0 &&
        (l[5] == 0 || isspace((unsigned char) l[5]))) {
        if (*depth == 0) {
            WARN(ps, "ignoring ENDIF without matching IF");
            return;
        }
        if (l[5] && *str_trim(l + 5))
            WARN(ps, "ignoring extra text after ENDIF");
        r.op = R_ENDIF;
        t->r[stack[--*depth]].skip = t->n;
        t->r[t->n++] = r;
        return;
    }
    if (strncasecmp(l, "if", 2) == 0 && !isalnum((unsigned char) l[2]) &&
        l[2] != 0) {
        is_if = 1;
        l += 2;
        while (isspace((unsigned char) *l))
            l++;
    }
    if ((rc = get_pat(ps, &l, &pat, &flags, &r.negate, !t->pcre)) < 0)
        return;
    if (rc == 1) { /* regexp: /re/!/re2/ */
        char *pat2, *flags2;
        int neg2;

        if (get_pat(ps, &l, &pat2, &flags2, &neg2, 1) != 0)
            return;
        if (compile(ps, 0, &r, pat2, flags2, &r.re2) < 0)
            return;
        r.has2 = 1;
    }
    if (is_if && *l) {
        WARN(ps, "ignoring extra text after IF statement: \"%s\"", l);
        WARN(ps, "do not prepend whitespace to statements between IF and "
                 "ENDIF");
    } else if (!is_if && *l == 0) {
        WARN(ps, "no replacement text: using empty string");
    }
    if (compile(ps, t->pcre, &r, pat, flags, &r.re) < 0) {
        if (r.has2)
            regfree(&r.re2);
        return;
    }
    if (!is_if && check_result(ps, l, groups(t->pcre, &r), r.negate) < 0) {
        rule_fini(t->pcre, &r);
        return;
    }
    if (is_if) {
        r.op = R_IF;
        if (*depth >= 64) {
            WARN(ps, "too many nested IF statements");
            rule_fini(t->pcre, &r);
            return;
        }
        stack[(*depth)++] = t->n;
    } else {
        r.op = R_MATCH;
        r.result = mem_strdup(l);
    }
    t->r[t->n++] = r;
}

/* flush - the logical line collected so far, as a rule */
static void
flush(struct maps_pat *t, struct parse *ps, struct buf *logical, size_t *cap,
      size_t *stack, int *depth)
{
    char *l;

    if (logical->len == 0)
        return;
    if (t->n + 1 > *cap) {
        *cap = *cap ? *cap * 2 : 16;
        t->r = mem_realloc(t->r, *cap * sizeof(*t->r));
    }
    l = mem_strdup(buf_str(logical));
    one_rule(t, ps, l, stack, depth);
    mem_free(l);
    buf_truncate(logical, 0);
}

struct maps_pat *
maps_pat_parse(const char *text, int pcre, const char *map)
{
    struct maps_pat *t = mem_calloc(1, sizeof(*t));
    char *copy = mem_strdup(text), *p = copy;
    struct buf logical;
    struct parse ps = {map, 0};
    size_t stack[64], cap = 0;
    int depth = 0;

    t->pcre = pcre;
    buf_init(&logical, 0);
    for (int lineno = 1; p && *p; lineno++) {
        char *nl = strchr(p, '\n');

        if (nl)
            *nl = 0;
        /* a line that starts with white space continues the last one */
        if ((*p == ' ' || *p == '\t') && logical.len) {
            (void) buf_putc(&logical, ' ');
            (void) buf_puts(&logical, str_trim(p));
        } else {
            char *l = str_trim(p);

            flush(t, &ps, &logical, &cap, stack, &depth);
            if (*l && *l != '#') {
                (void) buf_puts(&logical, l);
                ps.line = lineno;
            }
        }
        p = nl ? nl + 1 : NULL;
    }
    flush(t, &ps, &logical, &cap, stack, &depth);
    while (depth > 0) {
        ps.line = t->r[stack[--depth]].line;
        WARN(&ps, "IF has no matching ENDIF");
        t->r[stack[depth]].skip = t->n; /* the block runs to the end */
    }
    buf_fini(&logical);
    mem_free(copy);
    return t;
}

void
maps_pat_free(struct maps_pat *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->n; i++)
        rule_fini(t->pcre, &t->r[i]);
    mem_free(t->r);
    mem_free(t);
}

/* ---- lookup ---- */

/* expand - result text with $n from the match (so/eo pairs, -1 unset) */
static void
expand(struct buf *out, const char *tmpl, const char *key, const long *so,
       const long *eo)
{
    buf_truncate(out, 0);
    for (const char *p = tmpl; *p; p++) {
        char close = p[1] == '{' ? '}' : p[1] == '(' ? ')' : 0;
        const char *d = close ? p + 2 : p + 1;

        if (*p == '$' && p[1] == '$') {
            (void) buf_putc(out, '$');
            p++;
        } else if (*p == '$' && isdigit((unsigned char) *d)) {
            int n = 0;

            while (isdigit((unsigned char) *d) && n < 100)
                n = n * 10 + (*d++ - '0');
            if (close && *d == close)
                d++;
            if (n < NGROUP && so[n] >= 0)
                (void) buf_append(out, key + so[n], (size_t) (eo[n] - so[n]));
            p = d - 1;
        } else {
            (void) buf_putc(out, *p);
        }
    }
}

/* match - 1 when r matches key, groups in so/eo */
static int
match(int pcre, struct pat_rule *r, const char *key, long *so, long *eo)
{
    for (int g = 0; g < NGROUP; g++)
        so[g] = eo[g] = -1;
    if (!pcre) {
        regmatch_t pm[NGROUP];

        if (regexec(&r->re, key, NGROUP, pm, 0) != 0)
            return 0;
        if (r->has2 && regexec(&r->re2, key, 0, NULL, 0) == 0)
            return 0;
        for (int g = 0; g < NGROUP; g++)
            if (pm[g].rm_so >= 0) {
                so[g] = pm[g].rm_so;
                eo[g] = pm[g].rm_eo;
            }
        return 1;
    } else {
        int rc = pcre2_match(r->pc, (PCRE2_SPTR) key, strlen(key), 0, 0, r->md,
                             NULL);
        PCRE2_SIZE *ov;

        if (rc < 0)
            return 0;
        ov = pcre2_get_ovector_pointer(r->md);
        for (int g = 0; g < rc && g < NGROUP; g++)
            if (ov[2 * g] != PCRE2_UNSET) {
                so[g] = (long) ov[2 * g];
                eo[g] = (long) ov[2 * g + 1];
            }
        return 1;
    }
}

const char *
maps_pat_find(struct maps_pat *t, const char *key, struct buf *result)
{
    long so[NGROUP], eo[NGROUP];

    for (size_t i = 0; i < t->n; i++) {
        struct pat_rule *r = &t->r[i];
        int hit;

        if (r->op == R_ENDIF)
            continue;
        hit = match(t->pcre, r, key, so, eo) != r->negate;
        if (r->op == R_IF) {
            if (!hit)
                i = r->skip; /* past the block (the loop steps over endif) */
            continue;
        }
        if (hit) {
            if (r->negate)
                for (int g = 0; g < NGROUP; g++)
                    so[g] = eo[g] = -1;
            expand(result, r->result, key, so, eo);
            return buf_str(result);
        }
    }
    return NULL;
}
