/*
 * pickup_int - the maildrop file format, shared by sendmail and pickup.
 */
#ifndef PICKUP_PICKUP_INT_H
#define PICKUP_PICKUP_INT_H

#include <stddef.h>

#include "queue/queue.h"
#include "util/util.h"

/* pickup_file_encode - the header frame of a maildrop file into out */
void pickup_file_encode(struct buf *out, const struct queue_env *env,
                        const char *fullname);
/* pickup_file_decode - parse a maildrop file: envelope into env, full
 * name (caller frees), content offset; 0 or -1 */
int pickup_file_decode(const char *text, size_t len, struct queue_env *env,
                       char **fullname, size_t *content_off) WARN_UNUSED;

#endif
