/* utf8.h - UTF-8 decoded as Go decodes it. */
#ifndef POLICY_UTF8_H
#define POLICY_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Decode one rune of the n bytes at p (n >= 1) as Go's
 * utf8.DecodeRuneInString does: an invalid or truncated sequence, a
 * surrogate or an overlong form is one byte of U+FFFD. Returns the number
 * of bytes used (at least 1); *r gets the rune.
 */
size_t utf8_decode(const unsigned char *p, size_t n, uint32_t *r);

#endif
