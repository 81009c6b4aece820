/*
 * virtual - the virtual mailbox delivery agent.
 *
 * DESCRIPTION
 *	See virtual.h. Per recipient, as Postfix 3.7's virtual(8): the
 *	address in lower case is looked up (rewrite_addr_find: the whole
 *	address, without its extension, @domain) in virtual_mailbox_maps
 *	(not found: bounce 5.1.1 "unknown user"), virtual_uid_maps and
 *	virtual_gid_maps (not found or bad: a warning with the reason and
 *	a deferral with Postfix's "4.3.5 mail system configuration error",
 *	so that a broken table never bounces mail); a Delivered-To:
 *	header naming the recipient already is a mail forwarding loop
 *	(5.4.6). The file is written as that uid and gid, the gid the only
 *	group (util_set_eugid), never following a symlink
 *	(lib/services/mailbox).
 *
 *	Runs as root (master.cf "virtual unix - n n - - virtual") to take
 *	the mailbox owners' rights; as an ordinary user (tests) it writes
 *	with its own rights but still refuses a uid below
 *	virtual_minimum_uid.
 *
 * DIAGNOSTICS
 *	A relative virtual_mailbox_base, or a virtual_mailbox_limit below
 *	message_size_limit, is fatal at start, in Postfix's words.
 */
#define _DEFAULT_SOURCE 1 /* strcasecmp */
#include "virtual/virtual.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deliver/deliver.h"
#include "mailbox/mailbox.h"
#include "maillog/maillog.h"
#include "maps/maps.h"
#include "rewrite/rewrite.h"
#include "server/server.h"

struct virt {
    struct server *srv;
    struct mailbox mb;
    struct rewrite *rw;
    struct maps *mailbox_maps; /* virtual_mailbox_maps */
    struct maps *uid_maps;     /* virtual_uid_maps */
    struct maps *gid_maps;     /* virtual_gid_maps */
    char *base;                /* virtual_mailbox_base */
    char *delim;               /* recipient_delimiter */
    long min_uid;              /* virtual_minimum_uid */
    struct deliver_content msg;
};

/* config_error - Postfix's answer to a table the administrator must
 * fix: the reason as a warning, the mail deferred with 4.3.5 */
static void UTIL_PRINTF(2, 3)
    config_error(struct mailbox_result *res, const char *fmt, ...)
{
    va_list ap;
    char why[600];

    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    log_warn("%s", why);
    mailbox_set_res(res, DELIVER_DEFER, "4.3.5",
                    "mail system configuration error");
}

/* find - one of the agent's tables for the user (external form) */
static enum maps_result
find(struct virt *v, struct maps *m, const char *user, const char **value)
{
    char *ext = rewrite_quote(user);
    enum maps_result r =
        rewrite_addr_find(v->rw, m, ext, v->delim, value, NULL);

    mem_free(ext);
    return r;
}

/* id_value - a uid or gid result ("1001", "static:1001" gives 1001 too);
 * 0, or -1 when it is not a number */
static int
id_value(const char *s, long *out)
{
    char *end;
    long n;

    errno = 0;
    n = strtol(s, &end, 10);
    if (errno || end == s || *end != 0)
        return -1;
    *out = n;
    return 0;
}

/* owner - the uid and gid user's mailbox is written with; -1 with *res
 * set (a deferral: the tables are the administrator's to fix) */
static int
owner(struct virt *v, const char *user, long *uid, long *gid,
      struct mailbox_result *res)
{
    const char *val;
    enum maps_result r;

    r = find(v, v->uid_maps, user, &val);
    if (r == MAPS_ERROR) {
        config_error(res, "table virtual_uid_maps: lookup %s: %s", user,
                     maps_error(v->uid_maps));
        return -1;
    }
    if (r == MAPS_NOTFOUND) {
        config_error(res, "recipient %s: uid not found in virtual_uid_maps",
                     user);
        return -1;
    }
    if (id_value(val, uid) < 0 || *uid < v->min_uid) {
        config_error(res, "recipient %s: bad uid %s in virtual_uid_maps", user,
                     val);
        return -1;
    }
    r = find(v, v->gid_maps, user, &val);
    if (r == MAPS_ERROR) {
        config_error(res, "table virtual_gid_maps: lookup %s: %s", user,
                     maps_error(v->gid_maps));
        return -1;
    }
    if (r == MAPS_NOTFOUND) {
        config_error(res, "recipient %s: gid not found in virtual_gid_maps",
                     user);
        return -1;
    }
    if (id_value(val, gid) < 0 || *gid <= 0) {
        config_error(res, "recipient %s: bad gid %s in virtual_gid_maps", user,
                     val);
        return -1;
    }
    return 0;
}

/* deliver_one - one recipient; 1 when its result waits for the batch
 * sync (a Maildir file), 0 when res is final */
static int
deliver_one(struct virt *v, struct mailbox_batch *b, struct deliver_req *req,
            struct deliver_rcpt *rc, struct mailbox_result *res)
{
    char *user = mem_strdup(rc->addr), path[1100], prefix[1200];
    const char *orig = rc->orig && rc->orig[0] ? rc->orig : rc->addr;
    const char *val;
    enum maps_result r;
    long uid, gid;
    size_t n;
    int wait = 0;

    for (char *c = user; *c; c++)
        *c = (char) tolower((unsigned char) *c);
    if (mailbox_loop_check(&v->msg.content, user)) {
        mailbox_set_res(res, DELIVER_BOUNCE, "5.4.6",
                        "mail forwarding loop for %s", user);
        goto out;
    }
    r = find(v, v->mailbox_maps, user, &val);
    if (r == MAPS_ERROR) {
        config_error(res, "table virtual_mailbox_maps: lookup %s: %s", user,
                     maps_error(v->mailbox_maps));
        goto out;
    }
    if (r == MAPS_NOTFOUND) {
        mailbox_set_res(res, DELIVER_BOUNCE, "5.1.1", "unknown user: \"%s\"",
                        user);
        goto out;
    }
    snprintf(path, sizeof(path), "%s/%s", v->base, val);
    if (owner(v, user, &uid, &gid, res) < 0)
        goto out;
    n = strlen(path);
    if (n && path[n - 1] == '/') {
        mailbox_maildir_start(&v->mb, b, req, rc, &v->msg.content, path,
                              rc->addr, orig, uid, gid, res);
        wait = res->status == DELIVER_SENT;
    } else {
        snprintf(prefix, sizeof(prefix),
                 "delivery failed to mailbox %.1100s: ", path);
        mailbox_mbox(&v->mb, req, &v->msg.content, path, rc->addr, orig, uid,
                     gid, prefix, "delivered to mailbox", 0, res);
    }
out:
    mem_free(user);
    return wait;
}

static void
batch(void *ctx, struct deliver_req **reqs, size_t n)
{
    struct virt *v = ctx;
    struct mailbox_batch b = {NULL, 0};

    for (size_t i = 0; i < n; i++) {
        struct deliver_req *req = reqs[i];
        int loaded = deliver_content_load(&v->msg, req) == 0;

        for (size_t j = 0; j < req->nrcpt; j++) {
            struct deliver_rcpt *rc = &req->rcpt[j];
            struct mailbox_result res;

            memset(&res, 0, sizeof(res));
            if (!loaded)
                mailbox_set_res(&res, DELIVER_DEFER, "4.3.0",
                                "cannot read queue file");
            else if (deliver_one(v, &b, req, rc, &res)) {
                /* logged by the batch sync, which has the last word */
                deliver_result(rc, res.status, res.dsn, res.text);
                continue;
            }
            deliver_result(rc, res.status, res.dsn, res.text);
            deliver_log(req, rc, "virtual");
        }
    }
    mailbox_batch_finish(&v->mb, &b, "virtual");
}

/* table - a map parameter, read before the jail hides its files */
static struct maps *
table(const char *name, char *spec)
{
    struct maps *m = maps_new(name, spec, 0);

    (void) maps_preload(m);
    mem_free(spec);
    return m;
}

static void
virtual_pre_drop(struct server *srv, void *ctx)
{
    struct virt *v = ctx;

    v->srv = srv;
    deliver_status_filter_open(srv, "virtual_delivery_status_filter");
    v->rw = rewrite_new(srv->conf, srv->name_space);
    v->mailbox_maps = table("virtual_mailbox_maps",
                            server_param(srv, "virtual_mailbox_maps"));
    v->uid_maps =
        table("virtual_uid_maps", server_param(srv, "virtual_uid_maps"));
    v->gid_maps =
        table("virtual_gid_maps", server_param(srv, "virtual_gid_maps"));
}

static void
virtual_setup(struct server *srv, void *ctx)
{
    struct virt *v = ctx;
    const char *bad = NULL;
    char *s;
    long limit, msg_limit;

    deliver_content_init(&v->msg);
    s = server_param(srv, "myhostname");
    mailbox_init(&v->mb, s);
    mem_free(s);
    v->base = server_param(srv, "virtual_mailbox_base");
    if (v->base[0] != '/')
        log_fatal("do not specify relative pathname: "
                  "virtual_mailbox_base = %s",
                  v->base);
    v->delim = server_param(srv, "recipient_delimiter");
    v->min_uid = server_param_int(srv, "virtual_minimum_uid");
    limit = server_param_size(srv, "virtual_mailbox_limit");
    msg_limit = server_param_size(srv, "message_size_limit");
    if (limit > 0 && msg_limit > 0 && limit < msg_limit)
        log_fatal("main.cf configuration error: virtual_mailbox_limit "
                  "is smaller than message_size_limit");
    v->mb.size_limit = limit;
    v->mb.original_rcpt = server_param_bool(srv, "enable_original_recipient");
    s = server_param(srv, "virtual_mailbox_lock");
    if (mailbox_lock_methods(&v->mb, s, &bad) < 0)
        log_fatal("invalid virtual_mailbox_lock lock specification: "
                  "\"%s\"",
                  s);
    mem_free(s);
    v->mb.lock_attempts = server_param_int(srv, "deliver_lock_attempts");
    if (v->mb.lock_attempts < 1)
        v->mb.lock_attempts = 1;
    v->mb.lock_delay = server_param_time(srv, "deliver_lock_delay");
    if (v->mb.lock_delay < 0)
        v->mb.lock_delay = 1;
}

static int
virtual_loop(struct server *srv, void *ctx)
{
    struct virt *v = ctx;

    deliver_agent_loop(srv, batch, ctx);
    deliver_content_fini(&v->msg);
    mailbox_fini(&v->mb);
    maps_free(v->mailbox_maps);
    maps_free(v->uid_maps);
    maps_free(v->gid_maps);
    rewrite_free(v->rw);
    mem_free(v->base);
    mem_free(v->delim);
    return 0;
}

int
virtual_service(struct server *srv)
{
    static const struct server_service svc = {virtual_pre_drop, virtual_setup,
                                              NULL, virtual_loop};
    struct virt v;

    memset(&v, 0, sizeof(v));
    return server_main(srv, &svc, &v);
}
