/*
 * local_handoff - what local(8) hands to others: mailbox_transport and
 * fallback_transport (the recipient passed to another delivery agent,
 * as Postfix's deliver_pass), and luser_relay (unknown users' mail sent
 * on to an address).
 *
 * DESCRIPTION
 *	A pass connects to the transport's socket (private/NAME, as qmgr
 *	does), sends one delivery request for the message and the one
 *	recipient, with the nexthop of "transport:nexthop" (else the
 *	request's), and waits for the answer. The agent there logs the
 *	delivery (relay=private/dovecot-lmtp[...], status=sent ...); local
 *	logs only when the transport cannot be reached ("mail transport
 *	unavailable", deferred), as Postfix does.
 *
 *	luser_relay is expanded as Postfix's local expands it ($user,
 *	$extension, $domain, $local, $recipient, $recipient_delimiter,
 *	${name?text}, ...) and delivered like an alias to that address.
 *
 * BUGS
 *	The *_transport_maps variants are not read (refused by "postern
 *	check"). A pass holds this local process until the other agent
 *	answers (at most ipc timeout, 3600 s, as Postfix's deliver_pass).
 */
#define _DEFAULT_SOURCE 1
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "deliver/deliver.h"
#include "ipc/ipc.h"
#include "local/local_int.h"
#include "mac/mac.h"

#define PASS_TIMEOUT_MS (3600 * 1000)

int
local_pass(struct local *lc, struct deliver_req *req,
           const struct deliver_rcpt *rc, const char *addr, const char *orig,
           const char *service, struct mailbox_result *r)
{
    char transport[256];
    const char *colon = strchr(service, ':');
    size_t tl = colon ? (size_t) (colon - service) : strlen(service);
    struct deliver_req pass;
    struct ipc_out o;
    struct ipc_in in;
    struct buf frame;
    int fd, rc_ok = -1;

    (void) lc;
    if (tl == 0 || tl >= sizeof(transport)) {
        log_warn("malformed transport name: \"%s\"", service);
        mailbox_set_res(r, DELIVER_DEFER, "4.3.5",
                        "mail system configuration error");
        return -1;
    }
    memcpy(transport, service, tl);
    transport[tl] = 0;
    deliver_req_init(&pass);
    memcpy(pass.id, req->id, sizeof(pass.id));
    pass.seq = req->seq;
    pass.content_off = req->content_off;
    pass.content_len = req->content_len;
    pass.arrival_us = req->arrival_us;
    pass.active_us = req->active_us;
    pass.sent_us = queue_now_us();
    pass.flags = req->flags;
    pass.ret = req->ret;
    pass.sender = mem_strdup(req->sender);
    pass.nexthop = mem_strdup(
        colon && colon[1] ? colon + 1 : (req->nexthop ? req->nexthop : ""));
    pass.envid = mem_strdup(req->envid ? req->envid : "");
    pass.client_name = mem_strdup(req->client_name ? req->client_name : "");
    pass.client_addr = mem_strdup(req->client_addr ? req->client_addr : "");
    pass.client_helo = mem_strdup(req->client_helo ? req->client_helo : "");
    pass.client_proto = mem_strdup(req->client_proto ? req->client_proto : "");
    deliver_req_add(&pass, rc->idx, addr,
                    strcmp(orig, addr) != 0 ? orig : rc->orig, rc->orcpt,
                    rc->notify);
    ipc_out_init(&o);
    buf_init(&frame, 0);
    if ((fd = ipc_connect_service(transport)) < 0) {
        log_warn("connect to transport private/%s: %s", transport,
                 strerror(errno));
        goto out;
    }
    deliver_req_encode(&o, &pass);
    if (ipc_call(fd, &o, &frame, 1 << 20, PASS_TIMEOUT_MS) < 0 ||
        ipc_in_init(&in, frame.data, frame.len) < 0 ||
        deliver_reply_decode(&in, &pass) < 0 || pass.rcpt[0].text == NULL) {
        log_warn("%s: transport %s: no answer: %s", req->id, transport,
                 strerror(errno));
        (void) close(fd);
        goto out;
    }
    (void) close(fd);
    r->status = pass.rcpt[0].status;
    snprintf(r->dsn, sizeof(r->dsn), "%s", pass.rcpt[0].dsn);
    snprintf(r->text, sizeof(r->text), "%s", pass.rcpt[0].text);
    rc_ok = 0;
out:
    if (rc_ok < 0)
        mailbox_set_res(r, DELIVER_DEFER, "4.3.0",
                        "mail transport unavailable");
    buf_fini(&frame);
    ipc_out_fini(&o);
    deliver_req_fini(&pass);
    return rc_ok;
}

/* what luser_relay's macros expand to */
struct luser_vars {
    const char *names[8];
    char values[8][512];
};

static const char *
luser_lookup(const char *name, int mode, void *ctx)
{
    struct luser_vars *v = ctx;

    (void) mode;
    for (int i = 0; i < 8 && v->names[i]; i++)
        if (strcmp(name, v->names[i]) == 0)
            return v->values[i][0] ? v->values[i] : NULL;
    return NULL;
}

void
local_luser_relay(struct local *lc, struct mailbox_batch *b,
                  struct deliver_req *req, struct deliver_rcpt *rc,
                  const char *addr, const char *orig, int depth,
                  struct mailbox_result *acc, int *first)
{
    struct luser_vars v;
    struct buf out;
    const char *at = strrchr(addr, '@');
    size_t n = at ? (size_t) (at - addr) : strlen(addr);
    struct who w;
    char *cut;

    memset(&v, 0, sizeof(v));
    v.names[0] = "recipient";
    v.names[1] = "local";
    v.names[2] = "user";
    v.names[3] = "extension";
    v.names[4] = "domain";
    v.names[5] = "recipient_delimiter";
    v.names[6] = "mailbox";
    snprintf(v.values[0], sizeof(v.values[0]), "%s", addr);
    snprintf(v.values[1], sizeof(v.values[1]), "%.*s", (int) n, addr);
    for (char *c = v.values[1]; *c; c++)
        *c = (char) tolower((unsigned char) *c);
    snprintf(v.values[2], sizeof(v.values[2]), "%s", v.values[1]);
    if (lc->delim && *lc->delim &&
        (cut = strpbrk(v.values[2], lc->delim)) != NULL && cut != v.values[2]) {
        snprintf(v.values[3], sizeof(v.values[3]), "%s", cut + 1);
        *cut = 0;
    }
    snprintf(v.values[4], sizeof(v.values[4]), "%s", at ? at + 1 : "");
    snprintf(v.values[5], sizeof(v.values[5]), "%s",
             lc->delim ? lc->delim : "");
    snprintf(v.values[6], sizeof(v.values[6]), "%s", v.values[1]);
    buf_init(&out, 0);
    if (mac_expand(&out, lc->luser_relay, MAC_EXP_FLAG_NONE, NULL, luser_lookup,
                   &v) &
        MAC_PARSE_ERROR) {
        struct mailbox_result r;

        log_warn("bad luser_relay value: %s", lc->luser_relay);
        mailbox_set_res(&r, DELIVER_DEFER, "4.3.5",
                        "mail system configuration error");
        local_log_dest(req, addr, orig, &r);
        local_merge(acc, &r, first);
        buf_fini(&out);
        return;
    }
    /* an address, never a command or a file: no rights to run them */
    local_who_set(&w, lc->default_uid, lc->default_gid, "", "");
    local_expand(lc, b, req, rc, buf_str(&out), addr, orig, &w, 0, depth + 1,
                 acc, first);
    buf_fini(&out);
}
