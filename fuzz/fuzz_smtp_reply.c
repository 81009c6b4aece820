/*
 * fuzz_smtp_reply - libFuzzer target for what the SMTP client reads
 * from a server: the reply parser (multi-line replies, enhanced status
 * codes) and the MIME 8BITMIME downgrade of message content.
 *
 * DESCRIPTION
 *	The first input byte picks the target. 0: the rest is a server's
 *	byte stream in a memory file behind sconn_adopt; replies are read
 *	until an error or EOF, as a session would. Otherwise: the rest is a
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

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "smtp/smtp_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
replies(const uint8_t *data, size_t size)
{
    int fd = memfd_create("smtp-in", 0);
    struct sconn *c;
    struct smtp_reply r;

    if (fd < 0 || (size && write(fd, data, size) != (ssize_t) size) ||
        lseek(fd, 0, SEEK_SET) < 0)
        abort();
    c = sconn_adopt(fd);
    smtp_reply_init(&r);
    while (sconn_reply(c, &r) == SIO_OK) {
        const char *t = buf_str(&r.text);

        if (r.code < 200 || r.code > 599 || r.lines.n == 0 ||
            r.dsn[0] != '0' + r.code / 100 || r.dsn[1] != '.' ||
            strpbrk(t, "\r\n") != NULL || strlen(t) != r.text.len)
            abort();
        for (size_t i = 0; i < r.lines.n; i++)
            if (strstr(t, r.lines.v[i]) == NULL)
                abort(); /* a line that is not in the joined text */
    }
    smtp_reply_fini(&r);
    sconn_free(c);
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
