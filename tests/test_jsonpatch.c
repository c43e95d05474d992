/* test_jsonpatch.c - JSON Pointer escaping, patch building and applying. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "jsonpatch.h"

static void test_jsonpatch_pointer_escapes(void **state)
{
    static const struct {
        const char *seg, *want;
    } cases[] = {
        {"containers", "/spec/containers"},
        {"a/b", "/spec/a~1b"},
        {"m~n", "/spec/m~0n"},
        {"~/", "/spec/~0~1"},
        {"", "/spec/"},
        {"x~1", "/spec/x~01"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct jsonpatch_ptr p;

        assert_int_equal(jsonpatch_ptr_set(&p, "/spec", NULL), 0);
        assert_int_equal(jsonpatch_ptr_push(&p, cases[i].seg, NULL), 0);
        assert_string_equal(p.buf, cases[i].want);
    }
}

static void test_jsonpatch_pointer_index_and_truncate(void **state)
{
    struct jsonpatch_ptr p;
    size_t mark;

    (void)state;
    assert_int_equal(jsonpatch_ptr_set(&p, "", NULL), 0);
    assert_int_equal(jsonpatch_ptr_push(&p, "containers", NULL), 0);
    mark = p.len;
    assert_int_equal(jsonpatch_ptr_push_index(&p, 12, NULL), 0);
    assert_string_equal(p.buf, "/containers/12");
    jsonpatch_ptr_truncate(&p, mark);
    assert_string_equal(p.buf, "/containers");
}

static void test_jsonpatch_pointer_too_long(void **state)
{
    struct jsonpatch_ptr p;
    struct err err = {{0}};
    char big[2000];

    (void)state;
    memset(big, '~', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(jsonpatch_ptr_set(&p, "/a", NULL), 0);
    assert_int_equal(jsonpatch_ptr_push(&p, big, &err), -1);
    assert_string_equal(err.msg, "JSON pointer too long");
    assert_string_equal(p.buf, "/a"); /* unchanged on failure */
    assert_int_equal(jsonpatch_ptr_set(&p, "no-slash", NULL), -1);
}

static void test_jsonpatch_add_builds_operations(void **state)
{
    struct jsonpatch p;
    json_t *got, *want;
    const char *text;
    size_t len;

    (void)state;
    memset(&p, 0, sizeof(p));
    assert_int_equal(jsonpatch_add(&p, "add", "/a~1b", "x\"y", NULL), 0);
    assert_int_equal(jsonpatch_add(&p, "remove", "/c", NULL, NULL), 0);
    assert_int_equal(
        jsonpatch_add(&p, "replace", "/d/0/\xc3\xa9", "Always", NULL), 0);
    assert_int_equal(p.ops, 3);
    text = jsonpatch_text(&p, &len);
    assert_non_null(text);
    assert_int_equal(len, strlen(text));
    got = json_loadb(text, len, 0, NULL);
    want =
        json_loads("[{\"op\":\"add\",\"path\":\"/a~1b\",\"value\":\"x\\\"y\"},"
                   "{\"op\":\"remove\",\"path\":\"/c\"},"
                   "{\"op\":\"replace\",\"path\":\"/d/0/\\u00e9\","
                   "\"value\":\"Always\"}]",
                   0, NULL);
    assert_non_null(got);
    assert_true(json_equal(got, want));
    json_decref(got);
    json_decref(want);
    jsonpatch_free(&p);

    /* an empty patch is an empty array */
    memset(&p, 0, sizeof(p));
    text = jsonpatch_text(&p, &len);
    assert_string_equal(text, "[]");
    jsonpatch_free(&p);
}

static void test_jsonpatch_apply_rfc6902(void **state)
{
    static const struct {
        const char *doc, *patch, *want; /* want NULL: must fail */
    } cases[] = {
        {"{\"a\":{}}", "[{\"op\":\"add\",\"path\":\"/a/b\",\"value\":1}]",
         "{\"a\":{\"b\":1}}"},
        {"{\"a/b\":1}", "[{\"op\":\"replace\",\"path\":\"/a~1b\",\"value\":2}]",
         "{\"a/b\":2}"},
        {"{\"m~n\":1}", "[{\"op\":\"remove\",\"path\":\"/m~0n\"}]", "{}"},
        {"{\"l\":[1,2]}", "[{\"op\":\"add\",\"path\":\"/l/1\",\"value\":9}]",
         "{\"l\":[1,9,2]}"},
        {"{\"l\":[1]}", "[{\"op\":\"add\",\"path\":\"/l/-\",\"value\":2}]",
         "{\"l\":[1,2]}"},
        {"{\"l\":[1]}", "[{\"op\":\"replace\",\"path\":\"/l/0\",\"value\":3}]",
         "{\"l\":[3]}"},
        /* a parent that does not exist fails: patch paths must exist */
        {"{}", "[{\"op\":\"add\",\"path\":\"/metadata/labels/x\",\"value\":1}]",
         NULL},
        {"{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"/b\",\"value\":1}]",
         NULL},
        {"{\"l\":[1]}", "[{\"op\":\"replace\",\"path\":\"/l/1\",\"value\":1}]",
         NULL},
        {"{\"l\":[1]}", "[{\"op\":\"replace\",\"path\":\"/l/01\",\"value\":1}]",
         NULL},
        {"{}", "[{\"op\":\"move\",\"path\":\"/a\",\"from\":\"/b\"}]", NULL},
        {"{}", "[{\"op\":\"add\",\"path\":\"/a~2\",\"value\":1}]", NULL},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *doc = json_loads(cases[i].doc, 0, NULL);
        json_t *patch = json_loads(cases[i].patch, 0, NULL);
        struct err err = {{0}};
        int rc = jsonpatch_apply(doc, patch, &err);

        if (cases[i].want == NULL) {
            assert_int_equal(rc, -1);
            assert_true(err.msg[0] != '\0');
        } else {
            json_t *want = json_loads(cases[i].want, 0, NULL);

            assert_int_equal(rc, 0);
            assert_true(json_equal(doc, want));
            json_decref(want);
        }
        json_decref(doc);
        json_decref(patch);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jsonpatch_pointer_escapes),
        cmocka_unit_test(test_jsonpatch_pointer_index_and_truncate),
        cmocka_unit_test(test_jsonpatch_pointer_too_long),
        cmocka_unit_test(test_jsonpatch_add_builds_operations),
        cmocka_unit_test(test_jsonpatch_apply_rfc6902),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
