/* jsonpatch.h - JSON Patch (RFC 6902) builder with JSON Pointer (RFC 6901). */
#ifndef POLICY_JSONPATCH_H
#define POLICY_JSONPATCH_H

#include <stddef.h>

#include <jansson.h>

#include "err.h"

/* A JSON Pointer under construction; a fixed buffer, no allocation. */
struct jsonpatch_ptr {
    char buf[1024];
    size_t len;
};

/* Set p to the pointer text s (already escaped, "" or starting with '/'). */
int jsonpatch_ptr_set(struct jsonpatch_ptr *p, const char *s, struct err *err);

/* Append "/" and seg with '~' as "~0" and '/' as "~1". -1 if too long. */
int jsonpatch_ptr_push(struct jsonpatch_ptr *p, const char *seg,
                       struct err *err);

/* Append "/" and the decimal index i. -1 if too long. */
int jsonpatch_ptr_push_index(struct jsonpatch_ptr *p, size_t i,
                             struct err *err);

/* Cut p back to length len (a value of p->len saved before a push). */
void jsonpatch_ptr_truncate(struct jsonpatch_ptr *p, size_t len);

/*
 * Append the operation {"op": op, "path": path, "value": value} to the
 * array patch. value is stolen (also on error); op is "add", "replace",
 * "remove" ... ("remove" takes a NULL value).
 */
int jsonpatch_append(json_t *patch, const char *op, const char *path,
                     json_t *value, struct err *err);

/*
 * Apply patch (borrowed) to doc (modified in place) for the operations
 * "add", "replace" and "remove" on object members and array elements, as
 * RFC 6902 says. Used by tests and for idempotence checks. -1 with err set
 * when a path does not resolve.
 */
int jsonpatch_apply(json_t *doc, const json_t *patch, struct err *err);

#endif
