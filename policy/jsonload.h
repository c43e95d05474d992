/* jsonload.h - JSON text in, jansson values whose strings hold no NUL. */
#ifndef POLICY_JSONLOAD_H
#define POLICY_JSONLOAD_H

#include <stddef.h>

#include <jansson.h>

/*
 * Parse JSON text as json_loadb(text, len, 0, jerr) does, except that a
 * string (value or object key) holding the escape \u0000, which is valid
 * JSON and which Go's encoder writes for a NUL, is read with that escape as
 * the six characters `\u0000` instead of a NUL byte.
 *
 * Why: the rules read strings as C strings, where a NUL would end
 * "foo\u0000bar" at "foo". A backslash is allowed in no Kubernetes name,
 * namespace, image reference or tag, so the string read stays as invalid as
 * the one sent (never equal to a valid name) and messages show where the NUL
 * was. jansson refuses a NUL in a key even with JSON_ALLOW_NUL; this reads
 * those too. Text without such an escape costs one plain parse.
 *
 * Returns a new reference, or NULL with jerr set (jerr may be NULL).
 */
json_t *jsonload_text(const char *text, size_t len, json_error_t *jerr);

/*
 * A new JSON string of the n bytes at s, each NUL byte among them written
 * as the six characters `\u0000` (as jsonload_text reads them). NULL when s
 * is not valid UTF-8 or on out of memory.
 */
json_t *jsonload_string(const char *s, size_t n);

#endif
