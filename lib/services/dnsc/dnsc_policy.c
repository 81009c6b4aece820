/*
 * dnsc_policy - parsers for the TXT policy records that dnsc checks.
 *
 * DESCRIPTION
 *	SPF records (RFC 7208 section 4.6 and 12: terms, mechanisms,
 *	modifiers, dual CIDR lengths, domain-spec syntax), SPF macro
 *	expansion (section 7), DMARC records (RFC 7489 section 6.4),
 *	MTA-STS TXT records (RFC 8461 section 3.1) and TLS-RPT TXT records
 *	(RFC 8460 section 3). Pure text processing: no DNS, no ldns. Input
 *	comes from the network, so everything is bounded and ASCII-only
 *	character classes are used (no locale).
 *
 * DIAGNOSTICS
 *	Parsers stop at the first problem and describe it in err.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dnsc/dnsc.h"

static int
is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int
is_alnum(int c)
{
    return is_alpha(c) || is_digit(c);
}

static int
lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

static int
is_wsp(int c)
{
    return c == ' ' || c == '\t';
}

/* ci_prefix - case-insensitive "s starts with p"; returns length or 0 */
static size_t
ci_prefix(const char *s, const char *p)
{
    size_t n = 0;

    for (; p[n]; n++)
        if (lower((unsigned char) s[n]) != lower((unsigned char) p[n]))
            return 0;
    return n;
}

static int
ci_equal(const char *a, size_t alen, const char *b)
{
    return strlen(b) == alen && ci_prefix(a, b) == alen;
}

static void set_err(struct buf *err, const char *fmt, ...) UTIL_PRINTF(2, 3);

static void
set_err(struct buf *err, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return;
    buf_truncate(err, 0);
    va_start(ap, fmt);
    (void) buf_vprintf(err, fmt, ap);
    va_end(ap);
}

/* parse_uint - decimal number of at most max; 0 or -1 */
static int
parse_uint(const char *s, size_t n, long max, long *out)
{
    long v = 0;

    if (n == 0 || n > 10)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit((unsigned char) s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

/*
 * SPF macro expansion (RFC 7208 section 7).
 */

/* put_escaped - RFC 3986 escaping for upper-case macro letters */
static int
put_escaped(struct buf *out, const char *s, size_t n, int escape)
{
    static const char hex[] = "0123456789ABCDEF";

    if (!escape)
        return buf_append(out, s, n);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char) s[i];

        if (is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            if (buf_putc(out, c) < 0)
                return -1;
        } else if (buf_putc(out, '%') < 0 || buf_putc(out, hex[c >> 4]) < 0 ||
                   buf_putc(out, hex[c & 15]) < 0) {
            return -1;
        }
    }
    return 0;
}

/* macro_value - the raw value of a macro letter into v */
static int
macro_value(int letter, const struct dnsc_spf_ctx *ctx, int exp_mode,
            struct buf *v)
{
    const char *sender = ctx->sender ? ctx->sender : "";
    const char *at = strrchr(sender, '@');
    char tmp[INET6_ADDRSTRLEN];

    switch (letter) {
    case 's':
        return buf_puts(v, sender);
    case 'l':
        /* An empty local-part is "postmaster" (section 4.3). */
        if (at == NULL || at == sender)
            return buf_puts(v, "postmaster");
        return buf_append(v, sender, (size_t) (at - sender));
    case 'o':
        return buf_puts(v, at ? at + 1 : sender);
    case 'd':
        return buf_puts(v, ctx->domain ? ctx->domain : "");
    case 'h':
        return buf_puts(v, ctx->helo ? ctx->helo : "");
    case 'v':
        return buf_puts(v, ctx->ipv6 ? "ip6" : "in-addr");
    case 'p':
        /* No validated PTR name here; "unknown" is what 7.3 allows. */
        return buf_puts(v, "unknown");
    case 'i':
        if (ctx->ip == NULL)
            return buf_puts(v, "0.0.0.0");
        if (!ctx->ipv6)
            return buf_printf(v, "%u.%u.%u.%u", ctx->ip[0], ctx->ip[1],
                              ctx->ip[2], ctx->ip[3]);
        for (int i = 0; i < 16; i++)
            if (buf_printf(v, "%s%x.%x", i ? "." : "", ctx->ip[i] >> 4,
                           ctx->ip[i] & 15) < 0)
                return -1;
        return 0;
    case 'c':
    case 'r':
    case 't':
        if (!exp_mode)
            return -2;
        if (letter == 'r')
            return buf_puts(v, ctx->receiver ? ctx->receiver : "unknown");
        if (letter == 't')
            return buf_printf(v, "%lld", (long long) time(NULL));
        if (ctx->ip == NULL)
            return buf_puts(v, "0.0.0.0");
        if (inet_ntop(ctx->ipv6 ? AF_INET6 : AF_INET, ctx->ip, tmp,
                      sizeof(tmp)) == NULL)
            return -1;
        return buf_puts(v, tmp);
    default:
        return -2;
    }
}

/* transform - split value on delims, reverse, keep the right n parts */
static int
transform(const char *val, const char *delims, long keep, int reverse,
          struct buf *out, int escape)
{
    const char *part[256];
    size_t plen[256], np = 0, start;
    const char *cp = val;

    /* Split into at most 256 parts; the rest stays in the last one. */
    for (;;) {
        size_t n = np < 255 ? strcspn(cp, delims) : strlen(cp);

        part[np] = cp;
        plen[np++] = n;
        if (cp[n] == 0)
            break;
        cp += n + 1;
    }
    if (reverse) {
        for (size_t i = 0; i < np / 2; i++) {
            const char *tp = part[i];
            size_t tl = plen[i];

            part[i] = part[np - 1 - i];
            plen[i] = plen[np - 1 - i];
            part[np - 1 - i] = tp;
            plen[np - 1 - i] = tl;
        }
    }
    start = (keep > 0 && (size_t) keep < np) ? np - (size_t) keep : 0;
    for (size_t i = start; i < np; i++) {
        if (i > start && buf_putc(out, '.') < 0)
            return -1;
        if (put_escaped(out, part[i], plen[i], escape) < 0)
            return -1;
    }
    return 0;
}

int
dnsc_spf_expand(const char *spec, const struct dnsc_spf_ctx *ctx, int exp_mode,
                struct buf *out, struct buf *err)
{
    const char *cp = spec;

    while (*cp) {
        unsigned char c = (unsigned char) *cp;

        if (c != '%') {
            if ((c < 0x21 || c > 0x7e) && !(exp_mode && c == ' ')) {
                set_err(err, "invalid character 0x%02x", c);
                return -1;
            }
            if (buf_putc(out, c) < 0)
                goto toolong;
            cp++;
            continue;
        }
        switch (cp[1]) {
        case '%':
            if (buf_putc(out, '%') < 0)
                goto toolong;
            cp += 2;
            continue;
        case '_':
            if (buf_putc(out, ' ') < 0)
                goto toolong;
            cp += 2;
            continue;
        case '-':
            if (buf_puts(out, "%20") < 0)
                goto toolong;
            cp += 2;
            continue;
        case '{':
            break;
        default:
            set_err(err, "\"%%\" must be followed by \"{\", \"%%\", \"_\" "
                         "or \"-\"");
            return -1;
        }
        {
            const char *mp = cp + 2;
            int letter = (unsigned char) *mp, escape, rc;
            long keep = 0;
            int reverse = 0;
            char delims[8];
            size_t nd = 0, nd_digits = 0;
            struct buf val;

            if (!is_alpha(letter)) {
                set_err(err, "missing macro letter after \"%%{\"");
                return -1;
            }
            escape = letter >= 'A' && letter <= 'Z';
            letter = lower(letter);
            mp++;
            while (is_digit((unsigned char) *mp)) {
                if (++nd_digits > 3) {
                    set_err(err, "macro transformer number too large");
                    return -1;
                }
                keep = keep * 10 + (*mp++ - '0');
            }
            if (nd_digits && keep == 0) {
                set_err(err, "macro transformer must not be 0");
                return -1;
            }
            if (lower((unsigned char) *mp) == 'r') {
                reverse = 1;
                mp++;
            }
            while (*mp && strchr(".-+,/_=", *mp)) {
                if (nd < sizeof(delims) - 1 && !memchr(delims, *mp, nd))
                    delims[nd++] = *mp;
                mp++;
            }
            delims[nd] = 0;
            if (*mp != '}') {
                set_err(err, "unterminated or invalid macro \"%%{%c...\"",
                        cp[2]);
                return -1;
            }
            buf_init(&val, 4096);
            rc = macro_value(letter, ctx, exp_mode, &val);
            if (rc == -2) {
                buf_fini(&val);
                set_err(err, "unknown macro letter \"%c\"", cp[2]);
                return -1;
            }
            if (rc < 0 || transform(buf_str(&val), nd ? delims : ".", keep,
                                    reverse, out, escape) < 0) {
                buf_fini(&val);
                goto toolong;
            }
            buf_fini(&val);
            cp = mp + 1;
        }
    }
    return 0;
toolong:
    set_err(err, "expansion too long");
    return -1;
}

/*
 * SPF record parser.
 */

int
dnsc_spf_is_record(const char *txt)
{
    size_t n = ci_prefix(txt, "v=spf1");

    return n && (txt[n] == 0 || txt[n] == ' ');
}

/* valid_toplabel - RFC 7208 toplabel: alnum and '-', not all digits */
static int
valid_toplabel(const char *s, size_t n)
{
    int alpha = 0, hyphen = 0;

    if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char) s[i];

        if (is_alpha(c))
            alpha = 1;
        else if (c == '-')
            hyphen = 1;
        else if (!is_digit(c))
            return 0;
    }
    return alpha || hyphen;
}

/* check_domain_spec - macro-string syntax plus domain-end (section 7.1) */
static int
check_domain_spec(const char *spec, size_t n, struct buf *err)
{
    static const unsigned char ip4[4] = {192, 0, 2, 1};
    static const struct dnsc_spf_ctx ctx = {
        "a@b.example", "b.example", "h.example", ip4, 0, NULL};
    char *s = mem_strndup(spec, n);
    struct buf out;
    const char *dot, *end;
    size_t len;
    int rc = 0;

    buf_init(&out, 8192);
    if (n == 0) {
        set_err(err, "empty domain-spec");
        rc = -1;
    } else if (dnsc_spf_expand(s, &ctx, 0, &out, err) < 0) {
        rc = -1;
    } else if (s[n - 1] == '}') {
        /* Ends with a macro-expand: a valid domain-end. */
    } else {
        len = n;
        if (s[len - 1] == '.')
            len--;
        end = s + len;
        dot = NULL;
        for (const char *cp = s; cp < end; cp++)
            if (*cp == '.')
                dot = cp;
        if (dot == NULL || !valid_toplabel(dot + 1, (size_t) (end - dot - 1)) ||
            (len >= 2 && s[len - 1] == '}')) {
            set_err(err, "\"%s\" does not end in a valid top label", s);
            rc = -1;
        }
    }
    buf_fini(&out);
    mem_free(s);
    return rc;
}

/* split_cidr - find a "/..." suffix outside %{...}; its offset or n */
static size_t
split_cidr(const char *s, size_t n)
{
    int in_macro = 0;

    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 1 < n && s[i + 1] == '{')
            in_macro = 1;
        else if (s[i] == '}')
            in_macro = 0;
        else if (s[i] == '/' && !in_macro)
            return i;
    }
    return n;
}

/* parse_dual_cidr - "/N", "//M" or "/N//M" */
static int
parse_dual_cidr(const char *s, size_t n, int *c4, int *c6)
{
    const char *dbl;
    long v;

    *c4 = *c6 = -1;
    if (n == 0)
        return 0;
    dbl = NULL;
    for (size_t i = 0; i + 1 < n; i++) {
        if (s[i] == '/' && s[i + 1] == '/') {
            dbl = s + i;
            break;
        }
    }
    if (dbl != s) {
        size_t l4 = dbl ? (size_t) (dbl - s) : n;

        if (s[0] != '/' || parse_uint(s + 1, l4 - 1, 32, &v) < 0)
            return -1;
        *c4 = (int) v;
    }
    if (dbl) {
        size_t l6 = n - (size_t) (dbl - s) - 2;

        if (parse_uint(dbl + 2, l6, 128, &v) < 0)
            return -1;
        *c6 = (int) v;
    }
    return 0;
}

static int
parse_ip_net(const char *s, size_t n, int v6, unsigned char *addr, int *cidr)
{
    char tmp[INET6_ADDRSTRLEN + 8];
    size_t slash = n;
    long v;

    for (size_t i = 0; i < n; i++) {
        if (s[i] == '/') {
            slash = i;
            break;
        }
    }
    if (slash == 0 || slash >= sizeof(tmp))
        return -1;
    memcpy(tmp, s, slash);
    tmp[slash] = 0;
    if (inet_pton(v6 ? AF_INET6 : AF_INET, tmp, addr) != 1)
        return -1;
    *cidr = -1;
    if (slash < n) {
        if (parse_uint(s + slash + 1, n - slash - 1, v6 ? 128 : 32, &v) < 0)
            return -1;
        *cidr = (int) v;
    }
    return 0;
}

static const struct {
    const char *name;
    enum dnsc_spf_mech mech;
} mechs[] = {
    {"all", DNSC_SPF_ALL}, {"include", DNSC_SPF_INCLUDE}, {"a", DNSC_SPF_A},
    {"mx", DNSC_SPF_MX},   {"ptr", DNSC_SPF_PTR},         {"ip4", DNSC_SPF_IP4},
    {"ip6", DNSC_SPF_IP6}, {"exists", DNSC_SPF_EXISTS},
};

/* parse_term - one directive or modifier */
static int
parse_term(struct dnsc_spf *spf, const char *s, size_t n, size_t idx,
           struct buf *err)
{
    struct dnsc_spf_term t;
    const char *term = s;
    size_t term_len = n;
    size_t name_len = strcspn(s, ":/=");
    const char *arg;
    size_t arg_len, i;
    struct buf sub;
    int rc = -1;

    if (name_len > n)
        name_len = n;
    buf_init(&sub, 1024);
    memset(&t, 0, sizeof(t));
    t.cidr4 = t.cidr6 = -1;

    /* A modifier: name "=" macro-string. */
    if (name_len < n && s[name_len] == '=') {
        char **slot = NULL;

        if (name_len == 0 || !is_alpha((unsigned char) s[0])) {
            set_err(err, "term %zu \"%.*s\": bad modifier name", idx, (int) n,
                    s);
            goto out;
        }
        for (i = 1; i < name_len; i++) {
            unsigned char c = (unsigned char) s[i];

            if (!is_alnum(c) && c != '-' && c != '_' && c != '.') {
                set_err(err, "term %zu \"%.*s\": bad modifier name", idx,
                        (int) n, s);
                goto out;
            }
        }
        arg = s + name_len + 1;
        arg_len = n - name_len - 1;
        if (ci_equal(s, name_len, "redirect"))
            slot = &spf->redirect;
        else if (ci_equal(s, name_len, "exp"))
            slot = &spf->exp;
        if (slot) {
            if (*slot) {
                set_err(err, "term %zu \"%.*s\": %.*s= given twice", idx,
                        (int) n, s, (int) name_len, s);
                goto out;
            }
            if (check_domain_spec(arg, arg_len, &sub) < 0) {
                set_err(err, "term %zu \"%.*s\": %s", idx, (int) n, s,
                        buf_str(&sub));
                goto out;
            }
            *slot = mem_strndup(arg, arg_len);
        } else {
            char *v = mem_strndup(arg, arg_len);
            static const struct dnsc_spf_ctx ctx = {
                "a@b.example", "b.example", "h.example", NULL, 0, NULL};
            struct buf out;

            buf_init(&out, 8192);
            rc = dnsc_spf_expand(v, &ctx, 0, &out, &sub);
            buf_fini(&out);
            mem_free(v);
            if (rc < 0) {
                set_err(err, "term %zu \"%.*s\": %s", idx, (int) n, s,
                        buf_str(&sub));
                goto out;
            }
        }
        rc = 0;
        goto out;
    }

    /* A directive: [qualifier] mechanism. */
    t.qual = '+';
    if (n && strchr("+-~?", s[0])) {
        t.qual = s[0];
        s++;
        n--;
        name_len = strcspn(s, ":/=");
        if (name_len > n)
            name_len = n;
    }
    for (i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++)
        if (ci_equal(s, name_len, mechs[i].name))
            break;
    if (i == sizeof(mechs) / sizeof(mechs[0])) {
        set_err(err, "term %zu \"%.*s\": unknown mechanism", idx, (int) n, s);
        goto out;
    }
    t.mech = mechs[i].mech;
    arg = s + name_len;
    arg_len = n - name_len;
    switch (t.mech) {
    case DNSC_SPF_ALL:
        if (arg_len) {
            set_err(err, "term %zu \"%.*s\": \"all\" takes no argument", idx,
                    (int) n, s);
            goto out;
        }
        break;
    case DNSC_SPF_INCLUDE:
    case DNSC_SPF_EXISTS:
        if (arg_len < 2 || arg[0] != ':') {
            set_err(err, "term %zu \"%.*s\": missing \":domain\"", idx, (int) n,
                    s);
            goto out;
        }
        if (check_domain_spec(arg + 1, arg_len - 1, &sub) < 0) {
            set_err(err, "term %zu \"%.*s\": %s", idx, (int) n, s,
                    buf_str(&sub));
            goto out;
        }
        t.domain = mem_strndup(arg + 1, arg_len - 1);
        break;
    case DNSC_SPF_A:
    case DNSC_SPF_MX:
    case DNSC_SPF_PTR: {
        size_t cut = split_cidr(arg, arg_len);

        if (cut > 0) {
            if (arg[0] != ':' || cut < 2) {
                set_err(err, "term %zu \"%.*s\": bad argument", idx, (int) n,
                        s);
                goto out;
            }
            if (check_domain_spec(arg + 1, cut - 1, &sub) < 0) {
                set_err(err, "term %zu \"%.*s\": %s", idx, (int) n, s,
                        buf_str(&sub));
                goto out;
            }
            t.domain = mem_strndup(arg + 1, cut - 1);
        }
        if (cut < arg_len && (t.mech == DNSC_SPF_PTR ||
                              parse_dual_cidr(arg + cut, arg_len - cut,
                                              &t.cidr4, &t.cidr6) < 0)) {
            set_err(err, "term %zu \"%.*s\": bad CIDR length", idx, (int) n, s);
            goto out;
        }
        break;
    }
    case DNSC_SPF_IP4:
    case DNSC_SPF_IP6: {
        int v6 = t.mech == DNSC_SPF_IP6;
        int cidr;

        if (arg_len < 2 || arg[0] != ':' ||
            parse_ip_net(arg + 1, arg_len - 1, v6, t.addr, &cidr) < 0) {
            set_err(err, "term %zu \"%.*s\": bad %s network", idx, (int) n, s,
                    v6 ? "IPv6" : "IPv4");
            goto out;
        }
        if (v6)
            t.cidr6 = cidr;
        else
            t.cidr4 = cidr;
        break;
    }
    }
    t.text = mem_strndup(term, term_len);
    spf->t = mem_realloc(spf->t, (spf->n + 1) * sizeof(*spf->t));
    spf->t[spf->n++] = t;
    memset(&t, 0, sizeof(t));
    rc = 0;
out:
    mem_free(t.domain);
    buf_fini(&sub);
    return rc;
}

int
dnsc_spf_parse(const char *txt, struct dnsc_spf *spf, struct buf *err)
{
    const char *cp;
    size_t idx = 0;

    memset(spf, 0, sizeof(*spf));
    if (!dnsc_spf_is_record(txt)) {
        set_err(err, "not an SPF record (no \"v=spf1\")");
        return -1;
    }
    cp = txt + 6;
    for (;;) {
        size_t n;

        while (*cp == ' ')
            cp++;
        if (*cp == 0)
            break;
        n = strcspn(cp, " ");
        idx++;
        if (idx > 512) {
            set_err(err, "too many terms");
            return -1;
        }
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char) cp[i];

            if (c < 0x21 || c > 0x7e) {
                set_err(err, "term %zu: invalid character 0x%02x", idx, c);
                return -1;
            }
        }
        if (parse_term(spf, cp, n, idx, err) < 0)
            return -1;
        cp += n;
    }
    return 0;
}

void
dnsc_spf_fini(struct dnsc_spf *spf)
{
    for (size_t i = 0; i < spf->n; i++) {
        mem_free(spf->t[i].domain);
        mem_free(spf->t[i].text);
    }
    mem_free(spf->t);
    mem_free(spf->redirect);
    mem_free(spf->exp);
    memset(spf, 0, sizeof(*spf));
}

/*
 * Tag-value lists: DMARC ("tag=value; ..."), MTA-STS and TLS-RPT
 * ("field=value; ..."). split_fields() hands each non-empty field to fn
 * with the tag and value trimmed.
 */
typedef int field_fn(void *ctx, const char *tag, size_t tlen, const char *val,
                     size_t vlen, size_t idx, struct buf *err);

static int
split_fields(const char *txt, int wsp_eq, field_fn *fn, void *ctx,
             struct buf *err)
{
    const char *cp = txt;
    size_t idx = 0;

    while (*cp) {
        size_t n = strcspn(cp, ";");
        const char *s = cp, *e = cp + n, *eq;

        cp = *e ? e + 1 : e;
        while (s < e && is_wsp((unsigned char) *s))
            s++;
        while (e > s && is_wsp((unsigned char) e[-1]))
            e--;
        if (s == e) {
            /* Only a trailing empty field is allowed. */
            for (const char *rp = cp; *rp; rp++) {
                if (!is_wsp((unsigned char) *rp)) {
                    set_err(err, "empty field before \"%.20s\"", rp);
                    return -1;
                }
            }
            if (idx == 0) {
                set_err(err, "empty record");
                return -1;
            }
            continue;
        }
        idx++;
        if (idx > 64) {
            set_err(err, "too many fields");
            return -1;
        }
        eq = memchr(s, '=', (size_t) (e - s));
        if (eq == NULL) {
            set_err(err, "field %zu \"%.*s\": missing \"=\"", idx,
                    (int) (e - s), s);
            return -1;
        }
        {
            const char *te = eq, *vs = eq + 1;

            /* DMARC allows spaces around "=", MTA-STS and TLS-RPT not. */
            if (!wsp_eq && ((te > s && is_wsp((unsigned char) te[-1])) ||
                            (vs < e && is_wsp((unsigned char) *vs)))) {
                set_err(err, "field %zu \"%.*s\": space next to \"=\"", idx,
                        (int) (e - s), s);
                return -1;
            }
            while (te > s && is_wsp((unsigned char) te[-1]))
                te--;
            while (vs < e && is_wsp((unsigned char) *vs))
                vs++;
            if (fn(ctx, s, (size_t) (te - s), vs, (size_t) (e - vs), idx, err) <
                0)
                return -1;
        }
    }
    return 0;
}

/* valid_uri - scheme ":" rest, with the schemes allowed; mailto needs '@' */
static int
valid_uri(const char *s, size_t n, const char *const *schemes)
{
    size_t i = 0;
    int ok = 0;

    if (n == 0 || !is_alpha((unsigned char) s[0]))
        return 0;
    while (i < n && (is_alnum((unsigned char) s[i]) || s[i] == '+' ||
                     s[i] == '-' || s[i] == '.'))
        i++;
    if (i >= n || s[i] != ':' || i + 1 >= n)
        return 0;
    for (const char *const *sp = schemes; *sp; sp++)
        if (ci_equal(s, i, *sp))
            ok = 1;
    if (!ok)
        return 0;
    for (size_t j = i + 1; j < n; j++) {
        unsigned char c = (unsigned char) s[j];

        if (c <= 0x20 || c >= 0x7f || c == ',' || c == ';')
            return 0;
    }
    if (ci_equal(s, i, "mailto")) {
        const char *at = memchr(s + i + 1, '@', n - i - 1);

        if (at == NULL || at == s + i + 1 || at == s + n - 1)
            return 0;
    }
    if (ci_equal(s, i, "https") &&
        (n - i - 1 < 3 || s[i + 1] != '/' || s[i + 2] != '/'))
        return 0;
    return 1;
}

/*
 * DMARC.
 */
struct dmarc_ctx {
    struct dnsc_dmarc *d;
    unsigned seen;
};

static const char *const dmarc_tags[] = {"v",    "p",   "sp",  "adkim",
                                         "aspf", "pct", "fo",  "rf",
                                         "ri",   "rua", "ruf", NULL};

static int
dmarc_uris(const char *val, size_t vlen, int *count, struct buf *err,
           const char *tag)
{
    static const char *const schemes[] = {"mailto", "https", "http", NULL};
    const char *cp = val, *end = val + vlen;

    *count = 0;
    while (cp <= end) {
        const char *comma = memchr(cp, ',', (size_t) (end - cp));
        const char *ue = comma ? comma : end, *us = cp, *bang;

        while (us < ue && is_wsp((unsigned char) *us))
            us++;
        while (ue > us && is_wsp((unsigned char) ue[-1]))
            ue--;
        /* An optional size limit: "!" 1*DIGIT [k|m|g|t]. */
        bang = memchr(us, '!', (size_t) (ue - us));
        if (bang) {
            const char *sp = bang + 1;
            size_t digits = 0;

            while (sp < ue && is_digit((unsigned char) *sp)) {
                sp++;
                digits++;
            }
            if (sp < ue && strchr("kmgtKMGT", *sp))
                sp++;
            if (digits == 0 || sp != ue) {
                set_err(err, "%s: bad size limit in \"%.*s\"", tag,
                        (int) (ue - us), us);
                return -1;
            }
        }
        if (!valid_uri(us, (size_t) ((bang ? bang : ue) - us), schemes)) {
            set_err(err, "%s: \"%.*s\" is not a mailto: or https: URI", tag,
                    (int) (ue - us), us);
            return -1;
        }
        (*count)++;
        if (comma == NULL)
            break;
        cp = comma + 1;
    }
    return 0;
}

static int
dmarc_field(void *vctx, const char *tag, size_t tlen, const char *val,
            size_t vlen, size_t idx, struct buf *err)
{
    struct dmarc_ctx *c = vctx;
    struct dnsc_dmarc *d = c->d;
    size_t t;
    long v;

    for (t = 0; dmarc_tags[t]; t++)
        if (strlen(dmarc_tags[t]) == tlen &&
            memcmp(dmarc_tags[t], tag, tlen) == 0)
            break;
    if (idx == 1 && !(t == 0 && vlen == 6 && memcmp(val, "DMARC1", 6) == 0)) {
        set_err(err, "the first tag must be \"v=DMARC1\"");
        return -1;
    }
    if (dmarc_tags[t] == NULL)
        return 0; /* unknown tags are ignored (section 6.3) */
    if (c->seen & (1u << t)) {
        set_err(err, "tag \"%s\" given twice", dmarc_tags[t]);
        return -1;
    }
    c->seen |= 1u << t;
    switch (t) {
    case 0:
        if (idx != 1) {
            set_err(err, "\"v\" must be the first tag");
            return -1;
        }
        return 0;
    case 1:
    case 2: {
        static const char *const pol[] = {"none", "quarantine", "reject", NULL};
        char *dst = t == 1 ? d->p : d->sp;

        for (const char *const *pp = pol; *pp; pp++) {
            if (ci_equal(val, vlen, *pp)) {
                snprintf(dst, sizeof(d->p), "%s", *pp);
                return 0;
            }
        }
        set_err(err, "%s=%.*s: must be none, quarantine or reject",
                dmarc_tags[t], (int) vlen, val);
        return -1;
    }
    case 3:
    case 4:
        if (vlen != 1 || (lower(val[0]) != 'r' && lower(val[0]) != 's')) {
            set_err(err, "%s=%.*s: must be r or s", dmarc_tags[t], (int) vlen,
                    val);
            return -1;
        }
        if (t == 3)
            d->adkim = (char) lower(val[0]);
        else
            d->aspf = (char) lower(val[0]);
        return 0;
    case 5:
        if (parse_uint(val, vlen, 100, &v) < 0) {
            set_err(err, "pct=%.*s: must be 0 to 100", (int) vlen, val);
            return -1;
        }
        d->pct = (int) v;
        return 0;
    case 6:
        for (size_t i = 0; i < vlen; i++) {
            if (!strchr("01ds:", val[i]) || (val[i] == ':') == (i % 2 == 0)) {
                set_err(err, "fo=%.*s: must be 0, 1, d or s, joined by \":\"",
                        (int) vlen, val);
                return -1;
            }
        }
        if (vlen == 0 || val[vlen - 1] == ':') {
            set_err(err, "fo=%.*s: must be 0, 1, d or s, joined by \":\"",
                    (int) vlen, val);
            return -1;
        }
        return 0;
    case 7:
        for (size_t i = 0; i < vlen; i++) {
            if (!is_alnum((unsigned char) val[i]) && val[i] != ':' &&
                val[i] != '-') {
                set_err(err, "rf=%.*s: bad report format list", (int) vlen,
                        val);
                return -1;
            }
        }
        if (vlen == 0) {
            set_err(err, "rf=: empty report format list");
            return -1;
        }
        return 0;
    case 8:
        if (parse_uint(val, vlen, 4294967295L, &v) < 0) {
            set_err(err, "ri=%.*s: must be a number of seconds", (int) vlen,
                    val);
            return -1;
        }
        return 0;
    case 9:
        return dmarc_uris(val, vlen, &d->nrua, err, "rua");
    default:
        return dmarc_uris(val, vlen, &d->nruf, err, "ruf");
    }
}

int
dnsc_dmarc_is_record(const char *txt)
{
    const char *cp = txt;

    while (is_wsp((unsigned char) *cp))
        cp++;
    if (*cp++ != 'v')
        return 0;
    while (is_wsp((unsigned char) *cp))
        cp++;
    if (*cp++ != '=')
        return 0;
    while (is_wsp((unsigned char) *cp))
        cp++;
    if (strncmp(cp, "DMARC1", 6) != 0)
        return 0;
    cp += 6;
    while (is_wsp((unsigned char) *cp))
        cp++;
    return *cp == 0 || *cp == ';';
}

int
dnsc_dmarc_parse(const char *txt, struct dnsc_dmarc *d, struct buf *err)
{
    struct dmarc_ctx c = {d, 0};

    memset(d, 0, sizeof(*d));
    d->pct = 100;
    d->adkim = d->aspf = 'r';
    if (split_fields(txt, 1, dmarc_field, &c, err) < 0)
        return -1;
    if (!(c.seen & 1u)) {
        set_err(err, "the first tag must be \"v=DMARC1\"");
        return -1;
    }
    if (!(c.seen & 2u)) {
        set_err(err, "no \"p=\" (policy) tag");
        return -1;
    }
    return 0;
}

/*
 * MTA-STS and TLS-RPT: "v=..." then fields; extension names and values
 * have the same syntax in both (RFC 8461 3.1, RFC 8460 3).
 */
struct kv_ctx {
    const char *version; /* "STSv1" or "TLSRPTv1" */
    int have_main;       /* id= or rua= seen */
};

static int
ext_field_ok(const char *tag, size_t tlen, const char *val, size_t vlen)
{
    if (tlen == 0 || tlen > 32 || !is_alnum((unsigned char) tag[0]))
        return 0;
    for (size_t i = 1; i < tlen; i++) {
        unsigned char c = (unsigned char) tag[i];

        if (!is_alnum(c) && c != '_' && c != '-' && c != '.')
            return 0;
    }
    if (vlen == 0)
        return 0;
    for (size_t i = 0; i < vlen; i++) {
        unsigned char c = (unsigned char) val[i];

        if (c < 0x21 || c > 0x7e || c == ';' || c == '=')
            return 0;
    }
    return 1;
}

static int
version_field(const struct kv_ctx *c, const char *tag, size_t tlen,
              const char *val, size_t vlen, size_t idx, struct buf *err)
{
    int is_v = tlen == 1 && tag[0] == 'v';

    if (idx == 1) {
        if (!is_v || vlen != strlen(c->version) ||
            memcmp(val, c->version, vlen) != 0) {
            set_err(err, "the first field must be \"v=%s\"", c->version);
            return -1;
        }
        return 1;
    }
    if (is_v) {
        set_err(err, "\"v\" must be the first field only");
        return -1;
    }
    return 0;
}

static int
sts_field(void *vctx, const char *tag, size_t tlen, const char *val,
          size_t vlen, size_t idx, struct buf *err)
{
    struct kv_ctx *c = vctx;
    int rc = version_field(c, tag, tlen, val, vlen, idx, err);

    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (tlen == 2 && memcmp(tag, "id", 2) == 0) {
        if (c->have_main) {
            set_err(err, "field \"id\" given twice");
            return -1;
        }
        if (vlen == 0 || vlen > 32) {
            set_err(err, "id=%.*s: must be 1 to 32 letters or digits",
                    (int) vlen, val);
            return -1;
        }
        for (size_t i = 0; i < vlen; i++) {
            if (!is_alnum((unsigned char) val[i])) {
                set_err(err, "id=%.*s: must be 1 to 32 letters or digits",
                        (int) vlen, val);
                return -1;
            }
        }
        c->have_main = 1;
        return 0;
    }
    if (!ext_field_ok(tag, tlen, val, vlen)) {
        set_err(err, "field %zu \"%.*s=%.*s\": bad extension field", idx,
                (int) tlen, tag, (int) vlen, val);
        return -1;
    }
    return 0;
}

static int
tlsrpt_field(void *vctx, const char *tag, size_t tlen, const char *val,
             size_t vlen, size_t idx, struct buf *err)
{
    static const char *const schemes[] = {"mailto", "https", NULL};
    struct kv_ctx *c = vctx;
    int rc = version_field(c, tag, tlen, val, vlen, idx, err);

    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (tlen == 3 && memcmp(tag, "rua", 3) == 0) {
        const char *cp = val, *end = val + vlen;

        if (c->have_main) {
            set_err(err, "field \"rua\" given twice");
            return -1;
        }
        for (;;) {
            const char *comma = memchr(cp, ',', (size_t) (end - cp));
            const char *us = cp, *ue = comma ? comma : end;

            while (us < ue && is_wsp((unsigned char) *us))
                us++;
            while (ue > us && is_wsp((unsigned char) ue[-1]))
                ue--;
            if (!valid_uri(us, (size_t) (ue - us), schemes)) {
                set_err(err, "rua: \"%.*s\" is not a mailto: or https: URI",
                        (int) (ue - us), us);
                return -1;
            }
            if (comma == NULL)
                break;
            cp = comma + 1;
        }
        c->have_main = 1;
        return 0;
    }
    if (!ext_field_ok(tag, tlen, val, vlen)) {
        set_err(err, "field %zu \"%.*s=%.*s\": bad extension field", idx,
                (int) tlen, tag, (int) vlen, val);
        return -1;
    }
    return 0;
}

static int
kv_is_record(const char *txt, const char *version)
{
    size_t n = strlen(version);

    return strncmp(txt, "v=", 2) == 0 && strncmp(txt + 2, version, n) == 0 &&
           (txt[2 + n] == 0 || txt[2 + n] == ';' ||
            is_wsp((unsigned char) txt[2 + n]));
}

int
dnsc_sts_is_record(const char *txt)
{
    return kv_is_record(txt, "STSv1");
}

int
dnsc_sts_parse(const char *txt, struct buf *err)
{
    struct kv_ctx c = {"STSv1", 0};

    if (split_fields(txt, 0, sts_field, &c, err) < 0)
        return -1;
    if (!c.have_main) {
        set_err(err, "no \"id=\" field");
        return -1;
    }
    return 0;
}

int
dnsc_tlsrpt_is_record(const char *txt)
{
    return kv_is_record(txt, "TLSRPTv1");
}

int
dnsc_tlsrpt_parse(const char *txt, struct buf *err)
{
    struct kv_ctx c = {"TLSRPTv1", 0};

    if (split_fields(txt, 0, tlsrpt_field, &c, err) < 0)
        return -1;
    if (!c.have_main) {
        set_err(err, "no \"rua=\" field");
        return -1;
    }
    return 0;
}
