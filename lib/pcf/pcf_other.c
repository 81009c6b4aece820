/*
 * pcf_other - postconf -m, -l, -a, -A: what this build supports.
 *
 * DESCRIPTION
 *	These list the capabilities of the Postfix 3.7.11 build that is
 *	our reference (Debian's, without dynamic map plugins), because
 *	they describe what main.cf may name, not this program.
 */
#include "pcf/pcf_int.h"

static void
print_all(const char *const *list)
{
    for (; *list; list++)
        printf("%s\n", *list);
}

void
pcf_show_maps(void)
{
    static const char *const maps[] = {
        "btree", "cidr", "environ", "fail", "hash", "inline", "internal",
        "memcache", "nis", "pipemap", "proxy", "randmap", "regexp",
        "socketmap", "static", "tcp", "texthash", "unionmap", "unix", NULL,
    };

    print_all(maps);
}

void
pcf_show_locks(void)
{
    static const char *const locks[] = {"flock", "fcntl", "dotlock", NULL};

    print_all(locks);
}

void
pcf_show_sasl(int mode)
{
    static const char *const server[] = {"cyrus", "dovecot", NULL};
    static const char *const client[] = {"cyrus", NULL};

    print_all(mode == PCF_SHOW_SASL_SERV ? server : client);
}
