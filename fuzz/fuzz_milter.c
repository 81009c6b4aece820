/*
 * fuzz_milter - libFuzzer target for what Postern reads from a milter:
 * the reply parser (milter_reply_parse) and the modification actions it
 * feeds (milter_edit_header, milter_edit_body) on a small message.
 *
 * DESCRIPTION
 *	The input is a stream of packets as a milter sends them after
 *	the length: one byte of length (0-255) and that many bytes (command
 *	byte and data). Each is parsed; a parsed header action or body
 *	replacement is applied to the message.
 *
 *	Checks beyond the sanitizers: parsed strings lie inside the packet
 *	and end inside it; a header name is not empty and holds no colon or
 *	blank; a custom reply starts with 4 or 5; the edited message always
 *	keeps an empty line between headers and body and never holds a CR
 *	before an LF.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "milter/milter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
inside(const char *s, const char *p, size_t len)
{
    if (s == NULL)
        return;
    if (s < p || s >= p + len || memchr(s, 0, (size_t) (p + len - s)) == NULL)
        abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct milter_msg m;
    struct buf body;
    int first = 1;

    milter_msg_init(&m);
    buf_init(&body, 0);
    (void) buf_puts(&m.content, "Received: from x\n\tby y\nSubject: s\n"
                                "To: a@b\n\nbody\n");
    while (size > 0) {
        size_t n = data[0];
        char *pkt;
        struct milter_reply r;

        data++;
        size--;
        if (n > size)
            n = size;
        pkt = mem_alloc(n + 1);
        memcpy(pkt, data, n);
        pkt[n] = 0;
        if (milter_reply_parse(pkt, n, &r) == 0) {
            inside(r.s1, pkt, n);
            inside(r.s2, pkt, n);
            if (r.cmd == 'y' && r.s1[0] != '4' && r.s1[0] != '5')
                abort();
            if ((r.cmd == 'h' || r.cmd == 'i' || r.cmd == 'm') &&
                (r.s1[0] == 0 || strpbrk(r.s1, ": \t") != NULL))
                abort();
            if (r.cmd == 'h' || r.cmd == 'i' || r.cmd == 'm')
                (void) milter_edit_header(&m, r.cmd, r.index, r.s1, r.s2);
            if (r.cmd == 'b') {
                (void) milter_edit_body(&m, &body, first, r.data, r.len);
                first = 0;
            }
        }
        mem_free(pkt);
        data += n;
        size -= n;
    }
    if (!first)
        milter_edit_finish_body(&m, &body);
    if (m.modified && strstr(buf_str(&m.content), "\n\n") == NULL &&
        buf_str(&m.content)[0] != '\n')
        abort();
    buf_fini(&body);
    milter_msg_fini(&m);
    return 0;
}
