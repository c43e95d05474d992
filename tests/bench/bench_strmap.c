/* bench_strmap.c - the index's hash map under RoleBinding names chosen to
 * collide: the unkeyed hash it had against the keyed SipHash it has.
 *
 *   build/rel/tests/bench/bench_strmap [N]
 *
 * Makes N (default 100,000) RoleBinding names of one namespace whose keys
 * ("<ns>\0<name>", as policy/rbac.c keys bindings) all have the same 64-bit
 * value under the old hash, and N random names of the same length; loads
 * each set into a map and times looking its names up, once with the map's
 * code compiled with the old hash and once as it is (SipHash-2-4 under a
 * random key). Prints figures only; nothing here asserts a time.
 *
 * How the names are found. The old hash ran h = (h ^ w) * M; h ^= h >> 32
 * over each 8-byte word w of the key, a bijection of h ^ w: so the word w
 * equal to the state h sends the state to 0, whatever came before. Each
 * stage of a name is two words: w, drawn at random from [a-z0-9], until the
 * state after it, read as 8 bytes, is also in [a-z0-9] (1 draw in about
 * 6.6 million); the second word is that state, and the state is 0 again. So
 * 18 such w a stage and four stages give 18^4 = 104,976 names that end in
 * the same state, hence the same hash: a search of under a second, where
 * 2^32 draws would find just one pair by brute force. The names are 71
 * characters of [a-z0-9], valid RoleBinding names.
 */
#define _DEFAULT_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hashkey.h"

#define OLD_M1 0xff51afd7ed558ccdULL
#define OLD_M2 0xc4ceb9fe1a85ec53ULL

/* The map's hash before it was keyed, kept here only to compare. */
static uint64_t old_hash(const char *key, size_t len)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ (uint64_t)len;
    uint64_t w;

    for (; len >= 8; key += 8, len -= 8) {
        memcpy(&w, key, 8);
        h = (h ^ w) * OLD_M1;
        h ^= h >> 32;
    }
    w = 0;
    memcpy(&w, key, len);
    h = (h ^ w) * OLD_M2;
    h ^= h >> 33;
    h *= OLD_M1;
    h ^= h >> 33;
    h *= OLD_M2;
    h ^= h >> 33;
    return h;
}

/*
 * The same map code with the old hash: policy/strmap.c compiled once more
 * in this file, its functions renamed old_strmap_*.
 */
#define strmap_new           old_strmap_new
#define strmap_free          old_strmap_free
#define strmap_get           old_strmap_get
#define strmap_put           old_strmap_put
#define strmap_remove        old_strmap_remove
#define strmap_count         old_strmap_count
#define strmap_next          old_strmap_next
#define STRMAP_HASH(m, p, n) ((void)(m), old_hash((p), (n)))
#include "strmap.c"
#undef strmap_new
#undef strmap_free
#undef strmap_get
#undef strmap_put
#undef strmap_remove
#undef strmap_count
#undef strmap_next
#undef STRMAP_HASH
/* The map as it is, from policy/. */
#undef POLICY_STRMAP_H
#include "strmap.h"

/* "<ns>\0<name>" of the attacking project's bindings: 16 bytes of prefix. */
static const char bench_prefix[16] = "attacker\0collide";
#define BENCH_STAGES  4
#define BENCH_FANOUT  18
#define BENCH_KEY_LEN (16 + BENCH_STAGES * 16)

static const char bench_alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";

static uint64_t bench_rng = 0x2545f4914f6cdd1dULL;

static uint64_t bench_rand(void)
{
    bench_rng ^= bench_rng << 13;
    bench_rng ^= bench_rng >> 7;
    bench_rng ^= bench_rng << 17;
    return bench_rng;
}

static double bench_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One word of the old hash's loop. */
static uint64_t old_step(uint64_t h, uint64_t w)
{
    h = (h ^ w) * OLD_M1;
    return h ^ (h >> 32);
}

/* Whether the 8 bytes of v, as the hash loads them, are all [a-z0-9]. */
static int bench_alnum_word(uint64_t v, const unsigned char *is_alnum)
{
    unsigned char b[8];
    int i;

    memcpy(b, &v, 8);
    for (i = 0; i < 8; i++)
        if (!is_alnum[b[i]])
            return 0;
    return 1;
}

/*
 * BENCH_FANOUT distinct 16-byte stages (w, then the state after w) that take
 * state h to 0, into out[i][16].
 */
static void bench_stages(uint64_t h, char out[][16],
                         const unsigned char *is_alnum)
{
    int found = 0, i;

    while (found < BENCH_FANOUT) {
        uint64_t r = bench_rand(), w, s;
        unsigned char b[8];

        /* 8 letters and digits from 40 random bits, 5 a letter. */
        for (i = 0; i < 8; i++)
            b[i] = (unsigned char)bench_alnum[(r >> (5 * i)) & 31];
        memcpy(&w, b, 8);
        s = old_step(h, w);
        if (!bench_alnum_word(s, is_alnum))
            continue;
        for (i = 0; i < found; i++)
            if (memcmp(out[i], b, 8) == 0)
                break;
        if (i < found)
            continue;
        memcpy(out[found], b, 8);
        memcpy(out[found] + 8, &s, 8);
        found++;
    }
}

/* n keys of BENCH_KEY_LEN bytes that share one old hash, into keys. */
static void bench_colliding(char *keys, size_t n)
{
    static char first[BENCH_FANOUT][16], next[BENCH_FANOUT][16];
    unsigned char is_alnum[256] = {0};
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ (uint64_t)BENCH_KEY_LEN, w;
    size_t i, j, rest;

    for (i = 0; bench_alnum[i] != '\0'; i++)
        is_alnum[(unsigned char)bench_alnum[i]] = 1;
    for (i = 0; i < sizeof(bench_prefix); i += 8) {
        memcpy(&w, bench_prefix + i, 8);
        h = old_step(h, w);
    }
    bench_stages(h, first, is_alnum);
    bench_stages(0, next, is_alnum);
    for (i = 0; i < n; i++) {
        char *k = keys + i * BENCH_KEY_LEN;

        memcpy(k, bench_prefix, sizeof(bench_prefix));
        memcpy(k + 16, first[i % BENCH_FANOUT], 16);
        rest = i / BENCH_FANOUT;
        for (j = 1; j < BENCH_STAGES; j++, rest /= BENCH_FANOUT)
            memcpy(k + 16 + 16 * j, next[rest % BENCH_FANOUT], 16);
    }
}

/* n keys of the same length and prefix, the rest random [a-z0-9]. */
static void bench_random(char *keys, size_t n)
{
    size_t i, j;

    for (i = 0; i < n; i++) {
        char *k = keys + i * BENCH_KEY_LEN;

        memcpy(k, bench_prefix, sizeof(bench_prefix));
        for (j = sizeof(bench_prefix); j < BENCH_KEY_LEN; j++)
            k[j] = bench_alnum[bench_rand() % 36];
    }
}

/* A map's functions: the old code or the current one. */
struct bench_map {
    const char *name;
    struct strmap *(*create)(const struct siphash_key *key);
    int (*put)(struct strmap *m, const char *key, size_t len, void *val,
               void **old);
    void *(*get)(const struct strmap *m, const char *key, size_t len);
    void (*destroy)(struct strmap *m);
};

/* Where lookups go, so that the timed loop is not optimised away. */
static volatile uintptr_t bench_sink;

#define BENCH_SAMPLE 1000

/*
 * Load n keys into a new map (ms into *load_ms), then look up a sample of
 * BENCH_SAMPLE of them spread over the whole set, in rounds until 0.2 s
 * have passed; ns per lookup into *get_ns. -1 if a put fails or a lookup
 * finds the wrong value.
 */
static int bench_run(const struct bench_map *bm, const char *keys, size_t n,
                     double *load_ms, double *get_ns)
{
    struct strmap *m = bm->create(hashkey_get());
    double t0, t;
    size_t i, done = 0;
    int rc = -1;

    if (m == NULL)
        return -1;
    t0 = bench_now();
    for (i = 0; i < n; i++)
        if (bm->put(m, keys + i * BENCH_KEY_LEN, BENCH_KEY_LEN,
                    (void *)(uintptr_t)(i + 1), NULL) != 0)
            goto out;
    *load_ms = (bench_now() - t0) * 1e3;
    t0 = bench_now();
    do {
        for (i = 0; i < BENCH_SAMPLE; i++) {
            size_t k = i * (n / BENCH_SAMPLE);
            void *v = bm->get(m, keys + k * BENCH_KEY_LEN, BENCH_KEY_LEN);

            if ((uintptr_t)v != k + 1)
                goto out;
            bench_sink += (uintptr_t)v;
        }
        done += BENCH_SAMPLE;
        t = bench_now() - t0;
    } while (t < 0.2);
    *get_ns = t * 1e9 / (double)done;
    rc = 0;
out:
    bm->destroy(m);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct bench_map maps[] = {
        {"old (unkeyed)", old_strmap_new, old_strmap_put, old_strmap_get,
         old_strmap_free},
        {"siphash-2-4", strmap_new, strmap_put, strmap_get, strmap_free},
    };
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 100000;
    char *colliding = NULL, *random = NULL;
    double t0, load[2], get[2];
    size_t i;
    int rc = 1;

    if (n < BENCH_SAMPLE || n > 104976) {
        fprintf(stderr, "usage: bench_strmap [N] (N from %d to 104976)\n",
                BENCH_SAMPLE);
        return 2;
    }
    colliding = malloc((size_t)n * BENCH_KEY_LEN);
    random = malloc((size_t)n * BENCH_KEY_LEN);
    if (colliding == NULL || random == NULL || hashkey_init(NULL) != 0)
        goto out;
    t0 = bench_now();
    bench_colliding(colliding, (size_t)n);
    for (i = 1; i < (size_t)n; i++)
        if (old_hash(colliding + i * BENCH_KEY_LEN, BENCH_KEY_LEN) !=
            old_hash(colliding, BENCH_KEY_LEN)) {
            fprintf(stderr, "bench_strmap: name %zu does not collide\n", i);
            goto out;
        }
    printf("%ld names of namespace \"attacker\" with one old hash (%016llx), "
           "found in %.0f ms, e.g. \"%.*s\"\n",
           n, (unsigned long long)old_hash(colliding, BENCH_KEY_LEN),
           (bench_now() - t0) * 1e3, BENCH_KEY_LEN - 9, colliding + 9);
    bench_random(random, (size_t)n);
    printf("\n%-14s %-10s %10s %12s\n", "hash", "names", "load ms",
           "lookup ns");
    for (i = 0; i < 2; i++) {
        if (bench_run(&maps[i], colliding, (size_t)n, &load[0], &get[0]) != 0 ||
            bench_run(&maps[i], random, (size_t)n, &load[1], &get[1]) != 0) {
            fprintf(stderr, "bench_strmap: %s: a put or lookup failed\n",
                    maps[i].name);
            goto out;
        }
        printf("%-14s %-10s %10.1f %12.1f\n", maps[i].name, "colliding",
               load[0], get[0]);
        printf("%-14s %-10s %10.1f %12.1f\n", maps[i].name, "random", load[1],
               get[1]);
        printf("%-14s lookup colliding/random: %.2f\n", maps[i].name,
               get[0] / get[1]);
    }
    rc = 0;
out:
    free(colliding);
    free(random);
    return rc;
}
