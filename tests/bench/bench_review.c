/* bench_review.c - nanoseconds per review (parse, decide, serialise) for the
 * benchmark payloads, with 10, 10,000 and 100,000 bindings loaded, the JSON
 * in a jsonarena as in the server; and of that, the parse alone.
 *
 *   build/rel/tests/bench/bench_review [ITERATIONS]
 *
 * ITERATIONS (default 4000) reviews a measure; every measure is taken in 5
 * rounds and the best kept. Prints figures only; nothing here asserts a
 * time. */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <malloc.h>
#include <time.h>
#include <unistd.h>

#include "hashkey.h"
#include "jsonarena.h"
#include "jsonout.h"
#include "readfile.h"
#include "review.h"

static const char *const bench_payloads[] = {
    "tests/bench/payload-pod.json",
    "tests/bench/payload-pod-registry.json",
    "tests/bench/payload-deployment-40.json",
    /* the worst an image.openshift.io/triggers annotation can ask: 999
     * entries naming 999 placeholder containers by name */
    "tests/bench/payload-deployment-triggers-999.json",
};
#define BENCH_PAYLOADS (sizeof(bench_payloads) / sizeof(bench_payloads[0]))

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
    struct rbac *rb = rbac_new(hashkey_get());
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
 * ns per review of body over iterations: parse, answer, serialise, as the
 * server does; with parse_only, the parse alone (rb unused).
 */
static double bench_run(const char *body, size_t len, enum review_endpoint ep,
                        const struct config *cfg, const struct rbac *rb,
                        int parse_only, long iterations)
{
    double t0 = bench_now();
    long i;

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
    return (bench_now() - t0) * 1e9 / (double)iterations;
}

#define BENCH_SIZES  3
#define BENCH_ROUNDS 5

/* Reviews a measure of payload p: fewer for larger ones, so that each
 * measure takes about as long as the first payload's. */
static long bench_reps(long iterations, const size_t *lens, size_t p)
{
    long n = (long)((double)iterations * (double)lens[0] / (double)lens[p]);

    return n < 20 ? 20 : n;
}

int main(int argc, char **argv)
{
    /* Largest first: the resident memory after it is that index's alone. */
    static const size_t sizes[BENCH_SIZES] = {100000, 10000, 10};
    long iterations = argc > 1 ? strtol(argv[1], NULL, 10) : 4000;
    /* [size][payload][parse, mutate, validate]: best ns of the rounds */
    double best[BENCH_SIZES][BENCH_PAYLOADS][3];
    struct rbac *rb[BENCH_SIZES];
    struct config *cfg = config_new_default();
    char *bodies[BENCH_PAYLOADS];
    size_t lens[BENCH_PAYLOADS], s, p, k;
    struct err aerr = {{0}};
    int round;

    if (iterations < 1 || cfg == NULL) {
        fprintf(stderr, "usage: bench_review [ITERATIONS]\n");
        return 2;
    }
    if (hashkey_init(&aerr) != 0 ||
        jsonarena_init(1, (size_t)1 << 20, &aerr) != 0) {
        fprintf(stderr, "bench_review: %s\n", aerr.msg);
        return 1;
    }
    for (p = 0; p < BENCH_PAYLOADS; p++) {
        struct err err = {{0}};

        bodies[p] = readfile_all(bench_payloads[p], 1 << 20, &lens[p], &err);
        if (bodies[p] == NULL) {
            fprintf(stderr, "bench_review: %s (run from the repo root)\n",
                    err.msg);
            return 1;
        }
    }
    for (s = 0; s < BENCH_SIZES; s++) {
        double rss0 = bench_rss_mib(), t0 = bench_now(), build_ms, rss1;

        rb[s] = bench_index(sizes[s]);
        build_ms = (bench_now() - t0) * 1e3;
        rss1 = bench_rss_mib();
        printf("%zu bindings: index built in %.0f ms, %.1f MiB more resident "
               "(%.1f MiB in all)\n",
               rbac_binding_count(rb[s]), build_ms, rss1 - rss0, rss1);
    }
    /*
     * Rounds go over every size and payload in turn, so that a slow spell
     * of a shared machine falls on all of them alike; each figure is the
     * best of the rounds.
     */
    for (s = 0; s < BENCH_SIZES; s++)
        for (p = 0; p < BENCH_PAYLOADS; p++)
            for (k = 0; k < 3; k++)
                best[s][p][k] = 1e30;
    for (round = 0; round < BENCH_ROUNDS; round++)
        for (s = 0; s < BENCH_SIZES; s++)
            for (p = 0; p < BENCH_PAYLOADS; p++)
                for (k = 0; k < 3; k++) {
                    double ns = bench_run(
                        bodies[p], lens[p],
                        k == 2 ? REVIEW_VALIDATE : REVIEW_MUTATE, cfg, rb[s],
                        k == 0, bench_reps(iterations, lens, p));

                    if (ns < best[s][p][k])
                        best[s][p][k] = ns;
                }
    printf("\n%-10s %-30s %6s %10s %11s %12s\n", "bindings", "payload", "bytes",
           "parse ns", "mutate ns", "validate ns");
    for (s = BENCH_SIZES; s-- > 0;)
        for (p = 0; p < BENCH_PAYLOADS; p++)
            printf("%-10zu %-30s %6zu %10.0f %11.0f %12.0f\n", sizes[s],
                   bench_payloads[p] + strlen("tests/bench/"), lens[p],
                   best[s][p][0], best[s][p][1], best[s][p][2]);
    for (p = 0; p < BENCH_PAYLOADS; p++)
        printf("growth 100000/10 bindings, %-28s mutate %.2f  validate %.2f\n",
               bench_payloads[p] + strlen("tests/bench/"),
               best[0][p][1] / best[BENCH_SIZES - 1][p][1],
               best[0][p][2] / best[BENCH_SIZES - 1][p][2]);
    for (s = 0; s < BENCH_SIZES; s++)
        rbac_free(rb[s]);
    for (p = 0; p < BENCH_PAYLOADS; p++)
        free(bodies[p]);
    config_free(cfg);
    return 0;
}
