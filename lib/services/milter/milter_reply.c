/*
 * milter_reply - decode one reply packet from a milter (command byte and
 * data, the length already taken off), strictly: strings must end
 * inside the packet, indexes must be there. Postfix's milter8_event
 * does the same checks as it reads.
 */
#include <string.h>

#include "milter/milter.h"
#include "milter/milter_int.h"

/* take_str - the NUL-terminated string at *p within end, or NULL */
static const char *
take_str(const char **p, const char *end)
{
    const char *s = *p;
    const char *nul = memchr(s, 0, (size_t) (end - s));

    if (nul == NULL)
        return NULL;
    *p = nul + 1;
    return s;
}

static int
take_u32(const char **p, const char *end, uint32_t *v)
{
    const unsigned char *u = (const unsigned char *) *p;

    if (end - *p < 4)
        return -1;
    *v = (uint32_t) u[0] << 24 | (uint32_t) u[1] << 16 | (uint32_t) u[2] << 8 |
         u[3];
    *p += 4;
    return 0;
}

int
milter_reply_parse(const char *buf, size_t len, struct milter_reply *r)
{
    const char *p, *end = buf + len;

    memset(r, 0, sizeof(*r));
    if (len < 1)
        return -1;
    r->cmd = (unsigned char) buf[0];
    p = buf + 1;
    switch (r->cmd) {
    case SMFIR_ACCEPT:
    case SMFIR_CONTINUE:
    case SMFIR_DISCARD:
    case SMFIR_REJECT:
    case SMFIR_TEMPFAIL:
    case SMFIR_PROGRESS:
    case SMFIR_SKIP:
    case SMFIR_CONN_FAIL:
    case SMFIR_SHUTDOWN:
        return 0; /* any data is ignored, as Postfix does */
    case SMFIR_REPLYCODE:
        /* "ddd d.d.d text": three digits, 4 or 5 first, then space or
         * '-' for a multi-line reply */
        if ((r->s1 = take_str(&p, end)) == NULL || strlen(r->s1) < 3 ||
            (r->s1[0] != '4' && r->s1[0] != '5') || r->s1[1] < '0' ||
            r->s1[1] > '9' || r->s1[2] < '0' || r->s1[2] > '9' ||
            (r->s1[3] != 0 && r->s1[3] != ' ' && r->s1[3] != '-'))
            return -1;
        return 0;
    case SMFIR_QUARANTINE:
        return (r->s1 = take_str(&p, end)) == NULL ? -1 : 0;
    case SMFIR_ADDHEADER:
        if ((r->s1 = take_str(&p, end)) == NULL ||
            (r->s2 = take_str(&p, end)) == NULL)
            return -1;
        break;
    case SMFIR_INSHEADER:
    case SMFIR_CHGHEADER:
        if (take_u32(&p, end, &r->index) < 0 ||
            (r->s1 = take_str(&p, end)) == NULL ||
            (r->s2 = take_str(&p, end)) == NULL)
            return -1;
        break;
    case SMFIR_ADDRCPT:
    case SMFIR_DELRCPT:
        return (r->s1 = take_str(&p, end)) == NULL || r->s1[0] == 0 ? -1 : 0;
    case SMFIR_ADDRCPT_PAR:
    case SMFIR_CHGFROM:
        if ((r->s1 = take_str(&p, end)) == NULL)
            return -1;
        if (p < end && (r->s2 = take_str(&p, end)) == NULL)
            return -1;
        return 0;
    case SMFIR_REPLBODY:
        r->data = p;
        r->len = (size_t) (end - p);
        return 0;
    default:
        return -1;
    }
    /* header names: printable, no colon, not empty */
    if (r->s1[0] == 0)
        return -1;
    for (const char *c = r->s1; *c; c++)
        if (*c <= ' ' || *c == ':' || *c == 0x7f)
            return -1;
    return 0;
}
