/* bench_review.c - nanoseconds per review (parse, decide, serialise) for the
 * benchmark payloads, with 10, 10,000 and 100,000 bindings loaded, the JSON
 * in a jsonarena as in the server; and of that, the parse alone.
 *
 *   build/rel/tests/bench/bench_review [ITERATIONS]
 *
 * Prints figures only; nothing here asserts a time. */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <malloc.h>
#include <time.h>
#include <unistd.h>

#include "jsonarena.h"
#include "jsonout.h"
#include "review.h"
#include "yamljson.h"

static const char *const bench_payloads[] = {
    "tests/bench/payload-pod.json",
    "tests/bench/payload-pod-registry.json",
    "tests/bench/payload-deployment-40.json",
};

static double bench_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Resident memory of this process in MiB, from /proc/self/statm. */
static double bench_rss_mib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, rss = 0;

    if (f == NULL)
        return -1;
    if (fscanf(f, "%lu %lu", &size, &rss) != 2)
        rss = 0;
    fclose(f);
    return (double)rss * (double)sysconf(_SC_PAGESIZE) / (1024.0 * 1024.0);
}

static json_t *bench_binding(const char *ns, const char *name, const char *role,
                             const char *sa_ns, const char *sa)
{
    return json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s, s:s}, "
                     "s:[{s:s, s:s, s:s}]}",
                     "apiVersion", "rbac.authorization.k8s.io/v1", "kind",
                     "RoleBinding", "metadata", "name", name, "namespace", ns,
                     "roleRef", "apiGroup", "rbac.authorization.k8s.io", "kind",
                     "ClusterRole", "name", role, "subjects", "kind",
                     "ServiceAccount", "name", sa, "namespace", sa_ns);
}

/*
 * An index of n bindings: the ones the payloads need (project-a's default
 * may pull from project-b; everyone from openshift) and filler spread over
 * n / 10 namespaces, each granting pulls to service accounts elsewhere.
 */
static struct rbac *bench_index(size_t n)
{
    json_t *items = json_array(), *list;
    struct rbac *rb = rbac_new();
    struct err err = {{0}};
    size_t i;

    json_array_append_new(items, bench_binding("project-b", "pull",
                                               "system:image-puller",
                                               "project-a", "default"));
    json_array_append_new(
        items,
        json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s}, "
                  "s:[{s:s, s:s}]}",
                  "apiVersion", "rbac.authorization.k8s.io/v1", "kind",
                  "RoleBinding", "metadata", "name", "shared-resource-viewers",
                  "namespace", "openshift", "roleRef", "kind", "Role", "name",
                  "shared-resource-viewer", "subjects", "kind", "Group", "name",
                  "system:authenticated"));
    for (i = 2; i < n; i++) {
        char ns[32], name[32], sa_ns[32], sa[32];

        snprintf(ns, sizeof(ns), "team-%zu", i / 10);
        snprintf(name, sizeof(name), "pull-%zu", i);
        snprintf(sa_ns, sizeof(sa_ns), "team-%zu", (i * 7919) % (n / 10 + 1));
        snprintf(sa, sizeof(sa), "sa-%zu", i % 10);
        json_array_append_new(
            items,
            bench_binding(ns, name, i % 3 ? "system:image-puller" : "edit",
                          sa_ns, sa));
    }
    list = json_pack("{s:s, s:s, s:o}", "apiVersion", "v1", "kind", "List",
                     "items", items);
    if (rb == NULL || list == NULL || rbac_put(rb, list, &err) != 0) {
        fprintf(stderr, "bench_review: bindings: %s\n", err.msg);
        exit(1);
    }
    json_decref(list);
    malloc_trim(0); /* count the index, not the freed JSON it came from */
    return rb;
}

/*
 * ns per review of body, best of 3 rounds: parse, answer, serialise, as the
 * server does; with parse_only, the parse alone (rb unused).
 */
static double bench_run(const char *body, size_t len, enum review_endpoint ep,
                        const struct config *cfg, const struct rbac *rb,
                        int parse_only, long iterations)
{
    double t0, t, best = 1e30;
    int round;
    long i;

    for (round = 0; round < 3; round++) {
        t0 = bench_now();
        for (i = 0; i < iterations; i++) {
            struct err err = {{0}};
            json_t *req, *ans = NULL;
            size_t text_len;
            char *text = NULL;

            jsonarena_begin();
            req = review_parse(body, len, &err);
            if (req != NULL && !parse_only) {
                ans = review_answer(ep, req, cfg, rb, &err);
                text = jsonout_dumps(ans, &text_len);
            }
            if (req == NULL || (!parse_only && text == NULL)) {
                fprintf(stderr, "bench_review: %s\n", err.msg);
                exit(1);
            }
            free(text);
            json_decref(ans);
            json_decref(req);
            jsonarena_end();
        }
        t = bench_now() - t0;
        if (t < best)
            best = t;
    }
    return best * 1e9 / (double)iterations;
}

int main(int argc, char **argv)
{
    static const size_t sizes[] = {10, 10000, 100000};
    long iterations = argc > 1 ? strtol(argv[1], NULL, 10) : 20000;
    double first[3][2] = {{0}}, last[3][2] = {{0}};
    struct config *cfg = config_new_default();
    char *bodies[3];
    size_t lens[3], s, p;
    struct err aerr = {{0}};

    if (iterations < 1 || cfg == NULL) {
        fprintf(stderr, "usage: bench_review [ITERATIONS]\n");
        return 2;
    }
    if (jsonarena_init(1, (size_t)1 << 20, &aerr) != 0) {
        fprintf(stderr, "bench_review: %s\n", aerr.msg);
        return 1;
    }
    for (p = 0; p < 3; p++) {
        struct err err = {{0}};

        bodies[p] =
            yamljson_read_file(bench_payloads[p], 1 << 20, &lens[p], &err);
        if (bodies[p] == NULL) {
            fprintf(stderr, "bench_review: %s (run from the repo root)\n",
                    err.msg);
            return 1;
        }
    }
    printf("%-10s %-30s %6s %10s %11s %12s\n", "bindings", "payload", "bytes",
           "parse ns", "mutate ns", "validate ns");
    for (s = 0; s < 3; s++) {
        double t0 = bench_now();
        struct rbac *rb = bench_index(sizes[s]);
        double build_ms = (bench_now() - t0) * 1e3;

        for (p = 0; p < 3; p++) {
            double j = bench_run(bodies[p], lens[p], REVIEW_MUTATE, cfg, rb, 1,
                                 iterations);
            double m = bench_run(bodies[p], lens[p], REVIEW_MUTATE, cfg, rb, 0,
                                 iterations);
            double v = bench_run(bodies[p], lens[p], REVIEW_VALIDATE, cfg, rb,
                                 0, iterations);

            printf("%-10zu %-30s %6zu %10.0f %11.0f %12.0f\n", sizes[s],
                   bench_payloads[p] + strlen("tests/bench/"), lens[p], j, m,
                   v);
            if (s == 0) {
                first[p][0] = m;
                first[p][1] = v;
            }
            last[p][0] = m;
            last[p][1] = v;
        }
        printf("%-10zu index built in %.0f ms; %zu bindings; resident "
               "memory %.1f MiB\n",
               sizes[s], build_ms, rbac_binding_count(rb), bench_rss_mib());
        rbac_free(rb);
    }
    for (p = 0; p < 3; p++)
        printf("growth 100000/10 bindings, %-28s mutate %.2f  validate %.2f\n",
               bench_payloads[p] + strlen("tests/bench/"),
               last[p][0] / first[p][0], last[p][1] / first[p][1]);
    for (p = 0; p < 3; p++)
        free(bodies[p]);
    config_free(cfg);
    return 0;
}
