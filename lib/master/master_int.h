/*
 * master_int - private declarations of lib/master.
 */
#ifndef MASTER_MASTER_INT_H
#define MASTER_MASTER_INT_H

#include "master/master.h"

struct pcf;

#define POSTERN_MTA_VERSION "Postern 0.1 (Postfix 3.7 compatible)"

/* master_lookup - entry point of a master.cf command, or NULL */
master_service_fn *master_lookup(const char *command);
/* master_check - sanity checks before start and for "check"; messages
 * on stderr; verbose also lists services not run. 0 ok, 1 errors */
int master_check(struct pcf *conf, const char *config_dir, int verbose);

/*
 * master_stderr.c: the daemons' stderr into the maillog. _open makes
 * the socket pair (before the first fork), _child puts the children's
 * end on fd 2 in a forked child, _fd is what master polls, _drain logs
 * every waiting line as the daemon whose pid sent it (ident_of gives
 * "postfix/smtpd" for a pid, NULL for a process whose lines are dropped)
 * and is called before children are reaped.
 */
typedef const char *master_stderr_ident_fn(long pid);
int master_stderr_open(void);
void master_stderr_child(void);
int master_stderr_fd(void);
void master_stderr_drain(master_stderr_ident_fn *ident_of);

#endif
