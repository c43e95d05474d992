/* kubeint.h - kube's insides, shared by kube.c, kubeevent.c and
 * kubelist.c: the client, its watcher of each kind, and the helpers of
 * kube.c that they call. Not an API: other modules include kube.h. */
#ifndef WEBHOOK_KUBEINT_H
#define WEBHOOK_KUBEINT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "kube.h"
#include "kubehttp.h"
#include "strbuf.h"
#include "strmap.h"

#define KUBE_NRES 6 /* the kinds followed: kube.c's kube_resources */

struct kube_resource {
    const char *name; /* for logs */
    const char *path;
    const char *kind; /* list items carry no kind: it is set from here */
    const char *api_version;
    const char *selector; /* extra query, URL-encoded, or NULL */
    int image_config;     /* images.config.openshift.io: 404 is fine */
};

enum kube_rc {
    KUBE_OK,      /* listed, or a watch ended by its timeout */
    KUBE_FAIL,    /* retry after a backoff */
    KUBE_EXPIRED, /* 410 Gone: list again now */
    KUBE_ABSENT,  /* 404 of an optional kind */
    KUBE_RESYNC,  /* the resync period is up: list again now */
    KUBE_STOPPED
};

/* One kind followed: its thread, its view of the index, its last request. */
struct kube_watcher {
    struct kube *k;
    const struct kube_resource *res;
    pthread_t thread;
    int started;
    struct kubehttp http; /* its GETs */
    struct strmap *known; /* "<ns>\0<name>" -> kubeevent's record of it */
    unsigned gen;         /* the list under way: what it misses is swept */
    char *rv;             /* watch from here; NULL: list first */
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

/* Count one more of *c, a counter of k, under its lock. */
void kube_count(struct kube *k, unsigned long long *c);

/* A malformed event or object: logged, counted, skipped. */
void kube_skip(struct kube_watcher *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Remember why the last request failed, for the backoff's warning. */
void kube_why(struct kube_watcher *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* After failures, the watch proved good: say so once. */
void kube_recovered(struct kube_watcher *w);

/* Whether kube_stop() was called. */
int kube_stopping(const struct kube *k);

/* The URL of w's kind: a list page after cont (NULL: the first), limited
 * when paged. A new string (caller frees), NULL on out of memory. */
char *kube_url(struct kube_watcher *w, const char *cont, int paged);

/* One GET of url (a list, or a watch of timeout_s) for w: w->status and
 * w->body, w->too_big past the cap; a watch's events to kubeevent_feed. */
CURLcode kube_get(struct kube_watcher *w, const char *url, int watch,
                  long timeout_s);

/* What kube_page() got. */
enum kube_page {
    KUBE_PAGE_OK,      /* 200: the page is in w->body */
    KUBE_PAGE_RESTART, /* 410 of a continue token: list again from the top */
    KUBE_PAGE_ABSENT,  /* 404 */
    KUBE_PAGE_STOPPED, /* kube_stop() was called */
    KUBE_PAGE_FAIL
};

/*
 * GET the page of w's list after *cont (NULL: the first page), whole when
 * *paged is 0. On 410 with a continue token (it expired) *cont is freed
 * and NULL and *paged 0: the caller drops what it gathered and asks again.
 * why gets the reason of RESTART, ABSENT and FAIL ("HTTP 403: ...", curl's
 * message); w->refused says whether the connection was refused.
 */
enum kube_page kube_page(struct kube_watcher *w, char **cont, int *paged,
                         char *why, size_t n);

/* After page root: *cont is replaced by its continue token. 1 when more
 * pages follow, 0 after the last, -1 out of memory. */
int kube_page_next(const json_t *root, char **cont);

/* The message of a Status body (or its first bytes), into out. */
void kube_status_msg(const struct strbuf *b, char *out, size_t n);

/* What curl said of w's last GET (borrowed), for logs. */
const char *kube_curl_msg(const struct kube_watcher *w, CURLcode cc);

/* kubestats.c: the status line when k->status_s has passed since the last
 * one (any thread may call it; one writes it), and the line at once. */
void kube_tick(struct kube *k);
void kube_log_stats(struct kube *k, const char *when);

#endif
