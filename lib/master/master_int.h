/*
 * master_int - private declarations of lib/master.
 */
#ifndef MASTER_MASTER_INT_H
#define MASTER_MASTER_INT_H

#include "master/master.h"

struct pcf;

#define POSTERN_MTA_VERSION "Postern 0.1 (Postfix 3.7 compatible)"

/* master_lookup - entry point of a master.cf command, or NULL */
master_service_fn *master_lookup(const char *command);
/* master_check - sanity checks before start and for "check"; messages
 * on stderr; verbose also lists services not run. 0 ok, 1 errors */
int master_check(struct pcf *conf, const char *config_dir, int verbose);

#endif
