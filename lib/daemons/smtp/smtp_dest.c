/*
 * smtp_dest - the destinations of the smtp agent: the servers of a
 * nexthop and the order they are tried in.
 *
 * DESCRIPTION
 *	The nexthop's addresses (an IP address as is, else MX and address
 *	records through dns_route, or getaddrinfo for smtp_host_lookup =
 *	native), ordered by smtp_address_preference, tried within
 *	smtp_mx_address_limit and smtp_mx_session_limit; then the
 *	smtp_fallback_relay destinations. Split from smtp.c so that the
 *	lookup and the choice of server are read apart from the dialogue.
 */
#define _DEFAULT_SOURCE 1
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "deliver/deliver.h"
#include "dns/dns.h"
#include "maillog/maillog.h"
#include "smtp/smtp_int.h"

int
smtp_is_ip(const char *s)
{
    unsigned char a[16];

    return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

/* targets - the addresses for nh; a route status and reason */
static enum dns_route_status
targets(struct agent *ag, const struct smtp_nexthop *nh,
        struct dns_targets *out, struct buf *why)
{
    struct dns_route_opts o;
    enum dns_route_status st;

    memset(out, 0, sizeof(*out));
    if (smtp_is_ip(nh->host)) {
        out->t = mem_calloc(1, sizeof(*out->t));
        out->n = 1;
        out->t[0].host = mem_strdup(nh->host);
        out->t[0].pref = -1;
        snprintf(out->t[0].addr, sizeof(out->t[0].addr), "%.45s", nh->host);
        out->t[0].v6 = strchr(nh->host, ':') != NULL;
        return DNS_ROUTE_OK;
    }
    if (ag->host_dns) {
        memset(&o, 0, sizeof(o));
        o.servers = (const char *const *) ag->resolvers.v;
        o.nservers = ag->resolvers.n;
        o.timeout = 5;
        o.families = ag->families;
        st = dns_route(&o, nh->host, nh->mx && ag->dns_enabled, out, why);
        if (st != DNS_ROUTE_NOTFOUND || !ag->host_native)
            return st;
        dns_targets_fini(out);
    }
    {
        /* native lookup (smtp_host_lookup = native): no MX */
        struct addrinfo hints, *res = NULL;
        int rc;

        memset(&hints, 0, sizeof(hints));
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_family = ag->families == DNS_ROUTE_IPV4   ? AF_INET
                          : ag->families == DNS_ROUTE_IPV6 ? AF_INET6
                                                           : AF_UNSPEC;
        rc = getaddrinfo(nh->host, NULL, &hints, &res);
        buf_truncate(why, 0);
        if (rc != 0) {
            (void) buf_printf(why,
                              "Host or domain name not found. Name service "
                              "error for name=%s type=A: Host not found%s",
                              nh->host, rc == EAI_AGAIN ? ", try again" : "");
            return rc == EAI_AGAIN ? DNS_ROUTE_TEMP : DNS_ROUTE_NOTFOUND;
        }
        for (struct addrinfo *a = res; a; a = a->ai_next) {
            char text[INET6_ADDRSTRLEN];
            const void *p =
                a->ai_family == AF_INET
                    ? (const void *) &((struct sockaddr_in *) a->ai_addr)
                          ->sin_addr
                    : (const void *) &((struct sockaddr_in6 *) a->ai_addr)
                          ->sin6_addr;

            if (inet_ntop(a->ai_family, p, text, sizeof(text)) == NULL)
                continue;
            out->t = mem_realloc(out->t, (out->n + 1) * sizeof(*out->t));
            memset(&out->t[out->n], 0, sizeof(out->t[0]));
            out->t[out->n].host = mem_strdup(nh->host);
            out->t[out->n].pref = -1;
            snprintf(out->t[out->n].addr, sizeof(out->t[0].addr), "%s", text);
            out->t[out->n].v6 = a->ai_family == AF_INET6;
            out->n++;
        }
        freeaddrinfo(res);
        return out->n ? DNS_ROUTE_OK : DNS_ROUTE_NOTFOUND;
    }
}

/* prefer - smtp_address_preference: within each MX preference (or
 * among a host's addresses), the preferred family first */
static void
prefer(const struct agent *ag, struct dns_targets *tg)
{
    size_t i = 0;

    if (ag->addr_pref == 0)
        return;
    while (i < tg->n) {
        size_t j = i, k, w;

        while (j < tg->n && tg->t[j].pref == tg->t[i].pref)
            j++;
        /* stable: a small insertion sort on the group [i, j) */
        for (k = i + 1; k < j; k++) {
            struct dns_target t = tg->t[k];
            int good = (ag->addr_pref == 6) == (t.v6 != 0);

            if (!good)
                continue;
            for (w = k; w > i; w--) {
                int wgood = (ag->addr_pref == 6) == (tg->t[w - 1].v6 != 0);

                if (wgood)
                    break;
                tg->t[w] = tg->t[w - 1];
            }
            tg->t[w] = t;
        }
        i = j;
    }
}

/*
 * try_dest - a session with one destination (the nexthop or a fallback
 * relay): its servers in order. NULL with the reason in why, dsn and
 * *status; *st tells how the lookup went.
 */
static struct session *
try_dest(struct agent *ag, const char *nexthop, const struct smtp_nexthop *nh,
         struct buf *why, char *dsn, int *status, enum dns_route_status *st)
{
    struct dns_targets tg;
    struct session *s = NULL;
    int sessions = 0;

    *status = DELIVER_DEFER;
    snprintf(dsn, 16, "4.4.1");
    ag->said_mta[0] = 0;
    *st = targets(ag, nh, &tg, why);
    if (*st == DNS_ROUTE_NULLMX) {
        *status = DELIVER_BOUNCE;
        snprintf(dsn, 16, "5.1.10");
        goto out;
    }
    if (*st == DNS_ROUTE_NOTFOUND) {
        /* smtp_defer_if_no_mx_address_found */
        if (ag->defer_no_mx_addr && nh->mx && tg.mx_no_addr) {
            snprintf(dsn, 16, "4.4.4");
            *st = DNS_ROUTE_TEMP;
        } else {
            *status = DELIVER_BOUNCE;
            snprintf(dsn, 16, "5.4.4");
        }
        goto out;
    }
    if (*st == DNS_ROUTE_TEMP) {
        snprintf(dsn, 16, "4.4.3");
        goto out;
    }
    prefer(ag, &tg);
    ag->final = 0;
    for (size_t i = 0; i < tg.n && (int) i < ag->mx_address_limit; i++) {
        int greeted = 0;

        s = smtp_try_host(ag, nexthop, nh->host, tg.t[i].host, tg.t[i].addr,
                          nh->port, 0, why, dsn, status, &greeted);
        if (s == NULL && *status == -2) /* TLS "may" failed: plain text */
            s = smtp_try_host(ag, nexthop, nh->host, tg.t[i].host, tg.t[i].addr,
                              nh->port, 1, why, dsn, status, &greeted);
        if (s || ag->final)
            break;
        if (greeted && ++sessions >= ag->mx_session_limit)
            break;
    }
    if (s == NULL && !ag->final) {
        /* a 5xx HELO reply from the only server bounces; the rest defers */
        if (*status != DELIVER_BOUNCE || tg.n > 1) {
            *status = DELIVER_DEFER;
            if (dsn[0] != '4')
                dsn[0] = '4';
        }
    }
out:
    dns_targets_fini(&tg);
    return s;
}

/*
 * smtp_open_session - a new session for nexthop; NULL after setting every
 * recipient's result. When the nexthop's servers cannot be found or
 * reached (not when one refused the mail with 5xx, nor for a null MX),
 * the smtp_fallback_relay destinations are tried in order, as Postfix
 * does; the last attempt gives the reason.
 */
struct session *
smtp_open_session(struct agent *ag, struct deliver_req *req,
                  const char *nexthop, const struct smtp_nexthop *nh)
{
    struct buf why;
    struct session *s = NULL;
    enum dns_route_status st;
    char dsn[16] = "4.4.1";
    int status = DELIVER_DEFER, fallback = 0;

    buf_init(&why, 0);
    ag->dest = nexthop;
    s = try_dest(ag, nexthop, nh, &why, dsn, &status, &st);
    for (size_t i = 0; s == NULL && i < ag->fallback.n; i++) {
        struct smtp_nexthop fnh;

        if (st == DNS_ROUTE_NULLMX ||
            (st == DNS_ROUTE_OK && status != DELIVER_DEFER))
            break;
        if (strcmp(ag->fallback.v[i], nexthop) == 0)
            continue; /* the nexthop is the fallback relay */
        if (smtp_nexthop_parse(ag->fallback.v[i], ag->def_port, &fnh) < 0) {
            log_warn("malformed smtp_fallback_relay destination "
                     "\"%s\"",
                     ag->fallback.v[i]);
            continue;
        }
        ag->dest = ag->fallback.v[i];
        s = try_dest(ag, nexthop, &fnh, &why, dsn, &status, &st);
        fallback = 1;
    }
    ag->dest = NULL;
    /*
     * Postfix: a fallback relay or relayhost that is not found is a
     * configuration problem, not a reason to bounce the mail: 4.3.5,
     * with the reason kept. (A 5xx greeting or HELO reply from the last
     * server still bounces: Postfix's smtp_site_fail() settles those
     * recipients before this check, as a run against Postfix 3.7 shows.)
     */
    if (s == NULL && status == DELIVER_BOUNCE && st == DNS_ROUTE_NOTFOUND &&
        (fallback || strcmp(nexthop, ag->relayhost) == 0)) {
        log_warn("%s configuration problem",
                 fallback ? SMTP_PARAM(ag, "lmtp_fallback_relay",
                                       "smtp_fallback_relay")
                          : "relayhost");
        status = DELIVER_DEFER;
        snprintf(dsn, sizeof(dsn), "4.3.5");
    }
    if (s == NULL) {
        smtp_set_all(req, 0, status, dsn, buf_str(&why));
        /* a server's reply is the reason: bounce names the server */
        for (size_t i = 0; ag->said_mta[0] && i < req->nrcpt; i++)
            deliver_result_remote(&req->rcpt[i], ag->said_mta,
                                  buf_str(&ag->said_reply));
        /* no server to talk to: a site failure, which qmgr's
         * per-destination feedback counts (a bounce is not) */
        req->hop_fail = status == DELIVER_DEFER;
    }
    buf_fini(&why);
    return s;
}

/*
 * smtp_open_unix - LMTP over a UNIX-domain socket: one server, named as
 * Postfix names it (myhostname[path]); every failure is final (defer
 * or bounce, no fallback relay: Postfix warns that it ignores one)
 */
struct session *
smtp_open_unix(struct agent *ag, struct deliver_req *req, const char *nexthop,
               const char *path)
{
    struct buf why;
    struct session *s;
    char dsn[16] = "4.4.1";
    int status = DELIVER_DEFER, greeted = 0;

    if (ag->fallback.n)
        log_warn("ignoring \"lmtp_fallback_relay = %s\" setting for "
                 "non-TCP connections",
                 ag->fallback.v[0]);
    buf_init(&why, 0);
    ag->dest = nexthop;
    ag->final = 1;
    s = smtp_try_host(ag, nexthop, ag->myhostname, ag->myhostname, path, 0, 0,
                      &why, dsn, &status, &greeted);
    ag->dest = NULL;
    /* the soft failure is the reason itself, not a line of its own */
    buf_truncate(&ag->nonfinal, 0);
    if (s == NULL) {
        smtp_set_all(req, 0, status, dsn, buf_str(&why));
        for (size_t i = 0; ag->said_mta[0] && i < req->nrcpt; i++)
            deliver_result_remote(&req->rcpt[i], ag->said_mta,
                                  buf_str(&ag->said_reply));
        req->hop_fail = status == DELIVER_DEFER;
    }
    buf_fini(&why);
    return s;
}
