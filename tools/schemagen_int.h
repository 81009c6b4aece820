/*
 * schemagen_int - what the files of the schema generator share
 *	(schemagen_lib.c parses, schemagen_facts.c parses the "postern"
 *	section, schemagen_check.c checks, schemagen_emit.c writes).
 */
#ifndef TOOLS_SCHEMAGEN_INT_H
#define TOOLS_SCHEMAGEN_INT_H

#include <yaml.h>

#include "schemagen.h"

/* Parsing state for one file. */
struct sg_ctx {
    struct sg_schema *sc;
    yaml_document_t *doc;
    const char *file;
    size_t errors;
};

/* Which keys a param entry had, and where. */
struct seen {
    const yaml_node_t *name, *type, *flags, *defval, *values, *unit, *min, *max,
        *desc, *since, *deprecated, *removed, *replacement, *suffix, *programs;
};

/* sg_type_names - enum schema_type to its schema name */
extern const char *const sg_type_names[];

/* sg_flag_names - the flag names of the schema and their SCHEMA_F_ bits */
#define SG_NFLAGS 4
struct sg_flag_name {
    const char *name;
    unsigned bit;
};
extern const struct sg_flag_name sg_flag_names[SG_NFLAGS];

/* sg_param_fini - free what a parameter owns */
void sg_param_fini(struct sg_param *p);
/* sg_diag - record one "file:line:col: error: text" diagnostic */
void sg_diag(struct sg_schema *sc, const char *file, unsigned long line,
             unsigned long col, const char *fmt, ...) UTIL_PRINTF(5, 6);
/* sg_node_diag - diagnostic at a node's start; counts an error */
void sg_node_diag(struct sg_ctx *cx, const yaml_node_t *n, const char *fmt, ...)
    UTIL_PRINTF(3, 4);
/* sg_node_kind - "a scalar", "a sequence" ... for messages */
const char *sg_node_kind(const yaml_node_t *n);
/* sg_scalar - the text of a scalar node, or NULL after a diagnostic */
char *sg_scalar(struct sg_ctx *cx, const yaml_node_t *n, const char *what);
/* sg_scalar_list - a scalar or a sequence of scalars into sv; 0 or -1 */
int sg_scalar_list(struct sg_ctx *cx, const yaml_node_t *n, const char *what,
                   struct strv *sv);
/* sg_take - keep the node for key in *slot, diagnosing repeats */
void sg_take(struct sg_ctx *cx, const yaml_node_t *key,
             const yaml_node_t **slot, const yaml_node_t *val);
/* sg_parse_list - call fn on each mapping of a sequence under a top-level
 * key */
void sg_parse_list(struct sg_ctx *cx, const yaml_node_t *seq,
                   void (*fn)(struct sg_ctx *, const yaml_node_t *));
/* sg_parse_postern - the "postern" section (schemagen_facts.c) */
void sg_parse_postern(struct sg_ctx *cx, const yaml_node_t *m);

/* sg_valid_name - parameter names: letters, digits, underscore */
int sg_valid_name(const char *s);
/* sg_parse_param - one mapping under "params" (schemagen_param.c) */
void sg_parse_param(struct sg_ctx *cx, const yaml_node_t *m);

#endif
