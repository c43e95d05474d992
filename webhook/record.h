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
 * Record into directory dir, made (mode 0700) when missing, keeping at most
 * keep_files case files and keep_bytes bytes of them there (0: no cap):
 * before a new case goes in, the oldest case files (by name: by arrival)
 * are deleted to make room for it. Only names record_is_case_name() accepts
 * count and are ever deleted; dir is read once, here, and the count and
 * bytes then kept in memory. Returns a new recorder, or NULL with err set
 * when dir is not a directory this process can write to. Free it with
 * record_close().
 */
struct record *record_open(const char *dir, size_t keep_files,
                           unsigned long long keep_bytes, struct err *err);

/*
 * Whether name is a case file's name as record_write() makes them:
 * YYYYMMDDTHHMMSS.uuuuuuZ-SEQUENCE-ENDPOINT-UID.json (sequence: 6 digits or
 * more; endpoint: mutate or validate; uid: 1 to 64 of [A-Za-z0-9._-]).
 */
int record_is_case_name(const char *name);

/* The case files in the directory and their bytes, as r counts them. */
void record_usage(struct record *r, size_t *files, unsigned long long *bytes);

/*
 * Write one review as the case file {"description", "endpoint", "request",
 * "answer"} (request: the AdmissionReview received, answer: the one sent;
 * both borrowed), mode 0600, named <UTC time>-<sequence>-<endpoint>-<uid>.json
 * so that names sort by arrival and never collide. Atomic: the case is
 * written to a hidden temporary file and renamed into place, so a reader
 * (or `test`) never sees half a case. Old case files are deleted first
 * when the caps of record_open() call for it, only once the new case is
 * written in full; a case larger than keep_bytes alone is not written. Safe
 * from several threads at once. Returns 0, or -1 with err set; the name
 * written goes into name (cap bytes) when name is not NULL.
 */
int record_write(struct record *r, enum review_endpoint ep,
                 const json_t *request, const json_t *answer, char *name,
                 size_t cap, struct err *err);

/*
 * Called by the writer thread after each case it tried: ok 1, or 0 with
 * err saying why (err is NULL when ok); rotated old case files were
 * deleted to make room for it.
 */
typedef void (*record_done_fn)(void *arg, int ok, unsigned rotated,
                               const struct err *err);

/*
 * Write from a thread of r's own from now on (record_submit), so that file
 * I/O never delays an answer. At most max_cases cases and max_bytes bytes
 * of request bodies wait at once. done (may be NULL) is called after each
 * case. 0, or -1 with err set when the thread cannot start.
 */
int record_start(struct record *r, size_t max_cases, size_t max_bytes,
                 record_done_fn done, void *arg, struct err *err);

/*
 * Queue a review for the writer thread (record_start first). Takes over the
 * caller's references to request and answer (one each, also when they are
 * the same value or the case is dropped): the caller uses neither again, so
 * that only the writer thread touches them and frees them (jansson's
 * reference counts order nothing between threads). bytes is the size of
 * the request body, for the cap. Never blocks on I/O.
 * The name is taken now (arrival time). When the queue is full the case is
 * dropped and done reports it. Safe from several threads at once.
 */
void record_submit(struct record *r, enum review_endpoint ep, json_t *request,
                   json_t *answer, size_t bytes);

/* Write what is queued, stop the writer thread, free r. NULL is fine. */
void record_close(struct record *r);

#endif
