/*
 * log - one API for diagnostics, with pluggable outputs.
 *
 * DESCRIPTION
 *	As Postfix's msg(3) and msg_output(3): log_warn() and its siblings
 *	format a message once and hand the text to every installed output.
 *	The default output is stderr in msg_warn()'s format, "progname:
 *	warning: text"; the CLI sets progname from argv[0] so that, invoked
 *	as postconf, its messages read as postconf's. A daemon's
 *	maillog_open() (lib/base/maillog) installs the maillog as output in
 *	its place, so a library's warning in a daemon becomes a maillog
 *	line "postfix/smtpd[pid]: warning: text".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

#define LOG_OUTPUTS 4

static const char *progname = "postern";
static void (*fatal_hook)(void);
static unsigned warn_count;
static int fatal_status = 1;
static int quiet;
static int no_stdout_flush;
static log_output_fn *outputs[LOG_OUTPUTS] = {log_output_stderr};
static _Thread_local int busy; /* an output that logs does not recurse */

void
log_output_add(log_output_fn *fn)
{
    for (int i = 0; i < LOG_OUTPUTS; i++)
        if (outputs[i] == fn)
            return;
    for (int i = 0; i < LOG_OUTPUTS; i++)
        if (outputs[i] == NULL) {
            outputs[i] = fn;
            return;
        }
    log_panic("log_output_add: more than %d outputs", LOG_OUTPUTS);
}

void
log_output_remove(log_output_fn *fn)
{
    for (int i = 0; i < LOG_OUTPUTS; i++)
        if (outputs[i] == fn)
            outputs[i] = NULL;
}

const char *
log_level_name(enum log_level level)
{
    switch (level) {
    case LOG_LEVEL_INFO:
        return NULL;
    case LOG_LEVEL_WARN:
        return "warning";
    case LOG_LEVEL_ERROR:
        return "error";
    case LOG_LEVEL_FATAL:
        return "fatal";
    case LOG_LEVEL_PANIC:
        return "panic";
    }
    return "panic";
}

void
log_set_stdout_flush(int on)
{
    no_stdout_flush = !on;
}

void
log_set_fatal_status(int status)
{
    fatal_status = status;
}

void
log_set_quiet(int on)
{
    quiet = on;
}

void
log_set_progname(const char *name)
{
    progname = name;
}

const char *
log_progname(void)
{
    return progname;
}

void
log_set_fatal_hook(void (*fn)(void))
{
    fatal_hook = fn;
}

unsigned
log_warn_count(void)
{
    return warn_count;
}

void
log_output_stderr(enum log_level level, const char *prog, const char *text)
{
    const char *name = log_level_name(level);
    char *shown = mem_strdup(text);

    /* Postfix's msg(3) shows only printable ASCII; the rest becomes '?'. */
    for (char *p = shown; *p; p++)
        if ((unsigned char) *p < 0x20 || (unsigned char) *p > 0x7e)
            *p = '?';
    if (!no_stdout_flush)
        fflush(stdout);
    if (name)
        fprintf(stderr, "%s: %s: %s\n", prog, name, shown);
    else
        fprintf(stderr, "%s: %s\n", prog, shown);
    fflush(stderr);
    mem_free(shown);
}

void
log_vmsg(const char *prog, enum log_level level, const char *fmt, va_list ap)
{
    int saved = errno;
    char line[4096];
    const char *text = line;
    struct buf b;
    va_list ap2;
    int n;

    if (level == LOG_LEVEL_WARN || level == LOG_LEVEL_ERROR)
        warn_count++;
    if (quiet && (level == LOG_LEVEL_INFO || level == LOG_LEVEL_WARN))
        return;
    if (busy)
        return;
    busy = 1;
    /* one vsnprintf (no allocation between two: %m is errno's text) */
    buf_init(&b, 0);
    va_copy(ap2, ap);
    n = vsnprintf(line, sizeof(line), fmt, ap2);
    va_end(ap2);
    if (n < 0)
        line[0] = 0;
    else if ((size_t) n >= sizeof(line)) {
        errno = saved;
        (void) buf_vprintf(&b, fmt, ap);
        text = buf_str(&b);
    }
    for (int i = 0; i < LOG_OUTPUTS; i++)
        if (outputs[i])
            outputs[i](level, prog ? prog : progname, text);
    buf_fini(&b);
    busy = 0;
    errno = saved;
}

void
log_msg(const char *prog, enum log_level level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vmsg(prog, level, fmt, ap);
    va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vmsg(NULL, LOG_LEVEL_WARN, fmt, ap);
    va_end(ap);
}

void
log_error(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vmsg(NULL, LOG_LEVEL_ERROR, fmt, ap);
    va_end(ap);
}

void
log_info(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vmsg(NULL, LOG_LEVEL_INFO, fmt, ap);
    va_end(ap);
}

void
log_fatal(const char *fmt, ...)
{
    va_list ap;

    if (fatal_hook)
        fatal_hook();
    va_start(ap, fmt);
    log_vmsg(NULL, LOG_LEVEL_FATAL, fmt, ap);
    va_end(ap);
    exit(fatal_status);
}

void
log_panic(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vmsg(NULL, LOG_LEVEL_PANIC, fmt, ap);
    va_end(ap);
    abort();
}
