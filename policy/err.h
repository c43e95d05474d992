/* err.h - error details for functions that can fail: first error wins. */
#ifndef POLICY_ERR_H
#define POLICY_ERR_H

struct err {
    char msg[256];
};

/*
 * Record a printf-style message in err unless err is NULL or already holds
 * one (the first error is the one that explains the failure). Always returns
 * -1 so that callers can write `return err_set(err, ...)`.
 */
int err_set(struct err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
