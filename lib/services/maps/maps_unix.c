/*
 * maps_unix - the unix:passwd.byname and unix:group.byname tables.
 *
 * DESCRIPTION
 *	Postfix's dict_unix: the system's user and group databases
 *	through NSS (getpwnam_r, getgrnam_r), so users from LDAP or sssd
 *	are found as /etc/passwd ones. The value is the database line:
 *	"name:passwd:uid:gid:gecos:dir:shell" for passwd.byname,
 *	"name:passwd:gid:member,member" for group.byname. Answers (found or
 *	not) are kept a few seconds: smtpd asks for every RCPT.
 *
 *	NSS reads files under /etc on every call, so these tables cannot
 *	work inside a chroot jail; maps.c refuses them there (maps_pre_jail)
 *	unless they are behind proxy:, which the proxymap service answers
 *	outside the jail.
 */
#define _DEFAULT_SOURCE 1 /* getpwnam_r, getgrnam_r */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "maps/maps_int.h"

#define UNIX_TTL 10 /* seconds an answer is reused */

struct unix_answer {
    time_t when;
    char *line; /* NULL: no such name */
};

static void
answer_free(void *p)
{
    struct unix_answer *a = p;

    mem_free(a->line);
    mem_free(a);
}

void
maps_unix_cache_free(struct htab *cache)
{
    if (cache)
        htab_free(cache, answer_free);
}

int
maps_unix_known(const char *name)
{
    return strcmp(name, "passwd.byname") == 0 ||
           strcmp(name, "group.byname") == 0;
}

/* passwd_line - the passwd entry of key; 1 found, 0 not, -1 error */
static int
passwd_line(const char *key, struct buf *out)
{
    struct passwd pw, *res = NULL;
    long size = sysconf(_SC_GETPW_R_SIZE_MAX);
    char *mem;
    int rc;

    if (size < 1024)
        size = 16384;
    for (;;) {
        mem = mem_alloc((size_t) size);
        rc = getpwnam_r(key, &pw, mem, (size_t) size, &res);
        if (rc != ERANGE || size > (1L << 20))
            break;
        mem_free(mem);
        size *= 4;
    }
    if (rc == 0 && res) {
        (void) buf_printf(out, "%s:%s:%ld:%ld:%s:%s:%s", pw.pw_name,
                          pw.pw_passwd ? pw.pw_passwd : "", (long) pw.pw_uid,
                          (long) pw.pw_gid, pw.pw_gecos ? pw.pw_gecos : "",
                          pw.pw_dir ? pw.pw_dir : "",
                          pw.pw_shell ? pw.pw_shell : "");
        mem_free(mem);
        return 1;
    }
    mem_free(mem);
    /* POSIX lets "no such user" come back as any of these */
    if (rc == 0 || rc == ENOENT || rc == ESRCH || rc == EBADF || rc == EPERM)
        return 0;
    errno = rc;
    return -1;
}

/* group_line - the group entry of key; 1 found, 0 not, -1 error */
static int
group_line(const char *key, struct buf *out)
{
    struct group gr, *res = NULL;
    long size = sysconf(_SC_GETGR_R_SIZE_MAX);
    char *mem;
    int rc;

    if (size < 1024)
        size = 16384;
    for (;;) {
        mem = mem_alloc((size_t) size);
        rc = getgrnam_r(key, &gr, mem, (size_t) size, &res);
        if (rc != ERANGE || size > (1L << 24))
            break;
        mem_free(mem);
        size *= 4;
    }
    if (rc == 0 && res) {
        (void) buf_printf(out, "%s:%s:%ld:", gr.gr_name,
                          gr.gr_passwd ? gr.gr_passwd : "", (long) gr.gr_gid);
        for (char **m = gr.gr_mem; m && *m; m++)
            (void) buf_printf(out, "%s%s", m == gr.gr_mem ? "" : ",", *m);
        mem_free(mem);
        return 1;
    }
    mem_free(mem);
    if (rc == 0 || rc == ENOENT || rc == ESRCH || rc == EBADF || rc == EPERM)
        return 0;
    errno = rc;
    return -1;
}

enum maps_result
maps_unix_find(struct htab **cache, const char *name, const char *key,
               const char **value, char *err, size_t errlen)
{
    struct unix_answer *a;
    time_t now = time(NULL);

    if (*cache == NULL)
        *cache = htab_new(64);
    a = htab_find(*cache, key);
    if (a == NULL || now - a->when >= UNIX_TTL) {
        struct buf line;
        int rc;

        buf_init(&line, 0);
        rc = strcmp(name, "group.byname") == 0 ? group_line(key, &line)
                                               : passwd_line(key, &line);
        if (rc < 0) {
            snprintf(err, errlen, "unix:%s: lookup of \"%s\": %s", name, key,
                     strerror(errno));
            buf_fini(&line);
            return MAPS_ERROR;
        }
        if (a == NULL) {
            a = mem_calloc(1, sizeof(*a));
            htab_set(*cache, key, a);
        }
        mem_free(a->line);
        a->line = rc > 0 ? buf_steal(&line) : NULL;
        a->when = now;
        buf_fini(&line);
    }
    if (a->line == NULL)
        return MAPS_NOTFOUND;
    *value = a->line;
    return MAPS_FOUND;
}
