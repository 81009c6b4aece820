/*
 * maps_union - unionmap:{...}, pipemap:{...} and randmap:{...}, as
 *	Postfix's dict_union, dict_pipe and dict_random.
 *
 * DESCRIPTION
 *	unionmap:{type:name, ...} searches every table and joins what they
 *	find with commas (not found when none has the key); pipemap:{type:
 *	name, ...} looks the key up in the first table, its result in the
 *	second, and so on (not found when one of them has nothing);
 *	randmap:{value, ...} answers every key with one of its values,
 *	picked at random. A table of a union or pipeline that fails makes
 *	the lookup fail (a temporary failure). The tables inside are
 *	opened as the outer one is (case folding, alias syntax).
 */
#define _DEFAULT_SOURCE 1 /* random */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf/conf.h"
#include "maps/maps_int.h"

struct multi {
    const char *type; /* "unionmap", "pipemap" or "randmap" */
    struct strv items;
    struct maps **sub; /* unionmap, pipemap: one per table */
};

/* split - the elements of "{a, b ...}"; -1 with Postfix's error text */
static int
split(const char *type, const char *name, int tables, struct strv *out,
      char *err, size_t errlen)
{
    size_t n = conf_balpar(name);
    char *body;
    int bad = 0;

    if (n < 2 || name[n] != 0) {
        bad = 1;
    } else {
        body = mem_strndup(name + 1, n - 2);
        bad = *body == 0;
        if (!bad)
            maps_split(body, out);
        mem_free(body);
    }
    for (size_t i = 0; tables && !bad && i < out->n; i++)
        bad = strchr(out->v[i], ':') == NULL;
    if (bad)
        snprintf(err, errlen, "bad syntax: \"%s:%s\"; need \"%s:{%s...}\"",
                 type, name, type, tables ? "type:name" : "value");
    return bad ? -1 : 0;
}

static void
multi_close(void *h)
{
    struct multi *mu = h;

    for (size_t i = 0; mu->sub && i < mu->items.n; i++)
        maps_free(mu->sub[i]);
    mem_free(mu->sub);
    strv_fini(&mu->items);
    mem_free(mu);
}

static void *
multi_open(const char *type, const char *name, unsigned flags, char *err,
           size_t errlen)
{
    struct multi *mu = mem_calloc(1, sizeof(*mu));
    int tables = strcmp(type, "randmap") != 0;

    mu->type = type;
    strv_init(&mu->items);
    if (split(type, name, tables, &mu->items, err, errlen) < 0) {
        multi_close(mu);
        return NULL;
    }
    if (tables) {
        mu->sub = mem_calloc(mu->items.n, sizeof(*mu->sub));
        /* read now: maps_pre_jail does not see tables made while it
         * runs (a failure shows at lookup, as the component's error) */
        for (size_t i = 0; i < mu->items.n; i++) {
            mu->sub[i] =
                maps_new(mu->items.v[i], mu->items.v[i], flags | MAPS_F_NOWARN);
            (void) maps_preload(mu->sub[i]);
        }
    }
    /* randmap: elements as written, braces too (Postfix 3.7 answers
     * "{two words}" for randmap:{ {two words} }) */
    return mu;
}

/* sub_find - key in table i: MAPS_* with the value in out */
static enum maps_result
sub_find(struct multi *mu, size_t i, const char *key, struct buf *out,
         char *err, size_t errlen)
{
    const char *v;
    enum maps_result r = maps_find(mu->sub[i], key, &v);

    buf_truncate(out, 0);
    if (r == MAPS_FOUND)
        (void) buf_puts(out, v);
    else if (r == MAPS_ERROR)
        snprintf(err, errlen, "%s", maps_error(mu->sub[i]));
    return r;
}

static enum maps_result
union_find(void *h, const char *key, struct buf *out, char *err, size_t errlen)
{
    struct multi *mu = h;
    struct buf one;
    int found = 0;

    buf_init(&one, 0);
    buf_truncate(out, 0);
    for (size_t i = 0; i < mu->items.n; i++) {
        enum maps_result r = sub_find(mu, i, key, &one, err, errlen);

        if (r == MAPS_ERROR) {
            buf_fini(&one);
            return MAPS_ERROR;
        }
        if (r == MAPS_FOUND) {
            if (found++)
                (void) buf_putc(out, ',');
            (void) buf_puts(out, buf_str(&one));
        }
    }
    buf_fini(&one);
    return found ? MAPS_FOUND : MAPS_NOTFOUND;
}

static enum maps_result
pipe_find(void *h, const char *key, struct buf *out, char *err, size_t errlen)
{
    struct multi *mu = h;
    char *query = mem_strdup(key);

    for (size_t i = 0; i < mu->items.n; i++) {
        enum maps_result r = sub_find(mu, i, query, out, err, errlen);

        mem_free(query);
        if (r != MAPS_FOUND)
            return r;
        query = mem_strdup(buf_str(out));
    }
    mem_free(query);
    return MAPS_FOUND;
}

static enum maps_result
rand_find(void *h, const char *key, struct buf *out, char *err, size_t errlen)
{
    struct multi *mu = h;
    static int seeded;

    (void) key;
    (void) err;
    (void) errlen;
    if (!seeded) {
        srandom((unsigned) time(NULL) ^ (unsigned) getpid());
        seeded = 1;
    }
    buf_truncate(out, 0);
    (void) buf_puts(out, mu->items.v[(size_t) random() % mu->items.n]);
    return MAPS_FOUND;
}

static void *
union_open(const char *name, unsigned flags, char *err, size_t errlen)
{
    return multi_open("unionmap", name, flags, err, errlen);
}

static void *
pipe_open(const char *name, unsigned flags, char *err, size_t errlen)
{
    return multi_open("pipemap", name, flags, err, errlen);
}

static void *
rand_open(const char *name, unsigned flags, char *err, size_t errlen)
{
    return multi_open("randmap", name, flags, err, errlen);
}

/* check - the syntax, for "postern check" (the tables inside are
 * checked when they are opened) */
static int
check(const char *type, const char *name, char *why, size_t len)
{
    struct strv items;
    int rc;

    strv_init(&items);
    rc = split(type, name, strcmp(type, "randmap") != 0, &items, why, len);
    for (size_t i = 0; rc == 0 && strcmp(type, "randmap") != 0 && i < items.n;
         i++)
        rc = maps_check_table(items.v[i], why, len);
    strv_fini(&items);
    return rc;
}

static int
union_check(const char *name, char *why, size_t len)
{
    return check("unionmap", name, why, len);
}

static int
pipe_check(const char *name, char *why, size_t len)
{
    return check("pipemap", name, why, len);
}

static int
rand_check(const char *name, char *why, size_t len)
{
    return check("randmap", name, why, len);
}

/* the tables inside fold keys themselves (they get the outer flags) */
const struct maps_driver maps_drv_unionmap = {
    "unionmap", MAPS_DRV_RAWKEY, union_open,
    union_find, multi_close,     union_check,
};
const struct maps_driver maps_drv_pipemap = {
    "pipemap", MAPS_DRV_RAWKEY, pipe_open, pipe_find, multi_close, pipe_check,
};
/* Postfix's dict_random is a pattern table: not for partial keys */
const struct maps_driver maps_drv_randmap = {
    "randmap", MAPS_DRV_PATTERN, rand_open, rand_find, multi_close, rand_check,
};
