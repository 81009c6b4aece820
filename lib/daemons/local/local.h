/*
 * local - local delivery (mbox, Maildir, aliases, .forward), and the
 * trivial error and discard agents.
 *
 * DESCRIPTION
 *	local: aliases(5) expansion through alias_maps (users, /files,
 *	/maildirs/, :include:, |commands and remote addresses, which are
 *	resubmitted through cleanup), $HOME/.forward, then the user's
 *	mailbox: Maildir when home_mailbox ends in "/", else mbox in
 *	home_mailbox or mail_spool_directory with fcntl and dotlock
 *	locking. Delivered mail starts with Return-Path:, X-Original-To:
 *	and Delivered-To: as Postfix writes them. A reply to qmgr comes
 *	only after the delivered file is fsynced; Maildir files of one
 *	batch share the wait (written first, then synced together).
 *	As root, local runs each delivery with the recipient's privileges;
 *	as an ordinary user (tests) with its own.
 */
#ifndef LOCAL_LOCAL_H
#define LOCAL_LOCAL_H

struct server;

/* local_service - master.cf command "local" */
int local_service(struct server *srv);
/* local_error_service - "error": bounces (or with -o defers) everything
 * with the nexthop text */
int local_error_service(struct server *srv);
/* local_discard_service - "discard": reports success, delivers nothing */
int local_discard_service(struct server *srv);

#endif
