/* pullpolicy.h - imagePullPolicy from the image tag, in three modes. */
#ifndef POLICY_PULLPOLICY_H
#define POLICY_PULLPOLICY_H

#include <jansson.h>

#include "config.h"
#include "err.h"
#include "jsonpatch.h"

/*
 * The imagePullPolicy a container with image and current policy (NULL when
 * absent) should end up with under mode, or NULL to leave it as it is.
 * Returns a static string.
 */
const char *pullpolicy_wanted(const char *image, const char *current,
                              enum config_pull_mode mode);

/*
 * Append to patch the operations that set imagePullPolicy in
 * every container list of spec (borrowed), the pod spec found at JSON Pointer
 * base. On UPDATE old_spec is the old object's pod spec and only containers
 * that are new, or whose image changed, are touched (matched by name within
 * their list); NULL on CREATE. -1 with err set on out of memory.
 */
int pullpolicy_patch(const json_t *spec, const json_t *old_spec,
                     const char *base, enum config_pull_mode mode,
                     struct jsonpatch *patch, struct err *err);

#endif
