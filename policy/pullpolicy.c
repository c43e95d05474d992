/* pullpolicy.c - imagePullPolicy from the image tag, in three modes. */
#include "pullpolicy.h"

#include <string.h>

#include "imageref.h"
#include "jsonpatch.h"
#include "podspec.h"

const char *pullpolicy_wanted(const char *image, const char *current,
                              enum config_pull_mode mode)
{
    const char *want;
    int unset = current == NULL || current[0] == '\0';

    if (mode == CONFIG_PULL_ALWAYS)
        want = "Always";
    else
        want = imageref_default_pull_policy(image);
    if (!unset &&
        (mode == CONFIG_PULL_DEFAULT ||
         (mode == CONFIG_PULL_ENFORCE && strcmp(want, "Always") != 0)))
        return NULL;
    if (!unset && strcmp(current, want) == 0)
        return NULL;
    return want;
}

/* Whether container c of a list is new or has a new image against old. */
static int pullpolicy_changed(const json_t *c, const json_t *old_list)
{
    const char *name = json_string_value(json_object_get(c, "name"));
    const json_t *old;

    if (name == NULL)
        return 1;
    old = podspec_container_by_name(old_list, name);
    if (old == NULL)
        return 1;
    return !json_equal(json_object_get(c, "image"),
                       json_object_get(old, "image"));
}

int pullpolicy_patch(const json_t *spec, const json_t *old_spec,
                     const char *base, enum config_pull_mode mode,
                     struct jsonpatch *patch, struct err *err)
{
    struct jsonpatch_ptr ptr;
    size_t l;

    if (jsonpatch_ptr_set(&ptr, base, err) != 0)
        return -1;
    for (l = 0; l < 3; l++) {
        const json_t *list = json_object_get(spec, podspec_lists[l]);
        const json_t *old_list =
            old_spec != NULL ? json_object_get(old_spec, podspec_lists[l])
                             : NULL;
        size_t list_len = ptr.len, i;
        json_t *c;

        if (!json_is_array(list))
            continue;
        if (jsonpatch_ptr_push(&ptr, podspec_lists[l], err) != 0)
            return -1;
        json_array_foreach(list, i, c)
        {
            const json_t *cur = json_object_get(c, "imagePullPolicy");
            const char *image = json_string_value(json_object_get(c, "image"));
            const char *want;
            size_t item_len = ptr.len;

            if (!json_is_object(c) || image == NULL)
                continue;
            if (old_spec != NULL && !pullpolicy_changed(c, old_list))
                continue;
            want = pullpolicy_wanted(image, json_string_value(cur), mode);
            if (want == NULL)
                continue;
            if (jsonpatch_ptr_push_index(&ptr, i, err) != 0 ||
                jsonpatch_ptr_push(&ptr, "imagePullPolicy", err) != 0 ||
                jsonpatch_add(patch, cur == NULL ? "add" : "replace", ptr.buf,
                              want, err) != 0)
                return -1;
            jsonpatch_ptr_truncate(&ptr, item_len);
        }
        jsonpatch_ptr_truncate(&ptr, list_len);
    }
    return 0;
}
