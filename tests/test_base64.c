/* test_base64.c - RFC 4648 vectors, lenient decoding, bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "base64.h"

static void test_base64_rfc4648_vectors(void **state)
{
    static const struct {
        const char *plain, *b64;
    } cases[] = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
        {"[{\"op\":\"add\"}]", "W3sib3AiOiJhZGQifV0="},
    };
    size_t i, len;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *enc = base64_encode(cases[i].plain, strlen(cases[i].plain), &len);
        char *dec = base64_decode(cases[i].b64, &len);

        assert_string_equal(enc, cases[i].b64);
        assert_non_null(dec);
        assert_int_equal(len, strlen(cases[i].plain));
        assert_string_equal(dec, cases[i].plain);
        free(enc);
        free(dec);
    }
}

static void test_base64_decode_lenient_and_strict(void **state)
{
    static const struct {
        const char *in, *want; /* want NULL: rejected */
    } cases[] = {
        {"Zm9v\nYmFy", "foobar"}, /* folded by YAML */
        {" Zm9vYg ", "foob"},     /* no padding */
        {"Zm9vYg=", "foob"},
        {"Zm9v YmE=\r\n", "fooba"},
        {"Zm9vYg===", NULL}, /* too much padding */
        {"Zm9=vYg", NULL},   /* data after padding */
        {"Zm9vY", NULL},     /* a lone sixth of a byte */
        {"Zh==", NULL},      /* unused bits not zero */
        {"Zm9v!", NULL},
        {"Zm9v-_", NULL}, /* the URL alphabet is not this one */
    };
    size_t i, len;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *dec = base64_decode(cases[i].in, &len);

        if (cases[i].want == NULL) {
            if (dec != NULL)
                fail_msg("%s: accepted as %s", cases[i].in, dec);
        } else {
            if (dec == NULL || strcmp(dec, cases[i].want) != 0)
                fail_msg("%s: want %s", cases[i].in, cases[i].want);
        }
        free(dec);
    }
}

static void test_base64_binary_round_trip(void **state)
{
    char bytes[256], *enc, *dec;
    size_t n, len, dlen;

    (void)state;
    for (n = 0; n < sizeof(bytes); n++)
        bytes[n] = (char)(255 - n);
    for (n = 0; n <= sizeof(bytes); n += 37) {
        enc = base64_encode(bytes, n, &len);
        assert_int_equal(len, (n + 2) / 3 * 4);
        dec = base64_decode(enc, &dlen);
        assert_int_equal(dlen, n);
        assert_memory_equal(dec, bytes, n);
        free(enc);
        free(dec);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base64_rfc4648_vectors),
        cmocka_unit_test(test_base64_decode_lenient_and_strict),
        cmocka_unit_test(test_base64_binary_round_trip),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
