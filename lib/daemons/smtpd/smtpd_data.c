/*
 * smtpd_data - the message content: DATA and BDAT (RFC 3030
 * CHUNKING), our Received: header, and the hand-off to cleanup, whose
 * verdict after the group commit answers the end of data.
 *
 * End of data is only <CR><LF>.<CR><LF>. A "." line ended by a bare
 * LF is content, so "\n.\n", "\n.\r\n" and "\r.\r" never end a
 * message early (SMTP smuggling). smtpd_forbid_bare_newline = reject
 * (or yes) refuses bare LF altogether, except for clients in
 * smtpd_forbid_bare_newline_exclusions.
 *
 * Split out of smtpd.c.
 */
#define _DEFAULT_SOURCE 1 /* strcasecmp, strtok_r */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cleanup/cleanup.h"
#include "maillog/maillog.h"
#include "maps/maps.h"
#include "smtpd/smtpd.h"
#include "smtpd/smtpd_int.h"

#define DATA_CHUNK 65536

/* received - our Received: header, LF line ends */
static void
received(struct smtpd_session *s, struct buf *b)
{
    char date[80];
    time_t now = time(NULL);
    struct tm tm;
    const char *info = smtpd_io_tls_info(s->io);
    int v6 = strchr(s->addr, ':') != NULL;

    localtime_r(&now, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z (%Z)", &tm);
    (void) buf_printf(b, "Received: from %s (%s [%s%s])\n",
                      s->helo ? s->helo : s->name, s->name, v6 ? "IPv6:" : "",
                      s->addr);
    if (info)
        (void) buf_printf(b,
                          "\t(using %s)\n\t(No client certificate "
                          "requested)\n",
                          info);
    if (s->sasl_username && smtpd_sasl_auth_header(s->cf))
        (void) buf_printf(b, "\t(Authenticated sender: %s)\n",
                          s->sasl_username);
    /* RFC 3848: ESMTPS over TLS, ESMTPA/ESMTPSA after a login */
    (void) buf_printf(b, "\tby %s (%s) with %s%s%s id %s", s->cf->myhostname,
                      s->cf->mail_name, smtpd_proto(s), s->tls ? "S" : "",
                      s->sasl_username ? "A" : "", s->id);
    if (s->env.nrcpt == 1)
        (void) buf_printf(b, "\n\tfor <%s>; %s\n", s->env.rcpt[0].addr, date);
    else
        (void) buf_printf(b, ";\n\t%s\n", date);
}

/* env_client - the client's part of the envelope, at DATA or the
 * first BDAT */
static void
env_client(struct smtpd_session *s)
{
    queue_env_set(&s->env.client_name, s->name);
    queue_env_set(&s->env.client_addr, s->addr);
    queue_env_set(&s->env.helo, s->helo);
    queue_env_set(&s->env.proto, smtpd_proto(s));
    s->env.arrival_us = queue_now_us();
    smtpd_filter_env(s); /* issue 19: content_filter */
}

/* eod_verdict - the end of a message (DATA, or BDAT's LAST chunk:
 * stat name cmd) after cleanup's verdict st (-1: cleanup was lost): the
 * error reply (the caller wrote its own 250), the counts, and a new
 * transaction */
static void
eod_verdict(struct smtpd_session *s, int st, const char *cmd)
{
    s->cleanup_open = 0;
    if (st == CLEANUP_STAT_OK) {
        smtpd_stat_count(s, cmd, 1);
        /* a client that delivers mail is forgiven its errors (Postfix) */
        s->errors = 0;
        s->junk_cmds = 0;
    } else if (st == SMTPD_MILTER_REPLIED) {
        smtpd_stat_count(s, cmd, 0);
    } else {
        smtpd_io_printf(
            s->io, "%s",
            st == CLEANUP_STAT_CONT /* issue 19: the checks' reason */
                ? cleanup_client_text(s->cc)
                : cleanup_reply_text(st < 0 ? CLEANUP_STAT_WRITE
                                            : (unsigned) st));
        if (st < 0)
            log_warn("%s: lost connection with cleanup", s->id);
        smtpd_stat_count(s, cmd, 0);
    }
    smtpd_reset_transaction(s);
}

/* data_refused - DATA's checks before the 354 (a BDAT transaction, no
 * MAIL, no valid recipient, smtpd_data_restrictions): 1 when refused
 * (replied and counted), else 0 */
static int
data_refused(struct smtpd_session *s)
{
    char reply[1200];

    if (s->bdat != SMTPD_BDAT_NONE) {
        smtpd_io_printf(s->io, "503 5.5.1 Error: DATA after BDAT");
        smtpd_stat_count(s, "data", 0);
        return 1;
    }
    if (!s->have_mail) {
        smtpd_io_printf(s->io, "503 5.5.1 Error: need RCPT command");
        smtpd_stat_count(s, "data", 0);
        return 1;
    }
    if (s->env.nrcpt == 0) {
        smtpd_io_printf(s->io, "554 5.5.1 Error: no valid recipients");
        smtpd_stat_count(s, "data", 0);
        return 1;
    }
    if (smtpd_check_data(s, reply, sizeof(reply)) < 0) {
        smtpd_log_reject(s, "DATA", reply, s->last_rcpt);
        smtpd_io_printf(s->io, "%s", reply);
        smtpd_stat_count(s, "data", 0);
        return 1;
    }
    return 0;
}

/* smtpd_cmd_data - returns -1 when the connection must end */
int
smtpd_cmd_data(struct smtpd_session *s)
{
    struct buf line, chunk;
    char reply[1200];
    int lf, mid = 0, too_big = 0, bare_reject = 0, rc, st, prev_crlf = 1;
    long size = 0;
    int exclude_bare;

    if (data_refused(s) || smtpd_milter_data_cmd(s) < 0)
        return 0;
    /* envelope and our Received: header go first */
    env_client(s);
    buf_init(&chunk, 0);
    buf_init(&line, 0);
    received(s, &chunk);
    if (smtpd_milter_env(s) < 0) {
        smtpd_io_printf(s->io, "451 4.3.0 Error: queue file write error");
        s->cleanup_open = 0;
        buf_fini(&chunk);
        buf_fini(&line);
        smtpd_stat_count(s, "data", 0);
        return 0;
    }
    smtpd_io_printf(s->io, "354 End data with <CR><LF>.<CR><LF>");
    s->last_cmd = "DATA";
    exclude_bare = maps_match_addr(s->cf->bare_nl_excl, s->addr) == 1;
    for (;;) {
        const char *p;
        size_t n;

        rc = smtpd_io_read_view(s->io, &line, DATA_CHUNK, &lf, &p, &n);
        if (rc <= 0) {
            if (smtpd_io_timed_out(s->io))
                log_info("timeout after DATA (%ld bytes) from %s", size,
                         s->namaddr);
            else
                log_info("lost connection after DATA (%ld bytes) from %s", size,
                         s->namaddr);
            buf_fini(&line);
            buf_fini(&chunk);
            smtpd_reset_transaction(s);
            smtpd_stat_count(s, "data", 0);
            return -1;
        }
        if (!mid) {
            int bare = lf && (n < 2 || p[n - 2] != '\r');

            /* the one true end of data: CRLF "." CRLF */
            if (lf && n == 3 && prev_crlf && memcmp(p, ".\r\n", 3) == 0)
                break;
            if (bare && s->cf->bare_nl == 2 && !exclude_bare) {
                bare_reject = 1;
                break; /* answer now and hang up */
            }
            if (p[0] == '.' && !(bare && n == 2)) {
                p++;
                n--;
            }
        }
        if (lf) {
            n--; /* LF */
            prev_crlf = n > 0 && p[n - 1] == '\r';
            if (prev_crlf)
                n--;
        }
        mid = !lf;
        if (too_big || bare_reject)
            continue;
        size += (long) n + lf;
        if (s->cf->size_limit > 0 && size > s->cf->size_limit) {
            too_big = 1;
            continue;
        }
        (void) buf_append(&chunk, p, n);
        if (lf)
            (void) buf_putc(&chunk, '\n');
        if (chunk.len >= DATA_CHUNK) {
            if (smtpd_milter_data(s, chunk.data, chunk.len) < 0)
                s->cleanup_open = 0;
            buf_truncate(&chunk, 0);
        }
    }
    buf_fini(&line);
    s->last_cmd = "END-OF-MESSAGE";
    if (bare_reject) {
        snprintf(reply, sizeof(reply), "%d 5.5.2 %s Error: bare <LF> received",
                 s->cf->bare_nl_code, s->cf->myhostname);
        log_info("disallowed bare <LF> received from %s after DATA",
                 s->namaddr);
        smtpd_io_printf(s->io, "%s", reply);
        buf_fini(&chunk);
        smtpd_reset_transaction(s);
        smtpd_stat_count(s, "data", 0);
        return -1; /* Postfix disconnects too */
    }
    if (too_big) {
        smtpd_io_printf(s->io, "552 5.3.4 Error: message file too big");
        log_warn("%s: queue file size limit exceeded", s->id);
        buf_fini(&chunk);
        smtpd_reset_transaction(s);
        smtpd_stat_count(s, "data", 0);
        return 0;
    }
    if (s->cf->r_eod.n && smtpd_check_eod(s, reply, sizeof(reply)) < 0) {
        smtpd_log_reject(s, "END-OF-MESSAGE", reply, NULL);
        smtpd_io_printf(s->io, "%s", reply);
        buf_fini(&chunk);
        smtpd_reset_transaction(s);
        smtpd_stat_count(s, "data", 0);
        return 0;
    }
    st = -1;
    if (s->cleanup_open &&
        (chunk.len == 0 || smtpd_milter_data(s, chunk.data, chunk.len) == 0))
        st = smtpd_milter_end(s);
    buf_fini(&chunk);
    if (st == CLEANUP_STAT_OK)
        smtpd_io_printf(s->io, "250 2.0.0 Ok: queued as %s", s->id);
    eod_verdict(s, st, "data");
    return 0;
}

/* bdat_skip - read and drop n bytes (a refused chunk); 0 or -1 */
static int
bdat_skip(struct smtpd_session *s, long n)
{
    while (n > 0) {
        const char *p;
        size_t got;

        if (smtpd_io_read_raw(s->io, (size_t) n, &p, &got) <= 0)
            return -1;
        n -= (long) got;
    }
    return 0;
}

/* bdat_pass - chunk bytes for cleanup with LF line ends: a CR right
 * before an LF goes, across chunks too; bdat_size counts CRLF line ends,
 * as the replies do */
static void
bdat_pass(struct smtpd_session *s, struct buf *out, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s->bdat_cr) {
            s->bdat_cr = 0;
            if (p[i] != '\n') {
                (void) buf_putc(out, '\r');
                s->bdat_size++;
                s->bdat_nl = 0;
            }
        }
        if (p[i] == '\r') {
            s->bdat_cr = 1;
            continue;
        }
        (void) buf_putc(out, p[i]);
        s->bdat_nl = p[i] == '\n';
        s->bdat_size += s->bdat_nl ? 2 : 1;
    }
}

/* bdat_refuse - why this chunk cannot be taken, or NULL (reply in
 * reply); the first chunk runs smtpd_data_restrictions, as Postfix */
static const char *
bdat_refuse(struct smtpd_session *s, long count, int last, char *reply,
            size_t len)
{
    if (s->env.nrcpt == 0)
        return "554 5.5.1 Error: no valid recipients";
    if (count == 0 && !last) {
        log_warn("%s: null BDAT request from %s", s->id, s->namaddr);
        return "551 5.7.1 Null BDAT request";
    }
    if (s->cf->size_limit > 0 && s->bdat_raw + count > s->cf->size_limit) {
        log_warn("%s: BDAT request from %s exceeds message size limit", s->id,
                 s->namaddr);
        return "552 5.3.4 Chunk exceeds message size limit";
    }
    if (s->bdat == SMTPD_BDAT_NONE && smtpd_check_data(s, reply, len) < 0) {
        smtpd_log_reject(s, "BDAT", reply, s->last_rcpt);
        return reply;
    }
    return NULL;
}

static void
bdat_flush(struct smtpd_session *s, struct buf *out)
{
    if (out->len && s->cleanup_open &&
        smtpd_milter_data(s, out->data, out->len) < 0)
        s->cleanup_open = 0;
    buf_truncate(out, 0);
}

/* bdat_read - the chunk's bytes to cleanup; 0, or -1 when the client
 * is gone */
static int
bdat_read(struct smtpd_session *s, long count)
{
    struct buf out;
    int rc = 0;

    buf_init(&out, 0);
    if (s->bdat == SMTPD_BDAT_NONE) {
        env_client(s);
        received(s, &out);
        if (smtpd_milter_env(s) < 0)
            s->cleanup_open = 0;
        s->bdat = SMTPD_BDAT_OPEN;
    }
    while (count > 0) {
        const char *p;
        size_t got;

        if (smtpd_io_read_raw(s->io, (size_t) count, &p, &got) <= 0) {
            rc = -1;
            break;
        }
        count -= (long) got;
        bdat_pass(s, &out, p, got);
        if (out.len >= DATA_CHUNK)
            bdat_flush(s, &out);
    }
    bdat_flush(s, &out);
    buf_fini(&out);
    return rc;
}

/* bdat_end - the LAST chunk is in: the end of the message */
static void
bdat_end(struct smtpd_session *s)
{
    int st = -1;
    char tail[3];
    size_t n = 0;

    if (s->bdat_cr) {
        tail[n++] = '\r';
        s->bdat_size++;
        s->bdat_nl = 0;
    }
    if (s->bdat_size > 0 && !s->bdat_nl) {
        tail[n++] = '\n'; /* the last line is ended, as Postfix does */
        s->bdat_size += 2;
    }
    s->last_cmd = "END-OF-MESSAGE";
    if (s->cleanup_open && (n == 0 || smtpd_milter_data(s, tail, n) == 0))
        st = smtpd_milter_end(s);
    if (st == CLEANUP_STAT_OK)
        smtpd_io_printf(s->io, "250 2.0.0 Ok: %ld bytes queued as %s",
                        s->bdat_size, s->id);
    eod_verdict(s, st, "bdat");
}

/* smtpd_cmd_bdat - RFC 3030 chunks, as Postfix 3.7 answers them: a refused
 * chunk is read and dropped, and so is every chunk after it until
 * LAST; bad syntax ends the session (the chunk's size is unknown).
 * -1 when the connection must end */
int
smtpd_cmd_bdat(struct smtpd_session *s, char *arg, const char *raw)
{
    char *w[2] = {NULL, NULL}, *save = NULL, reply[1200];
    const char *why;
    int n = 0, last;
    long count = 0;

    for (char *t = strtok_r(arg, " ", &save); t; t = strtok_r(NULL, " ", &save))
        if (n++ < 2)
            w[n - 1] = t;
    errno = 0;
    if (n < 1 || n > 2 || strspn(w[0], "0123456789") != strlen(w[0]) ||
        (count = strtol(w[0], NULL, 10), errno == ERANGE) ||
        (n == 2 && strcasecmp(w[1], "LAST") != 0)) {
        log_warn("%s: malformed BDAT command syntax from %s: %.100s",
                 s->id[0] ? s->id : "NOQUEUE", s->namaddr, raw);
        smtpd_io_printf(s->io, "521 5.5.4 Syntax: BDAT count [LAST]");
        smtpd_stat_count(s, "bdat", 0);
        return -1;
    }
    last = n == 2;
    if (!s->have_mail) {
        smtpd_stat_count(s, "bdat", 0);
        smtpd_io_printf(s->io, "503 5.5.1 Error: need RCPT command");
        return bdat_skip(s, count);
    }
    if (s->bdat == SMTPD_BDAT_ERROR) {
        snprintf(reply, sizeof(reply),
                 "551 5.0.0 Discarded %ld bytes after earlier error", count);
        why = reply;
    } else {
        why = bdat_refuse(s, count, last, reply, sizeof(reply));
    }
    if (why) {
        smtpd_stat_count(s, "bdat", 0);
        smtpd_io_printf(s->io, "%s", why);
        s->bdat = SMTPD_BDAT_ERROR;
        if (bdat_skip(s, count) < 0)
            return -1;
        if (last)
            smtpd_reset_transaction(s);
        return 0;
    }
    if (bdat_read(s, count) < 0) {
        log_info("lost connection after BDAT from %s", s->namaddr);
        return -1;
    }
    s->bdat_raw += count;
    if (last) {
        bdat_end(s);
        return 0;
    }
    smtpd_io_printf(s->io, "250 2.0.0 Ok: %ld bytes", count);
    smtpd_stat_count(s, "bdat", 1);
    return 0;
}
