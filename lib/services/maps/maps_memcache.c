/*
 * maps_memcache - memcache: tables, Postfix's memcache_table(5).
 *
 * DESCRIPTION
 *	memcache:/path/file.cf reads its settings from the file
 *	(maps_ldap_cf.c): memcache (inet:host:port or unix:/path, default
 *	inet:localhost:11211), backup (a table searched when the cache has
 *	no answer; what it finds is stored in the cache), key_format (with
 *	%s %u %d %1..%9, no quoting), domain, ttl, flags, data_size_limit,
 *	line_size_limit, max_try, retry_pause and timeout. The client speaks
 *	memcached's text protocol (get, set, delete) on one connection kept
 *	for the next lookup and opened again after an I/O error.
 *
 * DIAGNOSTICS
 *	A cache that cannot be reached, without a backup table: MAPS_ERROR
 *	(a temporary failure). With a backup table the answer is the
 *	backup's, as in Postfix.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "maps/maps_int.h"
#include "maps/maps_ldap_cf.h"

struct mctab {
    struct maps_ldcf *cf;
    struct maps_ldx *x;
    char *title;
    const char *endpoint, *key_format;
    int timeout, ttl, mc_flags, pause, max_try, max_line, max_data;
    struct maps *backup;
    int fd;
    char rbuf[4096];
    size_t rpos, rlen;
    struct buf key, line;
    char why[300];
};

static const char *const known[] = {
    "memcache", "backup",      "key_format",      "domain",
    "ttl",      "flags",       "data_size_limit", "line_size_limit",
    "max_try",  "retry_pause", "timeout",         NULL,
};

static void
mc_close(struct mctab *t)
{
    if (t->fd >= 0)
        (void) close(t->fd);
    t->fd = -1;
    t->rpos = t->rlen = 0;
}

/* wait_fd - poll for events within the timeout; 0, or -1 */
static int
wait_fd(struct mctab *t, int events)
{
    struct pollfd p = {t->fd, (short) events, 0};
    int rc;

    do
        rc = poll(&p, 1, t->timeout > 0 ? t->timeout * 1000 : -1);
    while (rc < 0 && errno == EINTR);
    if (rc == 0)
        errno = ETIMEDOUT;
    return rc > 0 ? 0 : -1;
}

/* connect_to - a nonblocking connect to one address within the timeout */
static int
connect_to(struct mctab *t, const struct sockaddr *sa, socklen_t len)
{
    int err = 0;
    socklen_t el = sizeof(err);

    if ((t->fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
        return -1;
    (void) fcntl(t->fd, F_SETFL, O_NONBLOCK);
    if (connect(t->fd, sa, len) == 0)
        return 0;
    if (errno != EINPROGRESS || wait_fd(t, POLLOUT) < 0 ||
        getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) {
        if (err)
            errno = err;
        err = errno;
        mc_close(t);
        errno = err;
        return -1;
    }
    return 0;
}

/* mc_connect - the connection, opened when there is none; 0 or -1 */
static int
mc_connect(struct mctab *t)
{
    const char *ep = t->endpoint;

    if (t->fd >= 0)
        return 0;
    if (strncmp(ep, "unix:", 5) == 0) {
        struct sockaddr_un sun = {.sun_family = AF_UNIX};

        if (strlen(ep + 5) >= sizeof(sun.sun_path)) {
            errno = ENAMETOOLONG;
        } else {
            memcpy(sun.sun_path, ep + 5, strlen(ep + 5) + 1);
            if (connect_to(t, (struct sockaddr *) &sun, sizeof(sun)) == 0)
                return 0;
        }
    } else {
        char *host = mem_strdup(strncmp(ep, "inet:", 5) == 0 ? ep + 5 : ep);
        char *port = strrchr(host, ':');
        struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
        int rc;

        if (port)
            *port++ = 0;
        if (*host == '[' && host[strlen(host) - 1] == ']') {
            host[strlen(host) - 1] = 0;
            memmove(host, host + 1, strlen(host));
        }
        rc = getaddrinfo(*host ? host : "localhost", port ? port : "11211",
                         &hints, &ai);
        mem_free(host);
        if (rc != 0) {
            snprintf(t->why, sizeof(t->why), "connect to %s: %s", ep,
                     gai_strerror(rc));
            return -1;
        }
        for (struct addrinfo *a = ai; a; a = a->ai_next)
            if (connect_to(t, a->ai_addr, a->ai_addrlen) == 0) {
                freeaddrinfo(ai);
                return 0;
            }
        freeaddrinfo(ai);
    }
    snprintf(t->why, sizeof(t->why), "connect to %s: %s", ep, strerror(errno));
    return -1;
}

/* mc_write - the whole of s; 0 or -1 */
static int
mc_write(struct mctab *t, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = send(t->fd, s, n, MSG_NOSIGNAL);

        if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (wait_fd(t, POLLOUT) < 0)
                return -1;
            continue;
        }
        if (w <= 0)
            return -1;
        s += w;
        n -= (size_t) w;
    }
    return 0;
}

/* mc_getc - the next byte of the reply, or -1 */
static int
mc_getc(struct mctab *t)
{
    while (t->rpos == t->rlen) {
        ssize_t r = recv(t->fd, t->rbuf, sizeof(t->rbuf), 0);

        if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (wait_fd(t, POLLIN) < 0)
                return -1;
            continue;
        }
        if (r <= 0) {
            if (r == 0)
                errno = 0;
            return -1;
        }
        t->rpos = 0;
        t->rlen = (size_t) r;
    }
    return (unsigned char) t->rbuf[t->rpos++];
}

/* mc_line - one reply line without its CRLF into t->line; 0, or -1 (I/O,
 * or longer than line_size_limit) */
static int
mc_line(struct mctab *t)
{
    int c;

    buf_truncate(&t->line, 0);
    while ((c = mc_getc(t)) >= 0 && c != '\n') {
        if ((int) t->line.len >= t->max_line)
            return -1;
        (void) buf_putc(&t->line, c);
    }
    if (c < 0)
        return -1;
    if (t->line.len && buf_str(&t->line)[t->line.len - 1] == '\r')
        buf_truncate(&t->line, t->line.len - 1);
    return 0;
}

/* mc_cmd - send a command line (and data), read the reply line */
static int
mc_cmd(struct mctab *t, const char *cmd, const char *data)
{
    struct buf b;
    int rc;

    buf_init(&b, 0);
    (void) buf_printf(&b, "%s\r\n", cmd);
    if (data)
        (void) buf_printf(&b, "%s\r\n", data);
    rc = mc_write(t, buf_str(&b), b.len) < 0 ? -1 : mc_line(t);
    buf_fini(&b);
    return rc;
}

/* io_error - after a failed try: the reason, and a fresh connection next */
static void
io_error(struct mctab *t, int count, const char *what)
{
    if (count > 0)
        log_warn("database %s: %s", t->title, what);
    snprintf(t->why, sizeof(t->why), "database %s: %s", t->title, what);
    mc_close(t);
}

/* mc_get - the cached value of t->key into out: 1 found, 0 not, -1 error */
static int
mc_get(struct mctab *t, struct buf *out)
{
    char cmd[600];

    snprintf(cmd, sizeof(cmd), "get %s", buf_str(&t->key));
    for (int count = 0; count < t->max_try; count++) {
        long todo;
        int c = 0;

        if (count > 0)
            (void) sleep((unsigned) t->pause);
        if (mc_connect(t) < 0)
            return -1;
        if (mc_cmd(t, cmd, NULL) < 0) {
            io_error(t, count, "I/O error");
            continue;
        }
        if (strcmp(buf_str(&t->line), "END") == 0)
            return 0;
        if (sscanf(buf_str(&t->line), "VALUE %*s %*s %ld", &todo) != 1 ||
            todo < 0 || todo > t->max_data) {
            io_error(t, count, "unexpected memcache server reply");
            continue;
        }
        buf_truncate(out, 0);
        for (long i = 0; i < todo && (c = mc_getc(t)) >= 0; i++)
            (void) buf_putc(out, c);
        if (c < 0 || mc_line(t) < 0 || t->line.len != 0) {
            io_error(t, count, "EOF receiving memcache server reply");
            continue;
        }
        if (mc_line(t) < 0 || strcmp(buf_str(&t->line), "END") != 0)
            mc_close(t);
        return 1;
    }
    return -1;
}

/* mc_set - store value under t->key; 0 or -1 */
static int
mc_set(struct mctab *t, const char *value)
{
    char cmd[700];
    size_t len = strlen(value);

    if ((long) len > t->max_data) {
        log_warn("database %s: data for key %s is too long "
                 "(data_size_limit=%d) -- not stored",
                 t->title, buf_str(&t->key), t->max_data);
        return -1;
    }
    snprintf(cmd, sizeof(cmd), "set %s %d %d %zu", buf_str(&t->key),
             t->mc_flags, t->ttl, len);
    for (int count = 0; count < t->max_try; count++) {
        if (count > 0)
            (void) sleep((unsigned) t->pause);
        if (mc_connect(t) < 0)
            return -1;
        if (mc_cmd(t, cmd, value) < 0)
            io_error(t, count, "I/O error");
        else if (strcmp(buf_str(&t->line), "STORED") != 0)
            io_error(t, count, "update failed");
        else
            return 0;
    }
    return -1;
}

/* mc_del - remove t->key: 0 deleted, 1 was not there, -1 error */
static int
mc_del(struct mctab *t)
{
    char cmd[600];

    snprintf(cmd, sizeof(cmd), "delete %s", buf_str(&t->key));
    for (int count = 0; count < t->max_try; count++) {
        if (count > 0)
            (void) sleep((unsigned) t->pause);
        if (mc_connect(t) < 0)
            return -1;
        if (mc_cmd(t, cmd, NULL) < 0)
            io_error(t, count, "I/O error");
        else if (strcmp(buf_str(&t->line), "DELETED") == 0)
            return 0;
        else if (strcmp(buf_str(&t->line), "NOT_FOUND") == 0)
            return 1;
        else
            io_error(t, count, "delete failed");
    }
    return -1;
}

/* valid_key - the memcache key of key in t->key; 0 when key cannot be
 * there (empty, another domain, white space), -1 a domain list error */
static int
valid_key(struct mctab *t, const char *key)
{
    int d;

    if (*key == 0)
        return 0;
    if ((d = maps_ldx_domain(t->x, key)) <= 0)
        return d;
    buf_truncate(&t->key, 0);
    if (strcmp(t->key_format, "%s") == 0)
        (void) buf_puts(&t->key, key);
    else if (!maps_ldx_expand(t->x, t->key_format, key, NULL, &t->key, NULL))
        return 0;
    if (t->key.len == 0)
        return 0;
    for (const char *p = buf_str(&t->key); *p; p++)
        if ((unsigned char) *p < 0x80 && isspace((unsigned char) *p))
            return 0;
    return 1;
}

static void mc_tab_close(void *h);

static void *
mc_tab_open(const char *name, unsigned flags, char *err, size_t errlen)
{
    struct mctab *t = mem_calloc(1, sizeof(*t));
    char title[300];
    const char *backup;

    t->fd = -1;
    buf_init(&t->key, 0);
    buf_init(&t->line, 0);
    snprintf(title, sizeof(title), "memcache:%s", name);
    t->title = mem_strdup(title);
    if ((t->cf = maps_ldcf_load(name, err, errlen)) == NULL)
        goto bad;
    t->key_format = maps_ldcf_str(t->cf, "key_format", "%s");
    t->endpoint = maps_ldcf_str(t->cf, "memcache", "inet:localhost:11211");
    if (maps_ldcf_int(t->cf, "timeout", 2, 0, 0, &t->timeout, err, errlen) <
            0 ||
        maps_ldcf_int(t->cf, "ttl", 3600, 0, 0, &t->ttl, err, errlen) < 0 ||
        maps_ldcf_int(t->cf, "flags", 0, 0, 0, &t->mc_flags, err, errlen) < 0 ||
        maps_ldcf_int(t->cf, "retry_pause", 1, 1, 0, &t->pause, err, errlen) <
            0 ||
        maps_ldcf_int(t->cf, "max_try", 2, 1, 0, &t->max_try, err, errlen) <
            0 ||
        maps_ldcf_int(t->cf, "line_size_limit", 1024, 1, 0, &t->max_line, err,
                      errlen) < 0 ||
        maps_ldcf_int(t->cf, "data_size_limit", 10240, 1, 0, &t->max_data, err,
                      errlen) < 0)
        goto bad;
    t->x = maps_ldx_new(t->title, maps_ldcf_str(t->cf, "domain", ""));
    if (maps_ldx_parse(t->x, t->key_format, 1, err, errlen) < 0)
        goto bad;
    if ((backup = maps_ldcf_str(t->cf, "backup", NULL)) != NULL && *backup)
        t->backup = maps_new(t->title, backup, flags);
    return t;
bad:
    mc_tab_close(t);
    return NULL;
}

static void
mc_tab_close(void *h)
{
    struct mctab *t = h;

    mc_close(t);
    if (t->backup)
        maps_free(t->backup);
    maps_ldx_free(t->x);
    maps_ldcf_free(t->cf);
    buf_fini(&t->key);
    buf_fini(&t->line);
    mem_free(t->title);
    mem_free(t);
}

static enum maps_result
mc_tab_find(void *h, const char *key, struct buf *out, char *err, size_t errlen)
{
    struct mctab *t = h;
    const char *v;
    enum maps_result r;
    int rc;

    t->why[0] = 0;
    if ((rc = valid_key(t, key)) <= 0) {
        if (rc < 0)
            snprintf(err, errlen, "%s: domain list lookup failed", t->title);
        return rc < 0 ? MAPS_ERROR : MAPS_NOTFOUND;
    }
    rc = mc_get(t, out);
    if (rc == 1)
        return MAPS_FOUND;
    if (t->backup == NULL) {
        if (rc < 0)
            snprintf(err, errlen, "%s", t->why[0] ? t->why : "lookup error");
        return rc < 0 ? MAPS_ERROR : MAPS_NOTFOUND;
    }
    /* the backup answers; what it finds goes into the cache */
    r = maps_find(t->backup, key, &v);
    if (r == MAPS_FOUND) {
        buf_truncate(out, 0);
        (void) buf_puts(out, v);
        (void) mc_set(t, buf_str(out));
    } else if (r == MAPS_ERROR)
        snprintf(err, errlen, "%s", maps_error(t->backup));
    return r;
}

int
maps_memcache_update(void *h, const char *key, const char *value)
{
    struct mctab *t = h;

    if (valid_key(t, key) <= 0) {
        log_warn("%s: skipping update for name \"%s\"", t->title, key);
        return -1;
    }
    return mc_set(t, value);
}

int
maps_memcache_delete(void *h, const char *key)
{
    struct mctab *t = h;

    if (valid_key(t, key) <= 0)
        return 1;
    return mc_del(t);
}

static int
mc_tab_check(const char *name, char *why, size_t len)
{
    struct maps_ldcf *cf;
    const char *bad;
    void *t;
    int line;

    if ((cf = maps_ldcf_load(name, why, len)) == NULL)
        return -1;
    bad = maps_ldcf_unknown(cf, known, &line);
    if (bad) {
        snprintf(why, len,
                 "%s, line %d: unknown memcache_table(5) setting \"%s\"", name,
                 line, bad);
        maps_ldcf_free(cf);
        return -1;
    }
    maps_ldcf_free(cf);
    if ((t = mc_tab_open(name, 0, why, len)) == NULL)
        return -1;
    /* the backup table must be one that can be searched too */
    if (((struct mctab *) t)->backup) {
        const char *spec =
            maps_ldcf_str(((struct mctab *) t)->cf, "backup", "");
        char r[400];

        line = maps_ldcf_line(((struct mctab *) t)->cf, "backup");
        if (maps_check_table(spec, r, sizeof(r)) < 0) {
            snprintf(why, len, "%s, line %d: backup = %s: %s", name, line, spec,
                     r);
            mc_tab_close(t);
            return -1;
        }
    }
    mc_tab_close(t);
    return 0;
}

const struct maps_driver maps_driver_memcache = {
    .type = "memcache",
    .flags = MAPS_DRV_FILE,
    .open = mc_tab_open,
    .find = mc_tab_find,
    .close = mc_tab_close,
    .check = mc_tab_check,
};
