/*
 * cli_master - "postern start|start-fg|stop|abort|reload|status|check
 *	[-c DIR]" (also "postfix [-c DIR] start" through a postfix link):
 *	the command line of the mail system.
 *
 * DESCRIPTION
 *	Options, messages and exit status live here; the master process
 *	itself (starting it, its pid file) is lib/daemons/master, and the checks
 *	are master_check(). stop and reload signal the running master.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "conf/conf.h"
#include "master/master.h"
#include "pcf/pcf.h"
#include "server/server.h"
#include "util/util.h"

static int
wait_gone(long pid, int seconds)
{
    for (int i = 0; i < seconds * 20; i++) {
        struct timespec ts = {0, 50000000};

        if (kill((pid_t) pid, 0) < 0 && errno == ESRCH)
            return 0;
        nanosleep(&ts, NULL);
    }
    return -1;
}

static int
cmd_signal(const char *qdir, const char *what, int sig)
{
    long pid = master_running_pid(qdir);

    if (pid <= 0) {
        log_msg(NULL, LOG_LEVEL_FATAL,
                "the Postern mail system is not "
                "running");
        return 1;
    }
    if (kill((pid_t) pid, sig) < 0) {
        log_msg(NULL, LOG_LEVEL_FATAL, "kill %ld: %s", pid, strerror(errno));
        return 1;
    }
    log_info("%s the Postern mail system", what);
    if (sig == SIGTERM || sig == SIGKILL) {
        if (wait_gone(pid, 90) < 0) {
            log_warn("master pid %ld still running", pid);
            return 1;
        }
    }
    return 0;
}

/* check_flags - the options of start, reload and check: flags, or -1
 * (message on stderr) */
static int
check_flags(int argc, char **argv, const char *cmd)
{
    unsigned flags = strcmp(cmd, "check") == 0 ? MASTER_CHECK_VERBOSE : 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--allow-unimplemented") == 0 &&
            strcmp(cmd, "check") != 0) {
            flags |= MASTER_CHECK_ALLOW;
        } else if (strcmp(argv[i], "--json") == 0 &&
                   strcmp(cmd, "check") == 0) {
            flags |= MASTER_CHECK_JSON;
        } else if (strcmp(argv[i], "--config-only") == 0 &&
                   strcmp(cmd, "check") == 0) {
            flags |= MASTER_CHECK_CONFIG_ONLY;
        } else {
            log_msg(NULL, LOG_LEVEL_FATAL, "%s: unknown option: \"%s\"", cmd,
                    argv[i]);
            return -1;
        }
    }
    return (int) flags;
}

static void
usage(FILE *fp, int full)
{
    fprintf(fp, "usage: postern start|start-fg|stop|abort|reload|"
                "status|check [-c DIR]\n"
                "       start, start-fg, reload: "
                "[--allow-unimplemented]\n"
                "       check: [--json] [--config-only]\n");
    if (!full)
        return;
    fprintf(fp,
            "\n"
            "check classifies every main.cf setting and master.cf -o:\n"
            "honoured, a warning (not implemented, harmless to ignore) or\n"
            "an error (not implemented where it changes who may send,\n"
            "what is accepted or where mail goes; or a value that cannot\n"
            "work), each with its file and line.\n"
            "  --json                 the whole classification on stdout\n"
            "  --config-only          leave out the host (users, queue)\n"
            "  --allow-unimplemented  start or reload despite errors about\n"
            "                         unimplemented settings, logging each\n"
            "                         (never past a malformed value)\n"
            "Exit status: 0 no errors (warnings alone keep 0), 1 errors or\n"
            "the action failed, 2 usage.\n");
}

int
cli_master_main(int argc, char **argv)
{
    const char *cmd, *config_dir;
    struct pcf *conf;
    char *qdir;
    int rc, flags;

    config_dir = conf_config_dir(conf_config_dir_arg(&argc, argv, 0));
    if (argc < 1) {
        usage(stderr, 0);
        return 2;
    }
    cmd = argv[0];
    if (strcmp(cmd, "start") != 0 && strcmp(cmd, "start-fg") != 0 &&
        strcmp(cmd, "stop") != 0 && strcmp(cmd, "abort") != 0 &&
        strcmp(cmd, "reload") != 0 && strcmp(cmd, "status") != 0 &&
        strcmp(cmd, "check") != 0) {
        log_msg(NULL, LOG_LEVEL_FATAL, "unknown command: \"%s\"", cmd);
        return 2;
    }
    if (argc == 2 &&
        (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout, 1);
        return 0;
    }
    if ((flags = check_flags(argc, argv, cmd)) < 0)
        return 2;
    if (access(config_dir, R_OK) < 0) {
        log_msg(NULL, LOG_LEVEL_FATAL, "%s: %s", config_dir, strerror(errno));
        return 1;
    }
    conf = pcf_load(config_dir);
    qdir = server_conf_str(conf, NULL, "queue_directory");
    /* check reports this with the rest (master_check) */
    if (qdir[0] != '/' && strcmp(cmd, "check") != 0) {
        log_msg(NULL, LOG_LEVEL_FATAL,
                "queue_directory must be absolute: "
                "\"%s\"",
                qdir);
        return 1;
    }
    if (strcmp(cmd, "start") == 0 || strcmp(cmd, "start-fg") == 0) {
        rc = master_start(conf, config_dir, (unsigned) flags, qdir,
                          strcmp(cmd, "start-fg") == 0);
    } else if (strcmp(cmd, "stop") == 0) {
        rc = cmd_signal(qdir, "stopping", SIGTERM);
    } else if (strcmp(cmd, "abort") == 0) {
        long pid = master_running_pid(qdir);

        /* the whole process group: master and every service */
        rc = pid > 0 && kill((pid_t) -pid, SIGKILL) == 0 ? 0 : 1;
        log_info("%s", rc ? "the Postern mail system is not running"
                          : "aborting the Postern mail system");
    } else if (strcmp(cmd, "reload") == 0) {
        /* a configuration that would not start is not loaded either */
        rc = master_check(conf, config_dir,
                          (unsigned) flags | MASTER_CHECK_RELOAD, NULL);
        if (rc == 0)
            rc = cmd_signal(qdir, "refreshing", SIGHUP);
    } else if (strcmp(cmd, "status") == 0) {
        long pid = master_running_pid(qdir);

        if (pid > 0) {
            log_info("the Postern mail system is running: "
                     "PID: %ld",
                     pid);
            rc = 0;
        } else {
            log_info("the Postern mail system is not "
                     "running");
            rc = 1;
        }
    } else {
        rc = master_check(conf, config_dir, (unsigned) flags, NULL);
    }
    mem_free(qdir);
    return rc;
}

/* cli_postfix_main - invoked as "postfix": argv[0] is the program */
int
cli_postfix_main(int argc, char **argv)
{
    return cli_master_main(argc - 1, argv + 1);
}
