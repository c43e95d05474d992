/* audit.c - what the rules say now of objects that already exist. */
#include "audit.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "podspec.h"
#include "review.h"
#include "strbuf.h"

/* The name PolicyReports give as policy and source. */
#define AUDIT_POLICY "image-policy-webhook"
/* A table is not a message: no 64 KiB cap. */
#define AUDIT_TABLE_MAX ((size_t)1 << 30)

struct audit_finding {
    json_t *f;                  /* from the review, owned */
    struct audit_finding *into; /* folded into the controller's same one */
    size_t pods;                /* Pods folded into it, through any chain */
};

struct audit_obj {
    json_t *id; /* {"namespace", "apiVersion", "kind", "name"[, "uid"]} */
    const char *ns, *kind, *name, *uid; /* borrowed from id; uid may be NULL */
    const char *owner_kind, *owner_name, *owner_uid; /* borrowed from owner */
    json_t *owner; /* the controller's ownerReference (a reference), or NULL */
    struct audit_obj *owner_obj; /* that controller, when audited too */
    struct audit_finding *fs;
    size_t n;
};

struct audit {
    struct audit_obj *objs;
    size_t n, cap;
    size_t exempt;
};

struct audit *audit_new(void)
{
    return calloc(1, sizeof(struct audit));
}

/* Split apiVersion into group (into buf) and version. */
static const char *audit_group(const char *api_version, char *buf, size_t cap,
                               const char **version)
{
    const char *slash = strrchr(api_version, '/');

    if (slash == NULL) {
        *version = api_version;
        return "";
    }
    snprintf(buf, cap, "%.*s", (int)(slash - api_version), api_version);
    *version = slash + 1;
    return buf;
}

int audit_kind(const char *api_version, const char *kind)
{
    char buf[256];
    const char *version, *group;

    group = audit_group(api_version, buf, sizeof(buf), &version);
    if (strcmp(version, "v1") == 0 && strcmp(group, "build.openshift.io") == 0)
        return strcmp(kind, "BuildConfig") == 0 || strcmp(kind, "Build") == 0;
    if (strcmp(version, "v1") == 0 && strcmp(group, "image.openshift.io") == 0)
        return strcmp(kind, "ImageStream") == 0 ||
               strcmp(kind, "ImageStreamTag") == 0 ||
               strcmp(kind, "ImageTag") == 0;
    return podspec_pointer(group, version, kind) != NULL &&
           strcmp(kind, "EphemeralContainers") != 0;
}

static const char *audit_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* The ownerReference with controller: true, or NULL. */
static json_t *audit_controller(const json_t *meta)
{
    size_t i;
    json_t *ref;

    json_array_foreach(json_object_get(meta, "ownerReferences"), i, ref)
    {
        if (json_is_true(json_object_get(ref, "controller")) &&
            audit_str(ref, "kind") != NULL && audit_str(ref, "name") != NULL)
            return ref;
    }
    return NULL;
}

/* The AdmissionReview of a CREATE of obj, as the API server would send. */
static json_t *audit_request(const json_t *obj, const char *group,
                             const char *version, const char *kind,
                             const char *ns, const char *name)
{
    char resource[128];
    size_t i;

    /* Every audited kind's resource is its kind in lower case with an s. */
    for (i = 0; kind[i] != '\0' && i < sizeof(resource) - 2; i++)
        resource[i] = (char)tolower((unsigned char)kind[i]);
    resource[i++] = 's';
    resource[i] = '\0';
    return json_pack("{s:s, s:s, s:{s:s, s:{s:s, s:s, s:s}, s:{s:s, s:s, s:s}, "
                     "s:s, s:s, s:s, s:O}}",
                     "apiVersion", "admission.k8s.io/v1", "kind",
                     "AdmissionReview", "request", "uid", "audit", "kind",
                     "group", group, "version", version, "kind", kind,
                     "resource", "group", group, "version", version, "resource",
                     resource, "namespace", ns, "name", name, "operation",
                     "CREATE", "object", obj);
}

/* Keep one reviewed object and its findings (stolen). -1 on ENOMEM. */
static int audit_keep(struct audit *a, json_t *id, const json_t *meta,
                      json_t *findings)
{
    struct audit_obj *o;
    size_t i;
    json_t *f;

    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 64;
        struct audit_obj *v = realloc(a->objs, cap * sizeof(*v));

        if (v == NULL)
            return -1;
        a->objs = v;
        a->cap = cap;
    }
    o = &a->objs[a->n];
    memset(o, 0, sizeof(*o));
    o->fs = calloc(json_array_size(findings) + 1, sizeof(*o->fs));
    if (o->fs == NULL)
        return -1;
    o->id = id;
    o->ns = audit_str(id, "namespace");
    o->kind = audit_str(id, "kind");
    o->name = audit_str(id, "name");
    o->uid = audit_str(id, "uid");
    o->owner = json_incref(audit_controller(meta));
    o->owner_kind = audit_str(o->owner, "kind");
    o->owner_name = audit_str(o->owner, "name");
    o->owner_uid = audit_str(o->owner, "uid");
    json_array_foreach(findings, i, f) o->fs[o->n++].f = json_incref(f);
    a->n++;
    return 0;
}

int audit_object(struct audit *a, const json_t *obj, const struct config *cfg,
                 const struct rbac *rb, struct err *err)
{
    const json_t *meta = json_object_get(obj, "metadata");
    const char *api_version = audit_str(obj, "apiVersion");
    const char *kind = audit_str(obj, "kind");
    const char *name = audit_str(meta, "name");
    const char *ns = audit_str(meta, "namespace");
    const char *uid = audit_str(meta, "uid");
    const char *version, *group;
    char buf[256];
    json_t *req = NULL, *answer = NULL, *findings = NULL, *id = NULL;
    int rc = -1;

    if (!json_is_object(obj) || api_version == NULL || kind == NULL ||
        name == NULL)
        return err_set(err, "not an object with a string apiVersion, kind "
                            "and metadata.name");
    if (!audit_kind(api_version, kind))
        return 1;
    if (ns == NULL || ns[0] == '\0')
        ns = "default";
    if (config_namespace_exempt(cfg, ns)) {
        a->exempt++;
        return 1;
    }
    group = audit_group(api_version, buf, sizeof(buf), &version);
    req = audit_request(obj, group, version, kind, ns, name);
    findings = json_array();
    id = json_pack("{s:s, s:s, s:s, s:s}", "namespace", ns, "apiVersion",
                   api_version, "kind", kind, "name", name);
    if (req == NULL || findings == NULL || id == NULL ||
        (uid != NULL && json_object_set_new(id, "uid", json_string(uid)) != 0))
        goto oom;
    answer = review_answer_findings(REVIEW_VALIDATE, req, cfg, rb, NULL,
                                    findings, err);
    if (answer == NULL)
        goto out;
    if (audit_keep(a, id, meta, findings) != 0)
        goto oom;
    id = NULL;
    rc = 0;
    goto out;
oom:
    err_set(err, "out of memory");
out:
    json_decref(id);
    json_decref(req);
    json_decref(answer);
    json_decref(findings);
    return rc;
}

static int audit_cmp_key(const char *ns, const char *kind, const char *name,
                         const struct audit_obj *o)
{
    int c = strcmp(ns, o->ns);

    if (c == 0)
        c = strcmp(kind, o->kind);
    if (c == 0)
        c = strcmp(name, o->name);
    return c;
}

static int audit_cmp(const void *pa, const void *pb)
{
    const struct audit_obj *a = pa, *b = pb;
    int c = audit_cmp_key(a->ns, a->kind, a->name, b);

    if (c == 0)
        c = strcmp(a->uid ? a->uid : "", b->uid ? b->uid : "");
    return c;
}

/* The audited object the controller reference of o names, or NULL. */
static struct audit_obj *audit_owner(struct audit *a, const struct audit_obj *o)
{
    size_t lo = 0, hi = a->n;

    if (o->owner == NULL)
        return NULL;
    /* The first object of that namespace, kind and name. */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (audit_cmp_key(o->ns, o->owner_kind, o->owner_name, &a->objs[mid]) >
            0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < a->n && audit_cmp_key(o->ns, o->owner_kind, o->owner_name,
                                      &a->objs[lo]) == 0;
         lo++) {
        struct audit_obj *c = &a->objs[lo];

        if (c != o && (o->owner_uid == NULL || c->uid == NULL ||
                       strcmp(o->owner_uid, c->uid) == 0))
            return c;
    }
    return NULL;
}

/* Whether folding from f leads to g (a cycle of ownerReferences would). */
static int audit_reaches(const struct audit_finding *f,
                         const struct audit_finding *g, size_t max)
{
    size_t steps;

    for (steps = 0; f != NULL && steps <= max; steps++, f = f->into)
        if (f == g)
            return 1;
    return 0;
}

void audit_finish(struct audit *a, struct audit_summary *sum)
{
    size_t i, j, k;

    memset(sum, 0, sizeof(*sum));
    sum->exempt = a->exempt;
    if (a->n > 1)
        qsort(a->objs, a->n, sizeof(*a->objs), audit_cmp);
    for (i = 0; i < a->n; i++)
        a->objs[i].owner_obj = audit_owner(a, &a->objs[i]);
    for (i = 0; i < a->n; i++) {
        struct audit_obj *o = &a->objs[i], *up = o->owner_obj;

        for (j = 0; up != NULL && j < o->n; j++)
            for (k = 0; k < up->n; k++)
                if (json_equal(o->fs[j].f, up->fs[k].f)) {
                    if (!audit_reaches(&up->fs[k], &o->fs[j], a->n))
                        o->fs[j].into = &up->fs[k];
                    break;
                }
    }
    for (i = 0; i < a->n; i++) {
        struct audit_obj *o = &a->objs[i];
        int denied = 0, warned = 0;

        for (j = 0; j < o->n; j++) {
            struct audit_finding *root = &o->fs[j];
            size_t steps = 0;

            if (strcmp(audit_str(o->fs[j].f, "result"), "deny") == 0)
                denied = 1;
            else
                warned = 1;
            /* Folding never closes a cycle: the chain ends. */
            while (root->into != NULL && steps++ < a->n)
                root = root->into;
            if (root->into == NULL && root != &o->fs[j] &&
                strcmp(o->kind, "Pod") == 0)
                root->pods++;
            if (o->fs[j].into == NULL)
                sum->findings++;
        }
        sum->objects++;
        sum->denied += (size_t)denied;
        sum->warned += (size_t)(warned && !denied);
    }
}

/* One reported finding as a flat object. NULL on ENOMEM. */
static json_t *audit_flat(const struct audit_obj *o,
                          const struct audit_finding *f)
{
    json_t *out = json_deep_copy(o->id);

    if (out == NULL || json_object_update(out, f->f) != 0 ||
        json_object_set_new(out, "pods", json_integer((json_int_t)f->pods)) !=
            0) {
        json_decref(out);
        return NULL;
    }
    return out;
}

json_t *audit_findings(const struct audit *a)
{
    json_t *out = json_array();
    size_t i, j;

    for (i = 0; out != NULL && i < a->n; i++)
        for (j = 0; j < a->objs[i].n; j++)
            if (a->objs[i].fs[j].into == NULL &&
                json_array_append_new(
                    out, audit_flat(&a->objs[i], &a->objs[i].fs[j])) != 0) {
                json_decref(out);
                return NULL;
            }
    return out;
}

enum { AUDIT_COLS = 6 };

/* The cells of one table row; the object column in obj. */
static void audit_row(const json_t *f, char *obj, size_t cap,
                      const char *cells[AUDIT_COLS])
{
    long long pods = json_integer_value(json_object_get(f, "pods"));
    const char *fix = audit_str(f, "fix");

    snprintf(obj, cap, "%s/%s", audit_str(f, "kind"), audit_str(f, "name"));
    if (pods > 0)
        snprintf(obj + strlen(obj), cap - strlen(obj), " (+%lld pod%s)", pods,
                 pods == 1 ? "" : "s");
    cells[0] = audit_str(f, "namespace");
    cells[1] = obj;
    cells[2] = audit_str(f, "field");
    cells[3] = audit_str(f, "result");
    cells[4] = audit_str(f, "reason");
    cells[5] = fix != NULL ? fix : audit_str(f, "message");
    if (cells[2][0] == '\0')
        cells[2] = "-";
}

char *audit_table(const struct audit *a, const struct audit_summary *sum)
{
    static const char *const head[AUDIT_COLS] = {
        "NAMESPACE", "OBJECT", "FIELD", "RESULT", "REASON", "FIX OR MESSAGE"};
    struct strbuf b = {.max = AUDIT_TABLE_MAX};
    json_t *all = audit_findings(a), *f;
    size_t width[AUDIT_COLS], i, c;
    const char *cells[AUDIT_COLS];
    char obj[700], *out = NULL;

    if (all == NULL)
        return NULL;
    for (c = 0; c < AUDIT_COLS; c++)
        width[c] = strlen(head[c]);
    json_array_foreach(all, i, f)
    {
        audit_row(f, obj, sizeof(obj), cells);
        for (c = 0; c < AUDIT_COLS - 1; c++)
            if (strlen(cells[c]) > width[c])
                width[c] = strlen(cells[c]);
    }
    for (i = 0; i <= json_array_size(all) && json_array_size(all) > 0; i++) {
        if (i == 0) {
            memcpy(cells, head, sizeof(cells));
        } else {
            audit_row(json_array_get(all, i - 1), obj, sizeof(obj), cells);
        }
        for (c = 0; c < AUDIT_COLS - 1; c++)
            strbuf_printf(&b, "%-*s  ", (int)width[c], cells[c]);
        strbuf_printf(&b, "%s\n", cells[c]);
    }
    strbuf_printf(&b, "%zu objects, %zu denied, %zu warned\n", sum->objects,
                  sum->denied, sum->warned);
    if (!b.failed)
        out = strdup(strbuf_str(&b));
    strbuf_free(&b);
    json_decref(all);
    return out;
}

/* One PolicyReport result of a flat finding f. NULL on ENOMEM. */
static json_t *audit_result(const json_t *f, long long now)
{
    int deny = strcmp(audit_str(f, "result"), "deny") == 0;
    json_t *res, *props, *ref;
    char pods[32];

    props = json_pack("{s:s}", "field", audit_str(f, "field"));
    ref = json_pack("{s:s, s:s, s:s, s:s}", "apiVersion",
                    audit_str(f, "apiVersion"), "kind", audit_str(f, "kind"),
                    "name", audit_str(f, "name"), "namespace",
                    audit_str(f, "namespace"));
    if (props == NULL || ref == NULL)
        goto oom;
    if (audit_str(f, "fix") != NULL &&
        json_object_set(props, "fix", json_object_get(f, "fix")) != 0)
        goto oom;
    if (json_integer_value(json_object_get(f, "pods")) > 0) {
        snprintf(pods, sizeof(pods), "%lld",
                 (long long)json_integer_value(json_object_get(f, "pods")));
        if (json_object_set_new(props, "pods", json_string(pods)) != 0)
            goto oom;
    }
    if (audit_str(f, "uid") != NULL &&
        json_object_set(ref, "uid", json_object_get(f, "uid")) != 0)
        goto oom;
    res = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s, "
                    "s:{s:I, s:i}, s:[o], s:o}",
                    "policy", AUDIT_POLICY, "rule", audit_str(f, "reason"),
                    "category", "Image pulls", "result", deny ? "fail" : "warn",
                    "severity", deny ? "high" : "medium", "message",
                    audit_str(f, "message"), "scored", 1, "source",
                    AUDIT_POLICY, "timestamp", "seconds", (json_int_t)now,
                    "nanos", 0, "resources", ref, "properties", props);
    return res;
oom:
    json_decref(props);
    json_decref(ref);
    return NULL;
}

/* An empty PolicyReport of namespace ns. NULL on ENOMEM. */
static json_t *audit_report(const char *ns)
{
    return json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s}}, "
                     "s:{s:i, s:i, s:i, s:i, s:i}, s:[]}",
                     "apiVersion", "wgpolicyk8s.io/v1alpha2", "kind",
                     "PolicyReport", "metadata", "name", AUDIT_POLICY,
                     "namespace", ns, "labels", "app.kubernetes.io/managed-by",
                     AUDIT_POLICY, "summary", "pass", 0, "fail", 0, "warn", 0,
                     "error", 0, "skip", 0, "results");
}

/* Add one to a report's summary count. */
static void audit_count(json_t *report, const char *what)
{
    json_t *n = json_object_get(json_object_get(report, "summary"), what);

    json_integer_set(n, json_integer_value(n) + 1);
}

json_t *audit_policy_reports(const struct audit *a, long long now)
{
    json_t *list = json_pack("{s:s, s:s, s:[]}", "apiVersion", "v1", "kind",
                             "List", "items");
    json_t *items = json_object_get(list, "items"), *report = NULL;
    size_t i, j;

    for (i = 0; list != NULL && i < a->n; i++) {
        const struct audit_obj *o = &a->objs[i];

        if (report == NULL ||
            strcmp(o->ns, audit_str(json_object_get(report, "metadata"),
                                    "namespace")) != 0) {
            report = audit_report(o->ns);
            if (json_array_append_new(items, report) != 0)
                goto oom;
        }
        for (j = 0; j < o->n; j++) {
            json_t *flat, *res;

            if (o->fs[j].into != NULL)
                continue;
            flat = audit_flat(o, &o->fs[j]);
            res = flat != NULL ? audit_result(flat, now) : NULL;
            json_decref(flat);
            if (json_array_append_new(json_object_get(report, "results"),
                                      res) != 0)
                goto oom;
            audit_count(report, strcmp(audit_str(res, "result"), "fail") == 0
                                    ? "fail"
                                    : "warn");
        }
    }
    return list;
oom:
    json_decref(list);
    return NULL;
}

void audit_free(struct audit *a)
{
    size_t i, j;

    if (a == NULL)
        return;
    for (i = 0; i < a->n; i++) {
        for (j = 0; j < a->objs[i].n; j++)
            json_decref(a->objs[i].fs[j].f);
        free(a->objs[i].fs);
        json_decref(a->objs[i].id);
        json_decref(a->objs[i].owner);
    }
    free(a->objs);
    free(a);
}
