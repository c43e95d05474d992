/* hashkey.c - the process's secret key for the indexes' hash maps. */
#include "hashkey.h"

#include <assert.h>
#include <errno.h>
#include <string.h>
#include <sys/random.h>

/*
 * Written once at start, before any thread that reads it exists; never
 * logged or shown: knowing it would let anyone craft colliding names again.
 */
static struct siphash_key hashkey_key;
static int hashkey_ready;

int hashkey_init(struct err *err)
{
    unsigned char buf[16];
    size_t got = 0;

    while (got < sizeof(buf)) {
        ssize_t n = getrandom(buf + got, sizeof(buf) - got, 0);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return err_set(err, "getrandom: %s", strerror(errno));
        got += (size_t)n;
    }
    memcpy(&hashkey_key.k0, buf, 8);
    memcpy(&hashkey_key.k1, buf + 8, 8);
    hashkey_ready = 1;
    return 0;
}

const struct siphash_key *hashkey_get(void)
{
    assert(hashkey_ready);
    return &hashkey_key;
}
