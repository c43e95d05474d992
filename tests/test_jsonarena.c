/* test_jsonarena.c - a request's JSON from the per-thread arena: reused by
 * the next request, spilling to malloc when full, never taking what was
 * made outside it; a list page's from a mapping of its own, given back
 * whole. Run under ASan, a value used after its arena is gone fails the
 * build's sanitizer pass. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonarena.h"

/* One arena of ARENA bytes for the whole process (init is once). */
#define ARENA 8192

static const char small_doc[] =
    "{\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"u1\","
    "\"object\":{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"nginx\"}"
    "]}}}}";

static json_t *parse(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, 0, &jerr);

    assert_non_null(v);
    return v;
}

/* A JSON array of n objects, as text, large enough to overflow ARENA. */
static char *big_doc(int n)
{
    size_t cap = (size_t)n * 40 + 16, len = 0;
    char *s = malloc(cap);
    int i;

    assert_non_null(s);
    s[len++] = '[';
    for (i = 0; i < n; i++)
        len += (size_t)snprintf(s + len, cap - len, "%s{\"image\":\"img-%d\"}",
                                i > 0 ? "," : "", i);
    s[len++] = ']';
    s[len] = '\0';
    return s;
}

/* A request that fills this thread's whole arena with other values, so
 * that anything left there from before reads wrong. */
static void overwrite(void)
{
    char *text = big_doc(400);
    json_t *v;

    jsonarena_begin();
    v = parse(text);
    json_decref(v);
    jsonarena_end();
    free(text);
}

static int setup(void **state)
{
    (void)state;
    return jsonarena_init(1, ARENA, NULL);
}

/* The second request's values take the memory of the first's. */
static void assert_arena_reused(void)
{
    json_t *a, *b;
    void *first;

    jsonarena_begin();
    a = parse(small_doc);
    first = a;
    json_decref(a);
    jsonarena_end();

    jsonarena_begin();
    b = parse(small_doc);
    assert_ptr_equal(b, first);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(b, "request"), "uid")),
                        "u1");
    json_decref(b);
    jsonarena_end();
}

static void test_jsonarena_reused(void **state)
{
    (void)state;
    assert_arena_reused();
}

/* Within a request, a value freed leaves its memory alone: the next is cut
 * after it, whatever its size (malloc would hand the same memory back). A
 * string's value (32 bytes) once went to malloc: sizes that are a multiple
 * of 16 did, but under ASan. */
static void test_jsonarena_not_reused(void **state)
{
    json_t *a, *b;
    void *first;

    (void)state;
    jsonarena_begin();
    a = json_string("first");
    first = a;
    json_decref(a);
    b = json_string("second");
    assert_ptr_not_equal(b, first);
    assert_string_equal(json_string_value(b), "second");
    json_decref(b);
    jsonarena_end();
}

/* Outside begin/end, values are malloc'd: they outlive an arena's end, and
 * freeing them inside a request really frees them (LeakSanitizer sees it). */
static void test_jsonarena_outside_values(void **state)
{
    json_t *kept = parse(small_doc), *in, *gone = parse("[1,2,3]");

    (void)state;
    jsonarena_begin();
    in = parse(small_doc);
    assert_true(json_equal(in, kept));
    assert_ptr_not_equal(in, kept);
    json_decref(gone);
    json_decref(in);
    jsonarena_end();
    overwrite();
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(kept, "request"), "uid")),
                        "u1");
    json_decref(kept);
}

/* A copy outlives the arena; the arena is still in use after copying. */
static void test_jsonarena_copy(void **state)
{
    json_t *in, *copy, *after, *want = parse(small_doc);
    void *first;

    (void)state;
    jsonarena_begin();
    in = parse(small_doc);
    first = in;
    copy = jsonarena_copy(in);
    assert_non_null(copy);
    after = json_string("still from the arena");
    assert_ptr_not_equal(copy, first);
    json_decref(in);
    json_decref(after);
    jsonarena_end();
    overwrite();
    assert_true(json_equal(copy, want));
    json_decref(copy);
    json_decref(want);

    jsonarena_begin();
    in = parse(small_doc);
    assert_ptr_equal(in, first);
    json_decref(in);
    jsonarena_end();
}

/* Past ARENA bytes, values come from malloc and are whole. */
static void test_jsonarena_spills(void **state)
{
    char *text = big_doc(500);
    json_t *in, *want = parse(text);
    size_t i;

    (void)state;
    jsonarena_begin();
    in = parse(text);
    assert_true(json_equal(in, want));
    assert_int_equal(json_array_size(in), 500);
    for (i = 0; i < 500; i++) {
        char name[32];

        snprintf(name, sizeof(name), "img-%zu", i);
        assert_string_equal(
            json_string_value(json_object_get(json_array_get(in, i), "image")),
            name);
    }
    json_decref(in);
    jsonarena_end();
    json_decref(want);
    free(text);
}

/* A thread past the number of arenas gets malloc, and works. */
static void *other_thread(void *arg)
{
    json_t **out = arg;

    jsonarena_begin();
    *out = parse(small_doc);
    jsonarena_end();
    overwrite(); /* would clobber *out, were it from an arena */
    return NULL;
}

static void test_jsonarena_no_arena_left(void **state)
{
    pthread_t t;
    json_t *v = NULL, *want = parse(small_doc);

    (void)state;
    jsonarena_begin(); /* this thread holds the only arena */
    jsonarena_end();
    assert_int_equal(pthread_create(&t, NULL, other_thread, &v), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    /* Made by malloc, so it outlived the other thread's begin/end. */
    assert_true(json_equal(v, want));
    json_decref(v);
    json_decref(want);
}

/* A second init is a no-op: the first arena stays, and there is still only
 * one (test_jsonarena_no_arena_left runs after this). */
static void test_jsonarena_init_once(void **state)
{
    (void)state;
    assert_int_equal(jsonarena_init(4, 1 << 20, NULL), 0);
    assert_arena_reused();
}

/* A mapped arena: its values outlive jsonarena_end() until
 * jsonarena_unmap(); what is made after the end is malloc'd and outlives
 * the unmap (under ASan a value left in the mapping would fault). */
static void test_jsonarena_map(void **state)
{
    json_t *in, *kept, *copy, *want = parse(small_doc);

    (void)state;
    assert_int_equal(jsonarena_map(1 << 20), 0);
    in = parse(small_doc);
    jsonarena_end();
    assert_true(json_equal(in, want));
    assert_int_equal(json_object_set_new(in, "extra", json_string("kept")), 0);
    kept = json_incref(json_object_get(in, "extra"));
    copy = json_deep_copy(in);
    assert_non_null(copy);
    json_decref(in); /* the mapping's values cost nothing, the rest freed */
    jsonarena_unmap();
    overwrite();
    assert_string_equal(json_string_value(kept), "kept");
    assert_int_equal(json_object_del(copy, "extra"), 0);
    assert_true(json_equal(copy, want));
    json_decref(kept);
    json_decref(copy);
    json_decref(want);
}

/* In the mapping, a value freed leaves its memory alone: the next is cut
 * after it (malloc would hand the same memory back). */
static void test_jsonarena_map_not_reused(void **state)
{
    json_t *a, *b;
    void *first;

    (void)state;
    assert_int_equal(jsonarena_map(4096), 0);
    a = json_string("first");
    first = a;
    json_decref(a);
    b = json_string("second");
    assert_ptr_not_equal(b, first);
    assert_string_equal(json_string_value(b), "second");
    json_decref(b);
    jsonarena_unmap();
}

/* Past the mapping's bytes, values come from malloc and are whole. */
static void test_jsonarena_map_spills(void **state)
{
    char *text = big_doc(500);
    json_t *in, *want = parse(text);

    (void)state;
    assert_int_equal(jsonarena_map(256), 0);
    in = parse(text);
    jsonarena_end();
    assert_true(json_equal(in, want));
    json_decref(in);
    jsonarena_unmap();
    json_decref(want);
    free(text);
}

/* One mapping at a time, none inside a request's arena or of 0 bytes. */
static void test_jsonarena_map_refused(void **state)
{
    (void)state;
    jsonarena_unmap(); /* none: nothing to do */
    assert_int_equal(jsonarena_map(0), -1);
    jsonarena_begin();
    assert_int_equal(jsonarena_map(4096), -1);
    jsonarena_end();
    assert_int_equal(jsonarena_map(4096), 0);
    assert_int_equal(jsonarena_map(4096), -1);
    jsonarena_unmap();
    assert_arena_reused(); /* the request arena is as it was */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jsonarena_reused),
        cmocka_unit_test(test_jsonarena_not_reused),
        cmocka_unit_test(test_jsonarena_outside_values),
        cmocka_unit_test(test_jsonarena_copy),
        cmocka_unit_test(test_jsonarena_spills),
        cmocka_unit_test(test_jsonarena_init_once),
        cmocka_unit_test(test_jsonarena_no_arena_left),
        cmocka_unit_test(test_jsonarena_map),
        cmocka_unit_test(test_jsonarena_map_not_reused),
        cmocka_unit_test(test_jsonarena_map_spills),
        cmocka_unit_test(test_jsonarena_map_refused),
    };

    return cmocka_run_group_tests(tests, setup, NULL);
}
