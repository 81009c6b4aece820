/*
 * pipe_spawn - the spawn service (master.cf command "spawn"), as
 * Postfix's spawn(8): one external command per connection, with the
 * connection as its standard input and output. Used for policy servers
 * (check_policy_service unix:private/policy with "policy unix - n n - 0
 * spawn user=nobody argv=/usr/bin/policyd").
 *
 * DESCRIPTION
 *	The attributes are user= (required; not root, not mail_owner) and
 *	argv= (required, last), checked at start with Postfix's words.
 *	For each connection the command runs by execvp (no shell) in its
 *	own process group, as exactly user='s uid and gid, with only
 *	export_environment, and <service>_time_limit (command_time_limit)
 *	bounds it: at the limit the process group is killed. An exit
 *	other than 0 is logged with Postfix's warning.
 */
#define _GNU_SOURCE 1 /* close_range */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "pipe/pipe.h"
#include "pipe/pipe_int.h"
#include "server/server.h"

struct spawn {
    struct pipe_attr attr;
    long time_limit;
    struct strv env;
    struct strv argv; /* argv[0] without "argv=", then the arguments */
    int root;
};

/* spawn_pre_drop - the attributes (fatal when wrong) and the settings */
static void
spawn_pre_drop(struct server *srv, void *ctx)
{
    struct spawn *sp = ctx;
    char err[400], pname[300];
    char *owner = server_param(srv, "mail_owner");
    char *v;
    struct passwd *pw = getpwnam(owner);
    struct strv sv;

    sp->root = geteuid() == 0;
    if (pipe_attr_parse(&sp->attr, (const char *const *) srv->args,
                        pw ? (long) pw->pw_uid : -1,
                        pw ? (long) pw->pw_gid : -1, owner, err,
                        sizeof(err)) < 0)
        log_fatal("%s", err);
    mem_free(owner);
    if (sp->attr.flags || sp->attr.size_limit || sp->attr.directory)
        log_fatal("spawn takes only the user= and argv= attributes");
    if (!sp->root && sp->attr.uid != geteuid())
        log_fatal("cannot run commands as user=%s: not started as root",
                  sp->attr.user);
    strv_init(&sp->argv);
    strv_add(&sp->argv, sp->attr.argv0);
    for (const char *const *p = sp->attr.argv + 1; *p; p++)
        strv_add(&sp->argv, *p);
    snprintf(pname, sizeof(pname), "%s%s", srv->service, "_time_limit");
    sp->time_limit = server_param_time(srv, pname);
    if (sp->time_limit <= 0)
        sp->time_limit = 1000;
    strv_init(&sp->env);
    strv_init(&sv);
    v = server_param(srv, "export_environment");
    server_split(v, &sv);
    for (size_t i = 0; i < sv.n; i++) {
        const char *val = getenv(sv.v[i]);

        if (strchr(sv.v[i], '=')) {
            strv_add(&sp->env, sv.v[i]);
        } else if (val) {
            struct buf e;

            buf_init(&e, 0);
            (void) buf_printf(&e, "%s=%s", sv.v[i], val);
            strv_adopt(&sp->env, buf_steal(&e));
        }
    }
    strv_fini(&sv);
    mem_free(v);
}

/* wait_limit - waitpid within secs seconds: 0 with *ws, 1 when late */
static int
wait_limit(pid_t pid, int *ws, long secs)
{
    struct timespec t0, now;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        pid_t r = waitpid(pid, ws, WNOHANG);
        struct timespec nap = {0, 10000000};

        if (r == pid || (r < 0 && errno != EINTR))
            return 0;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - t0.tv_sec >= secs)
            return 1;
        (void) nanosleep(&nap, NULL);
    }
}

/* spawn_conn - one connection: the command with it as stdin and stdout */
static void
spawn_conn(struct server *srv, int fd, void *ctx)
{
    struct spawn *sp = ctx;
    pid_t pid;
    int ws = 0;

    (void) srv;
    pid = fork();
    if (pid < 0) {
        log_warn("fork: %s", strerror(errno));
        return;
    }
    if (pid == 0) {
        extern char **environ;
        static char *none[] = {NULL};

        (void) dup2(fd, 0);
        (void) dup2(fd, 1);
        (void) close_range(3, ~0u, 0);
        (void) setsid();
        signal(SIGPIPE, SIG_DFL);
        if (sp->root && util_set_ugid(sp->attr.uid, sp->attr.gid) < 0)
            _exit(75);
        environ = sp->env.v ? sp->env.v : none;
        (void) execvp(sp->argv.v[0], sp->argv.v);
        _exit(127);
    }
    if (wait_limit(pid, &ws, sp->time_limit)) {
        log_warn("%s: process id %lu: command time limit exceeded",
                 sp->argv.v[0], (unsigned long) pid);
        (void) kill(-pid, SIGKILL);
        (void) kill(pid, SIGKILL);
        (void) waitpid(pid, &ws, 0);
    }
    if (WIFEXITED(ws) && WEXITSTATUS(ws) != 0)
        log_warn("command %s exit status %d", sp->argv.v[0], WEXITSTATUS(ws));
    if (WIFSIGNALED(ws))
        log_warn("command %s killed by signal %d", sp->argv.v[0], WTERMSIG(ws));
}

int
pipe_spawn_service(struct server *srv)
{
    static const struct server_service svc = {spawn_pre_drop, NULL, spawn_conn,
                                              NULL};
    struct spawn sp;
    int rc;

    memset(&sp, 0, sizeof(sp));
    rc = server_main(srv, &svc, &sp);
    strv_fini(&sp.argv);
    strv_fini(&sp.env);
    pipe_attr_fini(&sp.attr);
    return rc;
}
