/* kubelist.c - every object of an API collection, listed once in pages
 * with the kube client's credentials: what audit reads. */
#include "kubelist.h"

#include <stdlib.h>

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
    char *cont = NULL, why[384];
    int paged = 1, rc = -1, more;
    enum kube_page got;

    *items = NULL;
    if (w == NULL || out == NULL || kubehttp_init(&w->http, k->kc, path) != 0) {
        err_set(err, "out of memory");
        goto out;
    }
    w->k = k;
    w->res = &res;
    for (;;) {
        got = kube_page(w, &cont, &paged, why, sizeof(why));
        if (got == KUBE_PAGE_STOPPED) {
            err_set(err, "%s: stopped", path);
            goto out;
        }
        if (got == KUBE_PAGE_ABSENT) {
            rc = 1;
            goto out;
        }
        if (got == KUBE_PAGE_RESTART) {
            /* An expired continue token: the whole list again, unpaged. */
            json_array_clear(out);
            continue;
        }
        if (got != KUBE_PAGE_OK) {
            err_set(err, "%s: %s", path, why);
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
        more = kube_page_next(root, &cont);
        if (more < 0) {
            err_set(err, "out of memory");
            goto out;
        }
        if (!more)
            break;
        json_decref(root);
        root = NULL;
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
