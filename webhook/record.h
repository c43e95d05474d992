/* record.h - serve --record-dir: every review written as a case file that
 * `image-policy-webhook test` replays. */
#ifndef WEBHOOK_RECORD_H
#define WEBHOOK_RECORD_H

#include <stddef.h>

#include <jansson.h>

#include "err.h"
#include "review.h"

struct record;

/*
 * Record into directory dir, made (mode 0700) when missing. Returns a new
 * recorder, or NULL with err set when dir is not a directory this process
 * can write to. Free it with record_close().
 */
struct record *record_open(const char *dir, struct err *err);

/*
 * Write one review as the case file {"description", "endpoint", "request",
 * "answer"} (request: the AdmissionReview received, answer: the one sent;
 * both borrowed), mode 0600, named <UTC time>-<sequence>-<endpoint>-<uid>.json
 * so that names sort by time and never collide. Atomic: the case is written
 * to a hidden temporary file and renamed into place, so a reader (or
 * `test`) never sees half a case. Safe from several threads at once.
 * Returns 0, or -1 with err set; the name written goes into name (cap
 * bytes) when name is not NULL.
 */
int record_write(struct record *r, enum review_endpoint ep,
                 const json_t *request, const json_t *answer, char *name,
                 size_t cap, struct err *err);

/* Free r. NULL is fine. */
void record_close(struct record *r);

#endif
