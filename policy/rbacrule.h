/*
 * rbacrule.h - RBAC rules: what a role's PolicyRules grant the one request
 * the integrated registry makes for a pull (get imagestreams/layers in
 * image.openshift.io), matched as Kubernetes' RuleAllows and
 * ResourceMatches do, and compiled once so that a query compares names.
 */
#ifndef POLICY_RBACRULE_H
#define POLICY_RBACRULE_H

#include <stddef.h>

#include <jansson.h>

#include "err.h"

/* What a role grants for the request: any stream, or the streams named. */
struct rbacrule_grant {
    int any;
    char **names; /* owned (strvec_free(names, n)) */
    size_t n, cap;
};

/*
 * Compile rules (a list of PolicyRule, or NULL/null; borrowed) into g,
 * adding to what g holds. legacy: the authorization.openshift.io (or
 * OpenShift 3 "v1") form, which reads an absent apiGroups differently.
 * Returns 0, or -1 with err set on a malformed rule or ENOMEM; g then holds
 * what was compiled so far and is still the caller's to free.
 */
int rbacrule_compile(const json_t *rules, int legacy, struct rbacrule_grant *g,
                     struct err *err);

/* Whether g grants the pull of image stream `stream`. */
int rbacrule_grants(const struct rbacrule_grant *g, const char *stream);

/*
 * *out = the list of strings in field `field` of obj (borrowed from obj),
 * NULL when absent or null: how PolicyRule's fields are read, and
 * OpenShift's userNames and groupNames. Returns 0, or -1 with err set when
 * the field is not a list of strings; ctx prefixes the field in messages
 * ("rules[2].").
 */
int rbacrule_strings_field(const json_t *obj, const char *field,
                           const char *ctx, const json_t **out,
                           struct err *err);

#endif
