/* review.h - AdmissionReview in, AdmissionReview answer out. */
#ifndef POLICY_REVIEW_H
#define POLICY_REVIEW_H

#include <stddef.h>

#include <jansson.h>

#include "config.h"
#include "err.h"
#include "rbac.h"
#include "verdict.h"

enum review_endpoint { REVIEW_MUTATE, REVIEW_VALIDATE };

/*
 * The most containers (all three lists of the pod spec) plus OpenShift image
 * references (triggers, ImageStream tags, build image sources) one object may
 * hold to be reviewed; past it /validate denies and /mutate warns. A pod
 * rarely holds more than a dozen.
 */
#define REVIEW_ITEMS_MAX 1000

/*
 * Parse a request body into a JSON value. Returns a new reference, or NULL
 * with err set ("body is not JSON: ...").
 */
json_t *review_parse(const char *body, size_t len, struct err *err);

/*
 * Answer the AdmissionReview req (borrowed) for endpoint ep under cfg, with
 * the RBAC index rb (borrowed; NULL when there is no bindings source, which
 * denies every cross-project pull).
 * Returns a new reference to the answer AdmissionReview (apiVersion of the
 * request, kind AdmissionReview, response.uid = request.uid), whatever the
 * decision. Returns NULL with err set when req is not an AdmissionReview (a
 * JSON object whose request is an object with a string uid and an object
 * kind): the caller answers 400 or exits 2.
 */
json_t *review_answer(enum review_endpoint ep, const json_t *req,
                      const struct config *cfg, const struct rbac *rb,
                      struct err *err);

/* What the rules found while answering, for metrics and logs. */
struct review_stats {
    unsigned denials[VERDICT_REASONS];  /* parts of status.message */
    unsigned warnings[VERDICT_REASONS]; /* entries of response.warnings */
    unsigned patch_ops;                 /* operations of response.patch */
};

/*
 * review_answer(), and when stats is not NULL, fill *stats (zeroed first)
 * with what the answer holds, by reason. The answer is the same either way.
 */
json_t *review_answer_stats(enum review_endpoint ep, const json_t *req,
                            const struct config *cfg, const struct rbac *rb,
                            struct review_stats *stats, struct err *err);

/*
 * review_answer_stats(), and when findings (an array, borrowed) is not NULL,
 * append to it one object per part of the denial and per warning, with the
 * reason, the container or field, the whole message and the fix command
 * (see struct verdict). What audit reports.
 */
json_t *review_answer_findings(enum review_endpoint ep, const json_t *req,
                               const struct config *cfg, const struct rbac *rb,
                               struct review_stats *stats, json_t *findings,
                               struct err *err);

/* "mutate" or "validate" to REVIEW_*; -1 for anything else. */
int review_endpoint_parse(const char *s);

#endif
