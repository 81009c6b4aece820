/*
 * maps_int - private declarations of lib/maps.
 */
#ifndef MAPS_MAPS_INT_H
#define MAPS_MAPS_INT_H

#include <stddef.h>

#include "maps/maps.h"

/* maps_entry_fn - one key/value of a source file, with its line; key is
 * writable (the callback may fold it) */
typedef void maps_entry_fn(void *ctx, char *key, const char *value, int line);
/* maps_bad_fn - a line that is not an entry */
typedef void maps_bad_fn(void *ctx, int line);
/* maps_parse_source - read a postmap (or, alias, postalias) source file;
 * 0, or -1 with errno */
int maps_parse_source(const char *path, int alias, maps_entry_fn *fn,
                      maps_bad_fn *bad, void *ctx);

/* an index file (path.pdb) mapped read-only */
struct maps_index;
/* maps_index_open - the index of path when it exists, is not older than
 * path and was built in the same syntax (alias or not); else NULL */
struct maps_index *maps_index_open(const char *path, int alias);
void maps_index_close(struct maps_index *ix);
/* maps_index_find - value (borrowed, lives with ix) or NULL */
const char *maps_index_find(const struct maps_index *ix, const char *key);

#endif
