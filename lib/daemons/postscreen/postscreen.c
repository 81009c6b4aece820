/*
 * postscreen - the SMTP triage in front of smtpd (Postfix's postscreen).
 *
 * DESCRIPTION
 *	One event-driven process per "smtp inet ... postscreen" entry. For
 *	each client: "CONNECT from", postscreen_access_list (ALLOWLISTED:
 *	straight to smtpd; DENYLISTED: postscreen_denylist_action), the
 *	temporary allowlist ("PASS OLD"), then the tests before the SMTP
 *	handshake as Postfix's postscreen_early.c: the teaser "220-"
 *	banner, postscreen_greet_wait for a client that talks first
 *	("PREGREET"), and the DNSBL/DNSWL score ("DNSBL rank"), whose
 *	queries run concurrently meanwhile. A client that passed ("PASS
 *	NEW") is remembered for the tests' TTLs and its socket goes to an
 *	smtpd worker over the hand-off channel of the "smtpd pass" entry
 *	(server_handoff_send, not greeted: smtpd sends its own 220). A
 *	client that failed with "enforce" talks to the dummy SMTP engine
 *	(postscreen_smtpd.c) and is rejected at RCPT; "drop" answers 521
 *	and closes.
 *
 * BUGS
 *	The temporary allowlist lives in this process's memory (see
 *	docs/ARCHITECTURE.md, "postscreen"): postscreen_cache_map is not
 *	written, so nodes do not share it and a restart forgets it.
 */
#define _GNU_SOURCE 1 /* accept4 */
#include "postscreen/postscreen.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "maillog/maillog.h"
#include "postscreen/postscreen_int.h"

#define EVENTS 128

static char tag_listen[SERVER_MAX_LISTEN], tag_sig, tag_dns, tag_chan;

/* sock_name - "addr" and "port" of a socket address */
static void
sock_name(const struct sockaddr_storage *ss, char *addr, size_t alen,
          char *port, size_t plen)
{
    snprintf(addr, alen, "unknown");
    snprintf(port, plen, "0");
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *) ss;

        (void) inet_ntop(AF_INET, &sin->sin_addr, addr, (socklen_t) alen);
        snprintf(port, plen, "%u", ntohs(sin->sin_port));
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *) ss;

        (void) inet_ntop(AF_INET6, &sin6->sin6_addr, addr, (socklen_t) alen);
        if (strncmp(addr, "::ffff:", 7) == 0 && strchr(addr, '.'))
            memmove(addr, addr + 7, strlen(addr + 7) + 1);
        snprintf(port, plen, "%u", ntohs(sin6->sin6_port));
    }
}

/* postscreen_delta - the time since the connection as Postfix's format_tv (two
 * significant digits) */
void
postscreen_delta(const struct ps_conn *c, char *out, size_t len)
{
    struct timeval now;
    double d;

    gettimeofday(&now, NULL);
    d = (double) (now.tv_sec - c->start.tv_sec) +
        (double) (now.tv_usec - c->start.tv_usec) / 1e6;
    if (d < 0)
        d = 0;
    if (d >= 10)
        snprintf(out, len, "%ld", (long) d);
    else if (d >= 1)
        snprintf(out, len, "%.1f", d);
    else
        snprintf(out, len, "%.2f", d);
    /* format_tv drops trailing zeros */
    if (strchr(out, '.')) {
        size_t n = strlen(out);

        while (n > 0 && out[n - 1] == '0')
            out[--n] = 0;
        if (n > 0 && out[n - 1] == '.')
            out[--n] = 0;
    }
}

enum ps_act
postscreen_action(struct server *srv, const char *name, const char *value)
{
    if (strcasecmp(value, "enforce") == 0)
        return PS_ACT_ENFORCE;
    if (strcasecmp(value, "drop") == 0)
        return PS_ACT_DROP;
    if (strcasecmp(value, "ignore") != 0)
        log_warn("%s: unknown action \"%s\": using \"ignore\" (service %s)",
                 name, value, srv->service);
    return PS_ACT_IGNORE;
}

void
postscreen_conn_close(struct ps *p, struct ps_conn *c)
{
    (void) epoll_ctl(p->ep, EPOLL_CTL_DEL, c->fd, NULL);
    (void) close(c->fd);
    if (c->dq)
        postscreen_dnsbl_release(c);
    if (c->prev)
        c->prev->next = c->next;
    else
        p->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    mem_free(c->reply);
    mem_free(c->helo);
    mem_free(c->sender);
    mem_free(c);
    p->nconn--;
}

/* drop - the "drop" action: the reply, then close ("DISCONNECT", as
 * Postfix logs a dropped session) */
void
postscreen_drop(struct ps *p, struct ps_conn *c, const char *reply)
{
    if (send(c->fd, reply, strlen(reply), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
        /* gone already */
    }
    log_info("DISCONNECT [%s]:%s", c->addr, c->port);
    postscreen_conn_close(p, c);
}

/* postscreen_handoff - the client passed: its socket to an smtpd worker, which
 * greets it and logs "connect from" */
void
postscreen_handoff(struct ps *p, struct ps_conn *c)
{
    static struct server_handoff h;

    (void) epoll_ctl(p->ep, EPOLL_CTL_DEL, c->fd, NULL);
    memset(&h, 0, offsetof(struct server_handoff, data));
    h.flags = SERVER_HANDOFF_NONBLOCK;
    for (int tries = 0;; tries++) {
        if (server_handoff_send(p->chan, c->fd, &h) == 0)
            break;
        if ((errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) &&
            tries < 200) {
            /* the workers' queue is full: master forks more */
            struct timespec ts = {0, 50000000};

            nanosleep(&ts, NULL);
            continue;
        }
        log_warn("pass connection to smtpd: %s", strerror(errno));
        (void) send(c->fd, "421 4.3.2 All server ports are busy\r\n", 37,
                    MSG_DONTWAIT | MSG_NOSIGNAL);
        break;
    }
    postscreen_conn_close(p, c);
}

static const char *
listed(const struct ps *p, int allow)
{
    if (allow)
        return p->respectful ? "ALLOW" : "WHITE";
    return p->respectful ? "DENY" : "BLACK";
}

/* cache_ttl - how long a client that passed every test is remembered */
static int
cache_old(struct ps *p, const char *addr, time_t now)
{
    void *v = htab_find(p->cache, addr);

    if (v == NULL)
        return 0;
    if ((time_t) (intptr_t) v > now)
        return 1;
    (void) htab_delete(p->cache, addr);
    return 0;
}

void
postscreen_cache_add(struct ps *p, const char *addr, time_t until)
{
    (void) htab_set(p->cache, addr, (void *) (intptr_t) until);
}

static void
set_reply(struct ps_conn *c, const char *reply)
{
    mem_free(c->reply);
    c->reply = mem_strdup(reply);
    c->noforward = 1;
}

/* conclude - the end of the tests before the handshake (greet_wait
 * elapsed, or every early test is done) */
static void
conclude(struct ps *p, struct ps_conn *c)
{
    time_t now = time(NULL);
    time_t until = now + p->cache_ttl;
    int passed = !c->pregreet || p->greet_action == PS_ACT_IGNORE;
    int all = !c->pregreet && !c->noforward;

    if (c->dq) {
        const char *name = NULL;
        int score = postscreen_dnsbl_score(p->dnsbl, c, &name);
        char reply[600];

        if (!c->dnsbl_done)
            all = 0; /* Postfix retrieves what came in; not a pass */
        if (score >= postscreen_dnsbl_threshold(p->dnsbl)) {
            all = 0;
            log_info("DNSBL rank %d for [%s]:%s", score, c->addr, c->port);
            if (p->dnsbl_action == PS_ACT_DROP) {
                snprintf(reply, sizeof(reply),
                         "521 5.7.1 Service unavailable; client [%s] "
                         "blocked using %s\r\n",
                         c->addr, name ? name : "");
                postscreen_drop(p, c, reply);
                return;
            }
            if (p->dnsbl_action == PS_ACT_ENFORCE) {
                snprintf(reply, sizeof(reply),
                         "550 5.7.1 Service unavailable; client [%s] "
                         "blocked using %s\r\n",
                         c->addr, name ? name : "");
                set_reply(c, reply);
            }
        }
        if (c->dnsbl_done && score < postscreen_dnsbl_threshold(p->dnsbl)) {
            long dttl = server_param_time(p->srv, "postscreen_dnsbl_max_ttl");

            if (dttl > 0 && now + dttl < until)
                until = now + dttl;
        }
    }
    if (c->noforward || p->pipel_on || p->barlf_on || p->nsmtp_on) {
        /* the dummy engine: rejects, or runs the deep tests */
        c->early_pass = passed && all;
        c->until = until;
        postscreen_smtpd_start(p, c);
        return;
    }
    if (passed && all) {
        log_info("PASS NEW [%s]:%s", c->addr, c->port);
        postscreen_cache_add(p, c->addr, until);
    }
    postscreen_handoff(p, c);
}

/* early_read - the client spoke during greet_wait, or left */
static void
early_read(struct ps *p, struct ps_conn *c)
{
    char buf[1024], esc[512], when[32];
    ssize_t n;
    size_t k = 0;

    do
        n = recv(c->fd, buf, sizeof(buf) - 1, MSG_PEEK | MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return;
    postscreen_delta(c, when, sizeof(when));
    if (n <= 0) {
        log_info("HANGUP after %s from [%s]:%s in tests before SMTP "
                 "handshake",
                 when, c->addr, c->port);
        postscreen_conn_close(p, c);
        return;
    }
    /* the bytes stay in the socket; stop watching until the tests end */
    (void) epoll_ctl(p->ep, EPOLL_CTL_DEL, c->fd, NULL);
    for (ssize_t i = 0; i < n && k + 5 < sizeof(esc) && k < 100; i++) {
        unsigned char ch = (unsigned char) buf[i];

        if (ch == '\r' || ch == '\n' || ch == '\t' || ch == '\\') {
            esc[k++] = '\\';
            esc[k++] = ch == '\r'   ? 'r'
                       : ch == '\n' ? 'n'
                       : ch == '\t' ? 't'
                                    : '\\';
        } else if (ch < 32 || ch > 126) {
            k += (size_t) snprintf(esc + k, sizeof(esc) - k, "\\%03o", ch);
        } else {
            esc[k++] = (char) ch;
        }
    }
    esc[k < 100 ? k : 100] = 0;
    log_info("PREGREET %d after %s from [%s]:%s: %s", (int) n, when, c->addr,
             c->port, esc);
    c->pregreet = 1;
    if (p->greet_action == PS_ACT_DROP) {
        postscreen_drop(p, c, "521 5.5.1 Protocol error\r\n");
        return;
    }
    if (p->greet_action == PS_ACT_ENFORCE)
        set_reply(c, "550 5.5.1 Protocol error\r\n");
    if (c->dq == NULL || c->dnsbl_done)
        conclude(p, c);
}

/* dns_done - every query of c answered */
static void
dns_done(struct ps *p, struct ps_conn *c)
{
    const char *name;

    c->dnsbl_done = 1;
    if (c->phase != PS_PHASE_EARLY)
        return;
    /* postscreen_dnsbl_allowlist_threshold (negative: enabled): skip the
     * rest of the tests, unless one failed already */
    if (postscreen_dnsbl_allow_threshold(p->dnsbl) < 0 && !c->pregreet &&
        !c->noforward &&
        postscreen_dnsbl_score(p->dnsbl, c, &name) <=
            postscreen_dnsbl_allow_threshold(p->dnsbl)) {
        long dttl = server_param_time(p->srv, "postscreen_dnsbl_max_ttl");

        log_info("PASS NEW [%s]:%s", c->addr, c->port);
        postscreen_cache_add(p, c->addr, time(NULL) + (dttl > 0 ? dttl : 3600));
        postscreen_handoff(p, c);
        return;
    }
    if (c->pregreet)
        conclude(p, c);
}

static void
on_accept(struct ps *p, int lfd)
{
    for (int i = 0; i < 64; i++) {
        struct sockaddr_storage ss, ls;
        socklen_t sl = sizeof(ss), ll = sizeof(ls);
        struct epoll_event ev;
        struct ps_conn *c;
        char laddr[SERVER_ADDR_MAX], lport[8];
        enum ps_access acc;
        int fd;

        fd = accept4(lfd, (struct sockaddr *) &ss, &sl,
                     SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            return;
        }
        c = mem_calloc(1, sizeof(*c));
        c->fd = fd;
        gettimeofday(&c->start, NULL);
        c->next = p->conns;
        if (p->conns)
            p->conns->prev = c;
        p->conns = c;
        p->nconn++;
        sock_name(&ss, c->addr, sizeof(c->addr), c->port, sizeof(c->port));
        if (getsockname(fd, (struct sockaddr *) &ls, &ll) < 0)
            memset(&ls, 0, sizeof(ls));
        sock_name(&ls, laddr, sizeof(laddr), lport, sizeof(lport));
        log_info("CONNECT from [%s]:%s to [%s]:%s", c->addr, c->port, laddr,
                 lport);
        acc = postscreen_access_check(p->access, c->addr);
        if (acc == PS_ACCESS_PERMIT) {
            log_info("%sLISTED [%s]:%s", listed(p, 1), c->addr, c->port);
            postscreen_handoff(p, c);
            continue;
        }
        if (acc == PS_ACCESS_REJECT) {
            log_info("%sLISTED [%s]:%s", listed(p, 0), c->addr, c->port);
            if (p->deny_action == PS_ACT_DROP) {
                postscreen_drop(p, c,
                                "521 5.3.2 Service currently unavailable\r\n");
                continue;
            }
            if (p->deny_action == PS_ACT_ENFORCE)
                set_reply(c, "550 5.3.2 Service currently unavailable\r\n");
        }
        if (!c->noforward && cache_old(p, c->addr, time(NULL))) {
            log_info("PASS OLD [%s]:%s", c->addr, c->port);
            postscreen_handoff(p, c);
            continue;
        }
        if (p->teaser && send(fd, p->teaser, strlen(p->teaser),
                              MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
            char when[32];

            postscreen_delta(c, when, sizeof(when));
            log_info("HANGUP after %s from [%s]:%s in tests before SMTP "
                     "handshake",
                     when, c->addr, c->port);
            postscreen_conn_close(p, c);
            continue;
        }
        c->phase = PS_PHASE_EARLY;
        c->deadline = time(NULL) + p->greet_wait;
        c->dq = postscreen_dnsbl_request(p->dnsbl, c);
        memset(&ev, 0, sizeof(ev));
        ev.events = EPOLLIN;
        ev.data.ptr = c;
        (void) epoll_ctl(p->ep, EPOLL_CTL_ADD, fd, &ev);
    }
}

static void
ps_config(struct ps *p)
{
    struct server *srv = p->srv;
    char *v;

    p->host = server_param(srv, "myhostname");
    v = server_param(srv, "postscreen_greet_banner");
    if (*v) {
        size_t n = strlen(v) + 8;

        p->teaser = mem_alloc(n);
        snprintf(p->teaser, n, "220-%s\r\n", v);
    }
    mem_free(v);
    v = server_param(srv, "smtpd_banner");
    {
        size_t n = strlen(v) + 8;

        p->greeting = mem_alloc(n);
        snprintf(p->greeting, n, "220 %s\r\n", v);
    }
    mem_free(v);
    p->greet_wait = server_param_time(srv, "postscreen_greet_wait");
    if (p->greet_wait <= 0)
        p->greet_wait = 6;
    p->timeout = server_param_time(srv, "postscreen_command_time_limit");
    if (p->timeout <= 0)
        p->timeout = 300;
    p->cache_ttl = server_param_time(srv, "postscreen_greet_ttl");
    if (p->cache_ttl <= 0)
        p->cache_ttl = 86400;
    v = server_param(srv, "postscreen_greet_action");
    p->greet_action = postscreen_action(srv, "postscreen_greet_action", v);
    mem_free(v);
    v = server_param(srv, "postscreen_denylist_action");
    p->deny_action = postscreen_action(srv, "postscreen_denylist_action", v);
    mem_free(v);
    v = server_param(srv, "postscreen_dnsbl_action");
    p->dnsbl_action = postscreen_action(srv, "postscreen_dnsbl_action", v);
    mem_free(v);
    p->respectful = server_param_bool(srv, "respectful_logging");
    p->pipel_on = server_param_bool(srv, "postscreen_pipelining_enable");
    v = server_param(srv, "postscreen_pipelining_action");
    p->pipel_action = postscreen_action(srv, "postscreen_pipelining_action", v);
    mem_free(v);
    p->pipel_ttl = server_param_time(srv, "postscreen_pipelining_ttl");
    p->barlf_on = server_param_bool(srv, "postscreen_bare_newline_enable");
    v = server_param(srv, "postscreen_bare_newline_action");
    p->barlf_action =
        postscreen_action(srv, "postscreen_bare_newline_action", v);
    mem_free(v);
    p->barlf_ttl = server_param_time(srv, "postscreen_bare_newline_ttl");
    p->nsmtp_on = server_param_bool(srv, "postscreen_non_smtp_command_enable");
    v = server_param(srv, "postscreen_non_smtp_command_action");
    p->nsmtp_action =
        postscreen_action(srv, "postscreen_non_smtp_command_action", v);
    mem_free(v);
    p->nsmtp_ttl = server_param_time(srv, "postscreen_non_smtp_command_ttl");
    v = server_param(srv, "postscreen_forbidden_commands");
    p->forbidden = maps_match_new("postscreen_forbidden_commands", v,
                                  MAPS_MATCH_DOMAIN, 0);
    mem_free(v);
    p->access = postscreen_access_new(srv);
    p->dnsbl = postscreen_dnsbl_new(srv);
    p->cache = htab_new(1024);
}

static void
ps_pre_drop(struct server *srv, void *ctx)
{
    struct ps *p = ctx;

    p->srv = srv;
    p->chan = srv->handoff_fd;
    ps_config(p);
}

/* expire - greet_wait over (early), or the command time limit (dummy) */
static void
expire(struct ps *p, time_t now, int *timeout)
{
    struct ps_conn *c, *next;

    for (c = p->conns; c; c = next) {
        next = c->next;
        if (c->deadline == 0)
            continue;
        if (c->deadline <= now) {
            if (c->phase == PS_PHASE_EARLY) {
                c->deadline = 0;
                conclude(p, c);
            } else {
                char reply[400], when[32];

                postscreen_delta(c, when, sizeof(when));
                log_info("COMMAND TIME LIMIT from [%s]:%s after %s", c->addr,
                         c->port, c->cmds ? "command" : "CONNECT");
                snprintf(reply, sizeof(reply),
                         "421 4.4.2 %s Error: timeout exceeded\r\n", p->host);
                postscreen_drop(p, c, reply);
            }
            continue;
        }
        if (*timeout < 0 || (c->deadline - now) * 1000 < *timeout)
            *timeout = (int) (c->deadline - now) * 1000;
    }
}

static int
ps_loop(struct server *srv, void *ctx)
{
    struct ps *p = ctx;
    struct epoll_event ev, evs[EVENTS];
    int draining = 0;

    p->ep = epoll_create1(EPOLL_CLOEXEC);
    if (p->ep < 0)
        log_fatal("epoll_create1: %s", strerror(errno));
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN;
    for (int i = 0; i < srv->nlisten; i++) {
        ev.data.ptr = &tag_listen[i];
        (void) epoll_ctl(p->ep, EPOLL_CTL_ADD, srv->listen_fd[i], &ev);
    }
    ev.data.ptr = &tag_sig;
    if (server_signal_fd() >= 0)
        (void) epoll_ctl(p->ep, EPOLL_CTL_ADD, server_signal_fd(), &ev);
    ev.data.ptr = &tag_dns;
    if (postscreen_dnsbl_fd(p->dnsbl) >= 0)
        (void) epoll_ctl(p->ep, EPOLL_CTL_ADD, postscreen_dnsbl_fd(p->dnsbl),
                         &ev);
    ev.data.ptr = &tag_chan;
    ev.events = 0; /* EPOLLHUP only: master and the workers are gone */
    (void) epoll_ctl(p->ep, EPOLL_CTL_ADD, p->chan, &ev);

    for (;;) {
        int timeout = -1, n, dns = 0;

        expire(p, time(NULL), &timeout);
        if (draining && p->nconn == 0)
            return 0;
        n = epoll_wait(p->ep, evs, EVENTS, timeout);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            log_fatal("epoll_wait: %s", strerror(errno));
        }
        for (int i = 0; i < n; i++) {
            void *ptr = evs[i].data.ptr;

            if (ptr == &tag_chan) {
                return 0;
            } else if (ptr == &tag_sig) {
                char sig[16];
                ssize_t k = read(server_signal_fd(), sig, sizeof(sig));

                for (ssize_t j = 0; j < k; j++) {
                    if (sig[j] == SIGTERM)
                        return 0;
                    /* SIGHUP (reload): the new process accepts; the
                     * clients held here finish their tests */
                    for (int l = 0; l < srv->nlisten; l++) {
                        (void) epoll_ctl(p->ep, EPOLL_CTL_DEL,
                                         srv->listen_fd[l], NULL);
                        (void) close(srv->listen_fd[l]);
                    }
                    srv->nlisten = 0;
                    draining = 1;
                }
            } else if (ptr == &tag_dns) {
                dns = 1; /* after this batch: it may close any client */
            } else if ((char *) ptr >= tag_listen &&
                       (char *) ptr < tag_listen + SERVER_MAX_LISTEN) {
                on_accept(p, srv->listen_fd[(char *) ptr - tag_listen]);
            } else {
                struct ps_conn *c = ptr;

                if (c->phase == PS_PHASE_EARLY)
                    early_read(p, c);
                else
                    postscreen_smtpd_read(p, c);
            }
        }
        if (dns) {
            struct ps_conn *c;

            while ((c = postscreen_dnsbl_event(p->dnsbl)) != NULL)
                dns_done(p, c);
        }
    }
}

int
postscreen_main(struct server *srv)
{
    static const struct server_service svc = {ps_pre_drop, NULL, NULL, ps_loop};

    return server_main(srv, &svc, mem_calloc(1, sizeof(struct ps)));
}
