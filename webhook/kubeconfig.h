/* kubeconfig.h - where the Kubernetes API is and how to log in to it. */
#ifndef WEBHOOK_KUBECONFIG_H
#define WEBHOOK_KUBECONFIG_H

#include <stddef.h>

#include "err.h"

/* Where the service account's files are mounted in a pod. */
#define KUBECONFIG_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

/*
 * One API server and one identity. Strings are owned (NULL when not set);
 * the *_data buffers hold decoded PEM bytes with their length. At most one
 * of ca_file and ca_data, of cert_file and cert_data, of key_file and
 * key_data is set; insecure is never set together with a CA.
 */
struct kubeconfig {
    char *server;  /* "https://host:port", no trailing slash */
    char *source;  /* for logs: "in-cluster" or "kubeconfig F, context C" */
    char *ca_file; /* PEM bundle of the CAs to trust for server */
    char *ca_data; /* the same, inline */
    size_t ca_data_len;
    int insecure;     /* insecure-skip-tls-verify: no server verification */
    char *token;      /* bearer token, fixed */
    char *token_file; /* bearer token, re-read for every request */
    char *cert_file;  /* client certificate (PEM) */
    char *cert_data;
    size_t cert_data_len;
    char *key_file; /* its private key (PEM) */
    char *key_data;
    size_t key_data_len;
};

/*
 * The configuration of a pod: the API at https://$KUBERNETES_SERVICE_HOST:
 * $KUBERNETES_SERVICE_PORT, the token file sa_dir/token (re-read on every
 * request, as the kubelet rotates it) and the CA sa_dir/ca.crt, as
 * client-go's rest.InClusterConfig. Pass KUBECONFIG_SA_DIR as sa_dir.
 * Returns a new config, or NULL with err set (variables not set, token or CA
 * file unreadable).
 */
struct kubeconfig *kubeconfig_in_cluster(const char *sa_dir, struct err *err);

/*
 * The configuration of context (NULL: current-context) of the kubeconfig
 * file path: its cluster's server, certificate-authority(-data) and
 * insecure-skip-tls-verify; its user's token or tokenFile and
 * client-certificate(-data)/client-key(-data). Relative file names are
 * taken relative to the file's directory, as kubectl does. Returns a new
 * config, or NULL with err naming the file and what is wrong (no such
 * context, bad base64, both a file and data given, an exec plugin or
 * another login method this client does not speak).
 */
struct kubeconfig *kubeconfig_load(const char *path, const char *context,
                                   struct err *err);

/*
 * The bearer token to send now: token_file read again (surrounding
 * whitespace trimmed), else token. Returns 0 with *out a new string (NULL
 * when the config has no token), or -1 with err set when the file cannot be
 * read or is empty.
 */
int kubeconfig_token(const struct kubeconfig *kc, char **out, struct err *err);

/* Frees kc; NULL is fine. */
void kubeconfig_free(struct kubeconfig *kc);

#endif
