/* server.c - the HTTPS server: routes, limits, TLS (libmicrohttpd + GnuTLS). */
/* pipe2, SOCK_CLOEXEC, explicit_bzero, sched_getaffinity */
#define _GNU_SOURCE

#include "server.h"

#include "jsonarena.h"
#include "log.h"
#include "yamljson.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>

#define DEFAULT_LISTEN    "127.0.0.1:8443"
#define DEFAULT_MAX_BODY  ((size_t)8 << 20)
#define DEFAULT_TIMEOUT_S 30u
#define DEFAULT_MAX_CONNS 1024u
#define DEFAULT_GRACE_S   10u
#define DEFAULT_RELOAD_S  5u
/* A review's JSON up to about this much comes from a per-thread arena: a
 * 40-container Deployment takes 80 KiB; a larger one spills to malloc. */
#define JSON_ARENA_BYTES ((size_t)1 << 20)
/*
 * TLS 1.2 and 1.3 only (the API server speaks 1.3, older clients 1.2), and
 * for 1.2 only forward-secret ECDHE key exchange with AEAD ciphers, as
 * Mozilla's "intermediate" profile: no CBC, no SHA-1 MACs, no static RSA.
 * Every cipher here is one Go's crypto/tls (the API server) offers.
 */
#define TLS_PRIORITIES                                                         \
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM:"     \
    "+AES-256-GCM:+CHACHA20-POLY1305:-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:"     \
    "+ECDHE-RSA"
/* Warn about a serving certificate that ends within this many days. */
#define CERT_WARN_DAYS 30
/* PEM files larger than this are not certificates or keys. */
#define MAX_PEM_FILE ((off_t)1 << 20)
/*
 * A chunked (or otherwise unannounced) body that passes max_body cannot be
 * answered at once: libmicrohttpd 0.9.75 refuses MHD_queue_response() while
 * it is still reading a body (it accepts one only before the first byte of
 * the body, which is how a too large Content-Length gets its 413 without
 * being read, or after the last). So the rest is read and thrown away, and
 * the 413 goes out at the end; a client that keeps sending for longer than
 * this many more bytes or seconds is cut off without an answer.
 */
#define DISCARD_MAX_BYTES ((unsigned long long)16 << 20)
#define DISCARD_MAX_MS    10000
/*
 * After a signal, a keep-alive connection that carried no request for this
 * long is idle and is closed; busy ones get Connection: close on their next
 * answer (see server_run).
 */
#define SHUTDOWN_IDLE_MS 500
/* Lingering close (see linger_add): total time, idle time, sockets at once. */
#define LINGER_TOTAL_MS 5000
#define LINGER_IDLE_MS  2000
#define LINGER_SLOTS    256

enum route {
    ROUTE_OTHER,
    ROUTE_MUTATE,
    ROUTE_VALIDATE,
    ROUTE_HEALTHZ,
    ROUTE_READYZ,
    ROUTE_METRICS
};

static const char *const route_names[] = {
    [ROUTE_OTHER] = "other",        [ROUTE_MUTATE] = "/mutate",
    [ROUTE_VALIDATE] = "/validate", [ROUTE_HEALTHZ] = "/healthz",
    [ROUTE_READYZ] = "/readyz",     [ROUTE_METRICS] = "/metrics",
};

/* Sockets closed after an error answer, drained for a while before close. */
struct lingerer {
    int epfd;
    pthread_t thread;
    int started;
    atomic_int stop;
    pthread_mutex_t mu; /* guards fd[] against linger_add */
    int fd[LINGER_SLOTS];
    long long deadline[LINGER_SLOTS]; /* ms, monotonic: close at the latest */
    long long idle[LINGER_SLOTS];     /* ms, monotonic: close if quiet */
};

/* What identifies a version of a file: a change means a reload. */
struct file_sig {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
};

struct tls_pair;
struct tls_ca;

struct server {
    const struct server_opts *opts;
    size_t max_body;
    size_t max_buffered;    /* bytes of bodies held at once, at most */
    atomic_size_t buffered; /* bytes of bodies reserved now */
    atomic_int stopping;    /* signal received: answers close the connection */
    atomic_int stopped;     /* MHD_stop_daemon under way: no more lingering */
    atomic_long active;     /* requests seen by on_request, not yet completed */
    atomic_long conns;      /* connections open, on either listener */
    _Atomic long long last_request_ms; /* when the latest request began */
    struct lingerer lg;
    struct tls_pair *pairs;            /* every pair loaded, newest first */
    struct file_sig cert_sig, key_sig; /* of the files last loaded */
    time_t expiry_warned;              /* last expiry warning, 0: none */
    struct tls_ca *cas;     /* every client CA loaded, newest first */
    struct file_sig ca_sig; /* of the client CA file last loaded */
};

/* Per TCP connection: the socket context of libmicrohttpd. */
struct conn {
    int linger;    /* an error answer was sent: drain the socket before close */
    int client_ok; /* the client certificate was verified */
    const struct tls_ca *ca; /* the client CA in force when it opened */
    struct tls_pair *pair;   /* the serving pair it counts on */
    int pair_known;          /* pair is the one its handshake used */
};

/* Per HTTP request: the con_cls of libmicrohttpd. */
struct request {
    enum route route;
    long long start_us; /* the end of the headers, for observe */
    char *body;
    size_t len, cap;
    size_t reserved; /* bytes of s->buffered taken by this request */
    unsigned reject; /* 413 or 503: the rest is discarded, then this answer */
    unsigned long long discarded; /* bytes thrown away */
    long long reject_ms;          /* when reject was set */
};

static int client_cert_ok(struct MHD_Connection *c, const struct conn *cn,
                          char *msg, size_t cap);
static const struct tls_ca *tls_ca_now(void);
static int conn_is_tls(struct MHD_Connection *c);
static void tls_pair_hold(struct MHD_Connection *c, struct conn *cn);
static void tls_pair_settle(struct server *s, struct MHD_Connection *c);
static void tls_pair_drop(struct MHD_Connection *c, struct conn *cn);

/* The write end of the self-pipe of the signal handler. */
static volatile sig_atomic_t signal_fd = -1;

/* libmicrohttpd's own messages (they end with a newline, mostly). */
__attribute__((format(printf, 2, 0))) static void
log_mhd(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    size_t n;

    (void)cls;
    vsnprintf(line, sizeof(line), fmt, ap);
    n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    log_msg(LOG_INFO, "libmicrohttpd: %s", line);
}

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * JSON string contents for s, at most cap-1 bytes, always NUL-terminated.
 * Bytes outside printable ASCII become \u00XX, so that any input (a path
 * from the client may hold anything) gives valid JSON.
 */
static void json_escape(char *dst, size_t cap, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;

    for (; *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            if (o + 2 >= cap)
                break;
            dst[o++] = '\\';
            dst[o++] = (char)ch;
        } else if (ch < 0x20 || ch >= 0x7f) {
            if (o + 6 >= cap)
                break;
            memcpy(dst + o, "\\u00", 4);
            dst[o + 4] = hex[ch >> 4];
            dst[o + 5] = hex[ch & 0xf];
            o += 6;
        } else {
            if (o + 1 >= cap)
                break;
            dst[o++] = (char)ch;
        }
    }
    dst[o] = '\0';
}

/* ---- lingering close ---- */

/*
 * Why: after an error answer sent before the body was read (413 from the
 * Content-Length, 415, 404, ...) the client is usually still sending. If the
 * socket is closed with unread data in its receive queue, the kernel sends a
 * RST, and a RST can make the client drop the answer it has not read yet. A
 * lingering close (Apache, nginx) half-closes the socket and reads and throws
 * away what still comes for a short while, so the answer gets through.
 *
 * What libmicrohttpd 0.9.75 does: an answer queued before the body is read
 * makes it set discard_request, send the answer with "Connection: close",
 * end TLS with gnutls_bye() (or shutdown(SHUT_WR)), and close() the socket
 * right away: no lingering, and no option for it. So this module does it:
 * every error answer marks the connection, and when libmicrohttpd tells us
 * (MHD_CONNECTION_NOTIFY_CLOSED, called before it removes the socket from
 * its epoll set and closes it) we dup() the socket. libmicrohttpd's close()
 * then only drops its descriptor; the socket lives on in the linger thread,
 * which sends FIN, reads until EOF, LINGER_IDLE_MS of silence or
 * LINGER_TOTAL_MS in all, and closes. At most LINGER_SLOTS sockets linger at
 * once; beyond that a socket is closed at once as before. Connections closed
 * by libmicrohttpd itself (malformed request line or headers: its own HTML
 * 400, 413 or 431 answers, which the application never sees) or by the idle
 * timeout do not linger.
 */

static void linger_release(struct lingerer *lg, int i)
{
    int fd;

    pthread_mutex_lock(&lg->mu);
    fd = lg->fd[i];
    lg->fd[i] = -1;
    pthread_mutex_unlock(&lg->mu);
    if (fd >= 0) {
        epoll_ctl(lg->epfd, EPOLL_CTL_DEL, fd, NULL);
        close(fd);
    }
}

/* Read and throw away what is there. 1 when the socket is done (EOF, error). */
static int linger_drain(int fd)
{
    char buf[16384];

    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n > 0)
            continue;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        return 1;
    }
}

static void *linger_main(void *arg)
{
    struct lingerer *lg = arg;
    struct epoll_event ev[64];
    int i, n;

    while (!atomic_load(&lg->stop)) {
        long long now;

        n = epoll_wait(lg->epfd, ev, 64, 200);
        now = now_ms();
        for (i = 0; i < n; i++) {
            int slot = (int)ev[i].data.u32;
            int fd;

            pthread_mutex_lock(&lg->mu);
            fd = lg->fd[slot];
            pthread_mutex_unlock(&lg->mu);
            if (fd < 0)
                continue;
            if (linger_drain(fd))
                linger_release(lg, slot);
            else
                lg->idle[slot] = now + LINGER_IDLE_MS;
        }
        for (i = 0; i < LINGER_SLOTS; i++) {
            int fd;

            pthread_mutex_lock(&lg->mu);
            fd = lg->fd[i];
            pthread_mutex_unlock(&lg->mu);
            if (fd >= 0 && (now >= lg->deadline[i] || now >= lg->idle[i]))
                linger_release(lg, i);
        }
    }
    for (i = 0; i < LINGER_SLOTS; i++)
        linger_release(lg, i);
    return NULL;
}

static int linger_start(struct lingerer *lg, struct err *err)
{
    int i;

    for (i = 0; i < LINGER_SLOTS; i++)
        lg->fd[i] = -1;
    atomic_init(&lg->stop, 0);
    lg->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (lg->epfd < 0)
        return err_set(err, "epoll_create1: %s", strerror(errno));
    if (pthread_mutex_init(&lg->mu, NULL) != 0) {
        close(lg->epfd);
        lg->epfd = -1;
        return err_set(err, "pthread_mutex_init failed");
    }
    if (pthread_create(&lg->thread, NULL, linger_main, lg) != 0) {
        pthread_mutex_destroy(&lg->mu);
        close(lg->epfd);
        lg->epfd = -1;
        return err_set(err, "cannot start the linger thread");
    }
    lg->started = 1;
    return 0;
}

static void linger_stop(struct lingerer *lg)
{
    if (!lg->started)
        return;
    atomic_store(&lg->stop, 1);
    pthread_join(lg->thread, NULL);
    pthread_mutex_destroy(&lg->mu);
    close(lg->epfd);
    lg->epfd = -1;
    lg->started = 0;
}

/* Take over a copy of the socket fd that libmicrohttpd is about to close. */
static void linger_add(struct lingerer *lg, int fd)
{
    struct epoll_event ev;
    long long now;
    int i, dup_fd;

    dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (dup_fd < 0)
        return;
    /* The answer is out; FIN tells the client that nothing more comes. */
    shutdown(dup_fd, SHUT_WR);
    now = now_ms();
    pthread_mutex_lock(&lg->mu);
    for (i = 0; i < LINGER_SLOTS && lg->fd[i] >= 0; i++)
        ;
    if (i < LINGER_SLOTS) {
        lg->fd[i] = dup_fd;
        lg->deadline[i] = now + LINGER_TOTAL_MS;
        lg->idle[i] = now + LINGER_IDLE_MS;
        memset(&ev, 0, sizeof(ev));
        ev.events = EPOLLIN | EPOLLRDHUP;
        ev.data.u32 = (uint32_t)i;
        if (epoll_ctl(lg->epfd, EPOLL_CTL_ADD, dup_fd, &ev) != 0)
            lg->fd[i] = -1;
        else
            dup_fd = -1;
    }
    pthread_mutex_unlock(&lg->mu);
    if (dup_fd >= 0)
        close(dup_fd);
}

/* ---- answers ---- */

static struct conn *conn_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

    return ci == NULL ? NULL : ci->socket_context;
}

/*
 * Queue an answer. body (len bytes) is taken over when owned (malloc'd),
 * copied otherwise. Error answers (>= 400) and every answer once the server
 * is stopping carry "Connection: close"; error answers also mark the
 * connection for a lingering close.
 */
static enum MHD_Result respond(struct server *s, struct MHD_Connection *c,
                               struct request *rq, unsigned status, char *body,
                               size_t len, int owned, const char *ctype,
                               const char *allow)
{
    struct MHD_Response *resp;
    enum MHD_Result ret;
    int close_after = status >= 400 || atomic_load(&s->stopping);

    resp = MHD_create_response_from_buffer(
        len, body, owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_MUST_COPY);
    if (resp == NULL) {
        if (owned)
            free(body);
        return MHD_NO;
    }
    if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype) !=
            MHD_YES ||
        (allow != NULL && MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
                                                  allow) != MHD_YES) ||
        (close_after &&
         MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close") !=
             MHD_YES)) {
        MHD_destroy_response(resp);
        return MHD_NO;
    }
    if (status >= 400) {
        struct conn *cn = conn_of(c);
        if (cn != NULL)
            cn->linger = 1;
    }
    ret = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    if (ret == MHD_YES && s->opts->observe != NULL)
        s->opts->observe(s->opts->arg, route_names[rq->route], (int)status,
                         (double)(now_us() - rq->start_us) / 1e6);
    return ret;
}

/* An error answer: {"code":N,"error":"..."} */
__attribute__((format(printf, 6, 7))) static enum MHD_Result
respond_error(struct server *s, struct MHD_Connection *c, struct request *rq,
              unsigned status, const char *allow, const char *fmt, ...)
{
    char msg[512], esc[1024], body[1200];
    va_list ap;
    int n;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_http_error(route_names[rq->route], status, "%s", msg);
    json_escape(esc, sizeof(esc), msg);
    n = snprintf(body, sizeof(body), "{\"code\":%u,\"error\":\"%s\"}", status,
                 esc);
    if (n < 0 || (size_t)n >= sizeof(body))
        return MHD_NO;
    return respond(s, c, rq, status, body, (size_t)n, 0, "application/json",
                   allow);
}

static enum MHD_Result respond_text(struct server *s, struct MHD_Connection *c,
                                    struct request *rq, unsigned status,
                                    const char *text, const char *ctype)
{
    return respond(s, c, rq, status, (char *)(uintptr_t)text, strlen(text), 0,
                   ctype, NULL);
}

/* ---- request handling ---- */

/* Whether c came in on the HTTPS listener (not the health listener). */
static int conn_is_tls(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);

    return ci != NULL && ci->tls_session != NULL;
}

static enum route route_of(const char *url)
{
    if (strcmp(url, "/mutate") == 0)
        return ROUTE_MUTATE;
    if (strcmp(url, "/validate") == 0)
        return ROUTE_VALIDATE;
    if (strcmp(url, "/healthz") == 0)
        return ROUTE_HEALTHZ;
    if (strcmp(url, "/readyz") == 0)
        return ROUTE_READYZ;
    if (strcmp(url, "/metrics") == 0)
        return ROUTE_METRICS;
    return ROUTE_OTHER;
}

/* "application/json", any case, with or without parameters. */
static int is_json_type(const char *v)
{
    static const char want[] = "application/json";

    if (v == NULL)
        return 0;
    while (*v == ' ' || *v == '\t')
        v++;
    if (strncasecmp(v, want, sizeof(want) - 1) != 0)
        return 0;
    v += sizeof(want) - 1;
    while (*v == ' ' || *v == '\t')
        v++;
    return *v == '\0' || *v == ';';
}

/* Content-Length as a number; -1 when absent or not a plain number. */
static long long content_length(struct MHD_Connection *c)
{
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                MHD_HTTP_HEADER_CONTENT_LENGTH);
    char *end;
    unsigned long long n;

    if (v == NULL)
        return -1;
    while (*v == ' ' || *v == '\t')
        v++;
    if (*v < '0' || *v > '9')
        return -1;
    errno = 0;
    n = strtoull(v, &end, 10);
    while (*end == ' ' || *end == '\t')
        end++;
    if (errno != 0 || *end != '\0' || n > LLONG_MAX)
        return LLONG_MAX; /* absurdly large: over any limit */
    return (long long)n;
}

/*
 * Take n more bytes of the budget for request bodies held in memory (so that
 * many large bodies at once cannot exhaust memory). 0, or -1 when over it.
 */
static int body_reserve(struct server *s, struct request *rq, size_t n)
{
    size_t was = atomic_fetch_add(&s->buffered, n);

    if (was + n > s->max_buffered || was + n < was) {
        atomic_fetch_sub(&s->buffered, n);
        return -1;
    }
    rq->reserved += n;
    return 0;
}

static void body_free(struct server *s, struct request *rq)
{
    atomic_fetch_sub(&s->buffered, rq->reserved);
    rq->reserved = 0;
    free(rq->body);
    rq->body = NULL;
    rq->len = rq->cap = 0;
}

/* Stop keeping the body: what still comes is discarded, then status goes. */
static void body_reject(struct server *s, struct request *rq, unsigned status)
{
    rq->reject = status;
    rq->reject_ms = now_ms();
    rq->discarded = rq->len;
    body_free(s, rq);
}

/*
 * First call for a request, after the headers: route, method, type and
 * announced size are decided here, before any of the body is read.
 */
static enum MHD_Result on_headers(struct server *s, struct MHD_Connection *c,
                                  struct request *rq, const char *url,
                                  const char *method)
{
    int post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
    int get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
              strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
    const char *enc;
    long long clen;

    rq->route = route_of(url);
    if (rq->route == ROUTE_METRICS && s->opts->metrics == NULL)
        rq->route = ROUTE_OTHER;
    /* The plain HTTP health listener serves probes and metrics only. */
    if ((rq->route == ROUTE_MUTATE || rq->route == ROUTE_VALIDATE) &&
        !conn_is_tls(c))
        rq->route = ROUTE_OTHER;
    if (rq->route == ROUTE_OTHER)
        return respond_error(s, c, rq, MHD_HTTP_NOT_FOUND, NULL,
                             "no such path: %.200s", url);
    if (rq->route != ROUTE_MUTATE && rq->route != ROUTE_VALIDATE) {
        if (!get)
            return respond_error(s, c, rq, MHD_HTTP_METHOD_NOT_ALLOWED,
                                 "GET, HEAD", "method %.40s not allowed on %s",
                                 method, url);
        return MHD_YES; /* answered at the end, so keep-alive stays on */
    }
    if (!post)
        return respond_error(s, c, rq, MHD_HTTP_METHOD_NOT_ALLOWED, "POST",
                             "method %.40s not allowed on %s", method, url);
    if (s->opts->client_ca_file != NULL) {
        struct conn *cn = conn_of(c);
        char why[300];

        if (cn == NULL || !cn->client_ok) {
            if (client_cert_ok(c, cn, why, sizeof(why)) != 0)
                return respond_error(s, c, rq, MHD_HTTP_FORBIDDEN, NULL, "%s",
                                     why);
            if (cn != NULL)
                cn->client_ok = 1;
        }
    }
    if (!is_json_type(MHD_lookup_connection_value(
            c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE)))
        return respond_error(s, c, rq, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, NULL,
                             "Content-Type must be application/json");
    enc = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                      MHD_HTTP_HEADER_CONTENT_ENCODING);
    if (enc != NULL && strcasecmp(enc, "identity") != 0)
        return respond_error(s, c, rq, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, NULL,
                             "Content-Encoding %.40s is not supported", enc);
    clen = content_length(c);
    if (clen >= 0 && (unsigned long long)clen > s->max_body)
        return respond_error(s, c, rq, MHD_HTTP_CONTENT_TOO_LARGE, NULL,
                             "request body of %lld bytes is over the limit "
                             "of %zu bytes",
                             clen, s->max_body);
    if (clen > 0) {
        /* Untouched pages of a large malloc cost no memory until filled. */
        if (body_reserve(s, rq, (size_t)clen) != 0 ||
            (rq->body = malloc((size_t)clen)) == NULL)
            return respond_error(s, c, rq, MHD_HTTP_SERVICE_UNAVAILABLE, NULL,
                                 "too many request bodies in memory; retry");
        rq->cap = (size_t)clen;
    }
    return MHD_YES;
}

/* A piece of the body. MHD_NO cuts the connection (see DISCARD_MAX_*). */
static enum MHD_Result on_body(struct server *s, struct MHD_Connection *c,
                               struct request *rq, const char *data,
                               size_t size)
{
    int keep = rq->route == ROUTE_MUTATE || rq->route == ROUTE_VALIDATE;

    if (rq->reject == 0 && size > s->max_body - rq->len)
        body_reject(s, rq, MHD_HTTP_CONTENT_TOO_LARGE);
    if (rq->reject == 0 && keep && size > rq->cap - rq->len) {
        size_t cap = rq->cap < 65536 ? 65536 : rq->cap;
        char *p;

        while (cap - rq->len < size)
            cap = cap > s->max_body / 2 ? s->max_body : cap * 2;
        if (cap > rq->reserved &&
            body_reserve(s, rq, cap - rq->reserved) != 0) {
            body_reject(s, rq, MHD_HTTP_SERVICE_UNAVAILABLE);
        } else {
            p = realloc(rq->body, cap);
            if (p == NULL) {
                body_reject(s, rq, MHD_HTTP_SERVICE_UNAVAILABLE);
            } else {
                rq->body = p;
                rq->cap = cap;
            }
        }
    }
    if (rq->reject != 0) {
        rq->discarded += size;
        if (rq->discarded > s->max_body + DISCARD_MAX_BYTES ||
            now_ms() - rq->reject_ms > DISCARD_MAX_MS) {
            struct conn *cn = conn_of(c);
            log_msg(LOG_WARN,
                    "%s: request body refused (%u) and still coming after "
                    "%llu bytes: closing the connection",
                    route_names[rq->route], rq->reject, rq->discarded);
            if (cn != NULL)
                cn->linger = 1;
            return MHD_NO;
        }
        return MHD_YES;
    }
    if (!keep) {
        rq->len += size; /* counted against the limit, not kept */
        return MHD_YES;
    }
    memcpy(rq->body + rq->len, data, size);
    rq->len += size;
    return MHD_YES;
}

/* Last call: the whole request is in. */
static enum MHD_Result on_complete(struct server *s, struct MHD_Connection *c,
                                   struct request *rq)
{
    const struct server_opts *o = s->opts;
    char *out;
    int status = 500;

    switch (rq->route) {
    case ROUTE_HEALTHZ:
        return respond_text(s, c, rq, MHD_HTTP_OK, "{\"status\":\"ok\"}",
                            "application/json");
    case ROUTE_READYZ:
        if (o->ready == NULL || o->ready(o->arg))
            return respond_text(s, c, rq, MHD_HTTP_OK, "{\"status\":\"ok\"}",
                                "application/json");
        return respond_error(s, c, rq, MHD_HTTP_SERVICE_UNAVAILABLE, NULL,
                             "not ready");
    case ROUTE_METRICS:
        out = o->metrics(o->arg);
        if (out == NULL)
            return respond_error(s, c, rq, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL,
                                 "out of memory");
        return respond(s, c, rq, MHD_HTTP_OK, out, strlen(out), 1,
                       "text/plain; version=0.0.4; charset=utf-8", NULL);
    case ROUTE_MUTATE:
    case ROUTE_VALIDATE:
        break;
    case ROUTE_OTHER:
    default:
        return MHD_NO; /* answered in on_headers */
    }
    if (rq->reject == MHD_HTTP_CONTENT_TOO_LARGE)
        return respond_error(s, c, rq, MHD_HTTP_CONTENT_TOO_LARGE, NULL,
                             "request body of %llu bytes is over the limit "
                             "of %zu bytes",
                             rq->discarded, s->max_body);
    if (rq->reject != 0)
        return respond_error(s, c, rq, rq->reject, NULL,
                             "too many request bodies in memory; retry");
    jsonarena_begin();
    out = o->review(o->arg,
                    rq->route == ROUTE_MUTATE ? REVIEW_MUTATE : REVIEW_VALIDATE,
                    rq->body != NULL ? rq->body : "", rq->len, &status);
    jsonarena_end();
    if (out == NULL)
        return respond_error(s, c, rq, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL,
                             "out of memory");
    if (status < 200 || status > 599) {
        log_msg(LOG_ERROR, "%s: review returned status %d",
                route_names[rq->route], status);
        free(out);
        return respond_error(s, c, rq, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL,
                             "internal error");
    }
    return respond(s, c, rq, (unsigned)status, out, strlen(out), 1,
                   "application/json", NULL);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    struct server *s = cls;
    struct request *rq = *con_cls;
    enum MHD_Result ret;

    (void)version;
    if (rq == NULL) {
        rq = calloc(1, sizeof(*rq));
        if (rq == NULL)
            return MHD_NO;
        rq->start_us = now_us();
        *con_cls = rq;
        atomic_fetch_add(&s->active, 1);
        atomic_store(&s->last_request_ms, rq->start_us / 1000);
        tls_pair_settle(s, c);
        return on_headers(s, c, rq, url, method);
    }
    if (*upload_data_size > 0) {
        ret = on_body(s, c, rq, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return ret;
    }
    /*
     * The last call has upload_data NULL. libmicrohttpd 0.9.75 also calls
     * with no data but a buffer when bytes of a pipelined next request sit
     * behind a body that has ended (seen with Expect: 100-continue): an
     * answer queued then would be refused, so that call is only a no-op.
     */
    if (upload_data != NULL)
        return MHD_YES;
    return on_complete(s, c, rq);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct server *s = cls;
    struct request *rq = *con_cls;

    (void)c;
    (void)toe;
    if (rq == NULL)
        return;
    body_free(s, rq);
    free(rq);
    *con_cls = NULL;
    atomic_fetch_sub(&s->active, 1);
}

static void on_connection(void *cls, struct MHD_Connection *c,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    struct server *s = cls;
    struct conn *cn = *socket_context;

    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        cn = calloc(1, sizeof(struct conn));
        if (cn != NULL)
            cn->ca = tls_ca_now();
        tls_pair_hold(c, cn); /* before the handshake, which comes later */
        *socket_context = cn;
        atomic_fetch_add(&s->conns, 1);
        return;
    }
    atomic_fetch_sub(&s->conns, 1);
    tls_pair_drop(c, cn);
    if (cn != NULL && cn->linger && !atomic_load(&s->stopped)) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (ci != NULL && ci->connect_fd >= 0)
            linger_add(&s->lg, ci->connect_fd);
    }
    free(cn);
    *socket_context = NULL;
}

/* ---- start-up ---- */

/* The whole file, NUL-terminated, in a new malloc'd buffer. */
static char *read_pem(const char *what, const char *path, size_t *len,
                      struct err *err)
{
    struct err rerr = {{0}};
    char *buf = yamljson_read_file(path, MAX_PEM_FILE, len, &rerr);

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

struct tls_pair {
    gnutls_pcert_st pcert[TLS_MAX_CHAIN];
    unsigned n;
    gnutls_privkey_t key;
    time_t not_after; /* of the leaf certificate; 0: unknown */
    long used;        /* connections open whose handshake used this pair */
    long pending;     /* connections open that opened under it, pair unknown */
    struct tls_pair *older; /* the pairs not freed yet, newest first */
};

static _Atomic(struct tls_pair *) tls_current;
/*
 * Guards every pair's counts and which pair is current while a connection
 * takes it (tls_pair_hold), so that tls_pairs_prune never frees a pair that
 * a connection is about to count; tls_untracked: connections open that
 * could not be counted (no memory for their struct conn), which stop
 * every pruning while they last.
 */
static pthread_mutex_t tls_pairs_mu = PTHREAD_MUTEX_INITIALIZER;
static long tls_untracked;
/* notAfter of tls_current's leaf, for server_cert_not_after(); 0: none. */
static _Atomic long long tls_not_after;

/*
 * The client CA (--client-ca), a trust list of GnuTLS's own rather than the
 * trust of libmicrohttpd's credentials (MHD_OPTION_HTTPS_MEM_TRUST), which
 * is set once and read by every handshake: a new file is loaded into a new
 * list, published here for the handshakes to come, and the old one kept
 * until the server stops, so that connections opened under it keep going.
 * NULL: no client certificates asked for.
 */
struct tls_ca {
    gnutls_x509_trust_list_t tl;
    struct tls_ca *older; /* every CA loaded, for freeing at the end */
};
static _Atomic(struct tls_ca *) tls_ca_current;

static const struct tls_ca *tls_ca_now(void)
{
    return atomic_load(&tls_ca_current);
}

time_t server_cert_not_after(void)
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
static void tls_publish(struct server *s, struct tls_pair *p)
{
    pthread_mutex_lock(&tls_pairs_mu);
    atomic_store(&tls_current, p);
    pthread_mutex_unlock(&tls_pairs_mu);
    atomic_store(&tls_not_after, (long long)p->not_after);
    tls_warn_expiry(s->opts->cert_file, p->not_after);
    s->expiry_warned = time(NULL);
}

/*
 * Whether the session's peer certificate chain leads to ca and is good for
 * client authentication: 0, or -1 with why in msg (cap bytes).
 */
static int tls_ca_verify(const struct tls_ca *ca, gnutls_session_t session,
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
    const struct tls_ca *ca = tls_ca_now();
    char why[300];

    if (ca == NULL || tls_ca_verify(ca, session, why, sizeof(why)) != 0)
        return GNUTLS_E_CERTIFICATE_ERROR;
    return 0;
}

static int tls_retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca,
                        int nreqs, const gnutls_pk_algorithm_t *algos,
                        int nalgos, gnutls_pcert_st **pcert,
                        unsigned int *pcert_length, gnutls_privkey_t *privkey)
{
    struct tls_pair *p = atomic_load(&tls_current);

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
    if (tls_ca_now() != NULL) {
        gnutls_certificate_server_set_request(session, GNUTLS_CERT_REQUIRE);
        gnutls_session_set_verify_function(session, tls_verify_client);
    }
    *pcert = p->pcert;
    *pcert_length = p->n;
    *privkey = p->key;
    return 0;
}

/* A connection opens: count a TLS one on the pair in force. */
static void tls_pair_hold(struct MHD_Connection *c, struct conn *cn)
{
    struct tls_pair *p;

    if (!conn_is_tls(c))
        return; /* the health listener's */
    pthread_mutex_lock(&tls_pairs_mu);
    p = atomic_load(&tls_current);
    if (cn == NULL)
        tls_untracked++;
    else if (p != NULL)
        p->pending++;
    if (cn != NULL)
        cn->pair = p;
    pthread_mutex_unlock(&tls_pairs_mu);
}

/*
 * A request came, so the handshake is done: count the connection on the
 * pair it used (GnuTLS hands back our own pcert), no longer on every pair
 * since the one it opened under.
 */
static void tls_pair_settle(struct server *s, struct MHD_Connection *c)
{
    struct conn *cn = conn_of(c);
    const union MHD_ConnectionInfo *ci;
    const gnutls_datum_t *ours;
    struct tls_pair *p;

    if (cn == NULL || cn->pair_known || cn->pair == NULL)
        return;
    ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    ours = ci != NULL && ci->tls_session != NULL
               ? gnutls_certificate_get_ours(ci->tls_session)
               : NULL;
    if (ours == NULL)
        return; /* not known: stays pending, which keeps more, never less */
    pthread_mutex_lock(&tls_pairs_mu);
    for (p = s->pairs; p != NULL; p = p->older)
        if (ours == &p->pcert[0].cert)
            break;
    if (p != NULL) {
        cn->pair->pending--;
        p->used++;
        cn->pair = p;
        cn->pair_known = 1;
    }
    pthread_mutex_unlock(&tls_pairs_mu);
}

/* A connection closed (cn as tls_pair_hold had it). */
static void tls_pair_drop(struct MHD_Connection *c, struct conn *cn)
{
    if (!conn_is_tls(c))
        return;
    pthread_mutex_lock(&tls_pairs_mu);
    if (cn == NULL)
        tls_untracked--;
    else if (cn->pair != NULL && cn->pair_known)
        cn->pair->used--;
    else if (cn->pair != NULL)
        cn->pair->pending--;
    pthread_mutex_unlock(&tls_pairs_mu);
}

static void tls_pair_free(struct tls_pair *p)
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
static struct tls_pair *tls_pair_load(const char *cert_file,
                                      const char *key_file, struct err *err)
{
    struct tls_pair *p = NULL;
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
static void tls_check_pair(struct server *s)
{
    const struct server_opts *o = s->opts;
    struct file_sig c, k;
    struct err e = {{0}};
    struct tls_pair *p;

    /* Once a day, the expiry warning again while it applies. */
    if (time(NULL) - s->expiry_warned >= 86400) {
        p = atomic_load(&tls_current);
        if (p != NULL)
            tls_publish(s, p);
    }
    if (file_sig_of(o->cert_file, &c) != 0 || file_sig_of(o->key_file, &k) != 0)
        return; /* in the middle of an update, or gone: look again later */
    if (file_sig_same(&c, &s->cert_sig) && file_sig_same(&k, &s->key_sig))
        return;
    s->cert_sig = c;
    s->key_sig = k;
    p = tls_pair_load(o->cert_file, o->key_file, &e);
    if (p == NULL) {
        log_msg(LOG_ERROR, "new certificate refused, serving the old one: %s",
                e.msg);
        return;
    }
    p->older = s->pairs;
    s->pairs = p;
    log_msg(LOG_INFO, "certificate %s reloaded", o->cert_file);
    tls_publish(s, p);
}

/*
 * Free the pairs no session points to or can come to: a replaced pair that
 * no connection used and that no connection waiting for its first request
 * opened under, or under an older pair (its handshake takes the pair
 * current then or a newer one). s->pairs, newest first, starts with the
 * pair in service, which stays. Each period, so that a pair goes soon
 * after its last connection closed; logs what it freed at debug.
 */
static void tls_pairs_prune(struct server *s)
{
    struct tls_pair *p, **pp;
    long pending = 0; /* of the pairs older than p, p included */
    unsigned freed = 0, kept = 0;

    pthread_mutex_lock(&tls_pairs_mu);
    for (p = s->pairs; p != NULL; p = p->older)
        pending += p->pending;
    for (pp = &s->pairs; (p = *pp) != NULL;) {
        if (p != s->pairs && tls_untracked == 0 && pending == 0 &&
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

/*
 * With a client CA the handshake already requires a client certificate that
 * the CA signed (tls_retrieve); /mutate and /validate check it again here,
 * so that a session that skipped that (a resumed one) cannot get through
 * without. The CA is the one in force when the connection opened (cn, NULL
 * when unknown), so that a connection opened before a new CA came keeps
 * going, or the one in force now. Probes use the health listener. 0 when
 * the certificate is there and good, else -1 with why in msg.
 */
static int client_cert_ok(struct MHD_Connection *c, const struct conn *cn,
                          char *msg, size_t cap)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    const struct tls_ca *now = tls_ca_now();

    if (ci == NULL || ci->tls_session == NULL) {
        snprintf(msg, cap, "no TLS session");
        return -1;
    }
    if (cn != NULL && cn->ca != NULL && cn->ca != now &&
        tls_ca_verify(cn->ca, ci->tls_session, msg, cap) == 0)
        return 0;
    if (now == NULL) {
        snprintf(msg, cap, "no client CA");
        return -1;
    }
    return tls_ca_verify(now, ci->tls_session, msg, cap);
}

static void tls_ca_free(struct tls_ca *ca)
{
    if (ca == NULL)
        return;
    if (ca->tl != NULL)
        gnutls_x509_trust_list_deinit(ca->tl, 1);
    free(ca);
}

/* A new trust list of the PEM bundle path (one CA or more), or NULL. */
static struct tls_ca *tls_ca_load(const char *path, struct err *err)
{
    struct tls_ca *ca = NULL;
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
static void tls_check_ca(struct server *s)
{
    const char *path = s->opts->client_ca_file;
    struct err e = {{0}};
    struct file_sig sig;
    struct tls_ca *ca;

    if (path == NULL || file_sig_of(path, &sig) != 0 ||
        file_sig_same(&sig, &s->ca_sig))
        return;
    s->ca_sig = sig;
    ca = tls_ca_load(path, &e);
    if (ca == NULL) {
        log_msg(LOG_ERROR, "new client CA refused, keeping the old one: %s",
                e.msg);
        return;
    }
    ca->older = s->cas;
    s->cas = ca;
    atomic_store(&tls_ca_current, ca);
    log_msg(LOG_INFO, "client CA %s reloaded", path);
}

/* "host:port" of a socket address, for messages. */
static void addr_text(const struct sockaddr *sa, socklen_t len, char *buf,
                      size_t cap)
{
    char host[NI_MAXHOST], port[NI_MAXSERV];

    if (getnameinfo(sa, len, host, sizeof(host), port, sizeof(port),
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        snprintf(buf, cap, "?");
        return;
    }
    snprintf(buf, cap, sa->sa_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host,
             port);
}

/*
 * A listening socket for "ADDR:PORT", "[IPv6]:PORT" or ":PORT" (every
 * address: IPv6 and IPv4 where the host has IPv6). Opened here rather than
 * by libmicrohttpd so that a failure says why.
 */
static int listen_socket(const char *spec, struct err *err)
{
    char host[256], portbuf[8];
    const char *colon, *hp = host;
    struct addrinfo hints, *res = NULL, *ai;
    char *end;
    long port;
    size_t hlen;
    int fd = -1, r, saved = 0, one = 1, zero = 0;

    if (spec[0] == '[') {
        const char *rb = strchr(spec, ']');
        if (rb == NULL || rb[1] != ':') {
            err_set(err, "listen address %s: want [IPv6]:PORT", spec);
            return -1;
        }
        hlen = (size_t)(rb - spec - 1);
        memcpy(host, spec + 1, hlen < sizeof(host) ? hlen : 0);
        colon = rb + 1;
    } else {
        colon = strrchr(spec, ':');
        if (colon == NULL || memchr(spec, ':', (size_t)(colon - spec))) {
            err_set(err, "listen address %s: want ADDR:PORT or [IPv6]:PORT",
                    spec);
            return -1;
        }
        hlen = (size_t)(colon - spec);
        memcpy(host, spec, hlen < sizeof(host) ? hlen : 0);
    }
    if (hlen >= sizeof(host)) {
        err_set(err, "listen address %s: host too long", spec);
        return -1;
    }
    host[hlen] = '\0';
    errno = 0;
    port = strtol(colon + 1, &end, 10);
    if (colon[1] < '0' || colon[1] > '9' || *end != '\0' || errno != 0 ||
        port < 0 || port > 65535) {
        err_set(err, "listen address %s: bad port", spec);
        return -1;
    }
    snprintf(portbuf, sizeof(portbuf), "%ld", port);
    if (host[0] == '\0')
        hp = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    r = getaddrinfo(hp, portbuf, &hints, &res);
    if (r != 0) {
        err_set(err, "listen address %s: %s", spec, gai_strerror(r));
        return -1;
    }
    /* For ":PORT", the IPv6 wildcard (dual stack) first, then IPv4. */
    for (int pass = 0; pass < 2 && fd < 0; pass++) {
        for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
            if (hp == NULL && (ai->ai_family == AF_INET6) != (pass == 0))
                continue;
            if (hp != NULL && pass == 1)
                break;
            fd = socket(ai->ai_family,
                        ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                        ai->ai_protocol);
            if (fd < 0) {
                saved = errno;
                continue;
            }
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
            if (ai->ai_family == AF_INET6)
                setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY,
                           hp == NULL ? &zero : &one, sizeof(int));
            if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
                listen(fd, SOMAXCONN) != 0) {
                saved = errno;
                close(fd);
                fd = -1;
            }
        }
    }
    freeaddrinfo(res);
    if (fd < 0)
        err_set(err, "cannot listen on %s: %s", spec,
                strerror(saved != 0 ? saved : EADDRNOTAVAIL));
    return fd;
}

/* CPUs this process may run on (a cpuset or taskset), else those online. */
static long cpu_count(void)
{
    cpu_set_t set;

    if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
    return sysconf(_SC_NPROCESSORS_ONLN);
}

static void on_signal(int signo)
{
    int saved = errno;
    unsigned char b = (unsigned char)signo;
    ssize_t n;

    if (signal_fd >= 0) {
        n = write(signal_fd, &b, 1);
        (void)n;
    }
    errno = saved;
}

/* Wait for a signal for at most ms (-1: forever). Its number, or 0. */
static int wait_signal(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    unsigned char b;

    if (poll(&p, 1, ms) <= 0 || read(fd, &b, 1) != 1)
        return 0;
    return b;
}

int server_run(const struct server_opts *opts, struct err *err)
{
    struct server s;
    struct sigaction sa, old_int, old_term;
    struct sockaddr_storage ss;
    socklen_t sslen = sizeof(ss);
    struct MHD_Daemon *d = NULL, *hd = NULL;
    struct MHD_OptionItem more[2] = {{MHD_OPTION_END, 0, NULL},
                                     {MHD_OPTION_END, 0, NULL}};
    struct tls_pair *p;
    struct tls_ca *ca;
    char where[NI_MAXHOST + NI_MAXSERV + 4];
    const char *listen_spec;
    unsigned threads, timeout_s, max_conns, grace_s, reload_s, ticks;
    int lfd = -1, hfd = -1, pipefd[2] = {-1, -1}, signals_set = 0, signo, i,
        rc = -1;
    long cores;
    long long deadline, quiet_from;

    memset(&s, 0, sizeof(s));
    memset(&ss, 0, sizeof(ss));
    s.lg.epfd = -1;
    atomic_init(&s.stopping, 0);
    atomic_init(&s.stopped, 0);
    atomic_init(&s.active, 0);
    atomic_init(&s.conns, 0);
    atomic_init(&s.last_request_ms, 0);
    s.opts = opts;
    if (opts == NULL || opts->review == NULL || opts->cert_file == NULL ||
        opts->key_file == NULL) {
        err_set(err, "server: review callback, certificate and key needed");
        return -1;
    }
    s.max_body = opts->max_body != 0 ? opts->max_body : DEFAULT_MAX_BODY;
    s.max_buffered = opts->max_buffered != 0      ? opts->max_buffered
                     : s.max_body > SIZE_MAX / 16 ? SIZE_MAX
                                                  : 16 * s.max_body;
    atomic_init(&s.buffered, 0);
    listen_spec = opts->listen != NULL ? opts->listen : DEFAULT_LISTEN;
    cores = cpu_count();
    threads = opts->threads != 0 ? opts->threads
              : cores > 0        ? (unsigned)cores
                                 : 1;
    timeout_s = opts->timeout_s != 0 ? opts->timeout_s : DEFAULT_TIMEOUT_S;
    max_conns =
        opts->max_connections != 0 ? opts->max_connections : DEFAULT_MAX_CONNS;
    if (max_conns < threads)
        max_conns = threads; /* libmicrohttpd splits it among the threads */
    grace_s = opts->grace_s != 0 ? opts->grace_s : DEFAULT_GRACE_S;
    reload_s = opts->reload_s != 0 ? opts->reload_s : DEFAULT_RELOAD_S;
    if (reload_s > INT_MAX / 1000)
        reload_s = INT_MAX / 1000;

    if (atomic_load(&tls_current) != NULL) {
        err_set(err, "server: already running");
        return -1;
    }
    /* One arena a worker thread; the health listener reviews nothing. */
    if (jsonarena_init(threads, JSON_ARENA_BYTES, err) != 0)
        goto out;
    /* Looked at before reading, so that a change while reading is seen. */
    file_sig_of(opts->cert_file, &s.cert_sig);
    file_sig_of(opts->key_file, &s.key_sig);
    s.pairs = tls_pair_load(opts->cert_file, opts->key_file, err);
    if (s.pairs == NULL)
        goto out;
    if (opts->client_ca_file != NULL) {
        file_sig_of(opts->client_ca_file, &s.ca_sig);
        s.cas = tls_ca_load(opts->client_ca_file, err);
        if (s.cas == NULL)
            goto out;
    }
    lfd = listen_socket(listen_spec, err);
    if (lfd < 0)
        goto out;
    if (opts->health_listen != NULL) {
        hfd = listen_socket(opts->health_listen, err);
        if (hfd < 0)
            goto out;
    }
    if (getsockname(lfd, (struct sockaddr *)&ss, &sslen) == 0)
        addr_text((struct sockaddr *)&ss, sslen, where, sizeof(where));
    else
        snprintf(where, sizeof(where), "%s", listen_spec);
    if (linger_start(&s.lg, err) != 0)
        goto out;

    if (pipe2(pipefd, O_CLOEXEC | O_NONBLOCK) != 0) {
        err_set(err, "pipe2: %s", strerror(errno));
        goto out;
    }
    signal_fd = pipefd[1];
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    signals_set = 1;

    atomic_store(&tls_ca_current, s.cas);
    tls_publish(&s, s.pairs);
    /* A pool of one is refused with a warning: leave the option out. */
    i = 0;
    if (threads > 1) {
        more[i].option = MHD_OPTION_THREAD_POOL_SIZE;
        more[i++].value = (intptr_t)threads;
    }
    d = MHD_start_daemon(
        MHD_USE_TLS | MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC |
            MHD_USE_ERROR_LOG,
        0, NULL, NULL, on_request, &s, MHD_OPTION_EXTERNAL_LOGGER, log_mhd,
        NULL, MHD_OPTION_LISTEN_SOCKET, lfd, MHD_OPTION_HTTPS_CERT_CALLBACK,
        tls_retrieve, MHD_OPTION_HTTPS_PRIORITIES, TLS_PRIORITIES,
        MHD_OPTION_CONNECTION_TIMEOUT, timeout_s, MHD_OPTION_CONNECTION_LIMIT,
        max_conns, MHD_OPTION_NOTIFY_COMPLETED, on_completed, &s,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, &s, MHD_OPTION_ARRAY, more,
        MHD_OPTION_END);
    if (d == NULL) {
        err_set(err, "cannot start the HTTPS server on %s", where);
        goto out;
    }
    lfd = -1; /* the daemon's now */
    log_msg(LOG_INFO,
            "listening on https://%s (%u threads, body limit %zu bytes%s)",
            where, threads, s.max_body,
            s.cas != NULL ? ", client certificates required" : "");
    if (hfd >= 0) {
        /* Kubelet probes present no client certificate: with a client CA
         * they cannot use the HTTPS port, so they get their own. */
        char hwhere[NI_MAXHOST + NI_MAXSERV + 4];

        sslen = sizeof(ss);
        if (getsockname(hfd, (struct sockaddr *)&ss, &sslen) == 0)
            addr_text((struct sockaddr *)&ss, sslen, hwhere, sizeof(hwhere));
        else
            snprintf(hwhere, sizeof(hwhere), "%s", opts->health_listen);
        hd = MHD_start_daemon(
            MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG, 0,
            NULL, NULL, on_request, &s, MHD_OPTION_EXTERNAL_LOGGER, log_mhd,
            NULL, MHD_OPTION_LISTEN_SOCKET, hfd, MHD_OPTION_CONNECTION_TIMEOUT,
            timeout_s, MHD_OPTION_CONNECTION_LIMIT, 64u,
            MHD_OPTION_NOTIFY_COMPLETED, on_completed, &s,
            MHD_OPTION_NOTIFY_CONNECTION, on_connection, &s, MHD_OPTION_END);
        if (hd == NULL) {
            err_set(err, "cannot start the health server on %s", hwhere);
            goto out;
        }
        hfd = -1;
        log_msg(LOG_INFO,
                "listening on http://%s for /healthz, /readyz and /metrics",
                hwhere);
    }

    /* Each second the held-back error lines; each period the files. */
    for (ticks = 1; !wait_signal(pipefd[0], 1000); ticks++) {
        log_tick(0);
        if (ticks % reload_s == 0) {
            tls_check_pair(&s);
            tls_pairs_prune(&s);
            tls_check_ca(&s);
        }
    }
    atomic_store(&s.stopping, 1);
    log_msg(LOG_INFO,
            "signal received: finishing %ld requests, %ld connections open "
            "(at most %u s)",
            atomic_load(&s.active), atomic_load(&s.conns), grace_s);
    lfd = MHD_quiesce_daemon(d);
    if (lfd != MHD_INVALID_SOCKET)
        close(lfd);
    lfd = -1;
    if (hd != NULL) {
        hfd = MHD_quiesce_daemon(hd);
        if (hfd != MHD_INVALID_SOCKET)
            close(hfd);
        hfd = -1;
    }
    /*
     * Wait for the requests in flight and for the connections still in use:
     * each gets its next answer with Connection: close, so a client that
     * keeps posting is told to stop rather than cut off with its request
     * unread. A connection is left to MHD_stop_daemon to close once every
     * connection has been quiet for SHUTDOWN_IDLE_MS (counted from the
     * signal at the earliest): only a client that sends after such a pause
     * can then race with the close.
     */
    quiet_from = now_ms();
    deadline = quiet_from + (long long)grace_s * 1000;
    for (;;) {
        long long now = now_ms(), last = atomic_load(&s.last_request_ms);

        if (last > quiet_from)
            quiet_from = last;
        if (atomic_load(&s.active) == 0 &&
            (atomic_load(&s.conns) == 0 ||
             now - quiet_from >= SHUTDOWN_IDLE_MS))
            break;
        if (now >= deadline) {
            log_msg(LOG_INFO, "grace period over: dropping %ld requests",
                    atomic_load(&s.active));
            break;
        }
        signo = wait_signal(pipefd[0], 50);
        if (signo != 0) {
            /*
             * Die of the signal, as if no handler had been there: stopping
             * the daemon would wait for the review calls under way.
             */
            log_msg(LOG_INFO, "second signal: exiting now");
            signal(signo, SIG_DFL);
            raise(signo);
            break;
        }
    }
    atomic_store(&s.stopped, 1);
    if (hd != NULL)
        MHD_stop_daemon(hd);
    hd = NULL;
    MHD_stop_daemon(d);
    d = NULL;
    rc = 0;
out:
    if (hd != NULL)
        MHD_stop_daemon(hd);
    if (d != NULL)
        MHD_stop_daemon(d);
    if (lfd >= 0)
        close(lfd);
    if (hfd >= 0)
        close(hfd);
    linger_stop(&s.lg);
    if (signals_set) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
    }
    signal_fd = -1;
    if (pipefd[0] >= 0)
        close(pipefd[0]);
    if (pipefd[1] >= 0)
        close(pipefd[1]);
    atomic_store(&tls_current, NULL);
    atomic_store(&tls_not_after, 0);
    log_tick(1); /* what the limit held back, before the last line */
    atomic_store(&tls_ca_current, NULL);
    while ((p = s.pairs) != NULL) {
        s.pairs = p->older;
        tls_pair_free(p);
    }
    while ((ca = s.cas) != NULL) {
        s.cas = ca->older;
        tls_ca_free(ca);
    }
    return rc;
}
