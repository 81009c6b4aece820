/*
 * pcf_dict - name=value table that walks in Postfix's order.
 *
 * DESCRIPTION
 *	postconf reports some warnings (unused parameters, database
 *	configuration files) while it walks its in-memory dictionaries,
 *	so their order is the walk order of Postfix's hash table: chained
 *	buckets, new entries linked at the head of their chain, 13
 *	buckets to start, grown to 2n+1 when full, and the 64-bit FNV-1a
 *	variant that adds 1 to each byte, unseeded as with NORANDOMIZE.
 *	This table reproduces that order so that our stderr matches
 *	postconf's line for line. Lookups use the same chains.
 */
#include <stdint.h>
#include <string.h>

#include "pcf/pcf_int.h"

struct dnode {
    char *key;
    char *value;
    struct dnode *next;
};

struct pcf_dict {
    struct dnode **bucket;
    size_t size;
    size_t used;
};

static uint64_t
pfx_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;

    while (*s) {
        h ^= 1 + (uint64_t) (unsigned char) *s++;
        h *= 0x00000100000001B3ULL;
    }
    return h;
}

static void
set_size(struct pcf_dict *d, size_t size)
{
    size |= 1;
    d->bucket = mem_calloc(size, sizeof(*d->bucket));
    d->size = size;
    d->used = 0;
}

static void
link_node(struct pcf_dict *d, struct dnode *n)
{
    struct dnode **h = d->bucket + pfx_hash(n->key) % d->size;

    n->next = *h;
    *h = n;
    d->used++;
}

struct pcf_dict *
pcf_dict_new(void)
{
    return pcf_dict_new_sized(13);
}

struct pcf_dict *
pcf_dict_new_sized(size_t size)
{
    struct pcf_dict *d = mem_calloc(1, sizeof(*d));

    set_size(d, size < 13 ? 13 : size);
    return d;
}

void
pcf_dict_free(struct pcf_dict *d)
{
    if (d == NULL)
        return;
    for (size_t i = 0; i < d->size; i++) {
        struct dnode *n, *next;

        for (n = d->bucket[i]; n; n = next) {
            next = n->next;
            mem_free(n->key);
            mem_free(n->value);
            mem_free(n);
        }
    }
    mem_free(d->bucket);
    mem_free(d);
}

static struct dnode *
find(const struct pcf_dict *d, const char *key)
{
    struct dnode *n;

    for (n = d->bucket[pfx_hash(key) % d->size]; n; n = n->next)
        if (strcmp(n->key, key) == 0)
            return n;
    return NULL;
}

const char *
pcf_dict_get(const struct pcf_dict *d, const char *key)
{
    struct dnode *n = d ? find(d, key) : NULL;

    return n ? n->value : NULL;
}

void
pcf_dict_put(struct pcf_dict *d, const char *key, const char *value)
{
    struct dnode *n = find(d, key);

    if (n) {
        char *v = mem_strdup(value);

        mem_free(n->value);
        n->value = v;
        return;
    }
    if (d->used >= d->size) {
        struct dnode **old = d->bucket;
        size_t old_size = d->size;

        set_size(d, 2 * old_size);
        for (size_t i = 0; i < old_size; i++) {
            struct dnode *m, *next;

            for (m = old[i]; m; m = next) {
                next = m->next;
                link_node(d, m);
            }
        }
        mem_free(old);
    }
    n = mem_alloc(sizeof(*n));
    n->key = mem_strdup(key);
    n->value = mem_strdup(value);
    link_node(d, n);
}

int
pcf_dict_del(struct pcf_dict *d, const char *key)
{
    struct dnode **np;

    for (np = d->bucket + pfx_hash(key) % d->size; *np; np = &(*np)->next) {
        if (strcmp((*np)->key, key) == 0) {
            struct dnode *n = *np;

            *np = n->next;
            d->used--;
            mem_free(n->key);
            mem_free(n->value);
            mem_free(n);
            return 0;
        }
    }
    return -1;
}

size_t
pcf_dict_count(const struct pcf_dict *d)
{
    return d ? d->used : 0;
}

struct strv
pcf_dict_keys(const struct pcf_dict *d)
{
    struct strv sv;

    strv_init(&sv);
    if (d == NULL)
        return sv;
    for (size_t i = 0; i < d->size; i++)
        for (struct dnode *n = d->bucket[i]; n; n = n->next)
            strv_add(&sv, n->key);
    return sv;
}
