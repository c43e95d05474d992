/*
 * cmd_audit.h - the commands that question what exists, run once: audit (the
 * objects of files, folders or a cluster against the rules) and can-pull
 * (may this service account pull from that project, and why), with RBAC
 * from a bindings file or, once listed, from the Kubernetes API (--kube).
 */
#ifndef WEBHOOK_CMD_AUDIT_H
#define WEBHOOK_CMD_AUDIT_H

/*
 * audit [--config F] [--bindings F | --kube [--kubeconfig F]] [--output
 * table|json|policyreport] [--namespace NS]... [FILE|DIR...]. argv holds
 * the argc words after the command. Returns the exit code: 0 nothing
 * denied, 1 denials, 2 bad input or inputs that could not be read.
 */
int cmd_audit(int argc, char **argv);

/*
 * can-pull [--config F] [--bindings F | --kube [--kubeconfig F]] [-v]
 * NAMESPACE/SERVICEACCOUNT PROJECT[/STREAM]: the answer and what granted
 * it on stdout. Returns the exit code: 0 yes, 1 no, 2 bad input.
 */
int cmd_audit_can_pull(int argc, char **argv);

#endif
