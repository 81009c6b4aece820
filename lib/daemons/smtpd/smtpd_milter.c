/*
 * smtpd_milter - smtpd_milters: the hooks between smtpd's DATA/BDAT
 * and the milter module.
 *
 * DESCRIPTION
 *	With smtpd_milters set, the envelope and the content do not go
 *	to cleanup as they arrive: they are kept in memory until the end
 *	of data, played to the milters (milter_sess_content, in a thread), and
 *	only the edited message (or nothing: reject, tempfail, discard)
 *	goes to cleanup before the 250. A milter that cannot be talked to
 *	gives milter_default_action and its edits are undone, so the queue
 *	never holds a half-modified message.
 *
 *	The SMTP stages go to the milters as they happen, as Postfix's
 *	smtpd does (milter_sess, one connection per milter and session):
 *	CONNECT at the connection (a 5xx turns the greeting into "554 ...
 *	not accepting connections"), HELO, MAIL (its reply), each RCPT
 *	(its reply; a refused recipient is not added) and DATA (its reply). A
 *reject at CONNECT or HELO is logged there and answered at MAIL, every time, as
 *	Postfix does. RSET and the end of a transaction abort, the end of
 *	the session quits.
 *
 * BUGS
 *	With BDAT, DATA goes to the milters at the end of the message,
 *	with the content.
 */
#define _DEFAULT_SOURCE 1
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup/cleanup.h"
#include "maillog/maillog.h"
#include "milter/milter.h"
#include "server/server.h"
#include "smtpd/smtpd.h"
#include "smtpd/smtpd_int.h"

/* struct smtpd_milter - the settings (cf->milter) */
struct smtpd_milter {
    struct milter_conf mc;
    char *strs[12]; /* owned strings behind mc */
    char *daemon_name, *v;
    struct cleanup_hdr *hc; /* milter_header_checks, or NULL */
};

void
smtpd_milter_load(struct smtpd_conf *cf)
{
    struct smtpd_milter *sm;
    char *list = server_param(cf->srv, "smtpd_milters");

    cf->milter = NULL;
    /* receive_override_options = no_milters (a reinjection listener) */
    if (list == NULL || strspn(list, " \t,\n") == strlen(list) ||
        (smtpd_filter_flags(cf) & CLEANUP_FLAG_NO_MILTERS)) {
        mem_free(list);
        return;
    }
    sm = mem_calloc(1, sizeof(*sm));
    sm->mc.milters = sm->strs[0] = list;
    sm->mc.default_action = sm->strs[1] =
        server_param(cf->srv, "milter_default_action");
    if (!milter_default_ok(sm->mc.default_action)) {
        log_warn("bad milter_default_action value: %s; using tempfail",
                 sm->mc.default_action);
        sm->mc.default_action = "tempfail";
    }
    sm->mc.qdir = cf->queue_dir;
    sm->strs[9] = server_param(cf->srv, "milter_protocol");
    sm->mc.protocol = (int) strtol(sm->strs[9], NULL, 10);
    if (sm->mc.protocol < 2 || sm->mc.protocol > 6)
        sm->mc.protocol = 6;
    sm->mc.conn_timeout =
        (int) server_param_time(cf->srv, "milter_connect_timeout");
    sm->mc.cmd_timeout =
        (int) server_param_time(cf->srv, "milter_command_timeout");
    sm->mc.content_timeout =
        (int) server_param_time(cf->srv, "milter_content_timeout");
    sm->mc.macros[0] = sm->strs[2] =
        server_param(cf->srv, "milter_connect_macros");
    sm->mc.macros[1] = sm->strs[3] =
        server_param(cf->srv, "milter_helo_macros");
    sm->mc.macros[2] = sm->strs[4] =
        server_param(cf->srv, "milter_mail_macros");
    sm->mc.macros[3] = sm->strs[5] =
        server_param(cf->srv, "milter_rcpt_macros");
    sm->mc.macros[4] = sm->strs[6] =
        server_param(cf->srv, "milter_data_macros");
    sm->mc.macros[5] = sm->strs[7] =
        server_param(cf->srv, "milter_end_of_header_macros");
    sm->mc.macros[6] = sm->strs[8] =
        server_param(cf->srv, "milter_end_of_data_macros");
    sm->daemon_name = server_param(cf->srv, "milter_macro_daemon_name");
    sm->v = server_param(cf->srv, "milter_macro_v");
    {
        char *hc = server_param(cf->srv, "milter_header_checks");

        sm->hc = cleanup_hdr_new_checks("milter_header_checks", hc,
                                        "milter-header-");
        mem_free(hc);
    }
    cf->milter = sm;
}

/* smtpd_milter_env - instead of cleanup_client_env at DATA/BDAT */
int
smtpd_milter_env(struct smtpd_session *s)
{
    if (s->cf->milter == NULL)
        return cleanup_client_env(s->cc, &s->env, NULL);
    if (s->milter_data == NULL) {
        s->milter_data = mem_alloc(sizeof(*s->milter_data));
        buf_init(s->milter_data, 0);
    }
    buf_truncate(s->milter_data, 0);
    return 0;
}

/* smtpd_milter_data - instead of cleanup_client_data */
int
smtpd_milter_data(struct smtpd_session *s, const char *p, size_t n)
{
    if (s->cf->milter == NULL || s->milter_data == NULL)
        return cleanup_client_data(s->cc, p, n);
    return buf_append(s->milter_data, p, n);
}

/* struct job - one blocking milter call, in a thread */
struct job {
    struct smtpd_session *s;
    int st; /* MILTER_ST_*, or one of these: */
#define JOB_CONTENT 10
#define JOB_ABORT   11
#define JOB_QUIT    12
    const char *rcpt;
    struct milter_msg *m;
};

static void
job(void *arg)
{
    struct job *j = arg;
    struct smtpd_session *s = j->s;

    if (j->st == JOB_CONTENT)
        milter_sess_content(s->milter_sess, s->id, j->m);
    else if (j->st == JOB_ABORT)
        milter_sess_abort(s->milter_sess);
    else if (j->st == JOB_QUIT)
        milter_sess_free(s->milter_sess);
    else
        milter_sess_stage(s->milter_sess, s->id, j->m, j->st, j->rcpt);
}

/* run - one job (m may be NULL for abort and quit) */
static void
run(struct smtpd_session *s, int st, const char *rcpt, struct milter_msg *m)
{
    struct job j = {s, st, rcpt, m};

    (void) co_offload(job, &j);
}

void
smtpd_milter_reset(struct smtpd_session *s)
{
    if (s->milter_sess && (s->milter_flags & SMTPD_MILTER_INMSG))
        run(s, JOB_ABORT, NULL, NULL);
    s->milter_flags = 0;
    if (s->milter_data) {
        buf_fini(s->milter_data);
        mem_free(s->milter_data);
        s->milter_data = NULL;
    }
}

/* msg_fill - what the milters see of this session and transaction */
static void
msg_fill(struct smtpd_session *s, struct milter_msg *m)
{
    const struct smtpd_milter *sm = s->cf->milter;
    char under[400];

    m->client_name = s->name;
    m->client_addr = s->addr;
    m->client_port = (int) strtol(s->port, NULL, 10);
    m->helo = s->helo;
    mem_free(m->sender);
    m->sender = mem_strdup(s->env.sender ? s->env.sender : "");
    for (size_t i = 0; i < s->env.nrcpt; i++)
        strv_add(&m->rcpt, s->env.rcpt[i].addr);
    if (s->milter_data)
        (void) buf_append(&m->content, buf_str(s->milter_data),
                          s->milter_data->len);
    snprintf(under, sizeof(under), "%s [%s]", s->name, s->addr);
    milter_msg_macro(m, "j", s->cf->myhostname);
    milter_msg_macro(m, "_", under);
    milter_msg_macro(m, "{daemon_name}", sm->daemon_name);
    milter_msg_macro(m, "{daemon_addr}", s->server_addr);
    milter_msg_macro(m, "{daemon_port}", s->server_port);
    milter_msg_macro(m, "v", sm->v);
    milter_msg_macro(m, "{client_addr}", s->addr);
    milter_msg_macro(m, "{client_name}", s->name);
    milter_msg_macro(m, "{client_port}", s->port);
    milter_msg_macro(m, "{client_ptr}", s->reverse_name);
    if (s->id[0])
        milter_msg_macro(m, "i", s->id);
    if (s->sasl_username) {
        milter_msg_macro(m, "{auth_type}", s->sasl_method);
        milter_msg_macro(m, "{auth_authen}", s->sasl_username);
        milter_msg_macro(m, "{auth_author}", s->sasl_sender);
    }
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

/* env_apply - the milters' envelope edits into s->env */
static void
env_apply(struct smtpd_session *s, const struct milter_msg *m)
{
    struct queue_env env;
    char *sender = bare(m->sender);

    queue_env_set(&s->env.sender, sender);
    mem_free(sender);
    queue_env_init(&env);
    for (size_t i = 0; i < m->rcpt.n; i++) {
        char *a = bare(m->rcpt.v[i]);
        size_t k;

        for (k = 0; k < s->env.nrcpt; k++)
            if (strcmp(s->env.rcpt[k].addr, a) == 0)
                break;
        if (k < s->env.nrcpt)
            queue_env_add_rcpt(&env, a, s->env.rcpt[k].orig,
                               s->env.rcpt[k].orcpt, s->env.rcpt[k].notify);
        else
            queue_env_add_rcpt(&env, a, "", "", 0);
        mem_free(a);
    }
    /* swap the recipient lists */
    {
        size_t n = s->env.nrcpt;
        struct queue_rcpt *r = s->env.rcpt;

        s->env.nrcpt = env.nrcpt;
        s->env.rcpt = env.rcpt;
        env.nrcpt = n;
        env.rcpt = r;
    }
    queue_env_fini(&env);
}

/* log_verdict - Postfix's milter-reject/-discard/-hold line */
static void
log_verdict(struct smtpd_session *s, const char *action, const char *text)
{
    /* Postfix logs a milter's reply without its code: "5.7.1 text" */
    if (strlen(text) > 4 && text[3] == ' ' && strspn(text, "0123456789") == 3)
        text += 4;
    maillog_reject(s->id, action, "END-OF-MESSAGE", s->namaddr, text,
                   s->env.sender, s->env.nrcpt ? s->env.rcpt[0].addr : NULL,
                   smtpd_proto(s), s->helo);
}

/* header_checks - milter_header_checks on the headers the milters
 * added (orig: the sender before the milters' edits): 0 go on, -1
 * answered (rejected or discarded) */
static int
header_checks(struct smtpd_session *s, struct milter_msg *m, char *orig)
{
    char *reply = NULL, *sender = s->env.sender;
    int discard = 0, rej;

    if (s->cf->milter->hc == NULL || m->added.n == 0)
        return 0;
    snprintf(s->env.id, sizeof(s->env.id), "%s", s->id);
    /* logged with the sender as it was when the milter added them */
    s->env.sender = orig;
    rej = cleanup_milter_checks(s->cf->milter->hc, &s->env, &m->added,
                                &m->content, &reply, &discard);
    s->env.sender = sender;
    if (rej) {
        smtpd_io_printf(s->io, "%s", reply);
        mem_free(reply);
        return -1;
    }
    if (discard) {
        smtpd_io_printf(s->io, "250 2.0.0 Ok: queued as %s", s->id);
        return -1;
    }
    return 0;
}

/* shut_421 - a 421 (SMFIR_SHUTDOWN): said, and the session ends */
static int
shut_421(struct smtpd_session *s, const struct milter_msg *m)
{
    if (strncmp(m->reply, "421", 3) != 0 ||
        (m->verdict != MILTER_TEMPFAIL && m->verdict != MILTER_REJECT))
        return 0;
    smtpd_io_printf(s->io, "%s", m->reply);
    s->quit = 1;
    return 1;
}

/* smtpd_milter_end - instead of cleanup_client_end: the milters, then
 * the edited message to cleanup. A CLEANUP_STAT_* code, -1, or
 * SMTPD_MILTER_REPLIED (the reply is written) */
int
smtpd_milter_end(struct smtpd_session *s)
{
    struct milter_msg m;
    int st = SMTPD_MILTER_REPLIED, rc;
    char *orig;

    if (s->cf->milter == NULL || s->milter_data == NULL)
        return cleanup_client_end(s->cc);
    milter_msg_init(&m);
    msg_fill(s, &m);
    if (s->milter_sess == NULL) /* sendmail -bs: no connect stage */
        s->milter_sess = milter_sess_new(&s->cf->milter->mc);
    if (s->milter_flags & SMTPD_MILTER_DISCARD)
        m.verdict = MILTER_DISCARD; /* said at MAIL or RCPT */
    else
        run(s, JOB_CONTENT, NULL, &m);
    if (m.verdict == MILTER_ACCEPT && (s->milter_flags & SMTPD_MILTER_HOLD))
        m.verdict = MILTER_HOLD;
    switch (m.verdict) {
    case MILTER_REJECT:
    case MILTER_TEMPFAIL:
        log_verdict(s, "milter-reject", m.reply);
        if (!shut_421(s, &m))
            smtpd_io_printf(s->io, "%s", m.reply);
        break;
    case MILTER_DISCARD:
        log_verdict(s, "milter-discard", "milter triggers DISCARD action");
        smtpd_io_printf(s->io, "250 2.0.0 Ok: queued as %s", s->id);
        break;
    case MILTER_HOLD:
        log_verdict(s, "milter-hold",
                    m.why[0] ? m.why : "milter triggers HOLD action");
        s->env.flags |= QUEUE_F_HOLD;
        UTIL_FALLTHROUGH;
    default:
        orig = mem_strdup(s->env.sender ? s->env.sender : "");
        env_apply(s, &m);
        rc = header_checks(s, &m, orig);
        mem_free(orig);
        if (rc < 0)
            break; /* replied */
        if (s->env.nrcpt == 0) {
            smtpd_io_printf(s->io, "554 5.5.1 Error: no valid recipients");
            break;
        }
        st = -1;
        if (cleanup_client_env(s->cc, &s->env, NULL) == 0 &&
            cleanup_client_data(s->cc, buf_str(&m.content), m.content.len) == 0)
            st = cleanup_client_end(s->cc);
        break;
    }
    if (st == SMTPD_MILTER_REPLIED) /* nothing for cleanup to keep */
        cleanup_client_abort(s->cc);
    milter_msg_fini(&m);
    if (!(s->milter_flags & SMTPD_MILTER_DISCARD)) /* content: aborted */
        s->milter_flags &= ~SMTPD_MILTER_INMSG;
    smtpd_milter_reset(s);
    return st;
}

/* stage_log - Postfix's smtpd line for a milter's verdict at a stage:
 * the whole reply, "milter-discard"/"milter-hold" with their text */
static void
stage_log(struct smtpd_session *s, const char *stage,
          const struct milter_msg *m, const char *to)
{
    const char *action = "milter-reject", *text = m->reply;

    if (m->verdict == MILTER_DISCARD)
        action = "milter-discard", text = "milter triggers DISCARD action";
    else if (m->verdict == MILTER_HOLD)
        action = "milter-hold", text = "milter triggers HOLD action";
    maillog_reject(s->id[0] ? s->id : NULL, action, stage, s->namaddr, text,
                   s->have_mail || s->sender ? s->env.sender : NULL, to,
                   smtpd_proto(s), s->helo);
}

/* stage - one SMTP stage to the milters; the verdict in *m (filled) */
static void
stage(struct smtpd_session *s, int st, const char *rcpt, struct milter_msg *m)
{
    milter_msg_init(m);
    msg_fill(s, m);
    run(s, st, rcpt, m);
    if (m->verdict == MILTER_DISCARD)
        s->milter_flags |= SMTPD_MILTER_DISCARD;
    else if (m->verdict == MILTER_HOLD)
        s->milter_flags |= SMTPD_MILTER_HOLD;
}

int
smtpd_milter_connect(struct smtpd_session *s, int greeted)
{
    struct milter_msg m;
    int rc = 0;

    if (s->cf->milter == NULL)
        return 0;
    s->milter_sess = milter_sess_new(&s->cf->milter->mc);
    stage(s, MILTER_ST_CONNECT, NULL, &m);
    if (m.verdict != MILTER_ACCEPT)
        stage_log(s, "CONNECT", &m, NULL);
    if (strncmp(m.reply, "421", 3) == 0) {
        smtpd_io_printf(s->io, "%s", m.reply);
        rc = -1;
    } else if (m.verdict == MILTER_REJECT && !greeted) {
        /* Postfix: the client may go on, MAIL gets the reply */
        smtpd_io_printf(s->io, "554 %s ESMTP not accepting connections",
                        s->cf->myhostname);
        rc = 1;
    }
    milter_msg_fini(&m);
    return rc;
}

int
smtpd_milter_helo(struct smtpd_session *s, int ehlo)
{
    struct milter_msg m;
    int rc;

    if (s->milter_sess == NULL)
        return 0;
    stage(s, MILTER_ST_HELO, NULL, &m);
    if (m.verdict != MILTER_ACCEPT)
        stage_log(s, ehlo ? "EHLO" : "HELO", &m, NULL);
    rc = shut_421(s, &m) ? -1 : 0;
    milter_msg_fini(&m);
    return rc;
}

int
smtpd_milter_mail(struct smtpd_session *s)
{
    struct milter_msg m;
    int rc = 0;

    if (s->milter_sess == NULL)
        return 0;
    s->milter_flags |= SMTPD_MILTER_INMSG;
    stage(s, MILTER_ST_MAIL, NULL, &m);
    if (m.verdict != MILTER_ACCEPT)
        stage_log(s, "MAIL", &m, NULL);
    if (m.verdict == MILTER_REJECT || m.verdict == MILTER_TEMPFAIL) {
        if (!shut_421(s, &m))
            smtpd_io_printf(s->io, "%s", m.reply);
        run(s, JOB_ABORT, NULL, NULL);
        s->milter_flags = 0;
        rc = -1;
    }
    milter_msg_fini(&m);
    return rc;
}

int
smtpd_milter_rcpt(struct smtpd_session *s, const char *rcpt, const char *shown)
{
    struct milter_msg m;
    int rc = 0;

    if (s->milter_sess == NULL)
        return 0;
    stage(s, MILTER_ST_RCPT, rcpt, &m);
    if (m.verdict != MILTER_ACCEPT)
        stage_log(s, "RCPT", &m, shown);
    if (m.verdict == MILTER_REJECT || m.verdict == MILTER_TEMPFAIL) {
        if (!shut_421(s, &m))
            smtpd_io_printf(s->io, "%s", m.reply);
        rc = -1;
    }
    milter_msg_fini(&m);
    return rc;
}

int
smtpd_milter_data_cmd(struct smtpd_session *s)
{
    struct milter_msg m;
    int rc = 0;

    if (s->milter_sess == NULL)
        return 0;
    stage(s, MILTER_ST_DATA, NULL, &m);
    if (m.verdict != MILTER_ACCEPT)
        stage_log(s, "DATA", &m, s->last_rcpt);
    if (m.verdict == MILTER_REJECT || m.verdict == MILTER_TEMPFAIL) {
        if (!shut_421(s, &m))
            smtpd_io_printf(s->io, "%s", m.reply);
        run(s, JOB_ABORT, NULL, NULL);
        s->milter_flags &= ~SMTPD_MILTER_INMSG;
        smtpd_stat_count(s, "data", 0);
        rc = -1;
    }
    milter_msg_fini(&m);
    return rc;
}

void
smtpd_milter_disconnect(struct smtpd_session *s)
{
    if (s->milter_sess)
        run(s, JOB_QUIT, NULL, NULL);
    s->milter_sess = NULL;
}
