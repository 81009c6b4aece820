/*
 * local_int.h - what the files of the local delivery agent share
 * (local.c: requests, aliases, .forward, :include:, mailboxes;
 * local_command.c: |command deliveries). Not for other modules.
 */
#ifndef LOCAL_LOCAL_INT_H
#define LOCAL_LOCAL_INT_H

#include "deliver/deliver.h"
#include "server/server.h"
#include "util/util.h"

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
    char *home_mailbox;
    char *spool;
    char *delim;
    char *myhostname;
    int lock_fcntl, lock_dotlock, lock_flock;
    long cmd_time_limit;            /* command_time_limit, seconds */
    long lock_attempts, lock_delay; /* deliver_lock_attempts, _delay */
    int original_rcpt;
    int root;
    long default_uid, default_gid; /* default_privs */
    unsigned cmd_mask, file_mask;  /* allow_mail_to_commands, _files */
    char *cmd_filter;              /* command_expansion_filter */
    struct strv export_env;        /* export_environment: "NAME=value" */
    unsigned long counter;
    struct htab *dirs;  /* maildirs known to exist -> time checked */
    struct htab *users; /* getpwnam cache: name -> struct pwent */
    /* cached segment */
    struct deliver_content msg;
};

/* result of one destination */
struct dest_result {
    int status;
    char dsn[16];
    char text[600];
};

/* local_set_res - fill in a destination's result */
void local_set_res(struct dest_result *r, int status, const char *dsn,
                   const char *fmt, ...) UTIL_PRINTF(4, 5);
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
                   struct dest_result *res);

#endif
