/*
 * maps_peer_driver - Postfix's dict_open test program (src/util/dict_open.c
 * with -DTEST, as src/util/Makefile.in runs it) over lib/services/maps:
 *	maps_peer_driver [-F] TYPE:NAME < commands
 * opens TYPE:NAME (-F: keys case-folded, dict_open's "fold_fix"), prints
 * the owner line, then answers each "get KEY" line with "> get KEY" and
 * "KEY=VALUE", "KEY: not found" or "KEY: error". A table that cannot be
 * opened prints "./dict_open: error: WHY" first (Postfix's surrogate
 * table), and then fails every lookup. Warnings go to stderr (the test
 * turns "prog: warning: " into "./dict_open: warning: ").
 *	maps_peer_driver -s TYPE:NAME
 * prints every entry, "KEY<tab>VALUE", sorted (postmap -fs; the test
 * data has Postfix's NORANDOMIZE order, which is the sorted one).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maillog/maillog.h"
#include "maps/maps.h"

struct ent {
    char *k, *v;
};
struct ents {
    struct ent *e;
    size_t n;
};

static void
collect(void *ctx, const char *key, const char *value, int line)
{
    struct ents *es = ctx;

    (void) line;
    es->e = realloc(es->e, (es->n + 1) * sizeof(*es->e));
    if (es->e == NULL)
        exit(1);
    es->e[es->n].k = strdup(key);
    es->e[es->n].v = strdup(value);
    es->n++;
}

static int
cmp(const void *a, const void *b)
{
    return strcmp(((const struct ent *) a)->k, ((const struct ent *) b)->k);
}

static int
dump(const char *spec)
{
    struct ents es = {NULL, 0};

    if (maps_walk(spec, MAPS_F_NOFOLD, collect, &es) < 0) {
        fprintf(stderr, "postmap: fatal: cannot list %s\n", spec);
        return 1;
    }
    if (es.n > 0) /* qsort(NULL, 0, ...) is undefined */
        qsort(es.e, es.n, sizeof(*es.e), cmp);
    for (size_t i = 0; i < es.n; i++) {
        printf("%s\t%s\n", es.e[i].k, es.e[i].v);
        free(es.e[i].k);
        free(es.e[i].v);
    }
    free(es.e);
    return 0;
}

int
main(int argc, char **argv)
{
    char line[4100];
    const char *spec, *colon;
    unsigned flags = MAPS_F_NOFOLD;
    struct maps *m;

    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc == 3 && strcmp(argv[1], "-s") == 0)
        return dump(argv[2]);
    if (argc == 3 && strcmp(argv[1], "-F") == 0) {
        flags = 0;
        argv++;
        argc--;
    }
    if (argc != 2 || (colon = strchr(argv[1], ':')) == NULL) {
        fprintf(stderr, "usage: maps_peer_driver [-F] TYPE:NAME < commands\n");
        return 2;
    }
    spec = argv[1];
    m = maps_new("dict_open", spec, flags | MAPS_F_NOWARN);
    if (maps_preload(m) < 0) {
        const char *e = maps_error(m);

        if (strncmp(e, "dict_open: ", 11) == 0)
            e += 11;
        printf("./dict_open: error: %s\n", e);
    }
    /* Postfix: tables read from a file belong to its owner; in-memory
     * ones are trusted */
    if (colon[1] != '{' &&
        (strncmp(spec, "cidr:", 5) == 0 || strncmp(spec, "regexp:", 7) == 0 ||
         strncmp(spec, "pcre:", 5) == 0 || strncmp(spec, "texthash:", 9) == 0))
        printf("owner=untrusted (uid=USER)\n");
    else
        printf("owner=trusted (uid=2147483647)\n");
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
            printf("%s: error\n", key);
            break;
        }
    }
    maps_free(m);
    return 0;
}
