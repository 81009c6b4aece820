/*
 * smtpd_check_test - the restriction engine, table-driven: restrictions,
 *	client, helo, sender and recipient in, SMTP reply (code, enhanced
 *	code, text) and log line out, against Postfix 3.7's wording.
 *	DNS answers come from a table (cf->dns), so no network is used.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dns/dns.h"
#include "maillog/maillog.h"
#include "maps/maps.h"
#include "pcf/pcf.h"
#include "rewrite/rewrite.h"
#include "server/server.h"
#include "server/server_check.h"
#include "smtpd/smtpd_int.h"

/* ---- fake DNS ---- */
struct rr {
    const char *name;
    int type;
    int st;           /* enum dns_status */
    const char *data; /* records separated by ',' (MX: "PREF HOST") */
};

static const struct rr zone[] = {
    {"example.com", DNS_MX, DNS_OK, "10 mx1.example.com"},
    {"mx1.example.com", DNS_A, DNS_OK, "192.0.2.10"},
    {"mx1.example.com", DNS_AAAA, DNS_NODATA, NULL},
    {"helo.example.com", DNS_A, DNS_OK, "192.0.2.20"},
    {"aonly.example.net", DNS_MX, DNS_NODATA, NULL},
    {"aonly.example.net", DNS_A, DNS_OK, "192.0.2.30"},
    {"nullmx.example.net", DNS_MX, DNS_OK, "0 "},
    {"tempfail.example.net", DNS_MX, DNS_TEMP, NULL},
    {"tempfail.example.net", DNS_A, DNS_TEMP, NULL},
    {"tempfail.example.net", DNS_AAAA, DNS_TEMP, NULL},
    {"badmx.example.org", DNS_MX, DNS_OK, "10 mx.spam.test"},
    {"mx.spam.test", DNS_A, DNS_OK, "203.0.113.9"},
    {"badns.example.org", DNS_NS, DNS_NODATA, NULL},
    {"example.org", DNS_NS, DNS_OK, "ns1.spam.test"},
    {"ns1.spam.test", DNS_A, DNS_OK, "203.0.113.53"},
    {"backup.example.net", DNS_MX, DNS_OK, "10 mx.far.test,20 localhost"},
    {"5.2.0.192.zen.example.test", DNS_A, DNS_OK, "127.0.0.2"},
    {"5.2.0.192.zen.example.test", DNS_TXT, DNS_OK, "listed for testing"},
    {"6.2.0.192.zen.example.test", DNS_A, DNS_OK, "127.0.0.10"},
    {"6.2.0.192.zen.example.test", DNS_TXT, DNS_NODATA, NULL},
    {"7.2.0.192.zen.example.test", DNS_A, DNS_TEMP, NULL},
    {"spam.example.net.dbl.example.test", DNS_A, DNS_OK, "127.0.1.2"},
    {"5.2.0.192.wl.example.test", DNS_A, DNS_OK, "127.0.0.2"},
    {"mx.far.test", DNS_A, DNS_OK, "198.51.100.1"},
};

static int
fake_dns(struct smtpd_conf *cf, const char *name, int type, struct strv *out)
{
    (void) cf;
    for (size_t i = 0; i < sizeof(zone) / sizeof(zone[0]); i++)
        if (strcmp(zone[i].name, name) == 0 && zone[i].type == type) {
            if (zone[i].data) {
                char buf[200], *save = NULL;

                snprintf(buf, sizeof(buf), "%s", zone[i].data);
                for (char *w = strtok_r(buf, ",", &save); w;
                     w = strtok_r(NULL, ",", &save))
                    strv_add(out, w);
            }
            return zone[i].st;
        }
    return DNS_NXDOMAIN;
}

/* ---- cases ---- */
struct tcase {
    const char *conf; /* main.cf lines */
    const char *name, *addr;
    int name_status;
    const char *helo, *sender, *rcpt;
    const char *reply; /* expected RCPT reply, NULL: accepted */
    const char *log;   /* a substring the log must have, or NULL */
};

#define C_OK  SMTPD_PEER_OK
#define C_BAD SMTPD_PEER_PERM

static const struct tcase cases[] = {
    /* names are case-insensitive */
    {"smtpd_relay_restrictions = REJECT_UNAUTH_DESTINATION", "client.test",
     "192.0.2.5", C_OK, "client.test", "a@example.com", "b@far.test",
     "554 5.7.1 <b@far.test>: Relay access denied", NULL},
    {"smtpd_recipient_restrictions = Permit_Mynetworks Reject", "client.test",
     "192.0.2.5", C_OK, "client.test", "a@example.com", "b@local.test",
     "554 5.7.1 <b@local.test>: Recipient address rejected: Access denied",
     NULL},
    /* reject_code, defer_code */
    {"reject_code = 550\nsmtpd_recipient_restrictions = reject", "client.test",
     "192.0.2.5", C_OK, "client.test", "a@example.com", "b@local.test",
     "550 5.7.1 <b@local.test>: Recipient address rejected: Access denied",
     NULL},
    {"smtpd_recipient_restrictions = defer", "client.test", "192.0.2.5", C_OK,
     "client.test", "a@example.com", "b@local.test",
     "450 4.3.2 <b@local.test>: Recipient address rejected: Try again later",
     NULL},
    /* warn_if_reject: logged, then the next restriction decides */
    {"smtpd_recipient_restrictions = warn_if_reject reject_non_fqdn_sender, "
     "reject_unauth_destination",
     "client.test", "192.0.2.5", C_OK, "client.test", "a@nodot", "b@local.test",
     NULL,
     "NOQUEUE: reject_warning: RCPT from client.test[192.0.2.5]: 504 5.5.2 "
     "<a@nodot>: Sender address rejected: need fully-qualified address; "
     "from=<a@nodot> to=<b@local.test> proto=ESMTP helo=<client.test>"},
    /* restriction classes */
    {"smtpd_restriction_classes = strict\nstrict = reject_non_fqdn_helo_"
     "hostname\nsmtpd_recipient_restrictions = strict, "
     "reject_unauth_destination",
     "client.test", "192.0.2.5", C_OK, "nodot", "a@example.com", "b@local.test",
     "504 5.5.2 <nodot>: Helo command rejected: need fully-qualified hostname",
     NULL},
    /* sleep 0 goes on */
    {"smtpd_client_restrictions = sleep 0 permit", "client.test", "192.0.2.5",
     C_OK, "client.test", "a@example.com", "b@local.test", NULL, NULL},
    /* defer_if_permit: a later permit turns into the deferral */
    {"smtpd_recipient_restrictions = defer_if_permit permit", "client.test",
     "192.0.2.5", C_OK, "client.test", "a@example.com", "b@local.test",
     "450 4.7.0 <b@local.test>: Recipient address rejected: defer_if_permit "
     "requested",
     NULL},
    /* defer_if_reject: a later 5xx reject turns into the deferral */
    {"smtpd_recipient_restrictions = defer_if_reject reject", "client.test",
     "192.0.2.5", C_OK, "client.test", "a@example.com", "b@local.test",
     "450 4.7.0 <b@local.test>: Recipient address rejected: defer_if_reject "
     "requested",
     NULL},
    /* unknown client */
    {"smtpd_client_restrictions = reject_unknown_client_hostname", "unknown",
     "192.0.2.5", C_BAD, "client.test", "a@example.com", "b@local.test",
     "450 4.7.25 Client host rejected: cannot find your hostname, "
     "[192.0.2.5]",
     NULL},
    {"unknown_client_reject_code = 550\nsmtpd_client_restrictions = "
     "reject_unknown_reverse_client_hostname",
     "unknown", "192.0.2.5", C_BAD, "client.test", "a@example.com",
     "b@local.test",
     "550 5.7.1 Client host rejected: cannot find your reverse hostname, "
     "[192.0.2.5]",
     NULL},
    /* helo */
    {"smtpd_helo_restrictions = reject_invalid_helo_hostname", "client.test",
     "192.0.2.5", C_OK, "bad_helo!", "a@example.com", "b@local.test",
     "501 5.5.2 <bad_helo!>: Helo command rejected: Invalid name", NULL},
    {"smtpd_helo_restrictions = reject_invalid_helo_hostname", "client.test",
     "192.0.2.5", C_OK, "[999.1.1.1]", "a@example.com", "b@local.test",
     "501 5.5.2 <[999.1.1.1]>: Helo command rejected: invalid ip address",
     NULL},
    {"smtpd_helo_restrictions = reject_unknown_helo_hostname", "client.test",
     "192.0.2.5", C_OK, "nxhost.example.com", "a@example.com", "b@local.test",
     "450 4.7.1 <nxhost.example.com>: Helo command rejected: Host not found",
     NULL},
    {"smtpd_helo_restrictions = reject_unknown_helo_hostname", "client.test",
     "192.0.2.5", C_OK, "helo.example.com", "a@example.com", "b@local.test",
     NULL, NULL},
    /* sender domain */
    {"smtpd_sender_restrictions = reject_unknown_sender_domain", "client.test",
     "192.0.2.5", C_OK, "client.test", "a@nx.example.net", "b@local.test",
     "450 4.1.8 <a@nx.example.net>: Sender address rejected: Domain not "
     "found",
     NULL},
    {"unknown_address_reject_code = 550\nsmtpd_sender_restrictions = "
     "reject_unknown_sender_domain",
     "client.test", "192.0.2.5", C_OK, "client.test", "a@nx.example.net",
     "b@local.test",
     "550 5.1.8 <a@nx.example.net>: Sender address rejected: Domain not "
     "found",
     NULL},
    {"smtpd_sender_restrictions = reject_unknown_sender_domain", "client.test",
     "192.0.2.5", C_OK, "client.test", "a@aonly.example.net", "b@local.test",
     NULL, NULL},
    {"smtpd_sender_restrictions = reject_unknown_sender_domain", "client.test",
     "192.0.2.5", C_OK, "client.test", "a@nullmx.example.net", "b@local.test",
     "550 5.7.27 <a@nullmx.example.net>: Sender address rejected: Domain "
     "nullmx.example.net does not accept mail (nullMX)",
     NULL},
    /* a temporary failure defers only what would be permitted */
    {"smtpd_sender_restrictions = reject_unknown_sender_domain", "client.test",
     "192.0.2.5", C_OK, "client.test", "a@tempfail.example.net", "b@local.test",
     "450 4.1.8 <a@tempfail.example.net>: Sender address rejected: Domain "
     "not found",
     NULL},
    {"smtpd_sender_restrictions = reject_unknown_sender_domain\n"
     "smtpd_relay_restrictions = reject_unauth_destination",
     "client.test", "192.0.2.5", C_OK, "client.test", "a@tempfail.example.net",
     "b@far.test", "554 5.7.1 <b@far.test>: Relay access denied", NULL},
    /* recipient domain, ours is never looked up */
    {"smtpd_recipient_restrictions = reject_unknown_recipient_domain",
     "localhost", "127.0.0.1", C_OK, "client.test", "a@example.com",
     "b@nx.example.net",
     "450 4.1.2 <b@nx.example.net>: Recipient address rejected: Domain not "
     "found",
     NULL},
    {"smtpd_recipient_restrictions = reject_unknown_recipient_domain",
     "client.test", "192.0.2.5", C_OK, "client.test", "a@example.com",
     "b@local.test", NULL, NULL},
    {"smtpd_recipient_restrictions = reject_non_fqdn_recipient", "localhost",
     "127.0.0.1", C_OK, "client.test", "a@example.com", "b@nodot",
     "504 5.5.2 <b@nodot>: Recipient address rejected: need "
     "fully-qualified address",
     NULL},
    /* access tables */
    {"smtpd_sender_restrictions = check_sender_access inline:{example.com="
     "REJECT}",
     "client.test", "192.0.2.5", C_OK, "client.test", "a@sub.example.com",
     "b@local.test",
     "554 5.7.1 <a@sub.example.com>: Sender address rejected: Access denied",
     NULL},
    {"smtpd_sender_restrictions = check_sender_access inline:{{a@example.com"
     "=550 5.7.0 go away}}",
     "client.test", "192.0.2.5", C_OK, "client.test", "a@example.com",
     "b@local.test",
     "550 5.7.0 <a@example.com>: Sender address rejected: go away", NULL},
    {"smtpd_client_restrictions = check_client_access inline:{192.0.2=DEFER}",
     "client.test", "192.0.2.5", C_OK, "client.test", "a@example.com",
     "b@local.test",
     "450 4.7.1 <client.test[192.0.2.5]>: Client host rejected: Access "
     "denied",
     NULL},
    {"access_map_reject_code = 550\nsmtpd_helo_restrictions = "
     "check_helo_access inline:{{client.test=REJECT no thanks}}",
     "client.test", "192.0.2.5", C_OK, "client.test", "a@example.com",
     "b@local.test",
     "550 5.7.1 <client.test>: Helo command rejected: no thanks", NULL},
    /* a HELO name ending in a dot: the parent domains run out at "",
     * not past the end of the name (ASan found the overread) */
    {"smtpd_helo_restrictions = check_helo_access "
     "inline:{{other.test=REJECT}}",
     "client.test", "192.0.2.5", C_OK, "helo.good.test.", "a@example.com",
     "b@local.test", NULL, NULL},
    /* an implicit access lookup: a bare table in the sender list */
    {"smtpd_sender_restrictions = inline:{example.com=REJECT}", "client.test",
     "192.0.2.5", C_OK, "client.test", "a@example.com", "b@local.test",
     "554 5.7.1 <a@example.com>: Sender address rejected: Access denied", NULL},
    /* a table answer naming restrictions and a class */
    {"smtpd_restriction_classes = nofqdn\nnofqdn = reject_non_fqdn_sender\n"
     "smtpd_recipient_restrictions = check_recipient_access inline:{"
     "local.test=nofqdn}",
     "client.test", "192.0.2.5", C_OK, "client.test", "a@nodot", "b@local.test",
     "504 5.5.2 <a@nodot>: Sender address rejected: need fully-qualified "
     "address",
     NULL},
    /* an address status fits the class: X.1.1 of a sender is X.1.7 */
    {"smtpd_sender_restrictions = check_sender_access inline:{{"
     "example.com=REJECT 5.1.1 no}}",
     "client.test", "192.0.2.5", C_OK, "client.test", "a@example.com",
     "b@local.test", "554 5.1.7 <a@example.com>: Sender address rejected: no",
     NULL},
    /* WARN logs and goes on; HOLD is refused, never ignored */
    {"smtpd_recipient_restrictions = check_recipient_access inline:{{"
     "local.test=WARN watch this}}",
     "client.test", "192.0.2.5", C_OK, "client.test", "a@example.com",
     "b@local.test", NULL,
     "NOQUEUE: warn: RCPT from client.test[192.0.2.5]: watch this;"},
    {"smtpd_recipient_restrictions = check_recipient_access inline:{"
     "local.test=HOLD}",
     "client.test", "192.0.2.5", C_OK, "client.test", "a@example.com",
     "b@local.test", "451 4.3.5 Server configuration error",
     "action HOLD is not implemented by Postern"},
    /* MX and NS access: the servers of the domain */
    {"smtpd_sender_restrictions = check_sender_mx_access inline:{203.0.113="
     "REJECT}",
     "client.test", "192.0.2.5", C_OK, "client.test", "a@badmx.example.org",
     "b@local.test",
     "554 5.7.1 <a@badmx.example.org>: Sender address rejected: Access "
     "denied",
     NULL},
    {"smtpd_sender_restrictions = check_sender_ns_access inline:{{"
     "ns1.spam.test=554 bad dns}}",
     "client.test", "192.0.2.5", C_OK, "client.test", "a@badns.example.org",
     "b@local.test",
     "554 5.7.1 <a@badns.example.org>: Sender address rejected: bad dns", NULL},
    {"smtpd_sender_restrictions = check_sender_mx_access inline:{"
     "mx.spam.test=OK}",
     "client.test", "192.0.2.5", C_OK, "client.test", "a@badmx.example.org",
     "b@local.test", "451 4.3.5 Server configuration error",
     "restriction check_sender_mx_access returns OK for a@badmx.example.org"},
    /* an unknown restriction is a configuration error, as in Postfix */
    {"smtpd_recipient_restrictions = reject_bogus", "client.test", "192.0.2.5",
     C_OK, "client.test", "a@example.com", "b@local.test",
     "451 4.3.5 Server configuration error",
     "unknown smtpd restriction: \"reject_bogus\""},
    /* soft_bounce */
    {"soft_bounce = yes\nsmtpd_recipient_restrictions = reject", "client.test",
     "192.0.2.5", C_OK, "client.test", "a@example.com", "b@local.test",
     "454 4.7.1 <b@local.test>: Recipient address rejected: Access denied",
     NULL},
    /* permit_mx_backup: we are an MX (localhost is ours) */
    {"smtpd_relay_restrictions = permit_mx_backup, "
     "reject_unauth_destination",
     "client.test", "192.0.2.5", C_OK, "client.test", "a@example.com",
     "b@backup.example.net", NULL, NULL},
    {"smtpd_relay_restrictions = permit_mx_backup, "
     "reject_unauth_destination",
     "client.test", "192.0.2.5", C_OK, "client.test", "a@example.com",
     "b@example.com", "554 5.7.1 <b@example.com>: Relay access denied", NULL},
    /* DNS block lists: default_rbl_reply, the TXT reason, filters */
    {"smtpd_client_restrictions = reject_rbl_client zen.example.test",
     "client.test", "192.0.2.5", C_OK, "client.test", "a@example.com",
     "b@local.test",
     "554 5.7.1 Service unavailable; Client host [192.0.2.5] blocked using "
     "zen.example.test; listed for testing",
     NULL},
    {"smtpd_client_restrictions = reject_rbl_client zen.example.test",
     "client.test", "192.0.2.6", C_OK, "client.test", "a@example.com",
     "b@local.test",
     "554 5.7.1 Service unavailable; Client host [192.0.2.6] blocked using "
     "zen.example.test",
     NULL},
    {"smtpd_client_restrictions = reject_rbl_client "
     "zen.example.test=127.0.0.[2..9]",
     "client.test", "192.0.2.6", C_OK, "client.test", "a@example.com",
     "b@local.test", NULL, NULL},
    {"smtpd_client_restrictions = reject_rbl_client "
     "zen.example.test=127.0.0.[1;10]",
     "client.test", "192.0.2.6", C_OK, "client.test", "a@example.com",
     "b@local.test",
     "554 5.7.1 Service unavailable; Client host [192.0.2.6] blocked using "
     "zen.example.test",
     NULL},
    {"smtpd_client_restrictions = reject_rbl_client zen.example.test",
     "client.test", "192.0.2.7", C_OK, "client.test", "a@example.com",
     "b@local.test", NULL, NULL},
    {"maps_rbl_reject_code = 550\ndefault_rbl_reply = $rbl_code 5.7.9 "
     "$rbl_what is on ${rbl_domain}${rbl_reason?: $rbl_reason}\n"
     "smtpd_sender_restrictions = reject_rhsbl_sender dbl.example.test",
     "client.test", "192.0.2.5", C_OK, "client.test", "a@spam.example.net",
     "b@local.test", "550 5.7.9 a@spam.example.net is on dbl.example.test",
     NULL},
    {"smtpd_client_restrictions = permit_dnswl_client wl.example.test, "
     "reject",
     "client.test", "192.0.2.5", C_OK, "client.test", "a@example.com",
     "b@local.test", NULL, NULL},
    /* permit_inet_interfaces: inet_interfaces = loopback-only */
    {"smtpd_client_restrictions = permit_inet_interfaces, reject", "localhost",
     "127.0.0.1", C_OK, "client.test", "a@example.com", "b@local.test", NULL,
     NULL},
    {"smtpd_client_restrictions = permit_inet_interfaces, reject",
     "client.test", "192.0.2.5", C_OK, "client.test", "a@example.com",
     "b@local.test",
     "554 5.7.1 <client.test[192.0.2.5]>: Client host rejected: Access "
     "denied",
     NULL},
    /* reject_multi_recipient_bounce needs a second recipient: none here */
    {"smtpd_recipient_restrictions = reject_multi_recipient_bounce, "
     "reject_unauth_destination",
     "client.test", "192.0.2.5", C_OK, "client.test", "", "b@local.test", NULL,
     NULL},
};

static char dir[128];
static char logpath[200];

static void
write_conf(const char *extra)
{
    char path[256];
    FILE *f;

    snprintf(path, sizeof(path), "%s/main.cf", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f,
            "compatibility_level = 3.6\n"
            "myhostname = mx.local.test\n"
            "mydomain = local.test\n"
            "myorigin = local.test\n"
            "mydestination = local.test, localhost\n"
            "inet_interfaces = loopback-only\n"
            "mynetworks = 127.0.0.0/8\n"
            "local_recipient_maps =\n"
            "%s\n",
            extra);
    fclose(f);
}

static char *
slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    static char buf[65536];
    size_t n;

    if (f == NULL) {
        buf[0] = 0;
        return buf;
    }
    n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

/* run_case - the RCPT check of one case; 0 accepted, else the reply */
static int
run_case(const struct tcase *t, char *reply, size_t len)
{
    struct server srv;
    struct pcf *p;
    struct smtpd_conf *cf;
    struct smtpd_session *s;
    char *canon, *shown;
    int rc;

    write_conf(t->conf);
    p = pcf_load(dir);
    assert_non_null(p);
    memset(&srv, 0, sizeof(srv));
    srv.conf = p;
    cf = smtpd_conf_load(&srv);
    cf->dns = fake_dns;
    s = mem_calloc(1, sizeof(*s));
    s->cf = cf;
    queue_env_init(&s->env);
    snprintf(s->name, sizeof(s->name), "%s", t->name);
    snprintf(s->reverse_name, sizeof(s->reverse_name), "%s", t->name);
    snprintf(s->addr, sizeof(s->addr), "%s", t->addr);
    snprintf(s->namaddr, sizeof(s->namaddr), "%s[%s]", t->name, t->addr);
    s->name_status = s->reverse_status = t->name_status;
    s->in_mynetworks = maps_match_addr(cf->mynetworks, s->addr) == 1;
    s->helo = t->helo ? mem_strdup(t->helo) : NULL;
    s->esmtp = 1;
    s->sender = rewrite_canon(cf->rw, t->sender);
    queue_env_set(&s->env.sender, t->sender);
    canon = rewrite_canon(cf->rw, t->rcpt);
    shown = rewrite_unquote(t->rcpt);
    reply[0] = 0;
    rc = smtpd_check_rcpt(s, canon, shown, reply, len);
    mem_free(canon);
    mem_free(shown);
    return rc;
}

static void
test_table(void **state)
{
    (void) state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct tcase *t = &cases[i];
        char reply[1200];
        int rc;

        (void) truncate(logpath, 0);
        rc = run_case(t, reply, sizeof(reply));
        maillog_flush();
        if (t->reply == NULL && rc != 0)
            fail_msg("case %zu (%s): rejected: %s", i, t->conf, reply);
        if (t->reply && (rc == 0 || strcmp(reply, t->reply) != 0))
            fail_msg("case %zu (%s):\n  got  \"%s\"\n  want \"%s\"", i, t->conf,
                     rc ? reply : "(accepted)", t->reply);
        if (t->log && strstr(slurp(logpath), t->log) == NULL)
            fail_msg("case %zu (%s): log lacks \"%s\":\n%s", i, t->conf, t->log,
                     slurp(logpath));
    }
}

/* ---- the check-time lint ---- */
struct notes {
    char text[8192];
    int errors;
};

static void
collect(void *ctx, enum server_note_level level, const char *ns,
        const char *param, const char *text)
{
    struct notes *n = ctx;
    size_t len = strlen(n->text);

    if (level == SERVER_NOTE_ERROR)
        n->errors++;
    snprintf(n->text + len, sizeof(n->text) - len, "%d %s %s: %s\n", level,
             ns ? ns : "-", param, text);
}

static void
lint(const char *conf, struct notes *n)
{
    struct pcf *p;
    struct server_checker chk = {collect, n};

    memset(n, 0, sizeof(*n));
    write_conf(conf);
    p = pcf_load(dir);
    assert_non_null(p);
    smtpd_check_lint(p, NULL, &chk);
}

static void
test_lint(void **state)
{
    struct notes n;

    (void) state;
    lint("smtpd_recipient_restrictions = permit_mynetworks, "
         "reject_unauth_destination, REJECT_UNKNOWN_RECIPIENT_DOMAIN, "
         "reject_rbl_client zen.example.test=127.0.0.[2..11], "
         "reject_rhsbl_sender dbl.example.test",
         &n);
    if (n.errors != 0)
        fail_msg("%s", n.text);
    lint("smtpd_client_restrictions = reject_unverified_sender, "
         "bogus_name\nsmtpd_recipient_restrictions = reject_unauth_"
         "destination",
         &n);
    assert_int_equal(n.errors, 2);
    assert_non_null(strstr(n.text, "smtpd_client_restrictions: restriction "
                                   "reject_unverified_sender is not "
                                   "implemented"));
    assert_non_null(strstr(n.text, "unknown smtpd restriction \"bogus_name\""));
    /* $name expansion, classes, bare tables */
    lint("smtpd_restriction_classes = mine\nmine = reject_unverified_"
         "recipient\nmy_list = mine, hash:/etc/x\n"
         "smtpd_sender_restrictions = $my_list\n"
         "smtpd_data_restrictions = hash:/etc/y\n"
         "smtpd_recipient_restrictions = reject_unauth_destination",
         &n);
    assert_int_equal(n.errors, 2);
    assert_non_null(strstr(n.text, "mine: restriction reject_unverified_"
                                   "recipient is not implemented"));
    assert_non_null(strstr(n.text, "0 - smtpd_sender_restrictions: bare "
                                   "table hash:/etc/x: an implicit "
                                   "check_sender_access"));
    assert_non_null(strstr(n.text, "smtpd_data_restrictions: bare table "
                                   "hash:/etc/y"));
    lint("smtpd_helo_restrictions = check_helo_access\n"
         "smtpd_client_restrictions = sleep x\n"
         "smtpd_restriction_classes = empty\n"
         "smtpd_recipient_restrictions = reject_unauth_destination",
         &n);
    if (n.errors != 3)
        fail_msg("%s", n.text);
    assert_non_null(strstr(n.text, "needs a definition"));
    {
        /* actions Postern refuses, found in the table's file */
        char tbl[300], conf[700];
        FILE *f;

        snprintf(tbl, sizeof(tbl), "%s/access", dir);
        f = fopen(tbl, "w");
        assert_non_null(f);
        fprintf(f, "# comment\nok.test OK\nspam.test HOLD quarantine\n"
                   "x.test\tREDIRECT a@b.test\ny.test 550 go away\n"
                   "z.test reject_non_fqdn_sender, no_such_thing\n"
                   "w.test hash:/etc/postfix/more\n");
        fclose(f);
        snprintf(conf, sizeof(conf),
                 "smtpd_recipient_restrictions = reject_unauth_destination,"
                 " check_sender_access texthash:%s",
                 tbl);
        lint(conf, &n);
        if (n.errors != 4)
            fail_msg("%s", n.text);
        assert_non_null(strstr(n.text, "unknown smtpd restriction "
                                       "\"no_such_thing\""));
        assert_non_null(strstr(n.text, "line 7 has a lookup table"));
        assert_non_null(strstr(n.text, "line 3: action HOLD is not "
                                       "implemented by Postern"));
        assert_non_null(strstr(n.text, "line 4: action REDIRECT"));
    }
    {
        /* a service: only what its -o settings change */
        char path[300];
        FILE *f;
        struct pcf *p;
        struct server_checker chk = {collect, &n};

        write_conf("smtpd_client_restrictions = bogus_main\n"
                   "smtpd_recipient_restrictions = reject_unauth_destination");
        snprintf(path, sizeof(path), "%s/master.cf", dir);
        f = fopen(path, "w");
        assert_non_null(f);
        fprintf(f, "smtp inet n - n - - smtpd\n"
                   "submission inet n - n - - smtpd\n"
                   "  -o smtpd_helo_restrictions=bogus_o,permit\n");
        fclose(f);
        p = pcf_load(dir);
        assert_non_null(p);
        memset(&n, 0, sizeof(n));
        smtpd_check_lint(p, "submission/inet", &chk);
        if (n.errors != 1 || !strstr(n.text, "2 submission/inet "
                                             "smtpd_helo_restrictions: "
                                             "unknown smtpd restriction "
                                             "\"bogus_o\""))
            fail_msg("%s", n.text);
        unlink(path);
    }
}

/* test_lint_order - what a list cannot check at its stage, and what
 * follows a final action */
static void
test_lint_order(void **state)
{
    struct notes n;

    (void) state;
    lint("smtpd_delay_reject = no\nsmtpd_client_restrictions = "
         "permit_mynetworks, reject_unauth_destination\n"
         "smtpd_sender_restrictions = reject_non_fqdn_helo_hostname, "
         "reject_non_fqdn_sender\n"
         "smtpd_recipient_restrictions = reject_unauth_destination",
         &n);
    if (n.errors != 0 ||
        !strstr(n.text, "1 - smtpd_client_restrictions: "
                        "restriction reject_unauth_"
                        "destination has nothing to check "
                        "in this list with "
                        "smtpd_delay_reject = no (no "
                        "recipient yet)") ||
        strstr(n.text, "smtpd_sender_restrictions"))
        fail_msg("%s", n.text);
    lint("smtpd_recipient_restrictions = reject_unauth_destination, permit, "
         "reject\nunknown_address_tempfail_action = bounce",
         &n);
    assert_int_equal(n.errors, 1);
    assert_non_null(strstr(n.text, "restriction `reject' after `permit' is "
                                   "ignored"));
    assert_non_null(strstr(n.text, "bad configuration: "
                                   "unknown_address_tempfail_action = "
                                   "bounce"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_lint),
        cmocka_unit_test(test_lint_order),
    };
    int rc;

    snprintf(dir, sizeof(dir), "/tmp/smtpd_check_test.XXXXXX");
    if (mkdtemp(dir) == NULL)
        return 1;
    snprintf(logpath, sizeof(logpath), "%s/maillog", dir);
    maillog_open("postfix/smtpd", logpath, "mx.local.test");
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    if (util_rm_tree_at(AT_FDCWD, dir) < 0)
        rc = 1;
    return rc;
}
