/*
 * cli.h - what every command of the command line shares: the flags (one
 * table; each command names those it takes), the one-line error that ends
 * a bad command line with exit 2, loading config and bindings, and the
 * --kube settings.
 */
#ifndef WEBHOOK_CLI_H
#define WEBHOOK_CLI_H

#include "kube.h"
#include "kubeconfig.h"
#include "state.h"

/* The flags every command may take; NULL when not given. */
struct cli_opts {
    const char *config, *bindings, *cert, *key, *listen, *log_level;
    const char *kubeconfig, *kube_resync, *kube_status;
    const char *client_ca, *health_listen;
    const char *record_dir, *record_max_files, *record_max_bytes;
    const char *grace_period;
    const char *service, *namespace, *out, *hosts, *days; /* certs */
    const char *output, *audit_interval;
    const char *namespaces[64]; /* every --namespace, in order (audit) */
    int nnamespaces;
    int kube;    /* --kube (or --kubeconfig): follow RBAC from the API */
    int verbose; /* -v */
    const char *args[64]; /* positional arguments */
    int nargs;
};

/*
 * Print "image-policy-webhook: <message> (see image-policy-webhook --help)"
 * on stderr and exit 2: the answer to bad command-line input.
 */
void cli_bad(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));

/*
 * Parse the argc words of argv (those after the command) into *o: the
 * flags that allowed names ("--config --bindings ", and " -v " for -v),
 * each as "--flag value" or "--flag=value", and the positional arguments.
 * The strings in *o are borrowed from argv. An unknown flag, a flag without
 * its value or too many arguments end the process through cli_bad().
 */
void cli_parse(int argc, char **argv, const char *allowed, struct cli_opts *o);

/*
 * Load o's --config and --bindings into a new state with one reference
 * (the caller's: state_release()); on error, one line on stderr and exit 2.
 */
struct state *cli_state(const struct cli_opts *o);

/*
 * --kube: fill *ko from --kube-resync, --kube-status-interval and the
 * kubeconfig (--kubeconfig, else the pod's service account), and make the
 * states loaded from now on share the live index (state_live_init()).
 * Returns the kubeconfig, the caller's (kubeconfig_free() once the client
 * is stopped), which ko->kc borrows. Bad input (with --bindings, say): one
 * line on stderr and exit 2.
 */
struct kubeconfig *cli_kube_config(const struct cli_opts *o,
                                   struct kube_opts *ko);

#endif
