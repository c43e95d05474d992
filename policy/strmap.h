/* strmap.h - hash map from byte-string keys to pointers, for the indexes. */
#ifndef POLICY_STRMAP_H
#define POLICY_STRMAP_H

#include <stddef.h>

#include "siphash.h"

struct strmap;

/*
 * Returns a new, empty map that hashes keys with SipHash under key (copied),
 * or NULL on ENOMEM. With a key nobody outside the process knows, nobody can
 * choose keys that collide: lookups stay O(len) whatever the keys are.
 */
struct strmap *strmap_new(const struct siphash_key *key);

/*
 * Frees the map and its copies of the keys. Values are not freed: walk the
 * map with strmap_next() first if they are owned. m may be NULL.
 */
void strmap_free(struct strmap *m);

/*
 * The value stored under key (len bytes; may hold NUL bytes, so composite
 * keys can join parts with '\0'), or NULL when there is none. Average cost
 * O(len), whatever the number of entries.
 */
void *strmap_get(const struct strmap *m, const char *key, size_t len);

/*
 * Stores val (not NULL) under a copy of key. When the key was present, its
 * old value is replaced and handed back through *old (which may be NULL if
 * the caller knows there is none); otherwise *old is set to NULL.
 * Returns 0, or -1 on ENOMEM with the map unchanged.
 */
int strmap_put(struct strmap *m, const char *key, size_t len, void *val,
               void **old);

/* Removes key and returns the value it held (the caller's), or NULL. */
void *strmap_remove(struct strmap *m, const char *key, size_t len);

/* Number of entries. m may be NULL (0). */
size_t strmap_count(const struct strmap *m);

/*
 * Walks the entries in no particular order: start with *pos = 0 and call
 * until it returns 0; each call that returns 1 sets *val (and *key and
 * *len when not NULL; borrowed, valid until the map changes). The map must not
 * change during the walk.
 */
int strmap_next(const struct strmap *m, size_t *pos, const char **key,
                size_t *len, void **val);

#endif
