/*
 * tok822_driver - Postfix's tok822_parse and quote_822_local test
 * programs, for their .in/.ref files (testdata/peer/global).
 *
 * USAGE
 *	tok822_driver -p <in   (tok822_parse: 20-token limit, as Postfix)
 *	tok822_driver -q <in   (quote_822_local: quote, quote_with_flags,
 *	                        unquote)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tok822/tok822.h"

/* next_logical - Postfix's readlline(): a line and its continuations
 * (lines that start with white space), without newlines; empty and
 * '#' lines skipped; 0 at the end */
static int
next_logical(FILE *fp, struct buf *out, struct buf *pending)
{
    char line[65536];

    buf_truncate(out, 0);
    if (pending->len) {
        (void) buf_puts(out, buf_str(pending));
        buf_truncate(pending, 0);
    }
    while (fgets(line, sizeof(line), fp)) {
        size_t n = strlen(line);
        const char *p = line;

        while (n && line[n - 1] == '\n')
            line[--n] = 0;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == 0 || (*p == '#' && p == line))
            continue;
        if (p != line && out->len) {
            (void) buf_puts(out, line);
            continue;
        }
        if (out->len) {
            (void) buf_puts(pending, line);
            return 1;
        }
        (void) buf_puts(out, line);
    }
    return out->len > 0;
}

static void
print_tree(const struct tok822 *list, int indent)
{
    for (const struct tok822 *tp = list; tp; tp = tp->next) {
        if (tp->type < TOK822_MINTOK) {
            printf("%*s %s \"%c\"\n", indent, "", "OP", tp->type);
        } else if (tp->type == TOK822_ADDR) {
            printf("%*s %s\n", indent, "", "address");
            print_tree(tp->head, indent + 2);
        } else if (tp->type == TOK822_STARTGRP) {
            printf("%*s %s\n", indent, "", "group \":\"");
        } else {
            printf("%*s %s \"%s\"\n", indent, "",
                   tp->type == TOK822_COMMENT   ? "comment"
                   : tp->type == TOK822_ATOM    ? "atom"
                   : tp->type == TOK822_QSTRING ? "quoted string"
                   : tp->type == TOK822_DOMLIT  ? "domain literal"
                                                : "unknown",
                   buf_str(&tp->s));
        }
    }
}

static void
parse_mode(void)
{
    struct buf line, pending, out;

    buf_init(&line, 0);
    buf_init(&pending, 0);
    buf_init(&out, 0);
    while (next_logical(stdin, &line, &pending)) {
        struct tok822 *list;

        if (!isatty(0))
            printf(">>>%s<<<\n\n", buf_str(&line));
        list = tok822_parse(buf_str(&line), 20);
        printf("Parse tree:\n");
        print_tree(list, 0);
        printf("\n");
        buf_truncate(&out, 0);
        tok822_internalize(&out, list, 0);
        printf("Internalized:\n%s\n\n", buf_str(&out));
        fflush(stdout);
        buf_truncate(&out, 0);
        tok822_externalize(&out, list, TOK822_STR_TRNC);
        printf("Externalized, no newlines inserted:\n%s\n\n", buf_str(&out));
        fflush(stdout);
        buf_truncate(&out, 0);
        tok822_externalize(&out, list, TOK822_STR_LINE | TOK822_STR_TRNC);
        printf("Externalized, newlines inserted:\n%s\n\n", buf_str(&out));
        tok822_free_tree(list);
    }
    buf_fini(&line);
    buf_fini(&pending);
    buf_fini(&out);
}

static const struct {
    const char *name;
    unsigned flag;
} qflags[] = {
    {"8bitclean", TOK822_QUOTE_8BITCLEAN},
    {"expose_at", TOK822_QUOTE_EXPOSE_AT},
    {"append", TOK822_QUOTE_APPEND},
    {"bare_localpart", TOK822_QUOTE_BARE_LOCALPART},
};

static unsigned
flags_from(const char *s)
{
    unsigned f = 0;
    char *copy = mem_strdup(s), *save = NULL;

    for (char *w = strtok_r(copy, "|, ", &save); w;
         w = strtok_r(NULL, "|, ", &save))
        for (size_t i = 0; i < sizeof(qflags) / sizeof(qflags[0]); i++)
            if (strcmp(w, qflags[i].name) == 0)
                f |= qflags[i].flag;
    mem_free(copy);
    return f;
}

static void
flags_to(struct buf *b, unsigned f)
{
    for (size_t i = 0; i < sizeof(qflags) / sizeof(qflags[0]); i++)
        if (f & qflags[i].flag) {
            if (b->len)
                (void) buf_putc(b, '|');
            (void) buf_puts(b, qflags[i].name);
        }
}

static void
quote_mode(void)
{
    char line[4096];

    while (fgets(line, sizeof(line), stdin)) {
        char *cmd, *arg, *fl;
        static char empty[1];
        struct buf out, fs;

        line[strcspn(line, "\n")] = 0;
        cmd = line + strspn(line, " \t");
        if (*cmd == 0)
            continue;
        arg = cmd + strcspn(cmd, " \t");
        if (*arg)
            *arg++ = 0;
        arg += strspn(arg, " \t");
        if (*arg == 0) {
            fprintf(stderr, "./quote_822_local: warning: missing argument\n");
            continue;
        }
        if (strcmp(arg, "<>") == 0)
            arg = empty;
        buf_init(&out, 0);
        buf_init(&fs, 0);
        if (strcmp(cmd, "quote") == 0) {
            tok822_quote_local(&out, arg, TOK822_QUOTE_DEFAULT);
            printf("'%s' quoted '%s'\n", arg, buf_str(&out));
        } else if (strcmp(cmd, "quote_with_flags") == 0) {
            unsigned f;

            fl = arg;
            arg = fl + strcspn(fl, " \t");
            if (*arg)
                *arg++ = 0;
            arg += strspn(arg, " \t");
            f = flags_from(fl);
            tok822_quote_local(&out, arg, f);
            flags_to(&fs, f);
            printf("'%s' quoted flags=%s '%s'\n", arg, buf_str(&fs),
                   buf_str(&out));
        } else if (strcmp(cmd, "unquote") == 0) {
            tok822_unquote_local(&out, arg);
            printf("'%s' unquoted '%s'\n", arg, buf_str(&out));
        } else {
            fprintf(stderr, "./quote_822_local: warning: unknown command: %s\n",
                    cmd);
        }
        buf_fini(&out);
        buf_fini(&fs);
        fflush(stdout);
    }
}

int
main(int argc, char **argv)
{
    log_set_progname("unknown"); /* as Postfix's test programs */
    if (argc == 2 && strcmp(argv[1], "-p") == 0)
        parse_mode();
    else if (argc == 2 && strcmp(argv[1], "-q") == 0)
        quote_mode();
    else {
        fprintf(stderr, "usage: tok822_driver -p|-q <input\n");
        return 2;
    }
    return 0;
}
