/* readfile.c - a whole file (a pipe or /dev/stdin too) into memory. */
#include "readfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *readfile_all(const char *path, size_t max, size_t *len, struct err *err)
{
    char *buf = NULL, *nbuf;
    size_t cap = 0, n = 0;
    int fd, saved;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        saved = errno;
        err_set(err, "%s: %s", path, strerror(saved));
        errno = saved; /* callers tell a missing file from a bad one */
        return NULL;
    }
    /* Read to the end rather than trust st_size: stdin and pipes work too,
     * and a file that grows while read is still capped at max. */
    for (;;) {
        ssize_t got;

        if (n + 1 >= cap) {
            cap = cap != 0 ? cap * 2 : 65536;
            if (cap > max + 2)
                cap = max + 2;
            nbuf = realloc(buf, cap);
            if (nbuf == NULL) {
                err_set(err, "%s: out of memory", path);
                goto fail;
            }
            buf = nbuf;
        }
        got = read(fd, buf + n, cap - n - 1);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            err_set(err, "%s: %s", path, strerror(errno));
            goto fail;
        }
        if (got == 0)
            break;
        n += (size_t)got;
        if (n > max) {
            err_set(err, "%s: larger than %zu bytes", path, max);
            goto fail;
        }
    }
    close(fd);
    buf[n] = '\0';
    *len = n;
    return buf;
fail:
    close(fd);
    free(buf);
    errno = 0;
    return NULL;
}
