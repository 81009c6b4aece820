/*
 * cleanup_milter - milter_header_checks: header_checks-style rules on
 * the headers that milters added, inserted or changed, as Postfix's
 * cleanup applies them to Milter-produced headers (see cleanup.h).
 *
 * DESCRIPTION
 *	Each such header is checked on its own (a header block of one);
 *	the actions and log lines are header_checks' (cleanup_hdr.c):
 *	REJECT, DISCARD, HOLD, REDIRECT, BCC, FILTER, WARN, INFO, and
 *	REPLACE, IGNORE and STRIP change or remove that header in the
 *	message. Postfix does not implement PREPEND here; neither do we
 *	(the prepended line is dropped).
 */
#define _DEFAULT_SOURCE 1
#include <stdio.h>
#include <string.h>

#include "cleanup/cleanup.h"

/* header_end - the end of the header block of content (its empty line) */
static size_t
header_end(const struct buf *content)
{
    const char *p = buf_str(content);
    size_t n = content->len;

    if (n && p[0] == '\n')
        return 0;
    for (size_t i = 0; i + 1 < n; i++)
        if (p[i] == '\n' && p[i + 1] == '\n')
            return i + 1;
    return n;
}

/* replace - the header h (at a line start of the header block) by r */
static void
replace(struct buf *content, const char *h, const char *r, size_t rlen)
{
    size_t end = header_end(content), hl = strlen(h);
    const char *p = buf_str(content);

    for (size_t i = 0; i + hl <= end; i++) {
        struct buf out;

        if ((i && p[i - 1] != '\n') || strncmp(p + i, h, hl) != 0 ||
            (i + hl < content->len && p[i + hl] != '\n'))
            continue;
        buf_init(&out, 0);
        (void) buf_append(&out, p, i);
        (void) buf_append(&out, r, rlen);
        if (i + hl < content->len) /* past h's newline */
            (void) buf_append(&out, p + i + hl + 1, content->len - i - hl - 1);
        buf_fini(content);
        *content = out;
        return;
    }
}

int
cleanup_milter_checks(struct cleanup_hdr *h, struct queue_env *env,
                      const struct strv *added, struct buf *content,
                      char **reply, int *discard)
{
    struct cleanup_hdr_res res;
    int rejected = 0;

    cleanup_hdr_res_init(&res);
    for (size_t i = 0; h && i < added->n && !rejected; i++) {
        struct buf one, out;

        buf_init(&one, 0);
        buf_init(&out, 0);
        (void) buf_printf(&one, "%s\n\n", added->v[i]);
        if (cleanup_hdr_run(h, env, buf_str(&one), one.len, &out, &res)) {
            struct buf r;

            buf_init(&r, 0);
            (void) buf_printf(&r, "%s %s", res.reason[0] == '4' ? "451" : "550",
                              res.reason);
            mem_free(*reply);
            *reply = buf_steal(&r);
            rejected = 1;
        } else if (out.len != one.len ||
                   memcmp(out.data, one.data, one.len) != 0) {
            /* REPLACE, IGNORE, STRIP: out is the header block, then
             * the empty line */
            size_t n = out.len;

            while (n && out.data[n - 1] == '\n')
                n--;
            if (n)
                (void) buf_truncate(&out, n + 1); /* keep one newline */
            replace(content, added->v[i], n ? buf_str(&out) : "",
                    n ? n + 1 : 0);
        }
        buf_fini(&one);
        buf_fini(&out);
    }
    if (!rejected) {
        if (res.flags & CLEANUP_HDR_DISCARD)
            *discard = 1;
        else
            cleanup_hdr_res_env(&res, env);
    }
    cleanup_hdr_res_fini(&res);
    return rejected;
}
