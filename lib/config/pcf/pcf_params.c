/*
 * pcf_params - main.cf parameters: reading, the parameter name space
 *	(built-in, service, user-defined, legacy database), lookup, $name
 *	expansion, printing, and the "unused parameter" report.
 *
 * DESCRIPTION
 *	This follows postconf 3.7 step by step, because its output is
 *	the contract: which names are "known" decides what -n prints and
 *	what is reported as unused; the walk order of the dictionaries
 *	decides the order of warnings (see pcf_dict.c).
 *
 *	Precedence of values: master.cf "-o name=value" of the service at
 *	hand, then main.cf (and -o overrides), then built-in defaults.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pcf/pcf_int.h"

/* Names that Postfix keeps only for backwards-compatible defaults. */
static const char *const legacy_names[] = {
    "authorized_verp_clients",
    "fallback_relay",
    "lmtp_per_record_deadline",
    "postscreen_blacklist_action",
    "postscreen_dnsbl_ttl",
    "postscreen_dnsbl_whitelist_threshold",
    "postscreen_whitelist_interfaces",
    "smtp_per_record_deadline",
    "smtpd_client_connection_limit_exceptions",
    "smtpd_per_record_deadline",
    "tlsproxy_client_level",
    "tlsproxy_client_policy",
    "virtual_maps",
    NULL,
};

static struct pcf_node *
node_new(unsigned flags, const char *defval)
{
    struct pcf_node *n = mem_calloc(1, sizeof(*n));

    n->flags = flags;
    n->defval = defval;
    return n;
}

/* pcf_init_tables - configuration paths and empty tables of a run */
void
pcf_init_tables(struct pcf *p, const char *config_dir)
{
    struct buf b;

    p->config_dir = mem_strdup(config_dir);
    buf_init(&b, 0);
    buf_printf(&b, "%s/main.cf", config_dir);
    p->main_path = buf_steal(&b);
    buf_printf(&b, "%s/master.cf", config_dir);
    p->master_path = buf_steal(&b);
    p->main = pcf_dict_new();
    p->main_line = htab_new(256);
    p->params = htab_new(2048);
    p->namespaces = htab_new(64);
    p->rest_classes = htab_new(16);
    p->dbms_files = htab_new(16);
}

/* pcf_param_names - names of the parameters in p->param_class, sorted */
void
pcf_param_names(struct pcf *p, struct strv *out)
{
    strv_init(out);
    for (size_t i = 0; i < htab_count(p->params); i++) {
        struct pcf_node *node = htab_value(p->params, i);

        if (node->flags & p->param_class)
            strv_add(out, htab_key(p->params, i));
    }
    strv_sort(out);
}

/* read_entry - one main.cf entry, as postconf's dict_load_fp() takes it */
static int
read_entry(const struct conf_entry *e, void *ctx)
{
    struct pcf *p = ctx;
    const char *old, *name, *value;

    if (e->kind == CONF_ENT_ORPHAN) {
        log_warn("%s: logical line must not start with whitespace: "
                 "\"%.30s%s\"",
                 p->main_path, e->text,
                 conf_entry_text_len(e) > 30 ? "..." : "");
        return 0;
    }
    if (e->kind != CONF_ENT_LOGICAL)
        return 0;
    if (e->error)
        log_fatal("%s, line %d: %s: \"%s\"", p->main_path, e->first_line,
                  e->error, e->text);
    name = e->name.text;
    value = e->value.text;
    if ((old = pcf_dict_get(p->main, name)) != NULL && strcmp(old, value) != 0)
        log_warn("%s, line %d: overriding earlier entry: %s=%s", p->main_path,
                 e->first_line, name, old);
    pcf_dict_put(p->main, name, value);
    /* Where each setting is: for postern's warnings, --json and the API. */
    if (p->postern || p->library)
        htab_set(p->main_line, name, (void *) (intptr_t) e->name.line);
    return 0;
}

/*
 * pcf_read_main - load main.cf into the main dictionary, one entry at a
 * time. Under the postconf name, a file that is "hot" (changed in the
 * second before the read began, up to the second it ended) is read
 * again after 0.3 s until it has cooled down, as Postfix's
 * dict_load_file_xt() does, so that a half-written file is not taken:
 * each read repeats its warnings, and a parameter set twice warns on a
 * re-read against the value the previous read ended with. The calls to
 * time() are postconf's, so a test can pin the clock for both.
 */
void
pcf_read_main(struct pcf *p)
{
    struct stat st;
    time_t before, after;
    struct timespec doze = {0, 300 * 1000 * 1000};

    pcf_dict_put(p->main, "config_directory", p->config_dir);
    for (before = time(NULL);; before = after) {
        if (conf_file_scan(p->main_path, CONF_MAIN, read_entry, p) == -1)
            log_fatal("%s %s: %s", errno == EISDIR ? "read" : "open",
                      p->main_path, strerror(errno));
        if (p->postern || p->library)
            break;
        if (stat(p->main_path, &st) < 0)
            log_fatal("fstat %s: %s", p->main_path, strerror(errno));
        after = time(NULL);
        if (st.st_mtime < before - 1 || st.st_mtime > after)
            break;
        nanosleep(&doze, NULL);
    }
}

/*
 * pcf_main_line - where main.cf (or the command line) sets name: its
 * line, PCF_LINE_CMDLINE for "-o name=value", 0 when it is not set.
 */
int
pcf_main_line(struct pcf *p, const char *name)
{
    return (int) (intptr_t) htab_find(p->main_line, name);
}

/* pcf_set_overrides - apply "-o name=value" command-line settings */
void
pcf_set_overrides(struct pcf *p, char **nv, int n)
{
    for (int i = 0; i < n; i++) {
        char *copy = mem_strdup(nv[i]);
        char *name, *value;
        const char *err;

        if ((err = conf_split_nameval(copy, &name, &value)) != NULL)
            log_fatal("invalid parameter override: %s: %s", nv[i], err);
        pcf_dict_put(p->main, name, value);
        htab_set(p->main_line, name, (void *) (intptr_t) PCF_LINE_CMDLINE);
        mem_free(copy);
    }
}

/*
 * pcf_where - "DIR/main.cf" as postconf names the file of a setting; as
 * "postern conf" we add ", line N" where postconf gives no line. The
 * caller frees the result.
 */
char *
pcf_where(struct pcf *p, struct pcf_master *scope, const char *name)
{
    struct buf b;
    int line = 0;

    buf_init(&b, 0);
    buf_printf(&b, "%s/%s", p->config_dir, scope ? "master.cf" : "main.cf");
    if (p->postern) {
        if (scope)
            line = scope->line;
        else if (name)
            line = (int) (intptr_t) htab_find(p->main_line, name);
        if (line > 0)
            buf_printf(&b, ", line %d", line);
    }
    return buf_steal(&b);
}

/* pcf_register_builtin - every built-in parameter from the schema */
void
pcf_register_builtin(struct pcf *p)
{
    static const struct {
        const char *name;
        enum pcf_dyn dyn;
    } dyns[] = {
        {"myhostname", PCF_DYN_MYHOSTNAME},
        {"mydomain", PCF_DYN_MYDOMAIN},
        {"mynetworks", PCF_DYN_MYNETWORKS},
        {"process_id", PCF_DYN_PROCESS_ID},
        {"process_name", PCF_DYN_PROCESS_NAME},
    };

    for (size_t i = 0; i < schema_param_count(); i++) {
        const struct schema_param *sp = schema_param_at(i);
        struct pcf_node *n = node_new(PCF_F_BUILTIN, sp->defval);

        n->sp = sp;
        if (sp->flags & SCHEMA_F_RAW)
            n->flags |= PCF_F_RAW;
        if (sp->flags & SCHEMA_F_READONLY)
            n->flags |= PCF_F_READONLY;
        for (size_t j = 0; j < sizeof(dyns) / sizeof(dyns[0]); j++)
            if (strcmp(sp->name, dyns[j].name) == 0)
                n->dyn = dyns[j].dyn;
        htab_set(p->params, sp->name, n);
    }
    for (const char *const *lp = legacy_names; *lp; lp++)
        if (!htab_has(p->params, *lp))
            htab_set(p->params, *lp, node_new(PCF_F_LEGACY, ""));
}

/* pcf_register_service - parameters that master.cf services create */
void
pcf_register_service(struct pcf *p)
{
    for (size_t m = 0; m < p->nmaster; m++) {
        const char *service = p->master[m].argv.v[PCF_FLD_SERVICE];
        const char *prog = p->master[m].argv.v[PCF_FLD_CMD];

        for (size_t f = 0; f < schema_family_count(); f++) {
            const struct schema_family *fam = schema_family_at(f);
            struct pcf_node *n;
            struct buf name;
            int match = 0;

            for (const char *const *pp = fam->programs; *pp; pp++)
                if (strcmp(*pp, prog) == 0)
                    match = 1;
            if (!match)
                continue;
            buf_init(&name, 0);
            buf_printf(&name, "%s%s", service, fam->suffix);
            if ((n = htab_find(p->params, buf_str(&name))) != NULL) {
                n->flags = (n->flags & ~PCF_F_CLASS) | PCF_F_SERVICE;
            } else {
                n = node_new(PCF_F_SERVICE, NULL);
                n->owned = mem_alloc(strlen(fam->defparam) + 2);
                n->owned[0] = '$';
                memcpy(n->owned + 1, fam->defparam, strlen(fam->defparam) + 1);
                n->defval = n->owned;
                htab_set(p->params, buf_str(&name), n);
            }
            buf_fini(&name);
        }
    }
}

/* pcf_node_default - default value text of a node */
const char *
pcf_node_default(struct pcf *p, const char *name, struct pcf_node *node)
{
    (void) name;
    if (node->dyn != PCF_DYN_NONE)
        return pcf_dynamic_default(p, node->dyn);
    return node->defval ? node->defval : "";
}

const char *
pcf_lookup(struct pcf *p, int mode, const char *name, struct pcf_master *scope,
           struct pcf_node *node)
{
    const char *value = NULL;

    if ((mode & PCF_SHOW_DEFS) == 0) {
        if (scope && scope->ro_params &&
            (value = pcf_dict_get(scope->ro_params, name)) != NULL)
            return value;
        if (scope && scope->all_params &&
            (value = pcf_dict_get(scope->all_params, name)) != NULL)
            return value;
        if ((value = pcf_dict_get(p->main, name)) != NULL)
            return value;
        if (mode & PCF_SHOW_NONDEF)
            return NULL;
    }
    if (node != NULL || (node = htab_find(p->params, name)) != NULL)
        value = pcf_node_default(p, name, node);
    return value;
}

struct eval_ctx {
    struct pcf *p;
    int mode;
    struct pcf_master *scope;
};

static const char *
eval_cb(const char *name, int mode, void *ctx)
{
    struct eval_ctx *ec = ctx;

    (void) mode;
    return pcf_lookup(ec->p, ec->mode, name, ec->scope, NULL);
}

/* pcf_expand - $name expansion of value; caller frees the result */
char *
pcf_expand(struct pcf *p, int mode, const char *value, struct pcf_master *scope)
{
    struct eval_ctx ec = {p, mode & ~PCF_SHOW_NONDEF, scope};
    struct buf b;
    int status;

    buf_init(&b, 0);
    status = mac_expand(&b, value, MAC_EXP_FLAG_RECURSE, NULL, eval_cb, &ec);
    if (status & MAC_PARSE_ERROR)
        log_fatal("macro processing error");
    return buf_steal(&b);
}

/* pcf_print_line - print with normalized whitespace, optionally folded */
void
pcf_print_line(struct pcf *p, const char *fmt, ...)
{
    struct buf b;
    va_list ap;
    char *start, *next;
    size_t line_len = 0, word_len;

    buf_init(&b, 0);
    va_start(ap, fmt);
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    for (start = b.data; *(start += strspn(start, PCF_SEPARATORS)) != 0;
         start = next) {
        word_len = strcspn(start, PCF_SEPARATORS);
        if (*(next = start + word_len) != 0)
            *next++ = 0;
        if (word_len > 0 && line_len > 0) {
            if ((p->mode & PCF_FOLD_LINE) == 0 ||
                line_len + word_len < PCF_LINE_LIMIT) {
                fputc(' ', p->out);
                line_len += 1;
            } else {
                fputs("\n" PCF_INDENT_TEXT, p->out);
                line_len = PCF_INDENT_LEN;
            }
        }
        fputs(start, p->out);
        line_len += word_len;
    }
    fputc('\n', p->out);
    buf_fini(&b);
}

/*
 * User-defined parameters: a name=value in main.cf or master.cf is
 * "used" when its $name appears in another value, or when it is listed
 * in smtpd_restriction_classes.
 */
static void register_dbms(struct pcf *p, const char *value,
                          struct pcf_master *scope);

static void
flag_user(struct pcf *p, const char *name, unsigned cls,
          struct pcf_master *scope)
{
    int supplied = 0;

    if (scope && scope->all_params && pcf_dict_get(scope->all_params, name)) {
        supplied = 1;
        if (!htab_has(scope->valid_names, name))
            htab_set(scope->valid_names, name, NULL);
    } else if (pcf_dict_get(p->main, name)) {
        supplied = 1;
        if (!htab_has(p->params, name))
            htab_set(p->params, name, node_new(cls, ""));
    }
    if (scope == NULL) {
        /* Only the services whose -o settings name it (an index, so that
         * a master.cf with thousands of services stays fast). */
        struct strv *owners = htab_find(p->param_owners, name);

        for (size_t k = 0; owners && k < owners->n; k++) {
            struct pcf_master *ms = &p->master[strtoul(owners->v[k], NULL, 10)];

            supplied = 1;
            if (!htab_has(ms->valid_names, name))
                htab_set(ms->valid_names, name, NULL);
        }
    }
    if (!supplied && (cls & PCF_F_DBMS) == 0 && !htab_has(p->params, name)) {
        char *where = pcf_where(p, scope, p->scan_name);
        const char *hint = p->postern ? pcf_suggest(p, name) : NULL;

        if (hint)
            log_warn("%s: undefined parameter: %s (did you mean %s?)", where,
                     name, hint);
        else
            log_warn("%s: undefined parameter: %s", where, name);
        mem_free(where);
    }
}

struct scan_ctx {
    struct pcf *p;
    struct pcf_master *scope;
};

static const char *
scan_cb(const char *name, int mode, void *ctx)
{
    struct scan_ctx *sc = ctx;

    (void) mode;
    flag_user(sc->p, name, PCF_F_USER, sc->scope);
    return NULL;
}

static void
scan_value(struct pcf *p, const char *value, struct pcf_master *scope)
{
    struct scan_ctx sc = {p, scope};

    (void) mac_expand(NULL, value, MAC_EXP_FLAG_SCAN, NULL, scan_cb, &sc);
}

/* dict_eval_cb - $name lookups confined to one dictionary */
static const char *
dict_eval_cb(const char *name, int mode, void *ctx)
{
    (void) mode;
    return pcf_dict_get(ctx, name);
}

static void
scan_namespace(struct pcf *p, struct pcf_dict *dict, struct pcf_master *scope)
{
    const char *classes = pcf_dict_get(dict, "smtpd_restriction_classes");
    struct strv keys;

    if (classes != NULL) {
        struct buf b;
        char *cp, *name;

        buf_init(&b, 0);
        (void) mac_expand(&b, classes, MAC_EXP_FLAG_RECURSE, NULL, dict_eval_cb,
                          dict);
        cp = buf_data(&b);
        while ((name = conf_tok_next(&cp, CONF_SEP_COMMA_SP)) != NULL) {
            if (scope == NULL && !htab_has(p->rest_classes, name))
                htab_set(p->rest_classes, name, NULL);
            flag_user(p, name, PCF_F_USER, scope);
        }
        buf_fini(&b);
    }

    keys = pcf_dict_keys(dict);
    for (size_t i = 0; i < keys.n; i++) {
        const char *name = keys.v[i];
        const char *value = pcf_dict_get(dict, name);
        struct pcf_node *node;
        char *copy;

        if (value == NULL)
            continue;
        if (scope && !htab_has(scope->valid_names, name) &&
            htab_has(p->rest_classes, name))
            htab_set(scope->valid_names, name, NULL);
        if ((node = htab_find(p->params, name)) != NULL) {
            if (node->flags & PCF_F_READONLY) {
                char *where = pcf_where(p, scope, name);

                log_warn("%s: read-only parameter assignment: %s=%s", where,
                         name, value);
                mem_free(where);
                pcf_dict_del(dict, name);
                continue;
            }
            if (node->flags & PCF_F_LEGACY)
                node->flags = (node->flags & ~PCF_F_CLASS) | PCF_F_USER;
            if (node->flags & PCF_F_RAW)
                continue;
        }
        copy = mem_strdup(value);
        p->scan_name = name;
        scan_value(p, copy, scope);
        /* Only Postfix's own parameters name lookup tables. */
        if (node != NULL && (node->flags & (PCF_F_BUILTIN | PCF_F_SERVICE)))
            register_dbms(p, copy, scope);
        mem_free(copy);
        p->scan_name = NULL;
    }
    strv_fini(&keys);
}

void
pcf_register_user(struct pcf *p)
{
    /* Per-service name spaces from "-o name=value". */
    for (size_t m = 0; m < p->nmaster; m++) {
        struct pcf_master *ms = &p->master[m];
        char **av = ms->argv.v;

        for (size_t f = PCF_MASTER_MIN_FIELDS; f < ms->argv.n; f++) {
            const char *arg = av[f];

            if (arg[0] != '-' || strcmp(arg, "--") == 0)
                break;
            if (arg[1] != 'o' || f + 1 >= ms->argv.n)
                continue;
            if (strcmp(arg, "-o") == 0) {
                char *copy = mem_strdup(av[f + 1]);
                char *name, *value;

                if (conf_split_nameval(copy, &name, &value) == NULL) {
                    struct pcf_dict *d =
                        htab_find(p->namespaces, ms->name_space);

                    if (d == NULL) {
                        d = pcf_dict_new();
                        htab_set(p->namespaces, ms->name_space, d);
                    }
                    pcf_dict_put(d, name, value);
                }
                mem_free(copy);
            }
            f += 1;
        }
        if ((ms->all_params = htab_find(p->namespaces, ms->name_space)))
            ms->valid_names = htab_new(8);
    }
    /* Index: parameter name -> the entries whose -o settings have it. */
    p->param_owners = htab_new(64);
    for (size_t m = 0; m < p->nmaster; m++) {
        struct strv keys;

        if (p->master[m].all_params == NULL)
            continue;
        keys = pcf_dict_keys(p->master[m].all_params);
        for (size_t k = 0; k < keys.n; k++) {
            struct strv *owners = htab_find(p->param_owners, keys.v[k]);
            char idx[32];

            if (owners == NULL) {
                owners = mem_calloc(1, sizeof(*owners));
                htab_set(p->param_owners, keys.v[k], owners);
            }
            snprintf(idx, sizeof(idx), "%zu", m);
            strv_add(owners, idx);
        }
        strv_fini(&keys);
    }
    for (size_t m = 0; m < p->nmaster; m++)
        if (p->master[m].all_params)
            scan_namespace(p, p->master[m].all_params, &p->master[m]);

    /* Defaults may name legacy parameters: those are used, too. */
    {
        struct strv names;

        strv_init(&names);
        for (size_t i = 0; i < htab_count(p->params); i++)
            strv_add(&names, htab_key(p->params, i));
        for (size_t i = 0; i < names.n; i++) {
            struct pcf_node *n = htab_find(p->params, names.v[i]);

            if (n->flags & PCF_F_RAW)
                continue;
            if (pcf_dict_get(p->main, names.v[i]))
                continue;
            scan_value(p, pcf_node_default(p, names.v[i], n), NULL);
        }
        strv_fini(&names);
    }
    scan_namespace(p, p->main, NULL);
}

/*
 * Legacy database parameters: a table "ldap:foo" makes "foo_<suffix>"
 * valid for the suffixes that the ldap client knows; a table
 * "ldap:/path/file.cf" has its file checked for unknown names.
 */
struct dbms_type {
    const char *type;
    int client; /* 1: name is a client config; 0: regexp-like */
};

static const struct dbms_type dbms_types[] = {
    {"ldap", 1},     {"mysql", 1},  {"pgsql", 1}, {"sqlite", 1},
    {"memcache", 1}, {"regexp", 0}, {"pcre", 0},  {NULL, 0},
};

static const struct dbms_type *
dbms_find(const char *type)
{
    for (const struct dbms_type *dp = dbms_types; dp->type; dp++)
        if (strcmp(dp->type, type) == 0)
            return dp;
    return NULL;
}

static void
check_dbms_client(struct pcf *p, const char *type, const char *path)
{
    struct buf spec;
    struct conf_file *cf;
    struct pcf_dict *d;
    struct stat st;
    struct strv keys;
    const char *const *sfx;

    buf_init(&spec, 0);
    buf_printf(&spec, "%s:%s", type, path);
    if (htab_has(p->dbms_files, buf_str(&spec))) {
        buf_fini(&spec);
        return;
    }
    htab_set(p->dbms_files, buf_str(&spec), NULL);
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        log_warn("open \"%s\" configuration \"%s\": not a regular file", type,
                 path);
        buf_fini(&spec);
        return;
    }
    if ((cf = conf_file_read(path, CONF_MAIN)) == NULL) {
        if (errno != EACCES)
            log_warn("open \"%s\" configuration \"%s\": %s", type, path,
                     strerror(errno));
        buf_fini(&spec);
        return;
    }
    d = pcf_dict_new();
    for (size_t i = 0; i < cf->n; i++) {
        const struct conf_entry *e = &cf->ents[i];

        if (e->kind == CONF_ENT_LOGICAL && e->error == NULL)
            pcf_dict_put(d, e->name.text, e->value.text);
    }
    conf_file_free(cf);
    for (sfx = schema_dbms_suffixes(type); sfx && *sfx; sfx++)
        (void) pcf_dict_del(d, *sfx);
    keys = pcf_dict_keys(d);
    for (size_t i = 0; i < keys.n; i++)
        log_warn("%s: unused parameter: %s=%s", buf_str(&spec), keys.v[i],
                 pcf_dict_get(d, keys.v[i]));
    strv_fini(&keys);
    pcf_dict_free(d);
    buf_fini(&spec);
}

static void
dbms_helper(struct pcf *p, char *str, struct pcf_master *scope, int recurse)
{
    char *db_type, *prefix, *err;
    const char *where = scope ? "master.cf" : "main.cf";

    while ((db_type = conf_tok_next(&str, CONF_SEP_COMMA_SP)) != NULL) {
        const struct dbms_type *dp;

        if (*db_type == '{') {
            if ((err = conf_extpar(&db_type, 0)) != NULL) {
                log_warn("%s: %s", where, err);
                mem_free(err);
            }
            if (recurse)
                dbms_helper(p, db_type, scope, recurse);
            continue;
        }
        /* Skip "proxy:" as proxymap does. */
        for (;;) {
            if ((prefix = strchr(db_type, ':')) != NULL)
                *prefix++ = 0;
            if (prefix == NULL || strcmp(db_type, "proxy") != 0)
                break;
            db_type = prefix;
        }
        if (prefix == NULL)
            continue;
        dp = dbms_find(db_type);
        if (*prefix == '/') {
            if (dp && dp->client)
                check_dbms_client(p, db_type, prefix);
            continue;
        }
        if (*prefix == '.')
            continue;
        if (*prefix == '{') {
            int next = recurse;

            if ((err = conf_extpar(&prefix, 0)) != NULL) {
                log_warn("%s: %s", where, err);
                mem_free(err);
            }
            if (dp && !dp->client)
                next = 0;
            dbms_helper(p, prefix, scope, next);
            continue;
        }
        if (dp && dp->client) {
            for (const char *const *sfx = schema_dbms_suffixes(db_type);
                 sfx && *sfx; sfx++) {
                struct buf cand;

                buf_init(&cand, 0);
                buf_printf(&cand, "%s_%s", prefix, *sfx);
                flag_user(p, buf_str(&cand), PCF_F_DBMS | PCF_F_USER, scope);
                buf_fini(&cand);
            }
        }
    }
}

static void
register_dbms(struct pcf *p, const char *value, struct pcf_master *scope)
{
    char *exp = pcf_expand(p, PCF_SHOW_EVAL, value, scope);

    dbms_helper(p, exp, scope, 1);
    mem_free(exp);
}

/* print_parameter - one "name = value" line */
static void
print_parameter(struct pcf *p, const char *name, struct pcf_node *node)
{
    const char *value = pcf_lookup(p, p->mode, name, NULL, node);
    char *exp = NULL;

    if (value == NULL)
        return;
    if (p->mode & PCF_HIDE_VALUE) {
        pcf_print_line(p, "%s\n", name);
        return;
    }
    if ((p->mode & PCF_SHOW_EVAL) && (node->flags & PCF_F_RAW) == 0)
        value = exp = pcf_expand(p, p->mode, value, NULL);
    if ((p->mode & PCF_HIDE_NAME) == 0)
        pcf_print_line(p, "%s = %s\n", name, value);
    else
        pcf_print_line(p, "%s\n", value);
    mem_free(exp);
}

void
pcf_show_parameters(struct pcf *p, char **names, int n)
{
    if (n == 0) {
        struct strv all;

        pcf_param_names(p, &all);
        for (size_t i = 0; i < all.n; i++)
            print_parameter(p, all.v[i], htab_find(p->params, all.v[i]));
        strv_fini(&all);
        return;
    }
    for (int i = 0; i < n; i++) {
        struct pcf_node *node = htab_find(p->params, names[i]);

        if (node == NULL)
            log_warn("%s: unknown parameter", names[i]);
        else
            print_parameter(p, names[i], node);
    }
}

/*
 * pcf_suggest - the known parameter closest to a misspelled name, when
 * it is close enough to be a typo (edit distance 1, or 2 for long names).
 */
const char *
pcf_suggest(struct pcf *p, const char *name)
{
    size_t limit = strlen(name) >= 12 ? 2 : 1;
    const char *best = NULL;
    size_t best_d = limit + 1;

    for (size_t i = 0; i < htab_count(p->params); i++) {
        struct pcf_node *n = htab_value(p->params, i);
        size_t d;

        if ((n->flags & (PCF_F_BUILTIN | PCF_F_SERVICE)) == 0)
            continue;
        d = str_distance(name, htab_key(p->params, i), limit);
        if (d < best_d) {
            best_d = d;
            best = htab_key(p->params, i);
        }
    }
    return best;
}

static void
flag_unused(struct pcf *p, struct pcf_dict *d, struct pcf_master *scope)
{
    struct strv keys = pcf_dict_keys(d);

    for (size_t i = 0; i < keys.n; i++) {
        const char *name = keys.v[i];

        if (!htab_has(p->params, name) &&
            (scope == NULL || !htab_has(scope->valid_names, name))) {
            char *where = pcf_where(p, scope, name);
            const char *hint = p->postern ? pcf_suggest(p, name) : NULL;

            fflush(p->out);
            if (hint)
                log_warn("%s: unused parameter: %s=%s (did you mean %s?)",
                         where, name, pcf_dict_get(d, name), hint);
            else
                log_warn("%s: unused parameter: %s=%s", where, name,
                         pcf_dict_get(d, name));
            mem_free(where);
        }
    }
    strv_fini(&keys);
}

void
pcf_flag_unused_main(struct pcf *p)
{
    flag_unused(p, p->main, NULL);
}

void
pcf_flag_unused_master(struct pcf *p)
{
    for (size_t m = 0; m < p->nmaster; m++)
        if (p->master[m].all_params)
            flag_unused(p, p->master[m].all_params, &p->master[m]);
}
