/*
 * strv - growable, NULL-terminated vector of owned strings.
 */
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

void
strv_init(struct strv *sv)
{
    sv->v = NULL;
    sv->n = sv->cap = 0;
}

void
strv_fini(struct strv *sv)
{
    for (size_t i = 0; i < sv->n; i++)
        mem_free(sv->v[i]);
    mem_free(sv->v);
    strv_init(sv);
}

void
strv_adopt(struct strv *sv, char *s)
{
    if (sv->n + 2 > sv->cap) {
        sv->cap = sv->cap ? sv->cap * 2 : 8;
        sv->v = mem_realloc(sv->v, sv->cap * sizeof(*sv->v));
    }
    sv->v[sv->n++] = s;
    sv->v[sv->n] = NULL;
}

void
strv_add(struct strv *sv, const char *s)
{
    strv_adopt(sv, mem_strdup(s));
}

static int
cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

void
strv_sort(struct strv *sv)
{
    if (sv->n > 1)
        qsort(sv->v, sv->n, sizeof(*sv->v), cmp);
}

void
strv_uniq(struct strv *sv)
{
    size_t k = 0;

    strv_sort(sv);
    for (size_t i = 0; i < sv->n; i++) {
        if (k > 0 && strcmp(sv->v[k - 1], sv->v[i]) == 0) {
            mem_free(sv->v[i]);
            continue;
        }
        sv->v[k++] = sv->v[i];
    }
    sv->n = k;
    if (sv->v)
        sv->v[k] = NULL;
}
