/*
 * maps - lookup tables and match lists, as Postfix's dict and match_list.
 *
 * DESCRIPTION
 *	A map spec is a list of "type:name" tables searched in order. The
 *	types and their files (each a struct maps_driver or a kind of
 *	maps.c; the list is maps_drivers.c and maps_kind_of):
 *	  files: hash and btree (Berkeley DB, NAME.db), lmdb (NAME.lmdb),
 *	    cdb (NAME.cdb) in Postfix's on-disk formats (maps_db.c,
 *	    maps_lmdb.c, maps_cdb.c; a missing database: its source, with a
 *	    warning), texthash (maps_thash.c);
 *	  patterns: regexp (POSIX) and pcre (PCRE2), maps_pcre.c; cidr,
 *	    maps_cidr.c; all with Postfix's syntax and warnings;
 *	  in-line: inline, static (maps_inline.c), unionmap, pipemap,
 *	    randmap (maps_union.c), fail, environ;
 *	  clients: pgsql, mysql, sqlite (maps_sql*.c), ldap and memcache
 *	    (maps_ldap*.c, maps_memcache.c), socketmap, tcp; unix:
 *	    passwd.byname and group.byname (NSS);
 *	  proxy:X: X searched in this process, or, after maps_pre_jail (a
 *	    chrooted daemon), by the proxymap service outside the jail.
 *	Keys are case-folded like postmap's (MAPS_F_NOFOLD keeps them).
 *	Alias tables (MAPS_F_ALIAS) read aliases(5) syntax. A table that
 *	cannot answer (a server down, a broken file) makes the lookup
 *	MAPS_ERROR: callers defer or answer 4xx, never "not found".
 *
 *	A match list (mydestination, relay_domains, mynetworks) holds
 *	domain names, network/mask entries, /file/names with more entries,
 *	type:table lookups and !negations.
 *
 * BUGS
 *	Tables are read once; a daemon restarts to see a changed file
 *	(maps_changed: lib/services/server and proxymap exit when idle, as
 *	Postfix's daemons do). Unsupported types (nisplus, ...) find
 *	nothing and log one warning; postern check refuses them. Client
 *	lookups block the calling process (all of an smtpd's sessions) for
 *	up to the table's timeout.
 */
#ifndef MAPS_MAPS_H
#define MAPS_MAPS_H

#include "util/util.h"

enum maps_result {
    MAPS_ERROR = -1,
    MAPS_NOTFOUND = 0,
    MAPS_FOUND = 1,
};

#define MAPS_F_ALIAS  1u /* aliases(5) syntax */
#define MAPS_F_NOFOLD 2u /* keep key case */
/* no "TYPE:NAME lookup error for KEY" warning (Postfix's maps_find
 * logs it; a table inside unionmap:/pipemap: and dict_open's test
 * driver search with dict_get, which does not) */
#define MAPS_F_NOWARN 4u

struct maps;

/* maps_split - the tables of a map spec ("hash:/a, inline:{k=v, x=y}"),
 * each appended to out: commas and white space separate, braces group */
void maps_split(const char *spec, struct strv *out);
/* maps_new - tables of spec ("hash:/etc/aliases, inline:{a=b}"); never
 * NULL; problems show in maps_find as MAPS_ERROR and maps_error */
struct maps *maps_new(const char *title, const char *spec, unsigned flags);
void maps_free(struct maps *m);
/* maps_find - the value of key in the first table that has it; *value
 * is borrowed until the next call on m */
enum maps_result maps_find(struct maps *m, const char *key, const char **value);
/* maps_find_partial - maps_find for a key derived from an address (user
 * without its extension or domain, @domain): regexp, pcre and cidr
 * tables are skipped, as Postfix does for such partial keys */
enum maps_result maps_find_partial(struct maps *m, const char *key,
                                   const char **value);
/* maps_preload - read every table now (before a chroot or privilege
 * drop makes the files unreachable); 0, or -1 with maps_error set */
int maps_preload(struct maps *m);
/* maps_pre_jail - the daemon is about to chroot (lib/services/server calls this
 * before it does): every table made so far is read now, while its files
 * can be reached, and from now on proxy: tables are searched by the
 * proxymap service, which runs outside the jail. A table that cannot
 * work inside the jail (unix: without proxy:; a proxy: table that the
 * proxymap service cannot be reached for or refuses) is an error: 0, or
 * -1 with a message naming the parameter and the table in err */
int maps_pre_jail(char *err, size_t errlen);
/* maps_changed - "type:name" of a table whose file changed since it was
 * read (Postfix's dict_changed_name), or NULL. The file is kept open,
 * so this works inside a chroot jail too. lib/services/server and proxymap end
 * the process on it (when idle) and master starts a fresh one. */
const char *maps_changed(void);
/* maps_error - text of the last MAPS_ERROR */
const char *maps_error(const struct maps *m);
/* maps_empty - 1 when the spec listed no tables */
int maps_empty(const struct maps *m);

/*
 * For "postern check" (maps_check.c): what can be known about a table
 * before any daemon opens it.
 */
/* maps_type_supported - 1 when lib/services/maps opens tables of type ("hash",
 * "pcre", "proxy", "nis" as Postfix without a NIS domain), 0 when such a
 * table would find nothing */
int maps_type_supported(const char *type);
/* maps_is_table - 1 when item looks like "type:name" (a lower-case type
 * before the colon), not an address or a word */
int maps_is_table(const char *item);
/* maps_check_table - whether the one table item ("type:name", proxy:
 * allowed) can be searched: a type lib/services/maps opens (inner type of
 * proxy: too), a file that exists and can be read (absolute names), a name the
 * type has. 0, or -1 with the reason in why (Postfix's wording where it
 * has one) */
int maps_check_table(const char *item, char *why, size_t len);
/* maps_walk_fn - one entry of a table: key, value and the line of the
 * table's file (0 for inline: and static:) */
typedef void maps_walk_fn(void *ctx, const char *key, const char *value,
                          int line);
/* maps_walk - every entry of the one table item (text, inline:, static:,
 * regexp:/pcre: with the pattern as key, cidr:), for checks of the
 * values; 0, or -1 when it cannot be listed (other types, or an
 * unreadable file) */
int maps_walk(const char *item, unsigned flags, maps_walk_fn *fn, void *ctx);

/*
 * The proxymap protocol: lib/daemons/proxymap serves it on private/proxymap,
 * and proxy: tables inside a chroot jail are its clients. One lib/base/ipc
 * frame per request and one per reply, on a connection the client keeps:
 *   MAPS_PROXY_OPEN    str table ("type:name", no proxy:), u32 flags
 *   MAPS_PROXY_LOOKUP  str table, u32 flags (MAPS_F_*), str key
 * and the reply
 *   MAPS_PROXY_REPLY   u32 status (enum maps_proxy_status), str value
 *                      (the value; for RETRY and BAD the reason)
 * A table is served only when proxy_read_maps lists it as proxy:table.
 */
#define MAPS_PROXY_SOCKET    "private/proxymap" /* relative to the queue */
#define MAPS_PROXY_OPEN      'O'
#define MAPS_PROXY_LOOKUP    'L'
#define MAPS_PROXY_REPLY     'R'
#define MAPS_PROXY_FRAME_MAX (1u << 20)

enum maps_proxy_status {
    MAPS_PROXY_OK = 0,    /* found (OPEN: the table can be searched) */
    MAPS_PROXY_NOKEY = 1, /* not found */
    MAPS_PROXY_RETRY = 2, /* the table failed: try again later */
    MAPS_PROXY_BAD = 3,   /* malformed request */
    MAPS_PROXY_DENY = 4,  /* not listed in proxy_read_maps */
};

/* maps_build - as postmap (postalias with alias): check the source
 * file arg, write arg.pdb, as the source's owner when run by root;
 * messages on stderr, 0 or 1 */
int maps_build(const char *arg, int alias);

#define MAPS_MATCH_DOMAIN 1 /* host or domain names */
#define MAPS_MATCH_ADDR   2 /* network addresses */
struct maps_match;
/* maps_match_new - match list of spec; parent: "example.com" also
 * matches its subdomains (parent_domain_matches_subdomains) */
struct maps_match *maps_match_new(const char *title, const char *spec, int kind,
                                  int parent);
void maps_match_free(struct maps_match *ml);
/* maps_match_preload - maps_preload for the tables inside a match list */
int maps_match_preload(struct maps_match *ml);
/* maps_match_domain - 1 match, 0 no match, -1 table error */
int maps_match_domain(struct maps_match *ml, const char *domain);
/* maps_match_addr - numeric address ("192.0.2.1", "2001:db8::1") */
int maps_match_addr(struct maps_match *ml, const char *addr);

/* maps_addr_in_net - 1 when addr is inside "net/len" (or equals a plain
 * address), 0 not, -1 bad syntax */
int maps_addr_in_net(const char *addr, const char *net);

#endif
