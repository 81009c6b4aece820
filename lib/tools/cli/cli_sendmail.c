/*
 * cli_sendmail - the sendmail command (Postfix's sendmail + postdrop).
 *
 * DESCRIPTION
 *	sendmail [-t] [-i|-oi] [-f sender|-r sender] [-F name] [-N notify]
 *	[-R ret] [-V envid] [-C config_dir] [-bm|-bp|-bs|-q] [rcpt ...]
 *
 *	Reads the message from stdin (CRLF or LF line ends; a line with a
 *	single "." ends it unless -i), writes it to the maildrop directory
 *	and triggers pickup. -t takes the recipients from To:, Cc: and Bcc:
 *	(cleanup removes Bcc:). -bp lists the queue (mailq), -q flushes it.
 *	Exit status per sysexits.h.
 *
 *	The message goes to maildrop through the set-gid postdrop program
 *	(command_directory when main.cf sets it, else the directory of
 *	this executable), -bp and -q run the set-gid postqueue, as
 *	Postfix's sendmail. Control characters in the -f sender or in a
 *	recipient are refused (a newline would inject headers).
 *
 * BUGS
 *	-bs talks to public/cleanup itself: it works for root and
 *	mail_owner only (Postfix's smtpd -S goes through postdrop).
 */
#define _DEFAULT_SOURCE 1 /* strcasecmp, fchmod */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "conf/conf.h"
#include "ipc/ipc.h"
#include "maillog/maillog.h"
#include "pcf/pcf.h"
#include "pickup/pickup.h"
#include "queue/queue.h"
#include "server/server.h"
#include "smtpd/smtpd.h"

/* header_rcpts - addresses of To/Cc/Bcc (and Resent-*) for -t */
static void
add_addresses(struct queue_env *env, const char *value)
{
    const char *p = value;

    while (*p) {
        struct buf a;
        int depth = 0, quoted = 0, angle = 0;
        const char *start = p;
        char *addr, *lt;

        /* one comma-separated item, honouring quotes, <> and () */
        while (*p && (*p != ',' || quoted || depth || angle)) {
            if (*p == '"')
                quoted = !quoted;
            else if (!quoted && *p == '(')
                depth++;
            else if (!quoted && *p == ')' && depth)
                depth--;
            else if (!quoted && *p == '<')
                angle = 1;
            else if (!quoted && *p == '>')
                angle = 0;
            p++;
        }
        buf_init(&a, 0);
        (void) buf_append(&a, start, (size_t) (p - start));
        if (*p == ',')
            p++;
        addr = buf_steal(&a);
        if (addr == NULL)
            continue;
        lt = strrchr(addr, '<');
        if (lt && strchr(lt, '>')) {
            *strchr(lt, '>') = 0;
            memmove(addr, lt + 1, strlen(lt + 1) + 1);
        } else {
            /* drop (comments) */
            char *c;

            while ((c = strchr(addr, '(')) && strchr(c, ')'))
                memmove(c, strchr(c, ')') + 1, strlen(strchr(c, ')') + 1) + 1);
        }
        str_trim(addr);
        /* "group: a, b;" */
        if (strchr(addr, ':') && !strchr(addr, '@')) {
            mem_free(addr);
            continue;
        }
        if (*addr)
            queue_env_add_rcpt(env, str_trim(addr), "", "", 0);
        mem_free(addr);
    }
}

static void
header_rcpts(struct queue_env *env, const char *content, size_t len)
{
    const char *p = content, *end = content + len;
    int resent = 0;

    /* Resent-To etc. win when present, as in Postfix */
    for (const char *q = content; q < end && *q != '\n';) {
        if (strncasecmp(q, "Resent-", 7) == 0)
            resent = 1;
        q = memchr(q, '\n', (size_t) (end - q));
        if (q == NULL)
            break;
        q++;
    }
    while (p < end && *p != '\n') {
        const char *nl = memchr(p, '\n', (size_t) (end - p));
        const char *le = nl ? nl : end;
        struct buf v;
        const char *colon = memchr(p, ':', (size_t) (le - p));
        int want = 0;

        if (colon) {
            size_t n = (size_t) (colon - p);
            const char *name = p;

            if (resent) {
                want = (n == 9 && strncasecmp(name, "Resent-To", 9) == 0) ||
                       (n == 9 && strncasecmp(name, "Resent-Cc", 9) == 0) ||
                       (n == 10 && strncasecmp(name, "Resent-Bcc", 10) == 0);
            } else {
                want = (n == 2 && strncasecmp(name, "To", 2) == 0) ||
                       (n == 2 && strncasecmp(name, "Cc", 2) == 0) ||
                       (n == 3 && strncasecmp(name, "Bcc", 3) == 0);
            }
        }
        buf_init(&v, 0);
        if (want)
            (void) buf_append(&v, colon + 1, (size_t) (le - colon - 1));
        p = nl ? nl + 1 : end;
        /* continuation lines */
        while (p < end && (*p == ' ' || *p == '\t')) {
            const char *n2 = memchr(p, '\n', (size_t) (end - p));
            const char *e2 = n2 ? n2 : end;

            if (want) {
                (void) buf_putc(&v, ' ');
                (void) buf_append(&v, p, (size_t) (e2 - p));
            }
            p = n2 ? n2 + 1 : end;
        }
        if (want && v.len)
            add_addresses(env, v.data);
        buf_fini(&v);
    }
}

/* run_command - Postfix's mail_run_replace: exec NAME from the command
 * directory with argv; returns only on failure */
static int
run_command(struct pcf *conf, const char *name, char **av)
{
    char path[PATH_MAX];

    pickup_command_path(conf, name, path, sizeof(path));
    execv(path, av);
    log_msg("sendmail", LOG_LEVEL_FATAL, "execute %s: %s", path,
            strerror(errno));
    return EX_UNAVAILABLE;
}

/* postdrop - pipe the maildrop file to the set-gid postdrop program, as
 * Postfix's sendmail does; sysexits.h status */
static int
postdrop(struct pcf *conf, const char *config_dir, const char *sender,
         const struct buf *file)
{
    char path[PATH_MAX];
    int pfd[2], status;
    pid_t pid;
    struct strv av;

    pickup_command_path(conf, "postdrop", path, sizeof(path));
    strv_init(&av);
    strv_add(&av, "postdrop");
    strv_add(&av, "-r");
    if (config_dir) {
        strv_add(&av, "-c");
        strv_add(&av, config_dir);
    }
    if (pipe(pfd) < 0 || (pid = fork()) < 0) {
        log_msg("sendmail", LOG_LEVEL_FATAL,
                "%s(%ld): unable to execute %s: %s", sender, (long) getuid(),
                path, strerror(errno));
        strv_fini(&av);
        return EX_UNAVAILABLE;
    }
    if (pid == 0) {
        if (dup2(pfd[0], 0) < 0)
            _exit(EX_OSERR);
        (void) close(pfd[0]);
        (void) close(pfd[1]);
        execv(path, av.v);
        log_msg("sendmail", LOG_LEVEL_FATAL,
                "%s(%ld): unable to execute %s: %s", sender, (long) getuid(),
                path, strerror(errno));
        _exit(EX_UNAVAILABLE);
    }
    strv_fini(&av);
    (void) close(pfd[0]);
    (void) signal(SIGPIPE, SIG_IGN);
    if (ipc_write_all(pfd[1], file->data, file->len, -1) < 0) {
        /* postdrop went away: its status says why */
    }
    (void) close(pfd[1]);
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return EX_OSERR;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return EX_OK;
    if (WIFEXITED(status) && WEXITSTATUS(status) == EX_UNAVAILABLE)
        return EX_UNAVAILABLE;
    log_msg("sendmail", LOG_LEVEL_FATAL, "%s(%ld): error writing queue file",
            sender, (long) getuid());
    return EX_TEMPFAIL;
}

/* sanitize_name - a full name goes into a From: header: no line breaks
 * or other control characters */
static void
sanitize_name(char *s)
{
    for (unsigned char *p = (unsigned char *) s; p && *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            *p = ' ';
}

/* has_word - case-insensitive substring */
static int
has_word(const char *s, const char *w)
{
    size_t n = strlen(w);

    for (; *s; s++)
        if (strncasecmp(s, w, n) == 0)
            return 1;
    return 0;
}

static int
usage(FILE *fp)
{
    fprintf(fp, "usage: sendmail [-t] [-i] [-f sender] [-F name] "
                "[-C config_dir] [-bp|-q] [recipient ...]\n");
    return EX_USAGE;
}

/* sendmail_args - what the command line asks */
struct sendmail_args {
    const char *dir; /* -C */
    char *sender;    /* -f, -r */
    char *fullname;  /* -F */
    int extract;     /* -t */
    int dot;         /* a lone "." ends the message (no -i) */
    int mode;        /* 'm' mail, 'p' -bp, 'q' -q, 's' -bs, 'i' -bi */
    uint32_t notify; /* -N */
    struct queue_env env;
};

/* parse_args - Postfix sendmail's options into o; EX_OK or the exit
 * status after a message */
static int
parse_args(struct sendmail_args *o, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];

        if (a[0] != '-' || a[1] == 0) {
            queue_env_add_rcpt(&o->env, a, "", "", o->notify);
            continue;
        }
        if (strcmp(a, "--") == 0) {
            for (i++; i < argc; i++)
                queue_env_add_rcpt(&o->env, argv[i], "", "", o->notify);
            break;
        }
        switch (a[1]) {
        case 't':
            o->extract = 1;
            break;
        case 'i':
            o->dot = 0;
            break;
        case 'o':
            if (a[2] == 'i' && a[3] == 0)
                o->dot = 0;
            else if (a[2] == 0 && i + 1 < argc)
                i++; /* -o option value */
            break;
        case 'f':
        case 'r':
        case 'F':
        case 'C':
        case 'N':
        case 'R':
        case 'V':
        case 'B':
        case 'O': {
            const char *v = a[2] ? a + 2 : (i + 1 < argc ? argv[++i] : NULL);

            if (v == NULL)
                return usage(stderr);
            if (a[1] == 'f' || a[1] == 'r')
                o->sender = mem_strdup(v);
            else if (a[1] == 'F')
                o->fullname = mem_strdup(v);
            else if (a[1] == 'C')
                o->dir = v;
            else if (a[1] == 'V')
                queue_env_set(&o->env.envid, v);
            else if (a[1] == 'R')
                o->env.ret = strcasecmp(v, "hdrs") == 0 ? QUEUE_RET_HDRS
                                                        : QUEUE_RET_FULL;
            else if (a[1] == 'N') {
                o->notify = 0;
                if (has_word(v, "never"))
                    o->notify |= QUEUE_NOTIFY_NEVER;
                if (has_word(v, "success"))
                    o->notify |= QUEUE_NOTIFY_SUCCESS;
                if (has_word(v, "failure"))
                    o->notify |= QUEUE_NOTIFY_FAILURE;
                if (has_word(v, "delay"))
                    o->notify |= QUEUE_NOTIFY_DELAY;
            }
            break;
        }
        case 'b':
            if (a[2] == 'p')
                o->mode = 'p';
            else if (a[2] == 's')
                o->mode = 's';
            else if (a[2] == 'm' || a[2] == 0)
                o->mode = 'm';
            else if (a[2] == 'i')
                o->mode = 'i';
            else {
                log_msg("sendmail", LOG_LEVEL_FATAL, "unsupported: -%s", a + 1);
                return EX_USAGE;
            }
            break;
        case 'q':
            o->mode = 'q';
            break;
        case 'I':
            o->mode = 'i';
            break;
        case 'v':
        case 'm':
        case 'n':
        case 'U':
            break;
        default:
            log_msg("sendmail", LOG_LEVEL_FATAL, "unsupported option: %s", a);
            return EX_USAGE;
        }
    }
    return EX_OK;
}

/* load_conf - the configuration sendmail runs with (-C, else
 * $MAIL_CONFIG, else the default); NULL after a message. o->dir becomes
 * the directory postdrop and postqueue get with -c, if not the default. */
static struct pcf *
load_conf(struct sendmail_args *o)
{
    const char *d;

    if (o->dir)
        setenv("MAIL_CONFIG", o->dir, 1);
    d = conf_config_dir(NULL);
    o->dir = strcmp(d, CONF_DEF_CONFIG_DIR) != 0 ? d : NULL;
    if (access(d, R_OK) < 0) {
        log_msg("sendmail", LOG_LEVEL_FATAL, "%s: %s", d, strerror(errno));
        return NULL;
    }
    return pcf_load(d);
}

/* run_postqueue - -bp and -q: the set-gid postqueue, as Postfix's
 * sendmail; returns only on failure */
static int
run_postqueue(struct pcf *conf, const struct sendmail_args *o)
{
    struct strv av;
    int rc;

    strv_init(&av);
    strv_add(&av, "postqueue");
    strv_add(&av, o->mode == 'p' ? "-p" : "-f");
    if (o->dir) {
        strv_add(&av, "-c");
        strv_add(&av, o->dir);
    }
    rc = run_command(conf, "postqueue", av.v);
    strv_fini(&av);
    return rc;
}

/* check_submit - may this user submit, with this sender and envid?
 * EX_OK or the exit status after a message */
static int
check_submit(struct pcf *conf, struct sendmail_args *o)
{
    /* postdrop enforces it; this is the friendlier early answer, with
     * the exit status Postfix's sendmail gives */
    const char *who =
        pickup_user_acl(conf, "authorized_submit_users", getuid());

    if (who) {
        log_msg("sendmail", LOG_LEVEL_FATAL,
                "User %s(%ld) is not allowed to submit "
                "mail",
                who, (long) getuid());
        return EX_NOPERM;
    }
    if (o->sender && pickup_addr_bad(o->sender)) {
        log_msg("sendmail", LOG_LEVEL_FATAL,
                "-f option specified malformed sender: %s",
                pickup_printable(o->sender));
        return EX_USAGE;
    }
    if (o->env.envid && pickup_addr_bad(o->env.envid)) {
        log_msg("sendmail", LOG_LEVEL_WARN,
                "bad syntax in -V option value -- "
                "ignored");
        queue_env_set(&o->env.envid, "");
    }
    return EX_OK;
}

/* read_message - the message from stdin into content: CRLF -> LF, lone
 * "." ends it unless -i; EX_OK or EX_DATAERR past limit */
static int
read_message(struct buf *content, int dot, long limit)
{
    struct buf line;
    int c, in_headers = 1;

    buf_init(&line, 0);
    for (;;) {
        c = getchar();
        if (c != EOF)
            (void) buf_putc(&line, c);
        if (c == '\n' || (c == EOF && line.len)) {
            size_t n = line.len;

            if (n && line.data[n - 1] == '\n')
                n--;
            if (n && line.data[n - 1] == '\r')
                n--;
            if (dot && n == 1 && line.data[0] == '.')
                break;
            if (in_headers && n == 0)
                in_headers = 0;
            (void) buf_append(content, line.data, n);
            (void) buf_putc(content, '\n');
            buf_truncate(&line, 0);
            if (limit > 0 && content->len > (size_t) limit) {
                log_msg("sendmail", LOG_LEVEL_FATAL, "message file too big");
                return EX_DATAERR;
            }
        }
        if (c == EOF)
            break;
    }
    buf_fini(&line);
    return EX_OK;
}

/* check_rcpts - recipients there (-t: from the headers), -N applied,
 * none malformed; EX_OK or EX_USAGE after a message */
static int
check_rcpts(struct sendmail_args *o, const struct buf *content)
{
    struct queue_env *env = &o->env;

    if (o->extract)
        header_rcpts(env, content->data ? content->data : "", content->len);
    if (env->nrcpt == 0) {
        log_msg("sendmail", LOG_LEVEL_FATAL, "no recipients specified");
        return EX_USAGE;
    }
    for (size_t i = 0; i < env->nrcpt; i++)
        if (o->notify && env->rcpt[i].notify == 0)
            env->rcpt[i].notify = o->notify;

    for (size_t i = 0; i < env->nrcpt; i++)
        if (pickup_addr_bad(env->rcpt[i].addr)) {
            log_msg("sendmail", LOG_LEVEL_FATAL,
                    "%s(%ld): malformed recipient address: "
                    "%s",
                    o->sender, (long) getuid(),
                    pickup_printable(env->rcpt[i].addr));
            return EX_USAGE;
        }
    return EX_OK;
}

int
cli_sendmail_main(int argc, char **argv)
{
    struct sendmail_args o;
    struct pcf *conf;
    struct buf content, file;
    int rc;
    struct passwd *pw = getpwuid(getuid());
    long limit;

    memset(&o, 0, sizeof(o));
    o.dot = 1;
    o.mode = 'm';
    queue_env_init(&o.env);
    if ((rc = parse_args(&o, argc, argv)) != EX_OK)
        return rc;
    if (o.mode == 'i') {
        log_msg("sendmail", LOG_LEVEL_FATAL,
                "-bi (newaliases): use \"postern map "
                "build -a FILE\"");
        return EX_UNAVAILABLE;
    }
    if ((conf = load_conf(&o)) == NULL)
        return EX_CONFIG;
    if (o.mode == 'p' || o.mode == 'q')
        return run_postqueue(conf, &o);
    if (o.mode == 's') {
        /* SMTP on stdin/stdout, mail to the running cleanup service */
        return smtpd_stdio_main(conf);
    }
    if ((rc = check_submit(conf, &o)) != EX_OK)
        return rc;
    /* a malformed value is fatal (server.h): on stderr too, not only in
     * the maillog */
    maillog_open("postfix/sendmail", NULL, NULL);
    maillog_set_stderr(1);
    limit = server_conf_size(conf, NULL, "message_size_limit");
    maillog_set_stderr(0);
    maillog_close();
    if (o.sender == NULL)
        o.sender = mem_strdup(pw ? pw->pw_name : "nobody");
    if (o.fullname == NULL && pw && pw->pw_gecos && *pw->pw_gecos) {
        o.fullname = mem_strdup(pw->pw_gecos);
        o.fullname[strcspn(o.fullname, ",")] = 0;
    }
    queue_env_set(&o.env.sender, o.sender);

    buf_init(&content, 0);
    if ((rc = read_message(&content, o.dot, limit)) != EX_OK)
        return rc;
    buf_init(&file, 0);
    if ((rc = check_rcpts(&o, &content)) != EX_OK)
        goto out;
    if (o.fullname)
        sanitize_name(o.fullname);

    /* into maildrop, through postdrop */
    pickup_file_encode(&file, &o.env, o.fullname);
    (void) buf_append(&file, content.data ? content.data : "", content.len);
    rc = postdrop(conf, o.dir, o.sender, &file);
out:
    buf_fini(&file);
    buf_fini(&content);
    queue_env_fini(&o.env);
    mem_free(o.sender);
    mem_free(o.fullname);
    return rc;
}

/* cli_sendmail_cmd - "postern sendmail": sendmail, and --help (the
 * sendmail link, as Postfix's, has no --help) */
int
cli_sendmail_cmd(int argc, char **argv)
{
    if (argc == 2 &&
        (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        (void) usage(stdout);
        return 0;
    }
    return cli_sendmail_main(argc, argv);
}
