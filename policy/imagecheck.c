/* imagecheck.c - the /validate rules for one image reference. */
#include "imagecheck.h"

#include <string.h>

#include "crossproject.h"
#include "imageref.h"
#include "imagestream.h"

/* How much of an image reference a message quotes. */
#define IMAGECHECK_QUOTE 200

/* Deny or warn: service account ic->sa may not pull `what` from project. */
static void imagecheck_cross(const struct imagecheck *ic, const char *where,
                             const char *what, const char *project,
                             const char *stream)
{
    const char *ns = ic->ns, *sa = ic->sa;

    if (ic->cfg->cross_project == CONFIG_OFF ||
        rbac_may_pull(ic->rb, ns, sa, project, stream))
        return;
    if (ic->cfg->cross_project == CONFIG_DENY)
        verdict_deny(ic->v, VERDICT_CROSS_PROJECT,
                     "%s uses %s from project \"%s\", but service account "
                     "\"%s\" of project \"%s\" may not pull from it (no RBAC "
                     "grant of get on imagestreams/layers there); fix: oc "
                     "policy add-role-to-user system:image-puller "
                     "system:serviceaccount:%s:%s --namespace=%s",
                     where, what, project, sa, ns, ns, sa, project);
    else
        verdict_warn(ic->v, VERDICT_CROSS_PROJECT,
                     "%s: %s:%s may not pull from project %s; fix: oc policy "
                     "add-role-to-user system:image-puller "
                     "system:serviceaccount:%s:%s --namespace=%s",
                     where, ns, sa, project, ns, sa, project);
}

static void imagecheck_dated(const struct imagecheck *ic, const char *where,
                             const char *tag)
{
    if (ic->cfg->warn_dated_tags && tag[0] != '\0' &&
        imagestream_tag_is_dated(tag))
        verdict_warn(ic->v, VERDICT_DATED_TAG,
                     "%s: tag \"%s\" embeds a date: it names one revision "
                     "forever and default image pruning never removes it",
                     where, tag);
}

static void imagecheck_pull_secret(const struct imagecheck *ic,
                                   const char *where, const char *image,
                                   const struct imageref *ref)
{
    const struct config *cfg = ic->cfg;

    if (!ic->pull_secrets || ic->has_pull_secret ||
        cfg->pull_secrets == CONFIG_OFF ||
        !crossproject_registry_match(&cfg->pull_secret_registries,
                                     ref->domain) ||
        crossproject_registry_match(&cfg->global_registries, ref->domain))
        return;
    verdict_act(ic->v, (int)cfg->pull_secrets, VERDICT_PULL_SECRET,
                "%s: image \"%.*s\" is from %s, which needs credentials, but "
                "neither the pod nor service account \"%s\" has a pull "
                "secret; fix: oc secrets link %s <pull_secret_name> "
                "--for=pull",
                where, IMAGECHECK_QUOTE, image, ref->domain, ic->sa, ic->sa);
}

void imagecheck_image(const struct imagecheck *ic, const char *where,
                      const char *image)
{
    const struct config *cfg = ic->cfg;
    struct imageref ref;
    struct crossproject_ref cp;
    struct err perr = {{0}};
    char what[IMAGECHECK_QUOTE + 16];

    ic->v->where = where;
    if (imageref_parse(image, &ref, &perr) != 0) {
        verdict_act(ic->v, (int)cfg->invalid_refs, VERDICT_INVALID_REFERENCE,
                    "%s: image \"%.*s\" is not a valid image reference: %s",
                    where, IMAGECHECK_QUOTE, image, perr.msg);
        ic->v->where = NULL;
        return;
    }
    imagecheck_dated(ic, where, ref.tag);
    if (cfg->warn_latest && (strcmp(ref.tag, "latest") == 0 ||
                             (ref.tag[0] == '\0' && ref.digest[0] == '\0')))
        verdict_warn(ic->v, VERDICT_LATEST,
                     "%s: image \"%.*s\" uses the latest tag; pin a version "
                     "tag or a digest",
                     where, IMAGECHECK_QUOTE, image);
    if (crossproject_classify(cfg, &ref, ic->ns, &cp)) {
        snprintf(what, sizeof(what), "image \"%.*s\"", IMAGECHECK_QUOTE, image);
        imagecheck_cross(ic, where, what, cp.project, cp.stream);
    }
    imagecheck_pull_secret(ic, where, image, &ref);
    ic->v->where = NULL;
}

void imagecheck_object_ref(const struct imagecheck *ic, const char *where,
                           const json_t *ref)
{
    const char *kind = json_string_value(json_object_get(ref, "kind"));
    const char *name = json_string_value(json_object_get(ref, "name"));
    const char *ns = json_string_value(json_object_get(ref, "namespace"));
    char stream[254], what[600];
    size_t n;
    int is_tag;

    if (kind == NULL || name == NULL)
        return;
    if (strcmp(kind, "DockerImage") == 0) {
        imagecheck_image(ic, where, name);
        return;
    }
    if (strcmp(kind, "ImageStreamTag") != 0 &&
        strcmp(kind, "ImageStreamImage") != 0)
        return;
    is_tag = strcmp(kind, "ImageStreamTag") == 0;
    n = strcspn(name, is_tag ? ":" : "@");
    ic->v->where = where;
    if (is_tag && name[n] == ':')
        imagecheck_dated(ic, where, name + n + 1);
    if (ns != NULL && ns[0] != '\0' && strcmp(ns, ic->ns) != 0) {
        if (n >= sizeof(stream))
            n = sizeof(stream) - 1;
        memcpy(stream, name, n);
        stream[n] = '\0';
        snprintf(what, sizeof(what), "%s \"%.253s/%.300s\"", kind, ns, name);
        imagecheck_cross(ic, where, what, ns, stream);
    }
    ic->v->where = NULL;
}

int imagecheck_has_pull_secret(const json_t *secrets, const char *sa)
{
    size_t i, sa_len = strlen(sa);
    json_t *s;

    json_array_foreach(secrets, i, s)
    {
        const char *name = json_string_value(json_object_get(s, "name"));

        if (name == NULL || name[0] == '\0')
            continue;
        if (strncmp(name, sa, sa_len) == 0 &&
            strncmp(name + sa_len, "-dockercfg-", 11) == 0 &&
            name[sa_len + 11] != '\0')
            continue;
        return 1;
    }
    return 0;
}
