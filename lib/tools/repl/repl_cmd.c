/*
 * repl_cmd - the REPL's commands.
 *
 * DESCRIPTION
 *	One function per command, each given the text after the command
 *	word. Results go to stdout; errors go to stderr through
 *	repl_error() and make the function return -1, which ends a script
 *	(standard input not a terminal) with exit status 1.
 *
 *	"set" and "unset" check names and values against the schema
 *	before anything is recorded: a bad value is an error here, where
 *	"postern conf -e" would stop the program.
 */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "repl/repl_int.h"

#ifdef REPL_HAVE_LINT
#include "lint/lint.h"
#endif

struct cmd {
    const char *name;
    int (*fn)(struct repl *r, char *args);
    const char *usage;
    const char *brief;
    const char *help;
};

static const struct cmd *find_cmd(const char *name);

void
repl_error(struct repl *r, const char *fmt, ...)
{
    va_list ap;
    struct buf b;

    buf_init(&b, 0);
    va_start(ap, fmt);
    (void) buf_vprintf(&b, fmt, ap);
    va_end(ap);
    fflush(stdout);
    if (r->interactive) /* the prompt's answer, not a diagnostic */
        fprintf(stderr, "error: %s\n", buf_str(&b));
    else
        log_error("line %d: %s", r->lineno, buf_str(&b));
    fflush(stderr);
    buf_fini(&b);
}

/* next_word - the next blank-separated word of *cp, NUL-terminated in
 * place; NULL at the end */
static char *
next_word(char **cp)
{
    char *s = *cp, *w;

    while (isspace((unsigned char) *s))
        s++;
    if (*s == 0) {
        *cp = s;
        return NULL;
    }
    w = s;
    while (*s && !isspace((unsigned char) *s))
        s++;
    if (*s)
        *s++ = 0;
    *cp = s;
    return w;
}

static int
is_glob(const char *s)
{
    return s[strcspn(s, "*?[")] != 0;
}

static int
valid_name(const char *s)
{
    if (*s == 0)
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char) *s) && *s != '_')
            return 0;
    return 1;
}

/* unknown - "unknown parameter" error with a suggestion */
static int
unknown(struct repl *r, const char *name)
{
    const char *s = repl_suggest(&r->names, name);

    if (s)
        repl_error(r, "unknown parameter \"%s\"; did you mean \"%s\"?", name,
                   s);
    else
        repl_error(r, "unknown parameter \"%s\"", name);
    return -1;
}

/* show_one - "name = value" as postconf prints it */
static void
show_one(struct repl *r, struct pcf *p, const char *name, int expand)
{
    char *v = expand ? repl_value_expanded(r, p, name)
                     : mem_strdup(strcmp(name, "config_directory") == 0
                                      ? r->dir
                                      : pcf_raw_value(p, name));
    char *cp, *w;

    if (v == NULL) {
        printf("%s =\n", name);
        return;
    }
    /* Whitespace normalized, as postconf prints continued values. */
    for (cp = w = v; *cp; cp++) {
        if (isspace((unsigned char) *cp)) {
            if (w > v && w[-1] != ' ')
                *w++ = ' ';
        } else {
            *w++ = *cp;
        }
    }
    while (w > v && w[-1] == ' ')
        w--;
    *w = 0;
    printf("%s =%s%s\n", name, *v ? " " : "", v);
    mem_free(v);
}

static int
cmd_show(struct repl *r, char *args)
{
    struct pcf *p = repl_view(r);
    int expand = 0, any = 0;
    char *w;

    while ((w = next_word(&args)) != NULL) {
        if (strcmp(w, "-x") == 0) {
            expand = 1;
            continue;
        }
        any = 1;
        if (is_glob(w)) {
            int n = 0;

            for (size_t i = 0; i < r->names.n; i++)
                if (fnmatch(w, r->names.v[i], 0) == 0) {
                    show_one(r, p, r->names.v[i], expand);
                    n++;
                }
            if (n == 0) {
                repl_error(r, "no parameter matches \"%s\"", w);
                return -1;
            }
        } else if (pcf_is_known(p, w) ||
                   strcmp(pcf_source(p, w), "default") != 0) {
            show_one(r, p, w, expand);
        } else {
            return unknown(r, w);
        }
    }
    /* No names: what main.cf sets, as "postconf -n" shows. */
    if (!any)
        for (size_t i = 0; i < r->names.n; i++)
            if (strcmp(pcf_source(p, r->names.v[i]), "default") != 0 &&
                strcmp(r->names.v[i], "config_directory") != 0)
                show_one(r, p, r->names.v[i], expand);
    return 0;
}

static int
cmd_explain(struct repl *r, char *args)
{
    struct pcf *p = repl_view(r);
    char *w;
    int n = 0;

    while ((w = next_word(&args)) != NULL) {
        if (n++ > 0)
            putchar('\n');
        if (repl_explain_print(stdout, r, p, w) < 0)
            return unknown(r, w);
    }
    if (n == 0) {
        repl_error(r, "usage: %s", find_cmd("explain")->usage);
        return -1;
    }
    return 0;
}

/* service_index - index of master.cf entry "service/type", or -1 */
static long
service_index(struct pcf *p, const char *svc, size_t len)
{
    for (size_t i = 0; i < pcf_service_count(p); i++) {
        const char *s = pcf_service_field(p, i, 0);
        const char *t = pcf_service_field(p, i, 1);
        size_t sl = strlen(s);

        if (sl + 1 + strlen(t) == len && strncmp(svc, s, sl) == 0 &&
            svc[sl] == '/' && strncmp(svc + sl + 1, t, len - sl - 1) == 0)
            return (long) i;
    }
    return -1;
}

/*
 * check_key - is key "name" or "service/type/name" one that can be
 * changed? Sets *svc to the service index (-1 for main.cf) and *name to
 * the parameter part. Reports and returns -1 when not.
 */
static int
check_key(struct repl *r, const char *key, int force, long *svc,
          const char **name)
{
    struct pcf *p = repl_view(r);
    const char *slash = strrchr(key, '/');
    const struct schema_param *sp;

    *svc = -1;
    *name = key;
    if (slash) {
        *name = slash + 1;
        if (strchr(key, '/') == slash ||
            (*svc = service_index(p, key, (size_t) (slash - key))) < 0) {
            repl_error(r, "\"%.*s\" is not a master.cf service/type",
                       (int) (slash - key), key);
            return -1;
        }
    }
    if (!valid_name(*name)) {
        repl_error(r, "\"%s\" is not a parameter name", *name);
        return -1;
    }
    sp = schema_param_find(*name);
    if (!force && sp && (sp->flags & SCHEMA_F_READONLY)) {
        repl_error(r, "%s is read-only (set --force to change it anyway)",
                   *name);
        return -1;
    }
    if (!force && !pcf_is_known(p, *name)) {
        const char *s = repl_suggest(&r->names, *name);

        repl_error(r,
                   "unknown parameter \"%s\"%s%s%s (set --force defines "
                   "it anyway)",
                   *name, s ? "; did you mean \"" : "", s ? s : "",
                   s ? "\"?" : "");
        return -1;
    }
    return 0;
}

/* current - value of key now, for the "old -> new" line; borrowed */
static const char *
current(struct repl *r, const char *name, long svc)
{
    struct pcf *p = repl_view(r);
    const char *v = NULL;

    if (svc >= 0)
        v = repl_service_override(p, (size_t) svc, name);
    if (v == NULL)
        v = pcf_raw_value(p, name);
    return v;
}

static int
cmd_set(struct repl *r, char *args)
{
    int force = 0;
    char *eq, *key, *value;
    const char *name, *old;
    const struct schema_param *sp;
    long svc;
    struct buf why;

    while (isspace((unsigned char) *args))
        args++;
    while (strncmp(args, "-f ", 3) == 0 || strncmp(args, "--force ", 8) == 0) {
        force = 1;
        args += args[1] == 'f' ? 3 : 8;
        while (isspace((unsigned char) *args))
            args++;
    }
    if ((eq = strchr(args, '=')) == NULL) {
        repl_error(r, "usage: %s", find_cmd("set")->usage);
        return -1;
    }
    *eq = 0;
    key = str_trim(args);
    value = str_trim(eq + 1);
    if (check_key(r, key, force, &svc, &name) < 0)
        return -1;
    if (svc >= 0 && value[strcspn(value, " \t")]) {
        repl_error(r, "a master.cf -o value cannot contain whitespace");
        return -1;
    }
    buf_init(&why, 0);
    if (strchr(value, '$') &&
        repl_expand(r, repl_view(r), svc, value, &why) < 0) {
        repl_error(r, "%s=%s: syntax error in $name expression", name, value);
        buf_fini(&why);
        return -1;
    }
    buf_truncate(&why, 0);
    sp = schema_param_find(name);
    if (sp && schema_value_check(sp, value, &why) < 0) {
        if (!force) {
            repl_error(r, "%s=%s: %s (set --force writes it anyway)", name,
                       value, buf_str(&why));
            buf_fini(&why);
            return -1;
        }
        log_warn("%s=%s: %s (kept: --force)", name, value, buf_str(&why));
    }
    buf_fini(&why);
    old = current(r, name, svc);
    printf("%s: %s -> %s\n", key, old && *old ? old : "(empty)",
           *value ? value : "(empty)");
    if (repl_change_add(r, key, value) < 0) {
        repl_error(r, "the edit engine refused the change");
        return -1;
    }
    return 0;
}

static int
cmd_unset(struct repl *r, char *args)
{
    struct pcf *p = repl_view(r);
    char *key = next_word(&args), *oldcopy;
    const char *name, *old, *now;
    long svc;

    if (key == NULL || next_word(&args) != NULL) {
        repl_error(r, "usage: %s", find_cmd("unset")->usage);
        return -1;
    }
    if (check_key(r, key, 1, &svc, &name) < 0)
        return -1;
    if (svc >= 0 ? repl_service_override(p, (size_t) svc, name) == NULL
                 : strcmp(pcf_source(p, name), "default") == 0) {
        repl_error(r, "%s is not set in %s", name,
                   svc >= 0 ? "that master.cf service" : "main.cf");
        return -1;
    }
    old = current(r, name, svc);
    oldcopy = old ? mem_strdup(old) : NULL;
    if (repl_change_add(r, key, NULL) < 0) {
        repl_error(r, "the edit engine refused the change");
        mem_free(oldcopy);
        return -1;
    }
    /* What applies now: the default, main.cf's value, or nothing. */
    p = repl_view(r);
    now = pcf_raw_value(p, name);
    printf("%s: %s -> ", key, oldcopy && *oldcopy ? oldcopy : "(empty)");
    if (now == NULL)
        printf("(removed)\n");
    else
        printf("%s (%s)\n", *now ? now : "(empty)",
               strcmp(pcf_source(p, name), "default") != 0 ? "as main.cf"
                                                           : "default");
    mem_free(oldcopy);
    return 0;
}

struct diff_args {
    const char *label_a, *label_b, *a, *b;
};

static int
run_diff(void *ctx)
{
    struct diff_args *d = ctx;

    execlp("diff", "diff", "-u", "--label", d->label_a, "--label", d->label_b,
           d->a, d->b, (char *) NULL);
    log_msg("diff", LOG_LEVEL_INFO, "%s", strerror(errno));
    return 2;
}

static int
cmd_diff(struct repl *r, char *args)
{
    static const char *const files[] = {"main.cf", "master.cf"};
    int changed = 0;

    if (next_word(&args) != NULL) {
        repl_error(r, "usage: %s", find_cmd("diff")->usage);
        return -1;
    }
    if (r->nchg == 0) {
        printf("no pending changes\n");
        return 0;
    }
    if (repl_rebuild(r) < 0) {
        repl_error(r, "cannot apply the pending changes");
        return -1;
    }
    for (size_t i = 0; i < 2; i++) {
        struct buf la, lb;
        char *a = repl_orig_path(r, files[i]), *b = repl_work_path(r, files[i]);
        struct diff_args d;
        int rc = 0;

        buf_init(&la, 0);
        buf_init(&lb, 0);
        buf_printf(&la, "a/%s", files[i]);
        buf_printf(&lb, "b/%s", files[i]);
        d.label_a = buf_str(&la);
        d.label_b = buf_str(&lb);
        d.a = a;
        d.b = b;
        if (access(a, F_OK) == 0 || access(b, F_OK) == 0)
            rc = repl_run_child(run_diff, &d, -1);
        if (rc == 1)
            changed = 1;
        buf_fini(&la);
        buf_fini(&lb);
        mem_free(a);
        mem_free(b);
        if (rc < 0 || rc > 1) {
            repl_error(r, "diff(1) failed");
            return -1;
        }
    }
    if (!changed)
        printf("no difference: the pending changes leave the files as they "
               "are\n");
    return 0;
}

#ifdef REPL_HAVE_LINT
struct lint_args {
    const char *dir;
    struct strv argv;
};

static int
run_lint(void *ctx)
{
    struct lint_args *la = ctx;

    if (chdir(la->dir) < 0) {
        log_msg("chdir", LOG_LEVEL_INFO, "%s", strerror(errno));
        return 2;
    }
    return lint_main((int) la->argv.n, la->argv.v);
}
#endif

static int
cmd_lint(struct repl *r, char *args)
{
#ifdef REPL_HAVE_LINT
    struct lint_args la;
    char *w;
    int rc;

    if (repl_rebuild(r) < 0) {
        repl_error(r, "cannot apply the pending changes");
        return -1;
    }
    /* Options go to lint as they are; the path is the working copy. */
    la.dir = repl_work_dir(r);
    strv_init(&la.argv);
    strv_add(&la.argv, "lint");
    while ((w = next_word(&args)) != NULL)
        strv_add(&la.argv, w);
    strv_add(&la.argv, ".");
    rc = repl_run_child(run_lint, &la, -1);
    strv_fini(&la.argv);
    if (rc == 0)
        return 0;
    repl_error(r,
               rc == 1 ? "lint: the configuration%s has findings"
                       : "lint: could not check the configuration%s",
               r->nchg ? " with the pending changes" : "");
    return -1;
#else
    (void) args;
    repl_error(r, "lint is not available in this build of postern");
    return -1;
#endif
}

static int
cmd_expand(struct repl *r, char *args)
{
    struct buf b;

    buf_init(&b, 0);
    if (repl_expand(r, repl_view(r), -1, str_trim(args), &b) < 0) {
        repl_error(r, "syntax error in \"%s\"", args);
        buf_fini(&b);
        return -1;
    }
    printf("%s\n", buf_str(&b));
    buf_fini(&b);
    return 0;
}

static int
cmd_services(struct repl *r, char *args)
{
    struct pcf *p = repl_view(r);
    char *filter = next_word(&args);
    int width = 0, cwidth = 0;

    for (size_t i = 0; i < pcf_service_count(p); i++) {
        if ((int) strlen(r->services.v[i]) > width)
            width = (int) strlen(r->services.v[i]);
        if ((int) strlen(pcf_service_field(p, i, 7)) > cwidth)
            cwidth = (int) strlen(pcf_service_field(p, i, 7));
    }
    for (size_t i = 0; i < pcf_service_count(p); i++) {
        char *const *a = pcf_service_args(p, i);
        const char *name = r->services.v[i];

        if (filter && fnmatch(filter, name, 0) != 0)
            continue;
        printf("%-*s  %-*s  master.cf:%-4d", width, name, cwidth,
               pcf_service_field(p, i, 7), pcf_service_line(p, i));
        for (; *a; a++)
            printf(" %s", *a);
        putchar('\n');
    }
    return 0;
}

static int
cmd_write(struct repl *r, char *args)
{
    size_t main_n = 0, master_n = 0, n = repl_pending(r);

    (void) args;
    if (r->nchg == 0) {
        printf("nothing to write\n");
        return 0;
    }
    /* Count the net changes per file before they are gone. */
    for (size_t i = 0; i < r->nchg; i++) {
        size_t j;

        for (j = i + 1; j < r->nchg; j++)
            if (strcmp(r->chg[i].key, r->chg[j].key) == 0)
                break;
        if (j == r->nchg) {
            if (strchr(r->chg[i].key, '/'))
                master_n++;
            else
                main_n++;
        }
    }
    if (main_n + master_n != n)
        log_panic("cmd_write: %zu + %zu != %zu", main_n, master_n, n);
    if (repl_write(r) < 0) {
        repl_error(r, "write failed; the changes are still pending");
        return -1;
    }
    if (main_n)
        printf("wrote %zu change%s to main.cf\n", main_n,
               main_n == 1 ? "" : "s");
    if (master_n)
        printf("wrote %zu change%s to master.cf\n", master_n,
               master_n == 1 ? "" : "s");
    return 0;
}

static int
cmd_undo(struct repl *r, char *args)
{
    struct repl_change *c;

    (void) args;
    if (r->nchg == 0) {
        repl_error(r, "nothing to undo");
        return -1;
    }
    c = &r->chg[r->nchg - 1];
    if (c->value)
        printf("undone: set %s=%s\n", c->key, c->value);
    else
        printf("undone: unset %s\n", c->key);
    if (repl_change_undo(r) < 0) {
        repl_error(r, "cannot apply the remaining changes");
        return -1;
    }
    return 0;
}

static int
cmd_quit(struct repl *r, char *args)
{
    size_t n = repl_pending(r);
    char *w = next_word(&args);
    struct buf q;
    int yes;

    if (n == 0 || (w && strcmp(w, "-f") == 0)) {
        r->quit = 1;
        return 0;
    }
    if (!r->interactive || r->confirm == NULL) {
        repl_error(r,
                   "%zu unwritten change%s: \"write\" them, or \"quit -f\" "
                   "to drop them",
                   n, n == 1 ? "" : "s");
        return -1;
    }
    buf_init(&q, 0);
    buf_printf(&q, "%zu unwritten change%s will be lost. Quit anyway? [y/N] ",
               n, n == 1 ? "" : "s");
    yes = r->confirm(r, buf_str(&q));
    buf_fini(&q);
    if (yes)
        r->quit = 1;
    return 0;
}

static int cmd_help(struct repl *r, char *args);

static const struct cmd cmds[] = {
    {"show", cmd_show, "show [-x] [NAME|GLOB...]", "print values",
     "Print parameters as \"name = value\"; with -x, values expanded.\n"
     "GLOB is a shell pattern (smtpd_tls_*). Without names: those set in\n"
     "main.cf, as \"postconf -n\"."},
    {"explain", cmd_explain, "explain NAME...",
     "what a parameter is, where it is set",
     "Type, default, since which Postfix version, description, where the\n"
     "value is set (file:line), the value, its expansion, and the master.cf\n"
     "services whose -o overrides it."},
    {"set", cmd_set, "set [--force] [SERVICE/TYPE/]NAME=VALUE",
     "change a value (pending until write)",
     "Record a change to main.cf, or to a master.cf service's -o settings.\n"
     "Names and values are checked against the schema; --force keeps an\n"
     "unknown name or an invalid value anyway. Nothing is written until\n"
     "\"write\"."},
    {"unset", cmd_unset, "unset [SERVICE/TYPE/]NAME",
     "remove a setting (pending until write)",
     "Record the removal of a main.cf setting (the default applies again)\n"
     "or of a master.cf service's -o setting."},
    {"diff", cmd_diff, "diff", "the pending changes as a unified diff",
     "The pending changes as a unified diff of main.cf and master.cf: the\n"
     "bytes \"write\" will write."},
    {"lint", cmd_lint, "lint [OPTION...]",
     "check the configuration as it would be",
     "Run \"postern lint\" with the options given on the configuration with\n"
     "the pending changes. Findings at or above --fail-on make the command\n"
     "fail."},
    {"expand", cmd_expand, "expand TEXT", "evaluate $name expressions",
     "Evaluate $name, ${name}, ${name?value}, ${name:value} and\n"
     "${{a} == {b} ? {x} : {y}} as Postfix does, with the pending changes."},
    {"services", cmd_services, "services [GLOB]", "list master.cf services",
     "List master.cf services: service/type, command, line and arguments."},
    {"write", cmd_write, "write", "write the pending changes",
     "Write the pending changes, through the same locked, atomic edit as\n"
     "\"postern conf -e\" (file mode and owner kept)."},
    {"undo", cmd_undo, "undo", "drop the last pending change",
     "Drop the last pending change."},
    {"help", cmd_help, "help [COMMAND]", "this list, or more on a command",
     "List commands, or describe one."},
    {"quit", cmd_quit, "quit [-f]", "leave (asks about unwritten changes)",
     "Leave. With unwritten changes, asks first (on a terminal) or fails\n"
     "(in a script); -f drops them. \"exit\" and end of input do the same."},
    {"exit", cmd_quit, "exit [-f]", "same as quit", "Same as quit."},
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

const char *const repl_commands[] = {
    "diff",     "exit", "explain", "expand", "help",  "lint",  "quit",
    "services", "set",  "show",    "undo",   "unset", "write", NULL,
};

static const struct cmd *
find_cmd(const char *name)
{
    for (size_t i = 0; i < NCMDS; i++)
        if (strcmp(cmds[i].name, name) == 0)
            return &cmds[i];
    return NULL;
}

static int
cmd_help(struct repl *r, char *args)
{
    char *w = next_word(&args);
    const struct cmd *c;

    if (w == NULL) {
        printf("Commands (\"help COMMAND\" for more):\n");
        for (size_t i = 0; i < NCMDS; i++)
            if (strcmp(cmds[i].name, "exit") != 0)
                printf("  %-40s %s\n", cmds[i].usage, cmds[i].brief);
        printf("Tab completes commands, parameter names, values after \"=\"\n"
               "and master.cf service/type names.\n");
        return 0;
    }
    if ((c = find_cmd(w)) == NULL) {
        repl_error(r, "no command \"%s\"; \"help\" lists them", w);
        return -1;
    }
    printf("usage: %s\n%s\n", c->usage, c->help);
    return 0;
}

int
repl_exec(struct repl *r, const char *line)
{
    char *copy = mem_strdup(line), *cp = copy, *word;
    char force[] = "-f";
    const struct cmd *c;
    int rc;

    while (isspace((unsigned char) *cp))
        cp++;
    if (*cp == 0 || *cp == '#') {
        mem_free(copy);
        return 0;
    }
    word = cp;
    cp += strcspn(cp, " \t\r\n");
    if (*cp)
        *cp++ = 0;
    /* "quit!" is "quit -f". */
    if (strcmp(word, "quit!") == 0 || strcmp(word, "exit!") == 0) {
        word[4] = 0;
        cp = force;
    }
    if ((c = find_cmd(word)) == NULL) {
        repl_error(r, "unknown command \"%s\"; \"help\" lists the commands",
                   word);
        mem_free(copy);
        return -1;
    }
    rc = c->fn(r, cp);
    fflush(stdout);
    mem_free(copy);
    return rc;
}
