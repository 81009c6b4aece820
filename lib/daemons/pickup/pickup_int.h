/*
 * pickup_int - what sendmail, postdrop, postqueue and pickup share: the
 * maildrop file format, the address sanity check, the set-gid program
 * start-up and where the companion programs live.
 */
#ifndef PICKUP_PICKUP_INT_H
#define PICKUP_PICKUP_INT_H

#include <stddef.h>

#include "conf/conf.h"
#include "pickup/pickup.h"
#include "queue/queue.h"
#include "util/util.h"

struct pcf;

/* PICKUP_DEF_CONFIG_DIR - the default configuration directory, the only
 * one a set-gid program trusts without alternate_config_directories */
#define PICKUP_DEF_CONFIG_DIR CONF_DEF_CONFIG_DIR

/* the submission API (pickup_file_encode, pickup_addr_bad, ...) is in
 * pickup.h: sendmail and the queue tools (lib/tools/cli, lib/daemons/qmgr) use
 * it */

/* pickup_file_decode - parse a maildrop file: envelope into env, full
 * name (caller frees), content offset; 0 or -1. Addresses with control
 * characters (pickup_addr_bad) make the file malformed. */
int pickup_file_decode(const char *text, size_t len, struct queue_env *env,
                       char **fullname, size_t *content_off) WARN_UNUSED;

/* pickup_setgid_active - 1 when running with set-gid (AT_SECURE) */
int pickup_setgid_active(void);

/* non_smtpd_milters (pickup_milter.c): load gives NULL when there are
 * none; run plays one submission (env and content, the Received: line
 * included) and applies the edits: PICKUP_MILTER_OK (to cleanup),
 * _DONE (rejected or discarded: remove the file), _RETRY (keep it) */
#define PICKUP_MILTER_OK    0
#define PICKUP_MILTER_DONE  1
#define PICKUP_MILTER_RETRY 2
struct server;
struct buf;
struct pickup_milter;
struct pickup_milter *pickup_milter_load(struct server *srv, const char *host);
void pickup_milter_free(struct pickup_milter *pm);
int pickup_milter_run(struct pickup_milter *pm, const char *id,
                      struct queue_env *env, struct buf *content);

#endif
