/* cryptofn.c - libcrypto loaded on first use: the certs command alone. */
#define CRYPTOFN_NO_REDIRECT
#include "cryptofn.h"

#include "dynlib.h"

#ifndef CRYPTOFN_SONAME
#error "CRYPTOFN_SONAME: libcrypto's soname, from the Makefile"
#endif

struct cryptofn cryptofn;

static const struct dynlib_fn cryptofn_fns[] = {
#define CRYPTOFN_SLOT(f) {#f, &cryptofn.f},
    CRYPTOFN_LIST(CRYPTOFN_SLOT)
#undef CRYPTOFN_SLOT
};

static struct dynlib cryptofn_lib = DYNLIB_INIT(CRYPTOFN_SONAME, cryptofn_fns);

int cryptofn_load(struct err *err)
{
    return dynlib_load(&cryptofn_lib, err);
}
