/*
 * sendmail - the sendmail command (Postfix's sendmail + postdrop).
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
 * BUGS
 *	-bs (SMTP on stdin) is not implemented. No setgid postdrop: the
 *	maildrop directory is mode 1733, files are mode 0644.
 */
#define _DEFAULT_SOURCE 1 /* strcasecmp, fchmod */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "ipc/ipc.h"
#include "pcf/pcf.h"
#include "pickup/pickup.h"
#include "pickup/pickup_int.h"
#include "qmgr/qmgr_tool.h"
#include "server/server.h"
#include "smtpd/smtpd.h"

void
pickup_file_encode(struct buf *out, const struct queue_env *env,
                   const char *fullname)
{
    struct ipc_out o;
    size_t len;
    const char *f;

    ipc_out_init(&o);
    ipc_out_begin(&o, 'P');
    ipc_put_str(&o, env->sender);
    ipc_put_str(&o, fullname);
    ipc_put_str(&o, env->envid);
    ipc_put_u32(&o, env->ret);
    ipc_put_u32(&o, (uint32_t) env->nrcpt);
    for (size_t i = 0; i < env->nrcpt; i++) {
        ipc_put_str(&o, env->rcpt[i].addr);
        ipc_put_u32(&o, env->rcpt[i].notify);
    }
    f = ipc_out_finish(&o, &len);
    (void) buf_append(out, f, len);
    ipc_out_fini(&o);
}

int
pickup_file_decode(const char *text, size_t len, struct queue_env *env,
                   char **fullname, size_t *content_off)
{
    struct ipc_in in;
    uint32_t flen, n;

    if (len < 4)
        return -1;
    flen = ipc_be32(text);
    if ((size_t) flen + 4 > len ||
        ipc_in_init(&in, text, (size_t) flen + 4) < 0 || in.type != 'P')
        return -1;
    queue_env_set(&env->sender, ipc_get_str(&in));
    *fullname = mem_strdup(ipc_get_str(&in));
    queue_env_set(&env->envid, ipc_get_str(&in));
    env->ret = ipc_get_u32(&in);
    n = ipc_get_u32(&in);
    if (!ipc_in_ok(&in) || n == 0 || n > 100000)
        return -1;
    for (uint32_t i = 0; i < n && ipc_in_ok(&in); i++) {
        const char *a = ipc_get_str(&in);
        uint32_t nt = ipc_get_u32(&in);

        queue_env_add_rcpt(env, a, "", "", nt);
    }
    if (!ipc_in_ok(&in) || ipc_in_more(&in))
        return -1;
    *content_off = (size_t) flen + 4;
    return 0;
}

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

static void
trigger(const char *path)
{
    int fd = ipc_connect_unix(path);

    if (fd < 0) {
        fprintf(stderr, "sendmail: warning: unable to look up %s: %s\n", path,
                strerror(errno));
        return;
    }
    /* pickup may hang up before it reads: no SIGPIPE for that */
    if (send(fd, "W", 1, MSG_NOSIGNAL) < 0) {
        /* pickup scans on its own wakeup anyway */
    }
    (void) close(fd);
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
usage(void)
{
    fprintf(stderr, "usage: sendmail [-t] [-i] [-f sender] [-F name] "
                    "[-C config_dir] [-bp|-q] [recipient ...]\n");
    return EX_USAGE;
}

int
pickup_sendmail_main(int argc, char **argv)
{
    const char *dir = NULL;
    char *sender = NULL, *fullname = NULL;
    int extract = 0, dot = 1, mode = 'm';
    uint32_t notify = 0;
    struct queue_env env;
    struct pcf *conf;
    char *qdir, tmp[700], final[700];
    struct buf content, file, line;
    int fd, c, in_headers = 1, rc = EX_OK;
    struct passwd *pw = getpwuid(getuid());
    long limit;
    struct timespec ts;

    queue_env_init(&env);
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];

        if (a[0] != '-' || a[1] == 0) {
            queue_env_add_rcpt(&env, a, "", "", notify);
            continue;
        }
        if (strcmp(a, "--") == 0) {
            for (i++; i < argc; i++)
                queue_env_add_rcpt(&env, argv[i], "", "", notify);
            break;
        }
        switch (a[1]) {
        case 't':
            extract = 1;
            break;
        case 'i':
            dot = 0;
            break;
        case 'o':
            if (a[2] == 'i' && a[3] == 0)
                dot = 0;
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
                return usage();
            if (a[1] == 'f' || a[1] == 'r')
                sender = mem_strdup(v);
            else if (a[1] == 'F')
                fullname = mem_strdup(v);
            else if (a[1] == 'C')
                dir = v;
            else if (a[1] == 'V')
                queue_env_set(&env.envid, v);
            else if (a[1] == 'R')
                env.ret = strcasecmp(v, "hdrs") == 0 ? QUEUE_RET_HDRS
                                                     : QUEUE_RET_FULL;
            else if (a[1] == 'N') {
                notify = 0;
                if (has_word(v, "never"))
                    notify |= QUEUE_NOTIFY_NEVER;
                if (has_word(v, "success"))
                    notify |= QUEUE_NOTIFY_SUCCESS;
                if (has_word(v, "failure"))
                    notify |= QUEUE_NOTIFY_FAILURE;
                if (has_word(v, "delay"))
                    notify |= QUEUE_NOTIFY_DELAY;
            }
            break;
        }
        case 'b':
            if (a[2] == 'p')
                mode = 'p';
            else if (a[2] == 's')
                mode = 's';
            else if (a[2] == 'm' || a[2] == 0)
                mode = 'm';
            else if (a[2] == 'i')
                mode = 'i';
            else {
                fprintf(stderr, "sendmail: fatal: unsupported: -%s\n", a + 1);
                return EX_USAGE;
            }
            break;
        case 'q':
            mode = 'q';
            break;
        case 'I':
            mode = 'i';
            break;
        case 'v':
        case 'm':
        case 'n':
        case 'U':
            break;
        default:
            fprintf(stderr, "sendmail: fatal: unsupported option: %s\n", a);
            return EX_USAGE;
        }
    }
    if (dir)
        setenv("MAIL_CONFIG", dir, 1);
    if (mode == 'p') {
        char *av[] = {(char *) "mailq", NULL};

        return qmgr_tool_main(1, av, "mailq");
    }
    if (mode == 'q') {
        char *av[] = {(char *) "postqueue", (char *) "-f", NULL};

        return qmgr_tool_main(2, av, "postqueue");
    }
    if (mode == 'i') {
        fprintf(stderr, "sendmail: fatal: -bi (newaliases): use \"postern map "
                        "build -a FILE\"\n");
        return EX_UNAVAILABLE;
    }
    if (mode == 's') {
        /* SMTP on stdin/stdout, mail to the running cleanup service */
        const char *d = getenv("MAIL_CONFIG");

        if (d == NULL || *d == 0)
            d = "/etc/postfix";
        if (access(d, R_OK) < 0) {
            fprintf(stderr, "sendmail: fatal: %s: %s\n", d, strerror(errno));
            return EX_CONFIG;
        }
        return smtpd_stdio_main(pcf_load(d));
    }
    {
        const char *d = getenv("MAIL_CONFIG");

        if (d == NULL || *d == 0)
            d = "/etc/postfix";
        if (access(d, R_OK) < 0) {
            fprintf(stderr, "sendmail: fatal: %s: %s\n", d, strerror(errno));
            return EX_CONFIG;
        }
        conf = pcf_load(d);
    }
    qdir = server_conf_str(conf, NULL, "queue_directory");
    limit = server_conf_int(conf, NULL, "message_size_limit", 10240000);
    if (sender == NULL)
        sender = mem_strdup(pw ? pw->pw_name : "nobody");
    if (fullname == NULL && pw && pw->pw_gecos && *pw->pw_gecos) {
        fullname = mem_strdup(pw->pw_gecos);
        fullname[strcspn(fullname, ",")] = 0;
    }
    queue_env_set(&env.sender, sender);

    /* the message: CRLF -> LF, lone "." ends it unless -i */
    buf_init(&content, 0);
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
            (void) buf_append(&content, line.data, n);
            (void) buf_putc(&content, '\n');
            buf_truncate(&line, 0);
            if (limit > 0 && content.len > (size_t) limit) {
                fprintf(stderr, "sendmail: fatal: message file too big\n");
                return EX_DATAERR;
            }
        }
        if (c == EOF)
            break;
    }
    buf_fini(&line);
    if (extract)
        header_rcpts(&env, content.data ? content.data : "", content.len);
    if (env.nrcpt == 0) {
        fprintf(stderr, "sendmail: fatal: no recipients specified\n");
        return EX_USAGE;
    }
    for (size_t i = 0; i < env.nrcpt; i++)
        if (notify && env.rcpt[i].notify == 0)
            env.rcpt[i].notify = notify;

    /* into maildrop: dot file, fsync, rename */
    buf_init(&file, 0);
    pickup_file_encode(&file, &env, fullname);
    (void) buf_append(&file, content.data ? content.data : "", content.len);
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(final, sizeof(final), "%s/maildrop/%ld%06ld.%ld.%ld", qdir,
             (long) ts.tv_sec, (long) (ts.tv_nsec / 1000), (long) getpid(),
             (long) getuid());
    snprintf(tmp, sizeof(tmp), "%s/maildrop/.%ld%06ld.%ld", qdir,
             (long) ts.tv_sec, (long) (ts.tv_nsec / 1000), (long) getpid());
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "sendmail: fatal: create file %s: %s\n", tmp,
                strerror(errno));
        rc = EX_CANTCREAT;
        goto out;
    }
    (void) fchmod(fd, 0644);
    if (ipc_write_all(fd, file.data, file.len, -1) < 0 || fsync(fd) < 0 ||
        close(fd) < 0 || rename(tmp, final) < 0) {
        fprintf(stderr, "sendmail: fatal: write %s: %s\n", tmp,
                strerror(errno));
        (void) unlink(tmp);
        rc = EX_TEMPFAIL;
        goto out;
    }
    {
        char pick[700];

        snprintf(pick, sizeof(pick), "%s/public/pickup", qdir);
        trigger(pick);
    }
out:
    buf_fini(&file);
    buf_fini(&content);
    queue_env_fini(&env);
    mem_free(sender);
    mem_free(fullname);
    mem_free(qdir);
    return rc;
}
