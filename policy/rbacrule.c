/*
 * rbacrule.c - RBAC rules: what PolicyRules grant the registry's pull, as
 * Kubernetes' RuleAllows decides.
 */
#include "rbacrule.h"

#include <stdio.h>
#include <string.h>

#include "strvec.h"

/*
 * The request: what the registry's SubjectAccessReview asks. The integrated
 * registry (openshift/image-registry pkg/dockerregistry/server/auth.go,
 * verifyImageStreamAccess -> verifyWithSAR, every release from 3.11 on)
 * sends Resource "imagestreams/layers" with an empty Subresource, so under
 * Kubernetes' ResourceMatches (rbac/v1 helpers) a rule grants it with "*"
 * or "imagestreams/layers", and "<star>/layers" does not.
 */
#define RBACRULE_VERB     "get"
#define RBACRULE_GROUP    "image.openshift.io"
#define RBACRULE_RESOURCE "imagestreams/layers"

/* ---- rule matching, as Kubernetes' evaluation_helpers.go ---- */

static int rbacrule_has(const json_t *list, const char *s)
{
    size_t i;
    json_t *e;

    json_array_foreach(list, i, e)
    {
        if (strcmp(json_string_value(e), s) == 0)
            return 1;
    }
    return 0;
}

/* VerbMatches: "*" or the verb. */
static int rbacrule_verb_matches(const json_t *verbs)
{
    return rbacrule_has(verbs, "*") || rbacrule_has(verbs, RBACRULE_VERB);
}

/* APIGroupMatches: "*" or the group. */
static int rbacrule_group_matches(const json_t *groups)
{
    return rbacrule_has(groups, "*") || rbacrule_has(groups, RBACRULE_GROUP);
}

/*
 * ResourceMatches for the registry's request (resource imagestreams/layers,
 * no subresource): "*" or the resource itself. "<star>/layers" would match
 * only a request whose subresource is "layers", which the registry never
 * sends; neither "imagestreams/<star>" (Kubernetes declined it:
 * kubernetes/enhancements#4961) nor "<star>/<star>" is a wildcard, and
 * "imagestreams" alone is another resource. (<star> is "*", spelled out to
 * keep this comment a comment.)
 */
static int rbacrule_resource_matches(const json_t *resources)
{
    size_t i;
    json_t *e;

    json_array_foreach(resources, i, e)
    {
        const char *r = json_string_value(e);

        if (strcmp(r, "*") == 0 || strcmp(r, RBACRULE_RESOURCE) == 0)
            return 1;
    }
    return 0;
}

/*
 * *out = the list of strings field of obj, NULL when absent or null.
 * ctx prefixes the field in messages ("rules[2].").
 */
int rbacrule_strings_field(const json_t *obj, const char *field,
                           const char *ctx, const json_t **out, struct err *err)
{
    const json_t *v = json_object_get(obj, field);
    size_t i;
    json_t *e;

    *out = NULL;
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_array(v))
        return err_set(err, "%s%s must be a list of strings", ctx, field);
    json_array_foreach(v, i, e)
    {
        if (!json_is_string(e))
            return err_set(err, "%s%s[%zu] must be a string", ctx, field, i);
    }
    *out = v;
    return 0;
}

/* Whether a list of strings is exactly ["*"]. */
static int rbacrule_just_star(const json_t *list)
{
    return json_array_size(list) == 1 &&
           strcmp(json_string_value(json_array_get(list, 0)), "*") == 0;
}

/*
 * Compile rules (a list of PolicyRule, or NULL/null) into g. legacy: the
 * authorization.openshift.io (or OpenShift 3 "v1") form, whose defaulting
 * (origin SetDefaults_PolicyRule) reads absent apiGroups as "*" for the old
 * allow-all rule and as "" otherwise.
 */
int rbacrule_compile(const json_t *rules, int legacy, struct rbacrule_grant *g,
                     struct err *err)
{
    size_t i;
    json_t *rule;

    if (rules == NULL || json_is_null(rules))
        return 0;
    if (!json_is_array(rules))
        return err_set(err, "rules must be a list");
    json_array_foreach(rules, i, rule)
    {
        const json_t *groups, *resources, *verbs, *names, *urls;
        char ctx[32];
        int group_ok;
        size_t j;
        json_t *e;

        if (!json_is_object(rule))
            return err_set(err, "rules[%zu] must be an object", i);
        snprintf(ctx, sizeof(ctx), "rules[%zu].", i);
        if (rbacrule_strings_field(rule, "apiGroups", ctx, &groups, err) != 0 ||
            rbacrule_strings_field(rule, "resources", ctx, &resources, err) !=
                0 ||
            rbacrule_strings_field(rule, "verbs", ctx, &verbs, err) != 0 ||
            rbacrule_strings_field(rule, "resourceNames", ctx, &names, err) !=
                0 ||
            rbacrule_strings_field(rule, "nonResourceURLs", ctx, &urls, err) !=
                0)
            return -1;
        if (legacy && json_array_size(groups) == 0)
            group_ok = groups == NULL && rbacrule_just_star(verbs) &&
                       rbacrule_just_star(resources) &&
                       json_array_size(names) == 0 &&
                       json_array_size(urls) == 0;
        else
            group_ok = rbacrule_group_matches(groups);
        if (!group_ok || !rbacrule_verb_matches(verbs) ||
            !rbacrule_resource_matches(resources))
            continue;
        if (json_array_size(names) == 0) {
            g->any = 1;
            continue;
        }
        json_array_foreach(names, j, e)
        {
            if (strvec_push(&g->names, &g->n, &g->cap, json_string_value(e)) !=
                0)
                return err_set(err, "out of memory");
        }
    }
    return 0;
}

int rbacrule_grants(const struct rbacrule_grant *g, const char *stream)
{
    size_t i;

    if (g->any)
        return 1;
    for (i = 0; i < g->n; i++) {
        if (strcmp(g->names[i], stream) == 0)
            return 1;
    }
    return 0;
}
