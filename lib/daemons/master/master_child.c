/*
 * master_child - the master's service processes: fork one (or a smtpd
 * front), track which are available through the status pipe and the
 * shared slots, wake resident services, reap the dead (throttling a
 * command that fails at start-up), forget services a reload dropped.
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
#include "postscreen/postscreen.h"
#include "server/server.h"
#include "server/server_anvil.h"

static void
close_all_but(struct svc *mine)
{
    for (int i = 0; i < master_proc.nsvc; i++) {
        struct svc *s = master_proc.svcs[i];

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
    (void) close(master_proc.sig_pipe[0]);
    (void) close(master_proc.sig_pipe[1]);
}

/*
 * svc_avail - processes of s that can take a client now: the live slots
 * whose process is not busy (see server_status), or, for a service
 * without shared slots, what the status records said
 */
int
master_svc_avail(const struct svc *s)
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
void
master_spawn(struct svc *s)
{
    unsigned slot = 0;
    pid_t pid;

    if (master_proc.nchild >= MAX_CHILDREN)
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
        log_warn("fork: %s", strerror(errno));
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
    master_proc.children[master_proc.nchild].pid = pid;
    master_proc.children[master_proc.nchild].svc = s;
    master_proc.children[master_proc.nchild].slot = slot;
    master_proc.children[master_proc.nchild].avail = 1;
    master_proc.children[master_proc.nchild].started = time(NULL);
    master_proc.children[master_proc.nchild].front = 0;
    master_proc.nchild++;
    s->total++;
    s->avail++;
}

/* spawn_front - fork the front process of s (lib/daemons/smtpd/smtpd_front.c);
 * it runs the service's entry point with the inet listeners and its end
 * of the hand-off channel, and is not counted in maxproc */
void
master_spawn_front(struct svc *s)
{
    pid_t pid;

    if (master_proc.nchild >= MAX_CHILDREN)
        return;
    pid = fork();
    if (pid < 0) {
        log_warn("fork: %s", strerror(errno));
        s->front_throttle = time(NULL) + 1;
        return;
    }
    if (pid == 0) {
        struct server srv = s->srv;
        int rc;

        child_signals();
        master_stderr_child();
        /* keep the inet listeners and chan[0] */
        for (int i = 0; i < master_proc.nsvc; i++) {
            struct svc *o = master_proc.svcs[i];

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
        (void) close(master_proc.sig_pipe[0]);
        (void) close(master_proc.sig_pipe[1]);
        memcpy(srv.listen_fd, s->inet_fd, sizeof(srv.listen_fd));
        srv.nlisten = s->ninet;
        srv.handoff_role = SERVER_HANDOFF_FRONT;
        srv.handoff_fd = s->chan[0];
        srv.status_fd = -1;
        srv.shm = NULL;
        srv.nslots = 0;
        if (s->screen) {
            /* logs as "postscreen", reads the pass entry's parameters */
            static char ps_name[] = "postscreen";

            srv.command = ps_name;
            rc = postscreen_main(&srv);
        } else {
            rc = s->fn(&srv);
        }
        exit(rc);
    }
    master_proc.children[master_proc.nchild].pid = pid;
    master_proc.children[master_proc.nchild].svc = s;
    master_proc.children[master_proc.nchild].slot = 0;
    master_proc.children[master_proc.nchild].avail = 0;
    master_proc.children[master_proc.nchild].started = time(NULL);
    master_proc.children[master_proc.nchild].front = 1;
    master_proc.nchild++;
    s->front_pid = pid;
}

/* wakeup - poke a service through its socket */
void
master_wakeup(struct svc *s)
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

void
master_read_status(struct svc *s)
{
    int32_t rec[2];

    while (read(s->status_pipe[0], rec, sizeof(rec)) == (ssize_t) sizeof(rec)) {
        for (int i = 0; i < master_proc.nchild; i++) {
            if (master_proc.children[i].pid != rec[0] ||
                master_proc.children[i].svc != s)
                continue;
            if (rec[1] && !master_proc.children[i].avail)
                s->avail++;
            else if (!rec[1] && master_proc.children[i].avail)
                s->avail--;
            master_proc.children[i].avail = rec[1] != 0;
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
const char *
master_child_ident(long pid)
{
    static char id[300];

    for (int i = 0; i < master_proc.nchild; i++) {
        if ((long) master_proc.children[i].pid == pid) {
            struct server *srv = &master_proc.children[i].svc->srv;
            char *name = server_conf_str(master_proc.conf, srv->name_space,
                                         "syslog_name");

            snprintf(id, sizeof(id), "%s/%s", name, srv->command);
            mem_free(name);
            return id;
        }
    }
    return NULL;
}

void
master_reap(void)
{
    int status;
    pid_t pid;

    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (int i = 0; i < master_proc.nchild; i++) {
            struct child *c = &master_proc.children[i];
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
            if (WIFSIGNALED(status) && !master_proc.got_term) {
                log_warn("process %s pid %ld killed by signal %d",
                         s->srv.command, (long) pid, WTERMSIG(status));
            } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0 &&
                       !master_proc.got_term) {
                log_warn("process %s pid %ld exit status %d", s->srv.command,
                         (long) pid, WEXITSTATUS(status));
            }
            if (!master_proc.got_term &&
                ((WIFEXITED(status) && WEXITSTATUS(status) != 0) ||
                 WIFSIGNALED(status)) &&
                time(NULL) - c->started < 2) {
                log_warn("%s: bad command startup -- throttling",
                         s->srv.command);
                if (c->front)
                    s->front_throttle = time(NULL) + master_proc.throttle_time;
                else
                    s->throttle_until = time(NULL) + master_proc.throttle_time;
            }
            /* a resident service (wakeup) comes back at once */
            if (s->srv.wakeup > 0 && !s->retired)
                s->next_wakeup = time(NULL);
            master_proc.children[i] =
                master_proc.children[--master_proc.nchild];
            break;
        }
    }
}

/* remove_retired - forget services dropped by reload once idle */
void
master_remove_retired(void)
{
    for (int i = 0; i < master_proc.nsvc; i++) {
        struct svc *s = master_proc.svcs[i];

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

            for (int k = 0; k < master_proc.nsvc && heir == NULL; k++)
                if (master_proc.svcs[k] != s &&
                    master_proc.svcs[k]->srv.anvil == s->srv.anvil)
                    heir = master_proc.svcs[k];
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
        master_proc.svcs[i--] = master_proc.svcs[--master_proc.nsvc];
    }
}

void
master_signal_children(int sig, struct svc *only)
{
    for (int i = 0; i < master_proc.nchild; i++)
        if (only == NULL || master_proc.children[i].svc == only)
            (void) kill(master_proc.children[i].pid, sig);
}
