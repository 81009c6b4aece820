/*
 * report - findings with stable rule IDs, and their output formats.
 *
 * DESCRIPTION
 *	The finding model shared by "postern lint" and "postern dns": each
 *	finding names a rule (stable ID such as "PL101"), a severity, the
 *	file:line:column of the offending text (line 0 when there is none),
 *	a message, and optional evidence (e.g. the DNS records seen).
 *	report_write() renders a collection as text, json, sarif (2.1.0),
 *	checkstyle, junit, github (workflow commands) or gitlab (code
 *	quality).
 */
#ifndef REPORT_REPORT_H
#define REPORT_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "util/util.h"

enum report_sev {
    REPORT_ERROR = 0,
    REPORT_WARNING = 1,
    REPORT_INFO = 2,
    REPORT_STYLE = 3,
};

struct report_rule {
    const char *id;      /* stable: never reused for another meaning */
    enum report_sev sev; /* default severity */
    const char *name;    /* short kebab-case name, e.g. "unknown-parameter" */
    const char *summary; /* one line */
};

struct report_finding {
    const char *rule_id;
    enum report_sev sev;
    char *file; /* as given by the caller (relative paths stay relative) */
    int line;   /* 1-based, 0 = whole file */
    int col;    /* 1-based, 0 = unknown */
    char *message;
    char *evidence; /* NULL or extra text (multi-line allowed) */
};

struct report {
    struct report_finding *f;
    size_t n;
    size_t cap;
    const struct report_rule *rules[8]; /* rule tables, for sarif etc. */
    size_t nrules[8];
    size_t ntables;
    const char *tool; /* "postern lint" */
};

void report_init(struct report *r, const char *tool);
void report_fini(struct report *r);
/* report_add_rules - register a rule table (kept by reference) */
void report_add_rules(struct report *r, const struct report_rule *rules,
                      size_t n);
/* report_rule_find - the rule with this ID, or NULL */
const struct report_rule *report_rule_find(const struct report *r,
                                           const char *id);
/* report_add - add a finding; sev < 0 means the rule's default severity */
struct report_finding *report_add(struct report *r, const char *rule_id,
                                  int sev, const char *file, int line, int col,
                                  const char *fmt, ...) UTIL_PRINTF(7, 8);
/* report_set_evidence - attach evidence text to a finding */
void report_set_evidence(struct report_finding *f, const char *text);
/* report_sort - by file, line, column, rule ID */
void report_sort(struct report *r);
/* report_count - findings at or above severity sev (ERROR is highest) */
size_t report_count(const struct report *r, enum report_sev sev);
const char *report_sev_name(enum report_sev sev);
/* report_sev_parse - "error", "warning", "info", "style"; 0 or -1 */
int report_sev_parse(const char *s, enum report_sev *out);
/* report_format_valid - 1 when name is a known output format */
int report_format_valid(const char *format);
/*
 * report_write - render every finding in format ("text", "json",
 * "sarif", "checkstyle", "junit", "github", "gitlab"); color only
 * applies to text. Returns 0, or -1 on an I/O error.
 */
int report_write(const struct report *r, const char *format, FILE *fp,
                 int color);

#define REPORT_FORMATS "text, json, sarif, checkstyle, junit, github, gitlab"

#endif
