/*
 * rbackey.h - the keys of the RBAC index's maps ("<ns>\0<name>",
 * "u:<user>", ...), built in a buffer that holds short keys inside itself
 * (on the caller's stack) and moves long ones to the heap, so that a query
 * allocates nothing for names of ordinary length.
 */
#ifndef POLICY_RBACKEY_H
#define POLICY_RBACKEY_H

#include <stddef.h>

struct rbackey {
    char *p; /* the key, NUL-terminated; small or a heap copy (k's) */
    size_t len, cap;
    char small[256];
};

/* Start k empty. p points into k: a key must not be copied by value. */
void rbackey_init(struct rbackey *k);

/* Free the heap copy, if any, and start k empty again. */
void rbackey_release(struct rbackey *k);

/*
 * Append the n bytes at s (NUL bytes allowed). Returns 0, or -1 on ENOMEM
 * or overflow with k as it was.
 */
int rbackey_cat(struct rbackey *k, const char *s, size_t n);

/* Append the string s. Returns 0 or -1 as rbackey_cat(). */
int rbackey_str(struct rbackey *k, const char *s);

/* k = "<a>\0<b>", the key of a namespaced pair. Returns 0 or -1. */
int rbackey_pair(struct rbackey *k, const char *a, const char *b);

#endif
