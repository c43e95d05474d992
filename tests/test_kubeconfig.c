/* test_kubeconfig.c - kubeconfig files and the in-cluster configuration. */
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

#include "kubeconfig.h"

/* A scratch directory per test, removed by the teardown. */
struct fixture {
    char dir[64];
};

static int kc_setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (f == NULL)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/test_kubeconfig.XXXXXX");
    if (mkdtemp(f->dir) == NULL) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int kc_teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

/* Write text to dir/name; returns the path in a static buffer. */
static const char *kc_write(const struct fixture *f, const char *name,
                            const char *text)
{
    static char path[256];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/%s", f->dir, name);
    fp = fopen(path, "w");
    assert_non_null(fp);
    assert_int_equal(fputs(text, fp) >= 0, 1);
    assert_int_equal(fclose(fp), 0);
    return path;
}

/* A kubeconfig whose context "test" uses cluster c and user u. */
static struct kubeconfig *kc_load(const struct fixture *f, const char *cluster,
                                  const char *user, struct err *err)
{
    char text[4096], path[256];

    snprintf(text, sizeof(text),
             "apiVersion: v1\n"
             "kind: Config\n"
             "current-context: test\n"
             "clusters:\n"
             "- name: other\n"
             "  cluster: {server: 'https://other:1'}\n"
             "- name: c\n"
             "  cluster:\n%s"
             "users:\n"
             "- name: u\n"
             "  user:\n%s"
             "contexts:\n"
             "- name: first\n"
             "  context: {cluster: other, user: u}\n"
             "- name: test\n"
             "  context: {cluster: c, user: u, namespace: x}\n",
             cluster, user);
    snprintf(path, sizeof(path), "%s", kc_write(f, "config", text));
    return kubeconfig_load(path, NULL, err);
}

static void test_kubeconfig_token_and_ca_file(void **state)
{
    struct fixture *f = *state;
    struct err err = {{0}};
    struct kubeconfig *kc;
    char *tok = NULL, want[256];

    kc = kc_load(f,
                 "    server: https://127.0.0.1:6443/\n"
                 "    certificate-authority: ca.crt\n",
                 "    token: abc.def\n", &err);
    assert_non_null(kc);
    /* The current context, not the first; the trailing slash dropped. */
    assert_string_equal(kc->server, "https://127.0.0.1:6443");
    /* Relative to the file's directory, as kubectl does. */
    snprintf(want, sizeof(want), "%s/ca.crt", f->dir);
    assert_string_equal(kc->ca_file, want);
    assert_null(kc->ca_data);
    assert_int_equal(kc->insecure, 0);
    assert_int_equal(kubeconfig_token(kc, &tok, &err), 0);
    assert_string_equal(tok, "abc.def");
    assert_non_null(strstr(kc->source, "context test"));
    free(tok);
    kubeconfig_free(kc);
}

static void test_kubeconfig_data_fields(void **state)
{
    struct fixture *f = *state;
    struct err err = {{0}};
    struct kubeconfig *kc;
    char *tok = NULL;

    /* base64 of "CA PEM\n", "CERT\n" and "KEY" (no padding needed). */
    kc = kc_load(f,
                 "    server: https://[::1]:6443\n"
                 "    certificate-authority-data: Q0EgUEVNCg==\n",
                 "    client-certificate-data: Q0VSVAo=\n"
                 "    client-key-data: S0VZ\n",
                 &err);
    assert_non_null(kc);
    assert_int_equal(kc->ca_data_len, 7);
    assert_memory_equal(kc->ca_data, "CA PEM\n", 7);
    assert_int_equal(kc->cert_data_len, 5);
    assert_memory_equal(kc->cert_data, "CERT\n", 5);
    assert_int_equal(kc->key_data_len, 3);
    assert_memory_equal(kc->key_data, "KEY", 3);
    assert_null(kc->ca_file);
    assert_null(kc->cert_file);
    assert_int_equal(kubeconfig_token(kc, &tok, &err), 0);
    assert_null(tok); /* no token: the certificate logs in */
    kubeconfig_free(kc);
}

static void test_kubeconfig_cert_files_insecure(void **state)
{
    struct fixture *f = *state;
    struct err err = {{0}};
    struct kubeconfig *kc;

    kc = kc_load(f,
                 "    server: https://api.example.com:6443\n"
                 "    insecure-skip-tls-verify: true\n",
                 "    client-certificate: /etc/pki/c.crt\n"
                 "    client-key: keys/c.key\n",
                 &err);
    assert_non_null(kc);
    assert_int_equal(kc->insecure, 1);
    assert_string_equal(kc->cert_file, "/etc/pki/c.crt");
    assert_non_null(strstr(kc->key_file, "/keys/c.key"));
    assert_int_equal(kc->key_file[0], '/');
    kubeconfig_free(kc);
}

static void test_kubeconfig_token_file_rotates(void **state)
{
    struct fixture *f = *state;
    struct err err = {{0}};
    struct kubeconfig *kc;
    char *tok = NULL;

    kc_write(f, "token", "  first-token\n\n");
    kc = kc_load(f, "    server: https://127.0.0.1:6443\n",
                 "    tokenFile: token\n", &err);
    assert_non_null(kc);
    assert_int_equal(kubeconfig_token(kc, &tok, &err), 0);
    assert_string_equal(tok, "first-token"); /* whitespace trimmed */
    free(tok);
    kc_write(f, "token", "second-token");
    assert_int_equal(kubeconfig_token(kc, &tok, &err), 0);
    assert_string_equal(tok, "second-token"); /* read again every time */
    free(tok);
    kc_write(f, "token", " \n");
    assert_int_equal(kubeconfig_token(kc, &tok, &err), -1);
    assert_null(tok);
    assert_non_null(strstr(err.msg, "empty token file"));
    kubeconfig_free(kc);
}

static void test_kubeconfig_errors(void **state)
{
    static const struct {
        const char *cluster, *user, *msg;
    } cases[] = {
        {"    certificate-authority: x\n", "    token: t\n",
         "the cluster has no server"},
        {"    server: ftp://x\n", "    token: t\n", "must be an https:// URL"},
        {"    server: https://x\n    certificate-authority-data: '!!'\n",
         "    token: t\n", "certificate-authority-data is not base64"},
        {"    server: https://x\n    certificate-authority: a\n"
         "    certificate-authority-data: QQ==\n",
         "    token: t\n", "are both given"},
        {"    server: https://x\n    certificate-authority: a\n"
         "    insecure-skip-tls-verify: true\n",
         "    token: t\n", "not allowed"},
        {"    server: https://x\n    insecure-skip-tls-verify: 'yes'\n",
         "    token: t\n", "must be true or false"},
        {"    server: https://x\n",
         "    exec: {command: aws, apiVersion: "
         "client.authentication.k8s.io/v1}\n",
         "exec is not supported"},
        {"    server: https://x\n", "    auth-provider: {name: gcp}\n",
         "auth-provider is not supported"},
        {"    server: https://x\n", "    username: a\n    password: b\n",
         "username is not supported"},
        {"    server: https://x\n", "    client-certificate: c.crt\n",
         "needs its key"},
        {"    server: https://x\n", "    token: [1]\n",
         "token must be a string"},
        {"    server: https://x\n    tls-server-name: y\n", "    token: t\n",
         "tls-server-name is not supported"},
    };
    struct fixture *f = *state;
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct err err = {{0}};
        struct kubeconfig *kc =
            kc_load(f, cases[i].cluster, cases[i].user, &err);

        if (kc != NULL || strstr(err.msg, cases[i].msg) == NULL)
            fail_msg("case %zu: want an error with \"%s\", got \"%s\"", i,
                     cases[i].msg, err.msg);
        assert_non_null(strstr(err.msg, "/config"));
    }
}

static void test_kubeconfig_contexts(void **state)
{
    struct fixture *f = *state;
    struct err err = {{0}};
    struct kubeconfig *kc;
    const char *path;

    path = kc_write(f, "k1",
                    "clusters: [{name: c, cluster: {server: 'https://a'}}]\n"
                    "contexts: [{name: x, context: {cluster: c}}]\n");
    assert_null(kubeconfig_load(path, NULL, &err));
    assert_non_null(strstr(err.msg, "no current-context"));
    /* An explicit context; no user means no credentials. */
    kc = kubeconfig_load(path, "x", &err);
    assert_non_null(kc);
    assert_null(kc->token);
    assert_null(kc->cert_file);
    kubeconfig_free(kc);
    memset(&err, 0, sizeof(err));
    assert_null(kubeconfig_load(path, "y", &err));
    assert_non_null(strstr(err.msg, "no context y"));
    memset(&err, 0, sizeof(err));
    path = kc_write(f, "k2",
                    "current-context: x\n"
                    "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
                    "clusters: [{name: c, cluster: {server: 'https://a'}}]\n");
    assert_null(kubeconfig_load(path, NULL, &err));
    assert_non_null(strstr(err.msg, "no user u"));
    memset(&err, 0, sizeof(err));
    path = kc_write(f, "k3",
                    "current-context: x\n"
                    "contexts: [{name: x, context: {cluster: c}}]\n");
    assert_null(kubeconfig_load(path, NULL, &err));
    assert_non_null(strstr(err.msg, "no cluster c"));
    memset(&err, 0, sizeof(err));
    path = kc_write(f, "k4", "- just\n- a list\n");
    assert_null(kubeconfig_load(path, NULL, &err));
    assert_non_null(strstr(err.msg, "not a kubeconfig"));
    memset(&err, 0, sizeof(err));
    assert_null(kubeconfig_load("/nonexistent/kubeconfig", NULL, &err));
    assert_non_null(strstr(err.msg, "/nonexistent/kubeconfig"));
}

static void test_kubeconfig_in_cluster(void **state)
{
    struct fixture *f = *state;
    struct err err = {{0}};
    struct kubeconfig *kc;
    char *tok = NULL, want[256];

    unsetenv("KUBERNETES_SERVICE_HOST");
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    assert_null(kubeconfig_in_cluster(f->dir, &err));
    assert_non_null(strstr(err.msg, "KUBERNETES_SERVICE_HOST"));

    setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
    memset(&err, 0, sizeof(err));
    assert_null(kubeconfig_in_cluster(f->dir, &err)); /* no token yet */
    assert_non_null(strstr(err.msg, "/token"));

    kc_write(f, "token", "sa-token-1\n");
    memset(&err, 0, sizeof(err));
    assert_null(kubeconfig_in_cluster(f->dir, &err)); /* no CA yet */
    assert_non_null(strstr(err.msg, "/ca.crt"));

    kc_write(f, "ca.crt", "-----BEGIN CERTIFICATE-----\n");
    kc = kubeconfig_in_cluster(f->dir, &err);
    assert_non_null(kc);
    assert_string_equal(kc->server, "https://10.96.0.1:443");
    snprintf(want, sizeof(want), "%s/ca.crt", f->dir);
    assert_string_equal(kc->ca_file, want);
    assert_string_equal(kc->source, "in-cluster");
    assert_int_equal(kubeconfig_token(kc, &tok, &err), 0);
    assert_string_equal(tok, "sa-token-1");
    free(tok);
    /* The kubelet rotates the token: the next read sees the new one. */
    kc_write(f, "token", "sa-token-2");
    assert_int_equal(kubeconfig_token(kc, &tok, &err), 0);
    assert_string_equal(tok, "sa-token-2");
    free(tok);
    kubeconfig_free(kc);

    setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
    kc = kubeconfig_in_cluster(f->dir, &err);
    assert_non_null(kc);
    assert_string_equal(kc->server, "https://[fd00::1]:443");
    kubeconfig_free(kc);
    unsetenv("KUBERNETES_SERVICE_HOST");
    unsetenv("KUBERNETES_SERVICE_PORT");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_kubeconfig_token_and_ca_file,
                                        kc_setup, kc_teardown),
        cmocka_unit_test_setup_teardown(test_kubeconfig_data_fields, kc_setup,
                                        kc_teardown),
        cmocka_unit_test_setup_teardown(test_kubeconfig_cert_files_insecure,
                                        kc_setup, kc_teardown),
        cmocka_unit_test_setup_teardown(test_kubeconfig_token_file_rotates,
                                        kc_setup, kc_teardown),
        cmocka_unit_test_setup_teardown(test_kubeconfig_errors, kc_setup,
                                        kc_teardown),
        cmocka_unit_test_setup_teardown(test_kubeconfig_contexts, kc_setup,
                                        kc_teardown),
        cmocka_unit_test_setup_teardown(test_kubeconfig_in_cluster, kc_setup,
                                        kc_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
