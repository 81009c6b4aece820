/*
 * postscreen - the SMTP triage in front of smtpd (Postfix's postscreen).
 *
 * DESCRIPTION
 *	postscreen_main runs in the front process of a "smtp inet ...
 *	postscreen" entry (master forks it with the listeners and the
 *	hand-off channel of the "smtpd pass" entry). It applies
 *	postscreen_access_list, the pregreet test and the DNSBL/DNSWL
 *	score, keeps the clients that passed in a temporary allowlist, and
 *	hands passed clients to smtpd (which then sends its own 220).
 *	Clients that fail with action "enforce" get postscreen's dummy SMTP
 *	engine: 550 at RCPT, as Postfix's postscreen_smtpd.c.
 */
#ifndef POSTSCREEN_POSTSCREEN_H
#define POSTSCREEN_POSTSCREEN_H

#include "server/server.h"

int postscreen_main(struct server *srv);

#endif
