/*
 * qmgr - the queue manager.
 *
 * DESCRIPTION
 *	qmgr owns the in-memory active queue. At start it recovers every
 *	live message from the store (queue_snapshot); afterwards cleanup's
 *	notices ("segment S is committed up to offset O") tell it to read
 *	the new records, so nothing polls the disk. Recipients are
 *	resolved (trivial-rewrite library), grouped into delivery requests
 *	and pipelined to the transports' agents over long-lived
 *	connections, scheduled per destination as Postfix's qmgr does
 *	(concurrency slow start and feedback, dead destinations,
 *	*_destination_rate_delay, round-robin between destinations). Results are
 *appended to the segment's state log: recipient done, message deferred (with
 *Postfix's exponential backoff between minimal_backoff_time and
 *maximal_backoff_time), message done. Bounced recipients go to the bounce
 *service, which returns a DSN to the sender; messages older than
 *	maximal_queue_lifetime (bounce_queue_lifetime for bounces) are
 *	returned. Segments with no live message left are removed.
 *
 *	Control requests arrive on public/qmgr (framed): cleanup notices,
 *	flush, delete, hold, release; master's wakeup is a single "W".
 */
#ifndef QMGR_QMGR_H
#define QMGR_QMGR_H

struct server;

/* qmgr_service - master.cf command "qmgr" (and "oqmgr") */
int qmgr_service(struct server *srv);

/* control frame types on public/qmgr */
#define QMGR_NOTIFY  'N' /* u64 seq, u64 end (cleanup) */
#define QMGR_FLUSH   'F' /* -> 'S' u32 count */
#define QMGR_DELETE  'K' /* str id or "ALL" -> 'S' u32 count */
#define QMGR_HOLD    'H' /* str id or "ALL" */
#define QMGR_RELEASE 'U' /* str id or "ALL" */

#endif
