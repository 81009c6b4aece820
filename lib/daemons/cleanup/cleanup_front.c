/*
 * cleanup_front - a cleanup service that is not the queue writer
 *	(cleanup_service_name, issue 19).
 *
 * DESCRIPTION
 *	Postfix runs any number of cleanup services, each with its own
 *	-o settings (mailcow's and docker-mailserver's submission listeners
 *	name a "submission-header-cleanup" with header_checks of its own).
 *	Postern's queue has one writer (store/cleanup.lock: the group
 *	commit), the cleanup service that main.cf's cleanup_service_name
 *	names. Every other cleanup service is a front: it does all of a
 *	cleanup's work with its own settings (rewriting, virtual aliases,
 *	header and body checks, missing headers), then hands the finished
 *	message to the writer with CLEANUP_FLAG_PASSTHRU, which appends it
 *	as it is under the queue ID it gave the front. The front answers
 *	its client only after the writer's group commit: the 250 still
 *	means "on stable storage".
 */
#include <errno.h>
#include <string.h>

#include "cleanup/cleanup_int.h"
#include "maillog/maillog.h"
#include "pcf/pcf.h"
#include "server/server.h"

struct cleanup_front {
    char *writer;
};

struct cleanup_front *
cleanup_front_new(struct server *srv)
{
    struct cleanup_front *f;
    /* main.cf's value, not this service's -o: who the writer is */
    char *writer = pcf_value(srv->conf, "cleanup_service_name");

    if (writer == NULL || *writer == 0 || strcmp(writer, srv->service) == 0) {
        mem_free(writer);
        return NULL;
    }
    f = mem_calloc(1, sizeof(*f));
    f->writer = writer;
    log_info("queue writer: the %s service (this service, %s, passes "
             "finished messages to it)",
             writer, srv->service);
    return f;
}

void
cleanup_front_free(struct cleanup_front *f)
{
    if (f == NULL)
        return;
    mem_free(f->writer);
    mem_free(f);
}

int
cleanup_front_open(struct cleanup_front *f, struct cleanup_client **cc,
                   unsigned flags, char id[QUEUE_ID_SIZE])
{
    /* one writer connection per client of ours: their messages overlap */
    if (*cc == NULL)
        *cc = cleanup_client_new(f->writer, 300);
    if (cleanup_client_open(*cc, flags | CLEANUP_FLAG_PASSTHRU, id) < 0) {
        log_warn("connect to %s service: %s", f->writer, strerror(errno));
        return -1;
    }
    return 0;
}

int
cleanup_front_commit(struct cleanup_front *f, struct cleanup_client *cc,
                     const struct queue_env *env, const struct iovec *iov,
                     int n, char **reason)
{
    int st;

    if (cleanup_client_env(cc, env, NULL) < 0)
        return CLEANUP_STAT_WRITE;
    for (int i = 0; i < n; i++)
        if (cleanup_client_data(cc, iov[i].iov_base, iov[i].iov_len) < 0)
            return CLEANUP_STAT_WRITE;
    st = cleanup_client_end(cc);
    if (st < 0) {
        log_warn("%s: %s service: %s", env->id, f->writer,
                 "no reply to the end of the message");
        return CLEANUP_STAT_WRITE;
    }
    if (st == CLEANUP_STAT_CONT) {
        mem_free(*reason);
        *reason = mem_strdup(cleanup_client_text(cc));
    }
    return st;
}

void
cleanup_front_abort(struct cleanup_client *cc)
{
    if (cc)
        cleanup_client_abort(cc);
}
