/*
 * master_listen - the sockets master owns for each service: inet
 * listeners (inet_interfaces, inet_protocols), unix sockets in private/
 * and public/ with Postfix's owners and modes, the smtpd front's
 * hand-off channel, the status pipe and the shared slots.
 */
#define _DEFAULT_SOURCE 1 /* setsid, MAP_ANONYMOUS, strcasecmp */
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "ipc/ipc.h"
#include "maillog/maillog.h"
#include "master/master.h"
#include "master/master_proc.h"
#include "pcf/pcf.h"
#include "server/server.h"
#include "server/server_anvil.h"

/* listen_inet - bind the listeners of an inet entry; 0 or -1 (message in
 * err) */
static int
listen_inet(struct svc *s, char *err, size_t errlen)
{
    char host[256] = "", port[64];
    const char *spec = s->srv.service;
    const char *colon = strrchr(spec, ':');
    struct strv hosts;
    char *ifs = NULL,
         *protos = server_conf_str(master_proc.conf, NULL, "inet_protocols");
    int family = AF_UNSPEC, rc = 0;

    strv_init(&hosts);
    if (strcasecmp(protos, "ipv4") == 0)
        family = AF_INET;
    else if (strcasecmp(protos, "ipv6") == 0)
        family = AF_INET6;
    mem_free(protos);
    if (colon) {
        size_t n = (size_t) (colon - spec);

        if (n >= sizeof(host))
            n = sizeof(host) - 1;
        memcpy(host, spec, n);
        host[n] = 0;
        snprintf(port, sizeof(port), "%s", colon + 1);
        if (host[0] == '[' && n > 1 && host[n - 1] == ']') {
            memmove(host, host + 1, n - 2);
            host[n - 2] = 0;
        }
        if (strcmp(host, "*") == 0 || host[0] == 0)
            strv_add(&hosts, "");
        else
            strv_add(&hosts, host);
    } else {
        snprintf(port, sizeof(port), "%s", spec);
        ifs = server_conf_str(master_proc.conf, NULL, "inet_interfaces");
        if (strcasecmp(ifs, "all") == 0)
            strv_add(&hosts, "");
        else if (strcasecmp(ifs, "loopback-only") == 0) {
            if (family != AF_INET6)
                strv_add(&hosts, "127.0.0.1");
            if (family != AF_INET)
                strv_add(&hosts, "::1");
        } else
            server_split(ifs, &hosts);
        mem_free(ifs);
    }
    for (size_t h = 0; h < hosts.n && rc == 0; h++) {
        struct addrinfo hints, *res = NULL, *ai;
        int gai;

        memset(&hints, 0, sizeof(hints));
        hints.ai_family = family;
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = AI_PASSIVE;
        if (hosts.v[h][0] == 0 && family == AF_UNSPEC)
            hints.ai_family = AF_INET; /* wildcard: one v4 socket ... */
        gai =
            getaddrinfo(hosts.v[h][0] ? hosts.v[h] : NULL, port, &hints, &res);
        if (gai != 0) {
            snprintf(err, errlen, "%s: host or service lookup of \"%s\": %s",
                     spec, hosts.v[h][0] ? hosts.v[h] : port,
                     gai_strerror(gai));
            rc = -1;
            break;
        }
        for (ai = res; ai && rc == 0; ai = ai->ai_next) {
            int fd, on = 1;

            if (s->srv.nlisten >= SERVER_MAX_LISTEN)
                break;
            fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
            if (fd < 0)
                continue;
            (void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
            if (ai->ai_family == AF_INET6)
                (void) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on,
                                  sizeof(on));
            /* Postfix uses 100; the kernel caps this at somaxconn, and
             * the smtpd front keeps the queue short anyway */
            if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
                listen(fd, INET_BACKLOG) < 0) {
                char a[NI_MAXHOST] = "?";

                getnameinfo(ai->ai_addr, ai->ai_addrlen, a, sizeof(a), NULL, 0,
                            NI_NUMERICHOST);
                snprintf(err, errlen, "bind %s port %s: %s", a, port,
                         strerror(errno));
                (void) close(fd);
                rc = -1;
                break;
            }
            (void) ipc_nonblock(fd, 1);
            s->srv.listen_fd[s->srv.nlisten++] = fd;
        }
        freeaddrinfo(res);
    }
    strv_fini(&hosts);
    return rc;
}

/* listen_unix - private/NAME or public/NAME */
static int
listen_unix(struct svc *s, char *err, size_t errlen)
{
    char path[512];
    int fd;

    snprintf(path, sizeof(path), "%s/%s",
             s->srv.private_ ? "private" : "public", s->srv.service);
    /* public sockets: mail_owner:setgid_group 0660 inside public/ 0710
     * (the directory is the gate, as in Postfix; the socket's own mode
     * is a second one) */
    fd = ipc_listen_unix(path, s->srv.private_ ? 0600 : 0660, 1024);
    if (fd < 0) {
        snprintf(err, errlen, "bind %s: %s", path, strerror(errno));
        return -1;
    }
    if (geteuid() == 0) {
        long uid, gid;

        server_user(master_proc.conf, &uid, &gid);
        if (!s->srv.private_)
            gid = master_setgid_gid(gid);
        if (chown(path, (uid_t) uid, (gid_t) gid) < 0) {
            /* the mode still lets root-run services in */
        }
    }
    (void) ipc_nonblock(fd, 1);
    s->sock_path = mem_strdup(path);
    s->srv.listen_fd[s->srv.nlisten++] = fd;
    return 0;
}

void
master_svc_close(struct svc *s, int unlink_socket)
{
    for (int i = 0; i < s->srv.nlisten; i++)
        (void) close(s->srv.listen_fd[i]);
    s->srv.nlisten = 0;
    for (int i = 0; i < s->ninet; i++)
        (void) close(s->inet_fd[i]);
    s->ninet = 0;
    if (s->chan[0] >= 0)
        (void) close(s->chan[0]);
    s->chan[0] = s->chan[1] = -1; /* [1] was srv.listen_fd[0] */
    if (unlink_socket && s->sock_path)
        (void) unlink(s->sock_path);
}

/* open_front - give the inet listeners to the front and the workers the
 * hand-off channel instead */
static int
open_front(struct svc *s, char *err, size_t errlen)
{
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, s->chan) < 0) {
        snprintf(err, errlen, "socketpair: %s", strerror(errno));
        return -1;
    }
    memcpy(s->inet_fd, s->srv.listen_fd, sizeof(s->inet_fd));
    s->ninet = s->srv.nlisten;
    s->srv.listen_fd[0] = s->chan[1];
    s->srv.nlisten = 1;
    s->srv.handoff_role = SERVER_HANDOFF_WORKER;
    return 0;
}

/* open_service - sockets, status pipe and shared slots */
int
master_open_service(struct svc *s, char *err, size_t errlen)
{
    unsigned nslots;

    if (strcmp(s->srv.type, "inet") == 0) {
        if (listen_inet(s, err, errlen) < 0)
            return -1;
        if (s->front && open_front(s, err, errlen) < 0)
            return -1;
        if (s->front && (s->srv.anvil = server_anvil_create()) == NULL) {
            snprintf(err, errlen, "client connection table: %s",
                     strerror(errno));
            return -1;
        }
        s->anvil_owner = s->srv.anvil != NULL;
    } else if (listen_unix(s, err, errlen) < 0) {
        return -1;
    }
    if (pipe(s->status_pipe) < 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    (void) fcntl(s->status_pipe[0], F_SETFD, FD_CLOEXEC);
    (void) ipc_nonblock(s->status_pipe[0], 1);
    nslots = s->srv.maxproc > 0 && s->srv.maxproc < 4096
                 ? (unsigned) s->srv.maxproc
                 : 1024;
    s->srv.shm =
        mmap(NULL, nslots * sizeof(struct server_slot), PROT_READ | PROT_WRITE,
             MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (s->srv.shm == MAP_FAILED) {
        snprintf(err, errlen, "mmap: %s", strerror(errno));
        s->srv.shm = NULL;
        return -1;
    }
    s->srv.nslots = nslots;
    s->slot_used = mem_calloc(nslots, 1);
    return 0;
}

/* setgid_gid - the setgid_group's gid (root only: -1 otherwise); when
 * the group does not exist, mail_owner's group, with a warning: then
 * only root and mail_owner can submit mail, which is the safe side */
long
master_setgid_gid(long fallback)
{
    char *name;
    struct group *gr;
    long gid = fallback;
    static int warned;

    if (geteuid() != 0)
        return -1;
    name = server_conf_str(master_proc.conf, NULL, "setgid_group");
    gr = getgrnam(name);
    if (gr)
        gid = (long) gr->gr_gid;
    else if (!warned++)
        log_warn("unknown setgid_group group \"%s\": public "
                 "and maildrop are for root and mail_owner only",
                 name);
    mem_free(name);
    return gid;
}
