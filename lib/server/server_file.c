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
 *	read where the list is built, in maps_match_new() (lib/maps).
 *
 * DIAGNOSTICS
 *	Fatal, in Postfix's words: "PATH: cannot open file: ERROR",
 *	"myorigin file PATH is empty".
 */
#include <string.h>

#include "conf/conf.h"
#include "maillog/maillog.h"
#include "server/server.h"

char *
server_file_param(const char *name, char *value)
{
    struct buf why;
    char *text;

    if (strcmp(name, "myorigin") != 0 || *value != '/')
        return value;
    buf_init(&why, 0);
    if ((text = conf_param_file(value, &why)) == NULL)
        maillog_fatal("%s", buf_str(&why));
    if (*text == 0)
        maillog_fatal("%s file %s is empty", name, value);
    buf_fini(&why);
    mem_free(value);
    return text;
}
