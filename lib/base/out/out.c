/*
 * out - JSON output through jansson.
 */
#include "out/out.h"

#include <jansson.h>

#include "util/util.h"

/* struct out_val is jansson's json_t; the cast keeps jansson private. */
#define J(v)  ((json_t *) (v))
#define JC(v) ((const json_t *) (v))

struct out_val *
out_obj_new(void)
{
    json_t *o = json_object();

    if (o == NULL)
        log_fatal("out of memory");
    return (struct out_val *) o;
}

struct out_val *
out_arr_new(void)
{
    json_t *a = json_array();

    if (a == NULL)
        log_fatal("out of memory");
    return (struct out_val *) a;
}

void
out_obj_str(struct out_val *obj, const char *key, const char *value)
{
    json_object_set_new(J(obj), key, value ? json_string(value) : json_null());
}

void
out_obj_int(struct out_val *obj, const char *key, long long value)
{
    json_object_set_new(J(obj), key, json_integer(value));
}

void
out_obj_bool(struct out_val *obj, const char *key, int value)
{
    json_object_set_new(J(obj), key, json_boolean(value));
}

void
out_obj_add(struct out_val *obj, const char *key, struct out_val *child)
{
    json_object_set_new(J(obj), key, J(child));
}

void
out_arr_add(struct out_val *arr, struct out_val *child)
{
    json_array_append_new(J(arr), J(child));
}

void
out_arr_str(struct out_val *arr, const char *value)
{
    json_array_append_new(J(arr), json_string(value));
}

int
out_print(const struct out_val *v, FILE *fp)
{
    if (json_dumpf(JC(v), fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0)
        return -1;
    return fputc('\n', fp) == EOF ? -1 : 0;
}

void
out_free(struct out_val *v)
{
    json_decref(J(v));
}
