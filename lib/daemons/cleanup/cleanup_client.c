/*
 * cleanup_client - the client side of the cleanup protocol, blocking
 * (or in a coroutine, yielding), for smtpd, pickup, local and bounce:
 * OPEN (or an ID reserved by the previous reply), ENV and DATA
 * buffered into one write per message, END and its status.
 */
#include <stdio.h>
#include <unistd.h>

#include "cleanup/cleanup.h"
#include "ipc/ipc.h"

struct cleanup_client {
    char *path;
    int fd;
    char spare[QUEUE_ID_SIZE]; /* ID reserved for our next message */
    int timeout_ms;
    struct ipc_out o;
    struct buf data;
    struct buf frame;
    char text[1100]; /* issue 19: the text of the last 'S' reply */
};

struct cleanup_client *
cleanup_client_new(const char *path, int timeout_s)
{
    struct cleanup_client *cc = mem_calloc(1, sizeof(*cc));

    cc->path = mem_strdup(path);
    cc->fd = -1;
    cc->timeout_ms = timeout_s * 1000;
    ipc_out_init(&cc->o);
    buf_init(&cc->data, 0);
    buf_init(&cc->frame, 0);
    return cc;
}

void
cleanup_client_free(struct cleanup_client *cc)
{
    if (cc == NULL)
        return;
    co_forget(cc->fd);
    if (cc->fd >= 0)
        (void) close(cc->fd);
    ipc_out_fini(&cc->o);
    buf_fini(&cc->data);
    buf_fini(&cc->frame);
    mem_free(cc->path);
    mem_free(cc);
}

static void
cc_close(struct cleanup_client *cc)
{
    co_forget(cc->fd);
    if (cc->fd >= 0)
        (void) close(cc->fd);
    cc->fd = -1;
    cc->spare[0] = 0;
}

/* take_spare - remember the reserved ID that ends a reply, if any */
static void
take_spare(struct cleanup_client *cc, struct ipc_in *in)
{
    cc->spare[0] = 0;
    if (ipc_in_more(in)) {
        const char *r = ipc_get_str(in);

        if (ipc_in_ok(in) && queue_id_ok(r))
            snprintf(cc->spare, sizeof(cc->spare), "%s", r);
    }
}

int
cleanup_client_open(struct cleanup_client *cc, unsigned flags,
                    char id[QUEUE_ID_SIZE])
{
    struct ipc_in in;

    buf_truncate(&cc->data, 0);
    if (cc->fd >= 0 && cc->spare[0]) {
        /* the ID is ours already: the OPEN travels with the message */
        size_t len;
        const char *f;

        snprintf(id, QUEUE_ID_SIZE, "%s", cc->spare);
        ipc_out_begin(&cc->o, CLEANUP_OPEN_RESERVED);
        ipc_put_u32(&cc->o, flags);
        ipc_put_str(&cc->o, id);
        f = ipc_out_finish(&cc->o, &len);
        cc->spare[0] = 0;
        return buf_append(&cc->data, f, len);
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        if (cc->fd < 0) {
            if ((cc->fd = ipc_connect_service(cc->path)) < 0)
                return -1;
            /* the end-of-data reply waits in read(2), not poll(2); in
             * a coroutine, in the loop */
            if (co_active())
                (void) ipc_nonblock(cc->fd, 1);
            else
                (void) ipc_rcvtimeo(cc->fd, cc->timeout_ms);
        }
        ipc_out_begin(&cc->o, CLEANUP_OPEN);
        ipc_put_u32(&cc->o, flags);
        if (ipc_call(cc->fd, &cc->o, &cc->frame, 1 << 16, cc->timeout_ms) ==
                0 &&
            ipc_in_init(&in, cc->frame.data, cc->frame.len) == 0 &&
            in.type == 'I') {
            snprintf(id, QUEUE_ID_SIZE, "%s", ipc_get_str(&in));
            if (ipc_in_ok(&in) && queue_id_ok(id)) {
                take_spare(cc, &in);
                return 0;
            }
        }
        /* cleanup restarted (reload): one fresh connection */
        cc_close(cc);
    }
    return -1;
}

int
cleanup_client_env(struct cleanup_client *cc, const struct queue_env *env,
                   const char *fullname)
{
    size_t len;
    const char *f;

    if (cc->fd < 0)
        return -1;
    ipc_out_begin(&cc->o, CLEANUP_ENV);
    ipc_put_u32(&cc->o, queue_env_flags(env));
    ipc_put_u32(&cc->o, env->ret);
    ipc_put_u64(&cc->o, env->arrival_us);
    ipc_put_str(&cc->o, env->sender);
    ipc_put_str(&cc->o, env->client_name);
    ipc_put_str(&cc->o, env->client_addr);
    ipc_put_str(&cc->o, env->helo);
    ipc_put_str(&cc->o, env->proto);
    ipc_put_str(&cc->o, env->envid);
    ipc_put_str(&cc->o, env->origin);
    ipc_put_str(&cc->o, fullname);
    ipc_put_u32(&cc->o, (uint32_t) env->nrcpt);
    for (size_t i = 0; i < env->nrcpt; i++) {
        ipc_put_str(&cc->o, env->rcpt[i].addr);
        ipc_put_str(&cc->o, env->rcpt[i].orig);
        ipc_put_str(&cc->o, env->rcpt[i].orcpt);
        ipc_put_u32(&cc->o, env->rcpt[i].notify);
    }
    if (queue_env_flags(env) & QUEUE_F_FILTER)
        ipc_put_str(&cc->o, env->filter); /* content filter (issue 19) */
    /* buffered with the data that follows: one write per message */
    f = ipc_out_finish(&cc->o, &len);
    return buf_append(&cc->data, f, len);
}

/* flush_data - send buffered frames */
static int
flush_data(struct cleanup_client *cc)
{
    int rc = 0;

    if (cc->data.len)
        rc = ipc_write_all(cc->fd, cc->data.data, cc->data.len, cc->timeout_ms);
    buf_truncate(&cc->data, 0);
    if (rc < 0)
        cc_close(cc);
    return rc;
}

int
cleanup_client_data(struct cleanup_client *cc, const void *p, size_t n)
{
    const char *c = p;

    if (cc->fd < 0)
        return -1;
    while (n > 0) {
        size_t chunk = n > 65536 ? 65536 : n;
        size_t len;
        const char *f;

        ipc_out_begin(&cc->o, CLEANUP_DATA);
        ipc_put_bytes(&cc->o, c, chunk);
        f = ipc_out_finish(&cc->o, &len);
        if (buf_append(&cc->data, f, len) < 0)
            return -1;
        c += chunk;
        n -= chunk;
        if (cc->data.len >= 65536 && flush_data(cc) < 0)
            return -1;
    }
    return 0;
}

int
cleanup_client_end(struct cleanup_client *cc)
{
    size_t len;
    const char *f;
    struct ipc_in in;
    uint32_t st;

    if (cc->fd < 0)
        return -1;
    ipc_out_begin(&cc->o, CLEANUP_END);
    f = ipc_out_finish(&cc->o, &len);
    (void) buf_append(&cc->data, f, len);
    if (flush_data(cc) < 0)
        return -1;
    if (ipc_recv_reply(cc->fd, &cc->frame, 1 << 16, cc->timeout_ms) != 1 ||
        ipc_in_init(&in, cc->frame.data, cc->frame.len) < 0 || in.type != 'S') {
        cc_close(cc);
        return -1;
    }
    st = ipc_get_u32(&in);
    snprintf(cc->text, sizeof(cc->text), "%s", ipc_get_str(&in));
    if (!ipc_in_ok(&in))
        return -1;
    take_spare(cc, &in);
    return (int) st;
}

const char *
cleanup_client_text(const struct cleanup_client *cc)
{
    return cc->text;
}

void
cleanup_client_abort(struct cleanup_client *cc)
{
    size_t len;
    const char *f;

    /* an OPEN still in the buffer never reached cleanup: nothing to undo
     * (cleanup hands out a fresh ID on our next plain OPEN) */
    buf_truncate(&cc->data, 0);
    if (cc->fd < 0)
        return;
    ipc_out_begin(&cc->o, CLEANUP_ABORT);
    f = ipc_out_finish(&cc->o, &len);
    if (ipc_write_all(cc->fd, f, len, cc->timeout_ms) < 0)
        cc_close(cc);
}
