/*
 * smtpd_sasl_dovecot - the client side of Dovecot's authentication
 *	protocol (smtpd_sasl_type = dovecot), as Postfix's
 *	xsasl_dovecot_server speaks it.
 *
 * DESCRIPTION
 *	smtpd_dovecot_connect() opens smtpd_sasl_path ("private/auth"
 *	relative to the queue directory, "unix:/path" or
 *	"inet:host:port"), sends "VERSION 1 1" and "CPID pid", and reads
 *	the server's handshake up to DONE: its VERSION (major 1), the
 *	MECH lines with their security properties (a "private" mechanism
 *	is never offered), SPID (before any MECH: the auth-master socket,
 *	refused). smtpd_dovecot_auth() sends "AUTH id mech service=...
 *	nologin lip= rip= [secured] [resp=]" and smtpd_dovecot_cont()
 *	"CONT id resp"; both read lines until the reply to that request:
 *	CONT (a challenge), OK (user= required) or FAIL (reason= and
 *	user= when given).
 *
 *	One connection per SMTP session that needs it; the descriptor is
 *	non-blocking and waits go through co_wait(), so the other
 *	sessions of the process go on while Dovecot thinks. Every wait
 *	has the 10 s limit of Postfix's AUTH_TIMEOUT.
 *
 *	The line parsers (smtpd_dovecot_handshake_line,
 *	smtpd_dovecot_reply_line) work on one line in place and are the
 *	entry of fuzz/fuzz_dovecot_auth.c.
 *
 * DIAGNOSTICS
 *	Postfix's warnings: "SASL: Connect to Dovecot auth socket '%s'
 *	failed: %m", "SASL: Protocol version mismatch (%d vs. %d)",
 *	"SASL: Connected to wrong auth socket (auth-master instead of
 *	auth-client)", "missing Dovecot server %s username field".
 */
#define _DEFAULT_SOURCE 1 /* strcasecmp */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ipc/ipc.h"
#include "smtpd/smtpd_int.h"

#define AUTH_TIMEOUT_MS 10000
#define AUTH_LINE_MAX   65536

struct smtpd_dovecot {
    int fd;
    char *path;       /* as configured, for messages */
    struct buf in;    /* bytes read, not yet a whole line */
    unsigned last_id; /* the request in progress */
};

/* security properties as Dovecot names them on MECH lines */
static const struct {
    const char *name;
    unsigned bit;
} dc_props[] = {
    {"plaintext", SMTPD_SASL_NOPLAINTEXT},
    {"active", SMTPD_SASL_NOACTIVE},
    {"dictionary", SMTPD_SASL_NODICTIONARY},
    {"anonymous", SMTPD_SASL_NOANONYMOUS},
    {"forward-secrecy", SMTPD_SASL_FWD_SECRECY},
    {"mutual-auth", SMTPD_SASL_MUTUAL_AUTH},
    {"private", SMTPD_SASL_PRIVATE},
};

/* split - Postfix's split_at(): end the string at the first delim;
 * what follows it, or NULL */
static char *
split(char *s, int delim)
{
    char *p = strchr(s, delim);

    if (p == NULL)
        return NULL;
    *p = 0;
    return p + 1;
}

void
smtpd_sasl_mechs_fini(struct smtpd_sasl_mechs *m)
{
    for (int i = 0; i < m->n; i++)
        mem_free(m->name[i]);
    memset(m, 0, sizeof(*m));
}

int
smtpd_dovecot_handshake_line(struct smtpd_sasl_mechs *m, char *line)
{
    char *cmd = line;
    char *rest = split(line, '\t');

    if (strcmp(cmd, "VERSION") == 0) {
        char *minor, *end;
        unsigned long major;

        if (rest == NULL || (minor = split(rest, '\t')) == NULL ||
            (major = strtoul(rest, &end, 10), end == rest || *end) ||
            (strtoul(minor, &end, 10), end == minor)) {
            log_warn("SASL: Protocol version error");
            return -1;
        }
        if (major != 1) {
            log_warn("SASL: Protocol version mismatch (%d vs. %d)",
                     major > 1000000 ? -1 : (int) major, 1);
            return -1;
        }
        return 0;
    }
    if (strcmp(cmd, "MECH") == 0 && rest != NULL) {
        char *name = rest, *next;
        unsigned props = 0;

        m->have_mech = 1;
        for (rest = split(rest, '\t'); rest; rest = next) {
            next = split(rest, '\t');
            for (size_t k = 0; k < sizeof(dc_props) / sizeof(dc_props[0]); k++)
                if (strcasecmp(rest, dc_props[k].name) == 0)
                    props |= dc_props[k].bit;
        }
        if ((props & SMTPD_SASL_PRIVATE) || *name == 0 ||
            m->n >= SMTPD_SASL_MAX_MECHS)
            return 0;
        m->name[m->n] = mem_strdup(name);
        m->props[m->n++] = props;
        return 0;
    }
    if (strcmp(cmd, "SPID") == 0 && !m->have_mech) {
        log_warn("SASL: Connected to wrong auth socket (auth-master "
                 "instead of auth-client)");
        return -1;
    }
    if (strcmp(cmd, "DONE") == 0)
        return 1;
    return 0; /* SPID, CUID, COOKIE and what a later version adds */
}

/* reply_args - user= and, on failure, reason= of an OK or FAIL line */
static void
reply_args(char *line, struct buf *reply, char **user, int success)
{
    char *next;

    mem_free(*user);
    *user = NULL;
    buf_truncate(reply, 0);
    for (; line != NULL; line = next) {
        next = split(line, '\t');
        if (strncmp(line, "user=", 5) == 0) {
            mem_free(*user);
            *user = smtpd_printable(mem_strdup(line + 5));
        } else if (strncmp(line, "reason=", 7) == 0 && !success) {
            buf_truncate(reply, 0);
            (void) buf_puts(reply, line + 7);
            smtpd_printable(reply->data);
        }
    }
}

int
smtpd_dovecot_reply_line(unsigned id, char *line, struct buf *reply,
                         char **user)
{
    char *cmd = line, *rest = split(line, '\t'), *idstr;
    char *end;
    int kind;

    if (strcmp(cmd, "OK") == 0)
        kind = SMTPD_SASL_DONE;
    else if (strcmp(cmd, "CONT") == 0)
        kind = SMTPD_SASL_MORE;
    else if (strcmp(cmd, "FAIL") == 0)
        kind = SMTPD_SASL_FAIL;
    else
        return 0; /* not a reply: ignored */
    if (rest == NULL) {
        log_warn("SASL: Protocol error");
        return 0;
    }
    idstr = rest;
    rest = split(rest, '\t');
    if (strtoul(idstr, &end, 10) != id || end == idstr)
        return 0; /* a reply to another request */
    if (kind == SMTPD_SASL_MORE) {
        if (rest == NULL) {
            log_warn("missing Dovecot server %s reply field", cmd);
            buf_truncate(reply, 0);
            (void) buf_puts(reply, "Authentication backend error");
            return SMTPD_SASL_FAIL;
        }
        buf_truncate(reply, 0);
        (void) buf_puts(reply, rest);
        smtpd_printable(reply->data);
        return SMTPD_SASL_MORE;
    }
    reply_args(rest, reply, user, kind == SMTPD_SASL_DONE);
    if (kind == SMTPD_SASL_DONE && *user == NULL) {
        log_warn("missing Dovecot server %s username field", cmd);
        buf_truncate(reply, 0);
        (void) buf_puts(reply, "Authentication backend error");
        return SMTPD_SASL_FAIL;
    }
    return kind;
}

/* ---- the connection ---- */

static int
connect_inet(const char *hostport)
{
    char host[256];
    const char *colon = strrchr(hostport, ':');
    struct addrinfo hints, *res = NULL;
    int fd = -1, saved = ECONNREFUSED;

    if (colon == NULL || (size_t) (colon - hostport) >= sizeof(host)) {
        errno = EINVAL;
        return -1;
    }
    snprintf(host, sizeof(host), "%.*s", (int) (colon - hostport), hostport);
    if (host[0] == '[' && host[strlen(host) - 1] == ']') {
        memmove(host, host + 1, strlen(host));
        host[strlen(host) - 1] = 0;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, colon + 1, &hints, &res) != 0) {
        errno = EADDRNOTAVAIL;
        return -1;
    }
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
            saved = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0)
        errno = saved;
    return fd;
}

static int
connect_unix(const char *path, const char *qdir)
{
    struct sockaddr_un sun;
    int fd, n;

    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    if (path[0] == '/' || qdir == NULL || *qdir == 0)
        n = snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
    else
        n = snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s", qdir, path);
    if (n < 0 || (size_t) n >= sizeof(sun.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
        return -1;
    if (connect(fd, (struct sockaddr *) &sun, sizeof(sun)) < 0) {
        int e = errno;

        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* send_all - the whole text, waiting as needed; 0 or -1 */
static int
send_all(struct smtpd_dovecot *d, const char *text, size_t n)
{
    size_t off = 0;

    while (off < n) {
        ssize_t w = write(d->fd, text + off, n - off);

        if (w > 0) {
            off += (size_t) w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
            co_wait(d->fd, CO_OUT, AUTH_TIMEOUT_MS) == 0)
            continue;
        return -1;
    }
    return 0;
}

/* read_line - the next line without its newline into line (replaced);
 * 0, or -1 on EOF, error, timeout or a line over AUTH_LINE_MAX */
static int
read_line(struct smtpd_dovecot *d, struct buf *line)
{
    for (;;) {
        char *nl = d->in.len ? memchr(d->in.data, '\n', d->in.len) : NULL;
        char b[4096];
        ssize_t r;

        if (nl != NULL) {
            size_t n = (size_t) (nl - d->in.data);

            buf_truncate(line, 0);
            (void) buf_append(line, d->in.data, n);
            memmove(d->in.data, nl + 1, d->in.len - n - 1);
            buf_truncate(&d->in, d->in.len - n - 1);
            return 0;
        }
        if (d->in.len > AUTH_LINE_MAX)
            return -1;
        r = read(d->fd, b, sizeof(b));
        if (r > 0) {
            if (buf_append(&d->in, b, (size_t) r) < 0)
                return -1;
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
            co_wait(d->fd, CO_IN, AUTH_TIMEOUT_MS) == 0)
            continue;
        return -1;
    }
}

struct smtpd_dovecot *
smtpd_dovecot_connect(const char *path, const char *qdir,
                      struct smtpd_sasl_mechs *m)
{
    struct smtpd_dovecot *d;
    struct buf line;
    char hello[64], nul[1] = "";
    int fd, st = 0;

    if (strncmp(path, "inet:", 5) == 0)
        fd = connect_inet(path + 5);
    else
        fd = connect_unix(strncmp(path, "unix:", 5) == 0 ? path + 5 : path,
                          qdir);
    if (fd < 0) {
        log_warn("SASL: Connect to Dovecot auth socket '%s' failed: %s", path,
                 strerror(errno));
        return NULL;
    }
    (void) ipc_nonblock(fd, 1);
    d = mem_calloc(1, sizeof(*d));
    d->fd = fd;
    d->path = mem_strdup(path);
    buf_init(&d->in, AUTH_LINE_MAX + 4096);
    snprintf(hello, sizeof(hello), "VERSION\t1\t1\nCPID\t%u\n",
             (unsigned) getpid());
    if (send_all(d, hello, strlen(hello)) < 0) {
        log_warn("SASL: Couldn't send handshake: %s", strerror(errno));
        smtpd_dovecot_free(d);
        return NULL;
    }
    smtpd_sasl_mechs_fini(m);
    buf_init(&line, 0);
    while (st == 0 && read_line(d, &line) == 0)
        st = smtpd_dovecot_handshake_line(m, line.data ? line.data : nul);
    buf_fini(&line);
    if (st != 1) {
        smtpd_sasl_mechs_fini(m);
        smtpd_dovecot_free(d);
        return NULL;
    }
    return d;
}

void
smtpd_dovecot_free(struct smtpd_dovecot *d)
{
    if (d == NULL)
        return;
    co_forget(d->fd);
    close(d->fd);
    buf_fini(&d->in);
    mem_free(d->path);
    mem_free(d);
}

/* answer - read lines until the reply to the request in progress */
static int
answer(struct smtpd_dovecot *d, struct buf *reply, char **user)
{
    struct buf line;
    char nul[1] = "";
    int st = 0;

    buf_init(&line, 0);
    while (st == 0 && read_line(d, &line) == 0)
        st = smtpd_dovecot_reply_line(d->last_id, line.data ? line.data : nul,
                                      reply, user);
    buf_fini(&line);
    if (st == 0) {
        buf_truncate(reply, 0);
        (void) buf_puts(reply, "Connection lost to authentication server");
        return SMTPD_SASL_TEMP;
    }
    return st;
}

int
smtpd_dovecot_auth(struct smtpd_dovecot *d, unsigned id,
                   const struct smtpd_dovecot_req *rq, struct buf *reply,
                   char **user)
{
    struct buf req;
    int rc;

    buf_init(&req, 0);
    d->last_id = id;
    (void) buf_printf(&req, "AUTH\t%u\t%s\tservice=%s\tnologin\tlip=%s\trip=%s",
                      id, rq->mech, rq->service, rq->lip, rq->rip);
    if (rq->tls)
        (void) buf_puts(&req, "\tsecured");
    if (rq->resp)
        (void) buf_printf(&req, "\tresp=%s", rq->resp);
    (void) buf_putc(&req, '\n');
    rc = send_all(d, req.data, req.len);
    buf_fini(&req);
    if (rc < 0) {
        buf_truncate(reply, 0);
        (void) buf_puts(reply, "Can't connect to authentication server");
        return SMTPD_SASL_TEMP;
    }
    return answer(d, reply, user);
}

int
smtpd_dovecot_cont(struct smtpd_dovecot *d, const char *resp, struct buf *reply,
                   char **user)
{
    struct buf req;
    int rc;

    buf_init(&req, 0);
    (void) buf_printf(&req, "CONT\t%u\t%s\n", d->last_id, resp);
    rc = send_all(d, req.data, req.len);
    buf_fini(&req);
    if (rc < 0) {
        buf_truncate(reply, 0);
        (void) buf_puts(reply, "Connection lost to authentication server");
        return SMTPD_SASL_TEMP;
    }
    return answer(d, reply, user);
}
