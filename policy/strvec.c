/* strvec.c - a growable array of owned strings. */
#include "strvec.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void strvec_free(char **v, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

int strvec_push(char ***v, size_t *n, size_t *cap, const char *s)
{
    char *copy;

    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 4;
        char **nv;

        if (ncap > SIZE_MAX / sizeof(**v))
            return -1;
        nv = realloc(*v, ncap * sizeof(**v));
        if (nv == NULL)
            return -1;
        *v = nv;
        *cap = ncap;
    }
    copy = strdup(s);
    if (copy == NULL)
        return -1;
    (*v)[(*n)++] = copy;
    return 0;
}
