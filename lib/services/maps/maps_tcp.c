/*
 * maps_tcp - tcp:host:port, Postfix's dict_tcp (tcp_table(5)): the
 *	request is "get KEY\n" with '%', white space and unprintable bytes
 *	of the key as %XX; the reply one line: "200 VALUE" (found, VALUE
 *	%XX-encoded the same way), "500 ..." (not found), "400 ..." or
 *	anything else (a failure of the lookup: the caller defers). The
 *	connection is kept for the next lookup and made again once when
 *	the server closed it; a server that cannot be reached or does not
 *	answer within 10 seconds (Postfix's dict_tcp I/O timeout) is a
 *	temporary failure, never "not found".
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maps/maps_int.h"

#define TCP_TIMEOUT 10 /* seconds */

struct tcpmap {
    char *endpoint;
    int fd;
};

static void *
tcp_open(const char *name, unsigned flags, char *err, size_t errlen)
{
    const char *colon = strrchr(name, ':');
    struct tcpmap *t;

    (void) flags;
    if (colon == NULL || colon == name || colon[1] == 0) {
        snprintf(err, errlen, "need tcp:host:port");
        return NULL;
    }
    t = mem_calloc(1, sizeof(*t));
    t->endpoint = mem_strdup(name);
    t->fd = -1;
    return t;
}

/* line_done - 1 when in holds a whole line */
static int
line_done(const struct buf *in)
{
    return in->len && memchr(in->data, '\n', in->len) ? 1 : 0;
}

/* quote - Postfix's hex_quote: '%', white space and unprintable as %XX */
static void
quote(struct buf *b, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char) *s;

        if (c != '%' && !isspace(c) && isprint(c))
            (void) buf_putc(b, c);
        else
            (void) buf_printf(b, "%%%02X", c);
    }
}

/* unquote - Postfix's hex_unquote: %XX back; -1 for a bad %XX */
static int
unquote(struct buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '%') {
            char hex[3] = {0, 0, 0};

            if (!isxdigit((unsigned char) s[1]) ||
                !isxdigit((unsigned char) s[2]))
                return -1;
            hex[0] = s[1];
            hex[1] = s[2];
            (void) buf_putc(b, (int) strtol(hex, NULL, 16));
            s += 2;
        } else {
            (void) buf_putc(b, *s);
        }
    }
    return 0;
}

static enum maps_result
tcp_find(void *h, const char *key, struct buf *out, char *err, size_t errlen)
{
    struct tcpmap *t = h;
    struct buf req, in;
    enum maps_result r = MAPS_ERROR;
    int rc = -2;

    buf_init(&req, 0);
    buf_init(&in, 0);
    (void) buf_puts(&req, "get ");
    quote(&req, key);
    (void) buf_putc(&req, '\n');
    for (int attempt = 0; attempt < 2 && rc == -2; attempt++) {
        if (t->fd < 0 && (t->fd = maps_net_connect(t->endpoint, TCP_TIMEOUT,
                                                   err, errlen)) < 0)
            break;
        rc = maps_net_io(t->fd, req.data, req.len, &in, line_done, TCP_TIMEOUT,
                         err, errlen);
        if (rc < 0) {
            (void) close(t->fd);
            t->fd = -1;
        }
    }
    if (rc == 0) {
        char *reply = mem_strdup(buf_str(&in));

        reply[strcspn(reply, "\r\n")] = 0;
        if (strncmp(reply, "200 ", 4) == 0) {
            if (unquote(out, reply + 4) == 0)
                r = MAPS_FOUND;
            else
                snprintf(err, errlen, "tcp server %s: bad %%XX in reply: %s",
                         t->endpoint, reply);
        } else if (strncmp(reply, "500", 3) == 0 &&
                   (reply[3] == ' ' || reply[3] == 0)) {
            r = MAPS_NOTFOUND;
        } else {
            snprintf(err, errlen, "tcp server %s reports: %s", t->endpoint,
                     reply);
        }
        if (r != MAPS_FOUND)
            buf_truncate(out, 0);
        mem_free(reply);
    }
    buf_fini(&req);
    buf_fini(&in);
    return r;
}

static void
tcp_close(void *h)
{
    struct tcpmap *t = h;

    if (t->fd >= 0)
        (void) close(t->fd);
    mem_free(t->endpoint);
    mem_free(t);
}

static int
tcp_check(const char *name, char *why, size_t len)
{
    void *h = tcp_open(name, 0, why, len);

    if (h == NULL)
        return -1;
    tcp_close(h);
    return 0;
}

/* keys as given: Postfix folds them only with DICT_FLAG_FOLD_MUL, which
 * neither postmap -q nor the daemons' tables set */
const struct maps_driver maps_drv_tcp = {
    "tcp", MAPS_DRV_RAWKEY, tcp_open, tcp_find, tcp_close, tcp_check,
};
