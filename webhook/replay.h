/* replay.h - recorded review cases: run one and compare with its answer. */
#ifndef WEBHOOK_REPLAY_H
#define WEBHOOK_REPLAY_H

#include <stddef.h>

#include <jansson.h>

#include "config.h"
#include "err.h"
#include "rbac.h"

/*
 * A copy of the AdmissionReview answer (borrowed) with response.patch, when
 * it is a base64 string, decoded into its JSON value: answers compare as
 * JSON values whatever the key order or encoding. A new reference; NULL on a
 * patch that does not decode (err says why).
 */
json_t *replay_normalise(const json_t *answer, struct err *err);

/*
 * Run the case file at path: {"endpoint", "request", "answer", and optional
 * "config" (replaces cfg) and "bindings" (replaces rb), each the value itself
 * or the name of a YAML or JSON file relative to the case file}. Returns 1 when
 * the answer matches, 0 when it does not (err says where they differ), -1 when
 * the case cannot be run (err says why).
 */
int replay_case(const char *path, const struct config *cfg,
                const struct rbac *rb, struct err *err);

#endif
