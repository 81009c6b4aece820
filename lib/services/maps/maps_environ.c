/*
 * maps_environ - environ:name, Postfix's dict_env: the key is the name of
 *	an environment variable of the process, its value the result (the
 *	table's name is not used). The key is folded as in other tables (Postfix
 *folds it too: postmap -q HOME environ:x finds nothing, postmap -fq HOME
 *environ:x finds it).
 */
#include <stdlib.h>

#include "maps/maps_int.h"

static void *
env_open(const char *name, unsigned flags, char *err, size_t errlen)
{
    (void) flags;
    (void) err;
    (void) errlen;
    return mem_strdup(name);
}

static enum maps_result
env_find(void *h, const char *key, struct buf *out, char *err, size_t errlen)
{
    const char *v = getenv(key);

    (void) h;
    (void) err;
    (void) errlen;
    if (v == NULL)
        return MAPS_NOTFOUND;
    (void) buf_puts(out, v);
    return MAPS_FOUND;
}

static void
env_close(void *h)
{
    mem_free(h);
}

const struct maps_driver maps_drv_environ = {
    "environ", 0, env_open, env_find, env_close, NULL,
};
