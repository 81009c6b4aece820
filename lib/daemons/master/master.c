/*
 * master - the Postern master process and its command line.
 *
 * DESCRIPTION
 *	Process model (Postfix's): one master forks every service process.
 *	For each master.cf entry the master owns the listening socket
 *	(inet: bound here, as root if need be; unix: private/NAME or
 *	public/NAME under the queue directory) and a status pipe. Children
 *	inherit the socket and accept on it themselves; each tells the
 *	master when it is available or busy, and the master forks another
 *	one when a connection waits and none is available, up to the
 *	entry's maxproc. Entries with a wakeup time are poked every so
 *	many seconds (and once at start) by connecting to their socket,
 *	which is how qmgr and pickup get started.
 *
 *	Signals: SIGTERM stops (listeners closed, children get SIGTERM and
 *	finish what they are doing, SIGKILL after 60 s), SIGHUP reloads
 *	(config reread, sockets kept where the entry is unchanged, old
 *	children exit when idle).
 *
 * DIAGNOSTICS
 *	Startup problems go to stderr of "postern start" and to the
 *	maillog; later ones to the maillog only.
 */
#define _DEFAULT_SOURCE 1 /* setsid, MAP_ANONYMOUS, strcasecmp */
#include "master/master.h"

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
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "ipc/ipc.h"
#include "maillog/maillog.h"
#include "master/master_int.h"
#include "master/master_proc.h"
#include "pcf/pcf.h"
#include "server/server.h"
#include "server/server_anvil.h"

struct master_proc master_proc = {.sig_pipe = {-1, -1}, .throttle_time = 60};

static void
on_signal(int sig)
{
    int saved = errno;
    char c = (char) sig;

    if (sig == SIGTERM || sig == SIGINT)
        master_proc.got_term = 1;
    else if (sig == SIGHUP)
        master_proc.got_hup = 1;
    else if (sig == SIGCHLD)
        master_proc.got_chld = 1;
    if (write(master_proc.sig_pipe[1], &c, 1) < 0) {
        /* pipe full: a wakeup is pending anyway */
    }
    errno = saved;
}

/* yesno - master.cf y/n/- field */
static int
yesno(const char *v, int def)
{
    if (strcmp(v, "-") == 0)
        return def;
    return v[0] == 'y' || v[0] == 'Y';
}

/* map_postscreen - Postfix's "smtp inet ... postscreen" + "smtpd pass
 * ... smtpd" layout: the pass entry becomes an smtpd inet service whose
 * front process on postscreen's address runs postscreen
 * (lib/daemons/postscreen) and hands the clients that pass to the
 * entry's workers (one copy of the entry per postscreen listener).
 * Returns the new count of out. */
static int
map_postscreen(struct svc **out, int n, int max, size_t entry)
{
    const char *name = pcf_service_field(master_proc.conf, entry, 0);
    int line = pcf_service_line(master_proc.conf, entry);
    char ns[600], *want;
    struct svc *pass = NULL, *s;

    snprintf(ns, sizeof(ns), "%s/inet", name);
    want = server_conf_str(master_proc.conf, ns, "smtpd_service_name");
    if (*want == 0) {
        mem_free(want);
        want = mem_strdup("smtpd");
    }
    for (int i = 0; i < n && pass == NULL; i++)
        if (out[i]->pass && strcmp(out[i]->srv.command, "smtpd") == 0 &&
            strcmp(out[i]->srv.service, want) == 0)
            pass = out[i];
    if (pass == NULL || n >= max) {
        log_warn("master.cf line %d: service %s/inet runs "
                 "\"postscreen\", and there is no \"%s pass ... smtpd\" "
                 "entry to serve its clients; not started",
                 line, name, want);
        mem_free(want);
        return n;
    }
    mem_free(want);
    if (strcmp(pass->srv.type, "inet") == 0) {
        /* a second postscreen listener: a copy of the entry */
        s = mem_calloc(1, sizeof(*s));
        *s = *pass;
        s->srv.name_space = mem_strdup(pass->srv.name_space);
        s->srv.command = mem_strdup(pass->srv.command);
        s->srv.type = mem_strdup(pass->srv.type);
        s->srv.service = mem_strdup(pass->srv.service);
        s->key = mem_strdup(pass->key);
        out[n++] = s;
    } else {
        s = pass;
    }
    mem_free(s->srv.type);
    s->srv.type = mem_strdup("inet");
    mem_free(s->srv.service);
    s->srv.service = mem_strdup(name); /* the listen address */
    s->srv.private_ = 0;
    s->front = 1;
    s->screen = 1;
    snprintf(ns, sizeof(ns), "%s+%s/inet", s->srv.name_space, name);
    mem_free(s->key);
    s->key = mem_strdup(ns);
    log_info("master.cf line %d: %s/inet (postscreen): clients are "
             "screened by postscreen and served by %s (master.cf "
             "line %d)",
             line, name, s->srv.name_space, s->line);
    return n;
}

/* build_services - read the master.cf entries of conf into a new table
 * (sockets not yet opened). Entries we do not run are logged (check has
 * told the user on stderr before start, master_check.c). */
static int
build_services(struct svc **out, int max)
{
    int n = 0;
    size_t count = pcf_service_count(master_proc.conf);
    size_t screens[SERVER_MAX_LISTEN];
    int nscreens = 0;

    for (size_t i = 0; i < count && n < max; i++) {
        const char *name = pcf_service_field(master_proc.conf, i, 0);
        const char *type = pcf_service_field(master_proc.conf, i, 1);
        const char *cmd = pcf_service_field(master_proc.conf, i, 7);
        const char *why;
        master_service_fn *fn = master_lookup(cmd);
        struct svc *s;
        char ns[600];
        const char *mp;
        const char *wk;
        char *const *args = pcf_service_args(master_proc.conf, i);

        if (fn == NULL && strcmp(cmd, "postscreen") == 0 &&
            strcmp(type, "inet") == 0 && nscreens < SERVER_MAX_LISTEN) {
            screens[nscreens++] = i; /* after the pass entries are known */
            continue;
        }
        if (fn == NULL) {
            why = master_builtin(cmd);
            if (why) {
                log_info("master.cf line %d: %s/%s (%s): %s; no process "
                         "is started",
                         pcf_service_line(master_proc.conf, i), name, type, cmd,
                         why);
            } else {
                log_warn("master.cf line %d: service %s/%s runs \"%s\", "
                         "which Postern does not implement yet; not "
                         "started",
                         pcf_service_line(master_proc.conf, i), name, type,
                         cmd);
            }
            continue;
        }
        if (strcmp(type, "inet") != 0 && strcmp(type, "unix") != 0 &&
            strcmp(type, "fifo") != 0 && strcmp(type, "pass") != 0) {
            log_warn("master.cf line %d: service type %s of %s is not "
                     "supported; not started",
                     pcf_service_line(master_proc.conf, i), type, name);
            continue;
        }
        s = mem_calloc(1, sizeof(*s));
        s->fn = fn;
        s->line = pcf_service_line(master_proc.conf, i);
        s->srv.conf = master_proc.conf;
        s->srv.service = mem_strdup(name);
        s->srv.type = mem_strdup(strcmp(type, "inet") == 0 ? "inet" : "unix");
        snprintf(ns, sizeof(ns), "%s/%s", name, type);
        s->srv.name_space = mem_strdup(ns);
        s->key = mem_strdup(ns);
        s->srv.command = mem_strdup(cmd);
        s->srv.args = args;
        s->srv.private_ = yesno(pcf_service_field(master_proc.conf, i, 2), 1);
        s->srv.unpriv = yesno(pcf_service_field(master_proc.conf, i, 3), 1);
        s->srv.chroot_ = yesno(pcf_service_field(master_proc.conf, i, 4), 0);
        wk = pcf_service_field(master_proc.conf, i, 5);
        s->srv.wakeup = strcmp(wk, "-") == 0 ? 0 : (int) strtol(wk, NULL, 10);
        s->wakeup_if_running = strchr(wk, '?') != NULL;
        mp = pcf_service_field(master_proc.conf, i, 6);
        s->srv.maxproc = strcmp(mp, "-") == 0
                             ? (int) server_conf_int(master_proc.conf, NULL,
                                                     "default_process_limit")
                             : (int) strtol(mp, NULL, 10);
        for (int a = 0; args && args[a]; a++)
            if (strcmp(args[a], "-v") == 0)
                s->srv.verbose = 1;
        s->srv.status_fd = -1;
        s->status_pipe[0] = s->status_pipe[1] = -1;
        s->chan[0] = s->chan[1] = -1;
        s->front = strcmp(cmd, "smtpd") == 0 && strcmp(type, "inet") == 0;
        s->pass = strcmp(type, "pass") == 0;
        if (strcmp(s->srv.type, "inet") == 0 && strcmp(type, "inet") == 0)
            s->srv.private_ = 0;
        out[n++] = s;
    }
    for (int k = 0; k < nscreens; k++)
        n = map_postscreen(out, n, max, screens[k]);
    return n;
}

/* reload - reread config; keep sockets of unchanged entries */
static void
reload(void)
{
    struct svc *fresh[MAX_SVC];
    int nfresh;
    char err[512];

    master_proc.conf = pcf_load(master_proc.config_dir);
    master_proc.throttle_time =
        server_conf_time(master_proc.conf, NULL, "service_throttle_time");
    nfresh = build_services(fresh, MAX_SVC);
    /* old children finish their current work and exit */
    master_signal_children(SIGHUP, NULL);
    for (int i = 0; i < master_proc.nsvc; i++) {
        struct svc *old = master_proc.svcs[i];
        int kept = 0;

        if (old->retired)
            continue;
        for (int k = 0; k < nfresh; k++) {
            if (fresh[k]->srv.nlisten == 0 &&
                strcmp(fresh[k]->key, old->key) == 0) {
                /* adopt the socket */
                if (fresh[k]->front != old->front)
                    continue;
                for (int f = 0; f < old->srv.nlisten; f++)
                    fresh[k]->srv.listen_fd[f] = old->srv.listen_fd[f];
                fresh[k]->srv.nlisten = old->srv.nlisten;
                /* and the front's listeners and channel: the old front
                 * serves its idle clients and exits, the new one
                 * accepts, both pass sessions to the same workers */
                memcpy(fresh[k]->inet_fd, old->inet_fd, sizeof(old->inet_fd));
                fresh[k]->ninet = old->ninet;
                fresh[k]->chan[0] = old->chan[0];
                fresh[k]->chan[1] = old->chan[1];
                fresh[k]->srv.handoff_role = old->srv.handoff_role;
                /* and the client counts: the old front's clients and the
                 * old workers' sessions stay counted until they end */
                fresh[k]->srv.anvil = old->srv.anvil;
                fresh[k]->anvil_owner = old->anvil_owner;
                old->anvil_owner = 0;
                old->ninet = 0;
                old->chan[0] = old->chan[1] = -1;
                fresh[k]->sock_path =
                    old->sock_path ? mem_strdup(old->sock_path) : NULL;
                old->srv.nlisten = 0;
                kept = 1;
                break;
            }
        }
        if (!kept)
            master_svc_close(old, 1);
        else
            master_svc_close(old, 0);
        old->retired = 1;
    }
    for (int k = 0; k < nfresh; k++) {
        struct svc *s = fresh[k];

        if (s->srv.nlisten == 0) {
            if (master_open_service(s, err, sizeof(err)) < 0) {
                log_error("%s: %s", s->srv.name_space, err);
                master_svc_close(s, 1);
                mem_free(s);
                continue;
            }
        } else {
            /* sockets adopted: pipe and slots are new */
            int nl = s->srv.nlisten;
            int fds[SERVER_MAX_LISTEN];
            char *path = s->sock_path;

            memcpy(fds, s->srv.listen_fd, sizeof(fds));
            s->srv.nlisten = 0;
            s->sock_path = NULL;
            if (pipe(s->status_pipe) < 0) {
                log_error("pipe: %s", strerror(errno));
                continue;
            }
            (void) fcntl(s->status_pipe[0], F_SETFD, FD_CLOEXEC);
            (void) ipc_nonblock(s->status_pipe[0], 1);
            s->srv.nslots = s->srv.maxproc > 0 && s->srv.maxproc < 4096
                                ? (unsigned) s->srv.maxproc
                                : 1024;
            s->srv.shm =
                mmap(NULL, s->srv.nslots * sizeof(struct server_slot),
                     PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
            s->slot_used = mem_calloc(s->srv.nslots, 1);
            memcpy(s->srv.listen_fd, fds, sizeof(fds));
            s->srv.nlisten = nl;
            s->sock_path = path;
        }
        s->next_wakeup = s->srv.wakeup > 0 ? time(NULL) : 0;
        if (master_proc.nsvc <
            (int) (sizeof(master_proc.svcs) / sizeof(master_proc.svcs[0])))
            master_proc.svcs[master_proc.nsvc++] = s;
    }
    log_info("reload -- version %s, configuration %s", POSTERN_MTA_VERSION,
             master_proc.config_dir);
}

/* master_loop - the daemon proper; returns when stopped */
static void
master_loop(void)
{
    struct pollfd pfd[MAX_SVC * 4 + 2];
    struct svc *owner[MAX_SVC * 4 + 2];
    int kind[MAX_SVC * 4 + 2];
    time_t stop_deadline = 0;

    for (;;) {
        int n = 0, timeout = 1000;
        time_t now = time(NULL);

        /* what the exiting children said, before they are forgotten */
        master_stderr_drain(master_child_ident);
        if (master_proc.got_chld) {
            master_proc.got_chld = 0;
            master_reap();
            master_remove_retired();
        }
        if (master_proc.got_hup) {
            master_proc.got_hup = 0;
            reload();
        }
        if (master_proc.got_term && stop_deadline == 0) {
            log_info("terminating on signal 15");
            for (int i = 0; i < master_proc.nsvc; i++)
                master_svc_close(master_proc.svcs[i], 1);
            master_signal_children(SIGTERM, NULL);
            stop_deadline = now + 60;
        }
        if (master_proc.got_term) {
            if (master_proc.nchild == 0)
                return;
            if (now >= stop_deadline) {
                master_signal_children(SIGKILL, NULL);
                stop_deadline = now + 3600;
            }
        }
        /* fronts: always running */
        for (int i = 0; i < master_proc.nsvc && !master_proc.got_term; i++) {
            struct svc *s = master_proc.svcs[i];

            if (s->ninet > 0 && !s->retired && s->front_pid == 0 &&
                now >= s->front_throttle)
                master_spawn_front(s);
        }
        /* wakeups due */
        for (int i = 0; i < master_proc.nsvc && !master_proc.got_term; i++) {
            struct svc *s = master_proc.svcs[i];

            if (s->retired || s->srv.wakeup <= 0)
                continue;
            if (now >= s->next_wakeup) {
                if (s->total == 0 && now >= s->throttle_until)
                    master_spawn(s);
                master_wakeup(s);
                s->next_wakeup = now + s->srv.wakeup;
            }
            if ((s->next_wakeup - now) * 1000 < timeout)
                timeout = (int) ((s->next_wakeup - now) * 1000);
        }
        pfd[n].fd = master_proc.sig_pipe[0];
        pfd[n].events = POLLIN;
        kind[n++] = 0;
        if (master_stderr_fd() >= 0) {
            pfd[n].fd = master_stderr_fd();
            pfd[n].events = POLLIN;
            kind[n++] = 3;
        }
        for (int i = 0; i < master_proc.nsvc; i++) {
            struct svc *s = master_proc.svcs[i];

            if (s->status_pipe[0] >= 0) {
                pfd[n].fd = s->status_pipe[0];
                pfd[n].events = POLLIN;
                owner[n] = s;
                kind[n++] = 1;
            }
            if (master_proc.got_term || s->retired || master_svc_avail(s) > 0 ||
                (s->srv.maxproc > 0 && s->total >= s->srv.maxproc))
                continue;
            if (now < s->throttle_until)
                continue;
            for (int k = 0; k < s->srv.nlisten; k++) {
                pfd[n].fd = s->srv.listen_fd[k];
                pfd[n].events = POLLIN;
                owner[n] = s;
                kind[n++] = 2;
            }
        }
        if (timeout < 0)
            timeout = 0;
        if (poll(pfd, (nfds_t) n, timeout) < 0 && errno != EINTR)
            log_fatal("poll: %s", strerror(errno));
        for (int i = 0; i < n; i++) {
            if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            if (kind[i] == 0) {
                char b[64];

                while (read(master_proc.sig_pipe[0], b, sizeof(b)) > 0)
                    ;
            } else if (kind[i] == 3) {
                master_stderr_drain(master_child_ident);
            } else if (kind[i] == 1) {
                master_read_status(owner[i]);
            } else if (master_svc_avail(owner[i]) == 0) {
                master_spawn(owner[i]);
            }
        }
    }
}

/* daemon_start - everything after the fork; reports "ok" or an error
 * line on notify, then runs the loop */
int
master_daemon(const char *qdir, int notify, int foreground)
{
    char err[1024] = "";
    struct sigaction sa;
    int pidfd, rc = 0;
    char *syslog_name, *file, *host, ident[256];

    if (!foreground)
        (void) setsid();
    umask(022);
    syslog_name = server_conf_str(master_proc.conf, NULL, "syslog_name");
    file = server_conf_str(master_proc.conf, NULL, "maillog_file");
    host = server_conf_str(master_proc.conf, NULL, "myhostname");
    snprintf(ident, sizeof(ident), "%s/master", syslog_name);
    maillog_open(ident, file, host);
    if (master_proc.start_report)
        master_report_log(master_proc.start_report);
    mem_free(syslog_name);
    mem_free(file);
    mem_free(host);
    if (master_make_dirs(qdir, err, sizeof(err)) < 0 ||
        (pidfd = master_lock_pidfile(err, sizeof(err))) < 0)
        goto fail;
    if (pipe(master_proc.sig_pipe) < 0) {
        snprintf(err, sizeof(err), "pipe: %s", strerror(errno));
        goto fail;
    }
    for (int i = 0; i < 2; i++) {
        (void) fcntl(master_proc.sig_pipe[i], F_SETFD, FD_CLOEXEC);
        (void) ipc_nonblock(master_proc.sig_pipe[i], 1);
    }
    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGCHLD, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    master_proc.throttle_time =
        server_conf_time(master_proc.conf, NULL, "service_throttle_time");
    master_raise_nofile();

    if (master_stderr_open() < 0)
        log_warn("socketpair: %s: daemons' stderr is not logged",
                 strerror(errno));
    master_proc.nsvc = build_services(master_proc.svcs, MAX_SVC);
    for (int i = 0; i < master_proc.nsvc; i++) {
        if (master_open_service(master_proc.svcs[i], err, sizeof(err)) < 0)
            goto fail;
        if (master_proc.svcs[i]->srv.wakeup > 0)
            master_proc.svcs[i]->next_wakeup = time(NULL);
    }
    log_info("daemon started -- version %s, configuration %s",
             POSTERN_MTA_VERSION, master_proc.config_dir);
    if (notify >= 0) {
        if (write(notify, "ok\n", 3) < 0) {
            /* the starter went away; run anyway */
        }
        (void) close(notify);
    }
    if (!foreground) {
        int devnull = open("/dev/null", O_RDWR);

        if (devnull >= 0) {
            (void) dup2(devnull, 0);
            (void) dup2(devnull, 1);
            (void) dup2(devnull, 2);
            if (devnull > 2)
                (void) close(devnull);
        }
    }
    master_loop();
    log_info("daemon stopped");
    (void) unlink("pid/master.pid");
    (void) close(pidfd);
    return rc;
fail:
    log_error("%s", err);
    if (notify >= 0) {
        char line[1100];
        int n = snprintf(line, sizeof(line), "%s\n", err);

        if (write(notify, line, (size_t) n) < 0) {
            /* nothing to do */
        }
        (void) close(notify);
    } else {
        log_output_stderr(LOG_LEVEL_FATAL, log_progname(), err);
    }
    return 1;
}
