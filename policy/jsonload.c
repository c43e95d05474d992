/* jsonload.c - JSON text in, jansson values whose strings hold no NUL. */
#include "jsonload.h"

#include <stdlib.h>
#include <string.h>

/* How the NUL escape is read: its own six characters, escaped for JSON. */
#define JSONLOAD_NUL_TEXT "\\u0000"
#define JSONLOAD_NUL_JSON "\\\\u0000"

/*
 * A copy of text (len bytes, *out_len) in which every \u0000 escape is
 * written as an escaped backslash followed by u0000. Escapes are found by
 * walking backslash pairs, so "\\u0000" (a backslash, then u0000) stays.
 * Outside strings a backslash is a syntax error either way. NULL on ENOMEM.
 */
static char *jsonload_unnul(const char *text, size_t len, size_t *out_len)
{
    size_t i, n = 0, extra = 0;
    char *out;

    for (i = 0; i + 1 < len; i++) {
        if (text[i] != '\\')
            continue;
        if (len - i >= 6 && memcmp(text + i + 1, "u0000", 5) == 0)
            extra++;
        i++; /* the escaped character is never an escape itself */
    }
    out = malloc(len + extra + 1);
    if (out == NULL)
        return NULL;
    for (i = 0; i < len; i++) {
        if (text[i] == '\\' && len - i >= 6 &&
            memcmp(text + i + 1, "u0000", 5) == 0) {
            memcpy(out + n, JSONLOAD_NUL_JSON, sizeof(JSONLOAD_NUL_JSON) - 1);
            n += sizeof(JSONLOAD_NUL_JSON) - 1;
            i += 5;
            continue;
        }
        out[n++] = text[i];
        if (text[i] == '\\' && i + 1 < len)
            out[n++] = text[++i];
    }
    out[n] = '\0';
    *out_len = n;
    return out;
}

json_t *jsonload_text(const char *text, size_t len, json_error_t *jerr)
{
    json_error_t local;
    json_t *v;
    char *copy;
    size_t n;

    if (jerr == NULL)
        jerr = &local;
    v = json_loadb(text, len, 0, jerr);
    if (v != NULL || (json_error_code(jerr) != json_error_null_character &&
                      json_error_code(jerr) != json_error_null_byte_in_key))
        return v;
    copy = jsonload_unnul(text, len, &n);
    if (copy == NULL)
        return NULL;
    v = json_loadb(copy, n, 0, jerr);
    free(copy);
    return v;
}

json_t *jsonload_string(const char *s, size_t n)
{
    const char *nul = memchr(s, '\0', n);
    size_t i, o = 0, count = 0;
    json_t *v;
    char *buf;

    if (nul == NULL)
        return json_stringn(s, n);
    for (i = (size_t)(nul - s); i < n; i++)
        count += s[i] == '\0';
    buf = malloc(n + count * (sizeof(JSONLOAD_NUL_TEXT) - 2) + 1);
    if (buf == NULL)
        return NULL;
    for (i = 0; i < n; i++) {
        if (s[i] != '\0') {
            buf[o++] = s[i];
            continue;
        }
        memcpy(buf + o, JSONLOAD_NUL_TEXT, sizeof(JSONLOAD_NUL_TEXT) - 1);
        o += sizeof(JSONLOAD_NUL_TEXT) - 1;
    }
    v = json_stringn(buf, o);
    free(buf);
    return v;
}
