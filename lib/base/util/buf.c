/*
 * buf - growable NUL-terminated text with a hard limit.
 *
 * DESCRIPTION
 *	Modelled on curl's dynbuf: every buffer fed from outside has a
 *	limit given at init, and an append that would pass it fails
 *	without changing the buffer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

static char empty[1];

void
buf_init(struct buf *b, size_t limit)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->limit = limit ? limit : (size_t) -1 / 2;
}

void
buf_fini(struct buf *b)
{
    mem_free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* grow - make room for n more bytes plus the NUL */
static int
grow(struct buf *b, size_t n)
{
    size_t need;

    if (n > b->limit || b->len > b->limit - n)
        return -1;
    need = b->len + n + 1;
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 64;

        while (cap < need)
            cap *= 2;
        b->data = mem_realloc(b->data, cap);
        b->cap = cap;
    }
    return 0;
}

int
buf_reserve(struct buf *b, size_t n)
{
    return grow(b, n);
}

int
buf_append(struct buf *b, const char *s, size_t n)
{
    if (grow(b, n) < 0)
        return -1;
    if (n)
        memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = 0;
    return 0;
}

int
buf_puts(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

int
buf_putc(struct buf *b, int c)
{
    char ch = (char) c;

    return buf_append(b, &ch, 1);
}

int
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    int n;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0 || grow(b, (size_t) n) < 0)
        return -1;
    vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
    b->len += (size_t) n;
    return 0;
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

void
buf_truncate(struct buf *b, size_t len)
{
    if (len < b->len) {
        b->len = len;
        b->data[len] = 0;
    }
}

const char *
buf_str(const struct buf *b)
{
    return b->data ? b->data : empty;
}

char *
buf_data(struct buf *b)
{
    if (b->data == NULL) {
        b->data = mem_alloc(1);
        b->data[0] = 0;
        b->cap = 1;
    }
    return b->data;
}

char *
buf_steal(struct buf *b)
{
    char *p = b->data ? b->data : mem_strdup("");

    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}
