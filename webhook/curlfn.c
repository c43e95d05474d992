/* curlfn.c - libcurl loaded on first use: only --kube maps it and its own. */
#include "curlfn.h"

#include <assert.h>
#include <stdarg.h>

#include "dynlib.h"

/* Defined here as functions: see below. */
#undef curl_easy_setopt
#undef curl_easy_getinfo

#ifndef CURLFN_SONAME
#error "CURLFN_SONAME: libcurl's soname, from the Makefile"
#endif

/* Every libcurl function the project calls: a call to one not listed here
 * fails to link, the program having no libcurl to link it from. */
#define CURLFN_LIST(X)                                                         \
    X(curl_global_init)                                                        \
    X(curl_global_cleanup)                                                     \
    X(curl_easy_init)                                                          \
    X(curl_easy_cleanup)                                                       \
    X(curl_easy_reset)                                                         \
    X(curl_easy_setopt)                                                        \
    X(curl_easy_perform)                                                       \
    X(curl_easy_getinfo)                                                       \
    X(curl_easy_escape)                                                        \
    X(curl_easy_strerror)                                                      \
    X(curl_free)                                                               \
    X(curl_slist_append)                                                       \
    X(curl_slist_free_all)

/* Each member has the type <curl/curl.h> declares for its function. */
static struct {
#define CURLFN_MEMBER(f) __typeof__(f) *f;
    CURLFN_LIST(CURLFN_MEMBER)
#undef CURLFN_MEMBER
} curlfn;

static const struct dynlib_fn curlfn_fns[] = {
#define CURLFN_SLOT(f) {#f, &curlfn.f},
    CURLFN_LIST(CURLFN_SLOT)
#undef CURLFN_SLOT
};

static struct dynlib curlfn_lib = DYNLIB_INIT(CURLFN_SONAME, curlfn_fns);

int curlfn_load(struct err *err)
{
    struct err e = {{0}};

    if (dynlib_load(&curlfn_lib, &e) == 0)
        return 0;
    return err_set(err, "--kube needs libcurl: %s", e.msg);
}

/* libcurl's function f, loaded: calling one before curlfn_load() is a bug. */
#define CURLFN(f) (assert(curlfn.f != NULL), curlfn.f)

/*
 * The functions <curl/curl.h> declares, each calling libcurl's own. These
 * rather than macros: typecheck-gcc.h wraps curl_easy_setopt() and
 * curl_easy_getinfo() in macros that check each value's type against the
 * option and then call the function by its name.
 */
CURLcode curl_global_init(long flags)
{
    return CURLFN(curl_global_init)(flags);
}

void curl_global_cleanup(void)
{
    CURLFN(curl_global_cleanup)();
}

CURL *curl_easy_init(void)
{
    return CURLFN(curl_easy_init)();
}

void curl_easy_cleanup(CURL *curl)
{
    CURLFN(curl_easy_cleanup)(curl);
}

void curl_easy_reset(CURL *curl)
{
    CURLFN(curl_easy_reset)(curl);
}

/*
 * The value's type follows from the option's number, as libcurl reads it
 * (CURLOPTTYPE_*). A callback is passed on as a function pointer of another
 * type: every function pointer has the same representation where dlsym()
 * works, and libcurl reads it back as the type the caller gave.
 */
CURLcode curl_easy_setopt(CURL *curl, CURLoption option, ...)
{
    __typeof__(curl_easy_setopt) *set = CURLFN(curl_easy_setopt);
    va_list ap;
    CURLcode cc;

    va_start(ap, option);
    if (option < CURLOPTTYPE_OBJECTPOINT)
        cc = set(curl, option, va_arg(ap, long));
    else if (option < CURLOPTTYPE_FUNCTIONPOINT)
        cc = set(curl, option, va_arg(ap, void *));
    else if (option < CURLOPTTYPE_OFF_T)
        cc = set(curl, option, va_arg(ap, void (*)(void)));
    else if (option < CURLOPTTYPE_BLOB)
        cc = set(curl, option, va_arg(ap, curl_off_t));
    else
        cc = set(curl, option, va_arg(ap, struct curl_blob *));
    va_end(ap);
    return cc;
}

CURLcode curl_easy_perform(CURL *curl)
{
    return CURLFN(curl_easy_perform)(curl);
}

/* Every CURLINFO_* value is a pointer to where the answer goes. */
CURLcode curl_easy_getinfo(CURL *curl, CURLINFO info, ...)
{
    va_list ap;
    void *p;

    va_start(ap, info);
    p = va_arg(ap, void *);
    va_end(ap);
    return CURLFN(curl_easy_getinfo)(curl, info, p);
}

char *curl_easy_escape(CURL *curl, const char *string, int length)
{
    return CURLFN(curl_easy_escape)(curl, string, length);
}

const char *curl_easy_strerror(CURLcode code)
{
    return CURLFN(curl_easy_strerror)(code);
}

void curl_free(void *p)
{
    CURLFN(curl_free)(p);
}

struct curl_slist *curl_slist_append(struct curl_slist *list, const char *s)
{
    return CURLFN(curl_slist_append)(list, s);
}

void curl_slist_free_all(struct curl_slist *list)
{
    CURLFN(curl_slist_free_all)(list);
}
