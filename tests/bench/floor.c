/* floor.c - the floor of the stack: libmicrohttpd + GnuTLS + jansson, no
 * policy. */
/*
 *   floor --tls-cert F --tls-key F [--listen ADDR:PORT]
 *
 * Same TLS and thread settings as webhook/server.c and tlscreds.h (TLS
 * 1.2/1.3, poll, one thread a core, keep-alive). Every POST body is read and
 * parsed with json_loadb, and a fixed AdmissionReview answer goes back. What
 * hack/bench.sh measures the webhook against. Port 0 picks a free port; the
 * chosen one is printed as "floor: listening on https://ADDR:PORT". Runs until
 * SIGINT or SIGTERM.
 */
#define _GNU_SOURCE

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#define FLOOR_MAX_BODY ((size_t)8 << 20)
#define FLOOR_TLS      "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

static const char floor_answer[] =
    "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
    "\"response\":{\"uid\":\"27b5c7eb-eb41-4c9d-9957-c4cdd8668c2f\","
    "\"allowed\":true}}";

struct floor_req {
    char *buf;
    size_t len, cap;
};

static char *floor_read(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && n < (1L << 20) &&
        fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) != NULL) {
        if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
            free(buf);
            buf = NULL;
        } else {
            buf[n] = '\0';
        }
    }
    fclose(f);
    return buf;
}

static enum MHD_Result floor_send(struct MHD_Connection *c, unsigned status,
                                  const char *body)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        strlen(body), (void *)(uintptr_t)body, MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret;

    if (r == NULL)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "application/json");
    ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result floor_handle(void *cls, struct MHD_Connection *c,
                                    const char *url, const char *method,
                                    const char *version, const char *data,
                                    size_t *size, void **con_cls)
{
    struct floor_req *rq = *con_cls;
    json_error_t jerr;
    json_t *v;

    (void)cls;
    (void)url;
    (void)version;
    if (rq == NULL) {
        if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
            return floor_send(c, MHD_HTTP_METHOD_NOT_ALLOWED,
                              "{\"code\":405,\"error\":\"POST only\"}");
        rq = calloc(1, sizeof(*rq));
        *con_cls = rq;
        return rq != NULL ? MHD_YES : MHD_NO;
    }
    if (*size > 0) {
        if (*size > FLOOR_MAX_BODY - rq->len)
            return MHD_NO;
        if (rq->len + *size > rq->cap) {
            size_t cap = rq->cap != 0 ? rq->cap : 8192;
            char *p;
            while (cap < rq->len + *size)
                cap *= 2;
            p = realloc(rq->buf, cap);
            if (p == NULL)
                return MHD_NO;
            rq->buf = p;
            rq->cap = cap;
        }
        memcpy(rq->buf + rq->len, data, *size);
        rq->len += *size;
        *size = 0;
        return MHD_YES;
    }
    v = json_loadb(rq->buf != NULL ? rq->buf : "", rq->len, 0, &jerr);
    if (v == NULL)
        return floor_send(c, MHD_HTTP_BAD_REQUEST,
                          "{\"code\":400,\"error\":\"not JSON\"}");
    json_decref(v);
    return floor_send(c, MHD_HTTP_OK, floor_answer);
}

static void floor_done(void *cls, struct MHD_Connection *c, void **con_cls,
                       enum MHD_RequestTerminationCode toe)
{
    struct floor_req *rq = *con_cls;

    (void)cls;
    (void)c;
    (void)toe;
    if (rq != NULL) {
        free(rq->buf);
        free(rq);
    }
    *con_cls = NULL;
}

/* An IPv4 "ADDR:PORT" listening socket; -1 on error. */
static int floor_listen(const char *spec, char *where, size_t cap)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    char host[64];
    const char *colon = strrchr(spec, ':');
    char *end;
    long port;
    int fd, one = 1;

    if (colon == NULL || (size_t)(colon - spec) >= sizeof(host))
        return -1;
    memcpy(host, spec, (size_t)(colon - spec));
    host[colon - spec] = '\0';
    errno = 0;
    port = strtol(colon + 1, &end, 10);
    if (*end != '\0' || errno != 0 || port < 0 || port > 65535)
        return -1;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        return -1;
    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        listen(fd, SOMAXCONN) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        close(fd);
        return -1;
    }
    snprintf(where, cap, "%s:%u", host, (unsigned)ntohs(sa.sin_port));
    return fd;
}

int main(int argc, char **argv)
{
    const char *cert_file = NULL, *key_file = NULL, *listen_spec;
    char *cert, *key, where[96];
    struct MHD_Daemon *d;
    sigset_t set;
    cpu_set_t cpus;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int i, fd, sig;

    /* One thread a usable CPU, as webhook/server.c does. */
    if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0 && CPU_COUNT(&cpus) > 0)
        cores = CPU_COUNT(&cpus);
    listen_spec = "127.0.0.1:8444";
    for (i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--tls-cert") == 0)
            cert_file = argv[i + 1];
        else if (strcmp(argv[i], "--tls-key") == 0)
            key_file = argv[i + 1];
        else if (strcmp(argv[i], "--listen") == 0)
            listen_spec = argv[i + 1];
        else
            break;
    }
    if (i != argc || cert_file == NULL || key_file == NULL) {
        fprintf(stderr, "usage: floor --tls-cert F --tls-key F "
                        "[--listen ADDR:PORT]\n");
        return 2;
    }
    cert = floor_read(cert_file);
    key = floor_read(key_file);
    if (cert == NULL || key == NULL) {
        fprintf(stderr, "floor: cannot read %s\n",
                cert == NULL ? cert_file : key_file);
        return 1;
    }
    fd = floor_listen(listen_spec, where, sizeof(where));
    if (fd < 0) {
        fprintf(stderr, "floor: cannot listen on %s\n", listen_spec);
        return 1;
    }
    /* Blocked before the threads start, so that only sigwait sees them. */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    d = MHD_start_daemon(
        MHD_USE_TLS | MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL,
        NULL, floor_handle, NULL, MHD_OPTION_LISTEN_SOCKET, fd,
        MHD_OPTION_HTTPS_MEM_CERT, cert, MHD_OPTION_HTTPS_MEM_KEY, key,
        MHD_OPTION_HTTPS_PRIORITIES, FLOOR_TLS, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)(cores > 0 ? cores : 1), MHD_OPTION_CONNECTION_TIMEOUT, 30u,
        MHD_OPTION_CONNECTION_LIMIT, 1024u, MHD_OPTION_NOTIFY_COMPLETED,
        floor_done, NULL, MHD_OPTION_END);
    if (d == NULL) {
        fprintf(stderr, "floor: cannot start libmicrohttpd\n");
        return 1;
    }
    fprintf(stderr, "floor: listening on https://%s\n", where);
    while (sigwait(&set, &sig) != 0)
        ;
    MHD_stop_daemon(d);
    free(cert);
    free(key);
    return 0;
}
