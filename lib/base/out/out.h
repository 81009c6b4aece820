/*
 * out - machine-readable output (JSON), the only user of jansson.
 *
 * DESCRIPTION
 *	A small tree builder over jansson. Keys keep insertion order so
 *	that output is stable for goldens and diffs.
 */
#ifndef OUT_OUT_H
#define OUT_OUT_H

#include <stdio.h>

struct out_val;

/* out_obj_new, out_arr_new - empty object or array; free the root with out_free
 */
struct out_val *out_obj_new(void);
struct out_val *out_arr_new(void);
/* out_obj_str - obj[key] = string (NULL gives null) */
void out_obj_str(struct out_val *obj, const char *key, const char *value);
void out_obj_int(struct out_val *obj, const char *key, long long value);
void out_obj_bool(struct out_val *obj, const char *key, int value);
/* out_obj_add - obj[key] = child; obj takes ownership of child */
void out_obj_add(struct out_val *obj, const char *key, struct out_val *child);
/* out_arr_add - append child; arr takes ownership */
void out_arr_add(struct out_val *arr, struct out_val *child);
void out_arr_str(struct out_val *arr, const char *value);
/* out_print - write v as indented JSON and a newline; 0 or -1 */
int out_print(const struct out_val *v, FILE *fp);
void out_free(struct out_val *v);

#endif
