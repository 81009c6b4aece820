/*
 * pipe_int - private declarations of lib/daemons/pipe (nothing outside
 * includes it): the command attributes and the argument expansion
 * (pipe_argv.c), shared with pipe.c and the unit test.
 */
#ifndef PIPE_PIPE_INT_H
#define PIPE_PIPE_INT_H

#include <sys/types.h>

#include <stddef.h>

#include "deliver/deliver.h"
#include "util/util.h"

/* flags= (Postfix's MAIL_COPY_* and PIPE_OPT_* letters) */
#define PIPE_F_BLANK     (1u << 0)  /* B: a blank line after the message */
#define PIPE_F_DELIVERED (1u << 1)  /* D: Delivered-To:, loop check */
#define PIPE_F_FROM      (1u << 2)  /* F: "From sender date" first */
#define PIPE_F_ORIG_RCPT (1u << 3)  /* O: X-Original-To: */
#define PIPE_F_RETURN    (1u << 4)  /* R: Return-Path: */
#define PIPE_F_FINAL     (1u << 5)  /* X: final delivery ("delivered") */
#define PIPE_F_FOLD_HOST (1u << 6)  /* h: fold domains to lower case */
#define PIPE_F_QUOTE     (1u << 7)  /* q: RFC 822 quote local parts */
#define PIPE_F_FOLD_USER (1u << 8)  /* u: fold local parts to lower case */
#define PIPE_F_DOT       (1u << 9)  /* .: "." before lines starting "." */
#define PIPE_F_GT        (1u << 10) /* >: ">" before lines "From " */

/* the command attributes of the master.cf entry */
struct pipe_attr {
    unsigned flags;
    char *user; /* user=name[:group], as written */
    uid_t uid;
    gid_t gid;
    char eol[16];            /* eol= unescaped; "\n" by default */
    char *null_sender;       /* null_sender=, "MAILER-DAEMON" by default */
    long size_limit;         /* size=, 0: none */
    char *directory;         /* directory=, NULL: the queue directory */
    const char *const *argv; /* argv=: the command and its arguments
                              * (borrowed; argv[0] with its "argv=") */
    char *argv0;             /* argv[0] itself */
};

/*
 * pipe_attr_parse - the attributes after the command in master.cf;
 * user names are looked up (getpwnam, getgrnam). 0, or -1 with
 * Postfix's words in err ("missing user= command-line attribute",
 * "unknown flag: x (ignored)", "user= command-line attribute specifies
 * root privileges"); owner_uid/owner_gid are mail_owner's, which user=
 * may not be either.
 */
int pipe_attr_parse(struct pipe_attr *a, const char *const *args,
                    long owner_uid, long owner_gid, const char *owner,
                    char *err, size_t errlen);
void pipe_attr_fini(struct pipe_attr *a);

/* what the macros of one request expand to, besides the recipients */
struct pipe_vars {
    const char *sender; /* the null sender already replaced */
    const char *nexthop;
    const char *queue_id;
    const char *delim; /* recipient_delimiter */
    char size[32];
    const char *client_address, *client_hostname, *client_helo,
        *client_protocol, *client_port;
    const char *sasl_method, *sasl_username, *sasl_sender;
};

/*
 * pipe_expand_argv - the command's arguments for req: each argument
 * that names a recipient macro (${recipient}, ${original_recipient},
 * ${user}, ${extension}, ${mailbox}, ${domain}) becomes one argument
 * per recipient, the others one argument; flags h, q and u applied as
 * Postfix applies them. 0, or -1 with the unknown macro's name in err
 * (Postfix: a configuration error).
 */
int pipe_expand_argv(const struct pipe_attr *a, const struct pipe_vars *v,
                     const struct deliver_req *req, struct strv *out, char *err,
                     size_t errlen);

/* pipe_unescape - eol='s C escapes (\a \b \f \n \r \t \v \ddd \\) */
void pipe_unescape(const char *in, char *out, size_t outlen);

/* pipe_quote_local - addr with its local part quoted as RFC 822 wants
 * when it has special characters (the q flag) */
void pipe_quote_local(const char *addr, struct buf *out);

/*
 * pipe_exit_reason - Postfix's verdict on a command that ended with
 * wait status ws and printed output (already made printable): status
 * (DELIVER_*), dsn and the reason text ("user unknown. Command output:
 * ..."). A non-zero exit whose output starts with an enhanced status
 * code takes that code and text.
 */
void pipe_exit_reason(int ws, const char *command, const char *output,
                      int *status, char dsn[16], struct buf *why);

#endif
