/* replay.c - recorded review cases: run one and compare with its answer. */
#include "replay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "hashkey.h"
#include "review.h"
#include "yamljson.h"

#define REPLAY_CASE_MAX (64u << 20)

json_t *replay_normalise(const json_t *answer, struct err *err)
{
    json_t *copy = json_deep_copy(answer), *resp, *patch;
    const char *b64;
    char *text;
    size_t len;
    json_error_t jerr;

    if (copy == NULL) {
        err_set(err, "answer is not JSON");
        return NULL;
    }
    resp = json_object_get(copy, "response");
    b64 = json_string_value(json_object_get(resp, "patch"));
    if (b64 == NULL)
        return copy;
    text = base64_decode(b64, &len);
    if (text == NULL) {
        err_set(err, "response.patch is not base64");
        json_decref(copy);
        return NULL;
    }
    patch = json_loadb(text, len, 0, &jerr);
    free(text);
    if (patch == NULL) {
        err_set(err, "response.patch is not JSON: %s", jerr.text);
        json_decref(copy);
        return NULL;
    }
    json_object_set_new(resp, "patch", patch);
    return copy;
}

/* Describe the first place where a and b differ, into err. */
static void replay_diff(const json_t *a, const json_t *b, const char *path,
                        struct err *err)
{
    char sub[512], *ta, *tb;

    if (json_is_object(a) && json_is_object(b)) {
        const char *key;
        json_t *v;

        json_object_foreach((json_t *)a, key, v)
        {
            json_t *w = json_object_get(b, key);

            snprintf(sub, sizeof(sub), "%s/%s", path, key);
            if (w == NULL) {
                err_set(err, "%s: expected, not in the answer", sub);
                return;
            }
            if (!json_equal(v, w)) {
                replay_diff(v, w, sub, err);
                return;
            }
        }
        json_object_foreach((json_t *)b, key, v)
        {
            if (json_object_get(a, key) == NULL) {
                err_set(err, "%s/%s: in the answer, not expected", path, key);
                return;
            }
        }
    }
    if (json_is_array(a) && json_is_array(b) &&
        json_array_size(a) == json_array_size(b)) {
        size_t i;

        for (i = 0; i < json_array_size(a); i++) {
            if (!json_equal(json_array_get(a, i), json_array_get(b, i))) {
                snprintf(sub, sizeof(sub), "%s/%zu", path, i);
                replay_diff(json_array_get(a, i), json_array_get(b, i), sub,
                            err);
                return;
            }
        }
    }
    ta = json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY);
    tb = json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY);
    err_set(err, "%s: expected %.100s, got %.100s", path[0] ? path : "/",
            ta ? ta : "?", tb ? tb : "?");
    free(ta);
    free(tb);
}

/* Load the YAML or JSON file name, relative to the case file at path. */
static int replay_load_beside(const char *path, const char *name, json_t **out,
                              struct err *err)
{
    const char *slash = strrchr(path, '/');
    int dir_len = slash != NULL ? (int)(slash - path) + 1 : 0;
    char full[4096];

    if (name[0] == '/')
        dir_len = 0;
    if ((size_t)snprintf(full, sizeof(full), "%.*s%s", dir_len, path, name) >=
        sizeof(full))
        return err_set(err, "%s: path too long", name);
    *out = yamljson_load_file(full, REPLAY_CASE_MAX, err);
    return *out != NULL ? 0 : -1;
}

int replay_case(const char *path, const struct config *cfg,
                const struct rbac *rb, struct err *err)
{
    struct err perr = {{0}};
    json_t *c = NULL, *got = NULL, *want = NULL, *have = NULL, *v_file = NULL;
    struct config *own_cfg = NULL;
    struct rbac *own_rb = NULL;
    const json_t *v;
    int ep, rc = -1;

    c = yamljson_load_file(path, REPLAY_CASE_MAX, err);
    if (c == NULL)
        goto out;
    if (!json_is_object(c)) {
        err_set(err, "not a case: must be an object");
        goto out;
    }
    v = json_object_get(c, "endpoint");
    ep = json_is_string(v) ? review_endpoint_parse(json_string_value(v)) : -1;
    if (ep < 0) {
        err_set(err, "endpoint must be \"mutate\" or \"validate\"");
        goto out;
    }
    if ((v = json_object_get(c, "config")) != NULL) {
        if (json_is_string(v)) {
            if (replay_load_beside(path, json_string_value(v), &v_file, err) !=
                0)
                goto out;
            v = v_file;
        }
        own_cfg = config_from_json(v, &perr);
        if (own_cfg == NULL) {
            err_set(err, "config: %s", perr.msg);
            goto out;
        }
        cfg = own_cfg;
    }
    if ((v = json_object_get(c, "bindings")) != NULL) {
        if (json_is_string(v)) {
            json_decref(v_file);
            v_file = NULL;
            if (replay_load_beside(path, json_string_value(v), &v_file, err) !=
                0)
                goto out;
            v = v_file;
        }
        own_rb = rbac_new(hashkey_get());
        if (own_rb == NULL || rbac_put(own_rb, v, &perr) != 0) {
            err_set(err, "bindings: %s", perr.msg);
            goto out;
        }
        rb = own_rb;
    }
    if (!json_is_object(json_object_get(c, "answer"))) {
        err_set(err, "answer must be an object");
        goto out;
    }
    got = review_answer((enum review_endpoint)ep, json_object_get(c, "request"),
                        cfg, rb, &perr);
    if (got == NULL) {
        err_set(err, "request: %s", perr.msg);
        goto out;
    }
    want = replay_normalise(json_object_get(c, "answer"), &perr);
    have = replay_normalise(got, &perr);
    if (want == NULL || have == NULL) {
        err_set(err, "%s", perr.msg);
        goto out;
    }
    rc = json_equal(want, have);
    if (!rc)
        replay_diff(want, have, "", err);
out:
    json_decref(v_file);
    json_decref(c);
    json_decref(got);
    json_decref(want);
    json_decref(have);
    config_free(own_cfg);
    rbac_free(own_rb);
    return rc;
}
