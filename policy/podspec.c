/* podspec.c - where pod specs live per kind, and their container lists. */
#include "podspec.h"

#include <string.h>

const char *const podspec_lists[3] = {"initContainers", "containers",
                                      "ephemeralContainers"};

struct podspec_kind {
    const char *group, *version, *kind, *pointer;
};

static const struct podspec_kind podspec_kinds[] = {
    {"", "v1", "Pod", "/spec"},
    {"", "v1", "PodTemplate", "/template/spec"},
    {"", "v1", "ReplicationController", "/spec/template/spec"},
    {"apps", "v1", "ReplicaSet", "/spec/template/spec"},
    {"apps", "v1", "Deployment", "/spec/template/spec"},
    {"apps", "v1", "StatefulSet", "/spec/template/spec"},
    {"apps", "v1", "DaemonSet", "/spec/template/spec"},
    {"batch", "v1", "Job", "/spec/template/spec"},
    {"apps.openshift.io", "v1", "DeploymentConfig", "/spec/template/spec"},
    {"batch", "v1", "CronJob", "/spec/jobTemplate/spec/template/spec"},
    {"batch", "v1beta1", "CronJob", "/spec/jobTemplate/spec/template/spec"},
    /* pods/ephemeralcontainers before Kubernetes 1.23 carried this kind,
     * with the list at the top of the object. */
    {"", "v1", "EphemeralContainers", ""},
};

const char *podspec_pointer(const char *group, const char *version,
                            const char *kind)
{
    size_t i;

    for (i = 0; i < sizeof(podspec_kinds) / sizeof(podspec_kinds[0]); i++) {
        const struct podspec_kind *k = &podspec_kinds[i];

        if (strcmp(k->group, group) == 0 && strcmp(k->version, version) == 0 &&
            strcmp(k->kind, kind) == 0)
            return k->pointer;
    }
    return NULL;
}

json_t *podspec_find(const json_t *obj, const char *pointer)
{
    json_t *cur = (json_t *)obj;
    const char *p = pointer;

    /* The pointers above hold plain member names: no escapes to decode. */
    while (cur != NULL && *p == '/') {
        const char *seg = p + 1, *end = strchr(seg, '/');
        size_t n = end != NULL ? (size_t)(end - seg) : strlen(seg);

        cur = json_object_getn(cur, seg, n);
        p = seg + n;
    }
    return json_is_object(cur) ? cur : NULL;
}

json_t *podspec_container_by_name(const json_t *list, const char *name)
{
    size_t i;
    json_t *c;

    json_array_foreach(list, i, c)
    {
        const char *n = json_string_value(json_object_get(c, "name"));

        if (n != NULL && strcmp(n, name) == 0)
            return c;
    }
    return NULL;
}

const char *podspec_service_account(const json_t *spec)
{
    const char *sa =
        json_string_value(json_object_get(spec, "serviceAccountName"));

    if (sa == NULL || sa[0] == '\0')
        sa = json_string_value(json_object_get(spec, "serviceAccount"));
    if (sa == NULL || sa[0] == '\0')
        sa = "default";
    return sa;
}
