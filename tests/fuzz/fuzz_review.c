/* fuzz_review.c - the review function on arbitrary bytes, both endpoints,
 * with a small RBAC index. The first byte picks endpoint and mode. As in
 * the server, the request's JSON comes from a jsonarena, poisoned when the
 * input is done and with a poisoned gap after each value. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonarena.h"
#include "jsonout.h"
#include "review.h"

/* A fixed key for the index: the process draws a random one. */
static const struct siphash_key test_key = {0x0123456789abcdefULL,
                                            0xfedcba9876543210ULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fuzz_bindings[] =
    "{\"kind\":\"List\",\"items\":[{\"kind\":\"RoleBinding\",\"apiVersion\":"
    "\"rbac.authorization.k8s.io/v1\",\"metadata\":{\"name\":\"p\","
    "\"namespace\":\"project-b\"},\"roleRef\":{\"kind\":\"ClusterRole\","
    "\"name\":\"system:image-puller\"},\"subjects\":[{\"kind\":"
    "\"ServiceAccount\",\"name\":\"default\",\"namespace\":\"project-a\"}]},"
    "{\"kind\":\"ServiceAccount\",\"apiVersion\":\"v1\",\"metadata\":{"
    "\"name\":\"builder\",\"namespace\":\"project-a\"},\"imagePullSecrets\":"
    "[{\"name\":\"q\"}]}]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct rbac *rb;
    struct config *cfg;
    json_t *req, *ans;
    struct err err = {{0}};
    unsigned sel;

    if (size < 1)
        return 0;
    if (rb == NULL) {
        json_t *b = json_loads(fuzz_bindings, 0, NULL);

        rb = rbac_new(&test_key);
        if (b == NULL || rb == NULL || rbac_put(rb, b, NULL) != 0 ||
            jsonarena_init(1, (size_t)1 << 20, NULL) != 0)
            abort();
        json_decref(b);
    }
    sel = data[0];
    cfg = config_new_default();
    if (cfg == NULL)
        return 0;
    cfg->pull_mode = (enum config_pull_mode)(sel % 3);
    cfg->cross_project = (enum config_action)((sel >> 2) % 3);
    cfg->invalid_refs = (enum config_action)((sel >> 4) % 3);
    cfg->warn_latest = (sel >> 6) & 1;
    jsonarena_begin();
    req = review_parse((const char *)data + 1, size - 1, &err);
    if (req != NULL) {
        ans = review_answer(sel & 0x80 ? REVIEW_VALIDATE : REVIEW_MUTATE, req,
                            cfg, (sel & 0x40) ? rb : NULL, &err);
        if (ans == NULL && err.msg[0] == '\0')
            abort();
        if (ans != NULL) {
            size_t len;
            char *text = jsonout_dumps(ans, &len);
            json_t *back = text != NULL ? json_loadb(text, len, 0, NULL) : NULL;

            /* every answer serialises, and reads back as itself */
            if (back == NULL || !json_equal(back, ans))
                abort();
            json_decref(back);
            free(text);
        }
        json_decref(ans);
    }
    json_decref(req);
    jsonarena_end();
    config_free(cfg);
    return 0;
}
