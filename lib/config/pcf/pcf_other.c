/*
 * pcf_other - postconf -m, -l, -a, -A: what this build supports.
 *
 * DESCRIPTION
 *	These list the capabilities of the Postfix 3.7.11 build that is
 *	our reference (Debian's, without dynamic map plugins), because
 *	they describe what main.cf may name, not this program.
 */
#include "out/out.h"
#include "pcf/pcf_int.h"

/* With --json, lists print as {"key": [...]}. */
static int json_mode;
static const char *json_key;

void
pcf_other_json(int on)
{
    json_mode = on;
}

static void
print_all(const char *const *list)
{
    if (json_mode) {
        struct out_val *root = out_obj_new(), *arr = out_arr_new();

        for (; *list; list++)
            out_arr_str(arr, *list);
        out_obj_add(root, json_key, arr);
        if (out_print(root, stdout) < 0)
            log_fatal("write error on standard output");
        out_free(root);
        return;
    }
    for (; *list; list++)
        printf("%s\n", *list);
}

void
pcf_show_maps(void)
{
    /* what Postern opens, in the order of Postfix 3.7's postconf -m
     * with Debian's map plugins (postfix-cdb, -ldap, -lmdb, -mysql,
     * -pcre, -pgsql, -sqlite) installed */
    static const char *const maps[] = {
        "btree",    "cdb",       "cidr",   "environ", "fail",     "hash",
        "inline",   "internal",  "ldap",   "lmdb",    "memcache", "mysql",
        "nis",      "pcre",      "pgsql",  "pipemap", "proxy",    "randmap",
        "regexp",   "socketmap", "sqlite", "static",  "tcp",      "texthash",
        "unionmap", "unix",      NULL,
    };

    json_key = "map_types";
    print_all(maps);
}

void
pcf_show_locks(void)
{
    static const char *const locks[] = {"flock", "fcntl", "dotlock", NULL};

    json_key = "lock_types";
    print_all(locks);
}

void
pcf_show_sasl(int mode)
{
    static const char *const server[] = {"cyrus", "dovecot", NULL};
    static const char *const client[] = {"cyrus", NULL};

    json_key =
        mode == PCF_SHOW_SASL_SERV ? "sasl_server_types" : "sasl_client_types";
    print_all(mode == PCF_SHOW_SASL_SERV ? server : client);
}
