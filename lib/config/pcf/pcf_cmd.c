/*
 * pcf_cmd - postconf's engine: one run, as its command line asked.
 *
 * DESCRIPTION
 *	pcf_cmd_run takes the mode bits and arguments that postconf's
 *	options chose (lib/tools/cli/cli_postconf.c parses and checks them)
 *	and reads the files in the order each mode needs: main.cf first for
 *	the parameter modes, master.cf first for the master.cf modes, as
 *	postconf 3.7 does, so that the warnings come out in the same order.
 *
 *	Bounce templates (-b, -t) and TLS introspection (-T) are not
 *	offered: the first fails, the second warns as postconf does for a
 *	mode it does not know.
 */
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "pcf/pcf.h"
#include "pcf/pcf_int.h"

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

/* show_master - -M, -F, -P without an edit: master.cf entries, fields,
 * parameters */
static void
show_master(struct pcf *p, const struct pcf_cmd *c)
{
    pcf_read_master(p, 1);
    pcf_read_main(p);
    pcf_set_overrides(p, c->overrides, c->noverrides);
    pcf_register_builtin(p);
    pcf_register_service(p);
    pcf_register_user(p);
    if (c->json)
        pcf_json_master(p, c->args, c->nargs);
    else if (p->mode & PCF_MASTER_FLD)
        pcf_show_master_fields(p, c->args, c->nargs);
    else if (p->mode & PCF_MASTER_PARAM)
        pcf_show_master_params(p, c->args, c->nargs);
    else
        pcf_show_master_entries(p, c->args, c->nargs);
    fflush(p->out);
    pcf_flag_unused_master(p);
}

/* edit - -e, -X, -#: main.cf, or master.cf with -M, -F, -P */
static void
edit(struct pcf *p, const struct pcf_cmd *c)
{
    if (c->nargs == 0)
        log_fatal("missing service argument");
    if (p->mode & (PCF_MASTER_ENTRY | PCF_MASTER_FLD | PCF_MASTER_PARAM))
        pcf_edit_master(p, c->args, c->nargs, &c->edit);
    else
        pcf_edit_main(p, c->args, c->nargs, &c->edit);
}

/* show_params - the parameter modes: -p (default), -n, -d, -x ... */
static void
show_params(struct pcf *p, const struct pcf_cmd *c)
{
    if ((p->mode & PCF_SHOW_DEFS) == 0) {
        pcf_read_main(p);
        pcf_set_overrides(p, c->overrides, c->noverrides);
    }
    pcf_register_builtin(p);
    pcf_read_master(p, 0);
    pcf_register_service(p);
    if ((p->mode & PCF_SHOW_DEFS) == 0)
        pcf_register_user(p);
    if (c->json)
        pcf_json_show(p, c->args, c->nargs);
    else
        pcf_show_parameters(p, c->args, c->nargs);
    if ((p->mode & PCF_SHOW_DEFS) == 0) {
        pcf_flag_unused_main(p);
        pcf_flag_unused_master(p);
    }
}

int
pcf_cmd_run(const struct pcf_cmd *c)
{
    static struct pcf pcf;
    struct pcf *p = &pcf;

    memset(p, 0, sizeof(*p));
    the_pcf = p;
    p->out = stdout;
    p->postern = c->postern;
    p->mode = c->mode;
    p->param_class = c->param_class;
    p->process_name = "postconf";
    p->pid = (long) getpid();
    log_set_fatal_hook(flush_out);

    pcf_init_tables(p, c->config_dir ? c->config_dir : conf_config_dir(NULL));

    pcf_other_json(c->json);
    if (p->mode & (PCF_EXP_DSN_TEMPL | PCF_DUMP_DSN_TEMPL)) {
        log_fatal("bounce templates (-b, -t) are not supported by this "
                  "program; use Postfix's postconf");
    } else if (p->mode & PCF_SHOW_MAPS) {
        pcf_read_main(p);
        pcf_show_maps();
    } else if (p->mode & PCF_SHOW_LOCKS) {
        pcf_show_locks();
    } else if ((p->mode &
                (PCF_MASTER_ENTRY | PCF_MASTER_FLD | PCF_MASTER_PARAM)) &&
               !(p->mode & (PCF_EDIT_CONF | PCF_EDIT_EXCL | PCF_COMMENT_OUT))) {
        show_master(p, c);
    } else if (p->mode & PCF_SHOW_SASL_SERV) {
        pcf_show_sasl(PCF_SHOW_SASL_SERV);
    } else if (p->mode & PCF_SHOW_SASL_CLNT) {
        pcf_show_sasl(PCF_SHOW_SASL_CLNT);
    } else if (p->mode & PCF_SHOW_TLS) {
        /* TLS library introspection is not offered: say so as postconf
         * does for a mode it does not know. */
        log_warn("unknown 'postconf -T' mode: %s", c->tls_arg);
        return 1;
    } else if (p->mode & (PCF_EDIT_CONF | PCF_COMMENT_OUT | PCF_EDIT_EXCL)) {
        edit(p, c);
    } else {
        show_params(p, c);
    }
    if (fflush(p->out) != 0 || ferror(p->out))
        log_fatal("write error on standard output");
    return 0;
}
