/* kubehttp.c - one GET against the Kubernetes API with a kubeconfig's TLS
 * and credentials: the status, then the body to the caller's callbacks. */
#include "kubehttp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "log.h"
#include "strbuf.h"

#define KUBEHTTP_CONNECT_S   10L
#define KUBEHTTP_LOW_SPEED_S 30L /* a list that stalls this long fails */
#define KUBEHTTP_USER_AGENT  "image-policy-webhook/1.0"

/* One GET in flight: what curl's callbacks are handed. */
struct kubehttp_call {
    CURL *curl;
    const struct kubehttp_sink *sink;
};

int kubehttp_init(struct kubehttp *h, const struct kubeconfig *kc,
                  const char *name)
{
    h->kc = kc;
    h->name = name;
    h->curl = curl_easy_init();
    return h->curl != NULL ? 0 : -1;
}

void kubehttp_free(struct kubehttp *h)
{
    if (h->curl != NULL)
        curl_easy_cleanup(h->curl);
    h->curl = NULL;
    if (h->token != NULL)
        memset(h->token, 0, strlen(h->token));
    free(h->token);
    h->token = NULL;
}

static size_t kubehttp_on_header(char *p, size_t size, size_t n, void *arg)
{
    const struct kubehttp_call *call = arg;

    if (n * size <= 2 && (p[0] == '\r' || p[0] == '\n')) {
        curl_easy_getinfo(call->curl, CURLINFO_RESPONSE_CODE,
                          call->sink->status);
        call->sink->headers(call->sink->arg);
    }
    return size * n;
}

static size_t kubehttp_on_body(char *p, size_t size, size_t n, void *arg)
{
    const struct kubehttp_call *call = arg;

    n *= size;
    return call->sink->body(call->sink->arg, p, n) == 0 ? n : 0;
}

static int kubehttp_on_progress(void *arg, curl_off_t a, curl_off_t b,
                                curl_off_t c, curl_off_t d)
{
    const struct kubehttp_call *call = arg;

    (void)a, (void)b, (void)c, (void)d;
    return call->sink->progress(call->sink->arg);
}

/* The token to send: read again now; the last one if that fails. */
static const char *kubehttp_token(struct kubehttp *h)
{
    struct err err = {{0}};
    char *tok = NULL;

    if (kubeconfig_token(h->kc, &tok, &err) != 0) {
        log_msg(LOG_WARN, "kube: %s: %s; using the token read before", h->name,
                err.msg);
        return h->token;
    }
    free(h->token);
    h->token = tok;
    return tok;
}

CURLcode kubehttp_get(struct kubehttp *h, const char *url, int watch,
                      long timeout_s, const struct kubehttp_sink *sink)
{
    const struct kubeconfig *kc = h->kc;
    struct kubehttp_call call = {h->curl, sink};
    CURL *c = h->curl;
    struct curl_slist *hdrs = NULL, *l;
    struct strbuf auth = {.max = STRBUF_NOMAX};
    const char *token = kubehttp_token(h);
    struct curl_blob ca = {kc->ca_data, kc->ca_data_len, CURL_BLOB_NOCOPY};
    struct curl_blob cert = {kc->cert_data, kc->cert_data_len,
                             CURL_BLOB_NOCOPY};
    struct curl_blob key = {kc->key_data, kc->key_data_len, CURL_BLOB_NOCOPY};
    CURLcode cc = CURLE_OUT_OF_MEMORY;

    h->errbuf[0] = '\0';
    l = curl_slist_append(NULL, "Accept: application/json");
    if (l == NULL)
        goto out;
    hdrs = l;
    if (token != NULL) {
        if (strbuf_printf(&auth, "Authorization: Bearer %s", token) != 0)
            goto out;
        l = curl_slist_append(hdrs, auth.p);
        if (l == NULL)
            goto out;
        hdrs = l;
    }
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    /* Not "curl...": the API server pretty-prints for curl. */
    curl_easy_setopt(c, CURLOPT_USERAGENT, KUBEHTTP_USER_AGENT);
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, KUBEHTTP_CONNECT_S);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPIDLE, 30L);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPINTVL, 10L);
    curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    if (kc->insecure) {
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    } else if (kc->ca_file != NULL || kc->ca_data != NULL) {
        /* That CA only, not the system's as well. */
        curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
        if (kc->ca_file != NULL)
            curl_easy_setopt(c, CURLOPT_CAINFO, kc->ca_file);
        else
            curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &ca);
    }
    if (kc->cert_file != NULL)
        curl_easy_setopt(c, CURLOPT_SSLCERT, kc->cert_file);
    else if (kc->cert_data != NULL)
        curl_easy_setopt(c, CURLOPT_SSLCERT_BLOB, &cert);
    if (kc->key_file != NULL)
        curl_easy_setopt(c, CURLOPT_SSLKEY, kc->key_file);
    else if (kc->key_data != NULL)
        curl_easy_setopt(c, CURLOPT_SSLKEY_BLOB, &key);
    curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
    curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, kubehttp_on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &call);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, kubehttp_on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &call);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, kubehttp_on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &call);
    if (watch) {
        curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s);
    } else {
        curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, KUBEHTTP_LOW_SPEED_S);
    }
    cc = curl_easy_perform(c);
    if (*sink->status == 0)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, sink->status);
    /* Not kept around: a copy of the token in curl's handle. */
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
out:
    curl_slist_free_all(hdrs);
    if (auth.p != NULL)
        memset(auth.p, 0, auth.len);
    strbuf_free(&auth);
    return cc;
}

const char *kubehttp_strerror(const struct kubehttp *h, CURLcode cc)
{
    return h->errbuf[0] ? h->errbuf : curl_easy_strerror(cc);
}

void kubehttp_describe(const struct kubeconfig *kc, char *out, size_t n)
{
    const char *auth = kc->token_file  ? "bearer token file "
                       : kc->token     ? "bearer token"
                       : kc->cert_file ? "client certificate "
                       : kc->cert_data ? "client certificate (data)"
                                       : "no credentials";
    const char *arg = kc->token_file                       ? kc->token_file
                      : kc->token == NULL && kc->cert_file ? kc->cert_file
                                                           : "";
    const char *tls = kc->insecure  ? "insecure-skip-tls-verify"
                      : kc->ca_file ? "CA "
                      : kc->ca_data ? "CA (data)"
                                    : "the system's CAs";

    snprintf(out, n, "%s%s, TLS %s%s", auth, arg, tls,
             !kc->insecure && kc->ca_file ? kc->ca_file : "");
}
