/*
 * maps_ldap_cf - the .cf files of ldap: and memcache: tables (Postfix's
 *	cfg_parser) and their %-templates (Postfix's db_common): private to
 *	lib/services/maps (maps_ldap.c, maps_memcache.c).
 */
#ifndef MAPS_MAPS_LDAP_CF_H
#define MAPS_MAPS_LDAP_CF_H

#include <stddef.h>

#include "util/util.h"

/* a parsed "name = value" file */
struct maps_ldcf;

/* maps_ldcf_load - the settings of path; NULL with the reason in err */
struct maps_ldcf *maps_ldcf_load(const char *path, char *err, size_t errlen);
void maps_ldcf_free(struct maps_ldcf *cf);
/* maps_ldcf_path - the file's name (lives with cf) */
const char *maps_ldcf_path(const struct maps_ldcf *cf);
/* maps_ldcf_str - the value of name (borrowed, lives with cf), or def */
const char *maps_ldcf_str(struct maps_ldcf *cf, const char *name,
                          const char *def);
/* maps_ldcf_int - name as an integer (def when unset) into *out; 0, or
 * -1 with Postfix's reason in err (not a number, below min or above max
 * when these are not 0) */
int maps_ldcf_int(struct maps_ldcf *cf, const char *name, int def, int min,
                  int max, int *out, char *err, size_t errlen);
/* maps_ldcf_bool - "yes" or "no" (def when unset); 0 or -1 with err */
int maps_ldcf_bool(struct maps_ldcf *cf, const char *name, int def, int *out,
                   char *err, size_t errlen);
/* maps_ldcf_unknown - the first setting not listed in known (NULL
 * terminated), with its line; NULL when all are known */
const char *maps_ldcf_unknown(const struct maps_ldcf *cf,
                              const char *const *known, int *line);
/* maps_ldcf_line - the line of setting name, 0 when unset */
int maps_ldcf_line(const struct maps_ldcf *cf, const char *name);

/* the templates of one table (db_common's context) */
struct maps_ldx;

/* maps_ldx_new - a context; domain: the "domain" setting (a match list,
 * may be empty) */
struct maps_ldx *maps_ldx_new(const char *title, const char *domain);
void maps_ldx_free(struct maps_ldx *x);
/* maps_ldx_parse - note what a template uses (query: a key template,
 * else a result template); 1 when it depends on the key, 0 when fixed,
 * -1 for an unknown %-sequence (reason in err) */
int maps_ldx_parse(struct maps_ldx *x, const char *format, int query, char *err,
                   size_t errlen);
/* maps_ldx_domain - 1 when key may be searched ("domain" lists its
 * domain, or no list), 0 not, -1 a table in the list failed */
int maps_ldx_domain(struct maps_ldx *x, const char *key);

/* maps_ldx_quote_fn - append s to out, escaped */
typedef void maps_ldx_quote_fn(const char *s, struct buf *out);
/* maps_ldx_expand - format with value (and key for a result template)
 * appended to out (after a ',' when out is not empty); 0 when the value
 * lacks a part the template needs (nothing appended), 1 done */
int maps_ldx_expand(struct maps_ldx *x, const char *format, const char *value,
                    const char *key, struct buf *out, maps_ldx_quote_fn *quote);
/* maps_ldx_quote_filter - RFC 4515 (2254) escaping of * ( ) \ */
void maps_ldx_quote_filter(const char *s, struct buf *out);
/* maps_ldx_quote_dn - RFC 4514 (2253) escaping, as Postfix */
void maps_ldx_quote_dn(const char *s, struct buf *out);

/* memcache: is writable (Postfix's postscreen and verify caches):
 * h is what the memcache driver's open returned */
/* maps_memcache_update - store value under key (and in the backup
 * table's cache); 0, or -1 (not stored) */
int maps_memcache_update(void *h, const char *key, const char *value);
/* maps_memcache_delete - 0 deleted, 1 not there, -1 error */
int maps_memcache_delete(void *h, const char *key);

#endif
