/*
 * htab - string-keyed hash table with insertion-ordered walks.
 *
 * DESCRIPTION
 *	Open addressing over an index array; entries live in a dense
 *	array in insertion order, so listing is deterministic and cheap.
 *	FNV-1a hashing, linear probing. Deletion empties the slot and moves
 *	the rest of the probe cluster back (no tombstones), and the last
 *	entry into the deleted one's place, so the array stays dense.
 */
#include <stdint.h>
#include <string.h>

#include "util/util.h"

struct entry {
    char *key;
    void *value;
    uint32_t hash;
};

struct htab {
    struct entry *ents;
    size_t count;
    size_t ents_cap;
    uint32_t *slots; /* index + 1 into ents; 0 = empty */
    size_t nslots;   /* power of two */
};

static uint32_t
fnv1a(const char *s)
{
    uint32_t h = 2166136261u;

    while (*s) {
        h ^= (unsigned char) *s++;
        h *= 16777619u;
    }
    return h;
}

struct htab *
htab_new(size_t size_hint)
{
    struct htab *h = mem_calloc(1, sizeof(*h));

    h->nslots = 16;
    while (h->nslots < size_hint * 2)
        h->nslots *= 2;
    h->slots = mem_calloc(h->nslots, sizeof(*h->slots));
    return h;
}

void
htab_free(struct htab *h, void (*free_value)(void *))
{
    if (h == NULL)
        return;
    for (size_t i = 0; i < h->count; i++) {
        mem_free(h->ents[i].key);
        if (free_value)
            free_value(h->ents[i].value);
    }
    mem_free(h->ents);
    mem_free(h->slots);
    mem_free(h);
}

/* lookup_slot - slot holding key, or the empty slot where it would go */
static size_t
lookup_slot(const struct htab *h, const char *key, uint32_t hash)
{
    size_t mask = h->nslots - 1;
    size_t i = hash & mask;

    while (h->slots[i]) {
        const struct entry *e = &h->ents[h->slots[i] - 1];

        if (e->hash == hash && strcmp(e->key, key) == 0)
            break;
        i = (i + 1) & mask;
    }
    return i;
}

static void
rehash(struct htab *h)
{
    mem_free(h->slots);
    h->nslots *= 2;
    h->slots = mem_calloc(h->nslots, sizeof(*h->slots));
    for (size_t i = 0; i < h->count; i++) {
        size_t s = lookup_slot(h, h->ents[i].key, h->ents[i].hash);

        h->slots[s] = (uint32_t) (i + 1);
    }
}

void *
htab_find(const struct htab *h, const char *key)
{
    size_t s = lookup_slot(h, key, fnv1a(key));

    return h->slots[s] ? h->ents[h->slots[s] - 1].value : NULL;
}

int
htab_has(const struct htab *h, const char *key)
{
    return h->slots[lookup_slot(h, key, fnv1a(key))] != 0;
}

void *
htab_set(struct htab *h, const char *key, void *value)
{
    uint32_t hash = fnv1a(key);
    size_t s = lookup_slot(h, key, hash);
    struct entry *e;

    if (h->slots[s]) {
        void *old;

        e = &h->ents[h->slots[s] - 1];
        old = e->value;
        e->value = value;
        return old;
    }
    if (h->count == h->ents_cap) {
        h->ents_cap = h->ents_cap ? h->ents_cap * 2 : 16;
        h->ents = mem_realloc(h->ents, h->ents_cap * sizeof(*h->ents));
    }
    e = &h->ents[h->count];
    e->key = mem_strdup(key);
    e->value = value;
    e->hash = hash;
    h->slots[s] = (uint32_t) ++h->count;
    if (h->count * 2 > h->nslots)
        rehash(h);
    return NULL;
}

void *
htab_delete(struct htab *h, const char *key)
{
    size_t mask = h->nslots - 1;
    size_t i = lookup_slot(h, key, fnv1a(key)), j = i, idx, last;
    void *value;

    if (h->slots[i] == 0)
        return NULL;
    idx = h->slots[i] - 1;
    value = h->ents[idx].value;
    mem_free(h->ents[idx].key);

    /*
     * Empty the slot, then walk the rest of its cluster: an entry whose
     * home slot is not cyclically in (i, j] would no longer be found
     * past the hole, so it moves into the hole, which moves to j.
     */
    h->slots[i] = 0;
    for (;;) {
        size_t home;

        j = (j + 1) & mask;
        if (h->slots[j] == 0)
            break;
        home = h->ents[h->slots[j] - 1].hash & mask;
        if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
            continue;
        h->slots[i] = h->slots[j];
        h->slots[j] = 0;
        i = j;
    }

    /* the last entry fills the gap; its slot follows it */
    last = h->count - 1;
    if (idx != last) {
        h->ents[idx] = h->ents[last];
        h->slots[lookup_slot(h, h->ents[idx].key, h->ents[idx].hash)] =
            (uint32_t) (idx + 1);
    }
    h->count--;
    return value;
}

size_t
htab_count(const struct htab *h)
{
    return h->count;
}

const char *
htab_key(const struct htab *h, size_t i)
{
    return h->ents[i].key;
}

void *
htab_value(const struct htab *h, size_t i)
{
    return h->ents[i].value;
}
