/*
 * schema - look-ups in the generated parameter tables.
 *
 * DESCRIPTION
 *	The tables themselves live in schema_table.c, which tools/schemagen
 *	writes at build time from the YAML in schemas/; this file only searches
 *	and walks them. Nothing here allocates.
 */
#include "schema/schema.h"

#include <string.h>
#include <strings.h>

#include "schema/schema_int.h"

/* schema_param_find - binary search by name */
const struct schema_param *
schema_param_find(const char *name)
{
    size_t lo = 0;
    size_t hi = schema_param_table_len;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, schema_param_table[mid].name);

        if (c == 0)
            return &schema_param_table[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

size_t
schema_param_count(void)
{
    return schema_param_table_len;
}

const struct schema_param *
schema_param_at(size_t i)
{
    return i < schema_param_table_len ? &schema_param_table[i] : NULL;
}

size_t
schema_family_count(void)
{
    return schema_family_table_len;
}

const struct schema_family *
schema_family_at(size_t i)
{
    return i < schema_family_table_len ? &schema_family_table[i].pub : NULL;
}

/* entry - the table entry around a public family pointer */
static const struct schema_family_entry *
entry(const struct schema_family *f)
{
    /* pub is the first member, so the addresses coincide. */
    return (const struct schema_family_entry *) (const void *) f;
}

enum schema_type
schema_family_type(const struct schema_family *f)
{
    return entry(f)->type;
}

const char *
schema_family_desc(const struct schema_family *f)
{
    return entry(f)->desc;
}

const char *const *
schema_family_honoured_by(const struct schema_family *f)
{
    return entry(f)->honoured_by;
}

int
schema_unhonoured_is_error(const struct schema_param *p)
{
    return p->refuse != NULL;
}

int
schema_family_applies(const struct schema_family *f, const char *program)
{
    for (const char *const *p = f->programs; *p; p++)
        if (strcmp(*p, program) == 0)
            return 1;
    return 0;
}

/* schema_family_match - longest family suffix after a non-empty service */
const struct schema_family *
schema_family_match(const char *name, size_t *service_len)
{
    const struct schema_family *best = NULL;
    size_t best_len = 0;
    size_t len = strlen(name);

    for (size_t i = 0; i < schema_family_table_len; i++) {
        const struct schema_family *f = &schema_family_table[i].pub;
        size_t sl = strlen(f->suffix);

        if (sl < len && sl > best_len &&
            strcmp(name + len - sl, f->suffix) == 0) {
            best = f;
            best_len = sl;
        }
    }
    if (best != NULL && service_len != NULL)
        *service_len = len - best_len;
    return best;
}

const char *const *
schema_dbms_suffixes(const char *type)
{
    for (size_t i = 0; i < schema_dbms_table_len; i++)
        if (strcmp(schema_dbms_table[i].type, type) == 0)
            return schema_dbms_table[i].suffixes;
    return NULL;
}

int
schema_enum_has(const struct schema_param *p, const char *value)
{
    if (p->enum_values == NULL)
        return 0;
    for (const char *const *v = p->enum_values; *v; v++)
        if (strcasecmp(*v, value) == 0)
            return 1;
    return 0;
}

const char *
schema_type_name(enum schema_type t)
{
    switch (t) {
    case SCHEMA_STRING:
        return "string";
    case SCHEMA_BOOL:
        return "bool";
    case SCHEMA_INT:
        return "int";
    case SCHEMA_LONG:
        return "long";
    case SCHEMA_TIME:
        return "time";
    case SCHEMA_LIST:
        return "list";
    case SCHEMA_MAPS:
        return "maps";
    case SCHEMA_RESTRICTIONS:
        return "restrictions";
    case SCHEMA_ENUM:
        return "enum";
    }
    return "unknown";
}
