/* state.c - what the server decides with: config and RBAC, swapped whole. */
#include "state.h"

#include <pthread.h>
#include <stdlib.h>

#include "yamljson.h"

#define STATE_CONFIG_MAX (1u << 20)
#define STATE_BINDINGS_MAX (1024u << 20)

static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;
static struct state *state_current;

struct rbac *state_load_bindings(const char *path, struct err *err)
{
    struct err perr = {{0}};
    json_t *root = yamljson_load_file(path, STATE_BINDINGS_MAX, err);
    struct rbac *rb = NULL;

    if (root == NULL)
        return NULL;
    rb = rbac_new();
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
    }
    json_decref(root);
    return st;
fail:
    json_decref(root);
    st->refs = 1;
    state_release(st);
    return NULL;
}

void state_publish(struct state *st)
{
    struct state *old;

    pthread_mutex_lock(&state_lock);
    old = state_current;
    state_current = st;
    pthread_mutex_unlock(&state_lock);
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
        rbac_free(st->rb);
        free(st);
    }
}
