/* server.h - the HTTPS server: routes, limits, TLS (libmicrohttpd + GnuTLS). */
#ifndef WEBHOOK_SERVER_H
#define WEBHOOK_SERVER_H

#include <stddef.h>
#include <time.h>

#include "err.h"
#include "review.h"

/*
 * Answer one admission request. body is the raw request body (not
 * NUL-terminated), len its length. Returns a new malloc'd JSON text to send
 * and sets *status (200 for an AdmissionReview answer, 400 with a JSON
 * {"error": "..."} body for input that is not an AdmissionReview). NULL only
 * when out of memory. Called from several threads at once, each time inside
 * jsonarena_begin/jsonarena_end: no jansson value made during the call may
 * outlive it (hand another thread a jsonarena_copy), and the returned text
 * must not come from jansson's allocator (json_dumps).
 */
typedef char *(*server_review_fn)(void *arg, enum review_endpoint ep,
                                  const char *body, size_t len, int *status);

/* Whether /readyz says ready. Called from several threads at once. */
typedef int (*server_ready_fn)(void *arg);

/*
 * The text of GET /metrics (Prometheus text format): a new malloc'd
 * NUL-terminated string, NULL when out of memory (answered 500). Called from
 * several threads at once.
 */
typedef char *(*server_metrics_fn)(void *arg);

/*
 * Called once for every answered request, after the answer is queued, from
 * several threads at once. route is "/mutate", "/validate", "/healthz",
 * "/readyz", "/metrics" or "other" (never the client's path, so that it can
 * be a metric label); status is the HTTP status sent; seconds the time from
 * the end of the request headers to the answer.
 */
typedef void (*server_observe_fn)(void *arg, const char *route, int status,
                                  double seconds);

struct server_opts {
    const char *listen;    /* "ADDR:PORT", default "127.0.0.1:8443" */
    const char *cert_file; /* PEM serving certificate (chain) */
    const char *key_file;  /* PEM private key */
    size_t max_body;       /* bytes; larger bodies get 413; 0: 8 MiB */
    unsigned threads;      /* worker threads, 0 for one per core */
    server_review_fn review;
    server_ready_fn ready;
    void *arg; /* passed to review, ready, metrics and observe */
    /* Optional, 0 or NULL for the default. */
    unsigned timeout_s;         /* idle connection timeout; 0: 30 s */
    unsigned max_connections;   /* open connections at most; 0: 1024 */
    unsigned grace_s;           /* shutdown wait for requests; 0: 10 s */
    size_t max_buffered;        /* request bytes in memory at once, over
                                   which requests get 503; 0: 16 x max_body */
    unsigned reload_s;          /* seconds between looks at cert_file and
                                   key_file for a new pair; 0: 5 */
    const char *client_ca_file; /* PEM CAs: the TLS handshake then needs a
                                   client certificate they signed for
                                   client use (and /mutate and /validate
                                   check it again: 403); NULL: none asked */
    const char *health_listen;  /* "ADDR:PORT" of a plain HTTP listener for
                                   /healthz, /readyz and /metrics only (the
                                   kubelet's probes present no client
                                   certificate); NULL: none */
    server_metrics_fn metrics;  /* NULL: GET /metrics is 404 */
    server_observe_fn observe;  /* NULL: not called */
};

/*
 * Serve until SIGINT or SIGTERM, then stop accepting, finish the requests in
 * flight (for at most grace_s) and return 0. A second signal kills the
 * process at once (default action of that signal).
 * Returns -1 with err set when the server cannot start (bad certificate or
 * key, address in use, ...). A changed certificate or key file (also through
 * the ..data symlink swap of a Kubernetes Secret) is loaded without a restart
 * and without failing a request; a broken new pair is refused with a log
 * line and the old one stays. One server a process. Installs handlers for
 * SIGINT and SIGTERM while it runs and restores the previous ones before
 * returning. Logs to stderr.
 */
int server_run(const struct server_opts *opts, struct err *err);

/*
 * notAfter of the serving certificate in use (the leaf), for a metric; 0
 * when no server runs. Any thread. The server also logs a warning when it
 * loads a certificate that ends within 30 days, and once a day after that.
 */
time_t server_cert_not_after(void);

#endif
