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

/*
 * The image.openshift.io/triggers annotation of obj, a workload of kind
 * whose pod spec is at pointer (podspec_pointer): each entry's from
 * (an ImageStreamTag; no namespace means the object's) is judged like a
 * DeploymentConfig trigger, for ic->sa. Entries the trigger controller
 * cannot follow (the annotation is not a JSON list of objects, a from that
 * is not an ImageStreamTag with a name, a fieldPath that is not the image of
 * one of the pod template's containers, a fieldPath twice) get a warning
 * and are not judged. old as for openshift_build.
 */
void openshift_trigger_annotation(const struct imagecheck *ic, const char *kind,
                                  const char *pointer, const json_t *obj,
                                  const json_t *old);

/*
 * Whether container index of pod spec list podspec_lists[list], named name,
 * is a placeholder that a trigger fills in: named in a DeploymentConfig
 * ImageChange trigger's containerNames, or by the fieldPath of an
 * image.openshift.io/triggers entry. kind and pointer as above.
 */
int openshift_placeholder(const char *kind, const char *pointer,
                          const json_t *obj, size_t list, size_t index,
                          const char *name);

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
