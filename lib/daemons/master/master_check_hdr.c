/*
 * master_check_hdr - "postern check" for the actions of header_checks,
 * mime_header_checks, nested_header_checks and body_checks (issue 19).
 *
 * DESCRIPTION
 *	Every entry of the tables those parameters name (main.cf and
 *	master.cf -o) is read with maps_walk: an action Postfix does not
 *	know is a WARNING (Postfix logs "unknown command" and keeps the
 *	message). Every action Postfix's cleanup knows is performed,
 *	FILTER included (cleanup_filter_action).
 */
#include <stdio.h>
#include <string.h>

#include "cleanup/cleanup.h"
#include "maps/maps.h"
#include "master/master_int.h"
#include "pcf/pcf.h"
#include "server/server_check.h"

static const char *const params[] = {
    "header_checks",
    "mime_header_checks",
    "nested_header_checks",
    "body_checks",
};

struct hdr_ctx {
    const struct server_checker *chk;
    const char *ns;
    const char *param;
    const char *table;
};

static void
hdr_entry(void *ctx, const char *key, const char *value, int line)
{
    struct hdr_ctx *hc = ctx;
    const char *text;
    size_t n;
    int a = cleanup_hdr_act(NULL, value, &text, &n);
    const char *file = strchr(hc->table, ':') + 1;

    if (a == CLEANUP_HDR_A_UNKNOWN)
        server_note(hc->chk, SERVER_NOTE_WARNING, hc->ns, hc->param,
                    "entry \"%s\" (%s line %d): unknown command \"%.*s\" "
                    "(cleanup logs a warning and keeps the message)",
                    key, file, line, (int) n, value);
}

static void
hdr_value(const struct server_checker *chk, const char *ns, const char *param,
          const char *value)
{
    struct strv items;

    strv_init(&items);
    maps_split(value, &items);
    for (size_t i = 0; i < items.n; i++) {
        struct hdr_ctx hc = {chk, ns, param, items.v[i]};

        if (maps_is_table(items.v[i]))
            (void) maps_walk(items.v[i], 0, hdr_entry, &hc);
    }
    strv_fini(&items);
}

void
master_check_hdr(struct pcf *conf, const struct server_checker *chk)
{
    for (size_t p = 0; p < sizeof(params) / sizeof(params[0]); p++) {
        char *value = pcf_value(conf, params[p]);
        const char *src = pcf_source(conf, params[p]);
        char ns[600];

        /* mime_ and nested_header_checks default to $header_checks:
         * its entries are reported once */
        if (value && *value &&
            (p == 0 || p == 3 || (src && strcmp(src, "default") != 0)))
            hdr_value(chk, NULL, params[p], value);
        mem_free(value);
        for (size_t i = 0; i < pcf_service_count(conf); i++) {
            if (pcf_service_param(conf, i, params[p]) == NULL)
                continue;
            snprintf(ns, sizeof(ns), "%s/%s", pcf_service_field(conf, i, 0),
                     pcf_service_field(conf, i, 1));
            value = pcf_service_value(conf, ns, params[p]);
            if (value && *value)
                hdr_value(chk, ns, params[p], value);
            mem_free(value);
        }
    }
}
