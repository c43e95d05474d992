/*
 * body.h - request bodies held in memory: each one's buffer, capped at a
 * size, and the budget of bytes that all of them share at once, so that
 * many large bodies at once cannot exhaust memory. A refused body is read
 * on and thrown away, for a while, so that its answer can go out at the end.
 */
#ifndef WEBHOOK_BODY_H
#define WEBHOOK_BODY_H

#include <stdatomic.h>
#include <stddef.h>

/* Why a body was refused: the HTTP status of its answer. */
#define BODY_TOO_LARGE 413 /* over max_body */
#define BODY_NO_ROOM   503 /* over the budget, or out of memory */

/* What all bodies share; any thread once set up by body_budget_init(). */
struct body_budget {
    size_t max_body;        /* bytes one body may have */
    size_t max_buffered;    /* bytes of bodies held at once, at most */
    atomic_size_t buffered; /* bytes of bodies reserved now */
};

/* One request's body; all zero to start, body_free() at the end. */
struct body {
    char *data; /* malloc'd, owned; NULL: nothing kept */
    size_t len, cap;
    size_t reserved; /* bytes of the budget taken by this body */
    unsigned reject; /* BODY_*: the rest is discarded, then this answer */
    unsigned long long discarded; /* bytes thrown away */
    long long reject_ms;          /* when reject was set (monotonic) */
};

/* Set up bb: max_body bytes a body, max_buffered bytes of all at once. */
void body_budget_init(struct body_budget *bb, size_t max_body,
                      size_t max_buffered);

/*
 * Room for a body of n bytes announced by its Content-Length (at most
 * max_body): taken from the budget and allocated now. 0, or -1 when the
 * budget or memory has no room (answer 503; body_free() gives back what
 * was taken).
 */
int body_expect(struct body_budget *bb, struct body *b, size_t n);

/*
 * A piece of the body, size bytes at data: kept when keep, else only
 * counted against max_body. Over max_body, or over the budget, the body is
 * refused (b->reject set) and what comes after is thrown away. Returns 0,
 * or -1 when a refused body is still coming after 16 MiB more than
 * max_body or 10 seconds: the connection is then to be cut.
 */
int body_add(struct body_budget *bb, struct body *b, int keep, const char *data,
             size_t size);

/* Give back b's share of the budget and free its buffer. */
void body_free(struct body_budget *bb, struct body *b);

#endif
