/*
 * maps_int - private declarations of lib/services/maps.
 */
#ifndef MAPS_MAPS_INT_H
#define MAPS_MAPS_INT_H

#include <stddef.h>

#include "maps/maps.h"

enum maps_kind {
    K_TEXT,   /* a postmap source file (texthash:) */
    K_INLINE, /* inline:{key=value, ...} */
    K_STATIC,
    K_REGEXP, /* regexp: and pcre: files */
    K_CIDR,
    K_UNIX,
    K_NIS,    /* compiled in, as in Postfix, but no NIS domain: finds nothing */
    K_DRIVER, /* a table type with its own struct maps_driver */
    K_NONE,   /* a type Postern cannot open */
};

/* maps_kind_of - how lib/services/maps opens a table of type (no proxy:): the
 * one list of supported types */
enum maps_kind maps_kind_of(const char *type);
/* maps_inline_parse - the {key=value, ...} of an inline: table into h
 * (keys folded unless MAPS_F_NOFOLD); -1 without the braces */
int maps_inline_parse(const char *name, unsigned flags, struct htab *h);
/* maps_inline_load - maps_inline_parse with Postfix's error text in err
 * (maps_inline.c) */
int maps_inline_load(const char *name, unsigned flags, struct htab *h,
                     char *err, size_t errlen);
/* maps_static_value - the value of static:name (name or the inside of
 * "{ ... }"), or NULL with Postfix's error text in err */
char *maps_static_value(const char *name, char *err, size_t errlen);

/* cidr: tables (maps_cidr.c), Postfix's dict_cidr: bad rules are skipped
 * with a warning naming map ("cidr map /x") */
struct maps_cidr;
struct maps_cidr *maps_cidr_parse(const char *text, const char *map);
void maps_cidr_free(struct maps_cidr *t);
/* maps_cidr_find - the result for the address key (borrowed), or NULL */
const char *maps_cidr_find(const struct maps_cidr *t, const char *key);
/* maps_rx_line - one trimmed line of a regexp: table: 1 for a rule, with
 * the pattern (NUL-terminated in place), its regcomp flags, whether it
 * is negated (!/pattern/) and the result; 0 for a comment, a blank or a
 * malformed line */
int maps_rx_line(char *line, char **pat, int *cflags, int *neg, char **result);

/* maps_entry_fn - one key/value of a source file, with its line; key is
 * writable (the callback may fold it) */
typedef void maps_entry_fn(void *ctx, char *key, const char *value, int line);
/* maps_bad_fn - a line that is not an entry */
typedef void maps_bad_fn(void *ctx, int line);
/* maps_parse_source - read a postmap (or, alias, postalias) source file;
 * 0, or -1 with errno */
int maps_parse_source(const char *path, int alias, maps_entry_fn *fn,
                      maps_bad_fn *bad, void *ctx);

/* maps_lline_fn - one logical line (writable) and the line it starts on */
typedef void maps_lline_fn(void *ctx, char *line, int lineno);
/* maps_llines - the logical lines of text (destroyed), as Postfix's
 * readllines (maps_thash.c) */
void maps_llines(char *text, maps_lline_fn *fn, void *ctx);
/* maps_thash_parse - a texthash: file as Postfix's dict_thash reads it,
 * with its warnings (keys folded unless MAPS_F_NOFOLD; the first of
 * duplicate keys); lenient: no warning for "key: value" lines (the
 * daemons find such a key as "key" too); 0, or -1 with errno */
int maps_thash_parse(const char *path, unsigned flags, int lenient,
                     maps_entry_fn *fn, void *ctx);

/* unix:passwd.byname, unix:group.byname (maps_unix.c) */
/* maps_unix_known - 1 for a table name this type has */
int maps_unix_known(const char *name);
/* maps_unix_find - key in the NSS database name; answers are kept in
 * *cache (made on first use) a few seconds; *value lives in the cache */
enum maps_result maps_unix_find(struct htab **cache, const char *name,
                                const char *key, const char **value, char *err,
                                size_t errlen);
void maps_unix_cache_free(struct htab *cache);

/* proxy: inside a chroot jail (maps_proxy.c) */
/* maps_proxy_call - one request (MAPS_PROXY_OPEN: key NULL) to the
 * proxymap service on a connection kept for the next; the status, with
 * the value (or the reason) in value, or -1 when the service cannot be
 * reached (reason in value) */
int maps_proxy_call(int type, const char *table, unsigned flags,
                    const char *key, struct buf *value);

/* regexp: and pcre: tables (maps_pcre.c), Postfix's dict_regexp and
 * dict_pcre */
struct maps_pat;
/* maps_pat_parse - the rules of a table's text (pcre: PCRE2, else POSIX);
 * bad rules are skipped with a warning naming map ("pcre map /x") */
struct maps_pat *maps_pat_parse(const char *text, int pcre, const char *map);
void maps_pat_free(struct maps_pat *t);
/* maps_pat_find - the result for key (in result), or NULL */
const char *maps_pat_find(struct maps_pat *t, const char *key,
                          struct buf *result);

/*
 * Table drivers: one struct maps_driver per type, each in its own file
 * (maps_<type>.c), listed once in maps_drivers.c. maps.c does the rest:
 * proxy:, the chroot jail, case folding of keys (MAPS_F_NOFOLD), errors
 * with the table's name, the search order of a map spec.
 */
#define MAPS_DRV_FILE 1u /* name is a file: watched for maps_changed */
#define MAPS_DRV_PATTERN                                              \
    2u                     /* skipped by maps_find_partial (Postfix's \
                              non-fixed tables: regexp, pcre, cidr) */
#define MAPS_DRV_RAWKEY 4u /* gets the key as given, not case-folded */

struct maps_driver {
    const char *type; /* "pgsql" */
    unsigned flags;   /* MAPS_DRV_* */
    /* open - the table "type:name" (name: what follows "type:"), flags
     * MAPS_F_*; a handle, or NULL with the reason in err (the table then
     * fails every lookup with MAPS_ERROR: a temporary failure) */
    void *(*open)(const char *name, unsigned flags, char *err, size_t errlen);
    /* find - key (folded unless MAPS_F_NOFOLD or MAPS_DRV_RAWKEY): the
     * value in out (emptied first) and MAPS_FOUND, MAPS_NOTFOUND, or
     * MAPS_ERROR with the reason in err (a server that cannot be reached:
     * the caller defers, never treats it as not found) */
    enum maps_result (*find)(void *h, const char *key, struct buf *out,
                             char *err, size_t errlen);
    void (*close)(void *h);
    /* check - for "postern check", without connecting anywhere: 0, or -1
     * with the reason (the .cf file cannot be read, an unknown or bad
     * setting in it); NULL: a MAPS_DRV_FILE name must be readable */
    int (*check)(const char *name, char *why, size_t len);
};

/* maps_net_connect - a stream connection to endpoint ("unix:/path",
 * "inet:host:port" or "host:port") within timeout seconds; the fd
 * (non-blocking), or -1 with the reason in err (maps_socketmap.c) */
int maps_net_connect(const char *endpoint, int timeout, char *err,
                     size_t errlen);
/* maps_net_io - send req, then read into in until done(in) says 1 (-1:
 * malformed); 0, -2 when the server closed the connection or it failed
 * (the caller may connect again), -1 otherwise; reason in err */
int maps_net_io(int fd, const void *req, size_t len, struct buf *in,
                int (*done)(const struct buf *in), int timeout, char *err,
                size_t errlen);

/* maps_driver_of - the driver of type, or NULL (maps_drivers.c) */
const struct maps_driver *maps_driver_of(const char *type);

/* maps_fold - lowercase s in place (keys of case-folded tables) */
void maps_fold(char *s);

#endif
