/*
 * schemagen_check - the checks that need every schema file.
 *
 * DESCRIPTION
 *	Duplicate parameter names, replacements and family defaults that
 *	must exist, and the "postern" facts applied to the parameters.
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

static int
param_cmp(const void *a, const void *b)
{
    const struct sg_param *pa = a;
    const struct sg_param *pb = b;
    int c = strcmp(pa->name, pb->name);

    /* Equal names stay in input order, so duplicates report stably. */
    if (c == 0)
        c = (pa < pb) ? -1 : (pa > pb);
    return c;
}

/* find_at - the index of the parameter called name in the sorted table,
 * or sc->nparams */
static size_t
find_at(const struct sg_schema *sc, const char *name)
{
    size_t lo = 0;
    size_t hi = sc->nparams;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, sc->params[mid].name);

        if (c == 0)
            return mid;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return sc->nparams;
}

/* find - the parameter called name, or NULL */
static const struct sg_param *
find(const struct sg_schema *sc, const char *name)
{
    size_t i = find_at(sc, name);

    return i < sc->nparams ? &sc->params[i] : NULL;
}

/* find_mut - find, for changing the parameter */
static struct sg_param *
find_mut(struct sg_schema *sc, const char *name)
{
    size_t i = find_at(sc, name);

    return i < sc->nparams ? &sc->params[i] : NULL;
}

/* fact_param - apply one "honoured" entry */
static void
fact_param(struct sg_schema *sc, const struct sg_fact *f)
{
    struct sg_param *p = find_mut(sc, f->name);

    if (p == NULL) {
        sg_diag(sc, f->file, f->line, f->col, "honoured: %s is not a parameter",
                f->name);
    } else if (p->daemons.n > 0) {
        sg_diag(sc, f->file, f->line, f->col, "honoured: %s listed twice",
                f->name);
    } else {
        for (size_t i = 0; i < f->daemons.n; i++)
            strv_add(&p->daemons, f->daemons.v[i]);
        p->partly = f->text;
    }
}

/* fact_behaves - apply one "behaves" entry: for a parameter no daemon
 * reads */
static void
fact_behaves(struct sg_schema *sc, const struct sg_fact *f)
{
    struct sg_param *p = find_mut(sc, f->name);

    if (p == NULL)
        sg_diag(sc, f->file, f->line, f->col, "behaves: %s is not a parameter",
                f->name);
    else if (p->behaves != NULL)
        sg_diag(sc, f->file, f->line, f->col, "behaves: %s listed twice",
                f->name);
    else
        p->behaves = f->text;
}

/* fact_family - apply one postern "families" entry */
static void
fact_family(struct sg_schema *sc, const struct sg_fact *f)
{
    for (size_t i = 0; i < sc->nfams; i++) {
        struct sg_family *fam = &sc->fams[i];

        if (strcmp(fam->suffix, f->name) != 0)
            continue;
        if (fam->daemons.n > 0) {
            sg_diag(sc, f->file, f->line, f->col, "families: %s listed twice",
                    f->name);
            return;
        }
        for (size_t j = 0; j < f->daemons.n; j++)
            strv_add(&fam->daemons, f->daemons.v[j]);
        return;
    }
    sg_diag(sc, f->file, f->line, f->col, "families: %s is not a family",
            f->name);
}

/*
 * apply_facts - the "postern" entries onto the parameters and families.
 * A parameter takes the first "refuse" pattern it matches; a pattern that
 * matches no parameter is a mistake.
 */
static void
apply_facts(struct sg_schema *sc)
{
    for (size_t i = 0; i < sc->nfacts; i++) {
        struct sg_fact *f = &sc->facts[i];

        if (f->kind == SG_FACT_PARAM)
            fact_param(sc, f);
        else if (f->kind == SG_FACT_FAMILY)
            fact_family(sc, f);
    }
    for (size_t i = 0; i < sc->nfacts; i++)
        if (sc->facts[i].kind == SG_FACT_BEHAVES)
            fact_behaves(sc, &sc->facts[i]);
    for (size_t i = 0; i < sc->nparams; i++)
        if (sc->params[i].behaves && sc->params[i].daemons.n)
            sg_diag(
                sc, sc->params[i].file, sc->params[i].line, sc->params[i].col,
                "%s: in both \"honoured\" and \"behaves\"", sc->params[i].name);
    for (size_t i = 0; i < sc->nparams; i++) {
        for (size_t j = 0; j < sc->nfacts; j++) {
            struct sg_fact *f = &sc->facts[j];

            if (f->kind == SG_FACT_REFUSE &&
                fnmatch(f->name, sc->params[i].name, 0) == 0) {
                if (sc->params[i].refuse == NULL)
                    sc->params[i].refuse = f->text;
                f->uses++;
            }
        }
    }
    for (size_t j = 0; j < sc->nfacts; j++)
        if (sc->facts[j].kind == SG_FACT_REFUSE && sc->facts[j].uses == 0)
            sg_diag(sc, sc->facts[j].file, sc->facts[j].line, sc->facts[j].col,
                    "refuse: \"%s\" matches no parameter", sc->facts[j].name);
}

/* sg_check - whole-schema checks; sorts parameters by name */
size_t
sg_check(struct sg_schema *sc)
{
    size_t before = sc->diags.n;
    size_t out = 0;

    /*
     * qsort is not stable, but the comparison falls back to the address,
     * which preserves input order among equal names.
     */
    if (sc->nparams > 1)
        qsort(sc->params, sc->nparams, sizeof(*sc->params), param_cmp);
    for (size_t i = 0; i < sc->nparams; i++) {
        if (out > 0 &&
            strcmp(sc->params[out - 1].name, sc->params[i].name) == 0) {
            struct sg_param *first = &sc->params[out - 1];

            sg_diag(sc, sc->params[i].file, sc->params[i].line,
                    sc->params[i].col, "parameter %s already defined at %s:%lu",
                    sc->params[i].name, first->file, first->line);
            sg_param_fini(&sc->params[i]);
            continue;
        }
        sc->params[out++] = sc->params[i];
    }
    sc->nparams = out;

    for (size_t i = 0; i < sc->nparams; i++) {
        const struct sg_param *p = &sc->params[i];

        if (p->replacement && find(sc, p->replacement) == NULL)
            sg_diag(sc, p->file, p->line, p->col,
                    "%s: replacement %s is not a parameter", p->name,
                    p->replacement);
    }
    for (size_t i = 0; i < sc->nfams; i++) {
        const struct sg_family *f = &sc->fams[i];
        const struct sg_param *p = find(sc, f->defparam);

        if (p == NULL)
            sg_diag(sc, f->file, f->line, f->col,
                    "family %s: default parameter %s is not a parameter",
                    f->suffix, f->defparam);
        else if (p->type != f->type)
            sg_diag(sc, f->file, f->line, f->col,
                    "family %s: type %s differs from %s's type %s", f->suffix,
                    sg_type_names[f->type], p->name, sg_type_names[p->type]);
    }
    apply_facts(sc);
    return sc->diags.n - before;
}
