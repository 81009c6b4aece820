/*
 * cli_conf - "postern conf" and postern invoked as postconf: both are
 *	lib/config/pcf's postconf, with or without Postern's extras.
 */
#include "cli/cli.h"
#include "pcf/pcf.h"
#include "util/util.h"

int
cli_conf_main(int argc, char **argv)
{
    static char progname[] = "postern conf";

    argv[0] = progname;
    return pcf_main(argc, argv, 1);
}

int
cli_postconf_main(int argc, char **argv)
{
    log_set_progname(argv[0]);
    return pcf_main(argc, argv, 0);
}
