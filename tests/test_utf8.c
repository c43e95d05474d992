/* test_utf8.c - runes decoded as Go's utf8.DecodeRuneInString decodes them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "utf8.h"

/*
 * Each case: the bytes (n of them: the NUL of the literal is not read) and
 * what Go answers, the rune and its width. Go: (RuneError, 1) for every
 * sequence that is invalid, truncated, overlong, a surrogate or past
 * U+10FFFF, never a longer width.
 */
static void test_utf8_decode_as_go(void **state)
{
    static const struct {
        const char *s;
        size_t n;
        uint32_t rune;
        size_t width;
    } cases[] = {
        {"a", 1, 'a', 1},
        {"\x7f", 1, 0x7F, 1},
        {"\xc2\x80", 2, 0x80, 2},       /* the first two-byte rune */
        {"\xdf\xbf", 2, 0x7FF, 2},      /* the last */
        {"\xe0\xa0\x80", 3, 0x800, 3},  /* the first three-byte */
        {"\xed\x9f\xbf", 3, 0xD7FF, 3}, /* just below the surrogates */
        {"\xee\x80\x80", 3, 0xE000, 3}, /* just above them */
        {"\xef\xbf\xbd", 3, 0xFFFD, 3}, /* RuneError itself, width 3 */
        {"\xef\xbf\xbf", 3, 0xFFFF, 3},
        {"\xf0\x90\x80\x80", 4, 0x10000, 4},  /* the first four-byte */
        {"\xf4\x8f\xbf\xbf", 4, 0x10FFFF, 4}, /* the last rune there is */
        {"\xe2\x82\xac!", 4, 0x20AC, 3},      /* a euro sign, then more */
        {"\x80", 1, 0xFFFD, 1},               /* a continuation byte alone */
        {"\xbf", 1, 0xFFFD, 1},
        {"\xc0\x80", 2, 0xFFFD, 1},     /* overlong NUL */
        {"\xc1\xbf", 2, 0xFFFD, 1},     /* overlong 0x7F */
        {"\xe0\x80\x80", 3, 0xFFFD, 1}, /* overlong, three bytes */
        {"\xe0\x9f\xbf", 3, 0xFFFD, 1},
        {"\xed\xa0\x80", 3, 0xFFFD, 1},     /* U+D800, a surrogate */
        {"\xed\xbf\xbf", 3, 0xFFFD, 1},     /* U+DFFF */
        {"\xf0\x80\x80\x80", 4, 0xFFFD, 1}, /* overlong, four bytes */
        {"\xf0\x8f\xbf\xbf", 4, 0xFFFD, 1},
        {"\xf4\x90\x80\x80", 4, 0xFFFD, 1},     /* U+110000 */
        {"\xf5\x80\x80\x80", 4, 0xFFFD, 1},     /* no such lead byte */
        {"\xf8\x88\x80\x80\x80", 5, 0xFFFD, 1}, /* the old five-byte form */
        {"\xfe", 1, 0xFFFD, 1},
        {"\xff", 1, 0xFFFD, 1},
        {"\xc2", 1, 0xFFFD, 1},         /* truncated: 1 of 2 */
        {"\xe2\x82", 2, 0xFFFD, 1},     /* 2 of 3 */
        {"\xf0\x9f\x98", 3, 0xFFFD, 1}, /* 3 of 4 */
        {"\xe2\x82"
         "a",
         3, 0xFFFD, 1}, /* a third byte that is no continuation */
        {"\xf0\x9f\x98"
         "a",
         4, 0xFFFD, 1},
        {"\xc2"
         "a",
         2, 0xFFFD, 1},
        {"\xc2\xc2\x80", 3, 0xFFFD,
         1}, /* a lead byte where a continuation goes */
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint32_t r = 0;
        size_t w =
            utf8_decode((const unsigned char *)cases[i].s, cases[i].n, &r);

        if (r != cases[i].rune || w != cases[i].width)
            fail_msg("case %zu: U+%04X width %zu, Go says U+%04X width %zu", i,
                     (unsigned)r, w, (unsigned)cases[i].rune, cases[i].width);
    }
}

/* Every two-byte input: the width is 1 or 2 and the rune round-trips. */
static void test_utf8_every_pair(void **state)
{
    unsigned a, b;

    (void)state;
    for (a = 0; a < 256; a++)
        for (b = 0; b < 256; b++) {
            unsigned char s[2] = {(unsigned char)a, (unsigned char)b};
            uint32_t r;
            size_t w = utf8_decode(s, 2, &r);
            int valid2 = a >= 0xC2 && a <= 0xDF && b >= 0x80 && b <= 0xBF;

            if (a < 0x80) {
                assert_int_equal(w, 1);
                assert_int_equal(r, a);
            } else if (valid2) {
                assert_int_equal(w, 2);
                assert_int_equal(r, ((a & 0x1F) << 6) | (b & 0x3F));
            } else {
                assert_int_equal(w, 1);
                assert_int_equal(r, 0xFFFD);
            }
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_decode_as_go),
        cmocka_unit_test(test_utf8_every_pair),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
