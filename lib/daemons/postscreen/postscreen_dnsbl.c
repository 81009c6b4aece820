/*
 * postscreen_dnsbl - the DNSBL/DNSWL score (Postfix's postscreen_dnsbl.c
 * and the dnsblog role).
 *
 * DESCRIPTION
 *	postscreen_dnsbl_sites: "domain[=filter][*weight]", the filter a
 *	pattern of the A record ("127.0.0.2", "127.0.0.[2..11]",
 *	"127.0.[0..255].[1;3;5..9]"), the weight an integer (default 1;
 *	negative for allowlists). The score of a client is the sum of the
 *	weights of the entries whose domain lists it with an address the
 *	filter accepts; the name reported is that of the listing entry
 *	with the largest weight, through postscreen_dnsbl_reply_map.
 *
 *	Each distinct domain is asked once per client, all at once: one
 *	thread per query (dns_lookup, blocking, a resolver of its own), so
 *	the event loop never waits for DNS. A finished query writes its
 *	address to a pipe the loop watches. A client that leaves before
 *	its answers came orphans the request; the loop frees it when the
 *	last answer arrives. Queries give up after postscreen_dnsbl_timeout.
 */
#define _GNU_SOURCE 1 /* pipe2 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "dns/dns.h"
#include "maillog/maillog.h"
#include "maps/maps.h"
#include "postscreen/postscreen_int.h"

#define MAX_SITES 32
/* queries running at once (threads); more wait in order, as requests
 * wait for a free dnsblog process in Postfix */
#define MAX_THREADS 128

struct site {
    char *domain;
    int weight;
    int has_filter;
    /* per octet: a set of the 256 values */
    unsigned char ok[4][256];
};

struct ps_dnsbl {
    struct site site[MAX_SITES];
    int nsites;
    struct strv domains; /* distinct domains, the query order */
    int threshold, allow_threshold;
    struct maps *reply_map;
    struct strv resolvers;
    double timeout;
    int pipe[2];
    int running;
    struct query *wait_head, *wait_tail; /* not started yet */
};

struct query {
    struct ps_dnsbl_req *req;
    const struct ps_dnsbl *d;
    const char *domain; /* in d->domains */
    char *name;
    struct strv addrs; /* the A records */
    int done;
    int started;        /* a thread runs (ran) it */
    struct query *next; /* in the wait queue */
};

struct ps_dnsbl_req {
    struct ps_conn *conn; /* NULL: the client left */
    int pending;
    size_t nq;
    struct query q[];
};

/* octet - one octet pattern: "N" or "[a..b;c;...]" */
static int
octet(const char *s, unsigned char ok[256])
{
    char *end;
    long a, b;

    memset(ok, 0, 256);
    if (*s != '[') {
        a = strtol(s, &end, 10);
        if (end == s || *end || a < 0 || a > 255)
            return -1;
        ok[a] = 1;
        return 0;
    }
    s++;
    for (;;) {
        a = strtol(s, &end, 10);
        if (end == s || a < 0 || a > 255)
            return -1;
        b = a;
        if (strncmp(end, "..", 2) == 0) {
            s = end + 2;
            b = strtol(s, &end, 10);
            if (end == s || b < a || b > 255)
                return -1;
        }
        for (long k = a; k <= b; k++)
            ok[k] = 1;
        if (*end == ';') {
            s = end + 1;
            continue;
        }
        return strcmp(end, "]") == 0 ? 0 : -1;
    }
}

static int
parse_filter(struct site *st, char *f)
{
    char *part[4];
    int n = 0;

    part[n++] = f;
    for (char *s = f; *s; s++) {
        if (*s == '[') {
            s = strchr(s, ']');
            if (s == NULL)
                return -1;
            continue;
        }
        if (*s == '.') {
            if (n == 4)
                return -1;
            *s = 0;
            part[n++] = s + 1;
        }
    }
    if (n != 4)
        return -1;
    for (int i = 0; i < 4; i++)
        if (octet(part[i], st->ok[i]) < 0)
            return -1;
    st->has_filter = 1;
    return 0;
}

static void
add_site(struct ps_dnsbl *d, const char *spec)
{
    char *s = mem_strdup(spec), *w, *f;
    struct site *st;

    if (d->nsites == MAX_SITES) {
        log_warn("postscreen_dnsbl_sites: more than %d entries: \"%s\" "
                 "ignored",
                 MAX_SITES, spec);
        mem_free(s);
        return;
    }
    st = &d->site[d->nsites];
    memset(st, 0, sizeof(*st));
    st->weight = 1;
    if ((w = strchr(s, '*')) != NULL) {
        char *end;

        *w++ = 0;
        st->weight = (int) strtol(w, &end, 10);
        if (end == w || *end) {
            log_warn("postscreen_dnsbl_sites: bad weight in \"%s\": "
                     "entry ignored",
                     spec);
            mem_free(s);
            return;
        }
    }
    if ((f = strchr(s, '=')) != NULL) {
        *f++ = 0;
        if (parse_filter(st, f) < 0) {
            log_warn("bad DNSBL filter syntax: %s", spec);
            mem_free(s);
            return;
        }
    }
    st->domain = mem_strdup(s);
    mem_free(s);
    d->nsites++;
    for (size_t i = 0; i < d->domains.n; i++)
        if (strcasecmp(d->domains.v[i], st->domain) == 0)
            return;
    strv_add(&d->domains, st->domain);
}

struct ps_dnsbl *
postscreen_dnsbl_new(struct server *srv)
{
    struct ps_dnsbl *d = mem_calloc(1, sizeof(*d));
    char *v = server_param(srv, "postscreen_dnsbl_sites");
    const char *env;
    struct strv items;

    strv_init(&d->domains);
    strv_init(&items);
    server_split(v, &items);
    mem_free(v);
    for (size_t i = 0; i < items.n; i++)
        add_site(d, items.v[i]);
    strv_fini(&items);
    d->threshold = (int) server_param_int(srv, "postscreen_dnsbl_threshold");
    d->allow_threshold =
        (int) server_param_int(srv, "postscreen_dnsbl_allowlist_threshold");
    d->timeout = (double) server_param_time(srv, "postscreen_dnsbl_timeout");
    if (d->timeout <= 0)
        d->timeout = 10;
    v = server_param(srv, "postscreen_dnsbl_reply_map");
    if (*v)
        d->reply_map = maps_new("postscreen_dnsbl_reply_map", v, 0);
    mem_free(v);
    /* the resolvers: resolv.conf, or (tests) $POSTERN_DNS_RESOLVERS */
    strv_init(&d->resolvers);
    env = getenv("POSTERN_DNS_RESOLVERS");
    if (env && *env)
        server_split(env, &d->resolvers);
    d->pipe[0] = d->pipe[1] = -1;
    if (d->nsites > 0 && pipe2(d->pipe, O_CLOEXEC | O_NONBLOCK) < 0)
        log_fatal("pipe: %s", strerror(errno));
    return d;
}

int
postscreen_dnsbl_fd(const struct ps_dnsbl *d)
{
    return d->pipe[0];
}

int
postscreen_dnsbl_threshold(const struct ps_dnsbl *d)
{
    return d->threshold;
}

int
postscreen_dnsbl_allow_threshold(const struct ps_dnsbl *d)
{
    return d->allow_threshold;
}

/* reverse - the query name of addr under domain */
static char *
reverse(const char *addr, const char *domain)
{
    struct buf b;
    unsigned char a6[16];
    unsigned a4[4];
    char *out;

    buf_init(&b, 0);
    if (inet_pton(AF_INET6, addr, a6) == 1) {
        for (int i = 15; i >= 0; i--)
            buf_printf(&b, "%x.%x.", a6[i] & 0xf, a6[i] >> 4);
    } else if (sscanf(addr, "%u.%u.%u.%u", &a4[0], &a4[1], &a4[2], &a4[3]) ==
               4) {
        buf_printf(&b, "%u.%u.%u.%u.", a4[3], a4[2], a4[1], a4[0]);
    } else {
        buf_fini(&b);
        return NULL;
    }
    buf_puts(&b, domain);
    out = mem_strdup(buf_str(&b));
    buf_fini(&b);
    return out;
}

static void *
ask(void *arg)
{
    struct query *q = arg;
    struct dns_route_opts o;
    ssize_t n;

    memset(&o, 0, sizeof(o));
    o.servers = (const char *const *) q->d->resolvers.v;
    o.nservers = q->d->resolvers.n;
    o.timeout = q->d->timeout;
    (void) dns_lookup(&o, q->name, DNS_A, &q->addrs, NULL);
    q->done = 1;
    do
        n = write(q->d->pipe[1], &q, sizeof(q));
    while (n < 0 && errno == EINTR);
    return NULL;
}

/* start - run q in a thread of its own, or queue it; a query that
 * cannot start is answered "not listed" through the pipe too */
static void
start(struct ps_dnsbl *d, struct query *q)
{
    pthread_attr_t attr;
    pthread_t t;
    ssize_t n;

    if (d->running >= MAX_THREADS) {
        q->next = NULL;
        if (d->wait_tail)
            d->wait_tail->next = q;
        else
            d->wait_head = q;
        d->wait_tail = q;
        return;
    }
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    if (pthread_create(&t, &attr, ask, q) == 0) {
        q->started = 1;
        d->running++;
    } else {
        log_warn("DNSBL query thread: %s", strerror(errno));
        q->done = 1;
        do
            n = write(d->pipe[1], &q, sizeof(q));
        while (n < 0 && errno == EINTR);
    }
    pthread_attr_destroy(&attr);
}

struct ps_dnsbl_req *
postscreen_dnsbl_request(struct ps_dnsbl *d, struct ps_conn *c)
{
    struct ps_dnsbl_req *r;

    if (d->nsites == 0)
        return NULL;
    r = mem_calloc(1, sizeof(*r) + d->domains.n * sizeof(struct query));
    r->conn = c;
    for (size_t i = 0; i < d->domains.n; i++) {
        struct query *q = &r->q[r->nq];

        q->req = r;
        q->d = d;
        q->domain = d->domains.v[i];
        q->name = reverse(c->addr, d->domains.v[i]);
        strv_init(&q->addrs);
        if (q->name == NULL) {
            mem_free(q->name);
            continue;
        }
        r->nq++;
        r->pending++;
    }
    /* all counted before any can finish */
    for (size_t i = 0; i < r->nq; i++)
        start(d, &r->q[i]);
    if (r->pending == 0) {
        /* nothing to wait for: the result is "not listed" now */
        c->dnsbl_done = 1;
    }
    return r;
}

static void
req_free(struct ps_dnsbl_req *r)
{
    for (size_t i = 0; i < r->nq; i++) {
        mem_free(r->q[i].name);
        strv_fini(&r->q[i].addrs);
    }
    mem_free(r);
}

struct ps_conn *
postscreen_dnsbl_event(struct ps_dnsbl *d)
{
    struct query *q;

    while (read(d->pipe[0], &q, sizeof(q)) == (ssize_t) sizeof(q)) {
        struct ps_dnsbl_req *r = q->req;

        if (q->started)
            d->running--;
        while (d->wait_head && d->running < MAX_THREADS) {
            struct query *w = d->wait_head;

            d->wait_head = w->next;
            if (d->wait_head == NULL)
                d->wait_tail = NULL;
            start(d, w);
        }
        if (--r->pending > 0)
            continue;
        if (r->conn == NULL) {
            req_free(r);
            continue;
        }
        return r->conn;
    }
    return NULL;
}

void
postscreen_dnsbl_release(struct ps_conn *c)
{
    struct ps_dnsbl_req *r = c->dq;

    c->dq = NULL;
    if (r->pending > 0)
        r->conn = NULL; /* postscreen_dnsbl_event frees it */
    else
        req_free(r);
}

static int
site_lists(const struct site *st, const struct query *q)
{
    for (size_t i = 0; i < q->addrs.n; i++) {
        unsigned a[4];

        if (!st->has_filter)
            return 1;
        if (sscanf(q->addrs.v[i], "%u.%u.%u.%u", &a[0], &a[1], &a[2], &a[3]) ==
                4 &&
            a[0] < 256 && a[1] < 256 && a[2] < 256 && a[3] < 256 &&
            st->ok[0][a[0]] && st->ok[1][a[1]] && st->ok[2][a[2]] &&
            st->ok[3][a[3]])
            return 1;
    }
    return 0;
}

int
postscreen_dnsbl_score(struct ps_dnsbl *d, struct ps_conn *c, const char **name)
{
    struct ps_dnsbl_req *r = c->dq;
    int score = 0, best = 0;
    const char *best_domain = NULL;

    *name = NULL;
    if (r == NULL)
        return 0;
    for (int s = 0; s < d->nsites; s++) {
        const struct site *st = &d->site[s];

        for (size_t i = 0; i < r->nq; i++) {
            const struct query *q = &r->q[i];

            /* answers are read only once the thread said done */
            if (!q->done || r->pending > 0 ||
                strcasecmp(q->domain, st->domain) != 0)
                continue;
            if (site_lists(st, q)) {
                score += st->weight;
                if (best_domain == NULL || st->weight > best) {
                    best = st->weight;
                    best_domain = st->domain;
                }
            }
            break;
        }
    }
    if (best_domain) {
        const char *v;

        *name = best_domain;
        if (d->reply_map &&
            maps_find(d->reply_map, best_domain, &v) == MAPS_FOUND)
            *name = v;
    }
    return score;
}
