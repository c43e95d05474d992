/* log.h - log lines as JSON objects on stderr. */
#ifndef WEBHOOK_LOG_H
#define WEBHOOK_LOG_H

#include <jansson.h>

#include "review.h"

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Lines below level are dropped; LOG_INFO until set. */
void log_set_level(enum log_level level);

/*
 * Write {"time": ..., "level": ..., "msg": ...} as one line on stderr,
 * atomically with respect to other threads.
 */
void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * The line of an error answer, "ROUTE: STATUS: message", at error for a 500
 * and at warn for the others. At most LOGRATE_PER_S (10) such lines a
 * second for each route and status (route: "/mutate", "/validate",
 * "/healthz", "/readyz", "/metrics"; any other is "other"), so that a client
 * sending bad requests cannot flood the log: the others are counted, and
 * log_tick() reports them as "ROUTE: STATUS: suppressed N similar lines in
 * the last S s".
 */
void log_http_error(const char *route, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Report the error lines log_http_error() held back, for each route and
 * status that has had none for a second (the flood is over) or has held
 * some back for a minute (it goes on). Call it about once a second, and
 * with final 1 as the process stops, which reports all.
 */
void log_tick(int final);

/*
 * The line of one answered review (level info, msg "review"): uid,
 * endpoint, kind, namespace, name, operation, decision, patch_ops, warnings
 * (how many), reasons (of the denial and warnings), duration_us, and for a
 * denial code and message (cut to 1 KiB). req and answer are borrowed; no
 * object and no other request field goes into the log.
 */
void log_review(enum review_endpoint ep, const json_t *req,
                const json_t *answer, const char *decision,
                const struct review_stats *stats, long long duration_us);

#endif
