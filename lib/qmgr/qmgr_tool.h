/*
 * qmgr_tool - queue tools: mailq, postqueue, postsuper, "postern queue".
 *
 * DESCRIPTION
 *	Listing reads the store directly (the same snapshot qmgr recovers
 *	from), so it works whether or not the mail system runs. Changes
 *	(delete, hold, release, flush) go through qmgr's public/qmgr socket
 *	when qmgr runs; when it does not, they are appended to the state
 *	logs under qmgr's lock, as postsuper edits queue files.
 */
#ifndef QMGR_QMGR_TOOL_H
#define QMGR_QMGR_TOOL_H

/* qmgr_tool_main - name is "mailq", "postqueue", "postsuper" or "queue"
 * (for "postern queue list|show|flush|delete|hold|release"); argv[0] is
 * the program or subcommand name. Returns the exit status: 0 ok, 1
 * error, 2 usage (EX_USAGE for the sendmail-family names). */
int qmgr_tool_main(int argc, char **argv, const char *name);

#endif
