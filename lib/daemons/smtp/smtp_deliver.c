/*
 * smtp_deliver - one delivery request of the smtp agent and its
 * results: the session (the cached one or a new one), the transaction,
 * and the per-recipient results and log lines.
 *
 * DESCRIPTION
 *	Every recipient ends with a result and Postfix's "to=<...>,
 *	relay=..., delay=..., delays=a/b/c/d, dsn=..., status=..." line;
 *	relay= names the server that gave the result.
 */
#define _DEFAULT_SOURCE 1
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "deliver/deliver.h"
#include "maillog/maillog.h"
#include "queue/queue.h"
#include "smtp/smtp_int.h"

/* smtp_hbc_apply - issue 19: the content through smtp_header_checks and
 * smtp_body_checks (edits only; logged as Postfix's smtp does) */
static void
smtp_hbc_apply(struct agent *ag, const struct deliver_req *req)
{
    struct queue_env env;
    struct cleanup_hdr_res res;
    struct buf out;
    struct buf *c = &ag->msg.content;

    queue_env_init(&env);
    memcpy(env.id, req->id, sizeof(env.id));
    cleanup_hdr_res_init(&res);
    buf_init(&out, 0);
    (void) cleanup_hdr_run(ag->hbc, &env, c->data ? c->data : "", c->len, &out,
                           &res);
    buf_fini(c);
    *c = out;
    cleanup_hdr_res_fini(&res);
    queue_env_fini(&env);
}

static void
log_rcpt(const struct deliver_req *req, const struct deliver_rcpt *rc,
         const char *relay, uint64_t t_start, uint64_t t_setup)
{
    struct maillog_delivery d;
    uint64_t now = queue_now_us();

    memset(&d, 0, sizeof(d));
    d.id = req->id;
    d.to = rc->addr;
    d.orig_to = rc->orig[0] && strcmp(rc->orig, rc->addr) ? rc->orig : NULL;
    d.relay = relay;
    d.delay =
        now > req->arrival_us ? (double) (now - req->arrival_us) / 1e6 : 0;
    d.delays[0] = req->active_us > req->arrival_us
                      ? (double) (req->active_us - req->arrival_us) / 1e6
                      : 0;
    d.delays[1] = t_start > req->active_us
                      ? (double) (t_start - req->active_us) / 1e6
                      : 0;
    d.delays[2] = t_setup > t_start ? (double) (t_setup - t_start) / 1e6 : 0;
    d.delays[3] = now > t_setup ? (double) (now - t_setup) / 1e6 : 0;
    d.dsn = rc->dsn;
    d.status = rc->status == DELIVER_SENT     ? "sent"
               : rc->status == DELIVER_BOUNCE ? "bounced"
                                              : "deferred";
    d.text = rc->text ? rc->text : "";
    maillog_delivery(&d);
}

/* report - every recipient's log line (relay_name: the session's
 * "host[addr]:port", NULL when there was none; relay_host its host),
 * and the text of a success the sender must hear of */
static void
report(struct agent *ag, struct deliver_req *req, const char *relay_name,
       const char *relay_host, uint64_t t_start, uint64_t t_setup)
{
    for (size_t i = 0; i < req->nrcpt; i++) {
        struct deliver_rcpt *rc = &req->rcpt[i];
        const char *relay = "none";

        if (rc->text == NULL || *rc->text == 0)
            deliver_result(rc, DELIVER_DEFER, "4.3.0",
                           "unknown mail transport error");
        /* a server answered: name it */
        if (relay_name &&
            (rc->status == DELIVER_SENT || strncmp(rc->text, "host ", 5) == 0 ||
             strncmp(rc->text, "conversation with ", 18) == 0 ||
             strncmp(rc->text, "lost connection with ", 21) == 0 ||
             strncmp(rc->text, "message size ", 13) == 0))
            relay = relay_name;
        else if (!relay_name && ag->fail_relay[0])
            relay = ag->fail_relay;
        log_rcpt(req, rc, relay, t_start, t_setup);
        /* a success qmgr must report (the server had no DSN): Postfix's
         * "delivery via host[addr]:port: reply", with the server and its
         * reply as typed fields, from which bounce makes Action: relayed,
         * Remote-MTA and Diagnostic-Code; the log line above keeps the
         * plain reply */
        if (rc->status == DELIVER_SENT && (rc->notify & QUEUE_NOTIFY_SUCCESS) &&
            strcmp(relay, "none") != 0) {
            struct buf via;
            char dsn[sizeof(rc->dsn)];
            char *reply = mem_strdup(rc->text);

            memcpy(dsn, rc->dsn, sizeof(dsn));
            buf_init(&via, 0);
            (void) buf_printf(&via, "delivery via %s: %s", relay, rc->text);
            deliver_result(rc, DELIVER_SENT, dsn, buf_str(&via));
            deliver_result_remote(rc, relay_host, reply);
            buf_fini(&via);
            mem_free(reply);
        }
    }
}

void
smtp_deliver_one(struct agent *ag, struct deliver_req *req)
{
    struct smtp_nexthop nh;
    struct session *s = NULL;
    const char *nexthop = req->nexthop;
    const char *unix_path = NULL;
    uint64_t t_start = queue_now_us(), t_setup;
    char domain[256];
    char relay_name[sizeof(((struct session *) 0)->relay)] = "";
    char relay_host[sizeof(((struct session *) 0)->host)] = "";
    int had_session = 0;

    ag->fail_relay[0] = 0;
    ag->sender = req->sender;
    ag->qid = req->id;
    buf_truncate(&ag->nonfinal, 0);
    /* every result starts "no answer yet" */
    for (size_t i = 0; i < req->nrcpt; i++)
        deliver_result(&req->rcpt[i], DELIVER_DEFER, "4.3.0", "");
    if (nexthop == NULL || *nexthop == 0) {
        const char *at = req->nrcpt ? strrchr(req->rcpt[0].addr, '@') : NULL;

        snprintf(domain, sizeof(domain), "%s", at ? at + 1 : "");
        nexthop = domain;
    }
    if (ag->tls == TLS_REFUSED) {
        smtp_set_all(req, 0, DELIVER_DEFER, "4.7.5", ag->tls_refused);
        t_setup = queue_now_us();
        goto log;
    }
    if (deliver_content_load(&ag->msg, req) < 0) {
        log_warn("%s: read message content: %s", req->id, strerror(errno));
        smtp_set_all(req, 0, DELIVER_DEFER, "4.3.0",
                     "error reading queue file");
        t_setup = queue_now_us();
        goto log;
    }
    if (ag->hbc) /* issue 19: smtp_header_checks, smtp_body_checks */
        smtp_hbc_apply(ag, req);
    /* LMTP: "unix:path" is a UNIX-domain socket (relative to the queue
     * directory, master's and so every daemon's working directory);
     * "inet:" may prefix a host; no MX lookups */
    if (ag->lmtp && strncmp(nexthop, "unix:", 5) == 0 && nexthop[5]) {
        unix_path = nexthop + 5;
    } else if (smtp_nexthop_parse(ag->lmtp && strncmp(nexthop, "inet:", 5) == 0
                                      ? nexthop + 5
                                      : nexthop,
                                  ag->def_port, &nh) < 0) {
        char t[600];

        snprintf(t, sizeof(t), "malformed next-hop destination \"%s\"",
                 nexthop);
        smtp_set_all(req, 0, DELIVER_DEFER, "4.3.5", t);
        t_setup = queue_now_us();
        goto log;
    }
    if (ag->cached) {
        if (smtp_reusable(ag, ag->cached, nexthop)) {
            s = ag->cached;
        } else if (strcmp(ag->cached->nexthop, nexthop) == 0) {
            smtp_session_free(ag->cached);
        } else {
            smtp_session_quit(ag, ag->cached);
        }
        ag->cached = NULL;
    }
    if (ag->lmtp)
        nh.mx = 0;
    if (s == NULL)
        s = unix_path ? smtp_open_unix(ag, req, nexthop, unix_path)
                      : smtp_open_session(ag, req, nexthop, &nh);
    t_setup = queue_now_us();
    if (s) {
        int ok = smtp_transaction(ag, s, req);

        if (ok == -2) {
            /* the reused session was stale: a new one, as if none was cached */
            smtp_session_free(s);
            s = unix_path ? smtp_open_unix(ag, req, nexthop, unix_path)
                          : smtp_open_session(ag, req, nexthop, &nh);
            if (s == NULL)
                goto log;
            ok = smtp_transaction(ag, s, req);
        }

        /* The log lines below name the relay after the session is gone. */
        snprintf(relay_name, sizeof(relay_name), "%s", s->relay);
        snprintf(relay_host, sizeof(relay_host), "%s", s->host);
        had_session = 1;
        s->uses++;
        s->last = time(NULL);
        if (ok == 0 && ag->cache_on && !s->no_cache)
            ag->cached = s;
        else if (ok == 0)
            smtp_session_quit(ag, s);
        else
            smtp_session_free(s);
    }
log:
    report(ag, req, had_session ? relay_name : NULL, relay_host, t_start,
           t_setup);
}
