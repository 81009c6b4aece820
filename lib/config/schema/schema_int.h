/*
 * schema_int - what the generated schema_table.c defines for schema.c.
 *
 * DESCRIPTION
 *	Private to lib/config/schema: tools/schemagen writes these tables from
 *the YAML in schemas/; nothing outside this directory includes this file.
 */
#ifndef SCHEMA_SCHEMA_INT_H
#define SCHEMA_SCHEMA_INT_H

#include <stddef.h>

#include "schema/schema.h"

/* A family with what struct schema_family has no room for. */
struct schema_family_entry {
    struct schema_family pub; /* first: schema.c converts pointers back */
    enum schema_type type;
    const char *desc;
    const char *const *honoured_by; /* Postern daemons, or NULL */
};

/* Built-in parameters, sorted by name (strcmp). */
extern const struct schema_param schema_param_table[];
extern const size_t schema_param_table_len;

/* Service families, in schema order. */
extern const struct schema_family_entry schema_family_table[];
extern const size_t schema_family_table_len;

/* Legacy database client types and their parameter suffixes. */
struct schema_dbms_entry {
    const char *type;
    const char *const *suffixes;
};

extern const struct schema_dbms_entry schema_dbms_table[];
extern const size_t schema_dbms_table_len;

#endif
