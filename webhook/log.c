/* log.c - log lines as JSON objects on stderr. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "jsonout.h"

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
 * Like log_msg, with the members of fields (a JSON object, stolen; NULL for
 * none) after time, level and msg.
 */
static void log_fields(enum log_level level, const char *msg, json_t *fields)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    char when[40];
    struct timespec ts;
    struct tm tm;
    json_t *line;
    char *text;
    size_t len;

    if (level < log_level) {
        json_decref(fields);
        return;
    }
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when + 19, sizeof(when) - 19, ".%06ldZ", ts.tv_nsec / 1000);
    line = json_pack("{s:s, s:s, s:s}", "time", when, "level", names[level],
                     "msg", msg);
    if (line == NULL) /* msg was cut inside a UTF-8 sequence, or ENOMEM */
        line = json_pack("{s:s, s:s, s:s}", "time", when, "level", names[level],
                         "msg", "(message not valid UTF-8)");
    if (line != NULL && fields != NULL)
        json_object_update_missing(line, fields);
    text = line != NULL ? jsonout_dumps(line, &len) : NULL;
    if (text != NULL) {
        /* the whole line in one write: lines of threads never mix */
        text[len] = '\n';
        fwrite(text, 1, len + 1, stderr);
        free(text);
    }
    json_decref(line);
    json_decref(fields);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    if (level < log_level)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_fields(level, msg, NULL);
}

/* A string member of obj, cut to at most max bytes at a UTF-8 boundary. */
static json_t *log_str(const json_t *obj, const char *key, size_t max)
{
    const char *s = json_string_value(json_object_get(obj, key));
    size_t n;

    if (s == NULL)
        return json_string("");
    n = strlen(s);
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    return json_stringn(s, n);
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
    json_t *f, *reasons;
    int i;

    if (!log_enabled(LOG_INFO))
        return;
    /* On CREATE an object named by generateName has no name yet. */
    if (name == NULL || name[0] == '\0') {
        name_in = json_object_get(json_object_get(r, "object"), "metadata");
        name = json_string_value(json_object_get(name_in, "name"));
        if (name == NULL || name[0] == '\0')
            name_key = "generateName";
    }
    f = json_pack(
        "{s:o, s:s, s:o, s:o, s:o, s:o, s:s, s:i, s:i, s:[], "
        "s:I}",
        "uid", log_str(r, "uid", 128), "endpoint",
        ep == REVIEW_MUTATE ? "mutate" : "validate", "kind",
        log_str(json_object_get(r, "kind"), "kind", 128), "namespace",
        log_str(r, "namespace", 253), "name", log_str(name_in, name_key, 253),
        "operation", log_str(r, "operation", 32), "decision", decision,
        "patch_ops", stats != NULL ? (int)stats->patch_ops : 0, "warnings",
        (int)json_array_size(json_object_get(resp, "warnings")), "reasons",
        "duration_us", (json_int_t)duration_us);
    if (f == NULL)
        return;
    reasons = json_object_get(f, "reasons");
    for (i = 0; stats != NULL && i < VERDICT_REASONS; i++)
        if (stats->denials[i] > 0 || stats->warnings[i] > 0)
            json_array_append_new(reasons, json_string(verdict_reason_name(
                                               (enum verdict_reason)i)));
    if (json_is_false(json_object_get(resp, "allowed"))) {
        const json_t *st = json_object_get(resp, "status");

        json_object_set_new(
            f, "code",
            json_integer(json_integer_value(json_object_get(st, "code"))));
        json_object_set_new(f, "message", log_str(st, "message", 1024));
    }
    log_fields(LOG_INFO, "review", f);
}
