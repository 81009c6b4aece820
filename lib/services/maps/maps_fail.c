/*
 * maps_fail - fail:name, Postfix's dict_fail: every lookup is a
 *	temporary failure (a table that stands for one that is down, or a
 *	test of the callers' error paths).
 */
#include <stdio.h>

#include "maps/maps_int.h"

static void *
fail_open(const char *name, unsigned flags, char *err, size_t errlen)
{
    (void) flags;
    (void) err;
    (void) errlen;
    return mem_strdup(name);
}

static enum maps_result
fail_find(void *h, const char *key, struct buf *out, char *err, size_t errlen)
{
    (void) key;
    (void) out;
    snprintf(err, errlen, "table fail:%s fails every lookup", (char *) h);
    return MAPS_ERROR;
}

static void
fail_close(void *h)
{
    mem_free(h);
}

const struct maps_driver maps_drv_fail = {
    "fail", 0, fail_open, fail_find, fail_close, NULL,
};
