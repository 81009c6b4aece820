/*
 * milter_sess - the milters of one session, stage by stage (milter.h):
 * connections opened at the first stage, a reject at CONNECT or HELO
 * remembered for the session, milter_default_action for a milter that
 * fails, the content with its edits undone when a milter fails.
 */
#define _DEFAULT_SOURCE 1
#include <stdio.h>
#include <stdlib.h>
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

static const char *stage_names[] = {"CONNECT", "HELO", "MAIL", "RCPT", "DATA"};

/* add_one - a milter of the list, with the list's settings */
static struct milter_one *
add_one(struct milter_sess *ss, const char *spec, size_t *cap)
{
    struct milter_one *o;

    if (ss->n == *cap) {
        *cap = *cap ? 2 * *cap : 4;
        ss->o = mem_realloc(ss->o, *cap * sizeof(*ss->o));
    }
    o = &ss->o[ss->n++];
    memset(o, 0, sizeof(*o));
    o->spec = spec;
    o->cf = *ss->cf;
    o->c.fd = -1;
    buf_init(&o->pkt, 0);
    buf_init(&o->body, 0);
    return o;
}

/* trim - s without leading and trailing blanks (in place) */
static char *
trim(char *s)
{
    size_t n;

    s += strspn(s, " \t\n");
    n = strlen(s);
    while (n && strchr(" \t\n", s[n - 1]))
        s[--n] = 0;
    return s;
}

/* seconds - a time value ("10s", "2m", "30"), or -1 */
static int
seconds(const char *v)
{
    char *end;
    long n = strtol(v, &end, 10);
    static const char units[] = "smhdw";
    static const long mult[] = {1, 60, 3600, 86400, 604800};
    const char *u;

    if (end == v || n < 0)
        return -1;
    if (*end == 0)
        return (int) n;
    if (end[1] != 0 || (u = strchr(units, *end)) == NULL)
        return -1;
    return (int) (n * mult[u - units]);
}

/* group - "{ spec, name=value, ... }" (braces removed, in place):
 * Postfix's per-milter settings */
static void
group(struct milter_sess *ss, char *g, size_t *cap)
{
    char *save = NULL, *t = strtok_r(g, ",", &save);
    struct milter_one *o;

    if (t == NULL || *(t = trim(t)) == 0) {
        log_warn("milter list: empty { } group");
        return;
    }
    o = add_one(ss, t, cap);
    while ((t = strtok_r(NULL, ",", &save)) != NULL) {
        char *eq = strchr(t, '='), *name, *v;
        int secs;

        if (eq == NULL) {
            log_warn("milter %s: bad setting \"%s\"", o->spec, trim(t));
            continue;
        }
        *eq = 0;
        name = trim(t);
        v = trim(eq + 1);
        secs = seconds(v);
        if (strcmp(name, "connect_timeout") == 0 && secs >= 0)
            o->cf.conn_timeout = secs;
        else if (strcmp(name, "command_timeout") == 0 && secs >= 0)
            o->cf.cmd_timeout = secs;
        else if (strcmp(name, "content_timeout") == 0 && secs >= 0)
            o->cf.content_timeout = secs;
        else if (strcmp(name, "default_action") == 0 && milter_default_ok(v))
            o->cf.default_action = v;
        else if (strcmp(name, "protocol") == 0 && strtol(v, NULL, 10) >= 2 &&
                 strtol(v, NULL, 10) <= 6)
            o->cf.protocol = (int) strtol(v, NULL, 10);
        else
            log_warn("milter %s: bad setting \"%s = %s\"", o->spec, name, v);
    }
}

struct milter_sess *
milter_sess_new(const struct milter_conf *cf)
{
    struct milter_sess *ss = mem_calloc(1, sizeof(*ss));
    size_t cap = 0;
    char *p;

    ss->cf = cf;
    ss->list = mem_strdup(cf->milters ? cf->milters : "");
    buf_init(&ss->d, 0);
    for (p = ss->list; *(p += strspn(p, " \t,\n"));) {
        if (*p == '{') {
            char *end = strchr(p, '}');

            if (end == NULL) {
                log_warn("milter list: missing '}' in \"%s\"", p);
                break;
            }
            *end = 0;
            group(ss, p + 1, &cap);
            p = end + 1;
        } else {
            size_t n = strcspn(p, " \t,\n");

            (void) add_one(ss, p, &cap);
            if (p[n] == 0)
                break;
            p[n] = 0;
            p += n + 1;
        }
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
        rc = open_one(&o->cf, o);
        if (rc == R_CONT)
            rc = milter_one_stage(&o->cf, o, m, st, rcpt, &ss->d);
        if (rc == R_FAIL) {
            fail(&o->cf, id, m, o, stage_names[st]);
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
        rc = open_one(&o->cf, o);
        if (rc == R_CONT)
            rc = milter_one_content(&o->cf, o, m, &ss->d);
        if (rc == R_FAIL) {
            snap_restore(&s, m);
            fail(&o->cf, id, m, o, "END-OF-MESSAGE");
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
            milter_conn_send(&o->c, SMFIC_ABORT, "", 0, o->cf.cmd_timeout) <
                0) {
            milter_conn_close(&o->c);
            o->open = 0;
        }
        o->in_msg = 0;
        o->data_sent = 0;
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
                                    o->cf.cmd_timeout);
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
