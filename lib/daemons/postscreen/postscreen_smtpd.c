/*
 * postscreen_smtpd - postscreen's dummy SMTP engine (Postfix's
 * postscreen_smtpd.c) for a client that failed a test with "enforce":
 * the 220 greeting, HELO/EHLO and MAIL accepted, RCPT (and DATA, VRFY,
 * ETRN, anything else) answered with the failed test's reply and a
 * "NOQUEUE: reject: RCPT from" line, QUIT ends with "DISCONNECT". The
 * client is never passed to smtpd.
 */
#include <sys/epoll.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "maillog/maillog.h"
#include "postscreen/postscreen_int.h"

static void
say(struct ps_conn *c, const char *text)
{
    if (send(c->fd, text, strlen(text), MSG_NOSIGNAL) < 0) {
        /* the next read finds out */
    }
}

void
postscreen_smtpd_start(struct ps *p, struct ps_conn *c)
{
    struct epoll_event ev;

    c->phase = PS_PHASE_SMTPD;
    c->deadline = time(NULL) + p->timeout;
    snprintf(c->where, sizeof(c->where), "CONNECT");
    /* as Postfix: no banner for a client that talked first (its
     * command is answered instead) */
    if (!c->pregreet)
        say(c, p->greeting);
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN;
    ev.data.ptr = c;
    if (epoll_ctl(p->ep, EPOLL_CTL_ADD, c->fd, &ev) < 0 && errno == EEXIST)
        (void) epoll_ctl(p->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void
ehlo_reply(struct ps *p, struct ps_conn *c)
{
    struct buf b;
    long size = server_param_size(p->srv, "message_size_limit");
    char *v;

    buf_init(&b, 0);
    buf_printf(&b, "250-%s\r\n", p->host);
    if (size > 0)
        buf_printf(&b, "250-SIZE %ld\r\n", size);
    else
        buf_puts(&b, "250-SIZE\r\n");
    v = server_param(p->srv, "postscreen_disable_vrfy_command");
    if (!(v[0] == 'y' || v[0] == 'Y'))
        buf_puts(&b, "250-VRFY\r\n");
    mem_free(v);
    buf_puts(&b, "250-ETRN\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n"
                 "250-DSN\r\n");
    if (server_param_bool(p->srv, "smtputf8_enable"))
        buf_puts(&b, "250-SMTPUTF8\r\n");
    buf_puts(&b, "250 CHUNKING\r\n");
    say(c, buf_str(&b));
    buf_fini(&b);
}

/* addr_arg - the address of "FROM:<a>" / "TO:<a>" (after the colon) */
static const char *
addr_arg(char *arg, const char *kw)
{
    size_t n = strlen(kw);
    char *a, *e;

    if (strncasecmp(arg, kw, n) != 0)
        return NULL;
    a = arg + n;
    while (*a == ' ')
        a++;
    if (*a == '<') {
        a++;
        e = strchr(a, '>');
        if (e == NULL)
            return NULL;
        *e = 0;
    } else {
        a[strcspn(a, " ")] = 0;
    }
    return a;
}

/* a client that passed every test still gets no smtpd in this session:
 * it is told to come back (and is then "PASS OLD") */
#define TEMP_REPLY "450 4.3.2 Service currently unavailable\r\n"

/* deep_pass - at RCPT: the deep tests are over; a client that passed
 * every test is remembered */
static void
deep_pass(struct ps *p, struct ps_conn *c)
{
    time_t now = time(NULL);

    if (c->passed || c->noforward || c->deep_fail || !c->early_pass)
        return;
    if (p->pipel_on && p->pipel_ttl > 0 && now + p->pipel_ttl < c->until)
        c->until = now + p->pipel_ttl;
    if (p->barlf_on && p->barlf_ttl > 0 && now + p->barlf_ttl < c->until)
        c->until = now + p->barlf_ttl;
    if (p->nsmtp_on && p->nsmtp_ttl > 0 && now + p->nsmtp_ttl < c->until)
        c->until = now + p->nsmtp_ttl;
    c->passed = 1;
    log_info("PASS NEW [%s]:%s", c->addr, c->port);
    postscreen_cache_add(p, c->addr, c->until);
}

/* deep_fail - a deep test failed: its action; -1 when the session is
 * gone (drop) */
static int
deep_fail(struct ps *p, struct ps_conn *c, enum ps_act act)
{
    c->deep_fail = 1;
    if (act == PS_ACT_DROP) {
        postscreen_drop(p, c, "521 5.5.1 Protocol error\r\n");
        return -1;
    }
    if (act == PS_ACT_ENFORCE) {
        mem_free(c->reply);
        c->reply = mem_strdup("550 5.5.1 Protocol error\r\n");
        c->noforward = 1;
    }
    return 0;
}

static void
escape(const char *in, size_t n, char *out, size_t len)
{
    size_t k = 0;

    for (size_t i = 0; i < n && k + 5 < len; i++) {
        unsigned char ch = (unsigned char) in[i];

        if (ch == '\r' || ch == '\n' || ch == '\t' || ch == '\\') {
            out[k++] = '\\';
            out[k++] = ch == '\r'   ? 'r'
                       : ch == '\n' ? 'n'
                       : ch == '\t' ? 't'
                                    : '\\';
        } else if (ch < 32 || ch > 126) {
            k += (size_t) snprintf(out + k, len - k, "\\%03o", ch);
        } else {
            out[k++] = (char) ch;
        }
    }
    out[k] = 0;
}

/* is_header - "Name:" (a mail header sent as a command) */
static int
is_header(const char *w)
{
    size_t n = strspn(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                         "0123456789-_");

    return n > 0 && w[n] == ':';
}

static int
command(struct ps *p, struct ps_conn *c, char *line)
{
    char *arg = line + strcspn(line, " ");
    const char *reply = c->reply ? c->reply : TEMP_REPLY;
    size_t rlen = strcspn(reply, "\r\n");
    const char *a;

    if (*arg)
        *arg++ = 0;
    while (*arg == ' ')
        arg++;
    c->cmds++;
    if (strcasecmp(line, "HELO") == 0 || strcasecmp(line, "EHLO") == 0) {
        if (*arg == 0) {
            say(c, line[0] == 'H' || line[0] == 'h'
                       ? "501 Syntax: HELO hostname\r\n"
                       : "501 Syntax: EHLO hostname\r\n");
            return 0;
        }
        mem_free(c->helo);
        c->helo = mem_strdup(arg);
        c->ehlo = line[0] == 'E' || line[0] == 'e';
        if (c->ehlo)
            ehlo_reply(p, c);
        else {
            char r[300];

            snprintf(r, sizeof(r), "250 %s\r\n", p->host);
            say(c, r);
        }
        return 0;
    }
    if (strcasecmp(line, "MAIL") == 0) {
        if (c->mail) {
            say(c, "503 5.5.1 Error: nested MAIL command\r\n");
            return 0;
        }
        if ((a = addr_arg(arg, "FROM:")) == NULL) {
            say(c, "501 5.5.4 Syntax: MAIL FROM:<address>\r\n");
            return 0;
        }
        mem_free(c->sender);
        c->sender = mem_strdup(a);
        c->mail = 1;
        say(c, "250 2.1.0 Ok\r\n");
        return 0;
    }
    if (strcasecmp(line, "RCPT") == 0) {
        if (!c->mail) {
            say(c, "503 5.5.1 Error: need MAIL command\r\n");
            return 0;
        }
        if ((a = addr_arg(arg, "TO:")) == NULL) {
            say(c, "501 5.5.4 Syntax: RCPT TO:<address>\r\n");
            return 0;
        }
        log_info("NOQUEUE: reject: RCPT from [%s]:%s: %.*s; from=<%s>, "
                 "to=<%s>, proto=%s, helo=<%s>",
                 c->addr, c->port, (int) rlen, reply, c->sender, a,
                 c->ehlo ? "ESMTP" : "SMTP", c->helo ? c->helo : "");
        /* after the reject line, as in Postfix's log */
        deep_pass(p, c);
        say(c, reply);
        return 0;
    }
    if (strcasecmp(line, "RSET") == 0) {
        c->mail = 0;
        say(c, "250 2.0.0 Ok\r\n");
        return 0;
    }
    if (strcasecmp(line, "NOOP") == 0) {
        say(c, "250 2.0.0 Ok\r\n");
        return 0;
    }
    if (strcasecmp(line, "QUIT") == 0) {
        say(c, "221 2.0.0 Bye\r\n");
        return -1;
    }
    if (strcasecmp(line, "DATA") != 0 && strcasecmp(line, "VRFY") != 0 &&
        strcasecmp(line, "ETRN") != 0) {
        if (p->nsmtp_on && !c->nsmtp_done &&
            (is_header(line) || maps_match_domain(p->forbidden, line) == 1)) {
            c->nsmtp_done = 1;
            log_info("NON-SMTP COMMAND from [%s]:%s after %s: %.100s %s",
                     c->addr, c->port, c->where, line, arg);
            if (p->nsmtp_action == PS_ACT_DROP) {
                postscreen_drop(
                    p, c,
                    "521 5.7.0 Error: I can break rules, too. Goodbye.\r\n");
                return -2;
            }
            c->deep_fail = 1;
            if (p->nsmtp_action == PS_ACT_ENFORCE) {
                mem_free(c->reply);
                c->reply = mem_strdup("550 5.5.1 Protocol error\r\n");
                c->noforward = 1;
            }
        }
        say(c, "502 5.5.2 Error: command not recognized\r\n");
        return 0;
    }
    /* DATA, VRFY, ETRN and the rest: the test's reply */
    say(c, reply);
    return 0;
}

void
postscreen_smtpd_read(struct ps *p, struct ps_conn *c)
{
    char buf[1024];
    ssize_t n;
    int bare, k;

    do
        n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return;
    if (n <= 0) {
        log_info("DISCONNECT [%s]:%s", c->addr, c->port);
        postscreen_conn_close(p, c);
        return;
    }
    c->deadline = time(NULL) + p->timeout;
    for (ssize_t i = 0; i < n; i++) {
        if (buf[i] != '\n') {
            if (c->llen + 1 < sizeof(c->line))
                c->line[c->llen++] = buf[i];
            continue;
        }
        bare = c->llen == 0 || c->line[c->llen - 1] != '\r';
        if (!bare)
            c->llen--;
        c->line[c->llen] = 0;
        c->llen = 0;
        if (p->barlf_on && bare && !c->barlf_done) {
            c->barlf_done = 1;
            /* "after" the command line itself, as Postfix logs it */
            log_info("BARE NEWLINE from [%s]:%s after %.100s", c->addr, c->port,
                     c->line);
            if (deep_fail(p, c, p->barlf_action) < 0)
                return;
        }
        if (p->pipel_on && !c->pipel_done && i + 1 < n) {
            char rest[512];

            c->pipel_done = 1;
            escape(buf + i + 1, (size_t) (n - i - 1), rest, sizeof(rest));
            log_info("COMMAND PIPELINING from [%s]:%s after %.*s: %s", c->addr,
                     c->port, (int) strcspn(c->line, " "), c->line, rest);
            if (deep_fail(p, c, p->pipel_action) < 0)
                return;
        }
        k = command(p, c, c->line);
        if (k == -2)
            return; /* dropped */
        snprintf(c->where, sizeof(c->where), "%.*s",
                 (int) strcspn(c->line, " "), c->line);
        if (k < 0) {
            log_info("DISCONNECT [%s]:%s", c->addr, c->port);
            postscreen_conn_close(p, c);
            return;
        }
    }
}
