/* test_lograte.c - the log limiter: lines a second, windows, what is held
 * back and when it is reported. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "lograte.h"

enum op { TAKE, REPORT, FLUSH };

/* One step: count lines taken at at_ms (want of them let through), or a
 * report at at_ms (want 1 or 0; n and s when 1). */
struct step {
    long long at_ms;
    enum op op;
    int count, want;
    unsigned long long n;
    double s;
};

#define QUIET_US 1000000LL
#define MAX_US   60000000LL

static void run(const char *name, const struct step *steps, size_t nsteps)
{
    struct lograte r;
    size_t i;

    memset(&r, 0, sizeof(r));
    for (i = 0; i < nsteps; i++) {
        const struct step *st = &steps[i];
        long long now = st->at_ms * 1000;
        unsigned long long n = 0;
        double s = 0;
        int got = 0, k;

        if (st->op == TAKE) {
            for (k = 0; k < st->count; k++)
                got += lograte_take(&r, now);
        } else {
            got = lograte_report(&r, now, QUIET_US,
                                 st->op == FLUSH ? 0 : MAX_US, &n, &s);
            if (got && (n != st->n || fabs(s - st->s) > 1e-9))
                fail_msg("%s, step %zu: reported %llu in %.6f s, want %llu "
                         "in %.6f s",
                         name, i, n, s, st->n, st->s);
        }
        if (got != st->want)
            fail_msg("%s, step %zu: got %d, want %d", name, i, got, st->want);
    }
}

static void test_lograte_table(void **state)
{
    static const struct step burst[] = {
        {1000, TAKE, 25, 10, 0, 0},  /* 10 through, 15 held */
        {1500, REPORT, 0, 0, 0, 0},  /* not quiet yet */
        {1999, REPORT, 0, 0, 0, 0},  /* 999 ms quiet */
        {2000, REPORT, 0, 1, 15, 1}, /* a second quiet: 15 in 1 s */
        {2001, REPORT, 0, 0, 0, 0},  /* reported once */
        {2002, TAKE, 10, 10, 0, 0},  /* a new window */
    };
    static const struct step windows[] = {
        {1000, TAKE, 10, 10, 0, 0},
        {1999, TAKE, 1, 0, 0, 0},       /* same window */
        {2000, TAKE, 11, 10, 0, 0},     /* the next one: 10 of 11 */
        {2500, TAKE, 1, 0, 0, 0},       /* held, restarts the quiet */
        {3499, REPORT, 0, 0, 0, 0},     /* 999 ms after the last held */
        {3500, REPORT, 0, 1, 3, 1.501}, /* from 1999 to 3500 */
        {3700, TAKE, 3, 3, 0, 0},       /* a window from 3700 */
        {4699, TAKE, 8, 7, 0, 0},       /* still the same: 10 in all */
        {4699, FLUSH, 0, 1, 1, 0},      /* at exit: whatever is held */
        {4700, FLUSH, 0, 0, 0, 0},      /* nothing left */
    };
    static const struct step back[] = {
        {5000, TAKE, 11, 10, 0, 0},
        {4000, TAKE, 1, 1, 0, 0}, /* a clock that went back: a new window */
    };

    (void)state;
    run("burst", burst, sizeof(burst) / sizeof(burst[0]));
    run("windows", windows, sizeof(windows) / sizeof(windows[0]));
    run("back", back, sizeof(back) / sizeof(back[0]));
}

/*
 * A flood that never stops: 100 lines a second for two minutes. 10 a
 * second go through, and the rest is reported once a minute, every line
 * counted once.
 */
static void test_lograte_long_flood(void **state)
{
    struct lograte r;
    unsigned long long n, reported = 0, through = 0, reports = 0;
    long long t;
    double s;

    (void)state;
    memset(&r, 0, sizeof(r));
    for (t = 1000000; t < 121000000; t += 10000) { /* every 10 ms */
        through += (unsigned long long)lograte_take(&r, t);
        if (t % 1000000 == 0 &&
            lograte_report(&r, t, QUIET_US, MAX_US, &n, &s)) {
            reports++;
            reported += n;
            assert_true(s >= 60.0 && s < 61.0);
        }
    }
    assert_int_equal(through, 120 * LOGRATE_PER_S);
    /* at 62 s (the first held at 1.1 s); the next would be at 123 s */
    assert_int_equal(reports, 1);
    assert_true(lograte_report(&r, t + QUIET_US, QUIET_US, MAX_US, &n, &s));
    reported += n;
    assert_int_equal(through + reported, 12000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lograte_table),
        cmocka_unit_test(test_lograte_long_flood),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
