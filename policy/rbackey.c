/* rbackey.c - keys of the RBAC index, short ones on the stack. */
#include "rbackey.h"

#include <string.h>

void rbackey_init(struct rbackey *k)
{
    strbuf_init_fixed(&k->b, k->small, sizeof(k->small));
}

void rbackey_release(struct rbackey *k)
{
    strbuf_free(&k->b);
}

int rbackey_str(struct rbackey *k, const char *s)
{
    return strbuf_add(&k->b, s, strlen(s));
}

int rbackey_pair(struct rbackey *k, const char *a, const char *b)
{
    strbuf_reset(&k->b);
    if (rbackey_str(k, a) != 0 || strbuf_add(&k->b, "", 1) != 0 ||
        rbackey_str(k, b) != 0)
        return -1;
    return 0;
}
