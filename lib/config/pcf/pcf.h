/*
 * pcf - postconf: Postfix 3.7's configuration query tool, reimplemented.
 *
 * DESCRIPTION
 *	pcf_cmd_run() is the engine of "postconf" (and of "postern conf"):
 *	given the run its options asked for (struct pcf_cmd), it reads
 *	main.cf and master.cf through lib/config/conf and prints what
 *	postconf prints, byte for byte, with the same warnings on stderr and
 *	the same exit status, or edits the files as postconf -e/-X/-#/-M/-F/-P
 *	do. Postern's own extensions (--json, file:line in warnings) are
 *	selected by flags. The command line (option letters, their
 *	compatibility rules, usage) is lib/tools/cli's (cli_postconf.c).
 */
#ifndef PCF_PCF_H
#define PCF_PCF_H

#include <stddef.h>

/* What we are asked to do (Postfix's PCF_* mode bits, same meaning). */
#define PCF_SHOW_NONDEF    (1 << 0)
#define PCF_SHOW_DEFS      (1 << 1)
#define PCF_HIDE_NAME      (1 << 2)
#define PCF_SHOW_MAPS      (1 << 3)
#define PCF_EDIT_CONF      (1 << 4)
#define PCF_SHOW_LOCKS     (1 << 5)
#define PCF_SHOW_EVAL      (1 << 6)
#define PCF_SHOW_SASL_SERV (1 << 7)
#define PCF_SHOW_SASL_CLNT (1 << 8)
#define PCF_COMMENT_OUT    (1 << 9)
#define PCF_MASTER_ENTRY   (1 << 10)
#define PCF_FOLD_LINE      (1 << 11)
#define PCF_EDIT_EXCL      (1 << 12)
#define PCF_MASTER_FLD     (1 << 13)
#define PCF_MAIN_PARAM     (1 << 14)
#define PCF_EXP_DSN_TEMPL  (1 << 15)
#define PCF_PARAM_CLASS    (1 << 16)
#define PCF_MAIN_OVER      (1 << 17)
#define PCF_DUMP_DSN_TEMPL (1 << 18)
#define PCF_MASTER_PARAM   (1 << 19)
#define PCF_HIDE_VALUE     (1 << 20)
#define PCF_SHOW_TLS       (1 << 21)

/* Parameter node flags (Postfix's PCF_PARAM_FLAG_*); -C takes the classes. */
#define PCF_F_RAW      (1u << 0)
#define PCF_F_BUILTIN  (1u << 1)
#define PCF_F_SERVICE  (1u << 2)
#define PCF_F_USER     (1u << 3)
#define PCF_F_LEGACY   (1u << 4)
#define PCF_F_READONLY (1u << 5)
#define PCF_F_DBMS     (1u << 6)
#define PCF_F_CLASS    (PCF_F_BUILTIN | PCF_F_SERVICE | PCF_F_USER)

/* how an edit writes the file (--dry-run, --force, --backup) */
struct pcf_edit_opts {
    int dry_run;
    int force;
    const char *backup_suffix; /* NULL: no backup */
};

/* struct pcf_cmd - one postconf run, as its command line asked */
struct pcf_cmd {
    int mode;               /* PCF_* mode bits, already checked */
    unsigned param_class;   /* -C: PCF_F_* class bits */
    const char *config_dir; /* -c, or NULL: conf_config_dir(NULL) */
    char **overrides;       /* -o name=value */
    int noverrides;
    char **args; /* the names (or name=value) after the options */
    int nargs;
    int json;            /* --json */
    const char *tls_arg; /* -T mode */
    struct pcf_edit_opts edit;
    int postern; /* "postern conf": Postern's extras */
};

/* pcf_cmd_run - run postconf's engine for c: print or edit as postconf
 * does; returns the exit status. Fatal errors exit, as postconf's do
 * (log_fatal), after dropping an edit in progress. */
int pcf_cmd_run(const struct pcf_cmd *c);

/*
 * Library API: a configuration loaded as postconf sees it, for the
 * other Postern modules (lint, dns, repl, the MTA).
 */
struct pcf;

/* pcf_load - read DIR/main.cf and DIR/master.cf (a missing master.cf is
 * empty); postconf's warnings are silenced. Fatal when main.cf cannot be
 * read. The result lives until exit (or pcf_free). */
struct pcf *pcf_load(const char *dir);
void pcf_free(struct pcf *p);
/* pcf_value - effective value of name with $name expanded; caller frees;
 * NULL for an unknown name */
char *pcf_value(struct pcf *p, const char *name);
/* pcf_raw_value - effective value, not expanded; borrowed; NULL if unknown */
const char *pcf_raw_value(struct pcf *p, const char *name);
/* pcf_service_value - as pcf_value, as seen by master.cf service
 * "service/type" (its -o settings first); NULL if unknown */
char *pcf_service_value(struct pcf *p, const char *service_type,
                        const char *name);
/* pcf_source - where name's value comes from: "main.cf:LINE" or "default" */
const char *pcf_source(struct pcf *p, const char *name);
/* pcf_main_params - the names main.cf sets, in main.cf line order (not
 * command-line overrides); caller frees with strv_fini */
struct strv;
void pcf_main_params(struct pcf *p, struct strv *out);
/* pcf_main_param_line - the main.cf line that sets name, or 0 */
int pcf_main_param_line(struct pcf *p, const char *name);
/* pcf_param_kind - what postconf knows name as (for "postconf -C") */
enum pcf_kind {
    PCF_KIND_UNUSED = 0, /* unknown, and referenced nowhere */
    PCF_KIND_BUILTIN,    /* a Postfix parameter */
    PCF_KIND_SERVICE,    /* a service family parameter: "relay_..." */
    PCF_KIND_DBMS,       /* read by a legacy database table: "ldap_..." */
    PCF_KIND_USER,       /* user-defined, referenced as $name or a class */
};
enum pcf_kind pcf_param_kind(struct pcf *p, const char *name);
/* pcf_is_known - 1 when name is a parameter postconf knows in this config */
int pcf_is_known(struct pcf *p, const char *name);
/* master.cf entries: count, and field f (0..7 = service .. command) of
 * entry i; pcf_service_args - its arguments after the command (borrowed,
 * NULL-terminated); pcf_service_line - its first line in master.cf */
size_t pcf_service_count(struct pcf *p);
const char *pcf_service_field(struct pcf *p, size_t i, int f);
char *const *pcf_service_args(struct pcf *p, size_t i);
int pcf_service_line(struct pcf *p, size_t i);
/* pcf_service_param - the -o value of name in entry i (borrowed), or NULL */
const char *pcf_service_param(struct pcf *p, size_t i, const char *name);
/* pcf_service_param_known - 1 when postconf counts -o name in entry i as
 * used (a known parameter, or a user-defined one referenced there) */
int pcf_service_param_known(struct pcf *p, size_t i, const char *name);
/* pcf_service_params - the -o names of entry i, sorted; caller frees with
 * strv_fini (declared in util/util.h) */
struct strv;
void pcf_service_params(struct pcf *p, size_t i, struct strv *out);
/* pcf_main_path, pcf_master_path - the files read */
const char *pcf_main_path(struct pcf *p);
const char *pcf_master_path(struct pcf *p);

/* pcf_diff_opts - what "postern diff" compares and how */
struct pcf_diff_opts {
    int expand;           /* -x: every effective, expanded value too */
    int json;             /* --json */
    int defaults;         /* --defaults: specs[0] against the defaults */
    const char *specs[2]; /* DIR, MAIN,MASTER, FILE or REV:PATH */
};

/* pcf_diff_run - print the differences on stdout; returns 0 same,
 * 1 different (fatal errors exit 2) */
int pcf_diff_run(const struct pcf_diff_opts *o);

#endif
