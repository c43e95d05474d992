/* cryptofn.h - libcrypto loaded on first use: the certs command alone. */
#ifndef CERTS_CRYPTOFN_H
#define CERTS_CRYPTOFN_H

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "err.h"

/*
 * Every libcrypto function certgen.c calls, by its real name: OpenSSL's
 * macros (OPENSSL_free, BIO_get_mem_ptr, sk_*, EVP_EC_gen, ...) expand to
 * these. The build keeps this list and the redirections at the end in
 * step: a call of a function missing from both fails the program's link
 * (it has no libcrypto to take it from), a redirection without its member
 * fails to compile.
 */
#define CRYPTOFN_LIST(X)                                                       \
    X(ASN1_IA5STRING_new)                                                      \
    X(ASN1_OCTET_STRING_new)                                                   \
    X(ASN1_STRING_free)                                                        \
    X(ASN1_STRING_get0_data)                                                   \
    X(ASN1_STRING_length)                                                      \
    X(ASN1_STRING_set)                                                         \
    X(ASN1_TIME_to_tm)                                                         \
    X(BIO_ctrl)                                                                \
    X(BIO_free)                                                                \
    X(BIO_new)                                                                 \
    X(BIO_new_mem_buf)                                                         \
    X(BIO_s_mem)                                                               \
    X(BN_free)                                                                 \
    X(BN_new)                                                                  \
    X(BN_rand)                                                                 \
    X(BN_to_ASN1_INTEGER)                                                      \
    X(ERR_clear_error)                                                         \
    X(ERR_error_string_n)                                                      \
    X(ERR_get_error)                                                           \
    X(EVP_EncodeBlock)                                                         \
    X(EVP_PKEY_Q_keygen)                                                       \
    X(EVP_PKEY_free)                                                           \
    X(EVP_sha256)                                                              \
    X(GENERAL_NAMES_free)                                                      \
    X(GENERAL_NAME_free)                                                       \
    X(GENERAL_NAME_new)                                                        \
    X(GENERAL_NAME_set0_value)                                                 \
    X(OBJ_nid2sn)                                                              \
    X(OPENSSL_cleanse)                                                         \
    X(OPENSSL_sk_new_null)                                                     \
    X(OPENSSL_sk_num)                                                          \
    X(OPENSSL_sk_push)                                                         \
    X(OPENSSL_sk_value)                                                        \
    X(PEM_read_bio_PrivateKey)                                                 \
    X(PEM_read_bio_X509)                                                       \
    X(PEM_write_bio_PrivateKey)                                                \
    X(PEM_write_bio_X509)                                                      \
    X(X509V3_EXT_nconf_nid)                                                    \
    X(X509V3_set_ctx)                                                          \
    X(X509_EXTENSION_free)                                                     \
    X(X509_NAME_add_entry_by_txt)                                              \
    X(X509_NAME_free)                                                          \
    X(X509_NAME_new)                                                           \
    X(X509_add1_ext_i2d)                                                       \
    X(X509_add_ext)                                                            \
    X(X509_check_ca)                                                           \
    X(X509_check_private_key)                                                  \
    X(X509_cmp_current_time)                                                   \
    X(X509_cmp_time)                                                           \
    X(X509_free)                                                               \
    X(X509_get0_notAfter)                                                      \
    X(X509_get_serialNumber)                                                   \
    X(X509_get_subject_name)                                                   \
    X(X509_getm_notAfter)                                                      \
    X(X509_getm_notBefore)                                                     \
    X(X509_gmtime_adj)                                                         \
    X(X509_new)                                                                \
    X(X509_set1_notAfter)                                                      \
    X(X509_set_issuer_name)                                                    \
    X(X509_set_pubkey)                                                         \
    X(X509_set_subject_name)                                                   \
    X(X509_set_version)                                                        \
    X(X509_sign)                                                               \
    X(X509_time_adj_ex)

/* Each member has the type OpenSSL's headers declare for its function. */
struct cryptofn {
#define CRYPTOFN_MEMBER(f) __typeof__(f) *f;
    CRYPTOFN_LIST(CRYPTOFN_MEMBER)
#undef CRYPTOFN_MEMBER
};

/* Filled by cryptofn_load(); NULL members until then. */
extern struct cryptofn cryptofn;

/*
 * Load libcrypto (CRYPTOFN_SONAME, from the library the build compiled
 * against) the first time; safe from any thread. The program is not linked
 * with libcrypto, which only the certs command uses: serve never maps it
 * unless libcurl (--kube) brings it. Call it before any OpenSSL function.
 * 0, or -1 with err set to one line naming the library and what the loader
 * said.
 */
int cryptofn_load(struct err *err);

/*
 * Past this point each listed name means the table's member, so that
 * certgen.c reads as plain OpenSSL: include this header last.
 */
#ifndef CRYPTOFN_NO_REDIRECT
#define ASN1_IA5STRING_new         (cryptofn.ASN1_IA5STRING_new)
#define ASN1_OCTET_STRING_new      (cryptofn.ASN1_OCTET_STRING_new)
#define ASN1_STRING_free           (cryptofn.ASN1_STRING_free)
#define ASN1_STRING_get0_data      (cryptofn.ASN1_STRING_get0_data)
#define ASN1_STRING_length         (cryptofn.ASN1_STRING_length)
#define ASN1_STRING_set            (cryptofn.ASN1_STRING_set)
#define ASN1_TIME_to_tm            (cryptofn.ASN1_TIME_to_tm)
#define BIO_ctrl                   (cryptofn.BIO_ctrl)
#define BIO_free                   (cryptofn.BIO_free)
#define BIO_new                    (cryptofn.BIO_new)
#define BIO_new_mem_buf            (cryptofn.BIO_new_mem_buf)
#define BIO_s_mem                  (cryptofn.BIO_s_mem)
#define BN_free                    (cryptofn.BN_free)
#define BN_new                     (cryptofn.BN_new)
#define BN_rand                    (cryptofn.BN_rand)
#define BN_to_ASN1_INTEGER         (cryptofn.BN_to_ASN1_INTEGER)
#define ERR_clear_error            (cryptofn.ERR_clear_error)
#define ERR_error_string_n         (cryptofn.ERR_error_string_n)
#define ERR_get_error              (cryptofn.ERR_get_error)
#define EVP_EncodeBlock            (cryptofn.EVP_EncodeBlock)
#define EVP_PKEY_Q_keygen          (cryptofn.EVP_PKEY_Q_keygen)
#define EVP_PKEY_free              (cryptofn.EVP_PKEY_free)
#define EVP_sha256                 (cryptofn.EVP_sha256)
#define GENERAL_NAMES_free         (cryptofn.GENERAL_NAMES_free)
#define GENERAL_NAME_free          (cryptofn.GENERAL_NAME_free)
#define GENERAL_NAME_new           (cryptofn.GENERAL_NAME_new)
#define GENERAL_NAME_set0_value    (cryptofn.GENERAL_NAME_set0_value)
#define OBJ_nid2sn                 (cryptofn.OBJ_nid2sn)
#define OPENSSL_cleanse            (cryptofn.OPENSSL_cleanse)
#define OPENSSL_sk_new_null        (cryptofn.OPENSSL_sk_new_null)
#define OPENSSL_sk_num             (cryptofn.OPENSSL_sk_num)
#define OPENSSL_sk_push            (cryptofn.OPENSSL_sk_push)
#define OPENSSL_sk_value           (cryptofn.OPENSSL_sk_value)
#define PEM_read_bio_PrivateKey    (cryptofn.PEM_read_bio_PrivateKey)
#define PEM_read_bio_X509          (cryptofn.PEM_read_bio_X509)
#define PEM_write_bio_PrivateKey   (cryptofn.PEM_write_bio_PrivateKey)
#define PEM_write_bio_X509         (cryptofn.PEM_write_bio_X509)
#define X509V3_EXT_nconf_nid       (cryptofn.X509V3_EXT_nconf_nid)
#define X509V3_set_ctx             (cryptofn.X509V3_set_ctx)
#define X509_EXTENSION_free        (cryptofn.X509_EXTENSION_free)
#define X509_NAME_add_entry_by_txt (cryptofn.X509_NAME_add_entry_by_txt)
#define X509_NAME_free             (cryptofn.X509_NAME_free)
#define X509_NAME_new              (cryptofn.X509_NAME_new)
#define X509_add1_ext_i2d          (cryptofn.X509_add1_ext_i2d)
#define X509_add_ext               (cryptofn.X509_add_ext)
#define X509_check_ca              (cryptofn.X509_check_ca)
#define X509_check_private_key     (cryptofn.X509_check_private_key)
#define X509_cmp_current_time      (cryptofn.X509_cmp_current_time)
#define X509_cmp_time              (cryptofn.X509_cmp_time)
#define X509_free                  (cryptofn.X509_free)
#define X509_get0_notAfter         (cryptofn.X509_get0_notAfter)
#define X509_get_serialNumber      (cryptofn.X509_get_serialNumber)
#define X509_get_subject_name      (cryptofn.X509_get_subject_name)
#define X509_getm_notAfter         (cryptofn.X509_getm_notAfter)
#define X509_getm_notBefore        (cryptofn.X509_getm_notBefore)
#define X509_gmtime_adj            (cryptofn.X509_gmtime_adj)
#define X509_new                   (cryptofn.X509_new)
#define X509_set1_notAfter         (cryptofn.X509_set1_notAfter)
#define X509_set_issuer_name       (cryptofn.X509_set_issuer_name)
#define X509_set_pubkey            (cryptofn.X509_set_pubkey)
#define X509_set_subject_name      (cryptofn.X509_set_subject_name)
#define X509_set_version           (cryptofn.X509_set_version)
#define X509_sign                  (cryptofn.X509_sign)
#define X509_time_adj_ex           (cryptofn.X509_time_adj_ex)
#endif

#endif
