/*
 * conf_dir - the one configuration-directory resolver: "-c DIR", else
 *	$MAIL_CONFIG, else /etc/postfix, as Postfix's commands choose it.
 *
 * DESCRIPTION
 *	Every command that reads a configuration (postconf, start/stop,
 *	queue, sendmail, postdrop, lint, dns, repl, explain) asks here,
 *	so an empty -c or $MAIL_CONFIG means the default everywhere, as
 *	an empty MAIL_CONFIG does in Postfix.
 */
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"

const char *
conf_config_dir(const char *given)
{
    const char *env;

    if (given && *given)
        return given;
    env = getenv("MAIL_CONFIG");
    return env && *env ? env : CONF_DEF_CONFIG_DIR;
}

const char *
conf_config_dir_arg(int *argc, char **argv, int from)
{
    const char *dir = NULL;

    for (int i = from; i < *argc; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < *argc) {
            dir = argv[i + 1];
            memmove(argv + i, argv + i + 2,
                    (size_t) (*argc - i - 1) * sizeof(*argv));
            *argc -= 2;
            i--;
        }
    }
    return dir;
}
