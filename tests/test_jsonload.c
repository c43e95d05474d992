/* test_jsonload.c - JSON text whose strings hold \u0000, read without NUL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "jsonload.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Each text parses to the same value as want (written without NUL). */
static void test_jsonload_nul_escapes(void **state)
{
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"\"plain\"", "\"plain\""},
        {"\"a\\u0000b\"", "\"a\\\\u0000b\""},
        {"\"\\u0000\"", "\"\\\\u0000\""},
        {"\"\\u0000\\u0000\"", "\"\\\\u0000\\\\u0000\""},
        /* an escaped backslash then u0000: no NUL, left as it is */
        {"\"\\\\u0000\"", "\"\\\\u0000\""},
        /* three backslashes: an escaped one, then the NUL escape */
        {"\"\\\\\\u0000\"", "\"\\\\\\\\u0000\""},
        /* other escapes that start like it */
        {"\"\\u00001\"", "\"\\\\u00001\""},
        {"\"\\u0001\"", "\"\\u0001\""},
        {"\"\\u00e9\\u0000\"", "\"\\u00e9\\\\u0000\""},
        /* keys, which jansson refuses even with JSON_ALLOW_NUL */
        {"{\"k\\u0000\":\"v\\u0000\"}", "{\"k\\\\u0000\":\"v\\\\u0000\"}"},
        {"{\"image\\u0000\":1,\"image\":2}",
         "{\"image\\\\u0000\":1,\"image\":2}"},
        {"[\"x\",{\"a\":[\"\\u0000\"]}]", "[\"x\",{\"a\":[\"\\\\u0000\"]}]"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < N(cases); i++) {
        char text[128], want_text[128];
        json_error_t jerr;
        json_t *got, *want;

        /* Wrapped in [ ]: the top level is an object or an array. */
        snprintf(text, sizeof(text), "[%s]", cases[i].text);
        snprintf(want_text, sizeof(want_text), "[%s]", cases[i].want);
        got = jsonload_text(text, strlen(text), &jerr);
        want = json_loads(want_text, 0, NULL);

        if (got == NULL || want == NULL || !json_equal(got, want))
            fail_msg("case %zu %s: %s", i, cases[i].text,
                     got == NULL ? jerr.text : "not the value wanted");
        json_decref(got);
        json_decref(want);
    }
}

/* What is not JSON stays an error, with jansson's message. */
static void test_jsonload_errors(void **state)
{
    static const char *const bad[] = {
        "",
        "{",
        "[\"\\u0000",           /* unterminated after the escape */
        "{\"a\\u0000\"}",       /* a key without a value */
        "[\\u0000]",            /* the escape outside a string */
        "[\"\\u000\"]",         /* a short escape */
        "[\"a\\u0000\"] x",     /* text after the value */
        "[\"\\uD800\\u0000\"]", /* a lone surrogate before it */
        "[\"\\u0000\\x\"]",     /* a bad escape after it */
        "\"a top-level string\"",
    };
    size_t i;

    (void)state;
    for (i = 0; i < N(bad); i++) {
        json_error_t jerr;
        json_t *v = jsonload_text(bad[i], strlen(bad[i]), &jerr);

        if (v != NULL)
            fail_msg("case %zu %s: parsed", i, bad[i]);
        assert_true(jerr.text[0] != '\0');
    }
    /* A NULL jerr is fine. */
    assert_null(jsonload_text("{", 1, NULL));
}

/* Byte strings (from YAML) are written the same way. */
static void test_jsonload_string(void **state)
{
    static const struct {
        const char *s;
        size_t n;
        const char *want; /* NULL: not UTF-8 */
    } cases[] = {
        {"abc", 3, "abc"},    {"a\0b", 3, "a\\u0000b"},
        {"\0", 1, "\\u0000"}, {"\0\0", 2, "\\u0000\\u0000"},
        {"", 0, ""},          {"\xff\0", 2, NULL},
    };
    size_t i;

    (void)state;
    for (i = 0; i < N(cases); i++) {
        json_t *v = jsonload_string(cases[i].s, cases[i].n);

        if (cases[i].want == NULL) {
            assert_null(v);
            continue;
        }
        assert_non_null(v);
        assert_int_equal(json_string_length(v), strlen(cases[i].want));
        assert_string_equal(json_string_value(v), cases[i].want);
        json_decref(v);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jsonload_nul_escapes),
        cmocka_unit_test(test_jsonload_errors),
        cmocka_unit_test(test_jsonload_string),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
