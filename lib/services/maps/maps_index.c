/*
 * maps_index - the source files of lookup tables, in postmap's syntax
 *	("key value", # comments, lines that start with white space
 *	continue the previous one) or postalias's ("name: value"): read
 *	by texthash:, by the file types whose database file is missing
 *	(maps_dbfile.c) and by postmap/postalias (maps_postmap.c).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maps/maps.h"
#include "maps/maps_dbfile.h"

/* maps_parse_text - see maps_dbfile.h */
void
maps_parse_text(char *text, int alias, maps_entry_fn *fn, maps_bad_fn *bad,
                void *ctx)
{
    char *p;
    struct buf logical;
    int lineno = 0, start = 0;

    buf_init(&logical, 0);
    p = text;
    /* logical lines: a line starting with white space continues the
     * previous one; # comments and empty lines separate nothing */
    for (;;) {
        char *nl = p && *p ? strchr(p, '\n') : NULL;
        char *line = p && *p ? p : NULL, *first;
        int cont;

        if (line) {
            if (nl)
                *nl = 0;
            lineno++;
        }
        first = line ? line + strspn(line, " \t\r\f\v") : NULL;
        cont = line && (line[0] == ' ' || line[0] == '\t') && *first != '#' &&
               *first != 0;
        if (line && (line[0] == '#' || *first == 0)) {
            p = nl ? nl + 1 : NULL;
            continue;
        }
        if (line && cont && logical.len) {
            /* postmap (readlline) joins the lines as they are, white
             * space and all; postalias's addresses are re-spaced */
            if (alias) {
                (void) buf_putc(&logical, ' ');
                (void) buf_puts(&logical, str_trim(line));
            } else {
                (void) buf_puts(&logical, line);
            }
            p = nl ? nl + 1 : NULL;
            continue;
        }
        if (logical.len) {
            char *k = logical.data, *v;

            if (alias) {
                v = strchr(k, ':');
                if (v == NULL) {
                    if (bad)
                        bad(ctx, start);
                } else {
                    *v++ = 0;
                    str_trim(k);
                    if (k[0] == '"' && strlen(k) > 1 &&
                        k[strlen(k) - 1] == '"') {
                        k[strlen(k) - 1] = 0;
                        k++;
                    }
                    fn(ctx, k, str_trim(v), start);
                }
            } else {
                size_t kl;

                v = k;
                while (*v && !isspace((unsigned char) *v))
                    v++;
                if (*v)
                    *v++ = 0;
                kl = strlen(k);
                /* an aliases(5) file used as a plain table */
                if (kl > 1 && k[kl - 1] == ':')
                    k[kl - 1] = 0;
                v = str_trim(v);
                if (*v == 0 && bad)
                    bad(ctx, start);
                else
                    fn(ctx, k, v, start);
            }
            buf_truncate(&logical, 0);
        }
        if (line == NULL)
            break;
        start = lineno;
        (void) buf_puts(&logical, alias ? str_trim(line) : line);
        p = nl ? nl + 1 : NULL;
    }
    buf_fini(&logical);
    mem_free(text);
}

int
maps_parse_source(const char *path, int alias, maps_entry_fn *fn,
                  maps_bad_fn *bad, void *ctx)
{
    char *text;
    size_t len;

    if (util_read_file(path, (size_t) 1 << 30, &text, &len) < 0)
        return -1;
    maps_parse_text(text, alias, fn, bad, ctx);
    return 0;
}
