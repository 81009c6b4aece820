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

struct pcf;

/*
 * The work of "postern queue", mailq and postsuper (lib/tools/cli/cli_queue.c
 * parses their command lines). Messages on stderr name the program as
 * Postfix's do; each returns the exit status.
 */
/* qmgr_tool_list - the queue as mailq lists it (as JSON lines with json),
 * read from the store */
int qmgr_tool_list(struct pcf *conf, int json);
/* qmgr_tool_show - the envelope and content of queue ID id */
int qmgr_tool_show(struct pcf *conf, const char *id);
/* qmgr_tool_change - QMGR_DELETE, QMGR_HOLD or QMGR_RELEASE (qmgr.h) of
 * id or "ALL": through a running qmgr, else in the store under its lock */
int qmgr_tool_change(struct pcf *conf, int type, const char *id);
/* qmgr_tool_flush - ask the running qmgr to flush; EX_UNAVAILABLE when
 * the mail system is down */
int qmgr_tool_flush(struct pcf *conf);
/* qmgr_tool_as_mail_owner - when root, become mail_owner as Postfix's
 * postsuper does (a planted symlink in the store must not become a
 * write as root); 0, or -1 after a message naming prog */
int qmgr_tool_as_mail_owner(struct pcf *conf, const char *prog);
/* qmgr_tool_mailq - exec the set-gid postqueue -p (-j with json), as
 * Postfix's mailq; returns only on failure */
int qmgr_tool_mailq(struct pcf *conf, int json);

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
