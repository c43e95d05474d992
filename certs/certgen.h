/* certgen.h - a CA and a serving certificate for the webhook's Service. */
#ifndef CERTS_CERTGEN_H
#define CERTS_CERTGEN_H

#include "err.h"

/* Serving certificate lifetime when days is 0, and the most allowed. */
#define CERTGEN_DEFAULT_DAYS 365u
#define CERTGEN_MAX_DAYS     3650u
/* Lifetime of a CA made anew. */
#define CERTGEN_CA_DAYS 3650u

struct certgen_opts {
    const char *service;   /* Service name: a DNS-1035 label */
    const char *namespace; /* its namespace: a DNS-1123 label */
    const char *out_dir;   /* made (mode 0700, parents too) when missing */
    const char *hosts;     /* "h1,h2,...": more SANs, IPs as IP SANs; NULL */
    unsigned days;         /* serving certificate lifetime, 0: default */
};

/* What certgen_run did, for the caller to tell the user. */
struct certgen_result {
    int ca_reused;       /* 1: ca.crt/ca.key of out_dir were kept */
    int cut_to_ca;       /* 1: the CA ends first: the certificate ends then */
    char not_after[32];  /* serving certificate's end, "YYYY-MM-DD HH:MM:SS" */
    char *ca_bundle_b64; /* new malloc'd base64 of ca.crt (one line) */
};

/*
 * Check opts without touching the file system: names, hosts and days.
 * 0, or -1 with err set to one line that names the bad value.
 */
int certgen_check(const struct certgen_opts *opts, struct err *err);

/*
 * Write out_dir/ca.crt, ca.key, tls.crt and tls.key. An existing CA pair in
 * out_dir (both files, matching, a CA, not expired) is reused, so the CA
 * bundle stays the same; one file without the other, a mismatch or an
 * expired CA is an error (nothing is written). Otherwise a new CA is made.
 * The serving certificate always gets a new key. Keys are written mode
 * 0600, certificates 0644, each through a temporary file renamed into place
 * so that a reader never sees half a file.
 * The serving certificate (ECDSA P-256, SHA-256) has the DNS SANs NAME,
 * NAME.NS, NAME.NS.svc, NAME.NS.svc.cluster.local, then hosts (IPv4/IPv6
 * addresses as IP SANs). 0 and res filled (free it with
 * certgen_result_free), or -1 with err set.
 */
int certgen_run(const struct certgen_opts *opts, struct certgen_result *res,
                struct err *err);

/* Free what certgen_run put in res; res itself is the caller's. */
void certgen_result_free(struct certgen_result *res);

#endif
