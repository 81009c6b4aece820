/*
 * mem - allocation that never returns NULL.
 *
 * DESCRIPTION
 *	Out of memory is fatal, as with Postfix mymalloc() and OpenSMTPD
 *	xmalloc(): no caller needs an error path for it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

void *
mem_alloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (p == NULL)
        log_fatal("out of memory allocating %zu bytes", n);
    return p;
}

void *
mem_calloc(size_t nmemb, size_t size)
{
    void *p;

    if (size && nmemb > SIZE_MAX / size)
        log_fatal("allocation overflow: %zu * %zu", nmemb, size);
    p = calloc(nmemb ? nmemb : 1, size ? size : 1);
    if (p == NULL)
        log_fatal("out of memory allocating %zu bytes", nmemb * size);
    return p;
}

void *
mem_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);

    if (q == NULL)
        log_fatal("out of memory allocating %zu bytes", n);
    return q;
}

char *
mem_strdup(const char *s)
{
    return mem_strndup(s, strlen(s));
}

char *
mem_strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *p = mem_alloc(len + 1);

    memcpy(p, s, len);
    p[len] = 0;
    return p;
}

void
mem_free(void *p)
{
    free(p);
}
