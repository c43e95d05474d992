/* cmd_serve.c - serve: the webhook's server process and its callbacks. */
#include "cmd_serve.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auditor.h"
#include "cli.h"
#include "jsonarena.h"
#include "jsonout.h"
#include "log.h"
#include "metrics.h"
#include "monotime.h"
#include "record.h"
#include "review.h"
#include "server.h"

/* serve --record-dir: the caps' defaults and bounds. */
#define CMD_SERVE_RECORD_FILES     10000ULL
#define CMD_SERVE_RECORD_MAX_FILES 1000000ULL
#define CMD_SERVE_RECORD_BYTES     (1ULL << 30)
#define CMD_SERVE_RECORD_MIN_BYTES 1024ULL
#define CMD_SERVE_RECORD_MAX_BYTES (1ULL << 50)

/*
 * A whole number of s into *out, with a suffix Ki, Mi, Gi or Ti (times 1024
 * to the 1st to 4th power, as in Kubernetes quantities) when suffixes is 1.
 * 0, or -1 when s is not one or overflows.
 */
static int cmd_serve_size(const char *s, int suffixes, unsigned long long *out)
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

/*
 * A duration as "90", "90s", "10m" or "1h" (one number, one unit), from 1 s
 * to 24 h, in seconds; 0 when it is not one.
 */
static unsigned cmd_serve_duration(const char *s)
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
static struct cli_opts cmd_serve_opts;

/* SIGHUP: load config and bindings anew; a broken file keeps the old state. */
static void *cmd_serve_reloader(void *arg)
{
    sigset_t *set = arg;
    int sig;

    while (sigwait(set, &sig) == 0) {
        struct err err = {{0}};
        struct state *st;

        st = state_load(cmd_serve_opts.config, cmd_serve_opts.bindings, &err);
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

static char *cmd_serve_error_body(int code, const char *msg)
{
    json_t *o = json_pack("{s:i, s:s}", "code", code, "error", msg);
    size_t len;
    char *text = o != NULL ? jsonout_dumps(o, &len) : NULL;

    json_decref(o);
    return text;
}

/* serve --record-dir: NULL when not recording. */
static struct record *cmd_serve_record;
/* Record failures: one log line a minute at most, with the count. */
static _Atomic long long cmd_serve_record_logged_s;
static atomic_ullong cmd_serve_record_failures;

/*
 * After each case the record thread wrote or dropped: a failure never
 * fails the review, it is counted and logged.
 */
static void cmd_serve_record_done(void *arg, int ok, unsigned rotated,
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
    atomic_fetch_add(&cmd_serve_record_failures, 1);
    now = monotime_us() / 1000000 + 1; /* never 0: 0 is "not yet" */
    last = atomic_load(&cmd_serve_record_logged_s);
    if ((last != 0 && now - last < 60) ||
        !atomic_compare_exchange_strong(&cmd_serve_record_logged_s, &last, now))
        return;
    log_msg(LOG_ERROR,
            "--record-dir: %s (%llu reviews not recorded since the last such "
            "line; they were answered)",
            err->msg, atomic_exchange(&cmd_serve_record_failures, 0));
}

static char *cmd_serve_review(void *arg, enum review_endpoint ep,
                              const char *body, size_t len, int *status)
{
    struct err err = {{0}};
    struct state *st = state_acquire();
    struct review_stats stats;
    json_t *req, *answer = NULL;
    long long start = monotime_us();
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
        text = cmd_serve_error_body(400, err.msg);
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
                   monotime_us() - start);
        if (cmd_serve_record != NULL) {
            /* Written by the record thread, after this request's arena is
             * gone: it gets copies. */
            json_t *rc = jsonarena_copy(req), *ac = jsonarena_copy(answer);

            if (rc != NULL && ac != NULL) {
                record_submit(cmd_serve_record, ep, rc, ac, len);
            } else {
                json_decref(rc);
                json_decref(ac);
                cmd_serve_record_done(NULL, 0, 0,
                                      &(struct err){"out of memory"});
            }
        }
    }
    json_decref(req);
    json_decref(answer);
    return text;
}

/* The API client of --kube; NULL with a bindings file or none. */
static struct kube *cmd_serve_kube;

/* GET /metrics: the counters, and the gauges read now. */
static char *cmd_serve_metrics(void *arg)
{
    struct metrics_gauges g;
    struct kube_stats ks;
    struct state *st = state_acquire();

    (void)arg;
    memset(&g, 0, sizeof(g));
    g.bindings = state_binding_count(st);
    state_release(st);
    g.rbac_source = cmd_serve_kube != NULL            ? "kube"
                    : cmd_serve_opts.bindings != NULL ? "file"
                                                      : "none";
    g.synced = 1;
    if (cmd_serve_kube != NULL) {
        kube_stats_get(cmd_serve_kube, &ks);
        g.kube = &ks;
        g.synced = ks.synced;
    }
    g.cert_not_after = server_cert_not_after();
    return metrics_render(&g);
}

static void cmd_serve_observe(void *arg, const char *route, int status,
                              double seconds)
{
    (void)arg;
    metrics_http(route, status, seconds);
}

static int cmd_serve_ready(void *arg)
{
    (void)arg;
    /* serve only runs once certificates and state are loaded; with --kube,
     * ready once every kind was listed (and from then on, API or not). */
    return cmd_serve_kube == NULL || kube_ready(cmd_serve_kube);
}

int cmd_serve(int argc, char **argv)
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
    unsigned long long keep_files = CMD_SERVE_RECORD_FILES;
    unsigned long long keep_bytes = CMD_SERVE_RECORD_BYTES;
    int rc = 0;

    cli_parse(argc, argv,
              "--config --bindings --tls-cert --tls-key --listen --log-level "
              "--kube --kubeconfig --kube-resync --kube-status-interval "
              "--client-ca "
              "--health-listen --record-dir --record-max-files "
              "--record-max-bytes --grace-period --audit-interval ",
              &cmd_serve_opts);
    if (cmd_serve_opts.nargs > 0)
        cli_bad("serve takes no argument %s", cmd_serve_opts.args[0]);
    if (cmd_serve_opts.cert == NULL || cmd_serve_opts.key == NULL)
        cli_bad("serve needs --tls-cert and --tls-key");
    if (cmd_serve_opts.log_level != NULL) {
        static const char *const levels[] = {"debug", "info", "warn", "error"};
        int l;

        for (l = 0; l < 4; l++)
            if (strcmp(levels[l], cmd_serve_opts.log_level) == 0)
                break;
        if (l == 4)
            cli_bad("--log-level %s: must be debug, info, warn or error",
                    cmd_serve_opts.log_level);
        log_set_level((enum log_level)l);
    }
    if (cmd_serve_opts.kubeconfig != NULL)
        cmd_serve_opts.kube = 1;
    if (cmd_serve_opts.kube_status != NULL && !cmd_serve_opts.kube)
        cli_bad("--kube-status-interval needs --kube");
    if (cmd_serve_opts.kube_resync != NULL && !cmd_serve_opts.kube)
        cli_bad("--kube-resync needs --kube");
    if (cmd_serve_opts.audit_interval != NULL) {
        audit_s = cmd_serve_duration(cmd_serve_opts.audit_interval);
        if (audit_s == 0)
            cli_bad("--audit-interval %s: must be a duration from 1s to 24h "
                    "(such as 90s, 10m or 1h)",
                    cmd_serve_opts.audit_interval);
        if (!cmd_serve_opts.kube)
            cli_bad("--audit-interval needs --kube");
    }
    if (cmd_serve_opts.grace_period != NULL) {
        char *end = NULL;

        errno = 0;
        grace = strtol(cmd_serve_opts.grace_period, &end, 10);
        if (end == cmd_serve_opts.grace_period || *end != '\0' || errno != 0 ||
            grace < 1 || grace > 3600)
            cli_bad("--grace-period %s: must be seconds from 1 to 3600",
                    cmd_serve_opts.grace_period);
    }
    if ((cmd_serve_opts.record_max_files != NULL ||
         cmd_serve_opts.record_max_bytes != NULL) &&
        cmd_serve_opts.record_dir == NULL)
        cli_bad("--record-max-files and --record-max-bytes need --record-dir");
    if (cmd_serve_opts.record_max_files != NULL &&
        (cmd_serve_size(cmd_serve_opts.record_max_files, 0, &keep_files) != 0 ||
         keep_files < 1 || keep_files > CMD_SERVE_RECORD_MAX_FILES))
        cli_bad("--record-max-files %s: must be a number from 1 to %llu",
                cmd_serve_opts.record_max_files, CMD_SERVE_RECORD_MAX_FILES);
    if (cmd_serve_opts.record_max_bytes != NULL &&
        (cmd_serve_size(cmd_serve_opts.record_max_bytes, 1, &keep_bytes) != 0 ||
         keep_bytes < CMD_SERVE_RECORD_MIN_BYTES ||
         keep_bytes > CMD_SERVE_RECORD_MAX_BYTES))
        cli_bad("--record-max-bytes %s: must be bytes from %llu (1Ki) to "
                "%llu (1024Ti), a number with an optional Ki, Mi, Gi or Ti "
                "suffix",
                cmd_serve_opts.record_max_bytes, CMD_SERVE_RECORD_MIN_BYTES,
                CMD_SERVE_RECORD_MAX_BYTES);
    /* Blocked before the first thread starts (the recording writer's), as
     * every thread inherits the mask: only the reloader takes SIGHUP. A
     * thread that let it through would die of it, and the process with it. */
    sigemptyset(&hup);
    sigaddset(&hup, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &hup, NULL);
    if (cmd_serve_opts.record_dir != NULL) {
        cmd_serve_record = record_open(cmd_serve_opts.record_dir,
                                       (size_t)keep_files, keep_bytes, &err);
        if (cmd_serve_record == NULL)
            cli_bad("--record-dir: %s", err.msg);
        /* At most 1024 cases or 256 MiB of requests wait for the disk. */
        if (record_start(cmd_serve_record, 1024, (size_t)256 << 20,
                         cmd_serve_record_done, NULL, &err) != 0) {
            fprintf(stderr, "image-policy-webhook: %s\n", err.msg);
            return 1;
        }
    }
    if (cmd_serve_opts.kube)
        kc = cli_kube_config(&cmd_serve_opts, &ko);
    st = cli_state(&cmd_serve_opts);
    log_msg(LOG_INFO, "config %s, bindings %s (%zu bindings)",
            cmd_serve_opts.config ? cmd_serve_opts.config : "(defaults)",
            cmd_serve_opts.bindings ? cmd_serve_opts.bindings
            : kc != NULL            ? "from the Kubernetes API (--kube)"
                                    : "(none: cross-project pulls denied)",
            state_binding_count(st));
    memset(&so, 0, sizeof(so));
    so.listen = cmd_serve_opts.listen ? cmd_serve_opts.listen : "0.0.0.0:8443";
    so.cert_file = cmd_serve_opts.cert;
    so.key_file = cmd_serve_opts.key;
    so.client_ca_file = cmd_serve_opts.client_ca;
    so.health_listen = cmd_serve_opts.health_listen;
    so.max_body = st->cfg->max_body;
    so.review = cmd_serve_review;
    so.ready = cmd_serve_ready;
    so.metrics = cmd_serve_metrics;
    so.observe = cmd_serve_observe;
    so.grace_s = (unsigned)grace;
    metrics_init();
    if (cmd_serve_record != NULL) {
        size_t files;
        unsigned long long bytes;

        record_usage(cmd_serve_record, &files, &bytes);
        log_msg(LOG_INFO,
                "recording every review into %s (%zu case files of %llu "
                "bytes there now; at most %llu files and %llu bytes kept, "
                "the oldest deleted first)",
                cmd_serve_opts.record_dir, files, bytes, keep_files,
                keep_bytes);
    }
    state_publish(st);

    if (pthread_create(&reloader, NULL, cmd_serve_reloader, &hup) != 0) {
        fprintf(stderr, "image-policy-webhook: cannot start a thread\n");
        return 1;
    }
    pthread_detach(reloader);
    if (kc != NULL) {
        cmd_serve_kube = kube_start(&ko, &err);
        if (cmd_serve_kube == NULL) {
            fprintf(stderr, "image-policy-webhook: %s\n", err.msg);
            return 1;
        }
    }
    if (audit_s > 0) {
        auditor = auditor_start(cmd_serve_kube, audit_s, &err);
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
    kube_stop(cmd_serve_kube);
    cmd_serve_kube = NULL;
    kubeconfig_free(kc);
    record_close(cmd_serve_record);
    cmd_serve_record = NULL;
    return rc;
}
