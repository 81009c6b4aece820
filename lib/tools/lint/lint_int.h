/*
 * lint_int - internals of "postern lint".
 */
#ifndef LINT_LINT_INT_H
#define LINT_LINT_INT_H

#include "conf/conf.h"
#include "pcf/pcf.h"
#include "report/report.h"
#include "schema/schema.h"
#include "util/util.h"

struct lint_opts {
    const char *root;          /* --root: prefix for table files */
    long target;               /* --postfix-version as major*10000+minor*100 */
    const char *target_text;
    int fix;                   /* --fix */
    struct htab *disabled;     /* rule IDs turned off (.postern.yaml) */
    struct htab *severity;     /* rule ID -> severity override + 1 */
};

/* One configuration being linted. */
struct lint_ctx {
    const struct lint_opts *o;
    struct report *r;
    struct pcf *p;
    const char *dir;
    char *main_file;     /* as shown in findings */
    char *master_file;
    struct conf_file *main_cf;   /* NULL when absent */
    struct conf_file *master_cf;
    struct htab *last;   /* main.cf name -> last conf_entry (intptr index+1) */
};

extern const struct report_rule lint_rules[];
extern const size_t lint_nrules;

/* lint_check - run every rule on one configuration */
void lint_check(struct lint_ctx *lc);
/* lint_version_parse - "3.7" -> 30700; -1 when malformed */
long lint_version_parse(const char *v);

#endif
