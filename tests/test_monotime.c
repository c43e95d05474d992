/* test_monotime.c - the monotonic clock's three units agree and never go back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <time.h>

#include "monotime.h"

/* Read in turn, the three agree to within their units and a few ms. */
static void test_monotime_units_agree(void **state)
{
    long long ms = monotime_ms(), us = monotime_us();
    double s = monotime_s();

    (void)state;
    assert_true(us / 1000 >= ms && us / 1000 - ms < 50);
    assert_true(s * 1000 >= (double)ms && s * 1000 - (double)ms < 50);
    assert_true(s * 1e6 >= (double)us && s * 1e6 - (double)us < 50000);
}

/* A sleep of 20 ms shows in each unit, and no reading goes back. */
static void test_monotime_advances(void **state)
{
    struct timespec nap = {0, 20 * 1000 * 1000};
    long long ms0 = monotime_ms(), us0 = monotime_us();
    double s0 = monotime_s();

    (void)state;
    nanosleep(&nap, NULL);
    assert_true(monotime_ms() - ms0 >= 20);
    assert_true(monotime_us() - us0 >= 20000);
    assert_true(monotime_s() - s0 >= 0.020);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_monotime_units_agree),
        cmocka_unit_test(test_monotime_advances),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
