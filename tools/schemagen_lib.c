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
 *	The work is split by job: this file walks the YAML and parses
 *	families and dbms; schemagen_param.c one parameter and its default,
 *	schemagen_facts.c the "postern" section, schemagen_check.c the checks
 *	across files, schemagen_emit.c the output.
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
#include "schemagen_int.h"

const char *const sg_type_names[] = {
    [SCHEMA_STRING] = "string", [SCHEMA_BOOL] = "bool",
    [SCHEMA_INT] = "int",       [SCHEMA_LONG] = "long",
    [SCHEMA_TIME] = "time",     [SCHEMA_LIST] = "list",
    [SCHEMA_MAPS] = "maps",     [SCHEMA_RESTRICTIONS] = "restrictions",
    [SCHEMA_ENUM] = "enum",
};

#define NTYPES (sizeof(sg_type_names) / sizeof(sg_type_names[0]))

const struct sg_flag_name sg_flag_names[SG_NFLAGS] = {
    {"raw", SCHEMA_F_RAW},
    {"readonly", SCHEMA_F_READONLY},
    {"dynamic", SCHEMA_F_DYNAMIC},
    {"multi", SCHEMA_F_MULTI},
};

/* sg_type_parse - type name to enum schema_type, or -1 */
int
sg_type_parse(const char *s)
{
    for (size_t i = 0; i < NTYPES; i++)
        if (strcmp(sg_type_names[i], s) == 0)
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

void
sg_param_fini(struct sg_param *p)
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
        sg_param_fini(&sc->params[i]);
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

/* sg_diag - record one "file:line:col: error: text" diagnostic */
void UTIL_PRINTF(5, 6)
    sg_diag(struct sg_schema *sc, const char *file, unsigned long line,
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

/* sg_node_diag - diagnostic at a node's start */
void UTIL_PRINTF(3, 4)
    sg_node_diag(struct sg_ctx *cx, const yaml_node_t *n, const char *fmt, ...)
{
    struct buf b;
    va_list ap;

    buf_init(&b, 0);
    va_start(ap, fmt);
    (void) buf_vprintf(&b, fmt, ap);
    va_end(ap);
    sg_diag(cx->sc, cx->file, (unsigned long) n->start_mark.line + 1,
            (unsigned long) n->start_mark.column + 1, "%s", buf_str(&b));
    buf_fini(&b);
    cx->errors++;
}

const char *
sg_node_kind(const yaml_node_t *n)
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

/* sg_scalar - the node's text as a new string, or NULL (diagnosed) */
char *
sg_scalar(struct sg_ctx *cx, const yaml_node_t *n, const char *what)
{
    const char *s;
    size_t len;

    if (n->type != YAML_SCALAR_NODE) {
        sg_node_diag(cx, n, "%s must be a scalar, not %s", what,
                     sg_node_kind(n));
        return NULL;
    }
    s = (const char *) n->data.scalar.value;
    len = n->data.scalar.length;
    if (memchr(s, '\0', len) != NULL) {
        sg_node_diag(cx, n, "%s contains a NUL byte", what);
        return NULL;
    }
    if (memchr(s, '\n', len) != NULL || memchr(s, '\r', len) != NULL) {
        sg_node_diag(cx, n, "%s must be one line", what);
        return NULL;
    }
    return mem_strndup(s, len);
}

/* sg_scalar_list - a sequence of scalars (or one scalar) into sv */
int
sg_scalar_list(struct sg_ctx *cx, const yaml_node_t *n, const char *what,
               struct strv *sv)
{
    char *s;

    if (n->type == YAML_SCALAR_NODE) {
        if ((s = sg_scalar(cx, n, what)) == NULL)
            return -1;
        strv_adopt(sv, s);
        return 0;
    }
    if (n->type != YAML_SEQUENCE_NODE) {
        sg_node_diag(cx, n, "%s must be a sequence, not %s", what,
                     sg_node_kind(n));
        return -1;
    }
    for (yaml_node_item_t *it = n->data.sequence.items.start;
         it < n->data.sequence.items.top; it++) {
        const yaml_node_t *item = yaml_document_get_node(cx->doc, *it);

        if (item == NULL)
            continue;
        if ((s = sg_scalar(cx, item, what)) == NULL)
            return -1;
        if (*s == '\0') {
            sg_node_diag(cx, item, "empty item in %s", what);
            mem_free(s);
            return -1;
        }
        for (size_t i = 0; i < sv->n; i++) {
            if (strcmp(sv->v[i], s) == 0) {
                sg_node_diag(cx, item, "\"%s\" is listed twice in %s", s, what);
                mem_free(s);
                return -1;
            }
        }
        strv_adopt(sv, s);
    }
    return 0;
}

/* sg_valid_name - parameter names: letters, digits, underscore */
int
sg_valid_name(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char) *s) && *s != '_')
            return 0;
    return 1;
}

/* sg_take - keep the node for key, diagnosing repeats */
void
sg_take(struct sg_ctx *cx, const yaml_node_t *key, const yaml_node_t **slot,
        const yaml_node_t *val)
{
    if (*slot != NULL) {
        sg_node_diag(cx, key, "key \"%s\" repeated", key->data.scalar.value);
        return;
    }
    *slot = val;
}

/* parse_family - one mapping under "families" */
static void
parse_family(struct sg_ctx *cx, const yaml_node_t *m)
{
    struct seen k;
    struct sg_family f;
    size_t errors = cx->errors;
    char *s;
    int t;

    if (m->type != YAML_MAPPING_NODE) {
        sg_node_diag(cx, m, "a family must be a mapping, not %s",
                     sg_node_kind(m));
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
            sg_node_diag(cx, key, "keys must be scalars");
            continue;
        }
        ks = (const char *) key->data.scalar.value;
        if (strcmp(ks, "suffix") == 0)
            sg_take(cx, key, &k.suffix, val);
        else if (strcmp(ks, "default") == 0)
            sg_take(cx, key, &k.defval, val);
        else if (strcmp(ks, "type") == 0)
            sg_take(cx, key, &k.type, val);
        else if (strcmp(ks, "programs") == 0)
            sg_take(cx, key, &k.programs, val);
        else if (strcmp(ks, "desc") == 0)
            sg_take(cx, key, &k.desc, val);
        else
            sg_node_diag(cx, key, "unknown key \"%s\" in family", ks);
    }
    if (k.suffix == NULL || k.defval == NULL || k.type == NULL ||
        k.programs == NULL) {
        sg_node_diag(cx, m,
                     "family needs \"suffix\", \"default\", \"type\" "
                     "and \"programs\"");
        goto out;
    }
    if ((f.suffix = sg_scalar(cx, k.suffix, "suffix")) != NULL &&
        (f.suffix[0] != '_' || !sg_valid_name(f.suffix)))
        sg_node_diag(cx, k.suffix,
                     "suffix must be \"_\" and a name, not \"%s\"", f.suffix);
    /* The default is "$param": give the parameter name without "$". */
    if ((f.defparam = sg_scalar(cx, k.defval, "default")) != NULL &&
        !sg_valid_name(f.defparam))
        sg_node_diag(cx, k.defval,
                     "default must name a parameter (without "
                     "\"$\"), not \"%s\"",
                     f.defparam);
    if ((s = sg_scalar(cx, k.type, "type")) != NULL) {
        if ((t = sg_type_parse(s)) < 0)
            sg_node_diag(cx, k.type, "unknown type \"%s\"", s);
        else
            f.type = (enum schema_type) t;
        mem_free(s);
    }
    if (sg_scalar_list(cx, k.programs, "programs", &f.programs) == 0 &&
        f.programs.n == 0)
        sg_node_diag(cx, k.programs, "family needs at least one program");
    if (k.desc && (f.desc = sg_scalar(cx, k.desc, "desc")) != NULL &&
        *f.desc == '\0')
        sg_node_diag(cx, k.desc, "empty description");

out:
    if (cx->errors != errors || f.suffix == NULL || f.defparam == NULL) {
        family_fini(&f);
        return;
    }
    for (size_t i = 0; i < cx->sc->nfams; i++) {
        if (strcmp(cx->sc->fams[i].suffix, f.suffix) == 0) {
            sg_node_diag(cx, m, "family %s already defined at %s:%lu", f.suffix,
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
parse_dbms(struct sg_ctx *cx, const yaml_node_t *m)
{
    if (m->type != YAML_MAPPING_NODE) {
        sg_node_diag(cx, m, "\"dbms\" must be a mapping, not %s",
                     sg_node_kind(m));
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
        if ((d.type = sg_scalar(cx, key, "database type")) != NULL &&
            !sg_valid_name(d.type))
            sg_node_diag(cx, key, "bad database type \"%s\"", d.type);
        if (sg_scalar_list(cx, val, "suffixes", &d.suffixes) == 0) {
            for (size_t i = 0; i < d.suffixes.n; i++)
                if (!sg_valid_name(d.suffixes.v[i]))
                    sg_node_diag(cx, val, "bad suffix \"%s\"", d.suffixes.v[i]);
        }
        for (size_t i = 0; d.type && i < cx->sc->ndbms; i++) {
            if (strcmp(cx->sc->dbms[i].type, d.type) == 0) {
                sg_node_diag(cx, key,
                             "database type %s already defined at "
                             "%s:%lu",
                             d.type, cx->sc->dbms[i].file,
                             cx->sc->dbms[i].line);
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
void
sg_parse_list(struct sg_ctx *cx, const yaml_node_t *seq,
              void (*fn)(struct sg_ctx *, const yaml_node_t *))
{
    if (seq->type == YAML_SCALAR_NODE && seq->data.scalar.length == 0)
        return; /* "params:" with nothing under it */
    if (seq->type != YAML_SEQUENCE_NODE) {
        sg_node_diag(cx, seq, "expected a sequence, not %s", sg_node_kind(seq));
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
    struct sg_ctx cx;
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
        sg_diag(sc, cx.file, (unsigned long) parser.problem_mark.line + 1,
                (unsigned long) parser.problem_mark.column + 1, "%s%s%s%s",
                parser.problem ? parser.problem : "YAML syntax error",
                parser.context ? " (" : "",
                parser.context ? parser.context : "",
                parser.context ? ")" : "");
        yaml_parser_delete(&parser);
        return sc->diags.n - before;
    }
    if ((root = yaml_document_get_root_node(&doc)) == NULL) {
        /* An empty file defines nothing; that is allowed. */
        goto done;
    }
    if (root->type != YAML_MAPPING_NODE) {
        sg_node_diag(&cx, root,
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
            sg_node_diag(&cx, key, "keys must be scalars");
        else if (strcmp((const char *) key->data.scalar.value, "params") == 0)
            sg_parse_list(&cx, val, sg_parse_param);
        else if (strcmp((const char *) key->data.scalar.value, "families") == 0)
            sg_parse_list(&cx, val, parse_family);
        else if (strcmp((const char *) key->data.scalar.value, "dbms") == 0)
            parse_dbms(&cx, val);
        else if (strcmp((const char *) key->data.scalar.value, "postern") == 0)
            sg_parse_postern(&cx, val);
        else
            sg_node_diag(&cx, key, "unknown top-level key \"%s\"",
                         key->data.scalar.value);
    }

done:
    yaml_document_delete(&doc);

    /* One document per file: a second one is a mistake, not more data. */
    if (yaml_parser_load(&parser, &doc)) {
        if ((root = yaml_document_get_root_node(&doc)) != NULL)
            sg_node_diag(&cx, root, "more than one YAML document in the file");
        yaml_document_delete(&doc);
    }
    yaml_parser_delete(&parser);
    return sc->diags.n - before;
}
