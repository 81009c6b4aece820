/*
 * cleanup_virtual - virtual alias expansion of envelope recipients.
 *
 * DESCRIPTION
 *	Postfix 3.7's cleanup_map1n_internal() and mail_addr_map(): each
 *	recipient is looked up in virtual_alias_maps (rewrite_addr_find:
 *	user+ext@domain, user@domain, user+ext and user for $myorigin and
 *	local domains, @domain), each result is split into addresses,
 *	canonicalized (user -> user@$myorigin), given the unmatched
 *	extension when propagate_unmatched_extensions has "virtual", and
 *	looked up again, until no table knows it or an address expanded
 *	into itself. "@otherdomain" results keep the user. Lookups use the
 *	external (quoted) form, the expansion works on the internal one.
 *
 *	Limits, with Postfix's warnings: more than
 *	virtual_alias_expansion_limit addresses, more than
 *	virtual_alias_recursion_limit nested lookups, or a result longer
 *	than virtual_alias_address_length_limit defer the message ("451
 *	4.6.0 Alias expansion error"); a table that fails defers it too
 *	(CLEANUP_STAT_WRITE, as Postfix). An address in a virtual alias
 *	domain that nothing matched stays as it is: trivial-rewrite
 *	resolves it to "error:5.1.1 User unknown in virtual alias table",
 *	so it bounces (smtpd refuses it at RCPT already).
 *
 * BUGS
 *	A NOTIFY=SUCCESS recipient that expands to several is not reported
 *	as "expanded" (Postfix sends a success notice then); each result
 *	keeps the NOTIFY. receive_override_options=no_address_mappings
 *	(content-filter re-injection) turns the expansion off (cleanup.c,
 *	issue 19).
 */
#define _DEFAULT_SOURCE 1 /* strcasecmp */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup/cleanup.h"
#include "maillog/maillog.h"
#include "maps/maps.h"
#include "rewrite/rewrite.h"
#include "server/server.h"
#include "tok822/tok822.h"

struct cleanup_valias {
    struct rewrite *rw; /* borrowed */
    struct maps *maps;  /* virtual_alias_maps */
    char *delim;        /* recipient_delimiter */
    int propagate;      /* propagate_unmatched_extensions has virtual */
    long expan_limit;   /* virtual_alias_expansion_limit */
    long recur_limit;   /* virtual_alias_recursion_limit */
    long addrlen_limit; /* virtual_alias_address_length_limit */
};

struct cleanup_valias *
cleanup_valias_new(struct pcf *p, const char *svc, struct rewrite *rw)
{
    struct cleanup_valias *va = mem_calloc(1, sizeof(*va));
    char *v = server_conf_str(p, svc, "virtual_alias_maps");
    struct strv sv;

    va->rw = rw;
    va->maps = maps_new("virtual_alias_maps", v, 0);
    (void) maps_preload(va->maps);
    mem_free(v);
    va->delim = server_conf_str(p, svc, "recipient_delimiter");
    v = server_conf_str(p, svc, "propagate_unmatched_extensions");
    strv_init(&sv);
    server_split(v, &sv);
    for (size_t i = 0; i < sv.n; i++)
        va->propagate |= strcasecmp(sv.v[i], "virtual") == 0;
    strv_fini(&sv);
    mem_free(v);
    va->expan_limit = server_conf_int(p, svc, "virtual_alias_expansion_limit");
    va->recur_limit = server_conf_int(p, svc, "virtual_alias_recursion_limit");
    va->addrlen_limit =
        server_conf_int(p, svc, "virtual_alias_address_length_limit");
    return va;
}

void
cleanup_valias_free(struct cleanup_valias *va)
{
    if (va == NULL)
        return;
    maps_free(va->maps);
    mem_free(va->delim);
    mem_free(va);
}

int
cleanup_valias_active(const struct cleanup_valias *va)
{
    return va != NULL && !maps_empty(va->maps);
}

/* crunch - Postfix's mail_addr_crunch(): the addresses of a table result
 * (tok822_parse: "a, b c", "Name <a>", comments), each canonicalized and
 * given ext before its '@', appended to out (external form) */
static void
crunch(struct rewrite *rw, const char *s, const char *ext, struct strv *out)
{
    struct tok822 *tree = tok822_parse(s, 0);

    for (struct tok822 *tp = tree; tp; tp = tp->next) {
        struct buf b;
        char *canon, *at;

        if (tp->type != TOK822_ADDR)
            continue;
        buf_init(&b, 0);
        tok822_externalize(&b, tp->head, 0);
        canon = rewrite_canon(rw, buf_str(&b));
        buf_fini(&b);
        if (ext && *ext) {
            at = strrchr(canon, '@');
            buf_init(&b, 0);
            (void) buf_append(&b, canon,
                              at ? (size_t) (at - canon) : strlen(canon));
            (void) buf_puts(&b, ext);
            if (at)
                (void) buf_puts(&b, at);
            mem_free(canon);
            canon = buf_steal(&b);
        }
        strv_adopt(out, canon);
    }
    tok822_free_tree(tree);
}

/* cleanup_addr_map - see cleanup.h */
int
cleanup_addr_map(struct rewrite *rw, struct maps *m, const char *title,
                 const char *delim, int propagate, const char *key,
                 struct strv *out)
{
    const char *value;
    char *ext = NULL;
    enum maps_result r;

    r = rewrite_addr_find(rw, m, key, delim, &value, &ext);
    if (r != MAPS_FOUND) {
        mem_free(ext);
        return r;
    }
    if (*value == '@') {
        /* @otherdomain: the original user in otherdomain, without the
         * unmatched extension, which is not propagated */
        const char *at = strrchr(key, '@');
        size_t n = at ? (size_t) (at - key) : strlen(key);
        struct buf b;

        if (ext && strlen(ext) <= n)
            n -= strlen(ext);
        buf_init(&b, 0);
        (void) buf_append(&b, key, n);
        (void) buf_puts(&b, value);
        crunch(rw, buf_str(&b), propagate ? ext : NULL, out);
        buf_fini(&b);
    } else {
        char *copy = mem_strdup(value);

        crunch(rw, copy, propagate ? ext : NULL, out);
        mem_free(copy);
    }
    if (out->n == 0) {
        log_warn("%s lookup of %s returns non-address result \"%s\"", title,
                 key, value);
        r = MAPS_ERROR;
    }
    mem_free(ext);
    return r;
}

static enum maps_result
addr_map(struct cleanup_valias *va, const char *key, struct strv *out)
{
    return (enum maps_result) cleanup_addr_map(va->rw, va->maps,
                                               "virtual_alias_maps", va->delim,
                                               va->propagate, key, out);
}

/* been_here - the set of addresses that expanded into themselves
 * (case-folded), as Postfix's BH_FLAG_FOLD table */
static int
been_here_check(struct htab *h, const char *addr)
{
    char *k = mem_strdup(addr);
    int hit;

    for (char *c = k; *c; c++)
        *c = (char) tolower((unsigned char) *c);
    hit = htab_find(h, k) != NULL;
    mem_free(k);
    return hit;
}

static void
been_here_add(struct htab *h, const char *addr)
{
    char *k = mem_strdup(addr);

    for (char *c = k; *c; c++)
        *c = (char) tolower((unsigned char) *c);
    if (htab_find(h, k) == NULL)
        htab_set(h, k, mem_strdup("1"));
    mem_free(k);
}

/* unexpand - the failure result: the address itself */
static int
unexpand(struct strv *out, const char *addr, int status)
{
    strv_fini(out);
    strv_init(out);
    strv_add(out, addr);
    return status;
}

/* expand_one - one lookup round of out->v[arg]: 1 when it expanded
 * (look again), 0 when not, or a CLEANUP_STAT_* (negated) */
static int
expand_one(struct cleanup_valias *va, const char *id, const char *addr,
           struct strv *out, size_t arg, struct htab *bh)
{
    struct strv res;
    char *key = rewrite_quote(out->v[arg]), *lhs;
    enum maps_result r;

    strv_init(&res);
    r = addr_map(va, key, &res);
    mem_free(key);
    if (r == MAPS_ERROR) {
        log_warn("%s: virtual_alias_maps map lookup problem for %s -- "
                 "message not accepted, try again later",
                 id, addr);
        strv_fini(&res);
        return -CLEANUP_STAT_WRITE;
    }
    if (r == MAPS_NOTFOUND) {
        strv_fini(&res);
        return 0;
    }
    lhs = mem_strdup(out->v[arg]);
    for (size_t i = 0; i < res.n; i++) {
        char *in;

        if ((long) strlen(res.v[i]) > va->addrlen_limit) {
            log_warn("%s: unreasonable virtual_alias_maps result "
                     "%.300s... -- message not accepted, try again "
                     "later",
                     id, res.v[i]);
            mem_free(lhs);
            strv_fini(&res);
            return -CLEANUP_STAT_DEFER;
        }
        in = rewrite_unquote(res.v[i]);
        if (i == 0) {
            mem_free(out->v[arg]);
            out->v[arg] = in;
        } else {
            strv_adopt(out, in);
        }
        /* an address may expand into itself once */
        if (strcasecmp(lhs, out->v[i == 0 ? arg : out->n - 1]) == 0)
            been_here_add(bh, lhs);
    }
    mem_free(lhs);
    strv_fini(&res);
    return 1;
}

int
cleanup_valias_expand(struct cleanup_valias *va, const char *id,
                      const char *addr, struct strv *out)
{
    struct htab *bh = htab_new(16);
    int status = CLEANUP_STAT_OK;
    char *internal = rewrite_unquote(addr);

    strv_add(out, internal);
    for (size_t arg = 0; arg < out->n && status == CLEANUP_STAT_OK; arg++) {
        if ((long) out->n > va->expan_limit) {
            log_warn("%s: unreasonable virtual_alias_maps map expansion "
                     "size for %s -- message not accepted, try again "
                     "later",
                     id, internal);
            status = unexpand(out, internal, CLEANUP_STAT_DEFER);
            break;
        }
        for (long count = 0;; count++) {
            int r;

            if (been_here_check(bh, out->v[arg]))
                break;
            if (count >= va->recur_limit) {
                log_warn("%s: unreasonable virtual_alias_maps map "
                         "nesting for %s -- message not accepted, try "
                         "again later",
                         id, internal);
                status = unexpand(out, internal, CLEANUP_STAT_DEFER);
                break;
            }
            r = expand_one(va, id, internal, out, arg, bh);
            if (r < 0) {
                status = unexpand(out, internal, -r);
                break;
            }
            if (r == 0)
                break;
        }
    }
    /* back to the external form the queue keeps */
    for (size_t i = 0; i < out->n; i++) {
        char *q = rewrite_quote(out->v[i]);

        mem_free(out->v[i]);
        out->v[i] = q;
    }
    htab_free(bh, mem_free);
    mem_free(internal);
    return status;
}
