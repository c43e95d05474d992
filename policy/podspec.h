/* podspec.h - where pod specs live per kind, and their container lists. */
#ifndef POLICY_PODSPEC_H
#define POLICY_PODSPEC_H

#include <jansson.h>

/* The three container lists of a pod spec, in the order they are walked. */
extern const char *const podspec_lists[3];

/*
 * JSON Pointer of the pod spec inside an object of the given kind
 * (request.kind group, version, kind), "" for the object itself, or NULL for
 * a kind that holds no pod spec. Returns a static string.
 */
const char *podspec_pointer(const char *group, const char *version,
                            const char *kind);

/*
 * The pod spec of obj at the pointer from podspec_pointer (borrowed from
 * obj), or NULL when obj does not have an object there.
 */
json_t *podspec_find(const json_t *obj, const char *pointer);

/*
 * The container named name in list (borrowed), or NULL. Lists where names
 * are missing never match.
 */
json_t *podspec_container_by_name(const json_t *list, const char *name);

/*
 * The pod spec's service account: serviceAccountName, else the deprecated
 * serviceAccount, else "default". Borrowed from spec.
 */
const char *podspec_service_account(const json_t *spec);

#endif
