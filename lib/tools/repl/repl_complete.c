/*
 * repl_complete - what Tab offers in the REPL.
 *
 * DESCRIPTION
 *	The word before the cursor is completed by what the command in
 *	front of it takes: command names first; parameter names for show,
 *	explain, set and unset (those that start with the word, and when
 *	none does, those that contain it); after "NAME=" the values of a
 *	bool or enum parameter (for a list-valued enum, the item after the
 *	last comma); master.cf "service/type/" for set and unset, and
 *	"$name" inside expand. Names come from the loaded configuration,
 *	so service parameters (relay_destination_rate_delay) and
 *	user-defined ones are offered too.
 *
 *	This file knows nothing of libedit: repl_edit.c asks it for
 *	candidates and does the editing, and the tests call it directly.
 */
#include <ctype.h>
#include <string.h>

#include "conf/conf.h"
#include "repl/repl_int.h"

/* add - candidate pre + s + post, when it starts with word */
static void
add(struct strv *out, const char *word, const char *pre, const char *s,
    const char *post)
{
    struct buf b;

    buf_init(&b, 0);
    buf_printf(&b, "%s%s%s", pre, s, post);
    if (str_has_prefix(buf_str(&b), word))
        strv_adopt(out, buf_steal(&b));
    else
        buf_fini(&b);
}

/*
 * add_names - names that start with word (word after the first pre_len
 * bytes, which are pre), or when there are none, those that contain it
 */
static void
add_names(struct strv *out, const struct strv *names, const char *pre,
          const char *word, const char *post)
{
    size_t before = out->n;
    struct buf full;

    buf_init(&full, 0);
    buf_printf(&full, "%s%s", pre, word);
    for (size_t i = 0; i < names->n; i++)
        add(out, buf_str(&full), pre, names->v[i], post);
    if (out->n == before && *word) {
        for (size_t i = 0; i < names->n; i++) {
            if (strstr(names->v[i], word)) {
                struct buf b;

                buf_init(&b, 0);
                buf_printf(&b, "%s%s%s", pre, names->v[i], post);
                strv_adopt(out, buf_steal(&b));
            }
        }
    }
    buf_fini(&full);
}

/* add_services - "service/type" + post for services starting with word */
static void
add_services(struct strv *out, struct repl *r, const char *word,
             const char *post)
{
    for (size_t i = 0; i < r->services.n; i++)
        add(out, word, "", r->services.v[i], post);
}

/* add_values - completions of "NAME=VALUE" in word */
static void
add_values(struct strv *out, const char *word)
{
    const char *eq = strchr(word, '='), *slash, *name;
    const struct schema_param *sp;
    static const char *const bools[] = {"yes", "no", NULL};
    const char *const *vals;
    char *pname, *pre;
    size_t pre_len;

    slash = memchr(word, '/', (size_t) (eq - word));
    name = slash ? strrchr(word, '/') : NULL;
    name = name && name < eq ? name + 1 : word;
    pname = mem_strndup(name, (size_t) (eq - name));
    sp = schema_param_find(pname);
    mem_free(pname);
    if (sp == NULL)
        return;
    if (sp->type == SCHEMA_BOOL)
        vals = bools;
    else if (sp->type == SCHEMA_ENUM && sp->enum_values)
        vals = sp->enum_values;
    else
        return;
    /* A list of enum words: complete the item after the last comma. */
    pre_len = (size_t) (eq + 1 - word);
    if (sp->flags & SCHEMA_F_MULTI) {
        const char *comma = strrchr(eq + 1, ',');

        if (comma)
            pre_len = (size_t) (comma + 1 - word);
    }
    pre = mem_strndup(word, pre_len);
    for (const char *const *v = vals; *v; v++)
        add(out, word, pre, *v, "");
    mem_free(pre);
}

/* set_names - names set in main.cf (known to Postfix or not), for unset */
static void
set_names(struct repl *r, struct strv *out)
{
    struct conf_file *cf =
        conf_file_read(pcf_main_path(repl_view(r)), CONF_MAIN);

    if (cf == NULL)
        return;
    for (size_t i = 0; i < cf->n; i++)
        if (cf->ents[i].kind == CONF_ENT_LOGICAL && !cf->ents[i].error)
            strv_add(out, cf->ents[i].name.text);
    conf_file_free(cf);
    strv_uniq(out);
}

/* service_names - "-o" names of service "svc/type" (len bytes) */
static void
service_names(struct repl *r, const char *svc, size_t len, struct strv *out)
{
    struct pcf *p = repl_view(r);

    for (size_t i = 0; i < r->services.n; i++) {
        struct strv opts;

        if (strlen(r->services.v[i]) != len ||
            strncmp(r->services.v[i], svc, len) != 0)
            continue;
        pcf_service_params(p, i, &opts);
        for (size_t k = 0; k < opts.n; k++)
            strv_add(out, opts.v[k]);
        strv_fini(&opts);
    }
    strv_sort(out);
}

/* complete_key - NAME or SERVICE/TYPE/NAME for set and unset */
static void
complete_key(struct repl *r, const char *word, int unset, struct strv *out)
{
    const char *last = strrchr(word, '/');
    const char *post = unset ? "" : "=";

    if (last && strchr(word, '/') != last) {
        /* service/type/NAME */
        struct strv names;
        char *pre = mem_strndup(word, (size_t) (last + 1 - word));

        strv_init(&names);
        if (unset)
            service_names(r, word, (size_t) (last - word), &names);
        add_names(out, unset ? &names : &r->names, pre, last + 1, post);
        strv_fini(&names);
        mem_free(pre);
        return;
    }
    if (last) {
        add_services(out, r, word, "/");
        return;
    }
    if (unset) {
        struct strv names;

        strv_init(&names);
        set_names(r, &names);
        add_names(out, &names, "", word, post);
        strv_fini(&names);
    } else {
        add_names(out, &r->names, "", word, post);
    }
    add_services(out, r, word, "/");
}

/* complete_dollar - "$name", "${name", "$(name" inside expand */
static void
complete_dollar(struct repl *r, const char *word, struct strv *out)
{
    const char *d = strrchr(word, '$'), *name;
    char *pre;

    if (d == NULL)
        return;
    name = d + 1;
    if (*name == '{' || *name == '(')
        name++;
    pre = mem_strndup(word, (size_t) (name - word));
    add_names(out, &r->names, pre, name, "");
    mem_free(pre);
}

void
repl_complete(struct repl *r, const char *line, size_t cursor, struct strv *out,
              size_t *start)
{
    size_t ws = cursor, nwords = 0;
    char *word, *cmd = NULL;
    const char *cp;

    (void) repl_view(r);
    while (ws > 0 && !isspace((unsigned char) line[ws - 1]))
        ws--;
    *start = ws;
    word = mem_strndup(line + ws, cursor - ws);
    /* The command word, and how many words come before this one. */
    for (cp = line; cp < line + ws;) {
        size_t n;

        while (cp < line + ws && isspace((unsigned char) *cp))
            cp++;
        if (cp >= line + ws)
            break;
        n = strcspn(cp, " \t");
        if (nwords++ == 0)
            cmd = mem_strndup(cp, n);
        cp += n;
    }
    if (cmd == NULL || strcmp(cmd, "help") == 0) {
        if (cmd == NULL || nwords == 1)
            for (const char *const *c = repl_commands; *c; c++)
                add(out, word, "", *c, "");
    } else if (strcmp(cmd, "show") == 0 || strcmp(cmd, "explain") == 0) {
        if (*word == '-' && strcmp(cmd, "show") == 0)
            add(out, word, "", "-x", "");
        else
            add_names(out, &r->names, "", word, "");
    } else if (strcmp(cmd, "set") == 0) {
        if (strchr(word, '='))
            add_values(out, word);
        else if (*word == '-')
            add(out, word, "", "--force", "");
        else
            complete_key(r, word, 0, out);
    } else if (strcmp(cmd, "unset") == 0) {
        if (nwords == 1)
            complete_key(r, word, 1, out);
    } else if (strcmp(cmd, "expand") == 0) {
        complete_dollar(r, word, out);
    } else if (strcmp(cmd, "services") == 0) {
        add_services(out, r, word, "");
    } else if (strcmp(cmd, "quit") == 0 || strcmp(cmd, "exit") == 0) {
        add(out, word, "", "-f", "");
    }
    strv_uniq(out);
    mem_free(word);
    mem_free(cmd);
}
