/* kube.c - Kubernetes API client: list and watch RBAC into the live index. */
#define _GNU_SOURCE
#include "kube.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "hashkey.h"
#include "jsonload.h"
#include "log.h"
#include "state.h"
#include "strbuf.h"
#include "strmap.h"
#include "thread.h"

/*
 * How it follows the API (the client-go reflector's protocol):
 * - list each kind in pages (limit, continue), with no resourceVersion (a
 *   consistent read), then watch from the list's resourceVersion with
 *   allowWatchBookmarks; every event moves that resourceVersion on;
 * - a watch ends by its timeoutSeconds (5 to 10 minutes, random, as
 *   client-go) and is opened again at once from the last resourceVersion,
 *   so nothing is lost in between;
 * - 410 Gone (an ERROR event with code 410, or HTTP 410) means the
 *   resourceVersion is too old: list again; an expired continue token
 *   restarts the list in one unpaged request, as client-go's pager does;
 * - a refused connection is tried again every second (nobody is listening:
 *   no server to spare); any other failure (connection cut, TLS, 5xx,
 *   401/403) is retried with capped exponential backoff and jitter; the
 *   index keeps its last known state meanwhile and the logs say how old it
 *   is;
 * - every resync period each kind is listed again and the index brought in
 *   line with the list (objects not in it are removed), which repairs
 *   anything a watch could have missed.
 * A relist never empties the index: objects whose resourceVersion did not
 * change are skipped, others put, missing ones deleted, one at a time.
 */

#define KUBE_RESYNC_S       1800u
#define KUBE_PAGE_LIMIT     500u
#define KUBE_BACKOFF_MIN_MS 500u   /* first retry after 0.25 to 0.5 s */
#define KUBE_BACKOFF_MAX_MS 30000u /* doubling, capped at 15 to 30 s */
#define KUBE_HEALTHY_S      10.0   /* a watch up this long resets backoff */
#define KUBE_REFUSED_S      1.0    /* connection refused: retry this soon */
#define KUBE_WATCH_MIN_S    300u   /* watch timeoutSeconds in [300, 600) */
#define KUBE_WATCH_SLACK_S  60L    /* past timeoutSeconds: a dead peer */
#define KUBE_CONNECT_S      10L
#define KUBE_LOW_SPEED_S    30L /* a list that stalls this long fails */
#define KUBE_LIST_MAX       ((size_t)1 << 30)
#define KUBE_EVENT_MAX      ((size_t)16 << 20)
#define KUBE_ERRBODY_MAX    ((size_t)64 << 10)
#define KUBE_WARN_EVERY_S   30.0 /* while failing, one warning a kind */
#define KUBE_STATUS_S       600u /* the counters in the log this often */
#define KUBE_MAX_HOSTS      64
#define KUBE_USER_AGENT     "image-policy-webhook/1.0"

struct kube_resource {
    const char *name; /* for logs */
    const char *path;
    const char *kind; /* list items carry no kind: it is set from here */
    const char *api_version;
    const char *selector; /* extra query, URL-encoded, or NULL */
    int image_config;     /* images.config.openshift.io: 404 is fine */
};

static const struct kube_resource kube_resources[] = {
    {"rolebindings", "/apis/rbac.authorization.k8s.io/v1/rolebindings",
     "RoleBinding", "rbac.authorization.k8s.io/v1", NULL, 0},
    {"clusterrolebindings",
     "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
     "ClusterRoleBinding", "rbac.authorization.k8s.io/v1", NULL, 0},
    {"roles", "/apis/rbac.authorization.k8s.io/v1/roles", "Role",
     "rbac.authorization.k8s.io/v1", NULL, 0},
    {"clusterroles", "/apis/rbac.authorization.k8s.io/v1/clusterroles",
     "ClusterRole", "rbac.authorization.k8s.io/v1", NULL, 0},
    {"serviceaccounts", "/api/v1/serviceaccounts", "ServiceAccount", "v1", NULL,
     0},
    {"images.config.openshift.io", "/apis/config.openshift.io/v1/images",
     "Image", "config.openshift.io/v1", "fieldSelector=metadata.name%3Dcluster",
     1},
};

#define KUBE_NRES (sizeof(kube_resources) / sizeof(kube_resources[0]))

enum kube_rc {
    KUBE_OK,      /* listed, or a watch ended by its timeout */
    KUBE_FAIL,    /* retry after a backoff */
    KUBE_EXPIRED, /* 410 Gone: list again now */
    KUBE_ABSENT,  /* 404 of an optional kind */
    KUBE_RESYNC,  /* the resync period is up: list again now */
    KUBE_STOPPED
};

/* What the index holds of one object, by "<ns>\0<name>". */
struct kube_known {
    char *rv;
    unsigned gen; /* the list that last saw it */
};

struct kube_watcher {
    struct kube *k;
    const struct kube_resource *res;
    pthread_t thread;
    int started;
    CURL *curl;
    char errbuf[CURL_ERROR_SIZE];
    char *token;          /* last token read, kept if a re-read fails */
    struct strmap *known; /* "<ns>\0<name>" -> struct kube_known */
    unsigned gen;
    char *rv; /* watch from here; NULL: list first */
    uint64_t rng;
    unsigned failures; /* in a row, for the backoff */
    double resync_at;  /* monotonic */
    char why[512];     /* the last failure */
    double last_warn;
    int warned;  /* a failure was logged and no recovery yet */
    int refused; /* the last failure: the connection was refused */
    int listed;  /* lists done */
    /* One request. */
    int in_watch;
    long status;
    struct strbuf body; /* list or error body */
    struct strbuf line; /* watch: the partial event line */
    int discarding;     /* watch: inside an over-long line */
    int too_big;
    enum kube_rc result; /* set by event handling or progress */
    unsigned long applied;
    size_t n_new, n_changed, n_removed;
    char *hosts;    /* image config: the hostnames set, joined */
    int image_seen; /* image config: this list had "cluster" */
    /* Under k->lock. */
    int synced, watching;
    double current_at; /* last moment this view was known current */
    size_t objects;
};

struct kube {
    const struct kubeconfig *kc;
    unsigned resync_s, page_limit, status_s;
    atomic_int stop;
    pthread_mutex_t lock;
    pthread_cond_t cond; /* CLOCK_MONOTONIC; broadcast on stop */
    double started;
    double stats_logged; /* when the counters were last logged */
    int all_synced;
    time_t last_sync;
    unsigned long long lists, relists, expired, reconnects, events, skipped;
    struct kube_watcher w[KUBE_NRES];
};

static void kube_tick(struct kube *k);

static double kube_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A number in [0, 1): xorshift64*, one state a thread. */
static double kube_rand(struct kube_watcher *w)
{
    w->rng ^= w->rng >> 12;
    w->rng ^= w->rng << 25;
    w->rng ^= w->rng >> 27;
    return (double)((w->rng * 2685821657736338717ull) >> 11) /
           9007199254740992.0;
}

static int kube_stopping(const struct kube *k)
{
    return atomic_load(&k->stop);
}

/* Sleep s seconds or until kube_stop(); -1 when stopping. */
static int kube_sleep(struct kube *k, double s)
{
    struct timespec until;
    double t;

    clock_gettime(CLOCK_MONOTONIC, &until);
    t = (double)until.tv_nsec / 1e9 + (s > 0 ? s : 0);
    until.tv_sec += (time_t)t;
    until.tv_nsec = (long)((t - (double)(time_t)t) * 1e9);
    pthread_mutex_lock(&k->lock);
    while (!kube_stopping(k) &&
           pthread_cond_timedwait(&k->cond, &k->lock, &until) == 0)
        ;
    pthread_mutex_unlock(&k->lock);
    return kube_stopping(k) ? -1 : 0;
}

/* Remember why the last request failed, for the backoff's warning. */
static void kube_why(struct kube_watcher *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void kube_why(struct kube_watcher *w, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(w->why, sizeof(w->why), fmt, ap);
    va_end(ap);
}

/* The message of a Status body (or its first bytes), into out. */
static void kube_status_msg(const struct strbuf *b, char *out, size_t n)
{
    json_t *st = b->len ? jsonload_text(b->p, b->len, NULL) : NULL;
    const char *msg = json_string_value(json_object_get(st, "message"));
    size_t i;

    if (msg != NULL) {
        snprintf(out, n, "%s", msg);
    } else {
        snprintf(out, n, "%.*s", (int)(b->len < 200 ? b->len : 200),
                 b->len ? b->p : "");
        for (i = 0; out[i] != '\0'; i++)
            if (out[i] == '\n' || out[i] == '\r')
                out[i] = ' ';
    }
    json_decref(st);
}

static void kube_count(struct kube *k, unsigned long long *c)
{
    pthread_mutex_lock(&k->lock);
    (*c)++;
    pthread_mutex_unlock(&k->lock);
}

/* A malformed event or object: logged, counted, skipped. */
static void kube_skip(struct kube_watcher *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void kube_skip(struct kube_watcher *w, const char *fmt, ...)
{
    va_list ap;
    char msg[512];

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_msg(LOG_WARN, "kube: %s: skipped a malformed event or object: %s",
            w->res->name, msg);
    kube_count(w->k, &w->k->skipped);
}

/* The watch is open (on) or closed (off). */
static void kube_set_watching(struct kube_watcher *w, int on)
{
    struct kube *k = w->k;
    double now = kube_now();

    pthread_mutex_lock(&k->lock);
    if (on || w->watching) /* a watch that never opened proves nothing */
        w->current_at = now;
    w->watching = on;
    pthread_mutex_unlock(&k->lock);
}

/*
 * After failures, the watch proved good: an event or a bookmark came, or it
 * ran to its timeout. Not when it merely opened: an ERROR 410 can follow in
 * the same millisecond, and then the index is not current until relisted.
 */
static void kube_recovered(struct kube_watcher *w)
{
    if (!w->warned)
        return;
    log_msg(LOG_INFO,
            "kube: %s: watching again from resourceVersion %s after %u "
            "failed attempts; the index is current",
            w->res->name, w->rv ? w->rv : "?", w->failures);
    w->warned = 0;
}

/* ---- the index side ---- */

/* "<ns>\0<name>" of obj into key; 0, or -1 when it has no usable name. */
static int kube_key(const json_t *obj, char *key, size_t cap, size_t *len,
                    const char **ns, const char **name)
{
    const json_t *meta = json_object_get(obj, "metadata");
    size_t ln, lm;

    *name = json_string_value(json_object_get(meta, "name"));
    *ns = json_string_value(json_object_get(meta, "namespace"));
    if (*ns == NULL)
        *ns = "";
    if (*name == NULL || (*name)[0] == '\0')
        return -1;
    ln = strlen(*ns);
    lm = strlen(*name);
    if (ln + lm + 2 > cap)
        return -1;
    memcpy(key, *ns, ln + 1);
    memcpy(key + ln + 1, *name, lm + 1);
    *len = ln + 1 + lm;
    return 0;
}

static void kube_forget(struct kube_watcher *w, const char *key, size_t len)
{
    struct kube_known *kn = strmap_remove(w->known, key, len);

    if (kn != NULL) {
        free(kn->rv);
        free(kn);
    }
}

static void kube_objects(struct kube_watcher *w)
{
    size_t n = strmap_count(w->known);

    pthread_mutex_lock(&w->k->lock);
    w->objects = n;
    pthread_mutex_unlock(&w->k->lock);
}

/* Whether obj is the one image config the cluster has, "cluster". */
static int kube_is_cluster_image(const json_t *obj)
{
    const char *name = json_string_value(
        json_object_get(json_object_get(obj, "metadata"), "name"));

    return name != NULL && strcmp(name, "cluster") == 0;
}

/* The image config's registry hostnames to the state (obj NULL: none). */
static void kube_image_config(struct kube_watcher *w, const json_t *obj)
{
    const json_t *status = json_object_get(obj, "status"), *ext, *v;
    const char *hosts[KUBE_MAX_HOSTS], *s;
    struct strbuf joined = {.max = STRBUF_NOMAX};
    struct err err = {{0}};
    size_t n = 0, i, j;

    s = json_string_value(json_object_get(status, "internalRegistryHostname"));
    if (s != NULL && s[0] != '\0')
        hosts[n++] = s;
    ext = json_object_get(status, "externalRegistryHostnames");
    json_array_foreach(ext, i, v)
    {
        s = json_string_value(v);
        if (s == NULL || s[0] == '\0' || n == KUBE_MAX_HOSTS)
            continue;
        for (j = 0; j < n && strcmp(hosts[j], s) != 0; j++)
            ;
        if (j == n)
            hosts[n++] = s;
    }
    for (i = 0; i < n; i++)
        if (strbuf_printf(&joined, "%s%s", i ? ", " : "", hosts[i]) != 0)
            goto out;
    if (joined.p == NULL && strbuf_add(&joined, "", 0) != 0)
        goto out;
    if (strcmp(w->hosts != NULL ? w->hosts : "", joined.p) == 0)
        goto out;
    if (state_live_set_registries(hosts, n, &err) != 0) {
        log_msg(LOG_ERROR, "kube: %s: %s", w->res->name, err.msg);
        goto out;
    }
    free(w->hosts);
    w->hosts = joined.p;
    joined.p = NULL;
    if (n > 0)
        log_msg(LOG_INFO,
                "kube: images.config.openshift.io/cluster: registry "
                "hostnames %s judged as crossProject.registries too",
                w->hosts);
    else
        log_msg(LOG_INFO, "kube: images.config.openshift.io/cluster: no "
                          "registry hostnames; crossProject.registries of "
                          "the config only");
out:
    strbuf_free(&joined);
}

/* ADDED, MODIFIED, or an item of a list: into the index. */
static void kube_apply(struct kube_watcher *w, json_t *obj, int listed)
{
    const struct kube_resource *res = w->res;
    const char *ns, *name, *rv;
    char key[600];
    size_t len;
    struct kube_known *kn;
    struct err err = {{0}};

    if (res->image_config) {
        /* The field selector asks for it alone; a server may send more. */
        if (kube_is_cluster_image(obj)) {
            kube_image_config(w, obj);
            w->image_seen = 1;
        }
        return;
    }
    if (kube_key(obj, key, sizeof(key), &len, &ns, &name) != 0) {
        kube_skip(w, "%s without a usable metadata.name", res->kind);
        return;
    }
    rv = json_string_value(
        json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
    kn = strmap_get(w->known, key, len);
    if (listed && kn != NULL && rv != NULL && strcmp(kn->rv, rv) == 0) {
        kn->gen = w->gen;
        return;
    }
    /* List items carry neither kind nor apiVersion, only the list does. */
    if (json_object_get(obj, "kind") == NULL)
        json_object_set_new(obj, "kind", json_string(res->kind));
    if (json_object_get(obj, "apiVersion") == NULL)
        json_object_set_new(obj, "apiVersion", json_string(res->api_version));
    if (state_live_put(obj, &err) != 0) {
        /*
         * The API has this object in a form the index cannot read: what it
         * grants now is unknown, so no earlier version of it stays in.
         */
        kube_skip(w, "%s (any earlier version removed)", err.msg);
        state_live_delete(res->kind, ns, name);
        kube_forget(w, key, len);
        return;
    }
    if (kn == NULL) {
        kn = calloc(1, sizeof(*kn));
        if (kn == NULL || strmap_put(w->known, key, len, kn, NULL) != 0) {
            free(kn);
            log_msg(LOG_ERROR, "kube: %s: out of memory", res->name);
            return;
        }
        w->n_new++;
    } else {
        w->n_changed++;
    }
    free(kn->rv);
    kn->rv = strdup(rv != NULL ? rv : "");
    if (kn->rv == NULL) {
        kube_forget(w, key, len);
        log_msg(LOG_ERROR, "kube: %s: out of memory", res->name);
        return;
    }
    kn->gen = w->gen;
    log_msg(LOG_DEBUG, "kube: %s %s%s%s stored (resourceVersion %s)", res->kind,
            ns, ns[0] ? "/" : "", name, rv ? rv : "?");
}

/* DELETED: out of the index. */
static void kube_remove(struct kube_watcher *w, const json_t *obj)
{
    const char *ns, *name;
    char key[600];
    size_t len;

    if (w->res->image_config) {
        if (kube_is_cluster_image(obj))
            kube_image_config(w, NULL);
        return;
    }
    if (kube_key(obj, key, sizeof(key), &len, &ns, &name) != 0) {
        kube_skip(w, "DELETED %s without a usable metadata.name", w->res->kind);
        return;
    }
    state_live_delete(w->res->kind, ns, name);
    kube_forget(w, key, len);
    log_msg(LOG_DEBUG, "kube: %s %s%s%s deleted", w->res->kind, ns,
            ns[0] ? "/" : "", name);
}

/* After a list: remove what it did not return. */
static int kube_sweep(struct kube_watcher *w)
{
    struct strbuf gone = {.max = STRBUF_NOMAX};
    size_t pos = 0, len, off;
    const char *key;
    void *val;

    while (strmap_next(w->known, &pos, &key, &len, &val))
        if (((struct kube_known *)val)->gen != w->gen)
            if (strbuf_add(&gone, key, len) != 0 ||
                strbuf_add(&gone, "", 1) != 0) {
                strbuf_free(&gone);
                return -1;
            }
    for (off = 0; off < gone.len;) {
        const char *ns = gone.p + off, *name = ns + strlen(ns) + 1;

        len = strlen(ns) + 1 + strlen(name);
        state_live_delete(w->res->kind, ns, name);
        kube_forget(w, ns, len);
        w->n_removed++;
        off += len + 1;
    }
    strbuf_free(&gone);
    return 0;
}

/* ---- the HTTP side ---- */

/* One line of a watch: one event. 0 to go on, -1 to end the watch. */
static int kube_event(struct kube_watcher *w, char *line, size_t len)
{
    json_error_t je;
    json_t *ev, *obj;
    const char *type, *rv;
    int rc = 0;

    while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' '))
        len--;
    if (len == 0)
        return 0;
    ev = jsonload_text(line, len, &je);
    if (ev == NULL) {
        kube_skip(w, "not JSON (%s at byte %d of %zu)", je.text, je.position,
                  len);
        return 0;
    }
    type = json_string_value(json_object_get(ev, "type"));
    obj = json_object_get(ev, "object");
    rv = json_string_value(
        json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
    if (type == NULL || !json_is_object(obj)) {
        kube_skip(w, "an event without type or object");
    } else if (strcmp(type, "ERROR") == 0) {
        json_int_t code = json_integer_value(json_object_get(obj, "code"));
        const char *msg = json_string_value(json_object_get(obj, "message"));

        if (code == 410) {
            log_msg(LOG_INFO,
                    "kube: %s: resourceVersion %s expired (410 Gone: %s); "
                    "listing again",
                    w->res->name, w->rv, msg ? msg : "");
            kube_count(w->k, &w->k->expired);
            w->result = KUBE_EXPIRED;
        } else {
            kube_why(w, "watch: ERROR event %lld: %s", (long long)code,
                     msg ? msg : "");
            w->result = KUBE_FAIL;
        }
        rc = -1;
    } else if (rv == NULL || rv[0] == '\0') {
        kube_skip(w, "%s event without metadata.resourceVersion", type);
    } else if (strcmp(type, "BOOKMARK") == 0) {
        /* Only a resourceVersion to move on to: nothing to index. */
    } else if (strcmp(type, "ADDED") == 0 || strcmp(type, "MODIFIED") == 0) {
        kube_apply(w, obj, 0);
        w->applied++;
        kube_count(w->k, &w->k->events);
    } else if (strcmp(type, "DELETED") == 0) {
        kube_remove(w, obj);
        w->applied++;
        kube_count(w->k, &w->k->events);
    } else {
        kube_skip(w, "unknown event type %s", type);
        rv = NULL;
    }
    if (rc == 0 && rv != NULL && type != NULL && json_is_object(obj)) {
        char *nrv;

        kube_recovered(w);
        nrv = strdup(rv);

        if (nrv != NULL) {
            free(w->rv);
            w->rv = nrv;
        }
        kube_objects(w);
        pthread_mutex_lock(&w->k->lock);
        w->current_at = kube_now();
        pthread_mutex_unlock(&w->k->lock);
    }
    json_decref(ev);
    return rc;
}

/* Watch bytes: frame on newlines (not on chunks) and handle each event. */
static int kube_feed(struct kube_watcher *w, const char *p, size_t n)
{
    while (n > 0) {
        const char *nl = memchr(p, '\n', n);
        size_t seg = nl ? (size_t)(nl - p) : n;

        if (!w->discarding && w->line.len + seg > KUBE_EVENT_MAX) {
            w->discarding = 1;
            strbuf_reset(&w->line);
        }
        if (!w->discarding && strbuf_add(&w->line, p, seg) != 0) {
            kube_why(w, "watch: out of memory");
            w->result = KUBE_FAIL;
            return -1;
        }
        if (nl == NULL)
            return 0;
        if (w->discarding) {
            kube_skip(w, "an event over %zu bytes", KUBE_EVENT_MAX);
            w->discarding = 0;
        } else if (kube_event(w, w->line.p, w->line.len) != 0) {
            return -1;
        }
        strbuf_reset(&w->line);
        p += seg + 1;
        n -= seg + 1;
    }
    return 0;
}

static size_t kube_on_header(char *p, size_t size, size_t n, void *arg)
{
    struct kube_watcher *w = arg;

    if (n * size <= 2 && (p[0] == '\r' || p[0] == '\n')) {
        curl_easy_getinfo(w->curl, CURLINFO_RESPONSE_CODE, &w->status);
        if (w->in_watch && w->status == 200)
            kube_set_watching(w, 1);
    }
    return size * n;
}

static size_t kube_on_body(char *p, size_t size, size_t n, void *arg)
{
    struct kube_watcher *w = arg;

    n *= size;
    if (w->in_watch && w->status == 200)
        return kube_feed(w, p, n) == 0 ? n : 0;
    if (w->body.len + n > (w->in_watch ? KUBE_ERRBODY_MAX : KUBE_LIST_MAX)) {
        w->too_big = 1;
        return 0;
    }
    return strbuf_add(&w->body, p, n) == 0 ? n : 0;
}

static int kube_on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c,
                            curl_off_t d)
{
    struct kube_watcher *w = arg;

    (void)a, (void)b, (void)c, (void)d;
    if (kube_stopping(w->k)) {
        w->result = KUBE_STOPPED;
        return 1;
    }
    /* The periodic status line, from a thread whose own watch is open: not
     * from one between two watches, which would read itself as lost. */
    if (w->in_watch && w->status == 200)
        kube_tick(w->k);
    if (w->in_watch && kube_now() >= w->resync_at) {
        w->result = KUBE_RESYNC;
        return 1;
    }
    return 0;
}

/* The token to send: read again now; the last one if that fails. */
static const char *kube_token(struct kube_watcher *w)
{
    struct err err = {{0}};
    char *tok = NULL;

    if (kubeconfig_token(w->k->kc, &tok, &err) != 0) {
        log_msg(LOG_WARN, "kube: %s: %s; using the token read before",
                w->res->name, err.msg);
        return w->token;
    }
    free(w->token);
    w->token = tok;
    return tok;
}

/* One GET of server+path. Fills w->status and w->body (or feeds events). */
static CURLcode kube_get(struct kube_watcher *w, const char *url, int watch,
                         long timeout_s)
{
    const struct kubeconfig *kc = w->k->kc;
    CURL *c = w->curl;
    struct curl_slist *hdrs = NULL, *h;
    struct strbuf auth = {.max = STRBUF_NOMAX};
    const char *token = kube_token(w);
    struct curl_blob ca = {kc->ca_data, kc->ca_data_len, CURL_BLOB_NOCOPY};
    struct curl_blob cert = {kc->cert_data, kc->cert_data_len,
                             CURL_BLOB_NOCOPY};
    struct curl_blob key = {kc->key_data, kc->key_data_len, CURL_BLOB_NOCOPY};
    CURLcode cc = CURLE_OUT_OF_MEMORY;

    w->status = 0;
    w->refused = 0;
    strbuf_reset(&w->body);
    strbuf_reset(&w->line);
    w->discarding = 0;
    w->too_big = 0;
    w->in_watch = watch;
    w->errbuf[0] = '\0';
    h = curl_slist_append(NULL, "Accept: application/json");
    if (h == NULL)
        goto out;
    hdrs = h;
    if (token != NULL) {
        if (strbuf_printf(&auth, "Authorization: Bearer %s", token) != 0)
            goto out;
        h = curl_slist_append(hdrs, auth.p);
        if (h == NULL)
            goto out;
        hdrs = h;
    }
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    /* Not "curl...": the API server pretty-prints for curl. */
    curl_easy_setopt(c, CURLOPT_USERAGENT, KUBE_USER_AGENT);
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, w->errbuf);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, KUBE_CONNECT_S);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPIDLE, 30L);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPINTVL, 10L);
    curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    if (kc->insecure) {
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    } else if (kc->ca_file != NULL || kc->ca_data != NULL) {
        /* That CA only, not the system's as well. */
        curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
        if (kc->ca_file != NULL)
            curl_easy_setopt(c, CURLOPT_CAINFO, kc->ca_file);
        else
            curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &ca);
    }
    if (kc->cert_file != NULL)
        curl_easy_setopt(c, CURLOPT_SSLCERT, kc->cert_file);
    else if (kc->cert_data != NULL)
        curl_easy_setopt(c, CURLOPT_SSLCERT_BLOB, &cert);
    if (kc->key_file != NULL)
        curl_easy_setopt(c, CURLOPT_SSLKEY, kc->key_file);
    else if (kc->key_data != NULL)
        curl_easy_setopt(c, CURLOPT_SSLKEY_BLOB, &key);
    curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
    curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, kube_on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, w);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, kube_on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, w);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, kube_on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, w);
    if (watch) {
        curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s);
    } else {
        curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, KUBE_LOW_SPEED_S);
    }
    cc = curl_easy_perform(c);
    if (w->status == 0)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &w->status);
    /* Not kept around: a copy of the token in curl's handle. */
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
out:
    curl_slist_free_all(hdrs);
    if (auth.p != NULL)
        memset(auth.p, 0, auth.len);
    strbuf_free(&auth);
    return cc;
}

/* What curl said, for logs. */
static const char *kube_curl_msg(const struct kube_watcher *w, CURLcode cc)
{
    return w->errbuf[0] ? w->errbuf : curl_easy_strerror(cc);
}

/* The URL of a list page or a watch. */
static char *kube_url(struct kube_watcher *w, const char *cont, int paged)
{
    const struct kube_resource *res = w->res;
    struct strbuf u = {.max = STRBUF_NOMAX};
    char *esc = NULL;
    int rc;

    rc = strbuf_printf(&u, "%s%s?%s%s", w->k->kc->server, res->path,
                       res->selector ? res->selector : "",
                       res->selector ? "&" : "");
    if (rc == 0 && paged)
        rc = strbuf_printf(&u, "limit=%u&", w->k->page_limit);
    if (rc == 0 && cont != NULL) {
        esc = curl_easy_escape(w->curl, cont, 0);
        rc = esc != NULL ? strbuf_printf(&u, "continue=%s&", esc) : -1;
    }
    curl_free(esc);
    if (rc == 0 && u.len > 0 &&
        (u.p[u.len - 1] == '&' || u.p[u.len - 1] == '?'))
        u.p[--u.len] = '\0';
    if (rc != 0) {
        strbuf_free(&u);
        return NULL;
    }
    return u.p;
}

/* After a list: counters, readiness, the log line. */
static void kube_listed(struct kube_watcher *w, size_t pages, size_t items,
                        double t0, int absent)
{
    struct kube *k = w->k;
    int now_all = 0;
    size_t i;
    char summary[1024], after[64] = "";
    size_t off = 0;

    pthread_mutex_lock(&k->lock);
    w->synced = 1;
    w->watching = absent; /* nothing to watch counts as current */
    w->current_at = kube_now();
    w->objects = strmap_count(w->known);
    k->lists++;
    if (w->listed > 0)
        k->relists++;
    k->last_sync = time(NULL);
    if (!k->all_synced) {
        for (i = 0; i < KUBE_NRES && k->w[i].synced; i++)
            ;
        if (i == KUBE_NRES) {
            now_all = k->all_synced = 1;
            k->stats_logged = kube_now();
        }
    }
    pthread_mutex_unlock(&k->lock);
    w->listed++;
    if (w->warned)
        snprintf(after, sizeof(after), " after %u failed attempts",
                 w->failures);
    w->warned = 0;
    if (absent)
        log_msg(LOG_INFO,
                "kube: %s: not served (404)%s: not OpenShift, "
                "crossProject.registries of the config only",
                w->res->name, after);
    else
        log_msg(LOG_INFO,
                "kube: listed %s%s: %zu objects in %zu page%s at "
                "resourceVersion %s in %.0f ms (%zu new, %zu changed, %zu "
                "removed)",
                w->res->name, after, items, pages, pages == 1 ? "" : "s", w->rv,
                (kube_now() - t0) * 1000, w->n_new, w->n_changed, w->n_removed);
    if (!now_all)
        return;
    summary[0] = '\0';
    pthread_mutex_lock(&k->lock);
    for (i = 0; i < KUBE_NRES && off < sizeof(summary); i++)
        if (!k->w[i].res->image_config)
            off += (size_t)snprintf(summary + off, sizeof(summary) - off,
                                    "%s%s %zu", i ? ", " : "",
                                    k->w[i].res->name, k->w[i].objects);
    pthread_mutex_unlock(&k->lock);
    log_msg(LOG_INFO, "kube: synced (%s) %.0f ms after start: ready", summary,
            (kube_now() - k->started) * 1000);
}

static enum kube_rc kube_list(struct kube_watcher *w)
{
    struct kube *k = w->k;
    char *cont = NULL, *url = NULL, *list_rv = NULL;
    json_t *root = NULL, *items, *item;
    const json_t *meta;
    const char *rv, *c;
    enum kube_rc rc = KUBE_FAIL;
    size_t pages = 0, i, seen = 0;
    int paged = 1;
    double t0 = kube_now();
    char msg[256];
    CURLcode cc;

    w->gen++;
    w->n_new = w->n_changed = w->n_removed = 0;
    w->image_seen = 0;
    for (;;) {
        url = kube_url(w, cont, paged);
        if (url == NULL) {
            kube_why(w, "list: out of memory");
            goto out;
        }
        cc = kube_get(w, url, 0, 0);
        free(url);
        url = NULL;
        if (kube_stopping(k)) {
            rc = KUBE_STOPPED;
            goto out;
        }
        if (cc != CURLE_OK) {
            kube_why(w, "list: %s",
                     w->too_big ? "answer too large" : kube_curl_msg(w, cc));
            w->refused = cc == CURLE_COULDNT_CONNECT;
            goto out;
        }
        if (w->status == 404 && w->res->image_config) {
            rc = KUBE_ABSENT;
            goto out;
        }
        if (w->status != 200)
            kube_status_msg(&w->body, msg, sizeof(msg));
        if (w->status == 410 && cont != NULL) {
            log_msg(LOG_INFO,
                    "kube: %s: continue token expired (410 Gone: %s); "
                    "listing again in one request",
                    w->res->name, msg);
            kube_count(k, &k->expired);
            free(cont);
            cont = NULL;
            paged = 0;
            seen = 0;
            w->image_seen = 0;
            w->gen++;
            continue;
        }
        if (w->status != 200) {
            kube_why(w, "list: HTTP %ld: %s%s", w->status, msg,
                     w->status == 401 || w->status == 403
                         ? " (the webhook's ClusterRole must grant list and "
                           "watch here)"
                         : "");
            goto out;
        }
        root = jsonload_text(w->body.p, w->body.len, NULL);
        items = json_object_get(root, "items");
        meta = json_object_get(root, "metadata");
        rv = json_string_value(json_object_get(meta, "resourceVersion"));
        if (root == NULL || rv == NULL ||
            (items != NULL && !json_is_array(items) && !json_is_null(items))) {
            kube_why(w, "list: the answer is not a list");
            goto out;
        }
        json_array_foreach(items, i, item)
        {
            if (!json_is_object(item)) {
                kube_skip(w, "a list item that is not an object");
                continue;
            }
            kube_apply(w, item, 1);
            seen++;
        }
        pages++;
        c = json_string_value(json_object_get(meta, "continue"));
        if (c != NULL && c[0] != '\0') {
            free(cont);
            cont = strdup(c);
            json_decref(root);
            root = NULL;
            if (cont == NULL) {
                kube_why(w, "list: out of memory");
                goto out;
            }
            continue;
        }
        list_rv = strdup(rv);
        if (list_rv == NULL) {
            kube_why(w, "list: out of memory");
            goto out;
        }
        break;
    }
    if (w->res->image_config && !w->image_seen)
        kube_image_config(w, NULL);
    if (kube_sweep(w) != 0) {
        kube_why(w, "list: out of memory");
        goto out;
    }
    free(w->rv);
    w->rv = list_rv;
    list_rv = NULL;
    rc = KUBE_OK;
out:
    if (rc == KUBE_OK || rc == KUBE_ABSENT) {
        w->resync_at = kube_now() + k->resync_s * (0.9 + 0.2 * kube_rand(w));
        if (rc == KUBE_ABSENT)
            kube_image_config(w, NULL);
        kube_listed(w, pages, seen, t0, rc == KUBE_ABSENT);
        w->failures = 0;
    }
    free(list_rv);
    free(cont);
    json_decref(root);
    return rc;
}

/* One page's items into out, each with its kind and apiVersion set. */
static int kube_list_items(const struct kube_resource *res, const json_t *items,
                           json_t *out)
{
    size_t i;
    json_t *item;

    json_array_foreach(items, i, item)
    {
        if (!json_is_object(item))
            continue;
        if (json_object_set_new(item, "kind", json_string(res->kind)) != 0 ||
            json_object_set_new(item, "apiVersion",
                                json_string(res->api_version)) != 0 ||
            json_array_append(out, item) != 0)
            return -1;
    }
    return 0;
}

int kube_list_all(struct kube *k, const char *path, const char *kind,
                  const char *api_version, json_t **items, struct err *err)
{
    const struct kube_resource res = {path, path, kind, api_version, NULL, 0};
    struct kube_watcher *w = calloc(1, sizeof(*w));
    json_t *out = json_array(), *root = NULL, *page;
    char *cont = NULL, *url = NULL, msg[256];
    const char *c;
    int paged = 1, rc = -1;
    CURLcode cc;

    *items = NULL;
    if (w == NULL || out == NULL || (w->curl = curl_easy_init()) == NULL) {
        err_set(err, "out of memory");
        goto out;
    }
    w->k = k;
    w->res = &res;
    w->body.max = KUBE_LIST_MAX;
    for (;;) {
        url = kube_url(w, cont, paged);
        if (url == NULL) {
            err_set(err, "out of memory");
            goto out;
        }
        cc = kube_get(w, url, 0, 0);
        free(url);
        if (kube_stopping(k)) {
            err_set(err, "%s: stopped", path);
            goto out;
        }
        if (cc != CURLE_OK) {
            err_set(err, "%s: %s", path,
                    w->too_big ? "answer too large" : kube_curl_msg(w, cc));
            goto out;
        }
        if (w->status == 404) {
            rc = 1;
            goto out;
        }
        if (w->status != 200)
            kube_status_msg(&w->body, msg, sizeof(msg));
        if (w->status == 410 && cont != NULL) {
            /* An expired continue token: the whole list again, unpaged. */
            free(cont);
            cont = NULL;
            paged = 0;
            json_array_clear(out);
            continue;
        }
        if (w->status != 200) {
            err_set(err, "%s: HTTP %ld: %s", path, w->status, msg);
            goto out;
        }
        root = jsonload_text(w->body.p, w->body.len, NULL);
        page = json_object_get(root, "items");
        if (root == NULL ||
            (page != NULL && !json_is_array(page) && !json_is_null(page))) {
            err_set(err, "%s: the answer is not a list", path);
            goto out;
        }
        if (kube_list_items(&res, page, out) != 0) {
            err_set(err, "out of memory");
            goto out;
        }
        c = json_string_value(
            json_object_get(json_object_get(root, "metadata"), "continue"));
        free(cont);
        cont = c != NULL && c[0] != '\0' ? strdup(c) : NULL;
        json_decref(root);
        root = NULL;
        if (c == NULL || c[0] == '\0')
            break;
        if (cont == NULL) {
            err_set(err, "out of memory");
            goto out;
        }
    }
    *items = out;
    out = NULL;
    rc = 0;
out:
    free(cont);
    json_decref(root);
    json_decref(out);
    if (w != NULL) {
        if (w->curl != NULL)
            curl_easy_cleanup(w->curl);
        if (w->token != NULL)
            memset(w->token, 0, strlen(w->token));
        free(w->token);
        strbuf_free(&w->body);
        strbuf_free(&w->line);
        free(w);
    }
    return rc;
}

static enum kube_rc kube_watch(struct kube_watcher *w)
{
    struct kube *k = w->k;
    struct strbuf u = {.max = STRBUF_NOMAX};
    char *esc = NULL, msg[256];
    double t0 = kube_now(), left = w->resync_at - t0;
    unsigned t = KUBE_WATCH_MIN_S + (unsigned)(kube_rand(w) * KUBE_WATCH_MIN_S);
    enum kube_rc rc = KUBE_FAIL;
    CURLcode cc;

    if (left < 1)
        return KUBE_RESYNC;
    if (left < t)
        t = (unsigned)left;
    esc = curl_easy_escape(w->curl, w->rv, 0);
    if (esc == NULL ||
        strbuf_printf(&u,
                      "%s%s?%s%sallowWatchBookmarks=true&resourceVersion=%s&"
                      "timeoutSeconds=%u&watch=true",
                      k->kc->server, w->res->path,
                      w->res->selector ? w->res->selector : "",
                      w->res->selector ? "&" : "", esc, t) != 0) {
        kube_why(w, "watch: out of memory");
        goto out;
    }
    w->result = KUBE_OK;
    w->applied = 0;
    cc = kube_get(w, u.p, 1, (long)t + KUBE_WATCH_SLACK_S);
    kube_set_watching(w, 0);
    if (w->applied > 0 || kube_now() - t0 >= KUBE_HEALTHY_S)
        w->failures = 0;
    if (kube_stopping(k)) {
        rc = KUBE_STOPPED;
    } else if (w->status != 200 && w->status != 0) {
        kube_status_msg(&w->body, msg, sizeof(msg));
        if (w->status == 410) {
            log_msg(LOG_INFO,
                    "kube: %s: resourceVersion %s expired (HTTP 410: %s); "
                    "listing again",
                    w->res->name, w->rv, msg);
            kube_count(k, &k->expired);
            rc = KUBE_EXPIRED;
        } else {
            kube_why(w, "watch: HTTP %ld: %s", w->status, msg);
        }
    } else if (cc == CURLE_ABORTED_BY_CALLBACK ||
               (cc == CURLE_WRITE_ERROR && w->result != KUBE_OK)) {
        rc = w->result;
    } else if (cc != CURLE_OK) {
        kube_why(w, "watch lost: %s", kube_curl_msg(w, cc));
        w->refused = cc == CURLE_COULDNT_CONNECT;
    } else {
        rc = KUBE_OK; /* ended by timeoutSeconds */
        kube_recovered(w);
        if (w->line.len > 0)
            kube_skip(w, "a last event without its newline");
    }
out:
    curl_free(esc);
    strbuf_free(&u);
    return rc;
}

/* Wait before the next try after a failure: w->why says what failed. */
static int kube_backoff(struct kube_watcher *w)
{
    struct kube *k = w->k;
    unsigned shift = w->failures < 8 ? w->failures : 8;
    double d = (double)(KUBE_BACKOFF_MIN_MS << shift), s, now = kube_now();
    double age;
    int synced;

    if (d > KUBE_BACKOFF_MAX_MS)
        d = KUBE_BACKOFF_MAX_MS;
    d /= 1000;
    s = d / 2 + kube_rand(w) * d / 2;
    /* Nobody listening (the API server restarting): no server to spare, and
     * every second of backoff is a second of deciding on stale state once
     * it is back. The backoff is for what a server answered. */
    if (w->refused)
        s = KUBE_REFUSED_S;
    w->failures++;
    kube_count(k, &k->reconnects);
    kube_tick(k); /* while failing, the status line still comes */
    pthread_mutex_lock(&k->lock);
    synced = w->synced;
    age = now - w->current_at;
    pthread_mutex_unlock(&k->lock);
    if (!w->warned || now - w->last_warn >= KUBE_WARN_EVERY_S) {
        if (synced)
            log_msg(LOG_WARN,
                    "kube: %s: %s; retry %u in %.1f s; deciding on the last "
                    "known state (%.0f s old)",
                    w->res->name, w->why, w->failures, s, age);
        else
            log_msg(LOG_WARN,
                    "kube: %s: %s; retry %u in %.1f s; not ready until "
                    "listed",
                    w->res->name, w->why, w->failures, s);
        w->warned = 1;
        w->last_warn = now;
    } else {
        log_msg(LOG_DEBUG, "kube: %s: %s; retry %u in %.1f s", w->res->name,
                w->why, w->failures, s);
    }
    return kube_sleep(k, s);
}

static void kube_log_stats(struct kube *k, const char *when);

/* Log the counters when status_s passed; one thread does it. */
static void kube_tick(struct kube *k)
{
    double now = kube_now();
    int due;

    pthread_mutex_lock(&k->lock);
    due = k->all_synced && now - k->stats_logged >= k->status_s;
    if (due)
        k->stats_logged = now;
    pthread_mutex_unlock(&k->lock);
    if (due)
        kube_log_stats(k, "status");
}

static void *kube_run(void *arg)
{
    struct kube_watcher *w = arg;
    enum kube_rc rc;

    while (!kube_stopping(w->k)) {
        if (w->rv == NULL) {
            rc = kube_list(w);
            if (rc == KUBE_ABSENT) {
                if (kube_sleep(w->k, w->resync_at - kube_now()) != 0)
                    break;
                continue;
            }
        } else {
            rc = kube_watch(w);
        }
        if (rc == KUBE_STOPPED)
            break;
        if (rc == KUBE_FAIL && kube_backoff(w) != 0)
            break;
        if (rc == KUBE_EXPIRED || rc == KUBE_RESYNC) {
            if (rc == KUBE_RESYNC)
                log_msg(LOG_INFO, "kube: %s: periodic resync: listing again",
                        w->res->name);
            free(w->rv);
            w->rv = NULL;
        }
    }
    return NULL;
}

int kube_ready(const struct kube *k)
{
    int r;

    pthread_mutex_lock((pthread_mutex_t *)&k->lock);
    r = k->all_synced;
    pthread_mutex_unlock((pthread_mutex_t *)&k->lock);
    return r;
}

void kube_stats_get(const struct kube *k, struct kube_stats *out)
{
    struct kube *m = (struct kube *)k; /* only the lock changes */
    double now = kube_now(), oldest = now;
    size_t i;

    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&m->lock);
    out->synced = k->all_synced;
    out->connected = 1;
    for (i = 0; i < KUBE_NRES; i++) {
        const struct kube_watcher *w = &k->w[i];

        if (!w->watching) {
            out->connected = 0;
            if (!w->synced)
                oldest = k->started;
            else if (w->current_at < oldest)
                oldest = w->current_at;
        }
        out->objects += w->objects;
    }
    out->state_age_s = out->connected ? 0 : now - oldest;
    out->last_sync = k->last_sync;
    out->lists = k->lists;
    out->relists = k->relists;
    out->expired = k->expired;
    out->reconnects = k->reconnects;
    out->events = k->events;
    out->skipped = k->skipped;
    pthread_mutex_unlock(&m->lock);
}

/* One line with every counter of kube_stats, for the log. */
static void kube_log_stats(struct kube *k, const char *when)
{
    struct kube_stats st;
    char last[32] = "never";
    struct tm tm;

    kube_stats_get(k, &st);
    if (st.last_sync != 0 && gmtime_r(&st.last_sync, &tm) != NULL)
        strftime(last, sizeof(last), "%Y-%m-%dT%H:%M:%SZ", &tm);
    log_msg(LOG_INFO,
            "kube: %s: %s, %s, state age %.0f s, last list %s, %zu "
            "objects, %llu lists (%llu relists, %llu expired), %llu events, "
            "%llu reconnects, %llu skipped",
            when, st.synced ? "synced" : "not synced",
            st.connected ? "watching" : "not watching every kind",
            st.state_age_s, last, st.objects, st.lists, st.relists, st.expired,
            st.events, st.reconnects, st.skipped);
}

static void kube_watcher_free(struct kube_watcher *w)
{
    size_t pos = 0;
    void *val;

    while (w->known != NULL && strmap_next(w->known, &pos, NULL, NULL, &val)) {
        free(((struct kube_known *)val)->rv);
        free(val);
    }
    strmap_free(w->known);
    if (w->curl != NULL)
        curl_easy_cleanup(w->curl);
    if (w->token != NULL)
        memset(w->token, 0, strlen(w->token));
    free(w->token);
    free(w->rv);
    free(w->hosts);
    strbuf_free(&w->body);
    strbuf_free(&w->line);
}

/* How the client logs in, for the start line. */
static void kube_describe(const struct kubeconfig *kc, char *out, size_t n)
{
    const char *auth = kc->token_file  ? "bearer token file "
                       : kc->token     ? "bearer token"
                       : kc->cert_file ? "client certificate "
                       : kc->cert_data ? "client certificate (data)"
                                       : "no credentials";
    const char *arg = kc->token_file                       ? kc->token_file
                      : kc->token == NULL && kc->cert_file ? kc->cert_file
                                                           : "";
    const char *tls = kc->insecure  ? "insecure-skip-tls-verify"
                      : kc->ca_file ? "CA "
                      : kc->ca_data ? "CA (data)"
                                    : "the system's CAs";

    snprintf(out, n, "%s%s, TLS %s%s", auth, arg, tls,
             !kc->insecure && kc->ca_file ? kc->ca_file : "");
}

struct kube *kube_start(const struct kube_opts *opts, struct err *err)
{
    struct kube *k = calloc(1, sizeof(*k));
    pthread_condattr_t ca;
    size_t i;
    char how[1024];

    if (k == NULL) {
        err_set(err, "out of memory");
        return NULL;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
        free(k);
        err_set(err, "cannot initialise libcurl");
        return NULL;
    }
    k->kc = opts->kc;
    k->resync_s = opts->resync_s ? opts->resync_s : KUBE_RESYNC_S;
    k->status_s = opts->status_s ? opts->status_s : KUBE_STATUS_S;
    k->page_limit = opts->page_limit ? opts->page_limit : KUBE_PAGE_LIMIT;
    k->started = kube_now();
    pthread_mutex_init(&k->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&k->cond, &ca);
    pthread_condattr_destroy(&ca);
    for (i = 0; i < KUBE_NRES; i++) {
        struct kube_watcher *w = &k->w[i];

        w->k = k;
        w->res = &kube_resources[i];
        w->body.max = KUBE_LIST_MAX;
        w->line.max = KUBE_EVENT_MAX;
        w->rng = ((uint64_t)time(NULL) << 20) ^ (uint64_t)(kube_now() * 1e9) ^
                 ((uint64_t)(i + 1) << 40);
        if (w->rng == 0)
            w->rng = 88172645463325252ull;
        w->known = strmap_new(hashkey_get());
        w->curl = curl_easy_init();
        if (w->known == NULL || w->curl == NULL) {
            err_set(err, "out of memory");
            goto fail;
        }
    }
    kube_describe(k->kc, how, sizeof(how));
    log_msg(LOG_INFO,
            "kube: API %s (%s), %s; listing and watching rolebindings, "
            "clusterrolebindings, roles, clusterroles, serviceaccounts, "
            "images.config.openshift.io/cluster; resync every %u s",
            k->kc->server, k->kc->source, how, k->resync_s);
    for (i = 0; i < KUBE_NRES; i++) {
        if (thread_start(&k->w[i].thread, kube_run, &k->w[i]) != 0) {
            err_set(err, "cannot start a thread");
            goto fail;
        }
        k->w[i].started = 1;
    }
    return k;
fail:
    kube_stop(k);
    return NULL;
}

void kube_stop(struct kube *k)
{
    size_t i;

    if (k == NULL)
        return;
    atomic_store(&k->stop, 1);
    pthread_mutex_lock(&k->lock);
    pthread_cond_broadcast(&k->cond);
    pthread_mutex_unlock(&k->lock);
    for (i = 0; i < KUBE_NRES; i++)
        if (k->w[i].started)
            pthread_join(k->w[i].thread, NULL);
    if (k->w[0].started)
        kube_log_stats(k, "stopped");
    for (i = 0; i < KUBE_NRES; i++)
        kube_watcher_free(&k->w[i]);
    pthread_cond_destroy(&k->cond);
    pthread_mutex_destroy(&k->lock);
    curl_global_cleanup();
    free(k);
}
