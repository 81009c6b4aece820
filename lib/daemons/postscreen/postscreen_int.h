/*
 * postscreen_int - shared by the files of lib/daemons/postscreen.
 */
#ifndef POSTSCREEN_POSTSCREEN_INT_H
#define POSTSCREEN_POSTSCREEN_INT_H

#include <sys/time.h>

#include <time.h>

#include "maps/maps.h"
#include "server/server.h"
#include "util/util.h"

/* postscreen_*_action values */
enum ps_act { PS_ACT_IGNORE, PS_ACT_ENFORCE, PS_ACT_DROP };

/* access list verdicts */
enum ps_access { PS_ACCESS_DUNNO, PS_ACCESS_PERMIT, PS_ACCESS_REJECT };

struct ps_dnsbl_req;

struct ps_conn {
    struct ps_conn *prev, *next; /* all connections */
    int fd;
    char addr[SERVER_ADDR_MAX];
    char port[8];
    struct timeval start;
    time_t deadline;
    int phase;     /* PS_PHASE_* */
    int noforward; /* a test failed: never hand off */
    char *reply;   /* enforce: the RCPT reply ("550 ...\r\n") */
    /* the early tests */
    int pregreet; /* the client spoke before its turn */
    struct ps_dnsbl_req *dq;
    int dnsbl_done;
    /* the dummy SMTP engine */
    char line[1024];
    size_t llen;
    int overflow;
    char *helo;
    char *sender;
    int mail;
    int ehlo;
    int cmds;
    /* the deep protocol tests (after the 220 greeting) */
    int early_pass; /* every test before the greeting passed */
    time_t until;   /* the allowlist expiry those tests earned */
    int deep_fail;  /* a deep test failed (also with "ignore") */
    int pipel_done; /* pipelining tested (once per session) */
    int barlf_done; /* bare newline tested */
    int nsmtp_done; /* non-SMTP command tested */
    char where[16]; /* the last command ("CONNECT" before any) */
    int passed;     /* PASS NEW logged */
};

#define PS_PHASE_EARLY 1 /* teaser sent, waiting for greet_wait / DNS */
#define PS_PHASE_SMTPD 2 /* the dummy SMTP engine */

struct ps_dnsbl;
struct ps_accessl;

struct ps {
    struct server *srv;
    int ep;
    int chan;
    char *teaser;   /* "220-banner\r\n", or NULL */
    char *greeting; /* "220 smtpd_banner\r\n" */
    char *host;     /* myhostname */
    long greet_wait;
    long timeout; /* postscreen_command_time_limit */
    long cache_ttl;
    enum ps_act greet_action, deny_action, dnsbl_action;
    /* deep protocol tests: on when postscreen_*_enable */
    int pipel_on, barlf_on, nsmtp_on;
    enum ps_act pipel_action, barlf_action, nsmtp_action;
    long pipel_ttl, barlf_ttl, nsmtp_ttl;
    struct maps_match *forbidden; /* postscreen_forbidden_commands */
    int respectful;
    struct ps_accessl *access;
    struct ps_dnsbl *dnsbl;
    struct htab *cache; /* addr -> expiry (time_t in a pointer) */
    struct ps_conn *conns;
    long nconn;
};

/* postscreen.c */
void postscreen_conn_close(struct ps *p, struct ps_conn *c);
void postscreen_handoff(struct ps *p, struct ps_conn *c);
void postscreen_cache_add(struct ps *p, const char *addr, time_t until);
void postscreen_drop(struct ps *p, struct ps_conn *c, const char *reply);
void postscreen_delta(const struct ps_conn *c, char *out, size_t len);
enum ps_act postscreen_action(struct server *srv, const char *name,
                              const char *value);

/* postscreen_smtpd.c - the dummy engine for clients that failed */
void postscreen_smtpd_start(struct ps *p, struct ps_conn *c);
void postscreen_smtpd_read(struct ps *p, struct ps_conn *c);

/* postscreen_access.c */
struct ps_accessl *postscreen_access_new(struct server *srv);
enum ps_access postscreen_access_check(struct ps_accessl *a, const char *addr);

/* postscreen_dnsbl.c - concurrent DNSBL queries in threads (the dnsblog
 * role); results arrive on postscreen_dnsbl_fd */
struct ps_dnsbl *postscreen_dnsbl_new(struct server *srv);
int postscreen_dnsbl_fd(const struct ps_dnsbl *d);
/* postscreen_dnsbl_request - start the queries for c; NULL without sites */
struct ps_dnsbl_req *postscreen_dnsbl_request(struct ps_dnsbl *d,
                                              struct ps_conn *c);
/* postscreen_dnsbl_event - a result: the connection whose queries are all done
 * (NULL when more are pending or its client left) */
struct ps_conn *postscreen_dnsbl_event(struct ps_dnsbl *d);
/* postscreen_dnsbl_score - the score of c's finished queries, name set to the
 * reply text of the site with the largest weight */
int postscreen_dnsbl_score(struct ps_dnsbl *d, struct ps_conn *c,
                           const char **name);
/* postscreen_dnsbl_release - c leaves: its pending queries are orphaned */
void postscreen_dnsbl_release(struct ps_conn *c);
int postscreen_dnsbl_threshold(const struct ps_dnsbl *d);
int postscreen_dnsbl_allow_threshold(const struct ps_dnsbl *d);

#endif
