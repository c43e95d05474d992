/* test_config.c - config defaults, every key, errors that name the key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "config.h"

static void test_config_defaults(void **state)
{
    struct config *cfg = config_new_default();

    (void)state;
    assert_non_null(cfg);
    assert_int_equal(cfg->pull_mode, CONFIG_PULL_DEFAULT);
    assert_int_equal(cfg->cross_project, CONFIG_DENY);
    assert_int_equal(cfg->registries.n, 1);
    assert_string_equal(cfg->registries.v[0],
                        "image-registry.openshift-image-registry.svc:5000");
    assert_int_equal(cfg->invalid_refs, CONFIG_WARN);
    assert_true(cfg->warn_dated_tags);
    assert_false(cfg->warn_latest);
    assert_int_equal(cfg->exempt_namespaces.n, 0);
    assert_int_equal(cfg->cross_stream_aliases, CONFIG_DENY);
    assert_int_equal(cfg->pull_secrets, CONFIG_WARN);
    assert_int_equal(cfg->max_body, 8u << 20);
    config_free(cfg);
}

static void test_config_every_key(void **state)
{
    json_t *root = json_loads(
        "{\"pullPolicy\":{\"mode\":\"enforce\"},"
        "\"crossProject\":{\"enforcement\":\"warn\",\"registries\":"
        "[\"reg.example:5000\",\"Other.Example\"]},"
        "\"invalidReferences\":\"deny\","
        "\"tagConventions\":{\"warnDatedTags\":false,\"warnLatest\":true},"
        "\"exemptNamespaces\":[\"kube-system\",\"openshift-*\"],"
        "\"imageStreams\":{\"crossStreamAliases\":\"off\"},"
        "\"pullSecrets\":{\"registries\":[\"quay.io\"],\"globalRegistries\":"
        "[\"registry.redhat.io\"],\"enforcement\":\"deny\"},"
        "\"server\":{\"maxBodyBytes\":1048576}}",
        0, NULL);
    struct err err = {{0}};
    struct config *cfg = config_from_json(root, &err);

    (void)state;
    assert_non_null(cfg);
    assert_int_equal(cfg->pull_mode, CONFIG_PULL_ENFORCE);
    assert_int_equal(cfg->cross_project, CONFIG_WARN);
    assert_int_equal(cfg->registries.n, 2);
    assert_string_equal(cfg->registries.v[1], "Other.Example");
    assert_int_equal(cfg->invalid_refs, CONFIG_DENY);
    assert_false(cfg->warn_dated_tags);
    assert_true(cfg->warn_latest);
    assert_int_equal(cfg->exempt_namespaces.n, 2);
    assert_int_equal(cfg->cross_stream_aliases, CONFIG_OFF);
    assert_string_equal(cfg->pull_secret_registries.v[0], "quay.io");
    assert_string_equal(cfg->global_registries.v[0], "registry.redhat.io");
    assert_int_equal(cfg->pull_secrets, CONFIG_DENY);
    assert_int_equal(cfg->max_body, 1048576);
    assert_true(config_namespace_exempt(cfg, "kube-system"));
    assert_true(config_namespace_exempt(cfg, "openshift-monitoring"));
    assert_false(config_namespace_exempt(cfg, "openshift"));
    assert_false(config_namespace_exempt(cfg, "kube-system-2"));
    assert_false(config_namespace_exempt(cfg, "project-a"));
    config_free(cfg);
    json_decref(root);
}

/* "off" written unquoted reaches us as false from YAML 1.1 readers. */
static void test_config_false_means_off(void **state)
{
    json_t *root = json_loads("{\"crossProject\":{\"enforcement\":false},"
                              "\"invalidReferences\":\"off\"}",
                              0, NULL);
    struct config *cfg = config_from_json(root, NULL);

    (void)state;
    assert_non_null(cfg);
    assert_int_equal(cfg->cross_project, CONFIG_OFF);
    assert_int_equal(cfg->invalid_refs, CONFIG_OFF);
    config_free(cfg);
    json_decref(root);
}

static void test_config_errors_name_the_key(void **state)
{
    static const struct {
        const char *json, *msg;
    } cases[] = {
        {"{\"pullPolicy\":{\"mode\":\"sometimes\"}}",
         "pullPolicy.mode: must be one of default, enforce, always"},
        {"{\"pullPolicy\":{\"mdoe\":\"always\"}}",
         "pullPolicy.mdoe: unknown key"},
        {"{\"pullpolicy\":{}}", "pullpolicy: unknown key"},
        {"{\"crossProject\":{\"enforcement\":\"block\"}}",
         "crossProject.enforcement: must be one of off, warn, deny"},
        {"{\"crossProject\":{\"enforcement\":true}}",
         "crossProject.enforcement: must be one of off, warn, deny"},
        {"{\"crossProject\":{\"registries\":\"reg:5000\"}}",
         "crossProject.registries: must be a list of strings"},
        {"{\"crossProject\":{\"registries\":[\"a\",3]}}",
         "crossProject.registries[1]: must be a non-empty string"},
        {"{\"crossProject\":[]}", "crossProject: must be a mapping"},
        {"{\"tagConventions\":{\"warnLatest\":\"yes\"}}",
         "tagConventions.warnLatest: must be true or false"},
        {"{\"exemptNamespaces\":\"kube-system\"}",
         "exemptNamespaces: must be a list of strings"},
        {"{\"imageStreams\":{\"crossStreamAliases\":\"allow\"}}",
         "imageStreams.crossStreamAliases: must be one of off, warn, deny"},
        {"{\"pullSecrets\":{\"enforcement\":\"error\"}}",
         "pullSecrets.enforcement: must be one of off, warn, deny"},
        {"{\"pullSecrets\":{\"secret\":1}}", "pullSecrets.secret: unknown key"},
        {"{\"server\":{\"maxBodyBytes\":10}}",
         "server.maxBodyBytes: must be an integer from 1024 to 1073741824"},
        {"{\"invalidReferences\":\"warning\"}",
         "invalidReferences: must be one of off, warn, deny"},
        {"[]", "config must be a mapping"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *root = json_loads(cases[i].json, 0, NULL);
        struct err err = {{0}};

        assert_non_null(root);
        assert_null(config_from_json(root, &err));
        assert_string_equal(err.msg, cases[i].msg);
        json_decref(root);
    }
}

static void test_config_null_sections_keep_defaults(void **state)
{
    json_t *root =
        json_loads("{\"pullPolicy\":null,\"exemptNamespaces\":null}", 0, NULL);
    struct config *cfg = config_from_json(root, NULL);

    (void)state;
    assert_non_null(cfg);
    assert_int_equal(cfg->pull_mode, CONFIG_PULL_DEFAULT);
    assert_int_equal(cfg->exempt_namespaces.n, 0);
    config_free(cfg);
    json_decref(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_defaults),
        cmocka_unit_test(test_config_every_key),
        cmocka_unit_test(test_config_false_means_off),
        cmocka_unit_test(test_config_errors_name_the_key),
        cmocka_unit_test(test_config_null_sections_keep_defaults),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
