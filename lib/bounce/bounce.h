/*
 * bounce - delivery status notifications (RFC 3464).
 *
 * DESCRIPTION
 *	qmgr hands failed recipients to this service as a delivery
 *	request whose nexthop says what to send: "failure" (non-delivery
 *	notice to the sender) or "2bounce" (a message from the null sender
 *	failed: notice to 2bounce_notice_recipient; a notice about a
 *	failed notice is discarded). The notice is a multipart/report with
 *	the human-readable part, the message/delivery-status part and the
 *	original message (headers only with RET=HDRS), submitted through
 *	cleanup from the null sender. The recipients count as finished once
 *	the notice is queued.
 */
#ifndef BOUNCE_BOUNCE_H
#define BOUNCE_BOUNCE_H

struct server;

/* bounce_service - master.cf command "bounce" */
int bounce_service(struct server *srv);

#endif
