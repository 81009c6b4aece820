/*
 * postern - the Postern command: configuration tool and mail system.
 *
 * DESCRIPTION
 *	"postern conf ..." is postconf; invoked through a link named
 *	"postconf" the program is postconf, byte for byte. This file is
 *	only the tables of commands and links; their mains are the CLI
 *	layer (lib/tools/cli) or a module's own command (lint, dns, repl).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "dnscheck/dnscheck.h"
#include "lint/lint.h"
#include "qmgr/qmgr_tool.h"
#include "repl/repl.h"
#include "util/util.h"

/* A command: its main gets argv[0] = the command name. help is its line
 * in "postern --help", NULL for a command listed with another. */
struct command {
    const char *name;
    int (*main)(int argc, char **argv);
    const char *help;
};

static int help_main(int argc, char **argv);
static int version_main(int argc, char **argv);

static const struct command commands[] = {
    {"conf", cli_conf_main,
     "  conf      print or edit Postfix configuration, as postconf(1) does\n"},
    {"diff", cli_diff_main,
     "  diff      semantic difference between two configurations\n"},
    {"dns", dnscheck_main,
     "  dns       check that DNS agrees with the configuration (MX, SPF, "
     "DANE...)\n"},
    {"lint", lint_main,
     "  lint      check main.cf and master.cf for mistakes and risks\n"},
    {"repl", repl_main,
     "  repl      explore and edit parameters interactively\n"},
    {"explain", repl_explain_main,
     "  explain   describe parameters (--search WORD finds them)\n"},
    {"start", cli_master_main,
     "  start, stop, reload, status, check [-c DIR]\n"
     "            run the bundled mail system from main.cf and master.cf\n"},
    {"start-fg", cli_master_main, NULL},
    {"stop", cli_master_main, NULL},
    {"abort", cli_master_main, NULL},
    {"reload", cli_master_main, NULL},
    {"status", cli_master_main, NULL},
    {"check", cli_master_main, NULL},
    {"sendmail", cli_sendmail_cmd,
     "  sendmail  submit a message (also as \"sendmail\" through a link)\n"},
    {"queue", cli_queue_main,
     "  queue     list, show, flush, hold or delete queued mail\n"},
    {"map", cli_map_main,
     "  map       build or query a lookup table (postmap/postalias)\n"},
    {"help", help_main,
     "  help      this text; \"help TOPIC\" shows a manual page\n"},
    {"--help", help_main, NULL},
    {"-h", help_main, NULL},
    {"version", version_main, "  version   print the version\n"},
    {"--version", version_main, NULL},
};

/* Links: invoked by one of these names postern is that program, and its
 * main gets the whole argv (argv[0] = the program). */
static const struct command links[] = {
    {"postconf", cli_postconf_main, NULL},
    {"postfix", cli_postfix_main, NULL},
    {"sendmail", cli_sendmail_main, NULL},
    {"postqueue", qmgr_postqueue_main, NULL},
    {"mailq", cli_mailq_main, NULL},
    {"postsuper", cli_mailq_main, NULL},
    {"postmap", cli_postmap_main, NULL},
    {"postalias", cli_postmap_main, NULL},
    {"newaliases", cli_postmap_main, NULL},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void
usage(FILE *fp)
{
    fputs("usage: postern COMMAND [ARGS]\n\nCommands:\n", fp);
    for (size_t i = 0; i < COUNT(commands); i++)
        if (commands[i].help)
            fputs(commands[i].help, fp);
    fputs("\n"
          "\"postern COMMAND --help\" describes a command. Invoked as "
          "\"postconf\",\n"
          "postern is a drop-in for Postfix 3.7's postconf.\n",
          fp);
}

/* help_main - "help" alone is the list; "help TOPIC" a manual page */
static int
help_main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[0], "help") == 0)
        return repl_help_main(argc, argv);
    usage(stdout);
    return 0;
}

static int
version_main(int argc, char **argv)
{
    (void) argc;
    (void) argv;
    printf("postern %s (postconf-compatible with Postfix 3.7.11)\n",
           POSTERN_VERSION);
    return 0;
}

static const struct command *
lookup(const struct command *table, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(table[i].name, name) == 0)
            return &table[i];
    return NULL;
}

int
main(int argc, char **argv)
{
    const char *base = strrchr(argv[0], '/');
    const struct command *c;

    base = base ? base + 1 : argv[0];
    if ((c = lookup(links, COUNT(links), base)) != NULL)
        return c->main(argc, argv);
    log_set_progname("postern");
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if ((c = lookup(commands, COUNT(commands), argv[1])) != NULL)
        return c->main(argc - 1, argv + 1);
    log_info("unknown command \"%s\"", argv[1]);
    usage(stderr);
    return 2;
}
