/*
 * mailbox - durable Maildir and mbox deliveries, shared by the local and
 * virtual delivery agents.
 *
 * DESCRIPTION
 *	Maildir: mailbox_maildir_start() writes the message into tmp/
 *	under a name that is a function of the message and the recipient
 *	(<arrival>.<queue ID>_R<n>.<host>), and mailbox_batch_finish()
 *	starts the writeback of every file of the batch, fsyncs and
 *	renames each into new/, fsyncs each new/ directory once, and logs
 *	the deliveries: the delivery side's group commit. A delivery
 *	repeated after a crash (DELIVER_F_RETRY) finds its first copy in
 *	new/ and stops: exactly once.
 *
 *	mbox: mailbox_mbox() appends under the configured locks (dotlock,
 *	fcntl, flock; deliver_lock_attempts apart deliver_lock_delay),
 *	fsyncs before it reports success, and truncates a partial append.
 *
 *	Every file is opened without following a symlink, without blocking
 *	on a FIFO, and must be a regular file (an mbox with one link). As
 *	root, each delivery runs with the effective ids given, the gid the
 *	only supplementary group (util_set_eugid); as another user with its
 *	own.
 */
#ifndef MAILBOX_MAILBOX_H
#define MAILBOX_MAILBOX_H

#include <stddef.h>

#include "deliver/deliver.h"
#include "util/util.h"

/* the result of one destination */
struct mailbox_result {
    int status; /* DELIVER_* */
    char dsn[16];
    char text[600];
};

/* mailbox_set_res - fill in a destination's result */
void mailbox_set_res(struct mailbox_result *r, int status, const char *dsn,
                     const char *fmt, ...) UTIL_PRINTF(4, 5);

/* settings and caches of an agent's deliveries (embedded in the agent) */
struct mailbox {
    int root; /* switch effective ids per delivery */
    int lock_fcntl, lock_dotlock, lock_flock;
    long lock_attempts, lock_delay; /* deliver_lock_attempts, _delay (s) */
    int original_rcpt;              /* enable_original_recipient */
    long long size_limit;           /* bytes a file may reach; 0 none */
    char *myhostname;               /* owned */
    struct htab *dirs;              /* maildirs known to exist */
};

/* mailbox_init - defaults (no locks, no limit, root when euid 0);
 * mailbox_fini frees */
void mailbox_init(struct mailbox *mb, const char *myhostname);
void mailbox_fini(struct mailbox *mb);
/* mailbox_lock_methods - mailbox_delivery_lock / virtual_mailbox_lock
 * ("fcntl, dotlock", "flock"); 0, or -1 with the unknown word in *bad */
int mailbox_lock_methods(struct mailbox *mb, const char *value,
                         const char **bad) WARN_UNUSED;
/* mailbox_become, mailbox_unbecome - effective ids (root only) and back */
void mailbox_become(const struct mailbox *mb, long uid, long gid);
void mailbox_unbecome(const struct mailbox *mb);
/* mailbox_put_neutered - an envelope address, control characters as '?' */
void mailbox_put_neutered(struct buf *b, const char *s);
/* mailbox_prefix - Return-Path:, X-Original-To:, Delivered-To: into b
 * (emptied first) */
void mailbox_prefix(const struct mailbox *mb, struct buf *b,
                    const struct deliver_req *req, const char *orig,
                    const char *to);

/* mailbox_loop_check - 1 when content's header has a Delivered-To:
 * naming to (case-insensitive): a mail forwarding loop */
int mailbox_loop_check(const struct buf *content, const char *to);

/* a maildir file waiting for the batch sync */
struct mailbox_pending {
    int fd; /* -1 synced, -2 failed, -3 found from an earlier attempt */
    char tmp[1400];
    char new[1400];
    char dir[1100];
    struct deliver_req *req;
    struct deliver_rcpt *rc;
    char to[600];
    char orig_to[600];
    long uid, gid;
};

/* the maildir files of one batch of requests ({NULL, 0} to start) */
struct mailbox_batch {
    struct mailbox_pending *p;
    size_t n;
};

/* mailbox_maildir_start - write content into dir's tmp/ (dir with or
 * without its trailing '/'; tmp, new, cur made as uid:gid when missing);
 * res says SENT when the file waits for mailbox_batch_finish, else why
 * not. The pending entry keeps req and rc (borrowed until the finish). */
void mailbox_maildir_start(struct mailbox *mb, struct mailbox_batch *b,
                           struct deliver_req *req, struct deliver_rcpt *rc,
                           const struct buf *content, const char *dir,
                           const char *to, const char *orig, long uid, long gid,
                           struct mailbox_result *res);
/* mailbox_batch_finish - fsync every file of b, rename it into new/, sync
 * each new/ once; then log each delivery with relay (deliver_log) and
 * set a failed one's recipient result to a deferral. Frees b's entries. */
void mailbox_batch_finish(struct mailbox *mb, struct mailbox_batch *b,
                          const char *relay);

/* mailbox_mbox - append content to path as uid:gid (created 0600),
 * locked, fsynced before success (sent_text then). prefix starts every
 * failure text ("cannot update mailbox X for user Y. "). file: a /file
 * destination of local, which may be a character device but not an
 * executable file. size_limit applies to the whole file. */
void mailbox_mbox(struct mailbox *mb, struct deliver_req *req,
                  const struct buf *content, const char *path, const char *to,
                  const char *orig, long uid, long gid, const char *prefix,
                  const char *sent_text, int file, struct mailbox_result *res);

#endif
