/*
 * smtp_generic - smtp_generic_maps (lmtp_generic_maps): the addresses of
 * outgoing mail rewritten for the world outside.
 *
 * DESCRIPTION
 *	Postfix 3.7's smtp_map11.c and smtp_header_rewrite(): the envelope
 *	sender and each recipient (MAIL FROM, RCPT TO) and the addresses
 *	in the primary From:, To:, Cc:, ... headers are looked up as
 *	mail_addr_map() does (user+ext@domain, user@domain, user+ext and
 *	user for local domains, @domain), once, not recursively; the
 *	first address of the result replaces the original, with the
 *	unmatched extension when propagate_unmatched_extensions has
 *	"generic". The queue file is not changed: each delivery attempt
 *	rewrites again. A table that fails leaves the address alone, with
 *	a warning.
 */
#define _DEFAULT_SOURCE 1 /* strcasecmp */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "maps/maps.h"
#include "rewrite/rewrite.h"
#include "server/server.h"
#include "smtp/smtp_int.h"
#include "tok822/tok822.h"

struct smtp_generic {
    const char *title;
    struct maps *maps;
    struct rewrite *rw;
    char *delim;
    int propagate;
};

struct smtp_generic *
smtp_generic_new(struct agent *ag, struct server *srv)
{
    const char *title =
        SMTP_PARAM(ag, "lmtp_generic_maps", "smtp_generic_maps");
    char *v = server_param(
        srv, SMTP_PARAM(ag, "lmtp_generic_maps", "smtp_generic_maps"));
    struct smtp_generic *g;
    struct strv sv;

    if (*v == 0) {
        mem_free(v);
        return NULL;
    }
    g = mem_calloc(1, sizeof(*g));
    g->title = title;
    g->maps = maps_new(title, v, 0);
    (void) maps_preload(g->maps);
    mem_free(v);
    g->rw = rewrite_new(srv->conf, srv->name_space);
    g->delim = server_param(srv, "recipient_delimiter");
    v = server_param(srv, "propagate_unmatched_extensions");
    strv_init(&sv);
    server_split(v, &sv);
    for (size_t i = 0; i < sv.n; i++)
        g->propagate |= strcasecmp(sv.v[i], "generic") == 0;
    strv_fini(&sv);
    mem_free(v);
    return g;
}

void
smtp_generic_free(struct smtp_generic *g)
{
    if (g == NULL)
        return;
    maps_free(g->maps);
    rewrite_free(g->rw);
    mem_free(g->delim);
    mem_free(g);
}

/* first_addr - the first address of a table result (separated by
 * commas or white space outside quotes and <>), canonicalized, with ext
 * before its '@'; caller frees; NULL when there is none. *more is set
 * when more addresses follow */
static char *
first_addr(struct smtp_generic *g, const char *s, const char *ext, int *more)
{
    const char *start;
    int quoted = 0, angle = 0;
    size_t n;
    char *one, *canon, *at;
    struct buf b;

    while (*s == ',' || isspace((unsigned char) *s))
        s++;
    if (*s == 0)
        return NULL;
    for (start = s; *s; s++) {
        if (*s == '\\' && s[1]) {
            s++;
            continue;
        }
        if (*s == '"')
            quoted = !quoted;
        else if (!quoted && *s == '<')
            angle = 1;
        else if (!quoted && *s == '>')
            angle = 0;
        else if (!quoted && !angle &&
                 (*s == ',' || isspace((unsigned char) *s)))
            break;
    }
    n = (size_t) (s - start);
    while (*s == ',' || isspace((unsigned char) *s))
        s++;
    *more = *s != 0;
    if (n >= 2 && start[0] == '<' && start[n - 1] == '>') {
        start++;
        n -= 2;
    }
    one = mem_strndup(start, n);
    canon = rewrite_canon(g->rw, one);
    mem_free(one);
    if (ext == NULL || *ext == 0)
        return canon;
    at = strrchr(canon, '@');
    buf_init(&b, 0);
    (void) buf_append(&b, canon, at ? (size_t) (at - canon) : strlen(canon));
    (void) buf_puts(&b, ext);
    if (at)
        (void) buf_puts(&b, at);
    mem_free(canon);
    return buf_steal(&b);
}

/* map_external - the mapping of addr (external form), or NULL */
static char *
map_external(struct smtp_generic *g, const char *addr)
{
    const char *value;
    char *ext = NULL, *res = NULL;
    int more = 0;
    enum maps_result r;

    r = rewrite_addr_find(g->rw, g->maps, addr, g->delim, &value, &ext);
    if (r == MAPS_ERROR) {
        log_warn("%s map lookup problem for %s", g->title, addr);
    } else if (r == MAPS_FOUND) {
        if (*value == '@') {
            /* @otherdomain: the user in otherdomain */
            const char *at = strrchr(addr, '@');
            size_t n = at ? (size_t) (at - addr) : strlen(addr);
            struct buf b;

            if (ext && strlen(ext) <= n)
                n -= strlen(ext);
            buf_init(&b, 0);
            (void) buf_append(&b, addr, n);
            (void) buf_puts(&b, value);
            res = first_addr(g, buf_str(&b), g->propagate ? ext : NULL, &more);
            buf_fini(&b);
        } else {
            res = first_addr(g, value, g->propagate ? ext : NULL, &more);
        }
        if (more)
            log_warn("multi-valued %s result for %s", g->title, addr);
    }
    mem_free(ext);
    return res;
}

char *
smtp_generic_addr(struct smtp_generic *g, const char *addr)
{
    char *q, *m, *res;

    if (g == NULL || *addr == 0)
        return NULL;
    q = rewrite_quote(addr);
    m = map_external(g, q);
    mem_free(q);
    if (m == NULL)
        return NULL;
    res = rewrite_unquote(m);
    mem_free(m);
    return res;
}

/* header_addr - tok822_rewrite_headers() callback */
static int
header_addr(void *ctx, int cls, char **addr)
{
    struct smtp_generic *g = ctx;
    char *m;

    (void) cls;
    if (**addr == 0 || (m = map_external(g, *addr)) == NULL)
        return 0;
    if (strcmp(m, *addr) == 0) {
        mem_free(m);
        return 0;
    }
    mem_free(*addr);
    *addr = m;
    return 1;
}

int
smtp_generic_content(struct smtp_generic *g, const char *p, size_t n,
                     struct buf *out)
{
    if (g == NULL || n == 0)
        return 0;
    buf_truncate(out, 0);
    return tok822_rewrite_headers(p, n, 0, header_addr, g, out);
}
