/*
 * local - local delivery agent.
 *
 * DESCRIPTION
 *	See local.h. One request per recipient (local_destination_
 *	recipient_limit = 1 as in Postfix); a batch is whatever qmgr has
 *	pipelined. Each final destination is logged on its own line with
 *	orig_to when an alias was expanded; qmgr gets the worst status of
 *	a recipient's destinations.
 *
 *	Rights, as Postfix's local: .forward is read as its user and must
 *	be a regular file owned by the user (or root) and not world
 *	writable, else it is ignored with a warning. An alias runs with
 *	the rights of its table's owner, default_privs for a root-owned
 *	table. An :include: file is opened with the rights in force, and
 *	in a root context (root-owned aliases) its deliveries take the
 *	rights of its owner when that is not root. Commands and files never
 *	run as root: rights still root's become default_privs. Every
 *	identity change sets the supplementary groups to the one gid.
 *	allow_mail_to_commands and allow_mail_to_files restrict |command
 *	and /file destinations by where they came from (alias, forward,
 *	include). A |command without shell metacharacters is executed
 *	directly, others by /bin/sh -c, with a clean environment.
 *
 *	The mailbox stage is Postfix's: mailbox_transport (handed over,
 *	local_handoff.c), then for an unknown user fallback_transport,
 *	luser_relay or a bounce, then mailbox_command (as the user), then
 *	home_mailbox or the spool file; mailbox_size_limit bounds every
 *	file local writes (5.2.2 "File too large", lib/services/mailbox).
 *
 * BUGS
 *	No *_transport_maps or mailbox_command_maps, no owner-alias
 *	handling yet; a command's output is not captured for the bounce
 *	text.
 */
#define _GNU_SOURCE 1 /* strcasecmp */
#include "local/local.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "deliver/deliver.h"
#include "local/local_int.h"
#include "maillog/maillog.h"
#include "maps/maps.h"
#include "rewrite/rewrite.h"
#include "server/server.h"

static struct pwent *
pw_lookup(struct local *lc, const char *user)
{
    struct pwent *e = htab_find(lc->users, user);
    time_t now = time(NULL);
    struct passwd *pw;

    if (e && now - e->when < PW_TTL)
        return e->found ? e : NULL;
    if (e == NULL) {
        e = mem_calloc(1, sizeof(*e));
        htab_set(lc->users, user, e);
    }
    mem_free(e->name);
    mem_free(e->dir);
    mem_free(e->shell);
    e->name = e->dir = e->shell = NULL;
    e->when = now;
    e->no_forward = 0;
    pw = getpwnam(user);
    e->found = pw != NULL;
    if (pw) {
        e->uid = (long) pw->pw_uid;
        e->gid = (long) pw->pw_gid;
        e->name = mem_strdup(pw->pw_name);
        e->dir = mem_strdup(pw->pw_dir);
        e->shell = mem_strdup(pw->pw_shell ? pw->pw_shell : "");
    }
    return e->found ? e : NULL;
}

/* worse - merge: bounce beats defer beats sent? No: defer wins over
 * bounce so the recipient is retried; a bounce only when nothing can
 * be retried. */
void
local_merge(struct mailbox_result *acc, const struct mailbox_result *r,
            int *first)
{
    if (*first || (r->status == DELIVER_DEFER) ||
        (r->status == DELIVER_BOUNCE && acc->status == DELIVER_SENT)) {
        *acc = *r;
        *first = 0;
    }
}

/* local_become, local_unbecome - the rights of one delivery step */
void
local_become(struct local *lc, long uid, long gid)
{
    mailbox_become(&lc->mb, uid, gid);
}

void
local_unbecome(struct local *lc)
{
    mailbox_unbecome(&lc->mb);
}

/* local_who_set - rights of a passwd entry */
void
local_who_set(struct who *w, long uid, long gid, const char *home,
              const char *shell)
{
    w->uid = uid;
    w->gid = gid;
    snprintf(w->home, sizeof(w->home), "%s", home ? home : "");
    snprintf(w->shell, sizeof(w->shell), "%s", shell ? shell : "");
}

/* deliver_ids - the ids a command or file delivery runs with: never
 * root's (Postfix: "use a default uid/gid when none are given") */
void
local_deliver_ids(const struct local *lc, const struct who *w, long *uid,
                  long *gid)
{
    *uid = w->uid;
    *gid = w->gid;
    if (lc->root && *uid == 0)
        *uid = lc->default_uid;
    if (lc->root && *gid == 0)
        *gid = lc->default_gid;
}

/* prefix - Return-Path:, X-Original-To:, Delivered-To: */
void
local_prefix(struct local *lc, struct buf *b, const struct deliver_req *req,
             const char *orig, const char *to)
{
    mailbox_prefix(&lc->mb, b, req, orig, to);
}

/* local_log_dest - the delivery line of one final destination */
void
local_log_dest(struct deliver_req *req, const char *to, const char *orig,
               const struct mailbox_result *r)
{
    deliver_log_dest(req, to, orig && strcasecmp(orig, to) != 0 ? orig : NULL,
                     r->status, r->dsn, r->text, "local");
}

/* unknown_user - a user without a passwd entry: fallback_transport,
 * luser_relay, or the bounce; 1 when handled (logged and merged), 0
 * with the result in r for the caller to log */
static int
unknown_user(struct local *lc, struct mailbox_batch *b, struct deliver_req *req,
             struct deliver_rcpt *rc, const char *user, const char *addr,
             const char *orig, int depth, struct mailbox_result *acc,
             int *first, struct mailbox_result *r)
{
    if (*lc->fallback_transport) {
        if (local_pass(lc, req, rc, addr, orig, lc->fallback_transport, r) < 0)
            return 0;
        local_merge(acc, r, first);
        return 1;
    }
    if (*lc->luser_relay) {
        local_luser_relay(lc, b, req, rc, addr, orig, depth, acc, first);
        return 1;
    }
    mailbox_set_res(r, DELIVER_BOUNCE, "5.1.1", "unknown user: \"%s\"", user);
    return 0;
}

/* mailbox_file - home_mailbox (Maildir or mbox) or the spool file; 1
 * when a Maildir file waits for the batch sync, 0 with the result in r */
static int
mailbox_file(struct local *lc, struct mailbox_batch *b, struct deliver_req *req,
             struct deliver_rcpt *rc, const struct pwent *pw, const char *user,
             const char *addr, const char *orig, struct mailbox_result *r)
{
    char path[1100];

    if (*lc->home_mailbox) {
        snprintf(path, sizeof(path), "%s/%s", pw->dir, lc->home_mailbox);
        if (lc->home_mailbox[strlen(lc->home_mailbox) - 1] == '/') {
            local_maildir_start(lc, b, req, rc, path, addr, orig, pw->uid,
                                pw->gid, r);
            return r->status == DELIVER_SENT;
        }
    } else {
        snprintf(path, sizeof(path), "%s/%s", lc->spool, user);
    }
    local_mbox(lc, req, path, addr, orig, pw->uid, pw->gid, r,
               "delivered to mailbox", 0);
    return 0;
}

/* local_deliver_addr - one local address: alias, .forward, mailbox */
void
local_deliver_addr(struct local *lc, struct mailbox_batch *b,
                   struct deliver_req *req, struct deliver_rcpt *rc,
                   const char *addr, const char *orig, int depth,
                   struct mailbox_result *acc, int *first)
{
    char user[512], ext[512] = "";
    const char *at = strrchr(addr, '@');
    size_t n = at ? (size_t) (at - addr) : strlen(addr);
    const char *v;
    struct pwent *pw;
    struct mailbox_result r;
    enum maps_result mr;

    memset(&r, 0, sizeof(r));
    if (depth > MAX_DEPTH + 1) {
        mailbox_set_res(&r, DELIVER_BOUNCE, "5.4.6",
                        "mail forwarding loop for %s", addr);
        goto done;
    }
    if (n >= sizeof(user))
        n = sizeof(user) - 1;
    memcpy(user, addr, n);
    user[n] = 0;
    for (char *c = user; *c; c++)
        *c = (char) tolower((unsigned char) *c);
    if (mailbox_loop_check(&lc->msg.content, addr)) {
        mailbox_set_res(&r, DELIVER_BOUNCE, "5.4.6",
                        "mail forwarding loop for %s", addr);
        goto done;
    }
    /* aliases: the full local part, then without the extension */
    if (depth <= MAX_DEPTH) {
        const struct alias_table *tab = NULL;

        mr = local_alias_find(lc, user, &v, &tab);
        if (mr == MAPS_NOTFOUND && lc->delim && *lc->delim) {
            char *cut = strpbrk(user, lc->delim);

            if (cut && cut != user) {
                snprintf(ext, sizeof(ext), "%s", cut + 1);
                *cut = 0;
                mr = local_alias_find(lc, user, &v, &tab);
            }
        }
        if (mr == MAPS_ERROR) {
            mailbox_set_res(&r, DELIVER_DEFER, "4.3.0",
                            "alias database unavailable: %s",
                            maps_error(tab->m));
            goto done;
        }
        if (mr == MAPS_FOUND) {
            char *value;

            if (tab->owner_unknown) {
                log_warn("cannot find username for uid %ld", tab->owner);
                mailbox_set_res(&r, DELIVER_DEFER, "4.3.5",
                                "mail system configuration error");
                goto done;
            }
            value = mem_strdup(v);
            local_expand(lc, b, req, rc, value, addr, orig, &tab->who,
                         EXP_ALIAS, depth, acc, first);
            mem_free(value);
            return;
        }
    } else if (lc->delim && *lc->delim) {
        char *cut = strpbrk(user, lc->delim);

        if (cut && cut != user)
            *cut = 0;
    }
    pw = pw_lookup(lc, user);
    if (pw == NULL && lc->delim && *lc->delim && !ext[0]) {
        char *cut = strpbrk(user, lc->delim);

        if (cut && cut != user) {
            *cut = 0;
            pw = pw_lookup(lc, user);
        }
    }
    /* $HOME/.forward */
    if (pw && depth <= MAX_DEPTH && time(NULL) - pw->no_forward >= PW_TTL &&
        local_dot_forward(lc, b, req, rc, pw, addr, orig, depth, acc, first))
        return;
    /* Postfix's mailbox stage: mailbox_transport first, for users
     * with or without a passwd entry (the other agent logs) */
    if (*lc->mbox_transport) {
        if (local_pass(lc, req, rc, addr, orig, lc->mbox_transport, &r) < 0)
            goto done;
        local_merge(acc, &r, first);
        return;
    }
    if (pw == NULL) {
        if (unknown_user(lc, b, req, rc, user, addr, orig, depth, acc, first,
                         &r))
            return;
        goto done;
    }
    if (*lc->mbox_command) {
        struct who w;

        /* with the recipient's rights, its HOME and SHELL */
        local_who_set(&w, pw->uid, pw->gid, pw->dir, pw->shell);
        local_command(lc, req, lc->mbox_command, addr, orig, &w, &r);
        goto done;
    }
    if (mailbox_file(lc, b, req, rc, pw, user, addr, orig, &r)) {
        local_merge(acc, &r, first);
        return; /* logged after the batch sync */
    }
done:
    local_log_dest(req, addr, orig, &r);
    local_merge(acc, &r, first);
}

static void
batch(void *ctx, struct deliver_req **reqs, size_t n)
{
    struct local *lc = ctx;
    struct mailbox_batch b = {NULL, 0};
    struct mailbox_result *acc = mem_calloc(n * 64 + 1, sizeof(*acc));
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        struct deliver_req *req = reqs[i];

        if (deliver_content_load(&lc->msg, req) < 0) {
            for (size_t j = 0; j < req->nrcpt; j++) {
                deliver_result(&req->rcpt[j], DELIVER_DEFER, "4.3.0",
                               "cannot read queue file");
                deliver_log(req, &req->rcpt[j], "local");
            }
            continue;
        }
        for (size_t j = 0; j < req->nrcpt && j < 64; j++) {
            struct deliver_rcpt *rc = &req->rcpt[j];
            int first = 1;
            char *orig = mem_strdup(rc->orig[0] ? rc->orig : rc->addr);
            size_t before = b.n;

            memset(&acc[k], 0, sizeof(acc[k]));
            local_deliver_addr(lc, &b, req, rc, rc->addr, orig, 0, &acc[k],
                               &first);
            /* maildir files of this recipient: final word after sync */
            for (size_t m = before; m < b.n; m++)
                b.p[m].rc = rc;
            deliver_result(rc, acc[k].status, acc[k].dsn, acc[k].text);
            mem_free(orig);
            k++;
        }
    }
    mailbox_batch_finish(&lc->mb, &b, "local");
    mem_free(acc);
}

/* exp_mask - allow_mail_to_commands / _files: alias, forward, include */
static unsigned
exp_mask(struct server *srv, const char *param)
{
    char *v = server_param(srv, param);
    struct strv sv;
    unsigned mask = 0;

    strv_init(&sv);
    server_split(v, &sv);
    for (size_t i = 0; i < sv.n; i++) {
        if (strcasecmp(sv.v[i], "alias") == 0)
            mask |= EXP_ALIAS;
        else if (strcasecmp(sv.v[i], "forward") == 0)
            mask |= EXP_FORWARD;
        else if (strcasecmp(sv.v[i], "include") == 0)
            mask |= EXP_INCLUDE;
        else
            log_fatal("unknown %s value \"%s\" in \"%s\"", param, sv.v[i], v);
    }
    strv_fini(&sv);
    mem_free(v);
    return mask;
}

/* alias_tables - one maps per table of alias_maps, with the rights its
 * deliveries run with: those of the file's owner, or root's (that is,
 * default_privs) for a root-owned file or a table without a file, as
 * Postfix's alias.c does with the dictionary owner */
static void
alias_tables(struct local *lc, const char *spec)
{
    struct strv items;

    strv_init(&items);
    maps_split(spec, &items);
    for (size_t i = 0; i < items.n; i++) {
        const char *name, *item = items.v[i];
        struct alias_table *t;
        struct stat st;

        lc->at = mem_realloc(lc->at, (lc->nat + 1) * sizeof(*lc->at));
        t = &lc->at[lc->nat++];
        memset(t, 0, sizeof(*t));
        t->m = maps_new("alias_maps", item, MAPS_F_ALIAS);
        local_who_set(&t->who, (long) getuid(), (long) getgid(), NULL, NULL);
        name = item;
        if (strncmp(name, "proxy:", 6) == 0)
            name += 6;
        name = strchr(name, ':');
        if (lc->root) {
            local_who_set(&t->who, 0, 0, NULL, NULL);
            if (name && name[1] == '/' && stat(name + 1, &st) == 0 &&
                st.st_uid != 0) {
                struct passwd *pw = getpwuid(st.st_uid);

                t->owner = (long) st.st_uid;
                if (pw)
                    local_who_set(&t->who, (long) pw->pw_uid, (long) pw->pw_gid,
                                  pw->pw_dir, pw->pw_shell);
                else
                    t->owner_unknown = 1;
            }
        }
    }
    strv_fini(&items);
}

/* local_setup - after the privilege drop (local keeps root when its
 * master.cf entry says unpriv n) */
static void
local_setup(struct server *srv, void *ctx)
{
    struct local *lc = ctx;
    char *v;

    lc->srv = srv;
    deliver_status_filter_open(srv, "local_delivery_status_filter");
    deliver_content_init(&lc->msg);
    v = server_param(srv, "myhostname");
    mailbox_init(&lc->mb, v);
    mem_free(v);
    lc->root = lc->mb.root;
    lc->users = htab_new(64);
    v = server_param(srv, "alias_maps");
    alias_tables(lc, v);
    mem_free(v);
    lc->rw = rewrite_new(srv->conf, srv->name_space);
    lc->home_mailbox = server_param(srv, "home_mailbox");
    lc->cleanup_service = server_param(srv, "cleanup_service_name");
    lc->spool = server_param(srv, "mail_spool_directory");
    lc->delim = server_param(srv, "recipient_delimiter");
    lc->mb.original_rcpt = server_param_bool(srv, "enable_original_recipient");
    v = server_param(srv, "mailbox_delivery_lock");
    {
        const char *bad = NULL;

        if (mailbox_lock_methods(&lc->mb, v, &bad) < 0)
            log_warn("mailbox_delivery_lock: ignoring unknown method "
                     "\"%.*s\"",
                     (int) strcspn(bad, ", \t"), bad);
    }
    mem_free(v);
    lc->mb.lock_attempts = server_param_int(srv, "deliver_lock_attempts");
    if (lc->mb.lock_attempts < 1)
        lc->mb.lock_attempts = 1;
    lc->mb.lock_delay = server_param_time(srv, "deliver_lock_delay");
    if (lc->mb.lock_delay < 0)
        lc->mb.lock_delay = 1;
    lc->default_uid = (long) getuid();
    lc->default_gid = (long) getgid();
    if (lc->root) {
        /* never root: master_check refuses such a main.cf, and a -o
         * override or a changed passwd is refused here */
        char *privs = server_param(srv, "default_privs");
        struct passwd *pw = getpwnam(privs);

        if (pw == NULL)
            log_fatal("parameter default_privs: unknown user name "
                      "value: %s",
                      privs);
        if (pw->pw_uid == 0 || pw->pw_gid == 0)
            log_fatal("parameter default_privs: user %s has privileged "
                      "%s ID",
                      privs, pw->pw_uid == 0 ? "user" : "group");
        lc->default_uid = (long) pw->pw_uid;
        lc->default_gid = (long) pw->pw_gid;
        mem_free(privs);
    }
    lc->cmd_mask = exp_mask(srv, "allow_mail_to_commands");
    lc->file_mask = exp_mask(srv, "allow_mail_to_files");
    lc->cmd_filter = server_param(srv, "command_expansion_filter");
    lc->mbox_transport = server_param(srv, "mailbox_transport");
    lc->mbox_command = server_param(srv, "mailbox_command");
    lc->fallback_transport = server_param(srv, "fallback_transport");
    lc->luser_relay = server_param(srv, "luser_relay");
    lc->mb.size_limit = server_param_size(srv, "mailbox_size_limit");
    {
        long msg_limit = server_param_size(srv, "message_size_limit");

        /* Postfix's local refuses to start so: mail it accepted could
         * never fit */
        if (lc->mb.size_limit > 0 && msg_limit > 0 &&
            lc->mb.size_limit < msg_limit)
            log_fatal("configuration error: mailbox_size_limit is smaller "
                      "than message_size_limit");
    }
    lc->cmd_time_limit = server_param_time(srv, "command_time_limit");
    if (lc->cmd_time_limit <= 0)
        lc->cmd_time_limit = 1000;
    strv_init(&lc->export_env);
    {
        struct strv sv;

        strv_init(&sv);
        v = server_param(srv, "export_environment");
        server_split(v, &sv);
        for (size_t i = 0; i < sv.n; i++) {
            const char *val = strchr(sv.v[i], '=') ? NULL : getenv(sv.v[i]);

            if (strchr(sv.v[i], '='))
                strv_add(&lc->export_env, sv.v[i]);
            else if (val) {
                struct buf e;

                buf_init(&e, 0);
                buf_printf(&e, "%s=%s", sv.v[i], val);
                strv_add(&lc->export_env, buf_str(&e));
                buf_fini(&e);
            }
        }
        strv_fini(&sv);
        mem_free(v);
    }
}

static int
local_loop(struct server *srv, void *ctx)
{
    deliver_agent_loop(srv, batch, ctx);
    return 0;
}

int
local_service(struct server *srv)
{
    static const struct server_service svc = {NULL, local_setup, NULL,
                                              local_loop};
    struct local lc;

    memset(&lc, 0, sizeof(lc));
    return server_main(srv, &svc, &lc);
}
