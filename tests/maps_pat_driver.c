/*
 * maps_pat_driver - Postfix's dict_open test for regexp: and pcre:
 * tables (src/util/dict_open.c, as its Makefile.in runs it):
 *	maps_pat_driver TYPE MAP < commands
 * opens TYPE:MAP, then answers each "get KEY" line with "> get KEY" and
 * "KEY=VALUE" or "KEY: not found". The table's warnings go to stderr as
 * "./dict_open: warning: ..." (the .ref files of testdata/maps: Postfix's
 * output).
 */
#include <stdio.h>
#include <string.h>

#include "maillog/maillog.h"
#include "maps/maps.h"

int
main(int argc, char **argv)
{
    char spec[1100], line[1100];
    struct maps *m;

    if (argc != 3) {
        fprintf(stderr, "usage: maps_pat_driver TYPE MAP < commands\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    snprintf(spec, sizeof(spec), "%s:%s", argv[1], argv[2]);
    m = maps_new("dict_open", spec, MAPS_F_NOFOLD);
    if (maps_preload(m) < 0) {
        fprintf(stderr, "%s\n", maps_error(m));
        return 1;
    }
    printf("owner=untrusted (uid=USER)\n");
    while (fgets(line, sizeof(line), stdin)) {
        const char *v;
        char *key;

        line[strcspn(line, "\n")] = 0;
        printf("> %s\n", line);
        if (strncmp(line, "get ", 4) != 0)
            continue;
        key = line + 4;
        switch (maps_find(m, key, &v)) {
        case MAPS_FOUND:
            printf("%s=%s\n", key, v);
            break;
        case MAPS_NOTFOUND:
            printf("%s: not found\n", key);
            break;
        default:
            printf("%s: error: %s\n", key, maps_error(m));
            break;
        }
    }
    maps_free(m);
    return 0;
}
