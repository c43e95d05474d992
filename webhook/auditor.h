/* auditor.h - audits run: objects from files or the API reviewed against a
 * state, once (audit) or every interval while serving (--audit-interval). */
#ifndef WEBHOOK_AUDITOR_H
#define WEBHOOK_AUDITOR_H

#include <stddef.h>

#include "audit.h"
#include "kube.h"
#include "state.h"

/*
 * Told of each input that could not be read (failed 1: a file that does not
 * parse, an object without a kind, a kind the API refused) or that was
 * passed over (failed 0: a kind the API does not serve). msg is borrowed.
 */
typedef void auditor_say_fn(void *arg, int failed, const char *msg);

/* Which namespaces to audit; n 0: every one. Borrowed. */
struct auditor_scope {
    const char *const *namespaces;
    size_t n;
};

/*
 * Review into a every audited object of the files and folders paths (YAML
 * or JSON; a single object, a List, several documents, or a `kubectl get -o
 * yaml` dump; folders read recursively for *.yaml, *.yml and *.json, in name
 * order) against st (read under its lock), within scope. Returns how many
 * inputs could not be read; each was said, and the rest still audited.
 */
size_t auditor_files(struct audit *a, const struct state *st,
                     const char *const *paths, size_t n,
                     const struct auditor_scope *scope, auditor_say_fn *say,
                     void *arg);

/*
 * The same for the objects of the API that k follows: every audited kind
 * listed (per namespace when scope names some). ImageStreamTags are not
 * listed: each is a view of a tag of its ImageStream, audited there.
 */
size_t auditor_kube(struct audit *a, const struct state *st, struct kube *k,
                    const struct auditor_scope *scope, auditor_say_fn *say,
                    void *arg);

struct auditor;

/*
 * serve --audit-interval: audit the cluster through k every interval_s
 * seconds (the first once k is ready), in a thread of its own at low CPU
 * priority, against the state current at each run. Each run sets the
 * audit metrics, logs one summary line, and one warn line per finding that
 * the previous run did not have; a run that could not read every kind
 * logs why and keeps the last complete run's metrics and findings. NULL
 * with err when the thread cannot start.
 */
struct auditor *auditor_start(struct kube *k, unsigned interval_s,
                              struct err *err);

/* Stop the thread (after the list or review in progress), free au. */
void auditor_stop(struct auditor *au);

#endif
