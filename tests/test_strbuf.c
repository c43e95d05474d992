/* test_strbuf.c - raw and printf appends up to a caller's cap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

/* One append: the bytes raw, or as printf's "%s" (fmt set); its result. */
struct step {
    const char *bytes;
    size_t n;
    int fmt, rc;
};

#define RAW(lit) lit, sizeof(lit) - 1, 0
#define FMT(lit) lit, sizeof(lit) - 1, 1

/* Each case's appends, in order, then what b holds. */
static void test_strbuf_appends_up_to_max(void **state)
{
    static const struct {
        size_t max;
        struct step steps[4];
        const char *want;
        size_t want_len;
        int failed;
    } cases[] = {
        {8, {{RAW("abc"), 0}, {RAW("defgh"), 0}}, "abcdefgh", 8, 0},
        {8, {{RAW("abcdef"), 0}, {RAW("ghij"), -1}}, "abcdefgh", 8, 1},
        {8, {{RAW("abcdefgh"), 0}, {RAW(""), 0}}, "abcdefgh", 8, 0},
        {3, {{RAW("abc"), 0}, {RAW("x"), -1}, {RAW(""), 0}}, "abc", 3, 1},
        /* bytes, not a string: NULs go in as they are */
        {4, {{RAW("a\0b\0c"), -1}}, "a\0b\0", 4, 1},
        {0, {{RAW("a\0b"), 0}, {RAW("\0"), 0}}, "a\0b\0", 4, 0},
        /* an empty append still leaves a NUL-terminated text */
        {0, {{RAW(""), 0}}, "", 0, 0},
        {1, {{RAW(""), 0}, {RAW("xy"), -1}}, "x", 1, 1},
        /* printf cuts at the same cap, after raw bytes or before them */
        {6, {{RAW("abc"), 0}, {FMT("defg"), -1}}, "abcdef", 6, 1},
        {6, {{FMT("<ab>"), 0}, {RAW("cd"), 0}}, "<ab>cd", 6, 0},
        {6, {{FMT("<ab>"), 0}, {RAW("cde"), -1}, {FMT(""), 0}}, "<ab>cd", 6, 1},
        {0, {{FMT(""), 0}}, "", 0, 0},
    };
    size_t i, j;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct strbuf b = {.max = cases[i].max};

        for (j = 0; j < 4; j++) {
            const struct step *s = &cases[i].steps[j];
            int rc;

            if (s->bytes == NULL)
                break;
            rc = s->fmt ? strbuf_printf(&b, "%s", s->bytes)
                        : strbuf_add(&b, s->bytes, s->n);
            if (rc != s->rc)
                fail_msg("case %zu, step %zu: %d, want %d", i, j, rc, s->rc);
        }
        if (b.len != cases[i].want_len ||
            memcmp(b.p, cases[i].want, b.len) != 0)
            fail_msg("case %zu: %zu bytes \"%.*s\", want \"%s\"", i, b.len,
                     (int)b.len, b.p, cases[i].want);
        assert_non_null(b.p);
        assert_int_equal(b.p[b.len], '\0');
        assert_int_equal(b.failed, cases[i].failed);
        assert_true(b.cap > b.len);
        strbuf_free(&b);
        assert_null(b.p);
        assert_int_equal(b.max, cases[i].max); /* kept for reuse */
    }
}

/* max 0 is a message's cap, 64 KiB; STRBUF_NOMAX leaves it to memory. */
static void test_strbuf_default_and_no_cap(void **state)
{
    static const size_t want[] = {64u << 10, 200000};
    static const size_t max[] = {0, STRBUF_NOMAX};
    char chunk[1000];
    size_t i, k;

    (void)state;
    memset(chunk, 'x', sizeof(chunk));
    for (i = 0; i < 2; i++) {
        struct strbuf b = {.max = max[i]};

        for (k = 0; k < 200; k++)
            strbuf_add(&b, chunk, sizeof(chunk));
        assert_int_equal(b.len, want[i]);
        assert_int_equal(b.failed, i == 0);
        assert_int_equal(strlen(b.p), b.len);
        strbuf_free(&b);
    }
}

/* reset empties the text for reuse: memory, max kept, failed cleared. */
static void test_strbuf_reset_for_reuse(void **state)
{
    struct strbuf b = {.max = 4};
    char *p;

    (void)state;
    assert_string_equal(strbuf_str(&b), "");
    assert_int_equal(strbuf_add(&b, "abcdef", 6), -1);
    assert_true(b.failed);
    p = b.p;
    strbuf_reset(&b);
    assert_ptr_equal(b.p, p);
    assert_int_equal(b.len, 0);
    assert_false(b.failed);
    assert_string_equal(strbuf_str(&b), "");
    assert_int_equal(strbuf_printf(&b, "%d", 1234), 0);
    assert_string_equal(strbuf_str(&b), "1234");
    strbuf_free(&b);
    strbuf_reset(&b); /* on an empty buffer too */
    assert_string_equal(strbuf_str(&b), "");
}

/* In the caller's storage: short text stays there, long text moves to the
 * heap whole, and strbuf_free starts in the storage again. */
static void test_strbuf_fixed_storage(void **state)
{
    char small[8], big[40];
    struct strbuf b;

    (void)state;
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    strbuf_init_fixed(&b, small, sizeof(small));
    assert_ptr_equal(b.p, small);
    assert_string_equal(strbuf_str(&b), "");
    assert_int_equal(strbuf_add(&b, "ns\0name", 7), 0); /* 7 and the NUL */
    assert_ptr_equal(b.p, small);
    assert_int_equal(b.len, 7);
    assert_memory_equal(b.p, "ns\0name", 8);
    assert_int_equal(strbuf_add(&b, big, strlen(big)), 0);
    assert_ptr_not_equal(b.p, small);
    assert_int_equal(b.len, 7 + strlen(big));
    assert_memory_equal(b.p, "ns\0name", 7);
    assert_string_equal(b.p + 7, big);
    strbuf_free(&b); /* the heap copy; small is not freed */
    assert_ptr_equal(b.p, small);
    assert_int_equal(b.len, 0);
    assert_string_equal(small, "");
    assert_int_equal(strbuf_printf(&b, "u:%s", "alice"), 0);
    assert_ptr_equal(b.p, small);
    assert_string_equal(b.p, "u:alice");
    strbuf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strbuf_appends_up_to_max),
        cmocka_unit_test(test_strbuf_default_and_no_cap),
        cmocka_unit_test(test_strbuf_reset_for_reuse),
        cmocka_unit_test(test_strbuf_fixed_storage),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
