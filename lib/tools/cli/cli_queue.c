/*
 * cli_queue - "postern queue", and postern invoked as mailq or
 *	postsuper: their command lines. The work is lib/daemons/qmgr's qmgr_tool
 *	(qmgr_tool.h); postqueue, a set-gid program, keeps its own main
 *	there (cmd/postqueue stays thin).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "conf/conf.h"
#include "pcf/pcf.h"
#include "qmgr/qmgr.h"
#include "qmgr/qmgr_tool.h"

static const char queue_usage[] =
    "usage: postern queue [-c DIR] list [--json] | show ID | "
    "flush | delete ID|ALL | hold ID|ALL | release ID|ALL\n";

/* load - the configuration of -c DIR (taken out of argv), else
 * $MAIL_CONFIG, else /etc/postfix; NULL after a message */
static struct pcf *
load(int *argc, char **argv)
{
    const char *dir = conf_config_dir_arg(argc, argv, 1);

    /* for a program exec'd from here (mailq -> postqueue) */
    if (dir)
        (void) setenv("MAIL_CONFIG", dir, 1);
    dir = conf_config_dir(dir);
    if (access(dir, R_OK) < 0) {
        log_msg(NULL, LOG_LEVEL_FATAL, "%s: %s", dir, strerror(errno));
        return NULL;
    }
    return pcf_load(dir);
}

/* postsuper - postsuper [-c config_dir] -d|-h|-H queue_id|ALL */
static int
postsuper(struct pcf *conf, int argc, char **argv)
{
    if (qmgr_tool_as_mail_owner(conf, "postsuper") < 0)
        return 1;
    if (argc == 3 && argv[1][0] == '-' && strchr("dhH", argv[1][1]) &&
        argv[1][2] == 0) {
        const char *id = strcmp(argv[2], "-") == 0 ? "ALL" : argv[2];

        return qmgr_tool_change(conf,
                                argv[1][1] == 'd'   ? QMGR_DELETE
                                : argv[1][1] == 'h' ? QMGR_HOLD
                                                    : QMGR_RELEASE,
                                id);
    }
    fprintf(stderr, "usage: postsuper [-c config_dir] -d|-h|-H "
                    "queue_id|ALL\n");
    return 2;
}

int
cli_mailq_main(int argc, char **argv)
{
    const char *base = strrchr(argv[0], '/');
    struct pcf *conf;

    base = base ? base + 1 : argv[0];
    if ((conf = load(&argc, argv)) == NULL)
        return 1;
    if (strcmp(base, "mailq") == 0)
        return qmgr_tool_mailq(conf,
                               argc > 1 && strcmp(argv[1], "--json") == 0);
    return postsuper(conf, argc, argv);
}

int
cli_queue_main(int argc, char **argv)
{
    struct pcf *conf;

    if (argc == 2 &&
        (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(queue_usage, stdout);
        return 0;
    }
    if ((conf = load(&argc, argv)) == NULL)
        return 1;
    if (qmgr_tool_as_mail_owner(conf, "postern") < 0)
        return 1;
    if (argc >= 2 && strcmp(argv[1], "list") == 0)
        return qmgr_tool_list(conf, argc > 2 && strcmp(argv[2], "--json") == 0);
    if (argc == 3 && strcmp(argv[1], "show") == 0)
        return qmgr_tool_show(conf, argv[2]);
    if (argc == 2 && strcmp(argv[1], "flush") == 0)
        return qmgr_tool_flush(conf) ? 1 : 0;
    if (argc == 3 && strcmp(argv[1], "delete") == 0)
        return qmgr_tool_change(conf, QMGR_DELETE, argv[2]);
    if (argc == 3 && strcmp(argv[1], "hold") == 0)
        return qmgr_tool_change(conf, QMGR_HOLD, argv[2]);
    if (argc == 3 && strcmp(argv[1], "release") == 0)
        return qmgr_tool_change(conf, QMGR_RELEASE, argv[2]);
    fputs(queue_usage, stderr);
    return 2;
}
