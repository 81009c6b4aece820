/*
 * repl - "postern repl", "postern explain" and "postern help TOPIC":
 *	exploring and editing Postfix parameters interactively.
 *
 * DESCRIPTION
 *	repl_main() is an interactive shell over one configuration
 *	directory: line editing, history and tab completion through
 *	libedit on a terminal, a command script on standard input
 *	otherwise. Changes are kept pending until "write", which goes
 *	through the same atomic edit engine as "postern conf -e".
 *
 *	repl_explain_main() prints what the schema and the configuration
 *	say about parameters; repl_help_main() prints a manual page from
 *	docs/man/ as plain text (the text is compiled in at build time).
 */
#ifndef REPL_REPL_H
#define REPL_REPL_H

/* repl_main - "postern repl [-c DIR]" with argv[0] "repl"; returns the
 * exit status: 0 done, 1 a command failed (script mode), 2 usage or I/O */
int repl_main(int argc, char **argv);

/* repl_explain_main - "postern explain [-c DIR] NAME..." and
 * "postern explain --search WORD"; 0 all found, 1 something unknown or
 * nothing found, 2 usage or I/O error */
int repl_explain_main(int argc, char **argv);

/* repl_help_main - "postern help TOPIC": argv[1] is the topic; 0, or 2
 * for an unknown topic (the known ones are listed on stderr) */
int repl_help_main(int argc, char **argv);

/* repl_help_topic - the manual page text of topic ("repl", "conf",
 * "postern", ...) as plain text, static; NULL when there is none */
const char *const *repl_help_topic(const char *topic);

#endif
