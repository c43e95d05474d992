/* rbac.c - RBAC index: may a service account pull images from a project? */
#include "rbac.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rbacboot.h"
#include "rbackey.h"
#include "rbacrule.h"
#include "strmap.h"
#include "strvec.h"

/*
 * How it decides (Kubernetes plugin/pkg/auth/authorizer/rbac/rbac.go and
 * pkg/registry/rbac/validation/rule.go, pkg/apis/rbac/v1/
 * evaluation_helpers.go):
 *
 * - The service account's user is system:serviceaccount:<ns>:<name>, its
 *   groups system:serviceaccounts, system:serviceaccounts:<ns> and
 *   system:authenticated.
 * - Kubernetes matches a ServiceAccount subject by building that user name
 *   (serviceaccount.MatchesUsername), so a ServiceAccount subject and a User
 *   subject system:serviceaccount:<ns>:<name> are the same thing: both get
 *   the subject key "u:system:serviceaccount:<ns>:<name>"; groups get
 *   "g:<group>". An empty ServiceAccount namespace means the namespace of a
 *   RoleBinding; in a ClusterRoleBinding it matches nothing (appliesToUser
 *   is called with namespace "" there).
 * - Subjects no service account can ever match (other users and groups) are
 *   not indexed: the index answers only this question.
 * - RoleBindings are indexed by (namespace, subject key), ClusterRoleBindings
 *   by subject key. A query looks up its four subject keys in both, so it
 *   visits only bindings that name this account or one of its groups.
 * - A binding refers to its role by name (a Role of the binding's namespace
 *   or a ClusterRole) through a slot shared by every binding of that name
 *   and filled in whenever the role arrives, changes or goes, so the order
 *   objects arrive in does not matter and a query follows pointers. A
 *   ClusterRoleBinding must reference a ClusterRole.
 * - Each role is compiled when stored into what it grants for the one
 *   request the registry makes: verb get, group image.openshift.io, resource
 *   imagestreams/layers: "any stream" or a list of resourceNames.
 *
 * Roles the source does not define fall back to OpenShift's bootstrap
 * definitions (the table of rbacboot.c). Source definitions win, except a
 * ClusterRole that has an aggregationRule and no rules: its rules are
 * filled by the controller-manager's aggregation controller, so an empty
 * one means the source was read where no controller ran (a file from such a
 * cluster, as the recorded rbac-list.json) and the bootstrap definition is
 * used. This index does not aggregate labelled ClusterRoles itself.
 */

enum rbac_kind {
    RBAC_ROLE,
    RBAC_CLUSTER_ROLE,
    RBAC_ROLE_BINDING,
    RBAC_CLUSTER_ROLE_BINDING,
    RBAC_SERVICE_ACCOUNT,
    RBAC_NKINDS
};

static const char *const rbac_kind_names[RBAC_NKINDS] = {
    "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding",
    "ServiceAccount"};

#define RBAC_SA_USER_PREFIX  "system:serviceaccount:"
#define RBAC_SA_GROUP        "system:serviceaccounts"
#define RBAC_SA_GROUP_PREFIX "system:serviceaccounts:"
#define RBAC_AUTHENTICATED   "system:authenticated"

struct rbac_role {
    enum rbac_kind kind; /* RBAC_ROLE or RBAC_CLUSTER_ROLE */
    char *ns;            /* "" for a ClusterRole */
    char *name;
    int defer;     /* aggregated ClusterRole with no rules: use bootstrap */
    int bootstrap; /* one of rbacboot.c's */
    struct rbacrule_grant grant;
};

struct rbac_binding {
    enum rbac_kind kind; /* RBAC_ROLE_BINDING or RBAC_CLUSTER_ROLE_BINDING */
    char *ns;            /* "" for a ClusterRoleBinding */
    char *name;
    enum rbac_kind ref_kind; /* RBAC_ROLE or RBAC_CLUSTER_ROLE */
    char *ref_name;
    struct rbac_slot *slot; /* the role, once stored in the index */
    char **keys;            /* subject keys ("u:..." / "g:..."), may repeat */
    size_t n_keys, cap_keys;
};

/*
 * A role name as bindings see it: the source's definition and the
 * bootstrap one. Bindings point at their slot, so a query follows pointers
 * instead of looking the role up by name; a slot lives while the source
 * defines the role or a binding refers to it.
 */
struct rbac_slot {
    struct rbac_role *src;        /* owned; NULL when the source has none */
    const struct rbac_role *boot; /* owned by rb->boot; NULL if none */
    size_t refs;                  /* bindings pointing here */
    enum rbac_kind kind;          /* RBAC_ROLE or RBAC_CLUSTER_ROLE */
    char *key;                    /* its key in rb->objs[kind] */
    size_t len;
};

struct rbac_sa {
    char *ns;
    char *name;
    json_t *secrets; /* imagePullSecrets, owned */
};

/* Bindings under one index key; most have one or two, kept inline. */
struct rbac_posting {
    struct rbac_binding **v; /* inl, or a heap array when more */
    size_t n, cap;
    struct rbac_binding *inl[2];
};

struct rbac {
    /*
     * By kind, keyed "<ns>\0<name>" (ns "" if cluster-wide): bindings and
     * service accounts; for Role and ClusterRole, their slots.
     */
    struct strmap *objs[RBAC_NKINDS];
    /* Bootstrap roles (RBAC_ROLE, RBAC_CLUSTER_ROLE entries), same keys. */
    struct strmap *boot[RBAC_NKINDS];
    struct strmap *ns_index;      /* "<ns>\0<subject key>" -> posting */
    struct strmap *cluster_index; /* "<subject key>" -> posting */
    size_t n_roles;               /* slots with a source definition */
};

/* ---- freeing ---- */

static void rbac_role_free(struct rbac_role *r)
{
    if (r == NULL)
        return;
    free(r->ns);
    free(r->name);
    strvec_free(r->grant.names, r->grant.n);
    free(r);
}

static void rbac_binding_free(struct rbac_binding *b)
{
    if (b == NULL)
        return;
    free(b->ns);
    free(b->name);
    free(b->ref_name);
    strvec_free(b->keys, b->n_keys);
    free(b);
}

static void rbac_sa_free(struct rbac_sa *sa)
{
    if (sa == NULL)
        return;
    free(sa->ns);
    free(sa->name);
    json_decref(sa->secrets);
    free(sa);
}

static void rbac_obj_free(enum rbac_kind kind, void *obj)
{
    switch (kind) {
    case RBAC_ROLE:
    case RBAC_CLUSTER_ROLE:
        rbac_role_free(obj);
        break;
    case RBAC_ROLE_BINDING:
    case RBAC_CLUSTER_ROLE_BINDING:
        rbac_binding_free(obj);
        break;
    case RBAC_SERVICE_ACCOUNT:
        rbac_sa_free(obj);
        break;
    case RBAC_NKINDS:
        break;
    }
}

/* ---- parsing objects ---- */

static struct rbac_role *rbac_parse_role(const json_t *obj, enum rbac_kind kind,
                                         const char *ns, const char *name,
                                         int legacy, struct err *err)
{
    struct rbac_role *r = NULL, *ret = NULL;
    const json_t *rules = json_object_get(obj, "rules");
    const json_t *agg = json_object_get(obj, "aggregationRule");

    r = calloc(1, sizeof(*r));
    if (r == NULL || (r->ns = strdup(ns)) == NULL ||
        (r->name = strdup(name)) == NULL) {
        err_set(err, "out of memory");
        goto out;
    }
    r->kind = kind;
    if (rbacrule_compile(rules, legacy, &r->grant, err) != 0)
        goto out;
    if (kind == RBAC_CLUSTER_ROLE && agg != NULL && !json_is_null(agg) &&
        json_array_size(rules) == 0)
        r->defer = 1;
    ret = r;
    r = NULL;
out:
    rbac_role_free(r);
    return ret;
}

/* Whether a service account can ever match subject key k. */
static int rbac_key_relevant(const char *k)
{
    static const char user[] = "u:" RBAC_SA_USER_PREFIX;
    static const char group[] = "g:" RBAC_SA_GROUP_PREFIX;

    return strncmp(k, user, sizeof(user) - 1) == 0 ||
           strncmp(k, group, sizeof(group) - 1) == 0 ||
           strcmp(k, "g:" RBAC_SA_GROUP) == 0 ||
           strcmp(k, "g:" RBAC_AUTHENTICATED) == 0;
}

/* Add subject key prefix+a[+":"+b] to b->keys when relevant. */
static int rbac_add_key(struct rbac_binding *bd, const char *prefix,
                        const char *a, const char *b)
{
    struct rbackey k;
    int rc = -1;

    rbackey_init(&k);
    if (rbackey_str(&k, prefix) != 0 || rbackey_str(&k, a) != 0)
        goto out;
    if (b != NULL && (rbackey_str(&k, ":") != 0 || rbackey_str(&k, b) != 0))
        goto out;
    rc = 0;
    if (rbac_key_relevant(k.p))
        rc = strvec_push(&bd->keys, &bd->n_keys, &bd->cap_keys, k.p);
out:
    rbackey_release(&k);
    return rc;
}

/* Subjects of the rbac.authorization.k8s.io form (also OpenShift's). */
static int rbac_parse_subjects(struct rbac_binding *bd, const json_t *subjects,
                               int legacy, struct err *err)
{
    size_t i;
    json_t *s;

    if (subjects == NULL || json_is_null(subjects))
        return 0;
    if (!json_is_array(subjects))
        return err_set(err, "subjects must be a list");
    json_array_foreach(subjects, i, s)
    {
        const json_t *jns;
        const char *kind, *name, *ns = "";
        int rc = 0;

        if (!json_is_object(s))
            return err_set(err, "subjects[%zu] must be an object", i);
        kind = json_string_value(json_object_get(s, "kind"));
        if (kind == NULL)
            return err_set(err, "subjects[%zu].kind must be a string", i);
        name = json_string_value(json_object_get(s, "name"));
        if (name == NULL)
            return err_set(err, "subjects[%zu].name must be a string", i);
        jns = json_object_get(s, "namespace");
        if (jns != NULL && !json_is_null(jns)) {
            if (!json_is_string(jns))
                return err_set(err, "subjects[%zu].namespace must be a string",
                               i);
            ns = json_string_value(jns);
        }
        if (strcmp(kind, "ServiceAccount") == 0) {
            if (ns[0] == '\0' && bd->kind == RBAC_ROLE_BINDING)
                ns = bd->ns;
            if (ns[0] != '\0')
                rc = rbac_add_key(bd, "u:" RBAC_SA_USER_PREFIX, ns, name);
        } else if (strcmp(kind, "User") == 0 ||
                   (legacy && strcmp(kind, "SystemUser") == 0)) {
            rc = rbac_add_key(bd, "u:", name, NULL);
        } else if (strcmp(kind, "Group") == 0 ||
                   (legacy && strcmp(kind, "SystemGroup") == 0)) {
            rc = rbac_add_key(bd, "g:", name, NULL);
        }
        /* Other kinds match no one (appliesToUser's default case). */
        if (rc != 0)
            return err_set(err, "out of memory");
    }
    return 0;
}

/*
 * OpenShift's userNames/groupNames: when either is set they replace
 * subjects (origin Convert_v1_RoleBinding_To_authorization_RoleBinding).
 * Returns 1 when they were used, 0 when absent, -1 on error.
 */
static int rbac_parse_names(struct rbac_binding *bd, const json_t *obj,
                            struct err *err)
{
    const json_t *users, *groups;
    size_t i;
    json_t *e;

    if (rbacrule_strings_field(obj, "userNames", "", &users, err) != 0 ||
        rbacrule_strings_field(obj, "groupNames", "", &groups, err) != 0)
        return -1;
    if (users == NULL && groups == NULL)
        return 0;
    json_array_foreach(users, i, e)
    {
        if (rbac_add_key(bd, "u:", json_string_value(e), NULL) != 0)
            return err_set(err, "out of memory");
    }
    json_array_foreach(groups, i, e)
    {
        if (rbac_add_key(bd, "g:", json_string_value(e), NULL) != 0)
            return err_set(err, "out of memory");
    }
    return 1;
}

static int rbac_parse_role_ref(struct rbac_binding *bd, const json_t *obj,
                               int legacy, struct err *err)
{
    const json_t *ref = json_object_get(obj, "roleRef");
    const json_t *jkind, *jns;
    const char *name, *ns = "";

    if (!json_is_object(ref))
        return err_set(err, "roleRef must be an object");
    name = json_string_value(json_object_get(ref, "name"));
    if (name == NULL || name[0] == '\0')
        return err_set(err, "roleRef.name must be a non-empty string");
    jns = json_object_get(ref, "namespace");
    if (legacy && jns != NULL && !json_is_null(jns)) {
        if (!json_is_string(jns))
            return err_set(err, "roleRef.namespace must be a string");
        ns = json_string_value(jns);
    }
    jkind = json_object_get(ref, "kind");
    if (jkind != NULL && !json_is_null(jkind)) {
        const char *kind = json_string_value(jkind);

        if (kind == NULL)
            return err_set(err, "roleRef.kind must be a string");
        if (strcmp(kind, "Role") == 0)
            bd->ref_kind = RBAC_ROLE;
        else if (strcmp(kind, "ClusterRole") == 0)
            bd->ref_kind = RBAC_CLUSTER_ROLE;
        else
            return err_set(err,
                           "roleRef.kind must be Role or ClusterRole, not "
                           "\"%s\"",
                           kind);
    } else if (legacy) {
        /* OpenShift's roleRef: a namespace names a Role, none a ClusterRole. */
        bd->ref_kind = ns[0] != '\0' ? RBAC_ROLE : RBAC_CLUSTER_ROLE;
    } else {
        return err_set(err, "roleRef.kind must be a string");
    }
    if (ns[0] != '\0' && strcmp(ns, bd->ns) != 0)
        return err_set(err, "roleRef.namespace must be the binding's own");
    if (bd->kind == RBAC_CLUSTER_ROLE_BINDING && bd->ref_kind == RBAC_ROLE)
        return err_set(err, "roleRef.kind must be ClusterRole in a "
                            "ClusterRoleBinding");
    bd->ref_name = strdup(name);
    if (bd->ref_name == NULL)
        return err_set(err, "out of memory");
    return 0;
}

static struct rbac_binding *rbac_parse_binding(const json_t *obj,
                                               enum rbac_kind kind,
                                               const char *ns, const char *name,
                                               int legacy, struct err *err)
{
    struct rbac_binding *bd = NULL, *ret = NULL;
    int used_names = 0;

    bd = calloc(1, sizeof(*bd));
    if (bd == NULL || (bd->ns = strdup(ns)) == NULL ||
        (bd->name = strdup(name)) == NULL) {
        err_set(err, "out of memory");
        goto out;
    }
    bd->kind = kind;
    if (rbac_parse_role_ref(bd, obj, legacy, err) != 0)
        goto out;
    if (legacy) {
        used_names = rbac_parse_names(bd, obj, err);
        if (used_names < 0)
            goto out;
    }
    if (!used_names && rbac_parse_subjects(bd, json_object_get(obj, "subjects"),
                                           legacy, err) != 0)
        goto out;
    ret = bd;
    bd = NULL;
out:
    rbac_binding_free(bd);
    return ret;
}

static struct rbac_sa *rbac_parse_sa(const json_t *obj, const char *ns,
                                     const char *name, struct err *err)
{
    struct rbac_sa *sa = NULL, *ret = NULL;
    const json_t *ips = json_object_get(obj, "imagePullSecrets");
    size_t i;
    json_t *e;

    if (ips != NULL && !json_is_null(ips)) {
        if (!json_is_array(ips)) {
            err_set(err, "imagePullSecrets must be a list");
            goto out;
        }
        json_array_foreach(ips, i, e)
        {
            const json_t *n = json_object_get(e, "name");

            if (!json_is_object(e)) {
                err_set(err, "imagePullSecrets[%zu] must be an object", i);
                goto out;
            }
            if (n != NULL && !json_is_null(n) && !json_is_string(n)) {
                err_set(err, "imagePullSecrets[%zu].name must be a string", i);
                goto out;
            }
        }
    }
    sa = calloc(1, sizeof(*sa));
    if (sa == NULL || (sa->ns = strdup(ns)) == NULL ||
        (sa->name = strdup(name)) == NULL ||
        (sa->secrets =
             json_is_array(ips) ? json_deep_copy(ips) : json_array()) == NULL) {
        err_set(err, "out of memory");
        goto out;
    }
    ret = sa;
    sa = NULL;
out:
    rbac_sa_free(sa);
    return ret;
}

/*
 * Which of our kinds obj is. Returns 1 and sets *kind and *legacy, or 0
 * when the object is not one we index (another kind, or an RBAC kind name
 * of some other API group).
 */
static int rbac_classify(const char *kind, const char *api, enum rbac_kind *out,
                         int *legacy)
{
    int k;

    *legacy = 0;
    if (strcmp(kind, "ServiceAccount") == 0) {
        *out = RBAC_SERVICE_ACCOUNT;
        return api == NULL || strcmp(api, "v1") == 0;
    }
    for (k = 0; k < RBAC_SERVICE_ACCOUNT; k++) {
        if (strcmp(kind, rbac_kind_names[k]) == 0)
            break;
    }
    if (k == RBAC_SERVICE_ACCOUNT)
        return 0;
    *out = (enum rbac_kind)k;
    if (api == NULL || strncmp(api, "rbac.authorization.k8s.io/", 26) == 0)
        return 1;
    if (strcmp(api, "authorization.openshift.io/v1") == 0 ||
        strcmp(api, "v1") == 0) {
        *legacy = 1; /* "v1": how OpenShift 3 printed these kinds */
        return 1;
    }
    return 0;
}

/* ---- staging: everything is parsed before anything is stored ---- */

struct rbac_item {
    enum rbac_kind kind;
    void *obj; /* owned until committed */
};

struct rbac_batch {
    struct rbac_item *v;
    size_t n, cap;
};

static void rbac_batch_free(struct rbac_batch *b)
{
    size_t i;

    for (i = 0; i < b->n; i++)
        rbac_obj_free(b->v[i].kind, b->v[i].obj);
    free(b->v);
    b->v = NULL;
    b->n = b->cap = 0;
}

static int rbac_batch_push(struct rbac_batch *b, enum rbac_kind kind, void *obj)
{
    if (b->n == b->cap) {
        size_t ncap = b->cap ? b->cap * 2 : 8;
        struct rbac_item *nv;

        if (ncap > SIZE_MAX / sizeof(*nv))
            return -1;
        nv = realloc(b->v, ncap * sizeof(*nv));
        if (nv == NULL)
            return -1;
        b->v = nv;
        b->cap = ncap;
    }
    b->v[b->n].kind = kind;
    b->v[b->n].obj = obj;
    b->n++;
    return 0;
}

/* err = "<where> (<what>): <msg>", dropping the parts that are NULL. */
static int rbac_fail(struct err *err, const char *where, const char *what,
                     const char *msg)
{
    if (where != NULL && what != NULL)
        return err_set(err, "%s (%s): %s", where, what, msg);
    if (where != NULL || what != NULL)
        return err_set(err, "%s: %s", where != NULL ? where : what, msg);
    return err_set(err, "%s", msg);
}

/* Parse one object (where: "items[3]", or NULL at the top) into batch. */
static int rbac_stage(const json_t *obj, const char *where,
                      struct rbac_batch *batch, struct err *err)
{
    const json_t *md, *japi, *jns;
    const char *kind, *api = NULL, *name, *ns = "";
    enum rbac_kind k;
    int legacy;
    char what[192];
    struct err inner = {{0}};
    void *parsed = NULL;

    if (!json_is_object(obj))
        return rbac_fail(err, where, NULL,
                         where != NULL ? "must be an object"
                                       : "the document must be an object");
    kind = json_string_value(json_object_get(obj, "kind"));
    if (kind == NULL)
        return rbac_fail(err, where, NULL, "kind must be a string");
    japi = json_object_get(obj, "apiVersion");
    if (japi != NULL && !json_is_null(japi)) {
        api = json_string_value(japi);
        if (api == NULL)
            return rbac_fail(err, where, kind, "apiVersion must be a string");
    }
    if (!rbac_classify(kind, api, &k, &legacy))
        return 0;
    md = json_object_get(obj, "metadata");
    if (!json_is_object(md))
        return rbac_fail(err, where, kind, "metadata must be an object");
    name = json_string_value(json_object_get(md, "name"));
    if (name == NULL || name[0] == '\0')
        return rbac_fail(err, where, kind,
                         "metadata.name must be a non-empty string");
    if (k == RBAC_ROLE || k == RBAC_ROLE_BINDING || k == RBAC_SERVICE_ACCOUNT) {
        jns = json_object_get(md, "namespace");
        ns = json_string_value(jns);
        if (ns == NULL || ns[0] == '\0') {
            snprintf(what, sizeof(what), "%s %s", kind, name);
            return rbac_fail(err, where, what,
                             "metadata.namespace must be a non-empty string");
        }
        snprintf(what, sizeof(what), "%s %s/%s", kind, ns, name);
    } else {
        snprintf(what, sizeof(what), "%s %s", kind, name);
    }
    switch (k) {
    case RBAC_ROLE:
    case RBAC_CLUSTER_ROLE:
        parsed = rbac_parse_role(obj, k, ns, name, legacy, &inner);
        break;
    case RBAC_ROLE_BINDING:
    case RBAC_CLUSTER_ROLE_BINDING:
        parsed = rbac_parse_binding(obj, k, ns, name, legacy, &inner);
        break;
    case RBAC_SERVICE_ACCOUNT:
        parsed = rbac_parse_sa(obj, ns, name, &inner);
        break;
    case RBAC_NKINDS:
        break;
    }
    if (parsed == NULL)
        return rbac_fail(err, where, what, inner.msg);
    if (rbac_batch_push(batch, k, parsed) != 0) {
        rbac_obj_free(k, parsed);
        return rbac_fail(err, where, what, "out of memory");
    }
    return 0;
}

/* ---- the indexes ---- */

/* The index key of subject key s for binding bd. */
static int rbac_index_key(struct rbackey *k, const struct rbac_binding *bd,
                          const char *s)
{
    if (bd->kind == RBAC_ROLE_BINDING)
        return rbackey_pair(k, bd->ns, s);
    k->len = 0;
    return rbackey_str(k, s);
}

static struct strmap *rbac_index_of(const struct rbac *rb,
                                    const struct rbac_binding *bd)
{
    return bd->kind == RBAC_ROLE_BINDING ? rb->ns_index : rb->cluster_index;
}

static void rbac_posting_free(struct rbac_posting *p)
{
    if (p == NULL)
        return;
    if (p->v != p->inl)
        free(p->v);
    free(p);
}

/* Remove bd from every posting it is in (tolerates partial indexing). */
static void rbac_unindex(struct rbac *rb, const struct rbac_binding *bd)
{
    struct strmap *m = rbac_index_of(rb, bd);
    struct rbackey k;
    size_t i, j;

    rbackey_init(&k);
    for (i = 0; i < bd->n_keys; i++) {
        struct rbac_posting *p;

        if (rbac_index_key(&k, bd, bd->keys[i]) != 0)
            continue; /* ENOMEM: it could not have been indexed either */
        p = strmap_get(m, k.p, k.len);
        if (p == NULL)
            continue;
        for (j = 0; j < p->n; j++) {
            if (p->v[j] == bd) {
                p->v[j] = p->v[--p->n];
                break;
            }
        }
        if (p->n == 0) {
            strmap_remove(m, k.p, k.len);
            rbac_posting_free(p);
        }
    }
    rbackey_release(&k);
}

static int rbac_posting_push(struct rbac_posting *p, struct rbac_binding *bd)
{
    if (p->n == p->cap) {
        size_t ncap = p->cap * 2;
        struct rbac_binding **nv;

        if (ncap > SIZE_MAX / sizeof(*nv))
            return -1;
        if (p->v == p->inl) {
            nv = malloc(ncap * sizeof(*nv));
            if (nv != NULL)
                memcpy(nv, p->inl, sizeof(p->inl));
        } else {
            nv = realloc(p->v, ncap * sizeof(*nv));
        }
        if (nv == NULL)
            return -1;
        p->v = nv;
        p->cap = ncap;
    }
    p->v[p->n++] = bd;
    return 0;
}

static int rbac_index(struct rbac *rb, struct rbac_binding *bd)
{
    struct strmap *m = rbac_index_of(rb, bd);
    struct rbackey k;
    size_t i;
    int rc = -1;

    rbackey_init(&k);
    for (i = 0; i < bd->n_keys; i++) {
        struct rbac_posting *p;

        if (rbac_index_key(&k, bd, bd->keys[i]) != 0)
            goto out;
        p = strmap_get(m, k.p, k.len);
        if (p == NULL) {
            p = calloc(1, sizeof(*p));
            if (p == NULL)
                goto out;
            p->v = p->inl;
            p->cap = sizeof(p->inl) / sizeof(p->inl[0]);
            if (strmap_put(m, k.p, k.len, p, NULL) != 0) {
                rbac_posting_free(p);
                goto out;
            }
        }
        /* A subject listed twice: its keys arrive together, so it is last. */
        if (p->n > 0 && p->v[p->n - 1] == bd)
            continue;
        if (rbac_posting_push(p, bd) != 0)
            goto out;
    }
    rc = 0;
out:
    rbackey_release(&k);
    return rc;
}

/* ---- role slots ---- */

static void rbac_slot_free(struct rbac_slot *s)
{
    if (s == NULL)
        return;
    rbac_role_free(s->src);
    free(s->key);
    free(s);
}

/* The slot of role kind ns/name; with create, made when missing. */
static struct rbac_slot *rbac_slot_get(struct rbac *rb, enum rbac_kind kind,
                                       const char *ns, const char *name,
                                       int create)
{
    struct rbac_slot *s = NULL, *ret = NULL;
    struct rbackey k;

    rbackey_init(&k);
    if (rbackey_pair(&k, ns, name) != 0)
        goto out;
    ret = strmap_get(rb->objs[kind], k.p, k.len);
    if (ret != NULL || !create)
        goto out;
    s = calloc(1, sizeof(*s));
    if (s == NULL || (s->key = malloc(k.len + 1)) == NULL)
        goto out;
    memcpy(s->key, k.p, k.len + 1);
    s->len = k.len;
    s->kind = kind;
    s->boot = strmap_get(rb->boot[kind], k.p, k.len);
    if (strmap_put(rb->objs[kind], k.p, k.len, s, NULL) != 0)
        goto out;
    ret = s;
    s = NULL;
out:
    rbac_slot_free(s);
    rbackey_release(&k);
    return ret;
}

/* Drop a slot that nothing needs any more. */
static void rbac_slot_gc(struct rbac *rb, struct rbac_slot *s)
{
    if (s->refs == 0 && s->src == NULL) {
        strmap_remove(rb->objs[s->kind], s->key, s->len);
        rbac_slot_free(s);
    }
}

/* Free a stored binding, letting go of its slot. */
static void rbac_binding_release(struct rbac *rb, struct rbac_binding *bd)
{
    if (bd != NULL && bd->slot != NULL) {
        bd->slot->refs--;
        rbac_slot_gc(rb, bd->slot);
    }
    rbac_binding_free(bd);
}

/* ---- storing ---- */

static int rbac_commit_role(struct rbac *rb, struct rbac_role *r)
{
    struct rbac_slot *s = rbac_slot_get(rb, r->kind, r->ns, r->name, 1);

    if (s == NULL)
        return -1;
    if (s->src == NULL)
        rb->n_roles++;
    rbac_role_free(s->src);
    s->src = r;
    return 0;
}

static int rbac_commit_binding(struct rbac *rb, struct rbac_binding *bd)
{
    struct strmap *m = rb->objs[bd->kind];
    struct rbac_binding *old = NULL;
    struct rbackey k;
    void *prev = NULL;
    int rc = -1;

    rbackey_init(&k);
    bd->slot =
        rbac_slot_get(rb, bd->ref_kind, bd->ref_kind == RBAC_ROLE ? bd->ns : "",
                      bd->ref_name, 1);
    if (bd->slot == NULL)
        goto out;
    bd->slot->refs++;
    if (rbackey_pair(&k, bd->ns, bd->name) != 0 ||
        strmap_put(m, k.p, k.len, bd, &prev) != 0)
        goto out;
    old = prev;
    if (old != NULL)
        rbac_unindex(rb, old);
    if (rbac_index(rb, bd) != 0) {
        /* Leave neither the new binding nor the old one in. */
        rbac_unindex(rb, bd);
        strmap_remove(m, k.p, k.len);
        goto out;
    }
    rc = 0;
out:
    rbac_binding_release(rb, old);
    if (rc != 0)
        rbac_binding_release(rb, bd);
    rbackey_release(&k);
    return rc;
}

static int rbac_commit_sa(struct rbac *rb, struct rbac_sa *sa)
{
    struct rbackey k;
    void *old = NULL;
    int rc = -1;

    rbackey_init(&k);
    if (rbackey_pair(&k, sa->ns, sa->name) != 0 ||
        strmap_put(rb->objs[RBAC_SERVICE_ACCOUNT], k.p, k.len, sa, &old) != 0)
        goto out;
    rbac_sa_free(old);
    rc = 0;
out:
    rbackey_release(&k);
    return rc;
}

/*
 * Store one parsed object, replacing any with its kind, namespace and name.
 * The index owns it afterwards, even on failure (ENOMEM), so it->obj is
 * cleared either way.
 */
static int rbac_commit(struct rbac *rb, struct rbac_item *it)
{
    int rc = -1;

    switch (it->kind) {
    case RBAC_ROLE:
    case RBAC_CLUSTER_ROLE:
        rc = rbac_commit_role(rb, it->obj);
        if (rc != 0)
            rbac_role_free(it->obj);
        break;
    case RBAC_ROLE_BINDING:
    case RBAC_CLUSTER_ROLE_BINDING:
        rc = rbac_commit_binding(rb, it->obj); /* frees it on failure */
        break;
    case RBAC_SERVICE_ACCOUNT:
        rc = rbac_commit_sa(rb, it->obj);
        if (rc != 0)
            rbac_sa_free(it->obj);
        break;
    case RBAC_NKINDS:
        break;
    }
    it->obj = NULL;
    return rc;
}

int rbac_put(struct rbac *rb, const json_t *obj, struct err *err)
{
    struct rbac_batch batch = {NULL, 0, 0};
    const char *kind;
    const json_t *items;
    size_t i, len;
    int rc = -1;

    if (rb == NULL || obj == NULL) {
        err_set(err, "rbac_put: no index or no object");
        goto out;
    }
    kind = json_string_value(json_object_get(obj, "kind"));
    items = json_object_get(obj, "items");
    len = kind != NULL ? strlen(kind) : 0;
    if (len >= 4 && strcmp(kind + len - 4, "List") == 0 && items != NULL) {
        if (!json_is_null(items) && !json_is_array(items)) {
            rbac_fail(err, NULL, kind, "items must be a list");
            goto out;
        }
        for (i = 0; i < json_array_size(items); i++) {
            const json_t *item = json_array_get(items, i);
            const char *ik = json_string_value(json_object_get(item, "kind"));
            char where[32];

            snprintf(where, sizeof(where), "items[%zu]", i);
            if (ik != NULL && strlen(ik) >= 4 &&
                strcmp(ik + strlen(ik) - 4, "List") == 0 &&
                json_object_get(item, "items") != NULL) {
                rbac_fail(err, where, ik, "a List inside a List");
                goto out;
            }
            if (rbac_stage(item, where, &batch, err) != 0)
                goto out;
        }
    } else if (rbac_stage(obj, NULL, &batch, err) != 0) {
        goto out;
    }
    for (i = 0; i < batch.n; i++) {
        if (rbac_commit(rb, &batch.v[i]) != 0) {
            err_set(err, "out of memory");
            goto out;
        }
    }
    rc = 0;
out:
    rbac_batch_free(&batch);
    return rc;
}

void rbac_delete(struct rbac *rb, const char *kind, const char *ns,
                 const char *name)
{
    struct rbackey k;
    void *obj;
    int i;

    if (rb == NULL || kind == NULL || name == NULL)
        return;
    for (i = 0; i < RBAC_NKINDS; i++) {
        if (strcmp(kind, rbac_kind_names[i]) == 0)
            break;
    }
    if (i == RBAC_NKINDS)
        return;
    if (i == RBAC_CLUSTER_ROLE || i == RBAC_CLUSTER_ROLE_BINDING || ns == NULL)
        ns = "";
    rbackey_init(&k);
    if (i == RBAC_ROLE || i == RBAC_CLUSTER_ROLE) {
        struct rbac_slot *s = rbac_slot_get(rb, (enum rbac_kind)i, ns, name, 0);

        if (s != NULL && s->src != NULL) {
            rbac_role_free(s->src);
            s->src = NULL;
            rb->n_roles--;
            rbac_slot_gc(rb, s);
        }
        goto out;
    }
    if (rbackey_pair(&k, ns, name) != 0)
        goto out;
    obj = strmap_remove(rb->objs[i], k.p, k.len);
    if (obj == NULL)
        goto out;
    if (i == RBAC_SERVICE_ACCOUNT) {
        rbac_sa_free(obj);
        goto out;
    }
    rbac_unindex(rb, obj);
    rbac_binding_release(rb, obj);
out:
    rbackey_release(&k);
}

/* ---- queries ---- */

/* The role bd refers to, with the bootstrap fallback; NULL if none. */
static const struct rbac_role *rbac_resolve(const struct rbac_binding *bd)
{
    const struct rbac_role *r = bd->slot->src;

    if (r != NULL && !r->defer)
        return r;
    return bd->slot->boot != NULL ? bd->slot->boot : r;
}

/* Who the service account is to the authorizer, in the authorizer's order. */
static const char *const rbac_subject_words[4] = {"ServiceAccount", "Group",
                                                  "Group " RBAC_SA_GROUP,
                                                  "Group " RBAC_AUTHENTICATED};

/* One pass over the postings: stop at the first grant, or visit each. */
struct rbac_visit {
    const char *stream;
    struct rbac_why *why; /* filled at each grant; may be NULL */
    rbac_grant_fn *each;  /* NULL: stop at the first grant */
    void *arg;
    size_t grants;
};

/*
 * Check the bindings of one posting for subject i; 1 when the visit is
 * over (a grant with no callback, or the callback said stop).
 */
static int rbac_check_posting(const struct rbac_posting *p, size_t subject,
                              struct rbac_visit *vis)
{
    struct rbac_why *why = vis->why;
    size_t i;

    if (p == NULL)
        return 0;
    for (i = 0; i < p->n; i++) {
        const struct rbac_binding *bd = p->v[i];
        const struct rbac_role *r = rbac_resolve(bd);

        if (why != NULL)
            why->considered++;
        if (r == NULL || !rbacrule_grants(&r->grant, vis->stream))
            continue;
        vis->grants++;
        if (why != NULL) {
            why->binding_kind = rbac_kind_names[bd->kind];
            why->binding_ns = bd->ns;
            why->binding_name = bd->name;
            why->role_kind = rbac_kind_names[r->kind];
            why->role_name = r->name;
            why->role_bootstrap = r->bootstrap;
            why->subject = rbac_subject_words[subject];
        }
        if (vis->each == NULL || vis->each(vis->arg, why) != 0)
            return 1;
    }
    return 0;
}

/* Visit the bindings that may grant sa_ns/sa_name a pull from project. */
static void rbac_visit(const struct rbac *rb, const char *sa_ns,
                       const char *sa_name, const char *project,
                       struct rbac_visit *vis)
{
    struct rbackey user, nsgroup, ik;
    const char *subjects[4];
    size_t i;

    rbackey_init(&user);
    rbackey_init(&nsgroup);
    rbackey_init(&ik);
    if (rb == NULL || sa_ns == NULL || sa_name == NULL || project == NULL ||
        vis->stream == NULL || sa_ns[0] == '\0' || sa_name[0] == '\0' ||
        project[0] == '\0')
        goto out;
    /* Who the service account is to the authorizer. On ENOMEM: deny. */
    if (rbackey_str(&user, "u:" RBAC_SA_USER_PREFIX) != 0 ||
        rbackey_str(&user, sa_ns) != 0 || rbackey_str(&user, ":") != 0 ||
        rbackey_str(&user, sa_name) != 0 ||
        rbackey_str(&nsgroup, "g:" RBAC_SA_GROUP_PREFIX) != 0 ||
        rbackey_str(&nsgroup, sa_ns) != 0)
        goto out;
    subjects[0] = user.p;
    subjects[1] = nsgroup.p;
    subjects[2] = "g:" RBAC_SA_GROUP;
    subjects[3] = "g:" RBAC_AUTHENTICATED;
    for (i = 0; i < 4; i++) {
        /* ClusterRoleBindings first, as the authorizer visits them. */
        if (rbac_check_posting(
                strmap_get(rb->cluster_index, subjects[i], strlen(subjects[i])),
                i, vis))
            goto out;
        if (rbackey_pair(&ik, project, subjects[i]) != 0)
            goto out;
        if (rbac_check_posting(strmap_get(rb->ns_index, ik.p, ik.len), i, vis))
            goto out;
    }
out:
    rbackey_release(&user);
    rbackey_release(&nsgroup);
    rbackey_release(&ik);
}

int rbac_may_pull_why(const struct rbac *rb, const char *sa_ns,
                      const char *sa_name, const char *project,
                      const char *stream, struct rbac_why *why)
{
    struct rbac_visit vis = {stream, why, NULL, NULL, 0};

    if (why != NULL)
        memset(why, 0, sizeof(*why));
    rbac_visit(rb, sa_ns, sa_name, project, &vis);
    return vis.grants > 0;
}

size_t rbac_pull_grants(const struct rbac *rb, const char *sa_ns,
                        const char *sa_name, const char *project,
                        const char *stream, rbac_grant_fn *each, void *arg)
{
    struct rbac_why why;
    struct rbac_visit vis = {stream, &why, each, arg, 0};

    memset(&why, 0, sizeof(why));
    rbac_visit(rb, sa_ns, sa_name, project, &vis);
    return vis.grants;
}

int rbac_may_pull(const struct rbac *rb, const char *sa_ns, const char *sa_name,
                  const char *project, const char *stream)
{
    return rbac_may_pull_why(rb, sa_ns, sa_name, project, stream, NULL);
}

const json_t *rbac_service_account_pull_secrets(const struct rbac *rb,
                                                const char *ns,
                                                const char *name)
{
    const struct rbac_sa *sa = NULL;
    struct rbackey k;

    rbackey_init(&k);
    if (rb != NULL && ns != NULL && name != NULL &&
        rbackey_pair(&k, ns, name) == 0)
        sa = strmap_get(rb->objs[RBAC_SERVICE_ACCOUNT], k.p, k.len);
    rbackey_release(&k);
    return sa != NULL ? sa->secrets : NULL;
}

size_t rbac_binding_count(const struct rbac *rb)
{
    if (rb == NULL)
        return 0;
    return strmap_count(rb->objs[RBAC_ROLE_BINDING]) +
           strmap_count(rb->objs[RBAC_CLUSTER_ROLE_BINDING]);
}

size_t rbac_role_count(const struct rbac *rb)
{
    if (rb == NULL)
        return 0;
    return rb->n_roles;
}

/* ---- bootstrap roles ---- */

static int rbac_boot_load(struct rbac *rb)
{
    struct rbackey k;
    size_t i;
    int rc = -1;

    rbackey_init(&k);
    for (i = 0; i < rbacboot_count(); i++) {
        const char *ns, *name;
        enum rbac_kind kind;
        json_t *obj = json_object();
        struct rbac_role *r = NULL;

        rbacboot_name(i, &ns, &name);
        kind = ns[0] ? RBAC_ROLE : RBAC_CLUSTER_ROLE;
        if (obj != NULL &&
            json_object_set_new(obj, "rules", rbacboot_rules(i)) == 0)
            r = rbac_parse_role(obj, kind, ns, name, 0, NULL);
        json_decref(obj);
        if (r == NULL)
            goto out;
        r->bootstrap = 1;
        if (rbackey_pair(&k, ns, name) != 0 ||
            strmap_put(rb->boot[kind], k.p, k.len, r, NULL) != 0) {
            rbac_role_free(r);
            goto out;
        }
    }
    rc = 0;
out:
    rbackey_release(&k);
    return rc;
}

/* ---- life cycle ---- */

struct rbac *rbac_new(const struct siphash_key *key)
{
    struct rbac *rb = calloc(1, sizeof(*rb));
    struct rbac *ret = NULL;
    int i;

    if (rb == NULL)
        goto out;
    for (i = 0; i < RBAC_NKINDS; i++) {
        if ((rb->objs[i] = strmap_new(key)) == NULL)
            goto out;
    }
    if ((rb->boot[RBAC_ROLE] = strmap_new(key)) == NULL ||
        (rb->boot[RBAC_CLUSTER_ROLE] = strmap_new(key)) == NULL ||
        (rb->ns_index = strmap_new(key)) == NULL ||
        (rb->cluster_index = strmap_new(key)) == NULL)
        goto out;
    if (rbac_boot_load(rb) != 0)
        goto out;
    ret = rb;
    rb = NULL;
out:
    rbac_free(rb);
    return ret;
}

/* What a map holds, for rbac_map_free(). */
enum rbac_vals { RBAC_VALS_OBJS, RBAC_VALS_SLOTS, RBAC_VALS_POSTINGS };

/* Free a map and the values it holds (objects of kind, slots, postings). */
static void rbac_map_free(struct strmap *m, enum rbac_vals vals,
                          enum rbac_kind kind)
{
    size_t pos = 0;
    void *val;

    while (strmap_next(m, &pos, NULL, NULL, &val)) {
        if (vals == RBAC_VALS_POSTINGS)
            rbac_posting_free(val);
        else if (vals == RBAC_VALS_SLOTS)
            rbac_slot_free(val);
        else
            rbac_obj_free(kind, val);
    }
    strmap_free(m);
}

void rbac_free(struct rbac *rb)
{
    int i;

    if (rb == NULL)
        return;
    /* Bindings first: they point into slots, slots into rb->boot. */
    for (i = 0; i < RBAC_NKINDS; i++) {
        if (i != RBAC_ROLE && i != RBAC_CLUSTER_ROLE)
            rbac_map_free(rb->objs[i], RBAC_VALS_OBJS, (enum rbac_kind)i);
    }
    rbac_map_free(rb->objs[RBAC_ROLE], RBAC_VALS_SLOTS, RBAC_ROLE);
    rbac_map_free(rb->objs[RBAC_CLUSTER_ROLE], RBAC_VALS_SLOTS,
                  RBAC_CLUSTER_ROLE);
    for (i = 0; i < RBAC_NKINDS; i++)
        rbac_map_free(rb->boot[i], RBAC_VALS_OBJS, (enum rbac_kind)i);
    rbac_map_free(rb->ns_index, RBAC_VALS_POSTINGS, RBAC_NKINDS);
    rbac_map_free(rb->cluster_index, RBAC_VALS_POSTINGS, RBAC_NKINDS);
    free(rb);
}
