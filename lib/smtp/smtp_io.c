/*
 * smtp_io - buffered SMTP client connection with timeouts and STARTTLS.
 *
 * DESCRIPTION
 *	See smtp_int.h. Commands are queued in a buffer and written when
 *	a reply is awaited, so a pipelined MAIL/RCPT/DATA group leaves in
 *	one write. Timeouts are the socket's SO_RCVTIMEO/SO_SNDTIMEO, set
 *	per stage by the caller.
 */
#define _DEFAULT_SOURCE 1
#include <sys/socket.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "smtp/smtp_int.h"

#define RBUF 16384

struct sconn {
    int fd;
    SSL *ssl;
    char rbuf[RBUF];
    size_t rpos, rlen;
    struct buf wbuf;
    char info[200];
    int timeout; /* what SO_RCVTIMEO/SO_SNDTIMEO hold now, 0: unset */
};

void
smtp_reply_init(struct smtp_reply *r)
{
    memset(r, 0, sizeof(*r));
    buf_init(&r->text, SMTP_REPLY_MAX);
    strv_init(&r->lines);
}

void
smtp_reply_fini(struct smtp_reply *r)
{
    buf_fini(&r->text);
    strv_fini(&r->lines);
}

static int
parse_sockaddr(const char *addr, unsigned port, struct sockaddr_storage *ss,
               socklen_t *len)
{
    struct sockaddr_in *s4 = (struct sockaddr_in *) ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *) ss;

    memset(ss, 0, sizeof(*ss));
    if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t) port);
        *len = sizeof(*s4);
        return AF_INET;
    }
    if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t) port);
        *len = sizeof(*s6);
        return AF_INET6;
    }
    return -1;
}

struct sconn *
sconn_connect(const char *addr, unsigned port, const char *bind_addr,
              int timeout, struct buf *err)
{
    struct sockaddr_storage ss, bs;
    socklen_t len, blen;
    int fam = parse_sockaddr(addr, port, &ss, &len);
    int fd, rc, one = 1;
    struct pollfd p;
    struct sconn *c;

    buf_truncate(err, 0);
    if (fam < 0) {
        (void) buf_printf(err, "bad address %s", addr);
        return NULL;
    }
    fd = socket(fam, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        (void) buf_printf(err, "socket: %s", strerror(errno));
        return NULL;
    }
    if (bind_addr && *bind_addr) {
        if (parse_sockaddr(bind_addr, 0, &bs, &blen) != fam) {
            /* another family: Postfix ignores the setting for it */
        } else if (bind(fd, (struct sockaddr *) &bs, blen) < 0) {
            (void) buf_printf(err, "bind %s: %s", bind_addr, strerror(errno));
            (void) close(fd);
            return NULL;
        }
    }
    rc = connect(fd, (struct sockaddr *) &ss, len);
    if (rc < 0 && errno != EINPROGRESS) {
        (void) buf_puts(err, strerror(errno));
        (void) close(fd);
        return NULL;
    }
    if (rc < 0) {
        int e = 0;
        socklen_t el = sizeof(e);

        p.fd = fd;
        p.events = POLLOUT;
        do
            rc = poll(&p, 1, timeout > 0 ? timeout * 1000 : -1);
        while (rc < 0 && errno == EINTR);
        if (rc == 0) {
            (void) buf_puts(err, "Connection timed out");
            (void) close(fd);
            return NULL;
        }
        if (rc < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0 ||
            e != 0) {
            (void) buf_puts(err, strerror(rc < 0 ? errno : e ? e : EIO));
            (void) close(fd);
            return NULL;
        }
    }
    (void) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    (void) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c = mem_calloc(1, sizeof(*c));
    c->fd = fd;
    buf_init(&c->wbuf, 0);
    return c;
}

void
sconn_free(struct sconn *c)
{
    if (c == NULL)
        return;
    if (c->ssl) {
        (void) SSL_shutdown(c->ssl);
        SSL_free(c->ssl);
    }
    (void) close(c->fd);
    buf_fini(&c->wbuf);
    mem_free(c);
}

int
sconn_fd(const struct sconn *c)
{
    return c->fd;
}

void
sconn_timeout(struct sconn *c, int secs)
{
    struct timeval tv = {secs > 0 ? secs : 300, 0};

    /* Stages often share a timeout: two system calls saved each time. */
    if (c->timeout == tv.tv_sec)
        return;
    c->timeout = (int) tv.tv_sec;
    (void) setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    (void) setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

void
sconn_printf(struct sconn *c, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    (void) buf_vprintf(&c->wbuf, fmt, ap);
    va_end(ap);
    (void) buf_append(&c->wbuf, "\r\n", 2);
}

void
sconn_write(struct sconn *c, const char *p, size_t n)
{
    (void) buf_append(&c->wbuf, p, n);
}

static enum sio_err
io_error(void)
{
    return errno == EAGAIN || errno == EWOULDBLOCK ? SIO_TIMEOUT : SIO_LOST;
}

enum sio_err
sconn_flush(struct sconn *c)
{
    size_t off = 0;

    while (off < c->wbuf.len) {
        size_t n = c->wbuf.len - off;
        ssize_t w;

        if (c->ssl) {
            int r = SSL_write(c->ssl, c->wbuf.data + off,
                              n > INT32_MAX ? INT32_MAX : (int) n);

            if (r <= 0) {
                buf_truncate(&c->wbuf, 0);
                return io_error();
            }
            w = r;
        } else {
            w = send(c->fd, c->wbuf.data + off, n, MSG_NOSIGNAL);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                buf_truncate(&c->wbuf, 0);
                return io_error();
            }
        }
        off += (size_t) w;
    }
    buf_truncate(&c->wbuf, 0);
    return SIO_OK;
}

/* fill - more input: SIO_OK or an error */
static enum sio_err
fill(struct sconn *c)
{
    int n;

    c->rpos = c->rlen = 0;
    for (;;) {
        errno = 0;
        if (c->ssl) {
            n = SSL_read(c->ssl, c->rbuf, RBUF);
            if (n > 0)
                break;
            return n == 0 || SSL_get_error(c->ssl, n) == SSL_ERROR_ZERO_RETURN
                       ? SIO_LOST
                       : io_error();
        }
        n = (int) read(c->fd, c->rbuf, RBUF);
        if (n > 0)
            break;
        if (n == 0)
            return SIO_LOST;
        if (errno == EINTR)
            continue;
        return io_error();
    }
    c->rlen = (size_t) n;
    return SIO_OK;
}

/* read_line - one line without CR LF into line (truncated at
 * SMTP_LINE_MAX) */
static enum sio_err
read_line(struct sconn *c, struct buf *line)
{
    buf_truncate(line, 0);
    for (;;) {
        char *p, *nl;
        size_t avail, take;
        enum sio_err e;

        if (c->rpos >= c->rlen && (e = fill(c)) != SIO_OK)
            return e;
        p = c->rbuf + c->rpos;
        avail = c->rlen - c->rpos;
        nl = memchr(p, '\n', avail);
        take = nl ? (size_t) (nl - p) : avail;
        if (line->len + take > SMTP_LINE_MAX)
            take = line->len < SMTP_LINE_MAX ? SMTP_LINE_MAX - line->len : 0;
        (void) buf_append(line, p, take);
        c->rpos += nl ? (size_t) (nl - p) + 1 : avail;
        if (nl) {
            if (line->len && line->data[line->len - 1] == '\r')
                buf_truncate(line, line->len - 1);
            return SIO_OK;
        }
    }
}

static int
dsn_ok(const char *s, int cls, size_t *len)
{
    /* class.subject.detail: 2/4/5 . 1-3 digits . 1-3 digits */
    size_t i = 0, d;

    if (s[0] != '0' + cls || s[1] != '.')
        return 0;
    i = 2;
    for (d = 0; s[i] >= '0' && s[i] <= '9'; i++, d++)
        ;
    if (d < 1 || d > 3 || s[i] != '.')
        return 0;
    i++;
    for (d = 0; s[i] >= '0' && s[i] <= '9'; i++, d++)
        ;
    if (d < 1 || d > 3 || (s[i] != ' ' && s[i] != 0))
        return 0;
    *len = i;
    return 1;
}

enum sio_err
sconn_reply(struct sconn *c, struct smtp_reply *r)
{
    struct buf line;
    enum sio_err e;
    size_t dl;

    r->code = 0;
    r->dsn[0] = 0;
    buf_truncate(&r->text, 0);
    strv_fini(&r->lines);
    strv_init(&r->lines);
    if ((e = sconn_flush(c)) != SIO_OK)
        return e;
    buf_init(&line, 0);
    for (;;) {
        const char *l;
        int code;

        if ((e = read_line(c, &line)) != SIO_OK)
            break;
        l = buf_str(&line);
        if (line.len < 3 || l[0] < '2' || l[0] > '5' || l[1] < '0' ||
            l[1] > '9' || l[2] < '0' || l[2] > '9' ||
            (line.len > 3 && l[3] != ' ' && l[3] != '-')) {
            e = SIO_PROTOCOL;
            break;
        }
        code = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
        if (r->code && code != r->code) {
            e = SIO_PROTOCOL;
            break;
        }
        r->code = code;
        if (r->text.len)
            (void) buf_putc(&r->text, ' ');
        (void) buf_puts(&r->text, l);
        strv_add(&r->lines, line.len > 4 ? l + 4 : "");
        if (line.len == 3 || l[3] == ' ')
            break;
        if (r->lines.n > 1000) {
            e = SIO_PROTOCOL;
            break;
        }
    }
    buf_fini(&line);
    if (e != SIO_OK)
        return e;
    /* "250 2.1.0 Ok": the enhanced code of the first line */
    if (r->lines.n && dsn_ok(r->lines.v[0], r->code / 100, &dl) &&
        dl < sizeof(r->dsn)) {
        memcpy(r->dsn, r->lines.v[0], dl);
        r->dsn[dl] = 0;
    } else {
        snprintf(r->dsn, sizeof(r->dsn), "%d.0.0", r->code / 100);
    }
    return SIO_OK;
}

struct ssl_ctx_st *
sconn_tls_ctx_new(const char *cafile, const char *capath)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

    if (ctx == NULL)
        return NULL;
    SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    if ((cafile && *cafile) || (capath && *capath)) {
        if (SSL_CTX_load_verify_locations(ctx, cafile && *cafile ? cafile : NULL,
                                          capath && *capath ? capath : NULL) !=
            1) {
            SSL_CTX_free(ctx);
            return NULL;
        }
    } else {
        (void) SSL_CTX_set_default_verify_paths(ctx);
    }
    return ctx;
}

void
sconn_tls_ctx_free(struct ssl_ctx_st *ctx)
{
    SSL_CTX_free(ctx);
}

int
sconn_starttls(struct sconn *c, struct ssl_ctx_st *ctx, const char *sni,
               int verify, const char *names, struct buf *err)
{
    SSL *ssl = SSL_new(ctx);
    int bits = 0, alg = 0;

    buf_truncate(err, 0);
    if (ssl == NULL) {
        (void) buf_puts(err, "cannot create TLS session");
        return -1;
    }
    SSL_set_fd(ssl, c->fd);
    if (sni && *sni && strchr(sni, '.') && sni[0] != '[')
        (void) SSL_set_tlsext_host_name(ssl, sni);
    if (verify) {
        char *copy = mem_strdup(names ? names : ""), *save = NULL;
        int first = 1;

        SSL_set_verify(ssl, SSL_VERIFY_PEER, NULL);
        SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        for (char *n = strtok_r(copy, " ", &save); n;
             n = strtok_r(NULL, " ", &save)) {
            if (first)
                (void) SSL_set1_host(ssl, n);
            else
                (void) SSL_add1_host(ssl, n);
            first = 0;
        }
        mem_free(copy);
    }
    ERR_clear_error();
    if (SSL_connect(ssl) != 1) {
        unsigned long e = ERR_get_error();
        long vr = SSL_get_verify_result(ssl);

        if (verify && vr != X509_V_OK)
            (void) buf_printf(err, "certificate verification failed: %s",
                              X509_verify_cert_error_string(vr));
        else
            (void) buf_printf(err, "TLS handshake failed: %s",
                              e ? ERR_reason_error_string(e) : "lost connection");
        SSL_free(ssl);
        return -1;
    }
    c->ssl = ssl;
    c->rpos = c->rlen = 0;
    bits = SSL_get_cipher_bits(ssl, &alg);
    snprintf(c->info, sizeof(c->info), "%s with cipher %s (%d/%d bits)",
             SSL_get_version(ssl), SSL_get_cipher_name(ssl), bits, alg);
    return 0;
}

const char *
sconn_tls_info(const struct sconn *c)
{
    return c->ssl ? c->info : NULL;
}
