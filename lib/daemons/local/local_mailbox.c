/*
 * local_mailbox - mailbox and file deliveries of the local delivery
 * agent, through lib/services/mailbox (shared with the virtual agent):
 * Maildir (written into tmp/ during the batch, fsynced and renamed into
 * new/ together at its end by mailbox_batch_finish) and mbox or /file
 * appends under mailbox_delivery_lock. What is local's own here is the
 * wording of its failures (Postfix local's "cannot update mailbox ...").
 */
#include <stdio.h>

#include "local/local_int.h"
#include "mailbox/mailbox.h"

/* local_maildir_start - write the file into tmp/; synced later by the batch */
void
local_maildir_start(struct local *lc, struct mailbox_batch *b,
                    struct deliver_req *req, struct deliver_rcpt *rc,
                    const char *dir, const char *to, const char *orig, long uid,
                    long gid, struct mailbox_result *res)
{
    mailbox_maildir_start(&lc->mb, b, req, rc, &lc->msg.content, dir, to, orig,
                          uid, gid, res);
}

/* local_mbox - append with locks; durable before return. file: a /file
 * destination, which may also be a character device (/dev/null) but
 * not an executable file (Postfix's deliver_file) */
void
local_mbox(struct local *lc, struct deliver_req *req, const char *path,
           const char *to, const char *orig, long uid, long gid,
           struct mailbox_result *res, const char *what, int file)
{
    char prefix[1400];

    snprintf(prefix, sizeof(prefix),
             "cannot update mailbox %.600s for user %.600s. ", path, to);
    mailbox_mbox(&lc->mb, req, &lc->msg.content, path, to, orig, uid, gid,
                 prefix, what, file, res);
}
