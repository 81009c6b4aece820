/*
 * cleanup_int - private declarations of lib/daemons/cleanup shared by its
 * files (cleanup.c and cleanup_scan.c).
 */
#ifndef CLEANUP_CLEANUP_INT_H
#define CLEANUP_CLEANUP_INT_H

#include <stddef.h>

/* header scan results */
struct hdrs {
    size_t end; /* offset where the body starts (after blank line) */
    size_t ins; /* where added headers go (end of header block) */
    int msgid, date, from, to, resent;
    char msgid_val[512];
    /* byte ranges to drop (Bcc:) */
    size_t drop[16][2];
    int ndrop;
};

/* cleanup_scan_headers - where the header block of p ends, which of the
 * headers cleanup adds when missing are there, and (drop_bcc) the byte
 * ranges of Bcc: headers to drop */
void cleanup_scan_headers(const char *p, size_t len, struct hdrs *h,
                          int drop_bcc);

/* cleanup_front.c: a cleanup service that is not the queue writer
 * (cleanup_service_name); it hands finished messages to the writer */
#include <sys/uio.h>

#include "cleanup/cleanup.h"
struct server;
struct cleanup_front;
/* cleanup_front_new - NULL when srv is the queue writer (the service
 * main.cf's cleanup_service_name names), else a front of that writer */
struct cleanup_front *cleanup_front_new(struct server *srv);
void cleanup_front_free(struct cleanup_front *f);
/* cleanup_front_open - a message at the writer: its queue ID; 0 or -1 */
int cleanup_front_open(struct cleanup_front *f, struct cleanup_client **cc,
                       unsigned flags, char id[QUEUE_ID_SIZE]);
/* cleanup_front_commit - the finished envelope and content to the
 * writer; its CLEANUP_STAT_* after its commit (*reason: CONT's text) */
int cleanup_front_commit(struct cleanup_front *f, struct cleanup_client *cc,
                         const struct queue_env *env, const struct iovec *iov,
                         int n, char **reason);
void cleanup_front_abort(struct cleanup_client *cc);

/* cleanup_act_log - Postfix's cleanup_act_log line for a content action
 * (cleanup_hdr.c): "ID: ACTION: CTX BUF from CLIENT; from=<> to=<> ...:
 * TEXT" */
void cleanup_act_log(const struct queue_env *e, const char *action,
                     const char *ctx, const char *buf, const char *text);

/* cleanup_mime.c: message_reject/strip_characters, header_size_limit and
 * the MIME errors (strict_*, mime_nesting_limit), as Postfix's cleanup */
struct pcf;
struct cleanup_mime;
struct cleanup_mime *cleanup_mime_new(struct pcf *p, const char *svc,
                                      int have_hdr_checks);
void cleanup_mime_free(struct cleanup_mime *m);
/* cleanup_mime_chars - before the header/body checks: 1 when a rejected
 * character was found (logged; the reply in *reply), else 0 with the
 * stripped characters and header excess gone from c */
int cleanup_mime_chars(const struct cleanup_mime *m,
                       const struct queue_env *env, struct buf *c,
                       char **reply);
/* cleanup_mime_check - after them: 1 when a MIME error that is to be
 * reported was found (logged; "550 5.6.0 ..." in *reply), else 0 */
int cleanup_mime_check(const struct cleanup_mime *m,
                       const struct queue_env *env, const struct buf *c,
                       char **reply);

#endif
