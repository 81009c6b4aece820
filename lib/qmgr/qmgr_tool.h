/*
 * qmgr_tool - queue tools: mailq, postqueue, postsuper, "postern queue".
 *
 * DESCRIPTION
 *	Listing reads the store directly (the same snapshot qmgr recovers
 *	from), so it works whether or not the mail system runs. Changes
 *	(delete, hold, release, flush) go through qmgr's public/qmgr socket
 *	when qmgr runs; when it does not, they are appended to the state
 *	logs under qmgr's lock, as postsuper edits queue files. mailq runs
 *	the set-gid postqueue, which asks the showq service (public/showq)
 *	for the listing, as Postfix's does.
 */
#ifndef QMGR_QMGR_TOOL_H
#define QMGR_QMGR_TOOL_H

/* qmgr_tool_main - name is "mailq", "postqueue", "postsuper" or "queue"
 * (for "postern queue list|show|flush|delete|hold|release"); argv[0] is
 * the program or subcommand name. Returns the exit status: 0 ok, 1
 * error, 2 usage (EX_USAGE for the sendmail-family names). */
int qmgr_tool_main(int argc, char **argv, const char *name);

/* qmgr_postqueue_main - postqueue -p | -j | -f | -s site [-c dir]: the
 * set-gid program (cmd/postqueue; also postern invoked as "postqueue").
 * The listing comes from public/showq (qmgr_showq_service), or from the
 * store when the mail system is down and the caller may read it; -f and
 * -s ask qmgr through public/qmgr. sysexits.h status. */
int qmgr_postqueue_main(int argc, char **argv);

struct server;
/* qmgr_showq_service - master.cf command "showq": one listing per
 * connection (request byte 'p' or 'j'), read from the store as
 * mail_owner, for postqueue callers who cannot read it */
int qmgr_showq_service(struct server *srv);

#endif
