/*
 * local_error - the error, retry and discard delivery agents: no
 * delivery, a status for every recipient from the nexthop text
 * ("5.1.1 text" sets the enhanced status code).
 */

#include <ctype.h>
#include <string.h>

#include "deliver/deliver.h"
#include "local/local.h"
#include "server/server.h"

struct simple {
    int discard;
    int defer;
};

static void
simple_batch(void *ctx, struct deliver_req **reqs, size_t n)
{
    struct simple *sm = ctx;

    for (size_t i = 0; i < n; i++) {
        struct deliver_req *req = reqs[i];

        for (size_t j = 0; j < req->nrcpt; j++) {
            struct deliver_rcpt *rc = &req->rcpt[j];
            const char *text = *req->nexthop ? req->nexthop : NULL;
            char dsn[16] = "";

            /* "5.1.1 text" sets the status code */
            if (text && isdigit((unsigned char) text[0]) && text[1] == '.') {
                size_t k = strcspn(text, " ");

                if (k < sizeof(dsn)) {
                    memcpy(dsn, text, k);
                    dsn[k] = 0;
                    text += k;
                    while (*text == ' ')
                        text++;
                }
            }
            if (sm->discard)
                deliver_result(rc, DELIVER_SENT, "2.0.0",
                               text && *text ? text : "discarded");
            else if (sm->defer || dsn[0] == '4')
                deliver_result(rc, DELIVER_DEFER, dsn[0] ? dsn : "4.0.0",
                               text && *text ? text : "deferred");
            else
                deliver_result(rc, DELIVER_BOUNCE, dsn[0] ? dsn : "5.0.0",
                               text && *text ? text : "bounced");
            deliver_log(req, rc, "none");
        }
    }
}

static void
error_setup(struct server *srv, void *ctx)
{
    struct simple *sm = ctx;

    /* "retry unix ... error" defers instead of bouncing */
    sm->defer = strcmp(srv->service, "retry") == 0;
}

static int
simple_loop(struct server *srv, void *ctx)
{
    deliver_agent_loop(srv, simple_batch, ctx);
    return 0;
}

int
local_error_service(struct server *srv)
{
    static const struct server_service svc = {NULL, error_setup, NULL,
                                              simple_loop};
    struct simple sm = {0, 0};

    return server_main(srv, &svc, &sm);
}

int
local_discard_service(struct server *srv)
{
    static const struct server_service svc = {NULL, NULL, NULL, simple_loop};
    struct simple sm = {1, 0};

    return server_main(srv, &svc, &sm);
}
