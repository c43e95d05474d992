/* kubeconfig.c - where the Kubernetes API is and how to log in to it. */
#include "kubeconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base64.h"
#include "readfile.h"
#include "yamljson.h"

#define KUBECONFIG_FILE_MAX  (16u << 20)
#define KUBECONFIG_TOKEN_MAX (64u << 10)

/* "a" + "b" in a new string, NULL on ENOMEM. */
static char *kubeconfig_join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la + lb + 1);

    if (s == NULL)
        return NULL;
    memcpy(s, a, la);
    memcpy(s + la, b, lb + 1);
    return s;
}

void kubeconfig_free(struct kubeconfig *kc)
{
    if (kc == NULL)
        return;
    free(kc->server);
    free(kc->source);
    free(kc->ca_file);
    free(kc->ca_data);
    free(kc->token);
    free(kc->token_file);
    free(kc->cert_file);
    free(kc->cert_data);
    free(kc->key_file);
    free(kc->key_data);
    free(kc);
}

/* Read a token file: whitespace around it trimmed; NULL with err if empty. */
static char *kubeconfig_read_token(const char *path, struct err *err)
{
    size_t len, start = 0;
    char *buf = readfile_all(path, KUBECONFIG_TOKEN_MAX, &len, err);
    char *tok = NULL;

    if (buf == NULL)
        return NULL;
    while (start < len && strchr(" \t\r\n", buf[start]) != NULL)
        start++;
    while (len > start && strchr(" \t\r\n", buf[len - 1]) != NULL)
        len--;
    if (len == start) {
        err_set(err, "%s: empty token file", path);
    } else {
        tok = malloc(len - start + 1);
        if (tok == NULL) {
            err_set(err, "out of memory");
        } else {
            memcpy(tok, buf + start, len - start);
            tok[len - start] = '\0';
        }
    }
    free(buf);
    return tok;
}

int kubeconfig_token(const struct kubeconfig *kc, char **out, struct err *err)
{
    *out = NULL;
    if (kc->token_file != NULL) {
        *out = kubeconfig_read_token(kc->token_file, err);
        return *out != NULL ? 0 : -1;
    }
    if (kc->token != NULL) {
        *out = strdup(kc->token);
        if (*out == NULL)
            return err_set(err, "out of memory");
    }
    return 0;
}

struct kubeconfig *kubeconfig_in_cluster(const char *sa_dir, struct err *err)
{
    const char *host = getenv("KUBERNETES_SERVICE_HOST");
    const char *port = getenv("KUBERNETES_SERVICE_PORT");
    struct kubeconfig *kc = NULL;
    char *tok = NULL, *ca = NULL;
    size_t n, len;
    int v6;

    if (host == NULL || host[0] == '\0' || port == NULL || port[0] == '\0') {
        err_set(err, "in-cluster configuration: KUBERNETES_SERVICE_HOST and "
                     "KUBERNETES_SERVICE_PORT must be set (not in a pod? use "
                     "--kubeconfig)");
        return NULL;
    }
    kc = calloc(1, sizeof(*kc));
    if (kc == NULL)
        goto nomem;
    v6 = strchr(host, ':') != NULL;
    n = strlen(host) + strlen(port) + 16;
    kc->server = malloc(n);
    if (kc->server == NULL)
        goto nomem;
    snprintf(kc->server, n, "https://%s%s%s:%s", v6 ? "[" : "", host,
             v6 ? "]" : "", port);
    kc->source = strdup("in-cluster");
    kc->token_file = kubeconfig_join(sa_dir, "/token");
    kc->ca_file = kubeconfig_join(sa_dir, "/ca.crt");
    if (kc->source == NULL || kc->token_file == NULL || kc->ca_file == NULL)
        goto nomem;
    /* Both must be there at start; the token is read again later. */
    tok = kubeconfig_read_token(kc->token_file, err);
    if (tok == NULL)
        goto fail;
    ca = readfile_all(kc->ca_file, KUBECONFIG_FILE_MAX, &len, err);
    if (ca == NULL)
        goto fail;
    free(tok);
    free(ca);
    return kc;
nomem:
    err_set(err, "out of memory");
fail:
    free(tok);
    free(ca);
    kubeconfig_free(kc);
    return NULL;
}

/* The map under key of the list entry named name ("clusters" etc.). */
static const json_t *kubeconfig_named(const json_t *root, const char *list,
                                      const char *key, const char *name)
{
    const json_t *arr = json_object_get(root, list), *e;
    size_t i;

    if (!json_is_array(arr))
        return NULL;
    json_array_foreach(arr, i, e)
    {
        const char *n = json_string_value(json_object_get(e, "name"));

        if (n != NULL && strcmp(n, name) == 0) {
            const json_t *v = json_object_get(e, key);

            /* An entry without its map has no fields: the entry will do. */
            return json_is_object(v) ? v : e;
        }
    }
    return NULL;
}

/* A string field: 0 with *out borrowed (NULL if absent), -1 if not a string. */
static int kubeconfig_str(const json_t *obj, const char *field,
                          const char **out, const char *file, struct err *err)
{
    const json_t *v = json_object_get(obj, field);

    *out = NULL;
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return err_set(err, "%s: %s must be a string", file, field);
    *out = json_string_value(v);
    if ((*out)[0] == '\0')
        *out = NULL; /* kubectl treats "" as not set */
    return 0;
}

/* A file name made absolute against dir (the kubeconfig's directory). */
static char *kubeconfig_path(const char *dir, const char *name)
{
    char *d, *p;

    if (name[0] == '/' || dir[0] == '\0')
        return strdup(name);
    d = kubeconfig_join(dir, dir[strlen(dir) - 1] == '/' ? "" : "/");
    p = d != NULL ? kubeconfig_join(d, name) : NULL;
    free(d);
    return p;
}

/*
 * One file-or-data pair (client-certificate and client-certificate-data...):
 * sets *file or *data. Both given is an error, as in kubectl's validation.
 */
static int kubeconfig_pair(const json_t *obj, const char *field,
                           const char *dir, char **file, char **data,
                           size_t *len, const char *path, struct err *err)
{
    char dfield[64];
    const char *f, *d;

    snprintf(dfield, sizeof(dfield), "%s-data", field);
    if (kubeconfig_str(obj, field, &f, path, err) != 0 ||
        kubeconfig_str(obj, dfield, &d, path, err) != 0)
        return -1;
    if (f != NULL && d != NULL)
        return err_set(err, "%s: %s and %s are both given", path, field,
                       dfield);
    if (f != NULL) {
        *file = kubeconfig_path(dir, f);
        if (*file == NULL)
            return err_set(err, "out of memory");
    } else if (d != NULL) {
        *data = base64_decode(d, len);
        if (*data != NULL && *len == 0) {
            free(*data);
            *data = NULL;
        }
        if (*data == NULL)
            return err_set(err, "%s: %s is not base64", path, dfield);
    }
    return 0;
}

static int kubeconfig_cluster(struct kubeconfig *kc, const json_t *c,
                              const char *dir, const char *path,
                              struct err *err)
{
    const char *server, *tsn;
    const json_t *insecure = json_object_get(c, "insecure-skip-tls-verify");
    size_t l;

    if (kubeconfig_str(c, "server", &server, path, err) != 0 ||
        kubeconfig_str(c, "tls-server-name", &tsn, path, err) != 0)
        return -1;
    if (server == NULL)
        return err_set(err, "%s: the cluster has no server", path);
    if (strncmp(server, "https://", 8) != 0 &&
        strncmp(server, "http://", 7) != 0)
        return err_set(err, "%s: server %s: must be an https:// URL", path,
                       server);
    if (tsn != NULL)
        return err_set(err, "%s: tls-server-name is not supported", path);
    if (json_object_get(c, "proxy-url") != NULL)
        return err_set(err,
                       "%s: proxy-url is not supported (HTTPS_PROXY and "
                       "NO_PROXY are)",
                       path);
    kc->server = strdup(server);
    if (kc->server == NULL)
        return err_set(err, "out of memory");
    l = strlen(kc->server);
    while (l > 0 && kc->server[l - 1] == '/')
        kc->server[--l] = '\0';
    if (insecure != NULL && !json_is_null(insecure)) {
        if (!json_is_boolean(insecure))
            return err_set(err,
                           "%s: insecure-skip-tls-verify must be true "
                           "or false",
                           path);
        kc->insecure = json_is_true(insecure);
    }
    if (kubeconfig_pair(c, "certificate-authority", dir, &kc->ca_file,
                        &kc->ca_data, &kc->ca_data_len, path, err) != 0)
        return -1;
    if (kc->insecure && (kc->ca_file != NULL || kc->ca_data != NULL))
        return err_set(err,
                       "%s: insecure-skip-tls-verify together with a "
                       "certificate authority is not allowed",
                       path);
    return 0;
}

static int kubeconfig_user(struct kubeconfig *kc, const json_t *u,
                           const char *dir, const char *path, struct err *err)
{
    static const char *const unsupported[] = {
        "exec", "auth-provider", "username", "password", "as", "as-groups"};
    const char *token, *token_file;
    size_t i;

    for (i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++) {
        const json_t *v = json_object_get(u, unsupported[i]);

        if (v != NULL && !json_is_null(v))
            return err_set(err,
                           "%s: user field %s is not supported (use a token, "
                           "tokenFile or a client certificate)",
                           path, unsupported[i]);
    }
    if (kubeconfig_str(u, "token", &token, path, err) != 0 ||
        kubeconfig_str(u, "tokenFile", &token_file, path, err) != 0)
        return -1;
    /* kubectl: a token wins over tokenFile. */
    if (token != NULL) {
        kc->token = strdup(token);
        if (kc->token == NULL)
            return err_set(err, "out of memory");
    } else if (token_file != NULL) {
        kc->token_file = kubeconfig_path(dir, token_file);
        if (kc->token_file == NULL)
            return err_set(err, "out of memory");
    }
    if (kubeconfig_pair(u, "client-certificate", dir, &kc->cert_file,
                        &kc->cert_data, &kc->cert_data_len, path, err) != 0 ||
        kubeconfig_pair(u, "client-key", dir, &kc->key_file, &kc->key_data,
                        &kc->key_data_len, path, err) != 0)
        return -1;
    if ((kc->cert_file != NULL || kc->cert_data != NULL) !=
        (kc->key_file != NULL || kc->key_data != NULL))
        return err_set(err,
                       "%s: a client certificate needs its key and a key its "
                       "certificate",
                       path);
    return 0;
}

struct kubeconfig *kubeconfig_load(const char *path, const char *context,
                                   struct err *err)
{
    json_t *root = yamljson_load_file(path, KUBECONFIG_FILE_MAX, err);
    struct kubeconfig *kc = NULL;
    const json_t *ctx, *cluster, *user = NULL;
    const char *cluster_name, *user_name, *slash;
    char *dir = NULL;
    size_t n;

    if (root == NULL)
        return NULL;
    if (!json_is_object(root)) {
        err_set(err,
                "%s: not a kubeconfig (a map with clusters, users and "
                "contexts)",
                path);
        goto fail;
    }
    if (context == NULL &&
        kubeconfig_str(root, "current-context", &context, path, err) != 0)
        goto fail;
    if (context == NULL) {
        err_set(err, "%s: no current-context", path);
        goto fail;
    }
    ctx = kubeconfig_named(root, "contexts", "context", context);
    if (ctx == NULL) {
        err_set(err, "%s: no context %s", path, context);
        goto fail;
    }
    if (kubeconfig_str(ctx, "cluster", &cluster_name, path, err) != 0 ||
        kubeconfig_str(ctx, "user", &user_name, path, err) != 0)
        goto fail;
    if (cluster_name == NULL) {
        err_set(err, "%s: context %s names no cluster", path, context);
        goto fail;
    }
    cluster = kubeconfig_named(root, "clusters", "cluster", cluster_name);
    if (cluster == NULL) {
        err_set(err, "%s: no cluster %s (of context %s)", path, cluster_name,
                context);
        goto fail;
    }
    if (user_name != NULL) {
        user = kubeconfig_named(root, "users", "user", user_name);
        if (user == NULL) {
            err_set(err, "%s: no user %s (of context %s)", path, user_name,
                    context);
            goto fail;
        }
    }
    kc = calloc(1, sizeof(*kc));
    slash = strrchr(path, '/');
    if (slash == NULL)
        dir = strdup("");
    else if (slash == path)
        dir = strdup("/");
    else
        dir = strndup(path, (size_t)(slash - path));
    n = strlen(path) + strlen(context) + 32;
    if (kc == NULL || dir == NULL || (kc->source = malloc(n)) == NULL) {
        err_set(err, "out of memory");
        goto fail;
    }
    snprintf(kc->source, n, "kubeconfig %s, context %s", path, context);
    if (kubeconfig_cluster(kc, cluster, dir, path, err) != 0)
        goto fail;
    if (user != NULL && kubeconfig_user(kc, user, dir, path, err) != 0)
        goto fail;
    free(dir);
    json_decref(root);
    return kc;
fail:
    free(dir);
    kubeconfig_free(kc);
    json_decref(root);
    return NULL;
}
