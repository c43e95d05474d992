/* cli.c - the flags and one-line errors every command shares. */
#include "cli.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One clear line and exit 2: the answer to bad command-line input. */
void cli_bad(const char *fmt, ...)
{
    va_list ap;

    fputs("image-policy-webhook: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs(" (see image-policy-webhook --help)\n", stderr);
    exit(2);
}

/* Whether the first len bytes of flag are a whole word of allowed. */
static int cli_allowed(const char *allowed, const char *flag, size_t len)
{
    const char *p = allowed;

    while ((p = strstr(p, "--")) != NULL) {
        size_t n = strcspn(p, " ");

        if (n == len && strncmp(p, flag, len) == 0)
            return 1;
        p += n;
    }
    return 0;
}

void cli_parse(int argc, char **argv, const char *allowed, struct cli_opts *o)
{
    static const struct {
        const char *flag;
        size_t off;
    } flags[] = {
        {"--config", offsetof(struct cli_opts, config)},
        {"--bindings", offsetof(struct cli_opts, bindings)},
        {"--tls-cert", offsetof(struct cli_opts, cert)},
        {"--tls-key", offsetof(struct cli_opts, key)},
        {"--listen", offsetof(struct cli_opts, listen)},
        {"--log-level", offsetof(struct cli_opts, log_level)},
        {"--kubeconfig", offsetof(struct cli_opts, kubeconfig)},
        {"--kube-resync", offsetof(struct cli_opts, kube_resync)},
        {"--kube-status-interval", offsetof(struct cli_opts, kube_status)},
        {"--client-ca", offsetof(struct cli_opts, client_ca)},
        {"--health-listen", offsetof(struct cli_opts, health_listen)},
        {"--record-dir", offsetof(struct cli_opts, record_dir)},
        {"--record-max-files", offsetof(struct cli_opts, record_max_files)},
        {"--record-max-bytes", offsetof(struct cli_opts, record_max_bytes)},
        {"--grace-period", offsetof(struct cli_opts, grace_period)},
        {"--service", offsetof(struct cli_opts, service)},
        {"--namespace", offsetof(struct cli_opts, namespace)},
        {"--out", offsetof(struct cli_opts, out)},
        {"--hosts", offsetof(struct cli_opts, hosts)},
        {"--days", offsetof(struct cli_opts, days)},
        {"--output", offsetof(struct cli_opts, output)},
        {"--audit-interval", offsetof(struct cli_opts, audit_interval)},
    };
    int i;
    size_t f, len;
    const char *eq, *value;

    memset(o, 0, sizeof(*o));
    for (i = 0; i < argc; i++) {
        const char *a = argv[i];

        if (a[0] != '-' || strcmp(a, "-") == 0) {
            if (o->nargs == (int)(sizeof(o->args) / sizeof(o->args[0])))
                cli_bad("too many arguments at %s", a);
            o->args[o->nargs++] = a;
            continue;
        }
        if (strcmp(a, "--kube") == 0 && cli_allowed(allowed, a, 6)) {
            o->kube = 1; /* the flags without a value */
            continue;
        }
        if (strcmp(a, "-v") == 0 && strstr(allowed, " -v ") != NULL) {
            o->verbose = 1;
            continue;
        }
        /* "--flag value" or "--flag=value", as manifests often write it */
        eq = strchr(a, '=');
        len = eq != NULL ? (size_t)(eq - a) : strlen(a);
        for (f = 0; f < sizeof(flags) / sizeof(flags[0]); f++)
            if (strlen(flags[f].flag) == len &&
                strncmp(a, flags[f].flag, len) == 0)
                break;
        if (f == sizeof(flags) / sizeof(flags[0]) ||
            !cli_allowed(allowed, a, len))
            cli_bad("unknown flag %.*s", (int)len, a);
        value = eq != NULL ? eq + 1 : i + 1 < argc ? argv[++i] : "";
        if (value[0] == '\0')
            cli_bad("%.*s needs a value", (int)len, a);
        *(const char **)((char *)o + flags[f].off) = value;
        if (flags[f].off == offsetof(struct cli_opts, namespace)) {
            if (o->nnamespaces ==
                (int)(sizeof(o->namespaces) / sizeof(o->namespaces[0])))
                cli_bad("too many --namespace flags");
            o->namespaces[o->nnamespaces++] = value;
        }
    }
}

struct state *cli_state(const struct cli_opts *o)
{
    struct err err = {{0}};
    struct state *st = state_load(o->config, o->bindings, &err);

    if (st == NULL) {
        fprintf(stderr, "image-policy-webhook: %s\n", err.msg);
        exit(2);
    }
    return st;
}

/* --kube: the live index and where the API is. Exits 2 on bad input. */
struct kubeconfig *cli_kube_config(const struct cli_opts *o,
                                   struct kube_opts *ko)
{
    struct err err = {{0}};
    struct kubeconfig *kc;
    char *end = NULL;
    long v;

    memset(ko, 0, sizeof(*ko));
    if (o->bindings != NULL)
        cli_bad("--bindings and --kube exclude each other");
    if (o->kube_resync != NULL) {
        v = strtol(o->kube_resync, &end, 10);
        if (end == o->kube_resync || *end != '\0' || v < 1 || v > 86400)
            cli_bad("--kube-resync %s: must be seconds from 1 to 86400",
                    o->kube_resync);
        ko->resync_s = (unsigned)v;
    }
    if (o->kube_status != NULL) {
        v = strtol(o->kube_status, &end, 10);
        if (end == o->kube_status || *end != '\0' || v < 1 || v > 86400)
            cli_bad("--kube-status-interval %s: must be seconds from 1 to "
                    "86400",
                    o->kube_status);
        ko->status_s = (unsigned)v;
    }
    kc = o->kubeconfig != NULL ? kubeconfig_load(o->kubeconfig, NULL, &err)
                               : kubeconfig_in_cluster(KUBECONFIG_SA_DIR, &err);
    if (kc == NULL || state_live_init(&err) != 0) {
        fprintf(stderr, "image-policy-webhook: %s\n", err.msg);
        exit(2);
    }
    ko->kc = kc;
    return kc;
}
