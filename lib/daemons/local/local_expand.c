/*
 * local_expand - the destinations of a local address other than its
 * mailbox: alias values, $HOME/.forward and :include: files, expanded
 * into |commands, /files, /maildirs/, local addresses (back to
 * local_deliver_addr) and remote addresses, which are resubmitted
 * through cleanup. Rights and checks as described in local.c.
 */
#define _GNU_SOURCE 1 /* strcasecmp */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cleanup/cleanup.h"
#include "deliver/deliver.h"
#include "local/local_int.h"
#include "maillog/maillog.h"
#include "maps/maps.h"
#include "rewrite/rewrite.h"

/* forward - resubmit to addresses that are not delivered here */
static void
forward(struct local *lc, struct deliver_req *req, struct strv *addrs,
        const char *to, struct mailbox_result *res)
{
    char id[QUEUE_ID_SIZE];
    struct queue_env env;
    struct buf h;
    int st;

    if (lc->cc == NULL)
        lc->cc = cleanup_client_new(lc->cleanup_service, 300);
    if (cleanup_client_open(lc->cc, QUEUE_F_NOCHECKS /* issue 19 */, id) < 0) {
        mailbox_set_res(res, DELIVER_DEFER, "4.3.0",
                        "cannot connect to cleanup: %s", strerror(errno));
        return;
    }
    queue_env_init(&env);
    queue_env_set(&env.sender, req->sender);
    queue_env_set(&env.proto, "local");
    for (size_t i = 0; i < addrs->n; i++)
        queue_env_add_rcpt(&env, addrs->v[i], "", "", 0);
    buf_init(&h, 0);
    (void) buf_printf(&h, "Delivered-To: %s\n", to);
    st = cleanup_client_env(lc->cc, &env, NULL) < 0 ||
                 cleanup_client_data(lc->cc, h.data, h.len) < 0 ||
                 cleanup_client_data(lc->cc, lc->msg.content.data,
                                     lc->msg.content.len) < 0
             ? -1
             : cleanup_client_end(lc->cc);
    buf_fini(&h);
    queue_env_fini(&env);
    if (st == CLEANUP_STAT_OK) {
        mailbox_set_res(res, DELIVER_SENT, "2.0.0", "forwarded as %s", id);
    } else {
        /* cleanup's permanent refusals (a bad address, too big) bounce
         * now; retrying would meet the same answer until the message
         * expires */
        const char *text =
            cleanup_reply_text(st < 0 ? CLEANUP_STAT_WRITE : (unsigned) st);
        int perm = text[0] == '5';
        char dsn[16];

        snprintf(dsn, sizeof(dsn), "%s", perm ? "5.3.0" : "4.3.0");
        if (perm && strlen(text) > 10 && text[3] == ' ' && text[5] == '.')
            snprintf(dsn, sizeof(dsn), "%.*s", (int) strcspn(text + 4, " "),
                     text + 4);
        mailbox_set_res(res, perm ? DELIVER_BOUNCE : DELIVER_DEFER, dsn,
                        "cannot forward: %s", text);
    }
}

/* read_checked - the text of path, which was just stat'ed as *want:
 * opened without blocking (a FIFO put there since cannot hang us),
 * without following a symlink unless follow, and only when the file
 * opened is still that regular file, not world writable, same owner.
 * 0 with *out (NUL terminated), -1 with errno, -2 file changed. */
static int
read_checked(const char *path, int follow, const struct stat *want, char **out)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC |
                            (follow ? 0 : O_NOFOLLOW));
    struct stat st;
    struct buf b;
    char chunk[8192];
    ssize_t n;
    int e;

    if (fd < 0)
        return -1;
    if (fstat(fd, &st) < 0) {
        e = errno;
        (void) close(fd);
        errno = e;
        return -1;
    }
    if (!S_ISREG(st.st_mode) || st.st_dev != want->st_dev ||
        st.st_ino != want->st_ino || st.st_uid != want->st_uid ||
        (st.st_mode & S_IWOTH)) {
        (void) close(fd);
        return -2;
    }
    buf_init(&b, 1 << 20);
    for (;;) {
        n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (buf_append(&b, chunk, (size_t) n) < 0) {
            n = -1;
            errno = EFBIG;
            break;
        }
    }
    e = errno;
    (void) close(fd);
    if (n < 0) {
        buf_fini(&b);
        errno = e;
        return -1;
    }
    *out = buf_steal(&b);
    return 0;
}

/* list_text - lines of a .forward or include file as one comma list;
 * blank lines and "#" comment lines are dropped; 1 when anything is
 * left */
static int
list_text(char *text)
{
    int any = 0;
    char *line = text;

    while (*line) {
        char *nl = strchr(line, '\n'), *c = line;

        while (*c == ' ' || *c == '\t')
            c++;
        if (*c == '#')
            memset(line, ' ',
                   (size_t) ((nl ? nl : line + strlen(line)) - line));
        for (c = line; *c && c != nl; c++)
            any |= *c != ' ' && *c != '\t' && *c != ',' && *c != '\r';
        if (nl == NULL)
            break;
        *nl = ',';
        line = nl + 1;
    }
    return any;
}

/* include - ":include:path", as Postfix's deliver_include: 1 when the
 * file was expanded (results merged), 0 with *r the failure */
static int
include(struct local *lc, struct mailbox_batch *b, struct deliver_req *req,
        struct deliver_rcpt *rc, const char *path, const char *self,
        const char *orig, const struct who *w, int depth,
        struct mailbox_result *acc, int *first, struct mailbox_result *r)
{
    struct stat st;
    struct who owner;
    const struct who *dw = w;
    char *text;
    long uid, gid;
    int st_rc, e;

    while (*path == ' ' || *path == '\t') /* ":include: /path" */
        path++;
    if (depth >= MAX_DEPTH) {
        log_warn(":include: nesting limit exceeded for %s", path);
        mailbox_set_res(r, DELIVER_BOUNCE, "5.4.6",
                        ":include: nesting limit exceeded");
        return 0;
    }
    if (*path != '/') {
        log_warn(":include:%s uses a relative path", path);
        mailbox_set_res(r, DELIVER_BOUNCE, "5.3.5",
                        "mail system configuration error");
        return 0;
    }
    /* type and owner with the rights in force (root's for a root-owned
     * alias, as Postfix: metadata only) */
    local_become(lc, w->uid, w->gid);
    st_rc = stat(path, &st);
    e = errno;
    local_unbecome(lc);
    if (st_rc < 0) {
        errno = e;
        log_warn("unable to lookup :include: file %s: %s", path,
                 strerror(errno));
        mailbox_set_res(r, DELIVER_BOUNCE, "5.3.5",
                        "mail system configuration error");
        return 0;
    }
    if (!S_ISREG(st.st_mode)) {
        log_warn(":include: file %s is not a regular file", path);
        mailbox_set_res(r, DELIVER_BOUNCE, "5.3.5",
                        "mail system configuration error");
        return 0;
    }
    if (st.st_mode & S_IWOTH) {
        log_warn(":include: file %s is world writable", path);
        mailbox_set_res(r, DELIVER_BOUNCE, "5.3.5",
                        "mail system configuration error");
        return 0;
    }
    /* In a root context the file's owner (when not root) takes over:
     * its owner must not get default_privs' rights. Elsewhere the rights
     * stay: nobody acts as a victim by including the victim's file. */
    if (lc->root && w->uid == 0 && st.st_uid != 0) {
        struct passwd *pw = getpwuid(st.st_uid);

        if (pw == NULL) {
            log_warn("cannot find username for uid %ld", (long) st.st_uid);
            log_warn("%s: cannot find :include: file owner username", path);
            mailbox_set_res(r, DELIVER_DEFER, "4.3.5",
                            "mail system configuration error");
            return 0;
        }
        local_who_set(&owner, (long) pw->pw_uid, (long) pw->pw_gid, pw->pw_dir,
                      pw->pw_shell);
        dw = &owner;
    }
    /* The text with the delivery rights; root's are default_privs here
     * (Postfix reads it as root): a root-only file stays unread. */
    local_deliver_ids(lc, dw, &uid, &gid);
    local_become(lc, uid, gid);
    st_rc = read_checked(path, 1, &st, &text);
    e = errno;
    local_unbecome(lc);
    if (st_rc < 0) {
        if (st_rc == -2)
            log_warn("cannot open include file %s: file changed "
                     "while it was opened",
                     path);
        else {
            errno = e;
            log_warn("cannot open include file %s: %s", path, strerror(errno));
        }
        mailbox_set_res(r, DELIVER_BOUNCE, "5.3.5",
                        "mail system configuration error");
        return 0;
    }
    (void) list_text(text);
    local_expand(lc, b, req, rc, text, self, orig, dw, EXP_INCLUDE, depth + 1,
                 acc, first);
    mem_free(text);
    return 1;
}

/* local_expand - an alias, .forward or include value: comma separated
 * destinations, delivered with the rights w; exp says where the value
 * came from (allow_mail_to_commands, allow_mail_to_files) */
void
local_expand(struct local *lc, struct mailbox_batch *b, struct deliver_req *req,
             struct deliver_rcpt *rc, const char *value, const char *self,
             const char *orig, const struct who *w, unsigned exp, int depth,
             struct mailbox_result *acc, int *first)
{
    char *copy = mem_strdup(value), *save = NULL;
    struct strv remote;

    strv_init(&remote);
    for (char *d = strtok_r(copy, ",", &save); d;
         d = strtok_r(NULL, ",", &save)) {
        struct mailbox_result r;
        char *t = str_trim(d);
        size_t n = strlen(t);

        memset(&r, 0, sizeof(r));
        if (n >= 2 && t[0] == '"' && t[n - 1] == '"') {
            t[n - 1] = 0;
            t++;
            n -= 2;
        }
        if (n == 0)
            continue;
        if (t[0] == '|') {
            if ((lc->cmd_mask & exp) == 0)
                mailbox_set_res(&r, DELIVER_BOUNCE, "5.7.1",
                                "mail to command is restricted");
            else
                local_command(lc, req, t + 1, self, orig, w, &r);
            local_log_dest(req, self, orig, &r);
        } else if (t[0] == '/') {
            long uid, gid;

            local_deliver_ids(lc, w, &uid, &gid);
            if ((lc->file_mask & exp) == 0)
                mailbox_set_res(&r, DELIVER_BOUNCE, "5.7.1",
                                "mail to file is restricted");
            else if (t[n - 1] == '/')
                local_maildir_start(lc, b, req, rc, t, self, orig, uid, gid,
                                    &r);
            else {
                char what[1100];

                snprintf(what, sizeof(what), "delivered to file: %s", t);
                local_mbox(lc, req, t, self, orig, uid, gid, &r, what, 1);
            }
            if (!(t[n - 1] == '/' && r.status == DELIVER_SENT))
                local_log_dest(req, self, orig, &r);
        } else if (strncasecmp(t, ":include:", 9) == 0) {
            if (include(lc, b, req, rc, t + 9, self, orig, w, depth, acc, first,
                        &r))
                continue;
            local_log_dest(req, self, orig, &r);
        } else {
            /* an address: local (no domain or a local domain) or not */
            const char *dom = strrchr(t, '@');

            if (dom == NULL ||
                rewrite_domain_class(lc->rw, dom + 1) == REWRITE_LOCAL) {
                char full[600];

                if (dom == NULL)
                    snprintf(full, sizeof(full), "%s@%s", t,
                             rewrite_myorigin(lc->rw));
                else
                    snprintf(full, sizeof(full), "%s", t);
                /* "user: user" ends the alias loop: the user's mailbox */
                if (strcasecmp(full, self) == 0)
                    local_deliver_addr(lc, b, req, rc, full, orig, MAX_DEPTH,
                                       acc, first);
                else
                    local_deliver_addr(lc, b, req, rc, full, orig, depth + 1,
                                       acc, first);
                continue;
            }
            strv_add(&remote, t);
            continue;
        }
        local_merge(acc, &r, first);
    }
    if (remote.n) {
        struct mailbox_result r;

        forward(lc, req, &remote, self, &r);
        for (size_t i = 0; i < remote.n; i++)
            local_log_dest(req, remote.v[i], self, &r);
        local_merge(acc, &r, first);
    }
    strv_fini(&remote);
    mem_free(copy);
}

/* local_alias_find - key in the alias tables, in order; *at: the table */
enum maps_result
local_alias_find(struct local *lc, const char *key, const char **value,
                 const struct alias_table **at)
{
    for (size_t i = 0; i < lc->nat; i++) {
        enum maps_result mr = maps_find(lc->at[i].m, key, value);

        *at = &lc->at[i];
        if (mr != MAPS_NOTFOUND)
            return mr;
    }
    return MAPS_NOTFOUND;
}

/* local_dot_forward - $HOME/.forward as Postfix's dotforward.c: looked at and
 * read as the user; ignored with a warning when it is not a regular
 * file, has another owner than the user or root, or is world writable;
 * 1 when it was expanded, 0: deliver to the mailbox */
int
local_dot_forward(struct local *lc, struct mailbox_batch *b,
                  struct deliver_req *req, struct deliver_rcpt *rc,
                  struct pwent *pw, const char *addr, const char *orig,
                  int depth, struct mailbox_result *acc, int *first)
{
    char fw[1100], *text = NULL;
    struct stat st;
    struct who w;
    int got = 0;

    snprintf(fw, sizeof(fw), "%s/.forward", pw->dir);
    local_become(lc, pw->uid, pw->gid);
    if (lstat(fw, &st) < 0) {
        if (errno == ENOENT)
            pw->no_forward = time(NULL);
    } else if (!S_ISREG(st.st_mode)) {
        log_warn("file %s is not a regular file", fw);
    } else if (st.st_uid != 0 && (long) st.st_uid != pw->uid) {
        log_warn("file %s has bad owner uid %ld", fw, (long) st.st_uid);
    } else if (st.st_mode & S_IWOTH) {
        log_warn("file %s is world writable", fw);
    } else {
        int st_rc = read_checked(fw, 0, &st, &text);

        if (st_rc == -2)
            log_warn("cannot open file %s: file changed while it "
                     "was opened",
                     fw);
        else if (st_rc < 0)
            log_warn("cannot open file %s: %s", fw, strerror(errno));
        else
            got = 1;
    }
    local_unbecome(lc);
    if (!got)
        return 0;
    /* an empty .forward is no .forward */
    if (!list_text(text)) {
        mem_free(text);
        return 0;
    }
    local_who_set(&w, pw->uid, pw->gid, pw->dir, pw->shell);
    local_expand(lc, b, req, rc, text, addr, orig, &w, EXP_FORWARD, depth, acc,
                 first);
    mem_free(text);
    return 1;
}
