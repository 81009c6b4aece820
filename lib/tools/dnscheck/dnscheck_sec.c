/*
 * dnscheck_sec - DNSSEC validation of answers from configured trust anchors.
 *
 * DESCRIPTION
 *	A zone's state is worked out top-down from the trust anchors (DS or
 *	DNSKEY records read from a file): at an anchor, the zone's DNSKEY
 *	RRset must contain a key matching the anchor and be signed by it;
 *	below, the DS RRset in the parent must verify with the parent's
 *	keys and match a DNSKEY that signs the child's DNSKEY RRset. A
 *	missing DS with a verified NSEC/NSEC3 proof makes the zone (and
 *	everything below) insecure. Zones without an anchor above them are
 *	indeterminate. Answer RRsets are then verified with the keys of the
 *	zone that signed them (the RRSIG signer); an unsigned RRset in a
 *	secure zone is bogus.
 *
 *	The parent of a zone is learnt from the DS query itself (signer of
 *	the DS RRset, or the SOA of the negative answer), so no separate
 *	zone-cut discovery is needed.
 *
 * BUGS
 *	Negative answers (NXDOMAIN, NODATA) of the checks themselves are
 *	not validated, only the DS absence proofs of the chain.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dnscheck/dnscheck_int.h"

#define DNSCHECK_SEC_MAX_DEPTH 16

struct zst {
    enum dnscheck_sec_state st;
    char *why;
    ldns_rr_list *keys; /* shallow: the validated DNSKEY RRset */
};

struct dnscheck_sec {
    struct dnscheck_res *d;
    ldns_rr_list *anchors;
    struct htab *zones; /* "zone." -> struct zst */
};

struct dnscheck_sec *
dnscheck_sec_new(struct dnscheck_res *d, const char *file, struct buf *err)
{
    struct dnscheck_sec *s;
    FILE *fp = fopen(file, "r");
    uint32_t ttl = 3600;
    ldns_rdf *origin = NULL, *prev = NULL;
    int line = 1;

    if (fp == NULL) {
        buf_printf(err, "%s: %s", file, strerror(errno));
        return NULL;
    }
    s = mem_calloc(1, sizeof(*s));
    s->d = d;
    s->anchors = ldns_rr_list_new();
    s->zones = htab_new(32);
    while (!feof(fp)) {
        ldns_rr *rr = NULL;
        ldns_status st =
            ldns_rr_new_frm_fp_l(&rr, fp, &ttl, &origin, &prev, &line);

        if (st == LDNS_STATUS_SYNTAX_EMPTY || st == LDNS_STATUS_SYNTAX_TTL ||
            st == LDNS_STATUS_SYNTAX_ORIGIN || st == LDNS_STATUS_SYNTAX_INCLUDE)
            continue;
        if (st != LDNS_STATUS_OK) {
            if (feof(fp) && rr == NULL)
                break;
            buf_printf(err, "%s:%d: %s", file, line,
                       ldns_get_errorstr_by_id(st));
            goto bad;
        }
        if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_DS &&
            ldns_rr_get_type(rr) != LDNS_RR_TYPE_DNSKEY) {
            ldns_rr_free(rr);
            buf_printf(err,
                       "%s:%d: trust anchors must be DS or DNSKEY "
                       "records",
                       file, line);
            goto bad;
        }
        ldns_dname2canonical(ldns_rr_owner(rr));
        ldns_rr_list_push_rr(s->anchors, rr);
    }
    fclose(fp);
    if (origin)
        ldns_rdf_deep_free(origin);
    if (prev)
        ldns_rdf_deep_free(prev);
    if (ldns_rr_list_rr_count(s->anchors) == 0) {
        buf_printf(err, "%s: no DS or DNSKEY record", file);
        dnscheck_sec_free(s);
        return NULL;
    }
    return s;
bad:
    fclose(fp);
    if (origin)
        ldns_rdf_deep_free(origin);
    if (prev)
        ldns_rdf_deep_free(prev);
    dnscheck_sec_free(s);
    return NULL;
}

static void
zst_free(void *v)
{
    struct zst *z = v;

    if (z == NULL)
        return;
    mem_free(z->why);
    if (z->keys)
        ldns_rr_list_free(z->keys);
    mem_free(z);
}

void
dnscheck_sec_free(struct dnscheck_sec *s)
{
    if (s == NULL)
        return;
    ldns_rr_list_deep_free(s->anchors);
    htab_free(s->zones, zst_free);
    mem_free(s);
}

void
dnscheck_sec_reset(struct dnscheck_sec *s)
{
    htab_free(s->zones, zst_free);
    s->zones = htab_new(32);
}

/* name_of - canonical text of a dname rdf ("example.com.") */
static char *
name_of(const ldns_rdf *rdf)
{
    char *s = ldns_rdf2str(rdf), *out;

    if (s == NULL)
        return mem_strdup(".");
    for (char *cp = s; *cp; cp++)
        if (*cp >= 'A' && *cp <= 'Z')
            *cp += 32;
    out = mem_strdup(s);
    free(s);
    return out;
}

/* is_sub - name equals or is below zone (both canonical, absolute) */
static int
is_sub(const char *name, const char *zone)
{
    size_t n = strlen(name), m = strlen(zone);

    if (strcmp(zone, ".") == 0 || strcmp(name, zone) == 0)
        return 1;
    return n > m && name[n - m - 1] == '.' && strcmp(name + n - m, zone) == 0;
}

/* rrset - shallow list of answer/authority RRs with owner and type */
static ldns_rr_list *
rrset(const ldns_rr_list *l, const char *owner, int type, int sigs)
{
    ldns_rr_list *out = ldns_rr_list_new();

    for (size_t i = 0; l && i < ldns_rr_list_rr_count(l); i++) {
        ldns_rr *rr = ldns_rr_list_rr(l, i);
        char *o;
        int t = ldns_rr_get_type(rr);

        if (sigs) {
            if (t != LDNS_RR_TYPE_RRSIG ||
                (int) ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr)) != type)
                continue;
        } else if (t != type) {
            continue;
        }
        o = name_of(ldns_rr_owner(rr));
        if (strcmp(o, owner) == 0)
            ldns_rr_list_push_rr(out, rr);
        mem_free(o);
    }
    return out;
}

static struct zst *set_state(struct dnscheck_sec *s, const char *zone,
                             enum dnscheck_sec_state st, ldns_rr_list *keys,
                             const char *fmt, ...) UTIL_PRINTF(5, 6);

/* undot - zone names in messages go without the final dot */
static void
undot(struct buf *b)
{
    char *cp = b->data;

    for (size_t i = 0; cp && i < b->len; i++) {
        if (cp[i] == '.' && i > 0 && cp[i - 1] != ' ' &&
            (i + 1 == b->len || cp[i + 1] == ' ' || cp[i + 1] == ':' ||
             cp[i + 1] == ')' || cp[i + 1] == ',')) {
            memmove(cp + i, cp + i + 1, b->len - i);
            b->len--;
            i--;
        }
    }
}

static struct zst *
set_state(struct dnscheck_sec *s, const char *zone, enum dnscheck_sec_state st,
          ldns_rr_list *keys, const char *fmt, ...)
{
    struct zst *z = htab_find(s->zones, zone);
    struct buf b;
    va_list ap;

    if (z == NULL) {
        z = mem_calloc(1, sizeof(*z));
        htab_set(s->zones, zone, z);
    }
    mem_free(z->why);
    if (z->keys)
        ldns_rr_list_free(z->keys);
    z->st = st;
    z->keys = keys;
    buf_init(&b, 0);
    va_start(ap, fmt);
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    undot(&b);
    z->why = buf_steal(&b);
    return z;
}

/* trusted_keys - the DNSKEYs matching one of the DS/DNSKEY records */
static ldns_rr_list *
trusted_keys(const ldns_rr_list *keys, const ldns_rr_list *refs)
{
    ldns_rr_list *out = ldns_rr_list_new();

    for (size_t i = 0; i < ldns_rr_list_rr_count(keys); i++) {
        ldns_rr *k = ldns_rr_list_rr(keys, i);

        for (size_t j = 0; j < ldns_rr_list_rr_count(refs); j++) {
            if (ldns_rr_compare_ds(k, ldns_rr_list_rr(refs, j))) {
                ldns_rr_list_push_rr(out, k);
                break;
            }
        }
    }
    return out;
}

/* verify_keys - DNSKEY RRset signed by one of the trusted keys */
static struct zst *
verify_keys(struct dnscheck_sec *s, const char *zone, const struct dns_q *q,
            const ldns_rr_list *refs, const char *what)
{
    ldns_rr_list *keys =
        rrset(ldns_pkt_answer(q->pkt), zone, LDNS_RR_TYPE_DNSKEY, 0);
    ldns_rr_list *sigs =
        rrset(ldns_pkt_answer(q->pkt), zone, LDNS_RR_TYPE_DNSKEY, 1);
    ldns_rr_list *tk = trusted_keys(keys, refs);
    ldns_status st;
    struct zst *z;

    if (ldns_rr_list_rr_count(keys) == 0) {
        z = set_state(s, zone, DNSCHECK_SEC_BOGUS, NULL,
                      "%s has no DNSKEY records "
                      "but %s",
                      zone, what);
    } else if (ldns_rr_list_rr_count(tk) == 0) {
        z = set_state(s, zone, DNSCHECK_SEC_BOGUS, NULL,
                      "no DNSKEY of %s matches "
                      "%s",
                      zone, what);
    } else if ((st = ldns_verify(keys, sigs, tk, NULL)) != LDNS_STATUS_OK) {
        z = set_state(s, zone, DNSCHECK_SEC_BOGUS, NULL, "DNSKEY %s: %s", zone,
                      ldns_get_errorstr_by_id(st));
    } else {
        z = set_state(s, zone, DNSCHECK_SEC_SECURE, keys, "%s", "");
        keys = NULL;
    }
    if (keys)
        ldns_rr_list_free(keys);
    ldns_rr_list_free(sigs);
    ldns_rr_list_free(tk);
    return z;
}

/* parent_of - the zone that answered a DS query for zone, or NULL */
static char *
parent_of(const struct dns_q *q, const char *zone)
{
    ldns_rr_list *l[2];

    l[0] = ldns_pkt_answer(q->pkt);
    l[1] = ldns_pkt_authority(q->pkt);
    for (int s = 0; s < 2; s++) {
        for (size_t i = 0; i < ldns_rr_list_rr_count(l[s]); i++) {
            ldns_rr *rr = ldns_rr_list_rr(l[s], i);

            if (s == 0 && ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG &&
                ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr)) ==
                    LDNS_RR_TYPE_DS)
                return name_of(ldns_rr_rrsig_signame(rr));
            if (s == 1 && ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA) {
                char *p = name_of(ldns_rr_owner(rr));

                if (strcmp(p, zone) != 0)
                    return p;
                mem_free(p);
            }
        }
    }
    return NULL;
}

/* verify_denial - the NSEC/NSEC3 RRsets of the authority section verify
 * with keys and prove that zone has no DS; 0 or -1 (reason in why) */
static int
verify_denial(const struct dns_q *q, const char *zone, const ldns_rr_list *keys,
              struct buf *why)
{
    ldns_rr_list *auth = ldns_pkt_authority(q->pkt);
    ldns_rr_list *nsecs = ldns_rr_list_new(), *sigs = ldns_rr_list_new();
    ldns_rr *qrr = ldns_rr_new();
    ldns_rdf *owner = ldns_dname_new_frm_str(zone);
    int nsec3 = 0, rc = 0;
    ldns_status st;

    for (size_t i = 0; i < ldns_rr_list_rr_count(auth); i++) {
        ldns_rr *rr = ldns_rr_list_rr(auth, i);
        int t = ldns_rr_get_type(rr);

        if (t == LDNS_RR_TYPE_NSEC || t == LDNS_RR_TYPE_NSEC3)
            ldns_rr_list_push_rr(nsecs, rr);
        if (t == LDNS_RR_TYPE_NSEC3)
            nsec3 = 1;
        if (t == LDNS_RR_TYPE_RRSIG)
            ldns_rr_list_push_rr(sigs, rr);
    }
    if (ldns_rr_list_rr_count(nsecs) == 0) {
        buf_printf(why, "no NSEC/NSEC3 proof");
        rc = -1;
        goto out;
    }
    /* Each NSEC RRset must be signed by the parent. */
    for (size_t i = 0; i < ldns_rr_list_rr_count(nsecs) && rc == 0; i++) {
        ldns_rr *rr = ldns_rr_list_rr(nsecs, i);
        char *o = name_of(ldns_rr_owner(rr));
        ldns_rr_list *set = rrset(auth, o, ldns_rr_get_type(rr), 0);
        ldns_rr_list *ss = rrset(auth, o, ldns_rr_get_type(rr), 1);

        st = ldns_verify(set, ss, keys, NULL);
        if (st != LDNS_STATUS_OK) {
            buf_printf(why, "%s %s: %s", o, nsec3 ? "NSEC3" : "NSEC",
                       ldns_get_errorstr_by_id(st));
            rc = -1;
        }
        ldns_rr_list_free(set);
        ldns_rr_list_free(ss);
        mem_free(o);
    }
    if (rc == 0 && owner) {
        ldns_rr_set_owner(qrr, owner);
        owner = NULL;
        ldns_rr_set_type(qrr, LDNS_RR_TYPE_DS);
        ldns_rr_set_class(qrr, LDNS_RR_CLASS_IN);
        st = nsec3 ? ldns_dnssec_verify_denial_nsec3(qrr, nsecs, sigs,
                                                     ldns_pkt_get_rcode(q->pkt),
                                                     LDNS_RR_TYPE_DS, true)
                   : ldns_dnssec_verify_denial(qrr, nsecs, sigs);
        if (st != LDNS_STATUS_OK) {
            buf_printf(why, "%s", ldns_get_errorstr_by_id(st));
            rc = -1;
        }
    }
out:
    if (owner)
        ldns_rdf_deep_free(owner);
    ldns_rr_free(qrr);
    ldns_rr_list_free(nsecs);
    ldns_rr_list_free(sigs);
    return rc;
}

/* anchors_at - anchors at zone (shallow list); *above: one is higher up */
static ldns_rr_list *
anchors_at(struct dnscheck_sec *s, const char *zone, int *above)
{
    ldns_rr_list *out = ldns_rr_list_new();

    *above = 0;
    for (size_t i = 0; i < ldns_rr_list_rr_count(s->anchors); i++) {
        ldns_rr *a = ldns_rr_list_rr(s->anchors, i);
        char *o = name_of(ldns_rr_owner(a));

        if (strcmp(o, zone) == 0)
            ldns_rr_list_push_rr(out, a);
        else if (is_sub(zone, o))
            *above = 1;
        mem_free(o);
    }
    return out;
}

static struct zst *
zone_state(struct dnscheck_sec *s, const char *zone, int depth)
{
    struct zst *z = htab_find(s->zones, zone);
    const struct dns_q *kq, *dq;
    ldns_rr_list *here;
    int above;
    char *parent;

    if (z)
        return z;
    if (depth > DNSCHECK_SEC_MAX_DEPTH)
        return set_state(s, zone, DNSCHECK_SEC_BOGUS, NULL, "chain too long");
    /* A placeholder stops loops through odd parent answers. */
    set_state(s, zone, DNSCHECK_SEC_BOGUS, NULL, "%s: validation loop", zone);
    here = anchors_at(s, zone, &above);
    if (ldns_rr_list_rr_count(here) == 0 && !above) {
        ldns_rr_list_free(here);
        return set_state(s, zone, DNSCHECK_SEC_INDETERMINATE, NULL,
                         "no trust anchor for %s", zone);
    }
    kq = dnscheck_res_get(s->d, zone, LDNS_RR_TYPE_DNSKEY);
    if (ldns_rr_list_rr_count(here)) {
        if (kq->st == DNS_Q_PENDING) {
            ldns_rr_list_free(here);
            return set_state(s, zone, DNSCHECK_SEC_INDETERMINATE, NULL,
                             "pending");
        }
        if (kq->st != DNS_Q_OK) {
            ldns_rr_list_free(here);
            return set_state(s, zone, DNSCHECK_SEC_ERROR, NULL, "DNSKEY %s: %s",
                             zone,
                             kq->st == DNS_Q_NXDOMAIN ? "NXDOMAIN" : kq->error);
        }
        z = verify_keys(s, zone, kq, here, "the trust anchor");
        ldns_rr_list_free(here);
        return z;
    }
    ldns_rr_list_free(here);
    dq = dnscheck_res_get(s->d, zone, LDNS_RR_TYPE_DS);
    if (dq->st == DNS_Q_PENDING || kq->st == DNS_Q_PENDING)
        return set_state(s, zone, DNSCHECK_SEC_INDETERMINATE, NULL, "pending");
    if (dq->st == DNS_Q_FAIL)
        return set_state(s, zone, DNSCHECK_SEC_ERROR, NULL, "DS %s: %s", zone,
                         dq->error);
    parent = parent_of(dq, zone);
    if (parent == NULL || !is_sub(zone, parent) || strcmp(parent, zone) == 0) {
        mem_free(parent);
        return set_state(s, zone, DNSCHECK_SEC_ERROR, NULL,
                         "cannot find the parent zone of %s", zone);
    }
    {
        /* Zone states are separate allocations: pz stays valid. */
        struct zst *pz = zone_state(s, parent, depth + 1);
        const ldns_rr_list *pkeys = pz->keys;

        if (pz->st != DNSCHECK_SEC_SECURE) {
            z = set_state(s, zone, pz->st, NULL, "%s", pz->why);
        } else {
            ldns_rr_list *ds =
                rrset(ldns_pkt_answer(dq->pkt), zone, LDNS_RR_TYPE_DS, 0);
            ldns_rr_list *dsig =
                rrset(ldns_pkt_answer(dq->pkt), zone, LDNS_RR_TYPE_DS, 1);
            ldns_status st;
            struct buf why;

            buf_init(&why, 0);
            if (ldns_rr_list_rr_count(ds) == 0) {
                if (dq->st == DNS_Q_OK &&
                    verify_denial(dq, zone, pkeys, &why) == 0)
                    z = set_state(s, zone, DNSCHECK_SEC_INSECURE, NULL,
                                  "no DS record for %s in %s (insecure "
                                  "delegation)",
                                  zone, parent);
                else
                    z = set_state(s, zone, DNSCHECK_SEC_BOGUS, NULL,
                                  "no DS record for %s in %s and no valid "
                                  "proof of its absence: %s",
                                  zone, parent,
                                  dq->st == DNS_Q_NXDOMAIN ? "NXDOMAIN"
                                                           : buf_str(&why));
            } else if ((st = ldns_verify(ds, dsig, pkeys, NULL)) !=
                       LDNS_STATUS_OK) {
                z = set_state(s, zone, DNSCHECK_SEC_BOGUS, NULL,
                              "DS %s in %s: %s", zone, parent,
                              ldns_get_errorstr_by_id(st));
            } else if (kq->st != DNS_Q_OK) {
                z = set_state(
                    s, zone, DNSCHECK_SEC_ERROR, NULL, "DNSKEY %s: %s", zone,
                    kq->st == DNS_Q_NXDOMAIN ? "NXDOMAIN" : kq->error);
            } else {
                z = verify_keys(s, zone, kq, ds,
                                "the DS records in the "
                                "parent");
            }
            buf_fini(&why);
            ldns_rr_list_free(ds);
            ldns_rr_list_free(dsig);
        }
    }
    mem_free(parent);
    return z;
}

enum dnscheck_sec_state
dnscheck_sec_zone_state(struct dnscheck_sec *s, const char *zone,
                        struct buf *why)
{
    char *z = mem_alloc(strlen(zone) + 2);
    struct zst *st;
    size_t n = strlen(zone);

    memcpy(z, zone, n + 1);
    if (n == 0 || z[n - 1] != '.') {
        z[n] = '.';
        z[n + 1] = 0;
    }
    st = zone_state(s, z, 0);
    if (why)
        buf_puts(why, st->why);
    mem_free(z);
    return st->st;
}

/* zone_by_soa - the zone holding owner, from a SOA query; or NULL */
static char *
zone_by_soa(struct dnscheck_sec *s, const char *owner)
{
    const struct dns_q *q = dnscheck_res_get(s->d, owner, LDNS_RR_TYPE_SOA);
    ldns_rr_list *l[2];

    if (q->pkt == NULL)
        return NULL;
    l[0] = ldns_pkt_answer(q->pkt);
    l[1] = ldns_pkt_authority(q->pkt);
    for (int sec = 0; sec < 2; sec++)
        for (size_t i = 0; i < ldns_rr_list_rr_count(l[sec]); i++)
            if (ldns_rr_get_type(ldns_rr_list_rr(l[sec], i)) ==
                LDNS_RR_TYPE_SOA)
                return name_of(ldns_rr_owner(ldns_rr_list_rr(l[sec], i)));
    return NULL;
}

/* intern - a zone name that lives until dnscheck_sec_reset */
static const char *
intern(struct dnscheck_sec *s, const char *zone)
{
    (void) zone_state(s, zone, 0);
    for (size_t i = 0; i < htab_count(s->zones); i++)
        if (strcmp(htab_key(s->zones, i), zone) == 0)
            return htab_key(s->zones, i);
    return NULL;
}

enum dnscheck_sec_state
dnscheck_sec_check_answer(struct dnscheck_sec *s, const struct dns_q *q,
                          const char **zone, struct buf *why)
{
    ldns_rr_list *ans;
    struct strv seen;
    enum dnscheck_sec_state result = DNSCHECK_SEC_INDETERMINATE;
    int first = 1;

    *zone = NULL;
    if (q->st != DNS_Q_OK || q->pkt == NULL)
        return DNSCHECK_SEC_INDETERMINATE;
    ans = ldns_pkt_answer(q->pkt);
    strv_init(&seen);
    for (size_t i = 0; i < ldns_rr_list_rr_count(ans); i++) {
        ldns_rr *rr = ldns_rr_list_rr(ans, i);
        int type = ldns_rr_get_type(rr);
        char *owner, *key, *zname = NULL;
        ldns_rr_list *set, *sigs;
        struct zst *zs;
        struct buf k;
        int dup = 0;

        if (type == LDNS_RR_TYPE_RRSIG)
            continue;
        owner = name_of(ldns_rr_owner(rr));
        buf_init(&k, 0);
        buf_printf(&k, "%s/%d", owner, type);
        key = buf_steal(&k);
        for (size_t j = 0; j < seen.n; j++)
            if (strcmp(seen.v[j], key) == 0)
                dup = 1;
        if (dup) {
            mem_free(owner);
            mem_free(key);
            continue;
        }
        strv_adopt(&seen, key);
        set = rrset(ans, owner, type, 0);
        sigs = rrset(ans, owner, type, 1);
        if (ldns_rr_list_rr_count(sigs))
            zname = name_of(ldns_rr_rrsig_signame(ldns_rr_list_rr(sigs, 0)));
        else
            zname = zone_by_soa(s, owner);
        if (zname) {
            zs = zone_state(s, zname, 0);
            if (first) {
                *zone = intern(s, zname);
                result = zs->st;
                if (why && zs->st != DNSCHECK_SEC_SECURE)
                    buf_puts(why, zs->why);
            }
            if (zs->st == DNSCHECK_SEC_SECURE && result != DNSCHECK_SEC_BOGUS) {
                char *t = ldns_rr_type2str((ldns_rr_type) type);
                ldns_status st = LDNS_STATUS_OK;

                if (!is_sub(owner, zname))
                    st = LDNS_STATUS_CRYPTO_NO_MATCHING_KEYTAG_DNSKEY;
                else if (ldns_rr_list_rr_count(sigs) == 0)
                    st = LDNS_STATUS_CRYPTO_NO_RRSIG;
                else
                    st = ldns_verify(set, sigs, zs->keys, NULL);
                if (st != LDNS_STATUS_OK) {
                    *zone = intern(s, zname);
                    result = DNSCHECK_SEC_BOGUS;
                    if (why) {
                        buf_truncate(why, 0);
                        buf_printf(why, "%s %s: %s", owner, t ? t : "?",
                                   ldns_get_errorstr_by_id(st));
                        undot(why);
                    }
                }
                free(t);
            }
            first = 0;
        }
        mem_free(zname);
        mem_free(owner);
        ldns_rr_list_free(set);
        ldns_rr_list_free(sigs);
    }
    strv_fini(&seen);
    return result;
}
