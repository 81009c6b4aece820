/*
 * schema - the Postfix parameter schema, generated from schemas/ YAML.
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
    SCHEMA_STRING = 0,   /* free text */
    SCHEMA_BOOL,         /* yes/no */
    SCHEMA_INT,          /* int, with min/max */
    SCHEMA_LONG,         /* long (sizes such as message_size_limit) */
    SCHEMA_TIME,         /* time with a default unit (s, m, h, d, w) */
    SCHEMA_LIST,         /* comma/space separated list */
    SCHEMA_MAPS,         /* list of type:table lookup tables */
    SCHEMA_RESTRICTIONS, /* smtpd-style restriction list */
    SCHEMA_ENUM,         /* one of enum_values (or a list of them, see flags) */
};

#define SCHEMA_F_RAW \
    (1u << 0) /* value is not macro-expanded (postconf "raw") */
#define SCHEMA_F_READONLY (1u << 1) /* read-only: mail_version etc. */
#define SCHEMA_F_DYNAMIC \
    (1u << 2) /* default computed at run time (myhostname ...) */
#define SCHEMA_F_MULTI (1u << 3) /* enum: value is a list of enum_values */

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
    /* What Postern does with it (schemas/postern.yaml): the daemons that
     * honour it (NULL-terminated; "all" is every daemon,
     * "trivial-rewrite" the address rewriting built into the daemons),
     * NULL when none does; what they leave out, or NULL; and refuse: the
     * feature to name when a setting is not honoured and that is an
     * error (it changes who may send, what is accepted or where mail
     * goes), NULL when it is only a warning. */
    const char *const *honoured_by;
    const char *partly;
    const char *refuse;
    /* behaves: for a parameter no daemon reads, the value whose effect
     * Postern always has (biff: "no"), or NULL; a setting to that value
     * is honoured */
    const char *behaves;
    long min;       /* for INT/LONG/TIME (TIME in seconds) */
    long max;       /* 0 = no maximum */
    char time_unit; /* default unit for SCHEMA_TIME: s m h d w */
};

/* A parameter that master.cf services create: service name + suffix. */
struct schema_family {
    const char *suffix;          /* "_destination_concurrency_limit" */
    const char *defparam;        /* default is "$defparam" */
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

/* schema_family_type - value type of the family's parameters (the type of
 * its default parameter) */
enum schema_type schema_family_type(const struct schema_family *f);
/* schema_family_desc - one-line description, or NULL */
const char *schema_family_desc(const struct schema_family *f);
/* schema_family_honoured_by - Postern daemons that honour the family's
 * parameters (NULL-terminated), or NULL */
const char *const *schema_family_honoured_by(const struct schema_family *f);
/* schema_unhonoured_is_error - 1 when setting p, which Postern does not
 * honour, is an error rather than a warning (p->refuse names the
 * feature) */
int schema_unhonoured_is_error(const struct schema_param *p);
/* schema_family_applies - 1 when a master.cf service whose command
 * (8th field) is program gets the family's parameters, else 0 */
int schema_family_applies(const struct schema_family *f, const char *program);
/*
 * schema_family_match - the family whose suffix ends name after a
 * non-empty service name ("relay_destination_rate_delay": service "relay",
 * family "_destination_rate_delay"), preferring the longest suffix; stores
 * the service name's length in *service_len (may be NULL). NULL when no
 * family fits. Whether the service exists is for the caller to check, and
 * so is precedence: a built-in of the same name wins (postconf keeps
 * local_destination_recipient_limit's own default).
 */
const struct schema_family *schema_family_match(const char *name,
                                                size_t *service_len);
/*
 * schema_dbms_suffixes - the parameter suffixes that the legacy database
 * client "type" (ldap, mysql, pgsql, sqlite, memcache) reads, so that a
 * table "ldap:foo" makes "foo_server_host" etc. known; NULL-terminated,
 * static. NULL for other types.
 */
const char *const *schema_dbms_suffixes(const char *type);
struct buf;
/*
 * schema_value_check - 0 when value is valid for p's type and range, else
 * -1 with an explanation of what is valid appended to why. Values with
 * "$name" are not judged (0).
 */
int schema_value_check(const struct schema_param *p, const char *value,
                       struct buf *why);
/*
 * One parser per value type, shared by the daemons (lib/services/server's typed
 * accessors), lint and the REPL (through schema_value_check), so that
 * all three accept exactly what Postfix 3.7's daemons accept:
 *
 *	bool	"yes" or "no" in any case (mail_conf_bool.c)
 *	int	a decimal number, the whole value, that fits in a C int
 *		(mail_conf_int.c: strtol; "+5" and " 5" pass, "5k" fails)
 *	long	a decimal number and nothing after it (mail_conf_long.c)
 *	time	conv_time.c of 3.7: a decimal number >= 0, then one unit
 *		letter s, m, h, d or w (lower case: "5D" is refused) or
 *		none (the parameter's default unit); as in 3.7 only the
 *		first character after the number is looked at ("5ss" is 5
 *		seconds), and the result must fit in an int
 *
 * Each returns 0 and the value (time in seconds), or -1.
 */
int schema_parse_bool(const char *value, int *yes);
int schema_parse_int(const char *value, long *n);
int schema_parse_long(const char *value, long *n);
int schema_parse_time(const char *value, char unit, long *secs);
/*
 * schema_value_parse - value (already $name-expanded) as p's type wants
 * it, range included: 0 and the number in *n (bool: 1 or 0; enum and
 * other types: 0), or -1 with the fatal message a Postfix 3.7 daemon
 * prints appended to why ("bad numerical configuration: NAME = VALUE",
 * "invalid NAME parameter value N < MIN", "bad boolean configuration:
 * NAME = VALUE", "parameter NAME: bad time value or unit: VALUE",
 * "invalid NAME: N (min MIN)"). name is the parameter as read (a service
 * family's "relay_destination_concurrency_limit" has the family's type).
 */
int schema_value_parse(const struct schema_param *p, const char *name,
                       const char *value, long *n, struct buf *why);
/* schema_enum_has - 1 when value is one of p's enum_values, in any case
 * (as Postfix's name_code() tables), else 0 */
int schema_enum_has(const struct schema_param *p, const char *value);

#endif
