/*
 * dnscheck_txtrec - parsers of the tag-value TXT records: DMARC (RFC
 *	7489 section 6.4), MTA-STS (RFC 8461 section 3.1) and TLS-RPT (RFC
 *	8460 section 3).
 *
 * DESCRIPTION
 *	Pure text processing, bounded, ASCII-only (see dnscheck_spfrec.c).
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
    struct dnscheck_dmarc *d;
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
    struct dnscheck_dmarc *d = c->d;
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
dnscheck_dmarc_is_record(const char *txt)
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
dnscheck_dmarc_parse(const char *txt, struct dnscheck_dmarc *d, struct buf *err)
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
dnscheck_sts_is_record(const char *txt)
{
    return kv_is_record(txt, "STSv1");
}

int
dnscheck_sts_parse(const char *txt, struct buf *err)
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
dnscheck_tlsrpt_is_record(const char *txt)
{
    return kv_is_record(txt, "TLSRPTv1");
}

int
dnscheck_tlsrpt_parse(const char *txt, struct buf *err)
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
