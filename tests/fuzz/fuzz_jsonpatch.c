/* fuzz_jsonpatch.c - the JSON Patch builder and applier: pointer escaping
 * round-trips, and applying arbitrary patches never crashes. Input: a
 * pointer segment, a NUL, then a JSON array [doc, patch]. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonpatch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    struct jsonpatch_ptr p;
    json_t *pair, *patch, *doc;
    size_t seg_len;
    char *seg;

    if (nul == NULL)
        return 0;
    seg_len = (size_t)(nul - data);
    seg = malloc(seg_len + 1);
    if (seg == NULL)
        return 0;
    memcpy(seg, data, seg_len + 1);
    /* A segment pushed, then used as a key in a patch, lands on that key. */
    if (jsonpatch_ptr_set(&p, "", NULL) == 0 &&
        jsonpatch_ptr_push(&p, seg, NULL) == 0) {
        struct jsonpatch jp;
        json_t *obj = json_object(), *ops = NULL, *utf8 = NULL;
        const char *text;
        size_t len;

        memset(&jp, 0, sizeof(jp));
        if (jsonpatch_add(&jp, "add", p.buf, "v", NULL) == 0 &&
            (text = jsonpatch_text(&jp, &len)) != NULL)
            ops = json_loadb(text, len, 0, NULL);
        /* the text is JSON whenever the segment is UTF-8 */
        if (ops == NULL && (utf8 = json_string(seg)) != NULL)
            abort();
        json_decref(utf8);
        if (obj != NULL && ops != NULL &&
            jsonpatch_apply(obj, ops, NULL) == 0 &&
            json_object_get(obj, seg) == NULL)
            abort();
        json_decref(obj);
        json_decref(ops);
        jsonpatch_free(&jp);
    }
    free(seg);
    pair = json_loadb((const char *)nul + 1, size - seg_len - 1, 0, NULL);
    doc = json_deep_copy(json_array_get(pair, 0));
    patch = json_array_get(pair, 1);
    if (doc != NULL && patch != NULL)
        jsonpatch_apply(doc, patch, NULL);
    json_decref(doc);
    json_decref(pair);
    return 0;
}
