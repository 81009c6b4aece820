/*
 * log - diagnostics on stderr in Postfix's msg_warn() format.
 *
 * DESCRIPTION
 *	"progname: warning: text". The CLI sets progname from argv[0] so
 *	that, invoked as postconf, its messages read as postconf's.
 *	Daemon logging (syslog, maillog format) is lib/maillog's job.
 */
#include "util/util.h"

#include <stdio.h>
#include <stdlib.h>

static const char *progname = "postern";
static void (*fatal_hook)(void);
static unsigned warn_count;
static int fatal_status = 1;
static int quiet;

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
    fflush(stdout);
    if (level)
        fprintf(stderr, "%s: %s: ", progname, level);
    else
        fprintf(stderr, "%s: ", progname);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    fflush(stderr);
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
