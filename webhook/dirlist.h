/* dirlist.h - the names in a folder, sorted. */
#ifndef WEBHOOK_DIRLIST_H
#define WEBHOOK_DIRLIST_H

#include <stddef.h>

/*
 * The names of the entries of folder path that want() accepts (want NULL:
 * every one but "." and ".."), sorted by strcmp(), in a new array of new
 * strings that the caller frees with dirlist_free(); *n gets how many. NULL
 * with errno set when the folder cannot be read or memory runs out (an
 * empty folder gives a list with *n 0).
 */
char **dirlist(const char *path, int (*want)(const char *name), size_t *n);

void dirlist_free(char **names, size_t n);

#endif
