/* bench_rbac.c - RBAC index: build time and cost of a decision by size. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "hashkey.h"
#include "rbac.h"

/*
 * Each namespace proj-<i> holds what a busy OpenShift project holds: the
 * three bindings OpenShift makes for every project (image pullers,
 * builders, deployers), an admin, pulls granted to two other projects, a
 * CI service account with edit, a team group with view, a Role that lets a
 * third project pull one stream, and a registry-viewer robot. That is 10
 * RoleBindings and one Role a namespace; sizes are 10 bindings (one
 * namespace), 10,000 and 100,000. Four ClusterRoleBindings come on top.
 */

#define PER_NS    10
#define N_QUERIES 4096
#define DECISIONS 400000
#define ROUNDS    5

/* Where the timed answers go, so that the loop is not optimised away. */
static volatile long sink;

struct query {
    char sa_ns[32], sa_name[16], project[32], stream[16];
    int want;
};

static double now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static json_t *subject_sa(const char *ns, const char *name)
{
    return json_pack("{s:s, s:s, s:s}", "kind", "ServiceAccount", "name", name,
                     "namespace", ns);
}

static json_t *subject(const char *kind, const char *name)
{
    return json_pack("{s:s, s:s, s:s}", "kind", kind, "apiGroup",
                     "rbac.authorization.k8s.io", "name", name);
}

static json_t *binding(const char *ns, const char *name, const char *ref_kind,
                       const char *ref, json_t *subj)
{
    json_t *md = json_pack("{s:s}", "name", name);

    if (ns != NULL)
        json_object_set_new(md, "namespace", json_string(ns));
    return json_pack("{s:s, s:s, s:o, s:{s:s, s:s, s:s}, s:[o]}", "apiVersion",
                     "rbac.authorization.k8s.io/v1", "kind",
                     ns != NULL ? "RoleBinding" : "ClusterRoleBinding",
                     "metadata", md, "roleRef", "apiGroup",
                     "rbac.authorization.k8s.io", "kind", ref_kind, "name", ref,
                     "subjects", subj);
}

static void ns_name(char *buf, size_t len, size_t i, size_t n_ns)
{
    snprintf(buf, len, "proj-%zu", i % n_ns);
}

/* The List for n_ns namespaces. */
static json_t *make_list(size_t n_ns)
{
    json_t *items = json_array();
    char ns[32], other[64], user[32], team[32];
    size_t i;

    for (i = 0; i < n_ns; i++) {
        ns_name(ns, sizeof(ns), i, n_ns);
        snprintf(user, sizeof(user), "user-%zu", i);
        snprintf(team, sizeof(team), "team-%zu", i);
        snprintf(other, sizeof(other), "system:serviceaccounts:%s", ns);
        json_array_append_new(
            items, binding(ns, "system:image-pullers", "ClusterRole",
                           "system:image-puller", subject("Group", other)));
        json_array_append_new(
            items, binding(ns, "system:image-builders", "ClusterRole",
                           "system:image-builder", subject_sa(ns, "builder")));
        json_array_append_new(items, binding(ns, "system:deployers",
                                             "ClusterRole", "system:deployer",
                                             subject_sa(ns, "deployer")));
        json_array_append_new(items, binding(ns, "admin", "ClusterRole",
                                             "admin", subject("User", user)));
        ns_name(other, sizeof(other), i + 1, n_ns + 1);
        json_array_append_new(items, binding(ns, "pull-1", "ClusterRole",
                                             "system:image-puller",
                                             subject_sa(other, "default")));
        ns_name(other, sizeof(other), i + 2, n_ns + 2);
        json_array_append_new(items, binding(ns, "pull-2", "ClusterRole",
                                             "system:image-puller",
                                             subject_sa(other, "default")));
        json_array_append_new(items,
                              binding(ns, "ci-edit", "ClusterRole", "edit",
                                      subject_sa("ci-tools", "ci")));
        json_array_append_new(items, binding(ns, "team-view", "ClusterRole",
                                             "view", subject("Group", team)));
        ns_name(other, sizeof(other), i + 3, n_ns + 3);
        json_array_append_new(items,
                              binding(ns, "app-reader", "Role", "app-reader",
                                      subject_sa(other, "default")));
        ns_name(other, sizeof(other), i + 4, n_ns + 4);
        json_array_append_new(items, binding(ns, "robot", "ClusterRole",
                                             "registry-viewer",
                                             subject_sa(other, "robot")));
        json_array_append_new(
            items,
            json_pack("{s:s, s:s, s:{s:s, s:s}, s:[{s:[s], s:[s], s:[s], "
                      "s:[s]}]}",
                      "apiVersion", "rbac.authorization.k8s.io/v1", "kind",
                      "Role", "metadata", "name", "app-reader", "namespace", ns,
                      "rules", "apiGroups", "image.openshift.io", "resources",
                      "imagestreams/layers", "verbs", "get", "resourceNames",
                      "app"));
    }
    json_array_append_new(items, binding(NULL, "cluster-admins", "ClusterRole",
                                         "cluster-admin",
                                         subject("Group", "system:masters")));
    json_array_append_new(
        items, binding(NULL, "registry", "ClusterRole", "system:image-puller",
                       subject_sa("openshift-image-registry", "registry")));
    json_array_append_new(
        items, binding(NULL, "basic-users", "ClusterRole", "basic-user",
                       subject("Group", "system:authenticated")));
    json_array_append_new(items,
                          binding(NULL, "self-access-reviewers", "ClusterRole",
                                  "self-access-reviewer",
                                  subject("Group", "system:authenticated")));
    return json_pack("{s:s, s:s, s:o}", "apiVersion", "v1", "kind", "List",
                     "items", items);
}

/* Half allowed, half denied, spread over the namespaces. */
static void make_queries(struct query *q, size_t n_ns)
{
    uint64_t x = 88172645463325252ULL;
    size_t k;

    for (k = 0; k < N_QUERIES; k++) {
        size_t i;
        int kind;

        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        i = (size_t)(x % n_ns);
        kind = (int)((x >> 32) % 8);
        ns_name(q[k].project, sizeof(q[k].project), i, n_ns);
        snprintf(q[k].stream, sizeof(q[k].stream), "app");
        snprintf(q[k].sa_name, sizeof(q[k].sa_name), "default");
        switch (kind) {
        case 0: /* granted to the next project */
            ns_name(q[k].sa_ns, sizeof(q[k].sa_ns), i + 1, n_ns + 1);
            q[k].want = 1;
            break;
        case 1: /* one stream through a Role */
            ns_name(q[k].sa_ns, sizeof(q[k].sa_ns), i + 3, n_ns + 3);
            q[k].want = 1;
            break;
        case 2: /* CI through edit (bootstrap rules) */
            snprintf(q[k].sa_ns, sizeof(q[k].sa_ns), "ci-tools");
            snprintf(q[k].sa_name, sizeof(q[k].sa_name), "ci");
            q[k].want = 1;
            break;
        case 3: /* the robot through registry-viewer */
            ns_name(q[k].sa_ns, sizeof(q[k].sa_ns), i + 4, n_ns + 4);
            snprintf(q[k].sa_name, sizeof(q[k].sa_name), "robot");
            q[k].want = 1;
            break;
        case 4: /* nothing for this project */
            ns_name(q[k].sa_ns, sizeof(q[k].sa_ns), i + 5, n_ns + 5);
            snprintf(q[k].sa_ns + strlen(q[k].sa_ns),
                     sizeof(q[k].sa_ns) - strlen(q[k].sa_ns), "-x");
            q[k].want = 0;
            break;
        case 5: /* the Role names another stream */
            ns_name(q[k].sa_ns, sizeof(q[k].sa_ns), i + 3, n_ns + 3);
            snprintf(q[k].stream, sizeof(q[k].stream), "db");
            q[k].want = 0;
            break;
        case 6: /* the deployer of the next project has nothing here */
            ns_name(q[k].sa_ns, sizeof(q[k].sa_ns), i + 1, n_ns + 1);
            snprintf(q[k].sa_name, sizeof(q[k].sa_name), "deployer");
            q[k].want = 0;
            break;
        default: /* an account of no project at all */
            snprintf(q[k].sa_ns, sizeof(q[k].sa_ns), "elsewhere");
            q[k].want = 0;
            break;
        }
    }
}

static int run(size_t n_ns, double *per_decision)
{
    struct query *q = calloc(N_QUERIES, sizeof(*q));
    json_t *list = make_list(n_ns);
    struct rbac *rb = rbac_new(hashkey_get());
    struct err err = {{0}};
    double t0, t1;
    long allowed = 0, wrong = 0, considered = 0;
    size_t k;
    int r, rc = -1;

    if (q == NULL || list == NULL || rb == NULL)
        goto out;
    make_queries(q, n_ns);
    t0 = now_ns();
    if (rbac_put(rb, list, &err) != 0) {
        fprintf(stderr, "rbac_put: %s\n", err.msg);
        goto out;
    }
    t1 = now_ns();
    /* Untimed: check the answers, count the bindings each one looked at. */
    for (k = 0; k < N_QUERIES; k++) {
        struct rbac_why why;
        int got = rbac_may_pull_why(rb, q[k].sa_ns, q[k].sa_name, q[k].project,
                                    q[k].stream, &why);

        allowed += got;
        wrong += got != q[k].want;
        considered += why.considered;
    }
    /* Best of ROUNDS: the machine may be busy with other work. */
    *per_decision = 0;
    for (r = 0; r < ROUNDS; r++) {
        double t2 = now_ns(), t3;
        int sum = 0;

        for (k = 0; k < DECISIONS; k++) {
            const struct query *c = &q[k % N_QUERIES];

            sum +=
                rbac_may_pull(rb, c->sa_ns, c->sa_name, c->project, c->stream);
        }
        t3 = now_ns();
        sink += sum;
        if (r == 0 || (t3 - t2) / DECISIONS < *per_decision)
            *per_decision = (t3 - t2) / DECISIONS;
    }
    printf("%7zu bindings %6zu namespaces  build %7.1f ms (%5.2f "
           "us/binding)  %6.1f ns/decision  %4.2f bindings "
           "looked at/decision  %2.0f%% allowed\n",
           rbac_binding_count(rb), n_ns, (t1 - t0) / 1e6,
           (t1 - t0) / 1e3 / (double)rbac_binding_count(rb), *per_decision,
           (double)considered / N_QUERIES, 100.0 * allowed / N_QUERIES);
    if (wrong != 0) {
        fprintf(stderr, "%ld wrong decisions\n", wrong);
        goto out;
    }
    rc = 0;
out:
    rbac_free(rb);
    json_decref(list);
    free(q);
    return rc;
}

int main(void)
{
    /* 10 bindings make one namespace: the 4 ClusterRoleBindings are extra. */
    static const size_t sizes[] = {1, 10000 / PER_NS, 100000 / PER_NS};
    double per[3];
    size_t i;

    if (hashkey_init(NULL) != 0)
        return 1;
    for (i = 0; i < 3; i++) {
        if (run(sizes[i], &per[i]) != 0)
            return 1;
    }
    printf("ratio 100k/10: %.2f\n", per[2] / per[0]);
    return 0;
}
