/* certgen.c - a CA and a serving certificate for the webhook's Service. */
#include "certgen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/buffer.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "readfile.h"
/* Last: past it, OpenSSL's functions are calls through its table. */
#include "cryptofn.h"

#define CERTGEN_MAX_FILE  ((off_t)1 << 20)
#define CERTGEN_MAX_HOSTS 100
#define CERTGEN_MAX_NAME  253
/* notBefore this far back, so that a node whose clock is a little behind
 * does not see a certificate from the future. */
#define CERTGEN_BACKDATE_S 300

/* Add OpenSSL's first queued error to err, after what failed. */
static int certgen_ssl_err(struct err *err, const char *what)
{
    unsigned long e = ERR_get_error();
    char buf[200];

    if (e != 0)
        ERR_error_string_n(e, buf, sizeof(buf));
    ERR_clear_error();
    return err_set(err, "%s: %s", what, e != 0 ? buf : "failed");
}

/* DNS-1123 label; first must also be a letter for a DNS-1035 label. */
static int certgen_is_label(const char *s, size_t len, int letter_first)
{
    size_t i;

    if (len == 0 || len > 63 || s[0] == '-' || s[len - 1] == '-')
        return 0;
    if (letter_first && (s[0] < 'a' || s[0] > 'z'))
        return 0;
    for (i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return 0;
    }
    return 1;
}

/* A host name of lower-case DNS-1123 labels, "*." allowed in front. */
static int certgen_is_dns_name(const char *s)
{
    size_t len = strlen(s);
    const char *p = s, *dot;

    if (len == 0 || len > CERTGEN_MAX_NAME)
        return 0;
    if (strncmp(p, "*.", 2) == 0)
        p += 2;
    for (;;) {
        dot = strchr(p, '.');
        if (!certgen_is_label(p, dot != NULL ? (size_t)(dot - p) : strlen(p),
                              0))
            return 0;
        if (dot == NULL)
            return 1;
        p = dot + 1;
    }
}

/*
 * One --hosts item, trimmed and lower-cased into out (cap bytes): 4 or 16
 * address bytes in ip[] with *iplen set for an address ("[::1]" allowed),
 * *iplen 0 for a DNS name. 0, or -1 with err set.
 */
static int certgen_host(const char *item, size_t len, char *out, size_t cap,
                        unsigned char ip[16], int *iplen, struct err *err)
{
    size_t i;

    while (len > 0 && (*item == ' ' || *item == '\t'))
        item++, len--;
    while (len > 0 && (item[len - 1] == ' ' || item[len - 1] == '\t'))
        len--;
    if (len == 0)
        return err_set(err, "--hosts: empty item");
    if (len >= cap)
        return err_set(err, "--hosts: %.40s...: longer than %d bytes", item,
                       CERTGEN_MAX_NAME);
    if (len > 2 && item[0] == '[' && item[len - 1] == ']')
        item++, len -= 2;
    for (i = 0; i < len; i++)
        out[i] =
            item[i] >= 'A' && item[i] <= 'Z' ? (char)(item[i] + 32) : item[i];
    out[len] = '\0';
    if (inet_pton(AF_INET, out, ip) == 1) {
        *iplen = 4;
        return 0;
    }
    if (inet_pton(AF_INET6, out, ip) == 1) {
        *iplen = 16;
        return 0;
    }
    *iplen = 0;
    if (!certgen_is_dns_name(out))
        return err_set(err,
                       "--hosts: %s is neither an IP address nor a DNS name "
                       "(labels of letters, digits and '-', "
                       "\"*.\" allowed in front)",
                       out);
    return 0;
}

/*
 * Call fn for each --hosts item (fn may be NULL: only check them).
 * 0, or -1 with err set.
 */
static int certgen_each_host(const char *hosts,
                             int (*fn)(void *arg, const char *name,
                                       const unsigned char *ip, int iplen,
                                       struct err *err),
                             void *arg, struct err *err)
{
    const char *p = hosts, *comma;
    char name[CERTGEN_MAX_NAME + 1];
    unsigned char ip[16];
    int iplen = 0, n = 0;

    if (hosts == NULL)
        return 0;
    for (;;) {
        comma = strchr(p, ',');
        if (++n > CERTGEN_MAX_HOSTS)
            return err_set(err, "--hosts: more than %d items",
                           CERTGEN_MAX_HOSTS);
        if (certgen_host(p, comma != NULL ? (size_t)(comma - p) : strlen(p),
                         name, sizeof(name), ip, &iplen, err) != 0)
            return -1;
        if (fn != NULL && fn(arg, name, ip, iplen, err) != 0)
            return -1;
        if (comma == NULL)
            return 0;
        p = comma + 1;
    }
}

int certgen_check(const struct certgen_opts *o, struct err *err)
{
    if (o->service == NULL || o->namespace == NULL || o->out_dir == NULL)
        return err_set(err, "certs needs --service, --namespace and --out");
    if (!certgen_is_label(o->service, strlen(o->service), 1))
        return err_set(err,
                       "--service %s: not a Service name (DNS-1035 label: "
                       "at most 63 of a-z, 0-9 and '-', starting with a "
                       "letter, not ending with '-')",
                       o->service);
    if (!certgen_is_label(o->namespace, strlen(o->namespace), 0))
        return err_set(err,
                       "--namespace %s: not a namespace name (DNS-1123 "
                       "label: at most 63 of a-z, 0-9 and '-', not starting "
                       "or ending with '-')",
                       o->namespace);
    if (o->out_dir[0] == '\0')
        return err_set(err, "--out: empty directory name");
    if (o->days > CERTGEN_MAX_DAYS)
        return err_set(err, "--days %u: must be 1 to %u", o->days,
                       CERTGEN_MAX_DAYS);
    return certgen_each_host(o->hosts, NULL, NULL, err);
}

/* ---- files ---- */

/* dir/name into buf; -1 with err set when it does not fit. */
static int certgen_path(char *buf, size_t cap, const char *dir,
                        const char *name, struct err *err)
{
    int n = snprintf(buf, cap, "%s/%s", dir, name);

    if (n < 0 || (size_t)n >= cap)
        return err_set(err, "--out %s: path too long", dir);
    return 0;
}

/*
 * The whole of dir/name in a new malloc'd buffer (*len bytes, NUL after).
 * NULL with *missing 1 when the file does not exist, NULL with err set on
 * other failures.
 */
static char *certgen_read(const char *dir, const char *name, size_t *len,
                          int *missing, struct err *err)
{
    char path[PATH_MAX];
    struct err rerr = {{0}};
    char *buf;

    *missing = 0;
    if (certgen_path(path, sizeof(path), dir, name, err) != 0)
        return NULL;
    buf = readfile_all(path, CERTGEN_MAX_FILE, len, &rerr);
    if (buf == NULL && errno == ENOENT)
        *missing = 1;
    else if (buf == NULL)
        err_set(err, "cannot read %s", rerr.msg);
    return buf;
}

/*
 * Replace dir/name with data, mode exactly mode (umask aside): a temporary
 * file in dir, fsync'd, renamed over the name, so a reader sees the old
 * file or the new one, never a part. 0, or -1 with err set.
 */
static int certgen_write(const char *dir, const char *name, const void *data,
                         size_t len, mode_t mode, struct err *err)
{
    char path[PATH_MAX], tmp[PATH_MAX], tname[64];
    const char *p = data;
    size_t off = 0;
    int fd = -1, rc = -1;

    snprintf(tname, sizeof(tname), ".%s.XXXXXX", name);
    if (certgen_path(path, sizeof(path), dir, name, err) != 0 ||
        certgen_path(tmp, sizeof(tmp), dir, tname, err) != 0)
        return -1;
    fd = mkstemp(tmp); /* mode 0600 from the start */
    if (fd < 0) {
        err_set(err, "cannot write in %s: %s", dir, strerror(errno));
        return -1;
    }
    if (fchmod(fd, mode) != 0) {
        err_set(err, "chmod %s: %s", tmp, strerror(errno));
        goto out;
    }
    while (off < len) {
        ssize_t n = write(fd, p + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            err_set(err, "cannot write %s: %s", tmp, strerror(errno));
            goto out;
        }
        off += (size_t)n;
    }
    if (fsync(fd) != 0) {
        err_set(err, "cannot write %s: %s", tmp, strerror(errno));
        goto out;
    }
    if (close(fd) != 0) {
        fd = -1;
        err_set(err, "cannot write %s: %s", tmp, strerror(errno));
        goto out;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        err_set(err, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    if (rc != 0)
        unlink(tmp);
    return rc;
}

/* Make sure dir and its parents exist (mode 0700 when made), as mkdir -p.
 * 0, or -1 with err set. */
static int certgen_mkdir(const char *dir, struct err *err)
{
    char path[PATH_MAX];
    struct stat st;
    size_t i, len = strlen(dir);

    if (len >= sizeof(path))
        return err_set(err, "--out %s: path too long", dir);
    memcpy(path, dir, len + 1);
    for (i = 1; i <= len; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        path[i] = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST)
            return err_set(err, "--out %s: cannot make %s: %s", dir, path,
                           strerror(errno));
        path[i] = dir[i];
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return err_set(err, "--out %s: not a directory", dir);
    return 0;
}

/* The PEM text of a certificate (key NULL) or of a key (PKCS#8), written
 * to dir/name. Key bytes are wiped from memory afterwards. */
static int certgen_write_pem(const char *dir, const char *name, X509 *crt,
                             EVP_PKEY *key, mode_t mode, char **copy,
                             size_t *copy_len, struct err *err)
{
    BIO *b = BIO_new(BIO_s_mem());
    BUF_MEM *bm = NULL;
    int rc = -1;

    if (b == NULL)
        return certgen_ssl_err(err, "BIO_new");
    if ((crt != NULL && PEM_write_bio_X509(b, crt) != 1) ||
        (key != NULL &&
         PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL) != 1)) {
        certgen_ssl_err(err, "PEM encoding");
        goto out;
    }
    BIO_get_mem_ptr(b, &bm);
    if (certgen_write(dir, name, bm->data, bm->length, mode, err) != 0)
        goto out;
    if (copy != NULL) {
        *copy = malloc(bm->length + 1);
        if (*copy == NULL) {
            err_set(err, "out of memory");
            goto out;
        }
        memcpy(*copy, bm->data, bm->length);
        (*copy)[bm->length] = '\0';
        *copy_len = bm->length;
    }
    rc = 0;
out:
    if (bm != NULL && key != NULL)
        OPENSSL_cleanse(bm->data, bm->length);
    BIO_free(b);
    return rc;
}

/* ---- certificates ---- */

/* "pass" callback that refuses: an encrypted CA key is an error, no prompt. */
static int certgen_no_password(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

/*
 * The CA pair of dir: 1 with *ca, *key and the PEM text *pem (new) set, 0
 * when neither file is there, -1 with err set when it cannot be used.
 */
static int certgen_load_ca(const char *dir, X509 **ca, EVP_PKEY **key,
                           char **pem, size_t *pem_len, struct err *err)
{
    char *kpem = NULL, what[PATH_MAX + 64];
    size_t klen = 0;
    int crt_missing = 0, key_missing = 0, rc = -1;
    BIO *b = NULL;

    *pem = certgen_read(dir, "ca.crt", pem_len, &crt_missing, err);
    if (*pem == NULL && !crt_missing)
        goto out;
    kpem = certgen_read(dir, "ca.key", &klen, &key_missing, err);
    if (kpem == NULL && !key_missing)
        goto out;
    if (crt_missing && key_missing) {
        rc = 0;
        goto out;
    }
    if (crt_missing != key_missing) {
        err_set(err,
                "%s/%s exists without %s: remove it to make a new CA, or "
                "put the other file back",
                dir, crt_missing ? "ca.key" : "ca.crt",
                crt_missing ? "ca.crt" : "ca.key");
        goto out;
    }
    b = BIO_new_mem_buf(*pem, (int)*pem_len);
    if (b == NULL || (*ca = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL) {
        snprintf(what, sizeof(what), "%s/ca.crt: not a PEM certificate", dir);
        certgen_ssl_err(err, what);
        goto out;
    }
    BIO_free(b);
    b = BIO_new_mem_buf(kpem, (int)klen);
    if (b == NULL || (*key = PEM_read_bio_PrivateKey(
                          b, NULL, certgen_no_password, NULL)) == NULL) {
        snprintf(what, sizeof(what),
                 "%s/ca.key: not an unencrypted PEM private key", dir);
        certgen_ssl_err(err, what);
        goto out;
    }
    if (X509_check_private_key(*ca, *key) != 1) {
        ERR_clear_error();
        err_set(err, "%s: ca.key is not the key of ca.crt", dir);
        goto out;
    }
    if (X509_check_ca(*ca) == 0) {
        err_set(err, "%s/ca.crt is not a CA certificate", dir);
        goto out;
    }
    if (X509_cmp_current_time(X509_get0_notAfter(*ca)) <= 0) {
        err_set(err,
                "%s/ca.crt has expired: remove ca.crt and ca.key to make a "
                "new CA (the CA bundle of the webhook configurations changes)",
                dir);
        goto out;
    }
    rc = 1;
out:
    BIO_free(b);
    if (kpem != NULL)
        OPENSSL_cleanse(kpem, klen);
    free(kpem);
    if (rc != 1) {
        X509_free(*ca);
        *ca = NULL;
        EVP_PKEY_free(*key);
        *key = NULL;
        free(*pem);
        *pem = NULL;
    }
    return rc;
}

/* Add the extension nid=value (OpenSSL config syntax) to x. */
static int certgen_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value,
                       struct err *err)
{
    X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
    int ok;

    if (ext == NULL)
        return certgen_ssl_err(err, OBJ_nid2sn(nid));
    ok = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok == 1 ? 0 : certgen_ssl_err(err, OBJ_nid2sn(nid));
}

/* Append a DNS name or an IP address to the SAN list gens. */
static int certgen_add_san(void *arg, const char *name, const unsigned char *ip,
                           int iplen, struct err *err)
{
    GENERAL_NAMES *gens = arg;
    GENERAL_NAME *g = GENERAL_NAME_new();
    ASN1_STRING *s = NULL;
    int i;

    /* Skip what is already there (NAME given again in --hosts). */
    for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
        const GENERAL_NAME *h = sk_GENERAL_NAME_value(gens, i);
        const ASN1_STRING *v = iplen > 0 && h->type == GEN_IPADD  ? h->d.ip
                               : iplen == 0 && h->type == GEN_DNS ? h->d.dNSName
                                                                  : NULL;
        int len = iplen > 0 ? iplen : (int)strlen(name);

        if (v != NULL && ASN1_STRING_length(v) == len &&
            memcmp(ASN1_STRING_get0_data(v),
                   iplen > 0 ? (const void *)ip : name, (size_t)len) == 0) {
            GENERAL_NAME_free(g);
            return 0;
        }
    }
    s = iplen > 0 ? ASN1_OCTET_STRING_new() : ASN1_IA5STRING_new();
    if (g == NULL || s == NULL ||
        ASN1_STRING_set(s, iplen > 0 ? (const void *)ip : name,
                        iplen > 0 ? iplen : (int)strlen(name)) != 1)
        goto fail;
    GENERAL_NAME_set0_value(g, iplen > 0 ? GEN_IPADD : GEN_DNS, s);
    s = NULL;
    if (sk_GENERAL_NAME_push(gens, g) <= 0)
        goto fail;
    return 0;
fail:
    ASN1_STRING_free(s);
    GENERAL_NAME_free(g);
    return certgen_ssl_err(err, "subjectAltName");
}

/* The SANs of the serving certificate: the Service's names, then hosts. */
static GENERAL_NAMES *certgen_sans(const struct certgen_opts *o,
                                   struct err *err)
{
    GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
    static const char *const suffixes[] = {"", ".svc", ".svc.cluster.local"};
    char name[CERTGEN_MAX_NAME + 1];
    size_t i;

    if (gens == NULL) {
        certgen_ssl_err(err, "subjectAltName");
        return NULL;
    }
    /* Both are labels of at most 63 bytes: every name fits. */
    if (certgen_add_san(gens, o->service, NULL, 0, err) != 0)
        goto fail;
    for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        snprintf(name, sizeof(name), "%s.%s%s", o->service, o->namespace,
                 suffixes[i]);
        if (certgen_add_san(gens, name, NULL, 0, err) != 0)
            goto fail;
    }
    if (certgen_each_host(o->hosts, certgen_add_san, gens, err) != 0)
        goto fail;
    return gens;
fail:
    GENERAL_NAMES_free(gens);
    return NULL;
}

/*
 * A new X.509 v3 certificate for key pub named cn, signed by sign_key as
 * issuer (NULL: self-signed). A CA when sans is NULL, else a TLS server
 * certificate with those SANs. Valid from a few minutes ago for days, but
 * never past the issuer's end (*cut set to 1 then).
 */
static X509 *certgen_make(EVP_PKEY *pub, const char *cn, X509 *issuer,
                          EVP_PKEY *sign_key, unsigned days,
                          GENERAL_NAMES *sans, int *cut, struct err *err)
{
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    BIGNUM *serial = BN_new();
    X509V3_CTX ctx;
    time_t end;

    *cut = 0;
    if (x == NULL || name == NULL || serial == NULL) {
        certgen_ssl_err(err, "out of memory");
        goto fail;
    }
    /* A random positive 127-bit serial (RFC 5280: at most 20 bytes). */
    if (X509_set_version(x, X509_VERSION_3) != 1 ||
        BN_rand(serial, 127, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) != 1 ||
        BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x)) == NULL ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                   (const unsigned char *)cn, -1, -1, 0) != 1 ||
        X509_set_subject_name(x, name) != 1 ||
        X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer)
                                               : name) != 1 ||
        X509_set_pubkey(x, pub) != 1 ||
        X509_gmtime_adj(X509_getm_notBefore(x), -CERTGEN_BACKDATE_S) == NULL ||
        X509_time_adj_ex(X509_getm_notAfter(x), (int)days, 0, NULL) == NULL) {
        certgen_ssl_err(err, "certificate");
        goto fail;
    }
    end = time(NULL) + (time_t)days * 86400;
    if (issuer != NULL && X509_cmp_time(X509_get0_notAfter(issuer), &end) < 0) {
        if (X509_set1_notAfter(x, X509_get0_notAfter(issuer)) != 1) {
            certgen_ssl_err(err, "certificate");
            goto fail;
        }
        *cut = 1;
    }
    X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
    if (sans == NULL) {
        if (certgen_ext(x, &ctx, NID_basic_constraints,
                        "critical,CA:TRUE,pathlen:0", err) != 0 ||
            certgen_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign",
                        err) != 0 ||
            certgen_ext(x, &ctx, NID_subject_key_identifier, "hash", err) != 0)
            goto fail;
    } else {
        if (certgen_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE",
                        err) != 0 ||
            certgen_ext(x, &ctx, NID_key_usage, "critical,digitalSignature",
                        err) != 0 ||
            certgen_ext(x, &ctx, NID_ext_key_usage, "serverAuth", err) != 0 ||
            certgen_ext(x, &ctx, NID_subject_key_identifier, "hash", err) !=
                0 ||
            certgen_ext(x, &ctx, NID_authority_key_identifier, "keyid:always",
                        err) != 0)
            goto fail;
        if (X509_add1_ext_i2d(x, NID_subject_alt_name, sans, 0,
                              X509V3_ADD_DEFAULT) != 1) {
            certgen_ssl_err(err, "subjectAltName");
            goto fail;
        }
    }
    if (X509_sign(x, sign_key, EVP_sha256()) <= 0) {
        certgen_ssl_err(err, "signing the certificate");
        goto fail;
    }
    X509_NAME_free(name);
    BN_free(serial);
    return x;
fail:
    X509_free(x);
    X509_NAME_free(name);
    BN_free(serial);
    return NULL;
}

/* Base64 of len bytes, one line, in a new malloc'd string. */
static char *certgen_base64(const char *data, size_t len, struct err *err)
{
    size_t cap = 4 * ((len + 2) / 3) + 1;
    char *out;

    if (len > INT_MAX / 2) {
        err_set(err, "CA certificate too large");
        return NULL;
    }
    out = malloc(cap);
    if (out == NULL) {
        err_set(err, "out of memory");
        return NULL;
    }
    EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)data,
                    (int)len);
    return out;
}

int certgen_run(const struct certgen_opts *o, struct certgen_result *res,
                struct err *err)
{
    X509 *ca = NULL, *crt = NULL;
    EVP_PKEY *ca_key = NULL, *key = NULL;
    GENERAL_NAMES *sans = NULL;
    char *ca_pem = NULL, cn[CERTGEN_MAX_NAME + 1];
    size_t ca_len = 0;
    unsigned days = o->days != 0 ? o->days : CERTGEN_DEFAULT_DAYS;
    struct tm tm;
    int r, rc = -1;

    memset(res, 0, sizeof(*res));
    if (certgen_check(o, err) != 0 || cryptofn_load(err) != 0)
        return -1;
    /* Everything that can be wrong with the input, before writing. */
    sans = certgen_sans(o, err);
    if (sans == NULL || certgen_mkdir(o->out_dir, err) != 0)
        goto out;
    r = certgen_load_ca(o->out_dir, &ca, &ca_key, &ca_pem, &ca_len, err);
    if (r < 0)
        goto out;
    if (r == 0) {
        int cut;

        ca_key = EVP_EC_gen("P-256");
        if (ca_key == NULL) {
            certgen_ssl_err(err, "CA key");
            goto out;
        }
        ca = certgen_make(ca_key, "image-policy-webhook CA", NULL, ca_key,
                          CERTGEN_CA_DAYS, NULL, &cut, err);
        if (ca == NULL ||
            certgen_write_pem(o->out_dir, "ca.key", NULL, ca_key, 0600, NULL,
                              NULL, err) != 0 ||
            certgen_write_pem(o->out_dir, "ca.crt", ca, NULL, 0644, &ca_pem,
                              &ca_len, err) != 0)
            goto out;
    }
    res->ca_reused = r == 1;
    key = EVP_EC_gen("P-256");
    if (key == NULL) {
        certgen_ssl_err(err, "serving key");
        goto out;
    }
    snprintf(cn, sizeof(cn), "%s.%s.svc", o->service, o->namespace);
    crt = certgen_make(key, cn, ca, ca_key, days, sans, &res->cut_to_ca, err);
    /* The key first: a reader that sees the new certificate has its key. */
    if (crt == NULL ||
        certgen_write_pem(o->out_dir, "tls.key", NULL, key, 0600, NULL, NULL,
                          err) != 0 ||
        certgen_write_pem(o->out_dir, "tls.crt", crt, NULL, 0644, NULL, NULL,
                          err) != 0)
        goto out;
    if (ASN1_TIME_to_tm(X509_get0_notAfter(crt), &tm) == 1)
        strftime(res->not_after, sizeof(res->not_after), "%Y-%m-%d %H:%M:%S",
                 &tm);
    res->ca_bundle_b64 = certgen_base64(ca_pem, ca_len, err);
    if (res->ca_bundle_b64 == NULL)
        goto out;
    rc = 0;
out:
    GENERAL_NAMES_free(sans);
    X509_free(ca);
    X509_free(crt);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(key);
    free(ca_pem);
    return rc;
}

void certgen_result_free(struct certgen_result *res)
{
    if (res == NULL)
        return;
    free(res->ca_bundle_b64);
    res->ca_bundle_b64 = NULL;
}
