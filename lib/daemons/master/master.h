/*
 * master - the Postern master process (its command line, "postern
 *	start|stop|...", is lib/tools/cli/cli_master.c).
 *
 * DESCRIPTION
 *	The process behind "postern start" (and "postfix start" through a
 *	postfix link). start
 *	reads main.cf and master.cf, creates the queue directory layout,
 *	binds the inet listeners, and forks the services master.cf names
 *	(one binary, no exec): each child gets its master.cf entry and
 *	calls the service's entry point through lib/services/server. The
 *master's pid is in $queue_directory/pid/master.pid, locked while it runs.
 */
#ifndef MASTER_MASTER_H
#define MASTER_MASTER_H

struct server;

/* master_service_fn - a service entry point; returns the exit status */
typedef int master_service_fn(struct server *srv);

/* master_register - make command (the 8th master.cf field) runnable;
 * call before master_start */
void master_register(const char *command, master_service_fn *fn);

struct pcf;

struct master_report;

/* master_check flags */
#define MASTER_CHECK_VERBOSE 1u /* "check" (not start): stat the queue */
#define MASTER_CHECK_JSON    2u /* the whole classification on stdout */
#define MASTER_CHECK_ALLOW                   \
    4u /* --allow-unimplemented: ERROR notes \
        * do not fail */
#define MASTER_CHECK_CONFIG_ONLY                                     \
    8u                          /* --config-only: nothing about this \
                                 * host (users, the queue directory) */
#define MASTER_CHECK_RELOAD 16u /* for reload (messages say so) */
/*
 * master_check - the checks before start and for "check": fatal problems
 * and the checkers' notes, on stderr (JSON on stdout with
 * MASTER_CHECK_JSON). 0 ok, 1 fatal problems or ERROR notes (unless
 * MASTER_CHECK_ALLOW). The report is stored in *out when out is not NULL
 * (the caller frees it with master_report_free).
 */
int master_check(struct pcf *conf, const char *config_dir, unsigned flags,
                 struct master_report **out);

/* master_start - check conf (read from dir) as master_check does, then
 * start the master process in the background (or in the foreground);
 * reports on stderr, returns the exit status */
int master_start(struct pcf *conf, const char *dir, unsigned flags,
                 const char *qdir, int foreground);

/* master_running_pid - pid of the master running on qdir, 0 when none,
 * -1 when the pid file is locked but unreadable */
long master_running_pid(const char *qdir);

/* master_builtin - reason text when command is built into other
 * processes (no process needed), else NULL */
const char *master_builtin(const char *command);

#endif
