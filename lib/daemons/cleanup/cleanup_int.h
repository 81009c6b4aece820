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

#endif
