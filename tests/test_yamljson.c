/* test_yamljson.c - YAML and JSON text to values, bounded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "yamljson.h"

static void test_yamljson_core_schema(void **state)
{
    static const struct {
        const char *yaml, *json;
    } cases[] = {
        {"a: 1", "{\"a\":1}"},
        {"a: -7", "{\"a\":-7}"},
        {"a: 1.5", "{\"a\":1.5}"},
        {"a: true\nb: False\nc: TRUE", "{\"a\":true,\"b\":false,\"c\":true}"},
        /* YAML 1.1 booleans stay strings: `off` means off */
        {"a: off\nb: yes\nc: on\nd: no", "{\"a\":\"off\",\"b\":\"yes\","
                                         "\"c\":\"on\",\"d\":\"no\"}"},
        {"a: ~\nb: null\nc:", "{\"a\":null,\"b\":null,\"c\":null}"},
        {"a: \"1\"\nb: 'true'", "{\"a\":\"1\",\"b\":\"true\"}"},
        {"a: [x, y]\nb: {c: d}", "{\"a\":[\"x\",\"y\"],\"b\":{\"c\":\"d\"}}"},
        {"- a\n- b", "[\"a\",\"b\"]"},
        {"a: &x [1]\nb: *x", "{\"a\":[1],\"b\":[1]}"},
        {"a: 1\n---\nb: 2", "{\"apiVersion\":\"v1\",\"kind\":\"List\","
                            "\"items\":[{\"a\":1},{\"b\":2}]}"},
        {"", "null"},
        {"{\"a\": [1, 2.5, \"x\"]}", "{\"a\":[1,2.5,\"x\"]}"},
        {"  [1]", "[1]"},
        {"a: 1e3", "{\"a\":1000.0}"},
        {"a: 1.2.3", "{\"a\":\"1.2.3\"}"},
        {"a: 99999999999999999999", "{\"a\":1e20}"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct err err = {{0}};
        json_t *got =
            yamljson_parse(cases[i].yaml, strlen(cases[i].yaml), &err);
        json_t *want = json_loads(cases[i].json, JSON_DECODE_ANY, NULL);
        char *text =
            got ? json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

        if (got == NULL || !json_equal(got, want))
            fail_msg("%s: want %s, got %s (%s)", cases[i].yaml, cases[i].json,
                     text ? text : "NULL", err.msg);
        free(text);
        json_decref(got);
        json_decref(want);
    }
}

static void test_yamljson_errors(void **state)
{
    static const struct {
        const char *text, *msg_part;
    } cases[] = {
        {"a: [1, 2", "line 2"},
        {"{\"a\": }", "line 1"},
        {"a: *nope", "line 1"},
        {"? [a, b]\n: c", "mapping keys must be strings"},
        {"a: \xff", "line 1"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct err err = {{0}};

        assert_null(yamljson_parse(cases[i].text, strlen(cases[i].text), &err));
        if (strstr(err.msg, cases[i].msg_part) == NULL)
            fail_msg("%s: error %s lacks %s", cases[i].text, err.msg,
                     cases[i].msg_part);
    }
}

/* A few lines of aliases must not expand into gigabytes. */
static void test_yamljson_billion_laughs(void **state)
{
    char doc[4096];
    size_t len = 0;
    struct err err = {{0}};
    int i;

    (void)state;
    len += (size_t)snprintf(doc + len, sizeof(doc) - len,
                            "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for (i = 1; i < 12; i++)
        len += (size_t)snprintf(doc + len, sizeof(doc) - len,
                                "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, "
                                "*a%d, *a%d, *a%d, *a%d, *a%d]\n",
                                i, i, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1,
                                i - 1, i - 1, i - 1, i - 1);
    assert_null(yamljson_parse(doc, len, &err));
    assert_non_null(strstr(err.msg, "aliases expand too far"));
}

static void test_yamljson_depth_is_bounded(void **state)
{
    static char doc[6001];
    struct err err = {{0}};

    (void)state;
    /* JSON goes to jansson, which stops at a depth of 2048 */
    memset(doc, '[', 3000);
    memset(doc + 3000, ']', 3000);
    assert_null(yamljson_parse(doc, 6000, &err));
    /* YAML stops at 100 */
    memset(&err, 0, sizeof(err));
    memcpy(doc, "a: ", 3);
    memset(doc + 3, '[', 300);
    memset(doc + 303, ']', 300);
    assert_null(yamljson_parse(doc, 603, &err));
    assert_non_null(strstr(err.msg, "nested deeper than 100"));
}

static void test_yamljson_files(void **state)
{
    char path[] = "/tmp/yamljson-XXXXXX";
    int fd = mkstemp(path);
    FILE *f;
    struct err err = {{0}};
    json_t *v;

    (void)state;
    assert_true(fd >= 0);
    f = fdopen(fd, "w");
    fputs("kind: List\nitems: []\n", f);
    fclose(f);
    v = yamljson_load_file(path, 1024, &err);
    assert_non_null(v);
    assert_string_equal(json_string_value(json_object_get(v, "kind")), "List");
    json_decref(v);
    assert_null(yamljson_load_file(path, 4, &err));
    assert_non_null(strstr(err.msg, "larger than 4 bytes"));
    unlink(path);
    memset(&err, 0, sizeof(err));
    assert_null(yamljson_load_file("/nonexistent/x.yaml", 1024, &err));
    assert_string_equal(err.msg,
                        "/nonexistent/x.yaml: No such file or directory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_yamljson_core_schema),
        cmocka_unit_test(test_yamljson_errors),
        cmocka_unit_test(test_yamljson_billion_laughs),
        cmocka_unit_test(test_yamljson_depth_is_bounded),
        cmocka_unit_test(test_yamljson_files),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
