/*
 * fuzz_mac - libFuzzer target for mac_expand() and compatibility levels.
 *
 * DESCRIPTION
 *	The first input byte picks the flags (RECURSE, APPEND, SCAN,
 *	PRINTABLE), whether a filter is used, and whether the text is
 *	also tried as a compatibility level; the rest is the pattern. Names
 *	come from a small fixed table. It includes self-recursive,
 *	relational and chained values, so the nesting limits are reached.
 *	The result buffer has a limit, as real callers' buffers do.
 *
 *	Checks beyond the sanitizers: the status has only MAC_PARSE_*
 *	bits; SCAN leaves the result alone; APPEND keeps what was there;
 *	a level's canonical text formats to itself.
 *
 *	Warnings go to stderr; run with -close_fd_mask=2 to hide them.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mac/mac.h"

#define FUZZ_RESULT_LIMIT (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const defs[][2] = {
    {"a", "A"},
    {"b", "b$a"},
    {"empty", ""},
    {"self", "$self"},
    {"rel", "${{$rel} == {}}"},
    {"dbl", "${{$dbl} == {$dbl}}"},
    {"cond", "${a?{$b}:{$self}}"},
    {"lvl", "3.10"},
    {"bin", "a\tb\x01\x80"},
    {"ws", " x y "},
    {"big", "$b$b$b$b$b$b$b$b$b$b$b$b$b$b$b$b"},
    {"bigger", "$big$big$big$big$big$big$big$big"},
};

static const char *
fuzz_lookup(const char *name, int mode, void *ctx)
{
    (void) mode;
    (void) ctx;
    for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]); i++)
        if (strcmp(defs[i][0], name) == 0)
            return defs[i][1];
    return NULL;
}

static enum mac_op_res
length_eval(const char *left, int tok, const char *right)
{
    size_t l = strlen(left), r = strlen(right);

    switch (tok) {
    case MAC_EXP_OP_TOK_EQ:
        return l == r ? MAC_OP_RES_TRUE : MAC_OP_RES_FALSE;
    case MAC_EXP_OP_TOK_LT:
        return l < r ? MAC_OP_RES_TRUE : MAC_OP_RES_FALSE;
    default:
        return MAC_OP_RES_ERROR;
    }
}

/*
 * check_level - canonical text is a fixed point. (Not level itself:
 * as in Postfix, majors 0..2 print without minor, so "2.1" -> "2".)
 */
static void
check_level(const char *text)
{
    struct buf canon, again;
    long level;

    if ((level = mac_compat_level_parse(text)) < 0)
        return;
    buf_init(&canon, 0);
    buf_init(&again, 0);
    if (mac_compat_level_format(&canon, level) != 0 ||
        (level = mac_compat_level_parse(buf_str(&canon))) < 0 ||
        mac_compat_level_format(&again, level) != 0 ||
        strcmp(buf_str(&canon), buf_str(&again)) != 0)
        abort();
    buf_fini(&canon);
    buf_fini(&again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int relops[] = {MAC_EXP_OP_TOK_EQ, MAC_EXP_OP_TOK_LT, 0};
    static int registered;
    static const char prefix[] = "pre:";
    struct buf result;
    char *pattern;
    int flags = 0, stat;

    if (!registered++)
        mac_relop_register(relops, "length", length_eval);
    if (size < 1)
        return 0;
    if (data[0] & 0x01)
        flags |= MAC_EXP_FLAG_RECURSE;
    if (data[0] & 0x02)
        flags |= MAC_EXP_FLAG_APPEND;
    if (data[0] & 0x04)
        flags |= MAC_EXP_FLAG_SCAN;
    if (data[0] & 0x08)
        flags |= MAC_EXP_FLAG_PRINTABLE;
    pattern = mem_strndup((const char *) data + 1, size - 1);
    if (data[0] & 0x20)
        check_level(pattern);

    buf_init(&result, FUZZ_RESULT_LIMIT);
    if (buf_puts(&result, prefix) < 0)
        abort();
    stat = mac_expand(&result, pattern, flags,
                      (data[0] & 0x10) ? "abcdefghijklmnopqrstuvwxyz." : NULL,
                      fuzz_lookup, NULL);
    if (stat & ~(MAC_PARSE_ERROR | MAC_PARSE_UNDEF))
        abort();
    if ((flags & MAC_EXP_FLAG_SCAN) && strcmp(buf_str(&result), prefix) != 0)
        abort();
    if ((flags & MAC_EXP_FLAG_APPEND) &&
        strncmp(buf_str(&result), prefix, strlen(prefix)) != 0)
        abort();
    if (result.len > FUZZ_RESULT_LIMIT ||
        strlen(buf_str(&result)) != result.len)
        abort();
    buf_fini(&result);
    mem_free(pattern);
    return 0;
}
