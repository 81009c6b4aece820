/*
 * pickup_file - the maildrop file format and envelope address checks,
 * shared by sendmail, postdrop and pickup.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ipc/ipc.h"
#include "pickup/pickup_int.h"

void
pickup_file_encode(struct buf *out, const struct queue_env *env,
                   const char *fullname)
{
    struct ipc_out o;
    size_t len;
    const char *f;

    ipc_out_init(&o);
    ipc_out_begin(&o, 'P');
    ipc_put_str(&o, env->sender);
    ipc_put_str(&o, fullname);
    ipc_put_str(&o, env->envid);
    ipc_put_u32(&o, env->ret);
    ipc_put_u32(&o, (uint32_t) env->nrcpt);
    for (size_t i = 0; i < env->nrcpt; i++) {
        ipc_put_str(&o, env->rcpt[i].addr);
        ipc_put_u32(&o, env->rcpt[i].notify);
    }
    f = ipc_out_finish(&o, &len);
    (void) buf_append(out, f, len);
    ipc_out_fini(&o);
}

int
pickup_addr_bad(const char *addr)
{
    for (const unsigned char *p = (const unsigned char *) addr; p && *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return 1;
    return 0;
}

const char *
pickup_printable(const char *addr)
{
    static char out[512];
    size_t o = 0;

    for (const unsigned char *p = (const unsigned char *) addr;
         p && *p && o + 5 < sizeof(out); p++) {
        if (*p == '\n')
            o += (size_t) snprintf(out + o, sizeof(out) - o, "\\n");
        else if (*p == '\r')
            o += (size_t) snprintf(out + o, sizeof(out) - o, "\\r");
        else if (*p < 0x20 || *p == 0x7f)
            o += (size_t) snprintf(out + o, sizeof(out) - o, "\\x%02x", *p);
        else
            out[o++] = (char) *p;
    }
    out[o] = 0;
    return out;
}

int
pickup_file_decode(const char *text, size_t len, struct queue_env *env,
                   char **fullname, size_t *content_off)
{
    struct ipc_in in;
    uint32_t flen, n;

    *fullname = NULL;
    if (len < 4)
        return -1;
    flen = ipc_be32(text);
    if ((size_t) flen + 4 > len ||
        ipc_in_init(&in, text, (size_t) flen + 4) < 0 || in.type != 'P')
        return -1;
    queue_env_set(&env->sender, ipc_get_str(&in));
    *fullname = mem_strdup(ipc_get_str(&in));
    queue_env_set(&env->envid, ipc_get_str(&in));
    env->ret = ipc_get_u32(&in);
    n = ipc_get_u32(&in);
    if (!ipc_in_ok(&in) || n == 0 || n > 100000 ||
        pickup_addr_bad(env->sender) || pickup_addr_bad(env->envid) ||
        strchr(*fullname, '\n') || strchr(*fullname, '\r'))
        return -1;
    for (uint32_t i = 0; i < n && ipc_in_ok(&in); i++) {
        const char *a = ipc_get_str(&in);
        uint32_t nt = ipc_get_u32(&in);

        if (pickup_addr_bad(a))
            return -1;
        queue_env_add_rcpt(env, a, "", "", nt);
    }
    if (!ipc_in_ok(&in) || ipc_in_more(&in))
        return -1;
    *content_off = (size_t) flen + 4;
    return 0;
}
