/*
 * dnscheck_res - the checks' query cache and concurrent fetcher.
 *
 * DESCRIPTION
 *	Queries go to the servers through lib/services/dns (dns_res_ask).
 *	Misses recorded in discovery mode are resolved by
 *	dnscheck_res_fetch() on up to `threads` threads, each with its own
 *	dns_handles. Results enter the cache in the order they were first
 *	asked for, so runs are deterministic.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnscheck/dnscheck_int.h"

#define RES_MAX_THREADS 256
#define RES_STACK       (256 * 1024)

struct dnscheck_res {
    struct dns_res *res;
    struct htab *cache; /* "name/type" -> struct dns_q */
    struct htab *pending_set;
    struct dns_q **pending; /* misses in the order first asked for */
    size_t npending;
    int discovery;
    int threads;
};

static struct dns_q pending_q = {NULL, 0, DNS_Q_PENDING, NULL, NULL};

struct dnscheck_res *
dnscheck_res_new(const char *const *servers, size_t nservers, double timeout,
                 int retries, int dnssec, int threads, struct buf *err)
{
    struct dns_res *res =
        dns_res_new(servers, nservers, timeout, retries, dnssec, err);
    struct dnscheck_res *d;

    if (res == NULL)
        return NULL;
    d = mem_calloc(1, sizeof(*d));
    d->res = res;
    d->cache = htab_new(256);
    d->pending_set = htab_new(64);
    d->threads = threads > 0 ? threads : RES_MAX_THREADS;
    if (d->threads > RES_MAX_THREADS)
        d->threads = RES_MAX_THREADS;
    return d;
}

static void
q_free(void *v)
{
    dns_q_free(v);
}

static void
drop_pending(struct dnscheck_res *d)
{
    for (size_t i = 0; i < d->npending; i++)
        dns_q_free(d->pending[i]);
    mem_free(d->pending);
    d->pending = NULL;
    d->npending = 0;
    htab_free(d->pending_set, NULL);
    d->pending_set = htab_new(64);
}

void
dnscheck_res_free(struct dnscheck_res *d)
{
    if (d == NULL)
        return;
    drop_pending(d);
    htab_free(d->cache, q_free);
    htab_free(d->pending_set, NULL);
    dns_res_free(d->res);
    mem_free(d);
}

const struct dns_q *
dnscheck_res_get(struct dnscheck_res *d, const char *name, int type)
{
    struct dns_q *q = dns_q_new(name, type);
    struct buf key;
    struct dns_q *hit;

    buf_init(&key, 0);
    buf_printf(&key, "%s/%d", q->name, type);
    if ((hit = htab_find(d->cache, buf_str(&key))) != NULL) {
        dns_q_free(q);
    } else if (d->discovery) {
        if (!htab_has(d->pending_set, buf_str(&key))) {
            htab_set(d->pending_set, buf_str(&key), NULL);
            d->pending = mem_realloc(d->pending,
                                     (d->npending + 1) * sizeof(*d->pending));
            d->pending[d->npending++] = q;
        } else {
            dns_q_free(q);
        }
        hit = &pending_q;
    } else {
        dns_res_ask(d->res, NULL, q);
        htab_set(d->cache, buf_str(&key), q);
        hit = q;
    }
    buf_fini(&key);
    return hit;
}

void
dnscheck_res_set_discovery(struct dnscheck_res *d, int on)
{
    d->discovery = on;
}

struct job {
    struct dnscheck_res *d;
    size_t next;
    pthread_mutex_t lock;
};

static void *
worker(void *arg)
{
    struct job *j = arg;
    struct dns_handles *h = dns_res_handles(j->d->res);

    for (;;) {
        size_t i;

        pthread_mutex_lock(&j->lock);
        i = j->next++;
        pthread_mutex_unlock(&j->lock);
        if (i >= j->d->npending)
            break;
        dns_res_ask(j->d->res, h, j->d->pending[i]);
    }
    dns_handles_free(h);
    return NULL;
}

size_t
dnscheck_res_fetch(struct dnscheck_res *d)
{
    struct job j;
    pthread_t tid[RES_MAX_THREADS];
    pthread_attr_t attr;
    size_t nthreads, started = 0, n = d->npending;

    if (n == 0)
        return 0;
    memset(&j, 0, sizeof(j));
    j.d = d;
    pthread_mutex_init(&j.lock, NULL);
    /* Workers only wait on sockets: small stacks let many run. */
    nthreads = n < (size_t) d->threads ? n : (size_t) d->threads;
    pthread_attr_init(&attr);
    (void) pthread_attr_setstacksize(&attr, RES_STACK);
    for (size_t t = 0; t < nthreads; t++) {
        if (pthread_create(&tid[t], &attr, worker, &j) != 0)
            break;
        started++;
    }
    pthread_attr_destroy(&attr);
    if (started == 0)
        worker(&j);
    for (size_t t = 0; t < started; t++)
        pthread_join(tid[t], NULL);
    pthread_mutex_destroy(&j.lock);
    for (size_t i = 0; i < n; i++) {
        struct buf key;

        buf_init(&key, 0);
        buf_printf(&key, "%s/%d", d->pending[i]->name, d->pending[i]->type);
        htab_set(d->cache, buf_str(&key), d->pending[i]);
        buf_fini(&key);
    }
    d->npending = 0; /* the cache owns them now */
    drop_pending(d);
    return n;
}

void
dnscheck_q_describe(struct buf *b, const struct dns_q *q)
{
    char *t = ldns_rr_type2str((ldns_rr_type) q->type);

    switch (q->st) {
    case DNS_Q_PENDING:
        buf_puts(b, "pending");
        break;
    case DNS_Q_NXDOMAIN:
        buf_puts(b, "NXDOMAIN");
        break;
    case DNS_Q_FAIL:
        buf_puts(b, q->error ? q->error : "failed");
        break;
    case DNS_Q_OK:
        buf_printf(b, "no %s records", t ? t : "such");
        break;
    }
    free(t);
}

void
dnscheck_rr_format(struct buf *b, const ldns_rr *rr)
{
    char *s = ldns_rdf2str(ldns_rr_owner(rr));
    char *t = ldns_rr_type2str(ldns_rr_get_type(rr));

    buf_printf(b, "%s %s", s ? s : "?", t ? t : "?");
    free(s);
    free(t);
    for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
        char *v = ldns_rdf2str(ldns_rr_rdf(rr, i));

        buf_printf(b, " %s", v ? v : "?");
        free(v);
    }
}

char *
dnscheck_rr_txt(const ldns_rr *rr)
{
    struct buf b;

    buf_init(&b, 0);
    for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
        const ldns_rdf *rdf = ldns_rr_rdf(rr, i);
        const uint8_t *p = ldns_rdf_data(rdf);
        size_t n = ldns_rdf_size(rdf);

        if (ldns_rdf_get_type(rdf) != LDNS_RDF_TYPE_STR || n == 0)
            continue;
        /* Length byte, then data; a NUL would end our C string early. */
        for (size_t k = 1; k < n && k <= p[0]; k++)
            buf_putc(&b, p[k] ? p[k] : 0x01);
    }
    return buf_steal(&b);
}
