/*
 * smtp_io - buffered SMTP client connection with timeouts and STARTTLS.
 *
 * DESCRIPTION
 *	See smtp_int.h. Commands are queued in a buffer and written when
 *	a reply is awaited, so a pipelined MAIL/RCPT/DATA group leaves in
 *	one write. Timeouts are the socket's SO_RCVTIMEO/SO_SNDTIMEO: the
 *	caller names the stage's timeout, and each option is set only
 *	before a system call that may block in its direction and holds a
 *	different value (a relayed message passes six stages but blocks in
 *	two reads; plain-text writes are tried without blocking first).
 */
#define _DEFAULT_SOURCE 1
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

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

#include "maillog/maillog.h"
#include "smtp/smtp_int.h"

#define RBUF 16384

struct smtp_conn;
static void arm(struct smtp_conn *c, int rcv, int snd);

struct smtp_conn {
    int fd;
    SSL *ssl;
    char rbuf[RBUF];
    size_t rpos, rlen;
    struct buf wbuf;
    char info[320];
    int want;     /* the current stage's timeout, seconds */
    int rcv, snd; /* what SO_RCVTIMEO/SO_SNDTIMEO hold now, 0: unset */
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

struct smtp_conn *
smtp_conn_connect(const char *addr, unsigned port, const char *bind_addr,
                  int enforce, int timeout, struct buf *err, int *bind_failed)
{
    struct sockaddr_storage ss, bs;
    socklen_t len, blen;
    int fam = parse_sockaddr(addr, port, &ss, &len);
    int fd, rc, one = 1;
    struct pollfd p;
    struct smtp_conn *c;

    buf_truncate(err, 0);
    *bind_failed = 0;
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
            /* as Postfix: warn, and go on unbound unless enforced */
            log_warn("smtp_connect_addr: bind %s: %s", bind_addr,
                     strerror(errno));
            if (enforce) {
                (void) buf_puts(err, "server configuration error");
                (void) close(fd);
                *bind_failed = 1;
                return NULL;
            }
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
    c->want = 300;
    buf_init(&c->wbuf, 0);
    return c;
}

/* smtp_conn_connect_unix - a connection to the UNIX-domain socket path
 * (LMTP's "unix:" nexthop); NULL with the reason in err (strerror's
 * words, as Postfix's %m) */
struct smtp_conn *
smtp_conn_connect_unix(const char *path, int timeout, struct buf *err)
{
    struct sockaddr_un sun;
    size_t n = strlen(path);
    int fd;

    buf_truncate(err, 0);
    memset(&sun, 0, sizeof(sun));
    if (n >= sizeof(sun.sun_path)) {
        (void) buf_puts(err, strerror(ENAMETOOLONG));
        return NULL;
    }
    sun.sun_family = AF_UNIX;
    memcpy(sun.sun_path, path, n + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        (void) buf_printf(err, "socket: %s", strerror(errno));
        return NULL;
    }
    /* a local connect does not wait on the network: a full backlog
     * blocks at most until the send timeout */
    {
        struct timeval tv = {timeout > 0 ? timeout : 30, 0};

        (void) setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    }
    if (connect(fd, (struct sockaddr *) &sun, sizeof(sun)) < 0) {
        (void) buf_puts(err, errno == EAGAIN || errno == EINPROGRESS
                                 ? "Connection timed out"
                                 : strerror(errno));
        (void) close(fd);
        return NULL;
    }
    return smtp_conn_adopt(fd);
}

struct smtp_conn *
smtp_conn_adopt(int fd)
{
    struct smtp_conn *c = mem_calloc(1, sizeof(*c));

    c->fd = fd;
    c->want = 300;
    buf_init(&c->wbuf, 0);
    return c;
}

void
smtp_conn_free(struct smtp_conn *c)
{
    if (c == NULL)
        return;
    if (c->ssl) {
        arm(c, 1, 1);
        (void) SSL_shutdown(c->ssl);
        SSL_free(c->ssl);
    }
    (void) close(c->fd);
    buf_fini(&c->wbuf);
    mem_free(c);
}

int
smtp_conn_fd(const struct smtp_conn *c)
{
    return c->fd;
}

void
smtp_conn_timeout(struct smtp_conn *c, int secs)
{
    c->want = secs > 0 ? secs : 300;
}

/* arm - the stage's timeout on the directions that may block next */
static void
arm(struct smtp_conn *c, int rcv, int snd)
{
    struct timeval tv = {c->want, 0};

    if (rcv && c->rcv != c->want) {
        c->rcv = c->want;
        (void) setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    }
    if (snd && c->snd != c->want) {
        c->snd = c->want;
        (void) setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    }
}

void
smtp_conn_printf(struct smtp_conn *c, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    (void) buf_vprintf(&c->wbuf, fmt, ap);
    va_end(ap);
    (void) buf_append(&c->wbuf, "\r\n", 2);
}

void
smtp_conn_write(struct smtp_conn *c, const char *p, size_t n)
{
    (void) buf_append(&c->wbuf, p, n);
}

static enum smtp_conn_err
io_error(void)
{
    return errno == EAGAIN || errno == EWOULDBLOCK ? SMTP_CONN_TIMEOUT
                                                   : SMTP_CONN_LOST;
}

enum smtp_conn_err
smtp_conn_flush(struct smtp_conn *c)
{
    size_t off = 0;

    while (off < c->wbuf.len) {
        size_t n = c->wbuf.len - off;
        ssize_t w;

        if (c->ssl) {
            int r;

            arm(c, 1, 1); /* a TLS write may read (renegotiation) */
            r = SSL_write(c->ssl, c->wbuf.data + off,
                          n > INT32_MAX ? INT32_MAX : (int) n);

            if (r <= 0) {
                buf_truncate(&c->wbuf, 0);
                return io_error();
            }
            w = r;
        } else {
            /* commands and a small message fit the socket buffer:
             * no timeout needed unless it is full */
            w = send(c->fd, c->wbuf.data + off, n,
                     MSG_NOSIGNAL | (c->snd != c->want ? MSG_DONTWAIT : 0));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
                c->snd != c->want) {
                arm(c, 0, 1);
                continue;
            }
            if (w <= 0) {
                buf_truncate(&c->wbuf, 0);
                return io_error();
            }
        }
        off += (size_t) w;
    }
    buf_truncate(&c->wbuf, 0);
    return SMTP_CONN_OK;
}

/* fill - more input: SMTP_CONN_OK or an error */
static enum smtp_conn_err
fill(struct smtp_conn *c)
{
    int n;

    c->rpos = c->rlen = 0;
    for (;;) {
        errno = 0;
        if (c->ssl) {
            arm(c, 1, 1);
            n = SSL_read(c->ssl, c->rbuf, RBUF);
            if (n > 0)
                break;
            return n == 0 || SSL_get_error(c->ssl, n) == SSL_ERROR_ZERO_RETURN
                       ? SMTP_CONN_LOST
                       : io_error();
        }
        arm(c, 1, 0);
        n = (int) read(c->fd, c->rbuf, RBUF);
        if (n > 0)
            break;
        if (n == 0)
            return SMTP_CONN_LOST;
        if (errno == EINTR)
            continue;
        return io_error();
    }
    c->rlen = (size_t) n;
    return SMTP_CONN_OK;
}

/* read_line - one line without CR LF into line (truncated at
 * SMTP_LINE_MAX) */
static enum smtp_conn_err
read_line(struct smtp_conn *c, struct buf *line)
{
    buf_truncate(line, 0);
    for (;;) {
        char *p, *nl;
        size_t avail, take;
        enum smtp_conn_err e;

        if (c->rpos >= c->rlen && (e = fill(c)) != SMTP_CONN_OK)
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
            return SMTP_CONN_OK;
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

enum smtp_conn_err
smtp_conn_reply(struct smtp_conn *c, struct smtp_reply *r)
{
    struct buf line;
    enum smtp_conn_err e;
    size_t dl;

    r->code = 0;
    r->dsn[0] = 0;
    buf_truncate(&r->text, 0);
    strv_fini(&r->lines);
    strv_init(&r->lines);
    if ((e = smtp_conn_flush(c)) != SMTP_CONN_OK)
        return e;
    buf_init(&line, 0);
    for (;;) {
        const char *l;
        int code;

        if ((e = read_line(c, &line)) != SMTP_CONN_OK)
            break;
        /* no control characters past here (log lines, bounces), as
         * Postfix's smtp_chat does with printable(..., '?') */
        for (size_t i = 0; i < line.len; i++)
            if ((unsigned char) line.data[i] < ' ' || line.data[i] == 127)
                line.data[i] = '?';
        l = buf_str(&line);
        if (line.len < 3 || l[0] < '2' || l[0] > '5' || l[1] < '0' ||
            l[1] > '9' || l[2] < '0' || l[2] > '9' ||
            (line.len > 3 && l[3] != ' ' && l[3] != '-')) {
            e = SMTP_CONN_PROTOCOL;
            break;
        }
        code = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
        if (r->code && code != r->code) {
            e = SMTP_CONN_PROTOCOL;
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
            e = SMTP_CONN_PROTOCOL;
            break;
        }
    }
    buf_fini(&line);
    if (e != SMTP_CONN_OK)
        return e;
    /* "250 2.1.0 Ok": the enhanced code of the first line */
    if (r->lines.n && dsn_ok(r->lines.v[0], r->code / 100, &dl) &&
        dl < sizeof(r->dsn)) {
        memcpy(r->dsn, r->lines.v[0], dl);
        r->dsn[dl] = 0;
    } else {
        snprintf(r->dsn, sizeof(r->dsn), "%d.0.0", r->code / 100);
    }
    return SMTP_CONN_OK;
}

struct ssl_ctx_st *
smtp_conn_tls_ctx_new(const char *cafile, const char *capath,
                      int append_default)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

    if (ctx == NULL)
        return NULL;
    /* protocols and ciphers: server_tls_apply (smtp_tls_* parameters) */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    if ((cafile && *cafile) || (capath && *capath)) {
        if (SSL_CTX_load_verify_locations(
                ctx, cafile && *cafile ? cafile : NULL,
                capath && *capath ? capath : NULL) != 1) {
            SSL_CTX_free(ctx);
            return NULL;
        }
    }
    /* as Postfix: the system's CAs only with tls_append_default_CA */
    if (append_default)
        (void) SSL_CTX_set_default_verify_paths(ctx);
    return ctx;
}

void
smtp_conn_tls_ctx_free(struct ssl_ctx_st *ctx)
{
    SSL_CTX_free(ctx);
}

/* The first chain error of a handshake, kept by verify_cb. */
struct first_err {
    int err;
    char issuer[200];
};

static int first_err_idx = -1;

/* verify_cb - note the first error and go on: whether an unverified
 * peer is acceptable is the caller's decision, after the handshake
 * (Postfix logs "Untrusted TLS connection established" and then
 * defers, rather than failing the handshake) */
static int
verify_cb(int ok, X509_STORE_CTX *xs)
{
    SSL *ssl =
        X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
    struct first_err *fe = ssl ? SSL_get_ex_data(ssl, first_err_idx) : NULL;

    if (!ok && fe && fe->err == 0) {
        X509 *cert = X509_STORE_CTX_get_current_cert(xs);

        fe->err = X509_STORE_CTX_get_error(xs);
        if (cert)
            (void) X509_NAME_oneline(X509_get_issuer_name(cert), fe->issuer,
                                     sizeof(fe->issuer));
    }
    return 1;
}

/* untrusted_issuer - errors Postfix reports as "untrusted issuer" */
static int
untrusted_issuer(int err)
{
    return err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
           err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT ||
           err == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT ||
           err == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN ||
           err == X509_V_ERR_CERT_UNTRUSTED;
}

/* name_match - does cert match one of names (space separated)? An IP
 * literal is compared as an address, ".domain" matches subdomains. */
static int
name_match(X509 *cert, const char *names, int *ip)
{
    char *copy = mem_strdup(names), *save = NULL;
    int ok = 0;
    unsigned char a[16];

    *ip = 0;
    for (char *n = strtok_r(copy, " ", &save); n && !ok;
         n = strtok_r(NULL, " ", &save)) {
        if (inet_pton(AF_INET, n, a) == 1 || inet_pton(AF_INET6, n, a) == 1) {
            *ip = 1;
            ok = X509_check_ip_asc(cert, n, 0) == 1;
        } else {
            ok = X509_check_host(cert, n, 0,
                                 X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS,
                                 NULL) == 1;
        }
    }
    mem_free(copy);
    return ok;
}

/* describe - Postfix's summary: "TLSv1.3 with cipher X (256/256 bits)
 * key-exchange X25519 server-signature ECDSA (prime256v1)
 * server-digest SHA256" */
static void
describe(SSL *ssl, X509 *peer, char *out, size_t size)
{
    int alg = 0, bits = SSL_get_cipher_bits(ssl, &alg), nid = NID_undef;
    char kex[100] = "", sig[100] = "", dgst[80] = "", grp[64];
    EVP_PKEY *tmp = NULL;
    size_t gl;

    if (SSL_get_peer_tmp_key(ssl, &tmp) == 1 && tmp) {
        int t = EVP_PKEY_get_base_id(tmp);

        if (t == EVP_PKEY_EC &&
            EVP_PKEY_get_group_name(tmp, grp, sizeof(grp), &gl) == 1)
            snprintf(kex, sizeof(kex), " key-exchange %s", grp);
        else if (t == EVP_PKEY_DH)
            snprintf(kex, sizeof(kex), " key-exchange DHE (%d bits)",
                     EVP_PKEY_get_bits(tmp));
        else if (t == EVP_PKEY_X25519)
            snprintf(kex, sizeof(kex), " key-exchange X25519");
        else if (t == EVP_PKEY_X448)
            snprintf(kex, sizeof(kex), " key-exchange X448");
        EVP_PKEY_free(tmp);
    }
    if (peer) {
        EVP_PKEY *pk = X509_get0_pubkey(peer);
        int t = pk ? EVP_PKEY_get_base_id(pk) : 0, st = NID_undef;

        if (t == EVP_PKEY_RSA || t == EVP_PKEY_RSA_PSS) {
            if (SSL_get_peer_signature_type_nid(ssl, &st) == 1 &&
                st == EVP_PKEY_RSA_PSS)
                t = EVP_PKEY_RSA_PSS;
            snprintf(sig, sizeof(sig), " server-signature %s (%d bits)",
                     t == EVP_PKEY_RSA_PSS ? "RSA-PSS" : "RSA",
                     EVP_PKEY_get_bits(pk));
        } else if (t == EVP_PKEY_EC &&
                   EVP_PKEY_get_group_name(pk, grp, sizeof(grp), &gl) == 1) {
            snprintf(sig, sizeof(sig), " server-signature ECDSA (%s)", grp);
        } else if (t == EVP_PKEY_ED25519) {
            snprintf(sig, sizeof(sig), " server-signature ED25519");
        } else if (t == EVP_PKEY_ED448) {
            snprintf(sig, sizeof(sig), " server-signature ED448");
        }
        if (SSL_get_peer_signature_nid(ssl, &nid) == 1 && nid != NID_undef)
            snprintf(dgst, sizeof(dgst), " server-digest %s", OBJ_nid2sn(nid));
    }
    snprintf(out, size, "%s with cipher %s (%d/%d bits)%s%s%s",
             SSL_get_version(ssl), SSL_get_cipher_name(ssl), bits, alg, kex,
             sig, dgst);
}

int
smtp_conn_starttls(struct smtp_conn *c, struct ssl_ctx_st *ctx, const char *sni,
                   const char *names, struct smtp_conn_peer *peer,
                   struct buf *err)
{
    SSL *ssl = SSL_new(ctx);
    struct first_err fe = {0, ""};
    X509 *cert;
    long vr;
    int ip = 0;

    buf_truncate(err, 0);
    memset(peer, 0, sizeof(*peer));
    if (ssl == NULL) {
        (void) buf_puts(err, "cannot create TLS session");
        return -1;
    }
    if (first_err_idx < 0)
        first_err_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    (void) SSL_set_ex_data(ssl, first_err_idx, &fe);
    SSL_set_fd(ssl, c->fd);
    if (sni && *sni) {
        /* OpenSSL's macro takes a writable name; it only copies it */
        char host[256];

        snprintf(host, sizeof(host), "%s", sni);
        (void) SSL_set_tlsext_host_name(ssl, host);
    }
    SSL_set_verify(ssl, SSL_VERIFY_PEER, verify_cb);
    ERR_clear_error();
    arm(c, 1, 1);
    if (SSL_connect(ssl) != 1) {
        unsigned long e = ERR_get_error();

        (void) buf_printf(err, "TLS handshake failed: %s",
                          e ? ERR_reason_error_string(e) : "lost connection");
        (void) SSL_set_ex_data(ssl, first_err_idx, NULL);
        SSL_free(ssl);
        return -1;
    }
    (void) SSL_set_ex_data(ssl, first_err_idx, NULL);
    c->ssl = ssl;
    c->rpos = c->rlen = 0;
    cert = SSL_get1_peer_certificate(ssl);
    vr = SSL_get_verify_result(ssl);
    peer->trusted = cert != NULL && vr == X509_V_OK && fe.err == 0;
    if (cert && !peer->trusted) {
        int e = fe.err ? fe.err : (int) vr;

        if (untrusted_issuer(e))
            snprintf(peer->why, sizeof(peer->why), "untrusted issuer %s",
                     fe.issuer);
        else
            snprintf(peer->why, sizeof(peer->why), "num=%d:%s", e,
                     X509_verify_cert_error_string(e));
    } else if (cert == NULL) {
        snprintf(peer->why, sizeof(peer->why), "no server certificate");
    }
    if (cert && names && *names) {
        peer->matched = name_match(cert, names, &ip);
        if (peer->trusted && !peer->matched) {
            int e = ip ? X509_V_ERR_IP_ADDRESS_MISMATCH
                       : X509_V_ERR_HOSTNAME_MISMATCH;

            snprintf(peer->why, sizeof(peer->why), "num=%d:%s", e,
                     X509_verify_cert_error_string(e));
        }
    }
    describe(ssl, cert, c->info, sizeof(c->info));
    X509_free(cert);
    return 0;
}

const char *
smtp_conn_tls_info(const struct smtp_conn *c)
{
    return c->ssl ? c->info : NULL;
}
