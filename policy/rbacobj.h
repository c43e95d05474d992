/*
 * rbacobj.h - RBAC objects as the index stores them: Roles, ClusterRoles,
 * RoleBindings and ClusterRoleBindings (rbac.authorization.k8s.io, or
 * OpenShift's authorization.openshift.io and OpenShift 3 "v1" forms) and
 * ServiceAccounts, read from JSON into records that own copies of what they
 * need, so that nothing of the JSON is kept.
 *
 * Ownership: every record, and each string or JSON value it points to, is
 * owned by whoever holds the record (a batch until committed, then the
 * index); free one with the rbacobj_*_free() of its kind.
 */
#ifndef POLICY_RBACOBJ_H
#define POLICY_RBACOBJ_H

#include <stddef.h>

#include <jansson.h>

#include "err.h"
#include "rbacrule.h"

/* A role name as the index's bindings see it (rbac.c). */
struct rbac_slot;

enum rbacobj_kind {
    RBACOBJ_ROLE,
    RBACOBJ_CLUSTER_ROLE,
    RBACOBJ_ROLE_BINDING,
    RBACOBJ_CLUSTER_ROLE_BINDING,
    RBACOBJ_SERVICE_ACCOUNT,
    RBACOBJ_NKINDS
};

/*
 * Who a service account is to the authorizer: its user
 * system:serviceaccount:<ns>:<name>, its groups system:serviceaccounts,
 * system:serviceaccounts:<ns> and system:authenticated. Subject keys are
 * "u:<user>" and "g:<group>".
 */
#define RBACOBJ_SA_USER_PREFIX  "system:serviceaccount:"
#define RBACOBJ_SA_GROUP        "system:serviceaccounts"
#define RBACOBJ_SA_GROUP_PREFIX "system:serviceaccounts:"
#define RBACOBJ_AUTHENTICATED   "system:authenticated"

/* A Role or ClusterRole, compiled. */
struct rbacobj_role {
    enum rbacobj_kind kind; /* RBACOBJ_ROLE or RBACOBJ_CLUSTER_ROLE */
    char *ns;               /* "" for a ClusterRole */
    char *name;
    int defer;     /* aggregated ClusterRole with no rules: use bootstrap */
    int bootstrap; /* one of rbacboot.c's */
    struct rbacrule_grant grant;
};

/* A RoleBinding or ClusterRoleBinding: its role's name, its subjects' keys. */
struct rbacobj_binding {
    enum rbacobj_kind
        kind; /* RBACOBJ_ROLE_BINDING or RBACOBJ_CLUSTER_ROLE_BINDING */
    char *ns; /* "" for a ClusterRoleBinding */
    char *name;
    enum rbacobj_kind ref_kind; /* RBACOBJ_ROLE or RBACOBJ_CLUSTER_ROLE */
    char *ref_name;
    struct rbac_slot *slot; /* the index's (rbac.c): NULL until stored */
    char **keys;            /* subject keys ("u:..." / "g:..."), may repeat */
    size_t n_keys, cap_keys;
};

/* A ServiceAccount: what the pull-secret questions read. */
struct rbacobj_sa {
    char *ns;
    char *name;
    json_t *secrets; /* imagePullSecrets, owned */
};

/* Objects parsed and not yet stored: the index commits them together. */
struct rbacobj_item {
    enum rbacobj_kind kind;
    void *obj; /* owned until committed */
};

struct rbacobj_batch {
    struct rbacobj_item *v;
    size_t n, cap;
};

/* The kinds' names ("Role", ..., "ServiceAccount"), by kind. */
extern const char *const rbacobj_kind_names[RBACOBJ_NKINDS];

/*
 * Parse one document (borrowed): an RBAC object or ServiceAccount, or a
 * List (RoleBindingList, ...) of them, appending a record to batch for each
 * object of our kinds; other kinds and RBAC kind names of other API groups
 * are skipped. Returns 0, or -1 with err naming the item ("items[3]
 * (RoleBinding project-b/x): subjects[0].kind must be a string"); batch
 * may then hold the items parsed before, still the caller's to free.
 */
int rbacobj_parse(const json_t *obj, struct rbacobj_batch *batch,
                  struct err *err);

/* Frees the records batch holds and its array, leaving it empty. */
void rbacobj_batch_free(struct rbacobj_batch *b);

/*
 * A new Role (kind RBACOBJ_ROLE) or ClusterRole from obj's rules and
 * aggregationRule (borrowed); ns ("" for a ClusterRole) and name are
 * copied. legacy: OpenShift's form of the rules. The caller owns the
 * result (rbacobj_role_free()); NULL with err set on a malformed rule or
 * ENOMEM.
 */
struct rbacobj_role *rbacobj_parse_role(const json_t *obj,
                                        enum rbacobj_kind kind, const char *ns,
                                        const char *name, int legacy,
                                        struct err *err);

/* Each frees one record and what it owns; NULL is fine. */
void rbacobj_role_free(struct rbacobj_role *r);
void rbacobj_binding_free(struct rbacobj_binding *b);
void rbacobj_sa_free(struct rbacobj_sa *sa);

/* Frees obj, a record of kind kind; NULL is fine. */
void rbacobj_free(enum rbacobj_kind kind, void *obj);

#endif
