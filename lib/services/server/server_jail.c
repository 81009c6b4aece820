/*
 * server_jail - what a daemon needs from outside its chroot jail, got
 *	before it enters (Postfix's pre_jail_init).
 *
 * DESCRIPTION
 *	server_main() calls server_pre_jail() when it is about
 *	to chroot (started as root, chroot y in master.cf). By then the
 *	daemon has made its tables and read its keys; this does the rest:
 *
 *	- tables: maps_pre_jail() reads every table the process made,
 *	  checks that each can work inside the jail (unix: only behind
 *	  proxy:, proxy: tables approved by the proxymap service) and from
 *	  then on sends proxy: lookups to proxymap. A table that cannot
 *	  work is fatal here, naming the service, the parameter and the
 *	  table: never a "User unknown" at RCPT time because of the jail.
 *	- time zone: tzset() loads TZ (or /etc/localtime) now; glibc's
 *	  localtime_r() keeps what it loaded, so log time stamps stay in
 *	  local time inside the jail.
 *	- DNS: dns_pre_jail() keeps /etc/resolv.conf for the SMTP client's
 *	  resolver (ldns).
 *	- the name-service files that glibc reads on every call (hosts,
 *	  services, nsswitch.conf, host.conf, resolv.conf, localtime) are
 *	  copied into $queue_directory/etc when they differ, as Debian's
 *	  postfix package does at start, so that getaddrinfo(),
 *	  getnameinfo() and getservbyname() answer inside the jail as
 *	  outside. The directory is root's, 0755, and the copies are 0644:
 *	  the jailed daemons (mail_owner) cannot change them.
 */
#define _GNU_SOURCE 1 /* O_DIRECTORY, O_NOFOLLOW, renameat */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dns/dns.h"
#include "maillog/maillog.h"
#include "maps/maps.h"
#include "server/server.h"

static const char *const jail_etc_files[] = {
    "localtime", "services",  "resolv.conf",
    "hosts",     "host.conf", "nsswitch.conf",
};

/* same_file - 1 when etc/name in dirfd holds exactly text */
static int
same_file(int dirfd, const char *name, const char *text, size_t len)
{
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    int same = 0;

    if (fd < 0)
        return 0;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
        (size_t) st.st_size == len && st.st_uid == 0 &&
        (st.st_mode & 07777) == 0644) {
        char buf[8192];
        size_t off = 0;
        ssize_t r;

        same = 1;
        while (same && (r = read(fd, buf, sizeof(buf))) > 0) {
            if (off + (size_t) r > len || memcmp(buf, text + off, (size_t) r))
                same = 0;
            off += (size_t) r;
        }
        same = same && off == len;
    }
    (void) close(fd);
    return same;
}

/* copy_in - /etc/name into dirfd (write a new file, rename it in place) */
static void
copy_in(int dirfd, const char *name)
{
    char src[64], tmp[128], *text;
    size_t len;
    int fd, ok;

    snprintf(src, sizeof(src), "/etc/%s", name);
    if (util_read_file(src, 1 << 22, &text, &len) < 0)
        return; /* not on this system */
    if (same_file(dirfd, name, text, len)) {
        mem_free(text);
        return;
    }
    snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", name, (long) getpid());
    (void) unlinkat(dirfd, tmp, 0);
    fd = openat(dirfd, tmp,
                O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    ok = fd >= 0 && fchmod(fd, 0644) == 0 &&
         (len == 0 || write(fd, text, len) == (ssize_t) len);
    if (fd >= 0 && close(fd) < 0)
        ok = 0;
    if (ok && renameat(dirfd, tmp, dirfd, name) < 0)
        ok = 0;
    if (!ok) {
        log_warn("cannot copy %s into the chroot jail: %s", src,
                 strerror(errno));
        if (fd >= 0)
            (void) unlinkat(dirfd, tmp, 0);
    }
    mem_free(text);
}

/* jail_etc - the name-service files into $queue_directory/etc */
static void
jail_etc(const char *qdir)
{
    int qfd = open(qdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), efd;
    struct stat st;

    if (qfd < 0)
        return; /* the chroot that follows reports it */
    if (mkdirat(qfd, "etc", 0755) < 0 && errno != EEXIST)
        log_warn("mkdir %s/etc: %s", qdir, strerror(errno));
    efd = openat(qfd, "etc", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    (void) close(qfd);
    if (efd < 0)
        return;
    /* only a directory no one but root can change */
    if (fstat(efd, &st) < 0 || st.st_uid != 0 || (st.st_mode & 022)) {
        log_warn("%s/etc is not a directory of root's that only root "
                 "can write; name-service files are not copied into "
                 "the chroot jail",
                 qdir);
        (void) close(efd);
        return;
    }
    for (size_t i = 0; i < sizeof(jail_etc_files) / sizeof(*jail_etc_files);
         i++)
        copy_in(efd, jail_etc_files[i]);
    (void) close(efd);
}

void
server_pre_jail(struct server *srv)
{
    char err[1024];
    char *qdir;

    tzset();
    (void) dns_pre_jail();
    if (maps_pre_jail(err, sizeof(err)) < 0)
        log_fatal("service %s/%s runs chrooted (master.cf): %s", srv->service,
                  srv->type, err);
    qdir = server_param(srv, "queue_directory");
    jail_etc(qdir);
    mem_free(qdir);
}
