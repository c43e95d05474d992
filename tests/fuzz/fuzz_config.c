/* fuzz_config.c - the config loader (YAML or JSON text) on arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>

#include "config.h"
#include "yamljson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct err err = {{0}};
    json_t *root = yamljson_parse((const char *)data, size, &err);
    struct config *cfg;

    if (root == NULL) {
        if (err.msg[0] == '\0')
            abort();
        return 0;
    }
    cfg = config_from_json(root, &err);
    if (cfg == NULL && err.msg[0] == '\0')
        abort();
    if (cfg != NULL)
        config_namespace_exempt(cfg, "kube-system");
    config_free(cfg);
    json_decref(root);
    return 0;
}
