/*
 * master - the Postern master process and its command line.
 *
 * DESCRIPTION
 *	"postern start|start-fg|stop|abort|reload|status|check [-c DIR]"
 *	(also "postfix [-c DIR] start" through a postfix link). start
 *	reads main.cf and master.cf, creates the queue directory layout,
 *	binds the inet listeners, and forks the services master.cf names
 *	(one binary, no exec): each child gets its master.cf entry and
 *	calls the service's entry point through lib/server. The master's
 *	pid is in $queue_directory/pid/master.pid, locked while it runs.
 */
#ifndef MASTER_MASTER_H
#define MASTER_MASTER_H

struct server;

/* master_service_fn - a service entry point; returns the exit status */
typedef int master_service_fn(struct server *srv);

/* master_register - make command (the 8th master.cf field) runnable;
 * call before master_main */
void master_register(const char *command, master_service_fn *fn);

/* master_main - argv[0] is the command ("start", ...); returns the exit
 * status. postfix_style selects Postfix's message wording. */
int master_main(int argc, char **argv, int postfix_style);

/* master_config_dir - -c DIR, else $MAIL_CONFIG, else /etc/postfix
 * (argv is scanned for -c and the option removed); borrowed */
const char *master_config_dir(int *argc, char **argv);

/* master_builtin - reason text when command is built into other
 * processes (no process needed), else NULL */
const char *master_builtin(const char *command);

#endif
