/*
 * master_boot - "postern start": check, then fork the master; the
 * master's start-up steps (queue directory layout, pid file lock,
 * descriptor limit). The running master is master.c.
 */
#define _DEFAULT_SOURCE 1 /* setsid, MAP_ANONYMOUS, strcasecmp */
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "ipc/ipc.h"
#include "maillog/maillog.h"
#include "master/master.h"
#include "master/master_proc.h"
#include "pcf/pcf.h"
#include "server/server.h"
#include "server/server_anvil.h"

/* make_dirs - the queue directory layout, as Postfix's: public/ 0710 and
 * maildrop/ 1730, both mail_owner:setgid_group, so that only root,
 * mail_owner and the set-gid postdrop/postqueue reach the public sockets
 * and the maildrop; the rest mail_owner's own. Not started as root,
 * nothing can be chowned: the modes alone, and the instance's user is
 * its own mail_owner. */
int
master_make_dirs(const char *qdir, char *err, size_t errlen)
{
    enum { MINE, OWNER, OWNER_SGID };
    static const struct {
        const char *name;
        int mode;
        int own;
    } dirs[] = {
        {"store", 0700, OWNER},          {"private", 0700, OWNER},
        {"public", 0710, OWNER_SGID},    {"pid", 0755, MINE},
        {"maildrop", 01730, OWNER_SGID}, {"corrupt", 0700, OWNER},
    };
    long uid, gid, sgid;
    struct stat st;
    int fd;

    if (mkdir(qdir, 0755) < 0 && errno != EEXIST) {
        snprintf(err, errlen, "mkdir %s: %s", qdir, strerror(errno));
        return -1;
    }
    if (chdir(qdir) < 0) {
        snprintf(err, errlen, "chdir %s: %s", qdir, strerror(errno));
        return -1;
    }
    server_user(master_proc.conf, &uid, &gid);
    sgid = master_setgid_gid(gid);
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        if (mkdir(dirs[i].name, (mode_t) dirs[i].mode) < 0 && errno != EEXIST) {
            snprintf(err, errlen, "mkdir %s/%s: %s", qdir, dirs[i].name,
                     strerror(errno));
            return -1;
        }
        /* never chown or chmod through a planted symlink: one
         * descriptor, opened without following links, for the check
         * and both changes */
        fd =
            open(dirs[i].name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode)) {
            snprintf(err, errlen, "%s/%s: not a directory", qdir, dirs[i].name);
            if (fd >= 0)
                (void) close(fd);
            return -1;
        }
        if (geteuid() == 0 && dirs[i].own != MINE &&
            fchown(fd, (uid_t) uid,
                   (gid_t) (dirs[i].own == OWNER_SGID ? sgid : gid)) < 0) {
            snprintf(err, errlen, "chown %s/%s: %s", qdir, dirs[i].name,
                     strerror(errno));
            (void) close(fd);
            return -1;
        }
        if (fchmod(fd, (mode_t) dirs[i].mode) < 0) {
            snprintf(err, errlen, "chmod %s/%s: %s", qdir, dirs[i].name,
                     strerror(errno));
            (void) close(fd);
            return -1;
        }
        (void) close(fd);
    }
    return 0;
}

/* pid file helpers */
long
master_running_pid(const char *qdir)
{
    char path[1024], buf[64];
    int fd;
    ssize_t n;
    long pid = 0;

    snprintf(path, sizeof(path), "%s/pid/master.pid", qdir);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
        (void) close(fd); /* nobody holds it */
        return 0;
    }
    n = read(fd, buf, sizeof(buf) - 1);
    (void) close(fd);
    if (n > 0) {
        buf[n] = 0;
        pid = strtol(buf, NULL, 10);
    }
    return pid > 0 ? pid : -1;
}

int
master_lock_pidfile(char *err, size_t errlen)
{
    int fd = open("pid/master.pid", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    char buf[32];
    int n;

    if (fd < 0) {
        snprintf(err, errlen, "open pid/master.pid: %s", strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        snprintf(err, errlen, "the Postern mail system is already running");
        (void) close(fd);
        return -1;
    }
    n = snprintf(buf, sizeof(buf), "%10ld\n", (long) getpid());
    if (ftruncate(fd, 0) < 0 || write(fd, buf, (size_t) n) != n) {
        snprintf(err, errlen, "write pid/master.pid: %s", strerror(errno));
        (void) close(fd);
        return -1;
    }
    return fd; /* kept open: the lock lives as long as we do */
}

/* raise_nofile - the smtpd front holds one descriptor per idle client:
 * take the hard RLIMIT_NOFILE as the soft one (as root, first raise the
 * hard limit to NOFILE_WANT, within fs.nr_open). Children inherit it,
 * also after they drop privileges. */
void
master_raise_nofile(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return;
    if (geteuid() == 0 && rl.rlim_max != RLIM_INFINITY &&
        rl.rlim_max < NOFILE_WANT) {
        struct rlimit want = {NOFILE_WANT, NOFILE_WANT};
        FILE *fp = fopen("/proc/sys/fs/nr_open", "r");
        unsigned long nr_open = 0;

        if (fp) {
            if (fscanf(fp, "%lu", &nr_open) != 1)
                nr_open = 0;
            (void) fclose(fp);
        }
        if (nr_open > 0 && nr_open < NOFILE_WANT)
            want.rlim_cur = want.rlim_max = nr_open;
        if (setrlimit(RLIMIT_NOFILE, &want) == 0)
            rl = want;
    }
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
            log_warn("setrlimit RLIMIT_NOFILE %lu: %s",
                     (unsigned long) rl.rlim_cur, strerror(errno));
    }
}

static int
cmd_start(const char *qdir, int foreground)
{
    int p[2];
    pid_t pid;
    char buf[1200];
    ssize_t n;
    size_t got = 0;

    if (master_running_pid(qdir) != 0) {
        log_msg(NULL, LOG_LEVEL_FATAL,
                "the Postern mail system is already running");
        return 1;
    }
    if (foreground) {
        log_info("starting the Postern mail system");
        return master_daemon(qdir, -1, 1);
    }
    if (pipe(p) < 0) {
        log_error("pipe: %s", strerror(errno));
        return 1;
    }
    log_info("starting the Postern mail system");
    pid = fork();
    if (pid < 0) {
        log_error("fork: %s", strerror(errno));
        return 1;
    }
    if (pid == 0) {
        (void) close(p[0]);
        /* Double fork so the master is not our child. */
        pid = fork();
        if (pid != 0)
            _exit(pid < 0);
        exit(master_daemon(qdir, p[1], 0));
    }
    (void) close(p[1]);
    (void) waitpid(pid, NULL, 0);
    while (got < sizeof(buf) - 1 &&
           (n = read(p[0], buf + got, sizeof(buf) - 1 - got)) > 0) {
        got += (size_t) n;
        if (memchr(buf, '\n', got))
            break;
    }
    (void) close(p[0]);
    buf[got] = 0;
    if (strcmp(buf, "ok\n") == 0)
        return 0;
    buf[strcspn(buf, "\n")] = 0;
    log_msg(NULL, LOG_LEVEL_FATAL, "%s",
            got ? buf : "mail system startup failed");
    return 1;
}

int
master_start(struct pcf *c, const char *dir, unsigned flags, const char *qdir,
             int foreground)
{
    int rc;

    master_proc.conf = c;
    master_proc.config_dir = dir;
    rc = master_check(master_proc.conf, master_proc.config_dir, flags,
                      &master_proc.start_report);
    return rc == 0 ? cmd_start(qdir, foreground) : rc;
}
