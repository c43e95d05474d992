/* dynlib.h - a shared library loaded on first use, its functions by name. */
#ifndef LIB_DYNLIB_H
#define LIB_DYNLIB_H

#include <pthread.h>
#include <stddef.h>

#include "err.h"

/* One function to look up: where its address goes in the caller's table. */
struct dynlib_fn {
    const char *name; /* the symbol */
    void *slot;       /* the address of a function pointer of the table */
};

/* A library and its table; define one with DYNLIB_INIT, never copy it. */
struct dynlib {
    const char *soname;          /* as in DT_NEEDED: "libcurl.so.4" */
    const struct dynlib_fn *fns; /* borrowed; static */
    size_t nfns;
    pthread_mutex_t lock;
    void *handle; /* NULL until loaded; then never closed */
};

#define DYNLIB_INIT(soname, fns)                                               \
    {                                                                          \
        (soname), (fns), sizeof(fns) / sizeof((fns)[0]),                       \
            PTHREAD_MUTEX_INITIALIZER, NULL                                    \
    }

/*
 * Open lib->soname (dlopen, searched as the loader searches DT_NEEDED
 * names) and fill every slot of lib->fns, the first time; then return at
 * once. Safe from any thread. Everything the library needs is bound now,
 * so a missing library or function fails here, never at a later call.
 * 0, or -1 with err set to one line: "cannot load SONAME: " and dlerror()'s
 * text; the slots are then left as they were and a later call tries again.
 */
int dynlib_load(struct dynlib *lib, struct err *err);

#endif
