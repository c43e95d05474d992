/* yamljson.c - YAML or JSON text to jansson values, from memory or a file. */
#define _DEFAULT_SOURCE
#include "yamljson.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "jsonload.h"
#include "readfile.h"

#define YAMLJSON_DEPTH_MAX 100
/* Values made, counting each use of an alias: stops "billion laughs". */
#define YAMLJSON_NODES_MAX (8u << 20)

struct yamljson_ctx {
    yaml_document_t *doc;
    size_t nodes;
    struct err *err;
};

static int yamljson_is_int(const char *s)
{
    if (*s == '-' || *s == '+')
        s++;
    if (*s == '\0')
        return 0;
    while (*s >= '0' && *s <= '9')
        s++;
    return *s == '\0';
}

static int yamljson_is_float(const char *s)
{
    char *end;

    if (*s == '\0' || strspn(s, "+-0123456789.eE") != strlen(s) ||
        strpbrk(s, "0123456789") == NULL)
        return 0;
    errno = 0;
    strtod(s, &end);
    return *end == '\0' && errno == 0;
}

/* A plain scalar typed by the YAML 1.2 core schema. */
static json_t *yamljson_plain(const char *s, size_t n)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
    static const char *const trues[] = {"true", "True", "TRUE"};
    static const char *const falses[] = {"false", "False", "FALSE"};
    size_t i;

    for (i = 0; i < 5; i++)
        if (strcmp(s, nulls[i]) == 0)
            return json_null();
    for (i = 0; i < 3; i++) {
        if (strcmp(s, trues[i]) == 0)
            return json_true();
        if (strcmp(s, falses[i]) == 0)
            return json_false();
    }
    if (yamljson_is_int(s)) {
        char *end;
        long long v;

        errno = 0;
        v = strtoll(s, &end, 10);
        if (errno == 0 && *end == '\0')
            return json_integer(v);
    }
    if (yamljson_is_float(s))
        return json_real(strtod(s, NULL));
    return json_stringn(s, n);
}

static json_t *yamljson_node(struct yamljson_ctx *ctx, yaml_node_t *node,
                             int depth)
{
    json_t *v = NULL;

    if (node == NULL) {
        err_set(ctx->err, "bad YAML node");
        return NULL;
    }
    if (depth > YAMLJSON_DEPTH_MAX) {
        err_set(ctx->err, "line %lu: nested deeper than %d",
                (unsigned long)node->start_mark.line + 1, YAMLJSON_DEPTH_MAX);
        return NULL;
    }
    if (++ctx->nodes > YAMLJSON_NODES_MAX) {
        err_set(ctx->err, "more than %u values (aliases expand too far)",
                YAMLJSON_NODES_MAX);
        return NULL;
    }
    switch (node->type) {
    case YAML_SCALAR_NODE: {
        const char *s = (const char *)node->data.scalar.value;
        size_t n = node->data.scalar.length;
        const char *tag = (const char *)node->tag;

        if (node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
            (tag == NULL || strcmp(tag, YAML_DEFAULT_SCALAR_TAG) == 0) &&
            strlen(s) == n)
            v = yamljson_plain(s, n);
        else
            v = jsonload_string(s, n);
        if (v == NULL)
            err_set(ctx->err, "line %lu: scalar is not valid UTF-8",
                    (unsigned long)node->start_mark.line + 1);
        break;
    }
    case YAML_SEQUENCE_NODE: {
        yaml_node_item_t *it;

        v = json_array();
        for (it = node->data.sequence.items.start;
             v != NULL && it < node->data.sequence.items.top; it++) {
            json_t *item = yamljson_node(
                ctx, yaml_document_get_node(ctx->doc, *it), depth + 1);

            if (item == NULL || json_array_append_new(v, item) != 0) {
                json_decref(v);
                v = NULL;
            }
        }
        break;
    }
    case YAML_MAPPING_NODE: {
        yaml_node_pair_t *p;

        v = json_object();
        for (p = node->data.mapping.pairs.start;
             v != NULL && p < node->data.mapping.pairs.top; p++) {
            yaml_node_t *k = yaml_document_get_node(ctx->doc, p->key);
            json_t *item;

            if (k == NULL || k->type != YAML_SCALAR_NODE ||
                strlen((const char *)k->data.scalar.value) !=
                    k->data.scalar.length) {
                err_set(ctx->err, "line %lu: mapping keys must be strings",
                        (unsigned long)node->start_mark.line + 1);
                json_decref(v);
                v = NULL;
                break;
            }
            item = yamljson_node(
                ctx, yaml_document_get_node(ctx->doc, p->value), depth + 1);
            if (item == NULL ||
                json_object_set_new(v, (const char *)k->data.scalar.value,
                                    item) != 0) {
                err_set(ctx->err, "line %lu: bad mapping key",
                        (unsigned long)k->start_mark.line + 1);
                json_decref(v);
                v = NULL;
            }
        }
        break;
    }
    default:
        err_set(ctx->err, "empty YAML node");
        break;
    }
    return v;
}

static json_t *yamljson_parse_yaml(const char *buf, size_t len, struct err *err)
{
    yaml_parser_t parser;
    json_t *docs = NULL, *result = NULL;
    struct yamljson_ctx ctx = {NULL, 0, err};

    if (!yaml_parser_initialize(&parser)) {
        err_set(err, "out of memory");
        return NULL;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    docs = json_array();
    for (;;) {
        yaml_document_t doc;
        yaml_node_t *root;
        json_t *v;

        if (!yaml_parser_load(&parser, &doc)) {
            err_set(err, "line %lu: %s",
                    (unsigned long)parser.problem_mark.line + 1,
                    parser.problem != NULL ? parser.problem : "bad YAML");
            goto out;
        }
        root = yaml_document_get_root_node(&doc);
        if (root == NULL) {
            yaml_document_delete(&doc);
            break;
        }
        ctx.doc = &doc;
        v = yamljson_node(&ctx, root, 0);
        yaml_document_delete(&doc);
        if (v == NULL || json_array_append_new(docs, v) != 0)
            goto out;
    }
    if (json_array_size(docs) == 0)
        result = json_null();
    else if (json_array_size(docs) == 1)
        result = json_incref(json_array_get(docs, 0));
    else
        result = json_pack("{s:s, s:s, s:O}", "apiVersion", "v1", "kind",
                           "List", "items", docs);
out:
    json_decref(docs);
    yaml_parser_delete(&parser);
    return result;
}

json_t *yamljson_parse(const char *buf, size_t len, struct err *err)
{
    size_t i = 0;

    while (i < len && strchr(" \t\r\n", buf[i]) != NULL)
        i++;
    /* JSON is read by jansson: faster, and exact about numbers. */
    if (i < len && (buf[i] == '{' || buf[i] == '[')) {
        json_error_t jerr;
        json_t *v = jsonload_text(buf, len, &jerr);

        if (v == NULL)
            err_set(err, "line %d, column %d: %s", jerr.line, jerr.column,
                    jerr.text);
        return v;
    }
    return yamljson_parse_yaml(buf, len, err);
}

json_t *yamljson_load_file(const char *path, size_t max, struct err *err)
{
    struct err perr = {{0}};
    size_t len;
    char *buf = readfile_all(path, max, &len, err);
    json_t *v;

    if (buf == NULL)
        return NULL;
    v = yamljson_parse(buf, len, &perr);
    if (v == NULL)
        err_set(err, "%s: %s", path, perr.msg);
    free(buf);
    return v;
}
