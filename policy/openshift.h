/* openshift.h - OpenShift's own image references: Builds and BuildConfigs,
 * DeploymentConfig triggers, the image.openshift.io/triggers annotation,
 * and ImageStream tags wherever they enter. */
#ifndef POLICY_OPENSHIFT_H
#define POLICY_OPENSHIFT_H

#include <stddef.h>

#include <jansson.h>

#include "imagecheck.h"

/* The most entries of one image.openshift.io/triggers annotation reviewed;
 * past it /validate denies (reason too-large). */
#define OPENSHIFT_TRIGGERS_MAX 1000

/*
 * The references of a Build or BuildConfig (kind names it in messages):
 * spec.strategy.{source,docker,custom}Strategy.from and
 * spec.source.images[].from, judged for ic->sa (openshift_build_sa).
 * old is the old object on UPDATE when it is pulled by the same service
 * account (NULL otherwise): references it holds already are not judged.
 */
void openshift_build(const struct imagecheck *ic, const char *kind,
                     const json_t *obj, const json_t *old);

/* spec.serviceAccount of a Build or BuildConfig, else "builder". Borrowed. */
const char *openshift_build_sa(const json_t *obj);

/* The ImageChange triggers of a DeploymentConfig, like openshift_build, for
 * the pod template's service account (ic->sa). */
void openshift_dc_triggers(const struct imagecheck *ic, const json_t *obj,
                           const json_t *old);

/*
 * Whether kind (Deployment, StatefulSet, DaemonSet, Job, CronJob) is one
 * whose image.openshift.io/triggers annotation OpenShift's trigger
 * controller follows.
 */
int openshift_annotation_kind(const char *kind);

/* One entry of the annotation. */
struct openshift_trigger {
    int ok;        /* the controller can follow it */
    int init;      /* when ok: it fills initContainers[index] ... */
    size_t index;  /* ... or containers[index] */
    char why[128]; /* when not ok */
};

/*
 * The image.openshift.io/triggers annotation of a workload, read once per
 * review: every placeholder question and every judgment uses this one
 * reading, whose cost grows as n log n in the entries and containers.
 */
struct openshift_triggers {
    json_t *list;  /* the parsed annotation; NULL: none, or malformed */
    char why[128]; /* why the whole annotation is malformed, else "" */
    struct openshift_trigger *entries; /* one per item of list */
    size_t n;
    int too_many;          /* more than OPENSHIFT_TRIGGERS_MAX entries */
    unsigned char *filled; /* per container, init ones first: an ok entry
                              fills it */
    size_t n_init;         /* initContainers in the pod spec */
    size_t n_filled;       /* initContainers and containers */
};

/*
 * Read the annotation of obj, a workload of kind whose pod spec is at
 * pointer (podspec_pointer), into t, as OpenShift's trigger controller
 * reads it (library-go pkg/image/trigger annotations.go). An entry is not
 * ok when it is not an object, its from is not an ImageStreamTag with a
 * name (the controller resolves every from as one), its fieldPath is not
 * the image of one of the pod template's containers, or its fieldPath
 * repeats an earlier one. Kinds other than openshift_annotation_kind read
 * as having none. Returns 0, or -1 on out of memory (t then holds none).
 * Free with openshift_triggers_free.
 */
int openshift_triggers_read(struct openshift_triggers *t, const char *kind,
                            const char *pointer, const json_t *obj);

void openshift_triggers_free(struct openshift_triggers *t);

/*
 * Judge the triggers t of a workload of kind: each ok entry's from (an
 * ImageStreamTag; no namespace means the object's) like a DeploymentConfig
 * trigger, for ic->sa; the others, and a malformed annotation, get a
 * warning and are not judged. old is the old object on UPDATE when it is
 * pulled by the same service account (else NULL): a from it held already
 * is not judged again.
 */
void openshift_trigger_annotation(const struct imagecheck *ic, const char *kind,
                                  const struct openshift_triggers *t,
                                  const json_t *old);

/*
 * Whether container index of pod spec list podspec_lists[list], named name,
 * is a placeholder that a trigger fills in: named in a DeploymentConfig
 * ImageChange trigger's containerNames (kind DeploymentConfig, obj), or by
 * an ok entry of t.
 */
int openshift_placeholder(const char *kind, const json_t *obj,
                          const struct openshift_triggers *t, size_t list,
                          size_t index, const char *name);

/*
 * ImageStream spec.tags: a tag that tracks (from.kind ImageStreamTag) a tag
 * of another image stream or project is a cross-stream alias
 * (imageStreams.crossStreamAliases); tag names that embed a date are warned.
 * ns is the request's namespace; old the old object on UPDATE, else NULL.
 */
void openshift_imagestream(const struct config *cfg, struct verdict *v,
                           const char *ns, const json_t *obj,
                           const json_t *old);

/*
 * The same rules for the one tag an ImageStreamTag (its tag) or an ImageTag
 * (its spec) object carries, named "<stream>:<tag>": OpenShift writes it
 * into the stream itself, with no admission call for imagestreams.
 */
void openshift_imagestreamtag(const struct config *cfg, struct verdict *v,
                              const char *ns, const char *kind,
                              const json_t *obj, const json_t *old);

#endif
