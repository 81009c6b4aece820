/*
 * cli_postconf - "postern conf" and postern invoked as postconf: the
 *	command line of lib/config/pcf's postconf engine.
 *
 * DESCRIPTION
 *	The option letters, the mutual-exclusion and compatibility tables
 *	and their messages are postconf 3.7's, so scripts that parse
 *	postconf's errors keep working. Options end at the first
 *	non-option argument, as with Postfix's GETOPT on Linux. As
 *	"postern conf", Postern's long options (--json, --dry-run, --force,
 *	--backup, --help) are taken out first. The run itself is
 *	pcf_cmd_run's.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli/cli.h"
#include "conf/conf.h"
#include "pcf/pcf.h"
#include "util/util.h"

static const struct {
    const char *name;
    int mask;
} opt_names[] = {
    {"-a", PCF_SHOW_SASL_SERV}, {"-A", PCF_SHOW_SASL_CLNT},
    {"-b", PCF_EXP_DSN_TEMPL},  {"-C", PCF_PARAM_CLASS},
    {"-d", PCF_SHOW_DEFS},      {"-e", PCF_EDIT_CONF},
    {"-f", PCF_FOLD_LINE},      {"-F", PCF_MASTER_FLD},
    {"-h", PCF_HIDE_NAME},      {"-H", PCF_HIDE_VALUE},
    {"-l", PCF_SHOW_LOCKS},     {"-m", PCF_SHOW_MAPS},
    {"-M", PCF_MASTER_ENTRY},   {"-n", PCF_SHOW_NONDEF},
    {"-o", PCF_MAIN_OVER},      {"-p", PCF_MAIN_PARAM},
    {"-P", PCF_MASTER_PARAM},   {"-t", PCF_DUMP_DSN_TEMPL},
    {"-T", PCF_SHOW_TLS},       {"-x", PCF_SHOW_EVAL},
    {"-X", PCF_EDIT_EXCL},      {"-#", PCF_COMMENT_OUT},
};

#define MAJOR_MODES                                                         \
    (PCF_SHOW_SASL_SERV | PCF_SHOW_SASL_CLNT | PCF_EXP_DSN_TEMPL |          \
     PCF_SHOW_LOCKS | PCF_SHOW_MAPS | PCF_DUMP_DSN_TEMPL | PCF_MAIN_PARAM | \
     PCF_MASTER_ENTRY | PCF_MASTER_FLD | PCF_MASTER_PARAM | PCF_SHOW_TLS)

static const int incompat[] = {
    MAJOR_MODES,
    PCF_SHOW_DEFS | PCF_EDIT_CONF | PCF_SHOW_NONDEF | PCF_COMMENT_OUT |
        PCF_EDIT_EXCL,
    PCF_FOLD_LINE | PCF_EDIT_CONF | PCF_COMMENT_OUT | PCF_EDIT_EXCL,
    PCF_SHOW_EVAL | PCF_EDIT_CONF | PCF_COMMENT_OUT | PCF_EDIT_EXCL,
    PCF_MAIN_OVER | PCF_SHOW_DEFS | PCF_EDIT_CONF | PCF_COMMENT_OUT |
        PCF_EDIT_EXCL,
    PCF_HIDE_NAME | PCF_EDIT_CONF | PCF_COMMENT_OUT | PCF_EDIT_EXCL |
        PCF_HIDE_VALUE,
    0,
};

static const int compat[][2] = {
    {PCF_SHOW_SASL_SERV, 0},
    {PCF_SHOW_SASL_CLNT, 0},
    {PCF_EXP_DSN_TEMPL, 0},
    {PCF_SHOW_LOCKS, 0},
    {PCF_SHOW_MAPS, 0},
    {PCF_SHOW_TLS, 0},
    {PCF_DUMP_DSN_TEMPL, 0},
    {PCF_MAIN_PARAM, PCF_EDIT_CONF | PCF_EDIT_EXCL | PCF_COMMENT_OUT |
                         PCF_FOLD_LINE | PCF_HIDE_NAME | PCF_PARAM_CLASS |
                         PCF_SHOW_EVAL | PCF_SHOW_DEFS | PCF_SHOW_NONDEF |
                         PCF_MAIN_OVER | PCF_HIDE_VALUE},
    {PCF_MASTER_ENTRY, PCF_EDIT_CONF | PCF_EDIT_EXCL | PCF_COMMENT_OUT |
                           PCF_FOLD_LINE | PCF_MAIN_OVER | PCF_SHOW_EVAL},
    {PCF_MASTER_FLD, PCF_EDIT_CONF | PCF_FOLD_LINE | PCF_HIDE_NAME |
                         PCF_MAIN_OVER | PCF_SHOW_EVAL | PCF_HIDE_VALUE},
    {PCF_MASTER_PARAM, PCF_EDIT_CONF | PCF_EDIT_EXCL | PCF_FOLD_LINE |
                           PCF_HIDE_NAME | PCF_MAIN_OVER | PCF_SHOW_EVAL |
                           PCF_HIDE_VALUE},
    {PCF_PARAM_CLASS, PCF_MAIN_PARAM | PCF_SHOW_DEFS | PCF_SHOW_NONDEF},
    {0, 0},
};

/* mask_names - "-d -n" for the bits in mask, in postconf's table order */
static char *
mask_names(int mask)
{
    struct buf b;

    buf_init(&b, 0);
    for (size_t i = 0; i < sizeof(opt_names) / sizeof(opt_names[0]); i++) {
        if (mask & opt_names[i].mask) {
            if (b.len)
                buf_putc(&b, ' ');
            buf_puts(&b, opt_names[i].name);
            mask &= ~opt_names[i].mask;
        }
    }
    if (mask) {
        if (b.len)
            buf_putc(&b, ' ');
        buf_printf(&b, "0x%x", (unsigned) mask);
    }
    return buf_steal(&b);
}

static void
check_options(int mode)
{
    for (const int *op = incompat; *op; op++) {
        int oval = *op & mode;

        if (oval & (oval - 1))
            log_fatal("specify one of %s", mask_names(oval));
    }
    for (int i = 0; compat[i][0]; i++) {
        int excess;

        if ((mode & compat[i][0]) != 0 &&
            (excess = mode & ~(compat[i][0] | compat[i][1])) != 0)
            log_fatal("with option %s, do not specify %s",
                      mask_names(compat[i][0]), mask_names(excess));
    }
}

static void
usage(const char *progname)
{
    log_fatal("usage: %s"
              " [-a (server SASL types)]"
              " [-A (client SASL types)]"
              " [-b (bounce templates)]"
              " [-c config_dir]"
              " [-c param_class]"
              " [-d (parameter defaults)]"
              " [-e (edit configuration)]"
              " [-f (fold lines)]"
              " [-F (master.cf fields)]"
              " [-h (no names)]"
              " [-H (no values)]"
              " [-l (lock types)]"
              " [-m (map types)]"
              " [-M (master.cf)]"
              " [-n (non-default parameters)]"
              " [-o name=value (override parameter value)]"
              " [-p (main.cf, default)]"
              " [-P (master.cf parameters)]"
              " [-t (bounce templates)]"
              " [-T compile-version|run-version|public-key-algorithms]"
              " [-v (verbose)]"
              " [-x (expand parameter values)]"
              " [-X (exclude)]"
              " [-# (comment-out)]"
              " [name...]",
              progname);
}

static void
postern_help(void)
{
    fputs("usage: postern conf [options] [name ...]\n"
          "\n"
          "Print Postfix configuration exactly as Postfix 3.7's postconf(1) "
          "does.\n"
          "\n"
          "  (no option)     all parameters with their effective values\n"
          "  -n              only parameters set in main.cf\n"
          "  -d              built-in defaults\n"
          "  -h, -H          values only, names only\n"
          "  -x              expand $name in values\n"
          "  -f              fold long lines\n"
          "  -c DIR          configuration directory (default $MAIL_CONFIG or "
          "/etc/postfix)\n"
          "  -C CLASS        builtin, service, user or all (with -n, -d or "
          "names)\n"
          "  -o name=value   override a main.cf setting for this run\n"
          "  -M [svc[/type]] master.cf entries      -F [svc/type/field]  "
          "master.cf fields\n"
          "  -P [svc/type/p] master.cf -o settings  -m, -l, -a, -A  map, lock, "
          "SASL types\n"
          "  --json          machine-readable output: value, default, expanded "
          "value\n"
          "                  and where each value comes from\n"
          "\n"
          "Editing (the file is replaced atomically, keeping mode and owner):\n"
          "  -e name=value ...   set main.cf parameters (or just name=value "
          "...)\n"
          "  -X name ...         remove main.cf parameters\n"
          "  -# name ...         comment out main.cf parameters\n"
          "  -M svc/type='entry' replace or add a master.cf entry; -MX, -M# "
          "svc/type\n"
          "  -F svc/type/field=value     set a master.cf field\n"
          "  -P svc/type/param=value     set a master.cf -o parameter; -PX to "
          "remove\n"
          "  --dry-run       show the change as a unified diff; write nothing\n"
          "  --backup[=SUF]  keep the previous file as main.cf.bak (or main.cf "
          "SUF)\n"
          "  --force         write a value even when the schema says it is "
          "invalid\n"
          "  Example: postern conf -c /etc/postfix --dry-run -e "
          "relayhost=[mx.example.com]:587\n"
          "  --help          this text\n"
          "\n"
          "Exit status: 0 on success (warnings included), 1 on a fatal error.\n"
          "Invoked as \"postconf\" (a symlink), postern behaves exactly like "
          "postconf.\n",
          stdout);
}

/* the classes of -C */
static const struct {
    const char *name;
    unsigned mask;
} classes[] = {
    {"builtin", PCF_F_BUILTIN},
    {"service", PCF_F_SERVICE},
    {"user", PCF_F_USER},
    {"all", PCF_F_CLASS},
};

/*
 * parse_long - take Postern's long options out of argv (postern conf
 * only); the new argc, or -1 after --help
 */
static int
parse_long(int argc, char **argv, struct pcf_cmd *c)
{
    int j = 1;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            postern_help();
            return -1;
        } else if (strcmp(argv[i], "--json") == 0) {
            c->json = 1;
        } else if (strcmp(argv[i], "--dry-run") == 0) {
            c->edit.dry_run = 1;
        } else if (strcmp(argv[i], "--force") == 0) {
            c->edit.force = 1;
        } else if (strcmp(argv[i], "--backup") == 0) {
            c->edit.backup_suffix = ".bak";
        } else if (strncmp(argv[i], "--backup=", 9) == 0) {
            c->edit.backup_suffix = argv[i] + 9;
            if (*c->edit.backup_suffix == 0 ||
                strchr(c->edit.backup_suffix, '/'))
                log_fatal("--backup=SUFFIX needs a suffix without '/'");
        } else {
            argv[j++] = argv[i];
        }
    }
    argv[j] = NULL;
    return j;
}

/* parse_letters - postconf's option letters; the index of the first
 * argument after them */
static int
parse_letters(int argc, char **argv, struct pcf_cmd *c, struct strv *overrides)
{
    int ch;

    optind = 1;
    while ((ch = getopt(argc, argv, "+aAbc:C:deEfFhHlmMno:pPtT:vxX#")) > 0) {
        switch (ch) {
        case 'a':
            c->mode |= PCF_SHOW_SASL_SERV;
            break;
        case 'A':
            c->mode |= PCF_SHOW_SASL_CLNT;
            break;
        case 'b':
        case 't':
            if (c->mode & (PCF_EXP_DSN_TEMPL | PCF_DUMP_DSN_TEMPL))
                log_fatal("specify one of -b and -t");
            c->mode |= ch == 'b' ? PCF_EXP_DSN_TEMPL : PCF_DUMP_DSN_TEMPL;
            break;
        case 'c':
            if (setenv("MAIL_CONFIG", optarg, 1) < 0)
                log_fatal("out of memory");
            break;
        case 'C': {
            char *copy = mem_strdup(optarg), *cp = copy, *tok;

            c->param_class = 0;
            while ((tok = conf_tok_next(&cp, ", \t\r\n|")) != NULL) {
                size_t i;

                for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
                    if (strcasecmp(tok, classes[i].name) == 0)
                        break;
                if (i == sizeof(classes) / sizeof(classes[0]))
                    log_fatal("unknown -C option value \"%s\" in \"%s\"", tok,
                              optarg);
                c->param_class |= classes[i].mask;
            }
            mem_free(copy);
            break;
        }
        case 'd':
            c->mode |= PCF_SHOW_DEFS;
            break;
        case 'e':
            c->mode |= PCF_EDIT_CONF;
            break;
        case 'f':
            c->mode |= PCF_FOLD_LINE;
            break;
        case 'F':
            c->mode |= PCF_MASTER_FLD;
            break;
        case '#':
            c->mode |= PCF_COMMENT_OUT;
            break;
        case 'h':
            c->mode |= PCF_HIDE_NAME;
            break;
        case 'H':
            c->mode |= PCF_HIDE_VALUE;
            break;
        case 'l':
            c->mode |= PCF_SHOW_LOCKS;
            break;
        case 'm':
            c->mode |= PCF_SHOW_MAPS;
            break;
        case 'M':
            c->mode |= PCF_MASTER_ENTRY;
            break;
        case 'n':
            c->mode |= PCF_SHOW_NONDEF;
            break;
        case 'o':
            c->mode |= PCF_MAIN_OVER;
            strv_add(overrides, optarg);
            break;
        case 'p':
            c->mode |= PCF_MAIN_PARAM;
            break;
        case 'P':
            c->mode |= PCF_MASTER_PARAM;
            break;
        case 'T':
            if (c->mode & PCF_SHOW_TLS)
                log_fatal("At most one -T <mode> option may be specified");
            c->mode |= PCF_SHOW_TLS;
            c->tls_arg = optarg;
            break;
        case 'x':
            c->mode |= PCF_SHOW_EVAL;
            break;
        case 'X':
            c->mode |= PCF_EDIT_EXCL;
            break;
        case 'v':
            break;
        default:
            usage(argv[0]);
        }
    }
    return optind;
}

/* settle - the modes the options imply, then postconf's checks */
static void
settle(struct pcf_cmd *c)
{
    if ((c->mode & MAJOR_MODES) == 0)
        c->mode |= PCF_MAIN_PARAM;
    if ((c->mode & (PCF_MAIN_PARAM | PCF_MASTER_ENTRY | PCF_MASTER_FLD |
                    PCF_MASTER_PARAM)) &&
        c->nargs > 0 && strchr(c->args[0], '='))
        c->mode |= PCF_EDIT_CONF;
    check_options(c->mode);
    if ((c->mode & PCF_EDIT_CONF) && c->nargs == 0)
        log_fatal("-e requires name=value argument");
}

/* postconf - the whole command: parse argv, run the engine */
static int
postconf(int argc, char **argv, int postern_mode)
{
    struct pcf_cmd c;
    struct strv overrides;
    int first, status;

    memset(&c, 0, sizeof(c));
    c.postern = postern_mode;
    c.param_class = PCF_F_CLASS;
    c.tls_arg = "";
    if (!postern_mode) {
        /* postconf's stdout: a 4096-byte buffer, not flushed by warnings */
        setvbuf(stdout, NULL, _IOFBF, 4096);
        log_set_stdout_flush(0);
    }
    if (postern_mode && (argc = parse_long(argc, argv, &c)) < 0)
        return 0;
    strv_init(&overrides);
    first = parse_letters(argc, argv, &c, &overrides);
    c.args = argv + first;
    c.nargs = argc - first;
    c.overrides = overrides.v;
    c.noverrides = (int) overrides.n;
    settle(&c);
    status = pcf_cmd_run(&c);
    strv_fini(&overrides);
    return status;
}

int
cli_conf_main(int argc, char **argv)
{
    static char progname[] = "postern conf";

    argv[0] = progname;
    return postconf(argc, argv, 1);
}

int
cli_postconf_main(int argc, char **argv)
{
    log_set_progname(argv[0]);
    return postconf(argc, argv, 0);
}
