/* verdict.h - the denial message and warnings a validation builds up. */
#ifndef POLICY_VERDICT_H
#define POLICY_VERDICT_H

#include <jansson.h>

#include "strbuf.h"

/* The API server cuts longer warnings; we cut them ourselves, cleanly. */
#define VERDICT_WARNING_MAX 256

struct verdict {
    struct strbuf deny; /* the denial message, empty while allowed */
    json_t *warnings;   /* array of strings, owned */
    int failed;         /* out of memory somewhere */
};

/* Start empty. Returns 0, or -1 on out of memory. */
int verdict_init(struct verdict *v);

/* Add a warning, cut to VERDICT_WARNING_MAX bytes at a UTF-8 boundary. */
void verdict_warn(struct verdict *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Add a part to the denial message ("; " between parts). */
void verdict_deny(struct verdict *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Warn or deny by action (CONFIG_WARN = 1, CONFIG_DENY = 2; else nothing). */
void verdict_act(struct verdict *v, int action, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

void verdict_free(struct verdict *v);

#endif
