/*
 * str - small string and file helpers.
 */
#include "util/util.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

char *
str_trim(char *s)
{
    char *end;

    while (isspace((unsigned char) *s))
        s++;
    end = s + strlen(s);
    while (end > s && isspace((unsigned char) end[-1]))
        *--end = 0;
    return s;
}

int
str_has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

int
str_has_suffix(const char *s, const char *suffix)
{
    size_t ls = strlen(s), lx = strlen(suffix);

    return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

int
util_read_file(const char *path, size_t limit, char **out, size_t *lenp)
{
    struct buf b;
    char chunk[65536];
    ssize_t n;
    int fd, saved;

    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return -1;
    buf_init(&b, limit);
    for (;;) {
        n = read(fd, chunk, sizeof(chunk));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            goto fail;
        }
        if (n == 0)
            break;
        if (buf_append(&b, chunk, (size_t) n) < 0) {
            errno = EFBIG;
            goto fail;
        }
    }
    close(fd);
    if (lenp)
        *lenp = b.len;
    *out = buf_steal(&b);
    return 0;
fail:
    saved = errno;
    close(fd);
    buf_fini(&b);
    errno = saved;
    return -1;
}
