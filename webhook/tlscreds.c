/* tlscreds.c - the TLS credentials of the server: serving pair and client CA.
 */
/* explicit_bzero */
#define _GNU_SOURCE

#include "tlscreds.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <gnutls/x509.h>

#include "log.h"
#include "readfile.h"

/* Warn about a serving certificate that ends within this many days. */
#define CERT_WARN_DAYS 30
/* PEM files larger than this are not certificates or keys. */
#define MAX_PEM_FILE ((off_t)1 << 20)

/* What identifies a version of a file: a change means a reload. */
struct file_sig {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
};

struct tlscreds_pair;

/* The files, what was loaded from them, and how they looked then. */
struct tlscreds {
    const char *cert_file, *key_file;  /* borrowed from the caller */
    const char *ca_file;               /* borrowed; NULL: no client CA */
    struct tlscreds_pair *pairs;       /* the pairs not freed, newest first */
    struct file_sig cert_sig, key_sig; /* of the files last loaded */
    time_t expiry_warned;              /* last expiry warning, 0: none */
    struct tlscreds_ca *cas; /* every client CA loaded, newest first */
    struct file_sig ca_sig;  /* of the client CA file last loaded */
};

/* The whole file, NUL-terminated, in a new malloc'd buffer. */
static char *read_pem(const char *what, const char *path, size_t *len,
                      struct err *err)
{
    struct err rerr = {{0}};
    char *buf = readfile_all(path, MAX_PEM_FILE, len, &rerr);

    if (buf != NULL && *len == 0) {
        free(buf);
        buf = NULL;
        err_set(&rerr, "%s: empty", path);
    }
    if (buf == NULL)
        err_set(err, "cannot read %s file %s", what, rerr.msg);
    return buf;
}

/*
 * Check the pair the way GnuTLS will load it, so that a bad file is named
 * (libmicrohttpd would only fail to start).
 */
static int check_tls(const char *cert_file, const char *key_file, char *cert,
                     size_t cert_len, char *key, size_t key_len,
                     time_t *not_after, struct err *err)
{
    gnutls_datum_t cd = {(unsigned char *)cert, (unsigned)cert_len};
    gnutls_datum_t kd = {(unsigned char *)key, (unsigned)key_len};
    gnutls_x509_crt_t *crts = NULL;
    gnutls_x509_privkey_t pk = NULL;
    gnutls_certificate_credentials_t cred = NULL;
    unsigned n = 0, i;
    int r, rc = -1;
    time_t exp;

    r = gnutls_x509_crt_list_import2(&crts, &n, &cd, GNUTLS_X509_FMT_PEM, 0);
    if (r < 0 || n == 0) {
        err_set(err, "certificate file %s: %s", cert_file,
                r < 0 ? gnutls_strerror(r) : "no certificate");
        goto out;
    }
    exp = gnutls_x509_crt_get_expiration_time(crts[0]);
    *not_after = exp != (time_t)-1 ? exp : 0;
    r = gnutls_x509_privkey_init(&pk);
    if (r >= 0)
        r = gnutls_x509_privkey_import2(pk, &kd, GNUTLS_X509_FMT_PEM, NULL, 0);
    if (r < 0) {
        err_set(err, "key file %s: %s", key_file, gnutls_strerror(r));
        goto out;
    }
    r = gnutls_certificate_allocate_credentials(&cred);
    if (r >= 0)
        r = gnutls_certificate_set_x509_key_mem2(cred, &cd, &kd,
                                                 GNUTLS_X509_FMT_PEM, NULL, 0);
    if (r < 0) {
        err_set(err, "certificate %s with key %s: %s", cert_file, key_file,
                gnutls_strerror(r));
        goto out;
    }
    rc = 0;
out:
    if (cred != NULL)
        gnutls_certificate_free_credentials(cred);
    if (pk != NULL)
        gnutls_x509_privkey_deinit(pk);
    for (i = 0; i < n; i++)
        gnutls_x509_crt_deinit(crts[i]);
    gnutls_free(crts);
    return rc;
}

/*
 * The serving certificate is handed to GnuTLS by a callback at each
 * handshake rather than loaded once (MHD_OPTION_HTTPS_MEM_CERT), so that a
 * new pair can be swapped in while the server runs (Kubernetes updates a
 * mounted Secret by swapping the ..data symlink). The callback has no
 * closure argument, hence the global. A session keeps pointing to the pair
 * its handshake used: the pair in force when its connection opened or a
 * newer one, known for certain from its first request on. So a pair
 * replaced is freed once no connection uses it and none that opened under
 * it or an older one waits for its first request (about 5 KiB a pair, which
 * frequent rotations, short-lived certificates, would otherwise pile up).
 */
#define TLS_MAX_CHAIN 16

struct tlscreds_pair {
    gnutls_pcert_st pcert[TLS_MAX_CHAIN];
    unsigned n;
    gnutls_privkey_t key;
    time_t not_after; /* of the leaf certificate; 0: unknown */
    long used;        /* connections open whose handshake used this pair */
    long pending;     /* connections open that opened under it, pair unknown */
    struct tlscreds_pair *older; /* the pairs not freed yet, newest first */
};

static _Atomic(struct tlscreds_pair *) tls_current;
/*
 * Guards every pair's counts, the list of pairs (tc->pairs) and which pair
 * is current while a connection takes it (tlscreds_hold), so that
 * tls_pairs_prune never frees a pair that a connection is about to count;
 * tls_untracked: connections open that could not be counted (no memory for
 * their state), which stop every pruning while they last.
 */
static pthread_mutex_t tls_pairs_mu = PTHREAD_MUTEX_INITIALIZER;
static long tls_untracked;
/* notAfter of tls_current's leaf, for tlscreds_not_after(); 0: none. */
static _Atomic long long tls_not_after;

/*
 * The client CA (--client-ca), a trust list of GnuTLS's own rather than the
 * trust of libmicrohttpd's credentials (MHD_OPTION_HTTPS_MEM_TRUST), which
 * is set once and read by every handshake: a new file is loaded into a new
 * list, published here for the handshakes to come, and the old one kept
 * until the server stops, so that connections opened under it keep going.
 * NULL: no client certificates asked for.
 */
struct tlscreds_ca {
    gnutls_x509_trust_list_t tl;
    struct tlscreds_ca *older; /* every CA loaded, for freeing at the end */
};
static _Atomic(struct tlscreds_ca *) tls_ca_current;

int tlscreds_in_service(void)
{
    return atomic_load(&tls_current) != NULL;
}

const struct tlscreds_ca *tlscreds_ca_now(void)
{
    return atomic_load(&tls_ca_current);
}

time_t tlscreds_not_after(void)
{
    return (time_t)atomic_load(&tls_not_after);
}

/*
 * Log a warning when the serving certificate ends within CERT_WARN_DAYS or
 * has ended (most webhook outages are certificates nobody renewed).
 */
static void tls_warn_expiry(const char *cert_file, time_t not_after)
{
    time_t now = time(NULL);
    char when[32] = "?";
    struct tm tm;

    if (not_after == 0 || not_after - now > (time_t)CERT_WARN_DAYS * 86400)
        return;
    if (gmtime_r(&not_after, &tm) != NULL)
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (not_after <= now)
        log_msg(LOG_WARN, "certificate %s expired at %s: renew it", cert_file,
                when);
    else
        log_msg(LOG_WARN,
                "certificate %s expires at %s, in %lld days (less than %d): "
                "renew it",
                cert_file, when, (long long)((not_after - now) / 86400),
                CERT_WARN_DAYS);
}

/* Put p in service for the handshakes to come, and say so if it ends soon. */
static void tls_publish(struct tlscreds *tc, struct tlscreds_pair *p)
{
    pthread_mutex_lock(&tls_pairs_mu);
    atomic_store(&tls_current, p);
    pthread_mutex_unlock(&tls_pairs_mu);
    atomic_store(&tls_not_after, (long long)p->not_after);
    tls_warn_expiry(tc->cert_file, p->not_after);
    tc->expiry_warned = time(NULL);
}

/*
 * Whether the session's peer certificate chain leads to ca and is good for
 * client authentication: 0, or -1 with why in msg (cap bytes).
 */
static int tls_ca_verify(const struct tlscreds_ca *ca, gnutls_session_t session,
                         char *msg, size_t cap)
{
    gnutls_x509_crt_t crts[TLS_MAX_CHAIN];
    gnutls_typed_vdata_st purpose;
    gnutls_datum_t why = {NULL, 0};
    const gnutls_datum_t *peers;
    unsigned n = 0, i, made = 0, status = 0;
    int r = 0, rc = -1;

    peers = gnutls_certificate_get_peers(session, &n);
    if (peers == NULL || n == 0) {
        snprintf(msg, cap, "client certificate required");
        return -1;
    }
    if (n > TLS_MAX_CHAIN)
        n = TLS_MAX_CHAIN;
    for (made = 0; made < n; made++) {
        r = gnutls_x509_crt_init(&crts[made]);
        if (r < 0)
            break;
        r = gnutls_x509_crt_import(crts[made], &peers[made],
                                   GNUTLS_X509_FMT_DER);
        if (r < 0) {
            made++;
            break;
        }
    }
    if (made < n || r < 0) {
        snprintf(msg, cap, "client certificate: %s", gnutls_strerror(r));
        goto out;
    }
    memset(&purpose, 0, sizeof(purpose));
    purpose.type = GNUTLS_DT_KEY_PURPOSE_OID;
    purpose.data = (unsigned char *)(uintptr_t)GNUTLS_KP_TLS_WWW_CLIENT;
    r = gnutls_x509_trust_list_verify_crt2(ca->tl, crts, n, &purpose, 1, 0,
                                           &status, NULL);
    if (r < 0) {
        snprintf(msg, cap, "client certificate: %s", gnutls_strerror(r));
        goto out;
    }
    if (status == 0) {
        rc = 0;
        goto out;
    }
    if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509,
                                                     &why, 0) >= 0 &&
        why.data != NULL) {
        size_t len;

        snprintf(msg, cap, "client certificate not accepted: %s",
                 (const char *)why.data);
        len = strlen(msg);
        while (len > 0 && msg[len - 1] == ' ')
            msg[--len] = '\0';
    } else {
        snprintf(msg, cap, "client certificate not accepted");
    }
    gnutls_free(why.data);
out:
    for (i = 0; i < made; i++)
        gnutls_x509_crt_deinit(crts[i]);
    return rc;
}

/* The handshake's check of the client certificate, under the CA now. */
static int tls_verify_client(gnutls_session_t session)
{
    const struct tlscreds_ca *ca = tlscreds_ca_now();
    char why[300];

    if (ca == NULL || tls_ca_verify(ca, session, why, sizeof(why)) != 0)
        return GNUTLS_E_CERTIFICATE_ERROR;
    return 0;
}

int tlscreds_retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca,
                      int nreqs, const gnutls_pk_algorithm_t *algos, int nalgos,
                      gnutls_pcert_st **pcert, unsigned int *pcert_length,
                      gnutls_privkey_t *privkey)
{
    struct tlscreds_pair *p = atomic_load(&tls_current);

    (void)req_ca;
    (void)nreqs;
    (void)algos;
    (void)nalgos;
    if (p == NULL)
        return -1;
    /*
     * With a client CA, make the handshake fail without a client
     * certificate, or with one the CA in force did not sign for client use:
     * called while the ClientHello is processed, so before the server's
     * CertificateRequest goes out. The request names no CA (the trust of
     * libmicrohttpd's credentials is empty), so a client sends its
     * certificate whichever CA is in force. (TLS 1.3 clients see the
     * refusal as an alert on their first read.)
     */
    if (tlscreds_ca_now() != NULL) {
        gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUIRE);
        gnutls_session_set_verify_function(session, tls_verify_client);
    }
    *pcert = p->pcert;
    *pcert_length = p->n;
    *privkey = p->key;
    return 0;
}

static void tls_pair_free(struct tlscreds_pair *p)
{
    unsigned i;

    if (p == NULL)
        return;
    for (i = 0; i < p->n; i++)
        gnutls_pcert_deinit(&p->pcert[i]);
    if (p->key != NULL)
        gnutls_privkey_deinit(p->key);
    free(p);
}

/* Read and check both files; a new pair, or NULL with err set. */
static struct tlscreds_pair *
tls_pair_load(const char *cert_file, const char *key_file, struct err *err)
{
    struct tlscreds_pair *p = NULL;
    char *cert = NULL, *key = NULL;
    size_t cert_len = 0, key_len = 0;
    gnutls_datum_t cd, kd;
    time_t not_after = 0;
    int r;

    cert = read_pem("certificate", cert_file, &cert_len, err);
    if (cert == NULL)
        goto out;
    key = read_pem("key", key_file, &key_len, err);
    if (key == NULL)
        goto out;
    if (check_tls(cert_file, key_file, cert, cert_len, key, key_len, &not_after,
                  err) != 0)
        goto out;
    p = calloc(1, sizeof(*p));
    if (p == NULL) {
        err_set(err, "out of memory");
        goto out;
    }
    p->not_after = not_after;
    cd.data = (unsigned char *)cert;
    cd.size = (unsigned)cert_len;
    kd.data = (unsigned char *)key;
    kd.size = (unsigned)key_len;
    p->n = TLS_MAX_CHAIN;
    r = gnutls_pcert_list_import_x509_raw(p->pcert, &p->n, &cd,
                                          GNUTLS_X509_FMT_PEM, 0);
    if (r < 0) {
        p->n = 0;
        err_set(err, "certificate file %s: %s", cert_file,
                r == GNUTLS_E_SHORT_MEMORY_BUFFER ? "chain too long"
                                                  : gnutls_strerror(r));
        goto fail;
    }
    r = gnutls_privkey_init(&p->key);
    if (r >= 0)
        r = gnutls_privkey_import_x509_raw(p->key, &kd, GNUTLS_X509_FMT_PEM,
                                           NULL, 0);
    if (r < 0) {
        err_set(err, "key file %s: %s", key_file, gnutls_strerror(r));
        goto fail;
    }
    goto out;
fail:
    tls_pair_free(p);
    p = NULL;
out:
    free(cert);
    if (key != NULL)
        explicit_bzero(key, key_len);
    free(key);
    return p;
}

void tlscreds_hold(struct tlscreds_hold *h)
{
    struct tlscreds_pair *p;

    pthread_mutex_lock(&tls_pairs_mu);
    p = atomic_load(&tls_current);
    if (h == NULL)
        tls_untracked++;
    else if (p != NULL)
        p->pending++;
    if (h != NULL)
        h->pair = p;
    pthread_mutex_unlock(&tls_pairs_mu);
}

/*
 * The handshake is done: count the connection on the pair it used (GnuTLS
 * hands back our own pcert), no longer on every pair since the one it
 * opened under.
 */
void tlscreds_settle(struct tlscreds *tc, struct tlscreds_hold *h,
                     gnutls_session_t session)
{
    const gnutls_datum_t *ours;
    struct tlscreds_pair *p;

    if (tc == NULL || h == NULL || h->known || h->pair == NULL)
        return;
    ours = session != NULL ? gnutls_certificate_get_ours(session) : NULL;
    if (ours == NULL)
        return; /* not known: stays pending, which keeps more, never less */
    pthread_mutex_lock(&tls_pairs_mu);
    for (p = tc->pairs; p != NULL; p = p->older)
        if (ours == &p->pcert[0].cert)
            break;
    if (p != NULL) {
        h->pair->pending--;
        p->used++;
        h->pair = p;
        h->known = 1;
    }
    pthread_mutex_unlock(&tls_pairs_mu);
}

void tlscreds_drop(const struct tlscreds_hold *h)
{
    pthread_mutex_lock(&tls_pairs_mu);
    if (h == NULL)
        tls_untracked--;
    else if (h->pair != NULL && h->known)
        h->pair->used--;
    else if (h->pair != NULL)
        h->pair->pending--;
    pthread_mutex_unlock(&tls_pairs_mu);
}

static int file_sig_of(const char *path, struct file_sig *sig)
{
    struct stat st;

    if (stat(path, &st) != 0) /* follows the ..data symlinks */
        return -1;
    sig->dev = st.st_dev;
    sig->ino = st.st_ino;
    sig->size = st.st_size;
    sig->mtime = st.st_mtim;
    return 0;
}

static int file_sig_same(const struct file_sig *a, const struct file_sig *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime.tv_sec == b->mtime.tv_sec &&
           a->mtime.tv_nsec == b->mtime.tv_nsec;
}

/*
 * Load the pair anew if either file changed since the last look. A broken
 * new pair is refused with a log line (once per change) and the old one
 * stays in service.
 */
static void tls_check_pair(struct tlscreds *tc)
{
    struct file_sig c, k;
    struct err e = {{0}};
    struct tlscreds_pair *p;

    /* Once a day, the expiry warning again while it applies. */
    if (time(NULL) - tc->expiry_warned >= 86400) {
        p = atomic_load(&tls_current);
        if (p != NULL)
            tls_publish(tc, p);
    }
    if (file_sig_of(tc->cert_file, &c) != 0 ||
        file_sig_of(tc->key_file, &k) != 0)
        return; /* in the middle of an update, or gone: look again later */
    if (file_sig_same(&c, &tc->cert_sig) && file_sig_same(&k, &tc->key_sig))
        return;
    tc->cert_sig = c;
    tc->key_sig = k;
    p = tls_pair_load(tc->cert_file, tc->key_file, &e);
    if (p == NULL) {
        log_msg(LOG_ERROR, "new certificate refused, serving the old one: %s",
                e.msg);
        return;
    }
    pthread_mutex_lock(&tls_pairs_mu); /* tlscreds_settle reads the list */
    p->older = tc->pairs;
    tc->pairs = p;
    pthread_mutex_unlock(&tls_pairs_mu);
    log_msg(LOG_INFO, "certificate %s reloaded", tc->cert_file);
    tls_publish(tc, p);
}

/*
 * Free the pairs no session points to or can come to: a replaced pair that
 * no connection used and that no connection waiting for its first request
 * opened under, or under an older pair (its handshake takes the pair
 * current then or a newer one). tc->pairs, newest first, starts with the
 * pair in service, which stays. Each period, so that a pair goes soon
 * after its last connection closed; logs what it freed at debug.
 */
static void tls_pairs_prune(struct tlscreds *tc)
{
    struct tlscreds_pair *p, **pp;
    long pending = 0; /* of the pairs older than p, p included */
    unsigned freed = 0, kept = 0;

    pthread_mutex_lock(&tls_pairs_mu);
    for (p = tc->pairs; p != NULL; p = p->older)
        pending += p->pending;
    for (pp = &tc->pairs; (p = *pp) != NULL;) {
        if (p != tc->pairs && tls_untracked == 0 && pending == 0 &&
            p->used == 0) {
            *pp = p->older;
            tls_pair_free(p);
            freed++;
            continue;
        }
        pending -= p->pending;
        kept++;
        pp = &p->older;
    }
    pthread_mutex_unlock(&tls_pairs_mu);
    if (freed > 0)
        log_msg(LOG_DEBUG,
                "certificate: %u older pairs freed, %u kept (the one in "
                "service and those of connections still open)",
                freed, kept);
}

static void tls_ca_free(struct tlscreds_ca *ca)
{
    if (ca == NULL)
        return;
    if (ca->tl != NULL)
        gnutls_x509_trust_list_deinit(ca->tl, 1);
    free(ca);
}

/* A new trust list of the PEM bundle path (one CA or more), or NULL. */
static struct tlscreds_ca *tls_ca_load(const char *path, struct err *err)
{
    struct tlscreds_ca *ca = NULL;
    gnutls_datum_t d;
    size_t len = 0;
    char *pem = read_pem("client CA", path, &len, err);
    int r;

    if (pem == NULL)
        return NULL;
    ca = calloc(1, sizeof(*ca));
    if (ca == NULL) {
        err_set(err, "out of memory");
        goto out;
    }
    d.data = (unsigned char *)pem;
    d.size = (unsigned)len;
    r = gnutls_x509_trust_list_init(&ca->tl, 0);
    if (r >= 0)
        r = gnutls_x509_trust_list_add_trust_mem(ca->tl, &d, NULL,
                                                 GNUTLS_X509_FMT_PEM, 0, 0);
    if (r <= 0) {
        err_set(err, "client CA file %s: %s", path,
                r < 0 ? gnutls_strerror(r) : "no certificate");
        tls_ca_free(ca);
        ca = NULL;
    }
out:
    free(pem);
    return ca;
}

/*
 * Load the client CA anew if its file changed since the last look: a file
 * that does not load is refused with a log line (once per change) and the
 * old CA stays in force.
 */
static void tls_check_ca(struct tlscreds *tc)
{
    const char *path = tc->ca_file;
    struct err e = {{0}};
    struct file_sig sig;
    struct tlscreds_ca *ca;

    if (path == NULL || file_sig_of(path, &sig) != 0 ||
        file_sig_same(&sig, &tc->ca_sig))
        return;
    tc->ca_sig = sig;
    ca = tls_ca_load(path, &e);
    if (ca == NULL) {
        log_msg(LOG_ERROR, "new client CA refused, keeping the old one: %s",
                e.msg);
        return;
    }
    ca->older = tc->cas;
    tc->cas = ca;
    atomic_store(&tls_ca_current, ca);
    log_msg(LOG_INFO, "client CA %s reloaded", path);
}

int tlscreds_client_ok(gnutls_session_t session,
                       const struct tlscreds_ca *opened, char *msg, size_t cap)
{
    const struct tlscreds_ca *now = tlscreds_ca_now();

    if (opened != NULL && opened != now &&
        tls_ca_verify(opened, session, msg, cap) == 0)
        return 0;
    if (now == NULL) {
        snprintf(msg, cap, "no client CA");
        return -1;
    }
    return tls_ca_verify(now, session, msg, cap);
}

/* Every pair and CA tc loaded, and tc itself. */
static void tls_free_all(struct tlscreds *tc)
{
    struct tlscreds_pair *p;
    struct tlscreds_ca *ca;

    while ((p = tc->pairs) != NULL) {
        tc->pairs = p->older;
        tls_pair_free(p);
    }
    while ((ca = tc->cas) != NULL) {
        tc->cas = ca->older;
        tls_ca_free(ca);
    }
    free(tc);
}

struct tlscreds *tlscreds_load(const char *cert_file, const char *key_file,
                               const char *ca_file, struct err *err)
{
    struct tlscreds *tc = calloc(1, sizeof(*tc));

    if (tc == NULL) {
        err_set(err, "out of memory");
        return NULL;
    }
    tc->cert_file = cert_file;
    tc->key_file = key_file;
    tc->ca_file = ca_file;
    /* Looked at before reading, so that a change while reading is seen. */
    file_sig_of(cert_file, &tc->cert_sig);
    file_sig_of(key_file, &tc->key_sig);
    tc->pairs = tls_pair_load(cert_file, key_file, err);
    if (tc->pairs == NULL)
        goto fail;
    if (ca_file != NULL) {
        file_sig_of(ca_file, &tc->ca_sig);
        tc->cas = tls_ca_load(ca_file, err);
        if (tc->cas == NULL)
            goto fail;
    }
    return tc;
fail:
    tls_free_all(tc);
    return NULL;
}

void tlscreds_publish(struct tlscreds *tc)
{
    atomic_store(&tls_ca_current, tc->cas);
    tls_publish(tc, tc->pairs);
}

void tlscreds_check(struct tlscreds *tc)
{
    tls_check_pair(tc);
    tls_pairs_prune(tc);
    tls_check_ca(tc);
}

void tlscreds_free(struct tlscreds *tc)
{
    if (tc == NULL)
        return;
    atomic_store(&tls_current, NULL);
    atomic_store(&tls_not_after, 0);
    atomic_store(&tls_ca_current, NULL);
    tls_free_all(tc);
}
