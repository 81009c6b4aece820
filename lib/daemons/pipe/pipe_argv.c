/*
 * pipe_argv - the command attributes of a pipe service and the expansion
 * of its argument macros, as Postfix's pipe(8).
 *
 * DESCRIPTION
 *	pipe_attr_parse() reads flags=, user=, size=, eol=, null_sender=,
 *	directory= and argv= (last) with Postfix's checks and words.
 *	pipe_expand_argv() expands each argument with lib/config/mac
 *	(Postfix's $name, ${name}, $(name), ${name?x}, ${name:x}): an
 *	argument naming a recipient macro becomes one argument per
 *	recipient. pipe_exit_reason() turns a wait status and the
 *	command's output into Postfix's verdict (sys_exits.c and
 *	pipe_command.c of Postfix 3.7).
 *
 * BUGS
 *	chroot= is refused (not implemented). ${sasl_*} and ${client_port}
 *	expand to "": the queue does not keep them yet.
 */
#define _DEFAULT_SOURCE 1
#include <sys/wait.h>

#include <ctype.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "deliver/deliver.h"
#include "mac/mac.h"
#include "pipe/pipe_int.h"

/* flag_bit - the PIPE_F_* of a flags= letter, 0 when unknown */
static unsigned
flag_bit(int c)
{
    static const struct {
        char c;
        unsigned bit;
    } tab[] = {
        {'B', PIPE_F_BLANK},     {'D', PIPE_F_DELIVERED},
        {'F', PIPE_F_FROM},      {'O', PIPE_F_ORIG_RCPT},
        {'R', PIPE_F_RETURN},    {'X', PIPE_F_FINAL},
        {'h', PIPE_F_FOLD_HOST}, {'q', PIPE_F_QUOTE},
        {'u', PIPE_F_FOLD_USER}, {'.', PIPE_F_DOT},
        {'>', PIPE_F_GT},
    };

    for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
        if (tab[i].c == c)
            return tab[i].bit;
    return 0;
}

void
pipe_unescape(const char *in, char *out, size_t outlen)
{
    size_t n = 0;

    for (const char *p = in; *p && n + 1 < outlen; p++) {
        int c = (unsigned char) *p;

        if (c == '\\' && p[1]) {
            p++;
            switch (*p) {
            case 'a':
                c = '\a';
                break;
            case 'b':
                c = '\b';
                break;
            case 'f':
                c = '\f';
                break;
            case 'n':
                c = '\n';
                break;
            case 'r':
                c = '\r';
                break;
            case 't':
                c = '\t';
                break;
            case 'v':
                c = '\v';
                break;
            default:
                if (*p >= '0' && *p <= '7') {
                    c = 0;
                    for (int k = 0; k < 3 && *p >= '0' && *p <= '7'; k++, p++)
                        c = c * 8 + (*p - '0');
                    p--;
                } else {
                    c = (unsigned char) *p;
                }
            }
        }
        out[n++] = (char) c;
    }
    out[n] = 0;
}

/* set_user - user=name[:group]; 0 or -1 with err */
static int
set_user(struct pipe_attr *a, const char *v, char *err, size_t errlen)
{
    char name[256];
    const char *colon = strchr(v, ':');
    size_t n = colon ? (size_t) (colon - v) : strlen(v);
    struct passwd *pw;

    if (n >= sizeof(name))
        n = sizeof(name) - 1;
    memcpy(name, v, n);
    name[n] = 0;
    mem_free(a->user);
    a->user = mem_strdup(name);
    if ((pw = getpwnam(name)) == NULL) {
        snprintf(err, errlen, "get_service_attr: unknown username: %s", name);
        return -1;
    }
    a->uid = pw->pw_uid;
    a->gid = pw->pw_gid;
    if (colon && colon[1]) {
        struct group *gr = getgrnam(colon + 1);

        if (gr == NULL) {
            snprintf(err, errlen, "get_service_attr: unknown group: %s",
                     colon + 1);
            return -1;
        }
        a->gid = gr->gr_gid;
    }
    return 0;
}

/* attr_one - one attribute; 1 for argv= (the rest is the command), 0
 * for another, -1 with err */
static int
attr_one(struct pipe_attr *a, const char *arg, char *err, size_t errlen)
{
    if (strncasecmp(arg, "flags=", 6) == 0) {
        for (const char *c = arg + 6; *c; c++) {
            unsigned bit = flag_bit(*c);

            if (bit == 0) {
                snprintf(err, errlen, "unknown flag: %c (ignored)", *c);
                return -1;
            }
            a->flags |= bit;
        }
    } else if (strncasecmp(arg, "user=", 5) == 0) {
        return set_user(a, arg + 5, err, errlen);
    } else if (strncasecmp(arg, "directory=", 10) == 0) {
        mem_free(a->directory);
        a->directory = mem_strdup(arg + 10);
    } else if (strncasecmp(arg, "eol=", 4) == 0) {
        pipe_unescape(arg + 4, a->eol, sizeof(a->eol));
    } else if (strncasecmp(arg, "null_sender=", 12) == 0) {
        mem_free(a->null_sender);
        a->null_sender = mem_strdup(arg + 12);
    } else if (strncasecmp(arg, "size=", 5) == 0) {
        char *e;
        long v = strtol(arg + 5, &e, 10);

        if (arg[5] == 0 || *e || v < 0) {
            snprintf(err, errlen, "get_service_attr: bad size= value: %s",
                     arg + 5);
            return -1;
        }
        a->size_limit = v;
    } else if (strncasecmp(arg, "argv=", 5) == 0) {
        return 1;
    } else if (strncasecmp(arg, "chroot=", 7) == 0) {
        /* not silently ignored: the command would run outside the jail
         * its owner asked for */
        snprintf(err, errlen,
                 "chroot= command-line attribute is not "
                 "implemented by Postern");
        return -1;
    } else {
        snprintf(err, errlen, "unknown attribute name: %s", arg);
        return -1;
    }
    return 0;
}

int
pipe_attr_parse(struct pipe_attr *a, const char *const *args, long owner_uid,
                long owner_gid, const char *owner, char *err, size_t errlen)
{
    int have_user = 0;

    memset(a, 0, sizeof(*a));
    snprintf(a->eol, sizeof(a->eol), "\n");
    a->null_sender = mem_strdup("MAILER-DAEMON");
    for (; args && *args; args++) {
        int r = attr_one(a, *args, err, errlen);

        if (r < 0)
            return -1;
        if (strncasecmp(*args, "user=", 5) == 0)
            have_user = 1;
        if (r == 1) {
            a->argv0 = mem_strdup(*args + 5);
            a->argv = args;
            break;
        }
    }
    if (!have_user) {
        snprintf(err, errlen, "missing user= command-line attribute");
        return -1;
    }
    if (a->argv == NULL || *a->argv0 == 0) {
        snprintf(err, errlen, "missing argv= command-line attribute");
        return -1;
    }
    if (a->uid == 0) {
        snprintf(err, errlen,
                 "user= command-line attribute specifies root privileges");
        return -1;
    }
    if ((long) a->uid == owner_uid) {
        snprintf(err, errlen,
                 "user= command-line attribute specifies mail system owner "
                 "%s",
                 owner);
        return -1;
    }
    if (a->gid == 0) {
        snprintf(err, errlen,
                 "user= command-line attribute specifies "
                 "privileged group id 0");
        return -1;
    }
    if ((long) a->gid == owner_gid) {
        snprintf(err, errlen,
                 "user= command-line attribute specifies mail system owner "
                 "%s group id %ld",
                 owner, (long) a->gid);
        return -1;
    }
    return 0;
}

void
pipe_attr_fini(struct pipe_attr *a)
{
    mem_free(a->user);
    mem_free(a->null_sender);
    mem_free(a->directory);
    mem_free(a->argv0);
    memset(a, 0, sizeof(*a));
}

void
pipe_quote_local(const char *addr, struct buf *out)
{
    const char *at = strrchr(addr, '@');
    size_t n = at ? (size_t) (at - addr) : strlen(addr);
    int need = n == 0 ? 0 : addr[0] == '.' || addr[n - 1] == '.';

    for (size_t i = 0; i < n && !need; i++) {
        unsigned char c = (unsigned char) addr[i];

        if (c <= ' ' || c == 127 || strchr("()<>@,;:\\\"[]", c) ||
            (c == '.' && i + 1 < n && addr[i + 1] == '.'))
            need = 1;
    }
    if (!need) {
        (void) buf_puts(out, addr);
        return;
    }
    (void) buf_putc(out, '"');
    for (size_t i = 0; i < n; i++) {
        if (addr[i] == '"' || addr[i] == '\\')
            (void) buf_putc(out, '\\');
        (void) buf_putc(out, addr[i]);
    }
    (void) buf_putc(out, '"');
    if (at)
        (void) buf_puts(out, at);
}

/* the names of the recipient macros; an argument with one of them is
 * expanded once per recipient */
static const char *const rcpt_macros[] = {
    "recipient", "original_recipient", "user", "extension", "mailbox", "domain",
};
static const char *const msg_macros[] = {
    "sender",         "nexthop",         "size",          "queue_id",
    "client_address", "client_hostname", "client_helo",   "client_protocol",
    "client_port",    "sasl_method",     "sasl_username", "sasl_sender",
};

struct expand {
    const struct pipe_attr *a;
    const struct pipe_vars *v;
    const struct deliver_rcpt *rc; /* NULL while scanning */
    int per_rcpt;                  /* scan: a recipient macro was seen */
    char unknown[128];             /* scan: the first unknown name (a copy:
                                    * mac_expand frees its own) */
    struct buf tmp[6];             /* the recipient values of rc */
};

/* morph - addr with h (domain) and u (local part) folding */
static void
morph(const struct expand *x, const char *addr, struct buf *out)
{
    const char *at = strrchr(addr, '@');
    size_t n = at ? (size_t) (at - addr) : strlen(addr);

    buf_truncate(out, 0);
    for (size_t i = 0; addr[i]; i++) {
        int c = (unsigned char) addr[i];

        if ((i < n && (x->a->flags & PIPE_F_FOLD_USER)) ||
            (i > n && (x->a->flags & PIPE_F_FOLD_HOST)))
            c = tolower(c);
        (void) buf_putc(out, c);
    }
}

/* rcpt_values - the recipient macros of rc into x->tmp[] (the order of
 * rcpt_macros) */
static void
rcpt_values(struct expand *x)
{
    const char *addr = x->rc->addr;
    const char *orig = x->rc->orig && *x->rc->orig ? x->rc->orig : addr;
    struct buf m;
    const char *at, *delim = x->v->delim ? x->v->delim : "";
    size_t n, len;

    buf_init(&m, 0);
    for (int k = 0; k < 2; k++) {
        morph(x, k ? orig : addr, &m);
        buf_truncate(&x->tmp[k], 0);
        if (x->a->flags & PIPE_F_QUOTE)
            pipe_quote_local(buf_str(&m), &x->tmp[k]);
        else
            (void) buf_puts(&x->tmp[k], buf_str(&m));
    }
    morph(x, addr, &m);
    at = strrchr(buf_str(&m), '@');
    n = at ? (size_t) (at - buf_str(&m)) : m.len;
    for (int k = 2; k < 6; k++)
        buf_truncate(&x->tmp[k], 0);
    /* user and extension: Postfix's split_addr() (not for
     * MAILER-DAEMON, not at a leading delimiter) */
    len = *delim ? strcspn(buf_str(&m), delim) : n;
    if (len == 0 || len >= n ||
        strncasecmp(buf_str(&m), "MAILER-DAEMON", n) == 0)
        len = n;
    (void) buf_append(&x->tmp[2], buf_str(&m), len);
    if (len < n)
        (void) buf_append(&x->tmp[3], buf_str(&m) + len + 1, n - len - 1);
    (void) buf_append(&x->tmp[4], buf_str(&m), n);
    if (at)
        (void) buf_puts(&x->tmp[5], at + 1);
    buf_fini(&m);
}

static const char *
msg_value(const struct pipe_vars *v, size_t i)
{
    const char *vals[] = {
        v->sender,      v->nexthop,         v->size,
        v->queue_id,    v->client_address,  v->client_hostname,
        v->client_helo, v->client_protocol, v->client_port,
        v->sasl_method, v->sasl_username,   v->sasl_sender,
    };

    return vals[i] ? vals[i] : "";
}

/* lookup - mac_expand's callback */
static const char *
lookup(const char *name, int mode, void *ctx)
{
    struct expand *x = ctx;

    (void) mode;
    for (size_t i = 0; i < sizeof(rcpt_macros) / sizeof(rcpt_macros[0]); i++)
        if (strcmp(name, rcpt_macros[i]) == 0) {
            if (x->rc == NULL) {
                x->per_rcpt = 1;
                return "";
            }
            return buf_str(&x->tmp[i]);
        }
    for (size_t i = 0; i < sizeof(msg_macros) / sizeof(msg_macros[0]); i++)
        if (strcmp(name, msg_macros[i]) == 0)
            return msg_value(x->v, i);
    if (x->unknown[0] == 0)
        snprintf(x->unknown, sizeof(x->unknown), "%s", name);
    return NULL;
}

int
pipe_expand_argv(const struct pipe_attr *a, const struct pipe_vars *v,
                 const struct deliver_req *req, struct strv *out, char *err,
                 size_t errlen)
{
    struct expand x;
    struct buf b;
    int rc = 0;

    memset(&x, 0, sizeof(x));
    x.a = a;
    x.v = v;
    buf_init(&b, 0);
    for (int k = 0; k < 6; k++)
        buf_init(&x.tmp[k], 0);
    for (const char *const *p = a->argv; *p; p++) {
        const char *arg = p == a->argv ? a->argv0 : *p;

        /* which macros does the argument name? */
        x.rc = NULL;
        x.per_rcpt = 0;
        x.unknown[0] = 0;
        buf_truncate(&b, 0);
        (void) mac_expand(&b, arg, MAC_EXP_FLAG_SCAN, NULL, lookup, &x);
        if (x.unknown[0]) {
            snprintf(err, errlen, "unknown macro name: \"%s\"", x.unknown);
            rc = -1;
            break;
        }
        if (!x.per_rcpt) {
            buf_truncate(&b, 0);
            (void) mac_expand(&b, arg, MAC_EXP_FLAG_NONE, NULL, lookup, &x);
            strv_add(out, buf_str(&b));
            continue;
        }
        for (size_t i = 0; i < req->nrcpt; i++) {
            x.rc = &req->rcpt[i];
            rcpt_values(&x);
            buf_truncate(&b, 0);
            (void) mac_expand(&b, arg, MAC_EXP_FLAG_NONE, NULL, lookup, &x);
            strv_add(out, buf_str(&b));
        }
    }
    for (int k = 0; k < 6; k++)
        buf_fini(&x.tmp[k]);
    buf_fini(&b);
    return rc;
}

/* dsn_at - the length of an enhanced status code of a failure at the
 * start of s ("4.2.1" or "5.1.1", then a blank or the end), 0 when none
 * (a command that failed cannot claim success with "2.0.0") */
static size_t
dsn_at(const char *s)
{
    size_t i = 0;

    if (s[0] != '4' && s[0] != '5')
        return 0;
    if (s[1] != '.')
        return 0;
    i = 2;
    for (int part = 0; part < 2; part++) {
        size_t d = 0;

        while (d < 3 && isdigit((unsigned char) s[i + d]))
            d++;
        if (d == 0)
            return 0;
        i += d;
        if (part == 0 && s[i++] != '.')
            return 0;
    }
    return s[i] == 0 || s[i] == ' ' ? i : 0;
}

void
pipe_exit_reason(int ws, const char *command, const char *output, int *status,
                 char dsn[16], struct buf *why)
{
    static const struct {
        int code;
        const char *dsn, *text;
    } tab[] = {
        {EX_USAGE, "5.3.0", "command line usage error"},
        {EX_DATAERR, "5.6.0", "data format error"},
        {EX_NOINPUT, "5.3.0", "cannot open input"},
        {EX_NOUSER, "5.1.1", "user unknown"},
        {EX_NOHOST, "5.1.2", "host name unknown"},
        {EX_UNAVAILABLE, "5.3.0", "service unavailable"},
        {EX_SOFTWARE, "5.3.0", "internal software error"},
        {EX_OSERR, "4.3.0", "system resource problem"},
        {EX_OSFILE, "5.3.0", "critical OS file missing"},
        {EX_CANTCREAT, "5.2.0", "can't create user output file"},
        {EX_IOERR, "5.3.0", "input/output error"},
        {EX_TEMPFAIL, "4.3.0", "temporary failure"},
        {EX_PROTOCOL, "5.5.0", "remote error in protocol"},
        {EX_NOPERM, "5.7.0", "permission denied"},
        {EX_CONFIG, "5.3.5", "local configuration error"},
    };
    const char *sep = *output ? ". Command output: " : "";
    size_t dl;

    buf_truncate(why, 0);
    if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0) {
        *status = DELIVER_SENT;
        snprintf(dsn, 16, "2.0.0");
        (void) buf_puts(why, output);
        return;
    }
    if (WIFSIGNALED(ws)) {
        *status = DELIVER_DEFER;
        snprintf(dsn, 16, "4.3.0");
        (void) buf_printf(why, "Command died with signal %d: \"%s\"%s%s",
                          WTERMSIG(ws), command, sep, output);
        return;
    }
    /* "D.S.N text" output takes precedence over the exit status */
    if ((dl = dsn_at(output)) > 0) {
        snprintf(dsn, 16, "%.*s", (int) dl, output);
        *status = dsn[0] == '4' ? DELIVER_DEFER : DELIVER_BOUNCE;
        (void) buf_puts(why, output[dl] ? output + dl + 1 : output);
        return;
    }
    for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
        if (tab[i].code == WEXITSTATUS(ws)) {
            snprintf(dsn, 16, "%s", tab[i].dsn);
            *status = dsn[0] == '4' ? DELIVER_DEFER : DELIVER_BOUNCE;
            (void) buf_printf(why, "%s%s%s", tab[i].text, sep, output);
            return;
        }
    *status = DELIVER_BOUNCE;
    snprintf(dsn, 16, "5.3.0");
    (void) buf_printf(why, "Command died with status %d: \"%s\"%s%s",
                      WEXITSTATUS(ws), command, sep, output);
}
