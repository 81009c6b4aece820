/*
 * smtpd_mail - MAIL FROM and RCPT TO: the path parser, xtext and the
 * other parameter checks (SIZE, BODY, ENVID, NOTIFY, ORCPT, SMTPUTF8),
 * Postfix's replies and warnings for them.
 *
 * Split out of smtpd.c: the envelope commands and their
 * parsing are one job.
 */
#define _DEFAULT_SOURCE 1 /* strcasecmp, strtok_r */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup/cleanup.h"
#include "maillog/maillog.h"
#include "rewrite/rewrite.h"
#include "smtpd/smtpd.h"
#include "smtpd/smtpd_int.h"

/* xtext_decode - RFC 3461 xtext; NULL on bad syntax */
static char *
xtext_decode(const char *x)
{
    struct buf b;

    buf_init(&b, 0);
    for (const char *p = x; *p; p++) {
        if (*p == '+') {
            unsigned v;

            if (!isxdigit((unsigned char) p[1]) ||
                !isxdigit((unsigned char) p[2]) ||
                sscanf(p + 1, "%2x", &v) != 1) {
                buf_fini(&b);
                return NULL;
            }
            (void) buf_putc(&b, (int) v);
            p += 2;
        } else if (*p < '!' || *p > '~' || *p == '=') {
            buf_fini(&b);
            return NULL;
        } else {
            (void) buf_putc(&b, *p);
        }
    }
    if (b.data == NULL)
        (void) buf_puts(&b, "");
    return buf_steal(&b);
}

/* parse_path - "FROM:<addr> params" after the keyword; the address in
 * *addr (caller frees), params in *rest; PATH_SYNTAX without the keyword
 * or an address ("501 5.5.4 Syntax: ..."), PATH_BAD_ADDR for a malformed
 * address ("501 5.1.7 Bad sender address syntax" / "501 5.1.3 Bad
 * recipient address syntax", as Postfix): an unterminated <, a space
 * outside quotes, or any control character (C0 or DEL, quoted or not:
 * they would reach Return-Path:, Delivered-To: and mbox From_ lines) */
#define PATH_SYNTAX   (-1)
#define PATH_BAD_ADDR (-2)
#define PATH_ILLEGAL  (-3) /* the same reply, and Postfix's warning */

static int
parse_path(const char *arg, const char *kw, char **addr, const char **rest,
           struct smtpd_path_tok *tok)
{
    size_t kl = strlen(kw);
    const char *p = arg, *start, *end;
    int quoted = 0;

    *addr = NULL;
    tok->p = "";
    tok->n = 0;
    if (strncasecmp(p, kw, kl) != 0)
        return PATH_SYNTAX;
    p += kl;
    while (*p == ' ')
        p++;
    if (*p == 0)
        return PATH_SYNTAX;
    tok->p = p;
    for (const char *c = p; *c && *c != ' '; c++)
        if ((unsigned char) *c < ' ' || *c == 127)
            return PATH_BAD_ADDR;
    if (*p == '<') {
        start = ++p;
        while (*p && (quoted || *p != '>')) {
            if ((unsigned char) *p < ' ' || *p == 127)
                return PATH_BAD_ADDR;
            if (*p == '"')
                quoted = !quoted;
            else if (*p == '\\' && p[1])
                p++;
            p++;
        }
        if (*p != '>')
            return PATH_BAD_ADDR;
        end = p++;
        tok->n = (int) (p - tok->p);
        /* white space next to the brackets is allowed, not inside */
        while (start < end && *start == ' ')
            start++;
        while (end > start && end[-1] == ' ' && end[-2] != '\\')
            end--;
        quoted = 0;
        for (const char *c = start; c < end; c++) {
            if (*c == '\\' && c + 1 < end)
                c++;
            else if (*c == '"')
                quoted = !quoted;
            else if (*c == ' ' && !quoted)
                return PATH_ILLEGAL;
        }
    } else {
        start = p;
        while (*p && *p != ' ')
            p++;
        end = p;
        tok->n = (int) (p - tok->p);
    }
    if (*p && *p != ' ')
        return PATH_BAD_ADDR;
    while (*p == ' ')
        p++;
    *rest = p;
    /* @a,@b:user@domain -> user@domain */
    if (*start == '@') {
        const char *colon = memchr(start, ':', (size_t) (end - start));

        if (colon)
            start = colon + 1;
    }
    *addr = mem_strndup(start, (size_t) (end - start));
    return 0;
}

/* smtpd_illegal_addr - Postfix's warning for an address that parses but is
 * not one (a space inside, an empty or malformed domain) */
void
smtpd_illegal_addr(struct smtpd_session *s, const char *cmd,
                   const struct smtpd_path_tok *tok)
{
    log_warn("Illegal address syntax from %s in %s command: %.*s", s->namaddr,
             cmd, tok->n, tok->p);
}

/* allprint - printable ASCII only (Postfix's allprint for ENVID) */
static int
allprint(const char *s)
{
    for (; *s; s++)
        if ((unsigned char) *s < ' ' || (unsigned char) *s > '~')
            return 0;
    return 1;
}

/* has_ctrl - a control character (C0 or DEL) */
static int
has_ctrl(const char *s)
{
    for (; *s; s++)
        if ((unsigned char) *s < ' ' || *s == 127)
            return 1;
    return 0;
}

/* addr_error - the address as given resolves to a malformed one (bad
 * domain, empty domain): Postfix's smtpd_check_addr() */
static int
addr_error(struct smtpd_session *s, const char *internal)
{
    struct rewrite_result res;

    if (*internal == 0)
        return 0;
    if (smtpd_resolve(s, internal, &res) < 0)
        return 0; /* the restrictions report the table error */
    return (res.flags & REWRITE_FLAG_ERROR) != 0;
}

static int
has_8bit(const char *s)
{
    for (; *s; s++)
        if ((unsigned char) *s & 0x80)
            return 1;
    return 0;
}

/* next_param - the next "NAME[=value]" of MAIL or RCPT (cmd): the
 * name in param, the value in *eq (NULL without "="), the parameter as
 * sent in sent (for the reply); *rest moves past it and its spaces. 0,
 * or -1 after Postfix's 501 for one longer than PARAM_MAX */
#define PARAM_MAX 1024
static int
next_param(struct smtpd_session *s, const char *cmd, const char **rest,
           char *param, char *sent, char **eq)
{
    size_t n = strcspn(*rest, " ");

    if (n >= PARAM_MAX) {
        smtpd_io_printf(s->io, "501 5.5.4 Bad %s parameter syntax", cmd);
        return -1;
    }
    memcpy(param, *rest, n);
    param[n] = 0;
    memcpy(sent, param, n + 1); /* as sent, for the reply */
    *rest += n;
    while (**rest == ' ')
        (*rest)++;
    *eq = strchr(param, '=');
    if (*eq)
        *(*eq)++ = 0;
    return 0;
}

/* size_param - MAIL's SIZE=value: digits only (501), and a value that
 * overflows is over "the file system imposed limit" (552), as in
 * Postfix; 0 ok, -1 replied */
static int
size_param(struct smtpd_session *s, const char *v)
{
    char *end;

    if (*v == 0 || strspn(v, "0123456789") != strlen(v)) {
        smtpd_io_printf(s->io, "501 5.5.4 Bad message size syntax");
        return -1;
    }
    errno = 0;
    s->size_param = strtol(v, &end, 10);
    if (errno == ERANGE) {
        s->size_param = 0;
        smtpd_io_printf(s->io, "552 5.3.4 Message size exceeds file system "
                               "imposed limit");
        return -1;
    }
    return 0;
}

/* mail_params - MAIL's parameters, after HELO as well as after EHLO
 * (as Postfix), into s->env and s->size_param; 0, or -1 replied */
static int
mail_params(struct smtpd_session *s, const char *rest)
{
    int seen_envid = 0;

    while (*rest) {
        char param[PARAM_MAX], sent[PARAM_MAX];
        char *eq;

        if (next_param(s, "MAIL", &rest, param, sent, &eq) < 0)
            return -1;
        if (strcasecmp(param, "SIZE") == 0 && eq) {
            if (size_param(s, eq) < 0)
                return -1;
        } else if (strcasecmp(param, "BODY") == 0 && eq &&
                   strcasecmp(eq, "8BITMIME") == 0) {
            s->env.flags |= QUEUE_F_8BITMIME;
        } else if (strcasecmp(param, "BODY") == 0 && eq &&
                   strcasecmp(eq, "7BIT") == 0) {
            s->env.flags &= ~QUEUE_F_8BITMIME;
        } else if (strcasecmp(param, "SMTPUTF8") == 0 && !eq &&
                   s->cf->utf8_enable) {
            s->env.flags |= QUEUE_F_SMTPUTF8;
        } else if (strcasecmp(param, "RET") == 0 && eq) {
            if (s->env.ret == 0 && strcasecmp(eq, "FULL") == 0)
                s->env.ret = QUEUE_RET_FULL;
            else if (s->env.ret == 0 && strcasecmp(eq, "HDRS") == 0)
                s->env.ret = QUEUE_RET_HDRS;
            else {
                smtpd_io_printf(s->io, "501 5.5.4 Bad RET parameter syntax");
                return -1;
            }
        } else if (strcasecmp(param, "ENVID") == 0 && eq) {
            char *x = seen_envid++ ? NULL : xtext_decode(eq);

            if (x == NULL || strlen(x) > 100 || !allprint(x)) {
                mem_free(x);
                smtpd_io_printf(s->io, "501 5.5.4 Bad ENVID parameter syntax");
                return -1;
            }
            queue_env_set(&s->env.envid, x);
            mem_free(x);
        } else if (strcasecmp(param, "AUTH") == 0 && eq &&
                   smtpd_sasl_enabled(s->cf)) {
            const char *err = smtpd_sasl_mail_opt(s, eq);

            if (err) {
                smtpd_io_printf(s->io, "%s", err);
                return -1;
            }
        } else if (strcasecmp(param, "AUTH") == 0 && eq) {
            /* SASL off: ignored, as the Postfix dialogues show */
        } else {
            /* the whole "NAME=value" as sent, as Postfix shows it */
            smtpd_io_printf(s->io, "555 5.5.4 Unsupported option: %s", sent);
            return -1;
        }
    }
    return 0;
}

/* rcpt_params - RCPT's parameters, after HELO as well as after EHLO
 * (as Postfix): DSN's NOTIFY and ORCPT into *notifyp and *orcptp (the
 * caller frees it, on failure too); 0, or -1 replied */
static int
rcpt_params(struct smtpd_session *s, const char *rest, uint32_t *notifyp,
            char **orcptp)
{
    uint32_t notify = 0;
    char *orcpt = NULL;

    while (*rest) {
        char param[PARAM_MAX], sent[PARAM_MAX];
        char *eq;

        if (next_param(s, "RCPT", &rest, param, sent, &eq) < 0)
            goto bad;
        if (strcasecmp(param, "NOTIFY") == 0 && eq) {
            char *save = NULL;

            if (notify != 0)
                notify = 0xff; /* given twice */
            for (char *w = strtok_r(eq, ",", &save); w;
                 w = strtok_r(NULL, ",", &save)) {
                if (strcasecmp(w, "NEVER") == 0)
                    notify |= QUEUE_NOTIFY_NEVER;
                else if (strcasecmp(w, "SUCCESS") == 0)
                    notify |= QUEUE_NOTIFY_SUCCESS;
                else if (strcasecmp(w, "FAILURE") == 0)
                    notify |= QUEUE_NOTIFY_FAILURE;
                else if (strcasecmp(w, "DELAY") == 0)
                    notify |= QUEUE_NOTIFY_DELAY;
                else {
                    log_warn("unknown DSN NOTIFY command value \"%s\" "
                             "in \"%s\"",
                             w, sent + 7);
                    notify = 0xff;
                }
                if (notify == 0xff)
                    break;
            }
            if (notify == 0xff || ((notify & QUEUE_NOTIFY_NEVER) &&
                                   notify != QUEUE_NOTIFY_NEVER)) {
                smtpd_io_printf(s->io, "501 5.5.4 Error: Bad NOTIFY parameter "
                                       "syntax");
                goto bad;
            }
        } else if (strcasecmp(param, "ORCPT") == 0 && eq) {
            char *semi = strchr(eq, ';');
            char *x = semi && orcpt == NULL ? xtext_decode(semi + 1) : NULL;

            if (x == NULL || semi == eq || has_ctrl(x)) {
                /* control characters would reach the DSN's
                 * Original-Recipient: header: refused (Postfix takes
                 * them and has its bounce service sanitize them) */
                mem_free(x);
                smtpd_io_printf(s->io, "501 5.5.4 Error: Bad ORCPT parameter "
                                       "syntax");
                goto bad;
            }
            *semi = 0;
            mem_free(orcpt);
            {
                size_t olen = strlen(eq) + strlen(x) + 2;

                orcpt = mem_alloc(olen);
                snprintf(orcpt, olen, "%s;%s", eq, x);
            }
            mem_free(x);
        } else {
            smtpd_io_printf(s->io, "555 5.5.4 Unsupported option: %s", sent);
            goto bad;
        }
    }
    *notifyp = notify;
    *orcptp = orcpt;
    return 0;
bad:
    *orcptp = orcpt;
    return -1;
}

void
smtpd_cmd_mail(struct smtpd_session *s, const char *arg)
{
    char *addr = NULL, reply[1200];
    const char *rest;
    struct smtpd_path_tok tok;

    if (s->have_mail) {
        smtpd_io_printf(s->io, "503 5.5.1 Error: nested MAIL command");
        goto bad;
    }
    if (s->cf->helo_required && s->helo == NULL) {
        smtpd_io_printf(s->io, "503 5.5.1 Error: send HELO/EHLO first");
        goto bad;
    }
    switch (parse_path(arg, "FROM:", &addr, &rest, &tok)) {
    case PATH_SYNTAX:
        smtpd_io_printf(s->io, "501 5.5.4 Syntax: MAIL FROM:<address>");
        goto bad;
    case PATH_ILLEGAL:
        smtpd_illegal_addr(s, "MAIL", &tok);
        UTIL_FALLTHROUGH;
    case PATH_BAD_ADDR:
        smtpd_io_printf(s->io, "501 5.1.7 Bad sender address syntax");
        goto bad;
    default: {
        char *internal = rewrite_unquote(addr);
        int err = addr_error(s, internal);

        mem_free(internal);
        if (err) {
            smtpd_illegal_addr(s, "MAIL", &tok);
            smtpd_io_printf(s->io, "501 5.1.7 Bad sender address syntax");
            goto bad;
        }
        break;
    }
    }
    s->env.flags = 0;
    s->env.ret = 0;
    s->size_param = 0;
    queue_env_set(&s->env.envid, NULL);
    if (mail_params(s, rest) < 0)
        goto bad;
    if (s->cf->size_limit > 0 && s->size_param > s->cf->size_limit) {
        smtpd_io_printf(s->io, "552 5.3.4 Message size exceeds fixed limit");
        maillog_reject(NULL, "reject", "MAIL", s->namaddr,
                       "552 5.3.4 Message size exceeds fixed limit", addr, NULL,
                       smtpd_proto(s), s->helo);
        goto bad;
    }
    /* strict_smtputf8 = no (Postfix's default) takes UTF-8 addresses
     * from clients that do not say SMTPUTF8 */
    if (s->cf->strict_utf8 && has_8bit(addr) &&
        !(s->env.flags & QUEUE_F_SMTPUTF8)) {
        smtpd_io_printf(s->io,
                        "553 5.6.7 Must declare SMTPUTF8 to send unicode "
                        "address");
        goto bad;
    }
    s->sender = rewrite_canon(s->cf->rw, addr);
    queue_env_set(&s->env.sender, addr); /* as sent: what replies show */
    if (!s->cf->delay_reject &&
        smtpd_check_stage(s, SMTPD_ST_SENDER, NULL, reply, sizeof(reply)) < 0) {
        smtpd_log_reject(s, "MAIL", reply, NULL);
        smtpd_io_printf(s->io, "%s", reply);
        mem_free(s->sender);
        s->sender = NULL;
        goto bad;
    }
    queue_env_set(&s->env.sender, addr);
    if (smtpd_milter_mail(s) < 0) { /* replied */
        mem_free(s->sender);
        s->sender = NULL;
        goto bad;
    }
    s->have_mail = 1;
    mem_free(addr);
    smtpd_io_printf(s->io, "250 2.1.0 Ok");
    smtpd_stat_count(s, "mail", 1);
    return;
bad:
    mem_free(addr);
    smtpd_stat_count(s, "mail", 0);
}

void
smtpd_cmd_rcpt(struct smtpd_session *s, const char *arg)
{
    char *addr = NULL, *canon = NULL, *orcpt = NULL, *shown = NULL;
    char reply[1200];
    const char *rest;
    struct smtpd_path_tok tok;
    uint32_t notify = 0;

    if (!s->have_mail) {
        smtpd_io_printf(s->io, "503 5.5.1 Error: need MAIL command");
        goto bad;
    }
    if (s->bdat != SMTPD_BDAT_NONE) {
        smtpd_io_printf(s->io, "503 5.5.1 Error: RCPT after BDAT");
        goto bad;
    }
    switch (parse_path(arg, "TO:", &addr, &rest, &tok)) {
    case PATH_SYNTAX:
        smtpd_io_printf(s->io, "501 5.5.4 Syntax: RCPT TO:<address>");
        goto bad;
    case PATH_ILLEGAL:
        smtpd_illegal_addr(s, "RCPT", &tok);
        UTIL_FALLTHROUGH;
    case PATH_BAD_ADDR:
        smtpd_io_printf(s->io, "501 5.1.3 Bad recipient address syntax");
        goto bad;
    default:
        /* the internal (unquoted) form, as Postfix resolves and shows it */
        shown = rewrite_unquote(addr);
        mem_free(s->last_rcpt); /* DATA's reject line shows it, as Postfix */
        s->last_rcpt = mem_strdup(shown);
        if (*shown == 0 || addr_error(s, shown)) {
            smtpd_illegal_addr(s, "RCPT", &tok);
            smtpd_io_printf(s->io, "501 5.1.3 Bad recipient address syntax");
            goto bad;
        }
        break;
    }
    if (s->cf->rcpt_limit > 0 && s->rcpt_count >= s->cf->rcpt_limit) {
        smtpd_io_printf(s->io, "452 4.5.3 Error: too many recipients");
        /* as Postfix: not an error until smtpd_recipient_overshoot_limit
         * (clients send the rest again in the next transaction) */
        if (s->rcpt_overshoot++ < s->cf->rcpt_overlim) {
            mem_free(addr);
            mem_free(shown);
            smtpd_stat_count(s, "rcpt", 1);
            return;
        }
        goto bad;
    }
    if (rcpt_params(s, rest, &notify, &orcpt) < 0)
        goto bad;
    if (s->cf->strict_utf8 && has_8bit(addr) &&
        !(s->env.flags & QUEUE_F_SMTPUTF8)) {
        smtpd_io_printf(s->io,
                        "553 5.6.7 Must declare SMTPUTF8 to send unicode "
                        "address");
        goto bad;
    }
    canon = rewrite_canon(s->cf->rw, addr);
    if (smtpd_check_rcpt(s, canon, shown, reply, sizeof(reply)) < 0) {
        smtpd_log_reject(s, "RCPT", reply, shown);
        smtpd_io_printf(s->io, "%s", reply);
        goto bad;
    }
    if (!s->cleanup_open) {
        if (cleanup_client_open(s->cc, smtpd_filter_flags(s->cf), s->id) < 0) {
            log_warn("connect to cleanup service: %s", strerror(errno));
            smtpd_io_printf(s->io, "451 4.3.0 Error: queue file write error");
            goto bad;
        }
        s->cleanup_open = 1;
        log_info("%s: client=%s%s%s%s%s%s%s", s->id, s->namaddr,
                 s->sasl_method ? ", sasl_method=" : "",
                 s->sasl_method ? s->sasl_method : "",
                 s->sasl_username ? ", sasl_username=" : "",
                 s->sasl_username ? s->sasl_username : "",
                 s->sasl_sender ? ", sasl_sender=" : "",
                 s->sasl_sender ? s->sasl_sender : "");
    }
    if (smtpd_milter_rcpt(s, addr, shown) < 0) /* replied */
        goto bad;
    queue_env_add_rcpt(&s->env, addr, "", orcpt, notify);
    s->rcpt_count++;
    smtpd_io_printf(s->io, "250 2.1.5 Ok");
    smtpd_stat_count(s, "rcpt", 1);
    mem_free(addr);
    mem_free(canon);
    mem_free(orcpt);
    mem_free(shown);
    return;
bad:
    mem_free(addr);
    mem_free(canon);
    mem_free(orcpt);
    mem_free(shown);
    smtpd_stat_count(s, "rcpt", 0);
}
