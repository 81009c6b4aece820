/*
 * dnscheck_txt - the policy TXT records of a domain: SPF (PD020 to
 *	PD026), DMARC (PD030 to PD032), MTA-STS and TLS-RPT (PD035, PD036).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnscheck/dnscheck_int.h"
#include "report/report.h"

/*
 * Policy records.
 */

/* txt_records - the TXT strings at name that pred accepts; -1 failed,
 * 1 pending, 0 done */
static int
txt_records(struct dnscheck_run *run, const struct dnscheck_subj *s,
            const char *name, int (*pred)(const char *), struct strv *out,
            struct buf *ev)
{
    const struct dns_q *dq = dnscheck_q(run, name, LDNS_RR_TYPE_TXT);
    ldns_rr_list *l;

    if (dq->st == DNS_Q_PENDING)
        return 1;
    if (dq->st == DNS_Q_FAIL) {
        dnscheck_query_failed(run, s, dq);
        return -1;
    }
    l = dns_q_rrs(dq, LDNS_RR_TYPE_TXT);
    for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
        char *t = dnscheck_rr_txt(ldns_rr_list_rr(l, i));

        if (pred(t))
            strv_adopt(out, t);
        else
            mem_free(t);
    }
    ldns_rr_list_free(l);
    if (ev)
        dnscheck_evid(ev, dq);
    return 0;
}

/* spf_record - PD020 to PD022 for the SPF records recs found at the
 * domain; 0 when there is exactly one and it parses */
static int
spf_record(struct dnscheck_run *run, const struct dnscheck_subj *s,
           const struct strv *recs, const struct buf *ev)
{
    struct dnscheck_spf spf;
    struct buf err;
    int rc = -1;

    memset(&spf, 0, sizeof(spf));
    buf_init(&err, 0);
    if (recs->n == 0) {
        dnscheck_add(run, "PD020", -1, s->file, s->line, ev,
                     "%s (%s) has no SPF record%s", s->name, s->from,
                     (s->roles & (ROLE_AUTH | ROLE_ORIGIN))
                         ? ""
                         : "; a domain that sends no mail should publish "
                           "\"v=spf1 -all\"");
    } else if (recs->n > 1) {
        dnscheck_add(run, "PD021", -1, s->file, s->line, ev,
                     "%s (%s) has %zu SPF records; receivers treat this as "
                     "permerror",
                     s->name, s->from, recs->n);
    } else if (dnscheck_spf_parse(recs->v[0], &spf, &err) < 0) {
        dnscheck_add(run, "PD022", -1, s->file, s->line, ev,
                     "SPF record of %s is not valid: %s", s->name,
                     buf_str(&err));
    } else {
        rc = 0;
    }
    dnscheck_spf_fini(&spf);
    buf_fini(&err);
    return rc;
}

/* lines - evidence: one line per string of v */
static void
lines(struct buf *b, const struct strv *v)
{
    for (size_t i = 0; i < v->n; i++)
        buf_printf(b, "%s\n", v->v[i]);
}

/* spf_limits - PD023, PD024 and PD026 for the whole SPF tree of the
 * domain; -1 while a lookup is pending */
static int
spf_limits(struct dnscheck_run *run, const struct dnscheck_subj *s)
{
    struct dnscheck_spf_result res;
    struct buf e;

    dnscheck_spf_check(run->d, s->name, NULL, run->helo, &res);
    if (res.pending) {
        dnscheck_spf_result_fini(&res);
        return -1;
    }
    buf_init(&e, 0);
    if (res.lookups > 10) {
        lines(&e, &res.lookup_terms);
        dnscheck_add(run, "PD023", -1, s->file, s->line, &e,
                     "SPF record of %s needs %d DNS lookups (the limit is 10)",
                     s->name, res.lookups);
    }
    if (res.voids > 2) {
        buf_truncate(&e, 0);
        lines(&e, &res.void_terms);
        dnscheck_add(run, "PD024", -1, s->file, s->line, &e,
                     "SPF record of %s causes %d void lookups (the limit is 2)",
                     s->name, res.voids);
    }
    if (res.missing_include) {
        buf_truncate(&e, 0);
        lines(&e, &res.problems);
        dnscheck_add(run, "PD026", -1, s->file, s->line, &e,
                     "SPF record of %s includes a domain without SPF record "
                     "(permerror)",
                     s->name);
    }
    buf_fini(&e);
    dnscheck_spf_result_fini(&res);
    return 0;
}

/* spf_authorised - PD022 (permerror past the limits checked above) or
 * PD025 for each outbound address the domain's SPF does not pass */
static void
spf_authorised(struct dnscheck_run *run, const struct dnscheck_subj *s,
               const struct buf *ev)
{
    for (size_t i = 0; i < run->nout; i++) {
        struct dnscheck_spf_result res;
        char ip[INET6_ADDRSTRLEN];
        struct buf e;

        dnscheck_spf_check(run->d, s->name, &run->out[i], run->helo, &res);
        dnscheck_ip_format(&run->out[i], ip, sizeof(ip));
        buf_init(&e, 0);
        if (res.pending || res.result == NULL) {
            /* Nothing yet. */
        } else if (strcmp(res.result, "permerror") == 0) {
            if (res.lookups <= 10 && res.voids <= 2 && !res.missing_include) {
                lines(&e, &res.problems);
                dnscheck_add(run, "PD022", -1, s->file, s->line, &e,
                             "SPF evaluation of %s for %s ends in permerror",
                             s->name, ip);
            }
        } else if (strcmp(res.result, "pass") != 0 &&
                   strcmp(res.result, "temperror") != 0) {
            buf_puts(&e, buf_str(ev));
            buf_printf(&e, "result for %s: %s", ip, res.result);
            if (res.matched)
                buf_printf(&e, " (matched %s)", res.matched);
            else
                buf_puts(&e, " (no term matched)");
            dnscheck_add(run, "PD025", -1, s->file, s->line, &e,
                         "SPF record of %s does not authorise this server's "
                         "outbound address %s (%s)",
                         s->name, ip, res.result);
        }
        buf_fini(&e);
        dnscheck_spf_result_fini(&res);
    }
}

void
dnscheck_check_spf(struct dnscheck_run *run, const struct dnscheck_subj *s)
{
    struct strv recs;
    struct buf ev;

    strv_init(&recs);
    buf_init(&ev, 0);
    if (txt_records(run, s, s->name, dnscheck_spf_is_record, &recs, &ev) == 0 &&
        spf_record(run, s, &recs, &ev) == 0 && spf_limits(run, s) == 0 &&
        (s->roles & (ROLE_AUTH | ROLE_ORIGIN)))
        spf_authorised(run, s, &ev);
    strv_fini(&recs);
    buf_fini(&ev);
}

static int
label_count(const char *s)
{
    int n = 1;

    for (; *s; s++)
        if (*s == '.')
            n++;
    return n;
}

void
dnscheck_check_dmarc(struct dnscheck_run *run, const struct dnscheck_subj *s)
{
    struct strv recs;
    struct buf name, ev, err;
    const char *dom = s->name;
    struct dnscheck_dmarc dm;
    int rc;

    strv_init(&recs);
    buf_init(&name, 0);
    buf_init(&ev, 0);
    buf_init(&err, 0);

    /* The domain's own record, else the closest parent's (down to two
     * labels: an approximation of the organizational domain). */
    for (;;) {
        buf_truncate(&name, 0);
        buf_printf(&name, "_dmarc.%s", dom);
        rc = txt_records(run, s, buf_str(&name), dnscheck_dmarc_is_record,
                         &recs, &ev);
        if (rc != 0)
            goto out;
        if (recs.n || label_count(dom) <= 2 || strchr(dom, '.') == NULL)
            break;
        dom = strchr(dom, '.') + 1;
    }
    if (recs.n == 0) {
        dnscheck_add(run, "PD030", -1, s->file, s->line, &ev,
                     "%s (%s) has no DMARC record (_dmarc.%s)", s->name,
                     s->from, s->name);
        goto out;
    }
    if (recs.n > 1) {
        dnscheck_add(run, "PD031", -1, s->file, s->line, &ev,
                     "%s has %zu DMARC records; receivers ignore them all",
                     buf_str(&name), recs.n);
        goto out;
    }
    if (dnscheck_dmarc_parse(recs.v[0], &dm, &err) < 0) {
        dnscheck_add(run, "PD031", -1, s->file, s->line, &ev,
                     "DMARC record %s is not valid: %s", buf_str(&name),
                     buf_str(&err));
        goto out;
    }
    if (strcmp(dom == s->name || !dm.sp[0] ? dm.p : dm.sp, "none") == 0)
        dnscheck_add(run, "PD032", -1, s->file, s->line, &ev,
                     "DMARC policy for %s is \"none\" (monitoring only)",
                     s->name);
out:
    strv_fini(&recs);
    buf_fini(&name);
    buf_fini(&ev);
    buf_fini(&err);
}

void
dnscheck_check_kv(struct dnscheck_run *run, const struct dnscheck_subj *s,
                  const char *prefix, int (*is_rec)(const char *),
                  int (*parse)(const char *, struct buf *), const char *rule,
                  const char *what)
{
    struct strv recs;
    struct buf name, ev, err;

    strv_init(&recs);
    buf_init(&name, 0);
    buf_init(&ev, 0);
    buf_init(&err, 0);
    buf_printf(&name, "%s.%s", prefix, s->name);
    if (txt_records(run, s, buf_str(&name), is_rec, &recs, &ev) != 0 ||
        recs.n == 0)
        goto out;
    if (recs.n > 1)
        dnscheck_add(run, rule, -1, s->file, s->line, &ev,
                     "%s has %zu %s records; there must be one", buf_str(&name),
                     recs.n, what);
    else if (parse(recs.v[0], &err) < 0)
        dnscheck_add(run, rule, -1, s->file, s->line, &ev,
                     "%s record %s is not valid: %s", what, buf_str(&name),
                     buf_str(&err));
out:
    strv_fini(&recs);
    buf_fini(&name);
    buf_fini(&ev);
    buf_fini(&err);
}
