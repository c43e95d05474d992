/* log.c - log lines as JSON objects on stderr. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <jansson.h>

static enum log_level log_level = LOG_INFO;

void log_set_level(enum log_level level)
{
    log_level = level;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    char msg[1024], when[40];
    struct timespec ts;
    struct tm tm;
    va_list ap;
    json_t *line;
    char *text;

    if (level < log_level)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when + 19, sizeof(when) - 19, ".%06ldZ", ts.tv_nsec / 1000);
    line = json_pack("{s:s, s:s, s:s}", "time", when, "level", names[level],
                     "msg", msg);
    if (line == NULL) /* msg was cut inside a UTF-8 sequence, or ENOMEM */
        line = json_pack("{s:s, s:s, s:s}", "time", when, "level",
                         names[level], "msg", "(message not valid UTF-8)");
    text = line != NULL ? json_dumps(line, JSON_COMPACT) : NULL;
    if (text != NULL) {
        /* one fputs of a whole line: stdio locks the stream for it */
        fprintf(stderr, "%s\n", text);
        free(text);
    }
    json_decref(line);
}
