/* body.c - request bodies held in memory, under a budget they all share. */
#include "body.h"

#include <stdlib.h>
#include <string.h>

#include "monotime.h"

/*
 * A chunked (or otherwise unannounced) body that passes max_body cannot be
 * answered at once: libmicrohttpd 0.9.75 refuses MHD_queue_response() while
 * it is still reading a body (it accepts one only before the first byte of
 * the body, which is how a too large Content-Length gets its 413 without
 * being read, or after the last). So the rest is read and thrown away, and
 * the 413 goes out at the end; a client that keeps sending for longer than
 * this many more bytes or seconds is cut off without an answer.
 */
#define DISCARD_MAX_BYTES ((unsigned long long)16 << 20)
#define DISCARD_MAX_MS    10000

void body_budget_init(struct body_budget *bb, size_t max_body,
                      size_t max_buffered)
{
    bb->max_body = max_body;
    bb->max_buffered = max_buffered;
    atomic_init(&bb->buffered, 0);
}

/*
 * Take n more bytes of the budget for request bodies held in memory (so that
 * many large bodies at once cannot exhaust memory). 0, or -1 when over it.
 */
static int body_reserve(struct body_budget *bb, struct body *b, size_t n)
{
    size_t was = atomic_fetch_add(&bb->buffered, n);

    if (was + n > bb->max_buffered || was + n < was) {
        atomic_fetch_sub(&bb->buffered, n);
        return -1;
    }
    b->reserved += n;
    return 0;
}

void body_free(struct body_budget *bb, struct body *b)
{
    atomic_fetch_sub(&bb->buffered, b->reserved);
    b->reserved = 0;
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* Stop keeping the body: what still comes is discarded, then status goes. */
static void body_reject(struct body_budget *bb, struct body *b, unsigned status)
{
    b->reject = status;
    b->reject_ms = monotime_ms();
    b->discarded = b->len;
    body_free(bb, b);
}

int body_expect(struct body_budget *bb, struct body *b, size_t n)
{
    /* Untouched pages of a large malloc cost no memory until filled. */
    if (body_reserve(bb, b, n) != 0 || (b->data = malloc(n)) == NULL)
        return -1;
    b->cap = n;
    return 0;
}

int body_add(struct body_budget *bb, struct body *b, int keep, const char *data,
             size_t size)
{
    if (b->reject == 0 && size > bb->max_body - b->len)
        body_reject(bb, b, BODY_TOO_LARGE);
    if (b->reject == 0 && keep && size > b->cap - b->len) {
        size_t cap = b->cap < 65536 ? 65536 : b->cap;
        char *p;

        while (cap - b->len < size)
            cap = cap > bb->max_body / 2 ? bb->max_body : cap * 2;
        if (cap > b->reserved && body_reserve(bb, b, cap - b->reserved) != 0) {
            body_reject(bb, b, BODY_NO_ROOM);
        } else {
            p = realloc(b->data, cap);
            if (p == NULL) {
                body_reject(bb, b, BODY_NO_ROOM);
            } else {
                b->data = p;
                b->cap = cap;
            }
        }
    }
    if (b->reject != 0) {
        b->discarded += size;
        if (b->discarded > bb->max_body + DISCARD_MAX_BYTES ||
            monotime_ms() - b->reject_ms > DISCARD_MAX_MS)
            return -1;
        return 0;
    }
    if (!keep) {
        b->len += size; /* counted against the limit, not kept */
        return 0;
    }
    memcpy(b->data + b->len, data, size);
    b->len += size;
    return 0;
}
