/*
 * server_file - parameter values that Postfix reads from a file.
 *
 * DESCRIPTION
 *	Debian's Postfix (built with MYORIGIN_FROM_FILE) takes
 *	"myorigin = /etc/mailname" as the first line of that file, and
 *	Debian installs it so: used as text it gave bob@/etc/mailname.
 *	server_conf_str() passes every value through server_file_param(),
 *	so each daemon sees the file's contents, read at start (before
 *	chroot) as Postfix's mail_params_init() reads it.
 *
 *	The other parameters that take /file/name are match lists
 *	(mydestination, relay_domains, mynetworks, ...): those files are
 *	read where the list is built, in maps_match_new() (lib/services/maps).
 *
 *	server_check_files() makes the same reads for "postern check" and
 *	"start", for main.cf and each master.cf service, so that a missing
 *	file stops start instead of every daemon dying at its first use.
 *
 * DIAGNOSTICS
 *	Fatal, in Postfix's words: "PATH: cannot open file: ERROR",
 *	"myorigin file PATH is empty".
 */
#include <stdio.h>
#include <string.h>

#include "conf/conf.h"
#include "maillog/maillog.h"
#include "pcf/pcf.h"
#include "server/server.h"
#include "server/server_check.h"

/* file_value - the value a /file/name stands for, or NULL with why */
static char *
file_value(const char *name, const char *value, struct buf *why)
{
    char *text = conf_param_file(value, why);

    if (text && *text == 0) {
        buf_printf(why, "%s file %s is empty", name, value);
        mem_free(text);
        text = NULL;
    }
    return text;
}

char *
server_file_param(const char *name, char *value)
{
    struct buf why;
    char *text;

    if (strcmp(name, "myorigin") != 0 || *value != '/')
        return value;
    buf_init(&why, 0);
    if ((text = file_value(name, value, &why)) == NULL)
        log_fatal("%s", buf_str(&why));
    buf_fini(&why);
    mem_free(value);
    return text;
}

/* check_one - an ERROR note when value names a file that cannot give
 * the value (the daemon would die on it) */
static void
check_one(const struct server_checker *chk, const char *ns, const char *value)
{
    struct buf why;
    char *text;

    if (value == NULL || *value != '/')
        return;
    buf_init(&why, 0);
    if ((text = file_value("myorigin", value, &why)) == NULL)
        server_note(chk, SERVER_NOTE_ERROR, ns, "myorigin", "%s",
                    buf_str(&why));
    mem_free(text);
    buf_fini(&why);
}

void
server_check_files(struct pcf *conf, const struct server_checker *chk)
{
    char *main_value = pcf_value(conf, "myorigin");

    check_one(chk, NULL, main_value);
    for (size_t i = 0; i < pcf_service_count(conf); i++) {
        char ns[600], *v;

        snprintf(ns, sizeof(ns), "%s/%s", pcf_service_field(conf, i, 0),
                 pcf_service_field(conf, i, 1));
        v = pcf_service_value(conf, ns, "myorigin");
        /* only a service's own -o value is news */
        if (v && (main_value == NULL || strcmp(v, main_value) != 0))
            check_one(chk, ns, v);
        mem_free(v);
    }
    mem_free(main_value);
}
