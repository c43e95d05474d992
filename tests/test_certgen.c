/* test_certgen.c - the CA and serving certificate of the certs command. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certgen.h"

static const char *const test_certgen_files[] = {"ca.crt", "ca.key", "tls.crt",
                                                 "tls.key"};

/* A new empty directory under /tmp, in buf. */
static void test_certgen_tmpdir(char *buf, size_t cap)
{
    snprintf(buf, cap, "/tmp/test_certgen.XXXXXX");
    assert_non_null(mkdtemp(buf));
}

static void test_certgen_rmdir(const char *dir)
{
    char path[512];
    size_t i;

    for (i = 0; i < 4; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, test_certgen_files[i]);
        unlink(path);
    }
    rmdir(dir);
}

static X509 *test_certgen_load(const char *dir, const char *name)
{
    char path[512];
    FILE *f;
    X509 *x;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "r");
    assert_non_null(f);
    x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(x);
    return x;
}

static int test_certgen_mode(const char *dir, const char *name)
{
    char path[512];
    struct stat st;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (stat(path, &st) != 0)
        return -1;
    return (int)(st.st_mode & 07777);
}

static void test_certgen_check_table(void **state)
{
    static const struct {
        const char *service, *namespace, *hosts;
        unsigned days;
        const char *err; /* NULL: accepted; else a part of the message */
    } cases[] = {
        {"image-policy-webhook", "ipw", NULL, 0, NULL},
        {"a", "0", "127.0.0.1,::1,[fd00::1],x.example.com,*.apps.example.com",
         3650, NULL},
        {"a", "b", "Upper.Example.COM", 1, NULL}, /* lower-cased */
        {"a", "b", " spaced.example.com , 10.0.0.1 ", 1, NULL},
        {"A", "b", NULL, 0, "--service A"},
        {"1a", "b", NULL, 0, "--service 1a"},
        {"a-", "b", NULL, 0, "--service a-"},
        {"a.b", "c", NULL, 0, "--service a.b"},
        {"a", "-b", NULL, 0, "--namespace -b"},
        {"a", "b_c", NULL, 0, "--namespace b_c"},
        {"a", "", NULL, 0, "--namespace "},
        {"", "b", NULL, 0, "--service "},
        {"a", "b", "", 0, "empty item"},
        {"a", "b", "x,", 0, "empty item"},
        {"a", "b", "x..y", 0, "x..y is neither"},
        {"a", "b", "-x.y", 0, "-x.y is neither"},
        {"a", "b", "x.*.y", 0, "x.*.y is neither"},
        {"a", "b", "a b", 0, "a b is neither"},
        {"a", "b", "[::1", 0, "[::1 is neither"},
        {"a", "b", NULL, 3651, "--days 3651"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct certgen_opts o = {cases[i].service, cases[i].namespace, "/x",
                                 cases[i].hosts, cases[i].days};
        struct err err = {{0}};
        int r = certgen_check(&o, &err);

        if (cases[i].err == NULL) {
            if (r != 0)
                fail_msg("case %zu: refused: %s", i, err.msg);
        } else if (r == 0 || strstr(err.msg, cases[i].err) == NULL) {
            fail_msg("case %zu: want an error with \"%s\", got %d \"%s\"", i,
                     cases[i].err, r, err.msg);
        }
    }
}

static void test_certgen_sans_and_reuse(void **state)
{
    char dir[64];
    struct certgen_opts o = {"web", "ns", NULL, "127.0.0.1,web,x.example.com",
                             10};
    struct certgen_result r1, r2;
    struct err err = {{0}};
    X509 *ca, *crt, *crt2;
    GENERAL_NAMES *gens;
    EVP_PKEY *ca_pub;
    char name[300];
    int i;
    static const char *const want[] = {
        "DNS:web",        "DNS:web.ns",
        "DNS:web.ns.svc", "DNS:web.ns.svc.cluster.local",
        "IP:4",           "DNS:x.example.com"};

    (void)state;
    test_certgen_tmpdir(dir, sizeof(dir));
    o.out_dir = dir;
    assert_int_equal(certgen_run(&o, &r1, &err), 0);
    assert_int_equal(r1.ca_reused, 0);
    assert_int_equal(r1.cut_to_ca, 0);
    assert_int_equal(test_certgen_mode(dir, "ca.key"), 0600);
    assert_int_equal(test_certgen_mode(dir, "tls.key"), 0600);
    assert_int_equal(test_certgen_mode(dir, "ca.crt"), 0644);
    assert_int_equal(test_certgen_mode(dir, "tls.crt"), 0644);

    ca = test_certgen_load(dir, "ca.crt");
    crt = test_certgen_load(dir, "tls.crt");
    ca_pub = X509_get0_pubkey(ca);
    assert_int_equal(X509_verify(crt, ca_pub), 1);
    assert_int_equal(X509_check_ca(ca) != 0, 1);
    assert_int_equal(X509_check_ca(crt), 0);
    assert_true(X509_get_extended_key_usage(crt) & XKU_SSL_SERVER);
    /* The SANs in order, "web" of --hosts not repeated. */
    gens = X509_get_ext_d2i(crt, NID_subject_alt_name, NULL, NULL);
    assert_non_null(gens);
    assert_int_equal(sk_GENERAL_NAME_num(gens), 6);
    for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        if (g->type == GEN_DNS)
            snprintf(name, sizeof(name), "DNS:%.*s",
                     ASN1_STRING_length(g->d.dNSName),
                     (const char *)ASN1_STRING_get0_data(g->d.dNSName));
        else
            snprintf(name, sizeof(name), "IP:%d",
                     ASN1_STRING_length(g->d.iPAddress));
        assert_string_equal(name, want[i]);
    }
    GENERAL_NAMES_free(gens);

    /* Again: the CA and the bundle stay, the serving pair is new. */
    assert_int_equal(certgen_run(&o, &r2, &err), 0);
    assert_int_equal(r2.ca_reused, 1);
    assert_string_equal(r1.ca_bundle_b64, r2.ca_bundle_b64);
    crt2 = test_certgen_load(dir, "tls.crt");
    assert_int_not_equal(ASN1_INTEGER_cmp(X509_get0_serialNumber(crt),
                                          X509_get0_serialNumber(crt2)),
                         0);
    assert_int_equal(X509_verify(crt2, ca_pub), 1);

    X509_free(ca);
    X509_free(crt);
    X509_free(crt2);
    certgen_result_free(&r1);
    certgen_result_free(&r2);
    certgen_result_free(NULL);
    test_certgen_rmdir(dir);
}

static void test_certgen_half_ca_refused(void **state)
{
    char dir[64], src[64], from[512], to[512];
    struct certgen_opts o = {"web", "ns", NULL, NULL, 0};
    struct certgen_result r;
    struct err err = {{0}};

    (void)state;
    test_certgen_tmpdir(src, sizeof(src));
    test_certgen_tmpdir(dir, sizeof(dir));
    o.out_dir = src;
    assert_int_equal(certgen_run(&o, &r, &err), 0);
    certgen_result_free(&r);
    /* ca.crt alone: refused, nothing written. */
    snprintf(from, sizeof(from), "%s/ca.crt", src);
    snprintf(to, sizeof(to), "%s/ca.crt", dir);
    assert_int_equal(rename(from, to), 0);
    o.out_dir = dir;
    assert_int_equal(certgen_run(&o, &r, &err), -1);
    assert_non_null(strstr(err.msg, "exists without ca.key"));
    assert_null(r.ca_bundle_b64);
    assert_int_equal(test_certgen_mode(dir, "tls.crt"), -1);
    /* With the key of the serving certificate: not the CA's. */
    snprintf(from, sizeof(from), "%s/tls.key", src);
    snprintf(to, sizeof(to), "%s/ca.key", dir);
    assert_int_equal(rename(from, to), 0);
    memset(&err, 0, sizeof(err));
    assert_int_equal(certgen_run(&o, &r, &err), -1);
    assert_non_null(strstr(err.msg, "ca.key is not the key of ca.crt"));
    assert_int_equal(test_certgen_mode(dir, "tls.crt"), -1);
    test_certgen_rmdir(src);
    test_certgen_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_certgen_check_table),
        cmocka_unit_test(test_certgen_sans_and_reuse),
        cmocka_unit_test(test_certgen_half_ca_refused),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
