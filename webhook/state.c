/* state.c - what the server decides with: config and RBAC, swapped whole. */
#define _GNU_SOURCE /* pthread_rwlockattr_setkind_np */
#include "state.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hashkey.h"
#include "log.h"
#include "yamljson.h"

#define STATE_CONFIG_MAX   (1u << 20)
#define STATE_BINDINGS_MAX (1024u << 20)

static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;
static struct state *state_current;

/*
 * The live index (serve --kube) is one struct rbac that the API watch
 * changes in place, under a read-write lock:
 * - a request thread holds the read lock for one review (microseconds to a
 *   millisecond) and never waits on the watch's I/O: the watch thread
 *   downloads and parses each event without the lock and takes the write
 *   lock only for the rbac_put() or rbac_delete() of that one object, which
 *   touches only that object's entries (microseconds);
 * - writers are preferred, so a steady stream of requests cannot starve the
 *   watch and hold back a change: a request waits at most for the reviews
 *   already running and one put;
 * - swapping a copy per event would copy the whole index for every event
 *   (seconds with a million bindings), and RCU would need deferred freeing
 *   for every node of the index; a lock held for microseconds costs less
 *   than either.
 * Config changes (SIGHUP, the cluster's registries) still swap whole states.
 */
static pthread_rwlock_t state_live_lock;
static struct rbac *state_live_rb;

/*
 * Held while a state is built from the current one and published, so that a
 * SIGHUP reload and a change of the cluster's registries cannot undo each
 * other. Guards state_extra, the cluster's registries merged into every
 * state published.
 */
static pthread_mutex_t state_build_lock = PTHREAD_MUTEX_INITIALIZER;
static char **state_extra;
static size_t state_n_extra;

/* Add the hosts cfg lacks (compared without case) to its registries. */
static int state_merge(struct config *cfg, char *const *hosts, size_t n)
{
    size_t i, j;

    for (i = 0; i < n; i++) {
        char **nv, *dup;

        for (j = 0; j < cfg->registries.n; j++)
            if (strcasecmp(cfg->registries.v[j], hosts[i]) == 0)
                break;
        if (j < cfg->registries.n)
            continue;
        dup = strdup(hosts[i]);
        nv = dup != NULL ? realloc(cfg->registries.v,
                                   (cfg->registries.n + 1) * sizeof(*nv))
                         : NULL;
        if (nv == NULL) {
            free(dup);
            return -1;
        }
        nv[cfg->registries.n++] = dup;
        cfg->registries.v = nv;
    }
    return 0;
}

/*
 * Load a bindings file (a List as kubectl prints it, or one object) into a
 * new index. NULL with err naming the file and the item.
 */
static struct rbac *state_load_bindings(const char *path, struct err *err)
{
    struct err perr = {{0}};
    json_t *root = yamljson_load_file(path, STATE_BINDINGS_MAX, err);
    struct rbac *rb = NULL;

    if (root == NULL)
        return NULL;
    rb = rbac_new(hashkey_get());
    if (rb == NULL) {
        err_set(err, "out of memory");
    } else if (rbac_put(rb, root, &perr) != 0) {
        err_set(err, "%s: %s", path, perr.msg);
        rbac_free(rb);
        rb = NULL;
    }
    json_decref(root);
    return rb;
}

struct state *state_load(const char *config_path, const char *bindings_path,
                         struct err *err)
{
    struct state *st = calloc(1, sizeof(*st));
    json_t *root = NULL;
    struct err perr = {{0}};

    if (st == NULL) {
        err_set(err, "out of memory");
        return NULL;
    }
    st->refs = 1;
    if (config_path != NULL) {
        root = yamljson_load_file(config_path, STATE_CONFIG_MAX, err);
        if (root == NULL)
            goto fail;
        st->cfg = config_from_json(root, &perr);
        if (st->cfg == NULL) {
            err_set(err, "%s: %s", config_path, perr.msg);
            goto fail;
        }
    } else {
        st->cfg = config_new_default();
        if (st->cfg == NULL) {
            err_set(err, "out of memory");
            goto fail;
        }
    }
    if (bindings_path != NULL) {
        st->rb = state_load_bindings(bindings_path, err);
        if (st->rb == NULL)
            goto fail;
    } else if (state_live_rb != NULL) {
        st->rb = state_live_rb;
        st->live = 1;
    }
    st->cfg_src = root;
    return st;
fail:
    json_decref(root);
    st->refs = 1;
    state_release(st);
    return NULL;
}

/* Make st current; the caller holds state_build_lock. */
static struct state *state_swap(struct state *st)
{
    struct state *old;

    pthread_mutex_lock(&state_lock);
    old = state_current;
    state_current = st;
    pthread_mutex_unlock(&state_lock);
    return old;
}

void state_publish(struct state *st)
{
    struct state *old;

    pthread_mutex_lock(&state_build_lock);
    if (st != NULL && state_merge(st->cfg, state_extra, state_n_extra) != 0)
        log_msg(LOG_ERROR, "out of memory: the cluster's registries are "
                           "missing from crossProject.registries");
    old = state_swap(st);
    pthread_mutex_unlock(&state_build_lock);
    state_release(old);
}

struct state *state_acquire(void)
{
    struct state *st;

    pthread_mutex_lock(&state_lock);
    st = state_current;
    if (st != NULL)
        st->refs++;
    pthread_mutex_unlock(&state_lock);
    return st;
}

void state_release(struct state *st)
{
    int last;

    if (st == NULL)
        return;
    pthread_mutex_lock(&state_lock);
    last = --st->refs == 0;
    pthread_mutex_unlock(&state_lock);
    if (last) {
        config_free(st->cfg);
        if (!st->live)
            rbac_free(st->rb);
        json_decref(st->cfg_src);
        free(st);
    }
}

void state_read_lock(const struct state *st)
{
    if (st != NULL && st->live)
        pthread_rwlock_rdlock(&state_live_lock);
}

void state_read_unlock(const struct state *st)
{
    if (st != NULL && st->live)
        pthread_rwlock_unlock(&state_live_lock);
}

size_t state_binding_count(const struct state *st)
{
    size_t n;

    if (st == NULL)
        return 0;
    state_read_lock(st);
    n = rbac_binding_count(st->rb);
    state_read_unlock(st);
    return n;
}

int state_live_init(struct err *err)
{
    pthread_rwlockattr_t attr;

    if (state_live_rb != NULL)
        return 0;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr,
                                  PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&state_live_lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    state_live_rb = rbac_new(hashkey_get());
    if (state_live_rb == NULL)
        return err_set(err, "out of memory");
    return 0;
}

int state_live_put(const json_t *obj, struct err *err)
{
    int rc;

    pthread_rwlock_wrlock(&state_live_lock);
    rc = rbac_put(state_live_rb, obj, err);
    pthread_rwlock_unlock(&state_live_lock);
    return rc;
}

void state_live_delete(const char *kind, const char *ns, const char *name)
{
    pthread_rwlock_wrlock(&state_live_lock);
    rbac_delete(state_live_rb, kind, ns, name);
    pthread_rwlock_unlock(&state_live_lock);
}

/* A new state with cur's config source and live index, and hosts merged. */
static struct state *state_rebuild(const struct state *cur, char *const *hosts,
                                   size_t n, struct err *err)
{
    struct state *st = calloc(1, sizeof(*st));
    struct err perr = {{0}};

    if (st == NULL)
        goto nomem;
    st->refs = 1;
    st->rb = cur->rb;
    st->live = 1;
    if (cur->cfg_src != NULL) {
        /* A copy: the states' JSON values are never shared across threads. */
        st->cfg_src = json_deep_copy(cur->cfg_src);
        if (st->cfg_src == NULL)
            goto nomem;
        st->cfg = config_from_json(st->cfg_src, &perr);
        if (st->cfg == NULL) {
            err_set(err, "config: %s", perr.msg);
            goto fail;
        }
    } else {
        st->cfg = config_new_default();
        if (st->cfg == NULL)
            goto nomem;
    }
    if (state_merge(st->cfg, hosts, n) != 0)
        goto nomem;
    return st;
nomem:
    err_set(err, "out of memory");
fail:
    state_release(st);
    return NULL;
}

int state_live_set_registries(const char *const *hosts, size_t n,
                              struct err *err)
{
    struct state *cur = NULL, *st = NULL, *old = NULL;
    char **nv = NULL;
    size_t i, have = 0;
    int rc = -1;

    pthread_mutex_lock(&state_build_lock);
    if (n == state_n_extra) {
        for (i = 0; i < n; i++)
            if (strcmp(hosts[i], state_extra[i]) != 0)
                break;
        if (i == n) {
            rc = 0;
            goto out;
        }
    }
    if (n > 0) {
        nv = calloc(n, sizeof(*nv));
        if (nv == NULL) {
            err_set(err, "out of memory");
            goto out;
        }
        for (have = 0; have < n; have++) {
            nv[have] = strdup(hosts[have]);
            if (nv[have] == NULL) {
                err_set(err, "out of memory");
                goto out;
            }
        }
    }
    cur = state_acquire();
    /* A bindings file's state is not rebuilt here: it owns its index. */
    if (cur != NULL && cur->live) {
        st = state_rebuild(cur, nv, n, err);
        if (st == NULL)
            goto out;
    }
    for (i = 0; i < state_n_extra; i++)
        free(state_extra[i]);
    free(state_extra);
    state_extra = nv;
    state_n_extra = n;
    nv = NULL;
    have = 0;
    if (st != NULL)
        old = state_swap(st);
    rc = 0;
out:
    pthread_mutex_unlock(&state_build_lock);
    for (i = 0; i < have; i++)
        free(nv[i]);
    free(nv);
    state_release(old);
    state_release(cur);
    return rc;
}
