/*
 * virtual - the virtual mailbox delivery agent, as Postfix's virtual(8).
 *
 * DESCRIPTION
 *	Delivers each recipient to the mailbox that virtual_mailbox_maps
 *	gives it, under virtual_mailbox_base: Maildir when the result ends
 *	in "/", else mbox (locked by virtual_mailbox_lock), with the uid
 *	and gid of virtual_uid_maps and virtual_gid_maps (a uid below
 *	virtual_minimum_uid is refused), files at most virtual_mailbox_limit
 *	bytes. Durability is local's (lib/services/mailbox): fsync before
 *	success, Maildir exactly once after a crash.
 */
#ifndef VIRTUAL_VIRTUAL_H
#define VIRTUAL_VIRTUAL_H

struct server;

/* virtual_service - master.cf command "virtual" */
int virtual_service(struct server *srv);

#endif
