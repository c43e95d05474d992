/* test_body.c - request bodies: the size cap, the shared budget, refusal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "body.h"

/* Bodies announced by Content-Length take their size from the budget. */
static void test_body_expect_takes_budget(void **state)
{
    struct body_budget bb;
    struct body a, b;

    (void)state;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    body_budget_init(&bb, 100, 150);
    assert_int_equal(body_expect(&bb, &a, 80), 0);
    assert_non_null(a.data);
    assert_int_equal(a.cap, 80);
    assert_int_equal(atomic_load(&bb.buffered), 80);
    assert_int_equal(body_expect(&bb, &b, 80), -1); /* 160 > 150 */
    assert_int_equal(atomic_load(&bb.buffered), 80);
    assert_int_equal(body_add(&bb, &a, 1, "0123456789", 10), 0);
    assert_int_equal(a.len, 10);
    assert_memory_equal(a.data, "0123456789", 10);
    body_free(&bb, &a);
    body_free(&bb, &b);
    assert_null(a.data);
    assert_int_equal(atomic_load(&bb.buffered), 0);
}

/* Unannounced bodies grow; the budget refuses growth past it with 503. */
static void test_body_add_grows_within_budget(void **state)
{
    static char piece[70000];
    struct body_budget bb;
    struct body a;

    (void)state;
    memset(&a, 0, sizeof(a));
    memset(piece, 'x', sizeof(piece));
    body_budget_init(&bb, 200000, 100000);
    assert_int_equal(body_add(&bb, &a, 1, piece, 100), 0);
    assert_int_equal(a.cap, 65536);
    assert_int_equal(atomic_load(&bb.buffered), 65536);
    /* 70,100 bytes need 131,072 of room: over the budget of 100,000. */
    assert_int_equal(body_add(&bb, &a, 1, piece, sizeof(piece)), 0);
    assert_int_equal(a.reject, BODY_NO_ROOM);
    assert_int_equal(a.discarded, 100 + sizeof(piece));
    assert_null(a.data);
    assert_int_equal(atomic_load(&bb.buffered), 0);
    body_free(&bb, &a);
}

/* Over max_body: 413, what follows is thrown away, until it is too much. */
static void test_body_add_over_limit(void **state)
{
    static char piece[1 << 20];
    struct body_budget bb;
    struct body a;
    int i, rc = 0;

    (void)state;
    memset(&a, 0, sizeof(a));
    body_budget_init(&bb, 1000, 1 << 20);
    assert_int_equal(body_add(&bb, &a, 1, piece, 600), 0);
    assert_int_equal(body_add(&bb, &a, 1, piece, 600), 0);
    assert_int_equal(a.reject, BODY_TOO_LARGE);
    assert_int_equal(a.discarded, 1200);
    assert_int_equal(atomic_load(&bb.buffered), 0);
    /* Thrown away up to 16 MiB past max_body, then the connection goes. */
    for (i = 0; i < 17 && rc == 0; i++)
        rc = body_add(&bb, &a, 1, piece, sizeof(piece));
    assert_int_equal(rc, -1);
    assert_int_equal(i, 16); /* 1,200 + 16 MiB > 1,000 + 16 MiB */
    body_free(&bb, &a);
}

/* A body not kept (probes) is counted against max_body only. */
static void test_body_add_not_kept(void **state)
{
    struct body_budget bb;
    struct body a;

    (void)state;
    memset(&a, 0, sizeof(a));
    body_budget_init(&bb, 10, 100);
    assert_int_equal(body_add(&bb, &a, 0, "01234", 5), 0);
    assert_int_equal(a.len, 5);
    assert_null(a.data);
    assert_int_equal(atomic_load(&bb.buffered), 0);
    assert_int_equal(body_add(&bb, &a, 0, "012345", 6), 0);
    assert_int_equal(a.reject, BODY_TOO_LARGE);
    body_free(&bb, &a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_body_expect_takes_budget),
        cmocka_unit_test(test_body_add_grows_within_budget),
        cmocka_unit_test(test_body_add_over_limit),
        cmocka_unit_test(test_body_add_not_kept),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
