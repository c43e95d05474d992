/* test_metrics.c - the counters, their bounded labels, the latency buckets
 * and the text format of /metrics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

/* The value of the series whose line starts with series, -1 if absent. */
static double series(const char *text, const char *name)
{
    size_t n = strlen(name);
    const char *p = text;

    while ((p = strstr(p, name)) != NULL) {
        if ((p == text || p[-1] == '\n') && p[n] == ' ')
            return strtod(p + n + 1, NULL);
        p += n;
    }
    return -1;
}

static double scrape(const char *name)
{
    struct metrics_gauges g;
    char *text;
    double v;

    memset(&g, 0, sizeof(g));
    g.rbac_source = "none";
    text = metrics_render(&g);
    assert_non_null(text);
    v = series(text, name);
    free(text);
    return v;
}

#define BUCKET(ep, le)                                                         \
    "image_policy_webhook_request_duration_seconds_bucket{endpoint=\"" ep      \
    "\",le=\"" le "\"}"

static void test_metrics_latency_buckets(void **state)
{
    static const struct {
        double seconds;
        const char *first; /* the smallest bucket it falls in */
        const char *below; /* the bucket under it, NULL for none */
    } cases[] = {
        {0, BUCKET("validate", "5e-05"), NULL},
        {50e-6, BUCKET("validate", "5e-05"), NULL},
        {51e-6, BUCKET("validate", "0.0001"), BUCKET("validate", "5e-05")},
        {0.001, BUCKET("validate", "0.001"), BUCKET("validate", "0.0005")},
        {0.0011, BUCKET("validate", "0.0025"), BUCKET("validate", "0.001")},
        {1.0, BUCKET("validate", "1"), BUCKET("validate", "0.5")},
        {1.5, BUCKET("validate", "+Inf"), BUCKET("validate", "1")},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        double first = scrape(cases[i].first);
        double below = cases[i].below ? scrape(cases[i].below) : 0;
        double count = scrape("image_policy_webhook_request_duration_seconds_"
                              "count{endpoint=\"validate\"}");

        metrics_http("/validate", 200, cases[i].seconds);
        assert_true(scrape(cases[i].first) == first + 1);
        if (cases[i].below != NULL)
            assert_true(scrape(cases[i].below) == below);
        assert_true(scrape("image_policy_webhook_request_duration_seconds_"
                           "count{endpoint=\"validate\"}") == count + 1);
    }
    /* Other routes are not timed; a 200 is not an error. */
    metrics_http("/healthz", 200, 0.1);
    assert_true(scrape("image_policy_webhook_request_duration_seconds_count{"
                       "endpoint=\"mutate\"}") == 0);
    assert_true(scrape("image_policy_webhook_http_errors_total{route=\"/"
                       "healthz\",code=\"200\"}") == -1);
}

static void test_metrics_labels_bounded(void **state)
{
    struct review_stats st;
    struct metrics_gauges g;
    char *text;

    (void)state;
    memset(&st, 0, sizeof(st));
    metrics_review(REVIEW_MUTATE, "Secret\"}\n evil", "PATCH", METRICS_DENIED,
                   &st);
    metrics_review(REVIEW_MUTATE, NULL, NULL, METRICS_DENIED, &st);
    metrics_review(REVIEW_VALIDATE, "Deployment", "UPDATE", METRICS_ALLOWED,
                   &st);
    metrics_http("/../../etc", 404, 0);
    metrics_http("/readyz", 503, 0);
    metrics_http("/mutate", 600, 0); /* not an HTTP status: not counted */
    memset(&g, 0, sizeof(g));
    text = metrics_render(&g);
    assert_non_null(text);
    assert_null(strstr(text, "evil"));
    assert_null(strstr(text, "PATCH"));
    assert_null(strstr(text, "etc"));
    assert_null(strstr(text, "600"));
    assert_true(series(text, "image_policy_webhook_reviews_total{endpoint=\""
                             "mutate\",kind=\"other\",operation=\"other\","
                             "decision=\"denied\"}") == 2);
    assert_true(series(text, "image_policy_webhook_reviews_total{endpoint=\""
                             "validate\",kind=\"Deployment\",operation=\""
                             "UPDATE\",decision=\"allowed\"}") == 1);
    assert_true(series(text, "image_policy_webhook_http_errors_total{route=\""
                             "other\",code=\"404\"}") == 1);
    assert_true(series(text, "image_policy_webhook_http_errors_total{route=\""
                             "/readyz\",code=\"503\"}") == 1);
    free(text);
}

static void test_metrics_reasons_and_patches(void **state)
{
    struct review_stats st;
    double d = scrape("image_policy_webhook_denials_total{reason=\"cross-"
                      "project\"}");
    double w = scrape("image_policy_webhook_warnings_total{reason=\"dated-"
                      "tag\"}");
    double p = scrape("image_policy_webhook_patches_total");
    double ops = scrape("image_policy_webhook_patch_operations_total");

    (void)state;
    memset(&st, 0, sizeof(st));
    st.denials[VERDICT_CROSS_PROJECT] = 2;
    st.warnings[VERDICT_DATED_TAG] = 3;
    metrics_review(REVIEW_VALIDATE, "Pod", "CREATE", METRICS_DENIED, &st);
    memset(&st, 0, sizeof(st));
    st.patch_ops = 4;
    metrics_review(REVIEW_MUTATE, "Pod", "CREATE", METRICS_PATCHED, &st);
    assert_true(scrape("image_policy_webhook_denials_total{reason=\"cross-"
                       "project\"}") == d + 2);
    assert_true(scrape("image_policy_webhook_warnings_total{reason=\"dated-"
                       "tag\"}") == w + 3);
    assert_true(scrape("image_policy_webhook_patches_total") == p + 1);
    assert_true(scrape("image_policy_webhook_patch_operations_total") ==
                ops + 4);
    /* Every reason is always there, zero or not. */
    assert_true(scrape("image_policy_webhook_warnings_total{reason=\"cross-"
                       "stream-alias\"}") >= 0);
}

static void test_metrics_decision_of(void **state)
{
    static const struct {
        const char *answer;
        unsigned patch_ops;
        enum metrics_decision want;
    } cases[] = {
        {"{\"response\":{\"allowed\":true}}", 0, METRICS_ALLOWED},
        {"{\"response\":{\"allowed\":false}}", 0, METRICS_DENIED},
        {"{\"response\":{\"allowed\":true,\"patch\":\"W10=\"}}", 0,
         METRICS_PATCHED},
        {"{\"response\":{\"allowed\":true}}", 2, METRICS_PATCHED},
        {"{}", 0, METRICS_ALLOWED},
    };
    struct review_stats st;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *a = json_loads(cases[i].answer, 0, NULL);

        memset(&st, 0, sizeof(st));
        st.patch_ops = cases[i].patch_ops;
        assert_int_equal(metrics_decision_of(a, &st), cases[i].want);
        json_decref(a);
    }
    assert_string_equal(metrics_decision_name(METRICS_PATCHED), "patched");
    assert_string_equal(metrics_decision_name(METRICS_DECISIONS), "unknown");
}

static void test_metrics_gauges(void **state)
{
    struct metrics_gauges g;
    struct kube_stats ks;
    char *text;

    (void)state;
    memset(&g, 0, sizeof(g));
    memset(&ks, 0, sizeof(ks));
    ks.connected = 1;
    ks.relists = 7;
    g.rbac_source = "kube";
    g.bindings = 42;
    g.synced = 1;
    g.kube = &ks;
    g.cert_not_after = 1900000000;
    text = metrics_render(&g);
    assert_non_null(text);
    assert_true(series(text, "image_policy_webhook_rbac_source_info{source=\""
                             "kube\"}") == 1);
    assert_true(series(text, "image_policy_webhook_rbac_source_info{source=\""
                             "file\"}") == 0);
    assert_true(series(text, "image_policy_webhook_rbac_bindings") == 42);
    assert_true(series(text, "image_policy_webhook_rbac_watch_connected") == 1);
    assert_true(series(text, "image_policy_webhook_rbac_relists_total") == 7);
    assert_true(series(text, "image_policy_webhook_certificate_expiry_"
                             "timestamp_seconds") == 1900000000);
    free(text);
    /* Without --kube or a certificate: no such series. */
    g.kube = NULL;
    g.cert_not_after = 0;
    text = metrics_render(&g);
    assert_null(strstr(text, "rbac_watch_connected"));
    assert_null(strstr(text, "certificate_expiry"));
    assert_non_null(strstr(text, "image_policy_webhook_build_info{version=\""));
    free(text);
}

/* The three results of --record-dir, each its own series. */
static void test_metrics_record_results(void **state)
{
    (void)state;
    assert_true(scrape("image_policy_webhook_recorded_reviews_total{result=\""
                       "rotated\"}") == 0);
    metrics_record(METRICS_RECORD_SUCCESS, 1);
    metrics_record(METRICS_RECORD_ROTATED, 3);
    metrics_record(METRICS_RECORD_ROTATED, 2);
    metrics_record(METRICS_RECORD_FAILURE, 1);
    metrics_record(METRICS_RECORD_RESULTS, 7); /* not a result: ignored */
    assert_true(scrape("image_policy_webhook_recorded_reviews_total{result=\""
                       "success\"}") == 1);
    assert_true(scrape("image_policy_webhook_recorded_reviews_total{result=\""
                       "failure\"}") == 1);
    assert_true(scrape("image_policy_webhook_recorded_reviews_total{result=\""
                       "rotated\"}") == 5);
}

#define THREADS 8
#define ROUNDS  100000

static void *hammer(void *arg)
{
    struct review_stats st;
    int i;

    (void)arg;
    memset(&st, 0, sizeof(st));
    st.warnings[VERDICT_LATEST] = 1;
    for (i = 0; i < ROUNDS; i++) {
        metrics_review(REVIEW_VALIDATE, "CronJob", "CONNECT", METRICS_ALLOWED,
                       &st);
        metrics_http("/mutate", 200, 0.0003);
    }
    return NULL;
}

/* Concurrent increments are never lost (and ThreadSanitizer-clean). */
static void test_metrics_concurrent(void **state)
{
    pthread_t t[THREADS];
    double w = scrape("image_policy_webhook_warnings_total{reason=\"latest\"}");
    double b = scrape(BUCKET("mutate", "0.0005"));
    int i;

    (void)state;
    for (i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, hammer, NULL), 0);
    for (i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    assert_true(scrape("image_policy_webhook_reviews_total{endpoint=\""
                       "validate\",kind=\"CronJob\",operation=\"CONNECT\","
                       "decision=\"allowed\"}") == THREADS * ROUNDS);
    assert_true(scrape("image_policy_webhook_warnings_total{reason=\""
                       "latest\"}") == w + THREADS * ROUNDS);
    assert_true(scrape(BUCKET("mutate", "0.0005")) == b + THREADS * ROUNDS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metrics_latency_buckets),
        cmocka_unit_test(test_metrics_labels_bounded),
        cmocka_unit_test(test_metrics_reasons_and_patches),
        cmocka_unit_test(test_metrics_decision_of),
        cmocka_unit_test(test_metrics_gauges),
        cmocka_unit_test(test_metrics_record_results),
        cmocka_unit_test(test_metrics_concurrent),
    };

    metrics_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
