/* metrics.c - Prometheus metrics: lock-free counters and the text format. */
#include "metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <microhttpd.h>

#include "strbuf.h"

/* The webhook's version, from the Makefile (git describe). */
#ifndef IPW_VERSION
#define IPW_VERSION "unknown"
#endif

#define METRICS_PREFIX "image_policy_webhook_"
/* The text stays well below this (a few hundred series at most). */
#define METRICS_TEXT_MAX ((size_t)4 << 20)

/* Label tables: a value outside them counts as the last entry, "other". */
static const char *const metrics_kinds[] = {"Pod",
                                            "PodTemplate",
                                            "ReplicationController",
                                            "ReplicaSet",
                                            "Deployment",
                                            "StatefulSet",
                                            "DaemonSet",
                                            "Job",
                                            "CronJob",
                                            "DeploymentConfig",
                                            "BuildConfig",
                                            "Build",
                                            "ImageStream",
                                            "ImageStreamTag",
                                            "ImageTag",
                                            "EphemeralContainers",
                                            "other"};
#define METRICS_KINDS (sizeof(metrics_kinds) / sizeof(metrics_kinds[0]))

static const char *const metrics_ops[] = {"CREATE", "UPDATE", "DELETE",
                                          "CONNECT", "other"};
#define METRICS_OPS (sizeof(metrics_ops) / sizeof(metrics_ops[0]))

static const char *const metrics_endpoints[] = {
    [REVIEW_MUTATE] = "mutate", [REVIEW_VALIDATE] = "validate"};
#define METRICS_ENDPOINTS 2

static const char *const metrics_routes[] = {"/mutate", "/validate", "/healthz",
                                             "/readyz", "/metrics",  "other"};
#define METRICS_ROUTES (sizeof(metrics_routes) / sizeof(metrics_routes[0]))

/* HTTP errors are counted for these status codes. */
#define METRICS_CODE_MIN 400
#define METRICS_CODES    200

/* Upper bounds of the latency buckets, in nanoseconds: 50 us to 1 s. */
static const unsigned long long metrics_bounds_ns[] = {
    50000ULL,     100000ULL,    250000ULL,    500000ULL,    1000000ULL,
    2500000ULL,   5000000ULL,   10000000ULL,  25000000ULL,  50000000ULL,
    100000000ULL, 250000000ULL, 500000000ULL, 1000000000ULL};
static const char *const metrics_bounds_text[] = {
    "5e-05", "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005",
    "0.01",  "0.025",  "0.05",    "0.1",    "0.25",  "0.5",    "1"};
#define METRICS_BUCKETS                                                        \
    (sizeof(metrics_bounds_ns) / sizeof(metrics_bounds_ns[0]))

static atomic_ullong metrics_reviews[METRICS_ENDPOINTS][METRICS_KINDS]
                                    [METRICS_OPS][METRICS_DECISIONS];
static atomic_ullong metrics_patches, metrics_patch_ops;
static atomic_ullong metrics_denials[VERDICT_REASONS];
static atomic_ullong metrics_warnings[VERDICT_REASONS];
/* Per bucket, not cumulative; the last one is above 1 s (+Inf). */
static atomic_ullong metrics_latency[METRICS_ENDPOINTS][METRICS_BUCKETS + 1];
static atomic_ullong metrics_latency_ns[METRICS_ENDPOINTS];
static atomic_ullong metrics_errors[METRICS_ROUTES][METRICS_CODES];
static atomic_ullong metrics_reloads[2];
static atomic_ullong metrics_recorded[METRICS_RECORD_RESULTS];
static _Atomic long long metrics_start_s;

/*
 * The last audit (serve --audit-interval), under metrics_audit_lock (one
 * writer every interval, one reader a scrape). A series once non-zero stays
 * (at 0 when its findings are gone): an alert sees it resolve rather than
 * vanish.
 */
static pthread_mutex_t metrics_audit_lock = PTHREAD_MUTEX_INITIALIZER;
static int metrics_audited;
static unsigned metrics_audit_findings[VERDICT_REASONS][METRICS_KINDS];
static unsigned char metrics_audit_shown[VERDICT_REASONS][METRICS_KINDS];
static double metrics_audit_seconds;
static time_t metrics_audit_at;

static void metrics_add(atomic_ullong *c, unsigned long long n)
{
    atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static unsigned long long metrics_get(atomic_ullong *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

/* The index of s in table (n entries, the last "other"); n-1 if absent. */
static size_t metrics_index(const char *const *table, size_t n, const char *s)
{
    size_t i;

    for (i = 0; s != NULL && i + 1 < n; i++)
        if (strcmp(table[i], s) == 0)
            return i;
    return n - 1;
}

enum metrics_decision metrics_decision_of(const json_t *answer,
                                          const struct review_stats *stats)
{
    const json_t *resp = json_object_get(answer, "response");

    if (json_is_false(json_object_get(resp, "allowed")))
        return METRICS_DENIED;
    if ((stats != NULL && stats->patch_ops > 0) ||
        json_object_get(resp, "patch") != NULL)
        return METRICS_PATCHED;
    return METRICS_ALLOWED;
}

const char *metrics_decision_name(enum metrics_decision d)
{
    static const char *const names[METRICS_DECISIONS] = {
        [METRICS_ALLOWED] = "allowed",
        [METRICS_DENIED] = "denied",
        [METRICS_PATCHED] = "patched"};

    return (unsigned)d < METRICS_DECISIONS ? names[d] : "unknown";
}

void metrics_init(void)
{
    atomic_store(&metrics_start_s, (long long)time(NULL));
}

void metrics_review(enum review_endpoint ep, const char *kind,
                    const char *operation, enum metrics_decision d,
                    const struct review_stats *stats)
{
    size_t k = metrics_index(metrics_kinds, METRICS_KINDS, kind);
    size_t o = metrics_index(metrics_ops, METRICS_OPS, operation);
    int r;

    if ((unsigned)ep >= METRICS_ENDPOINTS || (unsigned)d >= METRICS_DECISIONS)
        return;
    metrics_add(&metrics_reviews[ep][k][o][d], 1);
    if (stats == NULL)
        return;
    if (stats->patch_ops > 0) {
        metrics_add(&metrics_patches, 1);
        metrics_add(&metrics_patch_ops, stats->patch_ops);
    }
    for (r = 0; r < VERDICT_REASONS; r++) {
        if (stats->denials[r] > 0)
            metrics_add(&metrics_denials[r], stats->denials[r]);
        if (stats->warnings[r] > 0)
            metrics_add(&metrics_warnings[r], stats->warnings[r]);
    }
}

void metrics_http(const char *route, int status, double seconds)
{
    size_t rt = metrics_index(metrics_routes, METRICS_ROUTES, route);
    unsigned long long ns;
    size_t b;

    if (status >= METRICS_CODE_MIN && status < METRICS_CODE_MIN + METRICS_CODES)
        metrics_add(&metrics_errors[rt][status - METRICS_CODE_MIN], 1);
    if (rt >= METRICS_ENDPOINTS) /* "/mutate" and "/validate" come first */
        return;
    ns = seconds > 0 ? (unsigned long long)(seconds * 1e9 + 0.5) : 0;
    for (b = 0; b < METRICS_BUCKETS && ns > metrics_bounds_ns[b]; b++)
        ;
    metrics_add(&metrics_latency[rt][b], 1);
    metrics_add(&metrics_latency_ns[rt], ns);
}

void metrics_reload(int ok)
{
    metrics_add(&metrics_reloads[ok ? 1 : 0], 1);
}

void metrics_record(enum metrics_record_result r, unsigned long long n)
{
    if ((unsigned)r < METRICS_RECORD_RESULTS)
        metrics_add(&metrics_recorded[r], n);
}

void metrics_audit(const json_t *findings, double seconds, time_t at)
{
    size_t i, k;
    int r;
    json_t *f;

    pthread_mutex_lock(&metrics_audit_lock);
    memset(metrics_audit_findings, 0, sizeof(metrics_audit_findings));
    json_array_foreach(findings, i, f)
    {
        const char *reason = json_string_value(json_object_get(f, "reason"));

        for (r = 0; r < VERDICT_REASONS; r++)
            if (reason != NULL &&
                strcmp(reason, verdict_reason_name((enum verdict_reason)r)) ==
                    0)
                break;
        if (r == VERDICT_REASONS)
            continue;
        k = metrics_index(metrics_kinds, METRICS_KINDS,
                          json_string_value(json_object_get(f, "kind")));
        metrics_audit_findings[r][k]++;
        metrics_audit_shown[r][k] = 1;
    }
    metrics_audit_seconds = seconds;
    metrics_audit_at = at;
    metrics_audited = 1;
    pthread_mutex_unlock(&metrics_audit_lock);
}

/* # HELP and # TYPE lines of a metric. */
static void metrics_head(struct strbuf *b, const char *name, const char *type,
                         const char *help)
{
    strbuf_printf(
        b, "# HELP " METRICS_PREFIX "%s %s\n# TYPE " METRICS_PREFIX "%s %s\n",
        name, help, name, type);
}

/* A metric without labels, with its HELP and TYPE. */
static void metrics_one(struct strbuf *b, const char *name, const char *type,
                        const char *help, double v)
{
    metrics_head(b, name, type, help);
    strbuf_printf(b, METRICS_PREFIX "%s %.17g\n", name, v);
}

static void metrics_render_reviews(struct strbuf *b)
{
    size_t e, k, o, d;
    int r;

    metrics_head(b, "reviews_total", "counter",
                 "AdmissionReviews answered, by endpoint, kind, operation and "
                 "decision (allowed, denied, patched).");
    for (e = 0; e < METRICS_ENDPOINTS; e++)
        for (k = 0; k < METRICS_KINDS; k++)
            for (o = 0; o < METRICS_OPS; o++)
                for (d = 0; d < METRICS_DECISIONS; d++) {
                    unsigned long long n =
                        metrics_get(&metrics_reviews[e][k][o][d]);

                    if (n == 0)
                        continue;
                    strbuf_printf(
                        b,
                        METRICS_PREFIX "reviews_total{endpoint=\"%s\","
                                       "kind=\"%s\",operation=\"%s\","
                                       "decision=\"%s\"} %llu\n",
                        metrics_endpoints[e], metrics_kinds[k], metrics_ops[o],
                        metrics_decision_name((enum metrics_decision)d), n);
                }
    metrics_one(b, "patches_total", "counter",
                "AdmissionReview answers that carried a JSON Patch.",
                (double)metrics_get(&metrics_patches));
    metrics_one(b, "patch_operations_total", "counter",
                "JSON Patch operations sent (one per imagePullPolicy set).",
                (double)metrics_get(&metrics_patch_ops));
    metrics_head(b, "denials_total", "counter",
                 "Parts of denial messages (one per offending container or "
                 "reference), by reason.");
    for (r = 0; r < VERDICT_REASONS; r++)
        strbuf_printf(b, METRICS_PREFIX "denials_total{reason=\"%s\"} %llu\n",
                      verdict_reason_name((enum verdict_reason)r),
                      metrics_get(&metrics_denials[r]));
    metrics_head(b, "warnings_total", "counter",
                 "Warnings sent in AdmissionReview answers, by reason.");
    for (r = 0; r < VERDICT_REASONS; r++)
        strbuf_printf(b, METRICS_PREFIX "warnings_total{reason=\"%s\"} %llu\n",
                      verdict_reason_name((enum verdict_reason)r),
                      metrics_get(&metrics_warnings[r]));
}

static void metrics_render_http(struct strbuf *b)
{
    size_t e, i;

    metrics_head(b, "request_duration_seconds", "histogram",
                 "Time from the end of the request headers to the answer, "
                 "for /mutate and /validate.");
    for (e = 0; e < METRICS_ENDPOINTS; e++) {
        unsigned long long cum = 0;

        for (i = 0; i <= METRICS_BUCKETS; i++) {
            cum += metrics_get(&metrics_latency[e][i]);
            strbuf_printf(b,
                          METRICS_PREFIX "request_duration_seconds_bucket{"
                                         "endpoint=\"%s\",le=\"%s\"} %llu\n",
                          metrics_endpoints[e],
                          i < METRICS_BUCKETS ? metrics_bounds_text[i] : "+Inf",
                          cum);
        }
        /* The count is the +Inf bucket: a scrape never sees them differ. */
        strbuf_printf(b,
                      METRICS_PREFIX "request_duration_seconds_sum{endpoint="
                                     "\"%s\"} %.9f\n" METRICS_PREFIX
                                     "request_duration_seconds_count{"
                                     "endpoint=\"%s\"} %llu\n",
                      metrics_endpoints[e],
                      (double)metrics_get(&metrics_latency_ns[e]) / 1e9,
                      metrics_endpoints[e], cum);
    }
    metrics_head(b, "http_errors_total", "counter",
                 "HTTP answers with a status from 400 to 599, by route and "
                 "status code.");
    for (e = 0; e < METRICS_ROUTES; e++)
        for (i = 0; i < METRICS_CODES; i++) {
            unsigned long long n = metrics_get(&metrics_errors[e][i]);

            if (n > 0)
                strbuf_printf(b,
                              METRICS_PREFIX "http_errors_total{route=\"%s\","
                                             "code=\"%zu\"} %llu\n",
                              metrics_routes[e], i + METRICS_CODE_MIN, n);
        }
}

static void metrics_render_kube(struct strbuf *b, const struct kube_stats *k)
{
    metrics_one(b, "rbac_watch_connected", "gauge",
                "1 while every watch on the Kubernetes API is open (--kube).",
                k->connected ? 1 : 0);
    metrics_one(b, "rbac_state_age_seconds", "gauge",
                "0 while connected; else how old the RBAC index may be "
                "(--kube).",
                k->state_age_s);
    metrics_one(b, "rbac_last_sync_timestamp_seconds", "gauge",
                "When the last complete list of RBAC objects ended, in Unix "
                "time; 0 before the first (--kube).",
                (double)k->last_sync);
    metrics_one(b, "rbac_objects", "gauge",
                "RBAC objects the index holds from the Kubernetes API.",
                (double)k->objects);
    metrics_one(b, "rbac_lists_total", "counter",
                "Complete lists of RBAC objects (first, after 410 Gone, "
                "resync).",
                (double)k->lists);
    metrics_one(b, "rbac_relists_total", "counter",
                "Lists after the first, for any reason.", (double)k->relists);
    metrics_one(b, "rbac_watch_expired_total", "counter",
                "410 Gone answers from the Kubernetes API.",
                (double)k->expired);
    metrics_one(b, "rbac_reconnects_total", "counter",
                "Watches or lists of the Kubernetes API that failed.",
                (double)k->reconnects);
    metrics_one(b, "rbac_events_total", "counter",
                "Watch events (ADDED, MODIFIED, DELETED) applied.",
                (double)k->events);
    metrics_one(b, "rbac_skipped_total", "counter",
                "Malformed watch events or objects skipped.",
                (double)k->skipped);
}

static void metrics_render_state(struct strbuf *b,
                                 const struct metrics_gauges *g)
{
    static const char *const sources[] = {"file", "kube", "none"};
    static const char *const record_results[METRICS_RECORD_RESULTS] = {
        [METRICS_RECORD_SUCCESS] = "success",
        [METRICS_RECORD_FAILURE] = "failure",
        [METRICS_RECORD_ROTATED] = "rotated"};
    size_t i;

    metrics_head(b, "rbac_source_info", "gauge",
                 "Where RBAC bindings come from: 1 for the source in use "
                 "(file: --bindings, kube: --kube, none).");
    for (i = 0; i < 3; i++)
        strbuf_printf(b, METRICS_PREFIX "rbac_source_info{source=\"%s\"} %d\n",
                      sources[i],
                      g->rbac_source != NULL &&
                          strcmp(g->rbac_source, sources[i]) == 0);
    metrics_one(b, "rbac_bindings", "gauge",
                "RoleBindings and ClusterRoleBindings in the index.",
                (double)g->bindings);
    metrics_one(b, "rbac_synced", "gauge",
                "1 once the bindings source has been read in full.",
                g->synced ? 1 : 0);
    if (g->kube != NULL)
        metrics_render_kube(b, g->kube);
    metrics_head(b, "config_reloads_total", "counter",
                 "SIGHUP reloads of config and bindings, by result.");
    strbuf_printf(b,
                  METRICS_PREFIX "config_reloads_total{result=\"success\"} "
                                 "%llu\n" METRICS_PREFIX
                                 "config_reloads_total{result=\"failure\"} "
                                 "%llu\n",
                  metrics_get(&metrics_reloads[1]),
                  metrics_get(&metrics_reloads[0]));
    metrics_head(b, "recorded_reviews_total", "counter",
                 "Reviews written as case files by --record-dir (success), "
                 "not recorded (failure), and case files deleted to keep "
                 "the directory within its caps (rotated).");
    for (i = 0; i < METRICS_RECORD_RESULTS; i++)
        strbuf_printf(
            b, METRICS_PREFIX "recorded_reviews_total{result=\"%s\"} %llu\n",
            record_results[i], metrics_get(&metrics_recorded[i]));
    if (g->cert_not_after != 0)
        metrics_one(b, "certificate_expiry_timestamp_seconds", "gauge",
                    "notAfter of the serving certificate in use, in Unix "
                    "time.",
                    (double)g->cert_not_after);
}

static void metrics_render_audit(struct strbuf *b)
{
    size_t k;
    int r;

    pthread_mutex_lock(&metrics_audit_lock);
    if (!metrics_audited) {
        pthread_mutex_unlock(&metrics_audit_lock);
        return;
    }
    metrics_head(b, "audit_findings", "gauge",
                 "Findings of the last audit of the cluster "
                 "(--audit-interval), by reason and kind.");
    for (r = 0; r < VERDICT_REASONS; r++)
        for (k = 0; k < METRICS_KINDS; k++)
            if (metrics_audit_shown[r][k])
                strbuf_printf(b,
                              METRICS_PREFIX "audit_findings{reason=\"%s\","
                                             "kind=\"%s\"} %u\n",
                              verdict_reason_name((enum verdict_reason)r),
                              metrics_kinds[k], metrics_audit_findings[r][k]);
    metrics_one(b, "audit_last_run_timestamp_seconds", "gauge",
                "When the last audit ended, in Unix time.",
                (double)metrics_audit_at);
    metrics_one(b, "audit_duration_seconds", "gauge",
                "How long the last audit took.", metrics_audit_seconds);
    pthread_mutex_unlock(&metrics_audit_lock);
}

char *metrics_render(const struct metrics_gauges *g)
{
    struct strbuf b;
    char *text = NULL;

    memset(&b, 0, sizeof(b));
    b.max = METRICS_TEXT_MAX;
    metrics_head(&b, "build_info", "gauge",
                 "1, with the versions of the webhook and its libraries as "
                 "labels.");
    strbuf_printf(&b,
                  METRICS_PREFIX "build_info{version=\"%s\",libmicrohttpd=\""
                                 "%s\",gnutls=\"%s\",jansson=\"%s\"} 1\n",
                  IPW_VERSION, MHD_get_version(), gnutls_check_version(NULL),
                  jansson_version_str());
    strbuf_printf(&b,
                  "# HELP process_start_time_seconds Start time of the "
                  "process since the Unix epoch in seconds.\n"
                  "# TYPE process_start_time_seconds gauge\n"
                  "process_start_time_seconds %lld\n",
                  atomic_load(&metrics_start_s));
    metrics_render_reviews(&b);
    metrics_render_http(&b);
    metrics_render_state(&b, g);
    metrics_render_audit(&b);
    if (!b.failed && b.p != NULL) {
        text = b.p; /* taken over */
        b.p = NULL;
    }
    strbuf_free(&b);
    return text;
}
