/*
 * smtp_trans - one mail transaction of the smtp agent: MAIL FROM, RCPT
 * TO, DATA and the content, pipelined when the server offers
 * PIPELINING, with the results of every recipient.
 *
 * DESCRIPTION
 *	The content goes out dot-stuffed with CRLF line ends, converted to
 *	7 bit (smtp_mime.c) for a server without 8BITMIME. A reused
 *	session's RSET rides in front of MAIL FROM (see smtp_reusable()).
 */
#define _DEFAULT_SOURCE 1
#include <stdio.h>
#include <string.h>

#include "deliver/deliver.h"
#include "maillog/maillog.h"
#include "queue/queue.h"
#include "smtp/smtp_int.h"

/*
 * wire - text with CRLF line ends, dot-stuffed, ending in "." The output
 * is at most 3 bytes per input byte plus the final ".\r\n" (a line of one
 * "." becomes "..\r\n"), so room is made once and lines are copied
 * without a bounds check each: a 100 KB message has 1,300 lines.
 */
static void
wire(struct buf *w, const char *p, size_t len)
{
    const char *end = p + len;
    char *o;

    buf_truncate(w, 0);
    if (buf_reserve(w, 3 * len + 4) < 0) {
        (void) buf_append(w, ".\r\n", 3); /* cannot happen: no limit */
        return;
    }
    o = w->data;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t) (end - p));
        size_t n = nl ? (size_t) (nl - p) : (size_t) (end - p);

        if (n && p[n - 1] == '\r')
            n--;
        if (*p == '.')
            *o++ = '.';
        memcpy(o, p, n);
        o += n;
        *o++ = '\r';
        *o++ = '\n';
        p = nl ? nl + 1 : end;
    }
    memcpy(o, ".\r\n", 3);
    o += 3;
    w->len = (size_t) (o - w->data);
    w->data[w->len] = 0;
}

/* body - the message on the wire for session s: converted to 7 bit
 * when it is 8-bit mail and s lacks 8BITMIME (unless
 * disable_mime_output_conversion), else as is */
static void
body(struct agent *ag, const struct session *s, const struct deliver_req *req)
{
    const char *p = ag->msg.content.data;
    size_t n = ag->msg.content.len;

    /* issue 19: smtp_generic_maps on the header addresses */
    if (smtp_generic_content(ag->generic, p, n, &ag->generic_out)) {
        p = ag->generic_out.data;
        n = ag->generic_out.len;
    }
    if (!s->eightbit && !ag->no_mime_oconv &&
        ((req->flags & QUEUE_F_8BITMIME) || smtp_mime_8bit(p, n))) {
        buf_truncate(&ag->conv, 0);
        smtp_mime_downgrade(p, n, &ag->conv);
        p = ag->conv.data;
        n = ag->conv.len;
    }
    wire(&ag->wire, p, n);
}

void
smtp_set_all(struct deliver_req *req, int only_pending, int status,
             const char *dsn, const char *text)
{
    for (size_t i = 0; i < req->nrcpt; i++) {
        if (only_pending && req->rcpt[i].status != DELIVER_DEFER)
            continue;
        if (only_pending && req->rcpt[i].text && *req->rcpt[i].text)
            continue;
        deliver_result(&req->rcpt[i], status, dsn, text);
    }
}

/* said_result - rc's result from the server's reply r: Postfix's text
 * in why, and the server and its reply as typed fields (the bounce
 * service's Remote-MTA and Diagnostic-Code) */
static void
said_result(struct deliver_rcpt *rc, const struct session *s,
            const struct smtp_reply *r, const char *why)
{
    deliver_result(rc, smtp_status_of(r->code), r->dsn, why);
    deliver_result_remote(rc, s->host, buf_str(&r->text));
}

/* said_all - every recipient's result from the reply r (to MAIL FROM) */
static void
said_all(struct deliver_req *req, const struct session *s,
         const struct smtp_reply *r, const char *why)
{
    for (size_t i = 0; i < req->nrcpt; i++)
        said_result(&req->rcpt[i], s, r, why);
}

/* reply_at - read a reply for a stage; SMTP_CONN_OK or an error with the
 * reason in why */
static enum smtp_conn_err
reply_at(struct session *s, int timeout, struct smtp_reply *r,
         const char *stage, struct buf *why)
{
    enum smtp_conn_err e;

    smtp_conn_timeout(s->c, timeout);
    e = smtp_conn_reply(s->c, r);
    if (e != SMTP_CONN_OK)
        smtp_io_reason(why, e, s->name, stage);
    return e;
}

/* mail_from - the MAIL FROM command for req, with the ESMTP
 * parameters the server offers */
static void
mail_from(const struct session *s, const struct deliver_req *req,
          const char *sender, struct buf *cmd)
{
    (void) buf_printf(cmd, "MAIL FROM:<%s>", sender);
    if (s->esmtp) {
        if (s->has_size)
            (void) buf_printf(cmd, " SIZE=%llu",
                              (unsigned long long) req->content_len);
        if ((req->flags & QUEUE_F_8BITMIME) && s->eightbit)
            (void) buf_puts(cmd, " BODY=8BITMIME");
        if ((req->flags & QUEUE_F_SMTPUTF8) && s->smtputf8)
            (void) buf_puts(cmd, " SMTPUTF8");
        if (s->dsn && req->ret)
            (void) buf_puts(cmd, req->ret == QUEUE_RET_FULL ? " RET=FULL"
                                                            : " RET=HDRS");
        if (s->dsn && req->envid && *req->envid) {
            (void) buf_puts(cmd, " ENVID=");
            smtp_xtext(cmd, req->envid);
        }
    }
}

/* rcpt_to - the RCPT TO command for rc, with NOTIFY and ORCPT when
 * the server offers DSN */
static void
rcpt_to(const struct session *s, const struct deliver_rcpt *rc,
        const char *addr, struct buf *cmd)
{
    buf_truncate(cmd, 0);
    (void) buf_printf(cmd, "RCPT TO:<%s>", addr);
    if (s->dsn && rc->notify) {
        if (rc->notify & QUEUE_NOTIFY_NEVER) {
            (void) buf_puts(cmd, " NOTIFY=NEVER");
        } else {
            const char *sep = " NOTIFY=";

            if (rc->notify & QUEUE_NOTIFY_SUCCESS)
                (void) buf_printf(cmd, "%sSUCCESS", sep), sep = ",";
            if (rc->notify & QUEUE_NOTIFY_FAILURE)
                (void) buf_printf(cmd, "%sFAILURE", sep), sep = ",";
            if (rc->notify & QUEUE_NOTIFY_DELAY)
                (void) buf_printf(cmd, "%sDELAY", sep);
        }
    }
    if (s->dsn && rc->orcpt && *rc->orcpt && strchr(rc->orcpt, ';')) {
        const char *semi = strchr(rc->orcpt, ';');

        (void) buf_printf(cmd, " ORCPT=%.*s;", (int) (semi - rc->orcpt),
                          rc->orcpt);
        smtp_xtext(cmd, semi + 1);
    }
}

/* content - the message, then the end-of-data reply for the accepted
 * recipients (rcpt_ok); SMTP_CONN_OK or an error with the reason in why */
static enum smtp_conn_err
content(struct agent *ag, struct session *s, struct deliver_req *req,
        const int *rcpt_ok, struct smtp_reply *r, struct buf *why)
{
    enum smtp_conn_err e;
    size_t i;

    body(ag, s, req);
    smtp_conn_timeout(s->c, ag->data_xfer_timeout);
    smtp_conn_write(s->c, ag->wire.data, ag->wire.len);
    if ((e = smtp_conn_flush(s->c)) != SMTP_CONN_OK) {
        smtp_io_reason(why, e, s->name, "sending message body");
        return e;
    }
    /* LMTP: one reply per accepted recipient, in RCPT order (RFC 2033) */
    if (!ag->lmtp &&
        (e = reply_at(s, ag->data_done_timeout, r,
                      "sending end of data -- message may be sent more than "
                      "once",
                      why)) != SMTP_CONN_OK)
        return e;
    for (i = 0; i < req->nrcpt; i++) {
        if (!rcpt_ok[i])
            continue;
        if (ag->lmtp &&
            (e = reply_at(s, ag->data_done_timeout, r,
                          "sending end of data -- message may be sent more "
                          "than once",
                          why)) != SMTP_CONN_OK)
            return e;
        if (r->code / 100 == 2) {
            deliver_result(&req->rcpt[i], DELIVER_SENT, r->dsn,
                           buf_str(&r->text));
            /* the server took NOTIFY=SUCCESS over: no notice from us */
            if (s->dsn)
                req->rcpt[i].notify &= ~QUEUE_NOTIFY_SUCCESS;
        } else {
            smtp_said(why, s, r, "end of DATA");
            said_result(&req->rcpt[i], s, r, buf_str(why));
        }
    }
    return SMTP_CONN_OK;
}

/* mail_reply - the reply to MAIL FROM; SMTP_CONN_OK or an error with the
 * reason in why; *refused when the server refused it (every
 * recipient's result is set then) */
static enum smtp_conn_err
mail_reply(struct agent *ag, struct session *s, struct deliver_req *req,
           struct smtp_reply *r, struct buf *why, int *refused)
{
    enum smtp_conn_err e;

    *refused = 0;
    if ((e = reply_at(s, ag->mail_timeout, r, "sending MAIL FROM", why)) !=
        SMTP_CONN_OK)
        return e;
    if (r->code / 100 != 2) {
        smtp_said(why, s, r, "MAIL FROM");
        said_all(req, s, r, buf_str(why));
        *refused = 1;
    }
    return SMTP_CONN_OK;
}

/* rcpt_replies - a reply per RCPT TO: rcpt_ok[i] and *accepted for
 * those accepted, the result of the others (unless MAIL FROM's failure
 * set it already); SMTP_CONN_OK or an error with the reason in why */
static enum smtp_conn_err
rcpt_replies(struct agent *ag, struct session *s, struct deliver_req *req,
             int *rcpt_ok, int *accepted, struct smtp_reply *r, struct buf *why)
{
    enum smtp_conn_err e;

    for (size_t i = 0; i < req->nrcpt; i++) {
        struct deliver_rcpt *rc = &req->rcpt[i];

        if ((e = reply_at(s, ag->rcpt_timeout, r, "sending RCPT TO", why)) !=
            SMTP_CONN_OK)
            return e;
        if (r->code / 100 == 2) {
            rcpt_ok[i] = 1;
            (*accepted)++;
        } else if (rc->text == NULL || *rc->text == 0) {
            smtp_said(why, s, r, "RCPT TO");
            said_result(rc, s, r, buf_str(why));
        }
    }
    return SMTP_CONN_OK;
}

/* defer_unanswered - a broken conversation: recipients without an
 * answer, and those accepted, are deferred with the reason */
static void
defer_unanswered(struct deliver_req *req, const int *rcpt_ok, const char *why)
{
    for (size_t i = 0; i < req->nrcpt; i++) {
        struct deliver_rcpt *rc = &req->rcpt[i];

        if (rc->status == DELIVER_DEFER && (rc->text == NULL || !*rc->text))
            deliver_result(rc, DELIVER_DEFER, "4.4.2", why);
        else if (rcpt_ok[i] && rc->status == DELIVER_DEFER)
            /* not an LMTP recipient whose final reply came already */
            deliver_result(rc, DELIVER_DEFER, "4.4.2", why);
    }
}

/* smtp_transaction - MAIL, RCPT..., DATA, content; results into req; 0 when
 * the session may be reused, -1 when not, -2 when a reused session turned
 * out stale before anything was said for this message */
int
smtp_transaction(struct agent *ag, struct session *s, struct deliver_req *req)
{
    struct smtp_reply r;
    struct buf cmd, why;
    enum smtp_conn_err e = SMTP_CONN_OK;
    int accepted = 0, ok = 0;
    size_t i;
    int *rcpt_ok = mem_calloc(req->nrcpt ? req->nrcpt : 1, sizeof(int));
    int pipe = s->pipelining;
    int stale_ok = 1, refused;

    smtp_reply_init(&r);
    buf_init(&cmd, 0);
    buf_init(&why, 0);
    if (s->size_max && req->content_len > s->size_max) {
        buf_printf(&why,
                   "message size %llu exceeds size limit %lu of server "
                   "%s",
                   (unsigned long long) req->content_len, s->size_max, s->name);
        smtp_set_all(req, 0, DELIVER_BOUNCE, "5.3.4", buf_str(&why));
        ok = 1;
        goto out;
    }
    /*
     * A reused session proves it is still alive with RSET, pipelined ahead
     * of MAIL FROM (see smtp_reusable()): a dead or unwilling one is "stale",
     * nothing was said for this message, and the caller retries it on a
     * new session.
     */
    if (s->rset_pending) {
        s->rset_pending = 0;
        smtp_conn_printf(s->c, "RSET");
    } else {
        stale_ok = 0;
    }
    {
        /* issue 19: smtp_generic_maps on the envelope sender */
        char *g = smtp_generic_addr(ag->generic, req->sender);

        mail_from(s, req, g ? g : req->sender, &cmd);
        mem_free(g);
    }
    smtp_conn_printf(s->c, "%s", buf_str(&cmd));
    if (!pipe) {
        if ((e = mail_reply(ag, s, req, &r, &why, &refused)) != SMTP_CONN_OK)
            goto broken;
        if (refused) {
            ok = 1;
            goto out;
        }
    }
    for (i = 0; i < req->nrcpt; i++) {
        struct deliver_rcpt *rc = &req->rcpt[i];

        char *g = smtp_generic_addr(ag->generic, rc->addr); /* issue 19 */

        rcpt_to(s, rc, g ? g : rc->addr, &cmd);
        mem_free(g);
        smtp_conn_printf(s->c, "%s", buf_str(&cmd));
    }
    if (pipe) {
        smtp_conn_printf(s->c, "DATA");
        if (stale_ok && (reply_at(s, ag->rset_timeout, &r, "sending RSET",
                                  &why) != SMTP_CONN_OK ||
                         r.code != 250)) {
            ok = -2;
            goto out;
        }
        if ((e = mail_reply(ag, s, req, &r, &why, &refused)) != SMTP_CONN_OK)
            goto broken;
    }
    if ((e = rcpt_replies(ag, s, req, rcpt_ok, &accepted, &r, &why)) !=
        SMTP_CONN_OK)
        goto broken;
    if (!pipe && accepted == 0) {
        ok = 1;
        goto out;
    }
    if (!pipe)
        smtp_conn_printf(s->c, "DATA");
    if ((e = reply_at(s, ag->data_init_timeout, &r, "sending DATA", &why)) !=
        SMTP_CONN_OK)
        goto broken;
    if (r.code != 354) {
        if (accepted) {
            smtp_said(&why, s, &r, "DATA");
            for (i = 0; i < req->nrcpt; i++)
                if (rcpt_ok[i])
                    said_result(&req->rcpt[i], s, &r, buf_str(&why));
        }
        ok = 1;
        goto out;
    }
    if (accepted == 0) {
        /* pipelined DATA accepted without recipients: end it empty */
        smtp_conn_printf(s->c, ".");
        if ((e = reply_at(s, ag->data_done_timeout, &r, "sending end of data",
                          &why)) != SMTP_CONN_OK)
            goto broken;
        ok = 1;
        goto out;
    }
    if ((e = content(ag, s, req, rcpt_ok, &r, &why)) != SMTP_CONN_OK)
        goto broken;
    ok = 1;
    goto out;
broken:
    defer_unanswered(req, rcpt_ok, buf_str(&why));
    ok = 0;
out:
    mem_free(rcpt_ok);
    smtp_reply_fini(&r);
    buf_fini(&cmd);
    buf_fini(&why);
    return ok == -2 ? -2 : ok ? 0 : -1;
}
