/*
 * cli_map - "postern map [-a] [postmap options] [type:]file..." is postmap
 *	(with -a first, postalias): cli_postmap.c. The older forms "postern
 *	map build|query [-a]" stay (maps_build writes the type's database,
 *	hash: by default; maps_find answers).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "maps/maps.h"

static const char usage_text[] =
    "usage: postern map [-a] [-bfFhimnNoprsuUvw] [-c config_dir] [-d key] "
    "[-q key] [map_type:]file...\n"
    "       postern map build [-a] FILE...\n"
    "       postern map query [-a] FILE KEY\n"
    "  -a  aliases(5) syntax, as postalias\n";

static char prog_map[] = "postmap", prog_alias[] = "postalias";

int
cli_map_main(int argc, char **argv)
{
    int alias = 0, i = 2, rc = 0;

    if (argc == 2 &&
        (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (argc < 2 ||
        (strcmp(argv[1], "build") != 0 && strcmp(argv[1], "query") != 0)) {
        /* postmap's own syntax */
        if (argc >= 2 && strcmp(argv[1], "-a") == 0) {
            argv[1] = prog_alias;
            return cli_postmap_main(argc - 1, argv + 1);
        }
        argv[0] = prog_map;
        return cli_postmap_main(argc, argv);
    }
    if (argc < 3) {
        fputs(usage_text, stderr);
        return 2;
    }
    if (strcmp(argv[i], "-a") == 0) {
        alias = 1;
        i++;
    }
    if (strcmp(argv[1], "build") == 0) {
        if (i >= argc)
            return 2;
        for (; i < argc; i++)
            rc |= maps_build(argv[i], alias);
        return rc;
    }
    if (argc - i != 2) {
        fprintf(stderr, "usage: postern map query [-a] FILE KEY\n");
        return 2;
    }
    {
        char spec[4200];
        struct maps *m;
        const char *v;
        enum maps_result r;

        snprintf(
            spec, sizeof(spec), "%s%s",
            strchr(argv[i], ':') && argv[i][0] != '/' ? "" : "hash:", argv[i]);
        m = maps_new("postern map", spec, alias ? MAPS_F_ALIAS : 0);
        r = maps_find(m, argv[i + 1], &v);
        if (r == MAPS_FOUND)
            printf("%s\n", v);
        else if (r == MAPS_ERROR)
            log_msg("postern map", LOG_LEVEL_FATAL, "%s", maps_error(m));
        maps_free(m);
        return r == MAPS_FOUND ? 0 : r == MAPS_NOTFOUND ? 1 : 2;
    }
}
