/*
 * proxymap - table lookups for chrooted daemons.
 *
 * DESCRIPTION
 *	See proxymap.h. Each (table, flags) pair is one struct maps, made
 *	on first request and kept, as Postfix's proxymap keeps one
 *	dictionary per name and flags.
 *
 * SECURITY
 *	The clients are Postern daemons (private/ is not reachable by
 *	other users), but a request is bytes from another process: every
 *	field is checked (lib/base/ipc), frames are bounded, and only the tables
 *	proxy_read_maps names can be opened, so a client cannot make this
 *	process read an arbitrary file for it.
 */
#define _DEFAULT_SOURCE 1
#include "proxymap/proxymap.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ipc/ipc.h"
#include "maillog/maillog.h"
#include "maps/maps.h"
#include "server/server.h"

#define MAX_CLIENTS 1000
#define FRAME_LIMIT 65536 /* a request: table name, flags, key */
#define FLAG_MASK   (MAPS_F_ALIAS | MAPS_F_NOFOLD)

struct client {
    struct ipc_conn c;
    int dead;
};

struct proxymap {
    struct server *srv;
    const char *approve_param; /* proxy_read_maps (proxy_write_maps) */
    struct htab *approved;     /* "type:name" -> NULL */
    struct htab *tables;       /* "flags type:name" -> struct maps */
    struct ipc_out o;
    struct client *cl[MAX_CLIENTS];
    int ncl;
};

/* strip_proxy - "proxy:proxy:type:name" -> "type:name" */
static const char *
strip_proxy(const char *s)
{
    while (strncmp(s, "proxy:", 6) == 0)
        s += 6;
    return s;
}

/* approve - the proxy:type:name entries of the parameter, as Postfix's
 * proxymap reads them (other entries are not for this service) */
static void
approve(struct proxymap *pm)
{
    char *v = server_param(pm->srv, pm->approve_param);
    struct strv sv;

    strv_init(&sv);
    server_split(v, &sv);
    for (size_t i = 0; i < sv.n; i++) {
        const char *t;

        if (strncmp(sv.v[i], "proxy:", 6) != 0)
            continue;
        t = strip_proxy(sv.v[i]);
        if (strchr(t, ':') && !htab_has(pm->approved, t))
            htab_set(pm->approved, t, NULL);
    }
    strv_fini(&sv);
    mem_free(v);
}

/* table - the table set for one name and flags, opened on first use */
static struct maps *
table(struct proxymap *pm, const char *name, unsigned flags)
{
    struct buf key;
    struct maps *m;

    buf_init(&key, 0);
    (void) buf_printf(&key, "%u %s", flags, name);
    m = htab_find(pm->tables, buf_str(&key));
    if (m == NULL) {
        m = maps_new(name, name, flags);
        if (maps_preload(m) < 0)
            log_warn("%s", maps_error(m));
        htab_set(pm->tables, buf_str(&key), m);
    }
    buf_fini(&key);
    return m;
}

static void
reply(struct proxymap *pm, struct client *c, enum maps_proxy_status st,
      const char *value)
{
    ipc_out_begin(&pm->o, MAPS_PROXY_REPLY);
    ipc_put_u32(&pm->o, (uint32_t) st);
    ipc_put_str(&pm->o, value);
    ipc_conn_queue(&c->c, &pm->o);
}

/* request - one frame from a client */
static void
request(struct proxymap *pm, struct client *c, struct ipc_in *in)
{
    const char *name, *key = NULL, *value = NULL;
    unsigned flags;
    struct maps *m;

    if (in->type != MAPS_PROXY_OPEN && in->type != MAPS_PROXY_LOOKUP) {
        log_warn("unrecognized request: \"%d\", ignored", in->type);
        reply(pm, c, MAPS_PROXY_BAD, "unrecognized request");
        return;
    }
    name = ipc_get_str(in);
    flags = ipc_get_u32(in) & FLAG_MASK;
    if (in->type == MAPS_PROXY_LOOKUP)
        key = ipc_get_str(in);
    if (!ipc_in_ok(in) || ipc_in_more(in) ||
        strchr((name = strip_proxy(name)), ':') == NULL) {
        reply(pm, c, MAPS_PROXY_BAD, "malformed request");
        return;
    }
    if (!htab_has(pm->approved, name)) {
        log_warn("request for unapproved table: \"%s\"", name);
        log_warn("to approve this table for %s access, list proxy:%s "
                 "in main.cf:%s",
                 strcmp(pm->approve_param, "proxy_read_maps") == 0
                     ? "read-only"
                     : "read-write",
                 name, pm->approve_param);
        reply(pm, c, MAPS_PROXY_DENY, "");
        return;
    }
    m = table(pm, name, flags);
    if (in->type == MAPS_PROXY_OPEN) {
        if (maps_preload(m) < 0)
            reply(pm, c, MAPS_PROXY_RETRY, maps_error(m));
        else
            reply(pm, c, MAPS_PROXY_OK, "");
        return;
    }
    switch (maps_find(m, key, &value)) {
    case MAPS_FOUND:
        reply(pm, c, MAPS_PROXY_OK, value);
        break;
    case MAPS_NOTFOUND:
        reply(pm, c, MAPS_PROXY_NOKEY, "");
        break;
    default:
        log_warn("%s", maps_error(m));
        reply(pm, c, MAPS_PROXY_RETRY, maps_error(m));
        break;
    }
}

/* client_request - ipc_conn_serve's callback */
struct turn {
    struct proxymap *pm;
    struct client *c;
};

static int
client_request(void *ctx, struct ipc_in *in)
{
    struct turn *t = ctx;

    request(t->pm, t->c, in);
    return 0;
}

static void
client_free(struct client *c)
{
    ipc_conn_fini(&c->c);
    mem_free(c);
}

static void
maps_free_value(void *v)
{
    maps_free(v);
}

/* proxymap_setup - before the drop: the tables it may open */
static void
proxymap_setup(struct server *srv, void *ctx)
{
    struct proxymap *pm = ctx;

    if (geteuid() == 0 && srv->chroot_)
        log_fatal("service %s/%s: proxymap searches tables outside the "
                  "chroot jail for the daemons inside it and cannot run "
                  "chrooted itself: set its chroot field to n in "
                  "master.cf",
                  srv->service, srv->type);
    pm->srv = srv;
    pm->approve_param = strcmp(srv->service, "proxywrite") == 0
                            ? "proxy_write_maps"
                            : "proxy_read_maps";
    pm->approved = htab_new(64);
    pm->tables = htab_new(16);
    ipc_out_init(&pm->o);
    approve(pm);
}

static int
proxymap_loop(struct server *srv, void *ctx)
{
    struct proxymap *pm = ctx;
    struct pollfd pfd[MAX_CLIENTS + SERVER_MAX_LISTEN + 1];
    long max_idle;
    time_t idle_since = time(NULL), last_check = 0;

    max_idle = server_param_time(srv, "max_idle");
    for (int i = 0; i < srv->nlisten; i++)
        (void) ipc_nonblock(srv->listen_fd[i], 1);
    server_status(srv, 1);

    while (!server_stopping()) {
        int n = 0, polled = pm->ncl;
        const char *changed;

        /* as Postfix's proxymap: a changed table file ends this process;
         * clients reconnect, and master starts a fresh one */
        if (time(NULL) != last_check) {
            last_check = time(NULL);
            if ((changed = maps_changed()) != NULL) {
                log_info("table %s has changed -- restarting", changed);
                break;
            }
        }

        if (pm->ncl < MAX_CLIENTS)
            for (int i = 0; i < srv->nlisten; i++) {
                pfd[n].fd = srv->listen_fd[i];
                pfd[n++].events = POLLIN;
            }
        pfd[n].fd = server_signal_fd();
        pfd[n++].events = POLLIN;
        for (int i = 0; i < pm->ncl; i++) {
            pfd[n].fd = pm->cl[i]->c.fd;
            pfd[n++].events = ipc_conn_events(&pm->cl[i]->c);
        }
        if (poll(pfd, (nfds_t) n, 1000) < 0 && errno != EINTR)
            log_fatal("poll: %s", strerror(errno));
        n = 0;
        if (pm->ncl < MAX_CLIENTS)
            for (int i = 0; i < srv->nlisten; i++, n++) {
                if (!(pfd[n].revents & POLLIN))
                    continue;
                while (pm->ncl < MAX_CLIENTS) {
                    int fd = server_accept(srv->listen_fd[i]);
                    struct client *c;

                    if (fd < 0)
                        break;
                    c = mem_calloc(1, sizeof(*c));
                    ipc_conn_init(&c->c, fd, FRAME_LIMIT);
                    pm->cl[pm->ncl++] = c;
                }
            }
        n++; /* the signal pipe: server_stopping() says what it meant */
        /* clients accepted in this round are polled in the next one */
        for (int i = 0; i < polled; i++, n++) {
            struct turn t = {pm, pm->cl[i]};
            int r = ipc_conn_serve(&t.c->c, pfd[n].revents, client_request, &t);

            if (r == -2)
                log_warn("request larger than %d bytes, "
                         "disconnecting",
                         FRAME_LIMIT);
            if (r < 0)
                t.c->dead = 1;
        }
        for (int i = 0; i < pm->ncl; i++) {
            struct client *c = pm->cl[i];

            if (!c->dead && ipc_conn_pending(&c->c) &&
                ipc_conn_flush(&c->c) < 0)
                c->dead = 1;
            if (c->dead) {
                client_free(c);
                pm->cl[i--] = pm->cl[--pm->ncl];
            }
        }
        if (pm->ncl > 0)
            idle_since = time(NULL);
        else if (max_idle > 0 && time(NULL) - idle_since >= max_idle)
            break;
    }
    for (int i = 0; i < pm->ncl; i++)
        client_free(pm->cl[i]);
    htab_free(pm->tables, maps_free_value);
    htab_free(pm->approved, NULL);
    ipc_out_fini(&pm->o);
    return 0;
}

int
proxymap_service(struct server *srv)
{
    static const struct server_service svc = {proxymap_setup, NULL, NULL,
                                              proxymap_loop};
    struct proxymap pm;

    memset(&pm, 0, sizeof(pm));
    return server_main(srv, &svc, &pm);
}
