/*
 * schemagen - read the parameter schema (the YAML in schemas/), check it, and
 * write the C tables behind lib/config/schema/schema.h.
 *
 * DESCRIPTION
 *	A build-time tool. sg_parse() reads one YAML text into a struct
 *	sg_schema and may be called once per file; sg_check() then looks at
 *	the whole set (duplicates, references between entries) and sorts the
 *	parameters by name; sg_emit() writes the C source.
 *
 *	Problems in the input are never fatal: each one becomes a
 *	"file:line:col: error: text" line in the schema's diagnostics, and
 *	parsing goes on, so that one run reports every problem.
 *
 *	The parser is split from main() so that a fuzz target can call it.
 */
#ifndef TOOLS_SCHEMAGEN_H
#define TOOLS_SCHEMAGEN_H

#include <stddef.h>
#include <stdio.h>

#include "schema/schema.h"
#include "util/util.h"

/* One built-in parameter as read from the YAML. */
struct sg_param {
    char *name;
    enum schema_type type;
    unsigned flags;
    char *defval;
    char *desc;
    char *since;
    char *deprecated;
    char *removed;
    char *replacement;
    struct strv values; /* enum values */
    long min;
    long max;
    char unit;          /* time unit, or 0 */
    const char *file;   /* borrowed from the schema's file list */
    unsigned long line; /* 1-based */
    unsigned long col;  /* 1-based */
    /* from "postern" (sg_check): */
    struct strv daemons; /* Postern daemons that honour it; empty: none */
    const char *partly;  /* borrowed: what is not done, or NULL */
    const char *refuse;  /* borrowed: feature named when not honouring it
                          * is an error, or NULL (a warning) */
    const char *behaves; /* borrowed: the value whose effect Postern always
                          * has without reading it, or NULL */
};

/* One service family (parameters that master.cf services create). */
struct sg_family {
    char *suffix;
    char *defparam;
    char *desc;
    enum schema_type type;
    char unit;
    struct strv programs;
    struct strv daemons; /* Postern daemons that honour it (sg_check) */
    const char *file;
    unsigned long line;
    unsigned long col;
};

/* Legacy database client (ldap:, mysql: ...) parameter suffixes. */
struct sg_dbms {
    char *type;
    struct strv suffixes;
    const char *file;
    unsigned long line;
    unsigned long col;
};

/* One "postern" entry: a parameter or family honoured, or a refuse
 * pattern. */
struct sg_fact {
    char *name;          /* parameter, family suffix, or fnmatch pattern */
    struct strv daemons; /* honoured, families */
    char *text;          /* partly (honoured) or why (refuse), or NULL */
    int kind;            /* SG_FACT_* */
    size_t uses;         /* sg_check: parameters a pattern matched */
    const char *file;
    unsigned long line;
    unsigned long col;
};

#define SG_FACT_PARAM   0
#define SG_FACT_FAMILY  1
#define SG_FACT_REFUSE  2
#define SG_FACT_BEHAVES 3

/* The whole schema; the caller owns it (sg_schema_init/sg_schema_fini). */
struct sg_schema {
    struct sg_param *params;
    size_t nparams;
    size_t params_cap;
    struct sg_family *fams;
    size_t nfams;
    size_t fams_cap;
    struct sg_dbms *dbms;
    size_t ndbms;
    size_t dbms_cap;
    struct sg_fact *facts; /* "postern": applied by sg_check */
    size_t nfacts;
    size_t facts_cap;
    struct strv files; /* names of the files read, owned */
    struct strv diags; /* "file:line:col: error: text", owned */
};

void sg_schema_init(struct sg_schema *sc);
void sg_schema_fini(struct sg_schema *sc);

/*
 * sg_parse - add the parameters and families in the YAML text (len bytes,
 * need not be NUL terminated) read from file. Returns the number of new
 * diagnostics (0 when the text is good).
 */
size_t sg_parse(struct sg_schema *sc, const char *file, const char *text,
                size_t len);

/*
 * sg_check - checks that need every file: duplicate names, replacement
 * and family default parameters that must exist. Sorts the parameters
 * by name (strcmp order). Returns the number of new diagnostics.
 */
size_t sg_check(struct sg_schema *sc);

/* sg_emit - write the C tables to fp; 0, or -1 on a write error. */
int sg_emit(const struct sg_schema *sc, FILE *fp) WARN_UNUSED;

/* sg_emit_compat - write docs/COMPATIBILITY.md (what Postern does with
 * each parameter) to fp; 0, or -1 on a write error. */
int sg_emit_compat(const struct sg_schema *sc, FILE *fp) WARN_UNUSED;

/* sg_type_parse - "bool" etc. to the type; -1 when unknown */
int sg_type_parse(const char *s);

#endif
