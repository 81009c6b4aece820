/*
 * cleanup - the queue writer: canonicalize, fix headers, commit in groups.
 *
 * DESCRIPTION
 *	See cleanup.h. One process, one poll() loop, one queue writer.
 *	Group commit falls out of the loop: every END received in a round
 *	is appended, then one queue_writer_commit() covers them all, then
 *	the replies go out. Under load the next round's batch builds up
 *	while the current fdatasync runs.
 *
 * DIAGNOSTICS
 *	A failed commit answers every message of the batch with a 4xx
 *	reply (the client keeps its copy and retries) and logs a warning.
 */
#define _DEFAULT_SOURCE 1 /* strcasecmp */
#include "cleanup/cleanup.h"

#include <sys/file.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cleanup/cleanup_int.h"
#include "ipc/ipc.h"
#include "maillog/maillog.h"
#include "pcf/pcf.h"
#include "rewrite/rewrite.h"
#include "server/server.h"

#define FRAME_LIMIT (1u << 20) /* data frames are at most 64 KB + header */
#define MAX_CLIENTS 4096

struct client {
    struct ipc_conn c;
    int open; /* a message is in progress */
    int have_env;
    int pending; /* waiting for the group commit */
    int failed;  /* status to send instead of committing */
    unsigned flags;
    struct queue_env env;
    char *fullname;
    struct buf content;
    int dead;
    char reserved[QUEUE_ID_SIZE]; /* ID handed out for the next OPEN */
    char *reason;                 /* issue 19: CLEANUP_STAT_CONT's reply text */
    int discard;                  /* issue 19: DISCARD by a header/body check */
    /* SO_PEERCRED at accept: only root and mail_owner (smtpd, pickup,
     * bounce, local) are trusted with client attributes */
    int trusted;
    long peer_uid;
    struct cleanup_client *wcc; /* a front's connection to the writer */
};

struct cleanup {
    struct server *srv;
    struct queue_fs *fs;
    struct queue_writer *w;
    struct rewrite *rw;
    struct cleanup_valias *valias; /* virtual_alias_maps */
    struct cleanup_rw *crw;        /* issue 19: canonical, masq, bcc */
    struct cleanup_hdr *hdr;       /* issue 19: header/body checks */
    struct cleanup_front *front;   /* not the queue writer: its client */
    struct cleanup_mime *mime;     /* issue 19: characters, MIME errors */
    struct client *cl[MAX_CLIENTS];
    int ncl;
    size_t size_limit; /* message_size_limit (0 none) */
    int always_add;    /* always_add_missing_headers */
    long dup_limit;    /* duplicate_filter_limit */
    char *myhostname;
    struct ipc_conn qmgr; /* notices to qmgr; fd -1 when not connected */
    struct ipc_out o;
    unsigned long batches, messages;
};

const char *
cleanup_reply_text(unsigned status)
{
    switch (status) {
    case CLEANUP_STAT_OK:
        return "250 2.0.0 Ok";
    case CLEANUP_STAT_SIZE:
        return "552 5.3.4 Error: message file too big";
    case CLEANUP_STAT_PROTO:
        return "451 4.3.0 Error: internal protocol error";
    case CLEANUP_STAT_BAD_SENDER:
        return "501 5.1.7 Bad sender address syntax";
    case CLEANUP_STAT_BAD_RCPT:
        return "501 5.1.3 Bad recipient address syntax";
    case CLEANUP_STAT_DEFER:
        return "451 4.6.0 Alias expansion error";
    case CLEANUP_STAT_CONT:
        return "550 5.7.1 message content rejected";
    default:
        return "451 4.3.0 Error: queue file write error";
    }
}

static void
client_reset(struct client *c)
{
    queue_env_fini(&c->env);
    queue_env_init(&c->env);
    mem_free(c->fullname);
    c->fullname = NULL;
    buf_truncate(&c->content, 0);
    if (c->content.cap > (4u << 20)) {
        buf_fini(&c->content);
        buf_init(&c->content, 0);
    }
    c->open = c->have_env = c->pending = c->failed = 0;
    mem_free(c->reason);
    c->reason = NULL;
    c->discard = 0;
}

static void
client_free(struct client *c)
{
    ipc_conn_fini(&c->c);
    cleanup_client_free(c->wcc);
    queue_env_fini(&c->env);
    mem_free(c->fullname);
    mem_free(c->reason);
    buf_fini(&c->content);
    mem_free(c);
}

/* is_local_client - Postfix's permit_inet_interfaces, roughly */
static int
is_local_client(const struct client *c)
{
    const char *a = c->env.client_addr ? c->env.client_addr : "";

    return (c->flags & QUEUE_F_LOCAL) || strncmp(a, "127.", 4) == 0 ||
           strcmp(a, "::1") == 0 || a[0] == 0;
}

/*
 * envelope_check - the one check every message passes, whatever the entry
 * point (smtpd, pickup, bounce, local's forwarding): no control character
 * (C0 or DEL) in the sender, a recipient, its original form, ORCPT, ENVID
 * or the full name. They would end up in Return-Path:, Delivered-To:,
 * X-Original-To:, From:, DSN headers and mbox "From " lines, where a
 * newline starts a header or a message of the attacker's choosing.
 * smtpd refuses them at MAIL/RCPT already; this catches the other paths.
 * 0, or a CLEANUP_STAT_BAD_* status (logged)
 */
static int
envelope_check(const struct client *c)
{
    static const char *const what[] = {"sender", "ENVID", "full name"};
    const char *sfields[] = {c->env.sender, c->env.envid, c->fullname};
    const char *bad = NULL;
    char client[400] = "";

    if (c->env.client_addr && *c->env.client_addr)
        snprintf(client, sizeof(client), " from %s[%s]",
                 c->env.client_name && *c->env.client_name ? c->env.client_name
                                                           : "unknown",
                 c->env.client_addr);
    for (size_t i = 0; i < 3 && bad == NULL; i++)
        for (const char *p = sfields[i] ? sfields[i] : ""; *p; p++)
            if ((unsigned char) *p < ' ' || *p == 127) {
                bad = what[i];
                break;
            }
    if (bad) {
        log_warn("%s: reject: control character in envelope %s%s", c->env.id,
                 bad, client);
        return CLEANUP_STAT_BAD_SENDER;
    }
    for (size_t i = 0; i < c->env.nrcpt; i++) {
        const struct queue_rcpt *r = &c->env.rcpt[i];
        const char *rf[] = {r->addr, r->orig, r->orcpt};

        for (size_t k = 0; k < 3; k++)
            for (const char *p = rf[k] ? rf[k] : ""; *p; p++)
                if ((unsigned char) *p < ' ' || *p == 127) {
                    log_warn("%s: reject: control character in "
                             "envelope recipient%s",
                             c->env.id, client);
                    return CLEANUP_STAT_BAD_RCPT;
                }
    }
    return 0;
}

/* dup_key - Postfix's duplicate filter key: ORCPT, NOTIFY, the original
 * and the final recipient (case-folded) */
static char *
dup_key(const struct queue_rcpt *r, const char *orig)
{
    struct buf b;
    char *k;

    buf_init(&b, 0);
    (void) buf_printf(&b, "%s\n%u\n%s\n%s", r->orcpt ? r->orcpt : "",
                      (unsigned) r->notify, orig, r->addr);
    k = buf_steal(&b);
    for (char *p = k; *p; p++)
        *p = (char) tolower((unsigned char) *p);
    return k;
}

/*
 * recipients_out - Postfix's cleanup_out_recipient(): virtual alias
 * expansion of every recipient (orig keeps the address the client
 * gave), then the duplicate filter (duplicate_filter_limit entries) on
 * what results. 0, or a CLEANUP_STAT_* status (the message is refused
 * with it: a deferral).
 */
static int
recipients_out(struct cleanup *cu, struct client *c)
{
    struct queue_env out;
    struct htab *dups;
    int status = 0;
    size_t ndups = 0;

    /* the common case costs nothing: one recipient, no aliases */
    int valias = cleanup_valias_active(cu->valias) &&
                 !(c->flags & CLEANUP_FLAG_NO_ADDR_MAPS); /* issue 19 */

    if (c->env.nrcpt <= 1 && !valias)
        return 0;
    queue_env_init(&out);
    dups = htab_new(16);
    for (size_t i = 0; i < c->env.nrcpt && status == 0; i++) {
        const struct queue_rcpt *r = &c->env.rcpt[i];
        const char *orig = r->orig && r->orig[0] ? r->orig : r->addr;
        struct strv exp;

        strv_init(&exp);
        if (valias)
            status =
                cleanup_valias_expand(cu->valias, c->env.id, r->addr, &exp);
        else
            strv_add(&exp, r->addr);
        for (size_t k = 0; k < exp.n && status == 0; k++) {
            struct queue_rcpt tmp = *r;
            char *key;

            tmp.addr = exp.v[k];
            key = dup_key(&tmp, orig);
            if (htab_find(dups, key) == NULL) {
                if (cu->dup_limit == 0 || ndups < (size_t) cu->dup_limit) {
                    htab_set(dups, key, mem_strdup(""));
                    ndups++;
                }
                queue_env_add_rcpt(&out, exp.v[k],
                                   strcasecmp(orig, exp.v[k]) != 0 ? orig : "",
                                   r->orcpt, r->notify);
            }
            mem_free(key);
        }
        strv_fini(&exp);
    }
    htab_free(dups, mem_free);
    if (status == 0) {
        /* the expanded list replaces the client's */
        struct queue_rcpt *rv = c->env.rcpt;
        size_t n = c->env.nrcpt;

        c->env.rcpt = out.rcpt;
        c->env.nrcpt = out.nrcpt;
        out.rcpt = rv;
        out.nrcpt = n;
    }
    queue_env_fini(&out);
    return status;
}

/* content_checks - issue 19 hook: header_checks and body_checks
 * (cleanup_hdr.c); 1 when the message ends here: rejected (c->failed,
 * c->reason) or discarded */
static int
content_checks(struct cleanup *cu, struct client *c)
{
    if ((c->env.flags & QUEUE_F_BOUNCE) ||
        (c->flags & (QUEUE_F_NOCHECKS | CLEANUP_FLAG_NO_HDR_BODY)))
        return 0;
    if (cleanup_mime_chars(cu->mime, &c->env, &c->content, &c->reason)) {
        c->failed = CLEANUP_STAT_CONT;
        return 1;
    }
    if (cleanup_hdr_active(cu->hdr) &&
        cleanup_hdr_apply(cu->hdr, &c->env, &c->content, &c->reason,
                          &c->discard))
        c->failed = CLEANUP_STAT_CONT;
    if (!c->failed && !c->discard &&
        cleanup_mime_check(cu->mime, &c->env, &c->content, &c->reason))
        c->failed = CLEANUP_STAT_CONT;
    return c->failed || c->discard;
}

static void reply(struct cleanup *cu, struct client *c, unsigned status);

/* append - the record to the queue store, committed with the group */
static void
append(struct cleanup *cu, struct client *c, const struct iovec *iov, int n)
{
    struct queue_loc loc;

    if (queue_writer_append(cu->w, &c->env, iov, n, &loc) < 0) {
        log_warn("%s: queue file write error: %s", c->env.id, strerror(errno));
        c->failed = CLEANUP_STAT_WRITE;
    } else {
        c->pending = 1;
    }
}

/* finish - canonicalize, add headers, append; sets c->failed on error */
/* long: one pass over the message; each step is a hook or a few lines */
static void
finish(struct cleanup *cu, struct client *c)
{
    struct hdrs h;
    struct buf added, trace;
    struct iovec iov[40];
    int n = 0;
    size_t pos = 0;
    int local = is_local_client(c);
    char *s;

    if (!c->have_env || c->env.nrcpt == 0) {
        c->failed = CLEANUP_STAT_PROTO;
        return;
    }
    if (c->flags & CLEANUP_FLAG_PASSTHRU) {
        /* finished by another cleanup service (cleanup_front.c) */
        iov[0].iov_base = c->content.data;
        iov[0].iov_len = c->content.len;
        append(cu, c, iov, 1);
        return;
    }
    if ((c->failed = envelope_check(c)) != 0)
        return;
    /* envelope: canonical addresses, the client's form kept as orig */
    s = rewrite_canon(cu->rw, c->env.sender);
    queue_env_set(&c->env.sender, s);
    mem_free(s);
    for (size_t i = 0; i < c->env.nrcpt; i++) {
        struct queue_rcpt *r = &c->env.rcpt[i];

        s = rewrite_canon(cu->rw, r->addr);
        if (strcmp(s, r->addr) != 0 && r->orig[0] == 0)
            queue_env_set(&r->orig, r->addr);
        mem_free(r->addr);
        r->addr = s;
    }
    /* issue 19 (cleanup_rewrite.c): canonical, masquerade, BCC, headers */
    if ((c->failed =
             cleanup_rw_message(cu->crw, &c->env, c->flags, &c->content)) != 0)
        return;
    if ((c->failed = recipients_out(cu, c)) != 0)
        return;
    c->env.arrival_us = c->env.arrival_us ? c->env.arrival_us : queue_now_us();
    if (content_checks(cu, c)) /* issue 19 */
        return;

    cleanup_scan_headers(c->content.data ? c->content.data : "", c->content.len,
                         &h, (c->flags & QUEUE_F_LOCAL) != 0);
    buf_init(&added, 0);
    buf_init(&trace, 0);
    if (!c->trusted) {
        /* the trace pickup writes for a maildrop file: who, not a name */
        time_t now = time(NULL);
        struct tm tm;
        char stamp[80];

        localtime_r(&now, &tm);
        strftime(stamp, sizeof(stamp), "%a, %e %b %Y %H:%M:%S %z (%Z)", &tm);
        (void) buf_printf(&trace,
                          "Received: by %s (Postern, from userid %ld)\n"
                          "\tid %s; %s\n",
                          cu->myhostname, c->peer_uid, c->env.id, stamp);
        if (c->content.len &&
            (c->content.data[0] == ' ' || c->content.data[0] == '\t'))
            (void) buf_putc(&trace, '\n');
        iov[n].iov_base = trace.data;
        iov[n++].iov_len = trace.len;
    }
    if (local || cu->always_add) {
        time_t now = time(NULL);
        struct tm tm;
        char stamp[64];

        localtime_r(&now, &tm);
        if (!h.date && !h.resent) {
            strftime(stamp, sizeof(stamp), "%a, %d %b %Y %H:%M:%S %z (%Z)",
                     &tm);
            (void) buf_printf(&added, "Date: %s\n", stamp);
        }
        if (!h.msgid && !h.resent) {
            strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", &tm);
            snprintf(h.msgid_val, sizeof(h.msgid_val), "<%s.%s@%s>", stamp,
                     c->env.id, cu->myhostname);
            (void) buf_printf(&added, "Message-Id: %s\n", h.msgid_val);
            h.msgid = 1;
        }
        if (!h.from && !h.resent) {
            if (c->fullname && *c->fullname)
                (void) buf_printf(&added, "From: %s <%s>\n", c->fullname,
                                  *c->env.sender ? c->env.sender
                                                 : "MAILER-DAEMON");
            else
                (void) buf_printf(&added, "From: %s\n",
                                  *c->env.sender ? c->env.sender
                                                 : "MAILER-DAEMON");
        }
        if (!h.to && !h.resent && (c->flags & QUEUE_F_LOCAL))
            (void) buf_puts(&added, "To: undisclosed-recipients:;\n");
    }
    if (h.msgid)
        log_info("%s: message-id=%s", c->env.id, h.msgid_val);

    /* content = headers (minus dropped), added headers, rest */
    for (int d = 0; d < h.ndrop && n < 36; d++) {
        if (h.drop[d][0] > pos) {
            iov[n].iov_base = c->content.data + pos;
            iov[n++].iov_len = h.drop[d][0] - pos;
        }
        pos = h.drop[d][1];
    }
    if (h.ins > pos) {
        iov[n].iov_base = c->content.data + pos;
        iov[n++].iov_len = h.ins - pos;
        pos = h.ins;
    }
    if (added.len) {
        iov[n].iov_base = added.data;
        iov[n++].iov_len = added.len;
    }
    if (c->content.len > pos) {
        iov[n].iov_base = c->content.data + pos;
        iov[n++].iov_len = c->content.len - pos;
    }
    if (cu->front) {
        /* a front: the writer commits; the reply is the writer's */
        c->failed = cleanup_front_commit(cu->front, c->wcc, &c->env, iov, n,
                                         &c->reason);
        if (c->failed == CLEANUP_STAT_OK) {
            reply(cu, c, CLEANUP_STAT_OK);
            client_reset(c);
        }
        buf_fini(&added);
        buf_fini(&trace);
        return;
    }
    append(cu, c, iov, n);
    buf_fini(&added);
    buf_fini(&trace);
}

static void
reply(struct cleanup *cu, struct client *c, unsigned status)
{
    ipc_out_begin(&cu->o, 'S');
    ipc_put_u32(&cu->o, status);
    ipc_put_str(&cu->o, status == CLEANUP_STAT_CONT && c->reason /* 19 */
                            ? c->reason
                            : cleanup_reply_text(status));
    /* the ID of the client's next message, so its OPEN needs no reply
     * (a front has none: its IDs are the writer's) */
    if (cu->front)
        c->reserved[0] = 0;
    else
        queue_id_make(c->reserved);
    ipc_put_str(&cu->o, c->reserved);
    ipc_conn_queue(&c->c, &cu->o);
    if (ipc_conn_flush(&c->c) < 0)
        c->dead = 1;
}

/* distrust - a peer that is neither root nor mail_owner (a set-gid
 * program, or anything that reached public/cleanup) is a local user
 * submitting mail: what it says about the client, the protocol, the
 * arrival time or the message's origin is replaced by what we know,
 * its uid, as pickup does for maildrop files */
static void
distrust(struct client *c)
{
    char origin[64];

    c->env.flags =
        (c->env.flags & (QUEUE_F_8BITMIME | QUEUE_F_SMTPUTF8)) | QUEUE_F_LOCAL;
    c->flags = QUEUE_F_LOCAL;
    c->env.arrival_us = 0;
    snprintf(origin, sizeof(origin), "uid=%ld", c->peer_uid);
    queue_env_set(&c->env.origin, origin);
    queue_env_set(&c->env.proto, "local");
    queue_env_set(&c->env.client_name, "localhost");
    queue_env_set(&c->env.client_addr, "127.0.0.1");
    queue_env_set(&c->env.helo, "");
    queue_env_set(&c->env.filter, ""); /* issue 19: not a user's choice */
    log_info("%s: uid=%ld from=<%s>", c->env.id, c->peer_uid,
             c->env.sender ? c->env.sender : "");
}

/* open_msg - OPEN: a new message and its queue ID (a front's from the
 * writer), with the ID reserved for the client's next one */
static void
open_msg(struct cleanup *cu, struct client *c, struct ipc_in *in)
{
    client_reset(c);
    c->flags = ipc_get_u32(in);
    c->open = 1;
    queue_id_make(c->env.id);
    queue_id_make(c->reserved);
    if (cu->front) { /* the writer's IDs; none reserved ahead */
        c->reserved[0] = 0;
        if (cleanup_front_open(cu->front, &c->wcc, c->flags, c->env.id) < 0)
            c->failed = CLEANUP_STAT_WRITE;
    }
    ipc_out_begin(&cu->o, 'I');
    ipc_put_str(&cu->o, c->env.id);
    ipc_put_str(&cu->o, c->reserved);
    ipc_conn_queue(&c->c, &cu->o);
}

/* frame - one request from a client */
static void
frame(struct cleanup *cu, struct client *c, struct ipc_in *in)
{
    /* A client waits for the reply to its END (ours all do). A request
     * while the message waits for the group commit would reset it (no
     * reply for a committed message) or append it again under the same
     * ID: such a client is let go; the message still gets its reply.
     * One envelope per message: a second would add its recipients to
     * the first's, without bound. */
    if (c->pending || (in->type == CLEANUP_ENV && c->have_env)) {
        c->dead = 1;
        return;
    }
    switch (in->type) {
    case CLEANUP_OPEN:
        open_msg(cu, c, in);
        break;
    case CLEANUP_OPEN_RESERVED: {
        const char *id;

        client_reset(c);
        c->flags = ipc_get_u32(in);
        id = ipc_get_str(in);
        c->open = 1;
        if (!ipc_in_ok(in) || c->reserved[0] == 0 ||
            strcmp(id, c->reserved) != 0) {
            /* not the ID we handed out: refuse this message */
            c->failed = CLEANUP_STAT_PROTO;
            queue_id_make(c->env.id);
        } else {
            memcpy(c->env.id, c->reserved, sizeof(c->env.id));
        }
        c->reserved[0] = 0;
        break;
    }
    case CLEANUP_ENV: {
        uint32_t nrcpt;

        if (!c->open) {
            c->dead = 1;
            break;
        }
        /* QUEUE_F_HOLD: a milter's quarantine (smtpd); distrust() below
         * takes it from an untrusted client */
        c->env.flags = ipc_get_u32(in) | (c->flags & QUEUE_F_LOCAL);
        c->env.ret = ipc_get_u32(in);
        c->env.arrival_us = ipc_get_u64(in);
        queue_env_set(&c->env.sender, ipc_get_str(in));
        queue_env_set(&c->env.client_name, ipc_get_str(in));
        queue_env_set(&c->env.client_addr, ipc_get_str(in));
        queue_env_set(&c->env.helo, ipc_get_str(in));
        queue_env_set(&c->env.proto, ipc_get_str(in));
        queue_env_set(&c->env.envid, ipc_get_str(in));
        queue_env_set(&c->env.origin, ipc_get_str(in));
        mem_free(c->fullname);
        c->fullname = mem_strdup(ipc_get_str(in));
        nrcpt = ipc_get_u32(in);
        for (uint32_t i = 0; i < nrcpt && ipc_in_ok(in); i++) {
            const char *a = ipc_get_str(in);
            const char *o = ipc_get_str(in);
            const char *r = ipc_get_str(in);
            uint32_t nt = ipc_get_u32(in);

            queue_env_add_rcpt(&c->env, a, o, r, nt);
        }
        /* issue 19: the content filter smtpd/pickup recorded */
        if (c->env.flags & QUEUE_F_FILTER)
            queue_env_set(&c->env.filter, ipc_get_str(in));
        if (!ipc_in_ok(in))
            c->dead = 1;
        if (!c->trusted)
            distrust(c);
        c->have_env = 1;
        break;
    }
    case CLEANUP_DATA: {
        size_t n;
        const void *p = ipc_get_bytes(in, &n);

        if (!c->open || p == NULL) {
            c->dead = 1;
            break;
        }
        if (c->failed)
            break;
        if (cu->size_limit && c->content.len + n > cu->size_limit)
            c->failed = CLEANUP_STAT_SIZE;
        else
            (void) buf_append(&c->content, p, n);
        break;
    }
    case CLEANUP_END:
        if (!c->open) {
            c->dead = 1;
            break;
        }
        if (!c->failed)
            finish(cu, c);
        if (c->failed || c->discard) {
            reply(cu, c, (unsigned) c->failed);
            client_reset(c);
        }
        break;
    case CLEANUP_ABORT:
        if (cu->front && c->open)
            cleanup_front_abort(c->wcc);
        client_reset(c);
        break;
    default:
        c->dead = 1;
        break;
    }
}

/* notify_qmgr - tell qmgr how far segment seq is committed (end 0: to
 * its end, a sealed segment) */
static void
notify_qmgr(struct cleanup *cu, uint64_t seq, uint64_t end)
{
    if (cu->qmgr.fd < 0) {
        int fd = ipc_connect_service("qmgr");

        if (fd < 0)
            return; /* qmgr finds the records on its next scan */
        ipc_conn_init(&cu->qmgr, fd, 1 << 16);
    }
    ipc_out_begin(&cu->o, 'N');
    ipc_put_u64(&cu->o, seq);
    ipc_put_u64(&cu->o, end);
    ipc_conn_queue(&cu->qmgr, &cu->o);
    if (ipc_conn_flush(&cu->qmgr) < 0) {
        ipc_conn_fini(&cu->qmgr);
        cu->qmgr.fd = -1;
    }
}

/* commit - the group commit and its replies */
static void
commit(struct cleanup *cu)
{
    int rc;
    unsigned n = 0;

    if (cu->w == NULL || queue_writer_pending(cu->w) == 0)
        return;
    rc = queue_writer_commit(cu->w);
    if (rc < 0)
        log_warn("queue file commit: %s", strerror(errno));
    for (int i = 0; i < cu->ncl; i++) {
        struct client *c = cu->cl[i];

        if (!c->pending)
            continue;
        n++;
        reply(cu, c, rc < 0 ? CLEANUP_STAT_WRITE : CLEANUP_STAT_OK);
        client_reset(c);
    }
    cu->batches++;
    cu->messages += n;
    if (rc == 0) {
        uint64_t sealed[8];
        unsigned ns = queue_writer_sealed(cu->w, sealed, 8);

        /* the tail of a segment that rolled over first, or it would
         * wait for qmgr's clean-up of that segment (seconds) */
        for (unsigned i = 0; i < ns; i++)
            notify_qmgr(cu, sealed[i], 0);
        notify_qmgr(cu, queue_writer_seq(cu->w), queue_writer_end(cu->w));
    }
}

/* cleanup_pre_drop - before the drop: the tables a chroot jail hides */
static void
cleanup_pre_drop(struct server *srv, void *ctx)
{
    struct cleanup *cu = ctx;

    cu->srv = srv;
    /* tables before the chroot jail hides their files */
    cu->rw = rewrite_new(srv->conf, srv->name_space);
    cu->valias = cleanup_valias_new(srv->conf, srv->name_space, cu->rw);
    cu->crw = cleanup_rw_new(srv->conf, srv->name_space, cu->rw);
    cu->hdr = cleanup_hdr_new(srv->conf, srv->name_space); /* issue 19 */
    cu->mime = cleanup_mime_new(srv->conf, srv->name_space,
                                cleanup_hdr_active(cu->hdr));
}

/* loop_open - the queue store (one writer per queue: a second cleanup
 * waits for the lock) and the settings the loop reads */
static void
loop_open(struct cleanup *cu, struct server *srv)
{
    int lockfd;
    char *v;
    long limit;

    cu->myhostname = server_param(srv, "myhostname");
    if ((cu->front = cleanup_front_new(srv)) != NULL)
        goto settings; /* not the writer: no store of its own */
    /* One writer per queue: a second cleanup waits here. */
    lockfd = open("store/cleanup.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lockfd < 0 || flock(lockfd, LOCK_EX) < 0)
        log_fatal("lock store/cleanup.lock: %s", strerror(errno));
    cu->fs = queue_fs_disk("store");
    if (cu->fs == NULL)
        log_fatal("open queue store: %s", strerror(errno));
    /* tests: small segments, so that a few hundred messages roll over */
    v = getenv("POSTERN_SEGMENT_BYTES");
    cu->w = queue_writer_new(cu->fs, v && *v ? strtoull(v, NULL, 10) : 0, 0);
settings:
    limit = server_param_size(srv, "message_size_limit");
    cu->size_limit = limit > 0 ? (size_t) limit : 0;
    if (cu->size_limit)
        cu->size_limit += 65536; /* our Received: header and slack */
    cu->always_add = server_param_bool(srv, "always_add_missing_headers");
    cu->dup_limit = server_param_int(srv, "duplicate_filter_limit");
    for (int i = 0; i < srv->nlisten; i++)
        (void) ipc_nonblock(srv->listen_fd[i], 1);
    server_status(srv, 1);
}

/* accept_clients - up to 64 new connections on one listener */
static void
accept_clients(struct cleanup *cu, int listen_fd)
{
    for (int k = 0; k < 64 && cu->ncl < MAX_CLIENTS; k++) {
        int fd = server_accept(listen_fd);
        struct client *c;

        if (fd < 0)
            break;
        c = mem_calloc(1, sizeof(*c));
        c->trusted = ipc_peer_trusted(fd, &c->peer_uid);
        ipc_conn_init(&c->c, fd, FRAME_LIMIT);
        queue_env_init(&c->env);
        buf_init(&c->content, 0);
        cu->cl[cu->ncl++] = c;
    }
}

/* client_frame - ipc_conn_serve's callback: stop when the client died */
struct turn {
    struct cleanup *cu;
    struct client *c;
};

static int
client_frame(void *ctx, struct ipc_in *in)
{
    struct turn *t = ctx;

    frame(t->cu, t->c, in);
    return t->c->dead;
}

/* serve_clients - flush and read the clients polled at pfd[0..npfd),
 * one frame at a time */
static void
serve_clients(struct cleanup *cu, const struct pollfd *pfd, int npfd)
{
    int n = 0;

    for (int i = 0; i < cu->ncl && n < npfd; i++, n++) {
        struct turn t = {cu, cu->cl[i]};

        if (pfd[n].fd != t.c->c.fd)
            break; /* accepted this round: next round */
        if (ipc_conn_serve(&t.c->c, pfd[n].revents, client_frame, &t) < 0)
            t.c->dead = 1;
    }
}

/* sweep_clients - flush replies; free the dead clients, and the idle
 * ones when stopping */
static void
sweep_clients(struct cleanup *cu, int stopping)
{
    for (int i = 0; i < cu->ncl; i++) {
        struct client *c = cu->cl[i];

        if (ipc_conn_pending(&c->c) && ipc_conn_flush(&c->c) < 0)
            c->dead = 1;
        /* when stopping, an idle client is let go */
        if (c->dead || (stopping && !c->open && !c->pending)) {
            client_free(c);
            cu->cl[i--] = cu->cl[--cu->ncl];
        }
    }
}

static int
cleanup_loop(struct server *srv, void *ctx)
{
    struct cleanup *cu = ctx;
    struct pollfd pfd[MAX_CLIENTS + SERVER_MAX_LISTEN + 2];
    time_t stop_deadline = 0;

    cu->qmgr.fd = -1;
    ipc_out_init(&cu->o);
    loop_open(cu, srv);

    for (;;) {
        int n = 0, busy = 0;

        if (server_stopping() && stop_deadline == 0)
            stop_deadline = time(NULL) + 30;
        for (int i = 0; i < cu->ncl; i++)
            busy += cu->cl[i]->open;
        if (stop_deadline && (busy == 0 || time(NULL) >= stop_deadline))
            break;
        if (!stop_deadline)
            for (int i = 0; i < srv->nlisten; i++) {
                pfd[n].fd = srv->listen_fd[i];
                pfd[n++].events = POLLIN;
            }
        pfd[n].fd = server_signal_fd();
        pfd[n++].events = POLLIN;
        for (int i = 0; i < cu->ncl; i++) {
            pfd[n].fd = cu->cl[i]->c.fd;
            pfd[n++].events = ipc_conn_events(&cu->cl[i]->c);
        }
        maillog_hold(1);
        maillog_flush(); /* this round's lines, in one write */
        if (poll(pfd, (nfds_t) n, 1000) < 0 && errno != EINTR)
            log_fatal("poll: %s", strerror(errno));
        n = 0;
        if (!stop_deadline)
            for (int i = 0; i < srv->nlisten; i++, n++) {
                if (!(pfd[n].revents & POLLIN))
                    continue;
                accept_clients(cu, srv->listen_fd[i]);
            }
        if (pfd[n++].revents & POLLIN) {
            char b[16];

            while (read(server_signal_fd(), b, sizeof(b)) > 0)
                ;
        }
        serve_clients(cu, pfd + n, (int) (sizeof(pfd) / sizeof(pfd[0])) - n);
        commit(cu);
        sweep_clients(cu, stop_deadline != 0);
    }
    commit(cu);
    if (cu->batches)
        log_info("statistics: %lu messages committed in %lu group "
                 "commits (%.1f per sync)",
                 cu->messages, cu->batches,
                 (double) cu->messages / (double) cu->batches);
    if (cu->w) {
        queue_writer_free(cu->w);
        queue_fs_free(cu->fs);
    }
    cleanup_front_free(cu->front);
    return 0;
}

int
cleanup_service(struct server *srv)
{
    static const struct server_service svc = {cleanup_pre_drop, NULL, NULL,
                                              cleanup_loop};
    struct cleanup cu;

    memset(&cu, 0, sizeof(cu));
    return server_main(srv, &svc, &cu);
}
