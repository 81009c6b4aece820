/*
 * pickup - local submission: the sendmail command and the pickup daemon.
 *
 * DESCRIPTION
 *	sendmail hands each message to the set-gid postdrop program, which
 *	writes it as one file into the maildrop directory (written under a
 *	dot name, fsynced, then renamed) and pokes public/pickup. The pickup daemon reads maildrop files, hands
 *	them to cleanup as local submissions ("ID: uid=N from=<sender>")
 *	and removes each file once cleanup has committed the message. Files
 *	left behind while the mail system is down are picked up by the
 *	next scan (at start, on every wakeup and every trigger).
 *
 *	Maildrop file: an ipc frame ('P': sender, full name, envid, ret,
 *	recipients with NOTIFY bits) followed by the content, LF line ends.
 */
#ifndef PICKUP_PICKUP_H
#define PICKUP_PICKUP_H

struct server;

/* pickup_service - master.cf command "pickup" */
int pickup_service(struct server *srv);
/* pickup_sendmail_main - the sendmail command; sysexits.h status */
int pickup_sendmail_main(int argc, char **argv);
/* pickup_postdrop_main - the set-gid postdrop program (cmd/postdrop) */
int pickup_postdrop_main(int argc, char **argv);

#endif
