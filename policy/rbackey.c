/* rbackey.c - keys of the RBAC index, short ones on the stack. */
#include "rbackey.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void rbackey_init(struct rbackey *k)
{
    k->p = k->small;
    k->len = 0;
    k->cap = sizeof(k->small);
    k->small[0] = '\0';
}

void rbackey_release(struct rbackey *k)
{
    if (k->p != k->small)
        free(k->p);
    rbackey_init(k);
}

int rbackey_cat(struct rbackey *k, const char *s, size_t n)
{
    if (n > SIZE_MAX / 2 - k->len)
        return -1;
    if (k->len + n + 1 > k->cap) {
        size_t ncap = k->cap * 2;
        char *np;

        if (ncap < k->len + n + 1)
            ncap = k->len + n + 1;
        np = malloc(ncap);
        if (np == NULL)
            return -1;
        memcpy(np, k->p, k->len);
        if (k->p != k->small)
            free(k->p);
        k->p = np;
        k->cap = ncap;
    }
    memcpy(k->p + k->len, s, n);
    k->len += n;
    k->p[k->len] = '\0';
    return 0;
}

int rbackey_str(struct rbackey *k, const char *s)
{
    return rbackey_cat(k, s, strlen(s));
}

int rbackey_pair(struct rbackey *k, const char *a, const char *b)
{
    k->len = 0;
    if (rbackey_str(k, a) != 0 || rbackey_cat(k, "", 1) != 0 ||
        rbackey_str(k, b) != 0)
        return -1;
    return 0;
}
