/* base64.c - standard base64 (RFC 4648), to and from new buffers. */
#include "base64.h"

#include <stdlib.h>
#include <string.h>

static const char base64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *base64_encode(const char *s, size_t n, size_t *out_len)
{
    const unsigned char *u = (const unsigned char *)s;
    char *out = malloc((n + 2) / 3 * 4 + 1);
    size_t i, j = 0;

    if (out == NULL)
        return NULL;
    for (i = 0; i + 2 < n; i += 3) {
        unsigned v = (unsigned)u[i] << 16 | (unsigned)u[i + 1] << 8 | u[i + 2];

        out[j++] = base64_alphabet[v >> 18 & 63];
        out[j++] = base64_alphabet[v >> 12 & 63];
        out[j++] = base64_alphabet[v >> 6 & 63];
        out[j++] = base64_alphabet[v & 63];
    }
    if (i < n) {
        unsigned v = (unsigned)u[i] << 16;

        if (i + 1 < n)
            v |= (unsigned)u[i + 1] << 8;
        out[j++] = base64_alphabet[v >> 18 & 63];
        out[j++] = base64_alphabet[v >> 12 & 63];
        out[j++] = i + 1 < n ? base64_alphabet[v >> 6 & 63] : '=';
        out[j++] = '=';
    }
    out[j] = '\0';
    *out_len = j;
    return out;
}

static int base64_value(unsigned char c)
{
    const char *p = c != '\0' ? strchr(base64_alphabet, c) : NULL;

    return p != NULL ? (int)(p - base64_alphabet) : -1;
}

char *base64_decode(const char *in, size_t *len)
{
    size_t n = strlen(in), o = 0, i;
    unsigned acc = 0;
    int bits = 0, pad = 0;
    char *out = malloc(n / 4 * 3 + 4);

    if (out == NULL)
        return NULL;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        int v;

        if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
            continue;
        if (c == '=') {
            pad++;
            continue;
        }
        v = base64_value(c);
        if (v < 0 || pad > 0)
            goto bad;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (char)((acc >> bits) & 0xff);
        }
    }
    /* Leftover bits must be zero padding of a 2 or 3 character tail. */
    if (bits >= 6 || (acc & ((1u << bits) - 1)) != 0 || pad > 2)
        goto bad;
    out[o] = '\0';
    *len = o;
    return out;
bad:
    free(out);
    return NULL;
}
