/* jsonout.c - compact JSON text of a jansson value, written fast. */
#include "jsonout.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSONOUT_DEPTH_MAX 64

void jsonout_raw(struct jsonout *o, const char *p, size_t n)
{
    if (o->failed)
        return;
    if (o->len + n + 1 > o->cap) {
        size_t cap = o->cap != 0 ? o->cap : 1024;
        char *s;

        while (cap < o->len + n + 1)
            cap *= 2;
        s = realloc(o->s, cap);
        if (s == NULL) {
            o->failed = 1;
            return;
        }
        o->s = s;
        o->cap = cap;
    }
    memcpy(o->s + o->len, p, n);
    o->len += n;
    o->s[o->len] = '\0';
}

void jsonout_free(struct jsonout *o)
{
    free(o->s);
    memset(o, 0, sizeof(*o));
}

/* Whether byte c must be escaped in a JSON string. */
static int jsonout_special(unsigned char c)
{
    return c < 0x20 || c == '"' || c == '\\';
}

/*
 * Where the run of bytes that need no escape from s[i] on ends. Eight at a
 * time while no byte of the word is below 0x20, '"' or '\\' (the usual
 * "has a byte less than" and "has a zero byte" word tests, which never miss
 * one), then byte by byte: a base64 patch of a few KiB is one run.
 */
static size_t jsonout_plain(const char *s, size_t i, size_t n)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;

    for (; n - i >= 8; i += 8) {
        uint64_t w, q, b;

        memcpy(&w, s + i, 8);
        q = w ^ (ones * '"');
        b = w ^ (ones * '\\');
        if ((((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((b - ones) & ~b)) &
            highs)
            break;
    }
    while (i < n && !jsonout_special((unsigned char)s[i]))
        i++;
    return i;
}

void jsonout_str(struct jsonout *o, const char *s, size_t n)
{
    size_t i = 0, run;

    jsonout_raw(o, "\"", 1);
    while (i < n) {
        run = jsonout_plain(s, i, n);
        jsonout_raw(o, s + i, run - i);
        if (run == n)
            break;
        {
            unsigned char c = (unsigned char)s[run];
            char esc[8];

            switch (c) {
            case '"':
                jsonout_raw(o, "\\\"", 2);
                break;
            case '\\':
                jsonout_raw(o, "\\\\", 2);
                break;
            case '\n':
                jsonout_raw(o, "\\n", 2);
                break;
            case '\r':
                jsonout_raw(o, "\\r", 2);
                break;
            case '\t':
                jsonout_raw(o, "\\t", 2);
                break;
            case '\b':
                jsonout_raw(o, "\\b", 2);
                break;
            case '\f':
                jsonout_raw(o, "\\f", 2);
                break;
            default:
                snprintf(esc, sizeof(esc), "\\u%04X", c);
                jsonout_raw(o, esc, 6);
            }
        }
        i = run + 1;
    }
    jsonout_raw(o, "\"", 1);
}

static void jsonout_value(struct jsonout *o, const json_t *v, int depth)
{
    char num[64];
    int n;

    if (depth > JSONOUT_DEPTH_MAX) {
        o->failed = 1;
        return;
    }
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *key;
        json_t *item;
        int first = 1;

        jsonout_raw(o, "{", 1);
        json_object_foreach((json_t *)v, key, item)
        {
            if (!first)
                jsonout_raw(o, ",", 1);
            first = 0;
            jsonout_str(o, key, strlen(key));
            jsonout_raw(o, ":", 1);
            jsonout_value(o, item, depth + 1);
        }
        jsonout_raw(o, "}", 1);
        break;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *item;

        jsonout_raw(o, "[", 1);
        json_array_foreach(v, i, item)
        {
            if (i > 0)
                jsonout_raw(o, ",", 1);
            jsonout_value(o, item, depth + 1);
        }
        jsonout_raw(o, "]", 1);
        break;
    }
    case JSON_STRING:
        jsonout_str(o, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        n = snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
                     json_integer_value(v));
        jsonout_raw(o, num, (size_t)n);
        break;
    case JSON_REAL:
        /* jansson's own form: shortest round trip, always a real. Into
         * num, not json_dumps: its text is the allocator's to free. */
        n = (int)json_dumpb(v, num, sizeof(num),
                            JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
        if (n <= 0 || (size_t)n > sizeof(num)) {
            o->failed = 1;
            return;
        }
        jsonout_raw(o, num, (size_t)n);
        break;
    case JSON_TRUE:
        jsonout_raw(o, "true", 4);
        break;
    case JSON_FALSE:
        jsonout_raw(o, "false", 5);
        break;
    case JSON_NULL:
        jsonout_raw(o, "null", 4);
        break;
    }
}

char *jsonout_dumps(const json_t *v, size_t *len)
{
    struct jsonout o = {NULL, 0, 0, 0};

    if (v == NULL)
        return NULL;
    jsonout_value(&o, v, 0);
    if (!o.failed)
        jsonout_raw(&o, "", 0);
    if (o.failed) {
        free(o.s);
        return NULL;
    }
    o.s[o.len] = '\0';
    *len = o.len;
    return o.s;
}
