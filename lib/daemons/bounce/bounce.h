/*
 * bounce - delivery status notifications (RFC 3464).
 *
 * DESCRIPTION
 *	qmgr hands recipients to this service as a delivery request whose
 *	nexthop says what to send: "failure" or "2bounce" (non-delivery;
 *	2bounce when the sender is <>), "delay" (delay_warning_time) or
 *	"success" (DSN NOTIFY=SUCCESS). The notice is a multipart/report
 *	as Postfix's bounce(8) writes it: the human-readable part, the
 *	message/delivery-status part and the original message (headers
 *	only for delay notices, postmaster copies, RET=HDRS, or a message
 *	larger than bounce_size_limit), submitted through cleanup from <>
 *	(postmaster notices from double_bounce_sender). notify_classes
 *	bounce, 2bounce and delay add the postmaster notices
 *	(bounce_notice_recipient, 2bounce_notice_recipient,
 *	delay_notice_recipient). The recipients count as finished once the
 *	notice is queued.
 */
#ifndef BOUNCE_BOUNCE_H
#define BOUNCE_BOUNCE_H

struct server;

/* bounce_service - master.cf command "bounce" */
int bounce_service(struct server *srv);

#endif
