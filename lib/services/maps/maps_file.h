/*
 * maps_file - postmap's and postalias's jobs on the file table types
 *	(hash, btree, lmdb, cdb): build NAME.db (.lmdb, .cdb) from the source
 *	file NAME, update it, query it, list it. Messages go through log_msg
 *	as the program's own ("postmap: warning: ..."); errors come back in
 *	err for the caller's fatal message.
 */
#ifndef MAPS_MAPS_FILE_H
#define MAPS_MAPS_FILE_H

#include <stddef.h>

#include "util/util.h"

#define MAPS_PM_ALIAS   0x001u /* postalias: aliases(5) syntax, "@" */
#define MAPS_PM_NOFOLD  0x002u /* -f: keys as written */
#define MAPS_PM_REPLACE 0x004u /* -r: a duplicate key replaces */
#define MAPS_PM_IGNDUP  0x008u /* -w: duplicate keys without a warning */
#define MAPS_PM_NUL     0x010u /* -N: keys and values with a NUL */
#define MAPS_PM_NONUL   0x020u /* -n: without */
#define MAPS_PM_B64     0x040u /* -F: values are files, stored as base64 */
#define MAPS_PM_ASROOT  0x080u /* -o: root does not become the owner */
#define MAPS_PM_NOPERM  0x100u /* -p: do not copy the source's modes */

/* maps_file_type - 1 when type is a file type postmap writes */
int maps_file_type(const char *type);
/* maps_file_hostname - the YP_MASTER_NAME postalias writes (myhostname) */
void maps_file_hostname(const char *name);
/* maps_file_build - postmap type:path (path "-"... not: the source);
 * incremental (-i): the entries are text (stdin's), added to the
 * existing file; 0, or -1 with the fatal reason in err */
int maps_file_build(const char *type, const char *path, unsigned flags,
                    const char *incremental, char *err, size_t errlen);
/* maps_file_delete - postmap -d: keys (count n) out of type:path: the
 * number deleted, or -1 (err) */
int maps_file_delete(const char *type, const char *path, char **keys, size_t n,
                     unsigned flags, char *err, size_t errlen);
/* maps_file_list - postmap -s: "key<TAB>value" lines into out; 0 or -1 */
int maps_file_list(const char *type, const char *path, struct buf *out,
                   char *err, size_t errlen);

#endif
