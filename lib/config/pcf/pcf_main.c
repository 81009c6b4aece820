/*
 * pcf_main - postconf's command line: options, their compatibility
 *	rules, and the order in which files are read for each mode.
 *
 * DESCRIPTION
 *	The option letters, the mutual-exclusion and compatibility tables
 *	and their messages are postconf 3.7's, so scripts that parse
 *	postconf's errors keep working. Options end at the first
 *	non-option argument, as with Postfix's GETOPT on Linux.
 *
 *	The editing modes (-e, -X, -#, and -M/-F/-P with name=value) are
 *	pcf_edit.c's.
 */
#include "conf/conf.h"
#include "pcf/pcf.h"
#include "pcf/pcf_int.h"

#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

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

#define MAJOR_MODES (PCF_SHOW_SASL_SERV | PCF_SHOW_SASL_CLNT | PCF_EXP_DSN_TEMPL \
    | PCF_SHOW_LOCKS | PCF_SHOW_MAPS | PCF_DUMP_DSN_TEMPL | PCF_MAIN_PARAM \
    | PCF_MASTER_ENTRY | PCF_MASTER_FLD | PCF_MASTER_PARAM | PCF_SHOW_TLS)

static const int incompat[] = {
    MAJOR_MODES,
    PCF_SHOW_DEFS | PCF_EDIT_CONF | PCF_SHOW_NONDEF | PCF_COMMENT_OUT
        | PCF_EDIT_EXCL,
    PCF_FOLD_LINE | PCF_EDIT_CONF | PCF_COMMENT_OUT | PCF_EDIT_EXCL,
    PCF_SHOW_EVAL | PCF_EDIT_CONF | PCF_COMMENT_OUT | PCF_EDIT_EXCL,
    PCF_MAIN_OVER | PCF_SHOW_DEFS | PCF_EDIT_CONF | PCF_COMMENT_OUT
        | PCF_EDIT_EXCL,
    PCF_HIDE_NAME | PCF_EDIT_CONF | PCF_COMMENT_OUT | PCF_EDIT_EXCL
        | PCF_HIDE_VALUE,
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
    {PCF_MAIN_PARAM, PCF_EDIT_CONF | PCF_EDIT_EXCL | PCF_COMMENT_OUT
         | PCF_FOLD_LINE | PCF_HIDE_NAME | PCF_PARAM_CLASS | PCF_SHOW_EVAL
         | PCF_SHOW_DEFS | PCF_SHOW_NONDEF | PCF_MAIN_OVER | PCF_HIDE_VALUE},
    {PCF_MASTER_ENTRY, PCF_EDIT_CONF | PCF_EDIT_EXCL | PCF_COMMENT_OUT
         | PCF_FOLD_LINE | PCF_MAIN_OVER | PCF_SHOW_EVAL},
    {PCF_MASTER_FLD, PCF_EDIT_CONF | PCF_FOLD_LINE | PCF_HIDE_NAME
         | PCF_MAIN_OVER | PCF_SHOW_EVAL | PCF_HIDE_VALUE},
    {PCF_MASTER_PARAM, PCF_EDIT_CONF | PCF_EDIT_EXCL | PCF_FOLD_LINE
         | PCF_HIDE_NAME | PCF_MAIN_OVER | PCF_SHOW_EVAL | PCF_HIDE_VALUE},
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

        if ((mode & compat[i][0]) != 0
            && (excess = mode & ~(compat[i][0] | compat[i][1])) != 0)
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
              " [name...]", progname);
}

static void
postern_help(void)
{
    fputs(
"usage: postern conf [options] [name ...]\n"
"\n"
"Print Postfix configuration exactly as Postfix 3.7's postconf(1) does.\n"
"\n"
"  (no option)     all parameters with their effective values\n"
"  -n              only parameters set in main.cf\n"
"  -d              built-in defaults\n"
"  -h, -H          values only, names only\n"
"  -x              expand $name in values\n"
"  -f              fold long lines\n"
"  -c DIR          configuration directory (default $MAIL_CONFIG or /etc/postfix)\n"
"  -C CLASS        builtin, service, user or all (with -n, -d or names)\n"
"  -o name=value   override a main.cf setting for this run\n"
"  -M [svc[/type]] master.cf entries      -F [svc/type/field]  master.cf fields\n"
"  -P [svc/type/p] master.cf -o settings  -m, -l, -a, -A  map, lock, SASL types\n"
"  --json          machine-readable output: value, default, expanded value\n"
"                  and where each value comes from\n"
"\n"
"Editing (the file is replaced atomically, keeping mode and owner):\n"
"  -e name=value ...   set main.cf parameters (or just name=value ...)\n"
"  -X name ...         remove main.cf parameters\n"
"  -# name ...         comment out main.cf parameters\n"
"  -M svc/type='entry' replace or add a master.cf entry; -MX, -M# svc/type\n"
"  -F svc/type/field=value     set a master.cf field\n"
"  -P svc/type/param=value     set a master.cf -o parameter; -PX to remove\n"
"  --dry-run       show the change as a unified diff; write nothing\n"
"  --backup[=SUF]  keep the previous file as main.cf.bak (or main.cf SUF)\n"
"  --force         write a value even when the schema says it is invalid\n"
"  Example: postern conf -c /etc/postfix --dry-run -e relayhost=[mx.example.com]:587\n"
"  --help          this text\n"
"\n"
"Exit status: 0 on success (warnings included), 1 on a fatal error.\n"
"Invoked as \"postconf\" (a symlink), postern behaves exactly like postconf.\n",
        stdout);
}

static struct pcf *the_pcf;

/*
 * flush_out - on a fatal error. As "postern conf" we print what was
 * computed; as postconf we drop what is still buffered, exactly as
 * postconf loses the unwritten part of its 4096-byte output buffer.
 */
static void
flush_out(void)
{
    if (the_pcf && the_pcf->out) {
        if (the_pcf->postern)
            fflush(the_pcf->out);
        else
            __fpurge(the_pcf->out);
    }
    pcf_edit_cleanup();
}


int
pcf_main(int argc, char **argv, int postern_mode)
{
    struct pcf pcf, *p = &pcf;
    struct strv overrides;
    int ch, json = 0;
    const char *tls_arg = "";
    struct pcf_edit_opts eo = {0, 0, NULL};
    int nargs;
    char **args;
    static const struct {
        const char *name;
        unsigned mask;
    } classes[] = {
        {"builtin", PCF_F_BUILTIN}, {"service", PCF_F_SERVICE},
        {"user", PCF_F_USER},       {"all", PCF_F_CLASS},
    };

    memset(p, 0, sizeof(*p));
    the_pcf = p;
    p->out = stdout;
    p->postern = postern_mode;
    p->param_class = PCF_F_CLASS;
    p->process_name = "postconf";
    p->pid = (long) getpid();
    log_set_fatal_hook(flush_out);
    if (!postern_mode) {
        /* postconf's stdout: a 4096-byte buffer, not flushed by warnings */
        setvbuf(stdout, NULL, _IOFBF, 4096);
        log_set_stdout_flush(0);
    }
    strv_init(&overrides);

    /* Postern's long options, before postconf's letters. */
    if (postern_mode) {
        int j = 1;

        for (int i = 1; i < argc; i++) {
            if (strcmp(argv[i], "--help") == 0) {
                postern_help();
                return 0;
            } else if (strcmp(argv[i], "--json") == 0) {
                json = 1;
            } else if (strcmp(argv[i], "--dry-run") == 0) {
                eo.dry_run = 1;
            } else if (strcmp(argv[i], "--force") == 0) {
                eo.force = 1;
            } else if (strcmp(argv[i], "--backup") == 0) {
                eo.backup_suffix = ".bak";
            } else if (strncmp(argv[i], "--backup=", 9) == 0) {
                eo.backup_suffix = argv[i] + 9;
                if (*eo.backup_suffix == 0 || strchr(eo.backup_suffix, '/'))
                    log_fatal("--backup=SUFFIX needs a suffix without '/'");
            } else {
                argv[j++] = argv[i];
            }
        }
        argc = j;
        argv[argc] = NULL;
    }

    optind = 1;
    while ((ch = getopt(argc, argv, "+aAbc:C:deEfFhHlmMno:pPtT:vxX#")) > 0) {
        switch (ch) {
        case 'a':
            p->mode |= PCF_SHOW_SASL_SERV;
            break;
        case 'A':
            p->mode |= PCF_SHOW_SASL_CLNT;
            break;
        case 'b':
        case 't':
            if (p->mode & (PCF_EXP_DSN_TEMPL | PCF_DUMP_DSN_TEMPL))
                log_fatal("specify one of -b and -t");
            p->mode |= ch == 'b' ? PCF_EXP_DSN_TEMPL : PCF_DUMP_DSN_TEMPL;
            break;
        case 'c':
            if (setenv("MAIL_CONFIG", optarg, 1) < 0)
                log_fatal("out of memory");
            break;
        case 'C': {
            char *copy = mem_strdup(optarg), *cp = copy, *tok;

            p->param_class = 0;
            while ((tok = conf_tok_next(&cp, ", \t\r\n|")) != NULL) {
                size_t i;

                for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
                    if (strcasecmp(tok, classes[i].name) == 0)
                        break;
                if (i == sizeof(classes) / sizeof(classes[0]))
                    log_fatal("unknown -C option value \"%s\" in \"%s\"", tok,
                              optarg);
                p->param_class |= classes[i].mask;
            }
            mem_free(copy);
            break;
        }
        case 'd':
            p->mode |= PCF_SHOW_DEFS;
            break;
        case 'e':
            p->mode |= PCF_EDIT_CONF;
            break;
        case 'f':
            p->mode |= PCF_FOLD_LINE;
            break;
        case 'F':
            p->mode |= PCF_MASTER_FLD;
            break;
        case '#':
            p->mode |= PCF_COMMENT_OUT;
            break;
        case 'h':
            p->mode |= PCF_HIDE_NAME;
            break;
        case 'H':
            p->mode |= PCF_HIDE_VALUE;
            break;
        case 'l':
            p->mode |= PCF_SHOW_LOCKS;
            break;
        case 'm':
            p->mode |= PCF_SHOW_MAPS;
            break;
        case 'M':
            p->mode |= PCF_MASTER_ENTRY;
            break;
        case 'n':
            p->mode |= PCF_SHOW_NONDEF;
            break;
        case 'o':
            p->mode |= PCF_MAIN_OVER;
            strv_add(&overrides, optarg);
            break;
        case 'p':
            p->mode |= PCF_MAIN_PARAM;
            break;
        case 'P':
            p->mode |= PCF_MASTER_PARAM;
            break;
        case 'T':
            if (p->mode & PCF_SHOW_TLS)
                log_fatal("At most one -T <mode> option may be specified");
            p->mode |= PCF_SHOW_TLS;
            tls_arg = optarg;
            break;
        case 'x':
            p->mode |= PCF_SHOW_EVAL;
            break;
        case 'X':
            p->mode |= PCF_EDIT_EXCL;
            break;
        case 'v':
            break;
        default:
            usage(argv[0]);
        }
    }
    args = argv + optind;
    nargs = argc - optind;

    if ((p->mode & MAJOR_MODES) == 0)
        p->mode |= PCF_MAIN_PARAM;
    if ((p->mode & (PCF_MAIN_PARAM | PCF_MASTER_ENTRY | PCF_MASTER_FLD
                    | PCF_MASTER_PARAM))
        && nargs > 0 && strchr(args[0], '='))
        p->mode |= PCF_EDIT_CONF;
    check_options(p->mode);
    if ((p->mode & PCF_EDIT_CONF) && nargs == 0)
        log_fatal("-e requires name=value argument");

    pcf_init_tables(p, conf_config_dir(NULL));

    pcf_other_json(json);
    if (p->mode & (PCF_EXP_DSN_TEMPL | PCF_DUMP_DSN_TEMPL)) {
        log_fatal("bounce templates (-b, -t) are not supported by this "
                  "program; use Postfix's postconf");
    } else if (p->mode & PCF_SHOW_MAPS) {
        pcf_read_main(p);
        pcf_show_maps();
    } else if (p->mode & PCF_SHOW_LOCKS) {
        pcf_show_locks();
    } else if ((p->mode & (PCF_MASTER_ENTRY | PCF_MASTER_FLD | PCF_MASTER_PARAM))
               && !(p->mode & (PCF_EDIT_CONF | PCF_EDIT_EXCL | PCF_COMMENT_OUT))) {
        pcf_read_master(p, 1);
        pcf_read_main(p);
        pcf_set_overrides(p, overrides.v, (int) overrides.n);
        pcf_register_builtin(p);
        pcf_register_service(p);
        pcf_register_user(p);
        if (json)
            pcf_json_master(p, args, nargs);
        else if (p->mode & PCF_MASTER_FLD)
            pcf_show_master_fields(p, args, nargs);
        else if (p->mode & PCF_MASTER_PARAM)
            pcf_show_master_params(p, args, nargs);
        else
            pcf_show_master_entries(p, args, nargs);
        fflush(p->out);
        pcf_flag_unused_master(p);
    } else if (p->mode & PCF_SHOW_SASL_SERV) {
        pcf_show_sasl(PCF_SHOW_SASL_SERV);
    } else if (p->mode & PCF_SHOW_SASL_CLNT) {
        pcf_show_sasl(PCF_SHOW_SASL_CLNT);
    } else if (p->mode & PCF_SHOW_TLS) {
        /* TLS library introspection is not offered: say so as postconf
         * does for a mode it does not know. */
        log_warn("unknown 'postconf -T' mode: %s", tls_arg);
        return 1;
    } else if (p->mode & (PCF_EDIT_CONF | PCF_COMMENT_OUT | PCF_EDIT_EXCL)) {
        if (nargs == 0)
            log_fatal("missing service argument");
        if (p->mode & (PCF_MASTER_ENTRY | PCF_MASTER_FLD | PCF_MASTER_PARAM))
            pcf_edit_master(p, args, nargs, &eo);
        else
            pcf_edit_main(p, args, nargs, &eo);
    } else {
        if ((p->mode & PCF_SHOW_DEFS) == 0) {
            pcf_read_main(p);
            pcf_set_overrides(p, overrides.v, (int) overrides.n);
        }
        pcf_register_builtin(p);
        pcf_read_master(p, 0);
        pcf_register_service(p);
        if ((p->mode & PCF_SHOW_DEFS) == 0)
            pcf_register_user(p);
        if (json)
            pcf_json_show(p, args, nargs);
        else
            pcf_show_parameters(p, args, nargs);
        if ((p->mode & PCF_SHOW_DEFS) == 0) {
            pcf_flag_unused_main(p);
            pcf_flag_unused_master(p);
        }
    }
    if (fflush(p->out) != 0 || ferror(p->out))
        log_fatal("write error on standard output");
    strv_fini(&overrides);
    return 0;
}
