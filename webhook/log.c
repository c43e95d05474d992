/* log.c - log lines as JSON objects on stderr. */
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "jsonout.h"
#include "lograte.h"
#include "monotime.h"

static enum log_level log_level = LOG_INFO;

void log_set_level(enum log_level level)
{
    log_level = level;
}

/* Whether a line of level would be written. */
static int log_enabled(enum log_level level)
{
    return level >= log_level;
}

/*
 * Start a line of level with its time, level and msg (n bytes, valid UTF-8)
 * members; the caller adds its own and ends it with log_put.
 */
static void log_head(struct strbuf *o, enum log_level level, const char *msg,
                     size_t n)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    char when[40];
    struct timespec ts;
    struct tm tm;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when + 19, sizeof(when) - 19, ".%06ldZ", ts.tv_nsec / 1000);
    strbuf_add(o, "{\"time\":\"", 9);
    strbuf_add(o, when, strlen(when));
    strbuf_add(o, "\",\"level\":\"", 11);
    strbuf_add(o, names[level], strlen(names[level]));
    strbuf_add(o, "\",\"msg\":", 8);
    jsonout_str(o, msg, n);
}

/* ,"key": before a member's value. */
static void log_key(struct strbuf *o, const char *key)
{
    strbuf_add(o, ",\"", 2);
    strbuf_add(o, key, strlen(key));
    strbuf_add(o, "\":", 2);
}

/* End the line and write it, whole, in one write: lines of threads never
 * mix. */
static void log_put(struct strbuf *o)
{
    strbuf_add(o, "}\n", 2);
    if (!o->failed)
        fwrite(o->p, 1, o->len, stderr);
    strbuf_free(o);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    struct strbuf o = {.max = STRBUF_NOMAX};
    char msg[1024];
    json_t *valid;
    va_list ap;
    int n;

    if (!log_enabled(level))
        return;
    va_start(ap, fmt);
    n = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof(msg))
        n = (int)sizeof(msg) - 1;
    /* cut inside a UTF-8 sequence, or bytes from the input */
    valid = json_stringn(msg, (size_t)n);
    if (valid == NULL) {
        snprintf(msg, sizeof(msg), "(message not valid UTF-8)");
        n = (int)strlen(msg);
    }
    json_decref(valid);
    log_head(&o, level, msg, (size_t)n);
    log_put(&o);
}

/*
 * Error answers, limited per route and status. Every label value comes from
 * a fixed table (as in the metrics), so no client can grow this.
 */
static const char *const log_routes[] = {"/mutate", "/validate", "/healthz",
                                         "/readyz", "/metrics",  "other"};
#define LOG_ROUTES    (sizeof(log_routes) / sizeof(log_routes[0]))
#define LOG_CODE_MIN  400u
#define LOG_CODES     200u
#define LOG_QUIET_US  1000000LL  /* a second without one: report */
#define LOG_REPORT_US 60000000LL /* held back a minute: report anyway */
static pthread_mutex_t log_rate_mu = PTHREAD_MUTEX_INITIALIZER;
static struct lograte log_rates[LOG_ROUTES][LOG_CODES];

/* Never 0, which lograte takes for "not yet". */
static long long log_now_us(void)
{
    return monotime_us() + 1;
}

static enum log_level log_error_level(unsigned status)
{
    return status == 500 ? LOG_ERROR : LOG_WARN;
}

void log_http_error(const char *route, unsigned status, const char *fmt, ...)
{
    enum log_level level = log_error_level(status);
    char msg[512];
    size_t r;
    va_list ap;
    int take = 1;

    if (!log_enabled(level))
        return;
    for (r = 0; r + 1 < LOG_ROUTES; r++)
        if (route != NULL && strcmp(route, log_routes[r]) == 0)
            break;
    if (status >= LOG_CODE_MIN && status < LOG_CODE_MIN + LOG_CODES) {
        pthread_mutex_lock(&log_rate_mu);
        take = lograte_take(&log_rates[r][status - LOG_CODE_MIN], log_now_us());
        pthread_mutex_unlock(&log_rate_mu);
    }
    if (!take)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_msg(level, "%s: %u: %s", log_routes[r], status, msg);
}

void log_tick(int final)
{
    long long now = log_now_us();
    unsigned long long n;
    double sec;
    size_t r, c;

    pthread_mutex_lock(&log_rate_mu);
    for (r = 0; r < LOG_ROUTES; r++)
        for (c = 0; c < LOG_CODES; c++)
            if (lograte_report(&log_rates[r][c], now, LOG_QUIET_US,
                               final ? 0 : LOG_REPORT_US, &n, &sec))
                log_msg(log_error_level((unsigned)c + LOG_CODE_MIN),
                        "%s: %zu: suppressed %llu similar lines in the last "
                        "%.1f s",
                        log_routes[r], c + LOG_CODE_MIN, n, sec);
    pthread_mutex_unlock(&log_rate_mu);
}

/* A string member of obj as a JSON string, cut to at most max bytes at a
 * UTF-8 boundary ("" when missing). */
static void log_str(struct strbuf *o, const json_t *obj, const char *key,
                    size_t max)
{
    const json_t *v = json_object_get(obj, key);
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);

    if (s == NULL)
        n = 0;
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    jsonout_str(o, s != NULL ? s : "", n);
}

/* A number member. */
static void log_int(struct strbuf *o, const char *key, long long v)
{
    char num[24];
    int n = snprintf(num, sizeof(num), "%lld", v);

    log_key(o, key);
    strbuf_add(o, num, (size_t)n);
}

void log_review(enum review_endpoint ep, const json_t *req,
                const json_t *answer, const char *decision,
                const struct review_stats *stats, long long duration_us)
{
    const json_t *r = json_object_get(req, "request");
    const json_t *resp = json_object_get(answer, "response");
    const json_t *name_in = r; /* where the name is */
    const char *name_key = "name";
    const char *name = json_string_value(json_object_get(r, "name"));
    const char *endpoint = ep == REVIEW_MUTATE ? "mutate" : "validate";
    struct strbuf o = {.max = STRBUF_NOMAX};
    int i, n = 0;

    if (!log_enabled(LOG_INFO))
        return;
    /* On CREATE an object named by generateName has no name yet. */
    if (name == NULL || name[0] == '\0') {
        name_in = json_object_get(json_object_get(r, "object"), "metadata");
        name = json_string_value(json_object_get(name_in, "name"));
        if (name == NULL || name[0] == '\0')
            name_key = "generateName";
    }
    log_head(&o, LOG_INFO, "review", 6);
    log_key(&o, "uid");
    log_str(&o, r, "uid", 128);
    log_key(&o, "endpoint");
    jsonout_str(&o, endpoint, strlen(endpoint));
    log_key(&o, "kind");
    log_str(&o, json_object_get(r, "kind"), "kind", 128);
    log_key(&o, "namespace");
    log_str(&o, r, "namespace", 253);
    log_key(&o, "name");
    log_str(&o, name_in, name_key, 253);
    log_key(&o, "operation");
    log_str(&o, r, "operation", 32);
    log_key(&o, "decision");
    jsonout_str(&o, decision, strlen(decision));
    log_int(&o, "patch_ops", stats != NULL ? (long long)stats->patch_ops : 0);
    log_int(&o, "warnings",
            (long long)json_array_size(json_object_get(resp, "warnings")));
    log_key(&o, "reasons");
    strbuf_add(&o, "[", 1);
    for (i = 0; stats != NULL && i < VERDICT_REASONS; i++)
        if (stats->denials[i] > 0 || stats->warnings[i] > 0) {
            const char *why = verdict_reason_name((enum verdict_reason)i);

            if (n++ > 0)
                strbuf_add(&o, ",", 1);
            jsonout_str(&o, why, strlen(why));
        }
    strbuf_add(&o, "]", 1);
    log_int(&o, "duration_us", duration_us);
    if (json_is_false(json_object_get(resp, "allowed"))) {
        const json_t *st = json_object_get(resp, "status");

        log_int(&o, "code",
                (long long)json_integer_value(json_object_get(st, "code")));
        log_key(&o, "message");
        log_str(&o, st, "message", 1024);
    }
    log_put(&o);
}
