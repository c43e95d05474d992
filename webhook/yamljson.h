/* yamljson.h - YAML or JSON text to jansson values, from memory or a file. */
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
 * readfile_all then yamljson_parse: a new reference, or NULL with err set
 * (naming the file).
 */
json_t *yamljson_load_file(const char *path, size_t max, struct err *err);

#endif
