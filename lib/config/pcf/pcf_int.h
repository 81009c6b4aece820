/*
 * pcf_int - internals of the postconf reimplementation.
 */
#ifndef PCF_PCF_INT_H
#define PCF_PCF_INT_H

#include <stdio.h>

#include "conf/conf.h"
#include "mac/mac.h"
#include "pcf/pcf.h"
#include "schema/schema.h"
#include "util/util.h"

enum pcf_dyn {
    PCF_DYN_NONE = 0,
    PCF_DYN_MYHOSTNAME,
    PCF_DYN_MYDOMAIN,
    PCF_DYN_MYNETWORKS,
    PCF_DYN_PROCESS_ID,
    PCF_DYN_PROCESS_NAME,
};

struct pcf_node {
    unsigned flags;
    const char *defval; /* default text, borrowed or == owned */
    char *owned;
    enum pcf_dyn dyn;
    const struct schema_param *sp;
};

/* pcf_dict - name=value table walked in Postfix's hash order */
struct pcf_dict;
struct pcf_dict *pcf_dict_new(void);
/* pcf_dict_new_sized - as Postfix's htable_create(size) */
struct pcf_dict *pcf_dict_new_sized(size_t size);
void pcf_dict_free(struct pcf_dict *d);
const char *pcf_dict_get(const struct pcf_dict *d, const char *key);
void pcf_dict_put(struct pcf_dict *d, const char *key, const char *value);
int pcf_dict_del(struct pcf_dict *d, const char *key);
size_t pcf_dict_count(const struct pcf_dict *d);
/* pcf_dict_keys - keys in Postfix walk order; caller frees with strv_fini */
struct strv pcf_dict_keys(const struct pcf_dict *d);

/* One master.cf entry. */
struct pcf_master {
    char *name_space;            /* service/type */
    struct strv argv;            /* normalized fields */
    int line;                    /* first line in master.cf */
    struct pcf_dict *all_params; /* -o name=value (shared by duplicates) */
    struct pcf_dict *ro_params;  /* process_name, service_name */
    struct htab *valid_names;    /* user-defined names valid here */
};

#define PCF_MASTER_MIN_FIELDS 8
#define PCF_FLD_SERVICE       0
#define PCF_FLD_TYPE          1
#define PCF_FLD_PRIVATE       2
#define PCF_FLD_UNPRIV        3
#define PCF_FLD_CHROOT        4
#define PCF_FLD_WAKEUP        5
#define PCF_FLD_MAXPROC       6
#define PCF_FLD_CMD           7
#define PCF_FLD_WILDC         (-1)

#define PCF_LINE_LIMIT  80
#define PCF_INDENT_LEN  4
#define PCF_INDENT_TEXT "    "
#define PCF_SEPARATORS  " \t\r\n"

struct pcf {
    int mode;
    unsigned param_class;
    int postern; /* invoked as "postern conf": extensions on */
    int json;    /* --json */
    int library; /* loaded by pcf_load(): no fatal host lookups */
    char *config_dir;
    char *main_path;        /* config_dir/main.cf */
    char *master_path;      /* config_dir/master.cf */
    struct pcf_dict *main;  /* main.cf name=value (+ -o overrides) */
    struct htab *main_line; /* name -> line in main.cf, or PCF_LINE_CMDLINE
                             * (intptr_t); kept for postern and the API */
    char source_buf[64];    /* pcf_source() result */
    const char *scan_name;  /* parameter whose value is being scanned */
    struct htab *params;    /* name -> struct pcf_node */
    struct pcf_master *master;
    size_t nmaster;
    int master_read;
    struct htab *namespaces;   /* name_space -> struct pcf_dict */
    struct htab *param_owners; /* -o name -> strv of master indices */
    struct htab *rest_classes;
    struct htab *dbms_files; /* "type:path" seen */
    const char *process_name;
    long pid;
    char *cache[8]; /* dynamic default values, by enum pcf_dyn */
    FILE *out;
};

/* pcf_params.c */
void pcf_init_tables(struct pcf *p, const char *config_dir);
void pcf_param_names(struct pcf *p, struct strv *out);
const char *pcf_suggest(struct pcf *p, const char *name);
#define PCF_LINE_CMDLINE (-1)
int pcf_main_line(struct pcf *p, const char *name);
char *pcf_where(struct pcf *p, struct pcf_master *scope, const char *name);
void pcf_read_main(struct pcf *p);
void pcf_set_overrides(struct pcf *p, char **nv, int n);
void pcf_register_builtin(struct pcf *p);
void pcf_register_service(struct pcf *p);
void pcf_register_user(struct pcf *p);
const char *pcf_node_default(struct pcf *p, const char *name,
                             struct pcf_node *node);
const char *pcf_lookup(struct pcf *p, int mode, const char *name,
                       struct pcf_master *scope, struct pcf_node *node);
char *pcf_expand(struct pcf *p, int mode, const char *value,
                 struct pcf_master *scope);
void pcf_show_parameters(struct pcf *p, char **names, int n);
void pcf_flag_unused_main(struct pcf *p);
void pcf_flag_unused_master(struct pcf *p);
void pcf_print_line(struct pcf *p, const char *fmt, ...) UTIL_PRINTF(2, 3);

/* pcf_master.c */
void pcf_read_master(struct pcf *p, int fail_on_open);
void pcf_show_master_entries(struct pcf *p, char **filters, int n);
void pcf_show_master_fields(struct pcf *p, char **filters, int n);
void pcf_show_master_params(struct pcf *p, char **filters, int n);
extern const char *const pcf_field_names[];
int pcf_parse_service_pattern(const char *pattern, int min, int max,
                              struct strv *out);
int pcf_match(const char *pat, const char *s);
int pcf_field_index(const char *name);
const char *pcf_master_parse(struct pcf_master *ms, const char *text);
void pcf_master_free(struct pcf_master *ms);
void pcf_master_edit_field(struct pcf_master *ms, int field, const char *value);
void pcf_master_edit_param(struct pcf_master *ms, int exclude, const char *name,
                           const char *value);

/* pcf_edit.c */
/*
 * pcf_run - run argv[0] (found in PATH) with argv, no shell: standard
 * output to out_fd (-1: ours), standard error to /dev/null when quiet.
 * Its exit status (127 when the program could not be run), or -1 when
 * fork or wait failed or the program was killed.
 */
int pcf_run(char *const argv[], int out_fd, int quiet);
/* pcf_edit_cleanup - on a fatal error: drop the edit in progress */
void pcf_edit_cleanup(void);
void pcf_edit_main(struct pcf *p, char **args, int n,
                   const struct pcf_edit_opts *eo);
void pcf_edit_master(struct pcf *p, char **args, int n,
                     const struct pcf_edit_opts *eo);
void pcf_print_master_entry(struct pcf *p, FILE *fp, int mode,
                            struct pcf_master *ms);

/* pcf_json.c: --json output of the parameter and master.cf modes */
int pcf_json_show(struct pcf *p, char **names, int n);
int pcf_json_master(struct pcf *p, char **filters, int n);

/* pcf_host.c */
const char *pcf_dynamic_default(struct pcf *p, enum pcf_dyn dyn);

/* pcf_other.c */
void pcf_other_json(int on);
void pcf_show_maps(void);
void pcf_show_locks(void);
void pcf_show_sasl(int mode);

#endif
