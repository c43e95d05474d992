/* kubeevent.c - a kind's objects from the API into the live index: list
 * items and watch events applied, what a list no longer has swept away,
 * the image config's registry hostnames. */
#include "kubeevent.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "hashkey.h"
#include "jsonload.h"
#include "log.h"
#include "monotime.h"
#include "state.h"
#include "strmap.h"

#define KUBEEVENT_LINE_MAX  ((size_t)16 << 20) /* an event, in bytes */
#define KUBEEVENT_MAX_HOSTS 64

/* What the index holds of one object, by "<ns>\0<name>". */
struct kubeevent_known {
    char *rv;
    unsigned gen; /* the list that last saw it */
};

int kubeevent_init(struct kube_watcher *w)
{
    w->line.max = KUBEEVENT_LINE_MAX;
    w->known = strmap_new(hashkey_get());
    return w->known != NULL ? 0 : -1;
}

void kubeevent_free(struct kube_watcher *w)
{
    size_t pos = 0;
    void *val;

    while (w->known != NULL && strmap_next(w->known, &pos, NULL, NULL, &val)) {
        free(((struct kubeevent_known *)val)->rv);
        free(val);
    }
    strmap_free(w->known);
    w->known = NULL;
    free(w->hosts);
    w->hosts = NULL;
    strbuf_free(&w->line);
}

/* "<ns>\0<name>" of obj into key; 0, or -1 when it has no usable name. */
static int kubeevent_key(const json_t *obj, char *key, size_t cap, size_t *len,
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

static void kubeevent_forget(struct kube_watcher *w, const char *key,
                             size_t len)
{
    struct kubeevent_known *kn = strmap_remove(w->known, key, len);

    if (kn != NULL) {
        free(kn->rv);
        free(kn);
    }
}

static void kubeevent_objects(struct kube_watcher *w)
{
    size_t n = strmap_count(w->known);

    pthread_mutex_lock(&w->k->lock);
    w->objects = n;
    pthread_mutex_unlock(&w->k->lock);
}

/* Whether obj is the one image config the cluster has, "cluster". */
static int kubeevent_is_cluster_image(const json_t *obj)
{
    const char *name = json_string_value(
        json_object_get(json_object_get(obj, "metadata"), "name"));

    return name != NULL && strcmp(name, "cluster") == 0;
}

/* The image config's registry hostnames to the state (obj NULL: none). */
void kubeevent_image_config(struct kube_watcher *w, const json_t *obj)
{
    const json_t *status = json_object_get(obj, "status"), *ext, *v;
    const char *hosts[KUBEEVENT_MAX_HOSTS], *s;
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
        if (s == NULL || s[0] == '\0' || n == KUBEEVENT_MAX_HOSTS)
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

void kubeevent_kind(const struct kube_resource *res, json_t *obj)
{
    if (json_object_get(obj, "kind") == NULL)
        json_object_set_new(obj, "kind", json_string(res->kind));
    if (json_object_get(obj, "apiVersion") == NULL)
        json_object_set_new(obj, "apiVersion", json_string(res->api_version));
}

/* ADDED, MODIFIED, or an item of a list: into the index. */
void kubeevent_apply(struct kube_watcher *w, json_t *obj, int listed)
{
    const struct kube_resource *res = w->res;
    const char *ns, *name, *rv;
    char key[600];
    size_t len;
    struct kubeevent_known *kn;
    struct err err = {{0}};

    if (res->image_config) {
        /* The field selector asks for it alone; a server may send more. */
        if (kubeevent_is_cluster_image(obj)) {
            kubeevent_image_config(w, obj);
            w->image_seen = 1;
        }
        return;
    }
    if (kubeevent_key(obj, key, sizeof(key), &len, &ns, &name) != 0) {
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
    kubeevent_kind(res, obj);
    if (state_live_put(obj, &err) != 0) {
        /*
         * The API has this object in a form the index cannot read: what it
         * grants now is unknown, so no earlier version of it stays in.
         */
        kube_skip(w, "%s (any earlier version removed)", err.msg);
        state_live_delete(res->kind, ns, name);
        kubeevent_forget(w, key, len);
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
        kubeevent_forget(w, key, len);
        log_msg(LOG_ERROR, "kube: %s: out of memory", res->name);
        return;
    }
    kn->gen = w->gen;
    log_msg(LOG_DEBUG, "kube: %s %s%s%s stored (resourceVersion %s)", res->kind,
            ns, ns[0] ? "/" : "", name, rv ? rv : "?");
}

/* DELETED: out of the index. */
static void kubeevent_remove(struct kube_watcher *w, const json_t *obj)
{
    const char *ns, *name;
    char key[600];
    size_t len;

    if (w->res->image_config) {
        if (kubeevent_is_cluster_image(obj))
            kubeevent_image_config(w, NULL);
        return;
    }
    if (kubeevent_key(obj, key, sizeof(key), &len, &ns, &name) != 0) {
        kube_skip(w, "DELETED %s without a usable metadata.name", w->res->kind);
        return;
    }
    state_live_delete(w->res->kind, ns, name);
    kubeevent_forget(w, key, len);
    log_msg(LOG_DEBUG, "kube: %s %s%s%s deleted", w->res->kind, ns,
            ns[0] ? "/" : "", name);
}

/* After a list: remove what it did not return. */
int kubeevent_sweep(struct kube_watcher *w)
{
    struct strbuf gone = {.max = STRBUF_NOMAX};
    size_t pos = 0, len, off;
    const char *key;
    void *val;

    while (strmap_next(w->known, &pos, &key, &len, &val))
        if (((struct kubeevent_known *)val)->gen != w->gen)
            if (strbuf_add(&gone, key, len) != 0 ||
                strbuf_add(&gone, "", 1) != 0) {
                strbuf_free(&gone);
                return -1;
            }
    for (off = 0; off < gone.len;) {
        const char *ns = gone.p + off, *name = ns + strlen(ns) + 1;

        len = strlen(ns) + 1 + strlen(name);
        state_live_delete(w->res->kind, ns, name);
        kubeevent_forget(w, ns, len);
        w->n_removed++;
        off += len + 1;
    }
    strbuf_free(&gone);
    return 0;
}

/* ---- the watch stream ---- */

/* One line of a watch: one event. 0 to go on, -1 to end the watch. */
static int kubeevent_line(struct kube_watcher *w, char *line, size_t len)
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
        kubeevent_apply(w, obj, 0);
        w->applied++;
        kube_count(w->k, &w->k->events);
    } else if (strcmp(type, "DELETED") == 0) {
        kubeevent_remove(w, obj);
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
        kubeevent_objects(w);
        pthread_mutex_lock(&w->k->lock);
        w->current_at = monotime_s();
        pthread_mutex_unlock(&w->k->lock);
    }
    json_decref(ev);
    return rc;
}

/* Watch bytes: frame on newlines (not on chunks) and handle each event. */
int kubeevent_feed(struct kube_watcher *w, const char *p, size_t n)
{
    while (n > 0) {
        const char *nl = memchr(p, '\n', n);
        size_t seg = nl ? (size_t)(nl - p) : n;

        if (!w->discarding && w->line.len + seg > KUBEEVENT_LINE_MAX) {
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
            kube_skip(w, "an event over %zu bytes", KUBEEVENT_LINE_MAX);
            w->discarding = 0;
        } else if (kubeevent_line(w, w->line.p, w->line.len) != 0) {
            return -1;
        }
        strbuf_reset(&w->line);
        p += seg + 1;
        n -= seg + 1;
    }
    return 0;
}
