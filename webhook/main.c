/* main.c - the command line: its usage, and which command runs. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd_audit.h"
#include "cmd_certs.h"
#include "cmd_review.h"
#include "cmd_serve.h"
#include "hashkey.h"
#include "jsonarena.h"

static const char main_usage[] =
    "usage:\n"
    "  image-policy-webhook serve --tls-cert F --tls-key F [--listen "
    "ADDR:PORT]\n"
    "                             [--config F] [--bindings F] [--log-level "
    "L]\n"
    "                             [--kube [--kubeconfig F] [--kube-resync "
    "SECONDS]\n"
    "                              [--kube-status-interval SECONDS]]\n"
    "                             [--client-ca F] [--health-listen "
    "ADDR:PORT]\n"
    "                             [--record-dir DIR [--record-max-files N]\n"
    "                              [--record-max-bytes B]] [--grace-period "
    "SECONDS]\n"
    "                             [--audit-interval DURATION]\n"
    "  image-policy-webhook review mutate|validate [--config F] [--bindings "
    "F] [FILE|-]\n"
    "  image-policy-webhook test [--config F] [--bindings F] DIR...\n"
    "  image-policy-webhook certs --service NAME --namespace NS --out DIR\n"
    "                             [--hosts H,...] [--days N]\n"
    "  image-policy-webhook audit [--config F] [--bindings F | --kube "
    "[--kubeconfig F]]\n"
    "                             [--output table|json|policyreport] "
    "[--namespace NS]...\n"
    "                             [FILE|DIR...]\n"
    "  image-policy-webhook can-pull [--config F] [--bindings F | --kube "
    "[--kubeconfig F]] [-v]\n"
    "                             NAMESPACE/SERVICEACCOUNT "
    "PROJECT[/STREAM]\n";

/* Whether --help is among the command's arguments (serve --help). */
static int main_wants_help(int argc, char **argv)
{
    int i;

    for (i = 2; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0)
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    struct err err = {{0}};

    if (argc < 2)
        cli_bad("missing command");
    /* Before any thread starts: see jsonarena.c. */
    jsonarena_install();
    /* Before any index is made: every index hashes with this key. */
    if (hashkey_init(&err) != 0) {
        fprintf(stderr, "image-policy-webhook: %s\n", err.msg);
        return 1;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0 || main_wants_help(argc, argv)) {
        fputs(main_usage, stdout);
        return 0;
    }
    if (strcmp(argv[1], "serve") == 0)
        return cmd_serve(argc - 2, argv + 2);
    if (strcmp(argv[1], "review") == 0)
        return cmd_review(argc - 2, argv + 2);
    if (strcmp(argv[1], "test") == 0)
        return cmd_review_test(argc - 2, argv + 2);
    if (strcmp(argv[1], "certs") == 0)
        return cmd_certs(argc - 2, argv + 2);
    if (strcmp(argv[1], "audit") == 0)
        return cmd_audit(argc - 2, argv + 2);
    if (strcmp(argv[1], "can-pull") == 0)
        return cmd_audit_can_pull(argc - 2, argv + 2);
    cli_bad("unknown command %s", argv[1]);
}
