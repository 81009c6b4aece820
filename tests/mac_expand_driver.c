/*
 * mac_expand_driver - run Postfix's mac_expand and compat_level test data.
 *
 * DESCRIPTION
 *	mac_expand_driver -e|-x|-c < file.in > file.out 2>&1
 *
 *	Reads the .in files of Postfix's util/mac_expand and global/
 *	compat_level tests and writes what Postfix's test drivers write,
 *	so the output compares byte for byte with their .ref files:
 * .IP -e
 *	util/mac_expand: blocks of "name = value" lines, then an empty
 *	line, then patterns up to an empty line or end of file. Every
 *	line is echoed as "<< line"; each pattern is followed by
 *	"stat=N result=TEXT"; an empty line separates blocks. The
 *	"length" operator suffix is registered, as Postfix's driver does.
 * .IP -x
 *	global/compat_level -x: the same, without "length".
 * .IP -c
 *	global/compat_level -c: convert each line to a level and back.
 * .PP
 *	Warnings go to stderr as "unknown: warning: ...", as from a
 *	Postfix test program; stdout is flushed before each one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mac/mac.h"

#define DEF_SEPARATORS " \t\r\n="

/* read_line - next line without its newline, or NULL at end of file */
static char *
read_line(char **line, size_t *cap)
{
    ssize_t n;

    if ((n = getline(line, cap, stdin)) < 0)
        return NULL;
    if (n > 0 && (*line)[n - 1] == '\n')
        (*line)[n - 1] = 0;
    return *line;
}

/* next_token - Postfix mystrtok(): next token of *cp, advance *cp */
static char *
next_token(char **cp, const char *sep)
{
    char *start = *cp + strspn(*cp, sep), *end;

    if (*start == 0)
        return NULL;
    end = start + strcspn(start, sep);
    if (*end)
        *end++ = 0;
    *cp = end;
    return start;
}

static const char *
table_lookup(const char *name, int mode, void *ctx)
{
    (void) mode;
    return htab_find(ctx, name);
}

static enum mac_op_res
length_eval(const char *left, int tok, const char *right)
{
    size_t l = strlen(left), r = strlen(right);
    int cmp = (l > r) - (l < r);
    int res;

    switch (tok) {
    case MAC_EXP_OP_TOK_EQ:
        res = cmp == 0;
        break;
    case MAC_EXP_OP_TOK_NE:
        res = cmp != 0;
        break;
    case MAC_EXP_OP_TOK_LT:
        res = cmp < 0;
        break;
    case MAC_EXP_OP_TOK_LE:
        res = cmp <= 0;
        break;
    case MAC_EXP_OP_TOK_GE:
        res = cmp >= 0;
        break;
    case MAC_EXP_OP_TOK_GT:
        res = cmp > 0;
        break;
    default:
        log_panic("length_eval: unknown operator: %d", tok);
    }
    return res ? MAC_OP_RES_TRUE : MAC_OP_RES_FALSE;
}

/*
 * Postfix's driver ends each block with an empty line that it never
 * flushes: it shows only when more output follows, not at the end.
 */
static int pending_separator;

/* echo - the driver's "<< line" echo */
static void
echo(const char *line)
{
    if (pending_separator)
        printf("\n");
    pending_separator = 0;
    printf("<< %s\n", line);
    fflush(stdout);
}

static void
test_expand(void)
{
    char *line = NULL, *cp, *name, *value;
    size_t cap = 0;
    struct buf result;
    struct htab *table;
    int stat;

    buf_init(&result, 0);
    while (!feof(stdin)) {
        table = htab_new(16);

        /* Definitions up to an empty line. */
        while (read_line(&line, &cap) != NULL) {
            echo(line);
            if (*line == 0)
                break;
            cp = line;
            if ((name = next_token(&cp, DEF_SEPARATORS)) == NULL)
                continue;
            value = next_token(&cp, DEF_SEPARATORS);
            mem_free(htab_set(table, name, value ? mem_strdup(value) : NULL));
        }

        /* Patterns up to an empty line or end of file. */
        while (read_line(&line, &cap) != NULL) {
            echo(line);
            if (*line == 0)
                break;
            buf_truncate(&result, 0);
            stat = mac_expand(&result, line, MAC_EXP_FLAG_NONE, NULL,
                              table_lookup, table);
            printf("stat=%d result=%s\n", stat, buf_str(&result));
            fflush(stdout);
        }
        htab_free(table, mem_free);
        pending_separator = 1;
    }
    buf_fini(&result);
    free(line);
}

static void
test_convert(void)
{
    char *line = NULL;
    size_t cap = 0;
    struct buf text;
    long level;

    buf_init(&text, 0);
    while (read_line(&line, &cap) != NULL) {
        if ((level = mac_compat_level_parse(line)) < 0) {
            log_warn("malformed compatibility level syntax: \"%s\"", line);
            continue;
        }
        log_info("%s -> 0x%lx", line, level);
        if (mac_compat_level_format(&text, level) < 0) {
            log_warn("bad compatibility level: %ld", level);
            continue;
        }
        log_info("0x%lx->%s", level, buf_str(&text));
    }
    buf_fini(&text);
    free(line);
}

int
main(int argc, char **argv)
{
    static const int all_ops[] = {
        MAC_EXP_OP_TOK_EQ,
        MAC_EXP_OP_TOK_NE,
        MAC_EXP_OP_TOK_GT,
        MAC_EXP_OP_TOK_GE,
        MAC_EXP_OP_TOK_LT,
        MAC_EXP_OP_TOK_LE,
        0,
    };

    log_set_progname("unknown");
    if (argc != 2 || argv[1][0] != '-' || argv[1][1] == 0 || argv[1][2]) {
        fprintf(stderr, "usage: mac_expand_driver -e|-x|-c < input\n");
        return 2;
    }
    switch (argv[1][1]) {
    case 'e':
        mac_relop_register(all_ops, "length", length_eval);
        test_expand();
        break;
    case 'x':
        test_expand();
        break;
    case 'c':
        test_convert();
        break;
    default:
        fprintf(stderr, "usage: mac_expand_driver -e|-x|-c < input\n");
        return 2;
    }
    return 0;
}
