/*
 * rbackey.h - the keys of the RBAC index's maps ("<ns>\0<name>",
 * "u:<user>", ...), built in a strbuf that starts in storage of its own (on
 * the caller's stack) and moves long keys to the heap, so that a query
 * allocates nothing for names of ordinary length.
 */
#ifndef POLICY_RBACKEY_H
#define POLICY_RBACKEY_H

#include <stddef.h>

#include "strbuf.h"

struct rbackey {
    struct strbuf b; /* the key in b.p, b.len bytes; small or the heap's */
    char small[256];
};

/* Start k empty. k.b points into k: a key must not be copied by value. */
void rbackey_init(struct rbackey *k);

/* Free the heap copy, if any, and start k empty again. */
void rbackey_release(struct rbackey *k);

/* Append the string s. Returns 0, or -1 out of memory. */
int rbackey_str(struct rbackey *k, const char *s);

/* k = "<a>\0<b>", the key of a namespaced pair. Returns 0 or -1. */
int rbackey_pair(struct rbackey *k, const char *a, const char *b);

#endif
