/*
 * qmgr_sched - per-destination concurrency arithmetic.
 *
 * DESCRIPTION
 *	See qmgr_sched.h. The rules are Postfix's (qmgr_queue.c since
 *	2.5): the hysteresis is 1; positive feedback raises the window
 *	only while it is below the limit and below busy + init (a window
 *	far above what is used would make negative feedback useless);
 *	negative feedback first counts a failed pseudo-cohort
 *	(1 / window) and declares the destination dead at the cohort
 *	limit, then lowers the window, never below 1; a success resets
 *	the cohort count and revives a dead destination.
 */
#include "qmgr/qmgr_sched.h"

#include <stdio.h>
#include <string.h>

int
qmgr_fb_parse(const char *s, struct qmgr_fb *fb)
{
    double num, den;
    char slash[2], word[32], junk;
    int n = sscanf(s, "%lf %1[/] %31s%c", &num, slash, word, &junk);

    fb->base = -1;
    fb->per_win = 0;
    if (n == 1) {
        fb->base = num;
    } else if (n == 3) {
        if (strcmp(word, "concurrency") == 0 || strcmp(word, "win") == 0) {
            fb->base = num;
            fb->per_win = 1;
        } else if (sscanf(word, "%lf%c", &den, &junk) == 1 && den >= 1) {
            fb->base = num / den;
        }
    }
    if (!(fb->base >= 0 && fb->base <= 1)) {
        fb->base = 1;
        fb->per_win = 0;
        return -1;
    }
    return 0;
}

double
qmgr_fb_val(const struct qmgr_fb *fb, int window)
{
    return fb->per_win ? fb->base / (window > 0 ? window : 1) : fb->base;
}

void
qmgr_win_init(struct qmgr_win *w, const struct qmgr_win_conf *c)
{
    memset(w, 0, sizeof(*w));
    w->window = c->init > 0 ? c->init : 1;
}

int
qmgr_win_success(struct qmgr_win *w, const struct qmgr_win_conf *c, int busy)
{
    int old = w->window;
    double fb;

    w->fail_cohorts = 0;
    if (w->window == 0) {
        /* back from the dead: the best concurrency is anyone's guess */
        w->window = busy > 0 ? busy : (c->init > 0 ? c->init : 1);
        w->success = w->failure = 0;
        return 1;
    }
    if ((c->limit == 0 || c->limit > w->window) && w->window < busy + c->init) {
        fb = qmgr_fb_val(&c->pos, w->window);
        w->success += fb;
        /* overshoot: feedback above the hysteresis, rounding */
        while (w->success + fb / 2 >= 1) {
            w->window += 1;
            w->success -= 1;
            w->failure = 0;
        }
        if (c->limit > 0 && w->window > c->limit)
            w->window = c->limit;
    }
    return w->window != old;
}

int
qmgr_win_failure(struct qmgr_win *w, const struct qmgr_win_conf *c)
{
    double fb;

    if (w->window == 0)
        return 0;
    w->fail_cohorts += 1.0 / w->window;
    if (c->cohort_limit > 0 && w->fail_cohorts >= c->cohort_limit) {
        w->window = 0;
        return 1;
    }
    fb = qmgr_fb_val(&c->neg, w->window);
    w->failure -= fb;
    while (w->failure - fb / 2 < 0) {
        w->window -= 1;
        w->success = 0;
        w->failure += 1;
    }
    if (w->window < 1)
        w->window = 1;
    return 0;
}

int
qmgr_pipe_depth(double svc_us, double target_us, int max)
{
    double d;

    if (svc_us <= 0)
        return 1;
    d = target_us / svc_us;
    if (d < 1)
        return 1;
    return d > max ? max : (int) d;
}
