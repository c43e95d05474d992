/* audit.h - what the rules say now of objects that already exist. */
#ifndef POLICY_AUDIT_H
#define POLICY_AUDIT_H

#include <stddef.h>

#include <jansson.h>

#include "config.h"
#include "err.h"
#include "rbac.h"

/*
 * An audit: objects reviewed one by one, each as its own CREATE through
 * review_answer_findings() (/validate), and their findings kept for a
 * report. Pure: no I/O; the caller reads the objects and writes the report.
 */
struct audit;

/* A new, empty audit; NULL on out of memory. */
struct audit *audit_new(void);

/*
 * Whether objects of this apiVersion and kind are audited: the kinds with a
 * pod spec (EphemeralContainers aside, a subresource), BuildConfig, Build,
 * ImageStream, ImageStreamTag and ImageTag.
 */
int audit_kind(const char *api_version, const char *kind);

/*
 * Review obj (borrowed; not kept) with cfg and rb (rb NULL: no bindings
 * source). An object without metadata.namespace is reviewed in "default",
 * where kubectl would create it. Returns 0 when reviewed, 1 when not
 * audited (another kind, or an exempt namespace: counted apart), -1 with
 * err set when obj is not an object with string apiVersion, kind and
 * metadata.name, or on out of memory.
 */
int audit_object(struct audit *a, const json_t *obj, const struct config *cfg,
                 const struct rbac *rb, struct err *err);

/* How many objects were reviewed, and how they came out. */
struct audit_summary {
    size_t objects;  /* reviewed */
    size_t exempt;   /* of an audited kind, in an exempt namespace */
    size_t denied;   /* would be denied */
    size_t warned;   /* would be allowed with warnings */
    size_t findings; /* reported, after folding */
};

/*
 * Sort the objects (namespace, kind, name) and fold: a finding of an object
 * whose controller (its ownerReference with controller: true, matched by
 * kind, name and, when both carry one, uid) is audited too and has the same
 * finding is reported at that controller, up the chain (a Pod's at its
 * ReplicaSet's, that one's at the Deployment), which counts the Pods folded
 * into it. Findings an owned object has on its own stay at that object.
 * Call once, after the last audit_object(); then the reports below.
 */
void audit_finish(struct audit *a, struct audit_summary *sum);

/*
 * The findings reported (after audit_finish), a new array of
 * {"namespace", "apiVersion", "kind", "name", "uid" (when known), "field",
 *  "result": "deny"|"warn", "reason", "message", "fix" (when there is one),
 *  "pods": N}; NULL on out of memory.
 */
json_t *audit_findings(const struct audit *a);

/*
 * A table of the findings, one line each (namespace, kind/name, container
 * or field, result, reason, and the fix command or else the message), and
 * the summary line "N objects, N denied, N warned". A new string (caller
 * frees); NULL on out of memory.
 */
char *audit_table(const struct audit *a, const struct audit_summary *sum);

/*
 * wgpolicyk8s.io/v1alpha2 PolicyReports, one per namespace that had an
 * audited object (with no results when it had no findings, so that applying
 * the list clears a report that was fixed), named "image-policy-webhook", in
 * a v1 List, for `kubectl apply`. Every audited kind is namespaced: no
 * ClusterPolicyReport is ever needed. now is the results' timestamp (Unix
 * seconds). A new reference; NULL on out of memory.
 */
json_t *audit_policy_reports(const struct audit *a, long long now);

/* Frees a; NULL is fine. */
void audit_free(struct audit *a);

#endif
