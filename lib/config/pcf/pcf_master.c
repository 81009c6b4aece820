/*
 * pcf_master - master.cf for postconf: reading with postconf's field
 *	checks and option normalization, and the -M, -F and -P listings.
 *
 * DESCRIPTION
 *	Each logical master.cf line becomes an argv: eight fields and the
 *	command's arguments. Options are normalized as postconf does
 *	("-voname=value" becomes "-v" "-o" "name=value"; "-o { a = b }"
 *	becomes "-o" "a=b"), because the listings and the per-service
 *	parameter name spaces are built from the normalized form.
 *
 * DIAGNOSTICS
 *	Field errors are fatal, with postconf's exact texts; unlike
 *	postconf, "postern conf" also names the file and line.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pcf/pcf_int.h"

const char *const pcf_field_names[] = {
    "service", "type",          "private", "unprivileged", "chroot",
    "wakeup",  "process_limit", "command", NULL,
};

static const char *const valid_types[] = {
    "unix", "fifo", "inet", "pass", "unix-dgram", NULL,
};

/* Options that take a value: only -o, as in postconf. */
#define OPTS_WITH_VALUE "o"

static struct pcf *fatal_ctx;
static int fatal_line;

/* field_fatal - postconf's fatal text, plus file:line for postern */
static void field_fatal(const char *fmt, ...) UTIL_PRINTF(1, 2) UTIL_NORETURN;

static void
field_fatal(const char *fmt, ...)
{
    struct buf b;
    va_list ap;

    buf_init(&b, 0);
    va_start(ap, fmt);
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    for (char *cp = b.data; cp && *cp; cp++)
        if (*cp == '\n')
            *cp = ' ';
    if (fatal_ctx && fatal_ctx->postern)
        log_fatal("%s, line %d: %s", fatal_ctx->master_path, fatal_line,
                  buf_str(&b));
    log_fatal("%s", buf_str(&b));
}

static void
check_entry(char **av, const char *raw)
{
    const char *cp;
    size_t len;
    int f;

    cp = av[PCF_FLD_TYPE];
    for (const char *const *tp = valid_types;; tp++) {
        if (*tp == NULL)
            field_fatal("invalid type field \"%s\" in \"%s\"", cp, raw);
        if (strcmp(*tp, cp) == 0)
            break;
    }
    for (f = PCF_FLD_PRIVATE; f <= PCF_FLD_CHROOT; f++) {
        cp = av[f];
        if (cp[1] != 0 || strchr("yn-", *cp) == NULL)
            field_fatal("invalid %s field \"%s\" in \"%s\"", pcf_field_names[f],
                        cp, raw);
    }
    cp = av[PCF_FLD_WAKEUP];
    len = strlen(cp);
    if (len > 0 && cp[len - 1] == '?')
        len--;
    if (!(cp[0] == '-' && len == 1) && strspn(cp, "0123456789") != len)
        field_fatal("invalid wakeup field \"%s\" in \"%s\"", cp, raw);
    cp = av[PCF_FLD_MAXPROC];
    if (strcmp("-", cp) != 0 && cp[strspn(cp, "0123456789")] != 0)
        field_fatal("invalid process_limit field \"%s\" in \"%s\"", cp, raw);
}

/* strv_insert - insert s at index i */
static void
strv_insert(struct strv *sv, size_t i, const char *s)
{
    strv_add(sv, s);
    memmove(sv->v + i + 1, sv->v + i, (sv->n - 1 - i) * sizeof(*sv->v));
    sv->v[i] = mem_strdup(s);
    mem_free(sv->v[sv->n]);
    sv->v[sv->n] = NULL;
}

static void
strv_replace(struct strv *sv, size_t i, const char *s)
{
    char *copy = mem_strdup(s);

    mem_free(sv->v[i]);
    sv->v[i] = copy;
}

/* extract_field - strip {} from a field, warning as postconf does */
static void
extract_field(struct strv *sv, size_t f)
{
    char *copy = mem_strdup(sv->v[f]);
    char *arg = copy;
    char *err;

    if ((err = conf_extpar(&arg, 1)) != NULL) {
        log_warn("master.cf: %s", err);
        mem_free(err);
    }
    strv_replace(sv, f, arg);
    mem_free(copy);
}

static void
normalize_nameval(struct strv *sv, size_t f)
{
    char *copy = mem_strdup(sv->v[f]);
    char *name, *value;
    const char *err;

    if ((err = conf_split_nameval(copy, &name, &value)) != NULL) {
        log_warn("master.cf: %s: \"%s\"", err, sv->v[f]);
    } else {
        struct buf b;

        buf_init(&b, 0);
        buf_printf(&b, "%s=%s", name, value);
        strv_replace(sv, f, buf_str(&b));
        buf_fini(&b);
    }
    mem_free(copy);
}

/* normalize_args - bring daemon options into canonical form */
static void
normalize_args(struct strv *sv)
{
    size_t f;

    for (f = PCF_MASTER_MIN_FIELDS; f < sv->n; f++) {
        char *arg = sv->v[f];
        int extract;

        if (arg[0] != '-' || strcmp(arg, "--") == 0)
            break;
        for (char *cp = arg + 1; *cp; cp++) {
            if (strchr(OPTS_WITH_VALUE, *cp) != NULL && cp > arg + 1) {
                /* Split "-stuffozz" into "-stuff" and "-ozz". */
                struct buf b;

                buf_init(&b, 0);
                buf_printf(&b, "-%s", cp);
                strv_insert(sv, f + 1, buf_str(&b));
                buf_fini(&b);
                arg = sv->v[f];
                arg[cp - sv->v[f]] = 0;
                break;
            }
        }
        arg = sv->v[f];
        if (strchr(OPTS_WITH_VALUE, arg[1]) == NULL || arg[1] == 0)
            continue;
        if (arg[2] != 0) {
            /* Split "-oname=value" into "-o" "name=value". */
            strv_insert(sv, f + 1, arg + 2);
            sv->v[f][2] = 0;
            f += 1;
            extract = (sv->v[f][0] == '{');
        } else if (f + 1 < sv->n) {
            f += 1;
            extract = (sv->v[f][0] == '{');
        } else {
            extract = 0;
        }
        if (extract) {
            extract_field(sv, f);
            if (sv->v[f - 1][1] == 'o')
                normalize_nameval(sv, f);
        }
    }
    for (; f < sv->n; f++)
        if (sv->v[f][0] == '{')
            extract_field(sv, f);
}

/*
 * pcf_master_parse - parse one whole entry given as text (as postconf -M
 * edits do); NULL, or "bad field count". Field errors are fatal.
 */
const char *
pcf_master_parse(struct pcf_master *ms, const char *text)
{
    char *copy = mem_strdup(text), *cp = copy, *tok;
    struct buf ns;

    memset(ms, 0, sizeof(*ms));
    strv_init(&ms->argv);
    while ((tok = conf_tok_next(&cp, CONF_BLANKS)) != NULL)
        strv_add(&ms->argv, tok);
    mem_free(copy);
    if (ms->argv.n < PCF_MASTER_MIN_FIELDS) {
        strv_fini(&ms->argv);
        return "bad field count";
    }
    check_entry(ms->argv.v, text);
    normalize_args(&ms->argv);
    buf_init(&ns, 0);
    buf_printf(&ns, "%s/%s", ms->argv.v[0], ms->argv.v[1]);
    ms->name_space = buf_steal(&ns);
    return NULL;
}

void
pcf_master_free(struct pcf_master *ms)
{
    strv_fini(&ms->argv);
    mem_free(ms->name_space);
    ms->name_space = NULL;
}

/* pcf_master_edit_field - replace one field (the command: and its args) */
void
pcf_master_edit_field(struct pcf_master *ms, int field, const char *value)
{
    if (field == PCF_FLD_CMD) {
        char *copy = mem_strdup(value), *cp = copy, *tok;

        while (ms->argv.n > PCF_FLD_CMD) {
            mem_free(ms->argv.v[--ms->argv.n]);
            ms->argv.v[ms->argv.n] = NULL;
        }
        while ((tok = conf_tok_next(&cp, CONF_BLANKS)) != NULL)
            strv_add(&ms->argv, tok);
        mem_free(copy);
        normalize_args(&ms->argv);
    } else {
        strv_replace(&ms->argv, (size_t) field, value);
    }
    if (ms->argv.n < PCF_MASTER_MIN_FIELDS)
        log_fatal("bad field count: \"%s\"", value);
    check_entry(ms->argv.v, value);
}

/* pcf_master_edit_param - set (or with exclude, remove) "-o name=value" */
void
pcf_master_edit_param(struct pcf_master *ms, int exclude, const char *name,
                      const char *value)
{
    size_t nlen = strlen(name), f;
    int matched = 0;

    for (f = PCF_MASTER_MIN_FIELDS; f < ms->argv.n; f++) {
        const char *arg = ms->argv.v[f];

        if (arg[0] != '-' || strcmp(arg, "--") == 0)
            break;
        if (arg[1] == 0 || strchr(OPTS_WITH_VALUE, arg[1]) == NULL ||
            f + 1 >= ms->argv.n)
            continue;
        if (strcmp(arg, "-o") == 0 &&
            strncmp(ms->argv.v[f + 1], name, nlen) == 0 &&
            ms->argv.v[f + 1][nlen] == '=') {
            matched = 1;
            if (!exclude) {
                struct buf b;

                buf_init(&b, 0);
                buf_printf(&b, "%s=%s", name, value);
                strv_replace(&ms->argv, f + 1, buf_str(&b));
                buf_fini(&b);
            } else {
                mem_free(ms->argv.v[f]);
                mem_free(ms->argv.v[f + 1]);
                memmove(ms->argv.v + f, ms->argv.v + f + 2,
                        (ms->argv.n - f - 2 + 1) * sizeof(*ms->argv.v));
                ms->argv.n -= 2;
                f -= 2;
            }
        }
        f += 1;
    }
    if (!exclude && !matched) {
        struct buf b;

        buf_init(&b, 0);
        buf_printf(&b, "%s=%s", name, value);
        strv_insert(&ms->argv, f, "-o");
        strv_insert(&ms->argv, f + 1, buf_str(&b));
        buf_fini(&b);
    }
}

void
pcf_read_master(struct pcf *p, int fail_on_open)
{
    struct conf_file *cf;
    size_t cap = 0;

    p->master_read = 1;
    if ((cf = conf_file_read(p->master_path, CONF_MASTER)) == NULL) {
        /* Postfix reads a directory as an empty master.cf. */
        if (errno == EISDIR)
            return;
        if (fail_on_open)
            log_fatal("open %s: %s", p->master_path, strerror(errno));
        log_warn("open %s: %s", p->master_path, strerror(errno));
        return;
    }
    fatal_ctx = p;
    for (size_t i = 0; i < cf->n; i++) {
        const struct conf_entry *e = &cf->ents[i];
        struct pcf_master *ms;
        const char *base;
        struct buf ns;

        if (e->kind == CONF_ENT_ORPHAN) {
            log_warn("%s: logical line must not start with whitespace: "
                     "\"%.30s%s\"",
                     p->master_path, e->text,
                     conf_entry_text_len(e) > 30 ? "..." : "");
            continue;
        }
        if (e->kind != CONF_ENT_LOGICAL)
            continue;
        fatal_line = e->first_line;
        if (e->nfields < PCF_MASTER_MIN_FIELDS)
            log_fatal("file %s: line %d: bad field count", p->master_path,
                      e->first_line);
        if (p->nmaster == cap) {
            cap = cap ? cap * 2 : 32;
            p->master = mem_realloc(p->master, cap * sizeof(*p->master));
        }
        ms = &p->master[p->nmaster++];
        memset(ms, 0, sizeof(*ms));
        strv_init(&ms->argv);
        for (size_t f = 0; f < e->nfields; f++)
            strv_add(&ms->argv, e->fields[f].text);
        check_entry(ms->argv.v, e->text);
        normalize_args(&ms->argv);
        ms->line = e->first_line;
        buf_init(&ns, 0);
        buf_printf(&ns, "%s/%s", ms->argv.v[0], ms->argv.v[1]);
        ms->name_space = buf_steal(&ns);
        ms->ro_params = pcf_dict_new();
        base = strrchr(ms->argv.v[PCF_FLD_CMD], '/');
        base = base ? base + 1 : ms->argv.v[PCF_FLD_CMD];
        pcf_dict_put(ms->ro_params, "process_name", base);
        pcf_dict_put(ms->ro_params, "service_name",
                     strcmp(base, ms->argv.v[0]) != 0 ? ms->argv.v[0] : base);
    }
    fatal_ctx = NULL;
    conf_file_free(cf);
}

/*
 * Service patterns: "name", "name/type", "name/type/field"; each part
 * is literal or "*".
 */
int
pcf_parse_service_pattern(const char *pattern, int min, int max,
                          struct strv *out)
{
    char *copy, *cp, *tok;

    strv_init(out);
    if (*pattern == '/')
        return -1;
    copy = cp = mem_strdup(pattern);
    while ((tok = conf_tok_next(&cp, "/")) != NULL)
        strv_add(out, tok);
    mem_free(copy);
    if ((int) out->n < min || (int) out->n > max) {
        strv_fini(out);
        return -1;
    }
    while ((int) out->n < max)
        strv_add(out, "*");
    for (size_t i = 0; i < out->n; i++) {
        if (strcmp(out->v[i], "*") != 0 && strchr(out->v[i], '*') != NULL) {
            strv_fini(out);
            return -1;
        }
    }
    return 0;
}

int
pcf_match(const char *pat, const char *s)
{
    return strcmp(pat, "*") == 0 || strcmp(pat, s) == 0;
}

int
pcf_field_index(const char *name)
{
    if (strcmp(name, "*") == 0)
        return PCF_FLD_WILDC;
    for (int i = 0; pcf_field_names[i]; i++)
        if (strcmp(pcf_field_names[i], name) == 0)
            return i;
    log_fatal("invalid service attribute name: \"%s\"", name);
}

#define ADD_TEXT(t)             \
    do {                        \
        const char *_t = (t);   \
        fputs(_t, fp);          \
        line_len += strlen(_t); \
    } while (0)

/*
 * print_args - a command's arguments from field f on, as postconf prints
 * them: an option with a value on a line of its own (when folding), "{}"
 * around values with blanks, the first non-option argument without its
 * braces (a postconf quirk we keep). aval_extra is what postconf adds to
 * an option's length when deciding to fold: 3 for -M, 1 for -F.
 */
static void
print_args(struct pcf *p, FILE *fp, int mode, struct pcf_master *ms, size_t f,
           size_t line_len, size_t aval_extra)
{
    char **argv = ms->argv.v;
    int in_opts = 1;

    for (; f < ms->argv.n; f++) {
        const char *arg = argv[f];
        const char *aval = NULL;
        char *exp = NULL;
        size_t arg_len = strlen(arg);
        int parens = 0;

        /*
         * As in postconf, the first non-option argument is printed without
         * its braces: its brace need is only looked at on the next one.
         */
        if (in_opts) {
            if (arg[0] != '-' || strcmp(arg, "--") == 0) {
                in_opts = 0;
            } else if (arg[1] && strchr(OPTS_WITH_VALUE, arg[1]) != NULL &&
                       f + 1 < ms->argv.n) {
                aval = argv[f + 1];
                line_len = PCF_LINE_LIMIT;
                if (strcmp(arg, "-o") == 0 && (mode & PCF_SHOW_EVAL))
                    aval = exp = pcf_expand(p, mode, aval, ms);
                arg_len += strlen(aval) + aval_extra;
                if ((parens = aval[strcspn(aval, CONF_BLANKS)] != 0))
                    arg_len += 2;
            }
        } else {
            parens = arg[strcspn(arg, CONF_BLANKS)] != 0;
        }
        if (line_len > PCF_INDENT_LEN) {
            if ((mode & PCF_FOLD_LINE) == 0 ||
                line_len + 1 + arg_len < PCF_LINE_LIMIT) {
                ADD_TEXT(" ");
            } else {
                fputs("\n" PCF_INDENT_TEXT, fp);
                line_len = PCF_INDENT_LEN;
            }
        }
        if (!in_opts && parens)
            ADD_TEXT("{");
        ADD_TEXT(arg);
        if (!in_opts && parens)
            ADD_TEXT("}");
        if (aval) {
            ADD_TEXT(" ");
            if (parens)
                ADD_TEXT("{");
            ADD_TEXT(aval);
            if (parens)
                ADD_TEXT("}");
            f += 1;
            line_len = PCF_LINE_LIMIT;
        }
        mem_free(exp);
    }
}

/*
 * pcf_print_master_entry - one master.cf entry in postconf -M format, to
 * fp, folded when mode has PCF_FOLD_LINE, expanded with PCF_SHOW_EVAL.
 */
void
pcf_print_master_entry(struct pcf *p, FILE *fp, int mode, struct pcf_master *ms)
{
    static const size_t column_goal[] = {0, 11, 17, 25, 33, 41, 49, 57};
    char **argv = ms->argv.v;
    size_t line_len = 0, f;

    for (f = 0; f < PCF_MASTER_MIN_FIELDS; f++) {
        if (line_len > 0) {
            do {
                ADD_TEXT(" ");
            } while (line_len < column_goal[f]);
        }
        ADD_TEXT(argv[f]);
    }
    print_args(p, fp, mode, ms, f, line_len, 3);
    fputc('\n', fp);
}

void
pcf_show_master_entries(struct pcf *p, char **filters, int n)
{
    struct strv *pats = mem_calloc((size_t) n + 1, sizeof(*pats));
    int *hits = mem_calloc((size_t) n + 1, sizeof(*hits));

    for (int i = 0; i < n; i++)
        if (pcf_parse_service_pattern(filters[i], 1, 2, &pats[i]) < 0)
            log_fatal("-M option requires service_name[/type]");
    for (size_t m = 0; m < p->nmaster; m++) {
        struct pcf_master *ms = &p->master[m];

        if (n == 0) {
            pcf_print_master_entry(p, p->out, p->mode, ms);
            continue;
        }
        for (int i = 0; i < n; i++) {
            if (pcf_match(pats[i].v[0], ms->argv.v[0]) &&
                pcf_match(pats[i].v[1], ms->argv.v[1])) {
                hits[i]++;
                pcf_print_master_entry(p, p->out, p->mode, ms);
            }
        }
    }
    for (int i = 0; i < n; i++) {
        if (hits[i] == 0)
            log_warn("unmatched request: \"%s\"", filters[i]);
        strv_fini(&pats[i]);
    }
    mem_free(pats);
    mem_free(hits);
}

/* print_field - "name/type/field = value" */
static void
print_field(struct pcf *p, struct pcf_master *ms, int field)
{
    FILE *fp = p->out;
    char **argv = ms->argv.v;
    size_t line_len = 0;

    if ((p->mode & PCF_HIDE_NAME) == 0) {
        ADD_TEXT(argv[0]);
        ADD_TEXT("/");
        ADD_TEXT(argv[1]);
        ADD_TEXT("/");
        ADD_TEXT(pcf_field_names[field]);
    }
    if ((p->mode & (PCF_HIDE_NAME | PCF_HIDE_VALUE)) == 0)
        ADD_TEXT(" = ");
    if ((p->mode & PCF_HIDE_VALUE) == 0) {
        if (line_len > 0 && line_len + strlen(argv[field]) > PCF_LINE_LIMIT) {
            fputs("\n" PCF_INDENT_TEXT, p->out);
            line_len = PCF_INDENT_LEN;
        }
        ADD_TEXT(argv[field]);
    }
    if (field == PCF_FLD_CMD && (p->mode & PCF_HIDE_VALUE) == 0) {
        print_args(p, fp, p->mode, ms, (size_t) field + 1, line_len, 1);
    }
    fputc('\n', p->out);
}

void
pcf_show_master_fields(struct pcf *p, char **filters, int n)
{
    struct strv *pats = mem_calloc((size_t) n + 1, sizeof(*pats));
    int *hits = mem_calloc((size_t) n + 1, sizeof(*hits));
    int *fields = mem_calloc((size_t) n + 1, sizeof(*fields));

    for (int i = 0; i < n; i++) {
        if (pcf_parse_service_pattern(filters[i], 1, 3, &pats[i]) < 0)
            log_fatal("-F option requires service_name[/type[/field]]");
        fields[i] = pcf_field_index(pats[i].v[2]);
    }
    for (size_t m = 0; m < p->nmaster; m++) {
        struct pcf_master *ms = &p->master[m];

        if (n == 0) {
            for (int f = 0; f <= PCF_FLD_CMD; f++)
                print_field(p, ms, f);
            continue;
        }
        for (int i = 0; i < n; i++) {
            if (!pcf_match(pats[i].v[0], ms->argv.v[0]) ||
                !pcf_match(pats[i].v[1], ms->argv.v[1]))
                continue;
            hits[i]++;
            if (fields[i] == PCF_FLD_WILDC) {
                for (int f = 0; f <= PCF_FLD_CMD; f++)
                    print_field(p, ms, f);
            } else {
                print_field(p, ms, fields[i]);
            }
        }
    }
    for (int i = 0; i < n; i++) {
        if (hits[i] == 0)
            log_warn("unmatched request: \"%s\"", filters[i]);
        strv_fini(&pats[i]);
    }
    mem_free(pats);
    mem_free(hits);
    mem_free(fields);
}

static void
print_param(struct pcf *p, struct pcf_master *ms, const char *name,
            const char *value)
{
    char *exp = NULL;

    if (p->mode & PCF_HIDE_VALUE) {
        pcf_print_line(p, "%s/%s\n", ms->name_space, name);
        return;
    }
    if (p->mode & PCF_SHOW_EVAL)
        value = exp = pcf_expand(p, p->mode, value, ms);
    if ((p->mode & PCF_HIDE_NAME) == 0)
        pcf_print_line(p, "%s/%s = %s\n", ms->name_space, name, value);
    else
        pcf_print_line(p, "%s\n", value);
    mem_free(exp);
}

static void
print_any_param(struct pcf *p, struct pcf_master *ms)
{
    struct strv keys = pcf_dict_keys(ms->all_params);

    strv_sort(&keys);
    for (size_t i = 0; i < keys.n; i++)
        print_param(p, ms, keys.v[i], pcf_dict_get(ms->all_params, keys.v[i]));
    strv_fini(&keys);
}

void
pcf_show_master_params(struct pcf *p, char **filters, int n)
{
    struct strv *pats = mem_calloc((size_t) n + 1, sizeof(*pats));
    int *hits = mem_calloc((size_t) n + 1, sizeof(*hits));

    for (int i = 0; i < n; i++)
        if (pcf_parse_service_pattern(filters[i], 1, 3, &pats[i]) < 0)
            log_fatal("-P option requires service_name[/type[/parameter]]");
    for (size_t m = 0; m < p->nmaster; m++) {
        struct pcf_master *ms = &p->master[m];
        const char *value;

        if (ms->all_params == NULL)
            continue;
        if (n == 0) {
            print_any_param(p, ms);
            continue;
        }
        for (int i = 0; i < n; i++) {
            if (!pcf_match(pats[i].v[0], ms->argv.v[0]) ||
                !pcf_match(pats[i].v[1], ms->argv.v[1]))
                continue;
            if (strcmp(pats[i].v[2], "*") == 0) {
                print_any_param(p, ms);
                hits[i]++;
            } else if ((value = pcf_dict_get(ms->all_params, pats[i].v[2]))) {
                print_param(p, ms, pats[i].v[2], value);
                hits[i]++;
            }
        }
    }
    for (int i = 0; i < n; i++) {
        if (hits[i] == 0)
            log_warn("unmatched request: \"%s\"", filters[i]);
        strv_fini(&pats[i]);
    }
    mem_free(pats);
    mem_free(hits);
}
