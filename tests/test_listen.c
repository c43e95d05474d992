/* test_listen.c - listen addresses: what is refused and why, and names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>
#include <unistd.h>

#include "listen.h"

static void test_listen_refused(void **state)
{
    static const struct {
        const char *spec, *want;
    } cases[] = {
        {"8443", "listen address 8443: want ADDR:PORT or [IPv6]:PORT"},
        {"::1:8443", "listen address ::1:8443: want ADDR:PORT or [IPv6]:PORT"},
        {"[::1", "listen address [::1: want [IPv6]:PORT"},
        {"[::1]8443", "listen address [::1]8443: want [IPv6]:PORT"},
        {"127.0.0.1:", "listen address 127.0.0.1:: bad port"},
        {"127.0.0.1:x", "listen address 127.0.0.1:x: bad port"},
        {"127.0.0.1:-1", "listen address 127.0.0.1:-1: bad port"},
        {"127.0.0.1:65536", "listen address 127.0.0.1:65536: bad port"},
        {"127.0.0.1:84 43", "listen address 127.0.0.1:84 43: bad port"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct err err = {{0}};

        assert_int_equal(listen_socket(cases[i].spec, &err), -1);
        assert_string_equal(err.msg, cases[i].want);
    }
}

/* Port 0: the kernel picks one, and the name tells which. */
static void test_listen_name(void **state)
{
    struct err err = {{0}};
    char name[LISTEN_NAME_MAX];
    int fd;

    (void)state;
    fd = listen_socket("127.0.0.1:0", &err);
    assert_true(fd >= 0);
    listen_name(fd, "127.0.0.1:0", name, sizeof(name));
    assert_int_equal(strncmp(name, "127.0.0.1:", 10), 0);
    assert_string_not_equal(name, "127.0.0.1:0");
    close(fd);
    /* Not a socket: the spec it was opened for. */
    listen_name(-1, "127.0.0.1:0", name, sizeof(name));
    assert_string_equal(name, "127.0.0.1:0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_listen_refused),
        cmocka_unit_test(test_listen_name),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
