/*
 * milter - one message played to each milter: negotiation, the SMTP
 * stages with their macros, the content, end of message and its
 * modification actions (see milter.h).
 */
#define _DEFAULT_SOURCE 1
#include "milter/milter.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "milter/milter_int.h"

/* what we offer: every action of protocol 6, every step may be skipped
 * or left unanswered */
#define OUR_ACTIONS                                                         \
    (SMFIF_ADDHDRS | SMFIF_CHGBODY | SMFIF_ADDRCPT | SMFIF_DELRCPT |        \
     SMFIF_CHGHDRS | SMFIF_QUARANTINE | SMFIF_CHGFROM | SMFIF_ADDRCPT_PAR | \
     SMFIF_SETSYMLIST)
#define OUR_STEPS                                                    \
    (SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NOMAIL | SMFIP_NORCPT |  \
     SMFIP_NOBODY | SMFIP_NOHDRS | SMFIP_NOEOH | SMFIP_NR_HDR |      \
     SMFIP_NOUNKNOWN | SMFIP_NODATA | SMFIP_SKIP | SMFIP_NR_CONN |   \
     SMFIP_NR_HELO | SMFIP_NR_MAIL | SMFIP_NR_RCPT | SMFIP_NR_DATA | \
     SMFIP_NR_UNKN | SMFIP_NR_EOH | SMFIP_NR_BODY)

void
milter_msg_init(struct milter_msg *m)
{
    memset(m, 0, sizeof(*m));
    strv_init(&m->macros);
    strv_init(&m->rcpt);
    strv_init(&m->added);
    buf_init(&m->content, 0);
    m->sender = mem_strdup("");
}

void
milter_msg_fini(struct milter_msg *m)
{
    strv_fini(&m->macros);
    strv_fini(&m->rcpt);
    strv_fini(&m->added);
    buf_fini(&m->content);
    mem_free(m->sender);
}

void
milter_msg_macro(struct milter_msg *m, const char *name, const char *value)
{
    struct buf b;

    if (value == NULL)
        return;
    buf_init(&b, 0);
    (void) buf_printf(&b, "%s=%s", name, value);
    strv_adopt(&m->macros, buf_steal(&b));
}

int
milter_default_ok(const char *s)
{
    return strcmp(s, "accept") == 0 || strcmp(s, "reject") == 0 ||
           strcmp(s, "tempfail") == 0 || strcmp(s, "quarantine") == 0;
}

/* macro_value - a macro's value for this stage, or NULL */
static const char *
macro_value(const struct milter_msg *m, const char *name, const char *rcpt)
{
    size_t n = strlen(name);

    if (strcmp(name, "{mail_addr}") == 0)
        return m->sender;
    if (rcpt && strcmp(name, "{rcpt_addr}") == 0)
        return rcpt;
    for (size_t i = m->macros.n; i-- > 0;)
        if (strncmp(m->macros.v[i], name, n) == 0 && m->macros.v[i][n] == '=')
            return m->macros.v[i] + n + 1;
    return NULL;
}

/* send_macros - SMFIC_MACRO for a stage, when its list has values */
static int
send_macros(const struct milter_conf *cf, struct milter_one *o,
            const struct milter_msg *m, int st, int cmd, const char *rcpt)
{
    struct buf b;
    char *list, *save = NULL;
    int rc, any = 0;

    if (cf->macros[st] == NULL || cf->macros[st][0] == 0)
        return 0;
    buf_init(&b, 0);
    (void) buf_putc(&b, cmd);
    list = mem_strdup(cf->macros[st]);
    for (char *t = strtok_r(list, " \t,\n", &save); t;
         t = strtok_r(NULL, " \t,\n", &save)) {
        const char *v = macro_value(m, t, rcpt);

        if (v == NULL)
            continue;
        (void) buf_append(&b, t, strlen(t) + 1);
        (void) buf_append(&b, v, strlen(v) + 1);
        any = 1;
    }
    mem_free(list);
    rc = any ? milter_conn_send(&o->c, SMFIC_MACRO, b.data, b.len,
                                cf->cmd_timeout)
             : 0;
    buf_fini(&b);
    return rc;
}

/* set_reply - the verdict for a reject/tempfail reply r at stage */
static void
set_reply(struct milter_msg *m, const struct milter_reply *r, const char *stage)
{
    snprintf(m->stage, sizeof(m->stage), "%s", stage);
    if (r->cmd == SMFIR_REPLYCODE) {
        m->verdict = r->s1[0] == '4' ? MILTER_TEMPFAIL : MILTER_REJECT;
        snprintf(m->reply, sizeof(m->reply), "%s", r->s1);
    } else if (r->cmd == SMFIR_REJECT) {
        m->verdict = MILTER_REJECT;
        snprintf(m->reply, sizeof(m->reply), "550 5.7.1 Command rejected");
    } else if (r->cmd == SMFIR_TEMPFAIL) {
        m->verdict = MILTER_TEMPFAIL;
        snprintf(m->reply, sizeof(m->reply),
                 "451 4.7.1 Service unavailable - try again later");
    } else if (r->cmd == SMFIR_DISCARD) {
        m->verdict = MILTER_DISCARD;
    }
}

/* env_edit - an envelope edit at end of message */
static void
env_edit(struct milter_msg *m, const struct milter_reply *r)
{
    if (r->cmd == SMFIR_CHGFROM) {
        mem_free(m->sender);
        m->sender = mem_strdup(r->s1);
    } else if (r->cmd == SMFIR_ADDRCPT || r->cmd == SMFIR_ADDRCPT_PAR) {
        strv_add(&m->rcpt, r->s1);
    } else if (r->cmd == SMFIR_DELRCPT) {
        for (size_t i = 0; i < m->rcpt.n; i++)
            if (strcasecmp(m->rcpt.v[i], r->s1) == 0) {
                mem_free(m->rcpt.v[i]);
                memmove(&m->rcpt.v[i], &m->rcpt.v[i + 1],
                        (m->rcpt.n - i) * sizeof(m->rcpt.v[0]));
                m->rcpt.n--;
                i--;
            }
    }
    m->modified = 1;
}

/* allowed - a modification the milter negotiated */
static int
allowed(const struct milter_one *o, int cmd)
{
    switch (cmd) {
    case SMFIR_ADDHEADER:
        return (o->actions & SMFIF_ADDHDRS) != 0;
    case SMFIR_INSHEADER:
    case SMFIR_CHGHEADER:
        return (o->actions & (SMFIF_CHGHDRS | SMFIF_ADDHDRS)) != 0;
    case SMFIR_REPLBODY:
        return (o->actions & SMFIF_CHGBODY) != 0;
    case SMFIR_ADDRCPT:
        return (o->actions & SMFIF_ADDRCPT) != 0;
    case SMFIR_ADDRCPT_PAR:
        return (o->actions & SMFIF_ADDRCPT_PAR) != 0;
    case SMFIR_DELRCPT:
        return (o->actions & SMFIF_DELRCPT) != 0;
    case SMFIR_CHGFROM:
        return (o->actions & SMFIF_CHGFROM) != 0;
    case SMFIR_QUARANTINE:
        return (o->actions & SMFIF_QUARANTINE) != 0;
    default:
        return 1;
    }
}

/* reply - read replies to a command until a final one */
static int
reply(const struct milter_conf *cf, struct milter_one *o, struct milter_msg *m,
      const char *stage, int timeout, int eom)
{
    struct milter_reply r;

    for (;;) {
        if (milter_conn_recv(&o->c, &o->pkt, timeout) < 0)
            return R_FAIL;
        if (milter_reply_parse(o->pkt.data, o->pkt.len, &r) < 0) {
            snprintf(o->c.err, sizeof(o->c.err), "malformed reply '%c' to %s",
                     o->pkt.data[0], stage);
            return R_FAIL;
        }
        switch (r.cmd) {
        case SMFIR_PROGRESS:
            continue;
        case SMFIR_CONTINUE:
            return R_CONT;
        case SMFIR_SKIP:
            o->skip = 1;
            return R_CONT;
        case SMFIR_ACCEPT:
            o->accepted = 1;
            return R_DONE;
        case SMFIR_REJECT:
        case SMFIR_TEMPFAIL:
        case SMFIR_REPLYCODE:
        case SMFIR_DISCARD:
            set_reply(m, &r, stage);
            return strcmp(stage, "RCPT") == 0 && r.cmd != SMFIR_DISCARD
                       ? R_DROPR
                       : R_DONE;
        case SMFIR_SHUTDOWN:
        case SMFIR_CONN_FAIL:
            m->verdict = MILTER_TEMPFAIL;
            snprintf(m->stage, sizeof(m->stage), "%s", stage);
            snprintf(m->reply, sizeof(m->reply),
                     "421 4.7.0 Server closing connection");
            return R_DONE;
        default:
            break;
        }
        /* modification actions: at end of message only, negotiated */
        if (!eom || !allowed(o, r.cmd)) {
            snprintf(o->c.err, sizeof(o->c.err),
                     "unexpected or unnegotiated reply '%c' to %s", r.cmd,
                     stage);
            return R_FAIL;
        }
        if (r.cmd == SMFIR_QUARANTINE) {
            m->verdict = MILTER_HOLD;
            snprintf(m->why, sizeof(m->why), "%s", r.s1);
        } else if (r.cmd == SMFIR_REPLBODY) {
            (void) milter_edit_body(m, &o->body, o->body_first, r.data, r.len);
            o->body_first = 0;
        } else if (r.cmd == SMFIR_ADDHEADER || r.cmd == SMFIR_INSHEADER ||
                   r.cmd == SMFIR_CHGHEADER) {
            (void) milter_edit_header(m, r.cmd, r.index, r.s1, r.s2);
        } else {
            env_edit(m, &r);
        }
        (void) cf;
    }
}

/* step - send one command (with its macros) and take its reply unless
 * the milter negotiated no reply (nr) */
static int
step(const struct milter_conf *cf, struct milter_one *o, struct milter_msg *m,
     int st, int cmd, const struct buf *data, uint32_t nr, const char *stage,
     const char *rcpt)
{
    int timeout = st >= ST_DATA ? cf->content_timeout : cf->cmd_timeout;

    if (send_macros(cf, o, m, st, cmd, rcpt) < 0 ||
        milter_conn_send(&o->c, cmd, data ? data->data : "",
                         data ? data->len : 0, timeout) < 0)
        return R_FAIL;
    if (o->steps & nr)
        return R_CONT;
    return reply(cf, o, m, stage, timeout, cmd == SMFIC_BODYEOB);
}

/* milter_one_negotiate - SMFIC_OPTNEG and its answer */
int
milter_one_negotiate(const struct milter_conf *cf, struct milter_one *o)
{
    unsigned char b[12];
    uint32_t v[3] = {(uint32_t) cf->protocol, OUR_ACTIONS, OUR_STEPS};
    const unsigned char *p;

    if (cf->protocol < 6)
        v[1] &= ~(SMFIF_SETSYMLIST | SMFIF_CHGFROM | SMFIF_ADDRCPT_PAR),
            v[2] &= 0x3ffu;
    for (int i = 0; i < 3; i++) {
        b[4 * i] = (unsigned char) (v[i] >> 24);
        b[4 * i + 1] = (unsigned char) (v[i] >> 16);
        b[4 * i + 2] = (unsigned char) (v[i] >> 8);
        b[4 * i + 3] = (unsigned char) v[i];
    }
    if (milter_conn_send(&o->c, SMFIC_OPTNEG, b, sizeof(b), cf->cmd_timeout) <
            0 ||
        milter_conn_recv(&o->c, &o->pkt, cf->cmd_timeout) < 0)
        return R_FAIL;
    p = (const unsigned char *) o->pkt.data;
    if (o->pkt.len < 13 || p[0] != SMFIC_OPTNEG) {
        snprintf(o->c.err, sizeof(o->c.err), "bad negotiation reply");
        return R_FAIL;
    }
    for (int i = 0; i < 3; i++)
        v[i] = (uint32_t) p[1 + 4 * i] << 24 | (uint32_t) p[2 + 4 * i] << 16 |
               (uint32_t) p[3 + 4 * i] << 8 | p[4 + 4 * i];
    if (v[0] < 2) {
        snprintf(o->c.err, sizeof(o->c.err), "protocol version %u", v[0]);
        return R_FAIL;
    }
    /* what the milter wants to do, within what we offered */
    o->actions = v[1] & OUR_ACTIONS;
    o->steps = v[2] & OUR_STEPS;
    return R_CONT;
}

/* put_str - s and its NUL */
static void
put_str(struct buf *b, const char *s)
{
    (void) buf_append(b, s, strlen(s) + 1);
}

int
milter_one_stage(const struct milter_conf *cf, struct milter_one *o,
                 struct milter_msg *m, int ev, const char *rcpt, struct buf *d)
{
    const char *addr = m->client_addr ? m->client_addr : "127.0.0.1";

    buf_truncate(d, 0);
    switch (ev) {
    case MILTER_ST_CONNECT:
        if (o->steps & SMFIP_NOCONNECT)
            return R_CONT;
        put_str(d, m->client_name ? m->client_name : "localhost");
        (void) buf_putc(d, strchr(addr, ':') ? '6' : '4');
        (void) buf_putc(d, (m->client_port >> 8) & 0xff);
        (void) buf_putc(d, m->client_port & 0xff);
        put_str(d, addr);
        return step(cf, o, m, ST_CONNECT, SMFIC_CONNECT, d, SMFIP_NR_CONN,
                    "CONNECT", NULL);
    case MILTER_ST_HELO:
        if (o->steps & SMFIP_NOHELO)
            return R_CONT;
        put_str(d, m->helo ? m->helo : "localhost");
        return step(cf, o, m, ST_HELO, SMFIC_HELO, d, SMFIP_NR_HELO, "HELO",
                    NULL);
    case MILTER_ST_MAIL:
        o->in_msg = 1;
        if (o->steps & SMFIP_NOMAIL)
            return R_CONT;
        (void) buf_printf(d, m->local ? "%s" : "<%s>", m->sender);
        (void) buf_putc(d, 0);
        return step(cf, o, m, ST_MAIL, SMFIC_MAIL, d, SMFIP_NR_MAIL, "MAIL",
                    NULL);
    case MILTER_ST_RCPT:
        if (o->steps & SMFIP_NORCPT)
            return R_CONT;
        (void) buf_printf(d, m->local ? "%s" : "<%s>", rcpt);
        (void) buf_putc(d, 0);
        return step(cf, o, m, ST_RCPT, SMFIC_RCPT, d, SMFIP_NR_RCPT, "RCPT",
                    rcpt);
    case MILTER_ST_DATA:
        if ((o->steps & SMFIP_NODATA) || cf->protocol < 4)
            return R_CONT;
        o->data_sent = 1;
        return step(cf, o, m, ST_DATA, SMFIC_DATA, NULL, SMFIP_NR_DATA, "DATA",
                    NULL);
    default:
        return R_FAIL;
    }
}

/* headers - one SMFIC_HEADER each; returns the body's offset via *off */
static int
headers(const struct milter_conf *cf, struct milter_one *o,
        struct milter_msg *m, struct buf *d, size_t *off)
{
    const char *p = buf_str(&m->content), *end = p + m->content.len;
    int rc = R_CONT;

    while (p < end && *p != '\n') {
        const char *q = p, *colon, *v;

        for (;;) {
            const char *nl = memchr(q, '\n', (size_t) (end - q));

            q = nl ? nl + 1 : end;
            if (q >= end || (*q != ' ' && *q != '\t'))
                break;
        }
        colon = memchr(p, ':', (size_t) (q - p));
        if (rc == R_CONT && colon && !(o->steps & SMFIP_NOHDRS)) {
            size_t nl = colon - p;

            while (nl > 0 && (p[nl - 1] == ' ' || p[nl - 1] == '\t'))
                nl--;
            v = colon + 1;
            if (v < q && *v == ' ') /* one SP, as Postfix */
                v++;
            buf_truncate(d, 0);
            (void) buf_append(d, p, nl);
            (void) buf_putc(d, 0);
            (void) buf_append(d, v, (size_t) (q - v) - (q[-1] == '\n'));
            (void) buf_putc(d, 0);
            rc = step(cf, o, m, ST_EOH, SMFIC_HEADER, d, SMFIP_NR_HDR,
                      "END-OF-MESSAGE", NULL);
        }
        p = q;
    }
    if (p < end && *p == '\n')
        p++;
    *off = (size_t) (p - buf_str(&m->content));
    if (rc == R_CONT && !(o->steps & SMFIP_NOEOH))
        rc = step(cf, o, m, ST_EOH, SMFIC_EOH, NULL, SMFIP_NR_EOH,
                  "END-OF-MESSAGE", NULL);
    return rc;
}

/* body - SMFIC_BODY chunks with CRLF line ends, then end of message */
static int
body(const struct milter_conf *cf, struct milter_one *o, struct milter_msg *m,
     struct buf *d, size_t off)
{
    const char *p = buf_str(&m->content) + off;
    const char *end = buf_str(&m->content) + m->content.len;
    int rc = R_CONT;

    buf_truncate(d, 0);
    while (rc == R_CONT && !o->skip && !(o->steps & SMFIP_NOBODY) && p < end) {
        if (*p == '\n')
            (void) buf_putc(d, '\r');
        (void) buf_putc(d, *p++);
        if (d->len >= 65533 || p == end) {
            rc = step(cf, o, m, ST_EOH, SMFIC_BODY, d, SMFIP_NR_BODY,
                      "END-OF-MESSAGE", NULL);
            buf_truncate(d, 0);
        }
    }
    if (rc != R_CONT)
        return rc;
    o->body_first = 1;
    buf_truncate(&o->body, 0);
    rc = step(cf, o, m, ST_EOD, SMFIC_BODYEOB, NULL, 0, "END-OF-MESSAGE", NULL);
    if (rc != R_FAIL && !o->body_first)
        milter_edit_finish_body(m, &o->body);
    return rc;
}

int
milter_one_content(const struct milter_conf *cf, struct milter_one *o,
                   struct milter_msg *m, struct buf *d)
{
    size_t off = 0;
    int rc = R_CONT;

    if (!(o->steps & SMFIP_NODATA) && cf->protocol >= 4 && !o->data_sent)
        rc = step(cf, o, m, ST_DATA, SMFIC_DATA, NULL, SMFIP_NR_DATA, "DATA",
                  NULL);
    if (rc == R_CONT)
        rc = headers(cf, o, m, d, &off);
    if (rc == R_CONT)
        rc = body(cf, o, m, d, off);
    return rc;
}
