/*
 * maillog - daemon logging in Postfix's maillog format.
 *
 * DESCRIPTION
 *	Every daemon line reads "postfix/smtpd[4711]: text" (ident
 *	"<syslog_name>/<service>", the pid, then the text), either through
 *	syslog(3) with facility mail or, when maillog_file is set, appended
 *	to that file as "Mmm dd hh:mm:ss host ident[pid]: text" with one
 *	write(2) per line (O_APPEND keeps lines from many processes whole).
 *	The severity prefix ("warning: ", "fatal: ") is added here; mail
 *	events start with the queue ID. This is the only module that formats
 *	these lines, so pflogsumm and fail2ban keep matching them
 *	(testdata/mta/maillog/ holds golden lines).
 *
 *	maillog is an output of the log API (lib/base/util/log.c):
 *	maillog_open() installs it in place of stderr, so log_warn() and
 *	its siblings, from any module, become maillog lines: code logs
 *	with log_info/log_warn/log_error/log_fatal/log_panic.
 */
#ifndef MAILLOG_MAILLOG_H
#define MAILLOG_MAILLOG_H

#include <stdarg.h>

#include "util/util.h"

/* maillog_open - ident is "postfix/smtpd"; file NULL or "" means syslog;
 * host is myhostname (its first label is printed). Copies its arguments.
 * May be called again (e.g. after fork) to change ident or pid. */
void maillog_open(const char *ident, const char *file, const char *host);
/* maillog_close - uninstall the maillog output, stderr is the output
 * again (a CLI tool that opened the maillog for a while) */
void maillog_close(void);
/* maillog_hold - on: event loops collect the lines of one round and
 * write them at once with maillog_flush() before they wait (one write
 * instead of one per line; warnings and worse go out at once, and exit
 * flushes); off: flush and write each line as it comes */
void maillog_hold(int on);
void maillog_flush(void);
/* maillog_set_stderr - also copy every line to stderr as "ident:
 * severity: text" (CLI tools, tests) */
void maillog_set_stderr(int on);
/* maillog_relay - log text (one line, its severity prefix included, if
 * any) as if process pid with ident id had logged it: master copies its
 * daemons' stderr into the maillog with this */
void maillog_relay(const char *id, long pid, const char *text);
/* maillog_ident - current ident */
const char *maillog_ident(void);

/* One delivery attempt, as delivery agents log it. */
struct maillog_delivery {
    const char *id;
    const char *to;      /* final recipient */
    const char *orig_to; /* original recipient, NULL when the same */
    const char *relay;   /* "local", "none", "host[addr]:port" */
    double delay;        /* arrival to now, seconds */
    double delays[4];    /* before qmgr, in qmgr, setup, transmission */
    const char *dsn;     /* "2.0.0" */
    const char *status;  /* "sent", "deferred", "bounced" */
    const char *text;    /* "delivered to maildir" */
};

/* maillog_delivery - "ID: to=<...>, [orig_to=<...>, ]relay=..., delay=...,
 * delays=a/b/c/d, dsn=X.Y.Z, status=... (text)" */
void maillog_delivery(const struct maillog_delivery *d);
/* maillog_reject - "ID|NOQUEUE: reject: STAGE from CLIENT: REPLY; from=<f>
 * to=<t> proto=P helo=<h>" (to omitted when NULL); action may be
 * "reject", "defer" shown as reject with a 4xx reply, "discard", "hold" */
void maillog_reject(const char *id, const char *action, const char *stage,
                    const char *client, const char *reply, const char *from,
                    const char *to, const char *proto, const char *helo);
/* maillog_delay_fmt - Postfix's compact delay: "0.02", "1.2", "12", "0" */
const char *maillog_delay_fmt(double d, char *out, unsigned size);

#endif
