/* thread.h - threads that leave the process's signals to others. */
#ifndef WEBHOOK_THREAD_H
#define WEBHOOK_THREAD_H

#include <pthread.h>

/*
 * pthread_create() of fn(arg) into *t, the new thread blocking SIGHUP,
 * SIGINT, SIGTERM and SIGPIPE (it inherits the mask set around the call):
 * the reloader and the server's handler take those. Returns 0, or
 * pthread_create()'s error.
 */
int thread_start(pthread_t *t, void *(*fn)(void *), void *arg);

#endif
