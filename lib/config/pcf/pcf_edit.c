/*
 * pcf_edit - postconf's editing modes: -e, -X, -# on main.cf and -M, -F,
 *	-P edits (with -e, -X, -#) on master.cf.
 *
 * DESCRIPTION
 *	The new text is computed exactly as postconf 3.7 computes it (a
 *	line-by-line copy that replaces, removes or comments out the
 *	entries named on the command line and appends new ones), so the
 *	file that results is byte-identical to what postconf writes.
 *	Everything else in the file is copied as it is.
 *
 *	Writing goes through conf_edit_*: locked, atomic, mode, owner and
 *	group kept. As "postern conf" three options go beyond postconf:
 *	--dry-run (show the change as a unified diff, write nothing),
 *	--backup[=SUFFIX] (keep the previous file) and --force (write a
 *	value that the schema says is invalid; without it such a value is
 *	refused with an explanation).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcf/pcf_int.h"

/* The edit in progress, so that a fatal error removes its temp file. */
static struct conf_edit *active_edit;

void
pcf_edit_cleanup(void)
{
    if (active_edit) {
        conf_edit_abort(active_edit);
        active_edit = NULL;
    }
}

/* struct lines - the physical lines of a file, each ending in '\n' */
struct lines {
    struct strv v;
    size_t i;
};

static void
lines_init(struct lines *ls, const char *data, size_t len)
{
    size_t off = 0;

    strv_init(&ls->v);
    ls->i = 0;
    while (off < len) {
        const char *nl = memchr(data + off, '\n', len - off);
        size_t n = nl ? (size_t) (nl - data - off) + 1 : len - off;
        char *line = mem_alloc(n + 2);

        memcpy(line, data + off, n);
        if (line[n - 1] != '\n')
            line[n++] = '\n';
        line[n] = 0;
        strv_adopt(&ls->v, line);
        off += nl ? (size_t) (nl - data - off) + 1 : len - off;
    }
}

/* content - first non-blank of a line, or NULL for comment/blank lines */
static const char *
content(const char *line)
{
    const char *cp = line;

    while (isspace((unsigned char) *cp))
        cp++;
    return (*cp == '#' || *cp == 0) ? NULL : cp;
}

/* next_content - next content line; comment/blank lines go to out */
static const char *
next_content(struct lines *ls, struct buf *out, const char **line)
{
    while (ls->i < ls->v.n) {
        const char *l = ls->v.v[ls->i++];
        const char *cp = content(l);

        if (cp) {
            *line = l;
            return cp;
        }
        buf_puts(out, l);
    }
    return NULL;
}

/* check_value - refuse a value the schema says is invalid (postern only) */
static void
check_value(struct pcf *p, const char *name, const char *value,
            const struct pcf_edit_opts *eo)
{
    const struct schema_param *sp;
    struct buf why;

    if (!p->postern || (sp = schema_param_find(name)) == NULL)
        return;
    buf_init(&why, 0);
    if (schema_value_check(sp, value, &why) < 0) {
        if (eo->force)
            log_warn("%s=%s: %s (written anyway: --force)", name, value,
                     buf_str(&why));
        else
            log_fatal("%s=%s: %s; nothing was written (use --force to "
                      "write it anyway)",
                      name, value, buf_str(&why));
    }
    buf_fini(&why);
}

/* diff_show - the change as a unified diff on stdout, via diff(1); the
 * program is run directly (no shell sees the file's name) */
static void
diff_show(const char *path, const char *old, size_t oldlen, const char *new,
          size_t newlen)
{
    char a[] = "/tmp/postern-a.XXXXXX", b[] = "/tmp/postern-b.XXXXXX";
    int fa = mkstemp(a), fb = mkstemp(b);
    struct buf label_b;
    struct strv argv;
    int rc;

    if (fa < 0 || fb < 0)
        log_fatal("create temporary file: %s", strerror(errno));
    if (write(fa, old, oldlen) != (ssize_t) oldlen ||
        write(fb, new, newlen) != (ssize_t) newlen)
        log_fatal("write temporary file: %s", strerror(errno));
    close(fa);
    close(fb);
    buf_init(&label_b, 0);
    buf_printf(&label_b, "%s (new)", path);
    strv_init(&argv);
    strv_add(&argv, "diff");
    strv_add(&argv, "-u");
    strv_add(&argv, "--label");
    strv_add(&argv, path);
    strv_add(&argv, "--label");
    strv_add(&argv, buf_str(&label_b));
    strv_add(&argv, a);
    strv_add(&argv, b);
    rc = pcf_run(argv.v, -1, 0);
    unlink(a);
    unlink(b);
    strv_fini(&argv);
    buf_fini(&label_b);
    if (rc < 0 || rc > 1)
        log_fatal("cannot run diff(1) to show the change");
}

/* commit - write the edited text, or show it with --dry-run */
static void
commit(struct conf_edit *ed, struct buf *out, const struct pcf_edit_opts *eo)
{
    char *err = NULL;

    active_edit = NULL;
    if (eo->dry_run) {
        if (out->len == ed->len && memcmp(out->data, ed->data, ed->len) == 0)
            printf("%s: no change\n", ed->path);
        else
            diff_show(ed->path, ed->data, ed->len, buf_str(out), out->len);
        conf_edit_abort(ed);
        return;
    }
    if (conf_edit_commit(ed, buf_str(out), out->len, eo->backup_suffix, &err) <
        0)
        log_fatal("%s", err);
}

struct req {
    char *name;
    char *value; /* NULL for -X and -# */
    int found;
};

void
pcf_edit_main(struct pcf *p, char **args, int n, const struct pcf_edit_opts *eo)
{
    struct req *reqs = mem_calloc((size_t) n + 1, sizeof(*reqs));
    size_t nreq = 0;
    struct conf_edit ed;
    struct lines ls;
    struct buf out, key;
    const char *cp, *line;
    struct req *cur = NULL;
    char *err;

    for (int i = 0; i < n; i++) {
        char *arg = mem_strdup(args[i]), *name, *value = NULL, *c = arg;
        const char *e;
        size_t j;

        if (strchr(c, '\n'))
            log_fatal("-e, -X, or -# accepts no multi-line input");
        while (isspace((unsigned char) *c))
            c++;
        if (*c == '#')
            log_fatal("-e, -X, or -# accepts no comment input");
        if (p->mode & PCF_EDIT_CONF) {
            if ((e = conf_split_nameval(c, &name, &value)) != NULL)
                log_fatal("%s: \"%s\"", e, c);
            check_value(p, name, value, eo);
        } else {
            if (*c == 0)
                log_fatal("-X or -# requires non-blank parameter names");
            if (strchr(c, '='))
                log_fatal("-X or -# requires parameter names without value");
            name = str_trim(c);
        }
        for (j = 0; j < nreq; j++)
            if (strcmp(reqs[j].name, name) == 0)
                break;
        if (j < nreq) {
            log_warn("ignoring earlier request: '%s = %s'", name,
                     reqs[j].value ? reqs[j].value : "(null)");
            mem_free(reqs[j].name);
            mem_free(reqs[j].value);
            memmove(reqs + j, reqs + j + 1, (nreq - j - 1) * sizeof(*reqs));
            nreq--;
        }
        reqs[nreq].name = mem_strdup(name);
        reqs[nreq].value = value ? mem_strdup(value) : NULL;
        reqs[nreq].found = 0;
        nreq++;
        mem_free(arg);
    }

    if (conf_edit_begin(&ed, p->main_path, &err) < 0)
        log_fatal("%s", err);
    active_edit = &ed;
    lines_init(&ls, ed.data, ed.len);
    buf_init(&out, 0);
    buf_init(&key, 0);
    while ((cp = next_content(&ls, &out, &line)) != NULL) {
        if (cp > line) {
            /* Continuation line: copy, drop, or comment out. */
            if (cur == NULL)
                buf_puts(&out, line);
            else if (p->mode & PCF_COMMENT_OUT)
                buf_printf(&out, "#%s", line);
            continue;
        }
        buf_truncate(&key, 0);
        buf_append(&key, cp, strcspn(cp, " \t\r\n="));
        cur = NULL;
        for (size_t j = 0; j < nreq; j++)
            if (strcmp(reqs[j].name, buf_str(&key)) == 0)
                cur = &reqs[j];
        if (cur == NULL) {
            buf_puts(&out, line);
            continue;
        }
        if (cur->found++ == 1)
            log_warn("%s: multiple entries for \"%s\"", p->main_path,
                     buf_str(&key));
        if (p->mode & PCF_EDIT_CONF)
            buf_printf(&out, "%s = %s\n", buf_str(&key), cur->value);
        else if (p->mode & PCF_COMMENT_OUT)
            buf_printf(&out, "#%s", cp);
    }
    /*
     * New parameters go at the end, in the order postconf 3.7 walks its
     * request table (its hash order), so the file is the same as its.
     */
    if (p->mode & PCF_EDIT_CONF) {
        struct pcf_dict *order = pcf_dict_new_sized((size_t) n);
        struct strv names;

        for (int i = 0; i < n; i++) {
            char *arg = mem_strdup(args[i]), *c = arg, *name, *value;

            while (isspace((unsigned char) *c))
                c++;
            if (conf_split_nameval(c, &name, &value) == NULL) {
                (void) pcf_dict_del(order, name);
                pcf_dict_put(order, name, "");
            }
            mem_free(arg);
        }
        names = pcf_dict_keys(order);
        for (size_t k = 0; k < names.n; k++)
            for (size_t j = 0; j < nreq; j++)
                if (reqs[j].found == 0 && strcmp(reqs[j].name, names.v[k]) == 0)
                    buf_printf(&out, "%s = %s\n", reqs[j].name, reqs[j].value);
        strv_fini(&names);
        pcf_dict_free(order);
    }
    commit(&ed, &out, eo);
    buf_fini(&out);
    buf_fini(&key);
    strv_fini(&ls.v);
    for (size_t j = 0; j < nreq; j++) {
        mem_free(reqs[j].name);
        mem_free(reqs[j].value);
    }
    mem_free(reqs);
}

struct mreq {
    const char *raw;
    char *parsed;
    struct strv pat;
    int field;
    const char *param;
    char *value;
    int matches;
};

/* print_entry_buf - an entry in postconf's folded -M format, into out */
static void
print_entry_buf(struct pcf *p, struct buf *out, struct pcf_master *ms)
{
    char *mem = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&mem, &len);

    if (fp == NULL)
        log_fatal("open_memstream: %s", strerror(errno));
    pcf_print_master_entry(p, fp, PCF_FOLD_LINE, ms);
    fclose(fp);
    buf_append(out, mem, len);
    free(mem);
}

/* gobble - the rest of a logical line; comment lines go to out first */
static char *
gobble(struct lines *ls, struct buf *out, const char *first)
{
    struct buf full;

    buf_init(&full, 0);
    buf_puts(&full, first);
    while (ls->i < ls->v.n) {
        const char *l = ls->v.v[ls->i];

        if (l[0] != '#' && !isspace((unsigned char) l[0]))
            break;
        ls->i++;
        if (content(l))
            buf_puts(&full, l);
        else
            buf_puts(out, l);
    }
    return buf_steal(&full);
}

/* the options that edit master.cf, for messages */
static const char edit_opts[] = "-Me, -Fe, -Pe, -X, or -#";

/* parse_reqs - the requests of a master.cf edit, checked as postconf
 * checks them */
static struct mreq *
parse_reqs(struct pcf *p, char **args, int n, const struct pcf_edit_opts *eo)
{
    int mask = p->mode & (PCF_MASTER_ENTRY | PCF_MASTER_FLD | PCF_MASTER_PARAM);
    struct mreq *reqs = mem_calloc((size_t) n + 1, sizeof(*reqs));

    for (int i = 0; i < n; i++) {
        struct mreq *r = &reqs[i];
        char *c, *pattern;
        const char *e;

        r->raw = args[i];
        c = r->parsed = mem_strdup(args[i]);
        if (strchr(c, '\n'))
            log_fatal("%s accept no multi-line input", edit_opts);
        while (isspace((unsigned char) *c))
            c++;
        if (*c == '#')
            log_fatal("%s accept no comment input", edit_opts);
        if (p->mode & PCF_EDIT_CONF) {
            if ((e = conf_split_nameval(c, &pattern, &r->value)) != NULL)
                log_fatal("%s: \"%s\"", e, r->raw);
        } else {
            if (strchr(c, '='))
                log_fatal("-X or -# requires names without value");
            pattern = str_trim(c);
            r->value = NULL;
        }
        switch (mask) {
        case PCF_MASTER_ENTRY:
            if (pcf_parse_service_pattern(pattern, 2, 2, &r->pat) < 0)
                log_fatal("-Me, -MX or -M# requires service_name/type");
            break;
        case PCF_MASTER_FLD:
            if (pcf_parse_service_pattern(pattern, 3, 3, &r->pat) < 0)
                log_fatal("-Fe or -FX requires service_name/type/field_name");
            r->field = pcf_field_index(r->pat.v[2]);
            if (r->field == PCF_FLD_WILDC)
                log_fatal("-Fe does not accept wild-card field name");
            if ((p->mode & PCF_EDIT_CONF) && r->field < PCF_FLD_CMD &&
                r->value[strcspn(r->value, CONF_BLANKS)])
                log_fatal("-Fe does not accept whitespace in non-command "
                          "field");
            break;
        case PCF_MASTER_PARAM:
            if (pcf_parse_service_pattern(pattern, 3, 3, &r->pat) < 0)
                log_fatal("-Pe or -PX requires service_name/type/parameter");
            r->param = r->pat.v[2];
            if (strcmp(r->param, "*") == 0)
                log_fatal("-Pe does not accept wild-card parameter name");
            if ((p->mode & PCF_EDIT_CONF) &&
                r->value[strcspn(r->value, CONF_BLANKS)])
                log_fatal("-Pe does not accept whitespace in parameter value");
            if (p->mode & PCF_EDIT_CONF)
                check_value(p, r->param, r->value, eo);
            break;
        default:
            log_panic("pcf_edit_master: unknown edit mode %d", p->mode);
        }
    }
    return reqs;
}

/*
 * match_req - request r against the master.cf entry svc_name/svc_type
 * that starts at line: the entry to write instead in *new_entry; 1 when
 * r matches it
 */
static int
match_req(struct pcf *p, struct mreq *r, int mask, const char *svc_name,
          const char *svc_type, struct lines *ls, struct buf *out,
          const char *line, int lineno, struct pcf_master **new_entry)
{
    int matched = 0;
    struct pcf_master *tentative = NULL;
    int use_tentative = 0;

    if ((p->mode & PCF_MASTER_ENTRY) && (p->mode & PCF_EDIT_CONF)) {
        const char *e;

        tentative = mem_calloc(1, sizeof(*tentative));
        if ((e = pcf_master_parse(tentative, r->value)) != NULL)
            log_fatal("%s: \"%s\"", e, r->raw);
    }
    if (pcf_match(r->pat.v[0], svc_name) && pcf_match(r->pat.v[1], svc_type)) {
        matched = 1;
        r->matches += 1;
        if ((p->mode & PCF_EDIT_CONF) ||
            ((p->mode & PCF_MASTER_PARAM) && (p->mode & PCF_EDIT_EXCL))) {
            if (mask == PCF_MASTER_ENTRY) {
                if (r->matches == 1)
                    use_tentative = 1;
            } else {
                if (*new_entry == NULL) {
                    char *full = gobble(ls, out, line);
                    const char *e;

                    *new_entry = mem_calloc(1, sizeof(**new_entry));
                    if ((e = pcf_master_parse(*new_entry, full)) != NULL)
                        log_fatal("file %s: line %d: %s", p->master_path,
                                  lineno, e);
                    mem_free(full);
                }
                if (mask == PCF_MASTER_FLD)
                    pcf_master_edit_field(*new_entry, r->field, r->value);
                else
                    pcf_master_edit_param(*new_entry,
                                          (p->mode & PCF_EDIT_EXCL) != 0,
                                          r->param, r->value);
            }
        }
    } else if (tentative && pcf_match(tentative->argv.v[0], svc_name) &&
               pcf_match(tentative->argv.v[1], svc_type)) {
        matched = 1;
        r->matches += 1;
        if (r->matches == 1)
            use_tentative = 1;
    }
    if (tentative) {
        if (use_tentative) {
            if (*new_entry) {
                pcf_master_free(*new_entry);
                mem_free(*new_entry);
            }
            *new_entry = tentative;
        } else {
            pcf_master_free(tentative);
            mem_free(tentative);
        }
    }
    return matched;
}

/* add_unmatched - -Me entries that matched nothing are added at the
 * end; other unmatched requests are warned about */
static void
add_unmatched(struct pcf *p, struct mreq *reqs, int n, struct buf *out)
{
    for (int i = 0; i < n; i++) {
        struct mreq *r = &reqs[i];

        if (r->matches != 0)
            continue;
        if ((p->mode & PCF_MASTER_ENTRY) && (p->mode & PCF_EDIT_CONF)) {
            struct pcf_master ms;
            const char *e;

            if ((e = pcf_master_parse(&ms, r->value)) != NULL)
                log_fatal("%s: \"%s\"", e, r->raw);
            print_entry_buf(p, out, &ms);
            pcf_master_free(&ms);
        } else if ((p->mode & PCF_MASTER_ENTRY) == 0) {
            log_warn("unmatched service_name/type: \"%s\"", r->raw);
        }
    }
}

void
pcf_edit_master(struct pcf *p, char **args, int n,
                const struct pcf_edit_opts *eo)
{
    int mask = p->mode & (PCF_MASTER_ENTRY | PCF_MASTER_FLD | PCF_MASTER_PARAM);
    struct mreq *reqs = parse_reqs(p, args, n, eo);
    struct conf_edit ed;
    struct lines ls;
    struct buf out;
    const char *cp, *line;
    int matched = 0, lineno;
    struct pcf_master *new_entry = NULL;
    char *err;

    if (conf_edit_begin(&ed, p->master_path, &err) < 0)
        log_fatal("%s", err);
    active_edit = &ed;
    lines_init(&ls, ed.data, ed.len);
    buf_init(&out, 0);
    lineno = 0;
    while ((cp = next_content(&ls, &out, &line)) != NULL) {
        char *copy, *tp, *svc_name, *svc_type;

        lineno = (int) ls.i;
        if (cp > line) {
            if (matched == 0)
                buf_puts(&out, line);
            else if (p->mode & PCF_COMMENT_OUT)
                buf_printf(&out, "#%s", line);
            continue;
        }
        matched = 0;
        tp = copy = mem_strdup(cp);
        if ((svc_name = conf_tok_next(&tp, CONF_BLANKS)) == NULL ||
            (svc_type = conf_tok_next(&tp, CONF_BLANKS)) == NULL)
            log_fatal("file %s: line %d: specify service name and type on "
                      "the same line",
                      p->master_path, lineno);
        if (strchr(svc_name, '='))
            log_fatal("file %s: line %d: service name syntax \"%s\" is "
                      "unsupported with %s",
                      p->master_path, lineno, svc_name, edit_opts);
        if (svc_type[strcspn(svc_type, "=/")] != 0)
            log_fatal("file %s: line %d: service type syntax \"%s\" is "
                      "unsupported with %s",
                      p->master_path, lineno, svc_type, edit_opts);
        for (int i = 0; i < n; i++)
            matched |= match_req(p, &reqs[i], mask, svc_name, svc_type, &ls,
                                 &out, line, lineno, &new_entry);
        if (new_entry) {
            print_entry_buf(p, &out, new_entry);
            pcf_master_free(new_entry);
            mem_free(new_entry);
            new_entry = NULL;
        } else if (matched == 0) {
            buf_puts(&out, line);
        } else if (p->mode & PCF_COMMENT_OUT) {
            buf_printf(&out, "#%s", line);
        }
        mem_free(copy);
    }
    add_unmatched(p, reqs, n, &out);
    commit(&ed, &out, eo);
    buf_fini(&out);
    strv_fini(&ls.v);
    for (int i = 0; i < n; i++) {
        strv_fini(&reqs[i].pat);
        mem_free(reqs[i].parsed);
    }
    mem_free(reqs);
}
