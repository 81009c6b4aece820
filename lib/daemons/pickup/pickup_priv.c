/*
 * pickup_priv - start-up of the set-gid programs (postdrop, postqueue)
 * and where sendmail finds them.
 *
 * DESCRIPTION
 *	See pickup_int.h. A set-gid program runs with whatever its caller
 *	left it: descriptors, environment, umask, resource limits, a
 *	configuration directory of the caller's choosing. Postfix's rule
 *	is followed: nothing the caller hands over is used unless it was
 *	checked, and a configuration directory other than the default is
 *	taken from a caller who is not root only when the default main.cf
 *	lists it in alternate_config_directories.
 */
#define _GNU_SOURCE 1 /* clearenv */
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maps/maps.h"
#include "pcf/pcf.h"
#include "pickup/pickup_int.h"
#include "server/server.h"

int
pickup_setgid_active(void)
{
    return getauxval(AT_SECURE) != 0 || getegid() != getgid();
}

void
pickup_command_path(struct pcf *conf, const char *name, char *out,
                    size_t outlen)
{
    const char *src = pcf_source(conf, "command_directory");
    char self[PATH_MAX];
    ssize_t n;

    if (src && strcmp(src, "default") != 0) {
        char *dir = server_conf_str(conf, NULL, "command_directory");

        snprintf(out, outlen, "%s/%s", dir, name);
        mem_free(dir);
        return;
    }
    n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n > 0) {
        char *slash;

        self[n] = 0;
        slash = strrchr(self, '/');
        if (slash) {
            *slash = 0;
            snprintf(out, outlen, "%s/%s", self, name);
            return;
        }
    }
    {
        char *dir = server_conf_str(conf, NULL, "command_directory");

        snprintf(out, outlen, "%s/%s", dir, name);
        mem_free(dir);
    }
}

static void die(const char *prog, const char *fmt, ...) UTIL_PRINTF(2, 3);

static void
die(const char *prog, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vmsg(prog, LOG_LEVEL_FATAL, fmt, ap);
    va_end(ap);
    exit(1);
}

/* listed - is dir among the words of value (commas, white space) */
static int
listed(const char *value, const char *dir)
{
    struct strv sv;
    int found = 0;

    strv_init(&sv);
    server_split(value ? value : "", &sv);
    for (size_t i = 0; i < sv.n && !found; i++)
        found = strcmp(sv.v[i], dir) == 0;
    strv_fini(&sv);
    return found;
}

/* check_config_dir - Postfix's mail_conf_checkdir */
static void
check_config_dir(const char *prog, const char *dir)
{
    char path[PATH_MAX];
    struct pcf *def;
    char *alt, *multi;
    int found;

    snprintf(path, sizeof(path), "%s/main.cf", PICKUP_DEF_CONFIG_DIR);
    if (access(path, R_OK) < 0)
        die(prog, "open file %s: %s", path, strerror(errno));
    def = pcf_load(PICKUP_DEF_CONFIG_DIR);
    alt = pcf_value(def, "alternate_config_directories");
    multi = pcf_value(def, "multi_instance_directories");
    found = listed(alt, dir) || listed(multi, dir);
    mem_free(alt);
    mem_free(multi);
    pcf_free(def);
    if (!found) {
        log_msg(prog, LOG_LEVEL_ERROR,
                "untrusted configuration directory name: "
                "%s",
                dir);
        log_msg(prog, LOG_LEVEL_FATAL,
                "specify \"alternate_config_directories = %s\" "
                "in %s",
                dir, path);
        exit(1);
    }
}

/* check_queue_dir - refuse a queue directory we should not write into */
static void
check_queue_dir(const char *prog, struct pcf *conf, const char *qdir)
{
    struct stat st;
    char *owner = server_conf_str(conf, NULL, "mail_owner");
    struct passwd *pw = getpwnam(owner);
    long owner_uid = pw ? (long) pw->pw_uid : -1;
    int priv = pickup_setgid_active();

    mem_free(owner);
    if (qdir[0] != '/')
        die(prog, "queue_directory %s: not an absolute path", qdir);
    if (lstat(qdir, &st) < 0)
        die(prog, "queue_directory %s: %s", qdir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        die(prog, "queue_directory %s: not a directory", qdir);
    /* with privileges: only a directory root (or mail_owner) made and
     * nobody else can change */
    if (priv && ((st.st_mode & 022) != 0 ||
                 (st.st_uid != 0 && (long) st.st_uid != owner_uid)))
        die(prog,
            "queue_directory %s: not owned by root or mail_owner, or "
            "writable by others",
            qdir);
    if (chdir(qdir) < 0)
        die(prog, "chdir %s: %s", qdir, strerror(errno));
    if (lstat("maildrop", &st) < 0)
        die(prog, "%s/maildrop: %s", qdir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        die(prog, "%s/maildrop: not a directory", qdir);
    if (priv && ((long) st.st_uid != owner_uid || st.st_gid != getegid() ||
                 (st.st_mode & 07777) != 01730))
        die(prog,
            "%s/maildrop: not mode 1730 owned by mail_owner and the "
            "setgid_group",
            qdir);
    if (lstat("public", &st) < 0 || !S_ISDIR(st.st_mode))
        die(prog, "%s/public: not a directory", qdir);
}

struct pcf *
pickup_setgid_init(const char *prog, const char *config_dir, char **qdir_out)
{
    struct stat st;
    struct rlimit rl = {0, 0};
    char dir[PATH_MAX];
    const char *tz;
    char tzbuf[256];
    struct pcf *conf;
    char *qdir;

    /* standard descriptors open, nothing else inherited */
    for (int fd = 0; fd < 3; fd++)
        if (fstat(fd, &st) < 0 && open("/dev/null", O_RDWR) != fd)
            exit(1);
    for (int fd = 3; fd < 1024; fd++)
        (void) close(fd);
    /* no core files with our privileges or what we read */
    (void) setrlimit(RLIMIT_CORE, &rl);
    (void) prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    umask(077);

    snprintf(dir, sizeof(dir), "%s", conf_config_dir(config_dir));
    tz = getenv("TZ");
    tzbuf[0] = 0;
    if (tz && strlen(tz) < sizeof(tzbuf))
        snprintf(tzbuf, sizeof(tzbuf), "%s", tz);
    /* the environment is the caller's: gone, but for the time zone */
    (void) clearenv();
    if (tzbuf[0])
        (void) setenv("TZ", tzbuf, 1);
    (void) setenv("PATH", "/usr/bin:/bin", 1);

    if (strcmp(dir, PICKUP_DEF_CONFIG_DIR) != 0 && pickup_setgid_active() &&
        getuid() != 0)
        check_config_dir(prog, dir);
    {
        char path[PATH_MAX + 16];

        snprintf(path, sizeof(path), "%s/main.cf", dir);
        if (access(path, R_OK) < 0)
            die(prog, "open file %s: %s", path, strerror(errno));
    }
    conf = pcf_load(dir);
    qdir = server_conf_str(conf, NULL, "queue_directory");
    check_queue_dir(prog, conf, qdir);
    if (qdir_out)
        *qdir_out = qdir;
    else
        mem_free(qdir);
    return conf;
}

const char *
pickup_user_acl(struct pcf *conf, const char *param, uid_t uid)
{
    static char who[256];
    char *acl = server_conf_str(conf, NULL, param);
    struct passwd *pw;
    struct maps_match *ml;
    int m;

    if (strncmp(acl, "static:", 7) == 0) {
        mem_free(acl);
        return NULL;
    }
    pw = getpwuid(uid);
    snprintf(who, sizeof(who), "%s", pw ? pw->pw_name : "unknown");
    ml = maps_match_new(param, acl, MAPS_MATCH_DOMAIN, 0);
    m = maps_match_domain(ml, who);
    maps_match_free(ml);
    mem_free(acl);
    return m == 1 ? NULL : who;
}
