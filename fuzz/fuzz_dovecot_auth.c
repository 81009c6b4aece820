/*
 * fuzz_dovecot_auth - libFuzzer target for what smtpd reads from
 * Dovecot's auth service (smtpd_sasl_dovecot.c): the handshake and the
 * replies to AUTH and CONT.
 *
 * DESCRIPTION
 *	The first input byte picks the parser: even, the rest is the
 *	server's handshake, one line per LF, fed to
 *	smtpd_dovecot_handshake_line until it ends (DONE or a failure);
 *	odd, the rest are reply lines for request id (the second byte),
 *	fed to smtpd_dovecot_reply_line until one is the reply.
 *
 *	Checks beyond the sanitizers: at most SMTPD_SASL_MAX_MECHS
 *	mechanisms, each a non-empty name without TAB or LF, none
 *	"private"; a reply is MORE, DONE or FAIL; DONE comes with a user
 *	name; the user name and the reply text (they reach log lines and
 *	SMTP replies) hold no control character.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtpd/smtpd_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
printable_or_die(const char *s)
{
    for (; s && *s; s++)
        if ((unsigned char) *s < ' ' || (unsigned char) *s >= 127)
            abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text, *line, *next;
    int mode, st = 0;
    unsigned id = 0;
    struct smtpd_sasl_mechs m;
    struct buf reply;
    char *user = NULL;

    if (size < 2)
        return 0;
    mode = data[0] & 1;
    id = data[1];
    text = malloc(size - 1);
    if (text == NULL)
        return 0;
    memcpy(text, data + 2, size - 2);
    text[size - 2] = 0;
    memset(&m, 0, sizeof(m));
    buf_init(&reply, 0);
    for (line = text; line && st == 0; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = 0;
        if (mode == 0)
            st = smtpd_dovecot_handshake_line(&m, line);
        else
            st = smtpd_dovecot_reply_line(id, line, &reply, &user);
    }
    if (mode == 0) {
        if (st < -1 || st > 1 || m.n < 0 || m.n > SMTPD_SASL_MAX_MECHS)
            abort();
        for (int i = 0; i < m.n; i++)
            if (m.name[i] == NULL || *m.name[i] == 0 ||
                strpbrk(m.name[i], "\t\n") || (m.props[i] & SMTPD_SASL_PRIVATE))
                abort();
    } else {
        if (st != 0 && st != SMTPD_SASL_MORE && st != SMTPD_SASL_DONE &&
            st != SMTPD_SASL_FAIL)
            abort();
        if (st == SMTPD_SASL_DONE && user == NULL)
            abort();
        printable_or_die(user);
        printable_or_die(buf_str(&reply));
    }
    smtpd_sasl_mechs_fini(&m);
    buf_fini(&reply);
    mem_free(user);
    free(text);
    return 0;
}
