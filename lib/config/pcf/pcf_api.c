/*
 * pcf_api - the postconf engine as a library for other modules.
 *
 * DESCRIPTION
 *	pcf_load() reads a configuration exactly as postconf does for its
 *	parameter modes (main.cf, master.cf, built-in, service and
 *	user-defined parameters) with its warnings silenced; the getters
 *	answer with postconf's precedence (master.cf -o, main.cf,
 *	built-in default) and $name expansion.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcf/pcf.h"
#include "pcf/pcf_int.h"

struct pcf *
pcf_load(const char *dir)
{
    struct pcf *p = mem_calloc(1, sizeof(*p));

    p->out = stdout;
    p->param_class = PCF_F_CLASS;
    p->process_name = "postconf";
    p->pid = (long) getpid();
    pcf_init_tables(p, dir);
    p->library = 1;
    log_set_quiet(1);
    pcf_read_main(p);
    pcf_register_builtin(p);
    if (access(p->master_path, F_OK) == 0)
        pcf_read_master(p, 0);
    pcf_register_service(p);
    pcf_register_user(p);
    log_set_quiet(0);
    return p;
}

void
pcf_free(struct pcf *p)
{
    /* The engine's tables live until exit, as in postconf. */
    (void) p;
}

static struct pcf_master *
service(struct pcf *p, const char *ns)
{
    for (size_t m = 0; m < p->nmaster; m++)
        if (strcmp(p->master[m].name_space, ns) == 0)
            return &p->master[m];
    return NULL;
}

static char *
value_in(struct pcf *p, const char *name, struct pcf_master *scope)
{
    struct pcf_node *node = htab_find(p->params, name);
    const char *v = pcf_lookup(p, 0, name, scope, node);

    if (v == NULL)
        return NULL;
    if (node && (node->flags & PCF_F_RAW))
        return mem_strdup(v);
    return pcf_expand(p, 0, v, scope);
}

char *
pcf_value(struct pcf *p, const char *name)
{
    return value_in(p, name, NULL);
}

const char *
pcf_raw_value(struct pcf *p, const char *name)
{
    return pcf_lookup(p, 0, name, NULL, NULL);
}

char *
pcf_service_value(struct pcf *p, const char *service_type, const char *name)
{
    struct pcf_master *ms = service(p, service_type);

    return value_in(p, name, ms);
}

const char *
pcf_source(struct pcf *p, const char *name)
{
    int line = pcf_main_line(p, name);

    if (line == PCF_LINE_CMDLINE)
        return "command line -o";
    if (line == 0)
        return "default";
    snprintf(p->source_buf, sizeof(p->source_buf), "main.cf:%d", line);
    return p->source_buf;
}

struct main_at {
    int line;
    const char *name;
};

static int
line_cmp(const void *a, const void *b)
{
    return ((const struct main_at *) a)->line -
           ((const struct main_at *) b)->line;
}

void
pcf_main_params(struct pcf *p, struct strv *out)
{
    struct strv keys = pcf_dict_keys(p->main);
    struct main_at *at = mem_calloc(keys.n + 1, sizeof(*at));
    size_t n = 0;

    strv_init(out);
    for (size_t i = 0; i < keys.n; i++) {
        int line = pcf_main_line(p, keys.v[i]);

        if (line > 0) {
            at[n].line = line;
            at[n++].name = keys.v[i];
        }
    }
    qsort(at, n, sizeof(*at), line_cmp);
    for (size_t i = 0; i < n; i++)
        strv_add(out, at[i].name);
    mem_free(at);
    strv_fini(&keys);
}

int
pcf_main_param_line(struct pcf *p, const char *name)
{
    int line = pcf_main_line(p, name);

    return line > 0 ? line : 0;
}

enum pcf_kind
pcf_param_kind(struct pcf *p, const char *name)
{
    struct pcf_node *node = htab_find(p->params, name);

    if (node == NULL)
        return PCF_KIND_UNUSED;
    if (node->flags & PCF_F_BUILTIN)
        return PCF_KIND_BUILTIN;
    if (node->flags & PCF_F_SERVICE)
        return PCF_KIND_SERVICE;
    if (node->flags & PCF_F_DBMS)
        return PCF_KIND_DBMS;
    return PCF_KIND_USER;
}

int
pcf_is_known(struct pcf *p, const char *name)
{
    return htab_has(p->params, name);
}

size_t
pcf_service_count(struct pcf *p)
{
    return p->nmaster;
}

const char *
pcf_service_field(struct pcf *p, size_t i, int f)
{
    return p->master[i].argv.v[f];
}

char *const *
pcf_service_args(struct pcf *p, size_t i)
{
    return p->master[i].argv.v + PCF_MASTER_MIN_FIELDS;
}

int
pcf_service_line(struct pcf *p, size_t i)
{
    return p->master[i].line;
}

const char *
pcf_main_path(struct pcf *p)
{
    return p->main_path;
}

const char *
pcf_master_path(struct pcf *p)
{
    return p->master_path;
}

const char *
pcf_service_param(struct pcf *p, size_t i, const char *name)
{
    return pcf_dict_get(p->master[i].all_params, name);
}

int
pcf_service_param_known(struct pcf *p, size_t i, const char *name)
{
    return htab_has(p->params, name) ||
           (p->master[i].valid_names &&
            htab_has(p->master[i].valid_names, name));
}

void
pcf_service_params(struct pcf *p, size_t i, struct strv *out)
{
    *out = pcf_dict_keys(p->master[i].all_params);
    strv_sort(out);
}
