/* rbac.h - RBAC index: may a service account pull images from a project? */
#ifndef POLICY_RBAC_H
#define POLICY_RBAC_H

#include <stddef.h>

#include <jansson.h>

#include "err.h"
#include "siphash.h"

struct rbac;

/*
 * Returns a new, empty index (no bindings, only the bootstrap roles), or
 * NULL on ENOMEM. Its hash maps are keyed with key (copied): the process
 * hands in a secret random one (webhook/hashkey.h), so that nobody who
 * names bindings, roles or subjects can make their names collide.
 */
struct rbac *rbac_new(const struct siphash_key *key);

/*
 * Add or replace (by kind, namespace and name) one RBAC object (borrowed):
 * RoleBinding, ClusterRoleBinding, Role, ClusterRole (rbac.authorization.k8s.io
 * or OpenShift's authorization.openshift.io forms), ServiceAccount. A List
 * (or RoleBindingList, ...) adds each of its items. Other kinds are ignored.
 * On a malformed object returns -1, err names the item ("items[3]
 * (RoleBinding project-b/x): subjects[0].kind must be a string") and the
 * index is unchanged for that object.
 *
 * A call is all or nothing: every item is checked before any is stored, so
 * a List with one bad item adds nothing (only ENOMEM while storing can leave
 * part of a List in). Malformed: a binding without a usable roleRef, a
 * ClusterRoleBinding to a Role, fields of the wrong JSON type, a missing
 * name or namespace. Ignored: other kinds, RBAC kind names of other API
 * groups, subjects of unknown kinds. Nothing of obj is kept: the index
 * copies what it needs.
 */
int rbac_put(struct rbac *rb, const json_t *obj, struct err *err);

/*
 * Remove one object by kind ("RoleBinding", "ClusterRoleBinding", "Role",
 * "ClusterRole", "ServiceAccount"), namespace ("" or NULL for cluster-scoped)
 * and name. Unknown objects are ignored. A removed Role or ClusterRole that
 * has a bootstrap definition falls back to it.
 */
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

/* What granted a pull, for messages and logs. */
struct rbac_why {
    /* Bindings whose subjects matched the service account and were checked. */
    size_t considered;
    /*
     * When granted, the binding and role that did it (borrowed, valid until
     * the index next changes); all NULL when denied.
     */
    const char *binding_kind; /* "RoleBinding" or "ClusterRoleBinding" */
    const char *binding_ns;   /* "" for a ClusterRoleBinding */
    const char *binding_name;
    const char *role_kind; /* "Role" or "ClusterRole" */
    const char *role_name;
    int role_bootstrap; /* 1: the role's rules came from the bootstrap set */
    /*
     * The binding's subject that matched (static storage): "ServiceAccount"
     * (the account itself, as a ServiceAccount or its user name), "Group"
     * (system:serviceaccounts:<its namespace>), "Group
     * system:serviceaccounts" or "Group system:authenticated".
     */
    const char *subject;
};

/*
 * rbac_may_pull() that also fills *why (when not NULL) with what it looked at
 * and what granted the pull.
 */
int rbac_may_pull_why(const struct rbac *rb, const char *sa_ns,
                      const char *sa_name, const char *project,
                      const char *stream, struct rbac_why *why);

/*
 * Called by rbac_pull_grants() for each grant (why borrowed for the call);
 * nonzero stops the visit.
 */
typedef int rbac_grant_fn(void *arg, const struct rbac_why *why);

/*
 * Every binding that grants the pull rbac_may_pull() asks about, in the
 * authorizer's order (the first is the one rbac_may_pull_why() names).
 * Returns how many were visited.
 */
size_t rbac_pull_grants(const struct rbac *rb, const char *sa_ns,
                        const char *sa_name, const char *project,
                        const char *stream, rbac_grant_fn *each, void *arg);

/*
 * The imagePullSecrets array (borrowed, valid until the index next changes;
 * [] when the account has none) of ServiceAccount ns/name, or NULL when the
 * source holds no such ServiceAccount. rb may be NULL.
 */
const json_t *rbac_service_account_pull_secrets(const struct rbac *rb,
                                                const char *ns,
                                                const char *name);

/* How many RoleBindings and ClusterRoleBindings the index holds. */
size_t rbac_binding_count(const struct rbac *rb);

/* How many Roles and ClusterRoles came from the source (bootstrap excluded). */
size_t rbac_role_count(const struct rbac *rb);

/* Frees the index; rb may be NULL. */
void rbac_free(struct rbac *rb);

#endif
