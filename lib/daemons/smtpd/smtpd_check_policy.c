/*
 * smtpd_check_policy - check_policy_service: Postfix's policy
 *	delegation protocol (SMTPD_POLICY_README).
 *
 * DESCRIPTION
 *	smtpd_policy_query() sends one request ("name=value" lines and an
 *	empty line) to "inet:host:port" or "unix:path" (relative to the
 *	queue directory, as Postfix's daemons see private/...) and reads
 *	the reply's action=. It runs in a thread (co_offload) with the
 *	service's timeout; the engine turns the action into a decision as
 *	for an access table, or uses the default action when the server
 *	cannot be talked to.
 *
 * BUGS
 *	One connection per request: Postfix keeps them open for
 *	smtpd_policy_service_max_idle; the server cannot tell.
 */
#define _DEFAULT_SOURCE 1
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "maillog/maillog.h"
#include "schema/schema.h"
#include "server/server.h"
#include "smtpd/smtpd_check_int.h"
#include "smtpd/smtpd_int.h"

struct job {
    const char *server, *qdir, *request;
    int timeout;
    struct buf *action;
    char err[300];
    int rc;
};

static int
connect_inet(const char *hostport, char *err, size_t len)
{
    char host[256];
    const char *colon = strrchr(hostport, ':');
    struct addrinfo hints, *res = NULL, *ai;
    int fd = -1, rc;

    if (colon == NULL || (size_t) (colon - hostport) >= sizeof(host)) {
        snprintf(err, len, "bad address");
        return -1;
    }
    snprintf(host, sizeof(host), "%.*s", (int) (colon - hostport), hostport);
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    if ((rc = getaddrinfo(host, colon + 1, &hints, &res)) != 0) {
        snprintf(err, len, "%s", gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
            snprintf(err, len, "%s", strerror(errno));
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    return fd;
}

static int
connect_unix(const char *path, const char *qdir, char *err, size_t len)
{
    struct sockaddr_un sun;
    int fd;

    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    if (path[0] == '/')
        snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
    else
        snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s", qdir, path);
    if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
        connect(fd, (struct sockaddr *) &sun, sizeof(sun)) < 0) {
        snprintf(err, len, "%s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* talk - send the request, read until the empty line */
static int
talk(int fd, struct job *j)
{
    struct buf in;
    size_t off = 0, n = strlen(j->request);
    int rc = -1;

    while (off < n) {
        ssize_t w = write(fd, j->request + off, n - off);

        if (w <= 0) {
            snprintf(j->err, sizeof(j->err), "%s", strerror(errno));
            return -1;
        }
        off += (size_t) w;
    }
    buf_init(&in, 0);
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        char b[1024];
        ssize_t r;
        const char *end;

        if (poll(&p, 1, j->timeout * 1000) <= 0) {
            snprintf(j->err, sizeof(j->err), "timeout");
            break;
        }
        if ((r = read(fd, b, sizeof(b))) <= 0) {
            snprintf(j->err, sizeof(j->err), "%s",
                     r == 0 ? "lost connection" : strerror(errno));
            break;
        }
        (void) buf_append(&in, b, (size_t) r);
        if ((end = strstr(buf_str(&in), "\n\n")) != NULL ||
            strcmp(buf_str(&in), "\n") == 0) {
            const char *a = strncmp(buf_str(&in), "action=", 7) == 0
                                ? buf_str(&in)
                                : strstr(buf_str(&in), "\naction=");

            if (a == NULL) {
                snprintf(j->err, sizeof(j->err), "no action in reply");
                break;
            }
            a += a[0] == '\n' ? 8 : 7;
            (void) buf_append(j->action, a, strcspn(a, "\n"));
            rc = 0;
            break;
        }
    }
    buf_fini(&in);
    return rc;
}

static void
job(void *arg)
{
    struct job *j = arg;
    int fd;

    if (strncmp(j->server, "inet:", 5) == 0)
        fd = connect_inet(j->server + 5, j->err, sizeof(j->err));
    else if (strncmp(j->server, "unix:", 5) == 0)
        fd = connect_unix(j->server + 5, j->qdir, j->err, sizeof(j->err));
    else {
        snprintf(j->err, sizeof(j->err), "unsupported transport");
        fd = -1;
    }
    if (fd < 0) {
        j->rc = -1;
        return;
    }
    j->rc = talk(fd, j);
    close(fd);
}

int
smtpd_policy_query(const char *server, const char *qdir, int timeout,
                   const char *request, struct buf *action, char *err,
                   size_t errlen)
{
    struct job j;

    memset(&j, 0, sizeof(j));
    j.server = server;
    j.qdir = qdir;
    j.request = request;
    j.timeout = timeout > 0 ? timeout : 100;
    j.action = action;
    j.rc = -1;
    (void) co_offload(job, &j);
    snprintf(err, errlen, "%s", j.err);
    return j.rc;
}

/* ---- policy services ---- */

/* policy_request - the attributes Postfix 3.7 sends */
static void
policy_request(struct ctx *c, struct buf *b)
{
    struct smtpd_session *s = c->s;
    const char *state = strcmp(c->where, "EHLO") == 0 ? "EHLO" : c->where;
    const char *tls = smtpd_io_tls_version(s->io);

    /* the names and their order are Postfix 3.7's */
    (void) buf_printf(
        b,
        "request=smtpd_access_policy\nprotocol_state=%s\n"
        "protocol_name=%s\nclient_address=%s\n"
        "client_name=%s\nclient_port=%s\n"
        "reverse_client_name=%s\nserver_address=%s\n"
        "server_port=%s\nhelo_name=%s\nsender=%s\n"
        "recipient=%s\nrecipient_count=%u\nqueue_id=%s\n"
        "instance=%lx.%lx.%u\nsize=%ld\n",
        state, smtpd_proto(s), s->addr, s->name, s->port, s->reverse_name,
        s->server_addr, s->server_port, s->helo ? s->helo : "",
        c->sender ? c->sender : "", c->shown ? c->shown : "",
        /* Postfix counts only at DATA and end of data */
        strcmp(c->where, "DATA") == 0 || strcmp(c->where, "END-OF-MESSAGE") == 0
            ? s->rcpt_count
            : 0u,
        s->id, (unsigned long) getpid(), (unsigned long) (uintptr_t) s,
        s->rcpt_count == 0 ? 0u : 1u, s->size_param);
    (void) buf_printf(b,
                      "etrn_domain=\nstress=\nsasl_method=%s\n"
                      "sasl_username=%s\nsasl_sender=%s\nccert_subject=\n"
                      "ccert_issuer=\nccert_fingerprint=\n"
                      "ccert_pubkey_fingerprint=\nencryption_protocol=%s\n"
                      "encryption_cipher=\nencryption_keysize=0\n"
                      "policy_context=%s\n\n",
                      s->sasl_method ? s->sasl_method : "",
                      s->sasl_username ? s->sasl_username : "",
                      s->sasl_sender ? s->sasl_sender : "",
                      s->tls && tls ? tls : "", s->cf->policy_context);
}

/* policy - check_policy_service: the action as an access table result;
 * arg is "server" or, from "{ server, name=value ... }", the server and
 * its own timeout, default_action, try_limit and policy_context */
int
smtpd_chk_policy(struct ctx *c, const char *arg, const char *name,
                 const char *cls, const char *def_acl)
{
    struct smtpd_conf *cf = c->s->cf;
    struct buf req, action;
    char err[300];
    int st, rc = -1;
    struct strv opt;
    const char *server, *def = cf->policy_default;
    int timeout = cf->policy_timeout, tries = cf->policy_tries;

    strv_init(&opt);
    server_split(arg, &opt);
    server = opt.n ? opt.v[0] : arg;
    for (size_t k = 1; k < opt.n; k++) {
        const char *eq = strchr(opt.v[k], '=');
        long sec;

        if (eq == NULL)
            continue;
        if (strncmp(opt.v[k], "timeout=", 8) == 0 &&
            schema_parse_time(eq + 1, 's', &sec) == 0)
            timeout = (int) sec;
        else if (strncmp(opt.v[k], "default_action=", 15) == 0)
            def = eq + 1;
        else if (strncmp(opt.v[k], "try_limit=", 10) == 0)
            tries = (int) strtol(eq + 1, NULL, 10);
    }
    buf_init(&req, 0);
    buf_init(&action, 0);
    policy_request(c, &req);
    for (int try = 0; rc < 0 && try < (tries > 0 ? tries : 1); try++) {
        if (try > 0 && cf->policy_delay > 0) {
            unsigned secs = (unsigned) cf->policy_delay;

            (void) co_offload(smtpd_chk_sleep_fn, &secs);
        }
        buf_truncate(&action, 0);
        rc = smtpd_policy_query(server, cf->queue_dir, timeout, buf_str(&req),
                                &action, err, sizeof(err));
        if (rc < 0) /* Postfix names the server without its transport */
            log_warn("problem talking to server %s: %s",
                     strchr(server, ':') ? strchr(server, ':') + 1 : server,
                     err);
    }
    st = smtpd_chk_table_result(c, server, rc == 0 ? buf_str(&action) : def,
                                name, cls, def_acl);
    strv_fini(&opt);
    buf_fini(&req);
    buf_fini(&action);
    return st;
}
