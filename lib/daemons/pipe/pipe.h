/*
 * pipe - delivery to external commands (master.cf command "pipe"), as
 * Postfix's pipe(8).
 *
 * DESCRIPTION
 *	The master.cf entry's attributes say what runs: flags=, user=
 *	(required; never root nor mail_owner), size=, eol=, null_sender=,
 *	directory=, and argv= (last), whose arguments may use Postfix's
 *	macros (${sender}, ${recipient}, ${user}, ${extension},
 *	${domain}, ${mailbox}, ${original_recipient}, ${nexthop},
 *	${size}, ${queue_id}, ${client_*}, ${sasl_*}). The command is
 *	executed directly (execvp of argv[0], never through a shell) with
 *	the message on its standard input; its exit status is mapped to
 *	sent, deferred or bounced as Postfix maps <sysexits.h> codes, and
 *	the first 1 KB of its output goes into the reason ("user unknown.
 *	Command output: ...").
 */
#ifndef PIPE_PIPE_H
#define PIPE_PIPE_H

struct server;

/* pipe_service - master.cf entry point; returns the exit status */
int pipe_service(struct server *srv);

/* pipe_spawn_service - master.cf command "spawn" (Postfix's spawn(8)):
 * user= and argv= as for pipe; per connection, the command runs with
 * the connection as its standard input and output (policy servers);
 * returns the exit status */
int pipe_spawn_service(struct server *srv);

#endif
