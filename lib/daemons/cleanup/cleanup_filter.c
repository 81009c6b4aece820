/*
 * cleanup_filter - content filters and receive_override_options (issue 19).
 *
 * DESCRIPTION
 *	Postfix records a content filter in the queue file (REC_TYPE_FILT)
 *	and qmgr then delivers the whole message to that transport and
 *	nexthop instead of the normal route. Postern records it in the
 *	envelope (struct queue_env's filter). smtpd and pickup read
 *	content_filter and send it with the envelope, as Postfix's smtpd,
 *	pickup and qmqpd do; a FILTER action (access maps, header/body
 *	checks) replaces it: cleanup_filter_action() is that action's core.
 *
 *	receive_override_options is read by smtpd and pickup too and
 *	reaches cleanup as OPEN flags (cleanup_override_flags()).
 */
#define _DEFAULT_SOURCE 1 /* strcasecmp */
#include <string.h>
#include <strings.h>

#include "cleanup/cleanup.h"
#include "maillog/maillog.h"

unsigned
cleanup_override_flags(const char *value)
{
    static const struct {
        const char *name;
        unsigned flag;
    } opts[] = {
        {"no_unknown_recipient_checks", CLEANUP_FLAG_NO_UNKNOWN_RCPT},
        {"no_address_mappings", CLEANUP_FLAG_NO_ADDR_MAPS},
        {"no_header_body_checks", CLEANUP_FLAG_NO_HDR_BODY},
        {"no_milters", CLEANUP_FLAG_NO_MILTERS},
    };
    char *copy, *save = NULL;
    unsigned flags = 0;

    if (value == NULL || *value == 0)
        return 0;
    copy = mem_strdup(value);
    for (char *w = strtok_r(copy, ", \t\r\n", &save); w;
         w = strtok_r(NULL, ", \t\r\n", &save)) {
        size_t k;

        for (k = 0; k < sizeof(opts) / sizeof(opts[0]); k++)
            if (strcasecmp(w, opts[k].name) == 0)
                break;
        if (k < sizeof(opts) / sizeof(opts[0]))
            flags |= opts[k].flag;
        else
            log_warn("unknown receive_override_options value \"%s\" in "
                     "\"%s\"",
                     w, value);
    }
    mem_free(copy);
    return flags;
}

int
cleanup_filter_action(struct queue_env *env, const char *map_class,
                      const char *text)
{
    if (text == NULL || *text == 0) {
        log_warn("missing FILTER command argument in %s map", map_class);
        return -1;
    }
    if (strchr(text, ':') == NULL) {
        log_warn("bad FILTER command %s in %s -- need transport:destination",
                 text, map_class);
        return -1;
    }
    queue_env_set(&env->filter, text);
    return 0;
}
