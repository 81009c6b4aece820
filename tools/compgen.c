/*
 * compgen - build-time tool: shell completions for postern, from the schema.
 *
 * DESCRIPTION
 *	"compgen bash|zsh|fish TEMPLATE OUT" writes the completion script
 *	for one shell: the template (completions/NAME.in, the shell code)
 *	with its "@DATA@" line replaced by shell variables and functions
 *	holding what the schema says. Parameter names (with descriptions
 *	for fish), bool and enum values, and which enums take a comma list
 *	come from the schema library (itself generated from the YAML in
 *	schemas/), so the scripts follow the schema without anyone editing
 *	them. The subcommands and their options are the table below.
 *
 *	What the scripts complete: subcommands; options of each; parameter
 *	names after "conf" and "explain", and "-o"; values after "NAME=";
 *	master.cf service/type (read at completion time from the
 *	directory given with -c, else $MAIL_CONFIG, else /etc/postfix)
 *	for "conf -M", "service/type/field" for "-F" and
 *	"service/type/parameter" for "-P"; directories and files where an
 *	option takes one; manual page topics after "help".
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "schema/schema.h"
#include "util/util.h"

/* What an option's argument is. */
enum arg {
    ARG_NONE = 0,
    ARG_DIR,      /* a directory */
    ARG_FILE,     /* a file */
    ARG_WORD,     /* free text: nothing to offer */
    ARG_NAMEVAL,  /* name=value */
    ARG_CLASS,    /* postconf -C classes */
    ARG_TLS,      /* postconf -T modes */
    ARG_FORMAT,   /* report formats */
    ARG_SEVERITY, /* --fail-on */
    ARG_COLOR,    /* --color */
};

static const char *const arg_kind[] = {
    "",      "dir", "file",   "word",     "nameval",
    "class", "tls", "format", "severity", "color",
};

struct flag {
    const char *name;
    enum arg arg;
    const char *desc;
};

struct sub {
    const char *name;
    const char *desc;
    const struct flag *flags;
};

static const struct flag conf_flags[] = {
    {"-a", 0, "server SASL plug-in types"},
    {"-A", 0, "client SASL plug-in types"},
    {"-b", 0, "bounce templates, expanded"},
    {"-c", ARG_DIR, "configuration directory"},
    {"-C", ARG_CLASS, "parameter class"},
    {"-d", 0, "built-in defaults"},
    {"-e", 0, "edit main.cf: name=value ..."},
    {"-f", 0, "fold long lines"},
    {"-F", 0, "master.cf fields: service/type/field"},
    {"-h", 0, "values only"},
    {"-H", 0, "names only"},
    {"-l", 0, "mailbox lock types"},
    {"-m", 0, "lookup table types"},
    {"-M", 0, "master.cf entries: service/type"},
    {"-n", 0, "only parameters set in main.cf"},
    {"-o", ARG_NAMEVAL, "override a parameter for this run"},
    {"-p", 0, "main.cf parameters (default)"},
    {"-P", 0, "master.cf -o parameters: service/type/name"},
    {"-t", 0, "bounce templates"},
    {"-T", ARG_TLS, "TLS library information"},
    {"-v", 0, "verbose"},
    {"-x", 0, "expand $name in values"},
    {"-X", 0, "remove parameters"},
    {"-#", 0, "comment out parameters"},
    {"--json", 0, "machine-readable output"},
    {"--dry-run", 0, "show the edit as a diff, write nothing"},
    {"--backup", 0, "keep the previous file as .bak"},
    {"--force", 0, "write values the schema says are invalid"},
    {"--help", 0, "usage"},
    {NULL, 0, NULL},
};

static const struct flag diff_flags[] = {
    {"-C", ARG_DIR, "run in this directory first"},
    {"-x", 0, "also compare expanded values"},
    {"--json", 0, "machine-readable output"},
    {"--defaults", 0, "compare with Postfix's defaults"},
    {"--help", 0, "usage"},
    {NULL, 0, NULL},
};

static const struct flag lint_flags[] = {
    {"-c", ARG_DIR, "configuration directory"},
    {"--format", ARG_FORMAT, "output format"},
    {"--fail-on", ARG_SEVERITY, "lowest severity that fails"},
    {"--postfix-version", ARG_WORD, "target Postfix version"},
    {"--root", ARG_DIR, "find table files under this directory"},
    {"--fix", 0, "rename deprecated parameters in place"},
    {"--config", ARG_FILE, "rule settings (.postern.yaml)"},
    {"--baseline", ARG_FILE, "ignore findings recorded in this file"},
    {"--write-baseline", ARG_FILE, "record the current findings"},
    {"--dns", 0, "also run the DNS checks"},
    {"--resolver", ARG_WORD, "with --dns: DNS server IP[:PORT]"},
    {"--timeout", ARG_WORD, "with --dns: seconds per try"},
    {"--retries", ARG_WORD, "with --dns: extra tries"},
    {"--public-ip", ARG_WORD, "with --dns: this server's address"},
    {"--trust-anchor", ARG_FILE, "with --dns: DNSSEC trust anchor"},
    {"--help", 0, "usage"},
    {NULL, 0, NULL},
};

static const struct flag dns_flags[] = {
    {"-c", ARG_DIR, "configuration directory"},
    {"--resolver", ARG_WORD, "DNS server IP[:PORT]"},
    {"--timeout", ARG_WORD, "seconds per try and server"},
    {"--retries", ARG_WORD, "extra tries after the first"},
    {"--domain", ARG_WORD, "also check this receiving domain"},
    {"--public-ip", ARG_WORD, "this server's public address"},
    {"--trust-anchor", ARG_FILE, "DNSSEC trust anchor file"},
    {"--checks", ARG_WORD, "mx,send,spf,dmarc,sts,dane,dnssec"},
    {"--format", ARG_FORMAT, "output format"},
    {"--fail-on", ARG_SEVERITY, "lowest severity that fails"},
    {"--color", ARG_COLOR, "auto, always or never"},
    {"--help", 0, "usage"},
    {NULL, 0, NULL},
};

static const struct flag repl_flags[] = {
    {"-c", ARG_DIR, "configuration directory"},
    {"--help", 0, "usage"},
    {NULL, 0, NULL},
};

static const struct flag explain_flags[] = {
    {"-c", ARG_DIR, "configuration directory"},
    {"--search", ARG_WORD, "find parameters by name or description"},
    {"--help", 0, "usage"},
    {NULL, 0, NULL},
};

static const struct flag no_flags[] = {{NULL, 0, NULL}};

static const struct sub subs[] = {
    {"conf", "print or edit the configuration, as postconf does", conf_flags},
    {"diff", "semantic difference between two configurations", diff_flags},
    {"lint", "check main.cf and master.cf", lint_flags},
    {"dns", "check DNS against the configuration", dns_flags},
    {"repl", "explore and edit parameters interactively", repl_flags},
    {"explain", "describe parameters", explain_flags},
    {"help", "usage, or a manual page", no_flags},
    {"version", "print the version", no_flags},
    {NULL, NULL, NULL},
};

static const char *const help_topics =
    "postern conf diff lint dns repl explain start queue map sendmail";
static const char *const classes = "builtin service user all";
static const char *const tls_modes =
    "compile-version run-version public-key-algorithms";
static const char *const formats =
    "text json sarif checkstyle junit github gitlab";
static const char *const severities = "error warning info style none";
static const char *const colors = "auto always never";
static const char *const fields =
    "service type private unprivileged chroot wakeup process_limit command";

/* quoted - s in single quotes for a shell ('\'' for a quote) */
static void
quoted(FILE *fp, const char *s)
{
    fputc('\'', fp);
    for (; *s; s++) {
        if (*s == '\'')
            fputs("'\\''", fp);
        else
            fputc(*s, fp);
    }
    fputc('\'', fp);
}

/* fish_quoted - s in single quotes for fish (\' and \\) */
static void
fish_quoted(FILE *fp, const char *s)
{
    fputc('\'', fp);
    for (; *s; s++) {
        if (*s == '\'' || *s == '\\')
            fputc('\\', fp);
        fputc(*s, fp);
    }
    fputc('\'', fp);
}

/* words - the parameter names, wrapped, each line starting with lead */
static void
names(FILE *fp, const char *lead)
{
    size_t col = 0;

    for (size_t i = 0; i < schema_param_count(); i++) {
        const char *n = schema_param_at(i)->name;

        if (col == 0 || col + strlen(n) > 76) {
            fprintf(fp, "%s%s", i ? "\n" : "", lead);
            col = strlen(lead);
        } else {
            fputc(' ', fp);
            col++;
        }
        fputs(n, fp);
        col += strlen(n);
    }
    fputc('\n', fp);
}

/* value_cases - one "pattern) values" pair per bool group and enum;
 * fmt_case gets the names joined by sep and the values */
static void
value_cases(FILE *fp, const char *sep, const char *open, const char *mid,
            const char *close)
{
    int first = 1;

    fputs(open, fp);
    for (size_t i = 0; i < schema_param_count(); i++) {
        const struct schema_param *sp = schema_param_at(i);

        if (sp->type != SCHEMA_BOOL)
            continue;
        fprintf(fp, "%s%s", first ? "" : sep, sp->name);
        first = 0;
    }
    fprintf(fp, "%syes no%s", mid, close);
    for (size_t i = 0; i < schema_param_count(); i++) {
        const struct schema_param *sp = schema_param_at(i);

        if (sp->type != SCHEMA_ENUM || sp->enum_values == NULL)
            continue;
        fprintf(fp, "%s%s%s", open, sp->name, mid);
        for (const char *const *v = sp->enum_values; *v; v++)
            fprintf(fp, "%s%s", v == sp->enum_values ? "" : " ", *v);
        fputs(close, fp);
    }
}

/* multi - names of enums that take a comma list, space separated */
static void
multi(FILE *fp)
{
    for (size_t i = 0; i < schema_param_count(); i++) {
        const struct schema_param *sp = schema_param_at(i);

        if (sp->type == SCHEMA_ENUM && (sp->flags & SCHEMA_F_MULTI))
            fprintf(fp, " %s", sp->name);
    }
}

/* flag_tables - per subcommand: its options, and what each takes */
static void
flag_tables(FILE *fp, const char *fn_flags, const char *fn_arg,
            const char *case_open, const char *case_mid, const char *case_close,
            const char *default_case, const char *alt)
{
    fprintf(fp, "%s", fn_flags);
    for (const struct sub *s = subs; s->name; s++) {
        fprintf(fp, "%s%s%s", case_open, s->name, case_mid);
        for (const struct flag *f = s->flags; f->name; f++)
            fprintf(fp, "%s%s", f == s->flags ? "" : " ", f->name);
        fputs(case_close, fp);
    }
    fputs(default_case, fp);
    fprintf(fp, "%s", fn_arg);
    for (const struct sub *s = subs; s->name; s++) {
        for (const struct flag *f = s->flags; f->name; f++) {
            if (f->arg == ARG_NONE)
                continue;
            fprintf(fp, "%s%s%s%s%s%s%s", case_open, s->name, alt, f->name,
                    case_mid, arg_kind[f->arg], case_close);
        }
    }
    fputs(default_case, fp);
}

static void
gen_bash(FILE *fp)
{
    fputs("# Generated from schemas/ by tools/compgen; do not edit.\n", fp);
    fputs("_postern_subcommands='", fp);
    for (const struct sub *s = subs; s->name; s++)
        fprintf(fp, "%s%s", s == subs ? "" : " ", s->name);
    fputs("'\n", fp);
    fprintf(fp,
            "_postern_topics='%s'\n_postern_classes='%s'\n"
            "_postern_tls='%s'\n_postern_formats='%s'\n"
            "_postern_severities='%s'\n_postern_fields='%s'\n"
            "_postern_colors='%s'\n",
            help_topics, classes, tls_modes, formats, severities, fields,
            colors);
    fputs("_postern_multi='", fp);
    multi(fp);
    fputs(" '\n_postern_params='\n", fp);
    names(fp, "");
    fputs("'\n\n# _postern_values - bool and enum values of parameter $1\n"
          "_postern_values()\n{\n    case $1 in\n",
          fp);
    value_cases(fp, "|", "    ", ") _postern_v='", "' ;;\n");
    fputs("    *) _postern_v='' ;;\n    esac\n}\n\n", fp);
    flag_tables(fp,
                "# _postern_flags - options of subcommand $1\n"
                "_postern_flags()\n{\n    case $1 in\n",
                "# _postern_flagarg - what option $2 of subcommand $1 takes\n"
                "_postern_flagarg()\n{\n    case $1:$2 in\n",
                "    ", ") _postern_v='", "' ;;\n",
                "    *) _postern_v='' ;;\n    esac\n}\n\n", ":");
}

static void
gen_zsh(FILE *fp)
{
    fputs("# Generated from schemas/ by tools/compgen; do not edit.\n", fp);
    fputs("_postern_subcommands=(\n", fp);
    for (const struct sub *s = subs; s->name; s++) {
        struct buf b;

        buf_init(&b, 0);
        buf_printf(&b, "%s:%s", s->name, s->desc);
        fputs("  ", fp);
        quoted(fp, buf_str(&b));
        fputc('\n', fp);
        buf_fini(&b);
    }
    fputs(")\n", fp);
    fprintf(fp,
            "_postern_topics='%s'\n_postern_classes='%s'\n"
            "_postern_tls='%s'\n_postern_formats='%s'\n"
            "_postern_severities='%s'\n_postern_fields='%s'\n"
            "_postern_colors='%s'\n",
            help_topics, classes, tls_modes, formats, severities, fields,
            colors);
    fputs("_postern_multi='", fp);
    multi(fp);
    fputs(" '\n_postern_params=(\n", fp);
    names(fp, "  ");
    fputs(")\n\n_postern_values() {\n  case $1 in\n", fp);
    value_cases(fp, "|", "  ", ") REPLY='", "' ;;\n");
    fputs("  *) REPLY='' ;;\n  esac\n}\n\n", fp);
    flag_tables(fp, "_postern_flags() {\n  case $1 in\n",
                "_postern_flagarg() {\n  case $1:$2 in\n", "  ", ") REPLY='",
                "' ;;\n", "  *) REPLY='' ;;\n  esac\n}\n\n", ":");
}

static void
gen_fish(FILE *fp)
{
    fputs("# Generated from schemas/ by tools/compgen; do not edit.\n", fp);
    fputs("function __postern_subcommands\n", fp);
    for (const struct sub *s = subs; s->name; s++) {
        struct buf b;

        buf_init(&b, 0);
        buf_printf(&b, "%s\t%s", s->name, s->desc);
        fputs("    echo ", fp);
        fish_quoted(fp, buf_str(&b));
        fputc('\n', fp);
        buf_fini(&b);
    }
    fputs("end\n\nfunction __postern_list\n    switch $argv[1]\n", fp);
    fprintf(fp,
            "        case topics\n            echo '%s'\n"
            "        case class\n            echo '%s'\n"
            "        case tls\n            echo '%s'\n"
            "        case format\n            echo '%s'\n"
            "        case severity\n            echo '%s'\n"
            "        case fields\n            echo '%s'\n"
            "        case color\n            echo '%s'\n"
            "        case multi\n            string split ' ' -- '",
            help_topics, classes, tls_modes, formats, severities, fields,
            colors);
    multi(fp);
    fputs("'\n    end\nend\n\nfunction __postern_params\n", fp);
    for (size_t i = 0; i < schema_param_count(); i++) {
        const struct schema_param *sp = schema_param_at(i);
        struct buf b;

        buf_init(&b, 0);
        if (sp->desc) {
            /* fish shows a short description beside each name. */
            size_t n = strlen(sp->desc);

            buf_printf(&b, "%s\t%.*s%s", sp->name, n > 60 ? 57 : (int) n,
                       sp->desc, n > 60 ? "..." : "");
        } else {
            buf_puts(&b, sp->name);
        }
        fputs("    echo ", fp);
        fish_quoted(fp, buf_str(&b));
        fputc('\n', fp);
        buf_fini(&b);
    }
    fputs("end\n\nfunction __postern_values\n    switch $argv[1]\n", fp);
    {
        int first = 1;

        fputs("        case", fp);
        for (size_t i = 0; i < schema_param_count(); i++) {
            const struct schema_param *sp = schema_param_at(i);

            if (sp->type == SCHEMA_BOOL) {
                fprintf(fp, "%s%s", first ? " " : " \\\n            ",
                        sp->name);
                first = 0;
            }
        }
        fputs("\n            printf '%s\\n' yes no\n", fp);
    }
    for (size_t i = 0; i < schema_param_count(); i++) {
        const struct schema_param *sp = schema_param_at(i);

        if (sp->type != SCHEMA_ENUM || sp->enum_values == NULL)
            continue;
        fprintf(fp, "        case %s\n            printf '%%s\\n'", sp->name);
        for (const char *const *v = sp->enum_values; *v; v++)
            fprintf(fp, " %s", *v);
        fputc('\n', fp);
    }
    fputs("    end\nend\n\n", fp);
    fputs("function __postern_flags\n    switch $argv[1]\n", fp);
    for (const struct sub *s = subs; s->name; s++) {
        if (s->flags[0].name == NULL)
            continue;
        fprintf(fp, "        case %s\n", s->name);
        for (const struct flag *f = s->flags; f->name; f++) {
            struct buf b;

            buf_init(&b, 0);
            buf_printf(&b, "%s\t%s", f->name, f->desc);
            fputs("            echo ", fp);
            fish_quoted(fp, buf_str(&b));
            fputc('\n', fp);
            buf_fini(&b);
        }
    }
    fputs("    end\nend\n\nfunction __postern_flagarg\n"
          "    switch \"$argv[1]:$argv[2]\"\n",
          fp);
    for (const struct sub *s = subs; s->name; s++)
        for (const struct flag *f = s->flags; f->name; f++)
            if (f->arg != ARG_NONE)
                fprintf(fp, "        case '%s:%s'\n            echo %s\n",
                        s->name, f->name, arg_kind[f->arg]);
    fputs("    end\nend\n\n", fp);
}

int
main(int argc, char **argv)
{
    static const struct {
        const char *shell;
        void (*gen)(FILE *fp);
    } shells[] = {{"bash", gen_bash}, {"zsh", gen_zsh}, {"fish", gen_fish}};
    char *tmpl = NULL, *mark;
    size_t len, i;
    FILE *fp;
    int rc = 0;

    log_set_progname("compgen");
    if (argc != 4) {
        fprintf(stderr, "usage: compgen bash|zsh|fish TEMPLATE OUTPUT\n");
        return 2;
    }
    for (i = 0; i < sizeof(shells) / sizeof(shells[0]); i++)
        if (strcmp(argv[1], shells[i].shell) == 0)
            break;
    if (i == sizeof(shells) / sizeof(shells[0])) {
        fprintf(stderr, "compgen: unknown shell \"%s\"\n", argv[1]);
        return 2;
    }
    if (util_read_file(argv[2], 1 << 20, &tmpl, &len) < 0) {
        fprintf(stderr, "compgen: %s: %s\n", argv[2], strerror(errno));
        return 1;
    }
    if ((mark = strstr(tmpl, "\n@DATA@\n")) == NULL) {
        fprintf(stderr, "compgen: %s: no @DATA@ line\n", argv[2]);
        mem_free(tmpl);
        return 1;
    }
    if ((fp = fopen(argv[3], "w")) == NULL) {
        fprintf(stderr, "compgen: %s: %s\n", argv[3], strerror(errno));
        mem_free(tmpl);
        return 1;
    }
    /* The template's logic around the data from the schema. */
    fwrite(tmpl, 1, (size_t) (mark - tmpl) + 1, fp);
    shells[i].gen(fp);
    fputs(mark + 8, fp);
    if (fclose(fp) != 0) {
        fprintf(stderr, "compgen: %s: %s\n", argv[3], strerror(errno));
        remove(argv[3]);
        rc = 1;
    }
    mem_free(tmpl);
    return rc;
}
