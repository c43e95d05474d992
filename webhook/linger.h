/* linger.h - the lingering close of connections that got an error answer. */
#ifndef WEBHOOK_LINGER_H
#define WEBHOOK_LINGER_H

#include "err.h"

/*
 * A socket closed right after an error answer, with the client still
 * sending, can reset the connection before the client reads the answer; a
 * lingering close sends FIN and reads and throws away what still comes, for
 * a few seconds, before the close. One thread does it for every socket
 * handed over.
 */
struct lingerer;

/*
 * Start the thread. Returns a new lingerer, owned by the caller and freed by
 * linger_stop(), or NULL with err set.
 */
struct lingerer *linger_start(struct err *err);

/*
 * Take over a copy of the socket fd that its owner (libmicrohttpd) is about
 * to close: the lingerer dup()s it, so the owner's close() only drops its own
 * descriptor. When all slots are taken the copy is closed at once. Any
 * thread, until linger_stop().
 */
void linger_add(struct lingerer *lg, int fd);

/* Stop the thread, close the sockets still lingering, free lg (NULL: none). */
void linger_stop(struct lingerer *lg);

#endif
