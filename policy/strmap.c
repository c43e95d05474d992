/* strmap.c - hash map from byte-string keys to pointers, for the indexes. */
#include "strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * Open addressing with linear probing and backward-shift deletion (no
 * tombstones, so lookups stay short after many deletes), at most half full.
 * Each slot keeps the full 64-bit hash, so a probe compares keys only on a
 * hash match.
 *
 * The keys are names that users choose (a project admin names RoleBindings
 * and their subjects), so the hash is keyed: with an unkeyed hash, names
 * chosen to collide turn every lookup and insert into a walk of one long
 * probe run, and the index into a list (tests/bench/bench_strmap shows it
 * with the hash this map had before).
 */
struct strmap_slot {
    uint64_t hash;
    char *key; /* NULL: empty slot */
    size_t len;
    void *val;
};

struct strmap {
    struct strmap_slot *slots;
    size_t cap; /* power of two, or 0 before the first put */
    size_t n;
    struct siphash_key seed;
};

#define STRMAP_MIN_CAP 16

/*
 * The hash of n bytes at p in map m. tests/bench/bench_strmap.c compiles
 * this file once more with the unkeyed hash of old in its place.
 */
#ifndef STRMAP_HASH
#define STRMAP_HASH(m, p, n) siphash24(&(m)->seed, (p), (n))
#endif

struct strmap *strmap_new(const struct siphash_key *key)
{
    struct strmap *m = calloc(1, sizeof(struct strmap));

    if (m != NULL)
        m->seed = *key;
    return m;
}

void strmap_free(struct strmap *m)
{
    size_t i;

    if (m == NULL)
        return;
    for (i = 0; i < m->cap; i++)
        free(m->slots[i].key);
    free(m->slots);
    free(m);
}

/* Index of key's slot, or of the empty slot where it would go. */
static size_t strmap_find(const struct strmap *m, uint64_t h, const char *key,
                          size_t len)
{
    size_t mask = m->cap - 1;
    size_t i = (size_t)h & mask;

    while (m->slots[i].key != NULL) {
        const struct strmap_slot *s = &m->slots[i];
        if (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0)
            break;
        i = (i + 1) & mask;
    }
    return i;
}

static int strmap_grow(struct strmap *m)
{
    size_t ncap = m->cap ? m->cap * 2 : STRMAP_MIN_CAP;
    struct strmap_slot *old = m->slots;
    size_t ocap = m->cap;
    size_t i;

    if (ncap < m->cap || ncap > SIZE_MAX / sizeof(*old))
        return -1;
    m->slots = calloc(ncap, sizeof(*old));
    if (m->slots == NULL) {
        m->slots = old;
        return -1;
    }
    m->cap = ncap;
    for (i = 0; i < ocap; i++) {
        if (old[i].key != NULL) {
            size_t j = strmap_find(m, old[i].hash, old[i].key, old[i].len);
            m->slots[j] = old[i];
        }
    }
    free(old);
    return 0;
}

void *strmap_get(const struct strmap *m, const char *key, size_t len)
{
    size_t i;

    if (m == NULL || m->n == 0)
        return NULL;
    i = strmap_find(m, STRMAP_HASH(m, key, len), key, len);
    return m->slots[i].key != NULL ? m->slots[i].val : NULL;
}

int strmap_put(struct strmap *m, const char *key, size_t len, void *val,
               void **old)
{
    uint64_t h = STRMAP_HASH(m, key, len);
    struct strmap_slot *s;
    char *copy;
    size_t i;

    if (old != NULL)
        *old = NULL;
    if (m->cap != 0) {
        i = strmap_find(m, h, key, len);
        if (m->slots[i].key != NULL) {
            if (old != NULL)
                *old = m->slots[i].val;
            m->slots[i].val = val;
            return 0;
        }
    }
    if ((m->n + 1) * 2 > m->cap && strmap_grow(m) != 0)
        return -1;
    copy = malloc(len + 1);
    if (copy == NULL)
        return -1;
    memcpy(copy, key, len);
    copy[len] = '\0';
    i = strmap_find(m, h, key, len);
    s = &m->slots[i];
    s->hash = h;
    s->key = copy;
    s->len = len;
    s->val = val;
    m->n++;
    return 0;
}

void *strmap_remove(struct strmap *m, const char *key, size_t len)
{
    size_t mask, i, j;
    void *val;

    if (m == NULL || m->n == 0)
        return NULL;
    mask = m->cap - 1;
    i = strmap_find(m, STRMAP_HASH(m, key, len), key, len);
    if (m->slots[i].key == NULL)
        return NULL;
    val = m->slots[i].val;
    free(m->slots[i].key);
    m->slots[i].key = NULL;
    m->n--;
    /* Backward shift: pull later members of the probe run into the hole. */
    j = i;
    for (;;) {
        size_t home;

        j = (j + 1) & mask;
        if (m->slots[j].key == NULL)
            break;
        home = (size_t)m->slots[j].hash & mask;
        /* Leave j alone when its home lies cyclically in (i, j]. */
        if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
            continue;
        m->slots[i] = m->slots[j];
        m->slots[j].key = NULL;
        i = j;
    }
    return val;
}

size_t strmap_count(const struct strmap *m)
{
    return m != NULL ? m->n : 0;
}

int strmap_next(const struct strmap *m, size_t *pos, const char **key,
                size_t *len, void **val)
{
    if (m == NULL)
        return 0;
    while (*pos < m->cap) {
        const struct strmap_slot *s = &m->slots[(*pos)++];
        if (s->key != NULL) {
            if (key != NULL)
                *key = s->key;
            if (len != NULL)
                *len = s->len;
            *val = s->val;
            return 1;
        }
    }
    return 0;
}
