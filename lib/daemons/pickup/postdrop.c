/*
 * postdrop - the set-gid program that writes a maildrop file.
 *
 * DESCRIPTION
 *	postdrop [-r] [-c config_dir]
 *
 *	Installed set-gid setgid_group (mode 2755), as Postfix's postdrop:
 *	the only way for a user other than root and mail_owner into the
 *	maildrop directory (1730 mail_owner:setgid_group). sendmail pipes
 *	it one maildrop file (pickup_int.h: an envelope frame, then the
 *	content); postdrop checks the frame, refuses control characters in
 *	the addresses, writes the file as the caller (mode 0604: the owner
 *	and pickup read it; the setgid_group, which every postdrop runs
 *	with, gets no access to other users' files), fsyncs it, renames it
 *	into place and triggers public/pickup. Exit 0, or 1 with
 *	"postdrop: fatal: ..." on stderr.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ipc/ipc.h"
#include "maillog/maillog.h"
#include "pcf/pcf.h"
#include "pickup/pickup.h"
#include "pickup/pickup_int.h"
#include "server/server.h"

/* the file to remove when interrupted */
static char tmp_path[128];
static volatile sig_atomic_t tmp_live;

static void
on_signal(int sig)
{
    if (tmp_live)
        (void) unlink(tmp_path);
    _exit(128 + sig);
}

static void
fatal_uid(const char *what)
{
    if (tmp_live)
        (void) unlink(tmp_path);
    log_msg("postdrop", LOG_LEVEL_FATAL, "uid=%ld: %s", (long) getuid(), what);
    exit(1);
}

/* read_all - stdin into b, at most limit bytes; 0 or -1 (too big) */
static int
read_all(struct buf *b, size_t limit)
{
    char chunk[65536];
    ssize_t n;

    while ((n = read(0, chunk, sizeof(chunk))) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fatal_uid("error reading input");
        }
        if (b->len + (size_t) n > limit)
            return -1;
        if (buf_append(b, chunk, (size_t) n) < 0)
            fatal_uid("out of memory");
    }
    return 0;
}

int
pickup_postdrop_main(int argc, char **argv)
{
    const char *config_dir = NULL;
    struct pcf *conf;
    char *qdir;
    struct buf in;
    struct queue_env env;
    char *fullname = NULL;
    size_t coff, limit;
    long msl;
    char final[128];
    struct timespec ts;
    struct sigaction sa;
    int fd;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
            config_dir = argv[++i];
        else if (strncmp(argv[i], "-c", 2) == 0 && argv[i][2])
            config_dir = argv[i] + 2;
        else if (strcmp(argv[i], "--help") == 0) {
            printf("usage: postdrop [-c config_dir] [-v]\n"
                   "(run by sendmail: a message in Postern's maildrop format "
                   "on stdin; see postdrop(1))\n");
            return 0;
        } else if (strcmp(argv[i], "-r") == 0 || strcmp(argv[i], "-v") == 0)
            continue; /* the only protocol; verbose: nothing to say */
        else {
            log_msg("postdrop", LOG_LEVEL_FATAL,
                    "usage: postdrop [-c "
                    "config_dir] [-v]");
            return 1;
        }
    }
    conf = pickup_setgid_init("postdrop", config_dir, &qdir);
    {
        const char *who =
            pickup_user_acl(conf, "authorized_submit_users", getuid());

        if (who) {
            log_msg("postdrop", LOG_LEVEL_FATAL,
                    "User %s(%ld) is not allowed to submit "
                    "mail",
                    who, (long) getuid());
            return 1;
        }
    }
    /* a malformed value is fatal (server.h): on stderr too, not only in
     * the maillog */
    maillog_open("postfix/postdrop", NULL, NULL);
    maillog_set_stderr(1);
    msl = server_conf_size(conf, NULL, "message_size_limit");
    maillog_set_stderr(0);
    maillog_close();
    /* the envelope frame and LF line ends: same slack as pickup */
    limit = msl > 0 ? (size_t) msl + 1024 * 1024 : (size_t) 1 << 31;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    (void) sigaction(SIGINT, &sa, NULL);
    (void) sigaction(SIGQUIT, &sa, NULL);
    (void) sigaction(SIGTERM, &sa, NULL);
    (void) sigaction(SIGHUP, &sa, NULL);
    (void) signal(SIGPIPE, SIG_IGN);
    (void) signal(SIGXFSZ, SIG_IGN);

    buf_init(&in, 0);
    if (read_all(&in, limit) < 0)
        fatal_uid("message file too big");
    queue_env_init(&env);
    if (in.len == 0)
        return 0; /* request cancelled, as Postfix */
    if (pickup_file_decode(in.data, in.len, &env, &fullname, &coff) < 0)
        fatal_uid("malformed input");

    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(final, sizeof(final), "maildrop/%ld%06ld.%ld.%ld",
             (long) ts.tv_sec, (long) (ts.tv_nsec / 1000), (long) getpid(),
             (long) getuid());
    snprintf(tmp_path, sizeof(tmp_path), "maildrop/.%ld%06ld.%ld",
             (long) ts.tv_sec, (long) (ts.tv_nsec / 1000), (long) getpid());
    fd = open(tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
              0600);
    if (fd < 0) {
        log_msg("postdrop", LOG_LEVEL_FATAL, "uid=%ld: create file %s/%s: %s",
                (long) getuid(), qdir, tmp_path, strerror(errno));
        return 1;
    }
    tmp_live = 1;
    /* owner rw, setgid_group nothing, others (pickup as mail_owner, the
     * only other that may search maildrop) read */
    if (fchmod(fd, 0604) < 0 || ipc_write_all(fd, in.data, in.len, -1) < 0 ||
        fsync(fd) < 0 || close(fd) < 0)
        fatal_uid("error writing queue file");
    if (rename(tmp_path, final) < 0)
        fatal_uid("error writing queue file");
    tmp_live = 0;
    /* wake pickup; it scans on its own wakeup anyway */
    fd = ipc_connect_unix("public/pickup");
    if (fd >= 0) {
        if (send(fd, "W", 1, MSG_NOSIGNAL) < 0) {
            /* pickup may have gone away: its next scan finds the file */
        }
        (void) close(fd);
    }
    queue_env_fini(&env);
    mem_free(fullname);
    buf_fini(&in);
    mem_free(qdir);
    return 0;
}
