/* strbuf.h - a growing string with a size cap, for messages. */
#ifndef POLICY_STRBUF_H
#define POLICY_STRBUF_H

#include <stddef.h>

struct strbuf {
    char *s;    /* NUL-terminated, NULL until something is appended */
    size_t len; /* bytes used, without the NUL */
    size_t cap; /* bytes allocated */
    size_t max; /* the most len may reach; 0 for 64 KiB */
    int failed; /* an append ran out of memory or hit max */
};

/*
 * Append printf-style text. Past max the text is cut and failed is set:
 * messages stay bounded whatever the input. Returns 0 or -1.
 */
int strbuf_printf(struct strbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The text so far (borrowed, "" when empty). */
const char *strbuf_str(const struct strbuf *b);

/* Free the text and reset b to empty. */
void strbuf_free(struct strbuf *b);

#endif
