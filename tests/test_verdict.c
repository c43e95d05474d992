/* test_verdict.c - reasons of warnings and denials, and the review stats
 * that metrics and logs read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "review.h"
#include "verdict.h"

#define REG "image-registry.openshift-image-registry.svc:5000"

static void test_verdict_reason_names(void **state)
{
    static const char *const want[VERDICT_REASONS] = {
        "cross-project", "invalid-reference", "dated-tag",
        "latest",        "pull-secret",       "cross-stream-alias",
        "too-large",     "trigger-annotation"};
    int r;

    (void)state;
    for (r = 0; r < VERDICT_REASONS; r++)
        assert_string_equal(verdict_reason_name((enum verdict_reason)r),
                            want[r]);
    assert_string_equal(verdict_reason_name(VERDICT_REASONS), "unknown");
}

static void test_verdict_counts_by_reason(void **state)
{
    struct verdict v;

    (void)state;
    assert_int_equal(verdict_init(&v), 0);
    verdict_warn(&v, VERDICT_LATEST, "w %d", 1);
    verdict_warn(&v, VERDICT_LATEST, "w %d", 2);
    verdict_deny(&v, VERDICT_CROSS_PROJECT, "d %d", 1);
    verdict_act(&v, CONFIG_WARN, VERDICT_PULL_SECRET, "a %d", 1);
    verdict_act(&v, CONFIG_DENY, VERDICT_INVALID_REFERENCE, "a %d", 2);
    verdict_act(&v, CONFIG_OFF, VERDICT_DATED_TAG, "a %d", 3);
    assert_int_equal(v.warned[VERDICT_LATEST], 2);
    assert_int_equal(v.warned[VERDICT_PULL_SECRET], 1);
    assert_int_equal(v.warned[VERDICT_DATED_TAG], 0);
    assert_int_equal(v.denied[VERDICT_CROSS_PROJECT], 1);
    assert_int_equal(v.denied[VERDICT_INVALID_REFERENCE], 1);
    assert_int_equal(json_array_size(v.warnings), 3);
    assert_string_equal(strbuf_str(&v.deny), "d 1; a 2");
    verdict_free(&v);
}

/* A message that cuts a name inside a character stays valid UTF-8. */
static void test_verdict_cut_characters(void **state)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"plain", "plain"},
        {"caf\xc3\xa9", "caf\xc3\xa9"},               /* é whole */
        {"caf\xc3", "caf?"},                          /* é cut */
        {"\xe2\x82\xac \xe2\x82", "\xe2\x82\xac ??"}, /* € whole, then cut */
        {"\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"},     /* 4 bytes whole */
        {"\xf0\x9f\x98", "???"},
        {"\xc0\xaf", "??"},           /* overlong */
        {"\xed\xa0\x80", "???"},      /* a surrogate */
        {"\xf4\x90\x80\x80", "????"}, /* past U+10FFFF */
        {"\xff", "?"},
    };
    struct verdict v;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(verdict_init_findings(&v), 0);
        verdict_warn(&v, VERDICT_LATEST, "%s", cases[i].in);
        verdict_deny(&v, VERDICT_CROSS_PROJECT, "%s", cases[i].in);
        assert_false(v.failed);
        assert_string_equal(json_string_value(json_array_get(v.warnings, 0)),
                            cases[i].want);
        assert_string_equal(strbuf_str(&v.deny), cases[i].want);
        assert_string_equal(json_string_value(json_object_get(
                                json_array_get(v.findings, 1), "message")),
                            cases[i].want);
        verdict_free(&v);
    }
}

/* A Pod CREATE in project-a with the given containers (JSON text). */
static json_t *mk_pod(const char *containers)
{
    json_t *c = json_loads(containers, 0, NULL);
    json_t *rv;

    assert_non_null(c);
    rv = json_pack(
        "{s:s, s:s, s:{s:s, s:{s:s, s:s, s:s}, s:s, s:s, s:{s:{s:o}}}}",
        "apiVersion", "admission.k8s.io/v1", "kind", "AdmissionReview",
        "request", "uid", "u-1", "kind", "group", "", "version", "v1", "kind",
        "Pod", "operation", "CREATE", "namespace", "project-a", "object",
        "spec", "containers", c);
    assert_non_null(rv);
    return rv;
}

/* The answer of review_answer_stats equals review_answer's; return stats. */
static void answer_with_stats(enum review_endpoint ep, const json_t *rv,
                              const struct config *cfg, struct review_stats *st)
{
    struct err err = {{0}};
    json_t *a = review_answer(ep, rv, cfg, NULL, &err);
    json_t *b = review_answer_stats(ep, rv, cfg, NULL, st, &err);
    const json_t *resp = json_object_get(b, "response");
    unsigned w = 0, d = 0;
    int r;

    assert_non_null(a);
    assert_non_null(b);
    assert_true(json_equal(a, b));
    for (r = 0; r < VERDICT_REASONS; r++) {
        w += st->warnings[r];
        d += st->denials[r];
    }
    assert_int_equal(w, json_array_size(json_object_get(resp, "warnings")));
    assert_int_equal(d > 0, json_is_false(json_object_get(resp, "allowed")));
    json_decref(a);
    json_decref(b);
}

static void test_verdict_review_stats_warnings(void **state)
{
    struct err err = {{0}};
    json_t *cj = json_pack(
        "{s:{s:b, s:b}, s:{s:s, s:[s]}, s:s, s:{s:[s], s:s}}", "tagConventions",
        "warnDatedTags", 1, "warnLatest", 1, "crossProject", "enforcement",
        "warn", "registries", REG, "invalidReferences", "warn", "pullSecrets",
        "registries", "quay.io", "enforcement", "warn");
    struct config *cfg = config_from_json(cj, &err);
    json_t *rv = mk_pod("[{\"name\":\"a\",\"image\":\"nginx\"},"
                        "{\"name\":\"b\",\"image\":\"Bad Image\"},"
                        "{\"name\":\"c\",\"image\":\"app:v1-2019-05-01\"},"
                        "{\"name\":\"d\",\"image\":\"" REG "/project-b/x:v1\"},"
                        "{\"name\":\"e\",\"image\":\"quay.io/o/r:v1\"}]");
    struct review_stats st;

    (void)state;
    assert_non_null(cfg);
    answer_with_stats(REVIEW_VALIDATE, rv, cfg, &st);
    assert_int_equal(st.warnings[VERDICT_LATEST], 1);
    assert_int_equal(st.warnings[VERDICT_INVALID_REFERENCE], 1);
    assert_int_equal(st.warnings[VERDICT_DATED_TAG], 1);
    assert_int_equal(st.warnings[VERDICT_CROSS_PROJECT], 1);
    assert_int_equal(st.warnings[VERDICT_PULL_SECRET], 1);
    assert_int_equal(st.patch_ops, 0);
    json_decref(rv);
    json_decref(cj);
    config_free(cfg);
}

static void test_verdict_review_stats_denials(void **state)
{
    struct err err = {{0}};
    json_t *cj = json_pack("{s:{s:s, s:[s]}, s:s, s:{s:[s], s:s}}",
                           "crossProject", "enforcement", "deny", "registries",
                           REG, "invalidReferences", "deny", "pullSecrets",
                           "registries", "quay.io", "enforcement", "deny");
    struct config *cfg = config_from_json(cj, &err);
    json_t *rv = mk_pod("[{\"name\":\"b\",\"image\":\"Bad Image\"},"
                        "{\"name\":\"d\",\"image\":\"" REG "/project-b/x:v1\"},"
                        "{\"name\":\"f\",\"image\":\"" REG "/project-c/y:v1\"},"
                        "{\"name\":\"e\",\"image\":\"quay.io/o/r:v1\"}]");
    struct review_stats st;

    (void)state;
    assert_non_null(cfg);
    answer_with_stats(REVIEW_VALIDATE, rv, cfg, &st);
    assert_int_equal(st.denials[VERDICT_INVALID_REFERENCE], 1);
    assert_int_equal(st.denials[VERDICT_CROSS_PROJECT], 2);
    assert_int_equal(st.denials[VERDICT_PULL_SECRET], 1);
    json_decref(rv);
    json_decref(cj);
    config_free(cfg);
}

static void test_verdict_review_stats_alias(void **state)
{
    struct config *cfg = config_new_default();
    struct review_stats st;
    json_t *rv = json_pack(
        "{s:s, s:{s:s, s:{s:s, s:s, s:s}, s:s, s:s, s:{s:{s:s}, s:{s:[{s:s, "
        "s:{s:s, s:s, s:s}}]}}}}",
        "kind", "AdmissionReview", "request", "uid", "u-2", "kind", "group",
        "image.openshift.io", "version", "v1", "kind", "ImageStream",
        "operation", "CREATE", "namespace", "project-a", "object", "metadata",
        "name", "app", "spec", "tags", "name", "20190501", "from", "kind",
        "ImageStreamTag", "namespace", "project-b", "name", "app:v1");

    (void)state;
    assert_non_null(rv);
    answer_with_stats(REVIEW_VALIDATE, rv, cfg, &st);
    assert_int_equal(st.denials[VERDICT_CROSS_STREAM_ALIAS], 1);
    assert_int_equal(st.warnings[VERDICT_DATED_TAG], 1);
    json_decref(rv);
    config_free(cfg);
}

static void test_verdict_review_stats_patch_ops(void **state)
{
    struct config *cfg = config_new_default();
    struct review_stats st;
    json_t *rv = mk_pod("[{\"name\":\"a\",\"image\":\"nginx\"},"
                        "{\"name\":\"b\",\"image\":\"nginx:1.25\"}]");

    (void)state;
    answer_with_stats(REVIEW_MUTATE, rv, cfg, &st);
    assert_int_equal(st.patch_ops, 2);
    json_decref(rv);
    /* Not an AdmissionReview: NULL, and the stats say nothing. */
    rv = json_pack("{s:s}", "kind", "AdmissionReview");
    st.patch_ops = 7;
    assert_null(review_answer_stats(REVIEW_MUTATE, rv, cfg, NULL, &st, NULL));
    assert_int_equal(st.patch_ops, 0);
    json_decref(rv);
    config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verdict_reason_names),
        cmocka_unit_test(test_verdict_counts_by_reason),
        cmocka_unit_test(test_verdict_cut_characters),
        cmocka_unit_test(test_verdict_review_stats_warnings),
        cmocka_unit_test(test_verdict_review_stats_denials),
        cmocka_unit_test(test_verdict_review_stats_alias),
        cmocka_unit_test(test_verdict_review_stats_patch_ops),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
