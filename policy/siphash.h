/* siphash.h - SipHash-2-4, the keyed hash of the indexes' hash maps. */
#ifndef POLICY_SIPHASH_H
#define POLICY_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

/*
 * A 128-bit SipHash key as two 64-bit words: k0 is the first 8 key bytes
 * read little-endian, k1 the last 8. The process draws one at random at
 * start (webhook/hashkey.h); tests use fixed ones.
 */
struct siphash_key {
    uint64_t k0, k1;
};

/*
 * SipHash-2-4 (Aumasson and Bernstein, 2012) of the len bytes at msg, as a
 * 64-bit integer (the reference's 8 output bytes read little-endian).
 * Without the key, nobody can choose inputs whose hashes collide.
 */
uint64_t siphash24(const struct siphash_key *key, const void *msg, size_t len);

#endif
