/*
 * pipe - the pipe delivery agent: one external command per request, as
 * Postfix's pipe(8).
 *
 * DESCRIPTION
 *	See pipe.h. The master.cf attributes are read once, before the
 *	privilege drop (the entry is "unpriv = n", as in Postfix: the
 *	agent keeps root to become user=). Per request: the D and O flags
 *	need a single recipient, size= is checked, D checks for a
 *	Delivered-To: loop, then the arguments are expanded
 *	(pipe_argv.c) and the command runs: its own process group, exactly
 *	user='s uid and gid (no other groups), a clean environment
 *	(export_environment), the working directory directory= (else the
 *	queue directory), the message on standard input with the flags'
 *	headers, line ends eol= and quoting, and standard output and
 *	error captured (the first 1 KB). <transport>_time_limit
 *	(command_time_limit) bounds the whole run; at the limit the
 *	process group is killed. Every recipient of the request gets the
 *	command's verdict, logged as Postfix logs it (relay=<service>,
 *	"delivered via <service> service (output)").
 *
 *	The command is executed directly with execvp(argv[0]); no shell
 *	ever sees the expanded arguments, so an address is only ever one
 *	argument.
 */
#define _GNU_SOURCE 1 /* close_range */
#include "pipe/pipe.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "deliver/deliver.h"
#include "pipe/pipe_int.h"
#include "server/server.h"

#define OUTPUT_MAX 1024 /* command output kept for the reason */

struct pipe_agent {
    struct server *srv;
    struct pipe_attr attr;
    long time_limit; /* <service>_time_limit, seconds */
    char *delim;     /* recipient_delimiter */
    struct strv env; /* export_environment, "NAME=value" */
    struct deliver_content msg;
    int root;
};

static long long
monotonic_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* set_all - every recipient's result */
static void
set_all(struct deliver_req *req, int status, const char *dsn, const char *text)
{
    for (size_t i = 0; i < req->nrcpt; i++)
        deliver_result(&req->rcpt[i], status, dsn, text);
}

/* header_loop - the message's header has "Delivered-To: addr" (any case) */
static int
header_loop(const char *p, size_t n, const char *addr)
{
    const char *end = p + n;
    size_t alen = strlen(addr);

    while (p < end && *p != '\n') {
        const char *nl = memchr(p, '\n', (size_t) (end - p));
        size_t len = nl ? (size_t) (nl - p) : (size_t) (end - p);

        if (len > 13 && strncasecmp(p, "Delivered-To:", 13) == 0) {
            const char *v = p + 13;
            size_t vl = len - 13;

            while (vl && (*v == ' ' || *v == '\t'))
                v++, vl--;
            while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\r'))
                vl--;
            if (vl == alen && strncasecmp(v, addr, alen) == 0)
                return 1;
        }
        p = nl ? nl + 1 : end;
    }
    return 0;
}

/* input - what the command reads: the flags' header lines, then the
 * message with eol line ends and the quoting flags */
static void
input(const struct pipe_agent *pa, const struct deliver_req *req,
      const char *sender, struct buf *out)
{
    const struct pipe_attr *a = &pa->attr;
    const char *p = pa->msg.content.data, *end = p + pa->msg.content.len;
    const struct deliver_rcpt *rc = &req->rcpt[0];

    if (a->flags & PIPE_F_FROM) {
        time_t now = time(NULL);
        char date[32];

        (void) ctime_r(&now, date);
        (void) buf_printf(out, "From %s %.24s%s", *sender ? sender : "<>", date,
                          a->eol);
    }
    if (a->flags & PIPE_F_RETURN)
        (void) buf_printf(out, "Return-Path: <%s>%s", sender, a->eol);
    if (a->flags & PIPE_F_ORIG_RCPT)
        (void) buf_printf(out, "X-Original-To: %s%s",
                          *rc->orig ? rc->orig : rc->addr, a->eol);
    if (a->flags & PIPE_F_DELIVERED)
        (void) buf_printf(out, "Delivered-To: %s%s", rc->addr, a->eol);
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t) (end - p));
        size_t n = nl ? (size_t) (nl - p) : (size_t) (end - p);

        if ((a->flags & PIPE_F_GT) && n >= 5 && strncmp(p, "From ", 5) == 0)
            (void) buf_putc(out, '>');
        if ((a->flags & PIPE_F_DOT) && n && *p == '.')
            (void) buf_putc(out, '.');
        (void) buf_append(out, p, n);
        (void) buf_puts(out, a->eol);
        p = nl ? nl + 1 : end;
    }
    if (a->flags & PIPE_F_BLANK)
        (void) buf_puts(out, a->eol);
}

/* printable - tabs and newlines become spaces, other control characters
 * '_' (Postfix's translit and printable) */
static void
printable(char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char) *s;

        if (c == '\t' || c == '\n')
            *s = ' ';
        else if (c < 32 || c == 127)
            *s = '_';
    }
}

/* exchange - write in to the command and read its output until both are
 * done or the deadline; 0, or 1 when time ran out */
static int
exchange(int *wfdp, int *rfdp, const struct buf *in, char *out, size_t *outlen,
         long long deadline)
{
    size_t off = 0;
    int rc = 0;
    int wfd = *wfdp, rfd = *rfdp;

    (void) fcntl(wfd, F_SETFL, fcntl(wfd, F_GETFL) | O_NONBLOCK);
    while (wfd >= 0 || rfd >= 0) {
        struct pollfd pfd[2];
        int np = 0, wi = -1, ri = -1;
        long long left = deadline - monotonic_ms();

        if (left <= 0) {
            rc = 1;
            break;
        }
        if (wfd >= 0) {
            pfd[np] = (struct pollfd){wfd, POLLOUT, 0};
            wi = np++;
        }
        if (rfd >= 0) {
            pfd[np] = (struct pollfd){rfd, POLLIN, 0};
            ri = np++;
        }
        if (poll(pfd, (nfds_t) np, left > 60000 ? 60000 : (int) left) < 0 &&
            errno != EINTR) {
            rc = 1;
            break;
        }
        if (wi >= 0 && pfd[wi].revents) {
            ssize_t w = write(wfd, in->data + off, in->len - off);

            if (w > 0)
                off += (size_t) w;
            /* a command that stops reading is no error (Postfix) */
            if ((w < 0 && errno != EAGAIN && errno != EINTR) ||
                off >= in->len) {
                (void) close(wfd);
                wfd = -1;
            }
        }
        if (ri >= 0 && pfd[ri].revents) {
            char tmp[4096];
            ssize_t r = read(rfd, tmp, sizeof(tmp));

            if (r > 0) {
                size_t take = (size_t) r;

                if (take > OUTPUT_MAX - *outlen)
                    take = OUTPUT_MAX - *outlen;
                memcpy(out + *outlen, tmp, take);
                *outlen += take;
            } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
                (void) close(rfd);
                rfd = -1;
            }
        }
    }
    *wfdp = wfd;
    *rfdp = rfd;
    return rc;
}

/* wait_until - waitpid until deadline: 0 with *ws, 1 when time ran out */
static int
wait_until(pid_t pid, int *ws, long long deadline)
{
    for (;;) {
        pid_t r = waitpid(pid, ws, WNOHANG);
        struct timespec ts = {0, 5000000};

        if (r == pid)
            return 0;
        if (r < 0 && errno != EINTR)
            return 0;
        if (monotonic_ms() >= deadline)
            return 1;
        (void) nanosleep(&ts, NULL);
    }
}

/* child - in the forked process: become the user, exec the command */
static void
child(const struct pipe_agent *pa, int in, int out, struct strv *args)
{
    extern char **environ;

    (void) dup2(in, 0);
    (void) dup2(out, 1);
    (void) dup2(out, 2);
    (void) close_range(3, ~0u, 0);
    (void) setsid();
    signal(SIGPIPE, SIG_DFL);
    if (pa->attr.directory && chdir(pa->attr.directory) < 0) {
        fprintf(stderr, "chdir %s: %s", pa->attr.directory, strerror(errno));
        _exit(75);
    }
    if (pa->root && util_set_ugid(pa->attr.uid, pa->attr.gid) < 0)
        _exit(75);
    {
        static char *none[] = {NULL};

        environ = pa->env.v ? pa->env.v : none;
    }
    (void) execvp(args->v[0], args->v);
    fprintf(stderr, "execvp %s: %s", args->v[0], strerror(errno));
    _exit(75);
}

/* run - the command with argv args for req; the verdict for every
 * recipient */
static void
run(struct pipe_agent *pa, struct deliver_req *req, const char *sender,
    struct strv *args)
{
    int pin[2], pout[2], ws = 0, status, late;
    char out[OUTPUT_MAX + 1], dsn[16];
    size_t outlen = 0;
    pid_t pid;
    struct buf in, why, cmd;
    long long deadline = monotonic_ms() + pa->time_limit * 1000;

    if (pipe2(pin, O_CLOEXEC) < 0) {
        set_all(req, DELIVER_DEFER, "4.3.0", "pipe: resource problem");
        return;
    }
    if (pipe2(pout, O_CLOEXEC) < 0) {
        (void) close(pin[0]);
        (void) close(pin[1]);
        set_all(req, DELIVER_DEFER, "4.3.0", "pipe: resource problem");
        return;
    }
    pid = fork();
    if (pid == 0)
        child(pa, pin[0], pout[1], args);
    (void) close(pin[0]);
    (void) close(pout[1]);
    if (pid < 0) {
        (void) close(pin[1]);
        (void) close(pout[0]);
        set_all(req, DELIVER_DEFER, "4.3.0", "fork: resource problem");
        return;
    }
    buf_init(&in, 0);
    buf_init(&why, 0);
    buf_init(&cmd, 0);
    input(pa, req, sender, &in);
    late = exchange(&pin[1], &pout[0], &in, out, &outlen, deadline);
    if (pin[1] >= 0)
        (void) close(pin[1]);
    if (pout[0] >= 0)
        (void) close(pout[0]);
    out[outlen] = 0;
    printable(out);
    if (!late)
        late = wait_until(pid, &ws, deadline);
    (void) buf_puts(&cmd, pa->attr.argv0);
    if (late) {
        (void) kill(-pid, SIGKILL);
        (void) kill(pid, SIGKILL);
        (void) waitpid(pid, &ws, 0);
        (void) buf_printf(&why, "Command time limit exceeded: \"%s\"%s%s",
                          buf_str(&cmd), outlen ? ". Command output: " : "",
                          out);
        set_all(req, DELIVER_BOUNCE, "5.3.0", buf_str(&why));
    } else {
        pipe_exit_reason(ws, buf_str(&cmd), out, &status, dsn, &why);
        if (status == DELIVER_SENT) {
            struct buf t;

            /* Postfix: "delivered via SERVICE service (output)" */
            buf_init(&t, 0);
            (void) buf_printf(&t, "delivered via %s service", pa->srv->service);
            if (why.len)
                (void) buf_printf(&t, " (%.100s)", buf_str(&why));
            set_all(req, DELIVER_SENT, dsn, buf_str(&t));
            buf_fini(&t);
        } else {
            set_all(req, status, dsn, buf_str(&why));
        }
    }
    buf_fini(&in);
    buf_fini(&why);
    buf_fini(&cmd);
}

/* deliver_one - one request: the checks Postfix makes, then the command */
static void
deliver_one(struct pipe_agent *pa, struct deliver_req *req)
{
    const struct pipe_attr *a = &pa->attr;
    struct pipe_vars v;
    struct strv args;
    struct buf qsender, nexthop;
    char err[300];
    const char *sender = *req->sender ? req->sender : a->null_sender;

    if ((a->flags & (PIPE_F_DELIVERED | PIPE_F_ORIG_RCPT)) && req->nrcpt > 1) {
        log_warn("pipe flag `%c' requires %s_destination_recipient_limit "
                 "= 1",
                 (a->flags & PIPE_F_DELIVERED) ? 'D' : 'O', pa->srv->service);
        set_all(req, DELIVER_DEFER, "4.3.5", "mail system configuration error");
        return;
    }
    if (a->size_limit && req->content_len > (uint64_t) a->size_limit) {
        set_all(req, DELIVER_BOUNCE, "5.2.3", "message too large");
        return;
    }
    if (deliver_content_load(&pa->msg, req) < 0) {
        log_warn("%s: read message content: %s", req->id, strerror(errno));
        set_all(req, DELIVER_DEFER, "4.3.0", "error reading queue file");
        return;
    }
    if ((a->flags & PIPE_F_DELIVERED) &&
        header_loop(pa->msg.content.data, pa->msg.content.len,
                    req->rcpt[0].addr)) {
        snprintf(err, sizeof(err), "mail forwarding loop for %s",
                 req->rcpt[0].addr);
        set_all(req, DELIVER_BOUNCE, "5.4.6", err);
        return;
    }
    if (!pa->root && a->uid != geteuid()) {
        log_warn("%s: cannot run commands as user=%s: not started as "
                 "root",
                 pa->srv->service, a->user);
        set_all(req, DELIVER_DEFER, "4.3.5", "mail system configuration error");
        return;
    }
    buf_init(&qsender, 0);
    buf_init(&nexthop, 0);
    /* a non-empty null sender replacement is subject to the q flag */
    if (*sender && (a->flags & PIPE_F_QUOTE))
        pipe_quote_local(sender, &qsender);
    else
        (void) buf_puts(&qsender, sender);
    (void) buf_puts(&nexthop, req->nexthop ? req->nexthop : "");
    if (a->flags & PIPE_F_FOLD_HOST)
        for (size_t i = 0; i < nexthop.len; i++)
            nexthop.data[i] = (char) tolower((unsigned char) nexthop.data[i]);
    memset(&v, 0, sizeof(v));
    v.sender = buf_str(&qsender);
    v.nexthop = buf_str(&nexthop);
    v.queue_id = req->id;
    v.client_address = req->client_addr;
    v.client_hostname = req->client_name;
    v.client_helo = req->client_helo;
    v.client_protocol = req->client_proto;
    v.delim = pa->delim;
    snprintf(v.size, sizeof(v.size), "%llu",
             (unsigned long long) req->content_len);
    strv_init(&args);
    if (pipe_expand_argv(a, &v, req, &args, err, sizeof(err)) < 0) {
        log_warn("service %s: %s", pa->srv->service, err);
        set_all(req, DELIVER_DEFER, "4.3.5", "mail system configuration error");
    } else {
        run(pa, req, sender, &args);
    }
    strv_fini(&args);
    buf_fini(&qsender);
    buf_fini(&nexthop);
}

static void
batch(void *ctx, struct deliver_req **reqs, size_t n)
{
    struct pipe_agent *pa = ctx;

    for (size_t i = 0; i < n; i++) {
        struct deliver_req *req = reqs[i];

        deliver_one(pa, req);
        for (size_t k = 0; k < req->nrcpt; k++)
            deliver_log(req, &req->rcpt[k], pa->srv->service);
    }
}

/* export_env - export_environment as "NAME=value" strings */
static void
export_env(struct pipe_agent *pa)
{
    char *v = server_param(pa->srv, "export_environment");
    struct strv sv;

    strv_init(&sv);
    server_split(v, &sv);
    for (size_t i = 0; i < sv.n; i++) {
        const char *val = getenv(sv.v[i]);

        if (strchr(sv.v[i], '=')) {
            strv_add(&pa->env, sv.v[i]);
        } else if (val) {
            struct buf e;

            buf_init(&e, 0);
            (void) buf_printf(&e, "%s=%s", sv.v[i], val);
            strv_adopt(&pa->env, buf_steal(&e));
        }
    }
    strv_fini(&sv);
    mem_free(v);
}

/* pipe_pre_drop - the attributes (fatal when wrong, as Postfix) and the
 * settings */
static void
pipe_pre_drop(struct server *srv, void *ctx)
{
    struct pipe_agent *pa = ctx;
    char err[400], pname[300];
    char *owner = server_param(srv, "mail_owner");
    struct passwd *pw = getpwnam(owner);

    deliver_status_filter_open(srv, "pipe_delivery_status_filter");
    pa->srv = srv;
    pa->root = geteuid() == 0;
    if (pipe_attr_parse(&pa->attr, (const char *const *) srv->args,
                        pw ? (long) pw->pw_uid : -1,
                        pw ? (long) pw->pw_gid : -1, owner, err,
                        sizeof(err)) < 0)
        log_fatal("%s", err);
    mem_free(owner);
    /* <service>_time_limit, whose default is command_time_limit */
    snprintf(pname, sizeof(pname), "%s%s", srv->service, "_time_limit");
    pa->time_limit = server_param_time(srv, pname);
    if (pa->time_limit <= 0)
        pa->time_limit = 1000;
    pa->delim = server_param(srv, "recipient_delimiter");
    strv_init(&pa->env);
    export_env(pa);
    deliver_content_init(&pa->msg);
}

static int
pipe_loop(struct server *srv, void *ctx)
{
    struct pipe_agent *pa = ctx;

    signal(SIGPIPE, SIG_IGN);
    deliver_agent_loop(srv, batch, pa);
    deliver_content_fini(&pa->msg);
    strv_fini(&pa->env);
    mem_free(pa->delim);
    pipe_attr_fini(&pa->attr);
    return 0;
}

int
pipe_service(struct server *srv)
{
    static const struct server_service svc = {pipe_pre_drop, NULL, NULL,
                                              pipe_loop};
    struct pipe_agent pa;

    memset(&pa, 0, sizeof(pa));
    return server_main(srv, &svc, &pa);
}
