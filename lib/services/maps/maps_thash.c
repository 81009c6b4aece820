/*
 * maps_thash - texthash: tables as Postfix's dict_thash reads them, and
 *	Postfix's readllines (logical lines), which cidr: uses too.
 *
 * DESCRIPTION
 *	A logical line is a line that does not start with white space,
 *	and the lines after it that do; blank lines and lines whose first
 *	non-blank is '#' are skipped (they do not end a logical line).
 *
 *	An entry is "key whitespace value": the key ends at the first
 *	white space outside double quotes (a backslash protects the next
 *	character); quotes and backslashes stay in the key, as postmap
 *	keeps them. With Postfix's warnings (file as named, line of the
 *	entry): an unbalanced '"' or a missing key or value ignores the
 *	line; "key: value" is taken as it is ("key:") with a warning (not
 *	for the daemons, which find it as "key" too: maps.c); a
 *	duplicate key keeps the first value, with a warning.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "maillog/maillog.h"
#include "maps/maps_int.h"

void
maps_llines(char *text, maps_lline_fn *fn, void *ctx)
{
    char *p = text;
    struct buf logical;
    int start = 0;

    buf_init(&logical, 0);
    for (int lineno = 1; p && *p; lineno++) {
        char *nl = strchr(p, '\n'), *l;

        if (nl)
            *nl = 0;
        for (l = p; isspace((unsigned char) *l); l++)
            ;
        if (*l == 0 || *l == '#') {
            /* blank lines and comments: skipped, end nothing */
        } else if (l != p && logical.len) {
            (void) buf_puts(&logical, p); /* continuation, as readllines */
        } else {
            if (logical.len)
                fn(ctx, logical.data, start);
            buf_truncate(&logical, 0);
            (void) buf_puts(&logical, l);
            start = lineno;
        }
        p = nl ? nl + 1 : NULL;
    }
    if (logical.len)
        fn(ctx, logical.data, start);
    buf_fini(&logical);
}

struct thash {
    const char *path;
    unsigned flags;
    int lenient;
    maps_entry_fn *fn;
    void *ctx;
    struct htab *seen;
};

static void
entry(void *ctx, char *line, int lineno)
{
    struct thash *th = ctx;
    char *key = line, *value;
    int in_quotes = 0;
    size_t kl;

    for (value = line; *value; value++) {
        if (*value == '\\') {
            if (*++value == 0)
                break;
        } else if (isspace((unsigned char) *value)) {
            if (!in_quotes)
                break;
        } else if (*value == '"') {
            in_quotes = !in_quotes;
        }
    }
    if (in_quotes) {
        log_warn("%s, line %d: unbalanced '\"' in '%s' -- ignoring this line",
                 th->path, lineno, line);
        return;
    }
    if (*value)
        *value++ = 0;
    value = str_trim(value);
    if (*key == 0 || *value == 0) {
        log_warn("%s, line %d: expected format: key whitespace value -- "
                 "ignoring this line",
                 th->path, lineno);
        return;
    }
    kl = strlen(key);
    if (key[kl - 1] == ':' && !th->lenient)
        log_warn("%s, line %d: record is in \"key: value\" format; is this an "
                 "alias file?",
                 th->path, lineno);
    if (!(th->flags & MAPS_F_NOFOLD))
        maps_fold(key);
    if (htab_has(th->seen, key)) {
        log_warn("%s, line %d: duplicate entry: \"%s\"", th->path, lineno, key);
        return;
    }
    (void) htab_set(th->seen, key, NULL);
    th->fn(th->ctx, key, value, lineno);
}

int
maps_thash_parse(const char *path, unsigned flags, int lenient,
                 maps_entry_fn *fn, void *ctx)
{
    char *text;
    size_t len;
    struct thash th = {path, flags, lenient, fn, ctx, NULL};

    if (util_read_file(path, (size_t) 1 << 30, &text, &len) < 0)
        return -1;
    th.seen = htab_new(64);
    maps_llines(text, entry, &th);
    htab_free(th.seen, NULL);
    mem_free(text);
    return 0;
}
