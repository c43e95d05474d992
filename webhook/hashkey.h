/* hashkey.h - the process's secret key for the indexes' hash maps. */
#ifndef WEBHOOK_HASHKEY_H
#define WEBHOOK_HASHKEY_H

#include "err.h"
#include "siphash.h"

/*
 * Draw the key from getrandom(2). Call once at start, before any index is
 * made. -1 with err when the kernel gives no random bytes.
 */
int hashkey_init(struct err *err);

/*
 * The key (borrowed, valid for the life of the process) that every index
 * hashes with (rbac_new(), strmap_new()). hashkey_init() must have
 * succeeded.
 */
const struct siphash_key *hashkey_get(void);

#endif
