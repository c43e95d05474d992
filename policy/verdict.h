/* verdict.h - the denial message and warnings a validation builds up. */
#ifndef POLICY_VERDICT_H
#define POLICY_VERDICT_H

#include <jansson.h>

#include "strbuf.h"

/* The API server cuts longer warnings; we cut them ourselves, cleanly. */
#define VERDICT_WARNING_MAX 256

/* Why a warning or a part of a denial was given: what metrics count by. */
enum verdict_reason {
    VERDICT_CROSS_PROJECT,
    VERDICT_INVALID_REFERENCE,
    VERDICT_DATED_TAG,
    VERDICT_LATEST,
    VERDICT_PULL_SECRET,
    VERDICT_CROSS_STREAM_ALIAS,
    VERDICT_TOO_LARGE,
    VERDICT_TRIGGER_ANNOTATION,
    VERDICT_REASONS /* how many there are */
};

struct verdict {
    struct strbuf deny; /* the denial message, empty while allowed */
    json_t *warnings;   /* array of strings, owned */
    int failed;         /* out of memory somewhere */
    unsigned denied[VERDICT_REASONS]; /* parts of deny, by reason */
    unsigned warned[VERDICT_REASONS]; /* warnings, by reason */
    /*
     * NULL, or an array (owned) that gets one object per part of the
     * denial and per warning, the message whole (not cut):
     * {"result": "deny"|"warn", "reason": NAME, "field": WHERE, "message":
     *  TEXT, "fix": COMMAND} (fix only when the message ends in one).
     */
    json_t *findings;
    /* The container or field being judged (borrowed), for findings' "field";
     * NULL: the object as a whole (""). */
    const char *where;
};

/* The reason's name ("cross-project", "invalid-reference", "dated-tag",
 * "latest", "pull-secret", "cross-stream-alias", "too-large",
 * "trigger-annotation"); static storage. */
const char *verdict_reason_name(enum verdict_reason r);

/* Start empty. Returns 0, or -1 on out of memory. */
int verdict_init(struct verdict *v);

/* Start empty and keep findings too. Returns 0, or -1 on out of memory. */
int verdict_init_findings(struct verdict *v);

/* Add a warning, cut to VERDICT_WARNING_MAX bytes at a UTF-8 boundary. */
void verdict_warn(struct verdict *v, enum verdict_reason why, const char *fmt,
                  ...) __attribute__((format(printf, 3, 4)));

/* Add a part to the denial message ("; " between parts). */
void verdict_deny(struct verdict *v, enum verdict_reason why, const char *fmt,
                  ...) __attribute__((format(printf, 3, 4)));

/* Warn or deny by action (CONFIG_WARN = 1, CONFIG_DENY = 2; else nothing). */
void verdict_act(struct verdict *v, int action, enum verdict_reason why,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

void verdict_free(struct verdict *v);

#endif
