/* kube.h - Kubernetes API client: list and watch RBAC into the live index. */
#ifndef WEBHOOK_KUBE_H
#define WEBHOOK_KUBE_H

#include <stddef.h>
#include <time.h>

#include "err.h"
#include "kubeconfig.h"

struct kube;

struct kube_opts {
    const struct kubeconfig *kc; /* borrowed; must outlive the client */
    unsigned resync_s;           /* full relist period; 0: 1800 s */
    unsigned page_limit;         /* items per list page; 0: 500 */
    unsigned status_s;           /* the status line this often; 0: 600 s */
};

/*
 * What the client has done, for /metrics and logs. A copy, taken under the
 * client's lock.
 */
struct kube_stats {
    int synced;         /* every kind listed once: /readyz says ready */
    int connected;      /* every watch open right now */
    double state_age_s; /* 0 while connected; else how old the index may
                           be: seconds since the kind lost longest ago was
                           last known current */
    time_t last_sync;   /* wall clock of the last completed list, 0: none */
    unsigned long long lists;      /* completed lists (first, 410, resync) */
    unsigned long long relists;    /* lists after the first, for any reason */
    unsigned long long expired;    /* 410 Gone answers (watch or continue) */
    unsigned long long reconnects; /* watches or lists that failed */
    unsigned long long events;     /* ADDED, MODIFIED, DELETED applied */
    unsigned long long skipped;    /* malformed events or objects skipped */
    size_t objects;                /* objects the index holds from the API */
};

/*
 * Start listing and watching RoleBindings, ClusterRoleBindings, Roles,
 * ClusterRoles and ServiceAccounts (into the live index: state_live_init()
 * first, and publish a state before) and images.config.openshift.io/cluster
 * (its registry hostnames go to state_live_set_registries(); a 404 means
 * not OpenShift: the config's registries alone), one thread per kind.
 * Returns a new client, or NULL with err set when libcurl cannot be loaded
 * (curlfn_load()) or a thread cannot start.
 * Threads block SIGHUP, SIGINT, SIGTERM and SIGPIPE.
 */
struct kube *kube_start(const struct kube_opts *opts, struct err *err);

/* Whether every kind has been listed once (stays true after a loss). */
int kube_ready(const struct kube *k);

/* Fill *out with the current counters. */
void kube_stats_get(const struct kube *k, struct kube_stats *out);

/* Stop the threads (within about a second), free k. NULL is fine. */
void kube_stop(struct kube *k);

#endif
