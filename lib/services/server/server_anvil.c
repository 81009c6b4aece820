/*
 * server_anvil - per-client connection counts and rates of one service,
 * shared by its fronts, workers and master. See server_anvil.h.
 *
 * DESCRIPTION
 *	One anonymous shared mapping: a robust process-shared mutex, the
 *	fronts' seats, hash buckets and a fixed pool of entries chained
 *	from them. An entry's index (its reference, 1-based) never changes
 *	while a connection is counted in it, so workers and master release
 *	by reference without a lookup. Pages are touched only as entries
 *	are used, so the mapping costs what the clients need.
 */
#define _GNU_SOURCE 1 /* MAP_ANONYMOUS */
#include "server/server_anvil.h"

#include <sys/mman.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "server/server.h"

#define COLS    (SERVER_ANVIL_FRONTS + 1)
#define BUCKETS SERVER_ANVIL_ENTRIES

struct entry {
    char addr[SERVER_ADDR_MAX];
    uint32_t next; /* bucket chain or free list, 1-based, 0 = end */
    int32_t used;
    int32_t held[COLS];
    int32_t rate;
    int64_t start; /* first event of the rate window */
};

struct server_anvil {
    pthread_mutex_t mu;
    int32_t seat[SERVER_ANVIL_FRONTS]; /* pid of the front, 0 free */
    uint32_t free_head;
    uint32_t high; /* entries ever used */
    uint32_t nused;
    struct server_anvil_stats stats;
    uint32_t bucket[BUCKETS];
    struct entry e[SERVER_ANVIL_ENTRIES];
};

static void
lock(struct server_anvil *a)
{
    /* a holder that died: its update was a few stores; carry on */
    if (pthread_mutex_lock(&a->mu) == EOWNERDEAD)
        (void) pthread_mutex_consistent(&a->mu);
}

static void
unlock(struct server_anvil *a)
{
    (void) pthread_mutex_unlock(&a->mu);
}

static unsigned
hash(const char *s)
{
    unsigned h = 2166136261u;

    while (*s)
        h = (h ^ (unsigned char) *s++) * 16777619u;
    return h % BUCKETS;
}

static struct entry *
entry(struct server_anvil *a, unsigned ref)
{
    if (ref == 0 || ref > a->high || !a->e[ref - 1].used)
        return NULL;
    return &a->e[ref - 1];
}

static int
total(const struct entry *e)
{
    int n = 0;

    for (int i = 0; i < COLS; i++)
        n += e->held[i];
    return n;
}

struct server_anvil *
server_anvil_create(void)
{
    struct server_anvil *a;
    pthread_mutexattr_t at;
    int rc;

    a = mmap(NULL, sizeof(*a), PROT_READ | PROT_WRITE,
             MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (a == MAP_FAILED)
        return NULL;
    if ((rc = pthread_mutexattr_init(&at)) != 0 ||
        (rc = pthread_mutexattr_setpshared(&at, PTHREAD_PROCESS_SHARED)) != 0 ||
        (rc = pthread_mutexattr_setrobust(&at, PTHREAD_MUTEX_ROBUST)) != 0 ||
        (rc = pthread_mutex_init(&a->mu, &at)) != 0) {
        (void) munmap(a, sizeof(*a));
        errno = rc;
        return NULL;
    }
    (void) pthread_mutexattr_destroy(&at);
    return a;
}

void
server_anvil_destroy(struct server_anvil *a)
{
    if (a)
        (void) munmap(a, sizeof(*a));
}

int
server_anvil_seat(struct server_anvil *a, pid_t pid)
{
    int col = SERVER_ANVIL_WORKERS;

    lock(a);
    for (int i = 0; i < SERVER_ANVIL_FRONTS; i++)
        if (a->seat[i] == 0 || a->seat[i] == (int32_t) pid) {
            a->seat[i] = (int32_t) pid;
            col = i;
            break;
        }
    unlock(a);
    return col;
}

void
server_anvil_unseat(struct server_anvil *a, pid_t pid)
{
    lock(a);
    for (int i = 0; i < SERVER_ANVIL_FRONTS; i++) {
        if (a->seat[i] != (int32_t) pid)
            continue;
        for (uint32_t k = 0; k < a->high; k++)
            a->e[k].held[i] = 0;
        a->seat[i] = 0;
    }
    unlock(a);
}

static void
peak(struct server_anvil_max *m, int value, const char *addr, time_t now)
{
    if (value <= m->value)
        return;
    m->value = value;
    m->when = now;
    snprintf(m->addr, sizeof(m->addr), "%s", addr);
}

unsigned
server_anvil_connect(struct server_anvil *a, int col, const char *addr,
                     time_t now, long unit, int *count, int *rate)
{
    unsigned b = hash(addr), ref;
    struct entry *e = NULL;

    *count = *rate = 0;
    if (col < 0 || col >= COLS)
        return 0;
    lock(a);
    for (ref = a->bucket[b]; ref; ref = a->e[ref - 1].next)
        if (strcmp(a->e[ref - 1].addr, addr) == 0) {
            e = &a->e[ref - 1];
            break;
        }
    if (e == NULL) {
        if (a->free_head) {
            ref = a->free_head;
            a->free_head = a->e[ref - 1].next;
        } else if (a->high < SERVER_ANVIL_ENTRIES) {
            ref = ++a->high;
        } else {
            unlock(a);
            return 0; /* full: not counted */
        }
        e = &a->e[ref - 1];
        memset(e, 0, sizeof(*e));
        snprintf(e->addr, sizeof(e->addr), "%s", addr);
        e->used = 1;
        e->next = a->bucket[b];
        a->bucket[b] = ref;
        if (++a->nused > (uint32_t) a->stats.cache) {
            a->stats.cache = (int) a->nused;
            a->stats.cache_when = now;
        }
    }
    /* Postfix's anvil: the counter restarts once the unit has passed
     * since the first event it counted */
    if (e->start == 0 || e->start + unit < (int64_t) now) {
        e->rate = 0;
        e->start = now;
    }
    if (e->rate < INT_MAX)
        e->rate++;
    e->held[col]++;
    *count = total(e);
    *rate = e->rate;
    peak(&a->stats.rate, *rate, addr, now);
    peak(&a->stats.count, *count, addr, now);
    unlock(a);
    return ref;
}

void
server_anvil_move(struct server_anvil *a, unsigned ref, int from, int to)
{
    struct entry *e;

    if (from < 0 || from >= COLS || to < 0 || to >= COLS || from == to)
        return;
    lock(a);
    if ((e = entry(a, ref)) != NULL) {
        if (e->held[from] > 0)
            e->held[from]--;
        e->held[to]++;
    }
    unlock(a);
}

void
server_anvil_release(struct server_anvil *a, unsigned ref, int col)
{
    struct entry *e;

    if (col < 0 || col >= COLS)
        return;
    lock(a);
    if ((e = entry(a, ref)) != NULL && e->held[col] > 0)
        e->held[col]--;
    unlock(a);
}

void
server_anvil_sweep(struct server_anvil *a, time_t now, long unit)
{
    lock(a);
    for (uint32_t k = 0; k < a->high; k++) {
        struct entry *e = &a->e[k];
        uint32_t *pp;

        if (!e->used || total(e) > 0 || e->start + unit >= (int64_t) now)
            continue;
        for (pp = &a->bucket[hash(e->addr)]; *pp; pp = &a->e[*pp - 1].next)
            if (*pp == k + 1) {
                *pp = e->next;
                break;
            }
        e->used = 0;
        e->addr[0] = 0;
        e->next = a->free_head;
        a->free_head = k + 1;
        a->nused--;
    }
    unlock(a);
}

int
server_anvil_count(struct server_anvil *a, const char *addr)
{
    int n = 0;

    lock(a);
    for (unsigned ref = a->bucket[hash(addr)]; ref; ref = a->e[ref - 1].next)
        if (strcmp(a->e[ref - 1].addr, addr) == 0) {
            n = total(&a->e[ref - 1]);
            break;
        }
    unlock(a);
    return n;
}

void
server_anvil_stats(struct server_anvil *a, struct server_anvil_stats *s)
{
    lock(a);
    *s = a->stats;
    memset(&a->stats, 0, sizeof(a->stats));
    unlock(a);
}
