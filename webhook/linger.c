/* linger.c - the lingering close of connections that got an error answer. */
#include "linger.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "monotime.h"
#include "thread.h"

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

/* Total time, idle time, sockets at once. */
#define LINGER_TOTAL_MS 5000
#define LINGER_IDLE_MS  2000
#define LINGER_SLOTS    256

/* Sockets closed after an error answer, drained for a while before close. */
struct lingerer {
    int epfd;
    pthread_t thread;
    atomic_int stop;
    pthread_mutex_t mu; /* guards fd[] against linger_add */
    int fd[LINGER_SLOTS];
    long long deadline[LINGER_SLOTS]; /* ms, monotonic: close at the latest */
    long long idle[LINGER_SLOTS];     /* ms, monotonic: close if quiet */
};

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
        now = monotime_ms();
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

struct lingerer *linger_start(struct err *err)
{
    struct lingerer *lg = calloc(1, sizeof(*lg));
    int i;

    if (lg == NULL) {
        err_set(err, "out of memory");
        return NULL;
    }
    for (i = 0; i < LINGER_SLOTS; i++)
        lg->fd[i] = -1;
    atomic_init(&lg->stop, 0);
    lg->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (lg->epfd < 0) {
        err_set(err, "epoll_create1: %s", strerror(errno));
        goto fail;
    }
    if (pthread_mutex_init(&lg->mu, NULL) != 0) {
        close(lg->epfd);
        err_set(err, "pthread_mutex_init failed");
        goto fail;
    }
    if (thread_start(&lg->thread, linger_main, lg) != 0) {
        pthread_mutex_destroy(&lg->mu);
        close(lg->epfd);
        err_set(err, "cannot start the linger thread");
        goto fail;
    }
    return lg;
fail:
    free(lg);
    return NULL;
}

void linger_stop(struct lingerer *lg)
{
    if (lg == NULL)
        return;
    atomic_store(&lg->stop, 1);
    pthread_join(lg->thread, NULL);
    pthread_mutex_destroy(&lg->mu);
    close(lg->epfd);
    free(lg);
}

void linger_add(struct lingerer *lg, int fd)
{
    struct epoll_event ev;
    long long now;
    int i, dup_fd;

    dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (dup_fd < 0)
        return;
    /* The answer is out; FIN tells the client that nothing more comes. */
    shutdown(dup_fd, SHUT_WR);
    now = monotime_ms();
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
