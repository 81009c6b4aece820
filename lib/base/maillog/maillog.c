/*
 * maillog - daemon logging in Postfix's maillog format.
 *
 * DESCRIPTION
 *	See maillog.h. Lines longer than MAILLOG_MAX are cut (as syslog
 *	would); newlines in the text are replaced by spaces so one event is
 *	one line.
 *
 * BUGS
 *	No postlogd: each process appends to maillog_file itself, which is
 *	fine for a local file but not for a file that needs rotation
 *	signals (reopen on SIGHUP is not implemented).
 */
#include "maillog/maillog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define MAILLOG_MAX 4000

static char ident[128] = "postfix";
static char host[128] = "localhost";
static int log_fd = -1;
static int use_syslog = 1;
static int to_stderr;
static long my_pid;
static char prefix[400]; /* line prefix of prefix_sec, see maillog_output */
static int prefix_len;
static time_t prefix_sec = -1;
static long prefix_pid;

/* lines held for one write (maillog_hold), file logging only */
static struct {
    int on;
    char *buf;
    size_t len, cap;
} held;

static void maillog_output(enum log_level level, const char *prog,
                           const char *text);

void
maillog_open(const char *id, const char *file, const char *myhost)
{
    const char *dot;
    size_t n;

    snprintf(ident, sizeof(ident), "%s", id && *id ? id : "postfix");
    my_pid = (long) getpid();
    held.len = 0; /* a parent's lines are its own to write */
    prefix_sec = -1;
    if (myhost && *myhost) {
        dot = strchr(myhost, '.');
        n = dot ? (size_t) (dot - myhost) : strlen(myhost);
        if (n >= sizeof(host))
            n = sizeof(host) - 1;
        memcpy(host, myhost, n);
        host[n] = 0;
    }
    if (log_fd >= 0)
        (void) close(log_fd);
    log_fd = -1;
    if (file && *file) {
        use_syslog = 0;
        log_fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (log_fd < 0)
            log_msg(ident, LOG_LEVEL_WARN, "open %s: %s", file,
                    strerror(errno));
    } else {
        use_syslog = 1;
        closelog();
        openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
    }
    /* the maillog takes stderr's place (maillog_set_stderr copies) */
    log_output_add(maillog_output);
    log_output_remove(log_output_stderr);
}

void
maillog_close(void)
{
    maillog_flush();
    log_output_remove(maillog_output);
    log_output_add(log_output_stderr);
}

void
maillog_set_stderr(int on)
{
    to_stderr = on;
}

const char *
maillog_ident(void)
{
    return ident;
}

/* maillog_output - the log API's output (lib/base/util/log.c) while the
 * maillog is open; prog is not shown, the ident is */
static void
maillog_output(enum log_level level, const char *prog, const char *text_in)
{
    const char *severity = log_level_name(level);
    char text[MAILLOG_MAX];
    char line[MAILLOG_MAX + 300];
    int saved = errno;
    int n;

    (void) prog;
    snprintf(text, sizeof(text), "%s", text_in);
    for (char *p = text; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    if (to_stderr)
        fprintf(stderr, "%s: %s%s%s\n", ident, severity ? severity : "",
                severity ? ": " : "", text);
    if (use_syslog) {
        int pri = !severity                          ? LOG_INFO
                  : strcmp(severity, "warning") == 0 ? LOG_WARNING
                  : strcmp(severity, "error") == 0   ? LOG_ERR
                                                     : LOG_CRIT;

        if (severity)
            syslog(pri, "%s: %s", severity, text);
        else
            syslog(pri, "%s", text);
    } else if (log_fd >= 0) {
        /*
         * "Mon dd hh:mm:ss host ident[pid]: " changes once a second: it is
         * formatted then, not for every line (several lines per message).
         */
        long pid = my_pid ? my_pid : (long) getpid();
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        if (ts.tv_sec != prefix_sec || pid != prefix_pid) {
            struct tm tm;
            char stamp[32];

            localtime_r(&ts.tv_sec, &tm);
            strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm);
            prefix_len = snprintf(prefix, sizeof(prefix),
                                  "%s %s %s[%ld]: ", stamp, host, ident, pid);
            if (prefix_len < 0 || prefix_len >= (int) sizeof(prefix))
                prefix_len = (int) strlen(prefix);
            prefix_sec = ts.tv_sec;
            prefix_pid = pid;
        }
        memcpy(line, prefix, (size_t) prefix_len);
        n = prefix_len;
        n += snprintf(line + n, sizeof(line) - (size_t) n, "%s%s%s\n",
                      severity ? severity : "", severity ? ": " : "", text);
        if (n > (int) sizeof(line) - 1)
            n = (int) sizeof(line) - 1;
        if (n > 0 && held.on) {
            if (held.len + (size_t) n > held.cap) {
                held.cap = held.len + (size_t) n + 16384;
                held.buf = mem_realloc(held.buf, held.cap);
            }
            memcpy(held.buf + held.len, line, (size_t) n);
            held.len += (size_t) n;
            /* trouble is never held back, nor much text */
            if (severity || held.len >= 16384)
                maillog_flush();
        } else if (n > 0 && write(log_fd, line, (size_t) n) < 0) {
            /* Nowhere left to report it. */
        }
    } else if (!to_stderr) {
        /* maillog_file could not be opened: stderr, which master copies
         * into its own maillog (a daemon's stderr, master_stderr.c) */
        n = snprintf(line, sizeof(line), "%s%s%s\n", severity ? severity : "",
                     severity ? ": " : "", text);
        if (n > (int) sizeof(line) - 1)
            n = (int) sizeof(line) - 1;
        if (n > 0 && write(2, line, (size_t) n) < 0) {
            /* Nowhere left to report it. */
        }
    }
    errno = saved;
}

void
maillog_relay(const char *id, long pid, const char *text)
{
    char saved_ident[sizeof(ident)];
    long saved_pid = my_pid;
    int pri =
        strncmp(text, "fatal: ", 7) == 0 || strncmp(text, "panic: ", 7) == 0
            ? LOG_CRIT
        : strncmp(text, "error: ", 7) == 0   ? LOG_ERR
        : strncmp(text, "warning: ", 9) == 0 ? LOG_WARNING
                                             : LOG_INFO;

    if (use_syslog) {
        char tag[sizeof(ident) + 32];

        /* syslog(3) prints its caller's pid: name the daemon's in the tag */
        snprintf(tag, sizeof(tag), "%s[%ld]", id, pid);
        closelog();
        openlog(tag, LOG_NDELAY, LOG_MAIL);
        syslog(pri, "%s", text);
        closelog();
        openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
        return;
    }
    memcpy(saved_ident, ident, sizeof(ident));
    snprintf(ident, sizeof(ident), "%s", id);
    my_pid = pid;
    prefix_sec = -1;
    maillog_output(LOG_LEVEL_INFO, NULL, text);
    memcpy(ident, saved_ident, sizeof(ident));
    my_pid = saved_pid;
    prefix_sec = -1;
}

void
maillog_flush(void)
{
    if (held.len && log_fd >= 0 && write(log_fd, held.buf, held.len) < 0) {
        /* Nowhere left to report it. */
    }
    held.len = 0;
}

void
maillog_hold(int on)
{
    static int registered;

    if (!on)
        maillog_flush();
    else if (!registered && atexit(maillog_flush) == 0)
        registered = 1;
    held.on = on && registered;
}

const char *
maillog_delay_fmt(double d, char *out, unsigned size)
{
    if (d < 0)
        d = 0;
    /* Two significant decimals below 10 s, whole seconds above, no
     * trailing zeros: what Postfix's delay_logging_resolution_limit
     * of 2 prints. */
    if (d >= 10)
        snprintf(out, size, "%.0f", d);
    else {
        char *p;

        snprintf(out, size, "%.2f", d);
        p = out + strlen(out) - 1;
        while (p > out && *p == '0')
            *p-- = 0;
        if (*p == '.')
            *p = 0;
    }
    return out;
}

void
maillog_delivery(const struct maillog_delivery *d)
{
    char a[16], b[16], c[16], e[16], t[16];
    char orig[1200] = "";

    if (d->orig_to && *d->orig_to && strcmp(d->orig_to, d->to) != 0)
        snprintf(orig, sizeof(orig), "orig_to=<%s>, ", d->orig_to);
    log_info("%s: to=<%s>, %srelay=%s, delay=%s, delays=%s/%s/%s/%s, "
             "dsn=%s, status=%s (%s)",
             d->id, d->to, orig, d->relay,
             maillog_delay_fmt(d->delay, t, sizeof(t)),
             maillog_delay_fmt(d->delays[0], a, sizeof(a)),
             maillog_delay_fmt(d->delays[1], b, sizeof(b)),
             maillog_delay_fmt(d->delays[2], c, sizeof(c)),
             maillog_delay_fmt(d->delays[3], e, sizeof(e)), d->dsn, d->status,
             d->text);
}

void
maillog_reject(const char *id, const char *action, const char *stage,
               const char *client, const char *reply, const char *from,
               const char *to, const char *proto, const char *helo)
{
    char tail[2400] = "";
    size_t n = 0;

    if (from)
        n += (size_t) snprintf(tail + n, sizeof(tail) - n, " from=<%s>", from);
    if (to && n < sizeof(tail))
        n += (size_t) snprintf(tail + n, sizeof(tail) - n, " to=<%s>", to);
    if (proto && n < sizeof(tail))
        n += (size_t) snprintf(tail + n, sizeof(tail) - n, " proto=%s", proto);
    if (helo && *helo && n < sizeof(tail))
        snprintf(tail + n, sizeof(tail) - n, " helo=<%s>", helo);
    log_info("%s: %s: %s from %s: %s;%s", id ? id : "NOQUEUE", action, stage,
             client, reply, tail);
}
