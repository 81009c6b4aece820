/*
 * repl_main - "postern repl [-c DIR]": options, and the script loop.
 *
 * DESCRIPTION
 *	On a terminal the session is interactive (repl_edit.c). Otherwise
 *	standard input is a script: one command per line, blank lines and
 *	"#" comments skipped, results on stdout, and the first command
 *	that fails ends the run with exit status 1. Changes still pending
 *	at the end of a script are dropped, with a warning.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "repl/repl.h"
#include "repl/repl_int.h"

static void
repl_usage(FILE *fp)
{
    fputs("usage: postern repl [-c DIR]\n"
          "\n"
          "Explore and edit the Postfix configuration in DIR (default\n"
          "$MAIL_CONFIG or /etc/postfix) interactively: show, explain, set,\n"
          "unset, diff, lint, expand, services, write, undo, help, quit.\n"
          "Changes stay pending until \"write\". On a terminal: line editing,\n"
          "history ($POSTERN_HISTORY or ~/.postern_history) and Tab\n"
          "completion. Otherwise commands are read from standard input and\n"
          "the first failing command ends the run with exit status 1.\n"
          "\n"
          "  -c DIR   configuration directory\n"
          "  --help   this text\n"
          "\n"
          "Exit status: 0 done, 1 a command failed, 2 usage or I/O error.\n"
          "See also: postern help repl\n",
          fp);
}

/* script - run commands from stdin; 0, or 1 at the first failure */
static int
script(struct repl *r)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc = 0;

    while (!r->quit && (len = getline(&line, &cap, stdin)) >= 0) {
        r->lineno++;
        line[strcspn(line, "\r\n")] = 0;
        if (repl_exec(r, line) < 0) {
            rc = 1;
            break;
        }
    }
    free(line);
    if (rc == 0 && !r->quit && repl_pending(r) > 0)
        log_warn("end of input: %zu unwritten change%s dropped",
                 repl_pending(r), repl_pending(r) == 1 ? "" : "s");
    if (fflush(stdout) != 0 || ferror(stdout)) {
        log_error("write error on standard output");
        rc = 2;
    }
    return rc;
}

int
repl_main(int argc, char **argv)
{
    const char *dir = NULL;
    struct repl *r;
    int rc;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            repl_usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
            dir = argv[++i];
        } else if (strncmp(argv[i], "-c", 2) == 0 && argv[i][2]) {
            dir = argv[i] + 2;
        } else {
            log_msg("postern repl", LOG_LEVEL_INFO,
                    "unexpected argument \"%s\"", argv[i]);
            repl_usage(stderr);
            return 2;
        }
    }
    if (dir == NULL)
        dir = conf_config_dir(NULL);
    log_set_fatal_status(2);
    if ((r = repl_new(dir, isatty(STDIN_FILENO))) == NULL)
        return 2;
    rc = r->interactive ? repl_edit_loop(r) : script(r);
    repl_free(r);
    return rc;
}
