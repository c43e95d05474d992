/*
 * tlscreds.h - the TLS credentials of the server: the serving pair and the
 * client CA, loaded from PEM files, checked, reloaded when the files change
 * (also through the ..data symlink swap of a Kubernetes Secret), and what
 * the handshakes use. One set in service a process.
 */
#ifndef WEBHOOK_TLSCREDS_H
#define WEBHOOK_TLSCREDS_H

#include <stddef.h>
#include <time.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>

#include "err.h"

/*
 * TLS 1.2 and 1.3 only (the API server speaks 1.3, older clients 1.2), and
 * for 1.2 only forward-secret ECDHE key exchange with AEAD ciphers, as
 * Mozilla's "intermediate" profile: no CBC, no SHA-1 MACs, no static RSA.
 * Every cipher here is one Go's crypto/tls (the API server) offers.
 */
#define TLSCREDS_PRIORITIES                                                    \
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM:"     \
    "+AES-256-GCM:+CHACHA20-POLY1305:-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:"     \
    "+ECDHE-RSA"

/* The files and every pair and CA loaded from them. */
struct tlscreds;

/* One version of the client CA: a trust list, opaque. */
struct tlscreds_ca;

/*
 * Read and check cert_file and key_file (PEM; the certificate may carry its
 * chain) and, unless NULL, client_ca_file (PEM, one CA or more). The paths
 * are borrowed and must outlive the result. Returns a new set, owned by the
 * caller and freed by tlscreds_free(), not yet in service; NULL with err
 * naming the bad file.
 */
struct tlscreds *tlscreds_load(const char *cert_file, const char *key_file,
                               const char *client_ca_file, struct err *err);

/*
 * Put tc's pair and client CA in service for the handshakes to come; logs a
 * warning when the certificate ends within 30 days.
 */
void tlscreds_publish(struct tlscreds *tc);

/*
 * Load the pair and the client CA anew if their files changed since the
 * last look, and put them in service. A broken new pair or CA is refused
 * with a log line (once per change) and the old one stays. Also repeats the
 * expiry warning once a day while it applies, and frees the replaced pairs
 * no connection uses any more (see tlscreds_hold). From one thread at a
 * time.
 */
void tlscreds_check(struct tlscreds *tc);

/*
 * Take tc out of service and free it with every pair and CA it loaded (NULL:
 * nothing). Only once no handshake or request can use them any more.
 */
void tlscreds_free(struct tlscreds *tc);

/* Whether a set is in service (a server runs). Any thread. */
int tlscreds_in_service(void);

/* notAfter of the serving certificate in service; 0: none. Any thread. */
time_t tlscreds_not_after(void);

/*
 * The certificate callback of GnuTLS (gnutls_certificate_retrieve_function2,
 * for MHD_OPTION_HTTPS_CERT_CALLBACK): hands out the pair in service, and
 * with a client CA makes the handshake require a client certificate that
 * the CA in force signed for client use. The pair is borrowed: it lives
 * until tlscreds_free().
 */
int tlscreds_retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca,
                      int nreqs, const gnutls_pk_algorithm_t *algos, int nalgos,
                      gnutls_pcert_st **pcert, unsigned int *pcert_length,
                      gnutls_privkey_t *privkey);

/* A serving pair, opaque. */
struct tlscreds_pair;

/*
 * A TLS connection's count on a serving pair, so that a replaced pair is
 * freed (tlscreds_check) once no session points to it or can come to.
 * Zeroed by the caller; kept in the connection's own memory.
 */
struct tlscreds_hold {
    struct tlscreds_pair *pair; /* the serving pair it counts on */
    int known;                  /* pair is the one its handshake used */
};

/*
 * A TLS connection opens (before its handshake): count it on the pair in
 * service. h NULL: a connection that cannot be counted (no memory for its
 * state), which stops every freeing of pairs until tlscreds_drop(NULL).
 * Any thread.
 */
void tlscreds_hold(struct tlscreds_hold *h);

/*
 * The connection's first request came, so its handshake is done: count it
 * on the pair session used instead (tc: the set in service). Nothing when
 * already done or not known. Any thread.
 */
void tlscreds_settle(struct tlscreds *tc, struct tlscreds_hold *h,
                     gnutls_session_t session);

/* A TLS connection closed: h as tlscreds_hold() had it. Any thread. */
void tlscreds_drop(const struct tlscreds_hold *h);

/*
 * The client CA in service, NULL when none: borrowed, valid until
 * tlscreds_free(). Any thread.
 */
const struct tlscreds_ca *tlscreds_ca_now(void);

/*
 * Whether session's client certificate is there and good for client use:
 * under opened (the CA in service when the connection opened, NULL when
 * unknown), so that a connection opened before a new CA came keeps going,
 * or else under the CA in service now. 0, or -1 with why in msg (cap
 * bytes).
 */
int tlscreds_client_ok(gnutls_session_t session,
                       const struct tlscreds_ca *opened, char *msg, size_t cap);

#endif
