/*
 * smtpd_front - the event-driven front of an smtpd inet service.
 *
 * DESCRIPTION
 *	One process per smtpd inet entry (master forks it, outside
 *	maxproc) owns the listening sockets and every connection that has
 *	not yet sent a command. It accepts, enforces the per-client limits
 *	(smtpd_client_connection_count_limit,
 *	smtpd_client_connection_rate_limit, except for
 *	smtpd_client_event_limit_exceptions), sends the same 220 greeting
 *	smtpd would, and waits with epoll. When the client's first bytes
 *	arrive it passes the socket and those bytes to an smtpd worker in
 *	one message (server_handoff_send); the worker goes on with the
 *	session as if it had greeted the client itself. An idle client
 *	costs a socket and ~100 bytes here instead of a process.
 *
 *	A client over a limit is answered here at once, with Postfix's
 *	421 reply and log lines ("connect from", the warning, "disconnect
 *	from"), and closed: it never waits for, or takes, a worker. The
 *	counts live in the service's shared table (server_anvil.h), so
 *	they are exact across the fronts of a reload, and each session's
 *	count is released when it ends, wherever it ends.
 *
 *	Every other logged event of a session comes from the worker, so
 *	the "connect from" line and the rest share one pid as in Postfix:
 *	clients that close or reset before their first command and clients
 *	silent for smtpd_timeout are handed off too, with a flag, and the
 *	worker logs and answers them.
 *	Sessions that need the client restrictions before the greeting
 *	(smtpd_delay_reject = no) or TLS at once (smtpd_tls_wrappermode)
 *	are handed off ungreeted at accept time, as are the clients of an
 *	upstream proxy (smtpd_upstream_proxy_protocol: the worker reads
 *	the PROXY header; the per-client limits, which would count the
 *	proxy, are left to the worker).
 *
 *	When the workers' queue is full (all busy, master forking more)
 *	sessions wait here, in order, never in the listen queue. At most
 *	RLIMIT_NOFILE minus a reserve connections are held; beyond that
 *	new clients wait in the listen queue.
 *
 *	SIGHUP (reload): stop accepting (the new front does), serve the
 *	clients held, exit when none is left. SIGTERM: "421" to every idle
 *	client and exit.
 *
 * DIAGNOSTICS
 *	Problems of the front itself are logged as smtpd warnings; fatal
 *	when the descriptor limit is too low to run at all.
 */
#define _GNU_SOURCE 1 /* accept4 */
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "maillog/maillog.h"
#include "maps/maps.h"
#include "server/server.h"
#include "server/server_anvil.h"
#include "smtpd/smtpd_int.h"

#define FD_RESERVE   64  /* descriptors kept for logging, maps, epoll */
#define FD_MIN       256 /* below this the front does not start */
#define ACCEPT_BURST 64  /* accepts per listener per wakeup */
#define EVENTS       256

struct fconn {
    struct fconn *prev, *next; /* idle list or ready queue */
    unsigned ref;              /* counted in the shared table, or 0 */
    time_t deadline;           /* idle: smtpd_timeout */
    int fd;
    unsigned flags; /* ready: hand-off flags */
    size_t len;     /* ready: bytes in data */
    char *data;
};

struct flist {
    struct fconn *head, *tail;
};

struct front {
    struct server *srv;
    int ep;
    int chan;
    char *greeting; /* "220 ...\r\n" */
    size_t glen;
    char *shutdown; /* "421 4.3.2 ...\r\n" */
    long timeout;
    int armed;       /* accepted sockets inherit timeout: 1 yes, 0 not yet
                      * known, -1 no */
    long conn_limit; /* effective smtpd_client_connection_count_limit */
    long rate_limit; /* smtpd_client_connection_rate_limit */
    long rate_unit;  /* anvil_rate_time_unit */
    long stat_time;  /* anvil_status_update_time */
    time_t next_stat, next_sweep;
    int wrapper; /* smtpd_tls_wrappermode: no plaintext 421 */
    int proxied; /* smtpd_upstream_proxy_protocol: the socket's peer is
                  * the proxy; the worker reads who the client is */
    char *host;  /* myhostname */
    struct server_anvil *anvil;
    int seat; /* this front's column in anvil */
    struct maps_match *limit_excl;
    int greet;         /* 0: hand off at accept (restrictions or wrappermode) */
    struct flist idle; /* greeted, waiting for the first bytes */
    struct flist ready; /* waiting for room in the workers' queue */
    int want_out;       /* EPOLLOUT on chan */
    long nconn, cap;
    int accepting;           /* listeners in the epoll set */
    int draining;            /* SIGHUP: no more accepts */
    struct server_handoff h; /* on_client reads into h.data */
};

/* epoll tags for the descriptors that are not clients */
static char tag_listen[SERVER_MAX_LISTEN], tag_chan, tag_sig;

static void
list_add(struct flist *l, struct fconn *c)
{
    c->next = NULL;
    c->prev = l->tail;
    if (l->tail)
        l->tail->next = c;
    else
        l->head = c;
    l->tail = c;
}

static void
list_del(struct flist *l, struct fconn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        l->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        l->tail = c->prev;
    c->prev = c->next = NULL;
}

static void
set_accepting(struct front *f, int on)
{
    struct epoll_event ev;

    if (on == f->accepting)
        return;
    for (int i = 0; i < f->srv->nlisten; i++) {
        memset(&ev, 0, sizeof(ev));
        ev.events = EPOLLIN;
        ev.data.ptr = &tag_listen[i];
        (void) epoll_ctl(f->ep, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL,
                         f->srv->listen_fd[i], &ev);
    }
    f->accepting = on;
}

static void
set_want_out(struct front *f, int on)
{
    struct epoll_event ev;

    if (on == f->want_out)
        return;
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN | (on ? EPOLLOUT : 0);
    ev.data.ptr = &tag_chan;
    (void) epoll_ctl(f->ep, EPOLL_CTL_MOD, f->chan, &ev);
    f->want_out = on;
}

/* conn_free - the session left the front (handed off or closed) */
static void
conn_free(struct front *f, struct fconn *c)
{
    (void) close(c->fd);
    mem_free(c->data);
    mem_free(c);
    f->nconn--;
    if (!f->accepting && !f->draining && f->nconn < f->cap)
        set_accepting(f, 1);
}

/* conn_drop - close a session without a worker (shutdown, channel gone) */
static void
conn_drop(struct front *f, struct fconn *c, int say_bye)
{
    if (say_bye && (c->flags & SERVER_HANDOFF_GREETED) &&
        send(c->fd, f->shutdown, strlen(f->shutdown),
             MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
        /* the client is gone already */
    }
    if (c->ref)
        server_anvil_release(f->anvil, c->ref, f->seat);
    conn_free(f, c);
}

/* send_one - hand c off with the given data; 0 done, -1 queue full */
static int
send_one(struct front *f, struct fconn *c, const char *data, size_t len)
{
    struct server_handoff *h = &f->h;

    h->flags = c->flags | SERVER_HANDOFF_NONBLOCK;
    h->timeout = f->armed > 0 ? (unsigned) f->timeout : 0;
    h->key[0] = 0; /* no done record: the worker releases h->anvil_ref */
    h->anvil_ref = c->ref;
    h->len = len;
    if (len && data != h->data)
        memcpy(h->data, data, len);
    /* the count moves to the workers before the worker can release it */
    if (c->ref)
        server_anvil_move(f->anvil, c->ref, f->seat, SERVER_ANVIL_WORKERS);
    if (server_handoff_send(f->chan, c->fd, h) == 0) {
        c->ref = 0;
        conn_free(f, c); /* the worker now owns the session and count */
        return 0;
    }
    if (c->ref)
        server_anvil_move(f->anvil, c->ref, SERVER_ANVIL_WORKERS, f->seat);
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
        return -1;
    if (errno == EPIPE || errno == ECONNRESET || errno == ECONNREFUSED)
        log_fatal("the smtpd workers' channel is closed");
    /* ETOOMANYREFS and the like: this session only */
    log_warn("pass connection to smtpd: %s", strerror(errno));
    conn_drop(f, c, 0);
    return 0;
}

/* handoff - pass c (not in any list, not in epoll) to a worker, or queue
 * it behind the sessions already waiting */
static void
handoff(struct front *f, struct fconn *c, unsigned flags, const char *data,
        size_t len)
{
    c->flags = flags;
    if (f->ready.head == NULL && send_one(f, c, data, len) == 0)
        return;
    if (len) {
        c->data = mem_alloc(len);
        memcpy(c->data, data, len);
    }
    c->len = len;
    list_add(&f->ready, c);
    set_want_out(f, 1);
}

/* flush_ready - the workers' queue has room */
static void
flush_ready(struct front *f)
{
    struct fconn *c;

    while ((c = f->ready.head) != NULL) {
        list_del(&f->ready, c);
        if (send_one(f, c, c->data, c->len) < 0) {
            /* still full: back to the front of the queue */
            c->next = f->ready.head;
            if (f->ready.head)
                f->ready.head->prev = c;
            else
                f->ready.tail = c;
            f->ready.head = c;
            return;
        }
    }
    set_want_out(f, 0);
}

static void
peer_addr(const struct sockaddr_storage *ss, char *out, size_t len)
{
    snprintf(out, len, "unknown");
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *) ss;

        (void) inet_ntop(AF_INET, &sin->sin_addr, out, (socklen_t) len);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *) ss;

        (void) inet_ntop(AF_INET6, &sin6->sin6_addr, out, (socklen_t) len);
        if (strncmp(out, "::ffff:", 7) == 0 && strchr(out, '.'))
            memmove(out, out + 7, strlen(out + 7) + 1);
    }
}

/*
 * Timeouts by inheritance. smtpd sets SO_RCVTIMEO and SO_SNDTIMEO on every
 * session's socket (smtpd_timeout); Linux copies both from the listening
 * socket at accept, so the front sets them once on its listeners and tells
 * the worker, which then skips two system calls per session. Checked on
 * the first accepted socket rather than assumed.
 */
static void
arm_listeners(struct front *f)
{
    struct timeval tv = {f->timeout, 0};

    for (int i = 0; i < f->srv->nlisten; i++)
        if (setsockopt(f->srv->listen_fd[i], SOL_SOCKET, SO_RCVTIMEO, &tv,
                       sizeof(tv)) < 0 ||
            setsockopt(f->srv->listen_fd[i], SOL_SOCKET, SO_SNDTIMEO, &tv,
                       sizeof(tv)) < 0)
            f->armed = -1;
}

static void
check_armed(struct front *f, int fd)
{
    struct timeval r, w;
    socklen_t rl = sizeof(r), wl = sizeof(w);

    f->armed = getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &r, &rl) == 0 &&
                       getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &w, &wl) == 0 &&
                       r.tv_sec == f->timeout && w.tv_sec == f->timeout
                   ? 1
                   : -1;
}

/*
 * refuse - a client over a limit: Postfix's log lines and 421 at once,
 * then close (smtpd_proto: "connect from", the warning, the reply,
 * "disconnect from"). The front does not look up the client's name: a
 * reverse lookup per connection of a flood is what it must not wait
 * for, so the name is "unknown" (as Postfix logs a client without one).
 */
static void
refuse(struct front *f, struct fconn *c, const char *addr, const char *what,
       int n)
{
    char reply[600];
    int len;

    log_info("connect from unknown[%s]", addr);
    log_warn("%s limit exceeded: %d from unknown[%s] for service %s", what, n,
             addr, f->srv->service);
    len = snprintf(reply, sizeof(reply),
                   "421 4.7.0 %s Error: too many connections from %s\r\n",
                   f->host, addr);
    /* a new connection's send buffer is empty: this never blocks; in
     * wrapper mode the client expects TLS, not text */
    if (!f->wrapper && len > 0 &&
        send(c->fd, reply, (size_t) len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
        /* gone already */
    }
    log_info("disconnect from unknown[%s] commands=0/0", addr);
    conn_drop(f, c, 0);
}

/* over_limit - count c's client; 1 when it was refused (c is gone) */
static int
over_limit(struct front *f, struct fconn *c, const char *addr, time_t now)
{
    int count, rate;

    if (f->anvil == NULL || (f->conn_limit <= 0 && f->rate_limit <= 0) ||
        maps_match_addr(f->limit_excl, addr) == 1)
        return 0;
    c->ref = server_anvil_connect(f->anvil, f->seat, addr, now, f->rate_unit,
                                  &count, &rate);
    if (c->ref == 0)
        return 0; /* table full (65536 clients at once): not counted */
    if (f->conn_limit > 0 && count > f->conn_limit) {
        refuse(f, c, addr, "Connection concurrency", count);
        return 1;
    }
    if (f->rate_limit > 0 && rate > f->rate_limit) {
        refuse(f, c, addr, "Connection rate", rate);
        return 1;
    }
    return 0;
}

static void
on_accept(struct front *f, int lfd, time_t now)
{
    for (int i = 0; i < ACCEPT_BURST && f->nconn < f->cap; i++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        struct epoll_event ev;
        struct fconn *c;
        char addr[SERVER_ADDR_MAX];
        int fd;

        /* non-blocking, as the workers' event loops want it (a worker
         * that serves one session at a time clears the flag) */
        fd = accept4(lfd, (struct sockaddr *) &ss, &sl,
                     SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE) {
                log_warn("accept: %s: new clients wait in the listen "
                         "queue",
                         strerror(errno));
                f->cap = f->nconn; /* until one leaves */
                set_accepting(f, 0);
            }
            return;
        }
        if (f->armed == 0)
            check_armed(f, fd);
        c = mem_calloc(1, sizeof(*c));
        c->fd = fd;
        f->nconn++;
        peer_addr(&ss, addr, sizeof(addr));
        if (!f->proxied && over_limit(f, c, addr, now))
            continue;
        if (!f->greet) {
            handoff(f, c, 0, NULL, 0);
            continue;
        }
        if (send(fd, f->greeting, f->glen, MSG_DONTWAIT | MSG_NOSIGNAL) !=
            (ssize_t) f->glen) {
            /* gone already: the worker finds out and logs it */
            handoff(f, c, SERVER_HANDOFF_GREETED, NULL, 0);
            continue;
        }
        c->flags = SERVER_HANDOFF_GREETED;
        memset(&ev, 0, sizeof(ev));
        ev.events = EPOLLIN;
        ev.data.ptr = c;
        if (epoll_ctl(f->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
            log_warn("epoll_ctl: %s", strerror(errno));
            handoff(f, c, SERVER_HANDOFF_GREETED, NULL, 0);
            continue;
        }
        c->deadline = now + f->timeout;
        list_add(&f->idle, c);
    }
    if (f->nconn >= f->cap && f->accepting) {
        log_warn("%ld connections for service %s, the limit of the "
                 "open file limit: new clients wait in the listen "
                 "queue",
                 f->nconn, f->srv->service);
        set_accepting(f, 0);
    }
}

/* on_client - the first bytes (or end of file) from an idle client */
static void
on_client(struct front *f, struct fconn *c)
{
    ssize_t n;

    do
        n = recv(c->fd, f->h.data, sizeof(f->h.data), MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return;
    list_del(&f->idle, c);
    (void) epoll_ctl(f->ep, EPOLL_CTL_DEL, c->fd, NULL);
    /* n <= 0: the worker reads the end of file or error and logs "lost
     * connection after CONNECT" */
    handoff(f, c, SERVER_HANDOFF_GREETED, f->h.data, n > 0 ? (size_t) n : 0);
}

/* on_done - done records: workers now release their counts in the shared
 * table themselves; drain any that come */
static void
on_done(struct front *f)
{
    char key[SERVER_ADDR_MAX];

    while (server_handoff_done_read(f->chan, key, sizeof(key)) > 0)
        ;
}

/* log_stats - anvil's peak statistics, every anvil_status_update_time and
 * when the front ends (anvil logs them from its own process; the key is
 * anvil's "service:address") */
static void
log_stats(struct front *f)
{
    struct server_anvil_stats st;
    char when[32];

    if (f->anvil == NULL)
        return;
    server_anvil_stats(f->anvil, &st);
    if (st.rate.value > 0) {
        strftime(when, sizeof(when), "%b %e %H:%M:%S",
                 localtime(&st.rate.when));
        log_info("statistics: max connection rate %d/%lds for (%s:%s) "
                 "at %s",
                 st.rate.value, f->rate_unit, f->srv->service, st.rate.addr,
                 when);
    }
    if (st.count.value > 0) {
        strftime(when, sizeof(when), "%b %e %H:%M:%S",
                 localtime(&st.count.when));
        log_info("statistics: max connection count %d for (%s:%s) at %s",
                 st.count.value, f->srv->service, st.count.addr, when);
    }
    if (st.cache > 0) {
        strftime(when, sizeof(when), "%b %e %H:%M:%S",
                 localtime(&st.cache_when));
        log_info("statistics: max cache size %d at %s", st.cache, when);
    }
}

/* expire - idle clients past smtpd_timeout go to a worker, which sends
 * the 421 and logs "timeout after CONNECT" */
static void
expire(struct front *f, time_t now)
{
    struct fconn *c;

    while ((c = f->idle.head) != NULL && c->deadline <= now) {
        list_del(&f->idle, c);
        (void) epoll_ctl(f->ep, EPOLL_CTL_DEL, c->fd, NULL);
        handoff(f, c, SERVER_HANDOFF_GREETED | SERVER_HANDOFF_TIMEOUT, NULL, 0);
    }
}

/* shutdown_all - SIGTERM: 421 to the idle clients, close the rest */
static void
shutdown_all(struct front *f)
{
    struct fconn *c;

    while ((c = f->idle.head) != NULL) {
        list_del(&f->idle, c);
        conn_drop(f, c, 1);
    }
    while ((c = f->ready.head) != NULL) {
        list_del(&f->ready, c);
        conn_drop(f, c, 1);
    }
}

static void
front_config(struct front *f)
{
    struct server *srv = f->srv;
    char *banner = smtpd_banner_text(srv);
    char *host = server_param(srv, "myhostname");
    char *v;
    long limit;
    size_t n;
    struct strv r_client;

    n = strlen(banner) + 8;
    f->greeting = mem_alloc(n);
    f->glen = (size_t) snprintf(f->greeting, n, "220 %s\r\n", banner);
    n = strlen(host) + 40;
    f->shutdown = mem_alloc(n);
    snprintf(f->shutdown, n, "421 4.3.2 %s Service shutting down\r\n", host);
    mem_free(banner);
    f->host = host;
    f->timeout = server_param_time(srv, "smtpd_timeout");
    if (f->timeout <= 0)
        f->timeout = 300;
    limit = server_param_int(srv, "smtpd_client_connection_count_limit");
    f->conn_limit = limit;
    /* One client must never take every session of the service: Postfix
     * says the limit should be below the process limit, and a client
     * that sends one command and waits holds a session for
     * smtpd_timeout. When it is not below, half of maxproc is used. */
    if (limit > 0 && srv->maxproc > 0 && limit >= srv->maxproc) {
        f->conn_limit = srv->maxproc / 2 > 0 ? srv->maxproc / 2 : 1;
        log_warn("smtpd_client_connection_count_limit = %ld is not "
                 "below the process limit %d of service %s: one "
                 "client could hold every session; using %ld",
                 limit, srv->maxproc, srv->service, f->conn_limit);
    }
    f->rate_limit = server_param_int(srv, "smtpd_client_connection_rate_limit");
    f->rate_unit = server_param_time(srv, "anvil_rate_time_unit");
    if (f->rate_unit <= 0)
        f->rate_unit = 60;
    f->stat_time = server_param_time(srv, "anvil_status_update_time");
    if (f->stat_time <= 0)
        f->stat_time = 600;
    v = server_param(srv, "smtpd_client_event_limit_exceptions");
    f->limit_excl = maps_match_new("smtpd_client_event_limit_exceptions", v,
                                   MAPS_MATCH_ADDR, 0);
    mem_free(v);
    /* the client restrictions run before the greeting, in the worker */
    strv_init(&r_client);
    v = server_param(srv, "smtpd_client_restrictions");
    server_split(v, &r_client);
    mem_free(v);
    f->greet = server_param_bool(srv, "smtpd_delay_reject") || r_client.n == 0;
    /* smtpd_milters hear CONNECT before the greeting (a 554 instead) */
    v = server_param(srv, "smtpd_milters");
    if (v && strspn(v, " \t,\n") != strlen(v))
        f->greet = 0;
    mem_free(v);
    if (server_param_bool(srv, "smtpd_tls_wrappermode")) {
        f->greet = 0;
        f->wrapper = 1;
    }
    v = server_param(srv, "smtpd_upstream_proxy_protocol");
    if (*v) { /* the proxy's header comes first: the worker reads it */
        f->greet = 0;
        f->proxied = 1;
    }
    mem_free(v);
    strv_fini(&r_client);
}

/* fd_capacity - connections the descriptor limit allows */
static long
fd_capacity(struct front *f)
{
    struct rlimit rl;
    long cur;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        log_fatal("getrlimit RLIMIT_NOFILE: %s", strerror(errno));
    cur = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1L << 30
              ? 1L << 30
              : (long) rl.rlim_cur;
    if (cur < FD_MIN)
        log_fatal("the open file limit (RLIMIT_NOFILE) is %ld; service "
                  "%s needs at least %d: raise the hard limit of the "
                  "user that runs \"postern start\"",
                  cur, f->srv->service, FD_MIN);
    if (cur - FD_RESERVE < 10000)
        log_warn("the open file limit (RLIMIT_NOFILE) is %ld: service "
                 "%s holds at most %ld clients at a time; raise the "
                 "hard limit for more",
                 cur, f->srv->service, cur - FD_RESERVE);
    return cur - FD_RESERVE;
}

/* front_pre_drop - the configuration and the listeners, before the
 * drop (TLS keys for wrapper mode) */
static void
front_pre_drop(struct server *srv, void *ctx)
{
    struct front *f = ctx;

    f->srv = srv;
    f->chan = srv->handoff_fd;
    front_config(f);
    arm_listeners(f);
}

static int
front_loop(struct server *srv, void *ctx)
{
    struct front *f = ctx;
    struct epoll_event ev, evs[EVENTS];

    f->cap = fd_capacity(f);
    f->anvil = srv->anvil;
    if (f->anvil)
        f->seat = server_anvil_seat(f->anvil, getpid());
    f->next_stat = time(NULL) + f->stat_time;
    f->ep = epoll_create1(EPOLL_CLOEXEC);
    if (f->ep < 0)
        log_fatal("epoll_create1: %s", strerror(errno));
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN;
    ev.data.ptr = &tag_chan;
    if (epoll_ctl(f->ep, EPOLL_CTL_ADD, f->chan, &ev) < 0)
        log_fatal("epoll_ctl: %s", strerror(errno));
    ev.data.ptr = &tag_sig;
    if (server_signal_fd() >= 0)
        (void) epoll_ctl(f->ep, EPOLL_CTL_ADD, server_signal_fd(), &ev);
    set_accepting(f, 1);

    for (;;) {
        time_t now = time(NULL);
        int timeout = -1, n;

        expire(f, now);
        if (f->draining && f->nconn == 0)
            break;
        if (f->anvil && now >= f->next_sweep) {
            /* clients with no connection whose rate window ended */
            server_anvil_sweep(f->anvil, now, f->rate_unit);
            f->next_sweep = now + 10;
        }
        if (now >= f->next_stat) {
            log_stats(f);
            f->next_stat = now + f->stat_time;
        }
        if (f->idle.head) {
            time_t wait = f->idle.head->deadline - now;

            timeout = wait > 3600 ? 3600000 : (int) wait * 1000;
        }
        if (f->anvil && (timeout < 0 || timeout > 10000))
            timeout = 10000;
        n = epoll_wait(f->ep, evs, EVENTS, timeout);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            log_fatal("epoll_wait: %s", strerror(errno));
        }
        now = time(NULL);
        for (int i = 0; i < n; i++) {
            void *p = evs[i].data.ptr;

            if (p == &tag_chan) {
                if (evs[i].events & (EPOLLHUP | EPOLLERR)) {
                    /* master and every worker are gone */
                    shutdown_all(f);
                    log_stats(f);
                    return 0;
                }
                if (evs[i].events & EPOLLIN)
                    on_done(f);
                if (evs[i].events & EPOLLOUT)
                    flush_ready(f);
            } else if (p == &tag_sig) {
                char sig[16];
                ssize_t k = read(server_signal_fd(), sig, sizeof(sig));

                for (ssize_t j = 0; j < k; j++) {
                    if (sig[j] == SIGTERM) {
                        shutdown_all(f);
                        log_stats(f);
                        return 0;
                    }
                    if (!f->draining) {
                        /* reload: the new front accepts from now on */
                        set_accepting(f, 0);
                        for (int l = 0; l < srv->nlisten; l++)
                            (void) close(srv->listen_fd[l]);
                        srv->nlisten = 0;
                        f->draining = 1;
                    }
                }
            } else if ((char *) p >= tag_listen &&
                       (char *) p < tag_listen + SERVER_MAX_LISTEN) {
                if (f->accepting)
                    on_accept(f, srv->listen_fd[(char *) p - tag_listen], now);
            } else {
                on_client(f, p);
            }
        }
    }
    log_stats(f);
    return 0;
}

int
smtpd_front_main(struct server *srv)
{
    static const struct server_service svc = {front_pre_drop, NULL, NULL,
                                              front_loop};

    return server_main(srv, &svc, mem_calloc(1, sizeof(struct front)));
}
