/*
 * cli_tools - the commands whose work is one library call: postconf
 *	(lib/pcf) and the queue tools (lib/qmgr's qmgr_tool), each with
 *	the name it answers to.
 */
#include <string.h>

#include "cli/cli.h"
#include "pcf/pcf.h"
#include "qmgr/qmgr_tool.h"
#include "util/util.h"

int
cli_conf_main(int argc, char **argv)
{
    argv[0] = (char *) "postern conf";
    return pcf_main(argc, argv, 1);
}

int
cli_postconf_main(int argc, char **argv)
{
    log_set_progname(argv[0]);
    return pcf_main(argc, argv, 0);
}

int
cli_queue_main(int argc, char **argv)
{
    return qmgr_tool_main(argc, argv, "queue");
}

int
cli_mailq_main(int argc, char **argv)
{
    const char *base = strrchr(argv[0], '/');

    return qmgr_tool_main(argc, argv, base ? base + 1 : argv[0]);
}
