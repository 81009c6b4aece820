/*
 * server_values - "postern check": every typed value a daemon would
 * refuse at start, found before anything starts.
 *
 * DESCRIPTION
 *	The daemons read bool, int, size and time parameters through the
 *	typed accessors (server.h), which are fatal on a malformed value.
 *	Postfix's daemons read most of main.cf whatever their job, so any
 *	such value set in main.cf or by a master.cf -o stops one of them;
 *	check reports each as an ERROR with Postfix's words, so that
 *	"start" refuses instead of starting services that die at once.
 *	Enumerations are left to the checks that know which values
 *	Postern honours (server_tls_check, the classification).
 */
#include <stdio.h>
#include <string.h>

#include "pcf/pcf.h"
#include "schema/schema.h"
#include "server/server.h"
#include "server/server_check.h"

/* typed - the schema entry whose type a daemon reads with an accessor;
 * a family parameter ("relay_destination_concurrency_limit") has its
 * default parameter's */
static const struct schema_param *
typed(const char *name)
{
    const struct schema_param *sp = schema_param_find(name);
    const struct schema_family *f;

    if (sp == NULL && (f = schema_family_match(name, NULL)) != NULL)
        sp = schema_param_find(f->defparam);
    if (sp == NULL)
        return NULL;
    switch (sp->type) {
    case SCHEMA_BOOL:
    case SCHEMA_INT:
    case SCHEMA_LONG:
    case SCHEMA_TIME:
    case SCHEMA_ENUM:
        return sp;
    default:
        return NULL;
    }
}

/* check_one - name as ns sees it (NULL: main.cf) */
static void
check_one(struct pcf *p, const struct server_checker *chk, const char *ns,
          const char *name)
{
    const struct schema_param *sp = typed(name);
    char *v;
    struct buf why;
    long n;

    if (sp == NULL)
        return;
    /* the TLS levels: Postfix's daemons take more words than the schema
     * lists for them (smtpd: verify as encrypt, with a warning); the TLS
     * level checker (master_check_values.c) judges them as the daemons do */
    if (sp->type == SCHEMA_ENUM && strstr(name, "_tls_security_level"))
        return;
    v = ns ? pcf_service_value(p, ns, name) : pcf_value(p, name);
    if (v == NULL)
        return;
    buf_init(&why, 0);
    if (schema_value_parse(sp, name, v, &n, &why) < 0)
        server_note(chk, SERVER_NOTE_ERROR, ns, name, "%s", buf_str(&why));
    buf_fini(&why);
    mem_free(v);
}

/* check_families - "<service><suffix>" set in main.cf for the services
 * of master.cf */
static void
check_families(struct pcf *p, const struct server_checker *chk)
{
    struct buf name;

    buf_init(&name, 0);
    for (size_t i = 0; i < pcf_service_count(p); i++) {
        for (size_t k = 0; k < schema_family_count(); k++) {
            buf_truncate(&name, 0);
            buf_printf(&name, "%s%s", pcf_service_field(p, i, 0),
                       schema_family_at(k)->suffix);
            if (schema_param_find(buf_str(&name)) == NULL &&
                strcmp(pcf_source(p, buf_str(&name)), "default") != 0)
                check_one(p, chk, NULL, buf_str(&name));
        }
    }
    buf_fini(&name);
}

void
server_check_values(struct pcf *p, const struct server_checker *chk)
{
    for (size_t i = 0; i < schema_param_count(); i++) {
        const char *name = schema_param_at(i)->name;

        if (strcmp(pcf_source(p, name), "default") != 0)
            check_one(p, chk, NULL, name);
    }
    check_families(p, chk);
    for (size_t i = 0; i < pcf_service_count(p); i++) {
        struct strv names;
        char ns[600];

        snprintf(ns, sizeof(ns), "%s/%s", pcf_service_field(p, i, 0),
                 pcf_service_field(p, i, 1));
        pcf_service_params(p, i, &names);
        for (size_t k = 0; k < names.n; k++)
            check_one(p, chk, ns, names.v[k]);
        strv_fini(&names);
    }
}
