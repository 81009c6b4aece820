/*
 * tok822_hdr - address rewriting in message headers.
 *
 * DESCRIPTION
 *	See tok822.h: Postfix 3.7's cleanup_rewrite_sender/_recip,
 *	cleanup_fold_header and cleanup_out_header (the same code is in
 *	smtp's smtp_header_rewrite for smtp_generic_maps): each primary
 *	header of an address class is parsed, each address node handed
 *	to the callback, and a changed header written back with one
 *	address per line, lines joined while under 70 bytes, continuation
 *	lines indented with a TAB.
 */
#define _DEFAULT_SOURCE 1 /* strncasecmp */
#include <string.h>
#include <strings.h>

#include "tok822/tok822.h"

static const struct {
    const char *name;
    int cls;
} addr_headers[] = {
    {"Apparently-To", TOK822_HDR_RECIP},
    {"Bcc", TOK822_HDR_RECIP},
    {"Cc", TOK822_HDR_RECIP},
    {"Disposition-Notification-To", TOK822_HDR_SENDER},
    {"Errors-To", TOK822_HDR_SENDER},
    {"From", TOK822_HDR_SENDER},
    {"Mail-Followup-To", TOK822_HDR_SENDER},
    {"Reply-To", TOK822_HDR_SENDER},
    {"Resent-Bcc", TOK822_HDR_RECIP},
    {"Resent-Cc", TOK822_HDR_RECIP},
    {"Resent-From", TOK822_HDR_SENDER},
    {"Resent-Reply-To", TOK822_HDR_RECIP},
    {"Resent-Sender", TOK822_HDR_SENDER},
    {"Resent-To", TOK822_HDR_RECIP},
    {"Return-Path", TOK822_HDR_SENDER},
    {"Return-Receipt-To", TOK822_HDR_SENDER},
    {"Sender", TOK822_HDR_SENDER},
    {"To", TOK822_HDR_RECIP},
};

int
tok822_header_class(const char *h, size_t len, size_t *namelen)
{
    const char *colon = memchr(h, ':', len);
    size_t n;

    if (colon == NULL)
        return 0;
    n = (size_t) (colon - h);
    while (n > 0 && (h[n - 1] == ' ' || h[n - 1] == '\t'))
        n--;
    for (size_t i = 0; i < sizeof(addr_headers) / sizeof(addr_headers[0]);
         i++) {
        if (strlen(addr_headers[i].name) == n &&
            strncasecmp(addr_headers[i].name, h, n) == 0) {
            *namelen = n;
            return addr_headers[i].cls;
        }
    }
    return 0;
}

/* rewrite_node - one address node through fn; 1 when it changed */
static int
rewrite_node(struct tok822 *node, int cls, tok822_addr_fn *fn, void *ctx)
{
    struct buf b;
    char *addr;
    int changed;

    if (node->head == NULL)
        return 0;
    buf_init(&b, 0);
    tok822_externalize(&b, node->head, 0);
    addr = buf_steal(&b);
    if ((changed = fn(ctx, cls, &addr)) != 0) {
        tok822_free_tree(node->head);
        node->head = tok822_scan(addr, &node->tail, 0);
        for (struct tok822 *t = node->head; t; t = t->next)
            t->owner = node;
    }
    mem_free(addr);
    return changed;
}

void
tok822_fold(struct buf *out, char *text)
{
    char *start = text, *line, *end, *next;

    for (line = text; line; line = next) {
        end = line + strcspn(line, "\n");
        if (line > start) {
            if (end - start < 70) /* TAB counts as one */
                line[-1] = ' ';
            else
                start = line;
        }
        next = *end ? end + 1 : NULL;
    }
    for (line = text; line; line = next) {
        end = line + strcspn(line, "\n");
        next = *end ? end + 1 : NULL;
        if (line != text && *line != ' ' && *line != '\t')
            (void) buf_putc(out, '\t');
        (void) buf_append(out, line, (size_t) (end - line));
        (void) buf_putc(out, '\n');
    }
}

/* rewrite_header - the header h (len bytes, without its last newline)
 * rewritten into out; 1 when it changed, 0 (out untouched) when not */
static int
rewrite_header(const char *h, size_t len, int limit, tok822_addr_fn *fn,
               void *ctx, struct buf *out)
{
    size_t namelen = 0;
    int cls, changed = 0;
    char *value;
    struct tok822 *tree;
    struct buf b;

    if ((cls = tok822_header_class(h, len, &namelen)) == 0)
        return 0;
    /* as Postfix: the value starts after strlen(name) + 1 bytes */
    value = mem_strndup(h + namelen + 1, len - namelen - 1);
    tree = tok822_parse(value, limit);
    mem_free(value);
    for (struct tok822 *tp = tree; tp; tp = tp->next)
        if (tp->type == TOK822_ADDR)
            changed |= rewrite_node(tp, cls, fn, ctx);
    if (changed) {
        buf_init(&b, 0);
        (void) buf_append(&b, h, namelen);
        (void) buf_puts(&b, ": ");
        tok822_externalize(&b, tree, TOK822_STR_LINE | TOK822_STR_TRNC);
        tok822_fold(out, buf_data(&b));
        buf_fini(&b);
    }
    tok822_free_tree(tree);
    return changed;
}

int
tok822_rewrite_headers(const char *content, size_t len, int limit,
                       tok822_addr_fn *fn, void *ctx, struct buf *out)
{
    const char *p = content, *end = content + len;
    int changed = 0;

    while (p < end && *p != '\n') {
        const char *h = p, *q = p;
        size_t n;

        /* a header name, then its continuation lines */
        while (q < end && *q != ':' && *q != '\n' && *q != ' ' && *q != '\t')
            q++;
        if (q == h || q >= end || (*q != ':' && *q != ' ' && *q != '\t'))
            break;
        for (;;) {
            const char *nl = memchr(q, '\n', (size_t) (end - q));

            q = nl ? nl + 1 : end;
            if (q >= end || (*q != ' ' && *q != '\t'))
                break;
        }
        n = (size_t) (q - h);
        if (n && h[n - 1] == '\n')
            n--;
        if (rewrite_header(h, n, limit, fn, ctx, out))
            changed = 1;
        else
            (void) buf_append(out, h, (size_t) (q - h));
        p = q;
    }
    (void) buf_append(out, p, (size_t) (end - p));
    return changed;
}
