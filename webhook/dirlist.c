/* dirlist.c - the names in a folder, sorted. */
#define _DEFAULT_SOURCE
#include "dirlist.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int dirlist_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **dirlist(const char *path, int (*want)(const char *name), size_t *n)
{
    DIR *d = opendir(path);
    struct dirent *e = NULL;
    char **names, **nn;
    size_t cap = 16;

    *n = 0;
    if (d == NULL)
        return NULL;
    names = malloc(cap * sizeof(*names));
    while (names != NULL && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
            (want != NULL && !want(e->d_name)))
            continue;
        if (*n == cap) {
            nn = realloc(names, 2 * cap * sizeof(*names));
            if (nn == NULL)
                break;
            names = nn;
            cap *= 2;
        }
        if ((names[*n] = strdup(e->d_name)) == NULL)
            break;
        (*n)++;
    }
    if (names == NULL || e != NULL) { /* out of memory */
        dirlist_free(names, *n);
        *n = 0;
        closedir(d);
        errno = ENOMEM;
        return NULL;
    }
    closedir(d);
    qsort(names, *n, sizeof(*names), dirlist_cmp);
    return names;
}

void dirlist_free(char **names, size_t n)
{
    size_t i;

    for (i = 0; names != NULL && i < n; i++)
        free(names[i]);
    free(names);
}
