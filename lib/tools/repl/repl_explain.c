/*
 * repl_explain - "explain NAME" and "postern explain": what a parameter
 *	is, and what the configuration does with it.
 *
 * DESCRIPTION
 *	From the schema: type (with range, unit or allowed values),
 *	default, the Postfix version that added it, deprecation, and the
 *	one-line description, and whether Postern honours it (in which
 *	daemons) or what "postern check" says when it is set but not
 *	honoured (schemas/postern.yaml). From the configuration, when there is
 *one: where the value is set (main.cf:LINE, or the default), the value, its
 *expansion, and every master.cf service whose -o overrides it.
 *
 *	"postern explain --search WORD" lists the parameters whose name,
 *	then those whose description, contains WORD (any case).
 */
#include <ctype.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "repl/repl.h"
#include "repl/repl_int.h"

#define LABEL_WIDTH 13
#define TEXT_WIDTH  78

/* field - "  label:     text" with text wrapped under itself */
static void
field(FILE *fp, const char *label, const char *text)
{
    size_t col = 0, width = TEXT_WIDTH - 2 - LABEL_WIDTH;
    const char *cp = text;

    fprintf(fp, "  %-*s", LABEL_WIDTH, label);
    while (*cp) {
        size_t n = strcspn(cp, " ");

        if (col > 0 && col + 1 + n > width) {
            fprintf(fp, "\n  %-*s", LABEL_WIDTH, "");
            col = 0;
        } else if (col > 0) {
            fputc(' ', fp);
            col++;
        }
        fwrite(cp, 1, n, fp);
        col += n;
        cp += n;
        while (*cp == ' ')
            cp++;
    }
    fputc('\n', fp);
}

static const char *
or_empty(const char *s)
{
    return s && *s ? s : "(empty)";
}

/* type_text - "int, at least 1", "enum: none, may, encrypt", ... */
static void
type_text(struct buf *b, const struct schema_param *sp)
{
    buf_puts(b, schema_type_name(sp->type));
    switch (sp->type) {
    case SCHEMA_INT:
    case SCHEMA_LONG:
    case SCHEMA_TIME:
        if (sp->type == SCHEMA_TIME)
            buf_printf(b,
                       " (a number with unit s, m, h, d or w; default "
                       "unit %c)",
                       sp->time_unit ? sp->time_unit : 's');
        if (sp->max > 0)
            buf_printf(b, ", %ld..%ld%s", sp->min, sp->max,
                       sp->type == SCHEMA_TIME ? " seconds" : "");
        else if (sp->min != 0)
            buf_printf(b, ", at least %ld%s", sp->min,
                       sp->type == SCHEMA_TIME ? " seconds" : "");
        break;
    case SCHEMA_BOOL:
        buf_puts(b, ": yes or no");
        break;
    case SCHEMA_ENUM:
        buf_puts(b, (sp->flags & SCHEMA_F_MULTI) ? ", a list of: " : ": ");
        for (const char *const *ev = sp->enum_values; ev && *ev; ev++)
            buf_printf(b, "%s%s", ev == sp->enum_values ? "" : ", ", *ev);
        break;
    default:
        break;
    }
    if (sp->flags & SCHEMA_F_READONLY)
        buf_puts(b, "; read-only");
    if (sp->flags & SCHEMA_F_RAW)
        buf_puts(b, "; not expanded ($ is literal)");
}

/* print_config - the configuration's side: source, value, services */
static void
print_config(FILE *fp, struct repl *r, struct pcf *p, const char *name)
{
    const char *raw = pcf_raw_value(p, name), *pending;
    char *exp = repl_value_expanded(r, p, name);
    struct buf b;
    int first = 1;

    buf_init(&b, 0);
    if (r && strcmp(name, "config_directory") == 0)
        buf_puts(&b, "the directory being edited");
    else if (strcmp(pcf_source(p, name), "default") == 0)
        buf_puts(&b, "not set (default");
    else
        buf_puts(&b, pcf_source(p, name));
    if (r && repl_pending_value(r, name, &pending))
        buf_puts(&b, pending ? " (pending change)" : "; pending removal");
    if (strcmp(pcf_source(p, name), "default") == 0)
        buf_putc(&b, ')');
    field(fp, "set in:", buf_str(&b));
    if (r && strcmp(name, "config_directory") == 0)
        raw = r->dir;
    field(fp, "value:", or_empty(raw));
    if (exp && raw && strcmp(exp, raw) != 0)
        field(fp, "expanded:", or_empty(exp));
    mem_free(exp);
    for (size_t i = 0; i < pcf_service_count(p); i++) {
        const char *ov = repl_service_override(p, i, name);

        if (ov == NULL)
            continue;
        buf_truncate(&b, 0);
        buf_printf(&b, "%s/%s (master.cf:%d): %s", pcf_service_field(p, i, 0),
                   pcf_service_field(p, i, 1), pcf_service_line(p, i),
                   or_empty(ov));
        if (strchr(ov, '$')) {
            struct buf e;

            buf_init(&e, 0);
            if (repl_expand(r, p, (long) i, ov, &e) == 0 &&
                strcmp(buf_str(&e), ov) != 0)
                buf_printf(&b, " = %s", or_empty(buf_str(&e)));
            buf_fini(&e);
        }
        field(fp, first ? "overridden:" : "", buf_str(&b));
        first = 0;
    }
    buf_fini(&b);
}

/* postern_text - what Postern does with a parameter honoured by the
 * daemons in by (NULL: none); refuse: the feature an unhonoured setting
 * stops start for, or NULL */
static void
postern_text(struct buf *b, const char *const *by, const char *partly,
             const char *refuse, const char *behaves)
{
    if (by) {
        buf_puts(b, "honoured by ");
        for (const char *const *d = by; *d; d++)
            buf_printf(b, "%s%s", d == by ? "" : ", ",
                       strcmp(*d, "all") == 0 ? "every daemon" : *d);
        if (partly)
            buf_printf(b, "; partly: %s", partly);
    } else if (behaves) {
        buf_printf(b,
                   "not read: Postern always behaves as with the value "
                   "\"%s\"; another value is %s",
                   behaves, refuse ? "an error" : "a warning");
    } else if (refuse) {
        buf_printf(b,
                   "not implemented (%s): setting it is an error, and "
                   "postern start refuses unless --allow-unimplemented",
                   refuse);
    } else {
        buf_puts(b, "not implemented: setting it is a warning");
    }
}

/* closest - the built-in parameter nearest to name, or NULL */
static const char *
closest(const char *name)
{
    size_t limit = strlen(name) / 4, best_d;
    const char *best = NULL;

    limit = limit < 1 ? 1 : limit > 3 ? 3 : limit;
    best_d = limit + 1;
    for (size_t i = 0; i < schema_param_count(); i++) {
        const char *cand = schema_param_at(i)->name;
        size_t d = str_distance(name, cand, limit);

        if (d < best_d) {
            best_d = d;
            best = cand;
        }
    }
    return best;
}

int
repl_explain_print(FILE *fp, struct repl *r, struct pcf *p, const char *name)
{
    const struct schema_param *sp = schema_param_find(name);
    const struct schema_family *fam = NULL;
    size_t svc_len = 0;
    struct buf b;

    if (sp == NULL && p != NULL && pcf_is_known(p, name))
        fam = schema_family_match(name, &svc_len);
    if (sp == NULL && fam == NULL &&
        (p == NULL || (!pcf_is_known(p, name) &&
                       strcmp(pcf_source(p, name), "default") == 0)))
        return -1;
    buf_init(&b, 0);
    fprintf(fp, "%s\n", name);
    if (sp) {
        type_text(&b, sp);
        field(fp, "type:", buf_str(&b));
        field(fp, "default:", or_empty(sp->defval));
        if (sp->flags & SCHEMA_F_DYNAMIC)
            field(fp, "",
                  "(computed at run time; shown for the reference "
                  "host)");
        if (sp->since) {
            buf_truncate(&b, 0);
            buf_printf(&b, "Postfix %s", sp->since);
            field(fp, "since:", buf_str(&b));
        }
        if (sp->deprecated || sp->removed) {
            buf_truncate(&b, 0);
            if (sp->deprecated)
                buf_printf(&b, "deprecated in Postfix %s", sp->deprecated);
            if (sp->removed)
                buf_printf(&b, "%sremoved in Postfix %s",
                           sp->deprecated ? ", " : "", sp->removed);
            if (sp->replacement)
                buf_printf(&b, "; use %s instead", sp->replacement);
            field(fp, "status:", buf_str(&b));
        }
        if (sp->desc)
            field(fp, "description:", sp->desc);
        buf_truncate(&b, 0);
        postern_text(&b, sp->honoured_by, sp->partly, sp->refuse, sp->behaves);
        field(fp, "postern:", buf_str(&b));
    } else if (fam) {
        buf_printf(&b,
                   "%s (a per-service parameter of master.cf service "
                   "\"%.*s\")",
                   schema_type_name(schema_family_type(fam)), (int) svc_len,
                   name);
        field(fp, "type:", buf_str(&b));
        buf_truncate(&b, 0);
        buf_printf(&b, "$%s", fam->defparam);
        field(fp, "default:", buf_str(&b));
        if (schema_family_desc(fam))
            field(fp, "description:", schema_family_desc(fam));
        buf_truncate(&b, 0);
        postern_text(&b, schema_family_honoured_by(fam), NULL, NULL, NULL);
        field(fp, "postern:", buf_str(&b));
    } else if (pcf_is_known(p, name)) {
        field(fp, "type:",
              "user-defined (not a Postfix parameter; known "
              "because this configuration defines and uses it)");
    } else {
        const char *s = closest(name);

        buf_printf(&b, "unknown: not a Postfix parameter, and nothing in "
                       "this configuration uses it, so Postfix ignores it");
        if (s)
            buf_printf(&b, " (did you mean %s?)", s);
        field(fp, "type:", buf_str(&b));
    }
    if (p)
        print_config(fp, r, p, name);
    buf_fini(&b);
    return 0;
}

/* contains - case-insensitive substring test */
static int
contains(const char *hay, const char *needle)
{
    size_t n = strlen(needle);

    for (; *hay; hay++) {
        size_t i;

        for (i = 0; i < n; i++)
            if (tolower((unsigned char) hay[i]) !=
                tolower((unsigned char) needle[i]))
                break;
        if (i == n)
            return 1;
    }
    return n == 0;
}

/* search - parameters whose name, then whose description, has word */
static int
search(const char *word)
{
    int found = 0;

    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < schema_param_count(); i++) {
            const struct schema_param *sp = schema_param_at(i);
            int in_name = contains(sp->name, word);

            if (pass == 0 ? !in_name
                          : in_name || !sp->desc || !contains(sp->desc, word))
                continue;
            printf("%-40s %s\n", sp->name, sp->desc ? sp->desc : "");
            found++;
        }
    }
    if (found == 0)
        log_msg("postern explain", LOG_LEVEL_INFO,
                "no parameter matches \"%s\"", word);
    return found ? 0 : 1;
}

static void
explain_usage(FILE *fp)
{
    fputs(
        "usage: postern explain [-c DIR] NAME...\n"
        "       postern explain --search WORD\n"
        "\n"
        "Describe Postfix parameters: type, default, since which version,\n"
        "what they do and, from the configuration in DIR (default\n"
        "$MAIL_CONFIG or /etc/postfix, when it has a main.cf), where each\n"
        "is set, its value and the master.cf services that override it.\n"
        "\n"
        "  -c DIR          configuration directory\n"
        "  --search WORD   list parameters whose name or description has WORD\n"
        "  --help          this text\n"
        "\n"
        "Exit status: 0 all found, 1 an unknown name or no match, 2 usage.\n"
        "See also: postern help explain\n",
        fp);
}

int
repl_explain_main(int argc, char **argv)
{
    const char *dir = NULL, *word = NULL;
    struct pcf *p = NULL;
    struct strv names;
    int rc = 0, i;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            explain_usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
            dir = argv[++i];
        } else if (strcmp(argv[i], "--search") == 0 && i + 1 < argc) {
            word = argv[++i];
        } else if (strncmp(argv[i], "--search=", 9) == 0) {
            word = argv[i] + 9;
        } else if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        } else if (argv[i][0] == '-') {
            log_msg("postern explain", LOG_LEVEL_INFO, "unknown option \"%s\"",
                    argv[i]);
            explain_usage(stderr);
            return 2;
        } else {
            break;
        }
    }
    if (word)
        return i < argc ? (explain_usage(stderr), 2) : search(word);
    if (i == argc) {
        explain_usage(stderr);
        return 2;
    }
    /* Without -c the configuration is optional: the schema suffices. */
    if (dir == NULL) {
        const char *def = conf_config_dir(NULL);
        struct buf b;

        buf_init(&b, 0);
        buf_printf(&b, "%s/main.cf", def);
        if (access(buf_str(&b), R_OK) == 0)
            dir = def;
        buf_fini(&b);
    } else {
        struct buf b;
        int ok;

        buf_init(&b, 0);
        buf_printf(&b, "%s/main.cf", dir);
        ok = access(buf_str(&b), R_OK) == 0;
        buf_fini(&b);
        if (!ok) {
            log_msg("postern explain", LOG_LEVEL_INFO, "cannot read %s/main.cf",
                    dir);
            return 2;
        }
    }
    strv_init(&names);
    if (dir) {
        struct strv services;

        strv_init(&services);
        p = pcf_load(dir);
        repl_names_load(p, &names, &services);
        strv_fini(&services);
    } else {
        for (size_t k = 0; k < schema_param_count(); k++)
            strv_add(&names, schema_param_at(k)->name);
    }
    for (int first = i; i < argc; i++) {
        if (i > first)
            putchar('\n');
        if (repl_explain_print(stdout, NULL, p, argv[i]) < 0) {
            const char *s = repl_suggest(&names, argv[i]);

            fflush(stdout);
            log_msg("postern explain", LOG_LEVEL_INFO,
                    "unknown parameter \"%s\"%s%s%s", argv[i],
                    s ? "; did you mean \"" : "", s ? s : "", s ? "\"?" : "");
            rc = 1;
        }
    }
    strv_fini(&names);
    pcf_free(p);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        log_msg("postern explain", LOG_LEVEL_INFO,
                "write error on standard output");
        return 2;
    }
    return rc;
}
