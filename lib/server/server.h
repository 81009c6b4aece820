/*
 * server - the daemon skeleton shared by every Postern service.
 *
 * DESCRIPTION
 *	master forks each service process and hands it a struct server:
 *	the loaded configuration, the master.cf entry, the listening
 *	sockets and a status pipe back to master. server_init() sets up
 *	logging ("<syslog_name>/<command>[pid]"), signals, and drops
 *	privileges: when started as root the process chroots to the queue
 *	directory if the entry says so and becomes mail_owner if it is
 *	unprivileged; when started as an ordinary user nothing changes
 *	(that is how the tests run). Daemons never write this sequence
 *	themselves.
 *
 *	Single servers (smtpd, local, error, discard) handle one client at
 *	a time in server_single_loop(); event servers (cleanup, qmgr,
 *	pickup, bounce) run their own poll loop and report themselves
 *	available once.
 */
#ifndef SERVER_SERVER_H
#define SERVER_SERVER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

struct pcf;

#define SERVER_MAX_LISTEN 16
#define SERVER_ADDR_MAX   64

/* per-slot shared state, one array per service (master's mmap) */
struct server_slot {
    char client_addr[SERVER_ADDR_MAX]; /* "" when idle */
};

struct server {
    struct pcf *conf;
    char *service;     /* master.cf service name: "smtp", "127.0.0.1:25" */
    char *type;        /* "inet", "unix", "fifo", "pass", "unix-dgram" */
    char *name_space;  /* "service/type" for pcf_service_value */
    char *command;     /* "smtpd" */
    char *const *args; /* arguments after the command (borrowed) */
    int private_;      /* private field (y) */
    int unpriv;        /* unpriv field (y) */
    int chroot_;       /* chroot field (y) */
    int wakeup;        /* seconds, 0 none */
    int maxproc;       /* 0 = no limit */
    int listen_fd[SERVER_MAX_LISTEN];
    int nlisten;
    int status_fd;           /* to master, -1 standalone */
    unsigned slot;           /* this process's slot in shm */
    struct server_slot *shm; /* maxproc (or 1) slots shared with siblings */
    unsigned nslots;
    int verbose; /* -v in master.cf */
};

/* server_init - logging and signals */
void server_init(struct server *srv);
/* server_drop_privileges - chroot and become mail_owner as the entry
 * says, when running as root (see above); fatal on failure. Read secret
 * files (TLS keys) before. */
void server_drop_privileges(struct server *srv);
/* server_param - value of name as this service sees it (-o first);
 * caller frees; "" for an unknown name */
char *server_param(const struct server *srv, const char *name);
/* server_param_bool, _int, _time (seconds), _size */
int server_param_bool(const struct server *srv, const char *name);
long server_param_int(const struct server *srv, const char *name, long def);
long server_param_time(const struct server *srv, const char *name, long def);

/* Variants on a configuration without a service (CLI tools). svc may
 * be NULL. */
char *server_conf_str(struct pcf *p, const char *svc, const char *name);
int server_conf_bool(struct pcf *p, const char *svc, const char *name);
long server_conf_int(struct pcf *p, const char *svc, const char *name,
                     long def);
/* server_conf_time - a time value; unit is the default unit when the
 * value has none ('s', 'm', 'h', 'd', 'w'); seconds, def on error */
long server_conf_time(struct pcf *p, const char *svc, const char *name,
                      char unit, long def);
/* server_parse_time - "30s", "5m", "1h", "2d", "1w" or a number in unit;
 * 0 or -1 */
int server_parse_time(const char *s, char unit, long *secs) WARN_UNUSED;
/* server_split - split a list value on commas and white space into sv
 * (appends copies); "{ a b }" groups are kept as one element without the
 * braces */
void server_split(const char *value, struct strv *sv);

/* server_status - tell master this process is available (1) or busy
 * (0); a no-op when standalone */
void server_status(const struct server *srv, int available);
/* server_stopping - 1 after SIGTERM (exit as soon as idle) or SIGHUP
 * (reload: exit when idle, master starts a fresh process) */
int server_stopping(void);
/* server_signal_fd - read end of a pipe written on SIGTERM/SIGHUP, for
 * poll loops */
int server_signal_fd(void);

/* server_conn_fn - handle one connection (fd is closed by the caller) */
typedef void server_conn_fn(struct server *srv, int fd, void *ctx);
/* server_single_loop - accept and handle connections one at a time
 * until max_use connections, max_idle seconds without one, or a stop
 * request; returns (the caller exits) */
void server_single_loop(struct server *srv, server_conn_fn *fn, void *ctx);
/* server_accept - accept on a listening fd (non-blocking); fd or -1 */
int server_accept(int lfd);

/* server_user - the uid/gid that delivery and queue files use: the
 * mail_owner when root, else the current user */
void server_user(struct pcf *p, long *uid, long *gid);
/* server_now - wall clock in seconds with microseconds */
double server_now(void);

#endif
