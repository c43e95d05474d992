/* strbuf.h - a growing buffer with a size cap: messages, JSON text, HTTP
 * bodies. */
#ifndef POLICY_STRBUF_H
#define POLICY_STRBUF_H

#include <stddef.h>
#include <stdint.h>

/*
 * Start zeroed, or with max set ({.max = 1 << 20}) before the first append,
 * or in the caller's storage (strbuf_init_fixed). After an append p holds
 * len bytes and a NUL (raw appends may put NULs before it). Whoever takes a
 * heap p over (setting it to NULL) frees it.
 */
struct strbuf {
    char *p;     /* NUL-terminated, NULL until something is appended */
    size_t len;  /* bytes used, without the NUL */
    size_t cap;  /* bytes allocated */
    size_t max;  /* the most len may reach; 0 for 64 KiB, a message's cap */
    int failed;  /* an append ran out of memory or hit max */
    char *fixed; /* the caller's storage, never freed here; or NULL */
    size_t fixed_cap; /* its size */
};

/* A max that leaves the size to memory alone. */
#define STRBUF_NOMAX (SIZE_MAX / 2)

/*
 * Start b empty, with no max, in the caller's cap bytes at buf (cap >= 1;
 * buf outlives b): what fits stays there, so that short text allocates
 * nothing (keys built on the stack); longer text moves to the heap.
 */
void strbuf_init_fixed(struct strbuf *b, char *buf, size_t cap);

/*
 * Append the n bytes at p. Past max they are cut there and failed is set;
 * out of memory, nothing is appended and failed is set. Returns 0, or -1
 * when not all n bytes went in.
 */
int strbuf_add(struct strbuf *b, const void *p, size_t n);

/*
 * Append printf-style text, cut at max like strbuf_add: messages stay
 * bounded whatever the input. Returns 0 or -1.
 */
int strbuf_printf(struct strbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The text so far (borrowed, "" when empty). */
const char *strbuf_str(const struct strbuf *b);

/* Empty b and clear failed, keeping its memory and max: for reuse. */
void strbuf_reset(struct strbuf *b);

/* Free the bytes (not the caller's storage: b starts in it again) and reset
 * b to empty; max is kept. */
void strbuf_free(struct strbuf *b);

#endif
