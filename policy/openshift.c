/* openshift.c - OpenShift's own image references: Builds and BuildConfigs,
 * DeploymentConfig triggers, the image.openshift.io/triggers annotation,
 * and ImageStream tags wherever they enter. */
#include "openshift.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imagestream.h"
#include "jsonload.h"
#include "podspec.h"

#define OPENSHIFT_TRIGGERS_KEY "image.openshift.io/triggers"

static const char *const openshift_strategies[] = {
    "sourceStrategy", "dockerStrategy", "customStrategy"};

/* Whether ref equals any "from" of the old Build or BuildConfig. */
static int openshift_build_has(const json_t *old, const json_t *ref)
{
    const json_t *spec = json_object_get(old, "spec");
    size_t i;
    json_t *img;

    for (i = 0; i < 3; i++) {
        const json_t *st = json_object_get(json_object_get(spec, "strategy"),
                                           openshift_strategies[i]);

        if (json_equal(json_object_get(st, "from"), ref))
            return 1;
    }
    json_array_foreach(
        json_object_get(json_object_get(spec, "source"), "images"), i, img)
    {
        if (json_equal(json_object_get(img, "from"), ref))
            return 1;
    }
    return 0;
}

const char *openshift_build_sa(const json_t *obj)
{
    const char *sa = json_string_value(
        json_object_get(json_object_get(obj, "spec"), "serviceAccount"));

    return sa != NULL && sa[0] != '\0' ? sa : "builder";
}

void openshift_build(const struct imagecheck *ic, const char *kind,
                     const json_t *obj, const json_t *old)
{
    const json_t *spec = json_object_get(obj, "spec");
    char where[128];
    size_t i;
    json_t *img;

    for (i = 0; i < 3; i++) {
        const json_t *from =
            json_object_get(json_object_get(json_object_get(spec, "strategy"),
                                            openshift_strategies[i]),
                            "from");

        if (!json_is_object(from) ||
            (old != NULL && openshift_build_has(old, from)))
            continue;
        snprintf(where, sizeof(where), "%s spec.strategy.%s.from", kind,
                 openshift_strategies[i]);
        imagecheck_object_ref(ic, where, from);
    }
    json_array_foreach(
        json_object_get(json_object_get(spec, "source"), "images"), i, img)
    {
        const json_t *from = json_object_get(img, "from");

        if (!json_is_object(from) ||
            (old != NULL && openshift_build_has(old, from)))
            continue;
        snprintf(where, sizeof(where), "%s spec.source.images[%zu].from", kind,
                 i);
        imagecheck_object_ref(ic, where, from);
    }
}

/* The "from" of an ImageChange trigger, or NULL. */
static const json_t *openshift_trigger_from(const json_t *t)
{
    const char *type = json_string_value(json_object_get(t, "type"));

    if (type == NULL || strcmp(type, "ImageChange") != 0)
        return NULL;
    return json_object_get(json_object_get(t, "imageChangeParams"), "from");
}

void openshift_dc_triggers(const struct imagecheck *ic, const json_t *obj,
                           const json_t *old)
{
    const json_t *old_triggers =
        json_object_get(json_object_get(old, "spec"), "triggers");
    char where[64];
    size_t i, j;
    json_t *t, *o;

    json_array_foreach(
        json_object_get(json_object_get(obj, "spec"), "triggers"), i, t)
    {
        const json_t *from = openshift_trigger_from(t);
        int seen = 0;

        if (!json_is_object(from))
            continue;
        json_array_foreach(old_triggers, j, o)
        {
            if (json_equal(openshift_trigger_from(o), from))
                seen = 1;
        }
        if (seen)
            continue;
        snprintf(where, sizeof(where), "DeploymentConfig spec.triggers[%zu]",
                 i);
        imagecheck_object_ref(ic, where, from);
    }
}

/* Whether a DeploymentConfig ImageChange trigger lists container name. */
static int openshift_dc_placeholder(const json_t *obj, const char *name)
{
    size_t i, j;
    json_t *t, *n;

    json_array_foreach(
        json_object_get(json_object_get(obj, "spec"), "triggers"), i, t)
    {
        if (openshift_trigger_from(t) == NULL)
            continue;
        json_array_foreach(
            json_object_get(json_object_get(t, "imageChangeParams"),
                            "containerNames"),
            j, n)
        {
            const char *s = json_string_value(n);

            if (s != NULL && strcmp(s, name) == 0)
                return 1;
        }
    }
    return 0;
}

/* ---- the image.openshift.io/triggers annotation ---- */

int openshift_annotation_kind(const char *kind)
{
    static const char *const kinds[] = {"Deployment", "StatefulSet",
                                        "DaemonSet", "Job", "CronJob"};
    size_t i;

    for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcmp(kinds[i], kind) == 0)
            return 1;
    return 0;
}

/*
 * The annotation of obj parsed: a new reference to its list, NULL when obj
 * has none (*why empty) or when it is not a JSON list (*why says so).
 */
static json_t *openshift_annotation(const json_t *obj, char *why, size_t n)
{
    const json_t *a = json_object_get(
        json_object_get(json_object_get(obj, "metadata"), "annotations"),
        OPENSHIFT_TRIGGERS_KEY);
    json_error_t jerr;
    json_t *list;

    why[0] = '\0';
    if (a == NULL)
        return NULL;
    if (!json_is_string(a)) {
        snprintf(why, n, "is not a string");
        return NULL;
    }
    list = jsonload_text(json_string_value(a), json_string_length(a), &jerr);
    if (list == NULL) {
        snprintf(why, n, "is not JSON (%.80s)", jerr.text);
        return NULL;
    }
    if (!json_is_array(list)) {
        snprintf(why, n, "is not a JSON list");
        json_decref(list);
        return NULL;
    }
    return list;
}

/* The container a fieldPath names, as the controller reads it. */
struct openshift_target {
    int init;         /* initContainers[...] rather than containers[...] */
    long index;       /* >= 0: by index in that list; -1: by name */
    const char *name; /* by name: borrowed from the annotation */
    size_t name_len;
};

/*
 * Parse fieldPath fp of a workload whose pod spec is at pointer, as
 * OpenShift's trigger controller does (library-go pkg/image/trigger
 * annotations.go: the pod spec path, then "containers[SEL]" or
 * "initContainers[SEL]", then ".image"; SEL an index or ?(@.name=="NAME")).
 * Returns 0, or -1 with why set.
 */
static int openshift_field_path(const char *fp, const char *pointer,
                                struct openshift_target *t, char *why, size_t n)
{
    static const char name_pre[] = "?(@.name==\"", name_suf[] = "\")";
    const char *p = pointer[0] == '/' ? pointer + 1 : pointer;
    const char *sel, *end, *digits;
    size_t len;

    for (; *p != '\0'; p++, fp++)
        if (*fp != (*p == '/' ? '.' : *p))
            break;
    if (*p != '\0' || *fp != '.') {
        snprintf(why, n, "fieldPath is not under the pod template");
        return -1;
    }
    fp++;
    memset(t, 0, sizeof(*t));
    if (strncmp(fp, "containers[", 11) == 0) {
        sel = fp + 11;
    } else if (strncmp(fp, "initContainers[", 15) == 0) {
        t->init = 1;
        sel = fp + 15;
    } else {
        snprintf(why, n, "fieldPath names no container list");
        return -1;
    }
    end = strchr(sel, ']');
    if (end == NULL || strcmp(end + 1 + (end[1] == '.'), "image") != 0) {
        snprintf(why, n, "fieldPath is not a container's image");
        return -1;
    }
    len = (size_t)(end - sel);
    /* An index as strconv.Atoi reads it: a sign, then digits. */
    digits = sel + (len > 1 && (sel[0] == '+' || sel[0] == '-'));
    if (len - (size_t)(digits - sel) <= 9 &&
        strspn(digits, "0123456789") == len - (size_t)(digits - sel) &&
        digits < end) {
        t->index = strtol(digits, NULL, 10);
        if (sel[0] == '-' && t->index != 0) {
            snprintf(why, n,
                     "fieldPath names no container of the pod "
                     "template");
            return -1;
        }
        return 0;
    }
    /* Trimmed as TrimSuffix(TrimPrefix(sel, pre), suf) trims it. */
    t->index = -1;
    t->name = sel;
    t->name_len = len;
    if (len >= sizeof(name_pre) - 1 &&
        memcmp(sel, name_pre, sizeof(name_pre) - 1) == 0) {
        t->name += sizeof(name_pre) - 1;
        t->name_len -= sizeof(name_pre) - 1;
    }
    if (t->name_len >= sizeof(name_suf) - 1 &&
        memcmp(t->name + t->name_len - (sizeof(name_suf) - 1), name_suf,
               sizeof(name_suf) - 1) == 0)
        t->name_len -= sizeof(name_suf) - 1;
    if (t->name_len == len) {
        snprintf(why, n, "fieldPath selects no container by index or name");
        return -1;
    }
    return 0;
}

/* A container's name and place, to find containers by name by sorting. */
struct openshift_cname {
    const char *name;
    size_t len;
    int init;
    size_t index;
};

/* By name; for one name the init container first, as the controller's
 * GetContainerByName looks there first. */
static int openshift_cname_cmp(const void *a, const void *b)
{
    const struct openshift_cname *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->name, y->name, n);

    if (c != 0)
        return c;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    if (x->init != y->init)
        return x->init > y->init ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* The pod spec's containers, init and others, sorted by name. */
struct openshift_containers {
    const json_t *lists[2]; /* initContainers, containers */
    struct openshift_cname *names;
    size_t n;
};

static int openshift_containers_read(struct openshift_containers *c,
                                     const json_t *spec)
{
    size_t l, i, total;
    json_t *e;

    c->lists[0] = json_object_get(spec, podspec_lists[0]);
    c->lists[1] = json_object_get(spec, podspec_lists[1]);
    c->n = 0;
    total = json_array_size(c->lists[0]) + json_array_size(c->lists[1]);
    c->names = calloc(total > 0 ? total : 1, sizeof(*c->names));
    if (c->names == NULL)
        return -1;
    for (l = 0; l < 2; l++) {
        json_array_foreach(c->lists[l], i, e)
        {
            const json_t *name = json_object_get(e, "name");

            if (!json_is_string(name))
                continue;
            c->names[c->n].name = json_string_value(name);
            c->names[c->n].len = json_string_length(name);
            c->names[c->n].init = l == 0;
            c->names[c->n++].index = i;
        }
    }
    qsort(c->names, c->n, sizeof(*c->names), openshift_cname_cmp);
    return 0;
}

/*
 * Resolve t to the container it names: 0 with *init and *index set, or -1
 * when the pod spec has no such container. By name the controller looks in
 * both lists (GetContainerByName), by index in the one named.
 */
static int openshift_target_find(const struct openshift_target *t,
                                 const struct openshift_containers *c,
                                 int *init, size_t *index)
{
    struct openshift_cname key = {t->name, t->name_len, 1, 0};
    size_t lo = 0, hi = c->n;

    if (t->index >= 0) {
        if ((size_t)t->index >= json_array_size(c->lists[t->init ? 0 : 1]))
            return -1;
        *init = t->init;
        *index = (size_t)t->index;
        return 0;
    }
    /* The first entry not below {name, init, 0}: the init one if any. */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (openshift_cname_cmp(&c->names[mid], &key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == c->n || c->names[lo].len != t->name_len ||
        memcmp(c->names[lo].name, t->name, t->name_len) != 0)
        return -1;
    *init = c->names[lo].init;
    *index = c->names[lo].index;
    return 0;
}

/*
 * Check one item of the list into e, but for repeats: ok when the trigger
 * controller can follow it, with the container it fills; else why.
 */
static void openshift_trigger_entry(const json_t *item, const char *pointer,
                                    const struct openshift_containers *c,
                                    struct openshift_trigger *e)
{
    const json_t *from = json_object_get(item, "from");
    const char *kind, *name, *fp;
    struct openshift_target target;

    e->ok = 0;
    if (!json_is_object(item)) {
        snprintf(e->why, sizeof(e->why), "is not an object");
        return;
    }
    kind = json_string_value(json_object_get(from, "kind"));
    name = json_string_value(json_object_get(from, "name"));
    fp = json_string_value(json_object_get(item, "fieldPath"));
    if (kind == NULL || name == NULL || name[0] == '\0' ||
        (json_object_get(from, "namespace") != NULL &&
         !json_is_string(json_object_get(from, "namespace")))) {
        snprintf(e->why, sizeof(e->why),
                 "from needs a kind and a name (strings)");
        return;
    }
    if (strcmp(kind, "ImageStreamTag") != 0) {
        snprintf(e->why, sizeof(e->why),
                 "from.kind \"%.40s\" is not followed (ImageStreamTag only)",
                 kind);
        return;
    }
    if (fp == NULL) {
        snprintf(e->why, sizeof(e->why), "fieldPath must be a string");
        return;
    }
    if (openshift_field_path(fp, pointer, &target, e->why, sizeof(e->why)) != 0)
        return;
    if (openshift_target_find(&target, c, &e->init, &e->index) != 0) {
        snprintf(e->why, sizeof(e->why),
                 "fieldPath names no container of the pod template");
        return;
    }
    e->ok = 1;
}

/* A fieldPath and the entry that holds it, to find repeats by sorting. */
struct openshift_fp {
    const char *fp;
    size_t i;
};

static int openshift_fp_cmp(const void *a, const void *b)
{
    const struct openshift_fp *x = a, *y = b;
    int c = strcmp(x->fp, y->fp);

    if (c != 0)
        return c;
    return x->i < y->i ? -1 : x->i > y->i;
}

/*
 * An entry whose fieldPath an earlier entry holds too is not followed (the
 * controller refuses the annotation): mark it, naming the first. -1 on
 * ENOMEM.
 */
static int openshift_triggers_repeats(struct openshift_triggers *t)
{
    struct openshift_fp *fps = calloc(t->n, sizeof(*fps));
    size_t i, n = 0, first = 0;

    if (fps == NULL)
        return -1;
    for (i = 0; i < t->n; i++) {
        const char *fp = json_string_value(
            json_object_get(json_array_get(t->list, i), "fieldPath"));

        if (fp != NULL) {
            fps[n].fp = fp;
            fps[n++].i = i;
        }
    }
    qsort(fps, n, sizeof(*fps), openshift_fp_cmp);
    for (i = 0; i < n; i++) {
        struct openshift_trigger *e = &t->entries[fps[i].i];

        if (i == 0 || strcmp(fps[i].fp, fps[first].fp) != 0) {
            first = i;
            continue;
        }
        if (e->ok) {
            e->ok = 0;
            snprintf(e->why, sizeof(e->why), "fieldPath repeats entry %zu",
                     fps[first].i);
        }
    }
    free(fps);
    return 0;
}

int openshift_triggers_read(struct openshift_triggers *t, const char *kind,
                            const char *pointer, const json_t *obj)
{
    struct openshift_containers c = {{NULL, NULL}, NULL, 0};
    size_t i, n_containers;
    int rc = -1;

    memset(t, 0, sizeof(*t));
    if (!openshift_annotation_kind(kind))
        return 0;
    t->list = openshift_annotation(obj, t->why, sizeof(t->why));
    t->n = json_array_size(t->list);
    if (t->n > OPENSHIFT_TRIGGERS_MAX)
        t->too_many = 1;
    if (t->n == 0 || t->too_many)
        return 0;
    if (openshift_containers_read(&c, podspec_find(obj, pointer)) != 0)
        goto out;
    t->n_init = json_array_size(c.lists[0]);
    n_containers = t->n_init + json_array_size(c.lists[1]);
    t->entries = calloc(t->n, sizeof(*t->entries));
    t->filled = calloc(n_containers > 0 ? n_containers : 1, 1);
    t->n_filled = n_containers;
    if (t->entries == NULL || t->filled == NULL)
        goto out;
    for (i = 0; i < t->n; i++)
        openshift_trigger_entry(json_array_get(t->list, i), pointer, &c,
                                &t->entries[i]);
    if (openshift_triggers_repeats(t) != 0)
        goto out;
    for (i = 0; i < t->n; i++) {
        const struct openshift_trigger *e = &t->entries[i];

        if (e->ok)
            t->filled[e->init ? e->index : t->n_init + e->index] = 1;
    }
    rc = 0;
out:
    free(c.names);
    if (rc != 0)
        openshift_triggers_free(t);
    return rc;
}

void openshift_triggers_free(struct openshift_triggers *t)
{
    json_decref(t->list);
    free(t->entries);
    free(t->filled);
    memset(t, 0, sizeof(*t));
}

/* Whether list (old triggers, may be NULL) holds an entry with from. */
static int openshift_trigger_seen(const json_t *list, const json_t *from)
{
    size_t i;
    json_t *e;

    json_array_foreach(list, i, e)
    {
        if (json_equal(json_object_get(e, "from"), from))
            return 1;
    }
    return 0;
}

void openshift_trigger_annotation(const struct imagecheck *ic, const char *kind,
                                  const struct openshift_triggers *t,
                                  const json_t *old)
{
    char old_why[128], where[96];
    json_t *old_list = NULL;
    size_t i;

    snprintf(where, sizeof(where), "%s " OPENSHIFT_TRIGGERS_KEY, kind);
    ic->v->where = where;
    if (t->list == NULL) {
        if (t->why[0] != '\0')
            verdict_warn(ic->v, VERDICT_TRIGGER_ANNOTATION,
                         "%s annotation " OPENSHIFT_TRIGGERS_KEY
                         " %s: OpenShift's trigger controller ignores it",
                         kind, t->why);
        ic->v->where = NULL;
        return;
    }
    if (t->too_many) {
        verdict_deny(ic->v, VERDICT_TOO_LARGE,
                     "%s annotation " OPENSHIFT_TRIGGERS_KEY
                     " holds %zu triggers, more than the %d this webhook "
                     "reviews",
                     kind, t->n, OPENSHIFT_TRIGGERS_MAX);
        ic->v->where = NULL;
        return;
    }
    if (old != NULL)
        old_list = openshift_annotation(old, old_why, sizeof(old_why));
    for (i = 0; i < t->n; i++) {
        const json_t *from =
            json_object_get(json_array_get(t->list, i), "from");

        snprintf(where, sizeof(where), "%s " OPENSHIFT_TRIGGERS_KEY "[%zu]",
                 kind, i);
        if (!t->entries[i].ok) {
            ic->v->where = where;
            verdict_warn(ic->v, VERDICT_TRIGGER_ANNOTATION,
                         "%s annotation " OPENSHIFT_TRIGGERS_KEY
                         "[%zu]: %s: OpenShift's trigger controller will not "
                         "follow it",
                         kind, i, t->entries[i].why);
            ic->v->where = NULL;
            continue;
        }
        if (openshift_trigger_seen(old_list, from))
            continue;
        imagecheck_object_ref(ic, where, from);
    }
    ic->v->where = NULL;
    json_decref(old_list);
}

int openshift_placeholder(const char *kind, const json_t *obj,
                          const struct openshift_triggers *t, size_t list,
                          size_t index, const char *name)
{
    if (strcmp(kind, "DeploymentConfig") == 0)
        return openshift_dc_placeholder(obj, name);
    if (t->filled == NULL || list > 1)
        return 0;
    if (list == 0)
        return index < t->n_init && t->filled[index];
    return t->n_init + index < t->n_filled && t->filled[t->n_init + index];
}

/* ---- ImageStream tags ---- */

/*
 * The rules for one tag (a TagReference: name, from) named tag_name of
 * image stream is_name in namespace ns; subject says where it is for
 * messages ("ImageStream tag \"v1\"").
 */
static void openshift_tag(const struct config *cfg, struct verdict *v,
                          const char *ns, const char *is_name,
                          const char *tag_name, const json_t *tag,
                          const char *subject)
{
    const json_t *from = json_object_get(tag, "from");
    const char *kind = json_string_value(json_object_get(from, "kind"));
    const char *src = json_string_value(json_object_get(from, "name"));
    const char *src_ns = json_string_value(json_object_get(from, "namespace"));
    size_t stream_len;

    if (cfg->warn_dated_tags && imagestream_tag_is_dated(tag_name))
        verdict_warn(v, VERDICT_DATED_TAG,
                     "%s: the tag name embeds a date: it names one revision "
                     "forever and default image pruning never removes it",
                     subject);
    if (kind == NULL || strcmp(kind, "ImageStreamTag") != 0 || src == NULL)
        return;
    if (src_ns == NULL || src_ns[0] == '\0')
        src_ns = ns;
    /* "<tag>" alone names a tag of this same stream */
    stream_len = strchr(src, ':') != NULL ? strcspn(src, ":") : 0;
    if (strcmp(src_ns, ns) == 0 &&
        (stream_len == 0 || (strlen(is_name) == stream_len &&
                             strncmp(src, is_name, stream_len) == 0)))
        return;
    verdict_act(v, (int)cfg->cross_stream_aliases, VERDICT_CROSS_STREAM_ALIAS,
                "%s tracks ImageStreamTag \"%s/%s\" of another image stream: "
                "an alias (a tracking tag) works only inside one image "
                "stream; make a permanent tag instead: oc tag %s/%s %s/%s:%s",
                subject, src_ns, src, src_ns, src, ns, is_name, tag_name);
}

/* Whether two tags (TagReferences) have the same name and from. */
static int openshift_tag_same(const json_t *a, const json_t *b)
{
    return json_equal(json_object_get(a, "name"), json_object_get(b, "name")) &&
           json_equal(json_object_get(a, "from"), json_object_get(b, "from"));
}

/* Whether the old ImageStream has a tag equal to tag (name and from). */
static int openshift_is_has(const json_t *old, const json_t *tag)
{
    size_t i;
    json_t *t;

    json_array_foreach(json_object_get(json_object_get(old, "spec"), "tags"), i,
                       t)
    {
        if (openshift_tag_same(t, tag))
            return 1;
    }
    return 0;
}

void openshift_imagestream(const struct config *cfg, struct verdict *v,
                           const char *ns, const json_t *obj, const json_t *old)
{
    const char *is_name = json_string_value(
        json_object_get(json_object_get(obj, "metadata"), "name"));
    char subject[300];
    size_t i;
    json_t *t;

    if (is_name == NULL)
        is_name = "";
    json_array_foreach(json_object_get(json_object_get(obj, "spec"), "tags"), i,
                       t)
    {
        const char *name = json_string_value(json_object_get(t, "name"));

        if (name == NULL || (old != NULL && openshift_is_has(old, t)))
            continue;
        snprintf(subject, sizeof(subject), "ImageStream tag \"%.200s\"", name);
        v->where = subject;
        openshift_tag(cfg, v, ns, is_name, name, t, subject);
        v->where = NULL;
    }
}

void openshift_imagestreamtag(const struct config *cfg, struct verdict *v,
                              const char *ns, const char *kind,
                              const json_t *obj, const json_t *old)
{
    const char *field = strcmp(kind, "ImageTag") == 0 ? "spec" : "tag";
    const json_t *tag = json_object_get(obj, field);
    const json_t *old_tag = json_object_get(old, field);
    const char *full = json_string_value(
        json_object_get(json_object_get(obj, "metadata"), "name"));
    const char *tag_name = json_string_value(json_object_get(tag, "name"));
    char is_name[256], subject[300];
    size_t n;

    if (!json_is_object(tag) || full == NULL)
        return;
    if (old_tag != NULL && openshift_tag_same(old_tag, tag))
        return;
    /* metadata.name is "<stream>:<tag>" */
    n = strcspn(full, ":");
    snprintf(is_name, sizeof(is_name), "%.*s", (int)n, full);
    if (tag_name == NULL || tag_name[0] == '\0')
        tag_name = full[n] == ':' ? full + n + 1 : "";
    snprintf(subject, sizeof(subject), "%s \"%.200s\"", kind, full);
    v->where = subject;
    openshift_tag(cfg, v, ns, is_name, tag_name, tag, subject);
    v->where = NULL;
}
