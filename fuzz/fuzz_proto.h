/*
 * fuzz_proto - the delivery request that fuzz_qmgr matches agents'
 * replies against, shared with the seed generator (fuzz_seeds.c) so
 * that its reply seeds name the same ID and recipient indexes.
 */
#ifndef POSTERN_FUZZ_PROTO_H
#define POSTERN_FUZZ_PROTO_H

#include <stdio.h>

#include "deliver/deliver.h"
#include "queue/queue.h"

/* fuzz_request - four recipients at indexes 0, 1, 2 and 7 of message
 * FUZZ0123456789 */
static void
fuzz_request(struct deliver_req *r)
{
    deliver_req_init(r);
    snprintf(r->id, sizeof(r->id), "FUZZ0123456789");
    r->seq = 1;
    r->content_off = 4096;
    r->content_len = 300;
    r->arrival_us = 1700000000000000ULL;
    r->active_us = r->arrival_us + 1000;
    r->sent_us = r->active_us + 1000;
    r->flags = QUEUE_F_8BITMIME;
    r->ret = QUEUE_RET_HDRS;
    r->sender = mem_strdup("alice@example.net");
    r->nexthop = mem_strdup("example.com");
    r->envid = mem_strdup("ENV-1");
    deliver_req_add(r, 0, "bob@example.com", "bob", "rfc822;bob@example.com",
                    QUEUE_NOTIFY_SUCCESS | QUEUE_NOTIFY_FAILURE);
    deliver_req_add(r, 1, "carol@example.com", "", "", 0);
    deliver_req_add(r, 2, "dave@example.com", "", "", QUEUE_NOTIFY_NEVER);
    deliver_req_add(r, 7, "erin@example.com", "", "", QUEUE_NOTIFY_DELAY);
}

#endif
