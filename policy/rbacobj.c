/*
 * rbacobj.c - RBAC objects (roles, bindings, service accounts) read from
 * JSON into the records the RBAC index stores.
 */
#include "rbacobj.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rbackey.h"
#include "strvec.h"

const char *const rbacobj_kind_names[RBACOBJ_NKINDS] = {
    "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding",
    "ServiceAccount"};

/* ---- freeing ---- */

void rbacobj_role_free(struct rbacobj_role *r)
{
    if (r == NULL)
        return;
    free(r->ns);
    free(r->name);
    strvec_free(r->grant.names, r->grant.n);
    free(r);
}

void rbacobj_binding_free(struct rbacobj_binding *b)
{
    if (b == NULL)
        return;
    free(b->ns);
    free(b->name);
    free(b->ref_name);
    strvec_free(b->keys, b->n_keys);
    free(b);
}

void rbacobj_sa_free(struct rbacobj_sa *sa)
{
    if (sa == NULL)
        return;
    free(sa->ns);
    free(sa->name);
    json_decref(sa->secrets);
    free(sa);
}

void rbacobj_free(enum rbacobj_kind kind, void *obj)
{
    switch (kind) {
    case RBACOBJ_ROLE:
    case RBACOBJ_CLUSTER_ROLE:
        rbacobj_role_free(obj);
        break;
    case RBACOBJ_ROLE_BINDING:
    case RBACOBJ_CLUSTER_ROLE_BINDING:
        rbacobj_binding_free(obj);
        break;
    case RBACOBJ_SERVICE_ACCOUNT:
        rbacobj_sa_free(obj);
        break;
    case RBACOBJ_NKINDS:
        break;
    }
}

/* ---- parsing objects ---- */

struct rbacobj_role *rbacobj_parse_role(const json_t *obj,
                                        enum rbacobj_kind kind, const char *ns,
                                        const char *name, int legacy,
                                        struct err *err)
{
    struct rbacobj_role *r = NULL, *ret = NULL;
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
    if (kind == RBACOBJ_CLUSTER_ROLE && agg != NULL && !json_is_null(agg) &&
        json_array_size(rules) == 0)
        r->defer = 1;
    ret = r;
    r = NULL;
out:
    rbacobj_role_free(r);
    return ret;
}

/* Whether a service account can ever match subject key k. */
static int rbacobj_key_relevant(const char *k)
{
    static const char user[] = "u:" RBACOBJ_SA_USER_PREFIX;
    static const char group[] = "g:" RBACOBJ_SA_GROUP_PREFIX;

    return strncmp(k, user, sizeof(user) - 1) == 0 ||
           strncmp(k, group, sizeof(group) - 1) == 0 ||
           strcmp(k, "g:" RBACOBJ_SA_GROUP) == 0 ||
           strcmp(k, "g:" RBACOBJ_AUTHENTICATED) == 0;
}

/* Add subject key prefix+a[+":"+b] to b->keys when relevant. */
static int rbacobj_add_key(struct rbacobj_binding *bd, const char *prefix,
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
    if (rbacobj_key_relevant(k.b.p))
        rc = strvec_push(&bd->keys, &bd->n_keys, &bd->cap_keys, k.b.p);
out:
    rbackey_release(&k);
    return rc;
}

/* Subjects of the rbac.authorization.k8s.io form (also OpenShift's). */
static int rbacobj_parse_subjects(struct rbacobj_binding *bd,
                                  const json_t *subjects, int legacy,
                                  struct err *err)
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
            if (ns[0] == '\0' && bd->kind == RBACOBJ_ROLE_BINDING)
                ns = bd->ns;
            if (ns[0] != '\0')
                rc = rbacobj_add_key(bd, "u:" RBACOBJ_SA_USER_PREFIX, ns, name);
        } else if (strcmp(kind, "User") == 0 ||
                   (legacy && strcmp(kind, "SystemUser") == 0)) {
            rc = rbacobj_add_key(bd, "u:", name, NULL);
        } else if (strcmp(kind, "Group") == 0 ||
                   (legacy && strcmp(kind, "SystemGroup") == 0)) {
            rc = rbacobj_add_key(bd, "g:", name, NULL);
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
static int rbacobj_parse_names(struct rbacobj_binding *bd, const json_t *obj,
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
        if (rbacobj_add_key(bd, "u:", json_string_value(e), NULL) != 0)
            return err_set(err, "out of memory");
    }
    json_array_foreach(groups, i, e)
    {
        if (rbacobj_add_key(bd, "g:", json_string_value(e), NULL) != 0)
            return err_set(err, "out of memory");
    }
    return 1;
}

static int rbacobj_parse_role_ref(struct rbacobj_binding *bd, const json_t *obj,
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
            bd->ref_kind = RBACOBJ_ROLE;
        else if (strcmp(kind, "ClusterRole") == 0)
            bd->ref_kind = RBACOBJ_CLUSTER_ROLE;
        else
            return err_set(err,
                           "roleRef.kind must be Role or ClusterRole, not "
                           "\"%s\"",
                           kind);
    } else if (legacy) {
        /* OpenShift's roleRef: a namespace names a Role, none a ClusterRole. */
        bd->ref_kind = ns[0] != '\0' ? RBACOBJ_ROLE : RBACOBJ_CLUSTER_ROLE;
    } else {
        return err_set(err, "roleRef.kind must be a string");
    }
    if (ns[0] != '\0' && strcmp(ns, bd->ns) != 0)
        return err_set(err, "roleRef.namespace must be the binding's own");
    if (bd->kind == RBACOBJ_CLUSTER_ROLE_BINDING &&
        bd->ref_kind == RBACOBJ_ROLE)
        return err_set(err, "roleRef.kind must be ClusterRole in a "
                            "ClusterRoleBinding");
    bd->ref_name = strdup(name);
    if (bd->ref_name == NULL)
        return err_set(err, "out of memory");
    return 0;
}

static struct rbacobj_binding *
rbacobj_parse_binding(const json_t *obj, enum rbacobj_kind kind, const char *ns,
                      const char *name, int legacy, struct err *err)
{
    struct rbacobj_binding *bd = NULL, *ret = NULL;
    int used_names = 0;

    bd = calloc(1, sizeof(*bd));
    if (bd == NULL || (bd->ns = strdup(ns)) == NULL ||
        (bd->name = strdup(name)) == NULL) {
        err_set(err, "out of memory");
        goto out;
    }
    bd->kind = kind;
    if (rbacobj_parse_role_ref(bd, obj, legacy, err) != 0)
        goto out;
    if (legacy) {
        used_names = rbacobj_parse_names(bd, obj, err);
        if (used_names < 0)
            goto out;
    }
    if (!used_names &&
        rbacobj_parse_subjects(bd, json_object_get(obj, "subjects"), legacy,
                               err) != 0)
        goto out;
    ret = bd;
    bd = NULL;
out:
    rbacobj_binding_free(bd);
    return ret;
}

static struct rbacobj_sa *rbacobj_parse_sa(const json_t *obj, const char *ns,
                                           const char *name, struct err *err)
{
    struct rbacobj_sa *sa = NULL, *ret = NULL;
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
    rbacobj_sa_free(sa);
    return ret;
}

/*
 * Which of our kinds obj is. Returns 1 and sets *kind and *legacy, or 0
 * when the object is not one we index (another kind, or an RBAC kind name
 * of some other API group).
 */
static int rbacobj_classify(const char *kind, const char *api,
                            enum rbacobj_kind *out, int *legacy)
{
    int k;

    *legacy = 0;
    if (strcmp(kind, "ServiceAccount") == 0) {
        *out = RBACOBJ_SERVICE_ACCOUNT;
        return api == NULL || strcmp(api, "v1") == 0;
    }
    for (k = 0; k < RBACOBJ_SERVICE_ACCOUNT; k++) {
        if (strcmp(kind, rbacobj_kind_names[k]) == 0)
            break;
    }
    if (k == RBACOBJ_SERVICE_ACCOUNT)
        return 0;
    *out = (enum rbacobj_kind)k;
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

void rbacobj_batch_free(struct rbacobj_batch *b)
{
    size_t i;

    for (i = 0; i < b->n; i++)
        rbacobj_free(b->v[i].kind, b->v[i].obj);
    free(b->v);
    b->v = NULL;
    b->n = b->cap = 0;
}

static int rbacobj_batch_push(struct rbacobj_batch *b, enum rbacobj_kind kind,
                              void *obj)
{
    if (b->n == b->cap) {
        size_t ncap = b->cap ? b->cap * 2 : 8;
        struct rbacobj_item *nv;

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
static int rbacobj_fail(struct err *err, const char *where, const char *what,
                        const char *msg)
{
    if (where != NULL && what != NULL)
        return err_set(err, "%s (%s): %s", where, what, msg);
    if (where != NULL || what != NULL)
        return err_set(err, "%s: %s", where != NULL ? where : what, msg);
    return err_set(err, "%s", msg);
}

/* Parse one object (where: "items[3]", or NULL at the top) into batch. */
static int rbacobj_stage(const json_t *obj, const char *where,
                         struct rbacobj_batch *batch, struct err *err)
{
    const json_t *md, *japi, *jns;
    const char *kind, *api = NULL, *name, *ns = "";
    enum rbacobj_kind k;
    int legacy;
    char what[192];
    struct err inner = {{0}};
    void *parsed = NULL;

    if (!json_is_object(obj))
        return rbacobj_fail(err, where, NULL,
                            where != NULL ? "must be an object"
                                          : "the document must be an object");
    kind = json_string_value(json_object_get(obj, "kind"));
    if (kind == NULL)
        return rbacobj_fail(err, where, NULL, "kind must be a string");
    japi = json_object_get(obj, "apiVersion");
    if (japi != NULL && !json_is_null(japi)) {
        api = json_string_value(japi);
        if (api == NULL)
            return rbacobj_fail(err, where, kind,
                                "apiVersion must be a string");
    }
    if (!rbacobj_classify(kind, api, &k, &legacy))
        return 0;
    md = json_object_get(obj, "metadata");
    if (!json_is_object(md))
        return rbacobj_fail(err, where, kind, "metadata must be an object");
    name = json_string_value(json_object_get(md, "name"));
    if (name == NULL || name[0] == '\0')
        return rbacobj_fail(err, where, kind,
                            "metadata.name must be a non-empty string");
    if (k == RBACOBJ_ROLE || k == RBACOBJ_ROLE_BINDING ||
        k == RBACOBJ_SERVICE_ACCOUNT) {
        jns = json_object_get(md, "namespace");
        ns = json_string_value(jns);
        if (ns == NULL || ns[0] == '\0') {
            snprintf(what, sizeof(what), "%s %s", kind, name);
            return rbacobj_fail(
                err, where, what,
                "metadata.namespace must be a non-empty string");
        }
        snprintf(what, sizeof(what), "%s %s/%s", kind, ns, name);
    } else {
        snprintf(what, sizeof(what), "%s %s", kind, name);
    }
    switch (k) {
    case RBACOBJ_ROLE:
    case RBACOBJ_CLUSTER_ROLE:
        parsed = rbacobj_parse_role(obj, k, ns, name, legacy, &inner);
        break;
    case RBACOBJ_ROLE_BINDING:
    case RBACOBJ_CLUSTER_ROLE_BINDING:
        parsed = rbacobj_parse_binding(obj, k, ns, name, legacy, &inner);
        break;
    case RBACOBJ_SERVICE_ACCOUNT:
        parsed = rbacobj_parse_sa(obj, ns, name, &inner);
        break;
    case RBACOBJ_NKINDS:
        break;
    }
    if (parsed == NULL)
        return rbacobj_fail(err, where, what, inner.msg);
    if (rbacobj_batch_push(batch, k, parsed) != 0) {
        rbacobj_free(k, parsed);
        return rbacobj_fail(err, where, what, "out of memory");
    }
    return 0;
}

int rbacobj_parse(const json_t *obj, struct rbacobj_batch *batch,
                  struct err *err)
{
    const char *kind;
    const json_t *items;
    size_t i, len;

    kind = json_string_value(json_object_get(obj, "kind"));
    items = json_object_get(obj, "items");
    len = kind != NULL ? strlen(kind) : 0;
    if (len >= 4 && strcmp(kind + len - 4, "List") == 0 && items != NULL) {
        if (!json_is_null(items) && !json_is_array(items))
            return rbacobj_fail(err, NULL, kind, "items must be a list");
        for (i = 0; i < json_array_size(items); i++) {
            const json_t *item = json_array_get(items, i);
            const char *ik = json_string_value(json_object_get(item, "kind"));
            char where[32];

            snprintf(where, sizeof(where), "items[%zu]", i);
            if (ik != NULL && strlen(ik) >= 4 &&
                strcmp(ik + strlen(ik) - 4, "List") == 0 &&
                json_object_get(item, "items") != NULL)
                return rbacobj_fail(err, where, ik, "a List inside a List");
            if (rbacobj_stage(item, where, batch, err) != 0)
                return -1;
        }
        return 0;
    }
    return rbacobj_stage(obj, NULL, batch, err);
}
