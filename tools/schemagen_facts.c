/*
 * schemagen_facts - the "postern" section of the schema.
 *
 * DESCRIPTION
 *	What Postern does with each parameter: the daemons that honour a
 *	parameter or a family, and the settings it refuses or treats
 *	differently. Parsed here; applied by sg_check (schemagen_check.c).
 */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "schemagen.h"
#include "schemagen_int.h"

/* Daemons a "postern" entry may name: master.cf commands Postern runs,
 * its set-gid and user commands, "trivial-rewrite" (built into the
 * daemons that rewrite addresses) and "all". */
static const char *const postern_daemons[] = {
    "all",       "master",     "smtpd",    "smtp",
    "cleanup",   "qmgr",       "local",    "virtual",
    "bounce",    "pickup",     "proxymap", "showq",
    "postdrop",  "postqueue",  "sendmail", "trivial-rewrite",
    "lmtp",      "pipe",       "spawn",    "postmap",
    "postalias", "postscreen",
};

/* fact_add - append a parsed "postern" entry */
static void
fact_add(struct sg_ctx *cx, struct sg_fact *f)
{
    if (cx->sc->nfacts == cx->sc->facts_cap) {
        cx->sc->facts_cap = cx->sc->facts_cap ? 2 * cx->sc->facts_cap : 64;
        cx->sc->facts = mem_realloc(cx->sc->facts,
                                    cx->sc->facts_cap * sizeof(*cx->sc->facts));
    }
    cx->sc->facts[cx->sc->nfacts++] = *f;
}

/* fact_daemons - the "daemons" list: known names, at least one */
static void
fact_daemons(struct sg_ctx *cx, const yaml_node_t *n, struct strv *sv)
{
    if (sg_scalar_list(cx, n, "daemons", sv) < 0)
        return;
    if (sv->n == 0)
        sg_node_diag(cx, n, "\"daemons\" needs at least one daemon");
    for (size_t i = 0; i < sv->n; i++) {
        size_t j, nd = sizeof(postern_daemons) / sizeof(postern_daemons[0]);

        for (j = 0; j < nd; j++)
            if (strcmp(sv->v[i], postern_daemons[j]) == 0)
                break;
        if (j == nd)
            sg_node_diag(cx, n, "unknown daemon \"%s\"", sv->v[i]);
    }
}

/* parse_fact - one mapping under postern's "honoured", "families" or
 * "refuse" (kind) */
static void
parse_fact(struct sg_ctx *cx, const yaml_node_t *m, int kind)
{
    static const char *const keys[][3] = {
        [SG_FACT_PARAM] = {"name", "daemons", "partly"},
        [SG_FACT_FAMILY] = {"suffix", "daemons", "partly"},
        [SG_FACT_REFUSE] = {"match", NULL, "why"},
        [SG_FACT_BEHAVES] = {"name", NULL, "value"},
    };
    const yaml_node_t *slot[3] = {NULL, NULL, NULL};
    struct sg_fact f;
    size_t errors = cx->errors;

    if (m->type != YAML_MAPPING_NODE) {
        sg_node_diag(cx, m, "a postern entry must be a mapping, not %s",
                     sg_node_kind(m));
        return;
    }
    memset(&f, 0, sizeof(f));
    strv_init(&f.daemons);
    f.kind = kind;
    f.file = cx->file;
    f.line = (unsigned long) m->start_mark.line + 1;
    f.col = (unsigned long) m->start_mark.column + 1;
    for (yaml_node_pair_t *pr = m->data.mapping.pairs.start;
         pr < m->data.mapping.pairs.top; pr++) {
        const yaml_node_t *key = yaml_document_get_node(cx->doc, pr->key);
        const yaml_node_t *val = yaml_document_get_node(cx->doc, pr->value);
        int i;

        if (key == NULL || val == NULL)
            continue;
        if (key->type != YAML_SCALAR_NODE) {
            sg_node_diag(cx, key, "keys must be scalars");
            continue;
        }
        for (i = 0; i < 3; i++)
            if (keys[kind][i] && strcmp((const char *) key->data.scalar.value,
                                        keys[kind][i]) == 0)
                break;
        if (i == 3)
            sg_node_diag(cx, key, "unknown key \"%s\" in postern entry",
                         key->data.scalar.value);
        else
            sg_take(cx, key, &slot[i], val);
    }
    if (slot[0] == NULL || (keys[kind][1] && slot[1] == NULL) ||
        (keys[kind][1] == NULL && slot[2] == NULL)) {
        sg_node_diag(cx, m, "postern entry needs \"%s\" and \"%s\"",
                     keys[kind][0],
                     keys[kind][1] ? keys[kind][1] : keys[kind][2]);
        goto out;
    }
    f.name = sg_scalar(cx, slot[0], keys[kind][0]);
    if (slot[1])
        fact_daemons(cx, slot[1], &f.daemons);
    if (slot[2] && (f.text = sg_scalar(cx, slot[2], keys[kind][2])) != NULL &&
        *f.text == '\0' && kind != SG_FACT_BEHAVES)
        sg_node_diag(cx, slot[2], "empty \"%s\"", keys[kind][2]);
out:
    if (cx->errors != errors || f.name == NULL) {
        mem_free(f.name);
        mem_free(f.text);
        strv_fini(&f.daemons);
        return;
    }
    fact_add(cx, &f);
}

static void
parse_fact_param(struct sg_ctx *cx, const yaml_node_t *m)
{
    parse_fact(cx, m, SG_FACT_PARAM);
}

static void
parse_fact_family(struct sg_ctx *cx, const yaml_node_t *m)
{
    parse_fact(cx, m, SG_FACT_FAMILY);
}

static void
parse_fact_refuse(struct sg_ctx *cx, const yaml_node_t *m)
{
    parse_fact(cx, m, SG_FACT_REFUSE);
}

static void
parse_fact_behaves(struct sg_ctx *cx, const yaml_node_t *m)
{
    parse_fact(cx, m, SG_FACT_BEHAVES);
}

/* sg_parse_postern - what Postern does with the parameters: "honoured",
 * "families", "refuse" */
void
sg_parse_postern(struct sg_ctx *cx, const yaml_node_t *m)
{
    if (m->type != YAML_MAPPING_NODE) {
        sg_node_diag(cx, m, "\"postern\" must be a mapping, not %s",
                     sg_node_kind(m));
        return;
    }
    for (yaml_node_pair_t *pr = m->data.mapping.pairs.start;
         pr < m->data.mapping.pairs.top; pr++) {
        const yaml_node_t *key = yaml_document_get_node(cx->doc, pr->key);
        const yaml_node_t *val = yaml_document_get_node(cx->doc, pr->value);
        const char *ks;

        if (key == NULL || val == NULL)
            continue;
        ks = key->type == YAML_SCALAR_NODE
                 ? (const char *) key->data.scalar.value
                 : "";
        if (strcmp(ks, "honoured") == 0)
            sg_parse_list(cx, val, parse_fact_param);
        else if (strcmp(ks, "families") == 0)
            sg_parse_list(cx, val, parse_fact_family);
        else if (strcmp(ks, "refuse") == 0)
            sg_parse_list(cx, val, parse_fact_refuse);
        else if (strcmp(ks, "behaves") == 0)
            sg_parse_list(cx, val, parse_fact_behaves);
        else if (strcmp(ks, "consulted") == 0)
            ; /* reads that honour nothing: for tests/schema_honoured.py,
               * which checks the names; no table needs them */
        else
            sg_node_diag(cx, key, "unknown key \"%s\" in postern", ks);
    }
}

/* sg_parse_list - a sequence under a top-level key */
