/* review.c - AdmissionReview in, AdmissionReview answer out. */
#include "review.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "imagecheck.h"
#include "jsonload.h"
#include "jsonout.h"
#include "openshift.h"
#include "podspec.h"
#include "pullpolicy.h"
#include "strbuf.h"
#include "verdict.h"

/* What one request is about: the parts of request that the rules read. */
struct review_req {
    const json_t *request;
    const char *ns;
    const char *operation;
    const char *group, *version, *kind;
    const char *resource, *subresource;
    const json_t *object, *old_object;
};

json_t *review_parse(const char *body, size_t len, struct err *err)
{
    json_error_t jerr;
    json_t *root = jsonload_text(body, len, &jerr);

    if (root == NULL)
        err_set(err, "body is not JSON: %s (line %d, column %d)", jerr.text,
                jerr.line, jerr.column);
    return root;
}

int review_endpoint_parse(const char *s)
{
    if (strcmp(s, "mutate") == 0)
        return REVIEW_MUTATE;
    if (strcmp(s, "validate") == 0)
        return REVIEW_VALIDATE;
    return -1;
}

static const char *review_str(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));

    return s != NULL ? s : "";
}

/* Check the envelope and pick out what the rules read. */
static int review_read(const json_t *root, struct review_req *r,
                       const char **api_version, struct err *err)
{
    const json_t *req, *kind, *v;

    if (!json_is_object(root))
        return err_set(err, "not an AdmissionReview: body is not a JSON "
                            "object");
    req = json_object_get(root, "request");
    if (!json_is_object(req))
        return err_set(err, "not an AdmissionReview: request must be an "
                            "object");
    if (!json_is_string(json_object_get(req, "uid")))
        return err_set(err, "not an AdmissionReview: request.uid must be a "
                            "string");
    kind = json_object_get(req, "kind");
    if (!json_is_object(kind))
        return err_set(err, "not an AdmissionReview: request.kind must be an "
                            "object");
    v = json_object_get(root, "apiVersion");
    *api_version = "admission.k8s.io/v1";
    if (v != NULL) {
        const char *s = json_string_value(v);

        if (s == NULL || (strcmp(s, "admission.k8s.io/v1") != 0 &&
                          strcmp(s, "admission.k8s.io/v1beta1") != 0))
            return err_set(err, "not an AdmissionReview: apiVersion must be "
                                "admission.k8s.io/v1 or v1beta1");
        *api_version = s;
    }
    memset(r, 0, sizeof(*r));
    r->request = req;
    r->ns = review_str(req, "namespace");
    r->operation = review_str(req, "operation");
    r->group = review_str(kind, "group");
    r->version = review_str(kind, "version");
    r->kind = review_str(kind, "kind");
    r->resource = review_str(json_object_get(req, "resource"), "resource");
    r->subresource = review_str(req, "subResource");
    r->object = json_object_get(req, "object");
    r->old_object = json_object_get(req, "oldObject");
    if (json_is_null(r->old_object))
        r->old_object = NULL;
    return 0;
}

/*
 * The pod spec pointer for this request, or NULL when the rules leave it
 * alone: only CREATE and UPDATE, the main resource, or the ephemeral
 * containers subresource of pods.
 */
static const char *review_pointer(const struct review_req *r)
{
    if (strcmp(r->operation, "CREATE") != 0 &&
        strcmp(r->operation, "UPDATE") != 0)
        return NULL;
    if (r->subresource[0] != '\0' &&
        !(strcmp(r->resource, "pods") == 0 &&
          strcmp(r->subresource, "ephemeralcontainers") == 0))
        return NULL;
    return podspec_pointer(r->group, r->version, r->kind);
}

/* Returns a new JSON string holding s base64-encoded, NULL on ENOMEM. */
static json_t *review_base64(const char *s, size_t n)
{
    size_t len;
    char *b64 = base64_encode(s, n, &len);
    json_t *str = b64 != NULL ? json_stringn_nocheck(b64, len) : NULL;

    free(b64);
    return str;
}

/* The mutating side: a JSON Patch for imagePullPolicy, NULL if nothing. */
static int review_mutate(const struct review_req *r, const struct config *cfg,
                         json_t *response, struct review_stats *stats,
                         struct err *err)
{
    const char *pointer = review_pointer(r);
    const json_t *spec, *old_spec = NULL;
    struct jsonpatch patch;
    json_t *b64 = NULL;
    const char *text;
    size_t text_len;
    int rc = -1;

    if (pointer == NULL || config_namespace_exempt(cfg, r->ns))
        return 0;
    /* The API server forbids changing imagePullPolicy of an existing pod. */
    if (strcmp(r->operation, "UPDATE") == 0 && strcmp(r->kind, "Pod") == 0 &&
        r->subresource[0] == '\0')
        return 0;
    spec = podspec_find(r->object, pointer);
    if (spec == NULL)
        return 0;
    if (strcmp(r->operation, "UPDATE") == 0) {
        old_spec = podspec_find(r->old_object, pointer);
        if (old_spec == NULL)
            old_spec = json_null(); /* no old containers: all are new */
    }
    memset(&patch, 0, sizeof(patch));
    if (pullpolicy_patch(spec, old_spec, pointer, cfg->pull_mode, &patch,
                         err) != 0)
        goto out;
    if (patch.ops > 0) {
        stats->patch_ops = (unsigned)patch.ops;
        text = jsonpatch_text(&patch, &text_len);
        b64 = text != NULL ? review_base64(text, text_len) : NULL;
        if (b64 == NULL || json_object_set_new(response, "patchType",
                                               json_string("JSONPatch")) != 0) {
            err_set(err, "out of memory");
            goto out;
        }
        json_object_set_new(response, "patch", b64);
        b64 = NULL;
    }
    rc = 0;
out:
    json_decref(b64);
    jsonpatch_free(&patch);
    return rc;
}

/* Whether the exact image string appears in any container of spec. */
static int review_image_in(const json_t *spec, const char *image)
{
    size_t l, i;
    json_t *c;

    for (l = 0; l < 3; l++) {
        json_array_foreach(json_object_get(spec, podspec_lists[l]), i, c)
        {
            const char *s = json_string_value(json_object_get(c, "image"));

            if (s != NULL && strcmp(s, image) == 0)
                return 1;
        }
    }
    return 0;
}

static const char *const review_list_words[3] = {"init container", "container",
                                                 "ephemeral container"};

/* Whether a string holds only white space (or nothing). */
static int review_blank(const char *s)
{
    return s[strspn(s, " \t\r\n")] == '\0';
}

/* The rules of /validate for every container of a pod spec. */
static void review_validate_podspec(const struct review_req *r,
                                    struct imagecheck *ic,
                                    const struct openshift_triggers *triggers,
                                    const json_t *spec, const json_t *old_spec)
{
    const json_t *sa_secrets;
    size_t l, i;
    json_t *c;

    ic->pull_secrets = 1;
    sa_secrets = rbac_service_account_pull_secrets(ic->rb, r->ns, ic->sa);
    ic->has_pull_secret =
        imagecheck_has_pull_secret(json_object_get(spec, "imagePullSecrets"),
                                   ic->sa) ||
        imagecheck_has_pull_secret(sa_secrets, ic->sa);
    for (l = 0; l < 3; l++) {
        json_array_foreach(json_object_get(spec, podspec_lists[l]), i, c)
        {
            const char *image = json_string_value(json_object_get(c, "image"));
            const char *name = json_string_value(json_object_get(c, "name"));
            char where[128];

            if (image == NULL)
                continue;
            if (name == NULL)
                name = "";
            /* Existing references stay allowed: scaling or relabelling never
             * breaks when a binding is removed later. */
            if (old_spec != NULL && review_image_in(old_spec, image))
                continue;
            /* A trigger fills this image in. */
            if (review_blank(image) &&
                openshift_placeholder(r->kind, r->object, triggers, l, i, name))
                continue;
            snprintf(where, sizeof(where), "%s \"%.63s\"", review_list_words[l],
                     name);
            imagecheck_image(ic, where, image);
        }
    }
    ic->pull_secrets = 0;
}

/*
 * The rules of /validate for an object with a pod spec at pointer. On
 * UPDATE a reference is skipped only when the old object held it for the
 * same service account: a new account has to pull every reference.
 */
static void review_validate_workload(const struct review_req *r,
                                     struct imagecheck *ic, const char *pointer,
                                     const json_t *old)
{
    const json_t *spec = podspec_find(r->object, pointer);
    const json_t *old_spec = podspec_find(old, pointer);
    struct openshift_triggers triggers;

    if (spec == NULL)
        return;
    if (openshift_triggers_read(&triggers, r->kind, pointer, r->object) != 0) {
        ic->v->failed = 1;
        return;
    }
    ic->sa = podspec_service_account(spec);
    if (old_spec == NULL ||
        strcmp(podspec_service_account(old_spec), ic->sa) != 0)
        old = old_spec = NULL;
    review_validate_podspec(r, ic, &triggers, spec, old_spec);
    if (strcmp(r->kind, "DeploymentConfig") == 0)
        openshift_dc_triggers(ic, r->object, old);
    else if (openshift_annotation_kind(r->kind))
        openshift_trigger_annotation(ic, r->kind, &triggers, old);
    openshift_triggers_free(&triggers);
}

/* Run the rules of /validate that apply to this request into v. */
static void review_validate_rules(const struct review_req *r,
                                  const struct config *cfg,
                                  const struct rbac *rb, struct verdict *v)
{
    const char *pointer = review_pointer(r);
    int update = strcmp(r->operation, "UPDATE") == 0;
    const json_t *old = update ? r->old_object : NULL;
    struct imagecheck ic;

    memset(&ic, 0, sizeof(ic));
    ic.cfg = cfg;
    ic.rb = rb;
    ic.ns = r->ns;
    ic.v = v;
    if (pointer != NULL) {
        review_validate_workload(r, &ic, pointer, old);
        return;
    }
    if (r->subresource[0] != '\0' ||
        (!update && strcmp(r->operation, "CREATE") != 0) ||
        strcmp(r->version, "v1") != 0)
        return;
    if (strcmp(r->group, "build.openshift.io") == 0 &&
        (strcmp(r->kind, "BuildConfig") == 0 ||
         strcmp(r->kind, "Build") == 0)) {
        ic.sa = openshift_build_sa(r->object);
        if (old != NULL && strcmp(openshift_build_sa(old), ic.sa) != 0)
            old = NULL;
        openshift_build(&ic, r->kind, r->object, old);
    } else if (strcmp(r->group, "image.openshift.io") == 0) {
        if (strcmp(r->kind, "ImageStream") == 0)
            openshift_imagestream(cfg, v, r->ns, r->object, old);
        else if (strcmp(r->kind, "ImageStreamTag") == 0 ||
                 strcmp(r->kind, "ImageTag") == 0)
            openshift_imagestreamtag(cfg, v, r->ns, r->kind, r->object, old);
    }
}

/*
 * Write what v holds into response and stats, and its findings into
 * findings when not NULL. -1 on out of memory.
 */
static int review_verdict_out(struct verdict *v, json_t *response,
                              struct review_stats *stats, json_t *findings)
{
    /* A message cut at the strbuf's cap still denies; an empty one after a
     * failed allocation cannot say why: fail rather than allow. */
    if (v->failed || (v->deny.failed && v->deny.len == 0))
        return -1;
    if (v->deny.len > 0) {
        json_t *status =
            json_pack("{s:i, s:s, s:s}", "code", 403, "reason", "Forbidden",
                      "message", strbuf_str(&v->deny));

        if (status == NULL ||
            json_object_set_new(response, "status", status) != 0 ||
            json_object_set(response, "allowed", json_false()) != 0)
            return -1;
    }
    if (json_array_size(v->warnings) > 0 &&
        json_object_set(response, "warnings", v->warnings) != 0)
        return -1;
    if (findings != NULL && json_array_extend(findings, v->findings) != 0)
        return -1;
    memcpy(stats->denials, v->denied, sizeof(stats->denials));
    memcpy(stats->warnings, v->warned, sizeof(stats->warnings));
    return 0;
}

/* Start v, keeping findings when the caller wants them. */
static int review_verdict_init(struct verdict *v, const json_t *findings)
{
    return findings != NULL ? verdict_init_findings(v) : verdict_init(v);
}

static int review_validate(const struct review_req *r, const struct config *cfg,
                           const struct rbac *rb, json_t *response,
                           struct review_stats *stats, json_t *findings,
                           struct err *err)
{
    struct verdict v;
    int rc = -1;

    if (config_namespace_exempt(cfg, r->ns))
        return 0;
    if (review_verdict_init(&v, findings) == 0) {
        review_validate_rules(r, cfg, rb, &v);
        rc = review_verdict_out(&v, response, stats, findings);
    }
    if (rc != 0)
        err_set(err, "out of memory");
    verdict_free(&v);
    return rc;
}

/* How many containers and references one object holds for the rules. */
static size_t review_items_of(const struct review_req *r, const json_t *obj)
{
    const char *pointer = review_pointer(r);
    const json_t *spec = json_object_get(obj, "spec");
    size_t n = 0, l;

    if (pointer != NULL) {
        const json_t *ps = podspec_find(obj, pointer);

        for (l = 0; l < 3; l++)
            n += json_array_size(json_object_get(ps, podspec_lists[l]));
    }
    n += json_array_size(json_object_get(spec, "triggers"));
    n += json_array_size(json_object_get(spec, "tags"));
    n += json_array_size(
        json_object_get(json_object_get(spec, "source"), "images"));
    return n;
}

/*
 * An object past REVIEW_ITEMS_MAX is not reviewed item by item (UPDATE
 * compares old and new items pairwise): /validate denies it, /mutate leaves
 * it unchanged with a warning. Returns 1 when it answered so, 0 when the
 * object is within the limit, -1 on out of memory.
 */
static int review_too_large(enum review_endpoint ep, const struct review_req *r,
                            const struct config *cfg, json_t *response,
                            struct review_stats *stats, json_t *findings)
{
    size_t n = review_items_of(r, r->object), old_n;
    struct verdict v;
    int rc = -1;

    old_n = review_items_of(r, r->old_object);
    if (old_n > n)
        n = old_n;
    if (n <= REVIEW_ITEMS_MAX || config_namespace_exempt(cfg, r->ns))
        return 0;
    if (review_verdict_init(&v, findings) == 0) {
        if (ep == REVIEW_VALIDATE)
            verdict_deny(&v, VERDICT_TOO_LARGE,
                         "%s holds %zu containers or image references, more "
                         "than the %d this webhook reviews",
                         r->kind, n, REVIEW_ITEMS_MAX);
        else
            verdict_warn(&v, VERDICT_TOO_LARGE,
                         "%s holds %zu containers or image references, more "
                         "than the %d this webhook reviews: imagePullPolicy "
                         "left as it is",
                         r->kind, n, REVIEW_ITEMS_MAX);
        rc = review_verdict_out(&v, response, stats, findings) == 0 ? 1 : -1;
    }
    verdict_free(&v);
    return rc;
}

json_t *review_answer(enum review_endpoint ep, const json_t *req,
                      const struct config *cfg, const struct rbac *rb,
                      struct err *err)
{
    return review_answer_stats(ep, req, cfg, rb, NULL, err);
}

json_t *review_answer_stats(enum review_endpoint ep, const json_t *req,
                            const struct config *cfg, const struct rbac *rb,
                            struct review_stats *stats, struct err *err)
{
    return review_answer_findings(ep, req, cfg, rb, stats, NULL, err);
}

json_t *review_answer_findings(enum review_endpoint ep, const json_t *req,
                               const struct config *cfg, const struct rbac *rb,
                               struct review_stats *stats, json_t *findings,
                               struct err *err)
{
    struct review_stats unused;
    struct review_req r;
    const char *api_version;
    json_t *answer = NULL, *response;
    int rc;

    if (stats == NULL)
        stats = &unused;
    memset(stats, 0, sizeof(*stats));
    memset(&r, 0, sizeof(r));
    if (review_read(req, &r, &api_version, err) != 0)
        return NULL;
    answer = json_pack("{s:s, s:s, s:{s:O, s:b}}", "apiVersion", api_version,
                       "kind", "AdmissionReview", "response", "uid",
                       json_object_get(r.request, "uid"), "allowed", 1);
    if (answer == NULL) {
        err_set(err, "out of memory");
        return NULL;
    }
    response = json_object_get(answer, "response");
    rc = review_too_large(ep, &r, cfg, response, stats, findings);
    if (rc < 0)
        err_set(err, "out of memory");
    else if (rc == 1)
        rc = 0;
    else if (ep == REVIEW_MUTATE)
        rc = review_mutate(&r, cfg, response, stats, err);
    else
        rc = review_validate(&r, cfg, rb, response, stats, findings, err);
    if (rc != 0) {
        json_decref(answer);
        return NULL;
    }
    return answer;
}
