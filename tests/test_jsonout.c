/* test_jsonout.c - jsonout_dumps gives the text json_dumps gives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jsonout.h"

static void test_jsonout_same_as_jansson(void **state)
{
    static const char *const docs[] = {
        "{}",
        "[]",
        "\"\"",
        "{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}",
        "[\"quote \\\" backslash \\\\ slash /\"]",
        "[\"\\n\\r\\t\\b\\f\\u0001\\u001f\\u007f\"]",
        "[\"\\u00e9\\u20ac\\ud83d\\ude00 utf-8 as it is\"]",
        "[-9223372036854775808, 9223372036854775807, 0, -1]",
        "[1.5, -0.25, 1e300, 3.0]",
        "{\"key with \\\"quote\\\"\":\"v\",\"k\":\"a\\u0000b\"}",
        "[[[[[[[[[[\"deep\"]]]]]]]]]]",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        json_error_t jerr;
        json_t *v =
            json_loads(docs[i], JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
        char *want, *got;
        size_t len;

        if (v == NULL)
            fail_msg("%s: %s", docs[i], jerr.text);
        want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY |
                                 JSON_REAL_PRECISION(17));
        got = jsonout_dumps(v, &len);
        assert_non_null(got);
        assert_int_equal(len, strlen(got));
        /* jansson writes \u escapes in lower case; both are JSON */
        if (strcasecmp(want, got) != 0)
            fail_msg("%s:\n  jansson %s\n  jsonout %s", docs[i], want, got);
        free(want);
        free(got);
        json_decref(v);
    }
}

/* Strings are scanned eight bytes at a time: each byte that needs an escape,
 * at each offset of the word and across words, among plain ASCII and UTF-8
 * bytes, is escaped as jansson escapes it. */
static void test_jsonout_escape_every_offset(void **state)
{
    static const char plain[] = "abcdefghij\xc3\xa9klmnopqrstuvwx";
    unsigned c;
    size_t at, n = sizeof(plain) - 1;

    (void)state;
    for (c = 0; c < 256; c++) {
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        for (at = 0; at < n; at++) {
            char buf[sizeof(plain)];
            json_t *v;
            char *want, *got;
            size_t len;

            if (at == 10 || at == 11) /* keep the UTF-8 pair whole */
                continue;
            memcpy(buf, plain, n);
            buf[at] = (char)c;
            v = json_stringn(buf, n);
            assert_non_null(v);
            want = json_dumps(v, JSON_ENCODE_ANY);
            got = jsonout_dumps(v, &len);
            assert_non_null(got);
            if (strcasecmp(want, got) != 0)
                fail_msg("byte 0x%02x at %zu:\n  jansson %s\n  jsonout %s", c,
                         at, want, got);
            free(want);
            free(got);
            json_decref(v);
        }
    }
}

static void test_jsonout_round_trips(void **state)
{
    json_t *v = json_pack("{s:s, s:{s:b, s:i}, s:[s, s]}", "apiVersion",
                          "admission.k8s.io/v1", "response", "allowed", 1,
                          "code", 403, "warnings", "a\"b", "\xc3\xa9");
    json_t *back;
    size_t len;
    char *text = jsonout_dumps(v, &len);

    (void)state;
    back = json_loadb(text, len, 0, NULL);
    assert_non_null(back);
    assert_true(json_equal(v, back));
    free(text);
    json_decref(back);
    json_decref(v);
}

static void test_jsonout_depth_bound(void **state)
{
    json_t *v = json_array(), *cur = v;
    size_t len;
    int i;

    (void)state;
    for (i = 0; i < 100; i++) {
        json_t *inner = json_array();

        json_array_append_new(cur, inner);
        cur = inner;
    }
    assert_null(jsonout_dumps(v, &len));
    json_decref(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jsonout_same_as_jansson),
        cmocka_unit_test(test_jsonout_escape_every_offset),
        cmocka_unit_test(test_jsonout_round_trips),
        cmocka_unit_test(test_jsonout_depth_bound),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
