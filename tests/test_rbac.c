/* test_rbac.c - unit tests of the RBAC index (policy/rbac). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rbac.h"
#include "strmap.h"

/* A fixed key for the index: the process draws a random one. */
static const struct siphash_key test_key = {0x0123456789abcdefULL,
                                            0xfedcba9876543210ULL};

#define FIXTURE "tests/fixtures/rbac/rbac-list.json"
#define N(a)    (sizeof(a) / sizeof((a)[0]))

/* JSON from text written with ' for " (values hold no apostrophes). */
static json_t *js(const char *text)
{
    char *copy = strdup(text);
    json_error_t jerr;
    json_t *v;
    char *p;

    assert_non_null(copy);
    for (p = copy; *p != '\0'; p++) {
        if (*p == '\'')
            *p = '"';
    }
    v = json_loads(copy, 0, &jerr);
    if (v == NULL)
        fail_msg("bad test JSON (%s): %s", jerr.text, copy);
    free(copy);
    return v;
}

/* rbac_put of text; returns its result, err->msg holds any message. */
static int put(struct rbac *rb, const char *text, struct err *err)
{
    json_t *v = js(text);
    int rc;

    memset(err, 0, sizeof(*err));
    rc = rbac_put(rb, v, err);
    json_decref(v);
    return rc;
}

static void put_ok(struct rbac *rb, const char *text)
{
    struct err err;

    if (put(rb, text, &err) != 0)
        fail_msg("rbac_put failed: %s\n%s", err.msg, text);
}

/* A RoleBinding (ns non-NULL) or ClusterRoleBinding with these parts. */
static void put_binding(struct rbac *rb, const char *ns, const char *name,
                        const char *ref_kind, const char *ref_name,
                        const char *subjects)
{
    char buf[2048];
    int n;

    if (ns != NULL)
        n = snprintf(buf, sizeof(buf),
                     "{'apiVersion':'rbac.authorization.k8s.io/v1',"
                     "'kind':'RoleBinding','metadata':{'name':'%s',"
                     "'namespace':'%s'},'roleRef':{'apiGroup':"
                     "'rbac.authorization.k8s.io','kind':'%s','name':'%s'},"
                     "'subjects':%s}",
                     name, ns, ref_kind, ref_name, subjects);
    else
        n = snprintf(buf, sizeof(buf),
                     "{'apiVersion':'rbac.authorization.k8s.io/v1',"
                     "'kind':'ClusterRoleBinding','metadata':{'name':'%s'},"
                     "'roleRef':{'apiGroup':'rbac.authorization.k8s.io',"
                     "'kind':'%s','name':'%s'},'subjects':%s}",
                     name, ref_kind, ref_name, subjects);
    assert_true(n > 0 && (size_t)n < sizeof(buf));
    put_ok(rb, buf);
}

/* A Role (ns non-NULL) or ClusterRole with these rules. */
static void put_role(struct rbac *rb, const char *ns, const char *name,
                     const char *rules)
{
    char buf[2048];
    int n;

    if (ns != NULL)
        n = snprintf(buf, sizeof(buf),
                     "{'apiVersion':'rbac.authorization.k8s.io/v1',"
                     "'kind':'Role','metadata':{'name':'%s','namespace':"
                     "'%s'},'rules':%s}",
                     name, ns, rules);
    else
        n = snprintf(buf, sizeof(buf),
                     "{'apiVersion':'rbac.authorization.k8s.io/v1',"
                     "'kind':'ClusterRole','metadata':{'name':'%s'},"
                     "'rules':%s}",
                     name, rules);
    assert_true(n > 0 && (size_t)n < sizeof(buf));
    put_ok(rb, buf);
}

#define PULLER_SUBJECT                                                         \
    "[{'kind':'ServiceAccount','name':'default','namespace':'project-a'}]"

/* ---- subjects ---- */

struct subject_case {
    const char *what;
    int cluster; /* ClusterRoleBinding instead of a RoleBinding in project-b */
    const char *subjects;
    const char *sa_ns, *sa_name;
    int want;
};

static void test_rbac_subject_forms(void **state)
{
    static const struct subject_case cases[] = {
        {"SA with namespace", 0, PULLER_SUBJECT, "project-a", "default", 1},
        {"SA, other namespace", 0, PULLER_SUBJECT, "project-x", "default", 0},
        {"SA, other name", 0, PULLER_SUBJECT, "project-a", "builder", 0},
        {"SA without namespace in a RoleBinding: the binding's", 0,
         "[{'kind':'ServiceAccount','name':'default'}]", "project-b", "default",
         1},
        {"SA without namespace is not another namespace's", 0,
         "[{'kind':'ServiceAccount','name':'default'}]", "project-a", "default",
         0},
        {"SA with empty namespace in a RoleBinding", 0,
         "[{'kind':'ServiceAccount','name':'default','namespace':''}]",
         "project-b", "default", 1},
        {"SA in a ClusterRoleBinding", 1, PULLER_SUBJECT, "project-a",
         "default", 1},
        {"SA without namespace in a ClusterRoleBinding matches no one", 1,
         "[{'kind':'ServiceAccount','name':'default'}]", "project-b", "default",
         0},
        {"User system:serviceaccount:", 0,
         "[{'kind':'User','apiGroup':'rbac.authorization.k8s.io',"
         "'name':'system:serviceaccount:project-a:default'}]",
         "project-a", "default", 1},
        {"User system:serviceaccount: other name", 0,
         "[{'kind':'User','name':'system:serviceaccount:project-a:other'}]",
         "project-a", "default", 0},
        {"User system:serviceaccount: in a ClusterRoleBinding", 1,
         "[{'kind':'User','name':'system:serviceaccount:project-a:default'}]",
         "project-a", "default", 1},
        {"plain User", 0, "[{'kind':'User','name':'alice'}]", "project-a",
         "default", 0},
        {"Group system:serviceaccounts:<ns>", 0,
         "[{'kind':'Group','name':'system:serviceaccounts:project-a'}]",
         "project-a", "anyone", 1},
        {"Group system:serviceaccounts:<other ns>", 0,
         "[{'kind':'Group','name':'system:serviceaccounts:other'}]",
         "project-a", "default", 0},
        {"Group system:serviceaccounts", 0,
         "[{'kind':'Group','name':'system:serviceaccounts'}]", "project-q", "x",
         1},
        {"Group system:authenticated", 0,
         "[{'kind':'Group','name':'system:authenticated'}]", "project-q", "x",
         1},
        {"Group system:authenticated in a ClusterRoleBinding", 1,
         "[{'kind':'Group','name':'system:authenticated'}]", "project-q", "x",
         1},
        {"Group system:unauthenticated", 0,
         "[{'kind':'Group','name':'system:unauthenticated'}]", "project-a",
         "default", 0},
        {"Group named like the user", 0,
         "[{'kind':'Group','name':'system:serviceaccount:project-a:default'}]",
         "project-a", "default", 0},
        {"unknown subject kind", 0,
         "[{'kind':'Robot','name':'default','namespace':'project-a'}]",
         "project-a", "default", 0},
        {"no subjects", 0, "[]", "project-a", "default", 0},
        {"null subjects", 0, "null", "project-a", "default", 0},
        {"second subject matches", 0,
         "[{'kind':'User','name':'alice'},{'kind':'ServiceAccount',"
         "'name':'default','namespace':'project-a'}]",
         "project-a", "default", 1},
    };
    size_t i;

    (void)state;
    for (i = 0; i < N(cases); i++) {
        const struct subject_case *c = &cases[i];
        struct rbac *rb = rbac_new(&test_key);

        assert_non_null(rb);
        put_binding(rb, c->cluster ? NULL : "project-b", "b", "ClusterRole",
                    "system:image-puller", c->subjects);
        if (rbac_may_pull(rb, c->sa_ns, c->sa_name, "project-b", "app") !=
            c->want)
            fail_msg("case %zu (%s): want %d", i, c->what, c->want);
        /* A RoleBinding grants in its namespace only. */
        if (rbac_may_pull(rb, c->sa_ns, c->sa_name, "project-z", "app") !=
            (c->cluster ? c->want : 0))
            fail_msg("case %zu (%s): wrong in another project", i, c->what);
        rbac_free(rb);
    }
}

/* ---- roleRef ---- */

static void test_rbac_role_ref(void **state)
{
    static const char layers[] = "[{'apiGroups':['image.openshift.io'],"
                                 "'resources':['imagestreams/layers'],"
                                 "'verbs':['get']}]";
    struct rbac *rb = rbac_new(&test_key);
    struct err err;

    (void)state;
    assert_non_null(rb);
    /* Role in the binding's namespace: bound before it is defined. */
    put_binding(rb, "project-b", "to-role", "Role", "puller", PULLER_SUBJECT);
    assert_false(rbac_may_pull(rb, "project-a", "default", "project-b", "s"));
    put_role(rb, "project-c", "puller", layers); /* wrong namespace */
    assert_false(rbac_may_pull(rb, "project-a", "default", "project-b", "s"));
    put_role(rb, NULL, "puller", layers); /* a ClusterRole is not a Role */
    assert_false(rbac_may_pull(rb, "project-a", "default", "project-b", "s"));
    put_role(rb, "project-b", "puller", layers);
    assert_true(rbac_may_pull(rb, "project-a", "default", "project-b", "s"));
    rbac_free(rb);

    rb = rbac_new(&test_key);
    assert_non_null(rb);
    /* ClusterRole reference: a Role of that name does not do. */
    put_role(rb, "project-b", "custom", layers);
    put_binding(rb, "project-b", "to-cr", "ClusterRole", "custom",
                PULLER_SUBJECT);
    assert_false(rbac_may_pull(rb, "project-a", "default", "project-b", "s"));
    put_role(rb, NULL, "custom", layers);
    assert_true(rbac_may_pull(rb, "project-a", "default", "project-b", "s"));
    /* Bootstrap cluster roles are not Roles. */
    put_binding(rb, "project-c", "to-boot", "Role", "system:image-puller",
                PULLER_SUBJECT);
    assert_false(rbac_may_pull(rb, "project-a", "default", "project-c", "s"));
    /* A ClusterRoleBinding must reference a ClusterRole. */
    assert_int_equal(
        put(rb,
            "{'apiVersion':'rbac.authorization.k8s.io/v1','kind':"
            "'ClusterRoleBinding','metadata':{'name':'x'},'roleRef':{"
            "'kind':'Role','name':'puller'},'subjects':" PULLER_SUBJECT "}",
            &err),
        -1);
    assert_string_equal(err.msg, "ClusterRoleBinding x: roleRef.kind must be "
                                 "ClusterRole in a ClusterRoleBinding");
    rbac_free(rb);
}

/* ---- rules ---- */

struct rule_case {
    const char *rules;
    const char *stream;
    int want;
};

static void test_rbac_rule_matching(void **state)
{
#define R(groups, resources, verbs)                                            \
    "[{'apiGroups':" groups ",'resources':" resources ",'verbs':" verbs "}]"
#define IMG    "['image.openshift.io']"
#define LAYERS "['imagestreams/layers']"
#define GET    "['get']"
    static const struct rule_case cases[] = {
        /* apiGroups */
        {R(IMG, LAYERS, GET), "app", 1},
        {R("['*']", LAYERS, GET), "app", 1},
        {R("['']", LAYERS, GET), "app", 0},
        {R("['', 'image.openshift.io']", LAYERS, GET), "app", 1},
        {R("[]", LAYERS, GET), "app", 0},
        {"[{'resources':" LAYERS ",'verbs':" GET "}]", "app", 0},
        {R("['image.openshift.io.']", LAYERS, GET), "app", 0},
        /* resources */
        /* The registry asks resource imagestreams/layers with an empty
         * subresource: "<star>/layers" matches only a subresource. */
        {R(IMG, "['*/layers']", GET), "app", 0},
        {R(IMG, "['*/layers', 'imagestreams/layers']", GET), "app", 1},
        {R(IMG, "['*']", GET), "app", 1},
        {R(IMG, "['imagestreams']", GET), "app", 0},
        {R(IMG, "['imagestreams/*']", GET), "app", 0},
        {R(IMG, "['*/*']", GET), "app", 0},
        {R(IMG, "['layers']", GET), "app", 0},
        {R(IMG, "['*/layer']", GET), "app", 0},
        {R(IMG, "['imagestreams/layers/']", GET), "app", 0},
        {R(IMG, "['imagestreams', 'imagestreams/layers']", GET), "app", 1},
        {R(IMG, "[]", GET), "app", 0},
        /* verbs */
        {R(IMG, LAYERS, "['*']"), "app", 1},
        {R(IMG, LAYERS, "['list']"), "app", 0},
        {R(IMG, LAYERS, "['list', 'watch']"), "app", 0},
        {R(IMG, LAYERS, "['update']"), "app", 0},
        {R(IMG, LAYERS, "['GET']"), "app", 0},
        {R(IMG, LAYERS, "['get', 'update']"), "app", 1},
        {R(IMG, LAYERS, "[]"), "app", 0},
        /* resourceNames */
        {"[{'apiGroups':" IMG ",'resources':" LAYERS ",'verbs':" GET
         ",'resourceNames':[]}]",
         "app", 1},
        {"[{'apiGroups':" IMG ",'resources':" LAYERS ",'verbs':" GET
         ",'resourceNames':['app']}]",
         "app", 1},
        {"[{'apiGroups':" IMG ",'resources':" LAYERS ",'verbs':" GET
         ",'resourceNames':['other']}]",
         "app", 0},
        {"[{'apiGroups':" IMG ",'resources':" LAYERS ",'verbs':" GET
         ",'resourceNames':['other', 'app']}]",
         "app", 1},
        {"[{'apiGroups':" IMG ",'resources':" LAYERS ",'verbs':" GET
         ",'resourceNames':['app']}]",
         "app2", 0},
        /* several rules: one is enough, and names stay per rule */
        {"[{'apiGroups':" IMG ",'resources':['imagestreams'],'verbs':['*']},"
         "{'apiGroups':" IMG ",'resources':" LAYERS ",'verbs':" GET "}]",
         "app", 1},
        {"[{'apiGroups':" IMG ",'resources':" LAYERS ",'verbs':['list'],"
         "'resourceNames':['app']},{'apiGroups':" IMG ",'resources':" LAYERS
         ",'verbs':" GET ",'resourceNames':['web']}]",
         "app", 0},
        /* non-resource rules and empty roles */
        {"[{'nonResourceURLs':['*'],'verbs':['*']}]", "app", 0},
        {"[]", "app", 0},
        {"null", "app", 0},
    };
    size_t i;

    (void)state;
    for (i = 0; i < N(cases); i++) {
        struct rbac *rb = rbac_new(&test_key);

        assert_non_null(rb);
        put_role(rb, NULL, "custom", cases[i].rules);
        put_binding(rb, "project-b", "b", "ClusterRole", "custom",
                    PULLER_SUBJECT);
        if (rbac_may_pull(rb, "project-a", "default", "project-b",
                          cases[i].stream) != cases[i].want)
            fail_msg("case %zu: %s for %s: want %d", i, cases[i].rules,
                     cases[i].stream, cases[i].want);
        rbac_free(rb);
    }
#undef R
#undef IMG
#undef LAYERS
#undef GET
}

/* ---- bootstrap roles ---- */

static void test_rbac_bootstrap_roles(void **state)
{
    static const struct {
        const char *role;
        int want;
    } cases[] = {
        {"system:image-puller", 1},
        {"system:image-pusher", 1},
        {"system:image-builder", 1},
        {"system:image-signer", 1},
        {"registry-viewer", 1},
        {"registry-editor", 1},
        {"registry-admin", 1},
        {"edit", 1},
        {"admin", 1},
        {"cluster-admin", 1},
        /* registry-viewer is aggregate-to-view on OpenShift 4 */
        {"cluster-reader", 1},
        {"view", 1},
        {"basic-user", 0},
        {"system:deployer", 0},
        {"shared-resource-viewer", 0}, /* a Role, not a ClusterRole */
    };
    struct rbac_why why;
    size_t i;

    (void)state;
    for (i = 0; i < N(cases); i++) {
        struct rbac *rb = rbac_new(&test_key);

        assert_non_null(rb);
        put_binding(rb, "project-b", "b", "ClusterRole", cases[i].role,
                    PULLER_SUBJECT);
        if (rbac_may_pull_why(rb, "project-a", "default", "project-b", "app",
                              &why) != cases[i].want)
            fail_msg("%s: want %d", cases[i].role, cases[i].want);
        assert_int_equal(why.considered, 1);
        if (cases[i].want) {
            assert_string_equal(why.role_kind, "ClusterRole");
            assert_string_equal(why.role_name, cases[i].role);
            assert_int_equal(why.role_bootstrap, 1);
        }
        rbac_free(rb);
    }
}

static void test_rbac_source_roles_win(void **state)
{
    static const struct {
        const char *what;
        const char *role; /* a ClusterRole "edit" or "my-aggregate" */
        int want;
    } cases[] = {
        {"aggregated, rules null: bootstrap edit",
         "{'kind':'ClusterRole','apiVersion':'rbac.authorization.k8s.io/v1',"
         "'metadata':{'name':'edit'},'aggregationRule':{"
         "'clusterRoleSelectors':[{'matchLabels':{'x':'true'}}]},"
         "'rules':null}",
         1},
        {"aggregated, rules []: bootstrap edit",
         "{'kind':'ClusterRole','apiVersion':'rbac.authorization.k8s.io/v1',"
         "'metadata':{'name':'edit'},'aggregationRule':{},'rules':[]}",
         1},
        {"aggregated and filled without layers: source wins",
         "{'kind':'ClusterRole','apiVersion':'rbac.authorization.k8s.io/v1',"
         "'metadata':{'name':'edit'},'aggregationRule':{},'rules':[{"
         "'apiGroups':[''],'resources':['pods'],'verbs':['get']}]}",
         0},
        {"not aggregated, no rules: source wins",
         "{'kind':'ClusterRole','apiVersion':'rbac.authorization.k8s.io/v1',"
         "'metadata':{'name':'edit'},'rules':null}",
         0},
        {"aggregated, empty, no bootstrap of that name",
         "{'kind':'ClusterRole','apiVersion':'rbac.authorization.k8s.io/v1',"
         "'metadata':{'name':'my-aggregate'},'aggregationRule':{},"
         "'rules':null}",
         0},
    };
    struct rbac *rb;
    size_t i;

    (void)state;
    for (i = 0; i < N(cases); i++) {
        rb = rbac_new(&test_key);
        assert_non_null(rb);
        put_ok(rb, cases[i].role);
        put_binding(rb, "project-b", "b", "ClusterRole",
                    strstr(cases[i].role, "my-aggregate") ? "my-aggregate"
                                                          : "edit",
                    PULLER_SUBJECT);
        if (rbac_may_pull(rb, "project-a", "default", "project-b", "app") !=
            cases[i].want)
            fail_msg("case %zu (%s): want %d", i, cases[i].what, cases[i].want);
        rbac_free(rb);
    }

    /* A source system:image-puller without the rule denies; deleting it
     * brings the bootstrap definition back. */
    rb = rbac_new(&test_key);
    assert_non_null(rb);
    put_binding(rb, "project-b", "b", "ClusterRole", "system:image-puller",
                PULLER_SUBJECT);
    put_role(rb, NULL, "system:image-puller",
             "[{'apiGroups':['image.openshift.io'],'resources':["
             "'imagestreams'],'verbs':['get']}]");
    assert_false(rbac_may_pull(rb, "project-a", "default", "project-b", "a"));
    assert_int_equal(rbac_role_count(rb), 1);
    rbac_delete(rb, "ClusterRole", NULL, "system:image-puller");
    assert_int_equal(rbac_role_count(rb), 0);
    assert_true(rbac_may_pull(rb, "project-a", "default", "project-b", "a"));
    rbac_free(rb);
}

static void test_rbac_shared_resource_viewers(void **state)
{
    static const char binding[] =
        "{'apiVersion':'rbac.authorization.k8s.io/v1','kind':'RoleBinding',"
        "'metadata':{'name':'shared-resource-viewers','namespace':"
        "'openshift'},'roleRef':{'apiGroup':'rbac.authorization.k8s.io',"
        "'kind':'Role','name':'shared-resource-viewer'},'subjects':[{"
        "'apiGroup':'rbac.authorization.k8s.io','kind':'Group','name':"
        "'system:authenticated'}]}";
    struct rbac *rb = rbac_new(&test_key);
    struct rbac_why why;

    (void)state;
    assert_non_null(rb);
    /* The binding is not implied: it comes from the source. */
    assert_false(
        rbac_may_pull(rb, "project-a", "default", "openshift", "ruby"));
    put_ok(rb, binding);
    assert_true(rbac_may_pull_why(rb, "project-a", "default", "openshift",
                                  "ruby", &why));
    assert_string_equal(why.binding_kind, "RoleBinding");
    assert_string_equal(why.binding_ns, "openshift");
    assert_string_equal(why.binding_name, "shared-resource-viewers");
    assert_string_equal(why.role_kind, "Role");
    assert_string_equal(why.role_name, "shared-resource-viewer");
    assert_int_equal(why.role_bootstrap, 1);
    assert_true(rbac_may_pull(rb, "anyone", "x", "openshift", "python"));
    assert_false(rbac_may_pull(rb, "project-a", "default", "project-b", "app"));
    /* The same Role bound in another namespace has no bootstrap definition. */
    put_binding(rb, "project-b", "srv", "Role", "shared-resource-viewer",
                "[{'kind':'Group','name':'system:authenticated'}]");
    assert_false(rbac_may_pull(rb, "project-a", "default", "project-b", "app"));
    /* A source definition of the Role wins over the bootstrap one. */
    put_role(rb, "openshift", "shared-resource-viewer",
             "[{'apiGroups':['template.openshift.io'],'resources':["
             "'templates'],'verbs':['get']}]");
    assert_false(
        rbac_may_pull(rb, "project-a", "default", "openshift", "ruby"));
    rbac_free(rb);
}

/* ---- no index, bad arguments ---- */

static void test_rbac_null_denies(void **state)
{
    struct rbac *rb = rbac_new(&test_key);
    struct rbac_why why;
    struct err err = {{0}};

    (void)state;
    assert_false(rbac_may_pull(NULL, "project-a", "default", "project-b", "a"));
    assert_false(rbac_may_pull_why(NULL, "project-a", "default", "project-b",
                                   "a", &why));
    assert_int_equal(why.considered, 0);
    assert_null(why.binding_name);
    assert_int_equal(rbac_binding_count(NULL), 0);
    assert_int_equal(rbac_role_count(NULL), 0);
    assert_null(rbac_service_account_pull_secrets(NULL, "a", "b"));
    rbac_delete(NULL, "RoleBinding", "a", "b");
    rbac_free(NULL);
    assert_int_equal(rbac_put(NULL, NULL, &err), -1);

    assert_non_null(rb);
    assert_false(rbac_may_pull(rb, "project-a", "default", "project-b", "a"));
    put_binding(rb, "project-b", "b", "ClusterRole", "system:image-puller",
                "[{'kind':'Group','name':'system:authenticated'}]");
    assert_true(rbac_may_pull(rb, "project-a", "default", "project-b", "a"));
    assert_false(rbac_may_pull(rb, NULL, "default", "project-b", "a"));
    assert_false(rbac_may_pull(rb, "project-a", NULL, "project-b", "a"));
    assert_false(rbac_may_pull(rb, "project-a", "default", NULL, "a"));
    assert_false(rbac_may_pull(rb, "project-a", "default", "project-b", NULL));
    assert_false(rbac_may_pull(rb, "", "default", "project-b", "a"));
    assert_false(rbac_may_pull(rb, "project-a", "", "project-b", "a"));
    assert_false(rbac_may_pull(rb, "project-a", "default", "", "a"));
    rbac_delete(rb, "RoleBinding", "project-b", "no-such");
    rbac_delete(rb, "Secret", "project-b", "b");
    rbac_delete(rb, NULL, "project-b", "b");
    assert_int_equal(rbac_binding_count(rb), 1);
    rbac_free(rb);
}

/* ---- upsert and delete ---- */

static void test_rbac_upsert_replaces(void **state)
{
    struct rbac *rb = rbac_new(&test_key);

    (void)state;
    assert_non_null(rb);
    put_binding(rb, "project-b", "x", "ClusterRole", "system:image-puller",
                PULLER_SUBJECT);
    assert_true(rbac_may_pull(rb, "project-a", "default", "project-b", "a"));
    put_binding(rb, "project-b", "x", "ClusterRole", "system:image-puller",
                "[{'kind':'ServiceAccount','name':'default','namespace':"
                "'project-c'}]");
    assert_int_equal(rbac_binding_count(rb), 1);
    assert_false(rbac_may_pull(rb, "project-a", "default", "project-b", "a"));
    assert_true(rbac_may_pull(rb, "project-c", "default", "project-b", "a"));
    /* Same name elsewhere, or as a ClusterRoleBinding: other objects. */
    put_binding(rb, "project-d", "x", "ClusterRole", "system:image-puller",
                PULLER_SUBJECT);
    put_binding(rb, NULL, "x", "ClusterRole", "basic-user", PULLER_SUBJECT);
    assert_int_equal(rbac_binding_count(rb), 3);
    assert_true(rbac_may_pull(rb, "project-c", "default", "project-b", "a"));
    assert_true(rbac_may_pull(rb, "project-a", "default", "project-d", "a"));
    /* Changing the role reference of the ClusterRoleBinding. */
    assert_false(rbac_may_pull(rb, "project-a", "default", "project-e", "a"));
    put_binding(rb, NULL, "x", "ClusterRole", "registry-viewer",
                PULLER_SUBJECT);
    assert_true(rbac_may_pull(rb, "project-a", "default", "project-e", "a"));
    assert_int_equal(rbac_binding_count(rb), 3);
    /* Replacing a role's rules. */
    put_role(rb, "project-f", "r",
             "[{'apiGroups':['*'],'resources':['*'],'verbs':['*']}]");
    put_binding(rb, "project-f", "y", "Role", "r",
                "[{'kind':'ServiceAccount','name':'z','namespace':'q'}]");
    assert_true(rbac_may_pull(rb, "q", "z", "project-f", "a"));
    put_role(rb, "project-f", "r", "[]");
    assert_false(rbac_may_pull(rb, "q", "z", "project-f", "a"));
    assert_int_equal(rbac_role_count(rb), 1);
    rbac_free(rb);
}

static void test_rbac_delete(void **state)
{
    struct rbac *rb = rbac_new(&test_key);
    struct rbac_why why;

    (void)state;
    assert_non_null(rb);
    put_binding(rb, "project-b", "x", "ClusterRole", "system:image-puller",
                PULLER_SUBJECT);
    put_binding(rb, "project-b", "y", "ClusterRole", "system:image-puller",
                PULLER_SUBJECT);
    put_binding(rb, NULL, "x", "ClusterRole", "system:image-puller",
                PULLER_SUBJECT);
    assert_int_equal(rbac_binding_count(rb), 3);
    rbac_delete(rb, "RoleBinding", "project-b", "x");
    assert_true(rbac_may_pull(rb, "project-a", "default", "project-b", "a"));
    rbac_delete(rb, "ClusterRoleBinding", "ignored-namespace", "x");
    assert_int_equal(rbac_binding_count(rb), 1);
    assert_false(rbac_may_pull(rb, "project-a", "default", "project-c", "a"));
    assert_true(
        rbac_may_pull_why(rb, "project-a", "default", "project-b", "a", &why));
    assert_string_equal(why.binding_name, "y");
    assert_int_equal(why.considered, 1);
    rbac_delete(rb, "RoleBinding", "project-b", "y");
    assert_int_equal(rbac_binding_count(rb), 0);
    assert_false(
        rbac_may_pull_why(rb, "project-a", "default", "project-b", "a", &why));
    assert_int_equal(why.considered, 0);
    /* Deleting twice is harmless; so is putting it back. */
    rbac_delete(rb, "RoleBinding", "project-b", "y");
    put_binding(rb, "project-b", "y", "ClusterRole", "system:image-puller",
                PULLER_SUBJECT);
    assert_true(rbac_may_pull(rb, "project-a", "default", "project-b", "a"));
    rbac_free(rb);
}

static void test_rbac_duplicate_subjects(void **state)
{
    struct rbac *rb = rbac_new(&test_key);
    struct rbac_why why;

    (void)state;
    assert_non_null(rb);
    /* Three spellings of one subject: indexed once. */
    put_binding(rb, "project-b", "x", "ClusterRole", "basic-user",
                "[{'kind':'ServiceAccount','name':'default','namespace':"
                "'project-a'},{'kind':'ServiceAccount','name':'default',"
                "'namespace':'project-a'},{'kind':'User','name':"
                "'system:serviceaccount:project-a:default'}]");
    assert_false(
        rbac_may_pull_why(rb, "project-a", "default", "project-b", "a", &why));
    assert_int_equal(why.considered, 1);
    rbac_delete(rb, "RoleBinding", "project-b", "x");
    assert_false(
        rbac_may_pull_why(rb, "project-a", "default", "project-b", "a", &why));
    assert_int_equal(why.considered, 0);
    rbac_free(rb);
}

/* ---- every grant, for can-pull -v ---- */

struct grants_seen {
    char lines[8][160];
    size_t n;
    size_t stop_after; /* 0: never */
};

static int grants_each(void *arg, const struct rbac_why *why)
{
    struct grants_seen *g = arg;

    if (g->n < 8)
        snprintf(g->lines[g->n], sizeof(g->lines[0]), "%s %s/%s %s %s %s",
                 why->binding_kind, why->binding_ns, why->binding_name,
                 why->role_kind, why->role_name, why->subject);
    g->n++;
    return g->stop_after != 0 && g->n >= g->stop_after;
}

static void test_rbac_pull_grants(void **state)
{
    static const char *const want[] = {
        /* the account first, then its namespace's group, then
         * system:authenticated; ClusterRoleBindings before RoleBindings */
        "ClusterRoleBinding /everywhere ClusterRole system:image-puller "
        "ServiceAccount",
        "RoleBinding project-b/sa ClusterRole registry-viewer ServiceAccount",
        "RoleBinding project-b/ns-group ClusterRole system:image-puller Group",
        "RoleBinding project-b/all ClusterRole view Group system:authenticated",
    };
    struct rbac *rb = rbac_new(&test_key);
    struct grants_seen g;
    struct rbac_why why;
    size_t i;

    (void)state;
    assert_non_null(rb);
    put_binding(rb, "project-b", "all", "ClusterRole", "view",
                "[{'kind':'Group','name':'system:authenticated'}]");
    put_binding(rb, "project-b", "ns-group", "ClusterRole",
                "system:image-puller",
                "[{'kind':'Group','name':'system:serviceaccounts:project-a'}]");
    put_binding(rb, "project-b", "sa", "ClusterRole", "registry-viewer",
                PULLER_SUBJECT);
    put_binding(rb, "project-b", "no", "ClusterRole", "basic-user",
                PULLER_SUBJECT);
    put_binding(rb, NULL, "everywhere", "ClusterRole", "system:image-puller",
                PULLER_SUBJECT);
    memset(&g, 0, sizeof(g));
    assert_int_equal(rbac_pull_grants(rb, "project-a", "default", "project-b",
                                      "app", grants_each, &g),
                     N(want));
    assert_int_equal(g.n, N(want));
    for (i = 0; i < N(want); i++)
        assert_string_equal(g.lines[i], want[i]);
    /* the first is the one rbac_may_pull_why names */
    assert_true(rbac_may_pull_why(rb, "project-a", "default", "project-b",
                                  "app", &why));
    assert_string_equal(why.binding_name, "everywhere");
    assert_string_equal(why.subject, "ServiceAccount");
    /* a callback that says stop ends the visit */
    memset(&g, 0, sizeof(g));
    g.stop_after = 2;
    assert_int_equal(rbac_pull_grants(rb, "project-a", "default", "project-b",
                                      "app", grants_each, &g),
                     2);
    /* another account of another project: only the authenticated group */
    memset(&g, 0, sizeof(g));
    assert_int_equal(rbac_pull_grants(rb, "project-x", "builder", "project-b",
                                      "app", grants_each, &g),
                     1);
    assert_string_equal(g.lines[0], want[3]);
    assert_int_equal(rbac_pull_grants(NULL, "project-a", "default", "project-b",
                                      "app", grants_each, &g),
                     0);
    rbac_free(rb);
}

/* ---- the recorded kubectl output ---- */

static struct rbac *load_fixture(void)
{
    struct rbac *rb = rbac_new(&test_key);
    json_error_t jerr;
    json_t *list = json_load_file(FIXTURE, 0, &jerr);
    struct err err = {{0}};

    if (list == NULL)
        fail_msg("%s: %s (run the tests from the repository root)", FIXTURE,
                 jerr.text);
    assert_non_null(rb);
    if (rbac_put(rb, list, &err) != 0)
        fail_msg("%s: %s", FIXTURE, err.msg);
    json_decref(list);
    return rb;
}

static void test_rbac_fixture_decisions(void **state)
{
    static const struct {
        const char *sa_ns, *sa_name, *project, *stream;
        int want;
    } cases[] = {
        /* RoleBinding of system:image-puller to project-a:default */
        {"project-a", "default", "project-b", "app", 1},
        {"project-a", "default", "project-b", "other", 1},
        /* ... and to the group system:serviceaccounts:project-a */
        {"project-a", "deployer", "project-b", "app", 1},
        /* edit to project-a:builder (and the group) */
        {"project-a", "builder", "project-b", "app", 1},
        /* Role app-layers-reader: resourceNames [app] */
        {"project-c", "default", "project-b", "app", 1},
        {"project-c", "default", "project-b", "other", 0},
        {"project-c", "builder", "project-b", "app", 0},
        /* ClusterRoleBinding of system:image-puller to project-b:default */
        {"project-b", "default", "project-a", "app", 1},
        {"project-b", "default", "project-x", "anything", 1},
        {"project-b", "builder", "project-a", "app", 0},
        /* nothing for project-x, nor for project-a elsewhere */
        {"project-x", "default", "project-b", "app", 0},
        {"project-x", "default", "project-a", "app", 0},
        {"project-a", "default", "project-c", "app", 0},
        {"project-c", "default", "project-a", "app", 0},
        /* kube-system's controllers are no image pullers */
        {"kube-system", "default", "project-b", "app", 0},
    };
    struct rbac *rb = load_fixture();
    struct rbac_why why;
    size_t i;

    (void)state;
    assert_int_equal(rbac_binding_count(rb), 11 + 42);
    assert_int_equal(rbac_role_count(rb), 8 + 60);
    for (i = 0; i < N(cases); i++) {
        if (rbac_may_pull(rb, cases[i].sa_ns, cases[i].sa_name,
                          cases[i].project, cases[i].stream) != cases[i].want)
            fail_msg("case %zu: %s:%s pulling %s/%s: want %d", i,
                     cases[i].sa_ns, cases[i].sa_name, cases[i].project,
                     cases[i].stream, cases[i].want);
    }

    /* builder is allowed through edit alone (the fixture's edit is an
     * aggregated role with rules: null, so the bootstrap edit is used). */
    rbac_delete(rb, "RoleBinding", "project-b",
                "image-puller-project-a-all-sas");
    assert_true(
        rbac_may_pull_why(rb, "project-a", "builder", "project-b", "x", &why));
    assert_string_equal(why.binding_name, "edit-builder");
    assert_string_equal(why.role_name, "edit");
    assert_int_equal(why.role_bootstrap, 1);
    assert_false(rbac_may_pull(rb, "project-a", "deployer", "project-b", "x"));
    assert_true(rbac_may_pull_why(rb, "project-c", "default", "project-b",
                                  "app", &why));
    assert_string_equal(why.role_kind, "Role");
    assert_string_equal(why.role_name, "app-layers-reader");
    assert_int_equal(why.role_bootstrap, 0);
    rbac_free(rb);
}

/* ---- malformed input ---- */

struct bad_case {
    const char *json;
    const char *msg;
};

#define RB_HEAD                                                                \
    "{'apiVersion':'rbac.authorization.k8s.io/v1','kind':'RoleBinding',"       \
    "'metadata':{'name':'x','namespace':'project-b'},"
#define REF                                                                    \
    "'roleRef':{'apiGroup':'rbac.authorization.k8s.io','kind':'ClusterRole',"  \
    "'name':'system:image-puller'}"
#define GOOD_RB RB_HEAD REF ",'subjects':" PULLER_SUBJECT "}"

static void test_rbac_malformed(void **state)
{
    static const struct bad_case cases[] = {
        {"{'kind':'List','apiVersion':'v1','items':[" GOOD_RB "," GOOD_RB
         "," GOOD_RB "," RB_HEAD REF ",'subjects':[{'name':'a'}]}]}",
         "items[3] (RoleBinding project-b/x): subjects[0].kind must be a "
         "string"},
        {RB_HEAD "'subjects':[]}",
         "RoleBinding project-b/x: roleRef must be an object"},
        {RB_HEAD "'roleRef':{'kind':'ClusterRole'}}",
         "RoleBinding project-b/x: roleRef.name must be a non-empty string"},
        {RB_HEAD "'roleRef':{'kind':'ClusterRole','name':7}}",
         "RoleBinding project-b/x: roleRef.name must be a non-empty string"},
        {RB_HEAD "'roleRef':{'kind':'Group','name':'a'}}",
         "RoleBinding project-b/x: roleRef.kind must be Role or ClusterRole, "
         "not \"Group\""},
        {RB_HEAD "'roleRef':{'name':'a'}}",
         "RoleBinding project-b/x: roleRef.kind must be a string"},
        {RB_HEAD REF ",'subjects':{}}",
         "RoleBinding project-b/x: subjects must be a list"},
        {RB_HEAD REF ",'subjects':['a']}",
         "RoleBinding project-b/x: subjects[0] must be an object"},
        {RB_HEAD REF ",'subjects':[{'kind':'User','name':1}]}",
         "RoleBinding project-b/x: subjects[0].name must be a string"},
        {RB_HEAD REF ",'subjects':[{'kind':'ServiceAccount','name':'a',"
                     "'namespace':[]}]}",
         "RoleBinding project-b/x: subjects[0].namespace must be a string"},
        {"{'apiVersion':'rbac.authorization.k8s.io/v1','kind':'RoleBinding',"
         "'metadata':{'name':'x'}," REF "}",
         "RoleBinding x: metadata.namespace must be a non-empty string"},
        {"{'apiVersion':'rbac.authorization.k8s.io/v1','kind':'RoleBinding',"
         "'metadata':{'namespace':'a'}," REF "}",
         "RoleBinding: metadata.name must be a non-empty string"},
        {"{'apiVersion':'rbac.authorization.k8s.io/v1','kind':'Role'}",
         "Role: metadata must be an object"},
        {"{'apiVersion':7,'kind':'Role'}", "Role: apiVersion must be a string"},
        {"{'apiVersion':'rbac.authorization.k8s.io/v1','kind':'ClusterRole',"
         "'metadata':{'name':'c'},'rules':{}}",
         "ClusterRole c: rules must be a list"},
        {"{'apiVersion':'rbac.authorization.k8s.io/v1','kind':'ClusterRole',"
         "'metadata':{'name':'c'},'rules':[{'verbs':['get',1]}]}",
         "ClusterRole c: rules[0].verbs[1] must be a string"},
        {"{'apiVersion':'rbac.authorization.k8s.io/v1','kind':'ClusterRole',"
         "'metadata':{'name':'c'},'rules':[{},{'resources':'x'}]}",
         "ClusterRole c: rules[1].resources must be a list of strings"},
        {"{'apiVersion':'rbac.authorization.k8s.io/v1','kind':'ClusterRole',"
         "'metadata':{'name':'c'},'rules':[3]}",
         "ClusterRole c: rules[0] must be an object"},
        {"{'kind':'List','items':[" GOOD_RB ",'x']}",
         "items[1]: must be an object"},
        {"{'kind':'List','items':[{'metadata':{}}]}",
         "items[0]: kind must be a string"},
        {"{'kind':'List','items':[{'kind':'List','items':[]}]}",
         "items[0] (List): a List inside a List"},
        {"{'kind':'RoleBindingList','items':{}}",
         "RoleBindingList: items must be a list"},
        {"{'apiVersion':'v1','kind':'ServiceAccount','metadata':{'name':"
         "'default','namespace':'a'},'imagePullSecrets':{}}",
         "ServiceAccount a/default: imagePullSecrets must be a list"},
        {"{'apiVersion':'v1','kind':'ServiceAccount','metadata':{'name':"
         "'default','namespace':'a'},'imagePullSecrets':[{'name':2}]}",
         "ServiceAccount a/default: imagePullSecrets[0].name must be a string"},
        {"{'apiVersion':'authorization.openshift.io/v1','kind':'RoleBinding',"
         "'metadata':{'name':'x','namespace':'project-b'},'roleRef':{"
         "'name':'r','namespace':'project-c'}}",
         "RoleBinding project-b/x: roleRef.namespace must be the binding's "
         "own"},
        {"{'apiVersion':'authorization.openshift.io/v1','kind':'RoleBinding',"
         "'metadata':{'name':'x','namespace':'project-b'},'roleRef':{"
         "'name':'r'},'userNames':'a'}",
         "RoleBinding project-b/x: userNames must be a list of strings"},
        {"[]", "the document must be an object"},
    };
    struct rbac *rb;
    size_t i;

    (void)state;
    for (i = 0; i < N(cases); i++) {
        struct err err;

        rb = rbac_new(&test_key);
        assert_non_null(rb);
        put_binding(rb, "project-z", "keep", "ClusterRole",
                    "system:image-puller", PULLER_SUBJECT);
        if (put(rb, cases[i].json, &err) != -1)
            fail_msg("case %zu: accepted %s", i, cases[i].json);
        if (strcmp(err.msg, cases[i].msg) != 0)
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, err.msg,
                     cases[i].msg);
        /* All or nothing: the good items before the bad one are not in. */
        assert_int_equal(rbac_binding_count(rb), 1);
        assert_false(
            rbac_may_pull(rb, "project-a", "default", "project-b", "a"));
        assert_true(
            rbac_may_pull(rb, "project-a", "default", "project-z", "a"));
        rbac_free(rb);
    }
}

static void test_rbac_ignored(void **state)
{
    static const char *const cases[] = {
        "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'c'}}",
        "{'apiVersion':'example.com/v1','kind':'RoleBinding','metadata':{}}",
        "{'apiVersion':'apps/v1','kind':'ServiceAccount'}",
        "{'apiVersion':'v1','kind':'List','items':null}",
        "{'apiVersion':'v1','kind':'List','items':[]}",
        "{'apiVersion':'v1','kind':'List','metadata':{}}",
        /* legacy OpenShift 3 kinds */
        "{'apiVersion':'v1','kind':'PolicyBinding','metadata':{'name':'p'}}",
    };
    struct rbac *rb = rbac_new(&test_key);
    size_t i;

    (void)state;
    assert_non_null(rb);
    for (i = 0; i < N(cases); i++)
        put_ok(rb, cases[i]);
    assert_int_equal(rbac_binding_count(rb), 0);
    assert_int_equal(rbac_role_count(rb), 0);
    rbac_free(rb);
}

/* ---- OpenShift's authorization.openshift.io forms ---- */

static void test_rbac_openshift_forms(void **state)
{
    static const struct {
        const char *what;
        const char *objs; /* a List */
        const char *sa_ns, *sa_name;
        int want;
    } cases[] = {
        {"ClusterRole by name, ServiceAccount subject",
         "[{'apiVersion':'authorization.openshift.io/v1','kind':'RoleBinding',"
         "'metadata':{'name':'x','namespace':'project-b'},'roleRef':{'name':"
         "'system:image-puller'},'subjects':" PULLER_SUBJECT ",'userNames':"
         "null,'groupNames':null}]",
         "project-a", "default", 1},
        {"userNames",
         "[{'apiVersion':'authorization.openshift.io/v1','kind':'RoleBinding',"
         "'metadata':{'name':'x','namespace':'project-b'},'roleRef':{'name':"
         "'system:image-puller'},'userNames':["
         "'system:serviceaccount:project-a:default'],'groupNames':null}]",
         "project-a", "default", 1},
        {"groupNames replace subjects (subjects side)",
         "[{'apiVersion':'authorization.openshift.io/v1','kind':'RoleBinding',"
         "'metadata':{'name':'x','namespace':'project-b'},'roleRef':{'name':"
         "'system:image-puller'},'subjects':" PULLER_SUBJECT ",'groupNames':"
         "['system:serviceaccounts:project-c']}]",
         "project-a", "default", 0},
        {"groupNames replace subjects (names side)",
         "[{'apiVersion':'authorization.openshift.io/v1','kind':'RoleBinding',"
         "'metadata':{'name':'x','namespace':'project-b'},'roleRef':{'name':"
         "'system:image-puller'},'subjects':" PULLER_SUBJECT ",'groupNames':"
         "['system:serviceaccounts:project-c']}]",
         "project-c", "default", 1},
        {"SystemGroup subject",
         "[{'apiVersion':'authorization.openshift.io/v1','kind':"
         "'ClusterRoleBinding','metadata':{'name':'x'},'roleRef':{'name':"
         "'registry-viewer'},'subjects':[{'kind':'SystemGroup','name':"
         "'system:authenticated'}]}]",
         "project-q", "x", 1},
        {"local Role by namespace",
         "[{'apiVersion':'authorization.openshift.io/v1','kind':'Role',"
         "'metadata':{'name':'r','namespace':'project-b'},'rules':[{"
         "'apiGroups':['image.openshift.io'],'resources':["
         "'imagestreams/layers'],'verbs':['get']}]},"
         "{'apiVersion':'authorization.openshift.io/v1','kind':'RoleBinding',"
         "'metadata':{'name':'x','namespace':'project-b'},'roleRef':{'name':"
         "'r','namespace':'project-b'},'subjects':" PULLER_SUBJECT "}]",
         "project-a", "default", 1},
        {"legacy rule without apiGroups means the legacy group",
         "[{'apiVersion':'authorization.openshift.io/v1','kind':'ClusterRole',"
         "'metadata':{'name':'r'},'rules':[{'resources':["
         "'imagestreams/layers'],'verbs':['get']}]},"
         "{'apiVersion':'authorization.openshift.io/v1','kind':'RoleBinding',"
         "'metadata':{'name':'x','namespace':'project-b'},'roleRef':{'name':"
         "'r'},'subjects':" PULLER_SUBJECT "}]",
         "project-a", "default", 0},
        {"legacy allow-all rule without apiGroups",
         "[{'apiVersion':'v1','kind':'ClusterRole','metadata':{'name':'r'},"
         "'rules':[{'resources':['*'],'verbs':['*']}]},"
         "{'apiVersion':'v1','kind':'RoleBinding','metadata':{'name':'x',"
         "'namespace':'project-b'},'roleRef':{'name':'r'},'subjects':"
         "" PULLER_SUBJECT "}]",
         "project-a", "default", 1},
        {"SystemUser is not an rbac.authorization.k8s.io kind",
         "[{'apiVersion':'rbac.authorization.k8s.io/v1','kind':'RoleBinding',"
         "'metadata':{'name':'x','namespace':'project-b'},'roleRef':{'kind':"
         "'ClusterRole','name':'system:image-puller'},'subjects':[{'kind':"
         "'SystemUser','name':'system:serviceaccount:project-a:default'}]}]",
         "project-a", "default", 0},
    };
    size_t i;

    (void)state;
    for (i = 0; i < N(cases); i++) {
        struct rbac *rb = rbac_new(&test_key);
        char buf[4096];
        int n;

        assert_non_null(rb);
        n = snprintf(buf, sizeof(buf), "{'kind':'List','items':%s}",
                     cases[i].objs);
        assert_true(n > 0 && (size_t)n < sizeof(buf));
        put_ok(rb, buf);
        if (rbac_may_pull(rb, cases[i].sa_ns, cases[i].sa_name, "project-b",
                          "app") != cases[i].want)
            fail_msg("case %zu (%s): want %d", i, cases[i].what, cases[i].want);
        rbac_free(rb);
    }
}

/* ---- service accounts ---- */

static void test_rbac_service_account_pull_secrets(void **state)
{
    struct rbac *rb = rbac_new(&test_key);
    const json_t *s;

    (void)state;
    assert_non_null(rb);
    put_ok(rb, "{'kind':'List','items':[{'apiVersion':'v1','kind':"
               "'ServiceAccount','metadata':{'name':'default','namespace':"
               "'a'},'imagePullSecrets':[{'name':'default-dockercfg-x1'},"
               "{'name':'quay'}]},{'apiVersion':'v1','kind':'ServiceAccount',"
               "'metadata':{'name':'builder','namespace':'a'}}]}");
    s = rbac_service_account_pull_secrets(rb, "a", "default");
    assert_non_null(s);
    assert_int_equal(json_array_size(s), 2);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(s, 1), "name")),
        "quay");
    s = rbac_service_account_pull_secrets(rb, "a", "builder");
    assert_non_null(s);
    assert_true(json_is_array(s));
    assert_int_equal(json_array_size(s), 0);
    assert_null(rbac_service_account_pull_secrets(rb, "b", "default"));
    assert_null(rbac_service_account_pull_secrets(rb, "a", NULL));
    /* Upsert, delete; service accounts are not bindings. */
    put_ok(rb, "{'apiVersion':'v1','kind':'ServiceAccount','metadata':{"
               "'name':'default','namespace':'a'},'imagePullSecrets':null}");
    assert_int_equal(
        json_array_size(rbac_service_account_pull_secrets(rb, "a", "default")),
        0);
    assert_int_equal(rbac_binding_count(rb), 0);
    rbac_delete(rb, "ServiceAccount", "a", "default");
    assert_null(rbac_service_account_pull_secrets(rb, "a", "default"));
    rbac_free(rb);
}

/* ---- cost: lookups visit only bindings that name the account ---- */

static void test_rbac_lookup_visits_own_bindings(void **state)
{
    struct rbac *rb = rbac_new(&test_key);
    struct rbac_why why;
    char ns[64], name[64], subj[256];
    int i;

    (void)state;
    assert_non_null(rb);
    for (i = 0; i < 2000; i++) {
        snprintf(ns, sizeof(ns), "ns-%d", i % 200);
        snprintf(name, sizeof(name), "b-%d", i);
        snprintf(subj, sizeof(subj),
                 "[{'kind':'ServiceAccount','name':'sa-%d','namespace':"
                 "'other-%d'}]",
                 i, i % 50);
        put_binding(rb, ns, name, "ClusterRole", "system:image-puller", subj);
    }
    put_binding(rb, "ns-7", "mine", "ClusterRole", "view", PULLER_SUBJECT);
    put_binding(rb, "ns-7", "mine-too", "ClusterRole", "edit", PULLER_SUBJECT);
    put_binding(rb, "ns-7", "all", "ClusterRole", "basic-user",
                "[{'kind':'Group','name':'system:authenticated'}]");
    assert_int_equal(rbac_binding_count(rb), 2003);
    assert_true(
        rbac_may_pull_why(rb, "project-a", "default", "ns-7", "a", &why));
    assert_true(why.considered >= 1 && why.considered <= 2);
    assert_false(
        rbac_may_pull_why(rb, "project-a", "default", "ns-8", "a", &why));
    assert_int_equal(why.considered, 0);
    assert_false(
        rbac_may_pull_why(rb, "project-x", "default", "ns-7", "a", &why));
    assert_int_equal(why.considered, 1); /* the system:authenticated one */
    rbac_free(rb);
}

/* ---- the index's hash map, against a plain array ---- */

static void test_rbac_strmap_matches_reference(void **state)
{
    enum { NKEYS = 3000, STEPS = 200000 };
    static int present[NKEYS];
    struct strmap *m = strmap_new(&test_key);
    unsigned long x = 12345;
    size_t count = 0, pos, len, seen;
    const char *key;
    void *val, *old;
    int i;

    (void)state;
    assert_non_null(m);
    memset(present, 0, sizeof(present));
    for (i = 0; i < STEPS; i++) {
        char k[32];
        int n, id, op;

        x = x * 6364136223846793005UL + 1442695040888963407UL;
        id = (int)((x >> 33) % NKEYS);
        op = (int)((x >> 20) % 3);
        /* Keys with an embedded NUL, as the composite keys have. */
        n = snprintf(k, sizeof(k), "ns-%d", id % 7);
        n += 1 + snprintf(k + n + 1, sizeof(k) - (size_t)n - 1, "k%d", id);
        if (op == 0) {
            assert_int_equal(
                strmap_put(m, k, (size_t)n, (void *)(intptr_t)(id + 1), &old),
                0);
            assert_int_equal((intptr_t)old, present[id] ? id + 1 : 0);
            count += !present[id];
            present[id] = 1;
        } else if (op == 1) {
            val = strmap_remove(m, k, (size_t)n);
            assert_int_equal((intptr_t)val, present[id] ? id + 1 : 0);
            count -= present[id];
            present[id] = 0;
        } else {
            val = strmap_get(m, k, (size_t)n);
            assert_int_equal((intptr_t)val, present[id] ? id + 1 : 0);
            /* The part before the NUL alone is another key. */
            assert_null(strmap_get(m, k, strlen(k)));
        }
        assert_int_equal(strmap_count(m), count);
    }
    pos = 0;
    seen = 0;
    while (strmap_next(m, &pos, &key, &len, &val)) {
        int id = (int)(intptr_t)val - 1;

        assert_true(id >= 0 && id < NKEYS && present[id]);
        assert_true(len > strlen(key));
        seen++;
    }
    assert_int_equal(seen, count);
    strmap_free(m);
    strmap_free(NULL);
    assert_int_equal(strmap_count(NULL), 0);
}

/* The key decides where entries go: another key, another order. */
static void test_rbac_strmap_keyed(void **state)
{
    static const struct siphash_key other = {1, 0};
    const struct siphash_key *keys[2] = {&test_key, &other};
    char order[2][64];
    struct strmap *m;
    size_t pos, len;
    const char *key;
    void *val;
    int i, k, n;

    (void)state;
    for (k = 0; k < 2; k++) {
        m = strmap_new(keys[k]);
        assert_non_null(m);
        for (i = 0; i < 64; i++) {
            char name[16];

            n = snprintf(name, sizeof(name), "rb-%d", i);
            assert_int_equal(
                strmap_put(m, name, (size_t)n, (void *)(intptr_t)(i + 1), NULL),
                0);
        }
        pos = 0;
        n = 0;
        while (strmap_next(m, &pos, &key, &len, &val))
            order[k][n++] = (char)(intptr_t)val;
        assert_int_equal(n, 64);
        strmap_free(m);
    }
    assert_memory_not_equal(order[0], order[1], sizeof(order[0]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rbac_subject_forms),
        cmocka_unit_test(test_rbac_role_ref),
        cmocka_unit_test(test_rbac_rule_matching),
        cmocka_unit_test(test_rbac_bootstrap_roles),
        cmocka_unit_test(test_rbac_source_roles_win),
        cmocka_unit_test(test_rbac_shared_resource_viewers),
        cmocka_unit_test(test_rbac_null_denies),
        cmocka_unit_test(test_rbac_upsert_replaces),
        cmocka_unit_test(test_rbac_delete),
        cmocka_unit_test(test_rbac_duplicate_subjects),
        cmocka_unit_test(test_rbac_fixture_decisions),
        cmocka_unit_test(test_rbac_pull_grants),
        cmocka_unit_test(test_rbac_malformed),
        cmocka_unit_test(test_rbac_ignored),
        cmocka_unit_test(test_rbac_openshift_forms),
        cmocka_unit_test(test_rbac_service_account_pull_secrets),
        cmocka_unit_test(test_rbac_lookup_visits_own_bindings),
        cmocka_unit_test(test_rbac_strmap_matches_reference),
        cmocka_unit_test(test_rbac_strmap_keyed),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
