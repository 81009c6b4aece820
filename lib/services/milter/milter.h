/*
 * milter - the Sendmail milter protocol (version 6, as Postfix 3.7
 * speaks it, src/milter/milter8.c) for smtpd_milters and
 * non_smtpd_milters.
 *
 * DESCRIPTION
 *	A session (milter_sess_*) talks to every milter in a list
 *	("inet:host:port" or "unix:path", separated by commas or blanks):
 *	option negotiation, connect, helo, mail, rcpt, then data, headers,
 *	end of headers, body and end of message, each stage only when the
 *	milter did not negotiate it away, with Postfix's macros. Each call
 *	blocks (poll with the milter_*_timeout limits): daemons call them
 *	from a thread (co_offload). The milters' modifications are applied
 *	to the message in memory (struct milter_msg), so the caller writes
 *	the edited message or nothing: a milter that fails or times out
 *	gives milter_default_action, never a half-modified message.
 */
#ifndef MILTER_MILTER_H
#define MILTER_MILTER_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* verdicts */
#define MILTER_ACCEPT   0 /* deliver (maybe modified) */
#define MILTER_REJECT   1 /* reply holds the 5xx */
#define MILTER_TEMPFAIL 2 /* reply holds the 4xx */
#define MILTER_DISCARD  3 /* say 250, deliver nothing */
#define MILTER_HOLD     4 /* quarantine: deliver to the hold queue */

/* struct milter_conf - the parameters */
struct milter_conf {
    const char *milters;        /* smtpd_milters or non_smtpd_milters */
    const char *qdir;           /* relative unix: paths */
    const char *default_action; /* accept reject tempfail quarantine */
    int protocol;               /* milter_protocol (2..6) */
    int conn_timeout, cmd_timeout, content_timeout; /* seconds */
    /* milter_*_macros: connect helo mail rcpt data eoh eod */
    const char *macros[7];
};

/* struct milter_msg - one message, as the milters see and change it */
struct milter_msg {
    /* connection */
    const char *client_name, *client_addr, *helo;
    int client_port;
    /* macro values by name ("j", "{daemon_name}", ...), "name=value" */
    struct strv macros;
    /* 1: a local submission; MAIL and RCPT without <>, as Postfix's
     * cleanup sends them */
    int local;
    /* envelope (owned) */
    char *sender;
    struct strv rcpt;
    /* content: headers, empty line, body; LF line ends (owned) */
    struct buf content;
    /* the headers the milters added, inserted or changed ("name:
     * value", as in content), for milter_header_checks */
    struct strv added;
    /* results */
    int verdict;     /* MILTER_* */
    char reply[512]; /* SMTP reply for reject/tempfail */
    char why[256];   /* quarantine reason */
    int modified;    /* any edit applied */
    char stage[32];  /* stage of the verdict, for the log */
};

void milter_msg_init(struct milter_msg *m);
void milter_msg_fini(struct milter_msg *m);
/* milter_msg_macro - set macro name (e.g. "{daemon_name}") to value */
void milter_msg_macro(struct milter_msg *m, const char *name,
                      const char *value);

/*
 * A session (milter_sess.c): the milters connected once per SMTP
 * session and told each stage as it happens, as Postfix's smtpd does.
 * Every call blocks (daemons call it from co_offload) and leaves its
 * verdict in m->verdict (m->reply, m->stage). A reject or tempfail at
 * CONNECT or HELO stays: every later stage gets the same verdict
 * without asking the milter again (Postfix's milter8). A milter that
 * fails gets milter_default_action: skipped for the session (accept)
 * or its reply at every later stage.
 */
#define MILTER_ST_CONNECT 0
#define MILTER_ST_HELO    1
#define MILTER_ST_MAIL    2
#define MILTER_ST_RCPT    3
#define MILTER_ST_DATA    4 /* the DATA command (not BDAT) */
struct milter_sess;
struct milter_sess *milter_sess_new(const struct milter_conf *cf);
/* milter_sess_stage - one SMTP stage (rcpt: the recipient at RCPT) */
void milter_sess_stage(struct milter_sess *ss, const char *id,
                       struct milter_msg *m, int st, const char *rcpt);
/* milter_sess_content - data, headers, body, end of message; the edits
 * applied to m (undone for a milter that fails) */
void milter_sess_content(struct milter_sess *ss, const char *id,
                         struct milter_msg *m);
/* milter_sess_abort - the transaction is over (RSET, a rejected MAIL,
 * after the content): SMFIC_ABORT to the milters that saw MAIL */
void milter_sess_abort(struct milter_sess *ss);
/* milter_sess_free - SMFIC_QUIT and close (NULL is fine) */
void milter_sess_free(struct milter_sess *ss);

/* milter_conf_default_action - 1 when s is a valid
 * milter_default_action */
int milter_default_ok(const char *s);

/*
 * The reply parser (milter_reply.c), exposed for the fuzzer: one reply
 * packet body (command byte, data) is checked and decoded into r.
 */
struct milter_reply {
    int cmd;          /* SMFIR_* byte */
    uint32_t index;   /* chgheader/insheader */
    const char *s1;   /* header name, address, reply text */
    const char *s2;   /* header value, ESMTP args (may be NULL) */
    const char *data; /* replbody: raw bytes */
    size_t len;
};
/* milter_reply_parse - 0, or -1 when malformed (p is NUL terminated
 * at p[len] by the caller) */
int milter_reply_parse(const char *p, size_t len, struct milter_reply *r);

/* milter_edit_* - the modification actions on a message (milter_edit.c),
 * 0 or -1 */
int milter_edit_header(struct milter_msg *m, int cmd, uint32_t index,
                       const char *name, const char *value);
int milter_edit_body(struct milter_msg *m, struct buf *body, int first,
                     const char *p, size_t n);
void milter_edit_finish_body(struct milter_msg *m, struct buf *body);

#endif
