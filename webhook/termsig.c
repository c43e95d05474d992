/* termsig.c - SIGINT and SIGTERM caught through a self-pipe, and waited for. */
/* pipe2 */
#define _GNU_SOURCE

#include "termsig.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

/* The write end of the self-pipe of the signal handler. */
static volatile sig_atomic_t signal_fd = -1;
static int termsig_pipe[2] = {-1, -1};
static int termsig_set; /* the handlers are in place */
static struct sigaction termsig_old_int, termsig_old_term;

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

int termsig_catch(struct err *err)
{
    struct sigaction sa;

    if (pipe2(termsig_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        return err_set(err, "pipe2: %s", strerror(errno));
    signal_fd = termsig_pipe[1];
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, &termsig_old_int);
    sigaction(SIGTERM, &sa, &termsig_old_term);
    termsig_set = 1;
    return 0;
}

int termsig_wait(int ms)
{
    struct pollfd p = {.fd = termsig_pipe[0], .events = POLLIN};
    unsigned char b;

    if (poll(&p, 1, ms) <= 0 || read(termsig_pipe[0], &b, 1) != 1)
        return 0;
    return b;
}

void termsig_release(void)
{
    if (termsig_set) {
        sigaction(SIGINT, &termsig_old_int, NULL);
        sigaction(SIGTERM, &termsig_old_term, NULL);
        termsig_set = 0;
    }
    signal_fd = -1;
    if (termsig_pipe[0] >= 0)
        close(termsig_pipe[0]);
    if (termsig_pipe[1] >= 0)
        close(termsig_pipe[1]);
    termsig_pipe[0] = termsig_pipe[1] = -1;
}
