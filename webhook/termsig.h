/* termsig.h - SIGINT and SIGTERM caught through a self-pipe, and waited for. */
#ifndef WEBHOOK_TERMSIG_H
#define WEBHOOK_TERMSIG_H

#include "err.h"

/*
 * Catch SIGINT and SIGTERM: their handler writes the signal's number into a
 * pipe that termsig_wait() reads. The previous handlers are kept for
 * termsig_release(). Called once (one server a process), from the thread
 * that waits. 0, or -1 with err set.
 */
int termsig_catch(struct err *err);

/* Wait for a signal for at most ms (-1: forever). Its number, or 0. */
int termsig_wait(int ms);

/*
 * Put the previous handlers back and close the pipe; safe when
 * termsig_catch() failed or was not called.
 */
void termsig_release(void);

#endif
