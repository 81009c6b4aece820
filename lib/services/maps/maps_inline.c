/*
 * maps_inline - inline:{...} and static: tables with Postfix's
 *	dict_inline and dict_static syntax and error texts.
 *
 * DESCRIPTION
 *	inline:{ name=value, { name = value with spaces }, ... }: the
 *	whole name must be one balanced {} group; its elements are
 *	separated by commas and white space, an element in braces may
 *	hold blanks (around '=' and in the value). A later name replaces
 *	an earlier one (Postfix's in-memory table does the same). An empty
 *	table is an error.
 *
 *	static:value, or static:{ value with spaces }: every key finds
 *	value.
 */
#include <stdio.h>
#include <string.h>

#include "conf/conf.h"
#include "maps/maps_int.h"

int
maps_inline_load(const char *name, unsigned flags, struct htab *h, char *err,
                 size_t errlen)
{
    char *copy = mem_strdup(name), *bp = copy, *item, *free_me = NULL;
    const char *why = NULL;
    size_t len = conf_balpar(name);
    int count = 0;

    if (len == 0 || name[len] != 0)
        why = "bad syntax";
    else if ((why = free_me = conf_extpar(&bp, 1)) == NULL) {
        while ((item = conf_tok_next(&bp, CONF_SEP_COMMA_SP)) != NULL) {
            char *key, *value, *old;

            if (*item == '{' && (why = free_me = conf_extpar(&item, 1)) != NULL)
                break;
            if ((why = conf_split_nameval(item, &key, &value)) != NULL)
                break;
            if (!(flags & MAPS_F_NOFOLD))
                maps_fold(key);
            if ((old = htab_set(h, key, mem_strdup(value))) != NULL)
                mem_free(old);
            count++;
        }
    }
    if (why == NULL && count == 0)
        why = "empty table";
    if (why && err)
        snprintf(err, errlen,
                 "%s: \"inline:%s\"; need \"inline:{name=value...}\"", why,
                 name);
    mem_free(free_me);
    mem_free(copy);
    return why ? -1 : 0;
}

int
maps_inline_parse(const char *name, unsigned flags, struct htab *h)
{
    return maps_inline_load(name, flags, h, NULL, 0);
}

char *
maps_static_value(const char *name, char *err, size_t errlen)
{
    char *copy, *bp, *why, *value;

    if (*name != '{')
        return mem_strdup(name);
    bp = copy = mem_strdup(name);
    if ((why = conf_extpar(&bp, 1)) != NULL) {
        snprintf(err, errlen, "bad static:name syntax: %s", why);
        mem_free(why);
        mem_free(copy);
        return NULL;
    }
    value = mem_strdup(bp);
    mem_free(copy);
    return value;
}
