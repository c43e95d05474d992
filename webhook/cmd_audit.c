/* cmd_audit.c - audit and can-pull: questions asked once of what exists. */
#include "cmd_audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "auditor.h"
#include "cli.h"
#include "jsonout.h"
#include "log.h"

/* How long audit and can-pull wait for the API to list every RBAC kind. */
#define CMD_AUDIT_KUBE_WAIT_S 60

/*
 * --kube for a command that runs once: follow the API into the live index
 * (as serve does) until every kind was listed. Exits 2 when a list fails.
 * Returns the client (kube_stop() it) and the state in *st (release it).
 */
static struct kube *cmd_audit_kube_once(struct cli_opts *o,
                                        struct kubeconfig **kc,
                                        struct state **st)
{
    struct err err = {{0}};
    struct kube_opts ko;
    struct kube_stats ks;
    struct kube *k;
    int i;

    log_set_level(LOG_WARN); /* a command's output, not a server's log */
    *kc = cli_kube_config(o, &ko);
    state_publish(cli_state(o));
    k = kube_start(&ko, &err);
    if (k == NULL) {
        fprintf(stderr, "image-policy-webhook: %s\n", err.msg);
        exit(2);
    }
    for (i = 0; i < CMD_AUDIT_KUBE_WAIT_S * 10 && !kube_ready(k); i++) {
        kube_stats_get(k, &ks);
        if (ks.reconnects > 0)
            break;
        nanosleep(&(struct timespec){0, 100000000L}, NULL);
    }
    if (!kube_ready(k)) {
        kube_stop(k);
        kubeconfig_free(*kc);
        fprintf(stderr,
                "image-policy-webhook: the Kubernetes API did not list every "
                "RBAC kind%s (see the line above)\n",
                i < CMD_AUDIT_KUBE_WAIT_S * 10 ? "" : " within 60 s");
        exit(2);
    }
    *st = state_acquire();
    return k;
}

static void cmd_audit_say(void *arg, int failed, const char *msg)
{
    (void)arg;
    fprintf(stderr, "image-policy-webhook: audit: %s%s\n",
            failed ? "" : "note: ", msg);
}

/* audit: review what exists; 0 nothing denied, 1 denials, 2 bad input. */
int cmd_audit(int argc, char **argv)
{
    struct cli_opts o;
    struct state *st;
    struct kube *k = NULL;
    struct kubeconfig *kc = NULL;
    struct audit *a;
    struct audit_summary sum;
    struct auditor_scope scope;
    json_t *out = NULL;
    char *text = NULL;
    size_t failed, len;
    int fmt;

    cli_parse(argc, argv,
              "--config --bindings --kube --kubeconfig --output --namespace ",
              &o);
    if (o.kubeconfig != NULL)
        o.kube = 1;
    fmt = o.output == NULL || strcmp(o.output, "table") == 0 ? 0
          : strcmp(o.output, "json") == 0                    ? 1
          : strcmp(o.output, "policyreport") == 0            ? 2
                                                             : -1;
    if (fmt < 0)
        cli_bad("--output %s: must be table, json or policyreport", o.output);
    if (!o.kube && o.nargs == 0)
        cli_bad("audit needs FILE or DIR arguments, or --kube");
    if (o.kube)
        k = cmd_audit_kube_once(&o, &kc, &st);
    else
        st = cli_state(&o);
    a = audit_new();
    if (a == NULL) {
        fprintf(stderr, "image-policy-webhook: out of memory\n");
        exit(2);
    }
    scope.namespaces = o.namespaces;
    scope.n = (size_t)o.nnamespaces;
    failed = o.nargs > 0 ? auditor_files(a, st, o.args, (size_t)o.nargs, &scope,
                                         cmd_audit_say, NULL)
                         : auditor_kube(a, st, k, &scope, cmd_audit_say, NULL);
    audit_finish(a, &sum);
    if (fmt == 0) {
        text = audit_table(a, &sum);
    } else {
        out = fmt == 1 ? audit_findings(a)
                       : audit_policy_reports(a, (long long)time(NULL));
        text = out != NULL ? jsonout_dumps(out, &len) : NULL;
    }
    if (text == NULL) {
        fprintf(stderr, "image-policy-webhook: out of memory\n");
        exit(2);
    }
    fputs(text, stdout);
    if (fmt != 0)
        fprintf(stdout, "\n");
    if (fmt != 0 || failed > 0)
        fprintf(stderr,
                "image-policy-webhook: audit: %zu objects, %zu denied, %zu "
                "warned%s\n",
                sum.objects, sum.denied, sum.warned,
                failed > 0 ? "; some inputs could not be read (see above)"
                           : "");
    free(text);
    json_decref(out);
    audit_free(a);
    state_release(st);
    kube_stop(k);
    kubeconfig_free(kc);
    return failed > 0 ? 2 : sum.denied > 0 ? 1 : 0;
}

/* One grant, as can-pull says it. */
static void cmd_audit_grant(const char *lead, const struct rbac_why *why,
                            const char *sa_ns, const char *sa_name)
{
    printf("%s%s %s%s%s (%s %s%s) grants get imagestreams/layers to ", lead,
           why->binding_kind, why->binding_ns,
           why->binding_ns[0] != '\0' ? "/" : "", why->binding_name,
           why->role_kind, why->role_name,
           why->role_bootstrap ? ", OpenShift's bootstrap definition" : "");
    if (strcmp(why->subject, "ServiceAccount") == 0)
        printf("ServiceAccount %s/%s\n", sa_ns, sa_name);
    else if (strcmp(why->subject, "Group") == 0)
        printf("Group system:serviceaccounts:%s\n", sa_ns);
    else
        printf("%s\n", why->subject);
}

struct cmd_audit_grants {
    const char *sa_ns, *sa_name;
    size_t n;
};

static int cmd_audit_grant_each(void *arg, const struct rbac_why *why)
{
    struct cmd_audit_grants *g = arg;

    cmd_audit_grant(g->n++ == 0 ? "yes: " : "also: ", why, g->sa_ns,
                    g->sa_name);
    return 0;
}

/* Whether s is a name the API could hold: non-empty, no slash, no space. */
static int cmd_audit_name_ok(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (s[i] == '/' || s[i] == ' ' || (unsigned char)s[i] < 0x20)
            return 0;
    return n > 0 && n < 254;
}

/* can-pull: 0 yes, 1 no, 2 bad input. */
int cmd_audit_can_pull(int argc, char **argv)
{
    struct cli_opts o;
    struct state *st;
    struct kube *k = NULL;
    struct kubeconfig *kc = NULL;
    struct rbac_why why;
    struct cmd_audit_grants g;
    char sa_ns[256], sa_name[256], project[256], stream[256] = "";
    const char *slash;
    int yes;

    cli_parse(argc, argv, "--config --bindings --kube --kubeconfig -v ", &o);
    if (o.kubeconfig != NULL)
        o.kube = 1;
    if (o.nargs != 2)
        cli_bad("can-pull needs NAMESPACE/SERVICEACCOUNT and PROJECT[/STREAM]");
    slash = strchr(o.args[0], '/');
    if (slash == NULL ||
        !cmd_audit_name_ok(o.args[0], (size_t)(slash - o.args[0])) ||
        !cmd_audit_name_ok(slash + 1, strlen(slash + 1)))
        cli_bad("can-pull: %s: must be NAMESPACE/SERVICEACCOUNT", o.args[0]);
    snprintf(sa_ns, sizeof(sa_ns), "%.*s", (int)(slash - o.args[0]), o.args[0]);
    snprintf(sa_name, sizeof(sa_name), "%s", slash + 1);
    slash = strchr(o.args[1], '/');
    if (!cmd_audit_name_ok(o.args[1], slash != NULL
                                          ? (size_t)(slash - o.args[1])
                                          : strlen(o.args[1])) ||
        (slash != NULL && !cmd_audit_name_ok(slash + 1, strlen(slash + 1))))
        cli_bad("can-pull: %s: must be PROJECT or PROJECT/STREAM", o.args[1]);
    snprintf(project, sizeof(project), "%.*s",
             (int)(slash != NULL ? slash - o.args[1] : (long)strlen(o.args[1])),
             o.args[1]);
    if (slash != NULL)
        snprintf(stream, sizeof(stream), "%s", slash + 1);
    if (!o.kube && o.bindings == NULL)
        cli_bad("can-pull needs --bindings F or --kube");
    if (o.kube)
        k = cmd_audit_kube_once(&o, &kc, &st);
    else
        st = cli_state(&o);
    state_read_lock(st);
    yes = rbac_may_pull_why(st->rb, sa_ns, sa_name, project, stream, &why);
    if (yes && o.verbose) {
        g.sa_ns = sa_ns;
        g.sa_name = sa_name;
        g.n = 0;
        rbac_pull_grants(st->rb, sa_ns, sa_name, project, stream,
                         cmd_audit_grant_each, &g);
    } else if (yes) {
        cmd_audit_grant("yes: ", &why, sa_ns, sa_name);
    } else {
        printf("no: nothing grants get imagestreams/layers in project %s%s%s%s "
               "to ServiceAccount %s/%s (%zu bindings of its users and groups "
               "checked); fix: oc policy add-role-to-user "
               "system:image-puller system:serviceaccount:%s:%s "
               "--namespace=%s\n",
               project, stream[0] ? " (image stream " : "", stream,
               stream[0] ? ")" : "", sa_ns, sa_name, why.considered, sa_ns,
               sa_name, project);
    }
    state_read_unlock(st);
    state_release(st);
    kube_stop(k);
    kubeconfig_free(kc);
    return yes ? 0 : 1;
}
