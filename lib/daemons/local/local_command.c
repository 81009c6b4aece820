/*
 * local_command - |command deliveries of the local delivery agent.
 *
 * DESCRIPTION
 *	The message goes to the command's standard input, with
 *	Return-Path:, X-Original-To: and Delivered-To: first. The command
 *	runs as exactly the destination's uid and gid (never root's: see
 *	local_deliver_ids), with no other groups, in its own process
 *	group, with a clean environment (Postfix's local: HOME, LOGNAME,
 *	USER, SHELL, SENDER, RECIPIENT, EXTENSION, DOMAIN, LOCAL, ORIGINAL_
 *	RECIPIENT, plus export_environment). Without shell metacharacters
 *	it is executed directly, else by /bin/sh -c, as Postfix does.
 *	command_time_limit bounds writing the message and waiting: at the
 *	limit the whole process group is killed.
 */
#define _GNU_SOURCE 1 /* close_range */
#include <sys/types.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ipc/ipc.h"
#include "local/local_int.h"

/* cmd_plain - 1 when cmd has none of the characters a shell treats
 * specially (Postfix's exec_command set) and is not blank: it is then
 * split on blanks and executed without a shell */
static int
cmd_plain(const char *cmd)
{
    static const char ok[] = "1234567890!@%-_=+:,./"
                             "abcdefghijklmnopqrstuvwxyz"
                             "ABCDEFGHIJKLMNOPQRSTUVWXYZ \t";

    return cmd[strspn(cmd, ok)] == 0 && cmd[strspn(cmd, " \t")] != 0;
}

/* env_add - NAME=value, with characters outside command_expansion_filter
 * replaced by "_" (Postfix censors what it exports the same way) */
static void
env_add(struct local *lc, struct strv *env, const char *name, const char *value)
{
    struct buf b;

    buf_init(&b, 0);
    (void) buf_printf(&b, "%s=", name);
    for (const char *c = value; *c; c++)
        (void) buf_putc(
            &b, *lc->cmd_filter && strchr(lc->cmd_filter, *c) ? *c : '_');
    strv_adopt(env, buf_steal(&b));
}

/* cmd_env - the environment of a |command, as Postfix's local sets it:
 * export_environment from ours, then HOME, LOGNAME, USER, SENDER,
 * RECIPIENT, LOCAL, SHELL, DOMAIN, EXTENSION, ORIGINAL_RECIPIENT */
static void
cmd_env(struct local *lc, struct strv *env, const struct deliver_req *req,
        const char *to, const char *orig, const struct who *w)
{
    const char *at = strrchr(to, '@');
    size_t n = at ? (size_t) (at - to) : strlen(to);
    char local[512], user[512];
    const char *ext = NULL;

    if (n >= sizeof(local))
        n = sizeof(local) - 1;
    for (size_t i = 0; i < n; i++)
        local[i] = (char) tolower((unsigned char) to[i]);
    local[n] = 0;
    snprintf(user, sizeof(user), "%s", local);
    if (lc->delim && *lc->delim) {
        char *cut = strpbrk(user, lc->delim);

        if (cut && cut != user) {
            ext = local + (cut - user) + 1;
            *cut = 0;
        }
    }
    for (size_t i = 0; i < lc->export_env.n; i++)
        strv_add(env, lc->export_env.v[i]);
    if (w->home[0])
        env_add(lc, env, "HOME", w->home);
    env_add(lc, env, "LOGNAME", user);
    env_add(lc, env, "USER", user);
    env_add(lc, env, "SENDER", req->sender);
    env_add(lc, env, "RECIPIENT", to);
    env_add(lc, env, "LOCAL", local);
    if (w->shell[0])
        env_add(lc, env, "SHELL", w->shell);
    if (at)
        env_add(lc, env, "DOMAIN", at + 1);
    if (ext)
        env_add(lc, env, "EXTENSION", ext);
    if (orig && *orig)
        env_add(lc, env, "ORIGINAL_RECIPIENT", orig);
}

/* write_timed - all of p to a pipe before deadline (ms); 0, or -1 when
 * the reader went away, an error, or time ran out */
static int
write_timed(int fd, const char *p, size_t n, long long deadline)
{
    long long left = deadline - util_monotonic_ms();

    if (left <= 0)
        return -1;
    (void) ipc_nonblock(fd, 1);
    return ipc_write_all(fd, p, n, left > INT_MAX ? INT_MAX : (int) left);
}

/* wait_timed - waitpid until deadline (ms): 0 with *status, 1 when time
 * ran out, -1 error */
static int
wait_timed(pid_t pid, int *status, long long deadline)
{
    long nap = 1;

    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
        struct timespec ts;

        if (r == pid)
            return 0;
        if (r < 0 && errno != EINTR)
            return -1;
        if (util_monotonic_ms() >= deadline)
            return 1;
        ts.tv_sec = 0;
        ts.tv_nsec = nap * 1000000;
        (void) nanosleep(&ts, NULL);
        if (nap < 50)
            nap *= 2;
    }
}

/* local_command - |cmd with the message on stdin, as exactly uid:gid (no
 * supplementary groups: Postfix does not initgroups for commands) */
void
local_command(struct local *lc, struct deliver_req *req, const char *cmd,
              const char *to, const char *orig, const struct who *w,
              struct mailbox_result *res)
{
    int p[2], status = 0;
    pid_t pid;
    struct buf h;
    struct strv env, args;
    long uid, gid;
    long long deadline;
    int wr;

    local_deliver_ids(lc, w, &uid, &gid);
    strv_init(&env);
    strv_init(&args);
    cmd_env(lc, &env, req, to, orig, w);
    if (cmd_plain(cmd)) {
        char *copy = mem_strdup(cmd), *save = NULL;

        for (char *a = strtok_r(copy, " \t", &save); a;
             a = strtok_r(NULL, " \t", &save))
            strv_add(&args, a);
        mem_free(copy);
    }
    if (pipe(p) < 0) {
        mailbox_set_res(res, DELIVER_DEFER, "4.3.0", "pipe: %s",
                        strerror(errno));
        goto out;
    }
    pid = fork();
    if (pid < 0) {
        mailbox_set_res(res, DELIVER_DEFER, "4.3.0", "fork: %s",
                        strerror(errno));
        (void) close(p[0]);
        (void) close(p[1]);
        goto out;
    }
    if (pid == 0) {
        extern char **environ;

        if (p[0] != 0) {
            (void) dup2(p[0], 0);
            (void) close(p[0]);
        }
        (void) close(p[1]);
        (void) close_range(3, ~0u, 0);
        /* its own process group: a time limit kills its offspring too */
        (void) setsid();
        if (lc->root && util_set_ugid((uid_t) uid, (gid_t) gid) < 0)
            _exit(75);
        environ = env.v;
        if (args.n) {
            (void) execvp(args.v[0], args.v);
            /* perhaps a shell builtin, as Postfix's exec_command says */
            if (errno != ENOENT || strchr(args.v[0], '/'))
                _exit(127);
        }
        execl("/bin/sh", "sh", "-c", cmd, (char *) NULL);
        _exit(127);
    }
    (void) close(p[0]);
    buf_init(&h, 0);
    local_prefix(lc, &h, req, orig, to);
    signal(SIGPIPE, SIG_IGN);
    /* command_time_limit covers writing the message (a command that
     * does not read must not block us on a full pipe) and the wait */
    deadline = util_monotonic_ms() + lc->cmd_time_limit * 1000;
    if (write_timed(p[1], h.data, h.len, deadline) == 0)
        (void) write_timed(p[1], lc->msg.content.data, lc->msg.content.len,
                           deadline);
    (void) close(p[1]);
    buf_fini(&h);
    wr = wait_timed(pid, &status, deadline);
    if (wr == 1) {
        (void) kill(-pid, SIGKILL);
        (void) kill(pid, SIGKILL);
        (void) waitpid(pid, &status, 0);
        mailbox_set_res(res, DELIVER_BOUNCE, "5.3.0",
                        "Command time limit exceeded: \"%s\"", cmd);
    } else if (wr < 0) {
        mailbox_set_res(res, DELIVER_DEFER, "4.3.0", "wait: %s: \"%s\"",
                        strerror(errno), cmd);
    } else if (!WIFEXITED(status))
        mailbox_set_res(res, DELIVER_DEFER, "4.3.0",
                        "Command died with signal %d: \"%s\"",
                        WIFSIGNALED(status) ? WTERMSIG(status) : 0, cmd);
    else if (WEXITSTATUS(status) == 0)
        mailbox_set_res(res, DELIVER_SENT, "2.0.0", "delivered to command: %s",
                        cmd);
    else if (WEXITSTATUS(status) == 75)
        mailbox_set_res(res, DELIVER_DEFER, "4.3.0",
                        "temporary failure. Command "
                        "output: \"%s\"",
                        cmd);
    else
        mailbox_set_res(res, DELIVER_BOUNCE, "5.3.0",
                        "Command died with status %d: \"%s\"",
                        WEXITSTATUS(status), cmd);
out:
    strv_fini(&env);
    strv_fini(&args);
}
