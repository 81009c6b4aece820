/*
 * schemagen_param - one parameter of the schema: its keys, and its
 *	default value checked against its type.
 *
 * DESCRIPTION
 *	A mapping under "params": unknown or repeated keys, the required
 *	ones, type and flag names, enum values, time units, ranges, version
 *	strings, and the default value against the type (yes/no, numbers,
 *	time units, enum values) unless it contains a "$" macro.
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

/* check_default - the default value against the type; diagnoses */
static void
check_default(struct sg_ctx *cx, const struct sg_param *p,
              const yaml_node_t *at)
{
    const char *d = p->defval;
    long v;

    /* A macro can expand to anything; postconf checks only at run time. */
    if (strchr(d, '$') != NULL)
        return;
    switch (p->type) {
    case SCHEMA_BOOL:
        if (strcmp(d, "yes") != 0 && strcmp(d, "no") != 0)
            sg_node_diag(cx, at, "bool default must be yes or no, not \"%s\"",
                         d);
        break;
    case SCHEMA_INT:
    case SCHEMA_LONG:
        if (parse_long(d, &v) < 0) {
            sg_node_diag(cx, at, "%s default \"%s\" is not a number",
                         sg_type_names[p->type], d);
        } else if ((p->min != 0 && v < p->min) || (p->max != 0 && v > p->max)) {
            sg_node_diag(cx, at, "default %ld is outside [%ld, %ld]", v, p->min,
                         p->max);
        }
        break;
    case SCHEMA_TIME: {
        size_t n = strspn(d, "0123456789");
        char u = d[n] ? d[n] : p->unit;

        if (n == 0 || (d[n] && d[n + 1]) || unit_seconds(u) == 0) {
            sg_node_diag(cx, at,
                         "time default \"%s\" is not a number with "
                         "an optional unit (s, m, h, d, w)",
                         d);
        } else if (d[n] && p->unit && d[n] != p->unit) {
            sg_node_diag(cx, at,
                         "time default \"%s\" does not use the default "
                         "unit '%c'",
                         d, p->unit);
        } else {
            char *num = mem_strndup(d, n);

            /* Postfix's range limits are in seconds. */
            if (parse_long(num, &v) == 0 && v <= 100000000L) {
                v *= unit_seconds(u);
                if ((p->min != 0 && v < p->min) || (p->max != 0 && v > p->max))
                    sg_node_diag(cx, at, "default %lds is outside [%ld, %ld]",
                                 v, p->min, p->max);
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
                    sg_node_diag(cx, at,
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
                sg_node_diag(cx, at,
                             "default \"%.*s\" is not one of the values",
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

/* param_keys - the keys of a parameter mapping into *k, diagnosing unknown and
 * repeated ones */
static void
param_keys(struct sg_ctx *cx, const yaml_node_t *m, struct seen *k)
{
    for (yaml_node_pair_t *pr = m->data.mapping.pairs.start;
         pr < m->data.mapping.pairs.top; pr++) {
        const yaml_node_t *key = yaml_document_get_node(cx->doc, pr->key);
        const yaml_node_t *val = yaml_document_get_node(cx->doc, pr->value);
        const char *ks;

        if (key == NULL || val == NULL)
            continue;
        if (key->type != YAML_SCALAR_NODE) {
            sg_node_diag(cx, key, "keys must be scalars");
            continue;
        }
        ks = (const char *) key->data.scalar.value;
        if (strcmp(ks, "name") == 0)
            sg_take(cx, key, &k->name, val);
        else if (strcmp(ks, "type") == 0)
            sg_take(cx, key, &k->type, val);
        else if (strcmp(ks, "flags") == 0)
            sg_take(cx, key, &k->flags, val);
        else if (strcmp(ks, "default") == 0)
            sg_take(cx, key, &k->defval, val);
        else if (strcmp(ks, "values") == 0)
            sg_take(cx, key, &k->values, val);
        else if (strcmp(ks, "unit") == 0)
            sg_take(cx, key, &k->unit, val);
        else if (strcmp(ks, "min") == 0)
            sg_take(cx, key, &k->min, val);
        else if (strcmp(ks, "max") == 0)
            sg_take(cx, key, &k->max, val);
        else if (strcmp(ks, "desc") == 0)
            sg_take(cx, key, &k->desc, val);
        else if (strcmp(ks, "since") == 0)
            sg_take(cx, key, &k->since, val);
        else if (strcmp(ks, "deprecated") == 0)
            sg_take(cx, key, &k->deprecated, val);
        else if (strcmp(ks, "removed") == 0)
            sg_take(cx, key, &k->removed, val);
        else if (strcmp(ks, "replacement") == 0)
            sg_take(cx, key, &k->replacement, val);
        else
            sg_node_diag(cx, key, "unknown key \"%s\" in parameter", ks);
    }
}

/* param_flags - "flags" */
static void
param_flags(struct sg_ctx *cx, const struct seen *k, struct sg_param *p)
{
    if (k->flags) {
        struct strv fl;

        strv_init(&fl);
        if (sg_scalar_list(cx, k->flags, "flags", &fl) == 0) {
            for (size_t i = 0; i < fl.n; i++) {
                size_t j;

                for (j = 0;
                     j < sizeof(sg_flag_names) / sizeof(sg_flag_names[0]); j++)
                    if (strcmp(fl.v[i], sg_flag_names[j].name) == 0)
                        break;
                if (j == sizeof(sg_flag_names) / sizeof(sg_flag_names[0]))
                    sg_node_diag(cx, k->flags, "unknown flag \"%s\"", fl.v[i]);
                else
                    p->flags |= sg_flag_names[j].bit;
            }
        }
        strv_fini(&fl);
    }
    if ((p->flags & SCHEMA_F_MULTI) && p->type != SCHEMA_ENUM)
        sg_node_diag(cx, k->flags,
                     "flag \"multi\" is only for enum parameters");
}

/* param_values - "values" of an enum parameter */
static void
param_values(struct sg_ctx *cx, const yaml_node_t *m, const struct seen *k,
             struct sg_param *p)
{
    if (k->values) {
        if (p->type != SCHEMA_ENUM) {
            sg_node_diag(cx, k->values,
                         "\"values\" is only for enum parameters");
        } else if (sg_scalar_list(cx, k->values, "values", &p->values) == 0) {
            for (size_t i = 0; i < p->values.n; i++)
                if (strpbrk(p->values.v[i], ", \t") != NULL)
                    sg_node_diag(cx, k->values,
                                 "enum value \"%s\" has a comma "
                                 "or space",
                                 p->values.v[i]);
        }
    } else if (p->type == SCHEMA_ENUM) {
        sg_node_diag(cx, m, "enum parameter %s needs \"values\"", p->name);
    }
}

/* param_unit - "unit" of a time parameter */
static void
param_unit(struct sg_ctx *cx, const yaml_node_t *m, const struct seen *k,
           struct sg_param *p)
{
    char *s;

    if (k->unit) {
        if (p->type != SCHEMA_TIME) {
            sg_node_diag(cx, k->unit, "\"unit\" is only for time parameters");
        } else if ((s = sg_scalar(cx, k->unit, "unit")) != NULL) {
            if (strlen(s) != 1 || unit_seconds(s[0]) == 0)
                sg_node_diag(cx, k->unit,
                             "unit must be one of s m h d w, "
                             "not \"%s\"",
                             s);
            else
                p->unit = s[0];
            mem_free(s);
        }
    } else if (p->type == SCHEMA_TIME) {
        sg_node_diag(cx, m, "time parameter %s needs \"unit\"", p->name);
    }
}

/* param_range - "min" and "max" */
static void
param_range(struct sg_ctx *cx, const struct seen *k, struct sg_param *p)
{
    char *s;

    /* Ranges: 0 means "no limit", as in Postfix's own tables. */
    for (int i = 0; i < 2; i++) {
        const yaml_node_t *n = i ? k->max : k->min;
        long v;

        if (n == NULL)
            continue;
        if (p->type != SCHEMA_INT && p->type != SCHEMA_LONG &&
            p->type != SCHEMA_TIME) {
            sg_node_diag(cx, n, "\"%s\" is only for int, long and time",
                         i ? "max" : "min");
            continue;
        }
        if ((s = sg_scalar(cx, n, i ? "max" : "min")) == NULL)
            continue;
        if (parse_long(s, &v) < 0 || v < 0)
            sg_node_diag(cx, n, "\"%s\" is not a non-negative number", s);
        else if (i)
            p->max = v;
        else
            p->min = v;
        mem_free(s);
    }
    if (p->max != 0 && p->min > p->max)
        sg_node_diag(cx, k->min, "min %ld is above max %ld", p->min, p->max);
}

/* param_texts - description, versions and replacement */
static void
param_texts(struct sg_ctx *cx, const struct seen *k, struct sg_param *p)
{
    if (k->desc && (p->desc = sg_scalar(cx, k->desc, "desc")) != NULL &&
        *p->desc == '\0')
        sg_node_diag(cx, k->desc, "empty description");
    if (k->since && (p->since = sg_scalar(cx, k->since, "since")) != NULL &&
        !valid_version(p->since))
        sg_node_diag(cx, k->since, "bad version \"%s\"", p->since);
    if (k->deprecated &&
        (p->deprecated = sg_scalar(cx, k->deprecated, "deprecated")) != NULL &&
        !valid_version(p->deprecated))
        sg_node_diag(cx, k->deprecated, "bad version \"%s\"", p->deprecated);
    if (k->removed &&
        (p->removed = sg_scalar(cx, k->removed, "removed")) != NULL &&
        !valid_version(p->removed))
        sg_node_diag(cx, k->removed, "bad version \"%s\"", p->removed);
    if (k->replacement &&
        (p->replacement = sg_scalar(cx, k->replacement, "replacement")) !=
            NULL &&
        !sg_valid_name(p->replacement))
        sg_node_diag(cx, k->replacement, "bad parameter name \"%s\"",
                     p->replacement);
    if (p->replacement && !p->deprecated && !p->removed)
        sg_node_diag(cx, k->replacement,
                     "\"replacement\" needs \"deprecated\" or \"removed\"");
}

/* sg_parse_param - one mapping under "params" */
void
sg_parse_param(struct sg_ctx *cx, const yaml_node_t *m)
{
    struct seen k;
    struct sg_param p;
    size_t errors = cx->errors;
    char *s;
    int t;

    if (m->type != YAML_MAPPING_NODE) {
        sg_node_diag(cx, m, "a parameter must be a mapping, not %s",
                     sg_node_kind(m));
        return;
    }
    memset(&k, 0, sizeof(k));
    memset(&p, 0, sizeof(p));
    strv_init(&p.values);
    p.file = cx->file;
    p.line = (unsigned long) m->start_mark.line + 1;
    p.col = (unsigned long) m->start_mark.column + 1;

    /* Collect the keys first; values are checked once all are known. */
    param_keys(cx, m, &k);

    /* Required keys. */
    if (k.name == NULL || k.type == NULL || k.defval == NULL) {
        sg_node_diag(cx, m, "parameter%s%s needs%s%s%s", k.name ? " " : "",
                     k.name && k.name->type == YAML_SCALAR_NODE
                         ? (const char *) k.name->data.scalar.value
                         : "",
                     k.name ? "" : " \"name\"", k.type ? "" : " \"type\"",
                     k.defval ? "" : " \"default\"");
        goto out;
    }
    if ((p.name = sg_scalar(cx, k.name, "name")) == NULL)
        goto out;
    if (!sg_valid_name(p.name))
        sg_node_diag(cx, k.name, "bad parameter name \"%s\"", p.name);
    if ((s = sg_scalar(cx, k.type, "type")) != NULL) {
        if ((t = sg_type_parse(s)) < 0)
            sg_node_diag(cx, k.type, "unknown type \"%s\"", s);
        else
            p.type = (enum schema_type) t;
        mem_free(s);
    }
    p.defval = sg_scalar(cx, k.defval, "default");

    param_flags(cx, &k, &p);
    param_values(cx, m, &k, &p);
    param_unit(cx, m, &k, &p);
    param_range(cx, &k, &p);
    param_texts(cx, &k, &p);

    if (p.defval && cx->errors == errors)
        check_default(cx, &p, k.defval);

out:
    if (cx->errors != errors || p.name == NULL || p.defval == NULL) {
        sg_param_fini(&p);
        return;
    }
    if (cx->sc->nparams == cx->sc->params_cap) {
        cx->sc->params_cap = cx->sc->params_cap ? 2 * cx->sc->params_cap : 64;
        cx->sc->params = mem_realloc(
            cx->sc->params, cx->sc->params_cap * sizeof(*cx->sc->params));
    }
    cx->sc->params[cx->sc->nparams++] = p;
}
