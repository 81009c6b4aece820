/*
 * cli_diff - "postern diff": the command line of the semantic
 *	configuration diff (the comparison is pcf_diff_run in lib/config/pcf).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "pcf/pcf.h"
#include "util/util.h"

static void
diff_usage(FILE *fp)
{
    fputs(
        "usage: postern diff [-C DIR] [-x] [--json] A B\n"
        "       postern diff [-C DIR] [-x] [--json] --defaults B\n"
        "\n"
        "Semantic difference between two Postfix configurations: parameters\n"
        "added, removed and changed; master.cf services added, removed and\n"
        "changed; and per service, the values its daemon sees that changed.\n"
        "Layout, comments and order do not count.\n"
        "\n"
        "A and B may each be:\n"
        "  DIR                  a directory with main.cf and/or master.cf\n"
        "  MAIN.cf,MASTER.cf    a pair of files\n"
        "  FILE                 one main.cf (or a file named master*: one "
        "master.cf)\n"
        "  REV:PATH             PATH (a directory or a main.cf) in git "
        "revision REV\n"
        "\n"
        "  -C DIR        run in DIR first (e.g. a git repository of configs)\n"
        "  -x            also compare every parameter's effective, expanded "
        "value\n"
        "  --defaults B  compare B with Postfix's built-in defaults (shows\n"
        "                settings that merely restate a default)\n"
        "  --json        machine-readable output\n"
        "  --help        this text\n"
        "\n"
        "Colour is used on a terminal unless NO_COLOR is set.\n"
        "Exit status: 0 no difference, 1 differences, 2 trouble.\n"
        "Example: postern diff HEAD~1:postfix postfix/\n",
        fp);
}

int
cli_diff_main(int argc, char **argv)
{
    struct pcf_diff_opts d;
    int nspec = 0;

    memset(&d, 0, sizeof(d));
    log_set_fatal_status(2);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            diff_usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "-x") == 0) {
            d.expand = 1;
        } else if (strcmp(argv[i], "--json") == 0) {
            d.json = 1;
        } else if (strcmp(argv[i], "--defaults") == 0) {
            d.defaults = 1;
        } else if (strcmp(argv[i], "-C") == 0 && i + 1 < argc) {
            if (chdir(argv[++i]) < 0)
                log_fatal("chdir %s: %s", argv[i], strerror(errno));
        } else if (argv[i][0] == '-' && argv[i][1] != 0) {
            log_msg("postern diff", LOG_LEVEL_INFO, "unknown option \"%s\"",
                    argv[i]);
            diff_usage(stderr);
            return 2;
        } else if (nspec < 2) {
            d.specs[nspec++] = argv[i];
        } else {
            diff_usage(stderr);
            return 2;
        }
    }
    if (nspec != (d.defaults ? 1 : 2)) {
        diff_usage(stderr);
        return 2;
    }
    return pcf_diff_run(&d);
}
