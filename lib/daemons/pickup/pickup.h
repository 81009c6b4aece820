/*
 * pickup - local submission: the pickup daemon, postdrop, and what the
 *	sendmail command (lib/tools/cli/cli_sendmail.c) and the queue tools use.
 *
 * DESCRIPTION
 *	sendmail hands each message to the set-gid postdrop program, which
 *	writes it as one file into the maildrop directory (written under a
 *	dot name, fsynced, then renamed) and pokes public/pickup. The pickup
 *daemon reads maildrop files, hands them to cleanup as local submissions ("ID:
 *uid=N from=<sender>") and removes each file once cleanup has committed the
 *message. Files left behind while the mail system is down are picked up by the
 *	next scan (at start, on every wakeup and every trigger).
 *
 *	Maildrop file: an ipc frame ('P': sender, full name, envid, ret,
 *	recipients with NOTIFY bits) followed by the content, LF line ends.
 */
#ifndef PICKUP_PICKUP_H
#define PICKUP_PICKUP_H

#include <sys/types.h>

#include <stddef.h>

struct buf;
struct pcf;
struct queue_env;
struct server;

/* pickup_service - master.cf command "pickup" */
int pickup_service(struct server *srv);
/* pickup_postdrop_main - the set-gid postdrop program (cmd/postdrop) */
int pickup_postdrop_main(int argc, char **argv);

/* pickup_file_encode - the header frame of a maildrop file into out */
void pickup_file_encode(struct buf *out, const struct queue_env *env,
                        const char *fullname);
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

#endif
