/*
 * local_int.h - what the files of the local delivery agent share
 * (local.c: setup, per-recipient dispatch, shared helpers;
 * local_expand.c: aliases, .forward, :include:, resubmission;
 * local_mailbox.c: Maildir, mbox and /file deliveries, locking;
 * local_command.c: |command deliveries; local_error.c: the error and
 * discard agents). Not for other modules.
 */
#ifndef LOCAL_LOCAL_INT_H
#define LOCAL_LOCAL_INT_H

#include <time.h>

#include "deliver/deliver.h"
#include "mailbox/mailbox.h"
#include "maps/maps.h"
#include "server/server.h"
#include "util/util.h"

/* nesting of aliases, .forward and :include: before a loop is declared */
#define MAX_DEPTH 20

/* where a |command or /file destination came from, as
 * allow_mail_to_commands and allow_mail_to_files name it */
#define EXP_ALIAS   1u
#define EXP_FORWARD 2u
#define EXP_INCLUDE 4u

/* delivery rights: uid 0 means root's, which commands and files trade
 * for default_privs; home and shell go to a command's environment */
struct who {
    long uid, gid;
    char home[512];
    char shell[128];
};

/* one table of alias_maps, with the rights of its owner */
struct alias_table {
    struct maps *m;
    struct who who;
    int owner_unknown; /* owner has no passwd entry: defer */
    long owner;
};

struct local {
    struct server *srv;
    struct alias_table *at;
    size_t nat;
    struct rewrite *rw;
    struct cleanup_client *cc;
    struct mailbox mb; /* Maildir and mbox writing, locks, rights */
    char *home_mailbox;
    char *cleanup_service; /* cleanup_service_name: forwarded mail */
    char *spool;
    char *delim;
    long cmd_time_limit; /* command_time_limit, seconds */
    int root;
    long default_uid, default_gid; /* default_privs */
    unsigned cmd_mask, file_mask;  /* allow_mail_to_commands, _files */
    char *cmd_filter;              /* command_expansion_filter */
    struct strv export_env;        /* export_environment: "NAME=value" */
    /* the hand-offs (local_handoff.c): "" when unset */
    char *mbox_transport;     /* mailbox_transport */
    char *mbox_command;       /* mailbox_command */
    char *fallback_transport; /* fallback_transport */
    char *luser_relay;        /* luser_relay */
    unsigned long counter;
    struct htab *users; /* getpwnam cache: name -> struct pwent */
    /* cached segment */
    struct deliver_content msg;
};

/* a getpwnam() answer, kept a few seconds (one lookup per batch) */
struct pwent {
    time_t when;
    int found;
    long uid, gid;
    char *name, *dir, *shell;
    time_t no_forward; /* .forward known absent at this time */
};

#define PW_TTL 10

/* local_prefix - Return-Path:, X-Original-To:, Delivered-To: into b */
void local_prefix(struct local *lc, struct buf *b,
                  const struct deliver_req *req, const char *orig,
                  const char *to);
/* local_deliver_ids - the ids a command or file delivery runs with:
 * never root's (default_privs instead) */
void local_deliver_ids(const struct local *lc, const struct who *w, long *uid,
                       long *gid);
/* local_command - deliver to |cmd (local_command.c) */
void local_command(struct local *lc, struct deliver_req *req, const char *cmd,
                   const char *to, const char *orig, const struct who *w,
                   struct mailbox_result *res);

/* local_handoff.c */
/* local_pass - addr (one recipient of req) to the transport of
 * "transport[:nexthop]", which delivers and logs it; 0 with its result
 * in r, or -1 with a deferral in r when it could not be reached (the
 * caller logs that) */
int local_pass(struct local *lc, struct deliver_req *req,
               const struct deliver_rcpt *rc, const char *addr,
               const char *orig, const char *service, struct mailbox_result *r);
/* local_luser_relay - an unknown user's mail to luser_relay, expanded */
void local_luser_relay(struct local *lc, struct mailbox_batch *b,
                       struct deliver_req *req, struct deliver_rcpt *rc,
                       const char *addr, const char *orig, int depth,
                       struct mailbox_result *acc, int *first);

/* local.c */
/* local_merge - fold r into acc: defer beats bounce beats sent */
void local_merge(struct mailbox_result *acc, const struct mailbox_result *r,
                 int *first);
/* local_become, local_unbecome - effective ids (root only) and back */
void local_become(struct local *lc, long uid, long gid);
void local_unbecome(struct local *lc);
/* local_who_set - rights of a passwd entry */
void local_who_set(struct who *w, long uid, long gid, const char *home,
                   const char *shell);
/* local_log_dest - the delivery line of one final destination */
void local_log_dest(struct deliver_req *req, const char *to, const char *orig,
                    const struct mailbox_result *r);
/* local_deliver_addr - one local address: alias, .forward, mailbox */
void local_deliver_addr(struct local *lc, struct mailbox_batch *b,
                        struct deliver_req *req, struct deliver_rcpt *rc,
                        const char *addr, const char *orig, int depth,
                        struct mailbox_result *acc, int *first);

/* local_expand.c */
/* local_expand - an alias, .forward or include value (exp: EXP_*) */
void local_expand(struct local *lc, struct mailbox_batch *b,
                  struct deliver_req *req, struct deliver_rcpt *rc,
                  const char *value, const char *self, const char *orig,
                  const struct who *w, unsigned exp, int depth,
                  struct mailbox_result *acc, int *first);
/* local_alias_find - key in the alias tables, in order; *at: the table */
enum maps_result local_alias_find(struct local *lc, const char *key,
                                  const char **value,
                                  const struct alias_table **at);
/* local_dot_forward - $HOME/.forward: 1 when expanded, 0: mailbox */
int local_dot_forward(struct local *lc, struct mailbox_batch *b,
                      struct deliver_req *req, struct deliver_rcpt *rc,
                      struct pwent *pw, const char *addr, const char *orig,
                      int depth, struct mailbox_result *acc, int *first);

/* local_mailbox.c */
/* local_maildir_start - write into tmp/; mailbox_batch_finish finishes */
void local_maildir_start(struct local *lc, struct mailbox_batch *b,
                         struct deliver_req *req, struct deliver_rcpt *rc,
                         const char *dir, const char *to, const char *orig,
                         long uid, long gid, struct mailbox_result *res);
/* local_mbox - append with locks, durable before return; file: a /file
 * destination (a character device allowed, an executable refused) */
void local_mbox(struct local *lc, struct deliver_req *req, const char *path,
                const char *to, const char *orig, long uid, long gid,
                struct mailbox_result *res, const char *what, int file);

#endif
