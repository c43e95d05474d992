/* state.h - what the server decides with: config and RBAC, swapped whole. */
#ifndef WEBHOOK_STATE_H
#define WEBHOOK_STATE_H

#include "config.h"
#include "err.h"
#include "rbac.h"

/*
 * One loaded config and index; immutable once published, except a live
 * index (--kube), which the API watch changes in place: read it between
 * state_read_lock() and state_read_unlock().
 */
struct state {
    struct config *cfg;
    struct rbac *rb; /* NULL: no bindings source */
    int refs;
    json_t *cfg_src; /* the config file's JSON (NULL: defaults), to rebuild
                        cfg when the cluster's registries change */
    int live;        /* rb is the shared live index, not owned */
};

/*
 * Load the config (NULL path: defaults) and bindings (NULL path: none) into
 * a new state with one reference. NULL with err naming the file and item.
 */
struct state *state_load(const char *config_path, const char *bindings_path,
                         struct err *err);

/* Make st the current state (the holder's reference moves to it). */
void state_publish(struct state *st);

/* A new reference to the current state; release it with state_release. */
struct state *state_acquire(void);

void state_release(struct state *st);

/*
 * Hold st's index steady while a review uses it and the results it borrows:
 * a read lock on a live index, nothing for a bindings file (never changed
 * once published). Never blocks on the API watch's I/O: writers hold the
 * lock only for one rbac_put() or rbac_delete().
 */
void state_read_lock(const struct state *st);
void state_read_unlock(const struct state *st);

/* rbac_binding_count() of st's index, read under its lock. */
size_t state_binding_count(const struct state *st);

/*
 * Live mode (serve --kube): one index, fed by the Kubernetes API, shared by
 * every state loaded from now on (state_load() with no bindings file) and
 * changed in place. Call once, before the first state_load(). -1 on ENOMEM.
 */
int state_live_init(struct err *err);

/* rbac_put() of obj (borrowed) into the live index, under its write lock. */
int state_live_put(const json_t *obj, struct err *err);

/* rbac_delete() from the live index, under its write lock. */
void state_live_delete(const char *kind, const char *ns, const char *name);

/*
 * Registry hosts (the cluster's image config) added to crossProject.registries
 * of the current state and of every state published later (a SIGHUP reload
 * keeps them). hosts are copied; n 0 removes them. When they differ from the
 * last set, publishes a new state with them merged. -1 on ENOMEM (the
 * current state stays).
 */
int state_live_set_registries(const char *const *hosts, size_t n,
                              struct err *err);

#endif
