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
#include "out/out.h"
#include "pcf/pcf_int.h"

#include <string.h>

int pcf_json_show(struct pcf *p, char **names, int n);

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
    out_obj_str(o, "value", value);
    out_obj_str(o, "default",
                (node->flags & PCF_F_USER) ? NULL
                                           : pcf_node_default(p, name, node));
    exp = (node->flags & PCF_F_RAW) ? mem_strdup(value)
                                    : pcf_expand(p, p->mode, value, NULL);
    out_obj_str(o, "expanded", exp);
    mem_free(exp);
    if ((p->mode & PCF_SHOW_DEFS) == 0)
        src = htab_find(p->main_src, name);
    if (src == NULL && (p->mode & PCF_SHOW_DEFS) == 0
        && strcmp(name, "config_directory") == 0
        && pcf_dict_get(p->main, name))
        src = "command line -c";
    out_obj_str(o, "source", src ? src : "default");
    out_obj_str(o, "class", class_name(node->flags));
    out_obj_str(o, "type", node->sp ? schema_type_name(node->sp->type)
                                    : "string");
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
    out_obj_str(root, "mode", (p->mode & PCF_SHOW_DEFS)     ? "defaults"
                              : (p->mode & PCF_SHOW_NONDEF) ? "non-default"
                                                            : "effective");
    if (n == 0) {
        struct strv all;

        strv_init(&all);
        for (size_t i = 0; i < htab_count(p->params); i++) {
            struct pcf_node *node = htab_value(p->params, i);

            if (node->flags & p->param_class)
                strv_add(&all, htab_key(p->params, i));
        }
        strv_sort(&all);
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
