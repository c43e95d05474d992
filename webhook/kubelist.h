/* kubelist.h - every object of an API collection, listed once in pages
 * with the kube client's credentials: what audit reads. */
#ifndef WEBHOOK_KUBELIST_H
#define WEBHOOK_KUBELIST_H

#include <jansson.h>

#include "err.h"
#include "kube.h"

/*
 * List every object at path (an API collection, such as /api/v1/pods or
 * /apis/apps/v1/namespaces/NS/deployments) in pages, with k's credentials,
 * into a new array (*items, a new reference), each item with kind and
 * apiVersion set (list items carry none). An expired continue token lists again
 * in one request. Returns 0; 1 when the server does not serve path (404: a kind
 * of OpenShift on plain Kubernetes); -1 with err naming path and why (HTTP 403
 * when not allowed, the Status message quoted). Any thread may call it;
 * kube_stop() ends it.
 */
int kubelist_all(struct kube *k, const char *path, const char *kind,
                 const char *api_version, json_t **items, struct err *err);

#endif
