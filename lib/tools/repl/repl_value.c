/*
 * repl_value - parameter values, names and services as Postfix sees them.
 *
 * DESCRIPTION
 *	Expansion is Postfix's mac_expand() over the loaded configuration,
 *	done here rather than in the pcf engine so that a syntax error in
 *	a value being explored is reported, not fatal, and so that the
 *	scratch copy's directory never shows through: config_directory is
 *	always the directory being edited.
 *
 *	The names known are those postconf knows in the configuration:
 *	the built-in ones from the schema, the service parameters that
 *	master.cf entries create, and user-defined names from main.cf and
 *	master.cf -o settings that postconf accepts.
 */
#include <string.h>

#include "conf/conf.h"
#include "mac/mac.h"
#include "repl/repl_int.h"

const char *
repl_service_override(struct pcf *p, size_t svc, const char *name)
{
    return pcf_service_param(p, svc, name);
}

struct scope {
    struct repl *r;
    struct pcf *p;
    long svc;
};

static const char *
lookup(const char *name, int mode, void *ctx)
{
    struct scope *s = ctx;
    const char *v;

    (void) mode;
    if (s->svc >= 0) {
        if (strcmp(name, "service_name") == 0)
            return pcf_service_field(s->p, (size_t) s->svc, 0);
        if ((v = repl_service_override(s->p, (size_t) s->svc, name)) != NULL)
            return v;
    }
    if (s->r && strcmp(name, "config_directory") == 0)
        return s->r->dir;
    return pcf_raw_value(s->p, name);
}

int
repl_expand(struct repl *r, struct pcf *p, long svc, const char *text,
            struct buf *out)
{
    struct scope s = {r, p, svc};
    int status;

    buf_truncate(out, 0);
    status = mac_expand(out, text, MAC_EXP_FLAG_RECURSE, NULL, lookup, &s);
    return (status & MAC_PARSE_ERROR) ? -1 : 0;
}

char *
repl_value_expanded(struct repl *r, struct pcf *p, const char *name)
{
    const struct schema_param *sp = schema_param_find(name);
    const char *raw;
    struct buf b;

    if (r && strcmp(name, "config_directory") == 0)
        return mem_strdup(r->dir);
    if ((raw = pcf_raw_value(p, name)) == NULL)
        return NULL;
    if (sp && (sp->flags & SCHEMA_F_RAW))
        return mem_strdup(raw);
    buf_init(&b, 0);
    if (repl_expand(r, p, -1, raw, &b) < 0) {
        buf_fini(&b);
        return mem_strdup(raw);
    }
    return buf_steal(&b);
}

/* add_known - add name to names when the configuration knows it */
static void
add_known(struct pcf *p, struct strv *names, const char *name)
{
    if (pcf_is_known(p, name))
        strv_add(names, name);
}

void
repl_names_load(struct pcf *p, struct strv *names, struct strv *services)
{
    struct conf_file *cf;

    for (size_t i = 0; i < schema_param_count(); i++)
        add_known(p, names, schema_param_at(i)->name);
    if ((cf = conf_file_read(pcf_main_path(p), CONF_MAIN)) != NULL) {
        for (size_t i = 0; i < cf->n; i++)
            if (cf->ents[i].kind == CONF_ENT_LOGICAL && !cf->ents[i].error)
                add_known(p, names, cf->ents[i].name.text);
        conf_file_free(cf);
    }
    for (size_t i = 0; i < pcf_service_count(p); i++) {
        const char *svc = pcf_service_field(p, i, 0);
        const char *cmd = pcf_service_field(p, i, 7);
        struct strv opts;
        struct buf b;

        buf_init(&b, 0);
        buf_printf(&b, "%s/%s", svc, pcf_service_field(p, i, 1));
        strv_adopt(services, buf_steal(&b));
        for (size_t f = 0; f < schema_family_count(); f++) {
            const struct schema_family *fam = schema_family_at(f);

            if (schema_family_applies(fam, cmd)) {
                buf_init(&b, 0);
                buf_printf(&b, "%s%s", svc, fam->suffix);
                add_known(p, names, buf_str(&b));
                buf_fini(&b);
            }
        }
        pcf_service_params(p, i, &opts);
        for (size_t a = 0; a < opts.n; a++)
            add_known(p, names, opts.v[a]);
        strv_fini(&opts);
    }
    strv_uniq(names);
}

const char *
repl_suggest(const struct strv *names, const char *name)
{
    size_t len = strlen(name), limit = len / 4, best_d;
    const char *best = NULL;

    if (limit < 1)
        limit = 1;
    if (limit > 3)
        limit = 3;
    best_d = limit + 1;
    for (size_t i = 0; i < names->n; i++) {
        size_t d = str_distance(name, names->v[i], limit);

        if (d < best_d) {
            best_d = d;
            best = names->v[i];
        }
    }
    return best;
}
