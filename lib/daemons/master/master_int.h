/*
 * master_int - private declarations of lib/daemons/master.
 */
#ifndef MASTER_MASTER_INT_H
#define MASTER_MASTER_INT_H

#include <stdio.h>

#include "master/master.h"
#include "server/server_check.h"

struct pcf;

#define POSTERN_MTA_VERSION "Postern 0.1 (Postfix 3.7 compatible)"

/* master_lookup - entry point of a master.cf command, or NULL */
master_service_fn *master_lookup(const char *command);
/* master_delivers - 1 when Postern runs command as a delivery agent
 * (a transport may name a service that runs it), else 0 */
int master_delivers(const char *command);

/*
 * Value checks of "postern check" and "start" (master_check_values.c),
 * reported through chk (lib/services/server/server_check.h): ns "service/type"
 * for a master.cf -o value, NULL for main.cf.
 */
/* master_check_transports - every transport named by a *_transport
 * parameter, content_filter or a transport table entry is a master.cf
 * unix service whose command Postern runs as a delivery agent */
void master_check_transports(struct pcf *conf,
                             const struct server_checker *chk);
/* master_check_tables - every table of a maps parameter, a restriction
 * list or a match list has a type lib/services/maps opens and, when it is a
 * file, a file that can be read */
void master_check_tables(struct pcf *conf, const struct server_checker *chk);
/* master_check_hdr - header/body check actions cleanup does not perform
 * (FILTER: an ERROR) or Postfix does not know (a WARNING) */
void master_check_hdr(struct pcf *conf, const struct server_checker *chk);
/* master_check_tls_levels - TLS security levels the smtp client or
 * smtpd cannot enforce (dane, dane-only, fingerprint) or do not know */
void master_check_tls_levels(struct pcf *conf,
                             const struct server_checker *chk);

/* master_check and its flags are in master.h ("postern check" calls it) */

/* master_checker_fn - one checker: reports what it finds through chk */
typedef void master_checker_fn(struct pcf *conf,
                               const struct server_checker *chk);
/* master_classify.c: every main.cf and -o setting; the services Postern
 * does not run */
master_checker_fn master_check_params;
master_checker_fn master_check_services;

/* master_report.c - the notes collector */
struct master_report *master_report_new(struct pcf *conf);
void master_report_free(struct master_report *rep);
/* master_report_note - server_note_fn; ctx is the report */
server_note_fn master_report_note;
size_t master_report_count(const struct master_report *rep,
                           enum server_note_level level);
/* master_report_print - WARNING and ERROR notes, "postern: error: FILE:
 * LINE: text" through the log API (stderr); verb ("start", "reload" or NULL for
 * check): say what it does about errors; allow: errors are printed as warnings
 */
void master_report_print(const struct master_report *rep, const char *verb,
                         int allow);
/* master_report_log - the ERROR notes to the maillog as warnings (start
 * with --allow-unimplemented) */
void master_report_log(const struct master_report *rep);
/* master_report_json - the whole report as one JSON document; 0 or -1 */
int master_report_json(const struct master_report *rep, FILE *fp);

/*
 * master_stderr.c: the daemons' stderr into the maillog. _open makes
 * the socket pair (before the first fork), _child puts the children's
 * end on fd 2 in a forked child, _fd is what master polls, _drain logs
 * every waiting line as the daemon whose pid sent it (ident_of gives
 * "postfix/smtpd" for a pid, NULL for a process whose lines are dropped)
 * and is called before children are reaped.
 */
typedef const char *master_stderr_ident_fn(long pid);
int master_stderr_open(void);
void master_stderr_child(void);
int master_stderr_fd(void);
void master_stderr_drain(master_stderr_ident_fn *ident_of);

#endif
