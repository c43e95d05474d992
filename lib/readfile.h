/* readfile.h - a whole file (a pipe or /dev/stdin too) into memory. */
#ifndef LIB_READFILE_H
#define LIB_READFILE_H

#include <stddef.h>

#include "err.h"

/*
 * Read the whole file path (a pipe or /dev/stdin too) into a new
 * NUL-terminated buffer (caller frees), at most max bytes; *len gets the
 * size. NULL with err naming the file; errno is then ENOENT when the file
 * does not exist, 0 for other failures after it was opened.
 */
char *readfile_all(const char *path, size_t max, size_t *len, struct err *err);

#endif
