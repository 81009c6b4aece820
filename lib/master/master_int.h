/*
 * master_int - private declarations of lib/master.
 */
#ifndef MASTER_MASTER_INT_H
#define MASTER_MASTER_INT_H

#include "master/master.h"

struct pcf;
struct server_checker;

#define POSTERN_MTA_VERSION "Postern 0.1 (Postfix 3.7 compatible)"

/* master_lookup - entry point of a master.cf command, or NULL */
master_service_fn *master_lookup(const char *command);
/* master_delivers - 1 when Postern runs command as a delivery agent
 * (a transport may name a service that runs it), else 0 */
int master_delivers(const char *command);

/*
 * Value checks of "postern check" and "start" (master_check_values.c),
 * reported through chk (lib/server/server_check.h): ns "service/type"
 * for a master.cf -o value, NULL for main.cf.
 */
/* master_check_transports - every transport named by a *_transport
 * parameter, content_filter or a transport table entry is a master.cf
 * unix service whose command Postern runs as a delivery agent */
void master_check_transports(struct pcf *conf,
                             const struct server_checker *chk);
/* master_check_tables - every table of a maps parameter, a restriction
 * list or a match list has a type lib/maps opens and, when it is a
 * file, a file that can be read */
void master_check_tables(struct pcf *conf, const struct server_checker *chk);
/* master_check_tls_levels - TLS security levels the smtp client or
 * smtpd cannot enforce (dane, dane-only, fingerprint) or do not know */
void master_check_tls_levels(struct pcf *conf,
                             const struct server_checker *chk);

/* master_check - sanity checks before start and for "check"; messages
 * on stderr; verbose also lists services not run. 0 ok, 1 errors */
int master_check(struct pcf *conf, const char *config_dir, int verbose);

#endif
