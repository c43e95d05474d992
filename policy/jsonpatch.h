/* jsonpatch.h - JSON Patch (RFC 6902) builder with JSON Pointer (RFC 6901). */
#ifndef POLICY_JSONPATCH_H
#define POLICY_JSONPATCH_H

#include <stddef.h>

#include <jansson.h>

#include "err.h"
#include "jsonout.h"

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
 * A JSON Patch written as text as it is built: an operation per container
 * costs a few appends, not a jansson object and three strings. Start
 * zeroed; release with jsonpatch_free.
 */
struct jsonpatch {
    struct strbuf out; /* "[" and the operations so far; no cap */
    size_t ops;        /* how many */
};

/*
 * Append {"op": op, "path": path, "value": value} (a string value; NULL
 * for "remove", which takes none). op and path are UTF-8. -1 with err set
 * on out of memory.
 */
int jsonpatch_add(struct jsonpatch *p, const char *op, const char *path,
                  const char *value, struct err *err);

/*
 * The patch text "[...]" (borrowed from p until jsonpatch_free; "[]" when
 * empty) and its length. Call once, after the last jsonpatch_add. NULL on
 * out of memory.
 */
const char *jsonpatch_text(struct jsonpatch *p, size_t *len);

void jsonpatch_free(struct jsonpatch *p);

/*
 * Apply patch (borrowed) to doc (modified in place) for the operations
 * "add", "replace" and "remove" on object members and array elements, as
 * RFC 6902 says. Used by tests and for idempotence checks. -1 with err set
 * when a path does not resolve.
 */
int jsonpatch_apply(json_t *doc, const json_t *patch, struct err *err);

#endif
