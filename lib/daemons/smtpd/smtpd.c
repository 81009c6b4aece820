/*
 * smtpd - the SMTP server.
 *
 * DESCRIPTION
 *	An inet service has a front (smtpd_front.c) that holds each
 *	connection until its first command and hands it to a worker; a
 *	worker runs up to SMTPD_SESSIONS_PER_PROCESS sessions at once,
 *	each a coroutine running this blocking code (lib/base/util's co,
 *	the event loop of lib/services/server), and master runs up to
 *	maxproc workers. Other smtpd services (unix, pass) and "sendmail
 *	-bs" serve one session per process, Postfix's single-server
 *	model. A transaction gets its
 *	queue ID from cleanup at the first accepted RCPT (Postfix's
 *	smtpd_delay_open_until_valid_rcpt), streams the content there
 *	during DATA (dot-unstuffed, LF line ends, our Received: header
 *	first) and answers the end of data with cleanup's verdict, which
 *	comes only after the group commit.
 *
 *	This file holds the session: the peer lookup, the command loop
 *	and its per-command counts, the disconnect line and the service
 *	setup. The commands live by job in smtpd_conf.c (configuration),
 *	smtpd_mail.c (MAIL, RCPT), smtpd_data.c (DATA, BDAT, Received:)
 *	and smtpd_misc.c (HELO/EHLO, VRFY, ETRN, STARTTLS).
 *
 * DIAGNOSTICS
 *	Postfix's log lines: connect from, ID: client=, NOQUEUE: reject:,
 *	lost connection after, timeout after, disconnect from ... with
 *	per-command counts.
 */
#define _DEFAULT_SOURCE 1 /* strcasecmp, NI_MAXHOST */
#include "smtpd/smtpd.h"

#include <sys/socket.h>

#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cleanup/cleanup.h"
#include "maillog/maillog.h"
#include "maps/maps.h"
#include "rewrite/rewrite.h"
#include "server/server.h"
#include "smtpd/smtpd_int.h"

/* ---- helpers ---- */

void
smtpd_stat_count(struct smtpd_session *s, const char *name, int ok)
{
    int i;

    /* every failed command is an error (smtpd_hard_error_limit), as
     * Postfix counts each command action that fails */
    s->errors += ok == 0;
    for (i = 0; i < s->nstats; i++)
        if (strcmp(s->stats[i].name, name) == 0)
            break;
    if (i == s->nstats) {
        if (s->nstats >= 16)
            return;
        s->stats[s->nstats].name = name;
        s->stats[s->nstats].ok = s->stats[s->nstats].total = 0;
        s->nstats++;
    }
    s->stats[i].total++;
    s->stats[i].ok += ok != 0;
    s->cmds_total++;
    s->cmds_ok += ok != 0;
}

void
smtpd_reset_transaction(struct smtpd_session *s)
{
    if (s->cleanup_open)
        cleanup_client_abort(s->cc);
    s->cleanup_open = 0;
    s->have_mail = 0;
    mem_free(s->sasl_sender); /* MAIL's AUTH= */
    s->sasl_sender = NULL;
    mem_free(s->sender);
    s->sender = NULL;
    queue_env_fini(&s->env);
    queue_env_init(&s->env);
    s->id[0] = 0;
    s->size_param = 0;
    s->body_flags = 0;
    s->rcpt_count = 0;
    s->rcpt_overshoot = 0;
    mem_free(s->last_rcpt);
    s->last_rcpt = NULL;
    s->bdat = SMTPD_BDAT_NONE;
    s->bdat_raw = s->bdat_size = 0;
    s->bdat_cr = s->bdat_nl = 0;
    smtpd_milter_reset(s);
}

const char *
smtpd_proto(const struct smtpd_session *s)
{
    int utf8 = (s->env.flags & QUEUE_F_SMTPUTF8) != 0;

    /* Postfix's state->protocol: TLS and AUTH show only in Received:
     * (RFC 3848 ESMTPS, ESMTPA, ESMTPSA), not in log lines */
    if (!s->esmtp)
        return "SMTP";
    return utf8 ? "UTF8SMTP" : "ESMTP";
}

/* smtpd_log_reject - Postfix's "reject:" line; from= and to= show the
 * addresses as the client sent them (external form), as Postfix logs
 * them, not canonicalized; to: the internal form or NULL */
void
smtpd_log_reject(struct smtpd_session *s, const char *stage, const char *reply,
                 const char *to)
{
    char *ext = to ? rewrite_quote(to) : NULL;

    maillog_reject(s->id[0] ? s->id : NULL, "reject", stage, s->namaddr, reply,
                   s->sender ? s->env.sender : NULL, ext, smtpd_proto(s),
                   s->helo);
    mem_free(ext);
}

/* stat_name - the disconnect line's name of a command (static) */
static const char *
stat_name(const char *cmd)
{
    static const char *const names[] = {"helo", "ehlo",     "mail", "rcpt",
                                        "data", "rset",     "noop", "vrfy",
                                        "etrn", "starttls", "auth", NULL};

    for (int i = 0; names[i]; i++)
        if (strcasecmp(cmd, names[i]) == 0)
            return names[i];
    return "unknown";
}

/* smtpd_session_run: where replies go when not to the client's fd */
static int session_out = -1;

/* check_pipelining - Postfix's "improper command pipelining" line,
 * once per session: input already waits after a command that must end
 * a group (RFC 2920: EHLO, HELO, DATA, NOOP, VRFY, QUIT...), or after
 * any command of a session without ESMTP */
static void
check_pipelining(struct smtpd_session *s, const char *cmd)
{
    static const char *const known[] = {
        "HELO", "EHLO", "MAIL", "RCPT", "DATA", "BDAT",     "RSET",
        "NOOP", "VRFY", "ETRN", "QUIT", "AUTH", "STARTTLS", NULL};
    static const char *const last[] = {"HELO", "EHLO", "DATA", "NOOP",
                                       "VRFY", "QUIT", NULL};
    const char *data;
    int more;
    size_t n = smtpd_io_peek(s->io, &data, &more);
    int k, l;
    struct buf esc;

    for (k = 0; known[k] && strcasecmp(cmd, known[k]) != 0; k++)
        ;
    for (l = 0; last[l] && strcasecmp(cmd, last[l]) != 0; l++)
        ;
    /* input waiting, buffered or still in the socket or the TLS layer
     * (Postfix's peekfd()) */
    if ((n == 0 && !more) || known[k] == NULL || (s->esmtp && last[l] == NULL))
        return;
    s->ill_pipelining = 1;
    buf_init(&esc, 0);
    for (size_t i = 0; i < n && i < 100; i++) {
        unsigned char c = (unsigned char) data[i];

        if (c == '\r')
            (void) buf_puts(&esc, "\\r");
        else if (c == '\n')
            (void) buf_puts(&esc, "\\n");
        else if (c == '\t')
            (void) buf_puts(&esc, "\\t");
        else if (c == '\\')
            (void) buf_puts(&esc, "\\\\");
        else if (c < ' ' || c >= 127)
            (void) buf_printf(&esc, "\\%03o", c);
        else
            (void) buf_putc(&esc, c);
    }
    log_info("improper command pipelining after %s from %s: %s", known[k],
             s->namaddr, esc.data ? esc.data : "");
    buf_fini(&esc);
}

/* tls_required - cmd needs TLS first (smtpd_tls_security_level =
 * encrypt, before STARTTLS): every command Postern knows except HELO,
 * EHLO, STARTTLS, NOOP and QUIT; the refusal is counted */
static int
tls_required(struct smtpd_session *s, const char *cmd)
{
    static const char *const gated[][2] = {
        {"MAIL", "mail"}, {"RCPT", "rcpt"}, {"DATA", "data"},
        {"BDAT", "bdat"}, {"RSET", "rset"}, {"VRFY", "vrfy"},
        {"ETRN", "etrn"}, {"AUTH", "auth"}, {NULL, NULL}};

    if (s->cf->tls_level != 2 || s->tls)
        return 0;
    for (int i = 0; gated[i][0]; i++)
        if (strcasecmp(cmd, gated[i][0]) == 0) {
            s->last_cmd = gated[i][0];
            smtpd_stat_count(s, gated[i][1], 0);
            return 1;
        }
    return 0;
}

/* is_junk - a command a client may repeat without limit otherwise
 * (smtpd_junk_command_limit) */
static int
is_junk(const char *cmd)
{
    static const char *const junk[] = {"HELO", "EHLO", "RSET", "NOOP",
                                       "VRFY", "ETRN", NULL};

    for (int i = 0; junk[i]; i++)
        if (strcasecmp(cmd, junk[i]) == 0)
            return 1;
    return 0;
}

/* is_header - "Name:" opens the command: a mail header sent as one
 * (Postfix's is_header()) */
static int
is_header(const char *cmd)
{
    size_t n = strcspn(cmd, ":");

    if (n == 0 || cmd[n] != ':')
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char) cmd[i] <= ' ' || (unsigned char) cmd[i] >= 127)
            return 0;
    return 1;
}

/* ---- the session ---- */

/* peer_names - the client's forward-confirmed name (blocking DNS; in a
 * thread when sessions share the process) */
struct peer_lookup {
    struct sockaddr_storage ss;
    socklen_t len;
    const char *addr;
    char name[NI_MAXHOST];
    int ok;
    int rev_status, name_status; /* SMTPD_PEER_*, for the restrictions */
};

/* peer_err - a resolver error as Postfix's TEMP_AI_ERROR() sorts it */
static int
peer_err(int aierr)
{
    return aierr == EAI_AGAIN || aierr == EAI_MEMORY || aierr == EAI_SYSTEM
               ? SMTPD_PEER_TEMP
               : SMTPD_PEER_PERM;
}

static void
peer_names(void *arg)
{
    struct peer_lookup *pl = arg;
    struct addrinfo hints, *res = NULL, *ai;

    int rc;

    pl->ok = 0;
    rc = getnameinfo((struct sockaddr *) &pl->ss, pl->len, pl->name,
                     sizeof(pl->name), NULL, 0, NI_NAMEREQD);
    if (rc != 0) {
        pl->rev_status = pl->name_status = peer_err(rc);
        return;
    }
    pl->rev_status = SMTPD_PEER_OK;
    /* forward-confirmed only, as Postfix */
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = pl->ss.ss_family;
    if ((rc = getaddrinfo(pl->name, NULL, &hints, &res)) != 0) {
        pl->name_status = rc == EAI_AGAIN ? SMTPD_PEER_TEMP : SMTPD_PEER_FORGED;
        return;
    }
    for (ai = res; ai && !pl->ok; ai = ai->ai_next) {
        char a[NI_MAXHOST];

        if (getnameinfo(ai->ai_addr, ai->ai_addrlen, a, sizeof(a), NULL, 0,
                        NI_NUMERICHOST) == 0)
            pl->ok =
                strcmp(a, pl->addr) == 0 ||
                (strncmp(a, "::ffff:", 7) == 0 && strcmp(a + 7, pl->addr) == 0);
    }
    freeaddrinfo(res);
    pl->name_status = pl->ok ? SMTPD_PEER_OK : SMTPD_PEER_FORGED;
}

/* peer_resolve - the client's names (reverse and forward-confirmed)
 * for the address ss, as Postfix's smtpd_peer does */
static void
peer_resolve(struct smtpd_session *s, const struct sockaddr_storage *ss,
             socklen_t len)
{
    struct peer_lookup *pl = mem_alloc(sizeof(*pl));

    memcpy(&pl->ss, ss, sizeof(*ss));
    pl->len = len;
    pl->addr = s->addr;
    (void) co_offload(peer_names, pl);
    if (pl->ok)
        snprintf(s->name, sizeof(s->name), "%.255s", pl->name);
    if (pl->rev_status == SMTPD_PEER_OK)
        snprintf(s->reverse_name, sizeof(s->reverse_name), "%.255s", pl->name);
    s->name_status = pl->name_status;
    s->reverse_status = pl->rev_status;
    mem_free(pl);
}

static void
peer(struct smtpd_session *s, int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    snprintf(s->addr, sizeof(s->addr), "unknown");
    snprintf(s->name, sizeof(s->name), "unknown");
    snprintf(s->reverse_name, sizeof(s->reverse_name), "unknown");
    s->name_status = s->reverse_status = SMTPD_PEER_PERM;
    if (fd == 0 && getpeername(fd, (struct sockaddr *) &ss, &len) < 0 &&
        errno == ENOTSOCK) {
        /* sendmail -bs: the local user */
        snprintf(s->addr, sizeof(s->addr), "127.0.0.1");
        snprintf(s->name, sizeof(s->name), "localhost");
        snprintf(s->reverse_name, sizeof(s->reverse_name), "localhost");
        s->name_status = s->reverse_status = SMTPD_PEER_OK;
    } else if (getpeername(fd, (struct sockaddr *) &ss, &len) == 0) {
        struct sockaddr_storage me;
        socklen_t melen = sizeof(me);

        getnameinfo((struct sockaddr *) &ss, len, s->addr, sizeof(s->addr),
                    s->port, sizeof(s->port), NI_NUMERICHOST | NI_NUMERICSERV);
        if (strncmp(s->addr, "::ffff:", 7) == 0 && strchr(s->addr, '.'))
            memmove(s->addr, s->addr + 7, strlen(s->addr + 7) + 1);
        /* the server end, for policy services */
        if (getsockname(fd, (struct sockaddr *) &me, &melen) == 0)
            getnameinfo((struct sockaddr *) &me, melen, s->server_addr,
                        sizeof(s->server_addr), s->server_port,
                        sizeof(s->server_port),
                        NI_NUMERICHOST | NI_NUMERICSERV);
        if (strncmp(s->server_addr, "::ffff:", 7) == 0 &&
            strchr(s->server_addr, '.'))
            memmove(s->server_addr, s->server_addr + 7,
                    strlen(s->server_addr + 7) + 1);
        if (s->cf->peername_lookup && !*s->cf->proxy_protocol)
            peer_resolve(s, &ss, len);
    }
    snprintf(s->namaddr, sizeof(s->namaddr), "%s[%s]", s->name, s->addr);
}

/* smtpd_peer_proxied - the client the upstream proxy names: its
 * address (and names) instead of the proxy's (smtpd_haproxy.c) */
void
smtpd_peer_proxied(struct smtpd_session *s, const char *addr, const char *port,
                   const char *server_addr, const char *server_port)
{
    struct addrinfo hints, *res = NULL;

    snprintf(s->addr, sizeof(s->addr), "%s", addr);
    snprintf(s->port, sizeof(s->port), "%s", port);
    snprintf(s->server_addr, sizeof(s->server_addr), "%s", server_addr);
    snprintf(s->server_port, sizeof(s->server_port), "%s", server_port);
    memset(&hints, 0, sizeof(hints));
    hints.ai_flags = AI_NUMERICHOST;
    if (s->cf->peername_lookup && getaddrinfo(addr, NULL, &hints, &res) == 0 &&
        res) {
        struct sockaddr_storage ss;

        memcpy(&ss, res->ai_addr, res->ai_addrlen);
        peer_resolve(s, &ss, res->ai_addrlen);
    }
    if (res)
        freeaddrinfo(res);
    snprintf(s->namaddr, sizeof(s->namaddr), "%s[%s]", s->name, s->addr);
}

/* too_many - smtpd_client_connection_count_limit over all siblings */
static int
too_many(struct smtpd_session *s)
{
    struct server *srv = s->cf->srv;
    long count = 0;

    if (srv->shm == NULL)
        return 0;
    snprintf(srv->shm[srv->slot].client_addr,
             sizeof(srv->shm[srv->slot].client_addr), "%s", s->addr);
    if (s->cf->conn_limit <= 0 ||
        maps_match_addr(s->cf->event_excl, s->addr) == 1)
        return 0;
    for (unsigned i = 0; i < srv->nslots; i++)
        count += strcmp(srv->shm[i].client_addr, s->addr) == 0;
    if (count > s->cf->conn_limit) {
        log_warn("Connection concurrency limit exceeded: %ld from %s "
                 "for service %s",
                 count, s->namaddr, srv->service);
        return 1;
    }
    return 0;
}

/* stats_sort - the order of Postfix's command table, as its
 * "disconnect from" line lists them */
static int
stat_rank(const char *name)
{
    static const char *const order[] = {
        "helo", "ehlo", "xclient", "xforward", "starttls", "auth",
        "mail", "rcpt", "data",    "bdat",     "rset",     "noop",
        "vrfy", "etrn", "quit",    "unknown",  NULL};
    int i;

    for (i = 0; order[i] && strcmp(order[i], name) != 0; i++)
        ;
    return i;
}

static void
stats_sort(struct smtpd_session *s)
{
    for (int i = 1; i < s->nstats; i++)
        for (int j = i; j > 0 && stat_rank(s->stats[j - 1].name) >
                                     stat_rank(s->stats[j].name);
             j--) {
            struct smtpd_cmdstat t = s->stats[j];

            s->stats[j] = s->stats[j - 1];
            s->stats[j - 1] = t;
        }
}

static void
disconnect_log(struct smtpd_session *s)
{
    char line[600];
    size_t n = 0;

    line[0] = 0;
    stats_sort(s);
    for (int i = 0; i < s->nstats && n < sizeof(line); i++) {
        if (s->stats[i].ok == s->stats[i].total)
            n += (size_t) snprintf(line + n, sizeof(line) - n, " %s=%u",
                                   s->stats[i].name, s->stats[i].ok);
        else
            n += (size_t) snprintf(line + n, sizeof(line) - n, " %s=%u/%u",
                                   s->stats[i].name, s->stats[i].ok,
                                   s->stats[i].total);
    }
    if (n < sizeof(line)) {
        if (s->cmds_ok == s->cmds_total && s->cmds_total > 0)
            snprintf(line + n, sizeof(line) - n, " commands=%u", s->cmds_ok);
        else
            snprintf(line + n, sizeof(line) - n, " commands=%u/%u", s->cmds_ok,
                     s->cmds_total);
    }
    log_info("disconnect from %s%s", s->namaddr, line);
}

/* cleanup connections: one per session at a time, kept for the next
 * (a process serves one session, or several as coroutines) */
static struct cleanup_client *cc_spare[SMTPD_SESSIONS_PER_PROCESS];
static int ncc_spare;

static struct cleanup_client *
cc_get(const struct smtpd_conf *cf)
{
    if (ncc_spare > 0)
        return cc_spare[--ncc_spare];
    return cleanup_client_new(cf->cleanup_service, (int) cf->timeout);
}

static void
cc_put(struct cleanup_client *cc)
{
    if (ncc_spare < SMTPD_SESSIONS_PER_PROCESS)
        cc_spare[ncc_spare++] = cc;
    else
        cleanup_client_free(cc);
}

/* session_greet - the greeting, or the reply that ends the session
 * before it (too many connections, the front's timeout); a client
 * refused at connect (smtpd_delay_reject = no) gets its reply instead
 * and 503 after. 0 go on, -1 the session is over */
static int
session_greet(struct smtpd_session *s, const struct server_handoff *h)
{
    struct smtpd_conf *cf = s->cf;
    char reply[1200];

    /* handed off by a front: it already refused clients over the limits */
    if (h == NULL && too_many(s)) {
        smtpd_io_printf(s->io,
                        "421 4.7.0 %s Error: too many connections from %s",
                        cf->myhostname, s->addr);
        (void) smtpd_io_flush(s->io);
        return -1;
    }
    if (h && (h->flags & SERVER_HANDOFF_TIMEOUT)) {
        /* greeted by the front, then silent for smtpd_timeout */
        smtpd_io_printf(s->io, "421 4.4.2 %s Error: timeout exceeded",
                        cf->myhostname);
        (void) smtpd_io_flush(s->io);
        log_info("timeout after %s from %s", s->last_cmd, s->namaddr);
        return -1;
    }
    if (h && (h->flags & SERVER_HANDOFF_GREETED))
        return smtpd_milter_connect(s, 1) < 0 ? -1 : 0;
    if (cf->wrapper && smtpd_tls_wrapper(s) < 0)
        return -1;
    if (!cf->delay_reject &&
        smtpd_check_stage(s, SMTPD_ST_CLIENT, NULL, reply, sizeof(reply)) < 0) {
        /* the reply instead of the greeting; then every command but
         * QUIT gets 503, as in Postfix */
        smtpd_log_reject(s, "CONNECT", reply, NULL);
        smtpd_io_printf(s->io, "%s", reply);
        s->access_denied = 1;
        s->errors++;
    } else {
        int rc = smtpd_milter_connect(s, 0); /* smtpd_milters: CONNECT */

        if (rc < 0)
            return -1;
        if (rc == 0)
            smtpd_io_printf(s->io, "220 %s", cf->banner);
    }
    return 0;
}

/* session_read - the next command line into line (spill: the rest of
 * a line over line_length_limit); *np its length. 0, or -1 when the
 * session ends (EOF, timeout, stop request, a refused bare LF): the
 * reason is logged and answered */
static int
session_read(struct smtpd_session *s, struct buf *line, struct buf *spill,
             size_t *np)
{
    struct smtpd_conf *cf = s->cf;
    int lf, rc;
    size_t n;

    smtpd_io_interruptible(s->io, 1);
    rc = smtpd_io_read_line(s->io, line, (size_t) cf->line_limit, &lf);
    smtpd_io_interruptible(s->io, 0);
    if (rc <= 0) {
        if (smtpd_io_stopped(s->io)) {
            smtpd_io_printf(s->io, "421 4.3.2 %s Service shutting down",
                            cf->myhostname);
            (void) smtpd_io_flush(s->io);
            log_info("stop after %s from %s", s->last_cmd, s->namaddr);
        } else if (smtpd_io_timed_out(s->io)) {
            smtpd_io_printf(s->io, "421 4.4.2 %s Error: timeout exceeded",
                            cf->myhostname);
            (void) smtpd_io_flush(s->io);
            log_info("timeout after %s from %s", s->last_cmd, s->namaddr);
        } else if (strcmp(s->last_cmd, "END-OF-MESSAGE") != 0) {
            /* a client that hangs up after the end of data is not
             * worth a line (Postfix skips it too) */
            log_info("lost connection after %s from %s", s->last_cmd,
                     s->namaddr);
        }
        return -1;
    }
    if (!lf) {
        /* too long: the rest of the line is dropped and the first
         * line_length_limit bytes are the command, as in Postfix */
        int eol = 0;

        log_warn("%s: request longer than %ld: %.30s...", s->namaddr,
                 cf->line_limit, line->data);
        do
            rc =
                smtpd_io_read_line(s->io, spill, (size_t) cf->line_limit, &eol);
        while (rc > 0 && !eol);
    }
    n = line->len;
    if (lf && cf->bare_nl == 2 && (n < 2 || line->data[n - 2] != '\r') &&
        maps_match_addr(cf->bare_nl_excl, s->addr) != 1) {
        smtpd_io_printf(s->io, "%d 5.5.2 %s Error: bare <LF> received",
                        cf->bare_nl_code, cf->myhostname);
        (void) smtpd_io_flush(s->io);
        log_info("disallowed bare <LF> received from %s after %s", s->namaddr,
                 s->last_cmd);
        return -1;
    }
    *np = n;
    return 0;
}

/* session_command - one command, by its verb; -1 when the session
 * ends (a DATA, BDAT or STARTTLS that lost the client, a non-SMTP
 * command), else 0 */
static int
session_command(struct smtpd_session *s, char *cmd, char *arg, const char *raw)
{
    struct smtpd_conf *cf = s->cf;

    if (*cmd == 0) {
        smtpd_io_printf(s->io, "500 5.5.2 Error: bad syntax");
        s->errors++;
    } else if (s->access_denied && strcasecmp(cmd, "QUIT") != 0) {
        /* smtpd_delay_reject = no and the client was refused at
         * connect: every command but QUIT, as Postfix */
        smtpd_io_printf(s->io, "503 5.7.0 Error: access denied for %s",
                        s->namaddr);
        s->errors++;
        smtpd_stat_count(s, stat_name(cmd), 0);
    } else if (tls_required(s, cmd)) {
        /* smtpd_tls_security_level = encrypt: only what may come
         * before STARTTLS, as Postfix */
        smtpd_io_printf(s->io, "530 5.7.0 Must issue a STARTTLS command first");
    } else if (strcasecmp(cmd, "EHLO") == 0 || strcasecmp(cmd, "HELO") == 0) {
        s->last_cmd = cmd[0] == 'E' || cmd[0] == 'e' ? "EHLO" : "HELO";
        smtpd_cmd_helo(s, arg, s->last_cmd[0] == 'E');
    } else if (strcasecmp(cmd, "MAIL") == 0) {
        s->last_cmd = "MAIL";
        smtpd_cmd_mail(s, arg);
    } else if (strcasecmp(cmd, "RCPT") == 0) {
        s->last_cmd = "RCPT";
        smtpd_cmd_rcpt(s, arg);
    } else if (strcasecmp(cmd, "DATA") == 0) {
        s->last_cmd = "DATA";
        if (*arg) {
            smtpd_io_printf(s->io, "501 5.5.4 Syntax: DATA");
            smtpd_stat_count(s, "data", 0);
        } else if (smtpd_cmd_data(s) < 0)
            return -1;
    } else if (strcasecmp(cmd, "BDAT") == 0) {
        s->last_cmd = "BDAT";
        if (smtpd_cmd_bdat(s, arg, raw) < 0)
            return -1;
    } else if (strcasecmp(cmd, "RSET") == 0) {
        s->last_cmd = "RSET";
        if (*arg) {
            smtpd_io_printf(s->io, "501 5.5.4 Syntax: RSET");
            smtpd_stat_count(s, "rset", 0);
        } else {
            smtpd_reset_transaction(s);
            smtpd_io_printf(s->io, "250 2.0.0 Ok");
            smtpd_stat_count(s, "rset", 1);
        }
    } else if (strcasecmp(cmd, "NOOP") == 0) {
        s->last_cmd = "NOOP";
        smtpd_io_printf(s->io, "250 2.0.0 Ok");
        smtpd_stat_count(s, "noop", 1);
    } else if (strcasecmp(cmd, "QUIT") == 0) {
        s->last_cmd = "QUIT";
        smtpd_io_printf(s->io, "221 2.0.0 Bye");
        smtpd_stat_count(s, "quit", 1);
        s->quit = 1;
    } else if (strcasecmp(cmd, "VRFY") == 0) {
        s->last_cmd = "VRFY";
        smtpd_cmd_vrfy(s, arg);
    } else if (strcasecmp(cmd, "ETRN") == 0) {
        s->last_cmd = "ETRN";
        smtpd_cmd_etrn(s, arg);
    } else if (strcasecmp(cmd, "STARTTLS") == 0) {
        s->last_cmd = "STARTTLS";
        if (*arg) {
            smtpd_io_printf(s->io, "501 5.5.4 Syntax: STARTTLS");
            smtpd_stat_count(s, "starttls", 0);
        } else if (smtpd_cmd_starttls(s) < 0)
            return -1;
    } else if (strcasecmp(cmd, "AUTH") == 0) {
        s->last_cmd = "AUTH";
        if (smtpd_cmd_auth(s, arg) < 0)
            return -1;
    } else {
        s->last_cmd = "UNKNOWN";
        smtpd_stat_count(s, "unknown", 0);
        if (is_header(cmd) || maps_match_domain(cf->forbidden, cmd) == 1) {
            /* HTTP requests and mail headers: not an SMTP client */
            log_warn("non-SMTP command from %s: %.100s", s->namaddr, raw);
            smtpd_io_printf(
                s->io, "221 2.7.0 Error: I can break rules, too. Goodbye.");
            return -1;
        }
        smtpd_io_printf(s->io, "500 5.5.2 Error: command not recognized");
    }
    return 0;
}

/* session - one client from connect to disconnect: the greeting, then
 * read, split and answer commands until QUIT or an end */
static void
session(struct server *srv, int fd, void *ctx)
{
    struct smtpd_conf *cf = ctx;
    struct smtpd_session *s = mem_calloc(1, sizeof(*s));
    const struct server_handoff *h = srv->handoff; /* from the front */
    struct buf line, spill;
    char raw[101];

    s->cf = cf;
    s->cc = cc_get(cf);
    queue_env_init(&s->env);
    peer(s, fd);
    s->io = smtpd_io_new(fd, (int) cf->timeout, h ? (int) h->timeout : 0,
                         h && (h->flags & SERVER_HANDOFF_NONBLOCK));
    if (session_out >= 0)
        smtpd_io_set_output(s->io, session_out); /* smtpd_session_run */
    else if (fd == 0)
        smtpd_io_set_output(s->io, 1); /* sendmail -bs */
    if (h && h->len)
        smtpd_io_preload(s->io, h->data, h->len); /* read by the front */
    if (*cf->proxy_protocol && smtpd_haproxy(s) < 0)
        s->hangup = 1; /* logged with the proxy's address, as Postfix */
    s->in_mynetworks = maps_match_addr(cf->mynetworks, s->addr);
    s->last_cmd = "CONNECT";
    buf_init(&line, 0);
    buf_init(&spill, 0);
    log_info("connect from %s", s->namaddr);
    if (s->hangup) {
        smtpd_io_printf(s->io, "421 4.3.0 %s Server local error",
                        cf->myhostname);
        (void) smtpd_io_flush(s->io);
        goto done;
    }
    if (session_greet(s, h) < 0)
        goto done;
    while (!s->quit) {
        char *cmd, *arg;
        size_t n;

        if (server_terminating() && !smtpd_io_pending(s->io)) {
            smtpd_io_printf(s->io, "421 4.3.2 %s Service shutting down",
                            cf->myhostname);
            (void) smtpd_io_flush(s->io);
            break;
        }
        if (session_read(s, &line, &spill, &n) < 0)
            break;
        while (n > 0 && (line.data[n - 1] == '\n' || line.data[n - 1] == '\r'))
            n--;
        line.data[n] = 0;
        /* a NUL ends the command, as in Postfix (MAIL FROM:<a\0b> is
         * then an unterminated address); a TAB separates words as a
         * space does (Postfix's smtpd_token) */
        n = strlen(line.data);
        for (char *t = line.data; *t; t++)
            if (*t == '\t')
                *t = ' ';
        snprintf(raw, sizeof(raw), "%s", line.data);
        cmd = line.data;
        while (*cmd == ' ')
            cmd++;
        arg = cmd + strcspn(cmd, " ");
        if (*arg)
            *arg++ = 0;
        while (*arg == ' ')
            arg++;
        if (*cmd && !s->ill_pipelining)
            check_pipelining(s, cmd);
        /* the tarpit: after smtpd_soft_error_limit errors each reply
         * waits smtpd_error_sleep_time, as Postfix's */
        if (s->errors >= cf->soft_error_limit && cf->error_sleep_ms > 0)
            smtpd_io_sleep(s->io, (int) cf->error_sleep_ms);
        if (is_junk(cmd) && s->junk_cmds++ > cf->junk_cmd_limit)
            s->errors++;
        if (session_command(s, cmd, arg, raw) < 0)
            break;
        if (s->errors >= cf->hard_error_limit) {
            smtpd_io_printf(s->io, "421 4.7.0 %s Error: too many errors",
                            cf->myhostname);
            (void) smtpd_io_flush(s->io);
            log_info("too many errors after %s from %s", s->last_cmd,
                     s->namaddr);
            break;
        }
    }
    (void) smtpd_io_flush(s->io);
done:
    smtpd_reset_transaction(s);
    smtpd_milter_disconnect(s);
    smtpd_sasl_session_end(s);
    if (srv->shm)
        srv->shm[srv->slot].client_addr[0] = 0;
    disconnect_log(s);
    cc_put(s->cc);
    buf_fini(&line);
    buf_fini(&spill);
    smtpd_io_free(s->io);
    mem_free(s->helo);
    queue_env_fini(&s->env);
    mem_free(s);
}

void
smtpd_session_run(struct server *srv, int in, int out)
{
    static struct smtpd_conf *cf;

    if (cf == NULL)
        cf = smtpd_conf_load(srv);
    session_out = out;
    session(srv, in, cf);
    session_out = -1;
}

/* smtpd_pre_drop - the configuration: TLS keys are read before
 * privileges go, tables before the chroot jail hides them */
static void
smtpd_pre_drop(struct server *srv, void *ctx)
{
    *(struct smtpd_conf **) ctx = smtpd_conf_load(srv);
}

static void
smtpd_post_drop(struct server *srv, void *ctx)
{
    (void) ctx;
    if (srv->handoff_role == SERVER_HANDOFF_WORKER) {
        const char *e = getenv("POSTERN_SMTPD_SESSIONS"); /* tests */
        long n = e ? strtol(e, NULL, 10) : 0;

        srv->sessions = n > 0 && n <= SERVER_SLOT_SESSIONS
                            ? (int) n
                            : SMTPD_SESSIONS_PER_PROCESS;
    }
}

static void
smtpd_conn(struct server *srv, int fd, void *ctx)
{
    session(srv, fd, *(struct smtpd_conf **) ctx);
}

int
smtpd_service(struct server *srv)
{
    static const struct server_service svc = {smtpd_pre_drop, smtpd_post_drop,
                                              smtpd_conn, NULL};
    struct smtpd_conf *cf = NULL;

    if (srv->handoff_role == SERVER_HANDOFF_FRONT)
        return smtpd_front_main(srv);
    return server_main(srv, &svc, &cf);
}

int
smtpd_stdio_main(struct pcf *p)
{
    struct server srv;
    struct smtpd_conf *cf;
    char *qdir;
    struct sigaction sa;
    char service[] = "sendmail", type[] = "unix", name_space[] = "sendmail/bs",
         command[] = "smtpd";

    memset(&srv, 0, sizeof(srv));
    srv.conf = p;
    srv.service = service;
    srv.type = type;
    srv.name_space = name_space;
    srv.command = command;
    srv.status_fd = -1;
    srv.nlisten = 0;
    server_init(&srv);
    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    qdir = server_param(&srv, "queue_directory");
    if (chdir(qdir) < 0) {
        log_output_add(log_output_stderr); /* the maillog's, and stderr */
        log_msg("sendmail", LOG_LEVEL_FATAL, "chdir %s: %s", qdir,
                strerror(errno));
        mem_free(qdir);
        return 75; /* EX_TEMPFAIL */
    }
    mem_free(qdir);
    cf = smtpd_conf_load(&srv);
    smtpd_sasl_disable(cf); /* stand-alone mode, as Postfix */
    session(&srv, 0, cf);
    return 0;
}
