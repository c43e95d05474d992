/* dynlib.c - a shared library loaded on first use, its functions by name. */
#include "dynlib.h"

#include <dlfcn.h>
#include <string.h>

/* POSIX (dlsym) makes a function's address fit a void *. */
_Static_assert(sizeof(void (*)(void)) == sizeof(void *),
               "function pointers are the size of void *");

int dynlib_load(struct dynlib *lib, struct err *err)
{
    void *h = NULL, *addr;
    const char *why;
    size_t i;
    int rc = -1;

    pthread_mutex_lock(&lib->lock);
    if (lib->handle != NULL) {
        rc = 0;
        goto out;
    }
    /* RTLD_LOCAL: its symbols are reached through the table only. */
    h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        why = dlerror();
        err_set(err, "cannot load %s: %s", lib->soname,
                why != NULL ? why : "dlopen failed");
        goto out;
    }
    /* Every address first, the table after: all or nothing. */
    for (i = 0; i < lib->nfns; i++) {
        dlerror();
        if (dlsym(h, lib->fns[i].name) == NULL) {
            why = dlerror();
            err_set(err, "cannot load %s: %s", lib->soname,
                    why != NULL ? why : lib->fns[i].name);
            dlclose(h);
            goto out;
        }
    }
    for (i = 0; i < lib->nfns; i++) {
        addr = dlsym(h, lib->fns[i].name);
        memcpy(lib->fns[i].slot, &addr, sizeof(addr));
    }
    lib->handle = h;
    rc = 0;
out:
    pthread_mutex_unlock(&lib->lock);
    return rc;
}
