/* strbuf.c - a growing buffer with a size cap: messages, JSON text, HTTP
 * bodies. */
#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STRBUF_DEFAULT_MAX (64u << 10)
#define STRBUF_FIRST       256u

/*
 * Make room for n more bytes and the NUL, as far as max allows: *fit gets
 * how many of the n fit. -1 on out of memory. Capacity doubles up to
 * max + 1, and max is at most STRBUF_NOMAX, so nothing here overflows.
 */
static int strbuf_room(struct strbuf *b, size_t n, size_t *fit)
{
    size_t max = b->max != 0 ? b->max : STRBUF_DEFAULT_MAX;
    size_t want = n <= max - b->len ? b->len + n : max;
    size_t cap;
    char *p;

    *fit = want - b->len;
    if (want < b->cap)
        return 0;
    cap = b->cap != 0 ? b->cap : STRBUF_FIRST;
    while (cap <= want && cap <= max)
        cap *= 2;
    if (cap > max + 1)
        cap = max + 1;
    if (b->p != NULL && b->p == b->fixed) {
        p = malloc(cap);
        if (p != NULL)
            memcpy(p, b->p, b->len + 1);
    } else {
        p = realloc(b->p, cap);
    }
    if (p == NULL)
        return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

int strbuf_add(struct strbuf *b, const void *p, size_t n)
{
    size_t max = b->max != 0 ? b->max : STRBUF_DEFAULT_MAX, fit;

    /* The usual case, a key or a line into room there is: no call. */
    if (n < b->cap - b->len && b->len <= max && n <= max - b->len) {
        memcpy(b->p + b->len, p, n);
        b->len += n;
        b->p[b->len] = '\0';
        return 0;
    }
    if (strbuf_room(b, n, &fit) != 0) {
        b->failed = 1;
        return -1;
    }
    memcpy(b->p + b->len, p, fit);
    b->len += fit;
    b->p[b->len] = '\0';
    if (fit < n) {
        b->failed = 1;
        return -1;
    }
    return 0;
}

int strbuf_printf(struct strbuf *b, const char *fmt, ...)
{
    va_list ap;
    size_t fit;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || strbuf_room(b, (size_t)n, &fit) != 0) {
        b->failed = 1;
        return -1;
    }
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, fit + 1, fmt, ap);
    va_end(ap);
    b->len += fit;
    if (fit < (size_t)n) {
        b->failed = 1;
        return -1;
    }
    return 0;
}

void strbuf_init_fixed(struct strbuf *b, char *buf, size_t cap)
{
    *b = (struct strbuf){.p = buf,
                         .cap = cap,
                         .max = STRBUF_NOMAX,
                         .fixed = buf,
                         .fixed_cap = cap};
    buf[0] = '\0';
}

const char *strbuf_str(const struct strbuf *b)
{
    return b->p != NULL ? b->p : "";
}

void strbuf_reset(struct strbuf *b)
{
    b->len = 0;
    if (b->p != NULL)
        b->p[0] = '\0';
    b->failed = 0;
}

void strbuf_free(struct strbuf *b)
{
    if (b->p != b->fixed)
        free(b->p);
    b->p = b->fixed;
    b->len = 0;
    b->cap = b->fixed_cap;
    if (b->p != NULL)
        b->p[0] = '\0';
    b->failed = 0;
}
