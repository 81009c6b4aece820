/*
 * schema_value - is a value valid for a parameter's type?
 *
 * DESCRIPTION
 *	The checks Postfix's daemons apply when they read main.cf (and die
 *	on with "bad numerical configuration" and the like), done before
 *	the value is written: bool is yes or no; int and long are decimal
 *	numbers within the parameter's range; time is a number with at
 *	most one unit letter (s, m, h, d, w); enum is one of the allowed
 *	words (a list of them for multi-valued ones). Values that contain
 *	"$" depend on other parameters and are not judged here.
 */
#include "schema/schema.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/util.h"

static int
all_digits(const char *s)
{
    if (*s == 0)
        return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char) *s))
            return 0;
    return 1;
}

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

static int
check_range(const struct schema_param *sp, long v, const char *what,
            struct buf *why)
{
    /* As in Postfix's tables, a bound of 0 means "no bound". */
    if (sp->min != 0 && v < sp->min) {
        buf_printf(why, "%s must be at least %ld", what, sp->min);
        return -1;
    }
    if (sp->max > 0 && v > sp->max) {
        buf_printf(why, "%s must be at most %ld", what, sp->max);
        return -1;
    }
    return 0;
}

int
schema_value_check(const struct schema_param *sp, const char *value,
                   struct buf *why)
{
    char *end;
    long v;

    if (strchr(value, '$') != NULL)
        return 0;
    switch (sp->type) {
    case SCHEMA_BOOL:
        if (strcasecmp(value, "yes") == 0 || strcasecmp(value, "no") == 0)
            return 0;
        buf_printf(why, "%s is a boolean: use yes or no", sp->name);
        return -1;
    case SCHEMA_INT:
    case SCHEMA_LONG:
        errno = 0;
        v = strtol(value, &end, 10);
        if (*value == 0 || *end != 0 || errno == ERANGE
            || (!all_digits(value) && !(value[0] == '-' && all_digits(value + 1)))) {
            if (*value && isdigit((unsigned char) *value) && *end) {
                buf_printf(why,
                           "%s is a plain number%s; \"%s\" has a unit or "
                           "suffix Postfix does not accept",
                           sp->name, sp->type == SCHEMA_LONG ? " of bytes" : "",
                           value);
            } else {
                buf_printf(why, "%s is a whole number", sp->name);
            }
            return -1;
        }
        return check_range(sp, v, sp->name, why);
    case SCHEMA_TIME: {
        size_t len = strlen(value);
        long unit = unit_seconds(sp->time_unit ? sp->time_unit : 's');
        char *digits = mem_strndup(value, len);
        int rc = 0;

        if (len > 1 && isalpha((unsigned char) digits[len - 1])) {
            unit = unit_seconds((char) tolower((unsigned char) digits[len - 1]));
            digits[len - 1] = 0;
        }
        if (unit == 0 || !all_digits(digits)) {
            buf_printf(why,
                       "%s is a time: a number with an optional unit s, m, "
                       "h, d or w (default unit %c), e.g. 300s or 5d",
                       sp->name, sp->time_unit ? sp->time_unit : 's');
            rc = -1;
        } else {
            v = strtol(digits, NULL, 10) * unit;
            rc = check_range(sp, v, sp->name, why);
            if (rc < 0)
                buf_puts(why, " seconds");
        }
        mem_free(digits);
        return rc;
    }
    case SCHEMA_ENUM: {
        char *copy = mem_strdup(value), *cp = copy, *tok;
        int rc = 0;

        if (sp->flags & SCHEMA_F_MULTI) {
            while ((tok = strtok_r(cp, ", \t\r\n", &cp)) != NULL && rc == 0)
                if (!schema_enum_has(sp, tok))
                    rc = -1;
        } else if (*value && !schema_enum_has(sp, str_trim(copy))) {
            rc = -1;
        }
        mem_free(copy);
        if (rc < 0 && sp->enum_values) {
            buf_printf(why, "%s accepts %s", sp->name,
                       (sp->flags & SCHEMA_F_MULTI) ? "a list of: " : "one of: ");
            for (const char *const *ev = sp->enum_values; *ev; ev++)
                buf_printf(why, "%s%s", ev == sp->enum_values ? "" : ", ", *ev);
        }
        return rc;
    }
    default:
        return 0;
    }
}
