/*
 * bounce - delivery status notifications (RFC 3464).
 *
 * DESCRIPTION
 *	See bounce.h. Texts and layout follow Postfix 3.7's built-in
 *	bounce(5) templates; testdata/mta_notify/ holds notices that a
 *	real Postfix produced, which tests/mta_notify.sh compares with ours.
 *
 *	Who gets what (Postfix's bounce_notify_service/bounce_warn_service):
 *	a failed or delayed message from an ordinary sender gets a notice
 *	to the sender from <>, and, with notify_classes bounce (delay), a
 *	headers-only "Postmaster Copy" to bounce_notice_recipient
 *	(delay_notice_recipient). A failed message from <> (a notice that
 *	could not be delivered) goes, with notify_classes bounce or
 *	2bounce, to 2bounce_notice_recipient, whole; without them it is
 *	dropped. Postmaster notices come from double_bounce_sender, and a
 *	failed message from that address is discarded with a warning, so
 *	notices never loop.
 *
 *	Remote-MTA and "Diagnostic-Code: smtp; ..." come from the typed
 *	fields of a result the smtp agent got from a server (its name and
 *	reply, lib/services/deliver's deliver_result_remote); such a success is
 *	"Action: relayed". Other reasons are "Diagnostic-Code: X-Postfix;
 *	text".
 */
#define _DEFAULT_SOURCE 1 /* strcasecmp */
#include "bounce/bounce.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cleanup/cleanup.h"
#include "deliver/deliver.h"
#include "maillog/maillog.h"
#include "pcf/pcf.h"
#include "rewrite/rewrite.h"
#include "server/server.h"

/* notify_classes that matter here */
#define NC_BOUNCE  1u
#define NC_2BOUNCE 2u
#define NC_DELAY   4u

/* what a notice reports */
enum kind {
    K_FAIL,
    K_DELAY,
    K_SUCCESS,
};

struct bounce {
    struct server *srv;
    struct cleanup_client *cc;
    struct rewrite *rw;
    char *myhostname;
    char *mail_name;     /* in our Received: header */
    char *double_bounce; /* double_bounce_sender@myhostname */
    char *bounce_rcpt;   /* bounce_notice_recipient */
    char *bounce2_rcpt;  /* 2bounce_notice_recipient */
    char *delay_rcpt;    /* delay_notice_recipient */
    unsigned notify;     /* NC_* from notify_classes */
    long size_limit;     /* bounce_size_limit */
    long lifetime;       /* maximal_queue_lifetime, seconds */
    long delay_warning;  /* delay_warning_time, seconds */
    struct buf content;
};

static int
read_content(struct bounce *b, const struct deliver_req *req)
{
    char path[128];
    int fd;
    size_t got = 0;

    memcpy(path, "store/", 6);
    queue_seg_name(req->seq, path + 6, sizeof(path) - 6);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    buf_truncate(&b->content, 0);
    if (b->content.cap < req->content_len + 1) {
        b->content.data = mem_realloc(b->content.data, req->content_len + 1);
        b->content.cap = req->content_len + 1;
    }
    while (got < req->content_len) {
        ssize_t r = pread(fd, b->content.data + got, req->content_len - got,
                          (off_t) (req->content_off + got));

        if (r <= 0) {
            if (r < 0 && errno == EINTR)
                continue;
            (void) close(fd);
            return -1;
        }
        got += (size_t) r;
    }
    (void) close(fd);
    b->content.len = got;
    b->content.data[got] = 0;
    return 0;
}

/* mail_date - Postfix's mail_date(): day of month space-padded */
static void
mail_date(uint64_t secs, char *out, size_t len)
{
    time_t t = (time_t) secs;
    struct tm tm;

    localtime_r(&t, &tm);
    strftime(out, len, "%a, %e %b %Y %H:%M:%S %z (%Z)", &tm);
}

/* put_wrapped - one logical line, folded as Postfix's line_wrap() does
 * for bounce text: at most 79 columns, continuation lines indented by 4;
 * control characters in s become spaces */
static void
put_wrapped(struct buf *out, char *s)
{
    const char *start = s, *word = s;
    int indent = 0;
    size_t len;

    /* text from remote servers: no control characters into the notice */
    for (char *c = s; *c; c++)
        if ((unsigned char) *c < 0x20 || *c == 0x7f)
            *c = ' ';

    while (word) {
        const char *sp = word + strcspn(word, " \t");

        if (word > start && sp - start > 79 - indent) {
            len = (size_t) (word - start);
            while (len > 0 && (start[len - 1] == ' ' || start[len - 1] == '\t'))
                len--;
            (void) buf_printf(out, "%*s%.*s\n", indent, "", (int) len, start);
            while (*word == ' ' || *word == '\t')
                word++;
            indent = 4;
            start = word;
        }
        word = *sp ? sp + 1 : NULL;
    }
    len = strlen(start);
    while (len > 0 && (start[len - 1] == ' ' || start[len - 1] == '\t'))
        len--;
    (void) buf_printf(out, "%*s%.*s\n", indent, "", (int) len, start);
}

/* compose_headers - the notice's header and the start of its text
 * part; boundary: the MIME boundary, new_id: the notice's queue ID */
static void
compose_headers(struct bounce *b, enum kind kind, const char *to,
                int postmaster, const char *new_id, const char *boundary,
                struct buf *out)
{
    char date[80];

    /* Postfix's post_mail() starts every notice with these two */
    mail_date((uint64_t) time(NULL), date, sizeof(date));
    (void) buf_printf(out,
                      "Received: by %s (%s)\n"
                      "\tid %s; %s\n"
                      "Date: %s\n",
                      b->myhostname, b->mail_name, new_id, date, date);
    (void) buf_printf(
        out,
        "From: Mail Delivery System <MAILER-DAEMON@%s>\n"
        "Subject: %s\n"
        "To: %s\n"
        "Auto-Submitted: %s\n"
        "MIME-Version: 1.0\n"
        "Content-Type: multipart/report; report-type=delivery-status;\n"
        "\tboundary=\"%s\"\n"
        "Content-Transfer-Encoding: 8bit\n"
        "\n"
        "This is a MIME-encapsulated message.\n\n"
        "--%s\n"
        "Content-Description: Notification\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: 8bit\n\n",
        b->myhostname,
        kind == K_SUCCESS ? "Successful Mail Delivery Report"
        : kind == K_DELAY ? (postmaster ? "Postmaster Warning: Delayed Mail"
                                        : "Delayed Mail (still being retried)")
        : postmaster      ? "Postmaster Copy: Undelivered Mail"
                          : "Undelivered Mail Returned to Sender",
        to, postmaster ? "auto-generated" : "auto-replied", boundary, boundary);
}

/* compose_intro - the boiler-plate text that tells the sender what
 * happened (Postfix's templates) */
static void
compose_intro(struct bounce *b, enum kind kind, struct buf *out)
{
    if (kind == K_DELAY)
        (void) buf_printf(
            out,
            "This is the mail system at host %s.\n\n"
            "####################################################"
            "################\n"
            "# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND "
            "YOUR MESSAGE. #\n"
            "####################################################"
            "################\n\n"
            "Your message could not be delivered for more than "
            "%ld hour(s).\n"
            "It will be retried until it is %ld day(s) old.\n\n"
            "For further assistance, please send mail to "
            "postmaster.\n\n"
            "If you do so, please include this problem report. You "
            "can\n"
            "delete your own text from the attached returned "
            "message.\n\n"
            "                   The mail system\n",
            b->myhostname, b->delay_warning / 3600, b->lifetime / 86400);
    else if (kind == K_SUCCESS)
        (void) buf_printf(out,
                          "This is the mail system at host %s.\n\n"
                          "Your message was successfully delivered to the "
                          "destination(s)\n"
                          "listed below. If the message was delivered to "
                          "mailbox you will\n"
                          "receive no further notifications. Otherwise you "
                          "may still receive\n"
                          "notifications of mail delivery errors from other "
                          "systems.\n\n"
                          "                   The mail system\n",
                          b->myhostname);
    else
        (void) buf_printf(
            out,
            "This is the mail system at host %s.\n\n"
            "I'm sorry to have to inform you that your message "
            "could not\n"
            "be delivered to one or more recipients. It's attached "
            "below.\n\n"
            "For further assistance, please send mail to "
            "postmaster.\n\n"
            "If you do so, please include this problem report. You "
            "can\n"
            "delete your own text from the attached returned "
            "message.\n\n"
            "                   The mail system\n",
            b->myhostname);
}

/* compose_rcpts - one paragraph per recipient with its reason */
static void
compose_rcpts(const struct deliver_req *req, struct buf *out)
{
    struct buf line;

    buf_init(&line, 0);
    for (size_t i = 0; i < req->nrcpt; i++) {
        const struct deliver_rcpt *rc = &req->rcpt[i];

        buf_truncate(&line, 0);
        if (rc->orig[0] && strcasecmp(rc->orig, rc->addr) != 0)
            (void) buf_printf(&line, "<%s> (expanded from <%s>): %s", rc->addr,
                              rc->orig, rc->text ? rc->text : "");
        else
            (void) buf_printf(&line, "<%s>: %s", rc->addr,
                              rc->text ? rc->text : "");
        (void) buf_putc(out, '\n');
        put_wrapped(out, line.data);
    }
    buf_fini(&line);
}

/* compose_status - the message/delivery-status part: the per-message
 * fields, then per recipient its action, status and diagnostic */
static void
compose_status(struct bounce *b, const struct deliver_req *req, enum kind kind,
               const char *sender, const char *boundary, struct buf *out)
{
    char date[80];
    struct buf line;

    buf_init(&line, 0);
    (void) buf_printf(out,
                      "\n--%s\n"
                      "Content-Description: Delivery report\n"
                      "Content-Type: message/delivery-status\n\n",
                      boundary);
    (void) buf_printf(out, "Reporting-MTA: dns; %s\n", b->myhostname);
    if (req->envid && *req->envid)
        (void) buf_printf(out, "Original-Envelope-Id: %s\n", req->envid);
    mail_date(req->arrival_us / 1000000u, date, sizeof(date));
    (void) buf_printf(out,
                      "X-Postfix-Queue-ID: %s\n"
                      "X-Postfix-Sender: rfc822; %s\n"
                      "Arrival-Date: %s\n",
                      req->id, sender, date);
    for (size_t i = 0; i < req->nrcpt; i++) {
        const struct deliver_rcpt *rc = &req->rcpt[i];
        const char *text = rc->text ? rc->text : "";
        /* a server's reply (the smtp agent's typed result): relayed, a
         * success the next hop did not take the DSN duty for */
        int remote = rc->mta != NULL;
        int via = kind == K_SUCCESS && remote;

        (void) buf_printf(out, "\nFinal-Recipient: rfc822; %s\n", rc->addr);
        /* as Postfix: the client's ORCPT, else the address as received */
        if (rc->orcpt[0])
            (void) buf_printf(out, "Original-Recipient: %s\n", rc->orcpt);
        else
            (void) buf_printf(out, "Original-Recipient: rfc822;%s\n",
                              rc->orig[0] ? rc->orig : rc->addr);
        (void) buf_printf(out,
                          "Action: %s\n"
                          "Status: %s\n",
                          kind == K_DELAY     ? "delayed"
                          : via               ? "relayed"
                          : kind == K_SUCCESS ? "delivered"
                                              : "failed",
                          rc->dsn);
        buf_truncate(&line, 0);
        if (remote) {
            (void) buf_printf(out, "Remote-MTA: dns; %s\n", rc->mta);
            (void) buf_printf(&line, "Diagnostic-Code: smtp; %s",
                              rc->reply ? rc->reply : "");
        } else {
            (void) buf_printf(&line, "Diagnostic-Code: X-Postfix; %s", text);
        }
        put_wrapped(out, line.data);
        if (kind == K_DELAY) {
            mail_date(req->arrival_us / 1000000u + (uint64_t) b->lifetime, date,
                      sizeof(date));
            (void) buf_printf(out, "Will-Retry-Until: %s\n", date);
        }
    }
    buf_fini(&line);
}

/* compose - the whole notice to "to"; postmaster: a copy without the
 * boiler-plate; hdrs: attach only the original headers */
static void
compose(struct bounce *b, const struct deliver_req *req, enum kind kind,
        const char *to, int postmaster, int hdrs, const char *new_id,
        struct buf *out)
{
    char boundary[200];
    size_t hdr_end = b->content.len;
    const char *p = strstr(b->content.data ? b->content.data : "", "\n\n");
    const char *sender = req->sender;
    struct buf line;
    char *mailer_daemon = NULL;

    if (p)
        hdr_end = (size_t) (p - b->content.data) + 1;
    if (*sender == 0) {
        buf_init(&line, 0);
        (void) buf_printf(&line, "MAILER-DAEMON@%s", b->myhostname);
        mailer_daemon = mem_strdup(buf_str(&line));
        buf_fini(&line);
        sender = mailer_daemon;
    }
    snprintf(boundary, sizeof(boundary), "%s.%ld/%s", req->id,
             (long) time(NULL), b->myhostname);
    compose_headers(b, kind, to, postmaster, new_id, boundary, out);
    /* the postmaster gets the facts only */
    if (!postmaster)
        compose_intro(b, kind, out);
    compose_rcpts(req, out);
    compose_status(b, req, kind, sender, boundary, out);
    (void) buf_printf(out,
                      "\n--%s\n"
                      "Content-Description: %s%s\n"
                      "Content-Type: %s\n"
                      "Content-Transfer-Encoding: 8bit\n\n"
                      "Return-Path: <%s>\n",
                      boundary, kind == K_SUCCESS ? "" : "Undelivered ",
                      hdrs ? "Message Headers" : "Message",
                      hdrs ? "text/rfc822-headers" : "message/rfc822", sender);
    (void) buf_append(out, b->content.data, hdrs ? hdr_end : b->content.len);
    if (out->len && out->data[out->len - 1] != '\n')
        (void) buf_putc(out, '\n');
    (void) buf_printf(out, "\n--%s--\n", boundary);
    mem_free(mailer_daemon);
}

/* notice - compose one notice to "to", queue it from <> (postmaster
 * notices from double-bounce) and log it; 0 or -1 */
static int
notice(struct bounce *b, const struct deliver_req *req, enum kind kind,
       const char *to, int postmaster, int hdrs)
{
    char id[QUEUE_ID_SIZE] = "";
    struct queue_env env;
    struct buf msg;
    int st;

    if (cleanup_client_open(b->cc, QUEUE_F_LOCAL | QUEUE_F_BOUNCE, id) < 0)
        return -1;
    buf_init(&msg, 0);
    compose(b, req, kind, to, postmaster, hdrs, id, &msg);
    queue_env_init(&env);
    env.flags = QUEUE_F_BOUNCE;
    queue_env_set(&env.sender, postmaster ? b->double_bounce : "");
    queue_env_set(&env.proto, "local");
    /* no NOTIFY: a failed notice comes back here as a message from <>
     * (or from double-bounce, which ends the chain) */
    queue_env_add_rcpt(&env, to, "", "", 0);
    st = cleanup_client_env(b->cc, &env, NULL) < 0 ||
                 cleanup_client_data(b->cc, msg.data, msg.len) < 0
             ? -1
             : cleanup_client_end(b->cc);
    queue_env_fini(&env);
    buf_fini(&msg);
    if (st != CLEANUP_STAT_OK)
        return -1;
    log_info("%s: %s %s notification: %s", req->id,
             postmaster ? "postmaster" : "sender",
             kind == K_DELAY     ? "delay"
             : kind == K_SUCCESS ? "delivery status"
                                 : "non-delivery",
             id);
    return 0;
}

/* notify - every notice one request calls for; 0 when done (the
 * recipients are finished), -1 to try again later */
static int
notify(struct bounce *b, const struct deliver_req *req, enum kind kind)
{
    int whole;
    const char *pm;

    if (kind == K_SUCCESS)
        return notice(b, req, kind, req->sender, 0, req->ret != QUEUE_RET_FULL);
    if (strcasecmp(req->sender, b->double_bounce) == 0) {
        /* a postmaster notice that failed: never a triple bounce */
        log_warn("%s: undeliverable postmaster notification discarded",
                 req->id);
        return 0;
    }
    whole = kind == K_FAIL && req->ret != QUEUE_RET_HDRS &&
            req->content_len <= (uint64_t) b->size_limit;
    if (*req->sender == 0) {
        /* a notice that failed: to the postmaster, if asked for */
        if (kind == K_FAIL && (b->notify & (NC_BOUNCE | NC_2BOUNCE)) &&
            *b->bounce2_rcpt)
            return notice(b, req, kind, b->bounce2_rcpt, 1,
                          req->content_len > (uint64_t) b->size_limit);
        if (kind == K_DELAY && (b->notify & NC_DELAY) && *b->delay_rcpt)
            return notice(b, req, kind, b->delay_rcpt, 1, 1);
        return 0;
    }
    if (notice(b, req, kind, req->sender, 0, !whole) < 0)
        return -1;
    pm = kind == K_DELAY ? b->delay_rcpt : b->bounce_rcpt;
    if ((b->notify & (kind == K_DELAY ? NC_DELAY : NC_BOUNCE)) && *pm &&
        notice(b, req, kind, pm, 1, 1) < 0)
        log_warn("postmaster notice failed while %s to %s",
                 kind == K_DELAY ? "warning" : "bouncing", req->sender);
    return 0;
}

static void
batch(void *ctx, struct deliver_req **reqs, size_t n)
{
    struct bounce *b = ctx;

    for (size_t i = 0; i < n; i++) {
        struct deliver_req *req = reqs[i];
        enum kind kind = strcmp(req->nexthop, "success") == 0 ? K_SUCCESS
                         : strcmp(req->nexthop, "delay") == 0 ? K_DELAY
                                                              : K_FAIL;
        int ok = 0;

        if (read_content(b, req) < 0)
            log_warn("%s: cannot read queue file: %s", req->id,
                     strerror(errno));
        else if (!(ok = notify(b, req, kind) == 0))
            log_warn("%s: cannot queue %s notification", req->id,
                     kind == K_DELAY ? "delay" : "non-delivery");
        for (size_t k = 0; k < req->nrcpt; k++)
            deliver_result(&req->rcpt[k], ok ? DELIVER_SENT : DELIVER_DEFER,
                           ok ? "2.0.0" : "4.3.0",
                           ok ? "notification queued" : "cannot queue notice");
    }
}

/* param_addr - an address parameter in canonical form; caller frees */
static char *
param_addr(struct bounce *b, const char *name)
{
    char *v = server_param(b->srv, name);
    char *a = rewrite_canon(b->rw, v);

    mem_free(v);
    return a;
}

static unsigned
notify_classes(struct server *srv)
{
    char *v = server_param(srv, "notify_classes");
    struct strv sv;
    unsigned mask = 0;

    strv_init(&sv);
    server_split(v, &sv);
    for (size_t i = 0; i < sv.n; i++) {
        if (strcasecmp(sv.v[i], "bounce") == 0)
            mask |= NC_BOUNCE;
        else if (strcasecmp(sv.v[i], "2bounce") == 0)
            mask |= NC_2BOUNCE;
        else if (strcasecmp(sv.v[i], "delay") == 0)
            mask |= NC_DELAY;
    }
    strv_fini(&sv);
    mem_free(v);
    return mask;
}

/* bounce_pre_drop - before the drop: the tables a chroot jail hides */
static void
bounce_pre_drop(struct server *srv, void *ctx)
{
    struct bounce *b = ctx;

    b->srv = srv;
    /* tables before the chroot jail hides their files */
    b->rw = rewrite_new(srv->conf, srv->name_space);
}

static int
bounce_loop(struct server *srv, void *ctx)
{
    struct bounce *b = ctx;
    char *v;
    struct buf a;

    v = server_param(srv, "cleanup_service_name");
    b->cc = cleanup_client_new(v, 300);
    mem_free(v);
    b->myhostname = server_param(srv, "myhostname");
    /* as smtpd: Postfix's default name would misname this system */
    b->mail_name = strcmp(pcf_source(srv->conf, "mail_name"), "default") == 0
                       ? mem_strdup("Postern")
                       : server_param(srv, "mail_name");
    /* Postfix's mail_addr_double_bounce(): name@myhostname */
    v = server_param(srv, "double_bounce_sender");
    buf_init(&a, 0);
    (void) buf_printf(&a, strchr(v, '@') ? "%s" : "%s@%s", v, b->myhostname);
    b->double_bounce = mem_strdup(buf_str(&a));
    buf_fini(&a);
    mem_free(v);
    b->bounce_rcpt = param_addr(b, "bounce_notice_recipient");
    b->bounce2_rcpt = param_addr(b, "2bounce_notice_recipient");
    b->delay_rcpt = param_addr(b, "delay_notice_recipient");
    b->notify = notify_classes(srv);
    b->size_limit = server_param_int(srv, "bounce_size_limit");
    b->lifetime =
        server_conf_time(srv->conf, srv->name_space, "maximal_queue_lifetime");
    b->delay_warning =
        server_conf_time(srv->conf, srv->name_space, "delay_warning_time");
    buf_init(&b->content, 0);
    deliver_agent_loop(srv, batch, b);
    return 0;
}

int
bounce_service(struct server *srv)
{
    static const struct server_service svc = {bounce_pre_drop, NULL, NULL,
                                              bounce_loop};
    struct bounce b;

    memset(&b, 0, sizeof(b));
    return server_main(srv, &svc, &b);
}
