/* strbuf.c - a growing string with a size cap, for messages. */
#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define STRBUF_DEFAULT_MAX (64u << 10)

int strbuf_printf(struct strbuf *b, const char *fmt, ...)
{
    size_t max = b->max != 0 ? b->max : STRBUF_DEFAULT_MAX;
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return -1;
    }
    if (b->len + (size_t)n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        char *s;

        while (cap < b->len + (size_t)n + 1 && cap <= max)
            cap *= 2;
        if (cap > max + 1)
            cap = max + 1;
        s = realloc(b->s, cap);
        if (s == NULL) {
            b->failed = 1;
            return -1;
        }
        b->s = s;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (b->len + (size_t)n >= b->cap) {
        b->len = b->cap - 1;
        b->failed = 1;
        return -1;
    }
    b->len += (size_t)n;
    return 0;
}

const char *strbuf_str(const struct strbuf *b)
{
    return b->s != NULL ? b->s : "";
}

void strbuf_free(struct strbuf *b)
{
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
    b->failed = 0;
}
