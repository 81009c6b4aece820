/*
 * mac - Postfix main.cf macro expansion ($name, ${name?x}, ${{a} == {b} ? ..}).
 *
 * DESCRIPTION
 *	mac_expand() copies pattern to result, replacing macro references
 *	with what lookup() returns, with exactly the syntax, results,
 *	status bits and warning texts of Postfix 3.7's mac_expand(3):
 *	$name, ${name}, $(name), ${name?value}, ${name:value},
 *	${name?{value}:{value}}, ${{text} OP {text} ? {..} : {..}} with
 *	OP one of == != < <= > >= and the suffixed forms (==level, <level,
 *	==length, ...). Warnings go through log_warn().
 */
#ifndef MAC_MAC_H
#define MAC_MAC_H

#include "util/util.h"

/* Result bits (Postfix MAC_PARSE_*). */
#define MAC_PARSE_OK    0
#define MAC_PARSE_ERROR (1 << 0) /* syntax error, or nesting too deep */
#define MAC_PARSE_UNDEF (1 << 1) /* a referenced name was undefined */

/* Flags (Postfix MAC_EXP_FLAG_*). */
#define MAC_EXP_FLAG_NONE      0
#define MAC_EXP_FLAG_RECURSE   (1 << 0) /* expand macros in lookup results */
#define MAC_EXP_FLAG_APPEND    (1 << 1) /* append to result, do not reset */
#define MAC_EXP_FLAG_SCAN      (1 << 2) /* call lookup for each name, expand nothing */
#define MAC_EXP_FLAG_PRINTABLE (1 << 3) /* replace unprintable lookup result chars */

/* Lookup modes passed to the callback. */
#define MAC_EXP_MODE_TEST 0 /* only asks whether name is defined: ${name?..} */
#define MAC_EXP_MODE_USE  1 /* the value will be used */

/*
 * mac_lookup_fn - value of name, or NULL when undefined. The returned
 * string must stay valid until mac_expand() returns.
 */
typedef const char *mac_lookup_fn(const char *name, int mode, void *ctx);

/*
 * mac_expand - expand pattern into result; returns MAC_PARSE_* bits.
 * filter, when not NULL, lists the characters allowed in lookup results
 * (others become '_'), as with Postfix. Recursion is bounded (Postfix's
 * limit of 100 nested expansions: "unreasonable macro call nesting").
 */
int mac_expand(struct buf *result, const char *pattern, int flags,
               const char *filter, mac_lookup_fn *lookup, void *ctx);

#endif
