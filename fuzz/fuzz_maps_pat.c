/*
 * fuzz_maps_pat - libFuzzer target for the regexp: and pcre: table
 * parser and lookups (lib/services/maps/maps_pcre.c, issue 19).
 *
 * DESCRIPTION
 *	The first input byte picks the kind (bit 0: pcre, else regexp);
 *	the text up to the first NUL byte is the table, each line after it
 *	a lookup key (header_checks see folded headers, so keys may hold
 *	newlines: "\x01" in a key stands for one). Checks beyond the
 *	sanitizers: a result is a NUL-terminated string, and the same key
 *	gives the same answer twice (match data is reused between calls).
 *
 *	glibc's regcomp needs memory exponential in stacked repetition
 *	operators ("a+++++..."): regexp: inputs with more than 4 of them in a
 *	row are skipped (a table is the administrator's file, and Postfix's
 *	regexp: shares the limit; pcre: inputs are not filtered).
 *
 *	Warnings go to stderr; run with -close_fd_mask=2 to hide them.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "maps/maps_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text, *keys, *save = NULL;
    const uint8_t *nul;
    struct maps_pat *t;
    struct buf r1, r2;

    if (size < 1 || size > 1 << 16)
        return 0;
    nul = memchr(data + 1, 0, size - 1);
    text = mem_strndup((const char *) data + 1,
                       nul ? (size_t) (nul - data - 1) : size - 1);
    keys = nul ? mem_strndup((const char *) nul + 1,
                             size - (size_t) (nul - data) - 1)
               : mem_strdup("");
    if (!(data[0] & 1)) {
        int run = 0;

        for (const char *p = text; *p; p++)
            if (strchr("+*?{}", *p) == NULL)
                run = 0;
            else if (++run > 4)
                goto out;
    }
    t = maps_pat_parse(text, data[0] & 1, "fuzz map");
    buf_init(&r1, 0);
    buf_init(&r2, 0);
    for (char *k = strtok_r(keys, "\n", &save); k;
         k = strtok_r(NULL, "\n", &save)) {
        const char *a, *b;

        for (char *p = k; *p; p++)
            if (*p == 1)
                *p = '\n';
        a = maps_pat_find(t, k, &r1);
        b = maps_pat_find(t, k, &r2);
        if ((a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0))
            abort();
        if (a && strlen(a) != r1.len)
            abort();
    }
    buf_fini(&r1);
    buf_fini(&r2);
    maps_pat_free(t);
out:
    mem_free(text);
    mem_free(keys);
    return 0;
}
