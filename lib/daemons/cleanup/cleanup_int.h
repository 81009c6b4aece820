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

#endif
