/* jsonpatch.c - JSON Patch (RFC 6902) builder with JSON Pointer (RFC 6901). */
#include "jsonpatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int jsonpatch_ptr_set(struct jsonpatch_ptr *p, const char *s, struct err *err)
{
    size_t n = strlen(s);

    if (n >= sizeof(p->buf))
        return err_set(err, "JSON pointer too long");
    if (n > 0 && s[0] != '/')
        return err_set(err, "JSON pointer must start with '/': %s", s);
    memcpy(p->buf, s, n + 1);
    p->len = n;
    return 0;
}

int jsonpatch_ptr_push(struct jsonpatch_ptr *p, const char *seg,
                       struct err *err)
{
    size_t len = p->len;
    const char *c;

    if (len + 1 >= sizeof(p->buf))
        goto toolong;
    p->buf[len++] = '/';
    for (c = seg; *c != '\0'; c++) {
        const char *esc = *c == '~' ? "~0" : *c == '/' ? "~1" : NULL;
        size_t need = esc != NULL ? 2 : 1;

        if (len + need >= sizeof(p->buf))
            goto toolong;
        if (esc != NULL) {
            memcpy(p->buf + len, esc, 2);
        } else {
            p->buf[len] = *c;
        }
        len += need;
    }
    p->buf[len] = '\0';
    p->len = len;
    return 0;
toolong:
    p->buf[p->len] = '\0';
    return err_set(err, "JSON pointer too long");
}

int jsonpatch_ptr_push_index(struct jsonpatch_ptr *p, size_t i, struct err *err)
{
    char num[32];

    snprintf(num, sizeof(num), "%zu", i);
    return jsonpatch_ptr_push(p, num, err);
}

void jsonpatch_ptr_truncate(struct jsonpatch_ptr *p, size_t len)
{
    if (len < p->len) {
        p->len = len;
        p->buf[len] = '\0';
    }
}

/* The text so far: as long as the object it patches, not a message's cap
 * (p starts zeroed). */
static struct strbuf *jsonpatch_out(struct jsonpatch *p)
{
    p->out.max = STRBUF_NOMAX;
    return &p->out;
}

int jsonpatch_add(struct jsonpatch *p, const char *op, const char *path,
                  const char *value, struct err *err)
{
    struct strbuf *o = jsonpatch_out(p);

    strbuf_add(o, p->ops == 0 ? "[{\"op\":" : ",{\"op\":", 7);
    jsonout_str(o, op, strlen(op));
    strbuf_add(o, ",\"path\":", 8);
    jsonout_str(o, path, strlen(path));
    if (value != NULL) {
        strbuf_add(o, ",\"value\":", 9);
        jsonout_str(o, value, strlen(value));
    }
    strbuf_add(o, "}", 1);
    if (o->failed)
        return err_set(err, "out of memory");
    p->ops++;
    return 0;
}

const char *jsonpatch_text(struct jsonpatch *p, size_t *len)
{
    strbuf_add(jsonpatch_out(p), p->ops == 0 ? "[]" : "]", p->ops == 0 ? 2 : 1);
    if (p->out.failed)
        return NULL;
    *len = p->out.len;
    return p->out.p;
}

void jsonpatch_free(struct jsonpatch *p)
{
    strbuf_free(&p->out);
    p->ops = 0;
}

/* Decode one pointer segment [s, s+n) into out; -1 on a bad escape. */
static int jsonpatch_unescape(const char *s, size_t n, char *out, size_t size)
{
    size_t i, j = 0;

    for (i = 0; i < n; i++) {
        char c = s[i];

        if (c == '~') {
            if (i + 1 >= n || (s[i + 1] != '0' && s[i + 1] != '1'))
                return -1;
            c = s[++i] == '0' ? '~' : '/';
        }
        if (j + 1 >= size)
            return -1;
        out[j++] = c;
    }
    out[j] = '\0';
    return 0;
}

/* Parse an array index segment: "0" or [1-9][0-9]*, or "-" as SIZE_MAX. */
static int jsonpatch_index(const char *seg, size_t *out)
{
    char *end;
    unsigned long long v;

    if (strcmp(seg, "-") == 0) {
        *out = (size_t)-1;
        return 0;
    }
    if (seg[0] < '0' || seg[0] > '9' || (seg[0] == '0' && seg[1] != '\0'))
        return -1;
    v = strtoull(seg, &end, 10);
    if (*end != '\0')
        return -1;
    *out = (size_t)v;
    return 0;
}

static int jsonpatch_apply_one(json_t *doc, const char *op, const char *path,
                               json_t *value, struct err *err)
{
    json_t *parent = doc;
    const char *seg = path, *next;
    char key[1024];
    size_t idx;

    if (path[0] != '/')
        return err_set(err, "%s %s: path must start with '/'", op, path);
    for (;;) {
        seg++;
        next = strchr(seg, '/');
        if (jsonpatch_unescape(seg, next ? (size_t)(next - seg) : strlen(seg),
                               key, sizeof(key)) != 0)
            return err_set(err, "%s %s: bad pointer", op, path);
        if (next == NULL)
            break;
        if (json_is_object(parent)) {
            parent = json_object_get(parent, key);
        } else if (json_is_array(parent) && jsonpatch_index(key, &idx) == 0) {
            parent = json_array_get(parent, idx);
        } else {
            parent = NULL;
        }
        if (parent == NULL)
            return err_set(err, "%s %s: path does not exist", op, path);
        seg = next;
    }
    if (json_is_object(parent)) {
        int exists = json_object_get(parent, key) != NULL;

        if (strcmp(op, "remove") == 0 || strcmp(op, "replace") == 0) {
            if (!exists)
                return err_set(err, "%s %s: no such member", op, path);
            if (strcmp(op, "remove") == 0)
                return json_object_del(parent, key);
        }
        return json_object_set(parent, key, value);
    }
    if (json_is_array(parent) && jsonpatch_index(key, &idx) == 0) {
        size_t n = json_array_size(parent);

        if (strcmp(op, "add") == 0) {
            if (idx == (size_t)-1)
                return json_array_append(parent, value);
            if (idx > n)
                return err_set(err, "%s %s: index out of range", op, path);
            return json_array_insert(parent, idx, value);
        }
        if (idx >= n)
            return err_set(err, "%s %s: index out of range", op, path);
        if (strcmp(op, "remove") == 0)
            return json_array_remove(parent, idx);
        return json_array_set(parent, idx, value);
    }
    return err_set(err, "%s %s: parent is not a container", op, path);
}

int jsonpatch_apply(json_t *doc, const json_t *patch, struct err *err)
{
    size_t i;
    json_t *o;

    if (!json_is_array(patch))
        return err_set(err, "patch is not an array");
    json_array_foreach(patch, i, o)
    {
        const char *op = json_string_value(json_object_get(o, "op"));
        const char *path = json_string_value(json_object_get(o, "path"));
        json_t *value = json_object_get(o, "value");

        if (op == NULL || path == NULL)
            return err_set(err, "operation %zu: op and path must be strings",
                           i);
        if (strcmp(op, "add") != 0 && strcmp(op, "replace") != 0 &&
            strcmp(op, "remove") != 0)
            return err_set(err, "operation %zu: unsupported op %s", i, op);
        if (strcmp(op, "remove") != 0 && value == NULL)
            return err_set(err, "operation %zu: %s needs a value", i, op);
        if (jsonpatch_apply_one(doc, op, path, value, err) != 0)
            return err_set(err, "operation %zu failed", i);
    }
    return 0;
}
