/*
 * log - diagnostics on stderr in Postfix's msg_warn() format.
 *
 * DESCRIPTION
 *	"progname: warning: text". The CLI sets progname from argv[0] so
 *	that, invoked as postconf, its messages read as postconf's.
 *	Daemon logging (syslog, maillog format) is lib/base/maillog's job.
 */
#include "util/util.h"

#include <stdio.h>
#include <stdlib.h>

static const char *progname = "postern";
static void (*fatal_hook)(void);
static unsigned warn_count;
static int fatal_status = 1;
static int quiet;
static int no_stdout_flush;

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

static void vlog(const char *level, const char *fmt, va_list ap)
    UTIL_PRINTF(2, 0);

static void
vlog(const char *level, const char *fmt, va_list ap)
{
    struct buf b;

    /* Postfix's msg(3) shows only printable ASCII; the rest becomes '?'. */
    buf_init(&b, 0);
    (void) buf_vprintf(&b, fmt, ap);
    for (size_t i = 0; i < b.len; i++)
        if ((unsigned char) b.data[i] < 0x20 || (unsigned char) b.data[i] > 0x7e)
            b.data[i] = '?';
    if (!no_stdout_flush)
        fflush(stdout);
    if (level)
        fprintf(stderr, "%s: %s: %s\n", progname, level, buf_str(&b));
    else
        fprintf(stderr, "%s: %s\n", progname, buf_str(&b));
    fflush(stderr);
    buf_fini(&b);
}

void
log_warn(const char *fmt, ...)
{
    va_list ap;

    warn_count++;
    if (quiet)
        return;
    va_start(ap, fmt);
    vlog("warning", fmt, ap);
    va_end(ap);
}

void
log_error(const char *fmt, ...)
{
    va_list ap;

    warn_count++;
    va_start(ap, fmt);
    vlog("error", fmt, ap);
    va_end(ap);
}

void
log_info(const char *fmt, ...)
{
    va_list ap;

    if (quiet)
        return;
    va_start(ap, fmt);
    vlog(NULL, fmt, ap);
    va_end(ap);
}

void
log_fatal(const char *fmt, ...)
{
    va_list ap;

    if (fatal_hook)
        fatal_hook();
    va_start(ap, fmt);
    vlog("fatal", fmt, ap);
    va_end(ap);
    exit(fatal_status);
}

void
log_panic(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vlog("panic", fmt, ap);
    va_end(ap);
    abort();
}
