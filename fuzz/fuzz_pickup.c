/*
 * fuzz_pickup - libFuzzer target for the maildrop file format.
 *
 * DESCRIPTION
 *	The input is a maildrop file as pickup reads it (the 'P' frame of
 *	pickup_file_encode, then the content), given to pickup_file_decode
 *	in a buffer of exactly its size (libFuzzer's copy), so a read past
 *	the end is ASan's to report.
 *
 *	Checks beyond the sanitizers: a file that decodes has at least one
 *	recipient and its content offset inside the file; the format has
 *	one encoding, so pickup_file_encode of what was decoded gives back
 *	the file's header bytes exactly, and decoding that gives the same
 *	envelope. A file that does not decode leaves nothing behind but
 *	what queue_env_fini and the caller's free of the full name release
 *	(libFuzzer's -detect_leaks).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pickup/pickup_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
same_env(const struct queue_env *a, const char *afull,
         const struct queue_env *b, const char *bfull)
{
    if (strcmp(a->sender, b->sender) || strcmp(afull, bfull) ||
        strcmp(a->envid, b->envid) || a->ret != b->ret || a->nrcpt != b->nrcpt)
        abort();
    for (size_t i = 0; i < a->nrcpt; i++)
        if (strcmp(a->rcpt[i].addr, b->rcpt[i].addr) ||
            a->rcpt[i].notify != b->rcpt[i].notify)
            abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct queue_env env, env2;
    char *full = NULL, *full2 = NULL;
    size_t off = 0, off2 = 0;
    struct buf enc;

    queue_env_init(&env);
    if (pickup_file_decode((const char *) data, size, &env, &full, &off) == 0) {
        if (env.nrcpt == 0 || off < 5 || off > size || full == NULL)
            abort();
        buf_init(&enc, 0);
        pickup_file_encode(&enc, &env, full);
        if (enc.len != off || memcmp(enc.data, data, off) != 0)
            abort(); /* a second encoding of one envelope */
        /* the encoding alone, then with content after it */
        (void) buf_append(&enc, "x\n", 2);
        for (int k = 0; k < 2; k++) {
            queue_env_init(&env2);
            if (pickup_file_decode(enc.data, k ? enc.len : off, &env2, &full2,
                                   &off2) < 0 ||
                off2 != off)
                abort();
            same_env(&env, full, &env2, full2);
            queue_env_fini(&env2);
            mem_free(full2);
            full2 = NULL;
        }
        buf_fini(&enc);
    }
    queue_env_fini(&env);
    mem_free(full);
    return 0;
}
