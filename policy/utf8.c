/* utf8.c - UTF-8 decoded as Go decodes it. */
#include "utf8.h"

/*
 * Decode one rune as Go's utf8.DecodeRuneInString does: an invalid or
 * truncated sequence, a surrogate or an overlong form is one byte of
 * U+FFFD. Returns the number of bytes used (at least 1); *r gets the rune.
 */
size_t utf8_decode(const unsigned char *p, size_t n, uint32_t *r)
{
    unsigned char c = p[0];
    unsigned char lo = 0x80, hi = 0xBF;
    size_t len, i;
    uint32_t v;

    *r = 0xFFFD;
    if (c < 0x80) {
        *r = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        v = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        v = c & 0x0F;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        v = c & 0x07;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        return 1;
    }
    if (n < len || p[1] < lo || p[1] > hi)
        return 1;
    for (i = 1; i < len; i++) {
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 1;
        v = (v << 6) | (p[i] & 0x3F);
    }
    *r = v;
    return len;
}
