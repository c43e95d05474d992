/* server.c - the libmicrohttpd daemons: routes, answers, the graceful stop. */
/* sched_getaffinity */
#define _GNU_SOURCE

#include "server.h"

#include "body.h"
#include "jsonarena.h"
#include "linger.h"
#include "listen.h"
#include "log.h"
#include "monotime.h"
#include "termsig.h"
#include "tlscreds.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

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
 * After a signal, a keep-alive connection that carried no request for this
 * long is idle and is closed; busy ones get Connection: close on their next
 * answer (see server_run).
 */
#define SHUTDOWN_IDLE_MS 500

/* A refused body's answer is the status body.h names. */
_Static_assert(BODY_TOO_LARGE == MHD_HTTP_CONTENT_TOO_LARGE &&
                   BODY_NO_ROOM == MHD_HTTP_SERVICE_UNAVAILABLE,
               "body.h's statuses are HTTP's");

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

struct server {
    const struct server_opts *opts;
    struct body_budget budget; /* of request bodies held in memory */
    atomic_int stopping; /* signal received: answers close the connection */
    atomic_int stopped;  /* MHD_stop_daemon under way: no more lingering */
    atomic_long active;  /* requests seen by on_request, not yet completed */
    atomic_long conns;   /* connections open, on either listener */
    _Atomic long long last_request_ms; /* when the latest request began */
    atomic_int was_ready;              /* /readyz has answered 200 once */
    struct lingerer *lg;               /* error answers' sockets */
    struct tlscreds *tc;               /* the TLS credentials in service */
};

/* Per TCP connection: the socket context of libmicrohttpd. */
struct conn {
    int linger;    /* an error answer was sent: drain the socket before close */
    int client_ok; /* the client certificate was verified */
    const struct tlscreds_ca *ca; /* the client CA in force when it opened */
    struct tlscreds_hold hold;    /* the serving pair it counts on */
};

/* Per HTTP request: the con_cls of libmicrohttpd. */
struct request {
    enum route route;
    long long start_us; /* the end of the headers, for observe */
    struct body body;
};

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
                         (double)(monotime_us() - rq->start_us) / 1e6);
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

/*
 * A request came on c, so its handshake is done: count the connection on
 * the serving pair that handshake used (see tlscreds_hold).
 */
static void tls_pair_settle(struct server *s, struct MHD_Connection *c)
{
    struct conn *cn = conn_of(c);
    const union MHD_ConnectionInfo *ci;

    if (cn == NULL || cn->hold.known || cn->hold.pair == NULL)
        return;
    ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    tlscreds_settle(s->tc, &cn->hold, ci != NULL ? ci->tls_session : NULL);
}

/*
 * With a client CA the handshake already requires a client certificate that
 * the CA signed (tlscreds_retrieve); /mutate and /validate check it again
 * here, so that a session that skipped that (a resumed one) cannot get
 * through without. The CA is the one in force when the connection opened
 * (see tlscreds_client_ok). Probes use the health listener. 0 when the
 * certificate is there and good, else -1 with why in msg.
 */
static int client_cert_ok(struct MHD_Connection *c, const struct conn *cn,
                          char *msg, size_t cap)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);

    if (ci == NULL || ci->tls_session == NULL) {
        snprintf(msg, cap, "no TLS session");
        return -1;
    }
    return tlscreds_client_ok(ci->tls_session, cn != NULL ? cn->ca : NULL, msg,
                              cap);
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
    if (clen >= 0 && (unsigned long long)clen > s->budget.max_body)
        return respond_error(s, c, rq, MHD_HTTP_CONTENT_TOO_LARGE, NULL,
                             "request body of %lld bytes is over the limit "
                             "of %zu bytes",
                             clen, s->budget.max_body);
    if (clen > 0 && body_expect(&s->budget, &rq->body, (size_t)clen) != 0)
        return respond_error(s, c, rq, MHD_HTTP_SERVICE_UNAVAILABLE, NULL,
                             "too many request bodies in memory; retry");
    return MHD_YES;
}

/* A piece of the body. MHD_NO cuts the connection (see body_add). */
static enum MHD_Result on_body(struct server *s, struct MHD_Connection *c,
                               struct request *rq, const char *data,
                               size_t size)
{
    int keep = rq->route == ROUTE_MUTATE || rq->route == ROUTE_VALIDATE;

    if (body_add(&s->budget, &rq->body, keep, data, size) != 0) {
        struct conn *cn = conn_of(c);
        log_msg(LOG_WARN,
                "%s: request body refused (%u) and still coming after "
                "%llu bytes: closing the connection",
                route_names[rq->route], rq->body.reject, rq->body.discarded);
        if (cn != NULL)
            cn->linger = 1;
        return MHD_NO;
    }
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
        if (o->ready == NULL || o->ready(o->arg)) {
            atomic_store(&s->was_ready, 1);
            return respond_text(s, c, rq, MHD_HTTP_OK, "{\"status\":\"ok\"}",
                                "application/json");
        }
        /* Not ready while starting (listing the API) is expected: a warn
         * line for each kubelet probe would bury the log. Not ready after
         * being ready is worth one. */
        if (!atomic_load(&s->was_ready)) {
            log_msg(LOG_DEBUG, "/readyz: 503: not ready yet (starting)");
            return respond_text(s, c, rq, MHD_HTTP_SERVICE_UNAVAILABLE,
                                "{\"code\":503,\"error\":\"not ready\"}",
                                "application/json");
        }
        return respond_error(s, c, rq, MHD_HTTP_SERVICE_UNAVAILABLE, NULL,
                             "not ready after being ready");
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
    if (rq->body.reject == BODY_TOO_LARGE)
        return respond_error(s, c, rq, MHD_HTTP_CONTENT_TOO_LARGE, NULL,
                             "request body of %llu bytes is over the limit "
                             "of %zu bytes",
                             rq->body.discarded, s->budget.max_body);
    if (rq->body.reject != 0)
        return respond_error(s, c, rq, rq->body.reject, NULL,
                             "too many request bodies in memory; retry");
    jsonarena_begin();
    out = o->review(
        o->arg, rq->route == ROUTE_MUTATE ? REVIEW_MUTATE : REVIEW_VALIDATE,
        rq->body.data != NULL ? rq->body.data : "", rq->body.len, &status);
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
        rq->start_us = monotime_us();
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
    body_free(&s->budget, &rq->body);
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
            cn->ca = tlscreds_ca_now();
        if (conn_is_tls(c)) /* before the handshake, which comes later */
            tlscreds_hold(cn != NULL ? &cn->hold : NULL);
        *socket_context = cn;
        atomic_fetch_add(&s->conns, 1);
        return;
    }
    atomic_fetch_sub(&s->conns, 1);
    if (conn_is_tls(c)) /* not the health listener's */
        tlscreds_drop(cn != NULL ? &cn->hold : NULL);
    if (cn != NULL && cn->linger && !atomic_load(&s->stopped)) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (ci != NULL && ci->connect_fd >= 0)
            linger_add(s->lg, ci->connect_fd);
    }
    free(cn);
    *socket_context = NULL;
}

/* ---- start-up ---- */

/* CPUs this process may run on (a cpuset or taskset), else those online. */
static long cpu_count(void)
{
    cpu_set_t set;

    if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
    return sysconf(_SC_NPROCESSORS_ONLN);
}

time_t server_cert_not_after(void)
{
    return tlscreds_not_after();
}

int server_run(const struct server_opts *opts, struct err *err)
{
    struct server s;
    struct MHD_Daemon *d = NULL, *hd = NULL;
    struct MHD_OptionItem more[2] = {{MHD_OPTION_END, 0, NULL},
                                     {MHD_OPTION_END, 0, NULL}};
    struct tlscreds *tc = NULL;
    char where[LISTEN_NAME_MAX];
    const char *listen_spec;
    size_t max_body;
    unsigned threads, timeout_s, max_conns, grace_s, reload_s, ticks;
    int lfd = -1, hfd = -1, signo, i, rc = -1;
    long cores;
    long long deadline, quiet_from;

    memset(&s, 0, sizeof(s));
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
    max_body = opts->max_body != 0 ? opts->max_body : DEFAULT_MAX_BODY;
    body_budget_init(&s.budget, max_body,
                     opts->max_buffered != 0    ? opts->max_buffered
                     : max_body > SIZE_MAX / 16 ? SIZE_MAX
                                                : 16 * max_body);
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

    if (tlscreds_in_service()) {
        err_set(err, "server: already running");
        return -1;
    }
    /* One arena a worker thread; the health listener reviews nothing. */
    if (jsonarena_init(threads, JSON_ARENA_BYTES, err) != 0)
        goto out;
    tc = tlscreds_load(opts->cert_file, opts->key_file, opts->client_ca_file,
                       err);
    if (tc == NULL)
        goto out;
    s.tc = tc;
    lfd = listen_socket(listen_spec, err);
    if (lfd < 0)
        goto out;
    if (opts->health_listen != NULL) {
        hfd = listen_socket(opts->health_listen, err);
        if (hfd < 0)
            goto out;
    }
    listen_name(lfd, listen_spec, where, sizeof(where));
    s.lg = linger_start(err);
    if (s.lg == NULL)
        goto out;

    if (termsig_catch(err) != 0)
        goto out;

    tlscreds_publish(tc);
    /* A pool of one is refused with a warning: leave the option out. */
    i = 0;
    if (threads > 1) {
        more[i].option = MHD_OPTION_THREAD_POOL_SIZE;
        more[i++].value = (intptr_t)threads;
    }
    /*
     * poll, not epoll, for the pool: libmicrohttpd 0.9.75 (Debian 12)
     * aborts the process ("Failed to remove listen FD from epoll set", in
     * MHD_quiesce_daemon) when a worker thread took the listen socket out
     * of its epoll set first, a race the single-thread path and the workers
     * tolerate (ENOENT) and the pool path of MHD_quiesce_daemon does not;
     * seen at SIGTERM. With poll, each worker drops the socket itself.
     */
    d = MHD_start_daemon(
        MHD_USE_TLS | MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ITC |
            MHD_USE_ERROR_LOG,
        0, NULL, NULL, on_request, &s, MHD_OPTION_EXTERNAL_LOGGER, log_mhd,
        NULL, MHD_OPTION_LISTEN_SOCKET, lfd, MHD_OPTION_HTTPS_CERT_CALLBACK,
        tlscreds_retrieve, MHD_OPTION_HTTPS_PRIORITIES, TLSCREDS_PRIORITIES,
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
            where, threads, max_body,
            opts->client_ca_file != NULL ? ", client certificates required"
                                         : "");
    if (hfd >= 0) {
        /* Kubelet probes present no client certificate: with a client CA
         * they cannot use the HTTPS port, so they get their own. */
        char hwhere[LISTEN_NAME_MAX];

        listen_name(hfd, opts->health_listen, hwhere, sizeof(hwhere));
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
    for (ticks = 1; !termsig_wait(1000); ticks++) {
        log_tick(0);
        if (ticks % reload_s == 0)
            tlscreds_check(tc);
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
    quiet_from = monotime_ms();
    deadline = quiet_from + (long long)grace_s * 1000;
    for (;;) {
        long long now = monotime_ms(), last = atomic_load(&s.last_request_ms);

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
        signo = termsig_wait(50);
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
    linger_stop(s.lg);
    termsig_release();
    tlscreds_free(tc);
    log_tick(1); /* what the limit held back, before the last line */
    return rc;
}
