/* openshift.h - OpenShift's own image references: BuildConfigs,
 * DeploymentConfig triggers and ImageStream tags. */
#ifndef POLICY_OPENSHIFT_H
#define POLICY_OPENSHIFT_H

#include <jansson.h>

#include "imagecheck.h"

/*
 * The references of a BuildConfig (strategy from, image sources), judged
 * for ic->sa (spec.serviceAccount, else builder: openshift_build_sa).
 * old is the old object on UPDATE (NULL on CREATE): references it holds
 * already are not judged again.
 */
void openshift_buildconfig(const struct imagecheck *ic, const json_t *obj,
                           const json_t *old);

/* spec.serviceAccount of a BuildConfig, else "builder". Borrowed. */
const char *openshift_build_sa(const json_t *obj);

/* The ImageChange triggers of a DeploymentConfig, like openshift_buildconfig,
 * for the pod template's service account. */
void openshift_dc_triggers(const struct imagecheck *ic, const json_t *obj,
                           const json_t *old);

/*
 * Whether a DeploymentConfig container named name is a placeholder that an
 * ImageChange trigger fills in (named in a trigger's containerNames).
 */
int openshift_dc_placeholder(const json_t *obj, const char *name);

/*
 * ImageStream spec.tags: a tag that tracks (from.kind ImageStreamTag) a tag
 * of another image stream or project is a cross-stream alias
 * (imageStreams.crossStreamAliases); tag names that embed a date are warned.
 * ns is the request's namespace.
 */
void openshift_imagestream(const struct config *cfg, struct verdict *v,
                           const char *ns, const json_t *obj,
                           const json_t *old);

#endif
