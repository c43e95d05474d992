/* test_record.c - serve --record-dir: case files named, written whole, and
 * replayed by the same code as `test`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "record.h"
#include "replay.h"
#include "review.h"

/* A fresh directory name under /tmp (not made). */
static void tmp_name(char *buf, size_t cap, const char *what)
{
    static int n;

    snprintf(buf, cap, "/tmp/test_record.%ld.%d.%s", (long)getpid(), n++, what);
}

/* Remove dir and the files in it. */
static void rm_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[512];

    while (d != NULL && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' &&
            (e->d_name[1] == '\0' || strcmp(e->d_name, "..") == 0))
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        unlink(path);
    }
    if (d != NULL)
        closedir(d);
    rmdir(dir);
}

/* How many entries dir holds, and whether any is hidden (a temp file). */
static int count_files(const char *dir, int *hidden)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    *hidden = 0;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (e->d_name[0] == '.')
            (*hidden)++;
        n++;
    }
    closedir(d);
    return n;
}

static json_t *mk_review(const char *uid, const char *image)
{
    json_t *rv = json_pack(
        "{s:s, s:s, s:{s:s, s:{s:s, s:s, s:s}, s:s, s:s, "
        "s:{s:{s:[{s:s, s:s}]}}}}",
        "apiVersion", "admission.k8s.io/v1", "kind", "AdmissionReview",
        "request", "uid", uid, "kind", "group", "", "version", "v1", "kind",
        "Pod", "operation", "CREATE", "namespace", "project-a", "object",
        "spec", "containers", "name", "app", "image", image);

    assert_non_null(rv);
    return rv;
}

static void test_record_open(void **state)
{
    char dir[256], file[300];
    struct err err = {{0}};
    struct record *r;
    struct stat st;
    FILE *f;

    (void)state;
    tmp_name(dir, sizeof(dir), "open");
    r = record_open(dir, &err);
    assert_non_null(r);
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    record_close(r);
    /* An existing directory is fine; a file is not. */
    r = record_open(dir, &err);
    assert_non_null(r);
    record_close(r);
    snprintf(file, sizeof(file), "%s/a-file", dir);
    f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    assert_null(record_open(file, &err));
    assert_non_null(strstr(err.msg, "a-file"));
    record_close(NULL);
    rm_dir(dir);
}

static void test_record_write_and_replay(void **state)
{
    static const struct {
        const char *uid, *want_suffix;
        enum review_endpoint ep;
    } cases[] = {
        {"e85a2ffd-faa5", "-mutate-e85a2ffd-faa5.json", REVIEW_MUTATE},
        {"a/b c", "-validate-a_b_c.json", REVIEW_VALIDATE},
        {"", "-mutate-no-uid.json", REVIEW_MUTATE},
    };
    struct config *cfg = config_new_default();
    char dir[256], name[256], path[600], prev[256] = "";
    struct err err = {{0}};
    struct record *r;
    struct stat st;
    size_t i;
    int hidden;

    (void)state;
    tmp_name(dir, sizeof(dir), "write");
    r = record_open(dir, &err);
    assert_non_null(r);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *rv = mk_review(cases[i].uid, "nginx");
        json_t *ans = review_answer(cases[i].ep, rv, cfg, NULL, &err);
        json_t *c;
        size_t n;

        assert_non_null(ans);
        assert_int_equal(
            record_write(r, cases[i].ep, rv, ans, name, sizeof(name), &err), 0);
        n = strlen(name);
        assert_true(n > strlen(cases[i].want_suffix));
        assert_string_equal(name + n - strlen(cases[i].want_suffix),
                            cases[i].want_suffix);
        /* 20261128T040621.251305Z-000000-...: names sort by arrival */
        assert_true(strlen(name) > 31 && name[8] == 'T' && name[22] == 'Z');
        assert_true(strcmp(prev, name) < 0);
        snprintf(prev, sizeof(prev), "%s", name);
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        c = json_load_file(path, 0, NULL);
        assert_non_null(c);
        assert_int_equal(json_object_size(c), 4);
        assert_true(json_equal(json_object_get(c, "request"), rv));
        assert_true(json_equal(json_object_get(c, "answer"), ans));
        assert_string_equal(json_string_value(json_object_get(c, "endpoint")),
                            cases[i].ep == REVIEW_MUTATE ? "mutate"
                                                         : "validate");
        /* The file passes `test`, and fails it once tampered with. */
        err.msg[0] = '\0';
        assert_int_equal(replay_case(path, cfg, NULL, &err), 1);
        json_object_set_new(
            json_object_get(json_object_get(c, "answer"), "response"),
            "allowed", json_false());
        assert_int_equal(json_dump_file(c, path, 0), 0);
        assert_int_equal(replay_case(path, cfg, NULL, &err), 0);
        assert_non_null(strstr(err.msg, "/response/allowed"));
        json_decref(c);
        json_decref(ans);
        json_decref(rv);
    }
    assert_int_equal(count_files(dir, &hidden), 3);
    assert_int_equal(hidden, 0);
    record_close(r);
    rm_dir(dir);
    config_free(cfg);
}

static void test_record_write_fails_cleanly(void **state)
{
    char dir[256];
    struct err err = {{0}};
    struct record *r;
    json_t *rv = mk_review("u-1", "nginx");

    (void)state;
    tmp_name(dir, sizeof(dir), "gone");
    r = record_open(dir, &err);
    assert_non_null(r);
    rmdir(dir);
    assert_int_equal(record_write(r, REVIEW_MUTATE, rv, rv, NULL, 0, &err), -1);
    assert_non_null(strstr(err.msg, "record"));
    record_close(r);
    json_decref(rv);
}

/* What the writer thread reported. */
static atomic_int done_ok, done_failed;

static void count_done(void *arg, int ok, const struct err *err)
{
    (void)arg;
    if (ok) {
        assert_null(err);
        atomic_fetch_add(&done_ok, 1);
    } else {
        assert_non_null(err);
        assert_true(err->msg[0] != '\0');
        atomic_fetch_add(&done_failed, 1);
    }
}

struct submitter {
    struct record *r;
    int id;
};

#define SUBMITTERS 4
#define SUBMITS    50

static void *submit_many(void *arg)
{
    struct submitter *s = arg;
    char uid[32];
    int i;

    for (i = 0; i < SUBMITS; i++) {
        json_t *rv;

        snprintf(uid, sizeof(uid), "t%d-%d", s->id, i);
        rv = mk_review(uid, "nginx");
        record_submit(s->r, REVIEW_VALIDATE, rv, rv, 1000);
        json_decref(rv); /* the queue holds its own reference */
    }
    return NULL;
}

/* The writer thread: every case written or reported, all written by
 * record_close(), none half written. */
static void test_record_thread(void **state)
{
    static const size_t caps[] = {1024, 1}; /* room, and a queue of one */
    char dir[256];
    struct err err = {{0}};
    size_t k;

    (void)state;
    for (k = 0; k < 2; k++) {
        struct submitter s[SUBMITTERS];
        pthread_t t[SUBMITTERS];
        struct record *r;
        int i, hidden, files;

        atomic_store(&done_ok, 0);
        atomic_store(&done_failed, 0);
        tmp_name(dir, sizeof(dir), "thread");
        r = record_open(dir, &err);
        assert_non_null(r);
        assert_int_equal(
            record_start(r, caps[k], (size_t)1 << 20, count_done, NULL, &err),
            0);
        for (i = 0; i < SUBMITTERS; i++) {
            s[i].r = r;
            s[i].id = i;
            assert_int_equal(pthread_create(&t[i], NULL, submit_many, &s[i]),
                             0);
        }
        for (i = 0; i < SUBMITTERS; i++)
            pthread_join(t[i], NULL);
        record_close(r);
        assert_int_equal(atomic_load(&done_ok) + atomic_load(&done_failed),
                         SUBMITTERS * SUBMITS);
        files = count_files(dir, &hidden);
        assert_int_equal(files, atomic_load(&done_ok));
        assert_int_equal(hidden, 0);
        if (caps[k] == 1024)
            assert_int_equal(atomic_load(&done_failed), 0);
        rm_dir(dir);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_open),
        cmocka_unit_test(test_record_write_and_replay),
        cmocka_unit_test(test_record_write_fails_cleanly),
        cmocka_unit_test(test_record_thread),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
