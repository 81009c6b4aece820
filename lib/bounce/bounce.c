/*
 * bounce - delivery status notifications (RFC 3464).
 *
 * DESCRIPTION
 *	See bounce.h. Texts follow Postfix's default bounce template.
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
#include "rewrite/rewrite.h"
#include "server/server.h"

struct bounce {
    struct server *srv;
    struct cleanup_client *cc;
    struct rewrite *rw;
    char *myhostname;
    char *notice_rcpt;  /* 2bounce_notice_recipient */
    long lifetime_days; /* maximal_queue_lifetime */
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

static void
rfc822_date(uint64_t us, char *out, size_t len)
{
    time_t t = (time_t) (us / 1000000u);
    struct tm tm;

    localtime_r(&t, &tm);
    strftime(out, len, "%a, %d %b %Y %H:%M:%S %z (%Z)", &tm);
}

/* compose - the whole notice */
static void
compose(struct bounce *b, const struct deliver_req *req, const char *to,
        int postmaster, int success, struct buf *out)
{
    int delay = success == 2;

    char boundary[200], date[80];
    size_t hdr_end = b->content.len;
    const char *p = strstr(b->content.data ? b->content.data : "", "\n\n");

    if (p)
        hdr_end = (size_t) (p - b->content.data) + 1;
    snprintf(boundary, sizeof(boundary), "%s.%ld/%s", req->id,
             (long) time(NULL), b->myhostname);
    (void) buf_printf(out,
                      "From: MAILER-DAEMON@%s (Mail Delivery System)\n"
                      "Subject: %s\n"
                      "To: %s\n"
                      "Auto-Submitted: auto-replied\n"
                      "MIME-Version: 1.0\n"
                      "Content-Type: multipart/report; "
                      "report-type=delivery-status;\n"
                      "\tboundary=\"%s\"\n"
                      "Content-Transfer-Encoding: 8bit\n"
                      "\n"
                      "This is a MIME-encapsulated message.\n\n"
                      "--%s\n"
                      "Content-Description: Notification\n"
                      "Content-Type: text/plain; charset=us-ascii\n\n",
                      b->myhostname,
                      delay        ? "Delayed Mail (still being retried)"
                      : success    ? "Successful Mail Delivery Report"
                      : postmaster ? "Postmaster Copy: Undelivered Mail"
                                   : "Undelivered Mail Returned to Sender",
                      to, boundary, boundary);
    if (delay)
        (void) buf_printf(
            out,
            "####################################################"
            "################\n"
            "# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND "
            "YOUR MESSAGE. #\n"
            "####################################################"
            "################\n\n"
            "This is the mail system at host %s.\n\n"
            "Your message could not be delivered for more than "
            "%ld hour(s).\n"
            "It will be retried until it is %ld day(s) old.\n\n"
            "For further assistance, please send mail to "
            "postmaster.\n\n"
            "                   The mail system\n\n",
            b->myhostname,
            (long) ((queue_now_us() - req->arrival_us) / 3600000000u),
            b->lifetime_days);
    else if (success)
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
                          "                   The mail system\n\n",
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
            "                   The mail system\n\n",
            b->myhostname);
    for (size_t i = 0; i < req->nrcpt; i++) {
        const struct deliver_rcpt *rc = &req->rcpt[i];

        if (rc->orig[0] && strcasecmp(rc->orig, rc->addr) != 0)
            (void) buf_printf(out, "<%s> (expanded from <%s>): %s\n", rc->addr,
                              rc->orig, rc->text ? rc->text : "");
        else
            (void) buf_printf(out, "<%s>: %s\n", rc->addr,
                              rc->text ? rc->text : "");
    }
    rfc822_date(req->arrival_us, date, sizeof(date));
    (void) buf_printf(out,
                      "\n--%s\n"
                      "Content-Description: Delivery report\n"
                      "Content-Type: message/delivery-status\n\n"
                      "Reporting-MTA: dns; %s\n"
                      "X-Postfix-Queue-ID: %s\n"
                      "X-Postfix-Sender: rfc822; %s\n"
                      "Arrival-Date: %s\n",
                      boundary, b->myhostname, req->id, req->sender, date);
    if (req->envid && *req->envid)
        (void) buf_printf(out, "Original-Envelope-Id: %s\n", req->envid);
    for (size_t i = 0; i < req->nrcpt; i++) {
        const struct deliver_rcpt *rc = &req->rcpt[i];

        (void) buf_printf(out, "\nFinal-Recipient: rfc822; %s\n", rc->addr);
        if (rc->orcpt[0])
            (void) buf_printf(out, "Original-Recipient: %s\n", rc->orcpt);
        else if (rc->orig[0])
            (void) buf_printf(out, "Original-Recipient: rfc822;%s\n", rc->orig);
        (void) buf_printf(out,
                          "Action: %s\n"
                          "Status: %s\n"
                          "Diagnostic-Code: X-Postfix; %s\n",
                          delay     ? "delayed"
                          : success ? "delivered"
                                    : "failed",
                          success             ? rc->dsn
                          : rc->dsn[0] == '4' ? "5.0.0"
                                              : rc->dsn,
                          rc->text ? rc->text : "");
    }
    if (req->ret == QUEUE_RET_HDRS || (success && req->ret != QUEUE_RET_FULL)) {
        (void) buf_printf(out,
                          "\n--%s\n"
                          "Content-Description: %s\n"
                          "Content-Type: text/rfc822-headers\n"
                          "Content-Transfer-Encoding: 8bit\n\n",
                          boundary,
                          success ? "Message Headers"
                                  : "Undelivered Message Headers");
        (void) buf_append(out, b->content.data, hdr_end);
    } else {
        (void) buf_printf(out,
                          "\n--%s\n"
                          "Content-Description: Undelivered Message\n"
                          "Content-Type: message/rfc822\n"
                          "Content-Transfer-Encoding: 8bit\n\n",
                          boundary);
        (void) buf_append(out, b->content.data, b->content.len);
    }
    if (out->len && out->data[out->len - 1] != '\n')
        (void) buf_putc(out, '\n');
    (void) buf_printf(out, "\n--%s--\n", boundary);
}

static int
submit(struct bounce *b, const char *to, const struct buf *msg,
       char id[QUEUE_ID_SIZE])
{
    struct queue_env env;
    int st;

    if (cleanup_client_open(b->cc, QUEUE_F_LOCAL | QUEUE_F_BOUNCE, id) < 0)
        return -1;
    queue_env_init(&env);
    env.flags = QUEUE_F_BOUNCE;
    queue_env_set(&env.sender, "");
    queue_env_set(&env.proto, "local");
    queue_env_add_rcpt(&env, to, "", "", QUEUE_NOTIFY_NEVER);
    st = cleanup_client_env(b->cc, &env, NULL) < 0 ||
                 cleanup_client_data(b->cc, msg->data, msg->len) < 0
             ? -1
             : cleanup_client_end(b->cc);
    queue_env_fini(&env);
    return st == CLEANUP_STAT_OK ? 0 : -1;
}

static void
batch(void *ctx, struct deliver_req **reqs, size_t n)
{
    struct bounce *b = ctx;

    for (size_t i = 0; i < n; i++) {
        struct deliver_req *req = reqs[i];
        int postmaster = strcmp(req->nexthop, "2bounce") == 0;
        int success = strcmp(req->nexthop, "success") == 0 ? 1
                      : strcmp(req->nexthop, "delay") == 0 ? 2
                                                           : 0;
        const char *to = postmaster ? b->notice_rcpt : req->sender;
        char id[QUEUE_ID_SIZE] = "";
        struct buf msg;
        int ok = 0, discard = 0;

        if (postmaster && (req->flags & QUEUE_F_BOUNCE)) {
            /* a failed notice about a failed notice: stop here */
            for (size_t k = 0; k < req->nrcpt; k++)
                discard |= strcasecmp(req->rcpt[k].addr, b->notice_rcpt) == 0;
        }
        if (discard) {
            maillog_info("%s: discarding undeliverable postmaster "
                         "notification",
                         req->id);
            ok = 1;
        } else if (read_content(b, req) == 0) {
            buf_init(&msg, 0);
            compose(b, req, to, postmaster, success, &msg);
            ok = submit(b, to, &msg, id) == 0;
            buf_fini(&msg);
            if (ok)
                maillog_info("%s: %s %s notification: %s", req->id,
                             postmaster ? "postmaster" : "sender",
                             success == 2 ? "delay"
                             : success    ? "delivery status"
                                          : "non-delivery",
                             id);
            else
                maillog_warning("%s: cannot queue non-delivery notification",
                                req->id);
        } else {
            maillog_warning("%s: cannot read queue file: %m", req->id);
        }
        for (size_t k = 0; k < req->nrcpt; k++)
            deliver_result(&req->rcpt[k], ok ? DELIVER_SENT : DELIVER_DEFER,
                           ok ? "2.0.0" : "4.3.0",
                           ok ? "notification queued" : "cannot queue notice");
    }
}

int
bounce_service(struct server *srv)
{
    struct bounce b;
    char *v;

    server_init(srv);
    server_drop_privileges(srv);
    memset(&b, 0, sizeof(b));
    b.srv = srv;
    b.cc = cleanup_client_new("cleanup", 300);
    b.rw = rewrite_new(srv->conf, srv->name_space);
    b.myhostname = server_param(srv, "myhostname");
    v = server_param(srv, "2bounce_notice_recipient");
    b.notice_rcpt = rewrite_canon(b.rw, v);
    mem_free(v);
    b.lifetime_days = server_conf_time(srv->conf, srv->name_space,
                                       "maximal_queue_lifetime", 'd', 432000) /
                      86400;
    buf_init(&b.content, 0);
    deliver_agent_loop(srv, batch, &b);
    return 0;
}
