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
    r = record_open(dir, 0, 0, &err);
    assert_non_null(r);
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    record_close(r);
    /* An existing directory is fine; a file is not. */
    r = record_open(dir, 0, 0, &err);
    assert_non_null(r);
    record_close(r);
    snprintf(file, sizeof(file), "%s/a-file", dir);
    f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    assert_null(record_open(file, 0, 0, &err));
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
    r = record_open(dir, 0, 0, &err);
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
    r = record_open(dir, 0, 0, &err);
    assert_non_null(r);
    rmdir(dir);
    assert_int_equal(record_write(r, REVIEW_MUTATE, rv, rv, NULL, 0, &err), -1);
    assert_non_null(strstr(err.msg, "record"));
    record_close(r);
    json_decref(rv);
}

/* What the writer thread reported. */
static atomic_int done_ok, done_failed, done_rotated;

static void count_done(void *arg, int ok, unsigned rotated,
                       const struct err *err)
{
    (void)arg;
    atomic_fetch_add(&done_rotated, (int)rotated);
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
        /* Both references the queue's now. */
        record_submit(s->r, REVIEW_VALIDATE, rv, json_incref(rv), 1000);
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
        atomic_store(&done_rotated, 0);
        tmp_name(dir, sizeof(dir), "thread");
        r = record_open(dir, 0, 0, &err);
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
        assert_int_equal(atomic_load(&done_rotated), 0); /* no caps */
        rm_dir(dir);
    }
}

static void test_record_case_name(void **state)
{
    static const struct {
        const char *name;
        int want;
    } cases[] = {
        {"20261128T040621.251305Z-000001-validate-e85a2ffd-faa5.json", 1},
        {"20261128T040621.251305Z-000000-mutate-no-uid.json", 1},
        {"20261128T040621.251305Z-1234567-mutate-a_b.c-d.json", 1},
        {"20261128T040621.251305Z-000001-mutate-x.json.json", 1},
        /* 64 characters of uid, the most a name gets */
        {"20261128T040621.251305Z-000001-mutate-"
         "0123456789012345678901234567890123456789012345678901234567890123"
         ".json",
         1},
        {"20261128T040621.251305Z-000001-mutate-"
         "01234567890123456789012345678901234567890123456789012345678901234"
         ".json",
         0},
        /* the temporary file a case is written to first */
        {".20261128T040621.251305Z-000001-mutate-x.json.4242.tmp", 0},
        {"20261128T040621.251305Z-000001-mutate-x.json.bak", 0},
        {"20261128T040621.251305Z-000001-mutate-.json", 0},
        {"20261128T040621.251305Z-000001-mutate-x.jso", 0},
        {"20261128T040621.251305Z-000001-patch-x.json", 0},
        {"20261128T040621.251305Z-00001-mutate-x.json", 0},
        {"20261128T040621.251305Z000001-mutate-x.json", 0},
        {"20261128T040621.25130Z-000001-mutate-x.json", 0},
        {"2026112aT040621.251305Z-000001-mutate-x.json", 0},
        {"20261128T040621.251305Z-000001-mutate-a/b.json", 0},
        {"20261128T040621.251305Z-000001-mutate-a b.json", 0},
        {"case.json", 0},
        {"", 0},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (record_is_case_name(cases[i].name) != cases[i].want)
            fail_msg("%s: want %d", cases[i].name, cases[i].want);
}

/* Write len bytes of 'x' to dir/name. */
static void put_file(const char *dir, const char *name, size_t len)
{
    char path[512];
    FILE *f;
    size_t i;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    for (i = 0; i < len; i++)
        fputc('x', f);
    fclose(f);
}

static int exists(const char *dir, const char *name)
{
    char path[512];
    struct stat st;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return lstat(path, &st) == 0;
}

/* The case file names in dir, sorted, and their bytes in all. */
static size_t case_files(const char *dir, char names[][256], size_t cap,
                         unsigned long long *bytes)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    struct stat st;
    char path[512];
    size_t n = 0, i, j;

    *bytes = 0;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (!record_is_case_name(e->d_name) || lstat(path, &st) != 0 ||
            !S_ISREG(st.st_mode))
            continue;
        assert_true(n < cap);
        snprintf(names[n++], 256, "%s", e->d_name);
        *bytes += (unsigned long long)st.st_size;
    }
    closedir(d);
    for (i = 1; i < n; i++) /* insertion sort: a few names */
        for (j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char t[256];

            memcpy(t, names[j], 256);
            memcpy(names[j], names[j - 1], 256);
            memcpy(names[j - 1], t, 256);
        }
    return n;
}

/* What is in a record directory besides our cases: never deleted. */
static const char *const foreign[] = {
    "README",
    "20261128T040621.251305Z-000001-validate-x.json.bak",
    ".20261128T040621.251305Z-000001-mutate-x.json.4242.tmp",
    "20261128T040621.251305Z-000001-patch-x.json",
};
/* Names of the pattern that are not regular files: not ours either. */
#define FOREIGN_DIR  "00000000T000000.000000Z-000000-mutate-a-dir.json"
#define FOREIGN_LINK "00000000T000000.000000Z-000001-mutate-a-link.json"

static void put_foreign(const char *dir, const char *target)
{
    char path[512];
    size_t i;

    for (i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++)
        put_file(dir, foreign[i], 10);
    snprintf(path, sizeof(path), "%s/%s", dir, FOREIGN_DIR);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof(path), "%s/%s", dir, FOREIGN_LINK);
    assert_int_equal(symlink(target, path), 0);
}

static void check_foreign(const char *dir, const char *target)
{
    size_t i;
    struct stat st;

    for (i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++)
        assert_true(exists(dir, foreign[i]));
    assert_true(exists(dir, FOREIGN_DIR));
    assert_true(exists(dir, FOREIGN_LINK));
    assert_int_equal(stat(target, &st), 0);
}

/* Remove what put_foreign() made that rm_dir() does not. */
static void rm_foreign(const char *dir)
{
    char path[512];

    snprintf(path, sizeof(path), "%s/%s", dir, FOREIGN_DIR);
    rmdir(path);
}

/* Submit n reviews uid PREFIX-i through the writer thread; wait for them. */
static void record_n(struct record *r, const char *prefix, int n)
{
    char uid[64];
    int i;

    for (i = 0; i < n; i++) {
        json_t *rv;

        snprintf(uid, sizeof(uid), "%s-%d", prefix, i);
        rv = mk_review(uid, "nginx");
        record_submit(r, REVIEW_MUTATE, rv, json_incref(rv), 100);
    }
}

/*
 * --record-max-files: cases already there count, the oldest go first as
 * new ones come, the count never passes the cap, and nothing that is not a
 * case file is touched.
 */
static void test_record_rotates_by_files(void **state)
{
    static char names[64][256];
    char dir[256], target[256], want[64];
    struct err err = {{0}};
    unsigned long long bytes, counted;
    struct record *r;
    size_t n, files;
    int i;

    (void)state;
    tmp_name(dir, sizeof(dir), "rotate-files");
    tmp_name(target, sizeof(target), "link-target");
    assert_int_equal(mkdir(dir, 0700), 0);
    put_file("/tmp", strrchr(target, '/') + 1, 5);
    put_foreign(dir, target);
    /* Three cases of an earlier run, older than any new one. */
    put_file(dir, "20200101T000000.000000Z-000000-mutate-old-0.json", 100);
    put_file(dir, "20200101T000000.000000Z-000001-validate-old-1.json", 200);
    put_file(dir, "20200101T000001.000000Z-000002-mutate-old-2.json", 300);
    r = record_open(dir, 5, 0, &err);
    assert_non_null(r);
    record_usage(r, &files, &bytes);
    assert_int_equal(files, 3);
    assert_int_equal(bytes, 600);
    atomic_store(&done_ok, 0);
    atomic_store(&done_failed, 0);
    atomic_store(&done_rotated, 0);
    assert_int_equal(record_start(r, 64, 1 << 20, count_done, NULL, &err), 0);
    record_n(r, "new", 2); /* 5 cases: nothing to delete yet */
    record_close(r);
    assert_int_equal(atomic_load(&done_rotated), 0);
    assert_int_equal(case_files(dir, names, 64, &counted), 5);

    r = record_open(dir, 5, 0, &err);
    assert_non_null(r);
    atomic_store(&done_ok, 0);
    assert_int_equal(record_start(r, 64, 1 << 20, count_done, NULL, &err), 0);
    record_n(r, "next", 10);
    record_usage(r, &files, &bytes);
    assert_true(files <= 5);
    record_close(r);
    assert_int_equal(atomic_load(&done_ok), 10);
    assert_int_equal(atomic_load(&done_failed), 0);
    /* 5 there + 10 new - 5 kept */
    assert_int_equal(atomic_load(&done_rotated), 10);
    n = case_files(dir, names, 64, &counted);
    assert_int_equal(n, 5);
    for (i = 0; i < 5; i++) { /* the five newest: next-5 to next-9 */
        size_t l = strlen(names[i]);

        snprintf(want, sizeof(want), "-mutate-next-%d.json", 5 + i);
        assert_true(l > strlen(want));
        assert_string_equal(names[i] + l - strlen(want), want);
    }
    check_foreign(dir, target);

    /* Order is by name, not by arrival in this process: a case named
     * later than the new ones (a clock set back since) is the newest. */
    put_file(dir, "29991231T235959.000000Z-000000-mutate-future.json", 10);
    r = record_open(dir, 3, 0, &err);
    assert_non_null(r);
    assert_int_equal(record_start(r, 64, 1 << 20, count_done, NULL, &err), 0);
    record_n(r, "last", 4);
    record_close(r);
    n = case_files(dir, names, 64, &counted);
    assert_int_equal(n, 3);
    assert_non_null(strstr(names[0], "-mutate-last-2.json"));
    assert_non_null(strstr(names[1], "-mutate-last-3.json"));
    assert_non_null(strstr(names[2], "-mutate-future.json"));
    check_foreign(dir, target);
    rm_foreign(dir);
    rm_dir(dir);
    unlink(target);
}

/*
 * --record-max-bytes: the bytes of the case files never pass the cap, the
 * count kept in memory is what is on disk, and a case larger than the cap
 * alone is refused without deleting anything.
 */
static void test_record_rotates_by_bytes(void **state)
{
    static char names[64][256];
    char dir[256], name[256];
    struct err err = {{0}};
    unsigned long long bytes, counted, one;
    struct record *r;
    size_t files, n;
    json_t *rv = mk_review("size-probe", "nginx");
    int i;

    (void)state;
    /* How large one case is. */
    tmp_name(dir, sizeof(dir), "rotate-probe");
    r = record_open(dir, 0, 1 << 20, &err);
    assert_non_null(r);
    assert_int_equal(
        record_write(r, REVIEW_MUTATE, rv, rv, name, sizeof(name), &err), 0);
    record_usage(r, &files, &one);
    assert_int_equal(files, 1);
    record_close(r);
    rm_dir(dir);

    tmp_name(dir, sizeof(dir), "rotate-bytes");
    /* Room for three and a half cases of that size. */
    r = record_open(dir, 0, one * 7 / 2, &err);
    assert_non_null(r);
    for (i = 0; i < 12; i++) {
        assert_int_equal(
            record_write(r, REVIEW_MUTATE, rv, rv, name, sizeof(name), &err),
            0);
        record_usage(r, &files, &bytes);
        n = case_files(dir, names, 64, &counted);
        assert_int_equal(n, files);
        assert_int_equal(counted, bytes);
        assert_true(bytes <= one * 7 / 2);
        assert_int_equal(files, i < 3 ? i + 1 : 3);
        /* the newest is the one just written */
        assert_string_equal(names[n - 1], name);
    }
    record_close(r);
    /* A cap below one case: refused, nothing deleted. */
    r = record_open(dir, 0, one - 1, &err);
    assert_non_null(r);
    err.msg[0] = '\0';
    assert_int_equal(record_write(r, REVIEW_MUTATE, rv, rv, NULL, 0, &err), -1);
    assert_non_null(strstr(err.msg, "more than the directory may hold"));
    record_usage(r, &files, &bytes);
    assert_int_equal(files, 3);
    assert_int_equal(case_files(dir, names, 64, &counted), 3);
    record_close(r);
    rm_dir(dir);
    json_decref(rv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_open),
        cmocka_unit_test(test_record_write_and_replay),
        cmocka_unit_test(test_record_write_fails_cleanly),
        cmocka_unit_test(test_record_thread),
        cmocka_unit_test(test_record_case_name),
        cmocka_unit_test(test_record_rotates_by_files),
        cmocka_unit_test(test_record_rotates_by_bytes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
