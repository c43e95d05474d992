/* fuzz_audit.c - audit on arbitrary bytes read as a YAML or JSON dump: every
 * object reviewed as a CREATE, folded, and written in every format. The
 * first byte picks the config's switches and whether there is an index. */
#include <stdint.h>
#include <stdlib.h>

#include "audit.h"
#include "jsonout.h"
#include "yamljson.h"

/* A fixed key for the index: the process draws a random one. */
static const struct siphash_key test_key = {0x0123456789abcdefULL,
                                            0xfedcba9876543210ULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct rbac *rb;
    struct audit_summary sum;
    struct config *cfg;
    struct audit *a;
    json_t *doc, *items, *item, *out;
    char *text;
    size_t i, len;
    unsigned sel;

    if (size < 1)
        return 0;
    if (rb == NULL && (rb = rbac_new(&test_key)) == NULL)
        abort();
    sel = data[0];
    doc = yamljson_parse((const char *)data + 1, size - 1, NULL);
    cfg = config_new_default();
    a = audit_new();
    if (doc == NULL || cfg == NULL || a == NULL)
        goto out;
    cfg->warn_latest = sel & 1;
    cfg->cross_project = (enum config_action)((sel >> 1) % 3);
    cfg->pull_secrets = (enum config_action)((sel >> 3) % 3);
    items = json_object_get(doc, "items");
    if (json_is_array(items)) {
        json_array_foreach(items, i, item)
            audit_object(a, item, cfg, sel & 0x80 ? rb : NULL, NULL);
    } else {
        audit_object(a, doc, cfg, sel & 0x80 ? rb : NULL, NULL);
    }
    audit_finish(a, &sum);
    free(audit_table(a, &sum));
    out = audit_findings(a);
    text = out != NULL ? jsonout_dumps(out, &len) : NULL;
    free(text);
    json_decref(out);
    json_decref(audit_policy_reports(a, 0));
out:
    audit_free(a);
    config_free(cfg);
    json_decref(doc);
    return 0;
}
