/*
 * dnscheck_spfrec - the SPF record parser (RFC 7208 section 4.6 and 12:
 *	terms, mechanisms, modifiers, dual CIDR lengths, domain-spec
 *	syntax) and SPF macro expansion (section 7).
 *
 * DESCRIPTION
 *	Pure text processing: no DNS, no ldns calls. Input comes from the
 *	network, so everything is bounded and ASCII-only character classes
 *	are used (no locale).
 *
 * DIAGNOSTICS
 *	Parsers stop at the first problem and describe it in err.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dnscheck/dnscheck_int.h"

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
macro_value(int letter, const struct dnscheck_spf_ctx *ctx, int exp_mode,
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
dnscheck_spf_expand(const char *spec, const struct dnscheck_spf_ctx *ctx,
                    int exp_mode, struct buf *out, struct buf *err)
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
dnscheck_spf_is_record(const char *txt)
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
    static const struct dnscheck_spf_ctx ctx = {
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
    } else if (dnscheck_spf_expand(s, &ctx, 0, &out, err) < 0) {
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
    enum dnscheck_spf_mech mech;
} mechs[] = {
    {"all", DNSCHECK_SPF_ALL}, {"include", DNSCHECK_SPF_INCLUDE},
    {"a", DNSCHECK_SPF_A},     {"mx", DNSCHECK_SPF_MX},
    {"ptr", DNSCHECK_SPF_PTR}, {"ip4", DNSCHECK_SPF_IP4},
    {"ip6", DNSCHECK_SPF_IP6}, {"exists", DNSCHECK_SPF_EXISTS},
};

/* parse_modifier - name "=" macro-string: redirect= and exp= kept in
 * spf, unknown modifiers checked for syntax only */
static int
parse_modifier(struct dnscheck_spf *spf, const char *s, size_t n,
               size_t name_len, size_t idx, struct buf *err)
{
    const char *arg = s + name_len + 1;
    size_t arg_len = n - name_len - 1;
    char **slot = NULL;
    struct buf sub;
    int rc = -1;

    buf_init(&sub, 1024);
    if (name_len == 0 || !is_alpha((unsigned char) s[0])) {
        set_err(err, "term %zu \"%.*s\": bad modifier name", idx, (int) n, s);
        goto out;
    }
    for (size_t i = 1; i < name_len; i++) {
        unsigned char c = (unsigned char) s[i];

        if (!is_alnum(c) && c != '-' && c != '_' && c != '.') {
            set_err(err, "term %zu \"%.*s\": bad modifier name", idx, (int) n,
                    s);
            goto out;
        }
    }
    if (ci_equal(s, name_len, "redirect"))
        slot = &spf->redirect;
    else if (ci_equal(s, name_len, "exp"))
        slot = &spf->exp;
    if (slot) {
        if (*slot) {
            set_err(err, "term %zu \"%.*s\": %.*s= given twice", idx, (int) n,
                    s, (int) name_len, s);
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
        static const struct dnscheck_spf_ctx ctx = {
            "a@b.example", "b.example", "h.example", NULL, 0, NULL};
        struct buf out;
        int erc;

        buf_init(&out, 8192);
        erc = dnscheck_spf_expand(v, &ctx, 0, &out, &sub);
        buf_fini(&out);
        mem_free(v);
        if (erc < 0) {
            set_err(err, "term %zu \"%.*s\": %s", idx, (int) n, s,
                    buf_str(&sub));
            goto out;
        }
    }
    rc = 0;
out:
    buf_fini(&sub);
    return rc;
}

/* parse_mech_arg - the argument of mechanism t->mech (arg, arg_len:
 * what follows its name) into t; s, n: the term for messages */
static int
parse_mech_arg(struct dnscheck_spf_term *t, const char *arg, size_t arg_len,
               const char *s, size_t n, size_t idx, struct buf *err)
{
    struct buf sub;
    int rc = -1;

    buf_init(&sub, 1024);
    switch (t->mech) {
    case DNSCHECK_SPF_ALL:
        if (arg_len) {
            set_err(err, "term %zu \"%.*s\": \"all\" takes no argument", idx,
                    (int) n, s);
            goto out;
        }
        break;
    case DNSCHECK_SPF_INCLUDE:
    case DNSCHECK_SPF_EXISTS:
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
        t->domain = mem_strndup(arg + 1, arg_len - 1);
        break;
    case DNSCHECK_SPF_A:
    case DNSCHECK_SPF_MX:
    case DNSCHECK_SPF_PTR: {
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
            t->domain = mem_strndup(arg + 1, cut - 1);
        }
        if (cut < arg_len && (t->mech == DNSCHECK_SPF_PTR ||
                              parse_dual_cidr(arg + cut, arg_len - cut,
                                              &t->cidr4, &t->cidr6) < 0)) {
            set_err(err, "term %zu \"%.*s\": bad CIDR length", idx, (int) n, s);
            goto out;
        }
        break;
    }
    case DNSCHECK_SPF_IP4:
    case DNSCHECK_SPF_IP6: {
        int v6 = t->mech == DNSCHECK_SPF_IP6;
        int cidr;

        if (arg_len < 2 || arg[0] != ':' ||
            parse_ip_net(arg + 1, arg_len - 1, v6, t->addr, &cidr) < 0) {
            set_err(err, "term %zu \"%.*s\": bad %s network", idx, (int) n, s,
                    v6 ? "IPv6" : "IPv4");
            goto out;
        }
        if (v6)
            t->cidr6 = cidr;
        else
            t->cidr4 = cidr;
        break;
    }
    }
    rc = 0;
out:
    buf_fini(&sub);
    return rc;
}

/* parse_term - one directive or modifier */
static int
parse_term(struct dnscheck_spf *spf, const char *s, size_t n, size_t idx,
           struct buf *err)
{
    struct dnscheck_spf_term t;
    const char *term = s;
    size_t term_len = n;
    size_t name_len = strcspn(s, ":/=");
    size_t i;

    if (name_len > n)
        name_len = n;
    /* A modifier: name "=" macro-string. */
    if (name_len < n && s[name_len] == '=')
        return parse_modifier(spf, s, n, name_len, idx, err);

    /* A directive: [qualifier] mechanism. */
    memset(&t, 0, sizeof(t));
    t.cidr4 = t.cidr6 = -1;
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
        return -1;
    }
    t.mech = mechs[i].mech;
    if (parse_mech_arg(&t, s + name_len, n - name_len, s, n, idx, err) < 0) {
        mem_free(t.domain);
        return -1;
    }
    t.text = mem_strndup(term, term_len);
    spf->t = mem_realloc(spf->t, (spf->n + 1) * sizeof(*spf->t));
    spf->t[spf->n++] = t;
    return 0;
}

int
dnscheck_spf_parse(const char *txt, struct dnscheck_spf *spf, struct buf *err)
{
    const char *cp;
    size_t idx = 0;

    memset(spf, 0, sizeof(*spf));
    if (!dnscheck_spf_is_record(txt)) {
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
dnscheck_spf_fini(struct dnscheck_spf *spf)
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
