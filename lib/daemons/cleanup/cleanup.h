/*
 * cleanup - the queue writer: canonicalize, fix headers, commit in groups.
 *
 * DESCRIPTION
 *	The cleanup service is the one process that appends to the queue
 *	store. smtpd, pickup and bounce talk to it over private/cleanup,
 *	each with one long-lived connection: OPEN (gets the queue ID),
 *	ENV (envelope), DATA (content chunks, LF line ends), END. At END
 *	cleanup rewrites the envelope addresses (trivial-rewrite), adds
 *	missing headers for local submissions, logs "ID: message-id=<..>",
 *	and appends the record. Records from every client that finished in
 *	the same event-loop round share one fdatasync; each client then
 *	gets its status, and qmgr a notice of the new committed end.
 *
 *	The client side of that protocol is in this module too
 *	(cleanup_client.c: cleanup_client_*), for smtpd, pickup, local
 *	and bounce.
 */
#ifndef CLEANUP_CLEANUP_H
#define CLEANUP_CLEANUP_H

#include <stddef.h>

#include "queue/queue.h"
#include "util/util.h"

struct server;

/* cleanup_service - the daemon (master.cf command "cleanup") */
int cleanup_service(struct server *srv);

/* message types of the private/cleanup protocol */
#define CLEANUP_OPEN 'O' /* u32 flags -> 'I' str id, str next id */
#define CLEANUP_OPEN_RESERVED                                      \
    'P'                   /* u32 flags, str id (the next id of the \
                           * last reply): no reply */
#define CLEANUP_ENV   'E' /* envelope fields (see cleanup_client_env) */
#define CLEANUP_DATA  'D' /* bytes */
#define CLEANUP_END   'Z' /* -> 'S' u32 status, str text, str next id */
#define CLEANUP_ABORT 'A'
/* status codes in the 'S' reply */
#define CLEANUP_STAT_OK    0
#define CLEANUP_STAT_WRITE 1 /* 451 4.3.0 queue file write error */
#define CLEANUP_STAT_SIZE  2 /* 552 5.3.4 message file too big */
#define CLEANUP_STAT_PROTO 3 /* 451 4.3.0 internal protocol error */
#define CLEANUP_STAT_BAD_SENDER                                          \
    4 /* 501 5.1.7 Bad sender address syntax: a control character in the \
       * envelope sender (or in ENVID / the full name) */
#define CLEANUP_STAT_BAD_RCPT                                             \
    5 /* 501 5.1.3 Bad recipient address syntax: a control character in a \
       * recipient (or its original form / ORCPT) */

#define CLEANUP_STAT_DEFER                                                \
    6 /* 451 4.6.0 Alias expansion error: a virtual alias expansion limit \
       * was reached (try again later) */

/*
 * Content filters and receive_override_options (cleanup_filter.c,
 * issue 19). The overrides travel as OPEN flags (above the QUEUE_F_*
 * bits), from smtpd and pickup, which read receive_override_options as
 * Postfix's do; cleanup honours them for trusted clients only.
 */
#define CLEANUP_FLAG_NO_UNKNOWN_RCPT (1u << 8)  /* smtpd's own */
#define CLEANUP_FLAG_NO_ADDR_MAPS    (1u << 9)  /* no_address_mappings */
#define CLEANUP_FLAG_NO_HDR_BODY     (1u << 10) /* no_header_body_checks */
#define CLEANUP_FLAG_NO_MILTERS      (1u << 11) /* no_milters */
/* from another cleanup service (cleanup_front.c): the message is
 * finished, append it as it is (trusted clients only) */
#define CLEANUP_FLAG_PASSTHRU (1u << 12)
/* cleanup_override_flags - receive_override_options (value) as
 * CLEANUP_FLAG_* bits; an unknown word (fatal in Postfix; the schema's
 * value check refuses it before start) is logged and ignored */
unsigned cleanup_override_flags(const char *value);
/* cleanup_filter_action - the core of the FILTER action (access maps,
 * header/body checks): records "transport:destination" text in env (the
 * last one wins, as Postfix's REC_TYPE_FILT) and returns 0; text without
 * a transport is logged as Postfix's cleanup does (map_class: "header",
 * "body", ...) and ignored (-1) */
int cleanup_filter_action(struct queue_env *env, const char *map_class,
                          const char *text);

#define CLEANUP_STAT_CONT                                                 \
    7 /* content rejected by header/body checks: the reply text is "550 " \
       * (or "451 " for a 4.x.x reason) and the reason, sent in the 'S'   \
       * reply (cleanup_client_text) */

/* cleanup_reply_text - SMTP reply for a status */
const char *cleanup_reply_text(unsigned status);

struct cleanup_client;
/* cleanup_client_new - not connected yet; service is "cleanup" */
struct cleanup_client *cleanup_client_new(const char *path, int timeout_s);
void cleanup_client_free(struct cleanup_client *cc);
/* cleanup_client_open - start a message, get its queue ID; 0 or -1
 * (connection trouble; one reconnect is tried) */
int cleanup_client_open(struct cleanup_client *cc, unsigned flags,
                        char id[QUEUE_ID_SIZE]) WARN_UNUSED;
/* cleanup_client_env - the envelope (env->id is ignored); fullname is the
 * sender's full name for an added From: header (sendmail -F), or NULL */
int cleanup_client_env(struct cleanup_client *cc, const struct queue_env *env,
                       const char *fullname) WARN_UNUSED;
/* cleanup_client_data - content bytes (buffered) */
int cleanup_client_data(struct cleanup_client *cc, const void *p,
                        size_t n) WARN_UNUSED;
/* cleanup_client_end - finish; returns the CLEANUP_STAT_* code, or -1
 * when the connection failed (treat as CLEANUP_STAT_WRITE) */
int cleanup_client_end(struct cleanup_client *cc) WARN_UNUSED;
/* cleanup_client_text - the reply text of the last cleanup_client_end
 * (the SMTP reply for CLEANUP_STAT_CONT) */
const char *cleanup_client_text(const struct cleanup_client *cc);
/* cleanup_client_abort - forget the open message */
void cleanup_client_abort(struct cleanup_client *cc);

/*
 * Virtual alias expansion (cleanup_virtual.c), Postfix's cleanup_map1n.
 */
struct pcf;
struct rewrite;
struct strv;
struct cleanup_valias;
/* cleanup_valias_new - virtual_alias_maps and its limits as service svc
 * (may be NULL) sees them; rw is borrowed for the valias's life */
struct cleanup_valias *cleanup_valias_new(struct pcf *p, const char *svc,
                                          struct rewrite *rw);
void cleanup_valias_free(struct cleanup_valias *va);
/* cleanup_valias_active - 1 when virtual_alias_maps names a table */
int cleanup_valias_active(const struct cleanup_valias *va);
/* cleanup_valias_expand - the recipients addr (external form) expands
 * to, appended to out (external form; addr itself when nothing matched).
 * CLEANUP_STAT_OK, or CLEANUP_STAT_DEFER (a limit; logged) or
 * CLEANUP_STAT_WRITE (a table failed; logged) with out holding addr; id
 * is the queue ID for the log */
int cleanup_valias_expand(struct cleanup_valias *va, const char *id,
                          const char *addr, struct strv *out) WARN_UNUSED;

/* cleanup_addr_map - Postfix's mail_addr_map(): key (external form) in m
 * (rewrite_addr_find), the result split into addresses, each
 * canonicalized and, with propagate, given the unmatched extension;
 * appended to out (external form). MAPS_FOUND, MAPS_NOTFOUND or
 * MAPS_ERROR (a table failed, or a result without an address: logged
 * with title), as int */
struct maps;
int cleanup_addr_map(struct rewrite *rw, struct maps *m, const char *title,
                     const char *delim, int propagate, const char *key,
                     struct strv *out);

/*
 * Address rewriting (cleanup_rewrite.c, issue 19): Postfix's
 * canonical_maps, masquerade_domains and the automatic BCCs.
 */
struct queue_env;
struct cleanup_rw;
/* cleanup_rw_new - the settings as service svc sees them; rw borrowed */
struct cleanup_rw *cleanup_rw_new(struct pcf *p, const char *svc,
                                  struct rewrite *rw);
void cleanup_rw_free(struct cleanup_rw *crw);
/* cleanup_rw_envelope - canonical maps and masquerading of the envelope
 * sender and recipients (internal form, already canonicalized), then
 * the sender_bcc_maps, recipient_bcc_maps and always_bcc recipients
 * (NOTIFY=NEVER, as Postfix). CLEANUP_STAT_OK or CLEANUP_STAT_WRITE (a
 * table failed; logged) */
int cleanup_rw_envelope(struct cleanup_rw *crw, struct queue_env *env);
/* cleanup_rw_headers - the addresses in the primary headers (From:,
 * Sender:, To:, Cc:, ... as Postfix's header classes) rewritten in
 * content: the rewriting context (local: local_submission or a client
 * that local_header_rewrite_clients names; remote: only when
 * remote_header_rewrite_domain is set), then the canonical maps and
 * masquerading of the header_sender/header_recipient classes; a changed
 * header is written back as Postfix folds it. 1 when content changed */
struct buf;
int cleanup_rw_headers(struct cleanup_rw *crw, const struct queue_env *env,
                       int local_submission, struct buf *content);
/* cleanup_rw_message - cleanup_rw_envelope, then cleanup_rw_headers
 * (flags: the client's QUEUE_F_*; QUEUE_F_LOCAL is a local submission) */
int cleanup_rw_message(struct cleanup_rw *crw, struct queue_env *env,
                       unsigned flags, struct buf *content);

/*
 * header_checks, mime_header_checks, nested_header_checks, body_checks
 * (cleanup_hdr.c), Postfix's cleanup_act.
 */
struct cleanup_hdr;
#define CLEANUP_HDR_REJECT  1u  /* REJECT 5.x.x: reason set */
#define CLEANUP_HDR_DEFER   2u  /* REJECT 4.x.x: reason set */
#define CLEANUP_HDR_DISCARD 4u  /* accept and drop the message */
#define CLEANUP_HDR_HOLD    8u  /* HOLD: queued with QUEUE_F_HOLD */
#define CLEANUP_HDR_STOP    16u /* no further checks (Postfix's FILTER_ALL) */
struct cleanup_hdr_res {
    unsigned flags;
    char *reason;    /* "5.7.1 message content rejected" */
    char *redirect;  /* REDIRECT target, or NULL */
    char *filter;    /* FILTER transport:destination (the last), or NULL */
    struct strv bcc; /* BCC recipients */
};
/* the actions of a header/body check result */
enum {
    CLEANUP_HDR_A_UNKNOWN,
    CLEANUP_HDR_A_REJECT,
    CLEANUP_HDR_A_WARN,
    CLEANUP_HDR_A_INFO,
    CLEANUP_HDR_A_FILTER,
    CLEANUP_HDR_A_DISCARD,
    CLEANUP_HDR_A_HOLD,
    CLEANUP_HDR_A_PREPEND,
    CLEANUP_HDR_A_REPLACE,
    CLEANUP_HDR_A_REDIRECT,
    CLEANUP_HDR_A_BCC,
    CLEANUP_HDR_A_STRIP,
    CLEANUP_HDR_A_IGNORE,
    CLEANUP_HDR_A_DUNNO, /* and OK */
};
/* cleanup_hdr_new - the checks as service svc (may be NULL) sees them */
struct cleanup_hdr *cleanup_hdr_new(struct pcf *p, const char *svc);
/* cleanup_hdr_new_smtp - the smtp client's checks (Postfix's
 * header_body_checks: WARN, INFO, REPLACE, PREPEND, STRIP, IGNORE, DUNNO
 * and OK; "unsupported command" for the others; its log lines): names
 * and values of the header, mime header, nested header and body checks
 * parameters */
struct cleanup_hdr *cleanup_hdr_new_smtp(const char *const names[4],
                                         const char *const values[4]);
/* cleanup_hdr_new_checks - header checks from one table list (name:
 * the parameter; prefix before the action in log lines, static, or
 * NULL), NULL when value names none (milter_header_checks) */
struct cleanup_hdr *cleanup_hdr_new_checks(const char *name, const char *value,
                                           const char *prefix);
void cleanup_hdr_free(struct cleanup_hdr *h);
/* cleanup_hdr_active - 1 when any of the checks names a table */
int cleanup_hdr_active(const struct cleanup_hdr *h);
void cleanup_hdr_res_init(struct cleanup_hdr_res *r);
void cleanup_hdr_res_fini(struct cleanup_hdr_res *r);
/* cleanup_hdr_act - the action (CLEANUP_HDR_A_*) of a table result,
 * with *text the optional text after it and *cmdlen the action's length;
 * res is unused (may be NULL) */
int cleanup_hdr_act(struct cleanup_hdr_res *res, const char *value,
                    const char **text, size_t *cmdlen);
/* cleanup_hdr_run - the checks over content p (LF line ends) of the
 * message env: the content to queue appended to out, the verdict in res
 * (logged as Postfix does); nonzero when rejected */
int cleanup_hdr_run(struct cleanup_hdr *h, const struct queue_env *env,
                    const char *p, size_t len, struct buf *out,
                    struct cleanup_hdr_res *res);
/* cleanup_hdr_res_env - what a result does to the envelope: HOLD,
 * FILTER, REDIRECT, BCC */
void cleanup_hdr_res_env(const struct cleanup_hdr_res *res,
                         struct queue_env *env);
/* cleanup_hdr_apply - cleanup_hdr_run on a message: 1 when rejected,
 * with the SMTP reply ("550 5.7.1 ...") in *reply (freed first); else
 * content becomes what the checks let through, env gets REDIRECT, BCC
 * and HOLD (QUEUE_F_HOLD), and *discard is set for DISCARD */
int cleanup_hdr_apply(struct cleanup_hdr *h, struct queue_env *env,
                      struct buf *content, char **reply, int *discard);

/*
 * milter_header_checks (cleanup_milter.c): header_checks-style rules on
 * the headers that milters added or changed (struct milter_msg's
 * added), for smtpd and pickup after their milters. 1 when rejected
 * (*reply: the SMTP reply, freed first); else REPLACE/IGNORE/STRIP have
 * changed those headers in content, env has REDIRECT, BCC, FILTER and
 * HOLD, and *discard is set for DISCARD.
 */
struct strv;
int cleanup_milter_checks(struct cleanup_hdr *h, struct queue_env *env,
                          const struct strv *added, struct buf *content,
                          char **reply, int *discard);

#endif
