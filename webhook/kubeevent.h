/* kubeevent.h - a kind's objects from the API into the live index: list
 * items and watch events applied, what a list no longer has swept away,
 * the image config's registry hostnames. */
#ifndef WEBHOOK_KUBEEVENT_H
#define WEBHOOK_KUBEEVENT_H

#include <stddef.h>

#include <jansson.h>

#include "kubeint.h"

/*
 * What w keeps of the index: the objects it put there (w->known, by
 * namespace and name, with their resourceVersion and the list that last
 * saw them), the image config's hostnames (w->hosts) and the watch's
 * partial line (w->line, an event at most 16 MiB). -1: no memory.
 */
int kubeevent_init(struct kube_watcher *w);

/* List items carry neither kind nor apiVersion, only the list does: obj
 * gets res's when it has none. */
void kubeevent_kind(const struct kube_resource *res, json_t *obj);

/*
 * ADDED, MODIFIED, or an item of a list (listed: an object whose
 * resourceVersion w already has is left as it is) into the index. obj gets
 * kind and apiVersion when it has none. One the index cannot read is
 * skipped (logged, counted) and any earlier version of it removed.
 */
void kubeevent_apply(struct kube_watcher *w, json_t *obj, int listed);

/*
 * The image config obj's registry hostnames (obj NULL: none) to the state,
 * with a log line, when they changed.
 */
void kubeevent_image_config(struct kube_watcher *w, const json_t *obj);

/* After a list (w->gen): remove what it did not return. 0, or -1 on out of
 * memory. */
int kubeevent_sweep(struct kube_watcher *w);

/*
 * n bytes of a watch's body: framed into events on newlines, not on
 * chunks; each applied, and w->rv moved on. 0 to go on; -1 to end the watch
 * with w->result set (KUBE_EXPIRED: 410 Gone; KUBE_FAIL: w->why says why).
 */
int kubeevent_feed(struct kube_watcher *w, const char *p, size_t n);

/* Free what kubeevent_init and the events left in w; the index keeps its
 * objects. */
void kubeevent_free(struct kube_watcher *w);

#endif
