/* kubelist.c - every object of an API collection, listed once in pages
 * with the kube client's credentials: what audit reads. */
#include "kubelist.h"

#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "jsonload.h"
#include "kubehttp.h"
#include "kubeint.h"
#include "strbuf.h"

/* One page's items into out, each with its kind and apiVersion set. */
static int kubelist_items(const struct kube_resource *res, const json_t *items,
                          json_t *out)
{
    size_t i;
    json_t *item;

    json_array_foreach(items, i, item)
    {
        if (!json_is_object(item))
            continue;
        if (json_object_set_new(item, "kind", json_string(res->kind)) != 0 ||
            json_object_set_new(item, "apiVersion",
                                json_string(res->api_version)) != 0 ||
            json_array_append(out, item) != 0)
            return -1;
    }
    return 0;
}

int kubelist_all(struct kube *k, const char *path, const char *kind,
                 const char *api_version, json_t **items, struct err *err)
{
    const struct kube_resource res = {path, path, kind, api_version, NULL, 0};
    struct kube_watcher *w = calloc(1, sizeof(*w));
    json_t *out = json_array(), *root = NULL, *page;
    char *cont = NULL, *url = NULL, msg[256];
    const char *c;
    int paged = 1, rc = -1;
    CURLcode cc;

    *items = NULL;
    if (w == NULL || out == NULL || kubehttp_init(&w->http, k->kc, path) != 0) {
        err_set(err, "out of memory");
        goto out;
    }
    w->k = k;
    w->res = &res;
    for (;;) {
        url = kube_url(w, cont, paged);
        if (url == NULL) {
            err_set(err, "out of memory");
            goto out;
        }
        cc = kube_get(w, url, 0, 0);
        free(url);
        if (kube_stopping(k)) {
            err_set(err, "%s: stopped", path);
            goto out;
        }
        if (cc != CURLE_OK) {
            err_set(err, "%s: %s", path,
                    w->too_big ? "answer too large" : kube_curl_msg(w, cc));
            goto out;
        }
        if (w->status == 404) {
            rc = 1;
            goto out;
        }
        if (w->status != 200)
            kube_status_msg(&w->body, msg, sizeof(msg));
        if (w->status == 410 && cont != NULL) {
            /* An expired continue token: the whole list again, unpaged. */
            free(cont);
            cont = NULL;
            paged = 0;
            json_array_clear(out);
            continue;
        }
        if (w->status != 200) {
            err_set(err, "%s: HTTP %ld: %s", path, w->status, msg);
            goto out;
        }
        root = jsonload_text(w->body.p, w->body.len, NULL);
        page = json_object_get(root, "items");
        if (root == NULL ||
            (page != NULL && !json_is_array(page) && !json_is_null(page))) {
            err_set(err, "%s: the answer is not a list", path);
            goto out;
        }
        if (kubelist_items(&res, page, out) != 0) {
            err_set(err, "out of memory");
            goto out;
        }
        c = json_string_value(
            json_object_get(json_object_get(root, "metadata"), "continue"));
        free(cont);
        cont = c != NULL && c[0] != '\0' ? strdup(c) : NULL;
        if (c == NULL || c[0] == '\0')
            break; /* c is root's: root goes at out */
        json_decref(root);
        root = NULL;
        if (cont == NULL) {
            err_set(err, "out of memory");
            goto out;
        }
    }
    *items = out;
    out = NULL;
    rc = 0;
out:
    free(cont);
    json_decref(root);
    json_decref(out);
    if (w != NULL) {
        kubehttp_free(&w->http);
        strbuf_free(&w->body);
        strbuf_free(&w->line);
        free(w);
    }
    return rc;
}
