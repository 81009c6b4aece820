/*
 * server - the daemon skeleton shared by every Postern service.
 *
 * DESCRIPTION
 *	master forks each service process and hands it a struct server:
 *	the loaded configuration, the master.cf entry, the listening
 *	sockets and a status pipe back to master. The daemon hands it to
 *	server_main() with its callbacks (struct server_service): the
 *	skeleton sets up logging and signals, runs the daemon's setup
 *	before and after it drops privileges (chroot, mail_owner; nothing
 *	when started as an ordinary user, which is how the tests run) and
 *	then the daemon's loop. Daemons never write this sequence
 *	themselves and never drop privileges themselves.
 *
 *	Single servers (smtpd, showq) handle one client at a time in
 *	server_single_loop(); delivery agents (local, smtp, error, discard,
 *	bounce) do so through deliver_agent_loop(); event servers (cleanup,
 *	qmgr, pickup, proxymap, the smtpd front) run their own poll loop
 *	and report themselves available once.
 */
#ifndef SERVER_SERVER_H
#define SERVER_SERVER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

struct pcf;
struct server_anvil;
struct server_handoff;

#define SERVER_MAX_LISTEN 16
#define SERVER_ADDR_MAX   64
/* sessions one process serves at once, at most (coroutine workers) */
#define SERVER_SLOT_SESSIONS 64

/* per-slot shared state, one array per service (master's mmap) */
struct server_slot {
    char client_addr[SERVER_ADDR_MAX]; /* "" when idle */
    int live;     /* set by master for a running process of the service */
    int busy;     /* set by the process itself: serving a client */
    int sessions; /* sessions the process serves now (coroutine workers) */
    /* the counted connections (server_anvil references) of those
     * sessions, 0 = none: master releases them if the process dies */
    unsigned anvil_ref[SERVER_SLOT_SESSIONS];
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
    /* inbound hand-off (smtpd front, see below); 0 for every other
     * service */
    int handoff_role; /* SERVER_HANDOFF_FRONT or _WORKER, else 0 */
    int handoff_fd;   /* front: its end of the channel to the workers */
    /* worker: the session being served, set around each server_conn_fn
     * call (NULL when the connection was not handed off) */
    const struct server_handoff *handoff;
    /* worker: sessions one process serves at once, as coroutines (util.h
     * co_*) over one event loop; 0 or 1: one at a time */
    int sessions;
    /* smtpd inet services: per-client connection counts and rates shared
     * by the fronts, the workers and master (server_anvil.h) */
    struct server_anvil *anvil;
};

/*
 * server_main - the one way a daemon runs (Postfix's single_server and
 * event_server skeletons in one). The daemon says what it does in a
 * struct server_service; the skeleton does the rest in this order:
 * logging ("<syslog_name>/<command>[pid]", maillog_file) and signals
 * (server_init), the daemon's pre_drop, then the privilege drop in one
 * place (as root: what the jail hides is fetched (server_pre_jail), then
 * chroot to queue_directory if the entry says so, then setgid, the group
 * list and setuid to mail_owner if it is unprivileged; nothing when
 * started as an ordinary user, which is how the tests run), the
 * daemon's post_drop, then either conn, one connection at a time until
 * max_use connections, max_idle seconds without one or a stop request
 * (server_single_loop), or the daemon's own loop. Returns the exit
 * status. Configuration errors in the daemon's parameters are fatal
 * where it reads them (the typed accessors below), which is in its
 * callbacks, before it serves anyone.
 */
struct server_service {
    /* before the drop, as root outside the jail: read what the jail or
     * mail_owner cannot (TLS keys, tables), bind what needs root; NULL
     * for nothing */
    void (*pre_drop)(struct server *srv, void *ctx);
    /* after the drop, before the loop; NULL for nothing */
    void (*post_drop)(struct server *srv, void *ctx);
    /* a single server: handles one connection (fd closed by the caller)
     * with ctx; used when loop is NULL */
    void (*conn)(struct server *srv, int fd, void *ctx);
    /* an event server (cleanup, qmgr, pickup, proxymap, the smtpd
     * front) or a delivery agent: its own loop, the exit status */
    int (*loop)(struct server *srv, void *ctx);
};

int server_main(struct server *srv, const struct server_service *svc,
                void *ctx);

/* server_init - logging and signals; server_main does it for daemons,
 * a process that serves one client on its stdin (smtpd -bs) calls it
 * itself */
void server_init(struct server *srv);
/* server_pre_jail - what the daemon needs from outside the chroot jail,
 * got before it enters (server_jail.c: tables, time zone, resolver,
 * name-service files); server_main calls it when it is about to chroot.
 * Fatal when a table cannot work inside the jail. */
void server_pre_jail(struct server *srv);
/* server_file_param - value, or what a file names instead (myorigin =
 * /etc/mailname, see server_file.c); takes and returns an allocated
 * string; fatal when the file cannot be read. */
char *server_file_param(const char *name, char *value);
/* server_param - value of name as this service sees it (-o first);
 * caller frees; "" for an unknown name */
char *server_param(const struct server *srv, const char *name);
/*
 * Typed parameters: server_param_bool, _int, _size (long) and _time
 * (seconds) read name as this service sees it, with the type, the
 * default unit and the range the schema (schemas/ YAML) gives it, and
 * Postfix 3.7's parser (schema.h). A malformed or out-of-range value is
 * fatal, with Postfix's message after the file and line it came from:
 * "/etc/postfix/main.cf, line 12: bad numerical configuration:
 * message_size_limit = 10MB" (a master.cf -o value: master.cf and the
 * service's line). A name the schema does not know, or of another type,
 * is a programming error (panic). Service-family parameters
 * ("relay_destination_concurrency_limit") have their family's type and
 * their default parameter's value when no service defines them.
 * Call them with the parameter's name as a literal: the honesty scanner
 * looks for the names a daemon reads.
 */
int server_param_bool(const struct server *srv, const char *name);
long server_param_int(const struct server *srv, const char *name);
long server_param_size(const struct server *srv, const char *name);
long server_param_time(const struct server *srv, const char *name);

/* Variants on a configuration without a service (CLI tools). svc may
 * be NULL. */
char *server_conf_str(struct pcf *p, const char *svc, const char *name);
int server_conf_bool(struct pcf *p, const char *svc, const char *name);
long server_conf_int(struct pcf *p, const char *svc, const char *name);
long server_conf_size(struct pcf *p, const char *svc, const char *name);
long server_conf_time(struct pcf *p, const char *svc, const char *name);
/* server_conf_where - "/path/main.cf, line N" (or master.cf and the line
 * of service svc when its -o sets name) appended to out; nothing for a
 * default */
struct buf;
void server_conf_where(struct pcf *p, const char *svc, const char *name,
                       struct buf *out);
/* server_split - split a list value on commas and white space into sv
 * (appends copies); "{ a b }" groups are kept as one element without the
 * braces */
void server_split(const char *value, struct strv *sv);

/* server_status - tell master this process is available (1) or busy
 * (0); a no-op when standalone */
void server_status(const struct server *srv, int available);
/* server_stopping - 1 after SIGTERM (exit as soon as idle) or SIGHUP
 * (reload: exit when idle, master starts a fresh process); in a process
 * that runs server_single_loop also once a table file it read changed
 * (maps_changed: "table X has changed -- restarting", as Postfix) */
int server_stopping(void);
/* server_terminating - 1 after SIGTERM only: work in progress ends now
 * (smtpd: "421" to a session waiting for its next command); after a
 * reload it goes on to its end, as in Postfix */
int server_terminating(void);
/* server_signal_fd - read end of a pipe written on SIGTERM/SIGHUP, for
 * poll loops */
int server_signal_fd(void);

/* server_conn_fn - handle one connection (fd is closed by the caller) */
typedef void server_conn_fn(struct server *srv, int fd, void *ctx);
/* server_single_loop - accept and handle connections one at a time
 * until max_use connections, max_idle seconds without one, or a stop
 * request; returns (the caller exits) */
void server_single_loop(struct server *srv, server_conn_fn *fn, void *ctx);
/* A worker with srv->sessions > 1 runs up to that many sessions at once
 * (each fn call in its own coroutine); max_use counts sessions. */
/* server_accept - accept on a listening fd (non-blocking); fd or -1 */
int server_accept(int lfd);

/*
 * Hand-off of inbound connections (smtpd front,
 * lib/daemons/smtpd/smtpd_front.c). For an smtpd inet service master runs one
 * front process that owns the listening sockets and every idle connection, and
 * passes each session with its first bytes to a worker over a SOCK_SEQPACKET
 * socketpair (one message, the socket in SCM_RIGHTS). The workers share the
 * other end as their listen_fd[0] and take sessions from it as they would
 * accept connections; master forks workers when it is readable and none is
 * available. Each worker sends the front a "done" record with the
 * session's key when the session ends (per-client connection counts).
 */
#define SERVER_HANDOFF_FRONT  1 /* listen_fd[]: inet sockets; handoff_fd */
#define SERVER_HANDOFF_WORKER 2 /* listen_fd[0] is the channel */

#define SERVER_HANDOFF_GREETED  1u /* the front sent the 220 greeting */
#define SERVER_HANDOFF_TIMEOUT  2u /* greeted, then idle for smtpd_timeout */
#define SERVER_HANDOFF_NONBLOCK 8u /* the socket is non-blocking */
#define SERVER_HANDOFF_DATA_MAX 16384

struct server_handoff {
    unsigned flags;
    char key[SERVER_ADDR_MAX]; /* returned in the done record; "" none */
    unsigned anvil_ref;        /* the connection's count in srv->anvil (in the
                                * workers' column), 0 not counted; the worker
                                * releases it when the session ends */
    unsigned timeout; /* seconds of SO_RCVTIMEO and SO_SNDTIMEO the socket
                       * already has (from the listener), 0 unknown */
    size_t len;       /* bytes the front already read */
    char data[SERVER_HANDOFF_DATA_MAX];
};

/* server_handoff_send - pass fd and h (h->len bytes of data) on chan
 * without blocking; the caller still closes its fd. 0, or -1 with errno
 * (EAGAIN: the workers' queue is full, try again when chan is
 * writable) */
int server_handoff_send(int chan, int fd,
                        const struct server_handoff *h) WARN_UNUSED;
/* server_handoff_recv - wait for the next session on chan (blocking,
 * SO_RCVTIMEO applies); the socket (close-on-exec), or -1 with errno
 * (0 on end of file: the front and master are gone) */
int server_handoff_recv(int chan, struct server_handoff *h);
/* server_handoff_try - server_handoff_recv without waiting (EAGAIN) */
int server_handoff_try(int chan, struct server_handoff *h);
/* server_handoff_done - tell the front the session with h->key ended
 * (best effort, never blocks) */
void server_handoff_done(int chan, const struct server_handoff *h);
/* server_handoff_done_read - the front reads one done record: 1 and the
 * key in key, 0 none waiting, -1 error or end of file */
int server_handoff_done_read(int chan, char *key, size_t len);

/* server_user - the uid/gid that delivery and queue files use: the
 * mail_owner when root, else the current user */
void server_user(struct pcf *p, long *uid, long *gid);
/* server_now - wall clock in seconds with microseconds */
double server_now(void);

#endif
