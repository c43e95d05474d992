/* test_openshift.c - BuildConfigs, DeploymentConfig triggers, ImageStream
 * tags and pull secrets on /validate, through the review function. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "openshift.h"
#include "review.h"

/* A fixed key for the index: the process draws a random one. */
static const struct siphash_key test_key = {0x0123456789abcdefULL,
                                            0xfedcba9876543210ULL};

#define REG "image-registry.openshift-image-registry.svc:5000"
#define SHA "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* One case: an object of kind in project-a, its expected outcome. */
struct os_case {
    const char *name;
    const char *group, *kind;
    const char *config;   /* JSON or NULL */
    const char *bindings; /* JSON or NULL */
    const char *object;   /* JSON */
    const char *old;      /* JSON or NULL: UPDATE */
    int denied;
    const char *message; /* the whole denial message, or NULL */
    const char *warning; /* the one warning expected, or NULL: none */
};

static void os_run(const struct os_case *c)
{
    json_t *obj = json_loads(c->object, 0, NULL);
    json_t *old = c->old ? json_loads(c->old, 0, NULL) : json_null();
    json_t *cfg_json = c->config ? json_loads(c->config, 0, NULL) : NULL;
    json_t *rb_json = c->bindings ? json_loads(c->bindings, 0, NULL) : NULL;
    struct config *cfg;
    struct rbac *rb = NULL;
    json_t *rv, *ans, *resp, *w;
    const char *msg;
    struct err err = {{0}};

    if (obj == NULL || old == NULL || (c->config && !cfg_json) ||
        (c->bindings && !rb_json))
        fail_msg("%s: bad JSON in the case", c->name);
    cfg = cfg_json ? config_from_json(cfg_json, &err) : config_new_default();
    if (cfg == NULL)
        fail_msg("%s: config: %s", c->name, err.msg);
    if (rb_json != NULL) {
        rb = rbac_new(&test_key);
        if (rbac_put(rb, rb_json, &err) != 0)
            fail_msg("%s: bindings: %s", c->name, err.msg);
    }
    rv = json_pack("{s:s, s:s, s:{s:s, s:{s:s, s:s, s:s}, s:s, s:s, s:o, "
                   "s:o}}",
                   "apiVersion", "admission.k8s.io/v1", "kind",
                   "AdmissionReview", "request", "uid", "u", "kind", "group",
                   c->group, "version", "v1", "kind", c->kind, "namespace",
                   "project-a", "operation", c->old ? "UPDATE" : "CREATE",
                   "object", obj, "oldObject", old);
    ans = review_answer(REVIEW_VALIDATE, rv, cfg, rb, &err);
    if (ans == NULL)
        fail_msg("%s: %s", c->name, err.msg);
    resp = json_object_get(ans, "response");
    msg = json_string_value(
        json_object_get(json_object_get(resp, "status"), "message"));
    if (json_is_false(json_object_get(resp, "allowed")) != c->denied)
        fail_msg("%s: want denied=%d, message %s", c->name, c->denied,
                 msg ? msg : "(none)");
    if (c->message != NULL && (msg == NULL || strcmp(msg, c->message) != 0))
        fail_msg("%s: message\n  want %s\n  got  %s", c->name, c->message,
                 msg ? msg : "(none)");
    w = json_object_get(resp, "warnings");
    if (c->warning == NULL && w != NULL)
        fail_msg("%s: unexpected warning %s", c->name,
                 json_string_value(json_array_get(w, 0)));
    if (c->warning != NULL &&
        (json_array_size(w) != 1 ||
         strcmp(json_string_value(json_array_get(w, 0)), c->warning) != 0))
        fail_msg("%s: warning\n  want %s\n  got  %s", c->name, c->warning,
                 w ? json_string_value(json_array_get(w, 0)) : "(none)");
    json_decref(ans);
    json_decref(rv);
    json_decref(cfg_json);
    json_decref(rb_json);
    config_free(cfg);
    rbac_free(rb);
}

static void os_run_all(const struct os_case *cases, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        os_run(&cases[i]);
}

#define PULLER_BUILDER                                                         \
    "{\"kind\":\"RoleBinding\",\"apiVersion\":"                                \
    "\"rbac.authorization.k8s.io/v1\",\"metadata\":{\"name\":\"p\","           \
    "\"namespace\":\"project-b\"},\"roleRef\":{\"kind\":\"ClusterRole\","      \
    "\"name\":\"system:image-puller\"},\"subjects\":[{\"kind\":"               \
    "\"ServiceAccount\",\"name\":\"builder\",\"namespace\":\"project-a\"}]}"

#define BC(strategy_from, images)                                              \
    "{\"metadata\":{\"name\":\"bc\"},\"spec\":{\"strategy\":{\"type\":"        \
    "\"Source\",\"sourceStrategy\":{\"from\":" strategy_from "}},"             \
    "\"source\":{\"images\":" images "}}}"

#define IST(ns, name)                                                          \
    "{\"kind\":\"ImageStreamTag\",\"namespace\":\"" ns "\",\"name\":\"" name   \
    "\"}"

static void test_openshift_buildconfig(void **state)
{
    static const struct os_case cases[] = {
        {"strategy from another project, no bindings", "build.openshift.io",
         "BuildConfig", NULL, NULL, BC(IST("project-b", "ruby:3.1"), "[]"),
         NULL, 1,
         "BuildConfig spec.strategy.sourceStrategy.from uses ImageStreamTag "
         "\"project-b/ruby:3.1\" from project \"project-b\", but service "
         "account \"builder\" of project \"project-a\" may not pull from it "
         "(no RBAC grant of get on imagestreams/layers there); fix: oc "
         "policy add-role-to-user system:image-puller "
         "system:serviceaccount:project-a:builder --namespace=project-b",
         NULL},
        {"strategy from another project, builder granted", "build.openshift.io",
         "BuildConfig", NULL, PULLER_BUILDER,
         BC(IST("project-b", "ruby:3.1"), "[]"), NULL, 0, NULL, NULL},
        {"spec.serviceAccount replaces builder", "build.openshift.io",
         "BuildConfig", NULL, PULLER_BUILDER,
         "{\"spec\":{\"serviceAccount\":\"deployer\",\"strategy\":{"
         "\"dockerStrategy\":{\"from\":" IST("project-b", "ruby:3.1") "}}}}",
         NULL, 1, NULL, NULL},
        {"same project", "build.openshift.io", "BuildConfig", NULL, NULL,
         BC(IST("project-a", "ruby:3.1"), "[]"), NULL, 0, NULL, NULL},
        {"no namespace means the BuildConfig's", "build.openshift.io",
         "BuildConfig", NULL, NULL,
         BC("{\"kind\":\"ImageStreamTag\",\"name\":\"ruby:3.1\"}", "[]"), NULL,
         0, NULL, NULL},
        {"ImageStreamImage of another project", "build.openshift.io",
         "BuildConfig", NULL, NULL,
         BC("{\"kind\":\"ImageStreamImage\",\"namespace\":\"project-c\","
            "\"name\":\"ruby@sha256:abc\"}",
            "[]"),
         NULL, 1,
         "BuildConfig spec.strategy.sourceStrategy.from uses "
         "ImageStreamImage \"project-c/ruby@sha256:abc\" from project "
         "\"project-c\", but service account \"builder\" of project "
         "\"project-a\" may not pull from it (no RBAC grant of get on "
         "imagestreams/layers there); fix: oc policy add-role-to-user "
         "system:image-puller system:serviceaccount:project-a:builder "
         "--namespace=project-c",
         NULL},
        {"DockerImage from the integrated registry", "build.openshift.io",
         "BuildConfig", NULL, NULL,
         BC("{\"kind\":\"DockerImage\",\"name\":\"" REG "/project-b/ruby\"}",
            "[]"),
         NULL, 1, NULL, NULL},
        {"DockerImage elsewhere", "build.openshift.io", "BuildConfig", NULL,
         NULL,
         BC("{\"kind\":\"DockerImage\",\"name\":\"quay.io/org/ruby:3\"}", "[]"),
         NULL, 0, NULL, NULL},
        {"DockerImage that does not parse", "build.openshift.io", "BuildConfig",
         NULL, NULL,
         BC("{\"kind\":\"DockerImage\",\"name\":\"Quay.io/Org/ruby\"}", "[]"),
         NULL, 0, NULL,
         "BuildConfig spec.strategy.sourceStrategy.from: image "
         "\"Quay.io/Org/ruby\" is not a valid image reference: invalid "
         "reference format: repository name (Org/ruby) must be lowercase"},
        {"image source from another project", "build.openshift.io",
         "BuildConfig", NULL, NULL,
         BC(IST("project-a", "ruby:3.1"),
            "[{\"from\":" IST("project-d", "assets:v1") ",\"paths\":[]}]"),
         NULL, 1,
         "BuildConfig spec.source.images[0].from uses ImageStreamTag "
         "\"project-d/assets:v1\" from project \"project-d\", but service "
         "account \"builder\" of project \"project-a\" may not pull from it "
         "(no RBAC grant of get on imagestreams/layers there); fix: oc "
         "policy add-role-to-user system:image-puller "
         "system:serviceaccount:project-a:builder --namespace=project-d",
         NULL},
        {"dated ImageStreamTag", "build.openshift.io", "BuildConfig", NULL,
         NULL, BC(IST("project-a", "ruby:2019-05-01"), "[]"), NULL, 0, NULL,
         "BuildConfig spec.strategy.sourceStrategy.from: tag \"2019-05-01\" "
         "embeds a date: it names one revision forever and default image "
         "pruning never removes it"},
        {"UPDATE keeping the reference", "build.openshift.io", "BuildConfig",
         NULL, NULL, BC(IST("project-b", "ruby:3.1"), "[]"),
         BC(IST("project-b", "ruby:3.1"), "[]"), 0, NULL, NULL},
        {"UPDATE moving the reference", "build.openshift.io", "BuildConfig",
         NULL, NULL,
         "{\"spec\":{\"strategy\":{\"dockerStrategy\":{\"from\":" IST(
             "project-b", "ruby:3.1") "}}}}",
         BC(IST("project-b", "ruby:3.1"), "[]"), 0, NULL, NULL},
        {"UPDATE to a new tag", "build.openshift.io", "BuildConfig", NULL, NULL,
         BC(IST("project-b", "ruby:3.2"), "[]"),
         BC(IST("project-b", "ruby:3.1"), "[]"), 1, NULL, NULL},
        {"other group is not a BuildConfig", "example.com", "BuildConfig", NULL,
         NULL, BC(IST("project-b", "ruby:3.1"), "[]"), NULL, 0, NULL, NULL},
    };

    (void)state;
    os_run_all(cases, sizeof(cases) / sizeof(cases[0]));
}

#define DC(sa, image, trigger_ns)                                              \
    "{\"spec\":{\"template\":{\"spec\":{\"serviceAccountName\":\"" sa          \
    "\",\"containers\":[{\"name\":\"app\",\"image\":\"" image "\"}]}},"        \
    "\"triggers\":[{\"type\":\"ConfigChange\"},{\"type\":\"ImageChange\","     \
    "\"imageChangeParams\":{\"automatic\":true,\"containerNames\":[\"app\"],"  \
    "\"from\":" IST(trigger_ns, "app:v1") "}}]}}"

static void test_openshift_deploymentconfig(void **state)
{
    static const struct os_case cases[] = {
        {"trigger from another project", "apps.openshift.io",
         "DeploymentConfig", NULL, NULL, DC("default", " ", "project-b"), NULL,
         1,
         "DeploymentConfig spec.triggers[1] uses ImageStreamTag "
         "\"project-b/app:v1\" from project \"project-b\", but service "
         "account \"default\" of project \"project-a\" may not pull from it "
         "(no RBAC grant of get on imagestreams/layers there); fix: oc "
         "policy add-role-to-user system:image-puller "
         "system:serviceaccount:project-a:default --namespace=project-b",
         NULL},
        {"trigger for the template's service account", "apps.openshift.io",
         "DeploymentConfig", NULL, PULLER_BUILDER,
         DC("builder", "", "project-b"), NULL, 0, NULL, NULL},
        {"trigger in the same project, placeholder image", "apps.openshift.io",
         "DeploymentConfig", NULL, NULL, DC("default", "", "project-a"), NULL,
         0, NULL, NULL},
        {"blank image not named by a trigger is invalid", "apps.openshift.io",
         "DeploymentConfig", NULL, NULL,
         "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":"
         "\"side\",\"image\":\"\"}]}},\"triggers\":[]}}",
         NULL, 0, NULL,
         "container \"side\": image \"\" is not a valid image reference: "
         "invalid reference format"},
        {"UPDATE keeping the trigger", "apps.openshift.io", "DeploymentConfig",
         NULL, NULL, DC("default", "", "project-b"),
         DC("default", "", "project-b"), 0, NULL, NULL},
    };

    (void)state;
    os_run_all(cases, sizeof(cases) / sizeof(cases[0]));
}

/* A RoleBinding in project-b of system:image-puller to project-a's sa. */
static void puller_for(char *buf, size_t n, const char *sa)
{
    snprintf(buf, n,
             "{\"kind\":\"RoleBinding\",\"apiVersion\":"
             "\"rbac.authorization.k8s.io/v1\",\"metadata\":{\"name\":\"p\","
             "\"namespace\":\"project-b\"},\"roleRef\":{\"kind\":"
             "\"ClusterRole\",\"name\":\"system:image-puller\"},\"subjects\":"
             "[{\"kind\":\"ServiceAccount\",\"name\":\"%s\",\"namespace\":"
             "\"project-a\"}]}",
             sa);
}

/* tmpl with every "%s" replaced by ref, into out (n bytes). */
static void fill(char *out, size_t n, const char *tmpl, const char *ref)
{
    size_t o = 0, r = strlen(ref);

    for (; *tmpl != '\0'; tmpl++) {
        if (tmpl[0] == '%' && tmpl[1] == 's') {
            assert_true(o + r < n);
            memcpy(out + o, ref, r);
            o += r;
            tmpl++;
            continue;
        }
        assert_true(o + 1 < n);
        out[o++] = *tmpl;
    }
    out[o] = '\0';
}

/* One field that holds a reference: the object with %s where it goes. */
struct field_case {
    const char *group, *kind;
    const char *object; /* printf format, one %s: the reference */
    int object_ref;     /* the reference is {kind, namespace, name} */
    const char *sa;     /* who pulls */
};

#define PODSPEC(list, sa)                                                      \
    "{\"serviceAccountName\":\"" sa "\",\"" list "\":[{\"name\":\"app\","      \
    "\"image\":\"%s\"}]}"
#define TEMPLATE(list)                                                         \
    "{\"spec\":{\"template\":{\"spec\":" PODSPEC(list, "ci") "}}}"
#define ANNOTATED(kind_path_open, kind_path_close, path)                       \
    "{\"metadata\":{\"annotations\":{\"image.openshift.io/triggers\":"         \
    "\"[{\\\"from\\\":%s,\\\"fieldPath\\\":\\\"" path                          \
    ".containers[?(@.name==\\\\\\\"app\\\\\\\")].image\\\"}]\"}},"             \
    "\"spec\":" kind_path_open                                                 \
    "{\"serviceAccountName\":\"ci\",\"containers\":"                           \
    "[{\"name\":\"app\",\"image\":\" \"}]}" kind_path_close "}"

/*
 * Every kind and field that holds a reference: a cross-project reference is
 * denied without a grant, and allowed with one for the account that pulls.
 */
static void test_openshift_every_reference_field(void **state)
{
    static const struct field_case fields[] = {
        {"", "Pod", "{\"spec\":" PODSPEC("containers", "ci") "}", 0, "ci"},
        {"", "Pod", "{\"spec\":" PODSPEC("initContainers", "ci") "}", 0, "ci"},
        {"", "Pod", "{\"spec\":" PODSPEC("ephemeralContainers", "ci") "}", 0,
         "ci"},
        {"", "Pod",
         "{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":"
         "\"%s\"}]}}",
         0, "default"},
        {"", "PodTemplate",
         "{\"template\":{\"spec\":" PODSPEC("containers", "ci") "}}", 0, "ci"},
        {"", "ReplicationController", TEMPLATE("containers"), 0, "ci"},
        {"apps", "ReplicaSet", TEMPLATE("containers"), 0, "ci"},
        {"apps", "Deployment", TEMPLATE("initContainers"), 0, "ci"},
        {"apps", "StatefulSet", TEMPLATE("containers"), 0, "ci"},
        {"apps", "DaemonSet", TEMPLATE("containers"), 0, "ci"},
        {"batch", "Job", TEMPLATE("containers"), 0, "ci"},
        {"batch", "CronJob",
         "{\"spec\":{\"jobTemplate\":{\"spec\":{\"template\":{"
         "\"spec\":" PODSPEC("containers", "ci") "}}}}}",
         0, "ci"},
        {"apps.openshift.io", "DeploymentConfig", TEMPLATE("containers"), 0,
         "ci"},
        {"apps.openshift.io", "DeploymentConfig",
         "{\"spec\":{\"template\":{\"spec\":{\"serviceAccountName\":\"ci\","
         "\"containers\":[{\"name\":\"app\",\"image\":\" \"}]}},\"triggers\":"
         "[{\"type\":\"ImageChange\",\"imageChangeParams\":{"
         "\"containerNames\":[\"app\"],\"from\":%s}}]}}",
         1, "ci"},
        {"build.openshift.io", "BuildConfig",
         "{\"spec\":{\"strategy\":{\"sourceStrategy\":{\"from\":%s}}}}", 1,
         "builder"},
        {"build.openshift.io", "BuildConfig",
         "{\"spec\":{\"serviceAccount\":\"ci\",\"strategy\":{"
         "\"dockerStrategy\":{\"from\":%s}}}}",
         1, "ci"},
        {"build.openshift.io", "BuildConfig",
         "{\"spec\":{\"strategy\":{\"customStrategy\":{\"from\":%s}}}}", 1,
         "builder"},
        {"build.openshift.io", "BuildConfig",
         "{\"spec\":{\"source\":{\"images\":[{\"from\":%s}]}}}", 1, "builder"},
        {"build.openshift.io", "Build",
         "{\"spec\":{\"strategy\":{\"sourceStrategy\":{\"from\":%s}}}}", 1,
         "builder"},
        {"build.openshift.io", "Build",
         "{\"spec\":{\"serviceAccount\":\"ci\",\"strategy\":{"
         "\"dockerStrategy\":{\"from\":%s}}}}",
         1, "ci"},
        {"build.openshift.io", "Build",
         "{\"spec\":{\"strategy\":{\"customStrategy\":{\"from\":%s}}}}", 1,
         "builder"},
        {"build.openshift.io", "Build",
         "{\"spec\":{\"source\":{\"images\":[{\"from\":%s},{\"from\":%s}]}}}",
         1, "builder"},
        {"apps", "Deployment",
         ANNOTATED("{\"template\":{\"spec\":", "}}", "spec.template.spec"), 2,
         "ci"},
        {"apps", "StatefulSet",
         ANNOTATED("{\"template\":{\"spec\":", "}}", "spec.template.spec"), 2,
         "ci"},
        {"apps", "DaemonSet",
         ANNOTATED("{\"template\":{\"spec\":", "}}", "spec.template.spec"), 2,
         "ci"},
        {"batch", "Job",
         ANNOTATED("{\"template\":{\"spec\":", "}}", "spec.template.spec"), 2,
         "ci"},
        {"batch", "CronJob",
         ANNOTATED("{\"jobTemplate\":{\"spec\":{\"template\":{\"spec\":",
                   "}}}}", "spec.jobTemplate.spec.template.spec"),
         2, "ci"},
    };
    /* Object references as a field holds them; in an annotation escaped. */
    static const char *const refs[] = {
        "{\"kind\":\"ImageStreamTag\",\"namespace\":\"project-b\",\"name\":"
        "\"app:v1\"}",
        "{\"kind\":\"ImageStreamImage\",\"namespace\":\"project-b\","
        "\"name\":\"app@sha256:" SHA "\"}",
        "{\"kind\":\"DockerImage\",\"name\":\"" REG "/project-b/app:v1\"}",
    };
    static const char annotation_ref[] =
        "{\\\"kind\\\":\\\"ImageStreamTag\\\",\\\"namespace\\\":"
        "\\\"project-b\\\",\\\"name\\\":\\\"app:v1\\\"}";
    char object[2048], bindings[512];
    size_t f, r;

    (void)state;
    for (f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
        const struct field_case *fc = &fields[f];
        size_t n_refs = fc->object_ref == 1 ? 3 : 1;

        puller_for(bindings, sizeof(bindings), fc->sa);
        for (r = 0; r < n_refs; r++) {
            const char *ref = fc->object_ref == 0   ? REG "/project-b/app:v1"
                              : fc->object_ref == 2 ? annotation_ref
                                                    : refs[r];
            struct os_case c = {fc->kind, fc->group, fc->kind, NULL, NULL,
                                object,   NULL,      1,        NULL, NULL};

            fill(object, sizeof(object), fc->object, ref);
            os_run(&c); /* no grant: denied */
            c.bindings = bindings;
            c.denied = 0;
            os_run(&c); /* granted to the account that pulls */
        }
    }
}

/*
 * UPDATE keeps (service account, reference) pairs: the same reference under
 * another service account is judged again, for the new account.
 */
static void test_openshift_service_account_swap(void **state)
{
#define DEPLOY(sa)                                                             \
    "{\"spec\":{\"template\":{\"spec\":{\"serviceAccountName\":\"" sa          \
    "\",\"containers\":[{\"name\":\"app\",\"image\":\"" REG                    \
    "/project-b/app:v1\"}]}}}}"
#define BUILD(sa)                                                              \
    "{\"spec\":{\"serviceAccount\":\"" sa "\",\"strategy\":{"                  \
    "\"sourceStrategy\":{\"from\":" IST("project-b", "ruby:3.1") "}}}}"
#define DCONF(sa)                                                              \
    "{\"spec\":{\"template\":{\"spec\":{\"serviceAccountName\":\"" sa          \
    "\",\"containers\":[{\"name\":\"app\",\"image\":\"\"}]}},\"triggers\":"    \
    "[{\"type\":\"ImageChange\",\"imageChangeParams\":{\"containerNames\":"    \
    "[\"app\"],\"from\":" IST("project-b", "app:v1") "}}]}}"
#define ANNOT(sa)                                                              \
    "{\"metadata\":{\"annotations\":{\"image.openshift.io/triggers\":"         \
    "\"[{\\\"from\\\":{\\\"kind\\\":\\\"ImageStreamTag\\\",\\\"namespace\\\":" \
    "\\\"project-b\\\",\\\"name\\\":\\\"app:v1\\\"},\\\"fieldPath\\\":"        \
    "\\\"spec.template.spec.containers[0].image\\\"}]\"}},\"spec\":{"          \
    "\"template\":{\"spec\":{\"serviceAccountName\":\"" sa "\","               \
    "\"containers\":[{\"name\":\"app\",\"image\":\"\"}]}}}}"
#define CI_PULLER                                                              \
    "{\"kind\":\"RoleBinding\",\"apiVersion\":"                                \
    "\"rbac.authorization.k8s.io/v1\",\"metadata\":{\"name\":\"p\","           \
    "\"namespace\":\"project-b\"},\"roleRef\":{\"kind\":\"ClusterRole\","      \
    "\"name\":\"system:image-puller\"},\"subjects\":[{\"kind\":"               \
    "\"ServiceAccount\",\"name\":\"ci\",\"namespace\":\"project-a\"}]}"
    static const struct {
        const char *group, *kind, *ci, *other, *message;
    } kinds[] = {
        {"apps", "Deployment", DEPLOY("ci"), DEPLOY("other"),
         "container \"app\" uses image \"" REG "/project-b/app:v1\" from "
         "project \"project-b\", but service account \"other\" of project "
         "\"project-a\" may not pull from it (no RBAC grant of get on "
         "imagestreams/layers there); fix: oc policy add-role-to-user "
         "system:image-puller system:serviceaccount:project-a:other "
         "--namespace=project-b"},
        {"build.openshift.io", "BuildConfig", BUILD("ci"), BUILD("other"),
         NULL},
        {"build.openshift.io", "Build", BUILD("ci"), BUILD("other"), NULL},
        {"apps.openshift.io", "DeploymentConfig", DCONF("ci"), DCONF("other"),
         "DeploymentConfig spec.triggers[0] uses ImageStreamTag "
         "\"project-b/app:v1\" from project \"project-b\", but service "
         "account \"other\" of project \"project-a\" may not pull from it "
         "(no RBAC grant of get on imagestreams/layers there); fix: oc "
         "policy add-role-to-user system:image-puller "
         "system:serviceaccount:project-a:other --namespace=project-b"},
        {"apps", "Deployment", ANNOT("ci"), ANNOT("other"),
         "Deployment image.openshift.io/triggers[0] uses ImageStreamTag "
         "\"project-b/app:v1\" from project \"project-b\", but service "
         "account \"other\" of project \"project-a\" may not pull from it "
         "(no RBAC grant of get on imagestreams/layers there); fix: oc "
         "policy add-role-to-user system:image-puller "
         "system:serviceaccount:project-a:other --namespace=project-b"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        /* ci may pull; other may not. */
        struct os_case c = {kinds[i].kind,    kinds[i].group,
                            kinds[i].kind,    NULL,
                            CI_PULLER,        kinds[i].other,
                            kinds[i].ci,      1,
                            kinds[i].message, NULL};

        os_run(&c); /* ci -> other, same reference: judged for other */
        c.object = kinds[i].ci;
        c.old = kinds[i].other;
        c.denied = 0;
        c.message = NULL;
        os_run(&c); /* other -> ci: judged, ci may pull */
        c.bindings = NULL;
        c.object = c.old = kinds[i].other;
        os_run(&c); /* same account, same reference: not judged again */
    }
#undef DEPLOY
#undef BUILD
#undef DCONF
#undef ANNOT
#undef CI_PULLER
}

#define TRIGGERS_APP(list, app_image)                                          \
    "{\"metadata\":{\"annotations\":{\"image.openshift.io/triggers\":" list    \
    "}},\"spec\":{\"template\":{\"spec\":{\"initContainers\":[{\"name\":"      \
    "\"init\",\"image\":\"busybox:1.36\"}],\"containers\":[{\"name\":\"app\"," \
    "\"image\":\"" app_image "\"},{\"name\":\"side\",\"image\":\" \"}]}}}}"
/* app and side are placeholders; with NAMED app has an image of its own. */
#define TRIGGERS(list) TRIGGERS_APP(list, "")
#define NAMED(list)    TRIGGERS_APP(list, "nginx:1.25")
#define ENTRY(kind, ns, name, path)                                            \
    "{\\\"from\\\":{\\\"kind\\\":\\\"" kind "\\\",\\\"namespace\\\":\\\"" ns   \
    "\\\",\\\"name\\\":\\\"" name "\\\"},\\\"fieldPath\\\":\\\"" path "\\\"}"
#define APP_PATH                                                               \
    "spec.template.spec.containers[?(@.name==\\\\\\\"app\\\\\\\")].image"
#define SIDE_PATH "spec.template.spec.containers[1].image"
#define WARN_ENTRY(i, why)                                                     \
    "Deployment annotation image.openshift.io/triggers[" #i "]: " why          \
    ": OpenShift's trigger controller will not follow it"

static void test_openshift_trigger_annotation(void **state)
{
    static const struct os_case cases[] = {
        {"same project, both placeholders named", "apps", "Deployment", NULL,
         NULL,
         TRIGGERS("\"[" ENTRY("ImageStreamTag", "project-a", "app:v1",
                              APP_PATH) "," ENTRY("ImageStreamTag", "",
                                                  "side:v1", SIDE_PATH) "]\""),
         NULL, 0, NULL, NULL},
        {"cross-project", "apps", "Deployment", NULL, NULL,
         TRIGGERS("\"[" ENTRY("ImageStreamTag", "project-b", "app:v1",
                              APP_PATH) "," ENTRY("ImageStreamTag", "",
                                                  "side:v1", SIDE_PATH) "]\""),
         NULL, 1,
         "Deployment image.openshift.io/triggers[0] uses "
         "ImageStreamTag "
         "\"project-b/app:v1\" from project \"project-b\", but "
         "service "
         "account \"default\" of project \"project-a\" may not "
         "pull from it "
         "(no RBAC grant of get on imagestreams/layers there); "
         "fix: oc "
         "policy add-role-to-user system:image-puller "
         "system:serviceaccount:project-a:default "
         "--namespace=project-b",
         NULL},
        {"a placeholder no trigger names is an invalid reference", "apps",
         "Deployment", NULL, NULL,
         TRIGGERS("\"[" ENTRY("ImageStreamTag", "project-a", "app:v1",
                              APP_PATH) "]\""),
         NULL, 0, NULL,
         "container \"side\": image \" \" is not a valid image "
         "reference: "
         "invalid reference format"},
        {"not JSON", "apps", "Deployment", NULL, NULL,
         "{\"metadata\":{\"annotations\":{\"image.openshift.io/"
         "triggers\":"
         "\"[{\"}},\"spec\":{\"template\":{\"spec\":{"
         "\"containers\":[{"
         "\"name\":\"app\",\"image\":\"nginx:1.25\"}]}}}}",
         NULL, 0, NULL,
         "Deployment annotation image.openshift.io/triggers is not "
         "JSON "
         "(string or '}' expected near end of file): OpenShift's "
         "trigger "
         "controller ignores it"},
        {"not a list", "apps", "Deployment", NULL, NULL,
         "{\"metadata\":{\"annotations\":{\"image.openshift.io/"
         "triggers\":"
         "\"{}\"}},\"spec\":{\"template\":{\"spec\":{"
         "\"containers\":[{"
         "\"name\":\"app\",\"image\":\"nginx:1.25\"}]}}}}",
         NULL, 0, NULL,
         "Deployment annotation image.openshift.io/triggers is not "
         "a JSON "
         "list: OpenShift's trigger controller ignores it"},
        {"an entry that is not an object", "apps", "Deployment", NULL, NULL,
         TRIGGERS(
             "\"[1," ENTRY("ImageStreamTag", "", "app:v1", APP_PATH) "," ENTRY(
                 "ImageStreamTag", "", "side:v1", SIDE_PATH) "]\""),
         NULL, 0, NULL, WARN_ENTRY(0, "is not an object")},
        {"an unknown kind", "apps", "Deployment", NULL, NULL,
         NAMED("\"[" ENTRY("DockerImage", "", REG "/project-b/app:v1",
                           APP_PATH) "," ENTRY("ImageStreamTag", "", "side:v1",
                                               SIDE_PATH) "]\""),
         NULL, 0, NULL,
         WARN_ENTRY(0, "from.kind \"DockerImage\" is not followed "
                       "(ImageStreamTag only)")},
        {"no name", "apps", "Deployment", NULL, NULL,
         NAMED("\"[" ENTRY("ImageStreamTag", "", "", APP_PATH) "," ENTRY(
             "ImageStreamTag", "", "side:v1", SIDE_PATH) "]\""),
         NULL, 0, NULL,
         WARN_ENTRY(0, "from needs a kind and a name (strings)")},
        {"a fieldPath outside the pod template", "apps", "Deployment", NULL,
         NULL,
         NAMED("\"[" ENTRY(
             "ImageStreamTag", "", "app:v1",
             "spec.containers[0].image") "," ENTRY("ImageStreamTag", "",
                                                   "side:v1", SIDE_PATH) "]"
                                                                         "\""),
         NULL, 0, NULL,
         WARN_ENTRY(0, "fieldPath is not under the pod template")},
        {"a fieldPath to another field", "apps", "Deployment", NULL, NULL,
         NAMED("\"[" ENTRY("ImageStreamTag", "", "app:v1",
                           "spec.template.spec.containers[0]."
                           "name") "," ENTRY("ImageStreamTag", "", "side:v1",
                                             SIDE_PATH) "]\""),
         NULL, 0, NULL, WARN_ENTRY(0, "fieldPath is not a container's image")},
        {"a fieldPath naming no container", "apps", "Deployment", NULL, NULL,
         NAMED("\"[" ENTRY("ImageStreamTag", "", "app:v1",
                           "spec.template.spec.containers[5]."
                           "image") "," ENTRY("ImageStreamTag", "", "side:v1",
                                              SIDE_PATH) "]\""),
         NULL, 0, NULL,
         WARN_ENTRY(0, "fieldPath names no container of the pod template")},
        {"a fieldPath twice", "apps", "Deployment", NULL, NULL,
         NAMED("\"[" ENTRY("ImageStreamTag", "", "side:v1",
                           SIDE_PATH) "," ENTRY("ImageStreamTag", "", "side:v2",
                                                SIDE_PATH) "]\""),
         NULL, 0, NULL, WARN_ENTRY(1, "fieldPath repeats entry 0")},
        {"an init container by index, cross-project", "apps", "Deployment",
         NULL, NULL,
         TRIGGERS("\"[" ENTRY(
             "ImageStreamTag", "project-b", "tools:v1",
             "spec.template.spec.initContainers[0]."
             "image") "," ENTRY("ImageStreamTag", "", "app:v1",
                                APP_PATH) "," ENTRY("Im"
                                                    "ag"
                                                    "eS"
                                                    "tr"
                                                    "ea"
                                                    "mT"
                                                    "a"
                                                    "g",
                                                    "",
                                                    "si"
                                                    "de"
                                                    ":v"
                                                    "1",
                                                    SIDE_PATH) "]\""),
         NULL, 1, NULL, NULL},
        {"UPDATE keeping the trigger", "apps", "Deployment", NULL, NULL,
         TRIGGERS("\"[" ENTRY("ImageStreamTag", "project-b", "app:v1",
                              APP_PATH) "," ENTRY("ImageStreamTag", "",
                                                  "side:v1", SIDE_PATH) "]\""),
         TRIGGERS("\"[" ENTRY("ImageStreamTag", "project-b", "app:v1",
                              APP_PATH) "," ENTRY("ImageStreamTag", "",
                                                  "side:v1", SIDE_PATH) "]\""),
         0, NULL, NULL},
        {"not followed on a ReplicaSet", "apps", "ReplicaSet", NULL, NULL,
         NAMED("\"[" ENTRY("ImageStreamTag", "project-b", "app:v1",
                           APP_PATH) "," ENTRY("ImageStreamTag", "", "side:v1",
                                               SIDE_PATH) "]\""),
         NULL, 0, NULL,
         "container \"side\": image \" \" is not a valid image reference: "
         "invalid reference format"},
    };

    (void)state;
    os_run_all(cases, sizeof(cases) / sizeof(cases[0]));
}

#define IS(tags)                                                               \
    "{\"metadata\":{\"name\":\"app\",\"namespace\":\"project-a\"},"            \
    "\"spec\":{\"tags\":" tags "}}"
#define TAG(name, from) "{\"name\":\"" name "\",\"from\":" from "}"

static void test_openshift_imagestream(void **state)
{
    static const struct os_case cases[] = {
        {"alias inside the stream", "image.openshift.io", "ImageStream", NULL,
         NULL, IS("[" TAG("prod", IST("", "app:v1")) "]"), NULL, 0, NULL, NULL},
        {"alias naming only a tag", "image.openshift.io", "ImageStream", NULL,
         NULL,
         IS("[" TAG("prod",
                    "{\"kind\":\"ImageStreamTag\",\"name\":\"v1\"}") "]"),
         NULL, 0, NULL, NULL},
        {"alias to another stream", "image.openshift.io", "ImageStream", NULL,
         NULL, IS("[" TAG("prod", IST("project-a", "other:v1")) "]"), NULL, 1,
         "ImageStream tag \"prod\" tracks ImageStreamTag "
         "\"project-a/other:v1\" of another image stream: an alias (a "
         "tracking tag) works only inside one image stream; make a permanent "
         "tag instead: oc tag project-a/other:v1 project-a/app:prod",
         NULL},
        {"alias to another project", "image.openshift.io", "ImageStream", NULL,
         NULL, IS("[" TAG("prod", IST("project-b", "app:v1")) "]"), NULL, 1,
         NULL, NULL},
        {"warn mode", "image.openshift.io", "ImageStream",
         "{\"imageStreams\":{\"crossStreamAliases\":\"warn\"}}", NULL,
         IS("[" TAG("prod", IST("project-a", "other:v1")) "]"), NULL, 0, NULL,
         "ImageStream tag \"prod\" tracks ImageStreamTag "
         "\"project-a/other:v1\" of another image stream: an alias (a "
         "tracking tag) works only inside one image stream; make a permanent "
         "tag instead: oc tag project-a/other:v1 project-a/app:prod"},
        {"off", "image.openshift.io", "ImageStream",
         "{\"imageStreams\":{\"crossStreamAliases\":\"off\"}}", NULL,
         IS("[" TAG("prod", IST("project-b", "app:v1")) "]"), NULL, 0, NULL,
         NULL},
        {"a permanent tag is no alias", "image.openshift.io", "ImageStream",
         NULL, NULL,
         IS("[" TAG("prod", "{\"kind\":\"ImageStreamImage\",\"namespace\":"
                            "\"project-b\",\"name\":\"app@sha256:abc\"}") "]"),
         NULL, 0, NULL, NULL},
        {"dated tag name", "image.openshift.io", "ImageStream", NULL, NULL,
         IS("[" TAG("v2.0.1-may-2019", "{\"kind\":\"DockerImage\",\"name\":"
                                       "\"quay.io/org/app:v2.0.1\"}") "]"),
         NULL, 0, NULL,
         "ImageStream tag \"v2.0.1-may-2019\": the tag name embeds a date: it "
         "names one revision forever and default image pruning never removes "
         "it"},
        {"UPDATE keeping an existing alias", "image.openshift.io",
         "ImageStream", NULL, NULL,
         IS("[" TAG("prod", IST("project-b", "app:v1")) "]"),
         IS("[" TAG("prod", IST("project-b", "app:v1")) "]"), 0, NULL, NULL},
    };

    (void)state;
    os_run_all(cases, sizeof(cases) / sizeof(cases[0]));
}

/* An annotated workload of n placeholder containers c0.., with entries
 * entries naming them by name, as text (free it). */
static char *many_triggers(size_t n, size_t entries)
{
    json_t *list = json_array(), *containers = json_array(), *obj;
    char name[32], path[96], tag[32], *ann, *text;
    size_t i;

    for (i = 0; i < n; i++) {
        snprintf(name, sizeof(name), "c%zu", i);
        json_array_append_new(
            containers, json_pack("{s:s, s:s}", "name", name, "image", " "));
    }
    for (i = 0; i < entries; i++) {
        snprintf(path, sizeof(path),
                 "spec.template.spec.containers[?(@.name==\"c%zu\")].image",
                 i % n);
        snprintf(tag, sizeof(tag), "s%zu:v1", i);
        json_array_append_new(list, json_pack("{s:{s:s, s:s}, s:s}", "from",
                                              "kind", "ImageStreamTag", "name",
                                              tag, "fieldPath", path));
    }
    ann = json_dumps(list, JSON_COMPACT);
    obj = json_pack("{s:{s:{s:s}}, s:{s:{s:{s:o}}}}", "metadata", "annotations",
                    "image.openshift.io/triggers", ann, "spec", "template",
                    "spec", "containers", containers);
    text = json_dumps(obj, JSON_COMPACT);
    assert_non_null(text);
    free(ann);
    json_decref(obj);
    json_decref(list);
    return text;
}

/*
 * The largest annotation reviewed: every entry follows, every placeholder
 * is one (no warning), read once (see bench_review's
 * payload-deployment-triggers-999 for its cost); one more is too large.
 */
static void test_openshift_trigger_annotation_limits(void **state)
{
    char *most = many_triggers(999, OPENSHIFT_TRIGGERS_MAX);
    char *over = many_triggers(1, OPENSHIFT_TRIGGERS_MAX + 1);
    struct os_case c = {"1000 entries, 999 placeholders",
                        "apps",
                        "Deployment",
                        NULL,
                        NULL,
                        most,
                        NULL,
                        0,
                        NULL,
                        NULL};

    (void)state;
    /* entry 999 repeats entry 0's fieldPath (c0): the one warning */
    c.warning = "Deployment annotation image.openshift.io/triggers[999]: "
                "fieldPath repeats entry 0: OpenShift's trigger controller "
                "will not follow it";
    os_run(&c);
    c.name = "1001 entries";
    c.object = over;
    c.denied = 1;
    c.message = "Deployment annotation image.openshift.io/triggers holds 1001 "
                "triggers, more than the 1000 this webhook reviews";
    /* not read, so its container is no placeholder */
    c.warning = "container \"c0\": image \" \" is not a valid image "
                "reference: invalid reference format";
    os_run(&c);
    free(most);
    free(over);
}

#define ISTAG(name, tag)                                                       \
    "{\"metadata\":{\"name\":\"" name "\",\"namespace\":\"project-a\"},"       \
    "\"tag\":" tag "}"
#define IMAGETAG(name, tag)                                                    \
    "{\"metadata\":{\"name\":\"" name "\",\"namespace\":\"project-a\"},"       \
    "\"spec\":" tag "}"

static void test_openshift_imagestreamtag(void **state)
{
    static const struct os_case cases[] = {
        {"alias inside the stream", "image.openshift.io", "ImageStreamTag",
         NULL, NULL, ISTAG("app:prod", TAG("prod", IST("", "app:v1"))), NULL, 0,
         NULL, NULL},
        {"alias to another stream", "image.openshift.io", "ImageStreamTag",
         NULL, NULL, ISTAG("app:prod", TAG("prod", IST("", "other:v1"))), NULL,
         1,
         "ImageStreamTag \"app:prod\" tracks ImageStreamTag "
         "\"project-a/other:v1\" of another image stream: an alias (a "
         "tracking tag) works only inside one image stream; make a permanent "
         "tag instead: oc tag project-a/other:v1 project-a/app:prod",
         NULL},
        {"alias to another project", "image.openshift.io", "ImageStreamTag",
         NULL, NULL, ISTAG("app:prod", TAG("prod", IST("project-b", "app:v1"))),
         NULL, 1, NULL, NULL},
        {"tag name from metadata.name", "image.openshift.io", "ImageStreamTag",
         NULL, NULL,
         ISTAG("app:prod", "{\"from\":" IST("project-b", "app:v1") "}"), NULL,
         1,
         "ImageStreamTag \"app:prod\" tracks ImageStreamTag "
         "\"project-b/app:v1\" of another image stream: an alias (a "
         "tracking tag) works only inside one image stream; make a permanent "
         "tag instead: oc tag project-b/app:v1 project-a/app:prod",
         NULL},
        {"warn mode", "image.openshift.io", "ImageStreamTag",
         "{\"imageStreams\":{\"crossStreamAliases\":\"warn\"}}", NULL,
         ISTAG("app:prod", TAG("prod", IST("", "other:v1"))), NULL, 0, NULL,
         "ImageStreamTag \"app:prod\" tracks ImageStreamTag "
         "\"project-a/other:v1\" of another image stream: an alias (a "
         "tracking tag) works only inside one image stream; make a permanent "
         "tag instead: oc tag project-a/other:v1 project-a/app:prod"},
        {"a permanent tag is no alias", "image.openshift.io", "ImageStreamTag",
         NULL, NULL,
         ISTAG("app:prod",
               TAG("prod", "{\"kind\":\"ImageStreamImage\",\"namespace\":"
                           "\"project-b\",\"name\":\"app@sha256:" SHA "\"}")),
         NULL, 0, NULL, NULL},
        {"dated tag name", "image.openshift.io", "ImageStreamTag", NULL, NULL,
         ISTAG("app:2019-05-01",
               TAG("2019-05-01", "{\"kind\":\"DockerImage\",\"name\":"
                                 "\"quay.io/org/app:v2\"}")),
         NULL, 0, NULL,
         "ImageStreamTag \"app:2019-05-01\": the tag name embeds a date: it "
         "names one revision forever and default image pruning never removes "
         "it"},
        {"no tag (an image only)", "image.openshift.io", "ImageStreamTag", NULL,
         NULL, "{\"metadata\":{\"name\":\"app:x\"},\"image\":{}}", NULL, 0,
         NULL, NULL},
        {"UPDATE keeping the alias", "image.openshift.io", "ImageStreamTag",
         NULL, NULL, ISTAG("app:prod", TAG("prod", IST("project-b", "app:v1"))),
         ISTAG("app:prod", TAG("prod", IST("project-b", "app:v1"))), 0, NULL,
         NULL},
        {"UPDATE making it an alias", "image.openshift.io", "ImageStreamTag",
         NULL, NULL, ISTAG("app:prod", TAG("prod", IST("project-b", "app:v1"))),
         ISTAG("app:prod", TAG("prod", IST("", "app:v1"))), 1, NULL, NULL},
        {"ImageTag: alias to another project", "image.openshift.io", "ImageTag",
         NULL, NULL,
         IMAGETAG("app:prod", TAG("prod", IST("project-b", "app:v1"))), NULL, 1,
         "ImageTag \"app:prod\" tracks ImageStreamTag \"project-b/app:v1\" of "
         "another image stream: an alias (a tracking tag) works only inside "
         "one image stream; make a permanent tag instead: oc tag "
         "project-b/app:v1 project-a/app:prod",
         NULL},
        {"ImageTag: alias inside the stream", "image.openshift.io", "ImageTag",
         NULL, NULL, IMAGETAG("app:prod", TAG("prod", IST("", "app:v1"))), NULL,
         0, NULL, NULL},
        {"ImageTag: dated", "image.openshift.io", "ImageTag", NULL, NULL,
         IMAGETAG("app:20190501", TAG("20190501", IST("", "app:v1"))), NULL, 0,
         NULL,
         "ImageTag \"app:20190501\": the tag name embeds a date: it names one "
         "revision forever and default image pruning never removes it"},
        {"other group", "example.com", "ImageStreamTag", NULL, NULL,
         ISTAG("app:prod", TAG("prod", IST("project-b", "app:v1"))), NULL, 0,
         NULL, NULL},
    };

    (void)state;
    os_run_all(cases, sizeof(cases) / sizeof(cases[0]));
}

#define SECRETS_CFG(mode)                                                      \
    "{\"pullSecrets\":{\"registries\":[\"quay.io\",\"docker.io\"],"            \
    "\"globalRegistries\":[\"registry.redhat.io\"],\"enforcement\":\"" mode    \
    "\"}}"
#define POD(extra, image)                                                      \
    "{\"spec\":{" extra "\"containers\":[{\"name\":\"c\",\"image\":\"" image   \
    "\"}]}}"
#define SA_WITH_SECRET                                                         \
    "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{"        \
    "\"name\":\"default\",\"namespace\":\"project-a\"},\"imagePullSecrets\":"  \
    "[{\"name\":\"default-dockercfg-x7k2p\"},{\"name\":\"quay-creds\"}]}"
#define SA_GENERATED_ONLY                                                      \
    "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{"        \
    "\"name\":\"default\",\"namespace\":\"project-a\"},\"imagePullSecrets\":"  \
    "[{\"name\":\"default-dockercfg-x7k2p\"}]}"

static void test_openshift_pull_secrets(void **state)
{
    static const struct os_case cases[] = {
        {"no secret anywhere", "", "Pod", SECRETS_CFG("warn"), NULL,
         POD("", "quay.io/org/app:v1"), NULL, 0, NULL,
         "container \"c\": image \"quay.io/org/app:v1\" is from quay.io, "
         "which needs credentials, but neither the pod nor service account "
         "\"default\" has a pull secret; fix: oc secrets link default "
         "<pull_secret_name> --for=pull"},
        {"deny mode", "", "Pod", SECRETS_CFG("deny"), NULL,
         POD("", "quay.io/org/app:v1"), NULL, 1,
         "container \"c\": image \"quay.io/org/app:v1\" is from quay.io, "
         "which needs credentials, but neither the pod nor service account "
         "\"default\" has a pull secret; fix: oc secrets link default "
         "<pull_secret_name> --for=pull",
         NULL},
        {"off", "", "Pod", SECRETS_CFG("off"), NULL,
         POD("", "quay.io/org/app:v1"), NULL, 0, NULL, NULL},
        {"docker.io short name", "", "Pod", SECRETS_CFG("deny"), NULL,
         POD("", "nginx:1.25"), NULL, 1, NULL, NULL},
        {"registry not listed", "", "Pod", SECRETS_CFG("deny"), NULL,
         POD("", "ghcr.io/org/app:v1"), NULL, 0, NULL, NULL},
        {"global pull secret covers it", "", "Pod",
         "{\"pullSecrets\":{\"registries\":[\"registry.redhat.io\"],"
         "\"globalRegistries\":[\"registry.redhat.io\"],\"enforcement\":"
         "\"deny\"}}",
         NULL, POD("", "registry.redhat.io/ubi9/ubi:9.3"), NULL, 0, NULL, NULL},
        {"pod's own secret", "", "Pod", SECRETS_CFG("deny"), NULL,
         POD("\"imagePullSecrets\":[{\"name\":\"quay-creds\"}],",
             "quay.io/org/app:v1"),
         NULL, 0, NULL, NULL},
        {"only the generated dockercfg secret", "", "Pod", SECRETS_CFG("deny"),
         NULL,
         POD("\"imagePullSecrets\":[{\"name\":\"default-dockercfg-x7k2p\"}],",
             "quay.io/org/app:v1"),
         NULL, 1, NULL, NULL},
        {"service account's secret", "", "Pod", SECRETS_CFG("deny"),
         SA_WITH_SECRET, POD("", "quay.io/org/app:v1"), NULL, 0, NULL, NULL},
        {"service account with only the generated secret", "", "Pod",
         SECRETS_CFG("deny"), SA_GENERATED_ONLY, POD("", "quay.io/org/app:v1"),
         NULL, 1, NULL, NULL},
        {"another service account's secret does not count", "", "Pod",
         SECRETS_CFG("deny"), SA_WITH_SECRET,
         POD("\"serviceAccountName\":\"other\",", "quay.io/org/app:v1"), NULL,
         1, NULL, NULL},
        {"pod templates too", "apps", "Deployment", SECRETS_CFG("deny"), NULL,
         "{\"spec\":{\"template\":" POD("", "quay.io/org/app:v1") "}}", NULL, 1,
         NULL, NULL},
        {"UPDATE keeping the image", "", "Pod", SECRETS_CFG("deny"), NULL,
         POD("", "quay.io/org/app:v1"), POD("", "quay.io/org/app:v1"), 0, NULL,
         NULL},
        {"no registries configured", "", "Pod", NULL, NULL,
         POD("", "quay.io/org/app:v1"), NULL, 0, NULL, NULL},
    };

    (void)state;
    os_run_all(cases, sizeof(cases) / sizeof(cases[0]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_openshift_buildconfig),
        cmocka_unit_test(test_openshift_deploymentconfig),
        cmocka_unit_test(test_openshift_every_reference_field),
        cmocka_unit_test(test_openshift_service_account_swap),
        cmocka_unit_test(test_openshift_trigger_annotation),
        cmocka_unit_test(test_openshift_trigger_annotation_limits),
        cmocka_unit_test(test_openshift_imagestream),
        cmocka_unit_test(test_openshift_imagestreamtag),
        cmocka_unit_test(test_openshift_pull_secrets),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
