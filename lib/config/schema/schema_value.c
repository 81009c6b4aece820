/*
 * schema_value - is a value valid for a parameter's type?
 *
 * DESCRIPTION
 *	The one parser per value type (schema.h says what each accepts;
 *	Postfix 3.7's mail_conf_*.c and conv_time.c are the reference,
 *	checked against its daemons). schema_value_parse gives a daemon
 *	the value or Postfix's fatal message; schema_value_check gives lint
 *	and the REPL the same verdict with an explanation of what is valid.
 *	Values that contain "$" depend on other parameters and are not
 *	judged by schema_value_check.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/conf.h"
#include "schema/schema.h"
#include "util/util.h"

static long
unit_seconds(char u)
{
    switch (u) {
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

int
schema_parse_bool(const char *value, int *yes)
{
    if (strcasecmp(value, "yes") == 0)
        *yes = 1;
    else if (strcasecmp(value, "no") == 0)
        *yes = 0;
    else
        return -1;
    return 0;
}

int
schema_parse_int(const char *value, long *n)
{
    char *end;

    errno = 0;
    *n = strtol(value, &end, 10);
    if (*value == 0 || *end != 0 || errno == ERANGE || *n < INT_MIN ||
        *n > INT_MAX)
        return -1;
    return 0;
}

int
schema_parse_long(const char *value, long *n)
{
    char *end;

    /* sscanf("%ld%c") == 1 in Postfix: leading space and a sign pass,
     * anything after the digits fails */
    errno = 0;
    *n = strtol(value, &end, 10);
    if (end == value || !isdigit((unsigned char) end[-1]) || *end != 0 ||
        errno == ERANGE)
        return -1;
    return 0;
}

int
schema_parse_time(const char *value, char unit, long *secs)
{
    char *end;
    long n, mult;

    errno = 0;
    n = strtol(value, &end, 10);
    if (*value == 0 || errno == ERANGE || n < 0 || n > INT_MAX)
        return -1;
    /* 3.7 looks at the first character after the number only */
    mult = unit_seconds(*end ? *end : unit);
    if (mult == 0)
        return -1;
    if (mult > 1 && n >= INT_MAX / mult)
        return -1;
    *secs = n * mult;
    return 0;
}

/* enum_ok - value is one of sp's words (a list of them for MULTI) */
static int
enum_ok(const struct schema_param *sp, const char *value)
{
    char *copy = mem_strdup(value);
    int ok = 1;

    if (sp->flags & SCHEMA_F_MULTI) {
        struct strv words;

        strv_init(&words);
        conf_list_split(value, &words, 0);
        for (size_t i = 0; i < words.n && ok; i++)
            ok = schema_enum_has(sp, words.v[i]);
        strv_fini(&words);
    } else if (*value) {
        ok = schema_enum_has(sp, str_trim(copy));
    }
    mem_free(copy);
    return ok;
}

/* range_message - Postfix's range fatal for p's type, or 0 when in range */
static int
range_message(const struct schema_param *sp, enum schema_type type,
              const char *name, long v, struct buf *why)
{
    int low = sp->min != 0 && v<sp->min, high = sp->max> 0 && v > sp->max;

    if (!low && !high)
        return 0;
    if (type == SCHEMA_TIME)
        buf_printf(why, "invalid %s: %ld (%s %ld)", name, v,
                   low ? "min" : "max", low ? sp->min : sp->max);
    else
        buf_printf(why, "invalid %s parameter value %ld %c %ld", name, v,
                   low ? '<' : '>', low ? sp->min : sp->max);
    return -1;
}

int
schema_value_parse(const struct schema_param *sp, const char *name,
                   const char *value, long *n, struct buf *why)
{
    enum schema_type type = sp->type;
    int yes;

    *n = 0;
    switch (type) {
    case SCHEMA_BOOL:
        if (schema_parse_bool(value, &yes) < 0) {
            buf_printf(why, "bad boolean configuration: %s = %s", name, value);
            return -1;
        }
        *n = yes;
        return 0;
    case SCHEMA_INT:
    case SCHEMA_LONG:
        if ((type == SCHEMA_INT ? schema_parse_int(value, n)
                                : schema_parse_long(value, n)) < 0) {
            buf_printf(why, "bad numerical configuration: %s = %s", name,
                       value);
            return -1;
        }
        return range_message(sp, type, name, *n, why);
    case SCHEMA_TIME:
        if (schema_parse_time(value, sp->time_unit ? sp->time_unit : 's', n) <
            0) {
            buf_printf(why, "parameter %s: bad time value or unit: %s", name,
                       value);
            return -1;
        }
        return range_message(sp, type, name, *n, why);
    case SCHEMA_ENUM:
        if (!enum_ok(sp, value)) {
            buf_printf(why, "invalid %s value: %s", name, value);
            return -1;
        }
        return 0;
    default:
        return 0;
    }
}

/* explain_range - 1 and why when value parses but is out of range */
static int
explain_range(const struct schema_param *sp, const char *value, int time,
              struct buf *why)
{
    long v;
    int ok =
        time ? schema_parse_time(value, sp->time_unit ? sp->time_unit : 's', &v)
        : sp->type == SCHEMA_INT ? schema_parse_int(value, &v)
                                 : schema_parse_long(value, &v);

    if (ok < 0)
        return 0;
    /* As in Postfix's tables, a bound of 0 means "no bound". */
    if (sp->min != 0 && v < sp->min)
        buf_printf(why, "%s must be at least %ld", sp->name, sp->min);
    else
        buf_printf(why, "%s must be at most %ld", sp->name, sp->max);
    if (time)
        buf_puts(why, " seconds");
    return 1;
}

/*
 * schema_value_check - the verdict of schema_value_parse (the daemons'),
 * explained for people: what the type accepts, or the range.
 */
int
schema_value_check(const struct schema_param *sp, const char *value,
                   struct buf *why)
{
    struct buf fatal;
    long v;
    int rc;

    if (strchr(value, '$') != NULL)
        return 0;
    buf_init(&fatal, 0);
    rc = schema_value_parse(sp, sp->name, value, &v, &fatal);
    buf_fini(&fatal);
    if (rc == 0)
        return 0;
    switch (sp->type) {
    case SCHEMA_BOOL:
        buf_printf(why, "%s is a boolean: use yes or no", sp->name);
        break;
    case SCHEMA_INT:
    case SCHEMA_LONG:
        if (explain_range(sp, value, 0, why))
            break;
        if (*value && isdigit((unsigned char) *value))
            buf_printf(why,
                       "%s is a plain number%s; \"%s\" has a unit or "
                       "suffix Postfix does not accept",
                       sp->name, sp->type == SCHEMA_LONG ? " of bytes" : "",
                       value);
        else
            buf_printf(why, "%s is a whole number", sp->name);
        break;
    case SCHEMA_TIME:
        if (explain_range(sp, value, 1, why))
            break;
        buf_printf(why,
                   "%s is a time: a number with an optional unit s, m, "
                   "h, d or w (lower case; default unit %c), e.g. 300s or 5d",
                   sp->name, sp->time_unit ? sp->time_unit : 's');
        break;
    case SCHEMA_ENUM:
        if (sp->enum_values == NULL)
            break;
        buf_printf(why, "%s accepts %s", sp->name,
                   (sp->flags & SCHEMA_F_MULTI) ? "a list of: " : "one of: ");
        for (const char *const *ev = sp->enum_values; *ev; ev++)
            buf_printf(why, "%s%s", ev == sp->enum_values ? "" : ", ", *ev);
        break;
    default:
        break;
    }
    return -1;
}
