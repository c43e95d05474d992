/* imagecheck.h - the /validate rules for one image reference. */
#ifndef POLICY_IMAGECHECK_H
#define POLICY_IMAGECHECK_H

#include <jansson.h>

#include "config.h"
#include "rbac.h"
#include "verdict.h"

/* Who pulls, from where; all borrowed for the duration of the checks. */
struct imagecheck {
    const struct config *cfg;
    const struct rbac *rb; /* NULL: no bindings source */
    const char *ns;        /* the request's namespace */
    const char *sa;        /* the service account that pulls */
    int pull_secrets;      /* judge pull secrets (pods and pod templates) */
    int has_pull_secret;   /* the pod, or its service account, has one */
    struct verdict *v;
};

/*
 * Judge the image reference image used at where (a phrase such as
 * `container "app"`): invalid references, dated tags, latest, pulls across
 * projects, and missing pull secrets, each as the config says.
 */
void imagecheck_image(const struct imagecheck *ic, const char *where,
                      const char *image);

/*
 * Judge an OpenShift object reference {kind, name, namespace} (borrowed):
 * ImageStreamTag "<stream>:<tag>" and ImageStreamImage "<stream>@<id>" in a
 * namespace other than the request's are pulls from that project;
 * DockerImage is judged like a container image. Other kinds are ignored.
 */
void imagecheck_object_ref(const struct imagecheck *ic, const char *where,
                           const json_t *ref);

/*
 * Whether a list of imagePullSecrets ({"name": ...} objects) holds a secret
 * other than the `<sa>-dockercfg-<suffix>` ones OpenShift generates for
 * every service account (those hold only integrated-registry credentials).
 */
int imagecheck_has_pull_secret(const json_t *secrets, const char *sa);

#endif
