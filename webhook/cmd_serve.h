/*
 * cmd_serve.h - the serve command: the webhook's server process. Loads config
 * and RBAC (a bindings file or the Kubernetes API), reloads them on SIGHUP,
 * answers reviews for the HTTPS server and counts them for /metrics,
 * records them (--record-dir) and audits the cluster (--audit-interval).
 */
#ifndef WEBHOOK_CMD_SERVE_H
#define WEBHOOK_CMD_SERVE_H

/*
 * serve --tls-cert F --tls-key F [flags]: runs until SIGTERM or SIGINT.
 * argv holds the argc words after the command. Returns the exit code: 0
 * after a clean stop, 1 when the server could not start or failed (bad
 * flags exit 2 at once). Call once a process: it keeps its state in the
 * module's statics for the server's callbacks and the SIGHUP thread.
 */
int cmd_serve(int argc, char **argv);

#endif
