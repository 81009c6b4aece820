/*
 * schemagen_lib - parse, check and emit the parameter schema.
 *
 * DESCRIPTION
 *	The YAML is read with libyaml's document loader; each node keeps its
 *	start mark, so every diagnostic names file, line and column. The
 *	structure is fixed (a top-level mapping with "params", "families"
 *	and/or "dbms"; the first two are sequences of mappings whose values
 *	are scalars or sequences of scalars, "dbms" maps a database type to
 *	a sequence of suffixes), so the walk has a fixed depth and anchors
 *	or aliases cannot make it loop.
 *
 *	What is checked: unknown or repeated keys, missing required keys,
 *	type names, flag names, the default value against the type (yes/no,
 *	numbers, time units, enum values) unless it contains a "$" macro,
 *	ranges, version strings, duplicate parameter names, and that
 *	replacement and family default parameters exist.
 *
 *	The format is described in schemas/README.md.
 * DIAGNOSTICS
 *	"file:line:col: error: text" lines in sc->diags.
 */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "schemagen.h"

static const char *const type_names[] = {
    [SCHEMA_STRING] = "string", [SCHEMA_BOOL] = "bool",
    [SCHEMA_INT] = "int",       [SCHEMA_LONG] = "long",
    [SCHEMA_TIME] = "time",     [SCHEMA_LIST] = "list",
    [SCHEMA_MAPS] = "maps",     [SCHEMA_RESTRICTIONS] = "restrictions",
    [SCHEMA_ENUM] = "enum",
};

#define NTYPES (sizeof(type_names) / sizeof(type_names[0]))

static const struct {
    const char *name;
    unsigned bit;
} flag_names[] = {
    {"raw", SCHEMA_F_RAW},
    {"readonly", SCHEMA_F_READONLY},
    {"dynamic", SCHEMA_F_DYNAMIC},
    {"multi", SCHEMA_F_MULTI},
};

/* Parsing state for one file. */
struct ctx {
    struct sg_schema *sc;
    yaml_document_t *doc;
    const char *file;
    size_t errors;
};

/* sg_type_parse - type name to enum schema_type, or -1 */
int
sg_type_parse(const char *s)
{
    for (size_t i = 0; i < NTYPES; i++)
        if (strcmp(type_names[i], s) == 0)
            return (int) i;
    return -1;
}

/* sg_schema_init - empty schema */
void
sg_schema_init(struct sg_schema *sc)
{
    memset(sc, 0, sizeof(*sc));
    strv_init(&sc->files);
    strv_init(&sc->diags);
}

static void
param_fini(struct sg_param *p)
{
    mem_free(p->name);
    mem_free(p->defval);
    mem_free(p->desc);
    mem_free(p->since);
    mem_free(p->deprecated);
    mem_free(p->removed);
    mem_free(p->replacement);
    strv_fini(&p->values);
    strv_fini(&p->daemons);
}

static void
family_fini(struct sg_family *f)
{
    mem_free(f->suffix);
    mem_free(f->defparam);
    mem_free(f->desc);
    strv_fini(&f->programs);
    strv_fini(&f->daemons);
}

/* sg_schema_fini - release everything the schema owns */
void
sg_schema_fini(struct sg_schema *sc)
{
    for (size_t i = 0; i < sc->nparams; i++)
        param_fini(&sc->params[i]);
    for (size_t i = 0; i < sc->nfams; i++)
        family_fini(&sc->fams[i]);
    for (size_t i = 0; i < sc->ndbms; i++) {
        mem_free(sc->dbms[i].type);
        strv_fini(&sc->dbms[i].suffixes);
    }
    for (size_t i = 0; i < sc->nfacts; i++) {
        mem_free(sc->facts[i].name);
        mem_free(sc->facts[i].text);
        strv_fini(&sc->facts[i].daemons);
    }
    mem_free(sc->facts);
    mem_free(sc->params);
    mem_free(sc->fams);
    mem_free(sc->dbms);
    strv_fini(&sc->files);
    strv_fini(&sc->diags);
    memset(sc, 0, sizeof(*sc));
}

/* diag - record one "file:line:col: error: text" diagnostic */
static void UTIL_PRINTF(5, 6)
    diag(struct sg_schema *sc, const char *file, unsigned long line,
         unsigned long col, const char *fmt, ...)
{
    struct buf b;
    va_list ap;

    buf_init(&b, 0);
    (void) buf_printf(&b, "%s:%lu:%lu: error: ", file, line, col);
    va_start(ap, fmt);
    (void) buf_vprintf(&b, fmt, ap);
    va_end(ap);
    strv_adopt(&sc->diags, buf_steal(&b));
}

/* node_diag - diagnostic at a node's start */
static void UTIL_PRINTF(3, 4)
    node_diag(struct ctx *cx, const yaml_node_t *n, const char *fmt, ...)
{
    struct buf b;
    va_list ap;

    buf_init(&b, 0);
    va_start(ap, fmt);
    (void) buf_vprintf(&b, fmt, ap);
    va_end(ap);
    diag(cx->sc, cx->file, (unsigned long) n->start_mark.line + 1,
         (unsigned long) n->start_mark.column + 1, "%s", buf_str(&b));
    buf_fini(&b);
    cx->errors++;
}

static const char *
node_kind(const yaml_node_t *n)
{
    switch (n->type) {
    case YAML_SCALAR_NODE:
        return "a scalar";
    case YAML_SEQUENCE_NODE:
        return "a sequence";
    case YAML_MAPPING_NODE:
        return "a mapping";
    default:
        return "an empty node";
    }
}

/* scalar - the node's text as a new string, or NULL (diagnosed) */
static char *
scalar(struct ctx *cx, const yaml_node_t *n, const char *what)
{
    const char *s;
    size_t len;

    if (n->type != YAML_SCALAR_NODE) {
        node_diag(cx, n, "%s must be a scalar, not %s", what, node_kind(n));
        return NULL;
    }
    s = (const char *) n->data.scalar.value;
    len = n->data.scalar.length;
    if (memchr(s, '\0', len) != NULL) {
        node_diag(cx, n, "%s contains a NUL byte", what);
        return NULL;
    }
    if (memchr(s, '\n', len) != NULL || memchr(s, '\r', len) != NULL) {
        node_diag(cx, n, "%s must be one line", what);
        return NULL;
    }
    return mem_strndup(s, len);
}

/* scalar_list - a sequence of scalars (or one scalar) into sv */
static int
scalar_list(struct ctx *cx, const yaml_node_t *n, const char *what,
            struct strv *sv)
{
    char *s;

    if (n->type == YAML_SCALAR_NODE) {
        if ((s = scalar(cx, n, what)) == NULL)
            return -1;
        strv_adopt(sv, s);
        return 0;
    }
    if (n->type != YAML_SEQUENCE_NODE) {
        node_diag(cx, n, "%s must be a sequence, not %s", what, node_kind(n));
        return -1;
    }
    for (yaml_node_item_t *it = n->data.sequence.items.start;
         it < n->data.sequence.items.top; it++) {
        const yaml_node_t *item = yaml_document_get_node(cx->doc, *it);

        if (item == NULL)
            continue;
        if ((s = scalar(cx, item, what)) == NULL)
            return -1;
        if (*s == '\0') {
            node_diag(cx, item, "empty item in %s", what);
            mem_free(s);
            return -1;
        }
        for (size_t i = 0; i < sv->n; i++) {
            if (strcmp(sv->v[i], s) == 0) {
                node_diag(cx, item, "\"%s\" is listed twice in %s", s, what);
                mem_free(s);
                return -1;
            }
        }
        strv_adopt(sv, s);
    }
    return 0;
}

/* valid_name - parameter names: letters, digits, underscore */
static int
valid_name(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char) *s) && *s != '_')
            return 0;
    return 1;
}

/* valid_version - "3", "2.11", "3.5.23" */
static int
valid_version(const char *s)
{
    int digits = 0;

    for (; *s; s++) {
        if (isdigit((unsigned char) *s)) {
            digits++;
        } else if (*s == '.' && digits > 0) {
            digits = 0;
        } else {
            return 0;
        }
    }
    return digits > 0;
}

/* parse_long - whole string as a decimal long; 0 or -1 */
static int
parse_long(const char *s, long *out)
{
    char *end;
    long v;

    if (*s == '\0' || isspace((unsigned char) *s))
        return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

static long
unit_seconds(char unit)
{
    switch (unit) {
    case 's':
        return 1;
    case 'm':
        return 60;
    case 'h':
        return 3600;
    case 'd':
        return 86400;
    case 'w':
        return 7 * 86400;
    default:
        return 0;
    }
}

/* Which keys a param entry had, and where. */
struct seen {
    const yaml_node_t *name, *type, *flags, *defval, *values, *unit, *min, *max,
        *desc, *since, *deprecated, *removed, *replacement, *suffix, *programs;
};

/* check_default - the default value against the type; diagnoses */
static void
check_default(struct ctx *cx, const struct sg_param *p, const yaml_node_t *at)
{
    const char *d = p->defval;
    long v;

    /* A macro can expand to anything; postconf checks only at run time. */
    if (strchr(d, '$') != NULL)
        return;
    switch (p->type) {
    case SCHEMA_BOOL:
        if (strcmp(d, "yes") != 0 && strcmp(d, "no") != 0)
            node_diag(cx, at, "bool default must be yes or no, not \"%s\"", d);
        break;
    case SCHEMA_INT:
    case SCHEMA_LONG:
        if (parse_long(d, &v) < 0) {
            node_diag(cx, at, "%s default \"%s\" is not a number",
                      type_names[p->type], d);
        } else if ((p->min != 0 && v < p->min) || (p->max != 0 && v > p->max)) {
            node_diag(cx, at, "default %ld is outside [%ld, %ld]", v, p->min,
                      p->max);
        }
        break;
    case SCHEMA_TIME: {
        size_t n = strspn(d, "0123456789");
        char u = d[n] ? d[n] : p->unit;

        if (n == 0 || (d[n] && d[n + 1]) || unit_seconds(u) == 0) {
            node_diag(cx, at,
                      "time default \"%s\" is not a number with "
                      "an optional unit (s, m, h, d, w)",
                      d);
        } else if (d[n] && p->unit && d[n] != p->unit) {
            node_diag(cx, at,
                      "time default \"%s\" does not use the default "
                      "unit '%c'",
                      d, p->unit);
        } else {
            char *num = mem_strndup(d, n);

            /* Postfix's range limits are in seconds. */
            if (parse_long(num, &v) == 0 && v <= 100000000L) {
                v *= unit_seconds(u);
                if ((p->min != 0 && v < p->min) || (p->max != 0 && v > p->max))
                    node_diag(cx, at, "default %lds is outside [%ld, %ld]", v,
                              p->min, p->max);
            }
            mem_free(num);
        }
        break;
    }
    case SCHEMA_ENUM: {
        /* Empty means "not set"; lists of values for multi-valued enums. */
        const char *s = d;

        while (*s) {
            size_t len;
            int found = 0;

            s += strspn(s, ", \t");
            len = strcspn(s, ", \t");
            if (len == 0)
                break;
            if (len > 1 && !(p->flags & SCHEMA_F_MULTI)) {
                if (s[len] != '\0') {
                    node_diag(cx, at,
                              "default \"%s\" has several values but "
                              "the enum is not multi",
                              d);
                    return;
                }
            }
            for (size_t i = 0; i < p->values.n; i++)
                if (strlen(p->values.v[i]) == len &&
                    strncmp(p->values.v[i], s, len) == 0)
                    found = 1;
            if (!found) {
                node_diag(cx, at, "default \"%.*s\" is not one of the values",
                          (int) len, s);
                return;
            }
            s += len;
        }
        break;
    }
    default:
        break;
    }
}

/* take - keep the node for key, diagnosing repeats */
static void
take(struct ctx *cx, const yaml_node_t *key, const yaml_node_t **slot,
     const yaml_node_t *val)
{
    if (*slot != NULL) {
        node_diag(cx, key, "key \"%s\" repeated", key->data.scalar.value);
        return;
    }
    *slot = val;
}

/* parse_param - one mapping under "params" */
static void
parse_param(struct ctx *cx, const yaml_node_t *m)
{
    struct seen k;
    struct sg_param p;
    size_t errors = cx->errors;
    char *s;
    int t;

    if (m->type != YAML_MAPPING_NODE) {
        node_diag(cx, m, "a parameter must be a mapping, not %s", node_kind(m));
        return;
    }
    memset(&k, 0, sizeof(k));
    memset(&p, 0, sizeof(p));
    strv_init(&p.values);
    p.file = cx->file;
    p.line = (unsigned long) m->start_mark.line + 1;
    p.col = (unsigned long) m->start_mark.column + 1;

    /* Collect the keys first; values are checked once all are known. */
    for (yaml_node_pair_t *pr = m->data.mapping.pairs.start;
         pr < m->data.mapping.pairs.top; pr++) {
        const yaml_node_t *key = yaml_document_get_node(cx->doc, pr->key);
        const yaml_node_t *val = yaml_document_get_node(cx->doc, pr->value);
        const char *ks;

        if (key == NULL || val == NULL)
            continue;
        if (key->type != YAML_SCALAR_NODE) {
            node_diag(cx, key, "keys must be scalars");
            continue;
        }
        ks = (const char *) key->data.scalar.value;
        if (strcmp(ks, "name") == 0)
            take(cx, key, &k.name, val);
        else if (strcmp(ks, "type") == 0)
            take(cx, key, &k.type, val);
        else if (strcmp(ks, "flags") == 0)
            take(cx, key, &k.flags, val);
        else if (strcmp(ks, "default") == 0)
            take(cx, key, &k.defval, val);
        else if (strcmp(ks, "values") == 0)
            take(cx, key, &k.values, val);
        else if (strcmp(ks, "unit") == 0)
            take(cx, key, &k.unit, val);
        else if (strcmp(ks, "min") == 0)
            take(cx, key, &k.min, val);
        else if (strcmp(ks, "max") == 0)
            take(cx, key, &k.max, val);
        else if (strcmp(ks, "desc") == 0)
            take(cx, key, &k.desc, val);
        else if (strcmp(ks, "since") == 0)
            take(cx, key, &k.since, val);
        else if (strcmp(ks, "deprecated") == 0)
            take(cx, key, &k.deprecated, val);
        else if (strcmp(ks, "removed") == 0)
            take(cx, key, &k.removed, val);
        else if (strcmp(ks, "replacement") == 0)
            take(cx, key, &k.replacement, val);
        else
            node_diag(cx, key, "unknown key \"%s\" in parameter", ks);
    }

    /* Required keys. */
    if (k.name == NULL || k.type == NULL || k.defval == NULL) {
        node_diag(cx, m, "parameter%s%s needs%s%s%s", k.name ? " " : "",
                  k.name && k.name->type == YAML_SCALAR_NODE
                      ? (const char *) k.name->data.scalar.value
                      : "",
                  k.name ? "" : " \"name\"", k.type ? "" : " \"type\"",
                  k.defval ? "" : " \"default\"");
        goto out;
    }
    if ((p.name = scalar(cx, k.name, "name")) == NULL)
        goto out;
    if (!valid_name(p.name))
        node_diag(cx, k.name, "bad parameter name \"%s\"", p.name);
    if ((s = scalar(cx, k.type, "type")) != NULL) {
        if ((t = sg_type_parse(s)) < 0)
            node_diag(cx, k.type, "unknown type \"%s\"", s);
        else
            p.type = (enum schema_type) t;
        mem_free(s);
    }
    p.defval = scalar(cx, k.defval, "default");

    if (k.flags) {
        struct strv fl;

        strv_init(&fl);
        if (scalar_list(cx, k.flags, "flags", &fl) == 0) {
            for (size_t i = 0; i < fl.n; i++) {
                size_t j;

                for (j = 0; j < sizeof(flag_names) / sizeof(flag_names[0]); j++)
                    if (strcmp(fl.v[i], flag_names[j].name) == 0)
                        break;
                if (j == sizeof(flag_names) / sizeof(flag_names[0]))
                    node_diag(cx, k.flags, "unknown flag \"%s\"", fl.v[i]);
                else
                    p.flags |= flag_names[j].bit;
            }
        }
        strv_fini(&fl);
    }
    if ((p.flags & SCHEMA_F_MULTI) && p.type != SCHEMA_ENUM)
        node_diag(cx, k.flags, "flag \"multi\" is only for enum parameters");

    if (k.values) {
        if (p.type != SCHEMA_ENUM) {
            node_diag(cx, k.values, "\"values\" is only for enum parameters");
        } else if (scalar_list(cx, k.values, "values", &p.values) == 0) {
            for (size_t i = 0; i < p.values.n; i++)
                if (strpbrk(p.values.v[i], ", \t") != NULL)
                    node_diag(cx, k.values,
                              "enum value \"%s\" has a comma "
                              "or space",
                              p.values.v[i]);
        }
    } else if (p.type == SCHEMA_ENUM) {
        node_diag(cx, m, "enum parameter %s needs \"values\"", p.name);
    }

    if (k.unit) {
        if (p.type != SCHEMA_TIME) {
            node_diag(cx, k.unit, "\"unit\" is only for time parameters");
        } else if ((s = scalar(cx, k.unit, "unit")) != NULL) {
            if (strlen(s) != 1 || unit_seconds(s[0]) == 0)
                node_diag(cx, k.unit,
                          "unit must be one of s m h d w, "
                          "not \"%s\"",
                          s);
            else
                p.unit = s[0];
            mem_free(s);
        }
    } else if (p.type == SCHEMA_TIME) {
        node_diag(cx, m, "time parameter %s needs \"unit\"", p.name);
    }

    /* Ranges: 0 means "no limit", as in Postfix's own tables. */
    for (int i = 0; i < 2; i++) {
        const yaml_node_t *n = i ? k.max : k.min;
        long v;

        if (n == NULL)
            continue;
        if (p.type != SCHEMA_INT && p.type != SCHEMA_LONG &&
            p.type != SCHEMA_TIME) {
            node_diag(cx, n, "\"%s\" is only for int, long and time",
                      i ? "max" : "min");
            continue;
        }
        if ((s = scalar(cx, n, i ? "max" : "min")) == NULL)
            continue;
        if (parse_long(s, &v) < 0 || v < 0)
            node_diag(cx, n, "\"%s\" is not a non-negative number", s);
        else if (i)
            p.max = v;
        else
            p.min = v;
        mem_free(s);
    }
    if (p.max != 0 && p.min > p.max)
        node_diag(cx, k.min, "min %ld is above max %ld", p.min, p.max);

    if (k.desc && (p.desc = scalar(cx, k.desc, "desc")) != NULL &&
        *p.desc == '\0')
        node_diag(cx, k.desc, "empty description");
    if (k.since && (p.since = scalar(cx, k.since, "since")) != NULL &&
        !valid_version(p.since))
        node_diag(cx, k.since, "bad version \"%s\"", p.since);
    if (k.deprecated &&
        (p.deprecated = scalar(cx, k.deprecated, "deprecated")) != NULL &&
        !valid_version(p.deprecated))
        node_diag(cx, k.deprecated, "bad version \"%s\"", p.deprecated);
    if (k.removed && (p.removed = scalar(cx, k.removed, "removed")) != NULL &&
        !valid_version(p.removed))
        node_diag(cx, k.removed, "bad version \"%s\"", p.removed);
    if (k.replacement &&
        (p.replacement = scalar(cx, k.replacement, "replacement")) != NULL &&
        !valid_name(p.replacement))
        node_diag(cx, k.replacement, "bad parameter name \"%s\"",
                  p.replacement);
    if (p.replacement && !p.deprecated && !p.removed)
        node_diag(cx, k.replacement,
                  "\"replacement\" needs \"deprecated\" or \"removed\"");

    if (p.defval && cx->errors == errors)
        check_default(cx, &p, k.defval);

out:
    if (cx->errors != errors || p.name == NULL || p.defval == NULL) {
        param_fini(&p);
        return;
    }
    if (cx->sc->nparams == cx->sc->params_cap) {
        cx->sc->params_cap = cx->sc->params_cap ? 2 * cx->sc->params_cap : 64;
        cx->sc->params = mem_realloc(
            cx->sc->params, cx->sc->params_cap * sizeof(*cx->sc->params));
    }
    cx->sc->params[cx->sc->nparams++] = p;
}

/* parse_family - one mapping under "families" */
static void
parse_family(struct ctx *cx, const yaml_node_t *m)
{
    struct seen k;
    struct sg_family f;
    size_t errors = cx->errors;
    char *s;
    int t;

    if (m->type != YAML_MAPPING_NODE) {
        node_diag(cx, m, "a family must be a mapping, not %s", node_kind(m));
        return;
    }
    memset(&k, 0, sizeof(k));
    memset(&f, 0, sizeof(f));
    strv_init(&f.programs);
    f.file = cx->file;
    f.line = (unsigned long) m->start_mark.line + 1;
    f.col = (unsigned long) m->start_mark.column + 1;

    for (yaml_node_pair_t *pr = m->data.mapping.pairs.start;
         pr < m->data.mapping.pairs.top; pr++) {
        const yaml_node_t *key = yaml_document_get_node(cx->doc, pr->key);
        const yaml_node_t *val = yaml_document_get_node(cx->doc, pr->value);
        const char *ks;

        if (key == NULL || val == NULL)
            continue;
        if (key->type != YAML_SCALAR_NODE) {
            node_diag(cx, key, "keys must be scalars");
            continue;
        }
        ks = (const char *) key->data.scalar.value;
        if (strcmp(ks, "suffix") == 0)
            take(cx, key, &k.suffix, val);
        else if (strcmp(ks, "default") == 0)
            take(cx, key, &k.defval, val);
        else if (strcmp(ks, "type") == 0)
            take(cx, key, &k.type, val);
        else if (strcmp(ks, "programs") == 0)
            take(cx, key, &k.programs, val);
        else if (strcmp(ks, "desc") == 0)
            take(cx, key, &k.desc, val);
        else
            node_diag(cx, key, "unknown key \"%s\" in family", ks);
    }
    if (k.suffix == NULL || k.defval == NULL || k.type == NULL ||
        k.programs == NULL) {
        node_diag(cx, m,
                  "family needs \"suffix\", \"default\", \"type\" "
                  "and \"programs\"");
        goto out;
    }
    if ((f.suffix = scalar(cx, k.suffix, "suffix")) != NULL &&
        (f.suffix[0] != '_' || !valid_name(f.suffix)))
        node_diag(cx, k.suffix, "suffix must be \"_\" and a name, not \"%s\"",
                  f.suffix);
    /* The default is "$param": give the parameter name without "$". */
    if ((f.defparam = scalar(cx, k.defval, "default")) != NULL &&
        !valid_name(f.defparam))
        node_diag(cx, k.defval,
                  "default must name a parameter (without "
                  "\"$\"), not \"%s\"",
                  f.defparam);
    if ((s = scalar(cx, k.type, "type")) != NULL) {
        if ((t = sg_type_parse(s)) < 0)
            node_diag(cx, k.type, "unknown type \"%s\"", s);
        else
            f.type = (enum schema_type) t;
        mem_free(s);
    }
    if (scalar_list(cx, k.programs, "programs", &f.programs) == 0 &&
        f.programs.n == 0)
        node_diag(cx, k.programs, "family needs at least one program");
    if (k.desc && (f.desc = scalar(cx, k.desc, "desc")) != NULL &&
        *f.desc == '\0')
        node_diag(cx, k.desc, "empty description");

out:
    if (cx->errors != errors || f.suffix == NULL || f.defparam == NULL) {
        family_fini(&f);
        return;
    }
    for (size_t i = 0; i < cx->sc->nfams; i++) {
        if (strcmp(cx->sc->fams[i].suffix, f.suffix) == 0) {
            node_diag(cx, m, "family %s already defined at %s:%lu", f.suffix,
                      cx->sc->fams[i].file, cx->sc->fams[i].line);
            family_fini(&f);
            return;
        }
    }
    if (cx->sc->nfams == cx->sc->fams_cap) {
        cx->sc->fams_cap = cx->sc->fams_cap ? 2 * cx->sc->fams_cap : 16;
        cx->sc->fams =
            mem_realloc(cx->sc->fams, cx->sc->fams_cap * sizeof(*cx->sc->fams));
    }
    cx->sc->fams[cx->sc->nfams++] = f;
}

/* parse_dbms - the "dbms" mapping: database type to suffix list */
static void
parse_dbms(struct ctx *cx, const yaml_node_t *m)
{
    if (m->type != YAML_MAPPING_NODE) {
        node_diag(cx, m, "\"dbms\" must be a mapping, not %s", node_kind(m));
        return;
    }
    for (yaml_node_pair_t *pr = m->data.mapping.pairs.start;
         pr < m->data.mapping.pairs.top; pr++) {
        const yaml_node_t *key = yaml_document_get_node(cx->doc, pr->key);
        const yaml_node_t *val = yaml_document_get_node(cx->doc, pr->value);
        struct sg_dbms d;
        size_t errors = cx->errors;

        if (key == NULL || val == NULL)
            continue;
        memset(&d, 0, sizeof(d));
        strv_init(&d.suffixes);
        d.file = cx->file;
        d.line = (unsigned long) key->start_mark.line + 1;
        d.col = (unsigned long) key->start_mark.column + 1;
        if ((d.type = scalar(cx, key, "database type")) != NULL &&
            !valid_name(d.type))
            node_diag(cx, key, "bad database type \"%s\"", d.type);
        if (scalar_list(cx, val, "suffixes", &d.suffixes) == 0) {
            for (size_t i = 0; i < d.suffixes.n; i++)
                if (!valid_name(d.suffixes.v[i]))
                    node_diag(cx, val, "bad suffix \"%s\"", d.suffixes.v[i]);
        }
        for (size_t i = 0; d.type && i < cx->sc->ndbms; i++) {
            if (strcmp(cx->sc->dbms[i].type, d.type) == 0) {
                node_diag(cx, key,
                          "database type %s already defined at "
                          "%s:%lu",
                          d.type, cx->sc->dbms[i].file, cx->sc->dbms[i].line);
                break;
            }
        }
        if (cx->errors != errors || d.type == NULL) {
            mem_free(d.type);
            strv_fini(&d.suffixes);
            continue;
        }
        if (cx->sc->ndbms == cx->sc->dbms_cap) {
            cx->sc->dbms_cap = cx->sc->dbms_cap ? 2 * cx->sc->dbms_cap : 8;
            cx->sc->dbms = mem_realloc(cx->sc->dbms, cx->sc->dbms_cap *
                                                         sizeof(*cx->sc->dbms));
        }
        cx->sc->dbms[cx->sc->ndbms++] = d;
    }
}

/* Daemons a "postern" entry may name: master.cf commands Postern runs,
 * its set-gid and user commands, "trivial-rewrite" (built into the
 * daemons that rewrite addresses) and "all". */
static const char *const postern_daemons[] = {
    "all",     "master",  "smtpd",    "smtp",      "cleanup",
    "qmgr",    "local",   "bounce",   "pickup",    "proxymap",
    "showq",   "postdrop", "postqueue", "sendmail", "trivial-rewrite",
    "lmtp",    "pipe",     "spawn",
};

/* fact_add - append a parsed "postern" entry */
static void
fact_add(struct ctx *cx, struct sg_fact *f)
{
    if (cx->sc->nfacts == cx->sc->facts_cap) {
        cx->sc->facts_cap = cx->sc->facts_cap ? 2 * cx->sc->facts_cap : 64;
        cx->sc->facts = mem_realloc(cx->sc->facts, cx->sc->facts_cap *
                                                       sizeof(*cx->sc->facts));
    }
    cx->sc->facts[cx->sc->nfacts++] = *f;
}

/* fact_daemons - the "daemons" list: known names, at least one */
static void
fact_daemons(struct ctx *cx, const yaml_node_t *n, struct strv *sv)
{
    if (scalar_list(cx, n, "daemons", sv) < 0)
        return;
    if (sv->n == 0)
        node_diag(cx, n, "\"daemons\" needs at least one daemon");
    for (size_t i = 0; i < sv->n; i++) {
        size_t j, nd = sizeof(postern_daemons) / sizeof(postern_daemons[0]);

        for (j = 0; j < nd; j++)
            if (strcmp(sv->v[i], postern_daemons[j]) == 0)
                break;
        if (j == nd)
            node_diag(cx, n, "unknown daemon \"%s\"", sv->v[i]);
    }
}

/* parse_fact - one mapping under postern's "honoured", "families" or
 * "refuse" (kind) */
static void
parse_fact(struct ctx *cx, const yaml_node_t *m, int kind)
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
        node_diag(cx, m, "a postern entry must be a mapping, not %s",
                  node_kind(m));
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
            node_diag(cx, key, "keys must be scalars");
            continue;
        }
        for (i = 0; i < 3; i++)
            if (keys[kind][i] &&
                strcmp((const char *) key->data.scalar.value,
                       keys[kind][i]) == 0)
                break;
        if (i == 3)
            node_diag(cx, key, "unknown key \"%s\" in postern entry",
                      key->data.scalar.value);
        else
            take(cx, key, &slot[i], val);
    }
    if (slot[0] == NULL || (keys[kind][1] && slot[1] == NULL) ||
        (keys[kind][1] == NULL && slot[2] == NULL)) {
        node_diag(cx, m, "postern entry needs \"%s\" and \"%s\"",
                  keys[kind][0], keys[kind][1] ? keys[kind][1] : keys[kind][2]);
        goto out;
    }
    f.name = scalar(cx, slot[0], keys[kind][0]);
    if (slot[1])
        fact_daemons(cx, slot[1], &f.daemons);
    if (slot[2] && (f.text = scalar(cx, slot[2], keys[kind][2])) != NULL &&
        *f.text == '\0' && kind != SG_FACT_BEHAVES)
        node_diag(cx, slot[2], "empty \"%s\"", keys[kind][2]);
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
parse_fact_param(struct ctx *cx, const yaml_node_t *m)
{
    parse_fact(cx, m, SG_FACT_PARAM);
}

static void
parse_fact_family(struct ctx *cx, const yaml_node_t *m)
{
    parse_fact(cx, m, SG_FACT_FAMILY);
}

static void
parse_fact_refuse(struct ctx *cx, const yaml_node_t *m)
{
    parse_fact(cx, m, SG_FACT_REFUSE);
}

static void
parse_fact_behaves(struct ctx *cx, const yaml_node_t *m)
{
    parse_fact(cx, m, SG_FACT_BEHAVES);
}

static void parse_list(struct ctx *cx, const yaml_node_t *seq,
                       void (*fn)(struct ctx *, const yaml_node_t *));

/* parse_postern - what Postern does with the parameters: "honoured",
 * "families", "refuse" */
static void
parse_postern(struct ctx *cx, const yaml_node_t *m)
{
    if (m->type != YAML_MAPPING_NODE) {
        node_diag(cx, m, "\"postern\" must be a mapping, not %s",
                  node_kind(m));
        return;
    }
    for (yaml_node_pair_t *pr = m->data.mapping.pairs.start;
         pr < m->data.mapping.pairs.top; pr++) {
        const yaml_node_t *key = yaml_document_get_node(cx->doc, pr->key);
        const yaml_node_t *val = yaml_document_get_node(cx->doc, pr->value);
        const char *ks;

        if (key == NULL || val == NULL)
            continue;
        ks = key->type == YAML_SCALAR_NODE ? (const char *) key->data.scalar.value
                                           : "";
        if (strcmp(ks, "honoured") == 0)
            parse_list(cx, val, parse_fact_param);
        else if (strcmp(ks, "families") == 0)
            parse_list(cx, val, parse_fact_family);
        else if (strcmp(ks, "refuse") == 0)
            parse_list(cx, val, parse_fact_refuse);
        else if (strcmp(ks, "behaves") == 0)
            parse_list(cx, val, parse_fact_behaves);
        else if (strcmp(ks, "consulted") == 0)
            ; /* reads that honour nothing: for tests/schema_honoured.py,
               * which checks the names; no table needs them */
        else
            node_diag(cx, key, "unknown key \"%s\" in postern", ks);
    }
}

/* parse_list - a sequence under a top-level key */
static void
parse_list(struct ctx *cx, const yaml_node_t *seq,
           void (*fn)(struct ctx *, const yaml_node_t *))
{
    if (seq->type == YAML_SCALAR_NODE && seq->data.scalar.length == 0)
        return; /* "params:" with nothing under it */
    if (seq->type != YAML_SEQUENCE_NODE) {
        node_diag(cx, seq, "expected a sequence, not %s", node_kind(seq));
        return;
    }
    for (yaml_node_item_t *it = seq->data.sequence.items.start;
         it < seq->data.sequence.items.top; it++) {
        const yaml_node_t *n = yaml_document_get_node(cx->doc, *it);

        if (n != NULL)
            fn(cx, n);
    }
}

/* sg_parse - read one YAML text */
size_t
sg_parse(struct sg_schema *sc, const char *file, const char *text, size_t len)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_node_t *root;
    struct ctx cx;
    size_t before = sc->diags.n;

    strv_add(&sc->files, file);
    cx.sc = sc;
    cx.doc = &doc;
    cx.file = sc->files.v[sc->files.n - 1];
    cx.errors = 0;

    if (!yaml_parser_initialize(&parser))
        log_fatal("out of memory initialising the YAML parser");
    yaml_parser_set_input_string(&parser, (const unsigned char *) text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        diag(sc, cx.file, (unsigned long) parser.problem_mark.line + 1,
             (unsigned long) parser.problem_mark.column + 1, "%s%s%s%s",
             parser.problem ? parser.problem : "YAML syntax error",
             parser.context ? " (" : "", parser.context ? parser.context : "",
             parser.context ? ")" : "");
        yaml_parser_delete(&parser);
        return sc->diags.n - before;
    }
    if ((root = yaml_document_get_root_node(&doc)) == NULL) {
        /* An empty file defines nothing; that is allowed. */
        goto done;
    }
    if (root->type != YAML_MAPPING_NODE) {
        node_diag(&cx, root,
                  "the top level must be a mapping with "
                  "\"params\", \"families\", \"dbms\" or \"postern\"");
        goto done;
    }
    for (yaml_node_pair_t *pr = root->data.mapping.pairs.start;
         pr < root->data.mapping.pairs.top; pr++) {
        const yaml_node_t *key = yaml_document_get_node(&doc, pr->key);
        const yaml_node_t *val = yaml_document_get_node(&doc, pr->value);

        if (key == NULL || val == NULL)
            continue;
        if (key->type != YAML_SCALAR_NODE)
            node_diag(&cx, key, "keys must be scalars");
        else if (strcmp((const char *) key->data.scalar.value, "params") == 0)
            parse_list(&cx, val, parse_param);
        else if (strcmp((const char *) key->data.scalar.value, "families") == 0)
            parse_list(&cx, val, parse_family);
        else if (strcmp((const char *) key->data.scalar.value, "dbms") == 0)
            parse_dbms(&cx, val);
        else if (strcmp((const char *) key->data.scalar.value, "postern") == 0)
            parse_postern(&cx, val);
        else
            node_diag(&cx, key, "unknown top-level key \"%s\"",
                      key->data.scalar.value);
    }

done:
    yaml_document_delete(&doc);

    /* One document per file: a second one is a mistake, not more data. */
    if (yaml_parser_load(&parser, &doc)) {
        if ((root = yaml_document_get_root_node(&doc)) != NULL)
            node_diag(&cx, root, "more than one YAML document in the file");
        yaml_document_delete(&doc);
    }
    yaml_parser_delete(&parser);
    return sc->diags.n - before;
}

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

/* find - the parameter called name in the sorted table, or NULL */
static const struct sg_param *
find(const struct sg_schema *sc, const char *name)
{
    size_t lo = 0;
    size_t hi = sc->nparams;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, sc->params[mid].name);

        if (c == 0)
            return &sc->params[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

/* fact_param - apply one "honoured" entry */
static void
fact_param(struct sg_schema *sc, const struct sg_fact *f)
{
    struct sg_param *p = (struct sg_param *) find(sc, f->name);

    if (p == NULL) {
        diag(sc, f->file, f->line, f->col, "honoured: %s is not a parameter",
             f->name);
    } else if (p->daemons.n > 0) {
        diag(sc, f->file, f->line, f->col, "honoured: %s listed twice",
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
    struct sg_param *p = (struct sg_param *) find(sc, f->name);

    if (p == NULL)
        diag(sc, f->file, f->line, f->col, "behaves: %s is not a parameter",
             f->name);
    else if (p->behaves != NULL)
        diag(sc, f->file, f->line, f->col, "behaves: %s listed twice",
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
            diag(sc, f->file, f->line, f->col, "families: %s listed twice",
                 f->name);
            return;
        }
        for (size_t j = 0; j < f->daemons.n; j++)
            strv_add(&fam->daemons, f->daemons.v[j]);
        return;
    }
    diag(sc, f->file, f->line, f->col, "families: %s is not a family",
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
            diag(sc, sc->params[i].file, sc->params[i].line,
                 sc->params[i].col,
                 "%s: in both \"honoured\" and \"behaves\"",
                 sc->params[i].name);
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
            diag(sc, sc->facts[j].file, sc->facts[j].line, sc->facts[j].col,
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

            diag(sc, sc->params[i].file, sc->params[i].line, sc->params[i].col,
                 "parameter %s already defined at %s:%lu", sc->params[i].name,
                 first->file, first->line);
            param_fini(&sc->params[i]);
            continue;
        }
        sc->params[out++] = sc->params[i];
    }
    sc->nparams = out;

    for (size_t i = 0; i < sc->nparams; i++) {
        const struct sg_param *p = &sc->params[i];

        if (p->replacement && find(sc, p->replacement) == NULL)
            diag(sc, p->file, p->line, p->col,
                 "%s: replacement %s is not a parameter", p->name,
                 p->replacement);
    }
    for (size_t i = 0; i < sc->nfams; i++) {
        const struct sg_family *f = &sc->fams[i];
        const struct sg_param *p = find(sc, f->defparam);

        if (p == NULL)
            diag(sc, f->file, f->line, f->col,
                 "family %s: default parameter %s is not a parameter",
                 f->suffix, f->defparam);
        else if (p->type != f->type)
            diag(sc, f->file, f->line, f->col,
                 "family %s: type %s differs from %s's type %s", f->suffix,
                 type_names[f->type], p->name, type_names[p->type]);
    }
    apply_facts(sc);
    return sc->diags.n - before;
}

/* put_str - a C string literal, or NULL */
static void
put_str(FILE *fp, const char *s)
{
    if (s == NULL) {
        fputs("NULL", fp);
        return;
    }
    fputc('"', fp);
    for (; *s; s++) {
        unsigned char c = (unsigned char) *s;

        /* '?' is escaped so that no "??x" reads as a trigraph. */
        if (c == '\\' || c == '"' || c == '?')
            fprintf(fp, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            fprintf(fp, "\\%03o", c);
        else
            fputc(c, fp);
    }
    fputc('"', fp);
}

static void
put_flags(FILE *fp, unsigned flags)
{
    int any = 0;

    for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++) {
        if (flags & flag_names[i].bit) {
            const char *macro =
                flag_names[i].bit == SCHEMA_F_RAW        ? "RAW"
                : flag_names[i].bit == SCHEMA_F_READONLY ? "READONLY"
                : flag_names[i].bit == SCHEMA_F_DYNAMIC  ? "DYNAMIC"
                                                         : "MULTI";

            fprintf(fp, "%sSCHEMA_F_%s", any ? " | " : "", macro);
            any = 1;
        }
    }
    if (!any)
        fputs("0", fp);
}

/* put_list - "static const char *const NAME_I[] = {...};" when sv has
 * items */
static void
put_list(FILE *fp, const char *name, size_t i, const struct strv *sv)
{
    if (sv->n == 0)
        return;
    fprintf(fp, "static const char *const %s_%zu[] = {", name, i);
    for (size_t j = 0; j < sv->n; j++) {
        put_str(fp, sv->v[j]);
        fputs(", ", fp);
    }
    fputs("NULL};\n", fp);
}

static const char *const type_macros[] = {
    [SCHEMA_STRING] = "SCHEMA_STRING",
    [SCHEMA_BOOL] = "SCHEMA_BOOL",
    [SCHEMA_INT] = "SCHEMA_INT",
    [SCHEMA_LONG] = "SCHEMA_LONG",
    [SCHEMA_TIME] = "SCHEMA_TIME",
    [SCHEMA_LIST] = "SCHEMA_LIST",
    [SCHEMA_MAPS] = "SCHEMA_MAPS",
    [SCHEMA_RESTRICTIONS] = "SCHEMA_RESTRICTIONS",
    [SCHEMA_ENUM] = "SCHEMA_ENUM",
};

/* sg_emit - write the generated C source */
int
sg_emit(const struct sg_schema *sc, FILE *fp)
{
    fputs("/*\n"
          " * schema_table - generated by tools/schemagen from the YAML in "
          "schemas/.\n"
          " * Do not edit: change the YAML instead.\n"
          " */\n"
          "#include \"schema/schema_int.h\"\n\n",
          fp);

    /* Enum value lists and program lists come first, one array each. */
    for (size_t i = 0; i < sc->nparams; i++) {
        const struct sg_param *p = &sc->params[i];

        if (p->values.n == 0)
            continue;
        fprintf(fp, "static const char *const ev_%zu[] = {", i);
        for (size_t j = 0; j < p->values.n; j++) {
            put_str(fp, p->values.v[j]);
            fputs(", ", fp);
        }
        fputs("NULL};\n", fp);
    }
    for (size_t i = 0; i < sc->nparams; i++)
        put_list(fp, "hd", i, &sc->params[i].daemons);
    for (size_t i = 0; i < sc->nfams; i++)
        put_list(fp, "fd", i, &sc->fams[i].daemons);
    for (size_t i = 0; i < sc->nfams; i++) {
        const struct sg_family *f = &sc->fams[i];

        fprintf(fp, "static const char *const fp_%zu[] = {", i);
        for (size_t j = 0; j < f->programs.n; j++) {
            put_str(fp, f->programs.v[j]);
            fputs(", ", fp);
        }
        fputs("NULL};\n", fp);
    }

    fprintf(fp, "\nconst size_t schema_param_table_len = %zu;\n", sc->nparams);
    fputs("const struct schema_param schema_param_table[] = {\n", fp);
    for (size_t i = 0; i < sc->nparams; i++) {
        const struct sg_param *p = &sc->params[i];

        fputs("    {.name = ", fp);
        put_str(fp, p->name);
        fprintf(fp,
                ",\n     .type = %s,\n     .flags = ", type_macros[p->type]);
        put_flags(fp, p->flags);
        fputs(",\n     .defval = ", fp);
        put_str(fp, p->defval);
        fputs(",\n     .desc = ", fp);
        put_str(fp, p->desc);
        fputs(",\n     .since = ", fp);
        put_str(fp, p->since);
        fputs(",\n     .deprecated = ", fp);
        put_str(fp, p->deprecated);
        fputs(",\n     .removed = ", fp);
        put_str(fp, p->removed);
        fputs(",\n     .replacement = ", fp);
        put_str(fp, p->replacement);
        if (p->values.n)
            fprintf(fp, ",\n     .enum_values = ev_%zu", i);
        else
            fputs(",\n     .enum_values = NULL", fp);
        if (p->daemons.n)
            fprintf(fp, ",\n     .honoured_by = hd_%zu", i);
        else
            fputs(",\n     .honoured_by = NULL", fp);
        fputs(",\n     .partly = ", fp);
        put_str(fp, p->partly);
        fputs(",\n     .refuse = ", fp);
        put_str(fp, p->refuse);
        fputs(",\n     .behaves = ", fp);
        put_str(fp, p->behaves);
        fprintf(fp, ",\n     .min = %ldL,\n     .max = %ldL,\n", p->min,
                p->max);
        if (p->unit)
            fprintf(fp, "     .time_unit = '%c'},\n", p->unit);
        else
            fputs("     .time_unit = 0},\n", fp);
    }
    if (sc->nparams == 0)
        fputs("    {.name = NULL},\n", fp);
    fputs("};\n\n", fp);

    fprintf(fp, "const size_t schema_family_table_len = %zu;\n", sc->nfams);
    fputs("const struct schema_family_entry schema_family_table[] = {\n", fp);
    for (size_t i = 0; i < sc->nfams; i++) {
        const struct sg_family *f = &sc->fams[i];

        fputs("    {.pub = {.suffix = ", fp);
        put_str(fp, f->suffix);
        fputs(", .defparam = ", fp);
        put_str(fp, f->defparam);
        fprintf(fp,
                ", .programs = fp_%zu},\n     .type = %s,\n     .desc = ", i,
                type_macros[f->type]);
        put_str(fp, f->desc);
        if (f->daemons.n)
            fprintf(fp, ",\n     .honoured_by = fd_%zu", i);
        else
            fputs(",\n     .honoured_by = NULL", fp);
        fputs("},\n", fp);
    }
    if (sc->nfams == 0)
        fputs("    {.pub = {.suffix = NULL}},\n", fp);
    fputs("};\n\n", fp);

    for (size_t i = 0; i < sc->ndbms; i++) {
        fprintf(fp, "static const char *const ds_%zu[] = {", i);
        for (size_t j = 0; j < sc->dbms[i].suffixes.n; j++) {
            put_str(fp, sc->dbms[i].suffixes.v[j]);
            fputs(", ", fp);
        }
        fputs("NULL};\n", fp);
    }
    fprintf(fp, "const size_t schema_dbms_table_len = %zu;\n", sc->ndbms);
    fputs("const struct schema_dbms_entry schema_dbms_table[] = {\n", fp);
    for (size_t i = 0; i < sc->ndbms; i++) {
        fputs("    {.type = ", fp);
        put_str(fp, sc->dbms[i].type);
        fprintf(fp, ", .suffixes = ds_%zu},\n", i);
    }
    if (sc->ndbms == 0)
        fputs("    {.type = NULL},\n", fp);
    fputs("};\n", fp);
    fflush(fp);
    return ferror(fp) ? -1 : 0;
}

/* compat_daemons - "smtpd, cleanup" ("all": every daemon) */
static void
compat_daemons(FILE *fp, const struct strv *sv)
{
    for (size_t i = 0; i < sv->n; i++)
        fprintf(fp, "%s%s", i ? ", " : "",
                strcmp(sv->v[i], "all") == 0 ? "every daemon" : sv->v[i]);
}

/* compat_row - one parameter's table row */
static void
compat_row(FILE *fp, const struct sg_param *p)
{
    fprintf(fp, "| `%s` | ", p->name);
    if (p->daemons.n) {
        fputs(p->partly ? "partly | " : "yes | ", fp);
        compat_daemons(fp, &p->daemons);
        if (p->partly)
            fprintf(fp, " (not: %s)", p->partly);
        fputs(" | |\n", fp);
    } else {
        if (p->behaves)
            fprintf(fp, "no | always as `%s = %s` | ", p->name, p->behaves);
        else
            fputs("no | | ", fp);
        if (p->refuse)
            fprintf(fp, "error: %s", p->refuse);
        else
            fputs("warning", fp);
        fputs(p->behaves ? " (other values) |\n" : " |\n", fp);
    }
}

/* sg_emit_compat - the generated docs/COMPATIBILITY.md */
int
sg_emit_compat(const struct sg_schema *sc, FILE *fp)
{
    size_t yes = 0, partly = 0, err = 0, warn = 0;

    for (size_t i = 0; i < sc->nparams; i++) {
        const struct sg_param *p = &sc->params[i];

        if (p->daemons.n)
            p->partly ? partly++ : yes++;
        else
            p->refuse ? err++ : warn++;
    }
    fputs("# Postfix parameters in Postern\n\n"
          "<!-- Generated by tools/schemagen -m from schemas/*.yaml "
          "(schemas/postern.yaml).\n"
          "     Do not edit: change the YAML and rebuild the "
          "compatibility_md target. -->\n\n"
          "Which of Postfix 3.7's parameters Postern honours, and in which "
          "daemons.\n"
          "A parameter that is set (in main.cf or with master.cf `-o`) "
          "but not honoured\n"
          "is reported by `postern check`: as an **error**, which stops "
          "`postern start`\n"
          "unless `--allow-unimplemented`, when ignoring it would change "
          "who may send,\n"
          "what is accepted or where mail goes; as a warning otherwise. "
          "A setting equal\n"
          "to Postfix's default changes nothing and counts as honoured, "
          "and so does one\n"
          "equal to the value whose effect Postern always has "
          "(\"always as\").\n"
          "\"trivial-rewrite\" is the address rewriting and resolving "
          "that Postern builds\n"
          "into cleanup, smtpd, qmgr, local and bounce.\n\n",
          fp);
    fprintf(fp,
            "## Summary\n\n"
            "| | parameters |\n|---|---:|\n"
            "| honoured | %zu |\n| partly honoured | %zu |\n"
            "| not honoured, error when set | %zu |\n"
            "| not honoured, warning when set | %zu |\n"
            "| total | %zu |\n\n",
            yes, partly, err, warn, sc->nparams);
    fputs("## Service families\n\n"
          "| parameter | honoured | daemons |\n|---|---|---|\n", fp);
    for (size_t i = 0; i < sc->nfams; i++) {
        fprintf(fp, "| `<transport>%s` | %s | ", sc->fams[i].suffix,
                sc->fams[i].daemons.n ? "yes" : "no");
        compat_daemons(fp, &sc->fams[i].daemons);
        fputs(" |\n", fp);
    }
    fputs("\n## Parameters\n\n"
          "| parameter | honoured | daemons | when set but not honoured |\n"
          "|---|---|---|---|\n",
          fp);
    for (size_t i = 0; i < sc->nparams; i++)
        compat_row(fp, &sc->params[i]);
    fflush(fp);
    return ferror(fp) ? -1 : 0;
}
