/* test_readfile.c - a whole file into memory: size cap, pipes, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "readfile.h"

/* A new temporary file holding text, named from the mkstemp template path. */
static void write_temp(char *path, const char *text)
{
    int fd = mkstemp(path);
    FILE *f;

    assert_true(fd >= 0);
    f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Files of each size read whole up to max bytes, and refused over it. */
static void test_readfile_sizes(void **state)
{
    static const struct {
        const char *text;
        size_t max;
        const char *want_err; /* NULL: read whole */
    } cases[] = {
        {"kind: List\nitems: []\n", 1024, NULL},
        {"kind: List\nitems: []\n", 21, NULL}, /* exactly max */
        {"kind: List\nitems: []\n", 20, ": larger than 20 bytes"},
        {"", 1024, NULL},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char path[] = "/tmp/readfile-XXXXXX";
        struct err err = {{0}};
        size_t len = 1;
        char *buf;

        write_temp(path, cases[i].text);
        buf = readfile_all(path, cases[i].max, &len, &err);
        unlink(path);
        if (cases[i].want_err == NULL) {
            assert_non_null(buf);
            assert_int_equal(len, strlen(cases[i].text));
            assert_string_equal(buf, cases[i].text);
        } else {
            assert_null(buf);
            assert_int_equal(errno, 0);
            assert_string_equal(strchr(err.msg, ':'), cases[i].want_err);
        }
        free(buf);
    }
}

static void test_readfile_pipe(void **state)
{
    struct err err = {{0}};
    char path[64];
    size_t len = 0;
    int fds[2];
    char *buf;

    (void)state;
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(write(fds[1], "from a pipe", 11), 11);
    close(fds[1]);
    snprintf(path, sizeof(path), "/dev/fd/%d", fds[0]);
    buf = readfile_all(path, 1024, &len, &err);
    assert_non_null(buf);
    assert_int_equal(len, 11);
    assert_string_equal(buf, "from a pipe");
    free(buf);
    close(fds[0]);
}

static void test_readfile_missing(void **state)
{
    struct err err = {{0}};
    size_t len = 0;

    (void)state;
    assert_null(readfile_all("/nonexistent/x.yaml", 1024, &len, &err));
    assert_int_equal(errno, ENOENT);
    assert_string_equal(err.msg,
                        "/nonexistent/x.yaml: No such file or directory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_readfile_sizes),
        cmocka_unit_test(test_readfile_pipe),
        cmocka_unit_test(test_readfile_missing),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
