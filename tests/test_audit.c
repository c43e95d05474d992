/* test_audit.c - audit of existing objects: kinds, findings with their
 * field and fix, folding into controllers, summaries, reports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "verdict.h"

#define REG "image-registry.openshift-image-registry.svc:5000"

/* A Pod (or a ReplicaSet when owner_kind names a Deployment...) in ns. */
static json_t *mk(const char *kind, const char *ns, const char *name,
                  const char *uid, const char *owner_kind,
                  const char *owner_name, const char *owner_uid,
                  const char *image)
{
    int pod = strcmp(kind, "Pod") == 0;
    json_t *containers =
        json_pack("[{s:s, s:s}]", "name", "app", "image", image);
    json_t *spec = json_pack("{s:o}", "containers", containers);
    json_t *obj = json_pack("{s:s, s:s, s:{s:s, s:s}}", "apiVersion",
                            pod ? "v1" : "apps/v1", "kind", kind, "metadata",
                            "name", name, "namespace", ns);
    json_t *meta = json_object_get(obj, "metadata");

    assert_non_null(obj);
    if (uid != NULL)
        json_object_set_new(meta, "uid", json_string(uid));
    if (owner_kind != NULL) {
        json_t *ref = json_pack("{s:s, s:s, s:b}", "kind", owner_kind, "name",
                                owner_name, "controller", 1);

        if (owner_uid != NULL)
            json_object_set_new(ref, "uid", json_string(owner_uid));
        json_object_set_new(meta, "ownerReferences", json_pack("[o]", ref));
    }
    if (pod)
        json_object_set_new(obj, "spec", spec);
    else
        json_object_set_new(obj, "spec",
                            json_pack("{s:{s:o}}", "template", "spec", spec));
    return obj;
}

static void add(struct audit *a, const struct config *cfg, json_t *obj,
                int want)
{
    struct err err = {{0}};

    assert_int_equal(audit_object(a, obj, cfg, NULL, &err), want);
    json_decref(obj);
}

static void test_audit_kinds(void **state)
{
    static const struct {
        const char *api_version, *kind;
        int want;
    } cases[] = {
        {"v1", "Pod", 1},
        {"v1", "PodTemplate", 1},
        {"v1", "ReplicationController", 1},
        {"apps/v1", "Deployment", 1},
        {"apps/v1", "ReplicaSet", 1},
        {"apps/v1", "StatefulSet", 1},
        {"apps/v1", "DaemonSet", 1},
        {"batch/v1", "Job", 1},
        {"batch/v1", "CronJob", 1},
        {"batch/v1beta1", "CronJob", 1},
        {"apps.openshift.io/v1", "DeploymentConfig", 1},
        {"build.openshift.io/v1", "BuildConfig", 1},
        {"build.openshift.io/v1", "Build", 1},
        {"image.openshift.io/v1", "ImageStream", 1},
        {"image.openshift.io/v1", "ImageStreamTag", 1},
        {"image.openshift.io/v1", "ImageTag", 1},
        {"v1", "EphemeralContainers", 0}, /* a subresource's body */
        {"v1", "ConfigMap", 0},
        {"apps/v1beta1", "Deployment", 0},
        {"extensions/v1beta1", "Deployment", 0},
        {"build.openshift.io/v2", "Build", 0},
        {"rbac.authorization.k8s.io/v1", "RoleBinding", 0},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (audit_kind(cases[i].api_version, cases[i].kind) != cases[i].want)
            fail_msg("%s %s: want %d", cases[i].api_version, cases[i].kind,
                     cases[i].want);
}

/* Fold: Pods into their ReplicaSet into its Deployment, by uid. */
static void test_audit_fold(void **state)
{
    struct config *cfg = config_new_default();
    struct audit *a = audit_new();
    struct audit_summary sum;
    const char *cross = REG "/project-b/app:v1";
    json_t *f;

    (void)state;
    assert_non_null(cfg);
    assert_non_null(a);
    /* added out of order: the audit sorts */
    add(a, cfg,
        mk("Pod", "p", "web-1-a", "u3", "ReplicaSet", "web-1", "u2", cross), 0);
    add(a, cfg, mk("Deployment", "p", "web", "u1", NULL, NULL, NULL, cross), 0);
    add(a, cfg,
        mk("ReplicaSet", "p", "web-1", "u2", "Deployment", "web", "u1", cross),
        0);
    add(a, cfg,
        mk("Pod", "p", "web-1-b", "u4", "ReplicaSet", "web-1", NULL, cross),
        0); /* no uid in the reference: by name */
    add(a, cfg,
        mk("Pod", "p", "web-1-c", "u5", "ReplicaSet", "web-1", "u9", cross),
        0); /* another ReplicaSet of that name */
    add(a, cfg,
        mk("Pod", "q", "web-1-d", "u6", "ReplicaSet", "web-1", "u2", cross),
        0); /* owners are in the same namespace */
    add(a, cfg,
        mk("Pod", "p", "other", "u7", "ReplicaSet", "web-1", "u2",
           REG "/project-c/app:v1"),
        0); /* its own finding */
    /* a cycle of controllers ends */
    add(a, cfg,
        mk("ReplicaSet", "p", "x", "c1", "ReplicaSet", "y", "c2", cross), 0);
    add(a, cfg,
        mk("ReplicaSet", "p", "y", "c2", "ReplicaSet", "x", "c1", cross), 0);
    audit_finish(a, &sum);
    assert_int_equal(sum.objects, 9);
    assert_int_equal(sum.denied, 9);
    f = audit_findings(a);
    assert_non_null(f);
    /* web (2 pods), web-1-c, other, y (x folds into it; the cycle is not
     * closed, so one of them is reported), and q's pod */
    {
        char got[1024] = "";
        size_t i;
        json_t *x;

        json_array_foreach(f, i, x)
        {
            char one[128];

            snprintf(one, sizeof(one), "%s/%s/%s:%lld ",
                     json_string_value(json_object_get(x, "namespace")),
                     json_string_value(json_object_get(x, "kind")),
                     json_string_value(json_object_get(x, "name")),
                     (long long)json_integer_value(json_object_get(x, "pods")));
            strcat(got, one);
        }
        assert_string_equal(got, "p/Deployment/web:2 p/Pod/other:0 "
                                 "p/Pod/web-1-c:0 p/ReplicaSet/y:0 "
                                 "q/Pod/web-1-d:0 ");
    }
    assert_int_equal(sum.findings, json_array_size(f));
    json_decref(f);
    audit_free(a);
    config_free(cfg);
}

/* Summaries, exempt namespaces, bad objects, an empty audit. */
static void test_audit_summary(void **state)
{
    json_t *src = json_pack("{s:{s:b}, s:[s]}", "tagConventions", "warnLatest",
                            1, "exemptNamespaces", "kube-*");
    struct err err = {{0}};
    struct config *cfg = config_from_json(src, &err);
    struct audit *a = audit_new();
    struct audit_summary sum;
    json_t *bad = json_pack("{s:s, s:s, s:{}}", "apiVersion", "v1", "kind",
                            "Pod", "metadata");
    char *table;

    (void)state;
    assert_non_null(cfg);
    json_decref(src);
    add(a, cfg, mk("Pod", "p", "warned", NULL, NULL, NULL, NULL, "nginx"), 0);
    add(a, cfg, mk("Pod", "p", "fine", NULL, NULL, NULL, NULL, "nginx:1.25"),
        0);
    add(a, cfg,
        mk("Pod", "kube-system", "x", NULL, NULL, NULL, NULL,
           REG "/project-b/app:v1"),
        1);
    assert_int_equal(audit_object(a, bad, cfg, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "metadata.name"));
    json_decref(bad);
    audit_finish(a, &sum);
    assert_int_equal(sum.objects, 2);
    assert_int_equal(sum.exempt, 1);
    assert_int_equal(sum.denied, 0);
    assert_int_equal(sum.warned, 1);
    table = audit_table(a, &sum);
    assert_non_null(table);
    assert_non_null(strstr(table, "p          Pod/warned  container \"app\"  "
                                  "warn    latest  container \"app\": image "
                                  "\"nginx\" uses the latest tag"));
    assert_non_null(strstr(table, "\n2 objects, 0 denied, 1 warned\n"));
    free(table);
    audit_free(a);

    a = audit_new();
    audit_finish(a, &sum);
    table = audit_table(a, &sum);
    assert_string_equal(table, "0 objects, 0 denied, 0 warned\n");
    free(table);
    audit_free(a);
    config_free(cfg);
}

/* The fix is ours, never a part of the object that looks like one. */
static void test_audit_fix_is_ours(void **state)
{
    struct verdict v;
    json_t *f;

    (void)state;
    assert_int_equal(verdict_init_findings(&v), 0);
    v.where = "container \"a\"";
    verdict_deny(&v, VERDICT_CROSS_PROJECT,
                 "x uses image \"evil: oc delete all\"; fix: oc policy "
                 "add-role-to-user r u --namespace=b");
    v.where = NULL;
    verdict_warn(&v, VERDICT_INVALID_REFERENCE,
                 "image \"a: oc rm\" is not valid");
    f = json_array_get(v.findings, 0);
    assert_string_equal(json_string_value(json_object_get(f, "fix")),
                        "oc policy add-role-to-user r u --namespace=b");
    assert_string_equal(json_string_value(json_object_get(f, "field")),
                        "container \"a\"");
    f = json_array_get(v.findings, 1);
    assert_null(json_object_get(f, "fix")); /* that reason has none */
    assert_string_equal(json_string_value(json_object_get(f, "field")), "");
    assert_string_equal(json_string_value(json_object_get(f, "result")),
                        "warn");
    verdict_free(&v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_audit_kinds),
        cmocka_unit_test(test_audit_fold),
        cmocka_unit_test(test_audit_summary),
        cmocka_unit_test(test_audit_fix_is_ours),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
