/*
 * server_anvil - per-client connection counts and rates of one service,
 * shared by its smtpd front(s), its workers and master.
 *
 * DESCRIPTION
 *	Postfix keeps these in the anvil(8) server, which every smtpd asks
 *	at connect and tells at disconnect. Postern keeps them in one
 *	shared anonymous mapping per smtpd inet service, which master
 *	makes when it opens the service and which every process of the
 *	service inherits (fronts after a reload included: the new front
 *	adopts the old one's table with its listeners). A robust
 *	process-shared mutex guards it; a holder that dies leaves it
 *	usable.
 *
 *	A connection is counted in a column: one per front that holds it
 *	(a front claims a column when it starts) and one for the sessions
 *	workers serve. When the front passes a session on, the count moves
 *	to the workers' column; the worker releases it when the session
 *	ends and records it meanwhile in its shared slot (struct
 *	server_slot), so that master releases what a crashed worker held,
 *	and master clears the column of a front that died. Counts are
 *	therefore exact across fronts and across crashes.
 *
 *	Rates are Postfix's: a counter per client that restarts when
 *	anvil_rate_time_unit has passed since its first event. An entry
 *	with no connection is kept until its rate window ends.
 */
#ifndef SERVER_SERVER_ANVIL_H
#define SERVER_SERVER_ANVIL_H

#include <sys/types.h>

#include <time.h>

#define SERVER_ANVIL_FRONTS  4                   /* fronts at once */
#define SERVER_ANVIL_WORKERS SERVER_ANVIL_FRONTS /* the workers' column */
#define SERVER_ANVIL_ENTRIES 65536               /* client addresses */

struct server_anvil;

/* peak values for anvil's "statistics:" lines */
struct server_anvil_max {
    int value;
    time_t when;
    char addr[64];
};

struct server_anvil_stats {
    struct server_anvil_max rate, count;
    int cache; /* peak number of entries */
    time_t cache_when;
};

/* server_anvil_create - a table in a shared mapping (master, before it
 * forks the service's processes); NULL with errno */
struct server_anvil *server_anvil_create(void);
void server_anvil_destroy(struct server_anvil *a);

/* server_anvil_seat - a front claims a column for pid; the column, or
 * SERVER_ANVIL_WORKERS when all are taken (its counts then survive only
 * its clean exit) */
int server_anvil_seat(struct server_anvil *a, pid_t pid);
/* server_anvil_unseat - master: the front pid is gone; its column is
 * cleared (the connections it held were closed with it) */
void server_anvil_unseat(struct server_anvil *a, pid_t pid);

/* server_anvil_connect - one more connection of addr in column col,
 * and one more event for its rate (unit: anvil_rate_time_unit). The
 * entry's reference (0 when the table is full: not counted), and the
 * client's connections and rate with this one. */
unsigned server_anvil_connect(struct server_anvil *a, int col, const char *addr,
                              time_t now, long unit, int *count, int *rate);
/* server_anvil_move - the connection ref leaves column from for to */
void server_anvil_move(struct server_anvil *a, unsigned ref, int from, int to);
/* server_anvil_release - one connection of ref in column col ended */
void server_anvil_release(struct server_anvil *a, unsigned ref, int col);
/* server_anvil_sweep - forget clients with no connection whose rate
 * window has ended */
void server_anvil_sweep(struct server_anvil *a, time_t now, long unit);
/* server_anvil_count - connections of addr now (tests, diagnostics) */
int server_anvil_count(struct server_anvil *a, const char *addr);
/* server_anvil_stats - peaks since the last call, then reset */
void server_anvil_stats(struct server_anvil *a, struct server_anvil_stats *s);

#endif
