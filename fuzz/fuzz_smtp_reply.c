/*
 * fuzz_smtp_reply - libFuzzer target for what the SMTP client reads
 * from a server: the reply parser (multi-line replies, enhanced status
 * codes) and the MIME 8BITMIME downgrade of message content.
 *
 * DESCRIPTION
 *	The first input byte picks the target. 0: the rest is a server's
 *	byte stream, read by smtp_conn_adopt twice: from a memory file (every
 *	read gets up to a whole buffer), and from a SOCK_SEQPACKET socket
 *	that a thread feeds in pieces of 1 to 64 bytes (fuzz_pieces.h; each
 *	read gets exactly one piece), so reply lines and
 *	CR LF pairs are split across reads as TCP may split them. Replies are
 *	read until an error or EOF, as a session would, and both reads must
 *	give the same replies and the same end. Otherwise: the rest is a
 *	message for smtp_mime_downgrade.
 *
 *	Checks beyond the sanitizers: a reply that parses has a code from
 *	200 to 599, as many lines as it has text, a DSN "c.x.y" whose class
 *	is the code's first digit, and text that holds no CR or LF; a
 *	downgrade of 7-bit input stays 7-bit and the output never holds a
 *	CR that is not part of the input (LF line ends out).
 */
#define _GNU_SOURCE 1 /* memfd_create */
#include <sys/mman.h>
#include <sys/socket.h>

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_pieces.h"
#include "smtp/smtp_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* parse - every reply on fd (smtp_conn_free closes it), each checked and
 * written to log, then how the stream ended */
static void
parse(int fd, struct buf *log)
{
    struct smtp_conn *c = smtp_conn_adopt(fd);
    struct smtp_reply r;
    enum smtp_conn_err e;

    buf_truncate(log, 0);
    smtp_reply_init(&r);
    while ((e = smtp_conn_reply(c, &r)) == SMTP_CONN_OK) {
        const char *t = buf_str(&r.text);

        if (r.code < 200 || r.code > 599 || r.lines.n == 0 ||
            r.dsn[0] != '0' + r.code / 100 || r.dsn[1] != '.' ||
            strpbrk(t, "\r\n") != NULL || strlen(t) != r.text.len)
            abort();
        for (size_t i = 0; i < r.lines.n; i++)
            if (strstr(t, r.lines.v[i]) == NULL)
                abort(); /* a line that is not in the joined text */
        (void) buf_printf(log, "%d %s %zu <%s>", r.code, r.dsn, r.lines.n, t);
        for (size_t i = 0; i < r.lines.n; i++)
            (void) buf_printf(log, " [%s]", r.lines.v[i]);
        (void) buf_putc(log, '\n');
    }
    (void) buf_printf(log, "end %d\n", (int) e);
    smtp_reply_fini(&r);
    smtp_conn_free(c);
}

struct feed {
    int fd;
    const uint8_t *data;
    size_t size;
};

/* feeder - the input in pieces, one record each; stops when the reader
 * has gone */
static void *
feeder(void *arg)
{
    struct feed *f = arg;
    uint64_t h = pieces_seed(f->data, f->size);

    for (size_t pos = 0; pos < f->size;) {
        size_t n = pieces_next(&h, f->size - pos);
        ssize_t w = send(f->fd, f->data + pos, n, MSG_NOSIGNAL);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break; /* EPIPE: the parser stopped early */
        pos += (size_t) w;
    }
    (void) close(f->fd);
    return NULL;
}

static void
replies(const uint8_t *data, size_t size)
{
    static struct buf whole, pieces;
    static int init;
    int fd = memfd_create("smtp-in", 0), sv[2];
    struct feed f;
    pthread_t t;

    if (!init) {
        buf_init(&whole, 0);
        buf_init(&pieces, 0);
        init = 1;
    }
    if (fd < 0 || (size && write(fd, data, size) != (ssize_t) size) ||
        lseek(fd, 0, SEEK_SET) < 0)
        abort();
    parse(fd, &whole);

    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        abort();
    f.fd = sv[0];
    f.data = data;
    f.size = size;
    if (pthread_create(&t, NULL, feeder, &f) != 0)
        abort();
    parse(sv[1], &pieces);
    (void) pthread_join(t, NULL);
    if (whole.len != pieces.len ||
        memcmp(whole.data, pieces.data, whole.len) != 0) {
        fprintf(stderr,
                "fuzz_smtp_reply: the replies differ when the input "
                "comes in pieces\n--- one stream:\n%s--- in pieces:\n%s",
                whole.data, pieces.data);
        abort();
    }
}

static void
downgrade(const uint8_t *data, size_t size)
{
    struct buf out;
    int eight = smtp_mime_8bit((const char *) data, size);
    int cr = memchr(data, '\r', size) != NULL;

    buf_init(&out, 0);
    smtp_mime_downgrade((const char *) data, size, &out);
    if (!eight && smtp_mime_8bit(out.data ? out.data : "", out.len))
        abort();
    if (!cr && out.len && memchr(out.data, '\r', out.len) != NULL)
        abort();
    buf_fini(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (data[0] == 0)
        replies(data + 1, size - 1);
    else
        downgrade(data + 1, size - 1);
    return 0;
}
