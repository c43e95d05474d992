/* metrics.h - Prometheus metrics: lock-free counters and the text format. */
#ifndef WEBHOOK_METRICS_H
#define WEBHOOK_METRICS_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "kube.h"
#include "review.h"

/*
 * Every counter is a C11 atomic updated with a relaxed fetch-add: request
 * threads never take a lock and never wait for a scrape. Every label value
 * comes from a fixed table (unknown kinds and operations count as "other"),
 * so no client can make the series grow.
 */

/* What an answered review decided. */
enum metrics_decision {
    METRICS_ALLOWED, /* allowed, no patch */
    METRICS_DENIED,  /* response.allowed false */
    METRICS_PATCHED, /* allowed with a JSON Patch */
    METRICS_DECISIONS
};

/* The decision of answer (borrowed) with stats from review_answer_stats. */
enum metrics_decision metrics_decision_of(const json_t *answer,
                                          const struct review_stats *stats);

/* "allowed", "denied", "patched"; static storage. */
const char *metrics_decision_name(enum metrics_decision d);

/* Remember the process start time. Call once, before serving. */
void metrics_init(void);

/*
 * Count one answered AdmissionReview: by endpoint, kind (request.kind.kind)
 * and operation (both borrowed, NULL for absent), and decision; the patch
 * operations and the denials and warnings by reason come from stats.
 */
void metrics_review(enum review_endpoint ep, const char *kind,
                    const char *operation, enum metrics_decision d,
                    const struct review_stats *stats);

/*
 * Count one HTTP answer, as server_observe_fn reports it: route ("/mutate",
 * "/validate", "/healthz", "/readyz", "/metrics" or "other"), status, and
 * seconds from the end of the headers to the answer. /mutate and /validate
 * go into the latency histogram; a status from 400 to 599 is an HTTP error.
 */
void metrics_http(const char *route, int status, double seconds);

/* Count a SIGHUP reload of config and bindings: ok 1, or 0 for a failure. */
void metrics_reload(int ok);

/* What became of recorded reviews (--record-dir), the label's values. */
enum metrics_record_result {
    METRICS_RECORD_SUCCESS, /* a case file written */
    METRICS_RECORD_FAILURE, /* a review not recorded */
    METRICS_RECORD_ROTATED, /* an old case file deleted to make room */
    METRICS_RECORD_RESULTS
};

/* Count n recorded reviews (case files) of result r. */
void metrics_record(enum metrics_record_result r, unsigned long long n);

/*
 * The result of an audit (serve --audit-interval): findings (borrowed, as
 * audit_findings() gives them) counted by reason and kind, how long it took
 * and when it ended (Unix time).
 */
void metrics_audit(const json_t *findings, double seconds, time_t at);

/* The values read at each scrape (gauges), gathered by the caller. */
struct metrics_gauges {
    const char *rbac_source;       /* "file", "kube" or "none" */
    size_t bindings;               /* rbac_binding_count of the current index */
    int synced;                    /* the source has been read in full */
    const struct kube_stats *kube; /* --kube only, else NULL */
    time_t cert_not_after; /* serving certificate's notAfter; 0: unknown */
};

/*
 * The text of GET /metrics (Prometheus text format 0.0.4) with the
 * counters and the gauges g (borrowed). A new malloc'd string; NULL when
 * out of memory.
 */
char *metrics_render(const struct metrics_gauges *g);

#endif
