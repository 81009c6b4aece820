/*
 * smtpd_filter - content filters and receive_override_options in smtpd
 *	(issue 19).
 *
 * DESCRIPTION
 *	As Postfix's smtpd: content_filter (as this service sees it, so a
 *	reinjection listener's "-o content_filter=" turns it off) goes to
 *	cleanup with the envelope unless a FILTER action of an access table
 *	chose another filter for the transaction (the last one wins);
 *	receive_override_options becomes the cleanup OPEN flags, and its
 *	no_unknown_recipient_checks turns off reject_unlisted_recipient.
 */
#define _DEFAULT_SOURCE 1 /* strcasecmp */
#include <stdio.h>
#include <string.h>

#include "cleanup/cleanup.h"
#include "maillog/maillog.h"
#include "server/server.h"
#include "smtpd/smtpd_check_int.h"
#include "smtpd/smtpd_int.h"

void
smtpd_filter_env(struct smtpd_session *s)
{
    char *v;

    if ((s->env.filter && *s->env.filter) || s->cf->srv == NULL)
        return;
    v = server_param(s->cf->srv, "content_filter");
    if (*v)
        queue_env_set(&s->env.filter, v);
    mem_free(v);
}

unsigned
smtpd_filter_flags(const struct smtpd_conf *cf)
{
    char *v;
    unsigned flags;

    if (cf->srv == NULL)
        return 0;
    v = server_param(cf->srv, "receive_override_options");
    flags = cleanup_override_flags(v);
    mem_free(v);
    return flags;
}

int
smtpd_chk_filter(struct ctx *c, const char *table, const char *value,
                 const char *text, const char *name, const char *cls)
{
    char why[1200];

    if (*text == 0) {
        log_warn("access table %s entry \"%s\" has FILTER entry without "
                 "value",
                 table, value);
        return DUNNO;
    }
    if (strchr(text, ':') == NULL) {
        log_warn("access table %s entry \"%s\" requires "
                 "transport:destination",
                 table, value);
        return DUNNO;
    }
    snprintf(why, sizeof(why), "<%s>: %s triggers FILTER %s", name, cls, text);
    smtpd_chk_log_whatsup(c, "filter", why);
    queue_env_set(&c->s->env.filter, text);
    return DUNNO;
}
