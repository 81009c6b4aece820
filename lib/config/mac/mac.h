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

/*
 * Flags (Postfix MAC_EXP_FLAG_*): RECURSE expands macros in lookup
 * results, APPEND appends to the result instead of resetting it, SCAN
 * calls the lookup for each name and expands nothing, PRINTABLE replaces
 * unprintable characters of lookup results.
 */
#define MAC_EXP_FLAG_NONE      0
#define MAC_EXP_FLAG_RECURSE   (1 << 0)
#define MAC_EXP_FLAG_APPEND    (1 << 1)
#define MAC_EXP_FLAG_SCAN      (1 << 2)
#define MAC_EXP_FLAG_PRINTABLE (1 << 3)

/*
 * Lookup modes passed to the callback: TEST only asks whether the name
 * is defined (${name?...}), USE means the value will be used.
 */
#define MAC_EXP_MODE_TEST 0
#define MAC_EXP_MODE_USE  1

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

/*
 * Relational operators in ${{a} OP {b}}, for custom operator suffixes
 * (Postfix MAC_EXP_OP_TOK_*).
 */
#define MAC_EXP_OP_TOK_NONE 0
#define MAC_EXP_OP_TOK_EQ   1 /* == */
#define MAC_EXP_OP_TOK_NE   2 /* != */
#define MAC_EXP_OP_TOK_LT   3 /* < */
#define MAC_EXP_OP_TOK_LE   4 /* <= */
#define MAC_EXP_OP_TOK_GE   5 /* >= */
#define MAC_EXP_OP_TOK_GT   6 /* > */

/* Result of a relational operator (Postfix MAC_EXP_OP_RES). */
enum mac_op_res {
    MAC_OP_RES_TRUE,
    MAC_OP_RES_FALSE,
    MAC_OP_RES_ERROR, /* the operator logged a warning; MAC_PARSE_ERROR */
};

/*
 * mac_relop_fn - compare left and right (both already expanded) with
 * operator tok (MAC_EXP_OP_TOK_EQ..GT).
 */
typedef enum mac_op_res mac_relop_fn(const char *left, int tok,
                                     const char *right);

/*
 * mac_relop_register - make "OPsuffix" (e.g. "<=length") available for
 * each MAC_EXP_OP_TOK_* in tok_list (terminated by 0), as Postfix's
 * mac_expand_add_relop(). suffix is copied and must be alphanumeric.
 * The "level" suffix (compatibility levels, as Postfix registers for
 * every program that reads main.cf) is built in; "length" exists only
 * where a caller registers it (Postfix's mac_expand test driver does).
 * Call at startup: the registry is process-wide and not locked. A bad
 * suffix, an unknown token or a duplicate is a bug: log_panic().
 */
void mac_relop_register(const int *tok_list, const char *suffix,
                        mac_relop_fn *fn);

/*
 * mac_compat_level_parse - "major[.minor[.patch]]" (Postfix
 * compatibility_level syntax) as one comparable number, as Postfix's
 * compat_level_from_string(); minor and patch range over 0..1023.
 * Returns -1 for malformed text and logs nothing: callers report
 * "malformed compatibility level syntax: \"%s\"" as they see fit.
 */
long mac_compat_level_parse(const char *str);

/*
 * mac_compat_level_format - the canonical text of a parsed level ("2",
 * "3.0", "3.2.1") into out, which is reset first, as Postfix's
 * compat_level_to_string(). Returns 0, or -1 when level is negative or
 * out of range (out is then empty) or out's limit is too small.
 */
int mac_compat_level_format(struct buf *out, long level) WARN_UNUSED;

#endif
