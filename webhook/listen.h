/* listen.h - listening sockets for "ADDR:PORT" specs, and their names. */
#ifndef WEBHOOK_LISTEN_H
#define WEBHOOK_LISTEN_H

#include <stddef.h>

#include "err.h"

/* Room for listen_name()'s text: "[host]:port" and the NUL (NI_MAXHOST,
 * NI_MAXSERV and 4; listen.c checks). */
#define LISTEN_NAME_MAX (1025 + 32 + 4)

/*
 * A listening socket for "ADDR:PORT", "[IPv6]:PORT" or ":PORT" (every
 * address: IPv6 and IPv4 where the host has IPv6). Opened here rather than
 * by libmicrohttpd so that a failure says why. Returns the new descriptor
 * (non-blocking, close-on-exec; the caller closes it), or -1 with err set.
 */
int listen_socket(const char *spec, struct err *err);

/*
 * "host:port" ("[host]:port" for IPv6) that fd listens on, into buf (cap
 * bytes, NUL-terminated), for messages; spec when the socket cannot say.
 */
void listen_name(int fd, const char *spec, char *buf, size_t cap);

#endif
