/* curlfn.h - libcurl loaded on first use: only --kube maps it and its own. */
#ifndef WEBHOOK_CURLFN_H
#define WEBHOOK_CURLFN_H

#include <curl/curl.h>

#include "err.h"

/*
 * Load libcurl (CURLFN_SONAME, from the library the build compiled
 * against) the first time; safe from any thread. The program is not linked
 * with libcurl: the curl_* functions the project calls are defined in
 * curlfn.c, each calling libcurl's through a table this fills, so that a
 * process that never talks to the Kubernetes API never maps libcurl,
 * libssl, libcrypto and the rest of what libcurl needs. Call it before any
 * curl_* function. 0, or -1 with err set to one line naming the library
 * and what the loader said.
 */
int curlfn_load(struct err *err);

#endif
