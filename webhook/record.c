/* record.c - serve --record-dir: every review written as a case file that
 * `image-policy-webhook test` replays. */
#include "record.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* How much of request.uid goes into a file name. */
#define RECORD_UID_MAX 64

struct record {
    int dirfd;
    atomic_ullong seq; /* cases written or tried: unique within a process */
};

struct record *record_open(const char *dir, struct err *err)
{
    struct record *r = NULL;
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
out:
    if (fd >= 0)
        close(fd);
    return r;
}

void record_close(struct record *r)
{
    if (r == NULL)
        return;
    close(r->dirfd);
    free(r);
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

int record_write(struct record *r, enum review_endpoint ep,
                 const json_t *request, const json_t *answer, char *name,
                 size_t cap, struct err *err)
{
    const char *endpoint = ep == REVIEW_MUTATE ? "mutate" : "validate";
    char final[256], tmp[300], uid[RECORD_UID_MAX + 1], when[32], iso[40];
    unsigned long long seq = atomic_fetch_add(&r->seq, 1);
    struct timespec ts;
    struct tm tm;
    json_t *c = NULL;
    char *text = NULL;
    int fd = -1, rc = -1, made = 0;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof(when), "%Y%m%dT%H%M%S", &tm);
    strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
    record_uid(json_string_value(
                   json_object_get(json_object_get(request, "request"), "uid")),
               uid, sizeof(uid));
    snprintf(final, sizeof(final), "%s.%06ldZ-%06llu-%s-%s.json", when,
             ts.tv_nsec / 1000, seq, endpoint, uid);
    /* Hidden and not *.json: `test` never reads a case half written. */
    snprintf(tmp, sizeof(tmp), ".%s.%ld.tmp", final, (long)getpid());
    c = json_pack("{s:s+, s:s, s:O, s:O}", "description",
                  "recorded by image-policy-webhook serve at ", iso, "endpoint",
                  endpoint, "request", request, "answer", answer);
    text = c != NULL ? json_dumps(c, JSON_INDENT(1)) : NULL;
    if (text == NULL) {
        err_set(err, "record %s: out of memory", final);
        goto out;
    }
    fd = openat(r->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        err_set(err, "record %s: %s", tmp, strerror(errno));
        goto out;
    }
    made = 1;
    if (record_write_all(fd, text, strlen(text)) != 0 ||
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
    if (renameat(r->dirfd, tmp, r->dirfd, final) != 0) {
        err_set(err, "record %s: %s", final, strerror(errno));
        goto out;
    }
    made = 0;
    if (name != NULL)
        snprintf(name, cap, "%s", final);
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    if (made)
        unlinkat(r->dirfd, tmp, 0);
    free(text);
    json_decref(c);
    return rc;
}
