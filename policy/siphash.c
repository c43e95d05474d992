/* siphash.c - SipHash-2-4, the keyed hash of the indexes' hash maps. */
#include "siphash.h"

#include <string.h>

/* A little-endian load of 8 bytes, whatever the host's byte order. */
static uint64_t siphash_load8(const unsigned char *p)
{
    uint64_t v;

    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

#define SIPHASH_ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static void siphash_round(uint64_t v[4])
{
    v[0] += v[1];
    v[1] = SIPHASH_ROTL(v[1], 13);
    v[1] ^= v[0];
    v[0] = SIPHASH_ROTL(v[0], 32);
    v[2] += v[3];
    v[3] = SIPHASH_ROTL(v[3], 16);
    v[3] ^= v[2];
    v[0] += v[3];
    v[3] = SIPHASH_ROTL(v[3], 21);
    v[3] ^= v[0];
    v[2] += v[1];
    v[1] = SIPHASH_ROTL(v[1], 17);
    v[1] ^= v[2];
    v[2] = SIPHASH_ROTL(v[2], 32);
}

uint64_t siphash24(const struct siphash_key *key, const void *msg, size_t len)
{
    const unsigned char *p = msg;
    uint64_t v[4], m;
    size_t left = len;

    /* The constants spell "somepseudorandomlygeneratedbytes". */
    v[0] = key->k0 ^ 0x736f6d6570736575ULL;
    v[1] = key->k1 ^ 0x646f72616e646f6dULL;
    v[2] = key->k0 ^ 0x6c7967656e657261ULL;
    v[3] = key->k1 ^ 0x7465646279746573ULL;
    for (; left >= 8; p += 8, left -= 8) {
        m = siphash_load8(p);
        v[3] ^= m;
        siphash_round(v);
        siphash_round(v);
        v[0] ^= m;
    }
    /* The last block: the remaining bytes and the length's low byte on top. */
    m = (uint64_t)(len & 0xff) << 56;
    while (left-- > 0)
        m |= (uint64_t)p[left] << (8 * left);
    v[3] ^= m;
    siphash_round(v);
    siphash_round(v);
    v[0] ^= m;
    v[2] ^= 0xff;
    siphash_round(v);
    siphash_round(v);
    siphash_round(v);
    siphash_round(v);
    return v[0] ^ v[1] ^ v[2] ^ v[3];
}
