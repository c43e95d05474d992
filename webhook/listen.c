/* listen.c - listening sockets for "ADDR:PORT" specs, and their names. */
/* SOCK_NONBLOCK, SOCK_CLOEXEC */
#define _GNU_SOURCE

#include "listen.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

_Static_assert(LISTEN_NAME_MAX >= NI_MAXHOST + NI_MAXSERV + 4,
               "LISTEN_NAME_MAX holds [host]:port");

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

int listen_socket(const char *spec, struct err *err)
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

void listen_name(int fd, const char *spec, char *buf, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t sslen = sizeof(ss);

    memset(&ss, 0, sizeof(ss));
    if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == 0)
        addr_text((struct sockaddr *)&ss, sslen, buf, cap);
    else
        snprintf(buf, cap, "%s", spec);
}
