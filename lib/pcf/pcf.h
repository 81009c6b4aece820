/*
 * pcf - postconf: Postfix 3.7's configuration query tool, reimplemented.
 *
 * DESCRIPTION
 *	pcf_main() is the whole of "postconf" (and of "postern conf"):
 *	it parses postconf's options, reads main.cf and master.cf through
 *	lib/conf and prints what postconf prints, byte for byte, with the
 *	same warnings on stderr and the same exit status. Postern's own
 *	extensions (--json, file:line in warnings) are selected by flags.
 */
#ifndef PCF_PCF_H
#define PCF_PCF_H

/* pcf_main - run postconf with argv; returns the exit status */
int pcf_main(int argc, char **argv, int postern_mode);

/* pcf_diff_main - "postern diff"; returns 0 same, 1 different, 2 trouble */
int pcf_diff_main(int argc, char **argv);

#endif
