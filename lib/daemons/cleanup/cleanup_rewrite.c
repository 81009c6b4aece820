/*
 * cleanup_rewrite - canonical maps, masquerading and automatic BCCs.
 *
 * DESCRIPTION
 *	Postfix 3.7's cleanup_addr.c, cleanup_map11.c and
 *	cleanup_masquerade.c for the envelope. The sender, already
 *	canonicalized by trivial-rewrite, is looked up in
 *	sender_canonical_maps then canonical_maps (each when its classes
 *	name envelope_sender), then masqueraded (masquerade_classes has
 *	envelope_sender); a recipient likewise with recipient_canonical_maps
 *	and envelope_recipient. A canonical lookup repeats on its result,
 *	at most 10 times, until the result is the address itself; only
 *	the first address of a multi-valued result is used (with Postfix's
 *	warning). sender_bcc_maps is looked up with the rewritten sender,
 *	recipient_bcc_maps with each rewritten recipient, then always_bcc
 *	is added; each BCC goes through the recipient rewriting and gets
 *	NOTIFY=NEVER and itself as the original recipient. Lookups use
 *	the external (quoted) form.
 *
 * BUGS
 *	Header addresses (the header_sender and header_recipient classes)
 *	are not rewritten yet; schemas/postern.yaml says so ("partly").
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

#define CLASS_ENV_FROM  1u
#define CLASS_ENV_RCPT  2u
#define CLASS_HDR_FROM  4u
#define CLASS_HDR_RCPT  8u
#define MAP11_RECURSION 10

struct canon {
    const char *title;
    struct maps *maps; /* NULL when the parameter is empty */
    unsigned classes;
};

struct cleanup_rw {
    struct rewrite *rw; /* borrowed */
    char *delim;        /* recipient_delimiter */
    int propagate;      /* propagate_unmatched_extensions has canonical */
    struct canon send, rcpt, comm;
    struct strv masq; /* masquerade_domains */
    unsigned masq_classes;
    struct maps_match *masq_except; /* NULL when empty */
    struct maps *send_bcc, *rcpt_bcc;
    char *always_bcc;
    /* headers */
    char *myorigin, *mydomain;
    char *remote_domain;         /* remote_header_rewrite_domain */
    int lhrc_all;                /* local_header_rewrite_clients: all */
    int lhrc_inet;               /* permit_inet_interfaces */
    struct maps_match *lhrc_net; /* permit_mynetworks: mynetworks */
    long token_limit;            /* header_address_token_limit */
};

/* classes - the bits of a *_classes value */
static unsigned
classes(struct pcf *p, const char *svc, const char *name)
{
    char *v = server_conf_str(p, svc, name);
    struct strv sv;
    unsigned bits = 0;

    strv_init(&sv);
    server_split(v, &sv);
    for (size_t i = 0; i < sv.n; i++) {
        if (strcasecmp(sv.v[i], "envelope_sender") == 0)
            bits |= CLASS_ENV_FROM;
        else if (strcasecmp(sv.v[i], "envelope_recipient") == 0)
            bits |= CLASS_ENV_RCPT;
        else if (strcasecmp(sv.v[i], "header_sender") == 0)
            bits |= CLASS_HDR_FROM;
        else if (strcasecmp(sv.v[i], "header_recipient") == 0)
            bits |= CLASS_HDR_RCPT;
        else
            log_warn("%s: unknown address class \"%s\"", name, sv.v[i]);
    }
    strv_fini(&sv);
    mem_free(v);
    return bits;
}

/* table - maps for a parameter, or NULL when it is empty */
static struct maps *
table(struct pcf *p, const char *svc, const char *name)
{
    char *v = server_conf_str(p, svc, name);
    struct maps *m = NULL;

    if (*v) {
        m = maps_new(name, v, 0);
        (void) maps_preload(m);
    }
    mem_free(v);
    return m;
}

/* hdr_init - the header rewriting settings */
static void
hdr_init(struct cleanup_rw *crw, struct pcf *p, const char *svc)
{
    char *v = server_conf_str(p, svc, "local_header_rewrite_clients");
    struct strv sv;

    crw->myorigin = server_conf_str(p, svc, "myorigin");
    crw->mydomain = server_conf_str(p, svc, "mydomain");
    crw->remote_domain =
        server_conf_str(p, svc, "remote_header_rewrite_domain");
    crw->token_limit = server_conf_int(p, svc, "header_address_token_limit");
    strv_init(&sv);
    server_split(v, &sv);
    for (size_t i = 0; i < sv.n; i++) {
        const char *w = sv.v[i];

        if (strcasecmp(w, "permit_inet_interfaces") == 0) {
            crw->lhrc_inet = 1;
        } else if (strcasecmp(w, "permit_mynetworks") == 0) {
            char *net = server_conf_str(p, svc, "mynetworks");

            if (crw->lhrc_net == NULL)
                crw->lhrc_net =
                    maps_match_new("mynetworks", net, MAPS_MATCH_ADDR, 0);
            mem_free(net);
        } else if (strcasecmp(w, "static:all") == 0 ||
                   strcasecmp(w, "permit") == 0) {
            crw->lhrc_all = 1;
        } else {
            log_warn("local_header_rewrite_clients: %s is not supported; "
                     "such clients get the remote rewriting context",
                     w);
        }
    }
    strv_fini(&sv);
    mem_free(v);
}

struct cleanup_rw *
cleanup_rw_new(struct pcf *p, const char *svc, struct rewrite *rw)
{
    struct cleanup_rw *crw = mem_calloc(1, sizeof(*crw));
    char *v;
    struct strv sv;

    crw->rw = rw;
    crw->delim = server_conf_str(p, svc, "recipient_delimiter");
    v = server_conf_str(p, svc, "propagate_unmatched_extensions");
    strv_init(&sv);
    server_split(v, &sv);
    for (size_t i = 0; i < sv.n; i++)
        crw->propagate |= strcasecmp(sv.v[i], "canonical") == 0;
    strv_fini(&sv);
    mem_free(v);
    crw->send.title = "sender_canonical_maps";
    crw->send.maps = table(p, svc, "sender_canonical_maps");
    crw->send.classes = classes(p, svc, "sender_canonical_classes");
    crw->rcpt.title = "recipient_canonical_maps";
    crw->rcpt.maps = table(p, svc, "recipient_canonical_maps");
    crw->rcpt.classes = classes(p, svc, "recipient_canonical_classes");
    crw->comm.title = "canonical_maps";
    crw->comm.maps = table(p, svc, "canonical_maps");
    crw->comm.classes = classes(p, svc, "canonical_classes");
    strv_init(&crw->masq);
    v = server_conf_str(p, svc, "masquerade_domains");
    server_split(v, &crw->masq);
    mem_free(v);
    crw->masq_classes = classes(p, svc, "masquerade_classes");
    v = server_conf_str(p, svc, "masquerade_exceptions");
    if (*v) {
        crw->masq_except =
            maps_match_new("masquerade_exceptions", v, MAPS_MATCH_DOMAIN, 0);
        (void) maps_match_preload(crw->masq_except);
    }
    mem_free(v);
    crw->send_bcc = table(p, svc, "sender_bcc_maps");
    crw->rcpt_bcc = table(p, svc, "recipient_bcc_maps");
    crw->always_bcc = server_conf_str(p, svc, "always_bcc");
    hdr_init(crw, p, svc);
    return crw;
}

void
cleanup_rw_free(struct cleanup_rw *crw)
{
    if (crw == NULL)
        return;
    mem_free(crw->delim);
    maps_free(crw->send.maps);
    maps_free(crw->rcpt.maps);
    maps_free(crw->comm.maps);
    strv_fini(&crw->masq);
    if (crw->masq_except)
        maps_match_free(crw->masq_except);
    maps_free(crw->send_bcc);
    maps_free(crw->rcpt_bcc);
    mem_free(crw->always_bcc);
    mem_free(crw->myorigin);
    mem_free(crw->mydomain);
    mem_free(crw->remote_domain);
    if (crw->lhrc_net)
        maps_match_free(crw->lhrc_net);
    mem_free(crw);
}

/* map11 - Postfix's cleanup_map11_external(): *addr (external form,
 * owned) replaced by its canonical mapping; 0, or -1 when a table
 * failed (logged) */
static int
map11(struct cleanup_rw *crw, const char *id, const struct canon *cn,
      char **addr)
{
    for (int count = 0; count < MAP11_RECURSION; count++) {
        struct strv out;
        int r, self;

        strv_init(&out);
        r = cleanup_addr_map(crw->rw, cn->maps, cn->title, crw->delim,
                             crw->propagate, *addr, &out);
        if (r != MAPS_FOUND) {
            strv_fini(&out);
            if (r == MAPS_NOTFOUND)
                return 0;
            log_warn("%s: %s map lookup problem for %s", id, cn->title, *addr);
            return -1;
        }
        if (out.n > 1)
            log_warn("%s: multi-valued %s entry for %s", id, cn->title, *addr);
        self = strcasecmp(out.v[0], *addr) == 0;
        mem_free(*addr);
        *addr = mem_strdup(out.v[0]);
        strv_fini(&out);
        if (self)
            return 0;
    }
    log_warn("%s: unreasonable %s map nesting for %s", id, cn->title, *addr);
    return 0;
}

/* masquerade - Postfix's cleanup_masquerade_external() on *addr
 * (external form, owned); 0, or -1 when masquerade_exceptions failed */
static int
masquerade(struct cleanup_rw *crw, const char *id, char **addr)
{
    char *at = strrchr(*addr, '@');
    const char *domain;
    size_t dlen;

    if (at == NULL)
        return 0;
    domain = at + 1;
    dlen = strlen(domain);
    if (crw->masq_except) {
        char *name = mem_strndup(*addr, (size_t) (at - *addr));
        int m;

        for (char *q = name; *q; q++)
            *q = (char) tolower((unsigned char) *q);
        m = maps_match_domain(crw->masq_except, name);
        mem_free(name);
        if (m < 0) {
            log_info("%s: masquerade_exceptions map lookup problem -- "
                     "message not accepted, try again later",
                     id);
            return -1;
        }
        if (m > 0)
            return 0;
    }
    for (size_t i = 0; i < crw->masq.n; i++) {
        const char *masq = crw->masq.v[i];
        int truncate = 1;
        size_t mlen;

        for (; *masq == '!'; masq++)
            truncate = !truncate;
        mlen = strlen(masq);
        if (mlen == 0)
            continue;
        if (mlen == dlen) {
            if (strcasecmp(masq, domain) == 0)
                break;
        } else if (mlen < dlen) {
            const char *parent = domain + dlen - mlen;

            if (parent[-1] == '.' && strcasecmp(masq, parent) == 0) {
                if (truncate) {
                    struct buf b;

                    buf_init(&b, 0);
                    (void) buf_append(&b, *addr, (size_t) (at + 1 - *addr));
                    (void) buf_puts(&b, masq);
                    mem_free(*addr);
                    *addr = buf_steal(&b);
                }
                break;
            }
        }
    }
    return 0;
}

/* rewrite_one - the canonical maps of one direction, then masquerading,
 * on *addr (internal form, owned); 0 or -1 (a table failed) */
static int
rewrite_one(struct cleanup_rw *crw, const char *id, const struct canon *dir,
            unsigned cls, char **addr)
{
    char *ext;
    int rc = 0;

    if (**addr == 0)
        return 0;
    ext = rewrite_quote(*addr);
    if (dir->maps && (dir->classes & cls))
        rc |= map11(crw, id, dir, &ext);
    if (crw->comm.maps && (crw->comm.classes & cls))
        rc |= map11(crw, id, &crw->comm, &ext);
    if (crw->masq.n && (crw->masq_classes & cls))
        rc |= masquerade(crw, id, &ext);
    mem_free(*addr);
    *addr = rewrite_unquote(ext);
    mem_free(ext);
    return rc;
}

/* bcc_find - the BCC address of addr (internal form) in m, or NULL */
static char *
bcc_find(struct cleanup_rw *crw, struct maps *m, const char *addr, int *err)
{
    const char *value;
    char *ext = NULL, *q = rewrite_quote(addr), *res = NULL;
    enum maps_result r;

    r = rewrite_addr_find(crw->rw, m, q, crw->delim, &value, &ext);
    if (r == MAPS_FOUND)
        res = rewrite_unquote(value);
    else if (r == MAPS_ERROR)
        *err = 1;
    mem_free(ext);
    mem_free(q);
    return res;
}

/* add_bcc - Postfix's cleanup_addr_bcc() */
static int
add_bcc(struct cleanup_rw *crw, struct queue_env *env, const char *bcc)
{
    char *addr = rewrite_canon(crw->rw, bcc);
    int rc = rewrite_one(crw, env->id, &crw->rcpt, CLASS_ENV_RCPT, &addr);

    queue_env_add_rcpt(env, addr, addr, "", QUEUE_NOTIFY_NEVER);
    mem_free(addr);
    return rc;
}

int
cleanup_rw_envelope(struct cleanup_rw *crw, struct queue_env *env)
{
    int rc = 0, err = 0;
    size_t n = env->nrcpt;
    struct strv bccs;

    rc |= rewrite_one(crw, env->id, &crw->send, CLASS_ENV_FROM, &env->sender);
    strv_init(&bccs);
    if (crw->send_bcc && *env->sender) {
        char *b = bcc_find(crw, crw->send_bcc, env->sender, &err);

        if (b)
            strv_adopt(&bccs, b);
    }
    for (size_t i = 0; i < n; i++) {
        struct queue_rcpt *r = &env->rcpt[i];
        char *before = mem_strdup(r->addr);

        rc |= rewrite_one(crw, env->id, &crw->rcpt, CLASS_ENV_RCPT, &r->addr);
        if (strcmp(before, r->addr) != 0 && r->orig[0] == 0)
            queue_env_set(&r->orig, before);
        mem_free(before);
        if (crw->rcpt_bcc && *r->addr) {
            char *b = bcc_find(crw, crw->rcpt_bcc, r->addr, &err);

            if (b)
                strv_adopt(&bccs, b);
        }
    }
    /* added after the loop: queue_env_add_rcpt may move env->rcpt */
    for (size_t i = 0; i < bccs.n; i++)
        rc |= add_bcc(crw, env, bccs.v[i]);
    strv_fini(&bccs);
    if (*crw->always_bcc)
        rc |= add_bcc(crw, env, crw->always_bcc);
    if (err)
        log_warn("%s: bcc map lookup problem -- "
                 "message not accepted, try again later",
                 env->id);
    return rc || err ? CLEANUP_STAT_WRITE : CLEANUP_STAT_OK;
}

/*
 * Header addresses: Postfix's cleanup_rewrite_sender/_recip; the header
 * walk, parse and folding are tok822_rewrite_headers().
 */
struct hdr_ctx {
    struct cleanup_rw *crw;
    const char *id;
    const char *origin, *domain; /* the rewriting context */
};

/* rewrite_addr - one header address (external form): the rewriting
 * context, then the canonical maps and masquerading of its class */
static int
rewrite_addr(void *context, int cls, char **addr)
{
    struct hdr_ctx *hc = context;
    struct cleanup_rw *crw = hc->crw;
    const struct canon *dir =
        cls == TOK822_HDR_SENDER ? &crw->send : &crw->rcpt;
    unsigned bit = cls == TOK822_HDR_SENDER ? CLASS_HDR_FROM : CLASS_HDR_RCPT;
    char *canon = rewrite_canon_ctx(crw->rw, *addr, hc->origin, hc->domain);
    int changed = strcmp(canon, *addr) != 0;

    mem_free(*addr);
    *addr = canon;
    if (**addr) {
        char *before = mem_strdup(*addr);

        if (dir->maps && (dir->classes & bit))
            (void) map11(crw, hc->id, dir, addr);
        if (crw->comm.maps && (crw->comm.classes & bit))
            (void) map11(crw, hc->id, &crw->comm, addr);
        if (crw->masq.n && (crw->masq_classes & bit))
            (void) masquerade(crw, hc->id, addr);
        changed |= strcmp(before, *addr) != 0;
        mem_free(before);
    }
    return changed;
}

/* local_client - the client gets the local rewriting context */
static int
local_client(const struct cleanup_rw *crw, const struct queue_env *env,
             int local_submission)
{
    const char *a = env->client_addr ? env->client_addr : "";

    if (local_submission || crw->lhrc_all)
        return 1;
    if (crw->lhrc_inet &&
        (strncmp(a, "127.", 4) == 0 || strcmp(a, "::1") == 0 || *a == 0))
        return 1;
    return crw->lhrc_net && *a && maps_match_addr(crw->lhrc_net, a) == 1;
}

int
cleanup_rw_headers(struct cleanup_rw *crw, const struct queue_env *env,
                   int local_submission, struct buf *content)
{
    struct hdr_ctx hc = {crw, env->id, NULL, NULL};
    struct buf out;

    if (local_client(crw, env, local_submission)) {
        hc.origin = crw->myorigin;
        hc.domain = crw->mydomain;
    } else if (*crw->remote_domain) {
        hc.origin = hc.domain = crw->remote_domain;
    } else {
        return 0; /* remote client, no remote_header_rewrite_domain */
    }
    if (content->len == 0)
        return 0;
    buf_init(&out, 0);
    if (!tok822_rewrite_headers(content->data, content->len,
                                (int) crw->token_limit, rewrite_addr, &hc,
                                &out)) {
        buf_fini(&out);
        return 0;
    }
    buf_fini(content);
    *content = out;
    return 1;
}

int
cleanup_rw_message(struct cleanup_rw *crw, struct queue_env *env,
                   unsigned flags, struct buf *content)
{
    int rc = cleanup_rw_envelope(crw, env);

    if (rc == CLEANUP_STAT_OK)
        (void) cleanup_rw_headers(crw, env, (flags & QUEUE_F_LOCAL) != 0,
                                  content);
    return rc;
}
