/* fuzz_bindings.c - the bindings loader (YAML or JSON RBAC objects) on
 * arbitrary bytes, then a few decisions against what it loaded. */
#include <stdint.h>
#include <stdlib.h>

#include "rbac.h"
#include "yamljson.h"

/* A fixed key for the index: the process draws a random one. */
static const struct siphash_key test_key = {0x0123456789abcdefULL,
                                            0xfedcba9876543210ULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct err err = {{0}};
    json_t *root = yamljson_parse((const char *)data, size, &err);
    struct rbac *rb;

    if (root == NULL)
        return 0;
    rb = rbac_new(&test_key);
    if (rb == NULL)
        abort();
    if (rbac_put(rb, root, &err) != 0 && err.msg[0] == '\0')
        abort();
    rbac_may_pull(rb, "project-a", "default", "project-b", "app");
    rbac_may_pull(rb, "project-a", "builder", "openshift", "ruby");
    rbac_service_account_pull_secrets(rb, "project-a", "default");
    rbac_delete(rb, "RoleBinding", "project-b", "p");
    rbac_may_pull(rb, "project-a", "default", "project-b", "app");
    rbac_free(rb);
    json_decref(root);
    return 0;
}
