/*
 * lint - "postern lint": typed, version-aware validation of main.cf and
 *	master.cf with stable rule IDs (see docs/rules/).
 */
#ifndef LINT_LINT_H
#define LINT_LINT_H

/* lint_main - "postern lint [options] [PATH...]" with argv[0] "lint";
 * returns 0 clean, 1 findings at or above --fail-on, 2 usage or I/O error */
int lint_main(int argc, char **argv);

#endif
