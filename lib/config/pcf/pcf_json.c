/*
 * pcf_json - "postern conf --json": parameters as JSON.
 *
 * DESCRIPTION
 *	For every parameter that postconf would print in the same mode:
 *	its value, its default, its value with $name expanded, its class,
 *	its schema type, and where the value comes from ("default",
 *	"main.cf:LINE" or "command line -o"). Names that postconf would
 *	reject as unknown are listed under "unknown".
 */
#include <string.h>

#include "out/out.h"
#include "pcf/pcf.h"
#include "pcf/pcf_int.h"

static const char *
class_name(unsigned flags)
{
    if (flags & PCF_F_BUILTIN)
        return "builtin";
    if (flags & PCF_F_SERVICE)
        return "service";
    if (flags & PCF_F_USER)
        return "user";
    return "legacy";
}

/* str_json - JSON shows values without the edge blanks postconf's
 * printing drops too (mynetworks ends in a space, continued values have
 * their line breaks' blanks) */
static void
set_trimmed(struct out_val *o, const char *key, const char *value)
{
    char *copy;

    if (value == NULL) {
        out_obj_str(o, key, NULL);
        return;
    }
    copy = mem_strdup(value);
    out_obj_str(o, key, str_trim(copy));
    mem_free(copy);
}

static void
add_param(struct pcf *p, struct out_val *arr, const char *name,
          struct pcf_node *node)
{
    const char *value = pcf_lookup(p, p->mode, name, NULL, node);
    const char *src = NULL;
    struct out_val *o;
    char *exp;

    if (value == NULL)
        return;
    o = out_obj_new();
    out_obj_str(o, "name", name);
    set_trimmed(o, "value", value);
    set_trimmed(o, "default",
                (node->flags & PCF_F_USER) ? NULL
                                           : pcf_node_default(p, name, node));
    exp = (node->flags & PCF_F_RAW) ? mem_strdup(value)
                                    : pcf_expand(p, p->mode, value, NULL);
    set_trimmed(o, "expanded", exp);
    mem_free(exp);
    if ((p->mode & PCF_SHOW_DEFS) == 0)
        src = pcf_main_line(p, name) ? pcf_source(p, name) : NULL;
    if (src == NULL && (p->mode & PCF_SHOW_DEFS) == 0 &&
        strcmp(name, "config_directory") == 0 && pcf_dict_get(p->main, name))
        src = "command line -c";
    out_obj_str(o, "source", src ? src : "default");
    out_obj_str(o, "class", class_name(node->flags));
    out_obj_str(o, "type",
                node->sp ? schema_type_name(node->sp->type) : "string");
    if (node->flags & PCF_F_RAW)
        out_obj_bool(o, "raw", 1);
    out_arr_add(arr, o);
}

int
pcf_json_show(struct pcf *p, char **names, int n)
{
    struct out_val *root = out_obj_new();
    struct out_val *arr = out_arr_new();
    struct out_val *unknown = out_arr_new();

    out_obj_str(root, "config_directory", p->config_dir);
    out_obj_str(root, "mode",
                (p->mode & PCF_SHOW_DEFS)     ? "defaults"
                : (p->mode & PCF_SHOW_NONDEF) ? "non-default"
                                              : "effective");
    if (n == 0) {
        struct strv all;

        pcf_param_names(p, &all);
        for (size_t i = 0; i < all.n; i++)
            add_param(p, arr, all.v[i], htab_find(p->params, all.v[i]));
        strv_fini(&all);
    } else {
        for (int i = 0; i < n; i++) {
            struct pcf_node *node = htab_find(p->params, names[i]);

            if (node == NULL)
                out_arr_str(unknown, names[i]);
            else
                add_param(p, arr, names[i], node);
        }
    }
    out_obj_add(root, "parameters", arr);
    out_obj_add(root, "unknown", unknown);
    if (out_print(root, p->out) < 0)
        log_fatal("write error on standard output");
    out_free(root);
    return 0;
}

/* svc_match - does entry ms match any "service[/type[/...]]" filter? */
static int
svc_match(const struct pcf_master *ms, char **filters, int n)
{
    if (n == 0)
        return 1;
    for (int i = 0; i < n; i++) {
        char *copy = mem_strdup(filters[i]);
        char *cp = copy, *svc, *type;
        int ok;

        svc = conf_tok_next(&cp, "/");
        type = conf_tok_next(&cp, "/");
        ok = svc &&
             (strcmp(svc, "*") == 0 || strcmp(svc, ms->argv.v[0]) == 0) &&
             (type == NULL || strcmp(type, "*") == 0 ||
              strcmp(type, ms->argv.v[1]) == 0);
        mem_free(copy);
        if (ok)
            return 1;
    }
    return 0;
}

/* pcf_json_master - master.cf entries (for -M, -F, -P with --json) */
int
pcf_json_master(struct pcf *p, char **filters, int n)
{
    struct out_val *root = out_obj_new();
    struct out_val *arr = out_arr_new();

    out_obj_str(root, "config_directory", p->config_dir);
    out_obj_str(root, "file", p->master_path);
    for (size_t m = 0; m < p->nmaster; m++) {
        struct pcf_master *ms = &p->master[m];
        struct out_val *o, *args, *params;

        if (!svc_match(ms, filters, n))
            continue;
        o = out_obj_new();
        out_obj_int(o, "line", ms->line);
        for (int f = 0; f < PCF_MASTER_MIN_FIELDS; f++)
            out_obj_str(o, pcf_field_names[f], ms->argv.v[f]);
        args = out_arr_new();
        for (size_t f = PCF_MASTER_MIN_FIELDS; f < ms->argv.n; f++)
            out_arr_str(args, ms->argv.v[f]);
        out_obj_add(o, "args", args);
        params = out_obj_new();
        if (ms->all_params) {
            struct strv keys = pcf_dict_keys(ms->all_params);

            strv_sort(&keys);
            for (size_t i = 0; i < keys.n; i++) {
                struct out_val *pv = out_obj_new();
                const char *v = pcf_dict_get(ms->all_params, keys.v[i]);
                char *exp = pcf_expand(p, 0, v, ms);

                struct buf src;

                buf_init(&src, 0);
                buf_printf(&src, "master.cf:%d -o", ms->line);
                out_obj_str(pv, "value", v);
                out_obj_str(pv, "expanded", exp);
                out_obj_str(pv, "source", buf_str(&src));
                buf_fini(&src);
                out_obj_bool(pv, "known",
                             htab_has(p->params, keys.v[i]) ||
                                 htab_has(ms->valid_names, keys.v[i]));
                out_obj_add(params, keys.v[i], pv);
                mem_free(exp);
            }
            strv_fini(&keys);
        }
        out_obj_add(o, "params", params);
        out_arr_add(arr, o);
    }
    out_obj_add(root, "services", arr);
    if (out_print(root, p->out) < 0)
        log_fatal("write error on standard output");
    out_free(root);
    return 0;
}
