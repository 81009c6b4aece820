/*
 * deliver - the qmgr <-> delivery agent protocol.
 *
 * DESCRIPTION
 *	qmgr keeps a few long-lived connections to each transport's socket
 *	(private/local, private/error, ...) and pipelines delivery requests
 *	on them: one request names a message (its segment and content
 *	position, so the agent reads the content in place) and one or more
 *	of its recipients. The agent answers every request, in order, with
 *	a status per recipient, after the delivery is durable. Agents take
 *	requests in batches (what is already waiting on the socket) so
 *	that their own durability work can be shared too.
 *
 *	The agent side also logs Postfix's delivery line (deliver_log).
 */
#ifndef DELIVER_DELIVER_H
#define DELIVER_DELIVER_H

#include <stddef.h>
#include <stdint.h>

#include "queue/queue.h"
#include "util/util.h"

struct ipc_out;
struct ipc_in;
struct server;

enum deliver_status {
    DELIVER_SENT = 0,
    DELIVER_DEFER = 1,
    DELIVER_BOUNCE = 2,
};

struct deliver_rcpt {
    uint32_t idx; /* index in the message envelope */
    char *addr;
    char *orig;
    char *orcpt;
    uint32_t notify; /* QUEUE_NOTIFY_*; returned with the result, without
                        SUCCESS when the next hop took that DSN duty over */
    /* result, filled in by the agent */
    int status;
    char dsn[16];
    char *text;
    /* a server's reply (the smtp agent): the server's name and its reply
     * text, which bounce reports as Remote-MTA and "Diagnostic-Code:
     * smtp; ..."; NULL when the result is not a server's reply.
     * deliver_result() clears them, deliver_result_remote() sets them. */
    char *mta;
    char *reply;
};

struct deliver_req {
    char id[QUEUE_ID_SIZE];
    uint64_t seq; /* segment */
    uint64_t content_off;
    uint64_t content_len;
    uint64_t arrival_us;
    uint64_t active_us; /* when qmgr took the message */
    uint64_t sent_us;   /* when qmgr sent this request */
    uint32_t flags;
    uint32_t ret;
    char *sender;
    char *nexthop;
    char *envid;
    /* where the message came from (the pipe agent's ${client_*}
     * macros); "" when not known or not local submission's */
    char *client_name, *client_addr, *client_helo, *client_proto;
    size_t nrcpt;
    struct deliver_rcpt *rcpt;
    /* result, filled in by the agent: 1 when the destination itself
     * failed (no connection, no greeting, 4xx before MAIL: Postfix's
     * "hop status"), so qmgr throttles it; 0 when the recipients'
     * results say all (5xx or 4xx for one recipient included) */
    int hop_fail;
};

/* deliver_req.flags bit: tried before (recovered after a crash or
 * deferred), so the agent should look for a copy it delivered already */
#define DELIVER_F_RETRY 0x10000u

#define DELIVER_REQ   'R'
#define DELIVER_REPLY 'S'

void deliver_req_init(struct deliver_req *r);
void deliver_req_fini(struct deliver_req *r);
void deliver_req_add(struct deliver_req *r, uint32_t idx, const char *addr,
                     const char *orig, const char *orcpt, uint32_t notify);
void deliver_req_encode(struct ipc_out *o, const struct deliver_req *r);
/* deliver_req_decode - 0 or -1 (bad frame) */
int deliver_req_decode(struct ipc_in *in, struct deliver_req *r) WARN_UNUSED;
/* deliver_status_filter_open - the agent's delivery status filter, the
 * parameter param ("smtp_delivery_status_filter": a literal name in the
 * agent), opened before a chroot: call from the agent's pre_drop;
 * deliver_result applies it from then on */
void deliver_status_filter_open(struct server *srv, const char *param);
/* deliver_result - set a recipient's result (text copied), through the
 * agent's delivery status filter: a "dsn text" match replaces them
 * (Postfix's dsn_filter: success stays success, a failure a failure) */
void deliver_result(struct deliver_rcpt *rc, int status, const char *dsn,
                    const char *text);
/* deliver_result_remote - the server that gave rc's result (its name,
 * not "name[addr]") and its reply text; call after deliver_result() */
void deliver_result_remote(struct deliver_rcpt *rc, const char *mta,
                           const char *reply);
void deliver_reply_encode(struct ipc_out *o, const struct deliver_req *r);
/* deliver_reply_decode - results into r (matched by idx); 0 or -1 */
int deliver_reply_decode(struct ipc_in *in, struct deliver_req *r) WARN_UNUSED;

/* deliver_log - "ID: to=<..>, relay=.., delay=.., delays=.., dsn=..,
 * status=.. (text)" for one recipient after its result is set */
void deliver_log(const struct deliver_req *r, const struct deliver_rcpt *rc,
                 const char *relay);
/* deliver_log_dest - the same line for a destination that is not a
 * recipient of r (local's alias and .forward expansions): orig "" or
 * NULL for none, status DELIVER_*, text NULL for none */
void deliver_log_dest(const struct deliver_req *r, const char *to,
                      const char *orig, int status, const char *dsn,
                      const char *text, const char *relay);

/* deliver_batch_fn - deliver n requests, setting every recipient's
 * result; called with what arrived together (n >= 1) */
typedef void deliver_batch_fn(void *ctx, struct deliver_req **reqs, size_t n);
/* deliver_agent_loop - serve connections from qmgr until told to stop */
void deliver_agent_loop(struct server *srv, deliver_batch_fn *fn, void *ctx);

/*
 * struct deliver_content - a delivery agent's view of message content:
 * the queue segment it reads from stays open across requests of the
 * same segment. deliver_content_load() reads req's content into
 * content (NUL-terminated); 0, or -1 with errno.
 */
struct deliver_content {
    int seg_fd;
    uint64_t seg_seq;
    struct buf content;
};

void deliver_content_init(struct deliver_content *dc);
void deliver_content_fini(struct deliver_content *dc);
int deliver_content_load(struct deliver_content *dc,
                         const struct deliver_req *req) WARN_UNUSED;

#endif
