/*
 * qmgr_sched - per-destination concurrency arithmetic of the queue
 * manager (private to lib/daemons/qmgr).
 *
 * DESCRIPTION
 *	Postfix's slow start with feedback, as in its SCHEDULER_README: a
 *	destination starts at initial_destination_concurrency; each
 *	delivery that reached the destination is positive feedback, each
 *	connection-level failure negative feedback (Postfix 3.7's default
 *	is 1, one step per delivery; "1/concurrency" is one step per
 *	pseudo-cohort of window deliveries); failed pseudo-cohorts
 *	(1 / window per failure) counted since the last success declare
 *	the destination dead (window 0). Pure functions: no clock, no I/O, so
 *	that qmgr_sched_test can pin every step.
 */
#ifndef QMGR_QMGR_SCHED_H
#define QMGR_QMGR_SCHED_H

/* A feedback amount: base, or base / window when per_win is set. */
struct qmgr_fb {
    double base;
    int per_win;
};

/*
 * qmgr_fb_parse - "1/concurrency", "1/4", "0.25" (0..1) into fb. 0, or
 * -1 for a malformed or unreasonable value; fb is then Postfix's
 * fallback (1, not per window).
 */
int qmgr_fb_parse(const char *s, struct qmgr_fb *fb);

/* qmgr_fb_val - the feedback for concurrency window */
double qmgr_fb_val(const struct qmgr_fb *fb, int window);

/* Per-transport settings. */
struct qmgr_win_conf {
    int init;         /* initial window, already capped by limit */
    int limit;        /* *_destination_concurrency_limit, 0 = none */
    int cohort_limit; /* *_failed_cohort_limit, 0 = never dead */
    struct qmgr_fb pos, neg;
};

/* Per-destination state. window 0 means dead. */
struct qmgr_win {
    int window;
    double success, failure, fail_cohorts;
};

/* qmgr_win_init - a new destination */
void qmgr_win_init(struct qmgr_win *w, const struct qmgr_win_conf *c);
/*
 * qmgr_win_success - positive feedback; busy is the number of
 * deliveries in progress. A dead destination comes back at busy (or
 * init when idle). 1 when the window changed.
 */
int qmgr_win_success(struct qmgr_win *w, const struct qmgr_win_conf *c,
                     int busy);
/*
 * qmgr_win_failure - negative feedback (the agent could not talk to the
 * destination). 1 when this made the destination dead; nothing happens
 * to a dead one.
 */
int qmgr_win_failure(struct qmgr_win *w, const struct qmgr_win_conf *c);

/*
 * qmgr_pipe_depth - how many requests for one destination may wait on
 * one agent connection: about target_us of work at svc_us per
 * delivery, between 1 and max; 1 while svc_us is unknown (<= 0).
 */
int qmgr_pipe_depth(double svc_us, double target_us, int max);

#endif
