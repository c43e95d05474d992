/* jsonout.h - compact JSON text of a jansson value, written fast. */
#ifndef POLICY_JSONOUT_H
#define POLICY_JSONOUT_H

#include <stddef.h>

#include <jansson.h>

#include "strbuf.h"

/*
 * The compact JSON text of v (any type; object members in jansson's order)
 * in a new NUL-terminated buffer (caller frees); *len gets its length. The
 * same value as json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) gives, but
 * strings are copied in runs rather than byte by byte: jansson strings are
 * valid UTF-8 already, so only '"', '\\' and control bytes need escapes.
 * What answers carry (a base64 patch of a few KiB) costs a memcpy, not a
 * per-byte decode. NULL on out of memory or a value nested deeper than 64.
 */
char *jsonout_dumps(const json_t *v, size_t *len);

/*
 * Append the n bytes at s to b as a quoted, escaped JSON string (s is
 * UTF-8). Other JSON text goes in with strbuf_add; b->failed says whether
 * all of it did.
 */
void jsonout_str(struct strbuf *b, const char *s, size_t n);

#endif
