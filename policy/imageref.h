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
 * returned, err holds Go's message ("invalid reference format", ...; cut to
 * the size of err->msg) and ref is unspecified. Go sets no length limit: a
 * longer s than IMAGEREF_INPUT_MAX is an error here all the same. A NULL s
 * is taken as "".
 */
int imageref_parse(const char *s, struct imageref *ref, struct err *err);

/*
 * Parse s exactly as Go's reference.Parse does (v0.6.0), without the
 * normalisation of imageref_parse: "nginx" has no domain and path "nginx",
 * "a/b" has domain "a". Same contract as imageref_parse; used to check the
 * parser against the upstream test tables, and by tools that want the
 * reference as written.
 */
int imageref_parse_plain(const char *s, struct imageref *ref, struct err *err);

/* The grammar productions of distribution/reference's regexp.go. */
enum imageref_rule {
    IMAGEREF_RULE_DOMAIN,     /* host and optional port: DomainRegexp */
    IMAGEREF_RULE_NAME,       /* [domain/]path: NameRegexp */
    IMAGEREF_RULE_TAG,        /* TagRegexp */
    IMAGEREF_RULE_DIGEST,     /* algorithm:hex, DigestRegexp */
    IMAGEREF_RULE_IDENTIFIER, /* 64 lower-case hex digits */
    IMAGEREF_RULE_REFERENCE   /* name[:tag][@digest]: ReferenceRegexp */
};

/*
 * 1 if the whole of s matches the production rule (the anchored regexp),
 * else 0; a NULL s or one longer than IMAGEREF_INPUT_MAX never matches.
 */
int imageref_match(enum imageref_rule rule, const char *s);

/*
 * The imagePullPolicy Kubernetes defaults a container with this image to:
 * "Always" for tag latest or for no tag and no digest, else "IfNotPresent"
 * (also for a reference that does not parse). Returns a static string.
 */
const char *imageref_default_pull_policy(const char *image);

#endif
