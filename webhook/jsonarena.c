/* jsonarena.c - the JSON values of one request, from a per-thread arena. */
/*
 * jansson allocates every value, key and string of a parsed review apart,
 * and frees them one by one again: with malloc that is about a fifth of
 * the server's time. Here they are cut from a per-thread block instead, and
 * the block is emptied whole at the end of the request. The blocks are one
 * reservation, so that jsonarena_free() tells an arena pointer from a
 * malloc'd one by its address alone, on any thread. A thread without a
 * block (the list and watch client's) can map one of its own for a while
 * (jsonarena_map), known to jsonarena_free() on that thread only.
 *
 * jansson's allocator is set once, before any thread starts
 * (jsonarena_install): json_set_alloc_funcs() writes two pointers that every
 * thread's jansson reads, and a thread that saw the new malloc and the old
 * free would hand an arena pointer to free(). The region can be reserved
 * later, with the list and watch threads already running: its size is
 * published after its address, and read before it.
 */
#define _GNU_SOURCE

#include "jsonarena.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#if defined(__has_include)
#if __has_include(<sanitizer/asan_interface.h>)
#include <sanitizer/asan_interface.h>
#endif
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#endif
#endif
#ifndef ASAN_POISON_MEMORY_REGION
#define ASAN_POISON_MEMORY_REGION(p, n)   ((void)(p), (void)(n))
#define ASAN_UNPOISON_MEMORY_REGION(p, n) ((void)(p), (void)(n))
#endif
#ifndef VALGRIND_MAKE_MEM_NOACCESS
#define VALGRIND_MAKE_MEM_NOACCESS(p, n)  ((void)(p), (void)(n))
#define VALGRIND_MAKE_MEM_UNDEFINED(p, n) ((void)(p), (void)(n))
#endif

#define JSONARENA_ALIGN 16 /* what malloc gives */

/* Under AddressSanitizer a poisoned gap follows each value, so that a read
 * past one is caught as it would be with malloc. */
#if defined(__SANITIZE_ADDRESS__)
#define JSONARENA_REDZONE 16
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define JSONARENA_REDZONE 16
#endif
#endif
#ifndef JSONARENA_REDZONE
#define JSONARENA_REDZONE 0
#endif

/* Set once by jsonarena_init, read-only afterwards; the size last. */
static char *jsonarena_region;
static atomic_size_t jsonarena_region_size; /* 0 until reserved */
static size_t jsonarena_slot_size;
static unsigned jsonarena_slots;
static atomic_uint jsonarena_claimed;
static atomic_flag jsonarena_once = ATOMIC_FLAG_INIT;
static atomic_flag jsonarena_installed = ATOMIC_FLAG_INIT;

/* This thread's arena: its start (claimed on first use), and while a
 * request runs, the next free byte and the end. */
static _Thread_local char *jsonarena_base;
static _Thread_local int
    jsonarena_none; /* every arena taken by other threads */
static _Thread_local char *jsonarena_next;
static _Thread_local char *jsonarena_end_of;
/* This thread's mapping from jsonarena_map(), until jsonarena_unmap(). */
static _Thread_local char *jsonarena_map_base;
static _Thread_local size_t jsonarena_map_size;

static void *jsonarena_malloc(size_t n)
{
    char *p = jsonarena_next;
    size_t need = ((n + JSONARENA_ALIGN - 1) & ~(size_t)(JSONARENA_ALIGN - 1)) +
                  JSONARENA_REDZONE;

    if (n == 0)
        need = JSONARENA_ALIGN + JSONARENA_REDZONE;
    if (p != NULL && need >= n && need <= (size_t)(jsonarena_end_of - p)) {
        jsonarena_next = p + need;
        ASAN_UNPOISON_MEMORY_REGION(p, n);
        VALGRIND_MAKE_MEM_UNDEFINED(p, n);
        return p;
    }
    return malloc(n);
}

static void jsonarena_free(void *p)
{
    size_t size =
        atomic_load_explicit(&jsonarena_region_size, memory_order_acquire);

    if (size != 0 && (uintptr_t)p - (uintptr_t)jsonarena_region < size)
        return; /* emptied whole by jsonarena_end */
    if ((uintptr_t)p - (uintptr_t)jsonarena_map_base < jsonarena_map_size)
        return; /* given back whole by jsonarena_unmap */
    free(p);
}

void jsonarena_install(void)
{
    if (!atomic_flag_test_and_set(&jsonarena_installed))
        json_set_alloc_funcs(jsonarena_malloc, jsonarena_free);
}

int jsonarena_init(unsigned threads, size_t bytes, struct err *err)
{
    size_t page = 4096, slot, total;
    void *p;

    if (atomic_flag_test_and_set(&jsonarena_once))
        return 0;
    slot = (bytes + page - 1) & ~(page - 1);
    if (threads == 0 || slot == 0 || slot > SIZE_MAX / threads)
        return err_set(err, "json arena: %u threads of %zu bytes", threads,
                       bytes);
    total = slot * threads;
    p = mmap(NULL, total, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return err_set(err, "json arena: cannot reserve %zu bytes", total);
    ASAN_POISON_MEMORY_REGION(p, total);
    VALGRIND_MAKE_MEM_NOACCESS(p, total);
    jsonarena_region = p;
    jsonarena_slot_size = slot;
    jsonarena_slots = threads;
    atomic_store_explicit(&jsonarena_region_size, total, memory_order_release);
    jsonarena_install();
    return 0;
}

void jsonarena_begin(void)
{
    if (jsonarena_base == NULL && !jsonarena_none) {
        unsigned i;

        if (atomic_load_explicit(&jsonarena_region_size,
                                 memory_order_acquire) == 0)
            return;
        i = atomic_fetch_add(&jsonarena_claimed, 1);
        if (i >= jsonarena_slots) {
            jsonarena_none = 1;
            return;
        }
        jsonarena_base = jsonarena_region + (size_t)i * jsonarena_slot_size;
    }
    if (jsonarena_base == NULL)
        return;
    jsonarena_next = jsonarena_base;
    jsonarena_end_of = jsonarena_base + jsonarena_slot_size;
}

void jsonarena_end(void)
{
    if (jsonarena_next == NULL)
        return;
    if (jsonarena_map_base != NULL) {
        /* Its values stay until jsonarena_unmap. */
        jsonarena_next = NULL;
        jsonarena_end_of = NULL;
        return;
    }
    ASAN_POISON_MEMORY_REGION(jsonarena_base,
                              (size_t)(jsonarena_next - jsonarena_base));
    VALGRIND_MAKE_MEM_NOACCESS(jsonarena_base,
                               (size_t)(jsonarena_next - jsonarena_base));
    jsonarena_next = NULL;
    jsonarena_end_of = NULL;
}

int jsonarena_map(size_t bytes)
{
    void *p;

    if (jsonarena_map_base != NULL || jsonarena_next != NULL || bytes == 0)
        return -1;
    p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    ASAN_POISON_MEMORY_REGION(p, bytes);
    VALGRIND_MAKE_MEM_NOACCESS(p, bytes);
    jsonarena_map_base = p;
    jsonarena_map_size = bytes;
    jsonarena_next = p;
    jsonarena_end_of = jsonarena_map_base + bytes;
    return 0;
}

void jsonarena_unmap(void)
{
    if (jsonarena_map_base == NULL)
        return;
    jsonarena_end();
    /* Clean shadow for whatever is mapped at these addresses next. */
    ASAN_UNPOISON_MEMORY_REGION(jsonarena_map_base, jsonarena_map_size);
    munmap(jsonarena_map_base, jsonarena_map_size);
    jsonarena_map_base = NULL;
    jsonarena_map_size = 0;
}

json_t *jsonarena_copy(const json_t *v)
{
    char *next = jsonarena_next;
    json_t *copy;

    jsonarena_next = NULL; /* malloc for the copy */
    copy = json_deep_copy(v);
    jsonarena_next = next;
    return copy;
}
