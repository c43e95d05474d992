/* kubestats.c - what the API client has done: readiness, the counters for
 * /metrics, and the periodic status line. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kube.h"
#include "kubeint.h"
#include "log.h"
#include "monotime.h"

/* Log the counters when status_s passed; one thread does it. */
void kube_tick(struct kube *k)
{
    double now = monotime_s();
    int due;

    pthread_mutex_lock(&k->lock);
    due = k->all_synced && now - k->stats_logged >= k->status_s;
    if (due)
        k->stats_logged = now;
    pthread_mutex_unlock(&k->lock);
    if (due)
        kube_log_stats(k, "status");
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
    double now = monotime_s(), oldest = now;
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
void kube_log_stats(struct kube *k, const char *when)
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
