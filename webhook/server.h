/* server.h - the HTTPS server: routes, limits, TLS (libmicrohttpd + GnuTLS). */
#ifndef WEBHOOK_SERVER_H
#define WEBHOOK_SERVER_H

#include <stddef.h>

#include "err.h"
#include "review.h"

/*
 * Answer one admission request. body is the raw request body (not
 * NUL-terminated), len its length. Returns a new malloc'd JSON text to send
 * and sets *status (200 for an AdmissionReview answer, 400 with a JSON
 * {"error": "..."} body for input that is not an AdmissionReview). NULL only
 * when out of memory. Called from several threads at once.
 */
typedef char *(*server_review_fn)(void *arg, enum review_endpoint ep,
                                  const char *body, size_t len, int *status);

/* Whether /readyz says ready. Called from several threads at once. */
typedef int (*server_ready_fn)(void *arg);

struct server_opts {
    const char *listen;    /* "ADDR:PORT", default "127.0.0.1:8443" */
    const char *cert_file; /* PEM serving certificate (chain) */
    const char *key_file;  /* PEM private key */
    size_t max_body;       /* bytes; larger bodies get 413 */
    unsigned threads;      /* worker threads, 0 for one per core */
    server_review_fn review;
    server_ready_fn ready;
    void *arg; /* passed to review and ready */
};

/*
 * Serve until SIGINT or SIGTERM, then stop accepting, finish the requests in
 * flight and return 0. Returns -1 with err set when the server cannot start
 * (bad certificate or key, address in use, ...).
 */
int server_run(const struct server_opts *opts, struct err *err);

#endif
