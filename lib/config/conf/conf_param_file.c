/*
 * conf_param_file - a parameter value kept in a file (Debian's
 *	"myorigin = /etc/mailname").
 *
 * DESCRIPTION
 *	As Postfix's read_param_from_file() (global/mail_params.c, built
 *	with MYORIGIN_FROM_FILE as Debian builds it): the first line of the
 *	file with white space trimmed at both ends; the rest of the file
 *	is ignored. The file is opened as Postfix's safe_open() opens an
 *	existing file: it must have one link (a directory has at least two).
 *
 * DIAGNOSTICS
 *	NULL with Postfix's reason in why: "PATH: cannot open file: ERROR",
 *	"PATH: file has N hard links", "PATH: read error: ERROR". An empty
 *	value is returned as "": the caller words that error, as Postfix
 *	does ("myorigin file PATH is empty").
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"

char *
conf_param_file(const char *path, struct buf *why)
{
    struct stat st;
    struct buf line;
    char chunk[512];
    ssize_t n;
    int fd, done = 0;
    const char *s, *e;
    char *value;

    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        buf_printf(why, "%s: cannot open file: %s", path, strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) < 0) {
        buf_printf(why, "%s: bad open file status: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    if (st.st_nlink > 1) {
        buf_printf(why, "%s: file has %lu hard links", path,
                   (unsigned long) st.st_nlink);
        close(fd);
        return NULL;
    }
    buf_init(&line, 0);
    /* The first line only: stop at its newline, however long the file. */
    while (!done && (n = read(fd, chunk, sizeof(chunk))) != 0) {
        char *nl;

        if (n < 0) {
            if (errno == EINTR)
                continue;
            buf_printf(why, "%s: read error: %s", path, strerror(errno));
            buf_fini(&line);
            close(fd);
            return NULL;
        }
        if ((nl = memchr(chunk, '\n', (size_t) n)) != NULL) {
            n = nl - chunk;
            done = 1;
        }
        buf_append(&line, chunk, (size_t) n);
    }
    close(fd);
    s = buf_str(&line);
    while (isspace((unsigned char) *s))
        s++;
    for (e = s + strlen(s); e > s && isspace((unsigned char) e[-1]); e--)
        continue;
    value = mem_strndup(s, (size_t) (e - s));
    buf_fini(&line);
    return value;
}
