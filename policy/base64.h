/* base64.h - standard base64 (RFC 4648), to and from new buffers. */
#ifndef POLICY_BASE64_H
#define POLICY_BASE64_H

#include <stddef.h>

/*
 * Encode the n bytes at s with padding into a new NUL-terminated buffer
 * (caller frees); *out_len gets its length. NULL on out of memory.
 */
char *base64_encode(const char *s, size_t n, size_t *out_len);

/*
 * Decode in (white space skipped, as YAML may fold a long value; padding
 * optional; the unused bits of the last character must be zero) into a new
 * NUL-terminated buffer (caller frees); *len gets its length. NULL on bad
 * input or out of memory.
 */
char *base64_decode(const char *in, size_t *len);

#endif
