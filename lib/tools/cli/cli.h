/*
 * cli - the command-line layer: the mains of "postern COMMAND" and of
 *	the Postfix-named links (postconf, postfix, sendmail, mailq ...).
 *
 * DESCRIPTION
 *	Each cli_*_main gets argv[0] = the command ("diff", "start", ...)
 *	or the program name (links), parses the options and calls the
 *	library functions of the model and mail-system modules, which
 *	hold no command line of their own. cmd/postern/main.c is the
 *	table that dispatches to them. Returns the exit status.
 */
#ifndef CLI_CLI_H
#define CLI_CLI_H

/* cli_master_main - start, start-fg, stop, abort, reload, status, check */
int cli_master_main(int argc, char **argv);
/* cli_postfix_main - "postfix [-c DIR] COMMAND": argv[0] is "postfix" */
int cli_postfix_main(int argc, char **argv);
/* cli_diff_main - "postern diff": 0 same, 1 different, 2 trouble */
int cli_diff_main(int argc, char **argv);
/* cli_conf_main - "postern conf": postconf with Postern's extras */
int cli_conf_main(int argc, char **argv);
/* cli_postconf_main - invoked as "postconf": Postfix's postconf */
int cli_postconf_main(int argc, char **argv);
/* cli_queue_main - "postern queue list|show|flush|delete|hold|release" */
int cli_queue_main(int argc, char **argv);
/* cli_mailq_main - invoked as "mailq" or "postsuper" (by argv[0]) */
int cli_mailq_main(int argc, char **argv);
/* cli_sendmail_main - the sendmail command (also "postern sendmail");
 * sysexits.h status */
int cli_sendmail_main(int argc, char **argv);
/* cli_sendmail_cmd - "postern sendmail": as above, and --help */
int cli_sendmail_cmd(int argc, char **argv);
/* cli_map_main - "postern map build|query": 0, 1 not found or errors,
 * 2 usage */
int cli_map_main(int argc, char **argv);
/* cli_postmap_main - postmap, postalias, newaliases by argv[0]'s name
 * (cli_postmap.c): Postfix's options, output and exit codes */
int cli_postmap_main(int argc, char **argv);

#endif
