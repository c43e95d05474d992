/* test_dynlib.c - libraries loaded on first use: errors, all or nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "curlfn.h"
#include "dynlib.h"
/* Last: EVP_sha256 below is a call through cryptofn's table. */
#include "cryptofn.h"

#define TEST_DYNLIB_NONE "libimage-policy-webhook-none.so.0"

/* A library that is not there: one line naming it and what dlopen said;
 * the table untouched; a later call tries again. */
static void test_dynlib_missing_library(void **state)
{
    static size_t (*my_strlen)(const char *);
    static const struct dynlib_fn fns[] = {{"strlen", &my_strlen}};
    static struct dynlib lib = DYNLIB_INIT(TEST_DYNLIB_NONE, fns);
    struct err err = {{0}};
    int i;

    (void)state;
    for (i = 0; i < 2; i++) {
        memset(&err, 0, sizeof(err));
        assert_int_equal(dynlib_load(&lib, &err), -1);
        assert_string_equal(err.msg, "cannot load " TEST_DYNLIB_NONE
                                     ": " TEST_DYNLIB_NONE
                                     ": cannot open shared object file: No "
                                     "such file or directory");
        assert_null(my_strlen);
    }
}

/* A function the library lacks: named, and no slot filled. */
static void test_dynlib_missing_function(void **state)
{
    static size_t (*my_strlen)(const char *);
    static void (*none)(void);
    static const struct dynlib_fn fns[] = {
        {"strlen", &my_strlen},
        {"image_policy_webhook_none", &none},
    };
    static struct dynlib lib = DYNLIB_INIT("libc.so.6", fns);
    struct err err = {{0}};

    (void)state;
    assert_int_equal(dynlib_load(&lib, &err), -1);
    assert_true(strncmp(err.msg, "cannot load libc.so.6: ", 23) == 0);
    assert_non_null(strstr(err.msg, "undefined symbol: "
                                    "image_policy_webhook_none"));
    assert_null(my_strlen);
    assert_null(none);
}

/* Loaded once; the slots hold the library's functions. */
static void test_dynlib_loads(void **state)
{
    static size_t (*my_strlen)(const char *);
    static const struct dynlib_fn fns[] = {{"strlen", &my_strlen}};
    static struct dynlib lib = DYNLIB_INIT("libc.so.6", fns);
    struct err err = {{0}};

    (void)state;
    assert_int_equal(dynlib_load(&lib, &err), 0);
    assert_non_null(my_strlen);
    assert_int_equal(my_strlen("four"), 4);
    assert_int_equal(dynlib_load(&lib, &err), 0);
    assert_string_equal(err.msg, "");
}

/* The sonames the build read load, with every function listed (this
 * program links neither library: the calls go through the tables). */
static void test_dynlib_curl_and_crypto(void **state)
{
    struct err err = {{0}};

    (void)state;
    assert_int_equal(curlfn_load(&err), 0);
    assert_string_equal(curl_easy_strerror(CURLE_OK), "No error");
    assert_int_equal(cryptofn_load(&err), 0);
    assert_non_null(EVP_sha256());
    assert_string_equal(err.msg, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dynlib_missing_library),
        cmocka_unit_test(test_dynlib_missing_function),
        cmocka_unit_test(test_dynlib_loads),
        cmocka_unit_test(test_dynlib_curl_and_crypto),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
