/* test_log.c - log lines: one JSON object a line, whatever the message
 * holds, and the review line's members. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/* stderr goes to a temporary file while a test runs; this reads it back. */
static FILE *captured;
static int saved_stderr = -1;

static int capture(void **state)
{
    (void)state;
    fflush(stderr);
    captured = tmpfile();
    saved_stderr = dup(fileno(stderr));
    if (captured == NULL || saved_stderr < 0 ||
        dup2(fileno(captured), fileno(stderr)) < 0)
        return -1;
    log_set_level(LOG_INFO);
    return 0;
}

static int release(void **state)
{
    (void)state;
    fflush(stderr);
    dup2(saved_stderr, fileno(stderr));
    close(saved_stderr);
    fclose(captured);
    return 0;
}

/* The one line written since capture, parsed; fails unless exactly one. */
static json_t *one_line(void)
{
    static char buf[8192];
    json_error_t jerr;
    size_t n;
    json_t *v;

    fflush(stderr);
    rewind(captured);
    n = fread(buf, 1, sizeof(buf) - 1, captured);
    buf[n] = '\0';
    assert_true(n > 0);
    assert_int_equal(buf[n - 1], '\n');
    assert_null(memchr(buf, '\n', n - 1));
    v = json_loadb(buf, n, 0, &jerr);
    if (v == NULL)
        fail_msg("not JSON (%s): %s", jerr.text, buf);
    assert_non_null(json_string_value(json_object_get(v, "level")));
    assert_int_equal(strlen(json_string_value(json_object_get(v, "time"))),
                     strlen("2026-11-28T06:13:36.827107Z"));
    return v;
}

static void test_log_msg_escapes(void **state)
{
    json_t *v;

    (void)state;
    log_msg(LOG_WARN, "a \"quoted\"\nline\twith \\ and \x01 in %s", "it");
    v = one_line();
    assert_string_equal(json_string_value(json_object_get(v, "level")), "warn");
    assert_string_equal(json_string_value(json_object_get(v, "msg")),
                        "a \"quoted\"\nline\twith \\ and \x01 in it");
    json_decref(v);
}

static void test_log_msg_not_utf8(void **state)
{
    json_t *v;

    (void)state;
    log_msg(LOG_ERROR, "bytes %s from the input", "\xff\xfe");
    v = one_line();
    assert_string_equal(json_string_value(json_object_get(v, "msg")),
                        "(message not valid UTF-8)");
    json_decref(v);
}

/* A message past 1023 bytes is cut; cut inside a UTF-8 sequence, it is
 * replaced rather than written invalid. */
static void test_log_msg_long(void **state)
{
    char long_msg[2000];
    json_t *v;

    (void)state;
    memset(long_msg, 'a', sizeof(long_msg) - 1);
    long_msg[sizeof(long_msg) - 1] = '\0';
    memcpy(long_msg + 1022, "\xc3\xa9", 2); /* é across the cut */
    log_msg(LOG_INFO, "%s", long_msg);
    v = one_line();
    assert_string_equal(json_string_value(json_object_get(v, "msg")),
                        "(message not valid UTF-8)");
    json_decref(v);
}

static void test_log_msg_below_level(void **state)
{
    char buf[16];

    (void)state;
    log_set_level(LOG_WARN);
    log_msg(LOG_INFO, "dropped");
    fflush(stderr);
    rewind(captured);
    assert_int_equal(fread(buf, 1, sizeof(buf), captured), 0);
}

/* The lines written since capture, parsed, into lines (at most cap). */
static size_t all_lines(json_t **lines, size_t cap)
{
    static char buf[65536];
    size_t n, count = 0;
    char *p, *nl;

    fflush(stderr);
    rewind(captured);
    n = fread(buf, 1, sizeof(buf) - 1, captured);
    buf[n] = '\0';
    for (p = buf; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
        assert_true(count < cap);
        lines[count] = json_loadb(p, (size_t)(nl - p), 0, NULL);
        assert_non_null(lines[count]);
        count++;
    }
    assert_true(*p == '\0'); /* every line ends with a newline */
    return count;
}

static const char *msg_of(const json_t *line)
{
    return json_string_value(json_object_get(line, "msg"));
}

/*
 * Error answers: 10 lines for each route and status, the others held back
 * and reported by log_tick() once it is final (or a second is quiet), each
 * route and status on its own; 500 at error, the others at warn; a route
 * not in the table is "other".
 */
static void test_log_http_error_limited(void **state)
{
    json_t *lines[64];
    size_t n, i, through = 0, other = 0;
    int k;

    (void)state;
    for (k = 0; k < 25; k++)
        log_http_error("/validate", 415, "Content-Type must be %s",
                       "application/json");
    log_http_error("/mutate", 415, "another route");
    log_http_error("/validate", 400, "another status");
    for (k = 0; k < 12; k++)
        log_http_error("/nowhere", 500, "boom %d", k);
    log_tick(0); /* nothing quiet for a second yet: nothing reported */
    n = all_lines(lines, 64);
    assert_int_equal(n, 10 + 1 + 1 + 10);
    log_tick(1); /* the process stops: everything held is reported */
    for (i = 0; i < n; i++)
        json_decref(lines[i]);
    n = all_lines(lines, 64);
    assert_int_equal(n, 10 + 1 + 1 + 10 + 2);
    for (i = 0; i < n; i++) {
        const char *m = msg_of(lines[i]);
        const char *level =
            json_string_value(json_object_get(lines[i], "level"));

        if (strcmp(m, "/validate: 415: Content-Type must be "
                      "application/json") == 0) {
            assert_string_equal(level, "warn");
            through++;
        } else if (strncmp(m, "other: 500: boom ", 17) == 0) {
            assert_string_equal(level, "error");
            other++;
        }
        json_decref(lines[i]);
    }
    assert_int_equal(through, 10);
    assert_int_equal(other, 10);
    n = all_lines(lines, 64);
    /* The two reports, in table order: /validate first, then other. */
    assert_non_null(strstr(msg_of(lines[n - 2]),
                           "/validate: 415: suppressed 15 similar lines in "
                           "the last "));
    assert_non_null(strstr(msg_of(lines[n - 1]),
                           "other: 500: suppressed 2 similar lines in the "
                           "last "));
    assert_string_equal(
        json_string_value(json_object_get(lines[n - 1], "level")), "error");
    for (i = 0; i < n; i++)
        json_decref(lines[i]);
    log_tick(1); /* reported once */
    n = all_lines(lines, 64);
    assert_int_equal(n, 24);
    for (i = 0; i < n; i++)
        json_decref(lines[i]);
}

/* A denied review: every member, the name from generateName, the reasons
 * and the denial's code and message. */
static void test_log_review_denied(void **state)
{
    json_t *req = json_pack("{s:{s:s, s:{s:s}, s:s, s:s, s:{s:{s:s}}}}",
                            "request", "uid", "u-1", "kind", "kind", "Pod",
                            "namespace", "team-a", "operation", "CREATE",
                            "object", "metadata", "generateName", "web-");
    json_t *answer = json_pack("{s:{s:b, s:{s:i, s:s}, s:[s]}}", "response",
                               "allowed", 0, "status", "code", 403, "message",
                               "container \"app\": denied", "warnings", "w");
    struct review_stats st;
    json_t *v;

    (void)state;
    memset(&st, 0, sizeof(st));
    st.denials[VERDICT_CROSS_PROJECT] = 1;
    st.warnings[VERDICT_LATEST] = 1;
    log_review(REVIEW_VALIDATE, req, answer, "denied", &st, 42);
    v = one_line();
    assert_string_equal(json_string_value(json_object_get(v, "msg")), "review");
    assert_string_equal(json_string_value(json_object_get(v, "uid")), "u-1");
    assert_string_equal(json_string_value(json_object_get(v, "endpoint")),
                        "validate");
    assert_string_equal(json_string_value(json_object_get(v, "kind")), "Pod");
    assert_string_equal(json_string_value(json_object_get(v, "namespace")),
                        "team-a");
    assert_string_equal(json_string_value(json_object_get(v, "name")), "web-");
    assert_string_equal(json_string_value(json_object_get(v, "operation")),
                        "CREATE");
    assert_string_equal(json_string_value(json_object_get(v, "decision")),
                        "denied");
    assert_int_equal(json_integer_value(json_object_get(v, "patch_ops")), 0);
    assert_int_equal(json_integer_value(json_object_get(v, "warnings")), 1);
    assert_int_equal(json_array_size(json_object_get(v, "reasons")), 2);
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(v, "reasons"), 0)),
        verdict_reason_name(VERDICT_CROSS_PROJECT));
    assert_int_equal(json_integer_value(json_object_get(v, "duration_us")), 42);
    assert_int_equal(json_integer_value(json_object_get(v, "code")), 403);
    assert_string_equal(json_string_value(json_object_get(v, "message")),
                        "container \"app\": denied");
    json_decref(v);
    json_decref(req);
    json_decref(answer);
}

/* An allowed review has no code or message; long fields are cut at a
 * UTF-8 boundary; missing ones are "". */
static void test_log_review_allowed_cut(void **state)
{
    char ns[300];
    json_t *req, *answer, *v;
    const char *got;

    (void)state;
    memset(ns, 'n', sizeof(ns));
    memcpy(ns + 252, "\xc3\xa9", 2); /* é across the 253-byte cut */
    ns[299] = '\0';
    req = json_pack("{s:{s:s, s:s, s:s}}", "request", "uid", "u-2", "name", "p",
                    "namespace", ns);
    answer = json_pack("{s:{s:b}}", "response", "allowed", 1);
    log_review(REVIEW_MUTATE, req, answer, "allowed", NULL, 7);
    v = one_line();
    got = json_string_value(json_object_get(v, "namespace"));
    assert_int_equal(strlen(got), 252);
    assert_string_equal(json_string_value(json_object_get(v, "kind")), "");
    assert_string_equal(json_string_value(json_object_get(v, "name")), "p");
    assert_null(json_object_get(v, "code"));
    assert_null(json_object_get(v, "message"));
    assert_int_equal(json_array_size(json_object_get(v, "reasons")), 0);
    json_decref(v);
    json_decref(req);
    json_decref(answer);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_log_msg_escapes, capture, release),
        cmocka_unit_test_setup_teardown(test_log_msg_not_utf8, capture,
                                        release),
        cmocka_unit_test_setup_teardown(test_log_msg_long, capture, release),
        cmocka_unit_test_setup_teardown(test_log_msg_below_level, capture,
                                        release),
        cmocka_unit_test_setup_teardown(test_log_http_error_limited, capture,
                                        release),
        cmocka_unit_test_setup_teardown(test_log_review_denied, capture,
                                        release),
        cmocka_unit_test_setup_teardown(test_log_review_allowed_cut, capture,
                                        release),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
