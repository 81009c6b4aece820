/*
 * lint_int - internals of "postern lint".
 */
#ifndef LINT_LINT_INT_H
#define LINT_LINT_INT_H

#include <stdio.h>

#include "conf/conf.h"
#include "dnscheck/dnscheck.h"
#include "pcf/pcf.h"
#include "report/report.h"
#include "schema/schema.h"
#include "util/util.h"

struct lint_opts {
    const char *root; /* --root: prefix for table files */
    long target;      /* --postfix-version as major*10000+minor*100 */
    const char *target_text;
    int fix;               /* --fix */
    struct htab *disabled; /* rule IDs turned off (.postern.yaml) */
    struct htab *severity; /* rule ID -> severity override + 1 */
};

/* One configuration being linted. */
struct lint_ctx {
    const struct lint_opts *o;
    struct report *r;
    struct pcf *p;
    const char *dir;
    char *main_file; /* as shown in findings */
    char *master_file;
    struct conf_file *main_cf; /* NULL when absent */
    struct conf_file *master_cf;
    struct htab *last; /* main.cf name -> last conf_entry (intptr index+1) */
};

extern const struct report_rule lint_rules[];
extern const size_t lint_nrules;

/* lint_check - run every rule on one configuration */
void lint_check(struct lint_ctx *lc);
/* lint_version_parse - "3.7" -> 30700; -1 when malformed */
long lint_version_parse(const char *v);

/*
 * Shared by the rule files (lint_rules.c): lookups and finding helpers.
 */

/* lint_in_list - is s in the NULL-terminated list? */
int lint_in_list(const char *const *list, const char *s);
/* lint_closest - the nearest name in list (edit distance 1, or 2 for long) */
const char *lint_closest(const char *name, const char *const *list);
/* lint_closest_param - the nearest parameter name the schema knows */
const char *lint_closest_param(const char *name);
/* lint_main_entry - the last main.cf assignment of name, or NULL */
const struct conf_entry *lint_main_entry(struct lint_ctx *lc, const char *name);
/* lint_at_value - report a finding at the value of main.cf's name (or file) */
struct report_finding *lint_at_value(struct lint_ctx *lc, const char *id,
                                     const char *name, size_t offset_in_value,
                                     const char *fmt, const char *a,
                                     const char *b, const char *c);
/* lint_at_service - report a finding at master.cf service svc */
struct report_finding *lint_at_service(struct lint_ctx *lc, const char *id,
                                       size_t svc, const char *fmt,
                                       const char *a, const char *b,
                                       const char *c);
/* lint_tokens - split a list value as Postfix does; caller strv_fini()s */
void lint_tokens(const char *value, struct strv *out);
/* lint_undefined_refs - the $names in value no parameter defines */
void lint_undefined_refs(struct lint_ctx *lc, const char *value,
                         struct strv *out);

/*
 * The rules, by job: values (lint_values.c), main.cf (lint_params.c),
 * master.cf (lint_master.c), security (lint_security.c).
 */

/* lint_check_maps - the tables written in param's own main.cf value */
void lint_check_maps(struct lint_ctx *lc, const char *param);
/* lint_check_restrictions - names, arguments and classes of a list */
void lint_check_restrictions(struct lint_ctx *lc, const char *param,
                             const char *value, struct htab *classes);
/* lint_parse_net - an address or CIDR; 0 ok, -1 bad; *v4 set for IPv4 */
int lint_parse_net(const char *tok, unsigned char addr[16], int *len, int *v4);
/* lint_check_networks - mynetworks-style list: syntax and breadth */
void lint_check_networks(struct lint_ctx *lc, const char *param,
                         const char *value, int *covers_all);
/* lint_check_nexthop - [host]:port, host:port, host */
void lint_check_nexthop(struct lint_ctx *lc, const char *param,
                        const char *value);
/* lint_check_interfaces - inet_interfaces entries */
void lint_check_interfaces(struct lint_ctx *lc, const char *value);
/* lint_check_main - rules on each main.cf assignment */
void lint_check_main(struct lint_ctx *lc, struct htab *classes);
/* lint_program - the basename of master.cf service i's command */
const char *lint_program(struct lint_ctx *lc, size_t i);
/* lint_check_master - rules on master.cf entries */
void lint_check_master(struct lint_ctx *lc);
/* lint_check_security - relay, mynetworks, AUTH and TLS rules */
void lint_check_security(struct lint_ctx *lc);

/* lint.c and lint_args.c: the settings of one "postern lint" run */
struct lint_cli {
    struct lint_opts lo;
    struct dnscheck_opts dns_opts;
    struct strv resolvers, public_ips;
    const char *format;
    enum report_sev fail_on;
    const char *config;
    const char *baseline;
    const char *write_baseline;
    int dns;
};
/* lint_usage - the --help text */
void lint_usage(FILE *fp);
/* lint_args - options into o, paths appended to paths; -1 to go on, or
 * the exit status (0 after --help, 2 on a usage error) */
int lint_args(int argc, char **argv, struct lint_cli *o, struct strv *paths);

#endif
