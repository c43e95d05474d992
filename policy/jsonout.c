/* jsonout.c - compact JSON text of a jansson value, written fast. */
#include "jsonout.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSONOUT_DEPTH_MAX 64

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

void jsonout_str(struct strbuf *o, const char *s, size_t n)
{
    size_t i = 0, run;

    strbuf_add(o, "\"", 1);
    while (i < n) {
        run = jsonout_plain(s, i, n);
        strbuf_add(o, s + i, run - i);
        if (run == n)
            break;
        {
            unsigned char c = (unsigned char)s[run];
            char esc[8];

            switch (c) {
            case '"':
                strbuf_add(o, "\\\"", 2);
                break;
            case '\\':
                strbuf_add(o, "\\\\", 2);
                break;
            case '\n':
                strbuf_add(o, "\\n", 2);
                break;
            case '\r':
                strbuf_add(o, "\\r", 2);
                break;
            case '\t':
                strbuf_add(o, "\\t", 2);
                break;
            case '\b':
                strbuf_add(o, "\\b", 2);
                break;
            case '\f':
                strbuf_add(o, "\\f", 2);
                break;
            default:
                snprintf(esc, sizeof(esc), "\\u%04X", c);
                strbuf_add(o, esc, 6);
            }
        }
        i = run + 1;
    }
    strbuf_add(o, "\"", 1);
}

static void jsonout_value(struct strbuf *o, const json_t *v, int depth)
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

        strbuf_add(o, "{", 1);
        json_object_foreach((json_t *)v, key, item)
        {
            if (!first)
                strbuf_add(o, ",", 1);
            first = 0;
            jsonout_str(o, key, strlen(key));
            strbuf_add(o, ":", 1);
            jsonout_value(o, item, depth + 1);
        }
        strbuf_add(o, "}", 1);
        break;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *item;

        strbuf_add(o, "[", 1);
        json_array_foreach(v, i, item)
        {
            if (i > 0)
                strbuf_add(o, ",", 1);
            jsonout_value(o, item, depth + 1);
        }
        strbuf_add(o, "]", 1);
        break;
    }
    case JSON_STRING:
        jsonout_str(o, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        n = snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
                     json_integer_value(v));
        strbuf_add(o, num, (size_t)n);
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
        strbuf_add(o, num, (size_t)n);
        break;
    case JSON_TRUE:
        strbuf_add(o, "true", 4);
        break;
    case JSON_FALSE:
        strbuf_add(o, "false", 5);
        break;
    case JSON_NULL:
        strbuf_add(o, "null", 4);
        break;
    }
}

char *jsonout_dumps(const json_t *v, size_t *len)
{
    struct strbuf o = {.max = STRBUF_NOMAX};

    if (v == NULL)
        return NULL;
    jsonout_value(&o, v, 0);
    if (!o.failed)
        strbuf_add(&o, "", 0);
    if (o.failed) {
        strbuf_free(&o);
        return NULL;
    }
    *len = o.len;
    return o.p;
}
