/*
 * milter_int - protocol constants (libmilter's mfdef.h names)
 */
#ifndef MILTER_MILTER_INT_H
#define MILTER_MILTER_INT_H

/* commands to the milter */
#define SMFIC_ABORT   'A'
#define SMFIC_BODY    'B'
#define SMFIC_CONNECT 'C'
#define SMFIC_MACRO   'D'
#define SMFIC_BODYEOB 'E'
#define SMFIC_HELO    'H'
#define SMFIC_HEADER  'L'
#define SMFIC_MAIL    'M'
#define SMFIC_EOH     'N'
#define SMFIC_OPTNEG  'O'
#define SMFIC_QUIT    'Q'
#define SMFIC_RCPT    'R'
#define SMFIC_DATA    'T'

/* replies */
#define SMFIR_ADDRCPT     '+'
#define SMFIR_DELRCPT     '-'
#define SMFIR_ADDRCPT_PAR '2'
#define SMFIR_SHUTDOWN    '4'
#define SMFIR_ACCEPT      'a'
#define SMFIR_REPLBODY    'b'
#define SMFIR_CONTINUE    'c'
#define SMFIR_DISCARD     'd'
#define SMFIR_CHGFROM     'e'
#define SMFIR_CONN_FAIL   'f'
#define SMFIR_ADDHEADER   'h'
#define SMFIR_INSHEADER   'i'
#define SMFIR_SETSYMLIST  'l'
#define SMFIR_CHGHEADER   'm'
#define SMFIR_PROGRESS    'p'
#define SMFIR_QUARANTINE  'q'
#define SMFIR_REJECT      'r'
#define SMFIR_SKIP        's'
#define SMFIR_TEMPFAIL    't'
#define SMFIR_REPLYCODE   'y'

/* actions the milter may take */
#define SMFIF_ADDHDRS     0x01u
#define SMFIF_CHGBODY     0x02u
#define SMFIF_ADDRCPT     0x04u
#define SMFIF_DELRCPT     0x08u
#define SMFIF_CHGHDRS     0x10u
#define SMFIF_QUARANTINE  0x20u
#define SMFIF_CHGFROM     0x40u
#define SMFIF_ADDRCPT_PAR 0x80u
#define SMFIF_SETSYMLIST  0x100u

/* protocol steps */
#define SMFIP_NOCONNECT   0x01u
#define SMFIP_NOHELO      0x02u
#define SMFIP_NOMAIL      0x04u
#define SMFIP_NORCPT      0x08u
#define SMFIP_NOBODY      0x10u
#define SMFIP_NOHDRS      0x20u
#define SMFIP_NOEOH       0x40u
#define SMFIP_NR_HDR      0x80u
#define SMFIP_NOUNKNOWN   0x100u
#define SMFIP_NODATA      0x200u
#define SMFIP_SKIP        0x400u
#define SMFIP_RCPT_REJ    0x800u
#define SMFIP_NR_CONN     0x1000u
#define SMFIP_NR_HELO     0x2000u
#define SMFIP_NR_MAIL     0x4000u
#define SMFIP_NR_RCPT     0x8000u
#define SMFIP_NR_DATA     0x10000u
#define SMFIP_NR_UNKN     0x20000u
#define SMFIP_NR_EOH      0x40000u
#define SMFIP_NR_BODY     0x80000u
#define SMFIP_HDR_LEADSPC 0x100000u

#include <stddef.h>
#include <stdint.h>

#include "milter/milter.h"
#include "util/util.h"

/* struct milter_conn - one connection (milter_io.c) */
struct milter_conn {
    int fd;
    char err[256];
};
int milter_conn_open(struct milter_conn *c, const char *spec, const char *qdir,
                     int timeout);
void milter_conn_close(struct milter_conn *c);
int milter_conn_send(struct milter_conn *c, int cmd, const void *data,
                     size_t len, int timeout);
/* milter_conn_recv - one packet (command byte and data) into pkt,
 * NUL terminated after its length */
int milter_conn_recv(struct milter_conn *c, struct buf *pkt, int timeout);

/* the stages, for the milter_*_macros lists (struct milter_conf) */
enum { ST_CONNECT, ST_HELO, ST_MAIL, ST_RCPT, ST_DATA, ST_EOH, ST_EOD };

/* struct milter_one - the state of one milter for a session
 * (milter.c speaks the protocol, milter_sess.c drives the stages) */
struct milter_one {
    struct milter_conn c;
    const char *spec;
    /* the settings for this milter: the list's, or its own from
     * "{ spec, name=value, ... }" */
    struct milter_conf cf;
    uint32_t actions, steps;
    int open;      /* connected and negotiated */
    int dead;      /* failed: milter_default_action = accept, skipped */
    int done_conn; /* SMFIR_ACCEPT at connect/helo: done for the session */
    int accepted;  /* SMFIR_ACCEPT: done with this message */
    int in_msg;    /* MAIL sent: SMFIC_ABORT on reset */
    int data_sent; /* SMFIC_DATA at the DATA command: not again */
    int skip;      /* SMFIR_SKIP: no more body */
    int rej;       /* a MILTER_* verdict for the whole session (reject or
                    * tempfail at connect/helo, or a failure) */
    char rej_reply[512];
    struct buf pkt, body;
    int body_first;
};

/* results of one command */
#define R_CONT  0  /* go on */
#define R_DONE  1  /* a verdict (m->verdict set) or accept */
#define R_FAIL  -1 /* talking failed: milter_default_action */
#define R_DROPR 2  /* this recipient rejected */

struct milter_conf;
struct milter_msg;
int milter_one_negotiate(const struct milter_conf *cf, struct milter_one *o);
/* milter_one_stage - one of MILTER_ST_CONNECT .. MILTER_ST_RCPT */
int milter_one_stage(const struct milter_conf *cf, struct milter_one *o,
                     struct milter_msg *m, int ev, const char *rcpt,
                     struct buf *d);
/* milter_one_content - data, headers, end of headers, body, end of
 * message and its modification actions */
int milter_one_content(const struct milter_conf *cf, struct milter_one *o,
                       struct milter_msg *m, struct buf *d);

#endif
