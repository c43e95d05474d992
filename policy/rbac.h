/* rbac.h - RBAC index: may a service account pull images from a project? */
#ifndef POLICY_RBAC_H
#define POLICY_RBAC_H

#include <jansson.h>

#include "err.h"

struct rbac;

/* Returns a new, empty index (no bindings, only the bootstrap roles). */
struct rbac *rbac_new(void);

/*
 * Add or replace (by kind, namespace and name) one RBAC object (borrowed):
 * RoleBinding, ClusterRoleBinding, Role, ClusterRole (rbac.authorization.k8s.io
 * or OpenShift's authorization.openshift.io forms), ServiceAccount. A List
 * (or RoleBindingList, ...) adds each of its items. Other kinds are ignored.
 * On a malformed object returns -1, err names the item ("items[3]
 * (RoleBinding project-b/x): roleRef.name must be a string") and the index
 * is unchanged for that object.
 */
int rbac_put(struct rbac *rb, const json_t *obj, struct err *err);

/* Remove one object by kind, namespace ("" for cluster-scoped) and name. */
void rbac_delete(struct rbac *rb, const char *kind, const char *ns,
                 const char *name);

/*
 * Whether RBAC grants ServiceAccount sa_ns/sa_name `get` on
 * imagestreams/layers (group image.openshift.io) for image stream `stream`
 * in namespace `project`, as the integrated registry asks it. Roles the
 * source does not define fall back to OpenShift's bootstrap definitions.
 * Cost does not grow with the number of bindings. rb may be NULL (no source:
 * nothing is granted).
 */
int rbac_may_pull(const struct rbac *rb, const char *sa_ns, const char *sa_name,
                  const char *project, const char *stream);

/* How many RoleBindings and ClusterRoleBindings the index holds. */
size_t rbac_binding_count(const struct rbac *rb);

void rbac_free(struct rbac *rb);

#endif
