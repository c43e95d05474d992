/* imageref.h - Docker image references, parsed as Kubernetes parses them. */
#ifndef POLICY_IMAGEREF_H
#define POLICY_IMAGEREF_H

#include "err.h"

/* Longest input the parser looks at; longer references are rejected. */
#define IMAGEREF_INPUT_MAX 4096

/*
 * A parsed, normalised reference (github.com/distribution/reference v0.6.0,
 * ParseNormalizedNamed): "nginx" has domain "docker.io", path
 * "library/nginx", no tag and no digest. Empty strings mean "absent".
 */
struct imageref {
    char domain[IMAGEREF_INPUT_MAX + 1];
    char path[IMAGEREF_INPUT_MAX + 1];
    char tag[129];
    char digest[IMAGEREF_INPUT_MAX + 1];
};

/*
 * Parse s exactly as ParseNormalizedNamed does, into ref. On error -1 is
 * returned, err holds Go's message ("invalid reference format", ...) and ref
 * is unspecified.
 */
int imageref_parse(const char *s, struct imageref *ref, struct err *err);

/*
 * The imagePullPolicy Kubernetes defaults a container with this image to:
 * "Always" for tag latest or for no tag and no digest, else "IfNotPresent"
 * (also for a reference that does not parse). Returns a static string.
 */
const char *imageref_default_pull_policy(const char *image);

#endif
