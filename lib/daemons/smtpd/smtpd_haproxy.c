/*
 * smtpd_haproxy - the client behind an upstream proxy
 *	(smtpd_upstream_proxy_protocol = haproxy), as Postfix's
 *	smtpd_haproxy.c: the PROXY header (lib/base/haproxy, versions 1
 *	and 2) comes before anything else and within
 *	smtpd_upstream_proxy_timeout; the client it names is the session's
 *	client for logging, restrictions, policy and milters. "PROXY
 *	UNKNOWN" and version 2's LOCAL (the proxy's health checks) keep
 *	the socket's own endpoints. A missing or malformed header is logged
 *	and the session ends with 421 (the caller answers), never served
 *	as the proxy's own address.
 */
#include <string.h>

#include "haproxy/haproxy.h"
#include "maillog/maillog.h"
#include "server/server.h"
#include "smtpd/smtpd_int.h"

void
smtpd_haproxy_conf(struct smtpd_conf *cf, struct server *srv)
{
    char *ip;

    cf->proxy_protocol = server_param(srv, "smtpd_upstream_proxy_protocol");
    cf->proxy_timeout = server_param_time(srv, "smtpd_upstream_proxy_timeout");
    /* the families a proxied client may have: inet_protocols */
    ip = server_param(srv, "inet_protocols");
    cf->proxy_families =
        (strstr(ip, "all") || strstr(ip, "ipv4") ? HAPROXY_IPV4 : 0u) |
        (strstr(ip, "all") || strstr(ip, "ipv6") ? HAPROXY_IPV6 : 0u);
    mem_free(ip);
}

int
smtpd_haproxy(struct smtpd_session *s)
{
    unsigned char hdr[HAPROXY_V2_HEADER + 512];
    size_t have = 0, need;
    struct haproxy_endpoints ep;
    const char *err = NULL;

    if (strcmp(s->cf->proxy_protocol, "haproxy") != 0) {
        log_warn("unsupported smtpd_upstream_proxy_protocol value: %s",
                 s->cf->proxy_protocol);
        return -1;
    }
    smtpd_io_set_timeout(s->io, (int) s->cf->proxy_timeout);
    /* exactly the header's bytes: what follows is the client's */
    while ((need = haproxy_need(hdr, have)) > have) {
        const char *p;
        size_t n;
        int rc;

        if (need > sizeof(hdr)) {
            err = "protocol header too long";
            break;
        }
        rc = smtpd_io_read_raw(s->io, need - have, &p, &n);
        if (rc <= 0) {
            log_warn("haproxy read: %s", smtpd_io_timed_out(s->io)
                                             ? "timeout error"
                                         : rc == 0 ? "EOF"
                                                   : "read error");
            smtpd_io_set_timeout(s->io, (int) s->cf->timeout);
            return -1;
        }
        memcpy(hdr + have, p, n);
        have += n;
    }
    smtpd_io_set_timeout(s->io, (int) s->cf->timeout);
    if (err == NULL && need == 0)
        err = "unrecognized protocol header";
    if (err == NULL &&
        haproxy_parse(hdr, have, s->cf->proxy_families, &ep, &err) == 0) {
        if (!ep.local)
            smtpd_peer_proxied(s, ep.client_addr, ep.client_port,
                               ep.server_addr, ep.server_port);
        return 0;
    }
    {
        char shown[4 * HAPROXY_V1_MAX + 8];

        haproxy_escape(hdr, have < HAPROXY_V1_MAX ? have : HAPROXY_V1_MAX,
                       shown, sizeof(shown));
        log_warn("haproxy read: %s: %s", err, shown);
    }
    return -1;
}
