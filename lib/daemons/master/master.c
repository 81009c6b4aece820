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
#include "pcf/pcf.h"
#include "server/server.h"
#include "server/server_anvil.h"

#define MAX_SVC      256
#define MAX_CHILDREN 8192
#define INET_BACKLOG 65535
#define NOFILE_WANT  65536

struct svc {
    struct server srv; /* template for children */
    master_service_fn *fn;
    int line;
    char *key;       /* name_space + listen spec, to match on reload */
    char *sock_path; /* unix socket path, or NULL */
    int status_pipe[2];
    int total, avail;
    time_t throttle_until;
    time_t next_wakeup;
    int wakeup_if_running; /* "N?" */
    int retired;           /* removed by reload; waiting for children */
    unsigned char *slot_used;
    /* smtpd inet entries: a front process owns the listeners and the
     * idle connections; srv.listen_fd[0] is then the workers' end of
     * the hand-off channel (server.h) */
    int front;
    int inet_fd[SERVER_MAX_LISTEN];
    int ninet;
    int chan[2]; /* [0] the front's end, [1] the workers' */
    pid_t front_pid;
    time_t front_throttle;
    int pass; /* master.cf type "pass" */
    /* srv.anvil (fronts): this entry unmaps it when it goes; a reload
     * hands the table to the entry that adopts the listeners */
    int anvil_owner;
};

struct child {
    pid_t pid;
    struct svc *svc;
    unsigned slot;
    int avail;
    time_t started;
    int front; /* the service's front process */
};

static struct svc *svcs[MAX_SVC * 2];
static int nsvc;
static struct child children[MAX_CHILDREN];
static int nchild;
static int sig_pipe[2] = {-1, -1};
static volatile sig_atomic_t got_term, got_hup, got_chld;
static const char *config_dir;
static struct pcf *conf;
static long throttle_time = 60;
/* start: what check found, logged once the maillog is open */
static struct master_report *start_report;

static void
on_signal(int sig)
{
    int saved = errno;
    char c = (char) sig;

    if (sig == SIGTERM || sig == SIGINT)
        got_term = 1;
    else if (sig == SIGHUP)
        got_hup = 1;
    else if (sig == SIGCHLD)
        got_chld = 1;
    if (write(sig_pipe[1], &c, 1) < 0) {
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

/* listen_inet - bind the listeners of an inet entry; 0 or -1 (message in
 * err) */
static int
listen_inet(struct svc *s, char *err, size_t errlen)
{
    char host[256] = "", port[64];
    const char *spec = s->srv.service;
    const char *colon = strrchr(spec, ':');
    struct strv hosts;
    char *ifs = NULL, *protos = server_conf_str(conf, NULL, "inet_protocols");
    int family = AF_UNSPEC, rc = 0;

    strv_init(&hosts);
    if (strcasecmp(protos, "ipv4") == 0)
        family = AF_INET;
    else if (strcasecmp(protos, "ipv6") == 0)
        family = AF_INET6;
    mem_free(protos);
    if (colon) {
        size_t n = (size_t) (colon - spec);

        if (n >= sizeof(host))
            n = sizeof(host) - 1;
        memcpy(host, spec, n);
        host[n] = 0;
        snprintf(port, sizeof(port), "%s", colon + 1);
        if (host[0] == '[' && n > 1 && host[n - 1] == ']') {
            memmove(host, host + 1, n - 2);
            host[n - 2] = 0;
        }
        if (strcmp(host, "*") == 0 || host[0] == 0)
            strv_add(&hosts, "");
        else
            strv_add(&hosts, host);
    } else {
        snprintf(port, sizeof(port), "%s", spec);
        ifs = server_conf_str(conf, NULL, "inet_interfaces");
        if (strcasecmp(ifs, "all") == 0)
            strv_add(&hosts, "");
        else if (strcasecmp(ifs, "loopback-only") == 0) {
            if (family != AF_INET6)
                strv_add(&hosts, "127.0.0.1");
            if (family != AF_INET)
                strv_add(&hosts, "::1");
        } else
            server_split(ifs, &hosts);
        mem_free(ifs);
    }
    for (size_t h = 0; h < hosts.n && rc == 0; h++) {
        struct addrinfo hints, *res = NULL, *ai;
        int gai;

        memset(&hints, 0, sizeof(hints));
        hints.ai_family = family;
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = AI_PASSIVE;
        if (hosts.v[h][0] == 0 && family == AF_UNSPEC)
            hints.ai_family = AF_INET; /* wildcard: one v4 socket ... */
        gai =
            getaddrinfo(hosts.v[h][0] ? hosts.v[h] : NULL, port, &hints, &res);
        if (gai != 0) {
            snprintf(err, errlen, "%s: host or service lookup of \"%s\": %s",
                     spec, hosts.v[h][0] ? hosts.v[h] : port,
                     gai_strerror(gai));
            rc = -1;
            break;
        }
        for (ai = res; ai && rc == 0; ai = ai->ai_next) {
            int fd, on = 1;

            if (s->srv.nlisten >= SERVER_MAX_LISTEN)
                break;
            fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
            if (fd < 0)
                continue;
            (void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
            if (ai->ai_family == AF_INET6)
                (void) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on,
                                  sizeof(on));
            /* Postfix uses 100; the kernel caps this at somaxconn, and
             * the smtpd front keeps the queue short anyway */
            if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
                listen(fd, INET_BACKLOG) < 0) {
                char a[NI_MAXHOST] = "?";

                getnameinfo(ai->ai_addr, ai->ai_addrlen, a, sizeof(a), NULL, 0,
                            NI_NUMERICHOST);
                snprintf(err, errlen, "bind %s port %s: %s", a, port,
                         strerror(errno));
                (void) close(fd);
                rc = -1;
                break;
            }
            (void) ipc_nonblock(fd, 1);
            s->srv.listen_fd[s->srv.nlisten++] = fd;
        }
        freeaddrinfo(res);
    }
    strv_fini(&hosts);
    return rc;
}

static long setgid_gid(long fallback);

/* listen_unix - private/NAME or public/NAME */
static int
listen_unix(struct svc *s, char *err, size_t errlen)
{
    char path[512];
    int fd;

    snprintf(path, sizeof(path), "%s/%s",
             s->srv.private_ ? "private" : "public", s->srv.service);
    /* public sockets: mail_owner:setgid_group 0660 inside public/ 0710
     * (the directory is the gate, as in Postfix; the socket's own mode
     * is a second one) */
    fd = ipc_listen_unix(path, s->srv.private_ ? 0600 : 0660, 1024);
    if (fd < 0) {
        snprintf(err, errlen, "bind %s: %s", path, strerror(errno));
        return -1;
    }
    if (geteuid() == 0) {
        long uid, gid;

        server_user(conf, &uid, &gid);
        if (!s->srv.private_)
            gid = setgid_gid(gid);
        if (chown(path, (uid_t) uid, (gid_t) gid) < 0) {
            /* the mode still lets root-run services in */
        }
    }
    (void) ipc_nonblock(fd, 1);
    s->sock_path = mem_strdup(path);
    s->srv.listen_fd[s->srv.nlisten++] = fd;
    return 0;
}

static void
svc_close(struct svc *s, int unlink_socket)
{
    for (int i = 0; i < s->srv.nlisten; i++)
        (void) close(s->srv.listen_fd[i]);
    s->srv.nlisten = 0;
    for (int i = 0; i < s->ninet; i++)
        (void) close(s->inet_fd[i]);
    s->ninet = 0;
    if (s->chan[0] >= 0)
        (void) close(s->chan[0]);
    s->chan[0] = s->chan[1] = -1; /* [1] was srv.listen_fd[0] */
    if (unlink_socket && s->sock_path)
        (void) unlink(s->sock_path);
}

/* map_postscreen - Postfix's "smtp inet ... postscreen" + "smtpd pass
 * ... smtpd" layout: Postern has no postscreen, so the pass entry
 * becomes an smtpd inet service with a front on postscreen's address
 * (one copy of the entry per postscreen listener). Returns the new
 * count of out. */
static int
map_postscreen(struct svc **out, int n, int max, size_t entry)
{
    const char *name = pcf_service_field(conf, entry, 0);
    int line = pcf_service_line(conf, entry);
    char ns[600], *want;
    struct svc *pass = NULL, *s;

    snprintf(ns, sizeof(ns), "%s/inet", name);
    want = server_conf_str(conf, ns, "smtpd_service_name");
    if (*want == 0) {
        mem_free(want);
        want = mem_strdup("smtpd");
    }
    for (int i = 0; i < n && pass == NULL; i++)
        if (out[i]->pass && strcmp(out[i]->srv.command, "smtpd") == 0 &&
            strcmp(out[i]->srv.service, want) == 0)
            pass = out[i];
    if (pass == NULL || n >= max) {
        maillog_warning("master.cf line %d: service %s/inet runs "
                        "\"postscreen\", which Postern does not implement, "
                        "and there is no \"%s pass ... smtpd\" entry to "
                        "serve its clients; not started",
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
    snprintf(ns, sizeof(ns), "%s+%s/inet", s->srv.name_space, name);
    mem_free(s->key);
    s->key = mem_strdup(ns);
    maillog_info("master.cf line %d: %s/inet (postscreen): clients are "
                 "greeted by the smtpd front and served by %s (master.cf "
                 "line %d); postscreen's own tests are not run",
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
    size_t count = pcf_service_count(conf);
    size_t screens[SERVER_MAX_LISTEN];
    int nscreens = 0;

    for (size_t i = 0; i < count && n < max; i++) {
        const char *name = pcf_service_field(conf, i, 0);
        const char *type = pcf_service_field(conf, i, 1);
        const char *cmd = pcf_service_field(conf, i, 7);
        const char *why;
        master_service_fn *fn = master_lookup(cmd);
        struct svc *s;
        char ns[600];
        const char *mp;
        const char *wk;
        char *const *args = pcf_service_args(conf, i);

        if (fn == NULL && strcmp(cmd, "postscreen") == 0 &&
            strcmp(type, "inet") == 0 && nscreens < SERVER_MAX_LISTEN) {
            screens[nscreens++] = i; /* after the pass entries are known */
            continue;
        }
        if (fn == NULL) {
            why = master_builtin(cmd);
            if (why) {
                maillog_info("master.cf line %d: %s/%s (%s): %s; no process "
                             "is started",
                             pcf_service_line(conf, i), name, type, cmd, why);
            } else {
                maillog_warning("master.cf line %d: service %s/%s runs \"%s\", "
                                "which Postern does not implement yet; not "
                                "started",
                                pcf_service_line(conf, i), name, type, cmd);
            }
            continue;
        }
        if (strcmp(type, "inet") != 0 && strcmp(type, "unix") != 0 &&
            strcmp(type, "fifo") != 0 && strcmp(type, "pass") != 0) {
            maillog_warning("master.cf line %d: service type %s of %s is not "
                            "supported; not started",
                            pcf_service_line(conf, i), type, name);
            continue;
        }
        s = mem_calloc(1, sizeof(*s));
        s->fn = fn;
        s->line = pcf_service_line(conf, i);
        s->srv.conf = conf;
        s->srv.service = mem_strdup(name);
        s->srv.type = mem_strdup(strcmp(type, "inet") == 0 ? "inet" : "unix");
        snprintf(ns, sizeof(ns), "%s/%s", name, type);
        s->srv.name_space = mem_strdup(ns);
        s->key = mem_strdup(ns);
        s->srv.command = mem_strdup(cmd);
        s->srv.args = args;
        s->srv.private_ = yesno(pcf_service_field(conf, i, 2), 1);
        s->srv.unpriv = yesno(pcf_service_field(conf, i, 3), 1);
        s->srv.chroot_ = yesno(pcf_service_field(conf, i, 4), 0);
        wk = pcf_service_field(conf, i, 5);
        s->srv.wakeup = strcmp(wk, "-") == 0 ? 0 : (int) strtol(wk, NULL, 10);
        s->wakeup_if_running = strchr(wk, '?') != NULL;
        mp = pcf_service_field(conf, i, 6);
        s->srv.maxproc =
            strcmp(mp, "-") == 0
                ? (int) server_conf_int(conf, NULL, "default_process_limit")
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

/* open_front - give the inet listeners to the front and the workers the
 * hand-off channel instead */
static int
open_front(struct svc *s, char *err, size_t errlen)
{
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, s->chan) < 0) {
        snprintf(err, errlen, "socketpair: %s", strerror(errno));
        return -1;
    }
    memcpy(s->inet_fd, s->srv.listen_fd, sizeof(s->inet_fd));
    s->ninet = s->srv.nlisten;
    s->srv.listen_fd[0] = s->chan[1];
    s->srv.nlisten = 1;
    s->srv.handoff_role = SERVER_HANDOFF_WORKER;
    return 0;
}

/* open_service - sockets, status pipe and shared slots */
static int
open_service(struct svc *s, char *err, size_t errlen)
{
    unsigned nslots;

    if (strcmp(s->srv.type, "inet") == 0) {
        if (listen_inet(s, err, errlen) < 0)
            return -1;
        if (s->front && open_front(s, err, errlen) < 0)
            return -1;
        if (s->front && (s->srv.anvil = server_anvil_create()) == NULL) {
            snprintf(err, errlen, "client connection table: %s",
                     strerror(errno));
            return -1;
        }
        s->anvil_owner = s->srv.anvil != NULL;
    } else if (listen_unix(s, err, errlen) < 0) {
        return -1;
    }
    if (pipe(s->status_pipe) < 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    (void) fcntl(s->status_pipe[0], F_SETFD, FD_CLOEXEC);
    (void) ipc_nonblock(s->status_pipe[0], 1);
    nslots = s->srv.maxproc > 0 && s->srv.maxproc < 4096
                 ? (unsigned) s->srv.maxproc
                 : 1024;
    s->srv.shm =
        mmap(NULL, nslots * sizeof(struct server_slot), PROT_READ | PROT_WRITE,
             MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (s->srv.shm == MAP_FAILED) {
        snprintf(err, errlen, "mmap: %s", strerror(errno));
        s->srv.shm = NULL;
        return -1;
    }
    s->srv.nslots = nslots;
    s->slot_used = mem_calloc(nslots, 1);
    return 0;
}

static void
close_all_but(struct svc *mine)
{
    for (int i = 0; i < nsvc; i++) {
        struct svc *s = svcs[i];

        for (int k = 0; k < s->ninet; k++)
            (void) close(s->inet_fd[k]);
        if (s->chan[0] >= 0)
            (void) close(s->chan[0]);
        if (s == mine)
            continue;
        for (int k = 0; k < s->srv.nlisten; k++)
            (void) close(s->srv.listen_fd[k]);
        if (s->status_pipe[1] >= 0)
            (void) close(s->status_pipe[1]);
    }
    if (mine->status_pipe[0] >= 0)
        (void) close(mine->status_pipe[0]);
    (void) close(sig_pipe[0]);
    (void) close(sig_pipe[1]);
}

/*
 * svc_avail - processes of s that can take a client now: the live slots
 * whose process is not busy (see server_status), or, for a service
 * without shared slots, what the status records said
 */
static int
svc_avail(const struct svc *s)
{
    int n = 0;

    if (s->srv.shm == NULL)
        return s->avail;
    for (unsigned i = 0; i < s->srv.nslots; i++)
        if (s->slot_used[i] &&
            __atomic_load_n(&s->srv.shm[i].live, __ATOMIC_SEQ_CST) &&
            !__atomic_load_n(&s->srv.shm[i].busy, __ATOMIC_SEQ_CST))
            n++;
    return n;
}

/* child_signals - a forked service starts with the default dispositions
 * of the signals master handles itself */
static void
child_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
}

/* spawn - fork one process of s */
static void
spawn(struct svc *s)
{
    unsigned slot = 0;
    pid_t pid;

    if (nchild >= MAX_CHILDREN)
        return;
    while (slot < s->srv.nslots && s->slot_used[slot])
        slot++;
    if (slot >= s->srv.nslots)
        return;
    /* live and idle before the child runs: master counts it at once */
    memset(&s->srv.shm[slot], 0, sizeof(s->srv.shm[slot]));
    __atomic_store_n(&s->srv.shm[slot].live, 1, __ATOMIC_SEQ_CST);
    pid = fork();
    if (pid < 0) {
        maillog_warning("fork: %s", strerror(errno));
        memset(&s->srv.shm[slot], 0, sizeof(s->srv.shm[slot]));
        s->throttle_until = time(NULL) + 1;
        return;
    }
    if (pid == 0) {
        struct server srv = s->srv;
        int rc;

        child_signals();
        close_all_but(s);
        master_stderr_child();
        srv.status_fd = s->status_pipe[1];
        srv.slot = slot;
        rc = s->fn(&srv);
        exit(rc);
    }
    s->slot_used[slot] = 1;
    children[nchild].pid = pid;
    children[nchild].svc = s;
    children[nchild].slot = slot;
    children[nchild].avail = 1;
    children[nchild].started = time(NULL);
    children[nchild].front = 0;
    nchild++;
    s->total++;
    s->avail++;
}

/* spawn_front - fork the front process of s (lib/daemons/smtpd/smtpd_front.c);
 * it runs the service's entry point with the inet listeners and its end
 * of the hand-off channel, and is not counted in maxproc */
static void
spawn_front(struct svc *s)
{
    pid_t pid;

    if (nchild >= MAX_CHILDREN)
        return;
    pid = fork();
    if (pid < 0) {
        maillog_warning("fork: %s", strerror(errno));
        s->front_throttle = time(NULL) + 1;
        return;
    }
    if (pid == 0) {
        struct server srv = s->srv;
        int rc;

        child_signals();
        master_stderr_child();
        /* keep the inet listeners and chan[0] */
        for (int i = 0; i < nsvc; i++) {
            struct svc *o = svcs[i];

            for (int k = 0; k < o->srv.nlisten; k++)
                (void) close(o->srv.listen_fd[k]);
            if (o->status_pipe[1] >= 0)
                (void) close(o->status_pipe[1]);
            if (o == s)
                continue;
            for (int k = 0; k < o->ninet; k++)
                (void) close(o->inet_fd[k]);
            if (o->chan[0] >= 0)
                (void) close(o->chan[0]);
        }
        if (s->status_pipe[0] >= 0)
            (void) close(s->status_pipe[0]);
        (void) close(sig_pipe[0]);
        (void) close(sig_pipe[1]);
        memcpy(srv.listen_fd, s->inet_fd, sizeof(srv.listen_fd));
        srv.nlisten = s->ninet;
        srv.handoff_role = SERVER_HANDOFF_FRONT;
        srv.handoff_fd = s->chan[0];
        srv.status_fd = -1;
        srv.shm = NULL;
        srv.nslots = 0;
        rc = s->fn(&srv);
        exit(rc);
    }
    children[nchild].pid = pid;
    children[nchild].svc = s;
    children[nchild].slot = 0;
    children[nchild].avail = 0;
    children[nchild].started = time(NULL);
    children[nchild].front = 1;
    nchild++;
    s->front_pid = pid;
}

/* wakeup - poke a service through its socket */
static void
wakeup(struct svc *s)
{
    int fd;

    if (s->sock_path == NULL || (s->wakeup_if_running && s->total == 0))
        return;
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    {
        struct sockaddr_un sun;

        memset(&sun, 0, sizeof(sun));
        sun.sun_family = AF_UNIX;
        snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", s->sock_path);
        if (connect(fd, (struct sockaddr *) &sun, sizeof(sun)) == 0) {
            if (write(fd, "W", 1) < 0) {
                /* the service will still see the connection */
            }
        }
    }
    (void) close(fd);
}

static void
read_status(struct svc *s)
{
    int32_t rec[2];

    while (read(s->status_pipe[0], rec, sizeof(rec)) == (ssize_t) sizeof(rec)) {
        for (int i = 0; i < nchild; i++) {
            if (children[i].pid != rec[0] || children[i].svc != s)
                continue;
            if (rec[1] && !children[i].avail)
                s->avail++;
            else if (!rec[1] && children[i].avail)
                s->avail--;
            children[i].avail = rec[1] != 0;
            break;
        }
    }
}

/* release_sessions - the counted connections a dead worker's slot still
 * records (a worker releases its own when each session ends) */
static void
release_sessions(struct svc *s, unsigned slot)
{
    struct server_slot *sl = &s->srv.shm[slot];

    if (s->srv.anvil == NULL)
        return;
    for (int i = 0; i < SERVER_SLOT_SESSIONS; i++) {
        unsigned ref = __atomic_load_n(&sl->anvil_ref[i], __ATOMIC_SEQ_CST);

        if (ref)
            server_anvil_release(s->srv.anvil, ref, SERVER_ANVIL_WORKERS);
    }
}

/* child_ident - "postfix/smtpd" for one of our children; NULL for a
 * process master did not fork (a daemon's child, such as a .forward
 * command run with a user's rights: its stderr went to /dev/null before
 * and is not to write into the maillog now) */
static const char *
child_ident(long pid)
{
    static char id[300];

    for (int i = 0; i < nchild; i++) {
        if ((long) children[i].pid == pid) {
            struct server *srv = &children[i].svc->srv;
            char *name = server_conf_str(conf, srv->name_space, "syslog_name");

            snprintf(id, sizeof(id), "%s/%s", name, srv->command);
            mem_free(name);
            return id;
        }
    }
    return NULL;
}

static void
reap(void)
{
    int status;
    pid_t pid;

    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (int i = 0; i < nchild; i++) {
            struct child *c = &children[i];
            struct svc *s;

            if (c->pid != pid)
                continue;
            s = c->svc;
            if (c->front) {
                s->front_pid = 0;
                /* the clients it held were closed with it */
                if (s->srv.anvil)
                    server_anvil_unseat(s->srv.anvil, pid);
            } else {
                s->total--;
                if (c->avail)
                    s->avail--;
                s->slot_used[c->slot] = 0;
                release_sessions(s, c->slot);
                memset(&s->srv.shm[c->slot], 0, sizeof(s->srv.shm[c->slot]));
            }
            if (WIFSIGNALED(status) && !got_term) {
                maillog_warning("process %s pid %ld killed by signal %d",
                                s->srv.command, (long) pid, WTERMSIG(status));
            } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0 &&
                       !got_term) {
                maillog_warning("process %s pid %ld exit status %d",
                                s->srv.command, (long) pid,
                                WEXITSTATUS(status));
            }
            if (!got_term &&
                ((WIFEXITED(status) && WEXITSTATUS(status) != 0) ||
                 WIFSIGNALED(status)) &&
                time(NULL) - c->started < 2) {
                maillog_warning("%s: bad command startup -- throttling",
                                s->srv.command);
                if (c->front)
                    s->front_throttle = time(NULL) + throttle_time;
                else
                    s->throttle_until = time(NULL) + throttle_time;
            }
            /* a resident service (wakeup) comes back at once */
            if (s->srv.wakeup > 0 && !s->retired)
                s->next_wakeup = time(NULL);
            children[i] = children[--nchild];
            break;
        }
    }
}

/* remove_retired - forget services dropped by reload once idle */
static void
remove_retired(void)
{
    for (int i = 0; i < nsvc; i++) {
        struct svc *s = svcs[i];

        if (!s->retired || s->total > 0 || s->front_pid > 0)
            continue;
        if (s->status_pipe[0] >= 0)
            (void) close(s->status_pipe[0]);
        if (s->status_pipe[1] >= 0)
            (void) close(s->status_pipe[1]);
        if (s->srv.shm)
            munmap(s->srv.shm, s->srv.nslots * sizeof(struct server_slot));
        if (s->anvil_owner) {
            /* an older entry still draining shares it: hand it over */
            struct svc *heir = NULL;

            for (int k = 0; k < nsvc && heir == NULL; k++)
                if (svcs[k] != s && svcs[k]->srv.anvil == s->srv.anvil)
                    heir = svcs[k];
            if (heir)
                heir->anvil_owner = 1;
            else
                server_anvil_destroy(s->srv.anvil);
        }
        mem_free(s->slot_used);
        mem_free(s->srv.service);
        mem_free(s->srv.type);
        mem_free(s->srv.name_space);
        mem_free(s->srv.command);
        mem_free(s->key);
        mem_free(s->sock_path);
        mem_free(s);
        svcs[i--] = svcs[--nsvc];
    }
}

static void
signal_children(int sig, struct svc *only)
{
    for (int i = 0; i < nchild; i++)
        if (only == NULL || children[i].svc == only)
            (void) kill(children[i].pid, sig);
}

/* reload - reread config; keep sockets of unchanged entries */
static void
reload(void)
{
    struct svc *fresh[MAX_SVC];
    int nfresh;
    char err[512];

    conf = pcf_load(config_dir);
    throttle_time = server_conf_time(conf, NULL, "service_throttle_time");
    nfresh = build_services(fresh, MAX_SVC);
    /* old children finish their current work and exit */
    signal_children(SIGHUP, NULL);
    for (int i = 0; i < nsvc; i++) {
        struct svc *old = svcs[i];
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
            svc_close(old, 1);
        else
            svc_close(old, 0);
        old->retired = 1;
    }
    for (int k = 0; k < nfresh; k++) {
        struct svc *s = fresh[k];

        if (s->srv.nlisten == 0) {
            if (open_service(s, err, sizeof(err)) < 0) {
                maillog_error("%s: %s", s->srv.name_space, err);
                svc_close(s, 1);
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
                maillog_error("pipe: %s", strerror(errno));
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
        if (nsvc < (int) (sizeof(svcs) / sizeof(svcs[0])))
            svcs[nsvc++] = s;
    }
    maillog_info("reload -- version %s, configuration %s", POSTERN_MTA_VERSION,
                 config_dir);
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
        master_stderr_drain(child_ident);
        if (got_chld) {
            got_chld = 0;
            reap();
            remove_retired();
        }
        if (got_hup) {
            got_hup = 0;
            reload();
        }
        if (got_term && stop_deadline == 0) {
            maillog_info("terminating on signal 15");
            for (int i = 0; i < nsvc; i++)
                svc_close(svcs[i], 1);
            signal_children(SIGTERM, NULL);
            stop_deadline = now + 60;
        }
        if (got_term) {
            if (nchild == 0)
                return;
            if (now >= stop_deadline) {
                signal_children(SIGKILL, NULL);
                stop_deadline = now + 3600;
            }
        }
        /* fronts: always running */
        for (int i = 0; i < nsvc && !got_term; i++) {
            struct svc *s = svcs[i];

            if (s->ninet > 0 && !s->retired && s->front_pid == 0 &&
                now >= s->front_throttle)
                spawn_front(s);
        }
        /* wakeups due */
        for (int i = 0; i < nsvc && !got_term; i++) {
            struct svc *s = svcs[i];

            if (s->retired || s->srv.wakeup <= 0)
                continue;
            if (now >= s->next_wakeup) {
                if (s->total == 0 && now >= s->throttle_until)
                    spawn(s);
                wakeup(s);
                s->next_wakeup = now + s->srv.wakeup;
            }
            if ((s->next_wakeup - now) * 1000 < timeout)
                timeout = (int) ((s->next_wakeup - now) * 1000);
        }
        pfd[n].fd = sig_pipe[0];
        pfd[n].events = POLLIN;
        kind[n++] = 0;
        if (master_stderr_fd() >= 0) {
            pfd[n].fd = master_stderr_fd();
            pfd[n].events = POLLIN;
            kind[n++] = 3;
        }
        for (int i = 0; i < nsvc; i++) {
            struct svc *s = svcs[i];

            if (s->status_pipe[0] >= 0) {
                pfd[n].fd = s->status_pipe[0];
                pfd[n].events = POLLIN;
                owner[n] = s;
                kind[n++] = 1;
            }
            if (got_term || s->retired || svc_avail(s) > 0 ||
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
            maillog_fatal("poll: %s", strerror(errno));
        for (int i = 0; i < n; i++) {
            if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            if (kind[i] == 0) {
                char b[64];

                while (read(sig_pipe[0], b, sizeof(b)) > 0)
                    ;
            } else if (kind[i] == 3) {
                master_stderr_drain(child_ident);
            } else if (kind[i] == 1) {
                read_status(owner[i]);
            } else if (svc_avail(owner[i]) == 0) {
                spawn(owner[i]);
            }
        }
    }
}

/* setgid_gid - the setgid_group's gid (root only: -1 otherwise); when
 * the group does not exist, mail_owner's group, with a warning: then
 * only root and mail_owner can submit mail, which is the safe side */
static long
setgid_gid(long fallback)
{
    char *name;
    struct group *gr;
    long gid = fallback;
    static int warned;

    if (geteuid() != 0)
        return -1;
    name = server_conf_str(conf, NULL, "setgid_group");
    gr = getgrnam(name);
    if (gr)
        gid = (long) gr->gr_gid;
    else if (!warned++)
        fprintf(stderr,
                "postern: warning: unknown setgid_group group \"%s\": public "
                "and maildrop are for root and mail_owner only\n",
                name);
    mem_free(name);
    return gid;
}

/* make_dirs - the queue directory layout, as Postfix's: public/ 0710 and
 * maildrop/ 1730, both mail_owner:setgid_group, so that only root,
 * mail_owner and the set-gid postdrop/postqueue reach the public sockets
 * and the maildrop; the rest mail_owner's own. Not started as root,
 * nothing can be chowned: the modes alone, and the instance's user is
 * its own mail_owner. */
static int
make_dirs(const char *qdir, char *err, size_t errlen)
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
    server_user(conf, &uid, &gid);
    sgid = setgid_gid(gid);
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        if (mkdir(dirs[i].name, (mode_t) dirs[i].mode) < 0 && errno != EEXIST) {
            snprintf(err, errlen, "mkdir %s/%s: %s", qdir, dirs[i].name,
                     strerror(errno));
            return -1;
        }
        /* never chown or chmod through a planted symlink: one
         * descriptor, opened without following links, for the check
         * and both changes */
        fd = open(dirs[i].name,
                  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
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

static int
lock_pidfile(char *err, size_t errlen)
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
static void
raise_nofile(void)
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
            maillog_warning("setrlimit RLIMIT_NOFILE %lu: %s",
                            (unsigned long) rl.rlim_cur, strerror(errno));
    }
}

/* daemon_start - everything after the fork; reports "ok" or an error
 * line on notify, then runs the loop */
static int
daemon_start(const char *qdir, int notify, int foreground)
{
    char err[1024] = "";
    struct sigaction sa;
    int pidfd, rc = 0;
    char *syslog_name, *file, *host, ident[256];

    if (!foreground)
        (void) setsid();
    umask(022);
    syslog_name = server_conf_str(conf, NULL, "syslog_name");
    file = server_conf_str(conf, NULL, "maillog_file");
    host = server_conf_str(conf, NULL, "myhostname");
    snprintf(ident, sizeof(ident), "%s/master", syslog_name);
    maillog_open(ident, file, host);
    if (start_report)
        master_report_log(start_report);
    mem_free(syslog_name);
    mem_free(file);
    mem_free(host);
    if (make_dirs(qdir, err, sizeof(err)) < 0 ||
        (pidfd = lock_pidfile(err, sizeof(err))) < 0)
        goto fail;
    if (pipe(sig_pipe) < 0) {
        snprintf(err, sizeof(err), "pipe: %s", strerror(errno));
        goto fail;
    }
    for (int i = 0; i < 2; i++) {
        (void) fcntl(sig_pipe[i], F_SETFD, FD_CLOEXEC);
        (void) ipc_nonblock(sig_pipe[i], 1);
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
    throttle_time = server_conf_time(conf, NULL, "service_throttle_time");
    raise_nofile();

    if (master_stderr_open() < 0)
        maillog_warning("socketpair: %s: daemons' stderr is not logged",
                        strerror(errno));
    nsvc = build_services(svcs, MAX_SVC);
    for (int i = 0; i < nsvc; i++) {
        if (open_service(svcs[i], err, sizeof(err)) < 0)
            goto fail;
        if (svcs[i]->srv.wakeup > 0)
            svcs[i]->next_wakeup = time(NULL);
    }
    maillog_info("daemon started -- version %s, configuration %s",
                 POSTERN_MTA_VERSION, config_dir);
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
    maillog_info("daemon stopped");
    (void) unlink("pid/master.pid");
    (void) close(pidfd);
    return rc;
fail:
    maillog_error("%s", err);
    if (notify >= 0) {
        char line[1100];
        int n = snprintf(line, sizeof(line), "%s\n", err);

        if (write(notify, line, (size_t) n) < 0) {
            /* nothing to do */
        }
        (void) close(notify);
    } else {
        fprintf(stderr, "postern: fatal: %s\n", err);
    }
    return 1;
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
        fprintf(stderr,
                "postern: fatal: the Postern mail system is already running\n");
        return 1;
    }
    if (foreground) {
        fprintf(stderr, "postern: starting the Postern mail system\n");
        return daemon_start(qdir, -1, 1);
    }
    if (pipe(p) < 0) {
        perror("postern: pipe");
        return 1;
    }
    fprintf(stderr, "postern: starting the Postern mail system\n");
    fflush(stderr);
    pid = fork();
    if (pid < 0) {
        perror("postern: fork");
        return 1;
    }
    if (pid == 0) {
        (void) close(p[0]);
        /* Double fork so the master is not our child. */
        pid = fork();
        if (pid != 0)
            _exit(pid < 0);
        exit(daemon_start(qdir, p[1], 0));
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
    fprintf(stderr, "postern: fatal: %s\n",
            got ? buf : "mail system startup failed");
    return 1;
}

int
master_start(struct pcf *c, const char *dir, unsigned flags,
             const char *qdir, int foreground)
{
    int rc;

    conf = c;
    config_dir = dir;
    rc = master_check(conf, config_dir, flags, &start_report);
    return rc == 0 ? cmd_start(qdir, foreground) : rc;
}
