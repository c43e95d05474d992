/* jsonarena.h - the JSON values of one request, from a per-thread arena. */
#ifndef WEBHOOK_JSONARENA_H
#define WEBHOOK_JSONARENA_H

#include <stddef.h>

#include <jansson.h>

#include "err.h"

/*
 * Make jansson allocate through this module (plain malloc until a thread
 * begins an arena or maps one). Once per process, before any thread starts:
 * every other function here does nothing for jansson without it, except
 * jsonarena_init(), which calls it. A second call does nothing.
 */
void jsonarena_install(void);

/*
 * Reserve threads arenas of bytes each (untouched pages cost no memory) and
 * make them jansson's allocator. Between jsonarena_begin() and
 * jsonarena_end() on a thread, every value jansson allocates on that thread
 * comes from the thread's arena, and freeing it costs nothing: the arena is
 * emptied at once by jsonarena_end(). Past the arena's size, or on more
 * threads than arenas, jansson falls back to malloc. Values made outside a
 * begin/end pair are plain malloc'd ones, whatever the thread.
 *
 * Once per process, before the request threads start (other threads may
 * be running: jsonarena_install() has been called); a second call does
 * nothing. Returns 0, or -1 with err set when the memory cannot be
 * reserved (jansson then keeps malloc).
 */
int jsonarena_init(unsigned threads, size_t bytes, struct err *err);

/* Start allocating this thread's JSON from its arena; no-op without one. */
void jsonarena_begin(void);

/*
 * Empty this thread's arena and go back to malloc. Every value allocated
 * since jsonarena_begin() is gone: none may outlive it (under AddressSanitizer
 * or valgrind a use after this is reported).
 */
void jsonarena_end(void);

/*
 * For a thread with no arena of its own (those of jsonarena_init() are the
 * request threads'): until jsonarena_end(), every value jansson allocates on
 * this thread comes from a new mapping of bytes (untouched pages cost no
 * memory), past which malloc. The values stay valid after jsonarena_end(),
 * freeing them (on this thread) costs nothing, and jsonarena_unmap() gives
 * the mapping back whole. So a large parse whose values are all freed again
 * (a page of a list) leaves no holes between what the heap keeps.
 * Needs jsonarena_install() (else the mapping goes unused), not
 * jsonarena_init(). Returns 0, or -1 when the memory
 * cannot be mapped (jansson keeps malloc; jsonarena_unmap() does nothing).
 */
int jsonarena_map(size_t bytes);

/*
 * Give back this thread's mapping from jsonarena_map(): no value made in it
 * may be used after. No-op without one.
 */
void jsonarena_unmap(void);

/*
 * A deep copy of v made with malloc, for a value that must outlive the
 * request (a queue for another thread). Returns a new reference, NULL when
 * out of memory.
 */
json_t *jsonarena_copy(const json_t *v);

#endif
