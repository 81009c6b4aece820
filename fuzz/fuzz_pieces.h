/*
 * fuzz_pieces - where the fuzzers cut an input into the pieces a socket
 * would deliver (fuzz_smtpd, fuzz_smtp_reply).
 *
 * DESCRIPTION
 *	The cuts follow from a hash of the whole input, so a reproducer
 *	replays the same reads: pieces of 1 to 64 bytes, one in four of
 *	them 1 to 3 bytes long, which splits CR LF pairs and short
 *	commands often.
 */
#ifndef POSTERN_FUZZ_PIECES_H
#define POSTERN_FUZZ_PIECES_H

#include <stddef.h>
#include <stdint.h>

/* pieces_seed - FNV-1a of the input */
static inline uint64_t
pieces_seed(const uint8_t *data, size_t size)
{
    uint64_t h = 1469598103934665603ULL;

    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 1099511628211ULL;
    return h;
}

/* pieces_next - the length of the next piece, at most left (> 0) */
static inline size_t
pieces_next(uint64_t *h, size_t left)
{
    size_t n;

    *h ^= *h << 13, *h ^= *h >> 7, *h ^= *h << 17; /* xorshift64 */
    n = *h % 4 == 0 ? 1 + *h / 4 % 3 : 1 + *h / 4 % 64;
    return n < left ? n : left;
}

#endif
