/* record.c - serve --record-dir: every review written as a case file that
 * `image-policy-webhook test` replays. */
#include "record.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "thread.h"

/* How much of request.uid goes into a file name. */
#define RECORD_UID_MAX 64

/* One review to write, named at its arrival. */
struct record_case {
    enum review_endpoint ep;
    json_t *request, *answer; /* owned while queued */
    size_t bytes;             /* of the request body, for the cap */
    struct timespec when;
    unsigned long long seq;
};

/* A case file in the directory. */
struct record_file {
    char *name;
    unsigned long long bytes;
};

struct record {
    int dirfd;
    atomic_ullong seq; /* cases named so far: unique within a process */
    /*
     * The case files in the directory, oldest (smallest name) first, read
     * once at open and kept current since: files[fhead .. fhead + nfiles). Caps
     * of 0 are none. files_mu guards these and orders the renames into place.
     */
    pthread_mutex_t files_mu;
    struct record_file *files;
    size_t fhead, nfiles, files_cap;
    unsigned long long disk_bytes;
    size_t keep_files;
    unsigned long long keep_bytes;
    /* The writer thread, once record_start() ran; mu guards what follows. */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct record_case *queue; /* a ring of max_cases */
    size_t max_cases, max_bytes, head, len, bytes;
    int started, stopping;
    pthread_t thread;
    record_done_fn done;
    void *arg;
};

int record_is_case_name(const char *name)
{
    /* '#' stands for a digit */
    static const char head[] = "########T######.######Z-";
    const char *p = name, *uid;
    size_t i, n;

    for (i = 0; head[i] != '\0'; i++, p++) {
        if (head[i] == '#' ? !(*p >= '0' && *p <= '9') : *p != head[i])
            return 0;
    }
    for (n = 0; *p >= '0' && *p <= '9'; p++)
        n++;
    if (n < 6 || *p++ != '-')
        return 0;
    if (strncmp(p, "mutate-", 7) == 0)
        p += 7;
    else if (strncmp(p, "validate-", 9) == 0)
        p += 9;
    else
        return 0;
    for (uid = p;
         (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
         (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_';
         p++)
        ;
    n = (size_t)(p - uid);
    return *p == '\0' && n > 5 && n - 5 <= RECORD_UID_MAX &&
           strcmp(p - 5, ".json") == 0;
}

/* Room for one more file in r->files; 0 or -1 on ENOMEM. */
static int record_files_reserve(struct record *r)
{
    struct record_file *nf;
    size_t ncap;

    if (r->fhead + r->nfiles < r->files_cap)
        return 0;
    if (r->fhead > 0) { /* the deleted ones left room at the front */
        memmove(r->files, r->files + r->fhead, r->nfiles * sizeof(*r->files));
        r->fhead = 0;
        if (r->nfiles < r->files_cap)
            return 0;
    }
    ncap = r->files_cap ? r->files_cap * 2 : 64;
    nf = realloc(r->files, ncap * sizeof(*nf));
    if (nf == NULL)
        return -1;
    r->files = nf;
    r->files_cap = ncap;
    return 0;
}

/* Add name (owned from now on) at its place by name; room reserved. */
static void record_files_insert(struct record *r, char *name,
                                unsigned long long bytes)
{
    struct record_file *f = r->files + r->fhead;
    size_t i = r->nfiles;

    /* Nearly always at the end: names sort by arrival. */
    while (i > 0 && strcmp(f[i - 1].name, name) > 0) {
        f[i] = f[i - 1];
        i--;
    }
    f[i].name = name;
    f[i].bytes = bytes;
    r->nfiles++;
    r->disk_bytes += bytes;
}

static int record_files_cmp(const void *a, const void *b)
{
    return strcmp(((const struct record_file *)a)->name,
                  ((const struct record_file *)b)->name);
}

/* Read the case files already in the directory, once. */
static int record_scan(struct record *r, const char *dir, struct err *err)
{
    int fd = openat(r->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *e;
    struct stat st;
    char *name;

    if (d == NULL) {
        if (fd >= 0)
            close(fd);
        return err_set(err, "record directory %s: %s", dir, strerror(errno));
    }
    while ((e = readdir(d)) != NULL) {
        if (!record_is_case_name(e->d_name) ||
            fstatat(r->dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISREG(st.st_mode))
            continue;
        if (record_files_reserve(r) != 0 ||
            (name = strdup(e->d_name)) == NULL) {
            closedir(d);
            return err_set(err, "out of memory");
        }
        r->files[r->nfiles].name = name;
        r->files[r->nfiles].bytes = (unsigned long long)st.st_size;
        r->nfiles++;
        r->disk_bytes += (unsigned long long)st.st_size;
    }
    closedir(d);
    if (r->nfiles > 1)
        qsort(r->files, r->nfiles, sizeof(*r->files), record_files_cmp);
    return 0;
}

struct record *record_open(const char *dir, size_t keep_files,
                           unsigned long long keep_bytes, struct err *err)
{
    struct record *r = NULL, *ret = NULL;
    struct stat st;
    int fd = -1;

    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        err_set(err, "record directory %s: %s", dir, strerror(errno));
        goto out;
    }
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0) {
        err_set(err, "record directory %s: %s", dir, strerror(errno));
        goto out;
    }
    if (faccessat(fd, ".", W_OK | X_OK, AT_EACCESS) != 0) {
        err_set(err, "record directory %s: not writable: %s", dir,
                strerror(errno));
        goto out;
    }
    r = calloc(1, sizeof(*r));
    if (r == NULL) {
        err_set(err, "out of memory");
        goto out;
    }
    r->dirfd = fd;
    fd = -1;
    atomic_init(&r->seq, 0);
    pthread_mutex_init(&r->files_mu, NULL);
    r->keep_files = keep_files;
    r->keep_bytes = keep_bytes;
    if ((keep_files > 0 || keep_bytes > 0) && record_scan(r, dir, err) != 0)
        goto out;
    ret = r;
    r = NULL;
out:
    if (fd >= 0)
        close(fd);
    record_close(r);
    return ret;
}

void record_usage(struct record *r, size_t *files, unsigned long long *bytes)
{
    pthread_mutex_lock(&r->files_mu);
    *files = r->nfiles;
    *bytes = r->disk_bytes;
    pthread_mutex_unlock(&r->files_mu);
}

/*
 * Delete the oldest case files until one more of bytes fits the caps;
 * files_mu held. The number deleted, or -1 with err set when one cannot be
 * (it stays counted: the caps hold whatever happens).
 */
static int record_make_room(struct record *r, unsigned long long bytes,
                            struct err *err)
{
    int rotated = 0;

    while (r->nfiles > 0 &&
           ((r->keep_files > 0 && r->nfiles + 1 > r->keep_files) ||
            (r->keep_bytes > 0 && r->disk_bytes + bytes > r->keep_bytes))) {
        struct record_file *f = &r->files[r->fhead];

        if (unlinkat(r->dirfd, f->name, 0) == 0)
            rotated++;
        else if (errno != ENOENT) /* ENOENT: gone already, not counted */
            return err_set(err, "record: cannot delete the old case %s: %s",
                           f->name, strerror(errno));
        r->disk_bytes -= f->bytes;
        free(f->name);
        r->fhead++;
        r->nfiles--;
    }
    return rotated;
}

/* Bytes of uid that are safe in a file name; others become '_'. */
static void record_uid(const char *uid, char *out, size_t cap)
{
    size_t i;

    for (i = 0; uid != NULL && uid[i] != '\0' && i + 1 < cap; i++) {
        char c = uid[i];

        out[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '-' || c == '.' ||
                         c == '_'
                     ? c
                     : '_';
    }
    out[i] = '\0';
    if (i == 0)
        snprintf(out, cap, "no-uid");
}

/* Write all of buf to fd; 0 or -1 with errno set. */
static int record_write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Name a case now: its arrival time and the next sequence number. */
static void record_name_now(struct record *r, struct record_case *c)
{
    clock_gettime(CLOCK_REALTIME, &c->when);
    c->seq = atomic_fetch_add(&r->seq, 1);
}

static int record_write_case(struct record *r, const struct record_case *item,
                             char *name, size_t cap, unsigned *rotated,
                             struct err *err)
{
    const char *endpoint = item->ep == REVIEW_MUTATE ? "mutate" : "validate";
    const json_t *request = item->request, *answer = item->answer;
    char final[256], tmp[300], uid[RECORD_UID_MAX + 1], when[32], iso[40];
    unsigned long long seq = item->seq, bytes;
    struct timespec ts = item->when;
    struct tm tm;
    json_t *c = NULL;
    char *text = NULL, *kept = NULL;
    int fd = -1, rc = -1, made = 0, locked = 0, n;

    *rotated = 0;
    gmtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof(when), "%Y%m%dT%H%M%S", &tm);
    strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
    record_uid(json_string_value(
                   json_object_get(json_object_get(request, "request"), "uid")),
               uid, sizeof(uid));
    snprintf(final, sizeof(final), "%s.%06ldZ-%06llu-%s-%s.json", when,
             ts.tv_nsec / 1000, seq, endpoint, uid);
    /* Hidden and not *.json: `test` never reads a case half written, and
     * rotation never deletes one. */
    snprintf(tmp, sizeof(tmp), ".%s.%ld.tmp", final, (long)getpid());
    c = json_pack("{s:s+, s:s, s:O, s:O}", "description",
                  "recorded by image-policy-webhook serve at ", iso, "endpoint",
                  endpoint, "request", request, "answer", answer);
    text = c != NULL ? json_dumps(c, JSON_INDENT(1)) : NULL;
    kept = strdup(final);
    if (text == NULL || kept == NULL) {
        err_set(err, "record %s: out of memory", final);
        goto out;
    }
    bytes = (unsigned long long)strlen(text) + 1;
    if (r->keep_bytes > 0 && bytes > r->keep_bytes) {
        err_set(err,
                "record %s: %llu bytes, more than the directory may hold "
                "(%llu)",
                final, bytes, r->keep_bytes);
        goto out;
    }
    fd = openat(r->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        err_set(err, "record %s: %s", tmp, strerror(errno));
        goto out;
    }
    made = 1;
    if (record_write_all(fd, text, (size_t)bytes - 1) != 0 ||
        record_write_all(fd, "\n", 1) != 0) {
        err_set(err, "record %s: %s", tmp, strerror(errno));
        goto out;
    }
    if (close(fd) != 0) {
        fd = -1;
        err_set(err, "record %s: %s", tmp, strerror(errno));
        goto out;
    }
    fd = -1;
    /* Written whole: now make room, then put it in place. */
    pthread_mutex_lock(&r->files_mu);
    locked = 1;
    if (record_files_reserve(r) != 0) {
        err_set(err, "record %s: out of memory", final);
        goto out;
    }
    n = record_make_room(r, bytes, err);
    if (n < 0)
        goto out;
    *rotated = (unsigned)n;
    if (renameat(r->dirfd, tmp, r->dirfd, final) != 0) {
        err_set(err, "record %s: %s", final, strerror(errno));
        goto out;
    }
    made = 0;
    /* The room reserved above is still there: deleting frees slots. */
    record_files_insert(r, kept, bytes);
    kept = NULL;
    if (name != NULL)
        snprintf(name, cap, "%s", final);
    rc = 0;
out:
    if (locked)
        pthread_mutex_unlock(&r->files_mu);
    if (fd >= 0)
        close(fd);
    if (made)
        unlinkat(r->dirfd, tmp, 0);
    free(kept);
    free(text);
    json_decref(c);
    return rc;
}

int record_write(struct record *r, enum review_endpoint ep,
                 const json_t *request, const json_t *answer, char *name,
                 size_t cap, struct err *err)
{
    struct record_case c;
    unsigned rotated;

    memset(&c, 0, sizeof(c));
    c.ep = ep;
    c.request = (json_t *)(uintptr_t)request;
    c.answer = (json_t *)(uintptr_t)answer;
    record_name_now(r, &c);
    return record_write_case(r, &c, name, cap, &rotated, err);
}

static void *record_main(void *arg)
{
    struct record *r = arg;
    struct record_case c;

    for (;;) {
        struct err err = {{0}};
        unsigned rotated;
        int ok;

        pthread_mutex_lock(&r->mu);
        while (r->len == 0 && !r->stopping)
            pthread_cond_wait(&r->cv, &r->mu);
        if (r->len == 0) { /* stopping, and nothing left */
            pthread_mutex_unlock(&r->mu);
            break;
        }
        c = r->queue[r->head];
        r->head = (r->head + 1) % r->max_cases;
        r->len--;
        r->bytes -= c.bytes;
        pthread_mutex_unlock(&r->mu);
        ok = record_write_case(r, &c, NULL, 0, &rotated, &err) == 0;
        json_decref(c.request);
        json_decref(c.answer);
        if (r->done != NULL)
            r->done(r->arg, ok, rotated, ok ? NULL : &err);
    }
    return NULL;
}

int record_start(struct record *r, size_t max_cases, size_t max_bytes,
                 record_done_fn done, void *arg, struct err *err)
{
    if (r->started)
        return 0;
    r->queue = calloc(max_cases > 0 ? max_cases : 1, sizeof(*r->queue));
    if (r->queue == NULL)
        return err_set(err, "out of memory");
    r->max_cases = max_cases > 0 ? max_cases : 1;
    r->max_bytes = max_bytes;
    r->done = done;
    r->arg = arg;
    if (pthread_mutex_init(&r->mu, NULL) != 0)
        goto fail;
    if (pthread_cond_init(&r->cv, NULL) != 0) {
        pthread_mutex_destroy(&r->mu);
        goto fail;
    }
    if (thread_start(&r->thread, record_main, r) != 0) {
        pthread_cond_destroy(&r->cv);
        pthread_mutex_destroy(&r->mu);
        goto fail;
    }
    r->started = 1;
    return 0;
fail:
    free(r->queue);
    r->queue = NULL;
    return err_set(err, "cannot start the record thread");
}

void record_submit(struct record *r, enum review_endpoint ep, json_t *request,
                   json_t *answer, size_t bytes)
{
    struct record_case c;
    struct err err = {{0}};
    size_t waiting = 0, waiting_bytes = 0;
    unsigned rotated = 0;
    int full;

    memset(&c, 0, sizeof(c));
    c.ep = ep;
    c.bytes = bytes;
    record_name_now(r, &c);
    c.request = request;
    c.answer = answer;
    if (!r->started) {
        full = record_write_case(r, &c, NULL, 0, &rotated, &err) != 0;
        json_decref(request);
        json_decref(answer);
        if (r->done != NULL)
            r->done(r->arg, !full, rotated, full ? &err : NULL);
        return;
    }
    pthread_mutex_lock(&r->mu);
    /* One case always fits an empty queue, however large. */
    full = r->len == r->max_cases ||
           (r->len > 0 && bytes > r->max_bytes - r->bytes) ||
           r->bytes > r->max_bytes;
    if (!full) {
        r->queue[(r->head + r->len) % r->max_cases] = c;
        r->len++;
        r->bytes += bytes;
        pthread_cond_signal(&r->cv);
    } else {
        waiting = r->len;
        waiting_bytes = r->bytes;
    }
    pthread_mutex_unlock(&r->mu);
    if (full) {
        json_decref(request);
        json_decref(answer);
    }
    if (full && r->done != NULL) {
        err_set(&err,
                "record queue full (%zu cases, %zu bytes waiting): the disk "
                "is slower than the reviews",
                waiting, waiting_bytes);
        r->done(r->arg, 0, 0, &err);
    }
}

void record_close(struct record *r)
{
    size_t i;

    if (r == NULL)
        return;
    if (r->started) {
        pthread_mutex_lock(&r->mu);
        r->stopping = 1;
        pthread_cond_signal(&r->cv);
        pthread_mutex_unlock(&r->mu);
        pthread_join(r->thread, NULL);
        pthread_cond_destroy(&r->cv);
        pthread_mutex_destroy(&r->mu);
        free(r->queue);
    }
    for (i = 0; i < r->nfiles; i++)
        free(r->files[r->fhead + i].name);
    free(r->files);
    pthread_mutex_destroy(&r->files_mu);
    close(r->dirfd);
    free(r);
}
