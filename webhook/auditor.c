/* auditor.c - audits run: objects from files or the API reviewed against a
 * state, once (audit) or every interval while serving (--audit-interval). */
#define _GNU_SOURCE
#include "auditor.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dirlist.h"
#include "kubelist.h"
#include "log.h"
#include "metrics.h"
#include "monotime.h"
#include "strbuf.h"
#include "thread.h"
#include "yamljson.h"

/* The largest file audit reads: a dump of a big cluster. */
#define AUDITOR_FILE_MAX ((size_t)1 << 30)
/* Folders deeper than this are not followed (a loop of links). */
#define AUDITOR_DEPTH_MAX 32

/* What one pass over the inputs reviews into and tells. */
struct auditor_pass {
    struct audit *a;
    const struct state *st;
    const struct auditor_scope *scope;
    auditor_say_fn *say;
    void *arg;
    size_t failed;
};

static void auditor_say(struct auditor_pass *p, int failed, const char *fmt,
                        ...) __attribute__((format(printf, 3, 4)));
static void auditor_say(struct auditor_pass *p, int failed, const char *fmt,
                        ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    p->failed += (size_t)failed;
    if (p->say != NULL)
        p->say(p->arg, failed, msg);
}

static int auditor_in_scope(const struct auditor_scope *scope, const char *ns)
{
    size_t i;

    if (scope == NULL || scope->n == 0)
        return 1;
    for (i = 0; i < scope->n; i++)
        if (strcmp(scope->namespaces[i], ns != NULL ? ns : "default") == 0)
            return 1;
    return 0;
}

/* Review one object; from names it for messages. */
static void auditor_object(struct auditor_pass *p, const json_t *obj,
                           const char *from)
{
    struct err err = {{0}};
    const char *ns = json_string_value(
        json_object_get(json_object_get(obj, "metadata"), "namespace"));
    int rc;

    if (!auditor_in_scope(p->scope, ns != NULL && ns[0] ? ns : NULL))
        return;
    state_read_lock(p->st);
    rc = audit_object(p->a, obj, p->st->cfg, p->st->rb, &err);
    state_read_unlock(p->st);
    if (rc < 0)
        auditor_say(p, 1, "%s: %s", from, err.msg);
}

/*
 * The objects of a document: itself, or a List's items (a FooList's items
 * without a kind, as the API lists them, get Foo and the list's apiVersion).
 */
static void auditor_doc(struct auditor_pass *p, json_t *doc, const char *from,
                        int depth)
{
    const char *kind = json_string_value(json_object_get(doc, "kind"));
    json_t *av = json_object_get(doc, "apiVersion");
    json_t *items = json_object_get(doc, "items"), *item;
    size_t i, klen = kind != NULL ? strlen(kind) : 0;
    char where[600];

    if (kind == NULL || klen < 4 || strcmp(kind + klen - 4, "List") != 0 ||
        !json_is_array(items)) {
        auditor_object(p, doc, from);
        return;
    }
    json_array_foreach(items, i, item)
    {
        snprintf(where, sizeof(where), "%s: items[%zu]", from, i);
        if (json_is_object(item) && json_object_get(item, "kind") == NULL &&
            klen > 4 && av != NULL) {
            json_object_set_new(item, "kind", json_stringn(kind, klen - 4));
            json_object_set(item, "apiVersion", av);
        }
        if (depth < AUDITOR_DEPTH_MAX)
            auditor_doc(p, item, where, depth + 1);
    }
}

/* strcmp() of two keys, for qsort() and bsearch(). */
static int auditor_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int auditor_wanted(const char *name)
{
    size_t n = strlen(name);

    return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
           (n > 4 && strcmp(name + n - 4, ".yml") == 0) ||
           (n > 5 && strcmp(name + n - 5, ".json") == 0);
}

static void auditor_path(struct auditor_pass *p, const char *path, int depth,
                         int named);

/* Not ., .., nor hidden files such as a mounted ConfigMap's ..data. */
static int auditor_visible(const char *name)
{
    return name[0] != '.';
}

/* A folder's entries, in name order; files by their suffix, folders all. */
static void auditor_dir(struct auditor_pass *p, const char *path, int depth)
{
    char **names, child[4096];
    size_t n, i;

    names = dirlist(path, auditor_visible, &n);
    if (names == NULL) {
        auditor_say(p, 1, "%s: cannot read the folder: %s", path,
                    strerror(errno));
        return;
    }
    for (i = 0; i < n; i++) {
        if ((size_t)snprintf(child, sizeof(child), "%s/%s", path, names[i]) <
            sizeof(child))
            auditor_path(p, child, depth + 1, 0);
        else
            auditor_say(p, 1, "%s/%s: path too long", path, names[i]);
    }
    dirlist_free(names, n);
}

/* One file or folder; named: given on the command line (any suffix). */
static void auditor_path(struct auditor_pass *p, const char *path, int depth,
                         int named)
{
    struct err err = {{0}};
    struct stat sb;
    json_t *doc;

    if (stat(path, &sb) != 0) {
        auditor_say(p, 1, "%s: no such file or folder", path);
        return;
    }
    if (S_ISDIR(sb.st_mode)) {
        if (depth < AUDITOR_DEPTH_MAX)
            auditor_dir(p, path, depth);
        else
            auditor_say(p, 1, "%s: folders nested too deep", path);
        return;
    }
    if (!named && !auditor_wanted(strrchr(path, '/') + 1))
        return;
    doc = yamljson_load_file(path, AUDITOR_FILE_MAX, &err);
    if (doc == NULL) {
        auditor_say(p, 1, "%s", err.msg);
        return;
    }
    auditor_doc(p, doc, path, 0);
    json_decref(doc);
}

size_t auditor_files(struct audit *a, const struct state *st,
                     const char *const *paths, size_t n,
                     const struct auditor_scope *scope, auditor_say_fn *say,
                     void *arg)
{
    struct auditor_pass p = {a, st, scope, say, arg, 0};
    size_t i;

    for (i = 0; i < n; i++)
        auditor_path(&p, strcmp(paths[i], "-") == 0 ? "/dev/stdin" : paths[i],
                     0, 1);
    return p.failed;
}

/* The collections audit lists; a fallback is listed only when the one
 * before it is not served (CronJob before Kubernetes 1.21). */
static const struct auditor_kind {
    const char *prefix, *resource, *kind, *api_version;
    int fallback;
} auditor_kinds[] = {
    {"/api/v1", "pods", "Pod", "v1", 0},
    {"/api/v1", "podtemplates", "PodTemplate", "v1", 0},
    {"/api/v1", "replicationcontrollers", "ReplicationController", "v1", 0},
    {"/apis/apps/v1", "replicasets", "ReplicaSet", "apps/v1", 0},
    {"/apis/apps/v1", "deployments", "Deployment", "apps/v1", 0},
    {"/apis/apps/v1", "statefulsets", "StatefulSet", "apps/v1", 0},
    {"/apis/apps/v1", "daemonsets", "DaemonSet", "apps/v1", 0},
    {"/apis/batch/v1", "jobs", "Job", "batch/v1", 0},
    {"/apis/batch/v1", "cronjobs", "CronJob", "batch/v1", 0},
    {"/apis/batch/v1beta1", "cronjobs", "CronJob", "batch/v1beta1", 1},
    {"/apis/apps.openshift.io/v1", "deploymentconfigs", "DeploymentConfig",
     "apps.openshift.io/v1", 0},
    {"/apis/build.openshift.io/v1", "buildconfigs", "BuildConfig",
     "build.openshift.io/v1", 0},
    {"/apis/build.openshift.io/v1", "builds", "Build", "build.openshift.io/v1",
     0},
    {"/apis/image.openshift.io/v1", "imagestreams", "ImageStream",
     "image.openshift.io/v1", 0},
};

#define AUDITOR_NKINDS (sizeof(auditor_kinds) / sizeof(auditor_kinds[0]))

/* List one collection (of one namespace, or all) and review its items.
 * Returns 1 when the server does not serve it. */
static int auditor_list(struct auditor_pass *p, struct kube *k,
                        const struct auditor_kind *ak, const char *ns)
{
    struct err err = {{0}};
    char path[512];
    json_t *items = NULL, *item;
    size_t i;
    int rc;

    if (ns != NULL)
        snprintf(path, sizeof(path), "%s/namespaces/%s/%s", ak->prefix, ns,
                 ak->resource);
    else
        snprintf(path, sizeof(path), "%s/%s", ak->prefix, ak->resource);
    rc = kubelist_all(k, path, ak->kind, ak->api_version, &items, &err);
    if (rc < 0) {
        auditor_say(p, 1, "list %s", err.msg);
        return 0;
    }
    if (rc == 1)
        return 1;
    json_array_foreach(items, i, item)
    {
        const json_t *meta = json_object_get(item, "metadata");
        char from[600];

        snprintf(from, sizeof(from), "%s %s/%s", ak->kind,
                 json_string_value(json_object_get(meta, "namespace")),
                 json_string_value(json_object_get(meta, "name")));
        auditor_object(p, item, from);
    }
    json_decref(items);
    return 0;
}

size_t auditor_kube(struct audit *a, const struct state *st, struct kube *k,
                    const struct auditor_scope *scope, auditor_say_fn *say,
                    void *arg)
{
    struct auditor_pass p = {a, st, scope, say, arg, 0};
    size_t i, j;
    int absent = 0;

    for (i = 0; i < AUDITOR_NKINDS; i++) {
        const struct auditor_kind *ak = &auditor_kinds[i];

        if (ak->fallback && !absent)
            continue;
        absent = 0;
        if (scope == NULL || scope->n == 0)
            absent = auditor_list(&p, k, ak, NULL);
        else
            for (j = 0; j < scope->n; j++)
                absent |= auditor_list(&p, k, ak, scope->namespaces[j]);
        if (absent &&
            !(i + 1 < AUDITOR_NKINDS && auditor_kinds[i + 1].fallback))
            auditor_say(&p, 0, "%s/%s: not served (404): not audited",
                        ak->prefix, ak->resource);
    }
    return p.failed;
}

/* ---- serve --audit-interval ---- */

struct auditor {
    struct kube *k;
    unsigned interval_s;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond; /* CLOCK_MONOTONIC; signalled on stop */
    int stop;
    char **seen; /* the last run's findings, as keys, sorted */
    size_t n_seen;
    unsigned long long runs;
};

/* Wait s seconds or until stopped; 1 when stopped. */
static int auditor_wait(struct auditor *au, double s)
{
    struct timespec until;
    int stop;

    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += (time_t)s;
    until.tv_nsec += (long)((s - (double)(time_t)s) * 1e9);
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&au->lock);
    while (!au->stop &&
           pthread_cond_timedwait(&au->cond, &au->lock, &until) == 0)
        ;
    stop = au->stop;
    pthread_mutex_unlock(&au->lock);
    return stop;
}

static void auditor_log_say(void *arg, int failed, const char *msg)
{
    (void)arg;
    log_msg(failed ? LOG_WARN : LOG_DEBUG, "audit: %s", msg);
}

/* A finding as one key, to tell new findings from those already logged. */
static char *auditor_key(const json_t *f)
{
    static const char *const fields[] = {
        "namespace", "kind", "name", "field", "result", "reason", "message"};
    struct strbuf key = {.max = STRBUF_NOMAX};
    size_t i;

    for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        strbuf_printf(&key, "%s\t",
                      json_string_value(json_object_get(f, fields[i])));
    if (key.failed) {
        strbuf_free(&key);
        return NULL;
    }
    return key.p; /* taken over */
}

/* Log the findings the last run did not have; keep this run's keys. */
static size_t auditor_news(struct auditor *au, const json_t *findings)
{
    size_t n = json_array_size(findings), i, m = 0, fresh = 0;
    char **keys = calloc(n + 1, sizeof(*keys));
    json_t *f;

    if (keys == NULL)
        return 0;
    json_array_foreach(findings, i, f)
    {
        if ((keys[m] = auditor_key(f)) == NULL)
            continue;
        if (au->seen == NULL || bsearch(&keys[m], au->seen, au->n_seen,
                                        sizeof(*keys), auditor_cmp) == NULL) {
            fresh++;
            log_msg(LOG_WARN, "audit: %s %s %s/%s %s: %s: %s",
                    json_string_value(json_object_get(f, "result")),
                    json_string_value(json_object_get(f, "namespace")),
                    json_string_value(json_object_get(f, "kind")),
                    json_string_value(json_object_get(f, "name")),
                    json_string_value(json_object_get(f, "reason")),
                    json_string_value(json_object_get(f, "field")),
                    json_string_value(json_object_get(f, "message")));
        }
        m++;
    }
    if (m > 1)
        qsort(keys, m, sizeof(*keys), auditor_cmp);
    for (i = 0; i < au->n_seen; i++)
        free(au->seen[i]);
    free(au->seen);
    au->seen = keys;
    au->n_seen = m;
    return fresh;
}

/* One audit of the cluster against the current state. */
static void auditor_run(struct auditor *au)
{
    struct audit *a = audit_new();
    struct state *st = state_acquire();
    struct audit_summary sum;
    double t0 = monotime_s(), took;
    json_t *findings = NULL;
    size_t failed = 0, fresh;

    if (a != NULL)
        failed = auditor_kube(a, st, au->k, NULL, auditor_log_say, NULL);
    state_release(st);
    if (a != NULL) {
        audit_finish(a, &sum);
        findings = audit_findings(a);
    }
    if (findings == NULL) {
        log_msg(LOG_ERROR, "audit: out of memory; no findings this time");
        audit_free(a);
        return;
    }
    took = monotime_s() - t0;
    if (failed > 0) {
        /* A partial audit is not published: it would set to 0 the findings
         * of every kind it could not list (all of them while the API is
         * away), and log them again as new once it is back. */
        log_msg(LOG_WARN,
                "audit: %zu inputs could not be read (see above): the "
                "findings and metrics of the last complete audit kept; "
                "next in %u s",
                failed, au->interval_s);
        json_decref(findings);
        audit_free(a);
        return;
    }
    metrics_audit(findings, took, time(NULL));
    fresh = auditor_news(au, findings);
    au->runs++;
    log_msg(LOG_INFO,
            "audit: %zu objects, %zu denied, %zu warned: %zu findings (%zu new)"
            " in %.0f ms; next in %u s",
            sum.objects, sum.denied, sum.warned, sum.findings, fresh,
            took * 1000, au->interval_s);
    json_decref(findings);
    audit_free(a);
}

static void *auditor_thread(void *arg)
{
    struct auditor *au = arg;

    /* Low priority: admission requests come first. */
    setpriority(PRIO_PROCESS, (id_t)gettid(), 10);
    while (!kube_ready(au->k))
        if (auditor_wait(au, 0.5))
            return NULL;
    do
        auditor_run(au);
    while (!auditor_wait(au, au->interval_s));
    return NULL;
}

struct auditor *auditor_start(struct kube *k, unsigned interval_s,
                              struct err *err)
{
    struct auditor *au = calloc(1, sizeof(*au));
    pthread_condattr_t ca;
    int rc;

    if (au == NULL) {
        err_set(err, "out of memory");
        return NULL;
    }
    au->k = k;
    au->interval_s = interval_s;
    pthread_mutex_init(&au->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&au->cond, &ca);
    pthread_condattr_destroy(&ca);
    rc = thread_start(&au->thread, auditor_thread, au);
    if (rc != 0) {
        pthread_cond_destroy(&au->cond);
        pthread_mutex_destroy(&au->lock);
        free(au);
        err_set(err, "cannot start the audit thread");
        return NULL;
    }
    log_msg(LOG_INFO, "audit: every %u s, once the API is listed", interval_s);
    return au;
}

void auditor_stop(struct auditor *au)
{
    size_t i;

    if (au == NULL)
        return;
    pthread_mutex_lock(&au->lock);
    au->stop = 1;
    pthread_cond_broadcast(&au->cond);
    pthread_mutex_unlock(&au->lock);
    pthread_join(au->thread, NULL);
    for (i = 0; i < au->n_seen; i++)
        free(au->seen[i]);
    free(au->seen);
    pthread_cond_destroy(&au->cond);
    pthread_mutex_destroy(&au->lock);
    free(au);
}
