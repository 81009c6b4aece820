/*
 * master_services - which master.cf commands Postern runs.
 *
 * DESCRIPTION
 *	The table maps the command field of master.cf to the service's
 *	entry point. Commands whose work Postern does inside another
 *	process are "built in" (named with the reason when master starts);
 *	anything else is reported as not implemented and not started.
 */
#include <stddef.h>
#include <string.h>

#include "bounce/bounce.h"
#include "cleanup/cleanup.h"
#include "local/local.h"
#include "master/master_int.h"
#include "pickup/pickup.h"
#include "pipe/pipe.h"
#include "proxymap/proxymap.h"
#include "qmgr/qmgr.h"
#include "qmgr/qmgr_tool.h"
#include "smtp/smtp.h"
#include "smtpd/smtpd.h"
#include "virtual/virtual.h"

/* agent: a delivery agent, which a transport (transport:nexthop) may
 * name: qmgr hands it mail over the deliver protocol */
static const struct {
    const char *command;
    master_service_fn *fn;
    int agent;
} services[] = {
    {"smtpd", smtpd_service, 0},       {"smtp", smtp_service, 1},
    {"lmtp", smtp_lmtp_service, 1},    {"pipe", pipe_service, 1},
    {"spawn", pipe_spawn_service, 0},  {"cleanup", cleanup_service, 0},
    {"qmgr", qmgr_service, 0},         {"oqmgr", qmgr_service, 0},
    {"local", local_service, 1},       {"virtual", virtual_service, 1},
    {"error", local_error_service, 1}, {"discard", local_discard_service, 1},
    {"bounce", bounce_service, 0},     {"pickup", pickup_service, 0},
    {"showq", qmgr_showq_service, 0},  {"proxymap", proxymap_service, 0},
};

static const struct {
    const char *command;
    const char *why;
} builtin[] = {
    {"trivial-rewrite", "address rewriting is built into cleanup, smtpd and "
                        "qmgr"},
    {"postlogd", "every process writes maillog_file itself"},
    {"anvil", "connection counting is built into the smtpd front"},
    {"tlsmgr", "no TLS session cache is used"},
    {"postscreen", "postscreen runs as the front process of the \"smtpd "
                   "pass\" entry, on this address"},
};

master_service_fn *
master_lookup(const char *command)
{
    for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++)
        if (strcmp(services[i].command, command) == 0)
            return services[i].fn;
    return NULL;
}

int
master_delivers(const char *command)
{
    for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++)
        if (strcmp(services[i].command, command) == 0)
            return services[i].agent;
    return 0;
}

const char *
master_builtin(const char *command)
{
    for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
        if (strcmp(builtin[i].command, command) == 0)
            return builtin[i].why;
    return NULL;
}
