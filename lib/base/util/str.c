/*
 * str - small string, file and clock helpers.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"

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
    int fd, rc, saved;

    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return -1;
    rc = util_read_fd(fd, limit, out, lenp);
    saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

int
util_read_fd(int fd, size_t limit, char **out, size_t *lenp)
{
    struct buf b;
    char chunk[65536];
    ssize_t n;
    int saved;

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
    if (lenp)
        *lenp = b.len;
    *out = buf_steal(&b);
    return 0;
fail:
    saved = errno;
    buf_fini(&b);
    errno = saved;
    return -1;
}

long long
util_monotonic_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

size_t
str_distance(const char *a, const char *b, size_t limit)
{
    size_t la = strlen(a), lb = strlen(b), i, j, best;
    size_t *prev2, *prev, *cur, *tmp, d;

    if ((la > lb ? la - lb : lb - la) > limit)
        return limit + 1;
    prev2 = mem_calloc(lb + 1, sizeof(size_t));
    prev = mem_calloc(lb + 1, sizeof(size_t));
    cur = mem_calloc(lb + 1, sizeof(size_t));
    for (j = 0; j <= lb; j++)
        prev[j] = j;
    for (i = 1; i <= la; i++) {
        cur[0] = best = i;
        for (j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;

            d = prev[j] + 1;
            if (cur[j - 1] + 1 < d)
                d = cur[j - 1] + 1;
            if (prev[j - 1] + cost < d)
                d = prev[j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
                a[i - 2] == b[j - 1] && prev2[j - 2] + 1 < d)
                d = prev2[j - 2] + 1;
            cur[j] = d;
            if (d < best)
                best = d;
        }
        if (best > limit) {
            d = limit + 1;
            goto out;
        }
        tmp = prev2;
        prev2 = prev;
        prev = cur;
        cur = tmp;
    }
    d = prev[lb] > limit ? limit + 1 : prev[lb];
out:
    mem_free(prev2);
    mem_free(prev);
    mem_free(cur);
    return d;
}

int
util_rm_tree_at(int dfd, const char *name)
{
    struct stat st;
    int fd, rc = 0;
    DIR *d;
    struct dirent *de;

    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode))
        return unlinkat(dfd, name, 0);
    fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if ((d = fdopendir(fd)) == NULL) {
        (void) close(fd);
        return -1;
    }
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
            util_rm_tree_at(dirfd(d), de->d_name) < 0)
            rc = -1;
    (void) closedir(d);
    if (unlinkat(dfd, name, AT_REMOVEDIR) < 0)
        rc = -1;
    return rc;
}
