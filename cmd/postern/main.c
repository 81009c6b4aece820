/*
 * postern - the Postern command: configuration tool and mail system.
 *
 * DESCRIPTION
 *	"postern conf ..." is postconf; invoked through a link named
 *	"postconf" the program is postconf, byte for byte.
 */
#include <stdio.h>
#include <string.h>

#include "dnsc/dnsc.h"
#include "lint/lint.h"
#include "maps/maps.h"
#include "master/master.h"
#include "pcf/pcf.h"
#include "pickup/pickup.h"
#include "qmgr/qmgr_tool.h"
#include "repl/repl.h"
#include "util/util.h"

static const char usage_text[] =
    "usage: postern COMMAND [ARGS]\n"
    "\n"
    "Commands:\n"
    "  conf      print or edit Postfix configuration, as postconf(1) does\n"
    "  diff      semantic difference between two configurations\n"
    "  dns       check that DNS agrees with the configuration (MX, SPF, DANE...)\n"
    "  lint      check main.cf and master.cf for mistakes and risks\n"
    "  repl      explore and edit parameters interactively\n"
    "  explain   describe parameters (--search WORD finds them)\n"
    "  start, stop, reload, status, check [-c DIR]\n"
    "            run the bundled mail system from main.cf and master.cf\n"
    "  sendmail  submit a message (also as \"sendmail\" through a link)\n"
    "  queue     list, show, flush, hold or delete queued mail\n"
    "  map       build or query a lookup table (postmap/postalias)\n"
    "  help      this text; \"help TOPIC\" shows a manual page\n"
    "  version   print the version\n"
    "\n"
    "\"postern COMMAND --help\" describes a command. Invoked as \"postconf\",\n"
    "postern is a drop-in for Postfix 3.7's postconf.\n";

int
main(int argc, char **argv)
{
    const char *base = strrchr(argv[0], '/');

    base = base ? base + 1 : argv[0];
    if (strcmp(base, "postconf") == 0) {
        log_set_progname(argv[0]);
        return pcf_main(argc, argv, 0);
    }
    /* MTA links: postfix, sendmail, mailq, postqueue, postsuper */
    if (strcmp(base, "postfix") == 0)
        return master_main(argc - 1, argv + 1, 1);
    if (strcmp(base, "sendmail") == 0)
        return pickup_sendmail_main(argc, argv);
    if (strcmp(base, "postqueue") == 0)
        return qmgr_postqueue_main(argc, argv);
    if (strcmp(base, "mailq") == 0 || strcmp(base, "postsuper") == 0)
        return qmgr_tool_main(argc, argv, base);
    log_set_progname("postern");
    if (argc > 2 && strcmp(argv[1], "help") == 0)
        return repl_help_main(argc - 1, argv + 1);
    if (argc < 2 || strcmp(argv[1], "help") == 0
        || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage_text, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("postern %s (postconf-compatible with Postfix 3.7.11)\n",
               POSTERN_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "conf") == 0) {
        argv[1] = (char *) "postern conf";
        return pcf_main(argc - 1, argv + 1, 1);
    }
    if (strcmp(argv[1], "lint") == 0)
        return lint_main(argc - 1, argv + 1);
    if (strcmp(argv[1], "dns") == 0)
        return dns_main(argc - 1, argv + 1);
    if (strcmp(argv[1], "diff") == 0)
        return pcf_diff_main(argc - 1, argv + 1);
    if (strcmp(argv[1], "repl") == 0)
        return repl_main(argc - 1, argv + 1);
    if (strcmp(argv[1], "explain") == 0)
        return repl_explain_main(argc - 1, argv + 1);
    if (strcmp(argv[1], "start") == 0 || strcmp(argv[1], "start-fg") == 0
        || strcmp(argv[1], "stop") == 0 || strcmp(argv[1], "abort") == 0
        || strcmp(argv[1], "reload") == 0 || strcmp(argv[1], "status") == 0
        || strcmp(argv[1], "check") == 0)
        return master_main(argc - 1, argv + 1, 0);
    if (strcmp(argv[1], "sendmail") == 0)
        return pickup_sendmail_main(argc - 1, argv + 1);
    if (strcmp(argv[1], "queue") == 0)
        return qmgr_tool_main(argc - 1, argv + 1, "queue");
    if (strcmp(argv[1], "map") == 0)
        return maps_main(argc - 1, argv + 1);
    fprintf(stderr, "postern: unknown command \"%s\"\n%s", argv[1], usage_text);
    return 2;
}
