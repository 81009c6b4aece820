/*
 * dnscheck_spf - SPF evaluation (RFC 7208 check_host) and lookup counting.
 *
 * DESCRIPTION
 *	dnscheck_spf_check() does two walks over a domain's SPF tree. The first
 *	counts every DNS-querying term (include, a, mx, ptr, exists,
 *	redirect) and every void lookup in the whole tree: that is what a
 *	receiver spends on mail that matches nothing, so the limits of
 *	section 4.6.4 (10 and 2) are checked against it. The second is
 *	check_host() proper for the given address, stopping at the first
 *	match, with sender postmaster@domain (section 2.4).
 *
 * BUGS
 *	The %{p} macro expands to "unknown"; exp= is not evaluated.
 */
#include <stdio.h>
#include <string.h>

#include "dnscheck/dnscheck_int.h"

#define SPF_MAX_DEPTH 10
#define SPF_MAX_MX    10
#define SPF_MAX_PTR   10

enum res {
    R_PASS,
    R_FAIL,
    R_SOFTFAIL,
    R_NEUTRAL,
    R_NONE,
    R_PERMERROR,
    R_TEMPERROR,
};

static const char *const res_names[] = {
    "pass", "fail", "softfail", "neutral", "none", "permerror", "temperror"};

struct walk {
    struct dnscheck_res *d;
    const char *origin; /* the domain dnscheck_spf_check was asked about */
    const struct dnscheck_ip *ip;
    const char *helo;
    struct dnscheck_spf_result *res;
    struct strv path; /* domains being walked (loop detection) */
};

/* get_record - domain's SPF record: 1 found, 0 none, -1 permerror,
 * -2 temperror; the parsed record in spf, the reason in why */
static int
get_record(struct walk *w, const char *domain, struct dnscheck_spf *spf,
           struct buf *why, int *is_void)
{
    const struct dns_q *q = dnscheck_res_get(w->d, domain, LDNS_RR_TYPE_TXT);
    ldns_rr_list *txt;
    char *found = NULL;
    int count = 0, rc;

    memset(spf, 0, sizeof(*spf));
    if (is_void)
        *is_void = dns_q_is_empty(q, LDNS_RR_TYPE_TXT);
    if (q->st == DNS_Q_PENDING) {
        w->res->pending = 1;
        return 0;
    }
    if (q->st == DNS_Q_FAIL) {
        buf_printf(why, "TXT %s: %s", domain, q->error ? q->error : "failed");
        return -2;
    }
    txt = dns_q_rrs(q, LDNS_RR_TYPE_TXT);
    for (size_t i = 0; i < ldns_rr_list_rr_count(txt); i++) {
        char *s = dnscheck_rr_txt(ldns_rr_list_rr(txt, i));

        if (dnscheck_spf_is_record(s)) {
            count++;
            mem_free(found);
            found = s;
        } else {
            mem_free(s);
        }
    }
    ldns_rr_list_free(txt);
    if (count == 0)
        return 0;
    if (count > 1) {
        mem_free(found);
        buf_printf(why, "%s has %d SPF records", domain, count);
        return -1;
    }
    {
        struct buf err;

        buf_init(&err, 0);
        rc = dnscheck_spf_parse(found, spf, &err) < 0 ? -1 : 1;
        if (rc < 0)
            buf_printf(why, "%s: %s", domain, buf_str(&err));
        buf_fini(&err);
    }
    mem_free(found);
    return rc;
}

/* target - expand a domain-spec (or take cur) into out; 0 or -1 */
static int
target(struct walk *w, const char *spec, const char *cur, struct buf *out)
{
    struct dnscheck_spf_ctx ctx;
    struct buf sender;
    int rc;

    buf_truncate(out, 0);
    if (spec == NULL)
        return buf_puts(out, cur);
    buf_init(&sender, 0);
    buf_printf(&sender, "postmaster@%s", w->origin);
    memset(&ctx, 0, sizeof(ctx));
    ctx.sender = buf_str(&sender);
    ctx.domain = cur;
    ctx.helo = w->helo;
    ctx.ip = w->ip ? w->ip->a : NULL;
    ctx.ipv6 = w->ip ? w->ip->v6 : 0;
    rc = dnscheck_spf_expand(spec, &ctx, 0, out, NULL);
    buf_fini(&sender);
    if (rc < 0)
        return -1;
    /* Section 7.3: drop left-hand labels until it fits in 253. */
    while (out->len > 253) {
        const char *dot = strchr(buf_str(out), '.');
        size_t cut;

        if (dot == NULL)
            return -1;
        cut = (size_t) (dot - buf_str(out)) + 1;
        memmove(out->data, out->data + cut, out->len - cut + 1);
        out->len -= cut;
    }
    if (out->len && out->data[out->len - 1] == '.')
        buf_truncate(out, out->len - 1);
    return out->len ? 0 : -1;
}

static int
addr_type(const struct walk *w)
{
    return (w->ip && w->ip->v6) ? LDNS_RR_TYPE_AAAA : LDNS_RR_TYPE_A;
}

static void
note(struct strv *sv, const char *domain, const char *term)
{
    struct buf b;

    buf_init(&b, 0);
    buf_printf(&b, "%s: %s", domain, term);
    strv_adopt(sv, buf_steal(&b));
}

static int
on_path(const struct walk *w, const char *domain)
{
    for (size_t i = 0; i < w->path.n; i++)
        if (strcmp(w->path.v[i], domain) == 0)
            return 1;
    return 0;
}

static void count(struct walk *w, const char *domain, int depth);

/* count_target - the SPF record at tgt, which term of domain's record
 * (include or redirect) refers to: missing (PD026), else counted too.
 * voids: count and note a void lookup of the TXT query (redirect) */
static void
count_target(struct walk *w, const char *domain, const char *term,
             const char *tgt, int depth, struct strv *voids)
{
    struct dnscheck_spf sub;
    struct buf sw;
    int src, is_void = 0;

    buf_init(&sw, 0);
    src = get_record(w, tgt, &sub, &sw, voids ? &is_void : NULL);
    dnscheck_spf_fini(&sub);
    buf_fini(&sw);
    if (is_void) {
        w->res->voids++;
        note(voids, domain, term);
    }
    if (src == 0 && !w->res->pending) {
        struct buf m;

        buf_init(&m, 0);
        buf_printf(&m, "%s: %s: no SPF record at %s", domain, term, tgt);
        strv_adopt(&w->res->problems, buf_steal(&m));
        w->res->missing_include = 1;
    } else if (src > 0) {
        count(w, tgt, depth + 1);
    }
}

/* count - the whole-tree walk for the lookup and void limits */
static void
count(struct walk *w, const char *domain, int depth)
{
    struct dnscheck_spf spf;
    struct buf why, tgt;
    int has_all = 0, rc;

    if (depth > SPF_MAX_DEPTH || on_path(w, domain))
        return;
    buf_init(&why, 0);
    buf_init(&tgt, 0);
    rc = get_record(w, domain, &spf, &why, NULL);
    if (rc <= 0)
        goto out;
    strv_add(&w->path, domain);
    for (size_t i = 0; i < spf.n; i++) {
        const struct dnscheck_spf_term *t = &spf.t[i];
        const struct dns_q *q;
        int type = 0;

        if (t->mech == DNSCHECK_SPF_ALL)
            has_all = 1;
        if (t->mech == DNSCHECK_SPF_IP4 || t->mech == DNSCHECK_SPF_IP6 ||
            t->mech == DNSCHECK_SPF_ALL)
            continue;
        w->res->lookups++;
        note(&w->res->lookup_terms, domain, t->text);
        if (target(w, t->domain, domain, &tgt) < 0)
            continue;
        switch (t->mech) {
        case DNSCHECK_SPF_INCLUDE:
            type = LDNS_RR_TYPE_TXT;
            break;
        case DNSCHECK_SPF_MX:
            type = LDNS_RR_TYPE_MX;
            break;
        case DNSCHECK_SPF_PTR:
            /* Needs the client address; without one there is no query. */
            if (w->ip == NULL)
                continue;
            buf_truncate(&tgt, 0);
            dnscheck_ip_reverse_name(w->ip, &tgt);
            type = LDNS_RR_TYPE_PTR;
            break;
        case DNSCHECK_SPF_EXISTS:
            type = LDNS_RR_TYPE_A;
            break;
        default:
            type = addr_type(w);
            break;
        }
        q = dnscheck_res_get(w->d, buf_str(&tgt), type);
        if (q->st == DNS_Q_PENDING)
            w->res->pending = 1;
        if (dns_q_is_empty(q, type)) {
            w->res->voids++;
            note(&w->res->void_terms, domain, t->text);
        }
        if (t->mech == DNSCHECK_SPF_INCLUDE)
            count_target(w, domain, t->text, buf_str(&tgt), depth, NULL);
    }
    if (spf.redirect && !has_all) {
        struct buf term;

        w->res->lookups++;
        buf_init(&term, 0);
        buf_printf(&term, "redirect=%s", spf.redirect);
        note(&w->res->lookup_terms, domain, buf_str(&term));
        if (target(w, spf.redirect, domain, &tgt) == 0)
            count_target(w, domain, buf_str(&term), buf_str(&tgt), depth,
                         &w->res->void_terms);
        buf_fini(&term);
    }
    mem_free(w->path.v[--w->path.n]);
    w->path.v[w->path.n] = NULL;
out:
    dnscheck_spf_fini(&spf);
    buf_fini(&why);
    buf_fini(&tgt);
}

/* addr_match - name has an address of ip's family inside the cidr net;
 * 1, 0, or -1 on a DNS failure */
static int
addr_match(struct walk *w, const char *name, const struct dnscheck_spf_term *t)
{
    int type = addr_type(w);
    const struct dns_q *q = dnscheck_res_get(w->d, name, type);
    ldns_rr_list *l;
    int prefix = w->ip->v6 ? (t->cidr6 >= 0 ? t->cidr6 : 128)
                           : (t->cidr4 >= 0 ? t->cidr4 : 32);
    int hit = 0;

    if (q->st == DNS_Q_PENDING) {
        w->res->pending = 1;
        return 0;
    }
    if (q->st == DNS_Q_FAIL)
        return -1;
    l = dns_q_rrs(q, type);
    for (size_t i = 0; i < ldns_rr_list_rr_count(l) && !hit; i++) {
        struct dnscheck_ip a;

        if (dnscheck_ip_from_rr(ldns_rr_list_rr(l, i), &a) == 0 &&
            dnscheck_ip_in_net(w->ip, a.a, a.v6, prefix))
            hit = 1;
    }
    ldns_rr_list_free(l);
    return hit;
}

static int
is_sub_or_equal(const char *name, const char *dom)
{
    size_t n = strlen(name), m = strlen(dom);

    if (n == m)
        return strcmp(name, dom) == 0;
    return n > m && name[n - m - 1] == '.' && strcmp(name + n - m, dom) == 0;
}

static enum res eval(struct walk *w, const char *domain, int depth,
                     struct buf *why);

/* match - 1 when term t matches, 0 when not; or a result (as -2 - res)
 * for errors that end the evaluation */
static int
match(struct walk *w, const char *domain, const struct dnscheck_spf_term *t,
      int depth, struct buf *why)
{
    struct buf tgt;
    const struct dns_q *q;
    ldns_rr_list *l;
    int hit = 0, rc;

    if (t->mech == DNSCHECK_SPF_ALL)
        return 1;
    if (t->mech == DNSCHECK_SPF_IP4 || t->mech == DNSCHECK_SPF_IP6)
        return dnscheck_ip_in_net(w->ip, t->addr, t->mech == DNSCHECK_SPF_IP6,
                                  t->mech == DNSCHECK_SPF_IP6
                                      ? (t->cidr6 >= 0 ? t->cidr6 : 128)
                                      : (t->cidr4 >= 0 ? t->cidr4 : 32));
    buf_init(&tgt, 0);
    if (target(w, t->domain, domain, &tgt) < 0) {
        buf_fini(&tgt);
        return 0;
    }
    switch (t->mech) {
    case DNSCHECK_SPF_INCLUDE: {
        enum res r = eval(w, buf_str(&tgt), depth + 1, why);

        buf_fini(&tgt);
        if (r == R_PASS)
            return 1;
        if (r == R_TEMPERROR)
            return -2 - R_TEMPERROR;
        if (r == R_PERMERROR || r == R_NONE)
            return -2 - R_PERMERROR;
        return 0;
    }
    case DNSCHECK_SPF_A:
        rc = addr_match(w, buf_str(&tgt), t);
        buf_fini(&tgt);
        return rc < 0 ? -2 - R_TEMPERROR : rc;
    case DNSCHECK_SPF_EXISTS:
        q = dnscheck_res_get(w->d, buf_str(&tgt), LDNS_RR_TYPE_A);
        buf_fini(&tgt);
        if (q->st == DNS_Q_PENDING)
            w->res->pending = 1;
        if (q->st == DNS_Q_FAIL)
            return -2 - R_TEMPERROR;
        return q->st == DNS_Q_OK && !dns_q_is_empty(q, LDNS_RR_TYPE_A);
    case DNSCHECK_SPF_MX:
        q = dnscheck_res_get(w->d, buf_str(&tgt), LDNS_RR_TYPE_MX);
        buf_fini(&tgt);
        if (q->st == DNS_Q_PENDING)
            w->res->pending = 1;
        if (q->st == DNS_Q_FAIL)
            return -2 - R_TEMPERROR;
        l = dns_q_rrs(q, LDNS_RR_TYPE_MX);
        if (ldns_rr_list_rr_count(l) > SPF_MAX_MX) {
            buf_printf(why, "%s: %s: more than %d MX records", domain, t->text,
                       SPF_MAX_MX);
            ldns_rr_list_free(l);
            return -2 - R_PERMERROR;
        }
        for (size_t i = 0; i < ldns_rr_list_rr_count(l) && hit == 0; i++) {
            char *host =
                dns_rdf_name(ldns_rr_mx_exchange(ldns_rr_list_rr(l, i)));

            hit = addr_match(w, host, t);
            mem_free(host);
        }
        ldns_rr_list_free(l);
        return hit < 0 ? -2 - R_TEMPERROR : hit;
    case DNSCHECK_SPF_PTR: {
        struct buf rev;

        buf_init(&rev, 0);
        dnscheck_ip_reverse_name(w->ip, &rev);
        q = dnscheck_res_get(w->d, buf_str(&rev), LDNS_RR_TYPE_PTR);
        buf_fini(&rev);
        if (q->st == DNS_Q_PENDING)
            w->res->pending = 1;
        l = dns_q_rrs(q, LDNS_RR_TYPE_PTR);
        for (size_t i = 0;
             i < ldns_rr_list_rr_count(l) && i < SPF_MAX_PTR && hit <= 0; i++) {
            char *name = dns_rdf_name(ldns_rr_rdf(ldns_rr_list_rr(l, i), 0));
            struct dnscheck_spf_term exact = *t;

            exact.cidr4 = exact.cidr6 = -1;
            if (is_sub_or_equal(name, buf_str(&tgt)))
                hit = addr_match(w, name, &exact) > 0;
            mem_free(name);
        }
        ldns_rr_list_free(l);
        buf_fini(&tgt);
        return hit;
    }
    default:
        buf_fini(&tgt);
        return 0;
    }
}

static enum res
qual_result(char q)
{
    switch (q) {
    case '-':
        return R_FAIL;
    case '~':
        return R_SOFTFAIL;
    case '?':
        return R_NEUTRAL;
    default:
        return R_PASS;
    }
}

/* eval - check_host() for domain */
static enum res
eval(struct walk *w, const char *domain, int depth, struct buf *why)
{
    struct dnscheck_spf spf;
    enum res r = R_NEUTRAL;
    int rc;

    if (depth > SPF_MAX_DEPTH) {
        buf_printf(why, "%s: includes nested too deeply", domain);
        return R_PERMERROR;
    }
    rc = get_record(w, domain, &spf, why, NULL);
    if (rc <= 0) {
        dnscheck_spf_fini(&spf);
        return rc == 0 ? R_NONE : rc == -1 ? R_PERMERROR : R_TEMPERROR;
    }
    for (size_t i = 0; i < spf.n; i++) {
        int m = match(w, domain, &spf.t[i], depth, why);

        if (m <= -2) {
            dnscheck_spf_fini(&spf);
            return (enum res)(-2 - m);
        }
        if (m == 1) {
            r = qual_result(spf.t[i].qual);
            if (w->res->matched == NULL) {
                struct buf b;

                buf_init(&b, 0);
                buf_printf(&b, "%s: %s", domain, spf.t[i].text);
                w->res->matched = buf_steal(&b);
            }
            dnscheck_spf_fini(&spf);
            return r;
        }
    }
    if (spf.redirect) {
        struct buf tgt;

        buf_init(&tgt, 0);
        if (target(w, spf.redirect, domain, &tgt) == 0) {
            r = eval(w, buf_str(&tgt), depth + 1, why);
            if (r == R_NONE)
                r = R_PERMERROR;
        } else {
            r = R_PERMERROR;
        }
        buf_fini(&tgt);
    }
    dnscheck_spf_fini(&spf);
    return r;
}

void
dnscheck_spf_check(struct dnscheck_res *d, const char *domain,
                   const struct dnscheck_ip *ip, const char *helo,
                   struct dnscheck_spf_result *res)
{
    struct walk w;

    memset(res, 0, sizeof(*res));
    strv_init(&res->problems);
    strv_init(&res->lookup_terms);
    strv_init(&res->void_terms);
    memset(&w, 0, sizeof(w));
    w.d = d;
    w.origin = domain;
    w.ip = ip;
    w.helo = helo;
    w.res = res;
    strv_init(&w.path);
    count(&w, domain, 0);
    if (ip) {
        struct buf why;
        enum res r;

        buf_init(&why, 0);
        r = eval(&w, domain, 0, &why);
        res->result = res_names[r];
        if (why.len)
            strv_add(&res->problems, buf_str(&why));
        buf_fini(&why);
    }
    strv_fini(&w.path);
}

void
dnscheck_spf_result_fini(struct dnscheck_spf_result *res)
{
    mem_free(res->matched);
    strv_fini(&res->problems);
    strv_fini(&res->lookup_terms);
    strv_fini(&res->void_terms);
}
