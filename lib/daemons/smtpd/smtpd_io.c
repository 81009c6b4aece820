/*
 * smtpd_io - buffered SMTP stream with timeouts and optional TLS.
 *
 * DESCRIPTION
 *	Replies are buffered and only written when smtpd is about to wait
 *	for input and no pipelined input is left, which is what PIPELINING
 *	needs. Timeouts are the socket's SO_RCVTIMEO/SO_SNDTIMEO, so they
 *	hold for TLS too. This file is smtpd's only user of OpenSSL; the
 *	TLS protocol and cipher policy is lib/services/server/server_tls.c
 *(shared with the smtp client).
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "server/server.h"
#include "server/server_tls.h"
#include "smtpd/smtpd_int.h"

#define RBUF 16384

struct smtpd_io {
    int fd;
    int out_fd; /* == fd, except for sendmail -bs (stdin/stdout) */
    SSL *ssl;
    char rbuf[RBUF];
    size_t rpos, rlen;
    struct buf wbuf;
    int timed_out;
    int eof;
    int interruptible; /* a stop request ends a wait for input */
    int stopped;
    int co;         /* in a coroutine: non-blocking socket, co_wait */
    int timeout_ms; /* co: per wait, as SO_RCVTIMEO/SO_SNDTIMEO would */
    char info[200];
    char details[300]; /* TLS 1.3: key exchange and signature */
};

struct smtpd_io *
smtpd_io_new(int fd, int timeout_s, int armed_s, int nonblock)
{
    struct smtpd_io *s = mem_calloc(1, sizeof(*s));
    struct timeval tv;

    s->fd = fd;
    s->out_fd = fd;
    buf_init(&s->wbuf, 0);
    tv.tv_sec = timeout_s > 0 ? timeout_s : 300;
    tv.tv_usec = 0;
    if (co_active()) {
        /* one of many sessions in this process: wait in the loop */
        s->co = 1;
        s->timeout_ms = (int) tv.tv_sec * 1000;
        if (!nonblock)
            (void) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        return s;
    }
    if (nonblock)
        (void) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    if (armed_s == tv.tv_sec)
        return s; /* the socket has them (smtpd front, from its listener) */
    (void) setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    (void) setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    return s;
}

void
smtpd_io_set_timeout(struct smtpd_io *s, int timeout_s)
{
    struct timeval tv = {timeout_s > 0 ? timeout_s : 300, 0};

    if (s->co) {
        s->timeout_ms = (int) tv.tv_sec * 1000;
        return;
    }
    (void) setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    (void) setsockopt(s->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

void
smtpd_io_free(struct smtpd_io *s)
{
    if (s == NULL)
        return;
    if (s->ssl) {
        SSL_shutdown(s->ssl); /* best effort, also when it would block */
        ERR_clear_error();    /* nothing left for the next session */
        SSL_free(s->ssl);
    }
    if (s->co)
        co_forget(s->fd);
    buf_fini(&s->wbuf);
    mem_free(s);
}

void
smtpd_io_set_output(struct smtpd_io *s, int fd)
{
    s->out_fd = fd;
}

int
smtpd_io_timed_out(const struct smtpd_io *s)
{
    return s->timed_out;
}

void
smtpd_io_interruptible(struct smtpd_io *s, int on)
{
    s->interruptible = on;
}

int
smtpd_io_stopped(const struct smtpd_io *s)
{
    return s->stopped;
}

/* co_io_wait - a coroutine's read or write would block: wait for it;
 * 0 try again, -1 give up (timed_out or stopped set as the blocking
 * code would) */
static int
co_io_wait(struct smtpd_io *s, int events)
{
    for (;;) {
        if (co_wait(s->fd, events, s->timeout_ms) == 0)
            return 0;
        if (errno == ETIMEDOUT) {
            s->timed_out = 1;
            return -1;
        }
        if (errno == EINTR) {
            if (s->interruptible && server_terminating()) {
                s->stopped = 1;
                return -1;
            }
            continue;
        }
        return -1;
    }
}

/* tls_wait - after a TLS call failed with rc: 0 when the coroutine waited
 * and the call should be repeated, -1 otherwise */
static int
tls_wait(struct smtpd_io *s, int rc)
{
    int e;

    if (!s->co)
        return -1;
    e = SSL_get_error(s->ssl, rc);
    if (e == SSL_ERROR_WANT_READ)
        return co_io_wait(s, CO_IN);
    if (e == SSL_ERROR_WANT_WRITE)
        return co_io_wait(s, CO_OUT);
    return -1;
}

/* fill - read more input; 1, 0 EOF, -1 error */
static int
fill(struct smtpd_io *s)
{
    int n;

    if (s->rpos < s->rlen)
        return 1;
    s->rpos = s->rlen = 0;
    for (;;) {
        if (s->ssl) {
            /* the error queue is the thread's, shared by the sessions
             * (coroutines) of this process: another session's failure
             * left in it would make SSL_get_error() fail this one */
            ERR_clear_error();
            n = SSL_read(s->ssl, s->rbuf, RBUF);
            if (n > 0)
                break;
            if (SSL_get_error(s->ssl, n) == SSL_ERROR_ZERO_RETURN)
                return 0;
            if (s->co) {
                if (tls_wait(s, n) == 0)
                    continue;
                return s->timed_out || s->stopped ? -1 : n == 0 ? 0 : -1;
            }
            if (errno == EINTR) {
                if (s->interruptible && server_terminating()) {
                    s->stopped = 1;
                    return -1;
                }
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                s->timed_out = 1;
            return n == 0 ? 0 : -1;
        }
        n = (int) read(s->fd, s->rbuf, RBUF);
        if (n > 0)
            break;
        if (n == 0) {
            s->eof = 1;
            return 0;
        }
        if (errno == EINTR) {
            if (s->interruptible && server_terminating()) {
                s->stopped = 1;
                return -1;
            }
            continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (s->co) {
                if (co_io_wait(s, CO_IN) == 0)
                    continue;
                return -1;
            }
            s->timed_out = 1;
        }
        return -1;
    }
    s->rlen = (size_t) n;
    return 1;
}

int
smtpd_io_read_line(struct smtpd_io *s, struct buf *line, size_t limit, int *lf)
{
    buf_truncate(line, 0);
    *lf = 0;
    /* Replies must be out before we wait. */
    if (s->rpos >= s->rlen && smtpd_io_flush(s) < 0)
        return -1;
    for (;;) {
        int rc;
        char *p, *nl;
        size_t avail, take;

        if (s->rpos >= s->rlen) {
            rc = fill(s);
            if (rc <= 0)
                return line->len ? 1 : rc;
        }
        p = s->rbuf + s->rpos;
        avail = s->rlen - s->rpos;
        nl = memchr(p, '\n', avail);
        take = nl ? (size_t) (nl - p) + 1 : avail;
        if (line->len + take > limit) {
            take = limit - line->len;
            /* keep a trailing CR with its LF */
            if (take > 0 && p[take - 1] == '\r' && line->len + take > 1)
                take--;
            (void) buf_append(line, p, take);
            s->rpos += take;
            return 1;
        }
        (void) buf_append(line, p, take);
        s->rpos += take;
        if (nl) {
            *lf = 1;
            return 1;
        }
    }
}

/*
 * smtpd_io_read_view - smtpd_io_read_line for the DATA loop: when the whole
 * line is already in the read buffer (the usual case), *ptr points into it,
 * valid until the next read; else the line is collected in spill as
 * smtpd_io_read_line does. Same results and limits, one copy less per line.
 */
int
smtpd_io_read_view(struct smtpd_io *s, struct buf *spill, size_t limit, int *lf,
                   const char **ptr, size_t *len)
{
    int rc;

    if (s->rpos < s->rlen) {
        char *p = s->rbuf + s->rpos;
        size_t avail = s->rlen - s->rpos;
        char *nl = memchr(p, '\n', avail < limit ? avail : limit);

        if (nl) {
            *len = (size_t) (nl - p) + 1;
            *ptr = p;
            *lf = 1;
            s->rpos += *len;
            return 1;
        }
    }
    rc = smtpd_io_read_line(s, spill, limit, lf);
    *ptr = spill->data;
    *len = spill->len;
    return rc;
}

int
smtpd_io_read_raw(struct smtpd_io *s, size_t max, const char **ptr, size_t *len)
{
    size_t avail;

    if (s->rpos >= s->rlen) {
        int rc;

        /* replies must be out before we wait */
        if (smtpd_io_flush(s) < 0)
            return -1;
        if ((rc = fill(s)) <= 0)
            return rc;
    }
    avail = s->rlen - s->rpos;
    *ptr = s->rbuf + s->rpos;
    *len = avail < max ? avail : max;
    s->rpos += *len;
    return 1;
}

int
smtpd_io_pending(struct smtpd_io *s)
{
    return s->rpos < s->rlen || (s->ssl && SSL_pending(s->ssl) > 0);
}

size_t
smtpd_io_peek(struct smtpd_io *s, const char **data, int *more)
{
    int n = 0;

    *data = s->rbuf + s->rpos;
    /* not read yet: still in the socket (Postfix's peekfd()) */
    *more = (s->ssl && SSL_pending(s->ssl) > 0) ||
            (ioctl(s->fd, FIONREAD, &n) == 0 && n > 0);
    return s->rpos < s->rlen ? s->rlen - s->rpos : 0;
}

void
smtpd_io_sleep(struct smtpd_io *s, int ms)
{
    /* no events asked: only the timeout, or the client hanging up,
     * ends the wait (poll(2) outside a coroutine does the same) */
    (void) smtpd_io_flush(s);
    (void) co_wait(s->fd, 0, ms);
}

void
smtpd_io_preload(struct smtpd_io *s, const char *data, size_t len)
{
    if (len > RBUF)
        len = RBUF;
    memcpy(s->rbuf, data, len);
    s->rpos = 0;
    s->rlen = len;
}

void
smtpd_io_discard_input(struct smtpd_io *s)
{
    s->rpos = s->rlen = 0;
}

void
smtpd_io_printf(struct smtpd_io *s, const char *fmt, ...)
{
    va_list ap;
    size_t start = s->wbuf.len;

    va_start(ap, fmt);
    (void) buf_vprintf(&s->wbuf, fmt, ap);
    va_end(ap);
    /* client text echoed in a reply (VRFY, addresses) never carries a
     * control character to the client: '?' for each, as Postfix's
     * printable() does; a CR LF pair (a multi-line reply) stays */
    for (size_t i = start; i < s->wbuf.len; i++) {
        unsigned char c = (unsigned char) s->wbuf.data[i];

        if (c == '\r' && i + 1 < s->wbuf.len && s->wbuf.data[i + 1] == '\n')
            i++;
        else if (c < ' ' || c == 127)
            s->wbuf.data[i] = '?';
    }
    (void) buf_append(&s->wbuf, "\r\n", 2);
}

int
smtpd_io_flush(struct smtpd_io *s)
{
    size_t off = 0;

    while (off < s->wbuf.len) {
        int n;

        if (s->ssl) {
            ERR_clear_error(); /* see fill() */
            n = SSL_write(s->ssl, s->wbuf.data + off,
                          (int) (s->wbuf.len - off));
            if (n <= 0 && tls_wait(s, n) == 0)
                continue;
            if (n <= 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK)
                    s->timed_out = 1;
                buf_truncate(&s->wbuf, 0);
                return -1;
            }
        } else {
            n = (int) write(s->out_fd, s->wbuf.data + off, s->wbuf.len - off);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && s->co && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                if (co_io_wait(s, CO_OUT) == 0)
                    continue;
                buf_truncate(&s->wbuf, 0);
                return -1;
            }
            if (n <= 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK)
                    s->timed_out = 1;
                buf_truncate(&s->wbuf, 0);
                return -1;
            }
        }
        off += (size_t) n;
    }
    buf_truncate(&s->wbuf, 0);
    return 0;
}

void *
smtpd_io_tls_ctx(const struct server *srv, int mandatory, const char *cert,
                 const char *key, char *err, size_t len)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    char why[600];

    if (ctx == NULL) {
        snprintf(err, len,
                 "TLS library problem: cannot create TLS context: "
                 "TLS is off");
        return NULL;
    }
    /* smtpd_tls_[mandatory_]protocols, _ciphers, exclusions, preempt;
     * Postfix's words, with the parameter named */
    if (server_tls_apply(srv->conf, srv->name_space, ctx, "smtpd",
                         SERVER_TLS_SERVER,
                         mandatory ? SERVER_TLS_MANDATORY : SERVER_TLS_MAY, why,
                         sizeof(why)) < 0) {
        snprintf(err, len, "%s: disabling TLS support", why);
        SSL_CTX_free(ctx);
        return NULL;
    }
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, key && *key ? key : cert,
                                    SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        unsigned long e = ERR_get_error();

        snprintf(err, len,
                 "TLS library problem: cannot load certificate %s / key %s: "
                 "%s: TLS is off",
                 cert, key && *key ? key : cert,
                 e ? ERR_reason_error_string(e) : "unknown error");
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    return ctx;
}

/* key_name - "X25519", "ECDHE (prime256v1)", "DHE (2048 bits)",
 * "RSA-PSS (2048 bits)", "ECDSA (prime256v1)", as Postfix names them */
static void
key_name(EVP_PKEY *pk, const char *ec, const char *rsa, char *out, size_t len)
{
    char grp[64];
    size_t gl;
    int id = EVP_PKEY_get_base_id(pk);

    if (id == EVP_PKEY_EC &&
        EVP_PKEY_get_group_name(pk, grp, sizeof(grp), &gl) == 1)
        snprintf(out, len, "%s (%s)", ec, grp);
    else if (id == EVP_PKEY_EC)
        snprintf(out, len, "%s", ec);
    else if (id == EVP_PKEY_DH)
        snprintf(out, len, "DHE (%d bits)", EVP_PKEY_get_bits(pk));
    else if (id == EVP_PKEY_RSA && rsa)
        snprintf(out, len, "%s (%d bits)", rsa, EVP_PKEY_get_bits(pk));
    else
        snprintf(out, len, "%s", OBJ_nid2sn(id) ? OBJ_nid2sn(id) : "unknown");
}

/* tls13_details - what Postfix's server adds to its "TLS connection
 * established" line for TLS 1.3 (tls_get_signature_params): " key-exchange
 * X25519 server-signature ECDSA (prime256v1) server-digest SHA256"; ""
 * before TLS 1.3 (the cipher names all of it there) */
static void
tls13_details(SSL *ssl, char *out, size_t len)
{
    char kex[100] = "", sig[100] = "", dgst[80] = "";
    EVP_PKEY *tmp = NULL;
    X509 *cert;
    int nid = NID_undef;

    *out = 0;
    if (SSL_version(ssl) < TLS1_3_VERSION)
        return;
    if (SSL_get_peer_tmp_key(ssl, &tmp) == 1 && tmp) {
        char k[80];

        key_name(tmp, "ECDHE", NULL, k, sizeof(k));
        snprintf(kex, sizeof(kex), " key-exchange %s", k);
        EVP_PKEY_free(tmp);
    }
    if ((cert = SSL_get_certificate(ssl)) != NULL &&
        X509_get0_pubkey(cert) != NULL) {
        char k[80];

        key_name(X509_get0_pubkey(cert), "ECDSA", "RSA-PSS", k, sizeof(k));
        snprintf(sig, sizeof(sig), " server-signature %s", k);
        if (SSL_get_signature_nid(ssl, &nid) == 1 && nid != NID_undef)
            snprintf(dgst, sizeof(dgst), " server-digest %s",
                     OBJ_nid2sn(nid) ? OBJ_nid2sn(nid) : "unknown");
    }
    snprintf(out, len, "%s%s%s", kex, sig, dgst);
}

int
smtpd_io_starttls(struct smtpd_io *s, void *ctx, char *err, size_t len)
{
    int rc;
    int bits = 0, alg = 0;

    if (smtpd_io_flush(s) < 0) {
        snprintf(err, len, "write error before TLS handshake");
        return -1;
    }
    s->ssl = SSL_new(ctx);
    if (s->ssl == NULL) {
        snprintf(err, len, "cannot create TLS session");
        return -1;
    }
    SSL_set_fd(s->ssl, s->fd);
    for (;;) {
        ERR_clear_error(); /* see fill() */
        if ((rc = SSL_accept(s->ssl)) == 1 || tls_wait(s, rc) != 0)
            break;
    }
    if (rc != 1) {
        unsigned long e = ERR_peek_error();
        int lost =
            SSL_get_error(s->ssl, rc) == SSL_ERROR_SYSCALL ||
            (e && ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING);

        e = ERR_get_error();
        snprintf(err, len, "TLS handshake failed: %s",
                 e                                 ? ERR_reason_error_string(e)
                 : errno == EAGAIN || s->timed_out ? "timeout"
                                                   : "connection closed");
        SSL_free(s->ssl);
        s->ssl = NULL;
        return lost && !s->timed_out ? SIO_TLS_LOST : SIO_TLS_ERROR;
    }
    bits = SSL_get_cipher_bits(s->ssl, &alg);
    snprintf(s->info, sizeof(s->info), "%s with cipher %s (%d/%d bits)",
             SSL_get_version(s->ssl), SSL_get_cipher_name(s->ssl), bits, alg);
    tls13_details(s->ssl, s->details, sizeof(s->details));
    return 0;
}

const char *
smtpd_io_tls_summary(struct smtpd_io *s, char *out, size_t len)
{
    if (s->ssl == NULL)
        return NULL;
    snprintf(out, len, "%s%s", s->info, s->details);
    return out;
}

const char *
smtpd_io_tls_info(struct smtpd_io *s)
{
    return s->ssl ? s->info : NULL;
}

const char *
smtpd_io_tls_version(struct smtpd_io *s)
{
    return s->ssl ? SSL_get_version(s->ssl) : NULL;
}
