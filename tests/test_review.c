/* test_review.c - the review function: envelope, kinds, modes, UPDATE rules,
 * validation decisions and messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonpatch.h"
#include "pullpolicy.h"
#include "replay.h"
#include "review.h"

/* A fixed key for the index: the process draws a random one. */
static const struct siphash_key test_key = {0x0123456789abcdefULL,
                                            0xfedcba9876543210ULL};

#define REG "image-registry.openshift-image-registry.svc:5000"

/* An AdmissionReview for kind group/version/kind of operation op. */
static json_t *mk_review(const char *api, const char *group,
                         const char *version, const char *kind,
                         const char *resource, const char *sub, const char *op,
                         const char *ns, json_t *object, json_t *old)
{
    json_t *req = json_pack(
        "{s:s, s:{s:s, s:s, s:s}, s:{s:s, s:s, s:s}, "
        "s:s, s:s, s:o, s:o}",
        "uid", "u-1", "kind", "group", group, "version", version, "kind", kind,
        "resource", "group", group, "version", version, "resource", resource,
        "operation", op, "namespace", ns, "object",
        object ? object : json_null(), "oldObject", old ? old : json_null());
    json_t *rv =
        json_pack("{s:s, s:o}", "kind", "AdmissionReview", "request", req);

    assert_non_null(rv);
    if (sub != NULL)
        json_object_set_new(req, "subResource", json_string(sub));
    if (api != NULL)
        json_object_set_new(rv, "apiVersion", json_string(api));
    return rv;
}

/* An object with the pod spec text placed at the JSON Pointer path. */
static json_t *mk_object(const char *pointer, const char *spec_text)
{
    json_t *spec = json_loads(spec_text, 0, NULL), *obj, *cur;
    char buf[256], *segs[16], *p;
    int n = 0, i;

    assert_non_null(spec);
    if (pointer[0] == '\0')
        return spec;
    obj = cur = json_object();
    snprintf(buf, sizeof(buf), "%s", pointer);
    for (p = buf + 1; n < 16;) {
        segs[n++] = p;
        p = strchr(p, '/');
        if (p == NULL)
            break;
        *p++ = '\0';
    }
    for (i = 0; i < n - 1; i++) {
        json_t *o = json_object();

        json_object_set_new(cur, segs[i], o);
        cur = o;
    }
    json_object_set_new(cur, segs[n - 1], spec);
    return obj;
}

/* The answer to rv, with the patch decoded. */
static json_t *answer_of(enum review_endpoint ep, json_t *rv,
                         const struct config *cfg, const struct rbac *rb)
{
    struct err err = {{0}};
    json_t *raw = review_answer(ep, rv, cfg, rb, &err), *norm;

    if (raw == NULL)
        fail_msg("review_answer: %s", err.msg);
    norm = replay_normalise(raw, &err);
    assert_non_null(norm);
    json_decref(raw);
    return norm;
}

static void assert_patch(const json_t *answer, const char *want_text)
{
    const json_t *resp = json_object_get(answer, "response");
    const json_t *patch = json_object_get(resp, "patch");

    if (want_text == NULL) {
        assert_null(patch);
        assert_null(json_object_get(resp, "patchType"));
    } else {
        json_t *want = json_loads(want_text, 0, NULL);
        char *got = json_dumps(patch, JSON_COMPACT | JSON_ENCODE_ANY);

        assert_non_null(want);
        if (!json_equal(want, patch))
            fail_msg("patch: want %s got %s", want_text, got);
        free(got);
        assert_string_equal(
            json_string_value(json_object_get(resp, "patchType")), "JSONPatch");
        json_decref(want);
    }
    assert_true(json_is_true(json_object_get(resp, "allowed")));
}

static void test_review_rejects_what_is_not_an_admissionreview(void **state)
{
    static const struct {
        const char *body, *msg;
    } cases[] = {
        {"[]", "not an AdmissionReview: body is not a JSON object"},
        {"{}", "not an AdmissionReview: request must be an object"},
        {"{\"request\":[]}", "not an AdmissionReview: request must be an "
                             "object"},
        {"{\"request\":{\"kind\":{}}}",
         "not an AdmissionReview: request.uid must be a string"},
        {"{\"request\":{\"uid\":7,\"kind\":{}}}",
         "not an AdmissionReview: request.uid must be a string"},
        {"{\"request\":{\"uid\":\"u\"}}",
         "not an AdmissionReview: request.kind must be an object"},
        {"{\"request\":{\"uid\":\"u\",\"kind\":\"Pod\"}}",
         "not an AdmissionReview: request.kind must be an object"},
        {"{\"apiVersion\":\"admission.k8s.io/v2\",\"request\":{\"uid\":\"u\","
         "\"kind\":{}}}",
         "not an AdmissionReview: apiVersion must be admission.k8s.io/v1 or "
         "v1beta1"},
    };
    struct config *cfg = config_new_default();
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct err err = {{0}};
        json_t *rv = json_loads(cases[i].body, 0, NULL);

        assert_null(review_answer(REVIEW_MUTATE, rv, cfg, NULL, &err));
        assert_string_equal(err.msg, cases[i].msg);
        json_decref(rv);
    }
    config_free(cfg);
}

static void test_review_parse_errors(void **state)
{
    struct err err = {{0}};

    (void)state;
    assert_null(review_parse("{\"a\":", 5, &err));
    assert_non_null(strstr(err.msg, "body is not JSON"));
    assert_null(review_parse("", 0, NULL));
    assert_int_equal(review_endpoint_parse("mutate"), REVIEW_MUTATE);
    assert_int_equal(review_endpoint_parse("validate"), REVIEW_VALIDATE);
    assert_int_equal(review_endpoint_parse("Mutate"), -1);
}

static void test_review_envelope_versions(void **state)
{
    static const struct {
        const char *api, *want;
    } cases[] = {
        {"admission.k8s.io/v1", "admission.k8s.io/v1"},
        {"admission.k8s.io/v1beta1", "admission.k8s.io/v1beta1"},
        {NULL, "admission.k8s.io/v1"},
    };
    struct config *cfg = config_new_default();
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *rv = mk_review(cases[i].api, "", "v1", "ConfigMap",
                               "configmaps", NULL, "CREATE", "a", NULL, NULL);
        json_t *ans = answer_of(REVIEW_MUTATE, rv, cfg, NULL);
        json_t *want = json_pack("{s:s, s:s, s:{s:s, s:b}}", "apiVersion",
                                 cases[i].want, "kind", "AdmissionReview",
                                 "response", "uid", "u-1", "allowed", 1);

        assert_true(json_equal(ans, want));
        json_decref(want);
        json_decref(ans);
        json_decref(rv);
    }
    config_free(cfg);
}

struct kind_case {
    const char *group, *version, *kind, *resource, *pointer;
};

static const struct kind_case kinds[] = {
    {"", "v1", "Pod", "pods", "/spec"},
    {"", "v1", "PodTemplate", "podtemplates", "/template/spec"},
    {"", "v1", "ReplicationController", "replicationcontrollers",
     "/spec/template/spec"},
    {"apps", "v1", "ReplicaSet", "replicasets", "/spec/template/spec"},
    {"apps", "v1", "Deployment", "deployments", "/spec/template/spec"},
    {"apps", "v1", "StatefulSet", "statefulsets", "/spec/template/spec"},
    {"apps", "v1", "DaemonSet", "daemonsets", "/spec/template/spec"},
    {"batch", "v1", "Job", "jobs", "/spec/template/spec"},
    {"apps.openshift.io", "v1", "DeploymentConfig", "deploymentconfigs",
     "/spec/template/spec"},
    {"batch", "v1", "CronJob", "cronjobs",
     "/spec/jobTemplate/spec/template/spec"},
    {"batch", "v1beta1", "CronJob", "cronjobs",
     "/spec/jobTemplate/spec/template/spec"},
};

/* Every kind, every container list, on CREATE in the default mode. */
static void test_review_every_kind_and_list(void **state)
{
    static const char spec[] =
        "{\"initContainers\":[{\"name\":\"i\",\"image\":\"busybox:1.36\"}],"
        "\"containers\":[{\"name\":\"a\",\"image\":\"nginx\"},"
        "{\"name\":\"b\",\"image\":\"nginx:1.25\",\"imagePullPolicy\":"
        "\"Never\"},{\"name\":\"c\",\"image\":\"quay.io/x/y:latest\","
        "\"imagePullPolicy\":\"\"}],"
        "\"ephemeralContainers\":[{\"name\":\"e\",\"image\":\"busybox@sha256:"
        "b5d6fe0712636ceb7430189de28819e195e8966372edfc2d9409d79402a0dc16\"}]}";
    struct config *cfg = config_new_default();
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        const struct kind_case *k = &kinds[i];
        json_t *rv = mk_review("admission.k8s.io/v1", k->group, k->version,
                               k->kind, k->resource, NULL, "CREATE", "a",
                               mk_object(k->pointer, spec), NULL);
        json_t *ans = answer_of(REVIEW_MUTATE, rv, cfg, NULL);
        char want[1024];

        snprintf(want, sizeof(want),
                 "[{\"op\":\"add\",\"path\":\"%s/initContainers/0/"
                 "imagePullPolicy\",\"value\":\"IfNotPresent\"},"
                 "{\"op\":\"add\",\"path\":\"%s/containers/0/imagePullPolicy\","
                 "\"value\":\"Always\"},"
                 "{\"op\":\"replace\",\"path\":\"%s/containers/2/"
                 "imagePullPolicy\",\"value\":\"Always\"},"
                 "{\"op\":\"add\",\"path\":\"%s/ephemeralContainers/0/"
                 "imagePullPolicy\",\"value\":\"IfNotPresent\"}]",
                 k->pointer, k->pointer, k->pointer, k->pointer);
        assert_patch(ans, want);

        /* Applying the patch and reviewing again changes nothing more. */
        {
            json_t *obj =
                json_object_get(json_object_get(rv, "request"), "object");
            struct err err = {{0}};
            json_t *again;

            assert_int_equal(
                jsonpatch_apply(
                    obj,
                    json_object_get(json_object_get(ans, "response"), "patch"),
                    &err),
                0);
            again = answer_of(REVIEW_MUTATE, rv, cfg, NULL);
            assert_patch(again, NULL);
            json_decref(again);
        }
        json_decref(ans);
        json_decref(rv);
    }
    config_free(cfg);
}

/* The table of pull policy modes (docs/design.md): mode x (absent, "", other) x
 * wanted value. */
static void test_review_pull_policy_modes(void **state)
{
    static const struct {
        enum config_pull_mode mode;
        const char *image, *current, *want; /* want NULL: left alone */
    } cases[] = {
        {CONFIG_PULL_DEFAULT, "nginx", NULL, "Always"},
        {CONFIG_PULL_DEFAULT, "nginx", "", "Always"},
        {CONFIG_PULL_DEFAULT, "nginx:latest", NULL, "Always"},
        {CONFIG_PULL_DEFAULT, "nginx:1.25", NULL, "IfNotPresent"},
        {CONFIG_PULL_DEFAULT, "nginx:1.25", "Always", NULL},
        {CONFIG_PULL_DEFAULT, "nginx", "IfNotPresent", NULL},
        {CONFIG_PULL_DEFAULT, "nginx", "Never", NULL},
        {CONFIG_PULL_DEFAULT, "NGINX", NULL, "IfNotPresent"}, /* no parse */
        {CONFIG_PULL_DEFAULT, "", NULL, "IfNotPresent"},
        {CONFIG_PULL_DEFAULT, "localhost:5000/a", NULL, "Always"},
        {CONFIG_PULL_DEFAULT, "foo:5000", NULL, "IfNotPresent"},
        {CONFIG_PULL_DEFAULT,
         "nginx:latest@sha256:"
         "b5d6fe0712636ceb7430189de28819e195e8966372edfc2d9409d79402a0dc16",
         NULL, "Always"},
        {CONFIG_PULL_DEFAULT,
         "nginx@sha256:"
         "b5d6fe0712636ceb7430189de28819e195e8966372edfc2d9409d79402a0dc16",
         NULL, "IfNotPresent"},
        {CONFIG_PULL_ENFORCE, "nginx", NULL, "Always"},
        {CONFIG_PULL_ENFORCE, "nginx:1.25", NULL, "IfNotPresent"},
        {CONFIG_PULL_ENFORCE, "nginx", "IfNotPresent", "Always"},
        {CONFIG_PULL_ENFORCE, "nginx:latest", "Never", "Always"},
        {CONFIG_PULL_ENFORCE, "nginx", "Always", NULL},
        {CONFIG_PULL_ENFORCE, "nginx:1.25", "Always", NULL},
        {CONFIG_PULL_ENFORCE, "nginx:1.25", "Never", NULL},
        {CONFIG_PULL_ALWAYS, "nginx:1.25", NULL, "Always"},
        {CONFIG_PULL_ALWAYS, "nginx:1.25", "", "Always"},
        {CONFIG_PULL_ALWAYS, "nginx:1.25", "IfNotPresent", "Always"},
        {CONFIG_PULL_ALWAYS, "nginx:1.25", "Never", "Always"},
        {CONFIG_PULL_ALWAYS, "nginx:1.25", "Always", NULL},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *got =
            pullpolicy_wanted(cases[i].image, cases[i].current, cases[i].mode);

        if (cases[i].want == NULL
                ? got != NULL
                : got == NULL || strcmp(got, cases[i].want) != 0)
            fail_msg("case %zu (%s, %s): want %s, got %s", i, cases[i].image,
                     cases[i].current ? cases[i].current : "(absent)",
                     cases[i].want ? cases[i].want : "(leave)",
                     got ? got : "(leave)");
    }
}

static void test_review_update_touches_only_changed_containers(void **state)
{
    struct config *cfg = config_new_default();
    json_t *obj = mk_object(
        "/spec/template/spec",
        "{\"containers\":[{\"name\":\"a\",\"image\":\"nginx\"},"
        "{\"name\":\"b\",\"image\":\"redis\"},{\"name\":\"n\",\"image\":"
        "\"nginx:2\"}]}");
    json_t *old = mk_object("/spec/template/spec",
                            "{\"containers\":[{\"name\":\"a\",\"image\":"
                            "\"nginx\"},{\"name\":\"b\",\"image\":\"redis:6\"}"
                            "]}");
    json_t *rv = mk_review("admission.k8s.io/v1", "apps", "v1", "Deployment",
                           "deployments", NULL, "UPDATE", "a", obj, old);
    json_t *ans = answer_of(REVIEW_MUTATE, rv, cfg, NULL);

    (void)state;
    assert_patch(ans, "[{\"op\":\"add\",\"path\":\"/spec/template/spec/"
                      "containers/1/imagePullPolicy\",\"value\":\"Always\"},"
                      "{\"op\":\"add\",\"path\":\"/spec/template/spec/"
                      "containers/2/imagePullPolicy\",\"value\":"
                      "\"IfNotPresent\"}]");
    json_decref(ans);
    json_decref(rv);
    config_free(cfg);
}

static void test_review_pod_update_never_patches(void **state)
{
    struct config *cfg = config_new_default();
    json_t *rv = mk_review(
        "admission.k8s.io/v1", "", "v1", "Pod", "pods", NULL, "UPDATE", "a",
        mk_object("/spec",
                  "{\"containers\":[{\"name\":\"a\",\"image\":\"nginx\"}]}"),
        mk_object("/spec",
                  "{\"containers\":[{\"name\":\"a\",\"image\":\"nginx:1\"}]}"));
    json_t *ans;

    (void)state;
    cfg->pull_mode = CONFIG_PULL_ALWAYS;
    ans = answer_of(REVIEW_MUTATE, rv, cfg, NULL);
    assert_patch(ans, NULL);
    json_decref(ans);
    json_decref(rv);
    config_free(cfg);
}

static void test_review_ephemeral_containers_subresource(void **state)
{
    struct config *cfg = config_new_default();
    json_t *rv = mk_review(
        "admission.k8s.io/v1", "", "v1", "Pod", "pods", "ephemeralcontainers",
        "UPDATE", "a",
        mk_object("/spec",
                  "{\"containers\":[{\"name\":\"a\",\"image\":\"nginx\"}],"
                  "\"ephemeralContainers\":[{\"name\":\"d1\",\"image\":"
                  "\"busybox\",\"imagePullPolicy\":\"IfNotPresent\"},"
                  "{\"name\":\"d2\",\"image\":\"busybox\"}]}"),
        mk_object("/spec",
                  "{\"containers\":[{\"name\":\"a\",\"image\":\"nginx\"}],"
                  "\"ephemeralContainers\":[{\"name\":\"d1\",\"image\":"
                  "\"busybox\",\"imagePullPolicy\":\"IfNotPresent\"}]}"));
    json_t *old_kind, *ans;

    (void)state;
    ans = answer_of(REVIEW_MUTATE, rv, cfg, NULL);
    assert_patch(ans, "[{\"op\":\"add\",\"path\":\"/spec/ephemeralContainers/"
                      "1/imagePullPolicy\",\"value\":\"Always\"}]");
    json_decref(ans);
    json_decref(rv);

    /* Kubernetes before 1.23 sent kind EphemeralContainers, list on top. */
    old_kind = mk_review("admission.k8s.io/v1", "", "v1", "EphemeralContainers",
                         "pods", "ephemeralcontainers", "UPDATE", "a",
                         json_loads("{\"ephemeralContainers\":[{\"name\":"
                                    "\"d\",\"image\":\"busybox:1\"}]}",
                                    0, NULL),
                         json_loads("{\"ephemeralContainers\":[]}", 0, NULL));
    ans = answer_of(REVIEW_MUTATE, old_kind, cfg, NULL);
    assert_patch(ans, "[{\"op\":\"add\",\"path\":\"/ephemeralContainers/0/"
                      "imagePullPolicy\",\"value\":\"IfNotPresent\"}]");
    json_decref(ans);
    json_decref(old_kind);
    config_free(cfg);
}

/* Kinds, subresources and operations the rules leave alone. */
static void test_review_leaves_others_alone(void **state)
{
    static const struct {
        const char *group, *version, *kind, *resource, *sub, *op;
    } cases[] = {
        {"", "v1", "Pod", "pods", NULL, "DELETE"},
        {"", "v1", "Pod", "pods", NULL, "CONNECT"},
        {"", "v1", "Pod", "pods", "status", "UPDATE"},
        {"", "v1", "Pod", "pods", "exec", "CONNECT"},
        {"autoscaling", "v1", "Scale", "deployments", "scale", "UPDATE"},
        {"", "v1", "ConfigMap", "configmaps", NULL, "CREATE"},
        {"apps", "v1beta1", "Deployment", "deployments", NULL, "CREATE"},
        {"example.com", "v1", "Pod", "pods", NULL, "CREATE"},
    };
    struct config *cfg = config_new_default();
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        /* a pod spec both where a Pod and where a workload has it */
        json_t *spec = json_loads(
            "{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"nginx\"}],"
            "\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\","
            "\"image\":\"nginx\"}]}}}}",
            0, NULL);
        json_t *rv, *ans;

        rv = mk_review("admission.k8s.io/v1", cases[i].group, cases[i].version,
                       cases[i].kind, cases[i].resource, cases[i].sub,
                       cases[i].op, "a", spec, NULL);
        ans = answer_of(REVIEW_MUTATE, rv, cfg, NULL);
        assert_patch(ans, NULL);
        json_decref(ans);
        json_decref(rv);
    }
    config_free(cfg);
}

static void test_review_exempt_namespaces(void **state)
{
    struct config *cfg = config_new_default();
    json_t *rv;
    json_t *ans;

    (void)state;
    cfg->exempt_namespaces.v = calloc(1, sizeof(char *));
    cfg->exempt_namespaces.v[0] = strdup("openshift-*");
    cfg->exempt_namespaces.n = 1;
    rv = mk_review("admission.k8s.io/v1", "", "v1", "Pod", "pods", NULL,
                   "CREATE", "openshift-monitoring",
                   mk_object("/spec", "{\"containers\":[{\"name\":\"a\","
                                      "\"image\":\"" REG "/x/y\"}]}"),
                   NULL);
    ans = answer_of(REVIEW_MUTATE, rv, cfg, NULL);
    assert_patch(ans, NULL);
    json_decref(ans);
    ans = answer_of(REVIEW_VALIDATE, rv, cfg, NULL);
    assert_true(json_is_true(
        json_object_get(json_object_get(ans, "response"), "allowed")));
    json_decref(ans);
    json_decref(rv);
    config_free(cfg);
}

/* A validate answer for a pod in project-a with these containers. */
static json_t *validate_pod(const struct config *cfg, const struct rbac *rb,
                            const char *spec, const char *old_spec)
{
    json_t *rv = mk_review("admission.k8s.io/v1", "", "v1", "Pod", "pods", NULL,
                           old_spec ? "UPDATE" : "CREATE", "project-a",
                           mk_object("/spec", spec),
                           old_spec ? mk_object("/spec", old_spec) : NULL);
    json_t *ans = answer_of(REVIEW_VALIDATE, rv, cfg, rb);

    json_decref(rv);
    return ans;
}

static void test_review_cross_project_denied_without_source(void **state)
{
    struct config *cfg = config_new_default();
    json_t *ans, *resp, *status;
    const char *msg;

    (void)state;
    ans = validate_pod(
        cfg, NULL,
        "{\"serviceAccountName\":\"builder\",\"containers\":["
        "{\"name\":\"app\",\"image\":\"" REG "/project-b/app:v1\"},"
        "{\"name\":\"own\",\"image\":\"" REG "/project-a/app:v1\"},"
        "{\"name\":\"hub\",\"image\":\"nginx:1.25\"}],"
        "\"initContainers\":[{\"name\":\"init\",\"image\":"
        "\"IMAGE-REGISTRY.openshift-image-registry.svc:5000/"
        "project-c/tools@sha256:"
        "b5d6fe0712636ceb7430189de28819e195e8966372edfc2d9409d7"
        "9402a0dc16\"}]}",
        NULL);
    resp = json_object_get(ans, "response");
    status = json_object_get(resp, "status");
    assert_true(json_is_false(json_object_get(resp, "allowed")));
    assert_int_equal(json_integer_value(json_object_get(status, "code")), 403);
    assert_string_equal(json_string_value(json_object_get(status, "reason")),
                        "Forbidden");
    msg = json_string_value(json_object_get(status, "message"));
    assert_string_equal(
        msg,
        "init container \"init\" uses image "
        "\"IMAGE-REGISTRY.openshift-image-registry.svc:5000/project-c/"
        "tools@sha256:"
        "b5d6fe0712636ceb7430189de28819e195e8966372edfc2d9409d79402a0dc16\" "
        "from project \"project-c\", but service account \"builder\" of "
        "project \"project-a\" may not pull from it (no RBAC grant of get on "
        "imagestreams/layers there); fix: oc policy add-role-to-user "
        "system:image-puller system:serviceaccount:project-a:builder "
        "--namespace=project-c; "
        "container \"app\" uses image \"" REG "/project-b/app:v1\" from "
        "project \"project-b\", but service account \"builder\" of project "
        "\"project-a\" may not pull from it (no RBAC grant of get on "
        "imagestreams/layers there); fix: oc policy add-role-to-user "
        "system:image-puller system:serviceaccount:project-a:builder "
        "--namespace=project-b");
    json_decref(ans);
    config_free(cfg);
}

static void test_review_cross_project_registry_matching(void **state)
{
    static const struct {
        const char *image;
        int denied;
    } cases[] = {
        {REG "/project-b/app", 1},
        {"Image-Registry.OpenShift-Image-Registry.svc:5000/project-b/app", 1},
        {"image-registry.openshift-image-registry.svc:5001/project-b/app", 0},
        {"image-registry.openshift-image-registry.svc/project-b/app", 0},
        {"quay.io/project-b/app", 0},
        {REG "/project-a/app", 0},
        {REG "/app", 0}, /* no project in the path */
    };
    struct config *cfg = config_new_default();
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char spec[512];
        json_t *ans;

        snprintf(spec, sizeof(spec),
                 "{\"containers\":[{\"name\":\"c\",\"image\":\"%s\"}]}",
                 cases[i].image);
        ans = validate_pod(cfg, NULL, spec, NULL);
        if (json_is_false(json_object_get(json_object_get(ans, "response"),
                                          "allowed")) != cases[i].denied)
            fail_msg("%s: want denied=%d", cases[i].image, cases[i].denied);
        json_decref(ans);
    }
    config_free(cfg);
}

static void test_review_cross_project_granted_by_binding(void **state)
{
    struct config *cfg = config_new_default();
    struct rbac *rb = rbac_new(&test_key);
    json_t *binding = json_loads(
        "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":"
        "\"RoleBinding\",\"metadata\":{\"name\":\"pull\",\"namespace\":"
        "\"project-b\"},\"roleRef\":{\"apiGroup\":\"rbac.authorization.k8s."
        "io\","
        "\"kind\":\"ClusterRole\",\"name\":\"system:image-puller\"},"
        "\"subjects\":[{\"kind\":\"ServiceAccount\",\"name\":\"default\","
        "\"namespace\":\"project-a\"}]}",
        0, NULL);
    json_t *ans;

    (void)state;
    assert_int_equal(rbac_put(rb, binding, NULL), 0);
    ans = validate_pod(cfg, rb,
                       "{\"containers\":[{\"name\":\"c\",\"image\":\"" REG
                       "/project-b/app:v1\"}]}",
                       NULL);
    assert_true(json_is_true(
        json_object_get(json_object_get(ans, "response"), "allowed")));
    json_decref(ans);
    /* another service account of the same project is not granted */
    ans =
        validate_pod(cfg, rb,
                     "{\"serviceAccountName\":\"other\",\"containers\":[{"
                     "\"name\":\"c\",\"image\":\"" REG "/project-b/app:v1\"}]}",
                     NULL);
    assert_true(json_is_false(
        json_object_get(json_object_get(ans, "response"), "allowed")));
    json_decref(ans);
    json_decref(binding);
    rbac_free(rb);
    config_free(cfg);
}

static void test_review_cross_project_warn_and_off(void **state)
{
    struct config *cfg = config_new_default();
    static const char spec[] = "{\"containers\":[{\"name\":\"c\",\"image\":"
                               "\"" REG "/project-b/app:v1\"}]}";
    json_t *ans, *resp, *warnings;

    (void)state;
    cfg->cross_project = CONFIG_WARN;
    ans = validate_pod(cfg, NULL, spec, NULL);
    resp = json_object_get(ans, "response");
    assert_true(json_is_true(json_object_get(resp, "allowed")));
    assert_null(json_object_get(resp, "status"));
    warnings = json_object_get(resp, "warnings");
    assert_int_equal(json_array_size(warnings), 1);
    assert_string_equal(
        json_string_value(json_array_get(warnings, 0)),
        "container \"c\": project-a:default may not pull from project "
        "project-b; fix: oc policy add-role-to-user system:image-puller "
        "system:serviceaccount:project-a:default --namespace=project-b");
    json_decref(ans);

    cfg->cross_project = CONFIG_OFF;
    ans = validate_pod(cfg, NULL, spec, NULL);
    resp = json_object_get(ans, "response");
    assert_true(json_is_true(json_object_get(resp, "allowed")));
    assert_null(json_object_get(resp, "warnings"));
    json_decref(ans);
    config_free(cfg);
}

static void test_review_update_checks_only_new_images(void **state)
{
    struct config *cfg = config_new_default();
    json_t *ans;

    (void)state;
    /* the cross-project image was there before: relabelling never breaks */
    ans = validate_pod(cfg, NULL,
                       "{\"containers\":[{\"name\":\"c\",\"image\":\"" REG
                       "/project-b/app:v1\"}]}",
                       "{\"initContainers\":[{\"name\":\"x\",\"image\":\"" REG
                       "/project-b/app:v1\"}]}");
    assert_true(json_is_true(
        json_object_get(json_object_get(ans, "response"), "allowed")));
    json_decref(ans);
    /* a new tag is a new reference */
    ans = validate_pod(cfg, NULL,
                       "{\"containers\":[{\"name\":\"c\",\"image\":\"" REG
                       "/project-b/app:v2\"}]}",
                       "{\"containers\":[{\"name\":\"c\",\"image\":\"" REG
                       "/project-b/app:v1\"}]}");
    assert_true(json_is_false(
        json_object_get(json_object_get(ans, "response"), "allowed")));
    json_decref(ans);
    config_free(cfg);
}

static void test_review_warnings(void **state)
{
    static const struct {
        enum config_action invalid;
        int dated, latest;
        const char *image;
        const char *warning; /* NULL: none */
        int denied;
    } cases[] = {
        {CONFIG_WARN, 1, 0, "quay.io/org/app:v2.0.1-may-2019",
         "container \"c\": tag \"v2.0.1-may-2019\" embeds a date: it names "
         "one revision forever and default image pruning never removes it",
         0},
        {CONFIG_WARN, 0, 0, "quay.io/org/app:20190501", NULL, 0},
        {CONFIG_WARN, 1, 0, "nginx", NULL, 0},
        {CONFIG_WARN, 1, 1, "nginx",
         "container \"c\": image \"nginx\" uses the latest tag; pin a version "
         "tag or a digest",
         0},
        {CONFIG_WARN, 1, 1, "nginx:latest",
         "container \"c\": image \"nginx:latest\" uses the latest tag; pin a "
         "version tag or a digest",
         0},
        {CONFIG_WARN, 1, 1, "nginx:1.25", NULL, 0},
        {CONFIG_WARN, 1, 0, "Nginx:1",
         "container \"c\": image \"Nginx:1\" is not a valid image reference: "
         "invalid reference format: repository name (library/Nginx) must be "
         "lowercase",
         0},
        {CONFIG_OFF, 1, 0, "Nginx:1", NULL, 0},
        {CONFIG_DENY, 1, 0, "nginx:", NULL, 1},
    };
    struct config *cfg = config_new_default();
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char spec[512];
        json_t *ans, *resp, *w;

        cfg->invalid_refs = cases[i].invalid;
        cfg->warn_dated_tags = cases[i].dated;
        cfg->warn_latest = cases[i].latest;
        snprintf(spec, sizeof(spec),
                 "{\"containers\":[{\"name\":\"c\",\"image\":\"%s\"}]}",
                 cases[i].image);
        ans = validate_pod(cfg, NULL, spec, NULL);
        resp = json_object_get(ans, "response");
        w = json_object_get(resp, "warnings");
        if (cases[i].warning == NULL) {
            assert_null(w);
        } else {
            assert_int_equal(json_array_size(w), 1);
            assert_string_equal(json_string_value(json_array_get(w, 0)),
                                cases[i].warning);
        }
        assert_int_equal(json_is_false(json_object_get(resp, "allowed")),
                         cases[i].denied);
        json_decref(ans);
    }
    config_free(cfg);
}

/* The API server cuts warnings over 256 characters: we never send one. */
static void test_review_warnings_are_short(void **state)
{
    struct config *cfg = config_new_default();
    char name[300], spec[1024];
    json_t *ans, *w;
    size_t i;

    (void)state;
    cfg->cross_project = CONFIG_WARN;
    cfg->warn_latest = 1;
    memset(name, 'n', 250);
    name[250] = '\0';
    snprintf(spec, sizeof(spec),
             "{\"serviceAccountName\":\"%s\",\"containers\":[{\"name\":\"%s\","
             "\"image\":\"" REG "/project-b/%.150s\"}]}",
             name, name, name);
    ans = validate_pod(cfg, NULL, spec, NULL);
    w = json_object_get(json_object_get(ans, "response"), "warnings");
    assert_int_equal(json_array_size(w), 2);
    for (i = 0; i < json_array_size(w); i++) {
        const char *s = json_string_value(json_array_get(w, i));

        assert_true(strlen(s) <= 256);
        assert_string_equal(s + strlen(s) - 3, "...");
    }
    json_decref(ans);
    config_free(cfg);
}

/* Past REVIEW_ITEMS_MAX containers: validate denies, mutate warns. */
static void test_review_too_many_containers(void **state)
{
    struct config *cfg = config_new_default();
    json_t *list = json_array(), *spec, *obj, *rv, *ans, *resp;
    size_t i;
    char name[32];

    (void)state;
    for (i = 0; i <= REVIEW_ITEMS_MAX; i++) {
        snprintf(name, sizeof(name), "c%zu", i);
        json_array_append_new(
            list, json_pack("{s:s, s:s}", "name", name, "image", "nginx"));
    }
    spec = json_pack("{s:o}", "containers", list);
    obj = json_pack("{s:o}", "spec", spec);
    rv = mk_review("admission.k8s.io/v1", "", "v1", "Pod", "pods", NULL,
                   "CREATE", "a", obj, NULL);
    ans = answer_of(REVIEW_VALIDATE, rv, cfg, NULL);
    resp = json_object_get(ans, "response");
    assert_true(json_is_false(json_object_get(resp, "allowed")));
    assert_string_equal(
        json_string_value(
            json_object_get(json_object_get(resp, "status"), "message")),
        "Pod holds 1001 containers or image references, more than the 1000 "
        "this webhook reviews");
    json_decref(ans);
    ans = answer_of(REVIEW_MUTATE, rv, cfg, NULL);
    resp = json_object_get(ans, "response");
    assert_true(json_is_true(json_object_get(resp, "allowed")));
    assert_null(json_object_get(resp, "patch"));
    assert_int_equal(json_array_size(json_object_get(resp, "warnings")), 1);
    json_decref(ans);
    /* one fewer is reviewed as usual */
    json_array_remove(list, 0);
    ans = answer_of(REVIEW_MUTATE, rv, cfg, NULL);
    assert_int_equal(json_array_size(json_object_get(
                         json_object_get(ans, "response"), "patch")),
                     REVIEW_ITEMS_MAX);
    json_decref(ans);
    json_decref(rv);
    config_free(cfg);
}

/* A denial too long for the message cap is cut, and still denies. */
static void test_review_long_denial_is_cut_not_lost(void **state)
{
    struct config *cfg = config_new_default();
    json_t *list = json_array(), *obj, *rv, *ans, *resp;
    const char *msg;
    size_t i;
    char name[64], image[256];

    (void)state;
    for (i = 0; i < 400; i++) {
        snprintf(name, sizeof(name), "container-with-a-long-name-%zu", i);
        snprintf(image, sizeof(image), REG "/project-%zu/app:v1", i);
        json_array_append_new(
            list, json_pack("{s:s, s:s}", "name", name, "image", image));
    }
    obj = json_pack("{s:{s:o}}", "spec", "containers", list);
    rv = mk_review("admission.k8s.io/v1", "", "v1", "Pod", "pods", NULL,
                   "CREATE", "a", obj, NULL);
    ans = answer_of(REVIEW_VALIDATE, rv, cfg, NULL);
    resp = json_object_get(ans, "response");
    msg = json_string_value(
        json_object_get(json_object_get(resp, "status"), "message"));
    assert_true(json_is_false(json_object_get(resp, "allowed")));
    assert_non_null(msg);
    assert_true(strlen(msg) <= 65536);
    assert_true(strlen(msg) > 60000);
    json_decref(ans);
    json_decref(rv);
    config_free(cfg);
}

/*
 * A string may hold \u0000 (Go's encoder writes a NUL so): never a 400, and
 * never judged as the C string before the NUL ("nginx\u0000:latest" is not
 * nginx:latest; namespace "project-b\u0000" is not project-b).
 */
static void test_review_nul_in_strings(void **state)
{
#define NUL_REVIEW(ns, sa, name, image)                                        \
    "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","    \
    "\"request\":{\"uid\":\"u\",\"kind\":{\"group\":\"\",\"version\":\"v1\","  \
    "\"kind\":\"Pod\"},\"resource\":{\"resource\":\"pods\"},\"namespace\":"    \
    "\"" ns "\",\"operation\":\"CREATE\",\"object\":{\"spec\":{"               \
    "\"serviceAccountName\":\"" sa "\",\"containers\":[{\"name\":\"" name      \
    "\",\"image\":\"" image "\"}]}}}}"
#define CROSS REG "/project-b/app:v1"
    static const struct {
        const char *what, *text;
        const char *patch;   /* the mutate patch, NULL: none */
        int denied;          /* on validate */
        const char *warning; /* the one warning on validate, NULL: none */
    } cases[] = {
        {"in an image: not nginx:latest",
         NUL_REVIEW("project-a", "default", "app", "nginx\\u0000:latest"),
         "[{\"op\":\"add\",\"path\":\"/spec/containers/0/imagePullPolicy\","
         "\"value\":\"IfNotPresent\"}]",
         0,
         "container \"app\": image \"nginx\\u0000:latest\" is not a valid "
         "image reference: invalid reference format"},
        {"at the end of an image",
         NUL_REVIEW("project-a", "default", "app", "nginx\\u0000"),
         "[{\"op\":\"add\",\"path\":\"/spec/containers/0/imagePullPolicy\","
         "\"value\":\"IfNotPresent\"}]",
         0,
         "container \"app\": image \"nginx\\u0000\" is not a valid image "
         "reference: invalid reference format"},
        {"in a cross-project image's project",
         NUL_REVIEW("project-a", "default", "app",
                    REG "/project-b\\u0000/app:v1"),
         "[{\"op\":\"add\",\"path\":\"/spec/containers/0/imagePullPolicy\","
         "\"value\":\"IfNotPresent\"}]",
         0,
         "container \"app\": image \"" REG "/project-b\\u0000/app:v1\" is not "
         "a valid image reference: invalid reference format"},
        {"in the namespace: project-b's image is another project's",
         NUL_REVIEW("project-b\\u0000", "default", "app", CROSS),
         "[{\"op\":\"add\",\"path\":\"/spec/containers/0/imagePullPolicy\","
         "\"value\":\"IfNotPresent\"}]",
         1, NULL},
        {"in the namespace, an image of project-a",
         NUL_REVIEW("project-a\\u0000x", "default", "app",
                    REG "/project-a/app:v1"),
         "[{\"op\":\"add\",\"path\":\"/spec/containers/0/imagePullPolicy\","
         "\"value\":\"IfNotPresent\"}]",
         1, NULL},
        {"in the service account: not default, which is granted",
         NUL_REVIEW("project-a", "default\\u0000x", "app", CROSS),
         "[{\"op\":\"add\",\"path\":\"/spec/containers/0/imagePullPolicy\","
         "\"value\":\"IfNotPresent\"}]",
         1, NULL},
        {"the same without the NUL: granted",
         NUL_REVIEW("project-a", "default", "app", CROSS),
         "[{\"op\":\"add\",\"path\":\"/spec/containers/0/imagePullPolicy\","
         "\"value\":\"IfNotPresent\"}]",
         0, NULL},
        {"in a container name: named whole in the message",
         NUL_REVIEW("project-a", "ci", "app\\u0000x", CROSS),
         "[{\"op\":\"add\",\"path\":\"/spec/containers/0/imagePullPolicy\","
         "\"value\":\"IfNotPresent\"}]",
         1, NULL},
    };
    static const char puller[] =
        "{\"kind\":\"RoleBinding\",\"apiVersion\":"
        "\"rbac.authorization.k8s.io/v1\",\"metadata\":{\"name\":\"p\","
        "\"namespace\":\"project-b\"},\"roleRef\":{\"kind\":\"ClusterRole\","
        "\"name\":\"system:image-puller\"},\"subjects\":[{\"kind\":"
        "\"ServiceAccount\",\"name\":\"default\",\"namespace\":\"project-a\"}]"
        "}";
    struct config *cfg = config_new_default();
    struct rbac *rb = rbac_new(&test_key);
    json_t *b = json_loads(puller, 0, NULL);
    struct err err = {{0}};
    size_t i;

    (void)state;
    assert_non_null(cfg);
    assert_non_null(b);
    assert_int_equal(rbac_put(rb, b, &err), 0);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *rv = review_parse(cases[i].text, strlen(cases[i].text), &err);
        json_t *mut, *val, *resp, *w;
        const char *msg;

        if (rv == NULL)
            fail_msg("%s: %s", cases[i].what, err.msg);
        mut = answer_of(REVIEW_MUTATE, rv, cfg, rb);
        assert_patch(mut, cases[i].patch);
        val = answer_of(REVIEW_VALIDATE, rv, cfg, rb);
        resp = json_object_get(val, "response");
        msg = json_string_value(
            json_object_get(json_object_get(resp, "status"), "message"));
        if (json_is_false(json_object_get(resp, "allowed")) != cases[i].denied)
            fail_msg("%s: want denied=%d, got %s", cases[i].what,
                     cases[i].denied, msg ? msg : "allowed");
        w = json_object_get(resp, "warnings");
        if (cases[i].warning == NULL
                ? w != NULL
                : json_array_size(w) != 1 ||
                      strcmp(json_string_value(json_array_get(w, 0)),
                             cases[i].warning) != 0)
            fail_msg("%s: warning %s", cases[i].what,
                     w ? json_string_value(json_array_get(w, 0)) : "(none)");
        json_decref(mut);
        json_decref(val);
        json_decref(rv);
    }
    /* The name and the service account are quoted with the NUL shown. */
    {
        const char *t =
            NUL_REVIEW("project-a", "ci\\u0000", "app\\u0000x", CROSS);
        json_t *rv = review_parse(t, strlen(t), &err);
        json_t *val = answer_of(REVIEW_VALIDATE, rv, cfg, rb);
        const char *msg = json_string_value(json_object_get(
            json_object_get(json_object_get(val, "response"), "status"),
            "message"));

        assert_non_null(msg);
        assert_non_null(strstr(msg, "container \"app\\u0000x\" uses"));
        assert_non_null(strstr(msg, "service account \"ci\\u0000\""));
        json_decref(val);
        json_decref(rv);
    }
    json_decref(b);
    rbac_free(rb);
    config_free(cfg);
#undef CROSS
#undef NUL_REVIEW
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_review_rejects_what_is_not_an_admissionreview),
        cmocka_unit_test(test_review_parse_errors),
        cmocka_unit_test(test_review_envelope_versions),
        cmocka_unit_test(test_review_every_kind_and_list),
        cmocka_unit_test(test_review_pull_policy_modes),
        cmocka_unit_test(test_review_update_touches_only_changed_containers),
        cmocka_unit_test(test_review_pod_update_never_patches),
        cmocka_unit_test(test_review_ephemeral_containers_subresource),
        cmocka_unit_test(test_review_leaves_others_alone),
        cmocka_unit_test(test_review_exempt_namespaces),
        cmocka_unit_test(test_review_cross_project_denied_without_source),
        cmocka_unit_test(test_review_cross_project_registry_matching),
        cmocka_unit_test(test_review_cross_project_granted_by_binding),
        cmocka_unit_test(test_review_cross_project_warn_and_off),
        cmocka_unit_test(test_review_update_checks_only_new_images),
        cmocka_unit_test(test_review_warnings),
        cmocka_unit_test(test_review_warnings_are_short),
        cmocka_unit_test(test_review_too_many_containers),
        cmocka_unit_test(test_review_long_denial_is_cut_not_lost),
        cmocka_unit_test(test_review_nul_in_strings),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
