/*
 * milter_sess - the milters of one session, stage by stage (milter.h):
 * connections opened at the first stage, a reject at CONNECT or HELO
 * remembered for the session, milter_default_action for a milter that
 * fails, the content with its edits undone when a milter fails.
 */
#define _DEFAULT_SOURCE 1
#include <stdio.h>
#include <string.h>

#include "milter/milter.h"
#include "milter/milter_int.h"

struct milter_sess {
    const struct milter_conf *cf;
    char *list; /* the specs point into it */
    struct milter_one *o;
    size_t n;
    struct buf d; /* a command's data */
};

static const char *stage_names[] = {"CONNECT", "HELO", "MAIL", "RCPT"};

struct milter_sess *
milter_sess_new(const struct milter_conf *cf)
{
    struct milter_sess *ss = mem_calloc(1, sizeof(*ss));
    char *save = NULL;
    size_t cap = 0;

    ss->cf = cf;
    ss->list = mem_strdup(cf->milters ? cf->milters : "");
    buf_init(&ss->d, 0);
    for (char *t = strtok_r(ss->list, " \t,\n", &save); t;
         t = strtok_r(NULL, " \t,\n", &save)) {
        if (t[0] == '{')
            continue; /* per-milter settings: not supported (see BUGS) */
        if (ss->n == cap) {
            cap = cap ? 2 * cap : 4;
            ss->o = mem_realloc(ss->o, cap * sizeof(*ss->o));
        }
        memset(&ss->o[ss->n], 0, sizeof(ss->o[0]));
        ss->o[ss->n].spec = t;
        ss->o[ss->n].c.fd = -1;
        buf_init(&ss->o[ss->n].pkt, 0);
        buf_init(&ss->o[ss->n].body, 0);
        ss->n++;
    }
    return ss;
}

/* fail - milter_default_action for a milter that failed at stage: the
 * verdict in m, and for the rest of the session in o */
static void
fail(const struct milter_conf *cf, const char *id, struct milter_msg *m,
     struct milter_one *o, const char *stage)
{
    const char *a = cf->default_action ? cf->default_action : "tempfail";

    log_warn("%s: milter %s: %s", id && *id ? id : "NOQUEUE", o->spec,
             o->c.err);
    milter_conn_close(&o->c);
    o->open = 0;
    o->dead = 1;
    snprintf(m->stage, sizeof(m->stage), "%s", stage);
    if (strcmp(a, "accept") == 0) {
        m->verdict = MILTER_ACCEPT;
    } else if (strcmp(a, "reject") == 0) {
        m->verdict = MILTER_REJECT;
        snprintf(m->reply, sizeof(m->reply), "550 5.5.0 Service unavailable");
    } else if (strcmp(a, "quarantine") == 0) {
        m->verdict = MILTER_HOLD;
        snprintf(m->why, sizeof(m->why), "milter triggers HOLD action");
    } else {
        m->verdict = MILTER_TEMPFAIL;
        /* Postfix's milter8 reply for a milter it cannot talk to */
        snprintf(m->reply, sizeof(m->reply),
                 "451 4.7.1 Service unavailable - try again later");
    }
    if (m->verdict == MILTER_REJECT || m->verdict == MILTER_TEMPFAIL) {
        o->rej = m->verdict;
        snprintf(o->rej_reply, sizeof(o->rej_reply), "%s", m->reply);
    }
}

/* open_one - connect and negotiate, once per session */
static int
open_one(const struct milter_conf *cf, struct milter_one *o)
{
    if (o->open)
        return R_CONT;
    if (milter_conn_open(&o->c, o->spec, cf->qdir, cf->conn_timeout) < 0)
        return R_FAIL;
    o->open = 1;
    return milter_one_negotiate(cf, o);
}

/* skipped - a milter with nothing more to say in this transaction */
static int
skipped(const struct milter_one *o)
{
    return o->dead || o->done_conn || o->accepted;
}

void
milter_sess_stage(struct milter_sess *ss, const char *id, struct milter_msg *m,
                  int st, const char *rcpt)
{
    const struct milter_conf *cf = ss->cf;

    m->verdict = MILTER_ACCEPT;
    m->reply[0] = 0;
    for (size_t i = 0; i < ss->n; i++) {
        struct milter_one *o = &ss->o[i];
        int rc;

        if (o->rej) {
            /* refused at CONNECT/HELO (or failed): the same verdict */
            m->verdict = o->rej;
            snprintf(m->reply, sizeof(m->reply), "%s", o->rej_reply);
            snprintf(m->stage, sizeof(m->stage), "%s", stage_names[st]);
            break;
        }
        if (skipped(o))
            continue;
        rc = open_one(cf, o);
        if (rc == R_CONT)
            rc = milter_one_stage(cf, o, m, st, rcpt, &ss->d);
        if (rc == R_FAIL) {
            fail(cf, id, m, o, stage_names[st]);
        } else if (o->accepted && st <= MILTER_ST_HELO) {
            o->done_conn = 1; /* SMFIR_ACCEPT before MAIL: the session */
        } else if (m->verdict != MILTER_ACCEPT && st <= MILTER_ST_HELO &&
                   (m->verdict == MILTER_REJECT ||
                    m->verdict == MILTER_TEMPFAIL)) {
            o->rej = m->verdict;
            snprintf(o->rej_reply, sizeof(o->rej_reply), "%s", m->reply);
        }
        if (m->verdict != MILTER_ACCEPT && m->verdict != MILTER_HOLD)
            break;
    }
}

/* snapshot of the message before one milter, to undo a failed one */
struct snap {
    size_t nadded;
    char *sender;
    struct strv rcpt;
    struct buf content;
};

static void
snap_take(struct snap *s, const struct milter_msg *m)
{
    s->nadded = m->added.n;
    s->sender = mem_strdup(m->sender);
    strv_init(&s->rcpt);
    for (size_t i = 0; i < m->rcpt.n; i++)
        strv_add(&s->rcpt, m->rcpt.v[i]);
    buf_init(&s->content, 0);
    (void) buf_append(&s->content, buf_str(&m->content), m->content.len);
}

static void
snap_restore(struct snap *s, struct milter_msg *m)
{
    while (m->added.n > s->nadded)
        mem_free(m->added.v[--m->added.n]), m->added.v[m->added.n] = NULL;
    mem_free(m->sender);
    m->sender = s->sender;
    strv_fini(&m->rcpt);
    m->rcpt = s->rcpt;
    buf_fini(&m->content);
    m->content = s->content;
}

static void
snap_drop(struct snap *s)
{
    mem_free(s->sender);
    strv_fini(&s->rcpt);
    buf_fini(&s->content);
}

void
milter_sess_content(struct milter_sess *ss, const char *id,
                    struct milter_msg *m)
{
    const struct milter_conf *cf = ss->cf;
    int hold = 0;

    m->verdict = MILTER_ACCEPT;
    for (size_t i = 0; i < ss->n; i++) {
        struct milter_one *o = &ss->o[i];
        struct snap s;
        int rc;

        if (o->rej) {
            m->verdict = o->rej;
            snprintf(m->reply, sizeof(m->reply), "%s", o->rej_reply);
            snprintf(m->stage, sizeof(m->stage), "END-OF-MESSAGE");
            break;
        }
        if (skipped(o))
            continue;
        snap_take(&s, m);
        rc = open_one(cf, o);
        if (rc == R_CONT)
            rc = milter_one_content(cf, o, m, &ss->d);
        if (rc == R_FAIL) {
            snap_restore(&s, m);
            fail(cf, id, m, o, "END-OF-MESSAGE");
        } else {
            snap_drop(&s);
        }
        if (m->verdict == MILTER_HOLD) {
            hold = 1;
            m->verdict = MILTER_ACCEPT;
        }
        if (m->verdict != MILTER_ACCEPT)
            break;
    }
    if (hold && m->verdict == MILTER_ACCEPT)
        m->verdict = MILTER_HOLD;
    milter_sess_abort(ss);
}

void
milter_sess_abort(struct milter_sess *ss)
{
    for (size_t i = 0; ss && i < ss->n; i++) {
        struct milter_one *o = &ss->o[i];

        if (o->open && o->in_msg &&
            milter_conn_send(&o->c, SMFIC_ABORT, "", 0, ss->cf->cmd_timeout) <
                0) {
            milter_conn_close(&o->c);
            o->open = 0;
        }
        o->in_msg = 0;
        o->accepted = 0;
        o->skip = 0;
    }
}

void
milter_sess_free(struct milter_sess *ss)
{
    if (ss == NULL)
        return;
    for (size_t i = 0; i < ss->n; i++) {
        struct milter_one *o = &ss->o[i];

        if (o->open) {
            (void) milter_conn_send(&o->c, SMFIC_QUIT, "", 0,
                                    ss->cf->cmd_timeout);
            milter_conn_close(&o->c);
        }
        buf_fini(&o->pkt);
        buf_fini(&o->body);
    }
    mem_free(ss->o);
    mem_free(ss->list);
    buf_fini(&ss->d);
    mem_free(ss);
}
