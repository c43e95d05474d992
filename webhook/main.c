/* main.c - the command line: serve, review, test, certs. */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "auditor.h"
#include "certgen.h"
#include "hashkey.h"
#include "kube.h"
#include "kubeconfig.h"
#include "jsonarena.h"
#include "jsonout.h"
#include "log.h"
#include "metrics.h"
#include "record.h"
#include "replay.h"
#include "review.h"
#include "server.h"
#include "state.h"
#include "yamljson.h"

#define MAIN_REVIEW_MAX (64u << 20)

/* serve --record-dir: the caps' defaults and bounds. */
#define MAIN_RECORD_FILES     10000ULL
#define MAIN_RECORD_MAX_FILES 1000000ULL
#define MAIN_RECORD_BYTES     (1ULL << 30)
#define MAIN_RECORD_MIN_BYTES 1024ULL
#define MAIN_RECORD_MAX_BYTES (1ULL << 50)

static const char main_usage[] =
    "usage:\n"
    "  image-policy-webhook serve --tls-cert F --tls-key F [--listen "
    "ADDR:PORT]\n"
    "                             [--config F] [--bindings F] [--log-level "
    "L]\n"
    "                             [--kube [--kubeconfig F] [--kube-resync "
    "SECONDS]]\n"
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

/* The flags every command may take; NULL when not given. */
struct main_opts {
    const char *config, *bindings, *cert, *key, *listen, *log_level;
    const char *kubeconfig, *kube_resync;
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

/* One clear line and exit 2: the answer to bad command-line input. */
static void main_bad(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));
static void main_bad(const char *fmt, ...)
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
static int main_allowed(const char *allowed, const char *flag, size_t len)
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

static void main_parse(int argc, char **argv, const char *allowed,
                       struct main_opts *o)
{
    static const struct {
        const char *flag;
        size_t off;
    } flags[] = {
        {"--config", offsetof(struct main_opts, config)},
        {"--bindings", offsetof(struct main_opts, bindings)},
        {"--tls-cert", offsetof(struct main_opts, cert)},
        {"--tls-key", offsetof(struct main_opts, key)},
        {"--listen", offsetof(struct main_opts, listen)},
        {"--log-level", offsetof(struct main_opts, log_level)},
        {"--kubeconfig", offsetof(struct main_opts, kubeconfig)},
        {"--kube-resync", offsetof(struct main_opts, kube_resync)},
        {"--client-ca", offsetof(struct main_opts, client_ca)},
        {"--health-listen", offsetof(struct main_opts, health_listen)},
        {"--record-dir", offsetof(struct main_opts, record_dir)},
        {"--record-max-files", offsetof(struct main_opts, record_max_files)},
        {"--record-max-bytes", offsetof(struct main_opts, record_max_bytes)},
        {"--grace-period", offsetof(struct main_opts, grace_period)},
        {"--service", offsetof(struct main_opts, service)},
        {"--namespace", offsetof(struct main_opts, namespace)},
        {"--out", offsetof(struct main_opts, out)},
        {"--hosts", offsetof(struct main_opts, hosts)},
        {"--days", offsetof(struct main_opts, days)},
        {"--output", offsetof(struct main_opts, output)},
        {"--audit-interval", offsetof(struct main_opts, audit_interval)},
    };
    int i;
    size_t f, len;
    const char *eq, *value;

    memset(o, 0, sizeof(*o));
    for (i = 0; i < argc; i++) {
        const char *a = argv[i];

        if (a[0] != '-' || strcmp(a, "-") == 0) {
            if (o->nargs == (int)(sizeof(o->args) / sizeof(o->args[0])))
                main_bad("too many arguments at %s", a);
            o->args[o->nargs++] = a;
            continue;
        }
        if (strcmp(a, "--kube") == 0 && main_allowed(allowed, a, 6)) {
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
            !main_allowed(allowed, a, len))
            main_bad("unknown flag %.*s", (int)len, a);
        value = eq != NULL ? eq + 1 : i + 1 < argc ? argv[++i] : "";
        if (value[0] == '\0')
            main_bad("%.*s needs a value", (int)len, a);
        *(const char **)((char *)o + flags[f].off) = value;
        if (flags[f].off == offsetof(struct main_opts, namespace)) {
            if (o->nnamespaces ==
                (int)(sizeof(o->namespaces) / sizeof(o->namespaces[0])))
                main_bad("too many --namespace flags");
            o->namespaces[o->nnamespaces++] = value;
        }
    }
}

/*
 * A whole number of s into *out, with a suffix Ki, Mi, Gi or Ti (times 1024
 * to the 1st to 4th power, as in Kubernetes quantities) when suffixes is 1.
 * 0, or -1 when s is not one or overflows.
 */
static int main_size(const char *s, int suffixes, unsigned long long *out)
{
    static const char *const units[] = {"Ki", "Mi", "Gi", "Ti"};
    unsigned long long v;
    char *end = NULL;
    int u, shift = 0;

    if (!(s[0] >= '0' && s[0] <= '9')) /* strtoull takes "-1" and " 1" */
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || end == s)
        return -1;
    if (*end != '\0') {
        for (u = 0; suffixes && u < 4; u++)
            if (strcmp(end, units[u]) == 0)
                shift = 10 * (u + 1);
        if (shift == 0 || v > (~0ULL >> shift))
            return -1;
    }
    *out = v << shift;
    return 0;
}

static struct state *main_state(const struct main_opts *o)
{
    struct err err = {{0}};
    struct state *st = state_load(o->config, o->bindings, &err);

    if (st == NULL) {
        fprintf(stderr, "image-policy-webhook: %s\n", err.msg);
        exit(2);
    }
    return st;
}

static int main_review(int argc, char **argv)
{
    struct main_opts o;
    struct err err = {{0}};
    struct state *st;
    const char *path;
    char *buf = NULL, *text = NULL;
    size_t len, text_len;
    json_t *req = NULL, *answer = NULL;
    int ep, rc = 2;

    if (argc < 1)
        main_bad("review needs mutate or validate");
    ep = review_endpoint_parse(argv[0]);
    if (ep < 0)
        main_bad("review: unknown endpoint %s (mutate or validate)", argv[0]);
    main_parse(argc - 1, argv + 1, "--config --bindings", &o);
    if (o.nargs > 1)
        main_bad("review takes one FILE, got also %s", o.args[1]);
    path = o.nargs == 1 ? o.args[0] : "-";
    st = main_state(&o);
    buf = yamljson_read_file(strcmp(path, "-") == 0 ? "/dev/stdin" : path,
                             MAIN_REVIEW_MAX, &len, &err);
    if (buf != NULL)
        req = review_parse(buf, len, &err);
    if (req != NULL)
        answer =
            review_answer((enum review_endpoint)ep, req, st->cfg, st->rb, &err);
    if (answer != NULL)
        text = jsonout_dumps(answer, &text_len);
    if (text == NULL) {
        fprintf(stderr, "image-policy-webhook: %s: %s\n", path,
                err.msg[0] ? err.msg : "out of memory");
        goto out;
    }
    puts(text);
    rc = 0;
out:
    free(text);
    free(buf);
    json_decref(req);
    json_decref(answer);
    state_release(st);
    return rc;
}

static int main_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replay every *.json case of dir, in name order; count into pass/fail. */
static int main_test_dir(const char *dir, const struct state *st, int *pass,
                         int *fail)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL, **nn;
    size_t n = 0, i;

    if (d == NULL) {
        fprintf(stderr, "image-policy-webhook: %s: cannot open directory\n",
                dir);
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);

        if (l < 6 || strcmp(e->d_name + l - 5, ".json") != 0)
            continue;
        nn = realloc(names, (n + 1) * sizeof(*names));
        if (nn == NULL || (nn[n] = strdup(e->d_name)) == NULL) {
            names = nn != NULL ? nn : names;
            break;
        }
        names = nn;
        n++;
    }
    closedir(d);
    if (n > 0)
        qsort(names, n, sizeof(*names), main_cmp);
    for (i = 0; i < n; i++) {
        char path[4096];
        struct err err = {{0}};
        int r;

        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        r = replay_case(path, st->cfg, st->rb, &err);
        if (r == 1) {
            printf("PASS %s\n", path);
            (*pass)++;
        } else {
            printf("FAIL %s: %s\n", path, err.msg);
            (*fail)++;
        }
        free(names[i]);
    }
    free(names);
    return 0;
}

static int main_test(int argc, char **argv)
{
    struct main_opts o;
    struct state *st;
    int i, pass = 0, fail = 0, rc;

    main_parse(argc, argv, "--config --bindings", &o);
    if (o.nargs == 0)
        main_bad("test needs at least one DIR");
    st = main_state(&o);
    for (i = 0; i < o.nargs; i++)
        if (main_test_dir(o.args[i], st, &pass, &fail) != 0)
            fail++;
    printf("%d passed, %d failed\n", pass, fail);
    state_release(st);
    rc = fail > 0 ? 1 : 0;
    return rc;
}

static struct kubeconfig *main_kube_config(const struct main_opts *o,
                                           struct kube_opts *ko);

/* How long audit and can-pull wait for the API to list every RBAC kind. */
#define MAIN_KUBE_WAIT_S 60

/*
 * --kube for a command that runs once: follow the API into the live index
 * (as serve does) until every kind was listed. Exits 2 when a list fails.
 * Returns the client (kube_stop() it) and the state in *st (release it).
 */
static struct kube *main_kube_once(struct main_opts *o, struct kubeconfig **kc,
                                   struct state **st)
{
    struct err err = {{0}};
    struct kube_opts ko;
    struct kube_stats ks;
    struct kube *k;
    int i;

    log_set_level(LOG_WARN); /* a command's output, not a server's log */
    *kc = main_kube_config(o, &ko);
    state_publish(main_state(o));
    k = kube_start(&ko, &err);
    if (k == NULL) {
        fprintf(stderr, "image-policy-webhook: %s\n", err.msg);
        exit(2);
    }
    for (i = 0; i < MAIN_KUBE_WAIT_S * 10 && !kube_ready(k); i++) {
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
                i < MAIN_KUBE_WAIT_S * 10 ? "" : " within 60 s");
        exit(2);
    }
    *st = state_acquire();
    return k;
}

static void main_audit_say(void *arg, int failed, const char *msg)
{
    (void)arg;
    fprintf(stderr, "image-policy-webhook: audit: %s%s\n",
            failed ? "" : "note: ", msg);
}

/* audit: review what exists; 0 nothing denied, 1 denials, 2 bad input. */
static int main_audit(int argc, char **argv)
{
    struct main_opts o;
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

    main_parse(argc, argv,
               "--config --bindings --kube --kubeconfig --output --namespace ",
               &o);
    if (o.kubeconfig != NULL)
        o.kube = 1;
    fmt = o.output == NULL || strcmp(o.output, "table") == 0 ? 0
          : strcmp(o.output, "json") == 0                    ? 1
          : strcmp(o.output, "policyreport") == 0            ? 2
                                                             : -1;
    if (fmt < 0)
        main_bad("--output %s: must be table, json or policyreport", o.output);
    if (!o.kube && o.nargs == 0)
        main_bad("audit needs FILE or DIR arguments, or --kube");
    if (o.kube)
        k = main_kube_once(&o, &kc, &st);
    else
        st = main_state(&o);
    a = audit_new();
    if (a == NULL) {
        fprintf(stderr, "image-policy-webhook: out of memory\n");
        exit(2);
    }
    scope.namespaces = o.namespaces;
    scope.n = (size_t)o.nnamespaces;
    failed = o.nargs > 0 ? auditor_files(a, st, o.args, (size_t)o.nargs, &scope,
                                         main_audit_say, NULL)
                         : auditor_kube(a, st, k, &scope, main_audit_say, NULL);
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
static void main_grant(const char *lead, const struct rbac_why *why,
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

struct main_grants {
    const char *sa_ns, *sa_name;
    size_t n;
};

static int main_grant_each(void *arg, const struct rbac_why *why)
{
    struct main_grants *g = arg;

    main_grant(g->n++ == 0 ? "yes: " : "also: ", why, g->sa_ns, g->sa_name);
    return 0;
}

/* Whether s is a name the API could hold: non-empty, no slash, no space. */
static int main_name_ok(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (s[i] == '/' || s[i] == ' ' || (unsigned char)s[i] < 0x20)
            return 0;
    return n > 0 && n < 254;
}

/* can-pull: 0 yes, 1 no, 2 bad input. */
static int main_can_pull(int argc, char **argv)
{
    struct main_opts o;
    struct state *st;
    struct kube *k = NULL;
    struct kubeconfig *kc = NULL;
    struct rbac_why why;
    struct main_grants g;
    char sa_ns[256], sa_name[256], project[256], stream[256] = "";
    const char *slash;
    int yes;

    main_parse(argc, argv, "--config --bindings --kube --kubeconfig -v ", &o);
    if (o.kubeconfig != NULL)
        o.kube = 1;
    if (o.nargs != 2)
        main_bad(
            "can-pull needs NAMESPACE/SERVICEACCOUNT and PROJECT[/STREAM]");
    slash = strchr(o.args[0], '/');
    if (slash == NULL ||
        !main_name_ok(o.args[0], (size_t)(slash - o.args[0])) ||
        !main_name_ok(slash + 1, strlen(slash + 1)))
        main_bad("can-pull: %s: must be NAMESPACE/SERVICEACCOUNT", o.args[0]);
    snprintf(sa_ns, sizeof(sa_ns), "%.*s", (int)(slash - o.args[0]), o.args[0]);
    snprintf(sa_name, sizeof(sa_name), "%s", slash + 1);
    slash = strchr(o.args[1], '/');
    if (!main_name_ok(o.args[1], slash != NULL ? (size_t)(slash - o.args[1])
                                               : strlen(o.args[1])) ||
        (slash != NULL && !main_name_ok(slash + 1, strlen(slash + 1))))
        main_bad("can-pull: %s: must be PROJECT or PROJECT/STREAM", o.args[1]);
    snprintf(project, sizeof(project), "%.*s",
             (int)(slash != NULL ? slash - o.args[1] : (long)strlen(o.args[1])),
             o.args[1]);
    if (slash != NULL)
        snprintf(stream, sizeof(stream), "%s", slash + 1);
    if (!o.kube && o.bindings == NULL)
        main_bad("can-pull needs --bindings F or --kube");
    if (o.kube)
        k = main_kube_once(&o, &kc, &st);
    else
        st = main_state(&o);
    state_read_lock(st);
    yes = rbac_may_pull_why(st->rb, sa_ns, sa_name, project, stream, &why);
    if (yes && o.verbose) {
        g.sa_ns = sa_ns;
        g.sa_name = sa_name;
        g.n = 0;
        rbac_pull_grants(st->rb, sa_ns, sa_name, project, stream,
                         main_grant_each, &g);
    } else if (yes) {
        main_grant("yes: ", &why, sa_ns, sa_name);
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

/*
 * certs: a CA (kept when DIR has one) and a serving certificate for the
 * Service into DIR; the base64 CA bundle on stdout, what was done on stderr.
 */
static int main_certs(int argc, char **argv)
{
    struct main_opts o;
    struct certgen_opts co;
    struct certgen_result res;
    struct err err = {{0}};
    char *end = NULL;
    long days = 0;

    main_parse(argc, argv, "--service --namespace --out --hosts --days ", &o);
    if (o.nargs > 0)
        main_bad("certs takes no argument %s", o.args[0]);
    if (o.service == NULL || o.namespace == NULL || o.out == NULL)
        main_bad("certs needs --service, --namespace and --out");
    if (o.days != NULL) {
        errno = 0;
        days = strtol(o.days, &end, 10);
        if (end == o.days || *end != '\0' || errno != 0 || days < 1 ||
            days > (long)CERTGEN_MAX_DAYS)
            main_bad("--days %s: must be a number from 1 to %u", o.days,
                     CERTGEN_MAX_DAYS);
    }
    memset(&co, 0, sizeof(co));
    co.service = o.service;
    co.namespace = o.namespace;
    co.out_dir = o.out;
    co.hosts = o.hosts;
    co.days = (unsigned)days;
    if (certgen_check(&co, &err) != 0)
        main_bad("%s", err.msg);
    if (certgen_run(&co, &res, &err) != 0) {
        fprintf(stderr, "image-policy-webhook: certs: %s\n", err.msg);
        return 2;
    }
    fprintf(stderr,
            "image-policy-webhook: %s CA %s/ca.crt; new serving certificate "
            "%s/tls.crt for %s.%s.svc until %s UTC%s\n",
            res.ca_reused ? "kept the" : "made a new", o.out, o.out, o.service,
            o.namespace, res.not_after,
            res.cut_to_ca ? " (the end of the CA)" : "");
    puts(res.ca_bundle_b64);
    certgen_result_free(&res);
    return 0;
}

/*
 * A duration as "90", "90s", "10m" or "1h" (one number, one unit), from 1 s
 * to 24 h, in seconds; 0 when it is not one.
 */
static unsigned main_duration(const char *s)
{
    char *end = NULL;
    unsigned long v;
    unsigned mult = 1;

    if (s[0] < '0' || s[0] > '9')
        return 0;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno != 0)
        return 0;
    if (strcmp(end, "m") == 0)
        mult = 60;
    else if (strcmp(end, "h") == 0)
        mult = 3600;
    else if (strcmp(end, "s") != 0 && end[0] != '\0')
        return 0;
    if (v == 0 || v > 86400 / mult)
        return 0;
    return (unsigned)v * mult;
}

/* Paths of the files a SIGHUP reloads. */
static struct main_opts main_serve_opts;

/* SIGHUP: load config and bindings anew; a broken file keeps the old state. */
static void *main_reloader(void *arg)
{
    sigset_t *set = arg;
    int sig;

    while (sigwait(set, &sig) == 0) {
        struct err err = {{0}};
        struct state *st;

        st = state_load(main_serve_opts.config, main_serve_opts.bindings, &err);
        if (st == NULL) {
            log_msg(LOG_ERROR, "reload failed, keeping the old state: %s",
                    err.msg);
            metrics_reload(0);
            continue;
        }
        log_msg(LOG_INFO, "reloaded config and bindings (%zu bindings)",
                state_binding_count(st));
        state_publish(st);
        metrics_reload(1);
    }
    return NULL;
}

static char *main_error_body(int code, const char *msg)
{
    json_t *o = json_pack("{s:i, s:s}", "code", code, "error", msg);
    size_t len;
    char *text = o != NULL ? jsonout_dumps(o, &len) : NULL;

    json_decref(o);
    return text;
}

static long long main_now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* serve --record-dir: NULL when not recording. */
static struct record *main_record;
/* Record failures: one log line a minute at most, with the count. */
static _Atomic long long main_record_logged_s;
static atomic_ullong main_record_failures;

/*
 * After each case the record thread wrote or dropped: a failure never
 * fails the review, it is counted and logged.
 */
static void main_record_done(void *arg, int ok, unsigned rotated,
                             const struct err *err)
{
    long long now, last;

    (void)arg;
    if (rotated > 0)
        metrics_record(METRICS_RECORD_ROTATED, rotated);
    if (ok) {
        metrics_record(METRICS_RECORD_SUCCESS, 1);
        return;
    }
    metrics_record(METRICS_RECORD_FAILURE, 1);
    atomic_fetch_add(&main_record_failures, 1);
    now = main_now_us() / 1000000 + 1; /* never 0: 0 is "not yet" */
    last = atomic_load(&main_record_logged_s);
    if ((last != 0 && now - last < 60) ||
        !atomic_compare_exchange_strong(&main_record_logged_s, &last, now))
        return;
    log_msg(LOG_ERROR,
            "--record-dir: %s (%llu reviews not recorded since the last such "
            "line; they were answered)",
            err->msg, atomic_exchange(&main_record_failures, 0));
}

static char *main_serve_review(void *arg, enum review_endpoint ep,
                               const char *body, size_t len, int *status)
{
    struct err err = {{0}};
    struct state *st = state_acquire();
    struct review_stats stats;
    json_t *req, *answer = NULL;
    long long start = main_now_us();
    size_t text_len;
    char *text;

    (void)arg;
    req = review_parse(body, len, &err);
    if (req != NULL) {
        state_read_lock(st); /* a live index (--kube) changes meanwhile */
        answer = review_answer_stats(ep, req, st->cfg, st->rb, &stats, &err);
        state_read_unlock(st);
    }
    state_release(st);
    if (answer == NULL) {
        *status = 400;
        text = main_error_body(400, err.msg);
        log_http_error(ep == REVIEW_MUTATE ? "/mutate" : "/validate", 400, "%s",
                       err.msg);
    } else {
        const json_t *kind =
            json_object_get(json_object_get(req, "request"), "kind");
        enum metrics_decision d = metrics_decision_of(answer, &stats);

        *status = 200;
        text = jsonout_dumps(answer, &text_len);
        metrics_review(ep, json_string_value(json_object_get(kind, "kind")),
                       json_string_value(json_object_get(
                           json_object_get(req, "request"), "operation")),
                       d, &stats);
        log_review(ep, req, answer, metrics_decision_name(d), &stats,
                   main_now_us() - start);
        if (main_record != NULL) {
            /* Written by the record thread, after this request's arena is
             * gone: it gets copies. */
            json_t *rc = jsonarena_copy(req), *ac = jsonarena_copy(answer);

            if (rc != NULL && ac != NULL)
                record_submit(main_record, ep, rc, ac, len);
            else
                main_record_done(NULL, 0, 0, &(struct err){"out of memory"});
            json_decref(rc);
            json_decref(ac);
        }
    }
    json_decref(req);
    json_decref(answer);
    return text;
}

/* The API client of --kube; NULL with a bindings file or none. */
static struct kube *main_kube;

/* GET /metrics: the counters, and the gauges read now. */
static char *main_serve_metrics(void *arg)
{
    struct metrics_gauges g;
    struct kube_stats ks;
    struct state *st = state_acquire();

    (void)arg;
    memset(&g, 0, sizeof(g));
    g.bindings = state_binding_count(st);
    state_release(st);
    g.rbac_source = main_kube != NULL                  ? "kube"
                    : main_serve_opts.bindings != NULL ? "file"
                                                       : "none";
    g.synced = 1;
    if (main_kube != NULL) {
        kube_stats_get(main_kube, &ks);
        g.kube = &ks;
        g.synced = ks.synced;
    }
    g.cert_not_after = server_cert_not_after();
    return metrics_render(&g);
}

static void main_serve_observe(void *arg, const char *route, int status,
                               double seconds)
{
    (void)arg;
    metrics_http(route, status, seconds);
}

static int main_serve_ready(void *arg)
{
    (void)arg;
    /* serve only runs once certificates and state are loaded; with --kube,
     * ready once every kind was listed (and from then on, API or not). */
    return main_kube == NULL || kube_ready(main_kube);
}

/* --kube: the live index and where the API is. Exits 2 on bad input. */
static struct kubeconfig *main_kube_config(const struct main_opts *o,
                                           struct kube_opts *ko)
{
    struct err err = {{0}};
    struct kubeconfig *kc;
    char *end = NULL;
    long v;

    memset(ko, 0, sizeof(*ko));
    if (o->bindings != NULL)
        main_bad("--bindings and --kube exclude each other");
    if (o->kube_resync != NULL) {
        v = strtol(o->kube_resync, &end, 10);
        if (end == o->kube_resync || *end != '\0' || v < 1 || v > 86400)
            main_bad("--kube-resync %s: must be seconds from 1 to 86400",
                     o->kube_resync);
        ko->resync_s = (unsigned)v;
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

static int main_serve(int argc, char **argv)
{
    struct server_opts so;
    struct err err = {{0}};
    struct state *st;
    static sigset_t hup;
    pthread_t reloader;
    struct kube_opts ko;
    struct kubeconfig *kc = NULL;
    long grace = 0; /* 0: the server's default */
    unsigned audit_s = 0;
    struct auditor *auditor = NULL;
    unsigned long long keep_files = MAIN_RECORD_FILES;
    unsigned long long keep_bytes = MAIN_RECORD_BYTES;
    int rc = 0;

    main_parse(argc, argv,
               "--config --bindings --tls-cert --tls-key --listen --log-level "
               "--kube --kubeconfig --kube-resync --client-ca "
               "--health-listen --record-dir --record-max-files "
               "--record-max-bytes --grace-period --audit-interval ",
               &main_serve_opts);
    if (main_serve_opts.nargs > 0)
        main_bad("serve takes no argument %s", main_serve_opts.args[0]);
    if (main_serve_opts.cert == NULL || main_serve_opts.key == NULL)
        main_bad("serve needs --tls-cert and --tls-key");
    if (main_serve_opts.log_level != NULL) {
        static const char *const levels[] = {"debug", "info", "warn", "error"};
        int l;

        for (l = 0; l < 4; l++)
            if (strcmp(levels[l], main_serve_opts.log_level) == 0)
                break;
        if (l == 4)
            main_bad("--log-level %s: must be debug, info, warn or error",
                     main_serve_opts.log_level);
        log_set_level((enum log_level)l);
    }
    if (main_serve_opts.kubeconfig != NULL)
        main_serve_opts.kube = 1;
    if (main_serve_opts.kube_resync != NULL && !main_serve_opts.kube)
        main_bad("--kube-resync needs --kube");
    if (main_serve_opts.audit_interval != NULL) {
        audit_s = main_duration(main_serve_opts.audit_interval);
        if (audit_s == 0)
            main_bad("--audit-interval %s: must be a duration from 1s to 24h "
                     "(such as 90s, 10m or 1h)",
                     main_serve_opts.audit_interval);
        if (!main_serve_opts.kube)
            main_bad("--audit-interval needs --kube");
    }
    if (main_serve_opts.grace_period != NULL) {
        char *end = NULL;

        errno = 0;
        grace = strtol(main_serve_opts.grace_period, &end, 10);
        if (end == main_serve_opts.grace_period || *end != '\0' || errno != 0 ||
            grace < 1 || grace > 3600)
            main_bad("--grace-period %s: must be seconds from 1 to 3600",
                     main_serve_opts.grace_period);
    }
    if ((main_serve_opts.record_max_files != NULL ||
         main_serve_opts.record_max_bytes != NULL) &&
        main_serve_opts.record_dir == NULL)
        main_bad("--record-max-files and --record-max-bytes need --record-dir");
    if (main_serve_opts.record_max_files != NULL &&
        (main_size(main_serve_opts.record_max_files, 0, &keep_files) != 0 ||
         keep_files < 1 || keep_files > MAIN_RECORD_MAX_FILES))
        main_bad("--record-max-files %s: must be a number from 1 to %llu",
                 main_serve_opts.record_max_files, MAIN_RECORD_MAX_FILES);
    if (main_serve_opts.record_max_bytes != NULL &&
        (main_size(main_serve_opts.record_max_bytes, 1, &keep_bytes) != 0 ||
         keep_bytes < MAIN_RECORD_MIN_BYTES ||
         keep_bytes > MAIN_RECORD_MAX_BYTES))
        main_bad("--record-max-bytes %s: must be bytes from %llu (1Ki) to "
                 "%llu (1024Ti), a number with an optional Ki, Mi, Gi or Ti "
                 "suffix",
                 main_serve_opts.record_max_bytes, MAIN_RECORD_MIN_BYTES,
                 MAIN_RECORD_MAX_BYTES);
    /* Blocked before the first thread starts (the recording writer's), as
     * every thread inherits the mask: only the reloader takes SIGHUP. A
     * thread that let it through would die of it, and the process with it. */
    sigemptyset(&hup);
    sigaddset(&hup, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &hup, NULL);
    if (main_serve_opts.record_dir != NULL) {
        main_record = record_open(main_serve_opts.record_dir,
                                  (size_t)keep_files, keep_bytes, &err);
        if (main_record == NULL)
            main_bad("--record-dir: %s", err.msg);
        /* At most 1024 cases or 256 MiB of requests wait for the disk. */
        if (record_start(main_record, 1024, (size_t)256 << 20, main_record_done,
                         NULL, &err) != 0) {
            fprintf(stderr, "image-policy-webhook: %s\n", err.msg);
            return 1;
        }
    }
    if (main_serve_opts.kube)
        kc = main_kube_config(&main_serve_opts, &ko);
    st = main_state(&main_serve_opts);
    log_msg(LOG_INFO, "config %s, bindings %s (%zu bindings)",
            main_serve_opts.config ? main_serve_opts.config : "(defaults)",
            main_serve_opts.bindings ? main_serve_opts.bindings
            : kc != NULL             ? "from the Kubernetes API (--kube)"
                                     : "(none: cross-project pulls denied)",
            state_binding_count(st));
    memset(&so, 0, sizeof(so));
    so.listen =
        main_serve_opts.listen ? main_serve_opts.listen : "0.0.0.0:8443";
    so.cert_file = main_serve_opts.cert;
    so.key_file = main_serve_opts.key;
    so.client_ca_file = main_serve_opts.client_ca;
    so.health_listen = main_serve_opts.health_listen;
    so.max_body = st->cfg->max_body;
    so.review = main_serve_review;
    so.ready = main_serve_ready;
    so.metrics = main_serve_metrics;
    so.observe = main_serve_observe;
    so.grace_s = (unsigned)grace;
    metrics_init();
    if (main_record != NULL) {
        size_t files;
        unsigned long long bytes;

        record_usage(main_record, &files, &bytes);
        log_msg(LOG_INFO,
                "recording every review into %s (%zu case files of %llu "
                "bytes there now; at most %llu files and %llu bytes kept, "
                "the oldest deleted first)",
                main_serve_opts.record_dir, files, bytes, keep_files,
                keep_bytes);
    }
    state_publish(st);

    if (pthread_create(&reloader, NULL, main_reloader, &hup) != 0) {
        fprintf(stderr, "image-policy-webhook: cannot start a thread\n");
        return 1;
    }
    pthread_detach(reloader);
    if (kc != NULL) {
        main_kube = kube_start(&ko, &err);
        if (main_kube == NULL) {
            fprintf(stderr, "image-policy-webhook: %s\n", err.msg);
            return 1;
        }
    }
    if (audit_s > 0) {
        auditor = auditor_start(main_kube, audit_s, &err);
        if (auditor == NULL) {
            fprintf(stderr, "image-policy-webhook: %s\n", err.msg);
            return 1;
        }
    }
    if (server_run(&so, &err) != 0) {
        log_msg(LOG_ERROR, "serve: %s", err.msg);
        fprintf(stderr, "image-policy-webhook: serve: %s\n", err.msg);
        rc = 1;
    } else {
        log_msg(LOG_INFO, "stopped");
    }
    auditor_stop(auditor);
    kube_stop(main_kube);
    main_kube = NULL;
    kubeconfig_free(kc);
    record_close(main_record);
    main_record = NULL;
    return rc;
}

int main(int argc, char **argv)
{
    struct err err = {{0}};

    if (argc < 2)
        main_bad("missing command");
    /* Before any index is made: every index hashes with this key. */
    if (hashkey_init(&err) != 0) {
        fprintf(stderr, "image-policy-webhook: %s\n", err.msg);
        return 1;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs(main_usage, stdout);
        return 0;
    }
    if (strcmp(argv[1], "serve") == 0)
        return main_serve(argc - 2, argv + 2);
    if (strcmp(argv[1], "review") == 0)
        return main_review(argc - 2, argv + 2);
    if (strcmp(argv[1], "test") == 0)
        return main_test(argc - 2, argv + 2);
    if (strcmp(argv[1], "certs") == 0)
        return main_certs(argc - 2, argv + 2);
    if (strcmp(argv[1], "audit") == 0)
        return main_audit(argc - 2, argv + 2);
    if (strcmp(argv[1], "can-pull") == 0)
        return main_can_pull(argc - 2, argv + 2);
    main_bad("unknown command %s", argv[1]);
}
