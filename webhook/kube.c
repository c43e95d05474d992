/* kube.c - Kubernetes API client: list and watch RBAC into the live index,
 * a thread a kind that lists, watches, backs off and relists; start, stop
 * and the counters. */
#define _GNU_SOURCE
#include "kube.h"

/*
 * After a list, malloc_trim(0) gives glibc's free pages back. Not under a
 * sanitizer, whose allocator is not glibc's: glibc's malloc is then never
 * set up, malloc_trim() sets it up without a lock, and two watch threads
 * doing that at once both attach to the main arena uncounted; the second
 * to exit aborts in glibc ("a->attached_threads > 0", seen under
 * AddressSanitizer at SIGTERM).
 */
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define KUBE_NO_TRIM 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define KUBE_NO_TRIM 1
#endif
#if defined(__GLIBC__) && !defined(KUBE_NO_TRIM)
#define KUBE_TRIM 1
#include <malloc.h>
#endif

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

#include "curlfn.h"
#include "jsonarena.h"
#include "jsonload.h"
#include "kubeevent.h"
#include "kubehttp.h"
#include "kubeint.h"
#include "log.h"
#include "monotime.h"
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
#define KUBE_PAGE_ARENA     32     /* a page's values: 8 to 12 times its text */
#define KUBE_LIST_MAX       ((size_t)1 << 30)
#define KUBE_ERRBODY_MAX    ((size_t)64 << 10)
#define KUBE_WARN_EVERY_S   30.0 /* while failing, one warning a kind */
#define KUBE_STATUS_S       600u /* the counters in the log this often */

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

_Static_assert(sizeof(kube_resources) / sizeof(kube_resources[0]) == KUBE_NRES,
               "KUBE_NRES in kubeint.h counts kube_resources");

/* A number in [0, 1): xorshift64*, one state a thread. */
static double kube_rand(struct kube_watcher *w)
{
    w->rng ^= w->rng >> 12;
    w->rng ^= w->rng << 25;
    w->rng ^= w->rng >> 27;
    return (double)((w->rng * 2685821657736338717ull) >> 11) /
           9007199254740992.0;
}

int kube_stopping(const struct kube *k)
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

void kube_why(struct kube_watcher *w, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(w->why, sizeof(w->why), fmt, ap);
    va_end(ap);
}

/* The message of a Status body (or its first bytes), into out. */
void kube_status_msg(const struct strbuf *b, char *out, size_t n)
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

void kube_count(struct kube *k, unsigned long long *c)
{
    pthread_mutex_lock(&k->lock);
    (*c)++;
    pthread_mutex_unlock(&k->lock);
}

void kube_skip(struct kube_watcher *w, const char *fmt, ...)
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
    double now = monotime_s();

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
void kube_recovered(struct kube_watcher *w)
{
    if (!w->warned)
        return;
    log_msg(LOG_INFO,
            "kube: %s: watching again from resourceVersion %s after %u "
            "failed attempts; the index is current",
            w->res->name, w->rv ? w->rv : "?", w->failures);
    w->warned = 0;
}

/* The headers of w's GET are in: a watch that answered 200 is open. */
static void kube_on_headers(void *arg)
{
    struct kube_watcher *w = arg;

    if (w->in_watch && w->status == 200)
        kube_set_watching(w, 1);
}

/* A watch's events to kubeevent_feed; any other body into w->body. */
static int kube_on_body(void *arg, const char *p, size_t n)
{
    struct kube_watcher *w = arg;

    if (w->in_watch && w->status == 200)
        return kubeevent_feed(w, p, n);
    if (w->body.len + n > (w->in_watch ? KUBE_ERRBODY_MAX : KUBE_LIST_MAX)) {
        w->too_big = 1;
        return -1;
    }
    return strbuf_add(&w->body, p, n);
}

static int kube_on_progress(void *arg)
{
    struct kube_watcher *w = arg;

    if (kube_stopping(w->k)) {
        w->result = KUBE_STOPPED;
        return 1;
    }
    /* The periodic status line, from a thread whose own watch is open: not
     * from one between two watches, which would read itself as lost. */
    if (w->in_watch && w->status == 200)
        kube_tick(w->k);
    if (w->in_watch && monotime_s() >= w->resync_at) {
        w->result = KUBE_RESYNC;
        return 1;
    }
    return 0;
}

/* One GET of server+path. Fills w->status and w->body (or feeds events). */
CURLcode kube_get(struct kube_watcher *w, const char *url, int watch,
                  long timeout_s)
{
    const struct kubehttp_sink sink = {&w->status, kube_on_headers,
                                       kube_on_body, kube_on_progress, w};

    w->status = 0;
    w->refused = 0;
    w->body.max = KUBE_LIST_MAX; /* kube_on_body cuts error bodies shorter */
    strbuf_reset(&w->body);
    strbuf_reset(&w->line);
    w->discarding = 0;
    w->too_big = 0;
    w->in_watch = watch;
    return kubehttp_get(&w->http, url, watch, timeout_s, &sink);
}

/* What curl said, for logs. */
const char *kube_curl_msg(const struct kube_watcher *w, CURLcode cc)
{
    return kubehttp_strerror(&w->http, cc);
}

/* The URL of a list page or a watch. */
char *kube_url(struct kube_watcher *w, const char *cont, int paged)
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
        esc = curl_easy_escape(w->http.curl, cont, 0);
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

enum kube_page kube_page(struct kube_watcher *w, char **cont, int *paged,
                         char *why, size_t n)
{
    char *url = kube_url(w, *cont, *paged), msg[256];
    CURLcode cc;

    if (url == NULL) {
        snprintf(why, n, "out of memory");
        return KUBE_PAGE_FAIL;
    }
    cc = kube_get(w, url, 0, 0);
    free(url);
    if (kube_stopping(w->k))
        return KUBE_PAGE_STOPPED;
    if (cc != CURLE_OK) {
        snprintf(why, n, "%s",
                 w->too_big ? "answer too large" : kube_curl_msg(w, cc));
        w->refused = cc == CURLE_COULDNT_CONNECT;
        return KUBE_PAGE_FAIL;
    }
    if (w->status == 200)
        return KUBE_PAGE_OK;
    kube_status_msg(&w->body, msg, sizeof(msg));
    if (w->status == 410 && *cont != NULL) {
        free(*cont);
        *cont = NULL;
        *paged = 0;
        snprintf(why, n, "%s", msg);
        return KUBE_PAGE_RESTART;
    }
    snprintf(why, n, "HTTP %ld: %s", w->status, msg);
    return w->status == 404 ? KUBE_PAGE_ABSENT : KUBE_PAGE_FAIL;
}

int kube_page_next(const json_t *root, char **cont)
{
    const char *c = json_string_value(
        json_object_get(json_object_get(root, "metadata"), "continue"));

    free(*cont);
    *cont = NULL;
    if (c == NULL || c[0] == '\0')
        return 0;
    *cont = strdup(c);
    return *cont != NULL ? 1 : -1;
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
    w->current_at = monotime_s();
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
            k->stats_logged = monotime_s();
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
                (monotime_s() - t0) * 1000, w->n_new, w->n_changed,
                w->n_removed);
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
            (monotime_s() - k->started) * 1000);
}

static enum kube_rc kube_list(struct kube_watcher *w)
{
    struct kube *k = w->k;
    char *cont = NULL, *list_rv = NULL, why[384];
    json_t *root = NULL, *items, *item;
    const json_t *meta;
    const char *rv;
    enum kube_rc rc = KUBE_FAIL;
    enum kube_page got;
    size_t pages = 0, i, seen = 0;
    int paged = 1, more;
    double t0 = monotime_s();

    w->gen++;
    w->n_new = w->n_changed = w->n_removed = 0;
    w->image_seen = 0;
    for (;;) {
        got = kube_page(w, &cont, &paged, why, sizeof(why));
        if (got == KUBE_PAGE_STOPPED) {
            rc = KUBE_STOPPED;
            goto out;
        }
        if (got == KUBE_PAGE_ABSENT && w->res->image_config) {
            rc = KUBE_ABSENT;
            goto out;
        }
        if (got == KUBE_PAGE_RESTART) {
            log_msg(LOG_INFO,
                    "kube: %s: continue token expired (410 Gone: %s); "
                    "listing again in one request",
                    w->res->name, why);
            kube_count(k, &k->expired);
            seen = 0;
            w->image_seen = 0;
            w->gen++;
            continue;
        }
        if (got != KUBE_PAGE_OK) {
            kube_why(w, "list: %s%s", why,
                     w->status == 401 || w->status == 403
                         ? " (the webhook's ClusterRole must grant list and "
                           "watch here)"
                         : "");
            goto out;
        }
        /*
         * The page's values (kind and apiVersion of its items included) in
         * a mapping of their own, given back once they are in the index:
         * with malloc they left holes between the index's allocations (a
         * fifth more resident after the list than from watch events).
         */
        if (w->body.len < SIZE_MAX / KUBE_PAGE_ARENA)
            jsonarena_map(w->body.len * KUBE_PAGE_ARENA);
        root = jsonload_text(w->body.p, w->body.len, NULL);
        items = json_object_get(root, "items");
        json_array_foreach(items, i, item)
        {
            if (json_is_object(item))
                kubeevent_kind(w->res, item);
        }
        jsonarena_end(); /* what the index keeps comes from malloc */
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
            kubeevent_apply(w, item, 1);
            seen++;
        }
        pages++;
        more = kube_page_next(root, &cont);
        if (more < 0) {
            kube_why(w, "list: out of memory");
            goto out;
        }
        if (more) {
            json_decref(root);
            root = NULL;
            jsonarena_unmap();
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
        kubeevent_image_config(w, NULL);
    if (kubeevent_sweep(w) != 0) {
        kube_why(w, "list: out of memory");
        goto out;
    }
    free(w->rv);
    w->rv = list_rv;
    list_rv = NULL;
    rc = KUBE_OK;
out:
    if (rc == KUBE_OK || rc == KUBE_ABSENT) {
        w->resync_at = monotime_s() + k->resync_s * (0.9 + 0.2 * kube_rand(w));
        if (rc == KUBE_ABSENT)
            kubeevent_image_config(w, NULL);
        kube_listed(w, pages, seen, t0, rc == KUBE_ABSENT);
        w->failures = 0;
    }
    free(list_rv);
    free(cont);
    json_decref(root);
    jsonarena_unmap();
    strbuf_free(&w->body); /* a page's size, until the next list */
#ifdef KUBE_TRIM
    /* The whole pages of what the list freed (its body, curl's buffers)
     * between what the index keeps: given back, not kept resident. */
    malloc_trim(0);
#endif
    return rc;
}

static enum kube_rc kube_watch(struct kube_watcher *w)
{
    struct kube *k = w->k;
    struct strbuf u = {.max = STRBUF_NOMAX};
    char *esc = NULL, msg[256];
    double t0 = monotime_s(), left = w->resync_at - t0;
    unsigned t = KUBE_WATCH_MIN_S + (unsigned)(kube_rand(w) * KUBE_WATCH_MIN_S);
    enum kube_rc rc = KUBE_FAIL;
    CURLcode cc;

    if (left < 1)
        return KUBE_RESYNC;
    if (left < t)
        t = (unsigned)left;
    esc = curl_easy_escape(w->http.curl, w->rv, 0);
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
    if (w->applied > 0 || monotime_s() - t0 >= KUBE_HEALTHY_S)
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
    double d = (double)(KUBE_BACKOFF_MIN_MS << shift), s, now = monotime_s();
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

static void *kube_run(void *arg)
{
    struct kube_watcher *w = arg;
    enum kube_rc rc;

    while (!kube_stopping(w->k)) {
        if (w->rv == NULL) {
            rc = kube_list(w);
            if (rc == KUBE_ABSENT) {
                if (kube_sleep(w->k, w->resync_at - monotime_s()) != 0)
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

static void kube_watcher_free(struct kube_watcher *w)
{
    kubeevent_free(w);
    kubehttp_free(&w->http);
    free(w->rv);
    strbuf_free(&w->body);
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
    /* Here rather than at start: serve without --kube never maps it. */
    if (curlfn_load(err) != 0) {
        free(k);
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
    k->started = monotime_s();
    pthread_mutex_init(&k->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&k->cond, &ca);
    pthread_condattr_destroy(&ca);
    for (i = 0; i < KUBE_NRES; i++) {
        struct kube_watcher *w = &k->w[i];

        w->k = k;
        w->res = &kube_resources[i];
        w->rng = ((uint64_t)time(NULL) << 20) ^ (uint64_t)(monotime_s() * 1e9) ^
                 ((uint64_t)(i + 1) << 40);
        if (w->rng == 0)
            w->rng = 88172645463325252ull;
        if (kubeevent_init(w) != 0 ||
            kubehttp_init(&w->http, k->kc, w->res->name) != 0) {
            err_set(err, "out of memory");
            goto fail;
        }
    }
    kubehttp_describe(k->kc, how, sizeof(how));
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
