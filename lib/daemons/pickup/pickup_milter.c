/*
 * pickup_milter - non_smtpd_milters: a local submission (sendmail,
 * postdrop) played to the milters before it goes to cleanup.
 *
 * DESCRIPTION
 *	As Postfix's cleanup does for mail that did not come over SMTP,
 *	the milters get CONNECT from localhost [127.0.0.1], HELO
 *	localhost, MAIL and each RCPT (a milter may not refuse one
 *	recipient here: the message is deferred, with Postfix's two
 *	warnings), then the content with Postfix's macros. The edits go
 *	into the envelope and content that pickup hands to cleanup; a
 *	reject or discard removes the maildrop file (logged as Postfix's
 *	milter-reject / milter-discard lines), a tempfail or a failed
 *	milter with milter_default_action = tempfail leaves it for the
 *	next scan, quarantine puts the message on hold.
 *
 * BUGS
 *	A rejected local submission is not returned to its sender (Postfix
 *	bounces it); the same holds for header_checks REJECT in pickup.
 */
#define _DEFAULT_SOURCE 1
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup/cleanup.h"
#include "maillog/maillog.h"
#include "milter/milter.h"
#include "pickup/pickup_int.h"
#include "server/server.h"

/* struct pickup_milter - the non_smtpd_milters settings */
struct pickup_milter {
    struct milter_conf mc;
    char *strs[12]; /* owned strings behind mc */
    char *daemon_name, *v, *host;
    struct cleanup_hdr *hc; /* milter_header_checks, or NULL */
};

struct pickup_milter *
pickup_milter_load(struct server *srv, const char *host)
{
    struct pickup_milter *pm;
    char *list = server_param(srv, "non_smtpd_milters");

    if (list == NULL || strspn(list, " \t,\n") == strlen(list)) {
        mem_free(list);
        return NULL;
    }
    pm = mem_calloc(1, sizeof(*pm));
    pm->mc.milters = pm->strs[0] = list;
    pm->mc.default_action = pm->strs[1] =
        server_param(srv, "milter_default_action");
    if (!milter_default_ok(pm->mc.default_action)) {
        log_warn("bad milter_default_action value: %s; using tempfail",
                 pm->mc.default_action);
        pm->mc.default_action = "tempfail";
    }
    pm->mc.qdir = ".";
    pm->strs[9] = server_param(srv, "milter_protocol");
    pm->mc.protocol = (int) strtol(pm->strs[9], NULL, 10);
    if (pm->mc.protocol < 2 || pm->mc.protocol > 6)
        pm->mc.protocol = 6;
    pm->mc.conn_timeout =
        (int) server_param_time(srv, "milter_connect_timeout");
    pm->mc.cmd_timeout = (int) server_param_time(srv, "milter_command_timeout");
    pm->mc.content_timeout =
        (int) server_param_time(srv, "milter_content_timeout");
    pm->mc.macros[0] = pm->strs[2] = server_param(srv, "milter_connect_macros");
    pm->mc.macros[1] = pm->strs[3] = server_param(srv, "milter_helo_macros");
    pm->mc.macros[2] = pm->strs[4] = server_param(srv, "milter_mail_macros");
    pm->mc.macros[3] = pm->strs[5] = server_param(srv, "milter_rcpt_macros");
    pm->mc.macros[4] = pm->strs[6] = server_param(srv, "milter_data_macros");
    pm->mc.macros[5] = pm->strs[7] =
        server_param(srv, "milter_end_of_header_macros");
    pm->mc.macros[6] = pm->strs[8] =
        server_param(srv, "milter_end_of_data_macros");
    pm->daemon_name = server_param(srv, "milter_macro_daemon_name");
    pm->v = server_param(srv, "milter_macro_v");
    pm->host = mem_strdup(host);
    {
        char *hc = server_param(srv, "milter_header_checks");

        pm->hc = cleanup_hdr_new_checks("milter_header_checks", hc,
                                        "milter-header-");
        mem_free(hc);
    }
    return pm;
}

void
pickup_milter_free(struct pickup_milter *pm)
{
    if (pm == NULL)
        return;
    for (size_t i = 0; i < sizeof(pm->strs) / sizeof(pm->strs[0]); i++)
        mem_free(pm->strs[i]);
    mem_free(pm->daemon_name);
    mem_free(pm->v);
    mem_free(pm->host);
    cleanup_hdr_free(pm->hc);
    mem_free(pm);
}

/* bare - addr without the <> a milter may have put around it (copy) */
static char *
bare(const char *addr)
{
    size_t n = strlen(addr);

    if (n >= 2 && addr[0] == '<' && addr[n - 1] == '>')
        return mem_strndup(addr + 1, n - 2);
    return mem_strdup(addr);
}

/* env_apply - the milters' envelope edits into env */
static void
env_apply(struct queue_env *env, const struct milter_msg *m)
{
    struct queue_env nenv;
    char *sender = bare(m->sender);

    queue_env_set(&env->sender, sender);
    mem_free(sender);
    queue_env_init(&nenv);
    for (size_t i = 0; i < m->rcpt.n; i++) {
        char *a = bare(m->rcpt.v[i]);
        size_t k;

        for (k = 0; k < env->nrcpt; k++)
            if (strcmp(env->rcpt[k].addr, a) == 0)
                break;
        if (k < env->nrcpt)
            queue_env_add_rcpt(&nenv, a, env->rcpt[k].orig, env->rcpt[k].orcpt,
                               env->rcpt[k].notify);
        else
            queue_env_add_rcpt(&nenv, a, "", "", 0);
        mem_free(a);
    }
    {
        size_t n = env->nrcpt;
        struct queue_rcpt *r = env->rcpt;

        env->nrcpt = nenv.nrcpt;
        env->rcpt = nenv.rcpt;
        nenv.nrcpt = n;
        nenv.rcpt = r;
    }
    queue_env_fini(&nenv);
}

/* log_verdict - cleanup's milter line for a local submission */
static void
log_verdict(const char *id, const char *action, const struct milter_msg *m,
            const struct queue_env *env, const char *text)
{
    /* Postfix logs a milter's reply without its code: "5.7.1 text" */
    if (strlen(text) > 4 && text[3] == ' ' && strspn(text, "0123456789") == 3)
        text += 4;
    maillog_reject(id, action, m->stage, "localhost[127.0.0.1]", text,
                   env->sender, env->nrcpt ? env->rcpt[0].addr : NULL, "local",
                   "localhost");
}

/* rcpt_refused - a RCPT verdict: Postfix defers the whole submission */
static int
rcpt_refused(const char *id, struct milter_msg *m, const char *rcpt,
             const struct queue_env *env)
{
    const char *text = m->reply;

    if (strcmp(m->stage, "RCPT") != 0 ||
        (m->verdict != MILTER_REJECT && m->verdict != MILTER_TEMPFAIL))
        return 0;
    if (strlen(text) > 4 && text[3] == ' ' && strspn(text, "0123456789") == 3)
        text += 4;
    maillog_reject(id, "milter-reject", "RCPT", "localhost[127.0.0.1]", text,
                   env->sender, rcpt, NULL, NULL);
    log_warn("%s: milter configuration error: can't reject recipient in "
             "non-smtpd(8) submission",
             id);
    log_warn("%s: message not accepted, try again later", id);
    return 1;
}

/* header_checks - milter_header_checks on the headers the milters
 * added (logged by the checks): PICKUP_MILTER_* */
static int
header_checks(struct pickup_milter *pm, const char *id, struct queue_env *env,
              struct milter_msg *m, char *orig)
{
    char *reply = NULL, *sender = env->sender;
    int discard = 0, rc = PICKUP_MILTER_OK, rej;

    if (pm->hc == NULL || m->added.n == 0)
        return rc;
    snprintf(env->id, sizeof(env->id), "%s", id);
    env->sender = orig; /* logged as it was when the header came */
    rej = cleanup_milter_checks(pm->hc, env, &m->added, &m->content, &reply,
                                &discard);
    env->sender = sender;
    if (rej)
        rc = reply[0] == '4' ? PICKUP_MILTER_RETRY : PICKUP_MILTER_DONE;
    else if (discard)
        rc = PICKUP_MILTER_DONE;
    mem_free(reply);
    return rc;
}

int
pickup_milter_run(struct pickup_milter *pm, const char *id,
                  struct queue_env *env, struct buf *content)
{
    struct milter_msg m;
    struct milter_sess *ss;
    int rc = PICKUP_MILTER_OK;
    size_t nr = 0;

    milter_msg_init(&m);
    m.local = 1;
    m.client_name = "localhost";
    m.client_addr = "127.0.0.1";
    m.client_port = 0;
    m.helo = "localhost";
    mem_free(m.sender);
    m.sender = mem_strdup(env->sender ? env->sender : "");
    for (size_t i = 0; i < env->nrcpt; i++)
        strv_add(&m.rcpt, env->rcpt[i].addr);
    (void) buf_append(&m.content, buf_str(content), content->len);
    milter_msg_macro(&m, "j", pm->host);
    milter_msg_macro(&m, "_", "localhost [127.0.0.1]");
    milter_msg_macro(&m, "{daemon_name}", pm->daemon_name);
    milter_msg_macro(&m, "v", pm->v);
    milter_msg_macro(&m, "{client_addr}", "127.0.0.1");
    milter_msg_macro(&m, "{client_name}", "localhost");
    milter_msg_macro(&m, "i", id);
    ss = milter_sess_new(&pm->mc);
    milter_sess_stage(ss, id, &m, MILTER_ST_CONNECT, NULL);
    if (m.verdict == MILTER_ACCEPT)
        milter_sess_stage(ss, id, &m, MILTER_ST_HELO, NULL);
    if (m.verdict == MILTER_ACCEPT)
        milter_sess_stage(ss, id, &m, MILTER_ST_MAIL, NULL);
    for (; m.verdict == MILTER_ACCEPT && nr < m.rcpt.n; nr++)
        milter_sess_stage(ss, id, &m, MILTER_ST_RCPT, m.rcpt.v[nr]);
    if (m.verdict == MILTER_ACCEPT)
        milter_sess_content(ss, id, &m);
    milter_sess_free(ss);
    if (rcpt_refused(id, &m, nr ? m.rcpt.v[nr - 1] : "", env)) {
        rc = PICKUP_MILTER_RETRY;
    } else if (m.verdict == MILTER_REJECT) {
        log_verdict(id, "milter-reject", &m, env, m.reply);
        rc = PICKUP_MILTER_DONE;
    } else if (m.verdict == MILTER_TEMPFAIL) {
        log_verdict(id, "milter-reject", &m, env, m.reply);
        rc = PICKUP_MILTER_RETRY;
    } else if (m.verdict == MILTER_DISCARD) {
        log_verdict(id, "milter-discard", &m, env,
                    "milter triggers DISCARD action");
        rc = PICKUP_MILTER_DONE;
    } else {
        if (m.verdict == MILTER_HOLD) {
            log_verdict(id, "milter-hold", &m, env,
                        m.why[0] ? m.why : "milter triggers HOLD action");
            env->flags |= QUEUE_F_HOLD;
        }
        char *orig = mem_strdup(env->sender ? env->sender : "");

        env_apply(env, &m);
        rc = header_checks(pm, id, env, &m, orig);
        mem_free(orig);
        buf_truncate(content, 0);
        (void) buf_append(content, buf_str(&m.content), m.content.len);
    }
    milter_msg_fini(&m);
    return rc;
}
