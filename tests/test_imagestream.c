/* test_imagestream.c - tags that embed a date. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "imagestream.h"

static void test_imagestream_dated_tags(void **state)
{
    static const struct {
        const char *tag;
        int dated;
    } cases[] = {
        /* the forms OpenShift's "Managing images" chapter warns about */
        {"v2.0.1-may-2019", 1},
        {"20190501", 1},
        {"2019-05-01", 1},
        {"2019.05.01", 1},
        {"2019_05_01", 1},
        {"build-20190501", 1},
        {"20190501120000", 1},
        {"201905011200", 1},
        {"1.2.3-20231231", 1},
        {"release-Dec-2021", 1},
        {"2019may", 1},
        {"may2019", 1},
        {"2024-september", 1},
        /* version numbers, build numbers and plain words are not dates */
        {"latest", 0},
        {"v1", 0},
        {"1.25", 0},
        {"v2.0.1", 0},
        {"v20.10.2", 0},
        {"12345678", 0},
        {"20191301", 0}, /* month 13 */
        {"20190500", 0}, /* day 0 */
        {"18990101", 0}, /* before 1970 */
        {"2019-5-1", 0}, /* month and day must be two digits */
        {"2019-05_01", 0},
        {"may", 0},
        {"2019", 0},
        {"mayday-2019x", 0},
        {"1.36", 0},
        {"", 0},
        {"sha-0123456789", 0},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (imagestream_tag_is_dated(cases[i].tag) != cases[i].dated)
            fail_msg("tag %s: want dated=%d", cases[i].tag, cases[i].dated);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_imagestream_dated_tags),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
