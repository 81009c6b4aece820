/*
 * schema - the Postfix parameter schema, generated from schemas/*.yaml.
 *
 * DESCRIPTION
 *	The C tables behind this interface are generated at build time
 *	from the YAML in schemas/ (tools/schemagen reads it with libyaml);
 *	nothing here is maintained by hand beside the YAML.
 *
 *	Built-in parameters are sorted by name. Service families are the
 *	parameters that postconf derives from master.cf services
 *	("<service>_destination_concurrency_limit" etc.).
 */
#ifndef SCHEMA_SCHEMA_H
#define SCHEMA_SCHEMA_H

#include <stddef.h>

enum schema_type {
    SCHEMA_STRING = 0, /* free text */
    SCHEMA_BOOL,       /* yes/no */
    SCHEMA_INT,        /* int, with min/max */
    SCHEMA_LONG,       /* long (sizes such as message_size_limit) */
    SCHEMA_TIME,       /* time with a default unit (s, m, h, d, w) */
    SCHEMA_LIST,       /* comma/space separated list */
    SCHEMA_MAPS,       /* list of type:table lookup tables */
    SCHEMA_RESTRICTIONS, /* smtpd-style restriction list */
    SCHEMA_ENUM,       /* one of enum_values (or a list of them, see flags) */
};

#define SCHEMA_F_RAW      (1u << 0) /* value is not macro-expanded (postconf "raw") */
#define SCHEMA_F_READONLY (1u << 1) /* read-only: mail_version etc. */
#define SCHEMA_F_DYNAMIC  (1u << 2) /* default computed at run time (myhostname ...) */
#define SCHEMA_F_MULTI    (1u << 3) /* enum: value is a list of enum_values */

struct schema_param {
    const char *name;
    enum schema_type type;
    unsigned flags;
    const char *defval;      /* exactly as "postconf -d" prints it; for
                              * DYNAMIC ones the value on the reference host */
    const char *desc;        /* one line, our words */
    const char *since;       /* Postfix version that introduced it, or NULL */
    const char *deprecated;  /* version deprecated in, or NULL */
    const char *removed;     /* version removed in, or NULL */
    const char *replacement; /* parameter replacing it, or NULL */
    const char *const *enum_values; /* NULL-terminated, for SCHEMA_ENUM */
    long min;                /* for INT/LONG/TIME (TIME in seconds) */
    long max;                /* 0 = no maximum */
    char time_unit;          /* default unit for SCHEMA_TIME: s m h d w */
};

/* A parameter that master.cf services create: service name + suffix. */
struct schema_family {
    const char *suffix;     /* "_destination_concurrency_limit" */
    const char *defparam;   /* default is "$defparam" */
    const char *const *programs; /* master.cf commands that create it */
};

/* schema_param_find - the built-in parameter called name, or NULL */
const struct schema_param *schema_param_find(const char *name);
/* schema_param_count, schema_param_at - walk built-ins in name order */
size_t schema_param_count(void);
const struct schema_param *schema_param_at(size_t i);
/* schema_family_count, schema_family_at - walk service families */
size_t schema_family_count(void);
const struct schema_family *schema_family_at(size_t i);
/* schema_type_name - "bool", "int", ... */
const char *schema_type_name(enum schema_type t);

#endif
