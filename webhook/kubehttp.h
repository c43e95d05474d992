/* kubehttp.h - one GET against the Kubernetes API with a kubeconfig's TLS
 * and credentials: the status, then the body to the caller's callbacks. */
#ifndef WEBHOOK_KUBEHTTP_H
#define WEBHOOK_KUBEHTTP_H

#include <stddef.h>

#include <curl/curl.h>

#include "kubeconfig.h"

/* A client of the API server, for one thread at a time. */
struct kubehttp {
    const struct kubeconfig *kc;  /* borrowed; must outlive h */
    const char *name;             /* borrowed; names h in log lines */
    CURL *curl;                   /* kept: its connection serves next GET */
    char errbuf[CURL_ERROR_SIZE]; /* what curl said of the last GET */
    char *token; /* the last token read, kept if a re-read fails */
};

/* Where one GET's answer goes: every member set; called on its thread. */
struct kubehttp_sink {
    /* The HTTP status, set when the headers are in (or, if they never
     * were, when the GET ends); 0 while none came. */
    long *status;
    /* The headers are in: *status is set. */
    void (*headers)(void *arg);
    /* n bytes of the body: 0 to go on, -1 to end the GET (it returns
     * CURLE_WRITE_ERROR). */
    int (*body)(void *arg, const char *p, size_t n);
    /* About once a second: non-zero ends the GET (it returns
     * CURLE_ABORTED_BY_CALLBACK). */
    int (*progress)(void *arg);
    void *arg;
};

/* Ready h to talk to kc's server; name is for log lines. -1: no memory. */
int kubehttp_init(struct kubehttp *h, const struct kubeconfig *kc,
                  const char *name);

/*
 * GET url (kc's server and a path) with kc's CA, client certificate and
 * token (the token file read again first). A watch runs at most timeout_s
 * seconds; anything else is gzipped and ends when it stalls 30 s. The
 * answer goes to sink. Returns curl's code: CURLE_OK when an answer came,
 * whatever its status.
 */
CURLcode kubehttp_get(struct kubehttp *h, const char *url, int watch,
                      long timeout_s, const struct kubehttp_sink *sink);

/* What curl said of the last GET that returned cc (borrowed: h's or
 * curl's static text), for logs. */
const char *kubehttp_strerror(const struct kubehttp *h, CURLcode cc);

/* How GETs with kc log in and check the server, for the start line. */
void kubehttp_describe(const struct kubeconfig *kc, char *out, size_t n);

/* Free what h holds, the token wiped first. h zeroed is fine. */
void kubehttp_free(struct kubehttp *h);

#endif
