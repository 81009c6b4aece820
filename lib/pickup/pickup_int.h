/*
 * pickup_int - what sendmail, postdrop, postqueue and pickup share: the
 * maildrop file format, the address sanity check, the set-gid program
 * start-up and where the companion programs live.
 */
#ifndef PICKUP_PICKUP_INT_H
#define PICKUP_PICKUP_INT_H

#include <stddef.h>

#include "conf/conf.h"
#include "queue/queue.h"
#include "util/util.h"

struct pcf;

/* PICKUP_DEF_CONFIG_DIR - the default configuration directory, the only
 * one a set-gid program trusts without alternate_config_directories */
#define PICKUP_DEF_CONFIG_DIR CONF_DEF_CONFIG_DIR

/* pickup_file_encode - the header frame of a maildrop file into out */
void pickup_file_encode(struct buf *out, const struct queue_env *env,
                        const char *fullname);
/* pickup_file_decode - parse a maildrop file: envelope into env, full
 * name (caller frees), content offset; 0 or -1. Addresses with control
 * characters (pickup_addr_bad) make the file malformed. */
int pickup_file_decode(const char *text, size_t len, struct queue_env *env,
                       char **fullname, size_t *content_off) WARN_UNUSED;
/* pickup_addr_bad - 1 when an envelope address holds a control character
 * (C0, DEL): a newline would inject headers and forge mbox From_ lines */
int pickup_addr_bad(const char *addr);
/* pickup_printable - addr with control characters as "\n", "\r", "\xNN"
 * for a diagnostic; static buffer */
const char *pickup_printable(const char *addr);

/* pickup_command_path - NAME in command_directory when main.cf sets it,
 * else next to the running executable (/proc/self/exe); into out */
void pickup_command_path(struct pcf *conf, const char *name, char *out,
                         size_t outlen);

/*
 * pickup_setgid_init - the first thing postdrop and postqueue do, as
 * Postfix's set-gid programs: standard descriptors open (others closed),
 * no core dumps, umask 077, the environment cleared (TZ kept), and a
 * configuration directory from -c (config_dir, may be NULL) or
 * MAIL_CONFIG accepted from a caller that is not root only when it is
 * the default or listed in the default main.cf's
 * alternate_config_directories (or multi_instance_directories). Loads
 * the configuration, checks the queue directory and chdirs into it.
 * Fatal (exit 1, message on stderr) on any failure. *qdir_out (may be
 * NULL) gets the queue directory (caller frees).
 */
struct pcf *pickup_setgid_init(const char *prog, const char *config_dir,
                               char **qdir_out);
/*
 * pickup_user_acl - Postfix's check_user_acl_byuid: NULL when the user
 * with uid may do what the match list in parameter param allows
 * (authorized_submit_users, authorized_mailq_users,
 * authorized_flush_users), else the user's name ("unknown" without a
 * passwd entry) for the refusal, in a static buffer. A "static:" value
 * allows everyone without a lookup, as in Postfix; a table that cannot
 * be searched refuses.
 */
const char *pickup_user_acl(struct pcf *conf, const char *param, uid_t uid);
/* pickup_setgid_active - 1 when running with set-gid (AT_SECURE) */
int pickup_setgid_active(void);

#endif
