/*
 * qmgr_filter - the content filter route (issue 19).
 *
 * DESCRIPTION
 *	A message with a content filter recorded (content_filter or a
 *	FILTER action, "transport:nexthop") goes, with every recipient, to
 *	that transport and nexthop instead of where the resolver would send
 *	it, as Postfix's qmgr_message_resolve() does: the nexthop is the
 *	text after the first ':'; when empty, default_filter_nexthop, and
 *	when that is empty too, the recipient's domain.
 */
#include <stdio.h>
#include <string.h>

#include "qmgr/qmgr_int.h"
#include "rewrite/rewrite.h"
#include "server/server.h"

int
qmgr_filter_route(const struct qmsg *m, size_t i, struct rewrite_result *res)
{
    const char *f = m->env.filter, *colon, *nexthop, *at;
    const char *addr = m->env.rcpt[i].addr;

    if (f == NULL || *f == 0 || (colon = strchr(f, ':')) == NULL)
        return 0;
    memset(res, 0, sizeof(*res));
    res->cls = REWRITE_DEFAULT;
    snprintf(res->transport, sizeof(res->transport), "%.*s", (int) (colon - f),
             f);
    nexthop = colon + 1;
    if (*nexthop == 0)
        nexthop = Q.def_filter_nexthop ? Q.def_filter_nexthop : "";
    if (*nexthop == 0)
        nexthop = (at = strrchr(addr, '@')) != NULL ? at + 1 : "";
    snprintf(res->nexthop, sizeof(res->nexthop), "%s", nexthop);
    /* res->rcpt stays empty: the queued address goes out as it is */
    return 1;
}
