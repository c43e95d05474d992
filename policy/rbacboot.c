/* rbacboot.c - OpenShift's bootstrap roles that can grant a pull: a table. */
#include "rbacboot.h"

/*
 * OpenShift's bootstrap definitions of the roles that matter for pulls,
 * from openshift/openshift-apiserver pkg/bootstrappolicy/policy.go
 * (GetOpenshiftBootstrapClusterRoles) and namespace_policy.go
 * (shared-resource-viewer), cluster-admin from kubernetes
 * plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go. Small roles
 * are complete; for the aggregated admin, edit, view and cluster-reader
 * only the image.openshift.io rules of their OpenShift aggregate-to-*
 * parts are kept (system:openshift:aggregate-to-{admin,edit,view,
 * cluster-reader}), which is all the RBAC index looks at.
 *
 * view and cluster-reader: OpenShift's aggregate-to-view leaves `get
 * imagestreams/layers` commented out ("TODO let them pull images?"), but
 * registry-viewer carries the label rbac.authorization.k8s.io/aggregate-to-
 * view (openshift-apiserver pkg/bootstrappolicy/policy.go), so on OpenShift 4
 * the aggregation controller copies its rules into view, and cluster-reader
 * aggregates every aggregate-to-view role too. Their definitions below hold
 * registry-viewer's layers rule, as a live cluster's filled roles do; a
 * source that holds the filled role is used as it is.
 */
struct rbacboot_rule {
    const char *const *verbs;
    const char *const *groups;
    const char *const *resources;
    const char *const *names;
    const char *const *urls;
};

struct rbacboot_role {
    const char *ns; /* "" for a ClusterRole */
    const char *name;
    const struct rbacboot_rule *rules;
    size_t n;
};

#define RBACBOOT_L(...) ((const char *const[]){__VA_ARGS__, NULL})
#define RBACBOOT_READ   RBACBOOT_L("get", "list", "watch")
#define RBACBOOT_RW                                                            \
    RBACBOOT_L("get", "list", "watch", "create", "update", "patch", "delete",  \
               "deletecollection")
#define RBACBOOT_IMAGE    RBACBOOT_L("image.openshift.io", "")
#define RBACBOOT_LAYERS   RBACBOOT_L("imagestreams/layers")
#define RBACBOOT_N(rules) (sizeof(rules) / sizeof((rules)[0]))

static const struct rbacboot_rule rbacboot_cluster_admin[] = {
    {RBACBOOT_L("*"), RBACBOOT_L("*"), RBACBOOT_L("*"), NULL, NULL},
    {RBACBOOT_L("*"), NULL, NULL, NULL, RBACBOOT_L("*")},
};

static const struct rbacboot_rule rbacboot_image_puller[] = {
    {RBACBOOT_L("get"), RBACBOOT_IMAGE, RBACBOOT_LAYERS, NULL, NULL},
};

static const struct rbacboot_rule rbacboot_image_pusher[] = {
    {RBACBOOT_L("get", "update"), RBACBOOT_IMAGE, RBACBOOT_LAYERS, NULL, NULL},
};

static const struct rbacboot_rule rbacboot_image_builder[] = {
    {RBACBOOT_L("get", "update"), RBACBOOT_IMAGE, RBACBOOT_LAYERS, NULL, NULL},
    {RBACBOOT_L("create"), RBACBOOT_IMAGE, RBACBOOT_L("imagestreams"), NULL,
     NULL},
    {RBACBOOT_L("update"), RBACBOOT_L("build.openshift.io", ""),
     RBACBOOT_L("builds/details"), NULL, NULL},
    {RBACBOOT_L("get"), RBACBOOT_L("build.openshift.io", ""),
     RBACBOOT_L("builds"), NULL, NULL},
};

static const struct rbacboot_rule rbacboot_image_signer[] = {
    {RBACBOOT_L("get"), RBACBOOT_IMAGE,
     RBACBOOT_L("images", "imagestreams/layers"), NULL, NULL},
    {RBACBOOT_L("create", "delete"), RBACBOOT_IMAGE,
     RBACBOOT_L("imagesignatures"), NULL, NULL},
};

static const struct rbacboot_rule rbacboot_registry_viewer[] = {
    {RBACBOOT_READ, RBACBOOT_IMAGE,
     RBACBOOT_L("imagestreamimages", "imagestreammappings", "imagestreams",
                "imagestreamtags", "imagetags"),
     NULL, NULL},
    {RBACBOOT_L("get"), RBACBOOT_IMAGE, RBACBOOT_LAYERS, NULL, NULL},
    {RBACBOOT_L("get"), RBACBOOT_L(""), RBACBOOT_L("namespaces"), NULL, NULL},
    {RBACBOOT_L("get"), RBACBOOT_L("project.openshift.io", ""),
     RBACBOOT_L("projects"), NULL, NULL},
};

static const struct rbacboot_rule rbacboot_registry_editor[] = {
    {RBACBOOT_RW, RBACBOOT_L(""), RBACBOOT_L("serviceaccounts", "secrets"),
     NULL, NULL},
    {RBACBOOT_RW, RBACBOOT_IMAGE,
     RBACBOOT_L("imagestreamimages", "imagestreammappings", "imagestreams",
                "imagestreams/secrets", "imagestreamtags", "imagetags"),
     NULL, NULL},
    {RBACBOOT_L("create"), RBACBOOT_IMAGE, RBACBOOT_L("imagestreamimports"),
     NULL, NULL},
    {RBACBOOT_L("get", "update"), RBACBOOT_IMAGE, RBACBOOT_LAYERS, NULL, NULL},
    {RBACBOOT_L("get"), RBACBOOT_L(""), RBACBOOT_L("namespaces"), NULL, NULL},
    {RBACBOOT_L("get"), RBACBOOT_L("project.openshift.io", ""),
     RBACBOOT_L("projects"), NULL, NULL},
};

static const struct rbacboot_rule rbacboot_registry_admin[] = {
    {RBACBOOT_RW, RBACBOOT_L(""), RBACBOOT_L("serviceaccounts", "secrets"),
     NULL, NULL},
    {RBACBOOT_RW, RBACBOOT_IMAGE,
     RBACBOOT_L("imagestreamimages", "imagestreammappings", "imagestreams",
                "imagestreams/secrets", "imagestreamtags", "imagetags"),
     NULL, NULL},
    {RBACBOOT_L("create"), RBACBOOT_IMAGE, RBACBOOT_L("imagestreamimports"),
     NULL, NULL},
    {RBACBOOT_L("get", "update"), RBACBOOT_IMAGE, RBACBOOT_LAYERS, NULL, NULL},
    {RBACBOOT_RW, RBACBOOT_L("authorization.openshift.io", ""),
     RBACBOOT_L("rolebindings", "roles"), NULL, NULL},
    {RBACBOOT_RW, RBACBOOT_L("rbac.authorization.k8s.io"),
     RBACBOOT_L("roles", "rolebindings"), NULL, NULL},
    {RBACBOOT_L("create"), RBACBOOT_L("authorization.openshift.io", ""),
     RBACBOOT_L("localresourceaccessreviews", "localsubjectaccessreviews",
                "subjectrulesreviews"),
     NULL, NULL},
    {RBACBOOT_L("create"), RBACBOOT_L("authorization.k8s.io"),
     RBACBOOT_L("localsubjectaccessreviews"), NULL, NULL},
    {RBACBOOT_L("get"), RBACBOOT_L(""), RBACBOOT_L("namespaces"), NULL, NULL},
    {RBACBOOT_L("get", "delete"), RBACBOOT_L("project.openshift.io", ""),
     RBACBOOT_L("projects"), NULL, NULL},
    {RBACBOOT_L("create"), RBACBOOT_L("authorization.openshift.io", ""),
     RBACBOOT_L("resourceaccessreviews", "subjectaccessreviews"), NULL, NULL},
};

/* admin and edit: the image rules of system:openshift:aggregate-to-*. */
static const struct rbacboot_rule rbacboot_edit[] = {
    {RBACBOOT_RW, RBACBOOT_IMAGE,
     RBACBOOT_L("imagestreams", "imagestreammappings", "imagestreamtags",
                "imagetags", "imagestreamimages", "imagestreams/secrets"),
     NULL, NULL},
    {RBACBOOT_READ, RBACBOOT_IMAGE, RBACBOOT_L("imagestreams/status"), NULL,
     NULL},
    {RBACBOOT_L("get", "update"), RBACBOOT_IMAGE, RBACBOOT_LAYERS, NULL, NULL},
    {RBACBOOT_L("create"), RBACBOOT_IMAGE, RBACBOOT_L("imagestreamimports"),
     NULL, NULL},
};

static const struct rbacboot_rule rbacboot_view[] = {
    {RBACBOOT_READ, RBACBOOT_IMAGE,
     RBACBOOT_L("imagestreams", "imagestreammappings", "imagestreamtags",
                "imagetags", "imagestreamimages"),
     NULL, NULL},
    {RBACBOOT_READ, RBACBOOT_IMAGE, RBACBOOT_L("imagestreams/status"), NULL,
     NULL},
    /* aggregated from registry-viewer (aggregate-to-view) */
    {RBACBOOT_L("get"), RBACBOOT_IMAGE, RBACBOOT_LAYERS, NULL, NULL},
};

static const struct rbacboot_rule rbacboot_cluster_reader[] = {
    {RBACBOOT_READ, RBACBOOT_IMAGE, RBACBOOT_L("images", "imagesignatures"),
     NULL, NULL},
    {RBACBOOT_L("get"), RBACBOOT_IMAGE, RBACBOOT_LAYERS, NULL, NULL},
};

static const struct rbacboot_rule rbacboot_shared_resource_viewer[] = {
    {RBACBOOT_READ, RBACBOOT_L("template.openshift.io", ""),
     RBACBOOT_L("templates"), NULL, NULL},
    {RBACBOOT_READ, RBACBOOT_IMAGE,
     RBACBOOT_L("imagestreams", "imagestreamtags", "imagetags",
                "imagestreamimages"),
     NULL, NULL},
    {RBACBOOT_L("get"), RBACBOOT_IMAGE, RBACBOOT_LAYERS, NULL, NULL},
    {RBACBOOT_L("get"), RBACBOOT_L(""), RBACBOOT_L("configmaps"), NULL, NULL},
};

static const struct rbacboot_role rbacboot_roles[] = {
    {"", "cluster-admin", rbacboot_cluster_admin,
     RBACBOOT_N(rbacboot_cluster_admin)},
    {"", "system:image-puller", rbacboot_image_puller,
     RBACBOOT_N(rbacboot_image_puller)},
    {"", "system:image-pusher", rbacboot_image_pusher,
     RBACBOOT_N(rbacboot_image_pusher)},
    {"", "system:image-builder", rbacboot_image_builder,
     RBACBOOT_N(rbacboot_image_builder)},
    {"", "system:image-signer", rbacboot_image_signer,
     RBACBOOT_N(rbacboot_image_signer)},
    {"", "registry-viewer", rbacboot_registry_viewer,
     RBACBOOT_N(rbacboot_registry_viewer)},
    {"", "registry-editor", rbacboot_registry_editor,
     RBACBOOT_N(rbacboot_registry_editor)},
    {"", "registry-admin", rbacboot_registry_admin,
     RBACBOOT_N(rbacboot_registry_admin)},
    {"", "admin", rbacboot_edit, RBACBOOT_N(rbacboot_edit)},
    {"", "edit", rbacboot_edit, RBACBOOT_N(rbacboot_edit)},
    {"", "view", rbacboot_view, RBACBOOT_N(rbacboot_view)},
    {"", "cluster-reader", rbacboot_cluster_reader,
     RBACBOOT_N(rbacboot_cluster_reader)},
    {"openshift", "shared-resource-viewer", rbacboot_shared_resource_viewer,
     RBACBOOT_N(rbacboot_shared_resource_viewer)},
};

/* A JSON list of a NULL-terminated string list; NULL list: NULL. */
static json_t *rbacboot_list(const char *const *l)
{
    json_t *a;

    if (l == NULL)
        return NULL;
    a = json_array();
    for (; a != NULL && *l != NULL; l++) {
        if (json_array_append_new(a, json_string(*l)) != 0) {
            json_decref(a);
            a = NULL;
        }
    }
    return a;
}

/* The bootstrap rules as PolicyRule JSON, so they compile like the source's. */
static json_t *rbacboot_rules_json(const struct rbacboot_role *br)
{
    json_t *rules = json_array();
    size_t i;

    for (i = 0; rules != NULL && i < br->n; i++) {
        const struct rbacboot_rule *r = &br->rules[i];
        json_t *o = json_object();
        int bad = o == NULL;

        if (!bad && r->verbs != NULL)
            bad = json_object_set_new(o, "verbs", rbacboot_list(r->verbs));
        if (!bad && r->groups != NULL)
            bad = json_object_set_new(o, "apiGroups", rbacboot_list(r->groups));
        if (!bad && r->resources != NULL)
            bad = json_object_set_new(o, "resources",
                                      rbacboot_list(r->resources));
        if (!bad && r->names != NULL)
            bad = json_object_set_new(o, "resourceNames",
                                      rbacboot_list(r->names));
        if (!bad && r->urls != NULL)
            bad = json_object_set_new(o, "nonResourceURLs",
                                      rbacboot_list(r->urls));
        if (bad || json_array_append_new(rules, o) != 0) {
            if (bad)
                json_decref(o);
            json_decref(rules);
            rules = NULL;
        }
    }
    return rules;
}

json_t *rbacboot_rules(size_t i)
{
    return rbacboot_rules_json(&rbacboot_roles[i]);
}

size_t rbacboot_count(void)
{
    return RBACBOOT_N(rbacboot_roles);
}

void rbacboot_name(size_t i, const char **ns, const char **name)
{
    *ns = rbacboot_roles[i].ns;
    *name = rbacboot_roles[i].name;
}
