/* openshift.c - OpenShift's own image references: BuildConfigs,
 * DeploymentConfig triggers and ImageStream tags. */
#include "openshift.h"

#include <stdio.h>
#include <string.h>

#include "imagestream.h"

static const char *const openshift_strategies[] = {
    "sourceStrategy", "dockerStrategy", "customStrategy"};

/* Whether ref equals any "from" of the old BuildConfig. */
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

void openshift_buildconfig(const struct imagecheck *ic, const json_t *obj,
                           const json_t *old)
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
        snprintf(where, sizeof(where), "BuildConfig spec.strategy.%s.from",
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
        snprintf(where, sizeof(where),
                 "BuildConfig spec.source.images[%zu].from", i);
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

int openshift_dc_placeholder(const json_t *obj, const char *name)
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

/* Whether the old ImageStream has a tag equal to tag (name and from). */
static int openshift_is_has(const json_t *old, const json_t *tag)
{
    size_t i;
    json_t *t;

    json_array_foreach(json_object_get(json_object_get(old, "spec"), "tags"), i,
                       t)
    {
        if (json_equal(json_object_get(t, "name"),
                       json_object_get(tag, "name")) &&
            json_equal(json_object_get(t, "from"),
                       json_object_get(tag, "from")))
            return 1;
    }
    return 0;
}

void openshift_imagestream(const struct config *cfg, struct verdict *v,
                           const char *ns, const json_t *obj, const json_t *old)
{
    const char *is_name = json_string_value(
        json_object_get(json_object_get(obj, "metadata"), "name"));
    size_t i;
    json_t *t;

    if (is_name == NULL)
        is_name = "";
    json_array_foreach(json_object_get(json_object_get(obj, "spec"), "tags"), i,
                       t)
    {
        const char *name = json_string_value(json_object_get(t, "name"));
        const json_t *from = json_object_get(t, "from");
        const char *kind = json_string_value(json_object_get(from, "kind"));
        const char *src = json_string_value(json_object_get(from, "name"));
        const char *src_ns =
            json_string_value(json_object_get(from, "namespace"));
        size_t stream_len;

        if (name == NULL || (old != NULL && openshift_is_has(old, t)))
            continue;
        if (cfg->warn_dated_tags && imagestream_tag_is_dated(name))
            verdict_warn(v, VERDICT_DATED_TAG,
                         "ImageStream tag \"%s\": the tag name embeds a date: "
                         "it names one revision forever and default image "
                         "pruning never removes it",
                         name);
        if (kind == NULL || strcmp(kind, "ImageStreamTag") != 0 || src == NULL)
            continue;
        if (src_ns == NULL || src_ns[0] == '\0')
            src_ns = ns;
        /* "<tag>" alone names a tag of this same stream */
        stream_len = strchr(src, ':') != NULL ? strcspn(src, ":") : 0;
        if (strcmp(src_ns, ns) == 0 &&
            (stream_len == 0 || (strlen(is_name) == stream_len &&
                                 strncmp(src, is_name, stream_len) == 0)))
            continue;
        verdict_act(v, (int)cfg->cross_stream_aliases,
                    VERDICT_CROSS_STREAM_ALIAS,
                    "ImageStream tag \"%s\" tracks ImageStreamTag \"%s/%s\" "
                    "of another image stream: an alias (a tracking tag) works "
                    "only inside one image stream; make a permanent tag "
                    "instead: oc tag %s/%s %s/%s:%s",
                    name, src_ns, src, src_ns, src, ns, is_name, name);
    }
}
