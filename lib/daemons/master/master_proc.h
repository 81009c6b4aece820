/*
 * master_proc - the master process's tables, shared by its files:
 * master.c (services from master.cf, reload, the event loop),
 * master_listen.c (listening sockets), master_child.c (forking and
 * reaping service processes) and master_boot.c (start-up: queue
 * directories, pid file, daemonizing).
 *
 * Private to lib/daemons/master; only the master process has this state
 * (a forked service process gets its own struct server and never looks
 * here again).
 */
#ifndef MASTER_MASTER_PROC_H
#define MASTER_MASTER_PROC_H

#include <sys/types.h>

#include <signal.h>
#include <stddef.h>
#include <time.h>

#include "master/master_int.h"
#include "server/server.h"

#define MAX_SVC      256
#define MAX_CHILDREN 8192
#define INET_BACKLOG 65535
#define NOFILE_WANT  65536

struct pcf;
struct master_report;

/* one master.cf entry Postern runs */
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
    /* the front runs postscreen (lib/daemons/postscreen) instead of the
     * smtpd front: a "postscreen" entry mapped onto its "smtpd pass" */
    int screen;
    /* srv.anvil (fronts): this entry unmaps it when it goes; a reload
     * hands the table to the entry that adopts the listeners */
    int anvil_owner;
};

/* one forked service process */
struct child {
    pid_t pid;
    struct svc *svc;
    unsigned slot;
    int avail;
    time_t started;
    int front; /* the service's front process */
};

struct master_proc {
    struct svc *svcs[MAX_SVC * 2];
    int nsvc;
    struct child children[MAX_CHILDREN];
    int nchild;
    int sig_pipe[2]; /* the signal handler's wake-up of the loop */
    volatile sig_atomic_t got_term, got_hup, got_chld;
    const char *config_dir;
    struct pcf *conf;
    long throttle_time; /* service_throttle_time */
    /* start: what check found, logged once the maillog is open */
    struct master_report *start_report;
};

extern struct master_proc master_proc;

/* master.c */
/* master_daemon - everything after the fork: maillog, queue directories,
 * pid file, services, then the loop; reports "ok\n" or an error line on
 * notify (-1: stderr). Returns the exit status. */
int master_daemon(const char *qdir, int notify, int foreground);

/* master_listen.c: the sockets of a service; 0 or -1 with err */
int master_open_service(struct svc *s, char *err, size_t errlen);
void master_svc_close(struct svc *s, int unlink_socket);
/* master_setgid_gid - setgid_group's gid (root only: -1 otherwise;
 * fallback when the group does not exist) */
long master_setgid_gid(long fallback);

/* master_child.c: service processes */
int master_svc_avail(const struct svc *s);
void master_spawn(struct svc *s);
void master_spawn_front(struct svc *s);
void master_wakeup(struct svc *s);
void master_read_status(struct svc *s);
const char *master_child_ident(long pid);
void master_reap(void);
void master_remove_retired(void);
void master_signal_children(int sig, struct svc *only);

/* master_boot.c: start-up */
int master_make_dirs(const char *qdir, char *err, size_t errlen);
int master_lock_pidfile(char *err, size_t errlen);
void master_raise_nofile(void);

#endif
