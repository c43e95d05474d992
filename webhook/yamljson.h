/* yamljson.h - YAML or JSON text to jansson values, and files to text. */
#ifndef WEBHOOK_YAMLJSON_H
#define WEBHOOK_YAMLJSON_H

#include <stddef.h>

#include <jansson.h>

#include "err.h"

/*
 * Decode YAML (1.2 core schema: unquoted true/false, null, ~ and numbers are
 * typed, everything else, `off` included, is a string) or JSON text. Several
 * YAML documents ("---") come back as {"kind": "List", "items": [...]}.
 * Returns a new reference, or NULL with err set (with the line). Aliases
 * and depth are bounded so a small file cannot expand without limit.
 */
json_t *yamljson_parse(const char *buf, size_t len, struct err *err);

/*
 * Read the whole file path (a pipe or /dev/stdin too) into a new
 * NUL-terminated buffer (caller frees), at most max bytes; *len gets the
 * size. NULL with err naming the file; errno is then ENOENT when the file
 * does not exist, 0 for other failures after it was opened.
 */
char *yamljson_read_file(const char *path, size_t max, size_t *len,
                         struct err *err);

/* yamljson_read_file then yamljson_parse; errors name the file. */
json_t *yamljson_load_file(const char *path, size_t max, struct err *err);

#endif
