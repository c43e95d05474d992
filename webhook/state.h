/* state.h - what the server decides with: config and RBAC, swapped whole. */
#ifndef WEBHOOK_STATE_H
#define WEBHOOK_STATE_H

#include "config.h"
#include "err.h"
#include "rbac.h"

/* One loaded config and index; immutable once published. */
struct state {
    struct config *cfg;
    struct rbac *rb; /* NULL: no bindings source */
    int refs;
};

/*
 * Load the config (NULL path: defaults) and bindings (NULL path: none) into
 * a new state with one reference. NULL with err naming the file and item.
 */
struct state *state_load(const char *config_path, const char *bindings_path,
                         struct err *err);

/*
 * Load a bindings file (a List as kubectl prints it, or one object) into a
 * new index. NULL with err naming the file and the item.
 */
struct rbac *state_load_bindings(const char *path, struct err *err);

/* Make st the current state (the holder's reference moves to it). */
void state_publish(struct state *st);

/* A new reference to the current state; release it with state_release. */
struct state *state_acquire(void);

void state_release(struct state *st);

#endif
