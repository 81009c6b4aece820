/*
 * smtpd_misc - the commands around a transaction: HELO/EHLO (and the
 * EHLO keyword list), VRFY, ETRN and STARTTLS.
 *
 * Split out of smtpd.c.
 */
#define _DEFAULT_SOURCE 1 /* strcasecmp */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "maillog/maillog.h"
#include "maps/maps.h"
#include "rewrite/rewrite.h"
#include "smtpd/smtpd.h"
#include "smtpd/smtpd_int.h"

void
smtpd_cmd_helo(struct smtpd_session *s, const char *arg, int ehlo)
{
    char reply[1200], *helo;

    if (*arg == 0) {
        smtpd_io_printf(s->io, "501 Syntax: %s hostname",
                        ehlo ? "EHLO" : "HELO");
        smtpd_stat_count(s, ehlo ? "ehlo" : "helo", 0);
        return;
    }
    helo = mem_strdup(arg);
    /* it goes into the Received: header: control characters and what
     * would end the "from NAME (" comment become '?', as Postfix's
     * printable() and neuter(NEUTER_CHARACTERS) do */
    for (char *p = helo; *p; p++)
        if ((unsigned char) *p < ' ' || *p == 127 || strchr(" <>()\\\";@", *p))
            *p = '?';
    if (!s->cf->delay_reject) {
        /* checked as the new name; a rejected HELO changes nothing, not
         * even the protocol, as in Postfix */
        char *old = s->helo;
        int rc;

        s->helo = helo;
        rc = smtpd_check_stage(s, SMTPD_ST_HELO, ehlo ? "EHLO" : "HELO", reply,
                               sizeof(reply));
        if (rc < 0)
            smtpd_log_reject(s, ehlo ? "EHLO" : "HELO", reply, NULL);
        s->helo = old;
        if (rc < 0) {
            mem_free(helo);
            smtpd_io_printf(s->io, "%s", reply);
            smtpd_stat_count(s, ehlo ? "ehlo" : "helo", 0);
            return;
        }
    }
    smtpd_reset_transaction(s);
    mem_free(s->helo);
    s->helo = helo;
    if (smtpd_milter_helo(s, ehlo) < 0) { /* 421 said: the session ends */
        smtpd_stat_count(s, ehlo ? "ehlo" : "helo", 0);
        return;
    }
    s->esmtp = ehlo;
    smtpd_stat_count(s, ehlo ? "ehlo" : "helo", 1);
    if (!ehlo) {
        smtpd_io_printf(s->io, "250 %s", s->cf->myhostname);
        return;
    }
    smtpd_io_printf(s->io, "250-%s", s->cf->myhostname);
    smtpd_io_printf(s->io, "250-PIPELINING");
    if (s->cf->size_limit > 0)
        smtpd_io_printf(s->io, "250-SIZE %ld", s->cf->size_limit);
    else
        smtpd_io_printf(s->io, "250-SIZE");
    if (!s->cf->disable_vrfy)
        smtpd_io_printf(s->io, "250-VRFY");
    smtpd_io_printf(s->io, "250-ETRN");
    if (s->cf->tls_ctx && !s->tls)
        smtpd_io_printf(s->io, "250-STARTTLS");
    smtpd_sasl_ehlo(s);
    smtpd_io_printf(s->io, "250-ENHANCEDSTATUSCODES");
    smtpd_io_printf(s->io, "250-8BITMIME");
    smtpd_io_printf(s->io, "250-DSN");
    if (s->cf->utf8_enable)
        smtpd_io_printf(s->io, "250-SMTPUTF8");
    smtpd_io_printf(s->io, "250 CHUNKING");
}

/* smtpd_cmd_vrfy - as Postfix: the recipient restrictions and the local
 * recipient check decide, "252" otherwise (never a promise) */
void
smtpd_cmd_vrfy(struct smtpd_session *s, char *arg)
{
    char reply[1200];
    char *addr, *shown, *canon, *sp;
    size_t n;

    if (s->cf->disable_vrfy) {
        smtpd_io_printf(s->io, "502 5.5.1 VRFY command is disabled");
        smtpd_stat_count(s, "vrfy", 0);
        return;
    }
    if (*arg == 0) {
        smtpd_io_printf(s->io, "501 5.5.4 Syntax: VRFY address%s",
                        s->cf->utf8_enable ? " [SMTPUTF8]" : "");
        smtpd_stat_count(s, "vrfy", 0);
        return;
    }
    /* "VRFY address SMTPUTF8": the option is not part of the address */
    if ((sp = strrchr(arg, ' ')) != NULL && strcasecmp(sp + 1, "SMTPUTF8") == 0)
        for (*sp = 0; sp > arg && sp[-1] == ' ';)
            *--sp = 0;
    n = strlen(arg);
    if (arg[0] == '<' && n > 1 && arg[n - 1] == '>')
        addr = mem_strndup(arg + 1, n - 2);
    else
        addr = mem_strdup(arg);
    shown = rewrite_unquote(addr);
    if (*shown == 0 || strchr(addr, ' ') != NULL) {
        /* Postfix's extract_addr(): an empty address, or more than one */
        struct smtpd_path_tok tok = {arg, (int) strlen(arg)};

        smtpd_illegal_addr(s, "VRFY", &tok);
        smtpd_io_printf(s->io, "501 5.1.3 Bad recipient address syntax");
        smtpd_stat_count(s, "vrfy", 0);
    } else {
        canon = rewrite_canon(s->cf->rw, addr);
        if (smtpd_check_vrfy(s, canon, shown, reply, sizeof(reply)) < 0) {
            smtpd_log_reject(s, "VRFY", reply, shown);
            smtpd_io_printf(s->io, "%s", reply);
            smtpd_stat_count(s, "vrfy", 0);
        } else {
            smtpd_io_printf(s->io, "252 2.0.0 %s", arg);
            smtpd_stat_count(s, "vrfy", 1);
        }
        mem_free(canon);
    }
    mem_free(shown);
    mem_free(addr);
}

/* smtpd_cmd_etrn - Postfix's checks and replies (RFC 1985 codes, no enhanced
 * status codes); a domain of fast_flush_domains gets "458": Postern
 * has no fast flush service */
void
smtpd_cmd_etrn(struct smtpd_session *s, const char *arg)
{
    const char *d = arg;

    /* every outcome is a failed command: Postern answers no ETRN with 250 */
    smtpd_stat_count(s, "etrn", 0);
    if (s->cf->helo_required && s->helo == NULL) {
        smtpd_io_printf(s->io, "503 Error: send HELO/EHLO first");
        return;
    }
    if (s->have_mail) {
        smtpd_io_printf(s->io, "503 Error: MAIL transaction in progress");
        return;
    }
    if (*arg == 0 || strchr(arg, ' ') != NULL) {
        smtpd_io_printf(s->io, "500 Syntax: ETRN domain");
        return;
    }
    if (!isalnum((unsigned char) *d))
        d++; /* "@domain", "#queue" */
    if (!rewrite_valid_hostname(d)) {
        smtpd_io_printf(s->io, "501 Error: invalid parameter syntax");
        return;
    }
    if (maps_match_domain(s->cf->flush_domains, d) != 1) {
        log_warn("reject: ETRN %.100s... from %s", d, s->namaddr);
        smtpd_io_printf(s->io, "459 <%s>: service unavailable", d);
        return;
    }
    log_warn("unable to talk to fast flush service");
    smtpd_io_printf(s->io, "458 Unable to queue messages");
}

int
smtpd_tls_wrapper(struct smtpd_session *s)
{
    char err[300];

    if (s->cf->tls_ctx == NULL) {
        log_warn("%s: smtpd_tls_wrappermode = yes without a usable "
                 "smtpd_tls_cert_file: dropping the connection",
                 s->namaddr);
        return -1;
    }
    switch (smtpd_io_starttls(s->io, s->cf->tls_ctx, err, sizeof(err))) {
    case SIO_TLS_LOST:
        log_info("SSL_accept error from %s: lost connection", s->namaddr);
        return -1;
    case SIO_TLS_ERROR:
        log_warn("TLS library problem: %s from %s", err, s->namaddr);
        return -1;
    default:
        break;
    }
    s->tls = 1;
    if (s->cf->tls_loglevel >= 1)
        log_info("Anonymous TLS connection established from %s: %s", s->namaddr,
                 smtpd_io_tls_summary(s->io, err, sizeof(err)));
    return 0;
}

int
smtpd_cmd_starttls(struct smtpd_session *s)
{
    char err[300];

    if (s->tls) {
        smtpd_io_printf(s->io, "554 5.5.1 Error: TLS already active");
        smtpd_stat_count(s, "starttls", 0);
        return 0;
    }
    if (s->cf->tls_ctx == NULL) {
        smtpd_io_printf(s->io, "502 5.5.1 Error: command not implemented");
        smtpd_stat_count(s, "starttls", 0);
        return 0;
    }
    smtpd_io_printf(s->io, "220 2.0.0 Ready to start TLS");
    /* plaintext sent after STARTTLS must not count (CVE-2011-0411) */
    smtpd_io_discard_input(s->io);
    switch (smtpd_io_starttls(s->io, s->cf->tls_ctx, err, sizeof(err))) {
    case SIO_TLS_LOST:
        /* the client left during the handshake: Postfix's wording */
        log_info("SSL_accept error from %s: lost connection", s->namaddr);
        smtpd_stat_count(s, "starttls", 0);
        return -1;
    case SIO_TLS_ERROR:
        log_warn("TLS library problem: %s from %s", err, s->namaddr);
        smtpd_stat_count(s, "starttls", 0);
        return -1;
    default:
        break;
    }
    s->tls = 1;
    smtpd_sasl_tls_started(s);
    /* smtpd_tls_loglevel = 0 (the default) logs no summary, as Postfix */
    if (s->cf->tls_loglevel >= 1)
        log_info("Anonymous TLS connection established from %s: %s", s->namaddr,
                 smtpd_io_tls_summary(s->io, err, sizeof(err)));
    smtpd_reset_transaction(s);
    mem_free(s->helo);
    s->helo = NULL;
    s->esmtp = 0;
    smtpd_stat_count(s, "starttls", 1);
    return 0;
}
