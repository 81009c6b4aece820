/*
 * cleanup_hdr - header_checks, mime_header_checks, nested_header_checks
 * and body_checks, as Postfix 3.7's cleanup_message.c applies them.
 *
 * DESCRIPTION
 *	The content is walked once: the primary header block (folded
 *	headers are one unit, with their newlines), then the body line by
 *	line. A multipart Content-Type pushes its boundary; the header
 *	block after a boundary line is a "multipart" block, and the
 *	headers at the start of a message/rfc822 part are "nested". As in
 *	Postfix, MIME headers (Content-*, MIME-Version) of any block go to
 *	mime_header_checks, other headers of multipart blocks too; primary
 *	headers to header_checks, nested to nested_header_checks. Body
 *	lines (boundaries included) go to body_checks while the part's body
 *	is within body_checks_size_limit.
 *
 *	Actions and log lines are Postfix's cleanup_act: REJECT, WARN,
 *	INFO, FILTER (refused by postern check: not done here), DISCARD,
 *	HOLD (the message is queued with QUEUE_F_HOLD), PREPEND,
 *	REPLACE, REDIRECT, BCC, STRIP, IGNORE, DUNNO, OK.
 */
#define _DEFAULT_SOURCE 1 /* strncasecmp */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cleanup/cleanup.h"
#include "cleanup/cleanup_int.h"
#include "maillog/maillog.h"
#include "maps/maps.h"
#include "server/server.h"

#define NEST_MAX 20 /* mime_nesting_limit's default */

struct cleanup_hdr {
    struct maps *hdr, *mime, *nest, *body;
    const char *names[4]; /* the parameters, for warnings */
    long body_limit;
    int smtp; /* the smtp client's checks (Postfix's header_body_checks) */
    const char *prefix; /* before the action in log lines, or NULL */
};

static const char *const cleanup_names[4] = {
    "header_checks", "mime_header_checks", "nested_header_checks",
    "body_checks"};

static struct maps *
open_checks(struct pcf *p, const char *svc, const char *name)
{
    char *v = server_conf_str(p, svc, name);
    struct maps *m = NULL;

    if (v && *v) {
        m = maps_new(name, v, MAPS_F_NOFOLD);
        (void) maps_preload(m);
    }
    mem_free(v);
    return m;
}

struct cleanup_hdr *
cleanup_hdr_new(struct pcf *p, const char *svc)
{
    struct cleanup_hdr *h = mem_calloc(1, sizeof(*h));

    h->names[0] = cleanup_names[0];
    h->names[1] = cleanup_names[1];
    h->names[2] = cleanup_names[2];
    h->names[3] = cleanup_names[3];
    h->hdr = open_checks(p, svc, "header_checks");
    h->mime = open_checks(p, svc, "mime_header_checks");
    h->nest = open_checks(p, svc, "nested_header_checks");
    h->body = open_checks(p, svc, "body_checks");
    h->body_limit = server_conf_int(p, svc, "body_checks_size_limit");
    return h;
}

static struct maps *
open_value(const char *name, const char *value)
{
    struct maps *m = NULL;

    if (value && *value) {
        m = maps_new(name, value, MAPS_F_NOFOLD);
        (void) maps_preload(m);
    }
    return m;
}

struct cleanup_hdr *
cleanup_hdr_new_smtp(const char *const names[4], const char *const values[4])
{
    struct cleanup_hdr *h = mem_calloc(1, sizeof(*h));

    for (int i = 0; i < 4; i++)
        h->names[i] = names[i];
    h->hdr = open_value(names[0], values[0]);
    h->mime = open_value(names[1], values[1]);
    h->nest = open_value(names[2], values[2]);
    h->body = open_value(names[3], values[3]);
    h->smtp = 1;
    return h;
}

struct cleanup_hdr *
cleanup_hdr_new_checks(const char *name, const char *value, const char *prefix)
{
    struct cleanup_hdr *h;

    if (value == NULL || strspn(value, " \t,\n") == strlen(value))
        return NULL;
    h = mem_calloc(1, sizeof(*h));
    for (int i = 0; i < 4; i++)
        h->names[i] = name;
    h->hdr = open_value(name, value);
    h->prefix = prefix;
    return h;
}

void
cleanup_hdr_free(struct cleanup_hdr *h)
{
    if (h == NULL)
        return;
    maps_free(h->hdr);
    maps_free(h->mime);
    maps_free(h->nest);
    maps_free(h->body);
    mem_free(h);
}

int
cleanup_hdr_active(const struct cleanup_hdr *h)
{
    return h && (h->hdr || h->mime || h->nest || h->body);
}

void
cleanup_hdr_res_init(struct cleanup_hdr_res *r)
{
    memset(r, 0, sizeof(*r));
    strv_init(&r->bcc);
}

void
cleanup_hdr_res_fini(struct cleanup_hdr_res *r)
{
    mem_free(r->reason);
    mem_free(r->redirect);
    mem_free(r->filter);
    strv_fini(&r->bcc);
    memset(r, 0, sizeof(*r));
}

/* one walk over a message */
struct walk {
    const struct cleanup_hdr *h;
    const struct queue_env *env;
    struct cleanup_hdr_res *res;
    struct buf *out;
};

/* act_log - Postfix's cleanup_act_log */
static void
act_log(struct walk *w, const char *action, const char *ctx, const char *buf,
        const char *text)
{
    const struct queue_env *e = w->env;
    char shown[201], act[64];

    /* at most 200 bytes, control characters (a folded header's
     * newlines) as '?', as Postfix's log shows them */
    snprintf(shown, sizeof(shown), "%s", buf);
    for (char *s = shown; *s; s++)
        if ((unsigned char) *s < ' ' || *s == 127)
            *s = '?';
    buf = shown;
    if (w->h->prefix) { /* "milter-header-reject" */
        snprintf(act, sizeof(act), "%s%s", w->h->prefix, action);
        action = act;
    }
    if (w->h->smtp) { /* Postfix's smtp_hbc_logger */
        if (text && *text)
            log_info("%s: %s: %s %.60s: %s", e->id, action, ctx, buf, text);
        else
            log_info("%s: %s: %s %.60s", e->id, action, ctx, buf);
        return;
    }
    cleanup_act_log(e, action, ctx, buf, text);
}

void
cleanup_act_log(const struct queue_env *e, const char *action, const char *ctx,
                const char *buf, const char *text)
{
    struct buf l;
    const char *to = "";

    buf_init(&l, 0);
    if (e->nrcpt)
        to = e->rcpt[0].orig && *e->rcpt[0].orig ? e->rcpt[0].orig
                                                 : e->rcpt[0].addr;
    if (e->flags & QUEUE_F_LOCAL)
        (void) buf_printf(&l, "%s: %s: %s %.200s from local;", e->id, action,
                          ctx, buf);
    else
        (void) buf_printf(
            &l, "%s: %s: %s %.200s from %s[%s];", e->id, action, ctx, buf,
            e->client_name && *e->client_name ? e->client_name : "unknown",
            e->client_addr ? e->client_addr : "");
    (void) buf_printf(&l, " from=<%s>", e->sender ? e->sender : "");
    if (e->nrcpt)
        (void) buf_printf(&l, " to=<%s>", to);
    if (e->proto && *e->proto && !(e->flags & QUEUE_F_LOCAL))
        (void) buf_printf(&l, " proto=%s", e->proto);
    if (e->helo && *e->helo)
        (void) buf_printf(&l, " helo=<%s>", e->helo);
    if (text && *text)
        (void) buf_printf(&l, ": %s", text);
    log_info("%s", buf_str(&l));
    buf_fini(&l);
}

/* is_header - Postfix's is_header: "name:" with printable name */
static int
is_header(const char *s)
{
    size_t k = 0;

    while (s[k] > ' ' && s[k] < 127 && s[k] != ':')
        k++;
    return k > 0 && s[k] == ':';
}

int
cleanup_hdr_act(struct cleanup_hdr_res *res, const char *value,
                const char **text, size_t *cmdlen)
{
    size_t n = strcspn(value, " \t");
    const char *t = value + n;
    static const struct {
        const char *name;
        int act;
    } tab[] = {
        {"REJECT", CLEANUP_HDR_A_REJECT},
        {"WARN", CLEANUP_HDR_A_WARN},
        {"INFO", CLEANUP_HDR_A_INFO},
        {"FILTER", CLEANUP_HDR_A_FILTER},
        {"DISCARD", CLEANUP_HDR_A_DISCARD},
        {"HOLD", CLEANUP_HDR_A_HOLD},
        {"PREPEND", CLEANUP_HDR_A_PREPEND},
        {"REPLACE", CLEANUP_HDR_A_REPLACE},
        {"REDIRECT", CLEANUP_HDR_A_REDIRECT},
        {"BCC", CLEANUP_HDR_A_BCC},
        {"STRIP", CLEANUP_HDR_A_STRIP},
        {"IGNORE", CLEANUP_HDR_A_IGNORE},
        {"DUNNO", CLEANUP_HDR_A_DUNNO},
        {"OK", CLEANUP_HDR_A_DUNNO},
    };

    (void) res;
    while (*t == ' ' || *t == '\t')
        t++;
    *text = t;
    *cmdlen = n;
    for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
        if (strlen(tab[i].name) == n && strncasecmp(value, tab[i].name, n) == 0)
            return tab[i].act;
    return CLEANUP_HDR_A_UNKNOWN;
}

/* reject - REJECT [text]: the reason with a 5.7.1 (or the text's own)
 * enhanced status code */
static void
reject(struct walk *w, const char *ctx, const char *buf, const char *t)
{
    struct buf r;

    buf_init(&r, 0);
    if (*t == 0)
        (void) buf_puts(&r, "5.7.1 message content rejected");
    else if (isdigit((unsigned char) t[0]) && t[1] == '.' &&
             (t[0] == '4' || t[0] == '5'))
        (void) buf_puts(&r, t);
    else
        (void) buf_printf(&r, "5.7.1 %s", t);
    mem_free(w->res->reason);
    w->res->reason = buf_steal(&r);
    w->res->flags |=
        w->res->reason[0] == '4' ? CLEANUP_HDR_DEFER : CLEANUP_HDR_REJECT;
    w->res->flags |= CLEANUP_HDR_STOP;
    act_log(w, "reject", ctx, buf, w->res->reason);
}

/* act - one match: value is the table's result for buf (a header, with
 * its newlines, or a body line); what goes out instead of buf is
 * written by the caller unless this returns 0 (dropped) or 2 (the
 * replacement is in *repl) */
static int
act(struct walk *w, const char *ctx, const char *buf, const char *value,
    const char *map, char **repl)
{
    const char *t;
    size_t n;
    int a = cleanup_hdr_act(w->res, value, &t, &n);
    int hdr = strcmp(ctx, "header") == 0;

    /* the smtp client edits, it does not decide (header_body_checks) */
    if (w->h->smtp && a != CLEANUP_HDR_A_WARN && a != CLEANUP_HDR_A_INFO &&
        a != CLEANUP_HDR_A_REPLACE && a != CLEANUP_HDR_A_PREPEND &&
        a != CLEANUP_HDR_A_STRIP && a != CLEANUP_HDR_A_IGNORE &&
        a != CLEANUP_HDR_A_DUNNO) {
        log_warn("unsupported command in %s map: %s", map, value);
        return 1;
    }

    switch (a) {
    case CLEANUP_HDR_A_REJECT:
        reject(w, ctx, buf, t);
        return 1;
    case CLEANUP_HDR_A_WARN:
        act_log(w, "warning", ctx, buf, t);
        return 1;
    case CLEANUP_HDR_A_INFO:
        act_log(w, "info", ctx, buf, t);
        return 1;
    case CLEANUP_HDR_A_FILTER:
        if (*t == 0)
            log_warn("missing FILTER command argument in %s map", map);
        else if (strchr(t, ':') == NULL)
            log_warn("bad FILTER command %s in %s -- need "
                     "transport:destination",
                     t, map);
        else {
            act_log(w, "filter", ctx, buf, t);
            mem_free(w->res->filter); /* the last one wins */
            w->res->filter = mem_strdup(t);
        }
        return 1;
    case CLEANUP_HDR_A_DISCARD:
        act_log(w, "discard", ctx, buf, t);
        w->res->flags |= CLEANUP_HDR_DISCARD | CLEANUP_HDR_STOP;
        return 1;
    case CLEANUP_HDR_A_HOLD:
        if (!(w->res->flags & (CLEANUP_HDR_HOLD | CLEANUP_HDR_DISCARD))) {
            act_log(w, "hold", ctx, buf, t);
            w->res->flags |= CLEANUP_HDR_HOLD;
        }
        return 1;
    case CLEANUP_HDR_A_PREPEND:
        if (*t == 0)
            log_warn("PREPEND action without text in %s map", map);
        else if (hdr && !is_header(t))
            log_warn("bad PREPEND header text \"%s\" in %s map -- need "
                     "\"headername: headervalue\"",
                     t, map);
        else {
            act_log(w, "prepend", ctx, buf, t);
            (void) buf_printf(w->out, "%s\n", t);
        }
        return 1;
    case CLEANUP_HDR_A_REPLACE:
        if (*t == 0) {
            log_warn("REPLACE action without text in %s map", map);
            return 1;
        }
        if (hdr && !is_header(t)) {
            log_warn("bad REPLACE header text \"%s\" in %s map -- need "
                     "\"headername: headervalue\"",
                     t, map);
            return 1;
        }
        act_log(w, "replace", ctx, buf, t);
        *repl = mem_strdup(t);
        return 2;
    case CLEANUP_HDR_A_REDIRECT:
        if (strchr(t, '@') == NULL) {
            log_warn("bad REDIRECT target \"%s\" in %s map -- need "
                     "user@domain",
                     t, map);
        } else {
            mem_free(w->res->redirect);
            w->res->redirect = mem_strdup(t);
            act_log(w, "redirect", ctx, buf, t);
            w->res->flags |= CLEANUP_HDR_STOP;
        }
        return 1;
    case CLEANUP_HDR_A_BCC:
        if (strchr(t, '@') == NULL)
            log_warn("bad BCC address \"%s\" in %s map -- need user@domain", t,
                     map);
        else {
            strv_add(&w->res->bcc, t);
            act_log(w, "bcc", ctx, buf, t);
        }
        return 1;
    case CLEANUP_HDR_A_STRIP:
        act_log(w, "strip", ctx, buf, t);
        return 0;
    case CLEANUP_HDR_A_IGNORE:
        return 0;
    case CLEANUP_HDR_A_DUNNO:
        return 1;
    default:
        log_warn("unknown command in %s map: %s", map, value);
        return 1;
    }
}

/* check - look buf up in m (when checks still apply) and act; then the
 * line (or its replacement) goes out with a newline */
static void
check(struct walk *w, struct maps *m, const char *map, const char *ctx,
      const char *buf, size_t len)
{
    const char *value;
    char *repl = NULL;
    int keep = 1;

    if (m && !(w->res->flags & CLEANUP_HDR_STOP) &&
        maps_find(m, buf, &value) == MAPS_FOUND) {
        char *v = mem_strdup(value);

        keep = act(w, ctx, buf, v, map, &repl);
        mem_free(v);
    }
    if (keep == 2) {
        (void) buf_printf(w->out, "%s\n", repl);
        mem_free(repl);
    } else if (keep == 1) {
        (void) buf_append(w->out, buf, len);
        (void) buf_putc(w->out, '\n');
    }
}

/* the MIME state of one header block */
struct block {
    int multipart; /* Content-Type multipart/... with a boundary */
    int rfc822;    /* Content-Type message/rfc822 */
    char boundary[80];
};

/* content_type - note what a Content-Type header says */
static void
content_type(const char *hv, struct block *b)
{
    const char *v = hv + strlen("content-type:");
    const char *bd;

    while (*v == ' ' || *v == '\t')
        v++;
    if (strncasecmp(v, "message/rfc822", 14) == 0)
        b->rfc822 = 1;
    if (strncasecmp(v, "multipart/", 10) != 0)
        return;
    for (bd = v; *bd; bd++)
        if (strncasecmp(bd, "boundary=", 9) == 0 &&
            (bd == v || !isalnum((unsigned char) bd[-1]))) {
            size_t k = 0;

            bd += 9;
            if (*bd == '"')
                bd++;
            while (bd[k] && bd[k] != '"' && bd[k] != ';' && bd[k] != '\n' &&
                   !(bd[k] == ' ' && bd[-1] != '"') &&
                   k + 1 < sizeof(b->boundary))
                k++;
            memcpy(b->boundary, bd, k);
            b->boundary[k] = 0;
            b->multipart = k > 0;
            return;
        }
}

/* is_mime_header - Postfix's HDR_OPT_MIME headers */
static int
is_mime_header(const char *h)
{
    static const char *const names[] = {
        "content-description:",       "content-disposition:", "content-id:",
        "content-transfer-encoding:", "content-type:",        "mime-version:",
    };

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strncasecmp(h, names[i], strlen(names[i])) == 0)
            return 1;
    return 0;
}

/* headers - one header block from *pos: each (folded) header checked as
 * class (0 primary, 1 multipart, 2 nested); stops after the blank line
 * (copied out) or before the first line that is no header */
static void
headers(struct walk *w, const char *p, size_t len, size_t *pos, int class,
        struct block *b)
{
    struct buf hv;

    buf_init(&hv, 0);
    memset(b, 0, sizeof(*b));
    while (*pos < len) {
        const char *l = p + *pos;
        const char *nl = memchr(l, '\n', len - *pos);
        size_t ll = nl ? (size_t) (nl - l) : len - *pos;
        size_t end = *pos + ll + (nl ? 1 : 0);
        struct maps *m;
        const char *map;

        if (ll == 0) { /* the blank line */
            (void) buf_putc(w->out, '\n');
            *pos = end;
            break;
        }
        buf_truncate(&hv, 0);
        (void) buf_append(&hv, l, ll);
        if (!is_header(buf_str(&hv)))
            break;
        *pos = end;
        /* continuation lines belong to this header */
        while (*pos < len && (p[*pos] == ' ' || p[*pos] == '\t')) {
            const char *c = p + *pos;
            const char *cn = memchr(c, '\n', len - *pos);
            size_t cl = cn ? (size_t) (cn - c) : len - *pos;

            (void) buf_putc(&hv, '\n');
            (void) buf_append(&hv, c, cl);
            *pos += cl + (cn ? 1 : 0);
        }
        if (strncasecmp(buf_str(&hv), "content-type:", 13) == 0)
            content_type(buf_str(&hv), b);
        if (class == 1 || is_mime_header(buf_str(&hv))) {
            m = w->h->mime;
            map = w->h->names[1];
        } else if (class == 2) {
            m = w->h->nest;
            map = w->h->names[2];
        } else {
            m = w->h->hdr;
            map = w->h->names[0];
        }
        check(w, m, map, "header", buf_str(&hv), hv.len);
    }
    buf_fini(&hv);
}

/* boundary_of - the index in the stack of the boundary line l names, or
 * -1; *last set for a closing boundary */
static int
boundary_of(const char *l, size_t ll, char (*stack)[80], int n, int *last)
{
    for (int i = n - 1; i >= 0; i--) {
        size_t bl = strlen(stack[i]);

        if (ll >= bl + 2 && l[0] == '-' && l[1] == '-' &&
            memcmp(l + 2, stack[i], bl) == 0) {
            *last = ll >= bl + 4 && l[bl + 2] == '-' && l[bl + 3] == '-';
            return i;
        }
    }
    return -1;
}

/* body - the body from pos: lines through body_checks, the header blocks
 * of MIME parts through headers() */
static void
body(struct walk *w, const char *p, size_t len, size_t pos,
     const struct block *top)
{
    char stack[NEST_MAX][80];
    int n = 0, last;
    long seen = 0;
    struct buf line;
    struct block b = *top;

    buf_init(&line, 0);
    for (;;) {
        /* a message/rfc822 part starts with nested headers */
        while (b.rfc822 && pos < len) {
            headers(w, p, len, &pos, 2, &b);
            seen = 0;
        }
        if (b.multipart && n < NEST_MAX) {
            memcpy(stack[n++], b.boundary, sizeof(b.boundary));
            b.multipart = 0;
        }
        if (pos >= len)
            break;
        {
            const char *l = p + pos;
            const char *nl = memchr(l, '\n', len - pos);
            size_t ll = nl ? (size_t) (nl - l) : len - pos;
            int i;

            pos += ll + (nl ? 1 : 0);
            buf_truncate(&line, 0);
            (void) buf_append(&line, l, ll);
            if (w->h->body &&
                (w->h->body_limit == 0 || seen < w->h->body_limit))
                check(w, w->h->body, w->h->names[3], "body", buf_str(&line),
                      ll);
            else
                check(w, NULL, "", "body", buf_str(&line), ll);
            seen += (long) ll + 1;
            if (n > 0 && (i = boundary_of(l, ll, stack, n, &last)) >= 0) {
                n = i + (last ? 0 : 1);
                seen = 0;
                if (!last)
                    headers(w, p, len, &pos, 1, &b);
            }
        }
    }
    buf_fini(&line);
}

int
cleanup_hdr_run(struct cleanup_hdr *h, const struct queue_env *env,
                const char *p, size_t len, struct buf *out,
                struct cleanup_hdr_res *res)
{
    struct walk w = {h, env, res, out};
    struct block top;
    size_t pos = 0;

    headers(&w, p, len, &pos, 0, &top);
    body(&w, p, len, pos, &top);
    /* a last line without a newline stays so */
    if (len && p[len - 1] != '\n' && out->len &&
        out->data[out->len - 1] == '\n')
        buf_truncate(out, out->len - 1);
    return (int) (res->flags & (CLEANUP_HDR_REJECT | CLEANUP_HDR_DEFER));
}

void
cleanup_hdr_res_env(const struct cleanup_hdr_res *res, struct queue_env *env)
{
    if (res->flags & CLEANUP_HDR_HOLD)
        env->flags |= QUEUE_F_HOLD;
    if (res->filter) /* checked above: transport:destination */
        (void) cleanup_filter_action(env, "header", res->filter);
    if (res->redirect && env->nrcpt) { /* one recipient: the target */
        struct queue_env e;
        struct queue_rcpt *rv = env->rcpt;
        size_t n = env->nrcpt;

        queue_env_init(&e);
        queue_env_add_rcpt(&e, res->redirect, rv[0].orig, rv[0].orcpt,
                           rv[0].notify);
        env->rcpt = e.rcpt;
        env->nrcpt = e.nrcpt;
        e.rcpt = rv;
        e.nrcpt = n;
        queue_env_fini(&e);
    }
    for (size_t i = 0; i < res->bcc.n; i++)
        queue_env_add_rcpt(env, res->bcc.v[i], "", "", 0);
}

int
cleanup_hdr_apply(struct cleanup_hdr *h, struct queue_env *env,
                  struct buf *content, char **reply, int *discard)
{
    struct cleanup_hdr_res res;
    struct buf out;
    int rejected = 0;

    cleanup_hdr_res_init(&res);
    buf_init(&out, 0);
    if (cleanup_hdr_run(h, env, content->data ? content->data : "",
                        content->len, &out, &res)) {
        struct buf r;

        buf_init(&r, 0);
        (void) buf_printf(&r, "%s %s", res.reason[0] == '4' ? "451" : "550",
                          res.reason);
        mem_free(*reply);
        *reply = buf_steal(&r);
        rejected = 1;
    } else if (res.flags & CLEANUP_HDR_DISCARD) {
        *discard = 1;
    } else {
        struct buf t = *content;

        *content = out;
        out = t;
        cleanup_hdr_res_env(&res, env);
    }
    buf_fini(&out);
    cleanup_hdr_res_fini(&res);
    return rejected;
}
