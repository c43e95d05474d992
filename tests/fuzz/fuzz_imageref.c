/* fuzz_imageref.c - the image reference parser on arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imageref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    struct imageref ref;
    struct err err = {{0}};
    const char *policy;

    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    if (imageref_parse(s, &ref, &err) == 0) {
        /* what parsed is bounded (the domain may be empty: Go's Parse
         * gives "a_b.com/x" an empty domain and the whole path) */
        if (strlen(ref.path) > 255 || strlen(ref.tag) > 128 ||
            ref.path[0] == '\0')
            abort();
    } else if (err.msg[0] == '\0') {
        abort(); /* every failure says why */
    }
    policy = imageref_default_pull_policy(s);
    if (strcmp(policy, "Always") != 0 && strcmp(policy, "IfNotPresent") != 0)
        abort();
    free(s);
    return 0;
}
